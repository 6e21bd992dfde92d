/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* D-Bus activation, end to end (world.h "activate"): nobody starts ttlockd. The private bus has a copy of
 * the activation file the build installs (dbus/org.ttlock.Manager.service) in its servicedir, with Exec=
 * pointing at the build tree; the first call to org.ttlock.Manager makes dbus-daemon start it, as the
 * system bus does on a machine without systemd, and the call is answered by the daemon it started. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "world.h"

/* Whether /proc/PID/cmdline has an argument equal to arg. */
static bool cmdline_has(pid_t pid, const char *arg) {
        char path[64], buf[8192];
        ssize_t n;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        f = fopen(path, "re");
        ck_assert_msg(f, "%s: %m", path);
        n = (ssize_t) fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[MAX(n, 0)] = 0;
        for (char *p = buf; p < buf + n; p += strlen(p) + 1)
                if (strcmp(p, arg) == 0)
                        return true;
        return false;
}

static pid_t parent_of(pid_t pid) {
        char path[64], buf[512], *p;
        int ppid = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        ck_assert_msg(f, "%s: %m", path);
        ck_assert(fgets(buf, sizeof(buf), f));
        fclose(f);
        p = strrchr(buf, ')');
        ck_assert(p && sscanf(p + 1, " %*c %d", &ppid) == 1);
        return (pid_t) ppid;
}

START_TEST(test_first_call_activates) {
        World w = { .activate = true };
        sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        pid_t pid, owner;
        char key[300];

        world_start(&w);
        /* Nothing runs yet. */
        ck_assert_int_eq(test_bus_name_pid(w.bus, "org.ttlock.Manager", &owner), -ENXIO);

        /* The first call starts it and is answered by it. */
        ck_assert_int_ge(sd_bus_call_method(w.client, WORLD_MANAGER, "ListLocks", &e, &reply, ""), 0);
        reply = sd_bus_message_unref(reply);
        pid = world_daemon_pid(&w);
        ck_assert_msg(
                cmdline_has(pid, world_env_path("TTLOCKD")), "the owner is not the build tree's ttlockd");
        /* Started by the bus, not by us. */
        ck_assert_int_ne(parent_of(pid), getpid());
        ck_assert_int_ne(pid, w.sim_pid);

        /* It works, with its state where the activation file says: a pairing lands there. */
        world_discover(&w);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        ck_assert(world_key_file(&w, key, sizeof(key)));
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
        ck_assert_int_eq(world_daemon_pid(&w), pid);

        world_stop(&w);
}
END_TEST

/* Once stopped, the next call starts it again, and it finds the lock it paired. */
START_TEST(test_activated_again) {
        World w = { .activate = true };
        pid_t first;
        char *alias;

        world_start(&w);
        world_discover(&w);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        first = world_daemon_pid(&w);
        world_stop_daemon(&w);
        ck_assert_int_eq(test_bus_name_pid(w.bus, "org.ttlock.Manager", &first), -ENXIO);

        ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
        ck_assert_int_ne(world_daemon_pid(&w), first);
        alias = world_get_string(&w, WORLD_LOCK1, "Address");
        ck_assert_str_eq(alias, WORLD_LOCK_ADDRESS);
        free(alias);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("activation");
        TCase *tc = tcase_create("bus");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_first_call_activates);
        tcase_add_test(tc, test_activated_again);
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
