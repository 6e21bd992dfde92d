/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's error codes (doc/protocol.md §4.4), with the SDK's names, which are what a user can
 * search for ("LOCK_PASSWORD_EXIST"). */

#include <stdint.h>

typedef enum TTLockError {
        TTLOCK_ERR_CRC_CHECK_ERROR = 0x01,
        TTLOCK_ERR_NO_PERMISSION = 0x02,
        TTLOCK_ERR_ADMIN_CHECK_ERROR = 0x03,
        TTLOCK_ERR_IS_IN_SETTING_MODE = 0x05,
        TTLOCK_ERR_NOT_EXIST_ADMIN = 0x06,
        TTLOCK_ERR_IS_IN_NO_SETTING_MODE = 0x07,
        TTLOCK_ERR_DYNAMIC_PWD_ERROR = 0x08,
        TTLOCK_ERR_NO_POWER = 0x0A,
        TTLOCK_ERR_INIT_KEYBOARD_FAILED = 0x0B,
        TTLOCK_ERR_KEY_FLAG_INVALID = 0x0D,
        TTLOCK_ERR_USER_TIME_EXPIRED = 0x0E,
        TTLOCK_ERR_PASSWORD_LENGTH_INVALID = 0x0F,
        TTLOCK_ERR_SUPER_PASSWORD_IS_SAME_WITH_DELETE_PASSWORD = 0x10,
        TTLOCK_ERR_USER_TIME_INEFFECTIVE = 0x11,
        TTLOCK_ERR_USER_NOT_LOGIN = 0x12,
        TTLOCK_ERR_OPERATE_FAILED = 0x13,
        TTLOCK_ERR_PASSWORD_EXIST = 0x14,
        TTLOCK_ERR_PASSWORD_NOT_EXIST = 0x15,
        TTLOCK_ERR_NO_FREE_MEMORY = 0x16,
        TTLOCK_ERR_NO_DEFINED_ERROR = 0x17,
        TTLOCK_ERR_IC_CARD_NOT_EXIST = 0x18,
        TTLOCK_ERR_FINGER_PRINT_NOT_EXIST = 0x1A,
        TTLOCK_ERR_INVALID_COMMAND = 0x1B,
        TTLOCK_ERR_LOCK_FROZEN = 0x1C,
        TTLOCK_ERR_INVALID_VENDOR = 0x1D,
        TTLOCK_ERR_LOCK_REVERSE = 0x1E,
        TTLOCK_ERR_RECORD_NOT_EXIST = 0x1F,
        TTLOCK_ERR_INVALID_PARAM = 0x20,
        TTLOCK_ERR_PARKING_LOCK_LOCKED_FAILED = 0x21,
        TTLOCK_ERR_COMMAND_RECEIVED = 0x24,
        TTLOCK_ERR_BAD_WIFI_NAME = 0x25,
        TTLOCK_ERR_BAD_WIFI_PASSWORD = 0x26,
} TTLockError;

/* "LOCK_PASSWORD_EXIST"; NULL for codes not in §4.4. */
const char *ttlock_error_name(uint8_t code);
/* "passcode already exists"; NULL for unknown codes. */
const char *ttlock_error_description(uint8_t code);
