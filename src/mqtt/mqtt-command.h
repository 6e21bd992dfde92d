/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Commands arriving over MQTT, before anything is done with them: size, form and age. Pure, so
 * that tests/mqtt can throw every malformed, oversized and stale payload at it.
 *
 * A command is either a plain word on <lock>/command (LOCK, UNLOCK, REFRESH), or a JSON object
 * {"command": NAME, …} on <lock>/command, <lock>/manage or <node>/manage, optionally with
 * "id" (a string or number echoed in the answer), "timestamp" (Unix seconds when it was sent) and,
 * for UNLOCK, "code". ttlock-mqtt(8) documents them. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest command accepted: a manage command with 32 passage-mode windows fits easily. Larger
 * ones are answered with MQTT_ERROR_TOO_LARGE without being parsed. */
#define MQTT_COMMAND_MAX_SIZE (16U * 1024U)
#define MQTT_COMMAND_MAX_DEPTH 8
#define MQTT_COMMAND_ID_MAX 128U

/* Names of the errors published on result (besides the D-Bus errors ttlockd returns). The
 * standard ones keep their D-Bus meaning; the org.ttlock.Mqtt ones are the bridge's own. */
#define MQTT_ERROR_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define MQTT_ERROR_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define MQTT_ERROR_DOES_NOT_EXIST "org.ttlock.Error.DoesNotExist"
#define MQTT_ERROR_NOT_READY "org.ttlock.Error.NotReady"
#define MQTT_ERROR_RETAINED "org.ttlock.Mqtt.Error.Retained"
#define MQTT_ERROR_STALE "org.ttlock.Mqtt.Error.Stale"
#define MQTT_ERROR_TOO_LARGE "org.ttlock.Mqtt.Error.TooLarge"
#define MQTT_ERROR_BUSY "org.ttlock.Mqtt.Error.Busy"

typedef struct Command {
        char name[32];     /* "UNLOCK", "add-passcode" */
        json_object *root; /* the whole JSON object; NULL for a plain word */
        json_object *id;   /* borrowed from root: "id", or NULL */
        bool has_timestamp;
        double timestamp; /* Unix seconds */
        const char *code; /* borrowed from root: "code", or NULL */
} Command;

void command_done(Command *c);

/* Parse a payload. plain_words: the plain words accepted (NULL-terminated), or NULL where only
 * JSON is (manage topics). On failure returns -EINVAL and *ret_error says what is wrong, without
 * quoting the payload (it may hold a code). */
int command_parse(
        const void *payload, size_t size, const char *const *plain_words, Command *ret, char **ret_error);

/* Whether the command is young enough (max_age_usec > 0): it carries a timestamp no older than
 * max_age (and not further in the future than max_age, for clocks a little apart), and/or it came
 * with an MQTT 5 message expiry interval of at most max_age, so that the broker would have dropped
 * it before it grew older. Neither: refused. expiry_sec < 0: the message had no expiry interval.
 * Returns 0, or -ESTALE with *ret_error. */
int command_check_age(
        const Command *c, int64_t expiry_sec, uint64_t max_age_usec, uint64_t now_usec, char **ret_error);

/* Small accessors for the arguments of JSON commands. Each returns -ENOENT when the key is absent
 * (callers decide whether that is fine), -EINVAL with *ret_error when it has the wrong form. */
int command_get_string(
        const Command *c, const char *key, size_t max_len, const char **ret, char **ret_error);
int command_get_bool(const Command *c, const char *key, bool *ret, char **ret_error);
/* An integer in [min, max]; a JSON number with a fraction is refused, 30.0 is 30. */
int command_get_uint(
        const Command *c, const char *key, uint64_t min, uint64_t max, uint64_t *ret, char **ret_error);
/* Unix seconds → µs; 0 stays 0 (none). Up to the year 2100. */
int command_get_time_usec(const Command *c, const char *key, uint64_t *ret, char **ret_error);
/* Reject keys other than the given ones (and command/id/timestamp), so that a typo is an error
 * rather than silently ignored. */
int command_check_keys(const Command *c, const char *const *allowed, char **ret_error);
