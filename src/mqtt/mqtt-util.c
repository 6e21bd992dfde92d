/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "mqtt-util.h"
#include "string-util.h"
#include "time-util.h"

void mqtt_lock_id(const char *address, char ret[static MQTT_LOCK_ID_LEN + 1]) {
        size_t k = 0;

        for (size_t i = 0; address[i] && k < MQTT_LOCK_ID_LEN; i++)
                if (address[i] != ':')
                        ret[k++] = (char) tolower((unsigned char) address[i]);
        ret[k] = 0;
}

const char *mqtt_topic_prefix_problem(const char *s) {
        size_t n;

        if (isempty(s))
                return "is empty";
        n = strlen(s);
        if (n > MQTT_TOPIC_PREFIX_MAX)
                return "is too long";
        if (strpbrk(s, "+#"))
                return "contains a wildcard (\"+\" or \"#\")";
        if (s[0] == '$')
                return "starts with \"$\", which is the broker's";
        if (s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
                return "has an empty level (a \"/\" at the start, at the end or twice)";
        if (!mqtt_utf8_valid(s, n))
                return "is not valid UTF-8";
        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return "contains a control character";
        return NULL;
}

bool mqtt_node_id_valid(const char *s) {
        size_t n = 0;

        if (isempty(s))
                return false;
        for (const char *c = s; *c; c++, n++)
                if (!isalnum((unsigned char) *c) && *c != '_' && *c != '-')
                        return false;
        return n <= MQTT_NODE_ID_MAX;
}

bool mqtt_utf8_valid(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;

        while (i < n) {
                unsigned char c = p[i];
                size_t len;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0) {
                        len = 2;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        len = 3;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        len = 4;
                        cp = c & 0x07;
                } else
                        return false;
                if (i + len > n)
                        return false;
                for (size_t k = 1; k < len; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + k] & 0x3f);
                }
                /* No overlong forms, no surrogates, nothing above U+10FFFF. */
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                        return false;
                i += len;
        }
        return true;
}

int mqtt_format_iso8601(uint64_t usec, char ret[static MQTT_ISO8601_LEN + 1]) {
        time_t t;
        struct tm tm;

        if (usec == 0 || usec / USEC_PER_SEC > (uint64_t) 253402300799) /* 9999-12-31T23:59:59Z */
                return -EINVAL;
        t = (time_t) (usec / USEC_PER_SEC);
        if (!gmtime_r(&t, &tm))
                return -EINVAL;
        if (strftime(ret, MQTT_ISO8601_LEN + 1, "%Y-%m-%dT%H:%M:%S+00:00", &tm) != MQTT_ISO8601_LEN)
                return -EINVAL;
        return 0;
}

bool mqtt_secret_equal(const char *a, const char *b) {
        size_t na = strlen(a), nb = strlen(b);
        unsigned char d = na != nb;

        /* Compare over the length of b (the secret we hold), whatever a is. */
        for (size_t i = 0; i < nb; i++)
                d |= (unsigned char) ((i < na ? a[i] : 0) ^ b[i]);
        return d == 0;
}

bool ratelimit_below(RateLimit *rl, uint64_t now_usec) {
        if (rl->begin_usec == 0 || now_usec - rl->begin_usec >= rl->interval_usec) {
                rl->begin_usec = now_usec;
                rl->num = 0;
        }
        if (rl->num < rl->burst) {
                rl->num++;
                return true;
        }
        rl->suppressed++;
        return false;
}
