/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One host of the MQTT tests: a private system bus (tests/harness/testbus.h) with the real polkitd,
 * ttlock-sim playing BlueZ, the build-tree ttlockd and the build-tree ttlock-mqtt, which talks to a
 * real mosquitto (tests/harness/testbroker.h) shared by every host of a test. A test may run two
 * hosts into one broker. Every wait is for a condition, with a deadline.
 *
 * The programs come from the environment meson sets (TTLOCKD, TTLOCK_SIM, TTLOCK_MQTT, …). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "mqtt-observer.h"
#include "testbroker.h"
#include "testbus.h"

#define TIMEOUT (20 * TEST_USEC_PER_SEC)
#define LOCK1_ADDRESS "AA:BB:CC:00:00:01"
#define LOCK1_ID "aabbcc000001"
#define LOCK2_ADDRESS "AA:BB:CC:00:00:02"
#define LOCK2_ID "aabbcc000002"
#define LOCK3_ADDRESS "AA:BB:CC:00:00:03"
#define LOCK3_ID "aabbcc000003"

typedef struct Host {
        TestBus *bus;
        sd_bus *client; /* the test's connection to this host's bus */
        char node[32];
        char dir[256];
        char state_dir[300];
        char conf[300];
        char log[300];
        pid_t sim_pid;
        pid_t daemon_pid;
        pid_t bridge_pid;
} Host;

const char *env_path(const char *name);

/* Start a host: bus, polkitd (actions installed), ttlock-sim with the given --lock specs
 * (NULL-terminated), ttlockd. */
void host_start(Host *h, const char *node, const char *const *sim_locks);
void host_stop(Host *h);

void host_start_daemon(Host *h);
void host_stop_daemon(Host *h);

/* Pair a simulated lock through ttlockd (StartDiscovery, Pair, StopDiscovery). */
void host_pair(Host *h, const char *address);

/* Write <dir>/mqtt.conf: broker, node-id, and the extra lines; start ttlock-mqtt on it (as user
 * when not NULL), its log in h->log. */
void host_write_config(Host *h, uint16_t port, const char *extra);
void host_start_bridge(Host *h, const char *user);
/* SIGTERM, wait; returns the exit status. */
int host_stop_bridge(Host *h);
void host_kill_bridge(Host *h);

/* Call a method of ttlockd or the simulator on this host; returns the error name (free()) or NULL. */
char *host_call(
        Host *h,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);
void host_call_ok(
        Host *h,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...);
bool host_sim_locked(Host *h, const char *address);
void host_sim(Host *h, const char *address, const char *method, const char *types, ...);

/* "<base>/<node>/<rest>": a topic of this host's bridge (ring of static buffers). */
const char *T(const Host *h, const char *rest);
/* "<prefix>/<component>/ttlock_<node>/<object>/config" */
const char *DT(const Host *h, const char *component, const char *object);

/* A JSON command with a fresh timestamp: CMD("UNLOCK", ",\"id\":1") → {"command":"UNLOCK",…}. */
const char *CMD(const char *name, const char *extra);

/* The file's content (NUL-terminated, free()), or NULL. */
char *read_file(const char *path);
/* Whether the file contains s. */
bool file_contains(const char *path, const char *s);
