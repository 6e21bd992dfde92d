/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl-secret.h"
#include "macro.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
        interrupted = sig;
}

int ctl_read_secret(int fd, FILE *prompt_to, const char *prompt, char *buf, size_t size) {
        struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
        sigset_t block, old_mask;
        struct termios saved, quiet;
        bool tty, too_long = false;
        size_t n = 0;
        int r = 0;

        assert(fd >= 0);
        assert(buf);
        assert(size > 0);

        tty = isatty(fd) && tcgetattr(fd, &saved) >= 0;
        if (tty) {
                /* Ctrl-C must not leave the terminal silent: the handler only notes it, and the settings are
                 * put back below. The signals stay blocked except inside ppoll(), so that one cannot slip
                 * in between a check and a read that would then wait for ever. */
                interrupted = 0;
                sigemptyset(&block);
                sigaddset(&block, SIGINT);
                sigaddset(&block, SIGTERM);
                (void) sigprocmask(SIG_BLOCK, &block, &old_mask);
                (void) sigaction(SIGINT, &sa, &old_int);
                (void) sigaction(SIGTERM, &sa, &old_term);
                quiet = saved;
                quiet.c_lflag &= ~(tcflag_t) ECHO;
                quiet.c_lflag |= ECHONL;
                /* TCSANOW, not TCSAFLUSH: what was typed ahead (or piped through a terminal) still counts.
                 */
                if (tcsetattr(fd, TCSANOW, &quiet) < 0) {
                        r = -errno;
                        goto restore_signals;
                }
                if (prompt_to && prompt) {
                        fputs(prompt, prompt_to);
                        fflush(prompt_to);
                }
        }

        for (;;) {
                char c;
                ssize_t k;

                if (tty) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };

                        if (ppoll(&p, 1, NULL, &old_mask) < 0) {
                                if (errno != EINTR) {
                                        r = -errno;
                                        break;
                                }
                                if (interrupted) {
                                        r = -EINTR;
                                        break;
                                }
                                continue;
                        }
                }
                k = read(fd, &c, 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0 || c == '\n')
                        break;
                if (too_long)
                        continue;
                if (n + 1 >= size) {
                        too_long = true;
                        continue;
                }
                buf[n++] = c;
        }
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        buf[n] = 0;
        if (r == 0 && too_long)
                r = -E2BIG;
        else if (r == 0 && n == 0)
                r = -ENODATA;
        if (r < 0)
                erase_memory(buf, size);

        if (tty) {
                (void) tcsetattr(fd, TCSANOW, &saved);
                if (interrupted && prompt_to) {
                        /* ECHONL did not get to show a newline. */
                        fputc('\n', prompt_to);
                        fflush(prompt_to);
                }
        }
restore_signals:
        if (tty) {
                (void) sigaction(SIGINT, &old_int, NULL);
                (void) sigaction(SIGTERM, &old_term, NULL);
                (void) sigprocmask(SIG_SETMASK, &old_mask, NULL);
        }
        return r;
}
