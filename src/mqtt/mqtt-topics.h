/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The topic tree of ttlock-mqtt(8), "TOPICS": everything lives under <base-topic>/<node-id>/, so
 * that several hosts share one broker without meeting. */

#include <stdbool.h>

#include "mqtt-config.h"
#include "mqtt-util.h"

/* <base>/<node>/… — the bridge itself */
#define TOPIC_STATUS "status"        /* online | offline, retained; the last will */
#define TOPIC_DAEMON "daemon"        /* online | offline, retained: ttlockd on the bus */
#define TOPIC_BRIDGE_MANAGE "manage" /* in: JSON management commands for the bridge */
#define TOPIC_BRIDGE_RESULT "result" /* out: their answers */

/* <base>/<node>/<lock>/… — one lock */
#define TOPIC_STATE "state"               /* locked | unlocked | locking | unlocking | jammed | unknown */
#define TOPIC_BATTERY "battery"           /* 1–100 */
#define TOPIC_RSSI "rssi"                 /* dBm */
#define TOPIC_LAST_SEEN "last-seen"       /* ISO 8601 */
#define TOPIC_CONNECTED "connected"       /* ON | OFF */
#define TOPIC_AUTO_LOCK "auto-lock"       /* seconds */
#define TOPIC_INFO "info"                 /* JSON */
#define TOPIC_AVAILABILITY "availability" /* online | offline */
#define TOPIC_EVENT "event"               /* JSON, not retained */
#define TOPIC_ENROLLMENT "enrollment"     /* JSON, not retained */
#define TOPIC_COMMAND "command"           /* in: LOCK | UNLOCK | REFRESH, or JSON */
#define TOPIC_MANAGE "manage"             /* in: JSON */
#define TOPIC_RESULT "result"             /* out: JSON */

#define PAYLOAD_ONLINE "online"
#define PAYLOAD_OFFLINE "offline"
#define PAYLOAD_ON "ON"
#define PAYLOAD_OFF "OFF"

/* Home Assistant announces itself on <discovery-prefix>/status (Home Assistant MQTT docs,
 * "Birth and last will messages"). */
#define TOPIC_HA_STATUS "status"

char *topic_bridge(const MqttConfig *c, const char *leaf);
char *topic_lock(const MqttConfig *c, const char *lock_id, const char *leaf);
char *topic_ha_status(const MqttConfig *c);

typedef enum TopicKind {
        TOPIC_KIND_OTHER,
        TOPIC_KIND_HA_STATUS,
        TOPIC_KIND_BRIDGE_MANAGE,
        TOPIC_KIND_LOCK_COMMAND,
        TOPIC_KIND_LOCK_MANAGE,
        TOPIC_KIND_LOCK_INFO,
} TopicKind;

/* The longest lock level of an incoming topic we answer (a lock id has MQTT_LOCK_ID_LEN). */
#define TOPIC_LEVEL_MAX 64

/* What an incoming topic is. For lock topics, *ret_level receives the level between the node and
 * the leaf: a lock id if it names one of ours, which the caller checks. */
TopicKind topic_classify(const MqttConfig *c, const char *topic, char ret_level[static TOPIC_LEVEL_MAX + 1]);
