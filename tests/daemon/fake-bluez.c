/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bluez.h"
#include "command.h"
#include "fake-bluez.h"
#include "frame.h"
#include "pairing.h"
#include "reply.h"
#include "transport.h"

/* One pending answer: a BlueZ method reply (with the link's slot), a notification, or a device
 * change. Freed once it has fired and, for method replies, once the link let go of the slot. */
typedef enum PendingKind {
        PENDING_RESULT,
        PENDING_NOTIFY,
        PENDING_DEVICE,
} PendingKind;

typedef struct Pending {
        PendingKind kind;
        sd_event_source *source;
        sd_bus_slot *slot; /* PENDING_RESULT: owned by the link */
        bool slot_gone, firing, fired;
        BluezResult cb;
        void *userdata;
        int error;
        bool connects; /* a successful Connect(): the device is connected when the answer arrives */
        uint8_t data[TTLOCK_WIRE_MAX];
        size_t len;
} Pending;

static FakeLock *fake;
static sd_bus *slot_bus; /* unconnected: only a home for slots */
static TTReassembler rx;

static void pending_free(Pending *p) {
        sd_event_source_disable_unref(p->source);
        free(p);
}

static int on_slot_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return 0;
}

static void on_slot_destroy(void *userdata) {
        Pending *p = userdata;

        p->slot_gone = true;
        if (!p->firing)
                pending_free(p);
}

static void device_info(BluezDeviceInfo *ret) {
        *ret = (BluezDeviceInfo){
                .path = FAKE_DEVICE_PATH,
                .address = "AA:BB:CC:00:00:01",
                .connected = fake->connected,
                .services_resolved = fake->connected,
                .gatt_ready = fake->connected,
        };
}

static int on_pending(sd_event_source *s, void *userdata) {
        Pending *p = userdata;
        BluezDeviceInfo info;

        p->firing = true;
        switch (p->kind) {
        case PENDING_RESULT: {
                sd_bus_error e = SD_BUS_ERROR_NULL;

                if (p->connects && p->error == 0)
                        fake->connected = true;
                if (p->error < 0)
                        (void) sd_bus_error_set(
                                &e, "org.bluez.Error.Failed", "le-connection-abort-by-local");
                p->cb(NULL, FAKE_DEVICE_PATH, p->error, p->error < 0 ? &e : NULL, p->userdata);
                sd_bus_error_free(&e);
                break;
        }
        case PENDING_NOTIFY:
                if (fake->link && fake->connected)
                        link_notification(fake->link, p->data, p->len);
                break;
        case PENDING_DEVICE:
                device_info(&info);
                if (fake->link)
                        link_device_changed(fake->link, &info);
                break;
        }
        p->firing = false;
        p->fired = true;
        (void) sd_event_source_set_enabled(p->source, SD_EVENT_OFF);
        /* A method reply lives on until the link drops its slot (it may keep it a while). */
        if (p->kind != PENDING_RESULT || p->slot_gone)
                pending_free(p);
        return 0;
}

static Pending *pending_new(PendingKind kind) {
        Pending *p = calloc(1, sizeof(Pending));

        ck_assert_ptr_nonnull(p);
        p->kind = kind;
        ck_assert_int_ge(sd_event_add_defer(fake->event, &p->source, on_pending, p), 0);
        return p;
}

static int pending_result(BluezResult cb, void *userdata, int error, bool connects, sd_bus_slot **ret_slot) {
        Pending *p = pending_new(PENDING_RESULT);

        p->cb = cb;
        p->userdata = userdata;
        p->error = error;
        p->connects = connects;
        ck_assert_int_ge(sd_bus_add_filter(slot_bus, &p->slot, on_slot_filter, p), 0);
        ck_assert_int_ge(sd_bus_slot_set_destroy_callback(p->slot, on_slot_destroy), 0);
        *ret_slot = p->slot;
        return 0;
}

static void device_changed_later(void) {
        (void) pending_new(PENDING_DEVICE);
}

/* ---- the lock ---------------------------------------------------------------------------- */

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
        p = pending_new(PENDING_NOTIFY);
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

/* ---- what link.c calls ------------------------------------------------------------------- */

bool bluez_device_info(Bluez *b, const char *device_path, BluezDeviceInfo *ret) {
        if (!fake || strcmp(device_path, FAKE_DEVICE_PATH) != 0)
                return false;
        device_info(ret);
        return true;
}

int bluez_connect(
        Bluez *b,
        const char *device_path,
        uint64_t timeout_usec,
        BluezResult cb,
        void *userdata,
        sd_bus_slot **ret_slot) {
        fake->connects++;
        ttlock_reassembler_reset(&rx);
        if (fake->refuse_connects > 0) {
                fake->refuse_connects--;
                return pending_result(cb, userdata, -EIO, false, ret_slot);
        }
        return pending_result(cb, userdata, 0, true, ret_slot);
}

int bluez_disconnect(Bluez *b, const char *device_path) {
        fake->disconnects++;
        if (fake->connected) {
                fake->connected = false;
                device_changed_later();
        }
        return 0;
}

int bluez_start_notify(
        Bluez *b, const char *device_path, BluezResult cb, void *userdata, sd_bus_slot **ret_slot) {
        return pending_result(cb, userdata, fake->connected ? 0 : -ENOTCONN, false, ret_slot);
}

int bluez_write(
        Bluez *b,
        const char *device_path,
        const uint8_t *data,
        size_t len,
        BluezResult cb,
        void *userdata,
        sd_bus_slot **ret_slot) {
        ck_assert_uint_le(len, 20);
        if (!fake->connected)
                return pending_result(cb, userdata, -ENOTCONN, false, ret_slot);
        fake->writes++;
        ttlock_reassembler_feed(&rx, data, len, on_request, NULL);
        return pending_result(cb, userdata, 0, false, ret_slot);
}

/* ---- test side --------------------------------------------------------------------------- */

void fake_init(FakeLock *f, sd_event *event, FakeResponder respond, void *userdata) {
        *f = (FakeLock){ .event = event, .respond = respond, .userdata = userdata };
        memcpy(f->key, ttlock_default_key, TTLOCK_KEY_SIZE);
        fake = f;
        ttlock_reassembler_init(&rx);
        if (!slot_bus)
                ck_assert_int_ge(sd_bus_new(&slot_bus), 0);
}

void fake_done(FakeLock *f) {
        /* Flush what is still pending (the link is gone: nothing is delivered to it). */
        f->link = NULL;
        fake_run_for(f, 1000);
        fake = NULL;
        slot_bus = sd_bus_unref(slot_bus);
}

void fake_drop(FakeLock *f) {
        if (!f->connected)
                return;
        f->connected = false;
        device_changed_later();
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

bool fake_run_until(FakeLock *f, const bool *flag, uint64_t timeout_usec) {
        uint64_t deadline = now_usec() + timeout_usec;

        while (!(flag && *flag)) {
                uint64_t now = now_usec();
                if (now >= deadline)
                        break;
                ck_assert_int_ge(sd_event_run(f->event, deadline - now), 0);
        }
        return flag && *flag;
}

void fake_run_for(FakeLock *f, uint64_t usec) {
        (void) fake_run_until(f, NULL, usec);
}
