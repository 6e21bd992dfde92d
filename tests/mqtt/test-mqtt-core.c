/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-mqtt's pure parts: addresses and ids, topics, times, the checks every command goes
 * through (form, size, age), and which discovery entities a lock gets. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqtt-command.h"
#include "mqtt-config.h"
#include "mqtt-discovery.h"
#include "mqtt-lock.h"
#include "mqtt-topics.h"
#include "mqtt-util.h"
#include "time-util.h"

START_TEST(test_addresses) {
        char a[BT_ADDRESS_SIZE], id[MQTT_LOCK_ID_LEN + 1];

        ck_assert_int_eq(bt_address_normalize("aa:bb:cc:0d:ee:ff", a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:0D:EE:FF");
        ck_assert_int_eq(bt_address_normalize("aa:bb:cc:0d:ee", a), -EINVAL);
        ck_assert_int_eq(bt_address_normalize("aa-bb-cc-0d-ee-ff", a), -EINVAL);
        ck_assert_int_eq(bt_address_normalize("gg:bb:cc:0d:ee:ff", a), -EINVAL);

        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA_BB_CC_00_00_01", a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:00:00:01");
        /* One lock, one path, in upper case (dbus/org.ttlock.Lock1.xml): lower case is not it. */
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/aa_bb_cc_00_00_01", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Manager", a), -EINVAL);
        ck_assert_int_eq(lock_path_to_address("/org/ttlock/Lock/AA_BB_CC_00_00_01/x", a), -EINVAL);

        mqtt_lock_id("AA:BB:CC:00:00:01", id);
        ck_assert_str_eq(id, "aabbcc000001");
}
END_TEST

START_TEST(test_strings) {
        ck_assert_ptr_null(mqtt_topic_prefix_problem("ttlock"));
        ck_assert_ptr_null(mqtt_topic_prefix_problem("home/locks"));
        ck_assert_ptr_nonnull(mqtt_topic_prefix_problem(""));
        ck_assert_ptr_nonnull(mqtt_topic_prefix_problem("a/+/b"));
        ck_assert_ptr_nonnull(mqtt_topic_prefix_problem("a//b"));
        ck_assert_ptr_nonnull(mqtt_topic_prefix_problem("a/"));
        ck_assert_ptr_nonnull(mqtt_topic_prefix_problem("$SYS"));

        ck_assert(mqtt_node_id_valid("hall-1_A"));
        ck_assert(!mqtt_node_id_valid("hall 1"));
        ck_assert(!mqtt_node_id_valid("hall.1"));
        ck_assert(!mqtt_node_id_valid(""));

        ck_assert(mqtt_utf8_valid("Tür ✓ 🔑", strlen("Tür ✓ 🔑")));
        ck_assert(!mqtt_utf8_valid("\xc0\xaf", 2));         /* overlong "/" */
        ck_assert(!mqtt_utf8_valid("\xed\xa0\x80", 3));     /* a surrogate */
        ck_assert(!mqtt_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
        ck_assert(!mqtt_utf8_valid("\xe2\x9c", 2));         /* cut short */

        ck_assert(mqtt_secret_equal("8642", "8642"));
        ck_assert(!mqtt_secret_equal("864", "8642"));
        ck_assert(!mqtt_secret_equal("86420", "8642"));
        ck_assert(!mqtt_secret_equal("8643", "8642"));
        ck_assert(!mqtt_secret_equal("", "8642"));
}
END_TEST

START_TEST(test_iso8601) {
        char buf[MQTT_ISO8601_LEN + 1];

        /* UTC whatever the local zone. */
        ck_assert_int_eq(setenv("TZ", "Asia/Kathmandu", 1), 0);
        tzset();
        ck_assert_int_eq(mqtt_format_iso8601(UINT64_C(1707294116) * USEC_PER_SEC + 999999, buf), 0);
        ck_assert_str_eq(buf, "2024-02-07T08:21:56+00:00");
        ck_assert_int_eq(mqtt_format_iso8601(0, buf), -EINVAL);
}
END_TEST

START_TEST(test_ratelimit) {
        RateLimit rl = { .interval_usec = 10 * USEC_PER_SEC, .burst = 3 };

        for (int i = 0; i < 3; i++)
                ck_assert(ratelimit_below(&rl, 1000 + (uint64_t) i));
        ck_assert(!ratelimit_below(&rl, 2000));
        ck_assert_uint_eq(rl.suppressed, 1);
        ck_assert(ratelimit_below(&rl, 1000 + 10 * USEC_PER_SEC));
}
END_TEST

static MqttConfig config(bool allow_manage) {
        MqttConfig c;
        char *error = NULL;
        const char *text = allow_manage ? "broker = mqtt://h\nnode-id = hall\nallow-manage = yes\n"
                                        : "broker = mqtt://h\nnode-id = hall\n";

        mqtt_config_init(&c);
        ck_assert_int_eq(mqtt_config_parse(&c, "t.conf", text, strlen(text), &error), 0);
        ck_assert_int_eq(mqtt_config_finish(&c, NULL, &error), 0);
        return c;
}

START_TEST(test_topics) {
        MqttConfig c = config(false);
        char level[TOPIC_LEVEL_MAX + 1], *t;

        t = topic_lock(&c, "aabbcc000001", TOPIC_STATE);
        ck_assert_str_eq(t, "ttlock/hall/aabbcc000001/state");
        free(t);
        t = topic_bridge(&c, TOPIC_STATUS);
        ck_assert_str_eq(t, "ttlock/hall/status");
        free(t);
        t = topic_ha_status(&c);
        ck_assert_str_eq(t, "homeassistant/status");
        free(t);

        ck_assert_int_eq(topic_classify(&c, "homeassistant/status", level), TOPIC_KIND_HA_STATUS);
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall/manage", level), TOPIC_KIND_BRIDGE_MANAGE);
        ck_assert_int_eq(
                topic_classify(&c, "ttlock/hall/aabbcc000001/command", level), TOPIC_KIND_LOCK_COMMAND);
        ck_assert_str_eq(level, "aabbcc000001");
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall/frontdoor/manage", level), TOPIC_KIND_LOCK_MANAGE);
        ck_assert_str_eq(level, "frontdoor");
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall/aabbcc000001/info", level), TOPIC_KIND_LOCK_INFO);
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall/aabbcc000001/state", level), TOPIC_KIND_OTHER);
        ck_assert_int_eq(topic_classify(&c, "ttlock/other/aabbcc000001/command", level), TOPIC_KIND_OTHER);
        ck_assert_int_eq(topic_classify(&c, "ttlock/hallway/aabbcc000001/command", level), TOPIC_KIND_OTHER);
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall//command", level), TOPIC_KIND_OTHER);
        ck_assert_int_eq(topic_classify(&c, "ttlock/hall/a/b/command", level), TOPIC_KIND_OTHER);
        mqtt_config_done(&c);
}
END_TEST

static const char *const plain[] = { "LOCK", "UNLOCK", "REFRESH", NULL };

static int parse(const char *payload, Command *c, char **error) {
        return command_parse(payload, strlen(payload), plain, c, error);
}

START_TEST(test_command_parse) {
        Command c = {};
        char *error = NULL;
        const char *s;
        uint64_t u;
        bool b;

        ck_assert_int_eq(parse("UNLOCK", &c, &error), 0);
        ck_assert_str_eq(c.name, "UNLOCK");
        ck_assert_ptr_null(c.root);
        ck_assert(!c.has_timestamp);
        command_done(&c);
        ck_assert_int_eq(parse("  LOCK\r\n", &c, &error), 0);
        ck_assert_str_eq(c.name, "LOCK");
        command_done(&c);

        ck_assert_int_eq(
                parse("{\"command\":\"UNLOCK\",\"id\":\"a1\",\"timestamp\":1700000000.25,\"code\":\"8642\"}",
                      &c,
                      &error),
                0);
        ck_assert_str_eq(c.name, "UNLOCK");
        ck_assert_str_eq(json_object_get_string(c.id), "a1");
        ck_assert(c.has_timestamp);
        ck_assert(c.timestamp == 1700000000.25);
        ck_assert_str_eq(c.code, "8642");
        command_done(&c);

        ck_assert_int_eq(
                parse("{\"command\":\"set-auto-lock\",\"seconds\":30.0,\"value\":\"ON\",\"name\":\"x\","
                      "\"id\":7}",
                      &c,
                      &error),
                0);
        ck_assert_int_eq(json_object_get_int(c.id), 7);
        ck_assert_int_eq(command_get_uint(&c, "seconds", 0, 65534, &u, &error), 0);
        ck_assert_uint_eq(u, 30);
        ck_assert_int_eq(command_get_bool(&c, "value", &b, &error), 0);
        ck_assert(b);
        ck_assert_int_eq(command_get_string(&c, "name", 8, &s, &error), 0);
        ck_assert_str_eq(s, "x");
        ck_assert_int_eq(command_get_string(&c, "absent", 8, &s, &error), -ENOENT);
        ck_assert_int_eq(command_get_uint(&c, "seconds", 31, 40, &u, &error), -EINVAL);
        ck_assert_str_eq(error, "\"seconds\" must be a whole number from 31 to 40");
        free(error);
        ck_assert_int_eq(command_get_bool(&c, "name", &b, &error), -EINVAL);
        free(error);
        ck_assert_int_eq(command_get_string(&c, "seconds", 8, &s, &error), -EINVAL);
        free(error);
        {
                static const char *const allowed[] = { "seconds", "value", NULL };
                ck_assert_int_eq(command_check_keys(&c, allowed, &error), -EINVAL);
                ck_assert_str_eq(error, "unknown key \"name\" for set-auto-lock");
                free(error);
        }
        command_done(&c);

        ck_assert_int_eq(parse("{\"command\":\"x\",\"t\":1.5}", &c, &error), 0);
        ck_assert_int_eq(command_get_uint(&c, "t", 0, 10, &u, &error), -EINVAL);
        free(error);
        command_done(&c);
        ck_assert_int_eq(parse("{\"command\":\"x\",\"from\":1893456000}", &c, &error), 0);
        ck_assert_int_eq(command_get_time_usec(&c, "from", &u, &error), 0);
        ck_assert_uint_eq(u, UINT64_C(1893456000) * USEC_PER_SEC);
        command_done(&c);
}
END_TEST

static const struct {
        const char *payload;
        int r;
        const char *error;
} bad_commands[] = {
        { "", -EINVAL, "the command is empty" },
        { "OPEN", -EINVAL, "not a command (expected LOCK, UNLOCK, REFRESH or a JSON object)" },
        { "unlock", -EINVAL, "not a command (expected LOCK, UNLOCK, REFRESH or a JSON object)" },
        { "{", -EINVAL, "not valid JSON: it ends early" },
        { "{\"command\":\"UNLOCK\"} x", -EINVAL, "not valid JSON: unexpected character" },
        { "[\"UNLOCK\"]", -EINVAL, "not a command (expected LOCK, UNLOCK, REFRESH or a JSON object)" },
        { "{\"command\":1}", -EINVAL, "\"command\" is missing or not a string" },
        { "{\"id\":1}", -EINVAL, "\"command\" is missing or not a string" },
        { "{\"command\":\"un lock\"}", -EINVAL, "\"command\" is not a command name" },
        { "{\"command\":\"UNLOCK\",\"id\":[1]}", -EINVAL, "\"id\" must be a string or an integer" },
        { "{\"command\":\"UNLOCK\",\"timestamp\":\"now\"}",
          -EINVAL,
          "\"timestamp\" must be a number (Unix seconds)" },
        { "{\"command\":\"UNLOCK\",\"timestamp\":-5}",
          -EINVAL,
          "\"timestamp\" is not a time in Unix seconds" },
        { "{\"command\":\"UNLOCK\",\"code\":8642}", -EINVAL, "\"code\" must be a string" },
        { "{\"a\":[[[[[[[[[[1]]]]]]]]]]}", -EINVAL, "the JSON is nested deeper than 8 levels" },
};

START_TEST(test_command_bad) {
        Command c = {};
        char *error = NULL;

        ck_assert_int_eq(parse(bad_commands[_i].payload, &c, &error), bad_commands[_i].r);
        ck_assert_msg(
                error && strcmp(error, bad_commands[_i].error) == 0,
                "%s: got \"%s\"",
                bad_commands[_i].payload,
                error);
        ck_assert_ptr_null(c.root);
        free(error);
}
END_TEST

START_TEST(test_command_binary) {
        static const char nul[] = "{\"command\":\"UNLOCK\"\0}";
        Command c = {};
        char *error = NULL, *big;

        ck_assert_int_eq(command_parse(nul, sizeof(nul) - 1, plain, &c, &error), -EINVAL);
        ck_assert_str_eq(error, "the command is not UTF-8 text");
        free(error);
        ck_assert_int_eq(command_parse("\xff", 1, plain, &c, &error), -EINVAL);
        free(error);
        big = calloc(1, MQTT_COMMAND_MAX_SIZE + 2);
        ck_assert_ptr_nonnull(big);
        memset(big, ' ', MQTT_COMMAND_MAX_SIZE + 1);
        ck_assert_int_eq(command_parse(big, MQTT_COMMAND_MAX_SIZE + 1, plain, &c, &error), -EFBIG);
        free(error);
        free(big);
        /* Manage topics take JSON only. */
        ck_assert_int_eq(command_parse("UNLOCK", 6, NULL, &c, &error), -EINVAL);
        ck_assert_str_eq(error, "expected a JSON object with a \"command\"");
        free(error);
}
END_TEST

START_TEST(test_command_age) {
        const uint64_t now = UINT64_C(1800000000) * USEC_PER_SEC, max = 30 * USEC_PER_SEC;
        Command c = {};
        char *error = NULL;

        /* No limit: anything goes. */
        ck_assert_int_eq(parse("UNLOCK", &c, &error), 0);
        ck_assert_int_eq(command_check_age(&c, -1, 0, now, &error), 0);
        /* A limit and nothing to tell the age: refused. */
        ck_assert_int_eq(command_check_age(&c, -1, max, now, &error), -ESTALE);
        ck_assert_ptr_nonnull(strstr(error, "no \"timestamp\" and no MQTT 5 message expiry"));
        free(error);
        /* MQTT 5 expiry: at most the limit. */
        ck_assert_int_eq(command_check_age(&c, 30, max, now, &error), 0);
        ck_assert_int_eq(command_check_age(&c, 0, max, now, &error), 0);
        ck_assert_int_eq(command_check_age(&c, 31, max, now, &error), -ESTALE);
        ck_assert_ptr_nonnull(strstr(error, "longer than max-command-age"));
        free(error);
        command_done(&c);

        ck_assert_int_eq(parse("{\"command\":\"UNLOCK\",\"timestamp\":1799999975}", &c, &error), 0);
        ck_assert_int_eq(command_check_age(&c, -1, max, now, &error), 0);
        ck_assert_int_eq(command_check_age(&c, -1, max, now + 6 * USEC_PER_SEC, &error), -ESTALE);
        ck_assert_str_eq(error, "the command was sent 31 s ago, more than max-command-age (30 s)");
        free(error);
        /* Both given: both must hold. */
        ck_assert_int_eq(command_check_age(&c, 60, max, now, &error), -ESTALE);
        free(error);
        /* From a clock far ahead. */
        ck_assert_int_eq(command_check_age(&c, -1, max, now - 60 * USEC_PER_SEC, &error), -ESTALE);
        ck_assert_ptr_nonnull(strstr(error, "ahead of this host's clock"));
        free(error);
        command_done(&c);
}
END_TEST

/* A paired lock with every feature the Settings1 switches need. */
static Lock *full_lock(void) {
        static const char *const features[] = { "passcode",     "ic-card",      "fingerprint",
                                                "auto-lock",    "audio",        "remote-unlock",
                                                "tamper-alert", "privacy-lock", "reset-button" };
        Lock *l;

        ck_assert_int_eq(lock_new("/org/ttlock/Lock/AA_BB_CC_00_00_01", &l), 0);
        l->has_lock1 = l->has_credentials = l->has_settings = true;
        l->paired = true;
        l->alias = strdup("Front door");
        l->model = strdup("S202F");
        l->features = calloc(ELEMENTSOF(features), sizeof(char *));
        for (size_t i = 0; i < ELEMENTSOF(features); i++)
                l->features[i] = strdup(features[i]);
        l->n_features = ELEMENTSOF(features);
        return l;
}

static bool applies(const DiscoveryContext *d, const Lock *l, Entity e) {
        json_object *o = NULL;

        ck_assert_int_ge(discovery_payload(d, l, e, &o), 0);
        json_object_put(o);
        return o != NULL;
}

START_TEST(test_discovery_entities) {
        MqttConfig on = config(true), off = config(false);
        DiscoveryContext d_on = { .config = &on }, d_off = { .config = &off };
        Lock *l = full_lock();

        for (Entity e = 0; e < _ENTITY_MAX; e++)
                ck_assert_msg(applies(&d_on, l, e) == (e != ENTITY_PAIR), "entity %d", e);
        /* Without management: nothing that changes settings. */
        for (Entity e = 0; e < _ENTITY_MAX; e++)
                ck_assert_msg(
                        applies(&d_off, l, e) == (e < ENTITY_AUTO_LOCK || e == ENTITY_REFRESH),
                        "entity %d",
                        e);
        /* Without the feature bits: no switch, no auto-lock. */
        for (size_t i = 0; i < l->n_features; i++)
                free(l->features[i]);
        l->n_features = 0;
        for (Entity e = ENTITY_AUTO_LOCK; e <= ENTITY_RESET_BUTTON; e++)
                ck_assert(!applies(&d_on, l, e));
        ck_assert(applies(&d_on, l, ENTITY_LOCK));
        /* Unpaired: nothing, unless seen pairable in our discovery: then only the Pair button. */
        l->paired = false;
        l->has_credentials = l->has_settings = false;
        for (Entity e = 0; e < _ENTITY_MAX; e++)
                ck_assert(!applies(&d_on, l, e));
        l->pairable = l->seen_in_our_discovery = true;
        for (Entity e = 0; e < _ENTITY_MAX; e++)
                ck_assert(applies(&d_on, l, e) == (e == ENTITY_PAIR));
        ck_assert(!applies(&d_off, l, ENTITY_PAIR));
        lock_free(l);
        mqtt_config_done(&on);
        mqtt_config_done(&off);
}
END_TEST

START_TEST(test_discovery_payloads) {
        MqttConfig c = config(true);
        DiscoveryContext d = { .config = &c }, pin = { .config = &c, .have_pin = true, .pin_numeric = true };
        Lock *l = full_lock();
        json_object *o = NULL, *v;
        char *t;

        t = discovery_topic(&d, ENTITY_BATTERY, l->id);
        ck_assert_str_eq(t, "homeassistant/sensor/ttlock_hall/aabbcc000001_battery/config");
        free(t);
        t = discovery_bridge_topic(&d, BRIDGE_ENTITY_DAEMON);
        ck_assert_str_eq(t, "homeassistant/binary_sensor/ttlock_hall/bridge_daemon/config");
        free(t);

        ck_assert_int_eq(discovery_payload(&d, l, ENTITY_LOCK, &o), 1);
        ck_assert(json_object_object_get_ex(o, "name", &v) && v == NULL);
        ck_assert(json_object_object_get_ex(o, "unique_id", &v));
        ck_assert_str_eq(json_object_get_string(v), "ttlock_hall_aabbcc000001_lock");
        ck_assert(json_object_object_get_ex(o, "device", &v));
        ck_assert(json_object_object_get_ex(v, "name", &v));
        ck_assert_str_eq(json_object_get_string(v), "Front door");
        ck_assert(!json_object_object_get_ex(o, "code_format", NULL));
        ck_assert(!json_object_object_get_ex(o, "platform", NULL));
        json_object_put(o);

        ck_assert_int_eq(discovery_payload(&pin, l, ENTITY_LOCK, &o), 1);
        ck_assert(json_object_object_get_ex(o, "code_format", &v));
        ck_assert_str_eq(json_object_get_string(v), "^\\d+$");
        json_object_put(o);

        ck_assert_int_eq(discovery_payload(&d, l, ENTITY_SOUND, &o), 1);
        ck_assert(json_object_object_get_ex(o, "command_template", &v));
        ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "\"command\":\"set-sound\""));
        ck_assert(json_object_object_get_ex(o, "state_topic", &v));
        ck_assert_str_eq(json_object_get_string(v), "ttlock/hall/aabbcc000001/sound");
        json_object_put(o);

        ck_assert_str_eq(discovery_event_type("unlocked"), "unlocked");
        ck_assert_str_eq(discovery_event_type("door-left-open"), "door-left-open");
        ck_assert_str_eq(discovery_event_type("something-new"), "other");

        ck_assert_int_eq(discovery_bridge_payload(&d, BRIDGE_ENTITY_DISCOVER, &o), 1);
        json_object_put(o);
        lock_free(l);
        mqtt_config_done(&c);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("mqtt-core");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_addresses);
        tcase_add_test(tc, test_strings);
        tcase_add_test(tc, test_iso8601);
        tcase_add_test(tc, test_ratelimit);
        tcase_add_test(tc, test_topics);
        tcase_add_test(tc, test_command_parse);
        tcase_add_loop_test(tc, test_command_bad, 0, ELEMENTSOF(bad_commands));
        tcase_add_test(tc, test_command_binary);
        tcase_add_test(tc, test_command_age);
        tcase_add_test(tc, test_discovery_entities);
        tcase_add_test(tc, test_discovery_payloads);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
