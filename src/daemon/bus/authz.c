/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "log.h"
#include "time-util.h"

/* The default-deny table (dbus/org.ttlock.*.xml names the action of each method). Methods listed with
 * NULL are public reads; anything missing is refused. */
static const struct {
        const char *interface;
        const char *member;
        const char *action;
} table[] = {
        { "org.ttlock.Manager1", "ListLocks", NULL },
        { "org.ttlock.Manager1", "GetLockByAddress", NULL },
        { "org.ttlock.Manager1", "StartDiscovery", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Manager1", "StopDiscovery", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Manager1", "SubscribeDetails", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Manager1", "UnsubscribeDetails", NULL },
        { "org.ttlock.Manager1", "ImportLocks", AUTHZ_ACTION_IMPORT_KEYS },
        { "org.ttlock.Manager1", "ImportLocksUnverified", AUTHZ_ACTION_IMPORT_KEYS },
        { "org.ttlock.Manager1", "ExportLocks", AUTHZ_ACTION_EXPORT_KEYS },
        { "org.ttlock.Manager1", "ReloadConfiguration", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Manager1", "GetDiagnostics", AUTHZ_ACTION_MANAGE },

        { "org.ttlock.Lock1", "Lock", AUTHZ_ACTION_OPERATE },
        { "org.ttlock.Lock1", "Unlock", AUTHZ_ACTION_OPERATE },
        { "org.ttlock.Lock1", "Refresh", AUTHZ_ACTION_OPERATE },
        { "org.ttlock.Lock1", "Pair", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Lock1", "Forget", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Lock1", "FactoryReset", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Lock1", "SetAlias", AUTHZ_ACTION_MANAGE },

        { "org.ttlock.Credentials1", "ListPasscodes", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "AddPasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "AddPasscodeOfKind", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ChangePasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "DeletePasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ClearPasscodes", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ListCards", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "AddCard", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "SetCardValidity", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "DeleteCard", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ClearCards", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ListFingerprints", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "SetFingerprintValidity", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "DeleteFingerprint", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "ClearFingerprints", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "StartCardEnrollment", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "StartFingerprintEnrollment", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "CancelEnrollment", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "SetCredentialAlias", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "AddCyclicPasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "SetCardValidityWithCycles", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Credentials1", "SetFingerprintValidityWithCycles", AUTHZ_ACTION_MANAGE },

        { "org.ttlock.Settings1", "SetAutoLock", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetSound", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetRemoteUnlock", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetTamperAlert", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetPrivacyLock", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetResetButton", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "GetPassageModes", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetPassageModes", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SyncClock", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "GetAdminPasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetAdminPasscode", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "GetHistory", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetPassageModeActive", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetFrozen", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetDoorLeftOpenTime", AUTHZ_ACTION_MANAGE },
        { "org.ttlock.Settings1", "SetConnectionPolicy", AUTHZ_ACTION_MANAGE },
};

typedef enum Verdict {
        VERDICT_PENDING,
        VERDICT_ALLOWED,
        VERDICT_DENIED,
        VERDICT_CHALLENGE, /* polkit would ask for a password */
        VERDICT_ERROR,     /* polkit absent or failing */
} Verdict;

typedef struct Query Query;
struct Query {
        Authz *authz;
        Query *prev, *next;
        sd_bus_message *request; /* the call being authorized; the cache key */
        sd_bus_slot *slot;       /* the CheckAuthorization call in flight */
        char *action;
        Verdict verdict;
        char *detail; /* polkit's error, for the denial message */
        uid_t uid;    /* the caller's, for the cap per user */
        uint64_t answered_usec;
};

struct Authz {
        Query *queries;
        unsigned n_queries;
};

static const char *strna(const char *s) {
        return s ?: "n/a";
}

int authz_lookup(const char *interface, const char *member, const char **ret_action) {
        if (!interface || !member)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(table[i].interface, interface) == 0 && strcmp(table[i].member, member) == 0) {
                        *ret_action = table[i].action;
                        return 1;
                }
        return 0;
}

int authz_new(Authz **ret) {
        Authz *a = calloc(1, sizeof(*a));

        assert(ret);

        if (!a)
                return -ENOMEM;
        *ret = a;
        return 0;
}

static void query_free(Query *q) {
        Authz *a = q->authz;

        if (q->prev)
                q->prev->next = q->next;
        else
                a->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        a->n_queries--;

        sd_bus_slot_unref(q->slot); /* cancels a call still in flight */
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q->detail);
        free(q);
}

Authz *authz_free(Authz *a) {
        if (!a)
                return NULL;
        while (a->queries)
                query_free(a->queries);
        free(a);
        return NULL;
}

unsigned authz_n_queries(const Authz *a) {
        assert(a);

        return a->n_queries;
}

static void prune_stale(Authz *a) {
        uint64_t now = now_monotonic_usec();

        /* A handler that returned early in its second run (the object vanished meanwhile) never
         * collects its verdict; without this the cache would grow with such calls. */
        for (Query *q = a->queries, *next; q; q = next) {
                next = q->next;
                if (q->verdict != VERDICT_PENDING && now - q->answered_usec > AUTHZ_STALE_USEC)
                        query_free(q);
        }
}

static int polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Query *q = userdata;
        const sd_bus_error *e;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->answered_usec = now_monotonic_usec();

        e = sd_bus_message_get_error(reply);
        if (e) {
                /* ServiceUnknown when polkitd is not installed, NoReply when it hangs, … */
                log_debug("polkit CheckAuthorization failed: %s: %s", e->name, e->message ?: "");
                q->verdict = VERDICT_ERROR;
                if (asprintf(&q->detail, "%s", e->message ?: e->name) < 0)
                        q->detail = NULL;
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0) {
                        log_debug_errno(r, "Cannot parse polkit's answer: %m");
                        q->verdict = VERDICT_ERROR;
                        q->detail = strdup("unexpected answer from polkit");
                } else
                        q->verdict = authorized ? VERDICT_ALLOWED
                                : challenge     ? VERDICT_CHALLENGE
                                                : VERDICT_DENIED;
        }

        /* Run the method handler again; it finds this query by its message. */
        r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                log_warning_errno(
                        r,
                        "Cannot re-dispatch %s after authorization: %m",
                        sd_bus_message_get_member(q->request) ?: "call");
                (void) sd_bus_reply_method_errorf(
                        q->request, SD_BUS_ERROR_ACCESS_DENIED, "Authorization could not be completed.");
                query_free(q);
        }
        return 1;
}

static Query *find(Authz *a, sd_bus_message *m) {
        for (Query *q = a->queries; q; q = q->next)
                if (q->request == m)
                        return q;
        return NULL;
}

static int verdict_to_result(Query *q, sd_bus_error *error) {
        Verdict v = q->verdict;
        bool interactive = sd_bus_message_get_allow_interactive_authorization(q->request) > 0;
        _cleanup_free_ char *action = TAKE_PTR(q->action), *detail = TAKE_PTR(q->detail);

        query_free(q);
        switch (v) {
        case VERDICT_ALLOWED:
                return 1;
        case VERDICT_CHALLENGE:
                if (!interactive) {
                        sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                "Authentication is required for %s; call with interactive "
                                "authorization allowed (e.g. busctl --allow-interactive-authorization=yes).",
                                action);
                        return -EACCES;
                }
                /* Interaction was allowed but no agent could resolve it: a plain denial. */
                __attribute__((fallthrough));
        case VERDICT_DENIED:
                sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s.", action);
                return -EACCES;
        case VERDICT_ERROR:
        default:
                sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_ACCESS_DENIED,
                        "Authorization for %s could not be checked (polkit: %s).",
                        action,
                        detail ?: "unavailable");
                return -EACCES;
        }
}

static int sender_uid(sd_bus_message *m, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        /* The bus driver vouches for the EUID (GetConnectionCredentials); no /proc race. */
        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        return sd_bus_creds_get_euid(creds, ret);
}

static unsigned queries_of(const Authz *a, uid_t uid) {
        unsigned n = 0;

        for (const Query *q = a->queries; q; q = q->next)
                n += q->uid == uid;
        return n;
}

/* The a{ss} of CheckAuthorization from a NULL-terminated key, value, key, value… list. */
static int append_details(sd_bus_message *pk, const char *const *details) {
        int r;

        r = sd_bus_message_open_container(pk, 'a', "{ss}");
        for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
                r = sd_bus_message_append(pk, "{ss}", d[0], d[1]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(pk);
}

int authz_check_action(Authz *a, sd_bus_message *m, const char *action, const char *const *details,
                       sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        const char *sender;
        uid_t uid;
        Query *q;
        uint32_t flags;
        int r;

        if (!a || !m || !action) {
                sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized.");
                return -EACCES;
        }

        q = find(a, m);
        if (q) {
                if (q->verdict == VERDICT_PENDING)
                        return 0; /* not expected: the call is only re-queued once polkit answered */
                if (strcmp(q->action, action) != 0) {
                        query_free(q);
                        sd_bus_error_setf(
                                error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s.", action);
                        return -EACCES;
                }
                return verdict_to_result(q, error);
        }

        prune_stale(a);

        sender = sd_bus_message_get_sender(m);
        if (!sender) {
                sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Caller has no bus name.");
                return -EACCES;
        }
        r = sender_uid(m, &uid);
        if (r < 0) {
                sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "The caller's user cannot be told.");
                return -EACCES;
        }
        if (uid == 0)
                return 1;

        /* One user whose polkit agent never answers holds each of its queries for polkit's 25 s: it may
         * fill its own share, never everyone's. */
        if (queries_of(a, uid) >= AUTHZ_PENDING_PER_USER_MAX) {
                sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Too many authorization requests of this user pending.");
                return -EACCES;
        }
        if (a->n_queries >= AUTHZ_PENDING_MAX) {
                sd_bus_error_set(
                        error, SD_BUS_ERROR_ACCESS_DENIED, "Too many authorization requests pending.");
                return -EACCES;
        }

        /* CheckAuthorization(subject (sa{sv}), action_id s, details a{ss}, flags u, cancellation_id s);
         * flag 1 = AllowUserInteraction (polkit's org.freedesktop.PolicyKit1.Authority). */
        flags = sd_bus_message_get_allow_interactive_authorization(m) > 0 ? 1 : 0;
        r = sd_bus_message_new_method_call(
                sd_bus_message_get_bus(m),
                &pk,
                "org.freedesktop.PolicyKit1",
                "/org/freedesktop/PolicyKit1/Authority",
                "org.freedesktop.PolicyKit1.Authority",
                "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(pk, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender, action);
        if (r >= 0)
                r = append_details(pk, details);
        if (r >= 0)
                r = sd_bus_message_append(pk, "us", flags, "");
        if (r < 0)
                goto fail;

        q = calloc(1, sizeof(*q));
        if (!q) {
                r = -ENOMEM;
                goto fail;
        }
        q->action = strdup(action);
        if (!q->action) {
                free(q);
                r = -ENOMEM;
                goto fail;
        }
        q->authz = a;
        q->uid = uid;
        q->request = sd_bus_message_ref(m);
        q->next = a->queries;
        if (a->queries)
                a->queries->prev = q;
        a->queries = q;
        a->n_queries++;

        /* No timeout of our own: the default (25 s) matches what the caller itself waits for. */
        r = sd_bus_call_async(sd_bus_message_get_bus(m), &q->slot, pk, polkit_reply, q, 0);
        if (r < 0) {
                query_free(q);
                goto fail;
        }
        return 0;

fail:
        log_debug_errno(r, "Cannot ask polkit: %m");
        sd_bus_error_setf(
                error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization for %s could not be checked.", action);
        return -EACCES;
}

int authz_check(Authz *a, sd_bus_message *m, const char *const *details, sd_bus_error *error) {
        const char *action = NULL;

        assert(a);

        if (authz_lookup(sd_bus_message_get_interface(m), sd_bus_message_get_member(m), &action) <= 0) {
                /* Default deny: a method nobody put in the table is nobody's to call. */
                sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_ACCESS_DENIED,
                        "%s.%s is not in the authorization table.",
                        strna(sd_bus_message_get_interface(m)),
                        strna(sd_bus_message_get_member(m)));
                return -EACCES;
        }
        if (!action)
                return 1;
        return authz_check_action(a, m, action, details, error);
}
