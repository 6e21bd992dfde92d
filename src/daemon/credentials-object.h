/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.ttlock.Credentials1 (dbus-api.md) on the object of every paired lock, next to Lock1: passcodes,
 * IC cards and fingerprints through ops-credentials.h, all [manage] through authz.h. Arguments are
 * checked before anything reaches the lock (InvalidArgs saying what is wrong), then the lock's feature
 * bits (NotSupported), then polkit. Enrolment returns at once and reports EnrollmentStatus signals;
 * one per lock; cancelled by CancelEnrollment() or when its caller leaves the bus (sd_bus_track); timed
 * out when the person at the lock does nothing for TTLOCKD_ENROLLMENT_TIMEOUT_SEC seconds (default
 * 60). Aliases live in the key store (store.h credential-aliases) and never go to the lock. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "lock-object.h"
#include "ops-common.h"

#define CREDENTIALS_INTERFACE "org.ttlock.Credentials1"
#define CREDENTIALS_ENROLLMENT_TIMEOUT_USEC_DEFAULT (60U * 1000000U)
#define CREDENTIALS_CALLS_MAX 16U

typedef struct CredentialsState CredentialsState;

extern const sd_bus_vtable credentials_vtable[];

/* Registers the fallback vtable under /org/ttlock/Lock (after the Lock1 one: lock_object_find()). */
int credentials_object_register(Manager *m);

/* Hooks for the lock object (lock-object.c). */
bool credentials_object_busy(LockObject *l);
/* An enrollment holds the lock's connection (it may do so for a minute). A method that needs the lock
 * is refused with this (org.ttlock.Error.InProgress, returns < 0) instead of queueing behind it: it
 * could not finish before its caller gives up (~25 s, conventions.md "sd-bus and polkit"). */
int credentials_object_refuse_while_enrolling(LockObject *l, sd_bus_error *error);
/* Fail the calls in flight with why, cancel the operations and the enrolment; frees l->credentials. */
void credentials_object_abort(LockObject *l, const char *why);
/* The lock became paired (added = true) or was forgotten: Credentials1 and Settings1 appear on or
 * leave its object (InterfacesAdded/Removed). */
void admin_interfaces_changed(LockObject *l, bool added);

/* Shared with settings-object.c. */
int admin_object_find(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error);
/* NotSupported with a message naming the feature when the lock lacks it. Unknown features (never read)
 * pass, as Lock1 does. */
int admin_require_feature(LockObject *l, unsigned bit, const char *what, sd_bus_error *error);
/* A passcode argument: 4…max ASCII digits (max ≤ 16) copied to ret, else InvalidArgs naming the argument
 * but never its digits. */
int admin_parse_passcode(const char *s, const char *name, size_t max, char ret[TTLOCK_PASSCODE_MAX + 1],
                         sd_bus_error *error);
/* An operation's outcome as a D-Bus error: -EOPNOTSUPP → NotSupported, -ENOENT → DoesNotExist, the rest
 * as Lock1 maps them (lock refusals → LockRefused with the lock's error name). */
int admin_status_to_error(const OpStatus *st, sd_bus_error *error);
/* µs since the epoch → lock-local wall clock (§4.2), -ERANGE outside 2000…2099. */
int admin_usec_to_lock_time(uint64_t usec, TTDateTime *ret);
