/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gcrypt.h>
#include <stdbool.h>
#include <string.h>

#include "crypto.h"
#include "gcrypt-util.h"
#include "macro.h"

/* §3.2 — the key every factory-fresh lock answers GET_AES_KEY with. */
const uint8_t ttlock_default_key[TTLOCK_KEY_SIZE] = {
        0x98, 0x76, 0x23, 0xE8, 0xA9, 0x23, 0xA1, 0xBB, 0x3D, 0x9E, 0x7D, 0x03, 0x78, 0x12, 0x45, 0x88,
};

int ttlock_crypto_init(void) {
        return gcrypt_setup();
}

/* IV = key (§3.1): every frame starts a fresh CBC chain, so a handle is opened per call. */
static int cipher_open(const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *iv, gcry_cipher_hd_t *ret,
                       TTError *e) {
        gcry_cipher_hd_t h;
        int r;

        r = ttlock_crypto_init();
        if (r < 0)
                return tt_error(e, r, "libgcrypt %s or newer is not available", GCRYPT_VERSION);

        if (gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_CBC, 0) != 0)
                return tt_error(e, -EIO, "libgcrypt cannot open AES-128-CBC");
        if (gcry_cipher_setkey(h, key, TTLOCK_KEY_SIZE) != 0 ||
            gcry_cipher_setiv(h, iv, TTLOCK_AES_BLOCK) != 0) {
                gcry_cipher_close(h);
                return tt_error(e, -EIO, "libgcrypt refused the AES key");
        }

        *ret = h;
        return 0;
}

int ttlock_aes_encrypt(const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *plain, size_t plain_len,
                       uint8_t *out, size_t out_size, size_t *ret_len, TTError *e) {
        gcry_cipher_hd_t h;
        size_t n, pad;
        int r;

        if (!key)
                return tt_error(e, -EINVAL, "no AES key given");
        if (plain_len == 0)
                /* §3.1: an empty payload is never encrypted (L = 0); doing so here would be a bug. */
                return tt_error(e, -EINVAL, "refusing to encrypt an empty payload");

        /* PKCS#7 always pads, with a whole block when the input is already aligned. */
        pad = TTLOCK_AES_BLOCK - plain_len % TTLOCK_AES_BLOCK;
        n = plain_len + pad;
        if (n < plain_len || out_size < n)
                return tt_error(e, -ENOBUFS, "ciphertext of %zu bytes does not fit in %zu", plain_len + pad,
                                out_size);

        r = cipher_open(key, key, &h, e);
        if (r < 0)
                return r;

        /* Encrypt in place in out: plain may alias out, hence memmove. */
        memmove(out, plain, plain_len);
        memset(out + plain_len, (int) pad, pad);
        if (gcry_cipher_encrypt(h, out, n, NULL, 0) != 0) {
                gcry_cipher_close(h);
                erase_memory(out, n);
                return tt_error(e, -EIO, "AES encryption failed");
        }
        gcry_cipher_close(h);

        if (ret_len)
                *ret_len = n;
        return 0;
}

int ttlock_aes_decrypt(const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *cipher, size_t cipher_len,
                       uint8_t *out, size_t out_size, size_t *ret_len, TTError *e) {
        uint8_t last[TTLOCK_AES_BLOCK];
        gcry_cipher_hd_t h;
        size_t head, pad;
        bool ok;
        int r;

        if (!key)
                return tt_error(e, -EINVAL, "no AES key given");
        if (cipher_len == 0 || cipher_len % TTLOCK_AES_BLOCK != 0)
                return tt_error(e, -EBADMSG, "ciphertext length %zu is not a positive multiple of %d",
                                cipher_len, TTLOCK_AES_BLOCK);

        /* The plaintext is at least head bytes long, so an out smaller than that can never do. The last
         * block goes to a scratch buffer first: its padding decides how much of it is data. */
        head = cipher_len - TTLOCK_AES_BLOCK;
        if (out_size < head)
                return tt_error(e, -ENOBUFS, "plaintext of at least %zu bytes does not fit in %zu", head,
                                out_size);

        r = cipher_open(key, key, &h, e);
        if (r < 0)
                return r;

        /* gcrypt keeps the CBC chain across calls on the same handle. */
        if ((head > 0 && gcry_cipher_decrypt(h, out, head, cipher, head) != 0) ||
            gcry_cipher_decrypt(h, last, sizeof(last), cipher + head, TTLOCK_AES_BLOCK) != 0) {
                gcry_cipher_close(h);
                r = tt_error(e, -EIO, "AES decryption failed");
                goto fail;
        }
        gcry_cipher_close(h);

        pad = last[TTLOCK_AES_BLOCK - 1];
        ok = pad >= 1 && pad <= TTLOCK_AES_BLOCK;
        for (size_t i = TTLOCK_AES_BLOCK - pad; ok && i < TTLOCK_AES_BLOCK; i++)
                if (last[i] != pad)
                        ok = false;
        if (!ok) {
                /* A wrong key decrypts to noise, and noise almost never ends in valid padding. */
                r = tt_error(e, -EBADMSG, "bad PKCS#7 padding (wrong key?)");
                goto fail;
        }

        if (out_size < cipher_len - pad) {
                r = tt_error(e, -ENOBUFS, "plaintext of %zu bytes does not fit in %zu", cipher_len - pad,
                             out_size);
                goto fail;
        }

        memcpy(out + head, last, TTLOCK_AES_BLOCK - pad);
        erase_memory(last, sizeof(last));
        if (ret_len)
                *ret_len = cipher_len - pad;
        return 0;

fail:
        erase_memory(out, head);
        erase_memory(last, sizeof(last));
        return r;
}
