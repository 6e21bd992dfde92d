/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key-import.h"
#include "lockdata-set.h"
#include "lockdata.h"
#include "string-util.h"

KeyImport *key_import_free(KeyImport *k) {
        if (!k)
                return NULL;
        for (size_t i = 0; i < k->n_entries; i++) {
                lock_record_free(k->entries[i].record);
                free(k->entries[i].error);
        }
        free(k->entries);
        free(k);
        return NULL;
}

static int entries_new(KeyImport *k, size_t n) {
        k->entries = calloc(MAX(n, 1U), sizeof(KeyImportEntry));
        if (!k->entries)
                return -ENOMEM;
        k->n_entries = n;
        return 0;
}

static void set_label(KeyImportEntry *x, const char *label) {
        snprintf(x->label, sizeof(x->label), "%s", label);
}

static int set_error(KeyImportEntry *x, const char *message) {
        x->record = lock_record_free(x->record);
        free(x->error);
        x->error = strdup(message);
        return x->error ? 0 : -ENOMEM;
}

/* One lock of the app's, the cloud's or the add-on's data as a key record (doc/lockdata.md §2, §4, §6):
 * the keys, who holds them, the eKey window and the lock's zone, and what the lock said of itself
 * (version tuple, features, device information, battery) until ttlockd reads it again. */
static int record_from_lockdata(const TTLockData *d, LockRecord **ret, const char **ret_error) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        int q;

        q = lock_record_new(d->address, &r);
        if (q < 0) {
                *ret_error = "its address is not AA:BB:CC:DD:EE:FF";
                return q;
        }
        memcpy(r->aes_key, d->aes_key, sizeof(r->aes_key));
        r->unlock_key = d->unlock_key;
        r->lock_flag_pos = d->lock_flag_pos;
        r->uid = d->uid;
        if (d->role == TTLOCK_ROLE_ADMIN) {
                /* lockdata.h never gives an admin without adminPwd (doc/lockdata.md §4 "The role"). */
                if (!d->has_admin_ps) {
                        *ret_error = "admin keys without the admin password (adminPwd)";
                        return -EBADMSG;
                }
                r->role = LOCK_ROLE_ADMIN;
                r->admin_ps = d->admin_ps;
        } else {
                r->role = LOCK_ROLE_USER;
                /* "Permanent" is both dates 0 in the SDK; one side may be open in a cloud answer. */
                r->valid_from_usec = d->start_usec;
                r->valid_until_usec = d->end_usec;
                if (r->valid_from_usec > 0 && r->valid_until_usec > 0 &&
                    r->valid_until_usec <= r->valid_from_usec) {
                        *ret_error = "the eKey's validity ends before it begins";
                        return -EBADMSG;
                }
        }
        if (d->has_timezone_offset) {
                int64_t s = d->timezone_offset_ms / 1000;

                /* Zones run from UTC-12 to UTC+14; anything else is not a zone, and is ignored. */
                if (s >= -16 * 3600 && s <= 16 * 3600) {
                        r->has_time_zone = true;
                        r->time_zone_offset_sec = (int32_t) s;
                }
        }
        if (d->has_version) {
                r->protocol_type = d->protocol_type;
                r->sub_version = d->protocol_version;
                r->scene = d->scene;
                r->group_id = d->group_id;
                r->org_id = d->org_id;
        }
        if (d->has_features)
                r->features = d->features;
        if (d->battery >= 0 && d->battery <= 100)
                r->battery = d->battery;
        if (lock_record_set_string(&r->alias, d->alias) < 0 ||
            lock_record_set_string(&r->admin_passcode, d->admin_passcode) < 0 ||
            lock_record_set_string(&r->model, d->model) < 0 ||
            lock_record_set_string(&r->hardware_revision, d->hardware_revision) < 0 ||
            lock_record_set_string(&r->firmware_revision, d->firmware_revision) < 0) {
                *ret_error = "out of memory";
                return -ENOMEM;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

static int from_lockdata(const TTLockDataSet *set, KeyImport *k) {
        int r;

        k->format = ttlock_lockdata_format_to_string(set->format);
        r = entries_new(k, set->n_entries);
        if (r < 0)
                return r;
        for (size_t i = 0; i < set->n_entries; i++) {
                const TTLockDataEntry *e = set->entries + i;
                KeyImportEntry *x = k->entries + i;
                const char *why = NULL;

                set_label(x, e->label);
                if (!e->data)
                        r = set_error(
                                x,
                                tt_error_message(&e->error)[0] ? tt_error_message(&e->error)
                                                               : "cannot be read");
                else if (record_from_lockdata(e->data, &x->record, &why) < 0)
                        r = set_error(x, why);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int from_export(const char *text, size_t len, KeyImport *k, char **ret_error) {
        StoreExportEntry *entries = NULL;
        size_t n = 0;
        int r;

        k->format = "ttlockd-export";
        r = store_export_from_yaml(text, len, &entries, &n, ret_error);
        if (r < 0)
                return r;
        r = entries_new(k, n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                KeyImportEntry *x = k->entries + i;

                set_label(x, entries[i].label);
                x->record = TAKE_PTR(entries[i].record);
                x->error = TAKE_PTR(entries[i].error);
                /* Keys whose fate was unknown where they were exported are verified again here. */
                if (x->record)
                        x->record->provisional = false;
        }
        store_export_entries_free(entries, n);
        return r;
}

/* The same lock twice in one input (the cloud lists a lock under each key the account holds): the first
 * that can be read is imported, the later ones are named as duplicates. */
static int refuse_duplicates(KeyImport *k) {
        for (size_t i = 0; i < k->n_entries; i++) {
                if (!k->entries[i].record)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (k->entries[j].record &&
                            streq(k->entries[j].record->address, k->entries[i].record->address)) {
                                int r = set_error(
                                        k->entries + i, "the same lock is named earlier in the input");
                                if (r < 0)
                                        return r;
                                break;
                        }
        }
        return 0;
}

int key_import_parse(const char *text, size_t len, KeyImport **ret, char **ret_error) {
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *set = NULL;
        TTError e = {};
        int r;

        assert(text || len == 0);
        assert(ret);
        assert(ret_error);

        *ret_error = NULL;
        if (len > TTLOCK_LOCKDATA_INPUT_MAX) {
                if (asprintf(ret_error, "larger than %u bytes", TTLOCK_LOCKDATA_INPUT_MAX) < 0)
                        *ret_error = NULL;
                return -EFBIG;
        }
        k = calloc(1, sizeof(KeyImport));
        if (!k)
                return -ENOMEM;

        r = ttlock_lockdata_parse(text, len, &set, &e);
        if (r == -EMEDIUMTYPE)
                r = from_export(text, len, k, ret_error);
        else if (r < 0) {
                *ret_error = strdup(
                        tt_error_message(&e)[0] ? tt_error_message(&e) : "not lock keys ttlockd knows");
                return r == -ENOMEM ? r : -EBADMSG;
        } else
                r = from_lockdata(set, k);
        if (r >= 0)
                r = refuse_duplicates(k);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(k);
        return 0;
}
