/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "config.h"
#include "credentials-object.h"
#include "errors.h"
#include "lock-object.h"
#include "lock-path.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "settings-object.h"

/* ---- lock objects -------------------------------------------------------------------------- */

LockObject *manager_find_lock(Manager *m, const char *address) {
        char a[LOCK_ADDRESS_SIZE];

        if (lock_address_normalize(address, a) < 0)
                return NULL;
        for (LockObject *l = m->locks; l; l = l->next)
                if (strcmp(l->address, a) == 0)
                        return l;
        return NULL;
}

static LockObject *find_lock_by_device(Manager *m, const char *device_path) {
        for (LockObject *l = m->locks; l; l = l->next)
                if (l->device_path && strcmp(l->device_path, device_path) == 0)
                        return l;
        return NULL;
}

static int on_reap(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        while (m->graveyard) {
                LockObject *l = m->graveyard;
                m->graveyard = l->next;
                lock_object_free(l);
        }
        return 0;
}

static int add_lock(Manager *m, const char *address, LockRecord *record, LockObject **ret) {
        LockObject *l;
        int r;

        r = lock_object_new(m, address, record, &l);
        if (r < 0)
                return r;
        l->next = m->locks;
        m->locks = l;
        m->n_locks++;
        l->exported = true;

        (void) sd_bus_emit_object_added(m->bus, l->path);
        (void) sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_INTERFACE, "LockAdded", "o", l->path);
        log_debug("%s: object added (%s).", l->address, record ? "paired" : "pairable");
        if (ret)
                *ret = l;
        return 0;
}

static void remove_lock(Manager *m, LockObject *l) {
        /* InterfacesRemoved is built from the object as it is, so it goes out before the unlink. */
        (void) sd_bus_emit_object_removed(m->bus, l->path);
        (void) sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_INTERFACE, "LockRemoved", "o", l->path);
        l->exported = false;

        for (LockObject **p = &m->locks; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        m->n_locks--;
        lock_object_abort(l, "The lock went away.");
        log_debug("%s: object removed.", l->address);

        /* Freed later: we may be deep inside this lock's link (a reply handler), which must not
         * be freed under its own feet. */
        l->next = m->graveyard;
        m->graveyard = l;
        if (!m->reaper) {
                if (sd_event_add_defer(m->event, &m->reaper, on_reap, m) < 0) {
                        log_oom();
                        return;
                }
        }
        (void) sd_event_source_set_enabled(m->reaper, SD_EVENT_ONESHOT);
}

void manager_check_lock(Manager *m, LockObject *l) {
        bool listed = false;

        for (LockObject *i = m->locks; i; i = i->next)
                listed = listed || i == l;
        /* Pairable objects live while the lock is pairable; a paired one until Forget(). */
        if (listed && !l->record && !l->pairable && !lock_object_busy(l))
                remove_lock(m, l);
}

void manager_update_monitor(Manager *m) {
        bool any = false;

        for (LockObject *l = m->locks; l; l = l->next)
                any = any || l->record;
        if (m->bluez)
                bluez_set_monitor(m->bluez, any);
}

/* ---- BlueZ --------------------------------------------------------------------------------- */

static void emit_manager_changed(Manager *m, const char *property) {
        (void) sd_bus_emit_properties_changed(m->bus, MANAGER_PATH, MANAGER_INTERFACE, property, NULL);
}

static void on_bluez_available(Bluez *b, bool available, void *userdata) {
        Manager *m = userdata;

        log_info("BlueZ %s.", available ? "is available" : "went away");
        emit_manager_changed(m, "Adapters");
}

static void on_adapters_changed(Bluez *b, void *userdata) {
        emit_manager_changed(userdata, "Adapters");
}

static void on_device_changed(Bluez *b, const BluezDeviceInfo *info, bool mfr_changed, void *userdata) {
        Manager *m = userdata;
        LockObject *l;
        TTAdvert a;

        l = manager_find_lock(m, info->address);
        if (!l) {
                /* Only pairable locks seen while discovering become objects (dbus-api.md StartDiscovery). */
                if (!m->discovering || !info->have_mfr ||
                    ttlock_advert_parse_bluez(info->mfr_key, info->mfr, info->mfr_len, &a, NULL) < 0 ||
                    !a.setting_mode)
                        return;
                if (m->n_locks >= MANAGER_LOCKS_MAX) {
                        log_warning("Ignoring %s: already %u locks known.", info->address, MANAGER_LOCKS_MAX);
                        return;
                }
                if (add_lock(m, info->address, NULL, &l) < 0) {
                        log_warning("Cannot add an object for %s.", info->address);
                        return;
                }
                mfr_changed = true;
        }
        lock_object_device_changed(l, info, mfr_changed);
}

static void on_device_removed(Bluez *b, const char *path, const char *address, void *userdata) {
        Manager *m = userdata;
        LockObject *l = manager_find_lock(m, address);

        if (l && l->device_path && strcmp(l->device_path, path) == 0)
                lock_object_device_removed(l);
}

static void on_notification(Bluez *b, const char *device_path, const uint8_t *data, size_t len, void *userdata) {
        LockObject *l = find_lock_by_device(userdata, device_path);

        if (l)
                lock_object_notification(l, data, len);
}

/* ---- discovery ----------------------------------------------------------------------------- */

static void stop_discovery(Manager *m, const char *why) {
        if (!m->discovering)
                return;
        m->discovering = false;
        m->discovery_track = sd_bus_track_unref(m->discovery_track);
        m->discovery_timer = sd_event_source_disable_unref(m->discovery_timer);
        if (m->bluez)
                bluez_set_discover(m->bluez, false);
        log_info("Discovery stopped (%s).", why);
        emit_manager_changed(m, "Discovering");
}

static int on_discovery_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        stop_discovery(userdata, "time is up");
        return 0;
}

static int on_discovery_track(sd_bus_track *t, void *userdata) {
        stop_discovery(userdata, "its caller left the bus");
        return 0;
}

static int method_start_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = authz_check(m->authz, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        if (!bluez_available(m->bluez) || !bluez_adapters(m->bluez)[0])
                return sd_bus_error_set(error, TTLOCK_ERROR_NOT_READY, "No powered Bluetooth adapter is available.");
        if (m->discovering)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Discovery is already running.");

        r = sd_bus_track_new(m->bus, &m->discovery_track, on_discovery_track, m);
        if (r < 0)
                return r;
        r = sd_bus_track_add_sender(m->discovery_track, msg);
        if (r < 0) {
                m->discovery_track = sd_bus_track_unref(m->discovery_track);
                return r;
        }
        r = sd_event_add_time_relative(m->event, &m->discovery_timer, CLOCK_MONOTONIC, MANAGER_DISCOVERY_USEC, 0,
                                       on_discovery_timeout, m);
        if (r < 0) {
                m->discovery_track = sd_bus_track_unref(m->discovery_track);
                return r;
        }
        m->discovering = true;
        bluez_set_discover(m->bluez, true);
        log_info("Discovery started by %s.", sd_bus_message_get_sender(msg) ?: "?");
        emit_manager_changed(m, "Discovering");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_stop_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = authz_check(m->authz, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* Stopping what is not running is no error: the caller's wish is fulfilled. */
        stop_discovery(m, "asked to");
        return sd_bus_reply_method_return(msg, NULL);
}

/* ---- Manager1 ------------------------------------------------------------------------------ */

static int method_list_locks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (LockObject *l = m->locks; l; l = l->next) {
                r = sd_bus_message_append(reply, "o", l->path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_lock_by_address(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        char a[LOCK_ADDRESS_SIZE];
        const char *address;
        LockObject *l;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (lock_address_normalize(address, a) < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid address \"%.32s\": expected six hex pairs like AA:BB:CC:DD:EE:FF.",
                                         address);
        l = manager_find_lock(m, a);
        if (!l)
                return sd_bus_error_setf(error, TTLOCK_ERROR_DOES_NOT_EXIST,
                                         "No lock %s is known (pair it, or discover it first).", a);
        return sd_bus_reply_method_return(msg, "o", l->path);
}

static int property_get_discovering(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->discovering);
}

static int property_get_adapters(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (char **a = m->bluez ? bluez_adapters(m->bluez) : NULL; a && *a; a++) {
                r = sd_bus_message_append(reply, "o", *a);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Discovering", "b", property_get_discovering, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Adapters", "ao", property_get_adapters, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("ListLocks", "", , "ao", SD_BUS_PARAM(locks), method_list_locks,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetLockByAddress", "s", SD_BUS_PARAM(address), "o", SD_BUS_PARAM(lock),
                                 method_get_lock_by_address, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartDiscovery", "", "", method_start_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopDiscovery", "", "", method_stop_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("LockAdded", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_SIGNAL_WITH_NAMES("LockRemoved", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_VTABLE_END,
};

/* ---- life cycle ---------------------------------------------------------------------------- */

/* conventions.md: no method keeps its caller past ~20 s (GDBus gives up at 25 s); waiting for the
 * lock to appear, connect retries and reply time-outs can add up to more on a bad day, so Lock,
 * Unlock and Refresh carry their own deadline. TTLOCKD_METHOD_TIMEOUT_SEC (1…20) shortens it for
 * tests. */
static uint64_t access_deadline_from_env(void) {
        const char *e = getenv("TTLOCKD_METHOD_TIMEOUT_SEC");
        unsigned long v;
        char *end = NULL;

        if (e && *e) {
                errno = 0;
                v = strtoul(e, &end, 10);
                if (errno == 0 && end && !*end && v >= 1 && v <= 20)
                        return (uint64_t) v * UINT64_C(1000000);
                log_warning("Ignoring TTLOCKD_METHOD_TIMEOUT_SEC=%s (expected 1…20).", e);
        }
        return UINT64_C(19000000);
}

int manager_new(sd_event *event, sd_bus *bus, const char *state_dir, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->bus = sd_bus_ref(bus);
        link_config_default(&m->link_config);
        /* No method may keep a caller waiting past ~20 s (conventions.md): three connect attempts
         * of 5 s each, then the commands. */
        m->link_config.connect_timeout_usec = 5U * 1000000U;
        m->access_deadline_usec = access_deadline_from_env();

        r = store_open(state_dir, &m->store);
        if (r < 0)
                return log_error_errno(r, "Cannot open the key store: %m");
        r = authz_new(&m->authz);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        while (m->locks) {
                LockObject *l = m->locks;
                m->locks = l->next;
                l->exported = false;
                lock_object_free(l);
        }
        on_reap(NULL, m);
        sd_event_source_disable_unref(m->reaper);
        sd_event_source_disable_unref(m->discovery_timer);
        sd_bus_track_unref(m->discovery_track);
        bluez_free(m->bluez);
        authz_free(m->authz);
        store_free(m->store);
        sd_bus_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_start(Manager *m) {
        static const BluezCallbacks bluez_cb = {
                .available = on_bluez_available,
                .adapters_changed = on_adapters_changed,
                .device_changed = on_device_changed,
                .device_removed = on_device_removed,
                .notification = on_notification,
        };
        LockRecord **records = NULL;
        size_t n_records = 0;
        int r;

        r = sd_bus_add_object_manager(m->bus, NULL, MANAGER_OBJECT_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Cannot add the object manager: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, MANAGER_PATH, MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the manager object: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, LOCK_PATH_PREFIX, LOCK_INTERFACE, lock_vtable,
                                       lock_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the lock objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, LOCK_PATH_PREFIX, lock_object_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the lock enumerator: %m");
        r = credentials_object_register(m);
        if (r < 0)
                return r;
        r = settings_object_register(m);
        if (r < 0)
                return r;

        r = bluez_new(m->bus, &bluez_cb, m, &m->bluez);
        if (r < 0)
                return log_error_errno(r, "Cannot follow BlueZ: %m");

        r = store_load_all(m->store, &records, &n_records);
        if (r < 0)
                return log_error_errno(r, "Cannot load the stored locks: %m");
        for (size_t i = 0; i < n_records; i++) {
                r = add_lock(m, records[i]->address, records[i], NULL);
                if (r < 0) {
                        log_error_errno(r, "Cannot add stored lock %s: %m", records[i]->address);
                        continue;
                }
                records[i] = NULL; /* adopted */
        }
        lock_records_free(records, n_records);
        log_info("%zu paired lock(s) loaded from %s.", m->n_locks, store_locks_path(m->store));
        manager_update_monitor(m);
        return 0;
}
