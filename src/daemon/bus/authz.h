/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The polkit bouncer (HACKING.md "sd-bus and polkit"; the pattern of systemd's
 * bus_verify_polkit_async() and bolt's bolt-bouncer, written for ttlockd):
 *
 *  - one default-deny table: D-Bus method → polkit action; a method not in it is denied;
 *  - CheckAuthorization on org.freedesktop.PolicyKit1 with subject ("system-bus-name",
 *    {"name": sender}), the details the caller gives (which lock), AllowUserInteraction iff the call carries the
 *    allow-interactive-authorization flag, sent with sd_bus_call_async();
 *  - when polkit answers, the original call is put back into the bus's read queue
 *    (sd_bus_enqueue_for_read()) so the method handler runs a second time and finds the verdict in a
 *    per-message cache;
 *  - polkit absent or failing = AccessDenied; a challenge on a call that did not allow interaction =
 *    InteractiveAuthorizationRequired. A caller with euid 0 is allowed without asking (polkit
 *    would say yes anyway; this keeps root working when polkit is down).
 *
 * In a method handler, after validating the arguments (both runs must see the same outcome):
 *
 *         r = authz_check(m->authz, message, error);
 *         if (r < 0)
 *                 return r;          // denied, error set
 *         if (r == 0)
 *                 return 1;          // asked polkit; the handler runs again with the answer
 *         … do the work …
 *
 * Every guarded vtable entry needs SD_BUS_VTABLE_UNPRIVILEGED, or sd-bus refuses callers without
 * CAP_SYS_ADMIN before we are asked. */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "time-util.h"

#define AUTHZ_ACTION_OPERATE "org.ttlock.operate"
#define AUTHZ_ACTION_MANAGE "org.ttlock.manage"
/* Keys in and out (Manager1.ImportLocks, ExportLocks): auth_admin every time, never kept. */
#define AUTHZ_ACTION_IMPORT_KEYS "org.ttlock.import-keys"
#define AUTHZ_ACTION_EXPORT_KEYS "org.ttlock.export-keys"

/* A bound on what callers can make us hold. Each pending query is a call of ours in flight on the bus,
 * and dbus-daemon lets one connection have only max_replies_per_connection of those (128 on the system
 * bus, dbus-daemon(1)): with all of them taken by polkit questions, every call to BlueZ failed and no
 * lock could be reached, root's calls included. Half is left for the rest. */
#define AUTHZ_PENDING_MAX 64U
#define AUTHZ_PENDING_PER_USER_MAX 16U   /* … and on one user's share of it */
#define AUTHZ_STALE_USEC USEC_PER_MINUTE /* an answered query nobody picked up is dropped after this */

typedef struct Authz Authz;

int authz_new(Authz **ret);
Authz *authz_free(Authz *a); /* cancels pending CheckAuthorization calls */
DEFINE_TRIVIAL_CLEANUP_FUNC(Authz *, authz_free);

/* The table. Returns 1 and the action in *ret_action (NULL = public, no check) for a known method,
 * 0 for a method not in the table (= denied). */
int authz_lookup(const char *interface, const char *member, const char **ret_action);

/* Check the method call m against the table: 1 = allowed, 0 = pending, < 0 = denied (error set).
 * details: NULL, or key, value, key, value, …, NULL — polkit's details of the check, which rules.d
 * files read with action.lookup(key), and "polkit.message" for the authentication dialog. */
int authz_check(Authz *a, sd_bus_message *m, const char *const *details, sd_bus_error *error);
/* Same with an explicit action (non-NULL). */
int authz_check_action(Authz *a, sd_bus_message *m, const char *action, const char *const *details,
                       sd_bus_error *error);

/* Queries waiting for polkit or for their handler's second run (for tests and the debug log). */
unsigned authz_n_queries(const Authz *a);
