/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What `ttlockctl import` shows before it sends anything to ttlockd, and the pieces of import and
 * export that need no bus: reading the input within bounds, telling the user what it holds
 * without the keys, asking for confirmation. Unit-tested alone (tests/ctl/test-ctl-import.c).
 *
 * The lockData parser (src/proto/lockdata.h) reads the TTLock app's and the old add-on's formats;
 * a ttlockd export is the key store's own YAML, of which only the addresses and aliases are read
 * here, to show them. ttlockd parses and verifies everything again: this is only a preview. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* The same bound as ImportLocks() applies to its argument (lockdata.h TTLOCK_LOCKDATA_INPUT_MAX). */
#define IMPORT_INPUT_MAX (1024U * 1024U)
#define IMPORT_EXPORT_DEPTH_MAX 32

typedef struct ImportRow {
        char *label; /* the address, or "lock N" when it could not be read */
        char *name;  /* alias, else the advertised name; NULL = none */
        char *role;  /* "admin", "user"; NULL = not known (an export that does not say) */
        uint64_t valid_from_usec, valid_until_usec; /* 0, 0 = no limit */
        char *error;                                /* why this lock cannot be imported; NULL = fine */
} ImportRow;

typedef struct ImportSummary {
        char *format; /* "lockdata-string", "lockdata-json", "addon-json", "ttlockd-export" */
        ImportRow *rows;
        size_t n_rows;
        size_t n_ok;
} ImportSummary;

ImportSummary *import_summary_free(ImportSummary *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ImportSummary *, import_summary_free);

/* Reads all of FILE, or standard input for "-", at most IMPORT_INPUT_MAX bytes (-EFBIG beyond);
 * -EBADMSG for an empty input or one with a NUL byte. The buffer holds keys: free it with
 * import_text_free(). Errors are printed. */
int import_read_input(const char *path, FILE *stdin_file, char **ret, size_t *ret_len);
void import_text_free(char *s, size_t len);

/* What the input holds, without key material. -EINVAL with the reason in error when the input is
 * none of the formats at all. */
int import_summarize(const char *text, size_t len, ImportSummary **ret, char *error, size_t error_size);

/* "Found 2 locks in a lockData string:" and a table ADDRESS NAME ROLE VALIDITY, then one line per lock
 * that cannot be imported, with the reason. */
void import_summary_print(const ImportSummary *s, FILE *f);

/* Asks question on out and reads one line from in: 1 for y/yes (any case), 0 for anything else,
 * including end of input. */
int ask_yes_no(FILE *in, FILE *out, const char *question);
