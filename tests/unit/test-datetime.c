/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "macro.h"
#include "tt-test.h"

#define DT(y, mo, d, h, mi, s) ((TTDateTime) { (y), (mo), (d), (h), (mi), (s) })

static void assert_dt_eq(const TTDateTime *a, const TTDateTime *b) {
        ck_assert_msg(ttlock_datetime_equal(a, b),
                      "%04u-%02u-%02u %02u:%02u:%02u != %04u-%02u-%02u %02u:%02u:%02u", a->year, a->month,
                      a->day, a->hour, a->minute, a->second, b->year, b->month, b->day, b->hour, b->minute,
                      b->second);
}

START_TEST(test_encode_v5) {
        TTDateTime t = DT(2021, 1, 19, 12, 34, 56);
        uint8_t b[6];

        /* §4.2 / §10.3 V5: decimal bytes, not BCD (0x13 = 19, 0x22 = 34). */
        ck_assert_int_eq(ttlock_date6_encode(&t, b), 0);
        tt_assert_hex_eq(b, 6, "1501130c2238");
        ck_assert_int_eq(ttlock_date5_encode(&t, b), 0);
        tt_assert_hex_eq(b, 5, "1501130c22");
}
END_TEST

START_TEST(test_decode_round_trip) {
        TTDateTime t = DT(2021, 1, 19, 12, 34, 56), u;
        uint8_t b[6];

        ck_assert_int_eq(ttlock_date6_encode(&t, b), 0);
        ck_assert_int_eq(ttlock_date6_decode(b, &u, NULL), 0);
        assert_dt_eq(&u, &t);

        ck_assert_int_eq(ttlock_date5_encode(&t, b), 0);
        ck_assert_int_eq(ttlock_date5_decode(b, &u, NULL), 0);
        t.second = 0;
        assert_dt_eq(&u, &t);

        /* What looks like BCD "21" is the year 33. */
        tt_unhex("21 01 01 00 00 00", b, 6);
        ck_assert_int_eq(ttlock_date6_decode(b, &u, NULL), 0);
        ck_assert_uint_eq(u.year, 2033);

        /* The SDK's "permanent" ends (§4.2, [JS] DateConstant): 2000-01-01 00:00 and 2099-12-01 23:59. */
        tt_unhex("00 01 01 00 00", b, 5);
        ck_assert_int_eq(ttlock_date5_decode(b, &u, NULL), 0);
        assert_dt_eq(&u, &DT(2000, 1, 1, 0, 0, 0));
        tt_unhex("63 0c 01 17 3b", b, 5);
        ck_assert_int_eq(ttlock_date5_decode(b, &u, NULL), 0);
        assert_dt_eq(&u, &DT(2099, 12, 1, 23, 59, 0));
}
END_TEST

START_TEST(test_validity) {
        ck_assert(ttlock_datetime_valid(&DT(2000, 2, 29, 0, 0, 0)));  /* divisible by 400 */
        ck_assert(ttlock_datetime_valid(&DT(2024, 2, 29, 23, 59, 59)));
        ck_assert(!ttlock_datetime_valid(&DT(2023, 2, 29, 0, 0, 0)));
        ck_assert(ttlock_datetime_valid(&DT(2023, 2, 28, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 4, 31, 0, 0, 0)));
        ck_assert(ttlock_datetime_valid(&DT(2021, 12, 31, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 13, 1, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 0, 1, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 1, 0, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 1, 1, 24, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 1, 1, 0, 60, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2021, 1, 1, 0, 0, 60)));
        ck_assert(!ttlock_datetime_valid(&DT(1999, 12, 31, 0, 0, 0)));
        ck_assert(!ttlock_datetime_valid(&DT(2100, 1, 1, 0, 0, 0)));
        ck_assert(ttlock_datetime_valid(&DT(2099, 12, 31, 23, 59, 59)));
        ck_assert(!ttlock_datetime_valid(NULL));
}
END_TEST

START_TEST(test_encode_rejects) {
        uint8_t b[6] = { 1, 2, 3, 4, 5, 6 };

        ck_assert_int_eq(ttlock_date6_encode(&DT(2023, 2, 29, 0, 0, 0), b), -EINVAL);
        ck_assert_int_eq(ttlock_date5_encode(&DT(2100, 1, 1, 0, 0, 0), b), -EINVAL);
        ck_assert_int_eq(ttlock_date6_encode(&DT(2021, 1, 1, 0, 0, 61), b), -EINVAL);
        tt_assert_hex_eq(b, 6, "010203040506");
}
END_TEST

static void expect_bad6(const char *hex, const char *message) {
        uint8_t b[6];
        TTDateTime t = DT(1, 1, 1, 1, 1, 1);
        TTError e = {};

        ck_assert_uint_eq(tt_unhex(hex, b, sizeof(b)), 6);
        ck_assert_int_eq(ttlock_date6_decode(b, &t, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), message);
        ck_assert_uint_eq(t.year, 1);
}

START_TEST(test_decode_rejects) {
        expect_bad6("64 01 01 00 00 00", "year 100 (0x64) is out of range 0-99");
        expect_bad6("15 0d 01 00 00 00", "month 13 (0x0d) is out of range 0-12");
        expect_bad6("15 00 01 00 00 00", "month 0 does not exist");
        expect_bad6("15 01 20 00 00 00", "day 32 (0x20) is out of range 0-31");
        expect_bad6("15 02 1d 00 00 00", "day 29 does not exist in 2021-02");
        expect_bad6("15 04 1f 00 00 00", "day 31 does not exist in 2021-04");
        expect_bad6("15 04 00 00 00 00", "day 0 does not exist in 2021-04");
        expect_bad6("15 01 01 18 00 00", "hour 24 (0x18) is out of range 0-23");
        expect_bad6("15 01 01 00 3c 00", "minute 60 (0x3c) is out of range 0-59");
        expect_bad6("15 01 01 00 00 3c", "second 60 (0x3c) is out of range 0-59");
        /* V5's time written in BCD by mistake (the [RR] bug of §4.2) decodes to a different but valid
         * date in general; it is caught only when a group leaves its range, as the seconds do here. */
        expect_bad6("21 01 19 12 34 56", "second 86 (0x56) is out of range 0-59");
}
END_TEST

START_TEST(test_leap_decode) {
        uint8_t b[5];
        TTDateTime t;

        tt_unhex("18 02 1d 00 00", b, 5); /* 2024-02-29 */
        ck_assert_int_eq(ttlock_date5_decode(b, &t, NULL), 0);
        tt_unhex("00 02 1d 00 00", b, 5); /* 2000-02-29 */
        ck_assert_int_eq(ttlock_date5_decode(b, &t, NULL), 0);
        tt_unhex("19 02 1d 00 00", b, 5); /* 2025-02-29 */
        ck_assert_int_eq(ttlock_date5_decode(b, &t, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_unix_known) {
        TTDateTime t;

        /* §10.3 V12: ts 1611059696 is V5's 2021-01-19 12:34:56 (UTC). */
        ck_assert_int_eq(ttlock_datetime_to_unix(&DT(2021, 1, 19, 12, 34, 56)), 1611059696);
        ck_assert_int_eq(ttlock_datetime_from_unix(1611059696, &t), 0);
        assert_dt_eq(&t, &DT(2021, 1, 19, 12, 34, 56));

        ck_assert_int_eq(ttlock_datetime_to_unix(&DT(2000, 1, 1, 0, 0, 0)), 946684800);
        ck_assert_int_eq(ttlock_datetime_to_unix(&DT(2099, 12, 31, 23, 59, 59)), INT64_C(4102444799));
        ck_assert_int_eq(ttlock_datetime_to_unix(&DT(2000, 2, 29, 0, 0, 0)), 951782400);
        ck_assert_int_eq(ttlock_datetime_to_unix(&DT(2000, 3, 1, 0, 0, 0)), 951868800);
}
END_TEST

START_TEST(test_unix_range) {
        TTDateTime t = DT(1, 1, 1, 1, 1, 1);

        ck_assert_int_eq(ttlock_datetime_from_unix(946684799, &t), -ERANGE);
        ck_assert_int_eq(ttlock_datetime_from_unix(INT64_C(4102444800), &t), -ERANGE);
        ck_assert_int_eq(ttlock_datetime_from_unix(-1, &t), -ERANGE);
        ck_assert_int_eq(ttlock_datetime_from_unix(INT64_MIN, &t), -ERANGE);
        ck_assert_int_eq(ttlock_datetime_from_unix(INT64_MAX, &t), -ERANGE);
        ck_assert_uint_eq(t.year, 1);
        ck_assert_int_eq(ttlock_datetime_from_unix(946684800, &t), 0);
        assert_dt_eq(&t, &DT(2000, 1, 1, 0, 0, 0));
        ck_assert_int_eq(ttlock_datetime_from_unix(INT64_C(4102444799), &t), 0);
        assert_dt_eq(&t, &DT(2099, 12, 31, 23, 59, 59));
}
END_TEST

/* Sets the fields one by one over a filled struct, so that the padding keeps the fill byte. */
static void set_dt(TTDateTime *t, uint8_t fill, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                   unsigned s) {
        memset(t, fill, sizeof(*t));
        t->year = (uint16_t) y;
        t->month = (uint8_t) mo;
        t->day = (uint8_t) d;
        t->hour = (uint8_t) h;
        t->minute = (uint8_t) mi;
        t->second = (uint8_t) s;
}

START_TEST(test_equal) {
        TTDateTime a, b;

        /* Same fields, different padding: equal, although their bytes differ. */
        set_dt(&a, 0x00, 2021, 1, 19, 12, 34, 56);
        set_dt(&b, 0xA5, 2021, 1, 19, 12, 34, 56);
        ck_assert(ttlock_datetime_equal(&a, &b));
        ck_assert(ttlock_datetime_equal(&b, &a));
        ck_assert(ttlock_datetime_equal(&a, &a));
        if (sizeof(TTDateTime) > 7)
                ck_assert(memcmp(&a, &b, sizeof(a)) != 0);

        /* Any one field differs: not equal, either way round. */
        for (unsigned field = 0; field < 6; field++) {
                unsigned v[6] = { 2021, 1, 19, 12, 34, 56 };

                v[field]++;
                set_dt(&b, 0x00, v[0], v[1], v[2], v[3], v[4], v[5]);
                ck_assert_msg(!ttlock_datetime_equal(&a, &b), "field %u ignored", field);
                ck_assert_msg(!ttlock_datetime_equal(&b, &a), "field %u ignored", field);
        }

        /* Decoded dates compare by value whatever the destination held before. */
        uint8_t bytes[6];
        set_dt(&a, 0x00, 2021, 1, 19, 12, 34, 56);
        ck_assert_int_eq(ttlock_date6_encode(&a, bytes), 0);
        memset(&b, 0x5A, sizeof(b));
        ck_assert_int_eq(ttlock_date6_decode(bytes, &b, NULL), 0);
        ck_assert(ttlock_datetime_equal(&a, &b));
}
END_TEST

START_TEST(test_unix_every_day_against_timegm) {
        /* The library may not use libc's time functions; the test uses timegm() as an independent
         * oracle for every day of the lock's century, at a time of day that exercises all fields. */
        for (int64_t s = 946684800 + 3723; s < INT64_C(4102444800); s += 86400) {
                TTDateTime t;
                struct tm tm;
                time_t tt = (time_t) s;

                ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
                ck_assert_int_eq(ttlock_datetime_from_unix(s, &t), 0);
                assert_dt_eq(&t, &DT(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                                     tm.tm_sec));
                ck_assert(ttlock_datetime_valid(&t));
                ck_assert_int_eq(ttlock_datetime_to_unix(&t), s);
                ck_assert_int_eq((int64_t) timegm(&tm), s);
        }
}
END_TEST

/* §4.10: BCD dates as [RR] writes CHECK_USER_TIME windows; decimal first, BCD when decimal is no date. */
START_TEST(test_bcd) {
        static const TTDateTime t = { 2099, 11, 30, 14, 0, 0 };
        uint8_t b[5], in[5] = { 0x00, 0x01, 0x31, 0x14, 0x00 };
        TTReader r = TT_READER(in, sizeof(in), NULL);
        TTDateEncoding enc = TTLOCK_DATE_DECIMAL;
        TTDateTime d;
        TTError e = {};

        ck_assert_int_eq(ttlock_date5_encode_bcd(&t, b), 0);
        ck_assert_mem_eq(b, "\x99\x11\x30\x14\x00", 5);
        ck_assert_int_eq(ttlock_date5_decode_bcd(b, &d, NULL), 0);
        ck_assert(ttlock_datetime_equal(&d, &t));

        /* 00 01 31 14 00: day 49 as decimal bytes, 2000-01-31 14:00 as BCD. */
        ck_assert_int_eq(ttlock_get_date5_lenient(&r, "start", &d, &enc), 0);
        ck_assert_int_eq(enc, TTLOCK_DATE_BCD);
        ck_assert_uint_eq(d.day, 31);
        ck_assert_uint_eq(d.hour, 14);

        /* Where both readings are dates, decimal wins (§4.2): 0x15 = 21 → 2021. */
        in[0] = 0x15;
        in[2] = 0x13;
        r = TT_READER(in, sizeof(in), NULL);
        ck_assert_int_eq(ttlock_get_date5_lenient(&r, "start", &d, &enc), 0);
        ck_assert_int_eq(enc, TTLOCK_DATE_DECIMAL);
        ck_assert_uint_eq(d.year, 2021);

        /* Neither: a nibble above 9 is no BCD. */
        in[1] = 0x1a;
        r = TT_READER(in, sizeof(in), &e);
        ck_assert_int_eq(ttlock_get_date5_lenient(&r, "start", &d, &enc), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "start at offset 0: month 26 (0x1a) is out of range 0-12 (and not a BCD date either)");
        ck_assert_uint_eq(r.pos, 0);
        e = (TTError){};
        ck_assert_int_eq(ttlock_date5_decode_bcd(in, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "byte 1 (0x1a) is not two BCD digits");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("datetime");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_encode_v5);
        tcase_add_test(tc, test_decode_round_trip);
        tcase_add_test(tc, test_validity);
        tcase_add_test(tc, test_encode_rejects);
        tcase_add_test(tc, test_decode_rejects);
        tcase_add_test(tc, test_leap_decode);
        tcase_add_test(tc, test_unix_known);
        tcase_add_test(tc, test_unix_range);
        tcase_add_test(tc, test_unix_every_day_against_timegm);
        tcase_add_test(tc, test_equal);
        tcase_add_test(tc, test_bcd);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
