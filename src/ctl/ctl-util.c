/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bt-address.h"
#include "ctl-util.h"
#include "macro.h"
#include "string-util.h"

int lock_path_new(const char *address, char **ret) {
        char p[LOCK_PATH_SIZE];
        int r;

        r = lock_path_from_address(address, p);
        if (r < 0)
                return r;
        *ret = strdup(p);
        return *ret ? 0 : -ENOMEM;
}

bool object_path_is_valid(const char *s) {
        bool slash = true;

        if (!s || s[0] != '/')
                return false;
        if (s[1] == 0)
                return true;
        for (const char *p = s + 1; *p; p++) {
                if (*p == '/') {
                        if (slash)
                                return false;
                        slash = true;
                        continue;
                }
                if (!isalnum((unsigned char) *p) && *p != '_')
                        return false;
                slash = false;
        }
        return !slash;
}

int lock_spec_classify(const char *spec, LockSpecType *ret) {
        LockSpecType t;

        if (!spec || !*spec)
                return -EINVAL;
        if (spec[0] == '/') {
                if (!object_path_is_valid(spec))
                        return -EINVAL;
                t = LOCK_SPEC_PATH;
        } else if (bt_address_valid(spec))
                t = LOCK_SPEC_ADDRESS;
        else
                t = LOCK_SPEC_ALIAS;
        *ret = t;
        return 0;
}

bool lock_spec_matches(const char *spec, const char *path, const char *address, const char *alias) {
        LockSpecType t;

        if (lock_spec_classify(spec, &t) < 0)
                return false;
        switch (t) {
        case LOCK_SPEC_PATH:
                return path && strcmp(spec, path) == 0;
        case LOCK_SPEC_ADDRESS:
                return address && strcasecmp(spec, address) == 0;
        case LOCK_SPEC_ALIAS:
                return alias && strcmp(spec, alias) == 0;
        }
        return false;
}

/* Exactly n decimal digits. */
static int parse_digits(const char **p, unsigned n, int *ret) {
        int v = 0;

        for (unsigned i = 0; i < n; i++) {
                if (!isdigit((unsigned char) (*p)[i]))
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int parse_datetime_usec(const char *s, uint64_t *ret) {
        int year, mon, mday, hour = 0, min = 0, sec = 0, off_h, off_m;
        bool utc = false;
        long offset = 0;
        struct tm tm;
        const char *p = s;
        time_t t;

        if (!s)
                return -EINVAL;
        if (parse_digits(&p, 4, &year) < 0 || *p++ != '-' || parse_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
            parse_digits(&p, 2, &mday) < 0)
                return -EINVAL;

        if (*p == 'T' || *p == 't' || *p == ' ') {
                p++;
                if (parse_digits(&p, 2, &hour) < 0 || *p++ != ':' || parse_digits(&p, 2, &min) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (parse_digits(&p, 2, &sec) < 0)
                                return -EINVAL;
                }
                if (*p == 'Z' || *p == 'z') {
                        p++;
                        utc = true;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1;

                        if (parse_digits(&p, 2, &off_h) < 0)
                                return -EINVAL;
                        if (*p == ':')
                                p++;
                        if (parse_digits(&p, 2, &off_m) < 0 || off_h > 23 || off_m > 59)
                                return -EINVAL;
                        utc = true;
                        offset = sign * (off_h * 3600L + off_m * 60L);
                }
        }
        if (*p != 0)
                return -EINVAL;
        if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 59)
                return -EINVAL;

        tm = (struct tm){
                .tm_year = year - 1900,
                .tm_mon = mon - 1,
                .tm_mday = mday,
                .tm_hour = hour,
                .tm_min = min,
                .tm_sec = sec,
                .tm_isdst = -1,
        };
        t = utc ? timegm(&tm) : mktime(&tm);
        if (t == (time_t) -1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
                return -EINVAL;
        /* mktime() and timegm() normalise: Feb 30 becomes Mar 2, a time in the DST gap moves by an
         * hour. Refuse instead of storing a validity the user did not write. */
        if (tm.tm_year != year - 1900 || tm.tm_mon != mon - 1 || tm.tm_mday != mday || tm.tm_hour != hour ||
            tm.tm_min != min || tm.tm_sec != sec)
                return -EINVAL;
        t -= offset;
        if (t < 0)
                return -ERANGE;

        *ret = (uint64_t) t * USEC_PER_SEC;
        return 0;
}

int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                if (v > (max - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "yes", "on", "true", "1" };
        static const char *const no[] = { "no", "off", "false", "0" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int parse_autolock(const char *s, uint32_t *ret) {
        _cleanup_free_ char *digits = NULL;
        uint64_t v, mult = 1;
        size_t n;
        int r;

        if (!s)
                return -EINVAL;
        if (strcasecmp(s, "off") == 0) {
                *ret = 0;
                return 0;
        }
        n = strlen(s);
        if (n > 3 && strcasecmp(s + n - 3, "min") == 0) {
                mult = 60;
                n -= 3;
        } else if (n > 1 && (s[n - 1] == 's' || s[n - 1] == 'S'))
                n -= 1;
        digits = strndup(s, n);
        if (!digits)
                return -ENOMEM;
        r = parse_uint(digits, UINT32_MAX / mult, &v);
        if (r < 0)
                return r;
        *ret = (uint32_t) (v * mult);
        return 0;
}

static const char *const weekday_names[8] = {
        NULL, "mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

static int parse_weekday(const char *s, size_t n) {
        if (n == 1 && s[0] >= '1' && s[0] <= '7')
                return s[0] - '0';
        for (int d = 1; d <= 7; d++)
                if (n == 3 && strncasecmp(s, weekday_names[d], 3) == 0)
                        return d;
        return -EINVAL;
}

static int parse_minute(const char *s, size_t n, uint16_t *ret) {
        const char *p = s;
        int h, m;

        /* "H:MM" or "HH:MM", below 24:00 (Settings1 wants minutes below 1440). */
        if (n == 4 && parse_digits(&p, 1, &h) == 0 && *p++ == ':' && parse_digits(&p, 2, &m) == 0)
                ;
        else if (
                p = s, n == 5 && parse_digits(&p, 2, &h) == 0 && *p++ == ':' && parse_digits(&p, 2, &m) == 0)
                ;
        else
                return -EINVAL;
        if (h > 23 || m > 59)
                return -EINVAL;
        *ret = (uint16_t) (h * 60 + m);
        return 0;
}

/* DAYS of s[0…n): see parse_weekdays(). */
static int parse_days(const char *s, const char *at, uint8_t *ret) {
        const char *p;
        uint8_t mask = 0;

        if (at == s)
                return -EINVAL;
        if (at - s == 5 && strncasecmp(s, "daily", 5) == 0)
                mask = 0xfe;
        else if (at - s == 8 && strncasecmp(s, "weekdays", 8) == 0)
                mask = 0x3e;
        else if (at - s == 7 && strncasecmp(s, "weekend", 7) == 0)
                mask = 0xc0;
        else
                for (p = s; p < at;) {
                        const char *comma = memchr(p, ',', (size_t) (at - p)) ?: at;
                        const char *range = memchr(p, '-', (size_t) (comma - p));
                        int from, to;

                        if (range) {
                                from = parse_weekday(p, (size_t) (range - p));
                                to = parse_weekday(range + 1, (size_t) (comma - range - 1));
                        } else
                                from = to = parse_weekday(p, (size_t) (comma - p));
                        if (from < 0 || to < 0 || to < from)
                                return -EINVAL;
                        for (int d = from; d <= to; d++)
                                mask |= (uint8_t) (1u << d);
                        p = comma == at ? at : comma + 1;
                        if (comma != at && p == at)
                                return -EINVAL; /* trailing comma */
                }
        *ret = mask;
        return 0;
}

int parse_weekdays(const char *s, uint8_t *ret) {
        if (!s)
                return -EINVAL;
        return parse_days(s, s + strlen(s), ret);
}

int parse_time_of_day(const char *s, bool end, uint16_t *ret) {
        /* 24:00 ends a window at midnight (Credentials1 cycles allow end-minute 1440). */
        if (end && s && strcmp(s, "24:00") == 0) {
                *ret = 1440;
                return 0;
        }
        return s ? parse_minute(s, strlen(s), ret) : -EINVAL;
}

int parse_passage_schedule(const char *s, PassageSchedule *ret) {
        const char *at, *dash;
        uint16_t start, end;
        uint8_t mask = 0;
        int r;

        if (!s)
                return -EINVAL;
        at = strchr(s, '@');
        if (!at || at == s)
                return -EINVAL;
        r = parse_days(s, at, &mask);
        if (r < 0)
                return r;

        dash = strchr(at + 1, '-');
        if (!dash)
                return -EINVAL;
        r = parse_minute(at + 1, (size_t) (dash - at - 1), &start);
        if (r < 0)
                return r;
        r = parse_minute(dash + 1, strlen(dash + 1), &end);
        if (r < 0)
                return r;

        *ret = (PassageSchedule){ .weekdays = mask, .start_minute = start, .end_minute = end };
        return 0;
}

const char *format_weekdays(uint8_t weekdays, char *buf, size_t size) {
        size_t n = 0;

        weekdays &= 0xfe;
        if (size == 0)
                return buf;
        buf[0] = 0;
        if (weekdays == 0xfe) {
                snprintf(buf, size, "daily");
                return buf;
        }
        for (int d = 1; d <= 7; d++) {
                int e = d;

                if (!(weekdays & (1u << d)))
                        continue;
                while (e < 7 && (weekdays & (1u << (e + 1))))
                        e++;
                /* Runs of three or more read better as ranges: "mon-fri", but "sat,sun". */
                if (e - d >= 2) {
                        n += (size_t) snprintf(
                                buf + n,
                                n < size ? size - n : 0,
                                "%s%s-%s",
                                n > 0 ? "," : "",
                                weekday_names[d],
                                weekday_names[e]);
                        d = e;
                } else
                        n += (size_t) snprintf(
                                buf + n,
                                n < size ? size - n : 0,
                                "%s%s",
                                n > 0 ? "," : "",
                                weekday_names[d]);
                if (n >= size)
                        break;
        }
        return buf;
}

const char *format_timestamp(uint64_t usec, bool with_seconds, char *buf, size_t size) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, size, with_seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

int exit_code_from_errno(int r) {
        switch (r < 0 ? -r : r) {
        case 0:
                return 0;
        case EINVAL:
        case ERANGE:
                return CTL_EXIT_INVALID_ARGS;
        case EACCES:
        case EPERM:
                return CTL_EXIT_ACCESS_DENIED;
        case EOPNOTSUPP:
                return CTL_EXIT_NOT_SUPPORTED;
        case ENOENT:
        case ENXIO:
                return CTL_EXIT_NO_LOCK;
        case EINTR:
                return CTL_EXIT_INTERRUPTED;
        default:
                return CTL_EXIT_FAILURE;
        }
}
