/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passcode, card and finger: org.ttlock.Credentials1, with live progress during enrollment. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-table.h"
#include "ctl.h"

typedef enum CredKind {
        CRED_PASSCODE,
        CRED_CARD,
        CRED_FINGER,
} CredKind;

static const struct {
        const char *list;       /* List… method */
        const char *id_key;     /* key of the credential's identity in its a{sv} */
        const char *alias_kind; /* SetCredentialAlias kind, EnrollmentStatus kind */
} creds[] = {
        [CRED_PASSCODE] = { "ListPasscodes", "code", "passcode" },
        [CRED_CARD] = { "ListCards", "number", "ic-card" },
        [CRED_FINGER] = { "ListFingerprints", "id", "fingerprint" },
};

static int cred_call(sd_bus *bus, const char *spec, const char *member, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, TTLOCK_BUS_NAME, path, CREDENTIALS_IFACE, member);
        if (r >= 0 && types) {
                va_list ap;

                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        return 0;
}

/* member(ID, from, until, cycles) with the one weekly window of --every/--from/--until, or none
 * (Credentials1 "Cycles": aa{sv} of weekdays ay, start-minute q, end-minute q). */
static int cred_call_cycles(sd_bus *bus, const char *spec, const char *member, const char *id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        uint8_t days[7];
        size_t n = 0;
        int r;

        for (uint8_t d = 1; d <= 7; d++)
                if (arg_every_days & (1u << d))
                        days[n++] = d;
        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, TTLOCK_BUS_NAME, path, CREDENTIALS_IFACE, member);
        if (r >= 0)
                r = sd_bus_message_append(m, "stt", id, UINT64_C(0), UINT64_C(0));
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        if (r >= 0 && n > 0) {
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', "weekdays");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "ay");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', days, n);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "{sv}{sv}", "start-minute", "q", arg_every_start, "end-minute",
                                                  "q", arg_every_end);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        return 0;
}

/* "mon,wed,fri 08:00-12:00", windows of a listed credential's "cycles" joined by "; ", or "-". */
static const char *format_cycles(const Value *cycles, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (size_t i = 0; cycles && cycles->type == VALUE_ARRAY && i < cycles->n_items; i++) {
                const Value *c = cycles->items[i], *days = value_object_get(c, "weekdays");
                uint64_t start = value_object_get_uint(c, "start-minute", 0),
                         end = value_object_get_uint(c, "end-minute", 0);
                char names[64];
                uint8_t mask = 0;

                for (size_t j = 0; days && days->type == VALUE_ARRAY && j < days->n_items; j++)
                        if (days->items[j]->type == VALUE_UINT && days->items[j]->u >= 1 && days->items[j]->u <= 7)
                                mask |= (uint8_t) (1u << days->items[j]->u);
                n += (size_t) snprintf(buf + n, n < size ? size - n : 0, "%s%s %02u:%02u-%02u:%02u",
                                       n > 0 ? "; " : "", format_weekdays(mask, names, sizeof(names)),
                                       (unsigned) (start / 60), (unsigned) (start % 60), (unsigned) (end / 60),
                                       (unsigned) (end % 60));
        }
        if (n == 0)
                snprintf(buf, size, "-");
        return buf;
}

/* The validity of --from/--until, 0,0 (permanent) without them. */
#define VALIDITY arg_have_validity ? arg_valid_from : 0, arg_have_validity ? arg_valid_until : 0

static int cred_list(sd_bus *bus, const char *spec, CredKind kind) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_value_ Value *list = NULL;
        _cleanup_table_ Table *t = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        r = ctl_call(bus, path, CREDENTIALS_IFACE, creds[kind].list, 0, &reply, NULL);
        if (r < 0)
                return r;
        r = bus_message_read_value(reply, &list);
        if (r < 0 || list->type != VALUE_ARRAY)
                return ctl_error(
                        r < 0 ? r : -EBADMSG,
                        _("Failed to parse the reply: %s"),
                        strerror(r < 0 ? -r : EBADMSG));

        if (arg_json) {
                value_dump_json(list, stdout);
                fputc('\n', stdout);
                return 0;
        }

        if (kind == CRED_PASSCODE)
                t = table_new(
                        6,
                        (const char *[]){ _("CODE"),
                                          _("KIND"),
                                          _("VALID FROM"),
                                          _("VALID UNTIL"),
                                          _("EVERY"),
                                          _("ALIAS") });
        else
                t = table_new(
                        5,
                        (const char *[]){ kind == CRED_CARD ? _("NUMBER") : _("ID"),
                                          _("VALID FROM"),
                                          _("VALID UNTIL"),
                                          _("EVERY"),
                                          _("ALIAS") });
        if (!t)
                return -ENOMEM;
        table_set_header(t, arg_legend);

        for (size_t i = 0; i < list->n_items; i++) {
                const Value *c = list->items[i];
                char from[64], until[64], every[256];
                const char *id = value_object_get_string(c, creds[kind].id_key, "");
                const char *alias = value_object_get_string(c, "alias", "");

                format_timestamp(value_object_get_uint(c, "valid-from-usec", 0), false, from, sizeof(from));
                format_timestamp(
                        value_object_get_uint(c, "valid-until-usec", 0), false, until, sizeof(until));
                format_cycles(value_object_get(c, "cycles"), every, sizeof(every));
                if (kind == CRED_PASSCODE)
                        r = table_add_row(
                                t,
                                (const char *[]){
                                        id, value_object_get_string(c, "kind", ""), from, until, every, alias });
                else
                        r = table_add_row(t, (const char *[]){ id, from, until, every, alias });
                if (r < 0)
                        return r;
        }
        if (table_get_rows(t) == 0) {
                if (arg_legend)
                        puts(kind == CRED_PASSCODE       ? _("No passcodes.")
                                     : kind == CRED_CARD ? _("No cards.")
                                                         : _("No fingerprints."));
                return 0;
        }
        return table_print(t, stdout);
}

int verb_passcode_list(sd_bus *bus, int argc, char **argv) {
        return cred_list(bus, argv[0], CRED_PASSCODE);
}

int verb_card_list(sd_bus *bus, int argc, char **argv) {
        return cred_list(bus, argv[0], CRED_CARD);
}

int verb_finger_list(sd_bus *bus, int argc, char **argv) {
        return cred_list(bus, argv[0], CRED_FINGER);
}

int verb_passcode_add(sd_bus *bus, int argc, char **argv) {
        if (arg_have_every)
                return cred_call_cycles(bus, argv[0], "AddCyclicPasscode", argv[1]);
        /* AddPasscode can say permanent or period only; a named kind needs the extension. */
        if (arg_kind)
                return cred_call(bus, argv[0], "AddPasscodeOfKind", "sstt", argv[1], arg_kind, VALIDITY);
        return cred_call(bus, argv[0], "AddPasscode", "stt", argv[1], VALIDITY);
}

int verb_passcode_change(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "ChangePasscode", "sstt", argv[1], argv[2], VALIDITY);
}

int verb_passcode_del(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "DeletePasscode", "s", argv[1]);
}

int verb_passcode_clear(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "ClearPasscodes", NULL);
}

int verb_passcode_alias(sd_bus *bus, int argc, char **argv) {
        return cred_call(
                bus,
                argv[0],
                "SetCredentialAlias",
                "sss",
                creds[CRED_PASSCODE].alias_kind,
                argv[1],
                argv[2]);
}

int verb_card_add(sd_bus *bus, int argc, char **argv) {
        int r;

        r = cred_call(bus, argv[0], "AddCard", "stt", argv[1], VALIDITY);
        /* The card first, then its cycles (the official flow sets them after the validity too). */
        if (r >= 0 && arg_have_every)
                r = cred_call_cycles(bus, argv[0], "SetCardValidityWithCycles", argv[1]);
        return r;
}

int verb_card_validity(sd_bus *bus, int argc, char **argv) {
        if (arg_have_every)
                return cred_call_cycles(bus, argv[0], "SetCardValidityWithCycles", argv[1]);
        return cred_call(bus, argv[0], "SetCardValidity", "stt", argv[1], VALIDITY);
}

int verb_card_del(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "DeleteCard", "s", argv[1]);
}

int verb_card_clear(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "ClearCards", NULL);
}

int verb_card_alias(sd_bus *bus, int argc, char **argv) {
        return cred_call(
                bus, argv[0], "SetCredentialAlias", "sss", creds[CRED_CARD].alias_kind, argv[1], argv[2]);
}

int verb_finger_validity(sd_bus *bus, int argc, char **argv) {
        if (arg_have_every)
                return cred_call_cycles(bus, argv[0], "SetFingerprintValidityWithCycles", argv[1]);
        return cred_call(bus, argv[0], "SetFingerprintValidity", "stt", argv[1], VALIDITY);
}

int verb_finger_del(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "DeleteFingerprint", "s", argv[1]);
}

int verb_finger_clear(sd_bus *bus, int argc, char **argv) {
        return cred_call(bus, argv[0], "ClearFingerprints", NULL);
}

int verb_finger_alias(sd_bus *bus, int argc, char **argv) {
        return cred_call(
                bus, argv[0], "SetCredentialAlias", "sss", creds[CRED_FINGER].alias_kind, argv[1], argv[2]);
}

/* Enrollment: Start…Enrollment returns at once; EnrollmentStatus signals report progress until
 * completed, failed, cancelled or timeout (dbus/org.ttlock.Credentials1.xml, like fprintd's
 * EnrollStatus). Ctrl-C asks
 * the daemon to cancel and waits for its "cancelled". */
typedef struct EnrollContext {
        sd_bus *bus;
        sd_event *event;
        DaemonWatch watch;
        const char *path;
        CredKind kind;
        bool interrupted;
        int result;
} EnrollContext;

static void enroll_finish(EnrollContext *c, int result) {
        if (c->result == 0)
                c->result = result;
        (void) sd_event_exit(c->event, 0);
}

static int on_enrollment_status(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EnrollContext *c = userdata;
        const char *kind, *status, *id;
        uint32_t done, total;

        /* The caller gets its own copy of each status, with the new card's number or finger's id; the
         * broadcast for everyone else has no id (dbus/org.ttlock.Credentials1.xml). */
        if (!daemon_watch_is_from_daemon(&c->watch, m) || !sd_bus_message_get_destination(m) ||
            sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;
        if (strcmp(kind, creds[c->kind].alias_kind) != 0)
                return 0;

        if (strcmp(status, "waiting") == 0)
                puts(c->kind == CRED_CARD ? _("Hold the card to the lock...")
                                          : _("Place a finger on the lock's sensor..."));
        else if (strcmp(status, "progress") == 0) {
                if (total > 0)
                        printf(_("Scan %u of %u done; lift the finger and place it again...\n"),
                               done,
                               total);
                else
                        printf(_("Scan %u done; lift the finger and place it again...\n"), done);
        } else if (strcmp(status, "completed") == 0) {
                printf(c->kind == CRED_CARD ? _("Enrolled card %s.\n") : _("Enrolled fingerprint %s.\n"),
                       id);
                enroll_finish(c, 0);
        } else if (strcmp(status, "failed") == 0)
                enroll_finish(c, ctl_error(-EIO, _("Enrollment failed.")));
        else if (strcmp(status, "cancelled") == 0)
                enroll_finish(
                        c, c->interrupted ? -EINTR : ctl_error(-ECANCELED, _("Enrollment was cancelled.")));
        else if (strcmp(status, "timeout") == 0)
                enroll_finish(c, ctl_error(-ETIMEDOUT, _("Enrollment timed out.")));
        fflush(stdout);
        return 0;
}

static int on_enroll_daemon_change(DaemonWatch *w, void *userdata) {
        EnrollContext *c = userdata;

        if (!w->owner)
                enroll_finish(c, ctl_error(-ECONNRESET, _("ttlockd left the bus.")));
        return 0;
}

/* After Ctrl-C: wait this long for the daemon's "cancelled" before giving up on it. */
#define CANCEL_WAIT_USEC (5 * USEC_PER_SEC)

static int on_cancel_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        enroll_finish(userdata, -EINTR);
        return 0;
}

static int on_enroll_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        EnrollContext *c = userdata;
        uint64_t now;
        int r;

        if (c->interrupted) {
                /* A second Ctrl-C: leave now; the daemon cancels when we leave the bus. */
                enroll_finish(c, -EINTR);
                return 0;
        }
        c->interrupted = true;
        puts(_("Cancelling..."));
        fflush(stdout);
        r = ctl_call(c->bus, c->path, CREDENTIALS_IFACE, "CancelEnrollment", 0, NULL, NULL);
        if (r < 0) {
                enroll_finish(c, r);
                return 0;
        }
        if (sd_event_now(c->event, CLOCK_MONOTONIC, &now) < 0 ||
            sd_event_add_time(
                    c->event, NULL, CLOCK_MONOTONIC, now + CANCEL_WAIT_USEC, 0, on_cancel_timeout, c) < 0)
                enroll_finish(c, -EINTR);
        return 0;
}

static int enroll(sd_bus *bus, const char *spec, CredKind kind, const char *method) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_free_ char *path = NULL;
        EnrollContext c = { .bus = bus, .kind = kind };
        int r;

        r = ctl_resolve_lock(bus, spec, &path);
        if (r < 0)
                return r;
        c.path = path;

        r = ctl_event_new(bus, on_enroll_signal, &c, &event);
        if (r < 0)
                return r;
        c.event = event;
        c.watch.on_change = on_enroll_daemon_change;
        c.watch.userdata = &c;

        r = daemon_watch_start(bus, &c.watch);
        if (r < 0)
                goto finish;
        /* The match before the call: the first "waiting" may come right after the reply. */
        r = sd_bus_match_signal(
                bus, &slot, NULL, path, CREDENTIALS_IFACE, "EnrollmentStatus", on_enrollment_status, &c);
        if (r < 0) {
                r = ctl_error(r, _("Failed to watch the bus: %s"), strerror(-r));
                goto finish;
        }

        r = ctl_call(bus, path, CREDENTIALS_IFACE, method, 0, NULL, "tt", VALIDITY);
        if (r < 0)
                goto finish;

        r = sd_event_loop(event);
        if (r < 0) {
                r = ctl_error(r, _("Event loop failed: %s"), strerror(-r));
                goto finish;
        }
        r = c.result;
finish:
        daemon_watch_done(&c.watch);
        ctl_event_done(bus);
        return r;
}

int verb_card_enroll(sd_bus *bus, int argc, char **argv) {
        return enroll(bus, argv[0], CRED_CARD, "StartCardEnrollment");
}

int verb_finger_enroll(sd_bus *bus, int argc, char **argv) {
        return enroll(bus, argv[0], CRED_FINGER, "StartFingerprintEnrollment");
}
