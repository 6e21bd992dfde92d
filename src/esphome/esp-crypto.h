/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The primitives of Noise_NNpsk0_25519_ChaChaPoly_SHA256 (the Noise Protocol Framework, revision 34,
 * §12), each one a thin call into libgcrypt: X25519 (RFC 7748), ChaCha20-Poly1305 (RFC 8439),
 * SHA-256, HMAC-SHA-256 and HKDF (RFC 5869). libgcrypt 1.10, as Debian 12 ships it, has no HKDF of
 * its own (gcry_kdf_open learnt it in 1.11), so HKDF is RFC 5869 §2.2–2.3 on libgcrypt's HMAC.
 * Every function returns 0 or a negative errno; key material in our own buffers is wiped. */

#include <stddef.h>
#include <stdint.h>

#define ESP_X25519_KEY_SIZE 32
#define ESP_SHA256_SIZE 32
#define ESP_AEAD_KEY_SIZE 32
#define ESP_AEAD_NONCE_SIZE 12
#define ESP_AEAD_TAG_SIZE 16

/* libgcrypt set up as for the whole project (gcrypt-util.h), unless the program already did. */
int esp_crypto_init(void);

/* X25519(scalar, u): the scalar is clamped as RFC 7748 §5 says. -EINVAL when the result is all
 * zeros (a low-order point: RFC 7748 §6.1 lets the caller refuse it, and Noise must). */
int esp_x25519(
        const uint8_t scalar[ESP_X25519_KEY_SIZE],
        const uint8_t u[ESP_X25519_KEY_SIZE],
        uint8_t out[ESP_X25519_KEY_SIZE]);
/* The public key of a private key: X25519(private, 9). */
int esp_x25519_public(const uint8_t private_key[ESP_X25519_KEY_SIZE], uint8_t out[ESP_X25519_KEY_SIZE]);
/* A fresh private key from libgcrypt's strong random generator. */
void esp_x25519_generate(uint8_t private_key[ESP_X25519_KEY_SIZE]);

int esp_sha256(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[ESP_SHA256_SIZE]);
int esp_hmac_sha256(
        const uint8_t *key,
        size_t key_len,
        const void *a,
        size_t a_len,
        const void *b,
        size_t b_len,
        uint8_t out[ESP_SHA256_SIZE]);
/* RFC 5869 with SHA-256: out_len bytes (at most 255 × 32) of OKM from salt, ikm and info. */
int esp_hkdf_sha256(
        const uint8_t *salt,
        size_t salt_len,
        const uint8_t *ikm,
        size_t ikm_len,
        const uint8_t *info,
        size_t info_len,
        uint8_t *out,
        size_t out_len);

/* RFC 8439 AEAD. out holds len + 16 bytes (the tag last). */
int esp_aead_encrypt(
        const uint8_t key[ESP_AEAD_KEY_SIZE],
        const uint8_t nonce[ESP_AEAD_NONCE_SIZE],
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *plain,
        size_t len,
        uint8_t *out);
/* len counts the tag; out receives len − 16 bytes. -EBADMSG when the tag does not verify (and out is
 * wiped), -EINVAL when len < 16. */
int esp_aead_decrypt(
        const uint8_t key[ESP_AEAD_KEY_SIZE],
        const uint8_t nonce[ESP_AEAD_NONCE_SIZE],
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *cipher,
        size_t len,
        uint8_t *out);
