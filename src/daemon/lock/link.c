/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <assert.h>

#include "access.h"
#include "command.h"
#include "frame.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"
#include "transport.h"

typedef enum LinkState {
        LINK_IDLE,          /* not connected */
        LINK_CONNECTING,    /* the radio brings the connection up (connect, services, notifications) */
        LINK_RETRY_WAIT,    /* pause before the next attempt */
        LINK_READY,         /* commands may be sent */
        LINK_DISCONNECTING, /* we asked the radio to disconnect and wait for it to confirm */
        LINK_WAIT_DEVICE,   /* work is queued but no radio has seen the lock (yet) */
} LinkState;

struct LinkJob {
        Link *link;
        LinkJobStart start;
        void *userdata;
        bool running;
        bool heartbeat; /* the link's own (link_set_keepalive()): not work, not reported */
        LinkJob *next;
};

/* The command in flight. At most one per link (§9.4). */
typedef struct InFlight {
        bool active;
        uint8_t command;
        uint8_t wire[TTLOCK_WIRE_MAX];
        size_t wire_len;
        size_t next_chunk;
        bool resent;
        bool no_resend; /* LINK_SEND_NO_RESEND */
        uint8_t key[TTLOCK_KEY_SIZE];
        uint64_t timeout_usec;
        LinkReplyHandler cb;
        void *userdata;
} InFlight;

struct Link {
        sd_event *event;
        RadioSet *radios;
        char address[BT_ADDRESS_SIZE];
        LinkConfig config;
        LinkCallbacks cb;
        void *userdata;

        LinkState state;
        unsigned attempts;
        sd_event_source *timer; /* connect time-out, retry pause, keep-alive, device wait */
        sd_event_source *reply_timer;
        RadioConn *conn;     /* while CONNECTING, READY, DISCONNECTING */
        Radio *failed_radio; /* the radio of the last failed attempt: the next one tries another */
        bool write_in_flight;
        unsigned stale_writes; /* writes of a command that is no longer in flight, still to complete */

        LinkJob *jobs; /* head is the running job, if any is running */

        InFlight cmd;
        bool have_session_key;
        uint8_t session_key[TTLOCK_KEY_SIZE];

        TTReassembler reassembler;
        LinkStats stats;

        /* CLOCK_MONOTONIC: when the last job (not a heartbeat) ended; the keep-alive counts from it. */
        uint64_t idle_since_usec;

        /* Inside link_free(): jobs are being told -ECANCELED; nothing new starts. */
        bool freeing;
};

static void link_kick(Link *l);
static void link_connect(Link *l);
static void link_lost(Link *l, int error);
static void write_next_chunk(Link *l);
static int on_reply_timeout(sd_event_source *s, uint64_t usec, void *userdata);
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

void link_config_default(LinkConfig *ret) {
        assert(ret);

        *ret = (LinkConfig){
                .connect_timeout_usec = 10 * USEC_PER_SEC,
                .connect_attempts = 3,
                .connect_retry_usec = 500 * USEC_PER_MSEC,
                .resolve_timeout_usec = 10 * USEC_PER_SEC,
                .reply_timeout_usec = 4 * USEC_PER_SEC,
                .keepalive_usec = 2 * USEC_PER_SEC,
                .device_wait_usec = 5 * USEC_PER_SEC,
                .heartbeat_usec = 2 * USEC_PER_SEC,
        };
}

static const char *state_name(LinkState s) {
        static const char *const names[] = {
                [LINK_IDLE] = "idle",
                [LINK_CONNECTING] = "connecting",
                [LINK_RETRY_WAIT] = "retry-wait",
                [LINK_READY] = "ready",
                [LINK_DISCONNECTING] = "disconnecting",
                [LINK_WAIT_DEVICE] = "waiting-for-device",
        };
        return names[s];
}

static void set_state(Link *l, LinkState s) {
        if (l->state == s)
                return;
        log_debug("%s: link %s → %s", l->address, state_name(l->state), state_name(s));
        l->state = s;
}

static void conn_drop(Link *l) {
        l->conn = radio_conn_free(l->conn);
        /* The writes of a freed connection complete no more. */
        l->write_in_flight = false;
        l->stale_writes = 0;
}

static void disarm(sd_event_source **s) {
        *s = sd_event_source_disable_unref(*s);
}

typedef int (*TimerHandler)(sd_event_source *s, uint64_t usec, void *userdata);

static int arm(Link *l, sd_event_source **s, uint64_t usec, TimerHandler h) {
        int r;

        disarm(s);
        /* Accuracy 1 ms, not sd-event's default 250 ms: a heartbeat 250 ms late may come after the lock
         * dropped the idle link (§9.2). */
        r = sd_event_add_time_relative(l->event, s, CLOCK_MONOTONIC, usec, USEC_PER_MSEC, h, l);
        if (r == -ESTALE)
                /* The event loop has finished: ttlockd is shutting down and cancels what runs. */
                return r;
        if (r < 0)
                return log_error_errno(r, "Failed to arm a link timer: %m");
        return 0;
}

static void inflight_clear(Link *l) {
        disarm(&l->reply_timer);
        /* A chunk still being written belongs to this command: its completion must not move the next
         * command on (radio writes complete in order). */
        if (l->write_in_flight) {
                l->stale_writes++;
                l->write_in_flight = false;
        }
        erase_memory(&l->cmd, sizeof(l->cmd));
}

/* Completes the command in flight. The handler may send the next command of its job, or finish the
 * job; if it asks to keep waiting (return 1) and sent nothing, the same command stays in flight. */
static void complete(Link *l, int error, const TTReply *reply) {
        InFlight saved;
        LinkJob *job = l->jobs;
        int keep;

        if (!l->cmd.active)
                return;

        saved = l->cmd;
        inflight_clear(l);

        keep = saved.cb ? saved.cb(job, error, reply, saved.userdata) : 0;

        if (keep > 0 && error == 0 && !l->cmd.active && l->state == LINK_READY && job && job->running) {
                l->cmd = saved;
                l->cmd.resent = false;
                (void) arm(l, &l->reply_timer, saved.timeout_usec, on_reply_timeout);
        }
        erase_memory(&saved, sizeof(saved));
}

static int on_reply_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Link *l = userdata;

        l->stats.timeouts++;
        log_debug("%s: no reply to 0x%02x", l->address, l->cmd.command);
        complete(l, -ETIMEDOUT, NULL);
        return 0;
}

static void heartbeat_start(LinkJob *job, int error, void *userdata);

/* Held longer than a heartbeat: the lock is kept awake, unless the radio has no slot left for others. */
static bool heartbeats(Link *l) {
        return l->have_session_key && l->config.heartbeat_usec > 0 &&
                l->config.keepalive_usec > l->config.heartbeat_usec;
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata) {
        Link *l = userdata;
        uint64_t now = now_monotonic_usec();
        LinkJob *job;

        disarm(&l->timer);
        if (l->state != LINK_READY || l->jobs)
                return 0;
        if (heartbeats(l) &&
            (l->config.keepalive_usec == LINK_KEEPALIVE_FOREVER ||
             now - l->idle_since_usec < l->config.keepalive_usec)) {
                Radio *r = radio_conn_radio(l->conn);

                /* A proxy that ran out of slots gets ours back: an idle link is not worth another lock's
                 * failed connect. */
                if (radio_free_slots(r) != 0) {
                        job = calloc(1, sizeof(LinkJob));
                        if (job) {
                                *job = (LinkJob){
                                        .link = l, .start = heartbeat_start, .userdata = l, .heartbeat = true
                                };
                                l->jobs = job;
                                link_kick(l);
                                return 0;
                        }
                } else
                        log_debug(
                                "%s: radio %s has no free slot left; letting the idle link go.",
                                l->address,
                                radio_name(r));
        }
        /* §9.3: the official app lets go 2 s after the last reply; locks drop idle links themselves
         * soon after, and a held link keeps the lock from advertising (§1.5). */
        set_state(l, LINK_DISCONNECTING);
        radio_conn_disconnect(l->conn);
        /* The radio confirms with closed(); a radio that never does is given up on (on_timer()). */
        if (l->state == LINK_DISCONNECTING)
                (void) arm(l, &l->timer, l->config.resolve_timeout_usec, on_timer);
        return 0;
}

/* The link went down, or never came up: the command in flight fails; the running job decides what
 * to do; queued jobs will reconnect. */
static void link_lost(Link *l, int error) {
        bool was_ready = l->state == LINK_READY || l->state == LINK_DISCONNECTING;

        disarm(&l->timer);
        conn_drop(l);
        ttlock_reassembler_reset(&l->reassembler);
        set_state(l, LINK_IDLE);

        if (was_ready && l->cb.connected_changed)
                l->cb.connected_changed(l, false, l->userdata);

        /* The running job learns of it through its command in flight, or, between two commands,
         * from its next link_job_send() (-ENOTCONN: link_kick() does not reconnect while a job
         * runs, and logins are per connection anyway, §5). */
        if (l->cmd.active)
                complete(l, error, NULL);

        link_kick(l);
}

/* Every queued job fails: the lock cannot be reached. The running job, if any, is not touched — it
 * learns through its command. */
static void fail_queued(Link *l, int error) {
        for (;;) {
                LinkJob **p = &l->jobs, *job;

                /* From the head each time: a start callback may cancel or finish other jobs. */
                while (*p && (*p)->running)
                        p = &(*p)->next;
                job = *p;
                if (!job)
                        return;
                *p = job->next;
                if (job->start)
                        job->start(job, error, job->userdata);
                free(job);
        }
}

static void connect_over(Link *l, int error, const char *why, unsigned attempts) {
        if (l->cb.connect_done)
                l->cb.connect_done(l, error, why, attempts, l->userdata);
}

static void connect_failed(Link *l, int error, const char *why) {
        l->stats.connect_failures++;
        l->failed_radio = l->conn ? radio_conn_radio(l->conn) : NULL;
        /* Freeing the connection also takes down whatever of it came up (radio.h). */
        conn_drop(l);
        disarm(&l->timer);

        if (l->attempts < l->config.connect_attempts) {
                log_debug("%s: connection attempt %u failed (%s), retrying", l->address, l->attempts, why);
                set_state(l, LINK_RETRY_WAIT);
                if (arm(l, &l->timer, l->config.connect_retry_usec, on_timer) >= 0)
                        return;
        }

        log_info("%s: could not connect after %u attempt(s): %s", l->address, l->attempts, why);
        unsigned attempts = l->attempts;
        l->attempts = 0;
        l->failed_radio = NULL;
        set_state(l, LINK_IDLE);
        connect_over(l, error, why, attempts);
        fail_queued(l, error);
}

static void became_ready(Link *l) {
        unsigned attempts = l->attempts;

        disarm(&l->timer);
        l->attempts = 0;
        l->failed_radio = NULL;
        l->stats.connects++;
        l->idle_since_usec = now_monotonic_usec();
        ttlock_reassembler_reset(&l->reassembler);
        set_state(l, LINK_READY);
        connect_over(l, 0, NULL, attempts);
        if (l->cb.connected_changed)
                l->cb.connected_changed(l, true, l->userdata);
        link_kick(l);
}

/* What the radio says of the connection (radio.h): straight from the backend. */
static void on_conn_ready(RadioConn *c, int error, const char *why, void *userdata) {
        Link *l = userdata;

        if (l->state != LINK_CONNECTING || c != l->conn)
                return;
        if (error < 0) {
                connect_failed(
                        l,
                        error == -ENODEV || error == -ENOTCONN ? -EHOSTUNREACH : error,
                        why ?: "connect failed");
                return;
        }
        became_ready(l);
}

static void on_conn_closed(RadioConn *c, int error, void *userdata) {
        Link *l = userdata;

        if (c != l->conn)
                return;
        link_lost(l, -ENOTCONN);
}

static void on_conn_notification(RadioConn *c, const uint8_t *data, size_t len, void *userdata);

static const RadioConnCallbacks conn_callbacks = {
        .ready = on_conn_ready,
        .notification = on_conn_notification,
        .closed = on_conn_closed,
};

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Link *l = userdata;

        disarm(&l->timer);
        switch (l->state) {
        case LINK_RETRY_WAIT:
                link_connect(l);
                break;
        case LINK_CONNECTING:
                connect_failed(l, -ETIMEDOUT, "timed out");
                break;
        case LINK_DISCONNECTING:
                /* The radio never confirmed the disconnect; start afresh anyway. */
                conn_drop(l);
                set_state(l, LINK_IDLE);
                link_kick(l);
                break;
        case LINK_READY:
                return on_keepalive(s, usec, userdata);
        case LINK_WAIT_DEVICE:
                log_info(
                        "%s: not seen within %" PRIu64 " ms, giving up.",
                        l->address,
                        l->config.device_wait_usec / USEC_PER_MSEC);
                set_state(l, LINK_IDLE);
                connect_over(l, -ENODEV, "no radio hears the lock", 0);
                fail_queued(l, -ENODEV);
                break;
        case LINK_IDLE:
                break;
        }
        return 0;
}

/* The radio to connect through: after a failed attempt, another one if another hears the lock. A connect
 * nobody waits for (link_bring_up()) never takes a radio's last free slot: that one stays for work on
 * other locks. */
static Radio *pick_radio(Link *l) {
        Radio *radio;

        radio = radio_set_best(l->radios, l->address, l->failed_radio);
        if (!radio)
                radio = radio_set_best(l->radios, l->address, NULL);
        if (radio && !l->jobs && radio_free_slots(radio) == 1) {
                Radio *other = radio_set_best(l->radios, l->address, radio);

                radio = other && radio_free_slots(other) != 1 ? other : NULL;
        }
        return radio;
}

static void link_connect(Link *l) {
        Radio *radio;
        int r;

        radio = pick_radio(l);
        if (!radio && !l->jobs) {
                /* link_bring_up()'s, on a later attempt: nobody waits, so nobody waits for an advert. */
                unsigned attempts = l->attempts;

                l->attempts = 0;
                l->failed_radio = NULL;
                set_state(l, LINK_IDLE);
                connect_over(l, -EHOSTUNREACH, "no radio can take the connection", attempts);
                return;
        }
        if (!radio) {
                /* Not seen: right after start-up or a BlueZ restart the first advert is usually a
                 * moment away, so wait for it a little (bounded) before calling the lock unreachable. */
                if (l->state == LINK_WAIT_DEVICE && l->timer)
                        return; /* still waiting */
                if (l->config.device_wait_usec > 0 &&
                    arm(l, &l->timer, l->config.device_wait_usec, on_timer) >= 0) {
                        set_state(l, LINK_WAIT_DEVICE);
                        return;
                }
                set_state(l, LINK_IDLE);
                connect_over(l, -ENODEV, "no radio hears the lock", 0);
                fail_queued(l, -ENODEV);
                return;
        }

        l->attempts++;
        set_state(l, LINK_CONNECTING);
        r = radio_connect(radio, l->address, l->config.connect_timeout_usec, &conn_callbacks, l, &l->conn);
        if (r < 0) {
                l->conn = NULL;
                l->failed_radio = radio;
                connect_failed(l, -EHOSTUNREACH, "the radio could not start connecting");
                return;
        }
        /* The radio's connect has its own time-out; this one covers the services and notifications
         * too, and a radio that never answers. */
        (void) arm(
                l,
                &l->timer,
                l->config.connect_timeout_usec + l->config.resolve_timeout_usec + USEC_PER_SEC,
                on_timer);
}

static void link_kick(Link *l) {
        LinkJob *job = l->jobs;

        if (l->freeing || (job && job->running))
                return;

        if (!job) {
                uint64_t idle, wait;

                if (l->state != LINK_READY)
                        return;
                /* Until the keep-alive is over, or the next heartbeat, whichever comes first. */
                idle = now_monotonic_usec() - l->idle_since_usec;
                wait = l->config.keepalive_usec == LINK_KEEPALIVE_FOREVER ? UINT64_MAX
                        : idle < l->config.keepalive_usec                 ? l->config.keepalive_usec - idle
                                                                          : 0;
                if (heartbeats(l))
                        wait = MIN(wait, l->config.heartbeat_usec);
                if (wait == UINT64_MAX)
                        disarm(&l->timer); /* held until it drops, with nothing to keep it awake */
                else
                        (void) arm(l, &l->timer, wait, on_timer);
                return;
        }

        switch (l->state) {
        case LINK_READY:
                disarm(&l->timer);
                job->running = true;
                job->start(job, 0, job->userdata);
                break;
        case LINK_IDLE:
                l->attempts = 0;
                link_connect(l);
                break;
        case LINK_DISCONNECTING:
                /* Wait for the radio to confirm (bounded, on_keepalive()), then connect again. */
                if (!l->timer)
                        (void) arm(l, &l->timer, l->config.resolve_timeout_usec, on_timer);
                break;
        default:
                /* Already on its way up. */
                break;
        }
}

int link_new(
        sd_event *event,
        RadioSet *radios,
        const char *address,
        const LinkConfig *config,
        const LinkCallbacks *cb,
        void *userdata,
        Link **ret) {
        Link *l;

        assert(event);
        assert(radios);
        assert(ret);
        l = calloc(1, sizeof(Link));
        if (!l)
                return -ENOMEM;
        if (bt_address_normalize(address, l->address) < 0) {
                free(l);
                return -EINVAL;
        }
        l->event = sd_event_ref(event);
        l->radios = radios;
        if (config)
                l->config = *config;
        else
                link_config_default(&l->config);
        if (cb)
                l->cb = *cb;
        l->userdata = userdata;
        ttlock_reassembler_init(&l->reassembler);
        *ret = l;
        return 0;
}

Link *link_free(Link *l) {
        if (!l)
                return NULL;

        /* link.h's promise: every job hears -ECANCELED — the running one through its command in
         * flight (its handler normally finishes it), the queued ones through their start
         * callback — so that no operation keeps a LinkJob pointer into freed memory. */
        l->freeing = true;
        l->cb = (LinkCallbacks){};
        if (l->cmd.active)
                complete(l, -ECANCELED, NULL);
        if (l->cmd.active) {
                l->cmd.cb = NULL;
                inflight_clear(l);
        }
        fail_queued(l, -ECANCELED);
        /* Left: a running job between commands that did not finish; it cannot be told (link.h). */
        while (l->jobs) {
                LinkJob *job = l->jobs;
                l->jobs = job->next;
                free(job);
        }
        disarm(&l->timer);
        disarm(&l->reply_timer);
        /* A connection that is up goes down with it (radio.h). */
        conn_drop(l);
        erase_memory(l->session_key, sizeof(l->session_key));
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

void link_device_seen(Link *l) {
        assert(l);

        if (l->state != LINK_WAIT_DEVICE)
                return;
        disarm(&l->timer);
        link_connect(l);
}

const char *link_address(Link *l) {
        assert(l);

        return l->address;
}

Radio *link_radio(Link *l) {
        assert(l);

        return l->conn ? radio_conn_radio(l->conn) : NULL;
}

bool link_connected(Link *l) {
        assert(l);

        return l->state == LINK_READY;
}

bool link_busy(Link *l) {
        assert(l);

        return l->jobs;
}

void link_set_session_key(Link *l, const uint8_t key[TTLOCK_KEY_SIZE]) {
        erase_memory(l->session_key, sizeof(l->session_key));
        l->have_session_key = key;
        if (key)
                memcpy(l->session_key, key, TTLOCK_KEY_SIZE);
}

/* A frame we could not use while waiting for a reply: resend the command once (§9.1), then give up.
 * A command that must not run twice (LINK_SEND_NO_RESEND) is resent only when the lock itself said it
 * could not read it (lock_refused): a garbled reply may follow a command the lock carried out. */
static void bad_reply(Link *l, bool lock_refused, const char *why) {
        l->stats.bad_frames++;
        log_debug("%s: bad reply to 0x%02x: %s", l->address, l->cmd.command, why);

        if (l->cmd.resent || (l->cmd.no_resend && !lock_refused)) {
                complete(l, -EBADMSG, NULL);
                return;
        }
        l->cmd.resent = true;
        l->stats.resends++;
        disarm(&l->reply_timer);
        if (l->write_in_flight) {
                /* That write's completion belongs to the first sending, not to the resend. */
                l->stale_writes++;
                l->write_in_flight = false;
        }
        ttlock_reassembler_reset(&l->reassembler);
        l->cmd.next_chunk = 0;
        write_next_chunk(l);
}

/* To the diagnostics (LinkCallbacks.frame), unless it is the heartbeat's own exchange. */
static void report_frame(Link *l, bool reply, uint8_t command, const uint8_t *plain, size_t len) {
        if (!l->cb.frame)
                return;
        if (l->jobs && l->jobs->running && l->jobs->heartbeat && (!reply || command == l->cmd.command))
                return;
        l->cb.frame(l, reply, command, plain, len, l->userdata);
}

static void on_frame(const uint8_t *frame, size_t len, void *userdata) {
        Link *l = userdata;
        uint8_t plain[TTLOCK_FRAME_MAX_DATA];
        const uint8_t *key;
        TTError e = {};
        size_t plain_len;
        TTReply reply;
        TTFrame f;
        int r;

        r = ttlock_frame_parse_unchecked(frame, len, &f, &e);
        if (r < 0 || !f.crc_ok) {
                if (l->cmd.active)
                        bad_reply(l, /* lock_refused= */ false, r < 0 ? tt_error_message(&e) : "bad CRC");
                else
                        log_debug(
                                "%s: dropping unusable frame: %s",
                                l->address,
                                r < 0 ? tt_error_message(&e) : "bad CRC");
                return;
        }

        key = l->cmd.active ? l->cmd.key : l->have_session_key ? l->session_key : NULL;
        if (!key)
                return;

        if (f.header.length == 0) {
                if (l->cmd.active) {
                        report_frame(l, true, l->cmd.command, NULL, 0);
                        complete(l, -ENODATA, NULL);
                }
                return;
        }

        r = ttlock_frame_decrypt(&f, key, plain, sizeof(plain), &plain_len, &e);
        if (r >= 0)
                r = ttlock_reply_parse(plain, plain_len, &reply, &e);
        if (r < 0) {
                if (l->cmd.active)
                        bad_reply(l, /* lock_refused= */ false, tt_error_message(&e));
                erase_memory(plain, sizeof(plain));
                return;
        }

        report_frame(l, true, reply.command, plain, plain_len);
        if (l->cmd.active && reply.command == l->cmd.command) {
                /* The lock saw a bad CRC in what we sent (§4.4 0x01): resend once, like the SDK. */
                if (!reply.success && reply.error_code == 0x01 && !l->cmd.resent)
                        bad_reply(l, /* lock_refused= */ true, "the lock reports a CRC error");
                else
                        complete(l, 0, &reply);
        } else {
                l->stats.pushes++;
                if (l->cb.push)
                        l->cb.push(l, &reply, l->userdata);
        }
        erase_memory(plain, sizeof(plain));
}

static void on_conn_notification(RadioConn *c, const uint8_t *data, size_t len, void *userdata) {
        Link *l = userdata;

        if (l->state != LINK_READY || c != l->conn)
                return;
        ttlock_reassembler_feed(&l->reassembler, data, len, on_frame, l);
}

static void on_write(RadioConn *c, int error, void *userdata) {
        Link *l = userdata;

        if (l->stale_writes > 0) {
                l->stale_writes--;
                return;
        }
        l->write_in_flight = false;
        if (!l->cmd.active)
                return;
        if (error < 0) {
                log_debug("%s: write failed (%d)", l->address, error);
                complete(l, -ENOTCONN, NULL);
                return;
        }
        write_next_chunk(l);
}

static void write_next_chunk(Link *l) {
        const uint8_t *chunk;
        size_t chunk_len;
        int r;

        if (ttlock_chunk(l->cmd.wire, l->cmd.wire_len, l->cmd.next_chunk, &chunk, &chunk_len) < 0) {
                /* Everything written: now the reply clock runs. */
                (void) arm(l, &l->reply_timer, l->cmd.timeout_usec, on_reply_timeout);
                return;
        }
        l->cmd.next_chunk++;
        /* §1.3: chunk k+1 only after chunk k's write completed. */
        r = radio_conn_write(l->conn, chunk, chunk_len, on_write, l);
        if (r < 0) {
                complete(l, -ENOTCONN, NULL);
                return;
        }
        l->write_in_flight = true;
}

static int on_heartbeat_reply(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        Link *l = userdata;

        if (error == 0 && reply && reply->success && l->cb.heartbeat)
                l->cb.heartbeat(l, reply, l->userdata);
        if (error == -ETIMEDOUT) {
                /* A lock that does not answer a status query is not there any more. */
                log_debug("%s: no answer to the heartbeat; letting the link go.", l->address);
                link_job_finish_disconnect(job);
        } else
                link_job_finish(job);
        return 0;
}

static void heartbeat_start(LinkJob *job, int error, void *userdata) {
        Link *l = userdata;
        uint8_t buf[16];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t n = 0;

        if (error < 0)
                return; /* dropped by the link already */
        l->stats.heartbeats++;
        /* SEARCH_BICYCLE_STATUS needs no login (§4.3) and tells the bolt and the battery as well. */
        ttlock_status_request_encode(&w);
        if (tt_writer_finish(&w, &n, NULL) < 0 ||
            link_job_send(
                    job,
                    TTLOCK_CMD_SEARCH_BICYCLE_STATUS,
                    buf,
                    n,
                    l->session_key,
                    0,
                    on_heartbeat_reply,
                    l) < 0)
                link_job_finish(job);
}

void link_set_keepalive(Link *l, uint64_t usec) {
        assert(l);

        if (l->config.keepalive_usec == usec)
                return;
        l->config.keepalive_usec = usec;
        /* A shorter hold may be over already; a longer one needs its heartbeat. */
        if (l->state == LINK_READY && !l->jobs)
                link_kick(l);
}

int link_bring_up(Link *l) {
        assert(l);

        if (l->freeing)
                return -ECANCELED;
        if (l->state != LINK_IDLE)
                return -EALREADY;
        l->attempts = 0;
        l->failed_radio = NULL;
        if (!pick_radio(l))
                /* Heard, but by radios without a slot to spare (radio_set_best() passes over full ones). */
                return radio_set_knows(l->radios, l->address) ? -EBUSY : -ENODEV;
        link_connect(l);
        return 0;
}

int link_enqueue(Link *l, LinkJobStart start, void *userdata, LinkJob **ret) {
        LinkJob *job, **p;

        assert(l);

        if (l->freeing)
                return -ECANCELED;
        job = calloc(1, sizeof(LinkJob));
        if (!job)
                return -ENOMEM;
        *job = (LinkJob){ .link = l, .start = start, .userdata = userdata };
        for (p = &l->jobs; *p; p = &(*p)->next)
                ;
        *p = job;
        if (ret)
                *ret = job;
        link_kick(l);
        return 0;
}

static void job_remove(LinkJob *job) {
        Link *l = job->link;

        /* The keep-alive counts from the end of the last work; a heartbeat is no work. */
        if (!job->heartbeat)
                l->idle_since_usec = now_monotonic_usec();
        for (LinkJob **p = &l->jobs; *p; p = &(*p)->next)
                if (*p == job) {
                        *p = job->next;
                        break;
                }
        free(job);
}

void link_job_cancel(LinkJob *job) {
        Link *l = job->link;

        if (job->running && l->cmd.active) {
                l->cmd.cb = NULL;
                inflight_clear(l);
        }
        job_remove(job);
        link_kick(l);
}

int link_job_send(
        LinkJob *job,
        uint8_t command,
        const uint8_t *plain,
        size_t len,
        const uint8_t key[TTLOCK_KEY_SIZE],
        uint64_t timeout_usec,
        LinkReplyHandler cb,
        void *userdata) {
        return link_job_send_full(job, command, plain, len, key, timeout_usec, 0, cb, userdata);
}

int link_job_send_full(
        LinkJob *job,
        uint8_t command,
        const uint8_t *plain,
        size_t len,
        const uint8_t key[TTLOCK_KEY_SIZE],
        uint64_t timeout_usec,
        LinkSendFlags flags,
        LinkReplyHandler cb,
        void *userdata) {
        Link *l = job->link;
        uint8_t frame[TTLOCK_FRAME_MAX];
        size_t frame_len;
        TTError e = {};
        int r;

        assert(job);

        if (l->freeing)
                return -ECANCELED;
        if (!job->running || l->jobs != job)
                return -ESTALE;
        if (l->state != LINK_READY)
                return -ENOTCONN;
        if (l->cmd.active)
                return -EBUSY;

        r = ttlock_frame_build(
                &TTLOCK_V3_APP_HEADER(command), key, plain, len, frame, sizeof(frame), &frame_len, &e);
        if (r < 0)
                return log_error_errno(r, "Cannot build command 0x%02x: %s", command, tt_error_message(&e));

        l->cmd = (InFlight){
                .active = true,
                .command = command,
                .timeout_usec = timeout_usec ?: l->config.reply_timeout_usec,
                .no_resend = flags & LINK_SEND_NO_RESEND,
                .cb = cb,
                .userdata = userdata,
        };
        memcpy(l->cmd.key, key, TTLOCK_KEY_SIZE);
        r = ttlock_wire_encode(frame, frame_len, l->cmd.wire, sizeof(l->cmd.wire), &l->cmd.wire_len, &e);
        erase_memory(frame, sizeof(frame));
        if (r < 0) {
                inflight_clear(l);
                return r;
        }

        l->stats.commands++;
        report_frame(l, false, command, plain, len);
        disarm(&l->timer);
        write_next_chunk(l);
        return 0;
}

void link_job_finish(LinkJob *job) {
        Link *l = job->link;

        assert(job);

        if (l->jobs == job && l->cmd.active) {
                l->cmd.cb = NULL;
                inflight_clear(l);
        }
        job_remove(job);
        link_kick(l);
}

void link_job_finish_disconnect(LinkJob *job) {
        Link *l = job->link;

        assert(job);

        if (l->state == LINK_READY) {
                set_state(l, LINK_DISCONNECTING);
                radio_conn_disconnect(l->conn);
        }
        link_job_finish(job);
}

Link *link_job_link(LinkJob *job) {
        assert(job);

        return job->link;
}

bool link_job_others_waiting(LinkJob *job) {
        assert(job);

        return job->next;
}

const LinkStats *link_stats(Link *l) {
        assert(l);

        return &l->stats;
}
