/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, ttlockd killed (world.h): SIGKILL at random instants while it pairs and while it
 * writes, KILLS_PAIRING + KILLS_WRITING times. After every kill the state directory loads with the
 * daemon's own loaders (world_check_store(): no key file or event archive damaged), it holds the old or
 * the new content and nothing else, and the restarted daemon agrees with the lock:
 *  - pairing: the lock has our admin only if our keys for it are on disk (they are written before
 *    ADD_ADMIN goes out, doc/protocol.md §5.1), and the restarted daemon ends up holding keys exactly
 *    when the lock has our admin;
 *  - writing: while a burst of SetAlias() calls and a log read after a door event go to disk, the alias
 *    on disk is the last one acknowledged or one sent after it, and the restarted daemon shows it.
 *
 * The kill instants come from a pseudo-random sequence seeded with TTLOCK_FAULT_SEED (default 1), printed
 * so that a failing run can be repeated; the wait before a kill is the random instant itself, not a
 * synchronisation. test-store (tests/daemon) kills the store alone; this kills the whole daemon. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-flows.h"

#define KILLS_PAIRING 40
#define KILLS_WRITING 160
#define BURST 12

static const char *const daemon_env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=10", NULL };
/* A quick radio (ttlock-sim(1)): more kills in the same time, and the log read after each door event
 * falls among them too. */
static const char *const sim_args[] = { "--connect-ms", "20", "--latency-ms", "5", NULL };

static unsigned seed_from_env(void) {
        const char *s = getenv("TTLOCK_FAULT_SEED");
        unsigned seed = s ? (unsigned) strtoul(s, NULL, 10) : 1;

        fprintf(stderr, "TTLOCK_FAULT_SEED=%u\n", seed);
        return seed;
}

/* xorshift32: the same instants for the same seed on every machine. */
static uint32_t next_random(uint32_t *state) {
        uint32_t x = *state ?: 1;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return *state = x;
}

static bool never(World *w, const void *arg) {
        return false;
}

/* Let the daemon run for usec (its bus traffic processed meanwhile): the random instant of a kill. */
static void run_for(World *w, uint64_t usec) {
        (void) world_wait(w, never, NULL, usec);
}

static void restart_daemon(World *w) {
        world_start_daemon(w);
        if (world_sim_paired(w, NULL))
                ck_assert_msg(
                        world_wait(w, world_lock_known, NULL, WORLD_TIMEOUT),
                        "the restarted daemon does not know the paired lock");
}

START_TEST(test_killed_while_pairing) {
        World w = { .daemon_env = daemon_env, .sim_args = sim_args };
        uint32_t rnd = seed_from_env();
        uint64_t t0 = world_now_usec(), span;
        unsigned outcomes[3] = {}; /* kills that left: no keys, provisional keys, paired */
        WorldAsync c;

        world_start(&w);
        /* How long a pairing takes here: the kills fall anywhere in it. */
        world_discover(&w);
        world_call_async(&w, &c, WORLD_LOCK1, "Pair", NULL);
        ck_assert(world_wait(&w, world_async_done, &c, WORLD_TIMEOUT));
        ck_assert_str_eq(c.error, "");
        span = c.took_usec + c.took_usec / 4;
        world_async_done_free(&c);
        world_call_ok(&w, WORLD_LOCK1, "FactoryReset");

        for (unsigned i = 0; i < KILLS_PAIRING; i++) {
                uint64_t at = next_random(&rnd) % span;
                WorldStore st;

                world_discover(&w);
                world_call_async(&w, &c, WORLD_LOCK1, "Pair", NULL);
                run_for(&w, at);
                world_kill_pid(&w, &w.daemon_pid);
                world_async_done_free(&c);

                /* On disk: old (nothing) or new (the keys, provisional until confirmed), never a torn file;
                 * and never a lock with an admin whose keys are not on disk. */
                world_check_store(&w, &st);
                ck_assert_uint_le(st.n_locks, 1);
                if (world_sim_paired(&w, NULL))
                        ck_assert_msg(
                                st.n_locks == 1 && st.has_aes_key,
                                "killed %.3f s into Pair(): the lock has our admin, the disk has no keys",
                                (double) at / 1e6);
                outcomes[st.n_locks == 0 ? 0 : st.n_provisional > 0 ? 1 : 2]++;

                /* The restarted daemon confirms or withdraws provisional keys, and serves. */
                restart_daemon(&w);
                fault_check_keys(&w);
                if (world_sim_paired(&w, NULL)) {
                        world_unlock_works(&w);
                        world_call_ok(&w, WORLD_LOCK1, "FactoryReset");
                        fault_check_keys(&w);
                }
        }
        fprintf(stderr,
                "%u kills while pairing (within %.2f s of Pair()): %u left no keys, %u provisional keys, "
                "%u a paired lock; %.1f s\n",
                KILLS_PAIRING,
                (double) span / 1e6,
                outcomes[0],
                outcomes[1],
                outcomes[2],
                (double) (world_now_usec() - t0) / 1e6);
        world_stop(&w);
}
END_TEST

typedef struct Burst {
        WorldAsync calls[BURST];
        char aliases[BURST][32];
} Burst;

static bool burst_done(World *w, const void *arg) {
        const Burst *b = arg;

        for (size_t k = 0; k < BURST; k++)
                if (!b->calls[k].done)
                        return false;
        return true;
}

static bool all_archived(World *w, const void *arg) {
        WorldStore st;

        world_check_store(w, &st);
        return st.n_history >= *(const unsigned *) arg;
}

START_TEST(test_killed_while_writing) {
        World w = { .daemon_env = daemon_env, .sim_args = sim_args };
        uint32_t rnd = seed_from_env();
        uint64_t t0 = world_now_usec(), span;
        char committed[64] = "";
        unsigned new_content = 0, mid_burst = 0, history = 0;
        Burst b;

        world_start(&w);
        world_pair(&w);

        /* How long a burst of writes takes here. */
        for (size_t k = 0; k < BURST; k++) {
                snprintf(b.aliases[k], sizeof(b.aliases[k]), "warm-up %zu", k);
                world_call_async(&w, &b.calls[k], WORLD_LOCK1, "SetAlias", "s", b.aliases[k]);
        }
        ck_assert(world_wait(&w, burst_done, &b, WORLD_TIMEOUT));
        span = 0;
        for (size_t k = 0; k < BURST; k++) {
                ck_assert_str_eq(b.calls[k].error, "");
                span = MAX(span, b.calls[k].took_usec);
                world_async_done_free(&b.calls[k]);
        }
        snprintf(committed, sizeof(committed), "%s", b.aliases[BURST - 1]);

        for (unsigned i = 0; i < KILLS_WRITING; i++) {
                /* Every other kill falls within the burst; the others within the log read after the door
                 * event (an advert every 200 ms, then a connection and a page). */
                uint64_t at = next_random(&rnd) % (i % 2 ? 400 * TEST_USEC_PER_MSEC : span + span / 2);
                size_t last_ok = SIZE_MAX;
                bool allowed;
                WorldStore st;
                char *alias;

                /* A door event: a log read, its Event, a history line and the log cursor go to disk too. */
                world_sim_call(&w, "TurnKnob", "b", i % 2);
                for (size_t k = 0; k < BURST; k++) {
                        snprintf(b.aliases[k], sizeof(b.aliases[k]), "door %u.%zu", i, k);
                        world_call_async(&w, &b.calls[k], WORLD_LOCK1, "SetAlias", "s", b.aliases[k]);
                }
                run_for(&w, at);
                world_kill_pid(&w, &w.daemon_pid);
                /* Every call is answered: by the daemon, or with NoReply by the bus once it died. */
                ck_assert(world_wait(&w, burst_done, &b, WORLD_TIMEOUT));
                for (size_t k = 0; k < BURST; k++) {
                        if (!b.calls[k].error[0])
                                last_ok = k;
                        world_async_done_free(&b.calls[k]);
                }

                /* The alias on disk: the last one acknowledged, or one sent after it (written, then the
                 * daemon died before it could answer). Nothing older, nothing torn. */
                world_check_store(&w, &st);
                ck_assert_uint_eq(st.n_locks, 1);
                ck_assert(st.has_aes_key);
                allowed = last_ok == SIZE_MAX && strcmp(st.alias, committed) == 0;
                for (size_t k = last_ok == SIZE_MAX ? 0 : last_ok; k < BURST && !allowed; k++)
                        allowed = strcmp(st.alias, b.aliases[k]) == 0;
                ck_assert_msg(
                        allowed,
                        "killed %.3f s into the burst: the alias on disk is \"%s\", the last one "
                        "acknowledged \"%s\"",
                        (double) at / 1e6,
                        st.alias,
                        last_ok == SIZE_MAX ? committed : b.aliases[last_ok]);
                new_content += strcmp(st.alias, committed) != 0;
                mid_burst += i % 2 == 0 && last_ok != SIZE_MAX && last_ok + 1 < BURST;
                snprintf(committed, sizeof(committed), "%s", st.alias);

                /* The restarted daemon shows what is on disk. */
                restart_daemon(&w);
                ck_assert(world_get_bool(&w, WORLD_LOCK1, "Paired"));
                alias = world_get_string(&w, WORLD_LOCK1, "Alias");
                ck_assert_str_eq(alias, committed);
                free(alias);
        }
        /* Every door event reaches the archive, though reads were cut short by kills: the lock counts
         * what it handed out as read, so the daemon must remember where its reads got to. */
        {
                unsigned turns = KILLS_WRITING;
                WorldStore st;

                ck_assert_msg(world_wait(&w, all_archived, &turns, WORLD_TIMEOUT), "door events lost");
                world_check_store(&w, &st);
                history = (unsigned) st.n_history;
        }
        fprintf(stderr,
                "%u kills while writing (half within %.3f s of a burst of %d SetAlias(), half within 0.4 s "
                "of "
                "a door event): %u found a new alias on disk, %u fell in the middle of a burst; %u door "
                "events, "
                "%u records in the event archive; %.1f s\n",
                KILLS_WRITING,
                (double) (span + span / 2) / 1e6,
                BURST,
                new_content,
                mid_burst,
                KILLS_WRITING,
                history,
                (double) (world_now_usec() - t0) / 1e6);
        /* The kills fell between acknowledged writes and writes still to come. */
        ck_assert_uint_gt(mid_burst, 0);
        /* Unharmed afterwards. */
        ck_assert_msg(world_wait(&w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert");
        world_call_ok(&w, WORLD_LOCK1, "Unlock");
        fault_check_keys(&w);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-kill");
        TCase *tc = tcase_create("kill");

        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, test_killed_while_pairing);
        tcase_add_test(tc, test_killed_while_writing);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(make_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
