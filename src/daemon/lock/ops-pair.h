/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pairing (doc/protocol.md §5.1, initLock) as one LinkJob: GET_AES_KEY under the default key, ADD_ADMIN
 * with fresh random adminPs/unlockKey, then the optional steps in the official order — TIME_CALIBRATE,
 * SEARCH_DEVICE_FEATURE, SWITCH, AUDIO_MANAGE (feature 15), SHOW_PASSWORD (9), AUTO_LOCK_MANAGE (4),
 * LAMP (25), GET_ADMIN_CODE (18) / SET_ADMIN_KEYBOARD_PWD, INIT_PASSWORDS, CONTROL_REMOTE_UNLOCK (14),
 * READ_DEVICE_INFO 1–4 — and OPERATE_FINISHED. Every step after ADD_ADMIN
 * is tolerated when a lock refuses it (§9.5: firmware differs), and logged.
 *
 * Every secret is known before ADD_ADMIN is sent, so the keys go to disk first, marked provisional,
 * and ADD_ADMIN is sent only when they are there. ADD_ADMIN is never sent twice: a garbled or lost
 * answer is followed by an admin login with the new keys (CHECK_ADMIN → CHECK_RANDOM) on the same
 * connection, which tells whether the lock took them. When nothing tells, the keys stay provisional
 * (PAIR_ADMIN_UNKNOWN) for the owner to check at the next contact (ops-verify.h).
 *
 * The optional steps a dropped link cuts short are left in the record's pairing_pending (store.h): the
 * lock has our admin, so Pair() succeeds, and pair_finish_op_start() does the rest later (§5.6). */

#include "link.h"
#include "ops-common.h"
#include "store.h"

typedef struct PairOp PairOp;

/* What became of the admin the pairing tried to create. */
typedef enum PairOutcome {
        PAIR_NO_ADMIN,      /* the lock has no admin of ours: nothing to keep */
        PAIR_ADMIN,         /* the lock took our admin (and the keys are on disk, final) */
        PAIR_ADMIN_UNKNOWN, /* ADD_ADMIN went out and no answer told whether it was taken */
} PairOutcome;

/* Called twice: with provisional = true before ADD_ADMIN is sent (return < 0 when the keys cannot be
 * made durable: ADD_ADMIN is then not sent), and with provisional = false once the lock took them. */
typedef int (*PairSaveKeys)(LockRecord *record, bool provisional, void *userdata);
/* record: what was learnt, ownership passes to the callee (NULL for PAIR_NO_ADMIN). */
typedef void (*PairDone)(const OpStatus *status, PairOutcome outcome, LockRecord *record, void *userdata);

int pair_op_start(Link *link, const char *address, PairSaveKeys save_keys, PairDone done, void *userdata,
                  PairOp **ret);
void pair_op_cancel(PairOp *op);

/* Finishing a pairing (doc/protocol.md §5.6): the optional steps a dropped link cut short (the record's
 * pairing_pending, store.h) on a later connection, after an admin login, each tolerated when the lock
 * refuses it as during pairing. Between two groups of steps it asks yield(): true when a call waits for
 * the link, and then stops, so that nobody waits behind it for more than one step. */
typedef bool (*PairFinishYield)(void *userdata);
/* done: the PAIRING_STEP_BIT()s finished now; left: still to do. learnt holds what the finished steps
 * read (features, settings, device strings, the admin passcode), valid during the call. status: a failed
 * login, or why the last step stopped. */
typedef void (*PairFinishDone)(const OpStatus *status, uint32_t done, uint32_t left, const LockRecord *learnt,
                               void *userdata);

int pair_finish_op_start(Link *link, const LockRecord *record, PairFinishYield yield, PairFinishDone done,
                         void *userdata, PairOp **ret);
