/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The credentials family (doc/protocol.md §4.3): exact bytes of every operation of 0x03, 0x07, 0x05,
 * 0x06, 0x65 and 0x53 (0x70: test-cyclic.c), both directions, the IC "exactly 20 bytes" heuristic, the
 * enrolment replies, and what the decoders refuse (with their messages). */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "credentials.h"
#include "tt-test.h"

/* 2021-01-19 12:34 = 15 01 13 0c 22; 2099-12-31 23:59 = 63 0c 1f 17 3b (§4.2). */
#define START_HEX "1501130c22"
#define END_HEX "630c1f173b"
static const TTDateTime START = { 2021, 1, 19, 12, 34, 0 };
static const TTDateTime END = { 2099, 12, 31, 23, 59, 0 };

static bool date_eq(const TTDateTime *a, const TTDateTime *b) {
        return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
               a->minute == b->minute;
}

/* Run an encoder call into a fresh buffer and compare with hex. */
#define ENCODES(call_with_w, hex)                                                              \
        do {                                                                                   \
                uint8_t _b[256];                                                               \
                TTWriter _w = TT_WRITER(_b, sizeof(_b));                                       \
                TTWriter *w = &_w;                                                             \
                TTError _e = {};                                                               \
                TTError *e = &_e;                                                              \
                size_t _len;                                                                   \
                ck_assert_msg((call_with_w) == 0, "encode failed: %s", tt_error_message(e));   \
                ck_assert_int_eq(tt_writer_finish(w, &_len, e), 0);                            \
                tt_assert_hex_eq(_b, _len, hex);                                               \
        } while (0)

#define ENCODE_FAILS(call_with_w, err, message)                                                \
        do {                                                                                   \
                uint8_t _b[256];                                                               \
                TTWriter _w = TT_WRITER(_b, sizeof(_b));                                       \
                TTWriter *w = &_w;                                                             \
                TTError _e = {};                                                               \
                TTError *e = &_e;                                                              \
                ck_assert_int_eq((call_with_w), err);                                          \
                ck_assert_str_eq(tt_error_message(e), message);                                \
        } while (0)

/* Decode hex with dec into *out; must succeed. */
#define DECODE_OK(dec, hex, out)                                                               \
        do {                                                                                   \
                uint8_t _d[256];                                                               \
                size_t _n = tt_unhex(hex, _d, sizeof(_d));                                     \
                TTError _e = {};                                                               \
                ck_assert_msg(dec(_d, _n, (out), &_e) == 0, "decode of %s failed: %s", hex,   \
                              tt_error_message(&_e));                                          \
        } while (0)

/* Decode must fail with -EBADMSG and message, leaving *out as it was. */
#define DECODE_FAILS(dec, T, hex, message)                                                     \
        do {                                                                                   \
                uint8_t _d[256];                                                               \
                size_t _n = tt_unhex(hex, _d, sizeof(_d));                                     \
                TTError _e = {};                                                               \
                T _out, _copy;                                                                 \
                memset(&_out, 0x5A, sizeof(_out));                                             \
                memcpy(&_copy, &_out, sizeof(_out));                                          \
                ck_assert_int_eq(dec(_d, _n, &_out, &_e), -EBADMSG);                           \
                ck_assert_str_eq(tt_error_message(&_e), message);                              \
                ck_assert(memcmp(&_out, &_copy, sizeof(_out)) == 0);                           \
        } while (0)

/* ---- MANAGE_KEYBOARD_PASSWORD ---- */

static TTPasscodeRequest pwd(uint8_t op, uint8_t type, const char *code, const char *new_code) {
        TTPasscodeRequest q = { .op = op, .type = type, .start = START, .end = END };
        snprintf(q.code, sizeof(q.code), "%s", code ?: "");
        snprintf(q.new_code, sizeof(q.new_code), "%s", new_code ?: "");
        return q;
}

static void pwd_round_trip(const TTPasscodeRequest *q, const char *hex) {
        TTPasscodeRequest out;

        ENCODES(ttlock_passcode_request_encode(w, q, e), hex);
        memset(&out, 0x5A, sizeof(out));
        DECODE_OK(ttlock_passcode_request_decode, hex, &out);
        ck_assert_uint_eq(out.op, q->op);
        if (q->op == TTLOCK_PASSCODE_OP_CLEAR)
                return;
        ck_assert_uint_eq(out.type, q->type);
        ck_assert_str_eq(out.code, q->code);
        if (q->op == TTLOCK_PASSCODE_OP_MODIFY || q->op == TTLOCK_PASSCODE_OP_RECOVERY)
                ck_assert_str_eq(out.new_code, q->new_code);
        if (q->op == TTLOCK_PASSCODE_OP_MODIFY)
                ck_assert_int_eq(out.has_validity, q->has_validity);
        if (q->op == TTLOCK_PASSCODE_OP_ADD || q->op == TTLOCK_PASSCODE_OP_RECOVERY || q->has_validity)
                ck_assert(date_eq(&out.start, &q->start));
}

START_TEST(test_passcode_requests) {
        TTPasscodeRequest q;

        q = pwd(TTLOCK_PASSCODE_OP_CLEAR, 0, NULL, NULL);
        pwd_round_trip(&q, "01");

        /* The brief's example: add permanent "123456" = 02 01 06 '1'…'6' start5 (no end). */
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERMANENT, "123456", NULL);
        pwd_round_trip(&q, "02 01 06 313233343536" START_HEX);
        /* Types 2 and 3 add the end; type 4 has only the start. */
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_COUNT, "1234", NULL);
        pwd_round_trip(&q, "02 02 04 31323334" START_HEX END_HEX);
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERIOD, "123456789", NULL);
        pwd_round_trip(&q, "02 03 09 313233343536373839" START_HEX END_HEX);
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_CYCLIC, "4321", NULL);
        pwd_round_trip(&q, "02 04 04 34333231" START_HEX);

        q = pwd(TTLOCK_PASSCODE_OP_DELETE, TTLOCK_PASSCODE_PERIOD, "123456", NULL);
        pwd_round_trip(&q, "03 03 06 313233343536");

        /* Modify: validity only when it changes. */
        q = pwd(TTLOCK_PASSCODE_OP_MODIFY, TTLOCK_PASSCODE_PERMANENT, "1234", "56789");
        pwd_round_trip(&q, "05 01 04 31323334 05 3536373839");
        q.has_validity = true;
        pwd_round_trip(&q, "05 01 04 31323334 05 3536373839" START_HEX END_HEX);

        /* Recovery: start, then end for period, cycleType for cyclic, nothing else for 1/2. */
        q = pwd(TTLOCK_PASSCODE_OP_RECOVERY, TTLOCK_PASSCODE_PERIOD, "1111", "2222");
        pwd_round_trip(&q, "06 03 04 31313131 04 32323232" START_HEX END_HEX);
        q = pwd(TTLOCK_PASSCODE_OP_RECOVERY, TTLOCK_PASSCODE_CYCLIC, "1111", "2222");
        q.cycle_type = 0x0102;
        pwd_round_trip(&q, "06 04 04 31313131 04 32323232" START_HEX "0102");
        q = pwd(TTLOCK_PASSCODE_OP_RECOVERY, TTLOCK_PASSCODE_PERMANENT, "1111", "2222");
        pwd_round_trip(&q, "06 01 04 31313131 04 32323232" START_HEX);
}
END_TEST

START_TEST(test_passcode_rejections) {
        TTPasscodeRequest q;

        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERMANENT, "123", NULL);
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL, "passcode: 3 digits, expected 4…9");
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERMANENT, "1234567890", NULL);
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL, "passcode: 10 digits, expected 4…9");
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERMANENT, "12a4", NULL);
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL,
                     "passcode: character 2 is not a digit (0x61)");
        q = pwd(TTLOCK_PASSCODE_OP_ADD, 5, "1234", NULL);
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL, "passcode type 5, expected 1…4");
        q = pwd(4, TTLOCK_PASSCODE_PERMANENT, "1234", NULL);
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL,
                     "passcode operation 4, expected 1, 2, 3, 5 or 6");
        q = pwd(TTLOCK_PASSCODE_OP_ADD, TTLOCK_PASSCODE_PERIOD, "1234", NULL);
        q.end.month = 13;
        ENCODE_FAILS(ttlock_passcode_request_encode(w, &q, e), -EINVAL,
                     "end: invalid date 2099-13-31 23:59:00");

        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "",
                     "truncated: operation needs 1 byte at offset 0, 0 left");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "01 00",
                     "trailing garbage: 1 byte after clear-passcodes request");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "07 01",
                     "passcode operation 7, expected 1, 2, 3, 5 or 6");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "02 00 04 31323334" START_HEX,
                     "passcode type 0, expected 1…4");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "02 01 03 313233" START_HEX,
                     "passcode: length 3 at offset 2, expected 4…9");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "02 01 04 3132333f" START_HEX,
                     "passcode: byte 3 is not an ASCII digit (0x3f)");
        /* A period code without its end is truncated; a permanent one with an end has garbage. */
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "02 03 04 31323334" START_HEX,
                     "truncated: end needs 5 bytes at offset 12, 0 left");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest,
                     "02 01 04 31323334" START_HEX END_HEX,
                     "trailing garbage: 5 bytes after passcode request");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest,
                     "05 01 04 31323334 04 35363738" START_HEX,
                     "truncated: end needs 5 bytes at offset 17, 0 left");
        DECODE_FAILS(ttlock_passcode_request_decode, TTPasscodeRequest, "02 01 04 31323334 1501200c22",
                     "start at offset 7: day 32 (0x20) is out of range 0-31");
}
END_TEST

START_TEST(test_op_reply) {
        TTOpReply o = {};

        ENCODES((ttlock_op_reply_encode(w, 0x64, TTLOCK_PASSCODE_OP_ADD), 0), "64 02");
        DECODE_OK(ttlock_op_reply_decode, "64 02", &o);
        ck_assert_uint_eq(o.battery, 100);
        ck_assert_uint_eq(o.op, 2);
        /* Later bytes are tolerated (credentials.h). */
        DECODE_OK(ttlock_op_reply_decode, "50 03 ffff", &o);
        ck_assert_uint_eq(o.op, 3);
        DECODE_FAILS(ttlock_op_reply_decode, TTOpReply, "64",
                     "truncated: operation needs 1 byte at offset 1, 0 left");
}
END_TEST

/* ---- PWD_LIST ---- */

START_TEST(test_pwd_list) {
        TTPasscodeEntry in[3] = {
                { .type = TTLOCK_PASSCODE_PERMANENT, .code = "123456", .original = "123456",
                        .start = START },
                { .type = TTLOCK_PASSCODE_PERIOD, .code = "1111", .original = "2222", .start = START,
                        .end = END },
                { .type = TTLOCK_PASSCODE_CYCLIC, .code = "5555", .original = "5555", .start = START,
                  .cycle_type = 0x0203 },
        };
        static const char hex[] = "0003 ffff"
                                  "14 01 06 313233343536 06 313233343536" START_HEX
                                  "15 03 04 31313131 04 32323232" START_HEX END_HEX
                                  "12 04 04 35353535 04 35353535" START_HEX "0203";
        _cleanup_free_ TTPasscodePage *page = calloc(1, sizeof(TTPasscodePage));
        uint16_t seq = 1;

        ENCODES((ttlock_pwd_list_request_encode(w, 0), 0), "0000");
        DECODE_OK(ttlock_pwd_list_request_decode, "0000", &seq);
        ck_assert_uint_eq(seq, 0);
        DECODE_FAILS(ttlock_pwd_list_request_decode, uint16_t, "000000",
                     "trailing garbage: 1 byte after passcode list request");

        ENCODES(ttlock_pwd_list_reply_encode(w, 3, TTLOCK_PWD_LIST_LAST_PAGE, in, 3, e), hex);
        DECODE_OK(ttlock_pwd_list_reply_decode, hex, page);
        ck_assert_uint_eq(page->total, 3);
        ck_assert_uint_eq(page->next_sequence, 0xFFFF);
        ck_assert_uint_eq(page->n_entries, 3);
        ck_assert_str_eq(page->entries[0].code, "123456");
        ck_assert_str_eq(page->entries[1].code, "1111");
        ck_assert_str_eq(page->entries[1].original, "2222");
        ck_assert(date_eq(&page->entries[1].end, &END));
        ck_assert_uint_eq(page->entries[2].cycle_type, 0x0203);
        ck_assert(date_eq(&page->entries[2].start, &START));

        /* A longer recLen is skipped to its end. */
        DECODE_OK(ttlock_pwd_list_reply_decode,
                  "0002 ffff 13 01 04 31323334 04 31323334" START_HEX "aabbcc"
                  "0c 01 04 39393939 00" START_HEX,
                  page);
        ck_assert_uint_eq(page->n_entries, 2);
        ck_assert_str_eq(page->entries[1].code, "9999");
        ck_assert_str_eq(page->entries[1].original, "");

        DECODE_FAILS(ttlock_pwd_list_reply_decode, TTPasscodePage, "0001 ffff 0b 03 04 31313131 04 32323232",
                     "passcode record 0 at offset 4 (recLen 11): "
                     "truncated: start needs 5 bytes at offset 11, 0 left");
        DECODE_FAILS(ttlock_pwd_list_reply_decode, TTPasscodePage, "0001 ffff 20 01 04",
                     "truncated: passcode record needs 32 bytes at offset 5, 2 left");
        DECODE_FAILS(ttlock_pwd_list_reply_decode, TTPasscodePage, "0001",
                     "truncated: next sequence needs 2 bytes at offset 2, 0 left");
}
END_TEST

START_TEST(test_pwd_list_fit) {
        TTPasscodeEntry many[40];

        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = (TTPasscodeEntry) { .type = TTLOCK_PASSCODE_PERIOD, .code = "123456789",
                                              .original = "123456789", .start = START, .end = END };
        /* 1+1+10+10+5+5 = 32 bytes each; 233 / 32 = 7. */
        ck_assert_uint_eq(ttlock_pwd_list_page_fit(many, ELEMENTSOF(many)), 7);
        ck_assert_uint_eq(ttlock_pwd_list_page_fit(many, 3), 3);
        ck_assert_int_eq(ttlock_pwd_list_record_size(&many[0], NULL), 32);
        snprintf(many[1].code, sizeof(many[1].code), "12x");
        ck_assert_uint_eq(ttlock_pwd_list_page_fit(many, ELEMENTSOF(many)), 1);
        ENCODE_FAILS(ttlock_pwd_list_reply_encode(w, 2, 0, many, 2, e), -EINVAL,
                     "passcode: character 2 is not a digit (0x78)");
}
END_TEST

/* ---- Card numbers ---- */

START_TEST(test_card_numbers) {
        char buf[TTLOCK_CARD_NUMBER_STRLEN];
        TTError e = {};
        uint64_t v = 7;
        TTCard c;

        ck_assert_int_eq(ttlock_card_number_parse("0", &v, &e), 0);
        ck_assert_uint_eq(v, 0);
        ck_assert_int_eq(ttlock_card_number_parse("18446744073709551615", &v, &e), 0);
        ck_assert_uint_eq(v, UINT64_MAX);
        ck_assert_str_eq(ttlock_card_number_format(v, buf), "18446744073709551615");
        ck_assert_str_eq(ttlock_card_number_format(3735928559u, buf), "3735928559");

        v = 7;
        ck_assert_int_eq(ttlock_card_number_parse("18446744073709551616", &v, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e),
                "card number '18446744073709551616': larger than 18446744073709551615");
        ck_assert_uint_eq(v, 7);
        e = (TTError) {};
        ck_assert_int_eq(ttlock_card_number_parse("123456789012345678901", &v, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "card number: more than 20 digits");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_card_number_parse("", &v, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "card number: empty");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_card_number_parse("0123", &v, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "card number '0123': leading zero");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_card_number_parse("12-3", &v, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "card number: character 2 is not a digit (0x2d)");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_card_number_parse(" 12", &v, &e), -EINVAL);
        ck_assert_uint_eq(v, 7);

        /* ≤ 10 digits → 4 bytes, unless the value does not fit 32 bits. */
        ck_assert_int_eq(ttlock_card_from_string("4294967295", &c, &e), 0);
        ck_assert_uint_eq(c.size, 4);
        ck_assert_int_eq(ttlock_card_from_string("4294967296", &c, &e), 0);
        ck_assert_uint_eq(c.size, 8);
        ck_assert_int_eq(ttlock_card_from_string("12345678901", &c, &e), 0);
        ck_assert_uint_eq(c.size, 8);
        ck_assert_uint_eq(c.number, UINT64_C(12345678901));
        ck_assert_int_eq(ttlock_card_from_string("1", &c, &e), 0);
        ck_assert_uint_eq(c.size, 4);
}
END_TEST

/* ---- IC_MANAGE ---- */

static void card_round_trip(const TTCardRequest *q, const char *hex) {
        TTCardRequest out;

        ENCODES(ttlock_card_request_encode(w, q, e), hex);
        memset(&out, 0x5A, sizeof(out));
        DECODE_OK(ttlock_card_request_decode, hex, &out);
        ck_assert_uint_eq(out.op, q->op);
        if (q->op == TTLOCK_CARD_OP_SEARCH)
                ck_assert_uint_eq(out.sequence, q->sequence);
        if (q->op == TTLOCK_CARD_OP_DELETE || q->op == TTLOCK_CARD_OP_MODIFY || q->has_card) {
                ck_assert_uint_eq(out.card.number, q->card.number);
                ck_assert_uint_eq(out.card.size, q->card.size);
        }
        if (q->op == TTLOCK_CARD_OP_MODIFY || q->has_card) {
                ck_assert(out.has_card);
                ck_assert(date_eq(&out.start, &q->start));
                ck_assert(date_eq(&out.end, &q->end));
        }
        if (q->op == TTLOCK_CARD_OP_ADD && !q->has_card)
                ck_assert(!out.has_card);
}

START_TEST(test_card_requests) {
        TTCard c4 = { 3735928559u, 4 }, c8 = { UINT64_C(12345678901), 8 };
        TTCardRequest q;

        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_SEARCH, .sequence = 0 };
        card_round_trip(&q, "01 0000");
        q.sequence = 0x0102;
        card_round_trip(&q, "01 0102");
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_ADD };
        card_round_trip(&q, "02");
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_ADD, .has_card = true, .card = c4, .start = START,
                .end = END };
        card_round_trip(&q, "02 deadbeef" START_HEX END_HEX);
        q.card = c8;
        card_round_trip(&q, "02 00000002dfdc1c35" START_HEX END_HEX);
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_MODIFY, .card = c4, .start = START, .end = END };
        card_round_trip(&q, "05 deadbeef" START_HEX END_HEX);
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_DELETE, .card = c4 };
        card_round_trip(&q, "03 deadbeef");
        q.card = c8;
        card_round_trip(&q, "03 00000002dfdc1c35");
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_CLEAR };
        card_round_trip(&q, "04");

        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_DELETE, .card = { UINT64_C(4294967296), 4 } };
        ENCODE_FAILS(ttlock_card_request_encode(w, &q, e), -EINVAL, "card 4294967296 does not fit 4 bytes");
        q = (TTCardRequest) { .op = TTLOCK_CARD_OP_DELETE, .card = { 1, 6 } };
        ENCODE_FAILS(ttlock_card_request_encode(w, &q, e), -EINVAL, "card size 6, expected 4 or 8");
        q = (TTCardRequest) { .op = 6 };
        ENCODE_FAILS(ttlock_card_request_encode(w, &q, e), -EINVAL, "IC operation 6, expected 1…5");

        DECODE_FAILS(ttlock_card_request_decode, TTCardRequest, "03 0102030405",
                     "IC delete: 5 bytes of card number, expected 4 or 8");
        DECODE_FAILS(ttlock_card_request_decode, TTCardRequest, "05 deadbeef" START_HEX,
                     "IC modify: 9 bytes after the operation, expected 14 or 18 (card 4|8, start 5, end 5)");
        DECODE_FAILS(ttlock_card_request_decode, TTCardRequest, "04 00",
                     "trailing garbage: 1 byte after IC request");
        DECODE_FAILS(ttlock_card_request_decode, TTCardRequest, "01 00",
                     "truncated: sequence needs 2 bytes at offset 1, 1 left");
        DECODE_FAILS(ttlock_card_request_decode, TTCardRequest, "09", "IC operation 9, expected 1…5");
}
END_TEST

START_TEST(test_card_search_reply) {
        TTCardEntry cards[2] = {
                { { 1, 4 }, START, END },
                { { 3735928559u, 4 }, START, END },
        };
        TTCardEntry big = { { UINT64_C(12345678901), 8 }, START, END };
        _cleanup_free_ TTCardReply *r = calloc(1, sizeof(TTCardReply));

        ENCODES(ttlock_card_search_reply_encode(w, 0x50, 0x0002, cards, 2, e),
                "50 01 0002 00000001" START_HEX END_HEX "deadbeef" START_HEX END_HEX);
        DECODE_OK(ttlock_card_reply_decode,
                "50 01 0002 00000001" START_HEX END_HEX "deadbeef" START_HEX END_HEX,
                  r);
        ck_assert_uint_eq(r->battery, 0x50);
        ck_assert_uint_eq(r->op, TTLOCK_CARD_OP_SEARCH);
        ck_assert_uint_eq(r->next_sequence, 2);
        ck_assert_uint_eq(r->n_cards, 2);
        ck_assert_uint_eq(r->cards[1].card.number, 3735928559u);
        ck_assert_uint_eq(r->cards[1].card.size, 4);
        ck_assert(date_eq(&r->cards[0].end, &END));

        /* §4.3 heuristic: exactly 20 bytes after d[1] ⇒ one record with an 8-byte card. */
        ENCODES(ttlock_card_search_reply_encode(w, 0x50, 0xFFFF, &big, 1, e),
                "50 01 ffff 00000002dfdc1c35" START_HEX END_HEX);
        DECODE_OK(ttlock_card_reply_decode, "50 01 ffff 00000002dfdc1c35" START_HEX END_HEX, r);
        ck_assert_uint_eq(r->n_cards, 1);
        ck_assert_uint_eq(r->cards[0].card.size, 8);
        ck_assert_uint_eq(r->cards[0].card.number, UINT64_C(12345678901));
        ck_assert_uint_eq(r->next_sequence, TTLOCK_SEARCH_DONE);

        /* Empty page. */
        DECODE_OK(ttlock_card_reply_decode, "50 01 ffff", r);
        ck_assert_uint_eq(r->n_cards, 0);

        {
                TTCardEntry mixed[2] = { cards[0], big };
                ENCODE_FAILS(ttlock_card_search_reply_encode(w, 0, 0, mixed, 2, e), -EINVAL,
                             "8-byte card 12345678901 must be alone on a search page (§4.3)");
                ck_assert_uint_eq(ttlock_card_search_page_fit(mixed, 2), 1);
                ck_assert_uint_eq(ttlock_card_search_page_fit(&mixed[1], 1), 1);
        }
        ck_assert_uint_eq(ttlock_card_search_page_fit(cards, 2), 2);
        ck_assert_int_eq(TTLOCK_CARD_PAGE_MAX, 16);

        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "50 01 ffff 00000001" START_HEX,
                     "IC search: 9 bytes of records, not a multiple of 14");
        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "50 01 ff",
                     "truncated: next sequence needs 2 bytes at offset 2, 1 left");
        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "50 01 ffff 00000001 1501130c22 630d1f173b",
                     "end at offset 13: month 13 (0x0d) is out of range 0-12");
        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "50 07", "IC reply: operation 7, expected 1…5");
}
END_TEST

START_TEST(test_card_enrol_replies) {
        _cleanup_free_ TTCardReply *r = calloc(1, sizeof(TTCardReply));
        TTCard c4 = { 3735928559u, 4 }, c8 = { UINT64_C(12345678901), 8 };

        ENCODES((ttlock_card_enrol_waiting_encode(w, 0x64), 0), "64 02 02");
        DECODE_OK(ttlock_card_reply_decode, "64 02 02", r);
        ck_assert_uint_eq(r->op, TTLOCK_CARD_OP_ADD);
        ck_assert_uint_eq(r->add_status, TTLOCK_ENROL_WAITING);

        ENCODES(ttlock_card_enrol_success_encode(w, 0x64, &c4, e), "64 02 01 deadbeef");
        DECODE_OK(ttlock_card_reply_decode, "64 02 01 deadbeef", r);
        ck_assert_uint_eq(r->add_status, TTLOCK_ENROL_SUCCESS);
        ck_assert_uint_eq(r->card.number, 3735928559u);
        ck_assert_uint_eq(r->card.size, 4);

        /* 8 bytes ending in FF FF FF FF: a 4-byte card (§4.3). */
        DECODE_OK(ttlock_card_reply_decode, "64 02 01 deadbeef ffffffff", r);
        ck_assert_uint_eq(r->card.number, 3735928559u);
        ck_assert_uint_eq(r->card.size, 4);

        ENCODES(ttlock_card_enrol_success_encode(w, 0x64, &c8, e), "64 02 01 00000002dfdc1c35");
        DECODE_OK(ttlock_card_reply_decode, "64 02 01 00000002dfdc1c35", r);
        ck_assert_uint_eq(r->card.number, UINT64_C(12345678901));
        ck_assert_uint_eq(r->card.size, 8);

        {
                TTCard ambiguous = { UINT64_C(0x00000001ffffffff), 8 };
                ENCODE_FAILS(ttlock_card_enrol_success_encode(w, 0x64, &ambiguous, e), -EINVAL,
                             "8-byte card 8589934591 ends in FF FF FF FF and would read as a 4-byte card");
        }

        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "64 02 01 dead",
                     "truncated: card needs 4 bytes at offset 3, 2 left");
        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "64 02 05",
                "IC add: enrol status 5, expected 1 or 2");
        DECODE_FAILS(ttlock_card_reply_decode, TTCardReply, "64 02",
                     "truncated: enrol status needs 1 byte at offset 2, 0 left");

        /* Delete/clear/modify carry battery and op. */
        DECODE_OK(ttlock_card_reply_decode, "64 03", r);
        ck_assert_uint_eq(r->op, TTLOCK_CARD_OP_DELETE);
        DECODE_OK(ttlock_card_reply_decode, "64 05", r);
        ck_assert_uint_eq(r->op, TTLOCK_CARD_OP_MODIFY);
}
END_TEST

/* ---- FR_MANAGE ---- */

START_TEST(test_fingerprint_requests) {
        TTFingerprintRequest q, out;

        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_SEARCH, .sequence = 0 };
        ENCODES(ttlock_fingerprint_request_encode(w, &q, e), "06 0000");
        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_ADD };
        ENCODES(ttlock_fingerprint_request_encode(w, &q, e), "02");
        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_CLEAR };
        ENCODES(ttlock_fingerprint_request_encode(w, &q, e), "04");
        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_DELETE, .id = UINT64_C(0x0102030405) };
        ENCODES(ttlock_fingerprint_request_encode(w, &q, e), "03 000102030405");
        DECODE_OK(ttlock_fingerprint_request_decode, "03 000102030405", &out);
        ck_assert_uint_eq(out.op, TTLOCK_FP_OP_DELETE);
        ck_assert_uint_eq(out.id, UINT64_C(0x0102030405));

        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_MODIFY, .id = 7, .start = START, .end = END };
        ENCODES(ttlock_fingerprint_request_encode(w, &q, e), "05 000000000007" START_HEX END_HEX);
        DECODE_OK(ttlock_fingerprint_request_decode, "05 000000000007" START_HEX END_HEX, &out);
        ck_assert_uint_eq(out.id, 7);
        ck_assert(date_eq(&out.start, &START));
        ck_assert(date_eq(&out.end, &END));
        DECODE_OK(ttlock_fingerprint_request_decode, "06 0005", &out);
        ck_assert_uint_eq(out.op, TTLOCK_FP_OP_SEARCH);
        ck_assert_uint_eq(out.sequence, 5);

        q = (TTFingerprintRequest) { .op = TTLOCK_FP_OP_DELETE, .id = UINT64_C(0x1000000000000) };
        ENCODE_FAILS(ttlock_fingerprint_request_encode(w, &q, e), -EINVAL,
                     "fingerprint id 281474976710656 does not fit 6 bytes");
        DECODE_FAILS(ttlock_fingerprint_request_decode, TTFingerprintRequest, "03 0102030405",
                     "truncated: fingerprint id needs 6 bytes at offset 1, 5 left");
        DECODE_FAILS(ttlock_fingerprint_request_decode, TTFingerprintRequest, "02 00",
                     "trailing garbage: 1 byte after fingerprint request");
        DECODE_FAILS(ttlock_fingerprint_request_decode, TTFingerprintRequest, "01",
                     "fingerprint operation 1, expected 2…6");
}
END_TEST

START_TEST(test_fingerprint_replies) {
        _cleanup_free_ TTFingerprintReply *r = calloc(1, sizeof(TTFingerprintReply));
        TTFingerprintEntry fps[2] = { { 1, START, END }, { UINT64_C(0xa1b2c3d4e5f6), START, END } };
        TTFingerprintReply in;

        ENCODES(ttlock_fingerprint_search_reply_encode(w, 0x40, 0xFFFF, fps, 2, e),
                "40 06 ffff 000000000001" START_HEX END_HEX "a1b2c3d4e5f6" START_HEX END_HEX);
        DECODE_OK(ttlock_fingerprint_reply_decode,
                  "40 06 ffff 000000000001" START_HEX END_HEX "a1b2c3d4e5f6" START_HEX END_HEX, r);
        ck_assert_uint_eq(r->n_fingerprints, 2);
        ck_assert_uint_eq(r->fingerprints[1].id, UINT64_C(0xa1b2c3d4e5f6));
        ck_assert(date_eq(&r->fingerprints[1].end, &END));
        ck_assert_uint_eq(ttlock_fingerprint_search_page_fit(100), 14);

        /* 02 entered add mode, with and without the number of presses. */
        in = (TTFingerprintReply) { .battery = 0x40, .add_status = TTLOCK_ENROL_WAITING };
        ENCODES(ttlock_fingerprint_add_reply_encode(w, &in, e), "40 02 02");
        DECODE_OK(ttlock_fingerprint_reply_decode, "40 02 02", r);
        ck_assert_uint_eq(r->add_status, TTLOCK_ENROL_WAITING);
        ck_assert(!r->has_total);
        in.has_total = true;
        in.total = 4;
        ENCODES(ttlock_fingerprint_add_reply_encode(w, &in, e), "40 02 02 04");
        DECODE_OK(ttlock_fingerprint_reply_decode, "40 02 02 04", r);
        ck_assert(r->has_total);
        ck_assert_uint_eq(r->total, 4);

        /* 03 progress current/total. */
        in = (TTFingerprintReply) { .battery = 0x40, .add_status = TTLOCK_ENROL_PROGRESS, .current = 2,
                .total = 4 };
        ENCODES(ttlock_fingerprint_add_reply_encode(w, &in, e), "40 02 03 02 04");
        DECODE_OK(ttlock_fingerprint_reply_decode, "40 02 03 02 04", r);
        ck_assert_uint_eq(r->add_status, TTLOCK_ENROL_PROGRESS);
        ck_assert_uint_eq(r->current, 2);
        ck_assert_uint_eq(r->total, 4);

        /* 01 success + 6-byte id. */
        in = (TTFingerprintReply) { .battery = 0x40, .add_status = TTLOCK_ENROL_SUCCESS,
                .id = UINT64_C(0x0a0b0c0d0e0f) };
        ENCODES(ttlock_fingerprint_add_reply_encode(w, &in, e), "40 02 01 0a0b0c0d0e0f");
        DECODE_OK(ttlock_fingerprint_reply_decode, "40 02 01 0a0b0c0d0e0f", r);
        ck_assert_uint_eq(r->add_status, TTLOCK_ENROL_SUCCESS);
        ck_assert_uint_eq(r->id, UINT64_C(0x0a0b0c0d0e0f));

        /* 04 ready for a template: sequence, packet length. */
        in = (TTFingerprintReply) { .battery = 0x40, .add_status = TTLOCK_ENROL_TEMPLATE,
                                    .template_sequence = 1, .template_packet_length = 0x0100 };
        ENCODES(ttlock_fingerprint_add_reply_encode(w, &in, e), "40 02 04 0001 0100");
        DECODE_OK(ttlock_fingerprint_reply_decode, "40 02 04 0001 0100", r);
        ck_assert_uint_eq(r->template_sequence, 1);
        ck_assert_uint_eq(r->template_packet_length, 0x100);

        DECODE_OK(ttlock_fingerprint_reply_decode, "40 03", r);
        ck_assert_uint_eq(r->op, TTLOCK_FP_OP_DELETE);

        in = (TTFingerprintReply) { .add_status = TTLOCK_ENROL_PROGRESS, .current = 5, .total = 4 };
        ENCODE_FAILS(ttlock_fingerprint_add_reply_encode(w, &in, e), -EINVAL, "fingerprint progress 5 of 4");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply, "40 02 03 05 04",
                     "fingerprint progress 5 of 4");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply, "40 02 03 01",
                     "truncated: total presses needs 1 byte at offset 4, 0 left");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply, "40 02 01 0a0b0c0d0e",
                     "truncated: fingerprint id needs 6 bytes at offset 3, 5 left");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply, "40 02 09",
                     "fingerprint add: enrol status 9, expected 1…4");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply,
                "40 06 ffff 000000000001" START_HEX,
                     "fingerprint search: 11 bytes of records, not a multiple of 16");
        DECODE_FAILS(ttlock_fingerprint_reply_decode, TTFingerprintReply, "40 01",
                     "fingerprint reply: operation 1, expected 2…6");
}
END_TEST

/* ---- GET_ADMIN_CODE / SET_ADMIN_KEYBOARD_PWD ---- */

typedef struct AdminCode {
        char code[TTLOCK_PASSCODE_MAX + 1];
} AdminCode;

static int set_admin_decode(const uint8_t *data, size_t len, AdminCode *ret, TTError *e) {
        return ttlock_set_admin_code_request_decode(data, len, ret->code, e);
}

START_TEST(test_admin_code) {
        TTAdminCodeReply a;
        TTSetAdminCodeReply s;
        AdminCode code;
        TTError err = {};

        ck_assert_int_eq(ttlock_admin_code_request_decode(NULL, 0, &err), 0);
        ck_assert_int_eq(ttlock_admin_code_request_decode((const uint8_t *) "\x01", 1, &err), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&err),
                "trailing garbage: 1 byte after get-admin-code request (empty)");

        ENCODES(ttlock_admin_code_reply_encode(w, 0x64, "1234567", e), "64 07 31323334353637");
        DECODE_OK(ttlock_admin_code_reply_decode, "64 07 31323334353637", &a);
        ck_assert_uint_eq(a.battery, 0x64);
        ck_assert_str_eq(a.code, "1234567");
        ENCODES(ttlock_admin_code_reply_encode(w, 0x64, "", e), "64 00");
        DECODE_OK(ttlock_admin_code_reply_decode, "64 00", &a);
        ck_assert_str_eq(a.code, "");
        DECODE_FAILS(ttlock_admin_code_reply_decode, TTAdminCodeReply, "64 04 31323320",
                     "admin passcode: byte 3 is not an ASCII digit (0x20)");
        DECODE_FAILS(ttlock_admin_code_reply_decode, TTAdminCodeReply, "64 07 313233",
                     "truncated: admin passcode needs 7 bytes at offset 2, 3 left");

        /* SET: binary digit values, not ASCII. */
        ENCODES(ttlock_set_admin_code_request_encode(w, "1234567", e), "01 02 03 04 05 06 07");
        ENCODES(ttlock_set_admin_code_request_encode(w, "0900", e), "00 09 00 00");
        DECODE_OK(set_admin_decode, "01 02 03 04 05 06 07", &code);
        ck_assert_str_eq(code.code, "1234567");
        ENCODE_FAILS(ttlock_set_admin_code_request_encode(w, "123", e), -EINVAL,
                     "admin passcode: 3 digits, expected 4…9");
        DECODE_FAILS(set_admin_decode, AdminCode, "31 32 33 34",
                     "admin passcode: byte 0 is 0x31, expected a digit value 0…9");
        DECODE_FAILS(set_admin_decode, AdminCode, "01 02 03",
                     "admin passcode: 3 digits, expected 4…9");

        ENCODES((ttlock_set_admin_code_reply_encode(w, 0x55), 0), "55");
        DECODE_OK(ttlock_set_admin_code_reply_decode, "55", &s);
        ck_assert(s.has_battery);
        ck_assert_uint_eq(s.battery, 0x55);
        DECODE_OK(ttlock_set_admin_code_reply_decode, "", &s);
        ck_assert(!s.has_battery);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("credentials");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_passcode_requests);
        tcase_add_test(tc, test_passcode_rejections);
        tcase_add_test(tc, test_op_reply);
        tcase_add_test(tc, test_pwd_list);
        tcase_add_test(tc, test_pwd_list_fit);
        tcase_add_test(tc, test_card_numbers);
        tcase_add_test(tc, test_card_requests);
        tcase_add_test(tc, test_card_search_reply);
        tcase_add_test(tc, test_card_enrol_replies);
        tcase_add_test(tc, test_fingerprint_requests);
        tcase_add_test(tc, test_fingerprint_replies);
        tcase_add_test(tc, test_admin_code);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
