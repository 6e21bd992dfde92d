/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "lock-error.h"
#include "macro.h"

/* doc/protocol.md §4.4, names as in the official SDK's LockError so that they can be searched for;
 * descriptions short enough to end up in a D-Bus error message. */
static const struct {
        uint8_t code;
        const char *name;
        const char *description;
} lock_errors[] = {
        { TTLOCK_ERR_CRC_CHECK_ERROR, "LOCK_CRC_CHECK_ERROR", "lock saw a bad CRC" },
        { TTLOCK_ERR_NO_PERMISSION, "LOCK_NO_PERMISSION", "not an administrator" },
        { TTLOCK_ERR_ADMIN_CHECK_ERROR, "LOCK_ADMIN_CHECK_ERROR", "wrong admin password" },
        { TTLOCK_ERR_IS_IN_SETTING_MODE, "LOCK_IS_IN_SETTING_MODE", "lock is in setting (pairing) mode" },
        { TTLOCK_ERR_NOT_EXIST_ADMIN, "LOCK_NOT_EXIST_ADMIN", "lock has no administrator" },
        { TTLOCK_ERR_IS_IN_NO_SETTING_MODE, "LOCK_IS_IN_NO_SETTING_MODE", "lock is not in setting mode" },
        { TTLOCK_ERR_DYNAMIC_PWD_ERROR, "LOCK_DYNAMIC_PWD_ERROR", "invalid dynamic code" },
        { TTLOCK_ERR_NO_POWER, "LOCK_NO_POWER", "battery exhausted" },
        { TTLOCK_ERR_INIT_KEYBOARD_FAILED, "LOCK_INIT_KEYBOARD_FAILED", "passcode initialisation failed" },
        { TTLOCK_ERR_KEY_FLAG_INVALID, "LOCK_KEY_FLAG_INVALID", "key invalid (flag too low: key reset)" },
        { TTLOCK_ERR_USER_TIME_EXPIRED, "LOCK_USER_TIME_EXPIRED", "key expired" },
        { TTLOCK_ERR_PASSWORD_LENGTH_INVALID, "LOCK_PASSWORD_LENGTH_INVALID", "bad passcode length" },
        { TTLOCK_ERR_SUPER_PASSWORD_IS_SAME_WITH_DELETE_PASSWORD,
          "LOCK_SUPER_PASSWORD_IS_SAME_WITH_DELETE_PASSWORD", "admin passcode equals the delete passcode" },
        { TTLOCK_ERR_USER_TIME_INEFFECTIVE, "LOCK_USER_TIME_INEFFECTIVE", "key not yet valid" },
        { TTLOCK_ERR_USER_NOT_LOGIN, "LOCK_USER_NOT_LOGIN", "not logged in on this connection" },
        { TTLOCK_ERR_OPERATE_FAILED, "LOCK_OPERATE_FAILED", "operation failed" },
        { TTLOCK_ERR_PASSWORD_EXIST, "LOCK_PASSWORD_EXIST", "passcode already exists" },
        { TTLOCK_ERR_PASSWORD_NOT_EXIST, "LOCK_PASSWORD_NOT_EXIST", "passcode does not exist" },
        { TTLOCK_ERR_NO_FREE_MEMORY, "LOCK_NO_FREE_MEMORY", "lock storage full" },
        { TTLOCK_ERR_NO_DEFINED_ERROR, "NO_DEFINED_ERROR", "parameter length error" },
        { TTLOCK_ERR_IC_CARD_NOT_EXIST, "IC_CARD_NOT_EXIST", "card does not exist" },
        { TTLOCK_ERR_FINGER_PRINT_NOT_EXIST, "FINGER_PRINT_NOT_EXIST", "fingerprint does not exist" },
        { TTLOCK_ERR_INVALID_COMMAND, "INVALID_COMMAND", "command not supported by the lock" },
        { TTLOCK_ERR_LOCK_FROZEN, "LOCK_FROZEN", "lock is frozen" },
        { TTLOCK_ERR_INVALID_VENDOR, "INVALID_VENDOR", "wrong vendor string" },
        { TTLOCK_ERR_LOCK_REVERSE, "LOCK_REVERSE", "lock is double-locked" },
        { TTLOCK_ERR_RECORD_NOT_EXIST, "RECORD_NOT_EXIST", "record does not exist" },
        { TTLOCK_ERR_INVALID_PARAM, "INVALID_PARAM", "invalid parameter" },
        { TTLOCK_ERR_PARKING_LOCK_LOCKED_FAILED, "PARKING_LOCK_LOCKED_FAILED", "obstacle on parking lock" },
        { TTLOCK_ERR_COMMAND_RECEIVED, "COMMAND_RECEIVED", "command accepted, still processing" },
        { TTLOCK_ERR_BAD_WIFI_NAME, "BAD_WIFI_NAME", "bad Wi-Fi network name" },
        { TTLOCK_ERR_BAD_WIFI_PASSWORD, "BAD_WIFI_PASSWORD", "bad Wi-Fi password" },
};

const char *ttlock_error_name(uint8_t code) {
        for (size_t i = 0; i < ELEMENTSOF(lock_errors); i++)
                if (lock_errors[i].code == code)
                        return lock_errors[i].name;
        return NULL;
}

const char *ttlock_error_description(uint8_t code) {
        for (size_t i = 0; i < ELEMENTSOF(lock_errors); i++)
                if (lock_errors[i].code == code)
                        return lock_errors[i].description;
        return NULL;
}
