/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A native API connection (esp-connection.h) fed hostile bytes: a proxy as the daemon meets it
 * (client role) and a client as the simulator meets it (server role), plaintext or Noise, with fixed
 * keys so that a seed holding a real handshake reaches the encrypted transport. The first byte picks
 * role (bit 0), framing (bit 1) and the piece size (the rest). Promises: no crash, no leak, every
 * failure is a negative errno with a sentence, and the output stays within its bound. */

#include "esp-connection.h"
#include "fuzz.h"

static const uint8_t psk[32] = { 0x6b, 0x65, 0x79 }; /* "key", then zeros */
static const uint8_t ephemeral[32] = { 0x45 };

static int on_message(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        size_t *count = userdata;

        fuzz_check(len <= 32768, "message of %zu bytes", len);
        (*count)++;
        /* Answer like a proxy would, so the output path runs too. */
        return esp_connection_send(c, (uint16_t) (type + 1), payload, len > 64 ? 64 : len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        EspConnectionCallbacks cb = { .message = on_message };
        EspConnectionOptions o = {};
        EspConnection *c = NULL;
        size_t count = 0, piece, pos = 1;
        const uint8_t *out;
        int r = 0;

        if (size < 1)
                return 0;
        o.role = data[0] & 1 ? ESP_ROLE_SERVER : ESP_ROLE_CLIENT;
        o.psk = data[0] & 2 ? psk : NULL;
        o.name = o.role == ESP_ROLE_SERVER ? "proxy" : NULL;
        o.mac = "aabbccddeeff";
        o.ephemeral = ephemeral;
        o.output_max = 4096;
        piece = (data[0] >> 2) + 1;
        fuzz_check(esp_connection_new(&o, &cb, &count, &c) == 0, "new");

        while (pos < size) {
                size_t n = piece < size - pos ? piece : size - pos;

                r = esp_connection_receive(c, data + pos, n);
                pos += n;
                fuzz_check(esp_connection_output(c, &out) <= 4096, "output over its bound");
                if (r < 0)
                        break;
                /* The caller drains the output now and then. */
                if (pos % 3 == 0)
                        esp_connection_output_consume(c, esp_connection_output(c, &out));
        }
        if (r < 0) {
                fuzz_check(r > -4096, "%d is not an errno", r);
                fuzz_check(esp_connection_state(c) == ESP_CONNECTION_FAILED, "error %d but not failed", r);
                fuzz_check(esp_connection_errno(c) == r, "errno %d vs %d", esp_connection_errno(c), r);
                fuzz_check(esp_connection_error(c)[0] != '\0', "failed without saying why");
                fuzz_check(esp_connection_receive(c, data, size) == r, "error not sticky");
        }
        esp_connection_free(c);
        return 0;
}
