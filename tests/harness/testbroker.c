/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "testbroker.h"

#define START_TIMEOUT_USEC (10U * 1000000U)
#define STOP_TIMEOUT_USEC (5U * 1000000U)
#define PORT_ATTEMPTS 5

struct TestBroker {
        char *dir;
        char *conf;
        char *log;
        uint16_t port;
        pid_t pid;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

int test_free_port(uint16_t *ret) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(-errno, "testbroker: socket: %m");
        if (bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &len) < 0)
                return log_error_errno(-errno, "testbroker: cannot find a free port: %m");
        *ret = ntohs(a.sin_port);
        return 0;
}

static int write_conf(TestBroker *b, const char *extra_conf) {
        FILE *f = fopen(b->conf, "we");

        if (!f)
                return log_error_errno(-errno, "testbroker: cannot write %s: %m", b->conf);
        /* persistence false: a restart loses the retained messages, as a crash would. user root: a
         * broker started by root would otherwise drop to user mosquitto, which cannot write its log
         * here (and its stdout is not flushed line by line). */
        fprintf(f,
                "per_listener_settings false\n"
                "persistence false\n"
                "user root\n"
                "log_dest file %s\n"
                "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
                "connection_messages true\n"
                "listener %u 127.0.0.1\n",
                b->log,
                b->port);
        if (extra_conf)
                fprintf(f, "%s\n", extra_conf);
        else
                fprintf(f, "allow_anonymous true\n");
        if (fclose(f) != 0)
                return log_error_errno(-errno, "testbroker: cannot write %s: %m", b->conf);
        return 0;
}

static bool port_accepts(uint16_t port) {
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
}

static int spawn(TestBroker *b) {
        pid_t parent = getpid(), pid;
        int fd;

        fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "testbroker: cannot open %s: %m", b->log);
        pid = fork();
        if (pid < 0) {
                close(fd);
                return log_error_errno(-errno, "testbroker: fork: %m");
        }
        if (pid == 0) {
                /* The broker goes with the test, also when the test crashes. */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                execlp("mosquitto", "mosquitto", "-c", b->conf, (char *) NULL);
                _exit(127);
        }
        close(fd);
        b->pid = pid;
        return 0;
}

/* Wait until the broker accepts connections; -EADDRINUSE if it exited (most likely: the port). */
static int wait_ready(TestBroker *b) {
        uint64_t deadline = now_usec() + START_TIMEOUT_USEC;
        int status;

        while (now_usec() < deadline) {
                if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
                        b->pid = 0;
                        return -EADDRINUSE;
                }
                if (port_accepts(b->port))
                        return 0;
                (void) usleep(10000);
        }
        return log_error_errno(
                -ETIMEDOUT, "testbroker: mosquitto did not accept connections within 10 s (see %s)", b->log);
}

static int stop_pid(pid_t pid) {
        uint64_t deadline = now_usec() + STOP_TIMEOUT_USEC;
        int status;

        if (pid <= 0)
                return 0;
        (void) kill(pid, SIGTERM);
        while (now_usec() < deadline) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return 0;
                (void) usleep(10000);
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        return 0;
}

int test_broker_start(const char *dir, const char *extra_conf, TestBroker **ret) {
        TestBroker *b = calloc(1, sizeof(TestBroker));
        int r = -ENOMEM;

        if (!b)
                return -ENOMEM;
        if (asprintf(&b->conf, "%s/mosquitto.conf", dir) < 0 ||
            asprintf(&b->log, "%s/mosquitto.log", dir) < 0 || !(b->dir = strdup(dir)))
                goto fail;
        for (int i = 0; i < PORT_ATTEMPTS; i++) {
                r = test_free_port(&b->port);
                if (r < 0)
                        goto fail;
                r = write_conf(b, extra_conf);
                if (r < 0)
                        goto fail;
                r = spawn(b);
                if (r < 0)
                        goto fail;
                r = wait_ready(b);
                if (r != -EADDRINUSE)
                        break;
                log_info("testbroker: mosquitto could not listen on %u, trying another port", b->port);
        }
        if (r < 0)
                goto fail;
        *ret = b;
        return 0;
fail:
        test_broker_free(b);
        return r;
}

int test_broker_stop(TestBroker *b) {
        int r = stop_pid(b->pid);
        b->pid = 0;
        return r;
}

int test_broker_restart(TestBroker *b) {
        int r;

        (void) test_broker_stop(b);
        r = spawn(b);
        if (r < 0)
                return r;
        r = wait_ready(b);
        if (r == -EADDRINUSE)
                return log_error_errno(
                        r, "testbroker: mosquitto could not listen on %u again (see %s)", b->port, b->log);
        return r;
}

TestBroker *test_broker_free(TestBroker *b) {
        if (!b)
                return NULL;
        (void) stop_pid(b->pid);
        free(b->dir);
        free(b->conf);
        free(b->log);
        free(b);
        return NULL;
}

uint16_t test_broker_port(const TestBroker *b) {
        return b->port;
}

pid_t test_broker_pid(const TestBroker *b) {
        return b->pid;
}

const char *test_broker_log(const TestBroker *b) {
        return b->log;
}
