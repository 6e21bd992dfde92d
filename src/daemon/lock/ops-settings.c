/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "info.h"
#include "lock-error.h"
#include "log.h"
#include "macro.h"
#include "ops-login.h"
#include "ops-settings.h"
#include "pairing.h"

/* A bound on query pages: §4.3 pages passage mode with a one-byte cursor. */
#define PASSAGE_PAGES_MAX 64U

typedef enum Step {
        STEP_CLOCK_READ,
        STEP_LOGIN_ADMIN,
        STEP_LOGIN_RANDOM,
        STEP_SET,
        STEP_SWITCH_QUERY,
        STEP_SWITCH_SET,
        STEP_PASSAGE_QUERY,
        STEP_PASSAGE_CLEAR,
        STEP_PASSAGE_ADD,
        STEP_PASSAGE_DELETE,
        STEP_CALIBRATE,
        STEP_CLOCK_READ_AFTER,
        STEP_ADMIN_CODE_GET,
        STEP_ADMIN_CODE_SET,
} Step;

struct SettingsOp {
        SettingsRequest req;
        OpKeys keys;
        LinkJob *job;
        Step step;
        uint8_t command; /* in flight */
        uint8_t passage_seq;
        size_t next_record;
        unsigned pages;
        SettingsResult result;
        SettingsDone done;
        void *userdata;
};

void settings_passage_now_record(TTPassageModeRecord *ret) {
        assert(ret);

        /* §4.8: all day, every day, in the very bytes [BZ] switches passage mode on with: weekday 0
         * ("every day") and 7F in the month byte (a mask of all weekdays, as [BZ] reads it). */
        *ret = (TTPassageModeRecord){
                .type = TTLOCK_PASSAGE_MODE_WEEKLY,
                .week_or_day = 0,
                .month = 0x7F,
                .end_hour = 23,
                .end_minute = 59,
        };
}

bool settings_passage_record_is_now(const TTPassageModeRecord *r) {
        TTPassageModeRecord now;

        assert(r);

        settings_passage_now_record(&now);
        /* The month byte is carried unchecked (§4.3): not part of what makes the record ours. */
        return r->type == now.type && r->week_or_day == now.week_or_day && r->start_hour == now.start_hour &&
                r->start_minute == now.start_minute && r->end_hour == now.end_hour &&
                r->end_minute == now.end_minute;
}

int64_t settings_clock_offset(const TTDateTime *lock_time) {
        assert(lock_time);

        return (int64_t) (op_lock_time_to_usec(lock_time) / USEC_PER_SEC) - (int64_t) time(NULL);
}

static void finish(SettingsOp *op) {
        SettingsDone done = op->done;
        void *userdata = op->userdata;
        LinkJob *job = op->job;
        SettingsResult *result = malloc(sizeof(SettingsResult));

        if (result)
                *result = op->result;
        op_keys_wipe(&op->keys);
        erase_memory(op->req.admin_code, sizeof(op->req.admin_code));
        free(op);
        if (job)
                link_job_finish(job);
        if (done) {
                if (result)
                        done(result, userdata);
                else {
                        SettingsResult oom = { .status = { .error = -ENOMEM } };
                        done(&oom, userdata);
                }
        }
        if (result) {
                erase_memory(result->admin_code, sizeof(result->admin_code));
                free(result);
        }
}

static void fail(SettingsOp *op, uint8_t command, int error) {
        op_fail(&op->result.status, command, error);
        finish(op);
}

static int on_reply(LinkJob *job, int error, const TTReply *reply, void *userdata);

/* Sends w's bytes; on failure finishes. Callers return right after: the handler may already have
 * run (and freed op) inside link_job_send(). */
static void send(SettingsOp *op, Step step, uint8_t command, const TTWriter *w) {
        size_t len = 0;
        int r = 0;

        op->step = step;
        op->command = command;
        if (w)
                r = tt_writer_finish(w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, command, w ? w->buf : NULL, len, op->keys.aes_key, 0, on_reply, op);
        if (r < 0)
                fail(op, command, r);
}

static void login(SettingsOp *op) {
        int r;

        op->step = STEP_LOGIN_ADMIN;
        op->command = TTLOCK_CMD_CHECK_ADMIN;
        r = op_login_send_admin(op->job, &op->keys, on_reply, op);
        if (r < 0)
                fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
}

static void send_passage_add(SettingsOp *op) {
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        if (op->next_record >= op->req.n_records)
                return finish(op);
        r = ttlock_passage_mode_request_encode(
                &w,
                &(TTPassageModeRequest){
                        .op = TTLOCK_PASSAGE_MODE_ADD,
                        .record = op->req.records[op->next_record++],
                },
                NULL);
        if (r < 0)
                return fail(op, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, r);
        send(op, STEP_PASSAGE_ADD, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, &w);
}

static void send_passage_query(SettingsOp *op) {
        uint8_t buf[4];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        r = ttlock_passage_mode_request_encode(
                &w,
                &(TTPassageModeRequest){ .op = TTLOCK_PASSAGE_MODE_QUERY, .seq = op->passage_seq },
                NULL);
        if (r < 0)
                return fail(op, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, r);
        send(op, STEP_PASSAGE_QUERY, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, &w);
}

static void send_clock_read(SettingsOp *op, Step step) {
        /* GET_LOCK_TIME has an empty request (§4.3). */
        send(op, step, TTLOCK_CMD_GET_LOCK_TIME, NULL);
}

/* After the login: the action's first command. */
static void run(SettingsOp *op) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        const SettingsRequest *q = &op->req;
        TTDateTime now;
        int r;

        switch (q->action) {
        case SETTINGS_AUTO_LOCK:
                r = ttlock_auto_lock_request_encode(
                        &w, &(TTAutoLockRequest){ .op = TTLOCK_SETTING_SET, .seconds = q->seconds }, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_AUTO_LOCK_MANAGE, r);
                return send(op, STEP_SET, TTLOCK_CMD_AUTO_LOCK_MANAGE, &w);

        case SETTINGS_SOUND:
                /* §4.3: the long form [02][01][volume][language] exists only with sound on. */
                r = ttlock_audio_request_encode(
                        &w,
                        &(TTAudioRequest){
                                .op = TTLOCK_SETTING_SET,
                                .enabled = q->enabled,
                                .has_volume = q->enabled && q->volume > 0,
                                .volume = q->volume,
                        },
                        NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_AUDIO_MANAGE, r);
                return send(op, STEP_SET, TTLOCK_CMD_AUDIO_MANAGE, &w);

        case SETTINGS_REMOTE_UNLOCK:
                r = ttlock_remote_unlock_request_encode(
                        &w, &(TTToggleRequest){ .op = TTLOCK_SETTING_SET, .enabled = q->enabled }, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_CONTROL_REMOTE_UNLOCK, r);
                return send(op, STEP_SET, TTLOCK_CMD_CONTROL_REMOTE_UNLOCK, &w);

        case SETTINGS_FREEZE:
                r = ttlock_freeze_request_encode(
                        &w, &(TTToggleRequest){ .op = TTLOCK_SETTING_SET, .enabled = q->enabled }, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_FREEZE_LOCK, r);
                return send(op, STEP_SET, TTLOCK_CMD_FREEZE_LOCK, &w);

        case SETTINGS_PASSAGE_NOW: {
                TTPassageModeRequest p = { .op = TTLOCK_PASSAGE_MODE_DELETE };

                if (q->enabled) {
                        /* One add, as SETTINGS_PASSAGE_SET sends them. */
                        settings_passage_now_record(&op->req.records[0]);
                        op->req.n_records = 1;
                        op->next_record = 0;
                        return send_passage_add(op);
                }
                settings_passage_now_record(&p.record);
                r = ttlock_passage_mode_request_encode(&w, &p, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, r);
                return send(op, STEP_PASSAGE_DELETE, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, &w);
        }

        case SETTINGS_SWITCH:
                /* §4.3 SWITCH: read-modify-write, the values word speaks for several items. */
                r = ttlock_switch_request_encode(&w, &(TTSwitchRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_SWITCH, r);
                return send(op, STEP_SWITCH_QUERY, TTLOCK_CMD_SWITCH, &w);

        case SETTINGS_PASSAGE_GET:
                op->passage_seq = 0;
                return send_passage_query(op);

        case SETTINGS_PASSAGE_SET:
                r = ttlock_passage_mode_request_encode(
                        &w, &(TTPassageModeRequest){ .op = TTLOCK_PASSAGE_MODE_CLEAR }, NULL);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, r);
                return send(op, STEP_PASSAGE_CLEAR, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, &w);

        case SETTINGS_CLOCK_CHECK:
        case SETTINGS_CLOCK_SYNC:
                r = op_lock_time_now(&now);
                if (r >= 0)
                        r = ttlock_time_calibrate_request_encode(&w, &now);
                if (r < 0)
                        return fail(op, TTLOCK_CMD_TIME_CALIBRATE, r);
                return send(op, STEP_CALIBRATE, TTLOCK_CMD_TIME_CALIBRATE, &w);

        case SETTINGS_ADMIN_CODE_GET:
                return send(op, STEP_ADMIN_CODE_GET, TTLOCK_CMD_GET_ADMIN_CODE, NULL);

        case SETTINGS_ADMIN_CODE_SET:
                r = ttlock_set_admin_code_request_encode(&w, q->admin_code, NULL);
                if (r < 0) {
                        erase_memory(buf, sizeof(buf));
                        return fail(op, TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD, r);
                }
                send(op, STEP_ADMIN_CODE_SET, TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD, &w);
                erase_memory(buf, sizeof(buf));
                return;

        default:
                return fail(op, 0, -EINVAL);
        }
}

static void take_battery(SettingsOp *op, uint8_t battery) {
        if (battery > 100)
                return;
        op->result.have_battery = true;
        op->result.battery = battery;
}

static int on_step(SettingsOp *op, const TTReply *reply) {
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        const uint8_t *d = reply->data;
        size_t n = reply->data_len;
        int r;

        switch (op->step) {
        case STEP_SET: {
                TTAutoLockReply a;
                TTAudioReply s;
                TTToggleReply t;

                if (op->command == TTLOCK_CMD_AUTO_LOCK_MANAGE) {
                        r = ttlock_auto_lock_reply_decode(d, n, &a, NULL);
                        if (r >= 0)
                                take_battery(op, a.battery);
                } else if (op->command == TTLOCK_CMD_AUDIO_MANAGE) {
                        r = ttlock_audio_reply_decode(d, n, &s, NULL);
                        if (r >= 0)
                                take_battery(op, s.battery);
                } else {
                        /* CONTROL_REMOTE_UNLOCK and FREEZE_LOCK answer alike (§4.3). */
                        r = op->command == TTLOCK_CMD_FREEZE_LOCK
                                ? ttlock_freeze_reply_decode(d, n, &t, NULL)
                                : ttlock_remote_unlock_reply_decode(d, n, &t, NULL);
                        if (r >= 0)
                                take_battery(op, t.battery);
                }
                if (r < 0)
                        return r;
                finish(op);
                return 0;
        }

        case STEP_SWITCH_QUERY: {
                TTSwitchReply s;
                uint32_t values;

                r = ttlock_switch_reply_decode(d, n, &s, NULL);
                if (r < 0)
                        return r;
                take_battery(op, s.battery);
                if (!(s.items & op->req.switch_item)) {
                        fail(op, TTLOCK_CMD_SWITCH, -EOPNOTSUPP);
                        return 0;
                }
                values = op->req.enabled ? s.values | op->req.switch_item : s.values & ~op->req.switch_item;
                op->result.switch_values = values;
                r = ttlock_switch_request_encode(
                        &w,
                        &(TTSwitchRequest){ .op = TTLOCK_SETTING_SET, .items = s.items, .values = values },
                        NULL);
                if (r < 0)
                        return r;
                send(op, STEP_SWITCH_SET, TTLOCK_CMD_SWITCH, &w);
                return 0;
        }

        case STEP_SWITCH_SET: {
                TTSwitchReply s;

                r = ttlock_switch_reply_decode(d, n, &s, NULL);
                if (r < 0)
                        return r;
                take_battery(op, s.battery);
                finish(op);
                return 0;
        }

        case STEP_PASSAGE_QUERY: {
                TTPassageModeReply *p = malloc(sizeof(TTPassageModeReply));
                uint8_t next;

                if (!p)
                        return -ENOMEM;
                r = ttlock_passage_mode_reply_decode(d, n, p, NULL);
                if (r < 0) {
                        free(p);
                        return r;
                }
                take_battery(op, p->battery);
                if (op->result.n_records + p->n_records > SETTINGS_PASSAGE_RECORDS_MAX) {
                        free(p);
                        return -E2BIG;
                }
                memcpy(op->result.records + op->result.n_records,
                       p->records,
                       p->n_records * sizeof(TTPassageModeRecord));
                op->result.n_records += p->n_records;
                next = p->next_seq;
                free(p);
                /* FF ends the list (§4.3); a cursor that does not advance would loop forever. */
                if (next == TTLOCK_PASSAGE_MODE_SEQ_DONE || next <= op->passage_seq ||
                    ++op->pages >= PASSAGE_PAGES_MAX) {
                        finish(op);
                        return 0;
                }
                op->passage_seq = next;
                send_passage_query(op);
                return 0;
        }

        case STEP_PASSAGE_CLEAR:
        case STEP_PASSAGE_ADD:
        case STEP_PASSAGE_DELETE: {
                TTPassageModeReply *p = malloc(sizeof(TTPassageModeReply));

                if (!p)
                        return -ENOMEM;
                r = ttlock_passage_mode_reply_decode(d, n, p, NULL);
                if (r >= 0)
                        take_battery(op, p->battery);
                free(p);
                if (r < 0)
                        return r;
                if (op->step == STEP_PASSAGE_DELETE)
                        finish(op);
                else
                        send_passage_add(op);
                return 0;
        }

        case STEP_CLOCK_READ:
        case STEP_CLOCK_READ_AFTER: {
                TTDateTime t;
                int64_t offset;

                r = ttlock_lock_time_reply_decode(d, n, &t, NULL);
                if (r < 0)
                        return r;
                offset = settings_clock_offset(&t);
                op->result.have_clock_offset = true;
                op->result.clock_offset_sec = offset;
                if (op->step == STEP_CLOCK_READ_AFTER ||
                    (op->req.action == SETTINGS_CLOCK_CHECK &&
                     llabs(offset) <= op->req.clock_tolerance_sec)) {
                        finish(op);
                        return 0;
                }
                log_debug("Lock clock is %+lld s off, calibrating.", (long long) offset);
                login(op);
                return 0;
        }

        case STEP_CALIBRATE:
                op->result.calibrated = true;
                send_clock_read(op, STEP_CLOCK_READ_AFTER);
                return 0;

        case STEP_ADMIN_CODE_GET: {
                TTAdminCodeReply a;

                r = ttlock_admin_code_reply_decode(d, n, &a, NULL);
                if (r < 0)
                        return r;
                take_battery(op, a.battery);
                memcpy(op->result.admin_code, a.code, sizeof(a.code));
                erase_memory(&a, sizeof(a));
                finish(op);
                return 0;
        }

        case STEP_ADMIN_CODE_SET: {
                TTSetAdminCodeReply a;

                r = ttlock_set_admin_code_reply_decode(d, n, &a, NULL);
                if (r < 0)
                        return r;
                if (a.has_battery)
                        take_battery(op, a.battery);
                finish(op);
                return 0;
        }

        default:
                return -EINVAL;
        }
}

static int on_reply(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        SettingsOp *op = userdata;
        int r;

        switch (op->step) {
        case STEP_LOGIN_ADMIN:
                op->step = STEP_LOGIN_RANDOM;
                op->command = TTLOCK_CMD_CHECK_RANDOM;
                r = op_login_send_random(job, &op->keys, error, reply, &op->result.status, on_reply, op);
                if (r < 0)
                        finish(op);
                return 0;

        case STEP_LOGIN_RANDOM:
                if (op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &op->result.status) < 0)
                        finish(op);
                else
                        run(op);
                return 0;

        default:
                break;
        }

        r = op_check_reply(op->command, error, reply, &op->result.status);
        if (r < 0) {
                /* §9.5: not every lock has SWITCH; it answers INVALID_COMMAND. */
                if (op->command == TTLOCK_CMD_SWITCH && r == -EREMOTEIO &&
                    op->result.status.lock_error == TTLOCK_ERR_INVALID_COMMAND)
                        op->result.status.error = -EOPNOTSUPP;
                /* §4.8: passage mode "now" that is not on is off already. */
                else if (
                        op->step == STEP_PASSAGE_DELETE && r == -EREMOTEIO &&
                        op->result.status.lock_error == TTLOCK_ERR_RECORD_NOT_EXIST)
                        op->result.status = (OpStatus){};
                finish(op);
                return 0;
        }
        r = on_step(op, reply);
        if (r < 0)
                fail(op, op->command, r);
        return 0;
}

static void on_start(LinkJob *job, int error, void *userdata) {
        SettingsOp *op = userdata;

        if (error < 0) {
                op->job = NULL; /* the link has dropped the job already */
                return fail(op, 0, error);
        }
        /* §4.3 GET_LOCK_TIME needs no login: a clock that is right costs one command. */
        if (op->req.action == SETTINGS_CLOCK_CHECK || op->req.action == SETTINGS_CLOCK_SYNC)
                return send_clock_read(op, STEP_CLOCK_READ);
        login(op);
}

int settings_op_start(
        Link *link,
        const OpKeys *keys,
        const SettingsRequest *req,
        SettingsDone done,
        void *userdata,
        SettingsOp **ret) {
        SettingsOp *op;
        int r;

        assert(link);

        if (req->action >= _SETTINGS_ACTION_MAX || req->n_records > SETTINGS_PASSAGE_RECORDS_MAX)
                return -EINVAL;
        op = calloc(1, sizeof(SettingsOp));
        if (!op)
                return -ENOMEM;
        op->req = *req;
        op->keys = *keys;
        op->done = done;
        op->userdata = userdata;
        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0) {
                op_keys_wipe(&op->keys);
                erase_memory(op, sizeof(*op));
                free(op);
                return r;
        }
        return 0;
}

void settings_op_cancel(SettingsOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_keys_wipe(&op->keys);
        erase_memory(op, sizeof(*op));
        free(op);
}
