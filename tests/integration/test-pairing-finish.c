/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Pairing that finishes itself, end to end (world.h, doc/protocol.md §5.6): the connection drops at each
 * optional step after ADD_ADMIN (Sim1.InjectFault "drop-connection@COMMAND": the lock does the step, its
 * answer never comes). Pair() still succeeds, Lock1.PairingPending names what is left and the key file
 * keeps it; the lock is usable at once (Unlock), and on that next connection ttlockd does the rest, until
 * PairingPending is empty and what the steps read (Model, Features, the admin passcode) is there. A
 * restarted ttlockd resumes from the key file. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define SETTINGS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"

/* Lock1.PairingPending joined by spaces ("" when empty). */
static void pending(World *w, char *ret, size_t size) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **names = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_get_property_strv(w->client, WORLD_LOCK1, "PairingPending", &e, &names);
        ck_assert_msg(r >= 0, "Get PairingPending: %s", e.message);
        ret[0] = 0;
        for (char **s = names; s && *s; s++) {
                n += (size_t) snprintf(ret + n, n < size ? size - n : 0, "%s%s", n ? " " : "", *s);
                free(*s);
        }
        free(names);
        sd_bus_error_free(&e);
}

static bool pending_is(World *w, const void *arg) {
        char p[256];

        pending(w, p, sizeof(p));
        return strcmp(p, arg) == 0;
}

static bool has_word(const char *list, const char *word) {
        size_t n = strlen(word);

        for (const char *p = list; (p = strstr(p, word)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
                        return true;
        return false;
}

static bool disconnected(World *w, const void *arg) {
        return !world_get_bool(w, WORLD_LOCK1, "Connected");
}

static bool sim_unpaired(World *w, const void *arg) {
        return !world_get_bool(w, WORLD_SIM1, "Paired");
}

/* Back to a factory-fresh lock that ttlockd does not know, in pairing mode. */
static void reset(World *w) {
        free(world_call(w, WORLD_MANAGER, "StopDiscovery", NULL));
        world_call_ok(w, WORLD_LOCK1, "Forget");
        world_sim_call(w, "PressResetButton", NULL);
        ck_assert(world_wait(w, sim_unpaired, NULL, WORLD_TIMEOUT));
        world_discover(w);
}

static const struct {
        const char *command; /* the step the connection drops at */
        const char *pending; /* what must be left (others may be too: the steps after it) */
        bool all_after;      /* features unknown: everything after it is left */
} cases[] = {
        { "TIME_CALIBRATE", "time", true },
        { "SEARCH_DEVICE_FEATURE", "features", true },
        { "SWITCH", "switches", false },
        { "AUDIO_MANAGE", "sound", false },
        { "SHOW_PASSWORD", "auto-lock", false }, /* kept nothing of it: only what follows is left */
        { "AUTO_LOCK_MANAGE", "auto-lock", false },
        { "GET_ADMIN_CODE", "admin-passcode", false },
        { "INIT_PASSWORDS", "init-passcodes", false },
        { "CONTROL_REMOTE_UNLOCK", "remote-unlock", false },
        { "READ_DEVICE_INFO", "device-info", false },
        { "OPERATE_FINISHED", "finish", false },
};

START_TEST(test_each_step) {
        char fault[64], p[256], *model;
        World w = {};

        world_start(&w);
        world_discover(&w);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (i > 0)
                        reset(&w);
                snprintf(fault, sizeof(fault), "drop-connection@%s", cases[i].command);
                world_sim_call(&w, "InjectFault", "su", fault, 1u);
                world_call_ok(&w, WORLD_LOCK1, "Pair");
                ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
                pending(&w, p, sizeof(p));
                ck_assert_msg(has_word(p, cases[i].pending), "%s: PairingPending is \"%s\"", fault, p);
                ck_assert_msg(has_word(p, "finish"), "%s: PairingPending is \"%s\"", fault, p);
                if (cases[i].all_after)
                        ck_assert_msg(
                                has_word(p, "device-info") && has_word(p, "admin-passcode"),
                                "%s: PairingPending is \"%s\"",
                                fault,
                                p);
                ck_assert(world_key_file_contains(&w, "pairing-pending"));

                /* Usable at once; the rest is done on that connection, behind the call. */
                world_call_ok(&w, WORLD_LOCK1, "Unlock");
                ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
                ck_assert_msg(world_wait(&w, pending_is, "", 3 * WORLD_TIMEOUT), "%s: still pending", fault);
                ck_assert(!world_key_file_contains(&w, "pairing-pending"));
                model = world_get_string(&w, WORLD_LOCK1, "Model");
                ck_assert_str_eq(model, "S202F");
                free(model);
                ck_assert(world_key_file_contains(&w, "admin-passcode"));
                ck_assert(!world_key_file_contains(&w, "features: []"));
        }
        world_stop(&w);
}
END_TEST

/* The key file keeps what is left: a restarted ttlockd finishes it on the next connection (Refresh). And a
 * fault on the retry too: it stays pending until a connection gets through. */
START_TEST(test_restart_and_retry) {
        char p[256], *model;
        World w = {};

        world_start(&w);
        world_discover(&w);
        world_sim_call(&w, "InjectFault", "su", "drop-connection@READ_DEVICE_INFO", 1u);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        pending(&w, p, sizeof(p));
        ck_assert_str_eq(p, "device-info finish");
        model = world_get_string(&w, WORLD_LOCK1, "Model");
        ck_assert_str_eq(model, "");
        free(model);

        world_stop_pid(&w, &w.daemon_pid);
        world_start_daemon(&w);
        ck_assert_msg(
                world_wait(&w, world_lock_paired, NULL, WORLD_TIMEOUT), "not paired after the restart");
        pending(&w, p, sizeof(p));
        ck_assert_str_eq(p, "device-info finish");

        /* The retry is cut as well: still pending, the call itself unharmed. */
        world_sim_call(&w, "InjectFault", "su", "drop-connection@READ_DEVICE_INFO", 1u);
        ck_assert_msg(world_wait(&w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert of the lock");
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_msg(world_wait(&w, disconnected, NULL, WORLD_TIMEOUT), "the fault did not drop the link");
        pending(&w, p, sizeof(p));
        ck_assert_str_eq(p, "device-info finish");

        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_msg(world_wait(&w, pending_is, "", 3 * WORLD_TIMEOUT), "still pending");
        model = world_get_string(&w, WORLD_LOCK1, "Model");
        ck_assert_str_eq(model, "S202F");
        free(model);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("pairing-finish");
        TCase *tc = tcase_create("steps");

        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_each_step);
        tcase_add_test(tc, test_restart_and_retry);
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
