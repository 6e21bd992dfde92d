/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Both framings of the native API: what we build decodes to what went in, however the stream is cut;
 * every length is bounded; a broken stream fails for good with a reason. */

#include <string.h>

#include "../unit/tt-test.h"
#include "esp-frame.h"
#include "macro.h"

START_TEST(test_varint) {
        static const uint64_t values[] = { 0,     1,     127,    128,        300,       16383,
                                           16384, 32768, 0xFFFF, UINT32_MAX, UINT64_MAX };
        uint8_t b[10];
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                size_t n = esp_varint_encode(values[i], b);

                ck_assert_int_eq(esp_varint_decode(b, n, &v), (int) n);
                ck_assert_uint_eq(v, values[i]);
                /* A cut varint asks for more. */
                ck_assert_int_eq(esp_varint_decode(b, n - 1, &v), 0);
        }
        ck_assert_uint_eq(esp_varint_encode(300, b), 2);
        tt_assert_hex_eq(b, 2, "ac02");
        /* Eleven continuation bytes, or a tenth byte above bit 63. */
        memset(b, 0x80, sizeof(b));
        ck_assert_int_eq(esp_varint_decode(b, sizeof(b), &v), -EBADMSG);
        memset(b, 0xFF, 9);
        b[9] = 0x02;
        ck_assert_int_eq(esp_varint_decode(b, 10, &v), -EBADMSG);
}
END_TEST

START_TEST(test_plain_build_known) {
        uint8_t out[64];
        uint8_t payload[3] = { 0x0a, 0x01, 0x41 };

        /* HelloRequest{client_info="A"}: 00, length 3, type 1, payload. */
        ck_assert_int_eq(esp_plain_frame_build(1, payload, 3, out, sizeof(out)), 6);
        tt_assert_hex_eq(out, 6, "000301 0a0141");
        /* An empty PingRequest is three bytes. */
        ck_assert_int_eq(esp_plain_frame_build(7, NULL, 0, out, sizeof(out)), 3);
        tt_assert_hex_eq(out, 3, "000007");
        /* Type 93 and 200: one and two varint bytes. */
        ck_assert_int_eq(esp_plain_frame_build(200, NULL, 0, out, sizeof(out)), 4);
        tt_assert_hex_eq(out, 4, "0000c801");
        ck_assert_int_eq(esp_plain_frame_build(1, payload, 3, out, 5), -ENOBUFS);
        ck_assert_int_eq(esp_plain_frame_build(1, NULL, ESP_MESSAGE_MAX + 1, out, sizeof(out)), -EMSGSIZE);
}
END_TEST

START_TEST(test_noise_build_known) {
        uint8_t out[8];
        uint8_t body[2] = { 0xAB, 0xCD };

        ck_assert_int_eq(esp_noise_frame_build(NULL, 0, out, sizeof(out)), 3);
        tt_assert_hex_eq(out, 3, "010000"); /* ESPHome's client hello */
        ck_assert_int_eq(esp_noise_frame_build(body, 2, out, sizeof(out)), 5);
        tt_assert_hex_eq(out, 5, "010002abcd");
        ck_assert_int_eq(esp_noise_frame_build(body, 2, out, 4), -ENOBUFS);
        ck_assert_int_eq(esp_noise_frame_build(NULL, 65536, out, sizeof(out)), -EMSGSIZE);
}
END_TEST

/* A stream of frames of several sizes, decoded from pieces cut at every offset (one cut), and byte by
 * byte. */
static size_t build_stream(EspFraming framing, uint8_t *out, size_t size, size_t *ret_n) {
        static const size_t lengths[] = { 0, 1, 20, 127, 128, 300, 1000 };
        size_t used = 0;

        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                uint8_t payload[1000];
                int r;

                for (size_t k = 0; k < lengths[i]; k++)
                        payload[k] = (uint8_t) (i * 31 + k);
                if (framing == ESP_FRAMING_PLAIN)
                        r = esp_plain_frame_build(
                                (uint16_t) (i * 40 + 1), payload, lengths[i], out + used, size - used);
                else
                        r = esp_noise_frame_build(payload, lengths[i], out + used, size - used);
                ck_assert_int_gt(r, 0);
                used += (size_t) r;
        }
        *ret_n = ELEMENTSOF(lengths);
        return used;
}

static void check_frame(EspFraming framing, const EspFrame *f, size_t index) {
        static const size_t lengths[] = { 0, 1, 20, 127, 128, 300, 1000 };

        ck_assert_uint_eq(f->len, lengths[index]);
        if (framing == ESP_FRAMING_PLAIN)
                ck_assert_uint_eq(f->type, index * 40 + 1);
        for (size_t k = 0; k < f->len; k++)
                if (f->data[k] != (uint8_t) (index * 31 + k))
                        ck_abort_msg("frame %zu byte %zu is 0x%02x", index, k, f->data[k]);
}

/* Feeds [0, cut) then [cut, n) (cut = n: all at once; step 1: byte by byte); returns frames seen. */
static size_t feed(EspFraming framing, const uint8_t *stream, size_t n, size_t cut, bool bytewise) {
        EspFrameDecoder d;
        size_t frames = 0;
        size_t bounds[3] = { 0, cut, n };

        ck_assert_int_eq(esp_frame_decoder_init(&d, framing, 1000), 0);
        for (size_t part = 0; part < 2; part++) {
                size_t pos = bounds[part], end = bounds[part + 1];

                while (pos < end) {
                        size_t piece = bytewise ? 1 : end - pos, used = 0;

                        while (piece > 0) {
                                EspFrame f;
                                int r = esp_frame_decoder_push(&d, stream + pos, piece, &used, &f);

                                ck_assert_int_ge(r, 0);
                                ck_assert_uint_le(used, piece);
                                pos += used;
                                piece -= used;
                                if (r == 1) {
                                        check_frame(framing, &f, frames);
                                        frames++;
                                } else
                                        ck_assert_uint_eq(piece, 0);
                        }
                }
        }
        ck_assert(esp_frame_decoder_idle(&d));
        esp_frame_decoder_done(&d);
        return frames;
}

START_TEST(test_split_at_every_offset) {
        for (int framing = ESP_FRAMING_PLAIN; framing <= ESP_FRAMING_NOISE; framing++) {
                uint8_t stream[4096];
                size_t count, n = build_stream(framing, stream, sizeof(stream), &count);

                for (size_t cut = 0; cut <= n; cut++)
                        ck_assert_uint_eq(feed(framing, stream, n, cut, false), count);
                ck_assert_uint_eq(feed(framing, stream, n, n, true), count);
        }
}
END_TEST

static int push_all(EspFrameDecoder *d, const uint8_t *data, size_t len, size_t *ret_frames) {
        size_t pos = 0;

        *ret_frames = 0;
        while (pos < len) {
                EspFrame f;
                size_t used = 0;
                int r = esp_frame_decoder_push(d, data + pos, len - pos, &used, &f);

                pos += used;
                if (r < 0)
                        return r;
                if (r > 0)
                        (*ret_frames)++;
        }
        return 0;
}

START_TEST(test_bounds_and_garbage) {
        EspFrameDecoder d;
        uint8_t buf[16];
        size_t frames;

        /* A plaintext length one over the bound fails as soon as the length is read. */
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_PLAIN, 100), 0);
        tt_unhex("00 65", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 2, &frames), -EMSGSIZE);
        /* Sticky: even a good frame is refused afterwards. */
        tt_unhex("000007", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 3, &frames), -EMSGSIZE);
        esp_frame_decoder_done(&d);

        /* The Noise indicator on a plaintext stream, and the reverse, are -EPROTO: the peer has
         * the other setting. */
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_PLAIN, 100), 0);
        tt_unhex("010000", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 3, &frames), -EPROTO);
        esp_frame_decoder_done(&d);
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_NOISE, 100), 0);
        tt_unhex("000007", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 3, &frames), -EPROTO);
        esp_frame_decoder_done(&d);

        /* Any other first byte is garbage. */
        for (unsigned b = 2; b < 256; b += 17) {
                ck_assert_int_eq(
                        esp_frame_decoder_init(&d, b & 1 ? ESP_FRAMING_NOISE : ESP_FRAMING_PLAIN, 100), 0);
                buf[0] = (uint8_t) b;
                ck_assert_int_eq(push_all(&d, buf, 1, &frames), -EBADMSG);
                esp_frame_decoder_done(&d);
        }

        /* A Noise length over the bound (the handshake's 128 bytes here). */
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_NOISE, ESP_NOISE_HANDSHAKE_FRAME_MAX), 0);
        tt_unhex("010081", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 3, &frames), -EMSGSIZE);
        esp_frame_decoder_done(&d);

        /* A type above 16 bits, and a header whose varints never end. */
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_PLAIN, 100), 0);
        tt_unhex("00 00 808004", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 5, &frames), -EBADMSG);
        esp_frame_decoder_done(&d);
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_PLAIN, 100), 0);
        tt_unhex("00 00 8080808080808080", buf, sizeof(buf));
        ck_assert_int_eq(push_all(&d, buf, 10, &frames), -EBADMSG);
        esp_frame_decoder_done(&d);
}
END_TEST

START_TEST(test_set_max_between_frames) {
        EspFrameDecoder d;
        uint8_t buf[300], body[200];
        size_t frames;
        int n;

        memset(body, 0x5A, sizeof(body));
        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_NOISE, ESP_NOISE_HANDSHAKE_FRAME_MAX), 0);
        n = esp_noise_frame_build(body, sizeof(body), buf, sizeof(buf));
        ck_assert_int_eq(n, 203);
        ck_assert_int_eq(esp_frame_decoder_push(&d, buf, 1, &(size_t){ 0 }, &(EspFrame){}), 0);
        ck_assert_int_eq(esp_frame_decoder_set_max(&d, 1000), -EBUSY);
        esp_frame_decoder_done(&d);

        ck_assert_int_eq(esp_frame_decoder_init(&d, ESP_FRAMING_NOISE, ESP_NOISE_HANDSHAKE_FRAME_MAX), 0);
        ck_assert_int_eq(esp_frame_decoder_set_max(&d, 1000), 0);
        ck_assert_int_eq(push_all(&d, buf, (size_t) n, &frames), 0);
        ck_assert_uint_eq(frames, 1);
        esp_frame_decoder_done(&d);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("esp-frame");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_varint);
        tcase_add_test(tc, test_plain_build_known);
        tcase_add_test(tc, test_noise_build_known);
        tcase_add_test(tc, test_split_at_every_offset);
        tcase_add_test(tc, test_bounds_and_garbage);
        tcase_add_test(tc, test_set_max_between_frames);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
