/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gcrypt.h>
#include <stdbool.h>
#include <string.h>

#include "esp-crypto.h"
#include "gcrypt-util.h"
#include "macro.h"

int esp_crypto_init(void) {
        return gcrypt_setup();
}

int esp_x25519(
        const uint8_t scalar[ESP_X25519_KEY_SIZE],
        const uint8_t u[ESP_X25519_KEY_SIZE],
        uint8_t out[ESP_X25519_KEY_SIZE]) {
        uint8_t result[ESP_X25519_KEY_SIZE];
        uint8_t acc = 0;
        int r;

        r = esp_crypto_init();
        if (r < 0)
                return r;
        /* gcry_ecc_mul_point() is X25519 itself: it clamps the scalar and masks the top bit of u
         * (RFC 7748 §5), both little-endian. */
        if (gcry_ecc_mul_point(GCRY_ECC_CURVE25519, result, scalar, u) != 0)
                return -EIO;
        for (size_t i = 0; i < sizeof(result); i++)
                acc |= result[i];
        if (acc == 0) {
                erase_memory(result, sizeof(result));
                return -EINVAL;
        }
        memcpy(out, result, sizeof(result));
        erase_memory(result, sizeof(result));
        return 0;
}

int esp_x25519_public(const uint8_t private_key[ESP_X25519_KEY_SIZE], uint8_t out[ESP_X25519_KEY_SIZE]) {
        static const uint8_t base[ESP_X25519_KEY_SIZE] = { 9 };

        return esp_x25519(private_key, base, out);
}

void esp_x25519_generate(uint8_t private_key[ESP_X25519_KEY_SIZE]) {
        (void) esp_crypto_init();
        gcry_randomize(private_key, ESP_X25519_KEY_SIZE, GCRY_STRONG_RANDOM);
}

int esp_sha256(const void *a, size_t a_len, const void *b, size_t b_len, uint8_t out[ESP_SHA256_SIZE]) {
        gcry_md_hd_t md;
        int r;

        r = esp_crypto_init();
        if (r < 0)
                return r;
        if (gcry_md_open(&md, GCRY_MD_SHA256, 0) != 0)
                return -EIO;
        if (a_len > 0)
                gcry_md_write(md, a, a_len);
        if (b_len > 0)
                gcry_md_write(md, b, b_len);
        memcpy(out, gcry_md_read(md, GCRY_MD_SHA256), ESP_SHA256_SIZE);
        gcry_md_close(md);
        return 0;
}

int esp_hmac_sha256(
        const uint8_t *key,
        size_t key_len,
        const void *a,
        size_t a_len,
        const void *b,
        size_t b_len,
        uint8_t out[ESP_SHA256_SIZE]) {
        gcry_mac_hd_t mac;
        size_t n = ESP_SHA256_SIZE;
        int r;

        r = esp_crypto_init();
        if (r < 0)
                return r;
        if (gcry_mac_open(&mac, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0)
                return -EIO;
        /* HMAC takes a key of any length, the empty one included (RFC 2104 §2). libgcrypt wants a
         * non-NULL pointer even then. */
        if (gcry_mac_setkey(mac, key_len > 0 ? key : (const uint8_t *) "", key_len) != 0 ||
            (a_len > 0 && gcry_mac_write(mac, a, a_len) != 0) ||
            (b_len > 0 && gcry_mac_write(mac, b, b_len) != 0) || gcry_mac_read(mac, out, &n) != 0 ||
            n != ESP_SHA256_SIZE) {
                gcry_mac_close(mac);
                return -EIO;
        }
        gcry_mac_close(mac);
        return 0;
}

int esp_hkdf_sha256(
        const uint8_t *salt,
        size_t salt_len,
        const uint8_t *ikm,
        size_t ikm_len,
        const uint8_t *info,
        size_t info_len,
        uint8_t *out,
        size_t out_len) {
        static const uint8_t zero_salt[ESP_SHA256_SIZE] = {};
        uint8_t prk[ESP_SHA256_SIZE], t[ESP_SHA256_SIZE + 1], block[ESP_SHA256_SIZE];
        size_t t_len = 0, done = 0;
        int r = 0;

        if (out_len > 255 * ESP_SHA256_SIZE)
                return -EINVAL;
        /* Extract (§2.2): a missing salt is HashLen zeros. */
        if (salt_len == 0) {
                salt = zero_salt;
                salt_len = sizeof(zero_salt);
        }
        r = esp_hmac_sha256(salt, salt_len, ikm, ikm_len, NULL, 0, prk);
        if (r < 0)
                goto finish;
        /* Expand (§2.3): T(i) = HMAC(PRK, T(i−1) | info | i). */
        for (unsigned i = 1; done < out_len; i++) {
                uint8_t counter = (uint8_t) i;
                gcry_mac_hd_t mac;
                size_t n = sizeof(block);

                if (gcry_mac_open(&mac, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0) {
                        r = -EIO;
                        goto finish;
                }
                if (gcry_mac_setkey(mac, prk, sizeof(prk)) != 0 ||
                    (t_len > 0 && gcry_mac_write(mac, t, t_len) != 0) ||
                    (info_len > 0 && gcry_mac_write(mac, info, info_len) != 0) ||
                    gcry_mac_write(mac, &counter, 1) != 0 || gcry_mac_read(mac, block, &n) != 0) {
                        gcry_mac_close(mac);
                        r = -EIO;
                        goto finish;
                }
                gcry_mac_close(mac);
                memcpy(t, block, sizeof(block));
                t_len = sizeof(block);
                memcpy(out + done, block, MIN(sizeof(block), out_len - done));
                done += MIN(sizeof(block), out_len - done);
        }
finish:
        erase_memory(prk, sizeof(prk));
        erase_memory(t, sizeof(t));
        erase_memory(block, sizeof(block));
        return r;
}

static int aead_open(
        const uint8_t key[ESP_AEAD_KEY_SIZE],
        const uint8_t nonce[ESP_AEAD_NONCE_SIZE],
        const uint8_t *ad,
        size_t ad_len,
        gcry_cipher_hd_t *ret) {
        gcry_cipher_hd_t h;
        int r;

        r = esp_crypto_init();
        if (r < 0)
                return r;
        if (gcry_cipher_open(&h, GCRY_CIPHER_CHACHA20, GCRY_CIPHER_MODE_POLY1305, 0) != 0)
                return -EIO;
        if (gcry_cipher_setkey(h, key, ESP_AEAD_KEY_SIZE) != 0 ||
            gcry_cipher_setiv(h, nonce, ESP_AEAD_NONCE_SIZE) != 0 ||
            (ad_len > 0 && gcry_cipher_authenticate(h, ad, ad_len) != 0)) {
                gcry_cipher_close(h);
                return -EIO;
        }
        *ret = h;
        return 0;
}

int esp_aead_encrypt(
        const uint8_t key[ESP_AEAD_KEY_SIZE],
        const uint8_t nonce[ESP_AEAD_NONCE_SIZE],
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *plain,
        size_t len,
        uint8_t *out) {
        gcry_cipher_hd_t h;
        int r;

        r = aead_open(key, nonce, ad, ad_len, &h);
        if (r < 0)
                return r;
        /* final() tells the Poly1305 mode that this is the last chunk; an empty one is fine. */
        if (gcry_cipher_final(h) != 0 ||
            gcry_cipher_encrypt(h, out, len, len > 0 ? plain : NULL, len) != 0 ||
            gcry_cipher_gettag(h, out + len, ESP_AEAD_TAG_SIZE) != 0) {
                gcry_cipher_close(h);
                return -EIO;
        }
        gcry_cipher_close(h);
        return 0;
}

int esp_aead_decrypt(
        const uint8_t key[ESP_AEAD_KEY_SIZE],
        const uint8_t nonce[ESP_AEAD_NONCE_SIZE],
        const uint8_t *ad,
        size_t ad_len,
        const uint8_t *cipher,
        size_t len,
        uint8_t *out) {
        gcry_cipher_hd_t h;
        size_t n;
        int r;

        if (len < ESP_AEAD_TAG_SIZE)
                return -EINVAL;
        n = len - ESP_AEAD_TAG_SIZE;
        r = aead_open(key, nonce, ad, ad_len, &h);
        if (r < 0)
                return r;
        if (gcry_cipher_final(h) != 0 || gcry_cipher_decrypt(h, out, n, n > 0 ? cipher : NULL, n) != 0) {
                gcry_cipher_close(h);
                return -EIO;
        }
        if (gcry_cipher_checktag(h, cipher + n, ESP_AEAD_TAG_SIZE) != 0) {
                gcry_cipher_close(h);
                erase_memory(out, n);
                return -EBADMSG;
        }
        gcry_cipher_close(h);
        return 0;
}
