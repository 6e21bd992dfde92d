/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The decrypted reply envelope (doc/protocol.md §2.4): [echo of the command][status][data…]; on
 * failure data[0] is the lock's error code (§4.4). Pushes have the same form (echo 0x14). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "frame.h"
#include "tt-error.h"

#define TTLOCK_STATUS_FAILED 0x00
#define TTLOCK_STATUS_SUCCESS 0x01

/* Reply data after [echo][status]: the plaintext is at most TTLOCK_PLAIN_MAX bytes (frame.h). */
#define TTLOCK_REPLY_DATA_MAX (TTLOCK_PLAIN_MAX - 2)

typedef struct TTReply {
        uint8_t command;    /* the echo byte */
        bool success;
        uint8_t error_code; /* valid when !success; 0 if the lock sent none */
        const uint8_t *data; /* after echo and status; points into the plaintext */
        size_t data_len;
} TTReply;

int ttlock_reply_parse(const uint8_t *plain, size_t len, TTReply *ret, TTError *e);

/* Writes [cmd][01] — the caller then appends the command's data to w. */
void ttlock_reply_begin(TTWriter *w, uint8_t command);
/* Writes [cmd][00][code]. */
void ttlock_reply_error(TTWriter *w, uint8_t command, uint8_t error_code);
