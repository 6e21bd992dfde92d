/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ctl-table.h"

struct Table {
        size_t n_columns;
        char **headers;
        bool *right;
        bool show_header;
        char ***rows;
        size_t n_rows;
};

/* Decode one UTF-8 sequence; invalid bytes come back as one code point U+FFFD of length 1. */
static size_t utf8_next(const unsigned char *p, uint32_t *ret) {
        size_t n;
        uint32_t c;

        if (p[0] < 0x80) {
                *ret = p[0];
                return 1;
        }
        if ((p[0] & 0xe0) == 0xc0) {
                n = 2;
                c = p[0] & 0x1f;
        } else if ((p[0] & 0xf0) == 0xe0) {
                n = 3;
                c = p[0] & 0x0f;
        } else if ((p[0] & 0xf8) == 0xf0) {
                n = 4;
                c = p[0] & 0x07;
        } else {
                *ret = 0xfffd;
                return 1;
        }
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80) {
                        *ret = 0xfffd;
                        return 1;
                }
                c = (c << 6) | (p[i] & 0x3f);
        }
        *ret = c;
        return n;
}

static bool is_control(uint32_t c) {
        return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

static size_t char_width(uint32_t c) {
        int w;

        if (is_control(c))
                return 1; /* printed as "?" */
        w = wcwidth((wchar_t) c);
        return w < 0 ? 1 : (size_t) w;
}

size_t utf8_display_width(const char *s) {
        const unsigned char *p = (const unsigned char *) (s ?: "");
        size_t w = 0;

        while (*p) {
                uint32_t c;

                p += utf8_next(p, &c);
                w += char_width(c);
        }
        return w;
}

/* Aliases come from whoever had [manage] rights: never let them move the cursor or change colours
 * on the reader's terminal. */
static void print_sanitized(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                uint32_t c;
                size_t n = utf8_next(p, &c);

                if (is_control(c))
                        fputc('?', f);
                else
                        fwrite(p, 1, n, f);
                p += n;
        }
}

static char **strv_copy_cells(size_t n, const char *const *cells) {
        char **v = calloc(n, sizeof(char *));

        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                v[i] = strdup(cells[i] && *cells[i] ? cells[i] : "-");
                if (!v[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(v[j]);
                        return mfree(v);
                }
        }
        return v;
}

static void cells_free(char **v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t;

        if (n_columns == 0)
                return NULL;
        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->show_header = true;
        t->headers = strv_copy_cells(n_columns, headers);
        t->right = calloc(n_columns, sizeof(bool));
        if (!t->headers || !t->right)
                return table_free(t);
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        cells_free(t->headers, t->n_columns);
        for (size_t i = 0; i < t->n_rows; i++)
                cells_free(t->rows[i], t->n_columns);
        free(t->rows);
        free(t->right);
        return mfree(t);
}

void table_set_align_right(Table *t, size_t column, bool right) {
        if (column < t->n_columns)
                t->right[column] = right;
}

void table_set_header(Table *t, bool show) {
        t->show_header = show;
}

int table_add_row(Table *t, const char *const *cells) {
        char ***rows, **row;

        row = strv_copy_cells(t->n_columns, cells);
        if (!row)
                return -ENOMEM;
        rows = realloc(t->rows, (t->n_rows + 1) * sizeof(char **));
        if (!rows) {
                cells_free(row, t->n_columns);
                return -ENOMEM;
        }
        t->rows = rows;
        t->rows[t->n_rows++] = row;
        return 0;
}

size_t table_get_rows(const Table *t) {
        return t->n_rows;
}

static void print_row(const Table *t, char *const *cells, const size_t *widths, FILE *f) {
        for (size_t c = 0; c < t->n_columns; c++) {
                size_t w = utf8_display_width(cells[c]);
                bool last = c + 1 == t->n_columns;

                if (c > 0)
                        fputs("  ", f);
                if (t->right[c])
                        for (size_t i = w; i < widths[c]; i++)
                                fputc(' ', f);
                print_sanitized(f, cells[c]);
                if (!t->right[c] && !last)
                        for (size_t i = w; i < widths[c]; i++)
                                fputc(' ', f);
        }
        fputc('\n', f);
}

int table_print(const Table *t, FILE *f) {
        _cleanup_free_ size_t *widths = NULL;

        widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;
        for (size_t c = 0; c < t->n_columns; c++) {
                if (t->show_header)
                        widths[c] = utf8_display_width(t->headers[c]);
                for (size_t r = 0; r < t->n_rows; r++)
                        widths[c] = MAX(widths[c], utf8_display_width(t->rows[r][c]));
        }
        if (t->show_header)
                print_row(t, t->headers, widths, f);
        for (size_t r = 0; r < t->n_rows; r++)
                print_row(t, t->rows[r], widths, f);
        return ferror(f) ? -EIO : 0;
}
