/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp-connection.h"
#include "esp-frame.h"
#include "macro.h"
#include "string-util.h"

#define PROLOGUE_INIT "NoiseAPIInit"
#define HANDSHAKE_OK 0x00
#define HANDSHAKE_REJECT 0x01
#define CHOSEN_PROTOCOL_NOISE 0x01
/* ESPHome's texts (api_frame_helper_noise.cpp, _plaintext.cpp); clients match on the first. */
#define REJECT_MAC_FAILURE "Handshake MAC failure"
#define REJECT_BAD_INDICATOR "Bad indicator byte"

typedef enum Phase {
        PHASE_CLIENT_HELLO, /* server: waits for it; client: waits for the server hello */
        PHASE_HANDSHAKE,    /* waits for the peer's handshake message */
        PHASE_DATA,
        PHASE_FAILED,
} Phase;

struct EspConnection {
        EspRole role;
        bool noise;
        Phase phase;
        EspConnectionCallbacks cb;
        void *userdata;

        EspFrameDecoder decoder;
        EspNoiseHandshake hs;
        EspCipherState send, recv;
        uint8_t psk[ESP_NOISE_PSK_SIZE];
        uint8_t ephemeral_copy[ESP_X25519_KEY_SIZE];
        bool has_ephemeral;

        char name[ESP_NAME_MAX]; /* server: ours; client: expected ("" = any) */
        char mac[ESP_NAME_MAX];
        char peer_name[ESP_NAME_MAX]; /* client: from the server hello */
        char peer_mac[ESP_NAME_MAX];

        uint8_t *out;
        size_t out_len, out_size, out_max;
        uint8_t *scratch; /* one decrypted or encrypted frame body */

        int error;
        char error_text[160];
};

_printf_(3, 4) static int fail(EspConnection *c, int error, const char *fmt, ...) {
        va_list ap;

        if (c->phase == PHASE_FAILED)
                return c->error;
        c->phase = PHASE_FAILED;
        c->error = error;
        va_start(ap, fmt);
        (void) vsnprintf(c->error_text, sizeof(c->error_text), fmt, ap);
        va_end(ap);
        esp_noise_wipe(&c->hs);
        esp_cipher_wipe(&c->send);
        esp_cipher_wipe(&c->recv);
        return error;
}

void esp_connection_fail(EspConnection *c, int error, const char *why) {
        assert(error < 0);
        (void) fail(c, error, "%s", why);
}

static int output_reserve(EspConnection *c, size_t n) {
        uint8_t *p;
        size_t want;

        if (n > c->out_max - c->out_len)
                return -ENOBUFS;
        if (c->out_len + n <= c->out_size)
                return 0;
        want = MAX(c->out_size * 2, c->out_len + n);
        want = MIN(MAX(want, (size_t) 4096), c->out_max);
        p = realloc(c->out, want);
        if (!p)
                return -ENOMEM;
        c->out = p;
        c->out_size = want;
        return 0;
}

static int output_append(EspConnection *c, const uint8_t *data, size_t n) {
        int r;

        r = output_reserve(c, n);
        if (r < 0)
                return r;
        memcpy(c->out + c->out_len, data, n);
        c->out_len += n;
        return 0;
}

/* A Noise frame around body (handshake phase: body is small and plain). */
static int output_noise_frame(EspConnection *c, const uint8_t *body, size_t len) {
        uint8_t header[ESP_NOISE_HEADER_SIZE];
        int r;

        assert(len <= UINT16_MAX);
        r = output_reserve(c, sizeof(header) + len);
        if (r < 0)
                return r;
        (void) esp_noise_frame_build(NULL, 0, header, sizeof(header));
        header[1] = (uint8_t) (len >> 8);
        header[2] = (uint8_t) len;
        (void) output_append(c, header, sizeof(header));
        if (len > 0)
                (void) output_append(c, body, len);
        return 0;
}

static void reject(EspConnection *c, const char *reason) {
        uint8_t body[64];
        size_t n = MIN(strlen(reason), sizeof(body) - 1);

        body[0] = HANDSHAKE_REJECT;
        memcpy(body + 1, reason, n);
        (void) output_noise_frame(c, body, n + 1);
}

static int start_handshake(EspConnection *c, const uint8_t *client_hello, size_t len) {
        uint8_t prologue[sizeof(PROLOGUE_INIT) - 1 + 2 + ESP_NOISE_HANDSHAKE_FRAME_MAX];
        size_t n = sizeof(PROLOGUE_INIT) - 1;

        assert(len <= ESP_NOISE_HANDSHAKE_FRAME_MAX);
        memcpy(prologue, PROLOGUE_INIT, n);
        prologue[n++] = (uint8_t) (len >> 8);
        prologue[n++] = (uint8_t) len;
        if (len > 0)
                memcpy(prologue + n, client_hello, len);
        n += len;
        return esp_noise_init(
                &c->hs,
                c->role == ESP_ROLE_CLIENT ? ESP_NOISE_INITIATOR : ESP_NOISE_RESPONDER,
                c->psk,
                prologue,
                n,
                c->has_ephemeral ? c->ephemeral_copy : NULL);
}

static int write_handshake(EspConnection *c) {
        uint8_t body[1 + ESP_NOISE_HANDSHAKE_MESSAGE_SIZE];
        size_t n = 0;
        int r;

        body[0] = HANDSHAKE_OK;
        r = esp_noise_write_message(&c->hs, body + 1, sizeof(body) - 1, &n);
        if (r < 0)
                return fail(c, r, "Noise handshake failed: %s", strerror(-r));
        r = output_noise_frame(c, body, n + 1);
        if (r < 0)
                return fail(c, r, "Cannot queue the Noise handshake: %s", strerror(-r));
        return 0;
}

static int finish_handshake(EspConnection *c) {
        int r;

        r = esp_noise_split(&c->hs, &c->send, &c->recv);
        if (r < 0)
                return fail(c, r, "Noise split failed: %s", strerror(-r));
        r = esp_frame_decoder_set_max(&c->decoder, ESP_NOISE_FRAME_MAX);
        if (r < 0)
                return fail(c, r, "Out of memory");
        c->phase = PHASE_DATA;
        if (c->cb.ready)
                c->cb.ready(c, c->userdata);
        return 0;
}

/* Copies a NUL-terminated field of the server hello; printable ASCII only. */
static int hello_field(const uint8_t *p, size_t len, size_t *pos, char *out, size_t out_size) {
        const uint8_t *end = memchr(p + *pos, 0, len - *pos);
        size_t n;

        if (!end)
                return 0; /* an older server without this field */
        n = (size_t) (end - (p + *pos));
        if (n >= out_size)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if (p[*pos + i] < 0x20 || p[*pos + i] > 0x7e)
                        return -EBADMSG;
        memcpy(out, p + *pos, n);
        out[n] = 0;
        *pos += n + 1;
        return 1;
}

static int on_server_hello(EspConnection *c, const uint8_t *p, size_t len) {
        size_t pos = 1;
        int r;

        if (len == 0 || p[0] != CHOSEN_PROTOCOL_NOISE)
                return fail(c, -EBADMSG, "The server chose an unknown protocol");
        r = hello_field(p, len, &pos, c->peer_name, sizeof(c->peer_name));
        if (r > 0)
                r = hello_field(p, len, &pos, c->peer_mac, sizeof(c->peer_mac));
        if (r < 0)
                return fail(c, r, "Malformed server hello");
        if (c->name[0] && !streq(c->name, c->peer_name))
                return fail(
                        c, -EBADMSG, "The server calls itself \"%s\", not \"%s\"", c->peer_name, c->name);
        c->phase = PHASE_HANDSHAKE;
        return 0;
}

static int on_handshake_frame(EspConnection *c, const uint8_t *p, size_t len) {
        int r;

        if (len == 0) {
                if (c->role == ESP_ROLE_SERVER)
                        reject(c, "Empty handshake message");
                return fail(c, -EBADMSG, "Empty Noise handshake message");
        }
        if (p[0] != HANDSHAKE_OK) {
                if (c->role == ESP_ROLE_SERVER) {
                        reject(c, "Bad handshake error byte");
                        return fail(c, -EBADMSG, "The client's handshake has error byte %u", p[0]);
                }
                /* The server's rejection: a text, printed only as far as it is printable. */
                char reason[64];
                size_t n = 0;

                for (size_t i = 1; i < len && n < sizeof(reason) - 1; i++)
                        reason[n++] = p[i] >= 0x20 && p[i] <= 0x7e ? (char) p[i] : '?';
                reason[n] = 0;
                if (streq(reason, REJECT_MAC_FAILURE))
                        return fail(c, -EACCES, "The proxy refused the encryption key (wrong PSK)");
                return fail(c, -ECONNREFUSED, "The proxy refused the handshake: %s", reason);
        }

        r = esp_noise_read_message(&c->hs, p + 1, len - 1);
        if (r < 0) {
                if (c->role == ESP_ROLE_SERVER) {
                        /* A tag that does not verify is what a different PSK looks like. */
                        reject(c,
                               r == -EBADMSG && len - 1 == ESP_NOISE_HANDSHAKE_MESSAGE_SIZE
                                       ? REJECT_MAC_FAILURE
                                       : "Handshake error");
                        if (r == -EBADMSG && len - 1 == ESP_NOISE_HANDSHAKE_MESSAGE_SIZE)
                                return fail(
                                        c,
                                        -EACCES,
                                        "The client's encryption key does not match (wrong PSK)");
                        return fail(c, -EBADMSG, "Malformed Noise handshake from the client");
                }
                if (r == -EBADMSG && len - 1 == ESP_NOISE_HANDSHAKE_MESSAGE_SIZE)
                        return fail(c, -EACCES, "The proxy's handshake does not verify (wrong PSK)");
                return fail(c, -EBADMSG, "Malformed Noise handshake from the proxy");
        }
        if (c->role == ESP_ROLE_SERVER) {
                r = write_handshake(c);
                if (r < 0)
                        return r;
        }
        return finish_handshake(c);
}

static int on_client_hello(EspConnection *c, const uint8_t *p, size_t len) {
        uint8_t hello[1 + 2 * ESP_NAME_MAX];
        size_t n = 0, a = strlen(c->name), b = strlen(c->mac);
        int r;

        /* Its content is reserved ("may be used in future for flags"); it only enters the prologue. */
        r = start_handshake(c, p, len);
        if (r < 0)
                return fail(c, r, "Cannot start the Noise handshake: %s", strerror(-r));
        hello[n++] = CHOSEN_PROTOCOL_NOISE;
        memcpy(hello + n, c->name, a + 1);
        n += a + 1;
        memcpy(hello + n, c->mac, b + 1);
        n += b + 1;
        r = output_noise_frame(c, hello, n);
        if (r < 0)
                return fail(c, r, "Cannot queue the server hello");
        c->phase = PHASE_HANDSHAKE;
        return 0;
}

static int on_data_frame(EspConnection *c, const EspFrame *f) {
        uint16_t type;
        size_t len;
        int r;

        if (!c->noise)
                type = f->type, len = f->len;
        else {
                if (f->len < ESP_AEAD_TAG_SIZE)
                        return fail(c, -EBADMSG, "A Noise frame too short to carry a tag");
                r = esp_cipher_decrypt(&c->recv, f->data, f->len, c->scratch);
                if (r < 0)
                        return fail(c, -EBADMSG, "A Noise frame does not decrypt");
                len = f->len - ESP_AEAD_TAG_SIZE;
                if (len < 4)
                        return fail(c, -EBADMSG, "A decrypted message of %zu bytes lacks its header", len);
                type = (uint16_t) (c->scratch[0] << 8 | c->scratch[1]);
                /* ESPHome accepts a declared length up to what the frame holds. */
                if ((size_t) (c->scratch[2] << 8 | c->scratch[3]) > len - 4)
                        return fail(c, -EBADMSG, "A decrypted message declares more bytes than it has");
                len = (size_t) (c->scratch[2] << 8 | c->scratch[3]);
        }
        if (c->cb.message) {
                r = c->cb.message(c, type, c->noise ? c->scratch + 4 : f->data, len, c->userdata);
                if (r < 0)
                        return fail(c, r, "Message %u refused: %s", type, strerror(-r));
        }
        return 0;
}

static int on_frame(EspConnection *c, const EspFrame *f) {
        if (c->phase == PHASE_DATA)
                return on_data_frame(c, f);
        if (c->phase == PHASE_CLIENT_HELLO)
                return c->role == ESP_ROLE_SERVER ? on_client_hello(c, f->data, f->len)
                                                  : on_server_hello(c, f->data, f->len);
        return on_handshake_frame(c, f->data, f->len);
}

static int on_decoder_error(EspConnection *c, int r) {
        if (r == -EPROTO) {
                if (c->noise) {
                        /* A plaintext peer: a plaintext client gets ESPHome's rejection frame. */
                        if (c->role == ESP_ROLE_SERVER)
                                reject(c, REJECT_BAD_INDICATOR);
                        return fail(
                                c,
                                -EPROTO,
                                c->role == ESP_ROLE_SERVER
                                        ? "The client speaks plaintext, but an encryption key is set"
                                        : "The proxy speaks plaintext, but an encryption key is set");
                }
                if (c->role == ESP_ROLE_SERVER) {
                        static const uint8_t msg[] = "\0" REJECT_BAD_INDICATOR;
                        (void) output_append(c, msg, sizeof(msg) - 1);
                }
                return fail(
                        c,
                        -EPROTO,
                        c->role == ESP_ROLE_SERVER ? "The client wants encryption, but no key is set"
                                                   : "The proxy requires encryption (set its PSK)");
        }
        if (r == -EMSGSIZE) {
                if (c->noise && c->role == ESP_ROLE_SERVER && c->phase != PHASE_DATA)
                        reject(c, "Bad handshake packet len");
                return fail(c, r, "A frame over the size limit");
        }
        return fail(c, r, "Malformed frame");
}

int esp_connection_receive(EspConnection *c, const uint8_t *data, size_t len) {
        size_t pos = 0;

        if (c->phase == PHASE_FAILED)
                return c->error;
        while (pos < len) {
                EspFrame f;
                size_t used = 0;
                int r;

                r = esp_frame_decoder_push(&c->decoder, data + pos, len - pos, &used, &f);
                pos += used;
                if (r < 0)
                        return on_decoder_error(c, r);
                if (r == 0)
                        continue;
                r = on_frame(c, &f);
                if (r < 0)
                        return r;
        }
        return 0;
}

int esp_connection_send(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len) {
        int r;

        if (c->phase == PHASE_FAILED)
                return c->error;
        if (c->phase != PHASE_DATA)
                return -EAGAIN;
        if (len > ESP_MESSAGE_MAX)
                return -EMSGSIZE;

        if (!c->noise) {
                r = output_reserve(c, ESP_PLAIN_HEADER_MAX + len);
                if (r < 0)
                        return fail(c, r, "The output buffer is full (the peer does not read)");
                r = esp_plain_frame_build(type, payload, len, c->out + c->out_len, c->out_size - c->out_len);
                assert(r > 0);
                c->out_len += (size_t) r;
                return 0;
        }

        r = output_reserve(c, ESP_NOISE_HEADER_SIZE + 4 + len + ESP_AEAD_TAG_SIZE);
        if (r < 0)
                return fail(c, r, "The output buffer is full (the peer does not read)");
        c->scratch[0] = (uint8_t) (type >> 8);
        c->scratch[1] = (uint8_t) type;
        c->scratch[2] = (uint8_t) (len >> 8);
        c->scratch[3] = (uint8_t) len;
        if (len > 0)
                memcpy(c->scratch + 4, payload, len);
        r = esp_cipher_encrypt(&c->send, c->scratch, 4 + len, c->out + c->out_len + ESP_NOISE_HEADER_SIZE);
        erase_memory(c->scratch, 4 + len);
        if (r < 0)
                return fail(c, r, "Encryption failed: %s", strerror(-r));
        (void) esp_noise_frame_build(
                NULL, 0, c->out + c->out_len, ESP_NOISE_HEADER_SIZE); /* indicator; length below */
        c->out[c->out_len + 1] = (uint8_t) ((4 + len + ESP_AEAD_TAG_SIZE) >> 8);
        c->out[c->out_len + 2] = (uint8_t) (4 + len + ESP_AEAD_TAG_SIZE);
        c->out_len += ESP_NOISE_HEADER_SIZE + 4 + len + ESP_AEAD_TAG_SIZE;
        return 0;
}

size_t esp_connection_output(EspConnection *c, const uint8_t **ret) {
        *ret = c->out;
        return c->out_len;
}

void esp_connection_output_consume(EspConnection *c, size_t n) {
        assert(n <= c->out_len);
        if (n == 0)
                return;
        memmove(c->out, c->out + n, c->out_len - n);
        c->out_len -= n;
}

static void copy_name(char *dst, const char *src) {
        (void) snprintf(dst, ESP_NAME_MAX, "%s", strempty_or(src));
}

int esp_connection_new(
        const EspConnectionOptions *o,
        const EspConnectionCallbacks *cb,
        void *userdata,
        EspConnection **ret) {
        EspConnection *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->role = o->role;
        c->noise = !!o->psk;
        c->cb = *cb;
        c->userdata = userdata;
        c->out_max = o->output_max ?: ESP_OUTPUT_MAX_DEFAULT;
        copy_name(c->name, o->name);
        copy_name(c->mac, o->mac);
        if (o->ephemeral) {
                memcpy(c->ephemeral_copy, o->ephemeral, sizeof(c->ephemeral_copy));
                c->has_ephemeral = true;
        }
        c->scratch = malloc(ESP_NOISE_FRAME_MAX);
        if (!c->scratch) {
                free(c);
                return -ENOMEM;
        }
        /* During the Noise hello and handshake frames are small (ESPHome: 128 bytes). */
        r = esp_frame_decoder_init(
                &c->decoder,
                c->noise ? ESP_FRAMING_NOISE : ESP_FRAMING_PLAIN,
                c->noise ? ESP_NOISE_HANDSHAKE_FRAME_MAX : ESP_MESSAGE_MAX);
        if (r < 0) {
                free(c->scratch);
                free(c);
                return r;
        }

        if (!c->noise)
                c->phase = PHASE_DATA;
        else {
                memcpy(c->psk, o->psk, sizeof(c->psk));
                c->phase = PHASE_CLIENT_HELLO;
                if (c->role == ESP_ROLE_CLIENT) {
                        /* The empty client hello, then handshake message 1 at once, as clients do. */
                        r = start_handshake(c, NULL, 0);
                        if (r >= 0)
                                r = output_noise_frame(c, NULL, 0);
                        if (r >= 0)
                                r = write_handshake(c);
                        if (r < 0) {
                                esp_connection_free(c);
                                return r;
                        }
                }
        }
        *ret = c;
        return 0;
}

EspConnection *esp_connection_free(EspConnection *c) {
        if (!c)
                return NULL;
        esp_frame_decoder_done(&c->decoder);
        esp_noise_wipe(&c->hs);
        esp_cipher_wipe(&c->send);
        esp_cipher_wipe(&c->recv);
        erase_memory(c->psk, sizeof(c->psk));
        erase_memory(c->ephemeral_copy, sizeof(c->ephemeral_copy));
        if (c->scratch)
                erase_memory(c->scratch, ESP_NOISE_FRAME_MAX);
        free(c->scratch);
        free(c->out);
        free(c);
        return NULL;
}

EspConnectionState esp_connection_state(const EspConnection *c) {
        return c->phase == PHASE_FAILED  ? ESP_CONNECTION_FAILED
                : c->phase == PHASE_DATA ? ESP_CONNECTION_READY
                                         : ESP_CONNECTION_HANDSHAKE;
}

bool esp_connection_encrypted(const EspConnection *c) {
        return c->noise;
}

int esp_connection_errno(const EspConnection *c) {
        return c->error;
}

const char *esp_connection_error(const EspConnection *c) {
        return c->error_text;
}

const char *esp_connection_peer_name(const EspConnection *c) {
        return c->peer_name;
}

const char *esp_connection_peer_mac(const EspConnection *c) {
        return c->peer_mac;
}
