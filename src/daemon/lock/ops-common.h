/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every operation (ops-*.c) shares: how an outcome is described to the lock model, the key
 * material an operation carries, and the small steps of sending a command and judging its reply.
 * Operations are small state machines over one LinkJob (link.h) and know nothing of sd-bus
 * (doc/architecture.md "Which way the arrows run"); they report through a completion callback. */

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "datetime.h"
#include "link.h"
#include "reply.h"
#include "store.h"
#include "time-util.h"

/* Why ttlockd itself refused or ended an operation, before or instead of asking the lock. */
typedef enum OpRefusal {
        OP_REFUSAL_NONE,
        OP_REFUSAL_BUSY, /* something else holds the lock now (message says what) */
        OP_REFUSAL_NOT_PAIRED,
        OP_REFUSAL_ALREADY_PAIRED,
        OP_REFUSAL_NOT_PAIRABLE,  /* not in setting mode */
        OP_REFUSAL_NOT_SUPPORTED, /* the lock lacks what it takes (message says what) */
        OP_REFUSAL_CANCELLED,     /* stopped by ttlockd (message says why) */
        OP_REFUSAL_NO_SUCH,       /* there is nothing of that kind (message says what) */
        OP_REFUSAL_NOT_SAVED,     /* the change could not be made durable; error says why */
} OpRefusal;

/* The outcome of an operation. error 0: done. -EREMOTEIO: the lock answered FAILED; lock_error holds
 * its §4.4 code (0 when it sent none). -ENOKEY: the lock answered without data where data was due
 * (§2.4 L = 0: it does not accept our key, e.g. it was reset). Link errors pass through (link.h).
 * refusal ≠ NONE: ttlockd's own verdict, with a message (a static string) for the caller. */
typedef struct OpStatus {
        int error;
        uint8_t command; /* the command that failed, 0 when none did */
        uint8_t lock_error;
        OpRefusal refusal;
        const char *message;
} OpStatus;

/* Fill st with ttlockd's own refusal; returns error (< 0). */
int op_refuse(OpStatus *st, OpRefusal refusal, int error, const char *message);

/* The credentials of a paired lock (§5.1 "Stored credentials"), copied into an operation so that
 * it does not depend on the record's lifetime; wiped by op_keys_wipe(). */
typedef struct OpKeys {
        uint8_t aes_key[TTLOCK_KEY_SIZE];
        uint32_t admin_ps;
        uint32_t unlock_key;
        uint32_t lock_flag_pos;
        uint32_t uid;
} OpKeys;

void op_keys_from_record(OpKeys *k, const LockRecord *r);
void op_keys_wipe(OpKeys *k);

/* Judge the outcome of one command: 0 for a SUCCESS reply; otherwise fills st and returns its
 * error (never 0). */
int op_check_reply(uint8_t command, int error, const TTReply *reply, OpStatus *st);

/* Set st to a failure of command with error (e.g. a reply that does not decode: -EBADMSG). */
int op_fail(OpStatus *st, uint8_t command, int error);

/* Random 32-bit secret below limit (getrandom()). */
int op_random_below(uint32_t limit, uint32_t *ret);

/* Lock-local wall clock (§4.2: local time, no zone): now, from µs since the epoch (-ERANGE outside the
 * years 2000…2099 the lock can hold), and the other way round. */
int op_lock_time_now(TTDateTime *ret);
int op_usec_to_lock_time(uint64_t usec, TTDateTime *ret);
uint64_t op_lock_time_to_usec(const TTDateTime *t);
