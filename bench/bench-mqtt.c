/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-mqtt: ttlock-mqtt measured from outside, by a client of both ttlockd's D-Bus API and the
 * broker, in one poll loop so that both sides are timed by the same clock (run by bench/mqtt.sh).
 *
 *   bench-mqtt unlock N LOCK_PATH PORT LOCK_TOPIC
 *       N times: Unlock() called directly on D-Bus, until State "unlocked" is signalled and until
 *       its reply; and UNLOCK published on LOCK_TOPIC/command, until "unlocked" on
 *       LOCK_TOPIC/state and until the answer on LOCK_TOPIC/result. The lock is locked again
 *       between.
 *   bench-mqtt events N LOCK_PATH SIM_PATH PORT LOCK_TOPIC
 *       N knob turns at the simulator: each Lock1.Event as this client sees it on D-Bus, and the
 *       same event on LOCK_TOPIC/event; the difference is what the bridge adds.
 *
 * Prints one line per figure: "MODE median=… p90=… max=… n=…" in ms. */

#include <errno.h>
#include <stdarg.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#define TIMEOUT_USEC (30U * 1000000U)

typedef struct Bench {
        sd_bus *bus;
        struct mosquitto *mosq;
        char state_topic[256], event_topic[256], command_topic[256], result_topic[256];
        bool subscribed;
        /* What arrived, with when. */
        uint64_t reply_usec;
        int reply_error;
        uint64_t state_unlocked_usec;
        uint64_t state_locked_usec;
        uint64_t result_usec;
        uint64_t dbus_event_usec;
        uint64_t dbus_unlocked_usec;
        uint64_t mqtt_event_usec;
} Bench;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static void die(const char *what) {
        fprintf(stderr, "bench-mqtt: %s\n", what);
        exit(EXIT_FAILURE);
}

static void on_connect(struct mosquitto *m, void *userdata, int rc) {
        Bench *b = userdata;
        char *subs[3] = { b->state_topic, b->event_topic, b->result_topic };

        /* QoS 1, as Home Assistant subscribes to what the discovery names ("qos": 1). */
        if (rc != 0 || mosquitto_subscribe_multiple(m, NULL, 3, subs, 1, 0, NULL) != 0)
                die("cannot subscribe");
}

static void on_subscribe(struct mosquitto *m, void *userdata, int mid, int n, const int *granted) {
        ((Bench *) userdata)->subscribed = true;
}

static void on_message(struct mosquitto *m, void *userdata, const struct mosquitto_message *msg) {
        Bench *b = userdata;
        uint64_t t = now_usec();

        if (msg->retain)
                return;
        if (strcmp(msg->topic, b->state_topic) == 0 && msg->payloadlen == 8 && memcmp(msg->payload, "unlocked", 8) == 0)
                b->state_unlocked_usec = t;
        else if (strcmp(msg->topic, b->state_topic) == 0 && msg->payloadlen == 6 && memcmp(msg->payload, "locked", 6) == 0)
                b->state_locked_usec = t;
        else if (strcmp(msg->topic, b->event_topic) == 0)
                b->mqtt_event_usec = t;
        else if (strcmp(msg->topic, b->result_topic) == 0)
                b->result_usec = t;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bench *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        b->reply_usec = now_usec();
        b->reply_error = e ? -EIO : 0;
        if (e)
                fprintf(stderr, "bench-mqtt: %s: %s\n", e->name, e->message);
        return 0;
}

/* PropertiesChanged of Lock1: State "unlocked". */
static int on_properties(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bench *b = userdata;
        uint64_t t = now_usec();
        const char *iface, *name, *value;

        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, "org.ttlock.Lock1") != 0 ||
            sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                if (sd_bus_message_read(m, "s", &name) < 0)
                        return 0;
                if (strcmp(name, "State") == 0) {
                        if (sd_bus_message_read(m, "v", "s", &value) < 0)
                                return 0;
                        if (strcmp(value, "unlocked") == 0)
                                b->dbus_unlocked_usec = t;
                } else if (sd_bus_message_skip(m, "v") < 0)
                        return 0;
                if (sd_bus_message_exit_container(m) < 0)
                        return 0;
        }
        return 0;
}

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        ((Bench *) userdata)->dbus_event_usec = now_usec();
        return 0;
}

/* One round of both: what is ready is handled, each message timed as it is read. */
static void pump(Bench *b, int timeout_ms) {
        struct pollfd p[2] = {
                { .fd = sd_bus_get_fd(b->bus), .events = (short) sd_bus_get_events(b->bus) },
                { .fd = mosquitto_socket(b->mosq), .events = POLLIN | (mosquitto_want_write(b->mosq) ? POLLOUT : 0) },
        };

        (void) poll(p, 2, timeout_ms);
        while (sd_bus_process(b->bus, NULL) > 0)
                ;
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
                (void) mosquitto_loop_read(b->mosq, 1);
        if (mosquitto_want_write(b->mosq))
                (void) mosquitto_loop_write(b->mosq, 1);
        (void) mosquitto_loop_misc(b->mosq);
}

static void wait_for(Bench *b, const uint64_t *field, const char *what) {
        uint64_t deadline = now_usec() + TIMEOUT_USEC;

        while (*field == 0) {
                if (now_usec() > deadline) {
                        fprintf(stderr, "bench-mqtt: no %s within 30 s\n", what);
                        exit(EXIT_FAILURE);
                }
                pump(b, 100);
        }
}

static void call(Bench *b, const char *service, const char *path, const char *iface, const char *method,
                 const char *types, ...) {
        sd_bus_message *m = NULL;
        va_list ap;

        if (sd_bus_message_new_method_call(b->bus, &m, service, path, iface, method) < 0)
                die("cannot make a method call");
        if (types) {
                va_start(ap, types);
                if (sd_bus_message_appendv(m, types, ap) < 0)
                        die("cannot append");
                va_end(ap);
        }
        b->reply_usec = 0;
        if (sd_bus_call_async(b->bus, NULL, m, on_reply, b, 0) < 0)
                die("cannot call");
        sd_bus_message_unref(m);
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void report(const char *mode, double *v, size_t n) {
        qsort(v, n, sizeof(double), cmp);
        printf("%s median=%.2f p90=%.2f max=%.2f n=%zu\n", mode, v[n / 2], v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1],
               v[n - 1], n);
}

static void setup(Bench *b, int port, const char *lock_topic) {
        uint64_t deadline = now_usec() + TIMEOUT_USEC;

        snprintf(b->state_topic, sizeof(b->state_topic), "%s/state", lock_topic);
        snprintf(b->event_topic, sizeof(b->event_topic), "%s/event", lock_topic);
        snprintf(b->command_topic, sizeof(b->command_topic), "%s/command", lock_topic);
        snprintf(b->result_topic, sizeof(b->result_topic), "%s/result", lock_topic);
        if (sd_bus_open_system(&b->bus) < 0)
                die("cannot connect to the bus");
        mosquitto_lib_init();
        b->mosq = mosquitto_new(NULL, true, b);
        if (!b->mosq)
                die("mosquitto_new");
        /* Like the bridge, and unlike libmosquitto's default: no Nagle delay on what we send. */
        mosquitto_int_option(b->mosq, MOSQ_OPT_TCP_NODELAY, 1);
        mosquitto_connect_callback_set(b->mosq, on_connect);
        mosquitto_subscribe_callback_set(b->mosq, on_subscribe);
        mosquitto_message_callback_set(b->mosq, on_message);
        if (mosquitto_connect(b->mosq, "127.0.0.1", port, 60) != 0)
                die("cannot connect to the broker");
        while (!b->subscribed) {
                if (now_usec() > deadline)
                        die("not subscribed");
                pump(b, 100);
        }
}

static void lock_direct(Bench *b, const char *path) {
        call(b, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Lock", NULL);
        wait_for(b, &b->reply_usec, "Lock() reply");
        if (b->reply_error < 0)
                die("Lock() failed");
}

static int run_unlock(int n, const char *path, int port, const char *lock_topic) {
        double *direct_state = calloc((size_t) n, sizeof(double)), *direct_reply = calloc((size_t) n, sizeof(double)),
               *mqtt_state = calloc((size_t) n, sizeof(double)), *mqtt_result = calloc((size_t) n, sizeof(double)),
               *over_state = calloc((size_t) n, sizeof(double)), *over_reply = calloc((size_t) n, sizeof(double));
        char match[512];
        Bench b = {};

        if (!direct_state || !direct_reply || !mqtt_state || !mqtt_result || !over_state || !over_reply)
                die("out of memory");
        setup(&b, port, lock_topic);
        snprintf(match, sizeof(match),
                 "type='signal',sender='org.ttlock.Manager',path='%s',interface='org.freedesktop.DBus.Properties',"
                 "member='PropertiesChanged'",
                 path);
        if (sd_bus_add_match(b.bus, NULL, match, on_properties, &b) < 0)
                die("cannot watch PropertiesChanged");
        for (int i = 0; i < n; i++) {
                char payload[128];
                struct timespec ts;
                uint64_t t0;

                lock_direct(&b, path);
                b.dbus_unlocked_usec = 0;
                t0 = now_usec();
                call(&b, "org.ttlock.Manager", path, "org.ttlock.Lock1", "Unlock", NULL);
                wait_for(&b, &b.reply_usec, "Unlock() reply");
                if (b.reply_error < 0)
                        die("Unlock() failed");
                wait_for(&b, &b.dbus_unlocked_usec, "State \"unlocked\" on D-Bus");
                direct_state[i] = (double) (b.dbus_unlocked_usec - t0) / 1000.0;
                direct_reply[i] = (double) (b.reply_usec - t0) / 1000.0;

                /* Wait for "locked" on MQTT: the broker keeps order, so no "unlocked" of the direct
                 * call can arrive after it and be taken for the answer to the next one. */
                b.state_locked_usec = 0;
                lock_direct(&b, path);
                wait_for(&b, &b.state_locked_usec, "\"locked\" on the state topic");
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(payload, sizeof(payload), "{\"command\":\"UNLOCK\",\"timestamp\":%lld.%03ld}",
                         (long long) ts.tv_sec, ts.tv_nsec / 1000000);
                b.state_unlocked_usec = b.result_usec = 0;
                t0 = now_usec();
                if (mosquitto_publish(b.mosq, NULL, b.command_topic, (int) strlen(payload), payload, 0, false) != 0)
                        die("cannot publish");
                wait_for(&b, &b.state_unlocked_usec, "\"unlocked\" on the state topic");
                /* The state comes before Unlock() has returned to the bridge: wait for its answer
                 * too, also before the next call, which ttlockd would refuse as InProgress. */
                wait_for(&b, &b.result_usec, "the answer on the result topic");
                mqtt_state[i] = (double) (b.state_unlocked_usec - t0) / 1000.0;
                mqtt_result[i] = (double) (b.result_usec - t0) / 1000.0;
                over_state[i] = mqtt_state[i] - direct_state[i];
                over_reply[i] = mqtt_result[i] - direct_reply[i];
        }
        report("unlock-direct-state", direct_state, (size_t) n);
        report("unlock-direct-reply", direct_reply, (size_t) n);
        report("unlock-mqtt-state", mqtt_state, (size_t) n);
        report("unlock-mqtt-result", mqtt_result, (size_t) n);
        report("unlock-overhead-state", over_state, (size_t) n);
        report("unlock-overhead-reply", over_reply, (size_t) n);
        lock_direct(&b, path);
        return 0;
}

static int run_events(int n, const char *path, const char *sim_path, int port, const char *lock_topic) {
        double *lat = calloc((size_t) n, sizeof(double));
        char match[512];
        Bench b = {};

        if (!lat)
                die("out of memory");
        setup(&b, port, lock_topic);
        snprintf(match, sizeof(match),
                 "type='signal',sender='org.ttlock.Manager',path='%s',interface='org.ttlock.Lock1',member='Event'", path);
        if (sd_bus_add_match(b.bus, NULL, match, on_event, &b) < 0)
                die("cannot watch Event");
        for (int i = 0; i < n; i++) {
                b.dbus_event_usec = b.mqtt_event_usec = 0;
                call(&b, "org.bluez", sim_path, "org.ttlock.Sim1", "TurnKnob", "b", i % 2 == 0);
                wait_for(&b, &b.dbus_event_usec, "Event on D-Bus");
                wait_for(&b, &b.mqtt_event_usec, "event on MQTT");
                lat[i] = (double) ((int64_t) b.mqtt_event_usec - (int64_t) b.dbus_event_usec) / 1000.0;
        }
        report("event", lat, (size_t) n);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 6 && strcmp(argv[1], "unlock") == 0)
                return run_unlock(atoi(argv[2]), argv[3], atoi(argv[4]), argv[5]);
        if (argc == 7 && strcmp(argv[1], "events") == 0)
                return run_events(atoi(argv[2]), argv[3], argv[4], atoi(argv[5]), argv[6]);
        fprintf(stderr, "usage: bench-mqtt unlock N LOCK_PATH PORT LOCK_TOPIC\n"
                        "       bench-mqtt events N LOCK_PATH SIM_PATH PORT LOCK_TOPIC\n");
        return EXIT_FAILURE;
}
