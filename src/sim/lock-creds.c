/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lock-creds.h"
#include "lock-error.h"
#include "macro.h"
#include "sim-util.h"

SimCreds *creds_new(size_t slots) {
        SimCreds *c = new0(SimCreds, 1);

        if (c)
                c->slots = slots;
        return c;
}

void creds_clear_all(SimCreds *c) {
        c->passcodes = mfree(c->passcodes);
        c->passcode_schedules = mfree(c->passcode_schedules);
        c->cards = mfree(c->cards);
        c->fingers = mfree(c->fingers);
        c->n_passcodes = c->n_cards = c->n_fingers = 0;
}

SimCreds *creds_free(SimCreds *c) {
        if (!c)
                return NULL;
        creds_clear_all(c);
        return mfree(c);
}

void creds_permanent_window(TTDateTime *start, TTDateTime *end) {
        *start = (TTDateTime){ 2000, 1, 1, 0, 0, 0 };
        *end = (TTDateTime){ 2099, 12, 1, 23, 59, 0 };
}

bool creds_window_valid(const TTDateTime *start, const TTDateTime *end, int64_t now) {
        /* Windows have minute precision (YY MM DD hh mm): the end minute is still inside. */
        return now >= ttlock_datetime_to_unix(start) && now < ttlock_datetime_to_unix(end) + 60;
}

static void *grow(void *array, size_t n, size_t size) {
        return reallocarray(array, n + 1, size);
}

TTPasscodeEntry *creds_passcode_find(SimCreds *c, const char *code) {
        for (size_t i = 0; i < c->n_passcodes; i++)
                if (streq(c->passcodes[i].code, code))
                        return &c->passcodes[i];
        return NULL;
}

SimSchedule *creds_passcode_schedule(SimCreds *c, const TTPasscodeEntry *p) {
        return &c->passcode_schedules[p - c->passcodes];
}

void creds_passcode_remove(SimCreds *c, TTPasscodeEntry *p) {
        size_t i = p - c->passcodes;

        memmove(p, p + 1, (c->n_passcodes - i - 1) * sizeof(*p));
        memmove(c->passcode_schedules + i,
                c->passcode_schedules + i + 1,
                (c->n_passcodes - i - 1) * sizeof(*c->passcode_schedules));
        c->n_passcodes--;
}

bool creds_passcode_usable(const TTPasscodeEntry *p, int64_t now) {
        switch (p->type) {
        case TTLOCK_PASSCODE_COUNT:
        case TTLOCK_PASSCODE_PERIOD:
                return creds_window_valid(&p->start, &p->end, now);
        default:
                /* Permanent and cyclic codes carry only a start (§4.3 Add); doc/protocol.md does not
                 * give the meaning of the cyclic type, so a cyclic code is valid from its start. */
                return now >= ttlock_datetime_to_unix(&p->start);
        }
}

static bool type_has_end(uint8_t type) {
        return type == TTLOCK_PASSCODE_COUNT || type == TTLOCK_PASSCODE_PERIOD;
}

int creds_passcode_apply(SimCreds *c, const TTPasscodeRequest *q) {
        TTPasscodeEntry *p, *n;
        SimSchedule *sched;

        switch (q->op) {
        case TTLOCK_PASSCODE_OP_CLEAR:
                c->passcodes = mfree(c->passcodes);
                c->passcode_schedules = mfree(c->passcode_schedules);
                c->n_passcodes = 0;
                return 0;

        case TTLOCK_PASSCODE_OP_ADD:
        case TTLOCK_PASSCODE_OP_RECOVERY: {
                const char *code = q->op == TTLOCK_PASSCODE_OP_ADD ? q->code : q->new_code;
                size_t len = strlen(code);

                if (len < TTLOCK_PASSCODE_ADD_MIN || len > TTLOCK_PASSCODE_ADD_MAX)
                        return TTLOCK_ERR_PASSWORD_LENGTH_INVALID;
                if (creds_passcode_find(c, code))
                        return TTLOCK_ERR_PASSWORD_EXIST;
                if (c->n_passcodes >= c->slots)
                        return TTLOCK_ERR_NO_FREE_MEMORY;
                /* Both arrays one longer before either counts the new passcode. */
                sched = grow(c->passcode_schedules, c->n_passcodes, sizeof(*sched));
                if (!sched)
                        return -ENOMEM;
                c->passcode_schedules = sched;
                n = grow(c->passcodes, c->n_passcodes, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->passcodes = n;
                c->passcode_schedules[c->n_passcodes] = (SimSchedule){};
                p = &c->passcodes[c->n_passcodes++];
                *p = (TTPasscodeEntry){ .type = q->type, .start = q->start, .cycle_type = q->cycle_type };
                strcpy(p->code, code);
                strcpy(p->original, q->code); /* RECOVERY: the code first added */
                if (type_has_end(q->type))
                        p->end = q->end;
                return 0;
        }

        case TTLOCK_PASSCODE_OP_DELETE:
                p = creds_passcode_find(c, q->code);
                if (!p)
                        return TTLOCK_ERR_PASSWORD_NOT_EXIST;
                creds_passcode_remove(c, p);
                return 0;

        case TTLOCK_PASSCODE_OP_MODIFY: {
                size_t len = strlen(q->new_code);

                p = creds_passcode_find(c, q->code);
                if (!p)
                        return TTLOCK_ERR_PASSWORD_NOT_EXIST;
                if (len > 0) {
                        if (len < TTLOCK_PASSCODE_ADD_MIN || len > TTLOCK_PASSCODE_ADD_MAX)
                                return TTLOCK_ERR_PASSWORD_LENGTH_INVALID;
                        if (!streq(q->new_code, q->code) && creds_passcode_find(c, q->new_code))
                                return TTLOCK_ERR_PASSWORD_EXIST;
                        strcpy(p->code, q->new_code);
                }
                if (q->has_validity) {
                        p->start = q->start;
                        p->end = q->end;
                        /* A new window makes a permanent code a period code: it now has an end. */
                        if (p->type == TTLOCK_PASSCODE_PERMANENT)
                                p->type = TTLOCK_PASSCODE_PERIOD;
                }
                return 0;
        }

        default:
                return TTLOCK_ERR_INVALID_PARAM;
        }
}

SimCard *creds_card_find(SimCreds *c, uint64_t number) {
        for (size_t i = 0; i < c->n_cards; i++)
                if (c->cards[i].card.number == number)
                        return &c->cards[i];
        return NULL;
}

int creds_card_add(SimCreds *c, const TTCard *card, const TTDateTime *start, const TTDateTime *end) {
        SimCard *n, *existing = creds_card_find(c, card->number);

        if (existing) {
                existing->start = *start;
                existing->end = *end;
                return 0;
        }
        if (c->n_cards >= c->slots)
                return TTLOCK_ERR_NO_FREE_MEMORY;
        n = grow(c->cards, c->n_cards, sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->cards = n;
        c->cards[c->n_cards++] = (SimCard){ .card = *card, .start = *start, .end = *end };
        return 0;
}

int creds_card_delete(SimCreds *c, uint64_t number) {
        SimCard *p = creds_card_find(c, number);
        size_t i;

        if (!p)
                return TTLOCK_ERR_IC_CARD_NOT_EXIST;
        i = p - c->cards;
        memmove(p, p + 1, (c->n_cards - i - 1) * sizeof(*p));
        c->n_cards--;
        return 0;
}

SimFinger *creds_finger_find(SimCreds *c, uint64_t id) {
        for (size_t i = 0; i < c->n_fingers; i++)
                if (c->fingers[i].id == id)
                        return &c->fingers[i];
        return NULL;
}

int creds_finger_add(SimCreds *c, uint64_t id, const TTDateTime *start, const TTDateTime *end) {
        SimFinger *n, *existing = creds_finger_find(c, id);

        if (existing) {
                existing->start = *start;
                existing->end = *end;
                return 0;
        }
        if (c->n_fingers >= c->slots)
                return TTLOCK_ERR_NO_FREE_MEMORY;
        n = grow(c->fingers, c->n_fingers, sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->fingers = n;
        c->fingers[c->n_fingers++] = (SimFinger){ .id = id, .start = *start, .end = *end };
        return 0;
}

int creds_finger_delete(SimCreds *c, uint64_t id) {
        SimFinger *p = creds_finger_find(c, id);
        size_t i;

        if (!p)
                return TTLOCK_ERR_FINGER_PRINT_NOT_EXIST;
        i = p - c->fingers;
        memmove(p, p + 1, (c->n_fingers - i - 1) * sizeof(*p));
        c->n_fingers--;
        return 0;
}

/* Field by field, never memcmp(): a struct's padding bytes (none today) would hold garbage. */
static bool cyclic_equal(const SimCyclic *a, const SimCyclic *b) {
        return a->weekday == b->weekday && a->start_hour == b->start_hour &&
                a->start_minute == b->start_minute && a->end_hour == b->end_hour &&
                a->end_minute == b->end_minute;
}

int creds_schedule_add(SimSchedule *s, const SimCyclic *c) {
        /* A window that ends where it starts (or before) never opens: a bad value (§4.4). */
        if (c->end_hour * 60u + c->end_minute <= c->start_hour * 60u + c->start_minute)
                return TTLOCK_ERR_INVALID_PARAM;
        for (size_t i = 0; i < s->n_cyclic; i++)
                if (cyclic_equal(&s->cyclic[i], c))
                        return 0;
        if (s->n_cyclic >= SIM_CYCLIC_MAX)
                return TTLOCK_ERR_NO_FREE_MEMORY;
        s->cyclic[s->n_cyclic++] = *c;
        return 0;
}

int creds_schedule_clear(SimSchedule *s) {
        if (s->n_cyclic == 0)
                return TTLOCK_ERR_RECORD_NOT_EXIST;
        s->n_cyclic = 0;
        return 0;
}

bool creds_schedule_allows(const SimSchedule *s, unsigned weekday, unsigned minute) {
        if (s->n_cyclic == 0)
                return true;
        for (size_t i = 0; i < s->n_cyclic; i++) {
                const SimCyclic *c = &s->cyclic[i];

                if (c->weekday == weekday && minute >= c->start_hour * 60u + c->start_minute &&
                    minute < c->end_hour * 60u + c->end_minute)
                        return true;
        }
        return false;
}
