/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "macro.h"
#include "tt-test.h"

static int decode(const char *s, uint8_t *out, size_t size) {
        return base64_decode(s, strlen(s), out, size);
}

START_TEST(test_rfc4648_vectors) {
        /* RFC 4648 §10. */
        static const struct {
                const char *plain, *b64;
        } v[] = {
                { "", "" },
                { "f", "Zg==" },
                { "fo", "Zm8=" },
                { "foo", "Zm9v" },
                { "foob", "Zm9vYg==" },
                { "fooba", "Zm9vYmE=" },
                { "foobar", "Zm9vYmFy" },
        };
        uint8_t out[16];
        char enc[16];

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                size_t n = strlen(v[i].plain);

                ck_assert_uint_eq(base64_encode((const uint8_t *) v[i].plain, n, enc), strlen(v[i].b64));
                ck_assert_str_eq(enc, v[i].b64);
                ck_assert_int_eq(decode(v[i].b64, out, sizeof(out)), (int) n);
                ck_assert(memcmp(out, v[i].plain, n) == 0);
        }
}
END_TEST

START_TEST(test_lenient_where_harmless) {
        uint8_t out[16];

        /* Padding may be left out; white space (a wrapped copy) is skipped. */
        ck_assert_int_eq(decode("Zm9vYg", out, sizeof(out)), 4);
        ck_assert_int_eq(decode("Zm9vYmE", out, sizeof(out)), 5);
        ck_assert_int_eq(decode(" Zm9v\nYmFy\r\n", out, sizeof(out)), 6);
        ck_assert(memcmp(out, "foobar", 6) == 0);
        /* Binary bytes, all 256 values, survive. */
        {
                uint8_t all[256], back[256];
                char enc[base64_encoded_size(256)];

                for (unsigned i = 0; i < 256; i++)
                        all[i] = (uint8_t) i;
                (void) base64_encode(all, sizeof(all), enc);
                ck_assert_int_eq(decode(enc, back, sizeof(back)), 256);
                ck_assert(memcmp(all, back, 256) == 0);
        }
}
END_TEST

START_TEST(test_strict_where_it_matters) {
        uint8_t out[16];

        ck_assert_int_eq(decode("Zm9v!", out, sizeof(out)), -EINVAL);    /* foreign character */
        ck_assert_int_eq(decode("Zm9vY", out, sizeof(out)), -EINVAL);    /* six bits left over */
        ck_assert_int_eq(decode("Zg=", out, sizeof(out)), -EINVAL);      /* short padding */
        ck_assert_int_eq(decode("Zm8==", out, sizeof(out)), -EINVAL);    /* too much padding */
        ck_assert_int_eq(decode("Zg==Zg==", out, sizeof(out)), -EINVAL); /* data after padding */
        ck_assert_int_eq(decode("=Zg=", out, sizeof(out)), -EINVAL);
        ck_assert_int_eq(decode("Zh==", out, sizeof(out)), -EINVAL); /* non-zero bits after the byte */
        ck_assert_int_eq(decode("Zm9=", out, sizeof(out)), -EINVAL);
        ck_assert_int_eq(decode("Zm9vYmFy", out, 5), -ENOBUFS);
        ck_assert_int_eq(decode("Zm9vYg", out, 3), -ENOBUFS);
        ck_assert_int_eq(decode("Zm9vYg", out, 4), 4);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("base64");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_rfc4648_vectors);
        tcase_add_test(tc, test_lenient_where_harmless);
        tcase_add_test(tc, test_strict_where_it_matters);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
