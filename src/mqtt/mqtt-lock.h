/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What ttlock-mqtt knows about one lock: the properties of its object on ttlockd's bus
 * (dbus/org.ttlock.Lock1.xml, org.ttlock.Settings1.xml) as last read or signalled, and what the
 * bridge has published for it. No bus code here: discovery payloads are built from this alone. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt-util.h"

/* The Settings1 switches Home Assistant gets as switch entities, each gated by the lock's feature
 * bit (Lock1.Features names, as ttlockd's Settings1 methods check them). */
typedef enum LockSwitch {
        LOCK_SWITCH_SOUND,
        LOCK_SWITCH_REMOTE_UNLOCK,
        LOCK_SWITCH_TAMPER_ALERT,
        LOCK_SWITCH_PRIVACY_LOCK,
        LOCK_SWITCH_RESET_BUTTON,
        _LOCK_SWITCH_MAX,
} LockSwitch;

typedef struct LockSwitchInfo {
        const char *key;      /* topic leaf, entity key, and "set-<key>" on the manage topic */
        const char *name;     /* entity name */
        const char *feature;  /* Lock1.Features entry the lock must have */
        const char *property; /* org.ttlock.Settings1 property */
        const char *method;   /* org.ttlock.Settings1 setter (SetSound also takes a volume) */
        const char *icon;
} LockSwitchInfo;

extern const LockSwitchInfo lock_switches[_LOCK_SWITCH_MAX];

typedef struct Lock {
        char *path;
        char address[BT_ADDRESS_SIZE];
        char id[MQTT_LOCK_ID_LEN + 1];

        /* org.ttlock.Lock1 */
        char *name;
        char *alias;
        char *model;
        char *hardware;
        char *firmware;
        bool paired;
        bool pairable;
        bool connected;
        int16_t rssi;
        uint64_t last_seen_usec;
        uint8_t battery; /* 0: unknown (dbus/org.ttlock.Lock1.xml) */
        char *state;
        uint64_t state_updated_usec;
        uint32_t auto_lock_seconds;
        char **features;
        size_t n_features;

        /* Which interfaces the object has: Credentials1 and Settings1 only while paired. */
        bool has_lock1;
        bool has_credentials;
        bool has_settings;

        /* org.ttlock.Settings1 */
        bool switches[_LOCK_SWITCH_MAX];
        uint8_t sound_volume;

        /* The bridge's own bookkeeping. */
        struct Enrollment *enrollment; /* started over MQTT; owned by mqtt-manage.c */
        bool published;                /* discovery sent for it in this MQTT session */
        uint64_t generation;           /* the sync of ttlockd's objects that last listed it */
        bool seen_in_our_discovery;    /* pairable while a discovery started over MQTT ran */
        uint64_t rssi_published_usec;
        uint64_t last_seen_published_usec;
} Lock;

/* A lock for path (a lock object path of dbus/org.ttlock.Lock1.xml); -EINVAL for any other path. */
int lock_new(const char *path, Lock **ret);
Lock *lock_free(Lock *l);

bool lock_has_feature(const Lock *l, const char *feature);

/* The name Home Assistant shows: the alias (Alias is Name when none is set), else the address. */
const char *lock_display_name(const Lock *l);

/* Whether the bridge presents this lock as a full device (paired), only as a lock to pair (seen
 * pairable during a discovery started over MQTT), or not at all. */
typedef enum LockPresence {
        LOCK_PRESENCE_NONE,
        LOCK_PRESENCE_PAIRABLE,
        LOCK_PRESENCE_PAIRED,
} LockPresence;

LockPresence lock_presence(const Lock *l);

/* Whether switch s appears for this lock (the lock has Settings1 and the feature). */
bool lock_switch_available(const Lock *l, LockSwitch s);
