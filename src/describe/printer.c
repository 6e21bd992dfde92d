/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>

#include "hex.h"
#include "printer.h"

void printer_init(Printer *p, FILE *f, bool json) {
        *p = (Printer) { .f = f, .json = json };
}

void printer_set_filter(Printer *p, PrinterFilter filter) {
        p->filter = filter;
}

/* A field the filter does not let through. Inside an array the key is the array's, which was. */
static bool hidden(Printer *p, const char *key) {
        return p->filter && !p->in_array[p->depth] && (!key || !p->filter(key));
}

static void printer_redacted(Printer *p, const char *key);

static void json_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (*c == '"' || *c == '\\')
                        fprintf(f, "\\%c", *c);
                else if (*c < 0x20 || *c == 0x7f)
                        fprintf(f, "\\u%04x", *c);
                else
                        fputc(*c, f);
        }
        fputc('"', f);
}

/* Emits what comes before a value: the comma and key in JSON, the indentation and key in text.
 * In text, a nested object or array puts nothing after its key's colon. */
static void prefix_full(Printer *p, const char *key, bool container) {
        if (p->json) {
                if (p->need_comma[p->depth])
                        fputc(',', p->f);
                p->need_comma[p->depth] = true;
                if (!p->in_array[p->depth] && key) {
                        json_string(p->f, key);
                        fputc(':', p->f);
                }
                return;
        }

        for (unsigned i = 1; i < p->depth; i++)
                fputs("  ", p->f);
        if (p->in_array[p->depth])
                fputs(container ? "-" : "- ", p->f);
        else if (key)
                fprintf(p->f, container ? "%s:" : "%s: ", key);
}

static void prefix(Printer *p, const char *key) {
        prefix_full(p, key, false);
}

static void push(Printer *p, bool array) {
        if (p->depth + 1 >= PRINTER_MAX_DEPTH)
                return;
        p->depth++;
        p->need_comma[p->depth] = false;
        p->in_array[p->depth] = array;
}

void printer_begin(Printer *p) {
        p->depth = 0;
        p->need_comma[0] = false;
        p->in_array[0] = false;
        if (p->json)
                fputc('{', p->f);
        push(p, false);
}

void printer_end(Printer *p) {
        p->depth = 0;
        if (p->json)
                fputc('}', p->f);
        fputc('\n', p->f);
        fflush(p->f);
}

/* A container under a hidden key: shown as one redacted value, its contents swallowed. */
static bool swallow_begin(Printer *p, const char *key) {
        if (p->swallow > 0) {
                p->swallow++;
                return true;
        }
        if (!hidden(p, key))
                return false;
        printer_redacted(p, key);
        p->swallow = 1;
        return true;
}

static bool swallow_end(Printer *p) {
        if (p->swallow == 0)
                return false;
        p->swallow--;
        return true;
}

void printer_object_begin(Printer *p, const char *key) {
        if (swallow_begin(p, key))
                return;
        prefix_full(p, key, true);
        if (p->json)
                fputc('{', p->f);
        else
                fputc('\n', p->f);
        push(p, false);
}

void printer_object_end(Printer *p) {
        if (swallow_end(p))
                return;
        if (p->depth > 1)
                p->depth--;
        if (p->json)
                fputc('}', p->f);
}

void printer_array_begin(Printer *p, const char *key) {
        if (swallow_begin(p, key))
                return;
        prefix_full(p, key, true);
        if (p->json)
                fputc('[', p->f);
        else
                fputc('\n', p->f);
        push(p, true);
}

void printer_array_end(Printer *p) {
        if (swallow_end(p))
                return;
        if (p->depth > 1)
                p->depth--;
        if (p->json)
                fputc(']', p->f);
}

static void text_end(Printer *p) {
        if (!p->json)
                fputc('\n', p->f);
}

/* Every value goes through here first: swallowed, redacted, or shown (return false). */
static bool withheld(Printer *p, const char *key) {
        if (p->swallow > 0)
                return true;
        if (!hidden(p, key))
                return false;
        printer_redacted(p, key);
        return true;
}

static void printer_redacted(Printer *p, const char *key) {
        prefix(p, key);
        if (p->json)
                json_string(p->f, PRINTER_REDACTED);
        else
                fputs(PRINTER_REDACTED, p->f);
        text_end(p);
}

void printer_uint(Printer *p, const char *key, uint64_t v) {
        if (withheld(p, key))
                return;
        prefix(p, key);
        fprintf(p->f, "%" PRIu64, v);
        text_end(p);
}

void printer_int(Printer *p, const char *key, int64_t v) {
        if (withheld(p, key))
                return;
        prefix(p, key);
        fprintf(p->f, "%" PRIi64, v);
        text_end(p);
}

void printer_bool(Printer *p, const char *key, bool v) {
        if (withheld(p, key))
                return;
        prefix(p, key);
        fputs(p->json ? (v ? "true" : "false") : (v ? "yes" : "no"), p->f);
        text_end(p);
}

void printer_string(Printer *p, const char *key, const char *s) {
        if (withheld(p, key))
                return;
        prefix(p, key);
        if (p->json)
                json_string(p->f, s);
        else
                fputs(s, p->f);
        text_end(p);
}

void printer_stringf(Printer *p, const char *key, const char *format, ...) {
        char buf[512];
        va_list ap;

        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);
        printer_string(p, key, buf);
}

void printer_hex(Printer *p, const char *key, const uint8_t *data, size_t n) {
        char buf[2 * 512 + 1];

        if (n > 512)
                n = 512; /* frames are at most 255 bytes; this only bounds a caller's mistake */
        printer_string(p, key, bytes_to_hex(data, n, buf));
}

void printer_code(Printer *p, const char *key, uint64_t v, unsigned digits) {
        if (withheld(p, key))
                return;
        prefix(p, key);
        if (p->json)
                fprintf(p->f, "%" PRIu64, v);
        else
                fprintf(p->f, "0x%0*" PRIx64, (int) digits, v);
        text_end(p);
}
