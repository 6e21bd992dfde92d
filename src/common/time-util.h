/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Time units and clocks, after systemd's time-util.h: every duration in the project is a uint64_t
 * of microseconds (usec_t there), every wall-clock time µs since the epoch (the "…USec" properties of
 * dbus/org.ttlock.*.xml, after systemd's TimeUSec). */

#include <stdint.h>

#define USEC_PER_SEC UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)
#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY (UINT64_C(24) * USEC_PER_HOUR)

/* CLOCK_REALTIME and CLOCK_MONOTONIC now, in µs. */
uint64_t now_realtime_usec(void);
uint64_t now_monotonic_usec(void);
