/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "access.h"
#include "command.h"
#include "macro.h"
#include "ops-reset.h"

/* §9.3: the official app waits 5.5 s for the reset reply. */
#define RESET_TIMEOUT_USEC (6 * USEC_PER_SEC)

struct ResetOp {
        OpKeys keys;
        LinkJob *job;
        OpStatus status;
        ResetDone done;
        void *userdata;
};

static void finish(ResetOp *op, bool disconnect) {
        LinkJob *job = op->job;
        ResetDone done = op->done;
        void *userdata = op->userdata;
        OpStatus status = op->status;

        op_keys_wipe(&op->keys);
        free(op);
        if (job) {
                if (disconnect)
                        link_job_finish_disconnect(job);
                else
                        link_job_finish(job);
        }
        if (done)
                done(&status, userdata);
}

static void fail(ResetOp *op, uint8_t command, int error) {
        op_fail(&op->status, command, error);
        finish(op, false);
}

static int on_reset(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        ResetOp *op = userdata;

        /* §2.4: for RESET_LOCK a reply without data is the success. */
        if (error != -ENODATA && op_check_reply(TTLOCK_CMD_RESET_LOCK, error, reply, &op->status) < 0) {
                finish(op, false);
                return 0;
        }
        op->status = (OpStatus){};
        finish(op, true);
        return 0;
}

static int on_random(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        ResetOp *op = userdata;
        int r;

        if (op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &op->status) < 0) {
                finish(op, false);
                return 0;
        }
        r = link_job_send(
                op->job, TTLOCK_CMD_RESET_LOCK, NULL, 0, op->keys.aes_key, RESET_TIMEOUT_USEC, on_reset, op);
        if (r < 0)
                fail(op, TTLOCK_CMD_RESET_LOCK, r);
        return 0;
}

static int on_admin(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        ResetOp *op = userdata;
        TTChallengeReply c;
        uint8_t buf[8];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        if (op_check_reply(TTLOCK_CMD_CHECK_ADMIN, error, reply, &op->status) < 0) {
                finish(op, false);
                return 0;
        }
        r = ttlock_challenge_reply_decode(reply->data, reply->data_len, &c, NULL);
        if (r < 0) {
                fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
                return 0;
        }
        ttlock_check_random_request_encode(&w, ttlock_unlock_sum(c.ps_from_lock, op->keys.unlock_key));
        r = tt_writer_finish(&w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, TTLOCK_CMD_CHECK_RANDOM, buf, len, op->keys.aes_key, 0, on_random, op);
        if (r < 0)
                fail(op, TTLOCK_CMD_CHECK_RANDOM, r);
        return 0;
}

static void on_start(LinkJob *job, int error, void *userdata) {
        ResetOp *op = userdata;
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        if (error < 0) {
                op->job = NULL;
                return fail(op, 0, error);
        }
        r = ttlock_check_admin_request_encode(
                &w,
                &(TTCheckAdminRequest){
                        .admin_ps = op->keys.admin_ps,
                        .lock_flag_pos = op->keys.lock_flag_pos,
                        .uid = op->keys.uid,
                });
        if (r >= 0)
                r = tt_writer_finish(&w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, TTLOCK_CMD_CHECK_ADMIN, buf, len, op->keys.aes_key, 0, on_admin, op);
        if (r < 0)
                fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
}

int reset_op_start(Link *link, const OpKeys *keys, ResetDone done, void *userdata, ResetOp **ret) {
        ResetOp *op;
        int r;

        assert(link);

        op = calloc(1, sizeof(ResetOp));
        if (!op)
                return -ENOMEM;
        *op = (ResetOp){ .keys = *keys, .done = done, .userdata = userdata };
        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0) {
                op_keys_wipe(&op->keys);
                free(op);
                return r;
        }
        return 0;
}

void reset_op_cancel(ResetOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_keys_wipe(&op->keys);
        free(op);
}
