/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "tt-error.h"

int tt_error(TTError *e, int r, const char *format, ...) {
        va_list ap;

        if (!e || e->error != 0)
                return r;

        e->error = r;
        va_start(ap, format);
        (void) vsnprintf(e->message, sizeof(e->message), format, ap);
        va_end(ap);
        return r;
}

const char *tt_error_message(const TTError *e) {
        return e && e->error != 0 ? e->message : "";
}
