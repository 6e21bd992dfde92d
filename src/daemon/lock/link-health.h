/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How one lock's link fares, and how long it is held (ttlockd(8) "LINK HEALTH AND CONNECTIONS"):
 *
 * - A connect is one bring-up of the link (link.h): up to three tries at the radios, as a dormant lock
 *   refuses the first (doc/protocol.md §9.2). Its outcome goes into a window of the last
 *   LINK_HEALTH_WINDOW connects (Lock1.RecentConnects), and a failed one's reason into LastConnectError.
 * - Reachable: the link is up, or the lock was heard within timing.seen_usec and its last connect did not
 *   fail.
 * - Backoff: after k failed connects in a row, ttlockd's own connections — the log read an advert's
 *   new-records flag starts, the check of keys not proven yet, a persistent link's reconnects — wait
 *   backoff_min · 2^(k−1), at most backoff_max, so that a lock that refuses is not hammered (nor its
 *   battery drained). Calls (Lock, Unlock, Refresh, settings…) always try: someone asked now; their
 *   outcome counts like any connect, and a failed one's error says how the link has fared
 *   (link_health_explain()). A success ends the backoff, and so does a lock heard again after the
 *   radios had lost it.
 * - The policy: on-demand (the link goes 2 s after its last job, §9.3), keep-alive (it stays for a
 *   window after its last job, kept awake by heartbeats, link_set_keepalive()), persistent (for mains-
 *   powered locks: up whenever the lock can be reached, brought up again reconnect_usec after it drops,
 *   never through a radio's last free connection slot, link_bring_up()). A link is held only for a
 *   paired lock: nothing else would use it.
 *
 * It knows nothing of the Lock that owns it: it reports changes through a callback, and the owner asks
 * link_health_may_connect() before connecting on its own. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "link.h"

#define LINK_HEALTH_WINDOW 20U    /* connects RecentConnects counts */
#define LINK_HEALTH_ERRORS_MAX 8U /* recent errors kept for the diagnostics */
#define LINK_HEALTH_TEXT_MAX 160U /* one error's text */
#define LINK_KEEP_ALIVE_MIN_SEC CONF_KEEP_ALIVE_MIN_SEC
#define LINK_KEEP_ALIVE_MAX_SEC CONF_KEEP_ALIVE_MAX_SEC
#define LINK_KEEP_ALIVE_DEFAULT_SEC 30U

typedef struct LinkHealthTiming {
        uint64_t backoff_min_usec; /* ttlockd.conf(5) BackoffSec=; 0 = no backoff */
        uint64_t backoff_max_usec; /* BackoffMaxSec= */
        uint64_t seen_usec;        /* an advert this recent is "seen recently" */
        uint64_t reconnect_usec;   /* a persistent link that dropped comes up again after this */
        uint64_t retry_usec;       /* … and tries again this often when no radio could take it */
} LinkHealthTiming;

/* 30 s doubling up to 30 min; seen within 5 min; reconnect after 1 s; retry every 5 s. */
void link_health_timing_default(LinkHealthTiming *ret);

/* What link_health reports as changed. */
typedef enum LinkHealthChange {
        LINK_HEALTH_REACHABLE = 1 << 0,
        LINK_HEALTH_LAST_ERROR = 1 << 1,
        LINK_HEALTH_RECENT = 1 << 2,
        LINK_HEALTH_BACKOFF = 1 << 3,
        LINK_HEALTH_POLICY = 1 << 4,
} LinkHealthChange;

typedef struct LinkHealthError {
        uint64_t time_usec; /* CLOCK_REALTIME */
        char text[LINK_HEALTH_TEXT_MAX];
} LinkHealthError;

typedef struct LinkHealth LinkHealth;
typedef void (*LinkHealthChanged)(LinkHealth *h, unsigned changes, void *userdata);

struct LinkHealth {
        sd_event *event;
        Link *link;
        const LinkHealthTiming *timing;
        uint64_t on_demand_keepalive_usec; /* the link's own (LinkConfig.keepalive_usec) */
        LinkHealthChanged changed;
        void *userdata;

        ConnectionPolicy policy;
        unsigned keep_alive_sec;
        bool hold; /* the owner lets the link be held (a paired lock) */

        /* The last connects, most recent in bit 0 (1 = it worked), n_recent of them. */
        uint32_t recent;
        unsigned n_recent;
        unsigned failures; /* in a row */
        char last_error[LINK_HEALTH_TEXT_MAX];
        uint64_t backoff_until_usec;          /* CLOCK_MONOTONIC, 0 = none */
        uint64_t backoff_until_realtime_usec; /* the same, for the property */

        bool connected;
        bool listed;           /* a radio lists the lock now */
        bool lost;             /* the radios had lost it: hearing it again ends a backoff */
        uint64_t heard_usec;   /* CLOCK_MONOTONIC of its last advert, 0 = never */
        bool reachable;        /* as last reported */
        uint64_t reconnect_at; /* CLOCK_MONOTONIC: a persistent link comes up then; 0 = not due */

        sd_event_source *timer;

        /* A ring, oldest at errors_next when full; made at the first error, so that a thousand quiet
         * doors cost nothing for it. */
        LinkHealthError *errors;
        unsigned n_errors, errors_next;
};

void link_health_init(
        LinkHealth *h,
        sd_event *event,
        Link *link,
        const LinkHealthTiming *timing,
        uint64_t on_demand_keepalive_usec,
        LinkHealthChanged changed,
        void *userdata);
void link_health_done(LinkHealth *h);

/* The policy in force, and whether the link may be held at all (hold: the lock is paired). keep_alive_sec:
 * the window of CONNECTION_KEEP_ALIVE, LINK_KEEP_ALIVE_MIN_SEC…LINK_KEEP_ALIVE_MAX_SEC. */
void link_health_set_policy(LinkHealth *h, ConnectionPolicy policy, unsigned keep_alive_sec, bool hold);

/* What the link and the radios tell (from the owner's LinkCallbacks and adverts). */
void link_health_connect_done(LinkHealth *h, int error, const char *why, unsigned attempts);
void link_health_connected(LinkHealth *h, bool connected);
void link_health_heard(LinkHealth *h); /* a fresh advert */
void link_health_lost(LinkHealth *h);  /* no radio lists the lock any more */

/* May ttlockd connect on its own now (not backing off, or up already)? */
bool link_health_may_connect(const LinkHealth *h);
bool link_health_reachable(const LinkHealth *h);

/* A recent error of the lock, for the diagnostics: "what failed: why". */
void link_health_note(LinkHealth *h, const char *what, int error, uint8_t command, uint8_t lock_error);
/* Oldest first; i < h->n_errors. */
const LinkHealthError *link_health_error(const LinkHealth *h, unsigned i);

/* For a call that could not connect: how the link has fared, as one sentence for the caller; NULL when
 * there is nothing to add. Valid until the next call, for any lock. */
const char *link_health_explain(LinkHealth *h);
