/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "bytes.h"
#include "datetime.h"

#define SECONDS_PER_DAY INT64_C(86400)

static bool is_leap(unsigned year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(unsigned year, unsigned month) {
        static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (month < 1 || month > 12)
                return 0;
        return days[month - 1] + (month == 2 && is_leap(year));
}

bool ttlock_datetime_valid(const TTDateTime *t) {
        return t && t->year >= 2000 && t->year <= 2099 && t->month >= 1 && t->month <= 12 && t->day >= 1 &&
                t->day <= days_in_month(t->year, t->month) && t->hour <= 23 && t->minute <= 59 &&
                t->second <= 59;
}

bool ttlock_datetime_equal(const TTDateTime *a, const TTDateTime *b) {
        assert(a);
        assert(b);
        return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
                a->minute == b->minute && a->second == b->second;
}

int ttlock_date5_encode(const TTDateTime *t, uint8_t out[5]) {
        /* §4.2: "decimal bytes" — the value of each two-digit group, not BCD. Seconds are not sent. */
        if (!ttlock_datetime_valid(t))
                return -EINVAL;
        out[0] = (uint8_t) (t->year - 2000);
        out[1] = t->month;
        out[2] = t->day;
        out[3] = t->hour;
        out[4] = t->minute;
        return 0;
}

int ttlock_date6_encode(const TTDateTime *t, uint8_t out[6]) {
        int r;

        r = ttlock_date5_encode(t, out);
        if (r < 0)
                return r;
        out[5] = t->second;
        return 0;
}

static int get_field(TTReader *r, const char *field, unsigned max, uint8_t *ret) {
        uint8_t v;
        int k;

        k = tt_get_u8(r, field, &v);
        if (k < 0)
                return k;
        if (v > max)
                return tt_error(r->error, -EBADMSG, "%s %u (0x%02x) is out of range 0-%u", field, v, v, max);
        *ret = v;
        return 0;
}

static int decode(const uint8_t *in, size_t n, TTDateTime *ret, TTError *e) {
        TTReader r = TT_READER(in, n, e);
        uint8_t yy = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
        int k;

        if ((k = get_field(&r, "year", 99, &yy)) < 0 ||
            (k = get_field(&r, "month", 12, &month)) < 0 ||
            (k = get_field(&r, "day", 31, &day)) < 0 ||
            (k = get_field(&r, "hour", 23, &hour)) < 0 ||
            (k = get_field(&r, "minute", 59, &minute)) < 0)
                return k;
        if (n == 6 && (k = get_field(&r, "second", 59, &second)) < 0)
                return k;

        if (month == 0)
                return tt_error(e, -EBADMSG, "month 0 does not exist");
        if (day == 0 || day > days_in_month(2000 + yy, month))
                return tt_error(e, -EBADMSG, "day %u does not exist in %04u-%02u", day, 2000 + yy, month);

        *ret = (TTDateTime) {
                .year = (uint16_t) (2000 + yy),
                .month = month,
                .day = day,
                .hour = hour,
                .minute = minute,
                .second = second,
        };
        return 0;
}

int ttlock_date5_decode(const uint8_t in[5], TTDateTime *ret, TTError *e) {
        return decode(in, 5, ret, e);
}

int ttlock_date6_decode(const uint8_t in[6], TTDateTime *ret, TTError *e) {
        return decode(in, 6, ret, e);
}

/* Days from 1970-01-01 to the first of the given month. Plain counting is fast enough for the
 * hundred years the lock can represent, and obviously right. */
static int64_t days_before(unsigned year, unsigned month) {
        int64_t days = 0;

        for (unsigned y = 1970; y < year; y++)
                days += is_leap(y) ? 366 : 365;
        for (unsigned m = 1; m < month; m++)
                days += days_in_month(year, m);
        return days;
}

int64_t ttlock_datetime_to_unix(const TTDateTime *t) {
        return (days_before(t->year, t->month) + t->day - 1) * SECONDS_PER_DAY + t->hour * INT64_C(3600) +
                t->minute * INT64_C(60) + t->second;
}

int ttlock_datetime_from_unix(int64_t seconds, TTDateTime *ret) {
        static const TTDateTime first = { 2000, 1, 1, 0, 0, 0 }, last = { 2099, 12, 31, 23, 59, 59 };
        TTDateTime t = {};
        int64_t days, rest;

        if (seconds < ttlock_datetime_to_unix(&first) || seconds > ttlock_datetime_to_unix(&last))
                return -ERANGE;

        /* Non-negative from here on, so / and % need no floor corrections. */
        days = seconds / SECONDS_PER_DAY;
        rest = seconds % SECONDS_PER_DAY;

        t.year = 2000;
        days -= days_before(2000, 1);
        while (days >= (is_leap(t.year) ? 366 : 365)) {
                days -= is_leap(t.year) ? 366 : 365;
                t.year++;
        }
        t.month = 1;
        while (days >= days_in_month(t.year, t.month)) {
                days -= days_in_month(t.year, t.month);
                t.month++;
        }
        t.day = (uint8_t) (days + 1);
        t.hour = (uint8_t) (rest / 3600);
        t.minute = (uint8_t) (rest / 60 % 60);
        t.second = (uint8_t) (rest % 60);

        *ret = t;
        return 0;
}

/* ---- Dates inside messages ---------------------------------------------------------------------- */

/* Every codec reads and writes dates through these, so that a bad date is reported with the name
 * of the message field it sits in ("end at offset 5: month 13 is out of range"). */

static int put_date(TTWriter *w, const TTDateTime *t, size_t n, const char *field, TTError *e) {
        uint8_t b[6];
        int r;

        r = n == 5 ? ttlock_date5_encode(t, b) : ttlock_date6_encode(t, b);
        if (r < 0)
                return tt_error(e, -EINVAL, "%s: invalid date %u-%02u-%02u %02u:%02u:%02u", field,
                                t->year, t->month, t->day, t->hour, t->minute, t->second);
        tt_put_bytes(w, b, n);
        return 0;
}

int ttlock_put_date5(TTWriter *w, const TTDateTime *t, const char *field, TTError *e) {
        return put_date(w, t, 5, field, e);
}

int ttlock_put_date6(TTWriter *w, const TTDateTime *t, const char *field, TTError *e) {
        return put_date(w, t, 6, field, e);
}

static int get_date(TTReader *r, const char *field, size_t n, TTDateTime *ret) {
        TTError inner = {};
        const uint8_t *p;
        TTDateTime t;
        int k;

        k = tt_get_bytes(r, field, n, &p);
        if (k < 0)
                return k;
        k = n == 5 ? ttlock_date5_decode(p, &t, &inner) : ttlock_date6_decode(p, &t, &inner);
        if (k < 0) {
                /* The date decoder names the date's own field (month, hour…); say which date. */
                r->pos -= n;
                return tt_error(r->error, -EBADMSG, "%s at offset %zu: %s", field, r->pos,
                                tt_error_message(&inner));
        }
        *ret = t;
        return 0;
}

int ttlock_get_date5(TTReader *r, const char *field, TTDateTime *ret) {
        return get_date(r, field, 5, ret);
}

int ttlock_get_date6(TTReader *r, const char *field, TTDateTime *ret) {
        return get_date(r, field, 6, ret);
}

/* ---- BCD dates (doc/protocol.md §4.10) ------------------------------------------------------------ */

int ttlock_date5_encode_bcd(const TTDateTime *t, uint8_t out[5]) {
        uint8_t d[5];
        int r;

        r = ttlock_date5_encode(t, d);
        if (r < 0)
                return r;
        for (size_t i = 0; i < 5; i++)
                out[i] = (uint8_t) ((d[i] / 10) << 4 | d[i] % 10);
        return 0;
}

int ttlock_date5_decode_bcd(const uint8_t in[5], TTDateTime *ret, TTError *e) {
        uint8_t d[5];

        for (size_t i = 0; i < 5; i++) {
                if ((in[i] >> 4) > 9 || (in[i] & 0x0F) > 9)
                        return tt_error(e, -EBADMSG, "byte %zu (0x%02x) is not two BCD digits", i, in[i]);
                d[i] = (uint8_t) ((in[i] >> 4) * 10 + (in[i] & 0x0F));
        }
        return decode(d, 5, ret, e);
}

int ttlock_get_date5_lenient(TTReader *r, const char *field, TTDateTime *ret, TTDateEncoding *ret_encoding) {
        TTError inner = {};
        const uint8_t *p;
        TTDateTime t;
        int k;

        k = tt_get_bytes(r, field, 5, &p);
        if (k < 0)
                return k;
        /* §4.2 decimal bytes first: where both readings are dates, decimal is what the SDK means. */
        if (ttlock_date5_decode(p, &t, &inner) >= 0) {
                *ret = t;
                if (ret_encoding)
                        *ret_encoding = TTLOCK_DATE_DECIMAL;
                return 0;
        }
        if (ttlock_date5_decode_bcd(p, &t, NULL) >= 0) {
                *ret = t;
                if (ret_encoding)
                        *ret_encoding = TTLOCK_DATE_BCD;
                return 0;
        }
        r->pos -= 5;
        return tt_error(r->error, -EBADMSG, "%s at offset %zu: %s (and not a BCD date either)", field, r->pos,
                        tt_error_message(&inner));
}
