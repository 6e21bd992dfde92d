/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every D-Bus error name ttlockd returns (listed with each method in dbus/org.ttlock.*.xml), in one
 * place, after systemd's bus-common-errors.h, and the one mapping from an operation's outcome
 * (OpStatus, lock/ops-common.h) to those names. The words reuse BlueZ's where the meaning is the same.
 * The map gives each name an errno so that clients using sd_bus_error_get_errno() and our own code
 * (ttlockd_error_set_errnof()) agree on which errno stands for which name. */

#include <stdarg.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "ops-common.h"

#define TTLOCK_ERROR_FAILED "org.ttlock.Error.Failed"
#define TTLOCK_ERROR_IN_PROGRESS "org.ttlock.Error.InProgress"
#define TTLOCK_ERROR_NOT_READY "org.ttlock.Error.NotReady"
#define TTLOCK_ERROR_NOT_CONNECTED "org.ttlock.Error.NotConnected"
#define TTLOCK_ERROR_NOT_SUPPORTED "org.ttlock.Error.NotSupported"
#define TTLOCK_ERROR_ALREADY_EXISTS "org.ttlock.Error.AlreadyExists"
#define TTLOCK_ERROR_DOES_NOT_EXIST "org.ttlock.Error.DoesNotExist"
#define TTLOCK_ERROR_NOT_PAIRED "org.ttlock.Error.NotPaired"
#define TTLOCK_ERROR_AUTHENTICATION_FAILED "org.ttlock.Error.AuthenticationFailed"
#define TTLOCK_ERROR_TIMEOUT "org.ttlock.Error.Timeout"
#define TTLOCK_ERROR_UNREACHABLE "org.ttlock.Error.Unreachable"
#define TTLOCK_ERROR_LOCK_REFUSED "org.ttlock.Error.LockRefused"

/* The standard names we use for generic cases (sd-bus.h has them as SD_BUS_ERROR_*; these are
 * here so that every name a method may return can be found in this header). */
#define TTLOCK_DBUS_ERROR_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define TTLOCK_DBUS_ERROR_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define TTLOCK_DBUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED \
        "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
#define TTLOCK_DBUS_ERROR_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define TTLOCK_DBUS_ERROR_INVALID_FILE_CONTENT "org.freedesktop.DBus.Error.InvalidFileContent"

/* name → errno; terminated by SD_BUS_ERROR_MAP_END. Each errno appears once, so the reverse
 * lookup of ttlockd_error_set_errno() is unambiguous. */
extern const sd_bus_error_map ttlockd_error_map[];

/* sd_bus_error_add_map(ttlockd_error_map); safe to call more than once. */
int ttlockd_errors_register(void);

/* The org.ttlock.Error name for a (positive or negative) errno, NULL when none of ours has it. */
const char *ttlockd_error_name_from_errno(int error);

/* Like sd_bus_error_set_errnof(), but prefers our own name for the errno (ETIMEDOUT → Timeout,
 * ENOKEY → NotPaired, …), keeps sd-bus's standard InvalidArgs (EINVAL) and AccessDenied (EACCES, EPERM),
 * and makes every other errno Failed (with the message). Returns -|error|. */
int ttlockd_error_set_errnof(sd_bus_error *e, int error, const char *format, ...) _printf_(3, 4);

/* An operation's outcome as the error its caller gets: ttlockd's own refusals (InProgress, NotPaired,
 * NotReady, NotSupported, DoesNotExist, Failed), the lock's (LockRefused with the lock's error name,
 * AuthenticationFailed), the radio's (Unreachable, Timeout). address names the lock in messages.
 * Returns the negative errno, like sd_bus_error_set(). */
int bus_error_from_status(const OpStatus *st, const char *address, sd_bus_error *error);
