/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "crc.h"
#include "macro.h"
#include "tt-test.h"

/* The standard reflected-0x8C bit loop, i.e. the Maxim table the lock's differs from (§2.5). */
static uint8_t maxim_entry(uint8_t i) {
        uint8_t c = i;

        for (int k = 0; k < 8; k++)
                c = c & 1 ? (uint8_t) ((c >> 1) ^ 0x8C) : (uint8_t) (c >> 1);
        return c;
}

static uint8_t maxim_crc(const uint8_t *d, size_t n) {
        uint8_t c = 0;

        for (size_t i = 0; i < n; i++)
                c = maxim_entry(c ^ d[i]);
        return c;
}

static uint8_t crc_hex(const char *hex, bool maxim) {
        uint8_t b[256];
        size_t n = tt_unhex(hex, b, sizeof(b));
        return maxim ? maxim_crc(b, n) : ttlock_crc8(b, n);
}

START_TEST(test_table_is_maxim_except_0x21) {
        for (unsigned i = 0; i < 256; i++) {
                if (i == 0x21)
                        continue;
                ck_assert_msg(ttlock_crc8_table((uint8_t) i) == maxim_entry((uint8_t) i),
                              "T[0x%02x] = 0x%02x, Maxim 0x%02x", i, ttlock_crc8_table((uint8_t) i),
                              maxim_entry((uint8_t) i));
        }
        ck_assert_uint_eq(maxim_entry(0x21), 0x7D);
        ck_assert_uint_eq(ttlock_crc8_table(0x21), 0x07);
}
END_TEST

START_TEST(test_table_rows_of_spec) {
        uint8_t row[16];

        /* §2.5 prints these two rows. */
        for (unsigned i = 0; i < 16; i++)
                row[i] = ttlock_crc8_table((uint8_t) i);
        tt_assert_hex_eq(row, 16, "00 5e bc e2 61 3f dd 83 c2 9c 7e 20 a3 fd 1f 41");
        for (unsigned i = 0; i < 16; i++)
                row[i] = ttlock_crc8_table((uint8_t) (0x20 + i));
        tt_assert_hex_eq(row, 16, "23 07 9f c1 42 1c fe a0 e1 bf 5d 03 80 de 3c 62");
}
END_TEST

START_TEST(test_check_values) {
        /* §10.2, both columns. */
        ck_assert_uint_eq(crc_hex("21", false), 0x07);
        ck_assert_uint_eq(crc_hex("21", true), 0x7d);
        ck_assert_uint_eq(ttlock_crc8((const uint8_t *) "123456789", 9), 0xa1);
        ck_assert_uint_eq(maxim_crc((const uint8_t *) "123456789", 9), 0xa1);
        ck_assert_uint_eq(crc_hex("7f5a0503010001000101aa00", false), 0x1c);
        ck_assert_uint_eq(crc_hex("7f5a0503010001000101aa00", true), 0x1c);
        /* V10 (CHECK_USER_TIME reply) and V13 (FUNCTION_LOCK request), without CRC and 0D 0A. */
        ck_assert_uint_eq(crc_hex("7f5a0503020001000154aa101438dc634b180feb192c058185b084a7", false), 0x8b);
        ck_assert_uint_eq(crc_hex("7f5a0503020001000154aa101438dc634b180feb192c058185b084a7", true), 0x5b);
        ck_assert_uint_eq(crc_hex("7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8b", false), 0xa0);
        ck_assert_uint_eq(crc_hex("7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8b", true), 0xf7);
        ck_assert_uint_eq(ttlock_crc8(NULL, 0), 0x00);
}
END_TEST

START_TEST(test_worked_example_states) {
        /* §2.5: the state after each byte of the SEARCH_DEVICE_FEATURE header. */
        static const uint8_t expected[12] = { 0xb9, 0x0b, 0x1f, 0x3e, 0xff, 0x35,
                                              0xdf, 0x16, 0x1e, 0xdc, 0x25, 0x1c };
        uint8_t h[12];
        uint8_t crc = 0;

        ck_assert_uint_eq(tt_unhex("7f 5a 05 03 01 00 01 00 01 01 aa 00", h, sizeof(h)), 12);
        for (size_t i = 0; i < sizeof(h); i++) {
                crc = ttlock_crc8_update(crc, h + i, 1);
                ck_assert_msg(crc == expected[i], "state after byte %zu is 0x%02x, expected 0x%02x", i, crc,
                              expected[i]);
        }
        ck_assert_uint_eq(ttlock_crc8(h, sizeof(h)), 0x1c);
}
END_TEST

START_TEST(test_incremental_equals_one_shot) {
        uint8_t d[64];

        for (size_t i = 0; i < sizeof(d); i++)
                d[i] = (uint8_t) (i * 37 + 0x21);
        for (size_t split = 0; split <= sizeof(d); split++)
                ck_assert_uint_eq(ttlock_crc8_update(ttlock_crc8(d, split), d + split, sizeof(d) - split),
                                  ttlock_crc8(d, sizeof(d)));
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("crc");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_table_is_maxim_except_0x21);
        tcase_add_test(tc, test_table_rows_of_spec);
        tcase_add_test(tc, test_check_values);
        tcase_add_test(tc, test_worked_example_states);
        tcase_add_test(tc, test_incremental_equals_one_shot);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
