/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "pairing.h"
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

static const char v2_key_hex[] = "947c705c5103a1b1309eeaa00d542daa";

START_TEST(test_get_aes_key_request_v1) {
        uint8_t buf[16];
        size_t n = tt_unhex("534349454e4552", buf, sizeof(buf));
        TTError e = {};

        ASSERT_ENCODES("534349454e4552", ttlock_get_aes_key_request_encode(&_w));
        ck_assert_int_eq(ttlock_get_aes_key_request_decode(buf, n, &e), 0);

        /* An OEM vendor string: the lock would answer INVALID_VENDOR. */
        n = tt_unhex("4f454d56454e44", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_get_aes_key_request_decode(buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "vendor: expected \"SCIENER\", got 4f454d56454e44");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_get_aes_key_request_decode(buf, 0, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: vendor needs 7 bytes at offset 0, 0 left");
        e = (TTError) {};
        n = tt_unhex("534349454e4552 534349454e4552", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_get_aes_key_request_decode(buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 7 bytes after GET_AES_KEY vendor");
}
END_TEST

START_TEST(test_get_aes_key_reply_v2) {
        uint8_t buf[64], key[TTLOCK_AES_KEY_LEN], want[TTLOCK_AES_KEY_LEN];
        size_t n = tt_unhex("1901 947c705c5103a1b1309eeaa00d542daa", buf, sizeof(buf));
        TTReply rep;
        TTError e = {};

        tt_unhex(v2_key_hex, want, sizeof(want));
        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, TTLOCK_CMD_GET_AES_KEY);
        ck_assert(rep.success);
        ck_assert_int_eq(ttlock_get_aes_key_reply_decode(rep.data, rep.data_len, key, NULL), 0);
        ck_assert_mem_eq(key, want, sizeof(key));
        ASSERT_ENCODES(v2_key_hex, ttlock_get_aes_key_reply_encode(&_w, key));

        /* 15 bytes: not a key. ret untouched. */
        memset(key, 0xEE, sizeof(key));
        ck_assert_int_eq(ttlock_get_aes_key_reply_decode(rep.data, 15, key, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: AES key needs 16 bytes at offset 0, 15 left");
        for (size_t i = 0; i < sizeof(key); i++)
                ck_assert_uint_eq(key[i], 0xEE);
}
END_TEST

START_TEST(test_add_admin_request_v3) {
        /* §10.3 V3: adminPs 73079075, unlockKey 76257105, "SCIENER". */
        TTAddAdminRequest q = { .admin_ps = 73079075, .unlock_key = 76257105 }, d;
        uint8_t buf[32];
        size_t n = tt_unhex("045b1923 048b9751 534349454e4552", buf, sizeof(buf));
        TTError e = {};

        ASSERT_ENCODES("045b1923 048b9751 534349454e4552", ttlock_add_admin_request_encode(&_w, &q));
        ck_assert_int_eq(ttlock_add_admin_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.admin_ps, 73079075);
        ck_assert_uint_eq(d.unlock_key, 76257105);

        ck_assert_int_eq(ttlock_add_admin_request_decode(buf, 8, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: vendor needs 7 bytes at offset 8, 0 left");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_add_admin_request_decode(buf, 6, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: unlockKey needs 4 bytes at offset 4, 2 left");
        e = (TTError) {};
        n = tt_unhex("045b1923 048b9751 534349454e4552 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_add_admin_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after ADD_ADMIN request");
}
END_TEST

START_TEST(test_add_admin_reply_v4) {
        uint8_t buf[32];
        size_t n = tt_unhex("5601 534349454e4552", buf, sizeof(buf));
        TTReply rep;
        TTError e = {};

        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, TTLOCK_CMD_ADD_ADMIN);
        ck_assert_int_eq(ttlock_add_admin_reply_decode(rep.data, rep.data_len, NULL), 0);
        ASSERT_ENCODES("534349454e4552", ttlock_add_admin_reply_encode(&_w));

        /* The official SDK insists on the vendor string (else AES_PARSE_ERROR). */
        ck_assert_int_eq(ttlock_add_admin_reply_decode(rep.data, 0, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: vendor needs 7 bytes at offset 0, 0 left");
        e = (TTError) {};
        n = tt_unhex("5343494e4e4552", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_add_admin_reply_decode(buf, n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "vendor: expected \"SCIENER\", got 5343494e4e4552");
}
END_TEST

START_TEST(test_time_calibrate_v5) {
        TTDateTime t = { 2021, 1, 19, 12, 34, 56 }, d;
        uint8_t buf[16];
        size_t n = tt_unhex("1501130c2238", buf, sizeof(buf));

        ASSERT_ENCODES("1501130c2238", ck_assert_int_eq(ttlock_time_calibrate_request_encode(&_w, &t), 0));
        ck_assert_int_eq(ttlock_time_calibrate_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.year, 2021);
        ck_assert_uint_eq(d.month, 1);
        ck_assert_uint_eq(d.day, 19);
        ck_assert_uint_eq(d.hour, 12);
        ck_assert_uint_eq(d.minute, 34);
        ck_assert_uint_eq(d.second, 56);

        /* Hex, not BCD (§4.2): 0x12 would be "18", not "12". */
        t = (TTDateTime) { 2099, 12, 31, 23, 59, 59 };
        ASSERT_ENCODES("630c1f173b3b", ck_assert_int_eq(ttlock_time_calibrate_request_encode(&_w, &t), 0));
}
END_TEST

START_TEST(test_time_calibrate_reject) {
        TTDateTime t = { 2021, 4, 31, 0, 0, 0 }, d = { 1999 };
        uint8_t buf[16], out[16];
        TTWriter w = TT_WRITER(out, sizeof(out));
        size_t n;
        TTError e = {};

        ck_assert_int_eq(ttlock_time_calibrate_request_encode(&w, &t), -EINVAL);
        ck_assert_uint_eq(w.len, 0);

        n = tt_unhex("15011318 2238", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_time_calibrate_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "time at offset 0: hour 24 (0x18) is out of range 0-23");
        e = (TTError) {};
        n = tt_unhex("1501130c2238 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_time_calibrate_request_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after TIME_CALIBRATE time");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_time_calibrate_request_decode(buf, 5, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: time needs 6 bytes at offset 0, 5 left");
        ck_assert_uint_eq(d.year, 1999);
}
END_TEST

START_TEST(test_empty_pairing_requests) {
        /* §10.3 V21/V22: RESET_LOCK and OPERATE_FINISHED frames have L = 0. */
        static const uint8_t cmds[] = { TTLOCK_CMD_OPERATE_FINISHED, TTLOCK_CMD_RESET_LOCK,
                                        TTLOCK_CMD_INITIALIZATION };
        static const char *const msgs[] = {
                "trailing garbage: 2 bytes after OPERATE_FINISHED request (it has no payload)",
                "trailing garbage: 2 bytes after RESET_LOCK request (it has no payload)",
                "trailing garbage: 2 bytes after INITIALIZATION request (it has no payload)",
        };
        uint8_t buf[2] = { 0x01, 0x02 };

        for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
                TTError e = {};

                ck_assert_int_eq(ttlock_empty_request_decode(cmds[i], buf, 0, &e), 0);
                ck_assert_int_eq(ttlock_empty_request_decode(cmds[i], buf, 2, &e), -EBADMSG);
                ck_assert_str_eq(tt_error_message(&e), msgs[i]);
        }
}
END_TEST

START_TEST(test_init_passwords_packing) {
        /* §4.3: byte0 = code >> 4, byte1 = code's low nibble ‖ secret bits 35…32, then the
         * secret's low 32 bits BE. 1070 = 0x42e, 9 999 999 999 = 0x2_540b_e3ff. */
        TTInitPasswordsRequest q = {
                .year = 21,
                .entries = {
                        { 1070, UINT64_C(9999999999) },
                        { 0, 0 },
                        { 0x123, UINT64_C(0x89abcdef) },
                        { 1, 1 },
                        { 0x0ff, UINT64_C(0x100000000) },
                        { 1000, UINT64_C(1234567890) },
                        { 7, UINT64_C(8) },
                        { 0x400, UINT64_C(0x2540be3ff) },
                        { 0x10, UINT64_C(0x200000000) },
                        { 42, UINT64_C(4242424242) },
                },
        }, d;
        static const char want[] =
                "15"
                "42e2540be3ff" "000000000000" "123089abcdef" "001000000001" "0ff100000000"
                "3e80499602d2" "007000000008" "4002540be3ff" "010200000000" "02a0fcde41b2";
        uint8_t buf[64];
        size_t n = tt_unhex(want, buf, sizeof(buf));

        ck_assert_uint_eq(n, TTLOCK_INIT_PASSWORDS_LEN);
        ASSERT_ENCODES(want, ck_assert_int_eq(ttlock_init_passwords_request_encode(&_w, &q), 0));
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, n, &d, NULL), 0);
        ck_assert_uint_eq(d.year, 21);
        for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++) {
                ck_assert_uint_eq(d.entries[i].code, q.entries[i].code);
                ck_assert_uint_eq(d.entries[i].secret, q.entries[i].secret);
        }
}
END_TEST

START_TEST(test_init_passwords_reject) {
        TTInitPasswordsRequest q = { .year = 21 }, d;
        uint8_t buf[64], out[64];
        TTWriter w = TT_WRITER(out, sizeof(out));
        size_t n;
        TTError e = {};

        /* Encoder: out-of-range values are refused and nothing is written. */
        q.entries[9].code = 1071;
        ck_assert_int_eq(ttlock_init_passwords_request_encode(&w, &q), -EINVAL);
        q.entries[9].code = 1070;
        q.entries[4].secret = UINT64_C(10000000000);
        ck_assert_int_eq(ttlock_init_passwords_request_encode(&w, &q), -EINVAL);
        q.entries[4].secret = 0;
        q.year = 100;
        ck_assert_int_eq(ttlock_init_passwords_request_encode(&w, &q), -EINVAL);
        ck_assert_uint_eq(w.len, 0);

        /* Decoder: code 1071 (0x42f) in entry 3, and the message names no secret. */
        memset(buf, 0, sizeof(buf));
        buf[0] = 21;
        buf[1 + 3 * 6] = 0x42;
        buf[1 + 3 * 6 + 1] = 0xf0;
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, TTLOCK_INIT_PASSWORDS_LEN, &d, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "password seed 3: code above 1070");

        /* Secret 0x2540be400 = 10 000 000 000 in entry 0. */
        e = (TTError) {};
        n = tt_unhex("15 0002540be400", buf, sizeof(buf));
        memset(buf + n, 0, sizeof(buf) - n);
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, TTLOCK_INIT_PASSWORDS_LEN, &d, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "password seed 0: secret has more than 10 digits");

        e = (TTError) {};
        buf[0] = 0x64;
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, TTLOCK_INIT_PASSWORDS_LEN, &d, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "year: 100 is not a two-digit year");

        memset(buf, 0, sizeof(buf));
        e = (TTError) {};
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, 60, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "truncated: password seed needs 6 bytes at offset 55, 5 left");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, 62, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after INIT_PASSWORDS request");
        ck_assert_int_eq(ttlock_init_passwords_request_decode(buf, 61, &d, NULL), 0);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("pairing");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_get_aes_key_request_v1);
        tcase_add_test(tc, test_get_aes_key_reply_v2);
        tcase_add_test(tc, test_add_admin_request_v3);
        tcase_add_test(tc, test_add_admin_reply_v4);
        tcase_add_test(tc, test_time_calibrate_v5);
        tcase_add_test(tc, test_time_calibrate_reject);
        tcase_add_test(tc, test_empty_pairing_requests);
        tcase_add_test(tc, test_init_passwords_packing);
        tcase_add_test(tc, test_init_passwords_reject);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
