/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Home Assistant MQTT discovery payloads for a lock and for the bridge, as the Home Assistant MQTT
 * docs describe them ("MQTT Discovery", and the lock, sensor, binary_sensor, event, number, switch
 * and button platform pages). Pure: built from the configuration and a Lock, nothing published. */

#include <stdbool.h>

#include "mqtt-config.h"
#include "mqtt-json.h"
#include "mqtt-lock.h"

/* Every entity a lock can have. Each has one discovery topic; an entity a lock does not have (or no
 * longer has) gets an empty retained config there, which removes it from Home Assistant. */
typedef enum Entity {
        ENTITY_LOCK,
        ENTITY_BATTERY,
        ENTITY_RSSI,
        ENTITY_LAST_SEEN,
        ENTITY_CONNECTED,
        ENTITY_EVENT,
        ENTITY_AUTO_LOCK,
        ENTITY_SOUND,
        ENTITY_REMOTE_UNLOCK,
        ENTITY_TAMPER_ALERT,
        ENTITY_PRIVACY_LOCK,
        ENTITY_RESET_BUTTON,
        ENTITY_REFRESH,
        ENTITY_PAIR,
        _ENTITY_MAX,
} Entity;

typedef enum BridgeEntity {
        BRIDGE_ENTITY_DAEMON,   /* binary_sensor: ttlockd on the bus */
        BRIDGE_ENTITY_DISCOVER, /* button: start a discovery of locks to pair (allow-manage) */
        _BRIDGE_ENTITY_MAX,
} BridgeEntity;

/* What the discovery payloads need besides the configuration and the lock. */
typedef struct DiscoveryContext {
        const MqttConfig *config;
        bool have_pin;    /* unlock-pin-file is set: Home Assistant asks for a code */
        bool pin_numeric; /* … and it is all digits: a keypad in Home Assistant */
} DiscoveryContext;

/* The event types of the event entity: the Event kinds of dbus/org.ttlock.Lock1.xml. A kind outside
 * the list is sent as "other" (with its own name in "kind"), so that Home Assistant keeps it. */
extern const char *const discovery_event_types[];
const char *discovery_event_type(const char *kind);

/* <prefix>/<component>/ttlock_<node>/<lock>_<entity>/config */
char *discovery_topic(const DiscoveryContext *d, Entity e, const char *lock_id);
char *discovery_bridge_topic(const DiscoveryContext *d, BridgeEntity e);

/* The config payload of entity e for lock l; *ret = NULL when the lock does not have it. */
int discovery_payload(const DiscoveryContext *d, const Lock *l, Entity e, json_object **ret);
int discovery_bridge_payload(const DiscoveryContext *d, BridgeEntity e, json_object **ret);
