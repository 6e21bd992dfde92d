/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A polkit text agent for people at a terminal without a desktop agent (ssh, a console), the way
 * systemctl does it: start pkttyagent --fallback (it steps aside when a desktop agent exists) and
 * wait until it says, by closing the notify pipe, that it is registered. Without an agent,
 * interactive authorization has no one to ask and polkit answers "not authorized". */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

#define PKTTYAGENT "pkttyagent"
#define AGENT_STARTUP_TIMEOUT_MSEC 5000

static pid_t agent_pid = 0;

void ctl_polkit_agent_open(void) {
        int pipefd[2];
        pid_t pid;

        if (!arg_ask_password || agent_pid > 0)
                return;
        /* Root is always authorized; without a terminal there is nobody to type a password. */
        if (geteuid() == 0 || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
                return;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return;

        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return;
        }
        if (pid == 0) {
                char fd[16];
                int nfd;

                /* The notify end must survive exec: a copy without O_CLOEXEC. */
                nfd = dup(pipefd[1]);
                if (nfd < 0)
                        _exit(EXIT_FAILURE);
                snprintf(fd, sizeof(fd), "%d", nfd);
                execlp(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fd, "--fallback", (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        close(pipefd[1]);
        /* EOF when the agent registered (or died: then we go on without it). */
        for (;;) {
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                char c;
                int n = poll(&p, 1, AGENT_STARTUP_TIMEOUT_MSEC);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || read(pipefd[0], &c, 1) <= 0)
                        break;
        }
        close(pipefd[0]);
        agent_pid = pid;
}

void ctl_polkit_agent_close(void) {
        if (agent_pid <= 0)
                return;
        (void) kill(agent_pid, SIGTERM);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}
