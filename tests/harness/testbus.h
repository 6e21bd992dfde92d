/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A world of its own for an integration test on a machine without a system bus: a private
 * dbus-daemon of type "system" whose address is exported as DBUS_SYSTEM_BUS_ADDRESS (sd-bus, busctl
 * and gdbus all honour it), the real polkitd activated on demand on that bus, helper processes
 * (ttlockd, ttlock-sim, ttlockctl) started and stopped by pid, and commands run as another uid.
 *
 * Rules of use:
 *  - Call test_bus_start() inside the test (or a checked fixture), never before Check forks: the
 *    functions here open short-lived sd-bus connections, and a connection opened before a fork
 *    fails in the child with -ECHILD. Or run the tests with CK_FORK=no.
 *  - The bus socket lives in a fresh directory of mode 0755 under /tmp so that a process running
 *    as nobody can connect (TMPDIR is ignored on purpose: it may be a private 0700 directory).
 *  - polkitd reads actions only from /usr/share/polkit-1/actions and rules only from
 *    /etc/polkit-1/rules.d and /usr/share/polkit-1/rules.d. test_bus_install_polkit_*() copy a
 *    built file there under a name unique to the test process (root only) and test_bus_stop()
 *    removes it; files left by a test that crashed are removed by the next install. Install
 *    before the first polkit call: polkitd reads rules when it starts.
 *  - Every function returns a negative errno on failure and logs why to stderr.
 *  - A test may run two TestBus at once (two hosts): each talks to its own bus, and what it starts
 *    gets its own DBUS_SYSTEM_BUS_ADDRESS, whichever bus was started last. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

#define TEST_USEC_PER_SEC UINT64_C(1000000)
#define TEST_USEC_PER_MSEC UINT64_C(1000)

typedef struct TestBus TestBus;

/* Start the bus. extra_confs: NULL or a NULL-terminated list of bus policy files to include
 * besides the project's dbus/org.ttlock.Manager.conf and polkit's (e.g. one that lets the
 * simulator own org.bluez). Polkit's bus policy and activation file are copied when polkit is
 * installed; without polkit the bus still starts and test_bus_has_polkit() says false. */
int test_bus_start(const char *const *extra_confs, TestBus **ret);

/* Stop every process started through this TestBus (SIGTERM, bounded wait, SIGKILL), then polkitd
 * if the bus activated it, then dbus-daemon; remove installed polkit files and the directory;
 * restore DBUS_SYSTEM_BUS_ADDRESS. Accepts NULL. Always returns NULL. */
TestBus *test_bus_stop(TestBus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(TestBus *, test_bus_stop);
#define _cleanup_test_bus_ _cleanup_(test_bus_stopp)

const char *test_bus_address(const TestBus *b);
/* The private directory (0755). Tests may create files in it, e.g. a STATE_DIRECTORY. */
const char *test_bus_dir(const TestBus *b);
pid_t test_bus_daemon_pid(const TestBus *b);
bool test_bus_has_polkit(const TestBus *b);

/* Start argv (argv[0] searched in PATH) with the test's environment plus extra_env ("K=V",
 * NULL-terminated, may be NULL). As user: through `setpriv --reuid=USER --regid=GROUP
 * --clear-groups`, i.e. without root's supplementary groups. The child gets SIGTERM if the test
 * dies. The pid is remembered and stopped by test_bus_stop() unless reaped before. */
int test_bus_spawn(TestBus *b, char *const argv[], char *const extra_env[], pid_t *ret_pid);
int test_bus_spawn_as(TestBus *b, const char *user, const char *group, char *const argv[],
                      char *const extra_env[], pid_t *ret_pid);

/* Run argv to completion (as test_bus_spawn_as(); user NULL = as ourselves) within timeout_usec,
 * killing it when the time is up (-ETIMEDOUT). ret_stdout: NULL, or receives what it printed
 * (NUL-terminated, at most 1 MiB; free()). ret_status: the wait status (WIFEXITED…). */
int test_bus_run(TestBus *b, const char *user, const char *group, char *const argv[],
                 char *const extra_env[], uint64_t timeout_usec, int *ret_status, char **ret_stdout);

/* Fork; the child drops to user's uid and primary gid with no supplementary groups (what setpriv
 * --clear-groups does), runs fn(userdata) — which may open its own sd-bus connection — and exits
 * 0 if fn returned ≥ 0, else 1. Remembered like test_bus_spawn(). */
int test_bus_fork_as(TestBus *b, const char *user, int (*fn)(void *userdata), void *userdata,
                     pid_t *ret_pid);

/* Wait for a process started through b to exit, at most timeout_usec (-ETIMEDOUT; it keeps
 * running). ret_status: its wait status. */
int test_bus_wait_pid(TestBus *b, pid_t pid, uint64_t timeout_usec, int *ret_status);

/* SIGTERM, wait at most timeout_usec, then SIGKILL and reap. ret_status: its wait status. */
int test_bus_stop_pid(TestBus *b, pid_t pid, uint64_t timeout_usec, int *ret_status);

/* Wait until NAME has an owner on the bus, at most timeout_usec, without polling sleeps: a
 * NameOwnerChanged match wakes us. If pid > 0 (a process started through b), its death ends the
 * wait early with -ESRCH. Does not activate NAME. */
int test_bus_wait_name(TestBus *b, const char *name, pid_t pid, uint64_t timeout_usec);

/* The pid of NAME's owner (GetConnectionUnixProcessID); -ENXIO if NAME has no owner. */
int test_bus_name_pid(TestBus *b, const char *name, pid_t *ret_pid);

/* Copy a built polkit .policy / .rules file where polkitd reads them (see above). Root only:
 * -EPERM otherwise, with a message that says so. */
int test_bus_install_polkit_policy(TestBus *b, const char *path);
int test_bus_install_polkit_rules(TestBus *b, const char *path);

/* uid and primary gid of a user name. */
int test_lookup_user(const char *user, uid_t *ret_uid, gid_t *ret_gid);
