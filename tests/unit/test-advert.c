/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "advert.h"
#include "tt-test.h"

static const uint8_t mac_aabbcc112233[6] = { 0xAA, 0xBB, 0xCC, 0x11, 0x22, 0x33 };

START_TEST(test_bluez_vector_10_4) {
        /* §10.4 ([RR] synthetic layout): key 0x0305, value 02 <flags> 57 00000000 332211ccbbaa
         * ⇒ scene 2, battery 87, MAC AA:BB:CC:11:22:33. Flags: unlocked + pairable. */
        uint8_t value[32];
        size_t n = tt_unhex("02 05 57 00000000 33 22 11 cc bb aa", value, sizeof(value));
        TTAdvert a;
        TTError e = {};
        char s[18];

        ck_assert_int_eq(ttlock_advert_parse_bluez(TTLOCK_ADVERT_BLUEZ_KEY_V3, value, n, &a, &e), 0);
        ck_assert_uint_eq(a.protocol_type, 5);
        ck_assert_uint_eq(a.protocol_version, 3);
        ck_assert_uint_eq(a.scene, 2);
        ck_assert_uint_eq(a.battery, 87);
        ck_assert_uint_eq(a.flags, 0x05);
        ck_assert(a.unlocked);
        ck_assert(a.setting_mode);
        ck_assert(!a.new_events);
        ck_assert(!a.touch);
        ck_assert(!a.dormant);
        ck_assert_mem_eq(a.address, mac_aabbcc112233, 6);
        ck_assert_str_eq(ttlock_address_to_string(a.address, s), "AA:BB:CC:11:22:33");
}
END_TEST

START_TEST(test_raw_vector_6_unknown_bytes) {
        /* The real-lock size: 17 bytes, 6 unknown between battery and MAC (§6, §13). */
        uint8_t raw[32];
        size_t n = tt_unhex("0503 02 1a 64 b000f4f95365 fe711de53838", raw, sizeof(raw));
        TTAdvert a;
        char s[18];

        ck_assert_uint_eq(n, 17);
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, NULL), 0);
        ck_assert_uint_eq(a.battery, 100);
        ck_assert(a.new_events);
        ck_assert(a.touch);
        ck_assert(a.dormant);
        ck_assert(!a.unlocked);
        ck_assert(!a.setting_mode);
        ck_assert_str_eq(ttlock_address_to_string(a.address, s), "38:38:E5:1D:71:FE");
}
END_TEST

START_TEST(test_each_flag_alone) {
        static const uint8_t masks[] = {
                TTLOCK_ADVERT_FLAG_UNLOCKED, TTLOCK_ADVERT_FLAG_NEW_EVENTS, TTLOCK_ADVERT_FLAG_SETTING_MODE,
                TTLOCK_ADVERT_FLAG_TOUCH, TTLOCK_ADVERT_FLAG_DORMANT, 0x00, 0xE0,
        };

        for (size_t i = 0; i < ELEMENTSOF(masks); i++) {
                uint8_t raw[32];
                size_t n = tt_unhex("0503 02 00 57 00000000 332211ccbbaa", raw, sizeof(raw));
                TTAdvert a;

                raw[3] = masks[i];
                ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, NULL), 0);
                ck_assert_uint_eq(a.flags, masks[i]);
                ck_assert(a.unlocked == (masks[i] == TTLOCK_ADVERT_FLAG_UNLOCKED));
                ck_assert(a.new_events == (masks[i] == TTLOCK_ADVERT_FLAG_NEW_EVENTS));
                ck_assert(a.setting_mode == (masks[i] == TTLOCK_ADVERT_FLAG_SETTING_MODE));
                /* Not the [JS] logical AND, which made every advert "touched" (§11.5). */
                ck_assert(a.touch == (masks[i] == TTLOCK_ADVERT_FLAG_TOUCH));
                ck_assert(a.dormant == (masks[i] == TTLOCK_ADVERT_FLAG_DORMANT));
        }
}
END_TEST

START_TEST(test_build_round_trip) {
        TTAdvert in = {
                .protocol_type = 5,
                .protocol_version = 3,
                .scene = 2,
                .flags = TTLOCK_ADVERT_FLAG_SETTING_MODE | TTLOCK_ADVERT_FLAG_NEW_EVENTS,
                .battery = 87,
                .address = { 0xAA, 0xBB, 0xCC, 0x11, 0x22, 0x33 },
        }, out;
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;

        ttlock_advert_build(&w, &in);
        ck_assert_int_eq(tt_writer_finish(&w, &len, NULL), 0);
        tt_assert_hex_eq(buf, len, "0503 02 06 57 000000000000 332211ccbbaa");

        ck_assert_int_eq(ttlock_advert_parse(buf, len, &out, NULL), 0);
        ck_assert_uint_eq(out.scene, 2);
        ck_assert_uint_eq(out.flags, in.flags);
        ck_assert(out.setting_mode && out.new_events && !out.unlocked);
        ck_assert_uint_eq(out.battery, 87);
        ck_assert_mem_eq(out.address, in.address, 6);

        /* And in BlueZ's form: the first two bytes become the key. */
        ck_assert_int_eq(ttlock_advert_parse_bluez((uint16_t) (buf[0] | buf[1] << 8), buf + 2, len - 2,
                                                   &out, NULL), 0);
        ck_assert_mem_eq(out.address, in.address, 6);
}
END_TEST

START_TEST(test_build_too_small) {
        TTAdvert in = { .protocol_type = 5, .protocol_version = 3 };
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTError e = {};

        ttlock_advert_build(&w, &in);
        ck_assert_int_eq(tt_writer_finish(&w, NULL, &e), -ENOBUFS);
}
END_TEST

START_TEST(test_other_header_offsets) {
        /* §6: non-(5,3) headers carry protocolType at 4, version at 5, scene at 7, flags at 8,
         * battery at 9. Here a 5.4 (V2S_PLUS) lock. */
        uint8_t raw[32];
        size_t n = tt_unhex("0102 aabb 05 04 cc 01 09 50 0000 665544332211", raw, sizeof(raw));
        TTAdvert a;
        TTError e = {};
        char s[18];

        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, &e), 0);
        ck_assert_uint_eq(a.protocol_type, 5);
        ck_assert_uint_eq(a.protocol_version, 4);
        ck_assert_uint_eq(a.scene, 1);
        ck_assert_uint_eq(a.flags, 0x09);
        ck_assert(a.unlocked && a.touch);
        ck_assert_uint_eq(a.battery, 0x50);
        ck_assert_str_eq(ttlock_address_to_string(a.address, s), "11:22:33:44:55:66");
}
END_TEST

START_TEST(test_reject_special_and_old) {
        uint8_t raw[32];
        size_t n;
        TTAdvert a, untouched;
        TTError e = {};

        memset(&a, 0x5A, sizeof(a));
        memcpy(&untouched, &a, sizeof(untouched)); /* not `=`, which need not copy padding */

        n = tt_unhex("ffff 02 05 57 00000000 332211ccbbaa", raw, sizeof(raw));
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "advert header ff ff is a DFU mode device, not a lock");
        ck_assert_mem_eq(&a, &untouched, sizeof(a));

        e = (TTError) {};
        n = tt_unhex("3412 02 05 57 00000000 332211ccbbaa", raw, sizeof(raw));
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "advert header 34 12 is a wristband device, not a lock");

        /* A V2 (protocol 3) lock in the other layout: it broadcasts no state. */
        e = (TTError) {};
        n = tt_unhex("0102 aabb 03 00 cc 00 00 00 0000 665544332211", raw, sizeof(raw));
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "protocol 3.0 locks do not broadcast their state");
        ck_assert_mem_eq(&a, &untouched, sizeof(a));
}
END_TEST

START_TEST(test_reject_truncated) {
        uint8_t raw[32];
        size_t n = tt_unhex("0503 02 05 57 00000000 332211ccbbaa", raw, sizeof(raw));
        TTAdvert a;
        TTError e = {};

        /* State bytes present but the MAC would overlap them. */
        ck_assert_int_eq(ttlock_advert_parse(raw, 10, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: MAC needs 6 bytes at offset 5, 5 left");

        e = (TTError) {};
        ck_assert_int_eq(ttlock_advert_parse(raw, 3, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: flags needs 1 byte at offset 3, 0 left");

        e = (TTError) {};
        ck_assert_int_eq(ttlock_advert_parse(raw, 1, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "truncated: protocolVersion needs 1 byte at offset 1, 0 left");

        /* Exactly 11 bytes: no unknown bytes at all, still a valid layout. */
        ck_assert_int_eq(ttlock_advert_parse(raw, 5, &a, NULL), -EBADMSG);
        n = tt_unhex("0503 02 05 57 332211ccbbaa", raw, sizeof(raw));
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, NULL), 0);
        ck_assert_mem_eq(a.address, mac_aabbcc112233, 6);

        /* Other layout, cut before the battery. */
        e = (TTError) {};
        n = tt_unhex("0102 aabb 05 04 cc 01 09", raw, sizeof(raw));
        ck_assert_int_eq(ttlock_advert_parse(raw, n, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: battery needs 1 byte at offset 9, 0 left");
}
END_TEST

START_TEST(test_reject_bluez_oversized) {
        static uint8_t value[300];
        TTAdvert a;
        TTError e = {};

        ck_assert_int_eq(ttlock_advert_parse_bluez(0x0305, value, sizeof(value), &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "manufacturer data of 300 bytes is longer than an AD structure");
        /* 253 bytes is the most an AD structure can hold, and parses. */
        memset(value, 0, sizeof(value));
        value[2] = 42;
        ck_assert_int_eq(ttlock_advert_parse_bluez(0x0305, value, 253, &a, NULL), 0);
        ck_assert_uint_eq(a.battery, 42);
}
END_TEST

START_TEST(test_address_to_string_zero_padding) {
        /* kind3r/ttlock-sdk-js#10: bytes below 0x10 lost their leading zero. */
        static const uint8_t addr[6] = { 0x0A, 0x0B, 0x01, 0x00, 0xFF, 0x10 };
        char s[18];

        ck_assert_str_eq(ttlock_address_to_string(addr, s), "0A:0B:01:00:FF:10");
}
END_TEST

START_TEST(test_address_from_string) {
        uint8_t a[6], before[6];

        ck_assert_int_eq(ttlock_address_from_string("aa:bb:cc:11:22:33", a), 0);
        ck_assert_mem_eq(a, mac_aabbcc112233, 6);
        ck_assert_int_eq(ttlock_address_from_string("0a:0B:01:00:fF:10", a), 0);
        ck_assert_uint_eq(a[0], 0x0A);
        ck_assert_uint_eq(a[4], 0xFF);

        memcpy(before, a, 6);
        ck_assert_int_eq(ttlock_address_from_string("AA-BB-CC-11-22-33", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("AABBCC112233", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("AA:BB:CC:11:22:3", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("AA:BB:CC:11:22:334", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("AA:BB:CC:11:22:3G", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("A:BB:CC:11:22:33:", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string("", a), -EINVAL);
        ck_assert_int_eq(ttlock_address_from_string(NULL, a), -EINVAL);
        ck_assert_mem_eq(a, before, 6);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("advert");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_bluez_vector_10_4);
        tcase_add_test(tc, test_raw_vector_6_unknown_bytes);
        tcase_add_test(tc, test_each_flag_alone);
        tcase_add_test(tc, test_build_round_trip);
        tcase_add_test(tc, test_build_too_small);
        tcase_add_test(tc, test_other_header_offsets);
        tcase_add_test(tc, test_reject_special_and_old);
        tcase_add_test(tc, test_reject_truncated);
        tcase_add_test(tc, test_reject_bluez_oversized);
        tcase_add_test(tc, test_address_to_string_zero_padding);
        tcase_add_test(tc, test_address_from_string);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
