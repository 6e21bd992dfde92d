/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "macro.h"
#include "ops-common.h"

void op_keys_from_record(OpKeys *k, const LockRecord *r) {
        assert(k);

        memcpy(k->aes_key, r->aes_key, sizeof(k->aes_key));
        k->admin_ps = r->admin_ps;
        k->unlock_key = r->unlock_key;
        k->lock_flag_pos = r->lock_flag_pos;
        k->uid = r->uid;
}

void op_keys_wipe(OpKeys *k) {
        assert(k);

        erase_memory(k, sizeof(*k));
}

int op_refuse(OpStatus *st, OpRefusal refusal, int error, const char *message) {
        assert(st);

        *st = (OpStatus){ .error = error < 0 ? error : -EPERM, .refusal = refusal, .message = message };
        return st->error;
}

int op_fail(OpStatus *st, uint8_t command, int error) {
        assert(st);

        *st = (OpStatus){ .error = error < 0 ? error : -EIO, .command = command };
        return st->error;
}

int op_check_reply(uint8_t command, int error, const TTReply *reply, OpStatus *st) {
        if (error == -ENODATA)
                /* §2.4: a reply without data means the lock could not decrypt us (wrong key). */
                return op_fail(st, command, -ENOKEY);
        if (error < 0)
                return op_fail(st, command, error);
        if (!reply->success) {
                *st = (OpStatus){ .error = -EREMOTEIO, .command = command, .lock_error = reply->error_code };
                return -EREMOTEIO;
        }
        return 0;
}

int op_random_below(uint32_t limit, uint32_t *ret) {
        uint32_t v, bound;

        if (limit == 0)
                return -EINVAL;
        /* Rejection sampling keeps the distribution uniform. */
        bound = UINT32_MAX - UINT32_MAX % limit;
        do {
                ssize_t n = getrandom(&v, sizeof(v), 0);
                if (n < 0)
                        return -errno;
                if ((size_t) n != sizeof(v))
                        return -EIO;
        } while (v >= bound);
        *ret = v % limit;
        return 0;
}

int op_usec_to_lock_time(uint64_t usec, TTDateTime *ret) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        TTDateTime d;

        if (usec / USEC_PER_SEC > (uint64_t) INT32_MAX * 4 || !localtime_r(&t, &tm))
                return -ERANGE;
        /* The lock keeps local wall-clock time (§4.2): convert the fields, not the epoch. */
        d = (TTDateTime){
                .year = (uint16_t) (tm.tm_year + 1900),
                .month = (uint8_t) (tm.tm_mon + 1),
                .day = (uint8_t) tm.tm_mday,
                .hour = (uint8_t) tm.tm_hour,
                .minute = (uint8_t) tm.tm_min,
                .second = (uint8_t) MIN(tm.tm_sec, 59),
        };
        if (tm.tm_year + 1900 < 2000 || tm.tm_year + 1900 > 2099 || !ttlock_datetime_valid(&d))
                return -ERANGE;
        *ret = d;
        return 0;
}

int op_lock_time_now(TTDateTime *ret) {
        assert(ret);

        return op_usec_to_lock_time(now_realtime_usec(), ret);
}

uint64_t op_lock_time_to_usec(const TTDateTime *t) {
        assert(t);

        struct tm tm = {
                .tm_year = t->year - 1900,
                .tm_mon = t->month - 1,
                .tm_mday = t->day,
                .tm_hour = t->hour,
                .tm_min = t->minute,
                .tm_sec = t->second,
                .tm_isdst = -1,
        };
        time_t s = mktime(&tm);

        if (s < 0)
                return 0;
        return (uint64_t) s * USEC_PER_SEC;
}
