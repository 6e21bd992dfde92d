/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "errors.h"

/* The errno for each name is chosen so that a plain "return -ETIMEDOUT;" deep in an operation ends
 * up as the name a client expects (dbus-api.md lists which name each method may return). */
const sd_bus_error_map ttlockd_error_map[] = {
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_IN_PROGRESS, EBUSY),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_NOT_READY, ENODEV), /* no (powered) adapter */
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_NOT_CONNECTED, ENOTCONN),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_NOT_SUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_ALREADY_EXISTS, EEXIST),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_DOES_NOT_EXIST, ENOENT),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_NOT_PAIRED, ENOKEY),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_AUTHENTICATION_FAILED, EKEYREJECTED),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_TIMEOUT, ETIMEDOUT),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_UNREACHABLE, EHOSTUNREACH),
        SD_BUS_ERROR_MAP(TTLOCK_ERROR_LOCK_REFUSED, EREMOTEIO), /* the lock answered with an error */
        SD_BUS_ERROR_MAP_END,
};

int ttlockd_errors_register(void) {
        int r;

        /* sd-bus remembers maps by pointer and ignores a second registration of the same one. */
        r = sd_bus_error_add_map(ttlockd_error_map);
        return r < 0 ? r : 0;
}

const char *ttlockd_error_name_from_errno(int error) {
        error = abs(error);
        if (error == 0)
                return NULL;
        for (const sd_bus_error_map *m = ttlockd_error_map; m->name; m++)
                if (m->code == error)
                        return m->name;
        return NULL;
}

int ttlockd_error_set_errnof(sd_bus_error *e, int error, const char *format, ...) {
        const char *name;
        va_list ap;
        int r;

        error = abs(error);
        name = ttlockd_error_name_from_errno(error);
        if (!name) {
                va_start(ap, format);
                r = sd_bus_error_set_errnofv(e, error, format, ap);
                va_end(ap);
                return r;
        }

        if (e && !sd_bus_error_is_set(e)) {
                _cleanup_free_ char *msg = NULL;

                va_start(ap, format);
                r = format ? vasprintf(&msg, format, ap) : 0;
                va_end(ap);
                if (r < 0)
                        return -ENOMEM;
                /* Its return value depends on whether the map is registered; ours does not. */
                (void) sd_bus_error_set(e, name, msg);
        }
        return -error;
}
