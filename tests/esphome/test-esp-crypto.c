/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The primitives under ESPHome's Noise against the RFCs' own test vectors: a wrong byte order, a
 * missing clamp or a misread libgcrypt call shows up here before it shows up as a handshake no peer
 * accepts. */

#include <string.h>

#include "../unit/tt-test.h"
#include "esp-crypto.h"
#include "macro.h"

#define UNHEX(var, hex)   \
        uint8_t var[256]; \
        size_t var##_len = tt_unhex((hex), var, sizeof(var))

START_TEST(test_x25519_rfc7748_5_2) {
        UNHEX(scalar, "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        UNHEX(u, "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        uint8_t out[32];

        ck_assert_uint_eq(scalar_len, 32);
        ck_assert_uint_eq(u_len, 32);
        ck_assert_int_eq(esp_x25519(scalar, u, out), 0);
        tt_assert_hex_eq(out, 32, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}
END_TEST

START_TEST(test_x25519_rfc7748_6_1) {
        UNHEX(alice, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        UNHEX(bob, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        uint8_t alice_pub[32], bob_pub[32], k1[32], k2[32];

        ck_assert_uint_eq(alice_len + bob_len, 64);
        ck_assert_int_eq(esp_x25519_public(alice, alice_pub), 0);
        tt_assert_hex_eq(alice_pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        ck_assert_int_eq(esp_x25519_public(bob, bob_pub), 0);
        tt_assert_hex_eq(bob_pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        ck_assert_int_eq(esp_x25519(alice, bob_pub, k1), 0);
        ck_assert_int_eq(esp_x25519(bob, alice_pub, k2), 0);
        tt_assert_hex_eq(k1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        ck_assert_mem_eq(k1, k2, 32);
}
END_TEST

START_TEST(test_x25519_low_order_point_refused) {
        /* u = 0 (and u = 1) have small order: every scalar gives the all-zero result. */
        uint8_t scalar[32], zero[32] = {}, one[32] = { 1 }, out[32];

        memset(scalar, 0x42, sizeof(scalar));
        ck_assert_int_eq(esp_x25519(scalar, zero, out), -EINVAL);
        ck_assert_int_eq(esp_x25519(scalar, one, out), -EINVAL);
}
END_TEST

START_TEST(test_sha256_and_hmac) {
        uint8_t out[32];
        UNHEX(key, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");

        ck_assert_int_eq(esp_sha256("abc", 3, NULL, 0, out), 0);
        tt_assert_hex_eq(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        /* Two pieces hash as their concatenation. */
        ck_assert_int_eq(esp_sha256("a", 1, "bc", 2, out), 0);
        tt_assert_hex_eq(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        /* RFC 4231 test case 1. */
        ck_assert_int_eq(esp_hmac_sha256(key, key_len, "Hi There", 8, NULL, 0, out), 0);
        tt_assert_hex_eq(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}
END_TEST

START_TEST(test_hkdf_rfc5869_case1) {
        UNHEX(ikm, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        UNHEX(salt, "000102030405060708090a0b0c");
        UNHEX(info, "f0f1f2f3f4f5f6f7f8f9");
        uint8_t okm[42];

        ck_assert_int_eq(esp_hkdf_sha256(salt, salt_len, ikm, ikm_len, info, info_len, okm, sizeof(okm)), 0);
        tt_assert_hex_eq(
                okm,
                sizeof(okm),
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}
END_TEST

START_TEST(test_hkdf_rfc5869_case3) {
        UNHEX(ikm, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        uint8_t okm[42];

        /* No salt, no info. */
        ck_assert_int_eq(esp_hkdf_sha256(NULL, 0, ikm, ikm_len, NULL, 0, okm, sizeof(okm)), 0);
        tt_assert_hex_eq(
                okm,
                sizeof(okm),
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
        ck_assert_int_eq(esp_hkdf_sha256(NULL, 0, ikm, ikm_len, NULL, 0, okm, 255 * 32 + 1), -EINVAL);
}
END_TEST

static const char sunscreen[] =
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
        "sunscreen would be it.";

START_TEST(test_aead_rfc8439_2_8_2) {
        uint8_t key[32], cipher[sizeof(sunscreen) - 1 + 16], plain[sizeof(sunscreen)];
        UNHEX(nonce, "070000004041424344454647");
        UNHEX(ad, "50515253c0c1c2c3c4c5c6c7");
        size_t n = strlen(sunscreen);

        ck_assert_uint_eq(nonce_len, 12);
        for (size_t i = 0; i < 32; i++)
                key[i] = (uint8_t) (0x80 + i);
        ck_assert_int_eq(
                esp_aead_encrypt(key, nonce, ad, ad_len, (const uint8_t *) sunscreen, n, cipher), 0);
        tt_assert_hex_eq(
                cipher,
                n + 16,
                "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69"
                "da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67594"
                "5585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
                "1ae10b594f09e26a7e902ecbd0600691");
        ck_assert_int_eq(esp_aead_decrypt(key, nonce, ad, ad_len, cipher, n + 16, plain), 0);
        ck_assert_mem_eq(plain, sunscreen, n);

        /* A flipped bit anywhere, or other associated data, fails the tag and leaves no plaintext. */
        for (size_t i = 0; i < n + 16; i += 7) {
                cipher[i] ^= 0x01;
                memset(plain, 0xAA, sizeof(plain));
                ck_assert_int_eq(esp_aead_decrypt(key, nonce, ad, ad_len, cipher, n + 16, plain), -EBADMSG);
                /* The decrypted bytes are wiped, never handed out. */
                ck_assert_msg(memmem(plain, n, "sunscreen", 9) == NULL, "plaintext left behind");
                cipher[i] ^= 0x01;
        }
        ck_assert_int_eq(esp_aead_decrypt(key, nonce, ad, ad_len - 1, cipher, n + 16, plain), -EBADMSG);
        ck_assert_int_eq(esp_aead_decrypt(key, nonce, ad, ad_len, cipher, 15, plain), -EINVAL);
}
END_TEST

START_TEST(test_aead_empty_plaintext) {
        uint8_t key[32] = { 1 }, nonce[12] = {}, tag[16], out[1];

        ck_assert_int_eq(esp_aead_encrypt(key, nonce, NULL, 0, NULL, 0, tag), 0);
        ck_assert_int_eq(esp_aead_decrypt(key, nonce, NULL, 0, tag, 16, out), 0);
        tag[15] ^= 0x80;
        ck_assert_int_eq(esp_aead_decrypt(key, nonce, NULL, 0, tag, 16, out), -EBADMSG);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("esp-crypto");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_x25519_rfc7748_5_2);
        tcase_add_test(tc, test_x25519_rfc7748_6_1);
        tcase_add_test(tc, test_x25519_low_order_point_refused);
        tcase_add_test(tc, test_sha256_and_hmac);
        tcase_add_test(tc, test_hkdf_rfc5869_case1);
        tcase_add_test(tc, test_hkdf_rfc5869_case3);
        tcase_add_test(tc, test_aead_rfc8439_2_8_2);
        tcase_add_test(tc, test_aead_empty_plaintext);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
