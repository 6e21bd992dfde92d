/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-decode lockdata: what a lockData string, the cloud's JSON or the old add-on's lockData.json
 * holds (doc/lockdata.md), through the same parser ttlockd imports with. Key material is shown only
 * with --show-secrets. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "describe.h"
#include "hex.h"
#include "lockdata-set.h"
#include "string-util.h"
#include "time-util.h"

#define REDACTED "(secret)"

static void print_time(Printer *p, const char *key, uint64_t usec) {
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;
        char buf[32];

        /* UTC, so that the output does not depend on the zone of whoever runs the tool. */
        if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
                printer_string(p, key, buf);
        else
                printer_uint(p, key, usec);
}

/* A JSON value with the secret members blanked; nested values of a secret member go too. */
static void
print_json(Printer *p, const char *key, struct json_object *v, bool show_secrets, unsigned depth) {
        if (depth > TTLOCK_LOCKDATA_JSON_DEPTH)
                return;
        if (key && !show_secrets && ttlock_lockdata_field_is_secret(key) && v &&
            !json_object_is_type(v, json_type_null)) {
                printer_string(p, key, REDACTED);
                return;
        }
        switch (json_object_get_type(v)) {
        case json_type_object: {
                printer_object_begin(p, key);
                json_object_object_foreach(v, k, member) print_json(p, k, member, show_secrets, depth + 1);
                printer_object_end(p);
                break;
        }
        case json_type_array:
                printer_array_begin(p, key);
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        print_json(p, NULL, json_object_array_get_idx(v, i), show_secrets, depth + 1);
                printer_array_end(p);
                break;
        case json_type_string:
                printer_string(p, key, json_object_get_string(v));
                break;
        case json_type_int:
                printer_int(p, key, json_object_get_int64(v));
                break;
        case json_type_boolean:
                printer_bool(p, key, json_object_get_boolean(v));
                break;
        case json_type_double:
                printer_stringf(p, key, "%g", json_object_get_double(v));
                break;
        default:
                printer_string(p, key, "null");
                break;
        }
}

static void print_lock(Printer *p, const TTLockData *d, bool show_secrets) {
        char hex[2 * TTLOCK_LOCKDATA_KEY_SIZE + 1];

        printer_string(p, "address", d->address);
        if (d->name)
                printer_string(p, "name", d->name);
        if (d->alias)
                printer_string(p, "alias", d->alias);
        printer_string(p, "role", ttlock_lockdata_role_to_string(d->role));
        if (d->user_type != 0)
                printer_uint(p, "user_type", d->user_type);
        printer_uint(p, "uid", d->uid);
        printer_uint(p, "lock_flag_pos", d->lock_flag_pos);
        if (d->start_usec == 0 && d->end_usec == 0)
                printer_string(p, "validity", "permanent");
        else {
                print_time(p, "valid_from", d->start_usec);
                print_time(p, "valid_until", d->end_usec);
        }

        if (show_secrets) {
                printer_string(p, "aes_key", bytes_to_hex(d->aes_key, sizeof(d->aes_key), hex));
                erase_memory(hex, sizeof(hex));
                if (d->has_admin_ps)
                        printer_uint(p, "admin_ps", d->admin_ps);
                printer_uint(p, "unlock_key", d->unlock_key);
                if (d->admin_passcode)
                        printer_string(p, "admin_passcode", d->admin_passcode);
        } else {
                printer_string(p, "aes_key", REDACTED);
                if (d->has_admin_ps)
                        printer_string(p, "admin_ps", REDACTED);
                printer_string(p, "unlock_key", REDACTED);
                if (d->admin_passcode)
                        printer_string(p, "admin_passcode", REDACTED);
        }

        if (d->has_version) {
                printer_object_begin(p, "lock_version");
                printer_uint(p, "protocol_type", d->protocol_type);
                printer_uint(p, "protocol_version", d->protocol_version);
                printer_uint(p, "scene", d->scene);
                printer_uint(p, "group_id", d->group_id);
                printer_uint(p, "org_id", d->org_id);
                printer_object_end(p);
        }
        if (d->has_features) {
                printer_object_begin(p, "features");
                describe_features(p, &d->features);
                printer_object_end(p);
        }
        if (d->model)
                printer_string(p, "model", d->model);
        if (d->hardware_revision)
                printer_string(p, "hardware_revision", d->hardware_revision);
        if (d->firmware_revision)
                printer_string(p, "firmware_revision", d->firmware_revision);
        if (d->has_timezone_offset) {
                int64_t minutes = d->timezone_offset_ms / 60000;

                printer_stringf(
                        p,
                        "timezone",
                        "UTC%c%02" PRId64 ":%02" PRId64,
                        minutes < 0 ? '-' : '+',
                        (minutes < 0 ? -minutes : minutes) / 60,
                        (minutes < 0 ? -minutes : minutes) % 60);
        }
        if (d->battery >= 0)
                printer_uint(p, "battery", (uint64_t) d->battery);
}

/* The decrypted JSON of the n-th white-space-separated lockData string of text (the order in which
 * ttlock_lockdata_parse() reads them), for the "fields" part of the output. */
static void print_inner_fields(Printer *p, const char *text, size_t len, size_t index, bool show_secrets) {
        size_t i = 0, k = 0;

        while (i < len) {
                size_t start;

                while (i < len && strchr(" \t\r\n\f\v", text[i]))
                        i++;
                if (i >= len)
                        return;
                start = i;
                while (i < len && !strchr(" \t\r\n\f\v", text[i]))
                        i++;
                if (k++ == index) {
                        struct json_object *o = NULL;
                        char *json = NULL;
                        size_t n = 0;

                        if (ttlock_lockdata_unwrap(text + start, i - start, &json, &n, NULL, NULL) >= 0 &&
                            ttlock_lockdata_json_parse(json, n, &o, NULL) >= 0)
                                print_json(p, "fields", o, show_secrets, 0);
                        ttlock_lockdata_json_free(o);
                        ttlock_lockdata_text_free(json);
                        return;
                }
        }
}

int describe_lockdata(Printer *p, const char *text, size_t len, bool show_secrets, TTError *e) {
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;
        struct json_object *quoted = NULL;
        const char *strings = text;
        size_t strings_len = len;
        unsigned failed = 0;
        int r;

        r = ttlock_lockdata_parse(text, len, &s, e);
        if (r < 0)
                return r;

        /* A quoted lockData string: its fields come from the string inside the quotes. */
        if (s->format == TTLOCK_LOCKDATA_FORMAT_STRING &&
            ttlock_lockdata_detect(text, len) == TTLOCK_LOCKDATA_FORMAT_JSON &&
            ttlock_lockdata_json_parse(text, len, &quoted, NULL) >= 0 &&
            json_object_is_type(quoted, json_type_string)) {
                strings = json_object_get_string(quoted);
                strings_len = (size_t) json_object_get_string_len(quoted);
        }

        printer_begin(p);
        printer_string(p, "format", ttlock_lockdata_format_to_string(s->format));
        printer_array_begin(p, "locks");
        for (size_t i = 0; i < s->n_entries; i++) {
                const TTLockDataEntry *entry = &s->entries[i];

                printer_object_begin(p, NULL);
                if (!entry->data) {
                        printer_string(p, "lock", entry->label);
                        printer_string(p, "error", tt_error_message(&entry->error));
                        failed++;
                } else {
                        print_lock(p, entry->data, show_secrets);
                        if (s->format == TTLOCK_LOCKDATA_FORMAT_STRING)
                                print_inner_fields(p, strings, strings_len, i, show_secrets);
                }
                printer_object_end(p);
        }
        printer_array_end(p);
        printer_end(p);
        ttlock_lockdata_json_free(quoted);

        if (failed > 0)
                return tt_error(
                        e,
                        -EBADMSG,
                        "%u of %zu locks could not be read (see \"error\" above)",
                        failed,
                        s->n_entries);
        return 0;
}
