/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "crc.h"
#include "frame.h"
#include "macro.h"
#include "tt-test.h"

static const char *const K_HEX = "947c705c5103a1b1309eeaa00d542daa";

static void key_k(uint8_t k[TTLOCK_KEY_SIZE]) {
        ck_assert_uint_eq(tt_unhex(K_HEX, k, TTLOCK_KEY_SIZE), TTLOCK_KEY_SIZE);
}

/* Rewrites the CRC after a test changed a byte on purpose, so that only the intended defect shows. */
static void fix_crc(uint8_t *f, size_t len) {
        f[len - 1] = ttlock_crc8(f, len - 1);
}

START_TEST(test_generation_classification) {
        /* §2.3, including the order: 5.3 scene 7 is V3_CAR, not V3. */
        ck_assert_int_eq(ttlock_generation(5, 3, 1), TTLOCK_GEN_V3);
        ck_assert_int_eq(ttlock_generation(5, 3, 2), TTLOCK_GEN_V3);
        ck_assert_int_eq(ttlock_generation(5, 3, 7), TTLOCK_GEN_V3_CAR);
        ck_assert_int_eq(ttlock_generation(5, 4, 1), TTLOCK_GEN_V2S_PLUS);
        ck_assert_int_eq(ttlock_generation(5, 4, 7), TTLOCK_GEN_V2S_PLUS);
        ck_assert_int_eq(ttlock_generation(5, 1, 1), TTLOCK_GEN_V2S);
        ck_assert_int_eq(ttlock_generation(0x0A, 1, 7), TTLOCK_GEN_CAR);
        ck_assert_int_eq(ttlock_generation(0x0B, 1, 1), TTLOCK_GEN_MOBI);
        ck_assert_int_eq(ttlock_generation(3, 0, 0), TTLOCK_GEN_V2);
        ck_assert_int_eq(ttlock_generation(3, 9, 9), TTLOCK_GEN_V2);
        ck_assert_int_eq(ttlock_generation(5, 2, 1), TTLOCK_GEN_UNKNOWN);
        ck_assert_int_eq(ttlock_generation(0x0A, 2, 1), TTLOCK_GEN_UNKNOWN);
        ck_assert_int_eq(ttlock_generation(4, 3, 1), TTLOCK_GEN_UNKNOWN);

        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_V2), "V2");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_V2S), "V2S");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_V2S_PLUS), "V2S_PLUS");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_V3), "V3");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_CAR), "CAR");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_MOBI), "MOBI");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_V3_CAR), "V3_CAR");
        ck_assert_str_eq(ttlock_generation_name(TTLOCK_GEN_UNKNOWN), "unknown");
}
END_TEST

START_TEST(test_build_empty) {
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x01);
        uint8_t out[TTLOCK_FRAME_MAX];
        size_t n = 0;

        /* §2.5 worked example / R1 / V6; the header's length field is ignored. */
        h.length = 99;
        ck_assert_int_eq(ttlock_frame_build(&h, NULL, NULL, 0, out, sizeof(out), &n, NULL), 0);
        tt_assert_hex_eq(out, n, "7f5a0503010001000101aa001c");
}
END_TEST

START_TEST(test_build_parse_round_trip) {
        /* Replies may carry other scene/group/org values (§2.1: e.g. group 0x000A, org 0x000C). */
        TTFrameHeader h = { 5, 3, 2, 0x000A, 0x000C, 0x54, 0xAA, 0 };
        uint8_t k[TTLOCK_KEY_SIZE], plain[TTLOCK_PLAIN_MAX], out[TTLOCK_FRAME_MAX];
        uint8_t back[TTLOCK_FRAME_MAX_DATA];

        key_k(k);
        for (size_t i = 0; i < sizeof(plain); i++)
                plain[i] = (uint8_t) (i ^ 0x5A);

        for (size_t len = 0; len <= TTLOCK_PLAIN_MAX; len++) {
                size_t n = 0, pn = 99;
                TTFrame f;

                ck_assert_int_eq(ttlock_frame_build(&h, k, plain, len, out, sizeof(out), &n, NULL), 0);
                ck_assert_uint_eq(n, TTLOCK_FRAME_HEADER_SIZE + (len == 0 ? 0 : (len / 16 + 1) * 16) + 1);
                ck_assert_int_eq(ttlock_frame_parse(out, n, &f, NULL), 0);
                ck_assert_uint_eq(f.header.protocol_type, 5);
                ck_assert_uint_eq(f.header.sub_version, 3);
                ck_assert_uint_eq(f.header.scene, 2);
                ck_assert_uint_eq(f.header.group_id, 0x000A);
                ck_assert_uint_eq(f.header.org_id, 0x000C);
                ck_assert_uint_eq(f.header.command, 0x54);
                ck_assert_uint_eq(f.header.encrypt, 0xAA);
                ck_assert_uint_eq(f.header.length, n - 13);
                ck_assert_uint_eq(f.data_len, n - 13);
                ck_assert_ptr_eq(f.data, out + 12);
                ck_assert(f.crc_ok);
                ck_assert_uint_eq(f.crc, out[n - 1]);
                ck_assert_int_eq(ttlock_frame_decrypt(&f, k, back, sizeof(back), &pn, NULL), 0);
                ck_assert_uint_eq(pn, len);
                ck_assert_mem_eq(back, plain, len);
        }
}
END_TEST

START_TEST(test_build_limits) {
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x03);
        uint8_t k[TTLOCK_KEY_SIZE], plain[TTLOCK_PLAIN_MAX + 1] = {}, out[TTLOCK_FRAME_MAX];
        TTError e1 = {}, e2 = {}, e3 = {};
        size_t n = 77;

        key_k(k);
        ck_assert_int_eq(ttlock_frame_build(&h, k, plain, TTLOCK_PLAIN_MAX, out, sizeof(out), &n, NULL), 0);
        ck_assert_uint_eq(n, TTLOCK_FRAME_MAX);
        ck_assert_uint_eq(out[11], 240);

        n = 77;
        ck_assert_int_eq(ttlock_frame_build(&h, k, plain, TTLOCK_PLAIN_MAX + 1, out, sizeof(out), &n, &e1),
                         -EINVAL);
        ck_assert_str_eq(tt_error_message(&e1), "payload of 240 bytes exceeds the maximum of 239");
        ck_assert_int_eq(ttlock_frame_build(&h, k, plain, 7, out, 28, &n, &e2), -ENOBUFS);
        ck_assert_str_eq(tt_error_message(&e2), "frame of 29 bytes does not fit in 28");
        ck_assert_int_eq(ttlock_frame_build(&h, NULL, plain, 7, out, sizeof(out), &n, &e3), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e3), "no AES key given");
        ck_assert_uint_eq(n, 77);
}
END_TEST

static void expect_refused(const char *hex, int err, const char *message) {
        uint8_t b[300];
        size_t n = tt_unhex(hex, b, sizeof(b));
        TTFrame f = { .crc = 0x42 };
        TTError e = {};

        ck_assert_int_eq(ttlock_frame_parse_unchecked(b, n, &f, &e), err);
        ck_assert_str_eq(tt_error_message(&e), message);
        ck_assert_uint_eq(f.crc, 0x42); /* untouched */
}

START_TEST(test_refuse_other_generations) {
        /* V2: legacy header §2.2 (7F 5A 03 cmd seed L data CRC). */
        expect_refused("7f5a03 41 17 00 00", -EPROTONOSUPPORT,
                       "V2 lock (legacy header, protocolType 3) is not supported, only V3");
        expect_refused("7f5a00 41 17 00 00", -EPROTONOSUPPORT,
                       "legacy-header frame with protocolType 0x00 is not supported, only V3");
        /* Signed ≥ 5 in the SDK: 0x85 is a legacy header, not a new one. */
        expect_refused("7f5a85 03 01 0001 0001 01 aa 00 00", -EPROTONOSUPPORT,
                       "legacy-header frame with protocolType 0x85 is not supported, only V3");
        expect_refused("7f5a0501010001000101aa0000", -EPROTONOSUPPORT,
                       "V2S lock (protocolType 5, subVersion 1) is not supported, only V3");
        expect_refused("7f5a0504010001000101aa0000", -EPROTONOSUPPORT,
                       "V2S_PLUS lock (protocolType 5, subVersion 4) is not supported, only V3");
        expect_refused("7f5a0a01070001000101aa0000", -EPROTONOSUPPORT,
                       "CAR lock (protocolType 10, subVersion 1) is not supported, only V3");
        expect_refused("7f5a0b01010001000101aa0000", -EPROTONOSUPPORT,
                       "MOBI lock (protocolType 11, subVersion 1) is not supported, only V3");
        expect_refused("7f5a0509010001000101aa0000", -EPROTONOSUPPORT,
                       "unknown lock generation (protocolType 5, subVersion 9) is not supported, only V3");
}
END_TEST

/* ttlock_frame_parse_envelope(): every generation's envelope, for explaining frames (§2.2, §2.3). */
START_TEST(test_envelope_any_generation) {
        uint8_t b[64];
        size_t n;
        TTFrame f;

        /* §10.6 D1: the official app's first frame, INITIALIZATION in a V2S header (DEF CON 34). */
        n = tt_unhex("7f5a0501010001000145aa00e2", b, sizeof(b));
        ck_assert_int_eq(ttlock_frame_parse_envelope(b, n, &f, NULL), 0);
        ck_assert(f.crc_ok);
        ck_assert(!f.legacy);
        ck_assert_int_eq(f.generation, TTLOCK_GEN_V2S);
        ck_assert_uint_eq(f.header.command, 0x45);
        ck_assert_uint_eq(f.data_len, 0);
        /* The V3 parser still refuses it: the simulator decides what to make of it. */
        ck_assert_int_eq(ttlock_frame_parse_unchecked(b, n, &f, NULL), -EPROTONOSUPPORT);

        /* XOR generations need no multiple of 16 (§2.3). */
        b[11] = 3;
        memcpy(b + 12, "\x01\x02\x03", 3);
        b[15] = ttlock_crc8(b, 15);
        ck_assert_int_eq(ttlock_frame_parse_envelope(b, 16, &f, NULL), 0);
        ck_assert(f.crc_ok);
        ck_assert_uint_eq(f.data_len, 3);

        /* A legacy V2 frame (§2.2): 6 header bytes, the CRC over them and the data. */
        n = tt_unhex("7f5a034117020a0b00", b, sizeof(b));
        b[8] = ttlock_crc8(b, 8);
        ck_assert_int_eq(ttlock_frame_parse_envelope(b, n, &f, NULL), 0);
        ck_assert(f.legacy);
        ck_assert(f.crc_ok);
        ck_assert_int_eq(f.generation, TTLOCK_GEN_V2);
        ck_assert_uint_eq(f.header.command, 0x41);
        ck_assert_uint_eq(f.header.encrypt, 0x17);
        ck_assert_uint_eq(f.data_len, 2);

        /* What is not an envelope is still refused, whatever the generation. */
        n = tt_unhex("7f5a034117020a", b, sizeof(b));
        ck_assert_int_eq(ttlock_frame_parse_envelope(b, n, &f, NULL), -EBADMSG);
        n = tt_unhex("7f5a0503010001000101aa03000000", b, sizeof(b));
        ck_assert_int_eq(ttlock_frame_parse_envelope(b, n, &f, NULL), -EBADMSG); /* V3: 3 is no AES length */
}
END_TEST

START_TEST(test_accept_v3_car) {
        TTFrameHeader h = { 5, 3, 7, 1, 1, 0x01, 0xAA, 0 };
        uint8_t out[TTLOCK_FRAME_MAX];
        size_t n;
        TTFrame f;

        ck_assert_int_eq(ttlock_frame_build(&h, NULL, NULL, 0, out, sizeof(out), &n, NULL), 0);
        ck_assert_int_eq(ttlock_frame_parse(out, n, &f, NULL), 0);
        ck_assert_uint_eq(f.header.scene, 7);
        ck_assert_int_eq(ttlock_generation(f.header.protocol_type, f.header.sub_version, f.header.scene),
                         TTLOCK_GEN_V3_CAR);
}
END_TEST

START_TEST(test_refuse_bad_magic) {
        expect_refused("7f5b0503010001000101aa001c", -EBADMSG,
                       "not a TTLock frame: starts with 7f 5b, expected 7f 5a");
        expect_refused("0d0a", -EBADMSG, "not a TTLock frame: starts with 0d 0a, expected 7f 5a");
}
END_TEST

START_TEST(test_truncated_every_length) {
        uint8_t k[TTLOCK_KEY_SIZE], out[TTLOCK_FRAME_MAX];
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x56);
        size_t n;

        key_k(k);
        ck_assert_int_eq(ttlock_frame_build(&h, k, (const uint8_t *) "0123456789abcdefghij", 20, out,
                                            sizeof(out), &n, NULL),
                         0);
        ck_assert_uint_eq(n, 45);
        for (size_t len = 0; len < n; len++) {
                TTError e = {};
                TTFrame f;

                ck_assert_int_eq(ttlock_frame_parse_unchecked(out, len, &f, &e), -EBADMSG);
                ck_assert_msg(strstr(tt_error_message(&e),
                                     len < 12 ? "truncated: " : "length byte says 32 data"),
                              "len %zu: %s", len, tt_error_message(&e));
        }
}
END_TEST

START_TEST(test_truncated_messages) {
        expect_refused("", -EBADMSG, "truncated: magic needs 1 byte at offset 0, 0 left");
        expect_refused("7f5a0503", -EBADMSG, "truncated: scene needs 1 byte at offset 4, 0 left");
        expect_refused("7f5a050301000100", -EBADMSG, "truncated: orgId needs 2 bytes at offset 7, 1 left");
        expect_refused("7f5a0503010001000101aa", -EBADMSG,
                       "truncated: length needs 1 byte at offset 11, 0 left");
        expect_refused("7f5a0503010001000101aa00", -EBADMSG,
                       "length byte says 0 data bytes, but the frame has 0 bytes after the header "
                       "(expected 1 with the CRC)");
}
END_TEST

START_TEST(test_wrong_length_byte) {
        uint8_t k[TTLOCK_KEY_SIZE], out[TTLOCK_FRAME_MAX];
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x56);
        TTError e1 = {}, e2 = {}, e3 = {};
        size_t n;
        TTFrame f;

        key_k(k);
        ck_assert_int_eq(ttlock_frame_build(&h, k, (const uint8_t *) "SCIENER", 7, out, sizeof(out), &n,
                                            NULL),
                         0);

        out[11] = 0x20;
        fix_crc(out, n);
        ck_assert_int_eq(ttlock_frame_parse(out, n, &f, &e1), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e1),
                         "length byte says 32 data bytes, but the frame has 17 bytes after the header "
                         "(expected 33 with the CRC)");

        out[11] = 0x00;
        fix_crc(out, n);
        ck_assert_int_eq(ttlock_frame_parse(out, n, &f, &e2), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e2),
                         "length byte says 0 data bytes, but the frame has 17 bytes after the header "
                         "(expected 1 with the CRC)");

        /* Consistent with the buffer, but not whole AES blocks. */
        out[11] = 0x0F;
        fix_crc(out, 12 + 15 + 1);
        ck_assert_int_eq(ttlock_frame_parse(out, 12 + 15 + 1, &f, &e3), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e3), "length byte 15 is not a multiple of the AES block size 16");
}
END_TEST

START_TEST(test_bad_crc) {
        uint8_t b[32];
        size_t n = tt_unhex("7f5a0503010001000101aa001d", b, sizeof(b));
        TTError e = {};
        TTFrame f;

        ck_assert_int_eq(ttlock_frame_parse(b, n, &f, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad CRC: frame says 0x1d, computed 0x1c");

        ck_assert_int_eq(ttlock_frame_parse_unchecked(b, n, &f, NULL), 0);
        ck_assert(!f.crc_ok);
        ck_assert_uint_eq(f.crc, 0x1d);
        ck_assert_uint_eq(f.crc_computed, 0x1c);
}
END_TEST

START_TEST(test_trailing_bytes) {
        /* A frame with its 0D 0A still attached is the transport's mistake, not a frame. */
        expect_refused("7f5a0503010001000101aa001c0d0a", -EBADMSG,
                       "length byte says 0 data bytes, but the frame has 3 bytes after the header "
                       "(expected 1 with the CRC)");
}
END_TEST

START_TEST(test_decrypt_empty_and_wrong_key) {
        uint8_t k[TTLOCK_KEY_SIZE], out[TTLOCK_FRAME_MAX], plain[TTLOCK_FRAME_MAX_DATA];
        TTFrameHeader h = TTLOCK_V3_LOCK_HEADER(0x54);
        TTError e = {};
        size_t n, pn = 99;
        TTFrame f;

        key_k(k);
        ck_assert_int_eq(ttlock_frame_build(&h, NULL, NULL, 0, out, sizeof(out), &n, NULL), 0);
        ck_assert_int_eq(ttlock_frame_parse(out, n, &f, NULL), 0);
        ck_assert_int_eq(ttlock_frame_decrypt(&f, k, plain, sizeof(plain), &pn, NULL), 0);
        ck_assert_uint_eq(pn, 0);

        ck_assert_int_eq(ttlock_frame_build(&h, k, (const uint8_t *) "\x56\x01SCIENER", 9, out, sizeof(out),
                                            &n, NULL),
                         0);
        ck_assert_int_eq(ttlock_frame_parse(out, n, &f, NULL), 0);
        pn = 99;
        ck_assert_int_eq(ttlock_frame_decrypt(&f, ttlock_default_key, plain, sizeof(plain), &pn, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad PKCS#7 padding (wrong key?)");
        ck_assert_uint_eq(pn, 99);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("frame");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_generation_classification);
        tcase_add_test(tc, test_build_empty);
        tcase_add_test(tc, test_build_parse_round_trip);
        tcase_add_test(tc, test_build_limits);
        tcase_add_test(tc, test_refuse_other_generations);
        tcase_add_test(tc, test_accept_v3_car);
        tcase_add_test(tc, test_envelope_any_generation);
        tcase_add_test(tc, test_refuse_bad_magic);
        tcase_add_test(tc, test_truncated_every_length);
        tcase_add_test(tc, test_truncated_messages);
        tcase_add_test(tc, test_wrong_length_byte);
        tcase_add_test(tc, test_bad_crc);
        tcase_add_test(tc, test_trailing_bytes);
        tcase_add_test(tc, test_decrypt_empty_and_wrong_key);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
