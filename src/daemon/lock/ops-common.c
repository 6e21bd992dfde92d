/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "command.h"
#include "lock-error.h"
#include "macro.h"
#include "ops-common.h"

/* The SDK's "permanent" window (CommandUtil.U_checkUserTime; doc/lockdata.md §4), as the official app
 * and [JS] send it: 2000-01-31 14:00 … 2099-11-30 14:00. */
static const TTDateTime PERMANENT_START = { .year = 2000, .month = 1, .day = 31, .hour = 14 };
static const TTDateTime PERMANENT_END = { .year = 2099, .month = 11, .day = 30, .hour = 14 };

/* One end of an eKey's window in the lock's local time: the lock's own zone when the lockData named it
 * (ttlockd does not set an eKey lock's clock, so it keeps the admin's zone), else the host's. An open
 * end, or one the lock cannot hold (before 2000, after 2099), is the permanent window's. */
static TTDateTime window_end_in_lock_time(const LockRecord *r, uint64_t usec, const TTDateTime *open) {
        TTDateTime t;
        int q;

        if (usec == 0)
                return *open;
        q = r->has_time_zone ? op_usec_to_lock_time_in_zone(usec, r->time_zone_offset_sec, &t)
                             : op_usec_to_lock_time(usec, &t);
        return q < 0 ? *open : t;
}

void op_keys_from_record(OpKeys *k, const LockRecord *r) {
        assert(k);

        *k = (OpKeys){
                .admin_ps = r->admin_ps,
                .unlock_key = r->unlock_key,
                .lock_flag_pos = r->lock_flag_pos,
                .uid = r->uid,
                .user = r->role == LOCK_ROLE_USER,
                .window_start = PERMANENT_START,
                .window_end = PERMANENT_END,
        };
        memcpy(k->aes_key, r->aes_key, sizeof(k->aes_key));
        if (k->user) {
                k->window_start = window_end_in_lock_time(r, r->valid_from_usec, &PERMANENT_START);
                k->window_end = window_end_in_lock_time(r, r->valid_until_usec, &PERMANENT_END);
        }
}

void op_keys_window(const OpKeys *k, TTDateTime *ret_start, TTDateTime *ret_end) {
        assert(k);

        *ret_start = k->window_start.year != 0 ? k->window_start : PERMANENT_START;
        *ret_end = k->window_end.year != 0 ? k->window_end : PERMANENT_END;
}

int op_check_key_window(const LockRecord *r, uint64_t now_usec, OpStatus *st) {
        assert(r);
        assert(st);

        if (r->role != LOCK_ROLE_USER)
                return 0;
        /* The lock checks only the window it is sent, which anyone holding the eKey's keys could widen:
         * ttlockd keeps to the one the admin issued (doc/lockdata.md §4). */
        if (r->valid_from_usec > 0 && now_usec < r->valid_from_usec)
                return op_refuse(
                        st,
                        OP_REFUSAL_KEY_INVALID,
                        -EKEYREJECTED,
                        "This eKey is not valid yet: its validity window has not begun.");
        if (r->valid_until_usec > 0 && now_usec >= r->valid_until_usec)
                return op_refuse(
                        st,
                        OP_REFUSAL_KEY_INVALID,
                        -EKEYEXPIRED,
                        "This eKey has expired: its validity window has ended. Ask the lock's admin for a "
                        "new one.");
        return 0;
}

void op_explain_user_refusal(OpStatus *st) {
        const char *m;

        assert(st);

        if (st->error != -EREMOTEIO || st->command != TTLOCK_CMD_CHECK_USER_TIME)
                return;
        switch (st->lock_error) {
        case TTLOCK_ERR_KEY_FLAG_INVALID:
                m = "The lock says this eKey was reset: its admin invalidated the eKeys (lockFlagPos too "
                    "low, "
                    "LOCK_KEY_FLAG_INVALID). Ask the lock's admin for a new one.";
                break;
        case TTLOCK_ERR_USER_TIME_EXPIRED:
                m = "The lock says this eKey has expired (LOCK_USER_TIME_EXPIRED; is the lock's clock "
                    "right?).";
                break;
        case TTLOCK_ERR_USER_TIME_INEFFECTIVE:
                m = "The lock says this eKey is not valid yet (LOCK_USER_TIME_INEFFECTIVE; is the lock's "
                    "clock "
                    "right?).";
                break;
        default:
                return;
        }
        st->refusal = OP_REFUSAL_KEY_INVALID;
        st->message = m;
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

int op_usec_to_lock_time_in_zone(uint64_t usec, int32_t zone_offset_sec, TTDateTime *ret) {
        int64_t s = (int64_t) (usec / USEC_PER_SEC) + zone_offset_sec;
        time_t t = (time_t) s;
        struct tm tm;
        TTDateTime d;

        if (usec / USEC_PER_SEC > (uint64_t) INT32_MAX * 4 || s < 0 || !gmtime_r(&t, &tm))
                return -ERANGE;
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

uint64_t op_lock_time_to_usec_in_zone(const TTDateTime *t, int32_t zone_offset_sec) {
        assert(t);

        struct tm tm = {
                .tm_year = t->year - 1900,
                .tm_mon = t->month - 1,
                .tm_mday = t->day,
                .tm_hour = t->hour,
                .tm_min = t->minute,
                .tm_sec = t->second,
        };
        int64_t s = (int64_t) timegm(&tm) - zone_offset_sec;

        if (s < 0)
                return 0;
        return (uint64_t) s * USEC_PER_SEC;
}
