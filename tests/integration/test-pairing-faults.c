/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Pairing when things go wrong, end to end (world.h): the answer to ADD_ADMIN lost, garbled or cut off
 * with the connection, ttlockd killed between ADD_ADMIN and its answer, a disk that cannot take the keys.
 * In every case the keys of a lock that took our admin are kept and end up paired, and keys the lock
 * never took are not. The simulator's faults are aimed at ADD_ADMIN alone (Sim1.InjectFault
 * "fault@ADD_ADMIN"). */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

static void paired_for_good(World *w) {
        ck_assert(world_get_bool(w, WORLD_LOCK1, "Paired"));
        ck_assert(world_key_file_contains(w, "aes-key"));
        ck_assert(!world_key_file_contains(w, "provisional"));
}

/* The lock took the admin and its answer never came: the new admin logs in, and Pair() succeeds. */
START_TEST(test_add_admin_answer_lost) {
        World w = {};

        world_start(&w);
        world_discover(&w);
        world_sim_call(&w, "InjectFault", "su", "no-reply@ADD_ADMIN", 1u);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        paired_for_good(&w);
        world_unlock_works(&w);
        world_stop(&w);
}
END_TEST

/* A garbled answer: ADD_ADMIN is not sent again (the lock would answer that one with no data, and the
 * keys would have been thrown away); the login tells, and Pair() succeeds. */
START_TEST(test_add_admin_answer_garbled) {
        World w = {};

        world_start(&w);
        world_discover(&w);
        world_sim_call(&w, "InjectFault", "su", "bad-crc@ADD_ADMIN", 2u);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        paired_for_good(&w);
        world_unlock_works(&w);
        world_stop(&w);
}
END_TEST

/* The connection drops right after the lock took the admin: nothing tells now. Pair() says so, the keys
 * stay on disk marked provisional, and the next contact confirms them. */
START_TEST(test_add_admin_connection_dropped) {
        World w = {};
        char *err;

        world_start(&w);
        world_discover(&w);
        world_sim_call(&w, "InjectFault", "su", "drop-connection@ADD_ADMIN", 1u);
        err = world_call(&w, WORLD_LOCK1, "Pair", NULL);
        ck_assert_ptr_nonnull(err);
        free(err);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Paired"));
        /* The keys are on disk, provisional or already confirmed by the first advert since. */
        ck_assert(world_key_file_contains(&w, "aes-key"));
        ck_assert_msg(world_wait(&w, world_lock_paired, NULL, 3 * WORLD_TIMEOUT),
                      "the provisional keys were not confirmed");
        paired_for_good(&w);
        world_unlock_works(&w);
        world_stop(&w);
}
END_TEST

/* ttlockd dies between ADD_ADMIN and its answer (SIGKILL, as SIGTERM would not be faster): the keys were
 * on disk before ADD_ADMIN went out, and the restarted daemon confirms them. */
START_TEST(test_killed_between_add_admin_and_answer) {
        sd_bus_message *m = NULL;
        World w = {};

        world_start(&w);
        world_discover(&w);
        world_sim_call(&w, "InjectFault", "su", "no-reply@ADD_ADMIN", 1u);
        ck_assert_int_ge(sd_bus_message_new_method_call(w.client, &m, WORLD_LOCK1, "Pair"), 0);
        ck_assert_int_ge(sd_bus_call_async(w.client, NULL, m, NULL, NULL, 0), 0);
        m = sd_bus_message_unref(m);
        ck_assert_msg(world_wait(&w, world_sim_paired, NULL, WORLD_TIMEOUT), "the lock never took the admin");
        world_kill_pid(&w, &w.daemon_pid);
        ck_assert(world_key_file_contains(&w, "provisional"));

        world_start_daemon(&w);
        ck_assert_msg(world_wait(&w, world_lock_paired, NULL, 3 * WORLD_TIMEOUT),
                      "the restarted daemon did not confirm the keys");
        paired_for_good(&w);
        world_unlock_works(&w);
        world_stop(&w);
}
END_TEST

/* A full disk: the keys cannot be made durable, so ADD_ADMIN is never sent and Pair() fails saying why.
 * With room again, pairing works. */
START_TEST(test_keys_cannot_be_written) {
        World w = { .state_tmpfs_kib = 256 };
        char path[300], *err;

        world_start(&w);
        world_discover(&w);
        world_fill_state(&w, true);
        err = world_call(&w, WORLD_LOCK1, "Pair", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_str_eq(err, "org.ttlock.Error.Failed");
        free(err);
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Paired"));
        ck_assert(!world_get_bool(&w, WORLD_LOCK1, "Paired"));
        ck_assert(!world_key_file(&w, path, sizeof(path)));

        world_fill_state(&w, false);
        ck_assert_msg(world_wait(&w, world_lock_pairable, NULL, WORLD_TIMEOUT), "no longer pairable");
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        paired_for_good(&w);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("pairing");
        TCase *tc = tcase_create("faults");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_add_admin_answer_lost);
        tcase_add_test(tc, test_add_admin_answer_garbled);
        tcase_add_test(tc, test_add_admin_connection_dropped);
        tcase_add_test(tc, test_killed_between_add_admin_and_answer);
        tcase_add_test(tc, test_keys_cannot_be_written);
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
