/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* AES-128-CBC with IV = key and PKCS#7 padding, each frame on its own (doc/protocol.md §3.1),
 * through libgcrypt. Buffers that held key material are wiped with erase_memory(). */

#include <stddef.h>
#include <stdint.h>

#include "tt-error.h"

#define TTLOCK_KEY_SIZE 16
#define TTLOCK_AES_BLOCK 16

/* The key every factory-fresh lock uses for GET_AES_KEY (§3.2). */
extern const uint8_t ttlock_default_key[TTLOCK_KEY_SIZE];

/* Sets libgcrypt up once (gcrypt-util.h; thread-unsafe by design: call it from main before any threads,
 * or let the first encrypt/decrypt do it). Returns 0 or -EIO when libgcrypt is unusable. */
int ttlock_crypto_init(void);

/* Ciphertext is plain_len rounded up to the next multiple of 16 (a full block of padding when
 * plain_len is already a multiple). -ENOBUFS if out_size is too small, -EINVAL for plain_len 0. */
int ttlock_aes_encrypt(const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *plain, size_t plain_len,
                       uint8_t *out, size_t out_size, size_t *ret_len, TTError *e);

/* -EBADMSG for a length that is not a positive multiple of 16, and for bad padding — which is
 * what a wrong key looks like. */
int ttlock_aes_decrypt(const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *cipher, size_t cipher_len,
                       uint8_t *out, size_t out_size, size_t *ret_len, TTError *e);
