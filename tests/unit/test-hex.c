/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "macro.h"
#include "tt-test.h"

START_TEST(test_parse_plain_and_separators) {
        uint8_t b[16];

        ck_assert_int_eq(hex_to_bytes("7f5a0503", b, sizeof(b)), 4);
        ck_assert_uint_eq(b[0], 0x7F);
        ck_assert_uint_eq(b[3], 0x03);
        /* btmon / bluetoothctl style dumps paste straight in. */
        ck_assert_int_eq(hex_to_bytes("7F:5A 05\t03\r\n0d0A", b, sizeof(b)), 6);
        tt_assert_hex_eq(b, 6, "7f5a05030d0a");
        ck_assert_int_eq(hex_to_bytes("", b, sizeof(b)), 0);
        ck_assert_int_eq(hex_to_bytes("  ", b, sizeof(b)), 0);
}
END_TEST

START_TEST(test_parse_rejects) {
        uint8_t b[2];

        ck_assert_int_eq(hex_to_bytes(NULL, b, sizeof(b)), -EINVAL);
        ck_assert_int_eq(hex_to_bytes("abc", b, sizeof(b)), -EINVAL);  /* odd digit count */
        ck_assert_int_eq(hex_to_bytes("a b", b, sizeof(b)), -EINVAL);  /* separator inside a byte */
        ck_assert_int_eq(hex_to_bytes("0g", b, sizeof(b)), -EINVAL);
        ck_assert_int_eq(hex_to_bytes("0x12", b, sizeof(b)), -EINVAL);
        ck_assert_int_eq(hex_to_bytes("010203", b, sizeof(b)), -ENOBUFS);
        ck_assert_int_eq(hex_to_bytes("0102", b, sizeof(b)), 2);
}
END_TEST

START_TEST(test_format) {
        const uint8_t d[] = { 0x00, 0x0A, 0xF0, 0xFF };
        char s[2 * sizeof(d) + 1];
        char *dup;

        ck_assert_str_eq(bytes_to_hex(d, sizeof(d), s), "000af0ff");
        ck_assert_str_eq(bytes_to_hex(d, 0, s), "");
        dup = hex_dup(d, sizeof(d));
        ck_assert_ptr_nonnull(dup);
        ck_assert_str_eq(dup, "000af0ff");
        free(dup);
}
END_TEST

START_TEST(test_round_trip_all_bytes) {
        uint8_t in[256], out[256];
        char s[2 * 256 + 1];

        for (size_t i = 0; i < sizeof(in); i++)
                in[i] = (uint8_t) i;
        ck_assert_int_eq(hex_to_bytes(bytes_to_hex(in, sizeof(in), s), out, sizeof(out)), 256);
        ck_assert_mem_eq(in, out, sizeof(in));
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("hex");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse_plain_and_separators);
        tcase_add_test(tc, test_parse_rejects);
        tcase_add_test(tc, test_format);
        tcase_add_test(tc, test_round_trip_all_bytes);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
