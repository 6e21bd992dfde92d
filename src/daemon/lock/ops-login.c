/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>

#include "access.h"
#include "command.h"
#include "ops-login.h"

int op_login_send_admin(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata) {
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        assert(job);

        /* §4.3 CHECK_ADMIN: adminPs ‖ lockFlagPos (3) ‖ uid. */
        r = ttlock_check_admin_request_encode(
                &w,
                &(TTCheckAdminRequest){
                        .admin_ps = keys->admin_ps,
                        .lock_flag_pos = keys->lock_flag_pos,
                        .uid = keys->uid,
                });
        if (r >= 0)
                r = tt_writer_finish(&w, &len, NULL);
        if (r < 0)
                return r;
        return link_job_send(job, TTLOCK_CMD_CHECK_ADMIN, buf, len, keys->aes_key, 0, handler, userdata);
}

int op_login_send_user(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTDateTime start, end;
        size_t len;
        int r;

        assert(job);

        /* §4.3 CHECK_USER_TIME: start ‖ end (yyMMddHHmm) ‖ lockFlagPos (3) ‖ uid. */
        op_keys_window(keys, &start, &end);
        r = ttlock_check_user_time_request_encode(
                &w,
                &(TTCheckUserTimeRequest){
                        .start = start,
                        .end = end,
                        .lock_flag_pos = keys->lock_flag_pos,
                        .uid = keys->uid,
                });
        if (r >= 0)
                r = tt_writer_finish(&w, &len, NULL);
        if (r < 0)
                return r;
        return link_job_send(job, TTLOCK_CMD_CHECK_USER_TIME, buf, len, keys->aes_key, 0, handler, userdata);
}

uint8_t op_login_challenge(const OpKeys *keys) {
        return keys->user ? TTLOCK_CMD_CHECK_USER_TIME : TTLOCK_CMD_CHECK_ADMIN;
}

int op_login_send(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata) {
        return keys->user ? op_login_send_user(job, keys, handler, userdata)
                          : op_login_send_admin(job, keys, handler, userdata);
}

int op_login_send_random(
        LinkJob *job,
        const OpKeys *keys,
        int error,
        const TTReply *reply,
        OpStatus *st,
        LinkReplyHandler handler,
        void *userdata) {
        TTChallengeReply c;
        uint8_t buf[8];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        assert(job);

        r = op_check_reply(op_login_challenge(keys), error, reply, st);
        if (r < 0)
                return r;
        r = ttlock_challenge_reply_decode(reply->data, reply->data_len, &c, NULL);
        if (r < 0)
                return op_fail(st, op_login_challenge(keys), r);
        /* §4.3 CHECK_RANDOM: (psFromLock + unlockKey) mod 2³². */
        ttlock_check_random_request_encode(&w, ttlock_unlock_sum(c.ps_from_lock, keys->unlock_key));
        r = tt_writer_finish(&w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        job, TTLOCK_CMD_CHECK_RANDOM, buf, len, keys->aes_key, 0, handler, userdata);
        if (r < 0)
                return op_fail(st, TTLOCK_CMD_CHECK_RANDOM, r);
        return 0;
}
