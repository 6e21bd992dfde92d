/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "fake-radio.h"
#include "frame.h"
#include "pairing.h"
#include "reply.h"
#include "string-util.h"
#include "time-util.h"
#include "transport.h"

/* One answer on its way: the outcome of a connect, a write's completion, a notification, or the end of
 * the connection. Freed when it fired, or when the connection it belongs to is freed. */
typedef enum PendingKind {
        PENDING_READY,
        PENDING_WRITE_DONE,
        PENDING_NOTIFY,
        PENDING_CLOSED,
} PendingKind;

typedef struct Pending Pending;
struct Pending {
        PendingKind kind;
        sd_event_source *source;
        RadioConn *conn;
        RadioWrite *write;
        int error;
        uint8_t data[TTLOCK_WIRE_MAX];
        size_t len;
        Pending *next;
};

static FakeLock *fake;
static RadioConn *current; /* the one connection to the lock */
static Pending *pendings;
static TTReassembler rx;

static void pending_free(Pending *p) {
        for (Pending **i = &pendings; *i; i = &(*i)->next)
                if (*i == p) {
                        *i = p->next;
                        break;
                }
        sd_event_source_disable_unref(p->source);
        free(p);
}

static int on_pending(sd_event_source *s, void *userdata) {
        Pending *p = userdata;
        RadioConn *c = p->conn;
        PendingKind kind = p->kind;
        RadioWrite *w = p->write;
        int error = p->error;
        uint8_t data[TTLOCK_WIRE_MAX];
        size_t len = p->len;

        memcpy(data, p->data, len);
        /* Gone before the callback: it may free the connection, and with it other pendings. */
        pending_free(p);
        switch (kind) {
        case PENDING_READY:
                if (error == 0)
                        fake->connected = true;
                else
                        current = NULL;
                radio_conn_ready(c, error, error < 0 ? "le-connection-abort-by-local" : NULL);
                break;
        case PENDING_WRITE_DONE:
                radio_write_done(w, error);
                break;
        case PENDING_NOTIFY:
                if (fake->connected)
                        radio_conn_notification(c, data, len);
                break;
        case PENDING_CLOSED:
                current = NULL;
                radio_conn_closed(c, error);
                break;
        }
        return 0;
}

static Pending *pending_new(PendingKind kind, RadioConn *c) {
        Pending *p = calloc(1, sizeof(Pending));

        ck_assert_ptr_nonnull(p);
        p->kind = kind;
        p->conn = c;
        ck_assert_int_ge(sd_event_add_defer(fake->event, &p->source, on_pending, p), 0);
        p->next = pendings;
        pendings = p;
        return p;
}

static void pendings_drop(RadioConn *c) {
        for (Pending *p = pendings, *next; p; p = next) {
                next = p->next;
                if (p->conn == c)
                        pending_free(p);
        }
}

/* ---- the lock ---------------------------------------------------------------------------------- */

static void answer(uint8_t command, FakeAction action, const uint8_t *plain, size_t len) {
        uint8_t frame[TTLOCK_FRAME_MAX];
        size_t frame_len;
        Pending *p;
        TTError e = {};

        if (action == FAKE_SILENT)
                return;
        if (action == FAKE_DROP) {
                fake_drop(fake);
                return;
        }
        /* §2.4: GET_AES_KEY is answered in a frame with command 0x19, everything else with 'T'. */
        ck_assert_int_ge(
                ttlock_frame_build(
                        &TTLOCK_V3_LOCK_HEADER(command == TTLOCK_CMD_GET_AES_KEY ? 0x19 : 0x54),
                        fake->key,
                        plain,
                        action == FAKE_EMPTY ? 0 : len,
                        frame,
                        sizeof(frame),
                        &frame_len,
                        &e),
                0);
        if (fake->bad_crc > 0) {
                fake->bad_crc--;
                frame[frame_len - 1] ^= 0x5A;
        }
        p = pending_new(PENDING_NOTIFY, current);
        ck_assert_int_ge(ttlock_wire_encode(frame, frame_len, p->data, sizeof(p->data), &p->len, &e), 0);
}

static void on_request(const uint8_t *frame, size_t len, void *userdata) {
        uint8_t plain[TTLOCK_FRAME_MAX_DATA], reply[256];
        TTWriter w = TT_WRITER(reply, sizeof(reply));
        size_t plain_len = 0, reply_len = 0;
        FakeAction action;
        TTError e = {};
        TTFrame f;

        ck_assert_int_ge(ttlock_frame_parse(frame, len, &f, &e), 0);
        ck_assert_int_ge(ttlock_frame_decrypt(&f, fake->key, plain, sizeof(plain), &plain_len, &e), 0);
        ck_assert_uint_lt(fake->n_commands, FAKE_MAX_COMMANDS);
        fake->commands[fake->n_commands++] = f.header.command;
        memcpy(fake->last_plain, plain, plain_len);
        fake->last_plain_len = plain_len;

        action = fake->respond(f.header.command, plain, plain_len, &w, fake->userdata);
        if (action == FAKE_REPLY)
                ck_assert_int_ge(tt_writer_finish(&w, &reply_len, &e), 0);
        answer(f.header.command, action, reply, reply_len);
        if (fake->have_next_key) {
                memcpy(fake->key, fake->next_key, TTLOCK_KEY_SIZE);
                fake->have_next_key = false;
        }
}

/* ---- the radio --------------------------------------------------------------------------------- */

static int fake_connect(Radio *r, RadioConn *c, uint64_t timeout_usec) {
        Pending *p;

        if (!streq(radio_conn_address(c), FAKE_ADDRESS))
                return -ENODEV;
        ck_assert_ptr_null(current);
        fake->connects++;
        ttlock_reassembler_reset(&rx);
        current = c;
        p = pending_new(PENDING_READY, c);
        if (fake->refuse_connects > 0) {
                fake->refuse_connects--;
                p->error = -EHOSTUNREACH;
        }
        return 0;
}

static int fake_write(Radio *r, RadioConn *c, const uint8_t *data, size_t len, RadioWrite *w) {
        Pending *p;

        ck_assert_uint_le(len, 20);
        p = pending_new(PENDING_WRITE_DONE, c);
        p->write = w;
        if (!fake->connected) {
                p->error = -ENOTCONN;
                return 0;
        }
        fake->writes++;
        ttlock_reassembler_feed(&rx, data, len, on_request, NULL);
        return 0;
}

static void fake_disconnect(Radio *r, RadioConn *c) {
        fake->disconnects++;
        fake->connected = false;
        pending_new(PENDING_CLOSED, c);
}

static void fake_release(Radio *r, RadioConn *c) {
        pendings_drop(c);
        if (c != current)
                return;
        /* A connection given up while up (or on its way up) is taken down. */
        if (fake->connected) {
                fake->disconnects++;
                fake->connected = false;
        }
        current = NULL;
}

static const RadioOps fake_ops = {
        .connect = fake_connect,
        .write = fake_write,
        .disconnect = fake_disconnect,
        .release = fake_release,
};

/* ---- test side --------------------------------------------------------------------------------- */

void fake_appear(FakeLock *f) {
        radio_advert(f->radio, &(RadioAdvert){ .address = FAKE_ADDRESS, .have_rssi = true, .rssi = -60 });
}

void fake_vanish(FakeLock *f) {
        radio_device_lost(f->radio, FAKE_ADDRESS);
}

void fake_init(FakeLock *f, sd_event *event, FakeResponder respond, void *userdata) {
        *f = (FakeLock){ .event = event, .respond = respond, .userdata = userdata };
        memcpy(f->key, ttlock_default_key, TTLOCK_KEY_SIZE);
        fake = f;
        current = NULL;
        ttlock_reassembler_init(&rx);
        ck_assert_int_ge(radio_set_new(&(RadioSetCallbacks){}, NULL, &f->radios), 0);
        ck_assert_int_ge(radio_new(f->radios, RADIO_KIND_BLUEZ, "fake0", NULL, &fake_ops, f, &f->radio), 0);
        radio_set_available(f->radio, true);
        fake_appear(f);
}

void fake_done(FakeLock *f) {
        while (pendings)
                pending_free(pendings);
        radio_free(f->radio);
        f->radios = radio_set_free(f->radios);
        fake = NULL;
}

void fake_push(FakeLock *f, const uint8_t *plain, size_t len) {
        ck_assert_ptr_eq(f, fake);
        if (!current || !f->connected)
                return;
        /* Like any answer: a frame with command 'T' (§2.4), after what is already on its way. */
        answer(TTLOCK_CMD_SEARCH_BICYCLE_STATUS, FAKE_REPLY, plain, len);
}

void fake_drop(FakeLock *f) {
        if (!f->connected || !current)
                return;
        f->connected = false;
        pending_new(PENDING_CLOSED, current)->error = -ENOTCONN;
}

bool fake_run_until(FakeLock *f, const bool *flag, uint64_t timeout_usec) {
        uint64_t deadline = now_monotonic_usec() + timeout_usec;

        while (!(flag && *flag)) {
                uint64_t now = now_monotonic_usec();
                if (now >= deadline)
                        break;
                ck_assert_int_ge(sd_event_run(f->event, deadline - now), 0);
        }
        return flag && *flag;
}

void fake_run_for(FakeLock *f, uint64_t usec) {
        (void) fake_run_until(f, NULL, usec);
}
