/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ttlock-mqtt end to end: a real mosquitto on 127.0.0.1 at a free port (tests/harness/testbroker.h),
 * and per host a private system bus with the real polkitd, ttlock-sim playing BlueZ, the build-tree
 * ttlockd and the build-tree ttlock-mqtt. The test sees the broker through a libmosquitto client
 * (mqtt-observer.c) and the person at the door through org.ttlock.Sim1. Discovery payloads are
 * checked key by key against the Home Assistant schema in ha-schema.json. Every wait is for a
 * message or a property, with a deadline.
 *
 * The bridge runs as root here (polkit lets root do everything); test-mqtt-polkit runs it as
 * another user through its shipped polkit rule. Needs root, as CI runs it. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt-world.h"

#define FULL_LOCK "mac=" LOCK1_ADDRESS
#define BARE_LOCK "mac=" LOCK2_ADDRESS ",features=none"
#define PAIRABLE_LOCK "mac=" LOCK3_ADDRESS
#define LOCK1_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_01"
#define LOCK2_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_02"
#define SERVICE "org.ttlock.Manager"
#define CREDS1 SERVICE, LOCK1_PATH, "org.ttlock.Credentials1"

typedef struct Test {
        char dir[256];
        TestBroker *broker;
        Observer *obs;
} Test;

static void test_setup(Test *t) {
        char tmpl[] = "/tmp/ttlock-mqtt-test-XXXXXX";
        int r;

        *t = (Test){};
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        ck_assert_int_eq(chmod(tmpl, 0755), 0);
        snprintf(t->dir, sizeof(t->dir), "%s", tmpl);
        r = test_broker_start(t->dir, NULL, &t->broker);
        ck_assert_msg(r >= 0, "cannot start mosquitto: %s", strerror(-r));
        r = observer_new(test_broker_port(t->broker), "#", &t->obs);
        ck_assert_msg(r >= 0, "cannot observe the broker: %s", strerror(-r));
}

static void rm_rf(const char *dir) {
        char cmd[400];

        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
        (void) !system(cmd);
}

static void test_teardown(Test *t) {
        t->obs = observer_free(t->obs);
        t->broker = test_broker_free(t->broker);
        if (t->dir[0])
                rm_rf(t->dir);
}

/* The hosts of the running test, whose bridge logs are shown when a wait fails. */
static const Host *hosts[2];

static void show_logs(void) {
        for (size_t i = 0; i < ELEMENTSOF(hosts); i++) {
                char *log;

                if (!hosts[i])
                        continue;
                log = read_file(hosts[i]->log);
                fprintf(stderr,
                        "---- ttlock-mqtt log of host %s ----\n%s\n",
                        hosts[i]->node,
                        log ?: "(none)");
                free(log);
        }
}

/* Wait for the newest message on topic to be value. */
static void expect_value(Test *t, const char *topic, const char *value) {
        const Observed *m;

        if (observer_wait_value(t->obs, topic, value, TIMEOUT))
                return;
        m = observer_last(t->obs, topic);
        show_logs();
        ck_abort_msg("%s: expected \"%s\", last was \"%s\"", topic, value, m ? m->payload : "(nothing)");
}

/* Wait for a message on topic after mark containing needle; returns it. */
static const Observed *expect_msg(Test *t, size_t mark, const char *topic, const char *needle) {
        const Observed *m = observer_wait_for(t->obs, mark, topic, needle, TIMEOUT);

        if (!m)
                show_logs();
        ck_assert_msg(m, "no message on %s containing %s", topic, needle ?: "anything");
        return m;
}

/* Wait, after mark, for an empty retained message on topic: what removes a discovery config. */
static void expect_removed(Test *t, size_t mark, const char *topic) {
        const Observed *m = expect_msg(t, mark, topic, NULL);

        while (m && m->len > 0)
                m = observer_wait_for(t->obs, m->seq + 1, topic, NULL, TIMEOUT);
        ck_assert_msg(m && m->len == 0 && m->retain, "%s was not removed", topic);
}

static const char *strempty(const char *s) {
        return s ?: "";
}

static void publish(Test *t, const char *topic, const char *payload) {
        ck_assert_int_eq(observer_publish_string(t->obs, topic, payload), 0);
}

/* Start a host with the given locks paired (NULL-terminated addresses) and its bridge. */
static void bring_up(
        Test *t,
        Host *h,
        const char *node,
        const char *const *locks,
        const char *const *paired,
        const char *config) {
        host_start(h, node, locks);
        hosts[hosts[0] ? 1 : 0] = h;
        for (size_t i = 0; paired && paired[i]; i++)
                host_pair(h, paired[i]);
        host_write_config(h, test_broker_port(t->broker), config);
        host_start_bridge(h, NULL);
        expect_value(t, T(h, "status"), "online");
}

/* ---- the Home Assistant schema ---------------------------------------------------------------- */

static json_object *schema;

static void load_schema(void) {
        if (schema)
                return;
        schema = json_object_from_file(env_path("TTLOCK_HA_SCHEMA"));
        ck_assert_msg(schema, "cannot read the schema");
}

static json_object *sget(json_object *o, const char *key) {
        json_object *v = NULL;
        ck_assert_msg(json_object_object_get_ex(o, key, &v), "schema: no %s", key);
        return v;
}

static bool in_list(json_object *list, const char *s) {
        for (size_t i = 0; i < json_object_array_length(list); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s) == 0)
                        return true;
        return false;
}

static bool matches_id(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '_' || *s == '-'))
                        return false;
        return true;
}

/* Does v have the documented type? */
static bool type_ok(const char *type, json_object *v) {
        if (strcmp(type, "string") == 0 || strcmp(type, "template") == 0 || strcmp(type, "icon") == 0 ||
            strcmp(type, "device_class") == 0)
                return json_object_is_type(v, json_type_string);
        if (strcmp(type, "boolean") == 0)
                return json_object_is_type(v, json_type_boolean);
        if (strcmp(type, "integer") == 0)
                return json_object_is_type(v, json_type_int);
        if (strcmp(type, "float") == 0)
                return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
        if (strcmp(type, "list") == 0)
                return json_object_is_type(v, json_type_array);
        if (strcmp(type, "map") == 0)
                return json_object_is_type(v, json_type_object);
        if (strcmp(type, "string|list") == 0)
                return json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_array);
        ck_abort_msg("schema: unknown type %s", type);
        return false;
}

/* Every key of o is one of keys (a map key → type) with that type; required are there. */
static void check_keys(
        const char *where, json_object *o, json_object *keys, json_object *required, json_object *nullable) {
        json_object_object_foreach(o, key, val) {
                json_object *type;

                ck_assert_msg(
                        json_object_object_get_ex(keys, key, &type),
                        "%s: \"%s\" is not a documented key",
                        where,
                        key);
                if (!val) {
                        ck_assert_msg(
                                nullable && in_list(nullable, key),
                                "%s: \"%s\" may not be null",
                                where,
                                key);
                        continue;
                }
                ck_assert_msg(
                        type_ok(json_object_get_string(type), val),
                        "%s: \"%s\" is not a %s",
                        where,
                        key,
                        json_object_get_string(type));
                if (strstr(key, "topic") && json_object_is_type(val, json_type_string))
                        ck_assert_msg(
                                *json_object_get_string(val) && !strpbrk(json_object_get_string(val), "+#"),
                                "%s: \"%s\" is not a topic one can publish to",
                                where,
                                key);
        }
        for (size_t i = 0; required && i < json_object_array_length(required); i++) {
                const char *k = json_object_get_string(json_object_array_get_idx(required, i));
                ck_assert_msg(
                        json_object_object_get_ex(o, k, NULL), "%s: required \"%s\" is missing", where, k);
        }
}

static void check_enum(const char *where, json_object *o, const char *key, json_object *values) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return;
        ck_assert_msg(
                in_list(values, json_object_get_string(v)),
                "%s: %s \"%s\" is not one Home Assistant knows",
                where,
                key,
                json_object_get_string(v));
}

/* Check one discovery message against the schema; returns the platform. */
static const char *check_discovery(const char *topic, const char *payload, json_object **ret) {
        static char component[32];
        char node[64], object[128], prefix[64], tail[16];
        json_object *o, *platform, *keys, *required, *dc, *v, *enums;
        char where[300];

        ck_assert_msg(
                sscanf(topic,
                       "%63[^/]/%31[^/]/%63[^/]/%127[^/]/%15s",
                       prefix,
                       component,
                       node,
                       object,
                       tail) == 5 &&
                        strcmp(tail, "config") == 0,
                "%s is not <prefix>/<component>/<node_id>/<object_id>/config",
                topic);
        ck_assert_msg(
                matches_id(node) && matches_id(object),
                "%s: node_id/object_id outside [a-zA-Z0-9_-]",
                topic);
        snprintf(where, sizeof(where), "%s", topic);
        load_schema();
        enums = sget(schema, "enums");

        ck_assert_msg(
                json_object_object_get_ex(sget(schema, "platforms"), component, &platform),
                "%s: component %s is not one of the platforms",
                topic,
                component);
        o = json_tokener_parse(payload);
        ck_assert_msg(o && json_object_is_type(o, json_type_object), "%s: not a JSON object", topic);

        /* Platform keys plus the keys of every discovery payload (origin); "platform" only in
         * device discovery. */
        keys = json_object_new_object();
        json_object_object_foreach(sget(platform, "keys"), k, t)
                json_object_object_add(keys, k, json_object_get(t));
        json_object_object_foreach(sget(schema, "discovery_keys"), k2, t2)
                json_object_object_add(keys, k2, json_object_get(t2));
        for (size_t i = 0; i < json_object_array_length(sget(schema, "device_discovery_only")); i++)
                json_object_object_del(
                        keys,
                        json_object_get_string(
                                json_object_array_get_idx(sget(schema, "device_discovery_only"), i)));
        required = sget(platform, "required");
        check_keys(where, o, keys, required, sget(schema, "nullable"));
        json_object_put(keys);

        /* What makes it a device's entity, and ours: a unique_id and a device. */
        ck_assert_msg(
                json_object_object_get_ex(o, "unique_id", &v) && matches_id(json_object_get_string(v)),
                "%s: no unique_id of [a-zA-Z0-9_-]",
                where);
        ck_assert_msg(json_object_object_get_ex(o, "device", &v), "%s: no device", where);
        check_keys(where, v, sget(sget(schema, "device_keys"), "keys"), NULL, NULL);
        ck_assert_msg(
                json_object_object_get_ex(v, "identifiers", NULL) ||
                        json_object_object_get_ex(v, "connections", NULL),
                "%s: the device has neither identifiers nor connections",
                where);
        if (json_object_object_get_ex(o, "origin", &v))
                check_keys(
                        where,
                        v,
                        sget(sget(schema, "origin_keys"), "keys"),
                        sget(sget(schema, "origin_keys"), "required"),
                        NULL);
        if (json_object_object_get_ex(o, "availability", &v))
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        check_keys(
                                where,
                                json_object_array_get_idx(v, i),
                                sget(sget(schema, "availability_keys"), "keys"),
                                sget(sget(schema, "availability_keys"), "required"),
                                NULL);

        check_enum(where, o, "availability_mode", sget(enums, "availability_mode"));
        check_enum(where, o, "mode", sget(enums, "mode"));
        check_enum(where, o, "state_class", sget(enums, "state_class"));
        check_enum(
                where,
                o,
                "entity_category",
                strcmp(component, "sensor") == 0 || strcmp(component, "binary_sensor") == 0
                        ? sget(schema, "sensor_entity_categories")
                        : sget(enums, "entity_category"));
        if (json_object_object_get_ex(o, "device_class", &dc) && dc) {
                char unit_key[64];
                json_object *units, *unit;

                check_enum(where, o, "device_class", sget(sget(schema, "device_classes"), component));
                snprintf(unit_key, sizeof(unit_key), "%s/%s", component, json_object_get_string(dc));
                if (json_object_object_get_ex(sget(schema, "units"), unit_key, &units)) {
                        ck_assert_msg(
                                json_object_object_get_ex(o, "unit_of_measurement", &unit) && unit,
                                "%s: a %s needs a unit",
                                where,
                                unit_key);
                        ck_assert_msg(
                                in_list(units, json_object_get_string(unit)),
                                "%s: %s is not a unit of %s",
                                where,
                                json_object_get_string(unit),
                                unit_key);
                }
        }
        if (json_object_object_get_ex(o, "event_types", &v)) {
                ck_assert_msg(json_object_array_length(v) > 0, "%s: event_types is empty", where);
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        ck_assert(json_object_is_type(json_object_array_get_idx(v, i), json_type_string));
        }
        *ret = o;
        return component;
}

/* The discovery config of object (e.g. "aabbcc000001_battery") as the broker holds it now: the
 * newest message on its topic; NULL when there is none or it is empty (removed). */
static json_object *config_of(Test *t, const Host *h, const char *component, const char *object) {
        const Observed *m = observer_last(t->obs, DT(h, component, object));
        json_object *o;

        if (!m || m->len == 0)
                return NULL;
        ck_assert_str_eq(check_discovery(m->topic, m->payload, &o), component);
        return o;
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;
        ck_assert_msg(json_object_object_get_ex(o, key, &v) && v, "no %s", key);
        return json_object_get_string(v);
}

/* ---- tests ------------------------------------------------------------------------------------ */

typedef struct Expected {
        const char *component, *key;
} Expected;

static const Expected full_lock[] = {
        { "lock", "lock" },
        { "sensor", "battery" },
        { "sensor", "rssi" },
        { "sensor", "last_seen" },
        { "binary_sensor", "connected" },
        { "event", "event" },
        { "number", "auto_lock" },
        { "switch", "sound" },
        { "switch", "remote_unlock" },
        { "switch", "tamper_alert" },
        { "switch", "privacy_lock" },
        { "switch", "reset_button" },
        { "button", "refresh" },
};
static const Expected settings_entities[] = {
        { "number", "auto_lock" },    { "switch", "sound" },        { "switch", "remote_unlock" },
        { "switch", "tamper_alert" }, { "switch", "privacy_lock" }, { "switch", "reset_button" },
};

static char *object(const char *id, const char *key) {
        static char b[8][64];
        static unsigned i;
        char *s = b[i++ % 8];
        snprintf(s, 64, "%s_%s", id, key);
        return s;
}

static void wait_config(Test *t, const Host *h, const char *component, const char *obj) {
        const Observed *m = observer_wait_for(t->obs, 0, DT(h, component, obj), "unique_id", TIMEOUT);
        ck_assert_msg(m, "no discovery for %s %s", component, obj);
}

START_TEST(test_discovery) {
        const char *locks[] = { FULL_LOCK, BARE_LOCK, NULL },
                   *paired[] = { LOCK1_ADDRESS, LOCK2_ADDRESS, NULL };
        json_object *o, *dev, *v;
        char *ids[64];
        size_t n_ids = 0, mark;
        Test t;
        Host h;

        test_setup(&t);
        bring_up(&t, &h, "hostone", locks, paired, "allow-manage = yes");

        /* The full-featured lock: every entity; each payload valid against the schema. */
        for (size_t i = 0; i < ELEMENTSOF(full_lock); i++)
                wait_config(&t, &h, full_lock[i].component, object(LOCK1_ID, full_lock[i].key));
        /* The lock without keypad, card, fingerprint or settings: no number, no switches. */
        wait_config(&t, &h, "lock", object(LOCK2_ID, "lock"));
        wait_config(&t, &h, "button", object(LOCK2_ID, "refresh"));
        expect_value(&t, T(&h, LOCK2_ID "/state"), "locked");
        for (size_t i = 0; i < ELEMENTSOF(settings_entities); i++)
                ck_assert_msg(
                        !config_of(
                                &t,
                                &h,
                                settings_entities[i].component,
                                object(LOCK2_ID, settings_entities[i].key)),
                        "the bare lock has a %s",
                        settings_entities[i].key);
        /* No Pair button for paired locks. */
        ck_assert_ptr_null(config_of(&t, &h, "button", object(LOCK1_ID, "pair")));

        for (int k = 0; k < 2; k++) {
                const char *id = k == 0 ? LOCK1_ID : LOCK2_ID,
                           *address = k == 0 ? LOCK1_ADDRESS : LOCK2_ADDRESS;
                for (size_t i = 0; i < ELEMENTSOF(full_lock); i++) {
                        o = config_of(&t, &h, full_lock[i].component, object(id, full_lock[i].key));
                        if (!o)
                                continue;
                        ids[n_ids++] = strdup(jstr(o, "unique_id"));
                        /* One device per lock, via the bridge, with its Bluetooth address. */
                        ck_assert(json_object_object_get_ex(o, "device", &dev));
                        ck_assert_str_eq(
                                json_object_get_string(
                                        json_object_array_get_idx(sget(dev, "identifiers"), 0)),
                                k == 0 ? "ttlock_hostone_" LOCK1_ID : "ttlock_hostone_" LOCK2_ID);
                        v = json_object_array_get_idx(sget(dev, "connections"), 0);
                        ck_assert_str_eq(
                                json_object_get_string(json_object_array_get_idx(v, 0)), "bluetooth");
                        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 1)), address);
                        ck_assert_str_eq(jstr(dev, "via_device"), "ttlock_hostone_bridge");
                        ck_assert_str_eq(jstr(dev, "model"), "S202F");
                        ck_assert_str_eq(jstr(dev, "sw_version"), "6.4.15.230524");
                        ck_assert_str_eq(jstr(dev, "hw_version"), "1.3");
                        ck_assert_str_eq(jstr(dev, "manufacturer"), "TTLock");
                        /* Available only when both the bridge and the lock are. */
                        v = sget(o, "availability");
                        ck_assert_int_eq(json_object_array_length(v), 2);
                        ck_assert_str_eq(jstr(json_object_array_get_idx(v, 0), "topic"), T(&h, "status"));
                        ck_assert_str_eq(
                                jstr(json_object_array_get_idx(v, 1), "topic"),
                                T(&h, k == 0 ? LOCK1_ID "/availability" : LOCK2_ID "/availability"));
                        ck_assert_str_eq(jstr(o, "availability_mode"), "all");
                        json_object_put(o);
                }
        }
        ck_assert_uint_eq(n_ids, ELEMENTSOF(full_lock) + 7);

        /* The lock entity: every state of Lock1.State, its topics, and a command with its time. */
        o = config_of(&t, &h, "lock", object(LOCK1_ID, "lock"));
        ck_assert(json_object_object_get_ex(o, "name", &v) && v == NULL);
        ck_assert_str_eq(jstr(o, "state_topic"), T(&h, LOCK1_ID "/state"));
        ck_assert_str_eq(jstr(o, "command_topic"), T(&h, LOCK1_ID "/command"));
        ck_assert_str_eq(jstr(o, "state_locked"), "locked");
        ck_assert_str_eq(jstr(o, "state_unlocked"), "unlocked");
        ck_assert_str_eq(jstr(o, "state_locking"), "locking");
        ck_assert_str_eq(jstr(o, "state_unlocking"), "unlocking");
        ck_assert_str_eq(jstr(o, "state_jammed"), "jammed");
        ck_assert_str_eq(jstr(o, "payload_reset"), "unknown");
        ck_assert_ptr_nonnull(strstr(jstr(o, "command_template"), "as_timestamp(now())"));
        ck_assert(!json_object_object_get_ex(o, "code_format", NULL));
        json_object_put(o);
        expect_value(&t, T(&h, LOCK1_ID "/availability"), "online");
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");
        expect_value(&t, T(&h, LOCK1_ID "/battery"), "90");
        expect_value(&t, T(&h, LOCK1_ID "/sound"), "ON");

        /* RSSI and last seen: diagnostics, off by default. */
        for (int i = 0; i < 2; i++) {
                o = config_of(&t, &h, "sensor", object(LOCK1_ID, i ? "rssi" : "last_seen"));
                ck_assert_str_eq(jstr(o, "entity_category"), "diagnostic");
                ck_assert(
                        json_object_object_get_ex(o, "enabled_by_default", &v) &&
                        !json_object_get_boolean(v));
                json_object_put(o);
        }
        /* The event entity knows every kind of Lock1.Event. */
        o = config_of(&t, &h, "event", object(LOCK1_ID, "event"));
        v = sget(o, "event_types");
        ck_assert(
                in_list(v, "unlocked") && in_list(v, "locked") && in_list(v, "unlock-failed") &&
                in_list(v, "jammed"));
        json_object_put(o);

        /* The bridge: its device, ttlockd's presence, and a button to look for locks. */
        o = config_of(&t, &h, "binary_sensor", "bridge_daemon");
        ck_assert_ptr_nonnull(o);
        ids[n_ids++] = strdup(jstr(o, "unique_id"));
        ck_assert_str_eq(
                json_object_get_string(json_object_array_get_idx(sget(sget(o, "device"), "identifiers"), 0)),
                "ttlock_hostone_bridge");
        json_object_put(o);
        o = config_of(&t, &h, "button", "bridge_discover");
        ck_assert_ptr_nonnull(o);
        ids[n_ids++] = strdup(jstr(o, "unique_id"));
        json_object_put(o);
        expect_value(&t, T(&h, "daemon"), "online");

        /* Every unique_id once. */
        for (size_t i = 0; i < n_ids; i++)
                for (size_t j = i + 1; j < n_ids; j++)
                        ck_assert_str_ne(ids[i], ids[j]);
        for (size_t i = 0; i < n_ids; i++)
                free(ids[i]);

        /* Home Assistant announces itself: discovery comes again. */
        mark = observer_count(t.obs);
        publish(&t, "homeassistant/status", "online");
        expect_msg(&t, mark, DT(&h, "lock", object(LOCK1_ID, "lock")), "unique_id");
        expect_msg(&t, mark, DT(&h, "sensor", object(LOCK2_ID, "battery")), "unique_id");

        /* A lock forgotten: its discovery is removed (empty retained configs), its topics too. */
        mark = observer_count(t.obs);
        host_call_ok(&h, SERVICE, LOCK2_PATH, "org.ttlock.Lock1", "Forget", NULL);
        for (size_t i = 0; i < 7; i++) {
                const char *keys[] = { "lock",      "battery", "rssi",   "last_seen",
                                       "connected", "event",   "refresh" };
                const char *comps[] = { "lock",          "sensor", "sensor", "sensor",
                                        "binary_sensor", "event",  "button" };
                expect_removed(&t, mark, DT(&h, comps[i], object(LOCK2_ID, keys[i])));
        }
        expect_value(&t, T(&h, LOCK2_ID "/state"), "");
        /* The broker holds nothing of it any more: a fresh subscriber sees no config. */
        observer_forget(t.obs);
        ck_assert_int_eq(observer_resubscribe(t.obs), 0);
        observer_settle(t.obs, 500 * TEST_USEC_PER_MSEC);
        ck_assert_ptr_null(observer_last(t.obs, DT(&h, "lock", object(LOCK2_ID, "lock"))));
        ck_assert_ptr_nonnull(observer_last(t.obs, DT(&h, "lock", object(LOCK1_ID, "lock"))));

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

/* Publish a command and wait for its answer on result; returns it. */
static const Observed *
command(Test *t,
        const Host *h,
        const char *lock_id,
        const char *leaf,
        const char *payload,
        const char *needle) {
        char topic[128], result[128];
        size_t mark = observer_count(t->obs);

        /* lock_id "": the bridge's own topics. */
        snprintf(topic, sizeof(topic), "%s%s%s", lock_id, *lock_id ? "/" : "", leaf);
        snprintf(result, sizeof(result), "%s%sresult", lock_id, *lock_id ? "/" : "");
        publish(t, T(h, topic), payload);
        return expect_msg(t, mark, T(h, result), needle);
}

/* The state topic went through from, then to, after mark. */
static void expect_states(Test *t, const Host *h, size_t mark, const char *from, const char *to) {
        const Observed *a = expect_msg(t, mark, T(h, LOCK1_ID "/state"), from);
        const Observed *b = expect_msg(t, a->seq + 1, T(h, LOCK1_ID "/state"), to);

        ck_assert_str_eq(a->payload, from);
        ck_assert_str_eq(b->payload, to);
        ck_assert(a->retain && b->retain);
}

/* An event after mark with this kind and method. */
static json_object *
expect_event(Test *t, const Host *h, size_t mark, const char *event_type, const char *method) {
        char needle[128];
        const Observed *m;
        json_object *o;

        snprintf(needle, sizeof(needle), "\"method\":\"%s\"", method);
        for (m = expect_msg(t, mark, T(h, LOCK1_ID "/event"), needle);;
             m = expect_msg(t, m->seq + 1, T(h, LOCK1_ID "/event"), needle)) {
                o = json_tokener_parse(m->payload);
                ck_assert_ptr_nonnull(o);
                ck_assert(!m->retain);
                if (strcmp(jstr(o, "event_type"), event_type) == 0)
                        return o;
                json_object_put(o);
        }
}

START_TEST(test_commands_and_events) {
        const char *locks[] = { FULL_LOCK, NULL }, *paired[] = { LOCK1_ADDRESS, NULL };
        const Observed *m;
        json_object *e;
        size_t mark;
        Test t;
        Host h;

        test_setup(&t);
        bring_up(&t, &h, "doors", locks, paired, "allow-manage = yes");
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");

        /* UNLOCK as Home Assistant sends it (its command_template): locked → unlocking → unlocked,
         * the door really open, and the answer with the command's id and correlation data. */
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(
                        t.obs,
                        T(&h, LOCK1_ID "/command"),
                        CMD("UNLOCK", ",\"id\":\"u1\""),
                        strlen(CMD("UNLOCK", ",\"id\":\"u1\"")),
                        false,
                        -1,
                        "corr-42"),
                0);
        expect_states(&t, &h, mark, "unlocking", "unlocked");
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "\"id\":\"u1\"");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"result\":\"ok\""));
        ck_assert_str_eq(m->correlation, "corr-42");
        ck_assert(!host_sim_locked(&h, LOCK1_ADDRESS));

        /* LOCK the same way, and REFRESH as a plain word with an MQTT 5 message expiry. */
        mark = observer_count(t.obs);
        m = command(&t, &h, LOCK1_ID, "command", CMD("LOCK", NULL), "\"command\":\"LOCK\"");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"result\":\"ok\""));
        expect_states(&t, &h, mark, "locking", "locked");
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(t.obs, T(&h, LOCK1_ID "/command"), "REFRESH", 7, false, 10, NULL), 0);
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "REFRESH");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"result\":\"ok\""));

        /* The keypad: a passcode with an alias; the event names the alias, never the digits. */
        host_call_ok(&h, CREDS1, "AddPasscode", "stt", "482916", UINT64_C(0), UINT64_C(0));
        host_call_ok(&h, CREDS1, "SetCredentialAlias", "sss", "passcode", "482916", "Postman");
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "EnterPasscode", "s", "482916");
        e = expect_event(&t, &h, mark, "unlocked", "passcode");
        ck_assert_str_eq(jstr(e, "alias"), "Postman");
        ck_assert_str_eq(jstr(e, "kind"), "unlocked");
        ck_assert(json_object_object_get_ex(e, "record_type", NULL));
        ck_assert_int_eq(strlen(jstr(e, "time")), 25);
        ck_assert_ptr_null(strstr(json_object_to_json_string(e), "482916"));
        json_object_put(e);
        expect_value(&t, T(&h, LOCK1_ID "/state"), "unlocked");

        /* The knob, by hand. */
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "TurnKnob", "b", 1);
        e = expect_event(&t, &h, mark, "locked", "mechanical-key");
        json_object_put(e);
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");

        /* A card. */
        host_call_ok(&h, CREDS1, "AddCard", "stt", "3735928559", UINT64_C(0), UINT64_C(0));
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "PresentCard", "s", "3735928559");
        e = expect_event(&t, &h, mark, "unlocked", "ic-card");
        ck_assert_str_eq(jstr(e, "credential"), "3735928559");
        json_object_put(e);
        host_sim(&h, LOCK1_ADDRESS, "TurnKnob", "b", 1);
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");

        /* A finger, enrolled over MQTT's manage topic with its progress, then at the reader. */
        mark = observer_count(t.obs);
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("enroll-fingerprint", ",\"id\":9,\"alias\":\"Thumb\""),
                        "\"id\":9");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"result\":\"ok\""));
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"waiting\"");
        for (int i = 0; i < 4; i++) {
                size_t before = observer_count(t.obs);
                host_sim(&h, LOCK1_ADDRESS, "PlaceFinger", "s", "77");
                expect_msg(
                        &t,
                        before,
                        T(&h, LOCK1_ID "/enrollment"),
                        i < 3 ? "\"status\":\"progress\"" : "\"status\":\"completed\"");
        }
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"credential\":\"77\"");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"id\":9"));
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "PlaceFinger", "s", "77");
        e = expect_event(&t, &h, mark, "unlocked", "fingerprint");
        ck_assert_str_eq(jstr(e, "credential"), "77");
        json_object_put(e);

        /* The battery. */
        host_sim(&h, LOCK1_ADDRESS, "SetBattery", "y", 42);
        expect_value(&t, T(&h, LOCK1_ID "/battery"), "42");

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_manage) {
        const char *locks[] = { FULL_LOCK, PAIRABLE_LOCK, NULL }, *paired[] = { LOCK1_ADDRESS, NULL };
        const Observed *m;
        size_t mark;
        Test t;
        Host h;

        test_setup(&t);
        bring_up(&t, &h, "hall", locks, paired, "allow-manage = yes");
        wait_config(&t, &h, "lock", object(LOCK1_ID, "lock"));

        /* A passcode added with validity and alias; listed without its digits. */
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("add-passcode",
                            ",\"id\":1,\"code\":\"135790\",\"alias\":\"Cleaner\",\"valid_from\":1893456000,"
                            "\"valid_until\":1896134400"),
                        "\"id\":1");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        m = command(&t, &h, LOCK1_ID, "manage", CMD("list-passcodes", ",\"id\":2"), "\"id\":2");
        ck_assert_msg(strstr(m->payload, "\"alias\":\"Cleaner\""), "%s", m->payload);
        ck_assert_msg(strstr(m->payload, "\"kind\":\"period\""), "%s", m->payload);
        ck_assert_msg(strstr(m->payload, "\"valid_from\":1893456000"), "%s", m->payload);
        ck_assert_ptr_null(strstr(m->payload, "135790"));
        /* Deleted by its alias. */
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("delete-passcode", ",\"id\":3,\"alias\":\"Cleaner\""),
                        "\"id\":3");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        m = command(&t, &h, LOCK1_ID, "manage", CMD("list-passcodes", ",\"id\":4"), "\"id\":4");
        ck_assert_msg(strstr(m->payload, "\"passcodes\":[]"), "%s", m->payload);
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("delete-passcode", ",\"id\":5,\"alias\":\"Nobody\""),
                        "\"id\":5");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Error.DoesNotExist"), "%s", m->payload);
        /* What ttlockd refuses comes back with its D-Bus error. */
        m = command(
                &t, &h, LOCK1_ID, "manage", CMD("add-passcode", ",\"id\":6,\"code\":\"12a\""), "\"id\":6");
        ck_assert_msg(strstr(m->payload, "org.freedesktop.DBus.Error.InvalidArgs"), "%s", m->payload);

        /* A card enrolled at the lock, its progress as it happens, named by the alias asked for. */
        mark = observer_count(t.obs);
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("enroll-card", ",\"id\":\"c\",\"alias\":\"Badge\""),
                        "\"id\":\"c\"");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"waiting\"");
        host_sim(&h, LOCK1_ADDRESS, "PresentCard", "s", "555666");
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"completed\"");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"credential\":\"555666\""));
        ck_assert_ptr_nonnull(strstr(m->payload, "\"id\":\"c\""));
        /* The alias is set right after "completed": ask until the listing shows it. */
        for (int i = 0;; i++) {
                m = command(&t, &h, LOCK1_ID, "manage", CMD("list-cards", ",\"id\":7"), "\"id\":7");
                if (strstr(m->payload, "\"alias\":\"Badge\""))
                        break;
                ck_assert_msg(i < 20, "the enrolled card never got its alias: %s", m->payload);
                observer_settle(t.obs, 100 * TEST_USEC_PER_MSEC);
        }
        ck_assert_ptr_nonnull(strstr(m->payload, "\"number\":\"555666\""));

        /* Settings: auto-lock as Home Assistant's number sends it, a switch as its switch does. */
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        "{\"command\":\"set-auto-lock\",\"seconds\":5,\"timestamp\":1000000000}",
                        NULL);
        ck_assert_msg(strstr(m->payload, "org.ttlock.Mqtt.Error.Stale"), "%s", m->payload);
        m = command(&t, &h, LOCK1_ID, "manage", CMD("set-auto-lock", ",\"seconds\":5.0"), "set-auto-lock");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        expect_value(&t, T(&h, LOCK1_ID "/auto-lock"), "5");
        m = command(&t, &h, LOCK1_ID, "manage", CMD("set-sound", ",\"value\":\"OFF\""), "set-sound");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        expect_value(&t, T(&h, LOCK1_ID "/sound"), "OFF");
        m = command(&t, &h, LOCK1_ID, "manage", CMD("set-alias", ",\"alias\":\"Front door\""), "set-alias");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        m = expect_msg(&t, 0, DT(&h, "lock", object(LOCK1_ID, "lock")), "\"name\":\"Front door\"");
        /* History: the archive has the unlock just done. */
        mark = observer_count(t.obs);
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", NULL), "UNLOCK");
        expect_msg(&t, mark, T(&h, LOCK1_ID "/event"), "\"event_type\":\"unlocked\"");
        m = command(&t, &h, LOCK1_ID, "manage", CMD("get-history", ",\"max\":3"), "get-history");
        ck_assert_msg(
                strstr(m->payload, "\"events\":[{") && strstr(m->payload, "\"kind\":\"unlocked\"") &&
                        strstr(m->payload, "\"time\":\""),
                "%s",
                m->payload);

        /* A lock to pair: discovery started over MQTT, the Pair button, pressed. */
        mark = observer_count(t.obs);
        m = command(&t, &h, "", "manage", CMD("start-discovery", NULL), "start-discovery");
        (void) m;
        m = expect_msg(&t, mark, T(&h, "result"), "start-discovery");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        wait_config(&t, &h, "button", object(LOCK3_ID, "pair"));
        ck_assert_ptr_null(config_of(&t, &h, "lock", object(LOCK3_ID, "lock")));
        {
                json_object *o = config_of(&t, &h, "button", object(LOCK3_ID, "pair"));
                ck_assert_str_eq(jstr(o, "payload_press"), "pair");
                ck_assert_str_eq(jstr(o, "command_topic"), T(&h, LOCK3_ID "/manage"));
                json_object_put(o);
        }
        m = command(&t, &h, LOCK3_ID, "manage", CMD("pair", NULL), "\"command\":\"pair\"");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        wait_config(&t, &h, "lock", object(LOCK3_ID, "lock"));
        ck_assert_ptr_null(config_of(&t, &h, "button", object(LOCK3_ID, "pair")));
        expect_value(&t, T(&h, LOCK3_ID "/state"), "locked");
        m = command(&t, &h, "", "manage", CMD("list-locks", ",\"id\":8"), NULL);
        m = expect_msg(&t, 0, T(&h, "result"), "\"id\":8");
        ck_assert_ptr_nonnull(strstr(m->payload, LOCK3_ADDRESS));

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

/* A manage command that must succeed; returns its answer. */
static const Observed *
manage_ok(Test *t, const Host *h, const char *lock_id, const char *name, const char *args) {
        char needle[64];
        const Observed *m;

        snprintf(needle, sizeof(needle), "\"command\":\"%s\"", name);
        m = command(t, h, lock_id, "manage", CMD(name, args), needle);
        ck_assert_msg(
                strstr(m->payload, "\"result\":\"ok\""), "%s%s → %s", name, strempty(args), m->payload);
        return m;
}

START_TEST(test_manage_every_command) {
        const char *locks[] = { FULL_LOCK, NULL }, *paired[] = { LOCK1_ADDRESS, NULL };
        const Observed *m;
        size_t mark;
        Test t;
        Host h;

        /* Every management command the README shows, against the simulator; with the digits of
         * passcodes published this time. */
        test_setup(&t);
        bring_up(&t, &h, "shed", locks, paired, "allow-manage = yes\npublish-passcodes = yes");
        wait_config(&t, &h, "lock", object(LOCK1_ID, "lock"));

        manage_ok(&t, &h, LOCK1_ID, "add-passcode", ",\"code\":\"482916\",\"alias\":\"Cleaner\"");
        manage_ok(
                &t,
                &h,
                LOCK1_ID,
                "add-passcode",
                ",\"code\":\"97531\",\"kind\":\"one-time\",\"valid_from\":1893456000,\"valid_until\":"
                "1896134400");
        manage_ok(&t, &h, LOCK1_ID, "change-passcode", ",\"alias\":\"Cleaner\",\"new_code\":\"482917\"");
        m = manage_ok(&t, &h, LOCK1_ID, "list-passcodes", NULL);
        ck_assert_msg(
                strstr(m->payload, "\"code\":\"482917\"") && strstr(m->payload, "\"kind\":\"one-time\"") &&
                        !strstr(m->payload, "482916"),
                "%s",
                m->payload);
        manage_ok(&t, &h, LOCK1_ID, "delete-passcode", ",\"code\":\"97531\"");
        manage_ok(
                &t,
                &h,
                LOCK1_ID,
                "set-credential-alias",
                ",\"kind\":\"passcode\",\"id\":\"482917\",\"alias\":\"Maid\"");
        m = manage_ok(&t, &h, LOCK1_ID, "list-passcodes", NULL);
        ck_assert_msg(
                strstr(m->payload, "\"alias\":\"Maid\"") && !strstr(m->payload, "97531"), "%s", m->payload);
        manage_ok(&t, &h, LOCK1_ID, "clear-passcodes", NULL);
        m = manage_ok(&t, &h, LOCK1_ID, "list-passcodes", NULL);
        ck_assert_msg(strstr(m->payload, "\"passcodes\":[]"), "%s", m->payload);

        manage_ok(&t, &h, LOCK1_ID, "add-card", ",\"number\":\"3735928559\",\"alias\":\"Spare\"");
        manage_ok(
                &t,
                &h,
                LOCK1_ID,
                "set-card-validity",
                ",\"number\":\"3735928559\",\"valid_from\":1893456000,\"valid_until\":1896134400");
        m = manage_ok(&t, &h, LOCK1_ID, "list-cards", NULL);
        ck_assert_msg(
                strstr(m->payload, "\"number\":\"3735928559\"") &&
                        strstr(m->payload, "\"alias\":\"Spare\"") &&
                        strstr(m->payload, "\"valid_until\":1896134400"),
                "%s",
                m->payload);
        manage_ok(&t, &h, LOCK1_ID, "delete-card", ",\"number\":\"3735928559\"");
        manage_ok(&t, &h, LOCK1_ID, "clear-cards", NULL);

        /* A fingerprint: enrolled, then its validity, deleted; an enrollment cancelled. */
        mark = observer_count(t.obs);
        manage_ok(&t, &h, LOCK1_ID, "enroll-fingerprint", NULL);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"waiting\"");
        for (int i = 0; i < 4; i++)
                host_sim(&h, LOCK1_ADDRESS, "PlaceFinger", "s", "12");
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"completed\"");
        manage_ok(
                &t,
                &h,
                LOCK1_ID,
                "set-fingerprint-validity",
                ",\"id\":\"12\",\"valid_from\":1893456000,\"valid_until\":1896134400");
        m = manage_ok(&t, &h, LOCK1_ID, "list-fingerprints", NULL);
        ck_assert_msg(strstr(m->payload, "\"id\":\"12\""), "%s", m->payload);
        manage_ok(&t, &h, LOCK1_ID, "delete-fingerprint", ",\"id\":\"12\"");
        manage_ok(&t, &h, LOCK1_ID, "clear-fingerprints", NULL);
        mark = observer_count(t.obs);
        manage_ok(&t, &h, LOCK1_ID, "enroll-card", NULL);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"waiting\"");
        manage_ok(&t, &h, LOCK1_ID, "cancel-enrollment", NULL);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/enrollment"), "\"status\":\"cancelled\"");

        /* Settings. */
        manage_ok(&t, &h, LOCK1_ID, "set-sound", ",\"value\":true,\"volume\":3");
        manage_ok(&t, &h, LOCK1_ID, "set-remote-unlock", ",\"value\":\"ON\"");
        expect_value(&t, T(&h, LOCK1_ID "/remote-unlock"), "ON");
        manage_ok(&t, &h, LOCK1_ID, "set-tamper-alert", ",\"enabled\":true");
        expect_value(&t, T(&h, LOCK1_ID "/tamper-alert"), "ON");
        manage_ok(&t, &h, LOCK1_ID, "set-privacy-lock", ",\"value\":true");
        expect_value(&t, T(&h, LOCK1_ID "/privacy-lock"), "ON");
        manage_ok(&t, &h, LOCK1_ID, "set-reset-button", ",\"value\":false");
        expect_value(&t, T(&h, LOCK1_ID "/reset-button"), "OFF");
        manage_ok(&t, &h, LOCK1_ID, "sync-clock", NULL);
        manage_ok(
                &t,
                &h,
                LOCK1_ID,
                "set-passage-modes",
                ",\"modes\":[{\"weekdays\":[1,2,3,4,5],\"start_minute\":480,\"end_minute\":1020}]");
        m = manage_ok(&t, &h, LOCK1_ID, "get-passage-modes", NULL);
        ck_assert_msg(
                strstr(m->payload, "\"weekdays\":[1,2,3,4,5]") && strstr(m->payload, "\"start_minute\":480"),
                "%s",
                m->payload);
        m =
                command(&t,
                        &h,
                        LOCK1_ID,
                        "manage",
                        CMD("set-passage-modes", ",\"modes\":[{\"weekdays\":[9]}]"),
                        "set-passage-modes");
        ck_assert_msg(strstr(m->payload, "InvalidArgs"), "%s", m->payload);
        manage_ok(&t, &h, LOCK1_ID, "set-admin-passcode", ",\"code\":\"13572468\"");
        m = manage_ok(&t, &h, LOCK1_ID, "get-admin-passcode", NULL);
        ck_assert_msg(strstr(m->payload, "\"code\":\"13572468\""), "%s", m->payload);

        /* The bridge's own: list, a discovery started and stopped. */
        m = command(&t, &h, "", "manage", CMD("list-locks", NULL), "list-locks");
        ck_assert_msg(
                strstr(m->payload, "\"address\":\"" LOCK1_ADDRESS "\"") &&
                        strstr(m->payload, "\"paired\":true"),
                "%s",
                m->payload);
        m = command(&t, &h, "", "manage", CMD("start-discovery", NULL), "start-discovery");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        m = command(&t, &h, "", "manage", CMD("stop-discovery", NULL), "stop-discovery");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);

        /* Forget: the lock goes, from ttlockd and from MQTT. (factory-reset is Forget after a
         * reset over the radio: the same from here.) */
        mark = observer_count(t.obs);
        manage_ok(&t, &h, LOCK1_ID, "forget", NULL);
        expect_removed(&t, mark, DT(&h, "lock", object(LOCK1_ID, "lock")));
        m = command(&t, &h, LOCK1_ID, "manage", CMD("list-cards", NULL), "list-cards");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Error.DoesNotExist"), "%s", m->payload);

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        /* Codes were published, as configured, but never logged. */
        ck_assert(!file_contains(h.log, "482917"));
        ck_assert(!file_contains(h.log, "13572468"));
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_locks_filter_and_stale) {
        const char *locks[] = { FULL_LOCK, BARE_LOCK, NULL },
                   *paired[] = { LOCK1_ADDRESS, LOCK2_ADDRESS, NULL };
        const Observed *m;
        size_t mark;
        Test t;
        Host h;

        /* Both locks published; then the bridge restarts bridging only the second: what it had
         * published of the first is on the broker still, and goes (as for a lock forgotten while
         * the bridge was away). */
        test_setup(&t);
        bring_up(&t, &h, "lodge", locks, paired, NULL);
        wait_config(&t, &h, "lock", object(LOCK1_ID, "lock"));
        wait_config(&t, &h, "lock", object(LOCK2_ID, "lock"));
        /* Stopped right away: what it has published (some 50 messages, more than the broker
         * takes unacknowledged) must still reach the broker, the first lock's info included. */
        host_stop_bridge(&h);
        expect_value(&t, T(&h, "status"), "offline");

        mark = observer_count(t.obs);
        host_write_config(&h, test_broker_port(t.broker), "locks = " LOCK2_ADDRESS);
        host_start_bridge(&h, NULL);
        expect_removed(&t, mark, DT(&h, "lock", object(LOCK1_ID, "lock")));
        expect_value(&t, T(&h, LOCK1_ID "/info"), "");
        expect_value(&t, T(&h, LOCK1_ID "/state"), "");
        expect_value(&t, T(&h, LOCK2_ID "/state"), "locked");
        /* … and it takes no command for it. */
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", NULL), "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Error.DoesNotExist"), "%s", m->payload);
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));

        /* Discovery turned off: the entities go from Home Assistant; the plain topics stay. */
        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        mark = observer_count(t.obs);
        host_write_config(&h, test_broker_port(t.broker), "locks = " LOCK2_ADDRESS "\ndiscovery = no");
        host_start_bridge(&h, NULL);
        expect_removed(&t, mark, DT(&h, "lock", object(LOCK2_ID, "lock")));
        expect_removed(&t, mark, DT(&h, "binary_sensor", "bridge_daemon"));
        expect_msg(&t, mark, T(&h, LOCK2_ID "/state"), "locked");

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_manage_off_and_pin) {
        const char *locks[] = { FULL_LOCK, NULL };
        char pinfile[300], extra[400];
        const Observed *m;
        json_object *o;
        size_t mark;
        FILE *f;
        Test t;
        Host h;

        test_setup(&t);
        host_start(&h, "gate", locks);
        host_pair(&h, LOCK1_ADDRESS);
        snprintf(pinfile, sizeof(pinfile), "%s/pin", h.dir);
        f = fopen(pinfile, "we");
        ck_assert_ptr_nonnull(f);
        fputs("8642\n", f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(pinfile, 0600), 0);
        snprintf(extra, sizeof(extra), "unlock-pin-file = %s\n", pinfile);
        host_write_config(&h, test_broker_port(t.broker), extra);
        host_start_bridge(&h, NULL);
        expect_value(&t, T(&h, "status"), "online");
        wait_config(&t, &h, "lock", object(LOCK1_ID, "lock"));

        /* Management is off: refused by the bridge, and nothing in Home Assistant offers it. */
        m = command(&t, &h, LOCK1_ID, "manage", CMD("list-passcodes", ",\"id\":1"), "\"id\":1");
        ck_assert_msg(strstr(m->payload, "org.freedesktop.DBus.Error.AccessDenied"), "%s", m->payload);
        ck_assert_msg(strstr(m->payload, "allow-manage"), "%s", m->payload);
        m = command(&t, &h, "", "manage", CMD("start-discovery", NULL), NULL);
        m = expect_msg(&t, 0, T(&h, "result"), "AccessDenied");
        for (size_t i = 0; i < ELEMENTSOF(settings_entities); i++)
                ck_assert_ptr_null(config_of(
                        &t, &h, settings_entities[i].component, object(LOCK1_ID, settings_entities[i].key)));
        ck_assert_ptr_null(config_of(&t, &h, "button", "bridge_discover"));

        /* The code: Home Assistant asks for it (a keypad, the PIN is digits), and sends it. */
        o = config_of(&t, &h, "lock", object(LOCK1_ID, "lock"));
        ck_assert_str_eq(jstr(o, "code_format"), "^\\d+$");
        ck_assert_ptr_nonnull(strstr(jstr(o, "command_template"), "\"code\":{{ code | to_json }}"));
        ck_assert_ptr_null(strstr(json_object_to_json_string(o), "8642"));
        json_object_put(o);

        mark = observer_count(t.obs);
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", ",\"id\":1"), "\"id\":1");
        ck_assert_msg(
                strstr(m->payload, "AccessDenied") && strstr(m->payload, "code is needed"),
                "%s",
                m->payload);
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", ",\"id\":2,\"code\":\"1111\""), "\"id\":2");
        ck_assert_msg(
                strstr(m->payload, "AccessDenied") && strstr(m->payload, "Wrong code"), "%s", m->payload);
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));
        ck_assert_ptr_null(observer_find(t.obs, mark, T(&h, LOCK1_ID "/state"), "unlocking"));
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", ",\"id\":3,\"code\":\"8642\""), "\"id\":3");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        ck_assert(!host_sim_locked(&h, LOCK1_ADDRESS));
        /* LOCK needs no code. */
        m = command(&t, &h, LOCK1_ID, "command", CMD("LOCK", ",\"id\":4"), "\"id\":4");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);

        /* Without allow-manage the bridge may not know card numbers (credentials): the event says a
         * card opened the door, and not which. */
        host_call_ok(&h, CREDS1, "AddCard", "stt", "3735928559", UINT64_C(0), UINT64_C(0));
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "PresentCard", "s", "3735928559");
        o = expect_event(&t, &h, mark, "unlocked", "ic-card");
        ck_assert_msg(!json_object_object_get_ex(o, "credential", NULL), "%s", json_object_to_json_string(o));
        json_object_put(o);
        ck_assert(observer_find(t.obs, 0, NULL, "3735928559") == NULL);

        /* The code is in no log line, not even at debug level. */
        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        ck_assert(file_contains(h.log, "UNLOCK"));
        ck_assert(!file_contains(h.log, "8642"));
        ck_assert(!file_contains(h.log, "1111"));
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_safety) {
        const char *locks[] = { FULL_LOCK, NULL };
        const Observed *m;
        char big[20000], payload[200];
        size_t mark;
        pid_t pid;
        Test t;
        Host h;

        test_setup(&t);
        host_start(&h, "porch", locks);
        host_pair(&h, LOCK1_ADDRESS);
        /* A retained UNLOCK waiting on the broker before the bridge even starts. */
        ck_assert_int_eq(
                observer_publish(
                        t.obs,
                        T(&h, LOCK1_ID "/command"),
                        CMD("UNLOCK", ",\"id\":\"old\""),
                        strlen(CMD("UNLOCK", ",\"id\":\"old\"")),
                        true,
                        -1,
                        NULL),
                0);
        mark = observer_count(t.obs);
        host_write_config(&h, test_broker_port(t.broker), "allow-manage = yes\nmax-command-age = 30");
        host_start_bridge(&h, NULL);
        expect_value(&t, T(&h, "status"), "online");
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "org.ttlock.Mqtt.Error.Retained");
        ck_assert_ptr_nonnull(strstr(m->payload, "\"id\":\"old\""));
        /* … and deleted from the broker. */
        expect_value(&t, T(&h, LOCK1_ID "/command"), "");
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));

        /* Retained while the bridge runs (MQTT 5 shows the flag). */
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(
                        t.obs,
                        T(&h, LOCK1_ID "/command"),
                        CMD("UNLOCK", NULL),
                        strlen(CMD("UNLOCK", NULL)),
                        true,
                        -1,
                        NULL),
                0);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "org.ttlock.Mqtt.Error.Retained");

        /* Stale: too old, from the future, no age at all, or an expiry longer than allowed. */
        m = command(
                &t, &h, LOCK1_ID, "command", "{\"command\":\"UNLOCK\",\"timestamp\":1000000000}", "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Mqtt.Error.Stale"), "%s", m->payload);
        snprintf(
                payload,
                sizeof(payload),
                "{\"command\":\"UNLOCK\",\"timestamp\":%lld}",
                (long long) time(NULL) + 3600);
        m = command(&t, &h, LOCK1_ID, "command", payload, "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Mqtt.Error.Stale"), "%s", m->payload);
        m = command(&t, &h, LOCK1_ID, "command", "UNLOCK", "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Mqtt.Error.Stale"), "%s", m->payload);
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(t.obs, T(&h, LOCK1_ID "/command"), "UNLOCK", 6, false, 3600, NULL), 0);
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Mqtt.Error.Stale"), "%s", m->payload);
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));

        /* Malformed, each answered with what is wrong. */
        {
                static const struct {
                        const char *leaf, *payload, *error;
                } bad[] = {
                        { "command", "{bad", "InvalidArgs" },
                        { "command", "[1,2]", "InvalidArgs" },
                        { "command", "{\"command\":5}", "InvalidArgs" },
                        { "command", "{\"command\":\"UNLOCK\",\"timestamp\":\"soon\"}", "InvalidArgs" },
                        { "command", "OPEN", "InvalidArgs" },
                        { "command", "{\"command\":\"UNLOCK\"} trailing", "InvalidArgs" },
                        { "command",
                          "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}",
                          "InvalidArgs" },
                        { "manage", "list-passcodes", "InvalidArgs" },
                        { "manage", "{\"command\":\"fly\",\"timestamp\":%T}", "Unknown command" },
                        { "manage",
                          "{\"command\":\"add-passcode\",\"timestamp\":%T}",
                          "\\\"code\\\" is missing" },
                        { "manage",
                          "{\"command\":\"add-passcode\",\"code\":1234,\"timestamp\":%T}",
                          "must be a string" },
                        { "manage",
                          "{\"command\":\"set-auto-lock\",\"seconds\":-1,\"timestamp\":%T}",
                          "whole number" },
                        { "manage",
                          "{\"command\":\"list-cards\",\"colour\":1,\"timestamp\":%T}",
                          "unknown key" },
                        { "command",
                          "{\"command\":\"list-cards\",\"timestamp\":%T}",
                          "LOCK, UNLOCK or REFRESH" },
                };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                        char p[512];
                        const char *tpos = strstr(bad[i].payload, "%T");

                        if (tpos)
                                snprintf(
                                        p,
                                        sizeof(p),
                                        "%.*s%lld%s",
                                        (int) (tpos - bad[i].payload),
                                        bad[i].payload,
                                        (long long) time(NULL),
                                        tpos + 2);
                        else
                                snprintf(p, sizeof(p), "%s", bad[i].payload);
                        m = command(&t, &h, LOCK1_ID, bad[i].leaf, p, "\"result\":\"error\"");
                        ck_assert_msg(strstr(m->payload, bad[i].error), "%s → %s", p, m->payload);
                }
        }
        /* Not UTF-8; too large (unread). */
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(t.obs, T(&h, LOCK1_ID "/command"), "\xff\xfe{", 3, false, -1, NULL), 0);
        m = expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "UTF-8");
        memset(big, ' ', sizeof(big));
        memcpy(big, "{\"command\":\"UNLOCK\"", 19);
        big[sizeof(big) - 1] = '}';
        mark = observer_count(t.obs);
        ck_assert_int_eq(
                observer_publish(t.obs, T(&h, LOCK1_ID "/command"), big, sizeof(big), false, 10, NULL), 0);
        expect_msg(&t, mark, T(&h, LOCK1_ID "/result"), "org.ttlock.Mqtt.Error.TooLarge");
        /* Unknown locks: a lock id of nobody, and a level that is no id at all. */
        m = command(&t, &h, "ffffffffffff", "command", CMD("UNLOCK", NULL), "UNLOCK");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Error.DoesNotExist"), "%s", m->payload);
        m = command(&t, &h, "frontdoor", "manage", CMD("list-cards", NULL), "list-cards");
        ck_assert_msg(strstr(m->payload, "org.ttlock.Error.DoesNotExist"), "%s", m->payload);

        /* Through all of it: the door stayed shut, the bridge still runs and still obeys. */
        ck_assert(host_sim_locked(&h, LOCK1_ADDRESS));
        ck_assert_int_eq(test_bus_name_pid(h.bus, "org.ttlock.Manager", &pid), 0);
        m = command(&t, &h, LOCK1_ID, "command", CMD("UNLOCK", ",\"id\":\"last\""), "\"id\":\"last\"");
        ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        ck_assert(!host_sim_locked(&h, LOCK1_ADDRESS));

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&h)), 0);
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_restarts) {
        const char *locks[] = { FULL_LOCK, NULL }, *paired[] = { LOCK1_ADDRESS, NULL };
        json_object *e;
        size_t mark;
        int status;
        Test t;
        Host h;

        test_setup(&t);
        bring_up(&t, &h, "attic", locks, paired, NULL);
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");

        /* Killed: the broker publishes the last will. */
        host_kill_bridge(&h);
        expect_value(&t, T(&h, "status"), "offline");
        host_start_bridge(&h, NULL);
        expect_value(&t, T(&h, "status"), "online");

        /* The broker restarts and has lost every retained message: everything comes back. */
        ck_assert_int_eq(test_broker_restart(t.broker), 0);
        observer_forget(t.obs);
        expect_value(&t, T(&h, "status"), "online");
        wait_config(&t, &h, "lock", object(LOCK1_ID, "lock"));
        expect_value(&t, T(&h, LOCK1_ID "/state"), "locked");
        expect_value(&t, T(&h, LOCK1_ID "/availability"), "online");
        /* … and it still takes commands. */
        {
                const Observed *m = command(&t, &h, LOCK1_ID, "command", CMD("REFRESH", NULL), "REFRESH");
                ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        }

        /* ttlockd restarts: its locks go unavailable, something happens at the door meanwhile, and
         * all is read again when it is back. */
        host_stop_daemon(&h);
        expect_value(&t, T(&h, "daemon"), "offline");
        expect_value(&t, T(&h, LOCK1_ID "/availability"), "offline");
        mark = observer_count(t.obs);
        host_sim(&h, LOCK1_ADDRESS, "TurnKnob", "b", 0);
        host_start_daemon(&h);
        expect_value(&t, T(&h, "daemon"), "online");
        expect_value(&t, T(&h, LOCK1_ID "/availability"), "online");
        expect_value(&t, T(&h, LOCK1_ID "/state"), "unlocked");
        e = expect_event(&t, &h, mark, "unlocked", "mechanical-key");
        json_object_put(e);

        /* SIGTERM: "offline" said, clean exit. */
        status = host_stop_bridge(&h);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        expect_value(&t, T(&h, "status"), "offline");
        host_stop(&h);
        test_teardown(&t);
}
END_TEST

START_TEST(test_two_hosts) {
        const char *locks[] = { FULL_LOCK, NULL }, *paired[] = { LOCK1_ADDRESS, NULL };
        json_object *a, *b;
        Test t;
        Host ha, hb;

        /* Two boxes, each with its own bus, simulator, ttlockd and bridge, into one broker. Even a
         * lock with the same address on both keeps apart. */
        test_setup(&t);
        bring_up(&t, &ha, "kitchen", locks, paired, NULL);
        bring_up(&t, &hb, "garage", locks, paired, NULL);
        wait_config(&t, &ha, "lock", object(LOCK1_ID, "lock"));
        wait_config(&t, &hb, "lock", object(LOCK1_ID, "lock"));
        a = config_of(&t, &ha, "lock", object(LOCK1_ID, "lock"));
        b = config_of(&t, &hb, "lock", object(LOCK1_ID, "lock"));
        ck_assert_str_ne(jstr(a, "unique_id"), jstr(b, "unique_id"));
        ck_assert_str_ne(jstr(a, "command_topic"), jstr(b, "command_topic"));
        ck_assert_str_eq(jstr(sget(a, "device"), "via_device"), "ttlock_kitchen_bridge");
        ck_assert_str_eq(jstr(sget(b, "device"), "via_device"), "ttlock_garage_bridge");
        json_object_put(a);
        json_object_put(b);

        /* A command reaches only its host. */
        {
                const Observed *m = command(&t, &ha, LOCK1_ID, "command", CMD("UNLOCK", NULL), "UNLOCK");
                ck_assert_msg(strstr(m->payload, "\"result\":\"ok\""), "%s", m->payload);
        }
        ck_assert(!host_sim_locked(&ha, LOCK1_ADDRESS));
        ck_assert(host_sim_locked(&hb, LOCK1_ADDRESS));
        expect_value(&t, T(&ha, LOCK1_ID "/state"), "unlocked");
        expect_value(&t, T(&hb, LOCK1_ID "/state"), "locked");

        /* Separate availability: one bridge dies, the other stays. */
        host_kill_bridge(&ha);
        expect_value(&t, T(&ha, "status"), "offline");
        observer_settle(t.obs, 300 * TEST_USEC_PER_MSEC);
        ck_assert_str_eq(observer_last(t.obs, T(&hb, "status"))->payload, "online");

        ck_assert_int_eq(WEXITSTATUS(host_stop_bridge(&hb)), 0);
        host_stop(&hb);
        host_stop(&ha);
        test_teardown(&t);
}
END_TEST

/* ---- MQTT 3.1.1 fallback ---------------------------------------------------------------------- */

static int listen_on(uint16_t *ret_port) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        ck_assert_int_eq(listen(fd, 4), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static void read_exactly(int fd, uint8_t *buf, size_t n) {
        size_t got = 0;

        while (got < n) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                ck_assert_msg(poll(&p, 1, 20000) == 1, "the bridge sent nothing");
                k = read(fd, buf + got, n - got);
                ck_assert_msg(k > 0, "the bridge closed the connection");
                got += (size_t) k;
        }
}

/* Accept a connection and read one MQTT packet; returns its first byte, *level the CONNECT's
 * protocol level. */
static int read_packet(int lfd, int *cfd, uint8_t *first, uint8_t *body, size_t max, size_t *len) {
        uint8_t b;
        size_t n = 0;
        unsigned shift = 0;

        if (*cfd < 0) {
                struct pollfd p = { .fd = lfd, .events = POLLIN };
                ck_assert_msg(poll(&p, 1, 20000) == 1, "the bridge did not connect");
                *cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                ck_assert_int_ge(*cfd, 0);
        }
        read_exactly(*cfd, first, 1);
        do {
                read_exactly(*cfd, &b, 1);
                n |= (size_t) (b & 0x7f) << shift;
                shift += 7;
        } while (b & 0x80);
        ck_assert_uint_le(n, max);
        read_exactly(*cfd, body, n);
        *len = n;
        return 0;
}

START_TEST(test_v311_fallback) {
        uint8_t first, body[512];
        size_t len;
        uint16_t port;
        int lfd, cfd = -1;
        Test t = {};
        Host h;

        /* A broker that speaks only MQTT 3.1.1 answers a version 5 CONNECT with "unacceptable
         * protocol version" (MQTT 3.1.1 §3.2.2.3); the bridge tries again with 3.1.1 at once. */
        lfd = listen_on(&port);
        host_start(&h, "old", NULL);
        host_write_config(&h, port, NULL);
        host_start_bridge(&h, NULL);

        read_packet(lfd, &cfd, &first, body, sizeof(body), &len);
        ck_assert_int_eq(first, 0x10);
        ck_assert_int_eq(memcmp(body, "\0\4MQTT", 6), 0);
        ck_assert_int_eq(body[6], 5);
        ck_assert_int_eq(write(cfd, "\x20\x02\x00\x01", 4), 4);
        close(cfd);
        cfd = -1;

        read_packet(lfd, &cfd, &first, body, sizeof(body), &len);
        ck_assert_int_eq(first, 0x10);
        ck_assert_int_eq(body[6], 4);
        /* Its last will: retained, QoS 1, on <base>/<node>/status (connect flags 0x2e/0x2c). */
        ck_assert_int_eq(body[7] & 0x3c, 0x2c);
        ck_assert_int_eq(write(cfd, "\x20\x02\x00\x00", 4), 4);
        /* Accepted: it subscribes to its command topics. */
        read_packet(lfd, &cfd, &first, body, sizeof(body), &len);
        ck_assert_int_eq(first, 0x82);
        ck_assert(memmem(body, len, "ttlock/old/+/command", 20) != NULL);
        close(cfd);
        close(lfd);
        (void) t;

        host_stop_bridge(&h);
        ck_assert(file_contains(h.log, "does not speak MQTT 5; using 3.1.1"));
        host_stop(&h);
}
END_TEST

/* ---- TLS and passwords ------------------------------------------------------------------------ */

/* Run a tool quietly (openssl draws progress on stderr); it must succeed. */
static void run_ok(Host *h, char *const argv[]) {
        char *a[32] = {
                (char *) "/bin/sh", (char *) "-c", (char *) "exec \"$@\" 2>/dev/null", (char *) "sh"
        };
        size_t n = 4;
        int status = 0, r;

        for (size_t i = 0; argv[i] && n < ELEMENTSOF(a) - 1; i++)
                a[n++] = argv[i];
        a[n] = NULL;
        r = test_bus_run(h->bus, NULL, NULL, a, NULL, 60 * TEST_USEC_PER_SEC, &status, NULL);
        ck_assert_msg(r >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s failed", argv[0]);
}

START_TEST(test_tls_and_password) {
        const char *locks[] = { FULL_LOCK, NULL };
        char conf[2048], extra[2048], path[16][300];
        const char *d;
        Test t = {};
        Host h;
        int r;

        host_start(&h, "secure", locks);
        d = h.dir;
        /* A CA, a server certificate for localhost, a client certificate; a password file. */
#define P(i, name) (snprintf(path[i], sizeof(path[i]), "%s/%s", d, name), path[i])
        {
                char *ca[] = { (char *) "openssl",     (char *) "req",      (char *) "-x509",
                               (char *) "-newkey",     (char *) "rsa:2048", (char *) "-nodes",
                               (char *) "-days",       (char *) "2",        (char *) "-subj",
                               (char *) "/CN=test CA", (char *) "-keyout",  P(0, "ca.key"),
                               (char *) "-out",        P(1, "ca.crt"),      NULL };
                char *srvreq[] = { (char *) "openssl",       (char *) "req",     (char *) "-newkey",
                                   (char *) "rsa:2048",      (char *) "-nodes",  (char *) "-subj",
                                   (char *) "/CN=localhost", (char *) "-keyout", P(2, "server.key"),
                                   (char *) "-out",          P(3, "server.csr"), NULL };
                char *srv[] = { (char *) "openssl",
                                (char *) "x509",
                                (char *) "-req",
                                (char *) "-in",
                                path[3],
                                (char *) "-CA",
                                path[1],
                                (char *) "-CAkey",
                                path[0],
                                (char *) "-CAcreateserial",
                                (char *) "-days",
                                (char *) "2",
                                (char *) "-extfile",
                                P(4, "san.cnf"),
                                (char *) "-out",
                                P(5, "server.crt"),
                                NULL };
                char *clireq[] = { (char *) "openssl",         (char *) "req",
                                   (char *) "-newkey",         (char *) "rsa:2048",
                                   (char *) "-nodes",          (char *) "-subj",
                                   (char *) "/CN=ttlock-mqtt", (char *) "-keyout",
                                   P(6, "client.key"),         (char *) "-out",
                                   P(7, "client.csr"),         NULL };
                char *cli[] = { (char *) "openssl",
                                (char *) "x509",
                                (char *) "-req",
                                (char *) "-in",
                                path[7],
                                (char *) "-CA",
                                path[1],
                                (char *) "-CAkey",
                                path[0],
                                (char *) "-CAcreateserial",
                                (char *) "-days",
                                (char *) "2",
                                (char *) "-out",
                                P(8, "client.crt"),
                                NULL };
                char *passwd[] = {
                        (char *) "mosquitto_passwd", (char *) "-c",          (char *) "-b", P(9, "passwd"),
                        (char *) "bridge",           (char *) "s3cret-Pa55", NULL
                };
                FILE *f = fopen(path[4], "we");

                ck_assert_ptr_nonnull(f);
                fputs("subjectAltName=DNS:localhost,IP:127.0.0.1\n", f);
                ck_assert_int_eq(fclose(f), 0);
                run_ok(&h, ca);
                run_ok(&h, srvreq);
                run_ok(&h, srv);
                run_ok(&h, clireq);
                run_ok(&h, cli);
                run_ok(&h, passwd);
        }
        /* mosquitto drops to its own user when started as root: it must be able to read them. */
        for (int i = 0; i < 10; i++)
                (void) chmod(path[i], 0644);
        {
                FILE *f = fopen(P(10, "password"), "we");
                ck_assert_ptr_nonnull(f);
                fputs("s3cret-Pa55\n", f);
                ck_assert_int_eq(fclose(f), 0);
                ck_assert_int_eq(chmod(path[10], 0640), 0);
        }
        snprintf(
                conf,
                sizeof(conf),
                "allow_anonymous false\npassword_file %s\ncafile %s\ncertfile %s\nkeyfile "
                "%s\nrequire_certificate true\n",
                path[9],
                path[1],
                path[5],
                path[2]);
        r = test_broker_start(d, conf, &t.broker);
        ck_assert_msg(r >= 0, "cannot start mosquitto with TLS: %s", strerror(-r));

        snprintf(
                extra,
                sizeof(extra),
                "broker = mqtts://localhost:%u\nnode-id = secure\nusername = bridge\npassword-file = %s\n"
                "ca-file = %s\ncert-file = %s\nkey-file = %s\n",
                test_broker_port(t.broker),
                path[10],
                path[1],
                path[8],
                path[6]);
        {
                FILE *f = fopen(h.conf, "we");
                ck_assert_ptr_nonnull(f);
                fputs(extra, f);
                ck_assert_int_eq(fclose(f), 0);
        }
        host_start_bridge(&h, NULL);
        /* The broker's log says who came in; the bridge's says it is connected with TLS. */
        {
                bool connected = false;
                for (int i = 0; i < 200 && !connected; i++) {
                        connected = file_contains(h.log, "(MQTT 5, TLS)");
                        if (!connected)
                                (void) usleep(100000);
                }
                ck_assert_msg(connected, "the bridge did not connect with TLS");
        }
        ck_assert(file_contains(test_broker_log(t.broker), "u'bridge'"));
        /* The password is nowhere: not in the log, not on the command line. */
        ck_assert(!file_contains(h.log, "s3cret-Pa55"));
        {
                char cmdline[64], *c;
                snprintf(cmdline, sizeof(cmdline), "/proc/%d/cmdline", (int) h.bridge_pid);
                c = read_file(cmdline);
                ck_assert_ptr_nonnull(c);
                ck_assert_ptr_null(strstr(c, "s3cret"));
                free(c);
        }
        host_stop_bridge(&h);

        /* A wrong password: refused, said so, and the bridge keeps trying without crashing. */
        {
                FILE *f = fopen(path[10], "we");
                ck_assert_ptr_nonnull(f);
                fputs("wrong-one\n", f);
                ck_assert_int_eq(fclose(f), 0);
        }
        host_start_bridge(&h, NULL);
        {
                bool refused = false;
                for (int i = 0; i < 200 && !refused; i++) {
                        refused = file_contains(h.log, "the broker refused the connection");
                        if (!refused)
                                (void) usleep(100000);
                }
                ck_assert_msg(refused, "the bridge did not report the refusal");
        }
        ck_assert_int_eq(kill(h.bridge_pid, 0), 0);
        ck_assert(!file_contains(h.log, "wrong-one"));
        host_stop_bridge(&h);

        t.broker = test_broker_free(t.broker);
        host_stop(&h);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("ttlock-mqtt");
        TCase *tc = tcase_create("bridge");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_discovery);
        tcase_add_test(tc, test_commands_and_events);
        tcase_add_test(tc, test_manage);
        tcase_add_test(tc, test_manage_every_command);
        tcase_add_test(tc, test_locks_filter_and_stale);
        tcase_add_test(tc, test_manage_off_and_pin);
        tcase_add_test(tc, test_safety);
        tcase_add_test(tc, test_restarts);
        tcase_add_test(tc, test_two_hosts);
        tcase_add_test(tc, test_v311_fallback);
        tcase_add_test(tc, test_tls_and_password);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(suite());
        int failed;

        mosquitto_lib_init();
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        mosquitto_lib_cleanup();
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
