/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Keys from elsewhere, end to end (world.h; doc/lockdata.md): ttlock-sim plays locks that the official
 * app or the old add-on paired earlier, and prints the lockData, cloud JSON or lockData.json they would
 * hold (--print-lockdata). ttlockd imports them through Manager1.ImportLocks and uses the locks without a
 * reset: unlock, events, passcodes for an admin; opening and closing only for an eKey, until it expires.
 * Wrong keys, a lock out of reach, unverified keys, newer keys, a backup round trip, hostile input and a
 * caller without the right. */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "world.h"

#define KEYS "aes-key=00112233445566778899aabbccddeeff,admin-ps=73079075,unlock-key=76257105,uid=1000"
#define SPEC1 "mac=" WORLD_LOCK_ADDRESS ",name=K5_010000," KEYS
#define ADDR2 "AA:BB:CC:00:00:02"
#define ADDR3 "AA:BB:CC:00:00:03"
#define SPEC2        \
        "mac=" ADDR2 \
        ",name=K5_020000,aes-key=0f0e0d0c0b0a09080706050403020100,admin-ps=11112222,unlock-key=33334444"
#define SPEC3        \
        "mac=" ADDR3 \
        ",name=K5_030000,aes-key=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,admin-ps=55556666,unlock-key=77778888"
/* Lock 3 as an old file remembers it: another admin password than the lock holds now. */
#define SPEC3_STALE  \
        "mac=" ADDR3 \
        ",name=K5_030000,aes-key=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,admin-ps=99990000,unlock-key=77778888"
#define LOCK_PATH_2 "/org/ttlock/Lock/AA_BB_CC_00_00_02"
#define SIM_PATH_2 "/org/bluez/hci0/dev_AA_BB_CC_00_00_02"
#define CREDENTIALS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define SETTINGS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"

static uint64_t now_realtime_sec(void) {
        return (uint64_t) time(NULL);
}

/* ---- calling ImportLocks ------------------------------------------------------------------------ */

typedef struct ImportReply {
        char *error;   /* NULL on success */
        char *message; /* the error's */
        char *paths[8];
        size_t n_paths;
        uint64_t usec; /* how long the call took */
} ImportReply;

static void import_reply_done(ImportReply *r) {
        free(r->error);
        free(r->message);
        for (size_t i = 0; i < r->n_paths; i++)
                free(r->paths[i]);
        *r = (ImportReply){};
}

static uint64_t now_mono_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void import_call(World *w, const char *method, const char *data, ImportReply *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply;
        const char *path;
        uint64_t start = now_mono_usec();

        *ret = (ImportReply){};
        reply = world_call_reply(w, &e, /* sensitive= */ true, WORLD_MANAGER, method, "s", data);
        ret->usec = now_mono_usec() - start;
        if (!reply) {
                ret->error = strdup(e.name);
                ret->message = strdup(e.message ?: "");
                sd_bus_error_free(&e);
                return;
        }
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        while (sd_bus_message_read(reply, "o", &path) > 0) {
                ck_assert_uint_lt(ret->n_paths, ELEMENTSOF(ret->paths));
                ret->paths[ret->n_paths++] = strdup(path);
        }
        sd_bus_message_unref(reply);
}

static void import_ok(World *w, const char *data, size_t n_locks) {
        ImportReply r;

        import_call(w, "ImportLocks", data, &r);
        ck_assert_msg(!r.error, "ImportLocks: %s: %s", r.error, r.message);
        ck_assert_uint_eq(r.n_paths, n_locks);
        fprintf(stderr, "ImportLocks of %zu lock(s): %.0f ms\n", n_locks, r.usec / 1000.0);
        import_reply_done(&r);
}

static void
import_fails(World *w, const char *method, const char *data, const char *name, const char *infix) {
        ImportReply r;

        import_call(w, method, data, &r);
        ck_assert_msg(r.error, "%s succeeded", method);
        ck_assert_msg(
                strcmp(r.error, name) == 0, "%s: %s (%s), expected %s", method, r.error, r.message, name);
        if (infix)
                ck_assert_msg(strstr(r.message, infix), "\"%s\" lacks \"%s\"", r.message, infix);
        /* Never a key in what the caller is told. */
        ck_assert(
                !strstr(r.message, "73079075") && !strstr(r.message, "76257105") &&
                !strstr(r.message, "00112233445566778899"));
        import_reply_done(&r);
}

static char *lockdata(World *w, const char *spec, const char *kind) {
        const char *specs[] = { spec, NULL };
        return world_sim_lockdata(w, specs, kind);
}

static char *call_error(
        World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        char **ret_message,
        const char *types,
        ...) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        char *name = NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, service, path, iface, method), 0);
        if (types) {
                va_start(ap, types);
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
                va_end(ap);
        }
        r = sd_bus_call(w->client, m, 0, &e, &reply);
        if (r < 0) {
                name = strdup(e.name);
                if (ret_message)
                        *ret_message = strdup(e.message ?: "");
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return name;
}

/* ---- what the lock does ------------------------------------------------------------------------- */

typedef struct Events {
        const char *want; /* the method of the Event waited for */
        bool seen;
        char method[32]; /* of the last Event */
        sd_bus_slot *slot;
} Events;

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Events *ev = userdata;
        const char *kind, *key, *method = NULL;

        if (sd_bus_message_read(m, "s", &kind) < 0 || sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &key) < 0)
                        break;
                if (strcmp(key, "method") == 0)
                        (void) sd_bus_message_read(m, "v", "s", &method);
                else
                        (void) sd_bus_message_skip(m, "v");
                (void) sd_bus_message_exit_container(m);
        }
        snprintf(ev->method, sizeof(ev->method), "%s", method ?: "");
        ev->seen = ev->seen || strcmp(ev->method, ev->want) == 0;
        return 0;
}

static bool event_with_method(World *w, const void *arg) {
        const Events *ev = arg;
        return ev->seen;
}

/* Until unwatch_events(): the match points at ev, which lives on the caller's stack. */
static void watch_events(World *w, Events *ev, const char *method) {
        *ev = (Events){ .want = method };
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client,
                        &ev->slot,
                        "org.ttlock.Manager",
                        NULL,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        ev),
                0);
}

static void unwatch_events(Events *ev) {
        ev->slot = sd_bus_slot_unref(ev->slot);
}

static bool lock_gone(World *w, const void *arg) {
        return !world_lock_known(w, NULL);
}

static void unlock_and_lock(World *w) {
        world_call_ok(w, WORLD_LOCK1, "Unlock");
        ck_assert(!world_get_bool(w, WORLD_SIM1, "Locked"));
        world_call_ok(w, WORLD_LOCK1, "Lock");
        ck_assert(world_get_bool(w, WORLD_SIM1, "Locked"));
}

/* Someone turns the knob at the door: the lock logs it, ttlockd reads the log and says so. */
static void knob_event_arrives(World *w) {
        Events ev;

        watch_events(w, &ev, "mechanical-key");
        world_sim_call(w, "TurnKnob", "b", false);
        ck_assert_msg(world_wait(w, event_with_method, &ev, WORLD_TIMEOUT), "no Event for the knob");
        unwatch_events(&ev);
}

static void start_with(World *w, const char *spec1, const char *const *more) {
        *w = (World){ .lock_spec = spec1, .sim_args = more };
        world_start(w);
}

/* ---- the formats -------------------------------------------------------------------------------- */

/* An admin's lockData string: the lock is paired without a reset, opens, logs, takes a passcode. */
START_TEST(test_admin_lockdata) {
        World w;
        Events ev;
        char *text, *role;

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, SPEC1, "admin");
        import_ok(&w, text, 1);
        free(text);
        ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
        role = world_get_string(&w, WORLD_LOCK1, "Role");
        ck_assert_str_eq(role, "admin");
        free(role);
        ck_assert(world_key_file_contains(&w, "aes-key"));
        ck_assert(!world_key_file_contains(&w, "provisional"));

        unlock_and_lock(&w);
        knob_event_arrives(&w);
        world_call_ok(&w, WORLD_LOCK1, "Lock");

        /* A passcode: admin rights, then typed at the keypad. */
        ck_assert_ptr_null(
                world_call(&w, CREDENTIALS1, "AddPasscode", "stt", "482916", UINT64_C(0), UINT64_C(0)));
        watch_events(&w, &ev, "passcode");
        world_sim_call(&w, "EnterPasscode", "s", "482916");
        ck_assert_msg(world_wait(&w, event_with_method, &ev, WORLD_TIMEOUT), "no Event for the passcode");
        unwatch_events(&ev);
        world_stop(&w);
}
END_TEST

/* The cloud's JSON, a list answer carrying the lockData: the alias comes along. */
START_TEST(test_cloud_json) {
        World w;
        char *text, *json = NULL, *alias;

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, SPEC1, "admin");
        text[strcspn(text, "\n")] = 0;
        ck_assert_int_ge(
                asprintf(
                        &json,
                        "{\"list\": [{\"lockId\": 4711, \"lockAlias\": \"Front door\", \"lockData\": "
                        "\"%s\", \"userType\": \"110301\"}], \"pageNo\": 1, \"pageSize\": 20}",
                        text),
                0);
        free(text);
        import_ok(&w, json, 1);
        free(json);
        alias = world_get_string(&w, WORLD_LOCK1, "Alias");
        ck_assert_str_eq(alias, "Front door");
        free(alias);
        unlock_and_lock(&w);
        knob_event_arrives(&w);
        ck_assert_ptr_null(
                world_call(&w, CREDENTIALS1, "AddPasscode", "stt", "135790", UINT64_C(0), UINT64_C(0)));
        world_stop(&w);
}
END_TEST

/* The old add-on's lockData.json with three locks, one of which holds an admin password the lock no
 * longer has: two are imported, the error names the third and why, and nothing of it is stored. */
START_TEST(test_addon_file) {
        const char *const more[] = { "--lock", SPEC2, "--lock", SPEC3, NULL };
        const char *const file_specs[] = { SPEC1, SPEC2, SPEC3_STALE, NULL };
        World w;
        ImportReply r;
        char *text, path[300];

        start_with(&w, SPEC1, more);
        text = world_sim_lockdata(&w, file_specs, "addon");
        ck_assert_ptr_nonnull(strstr(text, "privateData"));
        import_call(&w, "ImportLocks", text, &r);
        free(text);
        ck_assert_str_eq(r.error, "org.ttlock.Error.AuthenticationFailed");
        ck_assert_msg(
                strstr(r.message, "Imported 2 of 3 lock(s): " WORLD_LOCK_ADDRESS ", " ADDR2 "."),
                "%s",
                r.message);
        ck_assert_msg(
                strstr(r.message, "Not imported: " ADDR3 ": The lock refused our credentials"),
                "%s",
                r.message);
        fprintf(stderr, "ImportLocks of 3 locks, one failing: %.0f ms\n", r.usec / 1000.0);
        import_reply_done(&r);

        ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
        ck_assert(world_get_bool(&w, "org.ttlock.Manager", LOCK_PATH_2, "org.ttlock.Lock1", "Paired"));
        ck_assert(!world_key_file_of(&w, ADDR3, path, sizeof(path)));

        /* Both work: a passcode on the first, the second opens. */
        ck_assert_ptr_null(
                world_call(&w, CREDENTIALS1, "AddPasscode", "stt", "246810", UINT64_C(0), UINT64_C(0)));
        world_call_ok(&w, "org.ttlock.Manager", LOCK_PATH_2, "org.ttlock.Lock1", "Unlock");
        ck_assert(!world_get_bool(&w, "org.bluez", SIM_PATH_2, "org.ttlock.Sim1", "Locked"));
        /* The log of lock 1, read with the add-on's keys. */
        knob_event_arrives(&w);
        world_stop(&w);
}
END_TEST

/* ---- eKeys -------------------------------------------------------------------------------------- */

/* An eKey: it opens and closes, reads the log, and every admin method is refused naming the admin
 * right. Re-imported with a window that ends in a few seconds, it works until then and is refused as
 * expired after. */
START_TEST(test_ekey) {
        World w;
        char *text, *role, *msg = NULL, *err, spec[512];
        uint64_t now = now_realtime_sec(), until;
        sd_bus_message *reply;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        snprintf(
                spec,
                sizeof(spec),
                "%s,ekey-uid=2000,ekey-from=%" PRIu64 ",ekey-until=%" PRIu64,
                SPEC1,
                now - 3600,
                now + 86400);
        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, spec, "ekey");
        import_ok(&w, text, 1);
        free(text);
        role = world_get_string(&w, WORLD_LOCK1, "Role");
        ck_assert_str_eq(role, "user");
        free(role);
        ck_assert(world_key_file_contains(&w, "role: \"user\""));
        ck_assert(!world_key_file_contains(&w, "admin-ps"));

        unlock_and_lock(&w);
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        knob_event_arrives(&w);

        /* What needs the admin right. */
        err = call_error(&w, CREDENTIALS1, "AddPasscode", &msg, "stt", "482916", UINT64_C(0), UINT64_C(0));
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        ck_assert_msg(strstr(msg, "needs the admin right"), "%s", msg);
        free(err);
        free(msg);
        err = call_error(&w, CREDENTIALS1, "ListCards", &msg, NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        free(err);
        free(msg);
        err = call_error(&w, SETTINGS1, "SetAutoLock", &msg, "u", 5u);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        ck_assert_msg(strstr(msg, "SetAutoLock needs the admin right"), "%s", msg);
        free(err);
        free(msg);
        err = call_error(&w, SETTINGS1, "GetAdminPasscode", &msg, NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        free(err);
        free(msg);
        err = call_error(&w, WORLD_LOCK1, "FactoryReset", &msg, NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.NotSupported");
        ck_assert_msg(strstr(msg, "admin right"), "%s", msg);
        free(err);
        free(msg);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Paired"));
        /* What ttlockd answers from its own archive still works: the knob's record is there. */
        reply = world_call_reply(&w, &e, false, SETTINGS1, "GetHistory", "tu", UINT64_C(0), 0u);
        ck_assert_ptr_nonnull(reply);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
        sd_bus_message_unref(reply);

        /* A window that ends in a few seconds: fine until then, refused as expired after. */
        now = now_realtime_sec();
        until = now + 6;
        snprintf(
                spec,
                sizeof(spec),
                "%s,ekey-uid=2000,ekey-from=%" PRIu64 ",ekey-until=%" PRIu64,
                SPEC1,
                now - 60,
                until);
        text = lockdata(&w, spec, "ekey");
        import_ok(&w, text, 1);
        free(text);
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        while (now_realtime_sec() <= until)
                (void) world_wait(&w, lock_gone, NULL, 250 * TEST_USEC_PER_MSEC);
        err = call_error(&w, WORLD_LOCK1, "Lock", &msg, NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.AuthenticationFailed");
        ck_assert_msg(strstr(msg, "expired"), "%s", msg);
        free(err);
        free(msg);
        /* Importing it again does not bring it back. */
        text = lockdata(&w, spec, "ekey");
        import_fails(&w, "ImportLocks", text, "org.ttlock.Error.AuthenticationFailed", "expired");
        free(text);
        world_stop(&w);
}
END_TEST

/* The lock's own word on eKeys (doc/lockdata.md §4): one from before a reset of the eKeys is refused at
 * import as reset; one that worked is refused as reset once the admin reset the eKeys. */
START_TEST(test_ekey_reset) {
        World w;
        char *text, *err, *msg = NULL, spec[512];
        uint64_t now = now_realtime_sec();

        snprintf(
                spec,
                sizeof(spec),
                "%s,lock-flag-pos=3,ekey-flag-pos=2,ekey-from=%" PRIu64 ",ekey-until=%" PRIu64,
                SPEC1,
                now - 3600,
                now + 86400);
        start_with(&w, SPEC1 ",lock-flag-pos=3", NULL);
        text = lockdata(&w, spec, "ekey");
        import_fails(&w, "ImportLocks", text, "org.ttlock.Error.AuthenticationFailed", "was reset");
        free(text);
        ck_assert_msg(
                world_wait(&w, lock_gone, NULL, WORLD_TIMEOUT), "the object of the refused import stayed");
        ck_assert_uint_eq(world_count_state_files(&w), 0);

        /* The current eKey works, until the admin resets the eKeys (the lock's flag rises). */
        snprintf(
                spec,
                sizeof(spec),
                "%s,lock-flag-pos=3,ekey-from=%" PRIu64 ",ekey-until=%" PRIu64,
                SPEC1,
                now - 3600,
                now + 86400);
        text = lockdata(&w, spec, "ekey");
        import_ok(&w, text, 1);
        free(text);
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        world_stop_pid(&w, &w.sim_pid);
        ck_assert(unlink(w.sim_state) == 0 || errno == ENOENT);
        w.lock_spec = SPEC1 ",lock-flag-pos=4";
        world_start_sim(&w);
        err = call_error(&w, WORLD_LOCK1, "Lock", &msg, NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.AuthenticationFailed");
        ck_assert_msg(strstr(msg, "was reset"), "%s", msg);
        free(err);
        free(msg);
        world_stop(&w);
}
END_TEST

/* ---- what goes wrong ---------------------------------------------------------------------------- */

/* Keys the lock does not accept (another admin password, another AES key): AuthenticationFailed,
 * nothing stored, the object gone again. */
START_TEST(test_wrong_keys) {
        World w;
        char *text;

        start_with(&w, SPEC1, NULL);
        text = lockdata(
                &w,
                "mac=" WORLD_LOCK_ADDRESS
                ",aes-key=00112233445566778899aabbccddeeff,admin-ps=1,unlock-key=76257105",
                "admin");
        import_fails(&w, "ImportLocks", text, "org.ttlock.Error.AuthenticationFailed", WORLD_LOCK_ADDRESS);
        free(text);
        text = lockdata(
                &w,
                "mac=" WORLD_LOCK_ADDRESS
                ",aes-key=ffeeddccbbaa99887766554433221100,admin-ps=73079075,unlock-key=76257105",
                "admin");
        import_fails(&w, "ImportLocks", text, "org.ttlock.Error.AuthenticationFailed", NULL);
        free(text);
        ck_assert_msg(
                world_wait(&w, lock_gone, NULL, WORLD_TIMEOUT), "the object of the refused import stayed");
        ck_assert_uint_eq(world_count_state_files(&w), 0);
        world_stop(&w);
}
END_TEST

/* A lock nobody hears: Unreachable and nothing stored; unverified, it is kept. */
START_TEST(test_unreachable) {
        World w;
        ImportReply r;
        char *text, path[300];

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, "mac=AA:BB:CC:00:00:09," KEYS, "admin");
        import_fails(&w, "ImportLocks", text, "org.ttlock.Error.Unreachable", "AA:BB:CC:00:00:09");
        ck_assert_uint_eq(world_count_state_files(&w), 0);

        import_call(&w, "ImportLocksUnverified", text, &r);
        ck_assert_msg(!r.error, "%s: %s", r.error, r.message);
        ck_assert_uint_eq(r.n_paths, 1);
        ck_assert_str_eq(r.paths[0], "/org/ttlock/Lock/AA_BB_CC_00_00_09");
        import_reply_done(&r);
        ck_assert(world_key_file_of(&w, "AA:BB:CC:00:00:09", path, sizeof(path)));
        ck_assert(!world_get_bool(
                &w,
                "org.ttlock.Manager",
                "/org/ttlock/Lock/AA_BB_CC_00_00_09",
                "org.ttlock.Lock1",
                "Paired"));
        /* Forget gives up on them. */
        world_call_ok(
                &w,
                "org.ttlock.Manager",
                "/org/ttlock/Lock/AA_BB_CC_00_00_09",
                "org.ttlock.Lock1",
                "Forget");
        ck_assert(!world_key_file_of(&w, "AA:BB:CC:00:00:09", path, sizeof(path)));
        free(text);
        world_stop(&w);
}
END_TEST

/* Unverified keys are proven at the first contact: right ones become paired, wrong ones go. */
START_TEST(test_unverified_then_contact) {
        World w;
        ImportReply r;
        char *text, *role;

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, SPEC1, "admin");
        import_call(&w, "ImportLocksUnverified", text, &r);
        free(text);
        ck_assert_msg(!r.error, "%s: %s", r.error, r.message);
        ck_assert_str_eq(r.paths[0], WORLD_LOCK_PATH);
        import_reply_done(&r);
        role = world_get_string(&w, WORLD_LOCK1, "Role");
        ck_assert_str_eq(role, "admin");
        free(role);
        ck_assert_msg(world_wait(&w, world_lock_paired, NULL, WORLD_TIMEOUT), "the keys were not proven");
        ck_assert(!world_key_file_contains(&w, "provisional"));
        unlock_and_lock(&w);
        /* Proven keys are not replaced by unproven ones. */
        text = lockdata(&w, SPEC1, "admin");
        import_fails(&w, "ImportLocksUnverified", text, "org.ttlock.Error.AlreadyExists", "verified");
        free(text);
        world_call_ok(&w, WORLD_LOCK1, "Forget");

        /* Wrong ones: dropped at the first contact. */
        text = lockdata(
                &w,
                "mac=" WORLD_LOCK_ADDRESS
                ",aes-key=00112233445566778899aabbccddeeff,admin-ps=5,unlock-key=6",
                "admin");
        import_call(&w, "ImportLocksUnverified", text, &r);
        free(text);
        ck_assert_msg(!r.error, "%s: %s", r.error, r.message);
        import_reply_done(&r);
        ck_assert_msg(world_wait(&w, lock_gone, NULL, WORLD_TIMEOUT), "the refused keys were kept");
        ck_assert_uint_eq(world_count_state_files(&w), 0);
        world_stop(&w);
}
END_TEST

/* The app paired the lock again (new keys): the old ones fail, a file with stale keys changes nothing,
 * the new ones replace them and the alias stays. */
START_TEST(test_reimport_newer_keys) {
        static const char spec_new[] =
                "mac=" WORLD_LOCK_ADDRESS
                ",name=K5_010000,aes-key=99887766554433221100ffeeddccbbaa,admin-ps=24681357,"
                "unlock-key=13572468,uid=1000";
        World w;
        char *old, *new, *err, *alias;

        start_with(&w, SPEC1, NULL);
        old = lockdata(&w, SPEC1, "admin");
        import_ok(&w, old, 1);
        ck_assert_ptr_null(world_call(&w, WORLD_LOCK1, "SetAlias", "s", "Front door"));

        world_stop_pid(&w, &w.sim_pid);
        ck_assert(unlink(w.sim_state) == 0 || errno == ENOENT);
        w.lock_spec = spec_new;
        world_start_sim(&w);
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        ck_assert_str_eq(err, "org.ttlock.Error.AuthenticationFailed");
        free(err);

        import_fails(&w, "ImportLocks", old, "org.ttlock.Error.AuthenticationFailed", NULL);
        ck_assert(world_key_file_contains(&w, "admin-ps: 73079075"));
        new = lockdata(&w, spec_new, "admin");
        import_ok(&w, new, 1);
        ck_assert(world_key_file_contains(&w, "admin-ps: 24681357"));
        alias = world_get_string(&w, WORLD_LOCK1, "Alias");
        ck_assert_str_eq(alias, "Front door");
        free(alias);
        unlock_and_lock(&w);
        free(old);
        free(new);
        world_stop(&w);
}
END_TEST

/* ---- backup ------------------------------------------------------------------------------------- */

/* Export, forget, import: the locks work again with their aliases; the archive is not in the export. */
START_TEST(test_export_forget_import) {
        const char *const more[] = { "--lock", SPEC2, NULL };
        const char *const specs[] = { SPEC1, SPEC2, NULL };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply;
        const char *yaml_ref;
        char *text, *yaml, *alias, *err;
        World w;

        start_with(&w, SPEC1, more);
        text = world_sim_lockdata(&w, specs, "admin");
        import_ok(&w, text, 2);
        free(text);
        ck_assert_ptr_null(world_call(&w, WORLD_LOCK1, "SetAlias", "s", "Front door"));
        ck_assert_ptr_null(
                world_call(&w, CREDENTIALS1, "SetCredentialAlias", "sss", "ic-card", "123456", "Anna"));

        reply = world_call_reply(&w, &e, false, WORLD_MANAGER, "ExportLocks", "as", 0);
        ck_assert_ptr_nonnull(reply);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &yaml_ref), 0);
        yaml = strdup(yaml_ref);
        sd_bus_message_unref(reply);
        ck_assert(strstr(yaml, "address: \"" WORLD_LOCK_ADDRESS "\""));
        ck_assert(strstr(yaml, "address: \"" ADDR2 "\""));
        ck_assert(strstr(yaml, "alias: \"Front door\""));
        ck_assert(strstr(yaml, "Anna"));

        /* Just one, by address. */
        reply = world_call_reply(&w, &e, false, WORLD_MANAGER, "ExportLocks", "as", 1, ADDR2);
        ck_assert_ptr_nonnull(reply);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &yaml_ref), 0);
        ck_assert(strstr(yaml_ref, ADDR2) && !strstr(yaml_ref, WORLD_LOCK_ADDRESS));
        sd_bus_message_unref(reply);
        err = world_call(&w, WORLD_MANAGER, "ExportLocks", "as", 1, "AA:BB:CC:00:00:77");
        ck_assert_str_eq(err, "org.ttlock.Error.DoesNotExist");
        free(err);
        err = world_call(&w, WORLD_MANAGER, "ExportLocks", "as", 1, "not an address");
        ck_assert_str_eq(err, "org.freedesktop.DBus.Error.InvalidArgs");
        free(err);

        world_call_ok(&w, WORLD_LOCK1, "Forget");
        world_call_ok(&w, "org.ttlock.Manager", LOCK_PATH_2, "org.ttlock.Lock1", "Forget");
        ck_assert_uint_eq(world_count_state_files(&w), 0);

        import_ok(&w, yaml, 2);
        free(yaml);
        alias = world_get_string(&w, WORLD_LOCK1, "Alias");
        ck_assert_str_eq(alias, "Front door");
        free(alias);
        ck_assert(world_key_file_contains(&w, "Anna"));
        unlock_and_lock(&w);
        world_call_ok(&w, "org.ttlock.Manager", LOCK_PATH_2, "org.ttlock.Lock1", "Unlock");
        knob_event_arrives(&w);
        world_stop(&w);
}
END_TEST

/* ---- hostile input and callers ------------------------------------------------------------------ */

/* Whatever comes through the bus: InvalidArgs, nothing stored, the daemon still answers. */
START_TEST(test_hostile_input) {
        static const char bomb[] =
                "---\nversion: 1\naddress: \"" WORLD_LOCK_ADDRESS
                "\"\n"
                "credentials: {aes-key: \"00112233445566778899aabbccddeeff\", admin-ps: 1, "
                "unlock-key: 2}\n"
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
        World w;
        char *text, *huge, *nested, *err, *version;
        size_t n;

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, SPEC1, "admin");
        /* Cut in half; a changed MAC suffix. */
        text[strcspn(text, "\n") / 2] = 0;
        import_fails(&w, "ImportLocks", text, "org.freedesktop.DBus.Error.InvalidArgs", NULL);
        free(text);
        import_fails(&w, "ImportLocks", "", "org.freedesktop.DBus.Error.InvalidArgs", NULL);
        import_fails(&w, "ImportLocks", "hello, world", "org.freedesktop.DBus.Error.InvalidArgs", NULL);
        import_fails(
                &w,
                "ImportLocks",
                "{\"lockMac\": 5, \"aesKeyStr\": [1, 2], \"lockKey\": {}}",
                "org.freedesktop.DBus.Error.InvalidArgs",
                NULL);
        import_fails(
                &w,
                "ImportLocks",
                "[{\"address\": \"AA:BB:CC:00:00:01\", \"privateData\": 7}]",
                "org.freedesktop.DBus.Error.InvalidArgs",
                NULL);
        import_fails(
                &w, "ImportLocks", bomb, "org.freedesktop.DBus.Error.InvalidArgs", "anchors and aliases");

        nested = malloc(4001);
        ck_assert_ptr_nonnull(nested);
        for (n = 0; n < 2000; n++)
                nested[n] = '[';
        for (; n < 4000; n++)
                nested[n] = ']';
        nested[n] = 0;
        import_fails(&w, "ImportLocks", nested, "org.freedesktop.DBus.Error.InvalidArgs", NULL);
        free(nested);

        huge = malloc(2 * 1024 * 1024 + 1);
        ck_assert_ptr_nonnull(huge);
        memset(huge, 'A', 2 * 1024 * 1024);
        huge[2 * 1024 * 1024] = 0;
        import_fails(&w, "ImportLocks", huge, "org.freedesktop.DBus.Error.InvalidArgs", "larger than");
        import_fails(
                &w, "ImportLocksUnverified", huge, "org.freedesktop.DBus.Error.InvalidArgs", "larger than");
        free(huge);

        /* The wrong argument type never reaches the handler's parser. */
        err = world_call(&w, WORLD_MANAGER, "ImportLocks", "i", 5);
        ck_assert_str_eq(err, "org.freedesktop.DBus.Error.InvalidArgs");
        free(err);
        err = world_call(&w, WORLD_MANAGER, "ExportLocks", "s", "AA:BB:CC:00:00:01");
        ck_assert_str_eq(err, "org.freedesktop.DBus.Error.InvalidArgs");
        free(err);

        ck_assert_uint_eq(world_count_state_files(&w), 0);
        version = world_get_string(&w, WORLD_MANAGER, "Version");
        ck_assert(version && *version);
        free(version);
        world_stop(&w);
}
END_TEST

typedef struct NobodyCall {
        const char *method;
        const char *data;
} NobodyCall;

static int call_as_nobody(void *userdata) {
        const NobodyCall *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus *bus = NULL;
        int r;

        if (sd_bus_open_system(&bus) < 0)
                return -1;
        r = sd_bus_message_new_method_call(bus, &m, WORLD_MANAGER, c->method);
        if (r >= 0)
                r = c->data ? sd_bus_message_append(m, "s", c->data) : sd_bus_message_append(m, "as", 0);
        /* Even when interaction is allowed, no agent answers: a denial. */
        if (r >= 0)
                r = sd_bus_message_set_allow_interactive_authorization(m, true);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r >= 0 ||
            (!sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) &&
             !sd_bus_error_has_name(&e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))) {
                fprintf(stderr, "%s as nobody was not denied: %s\n", c->method, e.name ?: "succeeded");
                r = -1;
        } else
                r = 0;
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return r;
}

/* A caller that is not root and has no polkit agent: refused, nothing stored, no keys handed out. */
START_TEST(test_nobody_refused) {
        World w;
        NobodyCall calls[3];
        char *text;
        pid_t pid;
        int status;

        start_with(&w, SPEC1, NULL);
        text = lockdata(&w, SPEC1, "admin");
        calls[0] = (NobodyCall){ "ImportLocks", text };
        calls[1] = (NobodyCall){ "ImportLocksUnverified", text };
        calls[2] = (NobodyCall){ "ExportLocks", NULL };
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                ck_assert_int_ge(test_bus_fork_as(w.bus, "nobody", call_as_nobody, &calls[i], &pid), 0);
                ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, WORLD_TIMEOUT, &status), 0);
                ck_assert_msg(
                        WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s as nobody", calls[i].method);
        }
        ck_assert_uint_eq(world_count_state_files(&w), 0);
        /* Root may (polkit is not asked for uid 0). */
        import_ok(&w, text, 1);
        free(text);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("import");
        TCase *tc;

#define ADD_CASE(name)                           \
        do {                                     \
                tc = tcase_create(#name);        \
                tcase_set_timeout(tc, 180);      \
                tcase_add_test(tc, test_##name); \
                suite_add_tcase(s, tc);          \
        } while (0)

        ADD_CASE(admin_lockdata);
        ADD_CASE(cloud_json);
        ADD_CASE(addon_file);
        ADD_CASE(ekey);
        ADD_CASE(ekey_reset);
        ADD_CASE(wrong_keys);
        ADD_CASE(unreachable);
        ADD_CASE(unverified_then_contact);
        ADD_CASE(reimport_newer_keys);
        ADD_CASE(export_forget_import);
        ADD_CASE(hostile_input);
        ADD_CASE(nobody_refused);
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
