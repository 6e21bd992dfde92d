/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One lock's connection (doc/architecture.md "link"): connect on demand through the radio that hears the
 * lock best (radio.h), with retries (a dormant lock refuses the first attempts, doc/protocol.md §7.4)
 * and a second radio for the last try when there is one; frames out in 20-byte writes, replies
 * reassembled and decrypted, one command in flight with a reply time-out, one resend on a CRC error
 * (§9.1), unsolicited pushes routed by their echo byte (§2.4, §9.4), and the connection kept ~2 s after
 * the last reply so that back-to-back commands reuse it (§9.3).
 *
 * Work is queued as jobs, not single commands: a job owns the link from its start to its finish,
 * because admin login and the user challenge are per connection and must not be interleaved with
 * another caller's commands (§5). Jobs run in the order they were queued. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "crypto.h"
#include "radio.h"
#include "reply.h"

typedef struct Link Link;
typedef struct LinkJob LinkJob;

typedef struct LinkConfig {
        uint64_t connect_timeout_usec; /* one connect attempt at the radio; §1.2: 10 s */
        unsigned connect_attempts;     /* §1.2: 3; dormant locks need several (§9.2) */
        uint64_t connect_retry_usec;   /* pause between attempts */
        uint64_t resolve_timeout_usec; /* services and notifications after the connect */
        uint64_t reply_timeout_usec;   /* default per command; §9.3 (2.5–6 s in the wild) */
        uint64_t keepalive_usec;       /* idle time before we disconnect; §9.3: 2 s */
        uint64_t device_wait_usec;     /* how long queued work waits for a lock BlueZ has not seen */
        /* A link held idle longer than this sends a status query this often, or the lock drops it
         * (§9.2: "the lock drops an idle connection after a few seconds; [RR] sends something every
         * 2 s to keep it"). 0 = never. */
        uint64_t heartbeat_usec;
} LinkConfig;

/* link_set_keepalive(): hold the link until it drops (a persistent link). */
#define LINK_KEEPALIVE_FOREVER UINT64_MAX

void link_config_default(LinkConfig *ret);

typedef struct LinkCallbacks {
        /* A frame that answers no command in flight: 0x14 pushes (§7.3) and strays. */
        void (*push)(Link *l, const TTReply *push, void *userdata);
        void (*connected_changed)(Link *l, bool connected, void *userdata);
        /* One connect is over: the link came up (error 0), or every attempt failed (error < 0 as for
         * LinkJobStart; why: the last reason, for people; attempts: how many were made, 0 when no radio
         * could even try). Called before the queued jobs hear of it. */
        void (*connect_done)(Link *l, int error, const char *why, unsigned attempts, void *userdata);
        /* Every frame of the jobs, decrypted: a request as sent (plain = its data), a reply or push as
         * received (plain = [echo][status][data], len 0 for a reply without data). The heartbeat's own
         * frames are not reported. Valid during the call only: it holds secrets. */
        void (*frame)(
                Link *l, bool reply, uint8_t command, const uint8_t *plain, size_t len, void *userdata);
        /* The lock's answer to a heartbeat (heartbeat_usec): a SEARCH_BICYCLE_STATUS reply (§4.3). */
        void (*heartbeat)(Link *l, const TTReply *reply, void *userdata);
} LinkCallbacks;

int link_new(
        sd_event *event,
        RadioSet *radios,
        const char *address,
        const LinkConfig *config,
        const LinkCallbacks *cb,
        void *userdata,
        Link **ret);
/* Fails every job with -ECANCELED first: the running job's command in flight gets it in its reply
 * handler (which is expected to finish the job), queued jobs get it in their start callback. Nothing
 * can be queued or sent from those callbacks (-ECANCELED). A running job with no command in flight
 * cannot be told and is dropped: every operation (ops-*.c) sends its next command or finishes from
 * inside its callbacks, so none is ever in that state while control is back in the event loop. */
Link *link_free(Link *l);
static inline void link_freep(Link **l) {
        if (*l)
                link_free(*l);
}

/* A radio heard the lock: work that waits for it to be seen (device_wait_usec) connects now. */
void link_device_seen(Link *l);
const char *link_address(Link *l);
/* The radio of the connection that is up or coming up, NULL when there is none. */
Radio *link_radio(Link *l);

bool link_connected(Link *l);
bool link_busy(Link *l);

/* How long the link stays up after its last job (the connection policy, lock/link-health.h):
 * config.keepalive_usec by default, LINK_KEEPALIVE_FOREVER until it drops. A link held longer than
 * heartbeat_usec keeps the lock awake with heartbeats, and lets go of a radio that has no free connection
 * slot left (a proxy's slots serve every lock it hears). Takes effect now. */
void link_set_keepalive(Link *l, uint64_t usec);
/* Connect now although no job waits (a persistent link), through a radio that hears the lock and keeps a
 * free connection slot after this one (a proxy's last slot stays for work on other locks). 0: connecting
 * (connect_done tells the outcome); -EALREADY: up or on its way; -ENODEV: no radio hears the lock;
 * -EBUSY: no radio that hears it has a slot to spare. */
int link_bring_up(Link *l);

/* The key pushes are decrypted with between commands (the lock's own key once paired). NULL to forget;
 * the copy is wiped on change and on free. */
void link_set_session_key(Link *l, const uint8_t key[TTLOCK_KEY_SIZE]);

/* error < 0: the link could not be brought up (-EHOSTUNREACH: every connect attempt failed;
 * -ENODEV: no radio saw the device within device_wait_usec; -ETIMEDOUT; -ECANCELED). The job is
 * finished already then. */
typedef void (*LinkJobStart)(LinkJob *job, int error, void *userdata);

/* error: 0 and a reply; -ENODATA for a reply frame without payload (its meaning depends on the
 * command, §2.4); -ETIMEDOUT; -ENOTCONN (the link dropped); -EBADMSG (bad frames even after the
 * resend); -ECANCELED. Return 1 to keep the command in flight and wait for another reply to it
 * (IC/fingerprint enrolment, §4.3), 0 when done. */
typedef int (*LinkReplyHandler)(LinkJob *job, int error, const TTReply *reply, void *userdata);

int link_enqueue(Link *l, LinkJobStart start, void *userdata, LinkJob **ret);
/* Removes a queued job, or aborts a running one (its in-flight command's handler is not called). */
void link_job_cancel(LinkJob *job);

/* timeout_usec 0 = the link's default. The key encrypts the request and decrypts its replies.
 * -ENOTCONN once the connection the job started on has dropped (the link does not reconnect while
 * a job runs: logins are per connection, §5), -ECANCELED inside link_free(), -EBUSY with a command in
 * flight, -ESTALE for a job that is not running. A failed send calls no handler. */
int link_job_send(
        LinkJob *job,
        uint8_t command,
        const uint8_t *plain,
        size_t len,
        const uint8_t key[TTLOCK_KEY_SIZE],
        uint64_t timeout_usec,
        LinkReplyHandler cb,
        void *userdata);
typedef enum LinkSendFlags {
        /* The command must not run twice (ADD_ADMIN): a garbled reply is reported (-EBADMSG) instead of
         * being answered by sending the command again. */
        LINK_SEND_NO_RESEND = 1 << 0,
} LinkSendFlags;

int link_job_send_full(LinkJob *job, uint8_t command, const uint8_t *plain, size_t len,
                       const uint8_t key[TTLOCK_KEY_SIZE], uint64_t timeout_usec, LinkSendFlags flags,
                       LinkReplyHandler cb, void *userdata);

/* Ends the job; the next one starts, or the keep-alive timer runs. */
void link_job_finish(LinkJob *job);
/* A failure that means the connection is useless (the lock reset itself, §4.3 RESET_LOCK): drop it. */
void link_job_finish_disconnect(LinkJob *job);
Link *link_job_link(LinkJob *job);
/* Work is queued behind this job: a job that may stop early (a log read between two pages) lets it go
 * first. */
bool link_job_others_waiting(LinkJob *job);

/* Counters for tests and benchmarks. */
typedef struct LinkStats {
        uint64_t connects;
        uint64_t connect_failures;
        uint64_t commands;
        uint64_t resends;
        uint64_t timeouts;
        uint64_t bad_frames;
        uint64_t pushes;
        uint64_t heartbeats;
} LinkStats;
const LinkStats *link_stats(Link *l);
