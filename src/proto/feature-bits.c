/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "feature-bits.h"

/* D-Bus names of the bits of doc/protocol.md §8 (Lock1.Features, dbus/org.ttlock.Lock1.xml). Indexed by
 * bit; gaps (17, 26, 27, 31, 33, 35, 54, 57, 59) are bits the SDK does not define. Bit 10 is the gateway
 * unlocking the lock; bit 14 is the switch that allows it ("remote unlock", §4.3 0x37). */
static const char *const feature_names[] = {
        [TTLOCK_FEATURE_PASSCODE] = "passcode",
        [TTLOCK_FEATURE_IC] = "ic-card",
        [TTLOCK_FEATURE_FINGER_PRINT] = "fingerprint",
        [TTLOCK_FEATURE_WRIST_BAND] = "wristband",
        [TTLOCK_FEATURE_AUTO_LOCK] = "auto-lock",
        [TTLOCK_FEATURE_PASSCODE_WITH_DELETE] = "passcode-with-delete",
        [TTLOCK_FEATURE_FIRMWARE_SETTING] = "firmware-setting",
        [TTLOCK_FEATURE_MODIFY_PASSCODE] = "modify-passcode",
        [TTLOCK_FEATURE_MANUAL_LOCK] = "manual-lock",
        [TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE] = "passcode-display",
        [TTLOCK_FEATURE_GATEWAY_UNLOCK] = "gateway-unlock",
        [TTLOCK_FEATURE_FREEZE_LOCK] = "freeze",
        [TTLOCK_FEATURE_CYCLIC_PASSWORD] = "cyclic-passcode",
        [TTLOCK_FEATURE_MAGNETOMETER] = "magnetometer",
        [TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK] = "remote-unlock",
        [TTLOCK_FEATURE_AUDIO_MANAGEMENT] = "audio",
        [TTLOCK_FEATURE_NB_LOCK] = "nb-iot",
        [TTLOCK_FEATURE_GET_ADMIN_CODE] = "admin-passcode",
        [TTLOCK_FEATURE_HOTEL_LOCK] = "hotel",
        [TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP] = "no-clock",
        [TTLOCK_FEATURE_CAN_NOT_CLICK_UNLOCK] = "no-app-unlock",
        [TTLOCK_FEATURE_PASSAGE_MODE] = "passage-mode",
        [TTLOCK_FEATURE_PASSAGE_MODE_AND_AUTO_LOCK_AND_CAN_CLOSE] = "passage-mode-auto-lock",
        [TTLOCK_FEATURE_WIRELESS_KEYBOARD] = "wireless-keypad",
        [TTLOCK_FEATURE_LAMP] = "lamp",
        [TTLOCK_FEATURE_TAMPER_ALERT] = "tamper-alert",
        [TTLOCK_FEATURE_RESET_BUTTON] = "reset-button",
        [TTLOCK_FEATURE_PRIVACY_LOCK] = "privacy-lock",
        [TTLOCK_FEATURE_DEAD_LOCK] = "dead-lock",
        [TTLOCK_FEATURE_CYCLIC_IC_OR_FINGER_PRINT] = "cyclic-card-fingerprint",
        [TTLOCK_FEATURE_UNLOCK_DIRECTION] = "unlock-direction",
        [TTLOCK_FEATURE_FINGER_VEIN] = "finger-vein",
        [TTLOCK_FEATURE_TELINK_CHIP] = "telink",
        [TTLOCK_FEATURE_NB_ACTIVITE_CONFIGURATION] = "nb-activation",
        [TTLOCK_FEATURE_CYCLIC_PASSCODE_CAN_RECOVERY] = "cyclic-passcode-recovery",
        [TTLOCK_FEATURE_WIRELESS_KEY_FOB] = "wireless-key-fob",
        [TTLOCK_FEATURE_ACCESSORY_BATTERY] = "accessory-battery",
        [TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING] = "sound-volume",
        [TTLOCK_FEATURE_QR_CODE] = "qr-code",
        [TTLOCK_FEATURE_DOOR_SENSOR] = "door-sensor",
        [TTLOCK_FEATURE_PASSAGE_MODE_AUTO_UNLOCK_SETTING] = "passage-mode-auto-unlock",
        [TTLOCK_FEATURE_FINGERPRINT_DISTRIBUTION] = "fingerprint-distribution",
        [TTLOCK_FEATURE_ZHONG_ZHENG] = "zhong-zheng",
        [TTLOCK_FEATURE_SYNO] = "syno",
        [TTLOCK_FEATURE_WIRELESS_DOOR_SENSOR] = "wireless-door-sensor",
        [TTLOCK_FEATURE_DOOR_OPEN_ALARM] = "door-open-alarm",
        [TTLOCK_FEATURE_SENSITIVITY] = "sensitivity",
        [TTLOCK_FEATURE_FACE_3D] = "face-3d",
        [TTLOCK_FEATURE_CPU_CARD] = "cpu-card",
        [TTLOCK_FEATURE_WIFI_LOCK] = "wifi",
        [TTLOCK_FEATURE_WIFI_LOCK_SUPPORT_STATIC_IP] = "wifi-static-ip",
        [TTLOCK_FEATURE_INCOMPLETE_PASSCODE] = "incomplete-passcode",
};

#define FEATURE_BITS_MAX (TTLOCK_FEATURE_GROUPS_MAX * 32u)

bool ttlock_features_has(const TTFeatures *f, unsigned bit) {
        if (bit >= FEATURE_BITS_MAX || bit / 32 >= f->n_groups)
                return false;
        return f->groups[bit / 32] & (UINT32_C(1) << (bit % 32));
}

void ttlock_features_set(TTFeatures *f, unsigned bit) {
        if (bit >= FEATURE_BITS_MAX)
                return;
        /* Groups between the old end and the new one must read as zero, whatever the struct held. */
        while (f->n_groups <= bit / 32)
                f->groups[f->n_groups++] = 0;
        f->groups[bit / 32] |= UINT32_C(1) << (bit % 32);
}

const char *ttlock_feature_name(unsigned bit) {
        if (bit >= ELEMENTSOF(feature_names))
                return NULL;
        return feature_names[bit];
}

int ttlock_feature_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(feature_names); i++)
                if (feature_names[i] && strcmp(feature_names[i], name) == 0)
                        return (int) i;
        return -EINVAL;
}

int ttlock_features_decode(const uint8_t *data, size_t len, TTFeatures *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTFeatures f = {};
        int r;

        /* §4.3: 4-byte BE groups, group k = bits 32k…32k+31; a trailing partial group is
         * ignored, as the official DigitUtil.convertToFeatureValue does. Groups beyond what we
         * can hold are skipped rather than refused: a future lock with more bits still works. */
        while (tt_reader_left(&rd) >= 4) {
                uint32_t g;

                r = tt_get_u32be(&rd, "feature group", &g);
                if (r < 0)
                        return r;
                if (f.n_groups < TTLOCK_FEATURE_GROUPS_MAX)
                        f.groups[f.n_groups++] = g;
        }

        *ret = f;
        return 0;
}

void ttlock_features_encode(TTWriter *w, const TTFeatures *f) {
        for (size_t i = 0; i < f->n_groups && i < TTLOCK_FEATURE_GROUPS_MAX; i++)
                tt_put_u32be(w, f->groups[i]);
}
