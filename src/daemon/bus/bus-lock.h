/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Lock1 (dbus/org.ttlock.Lock1.xml) on every lock object: its properties from the lock model,
 * Lock/Unlock/Refresh behind org.ttlock.operate, Pair/Forget/FactoryReset/SetAlias behind
 * org.ttlock.manage, and the Event signal. */

#include <systemd/sd-bus.h>

#include "bus-lock-object.h"
#include "history.h"

#define LOCK_INTERFACE "org.ttlock.Lock1"

extern const sd_bus_vtable bus_lock_vtable[];

/* PropertiesChanged for the Lock1 properties among changed (LOCK_PROPERTY_BIT()s). */
void bus_lock_emit_changed(BusLock *b, uint64_t changed);
void bus_lock_emit_event(BusLock *b, const HistoryRecord *h);
/* PropertiesChanged for Radio and RadioRssi (bus-radio.h has their getters). */
void bus_lock_emit_radio_changed(BusLock *b);
