/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "frame.h"
#include "link.h"
#include "log.h"
#include "macro.h"
#include "transport.h"

typedef enum LinkState {
        LINK_IDLE,            /* not connected */
        LINK_CONNECTING,      /* Device1.Connect() in flight */
        LINK_RETRY_WAIT,      /* pause before the next Connect() */
        LINK_RESOLVING,       /* connected, waiting for ServicesResolved and our characteristics */
        LINK_SUBSCRIBING,     /* StartNotify() on 0xFFF4 in flight */
        LINK_READY,           /* commands may be sent */
        LINK_DISCONNECTING,   /* we asked BlueZ to disconnect and wait for Connected=false */
        LINK_WAIT_DEVICE,     /* work is queued but BlueZ has not seen the lock (yet) */
} LinkState;

struct LinkJob {
        Link *link;
        LinkJobStart start;
        void *userdata;
        bool running;
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
        uint8_t key[TTLOCK_KEY_SIZE];
        uint64_t timeout_usec;
        LinkReplyHandler cb;
        void *userdata;
} InFlight;

struct Link {
        sd_event *event;
        Bluez *bluez;
        char *device_path;
        LinkConfig config;
        LinkCallbacks cb;
        void *userdata;

        LinkState state;
        unsigned attempts;
        sd_event_source *timer;       /* connect/resolve time-outs, retry pause, keep-alive */
        sd_event_source *reply_timer;
        sd_bus_slot *call_slot;       /* Connect / StartNotify */
        sd_bus_slot *write_slot;

        LinkJob *jobs; /* head is the running job, if any is running */

        InFlight cmd;
        bool have_session_key;
        uint8_t session_key[TTLOCK_KEY_SIZE];

        TTReassembler reassembler;
        LinkStats stats;

        /* Inside link_free(): jobs are being told -ECANCELED; nothing new starts. */
        bool freeing;
};

static void link_kick(Link *l);
static void link_connect(Link *l);
static void write_next_chunk(Link *l);
static int on_reply_timeout(sd_event_source *s, uint64_t usec, void *userdata);
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

void link_config_default(LinkConfig *ret) {
        *ret = (LinkConfig) {
                .connect_timeout_usec = 10 * 1000 * 1000,
                .connect_attempts = 3,
                .connect_retry_usec = 500 * 1000,
                .resolve_timeout_usec = 10 * 1000 * 1000,
                .reply_timeout_usec = 4 * 1000 * 1000,
                .keepalive_usec = 2 * 1000 * 1000,
                .device_wait_usec = 5 * 1000 * 1000,
        };
}

static const char *state_name(LinkState s) {
        static const char *const names[] = {
                [LINK_IDLE] = "idle",           [LINK_CONNECTING] = "connecting",
                [LINK_RETRY_WAIT] = "retry-wait", [LINK_RESOLVING] = "resolving",
                [LINK_SUBSCRIBING] = "subscribing", [LINK_READY] = "ready",
                [LINK_DISCONNECTING] = "disconnecting", [LINK_WAIT_DEVICE] = "waiting-for-device",
        };
        return names[s];
}

static void set_state(Link *l, LinkState s) {
        if (l->state == s)
                return;
        log_debug("%s: link %s → %s", l->device_path ?: "(gone)", state_name(l->state), state_name(s));
        l->state = s;
}

static void disarm(sd_event_source **s) {
        *s = sd_event_source_disable_unref(*s);
}

typedef int (*TimerHandler)(sd_event_source *s, uint64_t usec, void *userdata);

static int arm(Link *l, sd_event_source **s, uint64_t usec, TimerHandler h) {
        int r;

        disarm(s);
        r = sd_event_add_time_relative(l->event, s, CLOCK_MONOTONIC, usec, 0, h, l);
        if (r == -ESTALE)
                /* The event loop has finished: ttlockd is shutting down and cancels what runs. */
                return r;
        if (r < 0)
                return log_error_errno(r, "Failed to arm a link timer: %m");
        return 0;
}

static void inflight_clear(Link *l) {
        disarm(&l->reply_timer);
        l->write_slot = sd_bus_slot_unref(l->write_slot);
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
        log_debug("%s: no reply to 0x%02x", l->device_path, l->cmd.command);
        complete(l, -ETIMEDOUT, NULL);
        return 0;
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata) {
        Link *l = userdata;

        disarm(&l->timer);
        if (l->state != LINK_READY || l->jobs)
                return 0;
        /* §9.3: the official app lets go 2 s after the last reply; locks drop idle links themselves
         * soon after, and a held link keeps the lock from advertising (§1.5). */
        if (bluez_disconnect(l->bluez, l->device_path) >= 0)
                set_state(l, LINK_DISCONNECTING);
        else
                set_state(l, LINK_IDLE);
        return 0;
}

/* The link went down, or never came up: the command in flight fails; the running job decides what
 * to do; queued jobs will reconnect. */
static void link_lost(Link *l, int error) {
        bool was_ready = l->state == LINK_READY || l->state == LINK_DISCONNECTING;

        disarm(&l->timer);
        l->call_slot = sd_bus_slot_unref(l->call_slot);
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

static void connect_failed(Link *l, int error, const char *why) {
        l->stats.connect_failures++;
        l->call_slot = sd_bus_slot_unref(l->call_slot);
        disarm(&l->timer);

        if (l->attempts < l->config.connect_attempts) {
                log_debug("%s: connection attempt %u failed (%s), retrying", l->device_path, l->attempts, why);
                set_state(l, LINK_RETRY_WAIT);
                if (arm(l, &l->timer, l->config.connect_retry_usec, on_timer) >= 0)
                        return;
        }

        log_info("%s: could not connect after %u attempt(s): %s", l->device_path, l->attempts, why);
        l->attempts = 0;
        set_state(l, LINK_IDLE);
        /* Make sure BlueZ is not left half-connected behind us. */
        (void) bluez_disconnect(l->bluez, l->device_path);
        fail_queued(l, error);
}

static void became_ready(Link *l) {
        disarm(&l->timer);
        l->attempts = 0;
        l->stats.connects++;
        ttlock_reassembler_reset(&l->reassembler);
        set_state(l, LINK_READY);
        if (l->cb.connected_changed)
                l->cb.connected_changed(l, true, l->userdata);
        link_kick(l);
}

static void on_start_notify(Bluez *b, const char *path, int error, const sd_bus_error *e, void *userdata) {
        Link *l = userdata;

        l->call_slot = sd_bus_slot_unref(l->call_slot);
        if (l->state != LINK_SUBSCRIBING)
                return;
        /* A second StartNotify from the same client is refused as "in progress" by BlueZ: the
         * notifications are on, which is all we asked for. */
        if (error < 0 && !(e && sd_bus_error_has_name(e, "org.bluez.Error.InProgress"))) {
                connect_failed(l, -EHOSTUNREACH, e && e->message ? e->message : "StartNotify failed");
                return;
        }
        became_ready(l);
}

static void subscribe(Link *l) {
        int r;

        set_state(l, LINK_SUBSCRIBING);
        r = bluez_start_notify(l->bluez, l->device_path, on_start_notify, l, &l->call_slot);
        if (r < 0)
                connect_failed(l, -EHOSTUNREACH, "cannot subscribe to notifications");
}

static void check_resolved(Link *l) {
        BluezDeviceInfo info;

        if (l->state != LINK_RESOLVING)
                return;
        if (!bluez_device_info(l->bluez, l->device_path, &info))
                return;
        if (info.connected && info.services_resolved && info.gatt_ready)
                subscribe(l);
}

static void on_connect(Bluez *b, const char *path, int error, const sd_bus_error *e, void *userdata) {
        Link *l = userdata;

        l->call_slot = sd_bus_slot_unref(l->call_slot);
        if (l->state != LINK_CONNECTING)
                return;
        if (error < 0) {
                /* BlueZ 5.66 reports a failed LE connect as org.bluez.Error.Failed with the reason in
                 * the message (conventions.md); a dormant lock looks exactly like this. */
                connect_failed(l, -EHOSTUNREACH, e && e->message ? e->message : "Connect failed");
                return;
        }
        set_state(l, LINK_RESOLVING);
        (void) arm(l, &l->timer, l->config.resolve_timeout_usec, on_timer);
        check_resolved(l);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Link *l = userdata;

        disarm(&l->timer);
        switch (l->state) {
        case LINK_RETRY_WAIT:
                link_connect(l);
                break;
        case LINK_CONNECTING:
        case LINK_RESOLVING:
        case LINK_SUBSCRIBING:
                connect_failed(l, -ETIMEDOUT, "timed out");
                break;
        case LINK_DISCONNECTING:
                /* BlueZ never confirmed the disconnect; start afresh anyway. */
                set_state(l, LINK_IDLE);
                link_kick(l);
                break;
        case LINK_READY:
                return on_keepalive(s, usec, userdata);
        case LINK_WAIT_DEVICE:
                log_info("%s: not seen within %" PRIu64 " ms, giving up.", l->device_path ?: "lock",
                         l->config.device_wait_usec / 1000);
                set_state(l, LINK_IDLE);
                fail_queued(l, -ENODEV);
                break;
        case LINK_IDLE:
                break;
        }
        return 0;
}

static void link_connect(Link *l) {
        BluezDeviceInfo info;
        int r;

        if (!l->device_path || !bluez_device_info(l->bluez, l->device_path, &info)) {
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
                fail_queued(l, -ENODEV);
                return;
        }

        l->attempts++;

        if (info.connected && info.services_resolved && info.gatt_ready) {
                subscribe(l);
                return;
        }

        set_state(l, LINK_CONNECTING);
        r = bluez_connect(l->bluez, l->device_path, l->config.connect_timeout_usec, on_connect, l, &l->call_slot);
        if (r < 0) {
                connect_failed(l, -EHOSTUNREACH, "Connect() could not be sent");
                return;
        }
        /* The D-Bus call has its own time-out; this one also covers a BlueZ that never answers. */
        (void) arm(l, &l->timer, l->config.connect_timeout_usec + 1000 * 1000, on_timer);
}

static void link_kick(Link *l) {
        LinkJob *job = l->jobs;

        if (l->freeing || (job && job->running))
                return;

        if (!job) {
                if (l->state == LINK_READY)
                        (void) arm(l, &l->timer, l->config.keepalive_usec, on_timer);
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
                /* Wait for Connected=false (bounded), then connect again. */
                if (!l->timer)
                        (void) arm(l, &l->timer, l->config.resolve_timeout_usec, on_timer);
                break;
        default:
                /* Already on its way up. */
                break;
        }
}

int link_new(sd_event *event, Bluez *bluez, const char *device_path, const LinkConfig *config,
             const LinkCallbacks *cb, void *userdata, Link **ret) {
        Link *l;

        l = calloc(1, sizeof(Link));
        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(event);
        l->bluez = bluez;
        if (config)
                l->config = *config;
        else
                link_config_default(&l->config);
        if (cb)
                l->cb = *cb;
        l->userdata = userdata;
        ttlock_reassembler_init(&l->reassembler);

        if (device_path) {
                l->device_path = strdup(device_path);
                if (!l->device_path) {
                        link_free(l);
                        return -ENOMEM;
                }
        }
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
        l->cb = (LinkCallbacks) {};
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
        sd_bus_slot_unref(l->call_slot);
        sd_bus_slot_unref(l->write_slot);
        if (l->state == LINK_READY && l->device_path)
                (void) bluez_disconnect(l->bluez, l->device_path);
        erase_memory(l->session_key, sizeof(l->session_key));
        free(l->device_path);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

int link_set_device_path(Link *l, const char *device_path) {
        char *p = NULL;

        if (device_path && l->device_path && strcmp(device_path, l->device_path) == 0)
                return 0;
        if (device_path) {
                p = strdup(device_path);
                if (!p)
                        return -ENOMEM;
        }
        free(l->device_path);
        l->device_path = p;

        if (l->state == LINK_WAIT_DEVICE) {
                /* What we were waiting for, unless it is the lock going away again. */
                if (p) {
                        disarm(&l->timer);
                        link_connect(l);
                }
                return 0;
        }
        if (l->state != LINK_IDLE)
                link_lost(l, -ENOTCONN);
        return 0;
}

const char *link_device_path(Link *l) {
        return l->device_path;
}

void link_device_changed(Link *l, const BluezDeviceInfo *info) {
        if (!l->device_path || strcmp(info->path, l->device_path) != 0)
                return;

        if (l->state == LINK_WAIT_DEVICE) {
                disarm(&l->timer);
                link_connect(l);
                return;
        }

        if (!info->connected) {
                switch (l->state) {
                case LINK_RESOLVING:
                case LINK_SUBSCRIBING:
                        /* §1.2: links that drop right after connecting are retried. */
                        connect_failed(l, -EHOSTUNREACH, "dropped while setting up");
                        return;
                case LINK_READY:
                case LINK_DISCONNECTING:
                        link_lost(l, -ENOTCONN);
                        return;
                default:
                        return;
                }
        }

        check_resolved(l);
}

bool link_connected(Link *l) {
        return l->state == LINK_READY;
}

bool link_busy(Link *l) {
        return l->jobs;
}

void link_set_session_key(Link *l, const uint8_t key[TTLOCK_KEY_SIZE]) {
        erase_memory(l->session_key, sizeof(l->session_key));
        l->have_session_key = key;
        if (key)
                memcpy(l->session_key, key, TTLOCK_KEY_SIZE);
}

/* A frame we could not use while waiting for a reply: resend the command once (§9.1), then give up. */
static void bad_reply(Link *l, const char *why) {
        l->stats.bad_frames++;
        log_debug("%s: bad reply to 0x%02x: %s", l->device_path, l->cmd.command, why);

        if (l->cmd.resent) {
                complete(l, -EBADMSG, NULL);
                return;
        }
        l->cmd.resent = true;
        l->stats.resends++;
        disarm(&l->reply_timer);
        l->write_slot = sd_bus_slot_unref(l->write_slot);
        ttlock_reassembler_reset(&l->reassembler);
        l->cmd.next_chunk = 0;
        write_next_chunk(l);
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
                        bad_reply(l, r < 0 ? tt_error_message(&e) : "bad CRC");
                else
                        log_debug("%s: dropping unusable frame: %s", l->device_path,
                                  r < 0 ? tt_error_message(&e) : "bad CRC");
                return;
        }

        key = l->cmd.active ? l->cmd.key : l->have_session_key ? l->session_key : NULL;
        if (!key)
                return;

        if (f.header.length == 0) {
                if (l->cmd.active)
                        complete(l, -ENODATA, NULL);
                return;
        }

        r = ttlock_frame_decrypt(&f, key, plain, sizeof(plain), &plain_len, &e);
        if (r >= 0)
                r = ttlock_reply_parse(plain, plain_len, &reply, &e);
        if (r < 0) {
                if (l->cmd.active)
                        bad_reply(l, tt_error_message(&e));
                erase_memory(plain, sizeof(plain));
                return;
        }

        if (l->cmd.active && reply.command == l->cmd.command) {
                /* The lock saw a bad CRC in what we sent (§4.4 0x01): resend once, like the SDK. */
                if (!reply.success && reply.error_code == 0x01 && !l->cmd.resent)
                        bad_reply(l, "the lock reports a CRC error");
                else
                        complete(l, 0, &reply);
        } else {
                l->stats.pushes++;
                if (l->cb.push)
                        l->cb.push(l, &reply, l->userdata);
        }
        erase_memory(plain, sizeof(plain));
}

void link_notification(Link *l, const uint8_t *data, size_t len) {
        if (l->state != LINK_READY)
                return;
        ttlock_reassembler_feed(&l->reassembler, data, len, on_frame, l);
}

static void on_write(Bluez *b, const char *path, int error, const sd_bus_error *e, void *userdata) {
        Link *l = userdata;

        l->write_slot = sd_bus_slot_unref(l->write_slot);
        if (!l->cmd.active)
                return;
        if (error < 0) {
                log_debug("%s: write failed: %s", l->device_path, e && e->message ? e->message : "?");
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
        r = bluez_write(l->bluez, l->device_path, chunk, chunk_len, on_write, l, &l->write_slot);
        if (r < 0)
                complete(l, -ENOTCONN, NULL);
}

int link_enqueue(Link *l, LinkJobStart start, void *userdata, LinkJob **ret) {
        LinkJob *job, **p;

        if (l->freeing)
                return -ECANCELED;
        job = calloc(1, sizeof(LinkJob));
        if (!job)
                return -ENOMEM;
        *job = (LinkJob) { .link = l, .start = start, .userdata = userdata };
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

int link_job_send(LinkJob *job, uint8_t command, const uint8_t *plain, size_t len,
                  const uint8_t key[TTLOCK_KEY_SIZE], uint64_t timeout_usec, LinkReplyHandler cb,
                  void *userdata) {
        Link *l = job->link;
        uint8_t frame[TTLOCK_FRAME_MAX];
        size_t frame_len;
        TTError e = {};
        int r;

        if (l->freeing)
                return -ECANCELED;
        if (!job->running || l->jobs != job)
                return -ESTALE;
        if (l->state != LINK_READY)
                return -ENOTCONN;
        if (l->cmd.active)
                return -EBUSY;

        r = ttlock_frame_build(&TTLOCK_V3_APP_HEADER(command), key, plain, len, frame, sizeof(frame), &frame_len,
                               &e);
        if (r < 0)
                return log_error_errno(r, "Cannot build command 0x%02x: %s", command, tt_error_message(&e));

        l->cmd = (InFlight) {
                .active = true,
                .command = command,
                .timeout_usec = timeout_usec ?: l->config.reply_timeout_usec,
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
        disarm(&l->timer);
        write_next_chunk(l);
        return 0;
}

void link_job_finish(LinkJob *job) {
        Link *l = job->link;

        if (l->jobs == job && l->cmd.active) {
                l->cmd.cb = NULL;
                inflight_clear(l);
        }
        job_remove(job);
        link_kick(l);
}

void link_job_finish_disconnect(LinkJob *job) {
        Link *l = job->link;

        if (l->state == LINK_READY && bluez_disconnect(l->bluez, l->device_path) >= 0)
                set_state(l, LINK_DISCONNECTING);
        link_job_finish(job);
}

Link *link_job_link(LinkJob *job) {
        return job->link;
}

const LinkStats *link_stats(Link *l) {
        return &l->stats;
}
