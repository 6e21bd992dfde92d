/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Figures of src/esphome (bench/esphome.sh): a Noise handshake run by both ends in memory (what a
 * daemon pays per proxy connection, and the proxy's half of it), and one 20-byte GATT write (a TTLock
 * chunk) through an encrypted and a plaintext connection, encode + frame + decode. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "esp-connection.h"
#include "esp-message.h"

static double now(void) {
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int on_message(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        (*(unsigned long *) userdata)++;
        return 0;
}

static const EspConnectionCallbacks callbacks = { .message = on_message };
static const uint8_t psk[32] = { 0x42 };

static int pump(EspConnection *from, EspConnection *to) {
        const uint8_t *out;
        size_t n = esp_connection_output(from, &out);
        int r = esp_connection_receive(to, out, n);

        esp_connection_output_consume(from, n);
        return r;
}

static int pair(bool noise, unsigned long *count, EspConnection **ret_c, EspConnection **ret_s) {
        EspConnectionOptions co = { .role = ESP_ROLE_CLIENT, .psk = noise ? psk : NULL };
        EspConnectionOptions so = {
                .role = ESP_ROLE_SERVER, .psk = noise ? psk : NULL, .name = "bench", .mac = "aabbccddeeff"
        };

        if (esp_connection_new(&co, &callbacks, count, ret_c) < 0 ||
            esp_connection_new(&so, &callbacks, count, ret_s) < 0)
                return -1;
        if (pump(*ret_c, *ret_s) < 0 || pump(*ret_s, *ret_c) < 0 ||
            esp_connection_state(*ret_c) != ESP_CONNECTION_READY)
                return -1;
        return 0;
}

static int bench_writes(bool noise, double seconds) {
        Esphome__BluetoothGATTWriteRequest w = ESPHOME__BLUETOOTH_GATTWRITE_REQUEST__INIT;
        uint8_t chunk[20] = { 0x7f, 0x5a, 0x05, 0x03 };
        unsigned long count = 0, sent = 0;
        EspConnection *c, *s;
        double t0, t;

        if (pair(noise, &count, &c, &s) < 0)
                return -1;
        w.address = 0xAABBCC000001ull;
        w.handle = 0x0011;
        w.data.data = chunk;
        w.data.len = sizeof(chunk);
        t0 = now();
        do {
                for (int i = 0; i < 256; i++, sent++)
                        if (esp_send(c, ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST, &w.base) < 0)
                                return -1;
                if (pump(c, s) < 0)
                        return -1;
                t = now() - t0;
        } while (t < seconds);
        if (count != sent)
                return -1;
        printf("%-9s 20-byte GATT write, encode + frame + decode: %8.2f µs (%lu messages)\n",
               noise ? "Noise" : "plaintext",
               t / (double) sent * 1e6,
               sent);
        esp_connection_free(c);
        esp_connection_free(s);
        return 0;
}

int main(int argc, char *argv[]) {
        double seconds = argc > 1 ? atof(argv[1]) : 1.0, t0, t;
        unsigned long count = 0, n = 0;

        if (seconds <= 0)
                seconds = 1.0;
        t0 = now();
        do {
                EspConnection *c, *s;

                if (pair(true, &count, &c, &s) < 0) {
                        fprintf(stderr, "handshake failed\n");
                        return EXIT_FAILURE;
                }
                esp_connection_free(c);
                esp_connection_free(s);
                n++;
                t = now() - t0;
        } while (t < seconds);
        printf("Noise handshake, both ends:                         %8.1f µs (%lu handshakes)\n",
               t / (double) n * 1e6,
               n);
        if (bench_writes(true, seconds) < 0 || bench_writes(false, seconds) < 0) {
                fprintf(stderr, "message round failed\n");
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
