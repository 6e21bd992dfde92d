/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Passcodes do not linger in freed memory, end to end (world.h): every D-Bus message that carried one —
 * the calls Credentials1.AddPasscode, ChangePasscode, DeletePasscode, Settings1.SetAdminPasscode, the
 * reply of GetAdminPasscode, and Sim1.EnterPasscode in the simulator — is marked sensitive, so that
 * sd-bus wipes it when it frees it (sd_bus_message_sensitive(3)). The test reads the memory of ttlockd
 * and ttlock-sim through /proc/PID/mem afterwards and looks for each code as D-Bus marshals a string (a
 * 32-bit length, the bytes, a NUL), which is how it sat in the message. Copies the daemon makes for its
 * own work (a request, a frame) are not in that form and are not what this test is about. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "world.h"

#define CHUNK (1024 * 1024)

/* Whether the writable memory of pid holds needle. */
static bool memory_contains(pid_t pid, const void *needle, size_t len) {
        char path[64], line[512];
        FILE *maps;
        uint8_t *buf;
        bool found = false;
        int mem;

        snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
        maps = fopen(path, "re");
        ck_assert_msg(maps, "%s: %m", path);
        snprintf(path, sizeof(path), "/proc/%d/mem", (int) pid);
        mem = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_msg(mem >= 0, "%s: %m", path);
        buf = malloc(CHUNK + len);
        ck_assert_ptr_nonnull(buf);

        while (!found && fgets(line, sizeof(line), maps)) {
                uint64_t start, end;
                char perms[8];

                if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end, perms) != 3)
                        continue;
                /* Heap, stacks and anonymous mappings are writable; [vvar] and the like cannot be read. */
                if (perms[0] != 'r' || perms[1] != 'w' || strstr(line, "[vvar]") ||
                    strstr(line, "[vsyscall]"))
                        continue;
                for (uint64_t at = start; !found && at < end; at += CHUNK) {
                        size_t want = (size_t) MIN((uint64_t) CHUNK + len, end - at);
                        ssize_t n = pread(mem, buf, want, (off_t) at);

                        if (n <= 0)
                                break;
                        found = memmem(buf, (size_t) n, needle, len) != NULL;
                }
        }
        free(buf);
        close(mem);
        fclose(maps);
        return found;
}

/* AddressSanitizer reserves terabytes of writable mappings (shadow memory, its allocator's space) that
 * cannot be read through in a test's time: with it, the messages are sent all the same (its reports
 * are what counts there) but memory is not searched. */
static bool has_asan(pid_t pid) {
        char path[64], line[512];
        bool found = false;
        FILE *maps;

        snprintf(path, sizeof(path), "/proc/%d/maps", (int) pid);
        maps = fopen(path, "re");
        ck_assert_msg(maps, "%s: %m", path);
        while (!found && fgets(line, sizeof(line), maps))
                found = strstr(line, "/libasan.so") != NULL;
        fclose(maps);
        return found;
}

/* A string as it sits in a D-Bus message (little-endian length, bytes, NUL). */
static bool memory_contains_marshalled(pid_t pid, const char *s) {
        uint8_t m[64];
        uint32_t n = (uint32_t) strlen(s);

        ck_assert_uint_lt(n + 5, sizeof(m));
        m[0] = n & 0xff;
        m[1] = (n >> 8) & 0xff;
        m[2] = (n >> 16) & 0xff;
        m[3] = n >> 24;
        memcpy(m + 4, s, n + 1);
        return memory_contains(pid, m, n + 5);
}

/* One round trip to NAME: every message it received before has been dispatched and freed. */
static void ping(World *w, const char *name, const char *path) {
        world_call_ok(w, name, path, "org.freedesktop.DBus.Peer", "Ping");
}

#define CREDS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define SETTINGS1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"

START_TEST(test_passcodes_wiped) {
        World w = {};
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *admin = NULL;
        bool scan;
        const char *sim_argv[] = {
                world_env_path("TTLOCK_SIM"), "--always-awake", "--lock", "mac=" WORLD_LOCK_ADDRESS, NULL
        };
        char *err;

        world_start(&w);
        world_discover(&w);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        scan = !has_asan(w.daemon_pid);
        if (!scan)
                fprintf(stderr, "ttlockd runs with AddressSanitizer: its memory is not searched\n");

        /* The control: a string ttlockd keeps (the alias, in its key record) is found, so the reading
         * works. */
        err = world_call(&w, WORLD_LOCK1, "SetAlias", "s", "canary-alias-5531");
        ck_assert_msg(!err, "SetAlias: %s", err);
        ck_assert_msg(
                !scan || memory_contains(w.daemon_pid, "canary-alias-5531", 17),
                "the memory scan finds nothing");

        err = world_call(&w, CREDS1, "AddPasscode", "stt", "739104628", UINT64_C(0), UINT64_C(0));
        ck_assert_msg(!err, "AddPasscode: %s", err);
        err = world_call(
                &w, CREDS1, "ChangePasscode", "sstt", "739104628", "739104627", UINT64_C(0), UINT64_C(0));
        ck_assert_msg(!err, "ChangePasscode: %s", err);
        err = world_call(&w, CREDS1, "DeletePasscode", "s", "739104627");
        ck_assert_msg(!err, "DeletePasscode: %s", err);
        err = world_call(&w, SETTINGS1, "SetAdminPasscode", "s", "58213947");
        ck_assert_msg(!err, "SetAdminPasscode: %s", err);
        ck_assert_int_ge(sd_bus_call_method(w.client, SETTINGS1, "GetAdminPasscode", &e, &reply, ""), 0);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &admin), 0);
        ck_assert_str_eq(admin, "58213947");
        reply = sd_bus_message_unref(reply);

        ping(&w, "org.ttlock.Manager", "/org/ttlock/Manager");
        ping(&w, "org.bluez", "/");

        ck_assert_msg(
                !scan || !memory_contains_marshalled(w.daemon_pid, "739104628"),
                "ttlockd's memory still holds the message that added the passcode");
        ck_assert_msg(
                !scan || !memory_contains_marshalled(w.daemon_pid, "739104627"),
                "ttlockd's memory still holds the message that changed or deleted the passcode");
        ck_assert_msg(
                !scan || !memory_contains_marshalled(w.daemon_pid, "58213947"),
                "ttlockd's memory still holds a message with the admin passcode");

        /* The person at the door types a code (any code: the call is what matters), at a simulator of
         * its own: without ttlockd, whose log read would fill the simulator's freed memory with its
         * calls, and without --state, whose saving would do the same, so that a lingering EnterPasscode
         * call could not go unnoticed. */
        world_stop_pid(&w, &w.daemon_pid);
        world_stop_pid(&w, &w.sim_pid);
        ck_assert_int_ge(test_bus_spawn_wrapped(w.bus, (char *const *) sim_argv, NULL, &w.sim_pid), 0);
        ck_assert_int_ge(test_bus_wait_name(w.bus, "org.bluez", w.sim_pid, WORLD_TIMEOUT), 0);
        world_sim_call(&w, "EnterPasscode", "s", "620481357");
        ping(&w, "org.bluez", "/");
        ck_assert_msg(
                !scan || !memory_contains_marshalled(w.sim_pid, "620481357"),
                "ttlock-sim's memory still holds the Sim1.EnterPasscode call");
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("sensitive");
        TCase *tc = tcase_create("passcodes");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_passcodes_wiped);
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
