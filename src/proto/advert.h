/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The manufacturer data of a TTLock advertisement (doc/protocol.md §6): protocolType, version, scene,
 * flags, battery, a few unknown bytes, then the MAC in reversed byte order as the last 6 bytes.
 * BlueZ reports the first two bytes as the "company id" key (0x0305 = 773 for V3). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "tt-error.h"

#define TTLOCK_ADVERT_BLUEZ_KEY_V3 0x0305 /* 773 */

#define TTLOCK_ADVERT_FLAG_UNLOCKED 0x01
#define TTLOCK_ADVERT_FLAG_NEW_EVENTS 0x02
#define TTLOCK_ADVERT_FLAG_SETTING_MODE 0x04
#define TTLOCK_ADVERT_FLAG_TOUCH 0x08
#define TTLOCK_ADVERT_FLAG_DORMANT 0x10 /* door locks; "park status" on parking locks */

typedef struct TTAdvert {
        uint8_t protocol_type;
        uint8_t protocol_version;
        uint8_t scene;
        uint8_t flags;
        uint8_t battery;
        bool unlocked;     /* meaningless while dormant: the lock clears it */
        bool new_events;
        bool setting_mode; /* pairable */
        bool touch;
        bool dormant;
        uint8_t address[6]; /* in display order: address[0] is "AA" of AA:BB:… */
} TTAdvert;

/* Raw manufacturer data including the two "company id" bytes. */
int ttlock_advert_parse(const uint8_t *data, size_t len, TTAdvert *ret, TTError *e);
/* BlueZ's form: ManufacturerData key and value. */
int ttlock_advert_parse_bluez(uint16_t key, const uint8_t *value, size_t len, TTAdvert *ret, TTError *e);
/* The simulator's side: 17 bytes for V3 (5 known, 6 unknown, 6 MAC). flags is used as given. */
void ttlock_advert_build(TTWriter *w, const TTAdvert *a);

/* "AA:BB:CC:DD:EE:FF" (18 bytes with NUL). */
char *ttlock_address_to_string(const uint8_t address[6], char out[18]);
/* Any case, colons required; -EINVAL otherwise. */
int ttlock_address_from_string(const char *s, uint8_t ret[6]);
