/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "access.h"
#include "command.h"
#include "describe.h"
#include "info.h"

int describe_info(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        int r;

        switch (command) {
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE:
                if (!reply) {
                        r = ttlock_empty_request_decode(command, data, len, e);
                        return r < 0 ? r : 1;
                }
                TTFeatureReply f;
                r = ttlock_feature_reply_decode(data, len, &f, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", f.battery);
                describe_features(p, &f.features);
                return 1;

        case TTLOCK_CMD_READ_DEVICE_INFO:
                if (!reply) {
                        uint8_t type;
                        const char *name;
                        r = ttlock_device_info_request_decode(data, len, &type, e);
                        if (r < 0)
                                return r;
                        printer_uint(p, "type", type);
                        name = ttlock_device_info_type_name(type);
                        if (name)
                                printer_string(p, "type_name", name);
                        return 1;
                }
                TTDeviceInfoReply d;
                r = ttlock_device_info_reply_decode(data, len, &d, e);
                if (r < 0)
                        return r;
                printer_string(p, "text", d.text);
                return 1;

        case TTLOCK_CMD_GET_LOCK_TIME:
                if (!reply) {
                        r = ttlock_empty_request_decode(command, data, len, e);
                        return r < 0 ? r : 1;
                }
                TTDateTime t;
                r = ttlock_lock_time_reply_decode(data, len, &t, e);
                if (r < 0)
                        return r;
                describe_datetime(p, "time", &t);
                return 1;
        }
        return 0;
}
