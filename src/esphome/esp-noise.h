/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Noise_NNpsk0_25519_ChaChaPoly_SHA256, the handshake ESPHome's native API runs before any message
 * when the device has an API encryption key (doc/esphome.md "Noise"). The pattern (Noise Protocol
 * Framework rev. 34, §7.4 and §9):
 *
 *     NNpsk0:
 *       -> psk, e
 *       <- e, ee
 *
 * The client is the initiator, the device the responder; both know the same 32-byte PSK. Each
 * message carries an empty payload, so the first is 32 + 16 bytes (e, then the tag of the encrypted
 * empty payload) and so is the second. Only this state machine is ours; every primitive is
 * libgcrypt (esp-crypto.h). No I/O, no clock: bytes in, bytes out. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp-crypto.h"

#define ESP_NOISE_PSK_SIZE 32
#define ESP_NOISE_HANDSHAKE_MESSAGE_SIZE (ESP_X25519_KEY_SIZE + ESP_AEAD_TAG_SIZE)
#define ESP_NOISE_PROTOCOL_NAME "Noise_NNpsk0_25519_ChaChaPoly_SHA256"

typedef enum EspNoiseRole {
        ESP_NOISE_INITIATOR,
        ESP_NOISE_RESPONDER,
} EspNoiseRole;

/* One direction of the transport (Noise §5.1 CipherState): a key and a 64-bit nonce counter. */
typedef struct EspCipherState {
        uint8_t k[ESP_AEAD_KEY_SIZE];
        uint64_t n;
        bool has_key;
} EspCipherState;

typedef struct EspNoiseHandshake {
        EspNoiseRole role;
        unsigned step; /* messages done: 0, 1, 2 (then split) */
        uint8_t ck[ESP_SHA256_SIZE];
        uint8_t h[ESP_SHA256_SIZE];
        EspCipherState cs;
        uint8_t psk[ESP_NOISE_PSK_SIZE];
        uint8_t e[ESP_X25519_KEY_SIZE]; /* our ephemeral private key */
        uint8_t e_pub[ESP_X25519_KEY_SIZE];
        uint8_t re[ESP_X25519_KEY_SIZE]; /* the peer's ephemeral public key */
        bool failed;
} EspNoiseHandshake;

/* ephemeral: the private key to use, for known-answer tests; NULL = a fresh random one. */
int esp_noise_init(
        EspNoiseHandshake *hs,
        EspNoiseRole role,
        const uint8_t psk[ESP_NOISE_PSK_SIZE],
        const uint8_t *prologue,
        size_t prologue_len,
        const uint8_t *ephemeral);
/* The initiator writes message 1, the responder message 2. -EINVAL out of turn, -ENOBUFS when
 * out_size < ESP_NOISE_HANDSHAKE_MESSAGE_SIZE. */
int esp_noise_write_message(EspNoiseHandshake *hs, uint8_t *out, size_t out_size, size_t *ret_len);
/* The responder reads message 1, the initiator message 2. -EBADMSG for a wrong length or a tag that
 * does not verify (a wrong PSK looks exactly like that), -EINVAL out of turn or for a low-order
 * ephemeral key. Any failure is final. */
int esp_noise_read_message(EspNoiseHandshake *hs, const uint8_t *msg, size_t len);
bool esp_noise_finished(const EspNoiseHandshake *hs);
/* After both messages: the two transport ciphers (Noise §5.2 Split), the handshake state wiped. */
int esp_noise_split(EspNoiseHandshake *hs, EspCipherState *ret_send, EspCipherState *ret_recv);
void esp_noise_wipe(EspNoiseHandshake *hs);

/* Transport (Noise §5.1 EncryptWithAd/DecryptWithAd, empty ad): out holds len + 16 bytes for
 * encrypt, len − 16 for decrypt. -EBADMSG for a tag that does not verify; -EOVERFLOW when the nonce
 * would wrap. */
int esp_cipher_encrypt(EspCipherState *cs, const uint8_t *plain, size_t len, uint8_t *out);
int esp_cipher_decrypt(EspCipherState *cs, const uint8_t *cipher, size_t len, uint8_t *out);
void esp_cipher_wipe(EspCipherState *cs);
