/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "macro.h"
#include "tt-test.h"

/* Key K of doc/protocol.md §10 (kind3r/ttlock-sdk-js#8 pairing log). */
static const char *const K_HEX = "947c705c5103a1b1309eeaa00d542daa";

static void key_k(uint8_t k[TTLOCK_KEY_SIZE]) {
        ck_assert_uint_eq(tt_unhex(K_HEX, k, TTLOCK_KEY_SIZE), TTLOCK_KEY_SIZE);
}

START_TEST(test_default_key) {
        tt_assert_hex_eq(ttlock_default_key, TTLOCK_KEY_SIZE, "987623e8a923a1bb3d9e7d0378124588");
}
END_TEST

START_TEST(test_init_idempotent) {
        ck_assert_int_eq(ttlock_crypto_init(), 0);
        ck_assert_int_eq(ttlock_crypto_init(), 0);
}
END_TEST

START_TEST(test_encrypt_v1) {
        uint8_t out[32];
        size_t n = 0;

        /* §10.3 V1: "SCIENER" with the default key. */
        ck_assert_int_eq(ttlock_aes_encrypt(ttlock_default_key, (const uint8_t *) "SCIENER", 7, out,
                                            sizeof(out), &n, NULL),
                         0);
        tt_assert_hex_eq(out, n, "26ed1d9258a1e428fcb48bbd1c0e5a46");
}
END_TEST

START_TEST(test_decrypt_v2) {
        uint8_t c[32], p[32];
        size_t n = 0;

        /* §10.3 V2: the GET_AES_KEY reply, 18 bytes of plaintext → two blocks. */
        tt_unhex("3e7f27b40391ec02fdff54d2ecf1e7e09b948f38e0471cc900c6c1f91ac8c208", c, sizeof(c));
        ck_assert_int_eq(ttlock_aes_decrypt(ttlock_default_key, c, 32, p, sizeof(p), &n, NULL), 0);
        tt_assert_hex_eq(p, n, "1901947c705c5103a1b1309eeaa00d542daa");
}
END_TEST

START_TEST(test_round_trip_lengths) {
        uint8_t k[TTLOCK_KEY_SIZE], plain[80], c[96], p[96];

        key_k(k);
        for (size_t i = 0; i < sizeof(plain); i++)
                plain[i] = (uint8_t) (i * 7 + 1);

        for (size_t len = 1; len <= sizeof(plain); len++) {
                size_t cn = 0, pn = 0;

                ck_assert_int_eq(ttlock_aes_encrypt(k, plain, len, c, sizeof(c), &cn, NULL), 0);
                /* PKCS#7: always padded, a whole block when already aligned. */
                ck_assert_uint_eq(cn, (len / 16 + 1) * 16);
                ck_assert_int_eq(ttlock_aes_decrypt(k, c, cn, p, sizeof(p), &pn, NULL), 0);
                ck_assert_uint_eq(pn, len);
                ck_assert_mem_eq(p, plain, len);

                /* Exactly the plaintext length is enough room. */
                ck_assert_int_eq(ttlock_aes_decrypt(k, c, cn, p, len, &pn, NULL), 0);
                ck_assert_uint_eq(pn, len);
        }
}
END_TEST

START_TEST(test_encrypt_in_place) {
        uint8_t k[TTLOCK_KEY_SIZE], buf[32], ref[32];
        size_t n;

        key_k(k);
        memcpy(buf, "SCIENER", 7);
        ck_assert_int_eq(ttlock_aes_encrypt(k, buf, 7, ref, sizeof(ref), &n, NULL), 0);
        ck_assert_int_eq(ttlock_aes_encrypt(k, buf, 7, buf, sizeof(buf), &n, NULL), 0);
        ck_assert_mem_eq(buf, ref, 16);
}
END_TEST

START_TEST(test_encrypt_rejects) {
        uint8_t k[TTLOCK_KEY_SIZE], out[32];
        TTError e1 = {}, e2 = {}, e3 = {};
        size_t n = 77;

        key_k(k);
        ck_assert_int_eq(ttlock_aes_encrypt(k, out, 0, out, sizeof(out), &n, &e1), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e1), "refusing to encrypt an empty payload");
        ck_assert_int_eq(ttlock_aes_encrypt(k, (const uint8_t *) "0123456789abcdef", 16, out, 16, &n, &e2),
                         -ENOBUFS);
        ck_assert_str_eq(tt_error_message(&e2), "ciphertext of 32 bytes does not fit in 16");
        ck_assert_int_eq(ttlock_aes_encrypt(NULL, out, 1, out, sizeof(out), &n, &e3), -EINVAL);
        ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(test_decrypt_bad_lengths) {
        uint8_t k[TTLOCK_KEY_SIZE], c[48] = {}, p[48];
        size_t n = 77;

        key_k(k);
        for (size_t len = 0; len <= sizeof(c); len++) {
                TTError e = {};
                char msg[96];

                if (len % 16 == 0 && len > 0)
                        continue;
                ck_assert_int_eq(ttlock_aes_decrypt(k, c, len, p, sizeof(p), &n, &e), -EBADMSG);
                snprintf(msg, sizeof(msg), "ciphertext length %zu is not a positive multiple of 16", len);
                ck_assert_str_eq(tt_error_message(&e), msg);
        }
        ck_assert_uint_eq(n, 77);
}
END_TEST

START_TEST(test_decrypt_wrong_key) {
        uint8_t k[TTLOCK_KEY_SIZE], c[32], p[32];
        TTError e = {};
        size_t n = 77;

        /* V1's ciphertext was made with the default key; K turns it into noise. */
        key_k(k);
        tt_unhex("26ed1d9258a1e428fcb48bbd1c0e5a46", c, sizeof(c));
        ck_assert_int_eq(ttlock_aes_decrypt(k, c, 16, p, sizeof(p), &n, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad PKCS#7 padding (wrong key?)");
        ck_assert_uint_eq(n, 77);
}
END_TEST

/* Encrypt blocks of our own choosing and cut the real padding block off, so that the last block
 * decrypts to exactly the bytes given. */
static int decrypt_with_last_block(const char *last_hex, TTError *e) {
        uint8_t k[TTLOCK_KEY_SIZE], plain[32], c[48], p[48];
        size_t n;

        key_k(k);
        memset(plain, 'x', 16);
        ck_assert_uint_eq(tt_unhex(last_hex, plain + 16, 16), 16);
        ck_assert_int_eq(ttlock_aes_encrypt(k, plain, 32, c, sizeof(c), &n, NULL), 0);
        ck_assert_uint_eq(n, 48);
        return ttlock_aes_decrypt(k, c, 32, p, sizeof(p), &n, e);
}

START_TEST(test_decrypt_bad_padding) {
        TTError e = {};

        /* Sanity: a correct padding of 3 decrypts. */
        ck_assert_int_eq(decrypt_with_last_block("41424344454647484950515253030303", NULL), 0);
        /* Full block of 16 decrypts. */
        ck_assert_int_eq(decrypt_with_last_block("10101010101010101010101010101010", NULL), 0);

        ck_assert_int_eq(decrypt_with_last_block("41424344454647484950515253540000", &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "bad PKCS#7 padding (wrong key?)");
        ck_assert_int_eq(decrypt_with_last_block("11111111111111111111111111111111", NULL), -EBADMSG);
        ck_assert_int_eq(decrypt_with_last_block("41424344454647484950515253010203", NULL), -EBADMSG);
        ck_assert_int_eq(decrypt_with_last_block("41424344454647484950515253040303", NULL), -EBADMSG);
}
END_TEST

START_TEST(test_decrypt_small_output) {
        uint8_t k[TTLOCK_KEY_SIZE], c[48], p[48];
        TTError e1 = {}, e2 = {};
        size_t n = 77;

        key_k(k);
        /* 20 bytes of plaintext → 32 bytes of ciphertext. */
        ck_assert_int_eq(ttlock_aes_encrypt(k, (const uint8_t *) "01234567890123456789", 20, c, sizeof(c),
                                            &n, NULL),
                         0);
        n = 77;
        ck_assert_int_eq(ttlock_aes_decrypt(k, c, 32, p, 19, &n, &e1), -ENOBUFS);
        ck_assert_str_eq(tt_error_message(&e1), "plaintext of 20 bytes does not fit in 19");
        ck_assert_int_eq(ttlock_aes_decrypt(k, c, 32, p, 15, &n, &e2), -ENOBUFS);
        ck_assert_str_eq(tt_error_message(&e2), "plaintext of at least 16 bytes does not fit in 15");
        ck_assert_uint_eq(n, 77);
        ck_assert_int_eq(ttlock_aes_decrypt(k, c, 32, p, 20, &n, NULL), 0);
        ck_assert_uint_eq(n, 20);
        ck_assert_mem_eq(p, "01234567890123456789", 20);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("crypto");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_default_key);
        tcase_add_test(tc, test_init_idempotent);
        tcase_add_test(tc, test_encrypt_v1);
        tcase_add_test(tc, test_decrypt_v2);
        tcase_add_test(tc, test_round_trip_lengths);
        tcase_add_test(tc, test_encrypt_in_place);
        tcase_add_test(tc, test_encrypt_rejects);
        tcase_add_test(tc, test_decrypt_bad_lengths);
        tcase_add_test(tc, test_decrypt_wrong_key);
        tcase_add_test(tc, test_decrypt_bad_padding);
        tcase_add_test(tc, test_decrypt_small_output);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
