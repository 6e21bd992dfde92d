/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* String helpers every program of the project shares, named after systemd's string-util.h so that
 * a reader who knows systemd knows them. Small enough to be inline; strdup_replace() allocates. */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Equal strings, or both NULL (systemd's streq_ptr()). */
static inline bool streq_ptr(const char *a, const char *b) {
        if (a && b)
                return strcmp(a, b) == 0;
        return !a && !b;
}

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool strendswith(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* s, or "" for NULL: for printing and for D-Bus, which has no NULL string. */
static inline const char *strempty_or(const char *s) {
        return s ?: "";
}

static inline bool isempty(const char *s) {
        return !s || !s[0];
}

/* *p = strdup(s) (NULL for NULL), freeing the old value; -ENOMEM leaves *p as it was. Returns 1
 * when the value changed, 0 when it was equal already. */
int strdup_replace(char **p, const char *s);
