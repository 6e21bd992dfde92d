/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "macro.h"
#include "oplog.h"

/* ---- Types: tail layout, SDK name, event class ------------------------------------------------- */

TTLogTail ttlock_log_type_tail(uint8_t type) {
        /* The §4.3 "type-specific tails" table, row by row. */
        switch (type) {
        case TTLOCK_LOG_APP_UNLOCK:
        case TTLOCK_LOG_BLE_LOCK:
        case TTLOCK_LOG_GATEWAY_UNLOCK:
        case TTLOCK_LOG_APP_UNLOCK_FAILED_LOCKED:
                return TTLOCK_LOG_TAIL_APP;
        case TTLOCK_LOG_REMOTE_CONTROL_KEY:
                return TTLOCK_LOG_TAIL_REMOTE_KEY;
        case TTLOCK_LOG_PASSCODE_UNLOCK:
        case TTLOCK_LOG_DELETE_CODE_USED:
        case TTLOCK_LOG_PASSCODE_EXPIRED:
        case TTLOCK_LOG_PASSCODE_SPACE_INSUFFICIENT:
        case TTLOCK_LOG_PASSCODE_BLACKLISTED:
        case TTLOCK_LOG_PASSCODE_LOCK:
        case TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED:
                return TTLOCK_LOG_TAIL_PASSCODE_PAIR;
        case TTLOCK_LOG_KEYPAD_MODIFY_PASSCODE:
                return TTLOCK_LOG_TAIL_MODIFY;
        case TTLOCK_LOG_KEYPAD_DELETE_PASSCODE:
                return TTLOCK_LOG_TAIL_DELETE_ONE;
        case TTLOCK_LOG_WRONG_PASSCODE:
                return TTLOCK_LOG_TAIL_WRONG_PASSCODE;
        case TTLOCK_LOG_KEYPAD_DELETE_ALL_PASSCODES:
                return TTLOCK_LOG_TAIL_DELETE_ALL;
        case TTLOCK_LOG_PASSCODE_KICKED:
                return TTLOCK_LOG_TAIL_KICKED;
        case TTLOCK_LOG_ADD_IC:
        case TTLOCK_LOG_IC_UNLOCK:
        case TTLOCK_LOG_DELETE_IC:
        case TTLOCK_LOG_IC_UNLOCK_FAILED:
        case TTLOCK_LOG_IC_LOCK:
        case TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED:
        case TTLOCK_LOG_IC_BLACKLISTED:
        case TTLOCK_LOG_CPU_CARD_FAILED:
                return TTLOCK_LOG_TAIL_CARD;
        case TTLOCK_LOG_BRACELET_UNLOCK:
                return TTLOCK_LOG_TAIL_BRACELET;
        case TTLOCK_LOG_FR_UNLOCK:
        case TTLOCK_LOG_ADD_FR:
        case TTLOCK_LOG_FR_UNLOCK_FAILED:
        case TTLOCK_LOG_DELETE_FR:
        case TTLOCK_LOG_FR_LOCK:
        case TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED:
                return TTLOCK_LOG_TAIL_FINGERPRINT;
        case TTLOCK_LOG_WIRELESS_KEY_FOB:
                return TTLOCK_LOG_TAIL_KEY_FOB;
        case TTLOCK_LOG_WIRELESS_KEYPAD:
                return TTLOCK_LOG_TAIL_KEYPAD;
        case TTLOCK_LOG_REBOOT:
        case TTLOCK_LOG_CLEAR_IC:
        case TTLOCK_LOG_CLEAR_FR:
        case TTLOCK_LOG_MECHANICAL_KEY_UNLOCK:
        case TTLOCK_LOG_ILLEGAL_UNLOCK:
        case TTLOCK_LOG_DOOR_SENSOR_CLOSED:
        case TTLOCK_LOG_DOOR_SENSOR_OPENED:
        case TTLOCK_LOG_GOING_OUT:
        case TTLOCK_LOG_MECHANICAL_KEY_LOCK:
        case TTLOCK_LOG_POST_LOCAL_MAIL ... TTLOCK_LOG_SYSTEM_LOCKED:
                return TTLOCK_LOG_TAIL_NONE;
        default:
                return TTLOCK_LOG_TAIL_RAW;
        }
}

/* The SDK's LogOperate constant names, as §4.3 cites them ([official constant/LogOperate.java],
 * [JS LogOperate.ts]). 42–48 have none in the SDK ("no parameters"): their names here are ours, after
 * the meanings of the Open Platform's list (§4.5), which also shows that [DD]'s guesses for them were
 * wrong. ILLAGEL is the SDK's own spelling. */
static const char *const log_type_names[256] = {
        [TTLOCK_LOG_APP_UNLOCK] = "OPERATE_TYPE_MOBILE_UNLOCK",
        [TTLOCK_LOG_PASSCODE_UNLOCK] = "OPERATE_TYPE_KEYBOARD_PASSWORD_UNLOCK",
        [TTLOCK_LOG_KEYPAD_MODIFY_PASSCODE] = "OPERATE_TYPE_KEYBOARD_MODIFY_PASSWORD",
        [TTLOCK_LOG_KEYPAD_DELETE_PASSCODE] = "OPERATE_TYPE_KEYBOARD_REMOVE_SINGLE_PASSWORD",
        [TTLOCK_LOG_WRONG_PASSCODE] = "OPERATE_TYPE_ERROR_PASSWORD_UNLOCK",
        [TTLOCK_LOG_KEYPAD_DELETE_ALL_PASSCODES] = "OPERATE_TYPE_KEYBOARD_REMOVE_ALL_PASSWORDS",
        [TTLOCK_LOG_PASSCODE_KICKED] = "OPERATE_TYPE_KEYBOARD_PASSWORD_KICKED",
        [TTLOCK_LOG_DELETE_CODE_USED] = "OPERATE_TYPE_USE_DELETE_CODE",
        [TTLOCK_LOG_PASSCODE_EXPIRED] = "OPERATE_TYPE_PASSCODE_EXPIRED",
        [TTLOCK_LOG_PASSCODE_SPACE_INSUFFICIENT] = "OPERATE_TYPE_SPACE_INSUFFICIENT",
        [TTLOCK_LOG_PASSCODE_BLACKLISTED] = "OPERATE_TYPE_PASSCODE_IN_BLACK_LIST",
        [TTLOCK_LOG_REBOOT] = "OPERATE_TYPE_DOOR_REBOOT",
        [TTLOCK_LOG_ADD_IC] = "OPERATE_TYPE_ADD_IC",
        [TTLOCK_LOG_CLEAR_IC] = "OPERATE_TYPE_CLEAR_IC_SUCCEED",
        [TTLOCK_LOG_IC_UNLOCK] = "OPERATE_TYPE_IC_UNLOCK_SUCCEED",
        [TTLOCK_LOG_DELETE_IC] = "OPERATE_TYPE_DELETE_IC_SUCCEED",
        [TTLOCK_LOG_BRACELET_UNLOCK] = "OPERATE_TYPE_BONG_UNLOCK_SUCCEED",
        [TTLOCK_LOG_FR_UNLOCK] = "OPERATE_TYPE_FR_UNLOCK_SUCCEED",
        [TTLOCK_LOG_ADD_FR] = "OPERATE_TYPE_ADD_FR",
        [TTLOCK_LOG_FR_UNLOCK_FAILED] = "OPERATE_TYPE_FR_UNLOCK_FAILED",
        [TTLOCK_LOG_DELETE_FR] = "OPERATE_TYPE_DELETE_FR_SUCCEED",
        [TTLOCK_LOG_CLEAR_FR] = "OPERATE_TYPE_CLEAR_FR_SUCCEED",
        [TTLOCK_LOG_IC_UNLOCK_FAILED] = "OPERATE_TYPE_IC_UNLOCK_FAILED",
        [TTLOCK_LOG_BLE_LOCK] = "OPERATE_BLE_LOCK",
        [TTLOCK_LOG_MECHANICAL_KEY_UNLOCK] = "OPERATE_KEY_UNLOCK",
        [TTLOCK_LOG_GATEWAY_UNLOCK] = "GATEWAY_UNLOCK",
        [TTLOCK_LOG_ILLEGAL_UNLOCK] = "ILLAGEL_UNLOCK",
        [TTLOCK_LOG_DOOR_SENSOR_CLOSED] = "DOOR_SENSOR_LOCK",
        [TTLOCK_LOG_DOOR_SENSOR_OPENED] = "DOOR_SENSOR_UNLOCK",
        [TTLOCK_LOG_GOING_OUT] = "DOOR_GO_OUT",
        [TTLOCK_LOG_FR_LOCK] = "FR_LOCK",
        [TTLOCK_LOG_PASSCODE_LOCK] = "PASSCODE_LOCK",
        [TTLOCK_LOG_IC_LOCK] = "IC_LOCK",
        [TTLOCK_LOG_MECHANICAL_KEY_LOCK] = "OPERATE_KEY_LOCK",
        [TTLOCK_LOG_REMOTE_CONTROL_KEY] = "REMOTE_CONTROL_KEY",
        [TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED] = "PASSCODE_UNLOCK_FAILED_LOCK_REVERSE",
        [TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED] = "IC_UNLOCK_FAILED_LOCK_REVERSE",
        [TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED] = "FR_UNLOCK_FAILED_LOCK_REVERSE",
        [TTLOCK_LOG_APP_UNLOCK_FAILED_LOCKED] = "APP_UNLOCK_FAILED_LOCK_REVERSE",
        [TTLOCK_LOG_POST_LOCAL_MAIL] = "POST_LOCAL_MAIL",
        [TTLOCK_LOG_POST_OTHER_MAIL] = "POST_OTHER_MAIL",
        [TTLOCK_LOG_TAMPER_ALARM] = "TAMPER_ALARM",
        [TTLOCK_LOG_AUTO_LOCK] = "AUTO_LOCK_TIMEOUT",
        [TTLOCK_LOG_UNLOCK_BUTTON] = "UNLOCK_BUTTON",
        [TTLOCK_LOG_LOCK_BUTTON] = "LOCK_BUTTON",
        [TTLOCK_LOG_SYSTEM_LOCKED] = "SYSTEM_LOCKED",
        [TTLOCK_LOG_IC_BLACKLISTED] = "IC_UNLOCK_FAILED_BLANKLIST",
        [TTLOCK_LOG_WIRELESS_KEY_FOB] = "WIRELESS_KEY_FOB",
        [TTLOCK_LOG_WIRELESS_KEYPAD] = "WIRELESS_KEY_PAD",
        [TTLOCK_LOG_CPU_CARD_FAILED] = "CPU_CARD_UNLOCK_FAILED",
};

const char *ttlock_log_type_name(uint8_t type) {
        return log_type_names[type];
}

#define EV(k, m) ((TTLogEventClass) { TTLOCK_LOG_EVENT_##k, TTLOCK_LOG_METHOD_##m })

TTLogEventClass ttlock_log_type_event(uint8_t type) {
        /* Unlocked/locked follow the categories §7.2 reports from the HA add-on (UNLOCK 1, 4, 17,
         * 19, 20, 27, 28, 29; LOCK 26, 33, 34, 35, 36), plus 10 (a delete-code's first use opens the
         * door, §4.3) and the types of §4.5: 45 the lock's own timed re-lock (auto-lock), 46/47 its
         * buttons, 63 a passage-mode window that opened it. 30/31 are the door sensor, which the
         * add-on counts as lock/unlock: they say where the door is, not the bolt (§4.7), so they are
         * door events, as 64 (the lock's door-not-closed alarm) is. 65/66 are a motor that did not
         * finish in time (§4.6). Failures are the §4.3 rows whose names say so. 37 (remote-control
         * key) and 55 (key fob) do not record which button was pressed, so they are "other" with
         * their method, never a guessed direction. */
        switch (type) {
        case TTLOCK_LOG_APP_UNLOCK:
                return EV(UNLOCKED, APP);
        case TTLOCK_LOG_PASSCODE_UNLOCK:
        case TTLOCK_LOG_DELETE_CODE_USED:
                return EV(UNLOCKED, PASSCODE);
        case TTLOCK_LOG_IC_UNLOCK:
                return EV(UNLOCKED, IC_CARD);
        case TTLOCK_LOG_BRACELET_UNLOCK:
                return EV(UNLOCKED, BRACELET);
        case TTLOCK_LOG_FR_UNLOCK:
                return EV(UNLOCKED, FINGERPRINT);
        case TTLOCK_LOG_MECHANICAL_KEY_UNLOCK:
                return EV(UNLOCKED, MECHANICAL_KEY);
        case TTLOCK_LOG_GATEWAY_UNLOCK:
                return EV(UNLOCKED, REMOTE);
        case TTLOCK_LOG_ILLEGAL_UNLOCK:
                return EV(UNLOCKED, UNKNOWN);
        case TTLOCK_LOG_UNLOCK_BUTTON:
                return EV(UNLOCKED, BUTTON);
        case TTLOCK_LOG_PASSAGE_AUTO_UNLOCK:
                return EV(UNLOCKED, PASSAGE_MODE);

        case TTLOCK_LOG_BLE_LOCK:
                return EV(LOCKED, APP);
        case TTLOCK_LOG_AUTO_LOCK:
                return EV(LOCKED, AUTO_LOCK);
        case TTLOCK_LOG_LOCK_BUTTON:
                return EV(LOCKED, BUTTON);
        case TTLOCK_LOG_FR_LOCK:
                return EV(LOCKED, FINGERPRINT);
        case TTLOCK_LOG_PASSCODE_LOCK:
                return EV(LOCKED, PASSCODE);
        case TTLOCK_LOG_IC_LOCK:
                return EV(LOCKED, IC_CARD);
        case TTLOCK_LOG_MECHANICAL_KEY_LOCK:
                return EV(LOCKED, MECHANICAL_KEY);

        case TTLOCK_LOG_WRONG_PASSCODE:
        case TTLOCK_LOG_PASSCODE_EXPIRED:
        case TTLOCK_LOG_PASSCODE_SPACE_INSUFFICIENT:
        case TTLOCK_LOG_PASSCODE_BLACKLISTED:
        case TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED:
                return EV(UNLOCK_FAILED, PASSCODE);
        case TTLOCK_LOG_FR_UNLOCK_FAILED:
        case TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED:
                return EV(UNLOCK_FAILED, FINGERPRINT);
        case TTLOCK_LOG_IC_UNLOCK_FAILED:
        case TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED:
        case TTLOCK_LOG_IC_BLACKLISTED:
        case TTLOCK_LOG_CPU_CARD_FAILED:
                return EV(UNLOCK_FAILED, IC_CARD);
        case TTLOCK_LOG_APP_UNLOCK_FAILED_LOCKED:
                return EV(UNLOCK_FAILED, APP);

        case TTLOCK_LOG_UNLOCK_TIMEOUT:
        case TTLOCK_LOG_LOCK_TIMEOUT:
                return EV(JAMMED, UNKNOWN);
        case TTLOCK_LOG_DOOR_SENSOR_OPENED:
                return EV(DOOR_OPENED, DOOR_SENSOR);
        case TTLOCK_LOG_DOOR_SENSOR_CLOSED:
                return EV(DOOR_CLOSED, DOOR_SENSOR);
        case TTLOCK_LOG_DOOR_NOT_CLOSED_ALARM:
                return EV(DOOR_LEFT_OPEN, DOOR_SENSOR);

        case TTLOCK_LOG_KEYPAD_MODIFY_PASSCODE:
        case TTLOCK_LOG_KEYPAD_DELETE_PASSCODE:
        case TTLOCK_LOG_KEYPAD_DELETE_ALL_PASSCODES:
        case TTLOCK_LOG_PASSCODE_KICKED:
                return EV(OTHER, PASSCODE);
        case TTLOCK_LOG_ADD_IC:
        case TTLOCK_LOG_CLEAR_IC:
        case TTLOCK_LOG_DELETE_IC:
                return EV(OTHER, IC_CARD);
        case TTLOCK_LOG_ADD_FR:
        case TTLOCK_LOG_DELETE_FR:
        case TTLOCK_LOG_CLEAR_FR:
                return EV(OTHER, FINGERPRINT);
        case TTLOCK_LOG_REMOTE_CONTROL_KEY:
                return EV(OTHER, REMOTE);
        case TTLOCK_LOG_WIRELESS_KEY_FOB:
                return EV(OTHER, KEY_FOB);
        case TTLOCK_LOG_WIRELESS_KEYPAD:
                return EV(OTHER, WIRELESS_KEYPAD);
        default:
                return EV(OTHER, UNKNOWN);
        }
}

const char *ttlock_log_event_kind_to_string(TTLogEventKind k) {
        switch (k) {
        case TTLOCK_LOG_EVENT_UNLOCKED:
                return "unlocked";
        case TTLOCK_LOG_EVENT_LOCKED:
                return "locked";
        case TTLOCK_LOG_EVENT_UNLOCK_FAILED:
                return "unlock-failed";
        case TTLOCK_LOG_EVENT_JAMMED:
                return "jammed";
        case TTLOCK_LOG_EVENT_DOOR_OPENED:
                return "door-opened";
        case TTLOCK_LOG_EVENT_DOOR_CLOSED:
                return "door-closed";
        case TTLOCK_LOG_EVENT_DOOR_LEFT_OPEN:
                return "door-left-open";
        default:
                return "other";
        }
}

const char *ttlock_log_method_to_string(TTLogMethod m) {
        static const char *const names[] = {
                [TTLOCK_LOG_METHOD_UNKNOWN] = "unknown",
                [TTLOCK_LOG_METHOD_APP] = "app",
                [TTLOCK_LOG_METHOD_PASSCODE] = "passcode",
                [TTLOCK_LOG_METHOD_IC_CARD] = "ic-card",
                [TTLOCK_LOG_METHOD_FINGERPRINT] = "fingerprint",
                [TTLOCK_LOG_METHOD_MECHANICAL_KEY] = "mechanical-key",
                [TTLOCK_LOG_METHOD_REMOTE] = "remote",
                [TTLOCK_LOG_METHOD_BRACELET] = "bracelet",
                [TTLOCK_LOG_METHOD_KEY_FOB] = "key-fob",
                [TTLOCK_LOG_METHOD_WIRELESS_KEYPAD] = "wireless-keypad",
                [TTLOCK_LOG_METHOD_DOOR_SENSOR] = "door-sensor",
                [TTLOCK_LOG_METHOD_AUTO_LOCK] = "auto-lock",
                [TTLOCK_LOG_METHOD_BUTTON] = "button",
                [TTLOCK_LOG_METHOD_PASSAGE_MODE] = "passage-mode",
        };
        if ((size_t) m >= ELEMENTSOF(names))
                return "unknown";
        return names[m];
}

/* ---- Records ------------------------------------------------------------------------------------ */

static size_t pc_len(const TTLogPasscode *p) {
        return strnlen(p->code, sizeof(p->code));
}

static int pc_check(const TTLogPasscode *p, const char *field, TTError *e) {
        return ttlock_passcode_check(p->code, 0, TTLOCK_PASSCODE_MAX, field, e);
}

/* Bytes of the tail, after checking what will be written. */
static int tail_size(const TTLogRecord *rec, TTError *e) {
        int r;

        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_NONE:
                return 0;
        case TTLOCK_LOG_TAIL_APP:
                return 8;
        case TTLOCK_LOG_TAIL_REMOTE_KEY:
                return 9;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
        case TTLOCK_LOG_TAIL_MODIFY:
        case TTLOCK_LOG_TAIL_DELETE_ONE:
        case TTLOCK_LOG_TAIL_KICKED: {
                /* All four are two [len][digits] fields; the union members share one layout. */
                const TTLogPasscode *a = &rec->passcode_pair.original, *b = &rec->passcode_pair.typed;
                r = pc_check(a, "first passcode", e);
                if (r < 0)
                        return r;
                r = pc_check(b, "second passcode", e);
                if (r < 0)
                        return r;
                return (int) (2 + pc_len(a) + pc_len(b));
        }
        case TTLOCK_LOG_TAIL_WRONG_PASSCODE:
                r = pc_check(&rec->wrong.passcode, "passcode", e);
                if (r < 0)
                        return r;
                return (int) (1 + pc_len(&rec->wrong.passcode));
        case TTLOCK_LOG_TAIL_DELETE_ALL:
                if (!rec->delete_all.has_passcode)
                        return 5;
                r = pc_check(&rec->delete_all.passcode, "passcode", e);
                if (r < 0)
                        return r;
                return (int) (5 + 1 + pc_len(&rec->delete_all.passcode));
        case TTLOCK_LOG_TAIL_CARD:
                if (rec->card.size != 4 && rec->card.size != 8)
                        return tt_error(e, -EINVAL, "card size %u, expected 4 or 8", rec->card.size);
                if (rec->card.size == 4 && rec->card.number > UINT32_MAX)
                        return tt_error(e, -EINVAL, "card %" PRIu64 " does not fit 4 bytes",
                                        rec->card.number);
                return rec->card.size;
        case TTLOCK_LOG_TAIL_BRACELET:
                return 6;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                if (rec->fingerprint.id > TTLOCK_FINGERPRINT_ID_MAX)
                        return tt_error(e, -EINVAL, "fingerprint id %" PRIu64 " does not fit 6 bytes",
                                        rec->fingerprint.id);
                if (!rec->fingerprint.has_passcode)
                        return 6;
                r = pc_check(&rec->fingerprint.passcode, "passcode", e);
                if (r < 0)
                        return r;
                return (int) (6 + 1 + pc_len(&rec->fingerprint.passcode));
        case TTLOCK_LOG_TAIL_KEY_FOB:
                return 8;
        case TTLOCK_LOG_TAIL_KEYPAD:
                return 7;
        case TTLOCK_LOG_TAIL_RAW:
                if (rec->raw.len > TTLOCK_LOG_RAW_MAX)
                        return tt_error(e, -EINVAL, "raw tail of %zu bytes, at most %d", rec->raw.len,
                                        TTLOCK_LOG_RAW_MAX);
                return (int) rec->raw.len;
        }
        return tt_error(e, -EINVAL, "unknown tail layout %d", (int) rec->tail);
}

int ttlock_log_record_size(const TTLogRecord *rec, TTError *e) {
        uint8_t date[6];
        TTLogTail expected = ttlock_log_type_tail(rec->type);
        int n;

        if (rec->tail != expected)
                return tt_error(e, -EINVAL, "log record type %u needs tail layout %d, got %d", rec->type,
                                (int) expected, (int) rec->tail);
        if (ttlock_date6_encode(&rec->date, date) < 0)
                return tt_error(e, -EINVAL, "log record type %u: invalid date %u-%02u-%02u %02u:%02u:%02u",
                                rec->type, rec->date.year, rec->date.month, rec->date.day, rec->date.hour,
                                rec->date.minute, rec->date.second);
        n = tail_size(rec, e);
        if (n < 0)
                return n;
        /* recLen is one byte: 1 + 8 + tail ≤ 256. Only a raw tail could exceed it, and it is bounded. */
        return 1 + TTLOCK_LOG_RECORD_HEAD + n;
}

static void put_mac_le(TTWriter *w, const uint8_t mac[6]) {
        for (size_t i = 0; i < 6; i++)
                tt_put_u8(w, mac[5 - i]);
}

static void put_pc(TTWriter *w, const TTLogPasscode *p) {
        tt_put_u8(w, (uint8_t) pc_len(p));
        tt_put_bytes(w, p->code, pc_len(p));
}

int ttlock_log_record_encode(TTWriter *w, const TTLogRecord *rec, TTError *e) {
        int size, r;

        size = ttlock_log_record_size(rec, e);
        if (size < 0)
                return size;

        tt_put_u8(w, (uint8_t) (size - 1));
        tt_put_u8(w, rec->type);
        r = ttlock_put_date6(w, &rec->date, "date", e);
        if (r < 0)
                return r;
        tt_put_u8(w, rec->battery);

        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_NONE:
                break;
        case TTLOCK_LOG_TAIL_APP:
        case TTLOCK_LOG_TAIL_REMOTE_KEY:
                tt_put_u32be(w, rec->app.uid);
                tt_put_u32be(w, rec->app.record_id);
                if (rec->tail == TTLOCK_LOG_TAIL_REMOTE_KEY)
                        tt_put_u8(w, rec->app.key_id);
                break;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
        case TTLOCK_LOG_TAIL_MODIFY:
        case TTLOCK_LOG_TAIL_DELETE_ONE:
        case TTLOCK_LOG_TAIL_KICKED:
                put_pc(w, &rec->passcode_pair.original);
                put_pc(w, &rec->passcode_pair.typed);
                break;
        case TTLOCK_LOG_TAIL_WRONG_PASSCODE:
                put_pc(w, &rec->wrong.passcode);
                break;
        case TTLOCK_LOG_TAIL_DELETE_ALL:
                r = ttlock_put_date5(w, &rec->delete_all.date, "deletion date", e);
                if (r < 0)
                        return r;
                if (rec->delete_all.has_passcode)
                        put_pc(w, &rec->delete_all.passcode);
                break;
        case TTLOCK_LOG_TAIL_CARD:
                tt_put_uint_be(w, rec->card.number, rec->card.size);
                break;
        case TTLOCK_LOG_TAIL_BRACELET:
                put_mac_le(w, rec->bracelet.mac);
                break;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                tt_put_uint_be(w, rec->fingerprint.id, 6);
                if (rec->fingerprint.has_passcode)
                        put_pc(w, &rec->fingerprint.passcode);
                break;
        case TTLOCK_LOG_TAIL_KEY_FOB:
                put_mac_le(w, rec->key_fob.mac);
                tt_put_u8(w, rec->key_fob.key_id);
                tt_put_u8(w, rec->key_fob.battery);
                break;
        case TTLOCK_LOG_TAIL_KEYPAD:
                put_mac_le(w, rec->keypad.mac);
                tt_put_u8(w, rec->keypad.battery);
                break;
        case TTLOCK_LOG_TAIL_RAW:
                tt_put_bytes(w, rec->raw.data, rec->raw.len);
                break;
        }
        return tt_writer_finish(w, NULL, e);
}

static int get_mac_le(TTReader *r, const char *field, uint8_t ret[6]) {
        const uint8_t *p;
        int k = tt_get_bytes(r, field, 6, &p);
        if (k < 0)
                return k;
        for (size_t i = 0; i < 6; i++)
                ret[i] = p[5 - i];
        return 0;
}

static int get_pc(TTReader *r, const char *field, TTLogPasscode *ret) {
        return ttlock_passcode_get(r, field, 0, TTLOCK_PASSCODE_MAX, ret->code);
}

static int read_tail(TTReader *b, TTLogRecord *rec) {
        size_t left;
        int r = 0;

        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_NONE:
                break;
        case TTLOCK_LOG_TAIL_APP:
        case TTLOCK_LOG_TAIL_REMOTE_KEY:
                r = tt_get_u32be(b, "uid", &rec->app.uid);
                if (r >= 0)
                        r = tt_get_u32be(b, "record id", &rec->app.record_id);
                if (r >= 0 && rec->tail == TTLOCK_LOG_TAIL_REMOTE_KEY)
                        r = tt_get_u8(b, "key id", &rec->app.key_id);
                break;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                r = get_pc(b, "original passcode", &rec->passcode_pair.original);
                if (r >= 0)
                        r = get_pc(b, "typed passcode", &rec->passcode_pair.typed);
                break;
        case TTLOCK_LOG_TAIL_MODIFY:
                r = get_pc(b, "old passcode", &rec->modify.old_code);
                if (r >= 0)
                        r = get_pc(b, "new passcode", &rec->modify.new_code);
                break;
        case TTLOCK_LOG_TAIL_DELETE_ONE:
                r = get_pc(b, "passcode", &rec->delete_one.passcode);
                if (r >= 0)
                        r = get_pc(b, "deleted passcode", &rec->delete_one.deleted);
                break;
        case TTLOCK_LOG_TAIL_WRONG_PASSCODE:
                r = get_pc(b, "passcode", &rec->wrong.passcode);
                break;
        case TTLOCK_LOG_TAIL_DELETE_ALL:
                r = ttlock_get_date5(b, "deletion date", &rec->delete_all.date);
                /* §4.3: "‖ len ‖ passcode if space left". */
                if (r >= 0 && tt_reader_left(b) > 0) {
                        rec->delete_all.has_passcode = true;
                        r = get_pc(b, "passcode", &rec->delete_all.passcode);
                }
                break;
        case TTLOCK_LOG_TAIL_KICKED:
                r = get_pc(b, "passcode", &rec->kicked.passcode);
                if (r >= 0)
                        r = get_pc(b, "kicked passcode", &rec->kicked.kicked);
                break;
        case TTLOCK_LOG_TAIL_CARD:
                /* §4.3: the card number is the remaining bytes, 4 or 8. With 8 or more we read 8: a
                 * 4-byte card followed by ≥ 4 unknown bytes is indistinguishable, as in the SDK. */
                left = tt_reader_left(b);
                rec->card.size = left >= 8 ? 8 : 4;
                r = tt_get_uint_be(b, "card", rec->card.size, &rec->card.number);
                break;
        case TTLOCK_LOG_TAIL_BRACELET:
                r = get_mac_le(b, "bracelet MAC", rec->bracelet.mac);
                break;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                r = tt_get_uint_be(b, "fingerprint id", 6, &rec->fingerprint.id);
                if (r >= 0 && tt_reader_left(b) > 0) {
                        rec->fingerprint.has_passcode = true;
                        r = get_pc(b, "passcode", &rec->fingerprint.passcode);
                }
                break;
        case TTLOCK_LOG_TAIL_KEY_FOB:
                r = get_mac_le(b, "key fob MAC", rec->key_fob.mac);
                if (r >= 0)
                        r = tt_get_u8(b, "key id", &rec->key_fob.key_id);
                if (r >= 0)
                        r = tt_get_u8(b, "key fob battery", &rec->key_fob.battery);
                break;
        case TTLOCK_LOG_TAIL_KEYPAD:
                r = get_mac_le(b, "keypad MAC", rec->keypad.mac);
                if (r >= 0)
                        r = tt_get_u8(b, "keypad battery", &rec->keypad.battery);
                break;
        case TTLOCK_LOG_TAIL_RAW: {
                const uint8_t *p;

                left = tt_reader_left(b);
                r = tt_get_bytes(b, "raw tail", left, &p);
                if (r >= 0) {
                        memcpy(rec->raw.data, p, left);
                        rec->raw.len = left;
                }
                break;
        }
        }
        return r;
}

int ttlock_log_record_read(TTReader *r, TTLogRecord *ret) {
        TTReader b;
        TTError inner = {};
        TTLogRecord rec = {};
        const uint8_t *body;
        size_t start = r->pos;
        uint8_t rec_len;
        int k;

        k = tt_get_u8(r, "record length", &rec_len);
        if (k < 0)
                return k;
        if (rec_len < TTLOCK_LOG_RECORD_HEAD) {
                r->pos = start;
                return tt_error(r->error, -EBADMSG,
                                "log record at offset %zu: recLen %u cannot hold type, date and "
                                "battery (%d)",
                                start, rec_len, TTLOCK_LOG_RECORD_HEAD);
        }
        if (rec_len > tt_reader_left(r)) {
                size_t left = tt_reader_left(r);
                r->pos = start;
                return tt_error(r->error, -EBADMSG,
                                "log record at offset %zu: recLen %u runs past the data (%zu left)", start,
                                rec_len, left);
        }
        k = tt_get_bytes(r, "log record", rec_len, &body);
        if (k < 0) {
                r->pos = start;
                return k;
        }

        /* The record is read inside its own bounds; whatever it has after its fields is skipped. */
        b = TT_READER(body, rec_len, &inner);
        k = tt_get_u8(&b, "type", &rec.type);
        if (k >= 0)
                k = ttlock_get_date6(&b, "date", &rec.date);
        if (k >= 0)
                k = tt_get_u8(&b, "battery", &rec.battery);
        if (k >= 0) {
                rec.tail = ttlock_log_type_tail(rec.type);
                k = read_tail(&b, &rec);
        }
        if (k < 0) {
                r->pos = start;
                return tt_error(r->error, -EBADMSG, "log record type %u at offset %zu (recLen %u): %s",
                                rec.type, start, rec_len, tt_error_message(&inner));
        }
        *ret = rec;
        return 0;
}

/* ---- Request ------------------------------------------------------------------------------------ */

void ttlock_log_request_encode(TTWriter *w, uint16_t sequence) {
        tt_put_u16be(w, sequence);
}

int ttlock_log_request_decode(const uint8_t *data, size_t len, uint16_t *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        uint16_t v;
        int r;

        r = tt_get_u16be(&rd, "sequence", &v);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "operation-log request");
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

/* ---- Pages -------------------------------------------------------------------------------------- */

size_t ttlock_log_page_fit(const TTLogRecord *records, size_t n) {
        size_t used = 4, i;

        for (i = 0; i < n && i < TTLOCK_LOG_PAGE_MAX_RECORDS; i++) {
                int s = ttlock_log_record_size(&records[i], NULL);
                if (s < 0 || used + (size_t) s > TTLOCK_LOG_PAGE_DATA_MAX)
                        break;
                used += (size_t) s;
        }
        return i;
}

int ttlock_log_page_encode(TTWriter *w, uint16_t total, uint16_t next_sequence, const TTLogRecord *records,
                           size_t n, TTError *e) {
        size_t used = 4;
        int r;

        /* The page must fit one reply; the writer may be larger than that. */
        for (size_t i = 0; i < n; i++) {
                int s = ttlock_log_record_size(&records[i], e);
                if (s < 0)
                        return s;
                used += (size_t) s;
        }
        if (used > TTLOCK_LOG_PAGE_DATA_MAX)
                return tt_error(e, -EINVAL, "%zu log records need %zu bytes, a page holds %d", n, used,
                                TTLOCK_LOG_PAGE_DATA_MAX);

        tt_put_u16be(w, total);
        tt_put_u16be(w, next_sequence);
        for (size_t i = 0; i < n; i++) {
                r = ttlock_log_record_encode(w, &records[i], e);
                if (r < 0)
                        return r;
        }
        return tt_writer_finish(w, NULL, e);
}

int ttlock_log_page_decode(const uint8_t *data, size_t len, TTLogPage *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        _cleanup_free_ TTLogPage *page = NULL;
        int r;

        /* ~10 KiB: not on the stack of a daemon callback. */
        page = calloc(1, sizeof(*page));
        if (!page)
                return tt_error(e, -ENOMEM, "out of memory");

        r = tt_get_u16be(&rd, "total", &page->total);
        if (r < 0)
                return r;
        r = tt_get_u16be(&rd, "next sequence", &page->next_sequence);
        if (r < 0)
                return r;
        while (tt_reader_left(&rd) > 0) {
                if (page->n_records >= TTLOCK_LOG_PAGE_MAX_RECORDS)
                        return tt_error(e, -EBADMSG, "operation log page: more than %d records",
                                        TTLOCK_LOG_PAGE_MAX_RECORDS);
                r = ttlock_log_record_read(&rd, &page->records[page->n_records]);
                if (r < 0)
                        return r;
                page->n_records++;
        }
        memcpy(ret, page, sizeof(*page));
        return 0;
}
