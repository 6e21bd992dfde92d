/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Errors on stderr as "ttlockctl: <D-Bus error name>: <message>", and the errno each D-Bus error
 * name means, from which main() derives the exit code (ttlockctl(1) "EXIT STATUS"). */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl-errors.h"

/* The errors dbus/org.ttlock.*.xml list. sd-bus consults maps added with sd_bus_error_add_map()
 * before its own, so UnknownObject (a LOCK given as a path that names nothing) can mean "no such
 * lock" here rather than sd-bus' generic EBADR it shares with UnknownMethod. */
static const sd_bus_error_map ctl_error_map[] = {
        SD_BUS_ERROR_MAP("org.ttlock.Error.Failed", EIO),
        SD_BUS_ERROR_MAP("org.ttlock.Error.InProgress", EBUSY),
        SD_BUS_ERROR_MAP("org.ttlock.Error.NotReady", ENODEV),
        SD_BUS_ERROR_MAP("org.ttlock.Error.NotConnected", ENOTCONN),
        SD_BUS_ERROR_MAP("org.ttlock.Error.NotSupported", EOPNOTSUPP),
        SD_BUS_ERROR_MAP("org.ttlock.Error.AlreadyExists", EEXIST),
        SD_BUS_ERROR_MAP("org.ttlock.Error.DoesNotExist", ENOENT),
        SD_BUS_ERROR_MAP("org.ttlock.Error.NotPaired", ENOLINK),
        SD_BUS_ERROR_MAP("org.ttlock.Error.AuthenticationFailed", EKEYREJECTED),
        SD_BUS_ERROR_MAP("org.ttlock.Error.Timeout", ETIMEDOUT),
        SD_BUS_ERROR_MAP("org.ttlock.Error.Unreachable", EHOSTUNREACH),
        SD_BUS_ERROR_MAP("org.ttlock.Error.LockRefused", EPROTO),
        SD_BUS_ERROR_MAP("org.freedesktop.DBus.Error.UnknownObject", ENXIO),
        SD_BUS_ERROR_MAP_END
};

int ctl_error_map_register(void) {
        return sd_bus_error_add_map(ctl_error_map);
}

int ctl_error(int r, const char *format, ...) {
        char buf[1024];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        fprintf(stderr, "ttlockctl: %s\n", buf);
        return r < 0 ? r : -EIO;
}

int ctl_bus_error(const sd_bus_error *error, int r) {
        if (r >= 0)
                r = -EIO;
        if (error && sd_bus_error_is_set(error)) {
                if (error->message && *error->message)
                        fprintf(stderr, "ttlockctl: %s: %s\n", error->name, error->message);
                else
                        fprintf(stderr, "ttlockctl: %s\n", error->name);
        } else
                fprintf(stderr, "ttlockctl: %s\n", strerror(-r));
        return r;
}
