/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, the disk (world.h): the state directory full (a small tmpfs filled to the last
 * byte) and unwritable (a read-only bind mount: EROFS even for root; the daemon starts on it). While it
 * lasts, every method whose effect is on disk fails with org.ttlock.Error.Failed saying why, and changes
 * nothing — not on the bus, not on disk; the methods that need no disk (Lock, Unlock, the settings kept
 * by the lock itself) keep working, and door events are still signalled. Once the disk is back, what
 * is stored loads (world_check_store()), holds what it held before, and a daemon serves from it. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-flows.h"

typedef struct Disk {
        const char *name;
        unsigned tmpfs_kib;
        int error; /* what the daemon's writes fail with */
} Disk;

static const Disk disks[] = {
        { "full", 256, ENOSPC },
        { "read-only", 0, EROFS },
};

/* Full: the tmpfs filled to the last byte, under the running daemon. Read-only: a read-only bind mount
 * over the directory, under a daemon started afterwards (one started before keeps writing through the
 * directory it opened, below the new mount). */
static void disk_trouble(World *w, const Disk *d, bool on) {
        if (d->error == ENOSPC) {
                world_fill_state(w, on);
                return;
        }
        world_stop_pid(w, &w->daemon_pid);
        world_state_readonly(w, on);
        world_start_daemon(w);
        ck_assert_msg(world_wait(w, world_lock_known, NULL, WORLD_TIMEOUT), "the stored lock is not loaded");
        ck_assert(world_get_bool(w, WORLD_LOCK1, "Paired"));
}

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        if (!sd_bus_message_get_destination(m))
                (*(unsigned *) ((World *) userdata)->userdata)++;
        return 0;
}

static bool event_after(World *w, const void *arg) {
        return *(unsigned *) w->userdata > *(const unsigned *) arg;
}

/* The alias given to passcode 123456 (Credentials1.ListPasscodes). */
static char *passcode_alias(World *w) {
        sd_bus_message *reply = NULL;
        char *err, *alias = NULL;
        const char *key, *s;

        err = world_call_reply(w, WORLD_CREDS, "ListPasscodes", &reply, NULL);
        ck_assert_msg(!err, "ListPasscodes: %s", err);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_enter_container(reply, 'a', "{sv}") > 0) {
                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &key), 0);
                        if (strcmp(key, "alias") == 0) {
                                ck_assert_int_ge(sd_bus_message_read(reply, "v", "s", &s), 0);
                                free(alias);
                                alias = strdup(s);
                        } else
                                ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        }
        sd_bus_message_unref(reply);
        ck_assert_ptr_nonnull(alias);
        return alias;
}

static void check_alias(World *w, const char *want) {
        char *s = world_get_string(w, WORLD_LOCK1, "Alias");

        ck_assert_str_eq(s, want);
        free(s);
}

/* The call fails with Failed, and its message says what the disk said. */
static void fails_for_disk(World *w, char *err, int error) {
        ck_assert_msg(err, "the call succeeded on a %s disk", strerror(error));
        ck_assert_str_eq(err, WORLD_FAILED);
        ck_assert_msg(
                strstr(w->error_message, strerror(error)),
                "\"%s\" does not say \"%s\"",
                w->error_message,
                strerror(error));
        free(err);
}

START_TEST(test_disk) {
        const Disk *d = &disks[_i];
        static const char *const env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=10", NULL };
        unsigned events = 0, before;
        World w = { .userdata = &events, .daemon_env = env, .state_tmpfs_kib = d->tmpfs_kib };
        WorldStore st;
        char *err, *s;

        world_start(&w);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        NULL,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        &w),
                0);
        world_pair(&w);
        err = world_call(&w, WORLD_LOCK1, "SetAlias", "s", "Front door");
        ck_assert_ptr_null(err);
        err = world_call(&w, WORLD_CREDS, "AddPasscode", "stt", "123456", UINT64_C(0), UINT64_C(0));
        ck_assert_ptr_null(err);
        err = world_call(&w, WORLD_CREDS, "SetCredentialAlias", "sss", "passcode", "123456", "Postman");
        ck_assert_ptr_null(err);
        before = events;
        world_sim_call(&w, "TurnKnob", "b", 0);
        ck_assert_msg(world_wait(&w, event_after, &before, WORLD_TIMEOUT), "no Event");

        fprintf(stderr, "---- the state directory is %s\n", d->name);
        disk_trouble(&w, d, true);

        /* What goes to disk fails, saying why, and changes nothing. */
        fails_for_disk(&w, world_call(&w, WORLD_LOCK1, "SetAlias", "s", "Back door"), d->error);
        check_alias(&w, "Front door");
        fails_for_disk(
                &w,
                world_call(&w, WORLD_CREDS, "SetCredentialAlias", "sss", "passcode", "123456", "Cleaner"),
                d->error);
        s = passcode_alias(&w);
        ck_assert_str_eq(s, "Postman");
        free(s);

        /* What needs no disk works. */
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        err = world_call(&w, WORLD_SETTINGS, "SetAutoLock", "u", 9u);
        ck_assert_msg(!err || strcmp(err, WORLD_FAILED) == 0, "SetAutoLock → %s", err);
        fprintf(stderr,
                "SetAutoLock on a %s disk: %s (%s)\n",
                d->name,
                err ?: "done",
                err ? w.error_message : "");
        free(err);
        /* A door event is signalled though it cannot be archived. */
        before = events;
        world_sim_call(&w, "TurnKnob", "b", 1);
        ck_assert_msg(
                world_wait(&w, event_after, &before, WORLD_TIMEOUT),
                "no Event while the disk is %s",
                d->name);
        /* Forgetting needs no room, but a writable directory. */
        err = world_call(&w, WORLD_LOCK1, "Forget", NULL);
        if (d->error == EROFS) {
                fails_for_disk(&w, err, d->error);
                ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
        } else {
                ck_assert_msg(!err, "Forget on a full disk: %s", err);
                ck_assert_msg(
                        world_wait(&w, world_lock_gone, NULL, WORLD_TIMEOUT), "the forgotten lock stayed");
        }
        ck_assert(world_daemon_alive(&w));

        /* The disk is back: nothing was damaged, the old content is there, and a restarted daemon serves
         * from it. */
        disk_trouble(&w, d, false);
        world_check_store(&w, &st);
        ck_assert_uint_eq(st.n_provisional, 0);
        if (d->error == EROFS) {
                ck_assert_uint_eq(st.n_locks, 1);
                ck_assert_str_eq(st.alias, "Front door");
                ck_assert_uint_ge(st.n_history, 1);
                check_alias(&w, "Front door");
                s = passcode_alias(&w);
                ck_assert_str_eq(s, "Postman");
                free(s);
                world_unlock_works(&w);
                err = world_call(&w, WORLD_LOCK1, "SetAlias", "s", "Back door");
                ck_assert_ptr_null(err);
                check_alias(&w, "Back door");
        } else {
                /* Forgotten while full: the keys went, the lock still has our admin; reset and pair again.
                 */
                ck_assert_uint_eq(st.n_locks, 0);
                world_sim_call(&w, "PressResetButton", "");
                world_pair(&w);
                world_unlock_works(&w);
        }
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-disk");
        TCase *tc = tcase_create("disk");

        tcase_set_timeout(tc, 300);
        tcase_add_loop_test(tc, test_disk, 0, (int) ELEMENTSOF(disks));
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
