/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "credentials-object.h"
#include "errors.h"
#include "feature-bits.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "ops-settings.h"
#include "settings-object.h"

#define PASSAGE_ENTRIES_MAX 32U
#define MINUTES_PER_DAY 1440U

typedef struct SettingsCall SettingsCall;
struct SettingsCall {
        LockObject *lock;
        SettingsRequest req;
        SettingsOp *op;
        sd_bus_message *call; /* NULL for the automatic clock check */
        SettingsCall *next;
};

struct SettingsState {
        SettingsCall *calls;
        size_t n_calls;
        bool clock_check_running;
        uint64_t clock_checked_usec; /* realtime of the last automatic check, for the debug log */
        bool have_clock_offset;
        int64_t clock_offset_sec;
};

static SettingsState *state(LockObject *l) {
        if (!l->settings)
                l->settings = calloc(1, sizeof(SettingsState));
        return l->settings;
}

static void call_free(SettingsCall *c) {
        SettingsState *s = c->lock->settings;

        if (s)
                for (SettingsCall **p = &s->calls; *p; p = &(*p)->next)
                        if (*p == c) {
                                *p = c->next;
                                s->n_calls--;
                                break;
                        }
        sd_bus_message_unref(c->call);
        erase_memory(c, sizeof(*c));
        free(c);
}

bool settings_object_busy(LockObject *l) {
        return l->settings && l->settings->calls;
}

void settings_object_abort(LockObject *l, const char *why) {
        SettingsState *s = l->settings;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!s)
                return;
        (void) sd_bus_error_set(&e, TTLOCK_ERROR_FAILED, why);
        while (s->calls) {
                SettingsCall *c = s->calls;

                settings_op_cancel(c->op);
                c->op = NULL;
                if (c->call)
                        (void) sd_bus_reply_method_error(c->call, &e);
                call_free(c);
        }
        l->settings = mfree(l->settings);
}

static void emit(LockObject *l, const char *interface, const char *property) {
        if (l->exported)
                (void) sd_bus_emit_properties_changed(l->manager->bus, l->path, interface, property, NULL);
}

static void save(LockObject *l) {
        int r = store_save(l->manager->store, l->record);
        if (r < 0)
                log_warning_errno(r, "%s: cannot save the settings: %m", l->address);
}

static void set_clock_offset(LockObject *l, int64_t offset) {
        SettingsState *s = state(l);

        if (!s)
                return;
        if (s->have_clock_offset && s->clock_offset_sec == offset)
                return;
        s->have_clock_offset = true;
        s->clock_offset_sec = offset;
        emit(l, SETTINGS_INTERFACE, "ClockOffsetSeconds");
}

/* What a successful Set…() changed, into the store and the properties. */
static void apply(LockObject *l, const SettingsRequest *q, const SettingsResult *res) {
        LockRecord *rec = l->record;

        switch (q->action) {
        case SETTINGS_AUTO_LOCK:
                rec->auto_lock_seconds = q->seconds;
                save(l);
                emit(l, LOCK_INTERFACE, "AutoLockSeconds");
                break;
        case SETTINGS_SOUND:
                rec->sound_enabled = q->enabled;
                if (q->enabled && q->volume > 0)
                        rec->sound_volume = q->volume;
                save(l);
                emit(l, SETTINGS_INTERFACE, "SoundEnabled");
                emit(l, SETTINGS_INTERFACE, "SoundVolume");
                break;
        case SETTINGS_REMOTE_UNLOCK:
                rec->remote_unlock = q->enabled;
                save(l);
                emit(l, SETTINGS_INTERFACE, "RemoteUnlock");
                break;
        case SETTINGS_SWITCH:
                if (q->switch_item == TTLOCK_SWITCH_TAMPER_ALERT) {
                        rec->tamper_alert = q->enabled;
                        emit(l, SETTINGS_INTERFACE, "TamperAlert");
                } else if (q->switch_item == TTLOCK_SWITCH_PRIVACY_LOCK) {
                        rec->privacy_lock = q->enabled;
                        emit(l, SETTINGS_INTERFACE, "PrivacyLock");
                } else if (q->switch_item == TTLOCK_SWITCH_RESET_BUTTON) {
                        rec->reset_button = q->enabled;
                        emit(l, SETTINGS_INTERFACE, "ResetButton");
                }
                save(l);
                break;
        case SETTINGS_ADMIN_CODE_SET:
        case SETTINGS_ADMIN_CODE_GET: {
                const char *code = q->action == SETTINGS_ADMIN_CODE_SET ? q->admin_code : res->admin_code;

                if (rec->admin_passcode && strcmp(rec->admin_passcode, code) == 0)
                        break;
                if (rec->admin_passcode)
                        erase_memory(rec->admin_passcode, strlen(rec->admin_passcode));
                if (lock_record_set_string(&rec->admin_passcode, code[0] ? code : NULL) >= 0)
                        save(l);
                break;
        }
        default:
                break;
        }
        if (res->have_clock_offset)
                set_clock_offset(l, res->clock_offset_sec);
}

static int build_passage(const SettingsResult *res, sd_bus_message *reply) {
        bool used[SETTINGS_PASSAGE_RECORDS_MAX] = {};
        int r;

        /* One entry per window, with the weekdays that share it (the lock keeps one record per weekday,
         * §4.3); weekday 0 ("every day", [JS]) stands for all seven. Monthly records carry days. */
        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < res->n_records; i++) {
                const TTPassageModeRecord *a = &res->records[i];
                uint8_t days[32];
                size_t n = 0;

                if (used[i])
                        continue;
                for (size_t j = i; j < res->n_records; j++) {
                        const TTPassageModeRecord *b = &res->records[j];

                        if (used[j] || b->type != a->type || b->start_hour != a->start_hour ||
                            b->start_minute != a->start_minute || b->end_hour != a->end_hour ||
                            b->end_minute != a->end_minute)
                                continue;
                        used[j] = true;
                        if (b->type == TTLOCK_PASSAGE_MODE_WEEKLY && b->week_or_day == 0) {
                                for (uint8_t d = 1; d <= 7 && n < ELEMENTSOF(days); d++)
                                        days[n++] = d;
                        } else if (n < ELEMENTSOF(days))
                                days[n++] = b->week_or_day;
                }
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(
                                reply,
                                "s",
                                a->type == TTLOCK_PASSAGE_MODE_WEEKLY ? "weekdays" : "month-days");
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', "ay");
                if (r >= 0)
                        r = sd_bus_message_append_array(reply, 'y', days, n);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_append(
                                reply,
                                "{sv}{sv}",
                                "start-minute",
                                "q",
                                (uint16_t) (a->start_hour * 60 + a->start_minute),
                                "end-minute",
                                "q",
                                (uint16_t) (a->end_hour * 60 + a->end_minute));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static void on_done(const SettingsResult *res, void *userdata) {
        SettingsCall *c = userdata;
        LockObject *l = c->lock;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        c->op = NULL;
        if (!c->call) {
                /* The automatic clock check. */
                if (l->settings)
                        l->settings->clock_check_running = false;
                if (res->status.error < 0)
                        log_debug("%s: clock check failed (%d).", l->address, res->status.error);
                else {
                        if (res->calibrated)
                                log_info("%s: the lock's clock was off; calibrated.", l->address);
                        set_clock_offset(l, res->clock_offset_sec);
                }
                call_free(c);
                manager_check_lock(l->manager, l);
                return;
        }

        if (res->status.error < 0) {
                admin_status_to_error(&res->status, &e);
                log_info("%s: settings operation failed: %s", l->address, e.message);
                (void) sd_bus_reply_method_error(c->call, &e);
                call_free(c);
                manager_check_lock(l->manager, l);
                return;
        }
        if (l->record)
                apply(l, &c->req, res);
        r = sd_bus_message_new_method_return(c->call, &reply);
        if (r >= 0 && c->req.action == SETTINGS_PASSAGE_GET)
                r = build_passage(res, reply);
        else if (r >= 0 && c->req.action == SETTINGS_ADMIN_CODE_GET)
                r = sd_bus_message_append(reply, "s", res->admin_code);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                (void) sd_bus_reply_method_errnof(c->call, r, "Cannot send the reply: %m");
        call_free(c);
        manager_check_lock(l->manager, l);
}

static int start_call(sd_bus_message *m, LockObject *l, const SettingsRequest *req, sd_bus_error *error) {
        SettingsState *s = state(l);
        SettingsCall *c;
        OpKeys keys;
        int r;

        if (!s)
                return -ENOMEM;
        if (s->n_calls >= SETTINGS_CALLS_MAX)
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_IN_PROGRESS, "Too many calls queued for this lock.");
        /* Behind an enrollment a call would outwait its caller (credentials-object.h); the
         * automatic clock check (m == NULL) has nobody waiting and may queue. */
        if (m) {
                r = credentials_object_refuse_while_enrolling(l, error);
                if (r < 0)
                        return r;
        }
        c = calloc(1, sizeof(SettingsCall));
        if (!c)
                return -ENOMEM;
        /* In place before the start: a link that cannot even try ends the operation (and calls
         * on_done()) before settings_op_start() returns; c must not be touched after. */
        *c = (SettingsCall){
                .lock = l, .req = *req, .call = m ? sd_bus_message_ref(m) : NULL, .next = s->calls
        };
        s->calls = c;
        s->n_calls++;
        op_keys_from_record(&keys, l->record);
        r = settings_op_start(l->link, &keys, req, on_done, c, &c->op);
        op_keys_wipe(&keys);
        if (r < 0) {
                c->op = NULL;
                call_free(c);
                return r;
        }
        return 1;
}

static int gate(sd_bus_message *m, LockObject *l, int feature, const char *what, sd_bus_error *error) {
        int r;

        if (feature >= 0) {
                r = admin_require_feature(l, (unsigned) feature, what, error);
                if (r < 0)
                        return r;
        }
        r = authz_check(l->manager->authz, m, error);
        if (r < 0)
                return r;
        return r == 0 ? 0 : 1;
}

#define GATE(m, l, feature, what, error)                   \
        do {                                               \
                int _g = gate(m, l, feature, what, error); \
                if (_g <= 0)                               \
                        return _g < 0 ? _g : 1;            \
        } while (0)

/* ---- automatic clock calibration ------------------------------------------------------------ */

void settings_object_connected(LockObject *l) {
        SettingsState *s;
        uint64_t now = now_realtime_usec();

        if (!l->record ||
            (l->record->features.n_groups > 0 &&
             ttlock_features_has(&l->record->features, TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP)))
                return;
        s = state(l);
        if (!s || s->clock_check_running)
                return;
        s->clock_checked_usec = now;
        s->clock_check_running = true;
        if (start_call(
                    NULL,
                    l,
                    &(SettingsRequest){
                            .action = SETTINGS_CLOCK_CHECK,
                            .clock_tolerance_sec = SETTINGS_CLOCK_TOLERANCE_SEC,
                    },
                    NULL) < 0 &&
            l->settings)
                l->settings->clock_check_running = false;
}

/* ---- methods -------------------------------------------------------------------------------- */

static int method_set_auto_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        uint32_t seconds;
        int r;

        r = sd_bus_message_read(m, "u", &seconds);
        if (r < 0)
                return r;
        /* §4.3: two bytes, and FFFF means "keep the time" in the door-sensor form. */
        if (seconds >= TTLOCK_AUTO_LOCK_KEEP_TIME)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Auto-lock time %" PRIu32 " s is too long; at most %u s (0 = off).",
                        seconds,
                        TTLOCK_AUTO_LOCK_KEEP_TIME - 1);
        GATE(m, l, TTLOCK_FEATURE_AUTO_LOCK, "auto-lock", error);
        return start_call(
                m,
                l,
                &(SettingsRequest){ .action = SETTINGS_AUTO_LOCK, .seconds = (uint16_t) seconds },
                error);
}

static int method_set_sound(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int enabled;
        uint8_t volume;
        int r;

        r = sd_bus_message_read(m, "by", &enabled, &volume);
        if (r < 0)
                return r;
        if (volume > TTLOCK_AUDIO_VOLUME_MAX)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Volume %u is out of range: 1–%d, or 0 to leave it unchanged.",
                        volume,
                        TTLOCK_AUDIO_VOLUME_MAX);
        if (volume > 0) {
                r = admin_require_feature(
                        l, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING, "volume setting", error);
                if (r < 0)
                        return r;
        }
        GATE(m, l, TTLOCK_FEATURE_AUDIO_MANAGEMENT, "sound setting", error);
        return start_call(
                m,
                l,
                &(SettingsRequest){ .action = SETTINGS_SOUND, .enabled = enabled, .volume = volume },
                error);
}

static int method_set_remote_unlock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int enabled;
        int r;

        r = sd_bus_message_read(m, "b", &enabled);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK, "remote-unlock switch", error);
        return start_call(
                m, l, &(SettingsRequest){ .action = SETTINGS_REMOTE_UNLOCK, .enabled = enabled }, error);
}

static int set_switch(
        sd_bus_message *m,
        LockObject *l,
        unsigned feature,
        uint32_t item,
        const char *what,
        sd_bus_error *error) {
        int enabled;
        int r;

        r = sd_bus_message_read(m, "b", &enabled);
        if (r < 0)
                return r;
        GATE(m, l, (int) feature, what, error);
        return start_call(
                m,
                l,
                &(SettingsRequest){ .action = SETTINGS_SWITCH, .enabled = enabled, .switch_item = item },
                error);
}

static int method_set_tamper_alert(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return set_switch(
                m, userdata, TTLOCK_FEATURE_TAMPER_ALERT, TTLOCK_SWITCH_TAMPER_ALERT, "tamper alert", error);
}

static int method_set_privacy_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return set_switch(
                m, userdata, TTLOCK_FEATURE_PRIVACY_LOCK, TTLOCK_SWITCH_PRIVACY_LOCK, "privacy lock", error);
}

static int method_set_reset_button(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return set_switch(
                m,
                userdata,
                TTLOCK_FEATURE_RESET_BUTTON,
                TTLOCK_SWITCH_RESET_BUTTON,
                "reset-button setting",
                error);
}

static int method_get_passage_modes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_PASSAGE_MODE, "passage mode", error);
        return start_call(m, l, &(SettingsRequest){ .action = SETTINGS_PASSAGE_GET }, error);
}

/* One a{sv} of SetPassageModes(): weekdays ay (1 = Monday … 7 = Sunday), start-minute q, end-minute q. */
static int parse_passage_entry(sd_bus_message *m, size_t index, SettingsRequest *req, sd_bus_error *error) {
        const uint8_t *days = NULL;
        size_t n_days = 0;
        bool have_days = false, have_start = false, have_end = false;
        uint16_t start = 0, end = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "weekdays") == 0) {
                        r = sd_bus_message_enter_container(m, 'v', "ay");
                        if (r < 0)
                                return sd_bus_error_setf(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "Passage mode %zu: weekdays must be of type ay.",
                                        index);
                        r = sd_bus_message_read_array(m, 'y', (const void **) &days, &n_days);
                        if (r < 0)
                                return r;
                        have_days = true;
                } else if (strcmp(key, "start-minute") == 0 || strcmp(key, "end-minute") == 0) {
                        bool is_start = key[0] == 's';
                        uint16_t v;

                        r = sd_bus_message_enter_container(m, 'v', "q");
                        if (r < 0)
                                return sd_bus_error_setf(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "Passage mode %zu: %s must be of type q.",
                                        index,
                                        key);
                        r = sd_bus_message_read(m, "q", &v);
                        if (r < 0)
                                return r;
                        if (v >= MINUTES_PER_DAY)
                                return sd_bus_error_setf(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "Passage mode %zu: %s %u is not below %u.",
                                        index,
                                        key,
                                        v,
                                        MINUTES_PER_DAY);
                        if (is_start) {
                                start = v;
                                have_start = true;
                        } else {
                                end = v;
                                have_end = true;
                        }
                } else
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Passage mode %zu: unknown key \"%.32s\" (weekdays, start-minute, "
                                "end-minute).",
                                index,
                                key);
                r = sd_bus_message_exit_container(m); /* v */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* e */
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        if (!have_days || !have_start || !have_end)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Passage mode %zu: weekdays, start-minute and end-minute are all required.",
                        index);
        if (n_days == 0)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS, "Passage mode %zu: no weekdays.", index);
        if (start >= end)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Passage mode %zu: start-minute %u must be before end-minute %u.",
                        index,
                        start,
                        end);
        for (size_t i = 0; i < n_days; i++) {
                if (days[i] < 1 || days[i] > 7)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Passage mode %zu: weekday %u is not 1 (Monday) … 7 (Sunday).",
                                index,
                                days[i]);
                for (size_t j = 0; j < i; j++)
                        if (days[j] == days[i])
                                return sd_bus_error_setf(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "Passage mode %zu: weekday %u is given twice.",
                                        index,
                                        days[i]);
                if (req->n_records >= SETTINGS_PASSAGE_RECORDS_MAX)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Too many passage-mode weekdays: at most %u in all.",
                                SETTINGS_PASSAGE_RECORDS_MAX);
                /* §4.3: one weekly record per weekday, as the official SDK sends them. */
                req->records[req->n_records++] = (TTPassageModeRecord){
                        .type = TTLOCK_PASSAGE_MODE_WEEKLY,
                        .week_or_day = days[i],
                        .start_hour = (uint8_t) (start / 60),
                        .start_minute = (uint8_t) (start % 60),
                        .end_hour = (uint8_t) (end / 60),
                        .end_minute = (uint8_t) (end % 60),
                };
        }
        return 0;
}

static int method_set_passage_modes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        _cleanup_free_ SettingsRequest *req = calloc(1, sizeof(SettingsRequest));
        size_t index = 0;
        int r;

        if (!req)
                return -ENOMEM;
        req->action = SETTINGS_PASSAGE_SET;
        r = sd_bus_message_enter_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                if (index >= PASSAGE_ENTRIES_MAX)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Too many passage modes: at most %u.",
                                PASSAGE_ENTRIES_MAX);
                r = parse_passage_entry(m, index, req, error);
                if (r < 0)
                        return r;
                index++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_PASSAGE_MODE, "passage mode", error);
        return start_call(m, l, req, error);
}

static int method_sync_clock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        if (l->record->features.n_groups > 0 &&
            ttlock_features_has(&l->record->features, TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP))
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_SUPPORTED, "This lock has no clock (feature 20).");
        GATE(m, l, -1, NULL, error);
        return start_call(m, l, &(SettingsRequest){ .action = SETTINGS_CLOCK_SYNC }, error);
}

static int method_get_admin_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_GET_ADMIN_CODE, "readable admin passcode", error);
        return start_call(m, l, &(SettingsRequest){ .action = SETTINGS_ADMIN_CODE_GET }, error);
}

static int method_set_admin_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        SettingsRequest req = { .action = SETTINGS_ADMIN_CODE_SET };
        const char *code;
        int r;

        r = sd_bus_message_read(m, "s", &code);
        if (r < 0)
                return r;
        r = admin_parse_passcode(code, "Admin passcode", TTLOCK_PASSCODE_ADD_MAX, req.admin_code, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad", error);
        r = start_call(m, l, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_get_history(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HistoryRecord *records = NULL;
        size_t n = 0;
        uint64_t since;
        uint32_t max;
        int r;

        r = sd_bus_message_read(m, "tu", &since, &max);
        if (r < 0)
                return r;
        GATE(m, l, -1, NULL, error);

        /* max 0 = all, bounded like every reply a client can ask for. */
        if (max == 0 || max > SETTINGS_HISTORY_MAX)
                max = SETTINGS_HISTORY_MAX;
        if (l->history) {
                r = history_query(l->history, since, max, &records, &n);
                if (r < 0)
                        return ttlockd_error_set_errnof(
                                error, r, "Cannot read the event archive: %s", strerror(-r));
        }
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const HistoryRecord *h = &records[i];

                r = sd_bus_message_open_container(reply, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_append(
                                reply,
                                "{sv}{sv}{sv}{sv}",
                                "kind",
                                "s",
                                h->kind,
                                "method",
                                "s",
                                h->method && h->method[0] ? h->method : "unknown",
                                "time-usec",
                                "t",
                                h->time_usec,
                                "record-type",
                                "u",
                                h->record_type);
                if (r >= 0 && h->credential && h->credential[0])
                        r = sd_bus_message_append(reply, "{sv}", "credential", "s", h->credential);
                if (r >= 0 && h->alias && h->alias[0])
                        r = sd_bus_message_append(reply, "{sv}", "alias", "s", h->alias);
                if (r >= 0 && h->battery >= 0)
                        r = sd_bus_message_append(reply, "{sv}", "battery", "y", (uint8_t) h->battery);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        history_records_free(records, n);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ---- properties ----------------------------------------------------------------------------- */

static int property_get_bool(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        LockObject *l = userdata;
        const LockRecord *rec = l->record;
        int v = -1;

        if (!rec)
                v = 0;
        else if (strcmp(property, "SoundEnabled") == 0)
                v = rec->sound_enabled;
        else if (strcmp(property, "RemoteUnlock") == 0)
                v = rec->remote_unlock;
        else if (strcmp(property, "TamperAlert") == 0)
                v = rec->tamper_alert;
        else if (strcmp(property, "PrivacyLock") == 0)
                v = rec->privacy_lock;
        else if (strcmp(property, "ResetButton") == 0)
                v = rec->reset_button;
        /* Unknown (never read) reads as false. */
        return sd_bus_message_append(reply, "b", v > 0);
}

static int property_get_volume(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        LockObject *l = userdata;
        const LockRecord *rec = l->record;
        uint8_t v = 0;

        /* dbus-api.md: 0 when the lock has no volume. */
        if (rec && rec->sound_volume >= TTLOCK_AUDIO_VOLUME_MIN &&
            rec->sound_volume <= TTLOCK_AUDIO_VOLUME_MAX &&
            (rec->features.n_groups == 0 ||
             ttlock_features_has(&rec->features, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING)))
                v = (uint8_t) rec->sound_volume;
        return sd_bus_message_append(reply, "y", v);
}

static int property_get_clock_offset(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        LockObject *l = userdata;
        int64_t v = l->settings && l->settings->have_clock_offset ? l->settings->clock_offset_sec : 0;

        return sd_bus_message_append(reply, "x", v);
}

const sd_bus_vtable settings_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("SoundEnabled", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SoundVolume", "y", property_get_volume, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RemoteUnlock", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TamperAlert", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PrivacyLock", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ResetButton", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "ClockOffsetSeconds",
                "x",
                property_get_clock_offset,
                0,
                SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES(
                "SetAutoLock",
                "u",
                SD_BUS_PARAM(seconds),
                "",
                ,
                method_set_auto_lock,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetSound",
                "by",
                SD_BUS_PARAM(enabled) SD_BUS_PARAM(volume),
                "",
                ,
                method_set_sound,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetRemoteUnlock",
                "b",
                SD_BUS_PARAM(enabled),
                "",
                ,
                method_set_remote_unlock,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetTamperAlert",
                "b",
                SD_BUS_PARAM(enabled),
                "",
                ,
                method_set_tamper_alert,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetPrivacyLock",
                "b",
                SD_BUS_PARAM(enabled),
                "",
                ,
                method_set_privacy_lock,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetResetButton",
                "b",
                SD_BUS_PARAM(enabled),
                "",
                ,
                method_set_reset_button,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetPassageModes",
                "",
                ,
                "aa{sv}",
                SD_BUS_PARAM(modes),
                method_get_passage_modes,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetPassageModes",
                "aa{sv}",
                SD_BUS_PARAM(modes),
                "",
                ,
                method_set_passage_modes,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SyncClock", "", "", method_sync_clock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetAdminPasscode",
                "",
                ,
                "s",
                SD_BUS_PARAM(code),
                method_get_admin_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetAdminPasscode",
                "s",
                SD_BUS_PARAM(code),
                "",
                ,
                method_set_admin_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetHistory",
                "tu",
                SD_BUS_PARAM(since_usec) SD_BUS_PARAM(max),
                "aa{sv}",
                SD_BUS_PARAM(events),
                method_get_history,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int settings_object_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(
                m->bus, NULL, LOCK_PATH_PREFIX, SETTINGS_INTERFACE, settings_vtable, admin_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the Settings1 objects: %m");
        return 0;
}
