/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ttlockd on the bus (dbus/org.ttlock.Manager1.xml): org.ttlock.Manager1 at /org/ttlock/Manager, the
 * ObjectManager at /org/ttlock, and one object per lock of the registry (manager.h) with Lock1, and
 * Credentials1 and Settings1 while it is paired. It observes the registry and each lock and turns what
 * they report into signals; discovery follows its caller (sd_bus_track). */

#include <systemd/sd-bus.h>

#include "bus-lock-object.h"
#include "macro.h"
#include "manager.h"

#define MANAGER_PATH "/org/ttlock/Manager"
#define MANAGER_OBJECT_MANAGER_PATH "/org/ttlock"
#define MANAGER_INTERFACE "org.ttlock.Manager1"
#define MANAGER_BUS_NAME "org.ttlock.Manager"
#define BUS_DETAIL_SUBSCRIBERS_MAX 64U

typedef struct BusManager BusManager;

/* Manager1's methods and properties (exported for the test that holds them against authz.c's table). */
extern const sd_bus_vtable bus_manager_vtable[];

/* Registers every object on bus and starts observing m; call before manager_start(), and request the
 * bus name after both, so that no call can reach an object that is not there yet. */
int bus_manager_new(sd_bus *bus, Manager *m, BusManager **ret);
BusManager *bus_manager_free(BusManager *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(BusManager *, bus_manager_free);
