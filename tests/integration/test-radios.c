/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Radios end to end (world.h): ESPHome Bluetooth proxies (ttlock-sim --esphome-proxy) as radios of
 * ttlockd, plaintext and encrypted, next to BlueZ adapters; the best radio per lock and what moves it;
 * pins; connection slots; a proxy that dies in the middle of an Unlock; ttlockd.conf read again at
 * runtime; and proxies that are not what they claim (tests/daemon/fake-proxy.h plays those, on a
 * thread of its own). Which radio carried a link is read from the simulator (Sim1.Links), never
 * guessed from timing. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake-proxy.h"
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

        ck_assert_msg(
                world_wait(w, lock_radio_is, &x, WORLD_TIMEOUT),
                "%s is not reached through %s",
                lock,
                radio);
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

        r = sd_bus_call_method(
                w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", (const char *) arg);
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

                ck_assert_msg(
                        world_wait(w, lock_pairable_at, *a, WORLD_TIMEOUT),
                        "%s did not show as pairable",
                        *a);
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

        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client,
                        NULL,
                        "org.ttlock.Manager",
                        LOCK_A_PATH,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        &events),
                0);
        world_sim_call(w, "TurnKnob", "b", true);
        ck_assert_msg(world_wait(w, events_at_least, arg, WORLD_TIMEOUT), "no Event through %s", proxy);

        ck_assert_int_ge(
                sd_bus_match_signal(
                        w->client,
                        NULL,
                        "org.ttlock.Manager",
                        LOCK_A_PATH,
                        "org.ttlock.Credentials1",
                        "EnrollmentStatus",
                        on_enrollment,
                        &enrolled),
                0);
        now = (uint64_t) time(NULL) * TEST_USEC_PER_SEC;
        {
                char *err = world_call(
                        w,
                        "org.ttlock.Manager",
                        LOCK_A_PATH,
                        "org.ttlock.Credentials1",
                        "StartCardEnrollment",
                        "tt",
                        now - 3600 * TEST_USEC_PER_SEC,
                        now + 3600 * TEST_USEC_PER_SEC);
                ck_assert_msg(!err, "StartCardEnrollment: %s", err);
        }
        /* The lock is in its card-adding mode once it says so. */
        ck_assert_msg(
                world_wait(w, enrollment_waiting, &enrolled, WORLD_TIMEOUT), "the enrollment did not start");
        world_sim_call(w, "PresentCard", "s", "4242");
        ck_assert_msg(
                world_wait(w, enrollment_completed, &enrolled, WORLD_TIMEOUT),
                "the enrollment did not complete");
        ck_assert_uint_eq(world_sim_links(w, LOCK_A, "hci0"), 0);
}

START_TEST(test_plaintext_proxy) {
        const char *args[] = { "--esphome-proxy", "porch=127.0.0.1:0", NULL };
        World w = { .sim_args = args, .defer_daemon = true };

        world_start(&w);
        world_write_config(
                &w,
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
        world_write_config(
                &w,
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

/* ---- the best radio ------------------------------------------------------------------------------ */

typedef struct RssiWant {
        const char *radio;
        int rssi;
} RssiWant;

/* Lock1.RadioRssi of lock A has radio at rssi. */
static bool radio_rssi_is(World *w, const void *arg) {
        const RssiWant *x = arg;
        sd_bus_message *reply = NULL;
        char want[128];
        const char *path;
        int16_t rssi;
        bool found = false;

        snprintf(want, sizeof(want), RADIO_PREFIX "%s", x->radio);
        if (sd_bus_get_property(w->client, WORLD_LOCK1, "RadioRssi", NULL, &reply, "a{on}") < 0)
                return false;
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{on}"), 0);
        while (sd_bus_message_read(reply, "{on}", &path, &rssi) > 0)
                if (strcmp(path, want) == 0 && rssi == x->rssi)
                        found = true;
        sd_bus_message_unref(reply);
        return found;
}

static void wait_radio_rssi(World *w, const char *radio, int rssi) {
        RssiWant x = { radio, rssi };

        ck_assert_msg(
                world_wait(w, radio_rssi_is, &x, WORLD_TIMEOUT),
                "RadioRssi never had %s at %d",
                radio,
                rssi);
}

typedef struct Links {
        unsigned hci0, hci1, hci2, p1, p2, p3;
} Links;

static void links(World *w, const char *address, Links *ret) {
        *ret = (Links){
                .hci0 = world_sim_links(w, address, "hci0"),
                .hci1 = world_sim_links(w, address, "hci1"),
                .hci2 = world_sim_links(w, address, "hci2"),
                .p1 = world_sim_links(w, address, "p1"),
                .p2 = world_sim_links(w, address, "p2"),
                .p3 = world_sim_links(w, address, "p3"),
        };
}

static bool lock_connected(World *w, const void *arg) {
        return world_get_bool(w, WORLD_LOCK1, "Connected");
}

static bool lock_disconnected(World *w, const void *arg) {
        return !lock_connected(w, arg);
}

static bool faults_spent(World *w, const void *arg) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint32_t n = 1;

        (void) sd_bus_get_property_trivial(w->client, WORLD_SIM1, "Faults", &e, 'u', &n);
        sd_bus_error_free(&e);
        return n == 0;
}

/* An Unlock of lock A through radio `through` alone, on a link of its own (not one kept open after the
 * last command). */
static void unlock_through(World *w, const char *through) {
        Links a, b;
        unsigned *want;

        ck_assert_msg(world_wait(w, lock_disconnected, NULL, WORLD_TIMEOUT), "the last link stays up");
        links(w, LOCK_A, &a);
        unlock(w, LOCK_A);
        links(w, LOCK_A, &b);
        want = strcmp(through, "hci0") == 0    ? &a.hci0
                : strcmp(through, "hci1") == 0 ? &a.hci1
                : strcmp(through, "hci2") == 0 ? &a.hci2
                : strcmp(through, "p1") == 0   ? &a.p1
                : strcmp(through, "p2") == 0   ? &a.p2
                                               : &a.p3;
        (*want)++;
        ck_assert_msg(
                memcmp(&a, &b, sizeof(a)) == 0,
                "Unlock went through hci0 %u→%u hci1 %u→%u hci2 %u→%u p1 %u→%u p2 %u→%u, not %s alone",
                a.hci0 - (want == &a.hci0),
                b.hci0,
                a.hci1 - (want == &a.hci1),
                b.hci1,
                a.hci2 - (want == &a.hci2),
                b.hci2,
                a.p1 - (want == &a.p1),
                b.p1,
                a.p2 - (want == &a.p2),
                b.p2,
                through);
}

static bool seen_twice_since(World *w, const void *arg) {
        const uint64_t *since = arg;

        return world_get_u64(w, WORLD_LOCK1, "LastSeenUSec") > *since;
}

/* BlueZ and two proxies hear lock A: the strongest carries its commands, moving the lock moves them,
 * and a record of its log that all three radios announce is one Event. */
START_TEST(test_strongest_of_three_and_moving) {
        const char *args[] = {
                "--esphome-proxy", "p1=127.0.0.1:0", "--esphome-proxy", "p2=127.0.0.1:0", NULL
        };
        const char *locks[] = { LOCK_A, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        Events events = {};
        unsigned want;
        const void *arg[] = { &events, &want };
        uint64_t seen;

        world_start(&w);
        world_sim_rssi(&w, LOCK_A, "hci0", -80);
        world_sim_rssi(&w, LOCK_A, "p1", -70);
        world_sim_rssi(&w, LOCK_A, "p2", -50);
        world_write_config(
                &w,
                "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n\n[Proxy]\nName=p2\nHost=127.0.0.1\nPort=%u\n",
                world_proxy_port(&w, "p1"),
                world_proxy_port(&w, "p2"));
        world_start_daemon(&w);
        pair_locks(&w, locks);

        wait_lock_radio(&w, LOCK_A_PATH, "p2");
        wait_radio_rssi(&w, "hci0", -80);
        wait_radio_rssi(&w, "p1", -70);
        wait_radio_rssi(&w, "p2", -50);
        unlock_through(&w, "p2");

        /* One record, three radios that announce it: one Event. A second record proves the first one's
         * adverts from every radio went by meanwhile. */
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        LOCK_A_PATH,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        &events),
                0);
        world_sim_call(&w, "TurnKnob", "b", true);
        want = 1;
        ck_assert_msg(world_wait(&w, events_at_least, arg, WORLD_TIMEOUT), "no Event");
        seen = world_get_u64(&w, WORLD_LOCK1, "LastSeenUSec");
        ck_assert(world_wait(&w, seen_twice_since, &seen, WORLD_TIMEOUT));
        world_sim_call(&w, "TurnKnob", "b", false);
        want = 2;
        ck_assert_msg(world_wait(&w, events_at_least, arg, WORLD_TIMEOUT), "no second Event");
        seen = world_get_u64(&w, WORLD_LOCK1, "LastSeenUSec");
        ck_assert(world_wait(&w, seen_twice_since, &seen, WORLD_TIMEOUT));
        ck_assert_uint_eq(events.n, 2);

        /* Moved: p1 is loud now, p2 faint; by more than the hysteresis. */
        world_sim_rssi(&w, LOCK_A, "p2", -90);
        world_sim_rssi(&w, LOCK_A, "p1", -40);
        wait_lock_radio(&w, LOCK_A_PATH, "p1");
        unlock_through(&w, "p1");

        /* Out of p1's reach: p1 hears no more of it, and once its last advert there is older than
         * 30 s (radio.c HEARD_RECENTLY_USEC) p1 no longer counts; BlueZ is what is left that is better
         * than p2. Nothing else needs to happen meanwhile: no call, no failed connect. */
        world_sim_rssi(&w, LOCK_A, "p1", 0);
        world_sim_rssi(&w, LOCK_A, "hci0", -45);
        ck_assert_msg(
                world_wait(&w, lock_radio_is, &(RadioWant){ LOCK_A_PATH, "hci0" }, 45 * TEST_USEC_PER_SEC),
                "p1 still carries the lock 45 s after it last heard it");
        unlock_through(&w, "hci0");
        world_stop(&w);
}
END_TEST

/* Three BlueZ adapters: the one that hears the lock best wins, and the choice follows the lock. Only the
 * adapters ttlockd.conf names are radios. */
START_TEST(test_best_of_several_adapters) {
        const char *args[] = { "--adapters", "3", NULL };
        const char *locks[] = { LOCK_A, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        char path[64];

        world_start(&w);
        world_sim_rssi(&w, LOCK_A, "hci0", -80);
        world_sim_rssi(&w, LOCK_A, "hci1", -50);
        world_sim_rssi(&w, LOCK_A, "hci2", -70);
        world_start_daemon(&w);
        pair_locks(&w, locks);
        wait_lock_radio(&w, LOCK_A_PATH, "hci1");
        unlock_through(&w, "hci1");

        world_sim_rssi(&w, LOCK_A, "hci1", -90);
        world_sim_rssi(&w, LOCK_A, "hci2", -40);
        wait_lock_radio(&w, LOCK_A_PATH, "hci2");
        unlock_through(&w, "hci2");

        /* Adapters=hci0 hci1: hci2 is no radio of ours any more, and hci1 (-90) is still better
         * than nothing... but hci0 (-80) is better than hci1. */
        world_write_config(&w, "[Bluetooth]\nAdapters=hci0 hci1\n");
        world_call_ok(&w, WORLD_MANAGER, "ReloadConfiguration");
        world_radio_path("hci2", path, sizeof(path));
        ck_assert_msg(
                world_wait(&w, lock_radio_is, &(RadioWant){ LOCK_A_PATH, "hci0" }, WORLD_TIMEOUT),
                "hci2 still carries the lock");
        unlock_through(&w, "hci0");
        world_stop(&w);
}
END_TEST

/* ---- failover ------------------------------------------------------------------------------------ */

typedef struct AsyncCall {
        bool done;
        char error[128];
} AsyncCall;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        AsyncCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->done = true;
        if (e)
                snprintf(c->error, sizeof(c->error), "%s", e->name);
        return 0;
}

static void call_async(World *w, const char *path, const char *method, AsyncCall *c) {
        *c = (AsyncCall){};
        ck_assert_int_ge(
                sd_bus_call_method_async(
                        w->client,
                        NULL,
                        "org.ttlock.Manager",
                        path,
                        "org.ttlock.Lock1",
                        method,
                        on_reply,
                        c,
                        NULL),
                0);
}

static bool async_done(World *w, const void *arg) {
        return ((const AsyncCall *) arg)->done;
}

/* The proxy that carries an Unlock dies while the lock thinks about the challenge: the Unlock is tried
 * once more through BlueZ and succeeds, within the method's deadline. The proxy comes back by itself. */
START_TEST(test_proxy_killed_mid_unlock) {
        const char *args[] = { "--esphome-proxy", "p1=127.0.0.1:0", NULL };
        const char *locks[] = { LOCK_A, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        AsyncCall call;
        Links a, b;

        world_start(&w);
        world_sim_rssi(&w, LOCK_A, "hci0", -70);
        world_sim_rssi(&w, LOCK_A, "p1", -45);
        world_write_config(&w, "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n", world_proxy_port(&w, "p1"));
        world_start_daemon(&w);
        pair_locks(&w, locks);
        wait_lock_radio(&w, LOCK_A_PATH, "p1");
        ck_assert_msg(world_wait(&w, lock_seen_at, LOCK_A, WORLD_TIMEOUT), "no advert");
        /* The pairing's connection goes first: the Unlock's is the one to watch. */
        ck_assert_msg(world_wait(&w, lock_disconnected, NULL, WORLD_TIMEOUT), "the pairing's link stays");

        links(&w, LOCK_A, &a);
        /* The lock takes the challenge and stays silent: the proxy dies before the reply time-out. */
        world_sim_call(&w, "InjectFault", "su", "no-reply@CHECK_USER_TIME", 1u);
        call_async(&w, LOCK_A_PATH, "Unlock", &call);
        /* The lock took the challenge through p1 (the fault is spent) and says nothing. */
        ck_assert_msg(world_wait(&w, faults_spent, NULL, WORLD_TIMEOUT), "the challenge never reached the lock");
        ck_assert(!call.done);
        world_proxy_call(&w, "p1", "Stop");
        ck_assert_msg(world_wait(&w, async_done, &call, 25 * TEST_USEC_PER_SEC), "no answer to Unlock");
        ck_assert_msg(call.error[0] == 0, "Unlock failed (%s) instead of failing over", call.error);
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
        links(&w, LOCK_A, &b);
        ck_assert_uint_eq(b.p1, a.p1 + 1);
        ck_assert_uint_eq(b.hci0, a.hci0 + 1);
        ck_assert_msg(world_wait(&w, radio_down_with_error, "p1", WORLD_TIMEOUT), "p1 has no LastError");

        world_proxy_call(&w, "p1", "Start");
        ck_assert_msg(world_wait(&w, radio_up, "p1", WORLD_TIMEOUT), "p1 did not come back");
        world_stop(&w);
}
END_TEST

/* ---- slots and pins ------------------------------------------------------------------------------ */

#define LOCK_B "AA:BB:CC:00:00:02"
#define LOCK_B_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_02"

static bool free_slots_are(World *w, const void *arg) {
        char path[64];
        uint32_t n = 0;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        world_radio_path("p1", path, sizeof(path));
        if (sd_bus_get_property_trivial(
                    w->client,
                    "org.ttlock.Manager",
                    path,
                    "org.ttlock.Radio1",
                    "FreeConnectionSlots",
                    &e,
                    'u',
                    &n) < 0)
                n = UINT32_MAX;
        sd_bus_error_free(&e);
        return n == *(const uint32_t *) arg;
}

/* A proxy with one slot, held by an enrollment on lock A: lock B, which p1 hears best too, is unlocked
 * through BlueZ instead. */
START_TEST(test_no_free_slot) {
        const char *args[] = {
                "--esphome-proxy", "p1=127.0.0.1:0,slots=1", "--lock", "mac=" LOCK_B ",name=K5_020000", NULL
        };
        const char *locks[] = { LOCK_A, LOCK_B, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        EnrollmentSeen enrolled = {};
        uint32_t one = 1, none = 0;
        uint64_t now;
        Links a, b;
        char *err;

        world_start(&w);
        world_sim_rssi(&w, LOCK_A, "hci0", -80);
        world_sim_rssi(&w, LOCK_A, "p1", -50);
        world_sim_rssi(&w, LOCK_B, "hci0", -80);
        world_sim_rssi(&w, LOCK_B, "p1", -50);
        world_write_config(&w, "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n", world_proxy_port(&w, "p1"));
        world_start_daemon(&w);
        pair_locks(&w, locks);
        wait_lock_radio(&w, LOCK_A_PATH, "p1");
        wait_lock_radio(&w, LOCK_B_PATH, "p1");
        ck_assert_msg(world_wait(&w, free_slots_are, &one, WORLD_TIMEOUT), "p1's slot did not come free");

        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        LOCK_A_PATH,
                        "org.ttlock.Credentials1",
                        "EnrollmentStatus",
                        on_enrollment,
                        &enrolled),
                0);
        now = (uint64_t) time(NULL) * TEST_USEC_PER_SEC;
        err = world_call(
                &w,
                "org.ttlock.Manager",
                LOCK_A_PATH,
                "org.ttlock.Credentials1",
                "StartCardEnrollment",
                "tt",
                now - 3600 * TEST_USEC_PER_SEC,
                now + 3600 * TEST_USEC_PER_SEC);
        ck_assert_msg(!err, "StartCardEnrollment: %s", err);
        ck_assert(world_wait(&w, enrollment_waiting, &enrolled, WORLD_TIMEOUT));
        ck_assert_msg(world_wait(&w, free_slots_are, &none, WORLD_TIMEOUT), "p1 still has a free slot");

        links(&w, LOCK_B, &a);
        unlock(&w, LOCK_B);
        links(&w, LOCK_B, &b);
        ck_assert_uint_eq(b.p1, a.p1);
        ck_assert_uint_eq(b.hci0, a.hci0 + 1);
        world_call_ok(&w, "org.ttlock.Manager", LOCK_A_PATH, "org.ttlock.Credentials1", "CancelEnrollment");
        world_stop(&w);
}
END_TEST

/* A pin beats the stronger radio; without the pin the stronger one wins again; a pin to a radio that
 * does not exist leaves the lock unreachable rather than going elsewhere. */
START_TEST(test_pinned_radio) {
        const char *args[] = { "--esphome-proxy", "p1=127.0.0.1:0", NULL };
        const char *locks[] = { LOCK_A, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        unsigned port;
        char *err;

        world_start(&w);
        world_sim_rssi(&w, LOCK_A, "hci0", -40);
        world_sim_rssi(&w, LOCK_A, "p1", -75);
        port = world_proxy_port(&w, "p1");
        world_write_config(
                &w,
                "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n\n[Lock]\nAddress=aa:bb:cc:00:00:01\nRadio=p1\n",
                port);
        world_start_daemon(&w);
        pair_locks(&w, locks);
        wait_lock_radio(&w, LOCK_A_PATH, "p1");
        unlock_through(&w, "p1");

        world_write_config(&w, "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n", port);
        world_call_ok(&w, WORLD_MANAGER, "ReloadConfiguration");
        wait_lock_radio(&w, LOCK_A_PATH, "hci0");
        unlock_through(&w, "hci0");

        world_write_config(&w, "[Lock]\nAddress=AA:BB:CC:00:00:01\nRadio=attic\n");
        world_call_ok(&w, WORLD_MANAGER, "ReloadConfiguration");
        ck_assert_msg(world_wait(&w, lock_disconnected, NULL, WORLD_TIMEOUT), "the last link stays up");
        err = world_get_path(&w, WORLD_LOCK1, "Radio");
        ck_assert_str_eq(err, "/");
        free(err);
        err = world_call(&w, WORLD_LOCK1, "Unlock", NULL);
        ck_assert_ptr_nonnull(err);
        ck_assert_str_eq(err, "org.ttlock.Error.Unreachable");
        free(err);
        world_stop(&w);
}
END_TEST

/* ---- configuration at runtime -------------------------------------------------------------------- */

static size_t n_radios(World *w) {
        sd_bus_message *reply = NULL;
        const char *path;
        size_t n = 0;

        ck_assert_int_ge(sd_bus_get_property(w->client, WORLD_MANAGER, "Radios", NULL, &reply, "ao"), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        while (sd_bus_message_read(reply, "o", &path) > 0)
                n++;
        sd_bus_message_unref(reply);
        return n;
}

static bool radios_are(World *w, const void *arg) {
        return n_radios(w) == *(const size_t *) arg;
}

static char *reload_error(World *w, char *message, size_t size) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *name = NULL;

        if (sd_bus_call_method(w->client, WORLD_MANAGER, "ReloadConfiguration", &e, &reply, "") < 0) {
                name = strdup(e.name);
                snprintf(message, size, "%s", e.message ?: "");
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return name;
}

/* A proxy added and removed while ttlockd runs (ReloadConfiguration(), SIGHUP); a bad file or a PSK
 * file others may read is refused with where and why, and what runs stays. */
START_TEST(test_reload_adds_and_removes_a_proxy) {
        const char *args[] = { "--esphome-proxy", "p1=127.0.0.1:0", NULL };
        World w = { .sim_args = args };
        char message[512], psk[300], *err;
        size_t one = 1, two = 2;
        unsigned port;
        int fd;

        world_start(&w);
        port = world_proxy_port(&w, "p1");
        ck_assert_msg(world_wait(&w, radios_are, &one, WORLD_TIMEOUT), "not just hci0 at first");

        world_write_config(&w, "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n", port);
        world_call_ok(&w, WORLD_MANAGER, "ReloadConfiguration");
        ck_assert(world_wait(&w, radios_are, &two, WORLD_TIMEOUT));
        ck_assert_msg(world_wait(&w, radio_up, "p1", WORLD_TIMEOUT), "p1 did not come up");

        world_write_config(&w, "[Proxy]\nName=p1\nHots=127.0.0.1\n");
        err = reload_error(&w, message, sizeof(message));
        ck_assert_ptr_nonnull(err);
        ck_assert_str_eq(err, "org.freedesktop.DBus.Error.InvalidFileContent");
        ck_assert_msg(
                strstr(message, "ttlockd.conf:3:") && strstr(message, "Hots"), "no file:line: %s", message);
        free(err);
        ck_assert(world_radio_connected(&w, "p1"));

        snprintf(psk, sizeof(psk), "%s.psk", w.config);
        fd = open(psk, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, KEY_A "\n", strlen(KEY_A) + 1), (ssize_t) strlen(KEY_A) + 1);
        ck_assert_int_eq(fchmod(fd, 0644), 0);
        close(fd);
        world_write_config(&w, "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\nPSKFile=%s\n", port, psk);
        err = reload_error(&w, message, sizeof(message));
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(strstr(message, "chmod 600") && !strstr(message, KEY_A), "%s", message);
        free(err);
        ck_assert(world_radio_connected(&w, "p1"));

        /* SIGHUP reads it as ReloadConfiguration() does: p1 goes. */
        world_write_config(&w, "# nothing but BlueZ\n");
        ck_assert_int_eq(kill(w.daemon_pid, SIGHUP), 0);
        ck_assert_msg(world_wait(&w, radios_are, &one, WORLD_TIMEOUT), "p1 did not go");
        world_stop(&w);
}
END_TEST

/* ---- many at once -------------------------------------------------------------------------------- */

#define TEN 10

static bool ten_pairable(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        const char *path;
        size_t n = 0;

        if (sd_bus_call_method(w->client, WORLD_MANAGER, "ListLocks", NULL, &reply, "") < 0)
                return false;
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        while (sd_bus_message_read(reply, "o", &path) > 0)
                n++;
        sd_bus_message_unref(reply);
        return n >= TEN;
}

static bool all_done(World *w, const void *arg) {
        const AsyncCall *c = arg;

        for (size_t i = 0; i < TEN; i++)
                if (!c[i].done)
                        return false;
        return true;
}

/* Ten locks behind three proxies, unlocked at the same time: every Unlock succeeds, and the proxies'
 * slots spread them. */
START_TEST(test_ten_locks_three_proxies) {
        const char *args[] = { "--locks",
                               "9",
                               "--esphome-proxy",
                               "p1=127.0.0.1:0,slots=4",
                               "--esphome-proxy",
                               "p2=127.0.0.1:0,slots=4",
                               "--esphome-proxy",
                               "p3=127.0.0.1:0,slots=4",
                               NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        char paths[TEN][64];
        AsyncCall calls[TEN];
        sd_bus_message *reply = NULL;
        const char *path;
        size_t n = 0;

        world_start(&w);
        world_write_config(
                &w,
                "[Bluetooth]\nAdapters=none\n\n"
                "[Proxy]\nName=p1\nHost=127.0.0.1\nPort=%u\n\n"
                "[Proxy]\nName=p2\nHost=127.0.0.1\nPort=%u\n\n"
                "[Proxy]\nName=p3\nHost=127.0.0.1\nPort=%u\n",
                world_proxy_port(&w, "p1"),
                world_proxy_port(&w, "p2"),
                world_proxy_port(&w, "p3"));
        world_start_daemon(&w);
        ck_assert(world_wait(&w, radio_up, "p3", WORLD_TIMEOUT));
        world_call_ok(&w, WORLD_MANAGER, "StartDiscovery");
        ck_assert_msg(world_wait(&w, ten_pairable, NULL, WORLD_TIMEOUT), "not ten locks");
        ck_assert_int_ge(sd_bus_call_method(w.client, WORLD_MANAGER, "ListLocks", NULL, &reply, ""), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        while (n < TEN && sd_bus_message_read(reply, "o", &path) > 0)
                snprintf(paths[n++], sizeof(paths[0]), "%s", path);
        sd_bus_message_unref(reply);
        for (size_t i = 0; i < TEN; i++) {
                char *err = world_call(&w, "org.ttlock.Manager", paths[i], "org.ttlock.Lock1", "Pair", NULL);

                ck_assert_msg(!err, "Pair %s: %s", paths[i], err);
        }
        world_call_ok(&w, WORLD_MANAGER, "StopDiscovery");

        for (size_t i = 0; i < TEN; i++)
                call_async(&w, paths[i], "Unlock", &calls[i]);
        ck_assert_msg(world_wait(&w, all_done, calls, 2 * WORLD_TIMEOUT), "not every Unlock answered");
        for (size_t i = 0; i < TEN; i++)
                ck_assert_msg(calls[i].error[0] == 0, "Unlock %s: %s", paths[i], calls[i].error);
        world_stop(&w);
}
END_TEST

/* ---- proxies that are not what they claim -------------------------------------------------------- */

typedef struct Fakes {
        const char *name;
        FakeProxyOptions options;
        const char *error;    /* in its LastError */
        unsigned max_accepts; /* over the watch below */
        FakeProxyThread *thread;
} Fakes;

typedef struct Storm {
        Fakes *fakes;
        size_t n;
} Storm;

static bool any_storm(World *w, const void *arg) {
        const Storm *s = arg;

        for (size_t i = 0; i < s->n; i++)
                if (fake_proxy_thread_accepts(s->fakes[i].thread) > s->fakes[i].max_accepts)
                        return true;
        return false;
}

static const uint8_t fake_key[32] = { 7, 7, 7 };

/* A wrong key (the simulator's Noise proxy and a fake one), garbage, a frame over the limit, a message
 * that does not decode, a device that is no Bluetooth proxy, and a hostile proxy: each radio says what
 * is wrong in LastError, none is knocked on in a storm, ttlockd keeps serving, and nothing the hostile
 * proxy advertised became a lock. */
START_TEST(test_wrong_keys_and_hostile_proxies) {
        char sim_psk[256], spec[300], wrong[256];
        const char *args[] = { "--esphome-proxy", spec, NULL };
        World w = { .sim_args = args, .defer_daemon = true };
        Fakes fakes[] = {
                { "wrongkey", { .mode = FAKE_PROXY_GOOD, .psk = fake_key }, "wrong PSK", 1 },
                { "garbage", { .mode = FAKE_PROXY_GARBAGE }, "Malformed", 4 },
                { "huge", { .mode = FAKE_PROXY_HUGE_FRAME }, "size limit", 4 },
                { "badmsg", { .mode = FAKE_PROXY_BAD_MESSAGE }, "does not decode", 4 },
                { "notproxy", { .mode = FAKE_PROXY_NOT_A_PROXY }, "no Bluetooth proxy", 1 },
                { "hostile", { .mode = FAKE_PROXY_HOSTILE }, "size limit", 4 },
        };
        Storm storm = { fakes, ELEMENTSOF(fakes) };
        char config[4096], *e;
        size_t n = 0;
        sd_bus_message *reply = NULL;
        const char *path;

        psk_file(sim_psk, sizeof(sim_psk), KEY_A);
        psk_file(wrong, sizeof(wrong), KEY_B);
        snprintf(spec, sizeof(spec), "garage=127.0.0.1:0,psk=%s", sim_psk);
        world_start(&w);
        n += (size_t) snprintf(
                config + n,
                sizeof(config) - n,
                "[Proxy]\nName=garage\nHost=127.0.0.1\nPort=%u\nPSKFile=%s\n",
                world_proxy_port(&w, "garage"),
                wrong);
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++) {
                ck_assert_int_ge(fake_proxy_thread_start(&fakes[i].options, &fakes[i].thread), 0);
                n += (size_t) snprintf(
                        config + n,
                        sizeof(config) - n,
                        "[Proxy]\nName=%s\nHost=127.0.0.1\nPort=%u\n%s%s%s",
                        fakes[i].name,
                        fake_proxy_thread_port(fakes[i].thread),
                        fakes[i].options.psk ? "PSKFile=" : "",
                        fakes[i].options.psk ? wrong : "",
                        fakes[i].options.psk ? "\n" : "");
        }
        world_write_config(&w, "%s", config);
        world_start_daemon(&w);

        ck_assert_msg(
                world_wait(&w, radio_down_with_error, "garage", WORLD_TIMEOUT), "garage: no LastError");
        e = world_radio_string(&w, "garage", "LastError");
        ck_assert_msg(strstr(e, "wrong PSK") && !strstr(e, KEY_B) && !strstr(e, KEY_A), "garage: %s", e);
        free(e);
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++) {
                ck_assert_msg(
                        world_wait(&w, radio_down_with_error, fakes[i].name, WORLD_TIMEOUT),
                        "%s: no LastError",
                        fakes[i].name);
                e = world_radio_string(&w, fakes[i].name, "LastError");
                ck_assert_msg(strstr(e, fakes[i].error), "%s: %s", fakes[i].name, e);
                free(e);
        }
        /* Four seconds of watching: backoff, not a storm. */
        ck_assert_msg(
                !world_wait(&w, any_storm, &storm, 4 * TEST_USEC_PER_SEC),
                "a proxy is knocked on too often");
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++)
                ck_assert_uint_ge(fake_proxy_thread_accepts(fakes[i].thread), 1);

        /* Still serving, and nothing of what the hostile proxy made up became a lock. */
        e = world_get_string(&w, WORLD_MANAGER, "Version");
        free(e);
        ck_assert_int_ge(sd_bus_call_method(w.client, WORLD_MANAGER, "ListLocks", NULL, &reply, ""), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        ck_assert_int_eq(sd_bus_message_read(reply, "o", &path), 0);
        sd_bus_message_unref(reply);

        world_stop(&w);
        for (size_t i = 0; i < ELEMENTSOF(fakes); i++)
                fake_proxy_thread_stop(fakes[i].thread);
        (void) unlink(sim_psk);
        (void) unlink(wrong);
}
END_TEST

Suite *radios_suite(void);

Suite *radios_suite(void) {
        const struct {
                const char *name;
                const TTest *test;
        } tests[] = {
                { "plaintext", test_plaintext_proxy },
                { "encrypted", test_encrypted_proxy },
                { "strongest", test_strongest_of_three_and_moving },
                { "adapters", test_best_of_several_adapters },
                { "failover", test_proxy_killed_mid_unlock },
                { "slots", test_no_free_slot },
                { "pin", test_pinned_radio },
                { "reload", test_reload_adds_and_removes_a_proxy },
                { "ten", test_ten_locks_three_proxies },
                { "hostile", test_wrong_keys_and_hostile_proxies },
        };
        Suite *s = suite_create("radios");

        /* One case each, so that CK_RUN_CASE=name runs one. */
        for (size_t i = 0; i < ELEMENTSOF(tests); i++) {
                TCase *tc = tcase_create(tests[i].name);

                tcase_set_timeout(tc, 240);
                tcase_add_test(tc, tests[i].test);
                suite_add_tcase(s, tc);
        }
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
