/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockctl's command-line parsing: LOCK arguments, dates, switches, schedules, exit codes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl-util.h"
#include "macro.h"
#include "tt-test.h"

/* Central European time with its DST rule, spelled out so that no tzdata is needed. */
static void set_tz(const char *tz) {
        setenv("TZ", tz, 1);
        tzset();
}

START_TEST(test_address) {
        char a[BT_ADDRESS_SIZE];

        ck_assert(bt_address_valid("AA:BB:CC:DD:EE:FF"));
        ck_assert(bt_address_valid("aa:bb:cc:0d:ee:f9"));
        ck_assert(!bt_address_valid("AA:BB:CC:DD:EE"));
        ck_assert(!bt_address_valid("AA:BB:CC:DD:EE:FF:"));
        ck_assert(!bt_address_valid("AA-BB-CC-DD-EE-FF"));
        ck_assert(!bt_address_valid("AA:BB:CC:DD:EE:FG"));
        ck_assert(!bt_address_valid(""));
        ck_assert(!bt_address_valid(NULL));

        ck_assert_int_eq(bt_address_normalize("aa:bb:cc:0d:ee:f9", a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:0D:EE:F9");
        strcpy(a, "untouched");
        ck_assert_int_eq(bt_address_normalize("front door", a), -EINVAL);
        ck_assert_str_eq(a, "untouched");
}
END_TEST

START_TEST(test_path) {
        char a[BT_ADDRESS_SIZE];
        char *p = NULL;

        ck_assert_int_eq(lock_path_new("aa:bb:cc:dd:ee:0f", &p), 0);
        ck_assert_str_eq(p, "/org/ttlock/Lock/AA_BB_CC_DD_EE_0F");
        ck_assert_int_eq(lock_path_to_address(p, a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:DD:EE:0F");
        free(p);

        ck_assert_int_eq(lock_path_new("not an address", &p), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/aa_bb_cc_dd_ee_0f", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA_BB_CC_DD_EE", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA_BB_CC_DD_EE_0F/x", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Manager", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA:BB:CC:DD:EE:0F", a), -EINVAL);

        ck_assert(object_path_is_valid("/"));
        ck_assert(object_path_is_valid("/org/ttlock/Lock/AA_BB_CC_DD_EE_0F"));
        ck_assert(!object_path_is_valid("/org/"));
        ck_assert(!object_path_is_valid("/org//ttlock"));
        ck_assert(!object_path_is_valid("/org/tt-lock"));
        ck_assert(!object_path_is_valid("org/ttlock"));
}
END_TEST

START_TEST(test_lock_spec) {
        LockSpecType t = LOCK_SPEC_ALIAS;

        ck_assert_int_eq(lock_spec_classify("aA:bb:cc:dd:ee:ff", &t), 0);
        ck_assert_int_eq(t, LOCK_SPEC_ADDRESS);
        ck_assert_int_eq(lock_spec_classify("/org/ttlock/Lock/AA_BB_CC_DD_EE_FF", &t), 0);
        ck_assert_int_eq(t, LOCK_SPEC_PATH);
        ck_assert_int_eq(lock_spec_classify("Front door", &t), 0);
        ck_assert_int_eq(t, LOCK_SPEC_ALIAS);
        /* Almost an address: an alias, and that is what the user gets told if nothing matches. */
        ck_assert_int_eq(lock_spec_classify("AA:BB:CC:DD:EE", &t), 0);
        ck_assert_int_eq(t, LOCK_SPEC_ALIAS);

        t = LOCK_SPEC_ADDRESS;
        ck_assert_int_eq(lock_spec_classify("", &t), -EINVAL);
        ck_assert_int_eq(lock_spec_classify("/not a path", &t), -EINVAL);
        ck_assert_int_eq(t, LOCK_SPEC_ADDRESS);

        const char *path = "/org/ttlock/Lock/AA_BB_CC_DD_EE_FF", *addr = "AA:BB:CC:DD:EE:FF";
        ck_assert(lock_spec_matches("aa:bb:cc:dd:ee:ff", path, addr, "Front"));
        ck_assert(lock_spec_matches(path, path, addr, "Front"));
        ck_assert(lock_spec_matches("Front", path, addr, "Front"));
        ck_assert(!lock_spec_matches("front", path, addr, "Front"));
        ck_assert(!lock_spec_matches("Front", path, addr, NULL));
        ck_assert(!lock_spec_matches("Front", path, addr, ""));
        ck_assert(!lock_spec_matches("AA:BB:CC:DD:EE:00", path, addr, "AA:BB:CC:DD:EE:00"));
        ck_assert(!lock_spec_matches("/org/ttlock/Lock/AA_BB_CC_DD_EE_00", path, addr, NULL));
        ck_assert(!lock_spec_matches("", path, addr, ""));
}
END_TEST

START_TEST(test_datetime_utc) {
        uint64_t u = 42;

        set_tz("UTC0");
        ck_assert_int_eq(parse_datetime_usec("2026-12-01T08:00", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796112000) * USEC_PER_SEC);
        ck_assert_int_eq(parse_datetime_usec("2026-12-01 08:00:30", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796112030) * USEC_PER_SEC);
        ck_assert_int_eq(parse_datetime_usec("2026-12-01", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796083200) * USEC_PER_SEC);
        ck_assert_int_eq(parse_datetime_usec("1970-01-01T00:00:00", &u), 0);
        ck_assert_uint_eq(u, 0);
        ck_assert_int_eq(parse_datetime_usec("2024-02-29T23:59:59", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1709251199) * USEC_PER_SEC);
}
END_TEST

START_TEST(test_datetime_local) {
        uint64_t u;

        set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
        /* Winter: UTC+1. */
        ck_assert_int_eq(parse_datetime_usec("2026-12-01T08:00", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796108400) * USEC_PER_SEC);
        /* Summer: UTC+2. */
        ck_assert_int_eq(parse_datetime_usec("2026-07-01T08:00", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1782885600) * USEC_PER_SEC);
        /* 02:30 does not exist on 29 March 2026 in this zone: refused, not moved. */
        u = 7;
        ck_assert_int_eq(parse_datetime_usec("2026-03-29T02:30", &u), -EINVAL);
        ck_assert_uint_eq(u, 7);
        /* An explicit offset wins over TZ. */
        ck_assert_int_eq(parse_datetime_usec("2026-12-01T08:00Z", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796112000) * USEC_PER_SEC);
        ck_assert_int_eq(parse_datetime_usec("2026-12-01T08:00+05:30", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796092200) * USEC_PER_SEC);
        ck_assert_int_eq(parse_datetime_usec("2026-12-01T08:00-0100", &u), 0);
        ck_assert_uint_eq(u, UINT64_C(1796115600) * USEC_PER_SEC);
}
END_TEST

START_TEST(test_datetime_bad) {
        static const char *const bad[] = {
                "",
                "2026",
                "2026-12",
                "2026-1-01",
                "2026-12-01T8:00",
                "2026-12-01T08",
                "2026-12-01T08:00:",
                "2026-12-01T08:00:5",
                "2026-12-01T24:00",
                "2026-12-01T23:60",
                "2026-13-01",
                "2026-00-10",
                "2026-02-30",
                "2025-02-29",
                "2026-12-01T08:00 ",
                "2026-12-01T08:00+25:00",
                "2026-12-01Z",
                "tomorrow",
                "+2026-12-01",
        };
        uint64_t u = 7;

        set_tz("UTC0");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(parse_datetime_usec(bad[i], &u) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_uint_eq(u, 7);
        ck_assert_int_eq(parse_datetime_usec("1969-12-31T23:59:59", &u), -ERANGE);
        ck_assert_int_eq(parse_datetime_usec(NULL, &u), -EINVAL);
}
END_TEST

START_TEST(test_format_timestamp) {
        char buf[64];

        set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
        ck_assert_str_eq(
                format_timestamp(UINT64_C(1796108400) * USEC_PER_SEC, false, buf, sizeof(buf)),
                "2026-12-01 08:00");
        ck_assert_str_eq(
                format_timestamp(UINT64_C(1796108430) * USEC_PER_SEC + 999, true, buf, sizeof(buf)),
                "2026-12-01 08:00:30");
        ck_assert_str_eq(format_timestamp(0, true, buf, sizeof(buf)), "-");
}
END_TEST

START_TEST(test_uint_boolean_autolock) {
        uint64_t v = 3;
        uint32_t s = 3;

        ck_assert_int_eq(parse_uint("0", 10, &v), 0);
        ck_assert_uint_eq(v, 0);
        ck_assert_int_eq(parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
        ck_assert_uint_eq(v, UINT64_MAX);
        ck_assert_int_eq(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
        ck_assert_int_eq(parse_uint("256", 255, &v), -ERANGE);
        ck_assert_int_eq(parse_uint("-1", 255, &v), -EINVAL);
        ck_assert_int_eq(parse_uint(" 1", 255, &v), -EINVAL);
        ck_assert_int_eq(parse_uint("", 255, &v), -EINVAL);
        ck_assert_uint_eq(v, UINT64_MAX);

        ck_assert_int_eq(parse_boolean("on"), 1);
        ck_assert_int_eq(parse_boolean("YES"), 1);
        ck_assert_int_eq(parse_boolean("1"), 1);
        ck_assert_int_eq(parse_boolean("Off"), 0);
        ck_assert_int_eq(parse_boolean("false"), 0);
        ck_assert_int_eq(parse_boolean("maybe"), -EINVAL);
        ck_assert_int_eq(parse_boolean(""), -EINVAL);

        ck_assert_int_eq(parse_autolock("off", &s), 0);
        ck_assert_uint_eq(s, 0);
        ck_assert_int_eq(parse_autolock("30", &s), 0);
        ck_assert_uint_eq(s, 30);
        ck_assert_int_eq(parse_autolock("30s", &s), 0);
        ck_assert_uint_eq(s, 30);
        ck_assert_int_eq(parse_autolock("2min", &s), 0);
        ck_assert_uint_eq(s, 120);
        ck_assert_int_eq(parse_autolock("4294967295", &s), 0);
        ck_assert_uint_eq(s, UINT32_MAX);
        ck_assert_int_eq(parse_autolock("4294967296", &s), -ERANGE);
        ck_assert_int_eq(parse_autolock("71582789min", &s), -ERANGE);
        ck_assert_int_eq(parse_autolock("s", &s), -EINVAL);
        ck_assert_int_eq(parse_autolock("min", &s), -EINVAL);
        ck_assert_int_eq(parse_autolock("5h", &s), -EINVAL);
        ck_assert_int_eq(parse_autolock("-5", &s), -EINVAL);
        ck_assert_uint_eq(s, UINT32_MAX);
}
END_TEST

START_TEST(test_passage) {
        PassageSchedule p = {};
        char buf[64];

        ck_assert_int_eq(parse_passage_schedule("mon-fri@08:00-18:00", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0x3e);
        ck_assert_uint_eq(p.start_minute, 480);
        ck_assert_uint_eq(p.end_minute, 1080);
        ck_assert_str_eq(format_weekdays(p.weekdays, buf, sizeof(buf)), "mon-fri");

        ck_assert_int_eq(parse_passage_schedule("Sat,SUN@9:30-23:59", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0xc0);
        ck_assert_uint_eq(p.start_minute, 570);
        ck_assert_uint_eq(p.end_minute, 1439);
        ck_assert_str_eq(format_weekdays(p.weekdays, buf, sizeof(buf)), "sat,sun");

        ck_assert_int_eq(parse_passage_schedule("1,3,5-7@00:00-00:30", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0xea);
        ck_assert_str_eq(format_weekdays(p.weekdays, buf, sizeof(buf)), "mon,wed,fri-sun");

        ck_assert_int_eq(parse_passage_schedule("daily@07:00-08:00", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0xfe);
        ck_assert_str_eq(format_weekdays(p.weekdays, buf, sizeof(buf)), "daily");
        ck_assert_int_eq(parse_passage_schedule("weekdays@07:00-08:00", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0x3e);
        ck_assert_int_eq(parse_passage_schedule("weekend@07:00-08:00", &p), 0);
        ck_assert_uint_eq(p.weekdays, 0xc0);
        ck_assert_str_eq(format_weekdays(0, buf, sizeof(buf)), "");

        static const char *const bad[] = {
                "mon-fri",
                "@08:00-18:00",
                "mon-fri@08:00",
                "mon-fri@0800-1800",
                "mon-fri@24:00-18:00",
                "mon-fri@08:60-18:00",
                "fri-mon@08:00-18:00",
                "mon,@08:00-18:00",
                "mon,,tue@08:00-18:00",
                "0@08:00-18:00",
                "8@08:00-18:00",
                "monday@08:00-18:00",
                "mon-fri@08:00-18:00-19:00",
        };
        p = (PassageSchedule){ .weekdays = 1 };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(parse_passage_schedule(bad[i], &p) == -EINVAL, "accepted \"%s\"", bad[i]);
        ck_assert_uint_eq(p.weekdays, 1);
}
END_TEST

START_TEST(test_exit_codes) {
        ck_assert_int_eq(exit_code_from_errno(0), 0);
        ck_assert_int_eq(exit_code_from_errno(-EINVAL), CTL_EXIT_INVALID_ARGS);
        ck_assert_int_eq(exit_code_from_errno(-EACCES), CTL_EXIT_ACCESS_DENIED);
        ck_assert_int_eq(exit_code_from_errno(-EOPNOTSUPP), CTL_EXIT_NOT_SUPPORTED);
        ck_assert_int_eq(exit_code_from_errno(-ENOENT), CTL_EXIT_NO_LOCK);
        ck_assert_int_eq(exit_code_from_errno(-ENXIO), CTL_EXIT_NO_LOCK);
        ck_assert_int_eq(exit_code_from_errno(-EINTR), CTL_EXIT_INTERRUPTED);
        ck_assert_int_eq(exit_code_from_errno(-ETIMEDOUT), CTL_EXIT_FAILURE);
        ck_assert_int_eq(exit_code_from_errno(-ENOTCONN), CTL_EXIT_FAILURE);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ctl-util");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_address);
        tcase_add_test(tc, test_path);
        tcase_add_test(tc, test_lock_spec);
        tcase_add_test(tc, test_datetime_utc);
        tcase_add_test(tc, test_datetime_local);
        tcase_add_test(tc, test_datetime_bad);
        tcase_add_test(tc, test_format_timestamp);
        tcase_add_test(tc, test_uint_boolean_autolock);
        tcase_add_test(tc, test_passage);
        tcase_add_test(tc, test_exit_codes);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
