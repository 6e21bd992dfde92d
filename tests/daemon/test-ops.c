/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What operations decide without a link: operation-log pages and record identity (ops-log), and the
 * D-Bus error an operation's outcome becomes (bus-errors.c, the one mapping every interface uses). */

#include <errno.h>
#include <string.h>

#include "bus-errors.h"
#include "history.h"
#include "oplog.h"
#include "ops-log.h"
#include "tt-test.h"

/* ---- log pages --------------------------------------------------------------------------- */

static TTLogRecord rec(uint8_t type, uint8_t second) {
        return (TTLogRecord){
                .type = type,
                .date = { .year = 2024, .month = 5, .day = 1, .hour = 12, .minute = 0, .second = second },
                .battery = 80,
                .tail = ttlock_log_type_tail(type),
        };
}

static size_t
page(uint16_t total, uint16_t next, const TTLogRecord *records, size_t n, uint8_t *buf, size_t size) {
        TTWriter w = TT_WRITER(buf, size);
        size_t len;

        ck_assert_int_ge(ttlock_log_page_encode(&w, total, next, records, n, NULL), 0);
        ck_assert_int_ge(tt_writer_finish(&w, &len, NULL), 0);
        return len;
}

START_TEST(test_page_parse_order_and_fields) {
        TTLogRecord r[3] = { rec(TTLOCK_LOG_MECHANICAL_KEY_UNLOCK, 1),
                             rec(TTLOCK_LOG_WRONG_PASSCODE, 2),
                             rec(TTLOCK_LOG_MECHANICAL_KEY_LOCK, 3) };
        uint8_t buf[240];
        LogEntry *e = NULL;
        uint16_t total = 0, next = 0;
        size_t n = 0, len;

        strcpy(r[1].wrong.passcode.code, "918273");
        len = page(7, 10, r, 3, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &e, &n, 100), 3);
        ck_assert_uint_eq(total, 7);
        ck_assert_uint_eq(next, 10);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(e[0].record.type, TTLOCK_LOG_MECHANICAL_KEY_UNLOCK);
        ck_assert_uint_eq(e[1].record.type, TTLOCK_LOG_WRONG_PASSCODE);
        ck_assert_str_eq(e[1].record.wrong.passcode.code, "918273");
        ck_assert_uint_eq(e[2].record.date.second, 3);
        /* Three records, three identities. */
        ck_assert_uint_ne(e[0].identity, e[1].identity);
        ck_assert_uint_ne(e[1].identity, e[2].identity);

        /* A second page appends after the first. */
        len = page(4, 11, r, 1, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &e, &n, 100), 1);
        ck_assert_uint_eq(n, 4);
        ck_assert_uint_eq(next, 11);
        free(e);
}
END_TEST

START_TEST(test_identity_by_position_and_bytes) {
        TTLogRecord same[2] = { rec(TTLOCK_LOG_WRONG_PASSCODE, 5), rec(TTLOCK_LOG_WRONG_PASSCODE, 5) };
        uint8_t buf[240];
        LogEntry *a = NULL, *b = NULL, *c = NULL;
        uint16_t total, next;
        size_t na = 0, nb = 0, nc = 0, len;

        /* Two wrong codes in the same second: same bytes, different records (positions 8 and 9). */
        len = page(2, 10, same, 2, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &a, &na, 100), 2);
        ck_assert_uint_ne(a[0].identity, a[1].identity);

        /* The same page again (a lock re-sending, §9.4): the same identities. */
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &b, &nb, 100), 2);
        ck_assert_uint_eq(a[0].identity, b[0].identity);
        ck_assert_uint_eq(a[1].identity, b[1].identity);

        /* The record at position 9 read alone (page ending before 10) keeps its identity. */
        len = page(1, 10, same, 1, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &c, &nc, 100), 1);
        ck_assert_uint_eq(c[0].identity, a[1].identity);
        free(a);
        free(b);
        free(c);
}
END_TEST

START_TEST(test_identity_wraps_sequence) {
        TTLogRecord r[3] = { rec(1, 1), rec(1, 2), rec(1, 3) };
        uint8_t buf[240];
        LogEntry *a = NULL, *b = NULL;
        uint16_t total, next;
        size_t na = 0, nb = 0, len;

        /* next = 1 after three records: positions 0xFFFE, 0xFFFF, 0 — the ring wraps, nothing breaks. */
        len = page(3, 1, r, 3, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &a, &na, 100), 3);
        /* The last of them, alone on a page that ends at 1: same position 0, same identity. */
        len = page(1, 1, r + 2, 1, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &b, &nb, 100), 1);
        ck_assert_uint_eq(a[2].identity, b[0].identity);
        ck_assert_uint_ne(a[1].identity, b[0].identity);
        free(a);
        free(b);
}
END_TEST

START_TEST(test_page_bound_and_empty) {
        TTLogRecord r[3] = { rec(1, 1), rec(1, 2), rec(1, 3) };
        uint8_t buf[240];
        LogEntry *e = NULL;
        uint16_t total = 9, next = 9;
        size_t n = 0, len;

        /* At most `max` entries in all: the rest of the page is not taken. */
        len = page(3, 3, r, 3, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &e, &n, 2), 2);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &e, &n, 2), 0);
        ck_assert_uint_eq(n, 2);

        /* total = 0: nothing, whatever follows. */
        len = page(0, 3, NULL, 0, buf, sizeof(buf));
        ck_assert_int_eq(log_page_parse(buf, len, &total, &next, &e, &n, 100), 0);
        ck_assert_uint_eq(total, 0);
        free(e);
}
END_TEST

START_TEST(test_page_rejects_truncation) {
        TTLogRecord r[2] = { rec(1, 1), rec(TTLOCK_LOG_WRONG_PASSCODE, 2) };
        uint8_t buf[240];
        LogEntry *e = NULL;
        uint16_t total = 0xAAAA, next = 0xBBBB;
        size_t n = 0, len;

        strcpy(r[1].wrong.passcode.code, "1234");
        len = page(2, 2, r, 2, buf, sizeof(buf));
        /* Cut inside the second record, inside the header, and before anything. */
        ck_assert_int_lt(log_page_parse(buf, len - 2, &total, &next, &e, &n, 100), 0);
        ck_assert_int_lt(log_page_parse(buf, 3, &total, &next, &e, &n, 100), 0);
        ck_assert_int_lt(log_page_parse(buf, 0, &total, &next, &e, &n, 100), 0);
        /* Failure leaves the outputs as they were. */
        ck_assert_uint_eq(total, 0xAAAA);
        ck_assert_uint_eq(next, 0xBBBB);
        ck_assert_uint_eq(n, 0);
        free(e);
}
END_TEST

/* ---- error mapping ----------------------------------------------------------------------- */

static void
check_mapping(int error, uint8_t command, uint8_t lock_error, const char *name, const char *infix) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        OpStatus st = { .error = error, .command = command, .lock_error = lock_error };

        ck_assert_int_lt(bus_error_from_status(&st, "AA:BB:CC:00:00:01", &e), 0);
        ck_assert_msg(
                strcmp(e.name, name) == 0, "%d/0x%02x: %s, expected %s", error, lock_error, e.name, name);
        if (infix)
                ck_assert_msg(strstr(e.message, infix), "\"%s\" lacks \"%s\"", e.message, infix);
        sd_bus_error_free(&e);
}

START_TEST(test_error_mapping) {
        /* Link errors (design note). */
        check_mapping(-EHOSTUNREACH, 0, 0, TTLOCK_ERROR_UNREACHABLE, NULL);
        check_mapping(-ENODEV, 0, 0, TTLOCK_ERROR_UNREACHABLE, NULL);
        check_mapping(-ENOTCONN, 0x47, 0, TTLOCK_ERROR_UNREACHABLE, "UNLOCK");
        check_mapping(-ETIMEDOUT, 0x55, 0, TTLOCK_ERROR_TIMEOUT, "CHECK_USER_TIME");
        /* §4.4 codes that mean "wrong credentials", and a lock that no longer takes our key. */
        check_mapping(-EREMOTEIO, 0x41, 0x03, TTLOCK_ERROR_AUTHENTICATION_FAILED, "0x03");
        check_mapping(-EREMOTEIO, 0x55, 0x0D, TTLOCK_ERROR_AUTHENTICATION_FAILED, "0x0d");
        check_mapping(-EREMOTEIO, 0x47, 0x12, TTLOCK_ERROR_AUTHENTICATION_FAILED, "0x12");
        check_mapping(-EREMOTEIO, 0x30, 0x08, TTLOCK_ERROR_AUTHENTICATION_FAILED, "LOCK_DYNAMIC_PWD_ERROR");
        check_mapping(-ENOKEY, 0x55, 0, TTLOCK_ERROR_AUTHENTICATION_FAILED, NULL);
        /* Any other lock error: LockRefused with the lock's name for it. */
        check_mapping(-EREMOTEIO, 0x47, 0x1C, TTLOCK_ERROR_LOCK_REFUSED, "LOCK_FROZEN (0x1c)");
        check_mapping(-EREMOTEIO, 0x56, 0x07, TTLOCK_ERROR_LOCK_REFUSED, "LOCK_IS_IN_NO_SETTING_MODE");
        check_mapping(-EREMOTEIO, 0x47, 0xEE, TTLOCK_ERROR_LOCK_REFUSED, "0xee");
        check_mapping(-EBADMSG, 0x25, 0, TTLOCK_ERROR_FAILED, "malformed");
        check_mapping(-ECANCELED, 0, 0, TTLOCK_ERROR_FAILED, "cancelled");
        /* What the credentials operations decide themselves. */
        check_mapping(-EOPNOTSUPP, 0x06, 0, TTLOCK_ERROR_NOT_SUPPORTED, NULL);
        check_mapping(-ENOENT, 0x03, 0, TTLOCK_ERROR_DOES_NOT_EXIST, "no such passcode");
}
END_TEST

static void
check_refusal(OpRefusal refusal, int error, const char *message, const char *name, const char *infix) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        OpStatus st;

        ck_assert_int_lt(op_refuse(&st, refusal, error, message), 0);
        ck_assert_int_lt(bus_error_from_status(&st, "AA:BB:CC:00:00:01", &e), 0);
        ck_assert_msg(strcmp(e.name, name) == 0, "refusal %d: %s, expected %s", refusal, e.name, name);
        if (infix)
                ck_assert_msg(strstr(e.message, infix), "\"%s\" lacks \"%s\"", e.message, infix);
        sd_bus_error_free(&e);
}

START_TEST(test_refusal_mapping) {
        /* ttlockd's own verdicts, each with the words a caller needs to act on it. */
        check_refusal(
                OP_REFUSAL_BUSY,
                -EBUSY,
                "Another Lock() or Unlock() is in progress.",
                TTLOCK_ERROR_IN_PROGRESS,
                "Another Lock()");
        check_refusal(OP_REFUSAL_NOT_PAIRED, -ENOKEY, NULL, TTLOCK_ERROR_NOT_PAIRED, "AA:BB:CC:00:00:01");
        check_refusal(
                OP_REFUSAL_ALREADY_PAIRED, -EEXIST, NULL, TTLOCK_ERROR_ALREADY_EXISTS, "already paired");
        check_refusal(OP_REFUSAL_NOT_PAIRABLE, -EAGAIN, NULL, TTLOCK_ERROR_NOT_READY, "setting mode");
        check_refusal(
                OP_REFUSAL_CANCELLED,
                -ECANCELED,
                "The lock was forgotten.",
                TTLOCK_ERROR_FAILED,
                "forgotten");
        check_refusal(
                OP_REFUSAL_NOT_SAVED,
                -ENOSPC,
                "Cannot delete the stored keys",
                TTLOCK_ERROR_FAILED,
                "No space left");
        check_refusal(
                OP_REFUSAL_ALREADY_PAIRED,
                -EEXIST,
                "Lock X holds admin keys.",
                TTLOCK_ERROR_ALREADY_EXISTS,
                "Lock X holds admin keys.");
}
END_TEST

/* An eKey's window, checked by ttlockd before it asks the lock, and what the lock's refusals of
 * CHECK_USER_TIME say of it (doc/lockdata.md §4): each named, as AuthenticationFailed. */
START_TEST(test_key_validity) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        OpStatus st = {};
        static const struct {
                uint8_t code;
                const char *infix;
        } codes[] = {
                { 0x0D, "was reset" },
                { 0x0E, "has expired" },
                { 0x11, "not valid yet" },
        };

        ck_assert_int_eq(lock_record_new("AA:BB:CC:00:00:01", &r), 0);
        r->valid_from_usec = 1000;
        r->valid_until_usec = 2000;
        /* An admin's keys have no window of their own. */
        ck_assert_int_eq(op_check_key_window(r, 5000, &st), 0);
        r->role = LOCK_ROLE_USER;
        ck_assert_int_eq(op_check_key_window(r, 1000, &st), 0);
        ck_assert_int_eq(op_check_key_window(r, 1999, &st), 0);
        ck_assert_int_lt(op_check_key_window(r, 999, &st), 0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_KEY_INVALID);
        ck_assert_int_lt(bus_error_from_status(&st, r->address, &e), 0);
        ck_assert_str_eq(e.name, TTLOCK_ERROR_AUTHENTICATION_FAILED);
        ck_assert_ptr_nonnull(strstr(e.message, "not valid yet"));
        sd_bus_error_free(&e);
        ck_assert_int_lt(op_check_key_window(r, 2000, &st), 0);
        ck_assert_int_lt(bus_error_from_status(&st, r->address, &e), 0);
        ck_assert_ptr_nonnull(strstr(e.message, "expired"));
        sd_bus_error_free(&e);
        /* Open on one side. */
        r->valid_from_usec = 0;
        ck_assert_int_eq(op_check_key_window(r, 1, &st), 0);
        r->valid_until_usec = 0;
        ck_assert_int_eq(op_check_key_window(r, UINT64_MAX, &st), 0);

        for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
                st = (OpStatus){ .error = -EREMOTEIO, .command = 0x55, .lock_error = codes[i].code };
                op_explain_user_refusal(&st);
                ck_assert_int_eq(st.refusal, OP_REFUSAL_KEY_INVALID);
                ck_assert_uint_eq(st.lock_error, codes[i].code);
                ck_assert_int_lt(bus_error_from_status(&st, r->address, &e), 0);
                ck_assert_str_eq(e.name, TTLOCK_ERROR_AUTHENTICATION_FAILED);
                ck_assert_msg(
                        strstr(e.message, codes[i].infix), "\"%s\" lacks \"%s\"", e.message, codes[i].infix);
                sd_bus_error_free(&e);
        }
        /* Anything else is left to the general mapping. */
        st = (OpStatus){ .error = -EREMOTEIO, .command = 0x47, .lock_error = 0x0E };
        op_explain_user_refusal(&st);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_NONE);
        st = (OpStatus){ .error = -ETIMEDOUT, .command = 0x55 };
        op_explain_user_refusal(&st);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_NONE);
}
END_TEST

/* What an eKey sends in CHECK_USER_TIME: its window in the lock's zone, or the permanent one. */
START_TEST(test_keys_window) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        OpKeys k;

        ck_assert_int_eq(lock_record_new("AA:BB:CC:00:00:01", &r), 0);
        op_keys_from_record(&k, r);
        ck_assert(!k.user);
        ck_assert_uint_eq(k.window_start.year, 2000);
        ck_assert_uint_eq(k.window_end.year, 2099);

        r->role = LOCK_ROLE_USER;
        r->has_time_zone = true;
        r->time_zone_offset_sec = 8 * 3600;
        r->valid_from_usec = 1767225600ULL * 1000000;                 /* 2026-01-01 00:00 UTC */
        r->valid_until_usec = 1798761600ULL * 1000000 + 90 * 1000000; /* 2027-01-01 00:01:30 UTC */
        op_keys_from_record(&k, r);
        ck_assert(k.user);
        ck_assert_uint_eq(k.window_start.year, 2026);
        ck_assert_uint_eq(k.window_start.month, 1);
        ck_assert_uint_eq(k.window_start.day, 1);
        ck_assert_uint_eq(k.window_start.hour, 8);
        ck_assert_uint_eq(k.window_end.year, 2027);
        ck_assert_uint_eq(k.window_end.hour, 8);
        ck_assert_uint_eq(k.window_end.minute, 1);

        /* West of Greenwich, and an open start. */
        r->time_zone_offset_sec = -5 * 3600;
        r->valid_from_usec = 0;
        op_keys_from_record(&k, r);
        ck_assert_uint_eq(k.window_start.year, 2000);
        ck_assert_uint_eq(k.window_end.year, 2026);
        ck_assert_uint_eq(k.window_end.month, 12);
        ck_assert_uint_eq(k.window_end.day, 31);
        ck_assert_uint_eq(k.window_end.hour, 19);
        op_keys_wipe(&k);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ops");
        TCase *tc = tcase_create("log-pages");

        tcase_add_test(tc, test_page_parse_order_and_fields);
        tcase_add_test(tc, test_identity_by_position_and_bytes);
        tcase_add_test(tc, test_identity_wraps_sequence);
        tcase_add_test(tc, test_page_bound_and_empty);
        tcase_add_test(tc, test_page_rejects_truncation);
        suite_add_tcase(s, tc);

        tc = tcase_create("errors");
        tcase_add_test(tc, test_error_mapping);
        tcase_add_test(tc, test_refusal_mapping);
        tcase_add_test(tc, test_key_validity);
        tcase_add_test(tc, test_keys_window);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
