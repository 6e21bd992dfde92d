/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The notification reassembler (transport.h, doc/protocol.md §1.3–1.4). The first two input bytes seed
 * the way the rest is cut into notifications (empty ones, 1…40 bytes, sometimes everything at once); the
 * rest is the byte stream. Length-based framing is a function of the stream alone, so:
 *   - the frames delivered must not depend on how the stream was cut;
 *   - every byte fed is accounted for: delivered (frame + 0D 0A), thrown away, or still pending;
 *   - every delivered frame, sent again with ttlock_wire_encode() in ttlock_chunk() slices, comes back
 *     as exactly that frame. */

#include "frame.h"
#include "fuzz.h"
#include "transport.h"

typedef struct Collected {
        uint8_t *bytes; /* the delivered frames, back to back */
        size_t used, size;
        size_t *lens;
        size_t n, max;
} Collected;

static void collect(const uint8_t *frame, size_t len, void *userdata) {
        Collected *c = userdata;

        fuzz_check(len >= 2 && frame[0] == TTLOCK_FRAME_MAGIC0 && frame[1] == TTLOCK_FRAME_MAGIC1,
                   "delivered a %zu-byte frame that does not start with 7F 5A", len);
        /* §1.4: new header 12 + L + 1 (L = byte 11), legacy 6 + L + 1 (L = byte 5). */
        fuzz_check((len >= TTLOCK_FRAME_HEADER_SIZE && len == TTLOCK_FRAME_HEADER_SIZE + frame[11] + 1u) ||
                   (len >= 6 && len == 6 + frame[5] + 1u),
                   "delivered %zu bytes, which neither header's length byte explains", len);
        fuzz_check(len + 2 <= TTLOCK_WIRE_MAX, "delivered %zu bytes, more than the buffer holds", len);
        fuzz_check(c->n < c->max && c->used + len <= c->size, "more frame bytes delivered than were fed");

        memcpy(c->bytes + c->used, frame, len);
        c->used += len;
        c->lens[c->n++] = len;
}

static void collected_init(Collected *c, size_t stream_len) {
        /* The shortest frame on the wire is a legacy one: 7 bytes + 0D 0A. */
        c->size = stream_len;
        c->max = stream_len / 9 + 1;
        c->bytes = malloc(c->size + 1);
        c->lens = malloc(c->max * sizeof(size_t));
        fuzz_check(c->bytes && c->lens, "out of memory");
        c->used = c->n = 0;
}

static void collected_done(Collected *c) {
        free(c->bytes);
        free(c->lens);
}

static void feed(TTReassembler *r, const uint8_t *data, size_t len, Collected *c) {
        ttlock_reassembler_feed(r, data, len, collect, c);
        fuzz_check(r->len <= sizeof(r->buf), "pending length %zu exceeds the buffer", r->len);
        fuzz_check(r->frames == c->n, "frames counter %llu, %zu delivered", (unsigned long long) r->frames,
                   c->n);
}

static void check_accounting(const TTReassembler *r, const Collected *c, size_t fed) {
        fuzz_check(c->used + 2 * c->n + r->garbage_bytes + r->len == fed,
                   "%zu bytes fed, but %zu in frames + %zu terminators + %llu garbage + %zu pending", fed,
                   c->used, 2 * c->n, (unsigned long long) r->garbage_bytes, r->len);
}

/* Send one delivered frame again the way the daemon and the simulator do (§1.3). */
static void check_resend(const uint8_t *frame, size_t len) {
        uint8_t wire[TTLOCK_WIRE_MAX], again[TTLOCK_WIRE_MAX];
        size_t wire_len = 0, n_chunks, got = 0;
        TTReassembler *r;
        TTError e = {};
        Collected c;
        int k;

        k = ttlock_wire_encode(frame, len, wire, sizeof(wire), &wire_len, &e);
        fuzz_check_result("ttlock_wire_encode", k, &e);
        if (len > TTLOCK_FRAME_MAX) {
                /* A legacy frame can be longer than any V3 frame; refusing to send it is fine. */
                fuzz_check(k < 0, "encoded a %zu-byte frame", len);
                return;
        }
        fuzz_check(k >= 0, "cannot encode a %zu-byte frame: %s", len, e.message);
        fuzz_check(wire_len == len + 2 && memcmp(wire, frame, len) == 0 && wire[len] == 0x0D &&
                   wire[len + 1] == 0x0A, "wire form is not frame ‖ 0D 0A");

        n_chunks = ttlock_chunk_count(wire_len);
        fuzz_check(n_chunks == (wire_len + TTLOCK_CHUNK_SIZE - 1) / TTLOCK_CHUNK_SIZE, "%zu chunks for %zu bytes",
                   n_chunks, wire_len);

        r = malloc(sizeof(*r));
        fuzz_check(r, "out of memory");
        ttlock_reassembler_init(r);
        collected_init(&c, wire_len);
        for (size_t i = 0; i < n_chunks; i++) {
                const uint8_t *chunk = NULL;
                size_t chunk_len = 0;

                k = ttlock_chunk(wire, wire_len, i, &chunk, &chunk_len);
                fuzz_check(k >= 0 && chunk_len > 0 && chunk_len <= TTLOCK_CHUNK_SIZE &&
                           chunk == wire + i * TTLOCK_CHUNK_SIZE, "chunk %zu of %zu is wrong", i, n_chunks);
                memcpy(again + got, chunk, chunk_len);
                got += chunk_len;
                feed(r, chunk, chunk_len, &c);
        }
        fuzz_check(got == wire_len && memcmp(again, wire, wire_len) == 0, "chunks do not add up to the wire");
        {
                const uint8_t *chunk = NULL;
                size_t chunk_len = 0;

                fuzz_check(ttlock_chunk(wire, wire_len, n_chunks, &chunk, &chunk_len) == -ERANGE,
                           "chunk past the end is not -ERANGE");
        }
        fuzz_check(c.n == 1 && fuzz_mem_eq(c.bytes, c.used, frame, len),
                   "resent %zu-byte frame came back as %zu frame(s)", len, c.n);
        fuzz_check(r->len == 0 && r->garbage_bytes == 0, "resending left %zu pending / %llu garbage bytes", r->len,
                   (unsigned long long) r->garbage_bytes);
        check_accounting(r, &c, wire_len);
        collected_done(&c);
        free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *stream;
        size_t stream_len, pos = 0, off = 0;
        uint32_t rng;
        TTReassembler *split, *whole;
        Collected a, b;

        if (size < 2)
                return 0;
        /* xorshift32 from the first two bytes; never zero. */
        rng = 0x9E3779B9u ^ ((uint32_t) data[0] << 8 | data[1]);
        stream = data + 2;
        stream_len = size - 2;

        /* On the heap so that AddressSanitizer sees a write past the struct. */
        split = malloc(sizeof(*split));
        whole = malloc(sizeof(*whole));
        fuzz_check(split && whole, "out of memory");
        ttlock_reassembler_init(split);
        ttlock_reassembler_init(whole);
        collected_init(&a, stream_len);
        collected_init(&b, stream_len);

        while (pos < stream_len) {
                size_t n;

                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                n = rng % 17 == 0 ? stream_len - pos : rng % 41;
                n = n > stream_len - pos ? stream_len - pos : n;
                feed(split, stream + pos, n, &a);
                pos += n;
        }
        check_accounting(split, &a, stream_len);

        feed(whole, stream, stream_len, &b);
        check_accounting(whole, &b, stream_len);

        fuzz_check(a.n == b.n && fuzz_mem_eq(a.bytes, a.used, b.bytes, b.used) &&
                   fuzz_mem_eq(a.lens, a.n * sizeof(size_t), b.lens, b.n * sizeof(size_t)),
                   "cut into notifications: %zu frames; in one piece: %zu frames", a.n, b.n);
        fuzz_check(split->garbage_bytes == whole->garbage_bytes && split->len == whole->len,
                   "garbage %llu/%llu, pending %zu/%zu depending on the cut",
                   (unsigned long long) split->garbage_bytes, (unsigned long long) whole->garbage_bytes,
                   split->len, whole->len);

        for (size_t i = 0; i < a.n; i++) {
                check_resend(a.bytes + off, a.lens[i]);
                off += a.lens[i];
        }

        /* After a reset nothing of the old stream may leak into the next frame. */
        ttlock_reassembler_reset(split);
        fuzz_check(split->len == 0, "reset left %zu bytes pending", split->len);

        collected_done(&a);
        collected_done(&b);
        free(split);
        free(whole);
        return 0;
}
