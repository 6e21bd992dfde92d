/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Noise state machine and the connection layer, with a client and a server of our own talking to
 * each other through memory: both handshake roles, the transport in both directions, a wrong PSK
 * seen from each side, and the two framings meeting each other, as ESPHome's frame helpers answer. */

#include <string.h>

#include "../unit/tt-test.h"
#include "esp-connection.h"
#include "esp-frame.h"
#include "esp-noise.h"
#include "macro.h"

static const uint8_t psk_a[32] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t psk_b[32] = { 32, 31 };

START_TEST(test_noise_both_roles) {
        EspNoiseHandshake i, r;
        EspCipherState i_send, i_recv, r_send, r_recv;
        uint8_t m1[64], m2[64], c[64], p[64];
        size_t n1, n2;

        ck_assert_int_eq(esp_noise_init(&i, ESP_NOISE_INITIATOR, psk_a, (const uint8_t *) "P", 1, NULL), 0);
        ck_assert_int_eq(esp_noise_init(&r, ESP_NOISE_RESPONDER, psk_a, (const uint8_t *) "P", 1, NULL), 0);
        /* Out of turn is refused without harm. */
        ck_assert_int_eq(esp_noise_write_message(&r, m2, sizeof(m2), &n2), -EINVAL);
        ck_assert_int_eq(esp_noise_write_message(&i, m1, sizeof(m1), &n1), 0);
        ck_assert_uint_eq(n1, 48);
        ck_assert_int_eq(esp_noise_read_message(&r, m1, n1), 0);
        ck_assert_int_eq(esp_noise_write_message(&r, m2, sizeof(m2), &n2), 0);
        ck_assert_uint_eq(n2, 48);
        ck_assert_int_eq(esp_noise_read_message(&i, m2, n2), 0);
        ck_assert(esp_noise_finished(&i) && esp_noise_finished(&r));
        ck_assert_int_eq(esp_noise_split(&i, &i_send, &i_recv), 0);
        ck_assert_int_eq(esp_noise_split(&r, &r_send, &r_recv), 0);
        ck_assert_int_eq(esp_noise_split(&r, &r_send, &r_recv), -EINVAL); /* once */
        ck_assert_mem_eq(i_send.k, r_recv.k, 32);
        ck_assert_mem_eq(i_recv.k, r_send.k, 32);
        ck_assert_mem_ne(i_send.k, i_recv.k, 32);

        /* Transport both ways, nonces advancing in step. */
        for (int round = 0; round < 3; round++) {
                ck_assert_int_eq(esp_cipher_encrypt(&i_send, (const uint8_t *) "hello", 5, c), 0);
                ck_assert_int_eq(esp_cipher_decrypt(&r_recv, c, 21, p), 0);
                ck_assert_mem_eq(p, "hello", 5);
                ck_assert_int_eq(esp_cipher_encrypt(&r_send, (const uint8_t *) "world!", 6, c), 0);
                ck_assert_int_eq(esp_cipher_decrypt(&i_recv, c, 22, p), 0);
                ck_assert_mem_eq(p, "world!", 6);
        }
        /* A replayed frame no longer decrypts: the nonce moved on. */
        ck_assert_int_eq(esp_cipher_decrypt(&i_recv, c, 22, p), -EBADMSG);
}
END_TEST

START_TEST(test_noise_wrong_psk_or_prologue) {
        EspNoiseHandshake i, r;
        uint8_t m1[64];
        size_t n1;

        ck_assert_int_eq(esp_noise_init(&i, ESP_NOISE_INITIATOR, psk_a, NULL, 0, NULL), 0);
        ck_assert_int_eq(esp_noise_init(&r, ESP_NOISE_RESPONDER, psk_b, NULL, 0, NULL), 0);
        ck_assert_int_eq(esp_noise_write_message(&i, m1, sizeof(m1), &n1), 0);
        ck_assert_int_eq(esp_noise_read_message(&r, m1, n1), -EBADMSG);
        ck_assert(!esp_noise_finished(&r));
        /* Failed for good. */
        ck_assert_int_eq(esp_noise_read_message(&r, m1, n1), -EINVAL);

        ck_assert_int_eq(esp_noise_init(&i, ESP_NOISE_INITIATOR, psk_a, (const uint8_t *) "A", 1, NULL), 0);
        ck_assert_int_eq(esp_noise_init(&r, ESP_NOISE_RESPONDER, psk_a, (const uint8_t *) "B", 1, NULL), 0);
        ck_assert_int_eq(esp_noise_write_message(&i, m1, sizeof(m1), &n1), 0);
        ck_assert_int_eq(esp_noise_read_message(&r, m1, n1), -EBADMSG);

        /* A short message. */
        ck_assert_int_eq(esp_noise_init(&r, ESP_NOISE_RESPONDER, psk_a, NULL, 0, NULL), 0);
        ck_assert_int_eq(esp_noise_read_message(&r, m1, 47), -EBADMSG);
}
END_TEST

/* A pair of connections wired through memory. */
typedef struct Peer {
        EspConnection *c;
        int ready;
        uint16_t types[32];
        uint8_t payloads[32][64];
        size_t lens[32];
        size_t n;
} Peer;

static void on_ready(EspConnection *c, void *userdata) {
        Peer *p = userdata;

        p->ready++;
}

static int on_message(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        Peer *p = userdata;

        ck_assert_uint_lt(p->n, 32);
        ck_assert_uint_le(len, 64);
        p->types[p->n] = type;
        if (len > 0)
                memcpy(p->payloads[p->n], payload, len);
        p->lens[p->n++] = len;
        if (type == 7) /* answer a ping from inside the callback */
                return esp_connection_send(c, 8, NULL, 0);
        return 0;
}

static const EspConnectionCallbacks callbacks = { .ready = on_ready, .message = on_message };

/* Moves what `from` wants to say into `to`, in pieces of `piece` bytes; returns to's result. */
static int pump(Peer *from, Peer *to, size_t piece) {
        const uint8_t *out;
        size_t n = esp_connection_output(from->c, &out);
        int r = 0;

        for (size_t pos = 0; pos < n && r >= 0; pos += piece)
                r = esp_connection_receive(to->c, out + pos, MIN(piece, n - pos));
        esp_connection_output_consume(from->c, n);
        return r;
}

static void make_pair(Peer *client, Peer *server, const uint8_t *client_psk, const uint8_t *server_psk) {
        EspConnectionOptions co = { .role = ESP_ROLE_CLIENT, .psk = client_psk };
        EspConnectionOptions so = {
                .role = ESP_ROLE_SERVER, .psk = server_psk, .name = "hall-proxy", .mac = "aabbccddeeff"
        };

        *client = (Peer){};
        *server = (Peer){};
        ck_assert_int_eq(esp_connection_new(&co, &callbacks, client, &client->c), 0);
        ck_assert_int_eq(esp_connection_new(&so, &callbacks, server, &server->c), 0);
}

static void free_pair(Peer *a, Peer *b) {
        esp_connection_free(a->c);
        esp_connection_free(b->c);
}

static void exchange(Peer *client, Peer *server, size_t piece) {
        /* Client: hello + handshake 1; server: hello + handshake 2 (or nothing in plaintext). */
        ck_assert_int_eq(pump(client, server, piece), 0);
        ck_assert_int_eq(pump(server, client, piece), 0);
        ck_assert_int_eq(esp_connection_state(client->c), ESP_CONNECTION_READY);
        ck_assert_int_eq(esp_connection_state(server->c), ESP_CONNECTION_READY);

        ck_assert_int_eq(esp_connection_send(client->c, 1, (const uint8_t *) "\x0a\x02hi", 4), 0);
        ck_assert_int_eq(esp_connection_send(client->c, 7, NULL, 0), 0);
        ck_assert_int_eq(pump(client, server, piece), 0);
        ck_assert_uint_eq(server->n, 2);
        ck_assert_uint_eq(server->types[0], 1);
        ck_assert_uint_eq(server->lens[0], 4);
        ck_assert_mem_eq(server->payloads[0], "\x0a\x02hi", 4);
        ck_assert_uint_eq(server->types[1], 7);
        ck_assert_int_eq(pump(server, client, piece), 0);
        ck_assert_uint_eq(client->n, 1);
        ck_assert_uint_eq(client->types[0], 8);
}

START_TEST(test_plaintext_pair) {
        Peer client, server;

        for (size_t piece = 1; piece <= 64; piece *= 4) {
                make_pair(&client, &server, NULL, NULL);
                ck_assert(!esp_connection_encrypted(client.c));
                exchange(&client, &server, piece);
                ck_assert_int_eq(client.ready + server.ready, 0);
                free_pair(&client, &server);
        }
}
END_TEST

START_TEST(test_noise_pair) {
        Peer client, server;
        const uint8_t *out;

        for (size_t piece = 1; piece <= 256; piece *= 4) {
                make_pair(&client, &server, psk_a, psk_a);
                /* The client's first bytes: the empty hello, then 01 00 31 00 + 48 bytes. */
                ck_assert_uint_eq(esp_connection_output(client.c, &out), 3 + 3 + 49);
                tt_assert_hex_eq(out, 7, "010000 010031 00");
                ck_assert_int_eq(esp_connection_send(client.c, 7, NULL, 0), -EAGAIN);
                exchange(&client, &server, piece);
                ck_assert_int_eq(client.ready, 1);
                ck_assert_int_eq(server.ready, 1);
                ck_assert_str_eq(esp_connection_peer_name(client.c), "hall-proxy");
                ck_assert_str_eq(esp_connection_peer_mac(client.c), "aabbccddeeff");
                free_pair(&client, &server);
        }
}
END_TEST

START_TEST(test_noise_server_hello_bytes) {
        Peer client, server;
        const uint8_t *out;
        size_t n;

        make_pair(&client, &server, psk_a, psk_a);
        ck_assert_int_eq(pump(&client, &server, 1000), 0);
        n = esp_connection_output(server.c, &out);
        /* 01 00 19 | 01 "hall-proxy" 00 "aabbccddeeff" 00 | 01 00 31 00 <48> */
        ck_assert_uint_eq(n, 3 + 25 + 3 + 49);
        tt_assert_hex_eq(out, 28, "010019 01 68616c6c2d70726f787900 61616262636364646565666600");
        tt_assert_hex_eq(out + 28, 4, "010031 00");
        free_pair(&client, &server);
}
END_TEST

START_TEST(test_wrong_psk) {
        Peer client, server;
        const uint8_t *out;
        size_t n;

        make_pair(&client, &server, psk_a, psk_b);
        ck_assert_int_eq(pump(&client, &server, 1000), -EACCES);
        ck_assert_int_eq(esp_connection_state(server.c), ESP_CONNECTION_FAILED);
        /* The server still says why, as ESPHome does: hello, then the rejection. */
        n = esp_connection_output(server.c, &out);
        ck_assert_uint_gt(n, 25);
        ck_assert_int_eq(pump(&server, &client, 7), -EACCES);
        ck_assert_int_eq(esp_connection_errno(client.c), -EACCES);
        ck_assert_ptr_nonnull(strstr(esp_connection_error(client.c), "wrong PSK"));
        ck_assert_int_eq(client.ready + server.ready, 0);
        ck_assert_int_eq(esp_connection_send(client.c, 7, NULL, 0), -EACCES);
        free_pair(&client, &server);
}
END_TEST

START_TEST(test_framing_mismatch) {
        Peer client, server;

        /* Noise client, plaintext server: the server answers 00 "Bad indicator byte". */
        make_pair(&client, &server, psk_a, NULL);
        ck_assert_int_eq(pump(&client, &server, 1000), -EPROTO);
        ck_assert_int_eq(pump(&server, &client, 1000), -EPROTO);
        ck_assert_ptr_nonnull(strstr(esp_connection_error(client.c), "plaintext"));
        free_pair(&client, &server);

        /* Plaintext client, Noise server: a Noise rejection frame tells the client. */
        make_pair(&client, &server, NULL, psk_a);
        ck_assert_int_eq(esp_connection_send(client.c, 1, NULL, 0), 0);
        ck_assert_int_eq(pump(&client, &server, 1000), -EPROTO);
        ck_assert_int_eq(pump(&server, &client, 1000), -EPROTO);
        ck_assert_ptr_nonnull(strstr(esp_connection_error(client.c), "encryption"));
        free_pair(&client, &server);
}
END_TEST

START_TEST(test_hostile_handshake) {
        Peer client, server;
        uint8_t frame[64];
        int n;

        /* A handshake frame with a non-zero error byte from a client, and one that is too long. */
        make_pair(&client, &server, psk_a, psk_a);
        ck_assert_int_eq(esp_connection_receive(server.c, (const uint8_t *) "\x01\x00\x00", 3), 0);
        frame[0] = 0x07;
        n = esp_noise_frame_build(frame, 1, frame + 8, 16);
        ck_assert_int_eq(esp_connection_receive(server.c, frame + 8, (size_t) n), -EBADMSG);
        free_pair(&client, &server);

        make_pair(&client, &server, psk_a, psk_a);
        ck_assert_int_eq(esp_connection_receive(server.c, (const uint8_t *) "\x01\x00\x81", 3), -EMSGSIZE);
        free_pair(&client, &server);

        /* A server hello naming another protocol. */
        make_pair(&client, &server, psk_a, psk_a);
        ck_assert_int_eq(
                esp_connection_receive(client.c, (const uint8_t *) "\x01\x00\x01\x02", 4), -EBADMSG);
        free_pair(&client, &server);

        /* A transport frame that does not decrypt. */
        make_pair(&client, &server, psk_a, psk_a);
        ck_assert_int_eq(pump(&client, &server, 1000), 0);
        ck_assert_int_eq(pump(&server, &client, 1000), 0);
        memset(frame, 0x33, sizeof(frame));
        n = esp_noise_frame_build(frame, 30, frame + 0, sizeof(frame));
        ck_assert_int_eq(esp_connection_receive(server.c, frame, (size_t) n), -EBADMSG);
        free_pair(&client, &server);
}
END_TEST

START_TEST(test_output_bound) {
        EspConnectionOptions o = { .role = ESP_ROLE_CLIENT, .output_max = 100 };
        EspConnection *c;
        uint8_t payload[60] = {};

        ck_assert_int_eq(esp_connection_new(&o, &callbacks, &(Peer){}, &c), 0);
        ck_assert_int_eq(esp_connection_send(c, 75, payload, sizeof(payload)), 0);
        ck_assert_int_eq(esp_connection_send(c, 75, payload, sizeof(payload)), -ENOBUFS);
        ck_assert_int_eq(esp_connection_state(c), ESP_CONNECTION_FAILED);
        esp_connection_free(c);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("esp-connection");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_noise_both_roles);
        tcase_add_test(tc, test_noise_wrong_psk_or_prologue);
        tcase_add_test(tc, test_plaintext_pair);
        tcase_add_test(tc, test_noise_pair);
        tcase_add_test(tc, test_noise_server_hello_bytes);
        tcase_add_test(tc, test_wrong_psk);
        tcase_add_test(tc, test_framing_mismatch);
        tcase_add_test(tc, test_hostile_handshake);
        tcase_add_test(tc, test_output_bound);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
