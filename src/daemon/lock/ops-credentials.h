/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Passcodes, IC cards and fingerprints (doc/protocol.md §4.3 MANAGE_KEYBOARD_PASSWORD 0x03, PWD_LIST
 * 0x07, IC_MANAGE 0x05, FR_MANAGE 0x06) as one small state machine over a LinkJob: admin login
 * (§5.2), then the action's commands. No sd-bus; progress and outcome go to callbacks.
 *
 * Lists read every page (the lock's cursor must advance; a bound on entries keeps a confused lock from
 * growing us without end). Changing or deleting a passcode first finds it in the list, because the
 * request carries the passcode's type (§4.3) and because "no such passcode" is then ours to say
 * (-ENOENT) rather than a lock error. Enrolment (§4.3 IC/FR Add, §9.4) keeps the ADD command in flight
 * across the lock's several replies — waiting, progress (fingerprints), success with the new card
 * number or fingerprint id — then sets the requested validity with Modify, as the official SDK always
 * does, and deletes the credential again if that fails.
 *
 * Weekly windows (CYCLIC_CMD, doc/protocol.md §4.9) follow the action that gives the validity, as in the
 * official flow: a new passcode gets one add per window (and is deleted again if one fails, so that no
 * code is left that opens at all hours); a card's or fingerprint's windows are cleared (RECORD_NOT_EXIST
 * counts as done, as the SDK counts it) and added anew. */

#include <stdbool.h>
#include <stdint.h>

#include "credentials.h"
#include "link.h"
#include "ops-common.h"

typedef enum CredAction {
        CRED_PASSCODE_LIST,
        CRED_PASSCODE_ADD,
        CRED_PASSCODE_CHANGE,
        CRED_PASSCODE_DELETE,
        CRED_PASSCODE_CLEAR,
        CRED_CARD_LIST,
        CRED_CARD_ADD, /* a known card number (§4.3 "recovery") */
        CRED_CARD_MODIFY,
        CRED_CARD_DELETE,
        CRED_CARD_CLEAR,
        CRED_CARD_ENROL,
        CRED_FINGERPRINT_LIST,
        CRED_FINGERPRINT_MODIFY,
        CRED_FINGERPRINT_DELETE,
        CRED_FINGERPRINT_CLEAR,
        CRED_FINGERPRINT_ENROL,
        _CRED_ACTION_MAX,
} CredAction;

/* Bounds on what a list may hold. */
#define CRED_LIST_MAX 4096U
#define CRED_LIST_PAGES_MAX 1024U

typedef struct CredRequest {
        CredAction action;
        char code[TTLOCK_PASSCODE_MAX + 1]; /* passcodes: 4–9 digits (the existing one may be longer) */
        char new_code[TTLOCK_PASSCODE_MAX + 1]; /* PASSCODE_CHANGE */
        uint64_t number;                        /* card number or fingerprint id */
        /* Validity (lock-local time, §4.2). permanent: a permanent passcode (type 1, start only), and
         * for cards/fingerprints the SDK's "permanent" window (cred_permanent_window()). */
        bool permanent;
        /* PASSCODE_ADD: the TTPasscodeType to create; 0 = from the validity (permanent or period). */
        uint8_t passcode_type;
        TTDateTime start;
        TTDateTime end;
        uint64_t enrol_timeout_usec; /* ENROL: how long to wait for each step of the person at the lock */
        /* PASSCODE_ADD, CARD_MODIFY, FINGERPRINT_MODIFY: replace the weekly windows (§4.9) after the
         * action; n_cycles 0 clears them (cards and fingerprints). */
        bool set_cycles;
        TTCycle cycles[TTLOCK_CYCLES_MAX];
        size_t n_cycles;
} CredRequest;

typedef struct CredResult {
        OpStatus status; /* error 0 = done; -ENOENT: no such passcode (CHANGE, DELETE) */
        bool have_battery;
        uint8_t battery;
        TTPasscodeEntry *passcodes; /* PASSCODE_LIST; owned by the op, valid during the callback */
        size_t n_passcodes;
        TTCardEntry *cards; /* CARD_LIST */
        size_t n_cards;
        TTFingerprintEntry *fingerprints; /* FINGERPRINT_LIST */
        size_t n_fingerprints;
        uint64_t enrolled;  /* ENROL: the new card number / fingerprint id */
        bool enrol_waiting; /* ENROL: failed while waiting for the person (a time-out there is theirs) */
        /* set_cycles failed after the lock's windows had started to change: what it holds now is not
         * known (some of the new windows, or none). */
        bool cycles_unknown;
} CredResult;

typedef struct CredProgress {
        bool waiting;   /* the lock entered add mode and waits for the card or finger */
        unsigned done;  /* fingerprints: presses so far */
        unsigned total; /* fingerprints: presses needed, 0 when the lock did not say */
} CredProgress;

typedef struct CredOp CredOp;
typedef void (*CredProgressCallback)(const CredProgress *p, void *userdata);
typedef void (*CredDone)(const CredResult *result, void *userdata);

/* The request is copied. done is called once, after the job has left the link; the operation is freed
 * right after. */
int cred_op_start(
        Link *link,
        const OpKeys *keys,
        const CredRequest *req,
        CredProgressCallback progress,
        CredDone done,
        void *userdata,
        CredOp **ret);
/* Stop without calling done. An enrolment under way also drops the connection: leaving add mode has no
 * command of its own, the lock leaves it when the link goes (§5: state is per connection). */
void cred_op_cancel(CredOp *op);

/* The window the official SDK and [JS] use for "permanent" credentials (§4.2): 2000-01-01 00:00 …
 * 2099-12-01 23:59. */
void cred_permanent_window(TTDateTime *ret_start, TTDateTime *ret_end);
bool cred_window_is_permanent(const TTDateTime *start, const TTDateTime *end);
