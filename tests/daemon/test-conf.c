/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ttlockd.conf (src/daemon/store/conf.c): a complete file, every mistake refused with its line and a
 * reason, the bounds, the adapter list's semantics, and PSK files: only root's own, only a key, and never
 * a byte of it in a message. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define KEY "Qo4+Lp1c7Vb2Xy9ZtRk0WmHa3Ns6Ud8Fe5Gj7Ki1Ol0="

static Conf *parse_ok(const char *text) {
        char error[CONF_ERROR_MAX];
        Conf *c = NULL;
        int r;

        r = conf_parse(text, strlen(text), "t.conf", &c, error, sizeof(error));
        ck_assert_msg(r >= 0, "refused: %s", error);
        return c;
}

/* Refused, with "t.conf:LINE: " and want in the message. */
static void parse_bad(const char *text, unsigned line, const char *want) {
        char error[CONF_ERROR_MAX], prefix[32];
        Conf *c = NULL;
        int r;

        r = conf_parse(text, strlen(text), "t.conf", &c, error, sizeof(error));
        ck_assert_msg(r < 0, "accepted: %s", text);
        ck_assert_ptr_null(c);
        snprintf(prefix, sizeof(prefix), "t.conf:%u: ", line);
        ck_assert_msg(
                strncmp(error, prefix, strlen(prefix)) == 0 && strstr(error, want),
                "want %s…%s, got %s",
                prefix,
                want,
                error);
}

START_TEST(test_complete_file) {
        Conf *c = parse_ok(
                "# a comment\n"
                "; another\n"
                "\n"
                "[Bluetooth]\n"
                "Adapters = hci0 hci1\n"
                "Adapters=hci3\n"
                "[Proxy]\n"
                "Name=porch\n"
                "Host=192.168.1.40\r\n"
                "\n"
                "[Proxy]\n"
                "  Name  =  garage-2  \n"
                "Host=garage.local\n"
                "Port=16053\n"
                "PSKFile=/etc/ttlockd/garage.psk\n"
                "[Lock]\n"
                "Address=aa:bb:cc:dd:ee:ff\n"
                "Radio=garage-2\n"
                "[Lock]\n"
                "Radio=hci0\n"
                "Address=11:22:33:44:55:66");

        ck_assert_uint_eq(c->n_adapters, 3);
        ck_assert(conf_adapter_allowed(c, "hci1"));
        ck_assert(conf_adapter_allowed(c, "hci3"));
        ck_assert(!conf_adapter_allowed(c, "hci2"));
        ck_assert_uint_eq(c->n_proxies, 2);
        ck_assert_str_eq(c->proxies[0].name, "porch");
        ck_assert_str_eq(c->proxies[0].host, "192.168.1.40");
        ck_assert_uint_eq(c->proxies[0].port, 6053);
        ck_assert_ptr_null(c->proxies[0].psk_file);
        ck_assert_str_eq(c->proxies[1].name, "garage-2");
        ck_assert_uint_eq(c->proxies[1].port, 16053);
        ck_assert_str_eq(c->proxies[1].psk_file, "/etc/ttlockd/garage.psk");
        ck_assert(!c->proxies[1].has_psk); /* conf_parse() reads no key file */
        ck_assert_uint_eq(c->n_pins, 2);
        ck_assert_str_eq(c->pins[0].address, "AA:BB:CC:DD:EE:FF");
        ck_assert_str_eq(c->pins[0].radio, "garage-2");
        ck_assert_str_eq(c->pins[1].address, "11:22:33:44:55:66");
        ck_assert_ptr_eq(conf_find_proxy(c, "porch"), &c->proxies[0]);
        ck_assert_ptr_null(conf_find_proxy(c, "attic"));
        ck_assert(conf_proxy_equal(&c->proxies[0], &c->proxies[0]));
        ck_assert(!conf_proxy_equal(&c->proxies[0], &c->proxies[1]));
        conf_free(c);
}
END_TEST

START_TEST(test_adapters) {
        Conf *d, *c;

        ck_assert_int_ge(conf_new_default(&d), 0);
        ck_assert(conf_adapter_allowed(d, "hci7"));
        c = parse_ok("[Bluetooth]\nAdapters=none\n");
        ck_assert(!conf_adapter_allowed(c, "hci0"));
        ck_assert(!conf_adapters_equal(c, d));
        conf_free(c);
        /* An empty assignment starts over: every adapter again. */
        c = parse_ok("[Bluetooth]\nAdapters=hci1\nAdapters=\n");
        ck_assert(conf_adapter_allowed(c, "hci0"));
        ck_assert(conf_adapters_equal(c, d));
        conf_free(c);
        c = parse_ok("[Bluetooth]\nAdapters=hci1 hci1\n");
        ck_assert_uint_eq(c->n_adapters, 1);
        conf_free(c);
        conf_free(d);
}
END_TEST

START_TEST(test_mistakes) {
        parse_bad("Adapters=hci0\n", 1, "outside of any section");
        parse_bad("[Bluetooth]\n[Proxies]\n", 2, "unknown section [Proxies]");
        parse_bad("[Bluetooth\n", 1, "must end with ']'");
        parse_bad("[Proxy]\nName=a\nHots=x\n", 3, "unknown key Hots=");
        parse_bad("[Proxy]\nName=a\nHost x\n", 3, "expected Key=Value");
        parse_bad("[Proxy]\nName=a\n=x\n", 3, "key is missing");
        parse_bad("\n[Proxy]\nHost=x\n", 2, "needs Name=");
        parse_bad("[Proxy]\nName=a\n\n[Lock]\n", 1, "needs Host=");
        parse_bad("[Proxy]\nName=a b\n", 2, "is not 1–32 letters");
        parse_bad("[Proxy]\nName=hci2\n", 2, "adapter's name");
        parse_bad("[Proxy]\nName=abcdefghijklmnopqrstuvwxyz0123456\n", 2, "is not 1–32");
        parse_bad("[Proxy]\nName=a\nHost=x\n[Proxy]\nName=a\n", 5, "another [Proxy] (line 1)");
        parse_bad("[Proxy]\nName=a\nHost=-x\n", 3, "not a host name");
        parse_bad("[Proxy]\nName=a\nHost=a..b\n", 3, "not a host name");
        parse_bad("[Proxy]\nName=a\nHost=x\nPort=0\n", 4, "not a port");
        parse_bad("[Proxy]\nName=a\nHost=x\nPort=65536\n", 4, "not a port");
        parse_bad("[Proxy]\nName=a\nHost=x\nPort=+80\n", 4, "not a port");
        parse_bad("[Proxy]\nName=a\nHost=x\nPSKFile=relative.psk\n", 4, "absolute path");
        parse_bad("[Bluetooth]\nAdapters=hci0 eth0\n", 2, "\"eth0\" is not an adapter name");
        parse_bad("[Lock]\nAddress=AA:BB:CC:DD:EE\nRadio=a\n", 2, "not like AA:BB");
        parse_bad("[Lock]\nAddress=AA:BB:CC:DD:EE:FF\n", 1, "needs Radio=");
        parse_bad("[Lock]\nRadio=a\n", 1, "needs Address=");
        parse_bad(
                "[Lock]\nAddress=AA:BB:CC:DD:EE:FF\nRadio=a\n[Lock]\nAddress=aa:bb:cc:dd:ee:ff\nRadio=b\n",
                4,
                "two [Lock] sections");
        parse_bad("[Link]\nConnectionPolicy=always\n", 2, "not on-demand, keep-alive or persistent");
        parse_bad("[Lock]\nAddress=AA:BB:CC:DD:EE:FF\nKeepAliveSec=0\n", 3, "is not 1–3600 seconds");
        parse_bad("[Link]\nKeepAliveSec=3601\n", 2, "is not 1–3600 seconds");
        parse_bad("[Link]\nBackoffSec=-1\n", 2, "is not 0–3600 seconds");
        parse_bad("[Link]\nBackoffMaxSec=86401\n", 2, "is not 0–86400 seconds");
        parse_bad(
                "[Link]\nBackoffSec=60\n\nBackoffMaxSec=30\n",
                4,
                "BackoffMaxSec=30 is shorter than BackoffSec=60");
        parse_bad("[Link]\nBackoffSec=3600\n", 2, "BackoffMaxSec=1800 is shorter");
        parse_bad("[Link]\nRadio=hci0\n", 2, "unknown key Radio= in [Link]");
        parse_bad(
                "[Lock]\nAddress=AA:BB:CC:DD:EE:FF\nBackoffSec=3\n", 3, "unknown key BackoffSec= in [Lock]");
        parse_bad("[Proxy]\nName=a\nHost=x\x01y\n", 3, "control character");
}
END_TEST

/* [Link] and the connection keys of [Lock] (ttlockd.conf(5) "[Link] SECTION"): a [Lock] may set a policy
 * without pinning a radio; what is not set is not set, so that the lock model can inherit it. */
START_TEST(test_connection) {
        const ConfPin *pin;
        Conf *c, *d;

        ck_assert_int_ge(conf_new_default(&d), 0);
        ck_assert_int_eq(d->connection.policy, _CONNECTION_POLICY_INVALID);
        ck_assert_uint_eq(d->connection.keep_alive_sec, 0);
        ck_assert_uint_eq(d->backoff_sec, CONF_BACKOFF_SEC_DEFAULT);
        ck_assert_uint_eq(d->backoff_max_sec, CONF_BACKOFF_MAX_SEC_DEFAULT);
        conf_free(d);

        c = parse_ok(
                "[Link]\n"
                "ConnectionPolicy=keep-alive\n"
                "KeepAliveSec=45\n"
                "BackoffSec=0\n"
                "BackoffMaxSec=0\n"
                "[Lock]\n"
                "Address=aa:bb:cc:00:00:01\n"
                "ConnectionPolicy=persistent\n"
                "[Lock]\n"
                "Address=AA:BB:CC:00:00:02\n"
                "KeepAliveSec=3600\n"
                "Radio=porch\n");
        ck_assert_int_eq(c->connection.policy, CONNECTION_KEEP_ALIVE);
        ck_assert_uint_eq(c->connection.keep_alive_sec, 45);
        ck_assert_uint_eq(c->backoff_sec, 0);
        ck_assert_uint_eq(c->backoff_max_sec, 0);
        pin = conf_find_lock(c, "AA:BB:CC:00:00:01");
        ck_assert_ptr_nonnull(pin);
        ck_assert_str_eq(pin->radio, "");
        ck_assert_int_eq(pin->connection.policy, CONNECTION_PERSISTENT);
        ck_assert_uint_eq(pin->connection.keep_alive_sec, 0);
        pin = conf_find_lock(c, "AA:BB:CC:00:00:02");
        ck_assert_ptr_nonnull(pin);
        ck_assert_str_eq(pin->radio, "porch");
        ck_assert_int_eq(pin->connection.policy, _CONNECTION_POLICY_INVALID);
        ck_assert_uint_eq(pin->connection.keep_alive_sec, 3600);
        ck_assert_ptr_null(conf_find_lock(c, "AA:BB:CC:00:00:03"));
        conf_free(c);

        for (ConnectionPolicy p = 0; p < _CONNECTION_POLICY_MAX; p++)
                ck_assert_int_eq(connection_policy_from_string(connection_policy_to_string(p)), p);
        ck_assert_int_eq(connection_policy_from_string("On-Demand"), _CONNECTION_POLICY_INVALID);
        ck_assert_int_eq(connection_policy_from_string(NULL), _CONNECTION_POLICY_INVALID);
        ck_assert_ptr_null(connection_policy_to_string(_CONNECTION_POLICY_MAX));
}
END_TEST

START_TEST(test_bounds) {
        char error[CONF_ERROR_MAX], *big;
        size_t n = 0;
        Conf *c = NULL;

        big = malloc(CONF_FILE_MAX + 2);
        ck_assert_ptr_nonnull(big);
        memset(big, '#', CONF_FILE_MAX + 1);
        ck_assert_int_eq(conf_parse(big, CONF_FILE_MAX + 1, "t.conf", &c, error, sizeof(error)), -E2BIG);
        /* A line longer than the bound. */
        memset(big, ' ', CONF_LINE_MAX + 1);
        ck_assert_int_eq(conf_parse(big, CONF_LINE_MAX + 1, "t.conf", &c, error, sizeof(error)), -E2BIG);
        ck_assert(strstr(error, "t.conf:1: a line longer"));
        /* One proxy too many. */
        for (unsigned i = 0; i <= CONF_PROXIES_MAX; i++)
                n += (size_t) sprintf(big + n, "[Proxy]\nName=p%u\nHost=h\n", i);
        ck_assert_int_eq(conf_parse(big, n, "t.conf", &c, error, sizeof(error)), -E2BIG);
        ck_assert_msg(strstr(error, "more than 32 [Proxy]"), "%s", error);
        free(big);
        /* Not NUL-terminated: only len counts. */
        ck_assert_int_ge(
                conf_parse("[Bluetooth]\nAdapters=hci0XXXX", 25, "t.conf", &c, error, sizeof(error)), 0);
        ck_assert(conf_adapter_allowed(c, "hci0"));
        conf_free(c);
}
END_TEST

/* ---- files ------------------------------------------------------------------------------------- */

static char dir[64];

static void make_dir(void) {
        snprintf(dir, sizeof(dir), "/tmp/test-conf-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Nothing stays behind in /tmp. */
static void remove_dir(void) {
        static const char *const names[] = { "good.psk", "open.psk", "short.psk", "k.psk", "good.conf" };
        char path[128];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                (void) unlink(path);
        }
        ck_assert_int_eq(rmdir(dir), 0);
}

static void write_file(const char *name, const char *text, mode_t mode, char *ret, size_t size) {
        int fd;

        snprintf(ret, size, "%s/%s", dir, name);
        (void) unlink(ret);
        fd = open(ret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        ck_assert_int_eq(fchmod(fd, mode), 0);
        close(fd);
}

START_TEST(test_psk_files) {
        char error[CONF_ERROR_MAX], path[256];
        uint8_t psk[CONF_PSK_SIZE];

        make_dir();
        write_file("good.psk", "  " KEY "\n", 0600, path, sizeof(path));
        ck_assert_int_eq(conf_read_psk(path, psk, error, sizeof(error)), 0);
        ck_assert_uint_eq(psk[0], 0x42);

        write_file("open.psk", KEY "\n", 0640, path, sizeof(path));
        ck_assert_int_eq(conf_read_psk(path, psk, error, sizeof(error)), -EACCES);
        ck_assert_msg(strstr(error, "chmod 600") && strstr(error, "0640"), "%s", error);
        ck_assert(!strstr(error, KEY));

        write_file("short.psk", "Qo4+Lp1c7Vb2Xy9Z\n", 0600, path, sizeof(path));
        ck_assert_int_eq(conf_read_psk(path, psk, error, sizeof(error)), -EINVAL);
        ck_assert(strstr(error, "base64 of 32 bytes") && !strstr(error, "Qo4+"));

        snprintf(path, sizeof(path), "%s/missing.psk", dir);
        ck_assert_int_eq(conf_read_psk(path, psk, error, sizeof(error)), -ENOENT);
        ck_assert_int_eq(conf_read_psk(dir, psk, error, sizeof(error)), -EINVAL);
        remove_dir();
}
END_TEST

START_TEST(test_load) {
        char error[CONF_ERROR_MAX], psk[256], conf[256], text[600];
        Conf *c = NULL;

        make_dir();
        snprintf(conf, sizeof(conf), "%s/none.conf", dir);
        ck_assert_int_eq(conf_load(conf, &c, error, sizeof(error)), 0);
        ck_assert_uint_eq(c->n_proxies, 0);
        ck_assert(strstr(error, "does not exist"));
        conf_free(c);

        write_file("k.psk", KEY, 0600, psk, sizeof(psk));
        snprintf(text, sizeof(text), "[Proxy]\nName=a\nHost=h\nPSKFile=%s\n", psk);
        write_file("good.conf", text, 0644, conf, sizeof(conf));
        ck_assert_int_eq(conf_load(conf, &c, error, sizeof(error)), 0);
        ck_assert(c->proxies[0].has_psk);
        ck_assert_uint_eq(c->proxies[0].psk[0], 0x42);
        conf_free(c);

        /* The key file's fault is the configuration's line. */
        ck_assert_int_eq(chmod(psk, 0604), 0);
        c = NULL;
        ck_assert_int_eq(conf_load(conf, &c, error, sizeof(error)), -EACCES);
        ck_assert_ptr_null(c);
        ck_assert_msg(strstr(error, "good.conf:4: PSKFile=:"), "%s", error);
        remove_dir();
}
END_TEST

static Suite *conf_suite(void) {
        Suite *s = suite_create("conf");
        TCase *tc = tcase_create("ttlockd.conf");

        tcase_add_test(tc, test_complete_file);
        tcase_add_test(tc, test_adapters);
        tcase_add_test(tc, test_mistakes);
        tcase_add_test(tc, test_connection);
        tcase_add_test(tc, test_bounds);
        tcase_add_test(tc, test_psk_files);
        tcase_add_test(tc, test_load);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(conf_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
