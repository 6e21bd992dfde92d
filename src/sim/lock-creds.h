/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the lock stores to let people in: custom passcodes (MANAGE_KEYBOARD_PASSWORD / PWD_LIST),
 * IC cards (IC_MANAGE) and fingerprints (FR_MANAGE), each with its validity window
 * (doc/protocol.md §4.3). Functions return 0, a positive lock error code (§4.4, for the reply), or a
 * negative errno. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "credentials.h"
#include "datetime.h"

#define SIM_SLOTS_DEFAULT 100
/* Weekly schedules (CYCLIC_CMD 0x70) one card or fingerprint can hold: two windows a day fit the
 * query reply (2 + 16 × 7 bytes) with room to spare. */
#define SIM_CYCLIC_MAX 16

/* One weekly window of CYCLIC_CMD (§4.3): on weekday (1 = Monday … 7 = Sunday), from start to end
 * (minutes of the day, end excluded, as passage-mode windows). */
typedef struct SimCyclic {
        uint8_t weekday;
        uint8_t start_hour, start_minute, end_hour, end_minute;
} SimCyclic;

typedef struct SimSchedule {
        SimCyclic cyclic[SIM_CYCLIC_MAX];
        size_t n_cyclic; /* 0 = no weekly restriction */
} SimSchedule;

typedef struct SimCard {
        TTCard card;
        TTDateTime start, end;
        SimSchedule schedule;
} SimCard;

typedef struct SimFinger {
        uint64_t id;
        TTDateTime start, end;
        SimSchedule schedule;
} SimFinger;

struct SimCreds {
        size_t slots; /* per kind: beyond it, LOCK_NO_FREE_MEMORY */
        TTPasscodeEntry *passcodes; /* contiguous, as PWD_LIST pages them */
        SimSchedule *passcode_schedules; /* passcode_schedules[i] belongs to passcodes[i] (§4.9) */
        size_t n_passcodes;
        SimCard *cards;
        size_t n_cards;
        SimFinger *fingers;
        size_t n_fingers;
};

typedef struct SimCreds SimCreds;

SimCreds *creds_new(size_t slots);
SimCreds *creds_free(SimCreds *c);
void creds_clear_all(SimCreds *c);

/* "now" in every function is the lock's wall clock in seconds (lock-clock.h). */
bool creds_window_valid(const TTDateTime *start, const TTDateTime *end, int64_t now);

int creds_passcode_apply(SimCreds *c, const TTPasscodeRequest *q);
TTPasscodeEntry *creds_passcode_find(SimCreds *c, const char *code);
/* The weekly schedule of a passcode (CYCLIC_CMD with ttlockd's passcode user, doc/protocol.md §4.9);
 * it goes with the passcode through changes of its digits, and away with it. */
SimSchedule *creds_passcode_schedule(SimCreds *c, const TTPasscodeEntry *p);
/* Is the passcode usable now? One-time codes are used up by the caller (creds_passcode_remove). */
bool creds_passcode_usable(const TTPasscodeEntry *p, int64_t now);
void creds_passcode_remove(SimCreds *c, TTPasscodeEntry *p);

int creds_card_add(SimCreds *c, const TTCard *card, const TTDateTime *start, const TTDateTime *end);
SimCard *creds_card_find(SimCreds *c, uint64_t number);
int creds_card_delete(SimCreds *c, uint64_t number);

int creds_finger_add(SimCreds *c, uint64_t id, const TTDateTime *start, const TTDateTime *end);
SimFinger *creds_finger_find(SimCreds *c, uint64_t id);
int creds_finger_delete(SimCreds *c, uint64_t id);

/* CYCLIC_CMD on one credential's schedule: 0, or the §4.4 code for the reply. Add keeps one copy
 * of a window (as passage mode does); remove and clear drop every window (their requests name no
 * window, §4.3) and are RECORD_NOT_EXIST when there is none, which the official SDK reads as
 * success for clear. */
int creds_schedule_add(SimSchedule *s, const SimCyclic *c);
int creds_schedule_clear(SimSchedule *s);
/* Does the schedule let the credential open at this time? weekday 1 = Monday … 7 = Sunday; minute
 * of the day. No windows: yes. */
bool creds_schedule_allows(const SimSchedule *s, unsigned weekday, unsigned minute);

/* The validity the lock gives a credential enrolled without one: [JS] DateConstant's
 * 2000-01-01 00:00 … 2099-12-01 23:59. */
void creds_permanent_window(TTDateTime *start, TTDateTime *end);
