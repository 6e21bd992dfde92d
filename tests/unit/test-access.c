/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "reply.h"
#include "tt-test.h"

/* Runs the encoder statement(s) given as the last argument with `_w` as the writer and compares
 * what was written with hex. */
#define ASSERT_ENCODES(hex, ...)                                                \
        do {                                                                   \
                uint8_t _obuf[256];                                            \
                TTWriter _w = TT_WRITER(_obuf, sizeof(_obuf));                 \
                size_t _olen;                                                  \
                __VA_ARGS__;                                                   \
                ck_assert_int_eq(tt_writer_finish(&_w, &_olen, NULL), 0);      \
                tt_assert_hex_eq(_obuf, _olen, hex);                           \
        } while (0)

/* Parses a §10.3 reply plaintext [echo][status][data] and checks the echo. */
static TTReply parse_reply(const char *hex, uint8_t *buf, size_t size, uint8_t echo) {
        size_t n = tt_unhex(hex, buf, size);
        TTReply rep;

        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, echo);
        ck_assert(rep.success);
        return rep;
}

static void assert_dt(const TTDateTime *t, unsigned y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                      unsigned s) {
        ck_assert_uint_eq(t->year, y);
        ck_assert_uint_eq(t->month, mo);
        ck_assert_uint_eq(t->day, d);
        ck_assert_uint_eq(t->hour, h);
        ck_assert_uint_eq(t->minute, mi);
        ck_assert_uint_eq(t->second, s);
}

/* ---- shared helpers ---- */

START_TEST(test_empty_request) {
        uint8_t buf[4];
        size_t n = tt_unhex("45", buf, sizeof(buf));
        TTError e = {};

        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_SEARCH_DEVICE_FEATURE, buf, 0, &e), 0);
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_INITIALIZATION, NULL, 0, &e), 0);
        /* §10.1 R7: the ESP-IDF port sent 'E' with a payload 45, and the lock stayed silent. */
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_INITIALIZATION, buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "trailing garbage: 1 byte after INITIALIZATION request (it has no payload)");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_empty_request_decode(0xEE, buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "trailing garbage: 1 byte after unknown command request (it has no payload)");
}
END_TEST

/* ---- SEARCH_BICYCLE_STATUS ---- */

START_TEST(test_status_request_v15) {
        uint8_t buf[16];
        size_t n = tt_unhex("534349454e4552", buf, sizeof(buf));
        TTError e = {};

        ASSERT_ENCODES("534349454e4552", ttlock_status_request_encode(&_w));
        ck_assert_int_eq(ttlock_status_request_decode(buf, n, &e), 0);

        n = tt_unhex("534349454e4553", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_status_request_decode(buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "vendor: expected \"SCIENER\", got 534349454e4553");

        e = (TTError) {};
        n = tt_unhex("534349454e455200", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_status_request_decode(buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "trailing garbage: 1 byte after SEARCH_BICYCLE_STATUS vendor");

        e = (TTError) {};
        ck_assert_int_eq(ttlock_status_request_decode(buf, 6, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: vendor needs 7 bytes at offset 0, 6 left");
}
END_TEST

START_TEST(test_status_reply_v16) {
        uint8_t buf[32];
        TTReply rep = parse_reply("1401 50 00", buf, sizeof(buf), TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        TTStatusReply s;

        ck_assert_int_eq(ttlock_status_reply_decode(rep.data, rep.data_len, &s, NULL), 0);
        ck_assert_uint_eq(s.battery, 80);
        ck_assert_int_eq(s.state, TTLOCK_STATE_LOCKED);
        ck_assert(!s.has_door_sensor);
        ASSERT_ENCODES("50 00", ttlock_status_reply_encode(&_w, &s));
}
END_TEST

START_TEST(test_status_reply_door_sensor) {
        uint8_t buf[8];
        size_t n = tt_unhex("3c 01 01 ff", buf, sizeof(buf));
        TTStatusReply s, in = { .battery = 60, .state = TTLOCK_STATE_UNKNOWN, .has_door_sensor = true,
                                .door_sensor = 1 };

        /* d[2] door sensor; a further byte is ignored, as the official SDK reads by index. */
        ck_assert_int_eq(ttlock_status_reply_decode(buf, n, &s, NULL), 0);
        ck_assert_uint_eq(s.battery, 60);
        ck_assert_int_eq(s.state, TTLOCK_STATE_UNLOCKED);
        ck_assert(s.has_door_sensor);
        ck_assert_uint_eq(s.door_sensor, 1);

        ASSERT_ENCODES("3c 02 01", ttlock_status_reply_encode(&_w, &in));
}
END_TEST

START_TEST(test_status_reply_reject) {
        uint8_t buf[8];
        size_t n = tt_unhex("50 03", buf, sizeof(buf));
        TTStatusReply s, untouched;
        TTError e = {};

        memset(&s, 0x77, sizeof(s));
        memcpy(&untouched, &s, sizeof(untouched)); /* not `=`, which need not copy padding */
        ck_assert_int_eq(ttlock_status_reply_decode(buf, n, &s, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "state: 3 is not 0 (locked), 1 (unlocked) or 2 (unknown)");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_status_reply_decode(buf, 1, &s, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: state needs 1 byte at offset 1, 0 left");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_status_reply_decode(buf, 0, &s, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: battery needs 1 byte at offset 0, 0 left");
        ck_assert_mem_eq(&s, &untouched, sizeof(s));
}
END_TEST

START_TEST(test_push_state_form) {
        uint8_t buf[8];
        size_t n = tt_unhex("5a 01 00", buf, sizeof(buf));
        TTStatusPush p;

        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, NULL), 0);
        ck_assert_int_eq(p.kind, TTLOCK_PUSH_STATE);
        ck_assert_uint_eq(p.battery, 90);
        ck_assert_int_eq(p.state, TTLOCK_STATE_UNLOCKED);
        ck_assert(p.has_flag);
        ck_assert_uint_eq(p.flag, 0);
        ASSERT_ENCODES("5a 01 00", ck_assert_int_eq(ttlock_status_push_encode(&_w, &p), 0));

        /* Without the flag byte (a lock that sends the status-reply form). */
        ck_assert_int_eq(ttlock_status_push_decode(buf, 2, &p, NULL), 0);
        ck_assert_int_eq(p.kind, TTLOCK_PUSH_STATE);
        ck_assert(!p.has_flag);
        ASSERT_ENCODES("5a 01", ck_assert_int_eq(ttlock_status_push_encode(&_w, &p), 0));
}
END_TEST

START_TEST(test_push_record_form) {
        uint8_t buf[32];
        size_t n = tt_unhex("50 00000007 6006d1f0 1501130c2238", buf, sizeof(buf));
        TTStatusPush p;

        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, NULL), 0);
        ck_assert_int_eq(p.kind, TTLOCK_PUSH_RECORD);
        ck_assert_uint_eq(p.battery, 80);
        ck_assert_uint_eq(p.uid, 7);
        ck_assert_uint_eq(p.record_id, 0x6006d1f0);
        ck_assert(p.time_valid);
        assert_dt(&p.time, 2021, 1, 19, 12, 34, 56);
        ASSERT_ENCODES("50 00000007 6006d1f0 1501130c2238",
                       ck_assert_int_eq(ttlock_status_push_encode(&_w, &p), 0));

        /* A byte more is firmware adding a field: still a record. */
        n = tt_unhex("50 00000007 6006d1f0 1501130c2238 aa", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, NULL), 0);
        ck_assert_int_eq(p.kind, TTLOCK_PUSH_RECORD);
        ck_assert_uint_eq(p.record_id, 0x6006d1f0);

        /* A lock without a clock: the record stands, its time is unknown. */
        n = tt_unhex("50 00000007 6006d1f0 000000000000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, NULL), 0);
        ck_assert(!p.time_valid);
        ASSERT_ENCODES("50 00000007 6006d1f0 000000000000",
                       ck_assert_int_eq(ttlock_status_push_encode(&_w, &p), 0));
}
END_TEST

START_TEST(test_push_reject) {
        uint8_t buf[32];
        size_t n = tt_unhex("50 00000007 6006d1f0 1501130c22", buf, sizeof(buf));
        TTStatusPush p = { .kind = TTLOCK_PUSH_RECORD, .time_valid = true,
                           .time = { 2021, 2, 30, 0, 0, 0 } };
        TTError e = {};
        uint8_t out[32];
        TTWriter w = TT_WRITER(out, sizeof(out));

        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "0x14 push of 14 data bytes is neither a state (3) nor a record (15)");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_status_push_decode(buf, 1, &p, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "0x14 push of 1 data bytes is neither a state (3) nor a record (15)");
        e = (TTError) {};
        n = tt_unhex("50 07 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_status_push_decode(buf, n, &p, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "state: 7 is not 0 (locked), 1 (unlocked) or 2 (unknown)");

        /* Encoding an impossible date is a caller bug. */
        p = (TTStatusPush) { .kind = TTLOCK_PUSH_RECORD, .time_valid = true,
                             .time = { 2021, 2, 30, 0, 0, 0 } };
        ck_assert_int_eq(ttlock_status_push_encode(&w, &p), -EINVAL);
}
END_TEST

/* ---- challenges ---- */

START_TEST(test_check_admin_v9) {
        /* §10.3 V9: adminPs 73079075, lockFlagPos 0, uid 0. */
        TTCheckAdminRequest q = { .admin_ps = 73079075 }, d;
        uint8_t buf[32];
        size_t n = tt_unhex("045b1923 000000 00000000", buf, sizeof(buf));

        ASSERT_ENCODES("045b1923 000000 00000000",
                       ck_assert_int_eq(ttlock_check_admin_request_encode(&_w, &q), 0));
        ck_assert_int_eq(ttlock_check_admin_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.admin_ps, 73079075);
        ck_assert_uint_eq(d.lock_flag_pos, 0);
        ck_assert_uint_eq(d.uid, 0);

        q = (TTCheckAdminRequest) { .admin_ps = 0xdeadbeef, .lock_flag_pos = 0xabcdef, .uid = 0x01020304 };
        ASSERT_ENCODES("deadbeef abcdef 01020304",
                       ck_assert_int_eq(ttlock_check_admin_request_encode(&_w, &q), 0));
        n = tt_unhex("deadbeef abcdef 01020304", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_admin_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.lock_flag_pos, 0xabcdef);
        ck_assert_uint_eq(d.uid, 0x01020304);
}
END_TEST

START_TEST(test_check_admin_reject) {
        TTCheckAdminRequest q = { .lock_flag_pos = 0x1000000 }, d;
        uint8_t buf[32], out[32];
        TTWriter w = TT_WRITER(out, sizeof(out));
        size_t n = tt_unhex("045b1923 000000 00000000 00", buf, sizeof(buf));
        TTError e = {};

        /* lockFlagPos above 3 bytes: refused, nothing written. */
        ck_assert_int_eq(ttlock_check_admin_request_encode(&w, &q), -EINVAL);
        ck_assert_uint_eq(w.len, 0);

        ck_assert_int_eq(ttlock_check_admin_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after CHECK_ADMIN request");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_check_admin_request_decode(buf, 10, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: uid needs 4 bytes at offset 7, 3 left");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_check_admin_request_decode(buf, 5, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: lockFlagPos needs 3 bytes at offset 4, 1 left");
}
END_TEST

START_TEST(test_check_user_time_v8) {
        /* §10.3 V8: the [JS] window "0001311400" … "9911301400", lockFlagPos 0, uid 0. */
        TTCheckUserTimeRequest q = {
                .start = { 2000, 1, 31, 14, 0, 0 },
                .end = { 2099, 11, 30, 14, 0, 0 },
        }, d;
        uint8_t buf[32];
        size_t n = tt_unhex("00011f0e00 630b1e0e00 000000 00000000", buf, sizeof(buf));

        ASSERT_ENCODES("00011f0e00 630b1e0e00 000000 00000000",
                       ck_assert_int_eq(ttlock_check_user_time_request_encode(&_w, &q), 0));
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, NULL), 0);
        assert_dt(&d.start, 2000, 1, 31, 14, 0, 0);
        assert_dt(&d.end, 2099, 11, 30, 14, 0, 0);
        ck_assert_uint_eq(d.lock_flag_pos, 0);
        ck_assert_uint_eq(d.uid, 0);

        /* Seconds are not on the wire. */
        q.start.second = 59;
        q.lock_flag_pos = 5;
        q.uid = 9;
        ASSERT_ENCODES("00011f0e00 630b1e0e00 000005 00000009",
                       ck_assert_int_eq(ttlock_check_user_time_request_encode(&_w, &q), 0));
}
END_TEST

START_TEST(test_check_user_time_reject) {
        TTCheckUserTimeRequest q = { .start = { 2021, 2, 29, 0, 0, 0 }, .end = { 2022, 1, 1, 0, 0, 0 } }, d;
        uint8_t buf[32], out[32];
        TTWriter w = TT_WRITER(out, sizeof(out));
        size_t n;
        TTError e = {};

        ck_assert_int_eq(ttlock_check_user_time_request_encode(&w, &q), -EINVAL);
        q.start.day = 28;
        q.lock_flag_pos = 0x1000000;
        ck_assert_int_eq(ttlock_check_user_time_request_encode(&w, &q), -EINVAL);
        ck_assert_uint_eq(w.len, 0);

        n = tt_unhex("00011f0e00 630d1e0e00 000000 00000000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "end at offset 5: month 13 (0x0d) is out of range 0-12 (and not a BCD date either)");

        e = (TTError) {};
        n = tt_unhex("00001f0e00 630b1e0e00 000000 00000000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "start at offset 0: month 0 does not exist (and not a BCD date either)");

        e = (TTError) {};
        n = tt_unhex("00011f0e00 630b1e0e00 000000 00000000 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after CHECK_USER_TIME request");

        e = (TTError) {};
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, 8, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: end needs 5 bytes at offset 5, 3 left");
}
END_TEST

START_TEST(test_challenge_reply_v10) {
        uint8_t buf[32];
        TTReply rep = parse_reply("5501 1a2b3c4d", buf, sizeof(buf), TTLOCK_CMD_CHECK_USER_TIME);
        TTChallengeReply c, untouched = { .ps_from_lock = 42 };
        size_t n;
        TTError e = {};

        ck_assert_int_eq(ttlock_challenge_reply_decode(rep.data, rep.data_len, &c, NULL), 0);
        ck_assert_uint_eq(c.ps_from_lock, 0x1a2b3c4d);
        ASSERT_ENCODES("1a2b3c4d", ttlock_challenge_reply_encode(&_w, &c));

        /* The same reply shape for CHECK_ADMIN; extra bytes are ignored like the official SDK. */
        rep = parse_reply("4101 fffffffe 00", buf, sizeof(buf), TTLOCK_CMD_CHECK_ADMIN);
        ck_assert_int_eq(ttlock_challenge_reply_decode(rep.data, rep.data_len, &c, NULL), 0);
        ck_assert_uint_eq(c.ps_from_lock, 0xfffffffe);

        n = tt_unhex("1a2b3c", buf, sizeof(buf));
        c = untouched;
        ck_assert_int_eq(ttlock_challenge_reply_decode(buf, n, &c, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: psFromLock needs 4 bytes at offset 0, 3 left");
        ck_assert_uint_eq(c.ps_from_lock, 42);
}
END_TEST

/* ---- CHECK_RANDOM ---- */

START_TEST(test_unlock_sum_v11) {
        /* §10.3 V11: 0x1a2b3c4d + 76257105 = 0x1eb6d39e. */
        uint8_t buf[8];
        size_t n = tt_unhex("1eb6d39e", buf, sizeof(buf));
        uint32_t sum = 0;
        TTError e = {};

        ck_assert_uint_eq(ttlock_unlock_sum(0x1a2b3c4d, 76257105), 0x1eb6d39e);
        /* mod 2³² */
        ck_assert_uint_eq(ttlock_unlock_sum(0xffffffff, 2), 1);
        ck_assert_uint_eq(ttlock_unlock_sum(0x80000000, 0x80000000), 0);

        ASSERT_ENCODES("1eb6d39e",
                       ttlock_check_random_request_encode(&_w, ttlock_unlock_sum(0x1a2b3c4d, 76257105)));
        ck_assert_int_eq(ttlock_check_random_request_decode(buf, n, &sum, NULL), 0);
        ck_assert_uint_eq(sum, 0x1eb6d39e);

        sum = 7;
        ck_assert_int_eq(ttlock_check_random_request_decode(buf, 3, &sum, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: sum needs 4 bytes at offset 0, 3 left");
        ck_assert_uint_eq(sum, 7);
        e = (TTError) {};
        n = tt_unhex("1eb6d39e 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_random_request_decode(buf, n, &sum, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after CHECK_RANDOM request");
}
END_TEST

/* ---- UNLOCK / FUNCTION_LOCK / DEAD_LOCK ---- */

START_TEST(test_actuate_request_v12_v13) {
        /* §10.3 V12 (UNLOCK) and V13 (FUNCTION_LOCK) share the payload: sum ‖ ts 1611059696. */
        TTActuateRequest q = { .sum = ttlock_unlock_sum(0x1a2b3c4d, 76257105), .timestamp = 1611059696 }, d;
        uint8_t buf[16];
        size_t n = tt_unhex("1eb6d39e 6006d1f0", buf, sizeof(buf));
        TTError e = {};

        ASSERT_ENCODES("1eb6d39e 6006d1f0", ttlock_actuate_request_encode(&_w, &q));
        ck_assert_int_eq(ttlock_actuate_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.sum, 0x1eb6d39e);
        ck_assert_uint_eq(d.timestamp, 1611059696);

        ck_assert_int_eq(ttlock_actuate_request_decode(buf, 7, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: timestamp needs 4 bytes at offset 4, 3 left");
        e = (TTError) {};
        n = tt_unhex("1eb6d39e 6006d1f0 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_actuate_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after unlock/lock request");
}
END_TEST

START_TEST(test_actuate_reply_v14) {
        uint8_t buf[64];
        TTReply rep = parse_reply("4701 50 00000000 6006d1f0 1501130c2238", buf, sizeof(buf),
                                  TTLOCK_CMD_UNLOCK);
        TTActuateReply a;

        ck_assert_int_eq(ttlock_actuate_reply_decode(rep.data, rep.data_len, &a, NULL), 0);
        ck_assert_uint_eq(a.battery, 80);
        ck_assert(a.has_record);
        ck_assert_uint_eq(a.uid, 0);
        ck_assert_uint_eq(a.unique_id, 0x6006d1f0);
        ck_assert(a.time_valid);
        assert_dt(&a.time, 2021, 1, 19, 12, 34, 56);
        ASSERT_ENCODES("50 00000000 6006d1f0 1501130c2238",
                       ck_assert_int_eq(ttlock_actuate_reply_encode(&_w, &a), 0));
}
END_TEST

START_TEST(test_actuate_reply_short_and_odd) {
        uint8_t buf[64];
        size_t n;
        TTActuateReply a, untouched;
        TTError e = {};

        /* Battery only. */
        n = tt_unhex("63", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_actuate_reply_decode(buf, n, &a, NULL), 0);
        ck_assert_uint_eq(a.battery, 99);
        ck_assert(!a.has_record);
        ASSERT_ENCODES("63", ck_assert_int_eq(ttlock_actuate_reply_encode(&_w, &a), 0));

        /* Fewer than 15 bytes: the official SDK reads only the battery. */
        n = tt_unhex("63 00000001 0000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_actuate_reply_decode(buf, n, &a, NULL), 0);
        ck_assert(!a.has_record);

        /* More than 15: the tail is ignored. */
        n = tt_unhex("63 00000001 00000002 1501130c2238 ffff", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_actuate_reply_decode(buf, n, &a, NULL), 0);
        ck_assert(a.has_record);
        ck_assert_uint_eq(a.uid, 1);
        ck_assert_uint_eq(a.unique_id, 2);

        /* No clock chip: impossible date, the unlock still happened. */
        n = tt_unhex("63 00000001 00000002 000000000000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_actuate_reply_decode(buf, n, &a, NULL), 0);
        ck_assert(a.has_record);
        ck_assert(!a.time_valid);

        memset(&a, 0x33, sizeof(a));
        memcpy(&untouched, &a, sizeof(untouched)); /* not `=`, which need not copy padding */
        ck_assert_int_eq(ttlock_actuate_reply_decode(buf, 0, &a, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: battery needs 1 byte at offset 0, 0 left");
        ck_assert_mem_eq(&a, &untouched, sizeof(a));

        a = (TTActuateReply) { .has_record = true, .time_valid = true, .time = { 2021, 13, 1, 0, 0, 0 } };
        {
                uint8_t out[32];
                TTWriter w = TT_WRITER(out, sizeof(out));
                ck_assert_int_eq(ttlock_actuate_reply_encode(&w, &a), -EINVAL);
        }
}
END_TEST

/* §4.10: [RR] sends the window "0001311400"–"9911301400" as BCD, which its lock takes. */
START_TEST(test_check_user_time_bcd) {
        uint8_t buf[32];
        size_t n = tt_unhex("0001311400 9911301400 000000 00000000", buf, sizeof(buf));
        TTCheckUserTimeRequest d;

        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, NULL), 0);
        ck_assert_int_eq(d.start_encoding, TTLOCK_DATE_BCD);
        ck_assert_int_eq(d.end_encoding, TTLOCK_DATE_BCD);
        ck_assert_uint_eq(d.start.year, 2000);
        ck_assert_uint_eq(d.start.day, 31);
        ck_assert_uint_eq(d.end.year, 2099);
        ck_assert_uint_eq(d.end.month, 11);

        /* The SDK's decimal window stays decimal. */
        n = tt_unhex("00011f0e00 630b1e0e00 000000 00000000", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_check_user_time_request_decode(buf, n, &d, NULL), 0);
        ck_assert_int_eq(d.start_encoding, TTLOCK_DATE_DECIMAL);
        ck_assert_int_eq(d.end_encoding, TTLOCK_DATE_DECIMAL);
        ck_assert_uint_eq(d.end.day, 30);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("access");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_empty_request);
        tcase_add_test(tc, test_status_request_v15);
        tcase_add_test(tc, test_status_reply_v16);
        tcase_add_test(tc, test_status_reply_door_sensor);
        tcase_add_test(tc, test_status_reply_reject);
        tcase_add_test(tc, test_push_state_form);
        tcase_add_test(tc, test_push_record_form);
        tcase_add_test(tc, test_push_reject);
        tcase_add_test(tc, test_check_admin_v9);
        tcase_add_test(tc, test_check_admin_reject);
        tcase_add_test(tc, test_check_user_time_v8);
        tcase_add_test(tc, test_check_user_time_reject);
        tcase_add_test(tc, test_check_user_time_bcd);
        tcase_add_test(tc, test_challenge_reply_v10);
        tcase_add_test(tc, test_unlock_sum_v11);
        tcase_add_test(tc, test_actuate_request_v12_v13);
        tcase_add_test(tc, test_actuate_reply_v14);
        tcase_add_test(tc, test_actuate_reply_short_and_odd);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
