/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The BlueZ radio backend (BlueZ 5.66 D-Bus API; HACKING.md "BlueZ as a client"): one radio per
 * adapter in the RadioSet (radio.h). It follows org.bluez coming and going, mirrors adapters, TTLock
 * devices and their GATT characteristics from the ObjectManager at /, scans LE with duplicates while
 * the RadioSet asks for it, and implements connections with Device1.Connect(), StartNotify on 0xFFF4
 * and WriteValue on 0xFFF2 (doc/protocol.md §1).
 *
 * It knows nothing of the TTLock protocol beyond the service UUIDs and the manufacturer-data key, and
 * nothing of ttlockd's own D-Bus objects. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "radio.h"

typedef struct Bluez Bluez;

int bluez_new(sd_bus *bus, RadioSet *radios, Bluez **ret);
/* Frees the radios it made; the connections through them must be freed before (radio.h). */
Bluez *bluez_free(Bluez *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(Bluez *, bluez_free);

bool bluez_available(const Bluez *b);

/* Use only the adapters called so (hci0, …; ttlockd.conf(5) Adapters=), NULL-terminated; NULL = all of
 * them. 1 when that changed what is used, 0 when not. */
int bluez_set_adapters(Bluez *b, char *const *allowed);
