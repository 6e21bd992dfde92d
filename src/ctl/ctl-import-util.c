/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <libintl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "ctl-import-util.h"
#include "ctl-table.h"
#include "ctl-util.h"
#include "lockdata-set.h"

#define _(s) gettext(s)

static void row_done(ImportRow *r) {
        free(r->label);
        free(r->name);
        free(r->role);
        free(r->error);
}

ImportSummary *import_summary_free(ImportSummary *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_rows; i++)
                row_done(&s->rows[i]);
        free(s->rows);
        free(s->format);
        free(s);
        return NULL;
}

void import_text_free(char *s, size_t len) {
        if (!s)
                return;
        erase_memory(s, len);
        free(s);
}

int import_read_input(const char *path, FILE *stdin_file, char **ret, size_t *ret_len) {
        FILE *f = NULL;
        char *buf;
        size_t n = 0;
        bool is_stdin = strcmp(path, "-") == 0;

        buf = malloc(IMPORT_INPUT_MAX + 1);
        if (!buf)
                return -ENOMEM;
        f = is_stdin ? stdin_file : fopen(path, "re");
        if (!f) {
                int r = -errno;

                fprintf(stderr, "ttlockctl: %s: %s\n", path, strerror(-r));
                free(buf);
                return r;
        }
        /* One byte more than allowed, to tell "exactly the bound" from "too large". */
        while (n < IMPORT_INPUT_MAX + 1) {
                size_t k = fread(buf + n, 1, IMPORT_INPUT_MAX + 1 - n, f);

                if (k == 0)
                        break;
                n += k;
        }
        if (ferror(f)) {
                fprintf(stderr, _("ttlockctl: cannot read %s.\n"), is_stdin ? _("standard input") : path);
                if (!is_stdin)
                        fclose(f);
                import_text_free(buf, n);
                return -EIO;
        }
        if (!is_stdin)
                fclose(f);
        if (n > IMPORT_INPUT_MAX) {
                fprintf(stderr,
                        _("ttlockctl: %s is larger than %u bytes: not lock keys.\n"),
                        is_stdin ? _("standard input") : path,
                        IMPORT_INPUT_MAX);
                import_text_free(buf, n);
                return -EFBIG;
        }
        if (n == 0 || memchr(buf, 0, n)) {
                fprintf(stderr,
                        _("ttlockctl: %s is %s.\n"),
                        is_stdin ? _("standard input") : path,
                        n == 0 ? _("empty") : _("not text"));
                import_text_free(buf, n);
                return -EBADMSG;
        }
        buf[n] = 0;
        *ret = buf;
        *ret_len = n;
        return 0;
}

static int add_row(ImportSummary *s, ImportRow **ret) {
        ImportRow *n = reallocarray(s->rows, s->n_rows + 1, sizeof(ImportRow));

        if (!n)
                return -ENOMEM;
        s->rows = n;
        s->rows[s->n_rows] = (ImportRow){};
        *ret = &s->rows[s->n_rows++];
        return 0;
}

static int dup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int summarize_lockdata(const TTLockDataSet *set, ImportSummary *s) {
        for (size_t i = 0; i < set->n_entries; i++) {
                const TTLockDataEntry *e = &set->entries[i];
                ImportRow *row;
                int r;

                r = add_row(s, &row);
                if (r < 0)
                        return r;
                if (dup_or_null(e->label, &row->label) < 0)
                        return -ENOMEM;
                if (!e->data) {
                        if (dup_or_null(tt_error_message(&e->error), &row->error) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (dup_or_null(e->data->alias ?: e->data->name, &row->name) < 0 ||
                    dup_or_null(ttlock_lockdata_role_to_string(e->data->role), &row->role) < 0)
                        return -ENOMEM;
                row->valid_from_usec = e->data->start_usec;
                row->valid_until_usec = e->data->end_usec;
                s->n_ok++;
        }
        return 0;
}

/* An export is the key store's YAML, in whatever layout ttlockd gives it: any mapping with an
 * "address" that is a lock address is one lock. Read event by event, with a bound on nesting, so
 * that no input can make libyaml recurse deeply or build a large tree. Only address, alias and role
 * are kept; the keys are not looked at. */
typedef struct ExportScan {
        ImportSummary *s;
        unsigned depth;
        /* The mapping being read at each depth: is the next scalar a key, which key was it. */
        bool is_mapping[IMPORT_EXPORT_DEPTH_MAX + 1];
        bool expect_key[IMPORT_EXPORT_DEPTH_MAX + 1];
        char *key[IMPORT_EXPORT_DEPTH_MAX + 1];
        char *address[IMPORT_EXPORT_DEPTH_MAX + 1];
        char *alias[IMPORT_EXPORT_DEPTH_MAX + 1];
        char *role[IMPORT_EXPORT_DEPTH_MAX + 1];
        char *from[IMPORT_EXPORT_DEPTH_MAX + 1]; /* an eKey's window, µs since the epoch */
        char *until[IMPORT_EXPORT_DEPTH_MAX + 1];
} ExportScan;

static void scan_clear(ExportScan *x, unsigned d) {
        x->key[d] = mfree(x->key[d]);
        x->address[d] = mfree(x->address[d]);
        x->alias[d] = mfree(x->alias[d]);
        x->role[d] = mfree(x->role[d]);
        x->from[d] = mfree(x->from[d]);
        x->until[d] = mfree(x->until[d]);
}

/* A value (scalar or container) was read in the container at depth d. */
static void scan_value_done(ExportScan *x, unsigned d) {
        if (d > 0 && x->is_mapping[d]) {
                x->expect_key[d] = true;
                x->key[d] = mfree(x->key[d]);
        }
}

static int scan_scalar(ExportScan *x, const char *value) {
        unsigned d = x->depth;
        char **slot = NULL;

        if (d == 0 || !x->is_mapping[d])
                return 0;
        if (x->expect_key[d]) {
                free(x->key[d]);
                x->key[d] = strdup(value);
                if (!x->key[d])
                        return -ENOMEM;
                x->expect_key[d] = false;
                return 0;
        }
        if (x->key[d]) {
                if (strcmp(x->key[d], "address") == 0)
                        slot = &x->address[d];
                else if (strcmp(x->key[d], "alias") == 0)
                        slot = &x->alias[d];
                else if (strcmp(x->key[d], "role") == 0)
                        slot = &x->role[d];
                else if (strcmp(x->key[d], "valid-from-usec") == 0)
                        slot = &x->from[d];
                else if (strcmp(x->key[d], "valid-until-usec") == 0)
                        slot = &x->until[d];
        }
        if (slot && strlen(value) <= 256) {
                free(*slot);
                *slot = strdup(value);
                if (!*slot)
                        return -ENOMEM;
        }
        scan_value_done(x, d);
        return 0;
}

static int scan_mapping_end(ExportScan *x) {
        unsigned d = x->depth;
        char address[BT_ADDRESS_SIZE];
        ImportRow *row;
        int r;

        if (x->address[d] && bt_address_normalize(x->address[d], address) >= 0) {
                r = add_row(x->s, &row);
                if (r < 0)
                        return r;
                row->label = strdup(address);
                if (!row->label || dup_or_null(x->alias[d], &row->name) < 0 ||
                    dup_or_null(x->role[d], &row->role) < 0)
                        return -ENOMEM;
                /* Digits only, as the key store writes them; anything else shows as no limit. */
                if (x->from[d] && strspn(x->from[d], "0123456789") == strlen(x->from[d]))
                        row->valid_from_usec = strtoull(x->from[d], NULL, 10);
                if (x->until[d] && strspn(x->until[d], "0123456789") == strlen(x->until[d]))
                        row->valid_until_usec = strtoull(x->until[d], NULL, 10);
                x->s->n_ok++;
        }
        return 0;
}

static int summarize_export(const char *text, size_t len, ImportSummary *s, char *error, size_t error_size) {
        ExportScan x = { .s = s };
        yaml_parser_t parser;
        bool done = false;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);

        while (!done && r >= 0) {
                yaml_event_t event;

                if (!yaml_parser_parse(&parser, &event)) {
                        (void) snprintf(
                                error,
                                error_size,
                                _("not valid YAML (line %zu: %s)"),
                                parser.problem_mark.line + 1,
                                parser.problem ?: "?");
                        r = -EINVAL;
                        break;
                }
                switch (event.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        if (x.depth >= IMPORT_EXPORT_DEPTH_MAX) {
                                (void) snprintf(
                                        error,
                                        error_size,
                                        _("nested deeper than %d levels"),
                                        IMPORT_EXPORT_DEPTH_MAX);
                                r = -EINVAL;
                                break;
                        }
                        x.depth++;
                        scan_clear(&x, x.depth);
                        x.is_mapping[x.depth] = event.type == YAML_MAPPING_START_EVENT;
                        x.expect_key[x.depth] = true;
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        if (event.type == YAML_MAPPING_END_EVENT)
                                r = scan_mapping_end(&x);
                        scan_clear(&x, x.depth);
                        if (x.depth > 0)
                                x.depth--;
                        scan_value_done(&x, x.depth);
                        break;
                case YAML_SCALAR_EVENT:
                        r = scan_scalar(&x, (const char *) event.data.scalar.value);
                        break;
                case YAML_ALIAS_EVENT:
                        scan_value_done(&x, x.depth);
                        break;
                default:
                        break;
                }
                yaml_event_delete(&event);
        }
        for (unsigned d = 0; d <= IMPORT_EXPORT_DEPTH_MAX; d++)
                scan_clear(&x, d);
        yaml_parser_delete(&parser);
        if (r >= 0 && s->n_rows == 0) {
                (void) snprintf(error, error_size, _("no lock (no \"address\") in the ttlockd export"));
                r = -EINVAL;
        }
        return r;
}

int import_summarize(const char *text, size_t len, ImportSummary **ret, char *error, size_t error_size) {
        _cleanup_(import_summary_freep) ImportSummary *s = NULL;
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *set = NULL;
        TTError e = {};
        int r;

        s = calloc(1, sizeof(ImportSummary));
        if (!s)
                return -ENOMEM;

        if (ttlock_lockdata_detect(text, len) == TTLOCK_LOCKDATA_FORMAT_EXPORT) {
                s->format = strdup(ttlock_lockdata_format_to_string(TTLOCK_LOCKDATA_FORMAT_EXPORT));
                if (!s->format)
                        return -ENOMEM;
                r = summarize_export(text, len, s, error, error_size);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(s);
                return 0;
        }

        r = ttlock_lockdata_parse(text, len, &set, &e);
        if (r < 0) {
                (void) snprintf(error, error_size, "%s", tt_error_message(&e));
                return r == -ENOMEM ? r : -EINVAL;
        }
        s->format = strdup(ttlock_lockdata_format_to_string(set->format));
        if (!s->format)
                return -ENOMEM;
        r = summarize_lockdata(set, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

static const char *format_description(const char *format) {
        if (strcmp(format, "lockdata-string") == 0)
                return _("TTLock lockData");
        if (strcmp(format, "lockdata-json") == 0)
                return _("TTLock cloud JSON");
        if (strcmp(format, "addon-json") == 0)
                return _("the Home Assistant add-on's lockData.json");
        if (strcmp(format, "ttlockd-export") == 0)
                return _("a ttlockd export");
        return format;
}

void import_summary_print(const ImportSummary *s, FILE *f) {
        static const char *const headers[] = { "ADDRESS", "NAME", "ROLE", "VALIDITY" };
        _cleanup_table_ Table *t = table_new(ELEMENTSOF(headers), headers);

        fprintf(f,
                ngettext("Found %zu lock in %s", "Found %zu locks in %s", s->n_rows),
                s->n_rows,
                format_description(s->format));
        fputs(s->n_ok == s->n_rows ? ":\n" : "", f);
        if (s->n_ok != s->n_rows)
                fprintf(f, _(", %zu of them readable:\n"), s->n_ok);
        for (size_t i = 0; t && i < s->n_rows; i++) {
                const ImportRow *row = &s->rows[i];
                char validity[80], from[32], until[32];

                if (row->error)
                        continue;
                if (row->valid_from_usec == 0 && row->valid_until_usec == 0)
                        snprintf(validity, sizeof(validity), "%s", row->role ? _("permanent") : "-");
                else
                        snprintf(
                                validity,
                                sizeof(validity),
                                "%s – %s",
                                format_timestamp(row->valid_from_usec, false, from, sizeof(from)),
                                format_timestamp(row->valid_until_usec, false, until, sizeof(until)));
                (void) table_add_row(t, (const char *const[]){ row->label, row->name, row->role, validity });
        }
        if (t && table_get_rows(t) > 0)
                (void) table_print(t, f);
        for (size_t i = 0; i < s->n_rows; i++)
                if (s->rows[i].error)
                        fprintf(f, _("%s: cannot be imported: %s\n"), s->rows[i].label, s->rows[i].error);
}

int ask_yes_no(FILE *in, FILE *out, const char *question) {
        char line[64];

        fprintf(out, "%s [y/N] ", question);
        fflush(out);
        if (!fgets(line, sizeof(line), in)) {
                fputc('\n', out);
                return 0;
        }
        line[strcspn(line, "\r\n")] = 0;
        return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}
