/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Many locks at once, as a D-Bus client sees it (not a test: it prints figures; bench/radios.sh brings
 * up the stack and runs it):
 *
 *   unlock-many R LOCK...   R rounds; each waits until no lock is connected (Lock1.Connected false
 *                           on all), then calls Unlock() on every lock at the same time and times
 *                           until the last reply; a Lock() on each follows, not timed
 *
 * Prints one line: unlock-many locks=N n=R median=… p90=… min=… max=… (milliseconds, wall time of a
 * round). Every call must succeed. */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#define MANAGER "org.ttlock.Manager"
#define LOCK_IFACE "org.ttlock.Lock1"
#define WAIT_USEC (60ULL * 1000 * 1000)
#define LOCKS_MAX 64
#define ROUNDS_MAX 1000

typedef struct Call {
        bool done;
        int error;
} Call;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->done = true;
        if (e) {
                fprintf(stderr, "bench-radios: %s: %s\n", e->name, e->message);
                c->error = -EIO;
        }
        return 0;
}

/* Calls member on every lock at once and waits for every reply. */
static int call_all(sd_bus *bus, char **locks, size_t n, const char *member) {
        Call calls[LOCKS_MAX] = {};
        uint64_t end = now_usec() + WAIT_USEC;
        size_t done;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = sd_bus_call_method_async(
                        bus, NULL, MANAGER, locks[i], LOCK_IFACE, member, on_reply, &calls[i], NULL);
                if (r < 0)
                        return r;
        }
        for (;;) {
                done = 0;
                for (size_t i = 0; i < n; i++) {
                        if (calls[i].done && calls[i].error < 0)
                                return calls[i].error;
                        done += calls[i].done;
                }
                if (done == n)
                        return 0;
                if (now_usec() >= end)
                        return -ETIMEDOUT;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        (void) sd_bus_wait(bus, 100 * 1000);
        }
}

static int wait_all_disconnected(sd_bus *bus, char **locks, size_t n) {
        uint64_t end = now_usec() + WAIT_USEC;

        for (;;) {
                bool any = false;

                for (size_t i = 0; i < n && !any; i++) {
                        int connected = 0, r;

                        r = sd_bus_get_property_trivial(
                                bus, MANAGER, locks[i], LOCK_IFACE, "Connected", NULL, 'b', &connected);
                        if (r < 0)
                                return r;
                        any = connected;
                }
                if (!any)
                        return 0;
                if (now_usec() >= end)
                        return -ETIMEDOUT;
                (void) sd_bus_wait(bus, 50 * 1000);
                while (sd_bus_process(bus, NULL) > 0)
                        ;
        }
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

int main(int argc, char *argv[]) {
        static uint64_t v[ROUNDS_MAX];
        sd_bus *bus = NULL;
        char **locks;
        size_t n, rounds;
        char *end = NULL;
        int r;

        if (argc < 4 || strcmp(argv[1], "unlock-many") != 0 || argc - 3 > LOCKS_MAX) {
                fprintf(stderr, "usage: %s unlock-many ROUNDS LOCK-PATH...\n", argv[0]);
                return 2;
        }
        rounds = strtoul(argv[2], &end, 10);
        if (!end || *end || rounds < 1 || rounds > ROUNDS_MAX) {
                fprintf(stderr, "bench-radios: ROUNDS must be 1–%d\n", ROUNDS_MAX);
                return 2;
        }
        locks = argv + 3;
        n = (size_t) argc - 3;
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "bench-radios: cannot connect to the system bus: %s\n", strerror(-r));
                return 1;
        }
        for (size_t i = 0; i < rounds; i++) {
                uint64_t t0;

                r = wait_all_disconnected(bus, locks, n);
                if (r >= 0) {
                        t0 = now_usec();
                        r = call_all(bus, locks, n, "Unlock");
                        v[i] = now_usec() - t0;
                }
                if (r >= 0)
                        r = call_all(bus, locks, n, "Lock");
                if (r < 0) {
                        fprintf(stderr, "bench-radios: round %zu: %s\n", i + 1, strerror(-r));
                        sd_bus_flush_close_unref(bus);
                        return 1;
                }
        }
        qsort(v, rounds, sizeof(uint64_t), cmp_u64);
        printf("unlock-many locks=%zu n=%zu median=%.1f p90=%.1f min=%.1f max=%.1f\n",
               n,
               rounds,
               (double) v[rounds / 2] / 1000,
               (double) v[(rounds * 9) / 10 < rounds ? (rounds * 9) / 10 : rounds - 1] / 1000,
               (double) v[0] / 1000,
               (double) v[rounds - 1] / 1000);
        sd_bus_flush_close_unref(bus);
        return 0;
}
