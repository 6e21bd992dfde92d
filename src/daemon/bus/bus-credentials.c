/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-args.h"
#include "bus-credentials.h"
#include "bus-errors.h"
#include "feature-bits.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

/* ---- replies -------------------------------------------------------------------------------- */

static int append_validity(sd_bus_message *m, const TTDateTime *start, const TTDateTime *end, bool has_end) {
        uint64_t from = 0, until = 0;

        if (!has_end || !cred_window_is_permanent(start, end)) {
                from = op_lock_time_to_usec(start);
                until = has_end ? op_lock_time_to_usec(end) : 0;
        }
        return sd_bus_message_append(
                m, "{sv}{sv}", "valid-from-usec", "t", from, "valid-until-usec", "t", until);
}

/* "cycles": the weekly windows ttlockd gave the credential (cred-record.h), grouped as they are given,
 * one entry per window with its weekdays (dbus/org.ttlock.Credentials1.xml "Cycles"). */
static int append_cycles(sd_bus_message *m, const TTCycle *c, size_t n) {
        bool done[TTLOCK_CYCLES_MAX] = {};
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', "cycles");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "aa{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                uint8_t days[TTLOCK_CYCLES_MAX];
                size_t k = 0;

                if (done[i])
                        continue;
                for (size_t j = i; j < n; j++)
                        if (!done[j] && c[j].start_minute == c[i].start_minute &&
                            c[j].end_minute == c[i].end_minute) {
                                days[k++] = c[j].weekday;
                                done[j] = true;
                        }
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', "weekdays");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "ay");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', days, k);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "{sv}{sv}", "start-minute", "q", c[i].start_minute,
                                                  "end-minute", "q", c[i].end_minute);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_cycles_of(sd_bus_message *m, Lock *l, const char *kind, const char *id) {
        const TTCycle *c;
        size_t n;

        c = lock_record_get_credential_cycles(l->record, kind, id, &n);
        return n > 0 ? append_cycles(m, c, n) : 0;
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

static int build_list(Lock *l, CredAction action, const CredResult *res, sd_bus_message *reply) {
        char id[TTLOCK_CARD_NUMBER_STRLEN];
        const char *alias;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        if (action == CRED_PASSCODE_LIST)
                for (size_t i = 0; i < res->n_passcodes; i++) {
                        const TTPasscodeEntry *e = &res->passcodes[i];
                        bool permanent = e->type == TTLOCK_PASSCODE_PERMANENT;

                        size_t n_cycles;

                        alias = lock_record_get_credential_alias(l->record, "passcode", e->code);
                        (void) lock_record_get_credential_cycles(l->record, "passcode", e->code, &n_cycles);
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
                                        /* Weekly windows make it cyclic whatever the type it was added
                                         * as (§4.9). */
                                        n_cycles > 0 ? "cyclic" : passcode_kind(e));
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
                                r = append_cycles_of(reply, l, "passcode", e->code);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
        else if (action == CRED_CARD_LIST)
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
                                r = append_cycles_of(reply, l, action == CRED_CARD_LIST ? "ic-card" : "fingerprint",
                                                     id);
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
                                r = append_cycles_of(reply, l, action == CRED_CARD_LIST ? "ic-card" : "fingerprint",
                                                     id);
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
        return sd_bus_message_close_container(reply);
}

static int build_passcodes(Lock *l, const LockOutcome *o, sd_bus_message *reply) {
        return build_list(l, CRED_PASSCODE_LIST, o->credentials, reply);
}

static int build_cards(Lock *l, const LockOutcome *o, sd_bus_message *reply) {
        return build_list(l, CRED_CARD_LIST, o->credentials, reply);
}

static int build_fingerprints(Lock *l, const LockOutcome *o, sd_bus_message *reply) {
        return build_list(l, CRED_FINGERPRINT_LIST, o->credentials, reply);
}

/* Arguments first (checked by the caller), then the feature, then polkit (bus_lock_gate()). */
#define GATE(m, b, feature, what, error)                                      \
        do {                                                                  \
                int _g = bus_lock_gate((b), (m), (feature), (what), (error)); \
                if (_g <= 0)                                                  \
                        return _g < 0 ? _g : 1;                               \
        } while (0)

static int submit(BusLock *b, sd_bus_message *m, const CredRequest *req, sd_bus_error *error) {
        BusReplyBuilder build = NULL;

        switch (req->action) {
        case CRED_PASSCODE_LIST:
                build = build_passcodes;
                break;
        case CRED_CARD_LIST:
                build = build_cards;
                break;
        case CRED_FINGERPRINT_LIST:
                build = build_fingerprints;
                break;
        default:
                break;
        }
        return bus_lock_submit(
                b,
                m,
                &(BusSubmit){
                        .request = { .kind = LOCK_REQUEST_CREDENTIALS, .credentials = req },
                        .deadline = true,
                        .build = build,
                },
                error);
}

/* ---- passcodes ------------------------------------------------------------------------------ */

static int method_list_passcodes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        return submit(b, m, &(CredRequest){ .action = CRED_PASSCODE_LIST }, error);
}

static int method_add_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_PASSCODE_ADD };
        const char *code;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &code, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_ADD_MAX, req.code, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = submit(b, m, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

/* An extension of the fixed API: AddPasscode's fixed signature can only say "permanent" or "period"
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
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_PASSCODE_ADD };
        const char *code, *kind;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "sstt", &code, &kind, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_ADD_MAX, req.code, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kind, kinds[i].name) == 0)
                        req.passcode_type = kinds[i].type;
        if (req.passcode_type == 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Kind \"%s\" is not one of permanent, period, one-time, cyclic.",
                        kind);
        /* A cyclic code without its cycles would open at all hours: what makes it cyclic is its weekly
         * windows (§4.9), which this signature cannot carry. */
        if (req.passcode_type == TTLOCK_PASSCODE_CYCLIC)
                return sd_bus_error_set(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "A cyclic passcode needs its weekly cycles (weekdays and times of day): use "
                        "AddCyclicPasscode().");
        r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        if (req.permanent != (req.passcode_type == TTLOCK_PASSCODE_PERMANENT))
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        req.permanent ? "A %s passcode needs valid_from_usec and valid_until_usec."
                                      : "A %s passcode takes no validity (0, 0).",
                        kind);
        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = submit(b, m, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_change_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_PASSCODE_CHANGE };
        const char *code, *new_code;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "sstt", &code, &new_code, &from, &until);
        if (r < 0)
                return r;
        /* The code to change may be any the lock lists (§4.3 allows up to 16 digits there); what
         * we write is a code we could add. */
        r = bus_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_MAX, req.code, error);
        if (r >= 0)
                r = bus_parse_passcode(
                        new_code, "New passcode", TTLOCK_PASSCODE_ADD_MAX, req.new_code, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        /* Both features before polkit: authz_check() runs once per handler run. */
        r = bus_lock_require_feature(b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_MODIFY_PASSCODE, "passcode modification", error);
        r = submit(b, m, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_delete_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_PASSCODE_DELETE };
        const char *code;
        int r;

        r = sd_bus_message_read(m, "s", &code);
        if (r < 0)
                return r;
        /* Any passcode the lock lists may be deleted (§4.3 allows up to 16 digits there). */
        r = bus_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_MAX, req.code, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        r = submit(b, m, &req, error);
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_clear_passcodes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
        return submit(b, m, &(CredRequest){ .action = CRED_PASSCODE_CLEAR }, error);
}

/* ---- cards ---------------------------------------------------------------------------------- */

static int method_list_cards(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_IC, "IC card reader", error);
        return submit(b, m, &(CredRequest){ .action = CRED_CARD_LIST }, error);
}

static int card_with_validity(sd_bus_message *m, BusLock *b, CredAction action, sd_bus_error *error) {
        CredRequest req = { .action = action };
        const char *number;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &number, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_card(number, &req.number, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_IC, "IC card reader", error);
        return submit(b, m, &req, error);
}

static int method_add_card(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return card_with_validity(m, userdata, CRED_CARD_ADD, error);
}

static int method_set_card_validity(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return card_with_validity(m, userdata, CRED_CARD_MODIFY, error);
}

static int method_delete_card(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_CARD_DELETE };
        const char *number;
        int r;

        r = sd_bus_message_read(m, "s", &number);
        if (r < 0)
                return r;
        r = bus_parse_card(number, &req.number, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_IC, "IC card reader", error);
        return submit(b, m, &req, error);
}

static int method_clear_cards(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_IC, "IC card reader", error);
        return submit(b, m, &(CredRequest){ .action = CRED_CARD_CLEAR }, error);
}

/* ---- fingerprints --------------------------------------------------------------------------- */

static int method_list_fingerprints(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return submit(b, m, &(CredRequest){ .action = CRED_FINGERPRINT_LIST }, error);
}

static int method_set_fingerprint_validity(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_FINGERPRINT_MODIFY };
        const char *id;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &id, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_fingerprint(id, &req.number, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return submit(b, m, &req, error);
}

static int method_delete_fingerprint(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        CredRequest req = { .action = CRED_FINGERPRINT_DELETE };
        const char *id;
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        r = bus_parse_fingerprint(id, &req.number, error);
        if (r < 0)
                return r;
        GATE(m, b, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return submit(b, m, &req, error);
}

static int method_clear_fingerprints(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        return submit(b, m, &(CredRequest){ .action = CRED_FINGERPRINT_CLEAR }, error);
}

/* ---- weekly cycles (doc/protocol.md §4.9) ----------------------------------------------------- */

/* The methods with a cycles argument: the action, its validity, and the windows that follow it. */
static int with_cycles(sd_bus_message *m, BusLock *b, CredRequest *req, unsigned feature, const char *what,
                       sd_bus_error *error) {
        int r;

        r = bus_read_cycles(m, req->cycles, &req->n_cycles, error);
        if (r < 0)
                return r;
        /* A cyclic code without windows would open at all hours; a card or fingerprint given none
         * loses its windows. */
        if (req->n_cycles == 0 && req->action == CRED_PASSCODE_ADD)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "A cyclic passcode needs at least one cycle.");
        req->set_cycles = true;
        /* Both features before polkit (authz_check() runs once per handler run); the credential's own
         * last, so that polkit hears its credential-kind. */
        r = bus_lock_require_feature(b, TTLOCK_FEATURE_CYCLIC_IC_OR_FINGER_PRINT,
                                     "weekly cycles (cyclic-card-fingerprint)", error);
        if (r < 0)
                return r;
        GATE(m, b, feature, what, error);
        return submit(b, m, req, error);
}

static int method_add_cyclic_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CredRequest req = { .action = CRED_PASSCODE_ADD };
        const char *code;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &code, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_passcode(code, "Passcode", TTLOCK_PASSCODE_ADD_MAX, req.code, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                goto finish;
        r = with_cycles(m, userdata, &req, TTLOCK_FEATURE_PASSCODE, "keypad passcodes", error);
finish:
        erase_memory(&req, sizeof(req));
        return r;
}

static int method_set_card_validity_with_cycles(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CredRequest req = { .action = CRED_CARD_MODIFY };
        const char *number;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &number, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_card(number, &req.number, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        return with_cycles(m, userdata, &req, TTLOCK_FEATURE_IC, "IC card reader", error);
}

static int method_set_fingerprint_validity_with_cycles(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        CredRequest req = { .action = CRED_FINGERPRINT_MODIFY };
        const char *id;
        uint64_t from, until;
        int r;

        r = sd_bus_message_read(m, "stt", &id, &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_fingerprint(id, &req.number, error);
        if (r >= 0)
                r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        return with_cycles(m, userdata, &req, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
}

/* ---- enrolment ------------------------------------------------------------------------------ */

static int on_enrollment_owner_gone(sd_bus_track *t, void *userdata) {
        BusLock *b = userdata;

        /* An enrollment is cancelled when its caller leaves the bus, as fprintd does. */
        b->enrollment_track = sd_bus_track_unref(b->enrollment_track);
        (void) lock_cancel_enrollment(b->lock, "cancelled");
        return 0;
}

static int start_enrollment(sd_bus_message *m, BusLock *b, CredAction action, sd_bus_error *error) {
        CredRequest req = { .action = action };
        uint64_t from, until;
        OpStatus st;
        int r;

        r = sd_bus_message_read(m, "tt", &from, &until);
        if (r < 0)
                return r;
        r = bus_parse_validity(from, until, &req.permanent, &req.start, &req.end, error);
        if (r < 0)
                return r;
        if (action == CRED_CARD_ENROL)
                GATE(m, b, TTLOCK_FEATURE_IC, "IC card reader", error);
        else
                GATE(m, b, TTLOCK_FEATURE_FINGER_PRINT, "fingerprint reader", error);
        req.enrol_timeout_usec = b->lock->context->enrollment_timeout_usec;
        if (lock_enrolling(b->lock))
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_IN_PROGRESS,
                        "An enrollment is already in progress on this lock.");

        /* Whoever started it is followed first: its leaving cancels the enrollment. */
        b->enrollment_track = sd_bus_track_unref(b->enrollment_track);
        r = sd_bus_track_new(b->context->bus, &b->enrollment_track, on_enrollment_owner_gone, b);
        if (r >= 0)
                r = sd_bus_track_add_sender(b->enrollment_track, m);
        if (r < 0) {
                b->enrollment_track = sd_bus_track_unref(b->enrollment_track);
                return r;
        }
        /* It returns at once; progress and outcome come as EnrollmentStatus. */
        r = lock_submit(
                b->lock,
                &(LockRequest){ .kind = LOCK_REQUEST_CREDENTIALS, .credentials = &req },
                0,
                NULL,
                NULL,
                &st);
        if (r < 0 || !lock_enrolling(b->lock)) {
                b->enrollment_track = sd_bus_track_unref(b->enrollment_track);
                if (r < 0)
                        return st.error < 0 ? bus_error_from_status(&st, b->lock->address, error) : r;
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int method_start_card_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return start_enrollment(m, userdata, CRED_CARD_ENROL, error);
}

static int method_start_fingerprint_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return start_enrollment(m, userdata, CRED_FINGERPRINT_ENROL, error);
}

static int method_cancel_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        GATE(m, b, -1, NULL, error);
        /* Its caller hears "cancelled" in its own copy; the status ends the interest in it. */
        if (lock_cancel_enrollment(b->lock, "cancelled") < 0)
                return sd_bus_error_set(error, TTLOCK_ERROR_DOES_NOT_EXIST, "No enrollment is in progress.");
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- aliases -------------------------------------------------------------------------------- */

static void erase_id(char (*id)[TTLOCK_PASSCODE_MAX + TTLOCK_CARD_NUMBER_STRLEN]) {
        erase_memory(*id, sizeof(*id));
}

static int method_set_credential_alias(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        /* A passcode's id is its code: wiped on every way out. */
        _cleanup_(erase_id) char id[TTLOCK_PASSCODE_MAX + TTLOCK_CARD_NUMBER_STRLEN] = "";
        const char *kind, *raw, *alias;
        unsigned feature;
        uint64_t v;
        int r;

        r = sd_bus_message_read(m, "sss", &kind, &raw, &alias);
        if (r < 0)
                return r;
        if (streq(kind, "passcode")) {
                r = bus_parse_passcode(raw, "A passcode id", TTLOCK_PASSCODE_MAX, id, error);
                feature = TTLOCK_FEATURE_PASSCODE;
        } else if (streq(kind, "ic-card")) {
                r = bus_parse_card(raw, &v, error);
                if (r >= 0)
                        (void) ttlock_card_number_format(v, id);
                feature = TTLOCK_FEATURE_IC;
        } else if (streq(kind, "fingerprint")) {
                r = bus_parse_fingerprint(raw, &v, error);
                if (r >= 0)
                        snprintf(id, sizeof(id), "%" PRIu64, v);
                feature = TTLOCK_FEATURE_FINGER_PRINT;
        } else
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Kind \"%.32s\" is not one of passcode, ic-card, fingerprint.",
                        kind);
        if (r >= 0)
                r = bus_check_alias(alias, error);
        if (r < 0)
                return r;

        GATE(m, b, feature, kind, error);
        r = lock_set_credential_alias(b->lock, kind, id, alias);
        if (r == -E2BIG || r == -ENOSPC)
                return sd_bus_error_set(error, TTLOCK_ERROR_FAILED, "Too many aliases for this lock.");
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

const sd_bus_vtable bus_credentials_vtable[] = {
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
                "AddCyclicPasscode",
                "sttaa{sv}",
                SD_BUS_PARAM(code) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec)
                        SD_BUS_PARAM(cycles),
                "",
                ,
                method_add_cyclic_passcode,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetCardValidityWithCycles",
                "sttaa{sv}",
                SD_BUS_PARAM(number) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec)
                        SD_BUS_PARAM(cycles),
                "",
                ,
                method_set_card_validity_with_cycles,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetFingerprintValidityWithCycles",
                "sttaa{sv}",
                SD_BUS_PARAM(id) SD_BUS_PARAM(valid_from_usec) SD_BUS_PARAM(valid_until_usec)
                        SD_BUS_PARAM(cycles),
                "",
                ,
                method_set_fingerprint_validity_with_cycles,
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

typedef struct EnrollmentSignal {
        const LockEnrollmentStatus *status;
        bool details;
} EnrollmentSignal;

static int build_enrollment(sd_bus_message *m, void *userdata) {
        const EnrollmentSignal *e = userdata;
        const LockEnrollmentStatus *s = e->status;

        /* The new card's number or finger's id is an identity: only for who may list them. */
        return sd_bus_message_append(m, "ssuus", s->kind, s->status, (uint32_t) s->done, (uint32_t) s->total,
                                     e->details ? s->id : "");
}

void bus_credentials_emit_enrollment(BusLock *b, const LockEnrollmentStatus *s) {
        _cleanup_free_ char *caller = NULL;
        const char *n;

        assert(b);
        /* Whoever started it may list the credentials (org.ttlock.manage): it hears the id. */
        n = b->enrollment_track ? sd_bus_track_first(b->enrollment_track) : NULL;
        if (n) {
                caller = strdup(n);
                if (!caller)
                        log_oom();
        }
        /* Its end also ends the interest in its caller. */
        if (!streq(s->status, "waiting") && !streq(s->status, "progress"))
                b->enrollment_track = sd_bus_track_unref(b->enrollment_track);
        if (!b->exported)
                return;
        /* The caller's and each subscriber's own copy, with the id, then the one for everyone without
         * it (dbus/org.ttlock.Credentials1.xml "EnrollmentStatus"). */
        bus_send_signal_details(b->context, b->path, CREDENTIALS_INTERFACE, "EnrollmentStatus", caller,
                                        build_enrollment, &(EnrollmentSignal){ .status = s, .details = true });
        (void) bus_send_signal(b->context, b->path, CREDENTIALS_INTERFACE, "EnrollmentStatus", NULL,
                               build_enrollment, &(EnrollmentSignal){ .status = s });
}
