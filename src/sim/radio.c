/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "advert.h"
#include "lock-log.h"
#include "log.h"
#include "radio.h"
#include "sim-util.h"

static bool is_awake(SimLock *l, uint64_t now) {
        return l->sim->timing.always_awake || now < l->awake_until;
}

static bool is_dormant(SimLock *l, uint64_t now) {
        const SimTiming *t = &l->sim->timing;

        if (t->always_awake || t->dormant_after_usec == 0 || l->conn == SIM_CONNECTED || is_awake(l, now))
                return false;
        return now >= l->last_activity + t->dormant_after_usec;
}

uint8_t radio_advert_flags(SimLock *l) {
        uint8_t f = 0;

        if (l->dormant)
                f |= TTLOCK_ADVERT_FLAG_DORMANT; /* and the bolt bit stays clear (§6) */
        else if (!l->locked)
                f |= TTLOCK_ADVERT_FLAG_UNLOCKED;
        if (log_has_unread(l->log))
                f |= TTLOCK_ADVERT_FLAG_NEW_EVENTS;
        if (l->awake) {
                f |= TTLOCK_ADVERT_FLAG_TOUCH;
                if (!l->paired)
                        f |= TTLOCK_ADVERT_FLAG_SETTING_MODE;
        }
        return f;
}

bool radio_advertising(SimLock *l) {
        if (l->conn == SIM_CONNECTED)
                return false; /* §1.5: no adverts while a central is connected */
        return l->paired || l->awake;
}

bool radio_connectable(SimLock *l) {
        uint64_t now = sim_now(l->sim);

        if (l->conn == SIM_CONNECTED || is_dormant(l, now))
                return false;
        return l->paired || is_awake(l, now);
}

void radio_activity(SimLock *l) {
        uint64_t now = sim_now(l->sim);

        l->last_activity = now;
        if (l->conn == SIM_CONNECTED && l->sim->timing.idle_disconnect_usec > 0)
                l->idle_drop_at = now + l->sim->timing.idle_disconnect_usec;
        radio_update(l);
}

void radio_touch(SimLock *l) {
        uint64_t now = sim_now(l->sim);

        l->awake_until = now + l->sim->timing.awake_usec;
        radio_activity(l);
}

static void flush(SimLock *l);

void radio_send(SimLock *l, const uint8_t *wire, size_t len) {
        if (l->conn != SIM_CONNECTED) {
                log_debug("%s: dropping a reply (not connected).", l->address_str);
                return;
        }
        /* A real lock never loses its own reply because pushes (§7.3) piled up: when the latency
         * queue is full, what is in it goes out now, in order, and the new frame waits its turn. */
        if (l->n_tx >= SIM_TX_QUEUE_MAX) {
                flush(l);
                if (l->conn != SIM_CONNECTED)
                        return;
        }
        if (l->n_tx == 0)
                l->tx_due = sim_now(l->sim) + l->sim->timing.latency_usec;
        memcpy(l->tx[l->n_tx].wire, wire, len);
        l->tx[l->n_tx].len = len;
        l->n_tx++;
        radio_update(l);
}

void radio_flush_discard(SimLock *l) {
        l->n_tx = 0;
        l->tx_due = 0;
}

static void flush(SimLock *l) {
        SimTxFrame tx[SIM_TX_QUEUE_MAX];
        size_t n = l->n_tx;

        memcpy(tx, l->tx, n * sizeof(SimTxFrame));
        radio_flush_discard(l);
        /* Each frame goes out as ≤ 20-byte notifications (§1.4). */
        for (size_t i = 0; i < n && l->conn == SIM_CONNECTED; i++)
                for (size_t k = 0; k < ttlock_chunk_count(tx[i].len); k++) {
                        const uint8_t *c;
                        size_t cl;

                        if (ttlock_chunk(tx[i].wire, tx[i].len, k, &c, &cl) < 0)
                                break;
                        l->sim->radio_hooks->deliver(l, c, cl);
                }
        if (l->drop_after_flush) {
                /* RESET_LOCK answered: the lock forgets everything and drops the link (§4.3). */
                l->drop_after_flush = false;
                radio_link_drop(l, "factory reset");
                l->sim->radio_hooks->factory_reset(l);
        }
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        SimLock *l = userdata;
        uint64_t now = sim_now(l->sim);

        if (l->n_tx > 0 && now >= l->tx_due)
                flush(l);
        l->sim->radio_hooks->due(l, now);
        if (l->conn == SIM_CONNECTED && l->idle_drop_at > 0 && now >= l->idle_drop_at) {
                l->idle_drop_at = 0;
                /* An enrolment keeps the lock listening: it waits for the card or finger. */
                if (l->enroll == SIM_ENROLL_NONE)
                        radio_link_drop(l, "idle");
        }
        radio_update(l);
        return 0;
}

static void consider(uint64_t *next, uint64_t t, uint64_t now) {
        if (t > 0 && (*next == 0 || t < *next))
                *next = MAX(t, now);
}

void radio_update(SimLock *l) {
        const SimTiming *t = &l->sim->timing;
        uint64_t now = sim_now(l->sim), next = 0;
        bool awake = is_awake(l, now), dormant = is_dormant(l, now);
        int r;

        if (awake != l->awake) {
                l->awake = awake;
                sim_lock_changed(l, "Awake");
        }
        if (dormant != l->dormant) {
                l->dormant = dormant;
                sim_lock_changed(l, "Dormant");
        }

        if (l->n_tx > 0)
                consider(&next, l->tx_due, now);
        consider(&next, l->auto_lock_at, now);
        if (l->conn == SIM_CONNECTED)
                consider(&next, l->idle_drop_at, now);
        if (l->enroll != SIM_ENROLL_NONE)
                consider(&next, l->enroll_deadline, now);
        if (awake && !t->always_awake)
                consider(&next, l->awake_until, now);
        if (!dormant && !t->always_awake && t->dormant_after_usec > 0 && l->conn == SIM_DISCONNECTED)
                consider(&next, MAX(l->last_activity + t->dormant_after_usec, l->awake_until), now);

        if (next == 0) {
                if (l->timer)
                        (void) sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
                return;
        }
        if (!l->timer) {
                /* Accuracy 1 µs: sd-event's default of 250 ms would add a quarter second to every
                 * exchange and make --latency-ms meaningless. */
                r = sd_event_add_time(l->sim->event, &l->timer, CLOCK_MONOTONIC, next, 1, on_timer, l);
                if (r < 0) {
                        log_error_errno(r, "%s: failed to arm a timer: %m", l->address_str);
                        return;
                }
        } else
                (void) sd_event_source_set_time(l->timer, next);
        (void) sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

void radio_link_drop(SimLock *l, const char *why) {
        l->sim->radio_hooks->drop(l, why);
}

void radio_free(SimLock *l) {
        l->timer = sd_event_source_disable_unref(l->timer);
}
