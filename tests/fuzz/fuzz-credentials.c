/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decoder of credentials.h (doc/protocol.md §4.3 MANAGE_KEYBOARD_PASSWORD, PWD_LIST, IC_MANAGE,
 * FR_MANAGE, CYCLIC_CMD, GET_ADMIN_CODE, SET_ADMIN_KEYBOARD_PWD), request and reply, and the card
 * number strings, through the round-trip engine of fuzz-codec.h. The first input byte selects the
 * decoder in the table below. */

#include "access.h"
#include "credentials.h"
#include "fuzz-codec.h"

typedef struct Code {
        char code[TTLOCK_PASSCODE_MAX + 1];
} Code;

FUZZ_DECODER(ttlock_passcode_request_decode, TTPasscodeRequest)
FUZZ_ENCODER_WVE(ttlock_passcode_request_encode, TTPasscodeRequest)
FUZZ_DECODER(ttlock_op_reply_decode, TTOpReply)
FUZZ_DECODER(ttlock_pwd_list_request_decode, uint16_t)
FUZZ_DECODER(ttlock_pwd_list_reply_decode, TTPasscodePage)
FUZZ_DECODER(ttlock_card_request_decode, TTCardRequest)
FUZZ_ENCODER_WVE(ttlock_card_request_encode, TTCardRequest)
FUZZ_DECODER(ttlock_card_reply_decode, TTCardReply)
FUZZ_DECODER(ttlock_fingerprint_request_decode, TTFingerprintRequest)
FUZZ_ENCODER_WVE(ttlock_fingerprint_request_encode, TTFingerprintRequest)
FUZZ_DECODER(ttlock_fingerprint_reply_decode, TTFingerprintReply)
FUZZ_DECODER(ttlock_cyclic_request_decode, TTCyclicRequest)
FUZZ_ENCODER_WVE(ttlock_cyclic_request_encode, TTCyclicRequest)
FUZZ_DECODER_NORET(ttlock_admin_code_request_decode)
FUZZ_DECODER(ttlock_admin_code_reply_decode, TTAdminCodeReply)
FUZZ_DECODER(ttlock_set_admin_code_reply_decode, TTSetAdminCodeReply)

static int op_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTOpReply *o = v;

        ttlock_op_reply_encode(w, o->battery, o->op);
        return 0;
}

static int pwd_list_request_encode_any(TTWriter *w, const void *v, TTError *e) {
        ttlock_pwd_list_request_encode(w, *(const uint16_t *) v);
        return 0;
}

static int pwd_list_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTPasscodePage *p = v;

        return ttlock_pwd_list_reply_encode(w, p->total, p->next_sequence, p->entries, p->n_entries, e);
}

static void check_pwd_list_reply(const void *v, const uint8_t *enc, size_t n) {
        const TTPasscodePage *p = v;
        size_t sum = 4;

        fuzz_check(p->n_entries <= TTLOCK_PWD_LIST_PAGE_MAX, "%zu entries", p->n_entries);
        for (size_t i = 0; i < p->n_entries; i++) {
                TTError e = {};
                int k = ttlock_pwd_list_record_size(&p->entries[i], &e);

                fuzz_check(k > 0, "entry %zu has no size: %s", i, e.message);
                sum += (size_t) k;
        }
        fuzz_check(sum == n, "record sizes add up to %zu, the page has %zu bytes", sum, n);
        fuzz_check(ttlock_pwd_list_page_fit(p->entries, p->n_entries) == p->n_entries,
                   "a decoded page does not fit a page");
}

static int card_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTCardReply *c = v;

        if (c->op == TTLOCK_CARD_OP_SEARCH)
                return ttlock_card_search_reply_encode(w, c->battery, c->next_sequence, c->cards, c->n_cards, e);
        if (c->op == TTLOCK_CARD_OP_ADD && c->add_status == TTLOCK_ENROL_WAITING) {
                ttlock_card_enrol_waiting_encode(w, c->battery);
                return 0;
        }
        if (c->op == TTLOCK_CARD_OP_ADD && c->add_status == TTLOCK_ENROL_SUCCESS)
                return ttlock_card_enrol_success_encode(w, c->battery, &c->card, e);
        fuzz_check(c->op != TTLOCK_CARD_OP_ADD, "ADD reply with enrol status %u", c->add_status);
        ttlock_op_reply_encode(w, c->battery, c->op);
        return 0;
}

static void check_card_reply(const void *v, const uint8_t *enc, size_t n) {
        const TTCardReply *c = v;

        if (c->op == TTLOCK_CARD_OP_SEARCH)
                fuzz_check(ttlock_card_search_page_fit(c->cards, c->n_cards) == c->n_cards,
                           "a decoded search page does not fit a page");
        if (c->op == TTLOCK_CARD_OP_ADD && c->add_status == TTLOCK_ENROL_SUCCESS)
                fuzz_check(c->card.size == 4 || c->card.size == 8, "card of %u bytes", c->card.size);
}

static int fingerprint_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTFingerprintReply *f = v;

        if (f->op == TTLOCK_FP_OP_SEARCH)
                return ttlock_fingerprint_search_reply_encode(w, f->battery, f->next_sequence, f->fingerprints,
                                                              f->n_fingerprints, e);
        if (f->op == TTLOCK_FP_OP_ADD)
                return ttlock_fingerprint_add_reply_encode(w, f, e);
        ttlock_op_reply_encode(w, f->battery, f->op);
        return 0;
}

static int admin_code_request_encode_any(TTWriter *w, const void *v, TTError *e) {
        return 0;
}

static int admin_code_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTAdminCodeReply *a = v;

        fuzz_check(memchr(a->code, '\0', sizeof(a->code)), "admin code not terminated");
        return ttlock_admin_code_reply_encode(w, a->battery, a->code, e);
}

static int set_admin_code_request_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        return ttlock_set_admin_code_request_decode(data, len, ((Code *) ret)->code, e);
}

static int set_admin_code_request_encode_any(TTWriter *w, const void *v, TTError *e) {
        const Code *c = v;

        fuzz_check(memchr(c->code, '\0', sizeof(c->code)), "admin code not terminated");
        return ttlock_set_admin_code_request_encode(w, c->code, e);
}

static int set_admin_code_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTSetAdminCodeReply *s = v;

        if (s->has_battery)
                ttlock_set_admin_code_reply_encode(w, s->battery);
        return 0;
}

/* Card numbers arrive as decimal strings on D-Bus: the string is the one format() gives back. */
static int card_number_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        char s[32];

        if (len >= sizeof(s) || memchr(data, '\0', len))
                return tt_error(e, -EINVAL, "not a short string");
        memcpy(s, data, len);
        s[len] = '\0';
        return ttlock_card_number_parse(s, ret, e);
}

static int card_number_encode_any(TTWriter *w, const void *v, TTError *e) {
        char buf[TTLOCK_CARD_NUMBER_STRLEN];
        const char *s = ttlock_card_number_format(*(const uint64_t *) v, buf);

        tt_put_bytes(w, s, strlen(s));
        return 0;
}

static void check_card_number(const void *v, const uint8_t *enc, size_t n) {
        char s[32];
        TTCard card;
        TTError e = {};
        int r;

        memcpy(s, enc, n);
        s[n] = '\0';
        r = ttlock_card_from_string(s, &card, &e);
        fuzz_check(r >= 0 && card.number == *(const uint64_t *) v &&
                   card.size == ttlock_card_size_for(card.number) && (card.size == 4 || card.size == 8),
                   "card \"%s\": %s", s, e.message);
        /* §4.3: 4 bytes for ≤ 10 digits when the value fits, else 8. */
        fuzz_check(card.size == (n <= 10 && card.number <= UINT32_MAX ? 4 : 8), "card \"%s\" gets %u bytes", s,
                   card.size);
}

static const FuzzCodec codecs[] = {
        FUZZ_CODEC("MANAGE_KEYBOARD_PASSWORD request", TTPasscodeRequest, ttlock_passcode_request_decode_any,
                   ttlock_passcode_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("operation reply", TTOpReply, ttlock_op_reply_decode_any, op_reply_encode_any, NULL,
                   FUZZ_PREFIX),
        FUZZ_CODEC("PWD_LIST request", uint16_t, ttlock_pwd_list_request_decode_any, pwd_list_request_encode_any,
                   NULL, FUZZ_CANONICAL),
        /* Records are read up to their recLen, extra bytes skipped (credentials.h). */
        FUZZ_CODEC("PWD_LIST reply", TTPasscodePage, ttlock_pwd_list_reply_decode_any, pwd_list_reply_encode_any,
                   check_pwd_list_reply, FUZZ_IDEMPOTENT),
        FUZZ_CODEC("IC_MANAGE request", TTCardRequest, ttlock_card_request_decode_any,
                   ttlock_card_request_encode_any, NULL, FUZZ_CANONICAL),
        /* An 8-byte card ending in FF FF FF FF is a 4-byte card (§4.3): not canonical. */
        FUZZ_CODEC("IC_MANAGE reply", TTCardReply, ttlock_card_reply_decode_any, card_reply_encode_any,
                   check_card_reply, FUZZ_IDEMPOTENT),
        FUZZ_CODEC("FR_MANAGE request", TTFingerprintRequest, ttlock_fingerprint_request_decode_any,
                   ttlock_fingerprint_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("FR_MANAGE reply", TTFingerprintReply, ttlock_fingerprint_reply_decode_any,
                   fingerprint_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("CYCLIC_CMD request", TTCyclicRequest, ttlock_cyclic_request_decode_any,
                   ttlock_cyclic_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("GET_ADMIN_CODE request", FuzzNothing, ttlock_admin_code_request_decode_any,
                   admin_code_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("GET_ADMIN_CODE reply", TTAdminCodeReply, ttlock_admin_code_reply_decode_any,
                   admin_code_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("SET_ADMIN_KEYBOARD_PWD request", Code, set_admin_code_request_decode_any,
                   set_admin_code_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("SET_ADMIN_KEYBOARD_PWD reply", TTSetAdminCodeReply, ttlock_set_admin_code_reply_decode_any,
                   set_admin_code_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("card number string", uint64_t, card_number_decode_any, card_number_encode_any,
                   check_card_number, FUZZ_CANONICAL),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
