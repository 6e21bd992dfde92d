/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "info.h"

/* ---- SEARCH_DEVICE_FEATURE ---- */

void ttlock_feature_reply_encode(TTWriter *w, const TTFeatureReply *f) {
        tt_put_u8(w, f->battery);
        ttlock_features_encode(w, &f->features);
}

int ttlock_feature_reply_decode(const uint8_t *data, size_t len, TTFeatureReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e), probe;
        TTFeatureReply f = {};
        const uint8_t *groups;
        size_t n;
        int r;

        r = tt_get_u8(&rd, "battery", &f.battery);
        if (r < 0)
                return r;
        /* A reply without group 0 would read as "supports nothing", and the daemon would then
         * refuse every command: better to call it malformed. Probe on a copy of the reader. */
        probe = rd;
        r = tt_skip(&probe, "feature group 0", 4);
        if (r < 0)
                return r;
        /* All groups, not just the first ([JS] bug, §11.4): DEAD_LOCK is bit 32. */
        n = tt_reader_left(&rd);
        r = tt_get_bytes(&rd, "feature groups", n, &groups);
        if (r < 0)
                return r;
        r = ttlock_features_decode(groups, n, &f.features, e);
        if (r < 0)
                return r;

        *ret = f;
        return 0;
}

/* ---- READ_DEVICE_INFO ---- */

const char *ttlock_device_info_type_name(uint8_t type) {
        switch (type) {
        case TTLOCK_DEVICE_INFO_MODEL: return "model";
        case TTLOCK_DEVICE_INFO_HARDWARE_REVISION: return "hardware-revision";
        case TTLOCK_DEVICE_INFO_FIRMWARE_REVISION: return "firmware-revision";
        case TTLOCK_DEVICE_INFO_MANUFACTURE_DATE: return "manufacture-date";
        case TTLOCK_DEVICE_INFO_MAC: return "mac";
        case TTLOCK_DEVICE_INFO_LOCK_CLOCK: return "lock-clock";
        case TTLOCK_DEVICE_INFO_NB_OPERATOR: return "nb-operator";
        case TTLOCK_DEVICE_INFO_NB_IMEI: return "nb-imei";
        case TTLOCK_DEVICE_INFO_NB_CARD: return "nb-card";
        case TTLOCK_DEVICE_INFO_NB_RSSI: return "nb-rssi";
        case TTLOCK_DEVICE_INFO_PASSCODE_KEY_NUMBER: return "passcode-key-number";
        }
        return NULL;
}

int ttlock_device_info_request_encode(TTWriter *w, uint8_t type) {
        if (!ttlock_device_info_type_name(type))
                return -EINVAL;
        tt_put_u8(w, type);
        return 0;
}

int ttlock_device_info_request_decode(const uint8_t *data, size_t len, uint8_t *ret_type, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        uint8_t type;
        int r;

        r = tt_get_u8(&rd, "type", &type);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "READ_DEVICE_INFO type");
        if (r < 0)
                return r;
        if (!ttlock_device_info_type_name(type))
                return tt_error(e, -EBADMSG, "type: %u is not a READ_DEVICE_INFO type", type);

        *ret_type = type;
        return 0;
}

static bool printable(uint8_t c) {
        return c >= 0x20 && c <= 0x7E;
}

int ttlock_device_info_reply_encode(TTWriter *w, const char *text) {
        size_t n = strlen(text);

        if (n > TTLOCK_DEVICE_INFO_TEXT_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!printable((uint8_t) text[i]))
                        return -EINVAL;
        tt_put_bytes(w, text, n);
        tt_put_u8(w, 0);
        return 0;
}

int ttlock_device_info_reply_decode(const uint8_t *data, size_t len, TTDeviceInfoReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTDeviceInfoReply d = {};
        const uint8_t *text;
        size_t n;
        int r;

        if (len == 0)
                return tt_error(e, -EBADMSG, "truncated: READ_DEVICE_INFO reply has no terminator byte");
        n = len - 1;
        if (n > TTLOCK_DEVICE_INFO_TEXT_MAX)
                return tt_error(e, -EBADMSG, "READ_DEVICE_INFO text of %zu bytes is longer than %u", n,
                                TTLOCK_DEVICE_INFO_TEXT_MAX);
        r = tt_get_bytes(&rd, "text", n, &text);
        if (r < 0)
                return r;
        r = tt_skip(&rd, "terminator", 1);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (!printable(text[i]))
                        return tt_error(e, -EBADMSG, "text: byte %zu is 0x%02x, not printable ASCII", i,
                                        text[i]);

        memcpy(d.text, text, n);
        *ret = d;
        return 0;
}

/* ---- GET_LOCK_TIME ---- */

int ttlock_lock_time_reply_encode(TTWriter *w, const TTDateTime *t) {
        return ttlock_put_date6(w, t, "time", /* e= */ NULL);
}

int ttlock_lock_time_reply_decode(const uint8_t *data, size_t len, TTDateTime *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTDateTime t;
        int r;

        /* Here the date is the whole answer, so unlike the unlock reply an impossible one is an
         * error, not "unknown". Trailing bytes are ignored, as the official SDK does. */
        r = ttlock_get_date6(&rd, "time", &t);
        if (r < 0)
                return r;

        *ret = t;
        return 0;
}
