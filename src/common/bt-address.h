/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Bluetooth device addresses as text, "AA:BB:CC:DD:EE:FF": one strict parser for every program, so
 * that no two spellings of the same lock can ever name two different things (a key file, an object
 * path, a radio's device). */

#include <stdbool.h>

#define BT_ADDRESS_SIZE 18 /* "AA:BB:CC:DD:EE:FF" + NUL */

/* Exactly six groups of two hex digits separated by sep, nothing before or after; upper_only refuses
 * lower-case digits. ret gets the address with ':' separators and upper-case digits. -EINVAL
 * otherwise, ret untouched then. */
int bt_address_parse(const char *s, char sep, bool upper_only, char ret[static BT_ADDRESS_SIZE]);

/* Any case, ':' separators → upper case. */
static inline int bt_address_normalize(const char *s, char ret[static BT_ADDRESS_SIZE]) {
        return bt_address_parse(s, ':', /* upper_only= */ false, ret);
}

static inline bool bt_address_valid(const char *s) {
        char a[BT_ADDRESS_SIZE];

        return bt_address_normalize(s, a) >= 0;
}
