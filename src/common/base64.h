/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Standard base64 (RFC 4648 §4, "+/" alphabet), as the TTLock SDK writes lockData and its secret
 * fields (Android Base64.NO_WRAP). */

/* The decoded size of n characters of base64, rounded up: a bound for the output buffer. */
static inline size_t base64_decoded_max(size_t n) {
        return n / 4 * 3 + 3;
}

/* Decodes text[0..n). ASCII whitespace anywhere is skipped (a copy wrapped by a mail client still
 * reads); "=" padding is optional, but where present it must be right; any other character, a
 * length that leaves a lone sixth of a byte, and non-zero bits after the last whole byte (nothing a
 * real encoder writes) are -EINVAL. Returns the number of bytes written, -ENOBUFS when they do not
 * fit, -E2BIG for input whose size does not fit the int result. out is left with unspecified content
 * on failure. */
int base64_decode(const char *text, size_t n, uint8_t *out, size_t out_size);

/* Padded base64 of data[0..n), NUL-terminated; out must hold base64_encoded_size(n) bytes. Returns
 * the length written (without the NUL). */
static inline size_t base64_encoded_size(size_t n) {
        return (n + 2) / 3 * 4 + 1;
}
size_t base64_encode(const uint8_t *data, size_t n, char *out);
