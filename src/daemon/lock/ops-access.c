/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "command.h"
#include "info.h"
#include "log.h"
#include "macro.h"
#include "ops-access.h"

/* §9.3: 4 s for challenges and status, longer for a motor that has to move the bolt. */
#define ACTUATE_TIMEOUT_USEC (8 * USEC_PER_SEC)

struct AccessOp {
        AccessAction action;
        OpKeys keys;
        LinkJob *job;
        bool tried_admin;
        AccessResult result;
        AccessDone done;
        void *userdata;
};

static void finish(AccessOp *op) {
        AccessDone done = op->done;
        void *userdata = op->userdata;
        AccessResult result = op->result;
        LinkJob *job = op->job;

        op_keys_wipe(&op->keys);
        free(op);
        if (job)
                link_job_finish(job);
        if (done)
                done(&result, userdata);
}

static void fail(AccessOp *op, uint8_t command, int error) {
        op_fail(&op->result.status, command, error);
        finish(op);
}

/* Sends and, on a failure to send, finishes: callers return right after, because the reply
 * handler may already have run (and freed op) inside link_job_send(). */
static void
send(AccessOp *op, uint8_t command, const TTWriter *w, uint64_t timeout_usec, LinkReplyHandler handler) {
        size_t len;
        int r;

        r = tt_writer_finish(w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, command, w->buf, len, op->keys.aes_key, timeout_usec, handler, op);
        if (r < 0)
                fail(op, command, r);
}

static int on_actuate(LinkJob *job, int error, const TTReply *reply, void *userdata);
static int on_challenge(LinkJob *job, int error, const TTReply *reply, void *userdata);

static uint8_t actuate_command(AccessOp *op) {
        return op->action == ACCESS_UNLOCK ? TTLOCK_CMD_UNLOCK : TTLOCK_CMD_FUNCTION_LOCK;
}

static void send_challenge(AccessOp *op, bool admin) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTDateTime start, end;
        int r;

        if (admin) {
                /* §5.3 admin path: CHECK_ADMIN, then straight to the actuation (no CHECK_RANDOM). */
                op->tried_admin = true;
                r = ttlock_check_admin_request_encode(
                        &w,
                        &(TTCheckAdminRequest){
                                .admin_ps = op->keys.admin_ps,
                                .lock_flag_pos = op->keys.lock_flag_pos,
                                .uid = op->keys.uid,
                        });
                if (r < 0)
                        return fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
                return send(op, TTLOCK_CMD_CHECK_ADMIN, &w, 0, on_challenge);
        }

        /* §5.3: an eKey's own window, or for an admin the one the official app and [JS] use,
         * 2000-01-31 14:00 … 2099-11-30 14:00 (op_keys_window()). */
        op_keys_window(&op->keys, &start, &end);
        r = ttlock_check_user_time_request_encode(
                &w,
                &(TTCheckUserTimeRequest){
                        .start = start,
                        .end = end,
                        .lock_flag_pos = op->keys.lock_flag_pos,
                        .uid = op->keys.uid,
                });
        if (r < 0)
                return fail(op, TTLOCK_CMD_CHECK_USER_TIME, r);
        send(op, TTLOCK_CMD_CHECK_USER_TIME, &w, 0, on_challenge);
}

static int on_challenge(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        AccessOp *op = userdata;
        uint8_t command = op->tried_admin ? TTLOCK_CMD_CHECK_ADMIN : TTLOCK_CMD_CHECK_USER_TIME;
        TTChallengeReply c;
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        r = op_check_reply(command, error, reply, &op->result.status);
        if (r < 0) {
                /* A refused challenge: the lock may only answer the other one (§5.3). An eKey has no
                 * adminPs to try: its refusal is the answer (doc/lockdata.md §4). */
                if ((r == -EREMOTEIO || r == -ENOKEY) && !op->tried_admin && !op->keys.user) {
                        log_debug(
                                "CHECK_USER_TIME refused (0x%02x), trying CHECK_ADMIN",
                                op->result.status.lock_error);
                        op->result.status = (OpStatus){};
                        send_challenge(op, /* admin= */ true);
                        return 0;
                }
                finish(op);
                return 0;
        }
        r = ttlock_challenge_reply_decode(reply->data, reply->data_len, &c, NULL);
        if (r < 0) {
                fail(op, command, r);
                return 0;
        }
        ttlock_actuate_request_encode(
                &w,
                &(TTActuateRequest){
                        .sum = ttlock_unlock_sum(c.ps_from_lock, op->keys.unlock_key),
                        /* §4.3: Unix time, which becomes the log record's unique id. */
                        .timestamp = (uint32_t) time(NULL),
                });
        send(op, actuate_command(op), &w, ACTUATE_TIMEOUT_USEC, on_actuate);
        return 0;
}

static int on_actuate(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        AccessOp *op = userdata;
        uint8_t command = actuate_command(op);
        TTActuateReply a;
        int r;

        r = op_check_reply(command, error, reply, &op->result.status);
        if (r < 0) {
                finish(op);
                return 0;
        }
        /* The bolt moved: that is what a SUCCESS reply says (§4.3). The battery byte is optional
         * to us: a reply we cannot decode still confirmed the actuation. */
        op->result.have_state = true;
        op->result.state = op->action == ACCESS_UNLOCK ? TTLOCK_STATE_UNLOCKED : TTLOCK_STATE_LOCKED;
        if (ttlock_actuate_reply_decode(reply->data, reply->data_len, &a, NULL) >= 0) {
                op->result.have_battery = true;
                op->result.battery = a.battery;
        }
        finish(op);
        return 0;
}

static int on_features(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        AccessOp *op = userdata;
        TTFeatureReply f;
        OpStatus ignored = {};

        /* The state is what Refresh is for; a lock that will not tell its features still
         * refreshed its state, so this step's failure is only logged. */
        if (op_check_reply(TTLOCK_CMD_SEARCH_DEVICE_FEATURE, error, reply, &ignored) >= 0 &&
            ttlock_feature_reply_decode(reply->data, reply->data_len, &f, NULL) >= 0) {
                op->result.have_features = true;
                op->result.features = f.features;
                op->result.have_battery = true;
                op->result.battery = f.battery;
        } else
                log_debug("SEARCH_DEVICE_FEATURE failed during Refresh (%d)", ignored.error);
        finish(op);
        return 0;
}

static int on_status(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        AccessOp *op = userdata;
        TTStatusReply s;
        int r;

        r = op_check_reply(TTLOCK_CMD_SEARCH_BICYCLE_STATUS, error, reply, &op->result.status);
        if (r < 0) {
                finish(op);
                return 0;
        }
        r = ttlock_status_reply_decode(reply->data, reply->data_len, &s, NULL);
        if (r < 0) {
                fail(op, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, r);
                return 0;
        }
        op->result.have_battery = true;
        op->result.battery = s.battery;
        if (s.state != TTLOCK_STATE_UNKNOWN) {
                op->result.have_state = true;
                op->result.state = s.state;
        }
        op->result.have_door = s.has_door_sensor;
        op->result.door = s.door_sensor;
        /* SEARCH_DEVICE_FEATURE has an empty request (§4.3). */
        r = link_job_send(
                op->job, TTLOCK_CMD_SEARCH_DEVICE_FEATURE, NULL, 0, op->keys.aes_key, 0, on_features, op);
        if (r < 0)
                finish(op); /* the state is known: Refresh did its job */
        return 0;
}

static void on_start(LinkJob *job, int error, void *userdata) {
        AccessOp *op = userdata;
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));

        if (error < 0) {
                op->job = NULL; /* the link has dropped the job already */
                return fail(op, 0, error);
        }
        if (op->action == ACCESS_REFRESH) {
                ttlock_status_request_encode(&w);
                return send(op, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, &w, 0, on_status);
        }
        send_challenge(op, /* admin= */ false);
}

int access_op_start(
        Link *link,
        AccessAction action,
        const OpKeys *keys,
        AccessDone done,
        void *userdata,
        AccessOp **ret) {
        AccessOp *op;
        int r;

        assert(link);

        op = calloc(1, sizeof(AccessOp));
        if (!op)
                return -ENOMEM;
        *op = (AccessOp){ .action = action, .keys = *keys, .done = done, .userdata = userdata };
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

void access_op_cancel(AccessOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_keys_wipe(&op->keys);
        free(op);
}
