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
#define WORLD_CREDS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define WORLD_SETTINGS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"
#define WORLD_SIM1 "org.bluez", WORLD_SIM_PATH, "org.ttlock.Sim1"
#define WORLD_TIMEOUT (20 * TEST_USEC_PER_SEC)
#define WORLD_STOP_TIMEOUT (60 * TEST_USEC_PER_SEC) /* valgrind's leak check at exit takes a while */

#define WORLD_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define WORLD_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define WORLD_IN_PROGRESS "org.ttlock.Error.InProgress"
#define WORLD_FAILED "org.ttlock.Error.Failed"
#define WORLD_TIMEOUT_ERROR "org.ttlock.Error.Timeout"
#define WORLD_UNREACHABLE "org.ttlock.Error.Unreachable"

typedef struct World World;
struct World {
        TestBus *bus;
        char state_dir[256];
        char sim_state[256];
        pid_t sim_pid;
        pid_t daemon_pid;
        sd_bus *client;
        char error_message[512]; /* of the last failed world_call…() */
        void *userdata;          /* the test's own, for its signal handlers and conditions */
        /* Set before world_start() to change what starts. */
        const char *lock_name;     /* the simulated lock's advertised name; NULL = "K5_010000" */
        const char *lock_features; /* its --lock features=…; NULL = the simulator's default lock */
        const char *sim_yaml;      /* the simulator's state file before it first starts, or NULL */
        bool sim_sleepy;           /* no --always-awake: the lock sleeps, falls dormant, wakes (Sim1.Wake) */
        const char *const *sim_args;   /* more arguments for ttlock-sim, NULL-terminated, or NULL */
        const char *lock_spec;         /* --lock spec of the first lock instead of a factory-fresh one */
        const char *const *daemon_env; /* more NAME=value for ttlockd, NULL-terminated, or NULL */
        bool polkit_rules;             /* install the test's rules.d file */
        unsigned state_tmpfs_kib; /* > 0: the state directory is a tmpfs of this size (a disk to fill) */
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
        /* Called by world_start() once state_dir and sim_state are there (the state directory empty,
         * sim_state holding sim_yaml or nothing), before the simulator and ttlockd start: to write what
         * they should find. */
        void (*prepare)(World *w);
        bool state_mounted;
        bool defer_daemon;   /* world_start() leaves ttlockd to the test (world_start_daemon()) */
        char config[256];    /* ttlockd.conf for this world ($TTLOCKD_CONFIG); absent = defaults */
        bool state_readonly; /* world_state_readonly() put a read-only bind mount over it */
        char daemon_status[300];
};

const char *world_env_path(const char *name);
uint64_t world_now_usec(void); /* CLOCK_MONOTONIC */
uint64_t world_realtime_usec(void);

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
/* The daemon still runs (it has not exited or been killed); a spawned one, not an activated one. */
bool world_daemon_alive(World *w);

/* Process what arrived, then wait for more, until pred() holds or the deadline passes. */
bool world_wait(World *w, bool (*pred)(World *w, const void *arg), const void *arg, uint64_t timeout);
/* Process what arrived without waiting. */
void world_process(World *w);

/* What `ttlock-sim --lock SPEC… --print-lockdata KIND` prints (KIND admin, ekey or addon): the keys the
 * official app or the old add-on would hold for those locks. specs is NULL-terminated; free(). */
char *world_sim_lockdata(World *w, const char *const *specs, const char *kind);

/* A call that keeps its reply: the reply (unref it), or NULL with the error in *e (sd_bus_error_free()).
 * sensitive: marked so, as a client sending keys should. */
sd_bus_message *world_call_message(
        World *w,
        sd_bus_error *e,
        bool sensitive,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);

/* Calls: NULL on success, else the error name (free()), its message in w->error_message and on stderr.
 * world_call_reply() hands the reply over in *ret_reply (when not NULL) on success. */
char *world_call(
        World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);
char *world_call_reply(
        World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        sd_bus_message **ret_reply,
        const char *types,
        ...);
char *world_callv(
        World *w,
        sd_bus *bus,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        sd_bus_message **ret_reply,
        const char *types,
        va_list ap);
void world_call_ok(World *w, const char *service, const char *path, const char *iface, const char *method);
void world_sim_call(World *w, const char *method, const char *types, ...);
/* The call fails with error name want, and its message contains `contains` when that is not NULL. */
void world_check_failed(World *w, char *got, const char *want, const char *contains);

/* A call whose reply is awaited with world_wait(world_async_done, …): done, the error name ("" when it
 * succeeded) and how long it took. */
typedef struct WorldAsync {
        bool done;
        char error[128];
        uint64_t started_usec;
        uint64_t took_usec;
        sd_bus_slot *slot;
} WorldAsync;
void world_call_async(
        World *w,
        WorldAsync *c,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);
bool world_async_done(World *w, const void *arg);
void world_async_done_free(WorldAsync *c); /* drops the slot (a call still in flight is forgotten) */

char *world_get_string(World *w, const char *service, const char *path, const char *iface, const char *prop);
bool world_get_bool(World *w, const char *service, const char *path, const char *iface, const char *prop);
uint8_t world_get_u8(World *w, const char *service, const char *path, const char *iface, const char *prop);
uint32_t world_get_u32(World *w, const char *service, const char *path, const char *iface, const char *prop);
int64_t world_get_i64(World *w, const char *service, const char *path, const char *iface, const char *prop);
uint64_t world_get_u64(World *w, const char *service, const char *path, const char *iface, const char *prop);

/* Conditions for world_wait(). */
bool world_have_adapter(World *w, const void *arg);
bool world_lock_known(World *w, const void *arg);
bool world_lock_gone(World *w, const void *arg);
bool world_lock_pairable(World *w, const void *arg);
bool world_lock_paired(World *w, const void *arg);
bool world_lock_seen(World *w, const void *arg);    /* an advert came since the daemon started */
bool world_state_is(World *w, const void *arg);     /* Lock1.State equals the string arg */
bool world_disconnected(World *w, const void *arg); /* Lock1.Connected is false, or no such object */
bool world_sim_paired(World *w, const void *arg);   /* the simulated lock has an admin */

/* Discovery on (our connection owns it) until the lock shows as pairable. */
void world_discover(World *w);
/* world_discover(), then Pair(): paired, the lock has our admin, the key file is on disk (0600). */
void world_pair(World *w);
/* An advert since the daemon started, then Unlock() succeeds and the simulated bolt is open. */
void world_unlock_works(World *w);

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

/* ---- radios (ttlockd.conf(5), org.ttlock.Radio1, ttlock-sim --esphome-proxy) ----------------------- */

/* Writes w->config (replacing it whole, as an editor would). */
void world_write_config(World *w, const char *format, ...) _printf_(2, 3);
/* A fresh PSK file (base64 of 32 random bytes, mode 0600) in the world's directory; its path in ret. */
void world_write_psk(World *w, const char *name, char *ret, size_t size);
/* The TCP port a simulated proxy listens on (org.ttlock.SimProxy1.Port). */
unsigned world_proxy_port(World *w, const char *name);
/* SimProxy1.Stop() / Start(). */
void world_proxy_call(World *w, const char *name, const char *method);
/* /org/ttlock/Radio/<name> (names of letters and digits only). */
void world_radio_path(const char *name, char *ret, size_t size);
/* A Radio1 property of the radio called name. */
bool world_radio_connected(World *w, const char *name);
char *world_radio_string(World *w, const char *name, const char *prop);
/* An object path property ("o"); free(). */
char *world_get_path(World *w, const char *service, const char *path, const char *iface, const char *prop);
/* Sim1.Links of the lock at address: how many links the radio called radio made to it. */
unsigned world_sim_links(World *w, const char *address, const char *radio);
/* Sim1.SetRadioRssi on the lock at address. */
void world_sim_rssi(World *w, const char *address, const char *radio, int rssi);
/* Whether any radio is usable (Manager1.Radios, Connected). */
bool world_have_radio(World *w, const void *arg);

/* A read-only bind mount over the state directory (every write fails with EROFS, even root's) / gone. */
void world_state_readonly(World *w, bool readonly);

/* What the daemon's state directory holds, loaded the way ttlockd loads it at start-up (store.h
 * store_load_all(), history.h history_open()) from a copy, so that the original is not touched. Fails
 * the test when a key file or an event archive is damaged (moved aside, or records skipped). */
typedef struct WorldStore {
        size_t n_locks;       /* key files that load */
        size_t n_provisional; /* of them: keys saved before an ADD_ADMIN whose outcome is not known */
        size_t n_history;     /* event archive records, all locks */
        size_t n_tmp;         /* leftover temp files of an interrupted write (removed on load) */
        bool has_aes_key;     /* WORLD_LOCK_ADDRESS's record has key material */
        char alias[64];       /* WORLD_LOCK_ADDRESS's alias, "" none */
} WorldStore;
void world_check_store(World *w, WorldStore *ret);

/* Sim1.TakeCommands(): the commands the lock received since the last call, NULL-terminated (free with
 * world_strv_free()). */
char **world_sim_take_commands(World *w);
void world_strv_free(char **l);
