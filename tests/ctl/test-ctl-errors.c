/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The D-Bus error names of dbus/org.ttlock.*.xml and the exit codes they give (ttlockctl(1) EXIT
 * STATUS). */

#include <errno.h>
#include <systemd/sd-bus.h>

#include "ctl-errors.h"
#include "ctl-util.h"
#include "macro.h"
#include "tt-test.h"

static int exit_code_for(const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_error_set(&e, name, "test");
        ck_assert_int_lt(r, 0);
        /* The errno is derived from the name through the maps: what sd_bus_call() returns. */
        ck_assert_int_eq(sd_bus_error_get_errno(&e), -r);
        sd_bus_error_free(&e);
        return exit_code_from_errno(r);
}

START_TEST(test_exit_codes_for_names) {
        ck_assert_int_ge(ctl_error_map_register(), 0);

        ck_assert_int_eq(exit_code_for("org.freedesktop.DBus.Error.InvalidArgs"), CTL_EXIT_INVALID_ARGS);
        ck_assert_int_eq(exit_code_for("org.freedesktop.DBus.Error.AccessDenied"), CTL_EXIT_ACCESS_DENIED);
        ck_assert_int_eq(
                exit_code_for("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"),
                CTL_EXIT_ACCESS_DENIED);
        ck_assert_int_eq(exit_code_for("org.ttlock.Error.NotSupported"), CTL_EXIT_NOT_SUPPORTED);
        ck_assert_int_eq(exit_code_for("org.ttlock.Error.DoesNotExist"), CTL_EXIT_NO_LOCK);
        ck_assert_int_eq(exit_code_for("org.freedesktop.DBus.Error.UnknownObject"), CTL_EXIT_NO_LOCK);

        static const char *const others[] = {
                "org.ttlock.Error.Failed",
                "org.ttlock.Error.InProgress",
                "org.ttlock.Error.NotReady",
                "org.ttlock.Error.NotConnected",
                "org.ttlock.Error.AlreadyExists",
                "org.ttlock.Error.NotPaired",
                "org.ttlock.Error.AuthenticationFailed",
                "org.ttlock.Error.Timeout",
                "org.ttlock.Error.Unreachable",
                "org.ttlock.Error.LockRefused",
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.UnknownMethod",
                "com.example.Unheard.Of",
        };
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                ck_assert_msg(exit_code_for(others[i]) == CTL_EXIT_FAILURE, "%s", others[i]);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ctl-errors");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_exit_codes_for_names);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
