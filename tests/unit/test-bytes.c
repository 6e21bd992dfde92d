/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "macro.h"
#include "tt-test.h"

START_TEST(test_writer_big_endian) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t n = 0;

        tt_put_u8(&w, 0x7F);
        tt_put_u16be(&w, 0x0102);
        tt_put_u32be(&w, 0x1a2b3c4d);
        tt_put_uint_be(&w, 0x0000112233445566, 6);
        tt_put_uint_be(&w, 0xAABB, 8);
        tt_put_bytes(&w, "SC", 2);
        tt_put_bytes(&w, NULL, 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        tt_assert_hex_eq(buf, n, "7f 0102 1a2b3c4d 112233445566 000000000000aabb 5343");
}
END_TEST

START_TEST(test_writer_overflow) {
        uint8_t buf[4];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTError e = {};
        size_t n = 99;

        tt_put_u16be(&w, 0x0102);
        tt_put_u32be(&w, 0x03040506); /* does not fit: marks overflow */
        tt_put_u8(&w, 0x07);          /* would fit, but the writer stays overflowed */
        ck_assert(w.overflow);
        ck_assert_uint_eq(w.len, 2);
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), -ENOBUFS);
        ck_assert_uint_eq(n, 99);
        ck_assert_str_eq(tt_error_message(&e), "output buffer of 4 bytes too small");
}
END_TEST

START_TEST(test_writer_too_wide_integer) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));

        tt_put_uint_be(&w, 1, 9);
        ck_assert_int_eq(tt_writer_finish(&w, NULL, NULL), -ENOBUFS);
}
END_TEST

START_TEST(test_reader_values) {
        uint8_t in[32];
        size_t n = tt_unhex("7f 0102 1a2b3c4d 112233445566 53434945", in, sizeof(in));
        TTReader r = TT_READER(in, n, NULL);
        const uint8_t *p;
        uint64_t v64;
        uint32_t v32;
        uint16_t v16;
        uint8_t v8;

        ck_assert_int_eq(tt_get_u8(&r, "a", &v8), 0);
        ck_assert_uint_eq(v8, 0x7F);
        ck_assert_int_eq(tt_get_u16be(&r, "b", &v16), 0);
        ck_assert_uint_eq(v16, 0x0102);
        ck_assert_int_eq(tt_get_u32be(&r, "c", &v32), 0);
        ck_assert_uint_eq(v32, 0x1a2b3c4d);
        ck_assert_int_eq(tt_get_uint_be(&r, "d", 6, &v64), 0);
        ck_assert_uint_eq(v64, 0x112233445566);
        ck_assert_int_eq(tt_skip(&r, "e", 1), 0);
        ck_assert_int_eq(tt_get_bytes(&r, "f", 3, &p), 0);
        ck_assert_ptr_eq(p, in + 14);
        ck_assert_uint_eq(tt_reader_left(&r), 0);
        ck_assert_int_eq(tt_expect_end(&r, "record"), 0);
}
END_TEST

START_TEST(test_reader_truncated) {
        uint8_t in[3] = { 0x55, 0x01, 0x1a };
        TTError e = {};
        TTReader r = TT_READER(in, sizeof(in), &e);
        uint32_t v32 = 0xdeadbeef;
        uint16_t v16;

        ck_assert_int_eq(tt_get_u16be(&r, "header", &v16), 0);
        ck_assert_int_eq(tt_get_u32be(&r, "psFromLock", &v32), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: psFromLock needs 4 bytes at offset 2, 1 left");
        /* Untouched and not advanced. */
        ck_assert_uint_eq(v32, 0xdeadbeef);
        ck_assert_uint_eq(r.pos, 2);
        ck_assert_uint_eq(tt_reader_left(&r), 1);
}
END_TEST

START_TEST(test_reader_truncated_singular) {
        TTError e = {};
        TTReader r = TT_READER(NULL, 0, &e);
        uint8_t v;

        ck_assert_int_eq(tt_get_u8(&r, "battery", &v), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: battery needs 1 byte at offset 0, 0 left");
}
END_TEST

START_TEST(test_reader_first_error_wins) {
        uint8_t in[1] = { 0 };
        TTError e = {};
        TTReader r = TT_READER(in, sizeof(in), &e);
        uint32_t v;

        ck_assert_int_eq(tt_get_u32be(&r, "uid", &v), -EBADMSG);
        ck_assert_int_eq(tt_skip(&r, "other", 2), -EBADMSG);
        ck_assert_int_eq(e.error, -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: uid needs 4 bytes at offset 0, 1 left");
}
END_TEST

START_TEST(test_reader_trailing_and_wide) {
        uint8_t in[4] = { 1, 2, 3, 4 };
        TTError e = {}, e2 = {};
        TTReader r = TT_READER(in, sizeof(in), &e);
        uint64_t v;

        ck_assert_int_eq(tt_skip(&r, "x", 1), 0);
        ck_assert_int_eq(tt_expect_end(&r, "status"), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 3 bytes after status");

        r = TT_READER(in, 2, &e2);
        ck_assert_int_eq(tt_skip(&r, "x", 1), 0);
        ck_assert_int_eq(tt_expect_end(&r, "status"), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e2), "trailing garbage: 1 byte after status");

        r = TT_READER(in, sizeof(in), NULL);
        ck_assert_int_eq(tt_get_uint_be(&r, "card", 9, &v), -EINVAL);
}
END_TEST

START_TEST(test_error_null_and_empty) {
        TTError e = {};

        ck_assert_str_eq(tt_error_message(&e), "");
        ck_assert_str_eq(tt_error_message(NULL), "");
        ck_assert_int_eq(tt_error(NULL, -EIO, "ignored %d", 1), -EIO);
        ck_assert_int_eq(tt_error(&e, -EINVAL, "first %s", "one"), -EINVAL);
        ck_assert_int_eq(tt_error(&e, -EIO, "second"), -EIO);
        ck_assert_int_eq(e.error, -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "first one");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("bytes");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_writer_big_endian);
        tcase_add_test(tc, test_writer_overflow);
        tcase_add_test(tc, test_writer_too_wide_integer);
        tcase_add_test(tc, test_reader_values);
        tcase_add_test(tc, test_reader_truncated);
        tcase_add_test(tc, test_reader_truncated_singular);
        tcase_add_test(tc, test_reader_first_error_wins);
        tcase_add_test(tc, test_reader_trailing_and_wide);
        tcase_add_test(tc, test_error_null_and_empty);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
