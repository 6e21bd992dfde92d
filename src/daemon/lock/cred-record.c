/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cred-record.h"
#include "macro.h"
#include "string-util.h"

const char *cred_action_kind(CredAction a) {
        switch (a) {
        case CRED_PASSCODE_LIST:
        case CRED_PASSCODE_ADD:
        case CRED_PASSCODE_CHANGE:
        case CRED_PASSCODE_DELETE:
        case CRED_PASSCODE_CLEAR:
                return "passcode";
        case CRED_CARD_LIST:
        case CRED_CARD_ADD:
        case CRED_CARD_MODIFY:
        case CRED_CARD_DELETE:
        case CRED_CARD_CLEAR:
        case CRED_CARD_ENROL:
                return "ic-card";
        default:
                return "fingerprint";
        }
}

/* The credential's id as the key file writes it: the code, or the number in decimal. */
static void
request_id(const CredRequest *q, char id[static TTLOCK_PASSCODE_MAX + TTLOCK_CARD_NUMBER_STRLEN]) {
        if (streq(cred_action_kind(q->action), "passcode"))
                snprintf(id, TTLOCK_PASSCODE_MAX + 1, "%s", q->code);
        else
                snprintf(id, TTLOCK_CARD_NUMBER_STRLEN, "%" PRIu64, q->number);
}

static bool set(LockRecord *rec, const char *kind, const char *id, const TTCycle *cycles, size_t n) {
        size_t before;

        (void) lock_record_get_credential_cycles(rec, kind, id, &before);
        if (before == 0 && n == 0)
                return false;
        return lock_record_set_credential_cycles(rec, kind, id, cycles, n) >= 0;
}

static bool listed(const CredResult *res, const char *kind, const char *id) {
        char buf[TTLOCK_CARD_NUMBER_STRLEN];

        if (streq(kind, "passcode")) {
                for (size_t i = 0; i < res->n_passcodes; i++)
                        if (streq(res->passcodes[i].code, id))
                                return true;
        } else if (streq(kind, "ic-card")) {
                for (size_t i = 0; i < res->n_cards; i++)
                        if (streq(ttlock_card_number_format(res->cards[i].card.number, buf), id))
                                return true;
        } else
                for (size_t i = 0; i < res->n_fingerprints; i++) {
                        snprintf(buf, sizeof(buf), "%" PRIu64, res->fingerprints[i].id);
                        if (streq(buf, id))
                                return true;
                }
        return false;
}

/* A whole list: windows of credentials the lock no longer holds (a one-time code used up, a card deleted
 * at the lock or by the app) are forgotten. */
static bool prune(LockRecord *rec, const char *kind, const CredResult *res) {
        bool changed = false;

        for (size_t i = rec->n_credential_cycles; i > 0; i--) {
                const CredentialCycles *c = &rec->credential_cycles[i - 1];

                if (streq(c->kind, kind) && !listed(res, kind, c->id)) {
                        _cleanup_free_ char *id = strdup(c->id);

                        if (id && lock_record_set_credential_cycles(rec, kind, id, NULL, 0) >= 0)
                                changed = true;
                        if (id)
                                erase_memory(id, strlen(id));
                }
        }
        return changed;
}

bool cred_record_apply(LockRecord *rec, const CredRequest *q, const CredResult *res) {
        char id[TTLOCK_PASSCODE_MAX + TTLOCK_CARD_NUMBER_STRLEN];
        const char *kind = cred_action_kind(q->action);
        bool changed = false;

        assert(rec);
        assert(q);
        assert(res);

        request_id(q, id);
        if (res->status.error < 0) {
                /* Half-set windows: ttlockd no longer knows which the lock holds (§4.9). */
                if (res->cycles_unknown)
                        changed = set(rec, kind, id, NULL, 0);
                goto out;
        }
        switch (q->action) {
        case CRED_PASSCODE_LIST:
        case CRED_CARD_LIST:
        case CRED_FINGERPRINT_LIST:
                changed = prune(rec, kind, res);
                break;
        case CRED_PASSCODE_ADD:
                /* A new code has no windows but those given now (a stale entry of the same digits goes). */
                changed = set(rec, kind, id, q->cycles, q->set_cycles ? q->n_cycles : 0);
                break;
        case CRED_CARD_MODIFY:
        case CRED_FINGERPRINT_MODIFY:
                if (q->set_cycles)
                        changed = set(rec, kind, id, q->cycles, q->n_cycles);
                break;
        case CRED_PASSCODE_CHANGE: {
                size_t n;

                /* The windows follow the code to its new digits (the lock keeps them with the code). */
                (void) lock_record_get_credential_cycles(rec, kind, id, &n);
                changed = n > 0 && !streq(q->code, q->new_code) &&
                        lock_record_rename_credential_cycles(rec, kind, id, q->new_code) >= 0;
                break;
        }
        case CRED_PASSCODE_DELETE:
        case CRED_CARD_DELETE:
        case CRED_FINGERPRINT_DELETE:
                changed = set(rec, kind, id, NULL, 0);
                break;
        case CRED_PASSCODE_CLEAR:
        case CRED_CARD_CLEAR:
        case CRED_FINGERPRINT_CLEAR: {
                size_t before = rec->n_credential_cycles;

                lock_record_drop_credential_cycles(rec, kind);
                changed = rec->n_credential_cycles != before;
                break;
        }
        case CRED_CARD_ENROL:
        case CRED_FINGERPRINT_ENROL: {
                char enrolled[TTLOCK_CARD_NUMBER_STRLEN];

                /* A card or finger enrolled anew starts without windows. */
                snprintf(enrolled, sizeof(enrolled), "%" PRIu64, res->enrolled);
                changed = set(rec, kind, enrolled, NULL, 0);
                break;
        }
        default:
                break;
        }
out:
        erase_memory(id, sizeof(id));
        return changed;
}
