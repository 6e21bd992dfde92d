/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The two framings of ESPHome's native API on its TCP stream (doc/esphome.md "Framing"):
 *
 *   plaintext:  0x00, varint payload length, varint message type, protobuf payload
 *   Noise:      0x01, 16-bit big-endian length, that many bytes (a handshake message, or the
 *               ciphertext of: 16-bit BE type, 16-bit BE payload length, protobuf payload)
 *
 * The decoder takes the stream in whatever pieces it arrives and hands out whole frames. Every
 * length is bounded before anything is kept, and a stream that breaks the framing fails for good:
 * there is no marker to resynchronise on, so after the first bad byte nothing that follows can be
 * trusted (ESPHome closes the connection too). No I/O, no allocation after init. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESP_FRAME_INDICATOR_PLAIN 0x00
#define ESP_FRAME_INDICATOR_NOISE 0x01

/* ESPHome's limit on one message on ESP32 (MAX_MESSAGE_SIZE in api_frame_helper.h): what a proxy
 * accepts, and what we accept from one. */
#define ESP_MESSAGE_MAX 32768
/* A Noise frame carries type, length and the tag around the payload. */
#define ESP_NOISE_OVERHEAD (4 + 16)
#define ESP_NOISE_FRAME_MAX (ESP_MESSAGE_MAX + ESP_NOISE_OVERHEAD)
/* ESPHome's limit on a frame during the Noise handshake (MAX_HANDSHAKE_SIZE). */
#define ESP_NOISE_HANDSHAKE_FRAME_MAX 128
/* Header sizes: indicator + two varints of at most 3 bytes each (lengths ≤ 2^21, types ≤ 2^16). */
#define ESP_PLAIN_HEADER_MAX 7
#define ESP_NOISE_HEADER_SIZE 3
#define ESP_MESSAGE_TYPE_MAX 0xFFFF

typedef enum EspFraming {
        ESP_FRAMING_PLAIN,
        ESP_FRAMING_NOISE,
} EspFraming;

/* Varints (protobuf base-128, little-endian groups). esp_varint_decode: bytes used (> 0), 0 when
 * more input is needed, -EBADMSG for a varint longer than 10 bytes or above UINT64_MAX. */
size_t esp_varint_encode(uint64_t v, uint8_t out[10]);
int esp_varint_decode(const uint8_t *data, size_t len, uint64_t *ret);

/* Whole frames into out. Return the frame's size, or -ENOBUFS (out too small), -EMSGSIZE (payload
 * over ESP_MESSAGE_MAX, or a Noise body over 65535). */
int esp_plain_frame_build(uint16_t type, const uint8_t *payload, size_t len, uint8_t *out, size_t out_size);
int esp_noise_frame_build(const uint8_t *body, size_t len, uint8_t *out, size_t out_size);

typedef struct EspFrame {
        uint16_t type;       /* plaintext only */
        const uint8_t *data; /* payload (plaintext) or body (Noise); valid until the next call */
        size_t len;
} EspFrame;

typedef struct EspFrameDecoder {
        EspFraming framing;
        size_t max; /* bound on one payload/body */
        uint8_t header[ESP_PLAIN_HEADER_MAX];
        size_t header_len;
        bool header_done;
        uint16_t type;
        size_t want;   /* body length announced by the header */
        uint8_t *body; /* max bytes, allocated once */
        size_t body_len;
        int error; /* sticky */
} EspFrameDecoder;

/* max: the largest payload (plaintext) or body (Noise) to accept; ≤ ESP_NOISE_FRAME_MAX. */
int esp_frame_decoder_init(EspFrameDecoder *d, EspFraming framing, size_t max);
void esp_frame_decoder_done(EspFrameDecoder *d);
/* Changes the bound (the Noise handshake has a smaller one than the transport); only between frames
 * and never above what init allocated. */
int esp_frame_decoder_set_max(EspFrameDecoder *d, size_t max);
/* True between frames (nothing of a next frame buffered). */
bool esp_frame_decoder_idle(const EspFrameDecoder *d);

/* Consumes bytes of data until a frame is complete or the input ends; *ret_used says how many.
 * 1: *ret is a frame (valid until the next call); 0: all input used, no frame yet; < 0: the stream is
 * broken and stays so — -EPROTO for the other framing's indicator (the peer speaks plaintext where
 * Noise was expected, or the reverse), -EBADMSG for any other indicator or a malformed varint,
 * -EMSGSIZE for a length over the bound. */
int esp_frame_decoder_push(
        EspFrameDecoder *d, const uint8_t *data, size_t len, size_t *ret_used, EspFrame *ret);
