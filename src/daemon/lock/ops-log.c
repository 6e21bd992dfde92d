/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "history.h"
#include "log.h"
#include "macro.h"
#include "ops-log.h"

struct LogReadOp {
        OpKeys keys;
        LinkJob *job;
        uint16_t sequence;
        unsigned pages;
        LogEntry *entries;
        size_t n_entries;
        LogReadResult result;
        LogReadPage page;
        LogReadDone done;
        void *userdata;
};

static void op_free(LogReadOp *op) {
        op_keys_wipe(&op->keys);
        free(op->entries);
        free(op);
}

static void finish(LogReadOp *op) {
        LinkJob *job = op->job;

        op->job = NULL;
        if (job)
                link_job_finish(job);
        op->result.entries = op->entries;
        op->result.n_entries = op->n_entries;
        if (op->done)
                op->done(&op->result, op->userdata);
        op_free(op);
}

int log_page_parse(
        const uint8_t *data,
        size_t len,
        uint16_t *ret_total,
        uint16_t *ret_next,
        LogEntry **entries,
        size_t *n,
        size_t max) {
        TTReader rd = TT_READER(data, len, NULL);
        size_t offsets[TTLOCK_LOG_PAGE_MAX_RECORDS + 1], count = 0, n_page;
        TTLogRecord records[TTLOCK_LOG_PAGE_MAX_RECORDS];
        uint16_t total, next;
        LogEntry *e;
        int r;

        assert(data);

        r = tt_get_u16be(&rd, "total", &total);
        if (r < 0)
                return r;
        r = tt_get_u16be(&rd, "next sequence", &next);
        if (r < 0)
                return r;

        offsets[0] = rd.pos;
        while (total > 0 && tt_reader_left(&rd) > 0) {
                /* A record is at least recLen + type + date + battery: a page holds no more. */
                if (count >= ELEMENTSOF(records))
                        return -EBADMSG;
                r = ttlock_log_record_read(&rd, &records[count]);
                if (r < 0)
                        return r;
                offsets[++count] = rd.pos;
        }

        n_page = count;
        count = MIN(count, max - MIN(max, *n));
        if (count > 0) {
                e = reallocarray(*entries, *n + count, sizeof(LogEntry));
                if (!e)
                        return -ENOMEM;
                *entries = e;
        }

        /* §4.3 paging: the lock names the sequence to ask for next, so the page's records are the
         * `count` sequences before it. Mixing that position into the identity keeps two genuinely
         * different records with the same bytes (two wrong codes in one second) apart, while a
         * record a lock re-sends at the same position (§9.4) keeps its identity. The raw bytes
         * are read back through the reader, recLen included. */
        for (size_t i = 0; i < count; i++) {
                uint32_t seq = (uint32_t) ((next + 0x10000u - n_page + i) & 0xFFFFu);
                const uint8_t *raw;

                rd.pos = offsets[i];
                r = tt_get_bytes(&rd, "record", offsets[i + 1] - offsets[i], &raw);
                if (r < 0)
                        return r;
                (*entries)[*n + i] = (LogEntry){
                        .record = records[i],
                        .identity = history_record_identity(seq, raw, offsets[i + 1] - offsets[i]),
                };
        }
        *n += count;
        *ret_total = total;
        *ret_next = next;
        return (int) count;
}

static void request_page(LogReadOp *op);

static int on_page(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        LogReadOp *op = userdata;
        uint16_t total = 0, next = 0;
        int r;

        r = op_check_reply(TTLOCK_CMD_GET_OPERATE_LOG, error, reply, &op->result.status);
        if (r < 0) {
                /* 0x1F RECORD_NOT_EXIST: some locks say "nothing (more)" this way. */
                if (r == -EREMOTEIO && op->result.status.lock_error == 0x1F)
                        op->result.status = (OpStatus){};
                finish(op);
                return 0;
        }
        r = log_page_parse(
                reply->data,
                reply->data_len,
                &total,
                &next,
                &op->entries,
                &op->n_entries,
                LOG_READ_MAX_RECORDS);
        if (r < 0) {
                op_fail(&op->result.status, TTLOCK_CMD_GET_OPERATE_LOG, r);
                finish(op);
                return 0;
        }
        op->pages++;
        if (r > 0) {
                op->result.have_resume = true;
                op->result.resume_sequence = next;
        }
        if (op->page && r > 0)
                op->page(op->entries + op->n_entries - r, (size_t) r, op->userdata);
        /* §4.3: until total = 0, or the cursor does not advance; §9.4: or a page brings nothing. */
        if (total == 0 || r == 0 || next == op->sequence || next == TTLOCK_LOG_NEW_RECORDS ||
            next == TTLOCK_LOG_ALL_RECORDS || op->pages >= LOG_READ_MAX_PAGES ||
            op->n_entries >= LOG_READ_MAX_RECORDS) {
                finish(op);
                return 0;
        }
        op->sequence = next;
        /* A page-wise reader has what it needs so far; whatever waits on the link goes first, and the
         * rest of the log is read after it (ops-log.h). */
        if (op->page && link_job_others_waiting(op->job)) {
                op->result.more = true;
                finish(op);
                return 0;
        }
        request_page(op);
        return 0;
}

static void request_page(LogReadOp *op) {
        uint8_t buf[4];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        ttlock_log_request_encode(&w, op->sequence);
        r = tt_writer_finish(&w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, op->keys.aes_key, 0, on_page, op);
        if (r < 0) {
                op_fail(&op->result.status, TTLOCK_CMD_GET_OPERATE_LOG, r);
                finish(op);
        }
}

static void on_start(LinkJob *job, int error, void *userdata) {
        LogReadOp *op = userdata;

        if (error < 0) {
                op->job = NULL;
                op_fail(&op->result.status, 0, error);
                finish(op);
                return;
        }
        request_page(op);
}

int log_read_op_start(
        Link *link,
        const OpKeys *keys,
        uint16_t sequence,
        LogReadDone done,
        void *userdata,
        LogReadOp **ret) {
        return log_read_op_start_full(link, keys, sequence, NULL, done, userdata, ret);
}

int log_read_op_start_full(
        Link *link,
        const OpKeys *keys,
        uint16_t sequence,
        LogReadPage page,
        LogReadDone done,
        void *userdata,
        LogReadOp **ret) {
        LogReadOp *op;
        int r;

        assert(link);

        op = calloc(1, sizeof(LogReadOp));
        if (!op)
                return -ENOMEM;
        *op = (LogReadOp){ .keys = *keys, .sequence = sequence, .page = page, .done = done, .userdata = userdata };
        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0) {
                op_free(op);
                return r;
        }
        return 0;
}

void log_read_op_cancel(LogReadOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_free(op);
}
