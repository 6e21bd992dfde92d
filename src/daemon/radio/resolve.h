/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host names to addresses without stopping the event loop. getaddrinfo() may wait for DNS or mDNS for
 * seconds, and sd-resolve is not part of libsystemd's public API, so each lookup runs on a short-lived
 * thread that hands its answer back over a socket pair — the way systemd's own sd-resolve does it. A
 * numeric address is answered at once, without a thread. A cancelled lookup's thread finds the socket
 * closed and ends on its own. */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#define RESOLVE_ADDRESSES_MAX 4

typedef struct Resolve Resolve;

/* error: 0 and n ≥ 1 addresses (with the port set), or -ENOENT (no such name), -EAGAIN (try again
 * later), -EIO; why says it in words. Called once, from the event loop, unless cancelled. addresses,
 * lengths and why belong to q: valid until resolve_cancel(q), which the callback may call. */
typedef void (*ResolveDone)(
        Resolve *q,
        int error,
        const char *why,
        const struct sockaddr_storage *addresses,
        const socklen_t *lengths,
        size_t n,
        void *userdata);

int resolve_start(
        sd_event *event, const char *host, uint16_t port, ResolveDone done, void *userdata, Resolve **ret);
/* Accepts NULL. The callback will not be called. */
Resolve *resolve_cancel(Resolve *q);
