/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* polkit rules per lock, end to end (world.h): two paired locks, "Shed" and "Front door", and a caller
 * who is not root (nobody, whose group nogroup stands in for the household's guests group).
 *
 *  - The shipped example rule (data/polkit-examples/60-ttlockd-guests-open-the-shed.rules, configured
 *    for nogroup) lets the guest open the shed and nothing else: the front door still refuses.
 *  - A test rule that reads every detail ttlockd passes (address, object-path, credential-kind; see
 *    ttlockd(8) "POLKIT DETAILS") grants exactly the call it names.
 *
 * The rules file is chosen through TTLOCK_POLKIT_TEST_RULES before the world starts: polkitd reads
 * rules when it starts. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "world.h"

#define SHED_ADDRESS "AA:BB:CC:00:00:02"
#define SHED_PATH "/org/ttlock/Lock/AA_BB_CC_00_00_02"
#define SHED_LOCK1 "org.ttlock.Manager", SHED_PATH, "org.ttlock.Lock1"
#define SHED_SIM1 "org.bluez", "/org/bluez/hci0/dev_AA_BB_CC_00_00_02", "org.ttlock.Sim1"
#define FRONT_PATH WORLD_LOCK_PATH
#define CREDENTIALS1 "org.ttlock.Credentials1"

static const char *const sim_args[] = { "--lock", "mac=" SHED_ADDRESS ",name=K5_010000",
                                        NULL };

static bool shed_pairable(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", SHED_ADDRESS);
        sd_bus_message_unref(reply);
        return r >= 0 && world_get_bool(w, SHED_LOCK1, "Pairable");
}

static void set_alias(World *w, const char *path, const char *alias) {
        char *err = world_call(w, "org.ttlock.Manager", path, "org.ttlock.Lock1", "SetAlias", "s", alias);

        ck_assert_msg(!err, "SetAlias(%s) at %s: %s", alias, path, err);
}

/* Both locks paired by root (no polkit for uid 0) and named. */
static void start_two_locks(World *w, const char *rules_env) {
        setenv("TTLOCK_POLKIT_TEST_RULES", world_env_path(rules_env), 1);
        w->polkit_rules = true;
        w->sim_args = sim_args;
        world_start(w);
        world_discover(w);
        ck_assert_msg(world_wait(w, shed_pairable, NULL, WORLD_TIMEOUT), "the second lock did not appear");
        world_call_ok(w, WORLD_LOCK1, "Pair");
        world_call_ok(w, SHED_LOCK1, "Pair");
        set_alias(w, FRONT_PATH, "Front door");
        set_alias(w, SHED_PATH, "Shed");
}

/* What nobody does, in the child: one call without interaction. expect_error NULL = must succeed. */
typedef struct GuestCall {
        const char *path;
        const char *interface;
        const char *method;
        const char *expect_error;
} GuestCall;

static int guest_call(void *userdata) {
        const GuestCall *c = userdata;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, "org.ttlock.Manager", c->path, c->interface, c->method, &e, NULL, "");
        if (r < 0)
                fprintf(stderr, "%s.%s at %s as nobody: %s: %s\n", c->interface, c->method, c->path, e.name,
                        e.message);
        if (c->expect_error)
                r = r < 0 && sd_bus_error_has_name(&e, c->expect_error) ? 0 : -EPERM;
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

static void as_guest(World *w, const char *path, const char *interface, const char *method,
                     const char *expect_error) {
        GuestCall c = { path, interface, method, expect_error };
        int status = 0;
        pid_t pid;

        ck_assert_int_ge(test_bus_fork_as(w->bus, "nobody", guest_call, &c, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, pid, WORLD_TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s.%s at %s as nobody: expected %s",
                      interface, method, path, expect_error ?: "success");
}

#define REFUSED "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"

START_TEST(test_guests_open_the_shed) {
        World w = {};

        start_two_locks(&w, "TTLOCK_POLKIT_EXAMPLE_RULES");
        ck_assert(world_get_bool(&w, SHED_SIM1, "Locked"));

        as_guest(&w, SHED_PATH, "org.ttlock.Lock1", "Unlock", NULL);
        ck_assert(!world_get_bool(&w, SHED_SIM1, "Locked"));
        as_guest(&w, SHED_PATH, "org.ttlock.Lock1", "Lock", NULL);
        ck_assert(world_get_bool(&w, SHED_SIM1, "Locked"));

        as_guest(&w, FRONT_PATH, "org.ttlock.Lock1", "Unlock", REFUSED);
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));
        /* Operating is all the rule gives: managing the shed still needs an administrator. */
        as_guest(&w, SHED_PATH, CREDENTIALS1, "ListPasscodes", REFUSED);

        /* A new alias moves the rule with it. */
        set_alias(&w, SHED_PATH, "Garden shed");
        as_guest(&w, SHED_PATH, "org.ttlock.Lock1", "Unlock", REFUSED);
        set_alias(&w, FRONT_PATH, "Shed");
        as_guest(&w, FRONT_PATH, "org.ttlock.Lock1", "Unlock", NULL);
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));
        world_stop(&w);
}
END_TEST

/* The test rule grants org.ttlock.manage only where address, object-path and credential-kind are those
 * of the shed's passcodes. */
START_TEST(test_every_detail_reaches_polkit) {
        World w = {};

        start_two_locks(&w, "TTLOCK_POLKIT_DETAILS_RULES");
        as_guest(&w, SHED_PATH, CREDENTIALS1, "ListPasscodes", NULL);
        as_guest(&w, SHED_PATH, CREDENTIALS1, "ListCards", REFUSED);
        as_guest(&w, FRONT_PATH, CREDENTIALS1, "ListPasscodes", REFUSED);
        /* No credential-kind for a Lock1 call: the rule does not apply. */
        as_guest(&w, SHED_PATH, "org.ttlock.Lock1", "Unlock", REFUSED);
        world_stop(&w);
}
END_TEST

static Suite *suite(void) {
        Suite *s = suite_create("polkit-details");
        TCase *tc = tcase_create("rules");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_guests_open_the_shed);
        tcase_add_test(tc, test_every_detail_reaches_polkit);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
