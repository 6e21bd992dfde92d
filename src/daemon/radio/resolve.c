/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "resolve.h"

/* What the thread sends back: one datagram (SOCK_SEQPACKET keeps it whole). */
typedef struct Answer {
        int gai_error; /* getaddrinfo()'s, 0 on success */
        int sys_errno; /* for EAI_SYSTEM */
        size_t n;
        socklen_t lengths[RESOLVE_ADDRESSES_MAX];
        struct sockaddr_storage addresses[RESOLVE_ADDRESSES_MAX];
} Answer;

typedef struct Request {
        int fd; /* the thread's end */
        char host[256];
        char port[8];
        int flags;
} Request;

struct Resolve {
        sd_event_source *source; /* our end's I/O, or the defer of a numeric answer */
        int fd;
        Answer numeric;
        ResolveDone done;
        void *userdata;
};

static void lookup(const Request *req, Answer *a) {
        struct addrinfo hints = {
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_STREAM,
                .ai_flags = req->flags,
        };
        struct addrinfo *ai = NULL;

        *a = (Answer){};
        a->gai_error = getaddrinfo(req->host, req->port, &hints, &ai);
        if (a->gai_error == EAI_SYSTEM)
                a->sys_errno = errno;
        for (struct addrinfo *i = ai; i && a->n < RESOLVE_ADDRESSES_MAX; i = i->ai_next) {
                if (i->ai_addrlen > sizeof(struct sockaddr_storage))
                        continue;
                memcpy(&a->addresses[a->n], i->ai_addr, i->ai_addrlen);
                a->lengths[a->n++] = i->ai_addrlen;
        }
        if (ai)
                freeaddrinfo(ai);
        if (a->gai_error == 0 && a->n == 0)
                a->gai_error = EAI_NONAME;
}

static void *thread_main(void *userdata) {
        Request *req = userdata;
        Answer a;

        lookup(req, &a);
        /* MSG_NOSIGNAL: a lookup cancelled meanwhile has closed the other end. */
        (void) send(req->fd, &a, sizeof(a), MSG_NOSIGNAL);
        (void) close(req->fd);
        free(req);
        return NULL;
}

static void deliver(Resolve *q, const Answer *a) {
        ResolveDone done = q->done;
        void *userdata = q->userdata;
        const char *why = NULL;
        int error = 0;

        q->done = NULL;
        switch (a->gai_error) {
        case 0:
                break;
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
        case EAI_FAMILY:
                error = -ENOENT;
                break;
        case EAI_AGAIN:
                error = -EAGAIN;
                break;
        case EAI_SYSTEM:
                error = -(a->sys_errno ?: EIO);
                break;
        default:
                error = -EIO;
                break;
        }
        if (error < 0)
                why = a->gai_error == EAI_SYSTEM ? strerror(-error) : gai_strerror(a->gai_error);
        if (done)
                done(q, error, why, a->addresses, a->lengths, error < 0 ? 0 : a->n, userdata);
}

static int on_answer(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Resolve *q = userdata;
        Answer a = {};
        ssize_t n;

        n = recv(fd, &a, sizeof(a), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        q->source = sd_event_source_disable_unref(q->source);
        if (n != (ssize_t) sizeof(a) || a.n > RESOLVE_ADDRESSES_MAX)
                a = (Answer){ .gai_error = EAI_SYSTEM, .sys_errno = EIO };
        deliver(q, &a);
        return 0;
}

static int on_numeric(sd_event_source *s, void *userdata) {
        Resolve *q = userdata;

        q->source = sd_event_source_disable_unref(q->source);
        deliver(q, &q->numeric);
        return 0;
}

int resolve_start(
        sd_event *event, const char *host, uint16_t port, ResolveDone done, void *userdata, Resolve **ret) {
        _cleanup_free_ Request *req = NULL;
        Resolve *q;
        pthread_attr_t attr;
        pthread_t thread;
        int fds[2], r;

        assert(event);
        assert(host);
        assert(ret);
        if (strlen(host) >= sizeof(req->host))
                return -EINVAL;
        q = calloc(1, sizeof(Resolve));
        req = calloc(1, sizeof(Request));
        if (!q || !req) {
                free(q);
                return -ENOMEM;
        }
        q->fd = -EBADF;
        q->done = done;
        q->userdata = userdata;
        strcpy(req->host, host);
        (void) snprintf(req->port, sizeof(req->port), "%u", port);

        /* A numeric address needs no thread: answered from the event loop, like any other. */
        req->flags = AI_NUMERICHOST | AI_NUMERICSERV;
        lookup(req, &q->numeric);
        if (q->numeric.gai_error == 0) {
                r = sd_event_add_defer(event, &q->source, on_numeric, q);
                if (r < 0) {
                        free(q);
                        return r;
                }
                *ret = q;
                return 0;
        }

        req->flags = AI_ADDRCONFIG | AI_NUMERICSERV;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
                r = -errno;
                free(q);
                return r;
        }
        q->fd = fds[0];
        req->fd = fds[1];
        r = sd_event_add_io(event, &q->source, q->fd, EPOLLIN, on_answer, q);
        if (r >= 0) {
                r = -pthread_attr_init(&attr);
                if (r >= 0) {
                        (void) pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                        /* getaddrinfo() and NSS modules need little stack. */
                        (void) pthread_attr_setstacksize(&attr, 256 * 1024);
                        r = -pthread_create(&thread, &attr, thread_main, req);
                        (void) pthread_attr_destroy(&attr);
                }
        }
        if (r < 0) {
                (void) close(fds[1]);
                resolve_cancel(q);
                return log_debug_errno(r, "Cannot start a name lookup: %m");
        }
        TAKE_PTR(req); /* the thread's now */
        *ret = q;
        return 0;
}

Resolve *resolve_cancel(Resolve *q) {
        if (!q)
                return NULL;
        sd_event_source_disable_unref(q->source);
        if (q->fd >= 0)
                (void) close(q->fd);
        free(q);
        return NULL;
}
