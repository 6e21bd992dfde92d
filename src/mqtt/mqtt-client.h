/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The broker connection: libmosquitto driven by sd-event through its socket, without a thread of
 * its own (mosquitto_loop_read/write/misc from I/O and timer sources, mosquitto.h "external event
 * loop"). It reconnects with exponential back-off, follows the socket libmosquitto opens for each
 * attempt, speaks MQTT 5 and falls back to 3.1.1 when the broker refuses 5, and wakes up on its own
 * only for the keep-alive. */

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "mqtt-config.h"

typedef struct MqttClient MqttClient;

typedef struct MqttClientOps {
        /* The broker accepted us (CONNACK 0): subscribe and publish everything now. */
        void (*connected)(MqttClient *m, void *userdata);
        /* The connection is gone; a new attempt follows by itself. */
        void (*disconnected)(MqttClient *m, void *userdata);
        /* A message on a subscription. props: its MQTT 5 properties, or NULL. */
        void (*message)(
                MqttClient *m,
                const struct mosquitto_message *msg,
                const mosquitto_property *props,
                void *userdata);
        /* mqtt_client_disconnect() finished: the connection is closed (or it gave up waiting). */
        void (*closed)(MqttClient *m, void *userdata);
} MqttClientOps;

typedef struct MqttClientOptions {
        const MqttConfig *config;
        const char *client_id;
        const char *password; /* NULL: none. Copied, and erased when the client is freed. */
        const char *will_topic;
        const char *will_payload;
} MqttClientOptions;

int mqtt_client_new(
        sd_event *e, const MqttClientOptions *o, const MqttClientOps *ops, void *userdata, MqttClient **ret);
MqttClient *mqtt_client_free(MqttClient *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(MqttClient *, mqtt_client_free);

/* The first connection attempt, now; the next ones follow by themselves. */
int mqtt_client_start(MqttClient *m);

bool mqtt_client_is_connected(const MqttClient *m);
/* MQTT 5 in use on the current (or last) connection. */
bool mqtt_client_is_v5(const MqttClient *m);

/* -ENOTCONN while there is no accepted connection: everything retained is published again by
 * connected() anyway, and nothing is queued to go out late.
 *
 * Always QoS 1. A subscriber that asked for QoS 1 (Home Assistant does: the discovery says
 * "qos": 1) then acknowledges every message, and that keeps a broker which leaves Nagle's
 * algorithm on (mosquitto's default) from holding the next message to it ("unlocked" right after
 * "unlocking") until that subscriber's delayed ACK, 40 ms (bench/mqtt.sh). */
int mqtt_client_publish(
        MqttClient *m,
        const char *topic,
        const void *payload,
        size_t len,
        bool retain,
        const mosquitto_property *props);
int mqtt_client_publish_string(MqttClient *m, const char *topic, const char *payload, bool retain);
int mqtt_client_subscribe(MqttClient *m, const char *pattern, int options);

/* Leave cleanly (DISCONNECT, so that the broker does not publish the will): ops->closed follows
 * once the socket is closed, or after timeout_usec. No reconnection afterwards. */
int mqtt_client_disconnect(MqttClient *m, uint64_t timeout_usec);
