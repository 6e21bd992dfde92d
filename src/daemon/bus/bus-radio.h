/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The radios on the bus (dbus/org.ttlock.Radio1.xml): one object per radio of the registry — a BlueZ
 * adapter or an ESPHome proxy — at /org/ttlock/Radio/<name> (the name escaped as sd_bus_path_encode()
 * does it), with org.ttlock.Radio1; and what Lock1 says of the radios that hear a lock (Radio,
 * RadioRssi). Objects are found from their path (a fallback vtable with a node enumerator, like the
 * locks); what changed since the last look is signalled when the registry reports that the radios
 * changed. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "bus-lock-object.h"
#include "radio.h"

#define RADIO_PATH_PREFIX "/org/ttlock/Radio"
#define RADIO_INTERFACE "org.ttlock.Radio1"

typedef struct BusRadios BusRadios;

/* Registers the objects on context's bus. */
int bus_radios_new(BusContext *context, BusRadios **ret);
BusRadios *bus_radios_free(BusRadios *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusRadios *, bus_radios_free);

/* Looks at the registry's radios again: InterfacesAdded and InterfacesRemoved for those that came and
 * went, PropertiesChanged for what changed. Returns true when the set of radios changed (Manager1's
 * Radios then changed too). */
bool bus_radios_sync(BusRadios *b);

/* The object path of radio r (free() it). */
int bus_radio_path(const Radio *r, char **ret);

/* Manager1.Radios: every radio's path. */
int bus_radios_append_paths(BusRadios *b, sd_bus_message *reply);

/* Lock1's Radio and RadioRssi (userdata: the BusLock); bus-lock.c signals their change
 * (bus_lock_emit_radio_changed()). */
int bus_radio_get_lock_radio(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error);
int bus_radio_get_lock_radio_rssi(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error);
