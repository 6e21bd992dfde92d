/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Aligned tables for people, in the spirit of systemctl/boltctl listings: a header line, columns
 * padded to their widest cell (counted in terminal columns, not bytes), no trailing blanks. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

typedef struct Table Table;

/* headers: n_columns strings (copied). */
Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);
#define _cleanup_table_ _cleanup_(table_freep)

/* Numbers read better right-aligned. */
void table_set_align_right(Table *t, size_t column, bool right);
/* Leave out the header line (--no-legend). */
void table_set_header(Table *t, bool show);
/* One row of n_columns cells (copied; NULL or "" is shown as "-"). */
int table_add_row(Table *t, const char *const *cells);
size_t table_get_rows(const Table *t);
int table_print(const Table *t, FILE *f);

/* Terminal columns s takes: UTF-8 decoded, wide characters count 2 (as the locale's wcwidth()
 * says), control characters are printed as "?" and count 1. */
size_t utf8_display_width(const char *s);
