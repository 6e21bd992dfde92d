/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of the lock model share and no one else sees: lock.c (observations, the queue, the log
 * reader) and lock-events.c (what the records, the bolt and the door sensor mean beyond "a record":
 * jammed, the door, the auto-lock, and the events only the silence of the log confirms,
 * doc/protocol.md §4.6, §4.7, §7.5). */

#include <stdbool.h>
#include <stdint.h>

#include "history.h"
#include "lock.h"
#include "oplog.h"

/* ---- lock.c ------------------------------------------------------------------------------------ */

/* properties changed: tell the observer (LOCK_PROPERTY_BIT()s; 0 does nothing). */
void lock_report(Lock *l, uint64_t properties);
/* Write the key record (no-op when not paired); a failure is logged. */
void lock_save(Lock *l, const char *what);
/* Archive an event (history.h) and signal it once: a record of the operation log, or one ttlockd
 * concluded itself (record_type 0). */
void lock_signal(Lock *l, const HistoryRecord *h);
/* A read of the operation log, unless one is under way (then another follows it). */
void lock_read_log(Lock *l);

/* Set State to what the lock said (one of "locked", "unlocked", "unknown"); StateUpdatedUSec moves. */
void lock_set_state_now(Lock *l, const char *state);

/* ---- lock-events.c ------------------------------------------------------------------------------ */

typedef enum BoltSource {
        BOLT_FROM_ADVERT,    /* the advert's bolt bit (§6, §7.4 item 3) */
        BOLT_FROM_PUSH,      /* a 0x14 state push (§7.3) */
        BOLT_FROM_REPLY,     /* a 0x14 reply (Refresh) */
        BOLT_FROM_ACTUATION, /* our Lock()/Unlock() succeeded: the bolt moved */
} BoltSource;

/* The lock reported where the bolt is ("locked", "unlocked", "unknown"): State follows, unless it is
 * jammed and this is no news (§4.6); an unlocked → locked nobody asked for may be the auto-lock. */
void lock_bolt_observed(Lock *l, const char *bolt, BoltSource source);
/* Our Lock()/Unlock() was refused by the lock mid-way (§4.6): State=jammed now, the Event once the log
 * has been read (the lock's own record, or ours). */
void lock_actuation_jammed(Lock *l, const char *method);
/* The lock refused an actuation: was it a stuck motor? (the reply's error, §4.4, §4.6) */
bool lock_refusal_is_jam(uint8_t command, uint8_t lock_error);

/* A new record of the operation log, before it is archived and signalled: what ttlockd knows that the
 * record does not say (the lock's record of a jam that our own Lock()/Unlock() ran into is by "app"). */
void lock_events_annotate(Lock *l, const TTLogRecord *rec, HistoryRecord *h);
/* A new record of the operation log, archived and signalled already: what it means for State, the door
 * and pending inferences. */
void lock_events_record(Lock *l, const TTLogRecord *rec, const HistoryRecord *h);
/* The reads started so far are done (ok: without error): decide what only the log could tell. */
void lock_events_log_settled(Lock *l, bool ok);
/* Nothing will read the log for a while (no flag, no read under way): decide now. */
void lock_events_settle_if_idle(Lock *l);

/* The door sensor said open/closed (0x14 reply d[2], a push, §4.7) — not a record (those come through
 * lock_events_record()). */
void lock_door_observed(Lock *l, bool open, uint64_t when_usec);
/* Start-up: what was last known of the door; teardown: its timer. */
void lock_door_restore(Lock *l);
void lock_door_done(Lock *l);
