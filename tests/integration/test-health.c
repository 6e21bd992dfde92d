/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Link health, connection policies and the diagnostics bundle end to end (world.h; ttlockd(8) "LINK HEALTH
 * AND CONNECTIONS", "DIAGNOSTICS"):
 *
 * - a lock that keeps its new-records flag up and refuses every connection (Sim1.InjectFault
 *   "refuse-connect") is tried, then left alone for BackoffSec= while its adverts keep coming — counted
 *   at the lock (Sim1.ConnectAttempts) — and hammered again once ttlockd.conf turns the backoff off;
 *   Reachable, LastConnectError, RecentConnects and ConnectBackoffUntilUSec follow; a call still tries and
 *   says how the link fared; the first connect that works ends it all;
 * - keep-alive holds the link past the lock's own idle drop (Sim1 drops idle links after 5 s) so that a
 *   later call reuses it (Sim1.Links), on-demand lets it go; persistent brings it up without a call, back
 *   after a drop, and again after a restart, from the key file;
 * - GetDiagnostics(): the bundle of a lock that has a passcode, a card, an admin passcode, frames and
 *   errors holds none of them, nor the lock's address in any spelling nor its name; asked not to redact,
 *   it shows the address (so that the search can fail); bad options and unknown locks are refused. */

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

#define SETTINGS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Settings1"
#define CREDS "org.ttlock.Manager", WORLD_LOCK_PATH, "org.ttlock.Credentials1"
#define SEC TEST_USEC_PER_SEC

static uint32_t sim_u32(World *w, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint32_t v = 0;
        int r;

        r = sd_bus_get_property_trivial(w->client, WORLD_SIM1, prop, &e, 'u', &v);
        ck_assert_msg(r >= 0, "Get Sim1.%s: %s", prop, e.message);
        sd_bus_error_free(&e);
        return v;
}

static uint32_t attempts(World *w) {
        return sim_u32(w, "ConnectAttempts");
}

static void recent_connects(World *w, uint32_t *ok, uint32_t *total) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_get_property(w->client, WORLD_LOCK1, "RecentConnects", &e, &reply, "(uu)");
        ck_assert_msg(r >= 0, "Get RecentConnects: %s", e.message);
        ck_assert_int_ge(sd_bus_message_read(reply, "(uu)", ok, total), 0);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
}

static bool has_connect_error(World *w, const void *arg) {
        char *s = world_get_string(w, WORLD_LOCK1, "LastConnectError");
        bool yes = s[0] != 0;

        free(s);
        return yes;
}

static const bool yes = true, no = false;

static bool connected(World *w, const void *arg) {
        return world_get_bool(w, WORLD_LOCK1, "Connected") == *(const bool *) arg;
}

static bool reachable(World *w, const void *arg) {
        return world_get_bool(w, WORLD_LOCK1, "Reachable");
}

static bool attempts_at_least(World *w, const void *arg) {
        return attempts(w) >= *(const uint32_t *) arg;
}

static bool links_at_least(World *w, const void *arg) {
        return world_sim_links(w, WORLD_LOCK_ADDRESS, "hci0") >= *(const unsigned *) arg;
}

/* Adverts came for at least usec since since_usec (LastSeenUSec moves with them). */
static bool heard_for(World *w, const void *arg) {
        const uint64_t *v = arg;

        return world_get_u64(w, WORLD_LOCK1, "LastSeenUSec") >= v[0] + v[1];
}

/* A world with the lock paired, the sim's refused connects quick, and ttlockd.conf as given. */
static void start_paired(World *w, const char *config) {
        static const char *const sim_args[] = { "--connect-fail-ms", "50", NULL };

        w->sim_args = sim_args;
        w->defer_daemon = true;
        world_start(w);
        world_write_config(w, "%s", config);
        world_start_daemon(w);
        world_discover(w);
        world_call_ok(w, WORLD_LOCK1, "Pair");
        free(world_call(w, WORLD_MANAGER, "StopDiscovery", NULL));
        ck_assert(world_wait(w, connected, &no, WORLD_TIMEOUT));
}

START_TEST(test_backoff) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint64_t heard[2], until;
        uint32_t a0, a1, ok, total, want;
        sd_bus_message *reply;
        World w = {};

        start_paired(&w, "[Link]\nBackoffSec=6\nBackoffMaxSec=6\n");
        ck_assert(world_get_bool(&w, WORLD_LOCK1, "Reachable"));
        recent_connects(&w, &ok, &total);
        ck_assert_uint_eq(ok, total);
        ck_assert_uint_ge(total, 1);

        /* The lock stops answering, and a wrong code at the keypad raises its new-records flag. */
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 1000000u);
        free(world_call(&w, WORLD_SIM1, "EnterPasscode", "s", "000000"));
        ck_assert(world_wait(&w, has_connect_error, NULL, WORLD_TIMEOUT));
        ck_assert(!world_get_bool(&w, WORLD_LOCK1, "Reachable"));
        until = world_get_u64(&w, WORLD_LOCK1, "ConnectBackoffUntilUSec");
        ck_assert_uint_gt(until, 0);
        a0 = attempts(&w);

        /* Adverts with the flag up keep coming for 3 s; nothing connects before the backoff is over. */
        heard[0] = world_get_u64(&w, WORLD_LOCK1, "LastSeenUSec");
        heard[1] = 3 * SEC;
        ck_assert(world_wait(&w, heard_for, heard, WORLD_TIMEOUT));
        a1 = attempts(&w);
        ck_assert_msg(world_get_u64(&w, WORLD_LOCK1, "LastSeenUSec") < until, "the test was too slow");
        ck_assert_uint_eq(a1, a0);

        /* A call tries all the same, and says how the link fared. */
        reply = world_call_message(&w, &e, false, WORLD_LOCK1, "Refresh", NULL);
        ck_assert_ptr_null(reply);
        ck_assert_str_eq(e.name, "org.ttlock.Error.Unreachable");
        ck_assert_msg(
                strstr(e.message, "connections worked") && strstr(e.message, "attempts"), "%s", e.message);
        sd_bus_error_free(&e);
        ck_assert_uint_gt(attempts(&w), a1);
        recent_connects(&w, &ok, &total);
        ck_assert_uint_lt(ok, total);

        /* Without the backoff (ttlockd.conf, reloaded), the same adverts make one connect after another. */
        world_write_config(&w, "[Link]\nBackoffSec=0\n");
        world_call_ok(&w, WORLD_MANAGER, "ReloadConfiguration");
        want = attempts(&w) + 9;
        ck_assert_msg(
                world_wait(&w, attempts_at_least, &want, WORLD_TIMEOUT), "no connects without the backoff");
        ck_assert_uint_eq(world_get_u64(&w, WORLD_LOCK1, "ConnectBackoffUntilUSec"), 0);

        /* The lock answers again: ttlockd's own read for the flag, still up, gets through, and everything
         * is well again. */
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 0u);
        ck_assert(world_wait(&w, reachable, NULL, WORLD_TIMEOUT));
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert(!has_connect_error(&w, NULL));
        ck_assert_uint_eq(world_get_u64(&w, WORLD_LOCK1, "ConnectBackoffUntilUSec"), 0);
        world_stop(&w);
}
END_TEST

START_TEST(test_keep_alive_and_persistent) {
        char *s, path[512];
        unsigned links, want;
        World w = {};

        start_paired(&w, "");
        s = world_get_string(&w, SETTINGS, "ConnectionPolicy");
        ck_assert_str_eq(s, "on-demand");
        free(s);

        /* On demand: the link goes after the call, and the next call connects again. */
        links = world_sim_links(&w, WORLD_LOCK_ADDRESS, "hci0");
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert(world_wait(&w, connected, &no, WORLD_TIMEOUT));
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_uint_eq(world_sim_links(&w, WORLD_LOCK_ADDRESS, "hci0"), links + 2);
        ck_assert(world_wait(&w, connected, &no, WORLD_TIMEOUT));

        /* Keep-alive for 30 s: the link outlives the lock's own idle drop (5 s) and the next call uses it.
         */
        free(world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "keep-alive", 30u));
        s = world_get_string(&w, SETTINGS, "ConnectionPolicy");
        ck_assert_str_eq(s, "keep-alive");
        free(s);
        links = world_sim_links(&w, WORLD_LOCK_ADDRESS, "hci0");
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_msg(!world_wait(&w, connected, &no, 7 * SEC), "the held link dropped");
        world_call_ok(&w, WORLD_LOCK1, "Refresh");
        ck_assert_uint_eq(world_sim_links(&w, WORLD_LOCK_ADDRESS, "hci0"), links + 1);

        /* Bad arguments change nothing. */
        s = world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "always", 0u);
        ck_assert_str_eq(s, "org.freedesktop.DBus.Error.InvalidArgs");
        free(s);
        s = world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "keep-alive", 3601u);
        ck_assert_str_eq(s, "org.freedesktop.DBus.Error.InvalidArgs");
        free(s);

        /* Back to on-demand: the held link goes. */
        free(world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "on-demand", 0u));
        ck_assert(world_wait(&w, connected, &no, WORLD_TIMEOUT));

        /* Persistent: up without a call; back after the lock drops it. */
        links = world_sim_links(&w, WORLD_LOCK_ADDRESS, "hci0");
        ck_assert_ptr_null(world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "persistent", 0u));
        ck_assert(world_wait(&w, connected, &yes, WORLD_TIMEOUT));
        ck_assert(world_key_file_contains(&w, "persistent"));
        world_sim_call(&w, "InjectFault", "su", "drop-connection", 1u);
        want = links + 2;
        ck_assert(world_wait(&w, links_at_least, &want, WORLD_TIMEOUT));
        ck_assert(world_wait(&w, connected, &yes, WORLD_TIMEOUT));

        /* A restarted ttlockd finds the choice in the key file. */
        world_stop_pid(&w, &w.daemon_pid);
        ck_assert(world_key_file(&w, path, sizeof(path)));
        /* (The lock may still hold the old connection, as BlueZ keeps a connection whose client died:
         * then Connect() succeeds without a new link.) */
        world_start_daemon(&w);
        ck_assert(world_wait(&w, world_lock_paired, NULL, WORLD_TIMEOUT));
        ck_assert(world_wait(&w, connected, &yes, WORLD_TIMEOUT));
        s = world_get_string(&w, SETTINGS, "ConnectionPolicy");
        ck_assert_str_eq(s, "persistent");
        free(s);

        /* "" drops the lock's own choice: ttlockd.conf's again (on-demand). */
        ck_assert_ptr_null(world_call(&w, SETTINGS, "SetConnectionPolicy", "su", "", 0u));
        ck_assert(world_wait(&w, connected, &no, WORLD_TIMEOUT));
        ck_assert(!world_key_file_contains(&w, "persistent"));
        world_stop(&w);
}
END_TEST

/* The value of "key: value" in text, NUL-terminated into buf. */
static const char *yaml_value(const char *text, const char *key, char *buf, size_t size) {
        const char *p = strstr(text, key);
        size_t n;

        ck_assert_msg(p, "%s not in the key file", key);
        p += strlen(key);
        p += strspn(p, ": \"");
        n = strcspn(p, "\",}\n");
        ck_assert_uint_lt(n, size);
        memcpy(buf, p, n);
        buf[n] = 0;
        return buf;
}

static char *read_file(const char *path) {
        char *text = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");

        ck_assert_ptr_nonnull(f);
        ck_assert_int_ge(getdelim(&text, &n, 0, f), 0);
        fclose(f);
        return text;
}

/* Every spelling of the address: ':', '_' or '-', upper or lower case. */
static bool mentions_address(const char *text, const char *address) {
        char form[18];

        for (const char *sep = ":_-"; *sep; sep++)
                for (int lower = 0; lower < 2; lower++) {
                        for (size_t i = 0; i < 17; i++)
                                form[i] = i % 3 == 2 ? *sep
                                        : lower      ? (char) tolower(address[i])
                                                     : address[i];
                        form[17] = 0;
                        if (strstr(text, form))
                                return true;
                }
        return false;
}

static char *diagnostics(World *w, sd_bus_error *e, const char *types, ...) {
        sd_bus_message *m = NULL, *reply = NULL;
        const char *text;
        char *copy = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(w->client, &m, WORLD_MANAGER, "GetDiagnostics");
        ck_assert_int_ge(r, 0);
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        ck_assert_int_ge(r, 0);
        r = sd_bus_call(w->client, m, 0, e, &reply);
        if (r >= 0) {
                ck_assert_int_ge(sd_bus_message_read(reply, "s", &text), 0);
                copy = strdup(text);
        }
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return copy;
}

START_TEST(test_diagnostics) {
        char path[512], key[64], admin_ps[32], unlock_key[32], *file, *bundle, *admin_code = NULL;
        const char *secrets[8];
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply;
        size_t n = 0;
        World w = {};

        start_paired(&w, "[Lock]\nAddress=" WORLD_LOCK_ADDRESS "\nKeepAliveSec=45\n");
        ck_assert_ptr_null(
                world_call(&w, CREDS, "AddPasscode", "stt", "86421357", UINT64_C(0), UINT64_C(0)));
        ck_assert_ptr_null(world_call(&w, CREDS, "AddCard", "stt", "3141592653", UINT64_C(0), UINT64_C(0)));
        /* Long digits, so that no timestamp of the bundle holds them by chance. */
        ck_assert_ptr_null(world_call(&w, SETTINGS, "SetAdminPasscode", "s", "975318642"));
        reply = world_call_message(&w, &e, false, SETTINGS, "GetAdminPasscode", NULL);
        ck_assert_msg(reply, "GetAdminPasscode: %s", e.message);
        ck_assert_int_ge(sd_bus_message_read(reply, "s", &secrets[0]), 0);
        admin_code = strdup(secrets[0]);
        ck_assert_str_eq(admin_code, "975318642");
        sd_bus_message_unref(reply);
        /* Among the last 16 frames. */
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        /* A recent error, with the radio's words in it: a Refresh once the link is gone. */
        ck_assert(world_wait(&w, connected, &no, WORLD_TIMEOUT));
        world_sim_call(&w, "InjectFault", "su", "refuse-connect", 3u);
        free(world_call(&w, WORLD_LOCK1, "Refresh", NULL));

        ck_assert(world_key_file(&w, path, sizeof(path)));
        file = read_file(path);
        secrets[n++] = yaml_value(file, "aes-key", key, sizeof(key));
        secrets[n++] = yaml_value(file, "admin-ps", admin_ps, sizeof(admin_ps));
        secrets[n++] = yaml_value(file, "unlock-key", unlock_key, sizeof(unlock_key));
        secrets[n++] = admin_code;
        secrets[n++] = "86421357";
        secrets[n++] = "3141592653";
        secrets[n++] = "K5_010000"; /* the advertised name ends in the address */
        free(file);

        bundle = diagnostics(&w, &e, "a{sv}", 0);
        ck_assert_msg(bundle, "GetDiagnostics: %s", e.message);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(
                        !strstr(bundle, secrets[i]), "\"%s\" is in the bundle:\n%s", secrets[i], bundle);
        ck_assert_msg(
                !mentions_address(bundle, WORLD_LOCK_ADDRESS), "the address is in the bundle:\n%s", bundle);
        /* What a maintainer needs is there. */
        ck_assert(strstr(bundle, "\"format\": \"ttlockd-diagnostics 1\""));
        ck_assert(strstr(bundle, "\"address\": \"mac-"));
        ck_assert(strstr(bundle, "\"command_name\": \"UNLOCK\""));
        ck_assert(strstr(bundle, "\"model\": \"S202F\""));
        ck_assert(strstr(bundle, "\"keep-alive-seconds\": 45"));
        ck_assert(strstr(bundle, "le-connection-abort"));
        ck_assert(strstr(bundle, "(redacted)"));
        free(bundle);

        /* Not redacted: the address is there (the search above can fail), and still no secret. */
        bundle = diagnostics(&w, &e, "a{sv}", 2, "redact", "b", 0, "locks", "as", 1, WORLD_LOCK_ADDRESS);
        ck_assert_msg(bundle, "GetDiagnostics: %s", e.message);
        ck_assert(mentions_address(bundle, WORLD_LOCK_ADDRESS));
        ck_assert(strstr(bundle, "K5_010000"));
        for (size_t i = 0; i < n - 1; i++)
                ck_assert_msg(!strstr(bundle, secrets[i]), "\"%s\" is in the bundle", secrets[i]);
        free(bundle);

        /* Refused: an unknown option, a wrong type, an unknown lock. */
        ck_assert_ptr_null(diagnostics(&w, &e, "a{sv}", 1, "everything", "b", 1));
        ck_assert_str_eq(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
        sd_bus_error_free(&e);
        ck_assert_ptr_null(diagnostics(&w, &e, "a{sv}", 1, "redact", "s", "no"));
        ck_assert_str_eq(e.name, "org.freedesktop.DBus.Error.InvalidArgs");
        sd_bus_error_free(&e);
        ck_assert_ptr_null(diagnostics(&w, &e, "a{sv}", 1, "locks", "as", 1, "11:22:33:44:55:66"));
        ck_assert_str_eq(e.name, "org.ttlock.Error.DoesNotExist");
        sd_bus_error_free(&e);
        free(admin_code);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("health");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_backoff);
        tcase_add_test(tc, test_keep_alive_and_persistent);
        tcase_add_test(tc, test_diagnostics);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(make_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
