/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bytes.h"

void tt_put_bytes(TTWriter *w, const void *data, size_t n) {
        if (w->overflow)
                return;
        if (n > w->size - w->len) {
                w->overflow = true;
                return;
        }
        if (n > 0)
                memcpy(w->buf + w->len, data, n);
        w->len += n;
}

void tt_put_u8(TTWriter *w, uint8_t v) {
        tt_put_bytes(w, &v, 1);
}

void tt_put_u16be(TTWriter *w, uint16_t v) {
        tt_put_uint_be(w, v, 2);
}

void tt_put_u32be(TTWriter *w, uint32_t v) {
        tt_put_uint_be(w, v, 4);
}

void tt_put_uint_be(TTWriter *w, uint64_t v, size_t n) {
        uint8_t b[8];

        if (n > sizeof(b)) {
                w->overflow = true;
                return;
        }
        for (size_t i = 0; i < n; i++)
                b[n - 1 - i] = (uint8_t) (v >> (8 * i));
        tt_put_bytes(w, b, n);
}

int tt_writer_finish(const TTWriter *w, size_t *ret_len, TTError *e) {
        if (w->overflow)
                return tt_error(e, -ENOBUFS, "output buffer of %zu bytes too small", w->size);
        if (ret_len)
                *ret_len = w->len;
        return 0;
}

static int need(TTReader *r, const char *field, size_t n) {
        if (n > tt_reader_left(r))
                return tt_error(r->error, -EBADMSG,
                                "truncated: %s needs %zu byte%s at offset %zu, %zu left",
                                field, n, n == 1 ? "" : "s", r->pos, tt_reader_left(r));
        return 0;
}

int tt_get_bytes(TTReader *r, const char *field, size_t n, const uint8_t **ret) {
        int k = need(r, field, n);
        if (k < 0)
                return k;
        if (ret)
                *ret = r->data + r->pos;
        r->pos += n;
        return 0;
}

int tt_skip(TTReader *r, const char *field, size_t n) {
        return tt_get_bytes(r, field, n, NULL);
}

int tt_get_uint_be(TTReader *r, const char *field, size_t n, uint64_t *ret) {
        const uint8_t *p;
        uint64_t v = 0;
        int k;

        if (n > 8)
                return tt_error(r->error, -EINVAL, "%s: %zu-byte integers are not supported", field, n);
        k = tt_get_bytes(r, field, n, &p);
        if (k < 0)
                return k;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[i];
        *ret = v;
        return 0;
}

int tt_get_u8(TTReader *r, const char *field, uint8_t *ret) {
        uint64_t v;
        int k = tt_get_uint_be(r, field, 1, &v);
        if (k < 0)
                return k;
        *ret = (uint8_t) v;
        return 0;
}

int tt_get_u16be(TTReader *r, const char *field, uint16_t *ret) {
        uint64_t v;
        int k = tt_get_uint_be(r, field, 2, &v);
        if (k < 0)
                return k;
        *ret = (uint16_t) v;
        return 0;
}

int tt_get_u32be(TTReader *r, const char *field, uint32_t *ret) {
        uint64_t v;
        int k = tt_get_uint_be(r, field, 4, &v);
        if (k < 0)
                return k;
        *ret = (uint32_t) v;
        return 0;
}

int tt_expect_end(TTReader *r, const char *what) {
        size_t left = tt_reader_left(r);
        if (left > 0)
                return tt_error(r->error, -EBADMSG, "trailing garbage: %zu byte%s after %s",
                                left, left == 1 ? "" : "s", what);
        return 0;
}
