/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "credentials.h"
#include "macro.h"

/* ---- Passcodes --------------------------------------------------------------------------------- */

int ttlock_passcode_check(const char *s, size_t min, size_t max, const char *field, TTError *e) {
        size_t n;

        if (!s)
                return tt_error(e, -EINVAL, "%s: missing", field);
        n = strnlen(s, TTLOCK_PASSCODE_MAX + 1);
        if (n < min || n > max)
                return tt_error(e, -EINVAL, "%s: %s%zu digits, expected %zu…%zu", field,
                                n > TTLOCK_PASSCODE_MAX ? "more than " : "",
                                MIN(n, (size_t) TTLOCK_PASSCODE_MAX), min, max);
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return tt_error(e, -EINVAL, "%s: character %zu is not a digit (0x%02x)", field, i,
                                        (unsigned char) s[i]);
        return 0;
}

int ttlock_passcode_put(TTWriter *w, const char *s, size_t min, size_t max, const char *field,
                        TTError *e) {
        int r;

        r = ttlock_passcode_check(s, min, max, field, e);
        if (r < 0)
                return r;
        tt_put_u8(w, (uint8_t) strlen(s));
        tt_put_bytes(w, s, strlen(s));
        return 0;
}

int ttlock_passcode_get(TTReader *r, const char *field, size_t min, size_t max,
                        char ret[TTLOCK_PASSCODE_MAX + 1]) {
        const uint8_t *p;
        size_t start = r->pos;
        uint8_t n;
        int k;

        assert(max <= TTLOCK_PASSCODE_MAX);

        k = tt_get_u8(r, field, &n);
        if (k < 0)
                return k;
        if (n < min || n > max) {
                r->pos = start;
                return tt_error(r->error, -EBADMSG, "%s: length %u at offset %zu, expected %zu…%zu",
                                field, n, start, min, max);
        }
        k = tt_get_bytes(r, field, n, &p);
        if (k < 0) {
                r->pos = start;
                return k;
        }
        for (size_t i = 0; i < n; i++)
                if (p[i] < '0' || p[i] > '9') {
                        r->pos = start;
                        return tt_error(r->error, -EBADMSG, "%s: byte %zu is not an ASCII digit (0x%02x)",
                                        field, i, p[i]);
                }
        memcpy(ret, p, n);
        ret[n] = 0;
        return 0;
}

/* ---- Card numbers ------------------------------------------------------------------------------ */

int ttlock_card_number_parse(const char *s, uint64_t *ret, TTError *e) {
        uint64_t v = 0;
        size_t n;

        if (!s || !*s)
                return tt_error(e, -EINVAL, "card number: empty");
        n = strnlen(s, 21);
        if (n > 20)
                return tt_error(e, -EINVAL, "card number: more than 20 digits");
        if (n > 1 && s[0] == '0')
                return tt_error(e, -EINVAL, "card number '%s': leading zero", s);
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return tt_error(e, -EINVAL, "card number: character %zu is not a digit (0x%02x)", i,
                                        (unsigned char) s[i]);
                d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return tt_error(e, -EINVAL, "card number '%s': larger than %" PRIu64, s, UINT64_MAX);
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

const char *ttlock_card_number_format(uint64_t number, char buf[TTLOCK_CARD_NUMBER_STRLEN]) {
        snprintf(buf, TTLOCK_CARD_NUMBER_STRLEN, "%" PRIu64, number);
        return buf;
}

uint8_t ttlock_card_size_for(uint64_t number) {
        /* §4.3 says 4 bytes for ≤ 10 decimal digits; a 10-digit number above 4294967295 does not fit
         * them (the SDK truncates it), so it goes in 8 bytes: 4 bytes exactly when it fits 32 bits. */
        return number <= UINT32_MAX ? 4 : 8;
}

int ttlock_card_from_string(const char *s, TTCard *ret, TTError *e) {
        uint64_t v;
        int r;

        r = ttlock_card_number_parse(s, &v, e);
        if (r < 0)
                return r;
        *ret = (TTCard) { .number = v, .size = ttlock_card_size_for(v) };
        return 0;
}

static int card_check(const TTCard *c, TTError *e) {
        if (c->size == 4 && c->number > UINT32_MAX)
                return tt_error(e, -EINVAL, "card %" PRIu64 " does not fit 4 bytes", c->number);
        if (c->size != 4 && c->size != 8)
                return tt_error(e, -EINVAL, "card size %u, expected 4 or 8", c->size);
        return 0;
}

static int card_put(TTWriter *w, const TTCard *c, TTError *e) {
        int r = card_check(c, e);
        if (r < 0)
                return r;
        tt_put_uint_be(w, c->number, c->size);
        return 0;
}

static int card_get(TTReader *r, size_t size, TTCard *ret) {
        uint64_t v;
        int k = tt_get_uint_be(r, "card", size, &v);
        if (k < 0)
                return k;
        *ret = (TTCard) { .number = v, .size = (uint8_t) size };
        return 0;
}

static int finish(TTWriter *w, TTError *e) {
        return tt_writer_finish(w, NULL, e);
}

/* ---- MANAGE_KEYBOARD_PASSWORD 0x03 ---------------------------------------------------------------- */

static bool passcode_type_valid(uint8_t t) {
        return t >= TTLOCK_PASSCODE_PERMANENT && t <= TTLOCK_PASSCODE_CYCLIC;
}

/* §4.3 Add: types 2 (count) and 3 (period) carry an end date, 1 and 4 only a start. */
static bool add_has_end(uint8_t type) {
        return type == TTLOCK_PASSCODE_COUNT || type == TTLOCK_PASSCODE_PERIOD;
}

int ttlock_passcode_request_encode(TTWriter *w, const TTPasscodeRequest *req, TTError *e) {
        int r;

        if (req->op != TTLOCK_PASSCODE_OP_CLEAR && !passcode_type_valid(req->type))
                return tt_error(e, -EINVAL, "passcode type %u, expected 1…4", req->type);

        switch (req->op) {
        case TTLOCK_PASSCODE_OP_CLEAR:
                tt_put_u8(w, req->op);
                break;

        case TTLOCK_PASSCODE_OP_ADD:
                tt_put_u8(w, req->op);
                tt_put_u8(w, req->type);
                r = ttlock_passcode_put(w, req->code, TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_ADD_MAX,
                                        "passcode", e);
                if (r < 0)
                        return r;
                r = ttlock_put_date5(w, &req->start, "start", e);
                if (r < 0)
                        return r;
                if (add_has_end(req->type)) {
                        r = ttlock_put_date5(w, &req->end, "end", e);
                        if (r < 0)
                                return r;
                }
                break;

        case TTLOCK_PASSCODE_OP_DELETE:
                tt_put_u8(w, req->op);
                tt_put_u8(w, req->type);
                /* Any passcode the lock lists may be deleted, not only those we could add. */
                r = ttlock_passcode_put(w, req->code, TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_MAX,
                                        "passcode", e);
                if (r < 0)
                        return r;
                break;

        case TTLOCK_PASSCODE_OP_MODIFY:
        case TTLOCK_PASSCODE_OP_RECOVERY:
                tt_put_u8(w, req->op);
                tt_put_u8(w, req->type);
                r = ttlock_passcode_put(w, req->code, TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_MAX,
                                        "old passcode", e);
                if (r < 0)
                        return r;
                /* A modified code is a new code (4–9 digits); a recovered one existed before. */
                r = ttlock_passcode_put(w, req->new_code, TTLOCK_PASSCODE_ADD_MIN,
                                        req->op == TTLOCK_PASSCODE_OP_MODIFY ? TTLOCK_PASSCODE_ADD_MAX
                                                                             : TTLOCK_PASSCODE_MAX,
                                        "new passcode", e);
                if (r < 0)
                        return r;
                if (req->op == TTLOCK_PASSCODE_OP_MODIFY) {
                        /* §4.3: the validity only when it changes. */
                        if (!req->has_validity)
                                break;
                        r = ttlock_put_date5(w, &req->start, "start", e);
                        if (r < 0)
                                return r;
                        r = ttlock_put_date5(w, &req->end, "end", e);
                        if (r < 0)
                                return r;
                        break;
                }
                /* §4.3 Recovery: start, then end for period codes, cycleType for cyclic ones. */
                r = ttlock_put_date5(w, &req->start, "start", e);
                if (r < 0)
                        return r;
                if (req->type == TTLOCK_PASSCODE_PERIOD) {
                        r = ttlock_put_date5(w, &req->end, "end", e);
                        if (r < 0)
                                return r;
                } else if (req->type == TTLOCK_PASSCODE_CYCLIC)
                        tt_put_u16be(w, req->cycle_type);
                break;

        default:
                return tt_error(e, -EINVAL, "passcode operation %u, expected 1, 2, 3, 5 or 6", req->op);
        }
        return finish(w, e);
}

int ttlock_passcode_request_decode(const uint8_t *data, size_t len, TTPasscodeRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTPasscodeRequest q = {};
        int r;

        r = tt_get_u8(&rd, "operation", &q.op);
        if (r < 0)
                return r;
        if (q.op == TTLOCK_PASSCODE_OP_CLEAR) {
                r = tt_expect_end(&rd, "clear-passcodes request");
                if (r < 0)
                        return r;
                *ret = q;
                return 0;
        }
        if (q.op != TTLOCK_PASSCODE_OP_ADD && q.op != TTLOCK_PASSCODE_OP_DELETE &&
            q.op != TTLOCK_PASSCODE_OP_MODIFY && q.op != TTLOCK_PASSCODE_OP_RECOVERY)
                return tt_error(e, -EBADMSG, "passcode operation %u, expected 1, 2, 3, 5 or 6", q.op);

        r = tt_get_u8(&rd, "passcode type", &q.type);
        if (r < 0)
                return r;
        if (!passcode_type_valid(q.type))
                return tt_error(e, -EBADMSG, "passcode type %u, expected 1…4", q.type);

        switch (q.op) {
        case TTLOCK_PASSCODE_OP_ADD:
                r = ttlock_passcode_get(&rd, "passcode", TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_ADD_MAX,
                                        q.code);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "start", &q.start);
                if (r >= 0 && add_has_end(q.type))
                        r = ttlock_get_date5(&rd, "end", &q.end);
                break;

        case TTLOCK_PASSCODE_OP_DELETE:
                r = ttlock_passcode_get(&rd, "passcode", TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_MAX,
                                        q.code);
                break;

        case TTLOCK_PASSCODE_OP_MODIFY:
                r = ttlock_passcode_get(&rd, "old passcode", TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_MAX,
                                        q.code);
                if (r >= 0)
                        r = ttlock_passcode_get(&rd, "new passcode", TTLOCK_PASSCODE_ADD_MIN,
                                                TTLOCK_PASSCODE_ADD_MAX, q.new_code);
                if (r >= 0 && tt_reader_left(&rd) > 0) {
                        q.has_validity = true;
                        r = ttlock_get_date5(&rd, "start", &q.start);
                        if (r >= 0)
                                r = ttlock_get_date5(&rd, "end", &q.end);
                }
                break;

        case TTLOCK_PASSCODE_OP_RECOVERY:
                r = ttlock_passcode_get(&rd, "old passcode", TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_MAX,
                                        q.code);
                if (r >= 0)
                        r = ttlock_passcode_get(&rd, "new passcode", TTLOCK_PASSCODE_ADD_MIN,
                                                TTLOCK_PASSCODE_MAX, q.new_code);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "start", &q.start);
                if (r >= 0 && q.type == TTLOCK_PASSCODE_PERIOD)
                        r = ttlock_get_date5(&rd, "end", &q.end);
                else if (r >= 0 && q.type == TTLOCK_PASSCODE_CYCLIC)
                        r = tt_get_u16be(&rd, "cycle type", &q.cycle_type);
                break;
        }
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "passcode request");
        if (r < 0)
                return r;
        *ret = q;
        return 0;
}

void ttlock_op_reply_encode(TTWriter *w, uint8_t battery, uint8_t op) {
        tt_put_u8(w, battery);
        tt_put_u8(w, op);
}

int ttlock_op_reply_decode(const uint8_t *data, size_t len, TTOpReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTOpReply o;
        int r;

        r = tt_get_u8(&rd, "battery", &o.battery);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "operation", &o.op);
        if (r < 0)
                return r;
        /* Later bytes, if a firmware adds any, are not ours to judge (see credentials.h). */
        *ret = o;
        return 0;
}

/* ---- PWD_LIST 0x07 -------------------------------------------------------------------------------- */

void ttlock_pwd_list_request_encode(TTWriter *w, uint16_t sequence) {
        tt_put_u16be(w, sequence);
}

static int sequence_request_decode(const uint8_t *data, size_t len, const char *what, uint16_t *ret,
                                   TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        uint16_t v;
        int r;

        r = tt_get_u16be(&rd, "sequence", &v);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, what);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int ttlock_pwd_list_request_decode(const uint8_t *data, size_t len, uint16_t *ret, TTError *e) {
        return sequence_request_decode(data, len, "passcode list request", ret, e);
}

static size_t pwd_record_tail_size(uint8_t type) {
        if (add_has_end(type))
                return 5;
        if (type == TTLOCK_PASSCODE_CYCLIC)
                return 2;
        return 0;
}

int ttlock_pwd_list_record_size(const TTPasscodeEntry *entry, TTError *e) {
        int r;

        r = ttlock_passcode_check(entry->code, 0, TTLOCK_PASSCODE_MAX, "passcode", e);
        if (r < 0)
                return r;
        r = ttlock_passcode_check(entry->original, 0, TTLOCK_PASSCODE_MAX, "original passcode", e);
        if (r < 0)
                return r;
        return (int) (1 + 1 + 1 + strlen(entry->code) + 1 + strlen(entry->original) + 5 +
                      pwd_record_tail_size(entry->type));
}

size_t ttlock_pwd_list_page_fit(const TTPasscodeEntry *entries, size_t n) {
        size_t used = 4, i;

        for (i = 0; i < n && i < TTLOCK_PWD_LIST_PAGE_MAX; i++) {
                int s = ttlock_pwd_list_record_size(&entries[i], NULL);
                if (s < 0 || used + (size_t) s > TTLOCK_REPLY_DATA_MAX)
                        break;
                used += (size_t) s;
        }
        return i;
}

int ttlock_pwd_list_reply_encode(TTWriter *w, uint16_t total, uint16_t next_sequence,
                                 const TTPasscodeEntry *entries, size_t n, TTError *e) {
        int r;

        if (n > TTLOCK_PWD_LIST_PAGE_MAX)
                return tt_error(e, -EINVAL, "%zu passcodes on one page, at most %d", n,
                                TTLOCK_PWD_LIST_PAGE_MAX);
        tt_put_u16be(w, total);
        tt_put_u16be(w, next_sequence);
        for (size_t i = 0; i < n; i++) {
                const TTPasscodeEntry *p = &entries[i];
                int size = ttlock_pwd_list_record_size(p, e);
                if (size < 0)
                        return size;
                tt_put_u8(w, (uint8_t) (size - 1));
                tt_put_u8(w, p->type);
                (void) ttlock_passcode_put(w, p->code, 0, TTLOCK_PASSCODE_MAX, "passcode", e);
                (void) ttlock_passcode_put(w, p->original, 0, TTLOCK_PASSCODE_MAX, "original passcode", e);
                r = ttlock_put_date5(w, &p->start, "start", e);
                if (r < 0)
                        return r;
                if (add_has_end(p->type)) {
                        r = ttlock_put_date5(w, &p->end, "end", e);
                        if (r < 0)
                                return r;
                } else if (p->type == TTLOCK_PASSCODE_CYCLIC)
                        tt_put_u16be(w, p->cycle_type);
        }
        return finish(w, e);
}

int ttlock_pwd_list_reply_decode(const uint8_t *data, size_t len, TTPasscodePage *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTPasscodePage page = {};
        int r;

        r = tt_get_u16be(&rd, "total", &page.total);
        if (r < 0)
                return r;
        r = tt_get_u16be(&rd, "next sequence", &page.next_sequence);
        if (r < 0)
                return r;

        while (tt_reader_left(&rd) > 0) {
                TTPasscodeEntry *p;
                TTError inner = {};
                const uint8_t *body;
                TTReader rec;
                uint8_t rec_len;
                size_t rec_start;

                if (page.n_entries >= TTLOCK_PWD_LIST_PAGE_MAX)
                        return tt_error(e, -EBADMSG, "passcode list: more than %d records",
                                        TTLOCK_PWD_LIST_PAGE_MAX);
                rec_start = rd.pos;
                r = tt_get_u8(&rd, "record length", &rec_len);
                if (r < 0)
                        return r;
                r = tt_get_bytes(&rd, "passcode record", rec_len, &body);
                if (r < 0)
                        return r;

                /* Read the record inside its own bounds: a field may not run into the next one. */
                rec = TT_READER(body, rec_len, &inner);
                p = &page.entries[page.n_entries];
                r = tt_get_u8(&rec, "passcode type", &p->type);
                if (r >= 0)
                        r = ttlock_passcode_get(&rec, "passcode", 0, TTLOCK_PASSCODE_MAX, p->code);
                if (r >= 0)
                        r = ttlock_passcode_get(&rec, "original passcode", 0, TTLOCK_PASSCODE_MAX,
                                                p->original);
                if (r >= 0)
                        r = ttlock_get_date5(&rec, "start", &p->start);
                if (r >= 0 && add_has_end(p->type))
                        r = ttlock_get_date5(&rec, "end", &p->end);
                else if (r >= 0 && p->type == TTLOCK_PASSCODE_CYCLIC)
                        r = tt_get_u16be(&rec, "cycle type", &p->cycle_type);
                if (r < 0)
                        return tt_error(e, -EBADMSG, "passcode record %zu at offset %zu (recLen %u): %s",
                                        page.n_entries, rec_start, rec_len, tt_error_message(&inner));
                /* Bytes after the known fields are skipped (newer firmware). */
                page.n_entries++;
        }
        *ret = page;
        return 0;
}

/* ---- IC_MANAGE 0x05 --------------------------------------------------------------------------------- */

int ttlock_card_request_encode(TTWriter *w, const TTCardRequest *req, TTError *e) {
        int r;

        switch (req->op) {
        case TTLOCK_CARD_OP_SEARCH:
                tt_put_u8(w, req->op);
                tt_put_u16be(w, req->sequence);
                break;
        case TTLOCK_CARD_OP_CLEAR:
                tt_put_u8(w, req->op);
                break;
        case TTLOCK_CARD_OP_DELETE:
                tt_put_u8(w, req->op);
                r = card_put(w, &req->card, e);
                if (r < 0)
                        return r;
                break;
        case TTLOCK_CARD_OP_ADD:
        case TTLOCK_CARD_OP_MODIFY:
                tt_put_u8(w, req->op);
                if (req->op == TTLOCK_CARD_OP_ADD && !req->has_card)
                        break; /* enrol: the lock waits for a card */
                r = card_put(w, &req->card, e);
                if (r < 0)
                        return r;
                r = ttlock_put_date5(w, &req->start, "start", e);
                if (r < 0)
                        return r;
                r = ttlock_put_date5(w, &req->end, "end", e);
                if (r < 0)
                        return r;
                break;
        default:
                return tt_error(e, -EINVAL, "IC operation %u, expected 1…5", req->op);
        }
        return finish(w, e);
}

int ttlock_card_request_decode(const uint8_t *data, size_t len, TTCardRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTCardRequest q = {};
        size_t left;
        int r;

        r = tt_get_u8(&rd, "operation", &q.op);
        if (r < 0)
                return r;
        left = tt_reader_left(&rd);

        switch (q.op) {
        case TTLOCK_CARD_OP_SEARCH:
                r = tt_get_u16be(&rd, "sequence", &q.sequence);
                break;
        case TTLOCK_CARD_OP_CLEAR:
                break;
        case TTLOCK_CARD_OP_DELETE:
                if (left != 4 && left != 8)
                        return tt_error(e, -EBADMSG, "IC delete: %zu bytes of card number, expected 4 or 8",
                                        left);
                r = card_get(&rd, left, &q.card);
                break;
        case TTLOCK_CARD_OP_ADD:
        case TTLOCK_CARD_OP_MODIFY:
                if (q.op == TTLOCK_CARD_OP_ADD && left == 0)
                        break;
                if (left != 4 + 10 && left != 8 + 10)
                        return tt_error(e, -EBADMSG,
                                        "IC %s: %zu bytes after the operation, expected 14 or 18 "
                                        "(card 4|8, start 5, end 5)",
                                        q.op == TTLOCK_CARD_OP_ADD ? "add" : "modify", left);
                q.has_card = true;
                r = card_get(&rd, left - 10, &q.card);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "start", &q.start);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "end", &q.end);
                break;
        default:
                return tt_error(e, -EBADMSG, "IC operation %u, expected 1…5", q.op);
        }
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "IC request");
        if (r < 0)
                return r;
        *ret = q;
        return 0;
}

size_t ttlock_card_search_page_fit(const TTCardEntry *cards, size_t n) {
        size_t i;

        if (n == 0)
                return 0;
        /* An 8-byte card can only travel alone (the "exactly 20 bytes" rule of §4.3). */
        if (cards[0].card.size == 8)
                return 1;
        for (i = 0; i < n && i < TTLOCK_CARD_PAGE_MAX; i++)
                if (cards[i].card.size != 4)
                        break;
        return i;
}

static int card_entry_put(TTWriter *w, const TTCardEntry *c, TTError *e) {
        int r = card_put(w, &c->card, e);
        if (r < 0)
                return r;
        r = ttlock_put_date5(w, &c->start, "start", e);
        if (r < 0)
                return r;
        return ttlock_put_date5(w, &c->end, "end", e);
}

int ttlock_card_search_reply_encode(TTWriter *w, uint8_t battery, uint16_t next_sequence,
                                    const TTCardEntry *cards, size_t n, TTError *e) {
        int r;

        if (n > TTLOCK_CARD_PAGE_MAX)
                return tt_error(e, -EINVAL, "%zu cards on one page, at most %d", n, TTLOCK_CARD_PAGE_MAX);
        for (size_t i = 0; i < n; i++)
                if (cards[i].card.size == 8 && n > 1)
                        return tt_error(e, -EINVAL,
                                        "8-byte card %" PRIu64 " must be alone on a search page (§4.3)",
                                        cards[i].card.number);
        ttlock_op_reply_encode(w, battery, TTLOCK_CARD_OP_SEARCH);
        tt_put_u16be(w, next_sequence);
        for (size_t i = 0; i < n; i++) {
                r = card_entry_put(w, &cards[i], e);
                if (r < 0)
                        return r;
        }
        return finish(w, e);
}

void ttlock_card_enrol_waiting_encode(TTWriter *w, uint8_t battery) {
        ttlock_op_reply_encode(w, battery, TTLOCK_CARD_OP_ADD);
        tt_put_u8(w, TTLOCK_ENROL_WAITING);
}

int ttlock_card_enrol_success_encode(TTWriter *w, uint8_t battery, const TTCard *card, TTError *e) {
        int r;

        if (card->size == 8 && (card->number & UINT32_MAX) == UINT32_MAX)
                return tt_error(e, -EINVAL,
                                "8-byte card %" PRIu64
                                " ends in FF FF FF FF and would read as a 4-byte card",
                                card->number);
        ttlock_op_reply_encode(w, battery, TTLOCK_CARD_OP_ADD);
        tt_put_u8(w, TTLOCK_ENROL_SUCCESS);
        r = card_put(w, card, e);
        if (r < 0)
                return r;
        return finish(w, e);
}

static int card_entry_get(TTReader *rd, size_t card_size, TTCardEntry *ret) {
        int r = card_get(rd, card_size, &ret->card);
        if (r < 0)
                return r;
        r = ttlock_get_date5(rd, "start", &ret->start);
        if (r < 0)
                return r;
        return ttlock_get_date5(rd, "end", &ret->end);
}

int ttlock_card_reply_decode(const uint8_t *data, size_t len, TTCardReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTCardReply c = {};
        size_t left;
        int r;

        r = tt_get_u8(&rd, "battery", &c.battery);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "operation", &c.op);
        if (r < 0)
                return r;

        switch (c.op) {
        case TTLOCK_CARD_OP_SEARCH:
                /* §4.3: exactly 20 bytes after the op = next seq + one record with an 8-byte card. */
                left = tt_reader_left(&rd);
                r = tt_get_u16be(&rd, "next sequence", &c.next_sequence);
                if (r < 0)
                        return r;
                if (left == 2 + 8 + 10) {
                        r = card_entry_get(&rd, 8, &c.cards[0]);
                        if (r < 0)
                                return r;
                        c.n_cards = 1;
                        break;
                }
                left = tt_reader_left(&rd);
                if (left % TTLOCK_CARD_RECORD_SIZE != 0)
                        return tt_error(e, -EBADMSG, "IC search: %zu bytes of records, not a multiple of %d",
                                        left, TTLOCK_CARD_RECORD_SIZE);
                if (left / TTLOCK_CARD_RECORD_SIZE > TTLOCK_CARD_PAGE_MAX)
                        return tt_error(e, -EBADMSG, "IC search: more than %d records",
                                        TTLOCK_CARD_PAGE_MAX);
                while (tt_reader_left(&rd) > 0) {
                        r = card_entry_get(&rd, 4, &c.cards[c.n_cards]);
                        if (r < 0)
                                return r;
                        c.n_cards++;
                }
                break;

        case TTLOCK_CARD_OP_ADD:
                r = tt_get_u8(&rd, "enrol status", &c.add_status);
                if (r < 0)
                        return r;
                if (c.add_status == TTLOCK_ENROL_WAITING)
                        break;
                if (c.add_status != TTLOCK_ENROL_SUCCESS)
                        return tt_error(e, -EBADMSG, "IC add: enrol status %u, expected 1 or 2",
                                        c.add_status);
                left = tt_reader_left(&rd);
                if (left >= 8) {
                        r = card_get(&rd, 8, &c.card);
                        if (r < 0)
                                return r;
                        /* §4.3: 8 bytes whose last 4 are FF FF FF FF are a 4-byte card. */
                        if ((c.card.number & UINT32_MAX) == UINT32_MAX)
                                c.card = (TTCard) { .number = c.card.number >> 32, .size = 4 };
                } else {
                        r = card_get(&rd, 4, &c.card);
                        if (r < 0)
                                return r;
                }
                break;

        case TTLOCK_CARD_OP_DELETE:
        case TTLOCK_CARD_OP_CLEAR:
        case TTLOCK_CARD_OP_MODIFY:
                break;

        default:
                return tt_error(e, -EBADMSG, "IC reply: operation %u, expected 1…5", c.op);
        }
        *ret = c;
        return 0;
}

/* ---- FR_MANAGE 0x06 --------------------------------------------------------------------------------- */

static int fp_check(uint64_t id, TTError *e) {
        if (id > TTLOCK_FINGERPRINT_ID_MAX)
                return tt_error(e, -EINVAL, "fingerprint id %" PRIu64 " does not fit 6 bytes", id);
        return 0;
}

int ttlock_fingerprint_request_encode(TTWriter *w, const TTFingerprintRequest *req, TTError *e) {
        int r;

        switch (req->op) {
        case TTLOCK_FP_OP_SEARCH:
                tt_put_u8(w, req->op);
                tt_put_u16be(w, req->sequence);
                break;
        case TTLOCK_FP_OP_ADD:
        case TTLOCK_FP_OP_CLEAR:
                tt_put_u8(w, req->op);
                break;
        case TTLOCK_FP_OP_DELETE:
        case TTLOCK_FP_OP_MODIFY:
                r = fp_check(req->id, e);
                if (r < 0)
                        return r;
                tt_put_u8(w, req->op);
                tt_put_uint_be(w, req->id, 6);
                if (req->op == TTLOCK_FP_OP_DELETE)
                        break;
                r = ttlock_put_date5(w, &req->start, "start", e);
                if (r < 0)
                        return r;
                r = ttlock_put_date5(w, &req->end, "end", e);
                if (r < 0)
                        return r;
                break;
        default:
                return tt_error(e, -EINVAL, "fingerprint operation %u, expected 2…6", req->op);
        }
        return finish(w, e);
}

int ttlock_fingerprint_request_decode(const uint8_t *data, size_t len, TTFingerprintRequest *ret,
                                      TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTFingerprintRequest q = {};
        int r;

        r = tt_get_u8(&rd, "operation", &q.op);
        if (r < 0)
                return r;
        switch (q.op) {
        case TTLOCK_FP_OP_SEARCH:
                r = tt_get_u16be(&rd, "sequence", &q.sequence);
                break;
        case TTLOCK_FP_OP_ADD:
        case TTLOCK_FP_OP_CLEAR:
                break;
        case TTLOCK_FP_OP_DELETE:
                r = tt_get_uint_be(&rd, "fingerprint id", 6, &q.id);
                break;
        case TTLOCK_FP_OP_MODIFY:
                r = tt_get_uint_be(&rd, "fingerprint id", 6, &q.id);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "start", &q.start);
                if (r >= 0)
                        r = ttlock_get_date5(&rd, "end", &q.end);
                break;
        default:
                return tt_error(e, -EBADMSG, "fingerprint operation %u, expected 2…6", q.op);
        }
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "fingerprint request");
        if (r < 0)
                return r;
        *ret = q;
        return 0;
}

size_t ttlock_fingerprint_search_page_fit(size_t n) {
        return MIN(n, (size_t) TTLOCK_FINGERPRINT_PAGE_MAX);
}

int ttlock_fingerprint_search_reply_encode(TTWriter *w, uint8_t battery, uint16_t next_sequence,
                                           const TTFingerprintEntry *fps, size_t n, TTError *e) {
        int r;

        if (n > TTLOCK_FINGERPRINT_PAGE_MAX)
                return tt_error(e, -EINVAL, "%zu fingerprints on one page, at most %d", n,
                                TTLOCK_FINGERPRINT_PAGE_MAX);
        ttlock_op_reply_encode(w, battery, TTLOCK_FP_OP_SEARCH);
        tt_put_u16be(w, next_sequence);
        for (size_t i = 0; i < n; i++) {
                r = fp_check(fps[i].id, e);
                if (r < 0)
                        return r;
                tt_put_uint_be(w, fps[i].id, 6);
                r = ttlock_put_date5(w, &fps[i].start, "start", e);
                if (r < 0)
                        return r;
                r = ttlock_put_date5(w, &fps[i].end, "end", e);
                if (r < 0)
                        return r;
        }
        return finish(w, e);
}

int ttlock_fingerprint_add_reply_encode(TTWriter *w, const TTFingerprintReply *rp, TTError *e) {
        int r;

        ttlock_op_reply_encode(w, rp->battery, TTLOCK_FP_OP_ADD);
        switch (rp->add_status) {
        case TTLOCK_ENROL_WAITING:
                tt_put_u8(w, rp->add_status);
                if (rp->has_total)
                        tt_put_u8(w, rp->total);
                break;
        case TTLOCK_ENROL_PROGRESS:
                if (rp->current > rp->total)
                        return tt_error(e, -EINVAL, "fingerprint progress %u of %u", rp->current, rp->total);
                tt_put_u8(w, rp->add_status);
                tt_put_u8(w, rp->current);
                tt_put_u8(w, rp->total);
                break;
        case TTLOCK_ENROL_SUCCESS:
                r = fp_check(rp->id, e);
                if (r < 0)
                        return r;
                tt_put_u8(w, rp->add_status);
                tt_put_uint_be(w, rp->id, 6);
                break;
        case TTLOCK_ENROL_TEMPLATE:
                tt_put_u8(w, rp->add_status);
                tt_put_u16be(w, rp->template_sequence);
                tt_put_u16be(w, rp->template_packet_length);
                break;
        default:
                return tt_error(e, -EINVAL, "fingerprint enrol status %u, expected 1…4", rp->add_status);
        }
        return finish(w, e);
}

int ttlock_fingerprint_reply_decode(const uint8_t *data, size_t len, TTFingerprintReply *ret,
                                    TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTFingerprintReply f = {};
        size_t left;
        int r;

        r = tt_get_u8(&rd, "battery", &f.battery);
        if (r < 0)
                return r;
        r = tt_get_u8(&rd, "operation", &f.op);
        if (r < 0)
                return r;

        switch (f.op) {
        case TTLOCK_FP_OP_SEARCH:
                r = tt_get_u16be(&rd, "next sequence", &f.next_sequence);
                if (r < 0)
                        return r;
                left = tt_reader_left(&rd);
                if (left % TTLOCK_FINGERPRINT_RECORD_SIZE != 0)
                        return tt_error(e, -EBADMSG,
                                        "fingerprint search: %zu bytes of records, not a multiple of %d",
                                        left, TTLOCK_FINGERPRINT_RECORD_SIZE);
                if (left / TTLOCK_FINGERPRINT_RECORD_SIZE > TTLOCK_FINGERPRINT_PAGE_MAX)
                        return tt_error(e, -EBADMSG, "fingerprint search: more than %d records",
                                        TTLOCK_FINGERPRINT_PAGE_MAX);
                while (tt_reader_left(&rd) > 0) {
                        TTFingerprintEntry *fp = &f.fingerprints[f.n_fingerprints];

                        r = tt_get_uint_be(&rd, "fingerprint id", 6, &fp->id);
                        if (r >= 0)
                                r = ttlock_get_date5(&rd, "start", &fp->start);
                        if (r >= 0)
                                r = ttlock_get_date5(&rd, "end", &fp->end);
                        if (r < 0)
                                return r;
                        f.n_fingerprints++;
                }
                break;

        case TTLOCK_FP_OP_ADD:
                r = tt_get_u8(&rd, "enrol status", &f.add_status);
                if (r < 0)
                        return r;
                switch (f.add_status) {
                case TTLOCK_ENROL_WAITING:
                        /* d[3] = presses required, optional (§4.3). */
                        if (tt_reader_left(&rd) > 0) {
                                f.has_total = true;
                                r = tt_get_u8(&rd, "total presses", &f.total);
                        }
                        break;
                case TTLOCK_ENROL_PROGRESS:
                        r = tt_get_u8(&rd, "current press", &f.current);
                        if (r >= 0)
                                r = tt_get_u8(&rd, "total presses", &f.total);
                        if (r >= 0 && f.current > f.total)
                                return tt_error(e, -EBADMSG, "fingerprint progress %u of %u", f.current,
                                                f.total);
                        break;
                case TTLOCK_ENROL_SUCCESS:
                        r = tt_get_uint_be(&rd, "fingerprint id", 6, &f.id);
                        break;
                case TTLOCK_ENROL_TEMPLATE:
                        r = tt_get_u16be(&rd, "template sequence", &f.template_sequence);
                        if (r >= 0)
                                r = tt_get_u16be(&rd, "template packet length", &f.template_packet_length);
                        break;
                default:
                        return tt_error(e, -EBADMSG, "fingerprint add: enrol status %u, expected 1…4",
                                        f.add_status);
                }
                if (r < 0)
                        return r;
                break;

        case TTLOCK_FP_OP_DELETE:
        case TTLOCK_FP_OP_CLEAR:
        case TTLOCK_FP_OP_MODIFY:
                break;

        default:
                return tt_error(e, -EBADMSG, "fingerprint reply: operation %u, expected 2…6", f.op);
        }
        *ret = f;
        return 0;
}

/* ---- GET_ADMIN_CODE 0x65 / SET_ADMIN_KEYBOARD_PWD 0x53 --------------------------------------------- */

int ttlock_admin_code_request_decode(const uint8_t *data, size_t len, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        return tt_expect_end(&rd, "get-admin-code request (empty)");
}

int ttlock_admin_code_reply_encode(TTWriter *w, uint8_t battery, const char *code, TTError *e) {
        int r;

        tt_put_u8(w, battery);
        r = ttlock_passcode_put(w, code, 0, TTLOCK_PASSCODE_MAX, "admin passcode", e);
        if (r < 0)
                return r;
        return finish(w, e);
}

int ttlock_admin_code_reply_decode(const uint8_t *data, size_t len, TTAdminCodeReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAdminCodeReply a = {};
        int r;

        r = tt_get_u8(&rd, "battery", &a.battery);
        if (r < 0)
                return r;
        /* §4.3: d[1] length, d[2…] ASCII digits; length 0 ⇒ no admin passcode set. */
        r = ttlock_passcode_get(&rd, "admin passcode", 0, TTLOCK_PASSCODE_MAX, a.code);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

int ttlock_set_admin_code_request_encode(TTWriter *w, const char *code, TTError *e) {
        int r;

        r = ttlock_passcode_check(code, TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_ADD_MAX, "admin passcode",
                                  e);
        if (r < 0)
                return r;
        /* §4.3: binary digit values, not ASCII. */
        for (const char *p = code; *p; p++)
                tt_put_u8(w, (uint8_t) (*p - '0'));
        return finish(w, e);
}

int ttlock_set_admin_code_request_decode(const uint8_t *data, size_t len,
                                         char ret[TTLOCK_PASSCODE_MAX + 1], TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        char code[TTLOCK_PASSCODE_MAX + 1];
        size_t n = 0;
        int r;

        if (len < TTLOCK_PASSCODE_ADD_MIN || len > TTLOCK_PASSCODE_ADD_MAX)
                return tt_error(e, -EBADMSG, "admin passcode: %zu digits, expected %d…%d", len,
                                TTLOCK_PASSCODE_ADD_MIN, TTLOCK_PASSCODE_ADD_MAX);
        while (tt_reader_left(&rd) > 0) {
                uint8_t d;

                r = tt_get_u8(&rd, "admin passcode digit", &d);
                if (r < 0)
                        return r;
                if (d > 9)
                        return tt_error(e, -EBADMSG,
                                        "admin passcode: byte %zu is 0x%02x, expected a digit value 0…9",
                                        n, d);
                code[n++] = (char) ('0' + d);
        }
        code[n] = 0;
        memcpy(ret, code, n + 1);
        return 0;
}

void ttlock_set_admin_code_reply_encode(TTWriter *w, uint8_t battery) {
        tt_put_u8(w, battery);
}

int ttlock_set_admin_code_reply_decode(const uint8_t *data, size_t len, TTSetAdminCodeReply *ret,
                                       TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTSetAdminCodeReply s = {};
        int r;

        if (tt_reader_left(&rd) > 0) {
                r = tt_get_u8(&rd, "battery", &s.battery);
                if (r < 0)
                        return r;
                s.has_battery = true;
        }
        *ret = s;
        return 0;
}
