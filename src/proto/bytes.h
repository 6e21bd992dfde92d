/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Bounds-checked big-endian readers and writers. Every codec in src/proto goes through these,
 * so that no decoder indexes a buffer by hand: a short buffer becomes -EBADMSG with the name
 * of the field that did not fit, never a read past the end.
 *
 * TTWriter never fails half-way: once a put does not fit, the writer is marked overflowed and
 * ignores further puts; tt_writer_finish() then reports -ENOBUFS. This keeps encoders linear. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tt-error.h"

typedef struct TTWriter {
        uint8_t *buf;
        size_t size;
        size_t len;
        bool overflow;
} TTWriter;

#define TT_WRITER(b, s) ((TTWriter) { .buf = (b), .size = (s) })

void tt_put_u8(TTWriter *w, uint8_t v);
void tt_put_u16be(TTWriter *w, uint16_t v);
void tt_put_u32be(TTWriter *w, uint32_t v);
/* n-byte big-endian unsigned (n ≤ 8): card numbers (4 or 8), fingerprint ids (6). */
void tt_put_uint_be(TTWriter *w, uint64_t v, size_t n);
void tt_put_bytes(TTWriter *w, const void *data, size_t n);
/* Returns 0 and the length written, or -ENOBUFS (with a message) when something did not fit. */
int tt_writer_finish(const TTWriter *w, size_t *ret_len, TTError *e);

typedef struct TTReader {
        const uint8_t *data;
        size_t len;
        size_t pos;
        TTError *error; /* may be NULL */
} TTReader;

#define TT_READER(d, l, e) ((TTReader) { .data = (d), .len = (l), .error = (e) })

static inline size_t tt_reader_left(const TTReader *r) {
        return r->len - r->pos;
}

/* Each get fails with -EBADMSG ("truncated: <field> needs N bytes at offset P, M left") without
 * touching *ret and without advancing. */
int tt_get_u8(TTReader *r, const char *field, uint8_t *ret);
int tt_get_u16be(TTReader *r, const char *field, uint16_t *ret);
int tt_get_u32be(TTReader *r, const char *field, uint32_t *ret);
int tt_get_uint_be(TTReader *r, const char *field, size_t n, uint64_t *ret);
/* Points into the reader's buffer; nothing is copied. */
int tt_get_bytes(TTReader *r, const char *field, size_t n, const uint8_t **ret);
int tt_skip(TTReader *r, const char *field, size_t n);
/* -EBADMSG ("trailing garbage: N bytes after <what>") unless everything was consumed. */
int tt_expect_end(TTReader *r, const char *what);
