/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET_OPERATE_LOG (oplog.h, doc/protocol.md §4.3): the request, whole reply pages and single records.
 * Log records are what the daemon turns into Event signals and history, read from whatever a lock
 * (or something pretending to be one) sends, so they get the most attention here:
 *   - a decoded record or page re-encodes to bytes that decode to the same thing (bytes a record
 *     skips, §4.3 "for compatibility", are dropped by re-encoding, so the first encoding need not be
 *     the input — the second must equal the first);
 *   - ttlock_log_record_size() is the length the encoder writes, and the record's tail is the one
 *     ttlock_log_type_tail() names for its type;
 *   - every type has a name or NULL, and an event class whose strings exist;
 *   - ttlock_log_record_read() leaves the reader at recStart + recLen, and fails without moving it.
 * The first input byte selects the decoder in the table below. */

#include "fuzz-codec.h"
#include "oplog.h"

static int log_request_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        return ttlock_log_request_decode(data, len, ret, e);
}

static int log_request_encode_any(TTWriter *w, const void *v, TTError *e) {
        ttlock_log_request_encode(w, *(const uint16_t *) v);
        return 0;
}

static void check_record(const TTLogRecord *rec, const uint8_t *enc, size_t n) {
        TTLogEventClass ev;
        TTError e = {};
        int size;

        fuzz_check(rec->tail == ttlock_log_type_tail(rec->type), "type %u decoded with tail %d, not %d", rec->type,
                   rec->tail, ttlock_log_type_tail(rec->type));
        fuzz_check(ttlock_datetime_valid(&rec->date), "type %u decoded with an invalid date", rec->type);
        if (rec->tail == TTLOCK_LOG_TAIL_RAW)
                fuzz_check(rec->raw.len <= TTLOCK_LOG_RAW_MAX, "raw tail of %zu bytes", rec->raw.len);

        size = ttlock_log_record_size(rec, &e);
        fuzz_check(size > 0 && (size_t) size == n, "record size %d, encoded %zu bytes (%s)", size, n, e.message);
        fuzz_check(n >= 1 + TTLOCK_LOG_RECORD_HEAD && enc[0] == n - 1, "recLen %u for %zu bytes", enc[0], n);

        (void) ttlock_log_type_name(rec->type);
        ev = ttlock_log_type_event(rec->type);
        fuzz_check(ttlock_log_event_kind_to_string(ev.kind) && ttlock_log_method_to_string(ev.method),
                   "type %u: event class without a name", rec->type);
}

/* One record read through a TTReader, as the page decoder does. Bytes after the record are left to
 * the caller, so the codec requires the reader to stop exactly at recStart + recLen. */
static int log_record_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        TTReader r = TT_READER(data, len, e);
        int k;

        k = ttlock_log_record_read(&r, ret);
        if (k < 0) {
                fuzz_check(r.pos == 0, "a failed record read moved the reader to %zu", r.pos);
                return k;
        }
        fuzz_check(len >= 1 && r.pos == (size_t) data[0] + 1, "reader at %zu after a record with recLen %u",
                   r.pos, len >= 1 ? data[0] : 0);
        return 0;
}

static int log_record_encode_any(TTWriter *w, const void *v, TTError *e) {
        return ttlock_log_record_encode(w, v, e);
}

static void check_record_any(const void *v, const uint8_t *enc, size_t n) {
        check_record(v, enc, n);
}

static int log_page_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        return ttlock_log_page_decode(data, len, ret, e);
}

static int log_page_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTLogPage *p = v;

        return ttlock_log_page_encode(w, p->total, p->next_sequence, p->records, p->n_records, e);
}

static void check_page(const void *v, const uint8_t *enc, size_t n) {
        const TTLogPage *p = v;
        size_t off = 4;

        fuzz_check(p->n_records <= TTLOCK_LOG_PAGE_MAX_RECORDS, "%zu records", p->n_records);
        fuzz_check(n >= 4 && (enc[0] << 8 | enc[1]) == p->total && (enc[2] << 8 | enc[3]) == p->next_sequence,
                   "page header does not hold total and next sequence");
        for (size_t i = 0; i < p->n_records; i++) {
                TTError e = {};
                int size = ttlock_log_record_size(&p->records[i], &e);

                fuzz_check(size > 0 && off + (size_t) size <= n, "record %zu of the page: size %d (%s)", i, size,
                           e.message);
                check_record(&p->records[i], enc + off, (size_t) size);
                off += (size_t) size;
        }
        fuzz_check(off == n, "records end at %zu of a %zu-byte page", off, n);
        fuzz_check(ttlock_log_page_fit(p->records, p->n_records) == p->n_records,
                   "a decoded page does not fit a page");
}

static const FuzzCodec codecs[] = {
        FUZZ_CODEC("GET_OPERATE_LOG request", uint16_t, log_request_decode_any, log_request_encode_any, NULL,
                   FUZZ_CANONICAL),
        FUZZ_CODEC("GET_OPERATE_LOG reply page", TTLogPage, log_page_decode_any, log_page_encode_any, check_page,
                   FUZZ_IDEMPOTENT),
        FUZZ_CODEC("log record", TTLogRecord, log_record_decode_any, log_record_encode_any, check_record_any,
                   FUZZ_IDEMPOTENT),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* Names and event classes of every type byte, whatever the input. */
        if (size >= 1) {
                TTLogEventClass ev = ttlock_log_type_event(data[0]);

                fuzz_check(ttlock_log_event_kind_to_string(ev.kind) && ttlock_log_method_to_string(ev.method),
                           "type %u: event class without a name", data[0]);
        }
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
