/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lockData.json of the Home Assistant add-on ttlockd replaces (kind3r/hass-addons,
 * ttlock-hass-integration/addon/src/store.js), written by its library kind3r/ttlock-sdk-js
 * (TTLock.getLockData, src/store/TTLockData.ts): a JSON array with one object per paired lock,
 *
 *   {"address": "AA:BB:CC:DD:EE:FF", "battery": 80, "rssi": -60, "autoLockTime": -1,
 *    "lockedStatus": 0,
 *    "privateData": {"aesKey": "<32 hex digits>",
 *                    "admin": {"adminPs": <number>, "unlockKey": <number>},
 *                    "adminPasscode": "<digits>", "pwdInfo": [...]},
 *    "operationLog": [...]}
 *
 * The add-on always paired locally, so every record is an admin with lockFlagPos 0 and uid 0
 * (the values its CHECK_ADMIN and CHECK_USER_TIME send). doc/lockdata.md has the details. */

#include "lockdata.h"

/* One element of the array. Members it does not need (pwdInfo, operationLog, …) are skipped. */
int ttlock_addon_lockdata_from_json(struct json_object *o, TTLockData **ret, TTError *e);

/* The whole file for these locks, as the add-on writes it (admins only: -EINVAL for an eKey, which
 * the add-on cannot hold). The caller frees *ret with ttlock_lockdata_text_free(). */
int ttlock_addon_lockdata_encode(TTLockData *const *locks, size_t n, char **ret, TTError *e);
