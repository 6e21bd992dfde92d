/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The handful of helpers every program of the project uses, after systemd's macro.h.
 * Only what we need: cleanup attributes, ownership transfer, array sizes. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _noreturn_ __attribute__((noreturn))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

/* Marks a string for xgettext without translating it where it stands: whoever shows it translates
 * it later (ttlockctl through gettext(), polkit through "polkit.gettext_domain"). */
#define N_(s) (s)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Hand over ownership of a pointer out of a _cleanup_ variable. */
#define TAKE_PTR(p)                            \
        ({                                     \
                typeof(p) _ptr_ = (p);         \
                (p) = NULL;                    \
                _ptr_;                         \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)      \
        static inline void func##p(type *p) {         \
                if (*p)                               \
                        func(*p);                     \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, for "p = mfree(p);". */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

/* Wipe secrets in a way the compiler may not elide (AES keys, adminPs, unlockKey). */
static inline void erase_memory(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}
