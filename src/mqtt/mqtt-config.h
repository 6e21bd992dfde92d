/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ttlock-mqtt's configuration: /etc/ttlockd/mqtt.conf (or --config FILE), "key = value" lines with
 * "#" comments, one setting per line, as ttlock-mqtt(8) documents them. Parsing is pure (no I/O but
 * reading the file) so that tests/mqtt checks every message; a problem is reported as
 * "FILE:LINE: what is wrong" and stops start-up. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqtt-util.h" /* MQTT_NODE_ID_MAX, MQTT_TOPIC_PREFIX_MAX */

#define MQTT_CONFIG_DEFAULT_PATH "/etc/ttlockd/mqtt.conf"
#define MQTT_CONFIG_MAX_SIZE (64U * 1024U)
#define MQTT_CONFIG_MAX_LINE 4096U
#define MQTT_CONFIG_MAX_LOCKS 256U

typedef enum MqttVersion {
        MQTT_VERSION_AUTO, /* MQTT 5, falling back to 3.1.1 when the broker refuses 5 */
        MQTT_VERSION_5,
        MQTT_VERSION_311,
} MqttVersion;

typedef struct MqttConfig {
        char *path; /* the file read, for messages */

        /* broker = mqtt://HOST[:PORT] | mqtts://HOST[:PORT] */
        char *host;
        uint16_t port;
        bool tls;
        char *username;
        char *password_file;
        char *ca_file;
        char *cert_file;
        char *key_file;
        char *client_id; /* NULL: "ttlock-mqtt-<node-id>" */
        unsigned keepalive;
        MqttVersion version;

        char *base_topic;
        bool discovery;
        char *discovery_prefix;
        char *node_id; /* NULL until mqtt_config_finish(): the host name */

        /* locks: upper-case "AA:BB:CC:DD:EE:FF" addresses; n_locks == 0 means all */
        char **locks;
        size_t n_locks;

        bool allow_manage;
        bool publish_passcodes;
        char *unlock_pin_file;
        uint64_t max_command_age_usec; /* 0: commands are not checked for age */
} MqttConfig;

/* Defaults of ttlock-mqtt(8). */
void mqtt_config_init(MqttConfig *c);
void mqtt_config_done(MqttConfig *c);

/* Parse text (size bytes, need not be NUL-terminated) read from path. On failure returns -EINVAL
 * (or -ENOMEM) and, unless NULL, *ret_error = "path:line: what is wrong" (free()). c keeps what
 * was read before the problem; callers throw it away. */
int mqtt_config_parse(MqttConfig *c, const char *path, const char *text, size_t size, char **ret_error);

/* Read and parse path. A file that cannot be read, or is larger than MQTT_CONFIG_MAX_SIZE, is an
 * error with the reason in *ret_error. */
int mqtt_config_load(MqttConfig *c, const char *path, char **ret_error);

/* Fill in what depends on the machine: node-id from hostname (its first label, characters outside
 * [a-zA-Z0-9_-] replaced by "_"). hostname NULL: gethostname(). */
int mqtt_config_finish(MqttConfig *c, const char *hostname, char **ret_error);

/* The node id a host name gives ("pi-kitchen.local" → "pi-kitchen"); NULL for "" (-ENOMEM too). */
char *mqtt_node_id_from_hostname(const char *hostname);

/* Whether address (upper-case) is one of the configured locks (always true for "all"). */
bool mqtt_config_wants_lock(const MqttConfig *c, const char *address);

/* Read a secret (password-file, unlock-pin-file): at most 1 KiB, one line, its trailing newline
 * dropped, no control characters, not empty. *ret_error names the file and the problem, never the
 * content. Sets *ret_world_readable when others may read the file. The caller erases the secret. */
int mqtt_read_secret_file(const char *path, char **ret, bool *ret_world_readable, char **ret_error);
