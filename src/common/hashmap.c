/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

#define INITIAL_BUCKETS 16U

typedef struct Entry Entry;
struct Entry {
        const char *key;
        void *value;
        uint64_t hash;
        Entry *next;
};

struct Hashmap {
        Entry **buckets;
        size_t n_buckets; /* a power of two */
        size_t n_entries;
};

/* FNV-1a 64: keys here are short (addresses, names) and come from our own objects, not from an
 * attacker who could choose colliding keys in bulk. */
static uint64_t hash_string(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *s; s++) {
                h ^= (uint8_t) *s;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

int hashmap_new(Hashmap **ret) {
        Hashmap *h;

        assert(ret);
        h = calloc(1, sizeof(Hashmap));
        if (!h)
                return -ENOMEM;
        h->buckets = calloc(INITIAL_BUCKETS, sizeof(Entry *));
        if (!h->buckets) {
                free(h);
                return -ENOMEM;
        }
        h->n_buckets = INITIAL_BUCKETS;
        *ret = h;
        return 0;
}

Hashmap *hashmap_free(Hashmap *h) {
        if (!h)
                return NULL;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *next; e; e = next) {
                        next = e->next;
                        free(e);
                }
        free(h->buckets);
        free(h);
        return NULL;
}

static Entry **find(const Hashmap *h, const char *key, uint64_t hash) {
        Entry **p = &h->buckets[hash & (h->n_buckets - 1)];

        for (; *p; p = &(*p)->next)
                if ((*p)->hash == hash && strcmp((*p)->key, key) == 0)
                        break;
        return p;
}

static void grow(Hashmap *h) {
        size_t n = h->n_buckets * 2;
        Entry **b;

        /* Failing to grow only makes chains longer; the map stays correct. */
        if (n < h->n_buckets)
                return;
        b = calloc(n, sizeof(Entry *));
        if (!b)
                return;
        for (size_t i = 0; i < h->n_buckets; i++)
                for (Entry *e = h->buckets[i], *next; e; e = next) {
                        next = e->next;
                        e->next = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                }
        free(h->buckets);
        h->buckets = b;
        h->n_buckets = n;
}

int hashmap_put(Hashmap *h, const char *key, void *value) {
        uint64_t hash;
        Entry **p, *e;

        assert(h);
        assert(key);
        hash = hash_string(key);
        p = find(h, key, hash);
        if (*p)
                return -EEXIST;
        e = malloc(sizeof(Entry));
        if (!e)
                return -ENOMEM;
        *e = (Entry){ .key = key, .value = value, .hash = hash };
        *p = e;
        if (++h->n_entries > h->n_buckets)
                grow(h);
        return 0;
}

void *hashmap_get(const Hashmap *h, const char *key) {
        Entry **p;

        assert(h);
        if (!key)
                return NULL;
        p = find(h, key, hash_string(key));
        return *p ? (*p)->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key) {
        Entry **p, *e;
        void *value;

        assert(h);
        if (!key)
                return NULL;
        p = find(h, key, hash_string(key));
        e = *p;
        if (!e)
                return NULL;
        *p = e->next;
        value = e->value;
        free(e);
        h->n_entries--;
        return value;
}

size_t hashmap_size(const Hashmap *h) {
        return h ? h->n_entries : 0;
}

bool hashmap_iterate(const Hashmap *h, HashmapIter *i, void **ret_value, const char **ret_key) {
        Entry *e = i->entry;

        assert(i);
        if (!h)
                return false;
        if (!e) {
                for (; i->bucket < h->n_buckets && !h->buckets[i->bucket]; i->bucket++)
                        ;
                if (i->bucket >= h->n_buckets)
                        return false;
                e = h->buckets[i->bucket];
        }
        /* The successor is noted before the entry is returned, so that removing that entry during
         * the walk is safe. */
        i->entry = e->next;
        if (!e->next)
                i->bucket++;
        if (ret_value)
                *ret_value = e->value;
        if (ret_key)
                *ret_key = e->key;
        return true;
}
