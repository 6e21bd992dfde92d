/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "mqtt-config.h"
#include "mqtt-util.h"
#include "string-util.h"
#include "time-util.h"

#define SECRET_MAX 1024U
#define MAX_COMMAND_AGE_MAX_SEC (24U * 3600U)

void mqtt_config_init(MqttConfig *c) {
        *c = (MqttConfig){
                .port = 1883,
                .keepalive = 60,
                .version = MQTT_VERSION_AUTO,
                .discovery = true,
                .max_command_age_usec = 30 * USEC_PER_SEC,
        };
}

static void strv_free_n(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

void mqtt_config_done(MqttConfig *c) {
        free(c->path);
        free(c->host);
        free(c->username);
        free(c->password_file);
        free(c->ca_file);
        free(c->cert_file);
        free(c->key_file);
        free(c->client_id);
        free(c->base_topic);
        free(c->discovery_prefix);
        free(c->node_id);
        strv_free_n(c->locks, c->n_locks);
        free(c->unlock_pin_file);
        *c = (MqttConfig){};
}

typedef struct Parser {
        MqttConfig *config;
        const char *path;
        unsigned line;
        char **error;
} Parser;

static int fail(Parser *p, const char *format, ...) _printf_(2, 3);
static int fail(Parser *p, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (p->error) {
                free(*p->error);
                *p->error = NULL;
                if (p->line > 0)
                        r = asprintf(p->error, "%s:%u: %s", p->path, p->line, msg);
                else
                        r = asprintf(p->error, "%s: %s", p->path, msg);
                if (r < 0) {
                        *p->error = NULL;
                        return -ENOMEM;
                }
        }
        return -EINVAL;
}

static int set_string(Parser *p, char **field, const char *value) {
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int parse_bool(Parser *p, const char *key, const char *value, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" },
                                 *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(value, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(value, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return fail(p, "%s must be yes or no, not \"%s\"", key, value);
}

/* A decimal number without sign, leading zeros or anything after it, within [min, max]. */
static int
parse_unsigned(Parser *p, const char *key, const char *value, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v;
        char *end;

        if (!isdigit((unsigned char) value[0]) || (value[0] == '0' && value[1]))
                return fail(p, "%s must be a number from %u to %u, not \"%s\"", key, min, max, value);
        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno != 0 || *end || v < min || v > max)
                return fail(p, "%s must be a number from %u to %u, not \"%s\"", key, min, max, value);
        *ret = (unsigned) v;
        return 0;
}

static int parse_absolute_path(Parser *p, const char *key, const char *value, char **field) {
        if (value[0] != '/')
                return fail(p, "%s must be an absolute path, not \"%s\"", key, value);
        if (strlen(value) >= PATH_MAX)
                return fail(p, "%s is too long", key);
        return set_string(p, field, value);
}

/* broker = mqtt://HOST[:PORT] or mqtts://HOST[:PORT]; an IPv6 address in brackets. */
static int parse_broker(Parser *p, const char *value) {
        _cleanup_free_ char *host = NULL;
        const char *rest, *port = NULL;
        unsigned portnum;
        bool tls;
        size_t n;
        int r;

        if (startswith(value, "mqtt://")) {
                tls = false;
                rest = value + strlen("mqtt://");
        } else if (startswith(value, "mqtts://")) {
                tls = true;
                rest = value + strlen("mqtts://");
        } else
                return fail(
                        p, "broker must be mqtt://HOST[:PORT] or mqtts://HOST[:PORT], not \"%s\"", value);

        if (rest[0] == '[') {
                const char *close = strchr(rest, ']');
                if (!close || close == rest + 1)
                        return fail(p, "broker \"%s\": an IPv6 address needs its closing \"]\"", value);
                host = strndup(rest + 1, (size_t) (close - rest - 1));
                if (close[1] == ':')
                        port = close + 2;
                else if (close[1])
                        return fail(
                                p, "broker \"%s\": unexpected \"%s\" after the address", value, close + 1);
        } else {
                const char *colon = strchr(rest, ':');
                n = colon ? (size_t) (colon - rest) : strlen(rest);
                host = strndup(rest, n);
                if (colon)
                        port = colon + 1;
        }
        if (!host)
                return -ENOMEM;
        if (isempty(host))
                return fail(p, "broker \"%s\" names no host", value);
        for (const char *c = host; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr(".-_:", *c))
                        return fail(p, "broker \"%s\": \"%s\" is not a host name or address", value, host);
        if (strlen(host) > 253)
                return fail(p, "broker \"%s\": the host name is too long", value);
        if (port) {
                r = parse_unsigned(p, "the broker's port", port, 1, 65535, &portnum);
                if (r < 0)
                        return r;
        } else
                portnum = tls ? 8883 : 1883;

        free(p->config->host);
        p->config->host = TAKE_PTR(host);
        p->config->port = (uint16_t) portnum;
        p->config->tls = tls;
        return 0;
}

static int parse_topic_prefix(Parser *p, const char *key, const char *value, char **field) {
        const char *why = mqtt_topic_prefix_problem(value);

        if (why)
                return fail(p, "%s \"%s\" %s", key, value, why);
        return set_string(p, field, value);
}

static int parse_node_id(Parser *p, const char *value) {
        if (!mqtt_node_id_valid(value))
                return fail(
                        p,
                        "node-id \"%s\" must be 1 to %u of the characters a-z, A-Z, 0-9, \"_\" and \"-\"",
                        value,
                        MQTT_NODE_ID_MAX);
        return set_string(p, &p->config->node_id, value);
}

static int parse_client_id(Parser *p, const char *value) {
        if (strlen(value) > 128)
                return fail(p, "client-id is longer than 128 characters");
        for (const char *c = value; *c; c++)
                if (!isgraph((unsigned char) *c) || *c == '+' || *c == '#' || *c == '/')
                        return fail(
                                p,
                                "client-id \"%s\" must be printable, without spaces, \"/\", \"+\" or \"#\"",
                                value);
        return set_string(p, &p->config->client_id, value);
}

/* locks = all | ADDRESS[, ADDRESS]... (commas and/or spaces). */
static int parse_locks(Parser *p, const char *value) {
        MqttConfig *c = p->config;
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        strv_free_n(c->locks, c->n_locks);
        c->locks = NULL;
        c->n_locks = 0;
        if (streq(value, "all"))
                return 0;

        for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                char addr[BT_ADDRESS_SIZE];
                char **n;

                if (bt_address_normalize(w, addr) < 0)
                        return fail(p, "locks: \"%s\" is not a Bluetooth address (AA:BB:CC:DD:EE:FF)", w);
                if (mqtt_config_wants_lock(c, addr) && c->n_locks > 0)
                        return fail(p, "locks names %s twice", addr);
                if (c->n_locks >= MQTT_CONFIG_MAX_LOCKS)
                        return fail(p, "locks names more than %u locks", MQTT_CONFIG_MAX_LOCKS);
                n = realloc(c->locks, (c->n_locks + 1) * sizeof(char *));
                if (!n)
                        return -ENOMEM;
                c->locks = n;
                c->locks[c->n_locks] = strdup(addr);
                if (!c->locks[c->n_locks])
                        return -ENOMEM;
                c->n_locks++;
        }
        if (c->n_locks == 0)
                return fail(p, "locks is empty; say \"all\" or list addresses");
        return 0;
}

typedef enum Key {
        KEY_BROKER,
        KEY_USERNAME,
        KEY_PASSWORD_FILE,
        KEY_CA_FILE,
        KEY_CERT_FILE,
        KEY_KEY_FILE,
        KEY_CLIENT_ID,
        KEY_KEEPALIVE,
        KEY_MQTT_VERSION,
        KEY_BASE_TOPIC,
        KEY_DISCOVERY,
        KEY_DISCOVERY_PREFIX,
        KEY_NODE_ID,
        KEY_LOCKS,
        KEY_ALLOW_MANAGE,
        KEY_PUBLISH_PASSCODES,
        KEY_UNLOCK_PIN_FILE,
        KEY_MAX_COMMAND_AGE,
        _KEY_MAX,
} Key;

static const char *const key_names[_KEY_MAX] = {
        [KEY_BROKER] = "broker",
        [KEY_USERNAME] = "username",
        [KEY_PASSWORD_FILE] = "password-file",
        [KEY_CA_FILE] = "ca-file",
        [KEY_CERT_FILE] = "cert-file",
        [KEY_KEY_FILE] = "key-file",
        [KEY_CLIENT_ID] = "client-id",
        [KEY_KEEPALIVE] = "keepalive",
        [KEY_MQTT_VERSION] = "mqtt-version",
        [KEY_BASE_TOPIC] = "base-topic",
        [KEY_DISCOVERY] = "discovery",
        [KEY_DISCOVERY_PREFIX] = "discovery-prefix",
        [KEY_NODE_ID] = "node-id",
        [KEY_LOCKS] = "locks",
        [KEY_ALLOW_MANAGE] = "allow-manage",
        [KEY_PUBLISH_PASSCODES] = "publish-passcodes",
        [KEY_UNLOCK_PIN_FILE] = "unlock-pin-file",
        [KEY_MAX_COMMAND_AGE] = "max-command-age",
};

static int apply(Parser *p, Key k, const char *value) {
        MqttConfig *c = p->config;
        unsigned u;
        int r;

        switch (k) {
        case KEY_BROKER:
                return parse_broker(p, value);
        case KEY_USERNAME:
                if (strlen(value) > 256)
                        return fail(p, "username is longer than 256 characters");
                return set_string(p, &c->username, value);
        case KEY_PASSWORD_FILE:
                return parse_absolute_path(p, "password-file", value, &c->password_file);
        case KEY_CA_FILE:
                return parse_absolute_path(p, "ca-file", value, &c->ca_file);
        case KEY_CERT_FILE:
                return parse_absolute_path(p, "cert-file", value, &c->cert_file);
        case KEY_KEY_FILE:
                return parse_absolute_path(p, "key-file", value, &c->key_file);
        case KEY_CLIENT_ID:
                return parse_client_id(p, value);
        case KEY_KEEPALIVE:
                /* libmosquitto refuses less than 5 s; MQTT's field is 16 bits. */
                r = parse_unsigned(p, "keepalive", value, 5, 65535, &c->keepalive);
                return r;
        case KEY_MQTT_VERSION:
                if (streq(value, "auto"))
                        c->version = MQTT_VERSION_AUTO;
                else if (streq(value, "5"))
                        c->version = MQTT_VERSION_5;
                else if (streq(value, "3.1.1"))
                        c->version = MQTT_VERSION_311;
                else
                        return fail(p, "mqtt-version must be auto, 5 or 3.1.1, not \"%s\"", value);
                return 0;
        case KEY_BASE_TOPIC:
                return parse_topic_prefix(p, "base-topic", value, &c->base_topic);
        case KEY_DISCOVERY:
                return parse_bool(p, "discovery", value, &c->discovery);
        case KEY_DISCOVERY_PREFIX:
                return parse_topic_prefix(p, "discovery-prefix", value, &c->discovery_prefix);
        case KEY_NODE_ID:
                return parse_node_id(p, value);
        case KEY_LOCKS:
                return parse_locks(p, value);
        case KEY_ALLOW_MANAGE:
                return parse_bool(p, "allow-manage", value, &c->allow_manage);
        case KEY_PUBLISH_PASSCODES:
                return parse_bool(p, "publish-passcodes", value, &c->publish_passcodes);
        case KEY_UNLOCK_PIN_FILE:
                return parse_absolute_path(p, "unlock-pin-file", value, &c->unlock_pin_file);
        case KEY_MAX_COMMAND_AGE:
                r = parse_unsigned(p, "max-command-age", value, 0, MAX_COMMAND_AGE_MAX_SEC, &u);
                if (r < 0)
                        return r;
                c->max_command_age_usec = (uint64_t) u * USEC_PER_SEC;
                return 0;
        case _KEY_MAX:
                break;
        }
        assert(false);
        return -EINVAL;
}

static char *strip(char *s) {
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
                *--e = 0;
        return s;
}

/* Checks across keys, once the whole file is read; the line is that of the key to change. */
static int validate(Parser *p, const unsigned lines[_KEY_MAX]) {
        MqttConfig *c = p->config;

        if (!c->host) {
                p->line = 0;
                return fail(p, "no broker is set (broker = mqtt://HOST[:PORT])");
        }
        if (!c->tls && (c->ca_file || c->cert_file || c->key_file)) {
                Key k = c->ca_file ? KEY_CA_FILE : c->cert_file ? KEY_CERT_FILE : KEY_KEY_FILE;
                p->line = lines[k];
                return fail(p, "%s needs an mqtts:// broker (line %u)", key_names[k], lines[KEY_BROKER]);
        }
        if (!!c->cert_file != !!c->key_file) {
                Key k = c->cert_file ? KEY_CERT_FILE : KEY_KEY_FILE;
                p->line = lines[k];
                return fail(p, "%s needs %s as well", key_names[k], c->cert_file ? "key-file" : "cert-file");
        }
        if (c->password_file && !c->username) {
                p->line = lines[KEY_PASSWORD_FILE];
                return fail(p, "password-file needs a username");
        }
        if (c->publish_passcodes && !c->allow_manage) {
                p->line = lines[KEY_PUBLISH_PASSCODES];
                return fail(p, "publish-passcodes only matters with allow-manage = yes");
        }
        p->line = 0;
        return 0;
}

int mqtt_config_parse(MqttConfig *c, const char *path, const char *text, size_t size, char **ret_error) {
        unsigned lines[_KEY_MAX] = {};
        Parser p = { .config = c, .path = path, .error = ret_error };
        size_t pos = 0;
        int r;

        if (ret_error)
                *ret_error = NULL;
        r = set_string(&p, &c->path, path);
        if (r < 0)
                return r;
        if (size > MQTT_CONFIG_MAX_SIZE)
                return fail(&p, "larger than %u bytes", MQTT_CONFIG_MAX_SIZE);

        while (pos < size) {
                char buf[MQTT_CONFIG_MAX_LINE + 1];
                const char *nl = memchr(text + pos, '\n', size - pos);
                size_t n = nl ? (size_t) (nl - (text + pos)) : size - pos;
                char *line, *eq, *key, *value;
                Key k;

                p.line++;
                if (n > MQTT_CONFIG_MAX_LINE)
                        return fail(&p, "line longer than %u characters", MQTT_CONFIG_MAX_LINE);
                memcpy(buf, text + pos, n);
                buf[n] = 0;
                pos += n + (nl ? 1 : 0);
                if (n > 0 && buf[n - 1] == '\r')
                        buf[--n] = 0;

                if (strlen(buf) != n)
                        return fail(&p, "contains a NUL byte");
                for (const char *ch = buf; *ch; ch++)
                        if ((unsigned char) *ch < 0x20 && *ch != '\t')
                                return fail(&p, "contains a control character");
                if (!mqtt_utf8_valid(buf, strlen(buf)))
                        return fail(&p, "is not valid UTF-8");

                line = strip(buf);
                if (!line[0] || line[0] == '#')
                        continue;

                eq = strchr(line, '=');
                if (!eq)
                        return fail(&p, "expected \"key = value\", got \"%s\"", line);
                *eq = 0;
                key = strip(line);
                value = strip(eq + 1);
                if (!key[0])
                        return fail(&p, "a value without a key");

                for (k = 0; k < _KEY_MAX; k++)
                        if (streq(key, key_names[k]))
                                break;
                if (k == _KEY_MAX)
                        return fail(&p, "unknown key \"%s\"", key);
                if (lines[k] > 0)
                        return fail(&p, "%s is set twice (first on line %u)", key, lines[k]);
                lines[k] = p.line;

                /* Every key needs a value except these, where empty means "none". */
                if (!value[0] && k != KEY_USERNAME)
                        return fail(&p, "%s has no value", key);
                if (k == KEY_USERNAME && !value[0])
                        continue;

                r = apply(&p, k, value);
                if (r < 0)
                        return r;
        }

        return validate(&p, lines);
}

int mqtt_config_load(MqttConfig *c, const char *path, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        struct stat st;

        if (ret_error)
                *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(e)) < 0)
                        *ret_error = NULL;
                return -e;
        }
        if (!S_ISREG(st.st_mode)) {
                if (ret_error && asprintf(ret_error, "%s: not a regular file", path) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        buf = malloc(MQTT_CONFIG_MAX_SIZE + 1);
        if (!buf)
                return -ENOMEM;
        /* One byte more than allowed, so that a file that grew is still caught. */
        for (;;) {
                ssize_t n = read(fd, buf + size, MQTT_CONFIG_MAX_SIZE + 1 - size);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(e)) < 0)
                                *ret_error = NULL;
                        return -e;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > MQTT_CONFIG_MAX_SIZE)
                        break;
        }
        return mqtt_config_parse(c, path, buf, size, ret_error);
}

char *mqtt_node_id_from_hostname(const char *hostname) {
        size_t n = strcspn(hostname, ".");
        char *id;

        if (n == 0)
                return NULL;
        n = MIN(n, (size_t) MQTT_NODE_ID_MAX);
        id = strndup(hostname, n);
        if (!id)
                return NULL;
        for (char *c = id; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '_' && *c != '-')
                        *c = '_';
        return id;
}

int mqtt_config_finish(MqttConfig *c, const char *hostname, char **ret_error) {
        char buf[HOST_NAME_MAX + 1];

        if (ret_error)
                *ret_error = NULL;
        if (!c->base_topic && !(c->base_topic = strdup("ttlock")))
                return -ENOMEM;
        if (!c->discovery_prefix && !(c->discovery_prefix = strdup("homeassistant")))
                return -ENOMEM;
        if (c->node_id)
                return 0;
        if (!hostname) {
                if (gethostname(buf, sizeof(buf)) < 0)
                        return -errno;
                buf[sizeof(buf) - 1] = 0;
                hostname = buf;
        }
        c->node_id = mqtt_node_id_from_hostname(hostname);
        if (!c->node_id) {
                if (ret_error &&
                    asprintf(
                            ret_error,
                            "%s: the host name \"%s\" gives no node-id; set node-id",
                            strempty_or(c->path),
                            hostname) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        return 0;
}

bool mqtt_config_wants_lock(const MqttConfig *c, const char *address) {
        if (c->n_locks == 0)
                return true;
        for (size_t i = 0; i < c->n_locks; i++)
                if (streq(c->locks[i], address))
                        return true;
        return false;
}

static int secret_error(char **ret_error, const char *path, const char *why) {
        if (ret_error && asprintf(ret_error, "%s: %s", path, why) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int mqtt_read_secret_file(const char *path, char **ret, bool *ret_world_readable, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        char buf[SECRET_MAX + 2];
        size_t size = 0;
        struct stat st;
        char *s;

        if (ret_error)
                *ret_error = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(e)) < 0)
                        *ret_error = NULL;
                return -e;
        }
        if (!S_ISREG(st.st_mode))
                return secret_error(ret_error, path, "not a regular file");
        for (;;) {
                ssize_t n = read(fd, buf + size, sizeof(buf) - 1 - size);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        erase_memory(buf, sizeof(buf));
                        if (ret_error && asprintf(ret_error, "%s: cannot read: %s", path, strerror(e)) < 0)
                                *ret_error = NULL;
                        return -e;
                }
                if (n == 0 || (size += (size_t) n) >= sizeof(buf) - 1)
                        break;
        }
        buf[size] = 0;
        if (size > SECRET_MAX) {
                erase_memory(buf, sizeof(buf));
                return secret_error(ret_error, path, "longer than 1024 bytes");
        }
        if (size > 0 && buf[size - 1] == '\n')
                buf[--size] = 0;
        if (size > 0 && buf[size - 1] == '\r')
                buf[--size] = 0;
        for (size_t i = 0; i < size; i++)
                if ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7f) {
                        erase_memory(buf, sizeof(buf));
                        return secret_error(
                                ret_error, path, "has more than one line or a control character");
                }
        if (size == 0)
                return secret_error(ret_error, path, "is empty");

        s = strdup(buf);
        erase_memory(buf, sizeof(buf));
        if (!s)
                return -ENOMEM;
        if (ret_world_readable)
                *ret_world_readable = (st.st_mode & S_IROTH) != 0;
        *ret = s;
        return 0;
}
