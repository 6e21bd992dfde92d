/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Link health and the connection policy (lock/link-health.h, ttlockd(8) "LINK HEALTH AND CONNECTIONS")
 * in the lock model over the fake radio (fake-radio.h): the backoff after failed connects, which keeps a
 * lock that refuses from being connected to at every advert of its new-records flag while calls still try;
 * Reachable, LastConnectError and RecentConnects; the keep-alive window held by heartbeats; the persistent
 * link that comes back when it drops and never takes a radio's last free slot; the policy kept in the key
 * file and inherited from ttlockd.conf; the recent errors; and the frame log that keeps no secret. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "advert.h"
#include "command.h"
#include "daemon-test.h"
#include "fake-radio.h"
#include "info.h"
#include "lock.h"
#include "log.h"
#include "oplog.h"
#include "string-util.h"
#include "time-util.h"
#include "tt-test.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC
/* Keys that stand out in any text: none of them may reach the frame log. */
#define ADMIN_PS 918273645U
#define UNLOCK_KEY 564738291U
#define PS_FROM_LOCK 123456789U

static const uint8_t lock_key[TTLOCK_KEY_SIZE] = { 0x98, 0x76, 0x23, 0xe8, 0xa9, 0x23, 0xa1, 0xbb,
                                                   0x3d, 0x9e, 0x7d, 0x03, 0x78, 0x12, 0x45, 0x88 };

typedef struct Model {
        sd_event *event;
        FakeLock fake;
        char *dir;
        Store *store;
        LockContext context;
        Lock *lock;
        uint64_t changed; /* LOCK_PROPERTY_BIT()s the observer heard */
        unsigned heartbeats;
        unsigned commands;
        /* What ttlockd.conf would say (LockContext.configured_policy), < 0 / 0 = nothing. */
        ConnectionPolicy conf_policy;
        unsigned conf_keep_alive;
} Model;

static FakeAction respond(uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata) {
        Model *m = userdata;

        /* Long runs of heartbeats: the fake lock's list of commands is only for the other tests. */
        m->commands++;
        if (m->fake.n_commands >= FAKE_MAX_COMMANDS - 2)
                m->fake.n_commands = 0;
        ttlock_reply_begin(w, command);
        switch (command) {
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                if (m->lock && m->lock->connected && !m->lock->calls)
                        m->heartbeats++;
                ttlock_status_reply_encode(
                        w, &(TTStatusReply){ .battery = 77, .state = TTLOCK_STATE_LOCKED });
                break;
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE:
                ttlock_feature_reply_encode(w, &(TTFeatureReply){ .battery = 77, .features.n_groups = 1 });
                break;
        case TTLOCK_CMD_GET_LOCK_TIME: {
                TTDateTime now;

                ck_assert_int_ge(op_lock_time_now(&now), 0);
                ck_assert_int_ge(ttlock_lock_time_reply_encode(w, &now), 0);
                break;
        }
        case TTLOCK_CMD_CHECK_ADMIN:
        case TTLOCK_CMD_CHECK_USER_TIME:
                ttlock_challenge_reply_encode(w, &(TTChallengeReply){ .ps_from_lock = PS_FROM_LOCK });
                break;
        case TTLOCK_CMD_UNLOCK:
                ck_assert_int_ge(ttlock_actuate_reply_encode(w, &(TTActuateReply){ .battery = 77 }), 0);
                break;
        case TTLOCK_CMD_GET_OPERATE_LOG:
                ck_assert_int_ge(ttlock_log_page_encode(w, 0, 0, NULL, 0, NULL), 0);
                break;
        default:
                break;
        }
        return FAKE_REPLY;
}

static void on_changed(Lock *l, uint64_t properties, void *userdata) {
        Model *m = userdata;

        m->changed |= properties;
}

static const LockObserver observer = { .changed = on_changed };

static void configured_policy(
        const char *address, void *owner, ConnectionPolicy *ret_policy, unsigned *ret_keep_alive_sec) {
        Model *m = owner;

        if (m->conf_policy >= 0)
                *ret_policy = m->conf_policy;
        if (m->conf_keep_alive > 0)
                *ret_keep_alive_sec = m->conf_keep_alive;
}

/* A paired lock with admin keys of ours, short clocks everywhere. */
static void model_init(Model *m) {
        LockRecord *record = NULL;

        log_set_max_level(getenv("TEST_DEBUG") ? 7 : 3);
        *m = (Model){ .conf_policy = _CONNECTION_POLICY_INVALID };
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
                .configured_policy = configured_policy,
                .owner = m,
        };
        link_config_default(&m->context.link_config);
        m->context.link_config.reply_timeout_usec = 500 * MSEC;
        m->context.link_config.keepalive_usec = 20 * MSEC;
        m->context.link_config.connect_retry_usec = 10 * MSEC;
        m->context.link_config.device_wait_usec = 100 * MSEC;
        m->context.link_config.heartbeat_usec = 100 * MSEC;
        lock_timing_default(&m->context.timing);
        m->context.timing.log_flag_grace_usec = 20 * MSEC;
        m->context.timing.log_backoff_min_usec = 100 * MSEC;
        m->context.timing.log_backoff_max_usec = 1 * SEC;
        link_health_timing_default(&m->context.health_timing);
        m->context.health_timing.backoff_min_usec = 200 * MSEC;
        m->context.health_timing.backoff_max_usec = 800 * MSEC;
        m->context.health_timing.reconnect_usec = 50 * MSEC;
        m->context.health_timing.retry_usec = 100 * MSEC;

        ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &record), 0);
        memcpy(record->aes_key, lock_key, TTLOCK_KEY_SIZE);
        record->admin_ps = ADMIN_PS;
        record->unlock_key = UNLOCK_KEY;
        ck_assert_int_ge(store_save(m->store, record), 0);
        ck_assert_int_ge(lock_new(&m->context, FAKE_ADDRESS, record, &m->lock), 0);
        lock_set_observer(m->lock, &observer, m);
}

static void model_done(Model *m) {
        m->lock = lock_free(m->lock);
        fake_done(&m->fake);
        m->store = store_free(m->store);
        dt_rm_rf(m->dir);
        free(m->dir);
        m->event = sd_event_unref(m->event);
}

/* One advert of the lock, as the registry hands it over. */
static void advert(Model *m, bool new_events) {
        uint8_t buf[64];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        TTAdvert a = { .protocol_type = 5,
                       .protocol_version = 3,
                       .scene = 1,
                       .battery = 80,
                       .flags = new_events ? TTLOCK_ADVERT_FLAG_NEW_EVENTS : 0 };
        size_t len;

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

typedef struct CallResult {
        bool done;
        OpStatus status;
        char message[512];
} CallResult;

static void on_call_done(Lock *l, const LockOutcome *o, void *userdata) {
        CallResult *c = userdata;

        c->done = true;
        c->status = o->status;
        snprintf(c->message, sizeof(c->message), "%s", strempty_or(o->status.message));
}

static CallResult call(Model *m, AccessAction action) {
        CallResult c = {};
        OpStatus st;

        ck_assert_int_eq(
                lock_submit(
                        m->lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = action },
                        5 * SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert(fake_run_until(&m->fake, &c.done, 6 * SEC));
        return c;
}

static bool wait_connected(Model *m, bool connected, uint64_t timeout);

static unsigned recent_ok(const Lock *l) {
        unsigned ok = 0;

        for (unsigned i = 0; i < l->health.n_recent; i++)
                ok += (l->health.recent >> i) & 1;
        return ok;
}

/* Adverts with the flag up every 20 ms for a while, against a lock that refuses every connection: how
 * many connection attempts did that cost? */
static unsigned hammer(Model *m, uint64_t usec) {
        uint64_t end = now_monotonic_usec() + usec;
        unsigned before = m->fake.connects;

        m->fake.refuse_connects = 100000;
        while (now_monotonic_usec() < end) {
                advert(m, true);
                fake_run_for(&m->fake, 20 * MSEC);
        }
        return m->fake.connects - before;
}

/* The new-records flag stays up on a lock that refuses: without the backoff every advert after a failed
 * read starts another (three attempts each); with it the reads wait 200, 400, 800, 800 ms. */
START_TEST(test_backoff_spares_a_refusing_lock) {
        unsigned without, with;
        Model m;

        model_init(&m);
        m.context.health_timing.backoff_min_usec = 0;
        /* Nor the wait of reads that keep failing (lock.c on_log_read()): no backoff of any kind. */
        m.context.timing.log_backoff_min_usec = 0;
        without = hammer(&m, 2 * SEC);
        ck_assert_uint_eq(m.lock->health.backoff_until_usec, 0);
        model_done(&m);

        model_init(&m);
        with = hammer(&m, 2 * SEC);
        fprintf(stderr,
                "connection attempts in 2 s with the flag up: %u without backoff, %u with\n",
                without,
                with);
        /* 0, 0.2, 0.6, 1.4 s: four reads of three attempts, and maybe a fifth starting at the end. */
        ck_assert_uint_le(with, 15);
        ck_assert_uint_ge(with, 9);
        ck_assert_uint_ge(without, 3 * with);
        ck_assert_uint_ge(m.lock->health.failures, 4);
        ck_assert_uint_gt(m.lock->health.backoff_until_usec, 0);
        ck_assert(!link_health_may_connect(&m.lock->health));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_CONNECT_BACKOFF));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_LAST_CONNECT_ERROR));
        ck_assert_uint_eq(recent_ok(m.lock), 0);
        ck_assert_uint_eq(m.lock->health.n_recent, m.lock->health.failures);

        /* The lock answers again: the reads resume after the wait, and the first that connects ends it. */
        m.fake.refuse_connects = 0;
        for (unsigned i = 0; i < 100 && m.lock->health.failures > 0; i++) {
                advert(&m, true);
                fake_run_for(&m.fake, 20 * MSEC);
        }
        ck_assert_uint_eq(m.lock->health.failures, 0);
        ck_assert_uint_eq(m.lock->health.backoff_until_usec, 0);
        ck_assert_str_eq(m.lock->health.last_error, "");
        ck_assert_uint_eq(recent_ok(m.lock), 1);
        model_done(&m);
}
END_TEST

/* Reachable: heard recently and the last connect worked. A call that cannot connect says how the link
 * fared, and calls try during the backoff. */
START_TEST(test_reachable_and_errors) {
        CallResult c;
        unsigned connects;
        Model m;

        model_init(&m);
        m.context.health_timing.backoff_min_usec = 10 * SEC;
        m.context.health_timing.backoff_max_usec = 10 * SEC;
        m.context.health_timing.seen_usec = 300 * MSEC;
        ck_assert(!link_health_reachable(&m.lock->health)); /* never heard */
        advert(&m, false);
        ck_assert(link_health_reachable(&m.lock->health));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_REACHABLE));

        m.fake.refuse_connects = 3;
        m.changed = 0;
        c = call(&m, ACCESS_REFRESH);
        ck_assert_int_eq(c.status.error, -EHOSTUNREACH);
        ck_assert_msg(
                strstr(c.message, "le-connection-abort-by-local (3 attempts)") &&
                        strstr(c.message, "0 of the last 1 connection worked") &&
                        strstr(c.message, "wait 10 s more") /* rounded up */,
                "%s",
                c.message);
        ck_assert(!link_health_reachable(&m.lock->health));
        ck_assert_str_eq(m.lock->health.last_error, "le-connection-abort-by-local (3 attempts)");
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_REACHABLE));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_RECENT_CONNECTS));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_LAST_CONNECT_ERROR));
        ck_assert_uint_eq(m.lock->health.n_errors, 2); /* the connect, then the call */
        ck_assert_msg(
                strstr(link_health_error(&m.lock->health, 0)->text, "connect: le-connection-abort"),
                "%s",
                link_health_error(&m.lock->health, 0)->text);
        ck_assert_msg(
                strstr(link_health_error(&m.lock->health, 1)->text, "Refresh: "),
                "%s",
                link_health_error(&m.lock->health, 1)->text);

        /* Still heard: not reachable while the last connect failed. Backing off for 10 s, but a call tries.
         */
        advert(&m, false);
        ck_assert(!link_health_reachable(&m.lock->health));
        ck_assert(!link_health_may_connect(&m.lock->health));
        connects = m.fake.connects;
        c = call(&m, ACCESS_REFRESH);
        ck_assert_int_eq(c.status.error, 0);
        ck_assert_uint_eq(m.fake.connects, connects + 1);
        ck_assert(link_health_may_connect(&m.lock->health));
        ck_assert_str_eq(m.lock->health.last_error, "");
        ck_assert_uint_eq(recent_ok(m.lock), 1);
        ck_assert_uint_eq(m.lock->health.n_recent, 2);
        ck_assert(link_health_reachable(&m.lock->health));

        /* Not heard for longer than seen_usec: no longer reachable, by the timer alone. */
        ck_assert(wait_connected(&m, false, 1 * SEC)); /* the link goes (keep-alive 20 ms) */
        advert(&m, false);
        m.changed = 0;
        fake_run_for(&m.fake, 500 * MSEC);
        ck_assert(!link_health_reachable(&m.lock->health));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_REACHABLE));

        /* The window keeps the last LINK_HEALTH_WINDOW connects. */
        for (unsigned i = 0; i < LINK_HEALTH_WINDOW + 3; i++) {
                c = call(&m, ACCESS_REFRESH);
                ck_assert_int_eq(c.status.error, 0);
                fake_run_for(&m.fake, 40 * MSEC);
        }
        ck_assert_uint_eq(m.lock->health.n_recent, LINK_HEALTH_WINDOW);
        ck_assert_uint_eq(recent_ok(m.lock), LINK_HEALTH_WINDOW);
        /* The errors ring keeps the last LINK_HEALTH_ERRORS_MAX, oldest first. */
        for (unsigned i = 0; i < LINK_HEALTH_ERRORS_MAX + 2; i++)
                link_health_note(&m.lock->health, "test", -EIO, 0, 0);
        ck_assert_uint_eq(m.lock->health.n_errors, LINK_HEALTH_ERRORS_MAX);
        ck_assert_ptr_null(link_health_error(&m.lock->health, LINK_HEALTH_ERRORS_MAX));
        ck_assert_msg(
                strstr(link_health_error(&m.lock->health, 0)->text, "test: "),
                "%s",
                link_health_error(&m.lock->health, 0)->text);
        model_done(&m);
}
END_TEST

/* A lock the radios had lost and hear again is worth a try at once. */
START_TEST(test_reappearing_ends_backoff) {
        Model m;

        model_init(&m);
        m.context.health_timing.backoff_min_usec = 10 * SEC;
        m.context.health_timing.backoff_max_usec = 10 * SEC;
        advert(&m, false);
        m.fake.refuse_connects = 3;
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, -EHOSTUNREACH);
        ck_assert(!link_health_may_connect(&m.lock->health));
        lock_device_lost(m.lock);
        ck_assert(!link_health_may_connect(&m.lock->health));
        advert(&m, false);
        ck_assert(link_health_may_connect(&m.lock->health));
        ck_assert(link_health_reachable(&m.lock->health));
        model_done(&m);
}
END_TEST

static bool wait_connected(Model *m, bool connected, uint64_t timeout);
static bool wait_connected(Model *m, bool connected, uint64_t timeout) {
        uint64_t end = now_monotonic_usec() + timeout;

        while (m->lock->connected != connected && now_monotonic_usec() < end)
                fake_run_for(&m->fake, 5 * MSEC);
        return m->lock->connected == connected;
}

/* keep-alive: the link stays for its window after the last call, kept awake by heartbeats that read the
 * bolt and the battery, then goes. On-demand, it goes after the link's own 20 ms. */
START_TEST(test_keep_alive_window) {
        uint64_t done_at, gone_at;
        unsigned connects;
        Model m;

        model_init(&m);
        advert(&m, false);
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        ck_assert(wait_connected(&m, false, 1 * SEC));

        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_KEEP_ALIVE, 1), 0);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_KEEP_ALIVE);
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_CONNECTION_POLICY));
        connects = m.fake.connects;
        m.lock->battery = 10; /* the heartbeat brings the lock's 77 */
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        done_at = now_monotonic_usec();
        ck_assert(wait_connected(&m, false, 3 * SEC));
        gone_at = now_monotonic_usec();
        ck_assert_uint_ge(gone_at - done_at, 1 * SEC);
        ck_assert_uint_ge(m.heartbeats, 5);
        ck_assert_int_eq(m.lock->battery, 77);
        ck_assert_uint_eq(m.fake.connects, connects + 1);
        ck_assert_uint_ge(link_stats(m.lock->link)->heartbeats, m.heartbeats);

        /* Two calls within the window share one connection. */
        connects = m.fake.connects;
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        fake_run_for(&m.fake, 300 * MSEC);
        ck_assert(m.lock->connected);
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        ck_assert_uint_eq(m.fake.connects, connects + 1);

        /* Back to on-demand: the held link goes at once. */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_ON_DEMAND, 0), 0);
        ck_assert(wait_connected(&m, false, 100 * MSEC));
        model_done(&m);
}
END_TEST

/* persistent: up without a call, back after a drop, backing off from a lock that refuses. */
START_TEST(test_persistent_link) {
        unsigned connects;
        Model m;

        model_init(&m);
        advert(&m, false);
        ck_assert(!m.lock->connected);
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_PERSISTENT, 0), 0);
        ck_assert(wait_connected(&m, true, 1 * SEC));
        fake_run_for(&m.fake, 350 * MSEC);
        ck_assert(m.lock->connected);
        ck_assert_uint_ge(m.heartbeats, 2);

        /* The lock drops it: back after reconnect_usec. */
        connects = m.fake.connects;
        fake_drop(&m.fake);
        ck_assert(wait_connected(&m, false, 1 * SEC));
        ck_assert(wait_connected(&m, true, 1 * SEC));
        ck_assert_uint_eq(m.fake.connects, connects + 1);

        /* It refuses: the reconnects back off (200, 400, 800 ms) instead of following every drop. */
        m.fake.refuse_connects = 100000;
        connects = m.fake.connects;
        fake_drop(&m.fake);
        fake_run_for(&m.fake, 1500 * MSEC);
        ck_assert(!m.lock->connected);
        /* 3 attempts at 0.05 s, at 0.25 s, at 0.65 s: maybe a fourth at 1.45 s. */
        ck_assert_uint_ge(m.fake.connects - connects, 9);
        ck_assert_uint_le(m.fake.connects - connects, 12);
        ck_assert(!link_health_reachable(&m.lock->health));
        m.fake.refuse_connects = 0;
        ck_assert(wait_connected(&m, true, 2 * SEC));
        ck_assert(link_health_reachable(&m.lock->health));

        /* Not held for a lock that is not paired. */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_ON_DEMAND, 0), 0);
        ck_assert(wait_connected(&m, false, 200 * MSEC));
        model_done(&m);
}
END_TEST

/* A persistent link never takes a radio's last free slot, and gives its slot back when the radio runs
 * out (a proxy shared with other clients). */
START_TEST(test_persistent_slots) {
        Model m;

        model_init(&m);
        advert(&m, false);
        radio_set_free_slots(m.fake.radio, 1);
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_PERSISTENT, 0), 0);
        fake_run_for(&m.fake, 300 * MSEC);
        ck_assert_uint_eq(m.fake.connects, 0);
        ck_assert(!m.lock->connected);
        /* A call may take the last slot: someone waits for it. */
        ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        ck_assert_uint_eq(m.fake.connects, 1);
        /* Held now, but the radio has no slot left for others: it is given back at the next heartbeat. */
        radio_set_free_slots(m.fake.radio, 0);
        ck_assert(wait_connected(&m, false, 500 * MSEC));
        fake_run_for(&m.fake, 300 * MSEC);
        ck_assert(!m.lock->connected);
        /* Slots to spare: it comes up by itself (the retry, every 100 ms here). */
        radio_set_free_slots(m.fake.radio, 3);
        ck_assert(wait_connected(&m, true, 1 * SEC));
        model_done(&m);
}
END_TEST

/* The policy: the lock's own choice (kept in its key file), else ttlockd.conf's; only while paired. */
START_TEST(test_policy_sources) {
        LockRecord **records = NULL;
        size_t n = 0;
        Lock *again;
        Model m;

        model_init(&m);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_ON_DEMAND);
        ck_assert_uint_eq(m.lock->health.keep_alive_sec, LINK_KEEP_ALIVE_DEFAULT_SEC);

        m.conf_policy = CONNECTION_KEEP_ALIVE;
        m.conf_keep_alive = 90;
        lock_apply_connection_policy(m.lock);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_KEEP_ALIVE);
        ck_assert_uint_eq(m.lock->health.keep_alive_sec, 90);

        /* The lock's own choice wins, and is on disk. */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_PERSISTENT, 0), 0);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_PERSISTENT);
        ck_assert_uint_eq(m.lock->health.keep_alive_sec, 90); /* 0: the configured window */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_KEEP_ALIVE, 15), 0);
        ck_assert_int_eq(store_load_all(m.store, &records, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(records[0]->connection_policy, "keep-alive");
        ck_assert_uint_eq(records[0]->keep_alive_seconds, 15);

        /* A restart finds it. */
        m.conf_policy = CONNECTION_ON_DEMAND;
        ck_assert_int_ge(lock_new(&m.context, FAKE_ADDRESS, records[0], &again), 0);
        records[0] = NULL;
        ck_assert_int_eq(again->health.policy, CONNECTION_KEEP_ALIVE);
        ck_assert_uint_eq(again->health.keep_alive_sec, 15);
        lock_free(again);
        lock_records_free(records, n);

        /* Dropping it: ttlockd.conf's again. */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, _CONNECTION_POLICY_INVALID, 0), 0);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_ON_DEMAND);
        ck_assert_uint_eq(m.lock->health.keep_alive_sec, 90);
        ck_assert_ptr_null(m.lock->record->connection_policy);

        /* A key file from a newer ttlockd with a policy this one does not know: the configured one. */
        ck_assert_int_ge(lock_record_set_string(&m.lock->record->connection_policy, "on-the-moon"), 0);
        lock_apply_connection_policy(m.lock);
        ck_assert_int_eq(m.lock->health.policy, CONNECTION_ON_DEMAND);

        /* Forgotten: nothing to set, and nothing held. */
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_PERSISTENT, 0), 0);
        ck_assert(m.lock->health.hold);
        ck_assert_int_eq(lock_forget(m.lock, &(OpStatus){}), 0);
        ck_assert(!m.lock->health.hold);
        ck_assert_int_eq(lock_set_connection_policy(m.lock, CONNECTION_PERSISTENT, 0), -ENOKEY);
        model_done(&m);
}
END_TEST

/* The frame log keeps the last frames decoded and redacted: the commands and outcomes, never the keys,
 * the challenge or the sum. */
START_TEST(test_frames_redacted) {
        char secrets[4][16];
        size_t n;
        Model m;

        model_init(&m);
        advert(&m, false);
        ck_assert_int_eq(call(&m, ACCESS_UNLOCK).status.error, 0);
        n = frame_log_count(m.lock->frames);
        for (size_t i = 0; getenv("TEST_DEBUG") && i < n; i++)
                fprintf(stderr, "frame %zu: %s\n", i, frame_log_get(m.lock->frames, i)->json);
        ck_assert_uint_ge(n, 4);
                /* CHECK_ADMIN and UNLOCK, each there and back */ /* CHECK_USER_TIME, CHECK_RANDOM? and
                                                                     UNLOCK, each there and back */
        snprintf(secrets[0], sizeof(secrets[0]), "%u", ADMIN_PS);
        snprintf(secrets[1], sizeof(secrets[1]), "%u", UNLOCK_KEY);
        snprintf(secrets[2], sizeof(secrets[2]), "%u", PS_FROM_LOCK);
        snprintf(secrets[3], sizeof(secrets[3]), "%u", ttlock_unlock_sum(PS_FROM_LOCK, UNLOCK_KEY));
        bool unlock = false;
        for (size_t i = 0; i < n; i++) {
                const FrameLogEntry *e = frame_log_get(m.lock->frames, i);

                ck_assert_ptr_nonnull(e);
                ck_assert_uint_gt(e->time_usec, 0);
                ck_assert_msg(e->json[0] == '{' && e->json[strlen(e->json) - 1] == '}', "%s", e->json);
                for (size_t s = 0; s < ELEMENTSOF(secrets); s++)
                        ck_assert_msg(!strstr(e->json, secrets[s]), "%s in %s", secrets[s], e->json);
                unlock = unlock || strstr(e->json, "\"command_name\":\"UNLOCK\"");
        }
        ck_assert(unlock);
        /* At most FRAME_LOG_SIZE, the newest kept. */
        for (unsigned i = 0; i < FRAME_LOG_SIZE; i++)
                ck_assert_int_eq(call(&m, ACCESS_REFRESH).status.error, 0);
        ck_assert_uint_eq(frame_log_count(m.lock->frames), FRAME_LOG_SIZE);
        ck_assert_ptr_null(frame_log_get(m.lock->frames, FRAME_LOG_SIZE));
        ck_assert_ptr_nonnull(strstr(frame_log_get(m.lock->frames, FRAME_LOG_SIZE - 1)->json, "\"reply\""));
        model_done(&m);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("lock-health");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_backoff_spares_a_refusing_lock);
        tcase_add_test(tc, test_reachable_and_errors);
        tcase_add_test(tc, test_reappearing_ends_backoff);
        tcase_add_test(tc, test_keep_alive_window);
        tcase_add_test(tc, test_persistent_link);
        tcase_add_test(tc, test_persistent_slots);
        tcase_add_test(tc, test_policy_sources);
        tcase_add_test(tc, test_frames_redacted);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
