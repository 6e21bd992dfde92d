/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "link-health.h"
#include "lock-error.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"
#include "time-util.h"

void link_health_timing_default(LinkHealthTiming *ret) {
        assert(ret);

        /* A lock that refused is tried again after 30 s, 1, 2, 4 … min, then every 30 min: a few
         * connects in the first hour and two an hour after that, where following every advert of a lock
         * that keeps its new-records flag up meant one every few seconds. */
        *ret = (LinkHealthTiming){
                .backoff_min_usec = CONF_BACKOFF_SEC_DEFAULT * USEC_PER_SEC,
                .backoff_max_usec = CONF_BACKOFF_MAX_SEC_DEFAULT * USEC_PER_SEC,
                .seen_usec = 5 * USEC_PER_MINUTE,
                .reconnect_usec = 1 * USEC_PER_SEC,
                .retry_usec = 5 * USEC_PER_SEC,
        };
}

static uint64_t backoff_usec(const LinkHealthTiming *t, unsigned failures) {
        uint64_t v = t->backoff_min_usec;

        for (unsigned i = 1; i < failures && v < t->backoff_max_usec; i++)
                v *= 2;
        return MIN(v, t->backoff_max_usec);
}

static void report(LinkHealth *h, unsigned changes) {
        if (changes && h->changed)
                h->changed(h, changes, h->userdata);
}

static bool seen_recently(const LinkHealth *h, uint64_t now) {
        return h->listed && h->heard_usec > 0 && now - h->heard_usec < h->timing->seen_usec;
}

static bool compute_reachable(const LinkHealth *h, uint64_t now) {
        return h->connected || (seen_recently(h, now) && h->failures == 0);
}

bool link_health_reachable(const LinkHealth *h) {
        return h->reachable;
}

bool link_health_may_connect(const LinkHealth *h) {
        return h->connected || h->backoff_until_usec == 0 || now_monotonic_usec() >= h->backoff_until_usec;
}

static void update(LinkHealth *h);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        update(userdata);
        return 0;
}

/* A persistent link that is due comes up, unless ttlockd backs off from the lock. */
static void hold(LinkHealth *h, uint64_t now) {
        int r;

        if (h->policy != CONNECTION_PERSISTENT || !h->hold || h->connected) {
                h->reconnect_at = 0; /* nothing to bring up */
                return;
        }
        if (h->reconnect_at == 0 || now < h->reconnect_at || !link_health_may_connect(h))
                return;
        r = link_bring_up(h->link);
        if (r == 0 || r == -EALREADY) {
                /* connect_done() or connected() says what came of it. */
                h->reconnect_at = 0;
                return;
        }
        log_debug(
                "%s: the persistent link cannot come up now (%s); trying again in %" PRIu64 " ms.",
                link_address(h->link),
                r == -EBUSY ? "no radio has a slot to spare" : "no radio hears it",
                h->timing->retry_usec / USEC_PER_MSEC);
        h->reconnect_at = now + h->timing->retry_usec;
}

/* Everything that depends on the clock, again: the backoff's end, Reachable, a persistent link that is
 * due; then the one timer for whichever comes next. */
static void update(LinkHealth *h) {
        uint64_t now = now_monotonic_usec(), next = UINT64_MAX;
        unsigned changes = 0;
        bool reachable;
        int r;

        if (h->backoff_until_usec > 0 && now >= h->backoff_until_usec) {
                h->backoff_until_usec = 0;
                h->backoff_until_realtime_usec = 0;
                changes |= LINK_HEALTH_BACKOFF;
        }
        reachable = compute_reachable(h, now);
        if (reachable != h->reachable) {
                h->reachable = reachable;
                changes |= LINK_HEALTH_REACHABLE;
        }
        hold(h, now);

        if (h->backoff_until_usec > 0)
                next = MIN(next, h->backoff_until_usec);
        if (h->reachable && !h->connected)
                next = MIN(next, h->heard_usec + h->timing->seen_usec);
        if (h->reconnect_at > 0)
                next = MIN(next, MAX(h->reconnect_at, h->backoff_until_usec));

        if (next == UINT64_MAX)
                h->timer = sd_event_source_disable_unref(h->timer);
        else if (h->timer) {
                r = sd_event_source_set_time(h->timer, next);
                if (r >= 0)
                        r = sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
                if (r < 0)
                        log_warning_errno(
                                r, "%s: cannot re-arm the link health timer: %m", link_address(h->link));
        } else {
                r = sd_event_add_time(
                        h->event, &h->timer, CLOCK_MONOTONIC, next, USEC_PER_MSEC, on_timer, h);
                if (r < 0 && r != -ESTALE)
                        log_warning_errno(
                                r, "%s: cannot arm the link health timer: %m", link_address(h->link));
        }
        report(h, changes);
}

void link_health_init(
        LinkHealth *h,
        sd_event *event,
        Link *link,
        const LinkHealthTiming *timing,
        uint64_t on_demand_keepalive_usec,
        LinkHealthChanged changed,
        void *userdata) {
        assert(h);
        assert(event);
        assert(link);
        assert(timing);

        *h = (LinkHealth){
                .event = event,
                .link = link,
                .timing = timing,
                .on_demand_keepalive_usec = on_demand_keepalive_usec,
                .changed = changed,
                .userdata = userdata,
                .policy = CONNECTION_ON_DEMAND,
                .keep_alive_sec = LINK_KEEP_ALIVE_DEFAULT_SEC,
        };
}

void link_health_done(LinkHealth *h) {
        if (!h)
                return;
        h->timer = sd_event_source_disable_unref(h->timer);
        h->errors = mfree(h->errors);
        h->changed = NULL;
}

void link_health_set_policy(LinkHealth *h, ConnectionPolicy policy, unsigned keep_alive_sec, bool hold) {
        uint64_t keepalive;

        assert(h);
        assert(policy >= 0 && policy < _CONNECTION_POLICY_MAX);

        keep_alive_sec = MIN(MAX(keep_alive_sec, LINK_KEEP_ALIVE_MIN_SEC), LINK_KEEP_ALIVE_MAX_SEC);
        if (h->policy == policy && h->keep_alive_sec == keep_alive_sec && h->hold == hold)
                return;
        h->policy = policy;
        h->keep_alive_sec = keep_alive_sec;
        h->hold = hold;

        keepalive = !hold                         ? h->on_demand_keepalive_usec
                : policy == CONNECTION_PERSISTENT ? LINK_KEEPALIVE_FOREVER
                : policy == CONNECTION_KEEP_ALIVE ? keep_alive_sec * USEC_PER_SEC
                                                  : h->on_demand_keepalive_usec;
        link_set_keepalive(h->link, keepalive);
        h->reconnect_at = policy == CONNECTION_PERSISTENT && hold ? now_monotonic_usec() : 0;
        log_debug(
                "%s: connection policy %s (keep-alive %u s)%s.",
                link_address(h->link),
                connection_policy_to_string(policy),
                keep_alive_sec,
                hold ? "" : ", not held: not paired");
        update(h);
        report(h, LINK_HEALTH_POLICY);
}

static void add_error(LinkHealth *h, const char *format, ...) _printf_(2, 3);

static void add_error(LinkHealth *h, const char *format, ...) {
        LinkHealthError *e;
        va_list ap;

        if (!h->errors) {
                h->errors = calloc(LINK_HEALTH_ERRORS_MAX, sizeof(LinkHealthError));
                if (!h->errors)
                        return; /* the diagnostics lose an error; nothing else depends on it */
        }
        e = &h->errors[h->errors_next];
        e->time_usec = now_realtime_usec();
        va_start(ap, format);
        (void) vsnprintf(e->text, sizeof(e->text), format, ap);
        va_end(ap);
        h->errors_next = (h->errors_next + 1) % LINK_HEALTH_ERRORS_MAX;
        if (h->n_errors < LINK_HEALTH_ERRORS_MAX)
                h->n_errors++;
}

const LinkHealthError *link_health_error(const LinkHealth *h, unsigned i) {
        unsigned first;

        assert(h);
        if (i >= h->n_errors)
                return NULL;
        first = h->n_errors < LINK_HEALTH_ERRORS_MAX ? 0 : h->errors_next;
        return &h->errors[(first + i) % LINK_HEALTH_ERRORS_MAX];
}

void link_health_note(LinkHealth *h, const char *what, int error, uint8_t command, uint8_t lock_error) {
        const char *cmd = ttlock_command_name(command);

        assert(h);
        if (lock_error)
                add_error(
                        h,
                        "%s: the lock refused %s with %s (0x%02x)",
                        what,
                        cmd ?: "a command",
                        ttlock_error_name(lock_error) ?: "an unknown error",
                        lock_error);
        else
                add_error(
                        h,
                        "%s: %s%s%s",
                        what,
                        strerror(error < 0 ? -error : error),
                        cmd ? " at " : "",
                        strempty_or(cmd));
}

void link_health_connect_done(LinkHealth *h, int error, const char *why, unsigned attempts) {
        char text[LINK_HEALTH_TEXT_MAX];
        unsigned changes = LINK_HEALTH_RECENT;
        uint64_t now = now_monotonic_usec();

        assert(h);

        h->recent = (h->recent << 1) | (error >= 0);
        h->n_recent = MIN(h->n_recent + 1, LINK_HEALTH_WINDOW);
        if (error >= 0) {
                if (h->failures > 0 || h->last_error[0])
                        changes |= LINK_HEALTH_LAST_ERROR;
                h->failures = 0;
                h->last_error[0] = 0;
                if (h->backoff_until_usec > 0)
                        changes |= LINK_HEALTH_BACKOFF;
                h->backoff_until_usec = h->backoff_until_realtime_usec = 0;
        } else {
                uint64_t wait;

                h->failures++;
                if (attempts > 0)
                        (void) snprintf(
                                text,
                                sizeof(text),
                                "%s (%u attempt%s)",
                                why ?: strerror(-error),
                                attempts,
                                attempts == 1 ? "" : "s");
                else
                        (void) snprintf(text, sizeof(text), "%s", why ?: strerror(-error));
                if (!streq(text, h->last_error)) {
                        (void) snprintf(h->last_error, sizeof(h->last_error), "%s", text);
                        changes |= LINK_HEALTH_LAST_ERROR;
                }
                add_error(h, "connect: %s", text);
                wait = backoff_usec(h->timing, h->failures);
                if (wait > 0) {
                        h->backoff_until_usec = now + wait;
                        h->backoff_until_realtime_usec = now_realtime_usec() + wait;
                        changes |= LINK_HEALTH_BACKOFF;
                        log_info(
                                "%s: %u failed connect%s in a row; ttlockd's own connections wait %" PRIu64
                                " s.",
                                link_address(h->link),
                                h->failures,
                                h->failures == 1 ? "" : "s",
                                wait / USEC_PER_SEC);
                }
                /* A persistent link tries again once the wait is over. */
                if (h->policy == CONNECTION_PERSISTENT && h->hold)
                        h->reconnect_at = now;
        }
        update(h);
        report(h, changes);
}

void link_health_connected(LinkHealth *h, bool connected) {
        assert(h);

        if (h->connected == connected)
                return;
        h->connected = connected;
        /* A persistent link that dropped (the lock let it go, the radio went) comes up again soon. */
        if (!connected && h->policy == CONNECTION_PERSISTENT && h->hold)
                h->reconnect_at = now_monotonic_usec() + h->timing->reconnect_usec;
        update(h);
}

void link_health_heard(LinkHealth *h) {
        assert(h);

        h->heard_usec = now_monotonic_usec();
        /* First heard (ttlockd started, the lock came back): a persistent link waiting for a radio to
         * hear it need not wait for its next retry. */
        if (!h->listed && h->reconnect_at > h->heard_usec)
                h->reconnect_at = h->heard_usec;
        h->listed = true;
        if (h->lost) {
                /* Back in range: whatever kept it from answering may be over. */
                h->lost = false;
                if (h->failures > 0) {
                        h->failures = 0;
                        h->backoff_until_usec = h->backoff_until_realtime_usec = 0;
                        report(h, LINK_HEALTH_BACKOFF);
                }
        }
        update(h);
}

void link_health_lost(LinkHealth *h) {
        assert(h);

        h->listed = false;
        h->lost = true;
        update(h);
}

const char *link_health_explain(LinkHealth *h) {
        /* One daemon thread, one call answered at a time: one buffer for every lock. */
        static char explanation[3 * LINK_HEALTH_TEXT_MAX];
        unsigned ok = 0;
        size_t n;

        assert(h);
        if (h->failures == 0 || !h->last_error[0])
                return NULL;
        for (unsigned i = 0; i < h->n_recent; i++)
                ok += (h->recent >> i) & 1;
        n = (size_t) snprintf(
                explanation,
                sizeof(explanation),
                "The lock cannot be reached: %s. %u of the last %u connection%s worked",
                h->last_error,
                ok,
                h->n_recent,
                h->n_recent == 1 ? "" : "s");
        if (n < sizeof(explanation) && h->backoff_until_usec > now_monotonic_usec())
                (void) snprintf(
                        explanation + n,
                        sizeof(explanation) - n,
                        "; ttlockd's own connections to it wait %" PRIu64 " s more.",
                        (h->backoff_until_usec - now_monotonic_usec() + USEC_PER_SEC - 1) / USEC_PER_SEC);
        else if (n < sizeof(explanation))
                (void) snprintf(explanation + n, sizeof(explanation) - n, ".");
        return explanation;
}
