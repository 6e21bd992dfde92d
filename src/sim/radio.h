/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's radio habits (doc/protocol.md §9.2, §1.5, §6): it advertises only while nobody is
 * connected; a touch wakes it for a while (touch flag; a factory-fresh lock advertises setting
 * mode, and is visible at all, only then); after a quiet spell it turns dormant (flag 0x10, bolt bit
 * cleared, connections refused) until touched again; it drops an idle link after a few seconds.
 * Each lock has at most one timer, armed only while something is pending, so idle locks cost
 * nothing. */

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

uint8_t radio_advert_flags(SimLock *l);
bool radio_advertising(SimLock *l);
bool radio_connectable(SimLock *l);

/* A person touched the lock (keypad, card, finger, knob, Sim1.Wake). */
void radio_touch(SimLock *l);
/* Traffic on the link: postpones dormancy and the idle drop. */
void radio_activity(SimLock *l);
/* Recompute awake/dormant, publish Sim1 changes and re-arm the lock's timer. */
void radio_update(SimLock *l);

/* Queue a complete frame (with 0D 0A) for notification after the exchange latency. */
void radio_send(SimLock *l, const uint8_t *wire, size_t len);
void radio_flush_discard(SimLock *l);

/* The link ends from the lock's side (idle, reset, fault), whichever radio holds it. */
void radio_link_drop(SimLock *l, const char *why);

void radio_free(SimLock *l);
