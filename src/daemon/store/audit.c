/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "macro.h"

static const char *const kind_table[_AUDIT_KIND_MAX] = {
        [AUDIT_PAIR] = "pair",     [AUDIT_UNLOCK] = "unlock", [AUDIT_LOCK] = "lock",
        [AUDIT_FORGET] = "forget", [AUDIT_RESET] = "reset",   [AUDIT_IMPORT] = "import",
        [AUDIT_EXPORT] = "export",
};

static const char *const verb_table[_AUDIT_KIND_MAX] = {
        [AUDIT_PAIR] = "Paired with lock",
        [AUDIT_UNLOCK] = "Unlocked lock",
        [AUDIT_LOCK] = "Locked lock",
        [AUDIT_FORGET] = "Forgot the keys of lock",
        [AUDIT_RESET] = "Factory-reset lock",
        [AUDIT_IMPORT] = "Imported the keys of lock",
        [AUDIT_EXPORT] = "Exported the keys of lock",
};

const char *audit_kind_to_string(AuditKind k) {
        return k >= 0 && k < _AUDIT_KIND_MAX ? kind_table[k] : NULL;
}

sd_id128_t audit_kind_message_id(AuditKind k) {
        switch (k) {
        case AUDIT_PAIR:
                return AUDIT_MESSAGE_ID_PAIR;
        case AUDIT_UNLOCK:
                return AUDIT_MESSAGE_ID_UNLOCK;
        case AUDIT_LOCK:
                return AUDIT_MESSAGE_ID_LOCK;
        case AUDIT_FORGET:
                return AUDIT_MESSAGE_ID_FORGET;
        case AUDIT_RESET:
                return AUDIT_MESSAGE_ID_RESET;
        case AUDIT_IMPORT:
                return AUDIT_MESSAGE_ID_IMPORT;
        case AUDIT_EXPORT:
                return AUDIT_MESSAGE_ID_EXPORT;
        default:
                return SD_ID128_NULL;
        }
}

int audit_log(AuditKind kind, const char *address, uid_t uid, const char *sender, int error) {
        char mid[SD_ID128_STRING_MAX];
        char f_mid[64], f_prio[16], f_msg[512], f_addr[64], f_op[48], f_res[32], f_uid[48], f_sender[300],
                f_errno[32];
        struct iovec iov[9];
        const char *what = audit_kind_to_string(kind);
        size_t n = 0;
        int e = abs(error);

        if (!what || !address)
                return -EINVAL;

#define ADD(buf, ...)                                                                 \
        do {                                                                          \
                snprintf(buf, sizeof(buf), __VA_ARGS__);                              \
                iov[n++] = (struct iovec){ .iov_base = buf, .iov_len = strlen(buf) }; \
        } while (0)

        ADD(f_mid, "MESSAGE_ID=%s", sd_id128_to_string(audit_kind_message_id(kind), mid));
        ADD(f_prio, "PRIORITY=%i", e == 0 ? LOG_NOTICE : LOG_WARNING);
        if (uid != (uid_t) -1)
                ADD(f_msg,
                    "MESSAGE=%s%s %s (uid %u)%s%s",
                    e == 0 ? "" : "Failed: ",
                    verb_table[kind],
                    address,
                    (unsigned) uid,
                    e == 0 ? "" : ": ",
                    e == 0 ? "" : strerror(e));
        else
                ADD(f_msg,
                    "MESSAGE=%s%s %s%s%s",
                    e == 0 ? "" : "Failed: ",
                    verb_table[kind],
                    address,
                    e == 0 ? "" : ": ",
                    e == 0 ? "" : strerror(e));
        ADD(f_addr, "LOCK_ADDRESS=%s", address);
        ADD(f_op, "TTLOCK_OPERATION=%s", what);
        ADD(f_res, "TTLOCK_RESULT=%s", e == 0 ? "ok" : "failed");
        if (uid != (uid_t) -1)
                ADD(f_uid, "CALLER_UID=%u", (unsigned) uid);
        if (sender)
                ADD(f_sender, "CALLER_BUS_NAME=%s", sender);
        if (e != 0)
                ADD(f_errno, "ERRNO=%d", e);
#undef ADD

        return sd_journal_sendv(iov, (int) n);
}
