/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockctl's secret reader (ctl-secret.h): a passcode given as "-" comes from a pipe, one line per
 * call, or from a terminal that does not echo it — a pseudo-terminal here, typed at only once the
 * reader has switched the echo off, so that what the terminal shows is what a person would see. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl-secret.h"
#include "macro.h"
#include "tt-test.h"

/* A pipe whose read end holds data (and then EOF). */
static int pipe_with(const char *data) {
        int p[2];

        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        ck_assert_int_eq(write(p[1], data, strlen(data)), (ssize_t) strlen(data));
        close(p[1]);
        return p[0];
}

START_TEST(test_pipe_lines) {
        char buf[CTL_SECRET_MAX];
        int fd = pipe_with("482916\n135790\r\n24680");

        /* One line per call: the second '-' of "passcode change" gets the second line. */
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "482916");
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "135790");
        /* The last line needs no newline. */
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "24680");
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), -ENODATA);
        close(fd);
}
END_TEST

START_TEST(test_pipe_bad) {
        char buf[8];
        int fd = pipe_with("\n12345678\n1234567\n");

        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), -ENODATA);
        /* Too long is refused, not cut; the buffer holds nothing of it; the next line is intact. */
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), -E2BIG);
        ck_assert_int_eq(buf[0], 0);
        ck_assert_int_eq(ctl_read_secret(fd, NULL, NULL, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "1234567");
        close(fd);
}
END_TEST

static bool echo_is_off(int fd) {
        struct termios t;

        ck_assert_int_eq(tcgetattr(fd, &t), 0);
        return !(t.c_lflag & ECHO);
}

/* Everything the terminal showed so far (what the reader echoed), NUL-terminated. */
static size_t drain(int master, char *buf, size_t size) {
        size_t n = 0;

        for (;;) {
                struct pollfd p = { .fd = master, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, 200) <= 0 || n + 1 >= size)
                        break;
                k = read(master, buf + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return n;
}

START_TEST(test_terminal_no_echo) {
        char shown[4096], prompt[256] = {};
        int master, slave, status, prompt_pipe[2];
        pid_t pid;

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        ck_assert_int_ge(master, 0);
        ck_assert_int_eq(grantpt(master), 0);
        ck_assert_int_eq(unlockpt(master), 0);
        slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        ck_assert_int_ge(slave, 0);
        ck_assert(!echo_is_off(slave));
        ck_assert_int_eq(pipe2(prompt_pipe, O_CLOEXEC), 0);

        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                char buf[CTL_SECRET_MAX];
                FILE *p = fdopen(prompt_pipe[1], "w");
                int r = ctl_read_secret(slave, p, "Passcode: ", buf, sizeof(buf));

                fclose(p);
                _exit(r == 0 && strcmp(buf, "739104") == 0 ? 0 : 1);
        }
        close(prompt_pipe[1]);

        /* Type only once the echo is off, as a person would after the prompt. */
        ck_assert_int_gt(read(prompt_pipe[0], prompt, sizeof(prompt) - 1), 0);
        ck_assert_str_eq(prompt, "Passcode: ");
        ck_assert(echo_is_off(slave));
        ck_assert_int_eq(write(master, "739104\n", 7), 7);

        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader did not get the code");
        drain(master, shown, sizeof(shown));
        ck_assert_msg(!strstr(shown, "739104"), "the terminal showed the code: \"%s\"", shown);
        /* ECHONL: the newline still shows, so that the next output starts on a line of its own. */
        ck_assert_msg(strchr(shown, '\n'), "the terminal showed no newline: \"%s\"", shown);
        /* And the terminal echoes again afterwards. */
        ck_assert(!echo_is_off(slave));

        close(prompt_pipe[0]);
        close(slave);
        close(master);
}
END_TEST

/* Ctrl-C while the terminal is silent: -EINTR, and the echo is back. */
START_TEST(test_terminal_interrupted) {
        char prompt[256] = {};
        int master, slave, status, prompt_pipe[2];
        pid_t pid;

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        ck_assert_int_ge(master, 0);
        ck_assert_int_eq(grantpt(master), 0);
        ck_assert_int_eq(unlockpt(master), 0);
        slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        ck_assert_int_ge(slave, 0);
        ck_assert_int_eq(pipe2(prompt_pipe, O_CLOEXEC), 0);

        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                char buf[CTL_SECRET_MAX];
                FILE *p = fdopen(prompt_pipe[1], "w");
                int r = ctl_read_secret(slave, p, "Passcode: ", buf, sizeof(buf));

                fclose(p);
                _exit(r == -EINTR ? 0 : 1);
        }
        close(prompt_pipe[1]);
        ck_assert_int_gt(read(prompt_pipe[0], prompt, sizeof(prompt) - 1), 0);
        ck_assert(echo_is_off(slave));
        ck_assert_int_eq(kill(pid, SIGINT), 0);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader did not say -EINTR");
        ck_assert(!echo_is_off(slave));

        close(prompt_pipe[0]);
        close(slave);
        close(master);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ctl-secret");
        TCase *tc = tcase_create("read");

        tcase_add_test(tc, test_pipe_lines);
        tcase_add_test(tc, test_pipe_bad);
        tcase_add_test(tc, test_terminal_no_echo);
        tcase_add_test(tc, test_terminal_interrupted);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
