/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a lock says about itself (doc/protocol.md §4.3): SEARCH_DEVICE_FEATURE (battery + feature
 * bits), READ_DEVICE_INFO (model, revisions, …) and GET_LOCK_TIME. The first and last have empty
 * requests: ttlock_empty_request_decode() (access.h) checks them.
 *
 * Requests (simulator side) are strict about their length; replies (daemon side) ignore bytes
 * after the fields they know, as the official SDK does. */

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "datetime.h"
#include "feature-bits.h"
#include "tt-error.h"

/* ---- SEARCH_DEVICE_FEATURE 0x01 ---- */

typedef struct TTFeatureReply {
        uint8_t battery;
        TTFeatures features; /* all groups the lock sent: newer locks send four (§4.3) */
} TTFeatureReply;

void ttlock_feature_reply_encode(TTWriter *w, const TTFeatureReply *f);
/* Requires battery and at least one whole feature group. */
int ttlock_feature_reply_decode(const uint8_t *data, size_t len, TTFeatureReply *ret, TTError *e);

/* ---- READ_DEVICE_INFO 0x90 ---- */

typedef enum TTDeviceInfoType {
        TTLOCK_DEVICE_INFO_MODEL = 1,
        TTLOCK_DEVICE_INFO_HARDWARE_REVISION = 2,
        TTLOCK_DEVICE_INFO_FIRMWARE_REVISION = 3,
        TTLOCK_DEVICE_INFO_MANUFACTURE_DATE = 4,
        TTLOCK_DEVICE_INFO_MAC = 5,
        TTLOCK_DEVICE_INFO_LOCK_CLOCK = 6,
        TTLOCK_DEVICE_INFO_NB_OPERATOR = 7,
        TTLOCK_DEVICE_INFO_NB_IMEI = 8,
        TTLOCK_DEVICE_INFO_NB_CARD = 9,
        TTLOCK_DEVICE_INFO_NB_RSSI = 10,
        TTLOCK_DEVICE_INFO_PASSCODE_KEY_NUMBER = 12,
} TTDeviceInfoType;

/* "model", "hardware-revision", "firmware-revision", "manufacture-date", "mac", "lock-clock",
 * "nb-operator", "nb-imei", "nb-card", "nb-rssi", "passcode-key-number"; NULL for other values. */
const char *ttlock_device_info_type_name(uint8_t type);

/* Request: [type]. -EINVAL for a type not in §4.3. */
int ttlock_device_info_request_encode(TTWriter *w, uint8_t type);
int ttlock_device_info_request_decode(const uint8_t *data, size_t len, uint8_t *ret_type, TTError *e);

/* A reply is at most 237 data bytes (plaintext ≤ 239, §3.1), so the text fits in 236 + NUL. */
#define TTLOCK_DEVICE_INFO_TEXT_MAX 236

typedef struct TTDeviceInfoReply {
        char text[TTLOCK_DEVICE_INFO_TEXT_MAX + 1]; /* printable ASCII, NUL-terminated */
} TTDeviceInfoReply;

/* Writes the text and the terminator byte the lock appends (0x00). -EINVAL for non-printable
 * characters or a text longer than TTLOCK_DEVICE_INFO_TEXT_MAX. */
int ttlock_device_info_reply_encode(TTWriter *w, const char *text);
/* The text is every byte but the last, which is a terminator (§4.3). Non-printable characters are
 * refused: these strings end up on D-Bus and in logs. */
int ttlock_device_info_reply_decode(const uint8_t *data, size_t len, TTDeviceInfoReply *ret, TTError *e);

/* ---- GET_LOCK_TIME 0x34: reply YY MM DD hh mm ss (lock-local wall clock) ---- */

/* -EINVAL for an impossible time. */
int ttlock_lock_time_reply_encode(TTWriter *w, const TTDateTime *t);
int ttlock_lock_time_reply_decode(const uint8_t *data, size_t len, TTDateTime *ret, TTError *e);
