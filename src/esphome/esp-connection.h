/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One native API connection, either end, without I/O (doc/esphome.md): bytes from the socket go
 * in with esp_connection_receive(), whole messages come out through a callback, messages to send go
 * in with esp_connection_send() and the bytes to write wait in an output buffer the caller drains.
 *
 * With a PSK the connection first runs ESPHome's Noise exchange (esp-noise.h):
 *
 *   client → server   01 00 00                         "client hello", an empty Noise frame
 *   client → server   01 00 31  00 <e 32> <tag 16>      error byte 0 + handshake message 1
 *   server → client   01 LL LL  01 <name> 00 <mac> 00   "server hello": chosen protocol 1, the
 *                                                       device's name and MAC (lower-case hex)
 *   server → client   01 00 31  00 <e 32> <tag 16>      error byte 0 + handshake message 2
 *                 or  01 LL LL  01 <reason text>        rejected ("Handshake MAC failure" = wrong PSK)
 *
 * and the prologue both mix in is "NoiseAPIInit" + the client hello's 16-bit BE length + its bytes.
 * Without a PSK messages flow at once. A plaintext server answers a Noise hello with the raw bytes
 * 00 "Bad indicator byte"; a Noise server answers a plaintext frame with a rejection frame, as
 * ESPHome's api_frame_helper does, so that each kind of client can tell its user what is wrong.
 *
 * Errors are final: the connection keeps its errno and a sentence (never a secret), and any bytes it
 * still wants to say (a rejection) stay in the output buffer for the caller to flush before closing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp-noise.h"

#define ESP_DEFAULT_PORT 6053
#define ESP_OUTPUT_MAX_DEFAULT (256 * 1024)
#define ESP_NAME_MAX 64

typedef struct EspConnection EspConnection;

typedef enum EspRole {
        ESP_ROLE_CLIENT,
        ESP_ROLE_SERVER,
} EspRole;

typedef enum EspConnectionState {
        ESP_CONNECTION_HANDSHAKE, /* Noise hello and handshake under way */
        ESP_CONNECTION_READY,     /* messages flow */
        ESP_CONNECTION_FAILED,
} EspConnectionState;

typedef struct EspConnectionCallbacks {
        /* The Noise handshake completed (not called for plaintext, which is ready from the start). */
        void (*ready)(EspConnection *c, void *userdata);
        /* One message. A negative return fails the connection with that errno. The callback may send;
         * it must not free the connection. */
        int (*message)(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len, void *userdata);
} EspConnectionCallbacks;

typedef struct EspConnectionOptions {
        EspRole role;
        const uint8_t *psk; /* ESP_NOISE_PSK_SIZE bytes, or NULL for plaintext */
        /* Server: the name and MAC (12 lower-case hex digits) its Noise hello announces. Client: the
         * name the server must announce, or NULL to accept any. */
        const char *name;
        const char *mac;
        size_t output_max;        /* bound on unsent bytes; 0 = ESP_OUTPUT_MAX_DEFAULT */
        const uint8_t *ephemeral; /* known-answer tests only: the Noise ephemeral private key */
} EspConnectionOptions;

int esp_connection_new(
        const EspConnectionOptions *o,
        const EspConnectionCallbacks *cb,
        void *userdata,
        EspConnection **ret);
EspConnection *esp_connection_free(EspConnection *c);

/* All of data is taken (or the connection fails). 0, or the connection's negative errno:
 * -EACCES   the PSK does not match (either side)
 * -EPROTO   the peer uses the other framing (plaintext against Noise or the reverse)
 * -ECONNREFUSED  the server rejected the handshake for another reason (see the error text)
 * -EBADMSG  malformed frames, a message that does not decrypt, a bad server hello
 * -EMSGSIZE a frame over the bounds
 * -ENOBUFS  the output buffer is full (the peer does not read)
 * or what the message callback returned. */
int esp_connection_receive(EspConnection *c, const uint8_t *data, size_t len);

/* Queues one message (payload ≤ ESP_MESSAGE_MAX). -EAGAIN while the handshake runs, -EMSGSIZE,
 * -ENOBUFS (and the connection fails), or the connection's error once failed. */
int esp_connection_send(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len);

/* The bytes waiting to be written, and how many of them were. */
size_t esp_connection_output(EspConnection *c, const uint8_t **ret);
void esp_connection_output_consume(EspConnection *c, size_t n);

EspConnectionState esp_connection_state(const EspConnection *c);
bool esp_connection_encrypted(const EspConnection *c);
int esp_connection_errno(const EspConnection *c);
/* Why it failed, in words fit for a log or a D-Bus property; "" while healthy. */
const char *esp_connection_error(const EspConnection *c);
/* Client: the name and MAC of the Noise server hello ("" if none, or plaintext). */
const char *esp_connection_peer_name(const EspConnection *c);
const char *esp_connection_peer_mac(const EspConnection *c);
/* Fails the connection from outside (a time-out, a protocol error above this layer). */
void esp_connection_fail(EspConnection *c, int error, const char *why);
