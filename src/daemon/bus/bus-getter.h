/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The signature of an sd-bus property getter, so that each face writes one short function per
 * property (the properties of dbus/org.ttlock.*.xml) instead of a strcmp chain over their names. */

#include <systemd/sd-bus.h>

#define BUS_GETTER(name)               \
        static int name(               \
                sd_bus *bus,           \
                const char *path,      \
                const char *interface, \
                const char *property,  \
                sd_bus_message *reply, \
                void *userdata,        \
                sd_bus_error *error)
