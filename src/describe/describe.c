/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "command.h"
#include "datetime.h"
#include "describe.h"
#include "feature-bits.h"
#include "lock-error.h"
#include "reply.h"

void describe_datetime(Printer *p, const char *key, const TTDateTime *t) {
        printer_stringf(p, key, "%04u-%02u-%02u %02u:%02u:%02u", t->year, t->month, t->day, t->hour,
                        t->minute, t->second);
}

void describe_features(Printer *p, const TTFeatures *f) {
        printer_array_begin(p, "bits");
        for (unsigned bit = 0; bit < f->n_groups * 32; bit++)
                if (ttlock_features_has(f, bit))
                        printer_uint(p, NULL, bit);
        printer_array_end(p);

        printer_array_begin(p, "names");
        for (unsigned bit = 0; bit < f->n_groups * 32; bit++)
                if (ttlock_features_has(f, bit)) {
                        const char *name = ttlock_feature_name(bit);
                        if (name)
                                printer_string(p, NULL, name);
                        else
                                printer_stringf(p, NULL, "bit-%u", bit);
                }
        printer_array_end(p);
}

bool describe_key_is_public(const char *key) {
        /* A list, not a rule: a key missing here is redacted, which is the safe mistake. */
        static const char *const public_keys[] = {
                /* the envelope (describe_plaintext()) */
                "decoded",
                "direction",
                "command",
                "command_name",
                "success",
                "empty",
                "error_code",
                "error_name",
                "error_description",
                /* ttlockd's own: a payload that did not decode all the way (lock/frame-log.c) */
                "decoded_fully",
                /* state, battery, door (describe-access.c) */
                "vendor",
                "form",
                "battery",
                "state",
                "door_sensor",
                "record_id",
                "unique_id",
                "time",
                "valid_from_encoding",
                "valid_until_encoding",
                /* features, device info, clock (describe-info.c, describe.c) */
                "bits",
                "names",
                "type",
                "type_name",
                "year",
                /* the operation log (describe-oplog.c): what happened and when, not by whom */
                "sequence",
                "meaning",
                "total",
                "next_sequence",
                "records",
                "kind",
                "method",
                "accessory_battery",
                "deleted_at",
                /* credentials: the operation and its outcome, not the credential (describe-credentials.c) */
                "op",
                "cycle_type",
                "enrolment",
                "current",
                "template_sequence",
                "template_packet_length",
                "user_type",
                "user_note",
                "cycle",
                "weekday",
                "start",
                "end",
                "padded",
                "valid_from",
                "valid_until",
                /* settings (describe-settings.c) */
                "enabled",
                "seconds",
                "min_seconds",
                "max_seconds",
                "door_sensor_value",
                "volume",
                "language",
                "items",
                "values",
                "tamper_alert",
                "reset_button",
                "privacy_lock",
                "day",
                "month",
        };

        if (!key)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(public_keys); i++)
                if (strcmp(key, public_keys[i]) == 0)
                        return true;
        return false;
}

static const DescribeFunc families[] = {
        describe_access, describe_pairing,     describe_info,
        describe_oplog,  describe_credentials, describe_settings,
};

static int describe_fields(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len,
                           TTError *e) {
        for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                int r = families[i](p, reply, command, data, len, e);
                if (r != 0)
                        return r;
        }

        /* A command no family knows: show its bytes rather than pretending to understand them. */
        printer_hex(p, "data", data, len);
        return 0;
}

int describe_plaintext(Printer *p, bool reply, uint8_t command, const uint8_t *plain, size_t len, TTError *e) {
        const char *name;
        TTReply rp;
        int r;

        if (!reply) {
                printer_object_begin(p, "decoded");
                printer_string(p, "direction", "request");
                printer_code(p, "command", command, 2);
                name = ttlock_command_name(command);
                if (name)
                        printer_string(p, "command_name", name);
                r = describe_fields(p, false, command, plain, len, e);
                printer_object_end(p);
                return r;
        }

        /* An empty reply is meaningful on its own (§2.4): success for RESET_LOCK, "not in setting
         * mode" for ADD_ADMIN, a wrong key otherwise. The command is unknown then. */
        if (len == 0) {
                printer_object_begin(p, "decoded");
                printer_string(p, "direction", "reply");
                printer_bool(p, "empty", true);
                printer_object_end(p);
                return 0;
        }

        r = ttlock_reply_parse(plain, len, &rp, e);
        if (r < 0)
                return r;

        printer_object_begin(p, "decoded");
        printer_string(p, "direction", "reply");
        printer_code(p, "command", rp.command, 2);
        name = ttlock_command_name(rp.command);
        if (name)
                printer_string(p, "command_name", name);
        printer_bool(p, "success", rp.success);
        if (!rp.success) {
                printer_code(p, "error_code", rp.error_code, 2);
                name = ttlock_error_name(rp.error_code);
                printer_string(p, "error_name", name ?: "unknown");
                if (ttlock_error_description(rp.error_code))
                        printer_string(p, "error_description", ttlock_error_description(rp.error_code));
                r = 0;
        } else
                r = describe_fields(p, true, rp.command, rp.data, rp.data_len, e);
        printer_object_end(p);
        return r;
}
