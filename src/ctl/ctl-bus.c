/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus side of ttlockctl: connecting, calling ttlockd, reading replies into Value trees and
 * finding the lock a LOCK argument names. Everything here goes through the D-Bus API of
 * dbus/org.ttlock.*.xml only. */

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-errors.h"
#include "ctl.h"

int ctl_bus_open(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = ctl_error_map_register();
        if (r < 0)
                return ctl_error(r, _("Failed to register D-Bus error names: %s"), strerror(-r));

        /* -ENOTCONN whatever the cause: a missing socket is -ENOENT, which must not read as "no such
         * lock" in the exit code. */
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return ctl_error(-ENOTCONN, _("Failed to connect to the system bus: %s"), strerror(-r));

        /* Let polkit ask for a password (through an agent) unless told not to, as busctl does. */
        r = sd_bus_set_allow_interactive_authorization(bus, arg_ask_password);
        if (r < 0)
                return ctl_error(r, _("Failed to set interactive authorization: %s"), strerror(-r));

        *ret = TAKE_PTR(bus);
        return 0;
}

int ctl_call(
        sd_bus *bus,
        const char *path,
        const char *iface,
        const char *member,
        uint64_t timeout_usec,
        sd_bus_message **ret_reply,
        const char *types,
        ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, TTLOCK_BUS_NAME, path, iface, member);
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        if (types) {
                va_list ap;

                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        }

        r = sd_bus_call(bus, m, timeout_usec, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);

        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

static int read_basic_value(sd_bus_message *m, char type, Value **ret) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                const char *s;
        } u;
        Value *v;
        int r;

        r = sd_bus_message_read_basic(m, type, &u);
        if (r < 0)
                return r;
        switch (type) {
        case SD_BUS_TYPE_BYTE:
                v = value_new_uint(u.y);
                break;
        case SD_BUS_TYPE_BOOLEAN:
                v = value_new_bool(u.b);
                break;
        case SD_BUS_TYPE_INT16:
                v = value_new_int(u.n);
                break;
        case SD_BUS_TYPE_UINT16:
                v = value_new_uint(u.q);
                break;
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UNIX_FD:
                v = value_new_int(u.i);
                break;
        case SD_BUS_TYPE_UINT32:
                v = value_new_uint(u.u);
                break;
        case SD_BUS_TYPE_INT64:
                v = value_new_int(u.x);
                break;
        case SD_BUS_TYPE_UINT64:
                v = value_new_uint(u.t);
                break;
        case SD_BUS_TYPE_DOUBLE:
                v = value_new_double(u.d);
                break;
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH:
        case SD_BUS_TYPE_SIGNATURE:
                v = value_new_string(u.s);
                break;
        default:
                return -EBADMSG;
        }
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

/* Dictionary keys become JSON object keys: strings as they are, numbers in decimal. */
static int read_dict_entry(sd_bus_message *m, const char *contents, Value *object) {
        _cleanup_value_ Value *key = NULL, *val = NULL;
        char buf[32];
        const char *k;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, contents);
        if (r < 0)
                return r;
        r = read_basic_value(m, contents[0], &key);
        if (r < 0)
                return r;
        r = bus_message_read_value(m, &val);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        if (key->type == VALUE_STRING)
                k = key->s;
        else if (key->type == VALUE_INT)
                k = (snprintf(buf, sizeof(buf), "%lld", (long long) key->i), buf);
        else if (key->type == VALUE_UINT)
                k = (snprintf(buf, sizeof(buf), "%llu", (unsigned long long) key->u), buf);
        else
                k = key->b ? "true" : "false";
        return value_object_set(object, k, TAKE_PTR(val));
}

int bus_message_read_value(sd_bus_message *m, Value **ret) {
        _cleanup_value_ Value *v = NULL;
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO;

        switch (type) {
        case SD_BUS_TYPE_VARIANT:
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                r = bus_message_read_value(m, &v);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                break;

        case SD_BUS_TYPE_ARRAY:
        case SD_BUS_TYPE_STRUCT: {
                bool dict = type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN;

                v = dict ? value_new_object() : value_new_array();
                if (!v)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                for (;;) {
                        char t;
                        const char *c;

                        r = sd_bus_message_peek_type(m, &t, &c);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        if (t == SD_BUS_TYPE_DICT_ENTRY)
                                r = read_dict_entry(m, c, v);
                        else {
                                Value *child = NULL;

                                r = bus_message_read_value(m, &child);
                                if (r >= 0)
                                        r = value_array_append(v, child);
                        }
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                break;
        }

        default:
                r = read_basic_value(m, type, &v);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(v);
        return 0;
}

int ctl_get_all(sd_bus *bus, const char *path, const char *iface, bool quiet, Value **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        Value *v;
        int r;

        r = sd_bus_call_method(
                bus,
                TTLOCK_BUS_NAME,
                path,
                "org.freedesktop.DBus.Properties",
                "GetAll",
                &error,
                &reply,
                "s",
                iface);
        if (r < 0)
                return quiet ? r : ctl_bus_error(&error, r);
        r = bus_message_read_value(reply, &v);
        if (r < 0)
                return ctl_error(r, _("Failed to parse the properties of %s: %s"), path, strerror(-r));
        if (v->type != VALUE_OBJECT) {
                value_free(v);
                return ctl_error(
                        -EBADMSG, _("Failed to parse the properties of %s: %s"), path, strerror(EBADMSG));
        }
        *ret = v;
        return 0;
}

void strv_free_n(char **v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int ctl_list_locks(sd_bus *bus, char ***ret_paths, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char **paths = NULL;
        size_t n = 0;
        const char *p;
        int r;

        r = ctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "ListLocks", 0, &reply, NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "o");
        if (r < 0)
                goto fail;
        while ((r = sd_bus_message_read_basic(reply, SD_BUS_TYPE_OBJECT_PATH, &p)) > 0) {
                char **a = realloc(paths, (n + 1) * sizeof(char *));

                if (!a) {
                        r = -ENOMEM;
                        goto fail;
                }
                paths = a;
                paths[n] = strdup(p);
                if (!paths[n]) {
                        r = -ENOMEM;
                        goto fail;
                }
                n++;
        }
        if (r < 0)
                goto fail;
        *ret_paths = paths;
        *ret_n = n;
        return 0;

fail:
        strv_free_n(paths, n);
        return ctl_error(r, _("Failed to parse the list of locks: %s"), strerror(-r));
}

const char *lock_display_name(const char *path, char *buf) {
        return lock_path_to_address(path, buf) >= 0 ? buf : path;
}

static int resolve_alias(sd_bus *bus, const char *alias, char **ret_path) {
        char **paths = NULL, *found = NULL;
        size_t n = 0, matches = 0;
        int r;

        r = ctl_list_locks(bus, &paths, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_value_ Value *props = NULL;

                /* A lock that vanished between ListLocks and GetAll is simply not a match. */
                if (ctl_get_all(bus, paths[i], LOCK_IFACE, /* quiet= */ true, &props) < 0)
                        continue;
                if (lock_spec_matches(
                            alias,
                            paths[i],
                            value_object_get_string(props, "Address", NULL),
                            value_object_get_string(props, "Alias", NULL))) {
                        matches++;
                        if (!found)
                                found = paths[i];
                }
        }

        if (matches == 0)
                r = ctl_error(-ENOENT, _("No lock has the address, alias or path \"%s\"."), alias);
        else if (matches > 1)
                r = ctl_error(
                        -EINVAL,
                        _("Several locks have the alias \"%s\"; name the lock by its address."),
                        alias);
        else {
                *ret_path = strdup(found);
                r = *ret_path ? 0 : -ENOMEM;
        }
        strv_free_n(paths, n);
        return r;
}

int ctl_resolve_lock(sd_bus *bus, const char *spec, char **ret_path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        LockSpecType type;
        const char *p;
        char *copy;
        int r;

        r = lock_spec_classify(spec, &type);
        if (r < 0)
                return ctl_error(r, _("\"%s\" is neither an address, an alias nor an object path."), spec);

        switch (type) {
        case LOCK_SPEC_PATH:
                copy = strdup(spec);
                if (!copy)
                        return -ENOMEM;
                *ret_path = copy;
                return 0;

        case LOCK_SPEC_ADDRESS:
                r = ctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "GetLockByAddress", 0, &reply, "s", spec);
                if (r < 0)
                        return r;
                r = sd_bus_message_read(reply, "o", &p);
                if (r < 0)
                        return ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
                copy = strdup(p);
                if (!copy)
                        return -ENOMEM;
                *ret_path = copy;
                return 0;

        case LOCK_SPEC_ALIAS:
                return resolve_alias(bus, spec, ret_path);
        }
        return -EINVAL;
}

int ctl_event_new(sd_bus *bus, sd_event_signal_handler_t on_signal, void *userdata, sd_event **ret) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        sigset_t mask;
        int r;

        /* sd-event delivers signals through a signalfd, which needs them blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return ctl_error(-errno, _("Failed to block signals: %s"), strerror(errno));

        r = sd_event_new(&e);
        if (r < 0)
                return ctl_error(r, _("Failed to create an event loop: %s"), strerror(-r));
        r = sd_event_add_signal(e, NULL, SIGINT, on_signal, userdata);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, userdata);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, SD_EVENT_PRIORITY_NORMAL);
        /* An attached bus is flushed and closed when the loop exits; ours outlives the loop (pair
         * waits for a pairable lock, then calls Pair() on the same connection). */
        if (r >= 0)
                r = sd_bus_set_close_on_exit(bus, false);
        if (r < 0)
                return ctl_error(r, _("Failed to create an event loop: %s"), strerror(-r));

        *ret = TAKE_PTR(e);
        return 0;
}

void ctl_event_done(sd_bus *bus) {
        sigset_t mask;

        (void) sd_bus_detach_event(bus);
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        (void) sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        DaemonWatch *w = userdata;
        const char *name, *old_owner, *new_owner;
        char *copy = NULL;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, TTLOCK_BUS_NAME) != 0)
                return 0;
        if (*new_owner) {
                copy = strdup(new_owner);
                if (!copy)
                        return -ENOMEM;
        }
        free(w->owner);
        w->owner = copy;
        if (w->on_change)
                return w->on_change(w, w->userdata);
        return 0;
}

int daemon_watch_start(sd_bus *bus, DaemonWatch *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        int r;

        r = sd_bus_match_signal(
                bus,
                &w->slot,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameOwnerChanged",
                on_name_owner_changed,
                w);
        if (r < 0)
                return ctl_error(r, _("Failed to watch the bus: %s"), strerror(-r));

        /* After the match, so that no change falls between the two. No owner is fine: ttlockd may
         * be started later (D-Bus activation starts it at the first call). */
        r = sd_bus_call_method(
                bus,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                NULL,
                &reply,
                "s",
                TTLOCK_BUS_NAME);
        if (r >= 0 && sd_bus_message_read(reply, "s", &owner) >= 0) {
                free(w->owner);
                w->owner = strdup(owner);
                if (!w->owner)
                        return -ENOMEM;
        }
        return 0;
}

void daemon_watch_done(DaemonWatch *w) {
        w->slot = sd_bus_slot_unref(w->slot);
        w->owner = mfree(w->owner);
}

bool daemon_watch_is_from_daemon(const DaemonWatch *w, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);

        /* Signals are matched without sender= and checked here against the unique name that owns
         * org.ttlock.Manager: anyone on the bus may emit a signal named "Event". */
        return w->owner && sender && strcmp(w->owner, sender) == 0;
}
