/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Object paths of locks (dbus/org.ttlock.Lock1.xml): "AA:BB:CC:DD:EE:FF" ↔
 * "/org/ttlock/Lock/AA_BB_CC_DD_EE_FF". One strict helper for both directions, so that a path is
 * the same across restarts (GNOME Shell extensions cache paths) and no other spelling of the same
 * lock can ever name an object. */

#include "bt-address.h"

#define LOCK_PATH_PREFIX "/org/ttlock/Lock"
#define LOCK_PATH_SIZE (sizeof(LOCK_PATH_PREFIX "/") + BT_ADDRESS_SIZE - 1)

/* Any case, colons required, exactly six two-digit groups; the path uses upper case.
 * -EINVAL otherwise; ret untouched then. */
int lock_path_from_address(const char *address, char ret[static LOCK_PATH_SIZE]);

/* Only the canonical form is accepted: the prefix, then upper-case hex pairs separated by '_'.
 * ret gets "AA:BB:CC:DD:EE:FF". -EINVAL otherwise; ret untouched then. */
int lock_path_to_address(const char *path, char ret[static BT_ADDRESS_SIZE]);
