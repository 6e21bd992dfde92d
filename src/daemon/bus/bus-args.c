/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-dict.h"
#include "macro.h"
#include "string-util.h"
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

/* ---- weekly cycles (dbus/org.ttlock.Credentials1.xml "Cycles") ----------------------------------- */

typedef struct CycleEntry {
        size_t index;
        sd_bus_error *error;
        const uint8_t *days;
        size_t n_days;
        bool have_days, have_start, have_end;
        uint16_t start, end;
} CycleEntry;

static int cycle_weekdays(sd_bus_message *m, const char *key, void *userdata) {
        CycleEntry *e = userdata;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "ay");
        if (r < 0)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Cycle %zu: weekdays must be of type ay.", e->index);
        r = sd_bus_message_read_array(m, 'y', (const void **) &e->days, &e->n_days);
        if (r < 0)
                return r;
        e->have_days = true;
        return sd_bus_message_exit_container(m);
}

static int cycle_minute(sd_bus_message *m, const char *key, void *userdata) {
        CycleEntry *e = userdata;
        uint16_t v;
        int r;

        r = bus_dict_read_basic(m, 'q', &v);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS, "Cycle %zu: %s must be of type q.",
                                         e->index, key);
        /* 1440 = 24:00 ends a window at midnight, as the official SDK's CyclicConfig allows (§4.9). */
        if (v > TTLOCK_MINUTES_PER_DAY)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Cycle %zu: %s %u is past 24:00 (1440).", e->index, key, v);
        if (streq(key, "start-minute")) {
                e->start = v;
                e->have_start = true;
        } else {
                e->end = v;
                e->have_end = true;
        }
        return 0;
}

static int cycle_unknown(sd_bus_message *m, const char *key, void *userdata) {
        CycleEntry *e = userdata;

        return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                 "Cycle %zu: unknown key \"%.32s\" (weekdays, start-minute, end-minute).", e->index,
                                 key);
}

int bus_read_cycles(sd_bus_message *m, TTCycle ret[static TTLOCK_CYCLES_MAX], size_t *ret_n, sd_bus_error *error) {
        static const BusDictField fields[] = {
                { "weekdays", cycle_weekdays },
                { "start-minute", cycle_minute },
                { "end-minute", cycle_minute },
                { NULL, cycle_unknown },
        };
        size_t n = 0;
        int r;

        assert(ret_n);

        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t index = 0;; index++) {
                CycleEntry e = { .index = index, .error = error };

                r = sd_bus_message_at_end(m, false);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = bus_dict_read(m, fields, ELEMENTSOF(fields), &e);
                if (r < 0)
                        return r;
                if (!e.have_days || !e.have_start || !e.have_end)
                        return sd_bus_error_setf(
                                error, SD_BUS_ERROR_INVALID_ARGS,
                                "Cycle %zu: weekdays, start-minute and end-minute are all required.", index);
                if (e.n_days == 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Cycle %zu: no weekdays.", index);
                if (e.start >= e.end)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Cycle %zu: start-minute %u must be before end-minute %u.", index,
                                                 e.start, e.end);
                for (size_t i = 0; i < e.n_days; i++) {
                        TTCycle c = { .weekday = e.days[i], .start_minute = e.start, .end_minute = e.end };

                        if (c.weekday < 1 || c.weekday > 7)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Cycle %zu: weekday %u is not 1 (Monday) … 7 (Sunday).",
                                                         index, c.weekday);
                        for (size_t j = 0; j < n; j++)
                                if (ttlock_cycle_equal(&ret[j], &c))
                                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                                 "Cycle %zu: weekday %u with that window is given "
                                                                 "twice.",
                                                                 index, c.weekday);
                        /* One window per weekday on the wire (§4.9): the lock keeps a bounded number. */
                        if (n >= TTLOCK_CYCLES_MAX)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Too many cycles: at most %u weekday windows in all.",
                                                         TTLOCK_CYCLES_MAX);
                        ret[n++] = c;
                }
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret_n = n;
        return 0;
}
