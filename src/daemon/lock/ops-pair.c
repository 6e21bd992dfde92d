/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "credentials.h"
#include "info.h"
#include "log.h"
#include "macro.h"
#include "ops-login.h"
#include "ops-pair.h"
#include "ops-verify.h"
#include "pairing.h"
#include "settings.h"

typedef enum PairStep {
        STEP_GET_AES_KEY,
        STEP_ADD_ADMIN,
        STEP_PROBE,         /* ADD_ADMIN's answer was lost: does an admin login with the new keys work? */
        STEP_TIME_CALIBRATE,
        STEP_FEATURES,
        STEP_SWITCH,
        STEP_AUDIO,
        STEP_SHOW_PASSWORD,
        STEP_AUTO_LOCK,
        STEP_LAMP,
        STEP_GET_ADMIN_CODE,
        STEP_SET_ADMIN_CODE,
        STEP_INIT_PASSWORDS,
        STEP_REMOTE_UNLOCK,
        STEP_MODEL,
        STEP_HARDWARE,
        STEP_FIRMWARE,
        STEP_MANUFACTURE_DATE,
        STEP_OPERATE_FINISHED,
        _STEP_MAX,
} PairStep;

/* §5.1: 10-digit secrets starting with '0' in the official app, i.e. 0 … 999 999 999. */
#define PAIR_SECRET_LIMIT UINT32_C(1000000000)
#define ADMIN_PASSCODE_DIGITS 7

struct PairOp {
        LinkJob *job;
        PairStep step;
        /* The step a dropped link (or a reply that never came) cut short: from it on, what applies is
         * still to do (doc/protocol.md §5.6). _STEP_MAX when nothing was cut. */
        PairStep cut_at;
        /* pair_finish_op_start(): only the optional steps of these PAIRING_STEP_BIT()s, after a login. */
        bool finishing;
        uint32_t finish_pending;
        PairFinishYield yield;
        PairFinishDone finish_done;
        uint8_t key[TTLOCK_KEY_SIZE]; /* default key until GET_AES_KEY, then K */
        LockRecord *record;
        OpKeys keys; /* the new admin's, for the probe */
        PairOutcome outcome;
        bool have_features;
        char admin_code[ADMIN_PASSCODE_DIGITS + 1];
        OpStatus status;
        uint32_t last_bit; /* finishing: the group of the step sent last */
        PairSaveKeys save_keys;
        PairDone done;
        void *userdata;
};

static void op_free(PairOp *op) {
        erase_memory(op->key, sizeof(op->key));
        op_keys_wipe(&op->keys);
        erase_memory(op->admin_code, sizeof(op->admin_code));
        lock_record_free(op->record);
        free(op);
}

static uint32_t pending_from(PairOp *op, PairStep from);

static void finish(PairOp *op) {
        LinkJob *job = op->job;
        LockRecord *record;

        op->job = NULL;
        if (job)
                link_job_finish(job);
        if (op->finishing) {
                uint32_t left = pending_from(op, op->cut_at);

                if (op->finish_done)
                        op->finish_done(&op->status, op->finish_pending & ~left, left, op->record, op->userdata);
                op_free(op);
                return;
        }
        /* §5.6: what a dropped link left undone is retried at the next connections. */
        if (op->outcome == PAIR_ADMIN)
                op->record->pairing_pending = pending_from(op, op->cut_at);
        /* Without an admin on the lock there is nothing to hand over. */
        record = op->outcome != PAIR_NO_ADMIN ? TAKE_PTR(op->record) : NULL;
        if (op->done)
                op->done(&op->status, op->outcome, record, op->userdata);
        else
                lock_record_free(record);
        op_free(op);
}

static void fail(PairOp *op, uint8_t command, int error) {
        op_fail(&op->status, command, error);
        finish(op);
}

static bool has_feature(PairOp *op, unsigned bit) {
        return op->have_features && ttlock_features_has(&op->record->features, bit);
}

static uint32_t step_bit(PairStep s);

static bool step_applies(PairOp *op, PairStep s) {
        /* Finishing a pairing (§5.6): only what is still to do. */
        if (op->finishing && !(step_bit(s) & op->finish_pending))
                return false;
        switch (s) {
        case STEP_AUDIO:
                return has_feature(op, TTLOCK_FEATURE_AUDIO_MANAGEMENT);
        case STEP_SHOW_PASSWORD:
                return has_feature(op, TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE);
        case STEP_AUTO_LOCK:
                return has_feature(op, TTLOCK_FEATURE_AUTO_LOCK);
        case STEP_LAMP:
                return has_feature(op, TTLOCK_FEATURE_LAMP);
        case STEP_GET_ADMIN_CODE:
                return has_feature(op, TTLOCK_FEATURE_GET_ADMIN_CODE);
        case STEP_SET_ADMIN_CODE:
                /* §5.1 step 11: V3 sets one directly unless the lock can tell its own. */
                return !op->record->admin_passcode;
        case STEP_PROBE:
                /* Only when ADD_ADMIN's answer was lost (probe() goes there itself). */
                return false;
        case STEP_REMOTE_UNLOCK:
                return has_feature(op, TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK);
        default:
                return true;
        }
}

static uint8_t step_command(PairStep s) {
        static const uint8_t commands[_STEP_MAX] = {
                [STEP_GET_AES_KEY] = TTLOCK_CMD_GET_AES_KEY,
                [STEP_ADD_ADMIN] = TTLOCK_CMD_ADD_ADMIN,
                [STEP_PROBE] = TTLOCK_CMD_CHECK_ADMIN,
                [STEP_TIME_CALIBRATE] = TTLOCK_CMD_TIME_CALIBRATE,
                [STEP_FEATURES] = TTLOCK_CMD_SEARCH_DEVICE_FEATURE,
                [STEP_SWITCH] = TTLOCK_CMD_SWITCH,
                [STEP_AUDIO] = TTLOCK_CMD_AUDIO_MANAGE,
                [STEP_SHOW_PASSWORD] = TTLOCK_CMD_SHOW_PASSWORD,
                [STEP_AUTO_LOCK] = TTLOCK_CMD_AUTO_LOCK_MANAGE,
                [STEP_LAMP] = TTLOCK_CMD_LAMP,
                [STEP_GET_ADMIN_CODE] = TTLOCK_CMD_GET_ADMIN_CODE,
                [STEP_SET_ADMIN_CODE] = TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD,
                [STEP_INIT_PASSWORDS] = TTLOCK_CMD_INIT_PASSWORDS,
                [STEP_REMOTE_UNLOCK] = TTLOCK_CMD_CONTROL_REMOTE_UNLOCK,
                [STEP_MODEL] = TTLOCK_CMD_READ_DEVICE_INFO,
                [STEP_HARDWARE] = TTLOCK_CMD_READ_DEVICE_INFO,
                [STEP_FIRMWARE] = TTLOCK_CMD_READ_DEVICE_INFO,
                [STEP_MANUFACTURE_DATE] = TTLOCK_CMD_READ_DEVICE_INFO,
                [STEP_OPERATE_FINISHED] = TTLOCK_CMD_OPERATE_FINISHED,
        };
        return commands[s];
}

/* The pairing step (store.h, §5.6) a command of the sequence belongs to; 0 for those not retried:
 * SHOW_PASSWORD, LAMP and the manufacture date are read only to be logged, ttlockd keeps nothing of them. */
static uint32_t step_bit(PairStep s) {
        switch (s) {
        case STEP_TIME_CALIBRATE:
                return PAIRING_STEP_BIT(PAIRING_STEP_TIME);
        case STEP_FEATURES:
                return PAIRING_STEP_BIT(PAIRING_STEP_FEATURES);
        case STEP_SWITCH:
                return PAIRING_STEP_BIT(PAIRING_STEP_SWITCHES);
        case STEP_AUDIO:
                return PAIRING_STEP_BIT(PAIRING_STEP_SOUND);
        case STEP_AUTO_LOCK:
                return PAIRING_STEP_BIT(PAIRING_STEP_AUTO_LOCK);
        case STEP_GET_ADMIN_CODE:
        case STEP_SET_ADMIN_CODE:
                return PAIRING_STEP_BIT(PAIRING_STEP_ADMIN_PASSCODE);
        case STEP_INIT_PASSWORDS:
                return PAIRING_STEP_BIT(PAIRING_STEP_INIT_PASSCODES);
        case STEP_REMOTE_UNLOCK:
                return PAIRING_STEP_BIT(PAIRING_STEP_REMOTE_UNLOCK);
        case STEP_MODEL:
        case STEP_HARDWARE:
        case STEP_FIRMWARE:
                return PAIRING_STEP_BIT(PAIRING_STEP_DEVICE_INFO);
        case STEP_OPERATE_FINISHED:
                return PAIRING_STEP_BIT(PAIRING_STEP_FINISH);
        default:
                return 0;
        }
}

/* What is still to do when the sequence stops at step from: every step from there on that applies, or
 * may apply (a step that depends on the feature bits counts while they are not known). A group (the
 * admin passcode, the device information) is redone whole. */
static uint32_t pending_from(PairOp *op, PairStep from) {
        uint32_t bits = 0;

        for (PairStep s = MAX(from, STEP_TIME_CALIBRATE); s < _STEP_MAX; s++)
                if (step_applies(op, s) ||
                    (!op->have_features && s != STEP_SET_ADMIN_CODE && s != STEP_PROBE))
                        bits |= step_bit(s);
        return op->finishing ? bits & op->finish_pending : bits;
}

/* §4.3 INIT_PASSWORDS: ten years of seeds for the cloud's algorithmic passcodes, starting with this
 * year (the year before on 1 January). ttlockd hands out passcodes only explicitly (Credentials1),
 * never algorithmic ones, so the seeds are not kept: they only have to be unguessable, which also
 * retires whatever seeds the lock had from the factory. */
static int build_init_passwords(TTWriter *w) {
        TTInitPasswordsRequest q = {};
        TTDateTime now;
        uint32_t v, hi, lo;
        int r;

        r = op_lock_time_now(&now);
        if (r < 0)
                return r;
        q.year = (uint8_t) ((now.month == 1 && now.day == 1 ? now.year - 1 : now.year) % 100);
        for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++) {
                r = op_random_below(TTLOCK_PASSWORD_CODE_MAX + 1, &v);
                if (r < 0)
                        return r;
                q.entries[i].code = (uint16_t) v;
                /* 0 … 9 999 999 999, uniformly: two independent halves of five digits. */
                r = op_random_below(100000, &hi);
                if (r >= 0)
                        r = op_random_below(100000, &lo);
                if (r < 0)
                        return r;
                q.entries[i].secret = (uint64_t) hi * 100000 + lo;
        }
        r = ttlock_init_passwords_request_encode(w, &q);
        erase_memory(&q, sizeof(q));
        return r;
}

static int build_request(PairOp *op, TTWriter *w) {
        TTDateTime now;
        uint32_t v;
        int r;

        switch (op->step) {
        case STEP_GET_AES_KEY:
                ttlock_get_aes_key_request_encode(w);
                return 0;
        case STEP_ADD_ADMIN:
                ttlock_add_admin_request_encode(
                        w,
                        &(TTAddAdminRequest){
                                .admin_ps = op->record->admin_ps,
                                .unlock_key = op->record->unlock_key,
                        });
                return 0;
        case STEP_TIME_CALIBRATE:
                r = op_lock_time_now(&now);
                if (r < 0)
                        return r;
                return ttlock_time_calibrate_request_encode(w, &now);
        case STEP_FEATURES:
        case STEP_GET_ADMIN_CODE:
        case STEP_OPERATE_FINISHED:
                return 0; /* empty requests (§4.3) */
        case STEP_SWITCH:
                return ttlock_switch_request_encode(
                        w, &(TTSwitchRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_AUDIO:
                return ttlock_audio_request_encode(w, &(TTAudioRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_SHOW_PASSWORD:
                return ttlock_show_password_request_encode(
                        w, &(TTToggleRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_LAMP:
                return ttlock_lamp_request_encode(w, &(TTLampRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_INIT_PASSWORDS:
                return build_init_passwords(w);
        case STEP_AUTO_LOCK:
                return ttlock_auto_lock_request_encode(
                        w, &(TTAutoLockRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_REMOTE_UNLOCK:
                return ttlock_remote_unlock_request_encode(
                        w, &(TTToggleRequest){ .op = TTLOCK_SETTING_QUERY }, NULL);
        case STEP_SET_ADMIN_CODE:
                for (size_t i = 0; i < ADMIN_PASSCODE_DIGITS; i++) {
                        r = op_random_below(10, &v);
                        if (r < 0)
                                return r;
                        op->admin_code[i] = (char) ('0' + v);
                }
                op->admin_code[ADMIN_PASSCODE_DIGITS] = 0;
                return ttlock_set_admin_code_request_encode(w, op->admin_code, NULL);
        case STEP_MODEL:
                return ttlock_device_info_request_encode(w, TTLOCK_DEVICE_INFO_MODEL);
        case STEP_HARDWARE:
                return ttlock_device_info_request_encode(w, TTLOCK_DEVICE_INFO_HARDWARE_REVISION);
        case STEP_FIRMWARE:
                return ttlock_device_info_request_encode(w, TTLOCK_DEVICE_INFO_FIRMWARE_REVISION);
        case STEP_MANUFACTURE_DATE:
                return ttlock_device_info_request_encode(w, TTLOCK_DEVICE_INFO_MANUFACTURE_DATE);
        default:
                return -EINVAL;
        }
}

static void run_step(PairOp *op);

/* What an optional step learnt; < 0 when its reply does not decode (the step is then skipped). */
static int take_optional(PairOp *op, const TTReply *reply) {
        LockRecord *rec = op->record;
        int r;

        switch (op->step) {
        case STEP_FEATURES: {
                TTFeatureReply f;
                r = ttlock_feature_reply_decode(reply->data, reply->data_len, &f, NULL);
                if (r < 0)
                        return r;
                rec->features = f.features;
                rec->battery = f.battery;
                op->have_features = true;
                return 0;
        }
        case STEP_SWITCH: {
                TTSwitchReply s;
                r = ttlock_switch_reply_decode(reply->data, reply->data_len, &s, NULL);
                if (r < 0)
                        return r;
                if (s.items & TTLOCK_SWITCH_TAMPER_ALERT)
                        rec->tamper_alert = !!(s.values & TTLOCK_SWITCH_TAMPER_ALERT);
                if (s.items & TTLOCK_SWITCH_RESET_BUTTON)
                        rec->reset_button = !!(s.values & TTLOCK_SWITCH_RESET_BUTTON);
                if (s.items & TTLOCK_SWITCH_PRIVACY_LOCK)
                        rec->privacy_lock = !!(s.values & TTLOCK_SWITCH_PRIVACY_LOCK);
                return 0;
        }
        case STEP_AUDIO: {
                TTAudioReply a;
                r = ttlock_audio_reply_decode(reply->data, reply->data_len, &a, NULL);
                if (r < 0)
                        return r;
                rec->sound_enabled = a.enabled;
                rec->sound_volume = a.has_volume ? a.volume : 0;
                return 0;
        }
        case STEP_AUTO_LOCK: {
                TTAutoLockReply a;
                r = ttlock_auto_lock_reply_decode(reply->data, reply->data_len, &a, NULL);
                if (r < 0)
                        return r;
                rec->auto_lock_seconds = a.seconds;
                return 0;
        }
        /* The key store has no place for these (store.h); they are read because the official
         * sequence does (§5.1), and logged for whoever looks at a pairing. */
        case STEP_SHOW_PASSWORD: {
                TTToggleReply t;
                r = ttlock_show_password_reply_decode(reply->data, reply->data_len, &t, NULL);
                if (r < 0)
                        return r;
                log_debug("%s: passcodes %s on the screen", rec->address, t.enabled ? "shown" : "hidden");
                return 0;
        }
        case STEP_LAMP: {
                TTLampReply a;
                r = ttlock_lamp_reply_decode(reply->data, reply->data_len, &a, NULL);
                if (r < 0)
                        return r;
                log_debug("%s: lamp on for %u s", rec->address, a.seconds);
                return 0;
        }
        case STEP_MANUFACTURE_DATE: {
                TTDeviceInfoReply d;
                r = ttlock_device_info_reply_decode(reply->data, reply->data_len, &d, NULL);
                if (r < 0)
                        return r;
                log_info("%s: manufacture date %s", rec->address, d.text);
                return 0;
        }
        case STEP_REMOTE_UNLOCK: {
                TTToggleReply t;
                r = ttlock_remote_unlock_reply_decode(reply->data, reply->data_len, &t, NULL);
                if (r < 0)
                        return r;
                rec->remote_unlock = t.enabled;
                return 0;
        }
        case STEP_GET_ADMIN_CODE: {
                TTAdminCodeReply a;
                r = ttlock_admin_code_reply_decode(reply->data, reply->data_len, &a, NULL);
                if (r >= 0 && a.code[0])
                        r = lock_record_set_string(&rec->admin_passcode, a.code);
                erase_memory(&a, sizeof(a));
                return r;
        }
        case STEP_SET_ADMIN_CODE:
                return lock_record_set_string(&rec->admin_passcode, op->admin_code);
        case STEP_MODEL:
        case STEP_HARDWARE:
        case STEP_FIRMWARE: {
                TTDeviceInfoReply d;
                r = ttlock_device_info_reply_decode(reply->data, reply->data_len, &d, NULL);
                if (r < 0)
                        return r;
                return lock_record_set_string(
                        op->step == STEP_MODEL              ? &rec->model
                                : op->step == STEP_HARDWARE ? &rec->hardware_revision
                                                            : &rec->firmware_revision,
                        d.text);
        }
        default:
                return 0;
        }
}

/* The lock took our admin: the keys lose their provisional mark on disk, then pairing goes on. */
static void admin_taken(PairOp *op) {
        int r;

        op->outcome = PAIR_ADMIN;
        op->status = (OpStatus){};
        r = op->save_keys ? op->save_keys(op->record, /* provisional= */ false, op->userdata) : 0;
        if (r < 0)
                /* They are on disk, marked provisional: the next contact confirms them (ops-verify.h). */
                log_warning_errno(r, "%s: cannot confirm the new keys on disk (they stay provisional): %m",
                                  op->record->address);
        op->step = STEP_PROBE + 1;
        run_step(op);
}

static int on_probe_random(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        PairOp *op = userdata;
        OpStatus st;

        (void) op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &st);
        switch (verify_verdict(&st)) {
        case VERIFY_ACCEPTED:
                log_info("%s: ADD_ADMIN's answer was lost, but the new admin logs in: the lock took it.",
                         op->record->address);
                admin_taken(op);
                return 0;
        case VERIFY_REFUSED:
                op->outcome = PAIR_NO_ADMIN;
                break;
        case VERIFY_UNKNOWN:
                break;
        }
        op->status = st;
        finish(op);
        return 0;
}

static int on_probe_admin(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        PairOp *op = userdata;
        OpStatus st;

        if (op_login_send_random(job, &op->keys, error, reply, &st, on_probe_random, op) >= 0)
                return 0;
        if (verify_verdict(&st) == VERIFY_REFUSED)
                /* §5.2: the lock does not know this admin — ADD_ADMIN never reached it. */
                op->outcome = PAIR_NO_ADMIN;
        op->status = st;
        finish(op);
        return 0;
}

/* ADD_ADMIN went out and its answer did not come back readable: the lock may have taken the admin.
 * Sending it again cannot tell (a lock with an admin answers it with no data, like one out of setting
 * mode, §2.4); logging in as the new admin can. */
static void probe(PairOp *op, int error) {
        int r;

        op->outcome = PAIR_ADMIN_UNKNOWN;
        op_fail(&op->status, TTLOCK_CMD_ADD_ADMIN, error);
        if (error == -ENOTCONN || error == -ECANCELED) {
                finish(op);
                return;
        }
        op->step = STEP_PROBE;
        r = op_login_send_admin(op->job, &op->keys, on_probe_admin, op);
        if (r < 0)
                finish(op);
}

static int on_reply(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        PairOp *op = userdata;
        uint8_t command = step_command(op->step);
        OpStatus st;
        int r;

        if (op->step == STEP_ADD_ADMIN && error == -ENODATA) {
                /* §2.4: an ADD_ADMIN reply without data = "not in setting mode". ADD_ADMIN is sent once
                 * only (LINK_SEND_NO_RESEND), so this is not a lock answering our own second copy. */
                op->status = (OpStatus){ .error = -EREMOTEIO,
                                         .command = command,
                                         .lock_error = 0x07 /* LOCK_IS_IN_NO_SETTING_MODE */ };
                op->outcome = PAIR_NO_ADMIN;
                finish(op);
                return 0;
        }

        r = op_check_reply(command, error, reply, &st);
        switch (op->step) {
        case STEP_GET_AES_KEY:
                if (r >= 0)
                        r = ttlock_get_aes_key_reply_decode(reply->data, reply->data_len, op->key, NULL);
                if (r < 0) {
                        if (r == -EREMOTEIO)
                                op->status = st;
                        else
                                op_fail(&op->status, command, r);
                        finish(op);
                        return 0;
                }
                memcpy(op->record->aes_key, op->key, TTLOCK_KEY_SIZE);
                op_keys_from_record(&op->keys, op->record);
                break;

        case STEP_ADD_ADMIN:
                if (r >= 0)
                        /* The official app refuses a reply without "SCIENER" (§4.3). */
                        r = ttlock_add_admin_reply_decode(reply->data, reply->data_len, NULL);
                if (r == -EREMOTEIO) {
                        /* The lock said no: it has no admin of ours. */
                        op->status = st;
                        op->outcome = PAIR_NO_ADMIN;
                        finish(op);
                        return 0;
                }
                if (r < 0) {
                        /* Lost, late or garbled: the lock may have taken it. */
                        probe(op, r == -ETIMEDOUT || r == -ENOTCONN || r == -ECANCELED ? r : -EBADMSG);
                        return 0;
                }
                admin_taken(op);
                return 0;

        case STEP_OPERATE_FINISHED:
                if (r < 0)
                        log_warning(
                                "%s: OPERATE_FINISHED failed (%d/0x%02x); the lock has our admin anyway.",
                                op->record->address,
                                r,
                                st.lock_error);
                if (r == -ENOTCONN || r == -ETIMEDOUT || r == -ECANCELED)
                        op->cut_at = STEP_OPERATE_FINISHED; /* its answer never came: again later */
                op->step++;
                finish(op);
                return 0;

        default:
                if (r >= 0)
                        r = take_optional(op, reply);
                if (r < 0 && r != -ENOTCONN && r != -ETIMEDOUT && r != -ECANCELED)
                        /* §5.1/§9.5: optional steps fail on some firmware; pairing goes on. */
                        log_info(
                                "%s: optional pairing step %s failed (%d/0x%02x), continuing.",
                                op->record->address,
                                ttlock_command_name(command) ?: "?",
                                r,
                                r == -EREMOTEIO ? st.lock_error : 0);
                else if (r < 0)
                        log_info("%s: optional pairing step %s got no answer (%d); it and the steps after it "
                                 "are left for a later connection.",
                                 op->record->address, ttlock_command_name(command) ?: "?", r);
                if (r == -ENOTCONN || r == -ETIMEDOUT || r == -ECANCELED) {
                        /* Nothing more will get through this connection; what we have is enough. What
                         * is left is retried at the next connections (§5.6). */
                        op->cut_at = op->step;
                        op->step = _STEP_MAX;
                        finish(op);
                        return 0;
                }
                break;
        }
        op->step++;
        run_step(op);
        return 0;
}

static void run_step(PairOp *op) {
        uint8_t buf[64];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;
        int r;

        while (op->step < _STEP_MAX && !step_applies(op, op->step))
                op->step++;
        if (op->step >= _STEP_MAX) {
                finish(op);
                return;
        }
        /* Finishing (§5.6) never keeps a caller waiting longer than one step: at the start of a group,
         * if a call waits for the link, the rest is for later. */
        if (op->finishing && step_bit(op->step) != op->last_bit && op->last_bit != 0 && op->yield &&
            op->yield(op->userdata)) {
                op->cut_at = op->step;
                finish(op);
                return;
        }
        op->last_bit = step_bit(op->step);

        if (op->step == STEP_ADD_ADMIN && op->save_keys) {
                /* Until the optional steps have run, they are all still to do (§5.6). */
                op->record->pairing_pending = PAIRING_STEPS_ALL;
                /* Every secret is known now: on disk before the lock may take them. */
                r = op->save_keys(op->record, /* provisional= */ true, op->userdata);
                if (r < 0) {
                        (void) op_refuse(&op->status, OP_REFUSAL_NOT_SAVED, r,
                                         "Cannot store the new keys, so they were not given to the lock");
                        finish(op);
                        return;
                }
        }

        r = build_request(op, &w);
        if (r >= 0)
                r = tt_writer_finish(&w, &len, NULL);
        if (r >= 0)
                r = link_job_send_full(op->job, step_command(op->step), buf, len, op->key, 0,
                                       op->step == STEP_ADD_ADMIN ? LINK_SEND_NO_RESEND : 0, on_reply, op);
        erase_memory(buf, sizeof(buf));
        if (r < 0) {
                if (op->step > STEP_ADD_ADMIN && r != -ENOTCONN && r != -ECANCELED) {
                        log_info(
                                "%s: cannot send optional pairing step %s: %d",
                                op->record->address,
                                ttlock_command_name(step_command(op->step)) ?: "?",
                                r);
                        op->step++;
                        run_step(op);
                        return;
                }
                if (op->step > STEP_ADD_ADMIN)
                        op->cut_at = op->step;
                fail(op, step_command(op->step), r);
        }
}

static int on_finish_login_random(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        PairOp *op = userdata;

        if (op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &op->status) < 0) {
                finish(op); /* cut_at is where it started: nothing was done */
                return 0;
        }
        op->step = STEP_TIME_CALIBRATE;
        op->cut_at = _STEP_MAX; /* from now on, a cut says where */
        run_step(op);
        return 0;
}

static int on_finish_login_admin(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        PairOp *op = userdata;

        if (op_login_send_random(job, &op->keys, error, reply, &op->status, on_finish_login_random, op) < 0)
                finish(op);
        return 0;
}

static void on_start(LinkJob *job, int error, void *userdata) {
        PairOp *op = userdata;
        int r;

        if (error < 0) {
                op->job = NULL;
                fail(op, 0, error);
                return;
        }
        if (op->finishing) {
                /* A new connection: the admin logs in first (§5.2), as for any setting. */
                r = op_login_send_admin(job, &op->keys, on_finish_login_admin, op);
                if (r < 0)
                        fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
                return;
        }
        run_step(op);
}

int pair_op_start(
        Link *link,
        const char *address,
        PairSaveKeys save_keys,
        PairDone done,
        void *userdata,
        PairOp **ret) {
        PairOp *op;
        int r;

        assert(link);

        op = calloc(1, sizeof(PairOp));
        if (!op)
                return -ENOMEM;
        *op = (PairOp){ .save_keys = save_keys, .done = done, .userdata = userdata, .cut_at = _STEP_MAX };
        memcpy(op->key, ttlock_default_key, TTLOCK_KEY_SIZE);

        r = lock_record_new(address, &op->record);
        if (r < 0)
                goto fail;
        r = op_random_below(PAIR_SECRET_LIMIT, &op->record->admin_ps);
        if (r < 0)
                goto fail;
        r = op_random_below(PAIR_SECRET_LIMIT, &op->record->unlock_key);
        if (r < 0)
                goto fail;
        /* Locally paired: lockFlagPos 0, uid 0 (§4.3 CHECK_ADMIN); the version tuple we send (§2.1). */
        op->record->lock_flag_pos = 0;
        op->record->uid = 0;
        op->record->protocol_type = 5;
        op->record->sub_version = 3;
        op->record->scene = 1;
        op->record->group_id = 1;
        op->record->org_id = 1;

        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0)
                goto fail;
        return 0;

fail:
        op_free(op);
        return r;
}

int pair_finish_op_start(Link *link, const LockRecord *record, PairFinishYield yield, PairFinishDone done,
                         void *userdata, PairOp **ret) {
        PairOp *op;
        int r;

        assert(link);
        assert(record);

        op = calloc(1, sizeof(PairOp));
        if (!op)
                return -ENOMEM;
        *op = (PairOp){
                .finishing = true,
                .finish_pending = record->pairing_pending & PAIRING_STEPS_ALL,
                .yield = yield,
                .finish_done = done,
                .userdata = userdata,
                .step = STEP_TIME_CALIBRATE,
                .cut_at = STEP_TIME_CALIBRATE, /* until the login went through, nothing is done */
        };
        /* A record of its own to learn into: the lock's takes what finished (PairFinishDone). */
        r = lock_record_new(record->address, &op->record);
        if (r < 0)
                goto fail;
        memcpy(op->record->aes_key, record->aes_key, sizeof(record->aes_key));
        op->record->admin_ps = record->admin_ps;
        op->record->unlock_key = record->unlock_key;
        op->record->lock_flag_pos = record->lock_flag_pos;
        op->record->uid = record->uid;
        op->record->features = record->features;
        op->have_features = record->features.n_groups > 0 &&
                !(op->finish_pending & PAIRING_STEP_BIT(PAIRING_STEP_FEATURES));
        r = lock_record_set_string(&op->record->admin_passcode, record->admin_passcode);
        if (r < 0)
                goto fail;
        memcpy(op->key, record->aes_key, TTLOCK_KEY_SIZE);
        op_keys_from_record(&op->keys, record);
        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0)
                goto fail;
        return 0;

fail:
        op_free(op);
        return r;
}

void pair_op_cancel(PairOp *op) {
        if (!op)
                return;
        if (op->job)
                link_job_cancel(op->job);
        op_free(op);
}
