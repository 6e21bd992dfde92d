/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Weekly cycles end to end (world.h, dbus/org.ttlock.Credentials1.xml "Cycles", doc/protocol.md §4.9): a
 * passcode added through ttlockd for Monday, Wednesday and Friday 08:00–12:00 opens the simulated lock on
 * Monday at 09:00 and is refused at 13:00 and on Tuesday, by the lock's own clock (set through
 * Sim1.SetClock, never the host's date or zone); cards and fingerprints likewise; the lists show the cycles
 * and they survive a restart; what is not a cycle is refused before anything reaches the lock. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "world.h"

#define CREDS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define NOT_SUPPORTED "org.ttlock.Error.NotSupported"

/* The world's lock (K5) with the simulator's default features (ttlock-sim(1)) and
 * cyclic-card-fingerprint (34), which CYCLIC_CMD needs. */
#define LOCK_K5 "mac=" WORLD_LOCK_ADDRESS ",name=K5_010000"
#define FEATURES_COMMON                                                                                \
        ",features=passcode+ic-card+fingerprint+auto-lock+passcode-with-delete+modify-passcode+"       \
        "manual-lock+passcode-display+gateway-unlock+remote-unlock+audio+admin-passcode+passage-mode+" \
        "reset-button+tamper-alert+privacy-lock+sound-volume"
#define FEATURES_CYCLIC LOCK_K5 FEATURES_COMMON "+cyclic-card-fingerprint"

/* The same without cyclic-card-fingerprint: a lock that does not know CYCLIC_CMD. */
#define FEATURES_NO_CYCLIC LOCK_K5 FEATURES_COMMON

/* Monday, Wednesday and Friday 08:00–12:00, as the cycles argument aa{sv} (one window). */
#define MON_WED_FRI_8_12 1, 3, "weekdays", "ay", 3, 1, 3, 5, "start-minute", "q", 480, "end-minute", "q", 720

/* 2024-05-06 was a Monday. */
#define MONDAY_9 "2024-05-06 09:00"
#define MONDAY_13 "2024-05-06 13:00"
#define TUESDAY_9 "2024-05-07 09:00"

typedef struct Events {
        char kind[16][24];
        char method[16][24];
        size_t n;
} Events;

static Events events;

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *kind, *key, *method = "";
        int r;

        if (events.n >= 16 || sd_bus_message_read(m, "s", &kind) < 0 ||
            sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                if (sd_bus_message_read(m, "s", &key) < 0)
                        return 0;
                if (strcmp(key, "method") == 0)
                        (void) sd_bus_message_read(m, "v", "s", &method);
                else
                        (void) sd_bus_message_skip(m, "v");
                (void) sd_bus_message_exit_container(m);
        }
        snprintf(events.kind[events.n], sizeof(events.kind[0]), "%s", kind);
        snprintf(events.method[events.n], sizeof(events.method[0]), "%s", method);
        events.n++;
        return 0;
}

static void start(World *w) {
        *w = (World){ .lock_spec = FEATURES_CYCLIC };
        events = (Events){};
        world_start(w);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client,
                        NULL,
                        "org.ttlock.Manager",
                        WORLD_LOCK_PATH,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        NULL),
                0);
        world_discover(w);
        world_call_ok(w, WORLD_LOCK1, "Pair");
}

/* A call that must fail with this error name, its message containing text. */
static void
call_fails(World *w, const char *name, const char *text, const char *method, const char *types, ...) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, CREDS, method), 0);
        va_start(ap, types);
        ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        va_end(ap);
        r = sd_bus_call(w->client, m, 0, &e, &reply);
        ck_assert_msg(r < 0, "%s succeeded", method);
        ck_assert_msg(
                sd_bus_error_has_name(&e, name) && strstr(e.message ?: "", text),
                "%s: %s (%s), expected %s (%s)",
                method,
                e.name,
                e.message,
                name,
                text);
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
}

static void call_ok(World *w, const char *method, const char *types, ...) {
        va_list ap;
        const char *err;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, CREDS, method), 0);
        va_start(ap, types);
        ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        va_end(ap);
        err = sd_bus_call(w->client, m, 0, &e, &reply) < 0 ? e.message : NULL;
        ck_assert_msg(!err, "%s: %s: %s", method, e.name, err);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
}

/* The entry of id in a List…() reply: its kind ("" if none) and its cycles, as "1,3,5@480-720;…". */
static bool
listed(World *w, const char *method, const char *id_key, const char *id, char *kind, char *cycles) {
        sd_bus_message *reply = NULL;
        bool found = false;
        int r;

        r = sd_bus_call_method(w->client, CREDS, method, NULL, &reply, "");
        ck_assert_int_ge(r, 0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                char k[32] = "", c[256] = "";
                const char *key, *s;
                bool match = false;

                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
                        if (strcmp(key, id_key) == 0) {
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &s), 0);
                                match = strcmp(s, id) == 0;
                        } else if (strcmp(key, "kind") == 0) {
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &s), 0);
                                snprintf(k, sizeof(k), "%s", s);
                        } else if (strcmp(key, "cycles") == 0) {
                                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'v', "aa{sv}"), 0);
                                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
                                while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                                        const uint8_t *days = NULL;
                                        uint16_t start = 0, end = 0;
                                        size_t n = 0;

                                        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                                ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
                                                if (strcmp(key, "weekdays") == 0) {
                                                        ck_assert_int_ge(
                                                                sd_bus_message_enter_container(
                                                                        reply, 'v', "ay"),
                                                                0);
                                                        ck_assert_int_ge(
                                                                sd_bus_message_read_array(
                                                                        reply,
                                                                        'y',
                                                                        (const void **) &days,
                                                                        &n),
                                                                0);
                                                        ck_assert_int_ge(
                                                                sd_bus_message_exit_container(reply), 0);
                                                } else
                                                        ck_assert_int_ge(
                                                                sd_bus_message_read(
                                                                        reply,
                                                                        "v",
                                                                        "q",
                                                                        strcmp(key, "start-minute") == 0
                                                                                ? &start
                                                                                : &end),
                                                                0);
                                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                                        }
                                        for (size_t i = 0; i < n; i++)
                                                snprintf(
                                                        c + strlen(c),
                                                        sizeof(c) - strlen(c),
                                                        "%s%u",
                                                        i ? "," : "",
                                                        days[i]);
                                        snprintf(
                                                c + strlen(c), sizeof(c) - strlen(c), "@%u-%u;", start, end);
                                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                                }
                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                        } else
                                ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                if (match) {
                        found = true;
                        if (kind)
                                strcpy(kind, k);
                        if (cycles)
                                strcpy(cycles, c);
                }
        }
        sd_bus_message_unref(reply);
        return found;
}

static bool idle(World *w, const void *arg) {
        return !world_get_bool(w, WORLD_LOCK1, "Connected");
}

static bool have_events(World *w, const void *arg) {
        return events.n >= *(const size_t *) arg;
}

/* The person at the door at this time of the lock's own clock: did the bolt move, and which Event came?
 * Each time ttlockd has first let go of the lock: it reads the log record of the last try and checks the
 * lock's clock (setting it to the host's) on that connection, so the clock is set after that. */
static bool
opens_at(World *w, const char *when, const char *method, const char *arg, const char *want_event) {
        size_t want;
        bool opened;

        ck_assert_msg(world_wait(w, idle, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        if (!world_get_bool(w, WORLD_SIM1, "Locked")) {
                /* Locked again with the knob, whose record ttlockd reads too. */
                want = events.n + 1;
                world_sim_call(w, "TurnKnob", "b", 1);
                ck_assert_msg(world_wait(w, have_events, &want, 3 * WORLD_TIMEOUT), "no Event for the knob");
                ck_assert_msg(world_wait(w, idle, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        }
        want = events.n + 1;
        world_sim_call(w, "SetClock", "s", when);
        world_sim_call(w, method, "s", arg);
        opened = !world_get_bool(w, WORLD_SIM1, "Locked");
        ck_assert_msg(
                world_wait(w, have_events, &want, 3 * WORLD_TIMEOUT), "no Event for %s at %s", method, when);
        ck_assert_str_eq(events.kind[events.n - 1], want_event);
        return opened;
}

START_TEST(test_weekly_passcode) {
        char kind[32], cycles[256];
        World w;

        start(&w);
        /* A cyclic code without cycles would open at all hours: refused with a reason, nothing sent. */
        call_fails(
                &w,
                INVALID_ARGS,
                "use AddCyclicPasscode()",
                "AddPasscodeOfKind",
                "sstt",
                "4711",
                "cyclic",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "at least one cycle",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                0);
        call_fails(
                &w,
                INVALID_ARGS,
                "weekday 8",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                1,
                3,
                "weekdays",
                "ay",
                1,
                8,
                "start-minute",
                "q",
                480,
                "end-minute",
                "q",
                720);
        call_fails(
                &w,
                INVALID_ARGS,
                "must be before",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                1,
                3,
                "weekdays",
                "ay",
                1,
                1,
                "start-minute",
                "q",
                720,
                "end-minute",
                "q",
                480);
        call_fails(
                &w,
                INVALID_ARGS,
                "past 24:00",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                1,
                3,
                "weekdays",
                "ay",
                1,
                1,
                "start-minute",
                "q",
                480,
                "end-minute",
                "q",
                1441);
        ck_assert(!listed(&w, "ListPasscodes", "code", "4711", NULL, NULL));

        call_ok(&w, "AddCyclicPasscode", "sttaa{sv}", "4711", UINT64_C(0), UINT64_C(0), MON_WED_FRI_8_12);
        ck_assert(listed(&w, "ListPasscodes", "code", "4711", kind, cycles));
        ck_assert_str_eq(kind, "cyclic");
        ck_assert_str_eq(cycles, "1,3,5@480-720;");
        ck_assert(world_key_file_contains(&w, "credential-cycles"));

        ck_assert(opens_at(&w, MONDAY_9, "EnterPasscode", "4711", "unlocked"));
        ck_assert_str_eq(events.method[events.n - 1], "passcode");
        ck_assert(!opens_at(&w, MONDAY_13, "EnterPasscode", "4711", "unlock-failed"));
        ck_assert(!opens_at(&w, TUESDAY_9, "EnterPasscode", "4711", "unlock-failed"));

        /* A restarted ttlockd still knows the cycles; deleting the code forgets them. */
        world_stop_pid(&w, &w.daemon_pid);
        world_start_daemon(&w);
        ck_assert_msg(world_wait(&w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert of the lock");
        ck_assert(listed(&w, "ListPasscodes", "code", "4711", kind, cycles));
        ck_assert_str_eq(cycles, "1,3,5@480-720;");
        call_ok(&w, "DeletePasscode", "s", "4711");
        ck_assert(!world_key_file_contains(&w, "credential-cycles"));
        world_stop(&w);
}
END_TEST

/* The link drops between the new code and its cycles: what is left on the lock opens never, not at all
 * hours (ops-credentials.h), ttlockd remembers no cycles for it, and the list shows it as it is. */
START_TEST(test_cut_before_cycles) {
        char kind[32], cycles[256];
        World w;

        start(&w);
        world_sim_call(&w, "InjectFault", "su", "drop-connection@CYCLIC_CMD", 1u);
        call_fails(
                &w,
                "org.ttlock.Error.Unreachable",
                "",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                MON_WED_FRI_8_12);
        ck_assert(!world_key_file_contains(&w, "credential-cycles"));
        ck_assert(!opens_at(&w, MONDAY_9, "EnterPasscode", "4711", "unlock-failed"));
        ck_assert(listed(&w, "ListPasscodes", "code", "4711", kind, cycles));
        ck_assert_str_eq(kind, "period");
        ck_assert_str_eq(cycles, "");
        call_ok(&w, "DeletePasscode", "s", "4711");
        call_ok(&w, "AddCyclicPasscode", "sttaa{sv}", "4711", UINT64_C(0), UINT64_C(0), MON_WED_FRI_8_12);
        ck_assert(opens_at(&w, MONDAY_9, "EnterPasscode", "4711", "unlocked"));
        world_stop(&w);
}
END_TEST

/* Cards and fingerprints: SetCardValidityWithCycles() replaces a card's cycles, an empty list removes them;
 * SetCardValidity() keeps them. */
START_TEST(test_card_and_fingerprint) {
        char cycles[256];
        World w;

        start(&w);
        call_ok(&w, "AddCard", "stt", "12345678", UINT64_C(0), UINT64_C(0));
        call_ok(&w,
                "SetCardValidityWithCycles",
                "sttaa{sv}",
                "12345678",
                UINT64_C(0),
                UINT64_C(0),
                MON_WED_FRI_8_12);
        ck_assert(listed(&w, "ListCards", "number", "12345678", NULL, cycles));
        ck_assert_str_eq(cycles, "1,3,5@480-720;");
        ck_assert(opens_at(&w, MONDAY_9, "PresentCard", "12345678", "unlocked"));
        ck_assert_str_eq(events.method[events.n - 1], "ic-card");
        ck_assert(!opens_at(&w, MONDAY_13, "PresentCard", "12345678", "unlock-failed"));

        call_ok(&w, "SetCardValidity", "stt", "12345678", UINT64_C(0), UINT64_C(0));
        ck_assert(listed(&w, "ListCards", "number", "12345678", NULL, cycles));
        ck_assert_str_eq(cycles, "1,3,5@480-720;");
        /* Tuesday only, twice a day. */
        call_ok(&w,
                "SetCardValidityWithCycles",
                "sttaa{sv}",
                "12345678",
                UINT64_C(0),
                UINT64_C(0),
                2,
                3,
                "weekdays",
                "ay",
                1,
                2,
                "start-minute",
                "q",
                420,
                "end-minute",
                "q",
                600,
                3,
                "weekdays",
                "ay",
                1,
                2,
                "start-minute",
                "q",
                1020,
                "end-minute",
                "q",
                1440);
        ck_assert(listed(&w, "ListCards", "number", "12345678", NULL, cycles));
        ck_assert_str_eq(cycles, "2@420-600;2@1020-1440;");
        ck_assert(!opens_at(&w, MONDAY_9, "PresentCard", "12345678", "unlock-failed"));
        ck_assert(opens_at(&w, TUESDAY_9, "PresentCard", "12345678", "unlocked"));
        call_ok(&w, "SetCardValidityWithCycles", "sttaa{sv}", "12345678", UINT64_C(0), UINT64_C(0), 0);
        ck_assert(listed(&w, "ListCards", "number", "12345678", NULL, cycles));
        ck_assert_str_eq(cycles, "");
        ck_assert(opens_at(&w, MONDAY_13, "PresentCard", "12345678", "unlocked"));

        /* A fingerprint the lock does not hold: the lock says so, nothing is remembered. */
        call_fails(
                &w,
                "org.ttlock.Error.LockRefused",
                "FINGER_PRINT_NOT_EXIST",
                "SetFingerprintValidityWithCycles",
                "sttaa{sv}",
                "77",
                UINT64_C(0),
                UINT64_C(0),
                MON_WED_FRI_8_12);
        ck_assert(!world_key_file_contains(&w, "fingerprint"));
        world_stop(&w);
}
END_TEST

/* Run ttlockctl (TTLOCKCTL) on the world's bus; its output in out, its exit status returned. */
static int ttlockctl(char *out, size_t size, const char *args) {
        char cmd[1024];
        size_t n = 0;
        FILE *p;
        int status;

        snprintf(
                cmd,
                sizeof(cmd),
                "LC_ALL=C TZ=UTC0 %s --no-ask-password %s 2>&1",
                world_env_path("TTLOCKCTL"),
                args);
        p = popen(cmd, "re");
        ck_assert_ptr_nonnull(p);
        while (n + 1 < size && !feof(p)) {
                size_t k = fread(out + n, 1, size - n - 1, p);
                if (k == 0)
                        break;
                n += k;
        }
        out[n] = 0;
        status = pclose(p);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The README's weekly code, through ttlockctl (man/ttlockctl.1 --every): added, listed, honoured. */
START_TEST(test_ttlockctl_every) {
        char out[4096];
        World w;

        start(&w);
        ck_assert_int_eq(
                ttlockctl(
                        out,
                        sizeof(out),
                        "passcode add " WORLD_LOCK_ADDRESS
                        " 4711 --every mon,wed,fri --from 08:00 --until 12:00"),
                0);
        ck_assert_int_eq(ttlockctl(out, sizeof(out), "--no-legend passcode list " WORLD_LOCK_ADDRESS), 0);
        ck_assert_msg(
                strstr(out, "4711") && strstr(out, "cyclic") && strstr(out, "mon,wed,fri 08:00-12:00"),
                "passcode list: %s",
                out);
        ck_assert_int_eq(
                ttlockctl(
                        out,
                        sizeof(out),
                        "card add " WORLD_LOCK_ADDRESS
                        " 12345678 --every mon-fri --from 07:30 --until 24:00"),
                0);
        ck_assert_int_eq(ttlockctl(out, sizeof(out), "--no-legend card list " WORLD_LOCK_ADDRESS), 0);
        ck_assert_msg(strstr(out, "12345678") && strstr(out, "mon-fri 07:30-24:00"), "card list: %s", out);
        ck_assert(opens_at(&w, MONDAY_9, "EnterPasscode", "4711", "unlocked"));
        ck_assert(!opens_at(&w, TUESDAY_9, "EnterPasscode", "4711", "unlock-failed"));
        ck_assert_int_eq(
                ttlockctl(out, sizeof(out), "card validity " WORLD_LOCK_ADDRESS " 12345678 --every none"),
                0);
        ck_assert_int_eq(ttlockctl(out, sizeof(out), "--no-legend card list " WORLD_LOCK_ADDRESS), 0);
        ck_assert_msg(!strstr(out, "mon-fri"), "card list: %s", out);
        world_stop(&w);
}
END_TEST

/* A lock without the cyclic-card-fingerprint feature: NotSupported, before polkit and the lock. */
START_TEST(test_not_supported) {
        World w = { .lock_spec = FEATURES_NO_CYCLIC };

        events = (Events){};
        world_start(&w);
        world_discover(&w);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        call_fails(
                &w,
                NOT_SUPPORTED,
                "cyclic-card-fingerprint",
                "AddCyclicPasscode",
                "sttaa{sv}",
                "4711",
                UINT64_C(0),
                UINT64_C(0),
                MON_WED_FRI_8_12);
        call_fails(
                &w,
                NOT_SUPPORTED,
                "cyclic-card-fingerprint",
                "SetCardValidityWithCycles",
                "sttaa{sv}",
                "1",
                UINT64_C(0),
                UINT64_C(0),
                0);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("schedules");
        TCase *tc = tcase_create("cycles");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_weekly_passcode);
        tcase_add_test(tc, test_cut_before_cycles);
        tcase_add_test(tc, test_card_and_fingerprint);
        tcase_add_test(tc, test_ttlockctl_every);
        tcase_add_test(tc, test_not_supported);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(make_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
