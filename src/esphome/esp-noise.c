/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "esp-noise.h"
#include "macro.h"

/* ChaChaPoly's nonce (Noise §12.3): 32 bits of zeros, then n as 64-bit little-endian. */
static void nonce_of(uint64_t n, uint8_t nonce[ESP_AEAD_NONCE_SIZE]) {
        memset(nonce, 0, ESP_AEAD_NONCE_SIZE);
        for (size_t i = 0; i < 8; i++)
                nonce[4 + i] = (uint8_t) (n >> (8 * i));
}

static int cs_encrypt(
        EspCipherState *cs,
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *plain,
        size_t len,
        uint8_t *out) {
        uint8_t nonce[ESP_AEAD_NONCE_SIZE];
        int r;

        if (!cs->has_key) {
                /* Noise §5.1: without a key, EncryptWithAd returns the plaintext. NNpsk0 always has
                 * one by the time it encrypts (psk mixes a key in first); kept for completeness. */
                memmove(out, plain, len);
                return 0;
        }
        if (cs->n == UINT64_MAX)
                return -EOVERFLOW;
        nonce_of(cs->n, nonce);
        r = esp_aead_encrypt(cs->k, nonce, ad, ad_len, plain, len, out);
        if (r < 0)
                return r;
        cs->n++;
        return 0;
}

static int cs_decrypt(
        EspCipherState *cs,
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *cipher,
        size_t len,
        uint8_t *out) {
        uint8_t nonce[ESP_AEAD_NONCE_SIZE];
        int r;

        if (!cs->has_key) {
                memmove(out, cipher, len);
                return 0;
        }
        if (cs->n == UINT64_MAX)
                return -EOVERFLOW;
        nonce_of(cs->n, nonce);
        r = esp_aead_decrypt(cs->k, nonce, ad, ad_len, cipher, len, out);
        if (r < 0)
                return r;
        cs->n++;
        return 0;
}

static void cs_init(EspCipherState *cs, const uint8_t k[ESP_AEAD_KEY_SIZE]) {
        memcpy(cs->k, k, ESP_AEAD_KEY_SIZE);
        cs->n = 0;
        cs->has_key = true;
}

/* Noise §5.2 HKDF(chaining_key, input_key_material, num_outputs): RFC 5869 with the chaining key as
 * salt and an empty info, 2 or 3 outputs of 32 bytes. */
static int
hkdf(const uint8_t ck[ESP_SHA256_SIZE], const uint8_t *ikm, size_t ikm_len, uint8_t *out, size_t n) {
        return esp_hkdf_sha256(ck, ESP_SHA256_SIZE, ikm, ikm_len, NULL, 0, out, n * ESP_SHA256_SIZE);
}

static int mix_hash(EspNoiseHandshake *hs, const uint8_t *data, size_t len) {
        return esp_sha256(hs->h, sizeof(hs->h), data, len, hs->h);
}

static int mix_key(EspNoiseHandshake *hs, const uint8_t *ikm, size_t len) {
        uint8_t out[2 * ESP_SHA256_SIZE];
        int r;

        r = hkdf(hs->ck, ikm, len, out, 2);
        if (r >= 0) {
                memcpy(hs->ck, out, ESP_SHA256_SIZE);
                cs_init(&hs->cs, out + ESP_SHA256_SIZE);
        }
        erase_memory(out, sizeof(out));
        return r;
}

static int mix_key_and_hash(EspNoiseHandshake *hs, const uint8_t *ikm, size_t len) {
        uint8_t out[3 * ESP_SHA256_SIZE];
        int r;

        r = hkdf(hs->ck, ikm, len, out, 3);
        if (r >= 0) {
                memcpy(hs->ck, out, ESP_SHA256_SIZE);
                r = mix_hash(hs, out + ESP_SHA256_SIZE, ESP_SHA256_SIZE);
                if (r >= 0)
                        cs_init(&hs->cs, out + 2 * ESP_SHA256_SIZE);
        }
        erase_memory(out, sizeof(out));
        return r;
}

static int encrypt_and_hash(EspNoiseHandshake *hs, const uint8_t *plain, size_t len, uint8_t *out) {
        int r;

        r = cs_encrypt(&hs->cs, hs->h, sizeof(hs->h), plain, len, out);
        if (r < 0)
                return r;
        return mix_hash(hs, out, len + (hs->cs.has_key ? ESP_AEAD_TAG_SIZE : 0));
}

static int decrypt_and_hash(EspNoiseHandshake *hs, const uint8_t *cipher, size_t len, uint8_t *out) {
        uint8_t h[ESP_SHA256_SIZE];
        int r;

        /* The hash covers the ciphertext, so take it before decrypting (in place is allowed). */
        memcpy(h, hs->h, sizeof(h));
        r = mix_hash(hs, cipher, len);
        if (r < 0)
                return r;
        return cs_decrypt(&hs->cs, h, sizeof(h), cipher, len, out);
}

int esp_noise_init(
        EspNoiseHandshake *hs,
        EspNoiseRole role,
        const uint8_t psk[ESP_NOISE_PSK_SIZE],
        const uint8_t *prologue,
        size_t prologue_len,
        const uint8_t *ephemeral) {
        static const char name[] = ESP_NOISE_PROTOCOL_NAME;
        int r;

        *hs = (EspNoiseHandshake){ .role = role };
        /* §5.2 InitializeSymmetric: the name is longer than HASHLEN, so h = HASH(name); ck = h. */
        r = esp_sha256(name, strlen(name), NULL, 0, hs->h);
        if (r < 0)
                return r;
        memcpy(hs->ck, hs->h, sizeof(hs->ck));
        r = mix_hash(hs, prologue, prologue_len);
        if (r < 0)
                return r;
        memcpy(hs->psk, psk, ESP_NOISE_PSK_SIZE);
        if (ephemeral)
                memcpy(hs->e, ephemeral, sizeof(hs->e));
        else
                esp_x25519_generate(hs->e);
        r = esp_x25519_public(hs->e, hs->e_pub);
        if (r < 0) {
                esp_noise_wipe(hs);
                return r;
        }
        return 0;
}

static bool my_turn(const EspNoiseHandshake *hs, bool writing) {
        bool initiator_turn = hs->step == 0;

        if (hs->failed || hs->step >= 2)
                return false;
        return writing == (initiator_turn == (hs->role == ESP_NOISE_INITIATOR));
}

/* Token "e" in a psk handshake (§9.2): MixHash(e.pub), then MixKey(e.pub) too. */
static int token_e(EspNoiseHandshake *hs, const uint8_t pub[ESP_X25519_KEY_SIZE]) {
        int r;

        r = mix_hash(hs, pub, ESP_X25519_KEY_SIZE);
        if (r < 0)
                return r;
        return mix_key(hs, pub, ESP_X25519_KEY_SIZE);
}

static int token_ee(EspNoiseHandshake *hs) {
        uint8_t dh[ESP_X25519_KEY_SIZE];
        int r;

        r = esp_x25519(hs->e, hs->re, dh);
        if (r >= 0)
                r = mix_key(hs, dh, sizeof(dh));
        erase_memory(dh, sizeof(dh));
        return r;
}

int esp_noise_write_message(EspNoiseHandshake *hs, uint8_t *out, size_t out_size, size_t *ret_len) {
        int r;

        if (!my_turn(hs, true))
                return -EINVAL;
        if (out_size < ESP_NOISE_HANDSHAKE_MESSAGE_SIZE)
                return -ENOBUFS;
        if (hs->step == 0) {
                /* -> psk, e */
                r = mix_key_and_hash(hs, hs->psk, sizeof(hs->psk));
                if (r >= 0)
                        r = token_e(hs, hs->e_pub);
        } else {
                /* <- e, ee */
                r = token_e(hs, hs->e_pub);
                if (r >= 0)
                        r = token_ee(hs);
        }
        if (r >= 0) {
                memcpy(out, hs->e_pub, ESP_X25519_KEY_SIZE);
                r = encrypt_and_hash(hs, NULL, 0, out + ESP_X25519_KEY_SIZE);
        }
        if (r < 0) {
                hs->failed = true;
                return r;
        }
        hs->step++;
        *ret_len = ESP_NOISE_HANDSHAKE_MESSAGE_SIZE;
        return 0;
}

int esp_noise_read_message(EspNoiseHandshake *hs, const uint8_t *msg, size_t len) {
        uint8_t payload[1];
        int r;

        if (!my_turn(hs, false))
                return -EINVAL;
        /* Our peer's payload is empty too: anything but e + tag is not this protocol. */
        if (len != ESP_NOISE_HANDSHAKE_MESSAGE_SIZE) {
                hs->failed = true;
                return -EBADMSG;
        }
        memcpy(hs->re, msg, ESP_X25519_KEY_SIZE);
        if (hs->step == 0) {
                r = mix_key_and_hash(hs, hs->psk, sizeof(hs->psk));
                if (r >= 0)
                        r = token_e(hs, hs->re);
        } else {
                r = token_e(hs, hs->re);
                if (r >= 0)
                        r = token_ee(hs);
        }
        if (r >= 0)
                r = decrypt_and_hash(hs, msg + ESP_X25519_KEY_SIZE, ESP_AEAD_TAG_SIZE, payload);
        if (r < 0) {
                hs->failed = true;
                return r;
        }
        hs->step++;
        return 0;
}

bool esp_noise_finished(const EspNoiseHandshake *hs) {
        return !hs->failed && hs->step == 2;
}

int esp_noise_split(EspNoiseHandshake *hs, EspCipherState *ret_send, EspCipherState *ret_recv) {
        uint8_t out[2 * ESP_SHA256_SIZE];
        EspCipherState c1 = {}, c2 = {};
        int r;

        if (!esp_noise_finished(hs))
                return -EINVAL;
        r = hkdf(hs->ck, NULL, 0, out, 2);
        if (r >= 0) {
                cs_init(&c1, out);
                cs_init(&c2, out + ESP_SHA256_SIZE);
                /* The initiator sends with the first, the responder with the second. */
                if (hs->role == ESP_NOISE_INITIATOR) {
                        *ret_send = c1;
                        *ret_recv = c2;
                } else {
                        *ret_send = c2;
                        *ret_recv = c1;
                }
        }
        erase_memory(out, sizeof(out));
        esp_cipher_wipe(&c1);
        esp_cipher_wipe(&c2);
        esp_noise_wipe(hs);
        hs->step = 3; /* split once: the chaining key is gone */
        return r;
}

void esp_noise_wipe(EspNoiseHandshake *hs) {
        EspNoiseRole role = hs->role;
        unsigned step = hs->step;
        bool failed = hs->failed;

        erase_memory(hs, sizeof(*hs));
        hs->role = role;
        hs->step = step;
        hs->failed = failed;
}

int esp_cipher_encrypt(EspCipherState *cs, const uint8_t *plain, size_t len, uint8_t *out) {
        if (!cs->has_key)
                return -EINVAL;
        return cs_encrypt(cs, NULL, 0, plain, len, out);
}

int esp_cipher_decrypt(EspCipherState *cs, const uint8_t *cipher, size_t len, uint8_t *out) {
        if (!cs->has_key)
                return -EINVAL;
        return cs_decrypt(cs, NULL, 0, cipher, len, out);
}

void esp_cipher_wipe(EspCipherState *cs) {
        erase_memory(cs, sizeof(*cs));
}
