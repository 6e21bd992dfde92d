/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The operation log: a ring of the last 500 records (doc/protocol.md §4.3 GET_OPERATE_LOG), with a
 * read mark for "new records" (sequence 0xFFFF) that drives the advert flag 0x02 (§7.1): set when a
 * record is added, cleared once everything has been read. Records are kept encoded (17–40 bytes
 * each), so a thousand locks with full logs stay small. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oplog.h"

#define SIM_LOG_CAPACITY 500

typedef struct SimLogEntry {
        uint8_t len;
        uint8_t *bytes; /* recLen ‖ record */
} SimLogEntry;

struct SimLog {
        SimLogEntry *ring; /* grows up to SIM_LOG_CAPACITY */
        size_t allocated;
        uint32_t first;  /* absolute number of the oldest record (numbers start at 1) */
        uint32_t end;    /* one past the newest */
        uint32_t unread; /* first record not read through 0xFFFF yet */
};

typedef struct SimLog SimLog;

SimLog *log_new(void);
SimLog *log_free(SimLog *g);
void log_clear(SimLog *g);
size_t log_count(const SimLog *g);
bool log_has_unread(const SimLog *g);
int log_add(SimLog *g, const TTLogRecord *rec);
/* Appends the reply data (total ‖ next ‖ records) for a GET_OPERATE_LOG request to w. */
int log_page(SimLog *g, uint16_t sequence, TTWriter *w, TTError *e);
/* Record i (0 = oldest) in its encoded form, for the state file. */
const SimLogEntry *log_entry(const SimLog *g, size_t i);
int log_add_encoded(SimLog *g, const uint8_t *bytes, size_t len);
