/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The engine of the command-family harnesses (fuzz-access, fuzz-pairing, fuzz-info, fuzz-oplog,
 * fuzz-credentials, fuzz-settings). Each describes its decoders as a table of FuzzCodec; the first
 * input byte picks one, the rest is its payload. For the chosen codec:
 *   - the decoder keeps the error contract (fuzz.h) and leaves *ret untouched when it fails;
 *   - whatever it accepts, its encoder must be able to write (else the simulator could not produce
 *     what the daemon accepts, or the daemon could not send what the simulator accepts);
 *   - that encoding decodes again and re-encodes to the same bytes;
 *   - FUZZ_CANONICAL: the encoding is the input itself (strict request decoders: one value, one form);
 *   - FUZZ_PREFIX: the encoding is a prefix of the input (reply decoders that ignore trailing bytes,
 *     doc/protocol.md §4.3, but otherwise keep every byte they read).
 * The round-trip checks apply to inputs a frame can carry (reply data ≤ 237 bytes, §3.1: plaintext
 * ≤ 239 minus [echo][status]); longer inputs still go through the decoder for memory safety and the
 * error contract, but an encoder may rightly refuse to write more than fits a frame. */

#include "bytes.h"
#include "frame.h"
#include "fuzz.h"

#define FUZZ_ROUND_TRIP_MAX (TTLOCK_PLAIN_MAX - 2)

enum {
        FUZZ_IDEMPOTENT = 0,
        FUZZ_CANONICAL = 1 << 0,
        FUZZ_PREFIX = 1 << 1,
};

typedef struct FuzzCodec {
        const char *name;
        size_t size; /* of the decoded value */
        int (*decode)(const uint8_t *data, size_t len, void *ret, TTError *e);
        int (*encode)(TTWriter *w, const void *v, TTError *e);
        /* Optional: further checks on a decoded value and its encoding (sizes, names). */
        void (*check)(const void *v, const uint8_t *encoded, size_t encoded_len);
        unsigned flags;
} FuzzCodec;

#define FUZZ_POISON 0xA5
#define FUZZ_ENCODE_MAX 8192

/* Encodes v; the encoder must not fail on a value its own decoder produced. */
static inline size_t fuzz_codec_encode(const FuzzCodec *c, const void *v, uint8_t *buf, const char *what) {
        TTWriter w = TT_WRITER(buf, FUZZ_ENCODE_MAX);
        TTError e = {};
        size_t n = 0;
        int r;

        r = c->encode(&w, v, &e);
        fuzz_check_result(c->name, r, &e);
        fuzz_check(r >= 0, "%s: cannot encode what was decoded from %s: %s", c->name, what, e.message);
        r = tt_writer_finish(&w, &n, &e);
        fuzz_check(r >= 0, "%s: encoding of %s overflows %d bytes", c->name, what, FUZZ_ENCODE_MAX);
        return n;
}

static inline void fuzz_codec_run(const FuzzCodec *c, const uint8_t *data, size_t len) {
        uint8_t *v1, *v2, *enc1, *enc2;
        size_t n1, n2;
        TTError e = {};
        int r;

        /* Exactly sized heap copies: AddressSanitizer then catches a decoder writing past its struct. */
        v1 = malloc(c->size);
        v2 = malloc(c->size);
        enc1 = malloc(FUZZ_ENCODE_MAX);
        enc2 = malloc(FUZZ_ENCODE_MAX);
        fuzz_check(v1 && v2 && enc1 && enc2, "out of memory");
        memset(v1, FUZZ_POISON, c->size);

        r = c->decode(data, len, v1, &e);
        fuzz_check_result(c->name, r, &e);
        if (r < 0) {
                for (size_t i = 0; i < c->size; i++)
                        fuzz_check(v1[i] == FUZZ_POISON, "%s failed (%s) but wrote byte %zu of its result",
                                   c->name, e.message, i);
                goto finish;
        }
        if (len > FUZZ_ROUND_TRIP_MAX)
                goto finish;

        n1 = fuzz_codec_encode(c, v1, enc1, "the input");
        if (c->check)
                c->check(v1, enc1, n1);
        if (c->flags & FUZZ_CANONICAL)
                fuzz_check(fuzz_mem_eq(enc1, n1, data, len),
                           "%s: %zu input bytes re-encode to %zu other bytes; a strict decoder accepts one form",
                           c->name, len, n1);
        if (c->flags & FUZZ_PREFIX)
                fuzz_check(n1 <= len && fuzz_mem_eq(enc1, n1, data, n1),
                           "%s: re-encoding (%zu bytes) is not a prefix of the %zu input bytes", c->name, n1, len);

        e = (TTError) {};
        memset(v2, FUZZ_POISON, c->size);
        r = c->decode(enc1, n1, v2, &e);
        fuzz_check_result(c->name, r, &e);
        fuzz_check(r >= 0, "%s: its own encoding does not decode: %s", c->name, e.message);
        n2 = fuzz_codec_encode(c, v2, enc2, "its own encoding");
        fuzz_check(fuzz_mem_eq(enc1, n1, enc2, n2), "%s: encode(decode(encode(x))) differs from encode(x)",
                   c->name);

finish:
        free(v1);
        free(v2);
        free(enc1);
        free(enc2);
}

/* The usual entry point: first byte = codec index (modulo the table), rest = payload. */
static inline void fuzz_codec_dispatch(const FuzzCodec *codecs, size_t n, const uint8_t *data, size_t size) {
        if (size < 1)
                return;
        fuzz_codec_run(&codecs[data[0] % n], data + 1, size - 1);
}

/* Adapters: turn a decoder/encoder of a given shape into the FuzzCodec signatures. */
#define FUZZ_DECODER(fn, T)                                                                  \
        static int fn##_any(const uint8_t *data, size_t len, void *ret, TTError *e) {        \
                return fn(data, len, (T *) ret, e);                                          \
        }
/* Decoders that return nothing but validity (requests made of the vendor string, empty requests). */
#define FUZZ_DECODER_NORET(fn)                                                               \
        static int fn##_any(const uint8_t *data, size_t len, void *ret, TTError *e) {        \
                return fn(data, len, e);                                                     \
        }
/* int enc(TTWriter *, const T *, TTError *) */
#define FUZZ_ENCODER_WVE(fn, T)                                                              \
        static int fn##_any(TTWriter *w, const void *v, TTError *e) {                        \
                return fn(w, (const T *) v, e);                                              \
        }
/* int enc(TTWriter *, const T *) */
#define FUZZ_ENCODER_WV_INT(fn, T)                                                           \
        static int fn##_any(TTWriter *w, const void *v, TTError *e) {                        \
                int _r = fn(w, (const T *) v);                                               \
                return _r < 0 ? tt_error(e, _r, "%s refused the value", #fn) : _r;           \
        }
/* void enc(TTWriter *, const T *) */
#define FUZZ_ENCODER_WV_VOID(fn, T)                                                          \
        static int fn##_any(TTWriter *w, const void *v, TTError *e) {                        \
                fn(w, (const T *) v);                                                        \
                return 0;                                                                    \
        }
/* void enc(TTWriter *) */
#define FUZZ_ENCODER_W(fn)                                                                   \
        static int fn##_any(TTWriter *w, const void *v, TTError *e) {                        \
                fn(w);                                                                       \
                return 0;                                                                    \
        }

#define FUZZ_CODEC(label, T, dec, enc, chk, fl) \
        { .name = (label), .size = sizeof(T), .decode = (dec), .encode = (enc), .check = (chk), .flags = (fl) }

/* Requests without payload (access.h ttlock_empty_request_decode): the only valid form is empty. */
typedef struct FuzzNothing {
        uint8_t unused;
} FuzzNothing;

#define FUZZ_EMPTY_REQUEST(label, cmd)                                                        \
        static int label##_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) { \
                return ttlock_empty_request_decode((cmd), data, len, e);                     \
        }                                                                                    \
        static int label##_encode_any(TTWriter *w, const void *v, TTError *e) {              \
                return 0;                                                                    \
        }
