/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mqtt-command.h"
#include "mqtt-json.h"
#include "mqtt-util.h"
#include "string-util.h"
#include "time-util.h"

/* 2100-01-01T00:00:00Z: the lock's two-digit years end before it (dbus/org.ttlock.Credentials1.xml). */
#define TIME_MAX_SEC UINT64_C(4102444800)

static int error(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
static int error(char **ret_error, int r, const char *format, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, format);
                if (vasprintf(ret_error, format, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

void command_done(Command *c) {
        json_object_put(c->root);
        *c = (Command){};
}

static bool command_name_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= sizeof(((Command *) NULL)->name))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalpha((unsigned char) *p) && *p != '-')
                        return false;
        return true;
}

static int parse_json(const char *text, size_t size, Command *c, char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        json_object *root, *v;
        enum json_tokener_error e;
        const char *name;
        size_t end;

        tok = json_tokener_new_ex(MQTT_COMMAND_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, text, (int) size);
        e = json_tokener_get_error(tok);
        if (!root || e != json_tokener_success) {
                json_object_put(root);
                if (e == json_tokener_error_depth)
                        return error(
                                ret_error,
                                -EINVAL,
                                "the JSON is nested deeper than %d levels",
                                MQTT_COMMAND_MAX_DEPTH);
                return error(
                        ret_error,
                        -EINVAL,
                        "not valid JSON: %s",
                        e == json_tokener_continue ? "it ends early" : json_tokener_error_desc(e));
        }
        end = json_tokener_get_parse_end(tok);
        while (end < size && isspace((unsigned char) text[end]))
                end++;
        c->root = root;
        if (end != size)
                return error(ret_error, -EINVAL, "not valid JSON: something follows the object");
        if (!json_object_is_type(root, json_type_object))
                return error(ret_error, -EINVAL, "expected a JSON object");

        if (!json_object_object_get_ex(root, "command", &v) || !json_object_is_type(v, json_type_string))
                return error(ret_error, -EINVAL, "\"command\" is missing or not a string");
        name = json_object_get_string(v);
        if (!command_name_valid(name))
                return error(ret_error, -EINVAL, "\"command\" is not a command name");
        strcpy(c->name, name);

        if (json_object_object_get_ex(root, "id", &v)) {
                if (json_object_is_type(v, json_type_string)) {
                        if (json_object_get_string_len(v) > (int) MQTT_COMMAND_ID_MAX)
                                return error(
                                        ret_error,
                                        -EINVAL,
                                        "\"id\" is longer than %u characters",
                                        MQTT_COMMAND_ID_MAX);
                } else if (!json_object_is_type(v, json_type_int))
                        return error(ret_error, -EINVAL, "\"id\" must be a string or an integer");
                c->id = v;
        }

        if (json_object_object_get_ex(root, "timestamp", &v)) {
                double t;

                if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
                        return error(ret_error, -EINVAL, "\"timestamp\" must be a number (Unix seconds)");
                t = json_object_get_double(v);
                if (!isfinite(t) || t <= 0 || t >= (double) TIME_MAX_SEC)
                        return error(ret_error, -EINVAL, "\"timestamp\" is not a time in Unix seconds");
                c->has_timestamp = true;
                c->timestamp = t;
        }

        if (json_object_object_get_ex(root, "code", &v)) {
                if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_null))
                        return error(ret_error, -EINVAL, "\"code\" must be a string");
                if (json_object_is_type(v, json_type_string)) {
                        if (json_object_get_string_len(v) > 64)
                                return error(ret_error, -EINVAL, "\"code\" is too long");
                        c->code = json_object_get_string(v);
                }
        }
        return 0;
}

int command_parse(
        const void *payload, size_t size, const char *const *plain_words, Command *ret, char **ret_error) {
        const char *text = payload;
        Command c = {};
        size_t start = 0, n;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (size > MQTT_COMMAND_MAX_SIZE)
                return error(
                        ret_error, -EFBIG, "the command is larger than %u bytes", MQTT_COMMAND_MAX_SIZE);
        if (size == 0)
                return error(ret_error, -EINVAL, "the command is empty");
        if (memchr(text, 0, size) || !mqtt_utf8_valid(text, size))
                return error(ret_error, -EINVAL, "the command is not UTF-8 text");

        while (start < size && isspace((unsigned char) text[start]))
                start++;
        if (start < size && text[start] == '{') {
                r = parse_json(text + start, size - start, &c, ret_error);
                if (r < 0) {
                        command_done(&c);
                        return r;
                }
                *ret = c;
                return 0;
        }

        if (!plain_words)
                return error(ret_error, -EINVAL, "expected a JSON object with a \"command\"");
        n = size - start;
        while (n > 0 && isspace((unsigned char) text[start + n - 1]))
                n--;
        for (size_t i = 0; plain_words[i]; i++)
                if (strlen(plain_words[i]) == n && memcmp(text + start, plain_words[i], n) == 0) {
                        strcpy(c.name, plain_words[i]);
                        *ret = c;
                        return 0;
                }
        return error(ret_error, -EINVAL, "not a command (expected LOCK, UNLOCK, REFRESH or a JSON object)");
}

int command_check_age(
        const Command *c, int64_t expiry_sec, uint64_t max_age_usec, uint64_t now_usec, char **ret_error) {
        bool proven = false;

        if (ret_error)
                *ret_error = NULL;
        if (max_age_usec == 0)
                return 0;

        if (expiry_sec >= 0) {
                /* The broker counts the interval down while it holds the message (MQTT 5
                 * §3.3.2.3.3): what arrives is at most what the publisher set. More than our limit
                 * means the publisher allowed the message to live longer than we accept. */
                if ((uint64_t) expiry_sec * USEC_PER_SEC > max_age_usec)
                        return error(
                                ret_error,
                                -ESTALE,
                                "the message expiry interval (%" PRIi64
                                " s left) is longer than max-command-age (%" PRIu64 " s)",
                                expiry_sec,
                                max_age_usec / USEC_PER_SEC);
                proven = true;
        }
        if (c->has_timestamp) {
                double now = (double) now_usec / (double) USEC_PER_SEC,
                       max = (double) max_age_usec / (double) USEC_PER_SEC;

                if (now - c->timestamp > max)
                        return error(
                                ret_error,
                                -ESTALE,
                                "the command was sent %.0f s ago, more than max-command-age (%.0f s)",
                                now - c->timestamp,
                                max);
                if (c->timestamp - now > max)
                        return error(
                                ret_error,
                                -ESTALE,
                                "the command's timestamp is %.0f s ahead of this host's clock",
                                c->timestamp - now);
                proven = true;
        }
        if (!proven)
                return error(
                        ret_error,
                        -ESTALE,
                        "the command carries no \"timestamp\" and no MQTT 5 message expiry, and "
                        "max-command-age is set");
        return 0;
}

static int get(const Command *c, const char *key, json_object **ret) {
        if (!c->root || !json_object_object_get_ex(c->root, key, ret) ||
            json_object_is_type(*ret, json_type_null))
                return -ENOENT;
        return 0;
}

int command_get_string(
        const Command *c, const char *key, size_t max_len, const char **ret, char **ret_error) {
        json_object *v;

        if (get(c, key, &v) < 0)
                return -ENOENT;
        if (!json_object_is_type(v, json_type_string))
                return error(ret_error, -EINVAL, "\"%s\" must be a string", key);
        if ((size_t) json_object_get_string_len(v) > max_len)
                return error(ret_error, -EINVAL, "\"%s\" is longer than %zu characters", key, max_len);
        *ret = json_object_get_string(v);
        return 0;
}

int command_get_bool(const Command *c, const char *key, bool *ret, char **ret_error) {
        json_object *v;

        if (get(c, key, &v) < 0)
                return -ENOENT;
        if (json_object_is_type(v, json_type_boolean)) {
                *ret = json_object_get_boolean(v);
                return 0;
        }
        /* What a Home Assistant switch sends (payload_on / payload_off). */
        if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                if (streq(s, "ON") || streq(s, "OFF")) {
                        *ret = streq(s, "ON");
                        return 0;
                }
        }
        return error(ret_error, -EINVAL, "\"%s\" must be true, false, \"ON\" or \"OFF\"", key);
}

int command_get_uint(
        const Command *c, const char *key, uint64_t min, uint64_t max, uint64_t *ret, char **ret_error) {
        json_object *v;
        uint64_t u;

        if (get(c, key, &v) < 0)
                return -ENOENT;
        if (json_object_is_type(v, json_type_int)) {
                int64_t i = json_object_get_int64(v);
                if (i < 0)
                        goto range;
                u = (uint64_t) i;
        } else if (json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);
                /* Whole numbers only: 30.0 is 30 (a Home Assistant number may send that). */
                if (!isfinite(d) || d < 0 || d > 9007199254740992.0 || (double) (uint64_t) d != d)
                        goto range;
                u = (uint64_t) d;
        } else
                return error(ret_error, -EINVAL, "\"%s\" must be a number", key);
        if (u < min || u > max)
                goto range;
        *ret = u;
        return 0;
range:
        return error(
                ret_error,
                -EINVAL,
                "\"%s\" must be a whole number from %" PRIu64 " to %" PRIu64,
                key,
                min,
                max);
}

int command_get_time_usec(const Command *c, const char *key, uint64_t *ret, char **ret_error) {
        uint64_t s;
        int r;

        r = command_get_uint(c, key, 0, TIME_MAX_SEC, &s, ret_error);
        if (r < 0)
                return r;
        *ret = s * USEC_PER_SEC;
        return 0;
}

int command_check_keys(const Command *c, const char *const *allowed, char **ret_error) {
        if (!c->root)
                return 0;
        json_object_object_foreach(c->root, key, val) {
                bool ok = streq(key, "command") || streq(key, "id") || streq(key, "timestamp");

                (void) val;
                for (size_t i = 0; !ok && allowed && allowed[i]; i++)
                        ok = streq(key, allowed[i]);
                if (!ok)
                        return error(ret_error, -EINVAL, "unknown key \"%.64s\" for %s", key, c->name);
        }
        return 0;
}
