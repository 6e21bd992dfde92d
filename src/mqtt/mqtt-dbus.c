/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Following ttlockd on the system bus, through its public API only (dbus/org.ttlock.*.xml): the
 * owner of org.ttlock.Manager coming, going and restarting (NameOwnerChanged), its objects
 * (GetManagedObjects once per owner, then InterfacesAdded/Removed), their properties
 * (PropertiesChanged) and signals (Event, EnrollmentStatus). Nothing is polled.
 *
 * Every signal is checked against the current owner's unique name, so that one still queued from
 * a ttlockd that has just exited is not taken for news from the new one. A GetManagedObjects reply
 * for an owner that has gone since is dropped (sync_generation). */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "log.h"
#include "macro.h"
#include "mqtt-bridge.h"
#include "string-util.h"
#include "time-util.h"

enum {
        CHANGED_STATE = 1 << 0,
        CHANGED_BATTERY = 1 << 1,
        CHANGED_DIAGNOSTICS = 1 << 2, /* Rssi, LastSeenUSec */
        CHANGED_CONNECTED = 1 << 3,
        CHANGED_SETTINGS = 1 << 4, /* AutoLockSeconds, Settings1 */
        CHANGED_DEVICE = 1 << 5,   /* what discovery and info show: names, versions, features, pairing */
};

bool bridge_from_ttlockd(Bridge *b, sd_bus_message *m) {
        return b->owner && streq_ptr(sd_bus_message_get_sender(m), b->owner);
}

/* ---- reading properties ---------------------------------------------------------------------- */

static int set_str(char **field, const char *value, bool *changed) {
        int r;

        if (strlen(value) > BRIDGE_MAX_STRING || !mqtt_utf8_valid(value, strlen(value)))
                return 0; /* not something we show; keep what we had */
        r = strdup_replace(field, value);
        if (r > 0)
                *changed = true;
        return r < 0 ? r : 0;
}

/* What one a{sv} of properties did to a lock. */
typedef struct Apply {
        Lock *lock;
        unsigned changed; /* CHANGED_* */
} Apply;

static int read_features(sd_bus_message *m, const char *key, void *userdata) {
        Apply *a = userdata;
        Lock *l = a->lock;
        _cleanup_free_ char **list = NULL;
        const char *contents;
        size_t n = 0;
        bool same;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "as"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &list);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto finish;
        while (list && list[n])
                n++;
        same = n == l->n_features;
        for (size_t i = 0; same && i < n; i++)
                same = streq(list[i], l->features[i]);
        if (!same && n <= 128) {
                for (size_t i = 0; i < l->n_features; i++)
                        free(l->features[i]);
                free(l->features);
                l->features = TAKE_PTR(list);
                l->n_features = n;
                a->changed |= CHANGED_DEVICE;
                return 0;
        }
finish:
        for (size_t i = 0; list && list[i]; i++)
                free(list[i]);
        return r < 0 ? r : 0;
}

/* The Lock1 properties the bridge keeps: where each goes and what a change of it means. A value of
 * another type than the one dbus/org.ttlock.Lock1.xml gives is skipped. */
typedef struct LockProperty {
        const char *name;
        char type; /* 's' (a char * field), 'b' (bool), 'n', 'y', 'u', 't' */
        size_t offset;
        unsigned changed;
} LockProperty;

static const LockProperty lock1_properties[] = {
        { "Name", 's', offsetof(Lock, name), CHANGED_DEVICE },
        { "Alias", 's', offsetof(Lock, alias), CHANGED_DEVICE },
        { "Model", 's', offsetof(Lock, model), CHANGED_DEVICE },
        { "HardwareRevision", 's', offsetof(Lock, hardware), CHANGED_DEVICE },
        { "FirmwareRevision", 's', offsetof(Lock, firmware), CHANGED_DEVICE },
        { "State", 's', offsetof(Lock, state), CHANGED_STATE },
        { "Paired", 'b', offsetof(Lock, paired), CHANGED_DEVICE },
        { "Pairable", 'b', offsetof(Lock, pairable), CHANGED_DEVICE },
        { "Connected", 'b', offsetof(Lock, connected), CHANGED_CONNECTED },
        { "Rssi", 'n', offsetof(Lock, rssi), CHANGED_DIAGNOSTICS },
        { "LastSeenUSec", 't', offsetof(Lock, last_seen_usec), CHANGED_DIAGNOSTICS },
        { "StateUpdatedUSec", 't', offsetof(Lock, state_updated_usec), 0 },
        { "Battery", 'y', offsetof(Lock, battery), CHANGED_BATTERY },
        { "AutoLockSeconds", 'u', offsetof(Lock, auto_lock_seconds), CHANGED_SETTINGS },
};

static int apply_value(sd_bus_message *m, Apply *a, char type, void *field, unsigned changed) {
        union {
                const char *s;
                int b;
                int16_t n;
                uint8_t y;
                uint32_t u;
                uint64_t t;
        } v;
        bool c = false;
        int r;

        r = bus_dict_read_basic(m, type, &v);
        if (r <= 0)
                return r;
        switch (type) {
        case 's':
                r = set_str(field, v.s, &c);
                break;
        case 'b':
                c = *(bool *) field != !!v.b;
                *(bool *) field = !!v.b;
                break;
        case 'n':
                c = *(int16_t *) field != v.n;
                *(int16_t *) field = v.n;
                break;
        case 'y':
                v.y = MIN(v.y, (uint8_t) 100); /* a percentage, or a volume of 1–5 */
                c = *(uint8_t *) field != v.y;
                *(uint8_t *) field = v.y;
                break;
        case 'u':
                c = *(uint32_t *) field != v.u;
                *(uint32_t *) field = v.u;
                break;
        case 't':
                c = *(uint64_t *) field != v.t;
                *(uint64_t *) field = v.t;
                break;
        default:
                return -EINVAL; /* not a type of lock1_properties */
        }
        if (c)
                a->changed |= changed;
        return r < 0 ? r : 0;
}

static int apply_lock1(sd_bus_message *m, const char *key, void *userdata) {
        Apply *a = userdata;

        for (size_t i = 0; i < ELEMENTSOF(lock1_properties); i++)
                if (streq(key, lock1_properties[i].name))
                        return apply_value(m, a, lock1_properties[i].type,
                                           (uint8_t *) a->lock + lock1_properties[i].offset,
                                           lock1_properties[i].changed);
        return sd_bus_message_skip(m, "v");
}

static int apply_sound_volume(sd_bus_message *m, const char *key, void *userdata) {
        Apply *a = userdata;

        return apply_value(m, a, 'y', &a->lock->sound_volume, 0);
}

/* Settings1's switches are the lock_switches table's. */
static int apply_switch(sd_bus_message *m, const char *key, void *userdata) {
        Apply *a = userdata;

        for (LockSwitch i = 0; i < _LOCK_SWITCH_MAX; i++)
                if (streq(key, lock_switches[i].property))
                        return apply_value(m, a, 'b', &a->lock->switches[i], CHANGED_SETTINGS);
        return sd_bus_message_skip(m, "v");
}

/* Apply an a{sv} of interface iface to l (the message is at the array). Returns CHANGED_* bits. */
static int apply_lock_properties(Lock *l, const char *iface, sd_bus_message *m) {
        static const BusDictField lock1[] = {
                { "Features", read_features },
                { NULL, apply_lock1 },
        };
        static const BusDictField settings1[] = {
                { "SoundVolume", apply_sound_volume },
                { NULL, apply_switch },
        };
        Apply a = { .lock = l };
        int r;

        if (streq(iface, TTLOCK_LOCK_IFACE))
                r = bus_dict_read(m, lock1, ELEMENTSOF(lock1), &a);
        else if (streq(iface, TTLOCK_SETTINGS_IFACE))
                r = bus_dict_read(m, settings1, ELEMENTSOF(settings1), &a);
        else
                r = bus_dict_read(m, NULL, 0, &a);
        return r < 0 ? r : (int) a.changed;
}

/* ---- the lock table -------------------------------------------------------------------------- */

/* Publish what changed; a lock that appears, changes kind or disappears is published whole. */
static void lock_changed(Bridge *b, Lock *l, unsigned changed) {
        LockPresence p = bridge_lock_presence(b, l);

        if (p == LOCK_PRESENCE_NONE) {
                if (l->published) {
                        unpublish_lock_id(b, l->id);
                        l->published = false;
                }
                return;
        }
        if (!l->published || (changed & CHANGED_DEVICE)) {
                publish_lock(b, l);
                return;
        }
        if (changed & CHANGED_STATE)
                publish_lock_state(b, l);
        if (changed & CHANGED_BATTERY)
                publish_lock_battery(b, l);
        if (changed & CHANGED_DIAGNOSTICS)
                publish_lock_diagnostics(b, l, false);
        if (changed & CHANGED_CONNECTED)
                publish_lock_connected(b, l);
        if (changed & CHANGED_SETTINGS)
                publish_lock_settings(b, l);
}

static int get_or_add_lock(Bridge *b, const char *path, Lock **ret) {
        Lock *l = bridge_find_lock_by_path(b, path), **n;
        int r;

        if (l) {
                *ret = l;
                return 0;
        }
        if (b->n_locks >= BRIDGE_MAX_LOCKS) {
                log_warning("ttlockd offers more than %u locks; %s is left out.", BRIDGE_MAX_LOCKS, path);
                return -ENOSPC;
        }
        r = lock_new(path, &l);
        if (r < 0)
                return r;
        n = realloc(b->locks, (b->n_locks + 1) * sizeof(Lock *));
        if (!n) {
                lock_free(l);
                return -ENOMEM;
        }
        b->locks = n;
        /* Two paths of one address (which ttlockd never offers) would share an id: refused too. */
        r = hashmap_put(b->locks_by_path, l->path, l);
        if (r >= 0) {
                r = hashmap_put(b->locks_by_id, l->id, l);
                if (r < 0)
                        (void) hashmap_remove(b->locks_by_path, l->path);
        }
        if (r < 0) {
                lock_free(l);
                return r;
        }
        b->locks[b->n_locks++] = l;
        log_debug("Lock %s appeared.", l->address);
        *ret = l;
        return 1;
}

static void remove_lock(Bridge *b, Lock *l) {
        log_debug("Lock %s went away.", l->address);
        if (l->published)
                unpublish_lock_id(b, l->id);
        (void) hashmap_remove(b->locks_by_id, l->id);
        (void) hashmap_remove(b->locks_by_path, l->path);
        for (size_t i = 0; i < b->n_locks; i++)
                if (b->locks[i] == l) {
                        memmove(b->locks + i, b->locks + i + 1, (b->n_locks - i - 1) * sizeof(Lock *));
                        b->n_locks--;
                        break;
                }
        l->enrollment = enrollment_free(l->enrollment);
        lock_free(l);
}

typedef struct ApplyObject {
        Lock *lock;
        unsigned changed;
} ApplyObject;

static int apply_interface(sd_bus_message *m, const char *iface, void *userdata) {
        ApplyObject *o = userdata;
        Lock *l = o->lock;
        bool *has;
        int r;

        has = streq(iface, TTLOCK_LOCK_IFACE)       ? &l->has_lock1
                : streq(iface, TTLOCK_SETTINGS_IFACE)    ? &l->has_settings
                : streq(iface, TTLOCK_CREDENTIALS_IFACE) ? &l->has_credentials
                                                          : NULL;
        if (!has)
                return sd_bus_message_skip(m, "a{sv}");
        if (!*has) {
                *has = true;
                o->changed |= CHANGED_DEVICE;
        }
        r = apply_lock_properties(l, iface, m);
        if (r < 0)
                return r;
        o->changed |= (unsigned) r;
        return 0;
}

/* a{sa{sv}} of one object. Returns CHANGED_* bits. */
static int apply_interfaces(Bridge *b, Lock *l, sd_bus_message *m) {
        ApplyObject o = { .lock = l };
        int r;

        r = bus_interfaces_read(m, apply_interface, &o);
        return r < 0 ? r : (int) o.changed;
}

static void set_discovering(Bridge *b, bool discovering) {
        if (b->discovering == discovering)
                return;
        b->discovering = discovering;
        if (!discovering && b->our_discovery) {
                log_info("The discovery of locks started over MQTT has ended.");
                b->our_discovery = false;
        }
}

static int apply_discovering(sd_bus_message *m, const char *key, void *userdata) {
        int v, r;

        r = bus_dict_read_basic(m, 'b', &v);
        if (r > 0)
                set_discovering(userdata, v);
        return r < 0 ? r : 0;
}

/* Manager1's properties: only Discovering matters here. */
static int apply_manager_properties(Bridge *b, sd_bus_message *m) {
        static const BusDictField fields[] = {
                { "Discovering", apply_discovering },
        };
        int r;

        r = bus_dict_read(m, fields, ELEMENTSOF(fields), b);
        return r < 0 ? r : 0;
}

/* A pairable lock seen while our discovery runs gets a Pair button. */
static void note_pairable(Bridge *b, Lock *l) {
        if (b->our_discovery && l->pairable && !l->paired)
                l->seen_in_our_discovery = true;
}

void bridge_discovery_started(Bridge *b) {
        b->our_discovery = true;
        for (size_t i = 0; i < b->n_locks; i++) {
                Lock *l = b->locks[i];
                bool before = l->seen_in_our_discovery;

                note_pairable(b, l);
                if (l->seen_in_our_discovery != before)
                        lock_changed(b, l, CHANGED_DEVICE);
        }
}

/* ---- ttlockd coming and going ---------------------------------------------------------------- */

static void check_broker_locks(Bridge *b);

static int on_managed_objects(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint64_t generation = b->sync_generation;
        int r;

        b->sync_slot = sd_bus_slot_unref(b->sync_slot);
        if (e) {
                log_warning("Cannot read ttlockd's objects: %s: %s", e->name, strempty_or(e->message));
                return 0;
        }

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                char address[BT_ADDRESS_SIZE];
                const char *path;
                Lock *l;

                r = sd_bus_message_read(reply, "o", &path);
                if (r < 0)
                        goto bad;
                if (streq(path, TTLOCK_MANAGER_PATH)) {
                        r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                                const char *iface;
                                r = sd_bus_message_read(reply, "s", &iface);
                                if (r >= 0)
                                        r = streq(iface, TTLOCK_MANAGER_IFACE)
                                                ? apply_manager_properties(b, reply)
                                                : sd_bus_message_skip(reply, "a{sv}");
                                if (r >= 0)
                                        r = sd_bus_message_exit_container(reply);
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (lock_path_to_address(path, address) >= 0 && get_or_add_lock(b, path, &l) >= 0) {
                        r = apply_interfaces(b, l, reply);
                        l->generation = generation;
                        note_pairable(b, l);
                } else
                        r = sd_bus_message_skip(reply, "a{sa{sv}}");
                if (r < 0)
                        goto bad;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto bad;
        }
        if (r < 0)
                goto bad;

        /* Whatever ttlockd did not list is gone (forgotten while it or we were away). */
        for (size_t i = b->n_locks; i > 0; i--)
                if (b->locks[i - 1]->generation != generation)
                        remove_lock(b, b->locks[i - 1]);

        b->synced = true;
        log_info("ttlockd offers %zu lock%s.", b->n_locks, b->n_locks == 1 ? "" : "s");
        for (size_t i = 0; i < b->n_locks; i++) {
                Lock *l = b->locks[i];
                /* Publish whole: after a restart of ttlockd anything may have changed. */
                l->published = false;
                lock_changed(b, l, CHANGED_DEVICE);
        }
        publish_bridge(b);
        check_broker_locks(b);
        return 0;

bad:
        log_error_errno(r, "Cannot parse ttlockd's objects: %m");
        return 0;
}

static int sync_objects(Bridge *b) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        b->sync_slot = sd_bus_slot_unref(b->sync_slot);
        b->sync_generation++;
        r = sd_bus_message_new_method_call(
                b->bus,
                &m,
                TTLOCK_BUS_NAME,
                TTLOCK_ROOT_PATH,
                "org.freedesktop.DBus.ObjectManager",
                "GetManagedObjects");
        if (r < 0)
                return log_error_errno(r, "Cannot ask ttlockd for its objects: %m");
        /* ttlockd is started by systemd (ttlock-mqtt.service wants it), not by our calls. */
        (void) sd_bus_message_set_auto_start(m, false);
        r = sd_bus_call_async(b->bus, &b->sync_slot, m, on_managed_objects, b, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot ask ttlockd for its objects: %m");
        return 0;
}

static void ttlockd_vanished(Bridge *b) {
        if (!b->owner)
                return;
        log_notice("ttlockd left the bus; its locks show as unavailable until it is back.");
        b->owner = mfree(b->owner);
        b->details = false;
        b->details_slot = sd_bus_slot_unref(b->details_slot);
        b->synced = false;
        b->sync_slot = sd_bus_slot_unref(b->sync_slot);
        b->discovering = b->our_discovery = false;
        /* Keep the locks and their discovery: ttlockd is most likely restarting. They are only
         * unavailable meanwhile. */
        for (size_t i = 0; i < b->n_locks; i++)
                publish_lock_availability(b, b->locks[i]);
        publish_bridge(b);
}

static int on_subscribe_details(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        b->details_slot = sd_bus_slot_unref(b->details_slot);
        if (e) {
                log_notice("ttlockd keeps card numbers and fingerprint ids from the bridge (%s): events "
                           "name them by alias only.",
                           e->message ?: e->name);
                return 0;
        }
        b->details = true;
        log_debug("Subscribed to ttlockd's event details.");
        return 0;
}

/* The identities of cards and fingerprints are credentials: ttlockd hands them only to callers
 * allowed org.ttlock.manage, which the bridge is only with allow-manage. */
static void subscribe_details(Bridge *b) {
        int r;

        if (!b->config->allow_manage)
                return;
        r = sd_bus_call_method_async(b->bus, &b->details_slot, TTLOCK_BUS_NAME, TTLOCK_MANAGER_PATH,
                                     TTLOCK_MANAGER_IFACE, "SubscribeDetails", on_subscribe_details, b, "");
        if (r < 0)
                log_warning_errno(r, "Cannot ask ttlockd for event details: %m");
}

/* The broadcast of a signal whose addressed copy already came: skipped. Copies come with the
 * subscription, and, for an enrollment the bridge started itself (ours), without one. */
static bool duplicate_broadcast(Bridge *b, sd_bus_message *m, bool ours) {
        return !sd_bus_message_get_destination(m) && (b->details || ours);
}

static void ttlockd_appeared(Bridge *b, const char *owner) {
        if (streq_ptr(b->owner, owner))
                return;
        if (b->owner)
                ttlockd_vanished(b);
        if (strdup_replace(&b->owner, owner) < 0) {
                log_oom();
                return;
        }
        log_info("ttlockd is on the bus (%s); reading its locks.", owner);
        subscribe_details(b);
        publish_bridge(b);
        (void) sync_objects(b);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
        if (r < 0 || !streq(name, TTLOCK_BUS_NAME))
                return 0;
        if (isempty(new_owner))
                ttlockd_vanished(b);
        else
                ttlockd_appeared(b, new_owner);
        return 0;
}

static int on_get_name_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const char *owner;

        b->owner_slot = sd_bus_slot_unref(b->owner_slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_notice("ttlockd is not on the bus yet; waiting for it.");
                publish_bridge(b);
                return 0;
        }
        if (sd_bus_message_read(reply, "s", &owner) >= 0)
                ttlockd_appeared(b, owner);
        return 0;
}

/* ---- signals --------------------------------------------------------------------------------- */

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        char address[BT_ADDRESS_SIZE];
        Bridge *b = userdata;
        const char *path;
        Lock *l;
        int r;

        if (!bridge_from_ttlockd(b, m) || !b->synced)
                return 0; /* before the first sync, GetManagedObjects brings it */
        r = sd_bus_message_read(m, "o", &path);
        if (r < 0 || lock_path_to_address(path, address) < 0)
                return 0;
        if (get_or_add_lock(b, path, &l) < 0)
                return 0;
        r = apply_interfaces(b, l, m);
        if (r < 0) {
                log_warning_errno(r, "Cannot parse InterfacesAdded for %s: %m", path);
                return 0;
        }
        l->generation = b->sync_generation;
        note_pairable(b, l);
        lock_changed(b, l, (unsigned) r);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_free_ char **ifaces = NULL;
        Bridge *b = userdata;
        const char *path;
        unsigned changed = 0;
        Lock *l;
        int r;

        if (!bridge_from_ttlockd(b, m))
                return 0;
        r = sd_bus_message_read(m, "o", &path);
        if (r < 0 || !(l = bridge_find_lock_by_path(b, path)))
                return 0;
        r = sd_bus_message_read_strv(m, &ifaces);
        if (r < 0)
                return 0;
        for (size_t i = 0; ifaces && ifaces[i]; i++) {
                if (streq(ifaces[i], TTLOCK_LOCK_IFACE))
                        l->has_lock1 = false;
                else if (streq(ifaces[i], TTLOCK_SETTINGS_IFACE))
                        l->has_settings = false;
                else if (streq(ifaces[i], TTLOCK_CREDENTIALS_IFACE))
                        l->has_credentials = false;
                changed |= CHANGED_DEVICE;
                free(ifaces[i]);
        }
        if (!l->has_lock1)
                remove_lock(b, l);
        else if (changed)
                lock_changed(b, l, changed);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const char *iface, *path = sd_bus_message_get_path(m);
        Lock *l;
        int r;

        if (!bridge_from_ttlockd(b, m) || !b->synced || !path)
                return 0;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return 0;
        if (streq(path, TTLOCK_MANAGER_PATH)) {
                if (streq(iface, TTLOCK_MANAGER_IFACE))
                        (void) apply_manager_properties(b, m);
                return 0;
        }
        l = bridge_find_lock_by_path(b, path);
        if (!l || (!streq(iface, TTLOCK_LOCK_IFACE) && !streq(iface, TTLOCK_SETTINGS_IFACE)))
                return 0;
        /* ttlockd never invalidates without a value (dbus/org.ttlock.Lock1.xml: EMITS_CHANGE, never
         * invalidation-only), so the invalidated list is not read. */
        r = apply_lock_properties(l, iface, m);
        if (r < 0) {
                log_warning_errno(r, "Cannot parse PropertiesChanged of %s: %m", path);
                return 0;
        }
        if (r & CHANGED_DEVICE)
                note_pairable(b, l);
        lock_changed(b, l, (unsigned) r);
        return 0;
}

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const char *kind, *path = sd_bus_message_get_path(m);
        Lock *l;

        if (!bridge_from_ttlockd(b, m) || !path)
                return 0;
        l = bridge_find_lock_by_path(b, path);
        if (!l || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return 0;
        if (duplicate_broadcast(b, m, false))
                return 0;
        if (sd_bus_message_read(m, "s", &kind) < 0 || strlen(kind) > 64)
                return 0;
        publish_lock_event(b, l, kind, m);
        return 0;
}

static int on_enrollment_status(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bridge *b = userdata;
        const char *kind, *status, *id, *path = sd_bus_message_get_path(m);
        uint32_t done, total;
        Lock *l;

        if (!bridge_from_ttlockd(b, m) || !path)
                return 0;
        l = bridge_find_lock_by_path(b, path);
        if (!l || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return 0;
        if (duplicate_broadcast(b, m, l->enrollment != NULL))
                return 0;
        if (sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0 || strlen(kind) > 64 ||
            strlen(status) > 64 || strlen(id) > 64)
                return 0;
        manage_enrollment_status(b, l, kind, status, done, total, id);
        return 0;
}

/* ---- the broker's retained lock info --------------------------------------------------------- */

/* A retained <lock>/info on the broker names a lock this bridge published once. If ttlockd no
 * longer has it (forgotten while the bridge or the broker was away), its discovery and topics are
 * removed now. Decided once ttlockd's objects are known; kept until then. */
void bridge_broker_lock_seen(Bridge *b, const char *id) {
        Lock *l;

        if (b->synced) {
                l = bridge_find_lock_by_id(b, id);
                if (!l || bridge_lock_presence(b, l) == LOCK_PRESENCE_NONE) {
                        log_info("Removing lock %s from MQTT: ttlockd no longer offers it here.", id);
                        unpublish_lock_id(b, id);
                }
                return;
        }
        for (size_t i = 0; i < b->n_broker_locks; i++)
                if (streq(b->broker_locks[i], id))
                        return;
        if (b->n_broker_locks < BRIDGE_MAX_LOCKS) {
                char(*n)[MQTT_LOCK_ID_LEN + 1] =
                        realloc(b->broker_locks, (b->n_broker_locks + 1) * sizeof(*n));
                if (!n)
                        return;
                b->broker_locks = n;
                strcpy(b->broker_locks[b->n_broker_locks++], id);
        }
}

static void check_broker_locks(Bridge *b) {
        size_t n = b->n_broker_locks;
        char(*list)[MQTT_LOCK_ID_LEN + 1] = TAKE_PTR(b->broker_locks);

        b->n_broker_locks = 0;
        for (size_t i = 0; i < n; i++)
                bridge_broker_lock_seen(b, list[i]);
        free(list);
}

/* ---- start ----------------------------------------------------------------------------------- */

int bridge_dbus_start(Bridge *b) {
        int r;

        r = sd_bus_match_signal(
                b->bus,
                NULL,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameOwnerChanged",
                on_name_owner_changed,
                b);
        if (r >= 0)
                r = sd_bus_match_signal(
                        b->bus,
                        NULL,
                        TTLOCK_BUS_NAME,
                        TTLOCK_ROOT_PATH,
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesAdded",
                        on_interfaces_added,
                        b);
        if (r >= 0)
                r = sd_bus_match_signal(
                        b->bus,
                        NULL,
                        TTLOCK_BUS_NAME,
                        TTLOCK_ROOT_PATH,
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesRemoved",
                        on_interfaces_removed,
                        b);
        if (r >= 0)
                r = sd_bus_add_match(
                        b->bus,
                        NULL,
                        "type='signal',sender='" TTLOCK_BUS_NAME
                        "',interface='org.freedesktop.DBus.Properties',"
                        "member='PropertiesChanged',path_namespace='" TTLOCK_ROOT_PATH "'",
                        on_properties_changed,
                        b);
        if (r >= 0)
                r = sd_bus_match_signal(
                        b->bus, NULL, TTLOCK_BUS_NAME, NULL, TTLOCK_LOCK_IFACE, "Event", on_event, b);
        if (r >= 0)
                r = sd_bus_match_signal(
                        b->bus,
                        NULL,
                        TTLOCK_BUS_NAME,
                        NULL,
                        TTLOCK_CREDENTIALS_IFACE,
                        "EnrollmentStatus",
                        on_enrollment_status,
                        b);
        if (r < 0)
                return log_error_errno(r, "Cannot watch ttlockd's signals: %m");

        /* Only now ask who owns the name: a change from here on is seen by the match above. */
        r = sd_bus_call_method_async(
                b->bus,
                &b->owner_slot,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                on_get_name_owner,
                b,
                "s",
                TTLOCK_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Cannot ask who owns %s: %m", TTLOCK_BUS_NAME);
        return 0;
}
