/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bridge: ttlockd's D-Bus API on one side (a client of the public API only, like ttlockctl),
 * the MQTT broker on the other. Shared by the files of src/mqtt/ (mqtt-dbus.c follows ttlockd,
 * mqtt-publish.c publishes, mqtt-manage.c carries out commands, mqtt-bridge.c ties them). */

#include <json-c/json.h>
#include <mosquitto.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "hashmap.h"
#include "mqtt-client.h"
#include "mqtt-command.h"
#include "mqtt-config.h"
#include "mqtt-discovery.h"
#include "mqtt-lock.h"
#include "mqtt-topics.h"
#include "mqtt-util.h"
#include "time-util.h"

#define TTLOCK_BUS_NAME "org.ttlock.Manager"
#define TTLOCK_ROOT_PATH "/org/ttlock"
#define TTLOCK_MANAGER_PATH "/org/ttlock/Manager"
#define TTLOCK_MANAGER_IFACE "org.ttlock.Manager1"
#define TTLOCK_LOCK_IFACE "org.ttlock.Lock1"
#define TTLOCK_CREDENTIALS_IFACE "org.ttlock.Credentials1"
#define TTLOCK_SETTINGS_IFACE "org.ttlock.Settings1"

/* Bounds on what ttlockd (or anyone owning its name) can make us hold. */
#define BRIDGE_MAX_LOCKS 4096U /* ttlockd serves a thousand paired doors and 256 strangers */
#define BRIDGE_MAX_REQUESTS 64U
#define BRIDGE_MAX_STRING 1024U
/* RSSI and last-seen move with every advert; they are published at most this often. */
#define BRIDGE_DIAGNOSTIC_INTERVAL_USEC USEC_PER_MINUTE

typedef struct Bridge Bridge;
typedef struct Request Request;

/* A command from MQTT being carried out over D-Bus. */
struct Request {
        Bridge *bridge;
        Request *prev, *next;
        char level[TOPIC_LEVEL_MAX + 1]; /* the lock id, or "" for the bridge's own manage topic */
        char command[32];
        json_object *id;   /* "id" of the command, echoed; ref'd */
        void *correlation; /* MQTT 5 correlation data, echoed */
        uint16_t correlation_len;
        sd_bus_slot *slot;
        const struct ManageDef *def;
        int step;
        /* Arguments kept for later steps. code holds a passcode: erased when freed. */
        char *code;
        char *new_code;
        char *alias;
        char *kind;
        uint64_t valid_from, valid_until;
        bool have_validity;
};

struct Bridge {
        sd_event *event;
        sd_bus *bus;
        MqttConfig *config;
        DiscoveryContext discovery;
        MqttClient *mqtt;
        char *pin; /* unlock-pin-file's content, or NULL */

        /* ttlockd */
        char *owner; /* unique name owning org.ttlock.Manager, NULL while it is away */
        bool synced; /* its objects are read (GetManagedObjects answered) */
        uint64_t sync_generation;
        sd_bus_slot *sync_slot;
        sd_bus_slot *owner_slot;
        /* Manager1.SubscribeDetails() answered yes (allow-manage only): Event and EnrollmentStatus come
         * as addressed copies with card numbers and fingerprint ids, each before its broadcast, which
         * is then skipped (dbus/org.ttlock.Manager1.xml). */
        bool details;
        sd_bus_slot *details_slot;
        bool discovering;   /* Manager1.Discovering */
        bool our_discovery; /* … started from MQTT */
        Lock **locks; /* in the order ttlockd offered them */
        size_t n_locks;
        Hashmap *locks_by_id;   /* the same locks by Lock.id and by Lock.path: each signal finds */
        Hashmap *locks_by_path; /* its lock in O(1), also with a thousand doors */

        /* MQTT */
        bool mqtt_ready; /* connected, subscribed, everything published */
        sd_event_source *birth_timer;
        /* Lock ids whose retained info the broker holds but the bridge could not place yet
         * (ttlockd away): checked once it is back. */
        char (*broker_locks)[MQTT_LOCK_ID_LEN + 1];
        size_t n_broker_locks;

        Request *requests;
        unsigned n_requests;

        RateLimit refusal_log;
        bool stopping;
        int exit_code;
};

int bridge_new(sd_event *event, sd_bus *bus, MqttConfig *config, char *pin, Bridge **ret);
Bridge *bridge_free(Bridge *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Bridge *, bridge_free);
int bridge_start(Bridge *b, const char *password);
/* SIGTERM: publish "offline", leave the broker cleanly, then exit the event loop. */
void bridge_stop(Bridge *b);

Lock *bridge_find_lock_by_id(Bridge *b, const char *id);
Lock *bridge_find_lock_by_path(Bridge *b, const char *path);

/* mqtt-dbus.c */
int bridge_dbus_start(Bridge *b);
/* Whether a D-Bus message comes from the current owner of org.ttlock.Manager. */
bool bridge_from_ttlockd(Bridge *b, sd_bus_message *m);
/* StartDiscovery() from MQTT succeeded: pairable locks get a Pair button from now on. */
void bridge_discovery_started(Bridge *b);
/* A retained <lock>/info on the broker: remove that lock from MQTT if ttlockd no longer offers it. */
void bridge_broker_lock_seen(Bridge *b, const char *id);

/* What the bridge shows of a lock: nothing (not paired, not wanted by "locks", ttlockd away), a
 * lock to pair, or a paired lock. */
LockPresence bridge_lock_presence(Bridge *b, Lock *l);

/* mqtt-publish.c — each does nothing while the broker is away (all is published on connect). */
void publish_everything(Bridge *b);
void publish_bridge(Bridge *b);
void publish_lock(Bridge *b, Lock *l);
void unpublish_lock_id(Bridge *b, const char *id);
void publish_lock_state(Bridge *b, Lock *l);
void publish_lock_battery(Bridge *b, Lock *l);
void publish_lock_diagnostics(Bridge *b, Lock *l, bool force);
void publish_lock_connected(Bridge *b, Lock *l);
void publish_lock_settings(Bridge *b, Lock *l);
void publish_lock_availability(Bridge *b, Lock *l);
void publish_lock_event(Bridge *b, Lock *l, const char *kind, sd_bus_message *details);
/* request_id: the "id" of the MQTT command that started the enrollment, or NULL. */
void publish_lock_enrollment(
        Bridge *b,
        Lock *l,
        const char *kind,
        const char *status,
        uint32_t done,
        uint32_t total,
        const char *id,
        json_object *request_id);
/* Answer a command on <level>/result (or <node>/result for level ""). error NULL: "ok", with
 * data's members (taken) added. */
void publish_result(
        Bridge *b,
        const char *level,
        const char *command,
        json_object *id,
        const void *correlation,
        uint16_t correlation_len,
        const char *error,
        const char *message,
        json_object *data);
/* Convert D-Bus values into JSON as the topics show them. */
typedef enum UsecStyle {
        USEC_AS_SECONDS, /* "valid-from-usec" → "valid_from": seconds */
        USEC_AS_ISO8601, /* "time-usec" → "time": "2026-…+00:00" */
} UsecStyle;
int json_from_dict(sd_bus_message *m, UsecStyle style, json_object **ret);
int json_from_dict_array(sd_bus_message *m, UsecStyle style, json_object **ret);

/* mqtt-manage.c */
void bridge_handle_command(
        Bridge *b,
        const char *level,
        bool manage,
        const struct mosquitto_message *msg,
        const mosquitto_property *props);
void bridge_handle_bridge_manage(
        Bridge *b, const struct mosquitto_message *msg, const mosquitto_property *props);
void bridge_cancel_requests(Bridge *b);
/* An EnrollmentStatus for l arrived: publish it, and finish what an enroll command asked for (an
 * alias for the new credential). */
void manage_enrollment_status(
        Bridge *b,
        Lock *l,
        const char *kind,
        const char *status,
        uint32_t done,
        uint32_t total,
        const char *id);
/* The enrollment an MQTT command started on a lock (Lock.enrollment). */
struct Enrollment *enrollment_free(struct Enrollment *e);
