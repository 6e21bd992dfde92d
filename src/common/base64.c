/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int value_of(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int base64_decode(const char *text, size_t n, uint8_t *out, size_t out_size) {
        uint32_t acc = 0;
        size_t written = 0, quad = 0, pad = 0;

        if (base64_decoded_max(n) > INT_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                char c = text[i];
                int v;

                if (is_space(c))
                        continue;
                if (c == '=') {
                        /* Padding only completes a group of 2 or 3 characters. */
                        if (quad + pad < 2)
                                return -EINVAL;
                        pad++;
                        if (quad + pad > 4)
                                return -EINVAL;
                        continue;
                }
                if (pad > 0) /* data after padding */
                        return -EINVAL;
                v = value_of(c);
                if (v < 0)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t) v;
                if (++quad == 4) {
                        if (out_size - written < 3)
                                return -ENOBUFS;
                        out[written++] = (uint8_t) (acc >> 16);
                        out[written++] = (uint8_t) (acc >> 8);
                        out[written++] = (uint8_t) acc;
                        acc = 0;
                        quad = 0;
                }
        }

        if (pad > 0 && quad + pad != 4)
                return -EINVAL;
        switch (quad) {
        case 0:
                break;
        case 1:
                /* Six bits cannot make a byte. */
                return -EINVAL;
        case 2:
                if (acc & 0xF)
                        return -EINVAL;
                if (out_size - written < 1)
                        return -ENOBUFS;
                out[written++] = (uint8_t) (acc >> 4);
                break;
        case 3:
                if (acc & 0x3)
                        return -EINVAL;
                if (out_size - written < 2)
                        return -ENOBUFS;
                out[written++] = (uint8_t) (acc >> 10);
                out[written++] = (uint8_t) (acc >> 2);
                break;
        }
        return (int) written;
}

size_t base64_encode(const uint8_t *data, size_t n, char *out) {
        size_t o = 0, i = 0;

        for (; i + 3 <= n; i += 3) {
                uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8 | data[i + 2];
                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = alphabet[(v >> 6) & 63];
                out[o++] = alphabet[v & 63];
        }
        if (n - i == 1) {
                uint32_t v = (uint32_t) data[i] << 16;
                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = '=';
                out[o++] = '=';
        } else if (n - i == 2) {
                uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8;
                out[o++] = alphabet[v >> 18];
                out[o++] = alphabet[(v >> 12) & 63];
                out[o++] = alphabet[(v >> 6) & 63];
                out[o++] = '=';
        }
        out[o] = 0;
        return o;
}
