/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* key-import.h: every format Manager1.ImportLocks() takes becomes key records (or named errors), with
 * the role, window and zone of an eKey, and nothing of a key in any message. The inputs are made with
 * the protocol library's encoders (src/proto/lockdata.h), as the app and the add-on would write them. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addon-lockdata.h"
#include "daemon-test.h"
#include "key-import.h"
#include "lockdata.h"
#include "string-util.h"
#include "tt-test.h"

#define ADDR1 "AA:BB:CC:00:00:01"
#define ADDR2 "AA:BB:CC:00:00:02"
#define ADDR3 "AA:BB:CC:00:00:03"

static TTLockData *lockdata(const char *address, bool ekey) {
        TTLockData *d = ttlock_lockdata_new();

        ck_assert_ptr_nonnull(d);
        snprintf(d->address, sizeof(d->address), "%s", address);
        for (size_t i = 0; i < sizeof(d->aes_key); i++)
                d->aes_key[i] = (uint8_t) (0x10 + i + address[16]);
        d->unlock_key = 76257105;
        d->lock_flag_pos = 3;
        d->has_timezone_offset = true;
        d->timezone_offset_ms = -5 * 3600 * 1000;
        d->has_version = true;
        d->protocol_type = 5;
        d->protocol_version = 3;
        d->scene = 2;
        d->group_id = 1;
        d->org_id = 1;
        d->battery = 77;
        d->model = strdup("SN9161");
        ck_assert_ptr_nonnull(d->model);
        if (ekey) {
                d->role = TTLOCK_ROLE_USER;
                d->user_type = TTLOCK_USER_TYPE_EKEY;
                d->uid = 2000;
                d->start_usec = 1767225600000000ULL;
                d->end_usec = 1798761600000000ULL;
        } else {
                d->role = TTLOCK_ROLE_ADMIN;
                d->user_type = TTLOCK_USER_TYPE_ADMIN;
                d->has_admin_ps = true;
                d->admin_ps = 73079075;
                d->uid = 1000;
        }
        return d;
}

static char *encode(const TTLockData *d) {
        char *s = NULL;
        TTError e = {};

        ck_assert_msg(ttlock_lockdata_encode(d, &s, &e) >= 0, "%s", tt_error_message(&e));
        return s;
}

static KeyImport *parse_ok(const char *text) {
        KeyImport *k = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = key_import_parse(text, strlen(text), &k, &error);
        ck_assert_msg(r >= 0, "key_import_parse: %d %s", r, strempty_or(error));
        return k;
}

static void parse_fails(const char *text, size_t len, int expected, const char *message) {
        KeyImport *k = NULL;
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(key_import_parse(text, len, &k, &error), expected);
        ck_assert_ptr_null(k);
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(strstr(error, message), "\"%s\" does not say \"%s\"", error, message);
}

START_TEST(test_admin_string) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = lockdata(ADDR1, false);
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        char *text = encode(d);
        LockRecord *r;

        k = parse_ok(text);
        ttlock_lockdata_text_free(text);
        ck_assert_str_eq(k->format, "lockdata-string");
        ck_assert_uint_eq(k->n_entries, 1);
        r = k->entries[0].record;
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(k->entries[0].label, ADDR1);
        ck_assert_str_eq(r->address, ADDR1);
        ck_assert_int_eq(r->role, LOCK_ROLE_ADMIN);
        ck_assert_mem_eq(r->aes_key, d->aes_key, 16);
        ck_assert_uint_eq(r->admin_ps, 73079075);
        ck_assert_uint_eq(r->unlock_key, 76257105);
        ck_assert_uint_eq(r->lock_flag_pos, 3);
        ck_assert_uint_eq(r->uid, 1000);
        ck_assert_uint_eq(r->valid_from_usec, 0);
        ck_assert_uint_eq(r->valid_until_usec, 0);
        ck_assert(r->has_time_zone);
        ck_assert_int_eq(r->time_zone_offset_sec, -5 * 3600);
        ck_assert_uint_eq(r->protocol_type, 5);
        ck_assert_uint_eq(r->sub_version, 3);
        ck_assert_int_eq(r->battery, 77);
        ck_assert_str_eq(r->model, "SN9161");
        ck_assert(!r->provisional);
}
END_TEST

START_TEST(test_ekey_string) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = lockdata(ADDR1, true);
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        char *text = encode(d);
        LockRecord *r;

        k = parse_ok(text);
        ttlock_lockdata_text_free(text);
        r = k->entries[0].record;
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->role, LOCK_ROLE_USER);
        ck_assert_uint_eq(r->admin_ps, 0);
        ck_assert_uint_eq(r->uid, 2000);
        ck_assert_uint_eq(r->valid_from_usec, 1767225600000000ULL);
        ck_assert_uint_eq(r->valid_until_usec, 1798761600000000ULL);

        /* A window that ends before it begins is no key. */
        ttlock_lockdata_free(d);
        d = lockdata(ADDR1, true);
        d->end_usec = d->start_usec;
        text = encode(d);
        key_import_free(k);
        k = parse_ok(text);
        ttlock_lockdata_text_free(text);
        ck_assert_ptr_null(k->entries[0].record);
        ck_assert_ptr_nonnull(strstr(k->entries[0].error, "is not after startDate"));
}
END_TEST

/* The cloud's JSON: a list answer with the lockData of each key. */
START_TEST(test_cloud_json) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *a = lockdata(ADDR1, false), *b = lockdata(ADDR2, true);
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        char *sa = encode(a), *sb = encode(b), *json = NULL;

        ck_assert_int_ge(
                asprintf(
                        &json,
                        "{\"list\": [{\"lockId\": 1, \"lockAlias\": \"Front door\", \"lockData\": \"%s\"},"
                        " {\"keyId\": 2, \"lockAlias\": \"Back\", \"lockData\": \"%s\"}], \"pageNo\": 1}",
                        sa,
                        sb),
                0);
        k = parse_ok(json);
        ck_assert_str_eq(k->format, "lockdata-json");
        ck_assert_uint_eq(k->n_entries, 2);
        ck_assert_int_eq(k->entries[0].record->role, LOCK_ROLE_ADMIN);
        ck_assert_str_eq(k->entries[0].record->alias, "Front door");
        ck_assert_int_eq(k->entries[1].record->role, LOCK_ROLE_USER);
        ck_assert_str_eq(k->entries[1].record->alias, "Back");
        ttlock_lockdata_text_free(sa);
        ttlock_lockdata_text_free(sb);
        ttlock_lockdata_text_free(json);
}
END_TEST

/* The old add-on's file with three locks, one of them unreadable: the others come through, the bad one
 * is named by its address, and no key is in its message. */
START_TEST(test_addon_file) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *a = lockdata(ADDR1, false), *b = lockdata(ADDR2, false),
                                                    *c = lockdata(ADDR3, false);
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        TTLockData *all[] = { a, b, c };
        char *text = NULL, *p;
        TTError e = {};

        ck_assert_int_ge(ttlock_addon_lockdata_encode(all, 3, &text, &e), 0);
        /* Lock 2's AES key cut short. */
        p = strstr(text, "\"" ADDR2 "\"");
        ck_assert_ptr_nonnull(p);
        p = strstr(p, "\"aesKey\"");
        ck_assert_ptr_nonnull(p);
        p = strchr(p + 8, '"');
        ck_assert_ptr_nonnull(p);
        memmove(p + 1, p + 5, strlen(p + 5) + 1);

        k = parse_ok(text);
        ck_assert_str_eq(k->format, "addon-json");
        ck_assert_uint_eq(k->n_entries, 3);
        ck_assert_ptr_nonnull(k->entries[0].record);
        ck_assert_int_eq(k->entries[0].record->role, LOCK_ROLE_ADMIN);
        ck_assert_uint_eq(k->entries[0].record->admin_ps, 73079075);
        ck_assert_ptr_null(k->entries[1].record);
        ck_assert_str_eq(k->entries[1].label, ADDR2);
        ck_assert_ptr_nonnull(k->entries[1].error);
        ck_assert_msg(
                !strstr(k->entries[1].error, "73079075") && !strstr(k->entries[1].error, "76257105"),
                "\"%s\" quotes a key",
                k->entries[1].error);
        ck_assert_ptr_nonnull(k->entries[2].record);
        ttlock_lockdata_text_free(text);
}
END_TEST

/* ExportLocks' own output comes back, provisional marks dropped (the import verifies anyway). */
START_TEST(test_export) {
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        LockRecord *a = NULL, *b = NULL;
        const LockRecord *all[2];
        char *text = NULL;
        size_t size;

        ck_assert_int_eq(lock_record_new(ADDR1, &a), 0);
        ck_assert_int_eq(lock_record_new(ADDR2, &b), 0);
        memset(a->aes_key, 1, 16);
        a->admin_ps = 5;
        ck_assert_int_eq(lock_record_set_string(&a->alias, "Front"), 0);
        b->role = LOCK_ROLE_USER;
        b->provisional = true;
        b->valid_until_usec = 99;
        all[0] = a;
        all[1] = b;
        ck_assert_int_eq(store_export_to_yaml(all, 2, &text, &size), 0);
        k = parse_ok(text);
        ck_assert_str_eq(k->format, "ttlockd-export");
        ck_assert_uint_eq(k->n_entries, 2);
        ck_assert_str_eq(k->entries[0].record->alias, "Front");
        ck_assert_uint_eq(k->entries[0].record->admin_ps, 5);
        ck_assert_int_eq(k->entries[1].record->role, LOCK_ROLE_USER);
        ck_assert_uint_eq(k->entries[1].record->valid_until_usec, 99);
        ck_assert(!k->entries[1].record->provisional);
        store_text_free(text, size);
        lock_record_free(a);
        lock_record_free(b);
}
END_TEST

START_TEST(test_duplicates) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *a = lockdata(ADDR1, false), *b = lockdata(ADDR1, true);
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        char *sa = encode(a), *sb = encode(b), *text = NULL;

        ck_assert_int_ge(asprintf(&text, "%s\n%s\n", sa, sb), 0);
        k = parse_ok(text);
        ck_assert_uint_eq(k->n_entries, 2);
        ck_assert_ptr_nonnull(k->entries[0].record);
        ck_assert_ptr_null(k->entries[1].record);
        ck_assert_str_eq(k->entries[1].label, ADDR1);
        ck_assert_ptr_nonnull(strstr(k->entries[1].error, "the same lock"));
        ttlock_lockdata_text_free(sa);
        ttlock_lockdata_text_free(sb);
        ttlock_lockdata_text_free(text);

        /* In an export too. */
        LockRecord *r = NULL;
        const LockRecord *all[2];
        size_t size;

        ck_assert_int_eq(lock_record_new(ADDR1, &r), 0);
        all[0] = all[1] = r;
        ck_assert_int_eq(store_export_to_yaml(all, 2, &text, &size), 0);
        key_import_free(k);
        k = parse_ok(text);
        ck_assert_uint_eq(k->n_entries, 2);
        ck_assert_ptr_nonnull(k->entries[0].record);
        ck_assert_ptr_null(k->entries[1].record);
        ck_assert_str_eq(k->entries[1].label, ADDR1);
        ck_assert_str_eq(k->entries[1].error, "the same lock is named earlier in the input");
        store_text_free(text, size);
        lock_record_free(r);
}
END_TEST

/* What an outsider may send: too large, nothing, no format, broken JSON, nested too deep, wrong types,
 * a truncated lockData string. Whole-input failures say why; per-lock ones are entries. */
START_TEST(test_hostile) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *a = lockdata(ADDR1, false);
        _cleanup_free_ char *huge = NULL, *nested = NULL;
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        char *s = encode(a);
        size_t n = 0;

        huge = malloc(TTLOCK_LOCKDATA_INPUT_MAX + 2);
        ck_assert_ptr_nonnull(huge);
        memset(huge, ' ', TTLOCK_LOCKDATA_INPUT_MAX + 1);
        huge[TTLOCK_LOCKDATA_INPUT_MAX + 1] = 0;
        parse_fails(huge, TTLOCK_LOCKDATA_INPUT_MAX + 1, -EFBIG, "larger than");
        parse_fails("", 0, -EBADMSG, "");
        parse_fails("hello, world: <>", 16, -EBADMSG, "");
        parse_fails("{\"lockMac\": ", 12, -EBADMSG, "");

        nested = malloc(200);
        ck_assert_ptr_nonnull(nested);
        for (size_t i = 0; i < 50; i++)
                nested[n++] = '[';
        for (size_t i = 0; i < 50; i++)
                nested[n++] = ']';
        nested[n] = 0;
        parse_fails(nested, n, -EBADMSG, "");

        /* Wrong types and a string cut in half: entries with errors, not a crash. */
        k = parse_ok("{\"lockMac\": 5, \"aesKeyStr\": [1], \"lockKey\": {}}");
        ck_assert_uint_eq(k->n_entries, 1);
        ck_assert_ptr_null(k->entries[0].record);
        ck_assert_ptr_nonnull(k->entries[0].error);
        key_import_free(k);
        s[strlen(s) / 2] = 0;
        k = parse_ok(s);
        ck_assert_ptr_null(k->entries[0].record);
        ck_assert_ptr_nonnull(k->entries[0].error);
        ttlock_lockdata_text_free(s);

        /* An export that is no YAML. */
        parse_fails("---\n[\n", 6, -EBADMSG, "YAML syntax error");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("key-import");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_admin_string);
        tcase_add_test(tc, test_ekey_string);
        tcase_add_test(tc, test_cloud_json);
        tcase_add_test(tc, test_addon_file);
        tcase_add_test(tc, test_export);
        tcase_add_test(tc, test_duplicates);
        tcase_add_test(tc, test_hostile);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
