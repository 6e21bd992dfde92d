/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SEARCH_DEVICE_FEATURE bit groups (feature-bits.h, doc/protocol.md §4.3, §8): any byte string decodes to
 * whole 4-byte big-endian groups (a trailing partial group and groups past the eighth are ignored),
 * re-encodes to exactly those bytes, and every bit answers ttlock_features_has() as the bytes say. */

#include "feature-bits.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TTFeatures f = {}, g = {}, h = {};
        TTError e = {};
        uint8_t buf[4 * TTLOCK_FEATURE_GROUPS_MAX];
        TTWriter w = TT_WRITER(buf, sizeof(buf));
        size_t len = 0, expect_groups;
        int r;

        r = ttlock_features_decode(data, size, &f, &e);
        fuzz_check_result("ttlock_features_decode", r, &e);
        if (r < 0)
                return 0;

        expect_groups = size / 4 < TTLOCK_FEATURE_GROUPS_MAX ? size / 4 : TTLOCK_FEATURE_GROUPS_MAX;
        fuzz_check(f.n_groups == expect_groups, "%zu groups from %zu bytes", f.n_groups, size);

        for (unsigned bit = 0; bit < 32 * TTLOCK_FEATURE_GROUPS_MAX + 8; bit++) {
                size_t byte = (bit / 32) * 4 + 3 - (bit % 32) / 8; /* big-endian within the group */
                bool want = bit / 32 < f.n_groups && (data[byte] >> (bit % 8) & 1);
                const char *name;

                fuzz_check(ttlock_features_has(&f, bit) == want, "bit %u: has() says %d", bit, !want);

                /* Setting a bit that is set changes nothing; rebuilding from has() gives the same set. */
                if (want)
                        ttlock_features_set(&g, bit);

                name = ttlock_feature_name(bit);
                if (name)
                        fuzz_check(ttlock_feature_from_name(name) == (int) bit, "name \"%s\" maps back to %d", name,
                                   ttlock_feature_from_name(name));
        }
        for (size_t i = 0; i < g.n_groups; i++)
                fuzz_check(g.groups[i] == f.groups[i], "group %zu rebuilt bit by bit differs", i);
        for (size_t i = g.n_groups; i < f.n_groups; i++)
                fuzz_check(f.groups[i] == 0, "group %zu is non-zero but set() did not need it", i);

        ttlock_features_encode(&w, &f);
        r = tt_writer_finish(&w, &len, &e);
        fuzz_check_result("tt_writer_finish", r, &e);
        fuzz_check(r >= 0 && fuzz_mem_eq(buf, len, data, 4 * f.n_groups),
                   "re-encoding gives %zu bytes, not the %zu decoded", len, 4 * f.n_groups);

        r = ttlock_features_decode(buf, len, &h, &e);
        fuzz_check_result("ttlock_features_decode (re-encoded)", r, &e);
        fuzz_check(r >= 0 && h.n_groups == f.n_groups &&
                   memcmp(h.groups, f.groups, f.n_groups * sizeof(uint32_t)) == 0,
                   "re-encoded features decode differently");

        /* Names are free text from the simulator's command line: any string must be safe. */
        if (size < 64) {
                char s[64];
                int bit;

                memcpy(s, data, size);
                s[size] = '\0';
                bit = ttlock_feature_from_name(s);
                if (bit >= 0)
                        fuzz_check(ttlock_feature_name((unsigned) bit) &&
                                   strcmp(ttlock_feature_name((unsigned) bit), s) == 0,
                                   "\"%s\" is bit %d, which is named \"%s\"", s, bit,
                                   ttlock_feature_name((unsigned) bit) ?: "(null)");
                else
                        fuzz_check(bit == -EINVAL, "from_name returned %d", bit);
        }
        return 0;
}
