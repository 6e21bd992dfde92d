/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The registry of locks (doc/architecture.md "the lock model"): the paired ones from the key store at
 * start-up, and pairable ones seen while discovering. It owns the radios (radio.h, with the BlueZ
 * backend), the key store and every Lock; it routes what the radios hear to the lock of that address
 * (a hash table: O(1) with thousands of doors), keeps the monitor scan on while any lock is paired
 * (events depend on every advert, doc/protocol.md §7.4), and runs discovery on request with a 60 s
 * limit.
 *
 * Like the locks, it knows nothing of D-Bus: the bus face (bus/bus-manager.c) observes it through
 * ManagerObserver. */

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bluez.h"
#include "hashmap.h"
#include "lock.h"
#include "radio.h"
#include "store.h"
#include "time-util.h"

#define MANAGER_DISCOVERY_USEC (60 * USEC_PER_SEC)
/* A bound on the objects strangers' adverts can make us create while discovering; paired locks are not
 * counted (an office or a hotel may have a thousand doors). */
#define MANAGER_UNPAIRED_MAX 256U
#define MANAGER_METHOD_DEADLINE_USEC (19 * USEC_PER_SEC)
#define MANAGER_ENROLLMENT_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct Manager Manager;

typedef enum ManagerProperty {
        MANAGER_PROPERTY_DISCOVERING,
        MANAGER_PROPERTY_ADAPTERS,
        _MANAGER_PROPERTY_MAX,
} ManagerProperty;

#define MANAGER_PROPERTY_BIT(p) (UINT64_C(1) << (p))

typedef struct ManagerObserver {
        /* A lock object exists now (at start-up for the stored ones, or seen pairable). */
        void (*lock_added)(Manager *m, Lock *l, void *userdata);
        /* It is going away: every call on it has been answered; it is freed later. */
        void (*lock_removed)(Manager *m, Lock *l, void *userdata);
        void (*changed)(Manager *m, uint64_t properties, void *userdata);
} ManagerObserver;

struct Manager {
        sd_event *event;
        Store *store;
        RadioSet *radios;
        Bluez *bluez;
        LockContext lock_context;
        /* Lock/Unlock/Refresh and every other method that waits for the lock answer by then (no
         * caller may wait past ~20 s, HACKING.md); TTLOCKD_METHOD_TIMEOUT_SEC shortens it for tests. */
        uint64_t method_deadline_usec;

        Hashmap *locks_by_address;
        Lock *locks; /* the same locks, in the order they came */
        size_t n_locks;
        size_t n_unpaired;
        Lock *graveyard; /* removed, freed from a defer source */
        sd_event_source *reaper;

        bool discovering;
        sd_event_source *discovery_timer;

        const ManagerObserver *observer;
        void *observer_data;
};

/* state_dir NULL = $STATE_DIRECTORY / /var/lib/ttlockd (store.h). */
int manager_new(sd_event *event, const char *state_dir, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

void manager_set_observer(Manager *m, const ManagerObserver *observer, void *userdata);

/* Load the stored locks (observer: lock_added for each) and start following BlueZ on bus. */
int manager_start(Manager *m, sd_bus *bus);

Lock *manager_find_lock(Manager *m, const char *address);

/* Keys from elsewhere (Manager1.ImportLocks, doc/lockdata.md), for the lock of record's address, which
 * becomes an object if it is not one yet. verify: proven with one login within deadline_usec
 * (LOCK_REQUEST_IMPORT), done called with the outcome, and 0 returned; the lock must be in reach. Else
 * kept as provisional keys, checked at the next contact (lock_set_provisional()), and 1 returned at once.
 * < 0 with *ret_status when refused now. Takes record over in every case. *ret_lock: the lock. */
int manager_import(
        Manager *m,
        LockRecord *record,
        bool verify,
        uint64_t deadline_usec,
        LockCallDone done,
        void *userdata,
        Lock **ret_lock,
        OpStatus *ret_status);

/* Discovery (the user looking for new locks): -EBUSY running already, -ENETDOWN no radio to look with. */
int manager_start_discovery(Manager *m);
void manager_stop_discovery(Manager *m, const char *why);

/* Object paths of the BlueZ adapters in use (powered), NULL-terminated; free the array, not the strings. */
int manager_adapters(Manager *m, const char ***ret);
