/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "ops-common.h"

int bus_parse_validity(
        uint64_t from,
        uint64_t until,
        bool *ret_permanent,
        TTDateTime *ret_start,
        TTDateTime *ret_end,
        sd_bus_error *error) {
        if (from == 0 && until == 0) {
                *ret_permanent = true;
                return 0;
        }
        if (from == 0 || until == 0)
                return sd_bus_error_set(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec and valid_until_usec must both be 0 (permanent) or both be set.");
        if (from >= until)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec (%" PRIu64 ") must be before valid_until_usec (%" PRIu64 ").",
                        from,
                        until);
        if (op_usec_to_lock_time(from, ret_start) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec (%" PRIu64 ") is outside the years 2000–2099 the lock can store.",
                        from);
        if (op_usec_to_lock_time(until, ret_end) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_until_usec (%" PRIu64 ") is outside the years 2000–2099 the lock can store.",
                        until);
        *ret_permanent = false;
        return 0;
}

int bus_parse_passcode(
        const char *s,
        const char *name,
        size_t max,
        char ret[TTLOCK_PASSCODE_MAX + 1],
        sd_bus_error *error) {
        size_t n = strlen(s);

        assert(max <= TTLOCK_PASSCODE_MAX);
        if (n < TTLOCK_PASSCODE_ADD_MIN || n > max || strspn(s, "0123456789") != n)
                /* The digits themselves stay out of the message (and so out of logs). */
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "%s must be %d–%zu digits 0–9 (got %zu character(s)).",
                        name,
                        TTLOCK_PASSCODE_ADD_MIN,
                        max,
                        n);
        memcpy(ret, s, n + 1);
        return 0;
}

int bus_parse_card(const char *s, uint64_t *ret, sd_bus_error *error) {
        if (ttlock_card_number_parse(s, ret, NULL) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Card number \"%.32s\" is not a decimal number of 1–20 digits without leading "
                        "zeros within 0…18446744073709551615.",
                        s);
        return 0;
}

int bus_parse_fingerprint(const char *s, uint64_t *ret, sd_bus_error *error) {
        unsigned long long v;
        char *end = NULL;

        if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15 || (s[0] == '0' && s[1]))
                goto bad;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v > TTLOCK_FINGERPRINT_ID_MAX)
                goto bad;
        *ret = v;
        return 0;
bad:
        return sd_bus_error_setf(
                error,
                SD_BUS_ERROR_INVALID_ARGS,
                "Fingerprint id \"%.32s\" is not a decimal number within 0…%" PRIu64 " (6 bytes).",
                s,
                TTLOCK_FINGERPRINT_ID_MAX);
}

int bus_check_alias(const char *alias, sd_bus_error *error) {
        if (strlen(alias) > BUS_ALIAS_MAX)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Alias is %zu bytes long; at most %u are allowed.",
                        strlen(alias),
                        BUS_ALIAS_MAX);
        for (const char *p = alias; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7F)
                        return sd_bus_error_set(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Alias must not contain control characters.");
        return 0;
}
