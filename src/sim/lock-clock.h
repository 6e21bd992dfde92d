/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's real-time clock: lock-local wall-clock time with no zone (doc/protocol.md §4.2). It starts
 * at the host's local time and moves with it; TIME_CALIBRATE shifts it. */

#include <stdint.h>

#include "datetime.h"
#include "sim.h"

/* Seconds since 1970-01-01 00:00 of the lock's wall clock. */
int64_t lock_clock_now(SimLock *l);
/* -ERANGE if the lock's clock left 2000…2099. */
int lock_clock_datetime(SimLock *l, TTDateTime *ret);
void lock_clock_set(SimLock *l, const TTDateTime *t);
/* The host's local wall clock in the same form (for the state file and tests). */
int64_t lock_clock_host_wall(void);
