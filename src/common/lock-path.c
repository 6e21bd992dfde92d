/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "lock-path.h"

int lock_path_from_address(const char *address, char ret[static LOCK_PATH_SIZE]) {
        char a[BT_ADDRESS_SIZE];
        int r;

        r = bt_address_normalize(address, a);
        if (r < 0)
                return r;
        for (char *p = a; *p; p++)
                if (*p == ':')
                        *p = '_';
        memcpy(ret, LOCK_PATH_PREFIX "/", sizeof(LOCK_PATH_PREFIX "/") - 1);
        memcpy(ret + sizeof(LOCK_PATH_PREFIX "/") - 1, a, sizeof(a));
        return 0;
}

int lock_path_to_address(const char *path, char ret[static BT_ADDRESS_SIZE]) {
        const size_t n = sizeof(LOCK_PATH_PREFIX "/") - 1;

        if (!path || strncmp(path, LOCK_PATH_PREFIX "/", n) != 0)
                return -EINVAL;
        return bt_address_parse(path + n, '_', /* upper_only= */ true, ret);
}
