/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "advert.h"

#define ADVERT_MAC_LEN 6
#define ADVERT_UNKNOWN_LEN 6 /* what we emit between battery and MAC; real V3 locks send 4–6 (§6) */

static int advert_special_header(uint8_t a, uint8_t b, TTError *e) {
        /* §6: headers that are not lock state at all. Refusing them here keeps a DFU-mode lock or
         * a wristband from being mistaken for a lock with garbage battery and flags. */
        static const struct {
                uint8_t a, b;
                const char *what;
        } special[] = {
                { 0x12, 0x19, "plug DFU" },
                { 0x13, 0x19, "Telink gateway DFU" },
                { 0xFF, 0xFF, "DFU mode" },
                { 0x34, 0x12, "wristband" },
        };

        for (size_t i = 0; i < ELEMENTSOF(special); i++)
                if (special[i].a == a && special[i].b == b)
                        return tt_error(e, -EBADMSG, "advert header %02x %02x is a %s device, not a lock",
                                        a, b, special[i].what);
        return 0;
}

int ttlock_advert_parse(const uint8_t *data, size_t len, TTAdvert *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAdvert a = {};
        const uint8_t *mac;
        uint8_t b0, b1;
        size_t left;
        int r;

        r = tt_get_u8(&rd, "protocolType", &b0);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "protocolVersion", &b1);
        if (r < 0)
                return r;
        r = advert_special_header(b0, b1, e);
        if (r < 0)
                return r;

        if (b0 == 5 && b1 == 3) {
                /* V3 (§6): scene, flags, battery follow the header directly. */
                a.protocol_type = b0;
                a.protocol_version = b1;
        } else {
                /* Other headers (§6, official and [RR]): protocolType at byte 4, version at 5,
                 * scene at 7, flags at 8, battery at 9. */
                r = tt_skip(&rd, "bytes before protocolType", 2);
                if (r < 0)
                        return r;
                r = tt_get_u8(&rd, "protocolType", &a.protocol_type);
                if (r < 0)
                        return r;
                r = tt_get_u8(&rd, "protocolVersion", &a.protocol_version);
                if (r < 0)
                        return r;
                r = tt_skip(&rd, "byte before scene", 1);
                if (r < 0)
                        return r;
        }

        r = tt_get_u8(&rd, "scene", &a.scene);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "flags", &a.flags);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "battery", &a.battery);
        if (r < 0)
                return r;

        /* §6: locks older than V2S_PLUS (protocolType < 5, or 5.1) broadcast no state bytes, so
         * what we just read would be noise. */
        if (a.protocol_type < 5 || (a.protocol_type == 5 && a.protocol_version == 1))
                return tt_error(e, -EBADMSG, "protocol %u.%u locks do not broadcast their state",
                                a.protocol_type, a.protocol_version);

        /* The MAC is the last 6 bytes, not at battery+4 as the official SDK reads it: real V3
         * locks carry 4–6 unknown bytes in between ([JS], [RR], §6). The state bytes and the MAC
         * must not overlap. */
        left = tt_reader_left(&rd);
        if (left > ADVERT_MAC_LEN) {
                r = tt_skip(&rd, "unknown bytes", left - ADVERT_MAC_LEN);
                if (r < 0)
                        return r;
        }
        r = tt_get_bytes(&rd, "MAC", ADVERT_MAC_LEN, &mac);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ADVERT_MAC_LEN; i++)
                a.address[i] = mac[ADVERT_MAC_LEN - 1 - i];

        a.unlocked = a.flags & TTLOCK_ADVERT_FLAG_UNLOCKED;
        a.new_events = a.flags & TTLOCK_ADVERT_FLAG_NEW_EVENTS;
        a.setting_mode = a.flags & TTLOCK_ADVERT_FLAG_SETTING_MODE;
        /* A bit test, not the logical AND of [JS] (§11 bug 5), which made every lock "touched". */
        a.touch = a.flags & TTLOCK_ADVERT_FLAG_TOUCH;
        a.dormant = a.flags & TTLOCK_ADVERT_FLAG_DORMANT;

        *ret = a;
        return 0;
}

int ttlock_advert_parse_bluez(uint16_t key, const uint8_t *value, size_t len, TTAdvert *ret,
                              TTError *e) {
        /* An AD structure's length is one byte, so no honest value is longer than 253 bytes. */
        uint8_t raw[2 + 253];
        TTWriter w = TT_WRITER(raw, sizeof(raw));
        size_t n;

        /* §1.5: BlueZ reports the first two bytes as the little-endian company id; put them back
         * in wire order before parsing the §6 layout. */
        tt_put_u8(&w, key & 0xFF);
        tt_put_u8(&w, key >> 8);
        tt_put_bytes(&w, value, len);
        if (tt_writer_finish(&w, &n, NULL) < 0)
                return tt_error(e, -EBADMSG, "manufacturer data of %zu bytes is longer than an AD structure",
                                len);

        return ttlock_advert_parse(raw, n, ret, e);
}

void ttlock_advert_build(TTWriter *w, const TTAdvert *a) {
        static const uint8_t unknown[ADVERT_UNKNOWN_LEN] = {};

        /* V3 layout of §6: 5 known bytes, 6 of unknown meaning (zeros), MAC reversed = 17 bytes,
         * the size of the real locks' manufacturer data (AD length 0x12, §6). */
        tt_put_u8(w, a->protocol_type);
        tt_put_u8(w, a->protocol_version);
        tt_put_u8(w, a->scene);
        tt_put_u8(w, a->flags);
        tt_put_u8(w, a->battery);
        tt_put_bytes(w, unknown, sizeof(unknown));
        for (size_t i = 0; i < ADVERT_MAC_LEN; i++)
                tt_put_u8(w, a->address[ADVERT_MAC_LEN - 1 - i]);
}

char *ttlock_address_to_string(const uint8_t address[6], char out[18]) {
        /* Always two digits per byte: kind3r/ttlock-sdk-js#10 lost the zero of 0x0? bytes. */
        (void) snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X",
                        address[0], address[1], address[2], address[3], address[4], address[5]);
        return out;
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int ttlock_address_from_string(const char *s, uint8_t ret[6]) {
        uint8_t a[6];

        if (!s || strlen(s) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++) {
                int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

                if (hi < 0 || lo < 0)
                        return -EINVAL;
                if (i < 5 && s[3 * i + 2] != ':')
                        return -EINVAL;
                a[i] = (uint8_t) (hi << 4 | lo);
        }

        memcpy(ret, a, sizeof(a));
        return 0;
}
