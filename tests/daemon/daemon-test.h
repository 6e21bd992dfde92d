/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the tests of src/daemon: scratch directories and small file utilities. */

#define _XOPEN_SOURCE_EXTENDED 1
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

static inline int dt_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string and calls dt_rm_rf(). */
static inline char *dt_mkdtemp(void) {
        const char *base = getenv("TMPDIR") ?: "/tmp";
        char *p = NULL;

        ck_assert_int_ge(asprintf(&p, "%s/ttlockd-test-XXXXXX", base), 0);
        ck_assert_ptr_nonnull(mkdtemp(p));
        return p;
}

static inline void dt_rm_rf(const char *path) {
        (void) nftw(path, dt_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void dt_write_file(const char *dir, const char *name, const char *text) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        ck_assert_msg(f, "cannot create %s", path);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

/* Whole file as a string (caller frees), NULL if it does not exist. */
static inline char *dt_read_file(const char *dir, const char *name) {
        char path[4096], *buf = NULL;
        size_t n = 0;
        FILE *f, *m;
        int c;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        m = open_memstream(&buf, &n);
        ck_assert_ptr_nonnull(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

/* Number of entries of dir whose name contains `infix` (NULL = all but . and ..). */
static inline unsigned dt_count_entries(const char *dir, const char *infix) {
        struct dirent *de;
        unsigned n = 0;
        DIR *d = opendir(dir);

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    (!infix || strstr(de->d_name, infix)))
                        n++;
        closedir(d);
        return n;
}

/* First entry of dir whose name contains infix (caller frees), NULL if none. */
static inline char *dt_find_entry(const char *dir, const char *infix) {
        struct dirent *de;
        char *found = NULL;
        DIR *d = opendir(dir);

        ck_assert_ptr_nonnull(d);
        while (!found && (de = readdir(d)))
                if (strstr(de->d_name, infix))
                        found = strdup(de->d_name);
        closedir(d);
        return found;
}
