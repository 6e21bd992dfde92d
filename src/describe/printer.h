/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One output model, two renderings: ttlock-decode describes what it decoded as nested key/value
 * objects, printed either for people (indented "key: value" lines, in the spirit of btmon) or as
 * one compact JSON object per input (--json), so that both stay in step by construction. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define PRINTER_MAX_DEPTH 16
#define PRINTER_REDACTED "(redacted)"

/* Whether a field may be shown as it is (printer_set_filter()). */
typedef bool (*PrinterFilter)(const char *key);

typedef struct Printer {
        FILE *f;
        bool json;
        unsigned depth;
        bool need_comma[PRINTER_MAX_DEPTH];
        bool in_array[PRINTER_MAX_DEPTH];
        PrinterFilter filter;
        unsigned swallow; /* > 0: inside a container that is redacted whole (its nesting depth) */
} Printer;

void printer_init(Printer *p, FILE *f, bool json);
/* Default deny: a field whose key filter() does not accept shows PRINTER_REDACTED instead of its value,
 * and an object or array under such a key shows PRINTER_REDACTED instead of its contents. The items of
 * an array that was let through are judged by their own keys (objects) or let through (values). NULL
 * (the default) shows everything. */
void printer_set_filter(Printer *p, PrinterFilter filter);

/* A top-level record: one JSON object on one line, or a block of text for people. */
void printer_begin(Printer *p);
void printer_end(Printer *p);

/* key is ignored inside arrays. */
void printer_object_begin(Printer *p, const char *key);
void printer_object_end(Printer *p);
void printer_array_begin(Printer *p, const char *key);
void printer_array_end(Printer *p);

void printer_uint(Printer *p, const char *key, uint64_t v);
void printer_int(Printer *p, const char *key, int64_t v);
void printer_bool(Printer *p, const char *key, bool v);
void printer_string(Printer *p, const char *key, const char *s);
void printer_stringf(Printer *p, const char *key, const char *format, ...) _printf_(3, 4);
void printer_hex(Printer *p, const char *key, const uint8_t *data, size_t n);
/* A number shown as hex for people ("0x54") and as a plain number in JSON. */
void printer_code(Printer *p, const char *key, uint64_t v, unsigned digits);
