/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long ttlockd takes, as a D-Bus client sees it (not a test: it prints figures; bench/daemon.sh
 * brings up the stack and runs it). One connection to the bus, timed with CLOCK_MONOTONIC:
 *
 *   unlock-warm N LOCK         Unlock() N times on a link that is up (a Lock() between, not timed)
 *   unlock-cold N LOCK         Unlock() N times, each after ttlockd dropped the link (Connected
 *                              false), so every call pays for the connection
 *   keypad N LOCK DEVICE CODE SPREAD-MS
 *                              Sim1.EnterPasscode(CODE) at the simulator, until the Event
 *                              "unlocked"/method "passcode" arrives from LOCK; each with the link down
 *                              and after a pause spread evenly over 0…SPREAD-MS, so that the entries
 *                              fall at every phase of the lock's advertising (SPREAD-MS = the advert
 *                              interval makes the largest figure the worst case)
 *   unlock-event N LOCK        Unlock() N times, each on a cold link, timed from the moment the call
 *                              returned until the Event "unlocked"/method "app" of that unlock
 *                              arrives (a Lock() between, its Event awaited too, not timed): how long
 *                              a client that reacts to "unlocked by the app" waits after the reply
 *
 * Prints one line: MODE n=N median=… p90=… min=… max=… mean=… (milliseconds); keypad also its two
 * parts, keypad-connect (entry until Connected) and keypad-read (Connected until the Event).
 * A client of its own rather than busctl: busctl's start-up, authentication and Hello() would be
 * most of a warm Unlock()'s figure. */

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
#define WAIT_USEC (30ULL * 1000 * 1000)

typedef struct Bench {
        sd_bus *bus;
        const char *lock;
        bool connected;        /* Lock1.Connected as last signalled */
        uint64_t connect_usec; /* when Connected last became true */
        uint64_t event_usec;   /* when the awaited Event arrived, 0 before */
        const char *event_kind;   /* the Event awaited: kind and method */
        const char *event_method;
} Bench;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bench *b = userdata;
        const char *iface, *name;
        int r, v;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0 || strcmp(iface, LOCK_IFACE) != 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (strcmp(name, "Connected") == 0) {
                        if (sd_bus_message_read(m, "v", "b", &v) < 0)
                                return 0;
                        if (v && !b->connected)
                                b->connect_usec = now_usec();
                        b->connected = v;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

/* Event(s kind, a{sv} details): notes the first of the awaited kind and method. */
static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bench *b = userdata;
        const char *kind, *key, *method = NULL;
        uint64_t t = now_usec();

        if (sd_bus_message_read(m, "s", &kind) < 0 || !b->event_kind || strcmp(kind, b->event_kind) != 0)
                return 0;
        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &key) < 0)
                        return 0;
                if (strcmp(key, "method") == 0) {
                        if (sd_bus_message_read(m, "v", "s", &method) < 0)
                                return 0;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        if (method && strcmp(method, b->event_method) == 0 && b->event_usec == 0)
                b->event_usec = t;
        return 0;
}

/* Dispatches messages until done() says so, at most WAIT_USEC. */
static int wait_for(Bench *b, bool (*done)(Bench *b), const char *what) {
        uint64_t deadline = now_usec() + WAIT_USEC;
        int r;

        while (!done(b)) {
                uint64_t t = now_usec();

                if (t >= deadline) {
                        fprintf(stderr,
                                "bench-daemon: no %s within %llu s\n",
                                what,
                                (unsigned long long) (WAIT_USEC / 1000000));
                        return -ETIMEDOUT;
                }
                r = sd_bus_process(b->bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "bench-daemon: bus: %s\n", strerror(-r));
                        return r;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(b->bus, deadline - t);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "bench-daemon: bus: %s\n", strerror(-r));
                        return r;
                }
        }
        return 0;
}

static bool disconnected(Bench *b) {
        return !b->connected;
}

static bool event_seen(Bench *b) {
        return b->event_usec != 0;
}

/* Until ttlockd has dropped the link: the next command has to connect. */
static int wait_disconnected(Bench *b) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, v;

        r = sd_bus_get_property_trivial(b->bus, MANAGER, b->lock, LOCK_IFACE, "Connected", &error, 'b', &v);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: Connected: %s\n", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        b->connected = v;
        return wait_for(b, disconnected, "disconnection");
}

static int
call(Bench *b, const char *dest, const char *path, const char *iface, const char *member, const char *code) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;

        if (code)
                r = sd_bus_call_method(b->bus, dest, path, iface, member, &error, &reply, "s", code);
        else
                r = sd_bus_call_method(b->bus, dest, path, iface, member, &error, &reply, "");
        if (r < 0)
                fprintf(stderr,
                        "bench-daemon: %s.%s: %s: %s\n",
                        iface,
                        member,
                        error.name ?: "",
                        error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static void report(const char *mode, uint64_t *v, size_t n) {
        double sum = 0, median;
        size_t p90 = (9 * n + 9) / 10; /* nearest rank: ceil(0.9 n) */

        qsort(v, n, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < n; i++)
                sum += (double) v[i];
        median = n % 2 ? (double) v[n / 2] : ((double) v[n / 2 - 1] + (double) v[n / 2]) / 2;
        printf("%s n=%zu median=%.3f p90=%.3f min=%.3f max=%.3f mean=%.3f\n",
               mode,
               n,
               median / 1000,
               (double) v[p90 - 1] / 1000,
               (double) v[0] / 1000,
               (double) v[n - 1] / 1000,
               sum / (double) n / 1000);
}

static int
run(Bench *b,
    const char *mode,
    size_t n,
    const char *device,
    const char *code,
    unsigned spread_ms,
    uint64_t *v,
    uint64_t *v_connect,
    uint64_t *v_read) {
        bool cold = strcmp(mode, "unlock-cold") == 0;
        uint64_t t0;
        int r;

        if (strcmp(mode, "unlock-event") == 0) {
                for (size_t i = 0; i < n; i++) {
                        r = wait_disconnected(b);
                        if (r < 0)
                                return r;
                        b->event_kind = "unlocked";
                        b->event_method = "app";
                        b->event_usec = 0;
                        r = call(b, MANAGER, b->lock, LOCK_IFACE, "Unlock", NULL);
                        if (r < 0)
                                return r;
                        t0 = now_usec();
                        r = wait_for(b, event_seen, "app unlock Event");
                        if (r < 0)
                                return r;
                        v[i] = b->event_usec - t0;
                        /* The Lock()'s own Event too, so that it cannot be taken for the next one. */
                        b->event_kind = "locked";
                        b->event_usec = 0;
                        r = call(b, MANAGER, b->lock, LOCK_IFACE, "Lock", NULL);
                        if (r < 0)
                                return r;
                        r = wait_for(b, event_seen, "app lock Event");
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        if (strcmp(mode, "keypad") == 0) {
                b->event_kind = "unlocked";
                b->event_method = "passcode";
                for (size_t i = 0; i < n; i++) {
                        /* i/n of the spread: evenly over the phases, the same on every run. */
                        uint64_t pause = (uint64_t) spread_ms * 1000 * i / n;
                        struct timespec ts = { .tv_sec = (time_t) (pause / 1000000),
                                               .tv_nsec = (long) (pause % 1000000) * 1000 };

                        r = wait_disconnected(b);
                        if (r < 0)
                                return r;
                        (void) nanosleep(&ts, NULL);
                        b->event_usec = 0;
                        b->connect_usec = 0;
                        t0 = now_usec();
                        r = call(b, "org.bluez", device, "org.ttlock.Sim1", "EnterPasscode", code);
                        if (r < 0)
                                return r;
                        r = wait_for(b, event_seen, "passcode Event");
                        if (r < 0)
                                return r;
                        v[i] = b->event_usec - t0;
                        /* Connected may not have been signalled apart (already up): all read. */
                        v_connect[i] = b->connect_usec >= t0 ? b->connect_usec - t0 : 0;
                        v_read[i] = b->event_usec - (b->connect_usec >= t0 ? b->connect_usec : t0);
                }
                return 0;
        }

        /* Warm-up: the link is up afterwards, and polkitd is running. */
        if (!cold) {
                r = call(b, MANAGER, b->lock, LOCK_IFACE, "Unlock", NULL);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                if (cold) {
                        r = wait_disconnected(b);
                        if (r < 0)
                                return r;
                }
                t0 = now_usec();
                r = call(b, MANAGER, b->lock, LOCK_IFACE, "Unlock", NULL);
                if (r < 0)
                        return r;
                v[i] = now_usec() - t0;
                r = call(b, MANAGER, b->lock, LOCK_IFACE, "Lock", NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        Bench b = {};
        sd_bus_message *owner_reply = NULL;
        const char *mode, *device = NULL, *code = NULL, *owner = NULL;
        uint64_t *v, *v_connect, *v_read;
        unsigned long spread_ms = 0;
        char *end;
        long n;
        int r;

        if (argc < 4 || (strcmp(argv[1], "keypad") == 0 ? argc != 7 : argc != 4) ||
            (strcmp(argv[1], "unlock-warm") != 0 && strcmp(argv[1], "unlock-cold") != 0 &&
             strcmp(argv[1], "unlock-event") != 0 && strcmp(argv[1], "keypad") != 0)) {
                fprintf(stderr,
                        "usage: %s unlock-warm|unlock-cold|unlock-event N LOCK-PATH\n"
                        "       %s keypad N LOCK-PATH DEVICE-PATH CODE SPREAD-MS\n",
                        argv[0],
                        argv[0]);
                return 2;
        }
        mode = argv[1];
        errno = 0;
        n = strtol(argv[2], &end, 10);
        if (errno || *end || n < 1 || n > 100000) {
                fprintf(stderr, "bench-daemon: N must be 1–100000, not '%s'\n", argv[2]);
                return 2;
        }
        b.lock = argv[3];
        if (argc == 7) {
                device = argv[4];
                code = argv[5];
                errno = 0;
                spread_ms = strtoul(argv[6], &end, 10);
                if (errno || *end || spread_ms > 60000) {
                        fprintf(stderr, "bench-daemon: SPREAD-MS must be 0–60000, not '%s'\n", argv[6]);
                        return 2;
                }
        }

        r = sd_bus_open_system(&b.bus);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: system bus: %s\n", strerror(-r));
                return 1;
        }
        /* Matched on ttlockd's unique name: messages carry no well-known name for sd-bus to compare
         * a sender=org.ttlock.Manager against. */
        r = sd_bus_call_method(
                b.bus,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                NULL,
                &owner_reply,
                "s",
                MANAGER);
        if (r >= 0)
                r = sd_bus_message_read(owner_reply, "s", &owner);
        if (r >= 0)
                r = sd_bus_match_signal(
                        b.bus,
                        NULL,
                        owner,
                        b.lock,
                        "org.freedesktop.DBus.Properties",
                        "PropertiesChanged",
                        on_properties_changed,
                        &b);
        if (r >= 0)
                r = sd_bus_match_signal(b.bus, NULL, owner, b.lock, LOCK_IFACE, "Event", on_event, &b);
        if (r < 0) {
                fprintf(stderr, "bench-daemon: watching %s: %s\n", MANAGER, strerror(-r));
                sd_bus_message_unref(owner_reply);
                sd_bus_flush_close_unref(b.bus);
                return 1;
        }

        v = calloc((size_t) n, sizeof(uint64_t));
        v_connect = calloc((size_t) n, sizeof(uint64_t));
        v_read = calloc((size_t) n, sizeof(uint64_t));
        if (!v || !v_connect || !v_read) {
                free(v);
                free(v_connect);
                free(v_read);
                sd_bus_message_unref(owner_reply);
                sd_bus_flush_close_unref(b.bus);
                return 1;
        }
        r = run(&b, mode, (size_t) n, device, code, (unsigned) spread_ms, v, v_connect, v_read);
        if (r >= 0)
                report(mode, v, (size_t) n);
        if (r >= 0 && device) {
                report("keypad-connect", v_connect, (size_t) n);
                report("keypad-read", v_read, (size_t) n);
        }
        free(v);
        free(v_connect);
        free(v_read);
        sd_bus_message_unref(owner_reply);
        sd_bus_flush_close_unref(b.bus);
        return r < 0 ? 1 : 0;
}
