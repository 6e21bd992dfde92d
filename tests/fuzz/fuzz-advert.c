/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Advertisement manufacturer data (advert.h, doc/protocol.md §1.5, §6). Raw bytes and BlueZ's
 * (key, value) form must decode alike — BlueZ reports the first two bytes as a little-endian key —
 * and a decoded advert must survive ttlock_advert_build() and a second parse, as must its address
 * through the string helpers. */

#include <strings.h>

#include "advert.h"
#include "fuzz.h"

static bool advert_eq(const TTAdvert *a, const TTAdvert *b) {
        return a->protocol_type == b->protocol_type && a->protocol_version == b->protocol_version &&
               a->scene == b->scene && a->flags == b->flags && a->battery == b->battery &&
               a->unlocked == b->unlocked && a->new_events == b->new_events &&
               a->setting_mode == b->setting_mode && a->touch == b->touch && a->dormant == b->dormant &&
               memcmp(a->address, b->address, sizeof(a->address)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TTAdvert a = {}, b = {}, c = {};
        TTError e = {}, e2 = {}, e3 = {};
        uint8_t buf[64], address[6];
        char text[18];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len = 0;
        int r, r2;

        r = ttlock_advert_parse(data, size, &a, &e);
        fuzz_check_result("ttlock_advert_parse", r, &e);

        /* BlueZ's form refuses values longer than an AD structure can carry (advert.c); the raw
         * parser has no such limit, so the two are compared where a real advert can exist. */
        if (size >= 2 && size <= 2 + 253) {
                r2 = ttlock_advert_parse_bluez((uint16_t) (data[0] | data[1] << 8), data + 2, size - 2, &b, &e2);
                fuzz_check_result("ttlock_advert_parse_bluez", r2, &e2);
                fuzz_check((r < 0) == (r2 < 0), "raw form %d, BlueZ form %d", r, r2);
                if (r >= 0)
                        fuzz_check(advert_eq(&a, &b), "raw and BlueZ forms decode differently");
        }
        /* Arbitrary text must not crash the address parser, and what it accepts must print back the
         * same up to case. */
        if (size <= 32) {
                char s[33];
                char back[18];

                memcpy(s, data, size);
                s[size] = '\0';
                if (ttlock_address_from_string(s, address) >= 0) {
                        ttlock_address_to_string(address, back);
                        fuzz_check(strcasecmp(back, s) == 0, "\"%s\" parsed, prints as \"%s\"", s, back);
                }
        }
        if (r < 0)
                return 0;

        /* The flag booleans are views of the flags byte (§6). */
        fuzz_check(a.new_events == !!(a.flags & TTLOCK_ADVERT_FLAG_NEW_EVENTS) &&
                   a.setting_mode == !!(a.flags & TTLOCK_ADVERT_FLAG_SETTING_MODE) &&
                   a.dormant == !!(a.flags & TTLOCK_ADVERT_FLAG_DORMANT),
                   "booleans disagree with flags 0x%02x", a.flags);
        /* The MAC is the last six bytes, reversed (§6). */
        for (size_t i = 0; i < 6; i++)
                fuzz_check(a.address[i] == data[size - 1 - i], "address byte %zu is not from the tail", i);

        /* The builder speaks V3 only (advert.h); other generations use another layout (§6). */
        if (a.protocol_type != 5 || a.protocol_version != 3)
                return 0;

        ttlock_advert_build(&w, &a);
        r = tt_writer_finish(&w, &len, &e3);
        fuzz_check_result("tt_writer_finish", r, &e3);
        fuzz_check(r >= 0, "building the advert failed: %s", e3.message);

        e3 = (TTError) {};
        r = ttlock_advert_parse(buf, len, &c, &e3);
        fuzz_check_result("ttlock_advert_parse (rebuilt)", r, &e3);
        fuzz_check(r >= 0, "the rebuilt advert does not parse: %s", e3.message);
        fuzz_check(advert_eq(&a, &c), "the rebuilt advert decodes differently");

        fuzz_check(ttlock_address_to_string(a.address, text) == text, "address_to_string returns another buffer");
        fuzz_check(strlen(text) == 17, "address string \"%s\"", text);
        r = ttlock_address_from_string(text, address);
        fuzz_check(r >= 0 && memcmp(address, a.address, 6) == 0, "address \"%s\" does not parse back", text);

        return 0;
}
