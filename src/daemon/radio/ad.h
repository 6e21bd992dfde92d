/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Bluetooth LE advertising data as a radio hands it over raw (an ESPHome proxy's
 * BluetoothLERawAdvertisement, doc/esphome.md): a sequence of AD structures — length, type, data —
 * from the advertisement and the scan response (Bluetooth Core Supplement, Part A §1). Only what
 * tells a TTLock and what the lock model reads of it is kept: the local name, the 16-bit service
 * UUIDs' 0x1910, and the manufacturer data split as BlueZ splits it (company id as the key, the rest
 * as the value; doc/architecture.md "the radio interface"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AD_NAME_MAX 31 /* a legacy advertisement holds at most 31 bytes */
#define AD_MFR_MAX 64

typedef struct AdInfo {
        bool have_name;
        char name[AD_NAME_MAX + 1]; /* printable ASCII; anything else became '?' */
        bool ttlock_service;        /* 0x1910 among the 16-bit service UUIDs */
        bool have_mfr;
        uint16_t mfr_key;
        uint8_t mfr[AD_MFR_MAX];
        size_t mfr_len;
} AdInfo;

/* TTLock V3's manufacturer-data key: protocol type 5, version 3 as the first two bytes. */
#define AD_TTLOCK_MFR_KEY_V3 0x0305
#define AD_TTLOCK_SERVICE_UUID 0x1910

/* Parses data[0..len). A zero length byte ends the data (controllers pad with zeros). -EBADMSG when a
 * structure runs past the end; what was read before is in *ret either way. */
int ad_parse(const uint8_t *data, size_t len, AdInfo *ret);
/* A TTLock: the 0x1910 service or V3 manufacturer data (as the BlueZ backend decides it). */
bool ad_is_ttlock(const AdInfo *a);
