/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* key-import.h: the argument of Manager1.ImportLocks(), whatever a caller sends — lockData strings, the
 * cloud's JSON, the add-on's file, or a ttlockd export (the key store's YAML, one document per lock,
 * read by store.c). The promises checked: a whole-input failure says why; every entry is a record or an
 * error, never both and never neither; a record is of a valid address, written back by the store and
 * read again unchanged in its keys, role and window (store.h). */

#include <yaml.h>

#include "fuzz.h"
#include "key-import.h"
#include "log.h"

static void check_record(const LockRecord *r) {
        _cleanup_(lock_record_freep) LockRecord *back = NULL;
        _cleanup_free_ char *error = NULL;
        char *text = NULL;
        size_t size = 0;
        int q;

        fuzz_check(store_address_valid(r->address) >= 0, "record of an invalid address \"%s\"", r->address);
        fuzz_check(!r->provisional, "an import record marked provisional");
        fuzz_check(r->role == LOCK_ROLE_ADMIN || r->role == LOCK_ROLE_USER, "role %d", r->role);
        q = lock_record_to_yaml(r, &text, &size);
        if (q == -ENOMEM)
                return;
        fuzz_check(q >= 0, "a record that cannot be written back: %d", q);
        q = lock_record_from_yaml(text, size, &back, &error);
        store_text_free(text, size);
        fuzz_check(q >= 0, "a record written back does not read: %s", error ? error : "?");
        fuzz_check(memcmp(back->aes_key, r->aes_key, sizeof(r->aes_key)) == 0, "aes-key changed");
        fuzz_check(
                back->role == r->role && back->unlock_key == r->unlock_key &&
                        (r->role != LOCK_ROLE_ADMIN || back->admin_ps == r->admin_ps) &&
                        back->lock_flag_pos == r->lock_flag_pos && back->uid == r->uid &&
                        back->valid_from_usec == r->valid_from_usec &&
                        back->valid_until_usec == r->valid_until_usec &&
                        back->has_time_zone == r->has_time_zone &&
                        back->time_zone_offset_sec == r->time_zone_offset_sec,
                "keys, role or window changed in a round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        int r;

        /* Damaged documents are logged by the store like damaged key files: not a finding. */
        log_set_max_level(0);
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        r = key_import_parse(text, size, &k, &error);
        if (r < 0) {
                fuzz_check(r > -4096, "returned %d, not a negative errno", r);
                fuzz_check(r == -ENOMEM || (error && *error), "failed (%d) without saying why", r);
                fuzz_check(!k, "failed but returned a result");
                return 0;
        }
        fuzz_check(k && k->n_entries > 0 && k->format, "success without locks");
        for (size_t i = 0; i < k->n_entries; i++) {
                const KeyImportEntry *x = k->entries + i;

                fuzz_check(
                        !!x->record != !!x->error,
                        "entry %zu: record %p, error %p",
                        i,
                        (void *) x->record,
                        (void *) x->error);
                fuzz_check(
                        memchr(x->label, '\0', sizeof(x->label)) && x->label[0], "entry %zu: bad label", i);
                if (x->record)
                        check_record(x->record);
        }
        return 0;
}
