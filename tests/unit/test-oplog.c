/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GET_OPERATE_LOG 0x25 (doc/protocol.md §4.3): every tail layout byte for byte and back, pages, the
 * recLen compatibility rule, truncations, and the event classes the daemon signals. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oplog.h"
#include "tt-test.h"

/* 2021-01-19 12:34:56 = 15 01 13 0c 22 38 (§4.2, §10.3 V5). */
#define DATE6_HEX "1501130c2238"
static const TTDateTime D = { 2021, 1, 19, 12, 34, 56 };
static const TTDateTime D5 = { 2021, 1, 19, 12, 34, 0 };

static TTLogRecord rec_of(uint8_t type) {
        TTLogRecord r = { .type = type, .date = D, .battery = 0x50, .tail = ttlock_log_type_tail(type) };
        return r;
}

static void set_pc(TTLogPasscode *p, const char *s) {
        snprintf(p->code, sizeof(p->code), "%s", s);
}

/* Encode rec, compare with hex, read it back, re-encode and compare again; returns the decoded
 * record for field checks. */
static TTLogRecord round_trip(const TTLogRecord *rec, const char *hex) {
        uint8_t b[300], b2[300];
        TTWriter w = TT_WRITER(b, sizeof(b)), w2 = TT_WRITER(b2, sizeof(b2));
        TTError e = {};
        TTLogRecord out;
        TTReader r;
        size_t n, n2;

        ck_assert_msg(ttlock_log_record_encode(&w, rec, &e) == 0, "encode: %s", tt_error_message(&e));
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), 0);
        tt_assert_hex_eq(b, n, hex);
        ck_assert_int_eq(ttlock_log_record_size(rec, NULL), (int) n);

        memset(&out, 0x5A, sizeof(out));
        r = TT_READER(b, n, &e);
        ck_assert_msg(ttlock_log_record_read(&r, &out) == 0, "decode: %s", tt_error_message(&e));
        ck_assert_uint_eq(r.pos, n);
        ck_assert_uint_eq(out.type, rec->type);
        ck_assert_int_eq(out.tail, rec->tail);
        ck_assert_uint_eq(out.battery, rec->battery);
        ck_assert(ttlock_datetime_equal(&out.date, &rec->date));

        ck_assert_int_eq(ttlock_log_record_encode(&w2, &out, &e), 0);
        ck_assert_int_eq(tt_writer_finish(&w2, &n2, &e), 0);
        tt_assert_hex_eq(b2, n2, hex);
        return out;
}

START_TEST(test_request) {
        uint8_t b[4];
        TTWriter w = TT_WRITER(b, sizeof(b));
        TTError e = {};
        uint16_t seq = 0;
        size_t n;

        /* §10.3 V17: GET_OPERATE_LOG request plaintext ffff. */
        ttlock_log_request_encode(&w, TTLOCK_LOG_NEW_RECORDS);
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), 0);
        tt_assert_hex_eq(b, n, "ffff");
        ck_assert_int_eq(ttlock_log_request_decode(b, n, &seq, &e), 0);
        ck_assert_uint_eq(seq, 0xFFFF);

        ck_assert_int_eq(ttlock_log_request_decode(b, 1, &seq, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: sequence needs 2 bytes at offset 0, 1 left");
        e = (TTError) {};
        b[2] = 0;
        ck_assert_int_eq(ttlock_log_request_decode(b, 3, &seq, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after operation-log request");
}
END_TEST

START_TEST(test_tail_app) {
        TTLogRecord r = rec_of(TTLOCK_LOG_APP_UNLOCK), o;

        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_APP);
        r.app.uid = 0x01020304;
        r.app.record_id = 0x0a0b0c0d;
        o = round_trip(&r, "10 01" DATE6_HEX "50 01020304 0a0b0c0d");
        ck_assert_uint_eq(o.app.uid, 0x01020304);
        ck_assert_uint_eq(o.app.record_id, 0x0a0b0c0d);

        /* 26, 28, 41 share the layout. */
        ck_assert_int_eq(ttlock_log_type_tail(26), TTLOCK_LOG_TAIL_APP);
        ck_assert_int_eq(ttlock_log_type_tail(28), TTLOCK_LOG_TAIL_APP);
        ck_assert_int_eq(ttlock_log_type_tail(41), TTLOCK_LOG_TAIL_APP);
        r = rec_of(TTLOCK_LOG_BLE_LOCK);
        r.app.uid = 7;
        r.app.record_id = 8;
        o = round_trip(&r, "10 1a" DATE6_HEX "50 00000007 00000008");
        ck_assert_uint_eq(o.app.record_id, 8);
}
END_TEST

START_TEST(test_tail_remote_key) {
        TTLogRecord r = rec_of(TTLOCK_LOG_REMOTE_CONTROL_KEY), o;

        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_REMOTE_KEY);
        r.app.uid = 1;
        r.app.record_id = 2;
        r.app.key_id = 9;
        o = round_trip(&r, "11 25" DATE6_HEX "50 00000001 00000002 09");
        ck_assert_uint_eq(o.app.key_id, 9);
}
END_TEST

START_TEST(test_tail_passcode_pair) {
        static const uint8_t types[] = { 4, 10, 11, 12, 13, 34, 38 };
        TTLogRecord r, o;

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                ck_assert_int_eq(ttlock_log_type_tail(types[i]), TTLOCK_LOG_TAIL_PASSCODE_PAIR);

        r = rec_of(TTLOCK_LOG_PASSCODE_UNLOCK);
        set_pc(&r.passcode_pair.original, "123456");
        set_pc(&r.passcode_pair.typed, "99123456");
        o = round_trip(&r, "18 04" DATE6_HEX "50 06 313233343536 08 3939313233343536");
        ck_assert_str_eq(o.passcode_pair.original.code, "123456");
        ck_assert_str_eq(o.passcode_pair.typed.code, "99123456");

        /* Empty and 16-digit passcodes are the bounds. */
        r = rec_of(TTLOCK_LOG_PASSCODE_LOCK);
        set_pc(&r.passcode_pair.original, "");
        set_pc(&r.passcode_pair.typed, "0123456789012345");
        o = round_trip(&r, "1a 22" DATE6_HEX "50 00 10 30313233343536373839303132333435");
        ck_assert_str_eq(o.passcode_pair.original.code, "");
        ck_assert_str_eq(o.passcode_pair.typed.code, "0123456789012345");
}
END_TEST

START_TEST(test_tail_modify_delete_kicked_wrong) {
        TTLogRecord r, o;

        r = rec_of(TTLOCK_LOG_KEYPAD_MODIFY_PASSCODE);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_MODIFY);
        set_pc(&r.modify.old_code, "1111");
        set_pc(&r.modify.new_code, "22222");
        o = round_trip(&r, "13 05" DATE6_HEX "50 04 31313131 05 3232323232");
        ck_assert_str_eq(o.modify.old_code.code, "1111");
        ck_assert_str_eq(o.modify.new_code.code, "22222");

        r = rec_of(TTLOCK_LOG_KEYPAD_DELETE_PASSCODE);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_DELETE_ONE);
        set_pc(&r.delete_one.passcode, "9999");
        set_pc(&r.delete_one.deleted, "1234");
        o = round_trip(&r, "12 06" DATE6_HEX "50 04 39393939 04 31323334");
        ck_assert_str_eq(o.delete_one.passcode.code, "9999");
        ck_assert_str_eq(o.delete_one.deleted.code, "1234");

        r = rec_of(TTLOCK_LOG_PASSCODE_KICKED);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_KICKED);
        set_pc(&r.kicked.passcode, "5555");
        set_pc(&r.kicked.kicked, "6666");
        o = round_trip(&r, "12 09" DATE6_HEX "50 04 35353535 04 36363636");
        ck_assert_str_eq(o.kicked.passcode.code, "5555");
        ck_assert_str_eq(o.kicked.kicked.code, "6666");

        r = rec_of(TTLOCK_LOG_WRONG_PASSCODE);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_WRONG_PASSCODE);
        set_pc(&r.wrong.passcode, "000");
        o = round_trip(&r, "0c 07" DATE6_HEX "50 03 303030");
        ck_assert_str_eq(o.wrong.passcode.code, "000");
}
END_TEST

START_TEST(test_tail_delete_all) {
        TTLogRecord r = rec_of(TTLOCK_LOG_KEYPAD_DELETE_ALL_PASSCODES), o;

        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_DELETE_ALL);
        r.delete_all.date = D5;
        o = round_trip(&r, "0d 08" DATE6_HEX "50 1501130c22");
        ck_assert(!o.delete_all.has_passcode);
        ck_assert_uint_eq(o.delete_all.date.minute, 34);

        r.delete_all.has_passcode = true;
        set_pc(&r.delete_all.passcode, "4321");
        o = round_trip(&r, "12 08" DATE6_HEX "50 1501130c22 04 34333231");
        ck_assert(o.delete_all.has_passcode);
        ck_assert_str_eq(o.delete_all.passcode.code, "4321");
}
END_TEST

START_TEST(test_tail_card) {
        static const uint8_t types[] = { 15, 17, 18, 25, 35, 39, 51, 74 };
        TTLogRecord r, o;

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                ck_assert_int_eq(ttlock_log_type_tail(types[i]), TTLOCK_LOG_TAIL_CARD);

        r = rec_of(TTLOCK_LOG_IC_UNLOCK);
        r.card = (TTCard) { .number = 3735928559u, .size = 4 };
        o = round_trip(&r, "0c 11" DATE6_HEX "50 deadbeef");
        ck_assert_uint_eq(o.card.number, 3735928559u);
        ck_assert_uint_eq(o.card.size, 4);

        r = rec_of(TTLOCK_LOG_CPU_CARD_FAILED);
        r.card = (TTCard) { .number = UINT64_C(0x0102030405060708), .size = 8 };
        o = round_trip(&r, "10 4a" DATE6_HEX "50 0102030405060708");
        ck_assert_uint_eq(o.card.number, UINT64_C(0x0102030405060708));
        ck_assert_uint_eq(o.card.size, 8);
}
END_TEST

START_TEST(test_tail_bracelet_fob_keypad) {
        static const uint8_t mac[6] = { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF };
        TTLogRecord r, o;

        r = rec_of(TTLOCK_LOG_BRACELET_UNLOCK);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_BRACELET);
        memcpy(r.bracelet.mac, mac, 6);
        /* §4.3: little-endian MAC, i.e. reversed on the wire. */
        o = round_trip(&r, "0e 13" DATE6_HEX "50 ffeeddccbbaa");
        ck_assert(memcmp(o.bracelet.mac, mac, 6) == 0);

        r = rec_of(TTLOCK_LOG_WIRELESS_KEY_FOB);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_KEY_FOB);
        memcpy(r.key_fob.mac, mac, 6);
        r.key_fob.key_id = 3;
        r.key_fob.battery = 77;
        o = round_trip(&r, "10 37" DATE6_HEX "50 ffeeddccbbaa 03 4d");
        ck_assert(memcmp(o.key_fob.mac, mac, 6) == 0);
        ck_assert_uint_eq(o.key_fob.key_id, 3);
        ck_assert_uint_eq(o.key_fob.battery, 77);

        r = rec_of(TTLOCK_LOG_WIRELESS_KEYPAD);
        ck_assert_int_eq(r.tail, TTLOCK_LOG_TAIL_KEYPAD);
        memcpy(r.keypad.mac, mac, 6);
        r.keypad.battery = 12;
        o = round_trip(&r, "0f 38" DATE6_HEX "50 ffeeddccbbaa 0c");
        ck_assert(memcmp(o.keypad.mac, mac, 6) == 0);
        ck_assert_uint_eq(o.keypad.battery, 12);
}
END_TEST

START_TEST(test_tail_fingerprint) {
        static const uint8_t types[] = { 20, 21, 22, 23, 33, 40 };
        TTLogRecord r, o;

        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                ck_assert_int_eq(ttlock_log_type_tail(types[i]), TTLOCK_LOG_TAIL_FINGERPRINT);

        r = rec_of(TTLOCK_LOG_FR_UNLOCK);
        r.fingerprint.id = UINT64_C(0x0000a1b2c3d4);
        o = round_trip(&r, "0e 14" DATE6_HEX "50 0000a1b2c3d4");
        ck_assert_uint_eq(o.fingerprint.id, UINT64_C(0xa1b2c3d4));
        ck_assert(!o.fingerprint.has_passcode);

        r.fingerprint.id = TTLOCK_FINGERPRINT_ID_MAX;
        r.fingerprint.has_passcode = true;
        set_pc(&r.fingerprint.passcode, "246810");
        o = round_trip(&r, "15 14" DATE6_HEX "50 ffffffffffff 06 323436383130");
        ck_assert_uint_eq(o.fingerprint.id, TTLOCK_FINGERPRINT_ID_MAX);
        ck_assert(o.fingerprint.has_passcode);
        ck_assert_str_eq(o.fingerprint.passcode.code, "246810");
}
END_TEST

START_TEST(test_tail_none_and_raw) {
        static const uint8_t none[] = { 14, 16, 24, 27, 29, 30, 31, 32, 36, 42, 43, 44, 45, 46, 47, 48 };
        TTLogRecord r, o;

        for (size_t i = 0; i < ELEMENTSOF(none); i++)
                ck_assert_int_eq(ttlock_log_type_tail(none[i]), TTLOCK_LOG_TAIL_NONE);
        r = rec_of(TTLOCK_LOG_MECHANICAL_KEY_UNLOCK);
        round_trip(&r, "08 1b" DATE6_HEX "50");

        /* A type §4.3 does not list keeps its tail. */
        ck_assert_int_eq(ttlock_log_type_tail(99), TTLOCK_LOG_TAIL_RAW);
        ck_assert_int_eq(ttlock_log_type_tail(2), TTLOCK_LOG_TAIL_RAW);
        r = rec_of(99);
        r.raw.len = 3;
        memcpy(r.raw.data, "\x01\x02\x03", 3);
        o = round_trip(&r, "0b 63" DATE6_HEX "50 010203");
        ck_assert_uint_eq(o.raw.len, 3);
        ck_assert(memcmp(o.raw.data, "\x01\x02\x03", 3) == 0);

        r.raw.len = 0;
        o = round_trip(&r, "08 63" DATE6_HEX "50");
        ck_assert_uint_eq(o.raw.len, 0);

        /* The largest raw tail a one-byte recLen allows. */
        r.raw.len = TTLOCK_LOG_RAW_MAX;
        memset(r.raw.data, 0xAB, TTLOCK_LOG_RAW_MAX);
        ck_assert_int_eq(ttlock_log_record_size(&r, NULL), 256);
}
END_TEST

START_TEST(test_page) {
        TTLogRecord recs[3];
        uint8_t b[TTLOCK_LOG_PAGE_DATA_MAX];
        TTWriter w = TT_WRITER(b, sizeof(b));
        _cleanup_free_ TTLogPage *page = calloc(1, sizeof(TTLogPage));
        TTError e = {};
        size_t n;

        recs[0] = rec_of(TTLOCK_LOG_APP_UNLOCK);
        recs[0].app.uid = 1;
        recs[0].app.record_id = 2;
        recs[1] = rec_of(TTLOCK_LOG_WRONG_PASSCODE);
        set_pc(&recs[1].wrong.passcode, "1234");
        recs[2] = rec_of(TTLOCK_LOG_MECHANICAL_KEY_LOCK);
        recs[2].battery = 0x4f;

        ck_assert_int_eq(ttlock_log_page_encode(&w, 0x0021, 0x0007, recs, 3, &e), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), 0);
        tt_assert_hex_eq(b, n,
                         "0021 0007"
                         "10 01" DATE6_HEX "50 00000001 00000002"
                         "0d 07" DATE6_HEX "50 04 31323334"
                         "08 24" DATE6_HEX "4f");

        ck_assert_msg(ttlock_log_page_decode(b, n, page, &e) == 0, "%s", tt_error_message(&e));
        ck_assert_uint_eq(page->total, 0x21);
        ck_assert_uint_eq(page->next_sequence, 7);
        ck_assert_uint_eq(page->n_records, 3);
        ck_assert_uint_eq(page->records[0].app.record_id, 2);
        ck_assert_str_eq(page->records[1].wrong.passcode.code, "1234");
        ck_assert_uint_eq(page->records[2].type, TTLOCK_LOG_MECHANICAL_KEY_LOCK);
        ck_assert_uint_eq(page->records[2].battery, 0x4f);

        /* total 0 ⇒ nothing to read: a bare header decodes to no records. */
        ck_assert_int_eq(ttlock_log_page_decode((const uint8_t *) "\x00\x00\xff\xf0", 4, page, &e), 0);
        ck_assert_uint_eq(page->n_records, 0);
        ck_assert_uint_eq(page->next_sequence, 0xfff0);
}
END_TEST

START_TEST(test_page_fit) {
        TTLogRecord recs[30];
        uint8_t b[512];
        TTWriter w = TT_WRITER(b, sizeof(b));
        _cleanup_free_ TTLogPage *page = calloc(1, sizeof(TTLogPage));
        TTError e = {};
        size_t n, fit;

        for (size_t i = 0; i < ELEMENTSOF(recs); i++) {
                recs[i] = rec_of(TTLOCK_LOG_APP_UNLOCK);
                recs[i].app.record_id = (uint32_t) i;
        }
        /* 17 bytes each; 237 − 4 = 233 bytes of records ⇒ 13. */
        fit = ttlock_log_page_fit(recs, ELEMENTSOF(recs));
        ck_assert_uint_eq(fit, 13);
        ck_assert_uint_eq(ttlock_log_page_fit(recs, 5), 5);
        ck_assert_uint_eq(ttlock_log_page_fit(recs, 0), 0);

        ck_assert_int_eq(ttlock_log_page_encode(&w, 30 * 17, 13, recs, fit, &e), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), 0);
        ck_assert_uint_le(2 + n, 239);
        ck_assert_int_eq(ttlock_log_page_decode(b, n, page, &e), 0);
        ck_assert_uint_eq(page->n_records, 13);
        ck_assert_uint_eq(page->records[12].app.record_id, 12);

        w = TT_WRITER(b, sizeof(b));
        ck_assert_int_eq(ttlock_log_page_encode(&w, 0, 0, recs, fit + 1, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "14 log records need 242 bytes, a page holds 237");

        /* Smallest records: (237 − 4) / 9 = 25 fit, and the decoder takes that many. */
        for (size_t i = 0; i < ELEMENTSOF(recs); i++)
                recs[i] = rec_of(TTLOCK_LOG_REBOOT);
        ck_assert_uint_eq(ttlock_log_page_fit(recs, ELEMENTSOF(recs)), TTLOCK_LOG_PAGE_MAX_RECORDS);
        ck_assert_int_eq(TTLOCK_LOG_PAGE_MAX_RECORDS, 25);

        /* A record that cannot be encoded ends the count. */
        recs[2].tail = TTLOCK_LOG_TAIL_APP;
        ck_assert_uint_eq(ttlock_log_page_fit(recs, ELEMENTSOF(recs)), 2);
}
END_TEST

START_TEST(test_reclen_longer) {
        /* Type 1 with two unknown bytes after uid/recordId, then a type 27 record with one extra
         * byte, then a normal record: both extras are skipped (§4.3 "for compatibility"). */
        uint8_t d[128];
        size_t n = tt_unhex("0003 0004"
                            "12 01" DATE6_HEX "50 00000001 00000002 eeee"
                            "09 1b" DATE6_HEX "50 77"
                            "0c 07" DATE6_HEX "50 03 313233",
                            d, sizeof(d));
        _cleanup_free_ TTLogPage *page = calloc(1, sizeof(TTLogPage));
        TTError e = {};

        ck_assert_msg(ttlock_log_page_decode(d, n, page, &e) == 0, "%s", tt_error_message(&e));
        ck_assert_uint_eq(page->n_records, 3);
        ck_assert_uint_eq(page->records[0].app.uid, 1);
        ck_assert_uint_eq(page->records[0].app.record_id, 2);
        ck_assert_uint_eq(page->records[1].type, 27);
        ck_assert_int_eq(page->records[1].tail, TTLOCK_LOG_TAIL_NONE);
        ck_assert_str_eq(page->records[2].wrong.passcode.code, "123");

        /* A 4-byte card followed by 2 unknown bytes stays a 4-byte card. */
        n = tt_unhex("0001 0000 0e 11" DATE6_HEX "50 000000ff abcd", d, sizeof(d));
        ck_assert_int_eq(ttlock_log_page_decode(d, n, page, &e), 0);
        ck_assert_uint_eq(page->records[0].card.size, 4);
        ck_assert_uint_eq(page->records[0].card.number, 255);
}
END_TEST

static void expect_page_error(const char *hex, const char *message) {
        uint8_t d[300];
        size_t n = tt_unhex(hex, d, sizeof(d));
        _cleanup_free_ TTLogPage *page = calloc(1, sizeof(TTLogPage));
        TTError e = {};

        page->total = 0x1234;
        ck_assert_int_eq(ttlock_log_page_decode(d, n, page, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), message);
        ck_assert_uint_eq(page->total, 0x1234); /* untouched on failure */
}

START_TEST(test_truncations) {
        expect_page_error("00", "truncated: total needs 2 bytes at offset 0, 1 left");
        expect_page_error("0001 00", "truncated: next sequence needs 2 bytes at offset 2, 1 left");
        /* recLen running past the buffer. */
        expect_page_error("0001 0000 10 01" DATE6_HEX "50 00000001",
                          "log record at offset 4: recLen 16 runs past the data (12 left)");
        /* recLen too short for type+date+battery. */
        expect_page_error("0001 0000 07 1b" DATE6_HEX,
                          "log record at offset 4: recLen 7 cannot hold type, date and battery (8)");
        expect_page_error("0001 0000 00",
                          "log record at offset 4: recLen 0 cannot hold type, date and battery (8)");
        /* A tail that does not fit its recLen, although the buffer goes on. */
        expect_page_error("0001 0000 0e 01" DATE6_HEX "50 00000001 0000 ffffffff",
                          "log record type 1 at offset 4 (recLen 14): "
                          "truncated: record id needs 4 bytes at offset 12, 2 left");
        expect_page_error("0001 0000 0a 04" DATE6_HEX "50 06 31",
                          "log record type 4 at offset 4 (recLen 10): "
                          "truncated: original passcode needs 6 bytes at offset 9, 1 left");
        expect_page_error("0001 0000 0a 11" DATE6_HEX "50 0102",
                          "log record type 17 at offset 4 (recLen 10): "
                          "truncated: card needs 4 bytes at offset 8, 2 left");
        expect_page_error("0001 0000 0a 37" DATE6_HEX "50 0102",
                          "log record type 55 at offset 4 (recLen 10): "
                          "truncated: key fob MAC needs 6 bytes at offset 8, 2 left");
        /* Bad values. */
        expect_page_error("0001 0000 0d 07" DATE6_HEX "50 04 31323a34",
                          "log record type 7 at offset 4 (recLen 13): "
                          "passcode: byte 2 is not an ASCII digit (0x3a)");
        expect_page_error("0001 0000 1a 07" DATE6_HEX "50 11 3131313131313131313131313131313131",
                          "log record type 7 at offset 4 (recLen 26): passcode: length 17 at offset 8, "
                          "expected 0…16");
}
END_TEST

START_TEST(test_bad_date) {
        /* Month 13: the message names the date field of the record. */
        uint8_t d[64];
        size_t n = tt_unhex("0001 0000 08 1b 150d130c2238 50", d, sizeof(d));
        _cleanup_free_ TTLogPage *page = calloc(1, sizeof(TTLogPage));
        TTError e = {};

        ck_assert_int_eq(ttlock_log_page_decode(d, n, page, &e), -EBADMSG);
        ck_assert_msg(strstr(tt_error_message(&e),
                "log record type 27 at offset 4 (recLen 8): date at offset 1"),
                      "%s", tt_error_message(&e));
}
END_TEST

START_TEST(test_encode_rejections) {
        uint8_t b[300];
        TTWriter w = TT_WRITER(b, sizeof(b));
        TTError e = {};
        TTLogRecord r;

        r = rec_of(TTLOCK_LOG_APP_UNLOCK);
        r.tail = TTLOCK_LOG_TAIL_NONE;
        ck_assert_int_eq(ttlock_log_record_encode(&w, &r, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "log record type 1 needs tail layout 1, got 0");

        e = (TTError) {};
        r = rec_of(TTLOCK_LOG_WRONG_PASSCODE);
        set_pc(&r.wrong.passcode, "12a4");
        ck_assert_int_eq(ttlock_log_record_encode(&w, &r, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "passcode: character 2 is not a digit (0x61)");

        e = (TTError) {};
        r = rec_of(TTLOCK_LOG_IC_UNLOCK);
        r.card = (TTCard) { .number = UINT64_C(0x100000000), .size = 4 };
        ck_assert_int_eq(ttlock_log_record_encode(&w, &r, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "card 4294967296 does not fit 4 bytes");

        e = (TTError) {};
        r = rec_of(TTLOCK_LOG_FR_UNLOCK);
        r.fingerprint.id = TTLOCK_FINGERPRINT_ID_MAX + 1;
        ck_assert_int_eq(ttlock_log_record_encode(&w, &r, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "fingerprint id 281474976710656 does not fit 6 bytes");

        e = (TTError) {};
        r = rec_of(TTLOCK_LOG_REBOOT);
        r.date.month = 13;
        ck_assert_int_eq(ttlock_log_record_encode(&w, &r, &e), -EINVAL);
        ck_assert_str_eq(tt_error_message(&e), "log record type 14: invalid date 2021-13-19 12:34:56");
        ck_assert_uint_eq(w.len, 0);
}
END_TEST

static void expect_event(uint8_t type, const char *kind, const char *method) {
        TTLogEventClass c = ttlock_log_type_event(type);
        ck_assert_msg(strcmp(ttlock_log_event_kind_to_string(c.kind), kind) == 0 &&
                              strcmp(ttlock_log_method_to_string(c.method), method) == 0,
                      "type %u: got %s/%s, expected %s/%s", type, ttlock_log_event_kind_to_string(c.kind),
                      ttlock_log_method_to_string(c.method), kind, method);
}

START_TEST(test_events) {
        /* §7.2 UNLOCK 1, 4, 17, 19, 20, 27, 28, 29 and LOCK 26, 33, 34, 35, 36; §4.5 45, 46, 47, 63. */
        expect_event(1, "unlocked", "app");
        expect_event(4, "unlocked", "passcode");
        expect_event(10, "unlocked", "passcode");
        expect_event(17, "unlocked", "ic-card");
        expect_event(19, "unlocked", "bracelet");
        expect_event(20, "unlocked", "fingerprint");
        expect_event(27, "unlocked", "mechanical-key");
        expect_event(28, "unlocked", "remote");
        expect_event(29, "unlocked", "unknown");
        expect_event(26, "locked", "app");
        expect_event(45, "locked", "auto-lock");
        expect_event(46, "unlocked", "button");
        expect_event(47, "locked", "button");
        expect_event(63, "unlocked", "passage-mode");
        /* §4.5–§4.7: the door sensor and a motor that did not finish are not the bolt. */
        expect_event(31, "door-opened", "door-sensor");
        expect_event(30, "door-closed", "door-sensor");
        expect_event(64, "door-left-open", "door-sensor");
        expect_event(65, "jammed", "unknown");
        expect_event(66, "jammed", "unknown");
        expect_event(33, "locked", "fingerprint");
        expect_event(34, "locked", "passcode");
        expect_event(35, "locked", "ic-card");
        expect_event(36, "locked", "mechanical-key");
        /* Failures. */
        expect_event(7, "unlock-failed", "passcode");
        expect_event(11, "unlock-failed", "passcode");
        expect_event(12, "unlock-failed", "passcode");
        expect_event(13, "unlock-failed", "passcode");
        expect_event(38, "unlock-failed", "passcode");
        expect_event(22, "unlock-failed", "fingerprint");
        expect_event(40, "unlock-failed", "fingerprint");
        expect_event(25, "unlock-failed", "ic-card");
        expect_event(39, "unlock-failed", "ic-card");
        expect_event(51, "unlock-failed", "ic-card");
        expect_event(74, "unlock-failed", "ic-card");
        expect_event(41, "unlock-failed", "app");
        /* Everything else. */
        expect_event(5, "other", "passcode");
        expect_event(8, "other", "passcode");
        expect_event(15, "other", "ic-card");
        expect_event(21, "other", "fingerprint");
        expect_event(37, "other", "remote");
        expect_event(55, "other", "key-fob");
        expect_event(56, "other", "wireless-keypad");
        expect_event(14, "other", "unknown");
        expect_event(32, "other", "unknown");
        expect_event(42, "other", "unknown");
        expect_event(44, "other", "unknown");
        expect_event(48, "other", "unknown");
        expect_event(200, "other", "unknown");

        ck_assert_str_eq(ttlock_log_method_to_string((TTLogMethod) 99), "unknown");
}
END_TEST

START_TEST(test_names) {
        ck_assert_str_eq(ttlock_log_type_name(1), "OPERATE_TYPE_MOBILE_UNLOCK");
        ck_assert_str_eq(ttlock_log_type_name(9), "OPERATE_TYPE_KEYBOARD_PASSWORD_KICKED");
        ck_assert_str_eq(ttlock_log_type_name(19), "OPERATE_TYPE_BONG_UNLOCK_SUCCEED");
        ck_assert_str_eq(ttlock_log_type_name(29), "ILLAGEL_UNLOCK");
        ck_assert_str_eq(ttlock_log_type_name(41), "APP_UNLOCK_FAILED_LOCK_REVERSE");
        ck_assert_str_eq(ttlock_log_type_name(56), "WIRELESS_KEY_PAD");
        ck_assert_str_eq(ttlock_log_type_name(74), "CPU_CARD_UNLOCK_FAILED");
        ck_assert_str_eq(ttlock_log_type_name(44), "TAMPER_ALARM");
        ck_assert_str_eq(ttlock_log_type_name(45), "AUTO_LOCK_TIMEOUT");
        ck_assert_ptr_null(ttlock_log_type_name(65));
        ck_assert_ptr_null(ttlock_log_type_name(0));
        ck_assert_ptr_null(ttlock_log_type_name(2));
        ck_assert_ptr_null(ttlock_log_type_name(255));
        /* Every type with a known layout has a name, and every named type has a layout. */
        for (unsigned t = 0; t < 256; t++)
                ck_assert_msg((ttlock_log_type_tail((uint8_t) t) != TTLOCK_LOG_TAIL_RAW) ==
                                      (ttlock_log_type_name((uint8_t) t) != NULL),
                              "type %u", t);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("oplog");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_request);
        tcase_add_test(tc, test_tail_app);
        tcase_add_test(tc, test_tail_remote_key);
        tcase_add_test(tc, test_tail_passcode_pair);
        tcase_add_test(tc, test_tail_modify_delete_kicked_wrong);
        tcase_add_test(tc, test_tail_delete_all);
        tcase_add_test(tc, test_tail_card);
        tcase_add_test(tc, test_tail_bracelet_fob_keypad);
        tcase_add_test(tc, test_tail_fingerprint);
        tcase_add_test(tc, test_tail_none_and_raw);
        tcase_add_test(tc, test_page);
        tcase_add_test(tc, test_page_fit);
        tcase_add_test(tc, test_reclen_longer);
        tcase_add_test(tc, test_truncations);
        tcase_add_test(tc, test_bad_date);
        tcase_add_test(tc, test_encode_rejections);
        tcase_add_test(tc, test_events);
        tcase_add_test(tc, test_names);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
