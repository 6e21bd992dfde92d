/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ttlock-mqtt's polkit rule (data/ttlock-mqtt.rules.in) with the real polkitd: the bridge runs as
 * another user (nobody, with its primary group only, as setpriv --clear-groups leaves it), and the
 * rule is configured for that user and for a group it is, or is not, in. Without the rule the
 * user may not even unlock; with it, it may; management needs the group as well.
 *
 * Not parallel: while a rule granting nobody the lock actions sits in /etc/polkit-1/rules.d,
 * another test's check that nobody is refused would fail. Needs root, as CI runs it. */

#include <check.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqtt-world.h"

typedef struct Env {
        char dir[256];
        TestBroker *broker;
        Observer *obs;
        Host h;
} Env;

/* A host with one paired lock, the rule file (or none) installed before polkitd starts, and the
 * bridge running as nobody. */
static void start(Env *e, const char *rules) {
        const char *locks[] = { "mac=" LOCK1_ADDRESS, NULL };
        char tmpl[] = "/tmp/ttlock-mqtt-polkit-XXXXXX";
        const Observed *m;

        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        ck_assert_int_eq(chmod(tmpl, 0755), 0);
        snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
        ck_assert_int_eq(test_broker_start(e->dir, NULL, &e->broker), 0);
        ck_assert_int_eq(observer_new(test_broker_port(e->broker), "#", &e->obs), 0);

        host_start(&e->h, "polkit", locks);
        if (rules)
                ck_assert_int_ge(test_bus_install_polkit_rules(e->h.bus, env_path(rules)), 0);
        host_pair(&e->h, LOCK1_ADDRESS);
        host_write_config(&e->h, test_broker_port(e->broker), "allow-manage = yes");
        host_start_bridge(&e->h, "nobody");
        ck_assert(observer_wait_value(e->obs, T(&e->h, "status"), "online", TIMEOUT));
        m = observer_wait_for(e->obs, 0, T(&e->h, LOCK1_ID "/state"), "locked", TIMEOUT);
        ck_assert_ptr_nonnull(m);
}

static void stop(Env *e) {
        char cmd[400];

        host_stop_bridge(&e->h);
        host_stop(&e->h);
        e->obs = observer_free(e->obs);
        e->broker = test_broker_free(e->broker);
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", e->dir);
        (void) !system(cmd);
}

/* Publish a command and return its answer (a copy; free()). */
static char *ask(Env *e, const char *leaf, const char *payload, const char *command) {
        char topic[128], needle[64];
        size_t mark = observer_count(e->obs);
        const Observed *m;

        snprintf(topic, sizeof(topic), "%s/%s", LOCK1_ID, leaf);
        snprintf(needle, sizeof(needle), "\"command\":\"%s\"", command);
        ck_assert_int_eq(observer_publish_string(e->obs, T(&e->h, topic), payload), 0);
        m = observer_wait_for(e->obs, mark, T(&e->h, LOCK1_ID "/result"), needle, TIMEOUT);
        ck_assert_msg(m, "no answer to %s", command);
        return strdup(m->payload);
}

static bool refused_by_polkit(const char *answer) {
        return strstr(answer, "org.freedesktop.DBus.Error.AccessDenied") ||
               strstr(answer, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
}

START_TEST(test_no_rule) {
        Env e = {};
        char *a;

        /* Without the rule, nobody may not even unlock: the rule is what grants it. */
        start(&e, NULL);
        a = ask(&e, "command", CMD("UNLOCK", NULL), "UNLOCK");
        ck_assert_msg(refused_by_polkit(a), "%s", a);
        free(a);
        ck_assert(host_sim_locked(&e.h, LOCK1_ADDRESS));
        stop(&e);
}
END_TEST

START_TEST(test_operate_not_manage) {
        Env e = {};
        char *a;

        /* The bridge's user, not in the management group: it operates, it does not manage. */
        start(&e, "TTLOCK_MQTT_RULES_OPERATE");
        a = ask(&e, "command", CMD("UNLOCK", NULL), "UNLOCK");
        ck_assert_msg(strstr(a, "\"result\":\"ok\""), "%s", a);
        free(a);
        ck_assert(!host_sim_locked(&e.h, LOCK1_ADDRESS));
        a = ask(&e, "manage", CMD("list-passcodes", NULL), "list-passcodes");
        ck_assert_msg(refused_by_polkit(a), "%s", a);
        free(a);
        stop(&e);
}
END_TEST

START_TEST(test_operate_and_manage) {
        Env e = {};
        char *a;

        /* … and in the group: both. */
        start(&e, "TTLOCK_MQTT_RULES_MANAGE");
        a = ask(&e, "command", CMD("UNLOCK", NULL), "UNLOCK");
        ck_assert_msg(strstr(a, "\"result\":\"ok\""), "%s", a);
        free(a);
        a = ask(&e, "manage", CMD("add-passcode", ",\"code\":\"246810\""), "add-passcode");
        ck_assert_msg(strstr(a, "\"result\":\"ok\""), "%s", a);
        free(a);
        a = ask(&e, "manage", CMD("list-passcodes", NULL), "list-passcodes");
        ck_assert_msg(strstr(a, "\"result\":\"ok\"") && strstr(a, "\"kind\":\"permanent\""), "%s", a);
        free(a);
        stop(&e);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("ttlock-mqtt-polkit");
        TCase *tc = tcase_create("polkit");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_no_rule);
        tcase_add_test(tc, test_operate_not_manage);
        tcase_add_test(tc, test_operate_and_manage);
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
