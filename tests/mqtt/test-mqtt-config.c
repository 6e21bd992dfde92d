/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-mqtt's configuration file (src/mqtt/mqtt-config.c): every key, the defaults, and every
 * problem reported as FILE:LINE: what is wrong. Also the secret files (password, unlock PIN). */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqtt-config.h"
#include "time-util.h"

static int parse(const char *text, MqttConfig *c, char **error) {
        mqtt_config_init(c);
        return mqtt_config_parse(c, "t.conf", text, strlen(text), error);
}

START_TEST(test_defaults) {
        MqttConfig c;
        char *error = NULL;

        ck_assert_int_eq(parse("broker = mqtt://broker.lan\n", &c, &error), 0);
        ck_assert_ptr_null(error);
        ck_assert_int_eq(mqtt_config_finish(&c, "pi-kitchen.local", &error), 0);
        ck_assert_str_eq(c.host, "broker.lan");
        ck_assert_uint_eq(c.port, 1883);
        ck_assert(!c.tls);
        ck_assert_str_eq(c.base_topic, "ttlock");
        ck_assert_str_eq(c.discovery_prefix, "homeassistant");
        ck_assert(c.discovery);
        ck_assert_str_eq(c.node_id, "pi-kitchen");
        ck_assert_uint_eq(c.keepalive, 60);
        ck_assert_int_eq(c.version, MQTT_VERSION_AUTO);
        ck_assert(!c.allow_manage);
        ck_assert(!c.publish_passcodes);
        ck_assert_uint_eq(c.max_command_age_usec, 30 * USEC_PER_SEC);
        ck_assert_uint_eq(c.n_locks, 0);
        ck_assert(mqtt_config_wants_lock(&c, "AA:BB:CC:DD:EE:FF"));
        ck_assert_ptr_null(c.username);
        ck_assert_ptr_null(c.client_id);
        mqtt_config_done(&c);
}
END_TEST

START_TEST(test_every_key) {
        static const char text[] =
                "# A comment, then an empty line\n"
                "\n"
                "   broker=mqtts://[::1]:8884\r\n"
                "username = ha\n"
                "password-file = /etc/ttlockd/mqtt.password\n"
                "ca-file = /etc/ssl/ca.pem\n"
                "cert-file = /etc/ssl/c.pem\n"
                "key-file = /etc/ssl/c.key\n"
                "client-id = bridge-1\n"
                "keepalive = 15\n"
                "mqtt-version = 3.1.1\n"
                "base-topic = home/locks\n"
                "discovery = no\n"
                "discovery-prefix = ha\n"
                "node-id = Hall_1\n"
                "locks = aa:bb:cc:00:00:01, AA:BB:CC:00:00:02\n"
                "allow-manage = yes\n"
                "publish-passcodes = true\n"
                "unlock-pin-file = /etc/ttlockd/pin\n"
                "\tmax-command-age =  0  \n";
        MqttConfig c;
        char *error = NULL;

        ck_assert_int_eq(parse(text, &c, &error), 0);
        ck_assert_int_eq(mqtt_config_finish(&c, "ignored", &error), 0);
        ck_assert_str_eq(c.host, "::1");
        ck_assert_uint_eq(c.port, 8884);
        ck_assert(c.tls);
        ck_assert_str_eq(c.username, "ha");
        ck_assert_str_eq(c.password_file, "/etc/ttlockd/mqtt.password");
        ck_assert_str_eq(c.ca_file, "/etc/ssl/ca.pem");
        ck_assert_str_eq(c.cert_file, "/etc/ssl/c.pem");
        ck_assert_str_eq(c.key_file, "/etc/ssl/c.key");
        ck_assert_str_eq(c.client_id, "bridge-1");
        ck_assert_uint_eq(c.keepalive, 15);
        ck_assert_int_eq(c.version, MQTT_VERSION_311);
        ck_assert_str_eq(c.base_topic, "home/locks");
        ck_assert(!c.discovery);
        ck_assert_str_eq(c.discovery_prefix, "ha");
        ck_assert_str_eq(c.node_id, "Hall_1");
        ck_assert_uint_eq(c.n_locks, 2);
        ck_assert(mqtt_config_wants_lock(&c, "AA:BB:CC:00:00:01"));
        ck_assert(mqtt_config_wants_lock(&c, "AA:BB:CC:00:00:02"));
        ck_assert(!mqtt_config_wants_lock(&c, "AA:BB:CC:00:00:03"));
        ck_assert(c.allow_manage);
        ck_assert(c.publish_passcodes);
        ck_assert_str_eq(c.unlock_pin_file, "/etc/ttlockd/pin");
        ck_assert_uint_eq(c.max_command_age_usec, 0);
        mqtt_config_done(&c);

        ck_assert_int_eq(parse("broker = mqtts://h\nlocks = all\nmqtt-version = 5\n", &c, &error), 0);
        ck_assert_uint_eq(c.port, 8883);
        ck_assert_uint_eq(c.n_locks, 0);
        ck_assert_int_eq(c.version, MQTT_VERSION_5);
        mqtt_config_done(&c);
        /* An empty username means none. */
        ck_assert_int_eq(parse("broker = mqtt://h:1\nusername =\n", &c, &error), 0);
        ck_assert_ptr_null(c.username);
        ck_assert_uint_eq(c.port, 1);
        mqtt_config_done(&c);
}
END_TEST

static const struct {
        const char *text, *error;
} bad[] = {
        { "brokr = mqtt://h\n", "t.conf:1: unknown key \"brokr\"" },
        { "broker = mqtt://h\nbroker\n", "t.conf:2: expected \"key = value\", got \"broker\"" },
        { "broker = mqtt://h\nbroker = mqtt://i\n", "t.conf:2: broker is set twice (first on line 1)" },
        { "broker = mqtt://h\n= 1\n", "t.conf:2: a value without a key" },
        { "broker =\n", "t.conf:1: broker has no value" },
        { "broker = tcp://h\n",
          "t.conf:1: broker must be mqtt://HOST[:PORT] or mqtts://HOST[:PORT], not \"tcp://h\"" },
        { "broker = mqtt://\n", "t.conf:1: broker \"mqtt://\" names no host" },
        { "broker = mqtt://h:0\n",
          "t.conf:1: the broker's port must be a number from 1 to 65535, not \"0\"" },
        { "broker = mqtt://h:70000\n",
          "t.conf:1: the broker's port must be a number from 1 to 65535, not \"70000\"" },
        { "broker = mqtt://h:x\n",
          "t.conf:1: the broker's port must be a number from 1 to 65535, not \"x\"" },
        { "broker = mqtt://[::1\n",
          "t.conf:1: broker \"mqtt://[::1\": an IPv6 address needs its closing \"]\"" },
        { "broker = mqtt://h h\n",
          "t.conf:1: broker \"mqtt://h h\": \"h h\" is not a host name or address" },
        { "broker = mqtt://h\nkeepalive = 3\n",
          "t.conf:2: keepalive must be a number from 5 to 65535, not \"3\"" },
        { "broker = mqtt://h\nkeepalive = 060\n",
          "t.conf:2: keepalive must be a number from 5 to 65535, not \"060\"" },
        { "broker = mqtt://h\nallow-manage = maybe\n",
          "t.conf:2: allow-manage must be yes or no, not \"maybe\"" },
        { "broker = mqtt://h\nmqtt-version = 4\n",
          "t.conf:2: mqtt-version must be auto, 5 or 3.1.1, not \"4\"" },
        { "broker = mqtt://h\nusername = u\npassword-file = secret.txt\n",
          "t.conf:3: password-file must be an absolute path, not \"secret.txt\"" },
        { "broker = mqtt://h\nlocks = aa:bb\n",
          "t.conf:2: locks: \"aa:bb\" is not a Bluetooth address (AA:BB:CC:DD:EE:FF)" },
        { "broker = mqtt://h\nlocks = AA:BB:CC:00:00:01 aa:bb:cc:00:00:01\n",
          "t.conf:2: locks names AA:BB:CC:00:00:01 twice" },
        { "broker = mqtt://h\nlocks = ,\n", "t.conf:2: locks is empty; say \"all\" or list addresses" },
        { "broker = mqtt://h\nnode-id = my host\n",
          "t.conf:2: node-id \"my host\" must be 1 to 64 of the characters a-z, A-Z, 0-9, \"_\" and \"-\"" },
        { "broker = mqtt://h\nbase-topic = home/#\n",
          "t.conf:2: base-topic \"home/#\" contains a wildcard (\"+\" or \"#\")" },
        { "broker = mqtt://h\nbase-topic = /home\n",
          "t.conf:2: base-topic \"/home\" has an empty level (a \"/\" at the start, at the end or twice)" },
        { "broker = mqtt://h\ndiscovery-prefix = $SYS\n",
          "t.conf:2: discovery-prefix \"$SYS\" starts with \"$\", which is the broker's" },
        { "broker = mqtt://h\nclient-id = a/b\n",
          "t.conf:2: client-id \"a/b\" must be printable, without spaces, \"/\", \"+\" or \"#\"" },
        { "broker = mqtt://h\nmax-command-age = 86401\n",
          "t.conf:2: max-command-age must be a number from 0 to 86400, not \"86401\"" },
        { "broker = mqtt://h\nca-file = /ca.pem\n", "t.conf:2: ca-file needs an mqtts:// broker (line 1)" },
        { "broker = mqtts://h\ncert-file = /c.pem\n", "t.conf:2: cert-file needs key-file as well" },
        { "broker = mqtt://h\npassword-file = /p\n", "t.conf:2: password-file needs a username" },
        { "broker = mqtt://h\npublish-passcodes = yes\n",
          "t.conf:2: publish-passcodes only matters with allow-manage = yes" },
        { "# nothing\n", "t.conf: no broker is set (broker = mqtt://HOST[:PORT])" },
        { "broker = mqtt://h\nusername = a\x01b\n", "t.conf:2: contains a control character" },
        { "broker = mqtt://h\nusername = \xc3\x28\n", "t.conf:2: is not valid UTF-8" },
};

START_TEST(test_errors) {
        MqttConfig c;
        char *error = NULL;

        ck_assert_int_eq(parse(bad[_i].text, &c, &error), -EINVAL);
        ck_assert_ptr_nonnull(error);
        ck_assert_str_eq(error, bad[_i].error);
        free(error);
        mqtt_config_done(&c);
}
END_TEST

START_TEST(test_errors_binary) {
        MqttConfig c;
        char *error = NULL, *big;
        static const char nul[] = "broker = mqtt://h\nusername = a\0b\n";

        mqtt_config_init(&c);
        ck_assert_int_eq(mqtt_config_parse(&c, "t.conf", nul, sizeof(nul) - 1, &error), -EINVAL);
        ck_assert_str_eq(error, "t.conf:2: contains a NUL byte");
        free(error);
        mqtt_config_done(&c);

        big = malloc(MQTT_CONFIG_MAX_LINE + 100);
        ck_assert_ptr_nonnull(big);
        memset(big, 'x', MQTT_CONFIG_MAX_LINE + 99);
        big[MQTT_CONFIG_MAX_LINE + 99] = 0;
        ck_assert_int_eq(parse(big, &c, &error), -EINVAL);
        ck_assert_str_eq(error, "t.conf:1: line longer than 4096 characters");
        free(error);
        free(big);
        mqtt_config_done(&c);
}
END_TEST

START_TEST(test_load) {
        char dir[] = "/tmp/test-mqtt-config-XXXXXX", path[300], *error = NULL;
        MqttConfig c;
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/mqtt.conf", dir);
        mqtt_config_init(&c);
        ck_assert_int_eq(mqtt_config_load(&c, path, &error), -ENOENT);
        ck_assert_ptr_nonnull(strstr(error, "mqtt.conf: cannot read: "));
        free(error);
        mqtt_config_done(&c);

        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs("broker = mqtt://h\n\nnode-id = bad id\n", f);
        ck_assert_int_eq(fclose(f), 0);
        mqtt_config_init(&c);
        ck_assert_int_eq(mqtt_config_load(&c, path, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "/mqtt.conf:3: node-id \"bad id\""));
        ck_assert_int_eq(strncmp(error, path, strlen(path)), 0);
        free(error);
        mqtt_config_done(&c);

        /* Larger than 64 KiB: refused before parsing. */
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        for (unsigned i = 0; i < MQTT_CONFIG_MAX_SIZE / 10 + 1; i++)
                fputs("# comment\n", f);
        ck_assert_int_eq(fclose(f), 0);
        mqtt_config_init(&c);
        ck_assert_int_eq(mqtt_config_load(&c, path, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "larger than 65536 bytes"));
        free(error);
        mqtt_config_done(&c);

        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_node_id) {
        char *s;

        s = mqtt_node_id_from_hostname("pi-kitchen.local");
        ck_assert_str_eq(s, "pi-kitchen");
        free(s);
        s = mqtt_node_id_from_hostname("Weird+Host");
        ck_assert_str_eq(s, "Weird_Host");
        free(s);
        ck_assert_ptr_null(mqtt_node_id_from_hostname(""));
        ck_assert_ptr_null(mqtt_node_id_from_hostname(".local"));
        s = mqtt_node_id_from_hostname(
                "0123456789012345678901234567890123456789012345678901234567890123456789");
        ck_assert_uint_eq(strlen(s), MQTT_NODE_ID_MAX);
        free(s);
}
END_TEST

static void write_file(const char *path, const char *content, size_t n, mode_t mode) {
        FILE *f = fopen(path, "we");

        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(content, 1, n, f), n);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_secret_file) {
        char dir[] = "/tmp/test-mqtt-secret-XXXXXX", path[300], *s = NULL, *error = NULL, big[2000];
        bool world = true;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/secret", dir);

        write_file(path, "hunter2\n", 8, 0600);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), 0);
        ck_assert_str_eq(s, "hunter2");
        ck_assert(!world);
        free(s);

        write_file(path, "hunter2\r\n", 9, 0644);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), 0);
        ck_assert_str_eq(s, "hunter2");
        ck_assert(world);
        free(s);

        write_file(path, "", 0, 0600);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), -EINVAL);
        ck_assert_str_eq(error + strlen(dir), "/secret: is empty");
        free(error);

        /* The message names the problem, never the content. */
        write_file(path, "hunter2\nhunter3\n", 16, 0600);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "more than one line"));
        ck_assert_ptr_null(strstr(error, "hunter"));
        free(error);

        memset(big, 'a', sizeof(big));
        write_file(path, big, sizeof(big), 0600);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "longer than 1024 bytes"));
        free(error);

        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(mqtt_read_secret_file(path, &s, &world, &error), -ENOENT);
        free(error);
        ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("mqtt-config");
        TCase *tc = tcase_create("config");

        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_every_key);
        tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
        tcase_add_test(tc, test_errors_binary);
        tcase_add_test(tc, test_load);
        tcase_add_test(tc, test_node_id);
        tcase_add_test(tc, test_secret_file);
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
