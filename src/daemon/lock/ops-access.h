/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Getting in and looking: Unlock (doc/protocol.md §5.3), Lock (§5.4) and Refresh (§5.5: 0x14 state and
 * 0x01 battery/features) as one small state machine over a LinkJob.
 *
 * Unlock/Lock take the fast path and nothing else (doc/architecture.md "Two journeys"): CHECK_USER_TIME →
 * UNLOCK/FUNCTION_LOCK. Some locks answer only one of the two challenges (§5.3), so with an admin's keys
 * a refused CHECK_USER_TIME is followed by CHECK_ADMIN → UNLOCK/FUNCTION_LOCK once; with an eKey's
 * (OpKeys.user) never: its window is the one it was issued, and it has no adminPs. */

#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "feature-bits.h"
#include "link.h"
#include "ops-common.h"

typedef enum AccessAction {
        ACCESS_UNLOCK,
        ACCESS_LOCK,
        ACCESS_REFRESH,
} AccessAction;

typedef struct AccessResult {
        OpStatus status; /* error 0 = done */
        bool have_battery;
        uint8_t battery;
        bool have_state; /* the lock said so: an actuation reply or a 0x14 reply */
        TTLockState state;
        bool have_features; /* Refresh: SEARCH_DEVICE_FEATURE answered */
        TTFeatures features;
        bool have_door; /* Refresh: the 0x14 reply had d[2], the door sensor (doc/protocol.md §4.7) */
        uint8_t door;
} AccessResult;

typedef struct AccessOp AccessOp;

/* Called once, after the job has left the link; the operation is freed right after. */
typedef void (*AccessDone)(const AccessResult *r, void *userdata);

int access_op_start(
        Link *link,
        AccessAction action,
        const OpKeys *keys,
        AccessDone done,
        void *userdata,
        AccessOp **ret);
/* Stop without calling done (the owner is going away). */
void access_op_cancel(AccessOp *op);
