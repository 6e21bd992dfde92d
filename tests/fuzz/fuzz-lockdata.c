/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdata.h: the first input byte picks what the rest is fed to —
 *   0  ttlock_lockdata_decode(): one lockData string;
 *   1  ttlock_lockdata_parse(): any input ImportLocks() takes;
 *   2  ttlock_lockdata_secret_decode(): an adminPwd / lockKey field;
 *   3  the rest as the JSON inside a lockData string: sealed with a fixed MAC, then decoded, so
 *      that the inner field parser sees what random ciphertext would never decrypt to.
 * Whatever is accepted must re-encode to the same keys (fuzz-lockdata.h). */

#include "fuzz-lockdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        TTError e = {};
        size_t len;
        int r;

        if (size < 1)
                return 0;
        len = size - 1;
        /* The parsers take text with a length; a copy with a NUL after it keeps the fuzzer honest
         * about reading past len. */
        text = malloc(len + 1);
        if (!text)
                return 0;
        memcpy(text, data + 1, len);
        text[len] = 0;

        switch (data[0] % 4) {
        case 0: {
                _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;

                r = ttlock_lockdata_decode(text, len, &d, &e);
                fuzz_check_result("ttlock_lockdata_decode", r, &e);
                fuzz_check((r >= 0) == !!d, "result %d with record %p", r, (void *) d);
                if (d)
                        fuzz_lockdata_round_trip(d);
                break;
        }
        case 1: {
                _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;

                r = ttlock_lockdata_parse(text, len, &s, &e);
                fuzz_lockdata_check_set(r, &e, s);
                break;
        }
        case 2: {
                char digits[32];

                if (memchr(text, 0, len))
                        break; /* a C string field: json-c never hands one with a NUL inside */
                r = ttlock_lockdata_secret_decode(text, digits, sizeof(digits), &e);
                fuzz_check_result("ttlock_lockdata_secret_decode", r, &e);
                if (r >= 0) {
                        size_t n = strlen(digits);

                        fuzz_check(n > 0 && strspn(digits, "0123456789") == n, "decoded to non-digits");
                        if (n <= TTLOCK_LOCKDATA_PASSCODE_MAX) {
                                _cleanup_free_ char *field = NULL;
                                char again[32];

                                r = ttlock_lockdata_secret_encode(digits, 77, &field, &e);
                                fuzz_check(r >= 0, "cannot encode decoded digits: %s", e.message);
                                r = ttlock_lockdata_secret_decode(field, again, sizeof(again), &e);
                                fuzz_check(
                                        r >= 0 && streq(digits, again),
                                        "secret round trip changed the digits");
                        }
                }
                break;
        }
        case 3: {
                _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;
                char *sealed = NULL;

                if (len == 0 || ttlock_lockdata_wrap(text, len, "AA:BB:CC:00:00:01", &sealed, NULL) < 0)
                        break;
                r = ttlock_lockdata_decode(sealed, strlen(sealed), &d, &e);
                fuzz_check_result("ttlock_lockdata_decode (sealed)", r, &e);
                if (d) {
                        fuzz_check(
                                streq(d->address, "AA:BB:CC:00:00:01"),
                                "sealed for one lock, read as %s",
                                d->address);
                        fuzz_lockdata_round_trip(d);
                }
                ttlock_lockdata_text_free(sealed);
                break;
        }
        }
        return 0;
}
