/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int fsync_dir_fd(int dir_fd) {
        return fsync(dir_fd) < 0 ? -errno : 0;
}

static int fix_dir(int fd, mode_t mode, bool fix_mode) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        /* mkdir() honours the umask, and a directory may have been created by hand with a wider
         * mode: make it exactly what we want, since it holds keys. */
        if (fix_mode && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
                return -errno;
        return 0;
}

int open_dir_mode(const char *path, mode_t mode, bool fix_mode, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(path);
        assert(ret_fd);

        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = fix_dir(fd, mode, fix_mode);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int open_dir_mode_at(int dir_fd, const char *name, mode_t mode, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        bool created = true;
        int r;

        assert(name);
        assert(ret_fd);

        if (mkdirat(dir_fd, name, mode) < 0) {
                if (errno != EEXIST)
                        return -errno;
                created = false;
        }
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        r = fix_dir(fd, mode, /* fix_mode= */ true);
        if (r < 0)
                return r;
        /* A new directory entry is only durable once its parent is synced. */
        if (created)
                (void) fsync_dir_fd(dir_fd);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int write_all(int fd, const void *data, size_t size) {
        const uint8_t *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint32_t rnd;
        int r;

        assert(data || size == 0);

        if (!name || strchr(name, '/') || name[0] == '.' || name[0] == 0)
                return -EINVAL;

        for (unsigned attempt = 0;; attempt++) {
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (uint32_t) now_realtime_usec() ^ ((uint32_t) getpid() << 16);
                free(tmp);
                if (asprintf(&tmp, ".%s" TMP_INFIX "%08x", name, rnd) < 0) {
                        tmp = NULL;
                        return -ENOMEM;
                }
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt >= 16)
                        return -errno;
        }

        r = fchmod(fd, mode) < 0 ? -errno : 0; /* the umask must not decide the mode of a key file */
        if (r >= 0)
                r = write_all(fd, data, size);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        /* The rename is only durable once the directory is. */
        return fsync_dir_fd(dir_fd);
}

int read_file_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        assert(name);
        assert(ret);

        fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uintmax_t) st.st_size > max)
                return -EFBIG;

        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        erase_memory(buf, n);
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > (size_t) st.st_size) { /* grew while we read: not a file of ours at rest */
                        erase_memory(buf, n);
                        return -EFBIG;
                }
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

int move_aside_broken_at(int dir_fd, const char *name, char **ret_name) {
        _cleanup_free_ char *aside = NULL;
        unsigned long long usec = now_realtime_usec();

        assert(name);

        for (unsigned attempt = 0; attempt < 16; attempt++) {
                free(aside);
                if (asprintf(&aside, "%s" BROKEN_INFIX "%llu", name, usec + attempt) < 0) {
                        aside = NULL;
                        return -ENOMEM;
                }
                /* RENAME_NOREPLACE: never overwrite an earlier broken copy. */
                if (renameat2(dir_fd, name, dir_fd, aside, RENAME_NOREPLACE) >= 0) {
                        (void) fsync_dir_fd(dir_fd);
                        if (ret_name)
                                *ret_name = TAKE_PTR(aside);
                        return 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

bool is_tmp_file_name(const char *name) {
        return name && name[0] == '.' && strstr(name, TMP_INFIX);
}
