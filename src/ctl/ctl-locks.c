/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lock commands: list, info, lock, unlock, refresh, pair, forget, reset, alias. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-table.h"
#include "ctl.h"
#include "string-util.h"

static const char *yes_no(bool b) {
        return b ? _("yes") : _("no");
}

static int compare_locks(const void *a, const void *b) {
        const Value *x = *(Value *const *) a, *y = *(Value *const *) b;

        return strcmp(value_object_get_string(x, "Address", ""), value_object_get_string(y, "Address", ""));
}

/* Every lock's Lock1 properties plus "Path", sorted by address. */
static int collect_locks(sd_bus *bus, Value **ret) {
        _cleanup_value_ Value *locks = NULL;
        char **paths = NULL;
        size_t n = 0;
        int r;

        r = ctl_list_locks(bus, &paths, &n);
        if (r < 0)
                return r;
        locks = value_new_array();
        if (!locks) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n; i++) {
                Value *props = NULL;

                /* A pairable lock may vanish between ListLocks and GetAll when discovery ends. */
                if (ctl_get_all(bus, paths[i], LOCK_IFACE, /* quiet= */ true, &props) < 0)
                        continue;
                r = value_object_set(props, "Path", value_new_string(paths[i]));
                if (r >= 0)
                        r = value_array_append(locks, props);
                else
                        value_free(props);
                if (r < 0)
                        goto finish;
        }
        /* No locks, no array: qsort() must not be handed NULL. */
        if (locks->n_items > 1)
                qsort(locks->items, locks->n_items, sizeof(Value *), compare_locks);
        *ret = TAKE_PTR(locks);
        r = 0;
finish:
        strv_free_n(paths, n);
        return r;
}

static const char *lock_status(const Value *props) {
        if (value_object_get_bool(props, "Paired", false))
                return _("paired");
        if (value_object_get_bool(props, "Pairable", false))
                return _("pairable");
        return _("unpaired");
}

int verb_list(sd_bus *bus, int argc, char **argv) {
        _cleanup_value_ Value *locks = NULL;
        _cleanup_table_ Table *t = NULL;
        const char *headers[] = { _("ADDRESS"), _("NAME"),      _("STATUS"), _("STATE"),
                                  _("BATTERY"), _("CONNECTED"), _("RADIO") };
        int r;

        r = collect_locks(bus, &locks);
        if (r < 0)
                return r;

        if (arg_json) {
                value_dump_json(locks, stdout);
                fputc('\n', stdout);
                return 0;
        }

        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return -ENOMEM;
        table_set_header(t, arg_legend);
        table_set_align_right(t, 4, true);
        for (size_t i = 0; i < locks->n_items; i++) {
                const Value *l = locks->items[i];
                const char *alias = value_object_get_string(l, "Alias", "");
                char battery[16], radio[64];

                snprintf(battery, sizeof(battery), "%" PRIu64 "%%", value_object_get_uint(l, "Battery", 0));
                r = table_add_row(
                        t,
                        (const char *[]){
                                value_object_get_string(l, "Address", ""),
                                *alias ? alias : value_object_get_string(l, "Name", ""),
                                lock_status(l),
                                value_object_get_string(l, "State", ""),
                                value_object_get_bool(l, "Paired", false) ? battery : "",
                                yes_no(value_object_get_bool(l, "Connected", false)),
                                ctl_radio_name(
                                        value_object_get_string(l, "Radio", "/"), radio, sizeof(radio)),
                        });
                if (r < 0)
                        return r;
        }
        if (table_get_rows(t) == 0) {
                if (arg_legend)
                        puts(_("No locks known. Put a lock into pairing mode and run \"ttlockctl pair\"."));
                return 0;
        }
        return table_print(t, stdout);
}

/* Labels are indented here, not in the translatable strings. */
static int info_add(Table *t, const char *label, const char *value) {
        char indented[128];

        snprintf(indented, sizeof(indented), "  %s", label);
        return table_add_row(t, (const char *[]){ indented, value });
}

/* Whether Lock1.Features lists name. */
static bool has_feature(const Value *p, const char *name) {
        const Value *features = value_object_get(p, "Features");

        if (!features || features->type != VALUE_ARRAY)
                return false;
        for (size_t i = 0; i < features->n_items; i++)
                if (features->items[i]->type == VALUE_STRING && streq(features->items[i]->s, name))
                        return true;
        return false;
}

static int print_info(const char *path, const Value *p, bool have_settings) {
        _cleanup_table_ Table *t = NULL;
        char buf[1024], ts[64];
        const Value *features;
        uint64_t u;
        int r = 0;

        t = table_new(2, (const char *[]){ "", "" });
        if (!t)
                return -ENOMEM;
        table_set_header(t, false);

        printf("%s\n", path);
        r = r ?: info_add(t, _("Address:"), value_object_get_string(p, "Address", ""));
        r = r ?: info_add(t, _("Name:"), value_object_get_string(p, "Name", ""));
        r = r ?: info_add(t, _("Alias:"), value_object_get_string(p, "Alias", ""));
        r = r ?: info_add(t, _("Model:"), value_object_get_string(p, "Model", ""));
        r = r ?: info_add(t, _("Hardware:"), value_object_get_string(p, "HardwareRevision", ""));
        r = r ?: info_add(t, _("Firmware:"), value_object_get_string(p, "FirmwareRevision", ""));
        r = r ?: info_add(t, _("Paired:"), yes_no(value_object_get_bool(p, "Paired", false)));
        r = r ?: info_add(t, _("Pairable:"), yes_no(value_object_get_bool(p, "Pairable", false)));
        r = r ?: info_add(t, _("Connected:"), yes_no(value_object_get_bool(p, "Connected", false)));
        if (value_object_get(p, "Rssi") && value_object_get(p, "Rssi")->type == VALUE_INT) {
                snprintf(buf, sizeof(buf), "%" PRId64 " dBm", value_object_get(p, "Rssi")->i);
                r = r ?: info_add(t, _("Signal:"), buf);
        }
        r = r
                ?: info_add(
                           t,
                           _("Radio:"),
                           ctl_radio_name(value_object_get_string(p, "Radio", "/"), ts, sizeof(ts)));
        r = r
                ?: info_add(
                           t,
                           _("Heard by:"),
                           ctl_radio_rssi(value_object_get(p, "RadioRssi"), buf, sizeof(buf)));
        r = r
                ?: info_add(
                           t,
                           _("Last seen:"),
                           format_timestamp(
                                   value_object_get_uint(p, "LastSeenUSec", 0), true, ts, sizeof(ts)));
        snprintf(buf, sizeof(buf), "%" PRIu64 "%%", value_object_get_uint(p, "Battery", 0));
        r = r ?: info_add(t, _("Battery:"), buf);
        u = value_object_get_uint(p, "StateUpdatedUSec", 0);
        if (u > 0)
                snprintf(
                        buf,
                        sizeof(buf),
                        _("%s (seen %s)"),
                        value_object_get_string(p, "State", ""),
                        format_timestamp(u, true, ts, sizeof(ts)));
        else
                snprintf(buf, sizeof(buf), "%s", value_object_get_string(p, "State", ""));
        r = r ?: info_add(t, _("State:"), buf);
        /* The door sensor, on locks that have one (Lock1.DoorOpen). */
        if (has_feature(p, "door-sensor") || has_feature(p, "magnetometer")) {
                const char *door = value_object_get_bool(p, "DoorOpen", false) ? _("open") : _("closed");

                u = value_object_get_uint(p, "DoorStateUpdatedUSec", 0);
                if (u > 0)
                        snprintf(
                                buf,
                                sizeof(buf),
                                _("%s (seen %s)"),
                                door,
                                format_timestamp(u, true, ts, sizeof(ts)));
                else
                        snprintf(buf, sizeof(buf), "%s", _("unknown"));
                r = r ?: info_add(t, _("Door:"), buf);
        }
        u = value_object_get_uint(p, "AutoLockSeconds", 0);
        if (u > 0)
                snprintf(buf, sizeof(buf), _("after %" PRIu64 " s"), u);
        else
                snprintf(buf, sizeof(buf), "%s", _("off"));
        r = r ?: info_add(t, _("Auto-lock:"), buf);

        buf[0] = 0;
        features = value_object_get(p, "Features");
        if (features && features->type == VALUE_ARRAY)
                for (size_t i = 0; i < features->n_items; i++)
                        if (features->items[i]->type == VALUE_STRING &&
                            strlen(buf) + strlen(features->items[i]->s) + 3 < sizeof(buf)) {
                                if (i > 0)
                                        strcat(buf, ", ");
                                strcat(buf, features->items[i]->s);
                        }
        r = r ?: info_add(t, _("Features:"), buf);
        /* Whose keys ttlockd holds: an eKey ("user") opens and closes, and manages nothing. */
        if (*value_object_get_string(p, "Role", ""))
                r = r ?: info_add(t, _("Role:"), value_object_get_string(p, "Role", ""));

        /* Link health (Lock1, ttlockd(8) "LINK HEALTH AND CONNECTIONS"). */
        r = r ?: info_add(t, _("Reachable:"), yes_no(value_object_get_bool(p, "Reachable", false)));
        features = value_object_get(p, "RecentConnects");
        if (features && features->type == VALUE_ARRAY && features->n_items == 2 &&
            features->items[0]->type == VALUE_UINT && features->items[1]->type == VALUE_UINT) {
                if (features->items[1]->u > 0)
                        snprintf(
                                buf,
                                sizeof(buf),
                                _("%" PRIu64 " of the last %" PRIu64 " worked"),
                                features->items[0]->u,
                                features->items[1]->u);
                else
                        snprintf(buf, sizeof(buf), "%s", _("none yet"));
                r = r ?: info_add(t, _("Connects:"), buf);
        }
        if (*value_object_get_string(p, "LastConnectError", ""))
                r = r
                        ?: info_add(
                                   t,
                                   _("Last connect error:"),
                                   value_object_get_string(p, "LastConnectError", ""));
        u = value_object_get_uint(p, "ConnectBackoffUntilUSec", 0);
        if (u > 0) {
                snprintf(
                        buf,
                        sizeof(buf),
                        _("own connections wait until %s"),
                        format_timestamp(u, true, ts, sizeof(ts)));
                r = r ?: info_add(t, _("Backing off:"), buf);
        }

        /* Lock1.PairingPending: what a dropped link left of the pairing, done at the next connections. */
        buf[0] = 0;
        features = value_object_get(p, "PairingPending");
        if (features && features->type == VALUE_ARRAY && features->n_items > 0) {
                for (size_t i = 0; i < features->n_items; i++)
                        if (features->items[i]->type == VALUE_STRING &&
                            strlen(buf) + strlen(features->items[i]->s) + 3 < sizeof(buf)) {
                                if (i > 0)
                                        strcat(buf, ", ");
                                strcat(buf, features->items[i]->s);
                        }
                r = r ?: info_add(t, _("Pairing to do:"), buf);
        }

        if (have_settings) {
                bool sound = value_object_get_bool(p, "SoundEnabled", false);
                uint64_t volume = value_object_get_uint(p, "SoundVolume", 0);
                const Value *offset = value_object_get(p, "ClockOffsetSeconds");

                if (sound && volume > 0)
                        snprintf(buf, sizeof(buf), _("on, volume %" PRIu64), volume);
                else
                        snprintf(buf, sizeof(buf), "%s", sound ? _("on") : _("off"));
                r = r ?: info_add(t, _("Sound:"), buf);
                r = r
                        ?: info_add(
                                   t,
                                   _("Remote unlock:"),
                                   yes_no(value_object_get_bool(p, "RemoteUnlock", false)));
                r = r
                        ?: info_add(
                                   t,
                                   _("Tamper alert:"),
                                   yes_no(value_object_get_bool(p, "TamperAlert", false)));
                r = r
                        ?: info_add(
                                   t,
                                   _("Privacy lock:"),
                                   yes_no(value_object_get_bool(p, "PrivacyLock", false)));
                r = r
                        ?: info_add(
                                   t,
                                   _("Reset button:"),
                                   yes_no(value_object_get_bool(p, "ResetButton", false)));
                if (offset && offset->type == VALUE_INT) {
                        snprintf(buf, sizeof(buf), "%+" PRId64 " s", offset->i);
                        r = r ?: info_add(t, _("Clock offset:"), buf);
                }
                if (has_feature(p, "passage-mode"))
                        r = r
                                ?: info_add(
                                           t,
                                           _("Passage now:"),
                                           yes_no(value_object_get_bool(p, "PassageModeActive", false)));
                if (has_feature(p, "freeze"))
                        r = r
                                ?: info_add(
                                           t,
                                           _("Frozen:"),
                                           yes_no(value_object_get_bool(p, "Frozen", false)));
                if (has_feature(p, "door-sensor") || has_feature(p, "magnetometer")) {
                        u = value_object_get_uint(p, "DoorLeftOpenSeconds", 0);
                        if (u > 0)
                                snprintf(buf, sizeof(buf), _("after %" PRIu64 " s"), u);
                        else
                                snprintf(buf, sizeof(buf), "%s", _("never"));
                        r = r ?: info_add(t, _("Door left open:"), buf);
                }
                if (streq_ptr(value_object_get_string(p, "ConnectionPolicy", NULL), "keep-alive"))
                        snprintf(
                                buf,
                                sizeof(buf),
                                _("keep-alive, %" PRIu64 " s"),
                                value_object_get_uint(p, "KeepAliveSeconds", 0));
                else
                        snprintf(buf, sizeof(buf), "%s", value_object_get_string(p, "ConnectionPolicy", ""));
                if (buf[0])
                        r = r ?: info_add(t, _("Connection:"), buf);
        }
        if (r < 0)
                return r;
        return table_print(t, stdout);
}

int verb_info(sd_bus *bus, int argc, char **argv) {
        _cleanup_value_ Value *props = NULL, *settings = NULL;
        _cleanup_free_ char *path = NULL;
        bool have_settings = false;
        int r;

        r = ctl_resolve_lock(bus, argv[0], &path);
        if (r < 0)
                return r;
        r = ctl_get_all(bus, path, LOCK_IFACE, /* quiet= */ false, &props);
        if (r < 0)
                return r;

        /* Settings1 exists on paired locks only; its properties need no authorization. */
        if (value_object_get_bool(props, "Paired", false) &&
            ctl_get_all(bus, path, SETTINGS_IFACE, /* quiet= */ true, &settings) >= 0) {
                have_settings = true;
                r = value_object_merge(props, TAKE_PTR(settings));
                if (r < 0)
                        return r;
        }

        if (arg_json) {
                r = value_object_set(props, "Path", value_new_string(path));
                if (r < 0)
                        return r;
                value_dump_json(props, stdout);
                fputc('\n', stdout);
                return 0;
        }
        return print_info(path, props, have_settings);
}

static int simple_lock_call(sd_bus *bus, const char *spec, const char *member, uint64_t timeout) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        return ctl_call(bus, path, LOCK_IFACE, member, timeout, NULL, NULL);
}

int verb_lock(sd_bus *bus, int argc, char **argv) {
        return simple_lock_call(bus, argv[0], "Lock", 0);
}

int verb_unlock(sd_bus *bus, int argc, char **argv) {
        return simple_lock_call(bus, argv[0], "Unlock", 0);
}

int verb_refresh(sd_bus *bus, int argc, char **argv) {
        return simple_lock_call(bus, argv[0], "Refresh", 0);
}

int verb_forget(sd_bus *bus, int argc, char **argv) {
        return simple_lock_call(bus, argv[0], "Forget", 0);
}

int verb_reset(sd_bus *bus, int argc, char **argv) {
        /* FactoryReset talks to the lock like Pair does; the same bound applies. */
        return simple_lock_call(bus, argv[0], "FactoryReset", PAIR_TIMEOUT_USEC);
}

int verb_alias(sd_bus *bus, int argc, char **argv) {
        _cleanup_value_ Value *props = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_lock(bus, argv[0], &path);
        if (r < 0)
                return r;
        if (argc > 1)
                return ctl_call(bus, path, LOCK_IFACE, "SetAlias", 0, NULL, "s", argv[1]);

        r = ctl_get_all(bus, path, LOCK_IFACE, /* quiet= */ false, &props);
        if (r < 0)
                return r;
        printf("%s\n", value_object_get_string(props, "Alias", ""));
        return 0;
}

/* pair: StartDiscovery, wait for a lock with Pairable=true (the first, or the one named), Pair(),
 * StopDiscovery. The lock named may not exist yet as an object: it appears when discovery sees it,
 * so LOCK is matched against each candidate rather than resolved first. */
typedef struct PairContext {
        sd_bus *bus;
        sd_event *event;
        DaemonWatch watch;
        const char *spec;
        char *found;
        int result;
} PairContext;

static void pair_finish(PairContext *c, int result) {
        if (c->result == 0)
                c->result = result;
        (void) sd_event_exit(c->event, 0);
}

static int pair_consider(PairContext *c, const char *path) {
        _cleanup_value_ Value *props = NULL;
        char addr[BT_ADDRESS_SIZE];

        if (c->found || ctl_get_all(c->bus, path, LOCK_IFACE, /* quiet= */ true, &props) < 0)
                return 0;
        if (!value_object_get_bool(props, "Pairable", false) ||
            value_object_get_bool(props, "Paired", false))
                return 0;
        if (c->spec &&
            !lock_spec_matches(
                    c->spec,
                    path,
                    value_object_get_string(props, "Address", NULL),
                    value_object_get_string(props, "Alias", NULL)))
                return 0;

        c->found = strdup(path);
        if (!c->found) {
                pair_finish(c, -ENOMEM);
                return 0;
        }
        printf(_("Found %s (%s).\n"),
               lock_display_name(path, addr),
               value_object_get_string(props, "Name", ""));
        pair_finish(c, 0);
        return 0;
}

static int on_pair_lock_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PairContext *c = userdata;
        const char *path;

        if (!daemon_watch_is_from_daemon(&c->watch, m) || sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        return pair_consider(c, path);
}

static int on_pair_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PairContext *c = userdata;
        _cleanup_value_ Value *changed = NULL;
        const char *iface, *path = sd_bus_message_get_path(m);

        if (!daemon_watch_is_from_daemon(&c->watch, m) || !path || sd_bus_message_read(m, "s", &iface) < 0 ||
            bus_message_read_value(m, &changed) < 0)
                return 0;

        if (strcmp(iface, MANAGER_IFACE) == 0) {
                Value *d = value_object_get(changed, "Discovering");

                if (d && d->type == VALUE_BOOL && !d->b && !c->found)
                        pair_finish(
                                c,
                                ctl_error(
                                        -ETIMEDOUT,
                                        _("Discovery ended without finding a lock in pairing mode.")));
                return 0;
        }
        if (strcmp(iface, LOCK_IFACE) == 0 && value_object_get_bool(changed, "Pairable", false))
                return pair_consider(c, path);
        return 0;
}

static int on_pair_daemon_change(DaemonWatch *w, void *userdata) {
        PairContext *c = userdata;

        if (!w->owner)
                pair_finish(c, ctl_error(-ECONNRESET, _("ttlockd left the bus.")));
        return 0;
}

static int on_pair_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        pair_finish(userdata, -EINTR);
        return 0;
}

static int on_pair_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        pair_finish(userdata, ctl_error(-ETIMEDOUT, _("No lock in pairing mode was found.")));
        return 0;
}

/* ttlockd stops discovery by itself after 60 s (Manager1.StartDiscovery); wait a little longer for its
 * Discovering=false, but not forever if it never says so. */
#define PAIR_DISCOVERY_WAIT_USEC (65 * USEC_PER_SEC)

int verb_pair(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *s1 = NULL, *s2 = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        PairContext c = { .bus = bus, .spec = argc > 0 ? argv[0] : NULL };
        bool started = false;
        char **paths = NULL, addr[BT_ADDRESS_SIZE];
        size_t n = 0;
        uint64_t now;
        LockSpecType type;
        int r;

        if (c.spec && lock_spec_classify(c.spec, &type) < 0)
                return ctl_error(
                        -EINVAL, _("\"%s\" is neither an address, an alias nor an object path."), c.spec);

        r = ctl_event_new(bus, on_pair_signal, &c, &event);
        if (r < 0)
                return r;
        c.event = event;
        c.watch.on_change = on_pair_daemon_change;
        c.watch.userdata = &c;

        /* Matches first, then the calls: nothing that happens in between is missed. */
        r = sd_bus_match_signal(
                bus, &s1, NULL, MANAGER_PATH, MANAGER_IFACE, "LockAdded", on_pair_lock_added, &c);
        if (r >= 0)
                r = sd_bus_add_match(
                        bus,
                        &s2,
                        "type='signal',interface='org.freedesktop.DBus.Properties',"
                        "member='PropertiesChanged',path_namespace='/org/ttlock'",
                        on_pair_properties_changed,
                        &c);
        if (r < 0) {
                r = ctl_error(r, _("Failed to watch the bus: %s"), strerror(-r));
                goto finish;
        }

        r = ctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "StartDiscovery", 0, NULL, NULL);
        if (r == -EBUSY)
                /* InProgress: someone else is discovering; the locks it finds are ours to pair too. */
                printf(_("Discovery is already running.\n"));
        else if (r < 0)
                goto finish;
        else
                started = true;
        /* daemon_watch after StartDiscovery: the call may have started ttlockd by D-Bus activation. */
        r = daemon_watch_start(bus, &c.watch);
        if (r < 0)
                goto finish;

        if (c.spec)
                printf(_("Waiting for %s to be in pairing mode (touch its keypad)...\n"), c.spec);
        else
                printf(_("Waiting for a lock in pairing mode (touch its keypad)...\n"));
        fflush(stdout);

        /* A lock already seen as pairable before we started counts as well. */
        r = ctl_list_locks(bus, &paths, &n);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < n && !c.found; i++)
                pair_consider(&c, paths[i]);
        strv_free_n(paths, n);

        if (!c.found && c.result == 0) {
                r = sd_event_now(event, CLOCK_MONOTONIC, &now);
                if (r >= 0)
                        r = sd_event_add_time(
                                event,
                                NULL,
                                CLOCK_MONOTONIC,
                                now + PAIR_DISCOVERY_WAIT_USEC,
                                0,
                                on_pair_timeout,
                                &c);
                if (r >= 0)
                        r = sd_event_loop(event);
                if (r < 0) {
                        r = ctl_error(r, _("Event loop failed: %s"), strerror(-r));
                        goto finish;
                }
        }
        r = c.result;
        if (r < 0 || !c.found)
                goto finish;

        printf(_("Pairing with %s...\n"), lock_display_name(c.found, addr));
        fflush(stdout);
        r = ctl_call(bus, c.found, LOCK_IFACE, "Pair", PAIR_TIMEOUT_USEC, NULL, NULL);
        if (r >= 0)
                printf(_("Paired %s (%s).\n"), lock_display_name(c.found, addr), c.found);

finish:
        if (started) {
                /* Best effort: discovery also stops when we leave the bus. */
                int q = sd_bus_call_method(
                        bus,
                        TTLOCK_BUS_NAME,
                        MANAGER_PATH,
                        MANAGER_IFACE,
                        "StopDiscovery",
                        &error,
                        NULL,
                        NULL);
                if (q < 0 && r >= 0)
                        r = ctl_bus_error(&error, q);
        }
        daemon_watch_done(&c.watch);
        free(c.found);
        ctl_event_done(bus);
        return r;
}
