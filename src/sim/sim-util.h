/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small string helpers the simulator uses everywhere (systemd's names for the same things). */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool isempty(const char *s) {
        return !s || !s[0];
}

#define new0(t, n) ((t *) calloc((n) ?: 1, sizeof(t)))

static inline void *memdup(const void *p, size_t n) {
        void *q = malloc(n ?: 1);

        if (q && n > 0)
                memcpy(q, p, n);
        return q;
}
