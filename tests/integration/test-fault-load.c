/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, load (world.h): 20 clients, each on its own bus connection, drive Lock(), Unlock()
 * and property reads on 10 paired locks for TTLOCK_LOAD_SECONDS (default 60), each keeping one call in
 * flight and sending the next as soon as the answer comes. Every answer is a success or an error the
 * method documents (dbus/org.ttlock.Lock1.xml: InProgress when another Lock/Unlock runs on that lock,
 * …), none comes later than 20 s, and afterwards every lock's State is what the lock says and every
 * key file loads. The figures (calls, answers by name, latency) are printed, never asserted: bench/
 * measures. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "fault-flows.h"

#define LOCKS 10
#define CLIENTS 20
#define LATENCY_MAX (20 * TEST_USEC_PER_SEC)
#define SAMPLES_MAX 200000
#define NAMES_MAX 16

typedef struct Load Load;

typedef struct Client {
        Load *load;
        sd_bus *bus;
        uint32_t rnd;
        uint64_t sent_usec;
        const char *method;
        bool done;
} Client;

struct Load {
        sd_event *event;
        uint64_t end_usec;
        Client clients[CLIENTS];
        unsigned running;
        uint64_t *latency; /* one per answer */
        size_t n_latency;
        uint64_t latency_max;
        const char *latency_max_method;
        struct {
                char name[96];
                unsigned count;
        } outcomes[NAMES_MAX];
        size_t n_outcomes;
        unsigned undocumented;
        char first_undocumented[256];
};

static const char *lock_path(unsigned i, char buf[static 64]) {
        snprintf(buf, 64, "/org/ttlock/Lock/AA_BB_CC_00_00_%02X", i + 1);
        return buf;
}

static uint32_t next_random(uint32_t *s) {
        uint32_t x = *s ?: 1;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return *s = x;
}

static void count(Load *l, const char *method, const char *outcome) {
        char name[96];

        snprintf(name, sizeof(name), "%s %s", method, outcome);
        for (size_t i = 0; i < l->n_outcomes; i++)
                if (strcmp(l->outcomes[i].name, name) == 0) {
                        l->outcomes[i].count++;
                        return;
                }
        ck_assert_uint_lt(l->n_outcomes, NAMES_MAX);
        snprintf(l->outcomes[l->n_outcomes].name, sizeof(l->outcomes[0].name), "%s", name);
        l->outcomes[l->n_outcomes++].count = 1;
}

/* What Lock1.xml lists for Lock() and Unlock() (bar NotPaired and NotSupported: every lock here is paired
 * and can lock), and nothing for reading properties. */
static bool documented(const char *method, const char *error) {
        static const char *const actuation[] = {
                "org.ttlock.Error.InProgress",  "org.ttlock.Error.Unreachable",
                "org.ttlock.Error.Timeout",     "org.ttlock.Error.AuthenticationFailed",
                "org.ttlock.Error.LockRefused", "org.ttlock.Error.Failed",
        };

        if (strcmp(method, "GetAll") == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(actuation); i++)
                if (strcmp(error, actuation[i]) == 0)
                        return true;
        return false;
}

static void client_next(Client *c);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Client *c = userdata;
        Load *l = c->load;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        uint64_t took = world_now_usec() - c->sent_usec;

        if (l->n_latency < SAMPLES_MAX)
                l->latency[l->n_latency++] = took;
        if (took > l->latency_max) {
                l->latency_max = took;
                l->latency_max_method = c->method;
        }
        count(l, c->method, e ? e->name : "ok");
        if (e && !documented(c->method, e->name) && l->undocumented++ == 0)
                snprintf(
                        l->first_undocumented,
                        sizeof(l->first_undocumented),
                        "%s → %s: %s",
                        c->method,
                        e->name,
                        e->message ?: "");
        client_next(c);
        return 0;
}

static void client_next(Client *c) {
        Load *l = c->load;
        uint32_t r = next_random(&c->rnd);
        char path[64];
        int q;

        if (world_now_usec() >= l->end_usec) {
                c->done = true;
                if (--l->running == 0)
                        (void) sd_event_exit(l->event, 0);
                return;
        }
        lock_path(r % LOCKS, path);
        c->sent_usec = world_now_usec();
        switch ((r >> 8) % 4) {
        case 0:
                c->method = "Lock";
                break;
        case 1:
                c->method = "Unlock";
                break;
        default:
                c->method = "GetAll";
        }
        if (strcmp(c->method, "GetAll") == 0)
                q = sd_bus_call_method_async(
                        c->bus,
                        NULL,
                        "org.ttlock.Manager",
                        path,
                        "org.freedesktop.DBus.Properties",
                        "GetAll",
                        on_reply,
                        c,
                        "s",
                        "org.ttlock.Lock1");
        else
                q = sd_bus_call_method_async(
                        c->bus,
                        NULL,
                        "org.ttlock.Manager",
                        path,
                        "org.ttlock.Lock1",
                        c->method,
                        on_reply,
                        c,
                        "");
        ck_assert_int_ge(q, 0);
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

typedef struct Bolt {
        unsigned lock;
} Bolt;

/* Lock1.State is what the simulated lock's bolt says. */
static bool state_agrees(World *w, const void *arg) {
        char path[64], sim[64], *state = NULL;
        unsigned i = ((const Bolt *) arg)->lock;
        int locked = 0;
        bool ok;

        lock_path(i, path);
        snprintf(sim, sizeof(sim), "/org/bluez/hci0/dev_AA_BB_CC_00_00_%02X", i + 1);
        ck_assert_int_ge(
                sd_bus_get_property_string(
                        w->client, "org.ttlock.Manager", path, "org.ttlock.Lock1", "State", NULL, &state),
                0);
        ck_assert_int_ge(
                sd_bus_get_property_trivial(
                        w->client, "org.bluez", sim, "org.ttlock.Sim1", "Locked", NULL, 'b', &locked),
                0);
        ok = strcmp(state, locked ? "locked" : "unlocked") == 0;
        free(state);
        return ok;
}

static bool pairable_at(World *w, const void *arg) {
        int pairable = 0;

        return sd_bus_get_property_trivial(
                       w->client,
                       "org.ttlock.Manager",
                       arg,
                       "org.ttlock.Lock1",
                       "Pairable",
                       NULL,
                       'b',
                       &pairable) >= 0 &&
                pairable;
}

START_TEST(test_load) {
        const char *seconds = getenv("TTLOCK_LOAD_SECONDS");
        const char *sim_args[2 * LOCKS + 1] = {};
        char specs[LOCKS][64];
        Load l = {};
        World w = { .sim_args = sim_args };
        uint64_t t0, duration = (seconds ? strtoull(seconds, NULL, 10) : 60) * TEST_USEC_PER_SEC;
        WorldStore st;

        /* Nine more locks next to the world's. */
        for (unsigned i = 1; i < LOCKS; i++) {
                snprintf(
                        specs[i],
                        sizeof(specs[i]),
                        "mac=AA:BB:CC:00:00:%02X,name=K5_0100%02X",
                        i + 1,
                        i + 1);
                sim_args[2 * (i - 1)] = "--lock";
                sim_args[2 * (i - 1) + 1] = specs[i];
        }
        world_start(&w);
        world_pair(&w);
        for (unsigned i = 1; i < LOCKS; i++) {
                char path[64];
                sd_bus_error e = SD_BUS_ERROR_NULL;

                lock_path(i, path);
                ck_assert_msg(world_wait(&w, pairable_at, path, WORLD_TIMEOUT), "%s is not pairable", path);
                ck_assert_msg(
                        sd_bus_call_method(
                                w.client,
                                "org.ttlock.Manager",
                                path,
                                "org.ttlock.Lock1",
                                "Pair",
                                &e,
                                NULL,
                                "") >= 0,
                        "Pair %s: %s",
                        path,
                        e.message);
        }

        l.latency = calloc(SAMPLES_MAX, sizeof(uint64_t));
        ck_assert_ptr_nonnull(l.latency);
        ck_assert_int_ge(sd_event_new(&l.event), 0);
        for (unsigned i = 0; i < CLIENTS; i++) {
                Client *c = &l.clients[i];

                *c = (Client){ .load = &l, .rnd = 0x9E3779B9u * (i + 1) };
                ck_assert_int_ge(sd_bus_open_system(&c->bus), 0);
                ck_assert_int_ge(sd_bus_attach_event(c->bus, l.event, 0), 0);
        }
        t0 = world_now_usec();
        l.end_usec = t0 + duration;
        l.running = CLIENTS;
        for (unsigned i = 0; i < CLIENTS; i++)
                client_next(&l.clients[i]);
        ck_assert_int_ge(sd_event_loop(l.event), 0);

        qsort(l.latency, l.n_latency, sizeof(uint64_t), cmp_u64);
        fprintf(stderr,
                "%u clients, %u locks, %.0f s: %zu answers (%.0f/s); latency median %.1f ms, p99 %.1f ms, "
                "max %.1f ms (%s)\n",
                CLIENTS,
                LOCKS,
                (double) (world_now_usec() - t0) / 1e6,
                l.n_latency,
                (double) l.n_latency * 1e6 / (double) (world_now_usec() - t0),
                (double) l.latency[l.n_latency / 2] / 1e3,
                (double) l.latency[l.n_latency * 99 / 100] / 1e3,
                (double) l.latency_max / 1e3,
                l.latency_max_method);
        for (size_t i = 0; i < l.n_outcomes; i++)
                fprintf(stderr, "  %-60s %u\n", l.outcomes[i].name, l.outcomes[i].count);
        ck_assert_msg(
                l.undocumented == 0,
                "%u undocumented answers, the first: %s",
                l.undocumented,
                l.first_undocumented);
        ck_assert_msg(l.latency_max <= LATENCY_MAX, "an answer took %.1f s", (double) l.latency_max / 1e6);
        ck_assert_uint_gt(l.n_latency, CLIENTS);

        for (unsigned i = 0; i < CLIENTS; i++)
                l.clients[i].bus = sd_bus_flush_close_unref(l.clients[i].bus);
        l.event = sd_event_unref(l.event);
        free(l.latency);

        /* Afterwards: each lock's State is its bolt's, every key file loads, and they all still open. */
        for (unsigned i = 0; i < LOCKS; i++) {
                Bolt b = { i };

                ck_assert_msg(
                        world_wait(&w, state_agrees, &b, WORLD_TIMEOUT),
                        "lock %u: State is not the bolt's",
                        i);
        }
        world_check_store(&w, &st);
        ck_assert_uint_eq(st.n_locks, LOCKS);
        ck_assert_uint_eq(st.n_provisional, 0);
        ck_assert(world_daemon_alive(&w));
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-load");
        TCase *tc = tcase_create("load");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_load);
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
