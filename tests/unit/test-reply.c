/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "reply.h"
#include "tt-test.h"

static int parse_hex(const char *hex, uint8_t *buf, size_t size, TTReply *ret, TTError *e) {
        size_t n = tt_unhex(hex, buf, size);
        return ttlock_reply_parse(buf, n, ret, e);
}

START_TEST(test_success) {
        uint8_t b[32];
        TTReply r;

        /* §10.3 V10: CHECK_USER_TIME reply with psFromLock. */
        ck_assert_int_eq(parse_hex("5501 1a2b3c4d", b, sizeof(b), &r, NULL), 0);
        ck_assert_uint_eq(r.command, 0x55);
        ck_assert(r.success);
        ck_assert_uint_eq(r.error_code, 0);
        ck_assert_ptr_eq(r.data, b + 2);
        tt_assert_hex_eq(r.data, r.data_len, "1a2b3c4d");

        /* Status only (CHECK_RANDOM). */
        ck_assert_int_eq(parse_hex("3001", b, sizeof(b), &r, NULL), 0);
        ck_assert(r.success);
        ck_assert_uint_eq(r.data_len, 0);
}
END_TEST

START_TEST(test_failure) {
        uint8_t b[32];
        TTReply r;

        /* CHECK_USER_TIME failing with LOCK_USER_TIME_EXPIRED (§4.4). */
        ck_assert_int_eq(parse_hex("5500 0e", b, sizeof(b), &r, NULL), 0);
        ck_assert_uint_eq(r.command, 0x55);
        ck_assert(!r.success);
        ck_assert_uint_eq(r.error_code, 0x0E);
        tt_assert_hex_eq(r.data, r.data_len, "0e");

        /* Failure without a code: reported as 0. */
        ck_assert_int_eq(parse_hex("4700", b, sizeof(b), &r, NULL), 0);
        ck_assert(!r.success);
        ck_assert_uint_eq(r.error_code, 0);
        ck_assert_uint_eq(r.data_len, 0);
}
END_TEST

START_TEST(test_rejects) {
        uint8_t b[32] = {};
        TTError e1 = {}, e2 = {}, e3 = {};
        TTReply r = { .command = 0x99 };

        ck_assert_int_eq(ttlock_reply_parse(b, 0, &r, &e1), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e1), "truncated: echo needs 1 byte at offset 0, 0 left");
        ck_assert_int_eq(parse_hex("55", b, sizeof(b), &r, &e2), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e2), "truncated: status needs 1 byte at offset 1, 0 left");
        ck_assert_int_eq(parse_hex("5502 00", b, sizeof(b), &r, &e3), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e3),
                         "status byte 0x02 of the reply to 0x55 is neither 00 (failed) nor 01 (success)");
        ck_assert_uint_eq(r.command, 0x99);
}
END_TEST

START_TEST(test_encode_round_trip) {
        uint8_t b[16];
        TTWriter w = TT_WRITER(b, sizeof(b));
        size_t n;
        TTReply r;

        ttlock_reply_begin(&w, 0x14);
        tt_put_u8(&w, 80);
        tt_put_u8(&w, 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        tt_assert_hex_eq(b, n, "1401 50 00");
        ck_assert_int_eq(ttlock_reply_parse(b, n, &r, NULL), 0);
        ck_assert_uint_eq(r.command, 0x14);
        ck_assert(r.success);
        tt_assert_hex_eq(r.data, r.data_len, "5000");

        w = TT_WRITER(b, sizeof(b));
        ttlock_reply_error(&w, 0x03, 0x14);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        tt_assert_hex_eq(b, n, "0300 14");
        ck_assert_int_eq(ttlock_reply_parse(b, n, &r, NULL), 0);
        ck_assert(!r.success);
        ck_assert_uint_eq(r.error_code, 0x14);

        /* The writer's overflow rule applies. */
        w = TT_WRITER(b, 2);
        ttlock_reply_error(&w, 0x03, 0x14);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), -ENOBUFS);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("reply");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_success);
        tcase_add_test(tc, test_failure);
        tcase_add_test(tc, test_rejects);
        tcase_add_test(tc, test_encode_round_trip);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
