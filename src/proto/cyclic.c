/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cyclic.h"
#include "macro.h"

const char *ttlock_cyclic_user_name(uint8_t user_type) {
        switch (user_type) {
        case TTLOCK_CYCLIC_USER_FINGERPRINT:
                return "fingerprint";
        case TTLOCK_CYCLIC_USER_IC:
                return "ic-card";
        case TTLOCK_CYCLIC_USER_KEY_FOB:
                return "key-fob";
        case TTLOCK_CYCLIC_USER_FACE:
                return "face";
        case TTLOCK_CYCLIC_USER_PASSCODE:
                return "passcode";
        default:
                return NULL;
        }
}

/* §4.9: the user's length by type. A clear with length 0 names no user: every user of the type (the
 * official SDK's comment on clearICCyclicPeriod). */
static int user_size_check(const TTCyclicRequest *q, int err, TTError *e) {
        uint8_t n = q->user_size;

        if (n == 0 && q->op == TTLOCK_CYCLIC_OP_CLEAR && ttlock_cyclic_user_name(q->user_type))
                return 0;
        switch (q->user_type) {
        case TTLOCK_CYCLIC_USER_FINGERPRINT:
                return n == 6 ? 0 : tt_error(e, err, "cyclic fingerprint user: %u bytes, expected 6", n);
        case TTLOCK_CYCLIC_USER_IC:
                return n == 4 || n == 8 ? 0
                                        : tt_error(e, err, "cyclic IC user: %u bytes, expected 4 or 8", n);
        case TTLOCK_CYCLIC_USER_KEY_FOB:
                return n == 6 ? 0 : tt_error(e, err, "cyclic key fob user: %u bytes, expected 6", n);
        case TTLOCK_CYCLIC_USER_FACE:
                return n >= 1 && n <= 8 ? 0
                                        : tt_error(e, err, "cyclic face user: %u bytes, expected 1…8", n);
        case TTLOCK_CYCLIC_USER_PASSCODE:
                return n >= 1 && n <= TTLOCK_CYCLIC_USER_MAX
                        ? 0
                        : tt_error(
                                  e,
                                  err,
                                  "cyclic passcode user: %u digits, expected 1…%d",
                                  n,
                                  TTLOCK_CYCLIC_USER_MAX);
        default:
                return tt_error(
                        e,
                        err,
                        "cyclic user type 0x%02x, expected 1 (fingerprint), 2 (IC), 3 (key fob), 4 (face) "
                        "or 0x%02x (passcode)",
                        q->user_type,
                        TTLOCK_CYCLIC_USER_PASSCODE);
        }
}

static int schedule_check(const TTCyclicRequest *q, int err, TTError *e) {
        TTCycle c;

        if (q->weekday < 1 || q->weekday > 7)
                return tt_error(e, err, "cyclic weekday %u, expected 1…7", q->weekday);
        if (q->start_hour > 23 || q->start_minute > 59 || q->end_hour > 24 || q->end_minute > 59 ||
            (q->end_hour == 24 && q->end_minute != 0))
                return tt_error(
                        e,
                        err,
                        "cyclic time %02u:%02u–%02u:%02u out of range",
                        q->start_hour,
                        q->start_minute,
                        q->end_hour,
                        q->end_minute);
        ttlock_cyclic_request_get_cycle(q, &c);
        if (ttlock_cycle_check(&c, NULL) < 0)
                return tt_error(
                        e,
                        err,
                        "cyclic window weekday %u %02u:%02u–%02u:%02u is empty or invalid",
                        q->weekday,
                        q->start_hour,
                        q->start_minute,
                        q->end_hour,
                        q->end_minute);
        return 0;
}

int ttlock_cyclic_request_encode(TTWriter *w, const TTCyclicRequest *req, TTError *e) {
        TTCyclicRequest q = *req;
        int r;

        if (q.op < TTLOCK_CYCLIC_OP_QUERY || q.op > TTLOCK_CYCLIC_OP_CLEAR)
                return tt_error(e, -EINVAL, "cyclic operation %u, expected 1…4", q.op);
        if (q.user_type == TTLOCK_CYCLIC_USER_PASSCODE) {
                size_t n = strnlen(q.passcode, sizeof(q.passcode));

                if (n == sizeof(q.passcode) || strspn(q.passcode, "0123456789") != n)
                        return tt_error(
                                e, -EINVAL, "cyclic passcode user: not 1…%d digits", TTLOCK_CYCLIC_USER_MAX);
                q.user_size = (uint8_t) n;
        }
        r = user_size_check(&q, -EINVAL, e);
        if (r < 0)
                return r;
        if (q.user_type != TTLOCK_CYCLIC_USER_PASSCODE && q.user_type != TTLOCK_CYCLIC_USER_FACE &&
            q.user_size > 0 && q.user_size < 8 && q.user >> (8 * q.user_size) != 0)
                return tt_error(
                        e, -EINVAL, "cyclic user %" PRIu64 " does not fit %u bytes", q.user, q.user_size);
        if (q.op == TTLOCK_CYCLIC_OP_ADD) {
                r = schedule_check(&q, -EINVAL, e);
                if (r < 0)
                        return r;
        }
        tt_put_u8(w, q.op);
        tt_put_u8(w, q.user_type);
        tt_put_u8(w, q.user_size);
        if (q.user_type == TTLOCK_CYCLIC_USER_PASSCODE)
                tt_put_bytes(w, q.passcode, q.user_size);
        else if (q.user_type == TTLOCK_CYCLIC_USER_FACE)
                tt_put_bytes(w, q.user_bytes, q.user_size); /* no layout known (§4.9): as given */
        else if (q.user_type == TTLOCK_CYCLIC_USER_KEY_FOB)
                /* §4.9: the MAC low byte first (the SDK's getReverseMacArray). */
                for (size_t i = 0; i < q.user_size; i++) /* 6, or 0 for a clear of every fob */
                        tt_put_u8(w, (uint8_t) (q.user >> (8 * i)));
        else
                tt_put_uint_be(w, q.user, q.user_size);
        if (q.op == TTLOCK_CYCLIC_OP_ADD) {
                tt_put_u8(w, TTLOCK_CYCLIC_WEEKLY);
                tt_put_u8(w, q.weekday);
                tt_put_u8(w, 0); /* the day of the month, for the monthly type */
                tt_put_u8(w, q.start_hour);
                tt_put_u8(w, q.start_minute);
                tt_put_u8(w, q.end_hour);
                tt_put_u8(w, q.end_minute);
                for (size_t i = 0; !q.unpadded && i < TTLOCK_CYCLIC_PADDING; i++)
                        tt_put_u8(w, 0);
        }
        erase_memory(q.passcode, sizeof(q.passcode));
        return tt_writer_finish(w, NULL, e);
}

int ttlock_cyclic_request_decode(const uint8_t *data, size_t len, TTCyclicRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTCyclicRequest q = {};
        const uint8_t *user;
        uint8_t kind, zero;
        int r;

        r = tt_get_u8(&rd, "operation", &q.op);
        if (r < 0)
                return r;
        if (q.op < TTLOCK_CYCLIC_OP_QUERY || q.op > TTLOCK_CYCLIC_OP_CLEAR)
                return tt_error(e, -EBADMSG, "cyclic operation %u, expected 1…4", q.op);
        r = tt_get_u8(&rd, "user type", &q.user_type);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "user length", &q.user_size);
        if (r < 0)
                return r;
        r = user_size_check(&q, -EBADMSG, e);
        if (r < 0)
                return r;
        r = tt_get_bytes(&rd, "user", q.user_size, &user);
        if (r < 0)
                return r;
        memcpy(q.user_bytes, user, q.user_size);
        switch (q.user_type) {
        case TTLOCK_CYCLIC_USER_PASSCODE:
                for (size_t i = 0; i < q.user_size; i++)
                        if (user[i] < '0' || user[i] > '9')
                                return tt_error(
                                        e,
                                        -EBADMSG,
                                        "cyclic passcode user: byte 0x%02x is no digit",
                                        user[i]);
                memcpy(q.passcode, user, q.user_size);
                break;
        case TTLOCK_CYCLIC_USER_KEY_FOB:
                for (size_t i = 0; i < q.user_size; i++)
                        q.user |= (uint64_t) user[i] << (8 * i);
                break;
        default:
                for (size_t i = 0; i < q.user_size && i < 8; i++)
                        q.user = q.user << 8 | user[i];
                break;
        }

        if (q.op == TTLOCK_CYCLIC_OP_ADD) {
                r = tt_get_u8(&rd, "cyclic type", &kind);
                if (r < 0)
                        return r;
                if (kind != TTLOCK_CYCLIC_WEEKLY)
                        return tt_error(e, -EBADMSG, "cyclic type %u, expected 1 (weekly)", kind);
                r = tt_get_u8(&rd, "weekday", &q.weekday);
                if (r >= 0)
                        r = tt_get_u8(&rd, "reserved", &zero);
                if (r >= 0)
                        r = tt_get_u8(&rd, "start hour", &q.start_hour);
                if (r >= 0)
                        r = tt_get_u8(&rd, "start minute", &q.start_minute);
                if (r >= 0)
                        r = tt_get_u8(&rd, "end hour", &q.end_hour);
                if (r >= 0)
                        r = tt_get_u8(&rd, "end minute", &q.end_minute);
                if (r < 0)
                        return r;
                if (zero != 0)
                        return tt_error(e, -EBADMSG, "cyclic reserved byte 0x%02x, expected 0", zero);
                r = schedule_check(&q, -EBADMSG, e);
                if (r < 0)
                        return r;
                /* §4.9: the official SDK and [JS] send four zero bytes more; both forms are taken. */
                q.unpadded = tt_reader_left(&rd) != TTLOCK_CYCLIC_PADDING;
                if (!q.unpadded) {
                        const uint8_t *pad;

                        (void) tt_get_bytes(&rd, "padding", TTLOCK_CYCLIC_PADDING, &pad);
                        for (size_t i = 0; i < TTLOCK_CYCLIC_PADDING; i++)
                                if (pad[i] != 0)
                                        return tt_error(
                                                e,
                                                -EBADMSG,
                                                "cyclic padding byte %zu is 0x%02x, expected 0",
                                                i,
                                                pad[i]);
                }
        }
        r = tt_expect_end(&rd, "cyclic request");
        if (r < 0)
                return r;
        *ret = q;
        return 0;
}

/* ---- weekly windows ------------------------------------------------------------------------------ */

int ttlock_cycle_check(const TTCycle *c, TTError *e) {
        if (c->weekday < 1 || c->weekday > 7)
                return tt_error(e, -EINVAL, "weekday %u, expected 1 (Monday) … 7 (Sunday)", c->weekday);
        if (c->end_minute > TTLOCK_MINUTES_PER_DAY)
                return tt_error(e, -EINVAL, "end minute %u is past 24:00", c->end_minute);
        if (c->end_minute <= c->start_minute)
                return tt_error(
                        e,
                        -EINVAL,
                        "window %02u:%02u–%02u:%02u ends before it starts",
                        c->start_minute / 60,
                        c->start_minute % 60,
                        c->end_minute / 60,
                        c->end_minute % 60);
        return 0;
}

bool ttlock_cycle_equal(const TTCycle *a, const TTCycle *b) {
        return a->weekday == b->weekday && a->start_minute == b->start_minute &&
                a->end_minute == b->end_minute;
}

bool ttlock_cycles_allow(const TTCycle *cycles, size_t n, unsigned weekday, unsigned minute) {
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (cycles[i].weekday == weekday && minute >= cycles[i].start_minute &&
                    minute < cycles[i].end_minute)
                        return true;
        return false;
}

void ttlock_cyclic_request_set_cycle(TTCyclicRequest *q, const TTCycle *c) {
        q->weekday = c->weekday;
        q->start_hour = (uint8_t) (c->start_minute / 60);
        q->start_minute = (uint8_t) (c->start_minute % 60);
        q->end_hour = (uint8_t) (c->end_minute / 60);
        q->end_minute = (uint8_t) (c->end_minute % 60);
}

void ttlock_cyclic_request_get_cycle(const TTCyclicRequest *q, TTCycle *ret) {
        *ret = (TTCycle){
                .weekday = q->weekday,
                .start_minute = (uint16_t) (q->start_hour * 60u + q->start_minute),
                .end_minute = (uint16_t) (q->end_hour * 60u + q->end_minute),
        };
}

unsigned ttlock_weekday_of_days(int64_t days) {
        /* 1970-01-01 was a Thursday (4); the remainder is made non-negative for days before it. */
        return (unsigned) ((((days + 3) % 7) + 7) % 7) + 1;
}
