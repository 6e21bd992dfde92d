/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The settings family (doc/protocol.md §4.3): AUTO_LOCK_MANAGE 0x36, CONTROL_REMOTE_UNLOCK 0x37,
 * SHOW_PASSWORD 0x59, FREEZE_LOCK 0x61, AUDIO_MANAGE 0x62, CONFIGURE_PASSAGE_MODE 0x66, LAMP 0x67 and
 * SWITCH 0x68. Every command has a request encoder (daemon) and decoder (simulator), and a reply
 * encoder (simulator) and decoder (daemon).
 *
 * Requests start with an operation byte (01 query, 02 set; passage mode adds 03 delete, 04 clear).
 * "Reply data" is what follows [echo][status] (reply.h): d[0] is the battery level, d[1] echoes the
 * operation, then come the command's fields (§4.3 notation). The battery byte is carried as sent.
 *
 * Strictness: request decoders are the simulator's and reject any byte they do not expect (wrong
 * length, value out of range), so that a daemon bug shows up as a failed test rather than as a lock
 * that quietly does something else. Reply decoders are the daemon's and ignore bytes after the
 * fields they know: §4.3's own layouts grew across firmware generations (AUDIO_MANAGE's volume
 * "if present", AUTO_LOCK_MANAGE's min/max range), so a newer lock that appends a field must not
 * make a setting the daemon has already read correctly fail. Fields a lock may omit are optional in
 * the reply structs (has_…) and named per command below. Values the daemon relies on (booleans,
 * volume, passage-mode records) are still checked.
 *
 * Encoders validate what they write and return -EINVAL with a message; decoders return -EBADMSG
 * with the field and value at fault. Neither touches *ret on failure. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "frame.h"
#include "tt-error.h"

/* The operation byte shared by every command of the family (§4.3). */
#define TTLOCK_SETTING_QUERY 0x01
#define TTLOCK_SETTING_SET 0x02

/* ---- AUTO_LOCK_MANAGE 0x36 ---------------------------------------------------------------- */

/* §4.3: in the door-sensor form of Set, seconds FFFF means "keep the current auto-lock time".
 * A plain Set may therefore not ask for 65535 s. */
#define TTLOCK_AUTO_LOCK_KEEP_TIME 0xFFFF

typedef struct TTAutoLockRequest {
        uint8_t op;            /* TTLOCK_SETTING_QUERY: [01]; TTLOCK_SETTING_SET: see below */
        bool door_sensor;      /* SET: [02][FF][FF][value] instead of [02][seconds 2] */
        uint16_t seconds;      /* SET, !door_sensor: 0 disables auto-lock; < 0xFFFF */
        uint8_t door_sensor_value; /* SET, door_sensor: carried as given, §4.3 names no range */
} TTAutoLockRequest;

typedef struct TTAutoLockReply {
        uint8_t battery;
        uint8_t op;       /* echo: QUERY or SET; a SET reply has no further fields */
        uint16_t seconds; /* QUERY: current auto-lock time, 0 = off */
        /* QUERY: §4.3 puts min/max at d[4..7]. A reply that stops after the current time is
         * accepted, because the current time is all the daemon needs to show and change the
         * setting; the range is then unknown. min and max come together: a reply with min but
         * no max is truncated. */
        bool has_range;
        uint16_t min_seconds;
        uint16_t max_seconds;
} TTAutoLockReply;

int ttlock_auto_lock_request_encode(TTWriter *w, const TTAutoLockRequest *req, TTError *e);
int ttlock_auto_lock_request_decode(const uint8_t *data, size_t len, TTAutoLockRequest *ret, TTError *e);
int ttlock_auto_lock_reply_encode(TTWriter *w, const TTAutoLockReply *reply, TTError *e);
int ttlock_auto_lock_reply_decode(const uint8_t *data, size_t len, TTAutoLockReply *ret, TTError *e);

/* ---- CONTROL_REMOTE_UNLOCK 0x37, SHOW_PASSWORD 0x59, FREEZE_LOCK 0x61 ----------------------
 * §4.3: "same pattern" — query [01] → battery, 01, value; set [02][value] → battery, 02. Value is
 * 0/1 for all three (remote unlock off/on, passcode hidden/shown, unfrozen/frozen). One codec,
 * called "toggle" here so that it is not confused with the SWITCH command 0x68; the per-command
 * functions only differ in the name their error messages use. */

typedef struct TTToggleRequest {
        uint8_t op;   /* QUERY: [01]; SET: [02][value] */
        bool enabled; /* SET */
} TTToggleRequest;

typedef struct TTToggleReply {
        uint8_t battery;
        uint8_t op;   /* echo */
        bool enabled; /* QUERY only: required, the value is the point of the query */
} TTToggleReply;

int ttlock_remote_unlock_request_encode(TTWriter *w, const TTToggleRequest *req, TTError *e);
int ttlock_remote_unlock_request_decode(const uint8_t *data, size_t len, TTToggleRequest *ret, TTError *e);
int ttlock_remote_unlock_reply_encode(TTWriter *w, const TTToggleReply *reply, TTError *e);
int ttlock_remote_unlock_reply_decode(const uint8_t *data, size_t len, TTToggleReply *ret, TTError *e);

int ttlock_show_password_request_encode(TTWriter *w, const TTToggleRequest *req, TTError *e);
int ttlock_show_password_request_decode(const uint8_t *data, size_t len, TTToggleRequest *ret, TTError *e);
int ttlock_show_password_reply_encode(TTWriter *w, const TTToggleReply *reply, TTError *e);
int ttlock_show_password_reply_decode(const uint8_t *data, size_t len, TTToggleReply *ret, TTError *e);

int ttlock_freeze_request_encode(TTWriter *w, const TTToggleRequest *req, TTError *e);
int ttlock_freeze_request_decode(const uint8_t *data, size_t len, TTToggleRequest *ret, TTError *e);
int ttlock_freeze_reply_encode(TTWriter *w, const TTToggleReply *reply, TTError *e);
int ttlock_freeze_reply_decode(const uint8_t *data, size_t len, TTToggleReply *ret, TTError *e);

/* ---- AUDIO_MANAGE 0x62 -------------------------------------------------------------------- */

#define TTLOCK_AUDIO_VOLUME_MIN 1
#define TTLOCK_AUDIO_VOLUME_MAX 5

typedef struct TTAudioRequest {
        uint8_t op;       /* QUERY: [01]; SET: [02][0|1] or [02][01][volume][language] */
        bool enabled;     /* SET */
        bool has_volume;  /* SET: the long form; only with enabled (its second byte is 01) */
        uint8_t volume;   /* 1…5 */
        uint8_t language; /* §4.3 shows 0 only; carried as given */
} TTAudioRequest;

typedef struct TTAudioReply {
        uint8_t battery;
        uint8_t op;      /* echo */
        bool enabled;    /* QUERY: required */
        /* QUERY: d[3] volume exists only on locks with the volume feature (§4.3 "if present",
         * feature bit 43); locks without it stop after on/off. When present it must be 1…5. */
        bool has_volume;
        uint8_t volume;
} TTAudioReply;

int ttlock_audio_request_encode(TTWriter *w, const TTAudioRequest *req, TTError *e);
int ttlock_audio_request_decode(const uint8_t *data, size_t len, TTAudioRequest *ret, TTError *e);
int ttlock_audio_reply_encode(TTWriter *w, const TTAudioReply *reply, TTError *e);
int ttlock_audio_reply_decode(const uint8_t *data, size_t len, TTAudioReply *ret, TTError *e);

/* ---- CONFIGURE_PASSAGE_MODE 0x66 ---------------------------------------------------------- */

#define TTLOCK_PASSAGE_MODE_QUERY 0x01
#define TTLOCK_PASSAGE_MODE_ADD 0x02
#define TTLOCK_PASSAGE_MODE_DELETE 0x03
#define TTLOCK_PASSAGE_MODE_CLEAR 0x04

#define TTLOCK_PASSAGE_MODE_WEEKLY 1
#define TTLOCK_PASSAGE_MODE_MONTHLY 2

/* Query paging (§4.3): start at seq 0, repeat with the returned seq until it is FF. */
#define TTLOCK_PASSAGE_MODE_SEQ_DONE 0xFF
#define TTLOCK_PASSAGE_MODE_RECORD_SIZE 7
/* As many 7-byte records as fit in one reply: plaintext ≤ 239 bytes (frame.h) minus echo, status,
 * battery, op and next seq. */
#define TTLOCK_PASSAGE_MODE_RECORDS_MAX ((TTLOCK_PLAIN_MAX - 5) / TTLOCK_PASSAGE_MODE_RECORD_SIZE)

typedef struct TTPassageModeRecord {
        uint8_t type;        /* WEEKLY or MONTHLY */
        uint8_t week_or_day; /* WEEKLY: 1 = Mon … 7 = Sun, 0 = every day ([JS], §4.3); MONTHLY: 1…31 */
        uint8_t month;       /* §4.3 names its position only; carried unchecked */
        uint8_t start_hour;  /* < 24 */
        uint8_t start_minute; /* < 60 */
        uint8_t end_hour;
        uint8_t end_minute;
} TTPassageModeRecord;

typedef struct TTPassageModeRequest {
        uint8_t op;                 /* QUERY [01][seq]; ADD [02]+record; DELETE [03]+record; CLEAR [04] */
        uint8_t seq;                /* QUERY */
        TTPassageModeRecord record; /* ADD, DELETE */
} TTPassageModeRequest;

typedef struct TTPassageModeReply {
        uint8_t battery;
        uint8_t op;       /* echo; only a QUERY reply has further fields */
        uint8_t next_seq; /* QUERY: TTLOCK_PASSAGE_MODE_SEQ_DONE when there is nothing more */
        size_t n_records; /* QUERY: whole records that fit, §4.3 gives no count; a shorter tail
                           * is ignored like any trailing bytes of a reply */
        TTPassageModeRecord records[TTLOCK_PASSAGE_MODE_RECORDS_MAX];
} TTPassageModeReply;

/* 0, or -EINVAL with a message naming the field: type 1/2, weekday 0…7 (weekly), day 1…31
 * (monthly), hours < 24, minutes < 60. */
int ttlock_passage_mode_record_check(const TTPassageModeRecord *rec, TTError *e);

int ttlock_passage_mode_request_encode(TTWriter *w, const TTPassageModeRequest *req, TTError *e);
int ttlock_passage_mode_request_decode(const uint8_t *data, size_t len, TTPassageModeRequest *ret,
                                       TTError *e);
int ttlock_passage_mode_reply_encode(TTWriter *w, const TTPassageModeReply *reply, TTError *e);
int ttlock_passage_mode_reply_decode(const uint8_t *data, size_t len, TTPassageModeReply *ret, TTError *e);

/* ---- LAMP 0x67 ---------------------------------------------------------------------------- */

typedef struct TTLampRequest {
        uint8_t op;       /* QUERY [01]; SET [02][seconds 2] */
        uint16_t seconds; /* SET */
} TTLampRequest;

typedef struct TTLampReply {
        uint8_t battery;
        uint8_t op;       /* echo */
        uint16_t seconds; /* QUERY: required */
} TTLampReply;

int ttlock_lamp_request_encode(TTWriter *w, const TTLampRequest *req, TTError *e);
int ttlock_lamp_request_decode(const uint8_t *data, size_t len, TTLampRequest *ret, TTError *e);
int ttlock_lamp_reply_encode(TTWriter *w, const TTLampReply *reply, TTError *e);
int ttlock_lamp_reply_decode(const uint8_t *data, size_t len, TTLampReply *ret, TTError *e);

/* ---- SWITCH 0x68 -------------------------------------------------------------------------- */

/* Item bits of the supported-items mask and the values word [official TTLockConfigType, §4.3]. */
typedef enum TTLockSwitchItem {
        TTLOCK_SWITCH_TAMPER_ALERT = 0x01,
        TTLOCK_SWITCH_RESET_BUTTON = 0x02,     /* 1 = the reset button works */
        TTLOCK_SWITCH_PRIVACY_LOCK = 0x04,     /* anti-lock */
        TTLOCK_SWITCH_UNLOCK_DIRECTION = 0x10, /* 1 = left */
        TTLOCK_SWITCH_PASSAGE_MODE_AUTO_UNLOCK = 0x20,
        TTLOCK_SWITCH_WIFI_POWER_SAVING = 0x80, /* inverted on Wi-Fi locks (§4.3) */
} TTLockSwitchItem;

typedef struct TTSwitchRequest {
        uint8_t op;      /* QUERY [01]; SET [02][items 4][values 4] */
        uint32_t items;  /* SET: which items the values word speaks for */
        uint32_t values; /* SET */
} TTSwitchRequest;

typedef struct TTSwitchReply {
        uint8_t battery;
        uint8_t op;      /* echo */
        uint32_t items;  /* QUERY: supported-items mask, required */
        uint32_t values; /* QUERY: required */
} TTSwitchReply;

int ttlock_switch_request_encode(TTWriter *w, const TTSwitchRequest *req, TTError *e);
int ttlock_switch_request_decode(const uint8_t *data, size_t len, TTSwitchRequest *ret, TTError *e);
int ttlock_switch_reply_encode(TTWriter *w, const TTSwitchReply *reply, TTError *e);
int ttlock_switch_reply_decode(const uint8_t *data, size_t len, TTSwitchReply *ret, TTError *e);
