/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A radio backend (radio.h) with one scripted TTLock behind it, so that link.c and the operations
 * (ops-*.c) run for real without a bus: the second backend the radio interface was made for, proving
 * that the link needs nothing of BlueZ.
 *
 * Every answer of the radio arrives later, from the event loop, as a real one would; freeing the
 * connection cancels what is still on its way. The lock reassembles what the link writes, decrypts it
 * with its current key and asks the test's responder what to do. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "bytes.h"
#include "crypto.h"
#include "link.h"
#include "radio.h"

#define FAKE_ADDRESS "AA:BB:CC:00:00:01"
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
        RadioSet *radios; /* the link's: one radio, "fake0", that lists the lock */
        Radio *radio;

        bool connected;
        unsigned refuse_connects; /* the next N connects fail like a dormant lock's */
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

/* Sets up the radio and the one fake lock (default key, disconnected, heard by the radio) on event. */
void fake_init(FakeLock *f, sd_event *event, FakeResponder respond, void *userdata);
/* After the link is gone. */
void fake_done(FakeLock *f);
/* The lock drops the connection now (the radio reports it from the event loop). */
void fake_drop(FakeLock *f);
/* The radio no longer lists the lock / hears it again (a link waiting for it must be told, as the lock
 * model does: link_device_seen()). */
void fake_vanish(FakeLock *f);
void fake_appear(FakeLock *f);
/* The lock sends a frame nobody asked for (a 0x14 push, doc/protocol.md §7.3): plain is its plaintext,
 * [echo][status][data]. Nothing happens when no connection is up. */
void fake_push(FakeLock *f, const uint8_t *plain, size_t len);
/* Run the loop until *flag is true or timeout_usec passed; returns *flag. */
bool fake_run_until(FakeLock *f, const bool *flag, uint64_t timeout_usec);
/* Run the loop for a while (nothing to wait for). */
void fake_run_for(FakeLock *f, uint64_t usec);
