/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esp-frame.h"
#include "macro.h"

size_t esp_varint_encode(uint64_t v, uint8_t out[10]) {
        size_t n = 0;

        do {
                uint8_t b = v & 0x7F;

                v >>= 7;
                out[n++] = b | (v ? 0x80 : 0);
        } while (v);
        return n;
}

int esp_varint_decode(const uint8_t *data, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        for (size_t i = 0; i < 10; i++) {
                if (i >= len)
                        return 0;
                /* The tenth byte may only carry the top bit of 64. */
                if (i == 9 && (data[i] & 0x7E))
                        return -EBADMSG;
                v |= (uint64_t) (data[i] & 0x7F) << (7 * i);
                if (!(data[i] & 0x80)) {
                        *ret = v;
                        return (int) (i + 1);
                }
        }
        return -EBADMSG;
}

int esp_plain_frame_build(uint16_t type, const uint8_t *payload, size_t len, uint8_t *out, size_t out_size) {
        uint8_t header[1 + 10 + 10];
        size_t h = 0;

        if (len > ESP_MESSAGE_MAX)
                return -EMSGSIZE;
        header[h++] = ESP_FRAME_INDICATOR_PLAIN;
        h += esp_varint_encode(len, header + h);
        h += esp_varint_encode(type, header + h);
        if (out_size < h + len)
                return -ENOBUFS;
        memcpy(out, header, h);
        if (len > 0)
                memcpy(out + h, payload, len);
        return (int) (h + len);
}

int esp_noise_frame_build(const uint8_t *body, size_t len, uint8_t *out, size_t out_size) {
        if (len > UINT16_MAX)
                return -EMSGSIZE;
        if (out_size < ESP_NOISE_HEADER_SIZE + len)
                return -ENOBUFS;
        out[0] = ESP_FRAME_INDICATOR_NOISE;
        out[1] = (uint8_t) (len >> 8);
        out[2] = (uint8_t) len;
        if (len > 0)
                memmove(out + ESP_NOISE_HEADER_SIZE, body, len);
        return (int) (ESP_NOISE_HEADER_SIZE + len);
}

int esp_frame_decoder_init(EspFrameDecoder *d, EspFraming framing, size_t max) {
        if (max > ESP_NOISE_FRAME_MAX)
                return -EINVAL;
        *d = (EspFrameDecoder){ .framing = framing, .max = max };
        d->body = malloc(max ?: 1);
        if (!d->body)
                return -ENOMEM;
        return 0;
}

void esp_frame_decoder_done(EspFrameDecoder *d) {
        if (d->body)
                erase_memory(d->body, d->max);
        d->body = mfree(d->body);
}

bool esp_frame_decoder_idle(const EspFrameDecoder *d) {
        return d->header_len == 0 && !d->header_done;
}

int esp_frame_decoder_set_max(EspFrameDecoder *d, size_t max) {
        uint8_t *b;

        if (!esp_frame_decoder_idle(d))
                return -EBUSY;
        if (max > d->max) {
                b = realloc(d->body, max);
                if (!b)
                        return -ENOMEM;
                d->body = b;
        }
        d->max = max;
        return 0;
}

static int fail(EspFrameDecoder *d, int error) {
        d->error = error;
        return error;
}

/* Tries to complete the header from what header[] holds: 1 done, 0 more needed, < 0 broken. */
static int parse_header(EspFrameDecoder *d) {
        uint8_t want_indicator =
                d->framing == ESP_FRAMING_PLAIN ? ESP_FRAME_INDICATOR_PLAIN : ESP_FRAME_INDICATOR_NOISE;
        uint64_t len, type;
        int a, b;

        if (d->header[0] != want_indicator)
                return (d->header[0] == ESP_FRAME_INDICATOR_PLAIN ||
                        d->header[0] == ESP_FRAME_INDICATOR_NOISE)
                        ? -EPROTO
                        : -EBADMSG;

        if (d->framing == ESP_FRAMING_NOISE) {
                if (d->header_len < ESP_NOISE_HEADER_SIZE)
                        return 0;
                d->want = (size_t) d->header[1] << 8 | d->header[2];
                d->type = 0;
                return d->want > d->max ? -EMSGSIZE : 1;
        }

        a = esp_varint_decode(d->header + 1, d->header_len - 1, &len);
        if (a < 0)
                return a;
        if (a > 0 && len > d->max)
                return -EMSGSIZE; /* known as soon as the length is */
        if (a == 0)
                return d->header_len >= ESP_PLAIN_HEADER_MAX ? -EBADMSG : 0;
        b = esp_varint_decode(d->header + 1 + a, d->header_len - 1 - a, &type);
        if (b < 0)
                return b;
        if (b == 0)
                return d->header_len >= ESP_PLAIN_HEADER_MAX ? -EBADMSG : 0;
        if (type > ESP_MESSAGE_TYPE_MAX)
                return -EBADMSG;
        d->want = (size_t) len;
        d->type = (uint16_t) type;
        return 1;
}

int esp_frame_decoder_push(
        EspFrameDecoder *d, const uint8_t *data, size_t len, size_t *ret_used, EspFrame *ret) {
        size_t used = 0;
        int r;

        *ret_used = 0;
        if (d->error)
                return d->error;

        while (!d->header_done) {
                if (used >= len) {
                        *ret_used = used;
                        return 0;
                }
                /* Byte by byte: the header's own length is only known once its varints end. */
                d->header[d->header_len++] = data[used++];
                r = parse_header(d);
                if (r < 0) {
                        *ret_used = used;
                        return fail(d, r);
                }
                if (r > 0) {
                        d->header_done = true;
                        d->body_len = 0;
                }
        }

        if (d->body_len < d->want) {
                size_t n = MIN(d->want - d->body_len, len - used);

                memcpy(d->body + d->body_len, data + used, n);
                d->body_len += n;
                used += n;
        }
        *ret_used = used;
        if (d->body_len < d->want)
                return 0;

        *ret = (EspFrame){ .type = d->type, .data = d->body, .len = d->want };
        d->header_len = 0;
        d->header_done = false;
        return 1;
}
