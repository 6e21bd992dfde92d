/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bus-errors.h"
#include "tt-test.h"

START_TEST(test_names_unique_and_mapped) {
        static const char *const names[] = {
                TTLOCK_ERROR_FAILED,         TTLOCK_ERROR_IN_PROGRESS,   TTLOCK_ERROR_NOT_READY,
                TTLOCK_ERROR_NOT_CONNECTED,  TTLOCK_ERROR_NOT_SUPPORTED, TTLOCK_ERROR_ALREADY_EXISTS,
                TTLOCK_ERROR_DOES_NOT_EXIST, TTLOCK_ERROR_NOT_PAIRED,    TTLOCK_ERROR_AUTHENTICATION_FAILED,
                TTLOCK_ERROR_TIMEOUT,        TTLOCK_ERROR_UNREACHABLE,   TTLOCK_ERROR_LOCK_REFUSED,
        };
        size_t n = 0;

        for (const sd_bus_error_map *m = ttlockd_error_map; m->name; m++, n++) {
                /* each errno once, so the reverse lookup is unambiguous */
                for (const sd_bus_error_map *o = m + 1; o->name; o++)
                        ck_assert_int_ne(m->code, o->code);
                ck_assert_str_eq(ttlockd_error_name_from_errno(m->code), m->name);
                ck_assert_str_eq(ttlockd_error_name_from_errno(-m->code), m->name);
        }
        /* Every error name the dbus/org.ttlock.*.xml files list is in the map. */
        ck_assert_uint_eq(n, ELEMENTSOF(names));
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                bool found = false;
                for (const sd_bus_error_map *m = ttlockd_error_map; m->name; m++)
                        found = found || strcmp(m->name, names[i]) == 0;
                ck_assert_msg(found, "%s missing from the map", names[i]);
        }
        ck_assert_ptr_null(ttlockd_error_name_from_errno(0));
        ck_assert_ptr_null(ttlockd_error_name_from_errno(EINVAL));
}
END_TEST

START_TEST(test_register_and_set) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        ck_assert_int_eq(ttlockd_errors_register(), 0);
        ck_assert_int_eq(ttlockd_errors_register(), 0);
        /* With the map registered, clients get our errno back from the name. */
        ck_assert_int_eq(sd_bus_error_set(&e, TTLOCK_ERROR_TIMEOUT, "x"), -ETIMEDOUT);
        ck_assert_int_eq(sd_bus_error_get_errno(&e), ETIMEDOUT);
        sd_bus_error_free(&e);

        ck_assert_int_eq(ttlockd_error_set_errnof(&e, -ENOKEY, "Lock %s is not paired.", "AA"), -ENOKEY);
        ck_assert_str_eq(e.name, TTLOCK_ERROR_NOT_PAIRED);
        ck_assert_str_eq(e.message, "Lock AA is not paired.");
        sd_bus_error_free(&e);

        /* Not ours: sd-bus's standard mapping. */
        ck_assert_int_eq(ttlockd_error_set_errnof(&e, EINVAL, "bad %d", 1), -EINVAL);
        ck_assert_str_eq(e.name, SD_BUS_ERROR_INVALID_ARGS);
        ck_assert_str_eq(e.message, "bad 1");
        sd_bus_error_free(&e);
        ck_assert_int_eq(ttlockd_error_set_errnof(&e, -EACCES, "no"), -EACCES);
        ck_assert_str_eq(e.name, SD_BUS_ERROR_ACCESS_DENIED);
        sd_bus_error_free(&e);

        /* Any other errno is Failed, never an undocumented "System.Error.EROFS". */
        ck_assert_int_eq(ttlockd_error_set_errnof(&e, -EROFS, "Cannot save: %s", strerror(EROFS)), -EROFS);
        ck_assert_str_eq(e.name, TTLOCK_ERROR_FAILED);
        ck_assert_str_eq(e.message, "Cannot save: Read-only file system");
        sd_bus_error_free(&e);
        ck_assert_int_eq(ttlockd_error_set_errnof(&e, ENOSPC, NULL), -ENOSPC);
        ck_assert_str_eq(e.name, TTLOCK_ERROR_FAILED);
        sd_bus_error_free(&e);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("errors");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_names_unique_and_mapped);
        tcase_add_test(tc, test_register_and_set);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
