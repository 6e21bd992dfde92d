/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "command.h"
#include "cred-record.h"
#include "credentials.h"
#include "lock-internal.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"
#include "time-util.h"

/* Adverts read 100 % for a moment after a BLE session ends (doc/protocol.md §6): upward jumps within
 * this window after a disconnect are not believed. */
#define BATTERY_DEBOUNCE_USEC (15 * USEC_PER_SEC)
/* LastSeenUSec moves with every advert (several a second while scanning with duplicates): it is
 * reported when it moved by this much, or along with any other change (dbus/org.ttlock.Lock1.xml). */
#define LAST_SEEN_REPORT_USEC (1 * USEC_PER_SEC)
/* A flag that stays up although a read found nothing new (a confused lock, or a neighbour spoofing its
 * adverts) must not make us connect every few seconds and drain the lock's battery: after each such
 * read the next one waits twice as long, from 10 s up to 10 min. A check of provisional keys that
 * could not tell backs off the same way, from 5 s. */
void lock_timing_default(LockTiming *ret) {
        *ret = (LockTiming){
                .log_flag_grace_usec = 2 * USEC_PER_SEC,
                .log_backoff_min_usec = 10 * USEC_PER_SEC,
                .log_backoff_max_usec = 10 * USEC_PER_MINUTE,
                .verify_backoff_min_usec = 5 * USEC_PER_SEC,
                .verify_backoff_max_usec = 10 * USEC_PER_MINUTE,
        };
}

static uint64_t backoff_usec(unsigned failures, uint64_t min, uint64_t max) {
        uint64_t v = min;

        for (unsigned i = 1; i < failures && v < max; i++)
                v *= 2;
        return MIN(v, max);
}

struct LockCall {
        Lock *lock;
        LockRequestKind kind;
        AccessAction access;
        CredAction cred_action;
        SettingsRequest *settings; /* SETTINGS: the request, for applying what succeeded */
        CredRequest *credentials;  /* CREDENTIALS: likewise (cred-record.h) */
        bool internal;             /* the automatic clock check: nobody waits for it */
        bool keys_saved;           /* PAIR: the new keys went to disk (provisional) */
        LockRecord *record;        /* IMPORT: the keys being proven */
        bool retried;              /* ACCESS: tried once more after a lost connection */
        union {
                AccessOp *access;
                PairOp *pair;
                ResetOp *reset;
                CredOp *credentials;
                SettingsOp *settings;
                VerifyOp *verify;
        } op;
        sd_event_source *deadline;
        LockCallDone done;
        void *userdata;
        LockCall *prev, *next;
};

static const char *const state_names[] = {
        "locked", "unlocked", "locking", "unlocking", "jammed", "unknown"
};

static const char *state_intern(const char *s) {
        for (size_t i = 0; s && i < ELEMENTSOF(state_names); i++)
                if (streq(s, state_names[i]))
                        return state_names[i];
        return "unknown";
}

static const char *state_from_lock(TTLockState s) {
        return s == TTLOCK_STATE_LOCKED ? "locked" : s == TTLOCK_STATE_UNLOCKED ? "unlocked" : "unknown";
}

static void start_pair_finish(Lock *l);

static int on_settle(sd_event_source *s, void *userdata) {
        Lock *l = userdata;

        /* Calls are over: what pairing left undone may use the connection now (§5.6). */
        start_pair_finish(l);
        if (l->context->settled)
                l->context->settled(l, l->context->owner);
        return 0;
}

/* Tell the owner, from the event loop, that something ended: whoever is on the stack now (a method
 * handler answering, a reply handler of the link) finishes before the owner may drop the lock. */
static void settle(Lock *l) {
        int r;

        if (!l->settle_source) {
                r = sd_event_add_defer(l->context->event, &l->settle_source, on_settle, l);
                if (r < 0) {
                        log_warning_errno(r, "%s: cannot schedule a check: %m", l->address);
                        return;
                }
        }
        (void) sd_event_source_set_enabled(l->settle_source, SD_EVENT_ONESHOT);
}

/* ---- what the observer hears ------------------------------------------------------------------- */

/* A paired lock's battery goes to the radios that show it to the rest of the system (BlueZ's battery
 * providers, so that UPower lists the lock); a lock that is not paired has none there. */
static void publish_battery(Lock *l) {
        if (l->context->radios)
                radio_set_battery(l->context->radios, l->address, l->record ? l->battery : -1);
}

static void report(Lock *l, uint64_t properties) {
        if (properties == 0)
                return;
        if (properties & (LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRED) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_BATTERY)))
                publish_battery(l);
        /* A LastSeenUSec held back by the rate limit rides along with whatever changes next. */
        if (l->last_seen_usec != l->last_seen_reported_usec) {
                properties |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_LAST_SEEN);
                l->last_seen_reported_usec = l->last_seen_usec;
        }
        if (l->observer && l->observer->changed)
                l->observer->changed(l, properties, l->observer_data);
}

static void report_enrollment(
        Lock *l, const char *kind, const char *status, unsigned done, unsigned total, const char *id) {
        LockEnrollmentStatus s = {
                .kind = kind, .status = status, .done = done, .total = total, .id = strempty_or(id)
        };

        if (l->observer && l->observer->enrollment)
                l->observer->enrollment(l, &s, l->observer_data);
}

void lock_set_observer(Lock *l, const LockObserver *observer, void *userdata) {
        assert(l);

        l->observer = observer;
        l->observer_data = userdata;
}

/* ---- observations ------------------------------------------------------------------------------ */

static void save(Lock *l, const char *what) {
        int r;

        if (!l->record)
                return;
        r = store_save(l->context->store, l->record);
        if (r < 0)
                log_warning_errno(r, "%s: cannot save %s: %m", l->address, what);
}

/* State is only ever set from what the lock said (advert, push, reply, and the records of a stuck motor,
 * lock-events.c); when is recorded. */
void lock_set_state_now(Lock *l, const char *state) {
        bool changed = !streq_ptr(l->state, state);

        l->state = state_intern(state);
        l->state_updated_usec = now_realtime_usec();
        if (l->record) {
                (void) lock_record_set_string(&l->record->state, l->state);
                l->record->state_updated_usec = l->state_updated_usec;
        }
        report(l,
               LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE_UPDATED) |
                       (changed ? LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE) : 0));
}

void lock_report(Lock *l, uint64_t properties) {
        report(l, properties);
}

void lock_save(Lock *l, const char *what) {
        save(l, what);
}

static void set_battery(Lock *l, int battery) {
        if (battery < 0 || battery > 100 || battery == l->battery)
                return;
        l->battery = battery;
        if (l->record)
                l->record->battery = battery;
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_BATTERY));
}

bool lock_has_feature(const Lock *l, unsigned bit) {
        assert(l);

        return !l->record || l->record->features.n_groups == 0 ||
                ttlock_features_has(&l->record->features, bit);
}

const char *lock_alias(const Lock *l) {
        assert(l);

        /* Like BlueZ's Device1.Alias: the user's name, else the advertised one. */
        if (l->record && l->record->alias)
                return l->record->alias;
        return strempty_or(l->name);
}

const char *lock_role(const Lock *l) {
        const LockRecord *r;

        assert(l);

        r = l->record ?: l->provisional;
        return r ? lock_role_to_string(r->role) : "";
}

bool lock_is_user(const Lock *l) {
        assert(l);

        return l->record && l->record->role == LOCK_ROLE_USER;
}

/* The lock's wall clock as µs since the epoch (§4.2): an eKey's lock keeps its admin's zone when the
 * lockData named it (store.h "time-zone-offset-seconds"), every other lock the host's local time, which
 * ttlockd sets it to. */
static uint64_t lock_time_to_usec(const Lock *l, const TTDateTime *t) {
        if (l->record && l->record->role == LOCK_ROLE_USER && l->record->has_time_zone)
                return op_lock_time_to_usec_in_zone(t, l->record->time_zone_offset_sec);
        return op_lock_time_to_usec(t);
}

/* ---- events from the operation log ------------------------------------------------------------- */

/* What identifies the credential of a record, never a passcode's digits (dbus/org.ttlock.Lock1.xml
 * Event): a card number, a fingerprint id, or the passcode's alias if the user gave it one. */
static void record_credential(Lock *l, const TTLogRecord *rec, char *buf, size_t size) {
        const char *alias;

        buf[0] = 0;
        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_CARD:
                (void) ttlock_card_number_format(rec->card.number, buf);
                break;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                snprintf(buf, size, "%" PRIu64, rec->fingerprint.id);
                break;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                alias = l->record ? lock_record_get_credential_alias(
                                            l->record, "passcode", rec->passcode_pair.original.code)
                                  : NULL;
                if (alias)
                        snprintf(buf, size, "%s", alias);
                break;
        default:
                break;
        }
}

/* The alias the user gave the credential of a record (Event "alias"): who it was, for automations,
 * when the lock only knows a card number or a fingerprint id. */
static const char *record_alias(Lock *l, const TTLogRecord *rec) {
        char id[TTLOCK_CARD_NUMBER_STRLEN];

        if (!l->record)
                return NULL;
        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_CARD:
                return lock_record_get_credential_alias(
                        l->record, "ic-card", ttlock_card_number_format(rec->card.number, id));
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                snprintf(id, sizeof(id), "%" PRIu64, rec->fingerprint.id);
                return lock_record_get_credential_alias(l->record, "fingerprint", id);
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                return lock_record_get_credential_alias(
                        l->record, "passcode", rec->passcode_pair.original.code);
        default:
                return NULL;
        }
}

static void start_log_read(Lock *l);
static void start_verify(Lock *l);
static void withdraw_keys(Lock *l, const char *why);

/* Archive first: a record that is on disk is never reported again, also after a restart; a record that
 * could not be archived is still reported now. Returns false when the archive had it already. */
static bool archive_and_signal(Lock *l, const HistoryRecord *h) {
        int r;

        r = l->history ? history_append(l->history, h) : 1;
        if (r == 0)
                return false;
        if (r < 0)
                log_warning_errno(r, "%s: cannot archive an event: %m", l->address);
        if (l->observer && l->observer->event)
                l->observer->event(l, h, l->observer_data);
        return true;
}

void lock_signal(Lock *l, const HistoryRecord *h) {
        assert(l);
        assert(h);

        (void) archive_and_signal(l, h);
}

/* The records of one page, as soon as it arrived (ops-log.h): each new one archived, signalled and
 * interpreted now, so that its Event goes out one exchange after the read began (doc/protocol.md
 * §7.5), whatever pages follow. */
static void on_log_page(const LogEntry *entries, size_t n, void *userdata) {
        Lock *l = userdata;

        for (size_t i = 0; i < n && l->record; i++) {
                const LogEntry *e = &entries[i];
                TTLogEventClass c = ttlock_log_type_event(e->record.type);
                char credential[HISTORY_STRING_MAX];
                HistoryRecord h;

                if (l->history && history_contains(l->history, e->identity))
                        continue;
                record_credential(l, &e->record, credential, sizeof(credential));
                h = (HistoryRecord){
                        .time_usec = lock_time_to_usec(l, &e->record.date),
                        .identity = e->identity,
                        .record_type = e->record.type,
                        .battery = e->record.battery <= 100 ? e->record.battery : -1,
                        .kind = (char *) ttlock_log_event_kind_to_string(c.kind),
                        .method = (char *) ttlock_log_method_to_string(c.method),
                        .credential = credential,
                        .alias = (char *) record_alias(l, &e->record),
                };
                lock_events_annotate(l, &e->record, &h);
                if (!archive_and_signal(l, &h))
                        continue;
                l->record->has_log_cursor = true;
                l->record->log_cursor_identity = e->identity;
                l->record->log_cursor_time_usec = h.time_usec;
                l->log_n_new++;
                lock_events_record(l, &e->record, &h);
        }
}

static void on_log_read(const LogReadResult *res, void *userdata) {
        Lock *l = userdata;
        size_t n_new = l->log_n_new;

        l->log_op = NULL;
        l->log_n_new = 0;
        l->log_read_done_usec = now_realtime_usec();
        if (res->status.error < 0) {
                log_warning(
                        "%s: reading the operation log failed (%d) after %zu record(s).",
                        l->address,
                        res->status.error,
                        res->n_entries);
                link_health_note(
                        &l->health,
                        "log read",
                        res->status.error,
                        res->status.command,
                        res->status.lock_error);
        }
        if (res->have_resume) {
                l->have_log_resume = true;
                l->log_resume_sequence = res->resume_sequence;
        }
        /* Where the records received end, also when all of them were archived already (a catch-up
         * read of the whole log): a restart then reads on from there, not the whole log again. */
        if (res->have_resume && l->record &&
            (!l->record->has_log_sequence || l->record->log_sequence != res->resume_sequence)) {
                l->record->has_log_sequence = true;
                l->record->log_sequence = res->resume_sequence;
                if (n_new == 0)
                        save(l, "the log cursor");
        }
        if (n_new > 0) {
                save(l, "the log cursor");
                log_debug("%s: %zu new log record(s).", l->address, n_new);
                l->log_empty_reads = 0;
                l->log_not_before_usec = 0;
        } else if (res->status.error >= 0 && l->log_read_for_advert && !res->more) {
                uint64_t wait;

                l->log_empty_reads++;
                wait = backoff_usec(l->log_empty_reads, l->context->timing.log_backoff_min_usec,
                                    l->context->timing.log_backoff_max_usec);
                l->log_not_before_usec = now_monotonic_usec() + wait;
                log_full(l->log_empty_reads == 1 ? LOG_INFO : LOG_DEBUG,
                         "%s: the new-records flag is up but the log has nothing new; next read in %" PRIu64
                         " ms at the earliest.",
                         l->address, wait / USEC_PER_MSEC);
        }
        if (res->status.error < 0) {
                /* The lock may have handed out a page whose answer was lost with the link: it counts those
                 * records as read and lowers its flag (§7.1), so nothing but us remembers them. Read again
                 * from where the records we got end, at the next advert whatever its flag says; a lock
                 * whose reads keep failing is not connected to at every advert. A read that never got a
                 * connection is link health's to space out (link-health.h, BackoffSec=), not counted
                 * here. */
                l->log_catch_up = l->log_retry = true;
                if (res->status.command != 0)
                        l->log_failed_reads++;
                if (res->status.command != 0 && l->log_failed_reads > 1)
                        l->log_not_before_usec = now_monotonic_usec() +
                                backoff_usec(l->log_failed_reads - 1,
                                             l->context->timing.log_backoff_min_usec,
                                             l->context->timing.log_backoff_max_usec);
        } else {
                l->log_failed_reads = 0;
                l->log_retry = false;
                /* A catch-up read that gave way to queued work goes on from where it stopped. */
                l->log_catch_up = l->log_catch_up && res->more;
        }
        l->log_read_for_advert = false;
        /* It gave way to queued work (ops-log.h): the rest of the log after it. */
        if (res->more)
                l->log_again = true;
        if (l->log_again && l->record) {
                l->log_again = false;
                start_log_read(l);
        }
        /* The last read of a run: what the log did not explain is decided now (§7.5). */
        if (!l->log_op)
                lock_events_log_settled(l, res->status.error >= 0);
        settle(l);
}

/* The log needs no login (§4.3 GET_OPERATE_LOG): an eKey reads it whole, every record of every key, card,
 * fingerprint and passcode, as the admin does (doc/lockdata.md §4), so the reader is the same for both
 * roles; who may see card numbers and fingerprint ids on the bus is decided there (Event details). */
static void start_log_read(Lock *l) {
        OpKeys keys;
        int r;

        if (!l->record)
                return;
        l->log_read_for_advert = l->log_reading_for_advert;
        if (l->log_op) {
                /* New records may have been written after the page that is being read. */
                l->log_again = true;
                return;
        }
        op_keys_from_record(&keys, l->record);
        l->log_n_new = 0;
        r = log_read_op_start_full(
                l->link,
                &keys,
                l->log_catch_up && l->have_log_resume ? l->log_resume_sequence : TTLOCK_LOG_NEW_RECORDS,
                on_log_page,
                on_log_read,
                l,
                &l->log_op);
        op_keys_wipe(&keys);
        if (r < 0) {
                l->log_op = NULL;
                log_warning_errno(r, "%s: cannot start reading the operation log: %m", l->address);
        }
}

void lock_read_log(Lock *l) {
        assert(l);

        l->log_reading_for_advert = false;
        start_log_read(l);
}

static int open_history(Lock *l) {
        int r;

        if (l->history)
                return 0;
        r = history_open(store_locks_dir_fd(l->context->store), l->address, 0, &l->history);
        if (r < 0)
                return log_warning_errno(r, "%s: cannot open the event archive: %m", l->address);
        return 0;
}

/* ---- the link ---------------------------------------------------------------------------------- */

static void start_clock_check(Lock *l);

static void on_push(Link *link, const TTReply *push, void *userdata) {
        Lock *l = userdata;
        TTStatusPush p;

        /* §7.3: unsolicited 0x14 frames; anything else is a stray. */
        if (push->command != TTLOCK_CMD_SEARCH_BICYCLE_STATUS || !push->success)
                return;
        if (ttlock_status_push_decode(push->data, push->data_len, &p, NULL) < 0)
                return;
        set_battery(l, p.battery);
        if (p.kind == TTLOCK_PUSH_STATE) {
                /* §4.7: on a lock with a door sensor the third byte is the sensor, as d[2] of the reply. */
                if (p.has_flag && lock_has_door_sensor(l) && p.flag <= 1)
                        lock_door_observed(l, p.flag == 1, now_realtime_usec());
                if (p.state != TTLOCK_STATE_UNKNOWN && !l->state_before_actuation)
                        lock_bolt_observed(l, state_from_lock(p.state), BOLT_FROM_PUSH);
        } else
                /* A log record was written while we are connected (keypad, card, knob…). */
                lock_read_log(l);
}

static void on_connected_changed(Link *link, bool connected, void *userdata) {
        Lock *l = userdata;

        if (l->connected == connected)
                return;
        l->connected = connected;
        link_health_connected(&l->health, connected);
        if (!connected) {
                l->disconnected_usec = now_realtime_usec();
                /* A session (pairing, a log read, enrolment) is over and its buffers are freed; hand the
                 * heap's free pages back, since the daemon may now idle for days. */
                (void) malloc_trim(0);
        }
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_CONNECTED));
        if (connected) {
                start_clock_check(l);
                l->pair_finish_stopped = false; /* each connection may finish the pairing (§5.6) */
                start_pair_finish(l);
        }
}

/* ---- the radios -------------------------------------------------------------------------------- */

void lock_advert(Lock *l, const RadioAdvert *a) {
        uint64_t changed = 0;
        bool flag_read, retry_read;
        TTAdvert ad;

        assert(l);

        l->seen = true;
        if (a->name && !streq_ptr(l->name, a->name) && strdup_replace(&l->name, a->name) > 0)
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_NAME) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS);
        if (a->have_rssi && a->rssi != l->rssi) {
                l->rssi = a->rssi;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_RSSI);
        }
        report(l, changed);

        /* Work waiting for the lock to be seen goes now — if a radio that may carry it heard it (one
         * that is not the lock's pinned radio leaves the wait to run out: Unreachable). */
        if (radio_set_knows(l->context->radios, l->address))
                link_device_seen(l->link);

        if (!a->fresh || !a->have_mfr ||
            ttlock_advert_parse_bluez(a->mfr_key, a->mfr, a->mfr_len, &ad, NULL) < 0)
                return;

        /* An advert: the lock is here now. */
        l->last_seen_usec = now_realtime_usec();
        link_health_heard(&l->health);
        if (l->last_seen_usec - l->last_seen_reported_usec >= LAST_SEEN_REPORT_USEC)
                report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_LAST_SEEN));

        if (ad.setting_mode != l->pairable) {
                l->pairable = ad.setting_mode;
                report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRABLE));
        }

        /* §6: battery; right after a session adverts read 100 for a moment — not believed. */
        if (!(l->battery >= 0 && ad.battery > l->battery && l->disconnected_usec > 0 &&
              l->last_seen_usec - l->disconnected_usec < BATTERY_DEBOUNCE_USEC))
                set_battery(l, ad.battery);

        /* §7.4 item 3: the bolt bit, unless dormant (then the lock has cleared it). The lock does not
         * advertise while connected (§9.2), so an advert is news from after our last command; while an
         * actuation is in flight its reply decides. StateUpdatedUSec moves when the observation differs
         * from what we had, not with every advert. */
        if (!ad.dormant) {
                const char *s = ad.unlocked ? "unlocked" : "locked";

                if (!l->state_before_actuation && (!streq_ptr(l->state, s) || !streq_ptr(l->bolt, s)))
                        lock_bolt_observed(l, s, BOLT_FROM_ADVERT);
        }

        /* §7.1/§7.4 item 2: new operation-log records — read them on the rising edge. An edge can hide
         * between two adverts (a record written while we read, or while the lock was not advertising),
         * so a flag still up a while after our last read also starts one; a read whose pages were
         * already fetched only costs an empty page. */
        flag_read = ad.new_events &&
                (!l->advert_new_events || l->log_deferred ||
                 (!l->log_op &&
                  l->last_seen_usec - l->log_read_done_usec > l->context->timing.log_flag_grace_usec));
        /* A read that failed is done again from where the records read end (on_log_read()), flag or
         * not. */
        retry_read = l->log_retry && !l->log_op &&
                l->last_seen_usec - l->log_read_done_usec > l->context->timing.log_flag_grace_usec;
        if (flag_read || retry_read) {
                if (now_monotonic_usec() < l->log_not_before_usec || !link_health_may_connect(&l->health)) {
                        /* Backing off (lock_timing_default(), or after failed connects, link-health.h):
                         * read when the wait is over, if still up. */
                        if (flag_read)
                                l->log_deferred = true;
                } else {
                        l->log_deferred = false;
                        l->log_reading_for_advert = flag_read;
                        start_log_read(l);
                        l->log_reading_for_advert = false;
                }
        }
        l->advert_new_events = ad.new_events;
        /* A re-lock that no read is coming to explain is the auto-lock (§7.5). */
        lock_events_settle_if_idle(l);

        /* Keys whose ADD_ADMIN outcome was lost: a lock heard in setting mode has no admin (§5.1), any
         * other is asked with an admin login. */
        if (l->provisional) {
                /* Never on a remembered advert: it may be from before ADD_ADMIN. */
                if (ad.setting_mode && !a->cached)
                        withdraw_keys(l, "the lock is in setting mode, so it has no admin of ours");
                else
                        start_verify(l);
        }

        if (!l->record)
                settle(l);
}

void lock_device_lost(Lock *l) {
        uint64_t changed = 0;

        assert(l);

        l->seen = false;
        l->advert_new_events = false;
        link_health_lost(&l->health);
        if (l->pairable) {
                l->pairable = false;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRABLE);
        }
        report(l, changed);
        settle(l);
}

/* ---- calls ------------------------------------------------------------------------------------- */

static bool call_is_actuation(const LockCall *c) {
        return c->kind == LOCK_REQUEST_ACCESS && c->access != ACCESS_REFRESH;
}

static bool actuation_in_flight(const Lock *l) {
        for (LockCall *c = l->calls; c; c = c->next)
                if (call_is_actuation(c))
                        return true;
        return false;
}

static bool kind_in_flight(const Lock *l, LockRequestKind kind) {
        for (LockCall *c = l->calls; c; c = c->next)
                if (c->kind == kind)
                        return true;
        return false;
}

static void call_stop_op(LockCall *c) {
        switch (c->kind) {
        case LOCK_REQUEST_ACCESS:
                access_op_cancel(c->op.access);
                break;
        case LOCK_REQUEST_PAIR:
                pair_op_cancel(c->op.pair);
                break;
        case LOCK_REQUEST_RESET:
                reset_op_cancel(c->op.reset);
                break;
        case LOCK_REQUEST_CREDENTIALS:
                cred_op_cancel(c->op.credentials);
                break;
        case LOCK_REQUEST_SETTINGS:
                settings_op_cancel(c->op.settings);
                break;
        case LOCK_REQUEST_IMPORT:
                verify_op_cancel(c->op.verify);
                break;
        }
        memset(&c->op, 0, sizeof(c->op));
}

static void call_free(LockCall *c) {
        Lock *l = c->lock;

        if (c->prev)
                c->prev->next = c->next;
        else if (l->calls == c)
                l->calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        l->n_calls--;
        if (l->enrollment == c)
                l->enrollment = NULL;
        if (c->internal)
                l->clock_check_running = false;
        sd_event_source_disable_unref(c->deadline);
        if (c->settings) {
                erase_memory(c->settings, sizeof(*c->settings));
                free(c->settings);
        }
        if (c->credentials) {
                erase_memory(c->credentials, sizeof(*c->credentials)); /* passcodes */
                free(c->credentials);
        }
        lock_record_free(c->record);
        free(c);
}

static const char *call_name(const LockCall *c);
static void call_health(Lock *l, const LockCall *c, LockOutcome *o);

/* The call is over: its caller hears the outcome (unless it is gone), and the call goes. */
static void call_complete(LockCall *c, const LockOutcome *o) {
        Lock *l = c->lock;
        LockCallDone done = c->done;
        void *userdata = c->userdata;
        LockOutcome told = *o;

        call_health(l, c, &told);
        call_free(c);
        if (done)
                done(l, &told, userdata);
}

static const char *enrollment_kind(const LockCall *c) {
        return c->cred_action == CRED_CARD_ENROL ? "ic-card" : "fingerprint";
}

void lock_abort(Lock *l, const char *why) {
        LockOutcome o = {};

        assert(l);

        (void) op_refuse(&o.status, OP_REFUSAL_CANCELLED, -ECANCELED, why);
        while (l->calls) {
                LockCall *c = l->calls;

                call_stop_op(c);
                if (c == l->enrollment)
                        report_enrollment(l, enrollment_kind(c), "cancelled", 0, 0, "");
                call_complete(c, &o);
        }
        if (l->state_before_actuation) {
                l->state = l->state_before_actuation;
                l->state_before_actuation = NULL;
                report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE));
        }
        if (l->log_op) {
                log_read_op_cancel(l->log_op);
                l->log_op = NULL;
        }
        l->log_again = false;
        verify_op_cancel(TAKE_PTR(l->verify_op));
        pair_op_cancel(TAKE_PTR(l->pair_finish_op));
}

/* ---- access: Lock, Unlock, Refresh ------------------------------------------------------------- */

static void on_access_done(const AccessResult *res, void *userdata);

/* The failover rule (ttlockd(8) "RADIOS"): a Lock, Unlock or Refresh whose connection was lost — a
 * proxy that died, a link that dropped — before the lock could have acted on anything is tried once
 * more, within the call's deadline, through whatever radio reaches the lock now (a dead proxy's radio
 * is unavailable by then, so that is another one). Only the challenge (CHECK_USER_TIME, CHECK_ADMIN)
 * or Refresh's reads can have been under way: they change nothing in the lock. Once the actuation
 * command went out it is never sent again — the bolt may have moved, and the caller hears the lost
 * connection instead. */
static bool access_retry(LockCall *c, const AccessResult *res) {
        Lock *l = c->lock;
        uint8_t actuation = c->access == ACCESS_UNLOCK ? TTLOCK_CMD_UNLOCK : TTLOCK_CMD_FUNCTION_LOCK;
        OpKeys keys = {};
        int r;

        if (c->retried || res->status.error != -ENOTCONN || !l->record)
                return false;
        if (call_is_actuation(c) && (res->status.command == actuation || res->status.command == 0))
                return false;
        c->retried = true;
        log_info(
                "%s: the connection was lost before the lock acted (0x%02x); trying once more.",
                l->address,
                res->status.command);
        op_keys_from_record(&keys, l->record);
        /* done may run before this returns (a link that cannot even try): then c is gone. */
        r = access_op_start(l->link, c->access, &keys, on_access_done, c, &c->op.access);
        op_keys_wipe(&keys);
        if (r < 0) {
                c->op.access = NULL;
                return false;
        }
        return true;
}

static void on_access_done(const AccessResult *res, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        OpStatus status = res->status;
        uint64_t changed = 0;

        c->op.access = NULL;
        /* An eKey the lock refused says why: reset, expired, not yet valid (doc/lockdata.md §4). */
        if (lock_is_user(l))
                op_explain_user_refusal(&status);
        if (access_retry(c, res))
                return;
        if (res->have_battery)
                set_battery(l, res->battery);
        if (call_is_actuation(c)) {
                const char *before = l->state_before_actuation;

                l->state_before_actuation = NULL;
                if (res->have_state)
                        lock_bolt_observed(l, state_from_lock(res->state), BOLT_FROM_ACTUATION);
                else if (
                        res->status.error == -EREMOTEIO &&
                        lock_refusal_is_jam(res->status.command, res->status.lock_error)) {
                        /* A motor that did not get there (doc/protocol.md §4.6): from "locking" straight
                         * to "jammed", and the log read queued behind this call tells the rest. */
                        lock_actuation_jammed(l, "app");
                } else if (before && !streq_ptr(l->state, before)) {
                        /* Nothing moved as far as we know: back to what was last observed. */
                        l->state = before;
                        changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE);
                }
        } else if (res->have_state)
                lock_bolt_observed(l, state_from_lock(res->state), BOLT_FROM_REPLY);
        /* §4.7: d[2] of the 0x14 reply, on a lock that says it has a sensor. */
        if (res->have_door && lock_has_door_sensor(l) && res->door <= 1)
                lock_door_observed(l, res->door == 1, now_realtime_usec());
        if (res->have_features && l->record) {
                l->record->features = res->features;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_FEATURES);
        }
        report(l, changed);
        if (res->have_state || res->have_battery || res->have_features)
                save(l, "the lock's state");

        /* The properties above went out before the reply (State before the return). */
        call_complete(c, &(LockOutcome){ .status = status });
        settle(l);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        LockOutcome o = { .status = { .error = -ETIMEDOUT } };

        /* The operation stops where it is (its job leaves the link); the caller hears Timeout. */
        call_stop_op(c);
        if (c->kind == LOCK_REQUEST_ACCESS) {
                on_access_done(&(AccessResult){ .status = o.status }, c);
                return 0;
        }
        call_complete(c, &o);
        settle(l);
        return 0;
}

/* ---- pairing, reset, forgetting ---------------------------------------------------------------- */

static int on_pair_save_keys(LockRecord *record, bool provisional, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        int r;

        /* These keys may become the only way into the lock: on disk before ADD_ADMIN goes out
         * (provisional), and confirmed once the lock took them (dbus/org.ttlock.Lock1.xml Pair). */
        record->provisional = provisional;
        r = store_save(l->context->store, record);
        if (r < 0)
                return log_error_errno(r, "%s: cannot save the new keys: %m", l->address);
        c->keys_saved = true;
        log_info("%s: %s.", l->address, provisional ? "new keys saved, creating the admin" : "admin created");
        return 0;
}

/* Provisional keys the lock did not take (its ADD_ADMIN's, or imported unverified ones): they go from
 * memory and disk. Only ever the file that wrote them: a lock with a record of its own has no provisional
 * keys. */
static void withdraw_keys(Lock *l, const char *why) {
        int r;

        log_info("%s: dropping the unproven keys: %s.", l->address, why);
        verify_op_cancel(TAKE_PTR(l->verify_op));
        l->provisional = lock_record_free(l->provisional);
        r = store_delete(l->context->store, l->address);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "%s: cannot delete the dropped keys: %m", l->address);
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
        if (l->context->paired_changed)
                l->context->paired_changed(l, l->context->owner);
}

static void adopt_record(Lock *l, LockRecord *record) {
        lock_record_free(l->record);
        l->record = record;
        l->record->provisional = false;
        /* ADD_ADMIN took the lock out of setting mode (§5.1), whatever the last advert said; no advert
         * comes while we are connected (§9.2). */
        l->pairable = false;
        l->record->battery = l->battery;
        (void) open_history(l);
        /* Pushes between commands (§7.3) come encrypted with the lock's key. */
        link_set_session_key(l->link, l->record->aes_key);
        report(l,
               LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRED) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRABLE) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_MODEL) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_HARDWARE_REVISION) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_FIRMWARE_REVISION) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_AUTO_LOCK) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_FEATURES) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_BATTERY) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
        if (l->context->paired_changed)
                l->context->paired_changed(l, l->context->owner);
        lock_apply_connection_policy(l);
}

static void on_pair_done(const OpStatus *st, PairOutcome outcome, LockRecord *record, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        OpStatus status = *st;

        c->op.pair = NULL;
        switch (outcome) {
        case PAIR_ADMIN:
                /* The lock holds our admin from ADD_ADMIN on, so the keys are adopted even when a later
                 * step failed: dropping them would leave a lock nobody can open. */
                adopt_record(l, record);
                save(l, "the lock's data");
                status = (OpStatus){};
                log_info("%s: paired.", l->address);
                break;
        case PAIR_ADMIN_UNKNOWN:
                /* On disk as provisional already; checked at the next contact (lock_advert()). */
                lock_record_free(l->provisional);
                l->provisional = record;
                l->provisional->provisional = true;
                l->verify_not_before_usec = 0;
                status.message = "The lock's answer to ADD_ADMIN was lost. ttlockd keeps the new keys and checks "
                                 "them at the next contact: Paired turns true if the lock took them.";
                log_warning("%s: pairing outcome unknown (%d); keeping the new keys to check them.", l->address,
                            st->error);
                if (l->context->paired_changed)
                        l->context->paired_changed(l, l->context->owner);
                break;
        case PAIR_NO_ADMIN:
                lock_record_free(record);
                if (c->keys_saved)
                        withdraw_keys(l, "the lock did not take them");
                break;
        }
        call_complete(c, &(LockOutcome){ .status = status });
        settle(l);
}

/* Drop the keys of a paired lock (Forget, and after FactoryReset). */
static int forget_record(Lock *l) {
        int r;

        if (!l->record)
                return 0;
        if (l->log_op) {
                log_read_op_cancel(l->log_op);
                l->log_op = NULL;
        }
        r = store_delete(l->context->store, l->address);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "%s: cannot delete the stored keys: %m", l->address);
        l->history = history_free(l->history);
        r = history_remove(store_locks_dir_fd(l->context->store), l->address);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "%s: cannot remove the event archive: %m", l->address);
        l->record = lock_record_free(l->record);
        l->have_clock_offset = false;
        /* Where the log was read to belongs to these keys (a reset lock starts its log anew). */
        l->log_catch_up = l->log_retry = l->have_log_resume = false;
        l->log_failed_reads = 0;
        lock_door_done(l);
        l->door_open = -1;
        l->door_updated_usec = 0;
        l->infer_auto_lock = false;
        l->infer_jam_method = NULL;
        link_set_session_key(l->link, NULL);
        report(l,
               LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRED) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRABLE) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_MODEL) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_HARDWARE_REVISION) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_FIRMWARE_REVISION) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_AUTO_LOCK) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_FEATURES) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR) |
                       LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR_UPDATED) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
        if (l->context->paired_changed)
                l->context->paired_changed(l, l->context->owner);
        lock_apply_connection_policy(l);
        return 0;
}

static void on_reset_done(const OpStatus *st, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        LockCallDone done = c->done;
        void *data = c->userdata;
        OpStatus status = *st;
        int r;

        c->op.reset = NULL;
        call_free(c);
        if (status.error >= 0) {
                /* Nothing of ours may outlive the keys. */
                lock_abort(l, "The lock was reset.");
                r = forget_record(l);
                if (r < 0)
                        (void) op_refuse(
                                &status,
                                OP_REFUSAL_NOT_SAVED,
                                r,
                                "The lock was reset, but its keys could not be deleted");
        }
        if (done)
                done(l, &(LockOutcome){ .status = status }, data);
        settle(l);
}

static void on_verified(VerifyVerdict verdict, const OpStatus *st, void *userdata) {
        Lock *l = userdata;
        OpStatus why = *st;

        l->verify_op = NULL;
        if (!l->provisional)
                return;
        switch (verdict) {
        case VERIFY_ACCEPTED:
                log_info(
                        "%s: the lock accepted the unproven %s keys: paired.",
                        l->address,
                        lock_role_to_string(l->provisional->role));
                adopt_record(l, TAKE_PTR(l->provisional));
                l->verify_failures = 0;
                save(l, "the confirmed keys");
                break;
        case VERIFY_REFUSED:
                if (l->provisional->role == LOCK_ROLE_USER)
                        op_explain_user_refusal(&why);
                withdraw_keys(l, why.message ?: "the lock does not know them");
                break;
        case VERIFY_UNKNOWN:
                l->verify_failures++;
                l->verify_not_before_usec = now_monotonic_usec() +
                        backoff_usec(l->verify_failures, l->context->timing.verify_backoff_min_usec,
                                     l->context->timing.verify_backoff_max_usec);
                log_info("%s: cannot check the provisional keys yet (%d); will try again.", l->address,
                         st->error);
                break;
        }
        settle(l);
}

static void start_verify(Lock *l) {
        uint64_t now = now_realtime_usec();
        OpStatus st;
        OpKeys keys;
        int r;

        if (!l->provisional || l->verify_op || l->calls ||
            now_monotonic_usec() < l->verify_not_before_usec || !link_health_may_connect(&l->health))
                return;
        /* An eKey outside its window cannot log in (§4.4): an expired one never will, one not valid yet is
         * checked once it is. */
        if (op_check_key_window(l->provisional, now, &st) < 0) {
                if (l->provisional->valid_until_usec > 0 && now >= l->provisional->valid_until_usec)
                        withdraw_keys(l, "the eKey has expired");
                return;
        }
        op_keys_from_record(&keys, l->provisional);
        r = verify_op_start(l->link, &keys, on_verified, l, &l->verify_op);
        op_keys_wipe(&keys);
        if (r < 0) {
                l->verify_op = NULL;
                log_warning_errno(r, "%s: cannot check the provisional keys: %m", l->address);
        }
}

int lock_forget(Lock *l, OpStatus *ret_status) {
        int r;

        assert(l);
        assert(ret_status);
        if (kind_in_flight(l, LOCK_REQUEST_PAIR) || kind_in_flight(l, LOCK_REQUEST_RESET))
                return op_refuse(ret_status, OP_REFUSAL_BUSY, -EBUSY, "A pairing or reset is in progress.");
        if (!l->record && l->provisional) {
                /* Keys imported unverified, or of a pairing whose answer was lost: the user may give up on
                 * them before the lock is heard again. */
                withdraw_keys(l, "forgotten");
                *ret_status = (OpStatus){};
                settle(l);
                return 0;
        }
        if (!l->record)
                return op_refuse(ret_status, OP_REFUSAL_NOT_PAIRED, -ENOKEY, NULL);
        lock_abort(l, "The lock was forgotten.");
        r = forget_record(l);
        if (r < 0)
                return op_refuse(ret_status, OP_REFUSAL_NOT_SAVED, r, "Cannot delete the stored keys");
        log_info("%s: forgotten.", l->address);
        *ret_status = (OpStatus){};
        settle(l);
        return 0;
}

/* ---- credentials ------------------------------------------------------------------------------- */

static void on_credentials_progress(const CredProgress *p, void *userdata) {
        LockCall *c = userdata;

        report_enrollment(
                c->lock, enrollment_kind(c), p->waiting ? "waiting" : "progress", p->done, p->total, "");
}

/* An enrollment's end, as EnrollmentStatus (dbus/org.ttlock.Credentials1.xml). */
static void enrollment_done(Lock *l, LockCall *c, const CredResult *res) {
        char id[TTLOCK_CARD_NUMBER_STRLEN] = "";

        if (res->status.error >= 0) {
                if (c->cred_action == CRED_CARD_ENROL)
                        (void) ttlock_card_number_format(res->enrolled, id);
                else
                        snprintf(id, sizeof(id), "%" PRIu64, res->enrolled);
                log_info("%s: %s %s enrolled.", l->address, enrollment_kind(c), id);
                report_enrollment(l, enrollment_kind(c), "completed", 1, 1, id);
        } else if (res->enrol_waiting && res->status.error == -ETIMEDOUT) {
                log_info("%s: %s enrollment timed out.", l->address, enrollment_kind(c));
                report_enrollment(l, enrollment_kind(c), "timeout", 0, 0, "");
        } else {
                log_info(
                        "%s: %s enrollment failed (%d, lock error 0x%02x).",
                        l->address,
                        enrollment_kind(c),
                        res->status.error,
                        res->status.lock_error);
                report_enrollment(l, enrollment_kind(c), "failed", 0, 0, "");
        }
}

static void on_credentials_done(const CredResult *res, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;

        c->op.credentials = NULL;
        if (res->have_battery)
                set_battery(l, res->battery);
        /* Before the reply: a list that follows must show what this call did (cred-record.h). */
        if (l->record && c->credentials && cred_record_apply(l->record, c->credentials, res))
                save(l, "the credentials' weekly windows");
        if (c == l->enrollment) {
                /* Out of the queue before the status goes out: a client that reacts to "completed"
                 * with its next call must find the lock free. */
                l->enrollment = NULL;
                enrollment_done(l, c, res);
        }
        call_complete(c, &(LockOutcome){ .status = res->status, .credentials = res });
        settle(l);
}

bool lock_enrolling(const Lock *l) {
        assert(l);

        return l->enrollment;
}

int lock_cancel_enrollment(Lock *l, const char *status) {
        LockCall *c = l->enrollment;

        assert(l);

        if (!c)
                return -ENOENT;
        call_stop_op(c);
        log_info("%s: %s enrollment %s.", l->address, enrollment_kind(c), status);
        report_enrollment(l, enrollment_kind(c), status, 0, 0, "");
        c->done = NULL;
        call_complete(c, &(LockOutcome){ .status.error = -ECANCELED });
        settle(l);
        return 0;
}

/* ---- settings ---------------------------------------------------------------------------------- */

static void set_clock_offset(Lock *l, int64_t offset) {
        if (l->have_clock_offset && l->clock_offset_sec == offset)
                return;
        l->have_clock_offset = true;
        l->clock_offset_sec = offset;
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_CLOCK_OFFSET));
}

/* What a successful change did, into the record (and so the properties). */
static void settings_apply(Lock *l, const SettingsRequest *q, const SettingsResult *res) {
        LockRecord *rec = l->record;
        uint64_t changed = 0;

        switch (q->action) {
        case SETTINGS_AUTO_LOCK:
                rec->auto_lock_seconds = q->seconds;
                changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_AUTO_LOCK);
                break;
        case SETTINGS_SOUND:
                rec->sound_enabled = q->enabled;
                if (q->enabled && q->volume > 0)
                        rec->sound_volume = q->volume;
                changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_SOUND);
                break;
        case SETTINGS_REMOTE_UNLOCK:
                rec->remote_unlock = q->enabled;
                changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_REMOTE_UNLOCK);
                break;
        case SETTINGS_SWITCH:
                if (q->switch_item == TTLOCK_SWITCH_TAMPER_ALERT) {
                        rec->tamper_alert = q->enabled;
                        changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_TAMPER_ALERT);
                } else if (q->switch_item == TTLOCK_SWITCH_PRIVACY_LOCK) {
                        rec->privacy_lock = q->enabled;
                        changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_PRIVACY_LOCK);
                } else if (q->switch_item == TTLOCK_SWITCH_RESET_BUTTON) {
                        rec->reset_button = q->enabled;
                        changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_RESET_BUTTON);
                }
                break;
        case SETTINGS_FREEZE:
                rec->frozen = q->enabled;
                changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_FROZEN);
                break;
        case SETTINGS_PASSAGE_NOW:
                rec->passage_mode_active = q->enabled;
                changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_PASSAGE_MODE_ACTIVE);
                break;
        case SETTINGS_PASSAGE_SET:
        case SETTINGS_PASSAGE_GET: {
                /* Whether the lock holds the every-day record is what PassageModeActive says (§4.8). */
                const TTPassageModeRecord *records =
                        q->action == SETTINGS_PASSAGE_SET ? q->records : res->records;
                size_t n = q->action == SETTINGS_PASSAGE_SET ? q->n_records : res->n_records;
                int active = 0;

                for (size_t i = 0; i < n; i++)
                        if (settings_passage_record_is_now(&records[i]))
                                active = 1;
                if (rec->passage_mode_active != active) {
                        rec->passage_mode_active = active;
                        changed = LOCK_PROPERTY_BIT(LOCK_PROPERTY_PASSAGE_MODE_ACTIVE);
                }
                break;
        }
        case SETTINGS_ADMIN_CODE_SET:
        case SETTINGS_ADMIN_CODE_GET: {
                const char *code = q->action == SETTINGS_ADMIN_CODE_SET ? q->admin_code : res->admin_code;

                if (streq_ptr(rec->admin_passcode, code))
                        break;
                if (rec->admin_passcode)
                        erase_memory(rec->admin_passcode, strlen(rec->admin_passcode));
                if (lock_record_set_string(&rec->admin_passcode, code[0] ? code : NULL) >= 0)
                        save(l, "the admin passcode");
                break;
        }
        default:
                break;
        }
        if (changed) {
                save(l, "the settings");
                report(l, changed);
        }
        if (res->have_clock_offset)
                set_clock_offset(l, res->clock_offset_sec);
}

static void on_settings_done(const SettingsResult *res, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;

        c->op.settings = NULL;
        if (res->have_battery)
                set_battery(l, res->battery);
        if (c->internal) {
                /* The automatic clock check. */
                if (res->status.error < 0)
                        log_debug("%s: clock check failed (%d).", l->address, res->status.error);
                else {
                        if (res->calibrated)
                                log_info("%s: the lock's clock was off; calibrated.", l->address);
                        set_clock_offset(l, res->clock_offset_sec);
                }
        } else if (res->status.error >= 0 && l->record)
                settings_apply(l, c->settings, res);
        call_complete(c, &(LockOutcome){ .status = res->status, .settings = res });
        settle(l);
}

/* ---- submitting -------------------------------------------------------------------------------- */

static int refuse_busy(const Lock *l, const LockRequest *req, bool internal, OpStatus *st) {
        bool enrollment = req->kind == LOCK_REQUEST_CREDENTIALS &&
                (req->credentials->action == CRED_CARD_ENROL ||
                 req->credentials->action == CRED_FINGERPRINT_ENROL);

        if (l->n_calls >= LOCK_CALLS_MAX)
                return op_refuse(st, OP_REFUSAL_BUSY, -EBUSY, "Too many calls queued for this lock.");
        /* An enrollment holds the lock's connection (for up to a minute): a call queued behind it could
         * not end before its caller gives up, so it is refused now (HACKING.md "The 20 s rule"). */
        if (l->enrollment && !internal)
                return op_refuse(
                        st,
                        OP_REFUSAL_BUSY,
                        -EBUSY,
                        enrollment ? "An enrollment is already in progress on this lock."
                                   : "An enrollment is in progress on this lock; cancel it or wait for it "
                                     "to end.");
        switch (req->kind) {
        case LOCK_REQUEST_ACCESS:
                if (req->access != ACCESS_REFRESH && actuation_in_flight(l))
                        return op_refuse(
                                st, OP_REFUSAL_BUSY, -EBUSY, "Another Lock() or Unlock() is in progress.");
                if (kind_in_flight(l, LOCK_REQUEST_PAIR) || kind_in_flight(l, LOCK_REQUEST_RESET))
                        return op_refuse(st, OP_REFUSAL_BUSY, -EBUSY, "A pairing or reset is in progress.");
                break;
        case LOCK_REQUEST_PAIR:
                if (kind_in_flight(l, LOCK_REQUEST_PAIR))
                        return op_refuse(st, OP_REFUSAL_BUSY, -EBUSY, "Pairing is already in progress.");
                break;
        case LOCK_REQUEST_RESET:
                if (kind_in_flight(l, LOCK_REQUEST_PAIR) || kind_in_flight(l, LOCK_REQUEST_RESET) ||
                    kind_in_flight(l, LOCK_REQUEST_ACCESS) || kind_in_flight(l, LOCK_REQUEST_IMPORT))
                        return op_refuse(st, OP_REFUSAL_BUSY, -EBUSY, "Another operation is in progress.");
                break;
        case LOCK_REQUEST_IMPORT:
                if (kind_in_flight(l, LOCK_REQUEST_IMPORT))
                        return op_refuse(
                                st,
                                OP_REFUSAL_BUSY,
                                -EBUSY,
                                "Keys of this lock are being imported already.");
                if (kind_in_flight(l, LOCK_REQUEST_PAIR) || kind_in_flight(l, LOCK_REQUEST_RESET))
                        return op_refuse(st, OP_REFUSAL_BUSY, -EBUSY, "A pairing or reset is in progress.");
                break;
        default:
                break;
        }
        return 0;
}

/* A call after which the lock may have written records: Lock/Unlock, and changes of credentials (cards
 * and fingerprints added or removed are logged, §4.3). */
static bool call_writes_log(const LockRequest *req) {
        switch (req->kind) {
        case LOCK_REQUEST_ACCESS:
                return req->access != ACCESS_REFRESH;
        case LOCK_REQUEST_CREDENTIALS:
                switch (req->credentials->action) {
                case CRED_PASSCODE_LIST:
                case CRED_CARD_LIST:
                case CRED_FINGERPRINT_LIST:
                        return false;
                default:
                        return true;
                }
        default:
                return false;
        }
}

static void on_import_verified(VerifyVerdict verdict, const OpStatus *st, void *userdata);

static int call_start(LockCall *c, const LockRequest *req) {
        Lock *l = c->lock;
        OpKeys keys = {};
        int r = -EINVAL;

        if (l->record)
                op_keys_from_record(&keys, l->record);
        switch (req->kind) {
        case LOCK_REQUEST_ACCESS:
                r = access_op_start(l->link, req->access, &keys, on_access_done, c, &c->op.access);
                break;
        case LOCK_REQUEST_PAIR:
                r = pair_op_start(l->link, l->address, on_pair_save_keys, on_pair_done, c, &c->op.pair);
                break;
        case LOCK_REQUEST_RESET:
                r = reset_op_start(l->link, &keys, on_reset_done, c, &c->op.reset);
                break;
        case LOCK_REQUEST_CREDENTIALS:
                r = cred_op_start(
                        l->link,
                        &keys,
                        req->credentials,
                        on_credentials_progress,
                        on_credentials_done,
                        c,
                        &c->op.credentials);
                break;
        case LOCK_REQUEST_SETTINGS:
                /* The call's own copy: lock_submit() may have added to it. */
                r = settings_op_start(l->link, &keys, c->settings, on_settings_done, c, &c->op.settings);
                break;
        case LOCK_REQUEST_IMPORT:
                /* The keys being imported, not the ones we hold. */
                op_keys_from_record(&keys, c->record);
                r = verify_op_start(l->link, &keys, on_import_verified, c, &c->op.verify);
                break;
        }
        op_keys_wipe(&keys);
        return r;
}

/* What an eKey may ask of the lock: opening, closing, reading (doc/lockdata.md §4). Everything else goes
 * through CHECK_ADMIN, whose adminPs an eKey does not carry, and is refused here rather than by the lock. */
static int refuse_user(const Lock *l, const LockRequest *req, bool internal, OpStatus *st) {
        if (!lock_is_user(l))
                return 0;
        switch (req->kind) {
        case LOCK_REQUEST_CREDENTIALS:
                return op_refuse(
                        st,
                        OP_REFUSAL_NOT_SUPPORTED,
                        -EOPNOTSUPP,
                        "This lock's keys are an eKey: passcodes, cards and fingerprints need the lock's "
                        "admin right (the admin password, adminPwd), which an eKey does not carry.");
        case LOCK_REQUEST_SETTINGS:
                if (internal)
                        return 0;
                return op_refuse(
                        st,
                        OP_REFUSAL_NOT_SUPPORTED,
                        -EOPNOTSUPP,
                        "This lock's keys are an eKey: its settings need the lock's admin right (the admin "
                        "password, adminPwd), which an eKey does not carry.");
        case LOCK_REQUEST_RESET:
                return op_refuse(
                        st,
                        OP_REFUSAL_NOT_SUPPORTED,
                        -EOPNOTSUPP,
                        "This lock's keys are an eKey: a factory reset needs the lock's admin right (the "
                        "admin password, adminPwd), which an eKey does not carry.");
        case LOCK_REQUEST_ACCESS:
                /* ttlockd keeps to the window the eKey was issued with (doc/lockdata.md §4). */
                if (req->access == ACCESS_REFRESH)
                        return 0;
                return op_check_key_window(l->record, now_realtime_usec(), st);
        default:
                return 0;
        }
}

/* Keys to import (LOCK_REQUEST_IMPORT), before anything is asked of the lock. */
static int refuse_import(const Lock *l, const LockRecord *candidate, OpStatus *st) {
        if (!streq(candidate->address, l->address))
                return op_refuse(st, OP_REFUSAL_NO_SUCH, -EINVAL, "The keys are of another lock.");
        /* An eKey cannot stand in for an admin's keys: they may be the only ones the household has (those
         * of ttlockd's own pairing, or the add-on's). */
        if (l->record && l->record->role == LOCK_ROLE_ADMIN && candidate->role == LOCK_ROLE_USER)
                return op_refuse(
                        st,
                        OP_REFUSAL_ALREADY_PAIRED,
                        -EEXIST,
                        "ttlockd holds admin keys for this lock; an eKey would replace them with fewer "
                        "rights. Forget the lock first to use the eKey instead.");
        /* A window that excludes now: the lock would refuse the login, and ttlockd would refuse the key. */
        if (op_check_key_window(candidate, now_realtime_usec(), st) < 0) {
                if (candidate->valid_from_usec > 0 && now_realtime_usec() < candidate->valid_from_usec)
                        st->message =
                                "This eKey is not valid yet, so the lock cannot prove it now. Import it "
                                "unverified (it is checked once it is valid), or when it is valid.";
                return st->error;
        }
        return 0;
}

/* The imported keys proved themselves: they become the lock's keys, on disk first. */
static int import_commit(Lock *l, LockCall *c, OpStatus *st) {
        LockRecord *cand = c->record;
        int r;

        cand->provisional = false;
        if (l->record) {
                /* Only the keys change: aliases, settings and the log cursor stay, so do the archive and the
                 * object. The old keys land in cand, and go with the call. */
                lock_record_swap_keys(l->record, cand);
                r = store_save(l->context->store, l->record);
                if (r < 0) {
                        lock_record_swap_keys(l->record, cand);
                        return op_refuse(st, OP_REFUSAL_NOT_SAVED, r, "The new keys could not be saved");
                }
                if (!l->record->alias && cand->alias)
                        (void) lock_set_alias(l, cand->alias);
                link_set_session_key(l->link, l->record->aes_key);
                log_info(
                        "%s: keys replaced by imported %s keys.",
                        l->address,
                        lock_role_to_string(l->record->role));
                report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
                return 0;
        }

        r = store_save(l->context->store, cand);
        if (r < 0)
                return op_refuse(st, OP_REFUSAL_NOT_SAVED, r, "The imported keys could not be saved");
        /* These replace unproven keys of a lost pairing or an earlier unverified import (the file is
         * overwritten already). */
        if (l->provisional) {
                verify_op_cancel(TAKE_PTR(l->verify_op));
                l->provisional = lock_record_free(l->provisional);
        }
        if (l->battery < 0)
                set_battery(l, cand->battery);
        adopt_record(l, TAKE_PTR(c->record));
        log_info("%s: imported %s keys.", l->address, lock_role_to_string(l->record->role));
        return 0;
}

static void on_import_verified(VerifyVerdict verdict, const OpStatus *st, void *userdata) {
        LockCall *c = userdata;
        Lock *l = c->lock;
        OpStatus status = *st;

        c->op.verify = NULL;
        if (verdict == VERIFY_ACCEPTED)
                (void) import_commit(l, c, &status);
        else {
                if (c->record->role == LOCK_ROLE_USER)
                        op_explain_user_refusal(&status);
                /* §2.4: no data for a key the lock does not hold. */
                if (status.error == -ENOKEY && !status.message)
                        status.message =
                                "The lock does not accept this AES key: these are not its keys, or it was "
                                "paired again since they were made.";
                log_info(
                        "%s: the imported keys were not proven (%d, lock error 0x%02x); nothing stored.",
                        l->address,
                        status.error,
                        status.lock_error);
        }
        call_complete(c, &(LockOutcome){ .status = status });
        settle(l);
}

int lock_set_provisional(Lock *l, LockRecord *record, OpStatus *ret_status) {
        _cleanup_(lock_record_freep) LockRecord *r = record;
        int q;

        assert(l);
        assert(record);
        assert(ret_status);

        *ret_status = (OpStatus){};
        if (!streq(r->address, l->address))
                return op_refuse(ret_status, OP_REFUSAL_NO_SUCH, -EINVAL, "The keys are of another lock.");
        if (l->record)
                return op_refuse(
                        ret_status,
                        OP_REFUSAL_ALREADY_PAIRED,
                        -EEXIST,
                        "ttlockd holds proven keys for this lock already; import the new ones verified, "
                        "so that they replace those only once the lock accepted them.");
        if (kind_in_flight(l, LOCK_REQUEST_PAIR) || kind_in_flight(l, LOCK_REQUEST_IMPORT))
                return op_refuse(
                        ret_status,
                        OP_REFUSAL_BUSY,
                        -EBUSY,
                        "A pairing or import of this lock is in progress.");
        if (r->valid_until_usec > 0 && now_realtime_usec() >= r->valid_until_usec)
                return op_check_key_window(r, now_realtime_usec(), ret_status);

        r->provisional = true;
        q = store_save(l->context->store, r);
        if (q < 0)
                return op_refuse(ret_status, OP_REFUSAL_NOT_SAVED, q, "The keys could not be saved");
        verify_op_cancel(TAKE_PTR(l->verify_op));
        lock_record_free(l->provisional);
        l->provisional = TAKE_PTR(r);
        l->verify_not_before_usec = 0;
        l->verify_failures = 0;
        log_info(
                "%s: %s keys imported unverified; checked at the next contact.",
                l->address,
                lock_role_to_string(l->provisional->role));
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
        if (l->context->paired_changed)
                l->context->paired_changed(l, l->context->owner);
        /* Heard already: check now (lock_advert() does it for the next advert otherwise). */
        if (l->seen)
                start_verify(l);
        return 0;
}

int lock_submit(
        Lock *l,
        const LockRequest *req,
        uint64_t deadline_usec,
        LockCallDone done,
        void *userdata,
        OpStatus *ret_status) {
        _cleanup_free_ LockCall *c = NULL;
        bool enrollment;
        int r;

        assert(l);
        assert(req);
        assert(ret_status);
        assert(req->kind != LOCK_REQUEST_CREDENTIALS || req->credentials);
        assert(req->kind != LOCK_REQUEST_SETTINGS || req->settings);

        assert((req->kind == LOCK_REQUEST_IMPORT) == !!req->record);

        /* Ours from here on, whatever happens. */
        _cleanup_(lock_record_freep) LockRecord *record = req->record;

        *ret_status = (OpStatus){};
        if (req->kind == LOCK_REQUEST_IMPORT) {
                r = refuse_import(l, record, ret_status);
                if (r < 0)
                        return r;
        } else if (req->kind == LOCK_REQUEST_PAIR) {
                if (l->record)
                        return op_refuse(ret_status, OP_REFUSAL_ALREADY_PAIRED, -EEXIST, NULL);
        } else if (!l->record)
                return op_refuse(ret_status, OP_REFUSAL_NOT_PAIRED, -ENOKEY, NULL);
        r = refuse_busy(l, req, /* internal= */ !done && req->kind == LOCK_REQUEST_SETTINGS, ret_status);
        if (r < 0)
                return r;
        r = refuse_user(l, req, /* internal= */ !done && req->kind == LOCK_REQUEST_SETTINGS, ret_status);
        if (r < 0)
                return r;
        if (req->kind == LOCK_REQUEST_PAIR && !l->pairable)
                return op_refuse(ret_status, OP_REFUSAL_NOT_PAIRABLE, -EAGAIN, NULL);

        c = calloc(1, sizeof(LockCall));
        if (!c)
                return -ENOMEM;
        *c = (LockCall){
                .lock = l,
                .kind = req->kind,
                .access = req->access,
                .cred_action = req->credentials ? req->credentials->action : 0,
                .internal = !done && req->kind == LOCK_REQUEST_SETTINGS,
                .done = done,
                .userdata = userdata,
        };
        enrollment = req->kind == LOCK_REQUEST_CREDENTIALS &&
                (c->cred_action == CRED_CARD_ENROL || c->cred_action == CRED_FINGERPRINT_ENROL);
        if (req->kind == LOCK_REQUEST_SETTINGS) {
                c->settings = malloc(sizeof(SettingsRequest));
                if (!c->settings)
                        return -ENOMEM;
                *c->settings = *req->settings;
                /* SetPassageModes() replaces every record: passage mode "now" stays on through it
                 * (doc/protocol.md §4.8). */
                if (c->settings->action == SETTINGS_PASSAGE_SET && lock_passage_mode_active(l) &&
                    c->settings->n_records < SETTINGS_PASSAGE_RECORDS_MAX)
                        settings_passage_now_record(&c->settings->records[c->settings->n_records++]);
        }
        if (req->kind == LOCK_REQUEST_CREDENTIALS) {
                c->credentials = malloc(sizeof(CredRequest));
                if (!c->credentials)
                        return -ENOMEM;
                *c->credentials = *req->credentials;
        }
        if (deadline_usec > 0) {
                r = sd_event_add_time_relative(
                        l->context->event, &c->deadline, CLOCK_MONOTONIC, deadline_usec, 0, on_deadline, c);
                if (r < 0) {
                        free(c->settings);
                        if (c->credentials)
                                erase_memory(c->credentials, sizeof(*c->credentials));
                        free(c->credentials);
                        return log_warning_errno(r, "%s: cannot arm the call's deadline: %m", l->address);
                }
        }

        c->record = TAKE_PTR(record);

        /* In the queue before the operation starts: a link that cannot even try ends the operation,
         * and completes the call, before call_start() returns. */
        c->next = NULL;
        c->prev = NULL;
        if (l->calls) {
                LockCall *last = l->calls;
                while (last->next)
                        last = last->next;
                last->next = c;
                c->prev = last;
        } else
                l->calls = c;
        l->n_calls++;
        if (enrollment)
                l->enrollment = c;
        if (c->internal)
                l->clock_check_running = true;
        if (call_is_actuation(c)) {
                /* In flight: what we know is that it is moving; the reply says where it went. */
                l->state_before_actuation = l->state ?: "unknown";
                l->state = c->access == ACCESS_UNLOCK ? "unlocking" : "locking";
                report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE));
        }

        r = call_start(c, req);
        if (r < 0) {
                if (call_is_actuation(c)) {
                        l->state = l->state_before_actuation;
                        l->state_before_actuation = NULL;
                        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE));
                }
                memset(&c->op, 0, sizeof(c->op));
                call_free(TAKE_PTR(c));
                return r;
        }
        /* After what changes the bolt or the credentials, the log is read on the same connection, right
         * behind the call, so that the records it wrote are signalled one exchange after its reply and
         * not at the next advert (doc/protocol.md §7.5). */
        if (call_writes_log(req))
                lock_read_log(l);
        /* The queue owns it now (it may even be done already). */
        TAKE_PTR(c);
        return 0;
}

/* Whenever the link to a paired lock comes up, a check queued behind whatever brought it up reads the
 * lock's clock (GET_LOCK_TIME, no login: one command on a connection that is open anyway) and
 * calibrates it (§5.5) when it is more than LOCK_CLOCK_TOLERANCE_SEC off: validity windows and log times
 * are only as good as that clock, and a lock's clock drifts or is reset with its battery. */
static void start_clock_check(Lock *l) {
        SettingsRequest req = {
                .action = SETTINGS_CLOCK_CHECK,
                .clock_tolerance_sec = LOCK_CLOCK_TOLERANCE_SEC,
        };
        OpStatus st;

        /* The clock of a lock ttlockd holds an eKey for is its admin's to set (the SDK could with
         * CHECK_USER_TIME and CHECK_RANDOM, doc/lockdata.md §4, but would fight the admin's app over the
         * zone): it is read, for ClockOffsetSeconds, and never calibrated. */
        if (lock_is_user(l))
                req.clock_tolerance_sec = INT64_MAX;
        if (!l->record || l->clock_check_running ||
            (l->record->features.n_groups > 0 &&
             ttlock_features_has(&l->record->features, TTLOCK_FEATURE_LOCK_NO_CLOCK_CHIP)))
                return;
        (void) lock_submit(
                l, &(LockRequest){ .kind = LOCK_REQUEST_SETTINGS, .settings = &req }, 0, NULL, NULL, &st);
}

/* ---- finishing a pairing (§5.6) ----------------------------------------------------------------- */

/* A caller waits for the link: ttlockd's own checks do not count. */
static bool calls_waiting(void *userdata) {
        Lock *l = userdata;

        for (LockCall *c = l->calls; c; c = c->next)
                if (!c->internal)
                        return true;
        return false;
}

static int copy_string(char **dst, const char *src) {
        return src ? lock_record_set_string(dst, src) : 0;
}

/* What the finished steps read goes into the lock's record: only theirs, so that nothing else set
 * meanwhile (an alias, the credentials' cycles, a setting) is touched. */
static uint64_t take_learnt(Lock *l, uint32_t done, const LockRecord *n) {
        LockRecord *rec = l->record;
        uint64_t changed = 0;

        if ((done & PAIRING_STEP_BIT(PAIRING_STEP_FEATURES)) && n->features.n_groups > 0) {
                rec->features = n->features;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_FEATURES);
                if (n->battery >= 0 && n->battery <= 100)
                        set_battery(l, n->battery);
        }
        if (done & PAIRING_STEP_BIT(PAIRING_STEP_SWITCHES)) {
                rec->tamper_alert = n->tamper_alert >= 0 ? n->tamper_alert : rec->tamper_alert;
                rec->reset_button = n->reset_button >= 0 ? n->reset_button : rec->reset_button;
                rec->privacy_lock = n->privacy_lock >= 0 ? n->privacy_lock : rec->privacy_lock;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_TAMPER_ALERT) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_RESET_BUTTON) |
                        LOCK_PROPERTY_BIT(LOCK_PROPERTY_PRIVACY_LOCK);
        }
        if ((done & PAIRING_STEP_BIT(PAIRING_STEP_SOUND)) && n->sound_enabled >= 0) {
                rec->sound_enabled = n->sound_enabled;
                rec->sound_volume = n->sound_volume;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_SOUND);
        }
        if ((done & PAIRING_STEP_BIT(PAIRING_STEP_AUTO_LOCK)) && n->auto_lock_seconds >= 0) {
                rec->auto_lock_seconds = n->auto_lock_seconds;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_AUTO_LOCK);
        }
        if ((done & PAIRING_STEP_BIT(PAIRING_STEP_REMOTE_UNLOCK)) && n->remote_unlock >= 0) {
                rec->remote_unlock = n->remote_unlock;
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_REMOTE_UNLOCK);
        }
        if (done & PAIRING_STEP_BIT(PAIRING_STEP_ADMIN_PASSCODE))
                (void) copy_string(&rec->admin_passcode, n->admin_passcode);
        if (done & PAIRING_STEP_BIT(PAIRING_STEP_DEVICE_INFO)) {
                (void) copy_string(&rec->model, n->model);
                (void) copy_string(&rec->hardware_revision, n->hardware_revision);
                (void) copy_string(&rec->firmware_revision, n->firmware_revision);
                changed |= LOCK_PROPERTY_BIT(LOCK_PROPERTY_MODEL) |
                        LOCK_PROPERTY_BIT(LOCK_PROPERTY_HARDWARE_REVISION) |
                        LOCK_PROPERTY_BIT(LOCK_PROPERTY_FIRMWARE_REVISION);
        }
        return changed;
}

static void on_pair_finished(const OpStatus *st, uint32_t done, uint32_t left, const LockRecord *learnt,
                             void *userdata) {
        Lock *l = userdata;
        uint64_t changed = 0;

        l->pair_finish_op = NULL;
        if (!l->record)
                return;
        if (done) {
                changed = take_learnt(l, done, learnt) | LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRING_PENDING);
                l->record->pairing_pending &= ~done;
                save(l, "the rest of the pairing");
                log_info("%s: pairing steps done: 0x%" PRIx32 "%s.", l->address, done,
                         l->record->pairing_pending ? "; some are still to do" : "; pairing complete");
        }
        /* Stopped by the link or a refused login: the next connection tries again, not this one. A
         * yield (status 0, something left) goes on once the calls are done (on_settle()). */
        if (st->error < 0 || (left && done == 0))
                l->pair_finish_stopped = true;
        report(l, changed);
        settle(l);
}

static void start_pair_finish(Lock *l) {
        int r;

        /* An eKey's holder has no admin login to finish anything with (doc/lockdata.md). */
        if (!l->record || lock_is_user(l) || !(l->record->pairing_pending & PAIRING_STEPS_ALL) ||
            l->pair_finish_op || !l->connected || l->pair_finish_stopped || l->enrollment || calls_waiting(l))
                return;
        r = pair_finish_op_start(l->link, l->record, calls_waiting, on_pair_finished, l, &l->pair_finish_op);
        if (r < 0) {
                l->pair_finish_op = NULL;
                log_warning_errno(r, "%s: cannot finish the pairing: %m", l->address);
        }
}

/* ---- the user's names -------------------------------------------------------------------------- */

int lock_set_alias(Lock *l, const char *alias) {
        _cleanup_free_ char *old = NULL;
        int r;

        assert(l);

        if (!l->record)
                return -ENOKEY;
        if (l->record->alias) {
                old = strdup(l->record->alias);
                if (!old)
                        return -ENOMEM;
        }
        r = lock_record_set_string(&l->record->alias, isempty(alias) ? NULL : alias);
        if (r < 0)
                return r;
        r = store_save(l->context->store, l->record);
        if (r < 0) {
                /* What is not on disk is not kept either: the next start would not know it. */
                (void) lock_record_set_string(&l->record->alias, old);
                return r;
        }
        report(l, LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS));
        return 0;
}

int lock_set_credential_alias(Lock *l, const char *kind, const char *id, const char *alias) {
        _cleanup_free_ char *old = NULL;
        const char *o;
        int r;

        assert(l);

        if (!l->record)
                return -ENOKEY;
        o = lock_record_get_credential_alias(l->record, kind, id);
        if (o) {
                old = strdup(o);
                if (!old)
                        return -ENOMEM;
        }
        r = lock_record_set_credential_alias(l->record, kind, id, alias);
        if (r < 0)
                return r;
        r = store_save(l->context->store, l->record);
        /* What is not on disk is not kept either: the lists and Event must not show an alias that the
         * next start would not know. */
        if (r < 0)
                (void) lock_record_set_credential_alias(l->record, kind, id, old ?: "");
        return r;
}

/* ---- the link's health and how it is held (link-health.h) ------------------------------------- */

static void on_health_changed(LinkHealth *h, unsigned changes, void *userdata) {
        static const struct {
                unsigned change;
                LockProperty property;
        } map[] = {
                { LINK_HEALTH_REACHABLE, LOCK_PROPERTY_REACHABLE },
                { LINK_HEALTH_LAST_ERROR, LOCK_PROPERTY_LAST_CONNECT_ERROR },
                { LINK_HEALTH_RECENT, LOCK_PROPERTY_RECENT_CONNECTS },
                { LINK_HEALTH_BACKOFF, LOCK_PROPERTY_CONNECT_BACKOFF },
                { LINK_HEALTH_POLICY, LOCK_PROPERTY_CONNECTION_POLICY },
        };
        uint64_t properties = 0;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (changes & map[i].change)
                        properties |= LOCK_PROPERTY_BIT(map[i].property);
        report(userdata, properties);
}

static void on_connect_done(Link *link, int error, const char *why, unsigned attempts, void *userdata) {
        Lock *l = userdata;

        link_health_connect_done(&l->health, error, why, attempts);
}

static void
on_link_frame(Link *link, bool reply, uint8_t command, const uint8_t *plain, size_t len, void *userdata) {
        Lock *l = userdata;
        int r;

        r = frame_log_add(&l->frames, reply, command, plain, len);
        if (r < 0)
                log_debug_errno(r, "%s: cannot keep a frame for the diagnostics: %m", l->address);
}

/* A held link's heartbeat (link.h) read the bolt and the battery: news like a Refresh's. */
static void on_heartbeat(Link *link, const TTReply *reply, void *userdata) {
        Lock *l = userdata;
        TTStatusReply st;

        if (reply->command != TTLOCK_CMD_SEARCH_BICYCLE_STATUS ||
            ttlock_status_reply_decode(reply->data, reply->data_len, &st, NULL) < 0)
                return;
        set_battery(l, st.battery);
        /* Not while an actuation is under way: its own reply says where the bolt went. */
        if (st.state != TTLOCK_STATE_UNKNOWN && !l->state_before_actuation)
                lock_bolt_observed(l, state_from_lock(st.state), BOLT_FROM_REPLY);
}

static const char *call_name(const LockCall *c) {
        switch (c->kind) {
        case LOCK_REQUEST_ACCESS:
                return c->access == ACCESS_UNLOCK ? "Unlock" : c->access == ACCESS_LOCK ? "Lock" : "Refresh";
        case LOCK_REQUEST_PAIR:
                return "Pair";
        case LOCK_REQUEST_RESET:
                return "FactoryReset";
        case LOCK_REQUEST_CREDENTIALS:
                return "credentials";
        case LOCK_REQUEST_SETTINGS:
                return c->internal ? "clock check" : "settings";
        case LOCK_REQUEST_IMPORT:
                return "import";
        }
        return "call";
}

/* A failed call is one of the lock's recent errors; one that could not reach the lock says how the link
 * has fared, since calls try whatever the backoff (link-health.h). */
static void call_health(Lock *l, const LockCall *c, LockOutcome *o) {
        const char *why;

        if (o->status.error >= 0 || o->status.error == -ECANCELED || o->status.refusal != OP_REFUSAL_NONE)
                return;
        link_health_note(&l->health, call_name(c), o->status.error, o->status.command, o->status.lock_error);
        if ((o->status.error == -EHOSTUNREACH || o->status.error == -ENODEV) && !o->status.message &&
            (why = link_health_explain(&l->health)))
                o->status.message = why;
}

/* The policy in force: the lock's own choice (its key file), else ttlockd.conf's [Lock], else [Link], else
 * on-demand; the keep-alive window likewise. Held only while paired: nothing else uses the link. */
static void connection_policy(const Lock *l, ConnectionPolicy *ret_policy, unsigned *ret_sec) {
        ConnectionPolicy p = CONNECTION_ON_DEMAND, own;
        unsigned sec = LINK_KEEP_ALIVE_DEFAULT_SEC;

        if (l->context->configured_policy)
                l->context->configured_policy(l->address, l->context->owner, &p, &sec);
        if (l->record && l->record->connection_policy) {
                own = connection_policy_from_string(l->record->connection_policy);
                if (own >= 0)
                        p = own;
                else
                        log_debug(
                                "%s: unknown connection policy \"%s\" in the key file; ignored.",
                                l->address,
                                l->record->connection_policy);
        }
        if (l->record && l->record->keep_alive_seconds >= LINK_KEEP_ALIVE_MIN_SEC &&
            l->record->keep_alive_seconds <= LINK_KEEP_ALIVE_MAX_SEC)
                sec = l->record->keep_alive_seconds;
        *ret_policy = p;
        *ret_sec = sec;
}

void lock_apply_connection_policy(Lock *l) {
        ConnectionPolicy p;
        unsigned sec;

        assert(l);

        connection_policy(l, &p, &sec);
        link_health_set_policy(&l->health, p, sec, l->record);
}

int lock_set_connection_policy(Lock *l, ConnectionPolicy policy, unsigned keep_alive_sec) {
        _cleanup_free_ char *old = NULL;
        uint32_t old_sec;
        int r;

        assert(l);
        assert(policy < _CONNECTION_POLICY_MAX);
        assert(keep_alive_sec == 0 ||
               (keep_alive_sec >= LINK_KEEP_ALIVE_MIN_SEC && keep_alive_sec <= LINK_KEEP_ALIVE_MAX_SEC));

        if (!l->record)
                return -ENOKEY;
        if (l->record->connection_policy) {
                old = strdup(l->record->connection_policy);
                if (!old)
                        return -ENOMEM;
        }
        old_sec = l->record->keep_alive_seconds;
        r = lock_record_set_string(&l->record->connection_policy, connection_policy_to_string(policy));
        if (r < 0)
                return r;
        l->record->keep_alive_seconds = policy < 0 ? 0 : keep_alive_sec;
        r = store_save(l->context->store, l->record);
        if (r < 0) {
                /* What is not on disk is not kept either: the next start would not know it. */
                (void) lock_record_set_string(&l->record->connection_policy, old);
                l->record->keep_alive_seconds = old_sec;
                return r;
        }
        log_info(
                "%s: connection policy %s.",
                l->address,
                policy < 0 ? "as ttlockd.conf says" : connection_policy_to_string(policy));
        lock_apply_connection_policy(l);
        return 0;
}

/* ---- life cycle -------------------------------------------------------------------------------- */

int lock_new(const LockContext *context, const char *address, LockRecord *record, Lock **ret) {
        static const LinkCallbacks link_callbacks = {
                .push = on_push,
                .connected_changed = on_connected_changed,
                .connect_done = on_connect_done,
                .frame = on_link_frame,
                .heartbeat = on_heartbeat,
        };
        Lock *l;
        int r;

        assert(context);
        assert(ret);
        l = calloc(1, sizeof(Lock));
        if (!l)
                return -ENOMEM;
        l->context = context;
        l->battery = -1;
        l->state = "unknown";
        l->door_open = -1;
        r = bt_address_normalize(address, l->address);
        if (r >= 0)
                r = link_new(
                        context->event,
                        context->radios,
                        l->address,
                        &context->link_config,
                        &link_callbacks,
                        l,
                        &l->link);
        if (r < 0) {
                free(l);
                return r;
        }
        link_health_init(
                &l->health,
                context->event,
                l->link,
                &context->health_timing,
                context->link_config.keepalive_usec,
                on_health_changed,
                l);
        if (record && record->provisional)
                /* Saved before an ADD_ADMIN whose answer never came: checked at the next contact. */
                l->provisional = record;
        else if (record) {
                l->record = record;
                /* What we last knew, until the lock tells us more (store.h last-known). */
                if (record->battery >= 0 && record->battery <= 100)
                        l->battery = record->battery;
                if (record->state) {
                        l->state = state_intern(record->state);
                        l->state_updated_usec = record->state_updated_usec;
                        /* Jammed until the lock reports the bolt anywhere (doc/protocol.md §4.6). */
                        if (streq(l->state, "jammed"))
                                l->jam_from = "unknown";
                }
                lock_door_restore(l);
                (void) open_history(l);
                /* A read that a crash or a stop cut short may have lost records the lock counts as read
                 * (it lowers its flag, doc/protocol.md §7.1): the next read, whatever starts it, goes on
                 * from where the archive ends, so that they come with it. Not a connection of its own at
                 * start-up: a thousand doors would all connect at once, and every restart would cost
                 * each lock's battery a connection for what is almost never there. Without a sequence no
                 * read under these keys reached the archive yet, and the first one after pairing may be
                 * the one cut short: the whole log then (§4.3 sequence 0x0000), once; the archive's
                 * identities keep what it holds from being reported again. */
                l->have_log_resume = l->log_catch_up = true;
                l->log_resume_sequence = record->has_log_sequence ? record->log_sequence
                                                                  : TTLOCK_LOG_ALL_RECORDS;
                /* Pushes between commands (§7.3) come encrypted with the lock's key. */
                link_set_session_key(l->link, l->record->aes_key);
                publish_battery(l);
        }
        lock_apply_connection_policy(l);
        *ret = l;
        return 0;
}

bool lock_busy(const Lock *l) {
        assert(l);

        return l->calls || l->log_op || l->verify_op || l->pair_finish_op;
}

Lock *lock_free(Lock *l) {
        if (!l)
                return NULL;
        l->observer = NULL;
        lock_abort(l, "The lock object went away.");
        if (l->record && l->context->radios)
                radio_set_battery(l->context->radios, l->address, -1);
        lock_door_done(l);
        sd_event_source_disable_unref(l->settle_source);
        link_health_done(&l->health);
        link_free(l->link);
        frame_log_free(l->frames);
        history_free(l->history);
        lock_record_free(l->record);
        lock_record_free(l->provisional);
        free(l->name);
        free(l);
        return NULL;
}
