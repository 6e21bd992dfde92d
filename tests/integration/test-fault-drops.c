/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, connection drops (fault-flows.h): at every step of pairing, unlock and lock, the log
 * read after a door event, paging through 40 passcodes, a fingerprint enrollment, the settings and a
 * factory reset, the lock carries out the command and drops the link instead of answering
 * (drop-connection@COMMAND#N). */

#include <check.h>
#include <stdlib.h>

#include "fault-flows.h"

START_TEST(test_drops) {
        if (fault_flow_wanted(&fault_flows[_i]))
                fault_matrix(&fault_flows[_i], "drop-connection", 1);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-drops");
        TCase *tc = tcase_create("drops");

        /* One loop iteration per flow; the log names each. */
        tcase_set_timeout(tc, 600);
        tcase_add_loop_test(tc, test_drops, 0, (int) fault_n_flows);
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
