/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The GATT transport (doc/protocol.md §1.3–1.4): frames go out with a 0D 0A terminator in 20-byte
 * writes and come back in notifications of ≤ 20 bytes. Reassembly is length-based — the
 * terminator alone cannot be trusted because ciphertext may contain 0D 0A — and resynchronises
 * on 7F 5A after garbage. */

#include <stddef.h>
#include <stdint.h>

#include "tt-error.h"
#include "frame.h"

#define TTLOCK_CHUNK_SIZE 20
#define TTLOCK_WIRE_MAX (TTLOCK_FRAME_MAX + 2) /* 255 */

/* frame ‖ 0D 0A. */
int ttlock_wire_encode(const uint8_t *frame, size_t frame_len, uint8_t *out, size_t out_size,
                       size_t *ret_len, TTError *e);

size_t ttlock_chunk_count(size_t wire_len);
/* The index-th 20-byte slice of wire (the last one shorter); -ERANGE past the end. */
int ttlock_chunk(const uint8_t *wire, size_t wire_len, size_t index, const uint8_t **ret, size_t *ret_len);

/* Called for each complete frame (terminator stripped, CRC byte kept). Legacy-header frames are
 * delivered too (total = 6 + L + 3) so that the parser can refuse them with a clear error. The
 * frame points into the reassembler and is valid only during the call; the callback may call
 * ttlock_reassembler_reset() but must not feed the same reassembler. */
typedef void (*TTFrameCallback)(const uint8_t *frame, size_t len, void *userdata);

typedef struct TTReassembler {
        uint8_t buf[TTLOCK_WIRE_MAX];
        size_t len;
        uint64_t frames;          /* frames delivered */
        uint64_t garbage_bytes;   /* bytes thrown away while resynchronising */
} TTReassembler;

void ttlock_reassembler_init(TTReassembler *r);
/* Drop a half-received frame, e.g. after a disconnect. */
void ttlock_reassembler_reset(TTReassembler *r);
/* Accepts any number of bytes (a hostile peer may send more than 20 at a time) and calls cb once for
 * every frame completed by them, in order. Never fails. */
void ttlock_reassembler_feed(TTReassembler *r, const uint8_t *data, size_t len, TTFrameCallback cb,
                             void *userdata);
