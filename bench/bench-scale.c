/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockd with many doors and many clients, as D-Bus clients see it (not a test: it prints figures;
 * bench/scale.sh brings up the stack and runs it). Modes:
 *
 *   doors N STATE-DIR SIM-STATE   write N paired doors: key files in format 1 (src/daemon/store/store.h)
 *                                 in STATE-DIR/locks and the simulator's state file (ttlock-sim(1)
 *                                 --state) with the same keys, for `ttlock-sim --locks N` (addresses
 *                                 C0:DE:00:00:00:01 on)
 *   wait-name NAME START-NS       wait until NAME has an owner; print the time since START-NS
 *                                 (CLOCK_REALTIME, `date +%s%N`) in ms
 *   adverts SECONDS               count BlueZ's Device1 PropertiesChanged signals (the adverts
 *                                 ttlockd is sent) for SECONDS; print the rate
 *   load SECONDS CLIENTS LOCK...  CLIENTS processes, each with its own connection, call Unlock(),
 *                                 Lock() and read State, Battery and Rssi in turn on the LOCKs (client
 *                                 i starts at lock i) for SECONDS; print the latencies of each and
 *                                 the errors by name
 *   pair N LOCK                   pair the factory-fresh LOCK N times (StartDiscovery, Pairable, Pair(),
 *                                 then FactoryReset() to make it fresh again); print Pair()'s times
 *   list N ADDRESS                Manager1.ListLocks(), the ObjectManager's GetManagedObjects() and
 *                                 Manager1.GetLockByAddress(ADDRESS), N times each; print their times
 *
 * Latencies: one line per figure, NAME n=… median=… p90=… p99=… max=… (milliseconds). */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define MANAGER "org.ttlock.Manager"
#define LOCK_IFACE "org.ttlock.Lock1"
#define USEC_PER_SEC UINT64_C(1000000)
#define CLIENTS_MAX 256
#define LOCKS_MAX 1024
#define ERRORS_MAX 32
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, size_t n) {
        if (n == 0) {
                printf("%s n=0\n", name);
                return;
        }
        qsort(v, n, sizeof(uint64_t), cmp_u64);
        /* Nearest rank: ceil(p n). */
        printf("%s n=%zu median=%.1f p90=%.1f p99=%.1f max=%.1f\n",
               name,
               n,
               (double) v[(n - 1) / 2] / 1000,
               (double) v[(9 * n + 9) / 10 - 1] / 1000,
               (double) v[(99 * n + 99) / 100 - 1] / 1000,
               (double) v[n - 1] / 1000);
}

static long parse_number(const char *s, long min, long max, const char *what) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < min || v > max) {
                fprintf(stderr, "bench-scale: %s must be %ld–%ld, not '%s'\n", what, min, max, s);
                exit(2);
        }
        return v;
}

static sd_bus *open_bus(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);

        if (r < 0) {
                fprintf(stderr, "bench-scale: system bus: %s\n", strerror(-r));
                exit(1);
        }
        return bus;
}

/* ---- doors ------------------------------------------------------------------------------------ */

static int mode_doors(unsigned n, const char *state_dir, const char *sim_state) {
        char path[4096], dir[4000];
        FILE *sim, *f;

        snprintf(dir, sizeof(dir), "%s/locks", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                fprintf(stderr, "bench-scale: %s: %m\n", dir);
                return 1;
        }
        sim = fopen(sim_state, "we");
        if (!sim) {
                fprintf(stderr, "bench-scale: %s: %m\n", sim_state);
                return 1;
        }
        fputs("version: 1\nlocks:\n", sim);
        for (unsigned i = 1; i <= n; i++) {
                unsigned a = (i >> 16) & 0xff, b = (i >> 8) & 0xff, c = i & 0xff;
                char aes[33];
                int fd;

                /* Made-up keys, distinct per door, the same on both sides. */
                snprintf(
                        aes,
                        sizeof(aes),
                        "%08x%08x%08x%08x",
                        0x5eed0000U + i,
                        i * 2654435761U,
                        ~i,
                        i ^ 0xa5a5a5a5U);
                snprintf(path, sizeof(path), "%s/C0_DE_00_%02X_%02X_%02X.yaml", dir, a, b, c);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                f = fd >= 0 ? fdopen(fd, "w") : NULL;
                if (!f) {
                        fprintf(stderr, "bench-scale: %s: %m\n", path);
                        fclose(sim);
                        return 1;
                }
                fprintf(f,
                        "version: 1\naddress: \"C0:DE:00:%02X:%02X:%02X\"\nalias: \"Room "
                        "%u\"\ncredentials:\n"
                        "  aes-key: \"%s\"\n  admin-ps: %u\n  unlock-key: %u\n  lock-flag-pos: 0\n  uid: 0\n"
                        "lock-version: {protocol-type: 5, sub-version: 3, scene: 1, group-id: 1, org-id: "
                        "1}\n"
                        "features: [1883555767, 2048]\n",
                        a,
                        b,
                        c,
                        i,
                        aes,
                        100000000U + i,
                        200000000U + i);
                if (fclose(f) != 0) {
                        fprintf(stderr, "bench-scale: %s: %m\n", path);
                        fclose(sim);
                        return 1;
                }
                fprintf(sim,
                        "- address: C0:DE:00:%02X:%02X:%02X\n  paired: true\n  key: %s\n  admin-ps: %u\n"
                        "  unlock-key: %u\n  lock-flag-pos: 0\n  admin-passcode: 12345678\n  locked: true\n"
                        "  battery: 90\n  auto-lock-seconds: 0\n  sound: true\n  volume: 3\n"
                        "  remote-unlock: false\n  show-password: false\n  frozen: false\n  lamp-seconds: "
                        "0\n"
                        "  switch-values: 0\n  clock-offset-usec: 0\n  record-counter: 0\n  passage-modes: "
                        "[]\n"
                        "  passcodes: []\n  cards: []\n  fingerprints: []\n  log: []\n  log-unread: 0\n",
                        a,
                        b,
                        c,
                        aes,
                        100000000U + i,
                        200000000U + i);
        }
        if (fclose(sim) != 0) {
                fprintf(stderr, "bench-scale: %s: %m\n", sim_state);
                return 1;
        }
        return 0;
}

/* ---- wait-name -------------------------------------------------------------------------------- */

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *name, *old, *new;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && *new)
                *(bool *) userdata = true;
        return 0;
}

static int mode_wait_name(const char *name, uint64_t start_ns) {
        sd_bus *bus = open_bus();
        uint64_t deadline = now_usec() + 120 * USEC_PER_SEC;
        struct timespec ts;
        bool owned = false;
        int r;

        r = sd_bus_match_signal(
                bus,
                NULL,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameOwnerChanged",
                on_owner_changed,
                &owned);
        if (r < 0)
                return 1;
        /* It may have come before the match: ask once. */
        r = sd_bus_call_method(
                bus,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                NULL,
                NULL,
                "s",
                name);
        owned = r >= 0;
        while (!owned && now_usec() < deadline) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        (void) sd_bus_wait(bus, deadline - now_usec());
        }
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        sd_bus_flush_close_unref(bus);
        if (!owned) {
                fprintf(stderr, "bench-scale: %s never appeared\n", name);
                return 1;
        }
        printf("wait-name %s ms=%.1f\n",
               name,
               (double) ((uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec - start_ns) / 1e6);
        return 0;
}

/* ---- adverts ---------------------------------------------------------------------------------- */

static int on_device_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (*(uint64_t *) userdata)++;
        return 0;
}

static int mode_adverts(unsigned seconds) {
        sd_bus *bus = open_bus();
        uint64_t n = 0, t0, end;
        int r;

        r = sd_bus_add_match(
                bus,
                NULL,
                "type='signal',sender='org.bluez',interface='org.freedesktop.DBus.Properties',"
                "member='PropertiesChanged',arg0='org.bluez.Device1'",
                on_device_changed,
                &n);
        if (r < 0)
                return 1;
        t0 = now_usec();
        end = t0 + seconds * USEC_PER_SEC;
        while (now_usec() < end) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        (void) sd_bus_wait(bus, end - now_usec());
        }
        printf("adverts n=%" PRIu64 " seconds=%u rate=%.0f\n",
               n,
               seconds,
               (double) n * USEC_PER_SEC / (double) (now_usec() - t0));
        sd_bus_flush_close_unref(bus);
        return 0;
}

/* ---- load ------------------------------------------------------------------------------------- */

typedef enum Op { OP_UNLOCK, OP_LOCK, OP_READ, _OP_MAX } Op;

/* What a client reports to the parent, one record per call. */
typedef struct Sample {
        uint8_t op;
        uint8_t failed;
        char error[62]; /* the D-Bus error name, when failed */
        uint64_t usec;
} Sample;

static int read_props(sd_bus *bus, const char *lock, sd_bus_error *e) {
        static const char *const props[] = { "State", "Battery", "Rssi" };
        sd_bus_message *reply = NULL;
        int r = 0;

        for (size_t i = 0; i < 3 && r >= 0; i++) {
                r = sd_bus_call_method(
                        bus,
                        MANAGER,
                        lock,
                        "org.freedesktop.DBus.Properties",
                        "Get",
                        e,
                        &reply,
                        "ss",
                        LOCK_IFACE,
                        props[i]);
                reply = sd_bus_message_unref(reply);
        }
        return r;
}

static void client(int out, unsigned id, uint64_t end, char **locks, size_t n_locks) {
        sd_bus *bus = open_bus();

        /* Client id starts at lock id and goes round: two clients share each lock of ten. */
        for (uint64_t i = id; now_usec() < end; i++) {
                const char *lock = locks[(i / _OP_MAX) % n_locks];
                Op op = (Op) (i % _OP_MAX);
                sd_bus_error e = SD_BUS_ERROR_NULL;
                Sample s = { .op = (uint8_t) op };
                uint64_t t0 = now_usec();
                int r;

                if (op == OP_READ)
                        r = read_props(bus, lock, &e);
                else
                        r = sd_bus_call_method(
                                bus,
                                MANAGER,
                                lock,
                                LOCK_IFACE,
                                op == OP_UNLOCK ? "Unlock" : "Lock",
                                &e,
                                NULL,
                                "");
                s.usec = now_usec() - t0;
                if (r < 0) {
                        s.failed = 1;
                        snprintf(s.error, sizeof(s.error), "%s", e.name ?: strerror(-r));
                }
                sd_bus_error_free(&e);
                if (write(out, &s, sizeof(s)) != (ssize_t) sizeof(s))
                        break;
        }
        sd_bus_flush_close_unref(bus);
}

static int mode_load(unsigned seconds, unsigned clients, char **locks, size_t n_locks) {
        static const char *const names[_OP_MAX] = { "unlock", "lock", "read-state-battery-rssi" };
        struct {
                char name[62];
                unsigned count;
        } errors[ERRORS_MAX] = {};
        uint64_t *v[_OP_MAX] = {}, slow = 0, end = now_usec() + seconds * USEC_PER_SEC;
        size_t n[_OP_MAX] = {}, size[_OP_MAX] = {}, n_errors = 0, failed = 0;
        pid_t pids[CLIENTS_MAX];
        Sample s;
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return 1;
        for (unsigned c = 0; c < clients; c++) {
                pids[c] = fork();
                if (pids[c] < 0)
                        return 1;
                if (pids[c] == 0) {
                        close(p[0]);
                        client(p[1], c, end, locks, n_locks);
                        _exit(0);
                }
        }
        close(p[1]);
        /* Records of at most PIPE_BUF bytes are written whole. */
        while (read(p[0], &s, sizeof(s)) == (ssize_t) sizeof(s)) {
                if (s.op >= _OP_MAX)
                        continue;
                if (s.usec > 20 * USEC_PER_SEC)
                        slow++;
                if (s.failed) {
                        size_t i;

                        failed++;
                        s.error[sizeof(s.error) - 1] = 0;
                        for (i = 0; i < n_errors && strcmp(errors[i].name, s.error) != 0; i++)
                                ;
                        if (i == n_errors && n_errors < ERRORS_MAX)
                                snprintf(errors[n_errors++].name, sizeof(errors[0].name), "%s", s.error);
                        if (i < n_errors)
                                errors[i].count++;
                        continue;
                }
                if (n[s.op] == size[s.op]) {
                        uint64_t *nv = realloc(v[s.op], (size[s.op] * 2 + 1024) * sizeof(uint64_t));

                        if (!nv)
                                return 1;
                        v[s.op] = nv;
                        size[s.op] = size[s.op] * 2 + 1024;
                }
                v[s.op][n[s.op]++] = s.usec;
        }
        for (unsigned c = 0; c < clients; c++)
                (void) waitpid(pids[c], NULL, 0);
        for (int o = 0; o < _OP_MAX; o++) {
                report(names[o], v[o], n[o]);
                free(v[o]);
        }
        printf("load clients=%u locks=%zu seconds=%u failed=%zu slower-than-20s=%" PRIu64 "\n",
               clients,
               n_locks,
               seconds,
               failed,
               slow);
        for (size_t i = 0; i < n_errors; i++)
                printf("error %s count=%u\n", errors[i].name, errors[i].count);
        return 0;
}

/* ---- pair ------------------------------------------------------------------------------------- */

static int get_bool(sd_bus *bus, const char *path, const char *prop, int *ret) {
        return sd_bus_get_property_trivial(bus, MANAGER, path, LOCK_IFACE, prop, NULL, 'b', ret);
}

static int mode_pair(unsigned n, const char *lock) {
        sd_bus *bus = open_bus();
        uint64_t *v = calloc(n, sizeof(uint64_t));
        int r = 0;

        if (!v)
                return 1;
        for (unsigned i = 0; i < n; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                uint64_t deadline = now_usec() + 60 * USEC_PER_SEC, t0;
                int pairable = 0;

                /* Running already (InProgress) is fine: it lasts 60 s, or as long as we are here. */
                (void) sd_bus_call_method(
                        bus,
                        MANAGER,
                        "/org/ttlock/Manager",
                        "org.ttlock.Manager1",
                        "StartDiscovery",
                        NULL,
                        NULL,
                        "");
                while ((get_bool(bus, lock, "Pairable", &pairable) < 0 || !pairable) &&
                       now_usec() < deadline) {
                        struct timespec ts = { 0, 20 * 1000 * 1000 };
                        (void) nanosleep(&ts, NULL);
                }
                if (!pairable) {
                        fprintf(stderr, "bench-scale: %s never became pairable\n", lock);
                        r = -ETIMEDOUT;
                        break;
                }
                t0 = now_usec();
                r = sd_bus_call_method(bus, MANAGER, lock, LOCK_IFACE, "Pair", &e, NULL, "");
                v[i] = now_usec() - t0;
                if (r >= 0)
                        r = sd_bus_call_method(bus, MANAGER, lock, LOCK_IFACE, "FactoryReset", &e, NULL, "");
                if (r < 0) {
                        fprintf(stderr, "bench-scale: %s: %s\n", e.name ?: "", e.message ?: strerror(-r));
                        sd_bus_error_free(&e);
                        break;
                }
        }
        if (r >= 0)
                report("pair", v, n);
        free(v);
        sd_bus_flush_close_unref(bus);
        return r < 0;
}

/* ---- list ------------------------------------------------------------------------------------- */

static int mode_list(unsigned n, const char *address) {
        static const struct {
                const char *name, *path, *iface, *member;
        } calls[] = {
                { "list-locks", "/org/ttlock/Manager", "org.ttlock.Manager1", "ListLocks" },
                { "get-managed-objects",
                  "/org/ttlock",
                  "org.freedesktop.DBus.ObjectManager",
                  "GetManagedObjects" },
                { "get-lock-by-address", "/org/ttlock/Manager", "org.ttlock.Manager1", "GetLockByAddress" },
        };
        sd_bus *bus = open_bus();
        uint64_t *v = calloc(n, sizeof(uint64_t));
        int r = 0;

        if (!v)
                return 1;
        for (size_t c = 0; c < ELEMENTSOF(calls) && r >= 0; c++) {
                for (unsigned i = 0; i < n && r >= 0; i++) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        sd_bus_message *reply = NULL;
                        uint64_t t0 = now_usec();

                        if (strcmp(calls[c].member, "GetLockByAddress") == 0)
                                r = sd_bus_call_method(
                                        bus,
                                        MANAGER,
                                        calls[c].path,
                                        calls[c].iface,
                                        calls[c].member,
                                        &e,
                                        &reply,
                                        "s",
                                        address);
                        else
                                r = sd_bus_call_method(
                                        bus,
                                        MANAGER,
                                        calls[c].path,
                                        calls[c].iface,
                                        calls[c].member,
                                        &e,
                                        &reply,
                                        "");
                        v[i] = now_usec() - t0;
                        if (r < 0)
                                fprintf(stderr,
                                        "bench-scale: %s: %s\n",
                                        calls[c].member,
                                        e.message ?: strerror(-r));
                        sd_bus_error_free(&e);
                        sd_bus_message_unref(reply);
                }
                if (r >= 0)
                        report(calls[c].name, v, n);
        }
        free(v);
        sd_bus_flush_close_unref(bus);
        return r < 0;
}

int main(int argc, char *argv[]) {
        const char *mode = argc > 1 ? argv[1] : "";

        /* The clients of "load" write to a pipe the parent reads to its end. */
        (void) signal(SIGPIPE, SIG_IGN);
        if (strcmp(mode, "doors") == 0 && argc == 5)
                return mode_doors((unsigned) parse_number(argv[2], 1, 100000, "N"), argv[3], argv[4]);
        if (strcmp(mode, "wait-name") == 0 && argc == 4)
                return mode_wait_name(argv[2], strtoull(argv[3], NULL, 10));
        if (strcmp(mode, "adverts") == 0 && argc == 3)
                return mode_adverts((unsigned) parse_number(argv[2], 1, 3600, "SECONDS"));
        if (strcmp(mode, "load") == 0 && argc >= 5 && argc - 4 <= LOCKS_MAX)
                return mode_load(
                        (unsigned) parse_number(argv[2], 1, 36000, "SECONDS"),
                        (unsigned) parse_number(argv[3], 1, CLIENTS_MAX, "CLIENTS"),
                        argv + 4,
                        (size_t) (argc - 4));
        if (strcmp(mode, "list") == 0 && argc == 4)
                return mode_list((unsigned) parse_number(argv[2], 1, 100000, "N"), argv[3]);
        if (strcmp(mode, "pair") == 0 && argc == 4)
                return mode_pair((unsigned) parse_number(argv[2], 1, 10000, "N"), argv[3]);
        fprintf(stderr,
                "usage: %1$s doors N STATE-DIR SIM-STATE\n"
                "       %1$s wait-name NAME START-NS\n"
                "       %1$s adverts SECONDS\n"
                "       %1$s load SECONDS CLIENTS LOCK-PATH...\n"
                "       %1$s pair N LOCK-PATH\n"
                "       %1$s list N ADDRESS\n",
                argv[0]);
        return 2;
}
