/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the lock model (lock/lock.c, lock/lock-events.c) makes of records, pushes, adverts and replies
 * beyond "a record happened": the prompt read after Lock/Unlock, each record signalled once, the
 * auto-lock nobody logged, a jammed motor, the door sensor, passage mode now and freezing
 * (doc/protocol.md §4.5–§4.8, §7.5). A paired lock in a scratch key store behind the fake radio
 * (fake-radio.h), whose scripted lock keeps an operation log the way ttlock-sim does. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "advert.h"
#include "command.h"
#include "daemon-test.h"
#include "fake-radio.h"
#include "info.h"
#include "lock-error.h"
#include "lock.h"
#include "log.h"
#include "oplog.h"
#include "settings.h"
#include "string-util.h"
#include "time-util.h"
#include "tt-test.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
#define LOG_MAX 32
#define EVENTS_MAX 64

static const uint8_t lock_key[TTLOCK_KEY_SIZE] = { 0x98, 0x76, 0x23, 0xe8, 0xa9, 0x23, 0xa1, 0xbb,
                                                   0x3d, 0x9e, 0x7d, 0x03, 0x78, 0x12, 0x45, 0x88 };

typedef struct Seen {
        char kind[32];
        char method[32];
        uint32_t record_type;
        uint64_t identity;
        size_t commands; /* what the lock had received when it was signalled */
} Seen;

typedef struct Model {
        sd_event *event;
        FakeLock fake;
        char *dir;
        Store *store;
        LockContext context;
        Lock *lock;

        /* The scripted lock. */
        TTLogRecord log[LOG_MAX];
        size_t n_log;
        size_t unread;      /* first record GET_OPERATE_LOG(0xFFFF) has not handed out */
        bool resend_all;    /* a lock that hands out every record at every read (§9.4) */
        bool locked;        /* the bolt */
        uint8_t door;       /* 0 closed, 1 open: 0x14 d[2] */
        uint8_t jam;        /* the next actuation fails with this error (0 = none) */
        uint8_t jam_record; /* … and writes this record (0 = none) */
        unsigned log_reads;
        TTPassageModeRequest passage[8];
        size_t n_passage;
        uint8_t passage_error; /* the next CONFIGURE_PASSAGE_MODE fails with this (0 = none) */
        TTToggleRequest freeze;
        bool have_freeze;

        /* What the model told. */
        Seen events[EVENTS_MAX];
        size_t n_events;
        uint64_t changed;
        char reported_state[16]; /* State as last reported to the observer */
} Model;

static void log_add(Model *m, uint8_t type) {
        TTLogRecord *r;

        ck_assert_uint_lt(m->n_log, LOG_MAX);
        r = &m->log[m->n_log++];
        *r = (TTLogRecord){ .type = type, .battery = 80, .tail = ttlock_log_type_tail(type) };
        ck_assert_int_ge(op_lock_time_now(&r->date), 0);
        if (r->tail == TTLOCK_LOG_TAIL_APP) {
                r->app.uid = 0;
                r->app.record_id = (uint32_t) m->n_log;
        } else if (r->tail == TTLOCK_LOG_TAIL_PASSCODE_PAIR) {
                snprintf(r->passcode_pair.original.code, sizeof(r->passcode_pair.original.code), "246810");
                snprintf(r->passcode_pair.typed.code, sizeof(r->passcode_pair.typed.code), "246810");
        }
}

static void actuation_reply(Model *m, uint8_t command, TTWriter *w) {
        TTActuateReply a = { .battery = 80, .has_record = true, .unique_id = 7 };

        if (m->jam) {
                /* The motor ran and did not get there (§4.6). */
                if (m->jam_record)
                        log_add(m, m->jam_record);
                ttlock_reply_error(w, command, m->jam);
                m->jam = 0;
                return;
        }
        m->locked = command == TTLOCK_CMD_FUNCTION_LOCK;
        log_add(m, m->locked ? TTLOCK_LOG_BLE_LOCK : TTLOCK_LOG_APP_UNLOCK);
        a.time_valid = op_lock_time_now(&a.time) >= 0;
        ttlock_reply_begin(w, command);
        ck_assert_int_ge(ttlock_actuate_reply_encode(w, &a), 0);
}

static void log_reply(Model *m, const uint8_t *plain, size_t len, TTWriter *w) {
        uint16_t seq;
        size_t start, n, fit, total = 0;
        uint8_t buf[256];
        TTWriter one;

        ck_assert_int_ge(ttlock_log_request_decode(plain, len, &seq, NULL), 0);
        m->log_reads++;
        /* 0xFFFF: what was not handed out yet (or everything, for the lock that re-sends); 0x0000: the
         * whole log (the daemon's first read under its keys, lock.c); another sequence: the page that the
         * previous reply named, 0x100 + its first record's index. */
        if (seq == TTLOCK_LOG_NEW_RECORDS)
                start = m->resend_all ? 0 : m->unread;
        else if (seq == TTLOCK_LOG_ALL_RECORDS)
                start = 0;
        else
                start = MIN((size_t) (seq >= 0x100 ? seq - 0x100 : 0), m->n_log);
        n = m->n_log - start;
        fit = ttlock_log_page_fit(m->log + start, n);
        for (size_t i = 0; i < fit; i++) {
                size_t l;

                one = TT_WRITER(buf, sizeof(buf));
                ck_assert_int_ge(ttlock_log_record_encode(&one, &m->log[start + i], NULL), 0);
                ck_assert_int_ge(tt_writer_finish(&one, &l, NULL), 0);
                total += l;
        }
        if (fit > 0)
                m->unread = MAX(m->unread, start + fit);
        ttlock_reply_begin(w, TTLOCK_CMD_GET_OPERATE_LOG);
        ck_assert_int_ge(
                ttlock_log_page_encode(
                        w, (uint16_t) total, (uint16_t) (0x100 + start + fit), m->log + start, fit, NULL),
                0);
}

static FakeAction respond(uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata) {
        Model *m = userdata;
        TTDateTime now;

        switch (command) {
        case TTLOCK_CMD_CHECK_ADMIN:
        case TTLOCK_CMD_CHECK_USER_TIME:
                ttlock_reply_begin(w, command);
                ttlock_challenge_reply_encode(w, &(TTChallengeReply){ .ps_from_lock = 789 });
                break;
        case TTLOCK_CMD_UNLOCK:
        case TTLOCK_CMD_FUNCTION_LOCK:
                actuation_reply(m, command, w);
                break;
        case TTLOCK_CMD_GET_OPERATE_LOG:
                log_reply(m, plain, len, w);
                break;
        case TTLOCK_CMD_GET_LOCK_TIME:
                ck_assert_int_ge(op_lock_time_now(&now), 0);
                ttlock_reply_begin(w, command);
                ck_assert_int_ge(ttlock_lock_time_reply_encode(w, &now), 0);
                break;
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                ttlock_reply_begin(w, command);
                ttlock_status_reply_encode(
                        w,
                        &(TTStatusReply){ .battery = 80,
                                          .state = m->locked ? TTLOCK_STATE_LOCKED : TTLOCK_STATE_UNLOCKED,
                                          .has_door_sensor = true,
                                          .door_sensor = m->door });
                break;
        case TTLOCK_CMD_CONFIGURE_PASSAGE_MODE:
                ck_assert_uint_lt(m->n_passage, ELEMENTSOF(m->passage));
                ck_assert_int_ge(
                        ttlock_passage_mode_request_decode(plain, len, &m->passage[m->n_passage++], NULL),
                        0);
                if (m->passage_error) {
                        ttlock_reply_error(w, command, m->passage_error);
                        m->passage_error = 0;
                        break;
                }
                ttlock_reply_begin(w, command);
                ck_assert_int_ge(
                        ttlock_passage_mode_reply_encode(
                                w,
                                &(TTPassageModeReply){ .battery = 80,
                                                       .op = m->passage[m->n_passage - 1].op,
                                                       .next_seq = TTLOCK_PASSAGE_MODE_SEQ_DONE },
                                NULL),
                        0);
                break;
        case TTLOCK_CMD_FREEZE_LOCK:
                ck_assert_int_ge(ttlock_freeze_request_decode(plain, len, &m->freeze, NULL), 0);
                m->have_freeze = true;
                ttlock_reply_begin(w, command);
                ck_assert_int_ge(
                        ttlock_freeze_reply_encode(
                                w,
                                &(TTToggleReply){
                                        .battery = 80, .op = m->freeze.op, .enabled = m->freeze.enabled },
                                NULL),
                        0);
                break;
        default:
                ttlock_reply_begin(w, command);
                break;
        }
        return FAKE_REPLY;
}

static void on_changed(Lock *l, uint64_t properties, void *userdata) {
        Model *m = userdata;

        m->changed |= properties;
        if (properties & LOCK_PROPERTY_BIT(LOCK_PROPERTY_STATE))
                snprintf(m->reported_state, sizeof(m->reported_state), "%s", l->state);
}

static void on_event(Lock *l, const HistoryRecord *h, void *userdata) {
        Model *m = userdata;
        Seen *s;

        ck_assert_uint_lt(m->n_events, EVENTS_MAX);
        s = &m->events[m->n_events++];
        snprintf(s->kind, sizeof(s->kind), "%s", h->kind);
        snprintf(s->method, sizeof(s->method), "%s", strempty_or(h->method));
        s->record_type = h->record_type;
        s->identity = h->identity;
        s->commands = m->fake.n_commands;
}

static const LockObserver observer = { .changed = on_changed, .event = on_event };

static LockRecord *new_record(Model *m, int64_t auto_lock_seconds, bool door_sensor) {
        LockRecord *record;

        ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &record), 0);
        memcpy(record->aes_key, lock_key, TTLOCK_KEY_SIZE);
        record->admin_ps = 123;
        record->unlock_key = 456;
        record->auto_lock_seconds = auto_lock_seconds;
        ttlock_features_set(&record->features, TTLOCK_FEATURE_MANUAL_LOCK);
        ttlock_features_set(&record->features, TTLOCK_FEATURE_AUTO_LOCK);
        ttlock_features_set(&record->features, TTLOCK_FEATURE_PASSAGE_MODE);
        ttlock_features_set(&record->features, TTLOCK_FEATURE_FREEZE_LOCK);
        if (door_sensor)
                ttlock_features_set(&record->features, TTLOCK_FEATURE_DOOR_SENSOR);
        return record;
}

static void model_start_lock(Model *m, LockRecord *record) {
        ck_assert_int_ge(lock_new(&m->context, FAKE_ADDRESS, record, &m->lock), 0);
        lock_set_observer(m->lock, &observer, m);
}

static void model_init(Model *m, int64_t auto_lock_seconds, bool door_sensor) {
        LockRecord *record;

        log_set_max_level(getenv("TEST_DEBUG") ? 7 : 3);
        *m = (Model){};
        ck_assert_int_ge(sd_event_new(&m->event), 0);
        fake_init(&m->fake, m->event, respond, m);
        memcpy(m->fake.key, lock_key, TTLOCK_KEY_SIZE);
        m->dir = dt_mkdtemp();
        ck_assert_int_ge(store_open(m->dir, &m->store), 0);

        m->context = (LockContext){
                .event = m->event,
                .store = m->store,
                .radios = m->fake.radios,
                .enrollment_timeout_usec = 5 * SEC,
        };
        link_config_default(&m->context.link_config);
        m->context.link_config.reply_timeout_usec = 500 * MSEC;
        /* Long enough that nothing here sees the link drop by itself. */
        m->context.link_config.keepalive_usec = 30 * SEC;
        lock_timing_default(&m->context.timing);
        m->context.timing.log_flag_grace_usec = 20 * MSEC;
        m->context.timing.log_backoff_min_usec = 20 * MSEC;
        m->context.timing.log_backoff_max_usec = 40 * MSEC;

        record = new_record(m, auto_lock_seconds, door_sensor);
        ck_assert_int_ge(store_save(m->store, record), 0);
        model_start_lock(m, record);
}

static void model_done(Model *m) {
        m->lock = lock_free(m->lock);
        fake_done(&m->fake);
        m->store = store_free(m->store);
        dt_rm_rf(m->dir);
        free(m->dir);
        m->event = sd_event_unref(m->event);
}

/* One advert, as the registry hands it over: the bolt bit and the new-records flag. */
static void advert(Model *m, bool unlocked, bool new_events) {
        uint8_t buf[64];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTAdvert a = { .protocol_type = 5, .protocol_version = 3, .scene = 1, .battery = 80 };
        size_t len;

        a.flags = (unlocked ? TTLOCK_ADVERT_FLAG_UNLOCKED : 0) |
                (new_events ? TTLOCK_ADVERT_FLAG_NEW_EVENTS : 0);
        ck_assert_int_ge(ttlock_address_from_string(FAKE_ADDRESS, a.address), 0);
        ttlock_advert_build(&w, &a);
        ck_assert_int_ge(tt_writer_finish(&w, &len, NULL), 0);
        lock_advert(
                m->lock,
                &(RadioAdvert){
                        .address = FAKE_ADDRESS,
                        .have_mfr = true,
                        .mfr_key = (uint16_t) (buf[0] | buf[1] << 8),
                        .mfr = buf + 2,
                        .mfr_len = len - 2,
                        .fresh = true,
                });
}

/* The lock wrote records: its flag, down since the last read (§7.1), rises. */
static void flag_rises(Model *m, bool unlocked) {
        advert(m, unlocked, false);
        advert(m, unlocked, true);
}

/* The lock pushes its state (§7.3): [battery][state][third byte: the door on a lock with a sensor]. */
static void push_state(Model *m, bool locked, uint8_t door) {
        uint8_t buf[32];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len;

        ttlock_reply_begin(&w, TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        ck_assert_int_ge(
                ttlock_status_push_encode(
                        &w,
                        &(TTStatusPush){ .kind = TTLOCK_PUSH_STATE,
                                         .battery = 80,
                                         .state = locked ? TTLOCK_STATE_LOCKED : TTLOCK_STATE_UNLOCKED,
                                         .has_flag = true,
                                         .flag = door }),
                0);
        ck_assert_int_ge(tt_writer_finish(&w, &len, NULL), 0);
        fake_push(&m->fake, buf, len);
}

typedef struct Call {
        bool done;
        OpStatus status;
        size_t commands; /* what the lock had received when the call completed */
        size_t events;   /* and how many events had been signalled */
        Model *m;
} Call;

static void on_call_done(Lock *l, const LockOutcome *o, void *userdata) {
        Call *c = userdata;

        c->done = true;
        c->status = o->status;
        c->commands = c->m->fake.n_commands;
        c->events = c->m->n_events;
}

static void submit(Model *m, const LockRequest *req, Call *c) {
        OpStatus st;

        *c = (Call){ .m = m };
        ck_assert_int_eq(lock_submit(m->lock, req, 5 * SEC, on_call_done, c, &st), 0);
        ck_assert_msg(fake_run_until(&m->fake, &c->done, 5 * SEC), "the call did not end");
}

static void actuate(Model *m, AccessAction a, Call *c) {
        submit(m, &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = a }, c);
}

static void settings(Model *m, const SettingsRequest *q, Call *c) {
        submit(m, &(LockRequest){ .kind = LOCK_REQUEST_SETTINGS, .settings = q }, c);
}

typedef struct EventWait {
        Model *m;
        size_t n;
        bool reached;
} EventWait;

static int on_check_events(sd_event_source *s, void *userdata) {
        EventWait *e = userdata;

        e->reached = e->m->n_events >= e->n;
        return 0;
}

/* Run until n events in all were signalled, at most timeout; returns whether they were. */
static bool wait_events(Model *m, size_t n, uint64_t timeout) {
        EventWait e = { .m = m, .n = n };
        sd_event_source *s = NULL;

        ck_assert_int_ge(sd_event_add_post(m->event, &s, on_check_events, &e), 0);
        ck_assert_int_ge(sd_event_source_set_enabled(s, SD_EVENT_ON), 0);
        e.reached = m->n_events >= n;
        (void) fake_run_until(&m->fake, &e.reached, timeout);
        sd_event_source_disable_unref(s);
        return m->n_events >= n;
}

static size_t count_events(Model *m, const char *kind, const char *method) {
        size_t n = 0;

        for (size_t i = 0; i < m->n_events; i++)
                if (streq(m->events[i].kind, kind) && (!method || streq(m->events[i].method, method)))
                        n++;
        return n;
}

static const Seen *last_event(Model *m) {
        ck_assert_uint_gt(m->n_events, 0);
        return &m->events[m->n_events - 1];
}

/* ---- prompt events (§7.5) ---------------------------------------------------------------------- */

/* The Event of an Unlock() comes one exchange after its reply, from the link that is still up: the
 * command right after UNLOCK is the log read, whatever else was queued (the clock check). */
START_TEST(test_prompt_event_after_unlock) {
        Model m;
        Call c;
        size_t unlock_at = SIZE_MAX;

        model_init(&m, 0, false);
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_str_eq(m.lock->state, "unlocked");
        ck_assert_uint_eq(c.events, 0); /* the reply first */

        ck_assert_msg(wait_events(&m, 1, 2 * SEC), "no Event for the unlock");
        for (size_t i = 0; i < m.fake.n_commands; i++)
                if (m.fake.commands[i] == TTLOCK_CMD_UNLOCK)
                        unlock_at = i;
        ck_assert_uint_lt(unlock_at, m.fake.n_commands);
        /* One exchange: GET_OPERATE_LOG right behind UNLOCK, and the Event with its reply. */
        ck_assert_uint_eq(m.fake.commands[unlock_at + 1], TTLOCK_CMD_GET_OPERATE_LOG);
        ck_assert_uint_eq(m.events[0].commands, unlock_at + 2);
        ck_assert_str_eq(m.events[0].kind, "unlocked");
        ck_assert_str_eq(m.events[0].method, "app");
        ck_assert_uint_eq(m.events[0].record_type, TTLOCK_LOG_APP_UNLOCK);

        /* And the lock, after the Lock() that follows. */
        actuate(&m, ACCESS_LOCK, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_msg(wait_events(&m, 2, 2 * SEC), "no Event for the lock");
        ck_assert_str_eq(last_event(&m)->kind, "locked");
        ck_assert_str_eq(last_event(&m)->method, "app");
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.n_events, 2);
        model_done(&m);
}
END_TEST

static size_t command_index(Model *m, uint8_t command, size_t from) {
        for (size_t i = from; i < m->fake.n_commands; i++)
                if (m->fake.commands[i] == command)
                        return i;
        return SIZE_MAX;
}

/* A Lock() right after an Unlock() waits for one exchange of the log read at most: the read gives way
 * between its pages and finishes after the Lock(). */
START_TEST(test_read_gives_way) {
        Model m;
        Call u, l;
        OpStatus st;
        size_t unlock_at, lock_at, read2_at;

        model_init(&m, 0, false);
        actuate(&m, ACCESS_UNLOCK, &u);
        /* The read's first page is on its way now; the Lock() queues behind it. */
        l = (Call){ .m = &m };
        ck_assert_int_eq(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_LOCK },
                        5 * SEC,
                        on_call_done,
                        &l,
                        &st),
                0);
        ck_assert(fake_run_until(&m.fake, &l.done, 5 * SEC));
        ck_assert_int_eq(l.status.error, 0);
        ck_assert(wait_events(&m, 2, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);

        unlock_at = command_index(&m, TTLOCK_CMD_UNLOCK, 0);
        lock_at = command_index(&m, TTLOCK_CMD_FUNCTION_LOCK, 0);
        ck_assert_uint_lt(lock_at, m.fake.n_commands);
        ck_assert_uint_eq(m.fake.commands[unlock_at + 1], TTLOCK_CMD_GET_OPERATE_LOG);
        /* No second page before the Lock(): the read gave way, and read on after it. */
        read2_at = command_index(&m, TTLOCK_CMD_GET_OPERATE_LOG, unlock_at + 2);
        ck_assert_uint_gt(read2_at, lock_at);
        ck_assert_uint_lt(read2_at, m.fake.n_commands);
        ck_assert_str_eq(m.events[0].kind, "unlocked");
        ck_assert_str_eq(m.events[1].kind, "locked");
        model_done(&m);
}
END_TEST

/* A lock that hands out every record at every read (§9.4): the prompt read, the read the flag starts
 * later, and a restart of the daemon signal each record once. */
START_TEST(test_each_record_once) {
        Model m;
        Call c;
        size_t n;

        model_init(&m, 0, false);
        m.resend_all = true;
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert(wait_events(&m, 1, 2 * SEC));

        /* Someone at the keypad: the flag rises, the read brings the unlock again and the new one. */
        log_add(&m, TTLOCK_LOG_PASSCODE_UNLOCK);
        m.fake.n_commands = 0;
        advert(&m, true, true);
        ck_assert(wait_events(&m, 2, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.n_events, 2);
        ck_assert_str_eq(m.events[1].method, "passcode");

        /* The daemon restarts: the same lock from the store, the flag still up. */
        n = m.log_reads;
        m.lock = lock_free(m.lock);
        {
                LockRecord *record;

                ck_assert_int_ge(store_load(m.store, FAKE_ADDRESS, &record), 0);
                model_start_lock(&m, record);
        }
        m.fake.n_commands = 0;
        advert(&m, true, true);
        fake_run_for(&m.fake, 500 * MSEC);
        ck_assert_uint_gt(m.log_reads, n); /* it did read */
        ck_assert_uint_eq(m.n_events, 2);  /* and signalled nothing again */
        ck_assert_uint_ne(m.events[0].identity, m.events[1].identity);
        model_done(&m);
}
END_TEST

/* ---- the auto-lock (§7.5) ---------------------------------------------------------------------- */

START_TEST(test_auto_lock_inferred_from_advert) {
        Model m;

        model_init(&m, 5, false);
        advert(&m, true, false);
        ck_assert_str_eq(m.lock->state, "unlocked");
        /* The bolt went back, no record says why: the auto-lock. */
        advert(&m, false, false);
        ck_assert_str_eq(m.lock->state, "locked");
        ck_assert_uint_eq(m.n_events, 1);
        ck_assert_str_eq(m.events[0].kind, "locked");
        ck_assert_str_eq(m.events[0].method, "auto-lock");
        ck_assert_uint_eq(m.events[0].record_type, 0);
        /* Adverts that repeat it say nothing more. */
        advert(&m, false, false);
        ck_assert_uint_eq(m.n_events, 1);

        /* Locked at the keypad: the flag is up with the change, the record explains it. */
        advert(&m, true, false);
        log_add(&m, TTLOCK_LOG_PASSCODE_LOCK);
        advert(&m, false, true);
        ck_assert(wait_events(&m, 2, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.n_events, 2);
        ck_assert_str_eq(m.events[1].method, "passcode");

        /* A lock that logs its auto-lock (type 45, §4.5): that record is the one Event. */
        advert(&m, true, false);
        log_add(&m, TTLOCK_LOG_AUTO_LOCK);
        advert(&m, false, true);
        ck_assert(wait_events(&m, 3, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.n_events, 3);
        ck_assert_str_eq(m.events[2].method, "auto-lock");
        ck_assert_uint_eq(m.events[2].record_type, TTLOCK_LOG_AUTO_LOCK);
        model_done(&m);
}
END_TEST

START_TEST(test_auto_lock_off_is_not_inferred) {
        Model m;

        model_init(&m, 0, false);
        advert(&m, true, false);
        advert(&m, false, false);
        ck_assert_str_eq(m.lock->state, "locked");
        ck_assert_uint_eq(m.n_events, 0);
        model_done(&m);
}
END_TEST

/* Connected: the lock pushes its new state; a log read asks whether it logged something. */
START_TEST(test_auto_lock_inferred_from_push) {
        Model m;
        Call c;
        unsigned reads;

        model_init(&m, 5, false);
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert(wait_events(&m, 1, 2 * SEC));
        reads = m.log_reads;
        m.locked = true;
        push_state(&m, true, 0);
        ck_assert(wait_events(&m, 2, 2 * SEC));
        ck_assert_uint_gt(m.log_reads, reads);
        ck_assert_str_eq(last_event(&m)->method, "auto-lock");
        ck_assert_uint_eq(last_event(&m)->record_type, 0);
        ck_assert_str_eq(m.lock->state, "locked");
        model_done(&m);
}
END_TEST

/* ---- jammed (§4.6) ----------------------------------------------------------------------------- */

START_TEST(test_jam_refused_unlock_with_record) {
        Model m;
        Call c;

        model_init(&m, 0, false);
        advert(&m, false, false);
        m.jam = TTLOCK_ERR_OPERATE_FAILED;
        m.jam_record = TTLOCK_LOG_UNLOCK_TIMEOUT;
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert_int_eq(c.status.error, -EREMOTEIO);
        /* Jammed before the reply. */
        ck_assert_str_eq(m.lock->state, "jammed");
        ck_assert(wait_events(&m, 1, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        /* The lock's own record is the Event; none of ours besides. */
        ck_assert_uint_eq(m.n_events, 1);
        ck_assert_str_eq(m.events[0].kind, "jammed");
        ck_assert_uint_eq(m.events[0].record_type, TTLOCK_LOG_UNLOCK_TIMEOUT);
        /* The record does not say who ran the motor; we do. */
        ck_assert_str_eq(m.events[0].method, "app");

        /* Adverts with the bolt where it was are no news; a successful Unlock is. */
        advert(&m, false, false);
        ck_assert_str_eq(m.lock->state, "jammed");
        /* Tried again, jammed again: "unlocking", then "jammed" once more, each signalled. */
        m.jam = TTLOCK_ERR_OPERATE_FAILED;
        m.jam_record = 0;
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert_str_eq(m.lock->state, "jammed");
        ck_assert_str_eq(m.reported_state, "jammed");
        ck_assert(wait_events(&m, 2, 2 * SEC));
        ck_assert_str_eq(m.events[1].kind, "jammed");
        ck_assert_str_eq(m.events[1].method, "app");
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_str_eq(m.lock->state, "unlocked");
        model_done(&m);
}
END_TEST

START_TEST(test_jam_refused_lock_without_record) {
        Model m;
        Call c;

        model_init(&m, 0, false);
        advert(&m, true, false);
        m.jam = TTLOCK_ERR_PARKING_LOCK_LOCKED_FAILED;
        actuate(&m, ACCESS_LOCK, &c);
        ck_assert_int_eq(c.status.error, -EREMOTEIO);
        ck_assert_str_eq(m.lock->state, "jammed");
        ck_assert(wait_events(&m, 1, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        /* The log said nothing: ttlockd's own Event, once. */
        ck_assert_uint_eq(m.n_events, 1);
        ck_assert_str_eq(m.events[0].kind, "jammed");
        ck_assert_str_eq(m.events[0].method, "app");
        ck_assert_uint_eq(m.events[0].record_type, 0);

        /* The lock reports the bolt somewhere else: jammed is over. */
        advert(&m, false, false);
        ck_assert_str_eq(m.lock->state, "locked");
        model_done(&m);
}
END_TEST

/* A refusal that is the lock saying no, not a stuck motor, jams nothing. */
START_TEST(test_refusal_is_not_jam) {
        Model m;
        Call c;

        model_init(&m, 0, false);
        advert(&m, false, false);
        m.jam = TTLOCK_ERR_LOCK_FROZEN;
        actuate(&m, ACCESS_UNLOCK, &c);
        ck_assert_int_eq(c.status.error, -EREMOTEIO);
        ck_assert_str_eq(m.lock->state, "locked");
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(count_events(&m, "jammed", NULL), 0);
        model_done(&m);
}
END_TEST

/* The lock's record of a motor that timed out, read after the flag rose; a later record clears it. */
START_TEST(test_jam_from_record) {
        Model m;

        model_init(&m, 0, false);
        advert(&m, false, false);
        log_add(&m, TTLOCK_LOG_LOCK_TIMEOUT);
        advert(&m, false, true);
        ck_assert(wait_events(&m, 1, 2 * SEC));
        ck_assert_str_eq(m.events[0].kind, "jammed");
        ck_assert_str_eq(m.lock->state, "jammed");

        /* An advert with the bolt where it was is no news. */
        advert(&m, false, false);
        ck_assert_str_eq(m.lock->state, "jammed");

        /* The keypad opened it since (and the auto-lock closed it again, unlogged): the motor moved, so
         * the bolt is where the lock last reported it. */
        log_add(&m, TTLOCK_LOG_PASSCODE_UNLOCK);
        advert(&m, false, true);
        ck_assert(wait_events(&m, 2, 2 * SEC));
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_str_eq(m.lock->state, "locked");
        model_done(&m);
}
END_TEST

/* ---- the door (§4.7) --------------------------------------------------------------------------- */

START_TEST(test_door_records_and_left_open) {
        Model m;

        model_init(&m, 0, true);
        ck_assert(lock_has_door_sensor(m.lock));
        ck_assert_int_eq(lock_set_door_left_open_seconds(m.lock, 1), 0);
        ck_assert_uint_eq(lock_door_left_open_seconds(m.lock), 1);

        log_add(&m, TTLOCK_LOG_DOOR_SENSOR_OPENED);
        advert(&m, false, true);
        ck_assert(wait_events(&m, 1, 2 * SEC));
        ck_assert_str_eq(m.events[0].kind, "door-opened");
        ck_assert(lock_door_open(m.lock));
        ck_assert_uint_gt(m.lock->door_updated_usec, 0);
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_DOOR));

        /* Left open past its second: ttlockd says so, once. */
        ck_assert_msg(wait_events(&m, 2, 3 * SEC), "no door-left-open");
        ck_assert_str_eq(m.events[1].kind, "door-left-open");
        ck_assert_uint_eq(m.events[1].record_type, 0);
        fake_run_for(&m.fake, 1500 * MSEC);
        ck_assert_uint_eq(m.n_events, 2);

        log_add(&m, TTLOCK_LOG_DOOR_SENSOR_CLOSED);
        flag_rises(&m, false);
        ck_assert(wait_events(&m, 3, 2 * SEC));
        ck_assert_str_eq(m.events[2].kind, "door-closed");
        ck_assert(!lock_door_open(m.lock));

        /* Open again, and the lock raises its own alarm first: that record is the one Event. */
        log_add(&m, TTLOCK_LOG_DOOR_SENSOR_OPENED);
        log_add(&m, TTLOCK_LOG_DOOR_NOT_CLOSED_ALARM);
        flag_rises(&m, false);
        ck_assert(wait_events(&m, 5, 2 * SEC));
        fake_run_for(&m.fake, 1500 * MSEC);
        ck_assert_uint_eq(m.n_events, 5);
        ck_assert_str_eq(m.events[4].kind, "door-left-open");
        ck_assert_uint_eq(m.events[4].record_type, TTLOCK_LOG_DOOR_NOT_CLOSED_ALARM);
        model_done(&m);
}
END_TEST

/* The push's third byte and the reply's d[2] (§4.7), on a lock with a sensor — and not without one. */
START_TEST(test_door_pushes_and_refresh) {
        Model m;
        Call c;

        model_init(&m, 0, true);
        ck_assert_int_eq(lock_set_door_left_open_seconds(m.lock, 0), 0);
        m.door = 1;
        actuate(&m, ACCESS_REFRESH, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert(lock_door_open(m.lock));
        push_state(&m, true, 0);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert(!lock_door_open(m.lock));
        /* Door state alone is no Event: the lock's records are. */
        ck_assert_uint_eq(count_events(&m, "door-opened", NULL) + count_events(&m, "door-closed", NULL), 0);
        model_done(&m);

        model_init(&m, 0, false);
        ck_assert(!lock_has_door_sensor(m.lock));
        m.door = 1;
        actuate(&m, ACCESS_REFRESH, &c);
        ck_assert(!lock_door_open(m.lock));
        ck_assert_uint_eq(m.lock->door_updated_usec, 0);
        ck_assert_int_eq(lock_set_door_left_open_seconds(m.lock, LOCK_DOOR_LEFT_OPEN_MAX_SEC + 1), -ERANGE);
        model_done(&m);
}
END_TEST

/* ---- passage mode now, freezing (§4.8) --------------------------------------------------------- */

static bool is_now(const TTPassageModeRecord *r) {
        /* §4.8: the bytes 01 00 7F 00 00 17 3B. */
        return r->type == TTLOCK_PASSAGE_MODE_WEEKLY && r->week_or_day == 0 && r->month == 0x7F &&
                r->start_hour == 0 && r->start_minute == 0 && r->end_hour == 23 && r->end_minute == 59;
}

START_TEST(test_passage_now) {
        SettingsRequest q = { .action = SETTINGS_PASSAGE_NOW, .enabled = true };
        SettingsRequest set = { .action = SETTINGS_PASSAGE_SET, .n_records = 1 };
        Model m;
        Call c;

        model_init(&m, 5, false);
        ck_assert(!lock_passage_mode_active(m.lock));
        settings(&m, &q, &c);
        ck_assert_int_eq(c.status.error, 0);
        /* One add of the every-day record; nothing cleared. */
        ck_assert_uint_eq(m.n_passage, 1);
        ck_assert_uint_eq(m.passage[0].op, TTLOCK_PASSAGE_MODE_ADD);
        ck_assert(is_now(&m.passage[0].record));
        ck_assert(lock_passage_mode_active(m.lock));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_PASSAGE_MODE_ACTIVE));

        /* Replacing the weekly windows keeps it on. */
        m.n_passage = 0;
        set.records[0] = (TTPassageModeRecord){
                .type = TTLOCK_PASSAGE_MODE_WEEKLY, .week_or_day = 1, .start_hour = 8, .end_hour = 12
        };
        settings(&m, &set, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_uint_eq(m.n_passage, 3); /* clear, the window, the every-day record */
        ck_assert_uint_eq(m.passage[0].op, TTLOCK_PASSAGE_MODE_CLEAR);
        ck_assert(is_now(&m.passage[2].record));
        ck_assert(lock_passage_mode_active(m.lock));

        /* Off: one delete of that record; a lock that does not have it any more is off already. */
        m.n_passage = 0;
        q.enabled = false;
        m.passage_error = TTLOCK_ERR_RECORD_NOT_EXIST;
        settings(&m, &q, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_uint_eq(m.n_passage, 1);
        ck_assert_uint_eq(m.passage[0].op, TTLOCK_PASSAGE_MODE_DELETE);
        ck_assert(is_now(&m.passage[0].record));
        ck_assert(!lock_passage_mode_active(m.lock));

        /* Another refusal is one. */
        m.passage_error = TTLOCK_ERR_INVALID_PARAM;
        q.enabled = true;
        settings(&m, &q, &c);
        ck_assert_int_eq(c.status.error, -EREMOTEIO);
        ck_assert(!lock_passage_mode_active(m.lock));
        model_done(&m);
}
END_TEST

START_TEST(test_freeze_and_settings_kept) {
        SettingsRequest q = { .action = SETTINGS_FREEZE, .enabled = true };
        LockRecord *record;
        Model m;
        Call c;

        model_init(&m, 5, true);
        settings(&m, &q, &c);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert(m.have_freeze);
        ck_assert_uint_eq(m.freeze.op, TTLOCK_SETTING_SET);
        ck_assert(m.freeze.enabled);
        ck_assert(lock_frozen(m.lock));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_FROZEN));
        ck_assert_int_eq(lock_set_door_left_open_seconds(m.lock, 42), 0);

        /* On disk, for the next start. */
        ck_assert_int_ge(store_load(m.store, FAKE_ADDRESS, &record), 0);
        ck_assert_int_eq(record->frozen, 1);
        ck_assert_int_eq(record->door_left_open_seconds, 42);
        lock_record_free(record);

        q.enabled = false;
        settings(&m, &q, &c);
        ck_assert(!m.freeze.enabled);
        ck_assert(!lock_frozen(m.lock));
        model_done(&m);
}
END_TEST

/* The key file keeps what this adds (store.h): the settings, ttlockd's door-left-open time, the door. */
START_TEST(test_record_keeps_door_and_settings) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL, *back = NULL;
        _cleanup_free_ char *yaml = NULL, *error = NULL;
        size_t size;

        ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &r), 0);
        ck_assert_int_eq(r->frozen, -1);
        ck_assert_int_eq(r->passage_mode_active, -1);
        ck_assert_int_eq(r->door_left_open_seconds, -1);
        ck_assert_int_eq(r->door_open, -1);
        ck_assert_int_ge(lock_record_to_yaml(r, &yaml, &size), 0);
        ck_assert_ptr_null(strstr(yaml, "door"));
        free(yaml);
        yaml = NULL;

        r->frozen = 1;
        r->passage_mode_active = 0;
        r->door_left_open_seconds = 90;
        r->door_open = 1;
        r->door_updated_usec = 1700000000000000;
        ck_assert_int_ge(lock_record_to_yaml(r, &yaml, &size), 0);
        ck_assert_msg(lock_record_from_yaml(yaml, size, &back, &error) >= 0, "%s", error);
        ck_assert_int_eq(back->frozen, 1);
        ck_assert_int_eq(back->passage_mode_active, 0);
        ck_assert_int_eq(back->door_left_open_seconds, 90);
        ck_assert_int_eq(back->door_open, 1);
        ck_assert_uint_eq(back->door_updated_usec, 1700000000000000);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("lock-events");
        TCase *tc = tcase_create("model");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_prompt_event_after_unlock);
        tcase_add_test(tc, test_read_gives_way);
        tcase_add_test(tc, test_each_record_once);
        tcase_add_test(tc, test_auto_lock_inferred_from_advert);
        tcase_add_test(tc, test_auto_lock_off_is_not_inferred);
        tcase_add_test(tc, test_auto_lock_inferred_from_push);
        tcase_add_test(tc, test_jam_refused_unlock_with_record);
        tcase_add_test(tc, test_jam_refused_lock_without_record);
        tcase_add_test(tc, test_refusal_is_not_jam);
        tcase_add_test(tc, test_jam_from_record);
        tcase_add_test(tc, test_door_records_and_left_open);
        tcase_add_test(tc, test_door_pushes_and_refresh);
        tcase_add_test(tc, test_passage_now);
        tcase_add_test(tc, test_freeze_and_settings_kept);
        tcase_add_test(tc, test_record_keeps_door_and_settings);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
