/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Credentials1 (dbus/org.ttlock.Credentials1.xml) on the object of every paired lock: passcodes,
 * IC cards and fingerprints, all behind org.ttlock.manage. Arguments are checked before anything reaches
 * the lock (InvalidArgs saying what is wrong), then the lock's feature bits (NotSupported), then polkit.
 * An enrollment returns at once and reports EnrollmentStatus signals; one per lock; cancelled by
 * CancelEnrollment() or when its caller leaves the bus (sd_bus_track). Aliases live in the key store and
 * never go to the lock. */

#include <systemd/sd-bus.h>

#include "bus-lock-object.h"

#define CREDENTIALS_INTERFACE "org.ttlock.Credentials1"

extern const sd_bus_vtable bus_credentials_vtable[];

void bus_credentials_emit_enrollment(BusLock *b, const LockEnrollmentStatus *s);
