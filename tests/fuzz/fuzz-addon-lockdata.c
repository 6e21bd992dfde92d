/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* addon-lockdata.h: the input is a lockData.json of the old Home Assistant add-on (or anything
 * else); every element of a top-level array goes to ttlock_addon_lockdata_from_json(), and the whole
 * file to ttlock_lockdata_parse(). Accepted records must survive the add-on's own format and the
 * lockData string (fuzz-lockdata.h). */

#include <json-c/json.h>

#include "fuzz-lockdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;
        struct json_object *root = NULL;
        TTError e = {};
        int r;

        r = ttlock_lockdata_json_parse((const char *) data, size, &root, &e);
        fuzz_check_result("ttlock_lockdata_json_parse", r, &e);
        if (r >= 0 && json_object_is_type(root, json_type_array))
                for (size_t i = 0; i < json_object_array_length(root) && i < TTLOCK_LOCKDATA_LOCKS_MAX;
                     i++) {
                        _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;
                        TTError ee = {};

                        r = ttlock_addon_lockdata_from_json(json_object_array_get_idx(root, i), &d, &ee);
                        fuzz_check_result("ttlock_addon_lockdata_from_json", r, &ee);
                        fuzz_check((r >= 0) == !!d, "result %d with record %p", r, (void *) d);
                        if (d) {
                                fuzz_check(
                                        d->role == TTLOCK_ROLE_ADMIN && d->has_admin_ps &&
                                                d->lock_flag_pos == 0 && d->uid == 0,
                                        "an add-on record is a locally paired admin");
                                fuzz_lockdata_round_trip(d);
                        }
                }
        ttlock_lockdata_json_free(root);

        e = (TTError){};
        r = ttlock_lockdata_parse((const char *) data, size, &s, &e);
        fuzz_lockdata_check_set(r, &e, s);
        return 0;
}
