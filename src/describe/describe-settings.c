/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "command.h"
#include "describe.h"
#include "settings.h"

static const char *op_name(uint8_t op) {
        return op == TTLOCK_SETTING_QUERY ? "query" : op == TTLOCK_SETTING_SET ? "set" : "unknown";
}

typedef int (*ToggleRequestDecode)(const uint8_t *data, size_t len, TTToggleRequest *ret, TTError *e);
typedef int (*ToggleReplyDecode)(const uint8_t *data, size_t len, TTToggleReply *ret, TTError *e);

static int toggle(Printer *p, bool reply, const uint8_t *data, size_t len, ToggleRequestDecode req,
                  ToggleReplyDecode rep, TTError *e) {
        int r;

        if (!reply) {
                TTToggleRequest q;
                r = req(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_string(p, "op", op_name(q.op));
                if (q.op == TTLOCK_SETTING_SET)
                        printer_bool(p, "enabled", q.enabled);
                return 1;
        }
        TTToggleReply a;
        r = rep(data, len, &a, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", a.battery);
        printer_string(p, "op", op_name(a.op));
        if (a.op == TTLOCK_SETTING_QUERY)
                printer_bool(p, "enabled", a.enabled);
        return 1;
}

static void passage_record(Printer *p, const TTPassageModeRecord *rec) {
        printer_object_begin(p, NULL);
        printer_string(p, "type", rec->type == TTLOCK_PASSAGE_MODE_WEEKLY ? "weekly" : "monthly");
        printer_uint(p, rec->type == TTLOCK_PASSAGE_MODE_WEEKLY ? "weekday" : "day", rec->week_or_day);
        printer_uint(p, "month", rec->month);
        printer_stringf(p, "start", "%02u:%02u", rec->start_hour, rec->start_minute);
        printer_stringf(p, "end", "%02u:%02u", rec->end_hour, rec->end_minute);
        printer_object_end(p);
}

static const char *passage_op_name(uint8_t op) {
        switch (op) {
        case TTLOCK_PASSAGE_MODE_QUERY:
                return "query";
        case TTLOCK_PASSAGE_MODE_ADD:
                return "add";
        case TTLOCK_PASSAGE_MODE_DELETE:
                return "delete";
        case TTLOCK_PASSAGE_MODE_CLEAR:
                return "clear";
        }
        return "unknown";
}

static int passage_mode(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        int r;

        if (!reply) {
                TTPassageModeRequest q;
                r = ttlock_passage_mode_request_decode(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_string(p, "op", passage_op_name(q.op));
                if (q.op == TTLOCK_PASSAGE_MODE_QUERY)
                        printer_uint(p, "sequence", q.seq);
                if (q.op == TTLOCK_PASSAGE_MODE_ADD || q.op == TTLOCK_PASSAGE_MODE_DELETE) {
                        printer_array_begin(p, "records");
                        passage_record(p, &q.record);
                        printer_array_end(p);
                }
                return 1;
        }

        TTPassageModeReply a;
        r = ttlock_passage_mode_reply_decode(data, len, &a, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", a.battery);
        printer_string(p, "op", passage_op_name(a.op));
        if (a.op == TTLOCK_PASSAGE_MODE_QUERY) {
                printer_code(p, "next_sequence", a.next_seq, 2);
                printer_array_begin(p, "records");
                for (size_t i = 0; i < a.n_records; i++)
                        passage_record(p, &a.records[i]);
                printer_array_end(p);
        }
        return 1;
}

int describe_settings(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        int r;

        switch (command) {
        case TTLOCK_CMD_AUTO_LOCK_MANAGE:
                if (!reply) {
                        TTAutoLockRequest q;
                        r = ttlock_auto_lock_request_decode(data, len, &q, e);
                        if (r < 0)
                                return r;
                        printer_string(p, "op", op_name(q.op));
                        if (q.op == TTLOCK_SETTING_SET && q.door_sensor)
                                printer_uint(p, "door_sensor_value", q.door_sensor_value);
                        else if (q.op == TTLOCK_SETTING_SET)
                                printer_uint(p, "seconds", q.seconds);
                        return 1;
                }
                TTAutoLockReply a;
                r = ttlock_auto_lock_reply_decode(data, len, &a, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", a.battery);
                printer_string(p, "op", op_name(a.op));
                if (a.op == TTLOCK_SETTING_QUERY) {
                        printer_uint(p, "seconds", a.seconds);
                        if (a.has_range) {
                                printer_uint(p, "min_seconds", a.min_seconds);
                                printer_uint(p, "max_seconds", a.max_seconds);
                        }
                }
                return 1;

        case TTLOCK_CMD_CONTROL_REMOTE_UNLOCK:
                return toggle(p, reply, data, len, ttlock_remote_unlock_request_decode,
                              ttlock_remote_unlock_reply_decode, e);
        case TTLOCK_CMD_SHOW_PASSWORD:
                return toggle(p, reply, data, len, ttlock_show_password_request_decode,
                              ttlock_show_password_reply_decode, e);
        case TTLOCK_CMD_FREEZE_LOCK:
                return toggle(p, reply, data, len, ttlock_freeze_request_decode, ttlock_freeze_reply_decode, e);

        case TTLOCK_CMD_AUDIO_MANAGE:
                if (!reply) {
                        TTAudioRequest q;
                        r = ttlock_audio_request_decode(data, len, &q, e);
                        if (r < 0)
                                return r;
                        printer_string(p, "op", op_name(q.op));
                        if (q.op == TTLOCK_SETTING_SET) {
                                printer_bool(p, "enabled", q.enabled);
                                if (q.has_volume) {
                                        printer_uint(p, "volume", q.volume);
                                        printer_uint(p, "language", q.language);
                                }
                        }
                        return 1;
                }
                TTAudioReply au;
                r = ttlock_audio_reply_decode(data, len, &au, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", au.battery);
                printer_string(p, "op", op_name(au.op));
                if (au.op == TTLOCK_SETTING_QUERY) {
                        printer_bool(p, "enabled", au.enabled);
                        if (au.has_volume)
                                printer_uint(p, "volume", au.volume);
                }
                return 1;

        case TTLOCK_CMD_CONFIGURE_PASSAGE_MODE:
                return passage_mode(p, reply, data, len, e);

        case TTLOCK_CMD_LAMP:
                if (!reply) {
                        TTLampRequest q;
                        r = ttlock_lamp_request_decode(data, len, &q, e);
                        if (r < 0)
                                return r;
                        printer_string(p, "op", op_name(q.op));
                        if (q.op == TTLOCK_SETTING_SET)
                                printer_uint(p, "seconds", q.seconds);
                        return 1;
                }
                TTLampReply l;
                r = ttlock_lamp_reply_decode(data, len, &l, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", l.battery);
                printer_string(p, "op", op_name(l.op));
                if (l.op == TTLOCK_SETTING_QUERY)
                        printer_uint(p, "seconds", l.seconds);
                return 1;

        case TTLOCK_CMD_SWITCH:
                if (!reply) {
                        TTSwitchRequest q;
                        r = ttlock_switch_request_decode(data, len, &q, e);
                        if (r < 0)
                                return r;
                        printer_string(p, "op", op_name(q.op));
                        if (q.op == TTLOCK_SETTING_SET) {
                                printer_code(p, "items", q.items, 8);
                                printer_code(p, "values", q.values, 8);
                        }
                        return 1;
                }
                TTSwitchReply s;
                r = ttlock_switch_reply_decode(data, len, &s, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", s.battery);
                printer_string(p, "op", op_name(s.op));
                if (s.op == TTLOCK_SETTING_QUERY) {
                        printer_code(p, "items", s.items, 8);
                        printer_code(p, "values", s.values, 8);
                        printer_bool(p, "tamper_alert", s.values & TTLOCK_SWITCH_TAMPER_ALERT);
                        printer_bool(p, "reset_button", s.values & TTLOCK_SWITCH_RESET_BUTTON);
                        printer_bool(p, "privacy_lock", s.values & TTLOCK_SWITCH_PRIVACY_LOCK);
                }
                return 1;
        }
        return 0;
}
