/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Raw advertising data as an ESPHome proxy forwards it (src/daemon/radio/ad.c): what any device near a
 * proxy can make it send us. Promises checked: nothing is read past the end (ASan); the name is
 * printable and bounded; the manufacturer data fits; zero padding after the data changes nothing. */

#include "ad.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t padded[1024];
        AdInfo a, b;
        int r, k;

        r = ad_parse(data, size, &a);
        fuzz_check(r == 0 || r == -EBADMSG, "error %d", r);
        fuzz_check(a.mfr_len <= AD_MFR_MAX, "mfr %zu", a.mfr_len);
        fuzz_check(strlen(a.name) <= AD_NAME_MAX && (a.have_name == (a.name[0] != 0)), "name");
        for (const char *c = a.name; *c; c++)
                fuzz_check(*c >= 0x20 && *c < 0x7f, "unprintable 0x%02x", (unsigned char) *c);
        fuzz_check(
                !ad_is_ttlock(&a) || a.ttlock_service || (a.have_mfr && a.mfr_key == AD_TTLOCK_MFR_KEY_V3),
                "ttlock");
        if (r == 0 && size + 8 <= sizeof(padded)) {
                memcpy(padded, data, size);
                memset(padded + size, 0, 8);
                k = ad_parse(padded, size + 8, &b);
                fuzz_check(k == 0 && memcmp(&a, &b, sizeof(a)) == 0, "zero padding changed the result");
        }
        return 0;
}
