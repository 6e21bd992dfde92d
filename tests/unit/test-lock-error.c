/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "lock-error.h"
#include "macro.h"
#include "tt-test.h"

/* doc/protocol.md §4.4, copied from the table by hand. */
static const struct {
        uint8_t code;
        const char *name;
} spec[] = {
        { 0x01, "LOCK_CRC_CHECK_ERROR" },
        { 0x02, "LOCK_NO_PERMISSION" },
        { 0x03, "LOCK_ADMIN_CHECK_ERROR" },
        { 0x05, "LOCK_IS_IN_SETTING_MODE" },
        { 0x06, "LOCK_NOT_EXIST_ADMIN" },
        { 0x07, "LOCK_IS_IN_NO_SETTING_MODE" },
        { 0x08, "LOCK_DYNAMIC_PWD_ERROR" },
        { 0x0A, "LOCK_NO_POWER" },
        { 0x0B, "LOCK_INIT_KEYBOARD_FAILED" },
        { 0x0D, "LOCK_KEY_FLAG_INVALID" },
        { 0x0E, "LOCK_USER_TIME_EXPIRED" },
        { 0x0F, "LOCK_PASSWORD_LENGTH_INVALID" },
        { 0x10, "LOCK_SUPER_PASSWORD_IS_SAME_WITH_DELETE_PASSWORD" },
        { 0x11, "LOCK_USER_TIME_INEFFECTIVE" },
        { 0x12, "LOCK_USER_NOT_LOGIN" },
        { 0x13, "LOCK_OPERATE_FAILED" },
        { 0x14, "LOCK_PASSWORD_EXIST" },
        { 0x15, "LOCK_PASSWORD_NOT_EXIST" },
        { 0x16, "LOCK_NO_FREE_MEMORY" },
        { 0x17, "NO_DEFINED_ERROR" },
        { 0x18, "IC_CARD_NOT_EXIST" },
        { 0x1A, "FINGER_PRINT_NOT_EXIST" },
        { 0x1B, "INVALID_COMMAND" },
        { 0x1C, "LOCK_FROZEN" },
        { 0x1D, "INVALID_VENDOR" },
        { 0x1E, "LOCK_REVERSE" },
        { 0x1F, "RECORD_NOT_EXIST" },
        { 0x20, "INVALID_PARAM" },
        { 0x21, "PARKING_LOCK_LOCKED_FAILED" },
        { 0x24, "COMMAND_RECEIVED" },
        { 0x25, "BAD_WIFI_NAME" },
        { 0x26, "BAD_WIFI_PASSWORD" },
};

START_TEST(test_every_code) {
        for (size_t i = 0; i < ELEMENTSOF(spec); i++) {
                const char *name = ttlock_error_name(spec[i].code);
                const char *desc = ttlock_error_description(spec[i].code);

                ck_assert_msg(name && strcmp(name, spec[i].name) == 0, "code 0x%02x: name %s, expected %s",
                              spec[i].code, name ? name : "(null)", spec[i].name);
                ck_assert_msg(desc && strlen(desc) > 5, "code 0x%02x has no description", spec[i].code);
        }
}
END_TEST

START_TEST(test_only_spec_codes) {
        size_t known = 0;

        for (unsigned c = 0; c < 256; c++) {
                bool in_spec = false;

                for (size_t i = 0; i < ELEMENTSOF(spec); i++)
                        in_spec = in_spec || spec[i].code == c;
                ck_assert_msg((ttlock_error_name((uint8_t) c) != NULL) == in_spec, "code 0x%02x", c);
                ck_assert_msg((ttlock_error_description((uint8_t) c) != NULL) == in_spec, "code 0x%02x", c);
                known += in_spec;
        }
        ck_assert_uint_eq(known, ELEMENTSOF(spec));
}
END_TEST

START_TEST(test_descriptions) {
        ck_assert_str_eq(ttlock_error_description(TTLOCK_ERR_PASSWORD_EXIST), "passcode already exists");
        ck_assert_str_eq(ttlock_error_description(TTLOCK_ERR_USER_TIME_EXPIRED), "key expired");
        ck_assert_str_eq(ttlock_error_name(TTLOCK_ERR_INVALID_VENDOR), "INVALID_VENDOR");
        ck_assert_ptr_null(ttlock_error_name(0x00));
        ck_assert_ptr_null(ttlock_error_name(0x30)); /* AES_PARSE_ERROR is SDK-side, never on the wire */
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("lock-error");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_every_code);
        tcase_add_test(tc, test_only_spec_codes);
        tcase_add_test(tc, test_descriptions);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
