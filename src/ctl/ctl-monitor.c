/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor: what happens at the locks as it happens, one line per thing (or one JSON object per
 * line with --json): Event, PropertiesChanged of State/Battery/Connected/DoorOpen, EnrollmentStatus,
 * LockAdded/LockRemoved, and ttlockd itself coming and going. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "string-util.h"

typedef struct MonitorContext {
        sd_bus *bus;
        sd_event *event;
        DaemonWatch watch;
        /* Subscribed to the details (Manager1.SubscribeDetails): Events and EnrollmentStatus are read
         * from the copies addressed to us, with card numbers and fingerprint ids; else from the
         * broadcast, which has none (dbus/org.ttlock.Lock1.xml "Event"). */
        bool details;
        char *filter; /* object path of the one lock to show, or NULL */
        int result;
} MonitorContext;

/* Strings as they are unless they need quotes to stay one word; values of *-usec keys as times. */
static void print_plain_value(const char *key, const Value *v) {
        char buf[64];

        if (v->type == VALUE_UINT && key && strendswith(key, "-usec")) {
                fputs(format_timestamp(v->u, true, buf, sizeof(buf)), stdout);
                return;
        }
        if (v->type == VALUE_STRING && *v->s && !strpbrk(v->s, " \t\n\"\\=")) {
                bool ctrl = false;

                for (const char *p = v->s; *p; p++)
                        ctrl = ctrl || (unsigned char) *p < 0x20 || *p == 0x7f;
                if (!ctrl) {
                        fputs(v->s, stdout);
                        return;
                }
        }
        /* JSON notation quotes and escapes: no control characters reach the terminal. */
        value_dump_json(v, stdout);
}

/* One record: JSON line or "TIME  LOCK  WHAT…". */
static void emit(const char *path, Value *record, const char *text) {
        char ts[64], addr[BT_ADDRESS_SIZE];
        uint64_t now = now_realtime_usec();

        if (arg_json) {
                if (value_object_set(record, "time-usec", value_new_uint(now)) < 0)
                        return;
                if (path && value_object_set(record, "path", value_new_string(path)) < 0)
                        return;
                if (path && lock_path_to_address(path, addr) >= 0 &&
                    value_object_set(record, "address", value_new_string(addr)) < 0)
                        return;
                value_dump_json(record, stdout);
                fputc('\n', stdout);
        } else {
                printf("%s  %s  %s",
                       format_timestamp(now, true, ts, sizeof(ts)),
                       path ? lock_display_name(path, addr) : "ttlockd",
                       text);
        }
}

static bool wanted(MonitorContext *c, sd_bus_message *m) {
        const char *path = sd_bus_message_get_path(m);

        if (!daemon_watch_is_from_daemon(&c->watch, m))
                return false;
        return !c->filter || (path && strcmp(path, c->filter) == 0);
}

/* Event and EnrollmentStatus come twice to a subscriber: its copy, and the broadcast. One of them. */
static bool wanted_copy(MonitorContext *c, sd_bus_message *m) {
        return wanted(c, m) && c->details == !!sd_bus_message_get_destination(m);
}

/* Ask for the details when allowed (org.ttlock.manage, without asking for a password: monitor is a
 * passive command); otherwise show what everyone sees. */
static void subscribe_details(MonitorContext *c) {
        sd_bus_message *reply = NULL;

        c->details = sd_bus_call_method(c->bus, TTLOCK_BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SubscribeDetails",
                                        NULL, &reply, NULL) >= 0;
        sd_bus_message_unref(reply);
}

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        MonitorContext *c = userdata;
        _cleanup_value_ Value *record = NULL, *details = NULL;
        const char *kind;

        if (!wanted_copy(c, m) || sd_bus_message_read(m, "s", &kind) < 0 ||
            bus_message_read_value(m, &details) < 0 || details->type != VALUE_OBJECT)
                return 0;

        record = value_new_object();
        if (!record || value_object_set(record, "type", value_new_string("event")) < 0 ||
            value_object_set(record, "kind", value_new_string(kind)) < 0)
                return -ENOMEM;

        if (!arg_json) {
                emit(sd_bus_message_get_path(m), record, "");
                printf(_("event %s"), kind);
                for (size_t i = 0; i < details->n_items; i++) {
                        printf(" %s=", details->keys[i]);
                        print_plain_value(details->keys[i], details->items[i]);
                }
                fputc('\n', stdout);
        } else {
                if (value_object_set(record, "details", TAKE_PTR(details)) < 0)
                        return -ENOMEM;
                emit(sd_bus_message_get_path(m), record, NULL);
        }
        fflush(stdout);
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        static const char *const shown[] = { "State", "Battery", "Connected", "DoorOpen" };
        MonitorContext *c = userdata;
        _cleanup_value_ Value *changed = NULL;
        const char *iface;

        if (!wanted(c, m) || sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, LOCK_IFACE) != 0 ||
            bus_message_read_value(m, &changed) < 0)
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(shown); i++) {
                _cleanup_value_ Value *record = NULL;
                Value *v = value_object_get(changed, shown[i]);
                char text[256];

                if (!v)
                        continue;
                if (v->type == VALUE_STRING)
                        snprintf(text, sizeof(text), _("state %s\n"), v->s);
                else if (v->type == VALUE_UINT)
                        snprintf(text, sizeof(text), _("battery %" PRIu64 "%%\n"), v->u);
                else if (v->type == VALUE_BOOL && streq(shown[i], "DoorOpen"))
                        snprintf(text, sizeof(text), "%s\n", v->b ? _("door open") : _("door closed"));
                else if (v->type == VALUE_BOOL)
                        snprintf(text, sizeof(text), "%s\n", v->b ? _("connected") : _("disconnected"));
                else
                        continue;

                record = value_new_object();
                if (!record || value_object_set(record, "type", value_new_string("property")) < 0 ||
                    value_object_set(record, "property", value_new_string(shown[i])) < 0)
                        return -ENOMEM;
                /* A copy: v belongs to changed. */
                if (value_object_set(
                            record,
                            "value",
                            v->type == VALUE_STRING         ? value_new_string(v->s)
                                    : v->type == VALUE_UINT ? value_new_uint(v->u)
                                                            : value_new_bool(v->b)) < 0)
                        return -ENOMEM;
                emit(sd_bus_message_get_path(m), record, text);
        }
        fflush(stdout);
        return 0;
}

static int on_enrollment_status(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        MonitorContext *c = userdata;
        _cleanup_value_ Value *record = NULL;
        const char *kind, *status, *id;
        uint32_t done, total;
        char text[256];

        if (!wanted_copy(c, m) || sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;

        record = value_new_object();
        if (!record || value_object_set(record, "type", value_new_string("enrollment")) < 0 ||
            value_object_set(record, "kind", value_new_string(kind)) < 0 ||
            value_object_set(record, "status", value_new_string(status)) < 0 ||
            value_object_set(record, "done", value_new_uint(done)) < 0 ||
            value_object_set(record, "total", value_new_uint(total)) < 0 ||
            value_object_set(record, "id", value_new_string(id)) < 0)
                return -ENOMEM;
        /* Cards need one touch: their 0/0 would only be noise. */
        if (total > 0)
                snprintf(
                        text,
                        sizeof(text),
                        _("enrollment %s %s %u/%u%s%s\n"),
                        kind,
                        status,
                        done,
                        total,
                        *id ? " " : "",
                        id);
        else
                snprintf(text, sizeof(text), _("enrollment %s %s%s%s\n"), kind, status, *id ? " " : "", id);
        emit(sd_bus_message_get_path(m), record, text);
        fflush(stdout);
        return 0;
}

static int on_lock_added_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        MonitorContext *c = userdata;
        _cleanup_value_ Value *record = NULL;
        bool added = strcmp(sd_bus_message_get_member(m), "LockAdded") == 0;
        const char *path;

        if (!daemon_watch_is_from_daemon(&c->watch, m) || sd_bus_message_read(m, "o", &path) < 0)
                return 0;
        if (c->filter && strcmp(path, c->filter) != 0)
                return 0;

        record = value_new_object();
        if (!record ||
            value_object_set(record, "type", value_new_string(added ? "lock-added" : "lock-removed")) < 0)
                return -ENOMEM;
        emit(path, record, added ? _("added\n") : _("removed\n"));
        fflush(stdout);
        return 0;
}

static int on_daemon_change(DaemonWatch *w, void *userdata) {
        MonitorContext *c = userdata;
        _cleanup_value_ Value *record = NULL;

        /* A (re)started daemon knows no subscribers. */
        if (w->owner)
                subscribe_details(c);
        else
                c->details = false;
        record = value_new_object();
        if (!record || value_object_set(record, "type", value_new_string("daemon")) < 0 ||
            value_object_set(record, "running", value_new_bool(!!w->owner)) < 0)
                return -ENOMEM;
        emit(NULL, record, w->owner ? _("started\n") : _("stopped\n"));
        fflush(stdout);
        return 0;
}

static int on_monitor_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        MonitorContext *c = userdata;

        /* Ctrl-C is how monitor ends: success. */
        return sd_event_exit(c->event, 0);
}

int verb_monitor(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL, *s5 = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        MonitorContext c = {};
        LockSpecType type;
        int r;

        if (argc > 0) {
                /* An address or a path names the object without asking ttlockd, so monitor can
                 * wait for a lock or daemon that is not there yet; an alias needs the daemon. */
                r = lock_spec_classify(argv[0], &type);
                if (r < 0)
                        return ctl_error(
                                -EINVAL,
                                _("\"%s\" is neither an address, an alias nor an object path."),
                                argv[0]);
                if (type == LOCK_SPEC_ADDRESS)
                        r = lock_path_new(argv[0], &c.filter);
                else
                        r = ctl_resolve_lock(bus, argv[0], &c.filter);
                if (r < 0)
                        return r;
        }

        r = ctl_event_new(bus, on_monitor_signal, &c, &event);
        if (r < 0)
                goto finish;
        c.event = event;
        c.watch.on_change = on_daemon_change;
        c.watch.userdata = &c;

        /* No sender= in the matches: the sender is checked against the owner of org.ttlock.Manager
         * (daemon_watch), which also follows a daemon restart. */
        r = sd_bus_match_signal(bus, &s1, NULL, NULL, LOCK_IFACE, "Event", on_event, &c);
        if (r >= 0)
                r = sd_bus_add_match(
                        bus,
                        &s2,
                        "type='signal',interface='org.freedesktop.DBus.Properties',"
                        "member='PropertiesChanged',arg0='org.ttlock.Lock1'",
                        on_properties_changed,
                        &c);
        if (r >= 0)
                r = sd_bus_match_signal(
                        bus,
                        &s3,
                        NULL,
                        NULL,
                        CREDENTIALS_IFACE,
                        "EnrollmentStatus",
                        on_enrollment_status,
                        &c);
        if (r >= 0)
                r = sd_bus_match_signal(
                        bus, &s4, NULL, MANAGER_PATH, MANAGER_IFACE, "LockAdded", on_lock_added_removed, &c);
        if (r >= 0)
                r = sd_bus_match_signal(
                        bus,
                        &s5,
                        NULL,
                        MANAGER_PATH,
                        MANAGER_IFACE,
                        "LockRemoved",
                        on_lock_added_removed,
                        &c);
        if (r < 0) {
                r = ctl_error(r, _("Failed to watch the bus: %s"), strerror(-r));
                goto finish;
        }
        c.bus = bus;
        r = daemon_watch_start(bus, &c.watch);
        if (r < 0)
                goto finish;
        if (c.watch.owner)
                subscribe_details(&c);

        if (!arg_json && !c.watch.owner)
                fprintf(stderr, _("ttlockd is not running; waiting for it.\n"));

        r = sd_event_loop(event);
        if (r < 0)
                r = ctl_error(r, _("Event loop failed: %s"), strerror(-r));
finish:
        daemon_watch_done(&c.watch);
        ctl_event_done(bus);
        free(c.filter);
        return r;
}
