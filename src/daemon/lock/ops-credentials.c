/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "lock-error.h"
#include "log.h"
#include "macro.h"
#include "ops-credentials.h"
#include "ops-login.h"

typedef enum Step {
        STEP_LOGIN_ADMIN,
        STEP_LOGIN_RANDOM,
        STEP_PASSCODE_PAGE,
        STEP_PASSCODE_OP,
        STEP_CARD_PAGE,
        STEP_CARD_OP,
        STEP_FINGERPRINT_PAGE,
        STEP_FINGERPRINT_OP,
        STEP_ENROL,          /* the ADD in flight, several replies */
        STEP_ENROL_VALIDITY, /* Modify after a successful enrolment */
        STEP_ENROL_UNDO,     /* Delete after a failed Modify */
        STEP_CYCLIC_CLEAR,   /* the credential's weekly windows go (§4.9) */
        STEP_CYCLIC_ADD,     /* one window after the other */
        STEP_CYCLIC_UNDO,    /* a new passcode whose windows failed is deleted again */
        STEP_CYCLIC_ENABLE,  /* a new passcode with windows gets its validity last */
} Step;

struct CredOp {
        CredRequest req;
        OpKeys keys;
        LinkJob *job;
        bool started;
        Step step;
        uint8_t command; /* in flight */
        uint16_t sequence;
        unsigned pages;
        uint8_t card_size; /* ENROL of a card: the size the lock reported */
        size_t cycle;      /* STEP_CYCLIC_ADD: the window in flight */
        OpStatus undo_status;
        CredResult result;
        CredProgressCallback progress;
        CredDone done;
        void *userdata;
};

void cred_permanent_window(TTDateTime *ret_start, TTDateTime *ret_end) {
        assert(ret_start);

        /* §4.2: [JS] DateConstant 200001010000 / 209912012359. */
        *ret_start = (TTDateTime){ .year = 2000, .month = 1, .day = 1 };
        *ret_end = (TTDateTime){ .year = 2099, .month = 12, .day = 1, .hour = 23, .minute = 59 };
}

bool cred_window_is_permanent(const TTDateTime *start, const TTDateTime *end) {
        assert(start);

        /* The official SDK's window ("2000-02-01" … "2099-12-01" in UTC+8) and [JS]'s both start in
         * 2000 and end in 2099; nothing a person sets on purpose looks like that. */
        return start->year == 2000 && start->month <= 2 && end->year == 2099 && end->month == 12;
}

static bool is_enrol(const CredOp *op) {
        return op->req.action == CRED_CARD_ENROL || op->req.action == CRED_FINGERPRINT_ENROL;
}

static void result_free(CredResult *r) {
        if (r->passcodes)
                erase_memory(r->passcodes, r->n_passcodes * sizeof(TTPasscodeEntry));
        free(r->passcodes);
        free(r->cards);
        free(r->fingerprints);
}

static void op_free(CredOp *op) {
        result_free(&op->result);
        op_keys_wipe(&op->keys);
        erase_memory(op, sizeof(*op));
        free(op);
}

static void finish_full(CredOp *op, bool disconnect) {
        CredDone done = op->done;
        void *userdata = op->userdata;
        LinkJob *job = op->job;
        CredResult result = op->result;

        op->result = (CredResult){}; /* handed over */
        op_free(op);
        if (job) {
                if (disconnect)
                        link_job_finish_disconnect(job);
                else
                        link_job_finish(job);
        }
        if (done)
                done(&result, userdata);
        result_free(&result);
}

static void finish(CredOp *op) {
        finish_full(op, false);
}

static void fail(CredOp *op, uint8_t command, int error) {
        op_fail(&op->result.status, command, error);
        /* A lock left in add mode would take the next card or finger that comes along. */
        finish_full(op, op->step == STEP_ENROL);
}

static int on_reply(LinkJob *job, int error, const TTReply *reply, void *userdata);

/* Sends; on failure finishes. Callers return right after: the handler may have run already. */
static void send(CredOp *op, Step step, uint8_t command, const TTWriter *w, uint64_t timeout_usec) {
        size_t len = 0;
        int r;

        op->step = step;
        op->command = command;
        r = tt_writer_finish(w, &len, NULL);
        if (r >= 0)
                r = link_job_send(
                        op->job, command, w->buf, len, op->keys.aes_key, timeout_usec, on_reply, op);
        erase_memory(w->buf, w->size); /* passcodes */
        if (r < 0)
                fail(op, command, r);
}

static void window(const CredOp *op, TTDateTime *start, TTDateTime *end) {
        if (op->req.permanent)
                cred_permanent_window(start, end);
        else {
                *start = op->req.start;
                *end = op->req.end;
        }
}

/* ---- passcodes ------------------------------------------------------------------------------ */

static void send_passcode_page(CredOp *op) {
        uint8_t buf[4];
        TTWriter w = TT_WRITER(buf, sizeof(buf));

        ttlock_pwd_list_request_encode(&w, op->sequence);
        send(op, STEP_PASSCODE_PAGE, TTLOCK_CMD_PWD_LIST, &w, 0);
}

static void send_passcode_step(CredOp *op, Step step, const TTPasscodeRequest *q) {
        uint8_t buf[64];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        r = ttlock_passcode_request_encode(&w, q, NULL);
        if (r < 0) {
                erase_memory(buf, sizeof(buf));
                return fail(op, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, r);
        }
        send(op, step, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, &w, 0);
}

static void send_passcode(CredOp *op, const TTPasscodeRequest *q) {
        send_passcode_step(op, STEP_PASSCODE_OP, q);
}

/* CHANGE/DELETE, once the passcode's entry is known. */
static void passcode_found(CredOp *op, const TTPasscodeEntry *e) {
        TTPasscodeRequest q = { .type = e->type };

        snprintf(q.code, sizeof(q.code), "%s", e->code);
        if (op->req.action == CRED_PASSCODE_DELETE)
                q.op = TTLOCK_PASSCODE_OP_DELETE;
        else {
                q.op = TTLOCK_PASSCODE_OP_MODIFY;
                snprintf(q.new_code, sizeof(q.new_code), "%s", op->req.new_code);
                q.has_validity = true;
                window(op, &q.start, &q.end);
        }
        send_passcode(op, &q);
        erase_memory(&q, sizeof(q));
}

static int on_passcode_page(CredOp *op, const TTReply *reply) {
        TTPasscodePage *p;
        uint16_t next;
        int r;

        p = malloc(sizeof(TTPasscodePage));
        if (!p)
                return -ENOMEM;
        r = ttlock_pwd_list_reply_decode(reply->data, reply->data_len, p, NULL);
        if (r < 0)
                goto out;
        next = p->next_sequence;

        if (op->req.action == CRED_PASSCODE_LIST) {
                TTPasscodeEntry *n;

                if (op->result.n_passcodes + p->n_entries > CRED_LIST_MAX) {
                        r = -E2BIG;
                        goto out;
                }
                n = reallocarray(
                        op->result.passcodes,
                        op->result.n_passcodes + p->n_entries + 1,
                        sizeof(TTPasscodeEntry));
                if (!n) {
                        r = -ENOMEM;
                        goto out;
                }
                op->result.passcodes = n;
                memcpy(n + op->result.n_passcodes, p->entries, p->n_entries * sizeof(TTPasscodeEntry));
                op->result.n_passcodes += p->n_entries;
        } else
                for (size_t i = 0; i < p->n_entries; i++)
                        if (strcmp(p->entries[i].code, op->req.code) == 0) {
                                passcode_found(op, &p->entries[i]);
                                r = 0;
                                goto out;
                        }

        /* §4.3: total 0 = none; next 0xFFFF = last page; a cursor that does not move = the end too. */
        if (p->total == 0 || p->n_entries == 0 || next == TTLOCK_PWD_LIST_LAST_PAGE ||
            next <= op->sequence || ++op->pages >= CRED_LIST_PAGES_MAX) {
                if (op->req.action == CRED_PASSCODE_LIST)
                        finish(op);
                else
                        fail(op, TTLOCK_CMD_PWD_LIST, -ENOENT);
                r = 0;
                goto out;
        }
        op->sequence = next;
        send_passcode_page(op);
        r = 0;
out:
        erase_memory(p, sizeof(*p));
        free(p);
        return r;
}

/* ---- cards ---------------------------------------------------------------------------------- */

static void send_card(CredOp *op, Step step, const TTCardRequest *q, uint64_t timeout_usec) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        r = ttlock_card_request_encode(&w, q, NULL);
        if (r < 0)
                return fail(op, TTLOCK_CMD_IC_MANAGE, r);
        send(op, step, TTLOCK_CMD_IC_MANAGE, &w, timeout_usec);
}

static TTCard request_card(const CredOp *op) {
        return (TTCard){ .number = op->req.number, .size = ttlock_card_size_for(op->req.number) };
}

static int on_card_page(CredOp *op, const TTCardReply *c) {
        TTCardEntry *n;

        if (op->result.n_cards + c->n_cards > CRED_LIST_MAX)
                return -E2BIG;
        n = reallocarray(op->result.cards, op->result.n_cards + c->n_cards + 1, sizeof(TTCardEntry));
        if (!n)
                return -ENOMEM;
        op->result.cards = n;
        memcpy(n + op->result.n_cards, c->cards, c->n_cards * sizeof(TTCardEntry));
        op->result.n_cards += c->n_cards;

        /* §4.3: next 0xFFFF = done; guard against a cursor that does not advance. */
        if (c->n_cards == 0 || c->next_sequence == TTLOCK_SEARCH_DONE || c->next_sequence <= op->sequence ||
            ++op->pages >= CRED_LIST_PAGES_MAX) {
                finish(op);
                return 0;
        }
        op->sequence = c->next_sequence;
        send_card(
                op,
                STEP_CARD_PAGE,
                &(TTCardRequest){ .op = TTLOCK_CARD_OP_SEARCH, .sequence = op->sequence },
                0);
        return 0;
}

/* ---- fingerprints --------------------------------------------------------------------------- */

static void send_fingerprint(CredOp *op, Step step, const TTFingerprintRequest *q, uint64_t timeout_usec) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        int r;

        r = ttlock_fingerprint_request_encode(&w, q, NULL);
        if (r < 0)
                return fail(op, TTLOCK_CMD_FR_MANAGE, r);
        send(op, step, TTLOCK_CMD_FR_MANAGE, &w, timeout_usec);
}

static int on_fingerprint_page(CredOp *op, const TTFingerprintReply *f) {
        TTFingerprintEntry *n;

        if (op->result.n_fingerprints + f->n_fingerprints > CRED_LIST_MAX)
                return -E2BIG;
        n = reallocarray(
                op->result.fingerprints,
                op->result.n_fingerprints + f->n_fingerprints + 1,
                sizeof(TTFingerprintEntry));
        if (!n)
                return -ENOMEM;
        op->result.fingerprints = n;
        memcpy(n + op->result.n_fingerprints,
               f->fingerprints,
               f->n_fingerprints * sizeof(TTFingerprintEntry));
        op->result.n_fingerprints += f->n_fingerprints;

        if (f->n_fingerprints == 0 || f->next_sequence == TTLOCK_SEARCH_DONE ||
            f->next_sequence <= op->sequence || ++op->pages >= CRED_LIST_PAGES_MAX) {
                finish(op);
                return 0;
        }
        op->sequence = f->next_sequence;
        send_fingerprint(
                op,
                STEP_FINGERPRINT_PAGE,
                &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_SEARCH, .sequence = op->sequence },
                0);
        return 0;
}

/* ---- enrolment ------------------------------------------------------------------------------ */

static void report_progress(CredOp *op, bool waiting, unsigned done, unsigned total) {
        if (op->progress)
                op->progress(
                        &(CredProgress){ .waiting = waiting, .done = done, .total = total }, op->userdata);
}

/* The credential exists now: give it the requested validity (§4.3: the official flow always does). */
static void enrol_set_validity(CredOp *op) {
        TTDateTime start, end;

        window(op, &start, &end);
        if (op->req.action == CRED_CARD_ENROL)
                send_card(
                        op,
                        STEP_ENROL_VALIDITY,
                        &(TTCardRequest){
                                .op = TTLOCK_CARD_OP_MODIFY,
                                .card = { .number = op->result.enrolled, .size = op->card_size },
                                .start = start,
                                .end = end,
                        },
                        0);
        else
                send_fingerprint(
                        op,
                        STEP_ENROL_VALIDITY,
                        &(TTFingerprintRequest){
                                .op = TTLOCK_FP_OP_MODIFY,
                                .id = op->result.enrolled,
                                .start = start,
                                .end = end,
                        },
                        0);
}

/* Returns 1 to keep the ADD in flight. */
static int on_enrol(CredOp *op, const TTReply *reply) {
        int r;

        if (op->req.action == CRED_CARD_ENROL) {
                TTCardReply *c = malloc(sizeof(TTCardReply));

                if (!c)
                        return -ENOMEM;
                r = ttlock_card_reply_decode(reply->data, reply->data_len, c, NULL);
                if (r >= 0 && c->op != TTLOCK_CARD_OP_ADD)
                        r = -EBADMSG;
                if (r < 0) {
                        free(c);
                        return r;
                }
                if (c->battery <= 100) {
                        op->result.have_battery = true;
                        op->result.battery = c->battery;
                }
                if (c->add_status == TTLOCK_ENROL_WAITING) {
                        free(c);
                        report_progress(op, true, 0, 0);
                        return 1;
                }
                if (c->add_status != TTLOCK_ENROL_SUCCESS) {
                        free(c);
                        return -EBADMSG;
                }
                op->result.enrolled = c->card.number;
                op->card_size = c->card.size;
                free(c);
        } else {
                TTFingerprintReply *f = malloc(sizeof(TTFingerprintReply));

                if (!f)
                        return -ENOMEM;
                r = ttlock_fingerprint_reply_decode(reply->data, reply->data_len, f, NULL);
                if (r >= 0 && f->op != TTLOCK_FP_OP_ADD)
                        r = -EBADMSG;
                if (r < 0) {
                        free(f);
                        return r;
                }
                if (f->battery <= 100) {
                        op->result.have_battery = true;
                        op->result.battery = f->battery;
                }
                switch (f->add_status) {
                case TTLOCK_ENROL_WAITING:
                        report_progress(op, true, 0, f->has_total ? f->total : 0);
                        free(f);
                        return 1;
                case TTLOCK_ENROL_PROGRESS:
                        /* §4.3: current 0 means "ready"; each press repeats this reply. */
                        report_progress(op, f->current == 0, f->current, f->total);
                        free(f);
                        return 1;
                case TTLOCK_ENROL_SUCCESS:
                        op->result.enrolled = f->id;
                        free(f);
                        break;
                default:
                        /* TEMPLATE: the template-upload flow, which we never asked for. */
                        free(f);
                        return -EBADMSG;
                }
        }
        enrol_set_validity(op);
        return 0;
}

/* ---- weekly windows (§4.9) ------------------------------------------------------------------- */

static void send_cyclic(CredOp *op, Step step, uint8_t cyclic_op, const TTCycle *c) {
        uint8_t buf[48];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTCyclicRequest q = { .op = cyclic_op };
        int r;

        switch (op->req.action) {
        case CRED_PASSCODE_ADD:
                q.user_type = TTLOCK_CYCLIC_USER_PASSCODE;
                snprintf(q.passcode, sizeof(q.passcode), "%s", op->req.code);
                break;
        case CRED_CARD_MODIFY:
                q.user_type = TTLOCK_CYCLIC_USER_IC;
                q.user = op->req.number;
                q.user_size = ttlock_card_size_for(op->req.number);
                break;
        default:
                q.user_type = TTLOCK_CYCLIC_USER_FINGERPRINT;
                q.user = op->req.number;
                q.user_size = 6;
                break;
        }
        if (c)
                ttlock_cyclic_request_set_cycle(&q, c);
        r = ttlock_cyclic_request_encode(&w, &q, NULL);
        erase_memory(&q, sizeof(q));
        if (r < 0) {
                erase_memory(buf, sizeof(buf));
                return fail(op, TTLOCK_CMD_CYCLIC_CMD, r);
        }
        send(op, step, TTLOCK_CMD_CYCLIC_CMD, &w, 0);
}

/* The action itself went through; now its windows, or the end. */
static void cycles_start(CredOp *op) {
        if (!op->req.set_cycles)
                return finish(op);
        op->cycle = 0;
        /* A new passcode has none yet; a card or fingerprint may, and they are replaced. */
        if (op->req.action == CRED_PASSCODE_ADD) {
                if (op->req.n_cycles == 0)
                        return finish(op);
                return send_cyclic(op, STEP_CYCLIC_ADD, TTLOCK_CYCLIC_OP_ADD, &op->req.cycles[0]);
        }
        send_cyclic(op, STEP_CYCLIC_CLEAR, TTLOCK_CYCLIC_OP_CLEAR, NULL);
}

/* Every window is there: a new passcode gets the validity it was asked for (Modify, §4.3). */
static void cycles_enable(CredOp *op) {
        TTPasscodeRequest q = { .op = TTLOCK_PASSCODE_OP_MODIFY, .type = TTLOCK_PASSCODE_PERIOD, .has_validity = true };

        snprintf(q.code, sizeof(q.code), "%s", op->req.code);
        snprintf(q.new_code, sizeof(q.new_code), "%s", op->req.code);
        window(op, &q.start, &q.end);
        send_passcode_step(op, STEP_CYCLIC_ENABLE, &q);
        erase_memory(&q, sizeof(q));
}

static void cycles_next(CredOp *op) {
        if (op->cycle >= op->req.n_cycles)
                return op->req.action == CRED_PASSCODE_ADD ? cycles_enable(op) : finish(op);
        send_cyclic(op, STEP_CYCLIC_ADD, TTLOCK_CYCLIC_OP_ADD, &op->req.cycles[op->cycle]);
}

/* A window was refused, or its answer lost: a new passcode goes again (§4.9, as the SDK deletes a card
 * whose windows failed); a card's or fingerprint's windows are in an unknown state. */
static void cycles_failed(CredOp *op) {
        TTPasscodeRequest q = { .op = TTLOCK_PASSCODE_OP_DELETE };

        if (op->req.action != CRED_PASSCODE_ADD ||
            (op->step != STEP_CYCLIC_ADD && op->step != STEP_CYCLIC_ENABLE) ||
            op->result.status.error == -ENOTCONN || op->result.status.error == -ECANCELED) {
                /* A new passcode stays closed (see run()); a card's or fingerprint's windows are half
                 * set. Either way ttlockd no longer knows which windows the lock holds. */
                op->result.cycles_unknown = true;
                return finish(op);
        }
        op->undo_status = op->result.status;
        op->result.status = (OpStatus){};
        q.type = TTLOCK_PASSCODE_PERIOD; /* as it was added (run()) */
        snprintf(q.code, sizeof(q.code), "%s", op->req.code);
        send_passcode_step(op, STEP_CYCLIC_UNDO, &q);
        erase_memory(&q, sizeof(q));
}

/* ---- the machine ---------------------------------------------------------------------------- */

static void run(CredOp *op) {
        const CredRequest *q = &op->req;
        TTDateTime start, end;
        TTPasscodeRequest p = {};

        window(op, &start, &end);
        op->sequence = 0;
        switch (q->action) {
        case CRED_PASSCODE_LIST:
        case CRED_PASSCODE_CHANGE:
        case CRED_PASSCODE_DELETE:
                return send_passcode_page(op);
        case CRED_PASSCODE_ADD:
                /* §4.3 Add: permanent and cyclic codes carry a start only, one-time and period codes a
                 * start and an end (the codec writes what the type takes). */
                p = (TTPasscodeRequest){
                        .op = TTLOCK_PASSCODE_OP_ADD,
                        .type = q->passcode_type
                                ?: q->permanent ? TTLOCK_PASSCODE_PERMANENT
                                                : TTLOCK_PASSCODE_PERIOD,
                        .start = start,
                        .end = end,
                };
                if (q->set_cycles && q->n_cycles > 0) {
                        /* Closed until its windows are set (§4.9): a period that has not begun (the last
                         * minutes the lock can hold; a booking for later is what any lock takes), so that a
                         * link lost before the last window leaves a code that opens never, not one that
                         * opens at all hours. Its validity comes last (STEP_CYCLIC_ENABLE). */
                        p.type = TTLOCK_PASSCODE_PERIOD;
                        p.start = (TTDateTime){ .year = 2099, .month = 12, .day = 31, .hour = 23, .minute = 58 };
                        p.end = (TTDateTime){ .year = 2099, .month = 12, .day = 31, .hour = 23, .minute = 59 };
                }
                snprintf(p.code, sizeof(p.code), "%s", q->code);
                send_passcode(op, &p);
                erase_memory(&p, sizeof(p));
                return;
        case CRED_PASSCODE_CLEAR:
                return send_passcode(op, &(TTPasscodeRequest){ .op = TTLOCK_PASSCODE_OP_CLEAR });

        case CRED_CARD_LIST:
                return send_card(op, STEP_CARD_PAGE, &(TTCardRequest){ .op = TTLOCK_CARD_OP_SEARCH }, 0);
        case CRED_CARD_ADD:
                return send_card(
                        op,
                        STEP_CARD_OP,
                        &(TTCardRequest){
                                .op = TTLOCK_CARD_OP_ADD,
                                .has_card = true,
                                .card = request_card(op),
                                .start = start,
                                .end = end,
                        },
                        0);
        case CRED_CARD_MODIFY:
                return send_card(
                        op,
                        STEP_CARD_OP,
                        &(TTCardRequest){
                                .op = TTLOCK_CARD_OP_MODIFY,
                                .card = request_card(op),
                                .start = start,
                                .end = end,
                        },
                        0);
        case CRED_CARD_DELETE:
                return send_card(
                        op,
                        STEP_CARD_OP,
                        &(TTCardRequest){ .op = TTLOCK_CARD_OP_DELETE, .card = request_card(op) },
                        0);
        case CRED_CARD_CLEAR:
                return send_card(op, STEP_CARD_OP, &(TTCardRequest){ .op = TTLOCK_CARD_OP_CLEAR }, 0);
        case CRED_CARD_ENROL:
                return send_card(
                        op, STEP_ENROL, &(TTCardRequest){ .op = TTLOCK_CARD_OP_ADD }, q->enrol_timeout_usec);

        case CRED_FINGERPRINT_LIST:
                return send_fingerprint(
                        op, STEP_FINGERPRINT_PAGE, &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_SEARCH }, 0);
        case CRED_FINGERPRINT_MODIFY:
                return send_fingerprint(
                        op,
                        STEP_FINGERPRINT_OP,
                        &(TTFingerprintRequest){
                                .op = TTLOCK_FP_OP_MODIFY,
                                .id = q->number,
                                .start = start,
                                .end = end,
                        },
                        0);
        case CRED_FINGERPRINT_DELETE:
                return send_fingerprint(
                        op,
                        STEP_FINGERPRINT_OP,
                        &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_DELETE, .id = q->number },
                        0);
        case CRED_FINGERPRINT_CLEAR:
                return send_fingerprint(
                        op, STEP_FINGERPRINT_OP, &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_CLEAR }, 0);
        case CRED_FINGERPRINT_ENROL:
                return send_fingerprint(
                        op,
                        STEP_ENROL,
                        &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_ADD },
                        q->enrol_timeout_usec);
        default:
                return fail(op, 0, -EINVAL);
        }
}

/* A reply that carries [battery][op…]: take the battery, nothing else to learn. */
static int on_simple(CredOp *op, const TTReply *reply) {
        TTOpReply o;
        int r;

        r = ttlock_op_reply_decode(reply->data, reply->data_len, &o, NULL);
        if (r < 0)
                return r;
        if (o.battery <= 100) {
                op->result.have_battery = true;
                op->result.battery = o.battery;
        }
        return 0;
}

static int on_step(CredOp *op, const TTReply *reply) {
        int r;

        switch (op->step) {
        case STEP_PASSCODE_PAGE:
                return on_passcode_page(op, reply);

        case STEP_CARD_PAGE: {
                TTCardReply *c = malloc(sizeof(TTCardReply));

                if (!c)
                        return -ENOMEM;
                r = ttlock_card_reply_decode(reply->data, reply->data_len, c, NULL);
                if (r >= 0 && c->op != TTLOCK_CARD_OP_SEARCH)
                        r = -EBADMSG;
                if (r >= 0)
                        r = on_card_page(op, c);
                free(c);
                return r;
        }

        case STEP_FINGERPRINT_PAGE: {
                TTFingerprintReply *f = malloc(sizeof(TTFingerprintReply));

                if (!f)
                        return -ENOMEM;
                r = ttlock_fingerprint_reply_decode(reply->data, reply->data_len, f, NULL);
                if (r >= 0 && f->op != TTLOCK_FP_OP_SEARCH)
                        r = -EBADMSG;
                if (r >= 0)
                        r = on_fingerprint_page(op, f);
                free(f);
                return r;
        }

        case STEP_CARD_OP:
                if (op->req.action == CRED_CARD_ADD) {
                        /* The add-known-card reply looks like a successful enrolment (§4.3). */
                        TTCardReply *c = malloc(sizeof(TTCardReply));

                        if (!c)
                                return -ENOMEM;
                        r = ttlock_card_reply_decode(reply->data, reply->data_len, c, NULL);
                        if (r >= 0 && c->battery <= 100) {
                                op->result.have_battery = true;
                                op->result.battery = c->battery;
                        }
                        free(c);
                } else
                        r = on_simple(op, reply);
                if (r < 0)
                        return r;
                cycles_start(op);
                return 0;

        case STEP_PASSCODE_OP:
        case STEP_FINGERPRINT_OP:
                r = on_simple(op, reply);
                if (r < 0)
                        return r;
                cycles_start(op);
                return 0;

        case STEP_ENROL_VALIDITY:
                r = on_simple(op, reply);
                if (r < 0)
                        return r;
                finish(op);
                return 0;

        case STEP_CYCLIC_CLEAR:
        case STEP_CYCLIC_ADD:
                r = on_simple(op, reply);
                if (r < 0)
                        return r;
                if (op->step == STEP_CYCLIC_ADD)
                        op->cycle++;
                cycles_next(op);
                return 0;

        case STEP_CYCLIC_ENABLE:
                r = on_simple(op, reply);
                if (r < 0)
                        return r;
                finish(op);
                return 0;

        case STEP_CYCLIC_UNDO:
                /* The passcode is gone again; the outcome is the window's failure. */
                op->result.status = op->undo_status;
                finish(op);
                return 0;

        case STEP_ENROL_UNDO:
                /* The credential is gone again; the outcome is the Modify's failure. */
                op->result.status = op->undo_status;
                finish(op);
                return 0;

        case STEP_ENROL:
                return on_enrol(op, reply);

        default:
                return -EINVAL;
        }
}

static int on_reply(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        CredOp *op = userdata;
        int r;

        switch (op->step) {
        case STEP_LOGIN_ADMIN:
                op->step = STEP_LOGIN_RANDOM;
                op->command = TTLOCK_CMD_CHECK_RANDOM;
                r = op_login_send_random(job, &op->keys, error, reply, &op->result.status, on_reply, op);
                if (r < 0)
                        finish(op);
                return 0;
        case STEP_LOGIN_RANDOM:
                if (op_check_reply(TTLOCK_CMD_CHECK_RANDOM, error, reply, &op->result.status) < 0)
                        finish(op);
                else
                        run(op);
                return 0;
        default:
                break;
        }

        r = op_check_reply(op->command, error, reply, &op->result.status);
        if (r < 0) {
                if (op->step == STEP_ENROL) {
                        op->result.enrol_waiting = true;
                        finish_full(op, true);
                } else if (op->step == STEP_ENROL_VALIDITY) {
                        /* §4.3: "on failure it deletes the card again". */
                        op->undo_status = op->result.status;
                        op->result.status = (OpStatus){};
                        if (op->req.action == CRED_CARD_ENROL)
                                send_card(
                                        op,
                                        STEP_ENROL_UNDO,
                                        &(TTCardRequest){
                                                .op = TTLOCK_CARD_OP_DELETE,
                                                .card = { .number = op->result.enrolled,
                                                          .size = op->card_size },
                                        },
                                        0);
                        else
                                send_fingerprint(
                                        op,
                                        STEP_ENROL_UNDO,
                                        &(TTFingerprintRequest){
                                                .op = TTLOCK_FP_OP_DELETE,
                                                .id = op->result.enrolled,
                                        },
                                        0);
                } else if (op->step == STEP_ENROL_UNDO || op->step == STEP_CYCLIC_UNDO) {
                        /* The undo failed too: what the lock holds is the first failure's business. */
                        if (op->step == STEP_CYCLIC_UNDO)
                                op->result.cycles_unknown = true;
                        op->result.status = op->undo_status;
                        finish(op);
                } else if (op->step == STEP_CYCLIC_CLEAR && op->result.status.error == -EREMOTEIO &&
                           op->result.status.lock_error == TTLOCK_ERR_RECORD_NOT_EXIST) {
                        /* §4.9: nothing to clear; the official SDK goes on as after a success. */
                        op->result.status = (OpStatus){};
                        cycles_next(op);
                } else if (op->step == STEP_CYCLIC_CLEAR || op->step == STEP_CYCLIC_ADD ||
                           op->step == STEP_CYCLIC_ENABLE)
                        cycles_failed(op);
                else
                        finish(op);
                return 0;
        }
        r = on_step(op, reply);
        if (r < 0) {
                fail(op, op->command, r);
                return 0;
        }
        return r; /* 1: an enrolment step, keep the ADD in flight */
}

static void on_start(LinkJob *job, int error, void *userdata) {
        CredOp *op = userdata;
        int r;

        if (error < 0) {
                op->job = NULL; /* the link has dropped the job already */
                return fail(op, 0, error);
        }
        op->started = true;
        op->step = STEP_LOGIN_ADMIN;
        op->command = TTLOCK_CMD_CHECK_ADMIN;
        r = op_login_send_admin(job, &op->keys, on_reply, op);
        if (r < 0)
                fail(op, TTLOCK_CMD_CHECK_ADMIN, r);
}

int cred_op_start(
        Link *link,
        const OpKeys *keys,
        const CredRequest *req,
        CredProgressCallback progress,
        CredDone done,
        void *userdata,
        CredOp **ret) {
        CredOp *op;
        int r;

        assert(link);

        if (req->action >= _CRED_ACTION_MAX)
                return -EINVAL;
        op = calloc(1, sizeof(CredOp));
        if (!op)
                return -ENOMEM;
        op->req = *req;
        op->keys = *keys;
        op->progress = progress;
        op->done = done;
        op->userdata = userdata;
        if (ret)
                *ret = op;
        r = link_enqueue(link, on_start, op, &op->job);
        if (r < 0) {
                op_free(op);
                return r;
        }
        return 0;
}

void cred_op_cancel(CredOp *op) {
        if (!op)
                return;
        if (op->job) {
                if (op->started && is_enrol(op) && op->step == STEP_ENROL)
                        link_job_finish_disconnect(op->job);
                else
                        link_job_cancel(op->job);
        }
        op_free(op);
}
