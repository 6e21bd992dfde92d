/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small tree of values — what D-Bus variants and a{sv} dictionaries hold — so that every listing
 * is read once from the bus and then rendered either as a table for people or as JSON for scripts.
 * New properties or detail keys the daemon adds show up in --json without changes here. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

typedef enum ValueType {
        VALUE_BOOL,
        VALUE_INT,  /* signed D-Bus integers */
        VALUE_UINT, /* unsigned D-Bus integers, bytes */
        VALUE_DOUBLE,
        VALUE_STRING, /* strings, object paths, signatures */
        VALUE_ARRAY,  /* arrays and structs */
        VALUE_OBJECT, /* dictionaries with string keys */
} ValueType;

typedef struct Value Value;
struct Value {
        ValueType type;
        union {
                bool b;
                int64_t i;
                uint64_t u;
                double d;
                char *s;
        };
        /* Children of arrays and objects; keys[] only for objects. */
        Value **items;
        char **keys;
        size_t n_items;
};

Value *value_new_bool(bool b);
Value *value_new_int(int64_t i);
Value *value_new_uint(uint64_t u);
Value *value_new_double(double d);
Value *value_new_string(const char *s);
Value *value_new_array(void);
Value *value_new_object(void);

Value *value_free(Value *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(Value *, value_free);
#define _cleanup_value_ _cleanup_(value_freep)

/* Take ownership of child (also on failure: it is freed). key only for objects; a repeated key
 * replaces the earlier value, as dictionaries mean. -EINVAL on a wrong container type. */
int value_array_append(Value *array, Value *child);
int value_object_set(Value *object, const char *key, Value *child);

/* Move every member of src into dst (later keys win) and free src, also on failure. */
int value_object_merge(Value *dst, Value *src);

/* NULL when absent or not an object. */
Value *value_object_get(const Value *object, const char *key);
/* Typed lookups with a default when the key is absent or of another type. */
const char *value_object_get_string(const Value *object, const char *key, const char *def);
bool value_object_get_bool(const Value *object, const char *key, bool def);
uint64_t value_object_get_uint(const Value *object, const char *key, uint64_t def);

/* Compact JSON on one line, no trailing newline. Strings are escaped as RFC 8259 requires, with
 * control characters as \uXXXX, so that every line of `monitor --json` is exactly one record. */
void value_dump_json(const Value *v, FILE *f);
void json_write_string(FILE *f, const char *s);
