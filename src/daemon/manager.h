/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Manager1 at /org/ttlock/Manager and the ObjectManager at /org/ttlock (dbus-api.md).
 * The manager owns the BlueZ client, the key store, the polkit bouncer and the lock objects: the
 * paired ones from the store at start-up, and pairable ones seen while discovering. It routes what
 * BlueZ reports to the lock of that address, keeps the LE monitor scan on while any lock is paired
 * (events depend on every advert, protocol.md §7.4), and runs discovery on request (sd_bus_track of
 * the caller, 60 s auto-stop). */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "authz.h"
#include "bluez.h"
#include "link.h"
#include "store.h"

#define MANAGER_PATH "/org/ttlock/Manager"
#define MANAGER_OBJECT_MANAGER_PATH "/org/ttlock"
#define MANAGER_INTERFACE "org.ttlock.Manager1"
#define MANAGER_BUS_NAME "org.ttlock.Manager"
#define MANAGER_DISCOVERY_USEC (60U * 1000000U)
#define MANAGER_LOCKS_MAX 256U /* a bound on the objects strangers' adverts can make us create */

typedef struct LockObject LockObject;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        Bluez *bluez;
        Store *store;
        Authz *authz;
        LinkConfig link_config;
        uint64_t access_deadline_usec;  /* Lock/Unlock/Refresh answer Timeout after this */

        LockObject *locks;
        size_t n_locks;
        LockObject *graveyard;          /* removed objects, freed from a defer source */
        sd_event_source *reaper;

        bool discovering;
        sd_bus_track *discovery_track;
        sd_event_source *discovery_timer;
} Manager;

/* state_dir NULL = $STATE_DIRECTORY / /var/lib/ttlockd (store.h). */
int manager_new(sd_event *event, sd_bus *bus, const char *state_dir, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Register the D-Bus objects, load the stored locks and start following BlueZ. Call before
 * requesting the bus name, so that no call can arrive at an object that does not exist yet. */
int manager_start(Manager *m);

LockObject *manager_find_lock(Manager *m, const char *address);

/* Paired-lock count changed (pair, forget): the monitor scan follows it. */
void manager_update_monitor(Manager *m);

/* An unpaired lock object that is no longer pairable (and idle) goes away; called by the lock. */
void manager_check_lock(Manager *m, LockObject *l);
