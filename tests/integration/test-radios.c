/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Radios end to end (world.h): ESPHome Bluetooth proxies (ttlock-sim --esphome-proxy) as radios of
 * ttlockd, plaintext and encrypted, next to BlueZ adapters; the best radio per lock and what moves it;
 * pins; connection slots; a proxy that dies in the middle of an Unlock; ttlockd.conf read again at
 * runtime; and proxies that are not what they claim (tests/daemon/fake-proxy.h plays those, on a
 * thread of its own). Which radio carried a link is read from the simulator (Sim1.Links), never
 * guessed from timing. */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "world.h"

#define LOCK_A WORLD_LOCK_ADDRESS
#define LOCK_A_PATH WORLD_LOCK_PATH
#define RADIO_PREFIX "/org/ttlock/Radio/"


static void lock_path(const char *address, char *ret, size_t size) {
        snprintf(ret, size, "/org/ttlock/Lock/%s", address);
        for (char *c = ret + strlen("/org/ttlock/Lock/"); *c; c++)
                if (*c == ':')
                        *c = '_';
}

/* ---- conditions ---------------------------------------------------------------------------------- */

typedef struct RadioWant {
        const char *lock; /* object path */
        const char *radio;
} RadioWant;

static bool lock_radio_is(World *w, const void *arg) {
        const RadioWant *x = arg;
        char want[128], *have;
        bool same;

        snprintf(want, sizeof(want), RADIO_PREFIX "%s", x->radio);
        have = world_get_path(w, "org.ttlock.Manager", x->lock, "org.ttlock.Lock1", "Radio");
        same = strcmp(have, want) == 0;
        free(have);
        return same;
}

static void wait_lock_radio(World *w, const char *lock, const char *radio) {
        RadioWant x = { lock, radio };

        ck_assert_msg(world_wait(w, lock_radio_is, &x, WORLD_TIMEOUT), "%s is not reached through %s", lock, radio);
}

static bool radio_up(World *w, const void *arg) {
        return world_radio_connected(w, arg);
}

static bool radio_down_with_error(World *w, const void *arg) {
        char *e;
        bool yes;

        if (world_radio_connected(w, arg))
                return false;
        e = world_radio_string(w, arg, "LastError");
        yes = e[0] != 0;
        free(e);
        return yes;
}

static bool lock_known_at(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", (const char *) arg);
        sd_bus_message_unref(reply);
        return r >= 0;
}

static bool lock_pairable_at(World *w, const void *arg) {
        char path[64];

        if (!lock_known_at(w, arg))
                return false;
        lock_path(arg, path, sizeof(path));
        return world_get_bool(w, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Pairable");
}

static bool lock_seen_at(World *w, const void *arg) {
        char path[64];

        lock_path(arg, path, sizeof(path));
        return world_get_u64(w, "org.ttlock.Manager", path, "org.ttlock.Lock1", "LastSeenUSec") > 0;
}

/* ---- actions ------------------------------------------------------------------------------------- */

/* Discovery, then Pair() for each address, through whatever radio ttlockd picks. */
static void pair_locks(World *w, const char *const *addresses) {
        ck_assert_msg(world_wait(w, world_have_radio, NULL, WORLD_TIMEOUT), "no usable radio");
        world_call_ok(w, WORLD_MANAGER, "StartDiscovery");
        for (const char *const *a = addresses; *a; a++) {
                char path[64], *err;

                ck_assert_msg(world_wait(w, lock_pairable_at, *a, WORLD_TIMEOUT), "%s did not show as pairable", *a);
                lock_path(*a, path, sizeof(path));
                err = world_call(w, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Pair", NULL);
                ck_assert_msg(!err, "Pair %s: %s", *a, err);
        }
        world_call_ok(w, WORLD_MANAGER, "StopDiscovery");
}

static void unlock(World *w, const char *address) {
        char path[64], *err;

        lock_path(address, path, sizeof(path));
        ck_assert_msg(world_wait(w, lock_seen_at, address, WORLD_TIMEOUT), "no advert of %s", address);
        err = world_call(w, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Unlock", NULL);
        ck_assert_msg(!err, "Unlock %s: %s", address, err);
}

/* A PSK file for the simulator, made before it starts (the world's directory comes with the bus). The
 * key is no secret of anyone's: a test fixture. */
static void psk_file(char *ret, size_t size, const char *key) {
        FILE *f;
        int fd;

        snprintf(ret, size, "/tmp/test-radios-%d-%s.psk", (int) getpid(), key[0] == 'Q' ? "a" : "b");
        fd = open(ret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        f = fdopen(fd, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s\n", key);
        ck_assert_int_eq(fclose(f), 0);
}

#define KEY_A "Qo4+Lp1c7Vb2Xy9ZtRk0WmHa3Ns6Ud8Fe5Gj7Ki1Ol0="
#define KEY_B "zz4+Lp1c7Vb2Xy9ZtRk0WmHa3Ns6Ud8Fe5Gj7Ki1Ol0="

/* ---- Event signals ------------------------------------------------------------------------------- */

typedef struct Events {
        unsigned n;
} Events;

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Events *e = userdata;

        /* The broadcast (no destination), once per record. */
        if (!sd_bus_message_get_destination(m))
                e->n++;
        return 0;
}

static bool events_at_least(World *w, const void *arg) {
        const Events *e = ((const void *const *) arg)[0];
        const unsigned *n = ((const void *const *) arg)[1];

        return e->n >= *n;
}

/* ---- through one proxy --------------------------------------------------------------------------- */

typedef struct EnrollmentSeen {
        bool waiting, completed;
} EnrollmentSeen;

static int on_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        EnrollmentSeen *s = userdata;
        const char *kind, *status, *id;
        uint32_t done, total;

        if (sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;
        if (strcmp(status, "waiting") == 0)
                s->waiting = true;
        if (strcmp(status, "completed") == 0)
                s->completed = true;
        return 0;
}

static bool enrollment_waiting(World *w, const void *arg) {
        return ((const EnrollmentSeen *) arg)->waiting;
}

static bool enrollment_completed(World *w, const void *arg) {
        return ((const EnrollmentSeen *) arg)->completed;
}

/* Pairing, Unlock, an Event and an enrollment with the proxy as the only radio ttlockd has. */
static void everything_through(World *w, const char *proxy) {
        const char *locks[] = { LOCK_A, NULL };
        Events events = {};
        EnrollmentSeen enrolled = {};
        unsigned want = 1;
        const void *arg[] = { &events, &want };
        uint64_t now;

        ck_assert_msg(world_wait(w, radio_up, proxy, WORLD_TIMEOUT), "proxy %s did not come up", proxy);
        pair_locks(w, locks);
        ck_assert_uint_ge(world_sim_links(w, LOCK_A, proxy), 1);
        wait_lock_radio(w, LOCK_A_PATH, proxy);

        unlock(w, LOCK_A);
        ck_assert(!world_get_bool(w, WORLD_SIM1, "Locked"));

        ck_assert_int_ge(sd_bus_match_signal(w->client, NULL, "org.ttlock.Manager", LOCK_A_PATH, "org.ttlock.Lock1",
                                             "Event", on_event, &events),
                         0);
        world_sim_call(w, "TurnKnob", "b", true);
        ck_assert_msg(world_wait(w, events_at_least, arg, WORLD_TIMEOUT), "no Event through %s", proxy);

        ck_assert_int_ge(sd_bus_match_signal(w->client, NULL, "org.ttlock.Manager", LOCK_A_PATH,
                                             "org.ttlock.Credentials1", "EnrollmentStatus", on_enrollment, &enrolled),
                         0);
        now = (uint64_t) time(NULL) * TEST_USEC_PER_SEC;
        {
                char *err = world_call(w, "org.ttlock.Manager", LOCK_A_PATH, "org.ttlock.Credentials1",
                                       "StartCardEnrollment", "tt", now - 3600 * TEST_USEC_PER_SEC,
                                       now + 3600 * TEST_USEC_PER_SEC);
                ck_assert_msg(!err, "StartCardEnrollment: %s", err);
        }
        /* The lock is in its card-adding mode once it says so. */
        ck_assert_msg(world_wait(w, enrollment_waiting, &enrolled, WORLD_TIMEOUT), "the enrollment did not start");
        world_sim_call(w, "PresentCard", "s", "4242");
        ck_assert_msg(world_wait(w, enrollment_completed, &enrolled, WORLD_TIMEOUT), "the enrollment did not complete");
        ck_assert_uint_eq(world_sim_links(w, LOCK_A, "hci0"), 0);
}

START_TEST(test_plaintext_proxy) {
        const char *args[] = { "--esphome-proxy", "porch=127.0.0.1:0", NULL };
        World w = { .sim_args = args, .defer_daemon = true };

        world_start(&w);
        world_write_config(&w,
                           "# the proxy only: no BlueZ adapter at all\n"
                           "[Bluetooth]\nAdapters=none\n\n"
                           "[Proxy]\nName=porch\nHost=127.0.0.1\nPort=%u\n",
                           world_proxy_port(&w, "porch"));
        world_start_daemon(&w);
        everything_through(&w, "porch");
        world_stop(&w);
}
END_TEST

START_TEST(test_encrypted_proxy) {
        char psk[256], spec[300];
        const char *args[] = { "--esphome-proxy", spec, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        char *kind;

        psk_file(psk, sizeof(psk), KEY_A);
        snprintf(spec, sizeof(spec), "garage=127.0.0.1:0,psk=%s", psk);
        world_start(&w);
        /* A host name this time: the name is looked up off the event loop. */
        world_write_config(&w,
                           "[Bluetooth]\nAdapters=none\n\n"
                           "[Proxy]\nName=garage\nHost=localhost\nPort=%u\nPSKFile=%s\n",
                           world_proxy_port(&w, "garage"),
                           psk);
        world_start_daemon(&w);
        everything_through(&w, "garage");
        kind = world_radio_string(&w, "garage", "Kind");
        ck_assert_str_eq(kind, "esphome");
        free(kind);
        world_stop(&w);
        (void) unlink(psk);
}
END_TEST

Suite *radios_suite(void);

Suite *radios_suite(void) {
        Suite *s = suite_create("radios");
        TCase *tc = tcase_create("end to end");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_plaintext_proxy);
        tcase_add_test(tc, test_encrypted_proxy);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(radios_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
