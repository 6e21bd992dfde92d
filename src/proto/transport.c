/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "transport.h"

int ttlock_wire_encode(const uint8_t *frame, size_t frame_len, uint8_t *out, size_t out_size,
                       size_t *ret_len, TTError *e) {
        TTWriter w = TT_WRITER(out, out_size);

        if (frame_len == 0 || frame_len > TTLOCK_FRAME_MAX)
                return tt_error(e, -EINVAL, "frame of %zu bytes is not between 1 and %d", frame_len,
                                TTLOCK_FRAME_MAX);
        if (out_size < frame_len + 2)
                return tt_error(e, -ENOBUFS, "wire frame of %zu bytes does not fit in %zu", frame_len + 2,
                                out_size);

        /* §1.3: the terminator is appended to the whole frame, not to each 20-byte write. */
        tt_put_bytes(&w, frame, frame_len);
        tt_put_u8(&w, 0x0D);
        tt_put_u8(&w, 0x0A);
        return tt_writer_finish(&w, ret_len, e);
}

size_t ttlock_chunk_count(size_t wire_len) {
        return wire_len / TTLOCK_CHUNK_SIZE + (wire_len % TTLOCK_CHUNK_SIZE != 0);
}

int ttlock_chunk(const uint8_t *wire, size_t wire_len, size_t index, const uint8_t **ret, size_t *ret_len) {
        size_t off;

        if (index >= ttlock_chunk_count(wire_len))
                return -ERANGE;

        off = index * TTLOCK_CHUNK_SIZE;
        *ret = wire + off;
        *ret_len = MIN((size_t) TTLOCK_CHUNK_SIZE, wire_len - off);
        return 0;
}

void ttlock_reassembler_init(TTReassembler *r) {
        *r = (TTReassembler) {};
}

void ttlock_reassembler_reset(TTReassembler *r) {
        r->len = 0;
}

static void drop(TTReassembler *r, size_t n, bool garbage) {
        /* The callback may have reset the reassembler under us. */
        n = MIN(n, r->len);
        if (garbage)
                r->garbage_bytes += n;
        memmove(r->buf, r->buf + n, r->len - n);
        r->len -= n;
}

/* Expected wire length (frame, CRC and 0D 0A) of the frame at the start of the buffer, 0 while the
 * length byte has not arrived yet. */
static size_t expected_total(const TTReassembler *r) {
        /* Byte 2 decides the header form the way the official SDK does it: signed ≥ 5 is new (§1.4). */
        if (r->buf[2] >= 5 && r->buf[2] <= 0x7F) {
                if (r->len < TTLOCK_FRAME_HEADER_SIZE)
                        return 0;
                return TTLOCK_FRAME_HEADER_SIZE + (size_t) r->buf[11] + 3;
        }
        /* §1.4 legacy: 6-byte header, L at byte 5. */
        return r->len >= 6 ? 6 + (size_t) r->buf[5] + 3 : 0;
}

/* Deliver every complete frame in the buffer and drop what cannot be the start of one. On return
 * the buffer holds at most an incomplete frame that still fits, so feeding can always go on. */
static void process(TTReassembler *r, TTFrameCallback cb, void *userdata) {
        for (;;) {
                size_t i = 0, total;

                /* Resynchronise on 7F 5A. A trailing lone 7F may be the first half of the magic. */
                while (i + 1 < r->len && !(r->buf[i] == 0x7F && r->buf[i + 1] == 0x5A))
                        i++;
                if (i + 1 >= r->len) {
                        if (r->len > 0 && r->buf[r->len - 1] == 0x7F)
                                drop(r, r->len - 1, true);
                        else
                                drop(r, r->len, true);
                        return;
                }
                if (i > 0)
                        drop(r, i, true);

                if (r->len < 3)
                        return;
                total = expected_total(r);
                if (total == 0)
                        return;

                /* A length byte above what fits on the wire (§1.4: 255 at most) cannot be a frame: it
                 * would make us wait for bytes that never come. */
                if (total > sizeof(r->buf)) {
                        drop(r, 2, true);
                        continue;
                }
                if (r->len < total)
                        return;

                /* The terminator must sit exactly where the length says; a 0D 0A elsewhere is just
                 * ciphertext. If it is not there, this 7F 5A was not a frame start. */
                if (r->buf[total - 2] != 0x0D || r->buf[total - 1] != 0x0A) {
                        drop(r, 2, true);
                        continue;
                }

                r->frames++;
                if (cb)
                        cb(r->buf, total - 2, userdata);
                drop(r, total, false);
        }
}

void ttlock_reassembler_feed(TTReassembler *r, const uint8_t *data, size_t len, TTFrameCallback cb,
                             void *userdata) {
        while (len > 0) {
                size_t n = MIN(len, sizeof(r->buf) - r->len);

                memcpy(r->buf + r->len, data, n);
                r->len += n;
                data += n;
                len -= n;
                process(r, cb, userdata);
        }
}
