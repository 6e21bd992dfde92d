/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a credentials operation (ops-credentials.h) did to what ttlockd remembers of the lock's credentials:
 * the weekly windows it gave them (store.h CredentialCycles, doc/protocol.md §4.9). The lock keeps the
 * windows, but no source gives the layout of its answer to a query, so the record is ttlockd's only
 * account of them: it follows every add, change, delete and clear, and a list drops what the lock no
 * longer has. */

#include <stdbool.h>

#include "ops-credentials.h"
#include "store.h"

/* The credential kind of the key file ("passcode", "ic-card", "fingerprint") an action is about. */
const char *cred_action_kind(CredAction a);

/* Updates rec after the operation for q ended with res. Returns true when rec changed (to be saved). */
bool cred_record_apply(LockRecord *rec, const CredRequest *q, const CredResult *res);
