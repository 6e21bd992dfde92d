/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `ttlockctl import` shows before it sends anything (ctl-import-util.h): the preview of each
 * format, without keys, the bounds on its input, and the question. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl-import-util.h"
#include "lockdata.h"
#include "tt-test.h"

static void set_utc(void) {
        setenv("TZ", "UTC", 1);
        tzset();
}

static char *print_of(const ImportSummary *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ck_assert_ptr_nonnull(f);
        import_summary_print(s, f);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

static ImportSummary *summarize(const char *text) {
        ImportSummary *s = NULL;
        char why[256] = "";

        ck_assert_msg(import_summarize(text, strlen(text), &s, why, sizeof(why)) == 0, "%s", why);
        return s;
}

static void summarize_fails(const char *text, const char *fragment) {
        ImportSummary *s = NULL;
        char why[256] = "";

        ck_assert_int_eq(import_summarize(text, strlen(text), &s, why, sizeof(why)), -EINVAL);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(why, fragment), "\"%s\" lacks \"%s\"", why, fragment);
}

/* An admin and an eKey of the same lock keys, as lockData strings. */
static char *lockdata_pair(void) {
        TTLockData *a = ttlock_lockdata_new(), *u = ttlock_lockdata_new();
        char *sa = NULL, *su = NULL, *both = NULL;

        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(u);
        strcpy(a->address, "AA:BB:CC:00:00:01");
        strcpy(u->address, "AA:BB:CC:00:00:02");
        a->name = strdup("S202F_010000");
        u->name = strdup("Garage");
        memset(a->aes_key, 0x5a, 16);
        memset(u->aes_key, 0x5a, 16);
        a->role = TTLOCK_ROLE_ADMIN;
        a->has_admin_ps = true;
        a->admin_ps = 111222333;
        a->unlock_key = u->unlock_key = 444555666;
        u->role = TTLOCK_ROLE_USER;
        u->start_usec = UINT64_C(1767225600) * 1000000; /* 2026-01-01 00:00 UTC */
        u->end_usec = UINT64_C(1798761600) * 1000000;   /* 2027-01-01 00:00 UTC */
        ck_assert_int_eq(ttlock_lockdata_encode(a, &sa, NULL), 0);
        ck_assert_int_eq(ttlock_lockdata_encode(u, &su, NULL), 0);
        ck_assert_int_ge(asprintf(&both, "%s\n%s\nQUJDREVGR0g=\n", sa, su), 0);
        ttlock_lockdata_text_free(sa);
        ttlock_lockdata_text_free(su);
        ttlock_lockdata_free(a);
        ttlock_lockdata_free(u);
        return both;
}

START_TEST(test_preview_lockdata) {
        _cleanup_(import_summary_freep) ImportSummary *s = NULL;
        char *text = lockdata_pair(), *out;

        set_utc();
        s = summarize(text);
        ck_assert_str_eq(s->format, "lockdata-string");
        ck_assert_uint_eq(s->n_rows, 3);
        ck_assert_uint_eq(s->n_ok, 2);
        out = print_of(s);
        /* The advertised name (or the cloud's alias); an eKey shows its window; the broken one its reason.
         */
        ck_assert_str_eq(
                out,
                "Found 3 locks in TTLock lockData, 2 of them readable:\n"
                "ADDRESS            NAME          ROLE   VALIDITY\n"
                "AA:BB:CC:00:00:01  S202F_010000  admin  permanent\n"
                "AA:BB:CC:00:00:02  Garage        user   2026-01-01 00:00 – 2027-01-01 00:00\n"
                "lock 3: cannot be imported: lockData of 8 bytes is too short: one AES block and the "
                "6-byte MAC are 22\n");
        /* Never a key, in any spelling. */
        ck_assert_ptr_null(strstr(out, "111222333"));
        ck_assert_ptr_null(strstr(out, "444555666"));
        ck_assert_ptr_null(strstr(out, "5a5a"));
        free(out);
        free(text);
}
END_TEST

START_TEST(test_preview_addon) {
        _cleanup_(import_summary_freep) ImportSummary *s = summarize(
                "[{\"address\":\"aa:bb:cc:00:00:01\",\"privateData\":{\"aesKey\":"
                "\"00112233445566778899aabbccddeeff\","
                "\"admin\":{\"adminPs\":73079075,\"unlockKey\":76257105}}}]");
        char *out;

        ck_assert_str_eq(s->format, "addon-json");
        out = print_of(s);
        ck_assert_str_eq(
                out,
                "Found 1 lock in the Home Assistant add-on's lockData.json:\n"
                "ADDRESS            NAME  ROLE   VALIDITY\n"
                "AA:BB:CC:00:00:01  -     admin  permanent\n");
        free(out);
}
END_TEST

START_TEST(test_preview_export) {
        /* Whatever the store's layout: one document per lock, a list, or a list under a key. Only
         * address, alias and role are read; keys are not looked at. */
        static const char *const exports[] = {
                "version: 1\naddress: \"aa:bb:cc:00:00:01\"\nalias: \"Front door\"\nrole: admin\n"
                "credentials:\n  aes-key: \"00112233445566778899aabbccddeeff\"\n  admin-ps: 1\n"
                "---\nversion: 1\naddress: \"AA:BB:CC:00:00:02\"\ncredentials: {aes-key: x}\n",
                "- version: 1\n  address: aa:bb:cc:00:00:01\n  alias: Front door\n  role: admin\n"
                "- {version: 1, address: \"AA:BB:CC:00:00:02\", settings: {sound: [1, 2]}}\n",
                "version: 1\nlocks:\n  - address: AA:BB:CC:00:00:01\n    alias: Front door\n    role: "
                "admin\n"
                "    device: {model: S202F}\n  - address: AA:BB:CC:00:00:02\n",
        };

        set_utc();
        for (size_t i = 0; i < ELEMENTSOF(exports); i++) {
                _cleanup_(import_summary_freep) ImportSummary *s = summarize(exports[i]);
                char *out;

                ck_assert_str_eq(s->format, "ttlockd-export");
                out = print_of(s);
                ck_assert_msg(
                        strcmp(out,
                               "Found 2 locks in a ttlockd export:\n"
                               "ADDRESS            NAME        ROLE   VALIDITY\n"
                               "AA:BB:CC:00:00:01  Front door  admin  permanent\n"
                               "AA:BB:CC:00:00:02  -           -      -\n") == 0,
                        "export %zu:\n%s",
                        i,
                        out);
                free(out);
        }
        {
                /* An eKey's window, as ttlockd's export writes it (store.h), shows. */
                _cleanup_(import_summary_freep) ImportSummary *s = summarize(
                        "---\nversion: 1\naddress: \"AA:BB:CC:00:00:03\"\nalias: \"Garage\"\nrole: "
                        "\"user\"\n"
                        "valid-from-usec: 1796112000000000\nvalid-until-usec: 1798135200000000\n"
                        "credentials:\n  aes-key: \"00112233445566778899aabbccddeeff\"\n  unlock-key: 2\n");
                char *out = print_of(s);

                ck_assert_msg(
                        strstr(out, "AA:BB:CC:00:00:03  Garage  user  2026-12-01 08:00 – 2026-12-24 18:00"),
                        "%s",
                        out);
                free(out);
        }
        summarize_fails("version: 1\nname: nothing\n", "no lock");
        summarize_fails("version: 1\naddress: [unclosed\n", "not valid YAML");
        {
                /* Nested far beyond any store layout: refused, not recursed into. */
                char deep[4096] = "version: 1\nx: ";
                size_t n = strlen(deep);

                for (unsigned i = 0; i < 1000; i++)
                        deep[n++] = '[';
                deep[n] = 0;
                summarize_fails(deep, "nested deeper than 32");
        }
}
END_TEST

START_TEST(test_preview_refusals) {
        summarize_fails("hello: world, and more", "neither a lockData string");
        summarize_fails("[1, 2", "truncated");
        summarize_fails("[]", "no locks");
}
END_TEST

static char *write_temp(const void *data, size_t n) {
        char *path = strdup("/tmp/test-ctl-import-XXXXXX");
        int fd = mkstemp(path);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, data, n), (ssize_t) n);
        close(fd);
        return path;
}

START_TEST(test_read_input) {
        char *text = NULL, *path;
        size_t len = 0;
        FILE *in;

        /* A file, and standard input. */
        path = write_temp("abc\n", 4);
        ck_assert_int_eq(import_read_input(path, NULL, &text, &len), 0);
        ck_assert_uint_eq(len, 4);
        ck_assert_str_eq(text, "abc\n");
        import_text_free(text, len);
        unlink(path);
        free(path);
        in = fmemopen((char *) "from stdin", 10, "r");
        ck_assert_int_eq(import_read_input("-", in, &text, &len), 0);
        ck_assert_str_eq(text, "from stdin");
        import_text_free(text, len);
        fclose(in);

        /* Empty, binary, too large, missing. */
        path = write_temp("", 0);
        ck_assert_int_eq(import_read_input(path, NULL, &text, &len), -EBADMSG);
        unlink(path);
        free(path);
        path = write_temp("a\0b", 3);
        ck_assert_int_eq(import_read_input(path, NULL, &text, &len), -EBADMSG);
        unlink(path);
        free(path);
        {
                size_t big = IMPORT_INPUT_MAX + 1;
                char *data = malloc(big);

                memset(data, 'A', big);
                path = write_temp(data, big);
                ck_assert_int_eq(import_read_input(path, NULL, &text, &len), -EFBIG);
                unlink(path);
                free(path);
                /* Exactly the bound is fine. */
                path = write_temp(data, big - 1);
                ck_assert_int_eq(import_read_input(path, NULL, &text, &len), 0);
                ck_assert_uint_eq(len, IMPORT_INPUT_MAX);
                import_text_free(text, len);
                unlink(path);
                free(path);
                free(data);
        }
        ck_assert_int_eq(import_read_input("/nonexistent/keys", NULL, &text, &len), -ENOENT);
}
END_TEST

static int answer(const char *typed) {
        char *buf = NULL;
        size_t size = 0;
        FILE *in = fmemopen((char *) typed, strlen(typed), "r"), *out = open_memstream(&buf, &size);
        int r;

        ck_assert_ptr_nonnull(out);
        r = ask_yes_no(in ?: stdin, out, "Import?");
        fclose(out);
        ck_assert_ptr_nonnull(strstr(buf, "Import? [y/N] "));
        free(buf);
        if (in)
                fclose(in);
        return r;
}

START_TEST(test_ask) {
        ck_assert_int_eq(answer("y\n"), 1);
        ck_assert_int_eq(answer("YES\n"), 1);
        ck_assert_int_eq(answer("yes"), 1);
        ck_assert_int_eq(answer("n\n"), 0);
        ck_assert_int_eq(answer("\n"), 0);
        ck_assert_int_eq(answer("yesterday\n"), 0);
        /* End of input is no. (fmemopen of an empty buffer is invalid, so feed a lone EOF.) */
        {
                FILE *in = fopen("/dev/null", "re");
                FILE *out = fopen("/dev/null", "we");

                ck_assert_int_eq(ask_yes_no(in, out, "Import?"), 0);
                fclose(in);
                fclose(out);
        }
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ctl-import");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_preview_lockdata);
        tcase_add_test(tc, test_preview_addon);
        tcase_add_test(tc, test_preview_export);
        tcase_add_test(tc, test_preview_refusals);
        tcase_add_test(tc, test_read_input);
        tcase_add_test(tc, test_ask);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
