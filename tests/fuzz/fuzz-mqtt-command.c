/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Commands as ttlock-mqtt receives them over MQTT (src/mqtt/mqtt-command.h): anything anyone who may
 * publish to its command and manage topics sends. The first byte picks the topic kind (even: a
 * command topic, which also takes plain words; odd: a manage topic, JSON only); the rest is the
 * payload. Checked: a refusal says why; an accepted command has a name and survives every accessor,
 * the age check and the key check. */

#include <string.h>

#include "fuzz.h"
#include "mqtt-command.h"
#include "time-util.h"

static void check_error(const char *what, int r, char *error) {
        if (r >= 0) {
                fuzz_check(!error || !*error, "%s succeeded but said \"%s\"", what, error);
        } else if (r != -ENOENT) {
                fuzz_check(error && *error, "%s failed (%d) without saying why", what, r);
                fuzz_check(strlen(error) < 512, "%s: an error of %zu bytes", what, strlen(error));
        }
        free(error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const plain[] = { "LOCK", "UNLOCK", "REFRESH", NULL };
        static const char *const keys[] = { "code", "alias", "seconds", "value", NULL };
        Command c = {};
        char *error = NULL;
        const char *s;
        uint64_t u;
        bool b;
        int r;

        if (size < 1)
                return 0;
        r = command_parse(data + 1, size - 1, data[0] % 2 ? NULL : plain, &c, &error);
        if (r < 0) {
                fuzz_check(r == -EINVAL || r == -EFBIG || r == -ENOMEM, "command_parse returned %d", r);
                fuzz_check(!c.root, "a refused command left its JSON behind");
                check_error("command_parse", r, error);
                return 0;
        }
        check_error("command_parse", r, error);
        fuzz_check(c.name[0] && strlen(c.name) < sizeof(c.name), "an accepted command without a name");
        fuzz_check(c.root || data[0] % 2 == 0, "a plain word accepted on a manage topic");

        for (int64_t expiry = -1; expiry <= 60; expiry += 61) {
                error = NULL;
                r = command_check_age(
                        &c, expiry, 30 * USEC_PER_SEC, UINT64_C(1800000000) * USEC_PER_SEC, &error);
                fuzz_check(r == 0 || r == -ESTALE, "command_check_age returned %d", r);
                check_error("command_check_age", r, error);
        }
        error = NULL;
        check_error("command_get_string", command_get_string(&c, "code", 16, &s, &error), error);
        error = NULL;
        check_error("command_get_bool", command_get_bool(&c, "value", &b, &error), error);
        error = NULL;
        check_error("command_get_uint", command_get_uint(&c, "seconds", 0, 65534, &u, &error), error);
        error = NULL;
        check_error("command_get_time_usec", command_get_time_usec(&c, "valid_from", &u, &error), error);
        error = NULL;
        check_error("command_check_keys", command_check_keys(&c, keys, &error), error);
        command_done(&c);
        return 0;
}
