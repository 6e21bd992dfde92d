/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The XOR "codec" of the official SDK's native CodecUtils.encode/decode (doc/protocol.md §3.4): the
 * obfuscation of the adminPwd and lockKey fields of lockData (doc/lockdata.md). With n plaintext
 * bytes and a seed byte, every byte is XORed with T[n mod 256] XOR seed, where T is the lock's CRC-8
 * table (crc.h, the one with the altered entry 0x21), and the seed is appended. Decoding reads the
 * seed from the last byte. It hides nothing from anyone who knows the table. */

#include <stddef.h>
#include <stdint.h>

/* The seeds the SDK ports draw (kind3r/ttlock-sdk-js CodecUtils.encodeWithEncrypt: 1…127); every
 * published encoded field has one in that range. The decoder accepts any seed byte. */
#define TTLOCK_CODEC_SEED_MIN 1
#define TTLOCK_CODEC_SEED_MAX 127

/* Writes n + 1 bytes to out. -EINVAL for n = 0, -ENOBUFS if out_size < n + 1. */
int ttlock_codec_encode(const uint8_t *plain, size_t n, uint8_t seed, uint8_t *out, size_t out_size);

/* Writes n - 1 bytes to out and returns that count. -EINVAL for n = 0 (not even a seed), -ENOBUFS
 * if out_size < n - 1. */
int ttlock_codec_decode(const uint8_t *encoded, size_t n, uint8_t *out, size_t out_size);
