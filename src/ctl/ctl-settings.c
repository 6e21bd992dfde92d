/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* set …, passage list, clock sync, history: org.ttlock.Settings1. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-secret.h"
#include "ctl-table.h"
#include "ctl.h"
#include "string-util.h"

static int settings_callv(
        sd_bus *bus,
        const char *spec,
        const char *member,
        bool secret,
        sd_bus_message **ret_reply,
        const char *types,
        va_list ap) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, TTLOCK_BUS_NAME, path, SETTINGS_IFACE, member);
        /* A call that carries the admin passcode is wiped by sd-bus when it is freed. */
        if (r >= 0 && secret)
                r = sd_bus_message_sensitive(m);
        if (r >= 0 && types)
                r = sd_bus_message_appendv(m, types, ap);
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

static int settings_call(
        sd_bus *bus,
        const char *spec,
        const char *member,
        sd_bus_message **ret_reply,
        const char *types,
        ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = settings_callv(bus, spec, member, false, ret_reply, types, ap);
        va_end(ap);
        return r;
}

static int settings_call_secret(sd_bus *bus, const char *spec, const char *member, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = settings_callv(bus, spec, member, true, NULL, types, ap);
        va_end(ap);
        return r;
}

static int parse_switch(const char *s) {
        int b = parse_boolean(s);

        if (b < 0)
                return ctl_error(-EINVAL, _("Expected on or off, got \"%s\"."), s);
        return b;
}

/* Settings1.SetConnectionPolicy(): "default" drops the lock's own choice for ttlockd.conf's. */
int verb_set_connection(sd_bus *bus, int argc, char **argv) {
        static const char *const policies[] = { "on-demand", "keep-alive", "persistent", "default" };
        const char *policy = NULL;
        uint32_t seconds = 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(policies); i++)
                if (strcmp(argv[1], policies[i]) == 0)
                        policy = policies[i];
        if (!policy)
                return ctl_error(
                        -EINVAL,
                        _("Invalid connection policy \"%s\" (expected on-demand, keep-alive, persistent "
                          "or default)."),
                        argv[1]);
        if (argc > 2) {
                if (strcmp(policy, "keep-alive") != 0)
                        return ctl_error(-EINVAL, _("Only keep-alive takes SECONDS."));
                /* The auto-lock's forms: 30, 30s, 2min. */
                r = parse_autolock(argv[2], &seconds);
                if (r < 0 || seconds < 1 || seconds > 3600)
                        return ctl_error(
                                -EINVAL,
                                _("Invalid keep-alive window \"%s\" (expected 1 to 3600 seconds, e.g. "
                                  "30, 30s, 2min)."),
                                argv[2]);
        }
        return settings_call(
                bus,
                argv[0],
                "SetConnectionPolicy",
                NULL,
                "su",
                strcmp(policy, "default") == 0 ? "" : policy,
                seconds);
}

int verb_set_autolock(sd_bus *bus, int argc, char **argv) {
        uint32_t seconds;
        int r;

        r = parse_autolock(argv[1], &seconds);
        if (r < 0)
                return ctl_error(
                        -EINVAL,
                        _("Invalid auto-lock delay \"%s\" (expected seconds, e.g. 30, 30s, 2min, or off)."),
                        argv[1]);
        return settings_call(bus, argv[0], "SetAutoLock", NULL, "u", seconds);
}

int verb_set_sound(sd_bus *bus, int argc, char **argv) {
        _cleanup_value_ Value *props = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t volume;
        int on, r;

        on = parse_switch(argv[1]);
        if (on < 0)
                return on;
        if (argc > 2) {
                r = parse_uint(argv[2], UINT8_MAX, &volume);
                if (r < 0)
                        return ctl_error(-EINVAL, _("Invalid volume \"%s\" (expected 1 to 5)."), argv[2]);
        } else {
                /* Keep the volume the lock has (0 when it has none, Settings1.SoundVolume). */
                r = ctl_resolve_lock(bus, argv[0], &path);
                if (r < 0)
                        return r;
                r = ctl_get_all(bus, path, SETTINGS_IFACE, /* quiet= */ false, &props);
                if (r < 0)
                        return r;
                volume = value_object_get_uint(props, "SoundVolume", 0);
        }
        return settings_call(bus, path ?: argv[0], "SetSound", NULL, "by", on, (uint8_t) volume);
}

static int set_switch(sd_bus *bus, char **argv, const char *member) {
        int on = parse_switch(argv[1]);

        if (on < 0)
                return on;
        return settings_call(bus, argv[0], member, NULL, "b", on);
}

int verb_set_remote_unlock(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetRemoteUnlock");
}

int verb_set_tamper(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetTamperAlert");
}

int verb_set_privacy(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetPrivacyLock");
}

int verb_set_reset_button(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetResetButton");
}

/* The admin passcode typed at the keypad to manage the lock there; "-" reads it from standard input
 * (a terminal: without echo), out of the process list. */
int verb_set_admin_passcode(sd_bus *bus, int argc, char **argv) {
        char buf[CTL_SECRET_MAX];
        const char *code = argv[1];
        int r = 0;

        if (streq(code, "-")) {
                r = ctl_read_secret(STDIN_FILENO, stderr, _("Admin passcode: "), buf, CTL_SECRET_MAX);
                if (r == -ENODATA)
                        return ctl_error(-EINVAL, _("No passcode on standard input."));
                if (r == -E2BIG)
                        return ctl_error(-EINVAL, _("The passcode on standard input is too long."));
                if (r == -EINTR)
                        return r;
                if (r < 0)
                        return ctl_error(r, _("Cannot read the passcode: %s"), strerror(-r));
                code = buf;
        }
        r = settings_call_secret(bus, argv[0], "SetAdminPasscode", "s", code);
        erase_memory(buf, sizeof(buf));
        return r;
}

int verb_set_passage_now(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetPassageModeActive");
}

int verb_set_frozen(sd_bus *bus, int argc, char **argv) {
        return set_switch(bus, argv, "SetFrozen");
}

int verb_set_door_left_open(sd_bus *bus, int argc, char **argv) {
        uint32_t seconds;
        int r;

        /* The same forms as the auto-lock delay: 300, 300s, 5min, off (= never). */
        r = parse_autolock(argv[1], &seconds);
        if (r < 0)
                return ctl_error(
                        -EINVAL,
                        _("Invalid time \"%s\" (expected seconds, e.g. 300, 300s, 5min, or off)."),
                        argv[1]);
        return settings_call(bus, argv[0], "SetDoorLeftOpenTime", NULL, "u", seconds);
}

/* SetPassageModes(aa{sv}) with keys weekdays ay (1 = Monday … 7 = Sunday), start-minute q,
 * end-minute q (dbus/org.ttlock.Settings1.xml). */
static int append_schedule(sd_bus_message *m, const PassageSchedule *s) {
        uint8_t days[7];
        size_t n = 0;
        int r;

        for (uint8_t d = 1; d <= 7; d++)
                if (s->weekdays & (1u << d))
                        days[n++] = d;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, "weekdays");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, "ay");
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, SD_BUS_TYPE_BYTE, days, n);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(
                m, "{sv}{sv}", "start-minute", "q", s->start_minute, "end-minute", "q", s->end_minute);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int verb_set_passage(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ PassageSchedule *schedules = NULL;
        _cleanup_free_ char *path = NULL;
        size_t n = 0;
        int r;

        if (argc == 2 && parse_boolean(argv[1]) == 0)
                ; /* "off": no schedules */
        else {
                schedules = calloc((size_t) argc - 1, sizeof(PassageSchedule));
                if (!schedules)
                        return -ENOMEM;
                for (int i = 1; i < argc; i++) {
                        r = parse_passage_schedule(argv[i], &schedules[n]);
                        if (r < 0)
                                return ctl_error(
                                        -EINVAL,
                                        _("Invalid passage schedule \"%s\" (expected DAYS@HH:MM-HH:MM, e.g. "
                                          "%s)."),
                                        argv[i],
                                        "mon-fri@08:00-18:00");
                        n++;
                }
        }

        r = ctl_resolve_lock(bus, argv[0], &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(
                bus, &m, TTLOCK_BUS_NAME, path, SETTINGS_IFACE, "SetPassageModes");
        if (r >= 0)
                r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "a{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_schedule(m, &schedules[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        return 0;
}

static int read_list_reply(sd_bus_message *reply, Value **ret) {
        Value *list = NULL;
        int r;

        r = bus_message_read_value(reply, &list);
        if (r >= 0 && list->type != VALUE_ARRAY) {
                value_free(list);
                r = -EBADMSG;
        }
        if (r < 0)
                return ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
        *ret = list;
        return 0;
}

static uint8_t weekdays_mask(const Value *days) {
        uint8_t mask = 0;

        if (days && days->type == VALUE_ARRAY)
                for (size_t i = 0; i < days->n_items; i++)
                        if (days->items[i]->type == VALUE_UINT && days->items[i]->u >= 1 &&
                            days->items[i]->u <= 7)
                                mask |= (uint8_t) (1u << days->items[i]->u);
        return mask;
}

int verb_passage_list(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_value_ Value *list = NULL;
        _cleanup_table_ Table *t = NULL;
        int r;

        r = settings_call(bus, argv[0], "GetPassageModes", &reply, NULL);
        if (r < 0)
                return r;
        r = read_list_reply(reply, &list);
        if (r < 0)
                return r;
        if (arg_json) {
                value_dump_json(list, stdout);
                fputc('\n', stdout);
                return 0;
        }

        t = table_new(3, (const char *[]){ _("DAYS"), _("FROM"), _("UNTIL") });
        if (!t)
                return -ENOMEM;
        table_set_header(t, arg_legend);
        for (size_t i = 0; i < list->n_items; i++) {
                const Value *s = list->items[i];
                uint64_t start = value_object_get_uint(s, "start-minute", 0);
                uint64_t end = value_object_get_uint(s, "end-minute", 0);
                char days[64], from[48], until[48];

                format_weekdays(weekdays_mask(value_object_get(s, "weekdays")), days, sizeof(days));
                snprintf(from, sizeof(from), "%02" PRIu64 ":%02" PRIu64, start / 60, start % 60);
                snprintf(until, sizeof(until), "%02" PRIu64 ":%02" PRIu64, end / 60, end % 60);
                r = table_add_row(t, (const char *[]){ days, from, until });
                if (r < 0)
                        return r;
        }
        if (table_get_rows(t) == 0) {
                if (arg_legend)
                        puts(_("No passage mode schedules."));
                return 0;
        }
        return table_print(t, stdout);
}

int verb_clock_sync(sd_bus *bus, int argc, char **argv) {
        return settings_call(bus, argv[0], "SyncClock", NULL, NULL);
}

int verb_history(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_value_ Value *list = NULL;
        _cleanup_table_ Table *t = NULL;
        int r;

        r = settings_call(bus, argv[0], "GetHistory", &reply, "tu", arg_since, arg_max);
        if (r < 0)
                return r;
        r = read_list_reply(reply, &list);
        if (r < 0)
                return r;
        if (arg_json) {
                value_dump_json(list, stdout);
                fputc('\n', stdout);
                return 0;
        }

        t = table_new(
                5, (const char *[]){ _("TIME"), _("EVENT"), _("METHOD"), _("CREDENTIAL"), _("BATTERY") });
        if (!t)
                return -ENOMEM;
        table_set_header(t, arg_legend);
        table_set_align_right(t, 4, true);
        for (size_t i = 0; i < list->n_items; i++) {
                const Value *e = list->items[i];
                const Value *battery = value_object_get(e, "battery");
                char time[64], pct[16] = "";

                format_timestamp(value_object_get_uint(e, "time-usec", 0), true, time, sizeof(time));
                if (battery && battery->type == VALUE_UINT)
                        snprintf(pct, sizeof(pct), "%" PRIu64 "%%", battery->u);
                r = table_add_row(
                        t,
                        (const char *[]){
                                time,
                                value_object_get_string(e, "kind", ""),
                                value_object_get_string(e, "method", ""),
                                value_object_get_string(e, "credential", ""),
                                pct,
                        });
                if (r < 0)
                        return r;
        }
        if (table_get_rows(t) == 0) {
                if (arg_legend)
                        puts(_("No records."));
                return 0;
        }
        return table_print(t, stdout);
}
