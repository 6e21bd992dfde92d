/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "hex.h"

static int unhex_char(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

int hex_to_bytes(const char *text, uint8_t *out, size_t out_size) {
        size_t n = 0;
        int high = -1;

        if (!text)
                return -EINVAL;

        for (const char *p = text; *p; p++) {
                int v;

                if (*p == ' ' || *p == '\t' || *p == ':' || *p == '\n' || *p == '\r') {
                        /* A separator may not split one byte's two digits. */
                        if (high >= 0)
                                return -EINVAL;
                        continue;
                }

                v = unhex_char(*p);
                if (v < 0)
                        return -EINVAL;

                if (high < 0) {
                        high = v;
                        continue;
                }
                if (n >= out_size)
                        return -ENOBUFS;
                out[n++] = (uint8_t) (high << 4 | v);
                high = -1;
        }

        if (high >= 0)
                return -EINVAL;
        return (int) n;
}

char *bytes_to_hex(const uint8_t *data, size_t n, char *out) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[data[i] >> 4];
                out[2 * i + 1] = digits[data[i] & 0xF];
        }
        out[2 * n] = 0;
        return out;
}

char *hex_dup(const uint8_t *data, size_t n) {
        char *s = malloc(2 * n + 1);
        if (!s)
                return NULL;
        return bytes_to_hex(data, n, s);
}
