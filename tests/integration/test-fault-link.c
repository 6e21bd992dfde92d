/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, the radio (world.h): a dormant lock that refuses connections, and BlueZ (the
 * simulator) going away and coming back in the middle of a pairing and of an enrollment. In each case
 * the calls end with an error their XML documents, no later than the method deadline, the daemon then
 * serves the BlueZ that came back, and the keys it holds are the ones the lock has (fault-flows.h
 * fault_check_keys()). */

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-flows.h"

#define DEADLINE_SEC 10

static const char *const daemon_env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=10",
                                          "TTLOCKD_ENROLLMENT_TIMEOUT_SEC=10",
                                          NULL };

static bool one_of(const char *s, const char *const *list) {
        for (; *list; list++)
                if (s && strcmp(s, *list) == 0)
                        return true;
        return false;
}

static bool sim_dormant(World *w, const void *arg) {
        return world_get_bool(w, WORLD_SIM1, "Dormant");
}

/* A lock that fell asleep (dormant, doc/protocol.md §9.2) refuses connections until someone touches it:
 * Unlock() says Unreachable by its deadline, and works once the lock is awake. A few refused connects
 * are retried; more are Unreachable too. */
START_TEST(test_dormant_lock) {
        static const char *const sim_args[] = {
                "--dormant-after-seconds", "2", "--awake-seconds", "3", "--connect-fail-ms", "300", NULL
        };
        World w = { .sim_sleepy = true, .sim_args = sim_args, .daemon_env = daemon_env };
        uint64_t t;
        char *err;

        world_start(&w);
        world_sim_call(&w, "Wake", "");
        world_pair(&w);
        ck_assert_msg(world_wait(&w, sim_dormant, NULL, WORLD_TIMEOUT), "the lock did not fall asleep");

        t = world_now_usec();
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        t = world_now_usec() - t;
        fprintf(stderr, "Unlock() of a dormant lock: %s after %.1f s\n", err, (double) t / 1e6);
        ck_assert_msg(
                one_of(err, (const char *const[]){ WORLD_UNREACHABLE, WORLD_TIMEOUT_ERROR, NULL }),
                "got %s",
                err);
        free(err);
        ck_assert_uint_le(t, (DEADLINE_SEC + 1) * TEST_USEC_PER_SEC);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));
        ck_assert_msg(!world_state_is(&w, "unlocking"), "State stuck in unlocking");
        ck_assert(world_daemon_alive(&w));
        fault_check_keys(&w);

        /* Touched: awake, and it opens. */
        world_sim_call(&w, "Wake", "");
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));

        /* Two refused connects are retried (§9.2: dormant locks need several); a lock that keeps refusing
         * is Unreachable, and the next call works. */
        ck_assert_msg(world_wait(&w, world_disconnected, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        world_sim_call(&w, "Wake", "");
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 2u);
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        ck_assert_msg(world_wait(&w, world_disconnected, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        world_sim_call(&w, "Wake", "");
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 100u);
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        ck_assert_msg(
                one_of(err, (const char *const[]){ WORLD_UNREACHABLE, WORLD_TIMEOUT_ERROR, NULL }),
                "got %s",
                err);
        free(err);
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 0u);
        world_sim_call(&w, "Wake", "");
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

/* ---- BlueZ going away -------------------------------------------------------------------------- */

typedef struct Received {
        const char *command;
        bool seen;
} Received;

/* The simulated lock received `command` (Sim1.TakeCommands(), which empties its list). */
static bool lock_received(World *w, const void *arg) {
        Received *r = (Received *) arg;
        char **l = world_sim_take_commands(w);

        for (char **s = l; *s && !r->seen; s++)
                r->seen = strcmp(*s, r->command) == 0;
        world_strv_free(l);
        return r->seen;
}

/* BlueZ stops and starts again. The simulator is BlueZ and the lock at once: stopped with SIGTERM it
 * keeps the lock's memory (its state file), as a lock keeps its own when only BlueZ goes away. */
static void restart_bluez(World *w, bool kill9) {
        if (kill9)
                world_kill_pid(w, &w->sim_pid);
        else
                world_stop_pid(w, &w->sim_pid);
        world_start_sim(w);
}

static bool discovering(World *w, const void *arg) {
        return world_get_bool(w, WORLD_MANAGER, "Discovering");
}

static void pairable_again(World *w) {
        /* BlueZ may just have come back: StartDiscovery is NotReady until ttlockd has read its adapter. */
        ck_assert_msg(world_wait(w, world_have_radio, NULL, 2 * WORLD_TIMEOUT), "no radio");
        if (!discovering(w, NULL))
                world_call_ok(w, WORLD_MANAGER, "StartDiscovery");
        ck_assert_msg(world_wait(w, world_lock_pairable, NULL, 2 * WORLD_TIMEOUT), "not pairable");
}

/* BlueZ goes away while Pair() waits for the lock's answer to one of its steps: before the lock has an
 * admin (GET_AES_KEY), right after it created ours (ADD_ADMIN), and in the steps after it. Pair() ends
 * by its deadline; the keys are kept exactly when the lock took our admin; with BlueZ back, the lock is
 * paired (or can be) and opens. */
START_TEST(test_bluez_restarts_during_pairing) {
        static const char *const steps[] = {
                "GET_AES_KEY", "ADD_ADMIN", "SEARCH_DEVICE_FEATURE", "READ_DEVICE_INFO", "OPERATE_FINISHED"
        };
        static const char *const pair_errors[] = {
                WORLD_UNREACHABLE, WORLD_TIMEOUT_ERROR, WORLD_FAILED, "org.ttlock.Error.NotReady", NULL
        };
        World w = { .daemon_env = daemon_env };

        world_start(&w);
        world_discover(&w);
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                Received got = { steps[i] };
                char spec[64];
                WorldAsync c;

                world_strv_free(world_sim_take_commands(&w));
                snprintf(spec, sizeof(spec), "no-reply@%s", steps[i]);
                world_sim_call(&w, "InjectFault", "su", spec, 1u);
                world_call_async(&w, &c, WORLD_LOCK1, "Pair", NULL);
                ck_assert_msg(
                        world_wait(&w, lock_received, &got, WORLD_TIMEOUT),
                        "Pair() never sent %s",
                        steps[i]);
                restart_bluez(&w, false);
                ck_assert_msg(world_wait(&w, world_async_done, &c, WORLD_TIMEOUT), "Pair() did not end");
                fprintf(stderr,
                        "BlueZ restarted at %s: Pair() → %s after %.1f s\n",
                        steps[i],
                        c.error[0] ? c.error : "done",
                        (double) c.took_usec / 1e6);
                ck_assert_msg(!c.error[0] || one_of(c.error, pair_errors), "Pair() → %s", c.error);
                ck_assert_uint_le(c.took_usec, (DEADLINE_SEC + 1) * TEST_USEC_PER_SEC);
                world_async_done_free(&c);
                ck_assert(world_daemon_alive(&w));

                fault_check_keys(&w);
                if (!world_sim_paired(&w, NULL)) {
                        pairable_again(&w);
                        world_call_ok(&w, WORLD_LOCK1, "Pair");
                        fault_check_keys(&w);
                }
                world_unlock_works(&w);
                /* Factory-fresh for the next step. */
                world_call_ok(&w, WORLD_LOCK1, "FactoryReset");
                fault_check_keys(&w);
                pairable_again(&w);
        }
        world_stop(&w);
}
END_TEST

typedef struct Enrollment {
        char final[16];
        bool waiting;
} Enrollment;

static int on_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Enrollment *e = ((World *) userdata)->userdata;
        const char *kind, *status, *id;
        uint32_t done, total;

        if (!sd_bus_message_get_destination(m) ||
            sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;
        if (strcmp(status, "waiting") == 0)
                e->waiting = true;
        else if (strcmp(status, "progress") != 0)
                snprintf(e->final, sizeof(e->final), "%s", status);
        return 0;
}

static bool enrollment_waiting(World *w, const void *arg) {
        return ((Enrollment *) w->userdata)->waiting;
}

static bool enrollment_ended(World *w, const void *arg) {
        return ((Enrollment *) w->userdata)->final[0];
}

static void start_enrollment(World *w) {
        char *err = world_call(w, WORLD_CREDS, "StartFingerprintEnrollment", "tt", UINT64_C(0), UINT64_C(0));

        ck_assert_msg(!err, "StartFingerprintEnrollment: %s: %s", err, w->error_message);
}

/* BlueZ is killed while the lock waits for the finger: the enrollment ends (EnrollmentStatus "failed",
 * Credentials1.xml) instead of holding the lock, and with BlueZ back the next enrollment completes. */
START_TEST(test_bluez_killed_during_enrollment) {
        Enrollment e = {};
        World w = { .userdata = &e, .daemon_env = daemon_env };

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

        for (int kill9 = 1; kill9 >= 0; kill9--) {
                e = (Enrollment){};
                start_enrollment(&w);
                ck_assert_msg(world_wait(&w, enrollment_waiting, NULL, WORLD_TIMEOUT), "no \"waiting\"");
                world_sim_call(&w, "PlaceFinger", "s", "77");
                restart_bluez(&w, kill9);
                ck_assert_msg(
                        world_wait(&w, enrollment_ended, NULL, WORLD_TIMEOUT), "the enrollment did not end");
                fprintf(stderr,
                        "BlueZ %s during an enrollment: %s\n",
                        kill9 ? "killed" : "stopped",
                        e.final);
                ck_assert_msg(
                        strcmp(e.final, "failed") == 0 || strcmp(e.final, "cancelled") == 0,
                        "ended %s",
                        e.final);
                ck_assert(world_daemon_alive(&w));
                fault_check_keys(&w);

                /* The lock is free again, and BlueZ serves. */
                ck_assert_msg(world_wait(&w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert");
                e = (Enrollment){};
                start_enrollment(&w);
                ck_assert_msg(world_wait(&w, enrollment_waiting, NULL, WORLD_TIMEOUT), "no \"waiting\"");
                for (unsigned i = 0; i < 4; i++)
                        world_sim_call(&w, "PlaceFinger", "s", kill9 ? "78" : "79");
                ck_assert_msg(
                        world_wait(&w, enrollment_ended, NULL, WORLD_TIMEOUT), "the enrollment did not end");
                ck_assert_str_eq(e.final, "completed");
        }
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-link");
        TCase *tc = tcase_create("link");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_dormant_lock);
        tcase_add_test(tc, test_bluez_restarts_during_pairing);
        tcase_add_test(tc, test_bluez_killed_during_enrollment);
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
