/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The fault matrix, answers that do not come or cannot be read (fault-flows.h), at every step of a flow:
 *  - no-reply: the lock carries out the command and says nothing;
 *  - bad-crc ×2: the answer and the answer to the one resend (§9.1) have a broken CRC;
 *  - garbage: a notification of noise comes ahead of the answer;
 *  - garbage-frame: a frame whose header, length and CRC are right but whose body is noise comes ahead
 *    of the answer.
 * Each over the flows it tells most about; the connection drops of test-fault-drops cover all of them. */

#include <check.h>
#include <stdlib.h>

#include "fault-flows.h"

static const struct {
        const char *kind;
        unsigned count;
        const char *flow;
} cases[] = {
        /* A silent lock costs a reply time-out per step: the two flows with the most kinds of step. */
        { "no-reply", 1, "unlock-lock" },
        { "no-reply", 1, "passcode-paging" },
        { "bad-crc", 2, "pair" },
        { "bad-crc", 2, "unlock-lock" },
        { "bad-crc", 2, "passcode-paging" },
        { "garbage", 1, "unlock-lock" },
        { "garbage", 1, "enrollment" },
        { "garbage-frame", 1, "pair" },
        { "garbage-frame", 1, "unlock-lock" },
        { "garbage-frame", 1, "passcode-paging" },
};

START_TEST(test_replies) {
        const Flow *f = fault_flow(cases[_i].flow);

        if (fault_flow_wanted(f))
                fault_matrix(f, cases[_i].kind, cases[_i].count);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("fault-replies");
        TCase *tc = tcase_create("replies");

        tcase_set_timeout(tc, 600);
        tcase_add_loop_test(tc, test_replies, 0, (int) ELEMENTSOF(cases));
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
