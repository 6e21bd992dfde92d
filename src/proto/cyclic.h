/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Weekly cycles: CYCLIC_CMD 0x70 (doc/protocol.md §4.3 CYCLIC_CMD, §4.9), and the weekly windows that
 * the daemon, the simulator and the decoder share. A credential with cycles opens only on the listed
 * weekdays between the listed times of day, by the lock's own wall clock (§4.2: local time, no zone),
 * and only inside its validity window.
 *
 * Request: [op][user type][user length][user…], and for an add [cycle type 1][weekday][0][sh][sm][eh][em]
 * followed by four zero bytes the official SDK appends (§4.9). Replies are [battery][op]
 * (ttlock_op_reply_*, credentials.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "tt-error.h"

typedef enum TTCyclicOp {
        TTLOCK_CYCLIC_OP_QUERY = 1,
        TTLOCK_CYCLIC_OP_ADD = 2,
        TTLOCK_CYCLIC_OP_REMOVE = 3,
        TTLOCK_CYCLIC_OP_CLEAR = 4,
} TTCyclicOp;

typedef enum TTCyclicUser {
        TTLOCK_CYCLIC_USER_FINGERPRINT = 1, /* 6-byte id, BE */
        TTLOCK_CYCLIC_USER_IC = 2,          /* 4- or 8-byte card number, BE */
        TTLOCK_CYCLIC_USER_KEY_FOB = 3,     /* the fob's MAC, 6 bytes, low byte first */
        TTLOCK_CYCLIC_USER_FACE = 4,        /* named by the SDK; no layout given */
        /* Not in any source: ttlockd's own user type for a keypad passcode, its ASCII digits as the
         * user (§4.9). A lock that does not know it refuses it. */
        TTLOCK_CYCLIC_USER_PASSCODE = 0x50,
} TTCyclicUser;

#define TTLOCK_CYCLIC_WEEKLY 1
#define TTLOCK_CYCLIC_PADDING 4   /* zero bytes after an add's end minute (§4.9) */
#define TTLOCK_CYCLIC_USER_MAX 16 /* the longest user we read (passcodes: 16 digits, §4.3) */

typedef struct TTCyclicRequest {
        uint8_t op;
        uint8_t user_type;
        uint8_t user_size;
        uint64_t user;                              /* fingerprint id or card number */
        char passcode[TTLOCK_CYCLIC_USER_MAX + 1];  /* TTLOCK_CYCLIC_USER_PASSCODE: the digits */
        uint8_t user_bytes[TTLOCK_CYCLIC_USER_MAX]; /* the user as sent, for every type (decoder) */
        /* ADD: [cycle type 1][weekday][0][sh][sm][eh][em] */
        uint8_t weekday; /* 1 = Monday … 7 = Sunday */
        uint8_t start_hour, start_minute, end_hour, end_minute;
        bool unpadded; /* an add without the four zero bytes the SDK appends (the decoder says which) */
} TTCyclicRequest;

/* The encoder writes what the official SDK writes, the four zero bytes included unless unpadded. The
 * decoder takes an add with or without them (and says which), refuses any other trailing byte, and knows
 * every user type of §4.9; a face's user (no layout is known) is kept and written as bytes. */
int ttlock_cyclic_request_encode(TTWriter *w, const TTCyclicRequest *req, TTError *e);
int ttlock_cyclic_request_decode(const uint8_t *data, size_t len, TTCyclicRequest *ret, TTError *e);
const char *ttlock_cyclic_user_name(uint8_t user_type); /* "fingerprint", …; NULL when unknown */

/* ---- weekly windows ------------------------------------------------------------------------------ */

/* One weekday, from start to end (minutes of the day; end excluded, at most 24:00 = 1440, as the
 * official SDK's CyclicConfig allows). */
typedef struct TTCycle {
        uint8_t weekday; /* 1 = Monday … 7 = Sunday */
        uint16_t start_minute;
        uint16_t end_minute;
} TTCycle;

/* How many windows one credential may hold: a lock keeps them in flash; two a day fit. */
#define TTLOCK_CYCLES_MAX 16
#define TTLOCK_MINUTES_PER_DAY 1440

/* -EINVAL ("…") for a weekday outside 1…7, an end not after the start, or an end past 24:00. */
int ttlock_cycle_check(const TTCycle *c, TTError *e);
bool ttlock_cycle_equal(const TTCycle *a, const TTCycle *b);
/* Does one of the windows hold this weekday and minute of the day? No windows: yes. */
bool ttlock_cycles_allow(const TTCycle *cycles, size_t n, unsigned weekday, unsigned minute);
/* The add request's time fields from a window (the caller sets op and user). */
void ttlock_cyclic_request_set_cycle(TTCyclicRequest *q, const TTCycle *c);
/* The window an add request carries. */
void ttlock_cyclic_request_get_cycle(const TTCyclicRequest *q, TTCycle *ret);
/* The weekday of a day counted from 1970-01-01 (a Thursday): 1 = Monday … 7 = Sunday. */
unsigned ttlock_weekday_of_days(int64_t days_since_epoch);
