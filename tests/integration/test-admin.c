/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.ttlock.Credentials1 and org.ttlock.Settings1 end to end (world.h): a private system bus, the real
 * polkitd, the build-tree ttlock-sim playing BlueZ with one simulated lock, and the build-tree ttlockd.
 * Credentials are added through ttlockd and then tried at the simulated door (Sim1.EnterPasscode /
 * PresentCard / PlaceFinger): they must open it, and stop opening it once deleted or once their validity
 * has ended. Every wait is for a condition with a deadline.
 *
 * Needs root, as CI runs it: polkitd reads actions only from /usr/share/polkit-1/actions. */

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "world.h"

#define LOCK_PATH WORLD_LOCK_PATH
#define SERVICE "org.ttlock.Manager"
#define MANAGER WORLD_MANAGER
#define LOCK1 WORLD_LOCK1
#define CREDS WORLD_CREDS
#define SETTINGS WORLD_SETTINGS
#define SIM1 WORLD_SIM1
#define TIMEOUT WORLD_TIMEOUT
#define ENROLL_TIMEOUT_SEC "3"
#define SIGNALS_MAX 64
#define USEC_PER_HOUR (3600 * TEST_USEC_PER_SEC)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

#define INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define NOT_SUPPORTED "org.ttlock.Error.NotSupported"
#define LOCK_REFUSED "org.ttlock.Error.LockRefused"

typedef struct Enrollment {
        char kind[16];
        char status[16];
        uint32_t done, total;
        char id[32];
        bool addressed; /* the caller's own copy (destination set), not the broadcast */
} Enrollment;

/* What the client saw, in World.userdata. */
typedef struct Seen {
        Enrollment signals[SIGNALS_MAX];
        size_t n_signals;
        /* The waits look at the copies addressed to us (we started the enrollment), or — for one
         * started by another client — at the broadcast. */
        bool broadcasts;
} Seen;

/* Validity windows are wall-clock times. */
#define now_usec() world_realtime_usec()

/* ---- the client ------------------------------------------------------------------------------ */

static int on_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Seen *w = ((World *) userdata)->userdata;
        const char *kind, *status, *id;
        Enrollment *e;

        if (w->n_signals >= SIGNALS_MAX)
                return 0;
        e = &w->signals[w->n_signals++];
        ck_assert_int_ge(sd_bus_message_read(m, "ssuus", &kind, &status, &e->done, &e->total, &id), 0);
        snprintf(e->kind, sizeof(e->kind), "%s", kind);
        snprintf(e->status, sizeof(e->status), "%s", status);
        snprintf(e->id, sizeof(e->id), "%s", id);
        e->addressed = sd_bus_message_get_destination(m) != NULL;
        return 0;
}

/* Calls service/path/iface.method with types and arguments (world_call_reply()); the reply in *ret_reply
 * when asked for. */
#define call world_call_reply

#define call_ok(w, ...)                                                            \
        do {                                                                       \
                char *_e = call(w, __VA_ARGS__);                                   \
                ck_assert_msg(!_e, "call failed: %s: %s", _e, (w)->error_message); \
        } while (0)

/* The call fails with error name want (and, if contains is set, a message containing it). */
#define call_fails(w, want, contains, ...) world_check_failed(w, call(w, __VA_ARGS__), want, contains)

/* ---- the person at the door ------------------------------------------------------------------ */

/* Lock the door with the knob, then try method(arg) at it: did the bolt move? The person comes once
 * ttlockd has let go of the lock (§9.3 keep-alive): while a client is connected every door event also
 * queues push frames (§7.3), and the simulator's small transmit queue would then drop the replies to
 * the client's next commands. */
static bool opens(World *w, const char *method, const char *arg) {
        ck_assert_msg(world_wait(w, world_disconnected, NULL, TIMEOUT), "ttlockd stayed connected");
        world_sim_call(w, "TurnKnob", "b", 1);
        ck_assert(world_get_bool(w, SIM1, "Locked"));
        world_sim_call(w, method, "s", arg);
        return !world_get_bool(w, SIM1, "Locked");
}

/* ---- the world ------------------------------------------------------------------------------- */

/* features: the simulated lock's features (NULL = the simulator's default lock). */
static void setup(World *w, Seen *seen, const char *features) {
        static const char *const sim_args[] = { "--log-level", "debug", NULL };
        static const char *const daemon_env[] = { "TTLOCKD_ENROLLMENT_TIMEOUT_SEC=" ENROLL_TIMEOUT_SEC,
                                                  NULL };
        int r;

        *w = (World){ .userdata = seen,
                      .lock_name = "S202F_000002",
                      .lock_features = features,
                      .sim_args = sim_args,
                      .daemon_env = daemon_env };
        *seen = (Seen){};
        world_start(w);
        r = sd_bus_match_signal(
                w->client,
                NULL,
                SERVICE,
                LOCK_PATH,
                "org.ttlock.Credentials1",
                "EnrollmentStatus",
                on_enrollment,
                w);
        ck_assert_int_ge(r, 0);
}

static void pair(World *w) {
        char *e;

        world_discover(w);
        /* Not paired yet: no Credentials1 on the object. */
        e = call(w, CREDS, "ListPasscodes", NULL, "");
        ck_assert_ptr_nonnull(e);
        free(e);
        call_ok(w, LOCK1, "Pair", NULL, "");
        ck_assert(world_get_bool(w, LOCK1, "Paired"));
}

/* ---- listings -------------------------------------------------------------------------------- */

typedef struct Entry {
        char id[32]; /* code, number or id */
        char kind[16];
        char alias[64];
        uint64_t from, until;
} Entry;

/* Call a List…() method and read its aa{sv} (the key named id_key is the entry's id). */
static size_t list(World *w, const char *method, const char *id_key, Entry *ret, size_t max) {
        sd_bus_message *reply = NULL;
        size_t n = 0;

        call_ok(w, CREDS, method, &reply, "");
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                Entry e = {};
                const char *key, *s;

                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
                        if (strcmp(key, id_key) == 0 || strcmp(key, "kind") == 0 ||
                            strcmp(key, "alias") == 0) {
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &s), 0);
                                snprintf(
                                        strcmp(key, "kind") == 0            ? e.kind
                                                : strcmp(key, "alias") == 0 ? e.alias
                                                                            : e.id,
                                        32,
                                        "%s",
                                        s);
                        } else if (strcmp(key, "valid-from-usec") == 0)
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "t", &e.from), 0);
                        else if (strcmp(key, "valid-until-usec") == 0)
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "t", &e.until), 0);
                        else
                                ck_abort_msg("unexpected key %s", key);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                if (n < max)
                        ret[n] = e;
                n++;
        }
        sd_bus_message_unref(reply);
        return n;
}

static const Entry *find_entry(const Entry *e, size_t n, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(e[i].id, id) == 0)
                        return &e[i];
        return NULL;
}

/* A window around now, and one that ended yesterday (minute precision on the lock, §4.2). */
#define NOW_WINDOW (now_usec() - USEC_PER_HOUR), (now_usec() + USEC_PER_HOUR)
#define PAST_WINDOW (now_usec() - 2 * USEC_PER_DAY), (now_usec() - USEC_PER_DAY)

/* ---- signals --------------------------------------------------------------------------------- */

typedef struct Wanted {
        size_t from;
        const char *status;
} Wanted;

static const Enrollment *find_signal_of(World *w, size_t from, const char *status, bool addressed) {
        Seen *s = w->userdata;

        for (size_t i = from; i < s->n_signals; i++)
                if (strcmp(s->signals[i].status, status) == 0 && s->signals[i].addressed == addressed)
                        return &s->signals[i];
        return NULL;
}

static const Enrollment *find_signal(World *w, size_t from, const char *status) {
        return find_signal_of(w, from, status, !((Seen *) w->userdata)->broadcasts);
}

static bool signal_seen(World *w, const void *arg) {
        const Wanted *x = arg;
        return find_signal(w, x->from, x->status);
}

static const Enrollment *wait_signal(World *w, size_t from, const char *status, uint64_t timeout) {
        Wanted x = { from, status };

        ck_assert_msg(world_wait(w, signal_seen, &x, timeout), "no EnrollmentStatus \"%s\"", status);
        return find_signal(w, from, status);
}

/* ---- tests ----------------------------------------------------------------------------------- */

START_TEST(test_passcodes) {
        Entry e[8];
        World w;
        Seen seen;
        size_t n;

        setup(&w, &seen, NULL);
        pair(&w);

        ck_assert_int_eq(list(&w, "ListPasscodes", "code", e, 8), 0);

        /* Permanent and period codes open the door. */
        call_ok(&w, CREDS, "AddPasscode", NULL, "stt", "123456", UINT64_C(0), UINT64_C(0));
        call_ok(&w, CREDS, "AddPasscode", NULL, "stt", "2468", NOW_WINDOW);
        ck_assert(opens(&w, "EnterPasscode", "123456"));
        ck_assert(opens(&w, "EnterPasscode", "2468"));
        ck_assert(!opens(&w, "EnterPasscode", "111111"));

        n = list(&w, "ListPasscodes", "code", e, 8);
        ck_assert_int_eq(n, 2);
        ck_assert_str_eq(find_entry(e, n, "123456")->kind, "permanent");
        ck_assert_int_eq(find_entry(e, n, "123456")->until, 0);
        ck_assert_str_eq(find_entry(e, n, "2468")->kind, "period");
        ck_assert_uint_gt(find_entry(e, n, "2468")->until, now_usec());

        /* The lock's own refusal, with its error name. */
        call_fails(
                &w,
                LOCK_REFUSED,
                "LOCK_PASSWORD_EXIST",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "123456",
                UINT64_C(0),
                UINT64_C(0));

        /* A new code and a window that has ended: the old code is gone, the new one does not open. */
        call_ok(&w, CREDS, "ChangePasscode", NULL, "sstt", "2468", "13579", PAST_WINDOW);
        ck_assert(!opens(&w, "EnterPasscode", "2468"));
        ck_assert(!opens(&w, "EnterPasscode", "13579"));
        call_ok(&w, CREDS, "ChangePasscode", NULL, "sstt", "13579", "13579", NOW_WINDOW);
        ck_assert(opens(&w, "EnterPasscode", "13579"));

        /* Aliases are listed with the code and never reach the lock. */
        call_ok(&w, CREDS, "SetCredentialAlias", NULL, "sss", "passcode", "13579", "Cleaner");
        n = list(&w, "ListPasscodes", "code", e, 8);
        ck_assert_str_eq(find_entry(e, n, "13579")->alias, "Cleaner");

        /* Deleted: it stops opening. */
        call_ok(&w, CREDS, "DeletePasscode", NULL, "s", "123456");
        ck_assert(!opens(&w, "EnterPasscode", "123456"));
        call_fails(&w, "org.ttlock.Error.DoesNotExist", NULL, CREDS, "DeletePasscode", NULL, "s", "123456");
        /* A code the lock could list but we could not add (up to 16 digits, §4.3) may still be named
         * as the one to change: not InvalidArgs, the lock's answer. */
        call_fails(
                &w,
                "org.ttlock.Error.DoesNotExist",
                NULL,
                CREDS,
                "ChangePasscode",
                NULL,
                "sstt",
                "123456789012",
                "24680",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "4–9 digits",
                CREDS,
                "ChangePasscode",
                NULL,
                "sstt",
                "13579",
                "123456789012",
                UINT64_C(0),
                UINT64_C(0));

        /* Bad input never reaches the lock. */
        call_fails(
                &w,
                INVALID_ARGS,
                "4–9 digits",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "123",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "4–9 digits",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "1234567890",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "digits",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "12a45",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "before",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "55555",
                now_usec() + USEC_PER_DAY,
                now_usec());
        call_fails(
                &w,
                INVALID_ARGS,
                "both",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "55555",
                UINT64_C(0),
                now_usec());
        /* 2150-01-01: beyond the lock's two-digit years. */
        call_fails(
                &w,
                INVALID_ARGS,
                "2000–2099",
                CREDS,
                "AddPasscode",
                NULL,
                "stt",
                "55555",
                now_usec(),
                UINT64_C(5681203200) * TEST_USEC_PER_SEC);
        call_fails(&w, INVALID_ARGS, "Kind", CREDS, "SetCredentialAlias", NULL, "sss", "door", "1", "x");
        call_fails(
                &w,
                INVALID_ARGS,
                "control",
                CREDS,
                "SetCredentialAlias",
                NULL,
                "sss",
                "passcode",
                "13579",
                "a\tb");
        ck_assert_int_eq(list(&w, "ListPasscodes", "code", e, 8), 1);

        call_ok(&w, CREDS, "ClearPasscodes", NULL, "");
        ck_assert_int_eq(list(&w, "ListPasscodes", "code", e, 8), 0);
        ck_assert(!opens(&w, "EnterPasscode", "13579"));
        world_stop(&w);
}
END_TEST

START_TEST(test_many_passcodes_paged) {
        Entry e[64];
        World w;
        Seen seen;
        char code[16];

        setup(&w, &seen, NULL);
        pair(&w);
        /* More than one PWD_LIST page (§4.3): the listing follows the lock's cursor. */
        for (unsigned i = 0; i < 40; i++) {
                snprintf(code, sizeof(code), "%u", 700000 + i);
                call_ok(&w, CREDS, "AddPasscode", NULL, "stt", code, NOW_WINDOW);
        }
        ck_assert_int_eq(list(&w, "ListPasscodes", "code", e, 64), 40);
        ck_assert_ptr_nonnull(find_entry(e, 40, "700000"));
        ck_assert_ptr_nonnull(find_entry(e, 40, "700039"));
        world_stop(&w);
}
END_TEST

START_TEST(test_cards) {
        const Enrollment *s;
        Entry e[8];
        World w;
        Seen seen;
        size_t n, mark;

        setup(&w, &seen, NULL);
        pair(&w);

        /* A known card. */
        call_ok(&w, CREDS, "AddCard", NULL, "stt", "3735928559", UINT64_C(0), UINT64_C(0));
        ck_assert(opens(&w, "PresentCard", "3735928559"));
        ck_assert(!opens(&w, "PresentCard", "12345"));

        /* Its validity ends: it stops opening; a current window opens again. */
        call_ok(&w, CREDS, "SetCardValidity", NULL, "stt", "3735928559", PAST_WINDOW);
        ck_assert(!opens(&w, "PresentCard", "3735928559"));
        call_ok(&w, CREDS, "SetCardValidity", NULL, "stt", "3735928559", NOW_WINDOW);
        ck_assert(opens(&w, "PresentCard", "3735928559"));

        /* Enrolment: waiting, the card, completed with its number. */
        mark = seen.n_signals;
        call_ok(&w, CREDS, "StartCardEnrollment", NULL, "tt", NOW_WINDOW);
        s = wait_signal(&w, mark, "waiting", TIMEOUT);
        ck_assert_str_eq(s->kind, "ic-card");
        call_fails(
                &w,
                "org.ttlock.Error.InProgress",
                NULL,
                CREDS,
                "StartCardEnrollment",
                NULL,
                "tt",
                UINT64_C(0),
                UINT64_C(0));
        /* The enrollment holds the lock: what needs the lock is refused at once instead of waiting
         * behind it past its caller's patience (it may take a minute); what does not still works. */
        call_fails(&w, "org.ttlock.Error.InProgress", "enrollment", CREDS, "ListCards", NULL, "");
        call_fails(
                &w,
                "org.ttlock.Error.InProgress",
                "enrollment",
                SETTINGS,
                "SetAutoLock",
                NULL,
                "u",
                UINT32_C(5));
        call_fails(&w, "org.ttlock.Error.InProgress", "enrollment", LOCK1, "Unlock", NULL, "");
        call_fails(&w, "org.ttlock.Error.InProgress", "enrollment", LOCK1, "FactoryReset", NULL, "");
        call_ok(&w, CREDS, "SetCredentialAlias", NULL, "sss", "ic-card", "3735928559", "Spare");
        world_sim_call(&w, "PresentCard", "s", "4242");
        s = wait_signal(&w, mark, "completed", TIMEOUT);
        ck_assert_str_eq(s->id, "4242");
        /* The card number is a credential: every other local user hears of the enrollment without
         * it (dbus/org.ttlock.Credentials1.xml). */
        seen.broadcasts = true;
        s = wait_signal(&w, mark, "completed", TIMEOUT);
        ck_assert_str_eq(s->id, "");
        seen.broadcasts = false;
        ck_assert(opens(&w, "PresentCard", "4242"));

        n = list(&w, "ListCards", "number", e, 8);
        ck_assert_int_eq(n, 2);
        ck_assert_int_eq(find_entry(e, n, "3735928559")->until > now_usec(), 1);
        ck_assert_int_gt(find_entry(e, n, "4242")->from, 0);

        call_ok(&w, CREDS, "SetCredentialAlias", NULL, "sss", "ic-card", "4242", "Anna's card");
        n = list(&w, "ListCards", "number", e, 8);
        ck_assert_str_eq(find_entry(e, n, "4242")->alias, "Anna's card");

        /* CancelEnrollment: the lock leaves add mode, a card presented then does not enrol. */
        mark = seen.n_signals;
        call_ok(&w, CREDS, "StartCardEnrollment", NULL, "tt", UINT64_C(0), UINT64_C(0));
        wait_signal(&w, mark, "waiting", TIMEOUT);
        call_ok(&w, CREDS, "CancelEnrollment", NULL, "");
        wait_signal(&w, mark, "cancelled", TIMEOUT);
        call_fails(&w, "org.ttlock.Error.DoesNotExist", NULL, CREDS, "CancelEnrollment", NULL, "");
        ck_assert(!opens(&w, "PresentCard", "5555"));
        ck_assert_int_eq(list(&w, "ListCards", "number", e, 8), 2);

        /* Deleted: stops opening. */
        call_ok(&w, CREDS, "DeleteCard", NULL, "s", "4242");
        ck_assert(!opens(&w, "PresentCard", "4242"));
        call_fails(
                &w,
                LOCK_REFUSED,
                "IC_CARD_NOT_EXIST",
                CREDS,
                "SetCardValidity",
                NULL,
                "stt",
                "4242",
                UINT64_C(0),
                UINT64_C(0));

        call_fails(
                &w,
                INVALID_ARGS,
                "Card number",
                CREDS,
                "AddCard",
                NULL,
                "stt",
                "12ab",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(&w, INVALID_ARGS, "leading zeros", CREDS, "DeleteCard", NULL, "s", "0123");
        call_fails(&w, INVALID_ARGS, "Card number", CREDS, "DeleteCard", NULL, "s", "18446744073709551616");

        call_ok(&w, CREDS, "ClearCards", NULL, "");
        ck_assert_int_eq(list(&w, "ListCards", "number", e, 8), 0);
        ck_assert(!opens(&w, "PresentCard", "3735928559"));
        world_stop(&w);
}
END_TEST

static int enroll_and_leave(void *userdata) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(
                bus, CREDS, "StartFingerprintEnrollment", &e, NULL, "tt", UINT64_C(0), UINT64_C(0));
        if (r < 0)
                fprintf(stderr, "StartFingerprintEnrollment: %s\n", e.message);
        sd_bus_error_free(&e);
        /* Leaving the bus now cancels the enrollment. */
        sd_bus_flush_close_unref(bus);
        return r;
}

START_TEST(test_fingerprints) {
        const Enrollment *s;
        Entry e[8];
        World w;
        Seen seen;
        size_t mark;
        pid_t pid;
        int status = 0;

        setup(&w, &seen, NULL);
        pair(&w);

        /* Enrolment with progress: the simulated reader wants four presses. */
        mark = seen.n_signals;
        call_ok(&w, CREDS, "StartFingerprintEnrollment", NULL, "tt", NOW_WINDOW);
        s = wait_signal(&w, mark, "waiting", TIMEOUT);
        ck_assert_str_eq(s->kind, "fingerprint");
        ck_assert_uint_eq(s->total, 4);
        for (unsigned i = 1; i <= 3; i++) {
                size_t before = seen.n_signals;

                world_sim_call(&w, "PlaceFinger", "s", "77");
                s = wait_signal(&w, before, "progress", TIMEOUT);
                ck_assert_uint_eq(s->done, i);
                ck_assert_uint_eq(s->total, 4);
        }
        world_sim_call(&w, "PlaceFinger", "s", "77");
        s = wait_signal(&w, mark, "completed", TIMEOUT);
        ck_assert_str_eq(s->id, "77");
        ck_assert(opens(&w, "PlaceFinger", "77"));
        ck_assert(!opens(&w, "PlaceFinger", "78"));

        ck_assert_int_eq(list(&w, "ListFingerprints", "id", e, 8), 1);
        ck_assert_str_eq(e[0].id, "77");
        ck_assert_uint_gt(e[0].until, now_usec());

        /* Validity ended: no longer opens; back to permanent: opens. */
        call_ok(&w, CREDS, "SetFingerprintValidity", NULL, "stt", "77", PAST_WINDOW);
        ck_assert(!opens(&w, "PlaceFinger", "77"));
        call_ok(&w, CREDS, "SetFingerprintValidity", NULL, "stt", "77", UINT64_C(0), UINT64_C(0));
        ck_assert(opens(&w, "PlaceFinger", "77"));
        ck_assert_int_eq(list(&w, "ListFingerprints", "id", e, 8), 1);
        ck_assert_uint_eq(e[0].until, 0);

        /* Nobody comes to the reader: time-out (TTLOCKD_ENROLLMENT_TIMEOUT_SEC). */
        mark = seen.n_signals;
        call_ok(&w, CREDS, "StartFingerprintEnrollment", NULL, "tt", UINT64_C(0), UINT64_C(0));
        wait_signal(&w, mark, "waiting", TIMEOUT);
        wait_signal(&w, mark, "timeout", TIMEOUT);
        ck_assert_ptr_null(find_signal(&w, mark, "completed"));

        /* The caller leaves the bus: cancelled. */
        mark = seen.n_signals;
        seen.broadcasts = true; /* another client's enrollment */
        ck_assert_int_ge(test_bus_fork_as(w.bus, "root", enroll_and_leave, NULL, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the enrolling client failed");
        wait_signal(&w, mark, "cancelled", TIMEOUT);
        seen.broadcasts = false;
        /* And the lock is free for the next one. */
        mark = seen.n_signals;
        call_ok(&w, CREDS, "StartFingerprintEnrollment", NULL, "tt", UINT64_C(0), UINT64_C(0));
        wait_signal(&w, mark, "waiting", TIMEOUT);
        call_ok(&w, CREDS, "CancelEnrollment", NULL, "");
        wait_signal(&w, mark, "cancelled", TIMEOUT);

        call_fails(
                &w,
                INVALID_ARGS,
                "Fingerprint id",
                CREDS,
                "DeleteFingerprint",
                NULL,
                "s",
                "281474976710656");
        call_fails(&w, INVALID_ARGS, "Fingerprint id", CREDS, "DeleteFingerprint", NULL, "s", "-1");
        call_ok(&w, CREDS, "DeleteFingerprint", NULL, "s", "77");
        ck_assert(!opens(&w, "PlaceFinger", "77"));
        call_fails(&w, LOCK_REFUSED, "FINGER_PRINT_NOT_EXIST", CREDS, "DeleteFingerprint", NULL, "s", "77");
        call_ok(&w, CREDS, "ClearFingerprints", NULL, "");
        ck_assert_int_eq(list(&w, "ListFingerprints", "id", e, 8), 0);
        world_stop(&w);
}
END_TEST

static void
append_passage(sd_bus_message *m, const uint8_t *days, size_t n_days, uint16_t start, uint16_t end) {
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
        ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
        ck_assert_int_ge(sd_bus_message_append_array(m, 'y', days, n_days), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(
                sd_bus_message_append(m, "{sv}{sv}", "start-minute", "q", start, "end-minute", "q", end), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
}

/* SetPassageModes with one entry; the error name or NULL. */
static char *set_passage(World *w, const uint8_t *days, size_t n_days, uint16_t start, uint16_t end) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        char *name = NULL;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, SETTINGS, "SetPassageModes"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "a{sv}"), 0);
        if (days)
                append_passage(m, days, n_days, start, end);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        r = sd_bus_call(w->client, m, 30 * TEST_USEC_PER_SEC, &e, NULL);
        if (r < 0) {
                name = strdup(e.name);
                snprintf(w->error_message, sizeof(w->error_message), "%s", e.message);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        return name;
}

START_TEST(test_settings) {
        static const uint8_t workdays[] = { 1, 2, 3, 4, 5 };
        sd_bus_message *reply = NULL;
        const uint8_t *days;
        size_t n_days, n;
        uint16_t start = 0, end = 0;
        char *err;
        const char *key, *code;
        World w;
        Seen seen;

        setup(&w, &seen, NULL);
        pair(&w);

        call_ok(&w, SETTINGS, "SetAutoLock", NULL, "u", 7u);
        ck_assert_uint_eq(world_get_u32(&w, LOCK1, "AutoLockSeconds"), 7);
        ck_assert_uint_eq(world_get_u32(&w, SIM1, "AutoLockSeconds"), 7);
        call_ok(&w, SETTINGS, "SetAutoLock", NULL, "u", 0u);
        ck_assert_uint_eq(world_get_u32(&w, SIM1, "AutoLockSeconds"), 0);
        call_fails(&w, INVALID_ARGS, "too long", SETTINGS, "SetAutoLock", NULL, "u", 70000u);

        call_ok(&w, SETTINGS, "SetSound", NULL, "by", 1, 4);
        ck_assert(world_get_bool(&w, SETTINGS, "SoundEnabled"));
        ck_assert_uint_eq(world_get_u8(&w, SETTINGS, "SoundVolume"), 4);
        call_ok(&w, SETTINGS, "SetSound", NULL, "by", 0, 0);
        ck_assert(!world_get_bool(&w, SETTINGS, "SoundEnabled"));
        call_fails(&w, INVALID_ARGS, "Volume 6", SETTINGS, "SetSound", NULL, "by", 1, 6);

        call_ok(&w, SETTINGS, "SetRemoteUnlock", NULL, "b", 1);
        ck_assert(world_get_bool(&w, SETTINGS, "RemoteUnlock"));
        call_ok(&w, SETTINGS, "SetTamperAlert", NULL, "b", 1);
        ck_assert(world_get_bool(&w, SETTINGS, "TamperAlert"));
        call_ok(&w, SETTINGS, "SetPrivacyLock", NULL, "b", 1);
        ck_assert(world_get_bool(&w, SETTINGS, "PrivacyLock"));
        call_ok(&w, SETTINGS, "SetResetButton", NULL, "b", 0);
        ck_assert(!world_get_bool(&w, SETTINGS, "ResetButton"));
        /* Read-modify-write: the other switch items kept their values. */
        ck_assert(world_get_bool(&w, SETTINGS, "TamperAlert"));
        call_ok(&w, SETTINGS, "SetTamperAlert", NULL, "b", 0);
        ck_assert(!world_get_bool(&w, SETTINGS, "TamperAlert"));
        ck_assert(world_get_bool(&w, SETTINGS, "PrivacyLock"));

        /* Passage modes: replaced as a whole, one weekly record per weekday on the lock. */
        err = set_passage(&w, workdays, 5, 8 * 60, 17 * 60 + 30);
        ck_assert_msg(!err, "SetPassageModes: %s", w.error_message);
        call_ok(&w, SETTINGS, "GetPassageModes", &reply, "");
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
        n_days = 0;
        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
                if (strcmp(key, "weekdays") == 0) {
                        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'v', "ay"), 0);
                        ck_assert_int_ge(
                                sd_bus_message_read_array(reply, 'y', (const void **) &days, &n_days), 0);
                        ck_assert_int_eq(n_days, 5);
                        ck_assert_int_eq(memcmp(days, workdays, 5), 0);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                } else if (strcmp(key, "start-minute") == 0)
                        ck_assert_int_ge(sd_bus_message_read(reply, "v", "q", &start), 0);
                else if (strcmp(key, "end-minute") == 0)
                        ck_assert_int_ge(sd_bus_message_read(reply, "v", "q", &end), 0);
                else
                        ck_abort_msg("unexpected key %s", key);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        }
        ck_assert_int_eq(n_days, 5);
        ck_assert_uint_eq(start, 480);
        ck_assert_uint_eq(end, 1050);
        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        ck_assert_int_eq(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0); /* only one entry */
        reply = sd_bus_message_unref(reply);

        err = set_passage(&w, (const uint8_t[]){ 8 }, 1, 0, 60);
        ck_assert_str_eq(err, INVALID_ARGS);
        ck_assert_ptr_nonnull(strstr(w.error_message, "weekday 8"));
        free(err);
        err = set_passage(&w, (const uint8_t[]){ 1 }, 1, 0, 1440);
        ck_assert_str_eq(err, INVALID_ARGS);
        ck_assert_ptr_nonnull(strstr(w.error_message, "1440"));
        free(err);
        err = set_passage(&w, (const uint8_t[]){ 1 }, 1, 600, 60);
        ck_assert_str_eq(err, INVALID_ARGS);
        free(err);
        /* Empty: all cleared. */
        err = set_passage(&w, NULL, 0, 0, 0);
        ck_assert_msg(!err, "SetPassageModes([]): %s", w.error_message);
        call_ok(&w, SETTINGS, "GetPassageModes", &reply, "");
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        ck_assert_int_eq(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
        reply = sd_bus_message_unref(reply);

        /* Admin passcode: set, read back, and it opens the door. */
        call_ok(&w, SETTINGS, "SetAdminPasscode", NULL, "s", "7654321");
        call_ok(&w, SETTINGS, "GetAdminPasscode", &reply, "");
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &code), 0);
        ck_assert_str_eq(code, "7654321");
        reply = sd_bus_message_unref(reply);
        ck_assert(opens(&w, "EnterPasscode", "7654321"));
        call_fails(&w, INVALID_ARGS, "4–9 digits", SETTINGS, "SetAdminPasscode", NULL, "s", "12");

        /* Clock. */
        call_ok(&w, SETTINGS, "SyncClock", NULL, "");
        ck_assert_int_le(llabs(world_get_i64(&w, SETTINGS, "ClockOffsetSeconds")), 5);

        /* History: the keypad opening above is in the daemon's archive (read via the log, §7). */
        {
                bool found = false;
                uint64_t deadline = now_usec() + TIMEOUT;

                while (!found && now_usec() < deadline) {
                        call_ok(&w, SETTINGS, "GetHistory", &reply, "tu", UINT64_C(0), 0u);
                        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
                        n = 0;
                        while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                                const char *k, *v;

                                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &k), 0);
                                        if (strcmp(k, "method") == 0) {
                                                ck_assert_int_ge(
                                                        sd_bus_message_read(reply, "v", "s", &v), 0);
                                                found = found || strcmp(v, "passcode") == 0;
                                        } else
                                                ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                                }
                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                                n++;
                        }
                        reply = sd_bus_message_unref(reply);
                        if (!found)
                                (void) sd_bus_wait(w.client, 250 * TEST_USEC_PER_MSEC);
                }
                ck_assert_msg(found, "no passcode record in GetHistory (%zu records)", n);
        }
        world_stop(&w);
}
END_TEST

START_TEST(test_not_supported) {
        World w;
        Seen seen;

        /* A keypad lock: no card or fingerprint reader, no sound, no passage mode, no switches. */
        setup(&w, &seen, "passcode+auto-lock+manual-lock");
        pair(&w);
        call_fails(&w, NOT_SUPPORTED, "ic-card", CREDS, "ListCards", NULL, "");
        call_fails(&w, NOT_SUPPORTED, NULL, CREDS, "AddCard", NULL, "stt", "1234", UINT64_C(0), UINT64_C(0));
        call_fails(
                &w, NOT_SUPPORTED, NULL, CREDS, "StartCardEnrollment", NULL, "tt", UINT64_C(0), UINT64_C(0));
        call_fails(&w, NOT_SUPPORTED, "fingerprint", CREDS, "ListFingerprints", NULL, "");
        call_fails(
                &w,
                NOT_SUPPORTED,
                NULL,
                CREDS,
                "StartFingerprintEnrollment",
                NULL,
                "tt",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                NOT_SUPPORTED,
                NULL,
                CREDS,
                "ChangePasscode",
                NULL,
                "sstt",
                "1234",
                "5678",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "SetSound", NULL, "by", 1, 0);
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "SetRemoteUnlock", NULL, "b", 1);
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "SetTamperAlert", NULL, "b", 1);
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "SetPrivacyLock", NULL, "b", 1);
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "SetResetButton", NULL, "b", 1);
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "GetPassageModes", NULL, "");
        call_fails(&w, NOT_SUPPORTED, NULL, SETTINGS, "GetAdminPasscode", NULL, "");
        ck_assert_uint_eq(world_get_u8(&w, SETTINGS, "SoundVolume"), 0);
        /* What it has works. */
        call_ok(&w, CREDS, "AddPasscode", NULL, "stt", "9876", UINT64_C(0), UINT64_C(0));
        ck_assert(opens(&w, "EnterPasscode", "9876"));
        call_ok(&w, SETTINGS, "SetAutoLock", NULL, "u", 3u);
        world_stop(&w);
}
END_TEST

typedef struct NobodyCall {
        const char *iface;
        const char *method;
        const char *types;
} NobodyCall;

static int call_as_nobody(void *userdata) {
        static const NobodyCall calls[] = {
                { "org.ttlock.Credentials1", "ListPasscodes", "" },
                { "org.ttlock.Credentials1", "AddPasscode", "stt" },
                { "org.ttlock.Credentials1", "StartCardEnrollment", "tt" },
                { "org.ttlock.Credentials1", "CancelEnrollment", "" },
                { "org.ttlock.Settings1", "SetAutoLock", "u" },
                { "org.ttlock.Settings1", "GetAdminPasscode", "" },
                { "org.ttlock.Settings1", "GetHistory", "tu" },
        };
        sd_bus *bus = NULL;
        int r, failures = 0;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                const NobodyCall *c = &calls[i];

                if (strcmp(c->types, "stt") == 0)
                        r = sd_bus_call_method(
                                bus,
                                SERVICE,
                                LOCK_PATH,
                                c->iface,
                                c->method,
                                &e,
                                NULL,
                                c->types,
                                "123456",
                                UINT64_C(0),
                                UINT64_C(0));
                else if (strcmp(c->types, "tt") == 0)
                        r = sd_bus_call_method(
                                bus,
                                SERVICE,
                                LOCK_PATH,
                                c->iface,
                                c->method,
                                &e,
                                NULL,
                                c->types,
                                UINT64_C(0),
                                UINT64_C(0));
                else if (strcmp(c->types, "tu") == 0)
                        r = sd_bus_call_method(
                                bus,
                                SERVICE,
                                LOCK_PATH,
                                c->iface,
                                c->method,
                                &e,
                                NULL,
                                c->types,
                                UINT64_C(0),
                                0u);
                else if (strcmp(c->types, "u") == 0)
                        r = sd_bus_call_method(
                                bus, SERVICE, LOCK_PATH, c->iface, c->method, &e, NULL, c->types, 5u);
                else
                        r = sd_bus_call_method(bus, SERVICE, LOCK_PATH, c->iface, c->method, &e, NULL, "");
                if (r >= 0 ||
                    !sd_bus_error_has_names(
                            &e,
                            "org.freedesktop.DBus.Error.AccessDenied",
                            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")) {
                        fprintf(stderr,
                                "%s as nobody was not denied: %s\n",
                                c->method,
                                r >= 0 ? "ok" : e.name);
                        failures++;
                }
                sd_bus_error_free(&e);
        }
        sd_bus_flush_close_unref(bus);
        return failures == 0 ? 0 : -EPERM;
}

START_TEST(test_access_denied) {
        Entry e[4];
        World w;
        Seen seen;
        pid_t pid;
        int status = 0;

        setup(&w, &seen, NULL);
        pair(&w);
        ck_assert_int_ge(test_bus_fork_as(w.bus, "nobody", call_as_nobody, NULL, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "an unprivileged call was not denied");
        /* Nothing reached the lock. */
        ck_assert_int_eq(list(&w, "ListPasscodes", "code", e, 4), 0);
        ck_assert_uint_eq(world_get_u32(&w, SIM1, "AutoLockSeconds"), 0);
        world_stop(&w);
}
END_TEST

/* Rewrites "clock-offset-usec: N" in the simulator's state file. */
static void skew_sim_clock(World *w, int64_t usec) {
        char buf[65536], out[65600];
        size_t len;
        char *p, *eol;
        FILE *f;

        f = fopen(w->sim_state, "re");
        ck_assert_ptr_nonnull(f);
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = 0;
        p = strstr(buf, "clock-offset-usec:");
        ck_assert_msg(p, "no clock-offset-usec in the simulator's state");
        eol = strchr(p, '\n');
        ck_assert_ptr_nonnull(eol);
        *p = 0;
        snprintf(out, sizeof(out), "%sclock-offset-usec: %" PRIi64 "%s", buf, usec, eol);
        f = fopen(w->sim_state, "we");
        ck_assert_ptr_nonnull(f);
        fputs(out, f);
        ck_assert_int_eq(fclose(f), 0);
}

static bool passcode_opens(World *w, const void *arg) {
        return opens(w, "EnterPasscode", arg);
}

START_TEST(test_clock_calibration) {
        World w;
        Seen seen;
        int status = 0;

        setup(&w, &seen, NULL);
        pair(&w);
        /* Valid for the hour around now (host time). */
        call_ok(&w, CREDS, "AddPasscode", NULL, "stt", "24682468", NOW_WINDOW);
        ck_assert(opens(&w, "EnterPasscode", "24682468"));

        /* The lock's clock jumps three hours ahead (a battery change, drift): the window is in its past. */
        ck_assert_int_ge(test_bus_stop_pid(w.bus, w.sim_pid, 60 * TEST_USEC_PER_SEC, &status), 0);
        ck_assert(test_status_is_clean_exit(status));
        skew_sim_clock(&w, INT64_C(3) * 3600 * 1000000);
        world_start_sim(&w);
        ck_assert(!opens(&w, "EnterPasscode", "24682468"));

        /* The next connection finds the clock off and calibrates it, unasked. */
        call_ok(&w, LOCK1, "Refresh", NULL, "");
        ck_assert_msg(
                world_wait(&w, passcode_opens, "24682468", TIMEOUT), "the lock's clock was not calibrated");
        ck_assert_int_le(llabs(world_get_i64(&w, SETTINGS, "ClockOffsetSeconds")), 5);
        world_stop(&w);
}
END_TEST

/* AddPasscodeOfKind (an extension: AddPasscode cannot say "one-time" or "cyclic"): a one-time code
 * opens once (§4.3 KeyboardPwdType 2), and each kind takes the validity it needs. */
START_TEST(test_passcode_kinds) {
        Entry e[8];
        World w;
        Seen seen;
        size_t n;

        setup(&w, &seen, NULL);
        pair(&w);

        call_ok(&w, CREDS, "AddPasscodeOfKind", NULL, "sstt", "97531", "one-time", NOW_WINDOW);
        call_ok(&w,
                CREDS,
                "AddPasscodeOfKind",
                NULL,
                "sstt",
                "86420",
                "permanent",
                UINT64_C(0),
                UINT64_C(0));
        n = list(&w, "ListPasscodes", "code", e, 8);
        ck_assert_int_eq(n, 2);
        ck_assert_str_eq(find_entry(e, n, "97531")->kind, "one-time");
        ck_assert_str_eq(find_entry(e, n, "86420")->kind, "permanent");
        ck_assert(opens(&w, "EnterPasscode", "97531"));
        ck_assert(!opens(&w, "EnterPasscode", "97531"));
        ck_assert(opens(&w, "EnterPasscode", "86420"));

        call_fails(
                &w,
                INVALID_ARGS,
                "takes no validity",
                CREDS,
                "AddPasscodeOfKind",
                NULL,
                "sstt",
                "1111",
                "permanent",
                NOW_WINDOW);
        call_fails(
                &w,
                INVALID_ARGS,
                "needs valid_from_usec",
                CREDS,
                "AddPasscodeOfKind",
                NULL,
                "sstt",
                "1111",
                "one-time",
                UINT64_C(0),
                UINT64_C(0));
        call_fails(
                &w,
                INVALID_ARGS,
                "not one of",
                CREDS,
                "AddPasscodeOfKind",
                NULL,
                "sstt",
                "1111",
                "weekly",
                UINT64_C(0),
                UINT64_C(0));
        world_stop(&w);
}
END_TEST

#define ADD_CASE(s, name)                        \
        do {                                     \
                TCase *tc = tcase_create(#name); \
                tcase_set_timeout(tc, 180);      \
                tcase_add_test(tc, test_##name); \
                suite_add_tcase(s, tc);          \
        } while (0)

static Suite *make_suite(void) {
        Suite *s = suite_create("admin");

        ADD_CASE(s, passcodes);
        ADD_CASE(s, passcode_kinds);
        ADD_CASE(s, many_passcodes_paged);
        ADD_CASE(s, cards);
        ADD_CASE(s, fingerprints);
        ADD_CASE(s, settings);
        ADD_CASE(s, not_supported);
        ADD_CASE(s, access_denied);
        ADD_CASE(s, clock_calibration);
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
