/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "daemon-test.h"
#include "history.h"
#include "tt-test.h"

#define ADDR "AA:BB:CC:DD:EE:02"
#define HFILE "AA_BB_CC_DD_EE_02.history"

static int open_dir(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        return fd;
}

static HistoryRecord
rec(uint64_t t,
    uint64_t id,
    const char *kind,
    const char *method,
    const char *credential,
    const char *alias,
    int battery) {
        return (HistoryRecord){
                .time_usec = t,
                .identity = id,
                .record_type = 4,
                .battery = battery,
                .kind = (char *) kind,
                .method = (char *) method,
                .credential = (char *) credential,
                .alias = (char *) alias,
        };
}

static void assert_rec_eq(const HistoryRecord *got, const HistoryRecord *want) {
        ck_assert_uint_eq(got->time_usec, want->time_usec);
        ck_assert_uint_eq(got->identity, want->identity);
        ck_assert_uint_eq(got->record_type, want->record_type);
        ck_assert_int_eq(got->battery, want->battery < 0 ? -1 : want->battery);
        ck_assert_str_eq(got->kind, want->kind);
        ck_assert_str_eq(got->method, want->method ?: "");
        ck_assert_str_eq(got->credential, want->credential ?: "");
        ck_assert_str_eq(got->alias, want->alias ?: "");
}

START_TEST(test_identity) {
        static const uint8_t raw[] = { 0x0C, 0x04, 24, 1, 2, 3, 4, 5, 90, 0xAA };

        ck_assert_uint_eq(
                history_record_identity(7, raw, sizeof(raw)), history_record_identity(7, raw, sizeof(raw)));
        ck_assert_uint_ne(
                history_record_identity(7, raw, sizeof(raw)), history_record_identity(8, raw, sizeof(raw)));
        ck_assert_uint_ne(
                history_record_identity(7, raw, sizeof(raw)),
                history_record_identity(7, raw, sizeof(raw) - 1));
        /* FNV-1a 64 over 00 00 00 00 (sequence 0, little-endian) 01 02 03, computed independently. */
        ck_assert_uint_eq(
                history_record_identity(0, (const uint8_t[]){ 1, 2, 3 }, 3), UINT64_C(0x6ee86a14b1a5309b));
}
END_TEST

START_TEST(test_round_trip) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *text = NULL;
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord *got = NULL;
        size_t n = 0;
        const HistoryRecord want[] = {
                rec(1700000000000000, 1, "unlocked", "ic-card", "3735928559", "Anna's card", 80),
                rec(1700000001000000, 2, "unlocked", "passcode", "Guest", "", -1),
                rec(1700000002000000,
                    3,
                    "unlock-failed",
                    "passcode",
                    "%41 - spaces\tand\nnewlines",
                    "-",
                    100),
                rec(1700000003000000, 4, "locked", NULL, NULL, NULL, 0),
                rec(1700000004000000, UINT64_MAX, "unlocked", "fingerprint", "000000000001", "Ünïcödé ✓", 5),
        };

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), 0);
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                ck_assert_int_eq(history_append(h, want + i), 1);
        ck_assert_uint_eq(history_count(h), ELEMENTSOF(want));

        /* Survives a restart. */
        h = history_free(h);
        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), ELEMENTSOF(want));
        ck_assert_uint_eq(history_skipped(h), 0);
        ck_assert_int_eq(history_query(h, 0, 0, &got, &n), 0);
        ck_assert_uint_eq(n, ELEMENTSOF(want));
        for (size_t i = 0; i < n; i++)
                assert_rec_eq(got + i, want + i);
        history_records_free(got, n);

        /* One line per record, mode 0600, header first. */
        text = dt_read_file(dir, HFILE);
        ck_assert_ptr_nonnull(text);
        ck_assert(strncmp(text, "ttlockd-history 1\n", 18) == 0);
        {
                struct stat st;
                char path[4096];
                size_t lines = 0;

                for (const char *p = text; *p; p++)
                        lines += *p == '\n';
                ck_assert_uint_eq(lines, 1 + ELEMENTSOF(want));
                snprintf(path, sizeof(path), "%s/%s", dir, HFILE);
                ck_assert_int_eq(stat(path, &st), 0);
                ck_assert_uint_eq(st.st_mode & 07777, 0600);
        }

        ck_assert_int_eq(history_remove(dfd, ADDR), 0);
        ck_assert_int_eq(history_remove(dfd, ADDR), -ENOENT);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_dedup) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord r = rec(1700000000000000, 0xABCDEF, "unlocked", "app", "", "", 50);

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert(!history_contains(h, 0xABCDEF));
        ck_assert_int_eq(history_append(h, &r), 1);
        ck_assert(history_contains(h, 0xABCDEF));
        ck_assert_int_eq(history_append(h, &r), 0);
        r.time_usec++; /* same identity, other content: still the same record */
        ck_assert_int_eq(history_append(h, &r), 0);
        ck_assert_uint_eq(history_count(h), 1);

        /* Across restarts too. */
        h = history_free(h);
        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert(history_contains(h, 0xABCDEF));
        ck_assert_int_eq(history_append(h, &r), 0);
        ck_assert_uint_eq(history_count(h), 1);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_query_since_max_order) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord *got = NULL;
        size_t n = 0;
        /* Appended out of time order (a lock's clock can jump); two share a time stamp. */
        static const uint64_t times[] = { 50, 10, 40, 20, 40, 30 };

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        for (size_t i = 0; i < ELEMENTSOF(times); i++) {
                HistoryRecord r = rec(times[i], 100 + i, "unlocked", "app", "", "", -1);
                ck_assert_int_eq(history_append(h, &r), 1);
        }

        ck_assert_int_eq(history_query(h, 0, 0, &got, &n), 0);
        ck_assert_uint_eq(n, 6);
        for (size_t i = 1; i < n; i++)
                ck_assert_uint_le(got[i - 1].time_usec, got[i].time_usec);
        /* Equal times keep file order: id 102 (appended third) before id 104. */
        ck_assert_uint_eq(got[3].identity, 102);
        ck_assert_uint_eq(got[4].identity, 104);
        history_records_free(got, n);

        ck_assert_int_eq(history_query(h, 30, 0, &got, &n), 0);
        ck_assert_uint_eq(n, 4); /* 30, 40, 40, 50 */
        ck_assert_uint_eq(got[0].time_usec, 30);
        history_records_free(got, n);

        /* max keeps the newest, newest last. */
        ck_assert_int_eq(history_query(h, 0, 2, &got, &n), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(got[0].identity, 104);
        ck_assert_uint_eq(got[1].time_usec, 50);
        history_records_free(got, n);

        ck_assert_int_eq(history_query(h, 51, 10, &got, &n), 0);
        ck_assert_uint_eq(n, 0);
        free(got);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_trim) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord *got = NULL;
        size_t n = 0;

        ck_assert_int_eq(history_open(dfd, ADDR, 100, &h), 0);
        for (uint64_t i = 1; i <= 250; i++) {
                HistoryRecord r = rec(i * 1000, i, "unlocked", "app", "", "", -1);
                ck_assert_int_eq(history_append(h, &r), 1);
                /* Never more than max + 10 %. */
                ck_assert_uint_le(history_count(h), 110);
        }
        ck_assert_uint_ge(history_count(h), 100);

        h = history_free(h);
        ck_assert_int_eq(history_open(dfd, ADDR, 100, &h), 0);
        ck_assert_int_eq(history_query(h, 0, 0, &got, &n), 0);
        ck_assert_uint_eq(n, history_count(h));
        ck_assert_uint_eq(got[n - 1].identity, 250); /* the newest stay */
        ck_assert_uint_eq(got[0].identity, 250 - n + 1);
        ck_assert(!history_contains(h, 1)); /* the oldest went */
        history_records_free(got, n);
        ck_assert_uint_eq(dt_count_entries(dir, ".tmp-"), 0);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_torn_and_damaged_lines) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *path = NULL, *text = NULL, *line2 = NULL;
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord *got = NULL;
        size_t n = 0;
        FILE *f;

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        for (uint64_t i = 1; i <= 3; i++) {
                HistoryRecord r = rec(i, i, "unlocked", "app", "", "", -1);
                ck_assert_int_eq(history_append(h, &r), 1);
        }
        h = history_free(h);

        /* A crash in the middle of the fourth append: half a line, no '\n'. */
        ck_assert_int_ge(asprintf(&path, "%s/%s", dir, HFILE), 0);
        f = fopen(path, "ae");
        fputs("4 0000000000000004 4 - unlo", f);
        fclose(f);

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), 3);
        ck_assert_uint_eq(history_skipped(h), 0);
        {
                HistoryRecord r = rec(5, 5, "locked", "app", "", "", -1);
                ck_assert_int_eq(history_append(h, &r), 1);
        }
        h = history_free(h);
        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), 4);
        ck_assert_uint_eq(history_skipped(h), 0);
        h = history_free(h);

        /* Flip one byte of the second record: its check fails, it is skipped, the rest stays. */
        text = dt_read_file(dir, HFILE);
        line2 = strstr(strchr(strchr(text, '\n') + 1, '\n') + 1, " unlocked ");
        ck_assert_ptr_nonnull(line2);
        line2[3] = 'X';
        dt_write_file(dir, HFILE, text);
        line2 = NULL;
        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), 3);
        ck_assert_uint_eq(history_skipped(h), 1);
        ck_assert(!history_contains(h, 2));
        ck_assert_int_eq(history_query(h, 0, 0, &got, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(got[0].identity, 1);
        ck_assert_uint_eq(got[1].identity, 3);
        ck_assert_uint_eq(got[2].identity, 5);
        history_records_free(got, n);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_foreign_file_moved_aside) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *aside = NULL, *content = NULL;
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;

        dt_write_file(dir, HFILE, "ttlockd-history 2\nsomething newer\n");
        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_uint_eq(history_count(h), 0);
        aside = dt_find_entry(dir, HFILE ".broken-");
        ck_assert_ptr_nonnull(aside);
        content = dt_read_file(dir, aside);
        ck_assert_str_eq(content, "ttlockd-history 2\nsomething newer\n");
        {
                HistoryRecord r = rec(1, 1, "unlocked", "app", "", "", -1);
                ck_assert_int_eq(history_append(h, &r), 1);
        }
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_no_passcode_digits) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *text = NULL;
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord *got = NULL;
        size_t n = 0;
        HistoryRecord digits = rec(1, 1, "unlocked", "passcode", "8642097", "", -1);
        HistoryRecord alias = rec(2, 2, "unlocked", "passcode", "Cleaner", "", -1);
        HistoryRecord card = rec(3, 3, "unlocked", "ic-card", "3735928559", "", -1);

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_int_eq(history_append(h, &digits), 1);
        ck_assert_int_eq(history_append(h, &alias), 1);
        ck_assert_int_eq(history_append(h, &card), 1);
        text = dt_read_file(dir, HFILE);
        ck_assert_ptr_null(strstr(text, "8642097"));
        ck_assert_ptr_nonnull(strstr(text, "Cleaner"));
        ck_assert_ptr_nonnull(strstr(text, "3735928559")); /* card numbers are not secret */
        ck_assert_int_eq(history_query(h, 0, 0, &got, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_str_eq(got[0].credential, "");
        ck_assert_str_eq(got[1].credential, "Cleaner");
        history_records_free(got, n);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_bad_records) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *longstr = malloc(HISTORY_STRING_MAX + 2);
        int dfd = open_dir(dir);
        _cleanup_(history_freep) History *h = NULL;
        HistoryRecord r = rec(1, 1, "", "app", "", "", -1);

        ck_assert_int_eq(history_open(dfd, ADDR, 0, &h), 0);
        ck_assert_int_eq(history_append(h, &r), -EINVAL);
        r.kind = NULL;
        ck_assert_int_eq(history_append(h, &r), -EINVAL);
        memset(longstr, 'x', HISTORY_STRING_MAX + 1);
        longstr[HISTORY_STRING_MAX + 1] = 0;
        r.kind = "unlocked";
        r.alias = longstr;
        ck_assert_int_eq(history_append(h, &r), -EINVAL);
        r.alias = NULL;
        r.battery = 101;
        ck_assert_int_eq(history_append(h, &r), -EINVAL);
        ck_assert_uint_eq(history_count(h), 0);
        ck_assert_int_eq(history_open(dfd, "nonsense", 0, &(History *){ NULL }), -EINVAL);
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

/* SIGKILL an appender at random instants: the archive always opens, nothing complete is lost. */
START_TEST(test_crash_mid_append) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        int dfd = open_dir(dir);
        size_t before = 0;

        for (unsigned i = 0; i < 100; i++) {
                History *h = NULL;
                uint32_t delay;
                pid_t pid;
                int status;

                pid = fork();
                ck_assert_int_ge(pid, 0);
                if (pid == 0) {
                        History *ch = NULL;

                        /* Small max so that trims (atomic rewrites) are interrupted too. */
                        if (history_open(dfd, ADDR, 50, &ch) < 0)
                                _exit(1);
                        for (uint64_t k = 0;; k++) {
                                HistoryRecord r =
                                        rec(k,
                                            ((uint64_t) getpid() << 32) | k,
                                            "unlocked",
                                            "passcode",
                                            "some alias with spaces",
                                            "",
                                            (int) (k % 101));
                                if (history_append(ch, &r) < 0)
                                        _exit(2);
                        }
                }
                ck_assert_int_eq(getrandom(&delay, sizeof(delay), 0), sizeof(delay));
                usleep(delay % 20000);
                ck_assert_int_eq(kill(pid, SIGKILL), 0);
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                ck_assert_msg(WIFSIGNALED(status), "appender exited early with %d", WEXITSTATUS(status));

                ck_assert_int_eq(history_open(dfd, ADDR, 50, &h), 0);
                ck_assert_uint_eq(history_skipped(h), 0); /* no torn record survives as a "line" */
                /* Records written before this round are still there (at least up to the trim size). */
                ck_assert_uint_ge(history_count(h), MIN(before, (size_t) 50));
                before = history_count(h);
                history_free(h);
                ck_assert_uint_eq(dt_count_entries(dir, ".broken-"), 0);
        }
        close(dfd);
        dt_rm_rf(dir);
}
END_TEST

/* The reader on its own (history_parse(), what tests/fuzz/fuzz-history.c drives): the lines
 * history_record_to_line() writes read back; a line with a broken check is skipped and counted; a torn
 * last line is not a record; after a foreign first line nothing is read. */
START_TEST(test_parse_in_memory) {
        HistoryRecord a = rec(1700000000000000, 0x1122334455667788, "unlocked", "ic-card", "12345", "Anna", 80);
        HistoryRecord b = rec(1700000000000001, 0x99, "locked", "app", NULL, NULL, -1), *got = NULL, one = {};
        _cleanup_free_ char *la = NULL, *lb = NULL, *text = NULL;
        size_t na, nb, n = 0, skipped = 0;
        bool header_ok = false;

        ck_assert_int_eq(history_record_to_line(&a, &la, &na), 0);
        ck_assert_int_eq(history_record_to_line(&b, &lb, &nb), 0);
        ck_assert_int_ge(asprintf(&text, HISTORY_FORMAT_HEADER "\n%s%.*sX\n%s%.20s", la, (int) nb - 1, lb, lb, la), 0);
        ck_assert_int_eq(history_parse(text, strlen(text), &got, &n, &skipped, &header_ok), 0);
        ck_assert(header_ok);
        ck_assert_uint_eq(n, 2);
        ck_assert_uint_eq(skipped, 1);
        assert_rec_eq(&got[0], &a);
        assert_rec_eq(&got[1], &b);
        history_records_free(got, n);

        free(text);
        ck_assert_int_ge(asprintf(&text, "something else\n%s", la), 0);
        ck_assert_int_eq(history_parse(text, strlen(text), &got, &n, &skipped, &header_ok), 0);
        ck_assert(!header_ok);
        ck_assert_uint_eq(n, 0);
        history_records_free(got, n);

        la[na - 1] = 0;
        ck_assert_int_eq(history_record_from_line(la, &one), 0);
        assert_rec_eq(&one, &a);
        history_record_done(&one);
        la[0] = '9'; /* the check no longer matches */
        ck_assert_int_eq(history_record_from_line(la, &one), -EBADMSG);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("history");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_identity);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_dedup);
        tcase_add_test(tc, test_query_since_max_order);
        tcase_add_test(tc, test_trim);
        tcase_add_test(tc, test_torn_and_damaged_lines);
        tcase_add_test(tc, test_foreign_file_moved_aside);
        tcase_add_test(tc, test_no_passcode_digits);
        tcase_add_test(tc, test_bad_records);
        tcase_add_test(tc, test_crash_mid_append);
        tcase_add_test(tc, test_parse_in_memory);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
