/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Lock batteries handed to BlueZ, so that BlueZ shows them as org.bluez.Battery1 on the locks' device
 * objects and UPower (and GNOME's power panel) lists the locks (BlueZ's doc/battery-api.txt; the
 * behaviour ttlock-sim reproduces is described in src/sim/bluez-battery.c).
 *
 * One provider per adapter: an ObjectManager at /org/ttlock/bluez/<adapter> with one
 * org.bluez.BatteryProvider1 object per lock (Device, Percentage, Source "ttlockd"), registered with
 * the adapter's org.bluez.BatteryProviderManager1. BlueZ 5.66 offers that manager only with its
 * experimental features on (bluetoothd -E): without it the provider says so once in the log and does
 * nothing else — batteries are a convenience, never a reason to fail. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

typedef struct BluezBattery BluezBattery;

/* A provider for the adapter at adapter_path (e.g. /org/bluez/hci0); it exports its ObjectManager at
 * once and registers with BlueZ when bluez_battery_register() is called. */
int bluez_battery_new(sd_bus *bus, const char *adapter_path, BluezBattery **ret);
/* Unregisters (in the background) and removes every object. Accepts NULL. */
BluezBattery *bluez_battery_free(BluezBattery *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(BluezBattery *, bluez_battery_free);

/* The adapter object appeared with (have_manager) or without BatteryProviderManager1: register, or log
 * once that BlueZ offers no battery provider manager. Called again after BlueZ restarted. */
void bluez_battery_register(BluezBattery *b, bool have_manager);
/* BlueZ went away: its registration went with it. */
void bluez_battery_forget_registration(BluezBattery *b);

/* The lock at address (upper case, ':' separators) has percentage 0–100; percentage < 0 removes it. */
int bluez_battery_set(BluezBattery *b, const char *address, int percentage);

/* BlueZ ignores a battery whose device it does not keep yet (one it only saw advertising); once a
 * connection made it keep the device, offering the battery again makes BlueZ take it. */
void bluez_battery_offer_again(BluezBattery *b, const char *address);

/* For tests and the debug log. */
const char *bluez_battery_root(const BluezBattery *b);
bool bluez_battery_registered(const BluezBattery *b);
