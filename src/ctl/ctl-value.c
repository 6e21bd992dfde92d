/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-value.h"

static Value *value_new(ValueType type) {
        Value *v = calloc(1, sizeof(Value));

        if (v)
                v->type = type;
        return v;
}

Value *value_new_bool(bool b) {
        Value *v = value_new(VALUE_BOOL);

        if (v)
                v->b = b;
        return v;
}

Value *value_new_int(int64_t i) {
        Value *v = value_new(VALUE_INT);

        if (v)
                v->i = i;
        return v;
}

Value *value_new_uint(uint64_t u) {
        Value *v = value_new(VALUE_UINT);

        if (v)
                v->u = u;
        return v;
}

Value *value_new_double(double d) {
        Value *v = value_new(VALUE_DOUBLE);

        if (v)
                v->d = d;
        return v;
}

Value *value_new_string(const char *s) {
        Value *v;

        v = value_new(VALUE_STRING);
        if (!v)
                return NULL;
        v->s = strdup(s ?: "");
        if (!v->s)
                return mfree(v);
        return v;
}

Value *value_new_array(void) {
        return value_new(VALUE_ARRAY);
}

Value *value_new_object(void) {
        return value_new(VALUE_OBJECT);
}

Value *value_free(Value *v) {
        if (!v)
                return NULL;
        if (v->type == VALUE_STRING)
                free(v->s);
        for (size_t i = 0; i < v->n_items; i++) {
                value_free(v->items[i]);
                if (v->keys)
                        free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        return mfree(v);
}

static int value_grow(Value *v) {
        Value **items;

        items = realloc(v->items, (v->n_items + 1) * sizeof(Value *));
        if (!items)
                return -ENOMEM;
        v->items = items;

        if (v->type == VALUE_OBJECT) {
                char **keys = realloc(v->keys, (v->n_items + 1) * sizeof(char *));
                if (!keys)
                        return -ENOMEM;
                v->keys = keys;
        }
        return 0;
}

int value_array_append(Value *array, Value *child) {
        int r;

        /* A NULL child is what a failed value_new_*() returned. */
        if (!child)
                return -ENOMEM;
        if (!array || array->type != VALUE_ARRAY) {
                value_free(child);
                return -EINVAL;
        }
        r = value_grow(array);
        if (r < 0) {
                value_free(child);
                return r;
        }
        array->items[array->n_items++] = child;
        return 0;
}

int value_object_set(Value *object, const char *key, Value *child) {
        char *k;
        int r;

        if (!child)
                return -ENOMEM;
        if (!object || !key || object->type != VALUE_OBJECT) {
                value_free(child);
                return -EINVAL;
        }
        for (size_t i = 0; i < object->n_items; i++)
                if (strcmp(object->keys[i], key) == 0) {
                        value_free(object->items[i]);
                        object->items[i] = child;
                        return 0;
                }

        k = strdup(key);
        if (!k) {
                value_free(child);
                return -ENOMEM;
        }
        r = value_grow(object);
        if (r < 0) {
                free(k);
                value_free(child);
                return r;
        }
        object->keys[object->n_items] = k;
        object->items[object->n_items++] = child;
        return 0;
}

int value_object_merge(Value *dst, Value *src) {
        int r = 0;

        if (!dst || !src || dst->type != VALUE_OBJECT || src->type != VALUE_OBJECT) {
                value_free(src);
                return -EINVAL;
        }
        for (size_t i = 0; i < src->n_items; i++) {
                Value *child = src->items[i];

                src->items[i] = NULL;
                if (r >= 0)
                        r = value_object_set(dst, src->keys[i], child);
                else
                        value_free(child);
        }
        value_free(src);
        return r;
}

Value *value_object_get(const Value *object, const char *key) {
        if (!object || object->type != VALUE_OBJECT)
                return NULL;
        for (size_t i = 0; i < object->n_items; i++)
                if (strcmp(object->keys[i], key) == 0)
                        return object->items[i];
        return NULL;
}

const char *value_object_get_string(const Value *object, const char *key, const char *def) {
        Value *v = value_object_get(object, key);

        return v && v->type == VALUE_STRING ? v->s : def;
}

bool value_object_get_bool(const Value *object, const char *key, bool def) {
        Value *v = value_object_get(object, key);

        return v && v->type == VALUE_BOOL ? v->b : def;
}

uint64_t value_object_get_uint(const Value *object, const char *key, uint64_t def) {
        Value *v = value_object_get(object, key);

        if (!v)
                return def;
        if (v->type == VALUE_UINT)
                return v->u;
        if (v->type == VALUE_INT && v->i >= 0)
                return (uint64_t) v->i;
        return def;
}

void json_write_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) (s ?: ""); *p; p++)
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                case '\b':
                        fputs("\\b", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                default:
                        /* D-Bus strings are valid UTF-8 already; only the C0 controls and DEL need
                         * escaping to keep the output one line and safe on a terminal. */
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        fputc('"', f);
}

void value_dump_json(const Value *v, FILE *f) {
        if (!v) {
                fputs("null", f);
                return;
        }
        switch (v->type) {
        case VALUE_BOOL:
                fputs(v->b ? "true" : "false", f);
                break;
        case VALUE_INT:
                fprintf(f, "%" PRId64, v->i);
                break;
        case VALUE_UINT:
                fprintf(f, "%" PRIu64, v->u);
                break;
        case VALUE_DOUBLE:
                /* JSON has no NaN or infinities. */
                if (isfinite(v->d))
                        fprintf(f, "%.17g", v->d);
                else
                        fputs("null", f);
                break;
        case VALUE_STRING:
                json_write_string(f, v->s);
                break;
        case VALUE_ARRAY:
                fputc('[', f);
                for (size_t i = 0; i < v->n_items; i++) {
                        if (i > 0)
                                fputc(',', f);
                        value_dump_json(v->items[i], f);
                }
                fputc(']', f);
                break;
        case VALUE_OBJECT:
                fputc('{', f);
                for (size_t i = 0; i < v->n_items; i++) {
                        if (i > 0)
                                fputc(',', f);
                        json_write_string(f, v->keys[i]);
                        fputc(':', f);
                        value_dump_json(v->items[i], f);
                }
                fputc('}', f);
                break;
        }
}
