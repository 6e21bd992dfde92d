/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The describers (src/describe) with the filter ttlockd's diagnostics use (describe_key_is_public()):
 * frames that carry every kind of secret — the AES key of GET_AES_KEY, adminPs and unlockKey, the
 * challenge and its sum, passcodes, card numbers, fingerprint ids, a key fob's address, the admin
 * passcode, user ids — keep their command, outcome and battery, and lose the secret. Each secret is
 * first shown to be in the unfiltered output, so that a check for its absence can fail. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "credentials.h"
#include "describe.h"
#include "oplog.h"
#include "pairing.h"
#include "reply.h"
#include "tt-test.h"

/* The plaintext of a frame as describe_plaintext() gets it, described with or without the filter. */
static char *describe(bool reply, uint8_t command, const uint8_t *plain, size_t len, bool filtered) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        TTError e = {};
        Printer p;

        ck_assert_ptr_nonnull(f);
        printer_init(&p, f, /* json= */ true);
        if (filtered)
                printer_set_filter(&p, describe_key_is_public);
        printer_begin(&p);
        ck_assert_msg(
                describe_plaintext(&p, reply, command, plain, len, &e) >= 0,
                "describe: %s",
                tt_error_message(&e));
        printer_end(&p);
        ck_assert_int_eq(fclose(f), 0);
        return text;
}

/* secrets: NULL-terminated strings that must be in the plain output and not in the filtered one;
 * public: what must stay in both. */
static void
check(bool reply,
      uint8_t command,
      const uint8_t *plain,
      size_t len,
      const char *const *secrets,
      const char *const *public) {
        char *all = describe(reply, command, plain, len, false);
        char *redacted = describe(reply, command, plain, len, true);

        for (const char *const *s = secrets; *s; s++) {
                ck_assert_msg(strstr(all, *s), "\"%s\" is not in the unfiltered output: %s", *s, all);
                ck_assert_msg(!strstr(redacted, *s), "\"%s\" leaks through the filter: %s", *s, redacted);
        }
        for (const char *const *s = public; s && *s; s++)
                ck_assert_msg(
                        strstr(redacted, *s),
                        "\"%s\" is missing from the filtered output: %s",
                        *s,
                        redacted);
        ck_assert_msg(strstr(redacted, PRINTER_REDACTED), "nothing was redacted: %s", redacted);
        /* Still one JSON object: redacted values and swallowed containers keep the commas right. */
        ck_assert_int_eq(redacted[0], '{');
        ck_assert_int_eq(redacted[strlen(redacted) - 2], '}');
        free(all);
        free(redacted);
}

/* A reply's plaintext: [echo][status][data]. */
static size_t reply_of(
        uint8_t command,
        void (*write)(TTWriter *w, const void *arg),
        const void *arg,
        uint8_t *buf,
        size_t size) {
        TTWriter w = TT_WRITER(buf, size);
        size_t n;

        ttlock_reply_begin(&w, command);
        write(&w, arg);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        return n;
}

static void write_aes_key(TTWriter *w, const void *arg) {
        ttlock_get_aes_key_reply_encode(w, arg);
}

START_TEST(test_keys) {
        static const uint8_t key[TTLOCK_AES_KEY_LEN] = { 0x98, 0x76, 0x23, 0xe8, 0xa9, 0x23, 0xa1, 0xbb,
                                                         0x3d, 0x9e, 0x7d, 0x03, 0x78, 0x12, 0x45, 0x88 };
        uint8_t b[64];
        TTWriter w = TT_WRITER(b, sizeof(b));
        size_t n;

        n = reply_of(TTLOCK_CMD_GET_AES_KEY, write_aes_key, key, b, sizeof(b));
        check(true,
              TTLOCK_CMD_GET_AES_KEY,
              b,
              n,
              (const char *[]){ "987623e8a923a1bb3d9e7d0378124588", NULL },
              (const char *[]){ "GET_AES_KEY", NULL });

        ttlock_add_admin_request_encode(
                &w, &(TTAddAdminRequest){ .admin_ps = 918273645, .unlock_key = 564738291 });
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(false,
              TTLOCK_CMD_ADD_ADMIN,
              b,
              n,
              (const char *[]){ "918273645", "564738291", NULL },
              (const char *[]){ "ADD_ADMIN", NULL });
}
END_TEST

START_TEST(test_login) {
        uint8_t b[64];
        TTWriter w = TT_WRITER(b, sizeof(b));
        size_t n;

        ck_assert_int_eq(
                ttlock_check_admin_request_encode(
                        &w, &(TTCheckAdminRequest){ .admin_ps = 918273645, .uid = 7654321 }),
                0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(false,
              TTLOCK_CMD_CHECK_ADMIN,
              b,
              n,
              (const char *[]){ "918273645", "7654321", NULL },
              (const char *[]){ "CHECK_ADMIN", NULL });

        w = TT_WRITER(b, sizeof(b));
        ttlock_check_random_request_encode(&w, 0xdeadbeef);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        /* The sum as JSON prints it: a plain number. */
        check(false,
              TTLOCK_CMD_CHECK_RANDOM,
              b,
              n,
              (const char *[]){ "3735928559", NULL },
              (const char *[]){ "CHECK_RANDOM", NULL });
}
END_TEST

START_TEST(test_passcodes_and_cards) {
        TTPasscodeRequest pq = { .op = TTLOCK_PASSCODE_OP_ADD, .type = TTLOCK_PASSCODE_PERMANENT };
        TTCardRequest cq = { .op = 2, .has_card = true, .card = { .number = 3141592653, .size = 4 } };
        uint8_t b[128];
        TTWriter w = TT_WRITER(b, sizeof(b));
        size_t n;

        snprintf(pq.code, sizeof(pq.code), "864213");
        pq.start = (TTDateTime){ 2026, 1, 1, 0, 0, 0 };
        pq.end = (TTDateTime){ 2099, 1, 1, 0, 0, 0 };
        ck_assert_int_ge(ttlock_passcode_request_encode(&w, &pq, NULL), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(false,
              TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD,
              b,
              n,
              (const char *[]){ "864213", NULL },
              (const char *[]){ "MANAGE_KEYBOARD_PASSWORD", "\"op\"", NULL });

        w = TT_WRITER(b, sizeof(b));
        cq.start = pq.start;
        cq.end = pq.end;
        ck_assert_int_ge(ttlock_card_request_encode(&w, &cq, NULL), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(false,
              TTLOCK_CMD_IC_MANAGE,
              b,
              n,
              (const char *[]){ "3141592653", NULL },
              (const char *[]){ "IC_MANAGE", NULL });

        w = TT_WRITER(b, sizeof(b));
        ttlock_reply_begin(&w, TTLOCK_CMD_GET_ADMIN_CODE);
        ck_assert_int_ge(ttlock_admin_code_reply_encode(&w, 77, "2468013", NULL), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(true,
              TTLOCK_CMD_GET_ADMIN_CODE,
              b,
              n,
              (const char *[]){ "2468013", NULL },
              (const char *[]){ "\"battery\":77", NULL });
}
END_TEST

/* A log page: what happened stays (the types, the battery), who did it goes (passcode, card, key fob). */
START_TEST(test_log_page) {
        TTLogRecord recs[3] = {
                { .type = 4,
                  .date = { 2026, 3, 2, 9, 0, 0 },
                  .battery = 81,
                  .tail = ttlock_log_type_tail(4) },
                { .type = 17,
                  .date = { 2026, 3, 2, 9, 1, 0 },
                  .battery = 81,
                  .tail = ttlock_log_type_tail(17) },
                { .type = 55,
                  .date = { 2026, 3, 2, 9, 2, 0 },
                  .battery = 81,
                  .tail = ttlock_log_type_tail(55) },
        };
        uint8_t b[256];
        TTWriter w = TT_WRITER(b, sizeof(b));
        size_t n;

        snprintf(recs[0].passcode_pair.original.code, sizeof(recs[0].passcode_pair.original.code), "97531");
        snprintf(recs[0].passcode_pair.typed.code, sizeof(recs[0].passcode_pair.typed.code), "97531");
        recs[1].card = (TTCard){ .number = 2718281828, .size = 4 };
        memcpy(recs[2].key_fob.mac, (const uint8_t[]){ 0xC0, 0xFF, 0xEE, 0x12, 0x34, 0x56 }, 6);
        recs[2].key_fob.key_id = 1;
        recs[2].key_fob.battery = 66;

        ttlock_reply_begin(&w, TTLOCK_CMD_GET_OPERATE_LOG);
        ck_assert_int_ge(ttlock_log_page_encode(&w, 0, 0xfff0, recs, 3, NULL), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        check(true,
              TTLOCK_CMD_GET_OPERATE_LOG,
              b,
              n,
              (const char *[]){ "97531", "2718281828", "C0:FF:EE:12:34:56", NULL },
              (const char *[]){ "\"type\":4",
                                "\"type\":17",
                                "\"type\":55",
                                "\"battery\":81",
                                "\"accessory_battery\":66",
                                NULL });
}
END_TEST

/* Without the filter nothing changes: ttlock-decode shows everything, as before. */
START_TEST(test_no_filter) {
        uint8_t b[64];
        TTWriter w = TT_WRITER(b, sizeof(b));
        char *all;
        size_t n;

        ttlock_add_admin_request_encode(&w, &(TTAddAdminRequest){ .admin_ps = 1, .unlock_key = 2 });
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), 0);
        all = describe(false, TTLOCK_CMD_ADD_ADMIN, b, n, false);
        ck_assert_ptr_null(strstr(all, PRINTER_REDACTED));
        free(all);
        ck_assert(!describe_key_is_public(NULL));
        ck_assert(!describe_key_is_public("passcode"));
        ck_assert(describe_key_is_public("battery"));
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("describe-redact");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_keys);
        tcase_add_test(tc, test_login);
        tcase_add_test(tc, test_passcodes_and_cards);
        tcase_add_test(tc, test_log_page);
        tcase_add_test(tc, test_no_filter);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
