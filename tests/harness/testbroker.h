/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A real MQTT broker for a test: mosquitto (Debian's package) on 127.0.0.1 at a free port, with a
 * configuration of its own in a directory the test names, started and stopped by pid. It keeps
 * nothing across a restart (persistence false): a restarted broker has lost every retained
 * message, as one that crashed would have.
 *
 * The port: the kernel picks a free one (bind to port 0), mosquitto is started on it, and the test
 * waits until a connection is accepted. Should another process take the port in between, mosquitto
 * exits and another port is tried. Every function returns a negative errno on failure and logs
 * why to stderr. */

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

typedef struct TestBroker TestBroker;

/* Start mosquitto with its files in dir (which must exist). extra_conf: NULL or lines added to the
 * listener's configuration (e.g. "password_file …", "cafile …"). */
int test_broker_start(const char *dir, const char *extra_conf, TestBroker **ret);

/* Stop (SIGTERM, bounded wait, SIGKILL) and free. Accepts NULL; returns NULL. */
TestBroker *test_broker_free(TestBroker *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(TestBroker *, test_broker_free);

/* Stop it, keeping its port and configuration; then start it again on the same port. */
int test_broker_stop(TestBroker *b);
int test_broker_restart(TestBroker *b);

uint16_t test_broker_port(const TestBroker *b);
pid_t test_broker_pid(const TestBroker *b);
/* mosquitto's log (connections, with client id and user name), for checks and for messages when a
 * test fails. */
const char *test_broker_log(const TestBroker *b);

/* A TCP port on 127.0.0.1 that nothing listens on right now (for fake servers, or to point a
 * client at nothing). */
int test_free_port(uint16_t *ret);
