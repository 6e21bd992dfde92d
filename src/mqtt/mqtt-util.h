/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small pure helpers of ttlock-mqtt: the ids topics use (addresses and object paths are the
 * project's own: bt-address.h, lock-path.h), topic checks, times as
 * Home Assistant reads them. No I/O, no bus: tests/mqtt tests them alone. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-address.h"
#include "lock-path.h"

/* HA's node_id class [a-zA-Z0-9_-] (Home Assistant MQTT docs, "Discovery topic"); short enough that
 * every topic and unique_id built from it stays far below MQTT's limits. */
#define MQTT_NODE_ID_MAX 64U
#define MQTT_TOPIC_PREFIX_MAX 128U
#define MQTT_LOCK_ID_LEN 12 /* "aabbccddeeff" */
#define MQTT_ISO8601_LEN 25 /* "2026-01-31T23:59:59+00:00" */

/* The id a lock has in topics and unique_ids: its address in lower case without ":"
 * ("aabbccddeeff"): stable, unique, and within Home Assistant's [a-zA-Z0-9_-]. */
void mqtt_lock_id(const char *address, char ret[static MQTT_LOCK_ID_LEN + 1]);

/* Whether s could be a topic prefix we publish under (base-topic, discovery-prefix): not empty,
 * at most MQTT_TOPIC_PREFIX_MAX bytes, no "+", "#" or NUL, no empty level, no leading or trailing
 * "/", and not starting with "$" (the broker's own topics). Returns NULL when fine, else why not. */
const char *mqtt_topic_prefix_problem(const char *s);

/* Home Assistant's node_id/object_id class: 1…MQTT_NODE_ID_MAX of [a-zA-Z0-9_-]. */
bool mqtt_node_id_valid(const char *s);

bool mqtt_utf8_valid(const char *s, size_t n);

/* µs since the epoch as ISO 8601 in UTC ("2026-01-31T23:59:59+00:00"), what a Home Assistant sensor
 * of device_class timestamp reads. Independent of TZ. -EINVAL for 0 or out of range. */
int mqtt_format_iso8601(uint64_t usec, char ret[static MQTT_ISO8601_LEN + 1]);

/* Equal strings in time that does not depend on where they differ (PIN checks). */
bool mqtt_secret_equal(const char *a, const char *b);

/* A bounded log rate limit, after systemd's ratelimit: at most burst events per interval. */
typedef struct RateLimit {
        uint64_t interval_usec;
        unsigned burst;
        uint64_t begin_usec;
        unsigned num;
        unsigned suppressed;
} RateLimit;

/* True when one more event may be logged now; counts those that may not. */
bool ratelimit_below(RateLimit *rl, uint64_t now_usec);
