/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading the operation log (doc/protocol.md §4.3 GET_OPERATE_LOG, §7.2, §7.4): from 0xFFFF ("what has
 * not been read yet"), or from a known sequence, page by page until the lock says there is nothing
 * more, no authentication.
 * The records come back decoded, each with the identity history.h de-duplicates on. */

#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "oplog.h"
#include "ops-common.h"

/* A bound on one read: the lock keeps 500 records (§4.3), so a full ring fits twice. */
#define LOG_READ_MAX_RECORDS 1000U
#define LOG_READ_MAX_PAGES 200U

typedef struct LogEntry {
        TTLogRecord record;
        uint64_t identity; /* history_record_identity() */
} LogEntry;

typedef struct LogReadResult {
        OpStatus status;   /* an error after some pages still returns what was read */
        bool more;         /* stopped between two pages for work queued behind it: read again later */
        LogEntry *entries; /* oldest first; owned by the operation, valid during the callback */
        size_t n_entries;
        /* Where the records received end: the sequence that asks for the first one not received (the
         * `next` of the last page that brought records, §4.3). A read that failed after the lock handed
         * out a page — the lock counts it as read — is done again from here. */
        bool have_resume;
        uint16_t resume_sequence;
} LogReadResult;

typedef struct LogReadOp LogReadOp;
typedef void (*LogReadDone)(const LogReadResult *r, void *userdata);

/* sequence: where to start, TTLOCK_LOG_NEW_RECORDS (what the lock has not handed out yet) or a
 * LogReadResult.resume_sequence. */
int log_read_op_start(
        Link *link,
        const OpKeys *keys,
        uint16_t sequence,
        LogReadDone done,
        void *userdata,
        LogReadOp **ret);
/* The same, and page (if not NULL) is handed the records of each page as soon as it arrived, before the
 * next page is asked for, so that what the first reply brings is known one exchange after the read
 * began (doc/protocol.md §7.5). page must not cancel the operation; done still gets every record. Such
 * a read also gives way between two pages to work queued behind it on the link (a user's Unlock()
 * waits for one exchange at most), and says so with result.more; result.resume_sequence then says
 * where to go on. */
typedef void (*LogReadPage)(const LogEntry *entries, size_t n, void *userdata);
int log_read_op_start_full(
        Link *link,
        const OpKeys *keys,
        uint16_t sequence,
        LogReadPage page,
        LogReadDone done,
        void *userdata,
        LogReadOp **ret);
void log_read_op_cancel(LogReadOp *op);

/* Decode one reply page (total ‖ next ‖ records) into entries, appending to (*entries, *n) (at most
 * max in all); returns how many were added. A record's position, used for its identity, is taken
 * as next − (records in the page) + its index (§4.3 paging). Exposed for the tests. */
int log_page_parse(
        const uint8_t *data,
        size_t len,
        uint16_t *ret_total,
        uint16_t *ret_next,
        LogEntry **entries,
        size_t *n,
        size_t max);
