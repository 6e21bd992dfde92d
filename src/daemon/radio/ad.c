/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "ad.h"
#include "macro.h"

/* Assigned numbers, "Common Data Types" (Bluetooth SIG Assigned Numbers §2.3). */
#define AD_UUID16_INCOMPLETE 0x02
#define AD_UUID16_COMPLETE 0x03
#define AD_NAME_SHORT 0x08
#define AD_NAME_COMPLETE 0x09
#define AD_MANUFACTURER 0xFF

static void set_name(AdInfo *a, const uint8_t *p, size_t n, bool complete) {
        /* A complete name wins over a shortened one, whichever comes first. */
        if (a->have_name && !complete)
                return;
        n = MIN(n, (size_t) AD_NAME_MAX);
        for (size_t i = 0; i < n; i++)
                a->name[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char) p[i] : '?';
        a->name[n] = 0;
        a->have_name = n > 0;
}

int ad_parse(const uint8_t *data, size_t len, AdInfo *ret) {
        size_t pos = 0;

        assert(data || len == 0);
        assert(ret);
        *ret = (AdInfo){};
        while (pos < len) {
                size_t n = data[pos];
                const uint8_t *p;
                uint8_t type;

                if (n == 0)
                        break;
                if (n > len - pos - 1)
                        return -EBADMSG;
                type = data[pos + 1];
                p = data + pos + 2;
                n--; /* the type byte */
                switch (type) {
                case AD_UUID16_INCOMPLETE:
                case AD_UUID16_COMPLETE:
                        for (size_t i = 0; i + 1 < n; i += 2)
                                if ((uint16_t) (p[i] | p[i + 1] << 8) == AD_TTLOCK_SERVICE_UUID)
                                        ret->ttlock_service = true;
                        break;
                case AD_NAME_SHORT:
                case AD_NAME_COMPLETE:
                        set_name(ret, p, n, type == AD_NAME_COMPLETE);
                        break;
                case AD_MANUFACTURER: {
                        uint16_t key;

                        if (n < 2)
                                break;
                        key = (uint16_t) (p[0] | p[1] << 8);
                        /* The first, or the V3 key's (as bluez.c keeps BlueZ's a{qv}). */
                        if (ret->have_mfr && key != AD_TTLOCK_MFR_KEY_V3)
                                break;
                        ret->have_mfr = true;
                        ret->mfr_key = key;
                        ret->mfr_len = MIN(n - 2, (size_t) AD_MFR_MAX);
                        memcpy(ret->mfr, p + 2, ret->mfr_len);
                        break;
                }
                default:
                        break;
                }
                pos += 1 + 1 + n;
        }
        return 0;
}

bool ad_is_ttlock(const AdInfo *a) {
        assert(a);

        return a->ttlock_service || (a->have_mfr && a->mfr_key == AD_TTLOCK_MFR_KEY_V3);
}
