/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by the Check unit tests. */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "hex.h"

/* Parse hex (spaces allowed) into buf; fails the test on bad hex. Returns the byte count. */
static inline size_t tt_unhex(const char *hex, uint8_t *buf, size_t size) {
        int n = hex_to_bytes(hex, buf, size);
        ck_assert_msg(n >= 0, "bad hex in test: %s", hex);
        return (size_t) n;
}

/* Assert that (data, len) equals the bytes written in hex. */
#define tt_assert_hex_eq(data, len, hex)                                                    \
        do {                                                                                \
                uint8_t _exp[1024];                                                         \
                size_t _n = tt_unhex((hex), _exp, sizeof(_exp));                            \
                char _got[2 * 1024 + 1];                                                    \
                ck_assert_msg((size_t) (len) == _n && memcmp((data), _exp, _n) == 0,        \
                              "bytes differ:\n  got      %s\n  expected %s",               \
                              bytes_to_hex((data), MIN((size_t) (len), (size_t) 1024), _got), \
                              (hex));                                                       \
        } while (0)

/* Boilerplate main: each test file defines `static Suite *make_suite(void)`. */
#define TT_TEST_MAIN                                                        \
        int main(void) {                                                    \
                SRunner *sr = srunner_create(make_suite());                 \
                int failed;                                                 \
                srunner_run_all(sr, CK_NORMAL);                             \
                failed = srunner_ntests_failed(sr);                         \
                srunner_free(sr);                                           \
                return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;           \
        }
