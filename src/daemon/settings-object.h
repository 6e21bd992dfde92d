/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Settings1 (dbus-api.md) on the object of every paired lock: the settings through
 * ops-settings.h, all methods [manage] through authz.h, properties from the key store's settings (as
 * last read from or written to the lock) and the measured clock offset; GetHistory from the daemon's
 * event archive (history.h).
 *
 * Clock: whenever the link to a paired lock comes up, a job queued behind whatever brought the link up
 * reads the lock's clock (GET_LOCK_TIME 0x34, no login: one command on a connection that is open anyway)
 * and calibrates it (§5.5) when it is more than SETTINGS_CLOCK_TOLERANCE_SEC off: validity windows and
 * log times are only as good as that clock, and a lock's clock drifts or is reset with its battery. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "lock-object.h"

#define SETTINGS_INTERFACE "org.ttlock.Settings1"
#define SETTINGS_CLOCK_TOLERANCE_SEC 60
#define SETTINGS_CALLS_MAX 16U
#define SETTINGS_HISTORY_MAX 10000U /* a bound on one GetHistory() reply */

typedef struct SettingsState SettingsState;

extern const sd_bus_vtable settings_vtable[];

int settings_object_register(Manager *m);

/* Hooks for the lock object (lock-object.c). */
bool settings_object_busy(LockObject *l);
void settings_object_abort(LockObject *l, const char *why); /* frees l->settings */
void settings_object_connected(LockObject *l);              /* the link came up */
