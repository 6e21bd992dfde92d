/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A stand-in for src/daemon/bluez.c with one scripted TTLock behind it, so that link.c and the
 * operations (ops-*.c) run for real without a bus. It defines the bluez_* functions link.c calls:
 * a test that links it must not pull bluez.c in (use nothing that needs the Manager).
 *
 * Every BlueZ answer arrives later, from the event loop, like a D-Bus reply; its sd_bus_slot is a
 * real one (a filter on an unconnected bus) whose unref cancels the answer, as sd-bus does. The lock
 * reassembles what the link writes, decrypts it with its current key and asks the test's responder
 * what to do. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "bytes.h"
#include "crypto.h"
#include "link.h"

#define FAKE_DEVICE_PATH "/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
#define FAKE_MAX_COMMANDS 64

typedef enum FakeAction {
        FAKE_REPLY,  /* send what the responder wrote into w: [echo][status][data] */
        FAKE_EMPTY,  /* a frame without data (§2.4 L = 0) */
        FAKE_SILENT, /* no answer at all */
        FAKE_DROP,   /* the lock drops the connection instead of answering */
} FakeAction;

/* plain/len: the decrypted request data. Write the reply plaintext into w. */
typedef FakeAction (*FakeResponder)(
        uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata);

typedef struct FakeLock {
        sd_event *event;
        Link *link; /* where notifications and device changes go */

        bool connected;
        unsigned refuse_connects; /* the next N Connect() calls fail like a dormant lock's */
        unsigned bad_crc;         /* the next N answers have a broken CRC */
        unsigned connects, disconnects, writes;

        uint8_t key[TTLOCK_KEY_SIZE];
        bool have_next_key; /* applied after the current answer went out (GET_AES_KEY) */
        uint8_t next_key[TTLOCK_KEY_SIZE];

        uint8_t commands[FAKE_MAX_COMMANDS]; /* what the lock received, in order */
        size_t n_commands;
        uint8_t last_plain[256];
        size_t last_plain_len;

        FakeResponder respond;
        void *userdata;
} FakeLock;

/* Sets up the one fake lock (default key, disconnected) on event. */
void fake_init(FakeLock *f, sd_event *event, FakeResponder respond, void *userdata);
void fake_done(FakeLock *f);
/* The lock drops the connection now (BlueZ reports Connected=false from the event loop). */
void fake_drop(FakeLock *f);
/* Run the loop until *flag is true or timeout_usec passed; returns *flag. */
bool fake_run_until(FakeLock *f, const bool *flag, uint64_t timeout_usec);
/* Run the loop for a while (nothing to wait for). */
void fake_run_for(FakeLock *f, uint64_t usec);
