/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>

#include "codec.h"
#include "crc.h"

int ttlock_codec_encode(const uint8_t *plain, size_t n, uint8_t seed, uint8_t *out, size_t out_size) {
        uint8_t k;

        if (n == 0 || n >= INT_MAX)
                return -EINVAL;
        if (out_size < n + 1)
                return -ENOBUFS;
        k = ttlock_crc8_table((uint8_t) n) ^ seed;
        for (size_t i = 0; i < n; i++)
                out[i] = plain[i] ^ k;
        out[n] = seed;
        return (int) n + 1;
}

int ttlock_codec_decode(const uint8_t *encoded, size_t n, uint8_t *out, size_t out_size) {
        uint8_t k;

        if (n == 0 || n > INT_MAX)
                return -EINVAL;
        if (out_size < n - 1)
                return -ENOBUFS;
        /* The table index is the plaintext length, i.e. the encoded length without the seed
         * ([RR] crypto.py codec_decode); [JS] CodecUtils.decode uses the length with it, which
         * doc/protocol.md §11 lists as a bug. */
        k = ttlock_crc8_table((uint8_t) (n - 1)) ^ encoded[n - 1];
        for (size_t i = 0; i + 1 < n; i++)
                out[i] = encoded[i] ^ k;
        return (int) (n - 1);
}
