/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The lock model (lock/lock.c) without a bus: a paired lock in a scratch key store, behind the fake
 * radio (fake-radio.h), fed adverts the way the registry feeds them, watched through its observer. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "advert.h"
#include "command.h"
#include "daemon-test.h"
#include "fake-radio.h"
#include "lock.h"
#include "log.h"
#include "oplog.h"
#include "time-util.h"
#include "tt-test.h"

#define MSEC USEC_PER_MSEC
#define SEC USEC_PER_SEC

static const uint8_t lock_key[TTLOCK_KEY_SIZE] = { 0x98, 0x76, 0x23, 0xe8, 0xa9, 0x23, 0xa1, 0xbb,
                                                   0x3d, 0x9e, 0x7d, 0x03, 0x78, 0x12, 0x45, 0x88 };

typedef struct Model {
        sd_event *event;
        FakeLock fake;
        char *dir;
        Store *store;
        LockContext context;
        Lock *lock;
        unsigned log_reads;
        /* The lock's operation log (§4.3): records at positions 0 … n_log − 1; what it has handed out is
         * read, and 0xFFFF asks for what is not. */
        uint16_t n_log, log_unread;
        unsigned drop_log_pages; /* the lock hands out the next pages and drops the link instead */
        uint16_t log_requests[16]; /* the sequences asked for, the first 16 */
        unsigned n_log_requests;
        unsigned events; /* what the observer was told */
        unsigned silent[256]; /* commands the lock does not answer */
        uint64_t changed;     /* LOCK_PROPERTY_BIT()s the observer heard */
} Model;

static FakeAction respond(uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata) {
        Model *m = userdata;

        if (m->silent[command])
                return FAKE_SILENT;
        ttlock_reply_begin(w, command);
        switch (command) {
        case TTLOCK_CMD_CHECK_ADMIN:
        case TTLOCK_CMD_CHECK_USER_TIME:
                ttlock_challenge_reply_encode(w, &(TTChallengeReply){ .ps_from_lock = 789 });
                break;
        case TTLOCK_CMD_GET_OPERATE_LOG: {
                TTLogRecord records[4];
                uint16_t seq, start, n = 0;

                m->log_reads++;
                ck_assert_int_ge(ttlock_log_request_decode(plain, len, &seq, NULL), 0);
                if (m->n_log_requests < ELEMENTSOF(m->log_requests))
                        m->log_requests[m->n_log_requests++] = seq;
                start = seq == TTLOCK_LOG_NEW_RECORDS ? m->log_unread : MIN(seq, m->n_log);
                for (uint16_t i = start; i < m->n_log && n < ELEMENTSOF(records); i++)
                        records[n++] = (TTLogRecord){ .type = TTLOCK_LOG_MECHANICAL_KEY_UNLOCK,
                                                      .date = { 2024, 1, 1, 10, 0, (uint8_t) i },
                                                      .battery = 80 };
                /* Handed out is read, whether or not the answer arrives. */
                if (start <= m->log_unread && start + n > m->log_unread)
                        m->log_unread = start + n;
                if (m->drop_log_pages > 0) {
                        m->drop_log_pages--;
                        return FAKE_DROP;
                }
                ck_assert_int_ge(ttlock_log_page_encode(w, n > 0 ? 100 : 0, start + n, records, n, NULL), 0);
                break;
        }
        default:
                break;
        }
        return FAKE_REPLY;
}

static void on_changed(Lock *l, uint64_t properties, void *userdata) {
        Model *m = userdata;

        m->changed |= properties;
}

static void on_event(Lock *l, const HistoryRecord *h, void *userdata) {
        Model *m = userdata;

        m->events++;
}

static const LockObserver observer = { .changed = on_changed, .event = on_event };

static void model_init(Model *m, uint64_t reply_timeout_usec) {
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
        m->context.link_config.reply_timeout_usec = reply_timeout_usec;
        m->context.link_config.keepalive_usec = 20 * MSEC;
        lock_timing_default(&m->context.timing);
        m->context.timing.log_flag_grace_usec = 20 * MSEC;
        m->context.timing.log_backoff_min_usec = 100 * MSEC;
        m->context.timing.log_backoff_max_usec = 1 * SEC;

        ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &record), 0);
        memcpy(record->aes_key, lock_key, TTLOCK_KEY_SIZE);
        record->admin_ps = 123;
        record->unlock_key = 456;
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

/* One advert of the lock, as the registry hands it over: the new-records flag up or down. */
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
        /* BlueZ hands over the manufacturer data without its two key bytes (doc/protocol.md §1.5). */
        lock_advert(m->lock, &(RadioAdvert){
                                     .address = FAKE_ADDRESS,
                                     .have_mfr = true,
                                     .mfr_key = (uint16_t) (buf[0] | buf[1] << 8),
                                     .mfr = buf + 2,
                                     .mfr_len = len - 2,
                                     .fresh = true,
                             });
}

/* A flag that stays up although the log has nothing new: reads back off instead of following every
 * advert (the grace of 20 ms would allow one per advert here). */
START_TEST(test_stuck_flag_backs_off) {
        uint64_t end;
        unsigned adverts = 0;
        Model m;

        model_init(&m, 300 * MSEC);
        end = now_monotonic_usec() + 2 * SEC;
        while (now_monotonic_usec() < end) {
                advert(&m, true);
                adverts++;
                fake_run_for(&m.fake, 20 * MSEC);
        }
        /* 100, 200, 400, 800 ms between reads: at most five in two seconds, of about a hundred adverts. */
        fprintf(stderr, "%u adverts with the flag up, %u log reads\n", adverts, m.log_reads);
        ck_assert_uint_ge(m.log_reads, 2);
        ck_assert_uint_le(m.log_reads, 5);
        ck_assert_uint_ge(adverts, 50);
        model_done(&m);
}
END_TEST

/* Adverts for a while, the new-records flag up or down; the loop runs between them. */
static void adverts_for(Model *m, bool new_events, uint64_t usec, unsigned *ret_adverts) {
        uint64_t end = now_monotonic_usec() + usec;

        while (now_monotonic_usec() < end) {
                advert(m, new_events);
                if (ret_adverts)
                        (*ret_adverts)++;
                fake_run_for(&m->fake, 20 * MSEC);
                m->fake.n_commands = 0; /* not looked at; the fake keeps only so many */
        }
}

/* A page of the log is lost with the link after the lock handed it out: the lock counts it as read and
 * lowers the flag, so only the daemon knows that something is missing. It reads again from where the
 * last page it got ended, and each record is reported once. */
START_TEST(test_lost_log_page_read_again) {
        Model m;

        model_init(&m, 300 * MSEC);
        m.n_log = 1;
        advert(&m, true);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.events, 1);
        adverts_for(&m, false, 100 * MSEC, NULL);

        /* A second record; its page is lost. */
        m.n_log = 2;
        m.drop_log_pages = 1;
        m.n_log_requests = 0;
        advert(&m, true);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.log_unread, 2);
        ck_assert_uint_eq(m.events, 1);
        /* The lock has nothing unread and says so; the record still comes, read from where the first
         * page ended. */
        adverts_for(&m, false, 1 * SEC, NULL);
        ck_assert_uint_eq(m.events, 2);
        ck_assert_uint_ge(m.n_log_requests, 2);
        ck_assert_uint_eq(m.log_requests[0], TTLOCK_LOG_NEW_RECORDS);
        ck_assert_uint_eq(m.log_requests[1], 1);
        /* And nothing twice. */
        adverts_for(&m, true, 300 * MSEC, NULL);
        ck_assert_uint_eq(m.events, 2);
        model_done(&m);
}
END_TEST

/* The daemon stops (or dies) in the middle of a read whose page the lock already handed out: the next
 * daemon, started from the store, reads once from where the archive ends, and the record still comes. */
START_TEST(test_restart_reads_where_the_archive_ends) {
        LockRecord *record = NULL;
        Model m;

        model_init(&m, 300 * MSEC);
        m.n_log = 1;
        advert(&m, true);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.events, 1);
        adverts_for(&m, false, 100 * MSEC, NULL);

        m.n_log = 2;
        m.drop_log_pages = 1;
        advert(&m, true);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.log_unread, 2);

        /* A new daemon: the lock model made again from what is on disk. */
        m.lock = lock_free(m.lock);
        ck_assert_int_ge(store_load(m.store, FAKE_ADDRESS, &record), 0);
        ck_assert(record->has_log_sequence);
        ck_assert_uint_eq(record->log_sequence, 1);
        ck_assert_int_ge(lock_new(&m.context, FAKE_ADDRESS, record, &m.lock), 0);
        lock_set_observer(m.lock, &observer, &m);
        m.n_log_requests = 0;
        adverts_for(&m, false, 500 * MSEC, NULL);
        ck_assert_uint_eq(m.events, 2);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], 1);
        /* Once caught up, a lowered flag costs no more reads. */
        m.n_log_requests = 0;
        adverts_for(&m, false, 300 * MSEC, NULL);
        ck_assert_uint_eq(m.n_log_requests, 0);
        model_done(&m);
}
END_TEST

/* A new daemon made from what is on disk (its record loaded again, the model made anew). */
static void restart(Model *m, LockRecord **ret_record) {
        LockRecord *record = NULL;

        m->lock = lock_free(m->lock);
        ck_assert_int_ge(store_load(m->store, FAKE_ADDRESS, &record), 0);
        *ret_record = record;
        ck_assert_int_ge(lock_new(&m->context, FAKE_ADDRESS, record, &m->lock), 0);
        lock_set_observer(m->lock, &observer, m);
        m->n_log_requests = 0;
}

/* The daemon dies in the first read under its keys, after the lock handed out the page: no read has
 * reached the archive, so there is no sequence to go on from. The next daemon reads the whole log once
 * and the record comes; a whole-log read reports nothing the archive holds, and keeps where it ended. */
START_TEST(test_restart_before_any_read_reads_the_whole_log) {
        LockRecord *record = NULL;
        Model m;

        model_init(&m, 300 * MSEC);
        m.n_log = 1;
        m.drop_log_pages = 1;
        advert(&m, true);
        fake_run_for(&m.fake, 100 * MSEC);
        ck_assert_uint_eq(m.log_unread, 1);
        ck_assert_uint_eq(m.events, 0);

        restart(&m, &record);
        ck_assert(!record->has_log_sequence);
        adverts_for(&m, false, 500 * MSEC, NULL);
        ck_assert_uint_eq(m.events, 1);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], TTLOCK_LOG_ALL_RECORDS);

        /* A key file from before sequences were kept: the whole log again, the record not reported twice,
         * and the sequence saved although nothing was new. */
        record->has_log_sequence = false;
        ck_assert_int_ge(store_save(m.store, record), 0);
        restart(&m, &record);
        adverts_for(&m, false, 500 * MSEC, NULL);
        ck_assert_uint_eq(m.events, 1);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], TTLOCK_LOG_ALL_RECORDS);
        ck_assert(record->has_log_sequence);
        ck_assert_uint_eq(record->log_sequence, 1);

        /* And the daemon after that goes on from where the log was read to. */
        restart(&m, &record);
        adverts_for(&m, false, 500 * MSEC, NULL);
        ck_assert_uint_eq(m.events, 1);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], 1);
        model_done(&m);
}
END_TEST

/* A lock whose log reads keep failing (the link drops every time) is not connected to at every advert:
 * failed reads back off like empty ones. */
START_TEST(test_failing_log_reads_back_off) {
        unsigned adverts = 0;
        Model m;

        model_init(&m, 300 * MSEC);
        m.n_log = 1;
        m.drop_log_pages = 1000;
        adverts_for(&m, true, 2 * SEC, &adverts);
        fprintf(stderr, "%u adverts with the flag up, %u failed log reads\n", adverts, m.log_reads);
        ck_assert_uint_ge(m.log_reads, 2);
        ck_assert_uint_le(m.log_reads, 6);
        ck_assert_uint_ge(adverts, 50);
        ck_assert_uint_eq(m.events, 0);
        model_done(&m);
}
END_TEST

/* A change of the user's alias is kept only once it is on disk: a save that fails leaves the old one. */
START_TEST(test_alias_not_kept_when_not_saved) {
        char id[32], alias[900], big[1001];
        Model m;
        int r = 0;

        model_init(&m, 300 * MSEC);
        ck_assert_int_eq(lock_set_alias(m.lock, "Front door"), 0);
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS));
        /* Fill the record until the next change no longer fits its file (store.h STORE_FILE_MAX). */
        memset(alias, 'a', sizeof(alias) - 1);
        alias[sizeof(alias) - 1] = 0;
        for (unsigned i = 0; r >= 0 && i < 4096; i++) {
                snprintf(id, sizeof(id), "%u", 100000 + i);
                r = lock_set_credential_alias(m.lock, "ic-card", id, alias);
        }
        ck_assert_int_eq(r, -EFBIG);
        ck_assert_ptr_null(lock_record_get_credential_alias(m.lock->record, "ic-card", id));

        m.changed = 0;
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        ck_assert_int_eq(lock_set_alias(m.lock, big), -EFBIG);
        ck_assert_str_eq(lock_alias(m.lock), "Front door");
        ck_assert(!(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_ALIAS)));
        model_done(&m);
}
END_TEST

typedef struct CallResult {
        bool done;
        OpStatus status;
        uint64_t at;
} CallResult;

static void on_call_done(Lock *l, const LockOutcome *o, void *userdata) {
        CallResult *c = userdata;

        c->done = true;
        c->status = o->status;
        c->at = now_monotonic_usec();
}

/* Credentials and settings calls answer by their deadline too, and what they asked for stops there
 * instead of running on after their caller gave up. */
START_TEST(test_deadline_for_every_kind) {
        CredRequest cred = { .action = CRED_PASSCODE_LIST };
        SettingsRequest set = { .action = SETTINGS_ADMIN_CODE_GET };
        CallResult a = {}, b = {};
        uint64_t start;
        OpStatus st;
        Model m;

        /* A lock that logs in and then says nothing, slower than any deadline: only the deadline can
         * end the calls. */
        model_init(&m, 30 * SEC);
        m.silent[TTLOCK_CMD_PWD_LIST] = 1;
        m.silent[TTLOCK_CMD_GET_ADMIN_CODE] = 1;

        start = now_monotonic_usec();
        ck_assert_int_eq(lock_submit(m.lock, &(LockRequest){ .kind = LOCK_REQUEST_CREDENTIALS, .credentials = &cred },
                                     300 * MSEC, on_call_done, &a, &st),
                         0);
        ck_assert(fake_run_until(&m.fake, &a.done, 3 * SEC));
        ck_assert_int_eq(a.status.error, -ETIMEDOUT);
        ck_assert_uint_lt(a.at - start, 1 * SEC);

        start = now_monotonic_usec();
        ck_assert_int_eq(lock_submit(m.lock, &(LockRequest){ .kind = LOCK_REQUEST_SETTINGS, .settings = &set },
                                     300 * MSEC, on_call_done, &b, &st),
                         0);
        ck_assert(fake_run_until(&m.fake, &b.done, 3 * SEC));
        ck_assert_int_eq(b.status.error, -ETIMEDOUT);
        ck_assert_uint_lt(b.at - start, 1 * SEC);
        /* Nothing is left queued on the lock. */
        ck_assert(!lock_busy(m.lock));
        model_done(&m);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("lock");
        TCase *tc = tcase_create("model");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_stuck_flag_backs_off);
        tcase_add_test(tc, test_lost_log_page_read_again);
        tcase_add_test(tc, test_restart_reads_where_the_archive_ends);
        tcase_add_test(tc, test_restart_before_any_read_reads_the_whole_log);
        tcase_add_test(tc, test_failing_log_reads_back_off);
        tcase_add_test(tc, test_alias_not_kept_when_not_saved);
        tcase_add_test(tc, test_deadline_for_every_kind);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
