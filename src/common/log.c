/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

static int max_level = LOG_INFO;
static bool prefix_priority = false;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix_priority(bool b) {
        prefix_priority = b;
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } table[] = {
                { "emerg", LOG_EMERG },   { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
                { "err", LOG_ERR },       { "error", LOG_ERR },   { "warning", LOG_WARNING },
                { "notice", LOG_NOTICE }, { "info", LOG_INFO },   { "debug", LOG_DEBUG },
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcasecmp(s, table[i].name) == 0)
                        return table[i].level;
        return -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        char buf[1024];
        va_list ap;
        int saved = errno;

        if (error < 0)
                error = -error;

        if (level > max_level)
                return -error;

        /* Make %m refer to the error we were handed, as systemd's log functions do. */
        errno = error;
        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        if (prefix_priority)
                fprintf(stderr, "<%d>%s\n", level, buf);
        else
                fprintf(stderr, "%s\n", buf);

        errno = saved;
        return -error;
}
