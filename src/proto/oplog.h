/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* GET_OPERATE_LOG 0x25 (doc/protocol.md §4.3): the lock's operation log, read page by page.
 *
 * Request: the 2-byte sequence to read from (0xFFFF = records not read yet, 0 = whole history).
 * Reply data: total (2) ‖ next sequence (2) ‖ records, each
 *   [recLen][type][YY MM DD hh mm ss][battery][type-specific tail]
 * where recLen counts the bytes after itself. The decoder always continues at recStart + recLen
 * (§4.3 "for compatibility"): bytes after a known tail are skipped, and a record of a type this
 * library does not know keeps its tail as raw bytes so that nothing is lost. A recLen that runs
 * past the data, or that cannot hold type + date + battery, is rejected.
 *
 * The simulator writes these records (encoders below) and builds pages that fit one reply
 * (plaintext ≤ 239 bytes including [echo][status]). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "credentials.h"
#include "datetime.h"
#include "tt-error.h"

#define TTLOCK_LOG_NEW_RECORDS 0xFFFF /* request: what has not been read yet */
#define TTLOCK_LOG_ALL_RECORDS 0x0000 /* request: from the start */

/* The record types §4.3 names (LogOperate). */
typedef enum TTLogType {
        TTLOCK_LOG_APP_UNLOCK = 1,
        TTLOCK_LOG_PASSCODE_UNLOCK = 4,
        TTLOCK_LOG_KEYPAD_MODIFY_PASSCODE = 5,
        TTLOCK_LOG_KEYPAD_DELETE_PASSCODE = 6,
        TTLOCK_LOG_WRONG_PASSCODE = 7,
        TTLOCK_LOG_KEYPAD_DELETE_ALL_PASSCODES = 8,
        TTLOCK_LOG_PASSCODE_KICKED = 9,
        TTLOCK_LOG_DELETE_CODE_USED = 10,
        TTLOCK_LOG_PASSCODE_EXPIRED = 11,
        TTLOCK_LOG_PASSCODE_SPACE_INSUFFICIENT = 12,
        TTLOCK_LOG_PASSCODE_BLACKLISTED = 13,
        TTLOCK_LOG_REBOOT = 14,
        TTLOCK_LOG_ADD_IC = 15,
        TTLOCK_LOG_CLEAR_IC = 16,
        TTLOCK_LOG_IC_UNLOCK = 17,
        TTLOCK_LOG_DELETE_IC = 18,
        TTLOCK_LOG_BRACELET_UNLOCK = 19,
        TTLOCK_LOG_FR_UNLOCK = 20,
        TTLOCK_LOG_ADD_FR = 21,
        TTLOCK_LOG_FR_UNLOCK_FAILED = 22,
        TTLOCK_LOG_DELETE_FR = 23,
        TTLOCK_LOG_CLEAR_FR = 24,
        TTLOCK_LOG_IC_UNLOCK_FAILED = 25,
        TTLOCK_LOG_BLE_LOCK = 26,
        TTLOCK_LOG_MECHANICAL_KEY_UNLOCK = 27,
        TTLOCK_LOG_GATEWAY_UNLOCK = 28,
        TTLOCK_LOG_ILLEGAL_UNLOCK = 29,
        TTLOCK_LOG_DOOR_SENSOR_CLOSED = 30,
        TTLOCK_LOG_DOOR_SENSOR_OPENED = 31,
        TTLOCK_LOG_GOING_OUT = 32,
        TTLOCK_LOG_FR_LOCK = 33,
        TTLOCK_LOG_PASSCODE_LOCK = 34,
        TTLOCK_LOG_IC_LOCK = 35,
        TTLOCK_LOG_MECHANICAL_KEY_LOCK = 36,
        TTLOCK_LOG_REMOTE_CONTROL_KEY = 37,
        TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED = 38,
        TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED = 39,
        TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED = 40,
        TTLOCK_LOG_APP_UNLOCK_FAILED_LOCKED = 41,
        /* 42–48 have no tail ("no parameters", official LogOperate.java); their meanings are those of
         * the TTLock Open Platform's list of the lock's own record types (§4.5). */
        TTLOCK_LOG_POST_LOCAL_MAIL = 42,
        TTLOCK_LOG_POST_OTHER_MAIL = 43,
        TTLOCK_LOG_TAMPER_ALARM = 44,
        TTLOCK_LOG_AUTO_LOCK = 45, /* locked by itself when a time ran out (auto-lock, passage end) */
        TTLOCK_LOG_UNLOCK_BUTTON = 46,
        TTLOCK_LOG_LOCK_BUTTON = 47,
        TTLOCK_LOG_SYSTEM_LOCKED = 48, /* the keypad locked itself after wrong entries */
        TTLOCK_LOG_IC_BLACKLISTED = 51,
        TTLOCK_LOG_WIRELESS_KEY_FOB = 55,
        TTLOCK_LOG_WIRELESS_KEYPAD = 56,
        /* §4.5: tails not documented, kept raw. */
        TTLOCK_LOG_PASSAGE_AUTO_UNLOCK = 63, /* opened by itself as a passage-mode window began */
        TTLOCK_LOG_DOOR_NOT_CLOSED_ALARM = 64,
        TTLOCK_LOG_UNLOCK_TIMEOUT = 65, /* the motor did not finish unlocking in time: jammed */
        TTLOCK_LOG_LOCK_TIMEOUT = 66,   /* the motor did not finish locking in time: jammed */
        TTLOCK_LOG_CPU_CARD_FAILED = 74,
} TTLogType;

/* The tail layouts of the §4.3 table. */
typedef enum TTLogTail {
        TTLOCK_LOG_TAIL_NONE,          /* nothing (extra bytes skipped) */
        TTLOCK_LOG_TAIL_APP,           /* 1, 26, 28, 41: uid ‖ recordId */
        TTLOCK_LOG_TAIL_REMOTE_KEY,    /* 37: uid ‖ recordId ‖ keyId */
        TTLOCK_LOG_TAIL_PASSCODE_PAIR, /* 4, 10–13, 34, 38: original ‖ typed */
        TTLOCK_LOG_TAIL_MODIFY,        /* 5: old ‖ new */
        TTLOCK_LOG_TAIL_DELETE_ONE,    /* 6: passcode ‖ deleted */
        TTLOCK_LOG_TAIL_WRONG_PASSCODE,/* 7: passcode */
        TTLOCK_LOG_TAIL_DELETE_ALL,    /* 8: date5 [‖ passcode] */
        TTLOCK_LOG_TAIL_KICKED,        /* 9: passcode ‖ kicked */
        TTLOCK_LOG_TAIL_CARD,          /* 15, 17, 18, 25, 35, 39, 51, 74: card 4|8 BE */
        TTLOCK_LOG_TAIL_BRACELET,      /* 19: MAC (LE on the wire) */
        TTLOCK_LOG_TAIL_FINGERPRINT,   /* 20–23, 33, 40: id 6 BE [‖ passcode] */
        TTLOCK_LOG_TAIL_KEY_FOB,       /* 55: MAC ‖ keyId ‖ battery */
        TTLOCK_LOG_TAIL_KEYPAD,        /* 56: MAC ‖ battery */
        TTLOCK_LOG_TAIL_RAW,           /* a type §4.3 does not list: the tail bytes as sent */
} TTLogTail;

#define TTLOCK_LOG_RECORD_HEAD 8                               /* type ‖ date6 ‖ battery */
#define TTLOCK_LOG_RAW_MAX (UINT8_MAX - TTLOCK_LOG_RECORD_HEAD) /* recLen is one byte */

typedef struct TTLogPasscode {
        char code[TTLOCK_PASSCODE_MAX + 1]; /* 0–16 ASCII digits */
} TTLogPasscode;

typedef struct TTLogRecord {
        uint8_t type;
        TTDateTime date;
        uint8_t battery;
        TTLogTail tail;
        union {
                struct {
                        uint32_t uid;
                        uint32_t record_id;
                        uint8_t key_id; /* REMOTE_KEY only */
                } app;
                struct {
                        TTLogPasscode original, typed;
                } passcode_pair;
                struct {
                        TTLogPasscode old_code, new_code;
                } modify;
                struct {
                        TTLogPasscode passcode, deleted;
                } delete_one;
                struct {
                        TTLogPasscode passcode;
                } wrong;
                struct {
                        TTDateTime date; /* minute precision */
                        bool has_passcode;
                        TTLogPasscode passcode;
                } delete_all;
                struct {
                        TTLogPasscode passcode, kicked;
                } kicked;
                TTCard card;
                struct {
                        uint8_t mac[6]; /* display order: mac[0] is AA of AA:BB:…; reversed on the wire */
                } bracelet;
                struct {
                        uint64_t id; /* ≤ 0xFFFFFFFFFFFF */
                        bool has_passcode;
                        TTLogPasscode passcode;
                } fingerprint;
                struct {
                        uint8_t mac[6];
                        uint8_t key_id;
                        uint8_t battery;
                } key_fob;
                struct {
                        uint8_t mac[6];
                        uint8_t battery;
                } keypad;
                struct {
                        size_t len;
                        uint8_t data[TTLOCK_LOG_RAW_MAX];
                } raw;
        };
} TTLogRecord;

/* The layout a type uses: NONE for the "no parameters" types of §4.3, RAW for types it does not list. */
TTLogTail ttlock_log_type_tail(uint8_t type);

/* Encoded size of rec including its recLen byte; -EINVAL (with a message) when rec cannot be
 * encoded: tail not the one of its type, passcode not 0–16 digits, bad date, id too large. */
int ttlock_log_record_size(const TTLogRecord *rec, TTError *e);
int ttlock_log_record_encode(TTWriter *w, const TTLogRecord *rec, TTError *e);
/* Reads one record at r's position and leaves r at recStart + recLen. */
int ttlock_log_record_read(TTReader *r, TTLogRecord *ret);

/* ---- Request ---- */
void ttlock_log_request_encode(TTWriter *w, uint16_t sequence);
int ttlock_log_request_decode(const uint8_t *data, size_t len, uint16_t *ret, TTError *e);

/* ---- Reply pages ---- */

/* Reply data available for total/next/records: plaintext 239 minus [echo][status]. */
#define TTLOCK_LOG_PAGE_DATA_MAX (TTLOCK_REPLY_DATA_MAX)
#define TTLOCK_LOG_PAGE_MAX_RECORDS ((TTLOCK_LOG_PAGE_DATA_MAX - 4) / (1 + TTLOCK_LOG_RECORD_HEAD))

typedef struct TTLogPage {
        uint16_t total;         /* 0 ⇒ nothing to read */
        uint16_t next_sequence; /* the sequence to request next */
        size_t n_records;
        TTLogRecord records[TTLOCK_LOG_PAGE_MAX_RECORDS];
} TTLogPage;

/* How many of records[0…n) fit one reply page. A record that cannot be encoded ends the count. */
size_t ttlock_log_page_fit(const TTLogRecord *records, size_t n);
int ttlock_log_page_encode(TTWriter *w, uint16_t total, uint16_t next_sequence, const TTLogRecord *records,
                           size_t n, TTError *e);
int ttlock_log_page_decode(const uint8_t *data, size_t len, TTLogPage *ret, TTError *e);

/* ---- Names and event classes ---- */

/* The SDK's LogOperate constant name ("OPERATE_TYPE_MOBILE_UNLOCK"…), NULL for a type §4.3 does not
 * name. 42–48 have no SDK constant: their names are ours, after the meanings §4.5 gives. */
const char *ttlock_log_type_name(uint8_t type);

typedef enum TTLogEventKind {
        TTLOCK_LOG_EVENT_OTHER,
        TTLOCK_LOG_EVENT_UNLOCKED,
        TTLOCK_LOG_EVENT_LOCKED,
        TTLOCK_LOG_EVENT_UNLOCK_FAILED,
        TTLOCK_LOG_EVENT_JAMMED,
        TTLOCK_LOG_EVENT_DOOR_OPENED,
        TTLOCK_LOG_EVENT_DOOR_CLOSED,
        TTLOCK_LOG_EVENT_DOOR_LEFT_OPEN,
} TTLogEventKind;

typedef enum TTLogMethod {
        TTLOCK_LOG_METHOD_UNKNOWN,
        TTLOCK_LOG_METHOD_APP,
        TTLOCK_LOG_METHOD_PASSCODE,
        TTLOCK_LOG_METHOD_IC_CARD,
        TTLOCK_LOG_METHOD_FINGERPRINT,
        TTLOCK_LOG_METHOD_MECHANICAL_KEY,
        TTLOCK_LOG_METHOD_REMOTE,
        TTLOCK_LOG_METHOD_BRACELET,
        TTLOCK_LOG_METHOD_KEY_FOB,
        TTLOCK_LOG_METHOD_WIRELESS_KEYPAD,
        TTLOCK_LOG_METHOD_DOOR_SENSOR,
        TTLOCK_LOG_METHOD_AUTO_LOCK,
        TTLOCK_LOG_METHOD_BUTTON,
        TTLOCK_LOG_METHOD_PASSAGE_MODE,
} TTLogMethod;

typedef struct TTLogEventClass {
        TTLogEventKind kind;
        TTLogMethod method;
} TTLogEventClass;

/* What the daemon signals for a record type (Lock1.Event in dbus/org.ttlock.Lock1.xml, doc/protocol.md
 * §7.2). */
TTLogEventClass ttlock_log_type_event(uint8_t type);
/* "unlocked" | "locked" | "unlock-failed" | "jammed" | "door-opened" | "door-closed" |
 * "door-left-open" | "other" */
const char *ttlock_log_event_kind_to_string(TTLogEventKind k);
/* "app" | "passcode" | "ic-card" | "fingerprint" | "mechanical-key" | "remote" | "bracelet" |
 * "key-fob" | "wireless-keypad" | "door-sensor" | "auto-lock" | "button" | "passage-mode" | "unknown" */
const char *ttlock_log_method_to_string(TTLogMethod m);
