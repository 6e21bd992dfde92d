/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Do these keys open this lock? One login and nothing else (ops-login.h): an admin's (doc/protocol.md
 * §5.2: CHECK_ADMIN → CHECK_RANDOM) or an eKey's (CHECK_USER_TIME → CHECK_RANDOM, which proves every key
 * it holds without moving the bolt, doc/lockdata.md §4). For keys whose fate is not known: those saved
 * before an ADD_ADMIN whose answer was lost (the lock may or may not have taken them, §5.1), and keys
 * being imported (Manager1.ImportLocks). */

#include "link.h"
#include "ops-common.h"

typedef enum VerifyVerdict {
        VERIFY_ACCEPTED, /* the lock logged us in: it holds these keys */
        VERIFY_REFUSED,  /* the lock said no (wrong admin, or no data for a key it does not have) */
        VERIFY_UNKNOWN,  /* no answer that tells: unreachable, time-out, dropped */
} VerifyVerdict;

typedef struct VerifyOp VerifyOp;
typedef void (*VerifyDone)(VerifyVerdict verdict, const OpStatus *status, void *userdata);

/* Called once, after the job left the link. */
int verify_op_start(Link *link, const OpKeys *keys, VerifyDone done, void *userdata, VerifyOp **ret);
void verify_op_cancel(VerifyOp *op);

/* What an admin login's outcome says of the keys (shared with pairing, which probes the same way). */
VerifyVerdict verify_verdict(const OpStatus *status);
