/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-credentials.h"
#include "bus-errors.h"
#include "bus-lock.h"
#include "bus-manager.h"
#include "bus-settings.h"
#include "config.h"
#include "log.h"
#include "macro.h"

struct BusManager {
        BusContext context;
        sd_bus_track *discovery_track;
        sd_bus_slot *slots[8];
        size_t n_slots;
};

/* ---- what the locks report --------------------------------------------------------------------- */

static void admin_interfaces(BusLock *b, bool added) {
        int r;

        if (!b->exported || b->admin_exported == added)
                return;
        b->admin_exported = added;
        if (added)
                r = sd_bus_emit_interfaces_added(
                        b->context->bus, b->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        else
                r = sd_bus_emit_interfaces_removed(
                        b->context->bus, b->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        if (r < 0)
                log_debug_errno(r, "%s: cannot announce the admin interfaces: %m", b->lock->address);
}

static void on_lock_changed(Lock *l, uint64_t changed, void *userdata) {
        BusLock *b = userdata;
        bool paired = l->record;

        /* Credentials1 and Settings1 come with the keys and go with them; a client that reads them in
         * response to Paired finds them there, one that follows InterfacesRemoved sees Paired false. */
        if (!paired)
                admin_interfaces(b, false);
        bus_lock_emit_changed(b, changed);
        if (paired) {
                admin_interfaces(b, true);
                bus_settings_emit_changed(b, changed);
        }
}

static void on_lock_event(Lock *l, const HistoryRecord *h, void *userdata) {
        bus_lock_emit_event(userdata, h);
}

static void on_lock_enrollment(Lock *l, const LockEnrollmentStatus *s, void *userdata) {
        bus_credentials_emit_enrollment(userdata, s);
}

static const LockObserver lock_observer = {
        .changed = on_lock_changed,
        .event = on_lock_event,
        .enrollment = on_lock_enrollment,
};

/* ---- what the registry reports ----------------------------------------------------------------- */

static void on_lock_added(Manager *m, Lock *l, void *userdata) {
        BusManager *bm = userdata;
        BusLock *b;
        int r;

        r = bus_lock_new(&bm->context, l, &b);
        if (r < 0) {
                log_error_errno(r, "%s: cannot put the lock on the bus: %m", l->address);
                return;
        }
        lock_set_observer(l, &lock_observer, b);
        b->exported = true;
        b->admin_exported = l->record;
        (void) sd_bus_emit_object_added(bm->context.bus, b->path);
        (void) sd_bus_emit_signal(
                bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "LockAdded", "o", b->path);
}

static void on_lock_removed(Manager *m, Lock *l, void *userdata) {
        BusManager *bm = userdata;
        BusLock *b = l->observer_data;

        if (!b)
                return;
        /* InterfacesRemoved is built from the object as it is, so it goes out before the object goes. */
        (void) sd_bus_emit_object_removed(bm->context.bus, b->path);
        (void) sd_bus_emit_signal(
                bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "LockRemoved", "o", b->path);
        lock_set_observer(l, NULL, NULL);
        bus_lock_free(b);
}

static void on_manager_changed(Manager *m, uint64_t changed, void *userdata) {
        BusManager *bm = userdata;

        if (changed & MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_DISCOVERING)) {
                if (!m->discovering)
                        bm->discovery_track = sd_bus_track_unref(bm->discovery_track);
                (void) sd_bus_emit_properties_changed(
                        bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "Discovering", NULL);
        }
        if (changed & MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_ADAPTERS))
                (void) sd_bus_emit_properties_changed(
                        bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "Adapters", NULL);
}

static const ManagerObserver manager_observer = {
        .lock_added = on_lock_added,
        .lock_removed = on_lock_removed,
        .changed = on_manager_changed,
};

/* ---- Manager1 ---------------------------------------------------------------------------------- */

#define AUTHORIZE(bm, msg, error)                                          \
        do {                                                               \
                int _r = authz_check((bm)->context.authz, (msg), (error)); \
                if (_r <= 0)                                               \
                        return _r < 0 ? _r : 1;                            \
        } while (0)

static int on_discovery_track(sd_bus_track *t, void *userdata) {
        BusManager *bm = userdata;

        bm->discovery_track = sd_bus_track_unref(bm->discovery_track);
        manager_stop_discovery(bm->context.manager, "its caller left the bus");
        return 0;
}

static int method_start_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        int r;

        AUTHORIZE(bm, msg, error);
        r = manager_start_discovery(bm->context.manager);
        if (r == -ENETDOWN)
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_READY, "No powered Bluetooth adapter is available.");
        if (r == -EBUSY)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Discovery is already running.");
        if (r < 0)
                return r;
        /* Discovery stops when its caller leaves the bus (dbus/org.ttlock.Manager1.xml). */
        r = sd_bus_track_new(bm->context.bus, &bm->discovery_track, on_discovery_track, bm);
        if (r >= 0)
                r = sd_bus_track_add_sender(bm->discovery_track, msg);
        if (r < 0) {
                manager_stop_discovery(bm->context.manager, "cannot follow its caller");
                return r;
        }
        log_info("Discovery started by %s.", sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_stop_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;

        AUTHORIZE(bm, msg, error);
        /* Stopping what is not running is no error: the caller's wish is fulfilled. */
        manager_stop_discovery(bm->context.manager, "asked to");
        return sd_bus_reply_method_return(msg, NULL);
}

/* Credential identities for who may list them (dbus/org.ttlock.Manager1.xml SubscribeDetails): the
 * caller gets its own copy of every Event and EnrollmentStatus, with card numbers and fingerprint ids,
 * until it unsubscribes or leaves the bus. */
static int method_subscribe_details(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        int r;

        AUTHORIZE(bm, msg, error);
        if (!bm->context.detail_subscribers) {
                r = sd_bus_track_new(bm->context.bus, &bm->context.detail_subscribers, NULL, NULL);
                if (r < 0)
                        return r;
                /* Subscribing twice is subscribing once. */
                (void) sd_bus_track_set_recursive(bm->context.detail_subscribers, false);
        }
        if (!sd_bus_track_contains(bm->context.detail_subscribers, sd_bus_message_get_sender(msg)) &&
            sd_bus_track_count(bm->context.detail_subscribers) >= BUS_DETAIL_SUBSCRIBERS_MAX)
                return sd_bus_error_setf(error, TTLOCK_ERROR_IN_PROGRESS, "Already %u subscribers.",
                                         BUS_DETAIL_SUBSCRIBERS_MAX);
        r = sd_bus_track_add_sender(bm->context.detail_subscribers, msg);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_unsubscribe_details(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;

        /* Anyone may stop what it started; there is nothing to authorize. */
        if (bm->context.detail_subscribers)
                (void) sd_bus_track_remove_sender(bm->context.detail_subscribers, msg);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_list_locks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        BusManager *bm = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (Lock *l = bm->context.manager->locks; r >= 0 && l; l = l->next) {
                BusLock *b = l->observer_data;

                if (b)
                        r = sd_bus_message_append(reply, "o", b->path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_lock_by_address(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        char a[BT_ADDRESS_SIZE];
        const char *address;
        BusLock *b;
        Lock *l;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (bt_address_normalize(address, a) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Invalid address \"%.32s\": expected six hex pairs like AA:BB:CC:DD:EE:FF.",
                        address);
        l = manager_find_lock(bm->context.manager, a);
        b = l ? l->observer_data : NULL;
        if (!b)
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_DOES_NOT_EXIST,
                        "No lock %s is known (pair it, or discover it first).",
                        a);
        return sd_bus_reply_method_return(msg, "o", b->path);
}

static int get_discovering(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusManager *bm = userdata;
        return sd_bus_message_append(reply, "b", bm->context.manager->discovering);
}

static int get_adapters(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusManager *bm = userdata;
        _cleanup_free_ const char **adapters = NULL;
        int r;

        r = manager_adapters(bm->context.manager, &adapters);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "o");
        for (const char **a = adapters; r >= 0 && *a; a++)
                r = sd_bus_message_append(reply, "o", *a);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int get_version(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Discovering", "b", get_discovering, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Adapters", "ao", get_adapters, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES(
                "ListLocks", "", , "ao", SD_BUS_PARAM(locks), method_list_locks, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetLockByAddress",
                "s",
                SD_BUS_PARAM(address),
                "o",
                SD_BUS_PARAM(lock),
                method_get_lock_by_address,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartDiscovery", "", "", method_start_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopDiscovery", "", "", method_stop_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SubscribeDetails", "", "", method_subscribe_details, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("UnsubscribeDetails", "", "", method_unsubscribe_details, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("LockAdded", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_SIGNAL_WITH_NAMES("LockRemoved", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_VTABLE_END,
};

/* ---- life cycle -------------------------------------------------------------------------------- */

int bus_manager_new(sd_bus *bus, Manager *m, BusManager **ret) {
        _cleanup_(bus_manager_freep) BusManager *bm = NULL;
        int r;

        assert(bus);
        assert(m);
        assert(ret);
        bm = calloc(1, sizeof(BusManager));
        if (!bm)
                return -ENOMEM;
        bm->context = (BusContext){ .bus = sd_bus_ref(bus), .manager = m };
        r = authz_new(&bm->context.authz);
        if (r < 0)
                return r;

        r = sd_bus_add_object_manager(bus, &bm->slots[bm->n_slots++], MANAGER_OBJECT_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Cannot add the object manager: %m");
        r = sd_bus_add_object_vtable(
                bus, &bm->slots[bm->n_slots++], MANAGER_PATH, MANAGER_INTERFACE, bus_manager_vtable, bm);
        if (r < 0)
                return log_error_errno(r, "Cannot add the manager object: %m");
        r = sd_bus_add_fallback_vtable(
                bus,
                &bm->slots[bm->n_slots++],
                LOCK_PATH_PREFIX,
                LOCK_INTERFACE,
                bus_lock_vtable,
                bus_lock_find,
                &bm->context);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        bus,
                        &bm->slots[bm->n_slots++],
                        LOCK_PATH_PREFIX,
                        CREDENTIALS_INTERFACE,
                        bus_credentials_vtable,
                        bus_lock_find_paired,
                        &bm->context);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        bus,
                        &bm->slots[bm->n_slots++],
                        LOCK_PATH_PREFIX,
                        SETTINGS_INTERFACE,
                        bus_settings_vtable,
                        bus_lock_find_paired,
                        &bm->context);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(
                        bus, &bm->slots[bm->n_slots++], LOCK_PATH_PREFIX, bus_lock_enumerate, &bm->context);
        if (r < 0)
                return log_error_errno(r, "Cannot add the lock objects: %m");
        assert(bm->n_slots <= ELEMENTSOF(bm->slots));

        manager_set_observer(m, &manager_observer, bm);
        *ret = TAKE_PTR(bm);
        return 0;
}

BusManager *bus_manager_free(BusManager *bm) {
        Manager *m;

        if (!bm)
                return NULL;
        m = bm->context.manager;
        if (m && m->observer_data == bm) {
                manager_set_observer(m, NULL, NULL);
                for (Lock *l = m->locks; l; l = l->next) {
                        bus_lock_free(l->observer_data);
                        lock_set_observer(l, NULL, NULL);
                }
        }
        sd_bus_track_unref(bm->discovery_track);
        sd_bus_track_unref(bm->context.detail_subscribers);
        for (size_t i = 0; i < bm->n_slots; i++)
                sd_bus_slot_unref(bm->slots[i]);
        authz_free(bm->context.authz);
        sd_bus_unref(bm->context.bus);
        free(bm);
        return NULL;
}
