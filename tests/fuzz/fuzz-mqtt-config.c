/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-mqtt's configuration file (src/mqtt/mqtt-config.h). Checked: a refused file is refused with
 * "FILE:LINE: …" or "FILE: …"; an accepted one has a broker and values within their documented
 * bounds; nothing leaks either way. */

#include <string.h>

#include "fuzz.h"
#include "mqtt-config.h"
#include "mqtt-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        MqttConfig c;
        char *error = NULL;
        int r;

        mqtt_config_init(&c);
        r = mqtt_config_parse(&c, "f.conf", (const char *) data, size, &error);
        if (r < 0) {
                fuzz_check(r == -EINVAL || r == -ENOMEM, "mqtt_config_parse returned %d", r);
                fuzz_check(
                        error && strncmp(error, "f.conf", 6) == 0 && (error[6] == ':'),
                        "a refusal that names no file: %s",
                        error ?: "(none)");
        } else {
                fuzz_check(!error, "accepted, but said \"%s\"", error);
                fuzz_check(c.host && *c.host && c.port > 0, "accepted without a broker");
                fuzz_check(c.keepalive >= 5 && c.keepalive <= 65535, "keepalive %u", c.keepalive);
                fuzz_check(!c.node_id || mqtt_node_id_valid(c.node_id), "node-id %s", c.node_id);
                fuzz_check(c.n_locks <= MQTT_CONFIG_MAX_LOCKS, "%zu locks", c.n_locks);
                fuzz_check(!c.cert_file == !c.key_file, "a certificate without its key");
                fuzz_check(c.tls || !c.ca_file, "ca-file without TLS");
        }
        free(error);
        mqtt_config_done(&c);
        return 0;
}
