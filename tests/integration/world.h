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

typedef struct World {
        TestBus *bus;
        char state_dir[256];
        char sim_state[256];
        pid_t sim_pid;
        pid_t daemon_pid;
        sd_bus *client;
        /* Set before world_start() to change what starts. */
        const char *const *sim_args;   /* more arguments for ttlock-sim, NULL-terminated, or NULL */
        const char *lock_spec;         /* --lock spec of the first lock instead of a factory-fresh one */
        const char *const *daemon_env; /* more NAME=value for ttlockd, NULL-terminated, or NULL */
        bool polkit_rules;             /* install the test's rules.d file */
        unsigned state_tmpfs_kib;      /* > 0: the state directory is a tmpfs of this size (a disk to fill) */
        bool state_mounted;
} World;

const char *world_env_path(const char *name);

/* Bus, polkit, ttlock-sim with one factory-fresh lock (its state in sim_state), ttlockd, client. */
void world_start(World *w);
void world_stop(World *w);
void world_start_sim(World *w);
void world_start_daemon(World *w);
/* SIGTERM, bounded wait, SIGKILL; the pid is cleared. */
void world_stop_pid(World *w, pid_t *pid);
/* SIGKILL, reaped; the pid is cleared. */
void world_kill_pid(World *w, pid_t *pid);

/* Process what arrived, then wait for more, until pred() holds or the deadline passes. */
bool world_wait(World *w, bool (*pred)(World *w, const void *arg), const void *arg, uint64_t timeout);

/* What `ttlock-sim --lock SPEC… --print-lockdata KIND` prints (KIND admin, ekey or addon): the keys the
 * official app or the old add-on would hold for those locks. specs is NULL-terminated; free(). */
char *world_sim_lockdata(World *w, const char *const *specs, const char *kind);

/* A call that keeps its reply: the reply (unref it), or NULL with the error in *e (sd_bus_error_free()).
 * sensitive: marked so, as a client sending keys should. */
sd_bus_message *world_call_reply(
        World *w,
        sd_bus_error *e,
        bool sensitive,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);

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
/* The same for the lock of address (AA:BB:CC:DD:EE:FF). */
bool world_key_file_of(World *w, const char *address, char *ret, size_t size);
/* How many files the daemon's locks/ directory holds (key files, archives, anything). */
unsigned world_count_state_files(World *w);
/* Whether the key file holds text (read whole, bounded). */
bool world_key_file_contains(World *w, const char *text);
/* Fill the state directory's tmpfs (state_tmpfs_kib) to the last block / empty it again. */
void world_fill_state(World *w, bool full);
