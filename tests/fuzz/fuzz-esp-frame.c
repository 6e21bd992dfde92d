/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The native API frame decoder, both framings (esp-frame.h, doc/esphome.md "Framing"). The first
 * byte picks the framing (bit 0) and how the stream is cut (the rest: piece size); the remaining bytes
 * are the stream. Promises checked: no frame over the bound; an error is negative, one of the named
 * ones, and sticky; cutting the stream differently changes nothing; and each frame decoded rebuilds to
 * a frame that decodes the same. */

#include "esp-frame.h"
#include "fuzz.h"

#define MAX_FRAMES 64
#define BOUND 512

typedef struct Result {
        int error;
        size_t n;
        uint16_t types[MAX_FRAMES];
        size_t lens[MAX_FRAMES];
        uint8_t first[MAX_FRAMES]; /* first byte of each payload (0 if empty) */
} Result;

static void run(EspFraming framing, const uint8_t *data, size_t size, size_t piece, Result *res) {
        EspFrameDecoder d;
        size_t pos = 0;

        *res = (Result){};
        fuzz_check(esp_frame_decoder_init(&d, framing, BOUND) == 0, "init");
        while (pos < size && res->n < MAX_FRAMES) {
                size_t chunk = piece < size - pos ? piece : size - pos, used = 0;
                EspFrame f;
                int r = esp_frame_decoder_push(&d, data + pos, chunk, &used, &f);

                fuzz_check(used <= chunk, "used %zu of %zu", used, chunk);
                pos += used;
                if (r < 0) {
                        fuzz_check(
                                r == -EPROTO || r == -EBADMSG || r == -EMSGSIZE, "unexpected error %d", r);
                        res->error = r;
                        /* Sticky. */
                        fuzz_check(
                                esp_frame_decoder_push(&d, data, size, &used, &f) == r && used == 0,
                                "error not sticky");
                        break;
                }
                if (r == 0) {
                        fuzz_check(used == chunk, "no frame but input left");
                        continue;
                }
                fuzz_check(f.len <= BOUND, "frame of %zu bytes over the bound", f.len);
                res->types[res->n] = f.type;
                res->lens[res->n] = f.len;
                res->first[res->n] = f.len > 0 ? f.data[0] : 0;
                res->n++;

                /* Rebuild and decode again. */
                uint8_t out[BOUND + 16];
                int n = framing == ESP_FRAMING_PLAIN
                        ? esp_plain_frame_build(f.type, f.data, f.len, out, sizeof(out))
                        : esp_noise_frame_build(f.data, f.len, out, sizeof(out));
                fuzz_check(n > 0, "rebuild failed: %d", n);
                EspFrameDecoder d2;
                EspFrame f2;
                size_t used2 = 0;
                fuzz_check(esp_frame_decoder_init(&d2, framing, BOUND) == 0, "init");
                fuzz_check(
                        esp_frame_decoder_push(&d2, out, (size_t) n, &used2, &f2) == 1 &&
                                used2 == (size_t) n,
                        "rebuilt frame does not decode whole");
                fuzz_check(
                        f2.type == f.type && fuzz_mem_eq(f2.data, f2.len, f.data, f.len),
                        "rebuilt frame differs");
                esp_frame_decoder_done(&d2);
        }
        esp_frame_decoder_done(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Result a, b;
        EspFraming framing;
        size_t piece;

        if (size < 1)
                return 0;
        framing = data[0] & 1 ? ESP_FRAMING_NOISE : ESP_FRAMING_PLAIN;
        piece = (data[0] >> 1) + 1;
        run(framing, data + 1, size - 1, size, &a);
        run(framing, data + 1, size - 1, piece, &b);
        fuzz_check(
                a.error == b.error && a.n == b.n,
                "whole: %d/%zu frames, in pieces of %zu: %d/%zu",
                a.error,
                a.n,
                piece,
                b.error,
                b.n);
        for (size_t i = 0; i < a.n; i++)
                fuzz_check(
                        a.types[i] == b.types[i] && a.lens[i] == b.lens[i] && a.first[i] == b.first[i],
                        "frame %zu differs with the cut",
                        i);
        return 0;
}
