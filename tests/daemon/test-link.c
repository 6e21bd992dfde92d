/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* link.c and the operations over it (ops-pair, ops-access, ops-log, ops-reset), run for real against
 * a scripted lock behind a fake radio (fake-radio.h): no bus, no simulator. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "fake-radio.h"
#include "info.h"
#include "log.h"
#include "oplog.h"
#include "ops-access.h"
#include "ops-log.h"
#include "ops-pair.h"
#include "ops-reset.h"
#include "ops-verify.h"
#include "pairing.h"
#include "reply.h"
#include "tt-test.h"

#define SEC 1000000ULL
#define MSEC 1000ULL

static const uint8_t lock_key[TTLOCK_KEY_SIZE] = { 0x98, 0x76, 0x23, 0xe8, 0xa9, 0x23, 0xa1, 0xbb,
                                                   0x3d, 0x9e, 0x7d, 0x03, 0x78, 0x12, 0x45, 0x88 };

/* ---- the scripted lock ------------------------------------------------------------------- */

typedef enum Behaviour {
        ANSWER_OK,      /* SUCCESS with the command's usual data */
        ANSWER_REFUSE,  /* FAILED with Script.error */
        ANSWER_EMPTY,   /* L = 0 */
        ANSWER_GARBAGE, /* SUCCESS without the data the command needs */
        ANSWER_SILENT,
        ANSWER_DROP,
        ANSWER_GARBLED, /* SUCCESS with the usual data, in a frame whose CRC breaks on the way */
} Behaviour;

typedef struct Script {
        Behaviour behaviour[256];  /* ANSWER_OK unless set */
        uint8_t error;             /* for ANSWER_REFUSE */
        unsigned refuse_once[256]; /* refuse the first N of this command with error, then behave */
        TTFeatures features;
        uint32_t ps_from_lock;
        /* Operation log: pages served by sequence (GET_OPERATE_LOG). */
        unsigned log_pages_served;
        uint16_t log_requests[16];
        size_t n_log_requests;
        FakeLock *fake;
} Script;

static TTLogRecord log_record(uint8_t type, uint8_t second) {
        return (TTLogRecord){
                .type = type,
                .date = { .year = 2024, .month = 5, .day = 1, .hour = 12, .minute = 0, .second = second },
                .battery = 80,
                .tail = ttlock_log_type_tail(type),
        };
}

/* Three records, then two, then nothing: next = 3, 5, and total 0. */
static void answer_log(Script *s, const uint8_t *plain, size_t len, TTWriter *w) {
        TTLogRecord recs[3] = { log_record(TTLOCK_LOG_MECHANICAL_KEY_UNLOCK, 1),
                                log_record(TTLOCK_LOG_MECHANICAL_KEY_LOCK, 2),
                                log_record(TTLOCK_LOG_MECHANICAL_KEY_UNLOCK, 3) };
        uint16_t seq;

        ck_assert_int_ge(ttlock_log_request_decode(plain, len, &seq, NULL), 0);
        ck_assert_uint_lt(s->n_log_requests, ELEMENTSOF(s->log_requests));
        s->log_requests[s->n_log_requests++] = seq;
        switch (s->log_pages_served++) {
        case 0:
                ck_assert_int_ge(ttlock_log_page_encode(w, 5, 3, recs, 3, NULL), 0);
                break;
        case 1:
                ck_assert_int_ge(ttlock_log_page_encode(w, 2, 5, recs, 2, NULL), 0);
                break;
        default:
                ck_assert_int_ge(ttlock_log_page_encode(w, 0, 5, NULL, 0, NULL), 0);
                break;
        }
}

static FakeAction respond(uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata) {
        Script *s = userdata;
        Behaviour b = s->behaviour[command];

        if (s->refuse_once[command] > 0) {
                s->refuse_once[command]--;
                b = ANSWER_REFUSE;
        }
        switch (b) {
        case ANSWER_REFUSE:
                ttlock_reply_error(w, command, s->error);
                return FAKE_REPLY;
        case ANSWER_EMPTY:
                return FAKE_EMPTY;
        case ANSWER_GARBAGE:
                ttlock_reply_begin(w, command);
                return FAKE_REPLY;
        case ANSWER_SILENT:
                return FAKE_SILENT;
        case ANSWER_DROP:
                return FAKE_DROP;
        case ANSWER_GARBLED:
                s->fake->bad_crc = 1;
                break;
        case ANSWER_OK:
                break;
        }

        ttlock_reply_begin(w, command);
        switch (command) {
        case TTLOCK_CMD_GET_AES_KEY:
                ttlock_get_aes_key_reply_encode(w, lock_key);
                /* From the next command on the lock speaks its own key (§3.3). */
                memcpy(s->fake->next_key, lock_key, TTLOCK_KEY_SIZE);
                s->fake->have_next_key = true;
                break;
        case TTLOCK_CMD_ADD_ADMIN:
                ttlock_add_admin_reply_encode(w);
                break;
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE:
                ttlock_feature_reply_encode(w, &(TTFeatureReply){ .battery = 77, .features = s->features });
                break;
        case TTLOCK_CMD_CHECK_USER_TIME:
        case TTLOCK_CMD_CHECK_ADMIN:
                ttlock_challenge_reply_encode(w, &(TTChallengeReply){ .ps_from_lock = s->ps_from_lock });
                break;
        case TTLOCK_CMD_UNLOCK:
        case TTLOCK_CMD_FUNCTION_LOCK:
                ck_assert_int_ge(ttlock_actuate_reply_encode(w, &(TTActuateReply){ .battery = 66 }), 0);
                break;
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                ttlock_status_reply_encode(
                        w, &(TTStatusReply){ .battery = 55, .state = TTLOCK_STATE_LOCKED });
                break;
        case TTLOCK_CMD_GET_OPERATE_LOG:
                answer_log(s, plain, len, w);
                break;
        default:
                /* A bare SUCCESS: enough for CHECK_RANDOM, OPERATE_FINISHED, test commands. */
                break;
        }
        return FAKE_REPLY;
}

typedef struct World {
        sd_event *event;
        FakeLock fake;
        Script script;
        Link *link;
} World;

static void world_init(World *w) {
        LinkConfig c;

        log_set_max_level(getenv("TEST_DEBUG") ? 7 : 3);
        *w = (World){};
        ck_assert_int_ge(sd_event_new(&w->event), 0);
        fake_init(&w->fake, w->event, respond, &w->script);
        w->script.fake = &w->fake;
        w->script.error = 0x06; /* INVALID_COMMAND: what a lock says to a command it does not know */
        link_config_default(&c);
        c.connect_timeout_usec = 1 * SEC;
        c.connect_retry_usec = 10 * MSEC;
        c.resolve_timeout_usec = 1 * SEC;
        c.reply_timeout_usec = 300 * MSEC;
        c.keepalive_usec = 100 * MSEC;
        c.device_wait_usec = 200 * MSEC;
        ck_assert_int_ge(link_new(w->event, w->fake.radios, FAKE_ADDRESS, &c, NULL, NULL, &w->link), 0);
        memcpy(w->fake.key, lock_key, TTLOCK_KEY_SIZE); /* a paired lock unless a test says otherwise */
}

static void world_done(World *w) {
        w->link = link_free(w->link);
        fake_done(&w->fake);
        w->event = sd_event_unref(w->event);
}

/* ---- link.c with hand-made jobs ---------------------------------------------------------- */

typedef struct TestJob {
        LinkJob *job;
        int start_error;
        bool started;
        int replies;
        int reply_error;
        uint8_t reply_status_ok;
        int send_in_handler; /* what link_job_send() said when the handler tried one */
        int enqueue_in_handler;
        bool try_in_handler;
        bool finish_in_handler;
        bool replied;
} TestJob;

static void on_test_start(LinkJob *job, int error, void *userdata) {
        TestJob *t = userdata;

        t->started = true;
        t->start_error = error;
        if (error < 0) {
                t->job = NULL;
                if (t->try_in_handler)
                        t->enqueue_in_handler = link_enqueue(link_job_link(job), on_test_start, t, NULL);
        }
}

static int on_test_reply(LinkJob *job, int error, const TTReply *reply, void *userdata) {
        TestJob *t = userdata;

        t->replies++;
        t->replied = true;
        t->reply_error = error;
        t->reply_status_ok = error == 0 && reply->success;
        if (t->try_in_handler) {
                t->send_in_handler = link_job_send(
                        job,
                        TTLOCK_CMD_SEARCH_BICYCLE_STATUS,
                        (const uint8_t *) "SCIENER",
                        7,
                        lock_key,
                        0,
                        on_test_reply,
                        t);
                t->enqueue_in_handler = link_enqueue(link_job_link(job), on_test_start, t, NULL);
        }
        if (t->finish_in_handler) {
                link_job_finish(job);
                t->job = NULL;
        }
        return 0;
}

static int send_status(TestJob *t) {
        t->replied = false;
        return link_job_send(
                t->job,
                TTLOCK_CMD_SEARCH_BICYCLE_STATUS,
                (const uint8_t *) "SCIENER",
                7,
                lock_key,
                0,
                on_test_reply,
                t);
}

START_TEST(test_job_round_trip_and_keepalive) {
        TestJob t = {};
        World w;

        world_init(&w);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &t, &t.job), 0);
        ck_assert(fake_run_until(&w.fake, &t.started, 2 * SEC));
        ck_assert_int_eq(t.start_error, 0);
        ck_assert(link_connected(w.link));
        ck_assert_int_eq(send_status(&t), 0);
        /* One command in flight per link (§9.4). */
        ck_assert_int_eq(send_status(&t), -EBUSY);
        ck_assert(fake_run_until(&w.fake, &t.replied, 2 * SEC));
        ck_assert_int_eq(t.reply_error, 0);
        ck_assert(t.reply_status_ok);
        link_job_finish(t.job);
        ck_assert(!link_busy(w.link));
        /* §9.3: kept a moment for back-to-back commands, then let go. */
        ck_assert_uint_eq(w.fake.disconnects, 0);
        fake_run_for(&w.fake, 400 * MSEC);
        ck_assert_uint_eq(w.fake.disconnects, 1);
        ck_assert(!link_connected(w.link));
        ck_assert_uint_eq(link_stats(w.link)->connects, 1);
        ck_assert_uint_eq(link_stats(w.link)->commands, 1);
        world_done(&w);
}
END_TEST

/* Right after start-up BlueZ has not seen the lock yet: queued work waits for its first advert,
 * a bounded while, instead of failing at once. */
START_TEST(test_waits_for_the_device) {
        TestJob early = {}, never = {};
        LinkConfig c;
        Link *other;
        World w;

        world_init(&w);
        fake_vanish(&w.fake);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &early, &early.job), 0);
        fake_run_for(&w.fake, 100 * MSEC);
        ck_assert(!early.started);
        ck_assert_uint_eq(w.fake.connects, 0);
        /* The advert arrives: the radio lists the lock again and the lock model tells the link. */
        fake_appear(&w.fake);
        link_device_seen(w.link);
        ck_assert(fake_run_until(&w.fake, &early.started, 2 * SEC));
        ck_assert_int_eq(early.start_error, 0);
        link_job_finish(early.job);

        /* A lock that never shows up: Unreachable after the wait, not a hang. */
        link_config_default(&c);
        c.device_wait_usec = 200 * MSEC;
        ck_assert_int_ge(link_new(w.event, w.fake.radios, "AA:BB:CC:00:00:09", &c, NULL, NULL, &other), 0);
        ck_assert_int_ge(link_enqueue(other, on_test_start, &never, &never.job), 0);
        ck_assert(fake_run_until(&w.fake, &never.started, 2 * SEC));
        ck_assert_int_eq(never.start_error, -ENODEV);
        ck_assert(!link_busy(other));
        link_free(other);
        world_done(&w);
}
END_TEST

START_TEST(test_free_cancels_every_job) {
        TestJob running = { .try_in_handler = true }, queued[2] = { { .try_in_handler = true }, {} };
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_SEARCH_BICYCLE_STATUS] = ANSWER_SILENT;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &running, &running.job), 0);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &queued[0], &queued[0].job), 0);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &queued[1], &queued[1].job), 0);
        ck_assert(fake_run_until(&w.fake, &running.started, 2 * SEC));
        ck_assert_int_eq(send_status(&running), 0);
        fake_run_for(&w.fake, 50 * MSEC);
        ck_assert(!running.replied);
        ck_assert(!queued[0].started);

        /* link.h: every job hears -ECANCELED; nothing can be sent or queued from those callbacks. */
        w.link = link_free(w.link);
        ck_assert(running.replied);
        ck_assert_int_eq(running.reply_error, -ECANCELED);
        ck_assert_int_eq(running.send_in_handler, -ECANCELED);
        ck_assert_int_eq(running.enqueue_in_handler, -ECANCELED);
        for (size_t i = 0; i < 2; i++) {
                ck_assert(queued[i].started);
                ck_assert_int_eq(queued[i].start_error, -ECANCELED);
        }
        ck_assert_int_eq(queued[0].enqueue_in_handler, -ECANCELED);
        world_done(&w);
}
END_TEST

START_TEST(test_drop_between_commands) {
        TestJob a = {}, b = {};
        World w;

        world_init(&w);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &b, &b.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(send_status(&a), 0);
        ck_assert(fake_run_until(&w.fake, &a.replied, 2 * SEC));

        /* The job holds the link with nothing in flight; the lock goes away. */
        fake_drop(&w.fake);
        fake_run_for(&w.fake, 50 * MSEC);
        ck_assert(!link_connected(w.link));
        ck_assert_int_eq(send_status(&a), -ENOTCONN);
        /* The next job gets a fresh connection — and the old job stays cut off even then. */
        ck_assert(!b.started);
        link_job_finish(a.job);
        ck_assert(fake_run_until(&w.fake, &b.started, 2 * SEC));
        ck_assert_int_eq(b.start_error, 0);
        ck_assert_uint_eq(link_stats(w.link)->connects, 2);
        ck_assert_int_eq(send_status(&b), 0);
        ck_assert(fake_run_until(&w.fake, &b.replied, 2 * SEC));
        ck_assert_int_eq(b.reply_error, 0);
        link_job_finish(b.job);
        world_done(&w);
}
END_TEST

START_TEST(test_drop_mid_command) {
        TestJob a = { .finish_in_handler = true };
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_SEARCH_BICYCLE_STATUS] = ANSWER_DROP;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(send_status(&a), 0);
        ck_assert(fake_run_until(&w.fake, &a.replied, 2 * SEC));
        ck_assert_int_eq(a.reply_error, -ENOTCONN);
        ck_assert(!link_busy(w.link));
        world_done(&w);
}
END_TEST

START_TEST(test_bad_crc_one_resend) {
        TestJob a = { .finish_in_handler = true }, b = { .finish_in_handler = true };
        World w;

        world_init(&w);
        /* §9.1: one broken answer → the command goes out once more and the second answer counts. */
        w.fake.bad_crc = 1;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(send_status(&a), 0);
        ck_assert(fake_run_until(&w.fake, &a.replied, 2 * SEC));
        ck_assert_int_eq(a.reply_error, 0);
        ck_assert_uint_eq(w.fake.n_commands, 2);
        ck_assert_uint_eq(link_stats(w.link)->resends, 1);

        /* Two broken answers: a clean -EBADMSG, no third try. */
        w.fake.bad_crc = 2;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &b, &b.job), 0);
        ck_assert(fake_run_until(&w.fake, &b.started, 2 * SEC));
        ck_assert_int_eq(send_status(&b), 0);
        ck_assert(fake_run_until(&w.fake, &b.replied, 2 * SEC));
        ck_assert_int_eq(b.reply_error, -EBADMSG);
        ck_assert_uint_eq(w.fake.n_commands, 4);
        ck_assert_uint_eq(link_stats(w.link)->resends, 2);
        world_done(&w);
}
END_TEST

START_TEST(test_lock_reports_crc_error) {
        TestJob a = { .finish_in_handler = true };
        World w;

        world_init(&w);
        /* §4.4 0x01: the lock could not read us; the link resends once by itself. */
        w.script.error = 0x01;
        w.script.refuse_once[TTLOCK_CMD_SEARCH_BICYCLE_STATUS] = 1;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(send_status(&a), 0);
        ck_assert(fake_run_until(&w.fake, &a.replied, 2 * SEC));
        ck_assert_int_eq(a.reply_error, 0);
        ck_assert(a.reply_status_ok);
        ck_assert_uint_eq(w.fake.n_commands, 2);
        world_done(&w);
}
END_TEST

START_TEST(test_reply_timeout) {
        TestJob a = { .finish_in_handler = true };
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_SEARCH_BICYCLE_STATUS] = ANSWER_SILENT;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(send_status(&a), 0);
        ck_assert(fake_run_until(&w.fake, &a.replied, 2 * SEC));
        ck_assert_int_eq(a.reply_error, -ETIMEDOUT);
        ck_assert_uint_eq(link_stats(w.link)->timeouts, 1);
        world_done(&w);
}
END_TEST

START_TEST(test_connect_retries) {
        TestJob a = {}, b = {};
        World w;

        world_init(&w);
        /* A dormant lock refuses the first attempts (§9.2); three are allowed. */
        w.fake.refuse_connects = 2;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &a, &a.job), 0);
        ck_assert(fake_run_until(&w.fake, &a.started, 2 * SEC));
        ck_assert_int_eq(a.start_error, 0);
        ck_assert_uint_eq(w.fake.connects, 3);
        link_job_finish(a.job);
        fake_run_for(&w.fake, 300 * MSEC);

        w.fake.refuse_connects = 3;
        ck_assert_int_ge(link_enqueue(w.link, on_test_start, &b, &b.job), 0);
        ck_assert(fake_run_until(&w.fake, &b.started, 2 * SEC));
        ck_assert_int_eq(b.start_error, -EHOSTUNREACH);
        ck_assert(!link_busy(w.link));
        ck_assert_uint_eq(link_stats(w.link)->connect_failures, 5);
        world_done(&w);
}
END_TEST

/* ---- pairing ----------------------------------------------------------------------------- */

typedef struct PairResult {
        bool done;
        OpStatus status;
        PairOutcome outcome;
        LockRecord *record;
        /* The owner's saves of the keys: before ADD_ADMIN (provisional) and once the lock took them. */
        unsigned provisional_saves, final_saves;
        size_t commands_at_provisional, commands_at_final;
        int save_error; /* what the owner's save returns (a full disk) */
        FakeLock *fake;
} PairResult;

static int on_save_keys(LockRecord *record, bool provisional, void *userdata) {
        PairResult *o = userdata;

        ck_assert(memcmp(record->aes_key, lock_key, TTLOCK_KEY_SIZE) == 0);
        if (o->save_error < 0)
                return o->save_error;
        if (provisional) {
                o->provisional_saves++;
                o->commands_at_provisional = o->fake->n_commands;
        } else {
                o->final_saves++;
                o->commands_at_final = o->fake->n_commands;
        }
        return 0;
}

static void on_pair_done(const OpStatus *status, PairOutcome outcome, LockRecord *record, void *userdata) {
        PairResult *o = userdata;

        o->done = true;
        o->status = *status;
        o->outcome = outcome;
        o->record = record;
}

static void run_pairing_saving(World *w, PairResult *o, int save_error) {
        PairOp *op = NULL;

        memcpy(w->fake.key, ttlock_default_key, TTLOCK_KEY_SIZE); /* factory-fresh */
        *o = (PairResult){ .fake = &w->fake, .save_error = save_error };
        ck_assert_int_ge(pair_op_start(w->link, "AA:BB:CC:00:00:01", on_save_keys, on_pair_done, o, &op), 0);
        ck_assert(fake_run_until(&w->fake, &o->done, 20 * SEC));
}

static void run_pairing(World *w, PairResult *o) {
        run_pairing_saving(w, o, 0);
}

static unsigned count_commands(World *w, uint8_t command) {
        unsigned n = 0;

        for (size_t i = 0; i < w->fake.n_commands; i++)
                n += w->fake.commands[i] == command;
        return n;
}

static void assert_commands(World *w, const uint8_t *want, size_t n) {
        char got[FAKE_MAX_COMMANDS * 3 + 1] = "", exp[FAKE_MAX_COMMANDS * 3 + 1] = "";

        for (size_t i = 0; i < w->fake.n_commands; i++)
                snprintf(got + 3 * i, 4, "%02x ", w->fake.commands[i]);
        for (size_t i = 0; i < n; i++)
                snprintf(exp + 3 * i, 4, "%02x ", want[i]);
        ck_assert_str_eq(got, exp);
}

START_TEST(test_pair_all_optional_steps_refused) {
        static const unsigned bits[] = {
                TTLOCK_FEATURE_AUDIO_MANAGEMENT, TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE,
                TTLOCK_FEATURE_AUTO_LOCK,        TTLOCK_FEATURE_LAMP,
                TTLOCK_FEATURE_GET_ADMIN_CODE,   TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK
        };
        /* §5.1, in the official order, every feature-dependent step included. */
        static const uint8_t want[] = { 0x19, 0x56, 0x43, 0x01, 0x68, 0x62, 0x59, 0x36, 0x67,
                                        0x65, 0x53, 0x31, 0x37, 0x90, 0x90, 0x90, 0x90, 0x57 };
        PairResult o;
        World w;

        world_init(&w);
        for (size_t i = 0; i < ELEMENTSOF(bits); i++)
                ttlock_features_set(&w.script.features, bits[i]);
        for (unsigned c = 0; c < 256; c++)
                w.script.behaviour[c] = ANSWER_REFUSE;
        w.script.behaviour[TTLOCK_CMD_GET_AES_KEY] = ANSWER_OK;
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_OK;
        w.script.behaviour[TTLOCK_CMD_SEARCH_DEVICE_FEATURE] = ANSWER_OK;

        run_pairing(&w, &o);
        assert_commands(&w, want, ELEMENTSOF(want));
        /* The keys went to disk before ADD_ADMIN, and were confirmed right after it, before anything
         * else was sent. */
        ck_assert_uint_eq(o.provisional_saves, 1);
        ck_assert_uint_eq(o.commands_at_provisional, 1);
        ck_assert_uint_eq(o.final_saves, 1);
        ck_assert_uint_eq(o.commands_at_final, 2);
        ck_assert_int_eq(o.outcome, PAIR_ADMIN);
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_ptr_nonnull(o.record);
        ck_assert(ttlock_features_has(&o.record->features, TTLOCK_FEATURE_LAMP));
        ck_assert_ptr_null(o.record->admin_passcode); /* both admin-code steps were refused */
        /* READ_DEVICE_INFO asked for model, hardware, firmware, manufacture date (types 1–4). */
        ck_assert_uint_eq(w.fake.last_plain_len, 0); /* OPERATE_FINISHED: empty request */
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

START_TEST(test_pair_optional_steps_odd_answers) {
        static const uint8_t want[] = { 0x19, 0x56, 0x43, 0x01, 0x68, 0x53,
                                        0x31, 0x90, 0x90, 0x90, 0x90, 0x57 };
        PairResult o;
        World w;

        world_init(&w);
        /* Without features the feature-dependent steps are skipped; the rest answer oddly. */
        w.script.behaviour[TTLOCK_CMD_TIME_CALIBRATE] = ANSWER_EMPTY;
        w.script.behaviour[TTLOCK_CMD_SEARCH_DEVICE_FEATURE] = ANSWER_GARBAGE;
        w.script.behaviour[TTLOCK_CMD_SWITCH] = ANSWER_GARBAGE;
        w.script.behaviour[TTLOCK_CMD_READ_DEVICE_INFO] = ANSWER_GARBAGE;
        w.script.behaviour[TTLOCK_CMD_OPERATE_FINISHED] = ANSWER_REFUSE;

        run_pairing(&w, &o);
        assert_commands(&w, want, ELEMENTSOF(want));
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_ptr_nonnull(o.record);
        /* SET_ADMIN_KEYBOARD_PWD succeeded: the record holds the 7 digits it set. */
        ck_assert_ptr_nonnull(o.record->admin_passcode);
        ck_assert_uint_eq(strlen(o.record->admin_passcode), 7);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

START_TEST(test_pair_lock_vanishes_after_add_admin) {
        PairResult o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_SEARCH_DEVICE_FEATURE] = ANSWER_DROP;
        run_pairing(&w, &o);
        /* The lock holds our admin: the record comes back (the keys are already saved). */
        ck_assert_uint_eq(o.final_saves, 1);
        ck_assert_int_eq(o.outcome, PAIR_ADMIN);
        ck_assert_ptr_nonnull(o.record);
        ck_assert_uint_eq(w.fake.n_commands, 4);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

START_TEST(test_pair_not_in_setting_mode) {
        PairResult o;
        World w;

        world_init(&w);
        /* §4.3: ADD_ADMIN answered without data = not in setting mode. */
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_EMPTY;
        run_pairing(&w, &o);
        ck_assert_uint_eq(o.provisional_saves, 1);
        ck_assert_uint_eq(o.final_saves, 0);
        ck_assert_int_eq(o.outcome, PAIR_NO_ADMIN);
        ck_assert_ptr_null(o.record);
        ck_assert_int_eq(o.status.error, -EREMOTEIO);
        ck_assert_uint_eq(o.status.lock_error, 0x07);
        ck_assert_uint_eq(o.status.command, TTLOCK_CMD_ADD_ADMIN);
        world_done(&w);
}
END_TEST

START_TEST(test_pair_cancelled_by_link_free) {
        PairResult o = {};
        PairOp *op = NULL;
        World w;

        world_init(&w);
        memcpy(w.fake.key, ttlock_default_key, TTLOCK_KEY_SIZE);
        o.fake = &w.fake;
        w.script.behaviour[TTLOCK_CMD_TIME_CALIBRATE] = ANSWER_SILENT;
        ck_assert_int_ge(pair_op_start(w.link, "AA:BB:CC:00:00:01", on_save_keys, on_pair_done, &o, &op), 0);
        while (w.fake.n_commands < 3)
                fake_run_for(&w.fake, 10 * MSEC);
        /* The owner goes away mid-pairing: the operation ends once, with its record. */
        w.link = link_free(w.link);
        ck_assert(o.done);
        ck_assert_ptr_nonnull(o.record);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

/* The answer to ADD_ADMIN never comes, though the lock took the admin: ADD_ADMIN is not sent again (a
 * lock with an admin would answer it with no data, read as "not in setting mode", and the keys would be
 * thrown away); logging in as the new admin shows the lock has it, and pairing goes on. */
START_TEST(test_pair_add_admin_answer_lost) {
        static const uint8_t want[] = { 0x19, 0x56, 0x41, 0x30, 0x43, 0x01, 0x68, 0x53,
                                        0x31, 0x90, 0x90, 0x90, 0x90, 0x57 };
        PairResult o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_SILENT;
        run_pairing(&w, &o);
        assert_commands(&w, want, ELEMENTSOF(want));
        ck_assert_int_eq(o.outcome, PAIR_ADMIN);
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_uint_eq(o.provisional_saves, 1);
        ck_assert_uint_eq(o.final_saves, 1);
        ck_assert_ptr_nonnull(o.record);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

/* A garbled answer to ADD_ADMIN is not answered by sending ADD_ADMIN again (§9.1's resend is for
 * commands that may run twice). */
START_TEST(test_pair_add_admin_answer_garbled) {
        PairResult o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_GARBLED;
        run_pairing(&w, &o);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_ADD_ADMIN), 1);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_CHECK_ADMIN), 1);
        ck_assert_int_eq(o.outcome, PAIR_ADMIN);
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_ptr_nonnull(o.record);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

/* The answer is lost and the lock does not know the new admin: it never got ADD_ADMIN. Nothing is kept. */
START_TEST(test_pair_add_admin_lost_and_not_taken) {
        PairResult o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_SILENT;
        w.script.behaviour[TTLOCK_CMD_CHECK_ADMIN] = ANSWER_REFUSE;
        w.script.error = 0x03; /* ADMIN_CHECK_ERROR (§4.4) */
        run_pairing(&w, &o);
        ck_assert_int_eq(o.outcome, PAIR_NO_ADMIN);
        ck_assert_ptr_null(o.record);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_ADD_ADMIN), 1);
        ck_assert_uint_eq(o.final_saves, 0);
        world_done(&w);
}
END_TEST

/* The connection drops with ADD_ADMIN in flight: nobody can tell now. The keys come back, marked for a
 * check at the next contact. */
START_TEST(test_pair_add_admin_link_dropped) {
        PairResult o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_ADD_ADMIN] = ANSWER_DROP;
        run_pairing(&w, &o);
        ck_assert_int_eq(o.outcome, PAIR_ADMIN_UNKNOWN);
        ck_assert_ptr_nonnull(o.record);
        ck_assert_int_lt(o.status.error, 0);
        ck_assert_uint_eq(o.provisional_saves, 1);
        ck_assert_uint_eq(o.final_saves, 0);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_ADD_ADMIN), 1);
        lock_record_free(o.record);
        world_done(&w);
}
END_TEST

/* Keys that cannot be made durable are never given to the lock. */
START_TEST(test_pair_keys_not_saved) {
        PairResult o;
        World w;

        world_init(&w);
        run_pairing_saving(&w, &o, -ENOSPC);
        ck_assert_int_eq(o.outcome, PAIR_NO_ADMIN);
        ck_assert_ptr_null(o.record);
        ck_assert_int_eq(o.status.refusal, OP_REFUSAL_NOT_SAVED);
        ck_assert_int_eq(o.status.error, -ENOSPC);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_ADD_ADMIN), 0);
        world_done(&w);
}
END_TEST

typedef struct VerifyResult {
        bool done;
        VerifyVerdict verdict;
} VerifyResult;

static void on_verify(VerifyVerdict verdict, const OpStatus *st, void *userdata) {
        VerifyResult *v = userdata;

        v->done = true;
        v->verdict = verdict;
}

static VerifyVerdict run_verify(World *w) {
        VerifyResult v = {};
        OpKeys keys = { .admin_ps = 123, .unlock_key = 456 };

        memcpy(keys.aes_key, lock_key, TTLOCK_KEY_SIZE);
        ck_assert_int_ge(verify_op_start(w->link, &keys, on_verify, &v, NULL), 0);
        ck_assert(fake_run_until(&w->fake, &v.done, 5 * SEC));
        return v.verdict;
}

/* An eKey proves itself with CHECK_USER_TIME and CHECK_RANDOM, never CHECK_ADMIN (doc/lockdata.md §4). */
START_TEST(test_verify_ekey) {
        static const uint8_t want[] = { 0x55, 0x30 };
        VerifyResult v = {};
        OpKeys user = { .unlock_key = 456, .user = true };
        World w;

        memcpy(user.aes_key, lock_key, TTLOCK_KEY_SIZE);
        world_init(&w);
        ck_assert_int_ge(verify_op_start(w.link, &user, on_verify, &v, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &v.done, 5 * SEC));
        ck_assert_int_eq(v.verdict, VERIFY_ACCEPTED);
        assert_commands(&w, want, ELEMENTSOF(want));

        /* Reset, expired: refused, and no admin login is tried. */
        w.fake.n_commands = 0;
        w.script.behaviour[TTLOCK_CMD_CHECK_USER_TIME] = ANSWER_REFUSE;
        w.script.error = 0x0D;
        v = (VerifyResult){};
        ck_assert_int_ge(verify_op_start(w.link, &user, on_verify, &v, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &v.done, 5 * SEC));
        ck_assert_int_eq(v.verdict, VERIFY_REFUSED);
        ck_assert_uint_eq(count_commands(&w, TTLOCK_CMD_CHECK_ADMIN), 0);
        world_done(&w);
}
END_TEST

/* Keys of unknown fate are judged by an admin login: it works, it is refused, or nothing tells. */
START_TEST(test_verify_verdicts) {
        World w;

        world_init(&w);
        ck_assert_int_eq(run_verify(&w), VERIFY_ACCEPTED);
        w.script.behaviour[TTLOCK_CMD_CHECK_ADMIN] = ANSWER_REFUSE;
        w.script.error = 0x03;
        ck_assert_int_eq(run_verify(&w), VERIFY_REFUSED);
        w.script.behaviour[TTLOCK_CMD_CHECK_ADMIN] = ANSWER_EMPTY; /* a key the lock does not hold */
        ck_assert_int_eq(run_verify(&w), VERIFY_REFUSED);
        w.script.behaviour[TTLOCK_CMD_CHECK_ADMIN] = ANSWER_SILENT;
        ck_assert_int_eq(run_verify(&w), VERIFY_UNKNOWN);
        w.script.behaviour[TTLOCK_CMD_CHECK_ADMIN] = ANSWER_DROP;
        ck_assert_int_eq(run_verify(&w), VERIFY_UNKNOWN);
        world_done(&w);
}
END_TEST

/* ---- access, log, reset ------------------------------------------------------------------ */

typedef struct AccessOutcome {
        bool done;
        AccessResult result;
} AccessOutcome;

static void on_access_done(const AccessResult *r, void *userdata) {
        AccessOutcome *o = userdata;

        o->done = true;
        o->result = *r;
}

static const OpKeys keys = {
        .aes_key = { 0x98,
                     0x76,
                     0x23,
                     0xe8,
                     0xa9,
                     0x23,
                     0xa1,
                     0xbb,
                     0x3d,
                     0x9e,
                     0x7d,
                     0x03,
                     0x78,
                     0x12,
                     0x45,
                     0x88 },
        .admin_ps = 123456789,
        .unlock_key = 987654321,
};

static void run_access(World *w, AccessAction action, AccessOutcome *o) {
        *o = (AccessOutcome){};
        ck_assert_int_ge(access_op_start(w->link, action, &keys, on_access_done, o, NULL), 0);
        ck_assert(fake_run_until(&w->fake, &o->done, 5 * SEC));
}

START_TEST(test_unlock_fast_path_and_fallback) {
        static const uint8_t fast[] = { 0x55, 0x47 }, fallback[] = { 0x55, 0x41, 0x47 };
        AccessOutcome o;
        TTActuateRequest a;
        World w;

        world_init(&w);
        w.script.ps_from_lock = 4242;
        /* Nothing but CHECK_USER_TIME → UNLOCK: the short journey of doc/architecture.md. */
        run_access(&w, ACCESS_UNLOCK, &o);
        assert_commands(&w, fast, ELEMENTSOF(fast));
        ck_assert_int_eq(o.result.status.error, 0);
        ck_assert(o.result.have_state);
        ck_assert_int_eq(o.result.state, TTLOCK_STATE_UNLOCKED);
        ck_assert_uint_eq(o.result.battery, 66);
        ck_assert_int_ge(
                ttlock_actuate_request_decode(w.fake.last_plain, w.fake.last_plain_len, &a, NULL), 0);
        ck_assert_uint_eq(a.sum, ttlock_unlock_sum(4242, keys.unlock_key));

        /* §5.3: a lock that refuses the user challenge gets the admin one. */
        w.fake.n_commands = 0;
        w.script.error = 0x0D;
        w.script.refuse_once[TTLOCK_CMD_CHECK_USER_TIME] = 1;
        run_access(&w, ACCESS_UNLOCK, &o);
        assert_commands(&w, fallback, ELEMENTSOF(fallback));
        ck_assert_int_eq(o.result.status.error, 0);

        /* Both refused: the lock's error comes back for the D-Bus mapping. */
        w.fake.n_commands = 0;
        w.script.error = 0x1C;
        w.script.refuse_once[TTLOCK_CMD_CHECK_USER_TIME] = 1;
        w.script.refuse_once[TTLOCK_CMD_CHECK_ADMIN] = 1;
        run_access(&w, ACCESS_LOCK, &o);
        ck_assert_int_eq(o.result.status.error, -EREMOTEIO);
        ck_assert_uint_eq(o.result.status.lock_error, 0x1C);
        ck_assert_uint_eq(o.result.status.command, TTLOCK_CMD_CHECK_ADMIN);
        ck_assert(!o.result.have_state);
        world_done(&w);
}
END_TEST

/* An eKey (doc/lockdata.md §4): CHECK_USER_TIME with its own window, never CHECK_ADMIN after a refusal,
 * and the lock's refusal comes back as it was for the model to name. */
START_TEST(test_unlock_ekey_no_fallback) {
        static const uint8_t fast[] = { 0x55, 0x47 }, refused[] = { 0x55 };
        OpKeys user = keys;
        TTCheckUserTimeRequest q;
        AccessOutcome o;
        World w;

        user.user = true;
        user.admin_ps = 0;
        user.window_start = (TTDateTime){ .year = 2026, .month = 1, .day = 2, .hour = 3, .minute = 4 };
        user.window_end = (TTDateTime){ .year = 2027, .month = 5, .day = 6, .hour = 7, .minute = 8 };
        world_init(&w);
        o = (AccessOutcome){};
        ck_assert_int_ge(access_op_start(w.link, ACCESS_UNLOCK, &user, on_access_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        assert_commands(&w, fast, ELEMENTSOF(fast));
        ck_assert_int_eq(o.result.status.error, 0);

        w.fake.n_commands = 0;
        w.script.error = 0x0E;
        w.script.refuse_once[TTLOCK_CMD_CHECK_USER_TIME] = 1;
        o = (AccessOutcome){};
        ck_assert_int_ge(access_op_start(w.link, ACCESS_LOCK, &user, on_access_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        assert_commands(&w, refused, ELEMENTSOF(refused));
        ck_assert_int_eq(o.result.status.error, -EREMOTEIO);
        ck_assert_uint_eq(o.result.status.command, TTLOCK_CMD_CHECK_USER_TIME);
        ck_assert_uint_eq(o.result.status.lock_error, 0x0E);
        /* The window went as issued. */
        ck_assert_int_ge(
                ttlock_check_user_time_request_decode(w.fake.last_plain, w.fake.last_plain_len, &q, NULL),
                0);
        ck_assert_uint_eq(q.start.year, 2026);
        ck_assert_uint_eq(q.start.minute, 4);
        ck_assert_uint_eq(q.end.year, 2027);
        ck_assert_uint_eq(q.end.minute, 8);
        ck_assert_uint_eq(q.lock_flag_pos, keys.lock_flag_pos);
        world_done(&w);
}
END_TEST

START_TEST(test_unlock_lock_vanishes) {
        AccessOutcome o;
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_UNLOCK] = ANSWER_DROP;
        run_access(&w, ACCESS_UNLOCK, &o);
        ck_assert_int_eq(o.result.status.error, -ENOTCONN);
        ck_assert_uint_eq(o.result.status.command, TTLOCK_CMD_UNLOCK);
        ck_assert(!o.result.have_state);

        w.fake.refuse_connects = 100;
        run_access(&w, ACCESS_REFRESH, &o);
        ck_assert_int_eq(o.result.status.error, -EHOSTUNREACH);
        world_done(&w);
}
END_TEST

START_TEST(test_access_cancelled_by_link_free) {
        AccessOutcome o = {}, queued = {};
        World w;

        world_init(&w);
        w.script.behaviour[TTLOCK_CMD_CHECK_USER_TIME] = ANSWER_SILENT;
        ck_assert_int_ge(access_op_start(w.link, ACCESS_UNLOCK, &keys, on_access_done, &o, NULL), 0);
        ck_assert_int_ge(access_op_start(w.link, ACCESS_REFRESH, &keys, on_access_done, &queued, NULL), 0);
        while (w.fake.n_commands < 1)
                fake_run_for(&w.fake, 10 * MSEC);
        w.link = link_free(w.link);
        ck_assert(o.done);
        ck_assert_int_eq(o.result.status.error, -ECANCELED);
        ck_assert(queued.done);
        ck_assert_int_eq(queued.result.status.error, -ECANCELED);
        world_done(&w);
}
END_TEST

typedef struct LogOutcome {
        bool done;
        OpStatus status;
        size_t n;
        uint8_t types[16];
} LogOutcome;

static void on_log_done(const LogReadResult *r, void *userdata) {
        LogOutcome *o = userdata;

        o->done = true;
        o->status = r->status;
        o->n = r->n_entries;
        for (size_t i = 0; i < r->n_entries && i < ELEMENTSOF(o->types); i++)
                o->types[i] = r->entries[i].record.type;
}

START_TEST(test_log_read_pages_until_empty) {
        LogOutcome o = {};
        World w;

        world_init(&w);
        ck_assert_int_ge(log_read_op_start(w.link, &keys, on_log_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        ck_assert_int_eq(o.status.error, 0);
        /* §4.3: from 0xFFFF, then the sequence each page names, until total = 0. */
        ck_assert_uint_eq(w.script.n_log_requests, 3);
        ck_assert_uint_eq(w.script.log_requests[0], 0xFFFF);
        ck_assert_uint_eq(w.script.log_requests[1], 3);
        ck_assert_uint_eq(w.script.log_requests[2], 5);
        ck_assert_uint_eq(o.n, 5);
        ck_assert_uint_eq(o.types[0], TTLOCK_LOG_MECHANICAL_KEY_UNLOCK);
        ck_assert_uint_eq(o.types[1], TTLOCK_LOG_MECHANICAL_KEY_LOCK);

        /* 0x1F RECORD_NOT_EXIST means "nothing", not a failure. */
        o = (LogOutcome){};
        w.script.error = 0x1F;
        w.script.refuse_once[TTLOCK_CMD_GET_OPERATE_LOG] = 1;
        ck_assert_int_ge(log_read_op_start(w.link, &keys, on_log_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_uint_eq(o.n, 0);
        world_done(&w);
}
END_TEST

typedef struct ResetOutcome {
        bool done;
        OpStatus status;
} ResetOutcome;

static void on_reset_done(const OpStatus *st, void *userdata) {
        ResetOutcome *o = userdata;

        o->done = true;
        o->status = *st;
}

START_TEST(test_reset_admin_login_then_reset) {
        static const uint8_t want[] = { 0x41, 0x30, 0x52 };
        ResetOutcome o = {};
        World w;

        world_init(&w);
        /* §2.4: RESET_LOCK's reply without data is its success; then the link is let go at once. */
        w.script.behaviour[TTLOCK_CMD_RESET_LOCK] = ANSWER_EMPTY;
        ck_assert_int_ge(reset_op_start(w.link, &keys, on_reset_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        assert_commands(&w, want, ELEMENTSOF(want));
        ck_assert_int_eq(o.status.error, 0);
        ck_assert_uint_eq(w.fake.disconnects, 1);

        /* A wrong admin password: the lock's error, nothing reset. */
        o = (ResetOutcome){};
        w.fake.n_commands = 0;
        w.script.error = 0x03;
        w.script.refuse_once[TTLOCK_CMD_CHECK_ADMIN] = 1;
        ck_assert_int_ge(reset_op_start(w.link, &keys, on_reset_done, &o, NULL), 0);
        ck_assert(fake_run_until(&w.fake, &o.done, 5 * SEC));
        ck_assert_int_eq(o.status.error, -EREMOTEIO);
        ck_assert_uint_eq(o.status.lock_error, 0x03);
        ck_assert_uint_eq(w.fake.n_commands, 1);
        world_done(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("link");
        TCase *tc = tcase_create("link");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_job_round_trip_and_keepalive);
        tcase_add_test(tc, test_waits_for_the_device);
        tcase_add_test(tc, test_free_cancels_every_job);
        tcase_add_test(tc, test_drop_between_commands);
        tcase_add_test(tc, test_drop_mid_command);
        tcase_add_test(tc, test_bad_crc_one_resend);
        tcase_add_test(tc, test_lock_reports_crc_error);
        tcase_add_test(tc, test_reply_timeout);
        tcase_add_test(tc, test_connect_retries);
        suite_add_tcase(s, tc);

        tc = tcase_create("ops");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_pair_all_optional_steps_refused);
        tcase_add_test(tc, test_pair_optional_steps_odd_answers);
        tcase_add_test(tc, test_pair_lock_vanishes_after_add_admin);
        tcase_add_test(tc, test_pair_not_in_setting_mode);
        tcase_add_test(tc, test_pair_cancelled_by_link_free);
        tcase_add_test(tc, test_pair_add_admin_answer_lost);
        tcase_add_test(tc, test_pair_add_admin_answer_garbled);
        tcase_add_test(tc, test_pair_add_admin_lost_and_not_taken);
        tcase_add_test(tc, test_pair_add_admin_link_dropped);
        tcase_add_test(tc, test_pair_keys_not_saved);
        tcase_add_test(tc, test_verify_verdicts);
        tcase_add_test(tc, test_verify_ekey);
        tcase_add_test(tc, test_unlock_fast_path_and_fallback);
        tcase_add_test(tc, test_unlock_ekey_no_fallback);
        tcase_add_test(tc, test_unlock_lock_vanishes);
        tcase_add_test(tc, test_access_cancelled_by_link_free);
        tcase_add_test(tc, test_log_read_pages_until_empty);
        tcase_add_test(tc, test_reset_admin_login_then_reset);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
