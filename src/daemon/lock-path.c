/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lock-path.h"

static bool is_hex(char c, bool upper_only) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (!upper_only && c >= 'a' && c <= 'f');
}

static char upper(char c) {
        return c >= 'a' && c <= 'f' ? (char) (c - 'a' + 'A') : c;
}

/* Six groups of two hex digits separated by sep, nothing before or after. */
static int parse_groups(const char *s, char sep, bool upper_only, char ret[static LOCK_ADDRESS_SIZE]) {
        char buf[LOCK_ADDRESS_SIZE];

        if (!s || strlen(s) != LOCK_ADDRESS_SIZE - 1)
                return -EINVAL;
        for (size_t i = 0; i < LOCK_ADDRESS_SIZE - 1; i++) {
                if (i % 3 == 2) {
                        if (s[i] != sep)
                                return -EINVAL;
                        buf[i] = ':';
                } else {
                        if (!is_hex(s[i], upper_only))
                                return -EINVAL;
                        buf[i] = upper(s[i]);
                }
        }
        buf[LOCK_ADDRESS_SIZE - 1] = 0;
        memcpy(ret, buf, sizeof(buf));
        return 0;
}

int lock_address_normalize(const char *address, char ret[static LOCK_ADDRESS_SIZE]) {
        return parse_groups(address, ':', /* upper_only= */ false, ret);
}

int lock_path_from_address(const char *address, char ret[static LOCK_PATH_SIZE]) {
        char a[LOCK_ADDRESS_SIZE];
        int r;

        r = lock_address_normalize(address, a);
        if (r < 0)
                return r;
        for (char *p = a; *p; p++)
                if (*p == ':')
                        *p = '_';
        memcpy(ret, LOCK_PATH_PREFIX "/", sizeof(LOCK_PATH_PREFIX "/") - 1);
        memcpy(ret + sizeof(LOCK_PATH_PREFIX "/") - 1, a, sizeof(a));
        return 0;
}

int lock_path_to_address(const char *path, char ret[static LOCK_ADDRESS_SIZE]) {
        const size_t n = sizeof(LOCK_PATH_PREFIX "/") - 1;

        if (!path || strncmp(path, LOCK_PATH_PREFIX "/", n) != 0)
                return -EINVAL;
        return parse_groups(path + n, '_', /* upper_only= */ true, ret);
}
