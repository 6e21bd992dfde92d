/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's protocol state machine: request frames in (reassembled from 0xFFF2 writes), reply and
 * push frames out (through radio.c's latency queue), on the codecs of src/proto. doc/protocol.md §4, §5
 * and §7.3 are the specification; the man page lists the error codes chosen where §4.4 leaves a
 * choice. */

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

int lock_setup(SimLock *l, size_t slots);
void lock_free(SimLock *l);

void lock_connected(SimLock *l);
void lock_disconnected(SimLock *l);
void lock_receive(SimLock *l, const uint8_t *data, size_t len);
/* Bytes the lock notifies as they are, in ≤ 20-byte notifications (Sim1.Notify): garbage on purpose. */
void lock_send_raw(SimLock *l, const uint8_t *data, size_t len);
/* The auto-lock timer ran out (§5.3: re-locks without a log record). */
void lock_auto_lock(SimLock *l);
/* A card or fingerprint enrolment waited --enrol-timeout-seconds in vain: the failure reply. */
void lock_enrol_expired(SimLock *l);
/* The lock's one timer fired (radio.c): an enrolment that waited too long, the auto-lock. */
void lock_timer_due(SimLock *l, uint64_t now);

/* The person at the door (Sim1). Return 0, -EPERM when the lock refused (the log says why), or
 * -EACCES when a good credential was refused because the lock is double-locked (§4.4 0x1E). */
int lock_keypad(SimLock *l, const char *code);
int lock_card(SimLock *l, uint64_t number);
int lock_finger(SimLock *l, uint64_t id);
void lock_knob(SimLock *l, bool locked);
/* The door opens or closes (doc/protocol.md §4.7): -EOPNOTSUPP on a lock without a door sensor. */
int lock_door(SimLock *l, bool open);
bool lock_has_door_sensor(const SimLock *l);
/* Back to factory state: no admin, no credentials, setting mode once woken. */
void lock_factory_reset(SimLock *l);
void lock_set_battery(SimLock *l, uint8_t battery);

/* Something the state file keeps changed. */
void lock_changed(SimLock *l);
