/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A whole input a user hands over to import locks from — any of the formats doc/lockdata.md describes:
 * lockData strings (one per line), the cloud's JSON (one lock, an array, a {"list": …} answer, a
 * quoted string) or the old add-on's lockData.json — read into one set, lock by lock: an entry that
 * cannot be read keeps its error, so that a file with one bad lock still yields the others. On top of
 * lockdata.h and addon-lockdata.h, which read one lock each. */

#include "lockdata.h"

typedef struct TTLockDataEntry {
        TTLockData *data; /* NULL when this entry could not be read */
        char label[32];   /* its address when known, else "lock N" (1-based) */
        TTError error;    /* why data is NULL */
} TTLockDataEntry;

typedef struct TTLockDataSet {
        TTLockDataFormat format;
        TTLockDataEntry *entries;
        size_t n_entries;
} TTLockDataSet;

TTLockDataSet *ttlock_lockdata_set_free(TTLockDataSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(TTLockDataSet *, ttlock_lockdata_set_free);

/* What kind of input this looks like, from its first characters (no parsing). */
TTLockDataFormat ttlock_lockdata_detect(const char *text, size_t len);

/* Reads any of the formats above. An entry that cannot be read is kept with its error, so that a
 * file with one bad lock still yields the others; the whole call fails (negative errno, message in
 * e) only when the input as a whole is unusable: too large, not any of the formats, broken JSON, no
 * locks, or a ttlockd export (-EMEDIUMTYPE: the key store reads those). */
int ttlock_lockdata_parse(const char *text, size_t len, TTLockDataSet **ret, TTError *e);
