/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The world an end-to-end test runs in, shared by the integration tests: a private system bus with the
 * real polkitd (tests/harness/testbus.h), the build-tree ttlock-sim playing BlueZ, the build-tree
 * ttlockd with its state in a temporary directory, and one client connection. The test talks to
 * ttlockd only through its D-Bus API (dbus/org.ttlock.*.xml) and to the person at the door through
 * org.ttlock.Sim1. Every wait is for a condition with a deadline, never a fixed sleep.
 *
 * Needs root, as CI runs it: polkitd reads actions only from /usr/share/polkit-1/actions. The built
 * files come from the environment meson sets (TTLOCKD, TTLOCK_SIM, TTLOCK_SIM_BUS_CONF,
 * TTLOCK_POLKIT_POLICY, TTLOCK_POLKIT_TEST_RULES). */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "testbus.h"

#define WORLD_LOCK_ADDRESS "AA:BB:CC:00:00:01"
#define WORLD_LOCK_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_01"
#define WORLD_SIM_PATH "/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
#define WORLD_MANAGER "org.ttlock.Manager", "/org/ttlock/Manager", "org.ttlock.Manager1"
#define WORLD_LOCK1 "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Lock1"
#define WORLD_SIM1 "org.bluez", WORLD_SIM_PATH, "org.ttlock.Sim1"
#define WORLD_TIMEOUT (20 * TEST_USEC_PER_SEC)
#define WORLD_STOP_TIMEOUT (60 * TEST_USEC_PER_SEC) /* valgrind's leak check at exit takes a while */

typedef struct World World;
struct World {
        TestBus *bus;
        char state_dir[256];
        char sim_state[256];
        pid_t sim_pid;
        pid_t daemon_pid;
        sd_bus *client;
        /* Set before world_start() to change what starts. */
        const char *const *sim_args;   /* more arguments for ttlock-sim, NULL-terminated, or NULL */
        const char *const *daemon_env; /* more NAME=value for ttlockd, NULL-terminated, or NULL */
        bool polkit_rules;             /* install the test's rules.d file */
        unsigned state_tmpfs_kib;      /* > 0: the state directory is a tmpfs of this size (a disk to fill) */
        /* ttlockd is started by D-Bus activation on the first call, from the built
         * dbus/org.ttlock.Manager.service (TTLOCK_DBUS_SERVICE), as the system bus would; daemon_pid stays
         * 0, world_daemon_pid() asks the bus. daemon_env does not apply; activation_env ("NAME=value …")
         * does. */
        bool activate;
        const char *activation_env;
        /* Run ttlockd as this user instead of root (setpriv: its uid and primary group), with these
         * supplementary groups ("a,b"; NULL = none), as ttlockd.service does; the state directory is
         * made its. */
        const char *daemon_user;
        const char *daemon_groups;
        const char *bus_conf; /* the BlueZ side's bus policy; NULL = TTLOCK_SIM_BUS_CONF */
        /* Called by world_start() once state_dir and sim_state are there (both empty), before the
         * simulator and ttlockd start: to write what they should find. */
        void (*prepare)(World *w);
        bool state_mounted;
        char daemon_status[300];
};

const char *world_env_path(const char *name);

/* Bus, polkit, ttlock-sim with one factory-fresh lock (its state in sim_state), ttlockd, client. */
void world_start(World *w);
void world_stop(World *w);
void world_start_sim(World *w);
void world_start_daemon(World *w);
/* The pid of ttlockd, spawned or activated. */
pid_t world_daemon_pid(World *w);
/* Stop ttlockd (spawned or activated) and check that it exited cleanly. An activated one is started
 * again by the next call. */
void world_stop_daemon(World *w);
/* SIGTERM, bounded wait, SIGKILL; asserts a clean exit (status 0); the pid is cleared. */
void world_stop_pid(World *w, pid_t *pid);
/* SIGKILL, reaped; the pid is cleared. */
void world_kill_pid(World *w, pid_t *pid);

/* Process what arrived, then wait for more, until pred() holds or the deadline passes. */
bool world_wait(World *w, bool (*pred)(World *w, const void *arg), const void *arg, uint64_t timeout);

/* Calls: NULL on success, else the error name (free()); the message goes to stderr. */
char *world_call(World *w, const char *service, const char *path, const char *iface, const char *method,
                 const char *types, ...);
void world_call_ok(World *w, const char *service, const char *path, const char *iface, const char *method);
void world_sim_call(World *w, const char *method, const char *types, ...);

char *world_get_string(World *w, const char *service, const char *path, const char *iface, const char *prop);
bool world_get_bool(World *w, const char *service, const char *path, const char *iface, const char *prop);
uint64_t world_get_u64(World *w, const char *service, const char *path, const char *iface, const char *prop);

/* Conditions for world_wait(). */
bool world_have_adapter(World *w, const void *arg);
bool world_lock_known(World *w, const void *arg);
bool world_lock_pairable(World *w, const void *arg);
bool world_lock_paired(World *w, const void *arg);
bool world_lock_seen(World *w, const void *arg); /* an advert came since the daemon started */

/* Discovery on (our connection owns it) until the lock shows as pairable. */
void world_discover(World *w);
/* The key file of the lock in the daemon's state directory; its path in ret. */
bool world_key_file(World *w, char *ret, size_t size);
/* Whether the key file holds text (read whole, bounded). */
bool world_key_file_contains(World *w, const char *text);
/* Fill the state directory's tmpfs (state_tmpfs_kib) to the last block / empty it again. */
void world_fill_state(World *w, bool full);
