/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The arguments the faces share, checked before anything reaches the lock and before polkit is asked
 * (both runs of a handler must decide alike, authz.h): InvalidArgs saying what is wrong, never quoting a
 * passcode's digits (messages end up in logs). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "credentials.h"
#include "datetime.h"

#define BUS_ALIAS_MAX 256U

/* valid_from/valid_until as the methods take them: both 0 = permanent, else an ordered window inside the
 * years 2000–2099 the lock's two-digit years can hold (doc/protocol.md §4.2), in lock-local time. */
int bus_parse_validity(
        uint64_t from,
        uint64_t until,
        bool *ret_permanent,
        TTDateTime *ret_start,
        TTDateTime *ret_end,
        sd_bus_error *error);
/* 4…max ASCII digits (max ≤ TTLOCK_PASSCODE_MAX) copied to ret; name is the argument's name. */
int bus_parse_passcode(
        const char *s, const char *name, size_t max, char ret[TTLOCK_PASSCODE_MAX + 1], sd_bus_error *error);
int bus_parse_card(const char *s, uint64_t *ret, sd_bus_error *error);
int bus_parse_fingerprint(const char *s, uint64_t *ret, sd_bus_error *error);
/* The cycles argument (aa{sv}: weekdays ay 1 = Monday … 7 = Sunday, start-minute q, end-minute q ≤ 1440),
 * read at m and expanded into one window per weekday (doc/protocol.md §4.9): at most TTLOCK_CYCLES_MAX, no
 * window twice, each ending after it starts. An empty array gives *ret_n 0. */
int bus_read_cycles(sd_bus_message *m, TTCycle ret[static TTLOCK_CYCLES_MAX], size_t *ret_n, sd_bus_error *error);
/* An alias: at most BUS_ALIAS_MAX bytes, no control characters. */
int bus_check_alias(const char *alias, sd_bus_error *error);
