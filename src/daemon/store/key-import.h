/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What Manager1.ImportLocks() accepts, turned into key records to verify: the TTLock app's lockData
 * strings, the cloud's JSON and the old add-on's lockData.json (src/proto/lockdata.h, doc/lockdata.md),
 * and ttlockd's own export (store.h). Each lock of the input becomes a LockRecord, or an error that
 * names it; nothing here talks to a lock or writes a file: the lock model verifies the records
 * (lock.h), the store saves them. No key material is ever put into an error message. */

#include <stddef.h>

#include "macro.h"
#include "store.h"

typedef struct KeyImportEntry {
        LockRecord *record;                         /* NULL when this lock cannot be imported */
        char label[STORE_ADDRESS_STRING_SIZE + 16]; /* its address when known, else "lock N" */
        char *error;                                /* why record is NULL */
} KeyImportEntry;

typedef struct KeyImport {
        const char *format; /* "lockdata-string", "lockdata-json", "addon-json", "ttlockd-export" */
        KeyImportEntry *entries;
        size_t n_entries;
} KeyImport;

KeyImport *key_import_free(KeyImport *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(KeyImport *, key_import_free);

/* Every lock of text (at most TTLOCK_LOCKDATA_INPUT_MAX bytes). A lock that cannot be read is an entry
 * with its error, so that one bad lock does not keep out the others; a lock named twice is read once,
 * the later entries saying so. Fails as a whole (-EBADMSG, -E2BIG, -EFBIG; the reason in *ret_error)
 * only when the input is none of the formats, too large, or holds no lock at all. */
int key_import_parse(const char *text, size_t len, KeyImport **ret, char **ret_error);
