/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Locks as people live with them, end to end (world.h): the Event of the daemon's own Unlock() while its
 * link is still up, each record signalled once also when the lock hands its records out again and
 * ttlockd restarts, the auto-lock nobody logged, a jammed motor, the door sensor, passage mode now and
 * freezing — through the D-Bus API only (dbus/org.ttlock.Lock1.xml, org.ttlock.Settings1.xml), with
 * the person at the door played by org.ttlock.Sim1. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "world.h"

#define SETTINGS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"
#define CREDENTIALS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define PLAIN_ADDRESS "AA:BB:CC:00:00:02"
#define PLAIN_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_02"
#define PLAIN_LOCK1 "org.ttlock.Manager", PLAIN_PATH, "org.ttlock.Lock1"
#define PLAIN_SETTINGS1 "org.ttlock.Manager", PLAIN_PATH, "org.ttlock.Settings1"
#define CODE "246810"
#define EVENTS_MAX 64

typedef struct Seen {
        char kind[32];
        char method[32];
        bool has_record_type;
        uint32_t record_type;
        bool connected; /* Lock1.Connected, as signalled, when the Event came */
} Seen;

static Seen events[EVENTS_MAX];
static size_t n_events;
static bool connected;

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *kind, *key;
        Seen *s;

        if (n_events >= EVENTS_MAX || sd_bus_message_read(m, "s", &kind) < 0)
                return 0;
        s = &events[n_events];
        *s = (Seen){ .connected = connected };
        snprintf(s->kind, sizeof(s->kind), "%s", kind);
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *method;

                if (sd_bus_message_read(m, "s", &key) < 0)
                        return 0;
                if (strcmp(key, "method") == 0) {
                        if (sd_bus_message_read(m, "v", "s", &method) < 0)
                                return 0;
                        snprintf(s->method, sizeof(s->method), "%s", method);
                } else if (strcmp(key, "record-type") == 0) {
                        if (sd_bus_message_read(m, "v", "u", &s->record_type) < 0)
                                return 0;
                        s->has_record_type = true;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        n_events++;
        return 0;
}

static int on_lock_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *iface, *name;
        int b;

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, "org.ttlock.Lock1") != 0 ||
            sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (strcmp(name, "Connected") == 0) {
                        if (sd_bus_message_read(m, "v", "b", &b) < 0)
                                return 0;
                        connected = b;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

/* The world with the one lock paired, its events and Connected watched. more: further sim arguments. */
static void start_paired(World *w, const char *const *more) {
        *w = (World){ .sim_args = more };
        n_events = 0;
        connected = false;
        world_start(w);
        /* Matched by path and interface: sd-bus cannot compare a well-known sender name itself. */
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client, NULL, NULL, WORLD_LOCK_PATH, "org.ttlock.Lock1", "Event", on_event, NULL),
                0);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client,
                        NULL,
                        NULL,
                        WORLD_LOCK_PATH,
                        "org.freedesktop.DBus.Properties",
                        "PropertiesChanged",
                        on_lock_changed,
                        NULL),
                0);
        world_discover(w);
        world_call_ok(w, WORLD_LOCK1, "Pair");
        ck_assert(world_get_bool(w, WORLD_LOCK1, "Paired"));
}

typedef struct Want {
        const char *kind;
        const char *method; /* NULL: any */
        size_t n;
} Want;

static size_t count(const char *kind, const char *method) {
        size_t n = 0;

        for (size_t i = 0; i < n_events; i++)
                if (strcmp(events[i].kind, kind) == 0 && (!method || strcmp(events[i].method, method) == 0))
                        n++;
        return n;
}

static bool have_events(World *w, const void *arg) {
        const Want *want = arg;

        return count(want->kind, want->method) >= want->n;
}

static const Seen *wait_event(World *w, const char *kind, const char *method, size_t n) {
        Want want = { kind, method, n };

        ck_assert_msg(
                world_wait(w, have_events, &want, WORLD_TIMEOUT),
                "no Event %s (method %s) #%zu",
                kind,
                method ?: "any",
                n);
        for (size_t i = n_events; i > 0; i--)
                if (strcmp(events[i - 1].kind, kind) == 0 &&
                    (!method || strcmp(events[i - 1].method, method) == 0))
                        return &events[i - 1];
        ck_abort();
}

static uint32_t
get_u32(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint32_t v = 0;
        int r;

        r = sd_bus_get_property_trivial(w->client, service, path, iface, prop, &e, 'u', &v);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return v;
}

static bool sim_locked(World *w, const void *arg) {
        return world_get_bool(w, WORLD_SIM1, "Locked") == *(const bool *) arg;
}

static bool state_is(World *w, const void *arg) {
        char *s = world_get_string(w, WORLD_LOCK1, "State");
        bool same = strcmp(s, arg) == 0;

        free(s);
        return same;
}

static void
call_ok(World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, service, path, iface, method), 0);
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                ck_assert_int_ge(r, 0);
        }
        r = sd_bus_call(w->client, m, WORLD_TIMEOUT, &e, NULL);
        ck_assert_msg(r >= 0, "%s.%s: %s: %s", iface, method, e.name, e.message);
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
}

/* The number of records GetHistory() returns: ttlockd's archive. */
static size_t history_count(World *w) {
        sd_bus_message *reply = NULL;
        size_t n = 0;

        ck_assert_int_ge(
                sd_bus_call_method(w->client, SETTINGS1, "GetHistory", NULL, &reply, "tu", (uint64_t) 0, 0u),
                0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_skip(reply, "a{sv}") > 0)
                n++;
        sd_bus_message_unref(reply);
        return n;
}

/* The simulator, stopped, forgets which of its records were handed out: at its next start it offers
 * them all again as new, as a lock may (doc/protocol.md §9.4). */
static void sim_forgets_read_mark(World *w) {
        char *text = NULL, *p;
        size_t size = 0;
        FILE *f;
        uint32_t records = get_u32(w, WORLD_SIM1, "LogRecords");

        world_stop_pid(w, &w->sim_pid);
        f = fopen(w->sim_state, "re");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_gt(getdelim(&text, &size, '\0', f), 0);
        fclose(f);
        p = strstr(text, "log-unread: ");
        ck_assert_msg(p, "no read mark in %s", w->sim_state);
        f = fopen(w->sim_state, "we");
        ck_assert_ptr_nonnull(f);
        fprintf(f,
                "%.*slog-unread: %u%s",
                (int) (p - text),
                text,
                records,
                p + strlen("log-unread: ") + strspn(p + strlen("log-unread: "), "0123456789"));
        ck_assert_int_eq(fclose(f), 0);
        free(text);
        world_start_sim(w);
}

/* The Event of the daemon's own Unlock/Lock comes on the link that is still up, not at the next advert
 * (Lock1.xml Unlock); each record is signalled once, also when the lock hands them all out again to a
 * restarted ttlockd. */
START_TEST(test_prompt_events_once) {
        const Seen *e;
        size_t archived;
        World w;

        start_paired(&w, NULL);
        call_ok(&w, CREDENTIALS1, "AddPasscode", "stt", CODE, (uint64_t) 0, (uint64_t) 0);

        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        e = wait_event(&w, "unlocked", "app", 1);
        ck_assert(e->has_record_type);
        ck_assert_uint_eq(e->record_type, 1);
        /* Read on the connection the Unlock() used: the link had not been let go yet. */
        ck_assert_msg(e->connected, "the Event came after the link was dropped");

        world_call_ok(&w, WORLD_LOCK1, "Lock");
        e = wait_event(&w, "locked", "app", 1);
        ck_assert(e->connected);

        world_sim_call(&w, "EnterPasscode", "s", CODE);
        wait_event(&w, "unlocked", "passcode", 1);
        archived = history_count(&w);
        ck_assert_uint_ge(archived, 3);

        /* ttlockd restarts, and the lock offers every record again; then the keypad once more. */
        world_stop_pid(&w, &w.daemon_pid);
        sim_forgets_read_mark(&w);
        world_start_daemon(&w);
        ck_assert(world_wait(&w, world_lock_paired, NULL, WORLD_TIMEOUT));
        world_sim_call(&w, "EnterPasscode", "s", CODE);
        wait_event(&w, "unlocked", "passcode", 2);
        /* The records offered again came in the same read as the new one, before it: none twice. */
        ck_assert_uint_eq(count("unlocked", "app"), 1);
        ck_assert_uint_eq(count("locked", "app"), 1);
        ck_assert_uint_eq(count("unlocked", "passcode"), 2);
        ck_assert_uint_eq(history_count(&w), archived + 1);
        world_stop(&w);
}
END_TEST

/* A lock with auto-lock on that logs nothing of it: Event "locked" with method "auto-lock". */
START_TEST(test_auto_lock_event) {
        const Seen *e;
        bool locked = true;
        World w;

        start_paired(&w, NULL);
        call_ok(&w, SETTINGS1, "SetAutoLock", "u", 1u);
        call_ok(&w, CREDENTIALS1, "AddPasscode", "stt", CODE, (uint64_t) 0, (uint64_t) 0);
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        wait_event(&w, "unlocked", "app", 1);
        e = wait_event(&w, "locked", "auto-lock", 1);
        ck_assert(!e->has_record_type);
        ck_assert(world_wait(&w, sim_locked, &locked, WORLD_TIMEOUT));
        ck_assert(world_wait(&w, state_is, "locked", WORLD_TIMEOUT));

        /* Once per re-lock: the keypad opens, the lock closes itself, one more. */
        world_sim_call(&w, "EnterPasscode", "s", CODE);
        wait_event(&w, "unlocked", "passcode", 1);
        wait_event(&w, "locked", "auto-lock", 2);
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_uint_eq(count("locked", "auto-lock"), 2);
        ck_assert_uint_eq(count("locked", "app"), 0);
        world_stop(&w);
}
END_TEST

/* The motor does not get there: LockRefused, State "jammed", Event "jammed" from the lock's record; the
 * next Unlock() that works clears it. */
START_TEST(test_jammed) {
        const Seen *e;
        char *err;
        World w;

        start_paired(&w, NULL);
        world_sim_call(&w, "InjectFault", "su", "jam", 1u);
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_str_eq(err, "org.ttlock.Error.LockRefused");
        free(err);
        ck_assert(state_is(&w, "jammed"));
        e = wait_event(&w, "jammed", NULL, 1);
        ck_assert(e->has_record_type);
        ck_assert_uint_eq(e->record_type, 65);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));

        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        ck_assert(state_is(&w, "unlocked"));
        wait_event(&w, "unlocked", "app", 1);
        ck_assert_uint_eq(count("jammed", NULL), 1);
        world_stop(&w);
}
END_TEST

static bool door_is(World *w, const void *arg) {
        return world_get_bool(w, WORLD_LOCK1, "DoorOpen") == *(const bool *) arg;
}

START_TEST(test_door) {
        const Seen *e;
        bool open = true;
        World w;

        start_paired(&w, NULL);
        ck_assert(!world_get_bool(&w, WORLD_LOCK1, "DoorOpen"));
        ck_assert_uint_eq(get_u32(&w, SETTINGS1, "DoorLeftOpenSeconds"), 300);
        call_ok(&w, SETTINGS1, "SetDoorLeftOpenTime", "u", 1u);
        ck_assert_uint_eq(get_u32(&w, SETTINGS1, "DoorLeftOpenSeconds"), 1);

        world_sim_call(&w, "OpenDoor", "b", 1);
        e = wait_event(&w, "door-opened", "door-sensor", 1);
        ck_assert_uint_eq(e->record_type, 31);
        ck_assert(world_wait(&w, door_is, &open, WORLD_TIMEOUT));
        ck_assert_uint_gt(world_get_u64(&w, WORLD_LOCK1, "DoorStateUpdatedUSec"), 0);
        /* Left open past its second. */
        e = wait_event(&w, "door-left-open", "door-sensor", 1);
        ck_assert(!e->has_record_type);

        world_sim_call(&w, "OpenDoor", "b", 0);
        wait_event(&w, "door-closed", "door-sensor", 1);
        open = false;
        ck_assert(world_wait(&w, door_is, &open, WORLD_TIMEOUT));
        ck_assert_uint_eq(count("door-left-open", NULL), 1);
        world_stop(&w);
}
END_TEST

/* The windows GetPassageModes() returns. */
static size_t passage_windows(World *w) {
        sd_bus_message *reply = NULL;
        size_t n = 0;

        ck_assert_int_ge(sd_bus_call_method(w->client, SETTINGS1, "GetPassageModes", NULL, &reply, ""), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_skip(reply, "a{sv}") > 0)
                n++;
        sd_bus_message_unref(reply);
        return n;
}

/* Passage mode now: on apart from the weekly windows, the lock stays open past its auto-lock time;
 * off, the windows are as they were. */
START_TEST(test_passage_now) {
        static const uint8_t monday[] = { 1 };
        sd_bus_message *m = NULL;
        bool locked = true;
        World w;

        start_paired(&w, NULL);
        /* One weekly window, Monday 08:00–09:00. */
        ck_assert_int_ge(sd_bus_message_new_method_call(w.client, &m, SETTINGS1, "SetPassageModes"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "a{sv}"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
        ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
        ck_assert_int_ge(sd_bus_message_append_array(m, 'y', monday, sizeof(monday)), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(
                sd_bus_message_append(
                        m,
                        "{sv}{sv}",
                        "start-minute",
                        "q",
                        (uint16_t) 480,
                        "end-minute",
                        "q",
                        (uint16_t) 540),
                0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_call(w.client, m, WORLD_TIMEOUT, NULL, NULL), 0);
        m = sd_bus_message_unref(m);

        call_ok(&w, SETTINGS1, "SetAutoLock", "u", 1u);
        call_ok(&w, SETTINGS1, "SetPassageModeActive", "b", 1);
        ck_assert(world_get_bool(&w, SETTINGS1, "PassageModeActive"));
        ck_assert_uint_eq(passage_windows(&w), 1);

        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        /* Three times the auto-lock time, and still open. */
        ck_assert(!world_wait(&w, sim_locked, &locked, 3 * TEST_USEC_PER_SEC));
        ck_assert_uint_eq(count("locked", NULL), 0);

        call_ok(&w, SETTINGS1, "SetPassageModeActive", "b", 0);
        ck_assert(!world_get_bool(&w, SETTINGS1, "PassageModeActive"));
        ck_assert_uint_eq(passage_windows(&w), 1);
        /* Its schedule apart, the lock re-locks after an unlock again. */
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        ck_assert(world_wait(&w, sim_locked, &locked, WORLD_TIMEOUT));
        world_stop(&w);
}
END_TEST

typedef struct NobodyCall {
        const char *method;
} NobodyCall;

static int nobody_call(void *userdata) {
        const NobodyCall *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, SETTINGS1, c->method, &e, NULL, "b", 1);
        /* [manage]: nobody, without interaction, is asked to authenticate. */
        r = r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
                ? 0
                : -EPERM;
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

static void nobody_refused(World *w, const char *method) {
        NobodyCall c = { method };
        int status = 0;
        pid_t pid;

        ck_assert_int_ge(test_bus_fork_as(w->bus, "nobody", nobody_call, &c, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, pid, WORLD_TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s as nobody was not refused", method);
}

static bool plain_pairable(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(
                w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", PLAIN_ADDRESS);
        sd_bus_message_unref(reply);
        return r >= 0 && world_get_bool(w, PLAIN_LOCK1, "Pairable");
}

/* Frozen: the keypad is refused, the daemon (the administrator) still opens; [manage]; only on locks
 * with the feature, as passage mode now and the door. */
START_TEST(test_frozen_and_features) {
        static const char *const more[] = { "--lock",
                                            "mac=" PLAIN_ADDRESS ",name=K5_020000,features=passcode",
                                            NULL };
        bool locked = true;
        char *err;
        World w;

        start_paired(&w, more);
        call_ok(&w, CREDENTIALS1, "AddPasscode", "stt", CODE, (uint64_t) 0, (uint64_t) 0);
        nobody_refused(&w, "SetFrozen");
        nobody_refused(&w, "SetPassageModeActive");
        call_ok(&w, SETTINGS1, "SetFrozen", "b", 1);
        ck_assert(world_get_bool(&w, SETTINGS1, "Frozen"));

        world_sim_call(&w, "EnterPasscode", "s", CODE);
        wait_event(&w, "unlock-failed", "passcode", 1);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
        world_call_ok(&w, WORLD_LOCK1, "Lock");

        call_ok(&w, SETTINGS1, "SetFrozen", "b", 0);
        ck_assert(!world_get_bool(&w, SETTINGS1, "Frozen"));
        world_sim_call(&w, "EnterPasscode", "s", CODE);
        wait_event(&w, "unlocked", "passcode", 1);
        locked = false;
        ck_assert(world_wait(&w, sim_locked, &locked, WORLD_TIMEOUT));

        /* A lock with none of the features: NotSupported, before anything is sent. */
        ck_assert(world_wait(&w, plain_pairable, NULL, WORLD_TIMEOUT));
        world_call_ok(&w, PLAIN_LOCK1, "Pair");
        err = world_call(&w, PLAIN_SETTINGS1, "SetFrozen", "b", 1);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        free(err);
        err = world_call(&w, PLAIN_SETTINGS1, "SetPassageModeActive", "b", 1);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        free(err);
        err = world_call(&w, PLAIN_SETTINGS1, "SetDoorLeftOpenTime", "u", 60u);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        free(err);
        ck_assert_uint_eq(get_u32(&w, PLAIN_SETTINGS1, "DoorLeftOpenSeconds"), 0);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("events");
        TCase *tc = tcase_create("end-to-end");

        tcase_set_timeout(tc, 180);
        tcase_add_test(tc, test_prompt_events_once);
        tcase_add_test(tc, test_auto_lock_event);
        tcase_add_test(tc, test_jammed);
        tcase_add_test(tc, test_door);
        tcase_add_test(tc, test_passage_now);
        tcase_add_test(tc, test_frozen_and_features);
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
