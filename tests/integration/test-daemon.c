/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ttlockd end to end (world.h): a private system bus, the real polkitd, the build-tree ttlock-sim playing
 * BlueZ with one simulated lock, and the build-tree ttlockd with its state in a temporary directory. The
 * test talks to ttlockd only through its D-Bus API (dbus/org.ttlock.*.xml) and to the "person at the door" through
 * org.ttlock.Sim1. Every wait is for a condition with a deadline (a signal or a property value), never a
 * fixed sleep.
 *
 * Needs root, as CI runs it: polkitd reads actions only from /usr/share/polkit-1/actions. */

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "world.h"

#define LOCK_ADDRESS WORLD_LOCK_ADDRESS
#define LOCK_PATH WORLD_LOCK_PATH
#define SIM_PATH WORLD_SIM_PATH
#define MANAGER WORLD_MANAGER
#define LOCK1 WORLD_LOCK1
#define SIM1 WORLD_SIM1
#define TIMEOUT WORLD_TIMEOUT
#define EVENTS_MAX 64

typedef struct Event {
        char kind[32];
        char method[32];
        char credential[64];
        uint32_t record_type;
        bool has_time;
        bool addressed; /* our own copy (SubscribeDetails), not the broadcast */
} Event;

/* What the client saw, in World.userdata. */
typedef struct Seen {
        Event events[EVENTS_MAX];
        size_t n_events;
        char last_state[32];
        unsigned last_seen_signals; /* PropertiesChanged of Lock1 carrying LastSeenUSec */
        unsigned adverts;           /* ManufacturerData changes of the simulated device */
} Seen;

/* ---- the client connection ---------------------------------------------------------------- */

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Seen *w = ((World *) userdata)->userdata;
        const char *kind, *key;
        Event *e;

        if (w->n_events >= EVENTS_MAX)
                return 0;
        e = &w->events[w->n_events];
        *e = (Event){};
        ck_assert_int_ge(sd_bus_message_read(m, "s", &kind), 0);
        snprintf(e->kind, sizeof(e->kind), "%s", kind);
        e->addressed = sd_bus_message_get_destination(m) != NULL;
        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *s;

                ck_assert_int_ge(sd_bus_message_read(m, "s", &key), 0);
                if (strcmp(key, "method") == 0 || strcmp(key, "credential") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "s", &s), 0);
                        if (strcmp(key, "method") == 0)
                                snprintf(e->method, sizeof(e->method), "%s", s);
                        else
                                snprintf(e->credential, sizeof(e->credential), "%s", s);
                } else if (strcmp(key, "record-type") == 0)
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "u", &e->record_type), 0);
                else if (strcmp(key, "time-usec") == 0) {
                        uint64_t t;
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "t", &t), 0);
                        e->has_time = t > 0;
                } else
                        ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }
        w->n_events++;
        return 0;
}

static int on_lock_properties(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Seen *w = ((World *) userdata)->userdata;
        const char *iface, *name, *s;

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, "org.ttlock.Lock1") != 0)
                return 0;
        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                ck_assert_int_ge(sd_bus_message_read(m, "s", &name), 0);
                if (strcmp(name, "State") == 0) {
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "s", &s), 0);
                        snprintf(w->last_state, sizeof(w->last_state), "%s", s);
                } else if (strcmp(name, "LastSeenUSec") == 0) {
                        w->last_seen_signals++;
                        ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                } else
                        ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }
        return 0;
}

/* Every advert the simulator sends refreshes ManufacturerData on its Device1 (BlueZ does the same). */
static int on_sim_device_properties(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Seen *w = ((World *) userdata)->userdata;
        const char *iface, *name;

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, "org.bluez.Device1") != 0)
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) >= 0 && strcmp(name, "ManufacturerData") == 0)
                        w->adverts++;
                (void) sd_bus_message_skip(m, "v");
                (void) sd_bus_message_exit_container(m);
        }
        return 0;
}

/* The world, with the client watching Events, Lock1's properties and the simulated device's adverts.
 * rules: install the test's rules.d file; sim_yaml: the simulator's state file before it starts (NULL =
 * a factory-fresh lock). */
static void start(World *w, Seen *seen, bool rules, const char *sim_yaml) {
        int r;

        *w = (World){ .userdata = seen, .polkit_rules = rules, .sim_yaml = sim_yaml };
        *seen = (Seen){};
        world_start(w);
        r = sd_bus_match_signal(
                w->client, NULL, "org.ttlock.Manager", NULL, "org.ttlock.Lock1", "Event", on_event, w);
        ck_assert_int_ge(r, 0);
        r = sd_bus_match_signal(
                w->client,
                NULL,
                "org.ttlock.Manager",
                NULL,
                "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                on_lock_properties,
                w);
        ck_assert_int_ge(r, 0);
        r = sd_bus_match_signal(
                w->client,
                NULL,
                "org.bluez",
                SIM_PATH,
                "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                on_sim_device_properties,
                w);
        ck_assert_int_ge(r, 0);
}

static bool seen_after(World *w, const void *arg) {
        return world_get_u64(w, LOCK1, "LastSeenUSec") > *(const uint64_t *) arg;
}

static bool sim_locked_is(World *w, const void *arg) {
        return world_get_bool(w, SIM1, "Locked") == *(const bool *) arg;
}

static const Event *
find_event_of(World *w, size_t from, const char *kind, const char *method, bool addressed) {
        Seen *s = w->userdata;

        for (size_t i = from; i < s->n_events; i++)
                if (strcmp(s->events[i].kind, kind) == 0 && strcmp(s->events[i].method, method) == 0 &&
                    s->events[i].addressed == addressed)
                        return &s->events[i];
        return NULL;
}

/* The broadcast every local user gets. */
static const Event *find_event(World *w, size_t from, const char *kind, const char *method) {
        return find_event_of(w, from, kind, method, false);
}

typedef struct EventWanted {
        size_t from;
        const char *kind;
        const char *method;
} EventWanted;

static bool event_seen(World *w, const void *arg) {
        const EventWanted *ew = arg;
        return find_event(w, ew->from, ew->kind, ew->method);
}

/* ---- tests --------------------------------------------------------------------------------- */

START_TEST(test_discover_pair_unlock_lock) {
        World w;
        Seen seen;
        bool locked;
        char *s;

        start(&w, &seen, false, NULL);

        /* Manager1 basics. */
        s = world_get_string(&w, MANAGER, "Version");
        ck_assert_str_ne(s, "");
        free(s);
        ck_assert(!world_lock_known(&w, NULL));

        world_pair(&w);
        ck_assert(world_get_bool(&w, MANAGER, "Discovering"));
        s = world_get_string(&w, LOCK1, "Address");
        ck_assert_str_eq(s, LOCK_ADDRESS);
        free(s);
        s = world_get_string(&w, LOCK1, "Name");
        ck_assert_str_eq(s, "K5_010000");
        free(s);

        /* Unlock: State went "unlocked" (PropertiesChanged) before the reply came back. */
        seen.last_state[0] = 0;
        world_call_ok(&w, LOCK1, "Unlock");
        while (sd_bus_process(w.client, NULL) > 0)
                ;
        ck_assert_str_eq(seen.last_state, "unlocked");
        ck_assert(world_state_is(&w, "unlocked"));
        locked = false;
        ck_assert(world_wait(&w, sim_locked_is, &locked, TIMEOUT));

        world_call_ok(&w, LOCK1, "Lock");
        while (sd_bus_process(w.client, NULL) > 0)
                ;
        ck_assert_str_eq(seen.last_state, "locked");
        locked = true;
        ck_assert(world_wait(&w, sim_locked_is, &locked, TIMEOUT));

        /* Refresh reads the state back from the lock. */
        world_call_ok(&w, LOCK1, "Refresh");
        ck_assert(world_state_is(&w, "locked"));

        world_call_ok(&w, MANAGER, "StopDiscovery");
        ck_assert(!world_get_bool(&w, MANAGER, "Discovering"));
        world_stop(&w);
}
END_TEST

START_TEST(test_events_and_restart) {
        EventWanted ew;
        World w;
        Seen seen;
        size_t before;

        start(&w, &seen, false, NULL);
        world_pair(&w);

        /* Keypad: a wrong code — the Event says passcode, and never carries the digits. */
        ew = (EventWanted){ seen.n_events, "unlock-failed", "passcode" };
        world_sim_call(&w, "EnterPasscode", "s", "918273");
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event for the keypad");
        ck_assert(
                strstr(find_event(&w, ew.from, "unlock-failed", "passcode")->credential, "918273") == NULL);
        ck_assert_int_eq(find_event(&w, ew.from, "unlock-failed", "passcode")->record_type, 7);

        /* A card number and a fingerprint id are credentials: the broadcast never carries them; a
         * subscriber allowed to list them (SubscribeDetails, org.ttlock.manage) gets its own copy
         * with them (dbus/org.ttlock.Lock1.xml "Event"), and nobody else gets a copy at all. */
        ck_assert_ptr_null(find_event_of(&w, 0, "unlock-failed", "passcode", true));

        world_call_ok(&w, MANAGER, "SubscribeDetails");
        ew = (EventWanted){ seen.n_events, "unlock-failed", "ic-card" };
        world_sim_call(&w, "PresentCard", "s", "305419896");
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event for the card");
        ck_assert_str_eq(find_event(&w, ew.from, "unlock-failed", "ic-card")->credential, "");
        ck_assert_ptr_nonnull(find_event_of(&w, ew.from, "unlock-failed", "ic-card", true));
        ck_assert_str_eq(
                find_event_of(&w, ew.from, "unlock-failed", "ic-card", true)->credential, "305419896");

        ew = (EventWanted){ seen.n_events, "unlock-failed", "fingerprint" };
        world_sim_call(&w, "PlaceFinger", "s", "4242");
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event for the finger");
        ck_assert_str_eq(find_event(&w, ew.from, "unlock-failed", "fingerprint")->credential, "");
        ck_assert_str_eq(
                find_event_of(&w, ew.from, "unlock-failed", "fingerprint", true)->credential, "4242");
        world_call_ok(&w, MANAGER, "UnsubscribeDetails");

        /* The knob: a mechanical unlock, and State follows the bolt with no command. */
        ew = (EventWanted){ seen.n_events, "unlocked", "mechanical-key" };
        world_sim_call(&w, "TurnKnob", "b", 0);
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event for the knob");
        ck_assert(find_event(&w, ew.from, "unlocked", "mechanical-key")->has_time);
        ck_assert_msg(world_wait(&w, world_state_is, "unlocked", TIMEOUT), "State did not follow the knob");

        ew = (EventWanted){ seen.n_events, "locked", "mechanical-key" };
        world_sim_call(&w, "TurnKnob", "b", 1);
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event for the knob turned back");
        ck_assert_msg(
                world_wait(&w, world_state_is, "locked", TIMEOUT), "State did not follow the knob back");

        /* Each record was signalled once (to everyone; and once more to us while we subscribed). */
        for (size_t i = 0; i < seen.n_events; i++)
                for (size_t j = i + 1; j < seen.n_events; j++)
                        ck_assert_msg(
                                seen.events[i].addressed || seen.events[j].addressed ||
                                        !(seen.events[i].record_type == seen.events[j].record_type &&
                                          strcmp(seen.events[i].credential, seen.events[j].credential) ==
                                                  0 &&
                                          strcmp(seen.events[i].method, seen.events[j].method) == 0),
                                "record type %u signalled twice",
                                seen.events[i].record_type);

        /* A restarted ttlockd keeps its lock and signals no old record: the first Event after
         * the restart is the new knob turn. */
        world_stop_pid(&w, &w.daemon_pid);
        world_start_daemon(&w);
        ck_assert(world_wait(&w, world_lock_known, NULL, TIMEOUT));
        ck_assert(world_get_bool(&w, LOCK1, "Paired"));
        before = seen.n_events;
        ew = (EventWanted){ before, "unlocked", "mechanical-key" };
        world_sim_call(&w, "TurnKnob", "b", 0);
        ck_assert_msg(world_wait(&w, event_seen, &ew, TIMEOUT), "no Event after the restart");
        ck_assert_msg(
                seen.n_events == before + 1,
                "%zu Events after the restart, expected only the new one",
                seen.n_events - before);
        ck_assert_str_eq(seen.events[before].kind, "unlocked");
        world_stop(&w);
}
END_TEST

START_TEST(test_auto_lock) {
        /* A factory-fresh lock whose auto-lock is set to 2 s (the simulator's state file). */
        static const char sim_yaml[] =
                "version: 1\n"
                "locks:\n"
                "  - address: \"" LOCK_ADDRESS
                "\"\n"
                "    paired: false\n"
                "    admin-passcode: \"2468135\"\n"
                "    locked: true\n"
                "    battery: 90\n"
                "    auto-lock-seconds: 2\n"
                "    sound: true\n"
                "    volume: 3\n"
                "    remote-unlock: false\n"
                "    show-password: false\n"
                "    frozen: false\n"
                "    lamp-seconds: 0\n"
                "    switch-values: 2\n"
                "    record-counter: 0\n"
                "    clock-offset-usec: 0\n"
                "    log-unread: 0\n";
        World w;
        Seen seen;

        start(&w, &seen, false, sim_yaml);
        world_pair(&w);
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));
        /* Nobody sends a command: the lock re-locks itself and State follows. */
        ck_assert_msg(
                world_wait(&w, world_state_is, "locked", TIMEOUT), "State did not follow the auto-lock");
        world_stop(&w);
}
END_TEST

/* userdata NULL: Unlock must succeed. Otherwise it must be refused twice over: without the
 * allow-interactive flag polkit's challenge becomes InteractiveAuthorizationRequired, and with it
 * (no authentication agent on this bus) AccessDenied. */
static int unlock_as_nobody(void *userdata) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, LOCK1, "Unlock", &e, NULL, "");
        if (r < 0)
                fprintf(stderr, "Unlock as nobody: %s: %s\n", e.name, e.message);
        if (userdata) {
                if (r >= 0 ||
                    !sd_bus_error_has_name(
                            &e, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"))
                        r = -EPERM;
                else {
                        sd_bus_error_free(&e);
                        (void) sd_bus_set_allow_interactive_authorization(bus, true);
                        r = sd_bus_call_method(bus, LOCK1, "Unlock", &e, NULL, "");
                        if (r < 0)
                                fprintf(stderr,
                                        "Unlock as nobody (interactive): %s: %s\n",
                                        e.name,
                                        e.message);
                        r = r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.AccessDenied")
                                ? 0
                                : -EPERM;
                }
        }
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

static void check_nobody(World *w, bool expect_denied) {
        pid_t pid;
        int status = 0;

        ck_assert_int_ge(
                test_bus_fork_as(
                        w->bus, "nobody", unlock_as_nobody, expect_denied ? (void *) 1 : NULL, &pid),
                0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, pid, TIMEOUT, &status), 0);
        ck_assert_msg(
                WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "nobody's Unlock was %s",
                expect_denied ? "not denied" : "denied");
}

START_TEST(test_polkit_denied) {
        World w;
        Seen seen;

        start(&w, &seen, false, NULL);
        world_pair(&w);
        check_nobody(&w, true);
        /* The daemon keeps serving root. */
        world_call_ok(&w, LOCK1, "Unlock");
        world_stop(&w);
}
END_TEST

START_TEST(test_polkit_rules_grant) {
        World w;
        Seen seen;

        start(&w, &seen, true, NULL);
        world_pair(&w);
        check_nobody(&w, false);
        ck_assert(world_state_is(&w, "unlocked"));
        world_stop(&w);
}
END_TEST

START_TEST(test_bluez_restart_and_faults) {
        uint64_t last_seen;
        World w;
        Seen seen;
        char *err;

        start(&w, &seen, false, NULL);
        world_pair(&w);

        /* The simulator (BlueZ) dies and comes back with its state: ttlockd follows it. */
        last_seen = world_get_u64(&w, LOCK1, "LastSeenUSec");
        world_stop_pid(&w, &w.sim_pid);
        world_start_sim(&w);
        ck_assert_msg(world_wait(&w, seen_after, &last_seen, TIMEOUT), "no advert after BlueZ came back");
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));

        /* The lock vanishes mid-command: Unreachable or Timeout, and the daemon keeps serving. The faults
         * are aimed at the command: the log read that follows Unlock() (Lock1.xml) may still be on
         * its way and would spend them. */
        world_sim_call(&w, "InjectFault", "su", "no-reply@FUNCTION_LOCK", 1);
        err = world_call(&w, LOCK1, "Lock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(
                strcmp(err, "org.ttlock.Error.Timeout") == 0 ||
                        strcmp(err, "org.ttlock.Error.Unreachable") == 0,
                "got %s",
                err);
        free(err);
        ck_assert_msg(!world_state_is(&w, "locking"), "State stuck in locking");

        /* Dropped right after FUNCTION_LOCK (a drop during the challenge is tried again: Lock1.xml):
         * never sent twice. */
        world_sim_call(&w, "InjectFault", "su", "drop-connection@FUNCTION_LOCK", 1);
        err = world_call(&w, LOCK1, "Lock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(
                strcmp(err, "org.ttlock.Error.Timeout") == 0 ||
                        strcmp(err, "org.ttlock.Error.Unreachable") == 0,
                "got %s",
                err);
        free(err);

        world_call_ok(&w, LOCK1, "Lock");
        ck_assert(world_state_is(&w, "locked"));
        world_stop(&w);
}
END_TEST

START_TEST(test_bad_arguments) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        World w;
        Seen seen;
        int r;

        start(&w, &seen, false, NULL);

        r = sd_bus_call_method(w.client, MANAGER, "GetLockByAddress", &e, NULL, "s", "not-an-address");
        ck_assert_int_lt(r, 0);
        ck_assert_str_eq(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
        ck_assert_ptr_nonnull(strstr(e.message, "AA:BB:CC:DD:EE:FF"));
        sd_bus_error_free(&e);

        r = sd_bus_call_method(w.client, MANAGER, "GetLockByAddress", &e, NULL, "s", "AA:BB:CC:DD:EE:F");
        ck_assert_int_lt(r, 0);
        ck_assert_str_eq(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
        sd_bus_error_free(&e);

        /* A well-formed address nobody knows. */
        r = sd_bus_call_method(w.client, MANAGER, "GetLockByAddress", &e, NULL, "s", "00:11:22:33:44:55");
        ck_assert_int_lt(r, 0);
        ck_assert_str_eq(e.name, "org.ttlock.Error.DoesNotExist");
        sd_bus_error_free(&e);

        world_pair(&w);
        r = sd_bus_call_method(w.client, LOCK1, "SetAlias", &e, NULL, "s", "front\ndoor");
        ck_assert_int_lt(r, 0);
        ck_assert_str_eq(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
        ck_assert_ptr_nonnull(strstr(e.message, "control"));
        sd_bus_error_free(&e);

        r = sd_bus_call_method(w.client, LOCK1, "SetAlias", &e, NULL, "s", "Front door");
        ck_assert_msg(r >= 0, "SetAlias: %s", e.message);
        {
                char *s = world_get_string(&w, LOCK1, "Alias");
                ck_assert_str_eq(s, "Front door");
                free(s);
        }

        /* Pairing what is paired. */
        r = sd_bus_call_method(w.client, LOCK1, "Pair", &e, NULL, "");
        ck_assert_int_lt(r, 0);
        ck_assert_str_eq(e.name, "org.ttlock.Error.AlreadyExists");
        sd_bus_error_free(&e);

        /* Forget: the keys are gone and the object with them (the lock keeps its admin). */
        world_call_ok(&w, LOCK1, "Forget");
        ck_assert_msg(world_wait(&w, world_lock_gone, NULL, TIMEOUT), "the forgotten lock's object stayed");
        world_stop(&w);
}
END_TEST

/* ---- FactoryReset ------------------------------------------------------------------------- */

static bool key_file_exists(World *w) {
        char p[300];

        return world_key_file(w, p, sizeof(p));
}

static bool gone_or_pairable(World *w, const void *arg) {
        return !world_lock_known(w, NULL) ||
                (world_get_bool(w, LOCK1, "Pairable") && !world_get_bool(w, LOCK1, "Paired"));
}

START_TEST(test_factory_reset) {
        World w;
        Seen seen;
        char *err;

        start(&w, &seen, false, NULL);
        world_pair(&w);
        ck_assert(key_file_exists(&w));

        world_call_ok(&w, LOCK1, "FactoryReset");
        /* The keys are gone with the admin they opened; the lock is factory-fresh again. */
        ck_assert_msg(!key_file_exists(&w), "the key file outlived FactoryReset");
        ck_assert_msg(!world_get_bool(&w, SIM1, "Paired"), "the simulated lock still has an admin");
        ck_assert_msg(
                world_wait(&w, gone_or_pairable, NULL, TIMEOUT),
                "the lock object neither went away nor became pairable");
        /* Still discovering: the reset lock advertises setting mode and shows up as pairable. */
        ck_assert_msg(
                world_wait(&w, world_lock_pairable, NULL, TIMEOUT),
                "the reset lock did not become pairable");
        err = world_call(&w, LOCK1, "Unlock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_str_eq(err, "org.ttlock.Error.NotPaired");
        free(err);
        /* And it can be paired again. */
        world_call_ok(&w, LOCK1, "Pair");
        ck_assert(world_get_bool(&w, LOCK1, "Paired"));
        ck_assert(key_file_exists(&w));
        world_call_ok(&w, LOCK1, "Unlock");
        world_stop(&w);
}
END_TEST

/* ---- introspection against dbus/ ----------------------------------------------------------- */

typedef struct Lines {
        char **v;
        size_t n;
} Lines;

static void lines_add(Lines *l, const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
        va_end(ap);
        l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
        ck_assert_ptr_nonnull(l->v);
        l->v[l->n++] = s;
}

static void lines_free(Lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* attr="value" of one tag (the text between < and >) into buf; "" when absent. */
static const char *tag_attr(const char *tag, size_t len, const char *attr, char *buf, size_t size) {
        char key[64];
        const char *p, *end = tag + len;

        snprintf(key, sizeof(key), " %s=\"", attr);
        buf[0] = 0;
        for (p = tag; p + strlen(key) <= end; p++)
                if (strncmp(p, key, strlen(key)) == 0 ||
                    (isspace((unsigned char) *p) && strncmp(p + 1, key + 1, strlen(key) - 1) == 0)) {
                        const char *v = p + strlen(key), *q = memchr(v, '"', (size_t) (end - v));
                        if (q)
                                snprintf(buf, size, "%.*s", (int) (q - v), v);
                        break;
                }
        return buf;
}

/* The parts of interface `iface` a client depends on, one normalised line each: members with their
 * argument names, types and directions, property types and access, and the annotations that change
 * behaviour (EmitsChangedSignal, absent = "true"; Deprecated; NoReply). Comments are skipped. */
static void interface_lines(const char *xml, const char *iface, Lines *out) {
        char member[160] = "", name[128], type[64], dir[16], access_[16], value[32];
        bool in_iface = false, in_property = false, in_signal = false, property_emits = false;
        const char *p = xml;

        while ((p = strchr(p, '<'))) {
                const char *tag = p, *end;
                bool closing, selfclosing;
                size_t len;
                char el[32] = "";

                if (strncmp(p, "<!--", 4) == 0) {
                        end = strstr(p, "-->");
                        ck_assert_ptr_nonnull(end);
                        p = end + 3;
                        continue;
                }
                end = strchr(p, '>');
                ck_assert_ptr_nonnull(end);
                p = end + 1;
                len = (size_t) (end - tag);
                closing = tag[1] == '/';
                selfclosing = end[-1] == '/';
                if (sscanf(tag + (closing ? 2 : 1), "%31[a-z]", el) != 1)
                        continue; /* <?xml …?>, <!DOCTYPE …> */

                if (strcmp(el, "interface") == 0) {
                        in_iface = !closing &&
                                strcmp(tag_attr(tag, len, "name", name, sizeof(name)), iface) == 0;
                        continue;
                }
                if (!in_iface)
                        continue;

                if (strcmp(el, "method") == 0 || strcmp(el, "signal") == 0 || strcmp(el, "property") == 0) {
                        if (!closing) {
                                tag_attr(tag, len, "name", name, sizeof(name));
                                snprintf(member, sizeof(member), "%s %s", el, name);
                                in_property = strcmp(el, "property") == 0;
                                in_signal = strcmp(el, "signal") == 0;
                                property_emits = false;
                                if (in_property)
                                        lines_add(
                                                out,
                                                "%s %s %s",
                                                member,
                                                tag_attr(tag, len, "type", type, sizeof(type)),
                                                tag_attr(tag, len, "access", access_, sizeof(access_)));
                                else
                                        lines_add(out, "%s", member);
                        }
                        if (closing || selfclosing) {
                                if (in_property && !property_emits)
                                        lines_add(out, "%s emits true", member);
                                in_property = in_signal = false;
                                member[0] = 0;
                        }
                        continue;
                }
                if (closing)
                        continue;
                if (strcmp(el, "arg") == 0) {
                        tag_attr(tag, len, "direction", dir, sizeof(dir));
                        tag_attr(tag, len, "name", name, sizeof(name));
                        lines_add(
                                out,
                                "%s arg %s %s %s",
                                member,
                                name,
                                tag_attr(tag, len, "type", type, sizeof(type)),
                                in_signal        ? "out"
                                        : dir[0] ? dir
                                                 : "in");
                } else if (strcmp(el, "annotation") == 0) {
                        tag_attr(tag, len, "name", name, sizeof(name));
                        tag_attr(tag, len, "value", value, sizeof(value));
                        if (strcmp(name, "org.freedesktop.DBus.Property.EmitsChangedSignal") == 0 &&
                            in_property) {
                                property_emits = true;
                                lines_add(out, "%s emits %s", member, value);
                        } else if (
                                strcmp(name, "org.freedesktop.DBus.Property.EmitsChangedSignal") == 0 ||
                                strcmp(name, "org.freedesktop.DBus.Deprecated") == 0 ||
                                strcmp(name, "org.freedesktop.DBus.Method.NoReply") == 0)
                                lines_add(
                                        out,
                                        "%s annotation %s %s",
                                        member[0] ? member : "interface",
                                        name,
                                        value);
                }
        }
        qsort(out->v, out->n, sizeof(char *), cmp_str);
}

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;
        FILE *m;
        int c;

        ck_assert_msg(f, "cannot open %s", path);
        m = open_memstream(&buf, &n);
        ck_assert_ptr_nonnull(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

static void compare_introspection(World *w, const char *path, const char *iface) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *live;
        char file[512], *doc;
        Lines a = {}, b = {};
        bool same;
        int r;

        r = sd_bus_call_method(
                w->client,
                "org.ttlock.Manager",
                path,
                "org.freedesktop.DBus.Introspectable",
                "Introspect",
                &e,
                &reply,
                "");
        ck_assert_msg(r >= 0, "Introspect %s: %s", path, e.message);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &live), 0);
        snprintf(file, sizeof(file), "%s/%s.xml", world_env_path("TTLOCK_DBUS_DIR"), iface);
        doc = read_text(file);

        interface_lines(live, iface, &a);
        interface_lines(doc, iface, &b);
        ck_assert_msg(a.n > 3, "%s: the daemon does not offer %s", path, iface);
        same = a.n == b.n;
        for (size_t i = 0; same && i < a.n; i++)
                same = strcmp(a.v[i], b.v[i]) == 0;
        if (!same) {
                for (size_t i = 0; i < a.n; i++)
                        if (!bsearch(&a.v[i], b.v, b.n, sizeof(char *), cmp_str))
                                fprintf(stderr, "%s: only the daemon has: %s\n", iface, a.v[i]);
                for (size_t i = 0; i < b.n; i++)
                        if (!bsearch(&b.v[i], a.v, a.n, sizeof(char *), cmp_str))
                                fprintf(stderr, "%s: only %s has: %s\n", iface, file, b.v[i]);
        }
        ck_assert_msg(same, "%s differs from what the daemon introspects at %s (see above)", file, path);
        lines_free(&a);
        lines_free(&b);
        free(doc);
        sd_bus_message_unref(reply);
}

static bool enough_adverts(World *w, const void *arg) {
        return ((Seen *) w->userdata)->adverts >= *(const unsigned *) arg;
}

START_TEST(test_introspection_and_last_seen) {
        unsigned want;
        World w;
        Seen seen;

        start(&w, &seen, false, NULL);
        ck_assert_msg(world_wait(&w, world_have_adapter, NULL, TIMEOUT), "no adapter");
        world_call_ok(&w, MANAGER, "StartDiscovery");
        ck_assert_msg(
                world_wait(&w, world_lock_pairable, NULL, TIMEOUT), "the pairable lock did not appear");

        compare_introspection(&w, "/org/ttlock/Manager", "org.ttlock.Manager1");
        compare_introspection(&w, LOCK_PATH, "org.ttlock.Lock1");
        compare_introspection(&w, "/org/ttlock/Radio/hci0", "org.ttlock.Radio1");

        /* Adverts every 200 ms: LastSeenUSec goes out at most about once a second (Lock1.xml). */
        seen.adverts = 0;
        seen.last_seen_signals = 0;
        want = 15;
        ck_assert_msg(world_wait(&w, enough_adverts, &want, TIMEOUT), "only %u adverts", seen.adverts);
        fprintf(stderr, "%u adverts, %u LastSeenUSec signals\n", seen.adverts, seen.last_seen_signals);
        ck_assert_uint_ge(seen.last_seen_signals, 1);
        ck_assert_msg(
                seen.last_seen_signals <= seen.adverts / 3,
                "%u LastSeenUSec signals for %u adverts",
                seen.last_seen_signals,
                seen.adverts);
        world_stop(&w);
}
END_TEST

/* ---- crashes and faults ------------------------------------------------------------------- */

START_TEST(test_kill_after_pair) {
        int status = 0;
        World w;
        Seen seen;

        start(&w, &seen, false, NULL);
        world_pair(&w);
        /* No clean shutdown: whatever Pair() wrote before it returned must be enough. */
        ck_assert_int_eq(kill(w.daemon_pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, w.daemon_pid, TIMEOUT, &status), 0);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        w.daemon_pid = 0;

        world_start_daemon(&w);
        ck_assert_msg(
                world_wait(&w, world_lock_known, NULL, TIMEOUT),
                "the paired lock is not back after the restart");
        ck_assert(world_get_bool(&w, LOCK1, "Paired"));
        /* Until an advert shows it, BlueZ has no device to connect to (Unreachable is right then). */
        {
                uint64_t never = 0;
                ck_assert_msg(world_wait(&w, seen_after, &never, TIMEOUT), "no advert after the restart");
        }
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));
        world_stop(&w);
}
END_TEST

START_TEST(test_bad_crc_from_lock) {
        World w;
        Seen seen;
        char *err;

        start(&w, &seen, false, NULL);
        world_pair(&w);

        /* One answer with a broken CRC: the command goes out again (§9.1) and succeeds. */
        world_sim_call(&w, "InjectFault", "su", "bad-crc", 1);
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));

        /* Every answer broken for a while: a clean error, never a crash. */
        world_sim_call(&w, "InjectFault", "su", "bad-crc@FUNCTION_LOCK", 2);
        err = world_call(&w, LOCK1, "Lock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(
                strcmp(err, "org.ttlock.Error.Failed") == 0 || strcmp(err, "org.ttlock.Error.Timeout") == 0,
                "got %s",
                err);
        free(err);
        ck_assert(world_daemon_alive(&w));
        ck_assert_msg(!world_state_is(&w, "locking"), "State stuck in locking");

        world_call_ok(&w, LOCK1, "Lock");
        ck_assert(world_state_is(&w, "locked"));
        world_stop(&w);
}
END_TEST

START_TEST(test_lock_vanishes_mid_unlock) {
        WorldAsync c;
        uint64_t t0;
        int status = 0;
        World w;
        Seen seen;

        start(&w, &seen, false, NULL);
        world_pair(&w);

        /* The lock takes the challenge and then says nothing, and while Unlock() waits the whole
         * radio (the simulator, i.e. BlueZ) dies. */
        world_sim_call(&w, "InjectFault", "su", "no-reply", 1);
        world_call_async(&w, &c, LOCK1, "Unlock", NULL);
        ck_assert_msg(world_wait(&w, world_state_is, "unlocking", TIMEOUT), "Unlock() did not start");
        t0 = world_now_usec();
        ck_assert_int_eq(kill(w.sim_pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, w.sim_pid, TIMEOUT, &status), 0);
        w.sim_pid = 0;

        ck_assert_msg(world_wait(&w, world_async_done, &c, TIMEOUT), "Unlock() did not return within 20 s");
        fprintf(stderr, "Unlock() → %s after %.1f s\n", c.error, (double) (world_now_usec() - t0) / 1e6);
        ck_assert_msg(
                strcmp(c.error, "org.ttlock.Error.Unreachable") == 0 ||
                        strcmp(c.error, "org.ttlock.Error.Timeout") == 0,
                "got \"%s\"",
                c.error);
        ck_assert(world_daemon_alive(&w));
        ck_assert_msg(!world_state_is(&w, "unlocking"), "State stuck in unlocking");

        /* The radio comes back: the daemon serves again. */
        world_start_sim(&w);
        ck_assert(world_wait(&w, world_lock_known, NULL, TIMEOUT));
        {
                uint64_t last_seen = world_get_u64(&w, LOCK1, "LastSeenUSec");
                ck_assert_msg(
                        world_wait(&w, seen_after, &last_seen, TIMEOUT),
                        "no advert after the simulator came back");
        }
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));
        world_async_done_free(&c);
        world_stop(&w);
}
END_TEST

/* Lock/Unlock never keep their caller past the method deadline (HACKING.md: 20 s), whatever the
 * link is waiting for; TTLOCKD_METHOD_TIMEOUT_SEC shortens it so that the test need not wait 19 s. */
START_TEST(test_method_deadline) {
        const char *env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=1", NULL };
        WorldAsync c;
        uint64_t t0, took;
        World w;
        Seen seen;

        start(&w, &seen, false, NULL);
        world_pair(&w);
        world_stop_pid(&w, &w.daemon_pid);
        w.daemon_env = env;
        world_start_daemon(&w);
        ck_assert(world_wait(&w, world_lock_known, NULL, TIMEOUT));

        /* The lock takes the challenge and says nothing: the link would wait 4 s for its reply. The
         * fault names the challenge (CHECK_USER_TIME, §5.3): the read of the log that a restart starts
         * (lock.c) must not spend it. */
        world_sim_call(&w, "InjectFault", "su", "no-reply@CHECK_USER_TIME", 1);
        t0 = world_now_usec();
        world_call_async(&w, &c, LOCK1, "Unlock", NULL);
        ck_assert(world_wait(&w, world_async_done, &c, TIMEOUT));
        took = world_now_usec() - t0;
        ck_assert_str_eq(c.error, "org.ttlock.Error.Timeout");
        ck_assert_msg(
                took < 3 * TEST_USEC_PER_SEC,
                "Unlock() took %.1f s with a 1 s deadline",
                (double) took / 1e6);
        ck_assert_msg(!world_state_is(&w, "unlocking"), "State stuck in unlocking");
        ck_assert(world_daemon_alive(&w));

        /* The abandoned operation left the link in order for the next caller. */
        world_call_ok(&w, LOCK1, "Unlock");
        ck_assert(world_state_is(&w, "unlocked"));
        world_async_done_free(&c);
        world_stop(&w);
}
END_TEST

/* One case per scenario, so that CK_RUN_CASE=<name> runs one of them. */
#define ADD_CASE(s, name)                        \
        do {                                     \
                TCase *tc = tcase_create(#name); \
                tcase_set_timeout(tc, 120);      \
                tcase_add_test(tc, test_##name); \
                suite_add_tcase(s, tc);          \
        } while (0)

static Suite *make_suite(void) {
        Suite *s = suite_create("daemon");

        ADD_CASE(s, bad_arguments);
        ADD_CASE(s, discover_pair_unlock_lock);
        ADD_CASE(s, events_and_restart);
        ADD_CASE(s, auto_lock);
        ADD_CASE(s, polkit_denied);
        ADD_CASE(s, polkit_rules_grant);
        ADD_CASE(s, bluez_restart_and_faults);
        ADD_CASE(s, factory_reset);
        ADD_CASE(s, introspection_and_last_seen);
        ADD_CASE(s, kill_after_pair);
        ADD_CASE(s, bad_crc_from_lock);
        ADD_CASE(s, lock_vanishes_mid_unlock);
        ADD_CASE(s, method_deadline);
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
