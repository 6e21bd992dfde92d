/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Settings1 (dbus/org.ttlock.Settings1.xml) on the object of every paired lock: the lock's
 * settings, all methods behind org.ttlock.manage; properties from the key record (as last read from or
 * written to the lock) and the measured clock offset; GetHistory from the daemon's event archive. */

#include <systemd/sd-bus.h>

#include "bus-lock-object.h"

#define SETTINGS_INTERFACE "org.ttlock.Settings1"

extern const sd_bus_vtable bus_settings_vtable[];

/* PropertiesChanged for the Settings1 properties among changed (LOCK_PROPERTY_BIT()s). */
void bus_settings_emit_changed(BusLock *b, uint64_t changed);
