/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credentials-object.h"
#include "errors.h"
#include "feature-bits.h"
#include "log.h"
#include "macro.h"
#include "ops-credentials.h"
#include "settings-object.h"

#define ALIAS_MAX 256U

typedef struct CredCall CredCall;
struct CredCall {
        LockObject *lock;
        CredAction action;
        CredOp *op;
        sd_bus_message *call; /* NULL for an enrolment: answered when it started */
        CredCall *next;
};

struct CredentialsState {
        CredCall *calls;
        size_t n_calls;
        CredCall *enrol; /* also in calls */
        sd_bus_track *enrol_track;
};

/* ---- shared helpers ------------------------------------------------------------------------- */

int admin_object_find(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **found,
        sd_bus_error *error) {
        void *p = NULL;
        int r;

        r = lock_object_find(bus, path, interface, userdata, &p, error);
        if (r <= 0)
                return r;
        /* dbus-api.md: Credentials1 and Settings1 exist on paired locks only. */
        if (!((LockObject *) p)->record)
                return 0;
        *found = p;
        return 1;
}

int admin_require_feature(LockObject *l, unsigned bit, const char *what, sd_bus_error *error) {
        const TTFeatures *f = &l->record->features;

        if (f->n_groups == 0 || ttlock_features_has(f, bit))
                return 0;
        return sd_bus_error_setf(
                error,
                TTLOCK_ERROR_NOT_SUPPORTED,
                "This lock has no %s (feature \"%s\").",
                what,
                ttlock_feature_name(bit) ?: "?");
}

int admin_status_to_error(const OpStatus *st, sd_bus_error *error) {
        switch (st->error) {
        case -EOPNOTSUPP:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_SUPPORTED, "The lock does not support this.");
        case -ENOENT:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_DOES_NOT_EXIST, "The lock has no such passcode.");
        case -E2BIG:
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_FAILED, "The lock reported more entries than ttlockd accepts.");
        default:
                return lock_object_status_to_error(st, error);
        }
}

int admin_usec_to_lock_time(uint64_t usec, TTDateTime *ret) {
        time_t t = (time_t) (usec / UINT64_C(1000000));
        struct tm tm;

        if (usec / UINT64_C(1000000) > (uint64_t) INT32_MAX * 4 || !localtime_r(&t, &tm))
                return -ERANGE;
        if (tm.tm_year + 1900 < 2000 || tm.tm_year + 1900 > 2099)
                return -ERANGE;
        /* §4.2: the lock keeps local wall-clock time; the fields are what it is given. */
        *ret = (TTDateTime){
                .year = (uint16_t) (tm.tm_year + 1900),
                .month = (uint8_t) (tm.tm_mon + 1),
                .day = (uint8_t) tm.tm_mday,
                .hour = (uint8_t) tm.tm_hour,
                .minute = (uint8_t) tm.tm_min,
                .second = (uint8_t) MIN(tm.tm_sec, 59),
        };
        return 0;
}

/* valid_from/valid_until as dbus-api.md gives them: both 0 = permanent, else an ordered window inside
 * 2000–2099 (what the lock's two-digit years can hold, §4.2). */
static int parse_validity(uint64_t from, uint64_t until, CredRequest *req, sd_bus_error *error) {
        if (from == 0 && until == 0) {
                req->permanent = true;
                return 0;
        }
        if (from == 0 || until == 0)
                return sd_bus_error_set(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec and valid_until_usec must both be 0 (permanent) or both "
                        "be set.");
        if (from >= until)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec (%" PRIu64 ") must be before valid_until_usec (%" PRIu64 ").",
                        from,
                        until);
        if (admin_usec_to_lock_time(from, &req->start) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_from_usec (%" PRIu64
                        ") is outside the years 2000–2099 the lock can "
                        "store.",
                        from);
        if (admin_usec_to_lock_time(until, &req->end) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "valid_until_usec (%" PRIu64
                        ") is outside the years 2000–2099 the lock can "
                        "store.",
                        until);
        req->permanent = false;
        return 0;
}

int admin_parse_passcode(const char *s, const char *name, size_t max, char ret[TTLOCK_PASSCODE_MAX + 1],
                         sd_bus_error *error) {
        size_t n = strlen(s);

        assert(max <= TTLOCK_PASSCODE_MAX);
        if (n < TTLOCK_PASSCODE_ADD_MIN || n > max || strspn(s, "0123456789") != n)
                /* The digits themselves stay out of the message (and so out of logs). */
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "%s must be %d–%zu digits 0–9 (got %zu character(s)).",
                        name,
                        TTLOCK_PASSCODE_ADD_MIN,
                        max,
                        n);
        memcpy(ret, s, n + 1);
        return 0;
}

static int parse_card(const char *s, uint64_t *ret, sd_bus_error *error) {
        TTError e = {};

        if (ttlock_card_number_parse(s, ret, &e) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Card number \"%.32s\" is not a decimal number of 1–20 digits without "
                        "leading zeros within 0…18446744073709551615.",
                        s);
        return 0;
}

static int parse_fingerprint(const char *s, uint64_t *ret, sd_bus_error *error) {
        unsigned long long v;
        char *end = NULL;

        if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15 || (s[0] == '0' && s[1]))
                goto bad;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v > TTLOCK_FINGERPRINT_ID_MAX)
                goto bad;
        *ret = v;
        return 0;
bad:
        return sd_bus_error_setf(
                error,
                SD_BUS_ERROR_INVALID_ARGS,
                "Fingerprint id \"%.32s\" is not a decimal number within 0…%" PRIu64 " (6 bytes).",
                s,
                TTLOCK_FINGERPRINT_ID_MAX);
}

/* ---- state ---------------------------------------------------------------------------------- */

static CredentialsState *state(LockObject *l) {
        if (!l->credentials)
                l->credentials = calloc(1, sizeof(CredentialsState));
        return l->credentials;
}

static void call_free(CredCall *c) {
        CredentialsState *s = c->lock->credentials;

        if (s) {
                for (CredCall **p = &s->calls; *p; p = &(*p)->next)
                        if (*p == c) {
                                *p = c->next;
                                s->n_calls--;
                                break;
                        }
                if (s->enrol == c) {
                        s->enrol = NULL;
                        s->enrol_track = sd_bus_track_unref(s->enrol_track);
                }
        }
        sd_bus_message_unref(c->call);
        free(c);
}

bool credentials_object_busy(LockObject *l) {
        return l->credentials && l->credentials->calls;
}

int credentials_object_refuse_while_enrolling(LockObject *l, sd_bus_error *error) {
        if (!l->credentials || !l->credentials->enrol)
                return 0;
        return sd_bus_error_set(
                error,
                TTLOCK_ERROR_IN_PROGRESS,
                "An enrollment is in progress on this lock; cancel it or wait for it to end.");
}

static const char *enrol_kind(const CredCall *c) {
        return c->action == CRED_CARD_ENROL ? "ic-card" : "fingerprint";
}

static void emit_enrollment(
        LockObject *l, const char *kind, const char *status, unsigned done, unsigned total, const char *id) {
        int r;

        r = sd_bus_emit_signal(
                l->manager->bus,
                l->path,
                CREDENTIALS_INTERFACE,
                "EnrollmentStatus",
                "ssuus",
                kind,
                status,
                (uint32_t) done,
                (uint32_t) total,
                id ?: "");
        if (r < 0)
                log_warning_errno(r, "%s: cannot emit EnrollmentStatus: %m", l->address);
}

void credentials_object_abort(LockObject *l, const char *why) {
        CredentialsState *s = l->credentials;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (!s)
                return;
        (void) sd_bus_error_set(&e, TTLOCK_ERROR_FAILED, why);
        while (s->calls) {
                CredCall *c = s->calls;

                cred_op_cancel(c->op);
                c->op = NULL;
                if (c == s->enrol)
                        emit_enrollment(l, enrol_kind(c), "cancelled", 0, 0, "");
                if (c->call)
                        (void) sd_bus_reply_method_error(c->call, &e);
                call_free(c);
        }
        sd_bus_track_unref(s->enrol_track);
        l->credentials = mfree(l->credentials);
}

void admin_interfaces_changed(LockObject *l, bool added) {
        int r;

        if (!added) {
                /* Forgotten: nothing of ours may outlive the keys. */
                credentials_object_abort(l, "The lock was forgotten.");
                settings_object_abort(l, "The lock was forgotten.");
        }
        if (!l->exported)
                return;
        if (added)
                r = sd_bus_emit_interfaces_added(
                        l->manager->bus, l->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        else
                r = sd_bus_emit_interfaces_removed(
                        l->manager->bus, l->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        if (r < 0)
                log_debug_errno(r, "%s: cannot announce the admin interfaces: %m", l->address);
}

/* ---- replies -------------------------------------------------------------------------------- */

static uint64_t lock_time_usec(const TTDateTime *t) {
        return op_lock_time_to_usec(t);
}

static int append_validity(sd_bus_message *m, const TTDateTime *start, const TTDateTime *end, bool has_end) {
        uint64_t from = 0, until = 0;

        if (!has_end || !cred_window_is_permanent(start, end)) {
                from = lock_time_usec(start);
                until = has_end ? lock_time_usec(end) : 0;
        }
        return sd_bus_message_append(
                m, "{sv}{sv}", "valid-from-usec", "t", from, "valid-until-usec", "t", until);
}

static const char *passcode_kind(const TTPasscodeEntry *e) {
        switch (e->type) {
        case TTLOCK_PASSCODE_PERMANENT:
                return "permanent";
        case TTLOCK_PASSCODE_COUNT:
                return "one-time";
        case TTLOCK_PASSCODE_PERIOD:
                /* A window that spans the lock's whole calendar is the SDK's "permanent" (§4.2). */
                return cred_window_is_permanent(&e->start, &e->end) ? "permanent" : "period";
        case TTLOCK_PASSCODE_CYCLIC:
                return "cyclic";
        default:
                return "unknown";
        }
}

static int build_list(LockObject *l, const CredCall *c, const CredResult *res, sd_bus_message *reply) {
        char id[TTLOCK_CARD_NUMBER_STRLEN];
        const char *alias;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        if (c->action == CRED_PASSCODE_LIST)
                for (size_t i = 0; i < res->n_passcodes; i++) {
                        const TTPasscodeEntry *e = &res->passcodes[i];
                        bool permanent = e->type == TTLOCK_PASSCODE_PERMANENT;

                        alias = lock_record_get_credential_alias(l->record, "passcode", e->code);
                        r = sd_bus_message_open_container(reply, 'a', "{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append(
                                        reply,
                                        "{sv}{sv}",
                                        "code",
                                        "s",
                                        e->code,
                                        "kind",
                                        "s",
                                        passcode_kind(e));
                        if (r >= 0) {
                                if (permanent)
                                        /* §4.3: a permanent code has a start only; from its start on. */
                                        r = sd_bus_message_append(
                                                reply,
                                                "{sv}{sv}",
                                                "valid-from-usec",
                                                "t",
                                                UINT64_C(0),
                                                "valid-until-usec",
                                                "t",
                                                UINT64_C(0));
                                else
                                        r = append_validity(
                                                reply,
                                                &e->start,
                                                &e->end,
                                                e->type == TTLOCK_PASSCODE_COUNT ||
                                                        e->type == TTLOCK_PASSCODE_PERIOD);
                        }
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sv}", "alias", "s", alias ?: "");
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
        else if (c->action == CRED_CARD_LIST)
                for (size_t i = 0; i < res->n_cards; i++) {
                        const TTCardEntry *e = &res->cards[i];

                        (void) ttlock_card_number_format(e->card.number, id);
                        alias = lock_record_get_credential_alias(l->record, "ic-card", id);
                        r = sd_bus_message_open_container(reply, 'a', "{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sv}", "number", "s", id);
                        if (r >= 0)
                                r = append_validity(reply, &e->start, &e->end, true);
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sv}", "alias", "s", alias ?: "");
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
        else
                for (size_t i = 0; i < res->n_fingerprints; i++) {
                        const TTFingerprintEntry *e = &res->fingerprints[i];

                        snprintf(id, sizeof(id), "%" PRIu64, e->id);
                        alias = lock_record_get_credential_alias(l->record, "fingerprint", id);
                        r = sd_bus_message_open_container(reply, 'a', "{sv}");
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sv}", "id", "s", id);
                        if (r >= 0)
                                r = append_validity(reply, &e->start, &e->end, true);
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "{sv}", "alias", "s", alias ?: "");
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
        return sd_bus_message_close_container(reply);
}

static void enrol_done(LockObject *l, CredCall *c, const CredResult *res) {
        char id[TTLOCK_CARD_NUMBER_STRLEN] = "";
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        if (res->status.error >= 0) {
                if (c->action == CRED_CARD_ENROL)
                        (void) ttlock_card_number_format(res->enrolled, id);
                else
                        snprintf(id, sizeof(id), "%" PRIu64, res->enrolled);
                log_info("%s: %s %s enrolled.", l->address, enrol_kind(c), id);
                emit_enrollment(l, enrol_kind(c), "completed", 1, 1, id);
                return;
        }
        if (res->enrol_waiting && res->status.error == -ETIMEDOUT) {
                log_info("%s: %s enrollment timed out.", l->address, enrol_kind(c));
                emit_enrollment(l, enrol_kind(c), "timeout", 0, 0, "");
                return;
        }
        admin_status_to_error(&res->status, &e);
        log_info("%s: %s enrollment failed: %s", l->address, enrol_kind(c), e.message);
        emit_enrollment(l, enrol_kind(c), "failed", 0, 0, "");
}

static void on_cred_progress(const CredProgress *p, void *userdata) {
        CredCall *c = userdata;

        emit_enrollment(c->lock, enrol_kind(c), p->waiting ? "waiting" : "progress", p->done, p->total, "");
}

static void on_cred_done(const CredResult *res, void *userdata) {
        CredCall *c = userdata;
        LockObject *l = c->lock;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        c->op = NULL;
        if (c->action == CRED_CARD_ENROL || c->action == CRED_FINGERPRINT_ENROL) {
                enrol_done(l, c, res);
                call_free(c);
                manager_check_lock(l->manager, l);
                return;
        }

        if (res->status.error < 0) {
                admin_status_to_error(&res->status, &e);
                log_info("%s: credentials operation failed: %s", l->address, e.message);
                (void) sd_bus_reply_method_error(c->call, &e);
        } else {
                r = sd_bus_message_new_method_return(c->call, &reply);
                if (r >= 0 &&
                    (c->action == CRED_PASSCODE_LIST || c->action == CRED_CARD_LIST ||
                     c->action == CRED_FINGERPRINT_LIST))
                        r = build_list(l, c, res, reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        (void) sd_bus_reply_method_errnof(c->call, r, "Cannot send the reply: %m");
        }
        call_free(c);
        manager_check_lock(l->manager, l);
}

static int start_call(sd_bus_message *m, LockObject *l, const CredRequest *req, sd_bus_error *error) {
        CredentialsState *s = state(l);
        CredCall *c;
        OpKeys keys;
        bool enrol;
        int r;

        if (!s)
                return -ENOMEM;
        if (s->n_calls >= CREDENTIALS_CALLS_MAX)
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_IN_PROGRESS, "Too many calls queued for this lock.");
        /* A second enrollment gets its own message (start_enrollment()); anything else would wait for
         * the lock behind the running one, past its caller's patience. */
        if (req->action != CRED_CARD_ENROL && req->action != CRED_FINGERPRINT_ENROL) {
                r = credentials_object_refuse_while_enrolling(l, error);
                if (r < 0)
                        return r;
        }
        c = calloc(1, sizeof(CredCall));
        if (!c)
                return -ENOMEM;
        enrol = req->action == CRED_CARD_ENROL || req->action == CRED_FINGERPRINT_ENROL;
        /* Everything is in place before the operation starts: a link that cannot even try ends it,
         * and calls on_cred_done(), before cred_op_start() returns. c must not be touched after. */
        *c = (CredCall){
                .lock = l,
                .action = req->action,
                .call = enrol ? NULL : sd_bus_message_ref(m),
                .next = s->calls,
        };
        s->calls = c;
        s->n_calls++;
        if (enrol)
                s->enrol = c;

        op_keys_from_record(&keys, l->record);
        r = cred_op_start(l->link, &keys, req, on_cred_progress, on_cred_done, c, &c->op);
        op_keys_wipe(&keys);
        if (r < 0) {
                c->op = NULL;
                call_free(c);
                return r;
        }
        /* An enrolment returns at once (dbus-api.md); its outcome comes as EnrollmentStatus. */
        if (enrol)
                return sd_bus_reply_method_return(m, NULL);
        return 1;
}

/* Arguments checked (by the caller), then features, then polkit; 1 = the handler is done for now. */
static int gate(sd_bus_message *m, LockObject *l, unsigned feature, const char *what, sd_bus_error *error) {
        int r;

        r = admin_require_feature(l, feature, what, error);
        if (r < 0)
                return r;
        r = authz_check(l->manager->authz, m, error);
        if (r < 0)
                return r;
        return r == 0 ? 0 : 1;
}

#define GATE(m, l, feature, what, error)                   \
        do {                                               \
                int _g = gate(m, l, feature, what, error); \
                if (_g <= 0)                               \
                        return _g < 0 ? _g : 1;            \
        } while (0)

/* ---- passcodes ------------------------------------------------------------------------------ */

static int method_list_passcodes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_PASSCODE_LIST }, error);
}

static int method_add_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_PASSCODE_ADD };
        const char *code;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &code, &from, &until);
        if (r < 0)
                return r;
        r = admin_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_ADD_MAX, req.code, error);
        if (r >= 0)
                r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = start_call(m, l, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

/* An extension of dbus-api.md: AddPasscode's fixed signature can only say "permanent" or "period"
 * (§4.3 KeyboardPwdType 1/3); this one names the kind, so one-time (2) and cyclic (4) codes can be made
 * over D-Bus too. */
static int method_add_passcode_of_kind(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        static const struct {
                const char *name;
                uint8_t type;
        } kinds[] = {
                { "permanent", TTLOCK_PASSCODE_PERMANENT },
                { "period", TTLOCK_PASSCODE_PERIOD },
                { "one-time", TTLOCK_PASSCODE_COUNT },
                { "cyclic", TTLOCK_PASSCODE_CYCLIC },
        };
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_PASSCODE_ADD };
        const char *code, *kind;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "sstt", &code, &kind, &from, &until);
        if (r < 0)
                return r;
        r = admin_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_ADD_MAX, req.code, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kind, kinds[i].name) == 0)
                        req.passcode_type = kinds[i].type;
        if (req.passcode_type == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Kind \"%s\" is not one of permanent, period, one-time, cyclic.", kind);
        r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        if (req.permanent != (req.passcode_type == TTLOCK_PASSCODE_PERMANENT))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         req.permanent ? "A %s passcode needs valid_from_usec and valid_until_usec." :
                                                         "A %s passcode takes no validity (0, 0).",
                                         kind);
        if (req.passcode_type == TTLOCK_PASSCODE_CYCLIC)
                GATE(m, l, TTLOCK_FEATURE_CYCLIC_PASSWORD, "cyclic passcodes", error);
        else
                GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = start_call(m, l, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_change_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_PASSCODE_CHANGE };
        const char *code, *new_code;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "sstt", &code, &new_code, &from, &until);
        if (r < 0)
                return r;
        /* The code to change may be any the lock lists (§4.3 allows up to 16 digits there); what
         * we write is a code we could add. */
        r = admin_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_MAX, req.code, error);
        if (r >= 0)
                r = admin_parse_passcode(new_code, "New passcode", TTLOCK_PASSCODE_ADD_MAX, req.new_code, error);
        if (r >= 0)
                r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        /* Both features before polkit: authz_check() runs once per handler run. */
        r = admin_require_feature(l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_MODIFY_PASSCODE, "passcode modification", error);
        r = start_call(m, l, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_delete_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_PASSCODE_DELETE };
        const char *code;
        int r;

        r = sd_bus_message_read(m, "s", &code);
        if (r < 0)
                return r;
        /* Any passcode the lock lists may be deleted (§4.3 allows up to 16 digits there). */
        r = admin_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_MAX, req.code, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = start_call(m, l, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_clear_passcodes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_PASSCODE_CLEAR }, error);
}

/* ---- cards ---------------------------------------------------------------------------------- */

static int method_list_cards(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_IC, "IC card reader", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_CARD_LIST }, error);
}

static int card_with_validity(sd_bus_message *m, LockObject *l, CredAction action, sd_bus_error *error) {
        CredRequest req = { .action = action };
        const char *number;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &number, &from, &until);
        if (r < 0)
                return r;
        r = parse_card(number, &req.number, error);
        if (r >= 0)
                r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_IC, "IC card reader", error);
        return start_call(m, l, &req, error);
}

static int method_add_card(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return card_with_validity(m, userdata, CRED_CARD_ADD, error);
}

static int method_set_card_validity(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return card_with_validity(m, userdata, CRED_CARD_MODIFY, error);
}

static int method_delete_card(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_CARD_DELETE };
        const char *number;
        int r;

        r = sd_bus_message_read(m, "s", &number);
        if (r < 0)
                return r;
        r = parse_card(number, &req.number, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_IC, "IC card reader", error);
        return start_call(m, l, &req, error);
}

static int method_clear_cards(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_IC, "IC card reader", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_CARD_CLEAR }, error);
}

/* ---- fingerprints --------------------------------------------------------------------------- */

static int method_list_fingerprints(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_FINGERPRINT_LIST }, error);
}

static int method_set_fingerprint_validity(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_FINGERPRINT_MODIFY };
        const char *id;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &id, &from, &until);
        if (r < 0)
                return r;
        r = parse_fingerprint(id, &req.number, error);
        if (r >= 0)
                r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return start_call(m, l, &req, error);
}

static int method_delete_fingerprint(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        CredRequest req = { .action = CRED_FINGERPRINT_DELETE };
        const char *id;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        r = parse_fingerprint(id, &req.number, error);
        if (r < 0)
                return r;
        GATE(m, l, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return start_call(m, l, &req, error);
}

static int method_clear_fingerprints(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;

        GATE(m, l, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return start_call(m, l, &(CredRequest){ .action = CRED_FINGERPRINT_CLEAR }, error);
}

/* ---- enrolment ------------------------------------------------------------------------------ */

static uint64_t enrollment_timeout_usec(void) {
        const char *e = getenv("TTLOCKD_ENROLLMENT_TIMEOUT_SEC");
        unsigned long v;
        char *end = NULL;

        /* For tests and slow hands; bounded so that a typo cannot hold a lock for ever. */
        if (e && *e) {
                errno = 0;
                v = strtoul(e, &end, 10);
                if (errno == 0 && end && !*end && v >= 1 && v <= 600)
                        return (uint64_t) v * UINT64_C(1000000);
                log_warning("Ignoring TTLOCKD_ENROLLMENT_TIMEOUT_SEC=%s (expected 1…600).", e);
        }
        return CREDENTIALS_ENROLLMENT_TIMEOUT_USEC_DEFAULT;
}

static void enrol_cancel(LockObject *l, const char *status) {
        CredentialsState *s = l->credentials;
        CredCall *c;

        if (!s || !s->enrol)
                return;
        c = s->enrol;
        cred_op_cancel(c->op);
        c->op = NULL;
        log_info("%s: %s enrollment %s.", l->address, enrol_kind(c), status);
        emit_enrollment(l, enrol_kind(c), status, 0, 0, "");
        call_free(c);
        manager_check_lock(l->manager, l);
}

static int on_enrol_owner_gone(sd_bus_track *t, void *userdata) {
        LockObject *l = userdata;

        /* conventions.md: an enrollment is cancelled when its caller leaves the bus. */
        enrol_cancel(l, "cancelled");
        return 0;
}

static int start_enrollment(sd_bus_message *m, LockObject *l, CredAction action, sd_bus_error *error) {
        CredRequest req = { .action = action };
        CredentialsState *s;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "tt", &from, &until);
        if (r < 0)
                return r;
        r = parse_validity(from, until, &req, error);
        if (r < 0)
                return r;
        if (action == CRED_CARD_ENROL)
                GATE(m, l, TTLOCK_FEATURE_IC, "IC card reader", error);
        else
                GATE(m, l, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);

        s = state(l);
        if (!s)
                return -ENOMEM;
        if (s->enrol)
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_IN_PROGRESS,
                        "An enrollment is already in progress on this lock.");
        req.enrol_timeout_usec = enrollment_timeout_usec();

        r = sd_bus_track_new(l->manager->bus, &s->enrol_track, on_enrol_owner_gone, l);
        if (r >= 0)
                r = sd_bus_track_add_sender(s->enrol_track, m);
        if (r < 0) {
                s->enrol_track = sd_bus_track_unref(s->enrol_track);
                return r;
        }
        r = start_call(m, l, &req, error);
        if (r < 0 || !s->enrol)
                s->enrol_track = sd_bus_track_unref(s->enrol_track);
        return r;
}

static int method_start_card_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return start_enrollment(m, userdata, CRED_CARD_ENROL, error);
}

static int method_start_fingerprint_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return start_enrollment(m, userdata, CRED_FINGERPRINT_ENROL, error);
}

static int method_cancel_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int r;

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!l->credentials || !l->credentials->enrol)
                return sd_bus_error_set(error, TTLOCK_ERROR_DOES_NOT_EXIST, "No enrollment is in progress.");
        enrol_cancel(l, "cancelled");
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- aliases -------------------------------------------------------------------------------- */

static int method_set_credential_alias(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        char id[TTLOCK_PASSCODE_MAX + TTLOCK_CARD_NUMBER_STRLEN] = "";
        _cleanup_free_ char *old_copy = NULL;
        const char *kind, *raw, *alias, *old;
        unsigned feature;
        uint64_t v;
        int r;

        r = sd_bus_message_read(m, "sss", &kind, &raw, &alias);
        if (r < 0)
                return r;
        if (strcmp(kind, "passcode") == 0) {
                r = admin_parse_passcode(raw, "A passcode id", TTLOCK_PASSCODE_MAX, id, error);
                if (r < 0)
                        return r;
                feature = TTLOCK_FEATURE_PASSCODE;
        } else if (strcmp(kind, "ic-card") == 0) {
                r = parse_card(raw, &v, error);
                if (r < 0)
                        return r;
                (void) ttlock_card_number_format(v, id);
                feature = TTLOCK_FEATURE_IC;
        } else if (strcmp(kind, "fingerprint") == 0) {
                r = parse_fingerprint(raw, &v, error);
                if (r < 0)
                        return r;
                snprintf(id, sizeof(id), "%" PRIu64, v);
                feature = TTLOCK_FEATURE_FINGER_PRINT;
        } else
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Kind \"%.32s\" is not one of passcode, ic-card, fingerprint.",
                        kind);
        if (strlen(alias) > ALIAS_MAX)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Alias is %zu bytes long; at most %u are allowed.",
                        strlen(alias),
                        ALIAS_MAX);
        for (const char *p = alias; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7F)
                        return sd_bus_error_set(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Alias must not contain control characters.");

        GATE(m, l, feature, kind, error);
        old = lock_record_get_credential_alias(l->record, kind, id);
        if (old) {
                old_copy = strdup(old);
                if (!old_copy) {
                        erase_memory(id, sizeof(id));
                        return -ENOMEM;
                }
        }
        r = lock_record_set_credential_alias(l->record, kind, id, alias);
        if (r < 0) {
                erase_memory(id, sizeof(id));
                if (r == -E2BIG || r == -ENOSPC)
                        return sd_bus_error_set(
                                error, TTLOCK_ERROR_FAILED, "Too many aliases for this lock.");
                return r;
        }
        r = store_save(l->manager->store, l->record);
        /* What is not on disk is not kept either: the List methods and Event must not show an alias
         * that the next start would not know. */
        if (r < 0)
                (void) lock_record_set_credential_alias(l->record, kind, id, old_copy ?: "");
        erase_memory(id, sizeof(id));
        if (r == -EFBIG)
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_FAILED,
                        "Too many aliases for this lock: they no longer fit its file.");
        if (r < 0)
                return ttlockd_error_set_errnof(error, r, "Cannot save the alias: %s", strerror(-r));
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- object --------------------------------------------------------------------------------- */

const sd_bus_vtable credentials_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES(
                "ListPasscodes",
                "",
                ,
                "aa{sv}",
                SD_BUS_PARAM(passcodes),
                method_list_passcodes,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "AddPasscode",
                "stt",
                SD_BUS_PARAM(code) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_add_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "AddPasscodeOfKind",
                "sstt",
                SD_BUS_PARAM(code) SD_BUS_PARAM(kind) SD_BUS_PARAM(valid_from_usec)
                        SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_add_passcode_of_kind,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "ChangePasscode",
                "sstt",
                SD_BUS_PARAM(code) SD_BUS_PARAM(new_code) SD_BUS_PARAM(valid_from_usec)
                        SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_change_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "DeletePasscode",
                "s",
                SD_BUS_PARAM(code),
                "",
                ,
                method_delete_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ClearPasscodes", "", "", method_clear_passcodes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "ListCards",
                "",
                ,
                "aa{sv}",
                SD_BUS_PARAM(cards),
                method_list_cards,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "AddCard",
                "stt",
                SD_BUS_PARAM(number) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_add_card,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetCardValidity",
                "stt",
                SD_BUS_PARAM(number) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_set_card_validity,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "DeleteCard",
                "s",
                SD_BUS_PARAM(number),
                "",
                ,
                method_delete_card,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ClearCards", "", "", method_clear_cards, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "ListFingerprints",
                "",
                ,
                "aa{sv}",
                SD_BUS_PARAM(fingerprints),
                method_list_fingerprints,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetFingerprintValidity",
                "stt",
                SD_BUS_PARAM(id) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_set_fingerprint_validity,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "DeleteFingerprint",
                "s",
                SD_BUS_PARAM(id),
                "",
                ,
                method_delete_fingerprint,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ClearFingerprints", "", "", method_clear_fingerprints, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "StartCardEnrollment",
                "tt",
                SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_start_card_enrollment,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "StartFingerprintEnrollment",
                "tt",
                SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec),
                "",
                ,
                method_start_fingerprint_enrollment,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CancelEnrollment", "", "", method_cancel_enrollment, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetCredentialAlias",
                "sss",
                SD_BUS_PARAM(kind) SD_BUS_PARAM(id) SD_BUS_PARAM(alias),
                "",
                ,
                method_set_credential_alias,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES(
                "EnrollmentStatus",
                "ssuus",
                SD_BUS_PARAM(kind) SD_BUS_PARAM(status) SD_BUS_PARAM(done) SD_BUS_PARAM(total)
                        SD_BUS_PARAM(id),
                0),
        SD_BUS_VTABLE_END,
};

int credentials_object_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(
                m->bus,
                NULL,
                LOCK_PATH_PREFIX,
                CREDENTIALS_INTERFACE,
                credentials_vtable,
                admin_object_find,
                m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the Credentials1 objects: %m");
        return 0;
}
