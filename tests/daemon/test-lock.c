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
#include "info.h"
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
        uint8_t refuse[256];  /* commands the lock refuses, with this error (doc/protocol.md §4.4) */
        uint64_t changed;     /* LOCK_PROPERTY_BIT()s the observer heard */
        /* test_pair_finish_yields: an Unlock() is asked for when the lock gets this command. */
        uint8_t unlock_at;
        void *unlock_result;
        size_t unlock_asked_at; /* fake.n_commands then */
} Model;

static void submit_unlock(Model *m);

static FakeAction respond(uint8_t command, const uint8_t *plain, size_t len, TTWriter *w, void *userdata) {
        Model *m = userdata;

        if (m->silent[command])
                return FAKE_SILENT;
        if (m->unlock_at && command == m->unlock_at) {
                m->unlock_at = 0;
                m->unlock_asked_at = m->fake.n_commands;
                submit_unlock(m);
        }
        if (m->refuse[command]) {
                ttlock_reply_error(w, command, m->refuse[command]);
                return FAKE_REPLY;
        }
        ttlock_reply_begin(w, command);
        switch (command) {
        case TTLOCK_CMD_READ_DEVICE_INFO:
                ck_assert_int_ge(ttlock_device_info_reply_encode(w, "M201"), 0);
                break;
        case TTLOCK_CMD_UNLOCK:
                ck_assert_int_ge(ttlock_actuate_reply_encode(w, &(TTActuateReply){ .battery = 80 }), 0);
                break;
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                ttlock_status_reply_encode(w, &(TTStatusReply){ .battery = 80, .state = TTLOCK_STATE_LOCKED });
                break;
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE:
                ttlock_feature_reply_encode(w, &(TTFeatureReply){ .battery = 80 });
                break;
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

/* paired: the lock starts with admin keys of ours (adminPs 123, unlockKey 456), else with none. */
static void model_init_full(Model *m, uint64_t reply_timeout_usec, bool paired) {
        LockRecord *record = NULL;

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

        if (paired) {
                ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &record), 0);
                memcpy(record->aes_key, lock_key, TTLOCK_KEY_SIZE);
                record->admin_ps = 123;
                record->unlock_key = 456;
                ck_assert_int_ge(store_save(m->store, record), 0);
        }
        ck_assert_int_ge(lock_new(&m->context, FAKE_ADDRESS, record, &m->lock), 0);
        lock_set_observer(m->lock, &observer, m);
}

static void model_init(Model *m, uint64_t reply_timeout_usec) {
        model_init_full(m, reply_timeout_usec, /* paired= */ true);
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

/* The daemon stops (or dies) in the middle of a read whose page the lock already handed out: the lock
 * counts the record as read and lowers its flag. The next daemon, started from the store, makes no
 * connection for it (lock_new()): its next read, when the lock has something new, goes on from where the
 * archive ends, and the lost record comes with the new one, each once. */
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
        ck_assert_uint_eq(m.n_log_requests, 0);
        ck_assert_uint_eq(m.events, 1);

        /* Something new at the lock: its flag starts a read from where the archive ends. */
        m.n_log = 3;
        advert(&m, true);
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.events, 3);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], 1);
        /* Once caught up, a lowered flag costs no more reads. */
        adverts_for(&m, false, 100 * MSEC, NULL);
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
 * reached the archive, so there is no sequence to go on from. The next daemon's first read (when the lock
 * has something new) reads the whole log once and the lost record comes too; a whole-log read reports
 * nothing the archive holds, and keeps where it ended. */
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
        adverts_for(&m, false, 300 * MSEC, NULL);
        ck_assert_uint_eq(m.n_log_requests, 0);
        m.n_log = 2;
        advert(&m, true);
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.events, 2);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], TTLOCK_LOG_ALL_RECORDS);
        ck_assert(record->has_log_sequence);
        ck_assert_uint_eq(record->log_sequence, 2);
        adverts_for(&m, false, 100 * MSEC, NULL);

        /* A key file from before sequences were kept: the whole log again at the next read, no record
         * reported twice, and the sequence saved. */
        record->has_log_sequence = false;
        ck_assert_int_ge(store_save(m.store, record), 0);
        restart(&m, &record);
        m.n_log = 3;
        advert(&m, true);
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.events, 3);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], TTLOCK_LOG_ALL_RECORDS);
        ck_assert(record->has_log_sequence);
        ck_assert_uint_eq(record->log_sequence, 3);
        adverts_for(&m, false, 100 * MSEC, NULL);

        /* And the daemon after that goes on from where the log was read to. */
        restart(&m, &record);
        m.n_log = 4;
        advert(&m, true);
        fake_run_for(&m.fake, 200 * MSEC);
        ck_assert_uint_eq(m.events, 4);
        ck_assert_uint_ge(m.n_log_requests, 1);
        ck_assert_uint_eq(m.log_requests[0], 3);
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

static void submit_unlock(Model *m) {
        OpStatus st;

        ck_assert_int_eq(lock_submit(m->lock, &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_UNLOCK },
                                     5 * SEC, on_call_done, m->unlock_result, &st),
                         0);
}

static size_t command_index(const FakeLock *f, uint8_t command, size_t from) {
        for (size_t i = from; i < f->n_commands; i++)
                if (f->commands[i] == command)
                        return i;
        return SIZE_MAX;
}

static bool pairing_complete(Model *m) {
        return m->lock->record->pairing_pending == 0 && !lock_busy(m->lock);
}

/* doc/protocol.md §5.6: pairing steps left undone run on the next connection, behind the call that
 * brought the link up; a call that comes while they run waits for one group of steps at most, and the
 * rest follows it. What they read reaches the record, and the record on disk. */
START_TEST(test_pair_finish_yields) {
        CallResult refresh = {}, unlock = {};
        LockRecord *saved = NULL;
        size_t admin, info, op_unlock, finished;
        OpStatus st;
        Model m;

        model_init(&m, 2 * SEC);
        m.lock->record->pairing_pending = PAIRING_STEP_BIT(PAIRING_STEP_DEVICE_INFO) |
                PAIRING_STEP_BIT(PAIRING_STEP_FINISH);
        m.unlock_at = TTLOCK_CMD_READ_DEVICE_INFO;
        m.unlock_result = &unlock;

        ck_assert_int_eq(lock_submit(m.lock, &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_REFRESH },
                                     5 * SEC, on_call_done, &refresh, &st),
                         0);
        ck_assert(fake_run_until(&m.fake, &refresh.done, 5 * SEC));
        ck_assert_int_eq(refresh.status.error, 0);
        ck_assert(fake_run_until(&m.fake, &unlock.done, 5 * SEC));
        ck_assert_int_eq(unlock.status.error, 0);
        for (unsigned i = 0; i < 100 && !pairing_complete(&m); i++)
                fake_run_for(&m.fake, 20 * MSEC);
        ck_assert(pairing_complete(&m));
        ck_assert_str_eq(m.lock->record->model, "M201");
        ck_assert_str_eq(m.lock->record->firmware_revision, "M201");

        /* After the Refresh: a login, then the device information; the Unlock asked for during the first
         * read came right after the group (its three reads), before OPERATE_FINISHED, which followed it
         * on a login of its own. */
        admin = command_index(&m.fake, TTLOCK_CMD_CHECK_ADMIN, 0);
        info = command_index(&m.fake, TTLOCK_CMD_READ_DEVICE_INFO, 0);
        op_unlock = command_index(&m.fake, TTLOCK_CMD_UNLOCK, 0);
        finished = command_index(&m.fake, TTLOCK_CMD_OPERATE_FINISHED, 0);
        ck_assert_uint_lt(admin, info);
        ck_assert_uint_ne(op_unlock, SIZE_MAX);
        ck_assert_uint_ne(finished, SIZE_MAX);
        ck_assert_uint_lt(op_unlock, finished);
        ck_assert_uint_le(op_unlock - m.unlock_asked_at, 4); /* the rest of the group, CHECK_USER_TIME */
        ck_assert_uint_lt(command_index(&m.fake, TTLOCK_CMD_CHECK_ADMIN, op_unlock), finished);

        ck_assert_int_eq(store_load(m.store, FAKE_ADDRESS, &saved), 0);
        ck_assert_uint_eq(saved->pairing_pending, 0);
        ck_assert_str_eq(saved->model, "M201");
        lock_record_free(saved);
        model_done(&m);
}
END_TEST

/* ---- keys from elsewhere (doc/lockdata.md) -------------------------------------------------------- */

static LockRecord *keys_of(LockRole role, uint32_t admin_ps, uint32_t unlock_key) {
        LockRecord *r = NULL;

        ck_assert_int_ge(lock_record_new(FAKE_ADDRESS, &r), 0);
        memcpy(r->aes_key, lock_key, TTLOCK_KEY_SIZE);
        r->role = role;
        r->admin_ps = role == LOCK_ROLE_ADMIN ? admin_ps : 0;
        r->unlock_key = unlock_key;
        r->uid = 2000;
        return r;
}

static int import(Model *m, LockRecord *r, CallResult *c) {
        OpStatus st;
        int q;

        *c = (CallResult){};
        m->fake.n_commands = 0;
        q = lock_submit(
                m->lock,
                &(LockRequest){ .kind = LOCK_REQUEST_IMPORT, .record = r },
                3 * SEC,
                on_call_done,
                c,
                &st);
        if (q < 0) {
                c->done = true;
                c->status = st;
                return q;
        }
        ck_assert(fake_run_until(&m->fake, &c->done, 5 * SEC));
        return c->status.error;
}

static bool sent(Model *m, uint8_t command) {
        for (size_t i = 0; i < m->fake.n_commands; i++)
                if (m->fake.commands[i] == command)
                        return true;
        return false;
}

static LockRecord *stored(Model *m) {
        LockRecord *r = NULL;

        return store_load(m->store, FAKE_ADDRESS, &r) >= 0 ? r : NULL;
}

/* Keys for a lock ttlockd has none of: refused keys leave nothing, proven ones are saved and used. */
START_TEST(test_import_proves_first) {
        CallResult c;
        LockRecord *r;
        Model m;

        model_init_full(&m, 300 * MSEC, /* paired= */ false);
        m.refuse[TTLOCK_CMD_CHECK_ADMIN] = 0x03; /* LOCK_ADMIN_CHECK_ERROR: a wrong adminPs */
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_ADMIN, 999, 456), &c), -EREMOTEIO);
        ck_assert_uint_eq(c.status.lock_error, 0x03);
        ck_assert_ptr_null(m.lock->record);
        ck_assert_ptr_null(stored(&m));

        /* The right ones: CHECK_ADMIN and CHECK_RANDOM, nothing that moves the bolt. */
        m.refuse[TTLOCK_CMD_CHECK_ADMIN] = 0;
        m.changed = 0;
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_ADMIN, 123, 456), &c), 0);
        ck_assert(sent(&m, TTLOCK_CMD_CHECK_ADMIN) && sent(&m, TTLOCK_CMD_CHECK_RANDOM));
        ck_assert(!sent(&m, TTLOCK_CMD_UNLOCK));
        ck_assert_ptr_nonnull(m.lock->record);
        ck_assert_str_eq(lock_role(m.lock), "admin");
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_PAIRED));
        ck_assert(m.changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_ROLE));
        r = stored(&m);
        ck_assert_ptr_nonnull(r);
        ck_assert(!r->provisional);
        ck_assert_uint_eq(r->admin_ps, 123);
        lock_record_free(r);
        /* Keys of another lock are no keys for this one. */
        r = keys_of(LOCK_ROLE_ADMIN, 1, 2);
        memcpy(r->address, "AA:BB:CC:00:00:02", sizeof(r->address));
        ck_assert_int_eq(import(&m, r, &c), -EINVAL);
        model_done(&m);
}
END_TEST

/* An eKey opens and closes through CHECK_USER_TIME only, within its window, and manages nothing. */
START_TEST(test_import_ekey_rights) {
        CredRequest cred = { .action = CRED_PASSCODE_LIST };
        SettingsRequest set = { .action = SETTINGS_AUTO_LOCK, .seconds = 5 };
        CallResult c;
        OpStatus st;
        Model m;

        model_init_full(&m, 300 * MSEC, /* paired= */ false);
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_USER, 0, 456), &c), 0);
        ck_assert(sent(&m, TTLOCK_CMD_CHECK_USER_TIME) && sent(&m, TTLOCK_CMD_CHECK_RANDOM));
        ck_assert(!sent(&m, TTLOCK_CMD_CHECK_ADMIN));
        ck_assert_str_eq(lock_role(m.lock), "user");
        ck_assert(lock_is_user(m.lock));

        /* Every administrative request is refused by ttlockd, naming the admin right. */
        ck_assert_int_lt(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_CREDENTIALS, .credentials = &cred },
                        SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_NOT_SUPPORTED);
        ck_assert_ptr_nonnull(strstr(st.message, "admin right"));
        ck_assert_int_lt(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_SETTINGS, .settings = &set },
                        SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_NOT_SUPPORTED);
        ck_assert_int_lt(
                lock_submit(
                        m.lock, &(LockRequest){ .kind = LOCK_REQUEST_RESET }, SEC, on_call_done, &c, &st),
                0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_NOT_SUPPORTED);

        /* Unlock: CHECK_USER_TIME → UNLOCK. */
        fake_run_for(&m.fake, 100 * MSEC);
        m.fake.n_commands = 0;
        c = (CallResult){};
        ck_assert_int_eq(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_UNLOCK },
                        3 * SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert(fake_run_until(&m.fake, &c.done, 5 * SEC));
        ck_assert_int_eq(c.status.error, 0);
        ck_assert(sent(&m, TTLOCK_CMD_CHECK_USER_TIME) && sent(&m, TTLOCK_CMD_UNLOCK));
        ck_assert(!sent(&m, TTLOCK_CMD_CHECK_ADMIN));

        /* The lock says the eKey expired: named as such, and no admin login is tried. */
        m.refuse[TTLOCK_CMD_CHECK_USER_TIME] = 0x0E;
        m.fake.n_commands = 0;
        c = (CallResult){};
        ck_assert_int_eq(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_UNLOCK },
                        3 * SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert(fake_run_until(&m.fake, &c.done, 5 * SEC));
        ck_assert_int_eq(c.status.refusal, OP_REFUSAL_KEY_INVALID);
        ck_assert_uint_eq(c.status.lock_error, 0x0E);
        ck_assert_ptr_nonnull(strstr(c.status.message, "expired"));
        ck_assert(!sent(&m, TTLOCK_CMD_CHECK_ADMIN));

        /* Past its window ttlockd refuses it itself, before asking the lock. */
        m.refuse[TTLOCK_CMD_CHECK_USER_TIME] = 0;
        m.lock->record->valid_until_usec = now_realtime_usec() - SEC;
        m.fake.n_commands = 0;
        ck_assert_int_lt(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_LOCK },
                        3 * SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_KEY_INVALID);
        ck_assert_ptr_nonnull(strstr(st.message, "expired"));
        /* Refresh reads without a login: still asked of the lock (whose fake answer has no state). */
        c = (CallResult){};
        ck_assert_int_eq(
                lock_submit(
                        m.lock,
                        &(LockRequest){ .kind = LOCK_REQUEST_ACCESS, .access = ACCESS_REFRESH },
                        3 * SEC,
                        on_call_done,
                        &c,
                        &st),
                0);
        ck_assert(fake_run_until(&m.fake, &c.done, 5 * SEC));
        ck_assert_int_eq(c.status.refusal, OP_REFUSAL_NONE);
        ck_assert(sent(&m, TTLOCK_CMD_SEARCH_BICYCLE_STATUS));
        model_done(&m);
}
END_TEST

/* Keys of a known lock change only once the new ones proved themselves, and only the keys change. */
START_TEST(test_reimport) {
        CallResult c;
        LockRecord *r;
        Model m;

        model_init(&m, 300 * MSEC);
        ck_assert_int_eq(lock_set_alias(m.lock, "Front door"), 0);
        m.refuse[TTLOCK_CMD_CHECK_RANDOM] = 0x08; /* a wrong unlock key */
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_ADMIN, 777, 888), &c), -EREMOTEIO);
        ck_assert_uint_eq(m.lock->record->admin_ps, 123);
        r = stored(&m);
        ck_assert_uint_eq(r->admin_ps, 123);
        lock_record_free(r);

        m.refuse[TTLOCK_CMD_CHECK_RANDOM] = 0;
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_ADMIN, 777, 888), &c), 0);
        ck_assert_uint_eq(m.lock->record->admin_ps, 777);
        ck_assert_uint_eq(m.lock->record->unlock_key, 888);
        ck_assert_uint_eq(m.lock->record->uid, 2000);
        ck_assert_str_eq(lock_alias(m.lock), "Front door");
        r = stored(&m);
        ck_assert_uint_eq(r->admin_ps, 777);
        ck_assert_str_eq(r->alias, "Front door");
        lock_record_free(r);

        /* An eKey never replaces an admin's keys. */
        ck_assert_int_eq(import(&m, keys_of(LOCK_ROLE_USER, 0, 888), &c), -EEXIST);
        ck_assert_int_eq(c.status.refusal, OP_REFUSAL_ALREADY_PAIRED);
        ck_assert_ptr_nonnull(strstr(c.status.message, "Forget"));
        ck_assert_str_eq(lock_role(m.lock), "admin");
        model_done(&m);
}
END_TEST

/* Kept unverified, checked when the lock is next heard: accepted keys become the lock's, refused ones go
 * from disk; an unverified lock can be forgotten before that. */
START_TEST(test_import_unverified) {
        OpStatus st;
        LockRecord *r;
        Model m;

        model_init_full(&m, 300 * MSEC, /* paired= */ false);
        ck_assert_int_eq(lock_set_provisional(m.lock, keys_of(LOCK_ROLE_USER, 0, 456), &st), 0);
        ck_assert_ptr_null(m.lock->record);
        ck_assert_str_eq(lock_role(m.lock), "user");
        r = stored(&m);
        ck_assert(r && r->provisional);
        lock_record_free(r);
        ck_assert_int_eq(m.fake.n_commands, 0);

        advert(&m, false);
        for (uint64_t end = now_monotonic_usec() + 3 * SEC; !m.lock->record && now_monotonic_usec() < end;)
                fake_run_for(&m.fake, 20 * MSEC);
        ck_assert_ptr_nonnull(m.lock->record);
        ck_assert_ptr_null(m.lock->provisional);
        ck_assert(sent(&m, TTLOCK_CMD_CHECK_USER_TIME) && !sent(&m, TTLOCK_CMD_CHECK_ADMIN));
        r = stored(&m);
        ck_assert(r && !r->provisional);
        lock_record_free(r);
        /* Proven keys are not replaced by unproven ones. */
        ck_assert_int_lt(lock_set_provisional(m.lock, keys_of(LOCK_ROLE_USER, 0, 1), &st), 0);
        ck_assert_int_eq(st.refusal, OP_REFUSAL_ALREADY_PAIRED);
        model_done(&m);

        /* Refused: dropped from memory and disk. */
        model_init_full(&m, 300 * MSEC, /* paired= */ false);
        m.refuse[TTLOCK_CMD_CHECK_USER_TIME] = 0x0D;
        ck_assert_int_eq(lock_set_provisional(m.lock, keys_of(LOCK_ROLE_USER, 0, 456), &st), 0);
        advert(&m, false);
        for (uint64_t end = now_monotonic_usec() + 3 * SEC;
             m.lock->provisional && now_monotonic_usec() < end;)
                fake_run_for(&m.fake, 20 * MSEC);
        ck_assert_ptr_null(m.lock->provisional);
        ck_assert_ptr_null(m.lock->record);
        ck_assert_ptr_null(stored(&m));

        /* Forgotten before the lock was heard. */
        m.refuse[TTLOCK_CMD_CHECK_USER_TIME] = 0;
        ck_assert_int_eq(lock_set_provisional(m.lock, keys_of(LOCK_ROLE_ADMIN, 1, 2), &st), 0);
        r = stored(&m);
        ck_assert_ptr_nonnull(r);
        lock_record_free(r);
        ck_assert_int_eq(lock_forget(m.lock, &st), 0);
        ck_assert_ptr_null(m.lock->provisional);
        ck_assert_ptr_null(stored(&m));
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
        tcase_add_test(tc, test_pair_finish_yields);
        tcase_add_test(tc, test_import_proves_first);
        tcase_add_test(tc, test_import_ekey_rights);
        tcase_add_test(tc, test_reimport);
        tcase_add_test(tc, test_import_unverified);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
