/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mqtt-lock.h"
#include "string-util.h"

/* Feature names as Lock1.Features spells them (ttlockd's feature table); the methods are those of
 * dbus/org.ttlock.Settings1.xml. */
const LockSwitchInfo lock_switches[_LOCK_SWITCH_MAX] = {
        [LOCK_SWITCH_SOUND] = { "sound", "Sound", "audio", "SoundEnabled", "SetSound", "mdi:volume-high" },
        [LOCK_SWITCH_REMOTE_UNLOCK] = { "remote-unlock",
                                        "Remote unlock",
                                        "remote-unlock",
                                        "RemoteUnlock",
                                        "SetRemoteUnlock",
                                        "mdi:remote" },
        [LOCK_SWITCH_TAMPER_ALERT] = { "tamper-alert",
                                       "Tamper alert",
                                       "tamper-alert",
                                       "TamperAlert",
                                       "SetTamperAlert",
                                       "mdi:alarm-light" },
        [LOCK_SWITCH_PRIVACY_LOCK] = { "privacy-lock",
                                       "Privacy lock",
                                       "privacy-lock",
                                       "PrivacyLock",
                                       "SetPrivacyLock",
                                       "mdi:account-lock" },
        [LOCK_SWITCH_RESET_BUTTON] = { "reset-button",
                                       "Reset button",
                                       "reset-button",
                                       "ResetButton",
                                       "SetResetButton",
                                       "mdi:restore" },
};

int lock_new(const char *path, Lock **ret) {
        _cleanup_free_ Lock *l = NULL;
        char address[BT_ADDRESS_SIZE];
        int r;

        r = lock_path_to_address(path, address);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(Lock));
        if (!l)
                return -ENOMEM;
        l->path = strdup(path);
        if (!l->path)
                return -ENOMEM;
        memcpy(l->address, address, sizeof(address));
        mqtt_lock_id(address, l->id);
        *ret = TAKE_PTR(l);
        return 0;
}

Lock *lock_free(Lock *l) {
        if (!l)
                return NULL;
        free(l->path);
        free(l->name);
        free(l->alias);
        free(l->model);
        free(l->hardware);
        free(l->firmware);
        free(l->state);
        for (size_t i = 0; i < l->n_features; i++)
                free(l->features[i]);
        free(l->features);
        free(l);
        return NULL;
}

bool lock_has_feature(const Lock *l, const char *feature) {
        for (size_t i = 0; i < l->n_features; i++)
                if (streq(l->features[i], feature))
                        return true;
        return false;
}

const char *lock_display_name(const Lock *l) {
        if (!isempty(l->alias))
                return l->alias;
        if (!isempty(l->name))
                return l->name;
        return l->address;
}

LockPresence lock_presence(const Lock *l) {
        if (!l->has_lock1)
                return LOCK_PRESENCE_NONE;
        if (l->paired)
                return LOCK_PRESENCE_PAIRED;
        if (l->pairable && l->seen_in_our_discovery)
                return LOCK_PRESENCE_PAIRABLE;
        return LOCK_PRESENCE_NONE;
}

bool lock_switch_available(const Lock *l, LockSwitch s) {
        return l->has_settings && lock_has_feature(l, lock_switches[s].feature);
}
