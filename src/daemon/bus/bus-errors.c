/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "bus-errors.h"
#include "command.h"
#include "lock-error.h"

/* The errno for each name is chosen so that a plain "return -ETIMEDOUT;" deep in an operation ends
 * up as the name a client expects (dbus/org.ttlock.*.xml lists which name each method may return). */
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

/* doc/protocol.md §4.4 codes that mean "these are not the right credentials": wrong adminPs, a wrong
 * unlock key (the sum of CHECK_RANDOM or of an actuation), eKey flag too low, not logged in (the
 * challenge was not accepted). */
static bool is_auth_error(uint8_t code) {
        return code == 0x03 || code == 0x08 || code == 0x0D || code == 0x12;
}

static int refusal_to_error(const OpStatus *st, const char *address, sd_bus_error *error) {
        switch (st->refusal) {
        case OP_REFUSAL_BUSY:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_IN_PROGRESS, st->message ?: "Another operation is in progress.");
        case OP_REFUSAL_NOT_PAIRED:
                return sd_bus_error_setf(error, TTLOCK_ERROR_NOT_PAIRED, "Lock %s is not paired.", address);
        case OP_REFUSAL_ALREADY_PAIRED:
                if (st->message)
                        return sd_bus_error_set(error, TTLOCK_ERROR_ALREADY_EXISTS, st->message);
                return sd_bus_error_setf(
                        error, TTLOCK_ERROR_ALREADY_EXISTS, "Lock %s is already paired.", address);
        case OP_REFUSAL_NOT_PAIRABLE:
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_NOT_READY,
                        "Lock %s is not in setting mode: reset it or touch its keypad to wake it.",
                        address);
        case OP_REFUSAL_NOT_SUPPORTED:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_SUPPORTED, st->message ?: "The lock does not support this.");
        case OP_REFUSAL_KEY_INVALID:
                /* An eKey reset, expired or not yet valid (doc/lockdata.md §4): the keys are refused, and
                 * the message says why, so that the user asks for a new one rather than retrying. */
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_AUTHENTICATION_FAILED,
                        st->message ?: "These keys are not valid now.");
        case OP_REFUSAL_NO_SUCH:
                return sd_bus_error_set(error, TTLOCK_ERROR_DOES_NOT_EXIST, st->message ?: "No such thing.");
        case OP_REFUSAL_CANCELLED:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_FAILED, st->message ?: "The operation was cancelled.");
        case OP_REFUSAL_NOT_SAVED:
                if (st->error == -EFBIG)
                        return sd_bus_error_setf(
                                error,
                                TTLOCK_ERROR_FAILED,
                                "%s: it no longer fits the lock's file.",
                                st->message ?: "Cannot save");
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_FAILED,
                        "%s: %s",
                        st->message ?: "Cannot save",
                        strerror(-st->error));
        case OP_REFUSAL_NONE:
        default:
                return sd_bus_error_set(error, TTLOCK_ERROR_FAILED, "Failed.");
        }
}

static int status_to_error(const OpStatus *st, sd_bus_error *error);

int bus_error_from_status(const OpStatus *st, const char *address, sd_bus_error *error) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        assert(st);

        if (st->refusal != OP_REFUSAL_NONE)
                return refusal_to_error(st, address, error);
        if (!st->message)
                return status_to_error(st, error);
        /* The error the outcome stands for, with what the model had to say about it. */
        r = status_to_error(st, &e);
        (void) sd_bus_error_set(error, e.name, st->message);
        return r;
}

static int status_to_error(const OpStatus *st, sd_bus_error *error) {
        const char *cmd = ttlock_command_name(st->command) ?: "the command";

        switch (st->error) {
        case -EHOSTUNREACH:
        case -ENODEV:
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_UNREACHABLE,
                        "The lock cannot be reached (out of range, asleep, or refusing connections).");
        case -ENOTCONN:
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_UNREACHABLE,
                        "The connection to the lock was lost during %s.",
                        cmd);
        case -ETIMEDOUT:
                return sd_bus_error_setf(
                        error, TTLOCK_ERROR_TIMEOUT, "The lock did not answer %s in time.", cmd);
        case -ENOKEY:
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_AUTHENTICATION_FAILED,
                        "The lock did not accept our key for %s (was it reset?).",
                        cmd);
        case -EREMOTEIO: {
                const char *name = ttlock_error_name(st->lock_error);
                const char *desc = ttlock_error_description(st->lock_error);

                if (is_auth_error(st->lock_error))
                        return sd_bus_error_setf(
                                error,
                                TTLOCK_ERROR_AUTHENTICATION_FAILED,
                                "The lock refused our credentials for %s: %s (0x%02x).",
                                cmd,
                                name ?: "unknown error",
                                st->lock_error);
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_LOCK_REFUSED,
                        "%s (0x%02x)%s%s, refusing %s.",
                        name ?: "UNKNOWN_ERROR",
                        st->lock_error,
                        desc ? ": " : "",
                        desc ?: "",
                        cmd);
        }
        case -EBADMSG:
                return sd_bus_error_setf(
                        error, TTLOCK_ERROR_FAILED, "The lock's reply to %s was malformed.", cmd);
        case -ECANCELED:
                return sd_bus_error_set(error, TTLOCK_ERROR_FAILED, "The operation was cancelled.");
        /* What the credentials and settings operations decide themselves (ops-credentials.h). */
        case -EOPNOTSUPP:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_SUPPORTED, "The lock does not support this.");
        case -ENOENT:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_DOES_NOT_EXIST, "The lock has no such passcode.");
        case -E2BIG:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_FAILED, "The lock reported more entries than ttlockd accepts.");
        default:
                return ttlockd_error_set_errnof(
                        error, st->error, "%s failed: %s", cmd, strerror(-st->error));
        }
}
