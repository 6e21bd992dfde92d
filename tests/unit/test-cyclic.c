/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CYCLIC_CMD 0x70 and weekly windows (doc/protocol.md §4.3, §4.9): the exact bytes the official SDK
 * writes (four zero bytes after an add included), both forms an add arrives in, every user type, the
 * clear of all users of a type, ttlockd's passcode user, and what encoders and decoders refuse. */

#include <errno.h>
#include <string.h>

#include "cyclic.h"
#include "tt-test.h"

static void encodes(const TTCyclicRequest *q, const char *hex) {
        uint8_t b[64];
        TTWriter w = TT_WRITER(b, sizeof(b));
        TTError e = {};
        size_t n;

        ck_assert_msg(
                ttlock_cyclic_request_encode(&w, q, &e) == 0, "encode failed: %s", tt_error_message(&e));
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        tt_assert_hex_eq(b, n, hex);
}

static void encode_fails(const TTCyclicRequest *q, const char *message) {
        uint8_t b[64];
        TTWriter w = TT_WRITER(b, sizeof(b));
        TTError e = {};

        ck_assert_int_eq(ttlock_cyclic_request_encode(&w, q, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), message);
}

static TTCyclicRequest decodes(const char *hex) {
        uint8_t d[64];
        size_t n = tt_unhex(hex, d, sizeof(d));
        TTCyclicRequest q;
        TTError e = {};

        ck_assert_msg(
                ttlock_cyclic_request_decode(d, n, &q, &e) == 0,
                "decode of %s failed: %s",
                hex,
                tt_error_message(&e));
        return q;
}

static void decode_fails(const char *hex, const char *message) {
        uint8_t d[64];
        size_t n = tt_unhex(hex, d, sizeof(d));
        TTCyclicRequest q = { .op = 0x77 };
        TTError e = {};

        ck_assert_int_eq(ttlock_cyclic_request_decode(d, n, &q, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), message);
        ck_assert_uint_eq(q.op, 0x77); /* untouched */
}

/* The official SDK's addIcCyclicDate: Monday 08:30–17:45 for card 0xdeadbeef, 4 zero bytes at the end. */
START_TEST(test_add_card) {
        TTCyclicRequest q = { .op = TTLOCK_CYCLIC_OP_ADD,
                              .user_type = TTLOCK_CYCLIC_USER_IC,
                              .user = 3735928559u,
                              .user_size = 4 };
        TTCycle c = { .weekday = 1, .start_minute = 8 * 60 + 30, .end_minute = 17 * 60 + 45 }, back;
        TTCyclicRequest out;

        ttlock_cyclic_request_set_cycle(&q, &c);
        encodes(&q, "02 02 04 deadbeef 01 01 00 08 1e 11 2d 00000000");

        out = decodes("02 02 04 deadbeef 01 01 00 08 1e 11 2d 00000000");
        ck_assert(!out.unpadded);
        ck_assert_uint_eq(out.user, 3735928559u);
        ttlock_cyclic_request_get_cycle(&out, &back);
        ck_assert(ttlock_cycle_equal(&back, &c));

        /* Without the padding, as [JS]'s comment says only 7 bytes are needed: taken too. */
        out = decodes("02 02 04 deadbeef 01 01 00 08 1e 11 2d");
        ck_assert(out.unpadded);
        ck_assert_uint_eq(out.end_hour, 17);
        encodes(&out, "02 02 04 deadbeef 01 01 00 08 1e 11 2d"); /* the form it came in */
}
END_TEST

START_TEST(test_users) {
        TTCyclicRequest q, out;

        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_CLEAR,
                               .user_type = TTLOCK_CYCLIC_USER_FINGERPRINT,
                               .user = 7,
                               .user_size = 6 };
        encodes(&q, "04 01 06 000000000007");
        out = decodes("04 01 06 000000000007");
        ck_assert_uint_eq(out.user_type, TTLOCK_CYCLIC_USER_FINGERPRINT);
        ck_assert_uint_eq(out.user, 7);

        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_QUERY,
                               .user_type = TTLOCK_CYCLIC_USER_IC,
                               .user = UINT64_C(12345678901),
                               .user_size = 8 };
        encodes(&q, "01 02 08 00000002dfdc1c35");

        /* A key fob is its MAC, low byte first (the SDK's getReverseMacArray). */
        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_CLEAR,
                               .user_type = TTLOCK_CYCLIC_USER_KEY_FOB,
                               .user = UINT64_C(0xAABBCCDDEEFF),
                               .user_size = 6 };
        encodes(&q, "04 03 06 ffeeddccbbaa");
        out = decodes("04 03 06 ffeeddccbbaa");
        ck_assert_uint_eq(out.user, UINT64_C(0xAABBCCDDEEFF));

        /* A face: named by the SDK, no layout; its bytes are kept and written back as they were. */
        out = decodes("04 04 02 0102");
        ck_assert_uint_eq(out.user_bytes[1], 2);
        encodes(&out, "04 04 02 0102");

        /* A clear with user length 0: every user of that type. */
        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_CLEAR, .user_type = TTLOCK_CYCLIC_USER_IC };
        encodes(&q, "04 02 00");
        out = decodes("04 02 00");
        ck_assert_uint_eq(out.user_size, 0);
        out = decodes("04 03 00"); /* every key fob (found by fuzz-credentials) */
        encodes(&out, "04 03 00");
}
END_TEST

/* ttlockd's own passcode user (§4.9): the digits as the user. */
START_TEST(test_passcode_user) {
        TTCyclicRequest q = { .op = TTLOCK_CYCLIC_OP_ADD,
                              .user_type = TTLOCK_CYCLIC_USER_PASSCODE,
                              .passcode = "4711" };
        TTCycle c = { .weekday = 3, .start_minute = 8 * 60, .end_minute = 12 * 60 };
        TTCyclicRequest out;

        ttlock_cyclic_request_set_cycle(&q, &c);
        encodes(&q, "02 50 04 34373131 01 03 00 08 00 0c 00 00000000");
        out = decodes("02 50 04 34373131 01 03 00 08 00 0c 00 00000000");
        ck_assert_str_eq(out.passcode, "4711");
        ck_assert_uint_eq(out.weekday, 3);

        strcpy(q.passcode, "47a1");
        encode_fails(&q, "cyclic passcode user: not 1…16 digits");
        decode_fails("03 50 04 34376131", "cyclic passcode user: byte 0x61 is no digit");
}
END_TEST

/* The official CyclicConfig allows the window to end at 24:00 (1440 minutes). */
START_TEST(test_windows) {
        TTCyclicRequest q = { .op = TTLOCK_CYCLIC_OP_ADD,
                              .user_type = TTLOCK_CYCLIC_USER_FINGERPRINT,
                              .user = 1,
                              .user_size = 6 };
        TTCycle c = { .weekday = 7, .start_minute = 22 * 60, .end_minute = TTLOCK_MINUTES_PER_DAY };
        TTCycle list[] = { { 1, 8 * 60, 12 * 60 }, { 3, 8 * 60, 12 * 60 } };
        TTError e = {};

        ttlock_cyclic_request_set_cycle(&q, &c);
        encodes(&q, "02 01 06 000000000001 01 07 00 16 00 18 00 00000000");
        decode_fails("02 01 06 000000000001 01 07 00 16 00 18 01", "cyclic time 22:00–24:01 out of range");

        ck_assert_int_eq(ttlock_cycle_check(&c, &e), 0);
        c.end_minute = c.start_minute;
        ck_assert_int_eq(ttlock_cycle_check(&c, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "window 22:00–22:00 ends before it starts");
        c = (TTCycle){ .weekday = 0, .start_minute = 0, .end_minute = 1 };
        ck_assert_int_eq(ttlock_cycle_check(&c, &e), -EINVAL);
        c = (TTCycle){ .weekday = 1, .start_minute = 0, .end_minute = 1441 };
        ck_assert_int_eq(ttlock_cycle_check(&c, &e), -EINVAL);

        /* Monday 09:00 and Wednesday 11:59 open; Monday 12:00 (end excluded), 13:00 and Tuesday do not. */
        ck_assert(ttlock_cycles_allow(list, 2, 1, 9 * 60));
        ck_assert(ttlock_cycles_allow(list, 2, 3, 12 * 60 - 1));
        ck_assert(!ttlock_cycles_allow(list, 2, 1, 12 * 60));
        ck_assert(!ttlock_cycles_allow(list, 2, 1, 13 * 60));
        ck_assert(!ttlock_cycles_allow(list, 2, 2, 9 * 60));
        ck_assert(ttlock_cycles_allow(NULL, 0, 2, 9 * 60));

        /* 1970-01-01 was a Thursday; 2024-01-01 (day 19723) a Monday; the day before the epoch a Wednesday.
         */
        ck_assert_uint_eq(ttlock_weekday_of_days(0), 4);
        ck_assert_uint_eq(ttlock_weekday_of_days(19723), 1);
        ck_assert_uint_eq(ttlock_weekday_of_days(-1), 3);
}
END_TEST

START_TEST(test_refused) {
        TTCyclicRequest q;

        q = (TTCyclicRequest){
                .op = TTLOCK_CYCLIC_OP_QUERY, .user_type = TTLOCK_CYCLIC_USER_IC, .user = 1, .user_size = 5
        };
        encode_fails(&q, "cyclic IC user: 5 bytes, expected 4 or 8");
        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_ADD,
                               .user_type = TTLOCK_CYCLIC_USER_IC,
                               .user = 1,
                               .user_size = 4,
                               .weekday = 8,
                               .end_hour = 1 };
        encode_fails(&q, "cyclic weekday 8, expected 1…7");
        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_REMOVE,
                               .user_type = TTLOCK_CYCLIC_USER_IC,
                               .user = UINT64_C(0x100000000),
                               .user_size = 4 };
        encode_fails(&q, "cyclic user 4294967296 does not fit 4 bytes");
        q = (TTCyclicRequest){ .op = TTLOCK_CYCLIC_OP_ADD,
                               .user_type = TTLOCK_CYCLIC_USER_IC,
                               .user = 1,
                               .user_size = 4,
                               .weekday = 1,
                               .start_hour = 9,
                               .end_hour = 9 };
        encode_fails(&q, "cyclic window weekday 1 09:00–09:00 is empty or invalid");

        decode_fails("02 02 04 deadbeef 02 01 00 08 1e 11 2d", "cyclic type 2, expected 1 (weekly)");
        decode_fails("02 02 04 deadbeef 01 01 00 18 1e 11 2d", "cyclic time 24:30–17:45 out of range");
        decode_fails("02 02 04 deadbeef 01 01 05 08 1e 11 2d", "cyclic reserved byte 0x05, expected 0");
        decode_fails(
                "02 02 04 deadbeef 01 01 00 08 1e 11 2d 00000100",
                "cyclic padding byte 2 is 0x01, expected 0");
        decode_fails(
                "02 02 04 deadbeef 01 01 00 08 1e 11 2d 000000",
                "trailing garbage: 3 bytes after cyclic request");
        decode_fails(
                "03 07 04 deadbeef",
                "cyclic user type 0x07, expected 1 (fingerprint), 2 (IC), 3 (key fob), 4 (face) or 0x50 "
                "(passcode)");
        decode_fails("03 01 04 deadbeef", "cyclic fingerprint user: 4 bytes, expected 6");
        decode_fails("03 02 00", "cyclic IC user: 0 bytes, expected 4 or 8"); /* only a clear names nobody */
        decode_fails("03 02 04 deadbeef 00", "trailing garbage: 1 byte after cyclic request");
        decode_fails("05 02 04 deadbeef", "cyclic operation 5, expected 1…4");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("cyclic");
        TCase *tc = tcase_create("codec");

        tcase_add_test(tc, test_add_card);
        tcase_add_test(tc, test_users);
        tcase_add_test(tc, test_passcode_user);
        tcase_add_test(tc, test_windows);
        tcase_add_test(tc, test_refused);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
