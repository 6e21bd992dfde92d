/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The flows of the fault matrix (fault-flows.h): pairing, unlock and lock, the log read after a door
 * event, paging through 40 passcodes, a fingerprint enrollment, the settings, and a factory reset; and
 * the engine that breaks each of their steps in turn. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault-flows.h"

#define STEPS_MAX 64
#define PASSCODES 40

/* What the test tracks across a flow's runs (World.userdata). */
typedef struct Matrix {
        unsigned run;            /* runs so far: fresh finger ids, alternating knob turns */
        unsigned events;         /* Lock1.Event broadcasts */
        char enrollment[16];     /* the last final EnrollmentStatus addressed to us, "" none yet */
        bool enrollment_waiting; /* "waiting" came */
        unsigned steps, fired;   /* for the summary */
} Matrix;

static Matrix *matrix(World *w) {
        return w->userdata;
}

static bool one_of(const char *s, const char *const *list) {
        for (; *list; list++)
                if (strcmp(s, *list) == 0)
                        return true;
        return false;
}

/* What talking to a lock that drops the link may end in (dbus/org.ttlock.Lock1.xml "Errors that come
 * from talking to the lock", Credentials1.xml and Settings1.xml "lock errors"). */
static const char *const lock_errors[] = {
        WORLD_UNREACHABLE, WORLD_TIMEOUT_ERROR, WORLD_FAILED, "org.ttlock.Error.AuthenticationFailed", NULL,
};

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* Only the broadcast: our copies as a subscriber would count twice. */
        if (!sd_bus_message_get_destination(m))
                matrix(userdata)->events++;
        return 0;
}

static int on_enrollment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Matrix *x = matrix(userdata);
        const char *kind, *status, *id;
        uint32_t done, total;

        if (!sd_bus_message_get_destination(m))
                return 0; /* the broadcast; ours is addressed to us */
        if (sd_bus_message_read(m, "ssuus", &kind, &status, &done, &total, &id) < 0)
                return 0;
        if (strcmp(status, "waiting") == 0)
                x->enrollment_waiting = true;
        else if (strcmp(status, "progress") != 0)
                snprintf(x->enrollment, sizeof(x->enrollment), "%s", status);
        return 0;
}

/* ---- the flows ------------------------------------------------------------------------------- */

static bool keys_settled(World *w, const void *arg) {
        bool lock_has_admin = world_sim_paired(w, NULL);
        WorldStore st;

        /* The daemon holds (confirmed) keys exactly when the lock has our admin, on the bus and on disk. */
        if (world_lock_known(w, NULL) ? world_get_bool(w, WORLD_LOCK1, "Paired") != lock_has_admin : lock_has_admin)
                return false;
        world_check_store(w, &st);
        return st.n_provisional == 0 && st.n_locks == (lock_has_admin ? 1 : 0) &&
                (!lock_has_admin || st.has_aes_key);
}

void fault_check_keys(World *w) {
        /* Provisional keys are confirmed or withdrawn at the next advert (store.h "pairing: provisional"). */
        ck_assert_msg(world_wait(w, keys_settled, NULL, 2 * WORLD_TIMEOUT),
                      "the lock has our admin: %d, the daemon holds keys: %d (see the store above)",
                      world_sim_paired(w, NULL), world_lock_paired(w, NULL));
}

static void prepare_discover(World *w) {
        world_discover(w);
}

static void prepare_pair(World *w) {
        world_pair(w);
}

static void prepare_passcodes(World *w) {
        world_pair(w);
        for (unsigned i = 0; i < PASSCODES; i++) {
                char code[16], *err;

                snprintf(code, sizeof(code), "%u", 700000 + i);
                err = world_call(w, WORLD_CREDS, "AddPasscode", "stt", code, UINT64_C(0), UINT64_C(0));
                ck_assert_msg(!err, "AddPasscode %s: %s", code, err);
        }
}

/* Pairing */

static char *run_pair(World *w) {
        return world_call(w, WORLD_LOCK1, "Pair", NULL);
}

static void recover_pair(World *w, const char *err) {
        fault_check_keys(w);
        if (!world_sim_paired(w, NULL)) {
                world_discover(w); /* discovery stops by itself after 60 s (Manager1.xml): again */
                world_call_ok(w, WORLD_LOCK1, "Pair");
                fault_check_keys(w);
        }
        world_unlock_works(w);
        /* Back to a factory-fresh lock for the next run. */
        world_call_ok(w, WORLD_LOCK1, "FactoryReset");
        fault_check_keys(w);
        world_discover(w); /* discovery stops by itself after 60 s (Manager1.xml): again */
}

static const char *const pair_errors[] = { "org.ttlock.Error.LockRefused", NULL };

/* Unlock and Lock */

static char *run_unlock_lock(World *w) {
        char *err = world_call(w, WORLD_LOCK1, "Unlock", NULL);

        return err ?: world_call(w, WORLD_LOCK1, "Lock", NULL);
}

static void recover_unlock_lock(World *w, const char *err) {
        char *e = run_unlock_lock(w);

        ck_assert_msg(!e, "Unlock/Lock after the fault: %s: %s", e, w->error_message);
        ck_assert(world_state_is(w, "locked"));
        ck_assert(world_get_bool(w, WORLD_SIM1, "Locked"));
        fault_check_keys(w);
}

/* The log read after a door event */

typedef struct EventsAfter {
        unsigned count;
} EventsAfter;

static bool events_reached(World *w, const void *arg) {
        return matrix(w)->events >= ((const EventsAfter *) arg)->count;
}

static char *run_knob(World *w) {
        Matrix *x = matrix(w);
        EventsAfter want = { x->events + 1 };

        /* The bolt turned by hand: a log record, the new-records flag, a log read, one Event. */
        world_sim_call(w, "TurnKnob", "b", x->run++ % 2 == 1);
        if (!world_wait(w, events_reached, &want, WORLD_TIMEOUT))
                return strdup("no-event");
        return NULL;
}

static void recover_knob(World *w, const char *err) {
        Matrix *x = matrix(w);
        unsigned before = x->events;

        /* Every record is signalled once: nothing more comes for the last one … */
        ck_assert_msg(world_wait(w, world_disconnected, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        world_process(w);
        ck_assert_uint_eq(x->events, before);
        /* … and the next one is read and signalled. */
        ck_assert_ptr_null(run_knob(w));
        fault_check_keys(w);
}

/* Paging through the passcodes */

static char *list_passcodes(World *w, size_t *ret_n) {
        sd_bus_message *reply = NULL;
        char *err;

        *ret_n = 0;
        err = world_call_reply(w, WORLD_CREDS, "ListPasscodes", &reply, NULL);
        if (err)
                return err;
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        while (sd_bus_message_skip(reply, "a{sv}") > 0)
                (*ret_n)++;
        sd_bus_message_unref(reply);
        return NULL;
}

static char *run_list(World *w) {
        size_t n;
        char *err = list_passcodes(w, &n);

        if (!err)
                ck_assert_uint_eq(n, PASSCODES);
        return err;
}

static void recover_list(World *w, const char *err) {
        char *e = run_list(w);

        ck_assert_msg(!e, "ListPasscodes after the fault: %s", e);
        fault_check_keys(w);
}

/* A fingerprint enrollment: four presses of a finger never enrolled before */

static bool enrollment_ended(World *w, const void *arg) {
        return matrix(w)->enrollment[0];
}

static bool enrollment_started(World *w, const void *arg) {
        return matrix(w)->enrollment_waiting || matrix(w)->enrollment[0];
}

static char *run_enroll(World *w) {
        Matrix *x = matrix(w);
        char finger[16], *err;

        x->enrollment[0] = 0;
        x->enrollment_waiting = false;
        snprintf(finger, sizeof(finger), "%u", 100 + x->run++);
        err = world_call(w, WORLD_CREDS, "StartFingerprintEnrollment", "tt", UINT64_C(0), UINT64_C(0));
        if (err)
                return err;
        if (!world_wait(w, enrollment_started, NULL, WORLD_TIMEOUT))
                return strdup("no-waiting");
        for (unsigned i = 0; i < 4 && !x->enrollment[0]; i++)
                world_sim_call(w, "PlaceFinger", "s", finger);
        if (!world_wait(w, enrollment_ended, NULL, WORLD_TIMEOUT))
                return strdup("no-end");
        return strcmp(x->enrollment, "completed") == 0 ? NULL : strdup(x->enrollment);
}

static void recover_enroll(World *w, const char *err) {
        char *e = run_enroll(w);

        ck_assert_msg(!e, "an enrollment after the fault: %s", e);
        fault_check_keys(w);
}

/* An enrollment cut off ends with "failed" (or "timeout", when the lock's own step was lost, as
 * TTLOCKD_ENROLLMENT_TIMEOUT_SEC says), never silently (Credentials1.xml EnrollmentStatus). */
static const char *const enroll_errors[] = { "failed", "timeout", "org.ttlock.Error.InProgress", NULL };

/* The settings */

static char *set_passage(World *w, uint16_t start) {
        sd_bus_message *m = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        static const uint8_t days[] = { 1, 2, 3, 4, 5 };
        char *name = NULL;

        ck_assert_int_ge(
                sd_bus_message_new_method_call(w->client, &m, WORLD_SETTINGS, "SetPassageModes"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "a{sv}"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
        ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
        ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
        ck_assert_int_ge(sd_bus_message_append_array(m, 'y', days, sizeof(days)), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(
                sd_bus_message_append(
                        m,
                        "{sv}{sv}",
                        "start-minute",
                        "q",
                        start,
                        "end-minute",
                        "q",
                        (uint16_t) (start + 60)),
                0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        if (sd_bus_call(w->client, m, 30 * TEST_USEC_PER_SEC, &e, NULL) < 0) {
                name = strdup(e.name);
                fprintf(stderr, "SetPassageModes → %s: %s\n", e.name, e.message);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        return name;
}

static char *run_settings(World *w) {
        Matrix *x = matrix(w);
        unsigned n = x->run++;
        char code[16], *err;

        snprintf(code, sizeof(code), "%u", 7654300 + n % 100);
        err = world_call(w, WORLD_SETTINGS, "SetAutoLock", "u", 5 + n % 10);
        if (!err)
                err = world_call(w, WORLD_SETTINGS, "SetSound", "by", 1, 1 + n % 5);
        if (!err)
                err = world_call(w, WORLD_SETTINGS, "SetTamperAlert", "b", n % 2);
        if (!err)
                err = set_passage(w, (uint16_t) (480 + n % 60));
        if (!err)
                err = world_call(w, WORLD_SETTINGS, "SetAdminPasscode", "s", code);
        if (!err)
                err = world_call(w, WORLD_SETTINGS, "GetAdminPasscode", NULL);
        if (!err)
                err = world_call(w, WORLD_SETTINGS, "SyncClock", NULL);
        return err;
}

static void recover_settings(World *w, const char *err) {
        char *e = run_settings(w);

        ck_assert_msg(!e, "the settings after the fault: %s", e);
        /* What the daemon says is what the lock has. */
        ck_assert_uint_eq(
                world_get_u32(w, WORLD_LOCK1, "AutoLockSeconds"),
                world_get_u32(w, WORLD_SIM1, "AutoLockSeconds"));
        fault_check_keys(w);
}

/* Factory reset */

static char *run_reset(World *w) {
        return world_call(w, WORLD_LOCK1, "FactoryReset", NULL);
}

static void recover_reset(World *w, const char *err) {
        /* Either the lock kept our admin and so did we, or it was reset: then the daemon may still hold the
         * keys (the answer was lost, Lock1.xml FactoryReset), and Forget() lets them go. */
        if (!world_sim_paired(w, NULL) && world_lock_paired(w, NULL))
                world_call_ok(w, WORLD_LOCK1, "Forget");
        fault_check_keys(w);
        if (!world_sim_paired(w, NULL)) {
                world_discover(w); /* discovery stops by itself after 60 s (Manager1.xml): again */
                world_call_ok(w, WORLD_LOCK1, "Pair");
                fault_check_keys(w);
        }
        world_unlock_works(w);
}

const Flow fault_flows[] = {
        { "pair", NULL, prepare_discover, run_pair, pair_errors, recover_pair },
        { "unlock-lock", NULL, prepare_pair, run_unlock_lock, NULL, recover_unlock_lock },
        { "log-read", NULL, prepare_pair, run_knob, NULL, recover_knob },
        { "passcode-paging", NULL, prepare_passcodes, run_list, NULL, recover_list },
        { "enrollment", NULL, prepare_pair, run_enroll, enroll_errors, recover_enroll },
        { "settings", NULL, prepare_pair, run_settings, NULL, recover_settings },
        { "factory-reset", NULL, prepare_pair, run_reset, NULL, recover_reset },
};

const size_t fault_n_flows = ELEMENTSOF(fault_flows);

const Flow *fault_flow(const char *name) {
        for (size_t i = 0; i < fault_n_flows; i++)
                if (strcmp(fault_flows[i].name, name) == 0)
                        return &fault_flows[i];
        ck_abort_msg("no flow %s", name);
        return NULL;
}

bool fault_flow_wanted(const Flow *f) {
        const char *only = getenv("TTLOCK_FAULT_FLOW");

        return !only || strcmp(only, f->name) == 0;
}

/* ---- the matrix ------------------------------------------------------------------------------ */

/* The flow starts from a cold link, as its first run did, so that it takes the same steps. */
static void settle(World *w) {
        ck_assert_msg(world_wait(w, world_disconnected, NULL, WORLD_TIMEOUT), "ttlockd stayed connected");
        /* A pairable lock in setting mode: the flows start where they started the first time. */
        if (world_lock_known(w, NULL) && !world_get_bool(w, WORLD_LOCK1, "Paired"))
                ck_assert_msg(world_wait(w, world_lock_pairable, NULL, WORLD_TIMEOUT), "not pairable");
}

static unsigned count_of(char **steps, size_t upto, const char *name) {
        unsigned n = 0;

        for (size_t i = 0; i <= upto; i++)
                n += strcmp(steps[i], name) == 0;
        return n;
}

/* The steps to break: each command the flow sent, at its first exchange, and at its last when it was sent
 * more than once (the last page of a listing, the second login of a flow that logs in twice). */
static bool worth_breaking(char **steps, size_t i) {
        unsigned nth = count_of(steps, i, steps[i]), total = nth;

        for (size_t k = i + 1; steps[k]; k++)
                total += strcmp(steps[k], steps[i]) == 0;
        return nth == 1 || nth == total;
}

void fault_matrix(const Flow *f, const char *kind, unsigned count) {
        /* The lock lets an idle link go after 1 s (its default 5 s, ttlock-sim(1)), so that each run
         * starts from a cold link without waiting for ttlockd's keep-alive; not when it is to keep
         * silent, which would make every silence a dropped link. */
        static const char *const quick_idle[] = { "--idle-disconnect-seconds", "1", NULL };
        static const char *const env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=8",
                                           "TTLOCKD_ENROLLMENT_TIMEOUT_SEC=3",
                                           NULL };
        Matrix x = {};
        World w = { .userdata = &x,
                    .daemon_env = env,
                    .sim_args = strcmp(kind, "no-reply") == 0 ? NULL : quick_idle,
                    .lock_features = f->features };
        uint64_t t0 = world_now_usec();
        char **steps, *err;
        size_t n_steps;

        world_start(&w);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        NULL,
                        "org.ttlock.Lock1",
                        "Event",
                        on_event,
                        &w),
                0);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        w.client,
                        NULL,
                        "org.ttlock.Manager",
                        WORLD_LOCK_PATH,
                        "org.ttlock.Credentials1",
                        "EnrollmentStatus",
                        on_enrollment,
                        &w),
                0);
        f->prepare(&w);
        settle(&w);

        /* Unharmed, and the steps it takes. */
        world_strv_free(world_sim_take_commands(&w));
        err = f->run(&w);
        ck_assert_msg(!err, "%s: the flow fails without a fault: %s: %s", f->name, err, w.error_message);
        steps = world_sim_take_commands(&w);
        for (n_steps = 0; steps[n_steps]; n_steps++)
                ;
        ck_assert_msg(n_steps > 0, "%s: the lock received nothing", f->name);
        ck_assert_uint_le(n_steps, STEPS_MAX);
        f->recover(&w, NULL);

        for (size_t i = 0; i < n_steps; i++) {
                unsigned nth = count_of(steps, i, steps[i]);
                char spec[64], **seen;
                uint64_t t;
                bool fired = false;

                if (!worth_breaking(steps, i))
                        continue;
                settle(&w);
                world_strv_free(world_sim_take_commands(&w));
                snprintf(spec, sizeof(spec), "%s@%s#%u", kind, steps[i], nth);
                world_sim_call(&w, "InjectFault", "su", spec, count);
                t = world_now_usec();
                err = f->run(&w);
                t = world_now_usec() - t;
                ck_assert_msg(world_daemon_alive(&w), "%s: ttlockd died at %s", f->name, spec);
                ck_assert_msg(
                        !err || one_of(err, lock_errors) || (f->errors && one_of(err, f->errors)),
                        "%s: %s ended in %s (%s), which its methods do not document",
                        f->name,
                        spec,
                        err,
                        w.error_message);
                world_sim_call(&w, "InjectFault", "su", kind, 0u);
                seen = world_sim_take_commands(&w);
                for (size_t k = 0, m = 0; seen[k] && !fired; k++)
                        fired = strcmp(seen[k], steps[i]) == 0 && ++m == nth;
                world_strv_free(seen);
                fprintf(stderr,
                        "%s: step %zu/%zu %s: %s%s (%.1f s)\n",
                        f->name,
                        i + 1,
                        n_steps,
                        spec,
                        err ?: "went through",
                        fired ? "" : " [not reached]",
                        (double) t / 1e6);
                x.steps++;
                x.fired += fired;

                f->recover(&w, err);
                free(err);
        }
        /* Each step is reached again when it is broken: the flows are the same every time. */
        ck_assert_msg(
                x.fired * 4 >= x.steps * 3,
                "%s: only %u of %u broken steps were reached",
                f->name,
                x.fired,
                x.steps);
        fprintf(stderr,
                "%s: %zu steps, %u broken, %u reached, %.1f s\n",
                f->name,
                n_steps,
                x.steps,
                x.fired,
                (double) (world_now_usec() - t0) / 1e6);
        world_strv_free(steps);
        world_stop(&w);
}
