/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What fuzz-lockdata and fuzz-addon-lockdata check about a record a parser accepted (lockdata.h):
 * its fields are within the bounds the header promises, and it survives the encoder — the
 * lockData string for every record, the add-on's file for admins — with nothing changed. */

#include <string.h>

#include "addon-lockdata.h"
#include "advert.h"
#include "fuzz.h"
#include "lockdata-set.h"
#include "string-util.h"

static inline void fuzz_lockdata_check_bounds(const TTLockData *d) {
        uint8_t a[6];

        fuzz_check(ttlock_address_from_string(d->address, a) == 0, "bad address \"%.18s\"", d->address);
        fuzz_check(d->role == TTLOCK_ROLE_ADMIN || d->role == TTLOCK_ROLE_USER, "role %d", d->role);
        fuzz_check(d->role == TTLOCK_ROLE_USER || d->has_admin_ps, "admin without adminPs");
        fuzz_check(d->lock_flag_pos <= 0xFFFFFF, "lockFlagPos %u", d->lock_flag_pos);
        fuzz_check(
                (d->start_usec == 0) == (d->end_usec == 0) && d->start_usec <= d->end_usec,
                "window %llu…%llu",
                (unsigned long long) d->start_usec,
                (unsigned long long) d->end_usec);
        fuzz_check(d->battery >= -1 && d->battery <= 100, "battery %d", d->battery);
        fuzz_check(
                !d->admin_passcode || strlen(d->admin_passcode) <= TTLOCK_LOCKDATA_PASSCODE_MAX,
                "admin passcode too long");
        fuzz_check(!d->name || strlen(d->name) <= TTLOCK_LOCKDATA_TEXT_MAX, "name too long");
        fuzz_check(
                d->features.n_groups <= TTLOCK_FEATURE_GROUPS_MAX,
                "%zu feature groups",
                d->features.n_groups);
}

static inline void fuzz_lockdata_check_same(const TTLockData *a, const TTLockData *b) {
        fuzz_check(streq(a->address, b->address), "address %s became %s", a->address, b->address);
        fuzz_check(memcmp(a->aes_key, b->aes_key, sizeof(a->aes_key)) == 0, "AES key changed");
        fuzz_check(a->has_admin_ps == b->has_admin_ps && a->admin_ps == b->admin_ps, "adminPs changed");
        fuzz_check(a->unlock_key == b->unlock_key, "unlockKey changed");
        fuzz_check(streq_ptr(a->admin_passcode, b->admin_passcode), "admin passcode changed");
        fuzz_check(a->role == b->role, "role changed");
        fuzz_check(a->lock_flag_pos == b->lock_flag_pos && a->uid == b->uid, "flag or uid changed");
        fuzz_check(
                a->start_usec / 1000 == b->start_usec / 1000 && a->end_usec / 1000 == b->end_usec / 1000,
                "validity changed");
        fuzz_check(a->battery == b->battery, "battery changed");
}

/* Through the lockData string and back; admins also through the add-on's file. */
static inline void fuzz_lockdata_round_trip(const TTLockData *d) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *back = NULL;
        char *text = NULL;
        TTError e = {};
        int r;

        fuzz_lockdata_check_bounds(d);
        r = ttlock_lockdata_encode(d, &text, &e);
        fuzz_check_result("ttlock_lockdata_encode", r, &e);
        fuzz_check(r >= 0, "cannot encode an accepted record: %s", e.message);
        e = (TTError){};
        r = ttlock_lockdata_decode(text, strlen(text), &back, &e);
        fuzz_check_result("ttlock_lockdata_decode", r, &e);
        fuzz_check(r >= 0, "own encoding does not decode: %s", e.message);
        fuzz_lockdata_check_same(d, back);
        fuzz_check(streq_ptr(d->name, back->name), "name changed");
        ttlock_lockdata_text_free(text);

        if (d->role == TTLOCK_ROLE_ADMIN) {
                _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;
                TTLockData *const locks[] = { (TTLockData *) d };

                text = NULL;
                e = (TTError){};
                r = ttlock_addon_lockdata_encode(locks, 1, &text, &e);
                fuzz_check(r >= 0, "cannot write an admin as the add-on does: %s", e.message);
                e = (TTError){};
                r = ttlock_lockdata_parse(text, strlen(text), &s, &e);
                fuzz_check(
                        r >= 0 && s->n_entries == 1 && s->entries[0].data,
                        "add-on file does not parse: %s %s",
                        e.message,
                        s ? s->entries[0].error.message : "");
                fuzz_check(
                        memcmp(d->aes_key, s->entries[0].data->aes_key, 16) == 0 &&
                                d->admin_ps == s->entries[0].data->admin_ps &&
                                d->unlock_key == s->entries[0].data->unlock_key &&
                                streq_ptr(d->admin_passcode, s->entries[0].data->admin_passcode),
                        "add-on round trip changed the keys");
                ttlock_lockdata_text_free(text);
        }
}

/* The contract of ttlock_lockdata_parse(): a set with at least one entry, each either a record or
 * an error that says why. */
static inline void fuzz_lockdata_check_set(int r, const TTError *e, const TTLockDataSet *s) {
        fuzz_check_result("ttlock_lockdata_parse", r, e);
        if (r < 0) {
                fuzz_check(!s, "failed but returned a set");
                return;
        }
        fuzz_check(
                s && s->n_entries > 0 && s->n_entries <= TTLOCK_LOCKDATA_LOCKS_MAX,
                "%zu entries",
                s ? s->n_entries : 0);
        for (size_t i = 0; i < s->n_entries; i++) {
                const TTLockDataEntry *entry = &s->entries[i];

                fuzz_check(memchr(entry->label, 0, sizeof(entry->label)), "label not terminated");
                if (entry->data) {
                        fuzz_check(entry->error.error == 0, "entry %zu has data and an error", i);
                        fuzz_lockdata_round_trip(entry->data);
                } else
                        fuzz_check_result("entry", entry->error.error, &entry->error);
        }
}
