/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every frame vector of doc/protocol.md §10.3 (V1–V22), the captured frames R1 and R7 of §10.1 and D1–D8
 * of §10.6, byte for byte in both directions: built from plaintext and key, and parsed back from the wire. */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "crc.h"
#include "frame.h"
#include "hex.h"
#include "macro.h"
#include "reply.h"
#include "transport.h"
#include "tt-test.h"

typedef enum KeyKind {
        KEY_NONE,    /* no payload: "any" key in §10.3 */
        KEY_DEFAULT, /* §3.2 */
        KEY_K,       /* 947c705c…, §10 */
} KeyKind;

typedef struct Vector {
        const char *name;
        bool reply;      /* lock-style header: scene 2 */
        uint8_t command; /* frame command byte */
        KeyKind key;
        const char *plain;
        const char *wire;
} Vector;

static const Vector vectors[] = {
        { "V1", false, 0x19, KEY_DEFAULT, "534349454e4552",
          "7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc0d0a" },
        /* The GET_AES_KEY reply carries frame command 0x19, not 0x54 (§2.4). */
        { "V2", true, 0x19, KEY_DEFAULT, "1901 947c705c5103a1b1309eeaa00d542daa",
          "7f5a0503020001000119aa203e7f27b40391ec02fdff54d2ecf1e7e09b948f38e0471cc900c6c1f91ac8c208970d0a" },
        { "V3", false, 0x56, KEY_K, "045b1923 048b9751 534349454e4552",
          "7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a" },
        { "V4", true, 0x54, KEY_K, "5601 534349454e4552",
          "7f5a0503020001000154aa10b776b5024d151c743c5e587f46d2391a360d0a" },
        { "V5", false, 0x43, KEY_K, "1501130c2238",
          "7f5a0503010001000143aa1074322b76dfc06dc5c44c793a977cc526720d0a" },
        { "V6", false, 0x01, KEY_NONE, "", "7f5a0503010001000101aa001c0d0a" },
        { "V7", true, 0x54, KEY_K, "0101 64 200451e1",
          "7f5a0503020001000154aa100f8334b438cab888119f54b284862885090d0a" },
        { "V8", false, 0x55, KEY_K, "00011f0e00 630b1e0e00 000000 00000000",
          "7f5a0503010001000155aa20d1136208ba0ecd18db91e17ebe7f5b314e853dded61b9dacefdc500d67b8a5112c0d0a" },
        { "V9", false, 0x41, KEY_K, "045b1923 000000 00000000",
          "7f5a0503010001000141aa108be80641d956b6f88aa9d305deb77514ad0d0a" },
        { "V10", true, 0x54, KEY_K, "5501 1a2b3c4d",
          "7f5a0503020001000154aa101438dc634b180feb192c058185b084a78b0d0a" },
        { "V11", false, 0x30, KEY_K, "1eb6d39e",
          "7f5a0503010001000130aa102a374815c2d225e88da5b4d204c599953b0d0a" },
        { "V12", false, 0x47, KEY_K, "1eb6d39e 6006d1f0",
          "7f5a0503010001000147aa10717e6289662c960acb1eafa77a33bf8b710d0a" },
        { "V13", false, 0x58, KEY_K, "1eb6d39e 6006d1f0",
          "7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8ba00d0a" },
        { "V14", true, 0x54, KEY_K, "4701 50 00000000 6006d1f0 1501130c2238",
          "7f5a0503020001000154aa20888f91eb96b6f5c76787a237ab9ac12f290286a35275f136c9b4730a6e26ba42aa0d0a" },
        { "V15", false, 0x14, KEY_K, "534349454e4552",
          "7f5a0503010001000114aa10b80b71644c043a6c31b186eb9e819e93640d0a" },
        { "V16", true, 0x54, KEY_K, "1401 50 00",
          "7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a0d0a" },
        { "V17", false, 0x25, KEY_K, "ffff",
          "7f5a0503010001000125aa10be072c9d02777dfeb650d50c10a78ec0f10d0a" },
        { "V18", false, 0x36, KEY_K, "01",
          "7f5a0503010001000136aa10e975e80f9a7fbecb6517bfec7bc9dee2260d0a" },
        { "V19", false, 0x36, KEY_K, "020005",
          "7f5a0503010001000136aa10a2bd2a30323db614423b4444db4d7eb2ae0d0a" },
        { "V20", false, 0x62, KEY_K, "0200",
          "7f5a0503010001000162aa1017478be3922d9fced894158210d55d85040d0a" },
        { "V21", false, 0x52, KEY_NONE, "", "7f5a0503010001000152aa00830d0a" },
        { "V22", false, 0x57, KEY_NONE, "", "7f5a0503010001000157aa00b60d0a" },
        /* §10.1 R1, captured from a real session (kind3r/hass-addons#34). */
        { "R1", false, 0x01, KEY_NONE, "", "7f5a0503010001000101aa001c0d0a" },
};

static void key_of(KeyKind kind, uint8_t k[TTLOCK_KEY_SIZE]) {
        if (kind == KEY_DEFAULT)
                memcpy(k, ttlock_default_key, TTLOCK_KEY_SIZE);
        else
                tt_unhex("947c705c5103a1b1309eeaa00d542daa", k, TTLOCK_KEY_SIZE);
}

/* The other key, for "wrong key" checks. */
static void wrong_key_of(KeyKind kind, uint8_t k[TTLOCK_KEY_SIZE]) {
        key_of(kind == KEY_DEFAULT ? KEY_K : KEY_DEFAULT, k);
}

static TTFrameHeader header_of(const Vector *v) {
        return v->reply ? TTLOCK_V3_LOCK_HEADER(v->command) : TTLOCK_V3_APP_HEADER(v->command);
}

/* Wire bytes → the frame, through the reassembler in 20-byte writes as on the air. */
typedef struct Got {
        size_t count;
        size_t len;
        uint8_t frame[TTLOCK_WIRE_MAX];
} Got;

static void got_frame(const uint8_t *frame, size_t len, void *userdata) {
        Got *g = userdata;

        g->count++;
        memcpy(g->frame, frame, len);
        g->len = len;
}

static size_t frame_of(const Vector *v, uint8_t *frame) {
        uint8_t wire[TTLOCK_WIRE_MAX];
        size_t n = tt_unhex(v->wire, wire, sizeof(wire));
        TTReassembler r;
        Got g = {};

        ttlock_reassembler_init(&r);
        for (size_t i = 0; i < ttlock_chunk_count(n); i++) {
                const uint8_t *c;
                size_t cn;

                ck_assert_int_eq(ttlock_chunk(wire, n, i, &c, &cn), 0);
                ttlock_reassembler_feed(&r, c, cn, got_frame, &g);
        }
        ck_assert_msg(g.count == 1, "%s: %zu frames reassembled", v->name, g.count);
        ck_assert_uint_eq(g.len, n - 2);
        memcpy(frame, g.frame, g.len);
        return g.len;
}

START_TEST(test_build) {
        const Vector *v = &vectors[_i];
        TTFrameHeader h = header_of(v);
        uint8_t k[TTLOCK_KEY_SIZE], plain[TTLOCK_PLAIN_MAX], frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX];
        size_t pn = tt_unhex(v->plain, plain, sizeof(plain)), fn, wn;
        TTError e = {};

        key_of(v->key, k);
        ck_assert_msg(ttlock_frame_build(&h, v->key == KEY_NONE ? NULL : k, plain, pn, frame, sizeof(frame),
                                         &fn, &e) == 0,
                      "%s: %s", v->name, tt_error_message(&e));
        ck_assert_int_eq(ttlock_wire_encode(frame, fn, wire, sizeof(wire), &wn, NULL), 0);
        tt_assert_hex_eq(wire, wn, v->wire);
}
END_TEST

START_TEST(test_parse) {
        const Vector *v = &vectors[_i];
        uint8_t k[TTLOCK_KEY_SIZE], frame[TTLOCK_WIRE_MAX], plain[TTLOCK_FRAME_MAX_DATA];
        size_t fn = frame_of(v, frame), pn = 99;
        TTError e = {};
        TTFrame f;

        ck_assert_msg(ttlock_frame_parse(frame, fn, &f, &e) == 0, "%s: %s", v->name, tt_error_message(&e));
        ck_assert_uint_eq(f.header.protocol_type, 5);
        ck_assert_uint_eq(f.header.sub_version, 3);
        ck_assert_uint_eq(f.header.scene, v->reply ? 2 : 1);
        ck_assert_uint_eq(f.header.group_id, 1);
        ck_assert_uint_eq(f.header.org_id, 1);
        ck_assert_uint_eq(f.header.command, v->command);
        ck_assert_uint_eq(f.header.encrypt, TTLOCK_ENCRYPT_APP);
        ck_assert_uint_eq(f.header.length, fn - 13);
        ck_assert(f.crc_ok);

        key_of(v->key, k);
        ck_assert_msg(ttlock_frame_decrypt(&f, k, plain, sizeof(plain), &pn, &e) == 0, "%s: %s", v->name,
                      tt_error_message(&e));
        tt_assert_hex_eq(plain, pn, v->plain);

        if (v->reply) {
                TTReply r;
                uint8_t echo[1];

                /* The echo byte is plaintext[0] and says what is answered; V2's frame byte agrees. */
                tt_unhex(v->plain, plain, sizeof(plain));
                ck_assert_int_eq(ttlock_reply_parse(plain, pn, &r, NULL), 0);
                ck_assert(r.success);
                memcpy(echo, plain, 1);
                ck_assert_uint_eq(r.command, echo[0]);
                ck_assert_uint_eq(r.data_len, pn - 2);
        }
}
END_TEST

START_TEST(test_wrong_key) {
        const Vector *v = &vectors[_i];
        uint8_t k[TTLOCK_KEY_SIZE], frame[TTLOCK_WIRE_MAX], plain[TTLOCK_FRAME_MAX_DATA];
        size_t fn = frame_of(v, frame), pn = 99;
        TTError e = {};
        TTFrame f;

        ck_assert_int_eq(ttlock_frame_parse(frame, fn, &f, NULL), 0);
        if (f.data_len == 0)
                return; /* nothing encrypted, any key "works" (§10.3 "any") */

        wrong_key_of(v->key, k);
        ck_assert_int_eq(ttlock_frame_decrypt(&f, k, plain, sizeof(plain), &pn, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad PKCS#7 padding (wrong key?)");
        ck_assert_uint_eq(pn, 99);
}
END_TEST

START_TEST(test_truncated) {
        const Vector *v = &vectors[_i];
        uint8_t frame[TTLOCK_WIRE_MAX];
        size_t fn = frame_of(v, frame);

        for (size_t len = 0; len < fn; len++) {
                TTError e = {};
                TTFrame f;

                ck_assert_int_eq(ttlock_frame_parse(frame, len, &f, &e), -EBADMSG);
                ck_assert_msg(strstr(tt_error_message(&e), len < 12 ? "truncated: " : "length byte says"),
                              "%s cut to %zu: %s", v->name, len, tt_error_message(&e));
        }
}
END_TEST

START_TEST(test_wrong_length_byte) {
        const Vector *v = &vectors[_i];
        uint8_t frame[TTLOCK_WIRE_MAX];
        size_t fn = frame_of(v, frame);
        const uint8_t deltas[] = { 0x01, 0x10, 0x20, 0x80 };

        for (size_t i = 0; i < ELEMENTSOF(deltas); i++) {
                uint8_t b[TTLOCK_WIRE_MAX];
                TTError e = {};
                TTFrame f;

                memcpy(b, frame, fn);
                b[11] ^= deltas[i];
                b[fn - 1] = ttlock_crc8(b, fn - 1); /* only the length is wrong */
                ck_assert_int_eq(ttlock_frame_parse(b, fn, &f, &e), -EBADMSG);
                ck_assert_msg(strstr(tt_error_message(&e), "length byte"), "%s: %s", v->name,
                              tt_error_message(&e));
        }
}
END_TEST

START_TEST(test_bad_crc) {
        const Vector *v = &vectors[_i];
        uint8_t frame[TTLOCK_WIRE_MAX];
        size_t fn = frame_of(v, frame);
        TTError e = {};
        char msg[64];
        TTFrame f;

        frame[fn - 1] ^= 0x5A;
        ck_assert_int_eq(ttlock_frame_parse(frame, fn, &f, &e), -EBADMSG);
        snprintf(msg, sizeof(msg), "bad CRC: frame says 0x%02x, computed 0x%02x", frame[fn - 1],
                 frame[fn - 1] ^ 0x5A);
        ck_assert_str_eq(tt_error_message(&e), msg);

        /* A flipped data or header bit is caught the same way. */
        frame[fn - 1] ^= 0x5A;
        frame[fn / 2] ^= 0x01;
        ck_assert_int_eq(ttlock_frame_parse(frame, fn, &f, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_bad_padding) {
        const Vector *v = &vectors[_i];
        uint8_t k[TTLOCK_KEY_SIZE], frame[TTLOCK_WIRE_MAX], plain[TTLOCK_FRAME_MAX_DATA];
        size_t fn = frame_of(v, frame), pn;
        TTError e = {};
        TTFrame f;

        if (fn == 13)
                return; /* no ciphertext */

        /* Corrupt the last ciphertext byte and repair the CRC: the frame is well-formed, the last
         * block decrypts to noise. */
        frame[fn - 2] ^= 0x01;
        frame[fn - 1] = ttlock_crc8(frame, fn - 1);
        ck_assert_int_eq(ttlock_frame_parse(frame, fn, &f, NULL), 0);
        key_of(v->key, k);
        ck_assert_int_eq(ttlock_frame_decrypt(&f, k, plain, sizeof(plain), &pn, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad PKCS#7 padding (wrong key?)");
}
END_TEST

START_TEST(test_r7) {
        /* §10.1 R7 (kind3r/ttlock-sdk-js#20): an ESP-IDF port sent INITIALIZATION with a payload 'E'
         * (which it should not carry) and CRC 0x68 where the lock's table gives 0x89 — hence no reply. */
        uint8_t b[64], plain[32], rebuilt[64];
        size_t n = tt_unhex("7f5a0503010001000145aa10 65ce5b109858417b468cc5dd454027c3 68", b, sizeof(b));
        size_t pn, rn;
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x45);
        TTError e = {};
        TTFrame f;

        ck_assert_int_eq(ttlock_frame_parse(b, n, &f, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad CRC: frame says 0x68, computed 0x89");

        ck_assert_int_eq(ttlock_frame_parse_unchecked(b, n, &f, NULL), 0);
        ck_assert(!f.crc_ok);
        ck_assert_uint_eq(f.crc_computed, 0x89);
        ck_assert_uint_eq(f.header.command, 0x45);
        ck_assert_int_eq(ttlock_frame_decrypt(&f, ttlock_default_key, plain, sizeof(plain), &pn, NULL), 0);
        tt_assert_hex_eq(plain, pn, "45");

        /* What it should have sent for that payload: the same bytes with CRC 0x89. */
        ck_assert_int_eq(ttlock_frame_build(&h, ttlock_default_key, plain, pn, rebuilt, sizeof(rebuilt), &rn,
                                            NULL), 0);
        tt_assert_hex_eq(rebuilt, rn, "7f5a0503010001000145aa1065ce5b109858417b468cc5dd454027c389");
}
END_TEST

/* §10.6: frames the official iOS app and real locks exchanged, captured with Frida and published with
 * their keys in the DEF CON 34 talk "The Ghost Key: Illusions of 'Time Management' in TTLock Smart Locks"
 * (Yang Liu, Zhenghan Wang). Each must parse with the lock's CRC table and decrypt to the plaintext the
 * talk shows; none of them was made by this project. */
typedef struct Capture {
        const char *name;
        const char *key; /* hex; NULL: the default key (§3.2); "" for none */
        const char *wire;
        const char *plain;
} Capture;

static const Capture captures[] = {
        { "D1", "", "7f5a0501010001000145aa00e20d0a", "" }, /* INITIALIZATION in a V2S header */
        { "D2", "82452e7632b45dcdc0d48d242ca5bc7b",
          "7f5a050302000f000154aa10f765764a1e22c3260de3c4673b532734e50d0a", "450164" },
        { "D3", "", "7f5a050302000f000154aa00840d0a", "" }, /* a lock in setting mode answers E */
        { "D4", NULL, "7f5a0503020001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46520d0a", "534349454e4552" },
        { "D5", NULL,
          "7f5a050302000f000119aa20de37d8d433c6a5233f13285445533971fc674a8ed6cba4e9e67eebe5966c89e6660d0a",
          "1901f9cd6721308bda8f17ec4dfdafeec16b" },
        { "D6", "f9cd6721308bda8f17ec4dfdafeec16b",
          "7f5a050302000f000156aa10ca0799a4aa74d3dcfd2f5b3fe6888c76d10d0a", "26d2fc7b0109fe80534349454e4552" },
        { "D7", "82452e7632b45dcdc0d48d242ca5bc7b",
          "7f5a050302000f000141aa10199c846fb2c5703f7564e30c4758e0319c0d0a", "26cdf04a00000002acd30b" },
        { "D8", "82452e7632b45dcdc0d48d242ca5bc7b",
          "7f5a050302000f000154aa107a04ae0c81643ab77b24f0bcc360f52f5d0d0a", "41010061631b" },
};

START_TEST(test_captured) {
        const Capture *c = &captures[_i];
        uint8_t wire[TTLOCK_WIRE_MAX], k[TTLOCK_KEY_SIZE], plain[TTLOCK_FRAME_MAX_DATA];
        size_t n = tt_unhex(c->wire, wire, sizeof(wire)), pn = 0;
        TTError e = {};
        TTFrame f;

        ck_assert_uint_ge(n, 2);
        n -= 2; /* 0D 0A */
        ck_assert_msg(ttlock_frame_parse_envelope(wire, n, &f, &e) == 0, "%s: %s", c->name, tt_error_message(&e));
        ck_assert_msg(f.crc_ok, "%s: CRC 0x%02x, the lock's table gives 0x%02x", c->name, f.crc, f.crc_computed);
        if (c->key && !*c->key) {
                ck_assert_uint_eq(f.data_len, 0);
                return;
        }
        if (c->key)
                ck_assert_int_eq(hex_to_bytes(c->key, k, sizeof(k)), TTLOCK_KEY_SIZE);
        else
                memcpy(k, ttlock_default_key, sizeof(k));
        ck_assert_msg(ttlock_frame_decrypt(&f, k, plain, sizeof(plain), &pn, &e) == 0, "%s: %s", c->name,
                      tt_error_message(&e));
        tt_assert_hex_eq(plain, pn, c->plain);
}
END_TEST

START_TEST(test_v1_chunks) {
        uint8_t wire[64];
        size_t n = tt_unhex(vectors[0].wire, wire, sizeof(wire)), cn;
        const uint8_t *c;

        ck_assert_uint_eq(ttlock_chunk_count(n), 2);
        ck_assert_int_eq(ttlock_chunk(wire, n, 0, &c, &cn), 0);
        tt_assert_hex_eq(c, cn, "7f5a0503010001000119aa1026ed1d9258a1e428");
        ck_assert_int_eq(ttlock_chunk(wire, n, 1, &c, &cn), 0);
        tt_assert_hex_eq(c, cn, "fcb48bbd1c0e5a46bc0d0a");
}
END_TEST

START_TEST(test_all_vectors_in_one_stream) {
        uint8_t stream[2048];
        size_t n = 0;
        TTReassembler r;
        Got g = {};

        /* Back to back, fed in 20-byte notifications across frame boundaries. */
        for (size_t i = 0; i < ELEMENTSOF(vectors); i++)
                n += tt_unhex(vectors[i].wire, stream + n, sizeof(stream) - n);
        ttlock_reassembler_init(&r);
        for (size_t off = 0; off < n; off += TTLOCK_CHUNK_SIZE) {
                size_t step = MIN((size_t) TTLOCK_CHUNK_SIZE, n - off);

                ttlock_reassembler_feed(&r, stream + off, step, got_frame, &g);
        }
        ck_assert_uint_eq(g.count, ELEMENTSOF(vectors));
        ck_assert_uint_eq(r.garbage_bytes, 0);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("vectors");
        TCase *tc = tcase_create("core");
        int n = (int) ELEMENTSOF(vectors);

        tcase_add_loop_test(tc, test_build, 0, n);
        tcase_add_loop_test(tc, test_parse, 0, n);
        tcase_add_loop_test(tc, test_wrong_key, 0, n);
        tcase_add_loop_test(tc, test_truncated, 0, n);
        tcase_add_loop_test(tc, test_wrong_length_byte, 0, n);
        tcase_add_loop_test(tc, test_bad_crc, 0, n);
        tcase_add_loop_test(tc, test_bad_padding, 0, n);
        tcase_add_test(tc, test_r7);
        tcase_add_loop_test(tc, test_captured, 0, ELEMENTSOF(captures));
        tcase_add_test(tc, test_v1_chunks);
        tcase_add_test(tc, test_all_vectors_in_one_stream);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
