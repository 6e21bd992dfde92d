/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A polkit authority for one test (test-fault-callers): it owns org.freedesktop.PolicyKit1 on the
 * private bus before the real polkitd is activated, and answers CheckAuthorization
 * (org.freedesktop.PolicyKit1.Authority, polkit's D-Bus API) with "authorized" — except for the callers
 * of the users named on the command line, whose questions it keeps and never answers: a user whose
 * authentication agent sits on a dialogue nobody answers, as seen from the daemon.
 *
 *     fake-polkit [USER…]
 *
 * It must run as the user the bus policy lets own the name (polkitd, org.freedesktop.PolicyKit1.conf).
 * SIGTERM ends it. Not installed; a test fixture, not a polkit. */

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define HANG_MAX 16
#define KEPT_MAX 4096

static uid_t hang[HANG_MAX];
static size_t n_hang;
static sd_bus_message *kept[KEPT_MAX]; /* the questions never answered */
static size_t n_kept;

/* The uid of a subject ("system-bus-name", {"name": ":1.42"}), from the bus driver. */
static int subject_uid(sd_bus_message *m, uid_t *ret) {
        const char *kind, *key, *name = NULL;
        sd_bus_message *reply = NULL;
        uint32_t uid;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "s", &kind);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "name") == 0)
                        r = sd_bus_message_read(m, "v", "s", &name);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (strcmp(kind, "system-bus-name") != 0 || !name)
                return -EINVAL;
        r = sd_bus_call_method(
                sd_bus_message_get_bus(m),
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetConnectionUnixUser",
                NULL,
                &reply,
                "s",
                name);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "u", &uid);
        sd_bus_message_unref(reply);
        if (r < 0)
                return r;
        *ret = uid;
        return 0;
}

static int method_check_authorization(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uid_t uid;
        int r;

        r = subject_uid(m, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Cannot tell the subject: %s", strerror(-r));
        for (size_t i = 0; i < n_hang; i++)
                if (hang[i] == uid) {
                        if (n_kept >= KEPT_MAX)
                                return sd_bus_error_set(
                                        error, SD_BUS_ERROR_LIMITS_EXCEEDED, "Too many questions.");
                        kept[n_kept++] = sd_bus_message_ref(m);
                        fprintf(stderr,
                                "fake-polkit: keeping a question of uid %u (%zu kept)\n",
                                (unsigned) uid,
                                n_kept);
                        return 1;
                }
        /* (is_authorized, is_challenge, details) */
        return sd_bus_reply_method_return(m, "(bba{ss})", 1, 0, 0);
}

static const sd_bus_vtable authority_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD(
                "CheckAuthorization",
                "(sa{sv})sa{ss}us",
                "(bba{ss})",
                method_check_authorization,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int main(int argc, char *argv[]) {
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        for (int i = 1; i < argc && n_hang < HANG_MAX; i++) {
                struct passwd *pw = getpwnam(argv[i]);

                if (!pw) {
                        fprintf(stderr, "fake-polkit: no user %s\n", argv[i]);
                        return EXIT_FAILURE;
                }
                hang[n_hang++] = pw->pw_uid;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r >= 0)
                r = sd_bus_add_object_vtable(
                        bus,
                        NULL,
                        "/org/freedesktop/PolicyKit1/Authority",
                        "org.freedesktop.PolicyKit1.Authority",
                        authority_vtable,
                        NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0);
        if (r < 0) {
                fprintf(stderr, "fake-polkit: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        r = sd_event_loop(event);
        for (size_t i = 0; i < n_kept; i++)
                sd_bus_message_unref(kept[i]);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
