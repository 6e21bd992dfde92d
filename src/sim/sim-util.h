/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Allocation helpers the simulator uses everywhere (systemd's names for the same things); the string
 * helpers are the project's own (string-util.h). */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "string-util.h"

#define new0(t, n) ((t *) calloc((n) ?: 1, sizeof(t)))

static inline void *memdup(const void *p, size_t n) {
        void *q = malloc(n ?: 1);

        if (q && n > 0)
                memcpy(q, p, n);
        return q;
}
