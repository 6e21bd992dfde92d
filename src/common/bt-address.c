/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bt-address.h"

static bool is_hex(char c, bool upper_only) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (!upper_only && c >= 'a' && c <= 'f');
}

static char upper(char c) {
        return c >= 'a' && c <= 'f' ? (char) (c - 'a' + 'A') : c;
}

int bt_address_parse(const char *s, char sep, bool upper_only, char ret[static BT_ADDRESS_SIZE]) {
        char buf[BT_ADDRESS_SIZE];

        if (!s || strlen(s) != BT_ADDRESS_SIZE - 1)
                return -EINVAL;
        for (size_t i = 0; i < BT_ADDRESS_SIZE - 1; i++) {
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
        buf[BT_ADDRESS_SIZE - 1] = 0;
        memcpy(ret, buf, sizeof(buf));
        return 0;
}
