/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The tests' eyes on the broker: a libmosquitto client (MQTT 5) that subscribes to "#" and keeps
 * every message it sees, in order, with its retain flag and correlation data; and publishes
 * commands the way Home Assistant, mosquitto_pub or a script would. Waits are for a condition on
 * what arrived, with a deadline. It follows a broker restart by connecting again. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Observed {
        size_t seq;
        char *topic;
        char *payload; /* NUL-terminated copy */
        size_t len;
        bool retain;
        char *correlation; /* NUL-terminated copy, or NULL */
        int64_t expiry;    /* MQTT 5 message expiry interval, -1 none */
} Observed;

typedef struct Observer Observer;

int observer_new(uint16_t port, const char *subscription, Observer **ret);
Observer *observer_free(Observer *o);

/* Handle what the broker sent for up to timeout_usec, until pred holds (checked after every
 * message). Returns whether it held. */
bool observer_wait(
        Observer *o, bool (*pred)(Observer *o, const void *arg), const void *arg, uint64_t timeout_usec);
/* Handle what arrives for a while (to show that nothing more comes). */
void observer_settle(Observer *o, uint64_t usec);

size_t observer_count(const Observer *o);
const Observed *observer_get(const Observer *o, size_t i);
/* The newest message on topic (NULL if none). */
const Observed *observer_last(const Observer *o, const char *topic);
/* The first message at or after from on topic (NULL: any topic) containing needle (NULL: any). */
const Observed *observer_find(const Observer *o, size_t from, const char *topic, const char *needle);

/* Wait for a message on topic, at or after from, containing needle. */
const Observed *
observer_wait_for(Observer *o, size_t from, const char *topic, const char *needle, uint64_t timeout_usec);
/* Wait until the newest message on topic is exactly value. */
bool observer_wait_value(Observer *o, const char *topic, const char *value, uint64_t timeout_usec);

/* Publish. expiry: MQTT 5 message expiry interval in s, -1 none. correlation: NULL or data. */
int observer_publish(
        Observer *o,
        const char *topic,
        const void *payload,
        size_t len,
        bool retain,
        int64_t expiry,
        const char *correlation);
int observer_publish_string(Observer *o, const char *topic, const char *payload);

/* Drop the messages seen so far (subscribe again to see the retained ones anew). */
void observer_forget(Observer *o);
/* Unsubscribe and subscribe again: the broker sends its retained messages once more. */
int observer_resubscribe(Observer *o);
