/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "access.h"
#include "command.h"
#include "credentials.h"
#include "frame.h"
#include "info.h"
#include "lock-clock.h"
#include "lock-creds.h"
#include "lock-error.h"
#include "lock-log.h"
#include "lock.h"
#include "log.h"
#include "oplog.h"
#include "pairing.h"
#include "radio.h"
#include "reply.h"
#include "settings.h"
#include "sim-util.h"
#include "state.h"
#include "time-util.h"

/* Enrolling a fingerprint takes this many presses (§4.3 FR_MANAGE: progress replies until done). */
#define SIM_FINGER_PRESSES 4
/* AUTO_LOCK_MANAGE query range (§4.3 d[4..7]). */
#define SIM_AUTO_LOCK_MIN 1
#define SIM_AUTO_LOCK_MAX 900

static uint32_t random_u32(void) {
        uint32_t v = 0;

        if (getrandom(&v, sizeof(v), 0) != sizeof(v))
                v = (uint32_t) rand();
        return v;
}

static void random_key(uint8_t key[TTLOCK_KEY_SIZE]) {
        if (getrandom(key, TTLOCK_KEY_SIZE, 0) != TTLOCK_KEY_SIZE)
                for (size_t i = 0; i < TTLOCK_KEY_SIZE; i++)
                        key[i] = (uint8_t) rand();
}

void lock_changed(SimLock *l) {
        state_schedule_save(l->sim);
}

int lock_setup(SimLock *l, size_t slots) {
        l->creds = creds_new(slots);
        l->log = log_new();
        if (!l->creds || !l->log)
                return -ENOMEM;
        ttlock_reassembler_init(&l->rx);
        return 0;
}

void lock_free(SimLock *l) {
        l->creds = creds_free(l->creds);
        l->log = log_free(l->log);
        erase_memory(l->key, sizeof(l->key));
        erase_memory(&l->session, sizeof(l->session));
}

/* ---- output ---- */

/* Frames a plaintext (nothing when plain_len is 0: the L = 0 reply of §2.4) and queues it. */
static void send_frame(
        SimLock *l,
        uint8_t frame_command,
        const uint8_t *key,
        const uint8_t *plain,
        size_t plain_len,
        bool bad_crc) {
        TTFrameHeader h = TTLOCK_V3_LOCK_HEADER(frame_command);
        uint8_t frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX];
        size_t n, wn;
        TTError e = {};
        int r;

        r = ttlock_frame_build(&h, key, plain, plain_len, frame, sizeof(frame), &n, &e);
        if (r < 0) {
                log_error_errno(r, "%s: cannot build a reply: %s", l->address_str, tt_error_message(&e));
                return;
        }
        if (bad_crc)
                frame[n - 1] ^= 0xA5;
        r = ttlock_wire_encode(frame, n, wire, sizeof(wire), &wn, &e);
        if (r < 0) {
                log_error_errno(r, "%s: cannot frame a reply: %s", l->address_str, tt_error_message(&e));
                return;
        }
        radio_send(l, wire, wn);
}

static const uint8_t *current_key(SimLock *l) {
        return l->paired ? l->key : ttlock_default_key;
}

/* A frame the lock sends on its own: pushes and enrolment steps (§7.3, §4.3). */
static void send_unsolicited(SimLock *l, const TTWriter *w) {
        size_t n;

        if (l->conn != SIM_CONNECTED || tt_writer_finish(w, &n, NULL) < 0)
                return;
        send_frame(l, TTLOCK_CMD_RESPONSE, current_key(l), w->buf, n, false);
}

bool lock_has_door_sensor(const SimLock *l) {
        return ttlock_features_has(&l->features, TTLOCK_FEATURE_MAGNETOMETER) ||
                ttlock_features_has(&l->features, TTLOCK_FEATURE_DOOR_SENSOR);
}

static void push_state(SimLock *l) {
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTStatusPush p = {
                .kind = TTLOCK_PUSH_STATE,
                .battery = l->battery,
                .state = l->locked ? TTLOCK_STATE_LOCKED : TTLOCK_STATE_UNLOCKED,
                .has_flag = true,
                /* §4.7: the third byte as d[2] of the 0x14 reply, the door (0 on locks without). */
                .flag = lock_has_door_sensor(l) && l->door_open,
        };

        ttlock_reply_begin(&w, TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        if (ttlock_status_push_encode(&w, &p) >= 0)
                send_unsolicited(l, &w);
}

static void push_record(SimLock *l, uint32_t uid, uint32_t record_id) {
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTStatusPush p = {
                .kind = TTLOCK_PUSH_RECORD,
                .battery = l->battery,
                .uid = uid,
                .record_id = record_id,
        };

        p.time_valid = lock_clock_datetime(l, &p.time) >= 0;
        ttlock_reply_begin(&w, TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        if (ttlock_status_push_encode(&w, &p) >= 0)
                send_unsolicited(l, &w);
}

/* ---- state changes ---- */

/* The lock's weekday (1 = Monday … 7 = Sunday, as passage mode and CYCLIC_CMD count them, §4.3),
 * minute of the day and date, from its own clock. */
static int clock_week_minute(SimLock *l, unsigned *ret_weekday, unsigned *ret_minute, TTDateTime *ret_now) {
        int64_t t = lock_clock_now(l);
        TTDateTime now;

        if (lock_clock_datetime(l, &now) < 0)
                return -ERANGE;
        *ret_weekday = (unsigned) (((t / 86400) + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
        *ret_minute = now.hour * 60u + now.minute;
        if (ret_now)
                *ret_now = now;
        return 0;
}

static bool in_passage_window(SimLock *l) {
        TTDateTime now;
        unsigned weekday, minute;

        if (l->n_passage == 0 || clock_week_minute(l, &weekday, &minute, &now) < 0)
                return false;
        for (size_t i = 0; i < l->n_passage; i++) {
                const SimPassage *p = &l->passage[i];
                unsigned start = p->start_hour * 60u + p->start_minute,
                         end = p->end_hour * 60u + p->end_minute;

                /* The apps' "all day" is 00:00–23:59 ([BZ] switches passage mode on with it, §4.8):
                 * 23:59 ends with the day, so that the last minute is not the one the lock locks. */
                if (end == 23 * 60 + 59)
                        end = 24 * 60;

                if (p->type == TTLOCK_PASSAGE_MODE_WEEKLY && p->week_or_day != 0 &&
                    p->week_or_day != weekday)
                        continue;
                if (p->type == TTLOCK_PASSAGE_MODE_MONTHLY && p->week_or_day != now.day)
                        continue;
                if (minute >= start && minute < end)
                        return true;
        }
        return false;
}

static void set_locked(SimLock *l, bool locked) {
        if (l->locked != locked) {
                l->locked = locked;
                sim_lock_changed(l, "Locked");
                lock_changed(l);
        }
        /* §5.3: the auto-lock timer starts with every unlock; inside a passage-mode window the lock
         * stays open (§4.3 CONFIGURE_PASSAGE_MODE). */
        if (!locked && l->auto_lock_seconds > 0 && !in_passage_window(l))
                l->auto_lock_at = sim_now(l->sim) + (uint64_t) l->auto_lock_seconds * USEC_PER_SEC;
        else
                l->auto_lock_at = 0;
        radio_update(l);
}

static void add_record(SimLock *l, TTLogRecord *rec);

/* Sim1.InjectFault("jam", n): the next n times the motor runs it does not get there (doc/protocol.md
 * §4.6). The lock writes its record of the timeout (65 unlocking, 66 locking) and the bolt stays. */
static bool motor_jams(SimLock *l, bool locking) {
        TTLogRecord rec = { .type = locking ? TTLOCK_LOG_LOCK_TIMEOUT : TTLOCK_LOG_UNLOCK_TIMEOUT,
                            .tail = TTLOCK_LOG_TAIL_RAW };

        if (l->faults[SIM_FAULT_JAM] == 0)
                return false;
        l->faults[SIM_FAULT_JAM]--;
        sim_lock_changed(l, "Faults");
        add_record(l, &rec);
        log_info("%s: the motor jammed while %s.", l->address_str, locking ? "locking" : "unlocking");
        return true;
}

void lock_auto_lock(SimLock *l) {
        if (l->locked || in_passage_window(l))
                return;
        if (motor_jams(l, /* locking= */ true)) {
                push_record(l, 0, ++l->record_counter);
                return;
        }
        /* No log record for auto-lock (§4.3 GET_OPERATE_LOG, §7.2): only the bolt bit and a push. */
        set_locked(l, true);
        push_state(l);
}

static void add_record(SimLock *l, TTLogRecord *rec) {
        int r;

        rec->battery = l->battery;
        if (lock_clock_datetime(l, &rec->date) < 0)
                rec->date = (TTDateTime){ 2000, 1, 1, 0, 0, 0 };
        r = log_add(l->log, rec);
        if (r < 0) {
                log_error_errno(r, "%s: cannot log record type %u: %m", l->address_str, rec->type);
                return;
        }
        sim_lock_changed(l, "LogRecords");
        lock_changed(l);
}

static void add_passcode_record(SimLock *l, uint8_t type, const char *original, const char *typed) {
        TTLogRecord rec = { .type = type, .tail = ttlock_log_type_tail(type) };

        if (rec.tail == TTLOCK_LOG_TAIL_WRONG_PASSCODE)
                (void) snprintf(rec.wrong.passcode.code, sizeof(rec.wrong.passcode.code), "%s", typed);
        else {
                (void) snprintf(
                        rec.passcode_pair.original.code,
                        sizeof(rec.passcode_pair.original.code),
                        "%s",
                        original);
                (void) snprintf(
                        rec.passcode_pair.typed.code, sizeof(rec.passcode_pair.typed.code), "%s", typed);
        }
        add_record(l, &rec);
}

/* ---- the person at the door ---- */

/* A card or fingerprint with weekly schedules (CYCLIC_CMD) opens only inside one of them, by the
 * lock's clock; a lock whose clock left 2000…2099 lets nobody with a schedule in. */
static bool schedule_allows(SimLock *l, const SimSchedule *s) {
        unsigned weekday, minute;

        if (s->n_cyclic == 0)
                return true;
        if (clock_week_minute(l, &weekday, &minute, NULL) < 0)
                return false;
        return creds_schedule_allows(s, weekday, minute);
}

static void door_event(SimLock *l, bool unlocked) {
        uint32_t id = ++l->record_counter;

        /* A credential the lock took, and a motor that does not get there: its record follows. */
        if (unlocked && motor_jams(l, /* locking= */ false))
                unlocked = false;
        if (unlocked)
                set_locked(l, false);
        /* While a client is connected the lock also says "a record was written" (§7.3). */
        push_record(l, 0, id);
        if (unlocked)
                push_state(l);
}

int lock_keypad(SimLock *l, const char *code) {
        TTPasscodeEntry *p;
        int64_t now = lock_clock_now(l);

        radio_touch(l);
        if (!ttlock_features_has(&l->features, TTLOCK_FEATURE_PASSCODE))
                return -EOPNOTSUPP;
        if (l->paired && !l->frozen && !isempty(l->admin_passcode) && streq(code, l->admin_passcode)) {
                if (l->dead_locked) {
                        /* §4.4 LOCK_REVERSE: double-locked, the keypad may not open (log type 38). */
                        add_passcode_record(l, TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED, code, code);
                        door_event(l, false);
                        return -EACCES;
                }
                add_passcode_record(l, TTLOCK_LOG_PASSCODE_UNLOCK, code, code);
                door_event(l, true);
                return 0;
        }
        p = l->paired && !l->frozen ? creds_passcode_find(l->creds, code) : NULL;
        if (!p) {
                add_passcode_record(l, TTLOCK_LOG_WRONG_PASSCODE, NULL, code);
                door_event(l, false);
                return -EPERM;
        }
        /* Inside its validity, and inside one of its weekly windows if it has any (§4.9). */
        if (!creds_passcode_usable(p, now) || !schedule_allows(l, creds_passcode_schedule(l->creds, p))) {
                add_passcode_record(l, TTLOCK_LOG_PASSCODE_EXPIRED, p->original, code);
                door_event(l, false);
                return -EPERM;
        }
        if (l->dead_locked) {
                /* A one-time code that could not open is not used up. */
                add_passcode_record(l, TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED, p->original, code);
                door_event(l, false);
                return -EACCES;
        }
        add_passcode_record(l, TTLOCK_LOG_PASSCODE_UNLOCK, p->original, code);
        if (p->type == TTLOCK_PASSCODE_COUNT)
                creds_passcode_remove(l->creds, p); /* one-time: used up */
        door_event(l, true);
        return 0;
}

static void enrol_send(SimLock *l, uint8_t command, TTWriter *w) {
        send_unsolicited(l, w);
}

/* (Re)starts the enrolment time-out; radio.c's timer calls lock_enrol_expired() when it runs out. */
static void enrol_arm(SimLock *l) {
        uint64_t t = l->sim->timing.enrol_timeout_usec;

        l->enroll_deadline = t > 0 ? sim_now(l->sim) + t : 0;
        radio_update(l);
}

static void enrol_start(SimLock *l, SimEnrollKind kind) {
        l->enroll = kind;
        l->enroll_presses = 0;
        enrol_arm(l);
}

void lock_timer_due(SimLock *l, uint64_t now) {
        if (l->enroll != SIM_ENROLL_NONE && l->enroll_deadline > 0 && now >= l->enroll_deadline)
                lock_enrol_expired(l);
        if (l->auto_lock_at > 0 && now >= l->auto_lock_at) {
                l->auto_lock_at = 0;
                lock_auto_lock(l);
        }
}

void lock_enrol_expired(SimLock *l) {
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        uint8_t command = l->enroll == SIM_ENROLL_CARD ? TTLOCK_CMD_IC_MANAGE : TTLOCK_CMD_FR_MANAGE;

        if (l->enroll == SIM_ENROLL_NONE)
                return;
        /* Nobody presented a card or finger in time: the lock leaves add mode and says so with the
         * §4.4 "undefined failure" LOCK_OPERATE_FAILED (0x13) — there is no time-out code on the
         * wire (0x400 is the SDK's own), and 0x13 is what a client treats as "try again". */
        l->enroll = SIM_ENROLL_NONE;
        l->enroll_deadline = 0;
        ttlock_reply_error(&w, command, TTLOCK_ERR_OPERATE_FAILED);
        enrol_send(l, command, &w);
        radio_activity(l);
}

int lock_card(SimLock *l, uint64_t number) {
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTLogRecord rec = { .tail = TTLOCK_LOG_TAIL_CARD };
        TTCard card = { .number = number, .size = ttlock_card_size_for(number) };
        SimCard *c;

        radio_touch(l);
        if (!ttlock_features_has(&l->features, TTLOCK_FEATURE_IC))
                return -EOPNOTSUPP;

        if (l->enroll == SIM_ENROLL_CARD && l->conn == SIM_CONNECTED) {
                TTDateTime start, end;
                int r;

                /* §4.3: an 8-byte number ending in FF FF FF FF reads as a 4-byte card in the enrolment
                 * reply, so no reply can carry it: refuse it before storing a card the client would
                 * never learn of (the encoder refuses it, and the reply went out empty). */
                if (card.size == 8 && (card.number & UINT32_MAX) == UINT32_MAX)
                        return -EINVAL;
                creds_permanent_window(&start, &end);
                r = creds_card_add(l->creds, &card, &start, &end);
                ttlock_reply_begin(&w, TTLOCK_CMD_IC_MANAGE);
                if (r > 0) {
                        w.len = 0;
                        ttlock_reply_error(&w, TTLOCK_CMD_IC_MANAGE, (uint8_t) r);
                } else if (r == 0)
                        (void) ttlock_card_enrol_success_encode(&w, l->battery, &card, NULL);
                else
                        return r;
                l->enroll = SIM_ENROLL_NONE;
                l->enroll_deadline = 0;
                enrol_send(l, TTLOCK_CMD_IC_MANAGE, &w);
                lock_changed(l);
                radio_activity(l);
                return 0;
        }

        rec.card = card;
        c = l->paired && !l->frozen ? creds_card_find(l->creds, number) : NULL;
        if (!c || !creds_window_valid(&c->start, &c->end, lock_clock_now(l)) ||
            !schedule_allows(l, &c->schedule)) {
                rec.type = TTLOCK_LOG_IC_UNLOCK_FAILED;
                add_record(l, &rec);
                door_event(l, false);
                return -EPERM;
        }
        if (l->dead_locked) {
                rec.type = TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED;
                add_record(l, &rec);
                door_event(l, false);
                return -EACCES;
        }
        rec.type = TTLOCK_LOG_IC_UNLOCK;
        add_record(l, &rec);
        door_event(l, true);
        return 0;
}

int lock_finger(SimLock *l, uint64_t id) {
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTLogRecord rec = { .tail = TTLOCK_LOG_TAIL_FINGERPRINT };
        SimFinger *f;

        radio_touch(l);
        if (!ttlock_features_has(&l->features, TTLOCK_FEATURE_FINGER_PRINT))
                return -EOPNOTSUPP;
        if (id > TTLOCK_FINGERPRINT_ID_MAX)
                return -EINVAL;

        if (l->enroll == SIM_ENROLL_FINGER && l->conn == SIM_CONNECTED) {
                TTFingerprintReply rp = { .battery = l->battery, .op = TTLOCK_FP_OP_ADD };

                l->enroll_presses++;
                if (l->enroll_presses < SIM_FINGER_PRESSES) {
                        rp.add_status = TTLOCK_ENROL_PROGRESS;
                        rp.current = (uint8_t) l->enroll_presses;
                        rp.total = SIM_FINGER_PRESSES;
                        /* Each press gives the person the whole time-out again for the next. */
                        enrol_arm(l);
                } else {
                        TTDateTime start, end;
                        int r;

                        creds_permanent_window(&start, &end);
                        r = creds_finger_add(l->creds, id, &start, &end);
                        if (r < 0)
                                return r;
                        l->enroll = SIM_ENROLL_NONE;
                        l->enroll_deadline = 0;
                        if (r > 0) {
                                ttlock_reply_error(&w, TTLOCK_CMD_FR_MANAGE, (uint8_t) r);
                                enrol_send(l, TTLOCK_CMD_FR_MANAGE, &w);
                                return 0;
                        }
                        rp.add_status = TTLOCK_ENROL_SUCCESS;
                        rp.id = id;
                        lock_changed(l);
                }
                ttlock_reply_begin(&w, TTLOCK_CMD_FR_MANAGE);
                if (ttlock_fingerprint_add_reply_encode(&w, &rp, NULL) >= 0)
                        enrol_send(l, TTLOCK_CMD_FR_MANAGE, &w);
                radio_activity(l);
                return 0;
        }

        rec.fingerprint.id = id;
        f = l->paired && !l->frozen ? creds_finger_find(l->creds, id) : NULL;
        if (!f || !creds_window_valid(&f->start, &f->end, lock_clock_now(l)) ||
            !schedule_allows(l, &f->schedule)) {
                rec.type = TTLOCK_LOG_FR_UNLOCK_FAILED;
                add_record(l, &rec);
                door_event(l, false);
                return -EPERM;
        }
        if (l->dead_locked) {
                rec.type = TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED;
                add_record(l, &rec);
                door_event(l, false);
                return -EACCES;
        }
        rec.type = TTLOCK_LOG_FR_UNLOCK;
        add_record(l, &rec);
        door_event(l, true);
        return 0;
}

void lock_knob(SimLock *l, bool locked) {
        TTLogRecord rec = { .tail = TTLOCK_LOG_TAIL_NONE };

        radio_touch(l);
        rec.type = locked ? TTLOCK_LOG_MECHANICAL_KEY_LOCK : TTLOCK_LOG_MECHANICAL_KEY_UNLOCK;
        add_record(l, &rec);
        /* The mechanical key moves the bolt itself: it opens a double-locked door too. */
        if (!locked && l->dead_locked) {
                l->dead_locked = false;
                lock_changed(l);
        }
        set_locked(l, locked);
        push_record(l, 0, ++l->record_counter);
        push_state(l);
}

int lock_door(SimLock *l, bool open) {
        TTLogRecord rec = { .tail = TTLOCK_LOG_TAIL_NONE };

        if (!lock_has_door_sensor(l))
                return -EOPNOTSUPP;
        if (l->door_open == open)
                return 0;
        /* §4.7: the sensor wakes the lock, which logs it (31 opened, 30 closed) and, to a client
         * connected now, pushes "a record was written" and its state with the door in it. */
        radio_touch(l);
        l->door_open = open;
        rec.type = open ? TTLOCK_LOG_DOOR_SENSOR_OPENED : TTLOCK_LOG_DOOR_SENSOR_CLOSED;
        add_record(l, &rec);
        sim_lock_changed(l, "DoorOpen");
        lock_changed(l);
        push_record(l, 0, ++l->record_counter);
        push_state(l);
        return 0;
}

void lock_set_battery(SimLock *l, uint8_t battery) {
        l->battery = battery;
        sim_lock_changed(l, "Battery");
        lock_changed(l);
}

void lock_factory_reset(SimLock *l) {
        bool was_paired = l->paired;

        l->paired = false;
        erase_memory(l->key, sizeof(l->key));
        l->admin_ps = l->unlock_key = 0;
        l->lock_flag_pos = 0;
        l->admin_passcode[0] = 0;
        l->auto_lock_seconds = 0;
        l->auto_lock_at = 0;
        l->sound = true;
        l->volume = 3;
        l->remote_unlock = false;
        l->show_password = false;
        l->frozen = false;
        l->dead_locked = false;
        l->lamp_seconds = 0;
        l->switch_values = TTLOCK_SWITCH_RESET_BUTTON;
        l->n_passage = 0;
        creds_clear_all(l->creds);
        log_clear(l->log);
        l->enroll = SIM_ENROLL_NONE;
        l->enroll_deadline = 0;
        erase_memory(&l->session, sizeof(l->session));
        if (was_paired)
                sim_lock_changed(l, "Paired");
        sim_lock_changed(l, "AutoLockSeconds");
        sim_lock_changed(l, "LogRecords");
        lock_changed(l);
        /* §4.3 RESET_LOCK: afterwards the lock advertises setting mode; it is awake after the press. */
        radio_touch(l);
}

/* ---- connection ---- */

void lock_connected(SimLock *l) {
        erase_memory(&l->session, sizeof(l->session));
        ttlock_reassembler_reset(&l->rx);
        l->enroll = SIM_ENROLL_NONE;
        l->enroll_deadline = 0;
        l->drop_after_flush = false;
}

void lock_disconnected(SimLock *l) {
        /* §5: authentication is per connection. */
        erase_memory(&l->session, sizeof(l->session));
        ttlock_reassembler_reset(&l->rx);
        radio_flush_discard(l);
        l->enroll = SIM_ENROLL_NONE;
        l->enroll_deadline = 0;
        l->drop_after_flush = false;
        l->idle_drop_at = 0;
}

/* ---- requests ---- */

typedef struct Exchange {
        SimLock *l;
        uint8_t command;
        const uint8_t *data; /* decrypted request payload */
        size_t len;
        TTWriter w; /* reply plaintext */
        uint8_t buf[TTLOCK_PLAIN_MAX];
        TTError e;
        bool empty_reply; /* L = 0 */
        bool silent;      /* no reply at all */
        uint8_t frame_command;
        const uint8_t *key;
} Exchange;

static int fail(Exchange *x, uint8_t code) {
        x->w.len = 0;
        x->w.overflow = false;
        ttlock_reply_error(&x->w, x->command, code);
        return 0;
}

/* A request the decoder refused: a length problem is §4.4's "parameter length error", a passcode
 * (or admin passcode) of a length the lock does not take is LOCK_PASSWORD_LENGTH_INVALID (§4.3
 * MANAGE_KEYBOARD_PASSWORD: "0x0F bad length"; the decoder refuses it before the credential store
 * could say so), anything else an invalid parameter. */
static int bad_request(Exchange *x) {
        const char *m = tt_error_message(&x->e);

        log_debug("%s: bad %s request: %s", x->l->address_str, ttlock_command_name(x->command) ?: "?", m);
        if (strstr(m, "truncated") || strstr(m, "trailing"))
                return fail(x, TTLOCK_ERR_NO_DEFINED_ERROR);
        if ((x->command == TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD && strstr(m, "passcode: length ")) ||
            (x->command == TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD && strstr(m, "digits, expected")))
                return fail(x, TTLOCK_ERR_PASSWORD_LENGTH_INVALID);
        return fail(x, TTLOCK_ERR_INVALID_PARAM);
}

static bool need_admin(Exchange *x) {
        if (x->l->session.admin)
                return true;
        fail(x, TTLOCK_ERR_USER_NOT_LOGIN);
        return false;
}

static bool need_feature(Exchange *x, unsigned bit) {
        if (ttlock_features_has(&x->l->features, bit))
                return true;
        fail(x, TTLOCK_ERR_INVALID_COMMAND);
        return false;
}

static bool need_empty(Exchange *x) {
        if (ttlock_empty_request_decode(x->command, x->data, x->len, &x->e) >= 0)
                return true;
        bad_request(x);
        return false;
}

/* A fault armed through Sim1.InjectFault, for this command; spends it. Each fault is asked about at
 * most once per exchange, so that "#N" counts exchanges. */
static bool fault_due(SimLock *l, SimFault f, uint8_t command) {
        if (l->faults[f] == 0 || (l->fault_command[f] != 0 && l->fault_command[f] != command))
                return false;
        if (l->fault_skip[f] > 0) {
                l->fault_skip[f]--;
                return false;
        }
        l->faults[f]--;
        sim_lock_changed(l, "Faults");
        return true;
}

/* Noise, the same every time (a test that fails can be rerun): a multiplicative hash of the position.
 * Never 7F 5A, so that it cannot be taken for the start of a frame (§1.4). */
static void fill_noise(uint8_t *buf, size_t len, unsigned seed) {
        for (size_t i = 0; i < len; i++) {
                buf[i] = (uint8_t) (((seed + i + 1) * 2654435761U) >> 13);
                if (buf[i] == 0x7F)
                        buf[i] = 0x7E;
        }
}

/* Sim1.InjectFault "garbage": one notification of noise, in line with the frames (radio.c's queue). */
static void send_garbage(SimLock *l) {
        uint8_t noise[TTLOCK_CHUNK_SIZE];

        fill_noise(noise, sizeof(noise), l->sim->exchanges);
        radio_send(l, noise, sizeof(noise));
}

/* Sim1.InjectFault "garbage-frame": a frame with a valid header, length and CRC (§1.4, §2) whose
 * encrypted body is noise: it survives reassembly and the CRC check, and only decrypting tells. */
static void send_garbage_frame(SimLock *l) {
        uint8_t body[32], frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX];
        TTFrameHeader h = TTLOCK_V3_LOCK_HEADER(TTLOCK_CMD_RESPONSE);
        size_t n, wn;

        fill_noise(body, sizeof(body), l->sim->exchanges + 7);
        /* Built with a key nobody holds: the bytes are noise to every reader. */
        if (ttlock_frame_build(&h, body, body, sizeof(body), frame, sizeof(frame), &n, NULL) < 0 ||
            ttlock_wire_encode(frame, n, wire, sizeof(wire), &wn, NULL) < 0)
                return;
        radio_send(l, wire, wn);
}

void lock_send_raw(SimLock *l, const uint8_t *data, size_t len) {
        /* ≤ 20 bytes per notification, as the radio sends everything (radio.c flush()). */
        while (len > 0) {
                size_t n = MIN(len, (size_t) TTLOCK_CHUNK_SIZE);

                radio_send(l, data, n);
                data += n;
                len -= n;
        }
}

static void log_command(SimLock *l, uint8_t command) {
        if (l->n_command_log == SIM_COMMAND_LOG_MAX) {
                memmove(l->command_log, l->command_log + 1, SIM_COMMAND_LOG_MAX - 1);
                l->n_command_log--;
        }
        l->command_log[l->n_command_log++] = command;
}

static int do_get_aes_key(Exchange *x) {
        SimLock *l = x->l;
        uint8_t key[TTLOCK_KEY_SIZE];

        /* §3.2: asked and answered under the default key, reply frame command 0x19 (§2.4). */
        x->key = ttlock_default_key;
        x->frame_command = TTLOCK_CMD_GET_AES_KEY;
        /* The whole payload is the vendor string, so any other non-empty payload is a wrong vendor,
         * whatever its length: the OEM vendor §4.3 cites ([RR], DLock-XP) is 32 characters long and
         * gets INVALID_VENDOR, not a parameter-length error. */
        if (ttlock_get_aes_key_request_decode(x->data, x->len, &x->e) < 0)
                return x->len > 0 ? fail(x, TTLOCK_ERR_INVALID_VENDOR) : bad_request(x);

        /* A lock with an admin hands out a key it does not use: the ADD_ADMIN that follows cannot
         * be read, and gets the L = 0 answer the SDK reads as "not in setting mode" (§2.4). */
        random_key(key);
        if (!l->paired) {
                memcpy(l->session.pending_key, key, sizeof(key));
                l->session.key_issued = true;
        }
        ttlock_reply_begin(&x->w, x->command);
        ttlock_get_aes_key_reply_encode(&x->w, key);
        erase_memory(key, sizeof(key));
        return 0;
}

static int do_add_admin(Exchange *x) {
        SimLock *l = x->l;
        TTAddAdminRequest q;

        if (ttlock_add_admin_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        l->paired = true;
        memcpy(l->key, l->session.pending_key, sizeof(l->key));
        l->admin_ps = q.admin_ps;
        l->unlock_key = q.unlock_key;
        l->lock_flag_pos = 0;
        l->session.key_issued = false;
        erase_memory(l->session.pending_key, sizeof(l->session.pending_key));
        /* §5.1: the rest of the pairing runs without a login — the new admin is authorised. */
        l->session.admin = true;
        sim_lock_changed(l, "Paired");
        lock_changed(l);
        ttlock_reply_begin(&x->w, x->command);
        ttlock_add_admin_reply_encode(&x->w);
        return 0;
}

static int do_check_admin(Exchange *x) {
        SimLock *l = x->l;
        TTCheckAdminRequest q;
        TTChallengeReply c;

        if (ttlock_check_admin_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        if (q.admin_ps != l->admin_ps)
                return fail(x, TTLOCK_ERR_ADMIN_CHECK_ERROR);
        /* The app resets every eKey with a CHECK_ADMIN that carries lockFlagPos + 1, and the lock keeps
         * the higher value (TTLockClient.resetEkey, doc/lockdata.md §4). A lower one is accepted: the
         * sources do not show a lock refusing the admin for it (doc/lockdata.md §8). */
        if (q.lock_flag_pos > l->lock_flag_pos) {
                log_debug(
                        "%s: eKeys reset, flag position %u → %u",
                        l->address_str,
                        l->lock_flag_pos,
                        q.lock_flag_pos);
                l->lock_flag_pos = q.lock_flag_pos;
                lock_changed(l);
        }
        c.ps_from_lock = random_u32();
        l->session.challenge = SIM_CHALLENGE_ADMIN;
        l->session.ps_from_lock = c.ps_from_lock;
        l->session.uid = q.uid;
        ttlock_reply_begin(&x->w, x->command);
        ttlock_challenge_reply_encode(&x->w, &c);
        return 0;
}

static int do_check_user_time(Exchange *x) {
        SimLock *l = x->l;
        TTCheckUserTimeRequest q;
        TTChallengeReply c;
        int64_t now = lock_clock_now(l);

        if (ttlock_check_user_time_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        /* An eKey from before the last reset (§4.4 LOCK_KEY_FLAG_INVALID), checked before its
         * validity: a reset key is invalid whatever its dates. */
        if (q.lock_flag_pos < l->lock_flag_pos)
                return fail(x, TTLOCK_ERR_KEY_FLAG_INVALID);
        if (now < ttlock_datetime_to_unix(&q.start))
                return fail(x, TTLOCK_ERR_USER_TIME_INEFFECTIVE);
        if (now >= ttlock_datetime_to_unix(&q.end) + 60)
                return fail(x, TTLOCK_ERR_USER_TIME_EXPIRED);
        c.ps_from_lock = random_u32();
        l->session.challenge = SIM_CHALLENGE_USER;
        l->session.ps_from_lock = c.ps_from_lock;
        l->session.uid = q.uid;
        ttlock_reply_begin(&x->w, x->command);
        ttlock_challenge_reply_encode(&x->w, &c);
        return 0;
}

static bool sum_ok(Exchange *x, uint32_t sum) {
        SimLock *l = x->l;

        if (l->session.challenge == SIM_CHALLENGE_NONE) {
                fail(x, TTLOCK_ERR_USER_NOT_LOGIN);
                return false;
        }
        if (sum != ttlock_unlock_sum(l->session.ps_from_lock, l->unlock_key)) {
                /* The sum is the "dynamic password" of the SDK (getUnlockPwd_new). */
                fail(x, TTLOCK_ERR_DYNAMIC_PWD_ERROR);
                return false;
        }
        return true;
}

static int do_check_random(Exchange *x) {
        uint32_t sum;

        if (ttlock_check_random_request_decode(x->data, x->len, &sum, &x->e) < 0)
                return bad_request(x);
        if (!sum_ok(x, sum))
                return 0;
        /* After CHECK_ADMIN it completes the admin login (§5.2). After CHECK_USER_TIME it proves the
         * unlock key of an eKey, which the SDK does before setting the clock (BluetoothImpl,
         * OP_CALIBRATE_TIME): that is all it allows, an eKey is no administrator (doc/lockdata.md §4). */
        if (x->l->session.challenge == SIM_CHALLENGE_ADMIN)
                x->l->session.admin = true;
        else
                x->l->session.user_checked = true;
        ttlock_reply_begin(&x->w, x->command);
        return 0;
}

static int do_actuate(Exchange *x) {
        SimLock *l = x->l;
        TTActuateRequest q;
        TTActuateReply a = { .battery = l->battery, .has_record = true };
        TTLogRecord rec = { .tail = TTLOCK_LOG_TAIL_APP };
        bool unlock = x->command == TTLOCK_CMD_UNLOCK, dead = x->command == TTLOCK_CMD_DEAD_LOCK;

        /* DEAD_LOCK exists only on locks with feature bit 32 (§8); without it the command is
         * unknown to the lock, whatever its payload. */
        if (dead && !need_feature(x, TTLOCK_FEATURE_DEAD_LOCK))
                return 0;
        if (ttlock_actuate_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        if (x->command == TTLOCK_CMD_FUNCTION_LOCK && !need_feature(x, TTLOCK_FEATURE_MANUAL_LOCK))
                return 0;
        if (!sum_ok(x, q.sum))
                return 0;
        if (l->battery == 0)
                return fail(x, TTLOCK_ERR_NO_POWER);
        /* §4.8: a frozen lock still opens for its administrator (a CHECK_ADMIN login, or the admin's
         * uid), for no eKey. */
        if (l->frozen && l->session.challenge == SIM_CHALLENGE_USER && l->session.uid != l->admin_uid)
                return fail(x, TTLOCK_ERR_LOCK_FROZEN);
        /* §4.6: the motor ran and did not get there; the app hears "failed without a reason". */
        if (motor_jams(l, /* locking= */ !unlock)) {
                push_record(l, l->session.uid, ++l->record_counter);
                return fail(x, TTLOCK_ERR_OPERATE_FAILED);
        }

        /* §4.3 lists no record type of its own for a double-lock: it is an app lock (26). */
        rec.type = unlock ? TTLOCK_LOG_APP_UNLOCK : TTLOCK_LOG_BLE_LOCK;
        rec.app.uid = l->session.uid;
        rec.app.record_id = q.timestamp;
        add_record(l, &rec);
        /* The app's unlock releases a double-lock (§4.4 LOCK_REVERSE keeps out keypad, card and
         * finger only); a plain lock leaves it as it is. */
        if ((unlock && l->dead_locked) || dead) {
                l->dead_locked = dead;
                lock_changed(l);
        }
        set_locked(l, !unlock);

        a.uid = l->session.uid;
        a.unique_id = q.timestamp;
        a.time_valid = lock_clock_datetime(l, &a.time) >= 0;
        ttlock_reply_begin(&x->w, x->command);
        if (ttlock_actuate_reply_encode(&x->w, &a) < 0)
                return -EINVAL;
        return 0;
}

static int do_status(Exchange *x) {
        SimLock *l = x->l;
        TTStatusReply s = {
                .battery = l->battery,
                .state = l->locked ? TTLOCK_STATE_LOCKED : TTLOCK_STATE_UNLOCKED,
                .has_door_sensor = lock_has_door_sensor(l),
                .door_sensor = l->door_open, /* §4.7: 0 closed, 1 open */
        };

        if (ttlock_status_request_decode(x->data, x->len, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        ttlock_status_reply_encode(&x->w, &s);
        return 0;
}

static int do_features(Exchange *x) {
        TTFeatureReply f = { .battery = x->l->battery, .features = x->l->features };

        if (!need_empty(x))
                return 0;
        if (f.features.n_groups == 0)
                f.features.n_groups = 1;
        ttlock_reply_begin(&x->w, x->command);
        ttlock_feature_reply_encode(&x->w, &f);
        return 0;
}

static int do_time_calibrate(Exchange *x) {
        TTDateTime t;

        /* The admin, or an eKey that proved its unlock key (CHECK_USER_TIME, CHECK_RANDOM). */
        if (!x->l->session.user_checked && !need_admin(x))
                return 0;
        if (ttlock_time_calibrate_request_decode(x->data, x->len, &t, &x->e) < 0)
                return bad_request(x);
        lock_clock_set(x->l, &t);
        lock_changed(x->l);
        ttlock_reply_begin(&x->w, x->command);
        return 0;
}

static int do_lock_time(Exchange *x) {
        TTDateTime t;

        if (!need_empty(x))
                return 0;
        if (lock_clock_datetime(x->l, &t) < 0)
                return fail(x, TTLOCK_ERR_OPERATE_FAILED);
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_lock_time_reply_encode(&x->w, &t);
}

static int do_device_info(Exchange *x) {
        SimLock *l = x->l;
        const char *text;
        char buf[32];
        uint8_t type;

        if (ttlock_device_info_request_decode(x->data, x->len, &type, &x->e) < 0)
                return bad_request(x);
        switch (type) {
        case TTLOCK_DEVICE_INFO_MODEL:
                text = l->model;
                break;
        case TTLOCK_DEVICE_INFO_HARDWARE_REVISION:
                text = l->hardware;
                break;
        case TTLOCK_DEVICE_INFO_FIRMWARE_REVISION:
                text = l->firmware;
                break;
        case TTLOCK_DEVICE_INFO_MANUFACTURE_DATE:
                text = l->manufacture_date;
                break;
        case TTLOCK_DEVICE_INFO_MAC:
                text = l->address_str;
                break;
        case TTLOCK_DEVICE_INFO_LOCK_CLOCK: {
                TTDateTime t;
                if (lock_clock_datetime(l, &t) < 0)
                        return fail(x, TTLOCK_ERR_OPERATE_FAILED);
                (void) snprintf(
                        buf,
                        sizeof(buf),
                        "%02u%02u%02u%02u%02u%02u",
                        t.year % 100u,
                        t.month,
                        t.day,
                        t.hour,
                        t.minute,
                        t.second);
                text = buf;
                break;
        }
        default:
                /* NB-IoT fields and the passcode key number: this lock has no such hardware. */
                return fail(x, TTLOCK_ERR_INVALID_PARAM);
        }
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_device_info_reply_encode(&x->w, text);
}

static int do_log(Exchange *x) {
        uint16_t seq;
        int r;

        if (ttlock_log_request_decode(x->data, x->len, &seq, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        r = log_page(x->l->log, seq, &x->w, &x->e);
        if (r < 0)
                return r;
        return 0;
}

static int do_auto_lock(Exchange *x) {
        SimLock *l = x->l;
        TTAutoLockRequest q;
        TTAutoLockReply a = { .battery = l->battery };

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_AUTO_LOCK))
                return 0;
        if (ttlock_auto_lock_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        if (q.op == TTLOCK_SETTING_QUERY) {
                a.seconds = l->auto_lock_seconds;
                a.has_range = true;
                a.min_seconds = SIM_AUTO_LOCK_MIN;
                a.max_seconds = SIM_AUTO_LOCK_MAX;
        } else if (!q.door_sensor) {
                if (q.seconds > SIM_AUTO_LOCK_MAX)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                l->auto_lock_seconds = q.seconds;
                sim_lock_changed(l, "AutoLockSeconds");
                lock_changed(l);
        } else if (!ttlock_features_has(&l->features, TTLOCK_FEATURE_MAGNETOMETER))
                return fail(x, TTLOCK_ERR_INVALID_COMMAND);
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_auto_lock_reply_encode(&x->w, &a, &x->e);
}

typedef int (*ToggleDecode)(const uint8_t *, size_t, TTToggleRequest *, TTError *);
typedef int (*ToggleEncode)(TTWriter *, const TTToggleReply *, TTError *);

static int do_toggle(Exchange *x, unsigned feature, bool *value, ToggleDecode dec, ToggleEncode enc) {
        TTToggleRequest q;
        TTToggleReply a = { .battery = x->l->battery };

        if (!need_admin(x) || !need_feature(x, feature))
                return 0;
        if (dec(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        if (q.op == TTLOCK_SETTING_QUERY)
                a.enabled = *value;
        else {
                *value = q.enabled;
                lock_changed(x->l);
        }
        ttlock_reply_begin(&x->w, x->command);
        return enc(&x->w, &a, &x->e);
}

static int do_audio(Exchange *x) {
        SimLock *l = x->l;
        TTAudioRequest q;
        TTAudioReply a = { .battery = l->battery };
        bool volume = ttlock_features_has(&l->features, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING);

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_AUDIO_MANAGEMENT))
                return 0;
        if (ttlock_audio_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        if (q.op == TTLOCK_SETTING_QUERY) {
                a.enabled = l->sound;
                a.has_volume = volume;
                a.volume = l->volume;
        } else {
                if (q.has_volume && !volume)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                l->sound = q.enabled;
                if (q.has_volume)
                        l->volume = q.volume;
                lock_changed(l);
        }
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_audio_reply_encode(&x->w, &a, &x->e);
}

static bool passage_equal(const SimPassage *p, const TTPassageModeRecord *r) {
        return p->type == r->type && p->week_or_day == r->week_or_day && p->month == r->month &&
                p->start_hour == r->start_hour && p->start_minute == r->start_minute &&
                p->end_hour == r->end_hour && p->end_minute == r->end_minute;
}

static int do_passage_mode(Exchange *x) {
        SimLock *l = x->l;
        TTPassageModeRequest q;
        TTPassageModeReply a = { .battery = l->battery };

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_PASSAGE_MODE))
                return 0;
        if (ttlock_passage_mode_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        switch (q.op) {
        case TTLOCK_PASSAGE_MODE_QUERY: {
                size_t i = q.seq;

                for (; i < l->n_passage && a.n_records < TTLOCK_PASSAGE_MODE_RECORDS_MAX; i++) {
                        const SimPassage *p = &l->passage[i];
                        a.records[a.n_records++] = (TTPassageModeRecord){
                                p->type,         p->week_or_day, p->month,      p->start_hour,
                                p->start_minute, p->end_hour,    p->end_minute,
                        };
                }
                a.next_seq = i < l->n_passage ? (uint8_t) i : TTLOCK_PASSAGE_MODE_SEQ_DONE;
                break;
        }
        case TTLOCK_PASSAGE_MODE_ADD: {
                const TTPassageModeRecord *r = &q.record;
                bool dup = false;

                for (size_t i = 0; i < l->n_passage; i++)
                        dup = dup || passage_equal(&l->passage[i], r);
                if (!dup) {
                        if (l->n_passage >= SIM_PASSAGE_MAX)
                                return fail(x, TTLOCK_ERR_NO_FREE_MEMORY);
                        l->passage[l->n_passage++] = (SimPassage){
                                r->type,         r->week_or_day, r->month,      r->start_hour,
                                r->start_minute, r->end_hour,    r->end_minute,
                        };
                }
                break;
        }
        case TTLOCK_PASSAGE_MODE_DELETE: {
                size_t i;

                for (i = 0; i < l->n_passage; i++)
                        if (passage_equal(&l->passage[i], &q.record))
                                break;
                if (i == l->n_passage)
                        return fail(x, TTLOCK_ERR_RECORD_NOT_EXIST);
                memmove(&l->passage[i], &l->passage[i + 1], (l->n_passage - i - 1) * sizeof(SimPassage));
                l->n_passage--;
                break;
        }
        case TTLOCK_PASSAGE_MODE_CLEAR:
                l->n_passage = 0;
                break;
        }
        if (q.op != TTLOCK_PASSAGE_MODE_QUERY) {
                lock_changed(l);
                /* Entering or leaving a window changes what the auto-lock timer should do. */
                if (!l->locked)
                        set_locked(l, false);
        }
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_passage_mode_reply_encode(&x->w, &a, &x->e);
}

static int do_lamp(Exchange *x) {
        TTLampRequest q;
        TTLampReply a = { .battery = x->l->battery };

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_LAMP))
                return 0;
        if (ttlock_lamp_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        if (q.op == TTLOCK_SETTING_QUERY)
                a.seconds = x->l->lamp_seconds;
        else {
                x->l->lamp_seconds = q.seconds;
                lock_changed(x->l);
        }
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_lamp_reply_encode(&x->w, &a, &x->e);
}

static uint32_t switch_items(SimLock *l) {
        static const struct {
                unsigned feature;
                uint32_t item;
        } map[] = {
                { TTLOCK_FEATURE_TAMPER_ALERT, TTLOCK_SWITCH_TAMPER_ALERT },
                { TTLOCK_FEATURE_RESET_BUTTON, TTLOCK_SWITCH_RESET_BUTTON },
                { TTLOCK_FEATURE_PRIVACY_LOCK, TTLOCK_SWITCH_PRIVACY_LOCK },
                { TTLOCK_FEATURE_UNLOCK_DIRECTION, TTLOCK_SWITCH_UNLOCK_DIRECTION },
                { TTLOCK_FEATURE_PASSAGE_MODE_AUTO_UNLOCK_SETTING, TTLOCK_SWITCH_PASSAGE_MODE_AUTO_UNLOCK },
        };
        uint32_t items = 0;

        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (ttlock_features_has(&l->features, map[i].feature))
                        items |= map[i].item;
        return items;
}

static int do_switch(Exchange *x) {
        SimLock *l = x->l;
        TTSwitchRequest q;
        TTSwitchReply a = { .battery = l->battery };
        uint32_t items = switch_items(l);

        if (!need_admin(x))
                return 0;
        /* §9.5: not every lock has the SWITCH command. */
        if (items == 0)
                return fail(x, TTLOCK_ERR_INVALID_COMMAND);
        if (ttlock_switch_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        a.op = q.op;
        if (q.op == TTLOCK_SETTING_QUERY) {
                a.items = items;
                a.values = l->switch_values & items;
        } else {
                if (q.items & ~items)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                l->switch_values = (l->switch_values & ~q.items) | (q.values & q.items);
                lock_changed(l);
        }
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_switch_reply_encode(&x->w, &a, &x->e);
}

static int do_get_admin_code(Exchange *x) {
        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_GET_ADMIN_CODE))
                return 0;
        if (ttlock_admin_code_request_decode(x->data, x->len, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_admin_code_reply_encode(&x->w, x->l->battery, x->l->admin_passcode, &x->e);
}

static int do_set_admin_code(Exchange *x) {
        char code[TTLOCK_PASSCODE_MAX + 1];

        if (!need_admin(x))
                return 0;
        if (ttlock_set_admin_code_request_decode(x->data, x->len, code, &x->e) < 0)
                return bad_request(x);
        if (creds_passcode_find(x->l->creds, code))
                return fail(x, TTLOCK_ERR_PASSWORD_EXIST);
        (void) snprintf(x->l->admin_passcode, sizeof(x->l->admin_passcode), "%s", code);
        lock_changed(x->l);
        ttlock_reply_begin(&x->w, x->command);
        ttlock_set_admin_code_reply_encode(&x->w, x->l->battery);
        return 0;
}

static int do_init_passwords(Exchange *x) {
        TTInitPasswordsRequest q;

        if (!need_admin(x))
                return 0;
        /* The seeds serve the cloud's algorithmic passcodes (§4.3), which the keypad here does not
         * compute: the lock checks and acknowledges them. */
        if (ttlock_init_passwords_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        return 0;
}

static int do_passcode(Exchange *x) {
        SimLock *l = x->l;
        TTPasscodeRequest q;
        int r;

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_PASSCODE))
                return 0;
        if (ttlock_passcode_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        if ((q.op == TTLOCK_PASSCODE_OP_ADD && streq(q.code, l->admin_passcode)) ||
            ((q.op == TTLOCK_PASSCODE_OP_MODIFY || q.op == TTLOCK_PASSCODE_OP_RECOVERY) &&
             streq(q.new_code, l->admin_passcode)))
                return fail(x, TTLOCK_ERR_PASSWORD_EXIST);
        r = creds_passcode_apply(l->creds, &q);
        if (r < 0)
                return r;
        if (r > 0)
                return fail(x, (uint8_t) r);
        lock_changed(l);
        ttlock_reply_begin(&x->w, x->command);
        ttlock_op_reply_encode(&x->w, l->battery, q.op);
        return 0;
}

static int do_pwd_list(Exchange *x) {
        SimCreds *c = x->l->creds;
        uint16_t seq;
        size_t fit;

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_PASSCODE))
                return 0;
        if (ttlock_pwd_list_request_decode(x->data, x->len, &seq, &x->e) < 0)
                return bad_request(x);
        if (seq > c->n_passcodes)
                return fail(x, TTLOCK_ERR_INVALID_PARAM);
        fit = ttlock_pwd_list_page_fit(c->passcodes + seq, c->n_passcodes - seq);
        ttlock_reply_begin(&x->w, x->command);
        return ttlock_pwd_list_reply_encode(
                &x->w,
                (uint16_t) c->n_passcodes,
                seq + fit < c->n_passcodes ? (uint16_t) (seq + fit) : TTLOCK_PWD_LIST_LAST_PAGE,
                c->passcodes + seq,
                fit,
                &x->e);
}

static int do_card(Exchange *x) {
        SimLock *l = x->l;
        SimCreds *c = l->creds;
        TTCardRequest q;
        int r = 0;

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_IC))
                return 0;
        if (ttlock_card_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        switch (q.op) {
        case TTLOCK_CARD_OP_SEARCH: {
                TTCardEntry e[TTLOCK_CARD_PAGE_MAX];
                size_t n = 0, fit;

                if (q.sequence > c->n_cards)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                for (size_t i = q.sequence; i < c->n_cards && n < ELEMENTSOF(e); i++, n++)
                        e[n] = (TTCardEntry){ c->cards[i].card, c->cards[i].start, c->cards[i].end };
                fit = ttlock_card_search_page_fit(e, n);
                return ttlock_card_search_reply_encode(
                        &x->w,
                        l->battery,
                        q.sequence + fit < c->n_cards ? (uint16_t) (q.sequence + fit) : TTLOCK_SEARCH_DONE,
                        e,
                        fit,
                        &x->e);
        }
        case TTLOCK_CARD_OP_ADD:
                if (!q.has_card) {
                        /* Enrolment (§4.3): "waiting" now, the card's number once one is presented
                         * (Sim1.PresentCard). */
                        if (c->n_cards >= c->slots)
                                return fail(x, TTLOCK_ERR_NO_FREE_MEMORY);
                        enrol_start(l, SIM_ENROLL_CARD);
                        ttlock_card_enrol_waiting_encode(&x->w, l->battery);
                        return 0;
                }
                r = creds_card_add(c, &q.card, &q.start, &q.end);
                if (r == 0)
                        return ttlock_card_enrol_success_encode(&x->w, l->battery, &q.card, &x->e);
                break;
        case TTLOCK_CARD_OP_MODIFY:
                if (!creds_card_find(c, q.card.number))
                        return fail(x, TTLOCK_ERR_IC_CARD_NOT_EXIST);
                r = creds_card_add(c, &q.card, &q.start, &q.end);
                break;
        case TTLOCK_CARD_OP_DELETE:
                r = creds_card_delete(c, q.card.number);
                break;
        case TTLOCK_CARD_OP_CLEAR:
                c->cards = mfree(c->cards);
                c->n_cards = 0;
                break;
        default:
                return fail(x, TTLOCK_ERR_INVALID_PARAM);
        }
        if (r < 0)
                return r;
        if (r > 0)
                return fail(x, (uint8_t) r);
        lock_changed(l);
        ttlock_op_reply_encode(&x->w, l->battery, q.op);
        return 0;
}

static int do_fingerprint(Exchange *x) {
        SimLock *l = x->l;
        SimCreds *c = l->creds;
        TTFingerprintRequest q;
        int r = 0;

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_FINGER_PRINT))
                return 0;
        if (ttlock_fingerprint_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        ttlock_reply_begin(&x->w, x->command);
        switch (q.op) {
        case TTLOCK_FP_OP_SEARCH: {
                TTFingerprintEntry e[TTLOCK_FINGERPRINT_PAGE_MAX];
                size_t n = 0, fit;

                if (q.sequence > c->n_fingers)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                for (size_t i = q.sequence; i < c->n_fingers && n < ELEMENTSOF(e); i++, n++)
                        e[n] = (TTFingerprintEntry){ c->fingers[i].id,
                                                     c->fingers[i].start,
                                                     c->fingers[i].end };
                fit = MIN(ttlock_fingerprint_search_page_fit(n), n);
                return ttlock_fingerprint_search_reply_encode(
                        &x->w,
                        l->battery,
                        q.sequence + fit < c->n_fingers ? (uint16_t) (q.sequence + fit) : TTLOCK_SEARCH_DONE,
                        e,
                        fit,
                        &x->e);
        }
        case TTLOCK_FP_OP_ADD: {
                TTFingerprintReply rp = {
                        .battery = l->battery,
                        .op = TTLOCK_FP_OP_ADD,
                        .add_status = TTLOCK_ENROL_WAITING,
                        .has_total = true,
                        .total = SIM_FINGER_PRESSES,
                };

                if (c->n_fingers >= c->slots)
                        return fail(x, TTLOCK_ERR_NO_FREE_MEMORY);
                enrol_start(l, SIM_ENROLL_FINGER);
                return ttlock_fingerprint_add_reply_encode(&x->w, &rp, &x->e);
        }
        case TTLOCK_FP_OP_MODIFY:
                if (!creds_finger_find(c, q.id))
                        return fail(x, TTLOCK_ERR_FINGER_PRINT_NOT_EXIST);
                r = creds_finger_add(c, q.id, &q.start, &q.end);
                break;
        case TTLOCK_FP_OP_DELETE:
                r = creds_finger_delete(c, q.id);
                break;
        case TTLOCK_FP_OP_CLEAR:
                c->fingers = mfree(c->fingers);
                c->n_fingers = 0;
                break;
        default:
                return fail(x, TTLOCK_ERR_INVALID_PARAM);
        }
        if (r < 0)
                return r;
        if (r > 0)
                return fail(x, (uint8_t) r);
        lock_changed(l);
        ttlock_op_reply_encode(&x->w, l->battery, q.op);
        return 0;
}

/* A clear with user length 0 names every user of its type (doc/protocol.md §4.9): RECORD_NOT_EXIST only
 * when none had a window. */
static int cyclic_clear_all(SimCreds *c, uint8_t user_type) {
        int r = TTLOCK_ERR_RECORD_NOT_EXIST;
        size_t n = user_type == TTLOCK_CYCLIC_USER_IC          ? c->n_cards
                : user_type == TTLOCK_CYCLIC_USER_FINGERPRINT ? c->n_fingers
                                                               : c->n_passcodes;

        for (size_t i = 0; i < n; i++) {
                SimSchedule *s = user_type == TTLOCK_CYCLIC_USER_IC          ? &c->cards[i].schedule
                        : user_type == TTLOCK_CYCLIC_USER_FINGERPRINT ? &c->fingers[i].schedule
                                                                       : &c->passcode_schedules[i];
                if (creds_schedule_clear(s) == 0)
                        r = 0;
        }
        return r;
}

/* The schedule a CYCLIC_CMD names; NULL when the exchange failed (the reply says why). A lock without the
 * reader does not know the user type; a missing credential gets the code its own command gives. */
static SimSchedule *cyclic_target(Exchange *x, const TTCyclicRequest *q) {
        SimCreds *c = x->l->creds;

        switch (q->user_type) {
        case TTLOCK_CYCLIC_USER_IC: {
                SimCard *card;

                if (!need_feature(x, TTLOCK_FEATURE_IC))
                        return NULL;
                card = creds_card_find(c, q->user);
                if (!card)
                        return fail(x, TTLOCK_ERR_IC_CARD_NOT_EXIST), NULL;
                return &card->schedule;
        }
        case TTLOCK_CYCLIC_USER_FINGERPRINT: {
                SimFinger *f;

                if (!need_feature(x, TTLOCK_FEATURE_FINGER_PRINT))
                        return NULL;
                f = creds_finger_find(c, q->user);
                if (!f)
                        return fail(x, TTLOCK_ERR_FINGER_PRINT_NOT_EXIST), NULL;
                return &f->schedule;
        }
        case TTLOCK_CYCLIC_USER_PASSCODE: {
                TTPasscodeEntry *p;

                /* ttlockd's own user type (§4.9), which this simulated lock knows. */
                if (!need_feature(x, TTLOCK_FEATURE_PASSCODE))
                        return NULL;
                p = creds_passcode_find(c, q->passcode);
                if (!p)
                        return fail(x, TTLOCK_ERR_PASSWORD_NOT_EXIST), NULL;
                return creds_passcode_schedule(c, p);
        }
        default:
                /* Key fobs and faces: this lock has neither. */
                return fail(x, TTLOCK_ERR_INVALID_PARAM), NULL;
        }
}

/* CYCLIC_CMD 0x70 (§4.3, §4.9): weekly schedules of cards, fingerprints and passcodes. */
static int do_cyclic(Exchange *x) {
        SimLock *l = x->l;
        SimSchedule *s = NULL;
        TTCyclicRequest q;
        int r = 0;

        if (!need_admin(x) || !need_feature(x, TTLOCK_FEATURE_CYCLIC_IC_OR_FINGER_PRINT))
                return 0;
        if (ttlock_cyclic_request_decode(x->data, x->len, &q, &x->e) < 0)
                return bad_request(x);
        if (q.user_size == 0) {
                /* Only a clear names nobody (the decoder refuses anything else). */
                if (q.user_type == TTLOCK_CYCLIC_USER_KEY_FOB || q.user_type == TTLOCK_CYCLIC_USER_FACE)
                        return fail(x, TTLOCK_ERR_INVALID_PARAM);
                r = cyclic_clear_all(l->creds, q.user_type);
        } else {
                s = cyclic_target(x, &q);
                erase_memory(q.passcode, sizeof(q.passcode));
                if (!s)
                        return 0;
        }

        ttlock_reply_begin(&x->w, x->command);
        switch (s ? q.op : TTLOCK_CYCLIC_OP_CLEAR) {
        case TTLOCK_CYCLIC_OP_QUERY:
                /* §4.3 gives no layout for the answer: battery, op, then each window in the layout
                 * of the add request, [1 weekly][weekday][0][sh][sm][eh][em] (see ttlock-sim(1)). */
                ttlock_op_reply_encode(&x->w, l->battery, q.op);
                for (size_t i = 0; i < s->n_cyclic; i++) {
                        const SimCyclic *c = &s->cyclic[i];

                        tt_put_u8(&x->w, TTLOCK_CYCLIC_WEEKLY);
                        tt_put_u8(&x->w, c->weekday);
                        tt_put_u8(&x->w, 0);
                        tt_put_u8(&x->w, c->start_hour);
                        tt_put_u8(&x->w, c->start_minute);
                        tt_put_u8(&x->w, c->end_hour);
                        tt_put_u8(&x->w, c->end_minute);
                }
                return 0;
        case TTLOCK_CYCLIC_OP_ADD:
                r = creds_schedule_add(
                        s,
                        &(SimCyclic){
                                .weekday = q.weekday,
                                .start_hour = q.start_hour,
                                .start_minute = q.start_minute,
                                .end_hour = q.end_hour,
                                .end_minute = q.end_minute,
                        });
                break;
        case TTLOCK_CYCLIC_OP_REMOVE:
        case TTLOCK_CYCLIC_OP_CLEAR:
                if (s)
                        r = creds_schedule_clear(s);
                break;
        default:
                return fail(x, TTLOCK_ERR_INVALID_PARAM);
        }
        if (r > 0)
                return fail(x, (uint8_t) r);
        lock_changed(l);
        ttlock_op_reply_encode(&x->w, l->battery, q.op);
        return 0;
}

static int do_reset(Exchange *x) {
        if (!need_admin(x) || !need_empty(x))
                return 0;
        /* The reply goes out under the old key; then the lock drops the link (§4.3, §5.5). */
        ttlock_reply_begin(&x->w, x->command);
        x->l->drop_after_flush = true;
        return 0;
}

/* INITIALIZATION 'E' (doc/protocol.md §4.3, §10.6): what a lock answers matters in its header, the
 * version tuple. The official app's first frame to a lock; a lock in setting mode answered it with no
 * data at all, a paired one with [45][01][battery] under its key (DEF CON 34 captures, §10.6). */
static int do_initialization(Exchange *x) {
        if (!need_empty(x))
                return 0;
        if (!x->l->paired) {
                x->empty_reply = true;
                return 0;
        }
        ttlock_reply_begin(&x->w, x->command);
        tt_put_u8(&x->w, x->l->battery);
        return 0;
}

static int dispatch(Exchange *x) {
        SimLock *l = x->l;

        switch (x->command) {
        case TTLOCK_CMD_GET_AES_KEY:
                return do_get_aes_key(x);
        case TTLOCK_CMD_ADD_ADMIN:
                return do_add_admin(x);
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                return do_status(x);
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE:
                return do_features(x);
        case TTLOCK_CMD_READ_DEVICE_INFO:
                return do_device_info(x);
        case TTLOCK_CMD_GET_LOCK_TIME:
                return do_lock_time(x);
        case TTLOCK_CMD_INITIALIZATION:
                return do_initialization(x);
        default:
                break;
        }

        /* Everything else needs an administrator to exist (§4.4 LOCK_NOT_EXIST_ADMIN). */
        if (!l->paired)
                return fail(x, TTLOCK_ERR_NOT_EXIST_ADMIN);

        switch (x->command) {
        case TTLOCK_CMD_CHECK_ADMIN:
                return do_check_admin(x);
        case TTLOCK_CMD_CHECK_USER_TIME:
                return do_check_user_time(x);
        case TTLOCK_CMD_CHECK_RANDOM:
                return do_check_random(x);
        case TTLOCK_CMD_UNLOCK:
        case TTLOCK_CMD_FUNCTION_LOCK:
        case TTLOCK_CMD_DEAD_LOCK:
                return do_actuate(x);
        case TTLOCK_CMD_GET_OPERATE_LOG:
                return do_log(x);
        case TTLOCK_CMD_TIME_CALIBRATE:
                return do_time_calibrate(x);
        case TTLOCK_CMD_AUTO_LOCK_MANAGE:
                return do_auto_lock(x);
        case TTLOCK_CMD_CONTROL_REMOTE_UNLOCK:
                return do_toggle(
                        x,
                        TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK,
                        &l->remote_unlock,
                        ttlock_remote_unlock_request_decode,
                        ttlock_remote_unlock_reply_encode);
        case TTLOCK_CMD_SHOW_PASSWORD:
                return do_toggle(
                        x,
                        TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE,
                        &l->show_password,
                        ttlock_show_password_request_decode,
                        ttlock_show_password_reply_encode);
        case TTLOCK_CMD_FREEZE_LOCK:
                return do_toggle(
                        x,
                        TTLOCK_FEATURE_FREEZE_LOCK,
                        &l->frozen,
                        ttlock_freeze_request_decode,
                        ttlock_freeze_reply_encode);
        case TTLOCK_CMD_AUDIO_MANAGE:
                return do_audio(x);
        case TTLOCK_CMD_CONFIGURE_PASSAGE_MODE:
                return do_passage_mode(x);
        case TTLOCK_CMD_LAMP:
                return do_lamp(x);
        case TTLOCK_CMD_SWITCH:
                return do_switch(x);
        case TTLOCK_CMD_GET_ADMIN_CODE:
                return do_get_admin_code(x);
        case TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD:
                return do_set_admin_code(x);
        case TTLOCK_CMD_INIT_PASSWORDS:
                return do_init_passwords(x);
        case TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD:
                return do_passcode(x);
        case TTLOCK_CMD_PWD_LIST:
                return do_pwd_list(x);
        case TTLOCK_CMD_IC_MANAGE:
                return do_card(x);
        case TTLOCK_CMD_FR_MANAGE:
                return do_fingerprint(x);
        case TTLOCK_CMD_CYCLIC_CMD:
                return do_cyclic(x);
        case TTLOCK_CMD_OPERATE_FINISHED:
                if (need_admin(x) && need_empty(x))
                        ttlock_reply_begin(&x->w, x->command);
                return 0;
        case TTLOCK_CMD_RESET_LOCK:
                return do_reset(x);
        default:
                return fail(x, TTLOCK_ERR_INVALID_COMMAND);
        }
}

static void on_frame(const uint8_t *buf, size_t len, void *userdata) {
        SimLock *l = userdata;
        Exchange x = { .l = l };
        uint8_t plain[TTLOCK_FRAME_MAX_DATA];
        size_t plain_len = 0, n;
        TTFrame f;
        bool bad_crc = false;
        int r;

        r = ttlock_frame_parse_envelope(buf, len, &f, &x.e);
        if (r < 0) {
                /* Not a frame: the lock stays silent (§10.1 R7 got no reply either). */
                log_debug("%s: ignoring a frame: %s", l->address_str, tt_error_message(&x.e));
                return;
        }
        /* §2.3, §10.6: a V3 lock answers the official app's first frame, an INITIALIZATION without data
         * in a V2S header, as it answers a V3 one. Any other frame of another generation goes unheard. */
        if (f.generation != TTLOCK_GEN_V3 && f.generation != TTLOCK_GEN_V3_CAR &&
            !(!f.legacy && f.header.command == TTLOCK_CMD_INITIALIZATION && f.data_len == 0)) {
                log_debug("%s: ignoring a %s frame", l->address_str, ttlock_generation_name(f.generation));
                return;
        }
        x.command = f.header.command;
        log_command(l, x.command);
        x.frame_command = TTLOCK_CMD_RESPONSE;
        x.key = current_key(l);
        x.w = TT_WRITER(x.buf, sizeof(x.buf));
        l->sim->exchanges++;

        /* The key this command is spoken under (§5.1: GET_AES_KEY under the default key, ADD_ADMIN
         * under the key just handed out), chosen before the CRC check: a CRC error answered under
         * another key is one the client cannot read, so it could not re-send (§9.1). */
        if (x.command == TTLOCK_CMD_ADD_ADMIN && !l->paired && l->session.key_issued)
                x.key = l->session.pending_key;
        else if (x.command == TTLOCK_CMD_GET_AES_KEY)
                x.key = ttlock_default_key;

        if (!f.crc_ok) {
                /* §9.1: a genuinely bad CRC is answered with LOCK_CRC_CHECK_ERROR. */
                fail(&x, TTLOCK_ERR_CRC_CHECK_ERROR);
                goto reply;
        }

        /* Only a lock in setting mode that just handed out a key can read ADD_ADMIN; any other gets
         * the L = 0 answer of §2.4 (LOCK_IS_IN_NO_SETTING_MODE). */
        if (x.command == TTLOCK_CMD_ADD_ADMIN && (l->paired || !l->session.key_issued)) {
                x.empty_reply = true;
                goto reply;
        }

        if (f.data_len > 0) {
                r = ttlock_frame_decrypt(&f, x.key, plain, sizeof(plain), &plain_len, &x.e);
                if (r < 0) {
                        /* Wrong key (§2.4): the lock answers with no data at all, L = 0. */
                        x.empty_reply = true;
                        goto reply;
                }
        }
        x.data = plain;
        x.len = plain_len;

        r = dispatch(&x);
        if (x.command == TTLOCK_CMD_ADD_ADMIN && l->paired)
                x.key = l->key;
        if (r < 0) {
                log_error_errno(
                        r,
                        "%s: cannot answer %s: %s",
                        l->address_str,
                        ttlock_command_name(x.command) ?: "?",
                        tt_error_message(&x.e));
                fail(&x, TTLOCK_ERR_OPERATE_FAILED);
        }

reply:
        if (fault_due(l, SIM_FAULT_DROP_CONNECTION, x.command)) {
                radio_link_drop(l, "drop-connection fault");
                return;
        }
        if (fault_due(l, SIM_FAULT_NO_REPLY, x.command))
                return;
        if (fault_due(l, SIM_FAULT_BAD_CRC, x.command))
                bad_crc = true;
        if (fault_due(l, SIM_FAULT_GARBAGE, x.command))
                send_garbage(l);
        if (fault_due(l, SIM_FAULT_GARBAGE_FRAME, x.command))
                send_garbage_frame(l);
        if (x.empty_reply)
                n = 0;
        else if (tt_writer_finish(&x.w, &n, &x.e) < 0) {
                log_error("%s: reply too long: %s", l->address_str, tt_error_message(&x.e));
                return;
        }
        send_frame(l, x.frame_command, x.key, x.buf, n, bad_crc);

        /* §7.3: after moving the bolt the lock pushes its state. */
        if ((x.command == TTLOCK_CMD_UNLOCK || x.command == TTLOCK_CMD_FUNCTION_LOCK ||
             x.command == TTLOCK_CMD_DEAD_LOCK) &&
            n > 1 && x.buf[1] == TTLOCK_STATUS_SUCCESS)
                push_state(l);
        erase_memory(plain, sizeof(plain));
}

void lock_receive(SimLock *l, const uint8_t *data, size_t len) {
        radio_activity(l);
        ttlock_reassembler_feed(&l->rx, data, len, on_frame, l);
}
