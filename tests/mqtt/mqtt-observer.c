/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqtt-observer.h"

struct Observer {
        struct mosquitto *mosq;
        char *subscription;
        uint16_t port;
        bool connected;
        bool subscribed;
        Observed **msgs; /* each its own allocation: pointers handed out stay valid */
        size_t n, allocated;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

static void
on_connect(struct mosquitto *mosq, void *userdata, int rc, int flags, const mosquitto_property *props) {
        Observer *o = userdata;

        if (rc != 0)
                return;
        o->connected = true;
        /* Retain as published: the tests look at the retain flag of what arrives live as well. */
        if (mosquitto_subscribe_v5(mosq, NULL, o->subscription, 1, MQTT_SUB_OPT_RETAIN_AS_PUBLISHED, NULL) !=
            0)
                fprintf(stderr, "observer: cannot subscribe\n");
}

static void on_subscribe(
        struct mosquitto *mosq,
        void *userdata,
        int mid,
        int qos_count,
        const int *granted,
        const mosquitto_property *props) {
        Observer *o = userdata;
        o->subscribed = true;
}

static void on_disconnect(struct mosquitto *mosq, void *userdata, int rc, const mosquitto_property *props) {
        Observer *o = userdata;
        o->connected = o->subscribed = false;
}

static void on_message(
        struct mosquitto *mosq,
        void *userdata,
        const struct mosquitto_message *msg,
        const mosquitto_property *props) {
        Observer *o = userdata;
        Observed *m;
        void *corr = NULL;
        uint16_t corr_len = 0;
        uint32_t expiry;

        if (o->n == o->allocated) {
                size_t n = o->allocated ? o->allocated * 2 : 256;
                Observed **p = realloc(o->msgs, n * sizeof(Observed *));
                if (!p)
                        abort();
                o->msgs = p;
                o->allocated = n;
        }
        m = o->msgs[o->n] = malloc(sizeof(Observed));
        if (!m)
                abort();
        *m = (Observed){ .seq = o->n, .len = (size_t) msg->payloadlen, .retain = msg->retain, .expiry = -1 };
        m->topic = strdup(msg->topic);
        m->payload = malloc((size_t) msg->payloadlen + 1);
        if (!m->topic || !m->payload)
                abort();
        if (msg->payloadlen > 0)
                memcpy(m->payload, msg->payload, (size_t) msg->payloadlen);
        m->payload[msg->payloadlen] = 0;
        if (props &&
            mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false)) {
                m->correlation = calloc(1, (size_t) corr_len + 1);
                if (!m->correlation)
                        abort();
                memcpy(m->correlation, corr, corr_len);
                free(corr);
        }
        if (props && mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &expiry, false))
                m->expiry = expiry;
        o->n++;
}

static int connect_now(Observer *o) {
        int rc = mosquitto_connect(o->mosq, "127.0.0.1", o->port, 30);
        return rc == MOSQ_ERR_SUCCESS ? 0 : -ECONNREFUSED;
}

/* One round of network handling; reconnects after a broker restart. */
static void pump(Observer *o, int timeout_ms) {
        int rc = mosquitto_loop(o->mosq, timeout_ms, 1);

        if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) {
                o->connected = o->subscribed = false;
                if (connect_now(o) < 0)
                        (void) usleep((useconds_t) timeout_ms * 1000);
        }
}

int observer_new(uint16_t port, const char *subscription, Observer **ret) {
        Observer *o = calloc(1, sizeof(Observer));
        uint64_t deadline;

        if (!o)
                return -ENOMEM;
        o->port = port;
        o->subscription = strdup(subscription);
        o->mosq = mosquitto_new(NULL, true, o);
        if (!o->subscription || !o->mosq) {
                observer_free(o);
                return -ENOMEM;
        }
        mosquitto_int_option(o->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_connect_v5_callback_set(o->mosq, on_connect);
        mosquitto_subscribe_v5_callback_set(o->mosq, on_subscribe);
        mosquitto_disconnect_v5_callback_set(o->mosq, on_disconnect);
        mosquitto_message_v5_callback_set(o->mosq, on_message);
        if (connect_now(o) < 0) {
                observer_free(o);
                return -ECONNREFUSED;
        }
        deadline = now_usec() + 10U * 1000000U;
        while (!o->subscribed && now_usec() < deadline)
                pump(o, 20);
        if (!o->subscribed) {
                observer_free(o);
                return -ETIMEDOUT;
        }
        *ret = o;
        return 0;
}

void observer_forget(Observer *o) {
        for (size_t i = 0; i < o->n; i++) {
                free(o->msgs[i]->topic);
                free(o->msgs[i]->payload);
                free(o->msgs[i]->correlation);
                free(o->msgs[i]);
        }
        o->n = 0;
}

Observer *observer_free(Observer *o) {
        if (!o)
                return NULL;
        if (o->mosq) {
                (void) mosquitto_disconnect(o->mosq);
                mosquitto_destroy(o->mosq);
        }
        observer_forget(o);
        free(o->msgs);
        free(o->subscription);
        free(o);
        return NULL;
}

bool observer_wait(
        Observer *o, bool (*pred)(Observer *o, const void *arg), const void *arg, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        for (;;) {
                if (pred(o, arg))
                        return true;
                if (now_usec() >= deadline)
                        return false;
                pump(o, 20);
        }
}

void observer_settle(Observer *o, uint64_t usec) {
        uint64_t deadline = now_usec() + usec;

        while (now_usec() < deadline)
                pump(o, 20);
}

size_t observer_count(const Observer *o) {
        return o->n;
}

const Observed *observer_get(const Observer *o, size_t i) {
        return i < o->n ? o->msgs[i] : NULL;
}

const Observed *observer_last(const Observer *o, const char *topic) {
        for (size_t i = o->n; i > 0; i--)
                if (strcmp(o->msgs[i - 1]->topic, topic) == 0)
                        return o->msgs[i - 1];
        return NULL;
}

const Observed *observer_find(const Observer *o, size_t from, const char *topic, const char *needle) {
        for (size_t i = from; i < o->n; i++)
                if ((!topic || strcmp(o->msgs[i]->topic, topic) == 0) &&
                    (!needle || strstr(o->msgs[i]->payload, needle)))
                        return o->msgs[i];
        return NULL;
}

typedef struct FindArgs {
        size_t from;
        const char *topic, *needle;
} FindArgs;

static bool found(Observer *o, const void *arg) {
        const FindArgs *a = arg;
        return observer_find(o, a->from, a->topic, a->needle) != NULL;
}

const Observed *
observer_wait_for(Observer *o, size_t from, const char *topic, const char *needle, uint64_t timeout_usec) {
        FindArgs a = { from, topic, needle };

        if (!observer_wait(o, found, &a, timeout_usec))
                return NULL;
        return observer_find(o, from, topic, needle);
}

typedef struct ValueArgs {
        const char *topic, *value;
} ValueArgs;

static bool value_is(Observer *o, const void *arg) {
        const ValueArgs *a = arg;
        const Observed *m = observer_last(o, a->topic);
        return m && strcmp(m->payload, a->value) == 0;
}

bool observer_wait_value(Observer *o, const char *topic, const char *value, uint64_t timeout_usec) {
        ValueArgs a = { topic, value };
        return observer_wait(o, value_is, &a, timeout_usec);
}

int observer_publish(
        Observer *o,
        const char *topic,
        const void *payload,
        size_t len,
        bool retain,
        int64_t expiry,
        const char *correlation) {
        mosquitto_property *props = NULL;
        int rc;

        if (expiry >= 0)
                mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, (uint32_t) expiry);
        if (correlation)
                mosquitto_property_add_binary(
                        &props, MQTT_PROP_CORRELATION_DATA, correlation, (uint16_t) strlen(correlation));
        rc = mosquitto_publish_v5(o->mosq, NULL, topic, (int) len, payload, 1, retain, props);
        mosquitto_property_free_all(&props);
        pump(o, 0);
        return rc == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

int observer_publish_string(Observer *o, const char *topic, const char *payload) {
        return observer_publish(o, topic, payload, strlen(payload), false, -1, NULL);
}

int observer_resubscribe(Observer *o) {
        uint64_t deadline = now_usec() + 10U * 1000000U;

        o->subscribed = false;
        if (mosquitto_unsubscribe(o->mosq, NULL, o->subscription) != 0 ||
            mosquitto_subscribe_v5(
                    o->mosq, NULL, o->subscription, 1, MQTT_SUB_OPT_RETAIN_AS_PUBLISHED, NULL) != 0)
                return -EIO;
        while (!o->subscribed && now_usec() < deadline)
                pump(o, 20);
        return o->subscribed ? 0 : -ETIMEDOUT;
}
