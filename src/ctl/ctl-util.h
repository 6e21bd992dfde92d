/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What ttlockctl makes of its command line and how it shows times: pure functions, no bus, unit
 * tested alone (tests/ctl/test-ctl-util.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-address.h"
#include "lock-path.h"
#include "time-util.h"


/* Exit codes, documented in ttlockctl(1). */
enum {
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_INVALID_ARGS = 2,  /* bad command line, or InvalidArgs from the daemon */
        CTL_EXIT_ACCESS_DENIED = 3, /* AccessDenied, InteractiveAuthorizationRequired */
        CTL_EXIT_NOT_SUPPORTED = 4, /* NotSupported: the lock lacks the feature */
        CTL_EXIT_NO_LOCK = 5,       /* LOCK matches nothing: DoesNotExist, UnknownObject */
        CTL_EXIT_INTERRUPTED = 130, /* Ctrl-C during pairing or enrollment */
};

typedef enum LockSpecType {
        LOCK_SPEC_ADDRESS,
        LOCK_SPEC_PATH,
        LOCK_SPEC_ALIAS,
} LockSpecType;

/* A malloc'd copy of the lock's object path (lock-path.h: any case in, upper case out). */
int lock_path_new(const char *address, char **ret);
/* D-Bus object path grammar: "/" or "/" segments of [A-Za-z0-9_]+ separated by "/". */
bool object_path_is_valid(const char *s);

/* What a LOCK argument is: an object path when it starts with "/", an address when it is one,
 * an alias otherwise. -EINVAL for an empty string or a "/…" that is no valid object path. */
int lock_spec_classify(const char *spec, LockSpecType *ret);
/* Whether a lock with these properties is the one spec names (address any case, path exactly,
 * alias exactly). NULL properties never match. */
bool lock_spec_matches(const char *spec, const char *path, const char *address, const char *alias);

/* ISO 8601 local time — YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS ("T" or a space) —
 * optionally followed by "Z" or ±HH:MM for another offset. µs since the epoch. Dates that do
 * not exist (Feb 30, a local time skipped by DST) are -EINVAL, never silently moved. */
int parse_datetime_usec(const char *s, uint64_t *ret);
/* Strict decimal, no sign, no spaces, ≤ max. */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* yes/no, on/off, true/false, 1/0 (any case): 1 or 0, else -EINVAL. */
int parse_boolean(const char *s);
/* Auto-lock delay: "off" or "0" = 0; N, Ns, Nmin (bounded by UINT32_MAX seconds). */
int parse_autolock(const char *s, uint32_t *ret);

/* Passage mode schedule "DAYS@HH:MM-HH:MM". DAYS: comma-separated mon…sun or 1…7 (1 = Monday),
 * ranges "mon-fri", or daily / weekdays / weekend. weekdays bit n set for day n (1…7). */
typedef struct PassageSchedule {
        uint8_t weekdays;
        uint16_t start_minute;
        uint16_t end_minute;
} PassageSchedule;
int parse_passage_schedule(const char *s, PassageSchedule *ret);
/* DAYS as above (without "@…"): the weekdays bit mask (bit n = day n). */
int parse_weekdays(const char *s, uint8_t *ret);
/* "H:MM" or "HH:MM" below 24:00, as minutes of the day; with end, "24:00" (1440) too. */
int parse_time_of_day(const char *s, bool end, uint16_t *ret);
/* "mon-fri", "mon,wed,fri", "daily"; buf of at least 32 bytes. */
const char *format_weekdays(uint8_t weekdays, char *buf, size_t size);

/* "YYYY-MM-DD HH:MM" (with_seconds: ":SS") in local time; "-" for 0. buf ≥ 32 bytes. */
const char *format_timestamp(uint64_t usec, bool with_seconds, char *buf, size_t size);

/* The exit code for a negative errno (ctl-bus.c maps the D-Bus error names to errnos). */
int exit_code_from_errno(int r);
