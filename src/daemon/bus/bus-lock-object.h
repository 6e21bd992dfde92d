/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A lock's object on the bus, /org/ttlock/Lock/AA_BB_CC_DD_EE_FF (lock-path.h), and what its three
 * interfaces — Lock1 (bus-lock.c), Credentials1 (bus-credentials.c), Settings1 (bus-settings.c) — share:
 * finding the object from a path (fallback vtables with a node enumerator, like logind's sessions),
 * handing an operation to the lock model and answering the call when it is done, and the audit record
 * of the call. The faces keep only vtables, argument parsing, authorization and replies; what a lock is
 * and does is in lock/lock.h. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "audit.h"
#include "authz.h"
#include "lock-path.h"
#include "lock.h"
#include "manager.h"

/* What every face needs: the bus, the registry, the polkit bouncer. One for the daemon. */
typedef struct BusContext {
        sd_bus *bus;
        Manager *manager;
        Authz *authz;
        /* Who asked for credential identities (Manager1.SubscribeDetails, org.ttlock.manage): they get
         * their own copy of Event and EnrollmentStatus with card numbers and fingerprint ids, which the
         * broadcast to every local user does not carry (dbus/org.ttlock.Lock1.xml "Event"). */
        sd_bus_track *detail_subscribers;
} BusContext;

typedef struct BusLock {
        BusContext *context;
        Lock *lock;
        char path[LOCK_PATH_SIZE];
        bool exported;                  /* InterfacesAdded went out */
        bool admin_exported;            /* Credentials1 and Settings1 are on the object */
        sd_bus_track *enrollment_track; /* the caller of the enrollment under way */
} BusLock;

int bus_lock_new(BusContext *context, Lock *l, BusLock **ret);
BusLock *bus_lock_free(BusLock *b);

/* sd-bus fallback plumbing: Lock1 on every lock; Credentials1 and Settings1 on paired locks only. */
int bus_lock_find(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error);
int bus_lock_find_paired(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error);
int bus_lock_enumerate(
        sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error);

/* Builds the reply of a successful call (append to reply); NULL = an empty reply. */
typedef int (*BusReplyBuilder)(Lock *l, const LockOutcome *o, sd_bus_message *reply);

typedef struct BusSubmit {
        LockRequest request;
        bool deadline; /* answer by the method deadline (manager.h), or whenever it is done */
        BusReplyBuilder build;
        bool audit; /* write an audit record (audit.h) of the outcome */
        AuditKind audit_kind;
} BusSubmit;

/* Hand the call m to the lock model; it is answered when the operation is done. Returns 1 (the handler
 * is done for now) or a negative errno with error set when the model refused it at once. */
int bus_lock_submit(BusLock *b, sd_bus_message *m, const BusSubmit *s, sd_bus_error *error);

/* One signal, built by build(m, userdata): to destination (a unique name), or to everyone (NULL). */
typedef int (*BusSignalBuilder)(sd_bus_message *m, void *userdata);
int bus_send_signal(BusContext *c, const char *path, const char *interface, const char *member,
                    const char *destination, BusSignalBuilder build, void *userdata);
/* The signal with details (identities), one copy addressed to each subscriber and to also_to (NULL or
 * a unique name that asked for it, such as an enrollment's caller), once per name. */
void bus_send_signal_details(BusContext *c, const char *path, const char *interface, const char *member,
                             const char *also_to, BusSignalBuilder build, void *userdata);

/* An audit record (audit.h) with the caller of m (uid from the bus driver, and its bus name). */
void bus_audit_call(AuditKind kind, const char *address, sd_bus_message *m, int error);

/* polkit for a call on this lock, with the details rules.d files decide by (dbus/org.ttlock.Lock1.xml):
 * "address", "alias", "object-path", "credential-kind" (credential_kind, or none), and the message the
 * authentication dialog shows. As authz_check(): 1 allowed, 0 asked, < 0 refused. */
int bus_lock_authorize(BusLock *b, sd_bus_message *m, const char *credential_kind, sd_bus_error *error);

/* NotSupported naming what is missing, unless the lock has the feature (lock_has_feature()). */
int bus_lock_require_feature(BusLock *b, unsigned feature, const char *what, sd_bus_error *error);

/* NotSupported naming the missing admin right, when ttlockd holds only an eKey for the lock and the method
 * m needs the admin's login (doc/lockdata.md §4): every method of Credentials1 and Settings1 but those
 * answered from ttlockd's own files (GetHistory, SetCredentialAlias) and CancelEnrollment. */
int bus_lock_require_admin(BusLock *b, sd_bus_message *m, sd_bus_error *error);

/* The checks of an administrative method, in the order every method makes them: the admin right
 * (bus_lock_require_admin()), the lock's feature (NotSupported naming what is missing; bit < 0: none
 * needed), then polkit (authz.h). 1 = go on, 0 = polkit was asked and the handler will run again, < 0 =
 * refused (error set). */
int bus_lock_gate(BusLock *b, sd_bus_message *m, int feature, const char *what, sd_bus_error *error);
