/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Home Assistant MQTT discovery. Every key below is one the Home Assistant MQTT docs list for the
 * entity's platform (lock.mqtt, sensor.mqtt, binary_sensor.mqtt, event.mqtt, number.mqtt,
 * switch.mqtt, button.mqtt) or for discovery payloads in general ("origin", mqtt.markdown);
 * tests/mqtt/ha-schema.json holds those lists and the tests check every payload against them.
 *
 * Choices, with the reason:
 *  - One config topic per entity (single component discovery), retained, so that Home Assistant
 *    finds them when it starts; they are also sent again when Home Assistant announces itself on
 *    <prefix>/status ("Birth and last will messages").
 *  - <node_id> in the topic is ttlock_<node-id>, so that each host's configs sit apart; unique_ids
 *    carry the node id too, so that two hosts never clash.
 *  - Entities carry has_entity_name semantics: the lock itself has "name": null (the device's name),
 *    the others short names ("Battery").
 *  - Availability needs both the bridge (its last will) and the lock (ttlockd on the bus, lock
 *    paired): availability_mode "all".
 *  - Commands carry the time they were sent (as_timestamp(now()) in a command_template), so that
 *    ttlock-mqtt can refuse a command that waited somewhere (max-command-age). */

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "mqtt-discovery.h"
#include "mqtt-topics.h"
#include "string-util.h"

#define MANUFACTURER "TTLock"
#define TIMESTAMP_TEMPLATE "{{ as_timestamp(now()) }}"

typedef struct EntityInfo {
        const char *component;
        const char *key; /* object id suffix and unique_id suffix */
        const char *name;
} EntityInfo;

static const EntityInfo entities[_ENTITY_MAX] = {
        [ENTITY_LOCK] = { "lock", "lock", NULL },
        [ENTITY_BATTERY] = { "sensor", "battery", "Battery" },
        [ENTITY_RSSI] = { "sensor", "rssi", "Signal strength" },
        [ENTITY_LAST_SEEN] = { "sensor", "last_seen", "Last seen" },
        [ENTITY_CONNECTED] = { "binary_sensor", "connected", "Connected" },
        [ENTITY_EVENT] = { "event", "event", "Activity" },
        [ENTITY_AUTO_LOCK] = { "number", "auto_lock", "Auto-lock" },
        [ENTITY_SOUND] = { "switch", "sound", NULL },
        [ENTITY_REMOTE_UNLOCK] = { "switch", "remote_unlock", NULL },
        [ENTITY_TAMPER_ALERT] = { "switch", "tamper_alert", NULL },
        [ENTITY_PRIVACY_LOCK] = { "switch", "privacy_lock", NULL },
        [ENTITY_RESET_BUTTON] = { "switch", "reset_button", NULL },
        [ENTITY_REFRESH] = { "button", "refresh", "Refresh" },
        [ENTITY_PAIR] = { "button", "pair", "Pair" },
};

static const EntityInfo bridge_entities[_BRIDGE_ENTITY_MAX] = {
        [BRIDGE_ENTITY_DAEMON] = { "binary_sensor", "daemon", "ttlockd" },
        [BRIDGE_ENTITY_DISCOVER] = { "button", "discover", "Search for locks" },
};

/* The Event kinds of dbus/org.ttlock.Lock1.xml. */
const char *const discovery_event_types[] = {
        "unlocked",    "locked",         "unlock-failed", "jammed", "door-opened",
        "door-closed", "door-left-open", "other",         NULL,
};

const char *discovery_event_type(const char *kind) {
        for (size_t i = 0; discovery_event_types[i]; i++)
                if (streq(kind, discovery_event_types[i]))
                        return discovery_event_types[i];
        return "other";
}

static LockSwitch entity_switch(Entity e) {
        switch (e) {
        case ENTITY_SOUND:
                return LOCK_SWITCH_SOUND;
        case ENTITY_REMOTE_UNLOCK:
                return LOCK_SWITCH_REMOTE_UNLOCK;
        case ENTITY_TAMPER_ALERT:
                return LOCK_SWITCH_TAMPER_ALERT;
        case ENTITY_PRIVACY_LOCK:
                return LOCK_SWITCH_PRIVACY_LOCK;
        case ENTITY_RESET_BUTTON:
                return LOCK_SWITCH_RESET_BUTTON;
        default:
                return _LOCK_SWITCH_MAX;
        }
}

/* Add v (taking it) under key; -ENOMEM when v could not be made. Chained with GNU "?:" below:
 * r = r ?: add(…) stops at the first failure. */
static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_str(json_object *o, const char *key, const char *s) {
        return add(o, key, json_object_new_string(s));
}

static int add_null(json_object *o, const char *key) {
        return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

static int add_bool(json_object *o, const char *key, bool b) {
        return add(o, key, json_object_new_boolean(b));
}

static int add_int(json_object *o, const char *key, int64_t i) {
        return add(o, key, json_object_new_int64(i));
}

/* Add a string built from a format; the format is ours, never input. */
static int add_strf(json_object *o, const char *key, const char *format, ...) _printf_(3, 4);
static int add_strf(json_object *o, const char *key, const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&s, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return add_str(o, key, s);
}

static int add_topic_lock(
        json_object *o, const char *key, const DiscoveryContext *d, const char *id, const char *leaf) {
        _cleanup_free_ char *t = topic_lock(d->config, id, leaf);

        return t ? add_str(o, key, t) : -ENOMEM;
}

static int add_topic_bridge(json_object *o, const char *key, const DiscoveryContext *d, const char *leaf) {
        _cleanup_free_ char *t = topic_bridge(d->config, leaf);

        return t ? add_str(o, key, t) : -ENOMEM;
}

static int array_add_str(json_object *a, const char *s) {
        json_object *v = s ? json_object_new_string(s) : NULL;

        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int array_add_object(json_object *a, json_object *v) {
        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int availability_item(const char *topic, json_object **ret) {
        _cleanup_(json_object_putp) json_object *item = json_object_new_object();
        int r;

        if (!item || !topic)
                return -ENOMEM;
        r = add_str(item, "topic", topic);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(item);
        return 0;
}

/* The bridge's status, and the lock's availability unless lock_id is NULL. */
static int add_availability(json_object *o, const DiscoveryContext *d, const char *lock_id) {
        _cleanup_free_ char *bridge = topic_bridge(d->config, TOPIC_STATUS);
        _cleanup_free_ char *lock = lock_id ? topic_lock(d->config, lock_id, TOPIC_AVAILABILITY) : NULL;
        _cleanup_(json_object_putp) json_object *list = json_object_new_array();
        json_object *item = NULL;
        int r = 0;

        if (!list)
                return -ENOMEM;
        r = r ?: availability_item(bridge, &item);
        r = r ?: array_add_object(list, TAKE_PTR(item));
        if (lock_id) {
                r = r ?: availability_item(lock, &item);
                r = r ?: array_add_object(list, TAKE_PTR(item));
        }
        r = r ?: add(o, "availability", TAKE_PTR(list));
        if (lock_id)
                r = r ?: add_str(o, "availability_mode", "all");
        return r;
}

static int add_origin(json_object *o) {
        _cleanup_(json_object_putp) json_object *origin = json_object_new_object();
        int r = 0;

        if (!origin)
                return -ENOMEM;
        r = r ?: add_str(origin, "name", "ttlock-mqtt");
        r = r ?: add_str(origin, "sw_version", PACKAGE_VERSION);
        return r ?: add(o, "origin", TAKE_PTR(origin));
}

static char *bridge_device_id(const DiscoveryContext *d) {
        char *s;

        if (asprintf(&s, "ttlock_%s_bridge", d->config->node_id) < 0)
                return NULL;
        return s;
}

static int add_lock_device(json_object *o, const DiscoveryContext *d, const Lock *l) {
        _cleanup_free_ char *ident = NULL, *via = bridge_device_id(d);
        _cleanup_(json_object_putp) json_object *dev = json_object_new_object(),
                                                *ids = json_object_new_array(),
                                                *conns = json_object_new_array(),
                                                *conn = json_object_new_array();
        int r = 0;

        if (!dev || !ids || !conns || !conn || !via ||
            asprintf(&ident, "ttlock_%s_%s", d->config->node_id, l->id) < 0)
                return -ENOMEM;
        r = r ?: array_add_str(ids, ident);
        r = r ?: add(dev, "identifiers", TAKE_PTR(ids));
        /* The lock's Bluetooth address, as Home Assistant's own Bluetooth integrations register
         * devices (connection type "bluetooth", homeassistant/helpers/device_registry.py). */
        r = r ?: array_add_str(conn, "bluetooth");
        r = r ?: array_add_str(conn, l->address);
        r = r ?: array_add_object(conns, TAKE_PTR(conn));
        r = r ?: add(dev, "connections", TAKE_PTR(conns));
        r = r ?: add_str(dev, "name", lock_display_name(l));
        r = r ?: add_str(dev, "manufacturer", MANUFACTURER);
        r = r ?: add_str(dev, "model", isempty(l->model) ? "TTLock lock" : l->model);
        if (!isempty(l->firmware))
                r = r ?: add_str(dev, "sw_version", l->firmware);
        if (!isempty(l->hardware))
                r = r ?: add_str(dev, "hw_version", l->hardware);
        r = r ?: add_str(dev, "via_device", via);
        return r ?: add(o, "device", TAKE_PTR(dev));
}

static int add_bridge_device(json_object *o, const DiscoveryContext *d) {
        _cleanup_free_ char *ident = bridge_device_id(d);
        _cleanup_(json_object_putp) json_object *dev = json_object_new_object(),
                                                *ids = json_object_new_array();
        int r = 0;

        if (!dev || !ids || !ident)
                return -ENOMEM;
        r = r ?: array_add_str(ids, ident);
        r = r ?: add(dev, "identifiers", TAKE_PTR(ids));
        r = r ?: add_strf(dev, "name", "TTLock bridge %s", d->config->node_id);
        r = r ?: add_str(dev, "manufacturer", "ttlockd");
        r = r ?: add_str(dev, "model", "ttlock-mqtt");
        r = r ?: add_str(dev, "sw_version", PACKAGE_VERSION);
        return r ?: add(o, "device", TAKE_PTR(dev));
}

static int add_common(json_object *o, const DiscoveryContext *d, const Lock *l, Entity e) {
        const EntityInfo *info = &entities[e];
        int r = 0;

        if (info->name)
                r = r ?: add_str(o, "name", info->name);
        else if (e == ENTITY_LOCK)
                r = r ?: add_null(o, "name"); /* the device's name: the lock is the device */
        else
                r = r ?: add_str(o, "name", lock_switches[entity_switch(e)].name);
        r = r ?: add_strf(o, "unique_id", "ttlock_%s_%s_%s", d->config->node_id, l->id, info->key);
        r = r ?: add_lock_device(o, d, l);
        r = r ?: add_origin(o);
        r = r ?: add_availability(o, d, l->id);
        r = r ?: add_int(o, "qos", 1);
        return r;
}

static int build_lock(json_object *o, const DiscoveryContext *d, const Lock *l) {
        int r = 0;

        r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_STATE);
        r = r ?: add_topic_lock(o, "command_topic", d, l->id, TOPIC_COMMAND);
        /* The value is payload_lock or payload_unlock; code is what the user typed, None if
         * nothing (lock.mqtt: command_template). */
        if (d->have_pin)
                r = r
                        ?: add_str(o,
                                   "command_template",
                                   "{\"command\":\"{{ value }}\",\"code\":{{ code | to_json "
                                   "}},\"timestamp\":" TIMESTAMP_TEMPLATE "}");
        else
                r = r
                        ?: add_str(o,
                                   "command_template",
                                   "{\"command\":\"{{ value }}\",\"timestamp\":" TIMESTAMP_TEMPLATE "}");
        r = r ?: add_str(o, "payload_lock", "LOCK");
        r = r ?: add_str(o, "payload_unlock", "UNLOCK");
        /* State is published as Lock1.State spells it; "unknown" resets Home Assistant's state. */
        r = r ?: add_str(o, "state_locked", "locked");
        r = r ?: add_str(o, "state_unlocked", "unlocked");
        r = r ?: add_str(o, "state_locking", "locking");
        r = r ?: add_str(o, "state_unlocking", "unlocking");
        r = r ?: add_str(o, "state_jammed", "jammed");
        r = r ?: add_str(o, "payload_reset", "unknown");
        r = r ?: add_bool(o, "optimistic", false);
        r = r ?: add_bool(o, "retain", false);
        if (d->have_pin)
                r = r ?: add_str(o, "code_format", d->pin_numeric ? "^\\d+$" : "^.+$");
        r = r ?: add_topic_lock(o, "json_attributes_topic", d, l->id, TOPIC_INFO);
        return r;
}

static int build_sensor(json_object *o, const DiscoveryContext *d, const Lock *l, Entity e) {
        int r = 0;

        switch (e) {
        case ENTITY_BATTERY:
                r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_BATTERY);
                r = r ?: add_str(o, "device_class", "battery");
                r = r ?: add_str(o, "unit_of_measurement", "%");
                r = r ?: add_str(o, "state_class", "measurement");
                break;
        case ENTITY_RSSI:
                r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_RSSI);
                r = r ?: add_str(o, "device_class", "signal_strength");
                r = r ?: add_str(o, "unit_of_measurement", "dBm");
                r = r ?: add_str(o, "state_class", "measurement");
                r = r ?: add_str(o, "entity_category", "diagnostic");
                r = r ?: add_bool(o, "enabled_by_default", false);
                break;
        case ENTITY_LAST_SEEN:
                r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_LAST_SEEN);
                r = r ?: add_str(o, "device_class", "timestamp");
                r = r ?: add_str(o, "entity_category", "diagnostic");
                r = r ?: add_bool(o, "enabled_by_default", false);
                break;
        default:
                assert(false);
        }
        return r;
}

static int build_event(json_object *o, const DiscoveryContext *d, const Lock *l) {
        _cleanup_(json_object_putp) json_object *types = json_object_new_array();
        int r = 0;

        if (!types)
                return -ENOMEM;
        for (size_t i = 0; discovery_event_types[i]; i++)
                r = r ?: array_add_str(types, discovery_event_types[i]);
        r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_EVENT);
        r = r ?: add(o, "event_types", TAKE_PTR(types));
        r = r ?: add_str(o, "icon", "mdi:door");
        return r;
}

static int build_switch(json_object *o, const DiscoveryContext *d, const Lock *l, LockSwitch s) {
        const LockSwitchInfo *info = &lock_switches[s];
        int r = 0;

        r = r ?: add_topic_lock(o, "state_topic", d, l->id, info->key);
        r = r ?: add_topic_lock(o, "command_topic", d, l->id, TOPIC_MANAGE);
        r = r
                ?: add_strf(
                           o,
                           "command_template",
                           "{\"command\":\"set-%s\",\"value\":\"{{ value "
                           "}}\",\"timestamp\":" TIMESTAMP_TEMPLATE "}",
                           info->key);
        r = r ?: add_str(o, "payload_on", PAYLOAD_ON);
        r = r ?: add_str(o, "payload_off", PAYLOAD_OFF);
        r = r ?: add_str(o, "device_class", "switch");
        r = r ?: add_str(o, "entity_category", "config");
        r = r ?: add_str(o, "icon", info->icon);
        r = r ?: add_bool(o, "optimistic", false);
        return r;
}

static int build_auto_lock(json_object *o, const DiscoveryContext *d, const Lock *l) {
        int r = 0;

        r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_AUTO_LOCK);
        r = r ?: add_topic_lock(o, "command_topic", d, l->id, TOPIC_MANAGE);
        r = r
                ?: add_str(o,
                           "command_template",
                           "{\"command\":\"set-auto-lock\",\"seconds\":{{ value | int "
                           "}},\"timestamp\":" TIMESTAMP_TEMPLATE "}");
        /* Settings1.SetAutoLock: 0 (off) to 65534 s. */
        r = r ?: add_int(o, "min", 0);
        r = r ?: add_int(o, "max", 65534);
        r = r ?: add_int(o, "step", 1);
        r = r ?: add_str(o, "mode", "box");
        r = r ?: add_str(o, "device_class", "duration");
        r = r ?: add_str(o, "unit_of_measurement", "s");
        r = r ?: add_str(o, "entity_category", "config");
        r = r ?: add_str(o, "icon", "mdi:timer-lock-outline");
        r = r ?: add_bool(o, "optimistic", false);
        return r;
}

static int build_button(json_object *o, const DiscoveryContext *d, const Lock *l, Entity e) {
        int r = 0;

        if (e == ENTITY_REFRESH) {
                r = r ?: add_topic_lock(o, "command_topic", d, l->id, TOPIC_COMMAND);
                r = r ?: add_str(o, "payload_press", "REFRESH");
                r = r ?: add_str(o, "entity_category", "diagnostic");
                r = r ?: add_str(o, "icon", "mdi:refresh");
        } else {
                r = r ?: add_topic_lock(o, "command_topic", d, l->id, TOPIC_MANAGE);
                r = r ?: add_str(o, "payload_press", "pair");
                r = r ?: add_str(o, "icon", "mdi:link-variant");
        }
        r = r
                ?: add_str(o,
                           "command_template",
                           "{\"command\":\"{{ value }}\",\"timestamp\":" TIMESTAMP_TEMPLATE "}");
        r = r ?: add_bool(o, "retain", false);
        return r;
}

static bool entity_applies(const DiscoveryContext *d, const Lock *l, Entity e) {
        LockPresence p = lock_presence(l);
        LockSwitch s;

        if (e == ENTITY_PAIR)
                return p == LOCK_PRESENCE_PAIRABLE && d->config->allow_manage;
        if (p != LOCK_PRESENCE_PAIRED)
                return false;
        if (e == ENTITY_AUTO_LOCK)
                return d->config->allow_manage && l->has_settings && lock_has_feature(l, "auto-lock");
        s = entity_switch(e);
        if (s != _LOCK_SWITCH_MAX)
                return d->config->allow_manage && lock_switch_available(l, s);
        return true;
}

char *discovery_topic(const DiscoveryContext *d, Entity e, const char *lock_id) {
        char *t;

        assert(e < _ENTITY_MAX);
        if (asprintf(
                    &t,
                    "%s/%s/ttlock_%s/%s_%s/config",
                    d->config->discovery_prefix,
                    entities[e].component,
                    d->config->node_id,
                    lock_id,
                    entities[e].key) < 0)
                return NULL;
        return t;
}

char *discovery_bridge_topic(const DiscoveryContext *d, BridgeEntity e) {
        char *t;

        assert(e < _BRIDGE_ENTITY_MAX);
        if (asprintf(
                    &t,
                    "%s/%s/ttlock_%s/bridge_%s/config",
                    d->config->discovery_prefix,
                    bridge_entities[e].component,
                    d->config->node_id,
                    bridge_entities[e].key) < 0)
                return NULL;
        return t;
}

int discovery_payload(const DiscoveryContext *d, const Lock *l, Entity e, json_object **ret) {
        json_object *o;
        LockSwitch s;
        int r;

        assert(e < _ENTITY_MAX);
        *ret = NULL;
        if (!entity_applies(d, l, e))
                return 0;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = add_common(o, d, l, e);
        if (r >= 0)
                switch (e) {
                case ENTITY_LOCK:
                        r = build_lock(o, d, l);
                        break;
                case ENTITY_BATTERY:
                case ENTITY_RSSI:
                case ENTITY_LAST_SEEN:
                        r = build_sensor(o, d, l, e);
                        break;
                case ENTITY_CONNECTED:
                        r = r ?: add_topic_lock(o, "state_topic", d, l->id, TOPIC_CONNECTED);
                        r = r ?: add_str(o, "payload_on", PAYLOAD_ON);
                        r = r ?: add_str(o, "payload_off", PAYLOAD_OFF);
                        r = r ?: add_str(o, "device_class", "connectivity");
                        r = r ?: add_str(o, "entity_category", "diagnostic");
                        r = r ?: add_bool(o, "enabled_by_default", false);
                        break;
                case ENTITY_EVENT:
                        r = build_event(o, d, l);
                        break;
                case ENTITY_AUTO_LOCK:
                        r = build_auto_lock(o, d, l);
                        break;
                case ENTITY_REFRESH:
                case ENTITY_PAIR:
                        r = build_button(o, d, l, e);
                        break;
                default:
                        s = entity_switch(e);
                        assert(s != _LOCK_SWITCH_MAX);
                        r = build_switch(o, d, l, s);
                }
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 1;
}

int discovery_bridge_payload(const DiscoveryContext *d, BridgeEntity e, json_object **ret) {
        const EntityInfo *info = &bridge_entities[e];
        json_object *o;
        int r = 0;

        assert(e < _BRIDGE_ENTITY_MAX);
        *ret = NULL;
        if (e == BRIDGE_ENTITY_DISCOVER && !d->config->allow_manage)
                return 0;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = r ?: add_str(o, "name", info->name);
        r = r ?: add_strf(o, "unique_id", "ttlock_%s_bridge_%s", d->config->node_id, info->key);
        r = r ?: add_bridge_device(o, d);
        r = r ?: add_origin(o);
        r = r ?: add_availability(o, d, NULL);
        r = r ?: add_int(o, "qos", 1);
        if (e == BRIDGE_ENTITY_DAEMON) {
                r = r ?: add_topic_bridge(o, "state_topic", d, TOPIC_DAEMON);
                r = r ?: add_str(o, "payload_on", PAYLOAD_ONLINE);
                r = r ?: add_str(o, "payload_off", PAYLOAD_OFFLINE);
                r = r ?: add_str(o, "device_class", "connectivity");
                r = r ?: add_str(o, "entity_category", "diagnostic");
        } else {
                r = r ?: add_topic_bridge(o, "command_topic", d, TOPIC_BRIDGE_MANAGE);
                r = r ?: add_str(o, "payload_press", "start-discovery");
                r = r
                        ?: add_str(o,
                                   "command_template",
                                   "{\"command\":\"{{ value }}\",\"timestamp\":" TIMESTAMP_TEMPLATE "}");
                r = r ?: add_str(o, "entity_category", "config");
                r = r ?: add_str(o, "icon", "mdi:magnify");
                r = r ?: add_bool(o, "retain", false);
        }
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 1;
}
