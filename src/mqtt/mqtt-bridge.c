/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bridge's life: the broker connection's callbacks, where incoming messages go, and the
 * orderly exit. */

#include <errno.h>
#include <mqtt_protocol.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "mqtt-bridge.h"
#include "mqtt-topics.h"
#include "string-util.h"
#include "time-util.h"

/* Home Assistant recommends a random delay before answering its birth message with discovery, so
 * that many devices do not answer at once (Home Assistant MQTT docs, "Birth and last will
 * messages"). */
#define BIRTH_DELAY_MAX_USEC (2 * USEC_PER_SEC)
#define CLOSE_TIMEOUT_USEC (3 * USEC_PER_SEC)

Lock *bridge_find_lock_by_id(Bridge *b, const char *id) {
        return hashmap_get(b->locks_by_id, id);
}

Lock *bridge_find_lock_by_path(Bridge *b, const char *path) {
        return hashmap_get(b->locks_by_path, path);
}

Bridge *bridge_free(Bridge *b) {
        if (!b)
                return NULL;
        bridge_cancel_requests(b);
        mqtt_client_free(b->mqtt);
        sd_event_source_disable_unref(b->birth_timer);
        sd_bus_slot_unref(b->sync_slot);
        sd_bus_slot_unref(b->details_slot);
        sd_bus_slot_unref(b->owner_slot);
        for (size_t i = 0; i < b->n_locks; i++) {
                enrollment_free(b->locks[i]->enrollment);
                lock_free(b->locks[i]);
        }
        free(b->locks);
        hashmap_free(b->locks_by_id);
        hashmap_free(b->locks_by_path);
        free(b->broker_locks);
        free(b->owner);
        if (b->pin) {
                erase_memory(b->pin, strlen(b->pin));
                free(b->pin);
        }
        sd_bus_unref(b->bus);
        sd_event_unref(b->event);
        free(b);
        return NULL;
}

static bool all_digits(const char *s) {
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int bridge_new(sd_event *event, sd_bus *bus, MqttConfig *config, char *pin, Bridge **ret) {
        Bridge *b = calloc(1, sizeof(Bridge));

        if (!b)
                return -ENOMEM;
        if (hashmap_new(&b->locks_by_id) < 0 || hashmap_new(&b->locks_by_path) < 0) {
                hashmap_free(b->locks_by_id);
                free(b);
                return -ENOMEM;
        }
        b->event = sd_event_ref(event);
        b->bus = sd_bus_ref(bus);
        b->config = config;
        b->pin = pin;
        b->discovery = (DiscoveryContext){
                .config = config,
                .have_pin = pin != NULL,
                .pin_numeric = pin && all_digits(pin),
        };
        b->refusal_log = (RateLimit){ .interval_usec = 10 * USEC_PER_SEC, .burst = 20 };
        *ret = b;
        return 0;
}

static int subscribe(Bridge *b, const char *leaf_pattern, bool lock_level, int options) {
        _cleanup_free_ char *t = lock_level ? topic_lock(b->config, "+", leaf_pattern)
                                            : topic_bridge(b->config, leaf_pattern);

        if (!t)
                return -ENOMEM;
        return mqtt_client_subscribe(b->mqtt, t, options);
}

static void on_connected(MqttClient *m, void *userdata) {
        Bridge *b = userdata;
        _cleanup_free_ char *ha = topic_ha_status(b->config);
        /* Commands: with MQTT 5, "retain as published" shows a command published with the retain flag
         * for what it is even when it arrives live; 3.1.1 shows only those the broker had stored. */
        int cmd = MQTT_SUB_OPT_RETAIN_AS_PUBLISHED;
        int r = 0;

        if (!ha) {
                log_oom();
                return;
        }
        r = r ?: subscribe(b, TOPIC_COMMAND, true, cmd);
        r = r ?: subscribe(b, TOPIC_MANAGE, true, cmd);
        r = r ?: subscribe(b, TOPIC_BRIDGE_MANAGE, false, cmd);
        /* Our own retained lock info, to find locks that are gone (bridge_broker_lock_seen()). */
        r = r ?: subscribe(b, TOPIC_INFO, true, 0);
        if (b->config->discovery)
                r = r ?: mqtt_client_subscribe(b->mqtt, ha, 0);
        if (r < 0)
                log_warning_errno(r, "Cannot subscribe to the command topics: %m");
        publish_everything(b);
        (void) sd_notifyf(false, "STATUS=Connected to %s:%u.", b->config->host, b->config->port);
}

static void on_disconnected(MqttClient *m, void *userdata) {
        Bridge *b = userdata;

        b->birth_timer = sd_event_source_disable_unref(b->birth_timer);
        for (size_t i = 0; i < b->n_locks; i++)
                b->locks[i]->published = false;
        (void) sd_notifyf(
                false, "STATUS=The broker %s:%u is away; reconnecting.", b->config->host, b->config->port);
}

static int on_birth_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Bridge *b = userdata;

        b->birth_timer = sd_event_source_disable_unref(b->birth_timer);
        log_info("Home Assistant came online: sending discovery again.");
        publish_everything(b);
        return 0;
}

static void on_ha_status(Bridge *b, const struct mosquitto_message *msg) {
        uint32_t rnd = 0;
        int r;

        /* Only a live "online" is Home Assistant starting; a retained one is an old announcement. */
        if (msg->retain || msg->payloadlen != (int) strlen(PAYLOAD_ONLINE) ||
            memcmp(msg->payload, PAYLOAD_ONLINE, strlen(PAYLOAD_ONLINE)) != 0 || b->birth_timer)
                return;
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                rnd = 0;
        r = sd_event_add_time_relative(
                b->event,
                &b->birth_timer,
                CLOCK_MONOTONIC,
                rnd % BIRTH_DELAY_MAX_USEC,
                0,
                on_birth_timer,
                b);
        if (r < 0)
                log_warning_errno(r, "Cannot schedule the discovery for Home Assistant: %m");
}

static void on_message(
        MqttClient *m,
        const struct mosquitto_message *msg,
        const mosquitto_property *props,
        void *userdata) {
        char level[TOPIC_LEVEL_MAX + 1];
        Bridge *b = userdata;

        if (b->stopping)
                return;
        switch (topic_classify(b->config, msg->topic, level)) {
        case TOPIC_KIND_HA_STATUS:
                on_ha_status(b, msg);
                break;
        case TOPIC_KIND_BRIDGE_MANAGE:
                bridge_handle_bridge_manage(b, msg, props);
                break;
        case TOPIC_KIND_LOCK_COMMAND:
                bridge_handle_command(b, level, false, msg, props);
                break;
        case TOPIC_KIND_LOCK_MANAGE:
                bridge_handle_command(b, level, true, msg, props);
                break;
        case TOPIC_KIND_LOCK_INFO:
                /* A retained info (ours, from before) for a lock id; deletions are empty. */
                if (msg->retain && msg->payloadlen > 0 && strlen(level) == MQTT_LOCK_ID_LEN)
                        bridge_broker_lock_seen(b, level);
                break;
        default:
                break;
        }
}

static void on_closed(MqttClient *m, void *userdata) {
        Bridge *b = userdata;

        (void) sd_event_exit(b->event, b->exit_code);
}

int bridge_start(Bridge *b, const char *password) {
        _cleanup_free_ char *status = topic_bridge(b->config, TOPIC_STATUS), *client_id = NULL;
        static const MqttClientOps ops = {
                .connected = on_connected,
                .disconnected = on_disconnected,
                .message = on_message,
                .closed = on_closed,
        };
        int r;

        if (!status)
                return log_oom();
        if (b->config->client_id)
                client_id = strdup(b->config->client_id);
        else if (asprintf(&client_id, "ttlock-mqtt-%s", b->config->node_id) < 0)
                client_id = NULL;
        if (!client_id)
                return log_oom();

        /* The last will marks the bridge offline when it goes without a word (killed, cut off). */
        r = mqtt_client_new(
                b->event,
                &(MqttClientOptions){
                        .config = b->config,
                        .client_id = client_id,
                        .password = password,
                        .will_topic = status,
                        .will_payload = PAYLOAD_OFFLINE,
                },
                &ops,
                b,
                &b->mqtt);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the MQTT client: %m");

        r = bridge_dbus_start(b);
        if (r < 0)
                return r;
        return mqtt_client_start(b->mqtt);
}

void bridge_stop(Bridge *b) {
        _cleanup_free_ char *status = NULL;

        if (b->stopping)
                return;
        b->stopping = true;
        bridge_cancel_requests(b);
        /* Say so ourselves: a clean DISCONNECT does not make the broker publish the will. */
        status = topic_bridge(b->config, TOPIC_STATUS);
        if (status && mqtt_client_is_connected(b->mqtt))
                (void) mqtt_client_publish_string(b->mqtt, status, PAYLOAD_OFFLINE, true);
        (void) mqtt_client_disconnect(b->mqtt, CLOSE_TIMEOUT_USEC);
}
