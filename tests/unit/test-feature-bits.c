/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "feature-bits.h"
#include "tt-test.h"

/* The D-Bus names (Lock1.Features, dbus/org.ttlock.Lock1.xml) of every bit of doc/protocol.md §8. */
static const struct {
        unsigned bit;
        const char *name;
} expected_names[] = {
        { 0, "passcode" },
        { 1, "ic-card" },
        { 2, "fingerprint" },
        { 3, "wristband" },
        { 4, "auto-lock" },
        { 5, "passcode-with-delete" },
        { 6, "firmware-setting" },
        { 7, "modify-passcode" },
        { 8, "manual-lock" },
        { 9, "passcode-display" },
        { 10, "gateway-unlock" },
        { 11, "freeze" },
        { 12, "cyclic-passcode" },
        { 13, "magnetometer" },
        { 14, "remote-unlock" },
        { 15, "audio" },
        { 16, "nb-iot" },
        { 18, "admin-passcode" },
        { 19, "hotel" },
        { 20, "no-clock" },
        { 21, "no-app-unlock" },
        { 22, "passage-mode" },
        { 23, "passage-mode-auto-lock" },
        { 24, "wireless-keypad" },
        { 25, "lamp" },
        { 28, "tamper-alert" },
        { 29, "reset-button" },
        { 30, "privacy-lock" },
        { 32, "dead-lock" },
        { 34, "cyclic-card-fingerprint" },
        { 36, "unlock-direction" },
        { 37, "finger-vein" },
        { 38, "telink" },
        { 39, "nb-activation" },
        { 40, "cyclic-passcode-recovery" },
        { 41, "wireless-key-fob" },
        { 42, "accessory-battery" },
        { 43, "sound-volume" },
        { 44, "qr-code" },
        { 45, "door-sensor" },
        { 46, "passage-mode-auto-unlock" },
        { 47, "fingerprint-distribution" },
        { 48, "zhong-zheng" },
        { 49, "syno" },
        { 50, "wireless-door-sensor" },
        { 51, "door-open-alarm" },
        { 52, "sensitivity" },
        { 53, "face-3d" },
        { 55, "cpu-card" },
        { 56, "wifi" },
        { 58, "wifi-static-ip" },
        { 60, "incomplete-passcode" },
};

static const char *expected_name(unsigned bit) {
        for (size_t i = 0; i < ELEMENTSOF(expected_names); i++)
                if (expected_names[i].bit == bit)
                        return expected_names[i].name;
        return NULL;
}

START_TEST(test_names_all_bits) {
        /* Every bit of 0…255: known ones have exactly the documented name and map back;
         * the gaps of §8 (17, 26, 27, 31, …) and everything above 60 have none. */
        for (unsigned bit = 0; bit < 256; bit++) {
                const char *want = expected_name(bit), *got = ttlock_feature_name(bit);

                if (!want) {
                        ck_assert_msg(got == NULL, "bit %u should have no name, got %s", bit, got);
                        continue;
                }
                ck_assert_msg(got && strcmp(got, want) == 0, "bit %u: got %s, want %s", bit, got, want);
                ck_assert_int_eq(ttlock_feature_from_name(want), (int) bit);
        }
        ck_assert_ptr_null(ttlock_feature_name(100000));
        ck_assert_int_eq(ELEMENTSOF(expected_names), 52);
}
END_TEST

START_TEST(test_names_header_constants) {
        /* The enum and the names agree for the bits the daemon looks at. */
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK), "remote-unlock");
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_GATEWAY_UNLOCK), "gateway-unlock");
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_GET_ADMIN_CODE), "admin-passcode");
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_DOOR_SENSOR), "door-sensor");
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_DEAD_LOCK), "dead-lock");
        ck_assert_str_eq(ttlock_feature_name(TTLOCK_FEATURE_INCOMPLETE_PASSCODE), "incomplete-passcode");
}
END_TEST

START_TEST(test_from_name_unknown) {
        ck_assert_int_eq(ttlock_feature_from_name("teleport"), -EINVAL);
        ck_assert_int_eq(ttlock_feature_from_name(""), -EINVAL);
        ck_assert_int_eq(ttlock_feature_from_name("Passcode"), -EINVAL); /* case matters */
        ck_assert_int_eq(ttlock_feature_from_name("PASSCODE"), -EINVAL);
        ck_assert_int_eq(ttlock_feature_from_name(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decode_v7_group) {
        /* §10.3 V7: group 0 = 200451e1 ⇒ bits {0,5,6,7,8,12,14,18,29} and nothing else. */
        static const unsigned want[] = { 0, 5, 6, 7, 8, 12, 14, 18, 29 };
        uint8_t buf[4];
        size_t n = tt_unhex("200451e1", buf, sizeof(buf));
        TTFeatures f;
        TTError e = {};

        ck_assert_int_eq(ttlock_features_decode(buf, n, &f, &e), 0);
        ck_assert_uint_eq(f.n_groups, 1);
        ck_assert_uint_eq(f.groups[0], 0x200451e1);
        for (unsigned bit = 0; bit < 256; bit++) {
                bool in = false;
                for (size_t i = 0; i < ELEMENTSOF(want); i++)
                        in = in || want[i] == bit;
                ck_assert_msg(ttlock_features_has(&f, bit) == in, "bit %u", bit);
        }
}
END_TEST

START_TEST(test_decode_four_groups) {
        /* kind3r/hass-addons#41: 16 feature bytes. Bits 32 (dead-lock) and 43 (sound-volume). */
        uint8_t buf[16], out[32];
        size_t n = tt_unhex("00000001 00000801 00000000 80000000", buf, sizeof(buf)), len;
        TTWriter w = TT_WRITER(out, sizeof(out));
        TTFeatures f;

        ck_assert_int_eq(ttlock_features_decode(buf, n, &f, NULL), 0);
        ck_assert_uint_eq(f.n_groups, 4);
        ck_assert(ttlock_features_has(&f, 0));
        ck_assert(ttlock_features_has(&f, 32));
        ck_assert(ttlock_features_has(&f, 43));
        ck_assert(ttlock_features_has(&f, 127));
        ck_assert(!ttlock_features_has(&f, 33));
        ck_assert(!ttlock_features_has(&f, 42));
        ck_assert(!ttlock_features_has(&f, 128)); /* beyond the groups sent */

        ttlock_features_encode(&w, &f);
        ck_assert_int_eq(tt_writer_finish(&w, &len, NULL), 0);
        tt_assert_hex_eq(out, len, "00000001 00000801 00000000 80000000");
}
END_TEST

START_TEST(test_decode_partial_and_excess_groups) {
        uint8_t buf[64];
        size_t n;
        TTFeatures f;

        /* §4.3: a trailing partial group is ignored. */
        n = tt_unhex("00000010 0008", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_features_decode(buf, n, &f, NULL), 0);
        ck_assert_uint_eq(f.n_groups, 1);
        ck_assert(ttlock_features_has(&f, 4));
        ck_assert(!ttlock_features_has(&f, 35));

        /* Nothing at all: no groups, no bits. */
        ck_assert_int_eq(ttlock_features_decode(buf, 0, &f, NULL), 0);
        ck_assert_uint_eq(f.n_groups, 0);
        ck_assert(!ttlock_features_has(&f, 0));

        /* Ten groups: the first eight are kept, the rest ignored. */
        memset(buf, 0, sizeof(buf));
        for (size_t g = 0; g < 10; g++)
                buf[4 * g + 3] = (uint8_t) (g + 1);
        ck_assert_int_eq(ttlock_features_decode(buf, 40, &f, NULL), 0);
        ck_assert_uint_eq(f.n_groups, TTLOCK_FEATURE_GROUPS_MAX);
        ck_assert_uint_eq(f.groups[7], 8);
}
END_TEST

START_TEST(test_set_and_has) {
        TTFeatures f;
        uint8_t out[16];
        size_t len;
        TTWriter w = TT_WRITER(out, sizeof(out));

        /* Garbage in the struct must not leak into groups that set() creates. */
        memset(&f, 0xAB, sizeof(f));
        f.n_groups = 0;
        ttlock_features_set(&f, 43);
        ck_assert_uint_eq(f.n_groups, 2);
        ck_assert_uint_eq(f.groups[0], 0);
        ck_assert_uint_eq(f.groups[1], 1u << 11);
        ttlock_features_set(&f, 0);
        ttlock_features_set(&f, 31);
        ck_assert(ttlock_features_has(&f, 0));
        ck_assert(ttlock_features_has(&f, 31));
        ck_assert(ttlock_features_has(&f, 43));
        ck_assert(!ttlock_features_has(&f, 44));
        ck_assert(!ttlock_features_has(&f, 255));
        ck_assert(!ttlock_features_has(&f, 256));

        /* Bits ≥ 256 are ignored, never written past the array. */
        ttlock_features_set(&f, 256);
        ttlock_features_set(&f, 100000);
        ck_assert_uint_eq(f.n_groups, 2);
        ttlock_features_set(&f, 255);
        ck_assert_uint_eq(f.n_groups, TTLOCK_FEATURE_GROUPS_MAX);
        ck_assert(ttlock_features_has(&f, 255));

        f = (TTFeatures) {};
        ttlock_features_set(&f, 32);
        ttlock_features_encode(&w, &f);
        ck_assert_int_eq(tt_writer_finish(&w, &len, NULL), 0);
        tt_assert_hex_eq(out, len, "00000000 00000001");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("feature-bits");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_names_all_bits);
        tcase_add_test(tc, test_names_header_constants);
        tcase_add_test(tc, test_from_name_unknown);
        tcase_add_test(tc, test_decode_v7_group);
        tcase_add_test(tc, test_decode_four_groups);
        tcase_add_test(tc, test_decode_partial_and_excess_groups);
        tcase_add_test(tc, test_set_and_has);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
