/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The V3 frame envelope (doc/protocol.md §2.1): 12-byte header, AES ciphertext, CRC-8. Frames here are
 * without the 0D 0A terminator — that belongs to the transport (transport.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "tt-error.h"

#define TTLOCK_FRAME_HEADER_SIZE 12
#define TTLOCK_FRAME_MAX_DATA 240                                         /* 1-byte length, 16·k */
#define TTLOCK_PLAIN_MAX 239                                              /* PKCS#7 adds ≥ 1 byte */
#define TTLOCK_FRAME_MAX (TTLOCK_FRAME_HEADER_SIZE + TTLOCK_FRAME_MAX_DATA + 1) /* 253 */
#define TTLOCK_FRAME_MAGIC0 0x7F
#define TTLOCK_FRAME_MAGIC1 0x5A
#define TTLOCK_ENCRYPT_APP 0xAA

typedef struct TTFrameHeader {
        uint8_t protocol_type;
        uint8_t sub_version;
        uint8_t scene;
        uint16_t group_id;
        uint16_t org_id;
        uint8_t command;
        uint8_t encrypt;
        uint8_t length; /* ciphertext length; set by ttlock_frame_build() */
} TTFrameHeader;

/* What the SDK sends for V3: (5, 3, scene 1, group 1, org 1), encrypt 0xAA (§2.1). */
#define TTLOCK_V3_APP_HEADER(cmd) \
        ((TTFrameHeader) { 5, 3, 1, 1, 1, (cmd), TTLOCK_ENCRYPT_APP, 0 })
/* What a V3 door lock answers with: scene 2, command 0x54 'T' (GET_AES_KEY answers with 0x19). */
#define TTLOCK_V3_LOCK_HEADER(cmd) \
        ((TTFrameHeader) { 5, 3, 2, 1, 1, (cmd), TTLOCK_ENCRYPT_APP, 0 })

typedef enum TTLockGeneration {
        TTLOCK_GEN_UNKNOWN,
        TTLOCK_GEN_V2,       /* legacy header, protocolType 3 */
        TTLOCK_GEN_V2S,      /* 5.1 */
        TTLOCK_GEN_V2S_PLUS, /* 5.4 */
        TTLOCK_GEN_V3,       /* 5.3 — the one we speak */
        TTLOCK_GEN_CAR,      /* 0x0A.1 */
        TTLOCK_GEN_MOBI,     /* 0x0B.1 */
        TTLOCK_GEN_V3_CAR,   /* 5.3 scene 7: same wire format as V3 */
} TTLockGeneration;

/* Classification as in §2.3 (the name-based "LOCK_" rule is the caller's business). */
TTLockGeneration ttlock_generation(uint8_t protocol_type, uint8_t sub_version, uint8_t scene);
const char *ttlock_generation_name(TTLockGeneration g);

typedef struct TTFrame {
        TTFrameHeader header; /* legacy header (§2.2): protocol_type, command, encrypt, length only */
        TTLockGeneration generation;
        bool legacy; /* the §2.2 header: protocolType < 5 or ≥ 0x80 */
        const uint8_t *data; /* ciphertext, points into the parsed buffer */
        size_t data_len;
        uint8_t crc;          /* as received */
        uint8_t crc_computed; /* with the TTLock table */
        bool crc_ok;
} TTFrame;

/* The envelope of any generation (§2.1, §2.2): magic, either header, a length byte that agrees with the
 * buffer, the CRC computed (with the lock's table, §2.5; over the legacy header's 6 bytes or the new one's
 * 12, and the data) and reported in crc_ok. Only AES generations need the length to be a multiple of 16.
 * For explaining frames (ttlock-decode) and for the frames a V3 lock answers although they are not V3
 * (§2.3: the official app's first INITIALIZATION has a V2S header). */
int ttlock_frame_parse_envelope(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e);
/* Whether a generation's payloads are AES (V2S_PLUS, V3, V3_CAR) rather than XOR-coded (§2.3). */
bool ttlock_generation_is_aes(TTLockGeneration g);

/* Structure only: magic, a new-style header of a generation we speak (V3 / V3_CAR; legacy and other
 * generations are -EPROTONOSUPPORT naming the generation), length byte consistent with the buffer
 * (-EBADMSG). The CRC is computed and reported in crc_ok but not enforced. */
int ttlock_frame_parse_unchecked(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e);
/* Same, and a CRC mismatch is -EBADMSG ("bad CRC: frame says 0x.., computed 0x.."). */
int ttlock_frame_parse(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e);

/* Builds header ‖ AES(plain) ‖ CRC into out. plain_len 0 ⇒ no data, L = 0, key unused (may be NULL).
 * The header's length field is ignored and computed. -EINVAL for plain_len > 239. */
int ttlock_frame_build(const TTFrameHeader *h, const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *plain,
                       size_t plain_len, uint8_t *out, size_t out_size, size_t *ret_len, TTError *e);

/* Decrypts a parsed frame's data into plain (≥ 240 bytes). L = 0 gives plain_len 0. */
int ttlock_frame_decrypt(const TTFrame *f, const uint8_t key[TTLOCK_KEY_SIZE], uint8_t *plain,
                         size_t plain_size, size_t *ret_len, TTError *e);
