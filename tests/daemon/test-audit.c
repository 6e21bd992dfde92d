/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit records as journald receives them: the test stands in for journald on
 * its native socket, inside a private mount namespace (a tmpfs over /run), so that what sd-journal
 * sends can be read back field by field without touching the host's journal. Needs root (CI is). */

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit.h"
#include "tt-test.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Our own journald: a datagram socket where sd_journal_send() looks for one. */
static int fake_journal(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        int fd;

        ck_assert_msg(
                geteuid() == 0, "this test needs root for a private mount namespace (CI runs as root)");
        ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        ck_assert_int_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
        ck_assert_int_eq(mkdir("/run/systemd", 0755), 0);
        ck_assert_int_eq(mkdir("/run/systemd/journal", 0755), 0);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        return fd;
}

/* One record, as "FIELD=value\n" lines (the native protocol for values without newlines). */
static void next_record(int fd, char *buf, size_t size) {
        ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

        ck_assert_msg(n > 0, "no journal record was sent: %s", n < 0 ? strerror(errno) : "empty");
        buf[n] = 0;
}

static bool has_line(const char *rec, const char *line) {
        size_t n = strlen(line);

        for (const char *p = rec; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
                        return true;
        return false;
}

#define assert_line(rec, line) \
        ck_assert_msg(has_line((rec), (line)), "no line \"%s\" in:\n%s", (line), (rec))

START_TEST(test_records) {
        char rec[4096];
        int fd = fake_journal();

        /* An unlock asked for over D-Bus by uid 1000. */
        ck_assert_int_ge(audit_log(AUDIT_UNLOCK, "AA:BB:CC:00:00:01", 1000, ":1.42", 0), 0);
        next_record(fd, rec, sizeof(rec));
        assert_line(rec, "MESSAGE_ID=ff878613065a458095e6caf480688573");
        assert_line(rec, "LOCK_ADDRESS=AA:BB:CC:00:00:01");
        assert_line(rec, "TTLOCK_OPERATION=unlock");
        assert_line(rec, "TTLOCK_RESULT=ok");
        assert_line(rec, "CALLER_UID=1000");
        assert_line(rec, "CALLER_BUS_NAME=:1.42");
        ck_assert(!strstr(rec, "ERRNO="));
        ck_assert(strstr(rec, "\nMESSAGE=") || strncmp(rec, "MESSAGE=", 8) == 0);

        /* A pairing that failed: the result and the errno, still the caller. */
        ck_assert_int_ge(audit_log(AUDIT_PAIR, "AA:BB:CC:00:00:01", 0, ":1.7", -EHOSTUNREACH), 0);
        next_record(fd, rec, sizeof(rec));
        assert_line(rec, "MESSAGE_ID=bbb80339d8344c8faaae8243998c66c3");
        assert_line(rec, "TTLOCK_RESULT=failed");
        assert_line(rec, "ERRNO=113");
        assert_line(rec, "CALLER_UID=0");

        /* Every kind has its own fixed MESSAGE_ID, and none is asked for without an address. */
        for (AuditKind k = 0; k < _AUDIT_KIND_MAX; k++) {
                char line[64], mid[SD_ID128_STRING_MAX];

                ck_assert_int_ge(audit_log(k, "11:22:33:44:55:66", (uid_t) -1, NULL, 0), 0);
                next_record(fd, rec, sizeof(rec));
                snprintf(
                        line,
                        sizeof(line),
                        "MESSAGE_ID=%s",
                        sd_id128_to_string(audit_kind_message_id(k), mid));
                assert_line(rec, line);
                snprintf(line, sizeof(line), "TTLOCK_OPERATION=%s", audit_kind_to_string(k));
                assert_line(rec, line);
                ck_assert(!strstr(rec, "CALLER_UID="));
                for (AuditKind j = 0; j < k; j++)
                        ck_assert(!sd_id128_equal(audit_kind_message_id(j), audit_kind_message_id(k)));
        }
        ck_assert_int_eq(audit_log(AUDIT_LOCK, NULL, 0, NULL, 0), -EINVAL);
        close(fd);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("audit");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_records);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
