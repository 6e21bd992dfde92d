/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crc.h"
#include "frame.h"
#include "macro.h"
#include "transport.h"
#include "tt-test.h"

/* §10.3 V1 on the wire, and the same frame without the terminator. */
static const char *const V1_WIRE = "7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc0d0a";
static const char *const V1_FRAME = "7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc";
static const char *const V6_WIRE = "7f5a0503010001000101aa001c0d0a";
static const char *const V22_WIRE = "7f5a0503010001000157aa00b60d0a";

typedef struct Collected {
        size_t count;
        size_t len[16];
        uint8_t frame[16][TTLOCK_WIRE_MAX];
        TTReassembler *reset_on_delivery;
} Collected;

static void collect(const uint8_t *frame, size_t len, void *userdata) {
        Collected *c = userdata;

        ck_assert_uint_le(len, TTLOCK_WIRE_MAX - 2);
        if (c->count < ELEMENTSOF(c->frame)) {
                memcpy(c->frame[c->count], frame, len);
                c->len[c->count] = len;
        }
        c->count++;
        if (c->reset_on_delivery)
                ttlock_reassembler_reset(c->reset_on_delivery);
}

START_TEST(test_wire_encode) {
        uint8_t frame[TTLOCK_FRAME_MAX + 1] = {}, out[TTLOCK_WIRE_MAX + 1];
        TTError e1 = {}, e2 = {};
        size_t fn = tt_unhex(V1_FRAME, frame, sizeof(frame)), n = 77;

        ck_assert_int_eq(ttlock_wire_encode(frame, fn, out, sizeof(out), &n, NULL), 0);
        tt_assert_hex_eq(out, n, V1_WIRE);

        n = 77;
        ck_assert_int_eq(ttlock_wire_encode(frame, fn, out, fn + 1, &n, &e1), -ENOBUFS);
        ck_assert_str_eq(tt_error_message(&e1), "wire frame of 31 bytes does not fit in 30");
        ck_assert_int_eq(ttlock_wire_encode(frame, TTLOCK_FRAME_MAX + 1, out, sizeof(out), &n, &e2),
                         -EINVAL);
        ck_assert_str_eq(tt_error_message(&e2), "frame of 254 bytes is not between 1 and 253");
        ck_assert_int_eq(ttlock_wire_encode(frame, 0, out, sizeof(out), &n, NULL), -EINVAL);
        ck_assert_uint_eq(n, 77);
        ck_assert_int_eq(ttlock_wire_encode(frame, TTLOCK_FRAME_MAX, out, sizeof(out), &n, NULL), 0);
        ck_assert_uint_eq(n, TTLOCK_WIRE_MAX);
}
END_TEST

START_TEST(test_chunks_of_v1) {
        uint8_t wire[64];
        size_t n = tt_unhex(V1_WIRE, wire, sizeof(wire)), cn;
        const uint8_t *c;

        /* §10.3 V1 shows exactly these two writes. */
        ck_assert_uint_eq(ttlock_chunk_count(n), 2);
        ck_assert_int_eq(ttlock_chunk(wire, n, 0, &c, &cn), 0);
        tt_assert_hex_eq(c, cn, "7f5a0503010001000119aa1026ed1d9258a1e428");
        ck_assert_int_eq(ttlock_chunk(wire, n, 1, &c, &cn), 0);
        tt_assert_hex_eq(c, cn, "fcb48bbd1c0e5a46bc0d0a");
        ck_assert_int_eq(ttlock_chunk(wire, n, 2, &c, &cn), -ERANGE);
}
END_TEST

START_TEST(test_chunk_counts) {
        uint8_t wire[TTLOCK_WIRE_MAX] = {};
        const uint8_t *c;
        size_t cn;

        ck_assert_uint_eq(ttlock_chunk_count(0), 0);
        ck_assert_uint_eq(ttlock_chunk_count(1), 1);
        ck_assert_uint_eq(ttlock_chunk_count(20), 1);
        ck_assert_uint_eq(ttlock_chunk_count(21), 2);
        ck_assert_uint_eq(ttlock_chunk_count(40), 2);
        ck_assert_uint_eq(ttlock_chunk_count(TTLOCK_WIRE_MAX), 13);
        ck_assert_int_eq(ttlock_chunk(wire, 0, 0, &c, &cn), -ERANGE);
        ck_assert_int_eq(ttlock_chunk(wire, 40, 1, &c, &cn), 0);
        ck_assert_ptr_eq(c, wire + 20);
        ck_assert_uint_eq(cn, 20);
        ck_assert_int_eq(ttlock_chunk(wire, TTLOCK_WIRE_MAX, 12, &c, &cn), 0);
        ck_assert_uint_eq(cn, 15);
}
END_TEST

START_TEST(test_reassemble_split_everywhere) {
        uint8_t wire[64];
        size_t n = tt_unhex(V1_WIRE, wire, sizeof(wire));

        for (size_t split = 0; split <= n; split++) {
                TTReassembler r;
                Collected c = {};

                ttlock_reassembler_init(&r);
                ttlock_reassembler_feed(&r, wire, split, collect, &c);
                ck_assert_uint_eq(c.count, split == n ? 1 : 0);
                ttlock_reassembler_feed(&r, wire + split, n - split, collect, &c);
                ck_assert_uint_eq(c.count, 1);
                tt_assert_hex_eq(c.frame[0], c.len[0], V1_FRAME);
                ck_assert_uint_eq(r.frames, 1);
                ck_assert_uint_eq(r.garbage_bytes, 0);
                ck_assert_uint_eq(r.len, 0);
        }
}
END_TEST

START_TEST(test_reassemble_two_frames_split_everywhere) {
        uint8_t wire[128];
        size_t n1 = tt_unhex(V1_WIRE, wire, sizeof(wire));
        size_t n = n1 + tt_unhex(V6_WIRE, wire + n1, sizeof(wire) - n1);

        for (size_t a = 0; a <= n; a++)
                for (size_t b = a; b <= n; b++) {
                        TTReassembler r;
                        Collected c = {};

                        ttlock_reassembler_init(&r);
                        ttlock_reassembler_feed(&r, wire, a, collect, &c);
                        ttlock_reassembler_feed(&r, wire + a, b - a, collect, &c);
                        ttlock_reassembler_feed(&r, wire + b, n - b, collect, &c);
                        ck_assert_uint_eq(c.count, 2);
                        tt_assert_hex_eq(c.frame[0], c.len[0], V1_FRAME);
                        tt_assert_hex_eq(c.frame[1], c.len[1], "7f5a0503010001000101aa001c");
                }
}
END_TEST

START_TEST(test_reassemble_byte_by_byte_and_chunks) {
        uint8_t wire[64];
        size_t n = tt_unhex(V1_WIRE, wire, sizeof(wire));
        TTReassembler r;
        Collected c = {};

        ttlock_reassembler_init(&r);
        for (size_t i = 0; i < n; i++)
                ttlock_reassembler_feed(&r, wire + i, 1, collect, &c);
        ck_assert_uint_eq(c.count, 1);

        for (size_t i = 0; i < ttlock_chunk_count(n); i++) {
                const uint8_t *p;
                size_t pn;

                ck_assert_int_eq(ttlock_chunk(wire, n, i, &p, &pn), 0);
                ttlock_reassembler_feed(&r, p, pn, collect, &c);
        }
        ck_assert_uint_eq(c.count, 2);
        tt_assert_hex_eq(c.frame[1], c.len[1], V1_FRAME);
}
END_TEST

START_TEST(test_garbage_between_frames) {
        uint8_t wire[256];
        size_t n = 0;
        TTReassembler r;
        Collected c = {};

        /* Noise, a lone 7F, a stray 0D 0A, a false 7F 5A start whose "length" points at no 0D 0A,
         * then real frames with noise between them. */
        n += tt_unhex("00 11 7f 0d0a 5a", wire + n, sizeof(wire) - n);
        n += tt_unhex(V1_WIRE, wire + n, sizeof(wire) - n);
        n += tt_unhex("ff 7f 7f", wire + n, sizeof(wire) - n);
        n += tt_unhex(V6_WIRE, wire + n, sizeof(wire) - n);
        n += tt_unhex("7f5a 0503 0100 0100 0101 aa00 1c 0000", wire + n, sizeof(wire) - n);
        n += tt_unhex(V22_WIRE, wire + n, sizeof(wire) - n);

        for (size_t step = 1; step <= n; step++) {
                ttlock_reassembler_init(&r);
                c = (Collected) {};
                for (size_t off = 0; off < n; off += step)
                        ttlock_reassembler_feed(&r, wire + off, MIN(step, n - off), collect, &c);
                ck_assert_uint_eq(c.count, 3);
                tt_assert_hex_eq(c.frame[0], c.len[0], V1_FRAME);
                tt_assert_hex_eq(c.frame[1], c.len[1], "7f5a0503010001000101aa001c");
                tt_assert_hex_eq(c.frame[2], c.len[2], "7f5a0503010001000157aa00b6");
                ck_assert_uint_eq(r.frames, 3);
                ck_assert_uint_eq(r.garbage_bytes, 6 + 3 + 15);
        }
}
END_TEST

START_TEST(test_terminator_inside_ciphertext) {
        uint8_t k[TTLOCK_KEY_SIZE], plain[4], frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX];
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(0x30);
        size_t fn, wn;
        const uint8_t *p;
        size_t pn;
        TTReassembler r;
        Collected c = {};

        /* This payload under key K encrypts to a block whose bytes 6–7 are 0D 0A: on the wire they sit
         * at offsets 18–19, the very end of the first 20-byte write. A reassembler that trusts the
         * terminator (the [JS] bug of §1.4) would cut the frame there. */
        tt_unhex("947c705c5103a1b1309eeaa00d542daa", k, sizeof(k));
        tt_unhex("00014c38", plain, sizeof(plain));
        ck_assert_int_eq(ttlock_frame_build(&h, k, plain, sizeof(plain), frame, sizeof(frame), &fn, NULL),
                         0);
        ck_assert_int_eq(ttlock_wire_encode(frame, fn, wire, sizeof(wire), &wn, NULL), 0);
        ck_assert_uint_eq(wire[18], 0x0D);
        ck_assert_uint_eq(wire[19], 0x0A);

        ttlock_reassembler_init(&r);
        ck_assert_int_eq(ttlock_chunk(wire, wn, 0, &p, &pn), 0);
        ttlock_reassembler_feed(&r, p, pn, collect, &c);
        ck_assert_uint_eq(c.count, 0);
        ck_assert_int_eq(ttlock_chunk(wire, wn, 1, &p, &pn), 0);
        ttlock_reassembler_feed(&r, p, pn, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        ck_assert_uint_eq(c.len[0], fn);
        ck_assert_mem_eq(c.frame[0], frame, fn);
        ck_assert_uint_eq(r.garbage_bytes, 0);
}
END_TEST

START_TEST(test_missing_terminator_resyncs) {
        uint8_t wire[128];
        size_t n = 0;
        TTReassembler r;
        Collected c = {};

        /* V1 with its terminator replaced: the length says where 0D 0A must be, it is not there, so the
         * 7F 5A is dropped and the frame that follows is still found. */
        n += tt_unhex(V1_FRAME, wire + n, sizeof(wire) - n);
        n += tt_unhex("0d0b", wire + n, sizeof(wire) - n);
        n += tt_unhex(V6_WIRE, wire + n, sizeof(wire) - n);

        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, wire, n, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        tt_assert_hex_eq(c.frame[0], c.len[0], "7f5a0503010001000101aa001c");
        ck_assert_uint_eq(r.garbage_bytes, 31);
}
END_TEST

START_TEST(test_legacy_frame_delivered) {
        uint8_t wire[32];
        size_t n = tt_unhex("7f5a 03 41 17 02 aabb cc 0d0a", wire, sizeof(wire));
        TTReassembler r;
        Collected c = {};

        /* §1.4: legacy total = 6 + L + 3; delivered so that the parser can name the generation. */
        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, wire, n - 1, collect, &c);
        ck_assert_uint_eq(c.count, 0);
        ttlock_reassembler_feed(&r, wire + n - 1, 1, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        tt_assert_hex_eq(c.frame[0], c.len[0], "7f5a03411702aabbcc");
}
END_TEST

START_TEST(test_impossible_length) {
        uint8_t wire[64];
        size_t n = 0;
        TTReassembler r;
        Collected c = {};

        /* L = 0xFF would make a 270-byte frame, longer than anything on the wire; likewise a legacy
         * L = 0xF8 (6 + 248 + 3 = 257). Waiting for it would swallow the next real frame. */
        n += tt_unhex("7f5a0503010001000101aaff", wire + n, sizeof(wire) - n);
        n += tt_unhex("7f5a03411df8", wire + n, sizeof(wire) - n);
        n += tt_unhex(V6_WIRE, wire + n, sizeof(wire) - n);

        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, wire, n, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        tt_assert_hex_eq(c.frame[0], c.len[0], "7f5a0503010001000101aa001c");
        ck_assert_uint_eq(r.garbage_bytes, 18);
}
END_TEST

START_TEST(test_maximum_frame) {
        uint8_t k[TTLOCK_KEY_SIZE] = {}, plain[TTLOCK_PLAIN_MAX] = {}, frame[TTLOCK_FRAME_MAX],
                wire[TTLOCK_WIRE_MAX + 20];
        TTFrameHeader h = TTLOCK_V3_LOCK_HEADER(0x54);
        size_t fn, wn;
        TTReassembler r;
        Collected c = {};

        ck_assert_int_eq(ttlock_frame_build(&h, k, plain, sizeof(plain), frame, sizeof(frame), &fn, NULL),
                         0);
        ck_assert_int_eq(ttlock_wire_encode(frame, fn, wire, sizeof(wire), &wn, NULL), 0);
        ck_assert_uint_eq(wn, TTLOCK_WIRE_MAX);

        /* Preceded by noise in the same feed, so the buffer fills up completely on the way. */
        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, (const uint8_t *) "\x01\x02\x03\x04\x05", 5, collect, &c);
        ttlock_reassembler_feed(&r, wire, wn, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        ck_assert_uint_eq(c.len[0], fn);
        ck_assert_mem_eq(c.frame[0], frame, fn);
}
END_TEST

START_TEST(test_oversized_input) {
        size_t big = 100000, n;
        uint8_t *buf = malloc(big + 64);
        TTReassembler r;
        Collected c = {};
        uint32_t x = 12345;

        ck_assert_ptr_nonnull(buf);
        /* Pseudo-random noise without any 7F, then a frame — all in one feed. */
        for (size_t i = 0; i < big; i++) {
                x = x * 1103515245 + 12345;
                buf[i] = (uint8_t) (x >> 16) == 0x7F ? 0 : (uint8_t) (x >> 16);
        }
        n = big + tt_unhex(V1_WIRE, buf + big, 64);

        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, buf, n, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        tt_assert_hex_eq(c.frame[0], c.len[0], V1_FRAME);
        ck_assert_uint_eq(r.garbage_bytes, big);
        free(buf);
}
END_TEST

START_TEST(test_hostile_noise) {
        size_t big = 200000;
        uint8_t *buf = malloc(big);
        TTReassembler r;
        Collected c = {};
        uint32_t x = 99;

        /* Noise rich in 7F 5A starts and 0D 0A pairs, fed in random-sized pieces; the callback
         * checks every delivered length; ASan/UBSan builds check the rest. */
        ck_assert_ptr_nonnull(buf);
        for (size_t i = 0; i < big; i++) {
                x = x * 1664525 + 1013904223;
                switch ((x >> 24) % 8) {
                case 0: buf[i] = 0x7F; break;
                case 1: buf[i] = 0x5A; break;
                case 2: buf[i] = 0x0D; break;
                case 3: buf[i] = 0x0A; break;
                case 4: buf[i] = (uint8_t) ((x >> 8) % 16); break;
                default: buf[i] = (uint8_t) (x >> 12); break;
                }
        }
        ttlock_reassembler_init(&r);
        for (size_t off = 0; off < big;) {
                size_t step;

                x = x * 1664525 + 1013904223;
                step = MIN((size_t) (x >> 20) % 600, big - off);
                ttlock_reassembler_feed(&r, buf + off, step, collect, &c);
                ck_assert_uint_lt(r.len, sizeof(r.buf));
                off += step;
        }
        ck_assert_uint_eq(r.frames, c.count);
        free(buf);
}
END_TEST

START_TEST(test_reset) {
        uint8_t wire[64];
        size_t n = tt_unhex(V1_WIRE, wire, sizeof(wire));
        TTReassembler r;
        Collected c = {};

        ttlock_reassembler_init(&r);
        ttlock_reassembler_feed(&r, wire, 20, collect, &c);
        ttlock_reassembler_reset(&r);
        ck_assert_uint_eq(r.len, 0);
        ttlock_reassembler_feed(&r, wire, n, collect, &c);
        ck_assert_uint_eq(c.count, 1);

        /* The callback may reset (the caller disconnects on a bad frame): what was buffered is gone,
         * without a crash, and the reassembler works on. */
        c = (Collected) { .reset_on_delivery = &r };
        n = tt_unhex("7f5a0503010001000101aa001c0d0a 7f5a0503010001000101aa001c0d0a", wire, sizeof(wire));
        ttlock_reassembler_feed(&r, wire, n, collect, &c);
        ck_assert_uint_eq(c.count, 1);
        ck_assert_uint_eq(r.len, 0);
        c.reset_on_delivery = NULL;
        ttlock_reassembler_feed(&r, wire, n, collect, &c);
        ck_assert_uint_eq(c.count, 3);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("transport");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_wire_encode);
        tcase_add_test(tc, test_chunks_of_v1);
        tcase_add_test(tc, test_chunk_counts);
        tcase_add_test(tc, test_reassemble_split_everywhere);
        tcase_add_test(tc, test_reassemble_two_frames_split_everywhere);
        tcase_add_test(tc, test_reassemble_byte_by_byte_and_chunks);
        tcase_add_test(tc, test_garbage_between_frames);
        tcase_add_test(tc, test_terminator_inside_ciphertext);
        tcase_add_test(tc, test_missing_terminator_resyncs);
        tcase_add_test(tc, test_legacy_frame_delivered);
        tcase_add_test(tc, test_impossible_length);
        tcase_add_test(tc, test_maximum_frame);
        tcase_add_test(tc, test_oversized_input);
        tcase_add_test(tc, test_hostile_noise);
        tcase_add_test(tc, test_reset);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
