/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The event archive: every operation-log record ttlockd read from a lock (doc/protocol.md §4.3
 * GET_OPERATE_LOG), kept beyond the lock's own ring for Settings1.GetHistory, and the memory that
 * makes "each log record is signalled once, also across restarts" (dbus/org.ttlock.Lock1.xml Event) true.
 *
 * One append-only text file per lock, locks/AA_BB_CC_DD_EE_FF.history (0600, next to the key file):
 *
 *   ttlockd-history 1
 *   <time-usec> <identity> <record-type> <battery> <kind> <method> <credential> <alias> <check>
 *
 * one record per line, fields separated by one space: time-usec decimal; identity 16 hex digits;
 * record-type decimal (the raw log type); battery 0…100 or "-"; the four strings percent-encoded
 * (every byte ≤ 0x20, 0x7F and '%' as %XX, the empty string as "-"); check = FNV-1a 32 of everything
 * before " <check>", 8 hex digits. A line that does not end in '\n' is a write a crash interrupted:
 * it is cut off when the file is opened. A complete line that fails its check is skipped (and
 * counted), never fatal. A file with another first line is moved aside to "<name>.broken-<usec>".
 *
 * Appends are one write() followed by fdatasync(). Beyond max_records (+10 %) the oldest records
 * are dropped by an atomic rewrite (fileio.h). Passcode digits are never stored (see
 * history_append()). history knows nothing of D-Bus. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define HISTORY_FORMAT_HEADER "ttlockd-history 1"
#define HISTORY_DEFAULT_MAX_RECORDS 10000U
#define HISTORY_STRING_MAX 256U
#define HISTORY_LINE_MAX 4096U

typedef struct HistoryRecord {
        uint64_t time_usec;   /* when it happened, per the lock's clock */
        uint64_t identity;    /* history_record_identity(); the key for de-duplication */
        uint32_t record_type; /* the raw log type (§4.3) */
        int battery;          /* 0…100, < 0 = unknown */
        char *kind;           /* "unlocked", "locked", "unlock-failed", …; never NULL or empty */
        char *method;         /* "app", "passcode", "ic-card", "fingerprint", …; NULL = "" */
        char *credential;     /* card number, fingerprint id or a passcode's alias; NULL = "" */
        char *alias;          /* NULL = "" */
} HistoryRecord;

void history_record_done(HistoryRecord *r);
void history_records_free(HistoryRecord *records, size_t n);

/* A stable identity for one log record: FNV-1a 64 over its position as the lock numbered it
 * (`sequence`, pass 0 when unknown) and its raw bytes as read (`[type][time][battery][tail]`).
 * Two reads of the same record give the same identity; the same bytes at another position do not. */
uint64_t history_record_identity(uint32_t sequence, const uint8_t *raw, size_t len);

typedef struct History History;

/* Open (create) the archive of `address` in dir_fd (store_locks_dir_fd()). max_records 0 = default. */
int history_open(int dir_fd, const char *address, size_t max_records, History **ret);
History *history_free(History *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(History *, history_free);

/* Append one record, durably. Returns 1 if stored, 0 if a record with this identity is already in the
 * archive (nothing written), -EINVAL for a record without a kind or with over-long strings.
 * When method is "passcode" and the credential is nothing but digits, the credential is dropped:
 * callers should pass the passcode's alias, and a mistake must not put a code on disk. */
int history_append(History *h, const HistoryRecord *r);
bool history_contains(const History *h, uint64_t identity);
size_t history_count(const History *h);
/* Complete lines that failed their check when the archive was opened. */
size_t history_skipped(const History *h);

/* Records with time_usec ≥ since_usec, oldest first / newest last, at most max (the newest max);
 * max 0 = all of them. */
int history_query(History *h, uint64_t since_usec, size_t max, HistoryRecord **ret, size_t *ret_n);

/* The reader and the line format on their own, for the tests and the fuzzer (tests/fuzz/fuzz-history.c).
 * history_parse(): an archive's bytes as history_open() reads a file — the records of its valid lines in
 * file order (free with history_records_free()), how many complete lines failed their check, and whether
 * the first line is the header (nothing after a wrong one is read). history_record_to_line(): the line
 * history_append() writes, with its '\n' (-EINVAL beyond HISTORY_LINE_MAX); history_record_from_line():
 * one line without its '\n', -EBADMSG unless it is one. */
int history_parse(const char *data, size_t size, HistoryRecord **ret, size_t *ret_n, size_t *ret_skipped,
                  bool *ret_header_ok);
int history_record_to_line(const HistoryRecord *r, char **ret, size_t *ret_len);
int history_record_from_line(const char *line, HistoryRecord *ret);

/* Remove the archive of `address` (Forget). -ENOENT when there is none. */
int history_remove(int dir_fd, const char *address);
