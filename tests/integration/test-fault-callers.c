/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, the callers (world.h):
 *  - a caller that leaves the bus in the middle of an Unlock() (closing its connection, or killed) and
 *    of an enrollment;
 *  - Unlock() racing Forget() and FactoryReset(), both ways round, at instants spread over the Unlock;
 *  - the queue of one lock full (LOCK_CALLS_MAX, lock/lock.h);
 *  - the authorization caps (AUTHZ_PENDING_PER_USER_MAX and AUTHZ_PENDING_MAX, bus/authz.h) reached,
 *    behind a polkit that never answers some users (fake-polkit.c): one user hogging its share cannot
 *    keep another user's Unlock() out.
 * Every answer is an error the method documents, none comes later than its deadline, the daemon keeps
 * serving, and the keys stay what the lock has (fault-flows.h fault_check_keys()). */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault-flows.h"

#define QUEUE_CAP 32U      /* LOCK_CALLS_MAX, lock/lock.h */
#define AUTHZ_PER_USER 16U /* AUTHZ_PENDING_PER_USER_MAX, bus/authz.h */
#define AUTHZ_ALL 64U      /* AUTHZ_PENDING_MAX */

static bool one_of(const char *s, const char *const *list) {
        for (; *list; list++)
                if (strcmp(s, *list) == 0)
                        return true;
        return false;
}

static bool never(World *w, const void *arg) {
        return false;
}

/* ---- a caller that leaves ------------------------------------------------------------------------ */

static bool not_unlocking(World *w, const void *arg) {
        return !world_state_is(w, "unlocking");
}

static int ignore_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return 0;
}

/* In a child: Unlock() and then nothing, until the parent kills it or (arg set) until the lock is
 * unlocking, when it closes its connection. */
static int unlock_and_leave(void *arg) {
        sd_bus *bus = NULL;
        char *state = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(bus, NULL, WORLD_LOCK1, "Unlock", ignore_reply, NULL, "");
        if (r < 0)
                return r;
        for (;;) {
                if (sd_bus_process(bus, NULL) < 0)
                        return -EIO;
                if (arg && sd_bus_get_property_string(bus, WORLD_LOCK1, "State", NULL, &state) >= 0 &&
                    strcmp(state, "unlocking") == 0)
                        break;
                free(state);
                state = NULL;
                (void) sd_bus_wait(bus, 50 * TEST_USEC_PER_MSEC);
        }
        free(state);
        /* Gone without waiting for the answer. */
        sd_bus_close(bus);
        sd_bus_unref(bus);
        return 0;
}

START_TEST(test_caller_leaves_mid_unlock) {
        static const char *const env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=3", NULL };
        World w = { .daemon_env = env };

        world_start(&w);
        world_pair(&w);
        for (int killed = 0; killed <= 1; killed++) {
                pid_t pid;
                int status = 0;

                ck_assert_msg(world_wait(&w, world_disconnected, NULL, WORLD_TIMEOUT), "stayed connected");
                /* The lock carries out UNLOCK and does not answer: the call is in flight a while. */
                world_sim_call(&w, "InjectFault", "su", "no-reply@UNLOCK", 1u);
                ck_assert_int_ge(
                        test_bus_fork_as(w.bus, "root", unlock_and_leave, killed ? NULL : (void *) 1, &pid),
                        0);
                ck_assert_msg(
                        world_wait(&w, world_state_is, "unlocking", WORLD_TIMEOUT),
                        "Unlock() did not start");
                if (killed)
                        ck_assert_int_eq(kill(pid, SIGKILL), 0);
                ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, WORLD_TIMEOUT, &status), 0);
                fprintf(stderr, "the caller %s mid-Unlock\n", killed ? "was killed" : "left");

                /* The operation ends by its deadline (6 s) with nobody to answer; the daemon serves the
                 * next. */
                ck_assert_msg(
                        world_wait(&w, not_unlocking, NULL, 8 * TEST_USEC_PER_SEC),
                        "State stuck in unlocking");
                ck_assert(world_daemon_alive(&w));
                world_call_ok(&w, WORLD_LOCK1, "Lock");
                world_call_ok(&w, WORLD_LOCK1, "Unlock");
                fault_check_keys(&w);
        }
        world_stop(&w);
}
END_TEST

typedef struct Enrollment {
        char last[16];
        unsigned progress;
} Enrollment;

static int on_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Enrollment *e = ((World *) userdata)->userdata;
        const char *kind, *status, *id;
        uint32_t done, total;

        /* The broadcast: the enrollment is another client's. */
        if (sd_bus_message_get_destination(m) ||
            sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;
        snprintf(e->last, sizeof(e->last), "%s", status);
        e->progress += strcmp(status, "progress") == 0;
        return 0;
}

static bool enrollment_is(World *w, const void *arg) {
        return strcmp(((Enrollment *) w->userdata)->last, arg) == 0;
}

static bool progressed(World *w, const void *arg) {
        return ((Enrollment *) w->userdata)->progress >= *(const unsigned *) arg;
}

/* In a child: start an enrollment and stay until killed. */
static int enroll_and_stay(void *arg) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(
                bus, WORLD_CREDS, "StartFingerprintEnrollment", &e, NULL, "tt", UINT64_C(0), UINT64_C(0));
        if (r < 0) {
                fprintf(stderr, "StartFingerprintEnrollment: %s\n", e.message);
                return r;
        }
        for (;;)
                if (sd_bus_wait(bus, UINT64_MAX) < 0 || sd_bus_process(bus, NULL) < 0)
                        return -EIO;
}

START_TEST(test_caller_leaves_mid_enrollment) {
        Enrollment e = {};
        World w = { .userdata = &e };
        unsigned two = 2;
        char *err;
        pid_t pid;
        int status = 0;

        world_start(&w);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        WORLD_LOCK_PATH,
                        "org.ttlock.Credentials1",
                        "EnrollmentStatus",
                        on_enrollment,
                        &w),
                0);
        world_pair(&w);
        ck_assert_int_ge(test_bus_fork_as(w.bus, "root", enroll_and_stay, NULL, &pid), 0);
        ck_assert_msg(world_wait(&w, enrollment_is, "waiting", WORLD_TIMEOUT), "no \"waiting\"");
        /* Half-way through the presses the caller is killed. */
        world_sim_call(&w, "PlaceFinger", "s", "61");
        world_sim_call(&w, "PlaceFinger", "s", "61");
        ck_assert_msg(world_wait(&w, progressed, &two, WORLD_TIMEOUT), "no progress");
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, WORLD_TIMEOUT, &status), 0);
        ck_assert_msg(
                world_wait(&w, enrollment_is, "cancelled", WORLD_TIMEOUT), "not cancelled: %s", e.last);

        /* The lock left add mode: the rest of the presses enrol nothing. */
        world_sim_call(&w, "PlaceFinger", "s", "61");
        world_sim_call(&w, "PlaceFinger", "s", "61");
        ck_assert_msg(world_wait(&w, world_disconnected, NULL, WORLD_TIMEOUT), "stayed connected");
        ck_assert_str_eq(e.last, "cancelled");
        err = world_call(&w, WORLD_CREDS, "StartFingerprintEnrollment", "tt", UINT64_C(0), UINT64_C(0));
        ck_assert_msg(!err, "the lock is not free for the next enrollment: %s", err);
        world_call_ok(&w, WORLD_CREDS, "CancelEnrollment");
        world_unlock_works(&w);
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

/* ---- races ----------------------------------------------------------------------------------------- */

static bool gone_or_pairable(World *w, const void *arg) {
        return !world_lock_known(w, NULL) || world_lock_pairable(w, NULL);
}

static void back_to_paired(World *w) {
        if (world_lock_known(w, NULL) && world_get_bool(w, WORLD_LOCK1, "Paired"))
                return;
        /* Forgotten: the lock still has our old admin; reset it at the door and pair again. */
        if (world_sim_paired(w, NULL))
                world_sim_call(w, "PressResetButton", "");
        ck_assert_msg(world_wait(w, gone_or_pairable, NULL, WORLD_TIMEOUT), "the forgotten lock stayed");
        world_pair(w);
}

/* Unlock() and then, after `delay`, the other method (or the other way round): each answers what its
 * XML allows, and what is left agrees with the lock. */
static void race(World *w, const char *first, const char *second, uint64_t delay) {
        /* UnknownObject: the object went with the keys before the call came (bus-errors.h). */
        static const char *const unlock_errors[] = { "",
                                                     WORLD_IN_PROGRESS,
                                                     WORLD_FAILED,
                                                     "org.ttlock.Error.NotPaired",
                                                     WORLD_UNREACHABLE,
                                                     WORLD_TIMEOUT_ERROR,
                                                     "org.freedesktop.DBus.Error.UnknownObject",
                                                     NULL };
        static const char *const other_errors[] = { "",
                                                    WORLD_IN_PROGRESS,
                                                    "org.ttlock.Error.NotPaired",
                                                    WORLD_UNREACHABLE,
                                                    WORLD_TIMEOUT_ERROR,
                                                    WORLD_FAILED,
                                                    "org.freedesktop.DBus.Error.UnknownObject",
                                                    NULL };
        WorldAsync a, b;

        ck_assert_msg(world_wait(w, world_disconnected, NULL, WORLD_TIMEOUT), "stayed connected");
        world_call_async(w, &a, WORLD_LOCK1, first, NULL);
        (void) world_wait(w, never, NULL, delay);
        world_call_async(w, &b, WORLD_LOCK1, second, NULL);
        ck_assert_msg(world_wait(w, world_async_done, &a, WORLD_TIMEOUT), "%s did not answer", first);
        ck_assert_msg(world_wait(w, world_async_done, &b, WORLD_TIMEOUT), "%s did not answer", second);
        fprintf(stderr,
                "%s, %3.0f ms later %s: %s, %s\n",
                first,
                (double) delay / 1e3,
                second,
                a.error[0] ? a.error : "done",
                b.error[0] ? b.error : "done");
        ck_assert_msg(
                one_of(a.error, strcmp(first, "Unlock") == 0 ? unlock_errors : other_errors),
                "%s → %s",
                first,
                a.error);
        ck_assert_msg(
                one_of(b.error, strcmp(second, "Unlock") == 0 ? unlock_errors : other_errors),
                "%s → %s",
                second,
                b.error);
        world_async_done_free(&a);
        world_async_done_free(&b);
        ck_assert(world_daemon_alive(w));
        if (world_lock_paired(w, NULL))
                fault_check_keys(w);
        else {
                WorldStore st;

                /* Forgotten, or reset and forgotten: no keys left, none damaged. Forget() leaves the lock
                 * its admin (Lock1.xml), FactoryReset() does not. */
                world_check_store(w, &st);
                ck_assert_uint_eq(st.n_locks, 0);
                ck_assert(
                        world_sim_paired(w, NULL) ==
                        (strcmp(first, "Forget") == 0 || strcmp(second, "Forget") == 0));
        }
        back_to_paired(w);
        /* The bolt where the lock says it is, and the daemon serving. */
        world_call_ok(w, WORLD_LOCK1, "Lock");
        ck_assert(world_get_bool(w, WORLD_SIM1, "Locked"));
}

START_TEST(test_unlock_races_forget_and_reset) {
        static const char *const pairs[][2] = {
                { "Unlock", "Forget" },
                { "Forget", "Unlock" },
                { "Unlock", "FactoryReset" },
                { "FactoryReset", "Unlock" },
        };
        /* The lock lets an idle link go after 1 s (ttlock-sim(1)): each race starts from a cold link. */
        static const char *const sim_args[] = { "--idle-disconnect-seconds", "1", NULL };
        World w = { .sim_args = sim_args };

        world_start(&w);
        world_pair(&w);
        for (size_t p = 0; p < ELEMENTSOF(pairs); p++)
                /* From together to well into the first call (a cold Unlock takes some 400 ms here). */
                for (uint64_t d = 0; d <= 300 * TEST_USEC_PER_MSEC; d += 150 * TEST_USEC_PER_MSEC)
                        race(&w, pairs[p][0], pairs[p][1], d);
        world_stop(&w);
}
END_TEST

/* ---- the queue ------------------------------------------------------------------------------------ */

START_TEST(test_queue_full) {
        static const char *const env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=3", NULL };
        World w = { .daemon_env = env };
        WorldAsync calls[QUEUE_CAP + 8];
        unsigned refused = 0, timed_out = 0;
        uint64_t slowest = 0;
        char *err;

        world_start(&w);
        world_pair(&w);
        /* A lock that takes every command and never answers: nothing leaves the queue but by its
         * deadline. */
        world_sim_call(&w, "InjectFault", "su", "no-reply", 1000u);
        for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                world_call_async(&w, &calls[i], WORLD_LOCK1, "Refresh", NULL);
        /* Full: another caller is told so at once. */
        (void) world_wait(&w, never, NULL, 200 * TEST_USEC_PER_MSEC);
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        ck_assert_msg(err && strcmp(err, WORLD_IN_PROGRESS) == 0, "Unlock with a full queue: %s", err);
        ck_assert_msg(strstr(w.error_message, "queued"), "\"%s\"", w.error_message);
        free(err);

        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                ck_assert_msg(
                        world_wait(&w, world_async_done, &calls[i], WORLD_TIMEOUT),
                        "call %zu never answered",
                        i);
                refused += strcmp(calls[i].error, WORLD_IN_PROGRESS) == 0;
                timed_out += strcmp(calls[i].error, WORLD_TIMEOUT_ERROR) == 0 ||
                        strcmp(calls[i].error, WORLD_UNREACHABLE) == 0;
                slowest = MAX(slowest, calls[i].took_usec);
                world_async_done_free(&calls[i]);
        }
        fprintf(stderr,
                "%zu Refresh() on a silent lock: %u refused (queue full), %u ended by the deadline, "
                "the slowest after %.1f s\n",
                ELEMENTSOF(calls),
                refused,
                timed_out,
                (double) slowest / 1e6);
        ck_assert_uint_eq(refused, ELEMENTSOF(calls) - QUEUE_CAP);
        ck_assert_uint_eq(timed_out, QUEUE_CAP);
        /* Each by its own deadline (3 s after it came), none near a client's 25 s. */
        ck_assert_uint_le(slowest, 5 * TEST_USEC_PER_SEC);

        world_sim_call(&w, "InjectFault", "su", "no-reply", 0u);
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

/* ---- authorization ---------------------------------------------------------------------------------- */

/* The users whose polkit agent never answers (fake-polkit.c): one, then twice as many as fill every
 * slot (AUTHZ_ALL / AUTHZ_PER_USER). */
static const char *const hogs[] = { "nobody", "bin", "sys", "games", "man", "lp", "mail", "news" };

typedef struct Hog {
        unsigned calls;
        int fd; /* where the child says how many answers came at once */
        unsigned answered, denied_user;
} Hog;

static int on_hog_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Hog *h = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        h->answered++;
        h->denied_user += e && sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) && e->message &&
                strstr(e->message, "this user");
        return 0;
}

/* In a child running as a hog: `calls` Unlock()s, report how many were answered (refused) within a
 * second, then stay with the rest pending until killed. */
static int hog(void *arg) {
        Hog *h = arg;
        sd_bus *bus = NULL;
        struct timespec ts;
        uint64_t now, end;
        char line[64];
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < h->calls; i++) {
                r = sd_bus_call_method_async(bus, NULL, WORLD_LOCK1, "Unlock", on_hog_reply, h, "");
                if (r < 0)
                        return r;
        }
        /* Refusals come at once; the calls polkit sits on do not come back. */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        end = (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000 + TEST_USEC_PER_SEC;
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &ts);
                now = (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
                if (now >= end)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        (void) sd_bus_wait(bus, end - now);
        }
        snprintf(line, sizeof(line), "%u %u\n", h->answered, h->denied_user);
        if (write(h->fd, line, strlen(line)) < 0)
                return -errno;
        for (;;)
                if (sd_bus_wait(bus, UINT64_MAX) < 0 || sd_bus_process(bus, NULL) < 0)
                        return -EIO;
}

static void
start_hog(World *w, const char *user, unsigned calls, unsigned *ret_answered, unsigned *ret_denied) {
        struct pollfd p;
        char line[64] = "";
        int fds[2];
        Hog h = { .calls = calls };
        pid_t pid;

        ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
        h.fd = fds[1];
        ck_assert_int_ge(test_bus_fork_as(w->bus, user, hog, &h, &pid), 0);
        close(fds[1]);
        p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
        ck_assert_int_eq(poll(&p, 1, 10000), 1);
        ck_assert_int_gt(read(fds[0], line, sizeof(line) - 1), 0);
        close(fds[0]);
        ck_assert_int_eq(sscanf(line, "%u %u", ret_answered, ret_denied), 2);
        fprintf(stderr,
                "%s: %u Unlock()s, %u answered at once (%u for the cap of one user)\n",
                user,
                calls,
                *ret_answered,
                *ret_denied);
}

/* In a child running as a user polkit answers: Unlock() goes through (arg NULL), or is refused because
 * every authorization slot is taken (arg set). */
static int unlock_as_other_user(void *arg) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, WORLD_LOCK1, "Unlock", &e, NULL, "");
        fprintf(stderr,
                "Unlock() as another user: %s %s\n",
                r < 0 ? e.name : "done",
                r < 0 ? e.message : "");
        if (arg)
                r = r < 0 && sd_bus_error_has_name(&e, SD_BUS_ERROR_ACCESS_DENIED) ? 0 : -EPERM;
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

static void other_user_unlocks(World *w, bool expect_refused) {
        uint64_t t = world_now_usec();
        int status = 0;
        pid_t pid;

        ck_assert_int_ge(
                test_bus_fork_as(
                        w->bus, "daemon", unlock_as_other_user, expect_refused ? (void *) 1 : NULL, &pid),
                0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, pid, WORLD_TIMEOUT, &status), 0);
        ck_assert_msg(
                WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "another user's Unlock() was %s",
                expect_refused ? "not refused" : "refused");
        ck_assert_uint_lt(world_now_usec() - t, 10 * TEST_USEC_PER_SEC);
}

START_TEST(test_authorization_caps) {
        const char *argv[2 + ELEMENTSOF(hogs)] = { world_env_path("TTLOCK_FAKE_POLKIT") };
        unsigned answered, denied;
        World w = {};
        pid_t polkit;

        world_start(&w);
        world_pair(&w);
        /* Our polkit, before anything asks the real one. */
        for (size_t i = 0; i < ELEMENTSOF(hogs); i++)
                argv[1 + i] = hogs[i];
        ck_assert_int_ge(
                test_bus_spawn_as(w.bus, "polkitd", "polkitd", (char *const *) argv, NULL, &polkit), 0);
        ck_assert_int_ge(test_bus_wait_name(w.bus, "org.freedesktop.PolicyKit1", polkit, WORLD_TIMEOUT), 0);

        /* One user asks more than its share: the rest of its calls are refused at once … */
        start_hog(&w, hogs[0], AUTHZ_PER_USER + 4, &answered, &denied);
        ck_assert_uint_eq(answered, 4);
        ck_assert_uint_eq(denied, 4);
        /* … and another user's Unlock() still gets through. */
        world_sim_call(&w, "TurnKnob", "b", 1);
        other_user_unlocks(&w, false);
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));

        /* Enough users hogging their shares fill every slot: then every other user is refused at once —
         * a bound on what callers can make the daemon hold, not a queue. Twice as many hogs as fill it:
         * were the bound as high as dbus-daemon's limit on one connection's calls in flight (128), the
         * daemon could no longer call BlueZ, for root either. */
        for (size_t i = 1; i < ELEMENTSOF(hogs); i++) {
                start_hog(&w, hogs[i], AUTHZ_PER_USER, &answered, &denied);
                ck_assert_uint_eq(answered, (i + 1) * AUTHZ_PER_USER <= AUTHZ_ALL ? 0 : AUTHZ_PER_USER);
                ck_assert_uint_eq(denied, 0);
        }
        other_user_unlocks(&w, true);
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        ck_assert(world_daemon_alive(&w));
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-callers");
        TCase *tc = tcase_create("callers");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_caller_leaves_mid_unlock);
        tcase_add_test(tc, test_caller_leaves_mid_enrollment);
        tcase_add_test(tc, test_unlock_races_forget_and_reset);
        tcase_add_test(tc, test_queue_full);
        tcase_add_test(tc, test_authorization_caps);
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
