/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Factory reset over Bluetooth (doc/protocol.md §5.5): admin login (§5.2: CHECK_ADMIN → CHECK_RANDOM),
 * then RESET_LOCK 0x52, whose reply may come without data (§2.4: L = 0 means success here). The lock
 * then drops the connection and advertises in setting mode, so the link is let go at once. */

#include "link.h"
#include "ops-common.h"

typedef struct ResetOp ResetOp;
typedef void (*ResetDone)(const OpStatus *status, void *userdata);

int reset_op_start(Link *link, const OpKeys *keys, ResetDone done, void *userdata, ResetOp **ret);
void reset_op_cancel(ResetOp *op);
