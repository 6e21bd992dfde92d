/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-dict.h"
#include "bus-errors.h"
#include "bus-getter.h"
#include "bus-settings.h"
#include "feature-bits.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

#define PASSAGE_ENTRIES_MAX 32U
#define MINUTES_PER_DAY 1440U
#define HISTORY_REPLY_MAX 10000U /* a bound on one GetHistory() reply */

/* ---- replies ------------------------------------------------------------------------------------ */

static int build_passage(Lock *l, const LockOutcome *o, sd_bus_message *reply) {
        const SettingsResult *res = o->settings;
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

                /* The record of passage mode "now" is PassageModeActive, not a schedule
                 * (dbus/org.ttlock.Settings1.xml). */
                if (used[i] || settings_passage_record_is_now(a))
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

static int build_admin_code(Lock *l, const LockOutcome *o, sd_bus_message *reply) {
        return sd_bus_message_append(reply, "s", o->settings->admin_code);
}

/* Arguments first (checked by the caller), then the feature, then polkit (bus_lock_gate()). */
#define GATE(m, b, feature, what, error)                                      \
        do {                                                                  \
                int _g = bus_lock_gate((b), (m), (feature), (what), (error)); \
                if (_g <= 0)                                                  \
                        return _g < 0 ? _g : 1;                               \
        } while (0)

static int submit(BusLock *b, sd_bus_message *m, const SettingsRequest *req, sd_bus_error *error) {
        BusReplyBuilder build = req->action == SETTINGS_PASSAGE_GET ? build_passage
                : req->action == SETTINGS_ADMIN_CODE_GET            ? build_admin_code
                                                                    : NULL;

        return bus_lock_submit(
                b,
                m,
                &(BusSubmit){
                        .request = { .kind = LOCK_REQUEST_SETTINGS, .settings = req },
                        .deadline = true,
                        .build = build,
                },
                error);
}

/* ---- methods -------------------------------------------------------------------------------- */

static int method_set_auto_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
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
        GATE(m, b, TTLOCK_FEATURE_AUTO_LOCK, "auto-lock", error);
        return submit(
                b,
                m,
                &(SettingsRequest){ .action = SETTINGS_AUTO_LOCK, .seconds = (uint16_t) seconds },
                error);
}

static int method_set_sound(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
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
                r = bus_lock_require_feature(
                        b, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING, "volume setting", error);
                if (r < 0)
                        return r;
        }
        GATE(m, b, TTLOCK_FEATURE_AUDIO_MANAGEMENT, "sound setting", error);
        return submit(
                b,
                m,
                &(SettingsRequest){ .action = SETTINGS_SOUND, .enabled = enabled, .volume = volume },
                error);
}

static int method_set_remote_unlock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        int enabled;
        int r;

        r = sd_bus_message_read(m, "b", &enabled);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK, "remote-unlock switch", error);
        return submit(
                b, m, &(SettingsRequest){ .action = SETTINGS_REMOTE_UNLOCK, .enabled = enabled }, error);
}

static int set_switch(
        sd_bus_message *m,
        BusLock *b,
        unsigned feature,
        uint32_t item,
        const char *what,
        sd_bus_error *error) {
        int enabled;
        int r;

        r = sd_bus_message_read(m, "b", &enabled);
        if (r < 0)
                return r;
        GATE(m, b, (int) feature, what, error);
        return submit(
                b,
                m,
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
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_PASSAGE_MODE, "passage mode", error);
        return submit(b, m, &(SettingsRequest){ .action = SETTINGS_PASSAGE_GET }, error);
}

/* One a{sv} of SetPassageModes(): weekdays ay (1 = Monday … 7 = Sunday), start-minute q, end-minute q. */
typedef struct PassageEntry {
        size_t index;
        sd_bus_error *error;
        const uint8_t *days;
        size_t n_days;
        bool have_days, have_start, have_end;
        uint16_t start, end;
} PassageEntry;

static int passage_weekdays(sd_bus_message *m, const char *key, void *userdata) {
        PassageEntry *e = userdata;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "ay");
        if (r < 0)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Passage mode %zu: weekdays must be of type ay.", e->index);
        r = sd_bus_message_read_array(m, 'y', (const void **) &e->days, &e->n_days);
        if (r < 0)
                return r;
        e->have_days = true;
        return sd_bus_message_exit_container(m);
}

static int passage_minute(sd_bus_message *m, const char *key, void *userdata) {
        PassageEntry *e = userdata;
        uint16_t v;
        int r;

        r = bus_dict_read_basic(m, 'q', &v);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Passage mode %zu: %s must be of type q.", e->index, key);
        if (v >= MINUTES_PER_DAY)
                return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Passage mode %zu: %s %u is not below %u.", e->index, key, v,
                                         MINUTES_PER_DAY);
        if (streq(key, "start-minute")) {
                e->start = v;
                e->have_start = true;
        } else {
                e->end = v;
                e->have_end = true;
        }
        return 0;
}

static int passage_unknown(sd_bus_message *m, const char *key, void *userdata) {
        PassageEntry *e = userdata;

        return sd_bus_error_setf(e->error, SD_BUS_ERROR_INVALID_ARGS,
                                 "Passage mode %zu: unknown key \"%.32s\" (weekdays, start-minute, end-minute).",
                                 e->index, key);
}

static int parse_passage_entry(sd_bus_message *m, size_t index, SettingsRequest *req, sd_bus_error *error) {
        static const BusDictField fields[] = {
                { "weekdays", passage_weekdays },
                { "start-minute", passage_minute },
                { "end-minute", passage_minute },
                { NULL, passage_unknown },
        };
        PassageEntry e = { .index = index, .error = error };
        int r;

        r = bus_dict_read(m, fields, ELEMENTSOF(fields), &e);
        if (r < 0)
                return r;
        if (!e.have_days || !e.have_start || !e.have_end)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Passage mode %zu: weekdays, start-minute and end-minute are all required.",
                        index);
        if (e.n_days == 0)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS, "Passage mode %zu: no weekdays.", index);
        if (e.start >= e.end)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Passage mode %zu: start-minute %u must be before end-minute %u.",
                        index,
                        e.start,
                        e.end);
        for (size_t i = 0; i < e.n_days; i++) {
                if (e.days[i] < 1 || e.days[i] > 7)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Passage mode %zu: weekday %u is not 1 (Monday) … 7 (Sunday).",
                                index,
                                e.days[i]);
                for (size_t j = 0; j < i; j++)
                        if (e.days[j] == e.days[i])
                                return sd_bus_error_setf(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "Passage mode %zu: weekday %u is given twice.",
                                        index,
                                        e.days[i]);
                if (req->n_records >= SETTINGS_PASSAGE_RECORDS_MAX)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Too many passage-mode weekdays: at most %u in all.",
                                SETTINGS_PASSAGE_RECORDS_MAX);
                /* §4.3: one weekly record per weekday, as the official SDK sends them. */
                req->records[req->n_records++] = (TTPassageModeRecord){
                        .type = TTLOCK_PASSAGE_MODE_WEEKLY,
                        .week_or_day = e.days[i],
                        .start_hour = (uint8_t) (e.start / 60),
                        .start_minute = (uint8_t) (e.start % 60),
                        .end_hour = (uint8_t) (e.end / 60),
                        .end_minute = (uint8_t) (e.end % 60),
                };
        }
        return 0;
}

static int method_set_passage_modes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
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
        GATE(m, b, TTLOCK_FEATURE_PASSAGE_MODE, "passage mode", error);
        return submit(b, m, req, error);
}

static int method_set_passage_mode_active(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        int active;
        int r;

        r = sd_bus_message_read(m, "b", &active);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_PASSAGE_MODE, "passage mode", error);
        return submit(b, m, &(SettingsRequest){ .action = SETTINGS_PASSAGE_NOW, .enabled = active }, error);
}

static int method_set_frozen(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        int frozen;
        int r;

        r = sd_bus_message_read(m, "b", &frozen);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_FREEZE_LOCK, "freeze function", error);
        return submit(b, m, &(SettingsRequest){ .action = SETTINGS_FREEZE, .enabled = frozen }, error);
}

/* ttlockd's own setting: nothing goes to the lock. */
static int method_set_door_left_open_time(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        uint32_t seconds;
        int r;

        r = sd_bus_message_read(m, "u", &seconds);
        if (r < 0)
                return r;
        if (seconds > LOCK_DOOR_LEFT_OPEN_MAX_SEC)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Door-left-open time %" PRIu32 " s is too long; at most %u s (0 = never).",
                        seconds,
                        LOCK_DOOR_LEFT_OPEN_MAX_SEC);
        /* Unlike lock_has_feature(), unknown features are no sensor: lock_has_door_sensor(). */
        if (!lock_has_door_sensor(b->lock))
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_NOT_SUPPORTED,
                        "This lock has no door sensor (feature door-sensor or magnetometer).");
        GATE(m, b, -1, NULL, error);
        r = lock_set_door_left_open_seconds(b->lock, seconds);
        if (r < 0)
                return ttlockd_error_set_errnof(
                        error, r, "Cannot save the door-left-open time: %s", strerror(-r));
        return sd_bus_reply_method_return(m, NULL);
}

static int method_sync_clock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        if (b->lock->record && b->lock->record->features.n_groups > 0 &&
            ttlock_features_has(&b->lock->record->features, TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP))
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_SUPPORTED, "This lock has no clock (feature 20).");
        GATE(m, b, -1, NULL, error);
        return submit(b, m, &(SettingsRequest){ .action = SETTINGS_CLOCK_SYNC }, error);
}

static int method_get_admin_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_GET_ADMIN_CODE, "readable admin passcode", error);
        return submit(b, m, &(SettingsRequest){ .action = SETTINGS_ADMIN_CODE_GET }, error);
}

static int method_set_admin_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        SettingsRequest req = { .action = SETTINGS_ADMIN_CODE_SET };
        const char *code;
        int r;

        r = sd_bus_message_read(m, "s", &code);
        if (r < 0)
                return r;
        r = bus_parse_passcode(code, "Admin passcode", TTLOCK_PASSCODE_ADD_MAX, req.admin_code, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad", error);
        r = submit(b, m, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

/* ttlockd's own setting (ttlockd(8) "LINK HEALTH AND CONNECTIONS"): nothing goes to the lock, so an eKey's
 * holder may set it too. "" drops the lock's own choice for ttlockd.conf's. */
static int method_set_connection_policy(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        ConnectionPolicy policy = _CONNECTION_POLICY_INVALID;
        const char *name;
        uint32_t seconds;
        int r;

        r = sd_bus_message_read(m, "su", &name, &seconds);
        if (r < 0)
                return r;
        if (!isempty(name)) {
                policy = connection_policy_from_string(name);
                if (policy < 0)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Unknown connection policy \"%.32s\": on-demand, keep-alive, persistent, or \"\" "
                                "for ttlockd.conf's.",
                                name);
        }
        if (seconds != 0 && (seconds < LINK_KEEP_ALIVE_MIN_SEC || seconds > LINK_KEEP_ALIVE_MAX_SEC))
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Keep-alive window %" PRIu32 " s is out of range: %u–%u s, or 0 for the configured one.",
                        seconds,
                        LINK_KEEP_ALIVE_MIN_SEC,
                        LINK_KEEP_ALIVE_MAX_SEC);
        GATE(m, b, -1, NULL, error);
        r = lock_set_connection_policy(b->lock, policy, seconds);
        if (r < 0)
                return ttlockd_error_set_errnof(
                        error, r, "Cannot save the connection policy: %s", strerror(-r));
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_history(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        HistoryRecord *records = NULL;
        size_t n = 0;
        uint64_t since;
        uint32_t max;
        int r;

        r = sd_bus_message_read(m, "tu", &since, &max);
        if (r < 0)
                return r;
        GATE(m, b, -1, NULL, error);

        /* max 0 = all, bounded like every reply a client can ask for. */
        if (max == 0 || max > HISTORY_REPLY_MAX)
                max = HISTORY_REPLY_MAX;
        if (b->lock->history) {
                r = history_query(b->lock->history, since, max, &records, &n);
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
                                "{sv}{sv}{sv}",
                                "kind",
                                "s",
                                h->kind,
                                "method",
                                "s",
                                h->method && h->method[0] ? h->method : "unknown",
                                "time-usec",
                                "t",
                                h->time_usec);
                /* As in Event: type 0 is an event ttlockd concluded itself, no record. */
                if (r >= 0 && h->record_type != 0)
                        r = sd_bus_message_append(reply, "{sv}", "record-type", "u", h->record_type);
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

/* ---- properties: one getter each; unknown (never read) reads as false ---------------------------- */

static int append_setting(sd_bus_message *reply, void *userdata, size_t offset) {
        const LockRecord *rec = ((BusLock *) userdata)->lock->record;

        return sd_bus_message_append(reply, "b", rec && *(const int *) ((const char *) rec + offset) > 0);
}

BUS_GETTER(get_sound_enabled) {
        return append_setting(reply, userdata, offsetof(LockRecord, sound_enabled));
}

BUS_GETTER(get_remote_unlock) {
        return append_setting(reply, userdata, offsetof(LockRecord, remote_unlock));
}

BUS_GETTER(get_tamper_alert) {
        return append_setting(reply, userdata, offsetof(LockRecord, tamper_alert));
}

BUS_GETTER(get_privacy_lock) {
        return append_setting(reply, userdata, offsetof(LockRecord, privacy_lock));
}

BUS_GETTER(get_reset_button) {
        return append_setting(reply, userdata, offsetof(LockRecord, reset_button));
}

BUS_GETTER(get_sound_volume) {
        const Lock *l = ((BusLock *) userdata)->lock;
        const LockRecord *rec = l->record;
        uint8_t v = 0;

        /* 0 when the lock has no volume (dbus/org.ttlock.Settings1.xml). */
        if (rec && rec->sound_volume >= TTLOCK_AUDIO_VOLUME_MIN &&
            rec->sound_volume <= TTLOCK_AUDIO_VOLUME_MAX &&
            lock_has_feature(l, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING))
                v = (uint8_t) rec->sound_volume;
        return sd_bus_message_append(reply, "y", v);
}

BUS_GETTER(get_frozen) {
        return sd_bus_message_append(reply, "b", lock_frozen(((BusLock *) userdata)->lock));
}

BUS_GETTER(get_passage_mode_active) {
        return sd_bus_message_append(reply, "b", lock_passage_mode_active(((BusLock *) userdata)->lock));
}

BUS_GETTER(get_door_left_open) {
        const Lock *l = ((BusLock *) userdata)->lock;

        /* 0 on a lock without a door sensor: nothing to be left open. */
        return sd_bus_message_append(
                reply, "u", lock_has_door_sensor(l) ? lock_door_left_open_seconds(l) : 0);
}

BUS_GETTER(get_connection_policy) {
        return sd_bus_message_append(
                reply, "s", connection_policy_to_string(((BusLock *) userdata)->lock->health.policy));
}

BUS_GETTER(get_keep_alive_seconds) {
        return sd_bus_message_append(reply, "u", (uint32_t) ((BusLock *) userdata)->lock->health.keep_alive_sec);
}

BUS_GETTER(get_clock_offset) {
        const Lock *l = ((BusLock *) userdata)->lock;

        return sd_bus_message_append(reply, "x", l->have_clock_offset ? l->clock_offset_sec : (int64_t) 0);
}

static const struct {
        LockProperty property;
        const char *name;
} changed_names[] = {
        { LOCK_PROPERTY_SOUND, "SoundEnabled" },
        { LOCK_PROPERTY_SOUND, "SoundVolume" },
        { LOCK_PROPERTY_REMOTE_UNLOCK, "RemoteUnlock" },
        { LOCK_PROPERTY_TAMPER_ALERT, "TamperAlert" },
        { LOCK_PROPERTY_PRIVACY_LOCK, "PrivacyLock" },
        { LOCK_PROPERTY_RESET_BUTTON, "ResetButton" },
        { LOCK_PROPERTY_CLOCK_OFFSET, "ClockOffsetSeconds" },
        { LOCK_PROPERTY_FROZEN, "Frozen" },
        { LOCK_PROPERTY_PASSAGE_MODE_ACTIVE, "PassageModeActive" },
        { LOCK_PROPERTY_DOOR_LEFT_OPEN, "DoorLeftOpenSeconds" },
        /* The features decide whether DoorLeftOpenSeconds means anything. */
        { LOCK_PROPERTY_FEATURES, "DoorLeftOpenSeconds" },
        { LOCK_PROPERTY_CONNECTION_POLICY, "ConnectionPolicy" },
        { LOCK_PROPERTY_CONNECTION_POLICY, "KeepAliveSeconds" },
};

void bus_settings_emit_changed(BusLock *b, uint64_t changed) {
        char *names[ELEMENTSOF(changed_names) + 1];
        size_t n = 0;

        assert(b);

        if (!b->exported || !b->admin_exported)
                return;
        for (size_t i = 0; i < ELEMENTSOF(changed_names); i++) {
                bool listed = false;

                if (!(changed & LOCK_PROPERTY_BIT(changed_names[i].property)))
                        continue;
                /* A property that more than one change affects is named once. */
                for (size_t j = 0; j < n && !listed; j++)
                        listed = streq(names[j], changed_names[i].name);
                if (!listed)
                        names[n++] = (char *) changed_names[i].name;
        }
        if (n == 0)
                return;
        names[n] = NULL;
        (void) sd_bus_emit_properties_changed_strv(b->context->bus, b->path, SETTINGS_INTERFACE, names);
}

/* GetAdminPasscode and SetAdminPasscode are SD_BUS_VTABLE_SENSITIVE: sd-bus wipes the call and the reply
 * that carry the admin passcode when it frees them (sd_bus_message_sensitive(3)). */
const sd_bus_vtable bus_settings_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("SoundEnabled", "b", get_sound_enabled, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SoundVolume", "y", get_sound_volume, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RemoteUnlock", "b", get_remote_unlock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TamperAlert", "b", get_tamper_alert, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PrivacyLock", "b", get_privacy_lock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ResetButton", "b", get_reset_button, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ClockOffsetSeconds", "x", get_clock_offset, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "PassageModeActive", "b", get_passage_mode_active, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Frozen", "b", get_frozen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "DoorLeftOpenSeconds", "u", get_door_left_open, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ConnectionPolicy", "s", get_connection_policy, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KeepAliveSeconds", "u", get_keep_alive_seconds, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
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
                "SetConnectionPolicy",
                "su",
                SD_BUS_PARAM(policy) SD_BUS_PARAM(keep_alive_seconds),
                "",
                ,
                method_set_connection_policy,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetAdminPasscode",
                "",
                ,
                "s",
                SD_BUS_PARAM(code),
                method_get_admin_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_NAMES(
                "SetAdminPasscode",
                "s",
                SD_BUS_PARAM(code),
                "",
                ,
                method_set_admin_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_NAMES(
                "SetPassageModeActive",
                "b",
                SD_BUS_PARAM(active),
                "",
                ,
                method_set_passage_mode_active,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetFrozen", "b", SD_BUS_PARAM(frozen), "", , method_set_frozen, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetDoorLeftOpenTime",
                "u",
                SD_BUS_PARAM(seconds),
                "",
                ,
                method_set_door_left_open_time,
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
