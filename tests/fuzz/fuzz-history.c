/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event archive's reader (history.h): what ttlockd reads from locks/AA_BB_CC_DD_EE_FF.history when it
 * opens a lock's archive and for every GetHistory(), a file a crash, a full disk or a damaged disk can leave
 * in any state. The first input byte picks how the rest is fed: 0  as the file's bytes (history_parse()); 1
 * as lines each given the check a writer would append (FNV-1a 32 of the line, history.h), after the header:
 * random lines then get past the check to the field parser; 2  as one line (history_record_from_line()).
 * Whatever the bytes: records come back with a kind, strings within HISTORY_STRING_MAX and a battery of
 * 0…100 or unknown; no more records and skipped lines than there were lines; and a record read back is
 * written (history_record_to_line()) to a line that reads as the same record. */

#include <inttypes.h>

#include "fuzz.h"
#include "history.h"
#include "macro.h"
#include "string-util.h"

static uint32_t fnv32(const char *data, size_t len) {
        uint32_t h = UINT32_C(0x811c9dc5);

        for (size_t i = 0; i < len; i++) {
                h ^= (uint8_t) data[i];
                h *= UINT32_C(0x01000193);
        }
        return h;
}

static bool same(const HistoryRecord *a, const HistoryRecord *b) {
        return a->time_usec == b->time_usec && a->identity == b->identity &&
                a->record_type == b->record_type && a->battery == b->battery && streq(a->kind, b->kind) &&
                streq(a->method, b->method) && streq(a->credential, b->credential) &&
                streq(a->alias, b->alias);
}

static void check_record(const HistoryRecord *r) {
        _cleanup_free_ char *line = NULL;
        HistoryRecord again = {};
        size_t len = 0;
        int q;

        fuzz_check(r->kind && *r->kind, "a record without a kind");
        fuzz_check(r->method && r->credential && r->alias, "a record with a NULL string");
        fuzz_check(
                strlen(r->kind) <= HISTORY_STRING_MAX && strlen(r->method) <= HISTORY_STRING_MAX &&
                        strlen(r->credential) <= HISTORY_STRING_MAX &&
                        strlen(r->alias) <= HISTORY_STRING_MAX,
                "a string beyond %u bytes",
                HISTORY_STRING_MAX);
        fuzz_check(r->battery >= -1 && r->battery <= 100, "battery %d", r->battery);

        q = history_record_to_line(r, &line, &len);
        /* Bytes the file held raw (tabs, control characters) are escaped when written: longer. */
        if (q == -EINVAL)
                return;
        fuzz_check(q >= 0 && len > 0 && line[len - 1] == '\n', "cannot write a record that was read: %d", q);
        line[len - 1] = 0;
        q = history_record_from_line(line, &again);
        fuzz_check(q >= 0, "a written line does not read: %s", line);
        /* A passcode's digits are never written (history_append()): the one change allowed. */
        if (streq(r->method, "passcode") && *r->credential &&
            strspn(r->credential, "0123456789") == strlen(r->credential))
                fuzz_check(streq(again.credential, ""), "a passcode's digits were written");
        else
                fuzz_check(same(r, &again), "the line written reads as another record: %s", line);
        history_record_done(&again);
}

static void parse_file(const char *data, size_t size) {
        HistoryRecord *records = NULL;
        size_t n = 0, skipped = 0, lines = 0;
        bool header_ok = false;
        int q;

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        q = history_parse(data, size, &records, &n, &skipped, &header_ok);
        if (q == -ENOMEM)
                return;
        fuzz_check(q >= 0, "history_parse() failed: %d", q);
        fuzz_check(
                n + skipped + (header_ok ? 1 : 0) <= lines,
                "%zu records and %zu skipped from %zu lines",
                n,
                skipped,
                lines);
        fuzz_check(header_ok || n == 0, "records after a foreign first line");
        for (size_t i = 0; i < n; i++)
                check_record(&records[i]);
        history_records_free(records, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data + 1;
        size_t len = size - 1;

        if (size < 1 || size > 1024 * 1024)
                return 0;
        switch (data[0] % 3) {
        case 0:
                parse_file(text, len);
                break;
        case 1: {
                _cleanup_free_ char *buf = NULL;
                size_t out = 0, start = 0;

                /* Each line grows by " %08x"; the header comes first. */
                buf = malloc(sizeof(HISTORY_FORMAT_HEADER) + len + (len + 1) * 9 + 1);
                if (!buf)
                        return 0;
                out = (size_t) sprintf(buf, "%s\n", HISTORY_FORMAT_HEADER);
                for (size_t i = 0; i <= len; i++) {
                        if (i < len && text[i] != '\n')
                                continue;
                        memcpy(buf + out, text + start, i - start);
                        out += i - start;
                        out += (size_t) sprintf(buf + out, " %08" PRIx32, fnv32(text + start, i - start));
                        if (i < len)
                                buf[out++] = '\n';
                        start = i + 1;
                }
                parse_file(buf, out);
                break;
        }
        case 2: {
                _cleanup_free_ char *line = strndup(text, len);
                HistoryRecord r = {};

                if (!line)
                        return 0;
                if (history_record_from_line(line, &r) >= 0) {
                        check_record(&r);
                        history_record_done(&r);
                }
                break;
        }
        }
        return 0;
}
