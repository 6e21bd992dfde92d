/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pairing (doc/protocol.md §5.1, initLock) as one LinkJob: GET_AES_KEY under the default key, ADD_ADMIN
 * with fresh random adminPs/unlockKey, then the optional steps in the official order — TIME_CALIBRATE,
 * SEARCH_DEVICE_FEATURE, SWITCH, AUDIO_MANAGE (feature 15), SHOW_PASSWORD (9), AUTO_LOCK_MANAGE (4),
 * LAMP (25), GET_ADMIN_CODE (18) / SET_ADMIN_KEYBOARD_PWD, INIT_PASSWORDS, CONTROL_REMOTE_UNLOCK (14),
 * READ_DEVICE_INFO 1–4 — and OPERATE_FINISHED. Every step after ADD_ADMIN
 * is tolerated when a lock refuses it (§9.5: firmware differs), and logged.
 *
 * The keys exist from the moment ADD_ADMIN succeeds: keys_ready is called right then, before any
 * other command, so that the owner puts them on disk while nothing else can fail.
 * If keys_ready fails, pairing stops there. */

#include "link.h"
#include "ops-common.h"
#include "store.h"

typedef struct PairOp PairOp;

/* Return < 0 to abort (the keys could not be saved). */
typedef int (*PairKeysReady)(const LockRecord *record, void *userdata);
/* record: what was learnt, ownership passes to the callee (NULL when ADD_ADMIN never succeeded). */
typedef void (*PairDone)(const OpStatus *status, LockRecord *record, void *userdata);

int pair_op_start(
        Link *link,
        const char *address,
        PairKeysReady keys_ready,
        PairDone done,
        void *userdata,
        PairOp **ret);
void pair_op_cancel(PairOp *op);
