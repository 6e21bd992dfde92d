/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "access.h"
#include "command.h"
#include "describe.h"
#include "pairing.h"

static int vendor(Printer *p, int r) {
        if (r < 0)
                return r;
        printer_string(p, "vendor", TTLOCK_VENDOR);
        return 1;
}

int describe_pairing(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        int r;

        switch (command) {
        case TTLOCK_CMD_GET_AES_KEY:
                if (!reply)
                        return vendor(p, ttlock_get_aes_key_request_decode(data, len, e));
                uint8_t key[TTLOCK_AES_KEY_LEN];
                r = ttlock_get_aes_key_reply_decode(data, len, key, e);
                if (r < 0)
                        return r;
                /* An analyser shows what was captured: the capture holds the key already. */
                printer_hex(p, "aes_key", key, sizeof(key));
                erase_memory(key, sizeof(key));
                return 1;

        case TTLOCK_CMD_ADD_ADMIN:
                if (reply)
                        return vendor(p, ttlock_add_admin_reply_decode(data, len, e));
                TTAddAdminRequest a;
                r = ttlock_add_admin_request_decode(data, len, &a, e);
                if (r < 0)
                        return r;
                printer_uint(p, "admin_ps", a.admin_ps);
                printer_uint(p, "unlock_key", a.unlock_key);
                printer_string(p, "vendor", TTLOCK_VENDOR);
                return 1;

        case TTLOCK_CMD_TIME_CALIBRATE:
                if (reply)
                        return 1; /* status only */
                TTDateTime t;
                r = ttlock_time_calibrate_request_decode(data, len, &t, e);
                if (r < 0)
                        return r;
                describe_datetime(p, "time", &t);
                return 1;

        case TTLOCK_CMD_OPERATE_FINISHED:
        case TTLOCK_CMD_RESET_LOCK:
        case TTLOCK_CMD_INITIALIZATION:
                if (reply) {
                        /* A paired lock answers INITIALIZATION with its battery (§10.6 D2); the version
                         * tuple the app wants is in the reply's header. Anything further is shown raw. */
                        if (command == TTLOCK_CMD_INITIALIZATION && len >= 1)
                                printer_uint(p, "battery", data[0]);
                        if (len > (command == TTLOCK_CMD_INITIALIZATION ? 1u : 0u))
                                printer_hex(p, "data", data, len);
                        return 1;
                }
                r = ttlock_empty_request_decode(command, data, len, e);
                return r < 0 ? r : 1;

        case TTLOCK_CMD_INIT_PASSWORDS:
                if (reply)
                        return 1;
                TTInitPasswordsRequest q;
                r = ttlock_init_passwords_request_decode(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_uint(p, "year", 2000 + q.year);
                printer_array_begin(p, "entries");
                for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++) {
                        printer_object_begin(p, NULL);
                        printer_uint(p, "code", q.entries[i].code);
                        printer_uint(p, "secret", q.entries[i].secret);
                        printer_object_end(p);
                }
                printer_array_end(p);
                return 1;
        }
        return 0;
}
