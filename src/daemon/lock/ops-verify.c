/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "command.h"
#include "ops-login.h"
#include "ops-verify.h"

struct VerifyOp {
        OpKeys keys;
        LinkJob *job;
        OpStatus status;
        VerifyDone done;
        void *userdata;
};

VerifyVerdict verify_verdict(const OpStatus *st) {
        if (st->error >= 0)
                return VERIFY_ACCEPTED;
        /* §4.4 / §2.4: an answer that says "not you": a refusal of the challenge, or no data at all (the
         * lock cannot decrypt a key it does not hold). Anything else says nothing of the keys. */
        if (st->error == -EREMOTEIO || st->error == -ENOKEY)
                return VERIFY_REFUSED;
        return VERIFY_UNKNOWN;
}

static void finish(VerifyOp *op) {
        LinkJob *job = op->job;
        VerifyDone done = op->done;
        void *userdata = op->userdata;
        OpStatus status = op->status;

        op_keys_wipe(&op->keys);
        free(op);
        if (job)
                link_job_finish(job);
        if (done)
                done(verify_verdict(&status), &status, userdata);
}

static int on_random(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        VerifyOp *op = userdata;

        if (op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &op->status) >= 0)
                op->status = (OpStatus){};
        finish(op);
        return 0;
}

static int on_challenge(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        VerifyOp *op = userdata;

        if (op_login_send_random(job, &op->keys, error, reply, &op->status, on_random, op) < 0)
                finish(op);
        return 0;
}

static void on_start(LinkJob *job, int error, void *userdata) {
        VerifyOp *op = userdata;
        int r;

        if (error < 0) {
                op->job = NULL;
                op_fail(&op->status, 0, error);
                finish(op);
                return;
        }
        r = op_login_send(job, &op->keys, on_challenge, op);
        if (r < 0) {
                op_fail(&op->status, op_login_challenge(&op->keys), r);
                finish(op);
        }
}

int verify_op_start(Link *link, const OpKeys *keys, VerifyDone done, void *userdata, VerifyOp **ret) {
        VerifyOp *op;
        int r;

        assert(link);
        assert(keys);
        op = calloc(1, sizeof(VerifyOp));
        if (!op)
                return -ENOMEM;
        *op = (VerifyOp){ .keys = *keys, .done = done, .userdata = userdata };
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

void verify_op_cancel(VerifyOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_keys_wipe(&op->keys);
        free(op);
}
