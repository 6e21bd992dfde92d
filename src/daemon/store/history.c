/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "history.h"
#include "log.h"
#include "store.h"

#define HISTORY_NAME_SIZE (17 + sizeof(".history"))

struct History {
        int dir_fd; /* our own dup */
        char name[HISTORY_NAME_SIZE];
        int fd; /* O_APPEND */
        size_t max_records;
        uint64_t *ids; /* identities of the records in the file, in file order */
        size_t n_ids;
        size_t allocated;
        size_t skipped;
};

/* ---------------------------------------------------------------------------------------------- */

void history_record_done(HistoryRecord *r) {
        assert(r);

        if (!r)
                return;
        free(r->kind);
        free(r->method);
        free(r->credential);
        free(r->alias);
        *r = (HistoryRecord){};
}

void history_records_free(HistoryRecord *records, size_t n) {
        for (size_t i = 0; i < n; i++)
                history_record_done(records + i);
        free(records);
}

static uint64_t fnv64(uint64_t h, const void *data, size_t len) {
        const uint8_t *p = data;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

uint64_t history_record_identity(uint32_t sequence, const uint8_t *raw, size_t len) {
        uint8_t seq[4] = {
                sequence & 0xFF, (sequence >> 8) & 0xFF, (sequence >> 16) & 0xFF, sequence >> 24
        };
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        h = fnv64(h, seq, sizeof(seq));
        return fnv64(h, raw, len);
}

static uint32_t fnv32(const char *data, size_t len) {
        uint32_t h = UINT32_C(0x811c9dc5);

        for (size_t i = 0; i < len; i++) {
                h ^= (uint8_t) data[i];
                h *= UINT32_C(0x01000193);
        }
        return h;
}

static bool needs_escape(unsigned char c) {
        return c <= 0x20 || c == 0x7F || c == '%';
}

static void put_escaped(FILE *f, const char *s) {
        if (!s || !*s) {
                fputc('-', f);
                return;
        }
        if (strcmp(s, "-") == 0) { /* "-" alone means empty */
                fputs("%2D", f);
                return;
        }
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (needs_escape(*p))
                        fprintf(f, "%%%02X", *p);
                else
                        fputc(*p, f);
}

static int unhex1(char c) {
        return c >= '0' && c <= '9'    ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
}

static int unescape(const char *s, char **ret) {
        char *out, *o;

        if (strcmp(s, "-") == 0)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        out = o = malloc(strlen(s) + 1);
        if (!out)
                return -ENOMEM;
        for (const char *p = s; *p; p++) {
                if (*p == '%') {
                        int a = unhex1(p[1]), b = a >= 0 ? unhex1(p[2]) : -1;
                        if (b < 0 || (a == 0 && b == 0)) {
                                free(out);
                                return -EBADMSG;
                        }
                        *o++ = (char) (a << 4 | b);
                        p += 2;
                } else
                        *o++ = *p;
        }
        *o = 0;
        if ((size_t) (o - out) > HISTORY_STRING_MAX) {
                free(out);
                return -EBADMSG;
        }
        *ret = out;
        return 0;
}

static bool all_digits(const char *s) {
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

/* One line including its '\n'; caller frees. */
static int format_line(const HistoryRecord *r, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "%" PRIu64 " %016" PRIx64 " %" PRIu32 " ", r->time_usec, r->identity, r->record_type);
        if (r->battery >= 0)
                fprintf(f, "%d ", r->battery);
        else
                fputs("- ", f);
        put_escaped(f, r->kind);
        fputc(' ', f);
        put_escaped(f, r->method);
        fputc(' ', f);
        /* §4.3 tails carry the typed passcode; the operations code maps it to an alias, and this is
         * the last line of defence should it not. */
        put_escaped(
                f,
                r->method && strcmp(r->method, "passcode") == 0 && all_digits(r->credential)
                        ? ""
                        : r->credential);
        fputc(' ', f);
        put_escaped(f, r->alias);
        if (fflush(f) != 0) {
                fclose(f);
                return -ENOMEM;
        }
        fprintf(f, " %08" PRIx32 "\n", fnv32(buf, size));
        if (fclose(f) != 0)
                return -ENOMEM;
        if (size > HISTORY_LINE_MAX)
                return -EINVAL;
        *ret_len = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Parse one line without its '\n'. -EBADMSG for anything not exactly as format_line() writes it. */
static int parse_line(const char *line, HistoryRecord *ret) {
        _cleanup_free_ char *copy = NULL;
        HistoryRecord r = { .battery = -1 };
        char *fields[9], *save = NULL, *end;
        const char *sp;
        unsigned long long v;
        size_t n = 0, len = strlen(line);
        int q;

        /* The check covers everything before the last space. */
        sp = strrchr(line, ' ');
        if (!sp || strlen(sp + 1) != 8 || strspn(sp + 1, "0123456789abcdef") != 8)
                return -EBADMSG;
        if (strtoul(sp + 1, NULL, 16) != fnv32(line, (size_t) (sp - line)))
                return -EBADMSG;
        if (len > HISTORY_LINE_MAX)
                return -EBADMSG;

        copy = strdup(line);
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                if (n >= ELEMENTSOF(fields))
                        return -EBADMSG;
                fields[n++] = t;
        }
        if (n != ELEMENTSOF(fields))
                return -EBADMSG;

        if (!isdigit((unsigned char) fields[0][0]))
                return -EBADMSG;
        errno = 0;
        v = strtoull(fields[0], &end, 10);
        if (errno || *end)
                return -EBADMSG;
        r.time_usec = v;
        if (strlen(fields[1]) != 16 || strspn(fields[1], "0123456789abcdef") != 16)
                return -EBADMSG;
        r.identity = strtoull(fields[1], NULL, 16);
        if (!isdigit((unsigned char) fields[2][0]))
                return -EBADMSG;
        v = strtoull(fields[2], &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return -EBADMSG;
        r.record_type = (uint32_t) v;
        if (strcmp(fields[3], "-") != 0) {
                if (!isdigit((unsigned char) fields[3][0]))
                        return -EBADMSG;
                v = strtoull(fields[3], &end, 10);
                if (errno || *end || v > 100)
                        return -EBADMSG;
                r.battery = (int) v;
        }
        q = unescape(fields[4], &r.kind);
        if (q >= 0)
                q = unescape(fields[5], &r.method);
        if (q >= 0)
                q = unescape(fields[6], &r.credential);
        if (q >= 0)
                q = unescape(fields[7], &r.alias);
        if (q >= 0 && !*r.kind)
                q = -EBADMSG;
        if (q < 0) {
                history_record_done(&r);
                return q;
        }
        *ret = r;
        return 0;
}

static int history_file_name(const char *address, char ret[static HISTORY_NAME_SIZE]) {
        char name[STORE_FILE_NAME_SIZE];
        int r;

        r = store_file_name(address, name);
        if (r < 0)
                return r;
        memcpy(ret, name, 17);
        memcpy(ret + 17, ".history", sizeof(".history"));
        return 0;
}

/* ---------------------------------------------------------------------------------------------- */

typedef int (*line_callback)(const char *line, const HistoryRecord *r, void *userdata);

/* Read the archive through fd (from offset 0), calling cb for every valid record.
 * *ret_good_end = offset after the last '\n'; *ret_header_ok = whether line 1 is our header;
 * *ret_skipped = complete lines that failed to parse. */
static int
scan(int fd,
     line_callback cb,
     void *userdata,
     off_t *ret_good_end,
     bool *ret_header_ok,
     size_t *ret_skipped) {
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0, skipped = 0;
        off_t good_end = 0;
        bool first = true, header_ok = false;
        ssize_t n;
        FILE *f;
        int dfd, r = 0;

        dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return -errno;
        f = fdopen(dfd, "re");
        if (!f) {
                (void) close(dfd);
                return -errno;
        }
        /* A dup shares the offset with fd; O_APPEND writers do not care where it points. */
        if (fseeko(f, 0, SEEK_SET) < 0) {
                fclose(f);
                return -errno;
        }

        while ((n = getline(&line, &allocated, f)) > 0) {
                HistoryRecord rec;

                if (line[n - 1] != '\n')
                        break; /* torn: a crash interrupted this append */
                good_end += n;
                line[n - 1] = 0;
                if (first) {
                        first = false;
                        header_ok = strcmp(line, HISTORY_FORMAT_HEADER) == 0;
                        if (!header_ok)
                                break;
                        continue;
                }
                if ((size_t) n - 1 != strlen(line) || parse_line(line, &rec) < 0) {
                        skipped++;
                        continue;
                }
                r = cb ? cb(line, &rec, userdata) : 0;
                history_record_done(&rec);
                if (r < 0)
                        break;
        }
        if (r >= 0 && ferror(f))
                r = -EIO;
        fclose(f);
        if (r < 0)
                return r;
        *ret_good_end = good_end;
        *ret_header_ok = header_ok;
        *ret_skipped = skipped;
        return 0;
}

static int ids_add(History *h, uint64_t id) {
        if (h->n_ids >= h->allocated) {
                size_t n = MAX(64U, h->allocated * 2);
                uint64_t *ids = realloc(h->ids, n * sizeof(*ids));
                if (!ids)
                        return -ENOMEM;
                h->ids = ids;
                h->allocated = n;
        }
        h->ids[h->n_ids++] = id;
        return 0;
}

static int collect_id(const char *line, const HistoryRecord *r, void *userdata) {
        return ids_add(userdata, r->identity);
}

static int open_append(History *h) {
        int fd;

        fd = openat(h->dir_fd, h->name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0600) < 0) {
                int r = -errno;
                (void) close(fd);
                return r;
        }
        if (h->fd >= 0)
                (void) close(h->fd);
        h->fd = fd;
        return 0;
}

/* Read the file: ids, torn tail cut off, a foreign file moved aside, the header written if new. */
static int load(History *h) {
        struct stat st;
        off_t good_end;
        bool header_ok;
        int r;

        r = open_append(h);
        if (r < 0)
                return r;
        h->n_ids = 0;
        r = scan(h->fd, collect_id, h, &good_end, &header_ok, &h->skipped);
        if (r < 0)
                return r;
        if (fstat(h->fd, &st) < 0)
                return -errno;

        if (!header_ok && good_end > 0) {
                _cleanup_free_ char *aside = NULL;

                r = move_aside_broken_at(h->dir_fd, h->name, &aside);
                if (r < 0)
                        return log_error_errno(
                                r,
                                "History file %s is not in format 1 and cannot be moved aside: %m",
                                h->name);
                log_error(
                        "History file %s is not in format 1; moved aside to %s, starting a new one.",
                        h->name,
                        aside);
                h->n_ids = 0;
                r = open_append(h);
                if (r < 0)
                        return r;
                good_end = 0;
                st.st_size = 0;
        }
        if (st.st_size > good_end) {
                /* The last append did not complete (no '\n'): drop its bytes so the next append
                 * starts on a line of its own. */
                log_warning(
                        "History file %s: cutting off %lld bytes of an interrupted write.",
                        h->name,
                        (long long) (st.st_size - good_end));
                if (ftruncate(h->fd, good_end) < 0 || fsync(h->fd) < 0)
                        return -errno;
        }
        if (h->skipped > 0)
                log_warning("History file %s: skipped %zu damaged records.", h->name, h->skipped);
        if (good_end == 0) {
                static const char header[] = HISTORY_FORMAT_HEADER "\n";

                if (write(h->fd, header, sizeof(header) - 1) != (ssize_t) sizeof(header) - 1)
                        return errno > 0 ? -errno : -EIO;
                if (fsync(h->fd) < 0)
                        return -errno;
                (void) fsync_dir_fd(h->dir_fd);
        }
        return 0;
}

int history_open(int dir_fd, const char *address, size_t max_records, History **ret) {
        assert(ret);

        _cleanup_(history_freep) History *h = NULL;
        int r;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->fd = h->dir_fd = -EBADF;
        h->max_records = max_records > 0 ? max_records : HISTORY_DEFAULT_MAX_RECORDS;
        r = history_file_name(address, h->name);
        if (r < 0)
                return r;
        h->dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (h->dir_fd < 0)
                return -errno;
        r = load(h);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(h);
        return 0;
}

History *history_free(History *h) {
        if (!h)
                return NULL;
        if (h->fd >= 0)
                (void) close(h->fd);
        if (h->dir_fd >= 0)
                (void) close(h->dir_fd);
        free(h->ids);
        free(h);
        return NULL;
}

bool history_contains(const History *h, uint64_t identity) {
        assert(h);

        /* Newest first: a re-read page repeats recent records. ≤ max + 10 % entries, so a linear scan
         * over 8-byte ids stays well under a millisecond. */
        for (size_t i = h->n_ids; i > 0; i--)
                if (h->ids[i - 1] == identity)
                        return true;
        return false;
}

size_t history_count(const History *h) {
        assert(h);

        return h->n_ids;
}

size_t history_skipped(const History *h) {
        assert(h);

        return h->skipped;
}

typedef struct Keep {
        FILE *out;
        size_t skip; /* records to drop from the front */
} Keep;

static int keep_line(const char *line, const HistoryRecord *r, void *userdata) {
        Keep *k = userdata;

        if (k->skip > 0) {
                k->skip--;
                return 0;
        }
        fputs(line, k->out);
        fputc('\n', k->out);
        return 0;
}

/* Drop the oldest records (file order) so that max_records remain; atomic rewrite. */
static int trim(History *h) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, skipped;
        Keep k = { .skip = h->n_ids - h->max_records };
        off_t good_end;
        bool header_ok;
        int r;

        k.out = open_memstream(&buf, &size);
        if (!k.out)
                return -ENOMEM;
        fputs(HISTORY_FORMAT_HEADER "\n", k.out);
        r = scan(h->fd, keep_line, &k, &good_end, &header_ok, &skipped);
        if (fclose(k.out) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        r = write_file_atomic_at(h->dir_fd, h->name, buf, size, 0600);
        if (r < 0)
                return r;
        return load(h);
}

int history_append(History *h, const HistoryRecord *rec) {
        _cleanup_free_ char *line = NULL;
        struct stat st;
        size_t len;
        ssize_t n;
        int r;

        assert(h);

        if (!rec->kind || !*rec->kind)
                return -EINVAL;
        if (strlen(rec->kind) > HISTORY_STRING_MAX ||
            (rec->method && strlen(rec->method) > HISTORY_STRING_MAX) ||
            (rec->credential && strlen(rec->credential) > HISTORY_STRING_MAX) ||
            (rec->alias && strlen(rec->alias) > HISTORY_STRING_MAX))
                return -EINVAL;
        if (rec->battery > 100)
                return -EINVAL;
        if (history_contains(h, rec->identity))
                return 0;

        r = format_line(rec, &line, &len);
        if (r < 0)
                return r;
        r = ids_add(h, rec->identity); /* first, so that nothing can fail after the write */
        if (r < 0)
                return r;
        if (fstat(h->fd, &st) < 0) {
                h->n_ids--;
                return -errno;
        }
        /* One write(): on a regular file it is all or (on a full disk) a prefix, which we cut off. */
        n = write(h->fd, line, len);
        if (n != (ssize_t) len || fdatasync(h->fd) < 0) {
                r = n < 0 || n == (ssize_t) len ? -errno : -ENOSPC;
                (void) ftruncate(h->fd, st.st_size);
                h->n_ids--;
                return r;
        }

        if (h->n_ids > h->max_records + MAX(h->max_records / 10, (size_t) 1)) {
                r = trim(h);
                if (r < 0)
                        /* The record is safe; the file is just longer than it should be. */
                        log_warning_errno(r, "Cannot trim history file %s: %m", h->name);
        }
        return 1;
}

typedef struct Collect {
        uint64_t since;
        HistoryRecord *records;
        size_t n;
        size_t allocated;
} Collect;

static int collect_record(const char *line, const HistoryRecord *r, void *userdata) {
        Collect *c = userdata;

        if (r->time_usec < c->since)
                return 0;
        if (c->n >= c->allocated) {
                size_t n = MAX(64U, c->allocated * 2);
                HistoryRecord *l = realloc(c->records, n * sizeof(*l));
                if (!l)
                        return -ENOMEM;
                c->records = l;
                c->allocated = n;
        }
        /* Move the strings out of the caller's record: scan() frees what it still holds. */
        c->records[c->n++] = *r;
        *(HistoryRecord *) r = (HistoryRecord){};
        return 0;
}

int history_record_to_line(const HistoryRecord *r, char **ret, size_t *ret_len) {
        assert(r);
        assert(ret);
        assert(ret_len);

        return format_line(r, ret, ret_len);
}

int history_record_from_line(const char *line, HistoryRecord *ret) {
        assert(line);
        assert(ret);

        return parse_line(line, ret);
}

int history_parse(const char *data, size_t size, HistoryRecord **ret, size_t *ret_n, size_t *ret_skipped,
                  bool *ret_header_ok) {
        _cleanup_close_ int fd = -EBADF;
        Collect c = {};
        size_t skipped, done = 0;
        off_t good_end;
        bool header_ok;
        int r;

        assert(data || size == 0);
        assert(ret);
        assert(ret_n);

        /* Through a file, so that the reader is the one history_open() and history_query() use. */
        fd = memfd_create("ttlockd-history", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        while (done < size) {
                ssize_t n = write(fd, data + done, size - done);

                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        r = scan(fd, collect_record, &c, &good_end, &header_ok, &skipped);
        if (r < 0) {
                history_records_free(c.records, c.n);
                return r;
        }
        *ret = c.records;
        *ret_n = c.n;
        if (ret_skipped)
                *ret_skipped = skipped;
        if (ret_header_ok)
                *ret_header_ok = header_ok;
        return 0;
}

typedef struct SortKey {
        uint64_t time_usec;
        size_t pos; /* file order, so that records of the same microsecond keep it (qsort is not stable) */
} SortKey;

static int sort_key_cmp(const void *a, const void *b) {
        const SortKey *x = a, *y = b;

        if (x->time_usec != y->time_usec)
                return x->time_usec < y->time_usec ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : 0;
}

/* Oldest first by the lock's time stamp, file order among equals. */
static int sort_records(HistoryRecord *records, size_t n) {
        _cleanup_free_ SortKey *keys = NULL;
        _cleanup_free_ HistoryRecord *sorted = NULL;

        keys = malloc(n * sizeof(*keys));
        sorted = malloc(n * sizeof(*sorted));
        if (!keys || !sorted)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                keys[i] = (SortKey){ records[i].time_usec, i };
        qsort(keys, n, sizeof(*keys), sort_key_cmp);
        for (size_t i = 0; i < n; i++)
                sorted[i] = records[keys[i].pos];
        memcpy(records, sorted, n * sizeof(*records));
        return 0;
}

int history_query(History *h, uint64_t since_usec, size_t max, HistoryRecord **ret, size_t *ret_n) {
        Collect c = { .since = since_usec };
        size_t skipped, first = 0;
        off_t good_end;
        bool header_ok;
        int r;

        assert(h);

        r = scan(h->fd, collect_record, &c, &good_end, &header_ok, &skipped);
        if (r >= 0 && c.n > 1)
                r = sort_records(c.records, c.n);
        if (r < 0) {
                history_records_free(c.records, c.n);
                return r;
        }
        if (max > 0 && c.n > max) {
                first = c.n - max;
                for (size_t i = 0; i < first; i++)
                        history_record_done(c.records + i);
                memmove(c.records, c.records + first, max * sizeof(*c.records));
                c.n = max;
        }
        *ret = c.records;
        *ret_n = c.n;
        return 0;
}

int history_remove(int dir_fd, const char *address) {
        char name[HISTORY_NAME_SIZE];
        int r;

        r = history_file_name(address, name);
        if (r < 0)
                return r;
        if (unlinkat(dir_fd, name, 0) < 0)
                return -errno;
        return fsync_dir_fd(dir_fd);
}
