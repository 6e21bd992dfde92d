/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt-world.h"

const char *env_path(const char *name) {
        const char *p = getenv(name);

        ck_assert_msg(p && access(p, R_OK) == 0, "%s must name a built file (run through meson test)", name);
        return p;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static sd_bus *open_client(const char *address) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        ck_assert_msg(r >= 0, "cannot connect to the private bus: %s", strerror(-r));
        /* Wake-ups for property waits: every PropertiesChanged on the bus. */
        r = sd_bus_add_match(
                bus, NULL, "type='signal',interface='org.freedesktop.DBus.Properties'", NULL, NULL);
        ck_assert_int_ge(r, 0);
        return bus;
}

void host_start_daemon(Host *h) {
        char env[400];
        char *envv[] = { env, NULL };
        char *argv[] = { (char *) env_path("TTLOCKD"), NULL };
        int r;

        snprintf(env, sizeof(env), "STATE_DIRECTORY=%s", h->state_dir);
        r = test_bus_spawn(h->bus, argv, envv, &h->daemon_pid);
        ck_assert_msg(r >= 0, "spawn ttlockd: %s", strerror(-r));
        r = test_bus_wait_name(h->bus, "org.ttlock.Manager", h->daemon_pid, TIMEOUT);
        ck_assert_msg(r >= 0, "ttlockd did not own org.ttlock.Manager: %s", strerror(-r));
}

void host_stop_daemon(Host *h) {
        int status, r;

        r = test_bus_stop_pid(h->bus, h->daemon_pid, 10 * TEST_USEC_PER_SEC, &status);
        ck_assert_msg(r >= 0, "stop ttlockd: %s", strerror(-r));
        h->daemon_pid = 0;
}

void host_start(Host *h, const char *node, const char *const *sim_locks) {
        const char *confs[] = { env_path("TTLOCK_SIM_BUS_CONF"), NULL };
        char *argv[32];
        size_t n = 0;
        int r;

        ck_assert_msg(
                geteuid() == 0,
                "this test needs root: polkitd reads actions only from "
                "/usr/share/polkit-1/actions (CI runs it as root)");
        *h = (Host){};
        snprintf(h->node, sizeof(h->node), "%s", node);
        r = test_bus_start(confs, &h->bus);
        ck_assert_msg(r >= 0, "test_bus_start: %s", strerror(-r));
        ck_assert_msg(test_bus_has_polkit(h->bus), "polkit (polkitd) is not installed");
        ck_assert_int_ge(test_bus_install_polkit_policy(h->bus, env_path("TTLOCK_POLKIT_POLICY")), 0);
        snprintf(h->dir, sizeof(h->dir), "%s", test_bus_dir(h->bus));
        snprintf(h->state_dir, sizeof(h->state_dir), "%s/state", h->dir);
        ck_assert_int_eq(mkdir(h->state_dir, 0700), 0);
        snprintf(h->conf, sizeof(h->conf), "%s/mqtt.conf", h->dir);
        snprintf(h->log, sizeof(h->log), "%s/ttlock-mqtt.log", h->dir);

        argv[n++] = (char *) env_path("TTLOCK_SIM");
        argv[n++] = (char *) "--always-awake";
        argv[n++] = (char *) "--latency-ms=0";
        argv[n++] = (char *) "--advert-interval-ms=200";
        argv[n++] = (char *) "--enrol-timeout-seconds=0";
        for (size_t i = 0; sim_locks && sim_locks[i] && n < 28; i++) {
                argv[n++] = (char *) "--lock";
                argv[n++] = (char *) sim_locks[i];
        }
        argv[n] = NULL;
        r = test_bus_spawn(h->bus, argv, NULL, &h->sim_pid);
        ck_assert_msg(r >= 0, "spawn ttlock-sim: %s", strerror(-r));
        r = test_bus_wait_name(h->bus, "org.bluez", h->sim_pid, TIMEOUT);
        ck_assert_msg(r >= 0, "ttlock-sim did not own org.bluez: %s", strerror(-r));
        host_start_daemon(h);
        h->client = open_client(test_bus_address(h->bus));
}

void host_stop(Host *h) {
        h->client = sd_bus_flush_close_unref(h->client);
        h->bus = test_bus_stop(h->bus);
}

/* ---- calls ----------------------------------------------------------------------------------- */

static char *
callv(Host *h,
      const char *service,
      const char *path,
      const char *iface,
      const char *method,
      const char *types,
      va_list ap) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        char *name = NULL;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(h->client, &m, service, path, iface, method), 0);
        if (types)
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        r = sd_bus_call(h->client, m, 30 * TEST_USEC_PER_SEC, &e, &reply);
        if (r < 0) {
                name = strdup(e.name ?: "?");
                fprintf(stderr, "%s.%s → %s: %s\n", iface, method, e.name, e.message);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return name;
}

char *host_call(
        Host *h,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        va_list ap;
        char *r;

        va_start(ap, types);
        r = callv(h, service, path, iface, method, types, ap);
        va_end(ap);
        return r;
}

void host_call_ok(
        Host *h,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        va_list ap;
        char *r;

        va_start(ap, types);
        r = callv(h, service, path, iface, method, types, ap);
        va_end(ap);
        ck_assert_msg(!r, "%s.%s failed: %s", iface, method, r);
}

static void sim_path(const char *address, char buf[static 64]) {
        snprintf(buf, 64, "/org/bluez/hci0/dev_%s", address);
        for (char *c = buf; *c; c++)
                if (*c == ':')
                        *c = '_';
}

static void lock_path(const char *address, char buf[static 64]) {
        snprintf(buf, 64, "/org/ttlock/Lock/%s", address);
        for (char *c = buf; *c; c++)
                if (*c == ':')
                        *c = '_';
}

void host_sim(Host *h, const char *address, const char *method, const char *types, ...) {
        char path[64];
        va_list ap;
        char *r;

        sim_path(address, path);
        va_start(ap, types);
        r = callv(h, "org.bluez", path, "org.ttlock.Sim1", method, types, ap);
        va_end(ap);
        ck_assert_msg(!r, "Sim1.%s failed: %s", method, r);
}

bool host_sim_locked(Host *h, const char *address) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char path[64];
        int b = 0, r;

        sim_path(address, path);
        r = sd_bus_get_property_trivial(
                h->client, "org.bluez", path, "org.ttlock.Sim1", "Locked", &e, 'b', &b);
        ck_assert_msg(r >= 0, "Sim1.Locked: %s", e.message);
        sd_bus_error_free(&e);
        return b;
}

static bool get_bool(Host *h, const char *path, const char *iface, const char *prop, bool *ret) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int b = 0, r;

        r = sd_bus_get_property_trivial(h->client, "org.ttlock.Manager", path, iface, prop, &e, 'b', &b);
        sd_bus_error_free(&e);
        *ret = b;
        return r >= 0;
}

static bool have_adapter(Host *h) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *first = NULL;
        int r;

        r = sd_bus_get_property(
                h->client,
                "org.ttlock.Manager",
                "/org/ttlock/Manager",
                "org.ttlock.Manager1",
                "Adapters",
                &e,
                &reply,
                "ao");
        sd_bus_error_free(&e);
        if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "o") >= 0)
                (void) sd_bus_message_read(reply, "o", &first);
        r = first != NULL;
        sd_bus_message_unref(reply);
        return r;
}

/* Process the client's messages and wait (woken by property changes) until cond holds. */
static bool wait_bus(Host *h, bool (*cond)(Host *h, const void *arg), const void *arg) {
        uint64_t deadline = now_usec() + TIMEOUT;

        for (;;) {
                while (sd_bus_process(h->client, NULL) > 0)
                        ;
                if (cond(h, arg))
                        return true;
                if (now_usec() >= deadline)
                        return false;
                (void) sd_bus_wait(h->client, 250 * TEST_USEC_PER_MSEC);
        }
}

static bool adapter_ready(Host *h, const void *arg) {
        return have_adapter(h);
}

static bool pairable(Host *h, const void *arg) {
        bool b;
        return get_bool(h, arg, "org.ttlock.Lock1", "Pairable", &b) && b;
}

void host_pair(Host *h, const char *address) {
        char path[64];
        char *err;
        bool paired;

        lock_path(address, path);
        ck_assert_msg(wait_bus(h, adapter_ready, NULL), "no adapter appeared on Manager1.Adapters");
        host_call_ok(
                h,
                "org.ttlock.Manager",
                "/org/ttlock/Manager",
                "org.ttlock.Manager1",
                "StartDiscovery",
                NULL);
        ck_assert_msg(wait_bus(h, pairable, path), "%s did not become pairable", address);
        host_call_ok(h, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Pair", NULL);
        ck_assert(get_bool(h, path, "org.ttlock.Lock1", "Paired", &paired) && paired);
        err = host_call(
                h,
                "org.ttlock.Manager",
                "/org/ttlock/Manager",
                "org.ttlock.Manager1",
                "StopDiscovery",
                NULL);
        ck_assert_msg(!err, "StopDiscovery: %s", err);
}

/* ---- the bridge ------------------------------------------------------------------------------ */

void host_write_config(Host *h, uint16_t port, const char *extra) {
        FILE *f = fopen(h->conf, "we");

        ck_assert_ptr_nonnull(f);
        fprintf(f,
                "# written by the test\n"
                "broker = mqtt://127.0.0.1:%u\n"
                "node-id = %s\n"
                "keepalive = 30\n"
                "%s\n",
                port,
                h->node,
                extra ?: "");
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(h->conf, 0644), 0);
}

void host_start_bridge(Host *h, const char *user) {
        /* Through sh, for the log file; exec keeps the pid. */
        char *argv[] = { (char *) "/bin/sh",
                         (char *) "-c",
                         (char *) "exec \"$0\" --config=\"$1\" --log-level=debug 2>>\"$2\"",
                         (char *) env_path("TTLOCK_MQTT"),
                         h->conf,
                         h->log,
                         NULL };
        int fd, r;

        /* The log exists before the bridge starts, writable when it runs as another user. */
        fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(fchmod(fd, 0666), 0);
        close(fd);
        if (user)
                r = test_bus_spawn_as(h->bus, user, NULL, argv, NULL, &h->bridge_pid);
        else
                r = test_bus_spawn(h->bus, argv, NULL, &h->bridge_pid);
        ck_assert_msg(r >= 0, "spawn ttlock-mqtt: %s", strerror(-r));
}

int host_stop_bridge(Host *h) {
        int status = 0, r;

        r = test_bus_stop_pid(h->bus, h->bridge_pid, 10 * TEST_USEC_PER_SEC, &status);
        ck_assert_msg(r >= 0, "stop ttlock-mqtt: %s", strerror(-r));
        h->bridge_pid = 0;
        return status;
}

void host_kill_bridge(Host *h) {
        int status = 0;

        ck_assert_int_eq(kill(h->bridge_pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(h->bus, h->bridge_pid, TIMEOUT, &status), 0);
        ck_assert(WIFSIGNALED(status));
        h->bridge_pid = 0;
}

/* ---- names ----------------------------------------------------------------------------------- */

static char *ring(void) {
        static char bufs[16][512];
        static unsigned i;
        return bufs[i++ % 16];
}

const char *T(const Host *h, const char *rest) {
        char *b = ring();
        snprintf(b, 512, "ttlock/%s/%s", h->node, rest);
        return b;
}

const char *DT(const Host *h, const char *component, const char *object) {
        char *b = ring();
        snprintf(b, 512, "homeassistant/%s/ttlock_%s/%s/config", component, h->node, object);
        return b;
}

const char *CMD(const char *name, const char *extra) {
        struct timespec ts;
        char *b = ring();

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(
                b,
                512,
                "{\"command\":\"%s\",\"timestamp\":%lld.%03ld%s}",
                name,
                (long long) ts.tv_sec,
                ts.tv_nsec / 1000000,
                extra ?: "");
        return b;
}

char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;

        if (!f)
                return NULL;
        if (getdelim(&buf, &n, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return buf;
}

bool file_contains(const char *path, const char *s) {
        char *c = read_file(path);
        bool b = c && strstr(c, s);

        free(c);
        return b;
}
