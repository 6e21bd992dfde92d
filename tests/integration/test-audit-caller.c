/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The audit records of calls, end to end (world.h): ttlockd's journal records (src/daemon/store/audit.h)
 * name the caller — its uid as the bus driver vouches for it and its bus name — also when the caller
 * left the bus before its call was answered. The test stands in for journald on its native socket,
 * inside a private mount namespace (a tmpfs over /run) that ttlockd inherits, so that what sd-journal
 * sends can be read back field by field without touching the host's journal. */

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "world.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Our own journald: a datagram socket where sd_journal_send() looks for one. */
static int fake_journal(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        int fd;

        ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        ck_assert_int_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
        ck_assert_int_eq(mkdir("/run/systemd", 0755), 0);
        ck_assert_int_eq(mkdir("/run/systemd/journal", 0755), 0);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        /* ttlockd may run as a user of its own (ttlockd.service User=). */
        ck_assert_int_eq(chmod(JOURNAL_SOCKET, 0666), 0);
        return fd;
}

static bool has_line(const char *rec, const char *line) {
        size_t n = strlen(line);

        for (const char *p = rec; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

/* The next record of this operation that has arrived, or false when none is waiting. */
static bool next_record_of(int fd, const char *operation, char *buf, size_t size) {
        char want[64];

        snprintf(want, sizeof(want), "TTLOCK_OPERATION=%s", operation);
        for (;;) {
                ssize_t n = recv(fd, buf, size - 1, 0);

                if (n < 0) {
                        ck_assert_int_eq(errno, EAGAIN);
                        return false;
                }
                buf[n] = 0;
                if (has_line(buf, want))
                        return true;
        }
}

static bool state_is(World *w, const void *arg) {
        char *s = world_get_string(w, WORLD_LOCK1, "State");
        bool r = strcmp(s, arg) == 0;

        free(s);
        return r;
}

static void pair(World *w) {
        world_discover(w);
        world_call_ok(w, WORLD_LOCK1, "Pair");
        ck_assert_msg(world_wait(w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert of the paired lock");
}

/* A caller that asks for Unlock and leaves the bus while the lock is still being opened: the record of
 * the unlock still says who asked (before, the uid was asked for only once the lock had answered, when
 * the bus driver no longer knew the caller). */
START_TEST(test_caller_left) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *caller = NULL;
        World w = { .sim_args = (const char *const[]){ "--connect-ms", "1500", NULL } };
        char rec[8192], line[128];
        const char *unique = NULL;
        int journal = fake_journal();

        world_start(&w);
        pair(&w);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));
        while (next_record_of(journal, "unlock", rec, sizeof(rec)))
                ;

        ck_assert_int_ge(sd_bus_open_system(&caller), 0);
        ck_assert_int_ge(sd_bus_get_unique_name(caller, &unique), 0);
        snprintf(line, sizeof(line), "CALLER_BUS_NAME=%s", unique);
        ck_assert_int_ge(sd_bus_call_method_async(caller, NULL, WORLD_LOCK1, "Unlock", NULL, NULL, NULL), 0);
        ck_assert_int_ge(sd_bus_flush(caller), 0);
        /* ttlockd took the call (State says so before it connects, and the connect takes 1.5 s): the
         * caller goes. */
        ck_assert_msg(world_wait(&w, state_is, "unlocking", WORLD_TIMEOUT), "the Unlock call was not taken");
        caller = sd_bus_flush_close_unref(caller);

        ck_assert_msg(world_wait(&w, state_is, "unlocked", WORLD_TIMEOUT), "the lock did not open");
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
        /* The record is sent before the reply, and State changed before that: a Ping round trip to
         * ttlockd is enough for it to be in the socket. */
        world_call_ok(&w, "org.ttlock.Manager", "/org/ttlock/Manager", "org.freedesktop.DBus.Peer", "Ping");
        ck_assert_msg(next_record_of(journal, "unlock", rec, sizeof(rec)), "no audit record of the unlock");
        ck_assert_msg(has_line(rec, "TTLOCK_RESULT=ok"), "%s", rec);
        ck_assert_msg(has_line(rec, "CALLER_UID=0"), "the caller's uid is missing:\n%s", rec);
        ck_assert_msg(has_line(rec, line), "no %s in:\n%s", line, rec);
        ck_assert_msg(has_line(rec, "LOCK_ADDRESS=" WORLD_LOCK_ADDRESS), "%s", rec);

        world_stop(&w);
        close(journal);
}
END_TEST

/* A caller that stays gets the same record (the control for the test above). */
START_TEST(test_caller_stayed) {
        World w = {};
        char rec[8192];
        int journal = fake_journal();

        world_start(&w);
        pair(&w);
        while (next_record_of(journal, "lock", rec, sizeof(rec)))
                ;
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        world_call_ok(&w, "org.ttlock.Manager", "/org/ttlock/Manager", "org.freedesktop.DBus.Peer", "Ping");
        ck_assert_msg(next_record_of(journal, "lock", rec, sizeof(rec)), "no audit record of the lock");
        ck_assert_msg(has_line(rec, "CALLER_UID=0"), "%s", rec);
        ck_assert_msg(has_line(rec, "TTLOCK_RESULT=ok"), "%s", rec);
        world_stop(&w);
        close(journal);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("audit-caller");
        TCase *tc = tcase_create("audit");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_caller_left);
        tcase_add_test(tc, test_caller_stayed);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
