/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Security events as structured journal records (lock, unlock, pair, key removed, as systemd-timedated
 * and bolt record theirs). Each kind has a fixed MESSAGE_ID so that
 * `journalctl MESSAGE_ID=…` finds them; fields: LOCK_ADDRESS, TTLOCK_OPERATION, TTLOCK_RESULT
 * (ok|failed), ERRNO on failure, CALLER_UID / CALLER_BUS_NAME when a D-Bus caller asked for it.
 * Never any key material: callers pass addresses and errnos only. */

#include <sys/types.h>
#include <systemd/sd-id128.h>

#define AUDIT_MESSAGE_ID_PAIR SD_ID128_MAKE(bb, b8, 03, 39, d8, 34, 4c, 8f, aa, ae, 82, 43, 99, 8c, 66, c3)
#define AUDIT_MESSAGE_ID_UNLOCK SD_ID128_MAKE(ff, 87, 86, 13, 06, 5a, 45, 80, 95, e6, ca, f4, 80, 68, 85, 73)
#define AUDIT_MESSAGE_ID_LOCK SD_ID128_MAKE(81, 25, 3f, e6, 49, 86, 4d, e3, 9e, af, bb, eb, d2, 97, c8, 54)
#define AUDIT_MESSAGE_ID_FORGET SD_ID128_MAKE(9b, 1d, c9, 3e, 3e, b2, 46, fd, b2, b7, 07, db, 3c, fb, 16, 6d)
#define AUDIT_MESSAGE_ID_RESET SD_ID128_MAKE(94, 34, 3d, a9, b5, f6, 45, 37, 80, f0, 65, 19, 84, dc, f6, cb)
#define AUDIT_MESSAGE_ID_IMPORT SD_ID128_MAKE(51, 83, 8c, ca, 68, 1c, 49, 0e, a5, 34, 31, 67, 89, 3d, 26, 86)
#define AUDIT_MESSAGE_ID_EXPORT SD_ID128_MAKE(f8, eb, 88, ad, bc, b3, 48, a2, b0, 42, 42, 6c, 4f, 27, cb, 64)

typedef enum AuditKind {
        AUDIT_PAIR,
        AUDIT_UNLOCK,
        AUDIT_LOCK,
        AUDIT_FORGET,
        AUDIT_RESET,
        AUDIT_IMPORT, /* keys from elsewhere kept (Manager1.ImportLocks) */
        AUDIT_EXPORT, /* keys handed out (Manager1.ExportLocks) */
        _AUDIT_KIND_MAX,
} AuditKind;

const char *audit_kind_to_string(AuditKind k); /* "pair", "unlock", … */
sd_id128_t audit_kind_message_id(AuditKind k);

/* Send one record. uid (uid_t) -1 and sender NULL = not asked for over the bus (e.g. a keypad
 * unlock found in the lock's log). error: 0 = the operation succeeded, else the negative errno.
 * Returns sd_journal_send()'s result; callers usually ignore it (no journal is not a failure). */
int audit_log(AuditKind kind, const char *address, uid_t uid, const char *sender, int error);
