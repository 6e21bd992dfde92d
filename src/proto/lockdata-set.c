/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon-lockdata.h"
#include "lockdata-internal.h"
#include "lockdata-set.h"
#include "string-util.h"

TTLockDataSet *ttlock_lockdata_set_free(TTLockDataSet *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_entries; i++)
                ttlock_lockdata_free(s->entries[i].data);
        free(s->entries);
        free(s);
        return NULL;
}

static bool is_base64_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                c == '/' || c == '=';
}

TTLockDataFormat ttlock_lockdata_detect(const char *text, size_t len) {
        bool base64 = true;

        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM from a Windows editor */
                text += 3, len -= 3;
        lockdata_trim(&text, &len);
        if (len == 0)
                return TTLOCK_LOCKDATA_FORMAT_UNKNOWN;
        if (text[0] == '{' || text[0] == '[' || text[0] == '"')
                return TTLOCK_LOCKDATA_FORMAT_JSON;
        for (size_t i = 0; i < len && base64; i++)
                base64 = is_base64_char(text[i]) || strchr(" \t\r\n\f\v", text[i]);
        if (base64)
                return TTLOCK_LOCKDATA_FORMAT_STRING;
        /* The key store's YAML (a document marker, a comment, or a mapping key first). */
        if (text[0] == '#' || text[0] == '%' || (len >= 3 && memcmp(text, "---", 3) == 0) ||
            (len >= 8 && memcmp(text, "version:", 8) == 0) || (len >= 2 && memcmp(text, "- ", 2) == 0))
                return TTLOCK_LOCKDATA_FORMAT_EXPORT;
        return TTLOCK_LOCKDATA_FORMAT_UNKNOWN;
}

static int set_add(TTLockDataSet *s, TTError *e) {
        TTLockDataEntry *n;

        if (s->n_entries >= TTLOCK_LOCKDATA_LOCKS_MAX)
                return tt_error(e, -E2BIG, "more than %u locks in one input", TTLOCK_LOCKDATA_LOCKS_MAX);
        n = reallocarray(s->entries, s->n_entries + 1, sizeof(TTLockDataEntry));
        if (!n)
                return tt_error(e, -ENOMEM, "out of memory");
        s->entries = n;
        s->entries[s->n_entries] = (TTLockDataEntry){};
        (void) snprintf(
                s->entries[s->n_entries].label, sizeof(s->entries[0].label), "lock %zu", s->n_entries + 1);
        s->n_entries++;
        return 0;
}

/* The entry just added gets its result: the record, or the error with a label naming the lock as
 * well as we can (the address the element gives, if any). */
static void set_settle(TTLockDataSet *s, int r, TTLockData *d, struct json_object *element) {
        TTLockDataEntry *entry = &s->entries[s->n_entries - 1];
        char address[TTLOCK_LOCKDATA_ADDRESS_SIZE];

        if (r >= 0) {
                entry->data = d;
                memcpy(entry->label, d->address, sizeof(d->address));
                return;
        }
        if (element && json_object_is_type(element, json_type_object) &&
            (lockdata_json_get_address(element, "lockMac", address, NULL) > 0 ||
             lockdata_json_get_address(element, "address", address, NULL) > 0))
                memcpy(entry->label, address, sizeof(address));
}

static int parse_strings(const char *text, size_t len, TTLockDataSet *s, TTError *e) {
        size_t i = 0;

        while (i < len) {
                size_t start, n;
                TTLockData *d = NULL;
                int r;

                while (i < len && strchr(" \t\r\n\f\v", text[i]))
                        i++;
                if (i >= len)
                        break;
                start = i;
                while (i < len && !strchr(" \t\r\n\f\v", text[i]))
                        i++;
                n = i - start;

                r = set_add(s, e);
                if (r < 0)
                        return r;
                r = ttlock_lockdata_decode(text + start, n, &d, &s->entries[s->n_entries - 1].error);
                set_settle(s, r, d, NULL);
        }
        return 0;
}

static bool is_addon_record(struct json_object *o) {
        return json_object_is_type(o, json_type_object) && lockdata_json_member(o, "privateData");
}

static int parse_element(struct json_object *o, TTLockDataSet *s, TTError *e) {
        TTLockData *d = NULL;
        int r;

        r = set_add(s, e);
        if (r < 0)
                return r;
        if (is_addon_record(o))
                r = ttlock_addon_lockdata_from_json(o, &d, &s->entries[s->n_entries - 1].error);
        else
                r = ttlock_lockdata_from_json(o, &d, &s->entries[s->n_entries - 1].error);
        set_settle(s, r, d, o);
        return 0;
}

static int parse_json(const char *text, size_t len, TTLockDataSet *s, TTError *e) {
        struct json_object *root = NULL, *list;
        int r = 0;

        r = ttlock_lockdata_json_parse(text, len, &root, e);
        if (r < 0)
                return r;

        if (json_object_is_type(root, json_type_string)) {
                /* A lockData string in quotes, as copied out of a JSON document. */
                s->format = TTLOCK_LOCKDATA_FORMAT_STRING;
                r = parse_strings(
                        json_object_get_string(root), (size_t) json_object_get_string_len(root), s, e);
                goto finish;
        }

        list = json_object_is_type(root, json_type_object) ? lockdata_json_member(root, "list") : NULL;
        if (list && !json_object_is_type(list, json_type_array)) {
                r = tt_error(e, -EBADMSG, "list: expected an array, got %s", lockdata_json_type_name(list));
                goto finish;
        }
        if (!list && json_object_is_type(root, json_type_array))
                list = root;

        if (list) {
                size_t n = json_object_array_length(list);

                if (n > TTLOCK_LOCKDATA_LOCKS_MAX) {
                        r = tt_error(
                                e,
                                -E2BIG,
                                "%zu locks in one input, more than the %u accepted",
                                n,
                                TTLOCK_LOCKDATA_LOCKS_MAX);
                        goto finish;
                }
                s->format = n > 0 && is_addon_record(json_object_array_get_idx(list, 0))
                        ? TTLOCK_LOCKDATA_FORMAT_ADDON
                        : TTLOCK_LOCKDATA_FORMAT_JSON;
                for (size_t i = 0; i < n && r >= 0; i++)
                        r = parse_element(json_object_array_get_idx(list, i), s, e);
        } else if (json_object_is_type(root, json_type_object)) {
                s->format =
                        is_addon_record(root) ? TTLOCK_LOCKDATA_FORMAT_ADDON : TTLOCK_LOCKDATA_FORMAT_JSON;
                r = parse_element(root, s, e);
        } else
                r = tt_error(
                        e,
                        -EBADMSG,
                        "expected a JSON object or array, got %s",
                        lockdata_json_type_name(root));

finish:
        ttlock_lockdata_json_free(root);
        return r;
}

int ttlock_lockdata_parse(const char *text, size_t len, TTLockDataSet **ret, TTError *e) {
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;
        TTLockDataFormat f;
        int r;

        assert(text || len == 0);
        assert(ret);

        if (len > TTLOCK_LOCKDATA_INPUT_MAX)
                return tt_error(
                        e,
                        -E2BIG,
                        "input of %zu bytes is larger than the %u accepted",
                        len,
                        TTLOCK_LOCKDATA_INPUT_MAX);
        if (memchr(text, 0, len))
                return tt_error(e, -EBADMSG, "input contains a NUL byte: not text");

        s = calloc(1, sizeof(TTLockDataSet));
        if (!s)
                return tt_error(e, -ENOMEM, "out of memory");

        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) /* a BOM from a Windows editor */
                text += 3, len -= 3;
        f = ttlock_lockdata_detect(text, len);
        s->format = f;
        switch (f) {
        case TTLOCK_LOCKDATA_FORMAT_STRING:
                r = parse_strings(text, len, s, e);
                break;
        case TTLOCK_LOCKDATA_FORMAT_JSON:
                r = parse_json(text, len, s, e);
                break;
        case TTLOCK_LOCKDATA_FORMAT_EXPORT:
                return tt_error(
                        e,
                        -EMEDIUMTYPE,
                        "a ttlockd export: the key store reads it, not the lockData parser");
        default:
                return tt_error(
                        e,
                        -EBADMSG,
                        "neither a lockData string, lockData or add-on JSON, nor a ttlockd export");
        }
        if (r < 0)
                return r;
        if (s->n_entries == 0)
                return tt_error(e, -EBADMSG, "no locks in the input");

        /* One lock listed twice would be imported twice, the second silently winning. */
        for (size_t i = 0; i < s->n_entries; i++)
                for (size_t j = 0; j < i && s->entries[i].data; j++)
                        if (s->entries[j].data &&
                            streq(s->entries[j].data->address, s->entries[i].data->address)) {
                                s->entries[i].data = ttlock_lockdata_free(s->entries[i].data);
                                (void) tt_error(
                                        &s->entries[i].error, -EEXIST, "the same lock as lock %zu", j + 1);
                                break;
                        }

        *ret = TAKE_PTR(s);
        return 0;
}
