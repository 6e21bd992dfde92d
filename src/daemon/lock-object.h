/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One lock on the bus: org.ttlock.Lock1 at /org/ttlock/Lock/AA_BB_CC_DD_EE_FF (dbus-api.md),
 * served through a fallback vtable with a node enumerator (logind's sessions). It keeps the
 * properties current from adverts, pushes and replies (protocol.md §6, §7), runs the operations
 * (ops-*.h) behind polkit (authz.h), writes audit records (audit.h), and turns operation-log
 * records into Event signals and history (history.h), each record once. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "access.h"
#include "bluez.h"
#include "history.h"
#include "link.h"
#include "lock-path.h"
#include "manager.h"
#include "ops-access.h"
#include "ops-log.h"
#include "ops-pair.h"
#include "ops-reset.h"
#include "store.h"

#define LOCK_INTERFACE "org.ttlock.Lock1"
#define LOCK_ALIAS_MAX 256U

typedef struct AccessCall AccessCall;
typedef struct CredentialsState CredentialsState; /* credentials-object.h */
typedef struct SettingsState SettingsState;       /* settings-object.h */

struct LockObject {
        Manager *manager;
        char address[LOCK_ADDRESS_SIZE];
        char path[LOCK_PATH_SIZE];
        bool exported; /* InterfacesAdded sent */

        LockRecord *record; /* NULL = not paired */
        History *history;
        Link *link;

        /* From BlueZ and the adverts (§6). */
        char *device_path;
        char *name;
        int16_t rssi;
        uint64_t last_seen_usec;
        uint64_t last_seen_signalled_usec; /* the LastSeenUSec value last sent in PropertiesChanged */
        bool have_advert;
        bool advert_unlocked; /* last bolt bit seen while not dormant */
        bool advert_new_events;
        bool pairable;
        bool connected;
        uint64_t disconnected_usec;

        /* What the lock said last. */
        int battery; /* < 0 unknown */
        const char *state;
        uint64_t state_updated_usec;
        const char *state_before_actuation; /* restored when an actuation fails */

        /* Work in flight. */
        AccessCall *access_calls;
        PairOp *pair_op;
        sd_bus_message *pair_call;
        ResetOp *reset_op;
        sd_bus_message *reset_call;
        LogReadOp *log_op;
        bool log_again;

        /* Credentials1 and Settings1 work in flight (admin; NULL when none). */
        CredentialsState *credentials;
        SettingsState *settings;
        uint64_t log_read_done_usec; /* CLOCK_REALTIME µs when the last read ended */

        LockObject *next;
};

extern const sd_bus_vtable lock_vtable[];

/* record: adopted (paired lock from the store), or NULL (a pairable lock seen while discovering). */
int lock_object_new(Manager *m, const char *address, LockRecord *record, LockObject **ret);
/* Fails every call in flight and cancels the operations; frees. */
LockObject *lock_object_free(LockObject *l);
/* Cancel operations and fail their callers (with the given reason) but keep the object. */
void lock_object_abort(LockObject *l, const char *why);

bool lock_object_busy(LockObject *l);

/* An operation's outcome as the D-Bus error Lock1 uses for it (design note mapping), for the
 * Credentials1/Settings1 objects. */
int lock_object_status_to_error(const OpStatus *st, sd_bus_error *error);

/* From the BlueZ client (manager routes by address). */
void lock_object_device_changed(LockObject *l, const BluezDeviceInfo *info, bool mfr_changed);
void lock_object_device_removed(LockObject *l);
void lock_object_notification(LockObject *l, const uint8_t *data, size_t len);

/* sd-bus fallback plumbing. */
int lock_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error);
int lock_object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                          sd_bus_error *error);
