/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Getting in: the lock-state query and its pushes, the admin and user challenges, and the commands
 * that move the bolt (doc/protocol.md §4.3, §5.2–§5.4, §7.3). Also two small pieces every command
 * family shares: the vendor string and the empty request.
 *
 * Requests are decoded by the simulator and are strict about their length; replies are decoded by
 * the daemon and, like the official SDK (which reads replies by offset), ignore bytes after the
 * fields they know. Status-only replies (CHECK_RANDOM) carry nothing after [echo][status]: reply.h
 * is their whole codec. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "datetime.h"
#include "tt-error.h"

/* ---- shared by all command families ---- */

/* "SCIENER" (§4.3 GET_AES_KEY, ADD_ADMIN, SEARCH_BICYCLE_STATUS). */
void ttlock_put_vendor(TTWriter *w);
/* Reads 7 bytes; -EBADMSG unless they are "SCIENER" (a real lock answers INVALID_VENDOR 0x1D). */
int ttlock_get_vendor(TTReader *r);

/* Commands whose request has no payload (§4.3: 0x01, 0x34, 0x45, 0x52, 0x57): nothing to encode,
 * the frame has L = 0. The decoder rejects any payload, naming the command: a payload there is
 * a client bug (§10.1 R7 is exactly that, and the lock stayed silent). */
int ttlock_empty_request_decode(uint8_t command, const uint8_t *data, size_t len, TTError *e);

/* ---- SEARCH_BICYCLE_STATUS 0x14: lock state (§4.3) and the lock's pushes (§7.3) ---- */

typedef enum TTLockState {
        TTLOCK_STATE_LOCKED = 0,
        TTLOCK_STATE_UNLOCKED = 1,
        TTLOCK_STATE_UNKNOWN = 2, /* official constant/LockStatus.java */
} TTLockState;

/* Request: the vendor string. */
void ttlock_status_request_encode(TTWriter *w);
int ttlock_status_request_decode(const uint8_t *data, size_t len, TTError *e);

typedef struct TTStatusReply {
        uint8_t battery;
        TTLockState state;
        bool has_door_sensor; /* d[2] is present only on locks with a door sensor */
        uint8_t door_sensor;
} TTStatusReply;

void ttlock_status_reply_encode(TTWriter *w, const TTStatusReply *s);
int ttlock_status_reply_decode(const uint8_t *data, size_t len, TTStatusReply *ret, TTError *e);

/* Unsolicited 0x14 frames (§7.3) come in two forms, told apart by their length:
 * 2–3 bytes [battery][state][flag] — a state heartbeat (after unlock, auto-lock…);
 * ≥ 15 bytes [battery][uid][recordId][YY MM DD hh mm ss] — a log record was written. */
typedef enum TTStatusPushKind {
        TTLOCK_PUSH_STATE,
        TTLOCK_PUSH_RECORD,
} TTStatusPushKind;

typedef struct TTStatusPush {
        TTStatusPushKind kind;
        uint8_t battery;
        /* TTLOCK_PUSH_STATE */
        TTLockState state;
        bool has_flag;
        uint8_t flag; /* meaning unknown (§13) */
        /* TTLOCK_PUSH_RECORD */
        uint32_t uid;
        uint32_t record_id;
        bool time_valid; /* false when the lock sent no real date (no clock chip, feature 20) */
        TTDateTime time;
} TTStatusPush;

/* -EINVAL for a record push with time_valid and an impossible time. */
int ttlock_status_push_encode(TTWriter *w, const TTStatusPush *p);
int ttlock_status_push_decode(const uint8_t *data, size_t len, TTStatusPush *ret, TTError *e);

/* ---- CHECK_ADMIN 0x41 / CHECK_USER_TIME 0x55: challenges (§4.3, §5.2, §5.3) ---- */

#define TTLOCK_LOCK_FLAG_POS_MAX UINT32_C(0xFFFFFF) /* sent as its low 3 bytes */

typedef struct TTCheckAdminRequest {
        uint32_t admin_ps;
        uint32_t lock_flag_pos; /* 0 for a locally paired lock */
        uint32_t uid;           /* 0 for a locally paired lock */
} TTCheckAdminRequest;

/* 11 bytes. -EINVAL if lock_flag_pos does not fit in 3 bytes. */
int ttlock_check_admin_request_encode(TTWriter *w, const TTCheckAdminRequest *q);
int ttlock_check_admin_request_decode(const uint8_t *data, size_t len, TTCheckAdminRequest *ret,
                                      TTError *e);

typedef struct TTCheckUserTimeRequest {
        TTDateTime start; /* YY MM DD hh mm: seconds are not sent */
        TTDateTime end;
        uint32_t lock_flag_pos;
        uint32_t uid;
        /* How each date is written: decimal bytes (§4.2), what ttlockd sends; the decoder says BCD when
         * the bytes are no decimal date but a BCD one, as some clients send and real locks take (§4.10). */
        TTDateEncoding start_encoding;
        TTDateEncoding end_encoding;
} TTCheckUserTimeRequest;

/* 17 bytes. -EINVAL for an impossible date or a lock_flag_pos above 3 bytes. */
int ttlock_check_user_time_request_encode(TTWriter *w, const TTCheckUserTimeRequest *q);
int ttlock_check_user_time_request_decode(const uint8_t *data, size_t len, TTCheckUserTimeRequest *ret,
                                          TTError *e);

/* The reply to both challenges: psFromLock. */
typedef struct TTChallengeReply {
        uint32_t ps_from_lock;
} TTChallengeReply;

void ttlock_challenge_reply_encode(TTWriter *w, const TTChallengeReply *c);
int ttlock_challenge_reply_decode(const uint8_t *data, size_t len, TTChallengeReply *ret, TTError *e);

/* ---- CHECK_RANDOM 0x30 and the sum (§4.3, §5.2) ---- */

/* (psFromLock + unlockKey) mod 2³²: what CHECK_RANDOM, UNLOCK, FUNCTION_LOCK and DEAD_LOCK send. */
uint32_t ttlock_unlock_sum(uint32_t ps_from_lock, uint32_t unlock_key);

void ttlock_check_random_request_encode(TTWriter *w, uint32_t sum);
int ttlock_check_random_request_decode(const uint8_t *data, size_t len, uint32_t *ret_sum, TTError *e);

/* ---- UNLOCK 0x47 / FUNCTION_LOCK 0x58 / DEAD_LOCK 0x69: same request and reply (§4.3) ---- */

typedef struct TTActuateRequest {
        uint32_t sum;       /* ttlock_unlock_sum() */
        uint32_t timestamp; /* Unix seconds (UTC); becomes the record's unique id */
} TTActuateRequest;

void ttlock_actuate_request_encode(TTWriter *w, const TTActuateRequest *q);
int ttlock_actuate_request_decode(const uint8_t *data, size_t len, TTActuateRequest *ret, TTError *e);

typedef struct TTActuateReply {
        uint8_t battery;
        bool has_record; /* the lock sent ≥ 15 data bytes */
        uint32_t uid;
        uint32_t unique_id;
        bool time_valid; /* see TTStatusPush.time_valid */
        TTDateTime time;
} TTActuateReply;

/* -EINVAL for a record with time_valid and an impossible time. */
int ttlock_actuate_reply_encode(TTWriter *w, const TTActuateReply *a);
int ttlock_actuate_reply_decode(const uint8_t *data, size_t len, TTActuateReply *ret, TTError *e);
