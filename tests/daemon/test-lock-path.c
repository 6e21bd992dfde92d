/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "lock-path.h"
#include "macro.h"
#include "tt-test.h"

START_TEST(test_from_address) {
        char p[LOCK_PATH_SIZE];

        ck_assert_int_eq(lock_path_from_address("AA:BB:CC:DD:EE:FF", p), 0);
        ck_assert_str_eq(p, "/org/ttlock/Lock/AA_BB_CC_DD_EE_FF");
        /* any case in, upper case out: one lock, one path */
        ck_assert_int_eq(lock_path_from_address("38:38:e5:1d:71:fe", p), 0);
        ck_assert_str_eq(p, "/org/ttlock/Lock/38_38_E5_1D_71_FE");
        ck_assert_int_eq(lock_path_from_address("00:01:0a:Bc:9F:00", p), 0);
        ck_assert_str_eq(p, "/org/ttlock/Lock/00_01_0A_BC_9F_00");
}
END_TEST

START_TEST(test_from_address_rejects) {
        static const char *const bad[] = {
                "",
                "AA:BB:CC:DD:EE",
                "AA:BB:CC:DD:EE:FF:",
                "AA:BB:CC:DD:EE:FF:00",
                "AA-BB-CC-DD-EE-FF",
                "AA_BB_CC_DD_EE_FF",
                "AABBCCDDEEFF",
                "AA:BB:CC:DD:EE:FG",
                "A:BB:CC:DD:EE:FFF",
                " AA:BB:CC:DD:EE:F",
                "AA:BB:CC:DD:EE:F ",
                "AA:BB:CC:DD:EE:+F",
                "aa:bb:cc:dd:ee:f\n",
        };
        char p[LOCK_PATH_SIZE];

        memset(p, 'x', sizeof(p));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(lock_path_from_address(bad[i], p) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_int_eq(lock_path_from_address(NULL, p), -EINVAL);
        /* untouched on failure */
        for (size_t i = 0; i < sizeof(p); i++)
                ck_assert_int_eq(p[i], 'x');
}
END_TEST

START_TEST(test_to_address) {
        char a[BT_ADDRESS_SIZE];

        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA_BB_CC_DD_EE_FF", a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:DD:EE:FF");
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/00_11_22_33_44_55", a), 0);
        ck_assert_str_eq(a, "00:11:22:33:44:55");
}
END_TEST

START_TEST(test_to_address_rejects) {
        static const char *const bad[] = {
                "/org/ttlock/Lock/aa_bb_cc_dd_ee_ff", /* only the canonical spelling names a lock */
                "/org/ttlock/Lock/AA:BB:CC:DD:EE:FF",
                "/org/ttlock/Lock/AA_BB_CC_DD_EE",
                "/org/ttlock/Lock/AA_BB_CC_DD_EE_FF/x",
                "/org/ttlock/Lock/AA_BB_CC_DD_EE_FF_",
                "/org/ttlock/Lock",
                "/org/ttlock/Lock/",
                "/org/ttlock/LockAA_BB_CC_DD_EE_FF",
                "/org/ttlock/Locks/AA_BB_CC_DD_EE_FF",
                "/org/ttlock/Manager",
                "org/ttlock/Lock/AA_BB_CC_DD_EE_FF",
                "/org/ttlock/Lock/AA_BB_CC_DD_EE_GF",
        };
        char a[BT_ADDRESS_SIZE];

        memset(a, 'x', sizeof(a));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(lock_path_to_address(bad[i], a) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_int_eq(lock_path_to_address(NULL, a), -EINVAL);
        for (size_t i = 0; i < sizeof(a); i++)
                ck_assert_int_eq(a[i], 'x');
}
END_TEST

START_TEST(test_round_trip) {
        static const char *const addrs[] = { "AA:BB:CC:DD:EE:FF", "e6:06:a3:a8:98:bd", "00:00:00:00:00:00" };
        char p[LOCK_PATH_SIZE], a[BT_ADDRESS_SIZE], n[BT_ADDRESS_SIZE];

        for (size_t i = 0; i < ELEMENTSOF(addrs); i++) {
                ck_assert_int_eq(lock_path_from_address(addrs[i], p), 0);
                ck_assert_int_eq(lock_path_to_address(p, a), 0);
                ck_assert_int_eq(bt_address_normalize(addrs[i], n), 0);
                ck_assert_str_eq(a, n);
                ck_assert_int_eq(strcasecmp(a, addrs[i]), 0);
        }
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("lock-path");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_from_address);
        tcase_add_test(tc, test_from_address_rejects);
        tcase_add_test(tc, test_to_address);
        tcase_add_test(tc, test_to_address_rejects);
        tcase_add_test(tc, test_round_trip);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
