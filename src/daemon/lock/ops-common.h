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
        /* The keys are not good (now): an eKey reset, expired or not yet valid, by ttlockd's own check of
         * its window or by the lock's answer (doc/lockdata.md §4, doc/protocol.md §4.4; message says
         * which). lock_error holds the lock's code when it was the lock that said so. */
        OP_REFUSAL_KEY_INVALID,
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
        /* An eKey (store.h LOCK_ROLE_USER): it logs in with CHECK_USER_TIME and never with CHECK_ADMIN,
         * whose adminPs it does not have (doc/lockdata.md §4). */
        bool user;
        /* The window CHECK_USER_TIME sends (§4.3), in the lock's local time: an eKey's own, an admin's
         * the SDK's "permanent" one. */
        TTDateTime window_start;
        TTDateTime window_end;
} OpKeys;

void op_keys_from_record(OpKeys *k, const LockRecord *r);
/* The window CHECK_USER_TIME sends for these keys; keys made without one get the permanent window. */
void op_keys_window(const OpKeys *k, TTDateTime *ret_start, TTDateTime *ret_end);
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
/* The same in a given zone (seconds east of UTC) instead of the host's. */
int op_usec_to_lock_time_in_zone(uint64_t usec, int32_t zone_offset_sec, TTDateTime *ret);

/* ttlockd's own check of an eKey's window (store.h valid-from/until) at now_usec: 0 inside it (and for
 * an admin's keys), else an OP_REFUSAL_KEY_INVALID saying which side it is on. */
int op_check_key_window(const LockRecord *r, uint64_t now_usec, OpStatus *st);
/* What a refusal of CHECK_USER_TIME says of an eKey (§4.4 0x0D, 0x0E, 0x11): the status becomes an
 * OP_REFUSAL_KEY_INVALID naming it, keeping the lock's code. Any other status is left as it is. */
void op_explain_user_refusal(OpStatus *st);
uint64_t op_lock_time_to_usec(const TTDateTime *t);
uint64_t op_lock_time_to_usec_in_zone(const TTDateTime *t, int32_t zone_offset_sec);
