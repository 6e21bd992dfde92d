/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lock-log.h"
#include "macro.h"
#include "sim-util.h"

/* Sequence numbers on the wire are 1…65534: 0 asks for the whole history and 0xFFFF for the new
 * records (§4.3), so neither may name a record. */
static uint16_t wire_seq(uint32_t abs) {
        return (uint16_t) ((abs - 1) % 0xFFFE + 1);
}

SimLog *log_new(void) {
        SimLog *g = new0(SimLog, 1);

        if (g)
                g->first = g->end = g->unread = 1;
        return g;
}

void log_clear(SimLog *g) {
        for (size_t i = 0; i < g->allocated; i++)
                free(g->ring[i].bytes);
        g->ring = mfree(g->ring);
        g->allocated = 0;
        g->first = g->end = g->unread = 1;
}

SimLog *log_free(SimLog *g) {
        if (!g)
                return NULL;
        log_clear(g);
        return mfree(g);
}

size_t log_count(const SimLog *g) {
        return g->end - g->first;
}

bool log_has_unread(const SimLog *g) {
        return g->unread < g->end;
}

static SimLogEntry *slot(const SimLog *g, uint32_t abs) {
        return &g->ring[(abs - 1) % SIM_LOG_CAPACITY];
}

const SimLogEntry *log_entry(const SimLog *g, size_t i) {
        if (i >= log_count(g))
                return NULL;
        return slot(g, g->first + (uint32_t) i);
}

int log_add_encoded(SimLog *g, const uint8_t *bytes, size_t len) {
        SimLogEntry *s;
        uint8_t *copy;

        if (len == 0 || len > UINT8_MAX + 1)
                return -EINVAL;
        if (g->allocated < SIM_LOG_CAPACITY && log_count(g) == g->allocated) {
                size_t n = MIN(MAX(g->allocated * 2, (size_t) 8), (size_t) SIM_LOG_CAPACITY);
                SimLogEntry *r = reallocarray(g->ring, n, sizeof(SimLogEntry));
                if (!r)
                        return -ENOMEM;
                memset(r + g->allocated, 0, (n - g->allocated) * sizeof(SimLogEntry));
                g->ring = r;
                g->allocated = n;
        }
        copy = memdup(bytes, len);
        if (!copy)
                return -ENOMEM;
        /* The ring is indexed by absolute number modulo its capacity; while it is still growing
         * nothing has wrapped, so the slot is inside the allocated part. */
        if (log_count(g) == SIM_LOG_CAPACITY) {
                free(slot(g, g->first)->bytes);
                slot(g, g->first)->bytes = NULL;
                g->first++;
                if (g->unread < g->first)
                        g->unread = g->first;
        }
        s = slot(g, g->end);
        free(s->bytes);
        s->bytes = copy;
        s->len = (uint8_t) (len - 1);
        g->end++;
        return 0;
}

int log_add(SimLog *g, const TTLogRecord *rec) {
        uint8_t buf[UINT8_MAX + 1];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t n;
        int r;

        r = ttlock_log_record_encode(&w, rec, NULL);
        if (r < 0)
                return r;
        r = tt_writer_finish(&w, &n, NULL);
        if (r < 0)
                return r;
        return log_add_encoded(g, buf, n);
}

int log_page(SimLog *g, uint16_t sequence, TTWriter *w, TTError *e) {
        TTLogRecord records[TTLOCK_LOG_PAGE_MAX_RECORDS];
        uint32_t start = g->end;
        size_t n = 0, fit, total = 0;
        int r;

        if (sequence == TTLOCK_LOG_NEW_RECORDS)
                start = MAX(g->unread, g->first);
        else if (sequence == TTLOCK_LOG_ALL_RECORDS)
                start = g->first;
        else
                for (uint32_t a = g->first; a <= g->end; a++)
                        if (wire_seq(a) == sequence) {
                                start = a;
                                break;
                        }

        for (uint32_t a = start; a < g->end && n < ELEMENTSOF(records); a++) {
                SimLogEntry *s = slot(g, a);
                TTReader rd = TT_READER(s->bytes, (size_t) s->len + 1, e);

                r = ttlock_log_record_read(&rd, &records[n]);
                if (r < 0)
                        return r;
                n++;
        }
        fit = ttlock_log_page_fit(records, n);
        for (size_t i = 0; i < fit; i++)
                total += (size_t) slot(g, start + (uint32_t) i)->len + 1;

        /* The lock marks what it has handed out as read; "new records" is what no reader has
         * been given yet, and the advert flag falls when that is nothing (§7.1). */
        if (start + fit > g->unread && start <= g->unread)
                g->unread = start + (uint32_t) fit;

        return ttlock_log_page_encode(
                w, (uint16_t) total, wire_seq(start + (uint32_t) fit), records, fit, e);
}
