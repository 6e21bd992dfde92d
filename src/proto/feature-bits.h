/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Feature bits from SEARCH_DEVICE_FEATURE (doc/protocol.md §4.3, §8): 4-byte big-endian groups, group k
 * holding bits 32k…32k+31. Newer locks send four groups; bits above 31 matter (DEAD_LOCK = 32,
 * SOUND_VOLUME = 43), so no caller may truncate to one uint32. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "tt-error.h"

#define TTLOCK_FEATURE_GROUPS_MAX 8 /* 256 bits; more groups than that are ignored */

typedef enum TTLockFeature {
        TTLOCK_FEATURE_PASSCODE = 0,
        TTLOCK_FEATURE_IC = 1,
        TTLOCK_FEATURE_FINGER_PRINT = 2,
        TTLOCK_FEATURE_WRIST_BAND = 3,
        TTLOCK_FEATURE_AUTO_LOCK = 4,
        TTLOCK_FEATURE_PASSCODE_WITH_DELETE = 5,
        TTLOCK_FEATURE_FIRMWARE_SETTING = 6,
        TTLOCK_FEATURE_MODIFY_PASSCODE = 7,
        TTLOCK_FEATURE_MANUAL_LOCK = 8,
        TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE = 9,
        TTLOCK_FEATURE_GATEWAY_UNLOCK = 10,
        TTLOCK_FEATURE_FREEZE_LOCK = 11,
        TTLOCK_FEATURE_CYCLIC_PASSWORD = 12,
        TTLOCK_FEATURE_MAGNETOMETER = 13,
        TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK = 14,
        TTLOCK_FEATURE_AUDIO_MANAGEMENT = 15,
        TTLOCK_FEATURE_NB_LOCK = 16,
        TTLOCK_FEATURE_GET_ADMIN_CODE = 18,
        TTLOCK_FEATURE_HOTEL_LOCK = 19,
        TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP = 20,
        TTLOCK_FEATURE_CAN_NOT_CLICK_UNLOCK = 21,
        TTLOCK_FEATURE_PASSAGE_MODE = 22,
        TTLOCK_FEATURE_PASSAGE_MODE_AND_AUTO_LOCK_AND_CAN_CLOSE = 23,
        TTLOCK_FEATURE_WIRELESS_KEYBOARD = 24,
        TTLOCK_FEATURE_LAMP = 25,
        TTLOCK_FEATURE_TAMPER_ALERT = 28,
        TTLOCK_FEATURE_RESET_BUTTON = 29,
        TTLOCK_FEATURE_PRIVACY_LOCK = 30,
        TTLOCK_FEATURE_DEAD_LOCK = 32,
        TTLOCK_FEATURE_CYCLIC_IC_OR_FINGER_PRINT = 34,
        TTLOCK_FEATURE_UNLOCK_DIRECTION = 36,
        TTLOCK_FEATURE_FINGER_VEIN = 37,
        TTLOCK_FEATURE_TELINK_CHIP = 38,
        TTLOCK_FEATURE_NB_ACTIVITE_CONFIGURATION = 39,
        TTLOCK_FEATURE_CYCLIC_PASSCODE_CAN_RECOVERY = 40,
        TTLOCK_FEATURE_WIRELESS_KEY_FOB = 41,
        TTLOCK_FEATURE_ACCESSORY_BATTERY = 42,
        TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING = 43,
        TTLOCK_FEATURE_QR_CODE = 44,
        TTLOCK_FEATURE_DOOR_SENSOR = 45,
        TTLOCK_FEATURE_PASSAGE_MODE_AUTO_UNLOCK_SETTING = 46,
        TTLOCK_FEATURE_FINGERPRINT_DISTRIBUTION = 47,
        TTLOCK_FEATURE_ZHONG_ZHENG = 48,
        TTLOCK_FEATURE_SYNO = 49,
        TTLOCK_FEATURE_WIRELESS_DOOR_SENSOR = 50,
        TTLOCK_FEATURE_DOOR_OPEN_ALARM = 51,
        TTLOCK_FEATURE_SENSITIVITY = 52,
        TTLOCK_FEATURE_FACE_3D = 53,
        TTLOCK_FEATURE_CPU_CARD = 55,
        TTLOCK_FEATURE_WIFI_LOCK = 56,
        TTLOCK_FEATURE_WIFI_LOCK_SUPPORT_STATIC_IP = 58,
        TTLOCK_FEATURE_INCOMPLETE_PASSCODE = 60,
} TTLockFeature;

typedef struct TTFeatures {
        uint32_t groups[TTLOCK_FEATURE_GROUPS_MAX];
        size_t n_groups;
} TTFeatures;

bool ttlock_features_has(const TTFeatures *f, unsigned bit);
void ttlock_features_set(TTFeatures *f, unsigned bit); /* grows n_groups as needed; ignores bits ≥ 256 */

/* Kebab-case name of a known bit ("passcode", "ic-card", "fingerprint", "auto-lock", "manual-lock",
 * "audio", "passage-mode", "remote-unlock", "door-sensor", …), NULL for unknown bits. These are the
 * strings of Lock1.Features on D-Bus. */
const char *ttlock_feature_name(unsigned bit);
/* Inverse, -EINVAL for an unknown name (the simulator's --lock features= option takes these). */
int ttlock_feature_from_name(const char *name);

/* Groups from raw bytes (a trailing partial group is ignored). */
int ttlock_features_decode(const uint8_t *data, size_t len, TTFeatures *ret, TTError *e);
void ttlock_features_encode(TTWriter *w, const TTFeatures *f);
