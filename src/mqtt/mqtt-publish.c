/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What ttlock-mqtt publishes: the plain topic tree of ttlock-mqtt(8) ("TOPICS") and the Home
 * Assistant discovery configs (mqtt-discovery.c). States are retained, so that a consumer that
 * subscribes later (Home Assistant starting) gets them at once; events, enrollment progress and
 * results are not, since they tell of a moment. Nothing is published while the broker is away:
 * everything retained is published again when the connection comes back. */

#include <errno.h>
#include <inttypes.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mqtt-bridge.h"
#include "mqtt-topics.h"
#include "string-util.h"
#include "time-util.h"

LockPresence bridge_lock_presence(Bridge *b, Lock *l) {
        if (!b->synced || !mqtt_config_wants_lock(b->config, l->address))
                return LOCK_PRESENCE_NONE;
        return lock_presence(l);
}

static bool ready(Bridge *b) {
        return b->mqtt && mqtt_client_is_connected(b->mqtt);
}

static void pub(Bridge *b, const char *topic, const char *payload, bool retain) {
        int r;

        if (!topic) {
                log_oom();
                return;
        }
        r = mqtt_client_publish_string(b->mqtt, topic, payload, retain);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "Cannot publish to %s: %m", topic);
}

static void pub_lock(Bridge *b, const char *id, const char *leaf, const char *payload) {
        _cleanup_free_ char *t = topic_lock(b->config, id, leaf);

        pub(b, t, payload, true);
}

static void pub_json(Bridge *b, const char *topic, json_object *o, bool retain) {
        if (!o) {
                log_oom();
                return;
        }
        pub(b, topic, json_text(o), retain);
}

/* A discovery config: retained, or removed (an empty retained message) when the entity is not
 * there — or when discovery is off, so that turning it off leaves no entities behind. */
static void pub_config(Bridge *b, const char *topic, json_object *o) {
        if (o && b->config->discovery)
                pub_json(b, topic, o, true);
        else
                pub(b, topic, "", true);
}

/* ---- D-Bus values as JSON -------------------------------------------------------------------- */

static int
json_from_variant(sd_bus_message *m, UsecStyle style, bool usec, unsigned depth, json_object **ret);

/* "valid-from-usec" → "valid_from", and whether it was a …-usec key. */
static char *json_key(const char *key, bool *ret_usec) {
        size_t n = strlen(key);
        char *k;

        *ret_usec = n > 5 && strendswith(key, "-usec");
        if (*ret_usec)
                n -= 5;
        k = strndup(key, n);
        if (!k)
                return NULL;
        for (char *c = k; *c; c++)
                if (*c == '-')
                        *c = '_';
        return k;
}

static int dict_to_json(sd_bus_message *m, UsecStyle style, unsigned depth, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        int r;

        if (!o)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                _cleanup_free_ char *key = NULL;
                json_object *v = NULL;
                const char *name;
                bool usec;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                key = json_key(name, &usec);
                if (!key)
                        return -ENOMEM;
                r = json_from_variant(m, style, usec, depth + 1, &v);
                if (r < 0)
                        return r;
                if (r > 0 && json_object_object_add(o, key, v) < 0) {
                        json_object_put(v);
                        return -ENOMEM;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* One value at the message's position (not in a variant). Returns 1 with *ret set, 0 when the
 * type is not one we show (skipped). */
static int
json_from_value(sd_bus_message *m, UsecStyle style, bool usec, unsigned depth, json_object **ret) {
        const char *contents;
        char t;
        int r;

        r = sd_bus_message_peek_type(m, &t, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;

        if (t == SD_BUS_TYPE_ARRAY && depth < 4 && streq(contents, "{sv}")) {
                r = dict_to_json(m, style, depth, ret);
                return r < 0 ? r : 1;
        }
        if (t == SD_BUS_TYPE_ARRAY && depth < 4 &&
            (streq(contents, "s") || streq(contents, "y") || streq(contents, "q") || streq(contents, "u") ||
             streq(contents, "a{sv}"))) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();

                if (!a)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, 'a', contents);
                if (r < 0)
                        return r;
                for (;;) {
                        json_object *v = NULL;

                        r = sd_bus_message_at_end(m, false);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                break;
                        r = json_from_value(m, style, false, depth + 1, &v);
                        if (r < 0)
                                return r;
                        if (r > 0 && json_object_array_add(a, v) < 0) {
                                json_object_put(v);
                                return -ENOMEM;
                        }
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(a);
                return 1;
        }

        switch (t) {
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH: {
                const char *s;
                r = sd_bus_message_read_basic(m, t, &s);
                if (r < 0)
                        return r;
                if (!mqtt_utf8_valid(s, strlen(s)))
                        return 0;
                *ret = json_object_new_string(s);
                return *ret ? 1 : -ENOMEM;
        }
        case SD_BUS_TYPE_BOOLEAN: {
                int b;
                r = sd_bus_message_read_basic(m, t, &b);
                if (r < 0)
                        return r;
                *ret = json_object_new_boolean(b);
                return *ret ? 1 : -ENOMEM;
        }
        case SD_BUS_TYPE_BYTE:
        case SD_BUS_TYPE_INT16:
        case SD_BUS_TYPE_UINT16:
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UINT32:
        case SD_BUS_TYPE_INT64:
        case SD_BUS_TYPE_UINT64: {
                union {
                        uint8_t y;
                        int16_t n;
                        uint16_t q;
                        int32_t i;
                        uint32_t u;
                        int64_t x;
                        uint64_t t;
                } v;
                int64_t i;

                r = sd_bus_message_read_basic(m, t, &v);
                if (r < 0)
                        return r;
                i = t == 'y'       ? v.y
                        : t == 'n' ? v.n
                        : t == 'q' ? v.q
                        : t == 'i' ? v.i
                        : t == 'u' ? v.u
                        : t == 'x' ? v.x
                                   : (int64_t) MIN(v.t, (uint64_t) INT64_MAX);
                if (usec && t == 't') {
                        char iso[MQTT_ISO8601_LEN + 1];

                        if (style == USEC_AS_SECONDS)
                                *ret = json_object_new_int64((int64_t) (v.t / USEC_PER_SEC));
                        else if (v.t == 0)
                                return 0; /* never / not known: left out */
                        else if (mqtt_format_iso8601(v.t, iso) < 0)
                                return 0;
                        else
                                *ret = json_object_new_string(iso);
                } else
                        *ret = json_object_new_int64(i);
                return *ret ? 1 : -ENOMEM;
        }
        case SD_BUS_TYPE_DOUBLE: {
                double d;
                r = sd_bus_message_read_basic(m, t, &d);
                if (r < 0)
                        return r;
                *ret = json_object_new_double(d);
                return *ret ? 1 : -ENOMEM;
        }
        case SD_BUS_TYPE_VARIANT:
                return json_from_variant(m, style, usec, depth, ret);
        default: {
                char sig[2] = { t, 0 };
                r = sd_bus_message_skip(m, t == SD_BUS_TYPE_ARRAY || t == SD_BUS_TYPE_STRUCT ? NULL : sig);
                return r < 0 ? r : 0;
        }
        }
}

static int
json_from_variant(sd_bus_message *m, UsecStyle style, bool usec, unsigned depth, json_object **ret) {
        const char *contents;
        char t;
        int r;

        r = sd_bus_message_peek_type(m, &t, &contents);
        if (r <= 0)
                return r < 0 ? r : -EBADMSG;
        if (t != SD_BUS_TYPE_VARIANT)
                return json_from_value(m, style, usec, depth, ret);
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = json_from_value(m, style, usec, depth, ret);
        if (r < 0)
                return r;
        if (r == 0) {
                /* Not shown: skip whatever is left in the variant. */
                while (sd_bus_message_at_end(m, false) == 0)
                        if (sd_bus_message_skip(m, NULL) < 0)
                                return -EBADMSG;
        }
        return sd_bus_message_exit_container(m) < 0 ? -EBADMSG : r;
}

int json_from_dict(sd_bus_message *m, UsecStyle style, json_object **ret) {
        return dict_to_json(m, style, 0, ret);
}

int json_from_dict_array(sd_bus_message *m, UsecStyle style, json_object **ret) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        int r;

        if (!a)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (;;) {
                json_object *o = NULL;

                r = sd_bus_message_at_end(m, false);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = dict_to_json(m, style, 1, &o);
                if (r < 0)
                        return r;
                if (json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

/* ---- the bridge ------------------------------------------------------------------------------ */

void publish_bridge(Bridge *b) {
        _cleanup_free_ char *status = NULL, *daemon = NULL;

        if (!ready(b))
                return;
        status = topic_bridge(b->config, TOPIC_STATUS);
        daemon = topic_bridge(b->config, TOPIC_DAEMON);
        pub(b, status, PAYLOAD_ONLINE, true);
        pub(b, daemon, b->owner ? PAYLOAD_ONLINE : PAYLOAD_OFFLINE, true);

        for (BridgeEntity e = 0; e < _BRIDGE_ENTITY_MAX; e++) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                _cleanup_free_ char *t = discovery_bridge_topic(&b->discovery, e);

                if (discovery_bridge_payload(&b->discovery, e, &o) < 0) {
                        log_oom();
                        continue;
                }
                pub_config(b, t, o);
        }
}

/* ---- one lock -------------------------------------------------------------------------------- */

static const char *const plain_leaves[] = {
        TOPIC_STATE,     TOPIC_BATTERY,   TOPIC_RSSI, TOPIC_LAST_SEEN,
        TOPIC_CONNECTED, TOPIC_AUTO_LOCK, TOPIC_INFO, TOPIC_AVAILABILITY,
};

void unpublish_lock_id(Bridge *b, const char *id) {
        if (!ready(b))
                return;
        for (Entity e = 0; e < _ENTITY_MAX; e++) {
                _cleanup_free_ char *t = discovery_topic(&b->discovery, e, id);
                pub(b, t, "", true);
        }
        /* An empty retained message deletes the retained one (MQTT 3.1.1 §3.3.1.3). */
        for (size_t i = 0; i < ELEMENTSOF(plain_leaves); i++)
                pub_lock(b, id, plain_leaves[i], "");
        for (LockSwitch s = 0; s < _LOCK_SWITCH_MAX; s++)
                pub_lock(b, id, lock_switches[s].key, "");
}

void publish_lock_state(Bridge *b, Lock *l) {
        if (!ready(b) || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return;
        pub_lock(b, l->id, TOPIC_STATE, isempty(l->state) ? "unknown" : l->state);
}

void publish_lock_battery(Bridge *b, Lock *l) {
        char buf[8];

        if (!ready(b) || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return;
        /* 0 means not known yet (dbus/org.ttlock.Lock1.xml): remove a stale value rather than show 0 %. */
        if (l->battery == 0)
                pub_lock(b, l->id, TOPIC_BATTERY, "");
        else {
                (void) snprintf(buf, sizeof(buf), "%u", l->battery);
                pub_lock(b, l->id, TOPIC_BATTERY, buf);
        }
}

void publish_lock_diagnostics(Bridge *b, Lock *l, bool force) {
        uint64_t now = now_monotonic_usec();
        char buf[MQTT_ISO8601_LEN + 1];

        if (!ready(b) || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED || l->last_seen_usec == 0)
                return;
        if (force || l->rssi_published_usec == 0 ||
            now - l->rssi_published_usec >= BRIDGE_DIAGNOSTIC_INTERVAL_USEC) {
                (void) snprintf(buf, sizeof(buf), "%d", l->rssi);
                pub_lock(b, l->id, TOPIC_RSSI, buf);
                l->rssi_published_usec = now;
        }
        if (force || l->last_seen_published_usec == 0 ||
            now - l->last_seen_published_usec >= BRIDGE_DIAGNOSTIC_INTERVAL_USEC) {
                if (mqtt_format_iso8601(l->last_seen_usec, buf) >= 0)
                        pub_lock(b, l->id, TOPIC_LAST_SEEN, buf);
                l->last_seen_published_usec = now;
        }
}

void publish_lock_connected(Bridge *b, Lock *l) {
        if (!ready(b) || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return;
        pub_lock(b, l->id, TOPIC_CONNECTED, l->connected ? PAYLOAD_ON : PAYLOAD_OFF);
}

void publish_lock_settings(Bridge *b, Lock *l) {
        char buf[16];

        if (!ready(b) || bridge_lock_presence(b, l) != LOCK_PRESENCE_PAIRED)
                return;
        (void) snprintf(buf, sizeof(buf), "%" PRIu32, l->auto_lock_seconds);
        pub_lock(b, l->id, TOPIC_AUTO_LOCK, buf);
        for (LockSwitch s = 0; s < _LOCK_SWITCH_MAX; s++)
                pub_lock(
                        b,
                        l->id,
                        lock_switches[s].key,
                        !lock_switch_available(l, s) ? ""
                                : l->switches[s]     ? PAYLOAD_ON
                                                     : PAYLOAD_OFF);
}

void publish_lock_availability(Bridge *b, Lock *l) {
        if (!ready(b) || !l->published)
                return;
        pub_lock(
                b,
                l->id,
                TOPIC_AVAILABILITY,
                b->owner && bridge_lock_presence(b, l) != LOCK_PRESENCE_NONE ? PAYLOAD_ONLINE
                                                                             : PAYLOAD_OFFLINE);
}

static int info_json(Bridge *b, Lock *l, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object(),
                                                *features = json_object_new_array();

        if (!o || !features)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_features; i++)
                if (json_object_array_add(features, json_object_new_string(l->features[i])) < 0)
                        return -ENOMEM;
        if (json_object_object_add(o, "address", json_object_new_string(l->address)) < 0 ||
            json_object_object_add(o, "name", json_object_new_string(strempty_or(l->name))) < 0 ||
            json_object_object_add(o, "alias", json_object_new_string(strempty_or(l->alias))) < 0 ||
            json_object_object_add(o, "model", json_object_new_string(strempty_or(l->model))) < 0 ||
            json_object_object_add(o, "hardware_version", json_object_new_string(strempty_or(l->hardware))) <
                    0 ||
            json_object_object_add(o, "firmware_version", json_object_new_string(strempty_or(l->firmware))) <
                    0 ||
            json_object_object_add(o, "paired", json_object_new_boolean(l->paired)) < 0 ||
            json_object_object_add(o, "pairable", json_object_new_boolean(l->pairable)) < 0 ||
            json_object_object_add(o, "features", TAKE_PTR(features)) < 0 ||
            json_object_object_add(o, "node", json_object_new_string(b->config->node_id)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

void publish_lock(Bridge *b, Lock *l) {
        _cleanup_(json_object_putp) json_object *info = NULL;
        _cleanup_free_ char *info_topic = NULL;
        LockPresence p = bridge_lock_presence(b, l);

        if (!ready(b))
                return;
        if (p == LOCK_PRESENCE_NONE) {
                if (l->published)
                        unpublish_lock_id(b, l->id);
                l->published = false;
                return;
        }

        for (Entity e = 0; e < _ENTITY_MAX; e++) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                _cleanup_free_ char *t = discovery_topic(&b->discovery, e, l->id);

                if (discovery_payload(&b->discovery, l, e, &o) < 0) {
                        log_oom();
                        continue;
                }
                pub_config(b, t, o);
        }
        l->published = true;

        if (info_json(b, l, &info) >= 0) {
                info_topic = topic_lock(b->config, l->id, TOPIC_INFO);
                pub_json(b, info_topic, info, true);
        } else
                log_oom();
        publish_lock_availability(b, l);
        if (p == LOCK_PRESENCE_PAIRED) {
                publish_lock_state(b, l);
                publish_lock_battery(b, l);
                publish_lock_diagnostics(b, l, true);
                publish_lock_connected(b, l);
                publish_lock_settings(b, l);
        }
}

void publish_everything(Bridge *b) {
        publish_bridge(b);
        for (size_t i = 0; i < b->n_locks; i++) {
                Lock *l = b->locks[i];

                l->published = false;
                publish_lock(b, l);
        }
}

/* ---- moments --------------------------------------------------------------------------------- */

void publish_lock_event(Bridge *b, Lock *l, const char *kind, sd_bus_message *details) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *t = NULL;
        int r;

        /* An event while the broker is away is not kept for later: an automation acting on a door
         * opened an hour ago would do more harm than good. */
        if (!ready(b))
                return;
        r = json_from_dict(details, USEC_AS_ISO8601, &o);
        if (r < 0) {
                log_warning_errno(r, "Cannot read an Event of %s: %m", l->address);
                return;
        }
        /* event.mqtt: the payload is a JSON object with "event_type", one of event_types; the
         * other members become the entity's attributes. */
        if (json_object_object_add(o, "event_type", json_object_new_string(discovery_event_type(kind))) <
                    0 ||
            json_object_object_add(o, "kind", json_object_new_string(kind)) < 0) {
                log_oom();
                return;
        }
        t = topic_lock(b->config, l->id, TOPIC_EVENT);
        pub_json(b, t, o, false);
}

void publish_lock_enrollment(
        Bridge *b,
        Lock *l,
        const char *kind,
        const char *status,
        uint32_t done,
        uint32_t total,
        const char *id,
        json_object *request_id) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *t = NULL;

        if (!ready(b))
                return;
        if (!o || json_object_object_add(o, "kind", json_object_new_string(kind)) < 0 ||
            json_object_object_add(o, "status", json_object_new_string(status)) < 0 ||
            json_object_object_add(o, "done", json_object_new_int64(done)) < 0 ||
            json_object_object_add(o, "total", json_object_new_int64(total)) < 0 ||
            (!isempty(id) && json_object_object_add(o, "credential", json_object_new_string(id)) < 0) ||
            (request_id && json_object_object_add(o, "id", json_object_get(request_id)) < 0)) {
                log_oom();
                return;
        }
        t = topic_lock(b->config, l->id, TOPIC_ENROLLMENT);
        pub_json(b, t, o, false);
}

void publish_result(
        Bridge *b,
        const char *level,
        const char *command,
        json_object *id,
        const void *correlation,
        uint16_t correlation_len,
        const char *error,
        const char *message,
        json_object *data) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *t = NULL;
        mosquitto_property *props = NULL;
        const char *text;
        int r;

        if (!o) {
                json_object_put(data);
                log_oom();
                return;
        }
        r = json_object_object_add(o, "command", json_object_new_string(command));
        if (r >= 0 && id)
                r = json_object_object_add(o, "id", json_object_get(id));
        if (r >= 0)
                r = json_object_object_add(o, "result", json_object_new_string(error ? "error" : "ok"));
        if (r >= 0 && error) {
                r = json_object_object_add(o, "error", json_object_new_string(error));
                if (r >= 0)
                        r = json_object_object_add(
                                o, "message", json_object_new_string(strempty_or(message)));
        }
        if (r >= 0 && data) {
                json_object_object_foreach(data, key, val) {
                        if (json_object_object_add(o, key, json_object_get(val)) < 0) {
                                json_object_put(val);
                                r = -ENOMEM;
                                break;
                        }
                }
        }
        json_object_put(data);
        if (r < 0) {
                log_oom();
                return;
        }
        if (!ready(b))
                return;

        t = isempty(level) ? topic_bridge(b->config, TOPIC_BRIDGE_RESULT)
                           : topic_lock(b->config, level, TOPIC_RESULT);
        if (!t) {
                log_oom();
                return;
        }
        /* MQTT 5 request/response (§4.10): the answer carries the request's correlation data. */
        if (correlation && mqtt_client_is_v5(b->mqtt) &&
            mosquitto_property_add_binary(
                    &props, MQTT_PROP_CORRELATION_DATA, correlation, correlation_len) != MOSQ_ERR_SUCCESS) {
                log_oom();
                return;
        }
        text = json_text(o);
        r = mqtt_client_publish(b->mqtt, t, text, strlen(text), false, props);
        mosquitto_property_free_all(&props);
        if (r < 0 && r != -ENOTCONN)
                log_warning_errno(r, "Cannot publish to %s: %m", t);
}
