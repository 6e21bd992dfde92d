/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's date encodings (doc/protocol.md §4.2): "decimal bytes", not BCD — each two-digit group is
 * one byte holding its value (2021-01-19 12:34 → 15 01 13 0C 22). Lock time is local wall-clock
 * time with no zone; converting from the host's clock (and its zone) is the caller's job: this
 * library reads no clock. */

#include <stdbool.h>
#include <stdint.h>

#include "bytes.h"
#include "tt-error.h"

typedef struct TTDateTime {
        uint16_t year; /* 2000 … 2099 */
        uint8_t month; /* 1 … 12 */
        uint8_t day;   /* 1 … days in month */
        uint8_t hour;  /* 0 … 23 */
        uint8_t minute;
        uint8_t second;
} TTDateTime;

bool ttlock_datetime_valid(const TTDateTime *t);

/* Field by field: the struct has a padding byte after `second`, whose value is whatever the memory
 * held, so memcmp() or hashing its bytes compares garbage. */
bool ttlock_datetime_equal(const TTDateTime *a, const TTDateTime *b);

/* YY MM DD hh mm (validity windows) and YY MM DD hh mm ss (clock, log records, replies).
 * Encoders return -EINVAL for a date outside 2000-01-01 … 2099-12-31 or an impossible one;
 * decoders return -EBADMSG with the field at fault. */
int ttlock_date5_encode(const TTDateTime *t, uint8_t out[5]);
int ttlock_date5_decode(const uint8_t in[5], TTDateTime *ret, TTError *e);
int ttlock_date6_encode(const TTDateTime *t, uint8_t out[6]);
int ttlock_date6_decode(const uint8_t in[6], TTDateTime *ret, TTError *e);

/* Calendar arithmetic only (proleptic Gregorian, no zone): seconds since 1970-01-01 00:00 of the
 * same wall clock. -ERANGE outside 2000…2099. */
int ttlock_datetime_from_unix(int64_t seconds, TTDateTime *ret);
int64_t ttlock_datetime_to_unix(const TTDateTime *t);

/* Dates inside messages: the encoders refuse an invalid date (-EINVAL), the decoders an impossible one
 * (-EBADMSG); both name the message field ("end at offset 5: month 13 …"). */
int ttlock_put_date5(TTWriter *w, const TTDateTime *t, const char *field, TTError *e);
int ttlock_put_date6(TTWriter *w, const TTDateTime *t, const char *field, TTError *e);
int ttlock_get_date5(TTReader *r, const char *field, TTDateTime *ret);
int ttlock_get_date6(TTReader *r, const char *field, TTDateTime *ret);

/* BCD dates (§4.10): some clients write a validity window's groups as BCD (0x25 for "25"), and real locks
 * take them. The lenient reader tries decimal bytes first (§4.2, the SDK's encoding), then BCD; *ret_encoding
 * says which one it was. Only CHECK_USER_TIME is known to carry BCD dates. */
typedef enum TTDateEncoding {
        TTLOCK_DATE_DECIMAL,
        TTLOCK_DATE_BCD,
} TTDateEncoding;

int ttlock_date5_encode_bcd(const TTDateTime *t, uint8_t out[5]);
int ttlock_date5_decode_bcd(const uint8_t in[5], TTDateTime *ret, TTError *e);
int ttlock_get_date5_lenient(TTReader *r, const char *field, TTDateTime *ret, TTDateEncoding *ret_encoding);
