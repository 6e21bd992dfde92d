/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "config.h"
#include "bus-lock-object.h"
#include "feature-bits.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

int bus_lock_new(BusContext *context, Lock *l, BusLock **ret) {
        BusLock *b;
        int r;

        assert(context);
        assert(l);
        assert(ret);
        b = calloc(1, sizeof(BusLock));
        if (!b)
                return -ENOMEM;
        b->context = context;
        b->lock = l;
        r = lock_path_from_address(l->address, b->path);
        if (r < 0) {
                free(b);
                return r;
        }
        *ret = b;
        return 0;
}

BusLock *bus_lock_free(BusLock *b) {
        if (!b)
                return NULL;
        sd_bus_track_unref(b->enrollment_track);
        free(b);
        return NULL;
}

static BusLock *find(void *userdata, const char *path) {
        BusContext *c = userdata;
        char address[BT_ADDRESS_SIZE];
        Lock *l;

        if (lock_path_to_address(path, address) < 0)
                return NULL;
        l = manager_find_lock(c->manager, address);
        return l ? l->observer_data : NULL;
}

int bus_lock_find(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error) {
        BusLock *b = find(userdata, path);

        assert(bus);

        if (!b)
                return 0;
        *found = b;
        return 1;
}

int bus_lock_find_paired(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error) {
        BusLock *b = find(userdata, path);

        assert(bus);

        /* Credentials1 and Settings1 exist on paired locks only (dbus/org.ttlock.Credentials1.xml). */
        if (!b || !b->lock->record)
                return 0;
        *found = b;
        return 1;
}

int bus_lock_enumerate(
        sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        BusContext *c = userdata;
        char **v;
        size_t i = 0;

        assert(bus);

        v = calloc(c->manager->n_locks + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (Lock *l = c->manager->locks; l; l = l->next) {
                BusLock *b = l->observer_data;

                if (!b)
                        continue;
                v[i] = strdup(b->path);
                if (!v[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return -ENOMEM;
                }
                i++;
        }
        *ret_nodes = v;
        return 0;
}

int bus_send_signal(BusContext *c, const char *path, const char *interface, const char *member,
                    const char *destination, BusSignalBuilder build, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        assert(c);
        r = sd_bus_message_new_signal(c->bus, &m, path, interface, member);
        if (r >= 0 && destination)
                r = sd_bus_message_set_destination(m, destination);
        if (r >= 0)
                r = build(m, userdata);
        if (r >= 0)
                r = sd_bus_send(c->bus, m, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot emit %s.%s on %s: %m", interface, member, path);
        return r;
}

void bus_send_signal_details(BusContext *c, const char *path, const char *interface, const char *member,
                             const char *also_to, BusSignalBuilder build, void *userdata) {
        bool also_sent = false;

        assert(c);
        for (const char *n = sd_bus_track_first(c->detail_subscribers); n;
             n = sd_bus_track_next(c->detail_subscribers)) {
                also_sent = also_sent || streq_ptr(n, also_to);
                (void) bus_send_signal(c, path, interface, member, n, build, userdata);
        }
        if (also_to && !also_sent)
                (void) bus_send_signal(c, path, interface, member, also_to, build, userdata);
}

uid_t bus_caller_uid(sd_bus_message *m) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;

        /* The bus driver vouches for the EUID (GetConnectionCredentials); no /proc race. It can only
         * answer while the caller is still on the bus. */
        if (m && sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds) >= 0)
                (void) sd_bus_creds_get_euid(creds, &uid);
        return uid;
}

void bus_audit_call(AuditKind kind, const char *address, sd_bus_message *m, int error) {
        (void) audit_log(kind, address, bus_caller_uid(m), m ? sd_bus_message_get_sender(m) : NULL, error);
}

/* One call waiting for its lock. It does not point at the BusLock, which may go before the answer. */
typedef struct BusCall {
        sd_bus_message *message;
        BusReplyBuilder build;
        bool audit;
        AuditKind audit_kind;
        uid_t caller_uid; /* asked when the call came: the caller may have left by the answer */
} BusCall;

static void on_call_done(Lock *l, const LockOutcome *o, void *userdata) {
        BusCall *c = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (o->status.error < 0) {
                bus_error_from_status(&o->status, l->address, &e);
                log_info("%s: %s failed: %s", l->address, sd_bus_message_get_member(c->message), e.message);
                (void) sd_bus_reply_method_error(c->message, &e);
        } else {
                r = sd_bus_message_new_method_return(c->message, &reply);
                if (r >= 0 && c->build)
                        r = c->build(l, o, reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        (void) sd_bus_reply_method_errnof(c->message, r, "Cannot send the reply: %m");
        }
        if (c->audit)
                (void) audit_log(c->audit_kind,
                                 l->address,
                                 c->caller_uid,
                                 sd_bus_message_get_sender(c->message),
                                 o->status.error);
        sd_bus_message_unref(c->message);
        free(c);
}

int bus_lock_submit(BusLock *b, sd_bus_message *m, const BusSubmit *s, sd_bus_error *error) {
        Lock *l = b->lock;
        OpStatus st;
        BusCall *c;
        int r;

        assert(b);

        c = calloc(1, sizeof(BusCall));
        if (!c)
                return -ENOMEM;
        *c = (BusCall){
                .message = sd_bus_message_ref(m),
                .build = s->build,
                .audit = s->audit,
                .audit_kind = s->audit_kind,
                .caller_uid = s->audit ? bus_caller_uid(m) : (uid_t) -1,
        };
        r = lock_submit(
                l,
                &s->request,
                s->deadline ? b->context->manager->method_deadline_usec : 0,
                on_call_done,
                c,
                &st);
        if (r < 0) {
                sd_bus_message_unref(c->message);
                free(c);
                if (st.error < 0 || st.refusal != OP_REFUSAL_NONE)
                        return bus_error_from_status(&st, l->address, error);
                return r;
        }
        return 1;
}

int bus_lock_require_feature(BusLock *b, unsigned feature, const char *what, sd_bus_error *error) {
        assert(b);

        if (lock_has_feature(b->lock, feature))
                return 0;
        return sd_bus_error_setf(
                error,
                TTLOCK_ERROR_NOT_SUPPORTED,
                "This lock has no %s (feature \"%s\").",
                what,
                ttlock_feature_name(feature) ?: "?");
}

int bus_lock_authorize(BusLock *b, sd_bus_message *m, const char *credential_kind, sd_bus_error *error) {
        const char *action = NULL, *message;
        const char *details[16];
        size_t n = 0;

        assert(b);
        (void) authz_lookup(sd_bus_message_get_interface(m), sd_bus_message_get_member(m), &action);
        /* polkit's details (polkit(8)): rules.d files decide per lock with action.lookup("address"), and
         * the dialog names the lock ($(alias) and $(address) are filled in by polkit). */
        message = streq_ptr(action, AUTHZ_ACTION_OPERATE) ?
                N_("Authentication is required to lock or unlock the door lock “$(alias)” ($(address)).") :
                N_("Authentication is required to manage the door lock “$(alias)” ($(address)).");
        details[n++] = "address";
        details[n++] = b->lock->address;
        details[n++] = "alias";
        details[n++] = lock_alias(b->lock);
        details[n++] = "object-path";
        details[n++] = b->path;
        if (credential_kind) {
                details[n++] = "credential-kind";
                details[n++] = credential_kind;
        }
        details[n++] = "polkit.message";
        details[n++] = message;
        details[n++] = "polkit.gettext_domain";
        details[n++] = GETTEXT_PACKAGE;
        details[n] = NULL;
        assert(n < ELEMENTSOF(details));
        return authz_check(b->context->authz, m, details, error);
}

/* The kind of credential a Credentials1 method handles, from the feature it needs. */
static const char *credential_kind_of(sd_bus_message *m, int feature) {
        if (!streq_ptr(sd_bus_message_get_interface(m), "org.ttlock.Credentials1"))
                return NULL;
        switch (feature) {
        case TTLOCK_FEATURE_PASSCODE:
        case TTLOCK_FEATURE_CYCLIC_PASSWORD:
        case TTLOCK_FEATURE_MODIFY_PASSCODE:
                return "passcode";
        case TTLOCK_FEATURE_IC:
                return "ic-card";
        case TTLOCK_FEATURE_FINGER_PRINT:
                return "fingerprint";
        default:
                return NULL;
        }
}

/* What ttlockd answers from its own files (the event archive, the user's names) or ends by itself needs
 * no right of the lock's; everything else on Credentials1 and Settings1 goes through CHECK_ADMIN. */
static bool method_needs_admin(sd_bus_message *m) {
        static const char *const local[] = { "GetHistory", "SetCredentialAlias", "CancelEnrollment",
                                             "SetConnectionPolicy" };
        const char *member = sd_bus_message_get_member(m);

        for (size_t i = 0; i < ELEMENTSOF(local); i++)
                if (streq_ptr(member, local[i]))
                        return false;
        return true;
}

int bus_lock_require_admin(BusLock *b, sd_bus_message *m, sd_bus_error *error) {
        assert(b);

        if (!lock_is_user(b->lock) || !method_needs_admin(m))
                return 0;
        return sd_bus_error_setf(
                error,
                TTLOCK_ERROR_NOT_SUPPORTED,
                "%s needs the admin right of lock %s (its admin password, adminPwd). ttlockd holds an eKey "
                "for "
                "it, which opens and closes it and reads its log, and nothing more.",
                strempty_or(sd_bus_message_get_member(m)),
                b->lock->address);
}

int bus_lock_gate(BusLock *b, sd_bus_message *m, int feature, const char *what, sd_bus_error *error) {
        int r;

        assert(b);

        r = bus_lock_require_admin(b, m, error);
        if (r < 0)
                return r;
        if (feature >= 0) {
                r = bus_lock_require_feature(b, (unsigned) feature, what, error);
                if (r < 0)
                        return r;
        }
        r = bus_lock_authorize(b, m, credential_kind_of(m, feature), error);
        if (r < 0)
                return r;
        return r == 0 ? 0 : 1;
}
