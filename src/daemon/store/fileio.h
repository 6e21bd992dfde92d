/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The few file primitives the key store and the event archive share. Everything works relative to
 * a directory fd so that a rename and the directory fsync that makes it durable hit the same
 * directory (HACKING.md "Storage": temp → fsync → rename → fsync the directory). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "time-util.h"

#ifndef TAKE_FD
/* Hand over ownership of a file descriptor out of a _cleanup_close_ variable. */
#        define TAKE_FD(fd)              \
                ({                       \
                        int _fd_ = (fd); \
                        (fd) = -EBADF;   \
                        _fd_;            \
                })
#endif

/* Suffix of the hidden temp files write_file_atomic_at() creates: ".<name>.tmp-XXXXXXXX". */
#define TMP_INFIX ".tmp-"
#define BROKEN_INFIX ".broken-"

/* Open (creating with `mode` if missing) the directory `path` and make its mode exactly `mode`. */
int open_dir_mode(const char *path, mode_t mode, bool fix_mode, int *ret_fd);
/* Same, relative to dir_fd; the parent must exist. */
int open_dir_mode_at(int dir_fd, const char *name, mode_t mode, int *ret_fd);

/* Replace dir_fd/name by (data, size) so that a crash at any instant leaves either the old or the
 * new content: a temp file in the same directory (O_CREAT|O_EXCL|O_CLOEXEC, mode), fsync, rename,
 * fsync of the directory. The temp file is removed on failure. */
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode);

/* Read dir_fd/name whole; -EFBIG when it is larger than max. The buffer is NUL-terminated (not
 * counted in *ret_size). The caller wipes it when it holds secrets. */
int read_file_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_size);

/* Rename dir_fd/name to "<name>.broken-<usec>" (never overwriting) and fsync the directory, so a
 * damaged file is kept for a human rather than dropped. Returns the new name in *ret_name. */
int move_aside_broken_at(int dir_fd, const char *name, char **ret_name);

/* Is `name` one of our leftover temp files (".<x>.tmp-…")? */
bool is_tmp_file_name(const char *name);

int fsync_dir_fd(int dir_fd);
