/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A string-keyed hash map, after systemd's Hashmap with string_hash_ops: the map does not own its
 * keys or values; a key must stay valid (and unchanged) while its entry is in the map — typically it
 * lives inside the value, like a lock's address inside the lock. Lookups, inserts and removals are
 * O(1) on average; the table doubles when it holds more entries than buckets. Iteration order is
 * unspecified. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct Hashmap Hashmap;

typedef struct HashmapIter {
        size_t bucket;
        void *entry;
} HashmapIter;
#define HASHMAP_ITER_FIRST ((HashmapIter){})

int hashmap_new(Hashmap **ret);
Hashmap *hashmap_free(Hashmap *h); /* frees the map only */
DEFINE_TRIVIAL_CLEANUP_FUNC(Hashmap *, hashmap_free);

/* -EEXIST when the key is present already (nothing changed), -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
void *hashmap_get(const Hashmap *h, const char *key);
/* The removed value, or NULL when the key was not there. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);

/* for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(h, &i, &value, &key);) …
 * The map must not change during the walk (removing the entry just returned is allowed). */
bool hashmap_iterate(const Hashmap *h, HashmapIter *i, void **ret_value, const char **ret_key);
