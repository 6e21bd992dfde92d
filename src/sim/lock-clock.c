/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <time.h>

#include "lock-clock.h"
#include "time-util.h"

int64_t lock_clock_host_wall(void) {
        struct timespec ts;
        struct tm tm;
        time_t t;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        t = ts.tv_sec;
        if (!localtime_r(&t, &tm))
                return (int64_t) t;
        /* A lock has no zone: what it shows is the local wall clock. */
        return (int64_t) t + tm.tm_gmtoff;
}

int64_t lock_clock_now(SimLock *l) {
        return lock_clock_host_wall() + l->clock_offset_usec / (int64_t) USEC_PER_SEC;
}

int lock_clock_datetime(SimLock *l, TTDateTime *ret) {
        return ttlock_datetime_from_unix(lock_clock_now(l), ret);
}

void lock_clock_set(SimLock *l, const TTDateTime *t) {
        l->clock_offset_usec = (ttlock_datetime_to_unix(t) - lock_clock_host_wall()) * (int64_t) USEC_PER_SEC;
}
