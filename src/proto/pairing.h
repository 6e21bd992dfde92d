/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pairing (doc/protocol.md §4.3, §5.1): GET_AES_KEY, ADD_ADMIN, TIME_CALIBRATE, INIT_PASSWORDS, and the
 * payload-less OPERATE_FINISHED, RESET_LOCK and INITIALIZATION, whose requests go through
 * ttlock_empty_request_decode() (access.h) and whose replies carry nothing after [echo][status]
 * (reply.h; for INITIALIZATION the answer is the reply's frame header, frame.h).
 *
 * Requests (simulator side) are strict about their length; replies (daemon side) ignore bytes
 * after the fields they know, as the official SDK does. Key material is never put in a message. */

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "datetime.h"
#include "tt-error.h"

#define TTLOCK_AES_KEY_LEN 16

/* ---- GET_AES_KEY 0x19 (sent and answered under the default key, §3.2) ---- */

/* Request: the vendor string. */
void ttlock_get_aes_key_request_encode(TTWriter *w);
int ttlock_get_aes_key_request_decode(const uint8_t *data, size_t len, TTError *e);

void ttlock_get_aes_key_reply_encode(TTWriter *w, const uint8_t key[TTLOCK_AES_KEY_LEN]);
/* ret untouched on failure; the caller wipes it when done (erase_memory()). */
int ttlock_get_aes_key_reply_decode(const uint8_t *data, size_t len, uint8_t ret[TTLOCK_AES_KEY_LEN],
                                    TTError *e);

/* ---- ADD_ADMIN 0x56 ---- */

typedef struct TTAddAdminRequest {
        uint32_t admin_ps;
        uint32_t unlock_key;
} TTAddAdminRequest;

/* 15 bytes: adminPs ‖ unlockKey ‖ "SCIENER". */
void ttlock_add_admin_request_encode(TTWriter *w, const TTAddAdminRequest *q);
int ttlock_add_admin_request_decode(const uint8_t *data, size_t len, TTAddAdminRequest *ret, TTError *e);

/* Reply: the vendor string; the official SDK refuses the pairing without it (AES_PARSE_ERROR). */
void ttlock_add_admin_reply_encode(TTWriter *w);
int ttlock_add_admin_reply_decode(const uint8_t *data, size_t len, TTError *e);

/* ---- TIME_CALIBRATE 0x43: lock-local wall-clock time, YY MM DD hh mm ss ---- */

/* -EINVAL for an impossible time. */
int ttlock_time_calibrate_request_encode(TTWriter *w, const TTDateTime *t);
int ttlock_time_calibrate_request_decode(const uint8_t *data, size_t len, TTDateTime *ret, TTError *e);

/* ---- INIT_PASSWORDS 0x31: seeds of the cloud's algorithmic passcodes ---- */

#define TTLOCK_INIT_PASSWORDS_ENTRIES 10
#define TTLOCK_INIT_PASSWORDS_LEN 61 /* year + 10 × 6 */
#define TTLOCK_PASSWORD_CODE_MAX 1070                     /* 12 bits on the wire */
#define TTLOCK_PASSWORD_SECRET_MAX UINT64_C(9999999999) /* 10 decimal digits, 36 bits on the wire */

typedef struct TTPasswordSeed {
        uint16_t code;
        uint64_t secret;
} TTPasswordSeed;

typedef struct TTInitPasswordsRequest {
        uint8_t year; /* year % 100 of the first entry (the year before on 1 January, §4.3) */
        TTPasswordSeed entries[TTLOCK_INIT_PASSWORDS_ENTRIES]; /* consecutive years */
} TTInitPasswordsRequest;

/* -EINVAL for a year above 99, a code above 1070 or a secret above 9 999 999 999. */
int ttlock_init_passwords_request_encode(TTWriter *w, const TTInitPasswordsRequest *q);
int ttlock_init_passwords_request_decode(const uint8_t *data, size_t len, TTInitPasswordsRequest *ret,
                                         TTError *e);
