/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the lock model makes of the bolt, the door sensor and the records beyond "a record happened"
 * (lock-internal.h): a motor that did not get there (jammed, doc/protocol.md §4.6), the door
 * (§4.7), and the events that only the silence of the operation log can confirm (§7.5) — a re-lock
 * nobody logged is the auto-lock, a refused Lock()/Unlock() that left no record is signalled by
 * ttlockd itself. Each such event is archived like a record, with record type 0, so that it shows in
 * GetHistory() and is never signalled twice. */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "lock-error.h"
#include "lock-internal.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"
#include "time-util.h"

/* ---- small queries ----------------------------------------------------------------------------- */

bool lock_has_door_sensor(const Lock *l) {
        const LockRecord *r;

        assert(l);

        /* Unlike lock_has_feature(), unknown features mean no sensor: the bytes it would be read from
         * mean something else on other locks (§4.7). Records 30/31 count whatever the bits say. */
        r = l->record;
        return r && r->features.n_groups > 0 &&
                (ttlock_features_has(&r->features, TTLOCK_FEATURE_MAGNETOMETER) ||
                 ttlock_features_has(&r->features, TTLOCK_FEATURE_DOOR_SENSOR));
}

bool lock_door_open(const Lock *l) {
        assert(l);

        return l->door_open > 0;
}

bool lock_frozen(const Lock *l) {
        assert(l);

        return l->record && l->record->frozen > 0;
}

bool lock_passage_mode_active(const Lock *l) {
        assert(l);

        return l->record && l->record->passage_mode_active > 0;
}

uint32_t lock_door_left_open_seconds(const Lock *l) {
        assert(l);

        if (!l->record || l->record->door_left_open_seconds < 0)
                return LOCK_DOOR_LEFT_OPEN_DEFAULT_SEC;
        return (uint32_t) MIN(l->record->door_left_open_seconds, (int64_t) LOCK_DOOR_LEFT_OPEN_MAX_SEC);
}

/* ---- ttlockd's own events ---------------------------------------------------------------------- */

/* An event no record stands for (record type 0): archived and signalled once, identified by what it is
 * and when it was concluded, so that it can never pass for a record of the lock (whose identity
 * covers the record's own bytes, history.h). */
static void signal_own(Lock *l, TTLogEventKind kind, const char *method) {
        char raw[64];
        int n;
        HistoryRecord h = {
                .time_usec = now_realtime_usec(),
                .record_type = 0,
                .battery = l->battery,
                .kind = (char *) ttlock_log_event_kind_to_string(kind),
                .method = (char *) method,
        };

        if (!l->record)
                return;
        n = snprintf(raw, sizeof(raw), "ttlockd:%s:%" PRIu64, h.kind, h.time_usec);
        h.identity = history_record_identity(0, (const uint8_t *) raw, (size_t) MAX(n, 0));
        log_info("%s: %s (method %s), concluded by ttlockd.", l->address, h.kind, method);
        lock_signal(l, &h);
}

/* ---- jammed (§4.6) ----------------------------------------------------------------------------- */

bool lock_refusal_is_jam(uint8_t command, uint8_t lock_error) {
        /* Only the actuation itself, after its challenge passed: the lock tried and did not finish.
         * 0x13 is the lock's "failed without a reason", 0x21 "something in the way" (§4.4). Refusals
         * of keys, power, a frozen or double-locked lock are the lock saying no, not a stuck bolt. */
        if (command != TTLOCK_CMD_UNLOCK && command != TTLOCK_CMD_FUNCTION_LOCK)
                return false;
        return lock_error == TTLOCK_ERR_OPERATE_FAILED ||
                lock_error == TTLOCK_ERR_PARKING_LOCK_LOCKED_FAILED;
}

static void jam(Lock *l, uint64_t when_usec) {
        if (!l->jam_from)
                l->jam_from = l->bolt ?: "unknown";
        l->jam_usec = when_usec;
        if (!streq_ptr(l->state, "jammed")) {
                lock_set_state_now(l, "jammed");
                lock_save(l, "the lock's state");
        }
}

static void unjam(Lock *l, const char *state) {
        l->jam_from = NULL;
        l->jam_usec = 0;
        lock_set_state_now(l, state);
        lock_save(l, "the lock's state");
}

void lock_actuation_jammed(Lock *l, const char *method) {
        assert(l);

        log_warning("%s: the lock did not finish moving the bolt: jammed.", l->address);
        jam(l, now_realtime_usec());
        /* The read queued behind the call (lock_submit()) may bring the lock's own record of it. */
        l->infer_jam_method = method;
        l->log_saw_jammed = false;
        lock_events_settle_if_idle(l);
}

/* ---- the bolt ---------------------------------------------------------------------------------- */

static void infer_auto_lock(Lock *l, BoltSource source) {
        /* A re-lock is the auto-lock only on a lock that has it on (§7.5); whether the lock wrote a
         * record of it (type 45, §4.5), or of something else that locked it, the log tells. */
        if (!l->record || l->record->auto_lock_seconds <= 0)
                return;
        l->infer_auto_lock = true;
        /* Connected (a push): one exchange asks the log now. From an advert, a read starts only if the
         * new-records flag is up; lock_advert() decides at its end. */
        if (source == BOLT_FROM_PUSH && !l->log_op)
                lock_read_log(l);
}

void lock_bolt_observed(Lock *l, const char *bolt, BoltSource source) {
        const char *was;

        assert(l);
        assert(bolt);

        l->bolt = streq(bolt, "locked") ? "locked" : streq(bolt, "unlocked") ? "unlocked" : "unknown";
        if (streq(l->bolt, "unlocked"))
                l->log_saw_locked = false;

        if (l->jam_from) {
                /* Still where it was when it jammed: no news of the motor (§4.6). */
                if (source != BOLT_FROM_ACTUATION && streq(l->bolt, l->jam_from))
                        return;
                log_info("%s: the lock reports the bolt %s again.", l->address, l->bolt);
                unjam(l, l->bolt);
                return;
        }

        /* An advert that repeats what we know is no news (StateUpdatedUSec stays, Lock1.xml). */
        was = l->state;
        if (source == BOLT_FROM_ADVERT && streq_ptr(was, l->bolt))
                return;
        lock_set_state_now(l, l->bolt);
        if ((source == BOLT_FROM_ADVERT || source == BOLT_FROM_PUSH) && streq_ptr(was, "unlocked") &&
            streq(l->bolt, "locked"))
                infer_auto_lock(l, source);
}

/* ---- the door (§4.7) ---------------------------------------------------------------------------- */

static int on_door_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Lock *l = userdata;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (l->door_open <= 0 || l->door_left_open_signalled)
                return 0;
        l->door_left_open_signalled = true;
        signal_own(l, TTLOCK_LOG_EVENT_DOOR_LEFT_OPEN, "door-sensor");
        return 0;
}

static void door_disarm(Lock *l) {
        if (l->door_timer)
                (void) sd_event_source_set_enabled(l->door_timer, SD_EVENT_OFF);
}

/* The alarm goes off seconds after the door was seen opening, once per opening. */
static void door_arm(Lock *l) {
        uint32_t seconds = lock_door_left_open_seconds(l);
        uint64_t due, now = now_realtime_usec(), delay;
        int r;

        if (l->door_open <= 0 || l->door_left_open_signalled || seconds == 0) {
                door_disarm(l);
                return;
        }
        due = l->door_updated_usec + (uint64_t) seconds * USEC_PER_SEC;
        delay = due > now ? due - now : 0;
        if (!l->door_timer)
                r = sd_event_add_time_relative(
                        l->context->event, &l->door_timer, CLOCK_MONOTONIC, delay, 0, on_door_timer, l);
        else {
                r = sd_event_source_set_time_relative(l->door_timer, delay);
                if (r >= 0)
                        r = sd_event_source_set_enabled(l->door_timer, SD_EVENT_ONESHOT);
        }
        if (r < 0)
                log_warning_errno(r, "%s: cannot arm the door-left-open alarm: %m", l->address);
}

static void door_set(Lock *l, bool open, uint64_t when_usec) {
        bool changed = l->door_open != (int) open;

        l->door_open = open;
        l->door_updated_usec = MIN(when_usec, now_realtime_usec());
        if (l->record) {
                l->record->door_open = open;
                l->record->door_updated_usec = l->door_updated_usec;
        }
        /* As State and StateUpdatedUSec: the time moves with every observation, DoorOpen with a change. */
        lock_report(
                l,
                LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR_UPDATED) |
                        (changed ? LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR) : 0));
        if (!changed)
                return;
        lock_save(l, "the door's state");
        l->door_left_open_signalled = false;
        door_arm(l);
}

void lock_door_observed(Lock *l, bool open, uint64_t when_usec) {
        assert(l);

        door_set(l, open, when_usec);
}

void lock_door_restore(Lock *l) {
        assert(l);

        /* What was last known, until the lock tells more; the alarm starts with the next opening seen. */
        if (l->record && l->record->door_open >= 0) {
                l->door_open = l->record->door_open;
                l->door_updated_usec = l->record->door_updated_usec;
                l->door_left_open_signalled = true;
        }
}

void lock_door_done(Lock *l) {
        assert(l);

        l->door_timer = sd_event_source_disable_unref(l->door_timer);
}

int lock_set_door_left_open_seconds(Lock *l, uint32_t seconds) {
        int64_t old;
        int r;

        assert(l);

        if (!l->record)
                return -ENOKEY;
        if (seconds > LOCK_DOOR_LEFT_OPEN_MAX_SEC)
                return -ERANGE;
        old = l->record->door_left_open_seconds;
        l->record->door_left_open_seconds = seconds;
        r = store_save(l->context->store, l->record);
        if (r < 0) {
                /* What is not on disk is not kept either. */
                l->record->door_left_open_seconds = old;
                return r;
        }
        lock_report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR_LEFT_OPEN));
        door_arm(l);
        return 0;
}

/* ---- records ----------------------------------------------------------------------------------- */

void lock_events_annotate(Lock *l, const TTLogRecord *rec, HistoryRecord *h) {
        assert(l);
        assert(rec);
        assert(h);

        /* Records 65/66 do not say who ran the motor (§4.5); a jam we are waiting for does. */
        if (l->infer_jam_method && ttlock_log_type_event(rec->type).kind == TTLOCK_LOG_EVENT_JAMMED)
                h->method = (char *) l->infer_jam_method;
}

void lock_events_record(Lock *l, const TTLogRecord *rec, const HistoryRecord *h) {
        TTLogEventClass c;

        assert(l);
        assert(rec);
        assert(h);

        c = ttlock_log_type_event(rec->type);
        switch (c.kind) {
        case TTLOCK_LOG_EVENT_LOCKED:
        case TTLOCK_LOG_EVENT_UNLOCKED:
                l->log_saw_locked = c.kind == TTLOCK_LOG_EVENT_LOCKED;
                /* The motor moved after it jammed (records come in order, and have whole seconds): the
                 * bolt is where the lock last reported it. */
                if (l->jam_from && h->time_usec >= l->jam_usec)
                        unjam(l, l->bolt ?: "unknown");
                break;
        case TTLOCK_LOG_EVENT_JAMMED:
                l->log_saw_jammed = true;
                /* A record from before the last report of the bolt is history, not the state now; the
                 * lock's clock is right to within LOCK_CLOCK_TOLERANCE_SEC (the clock check). */
                if (h->time_usec + LOCK_CLOCK_TOLERANCE_SEC * USEC_PER_SEC >= l->state_updated_usec)
                        jam(l, h->time_usec);
                break;
        case TTLOCK_LOG_EVENT_DOOR_OPENED:
        case TTLOCK_LOG_EVENT_DOOR_CLOSED:
                door_set(l, c.kind == TTLOCK_LOG_EVENT_DOOR_OPENED, h->time_usec);
                break;
        case TTLOCK_LOG_EVENT_DOOR_LEFT_OPEN:
                /* The lock raised its own alarm (type 64): ours would say it again. */
                l->door_left_open_signalled = true;
                door_disarm(l);
                break;
        default:
                break;
        }
}

/* ---- what only the log's silence confirms (§7.5) ----------------------------------------------- */

static void settle(Lock *l) {
        if (l->infer_auto_lock) {
                l->infer_auto_lock = false;
                if (!l->log_saw_locked && streq_ptr(l->state, "locked"))
                        signal_own(l, TTLOCK_LOG_EVENT_LOCKED, "auto-lock");
        }
        if (l->infer_jam_method) {
                const char *method = l->infer_jam_method;

                l->infer_jam_method = NULL;
                if (!l->log_saw_jammed)
                        signal_own(l, TTLOCK_LOG_EVENT_JAMMED, method);
        }
}

void lock_events_log_settled(Lock *l, bool ok) {
        assert(l);

        /* A read that failed leaves the records unread; what we concluded is still signalled now rather
         * than never, as the lock may have logged nothing at all. */
        if (!ok)
                log_debug("%s: deciding without the log.", l->address);
        settle(l);
}

void lock_events_settle_if_idle(Lock *l) {
        assert(l);

        if (!l->log_op)
                settle(l);
}
