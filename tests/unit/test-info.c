/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "command.h"
#include "info.h"
#include "reply.h"
#include "tt-test.h"

/* Runs the encoder statement(s) given as the last argument with `_w` as the writer and compares
 * what was written with hex. */
#define ASSERT_ENCODES(hex, ...)                                                \
        do {                                                                   \
                uint8_t _obuf[256];                                            \
                TTWriter _w = TT_WRITER(_obuf, sizeof(_obuf));                 \
                size_t _olen;                                                  \
                __VA_ARGS__;                                                   \
                ck_assert_int_eq(tt_writer_finish(&_w, &_olen, NULL), 0);      \
                tt_assert_hex_eq(_obuf, _olen, hex);                           \
        } while (0)

START_TEST(test_feature_request_v6) {
        uint8_t buf[4] = { 0x00 };
        TTError e = {};

        /* §10.3 V6 / R1: the request has no payload. */
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_SEARCH_DEVICE_FEATURE, buf, 0, &e), 0);
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_SEARCH_DEVICE_FEATURE, buf, 1, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "trailing garbage: 1 byte after SEARCH_DEVICE_FEATURE request (it has no payload)");
}
END_TEST

START_TEST(test_feature_reply_v7) {
        /* §10.3 V7 (data of kind3r/ttlock-sdk-js#8): battery 100, bits {0,5,6,7,8,12,14,18,29}. */
        static const char *const want[] = {
                "passcode", "passcode-with-delete", "firmware-setting", "modify-passcode", "manual-lock",
                "cyclic-passcode", "remote-unlock", "admin-passcode", "reset-button",
        };
        uint8_t buf[32];
        size_t n = tt_unhex("0101 64 200451e1", buf, sizeof(buf)), k = 0;
        TTReply rep;
        TTFeatureReply f;

        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, TTLOCK_CMD_SEARCH_DEVICE_FEATURE);
        ck_assert_int_eq(ttlock_feature_reply_decode(rep.data, rep.data_len, &f, NULL), 0);
        ck_assert_uint_eq(f.battery, 100);
        ck_assert_uint_eq(f.features.n_groups, 1);
        for (unsigned bit = 0; bit < 256; bit++) {
                if (!ttlock_features_has(&f.features, bit))
                        continue;
                ck_assert_msg(k < ELEMENTSOF(want), "unexpected bit %u", bit);
                ck_assert_str_eq(ttlock_feature_name(bit), want[k]);
                k++;
        }
        ck_assert_uint_eq(k, ELEMENTSOF(want));
        ASSERT_ENCODES("64 200451e1", ttlock_feature_reply_encode(&_w, &f));
}
END_TEST

START_TEST(test_feature_reply_16_bytes) {
        /* kind3r/hass-addons#41: 16 feature bytes; bits 32 (dead-lock) and 43 (sound-volume) live
         * in group 1, which [JS] dropped (§11.4). */
        uint8_t buf[32];
        size_t n = tt_unhex("55 200451e1 00000801 00000000 00000000", buf, sizeof(buf));
        TTFeatureReply f, in = { .battery = 85 };

        ck_assert_int_eq(ttlock_feature_reply_decode(buf, n, &f, NULL), 0);
        ck_assert_uint_eq(f.battery, 85);
        ck_assert_uint_eq(f.features.n_groups, 4);
        ck_assert(ttlock_features_has(&f.features, TTLOCK_FEATURE_DEAD_LOCK));
        ck_assert(ttlock_features_has(&f.features, TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING));
        ck_assert(!ttlock_features_has(&f.features, 33));
        ck_assert(!ttlock_features_has(&f.features, TTLOCK_FEATURE_DOOR_SENSOR));
        ck_assert(ttlock_features_has(&f.features, TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK));
        ASSERT_ENCODES("55 200451e1 00000801 00000000 00000000", ttlock_feature_reply_encode(&_w, &f));

        /* Built from bits, as the simulator does. */
        ttlock_features_set(&in.features, 32);
        ttlock_features_set(&in.features, 43);
        ASSERT_ENCODES("55 00000000 00000801", ttlock_feature_reply_encode(&_w, &in));
}
END_TEST

START_TEST(test_feature_reply_reject) {
        uint8_t buf[32];
        size_t n = tt_unhex("64 2004", buf, sizeof(buf));
        TTFeatureReply f, untouched;
        TTError e = {};

        memset(&f, 0x11, sizeof(f));
        memcpy(&untouched, &f, sizeof(untouched)); /* not `=`, which need not copy padding */
        ck_assert_int_eq(ttlock_feature_reply_decode(buf, n, &f, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "truncated: feature group 0 needs 4 bytes at offset 1, 2 left");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_feature_reply_decode(buf, 0, &f, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: battery needs 1 byte at offset 0, 0 left");
        ck_assert_mem_eq(&f, &untouched, sizeof(f));

        /* A trailing partial group is ignored (§4.3), not an error. */
        n = tt_unhex("64 200451e1 0008", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_feature_reply_decode(buf, n, &f, NULL), 0);
        ck_assert_uint_eq(f.features.n_groups, 1);
}
END_TEST

START_TEST(test_device_info_types) {
        static const struct {
                uint8_t type;
                const char *name;
        } types[] = {
                { 1, "model" }, { 2, "hardware-revision" }, { 3, "firmware-revision" },
                { 4, "manufacture-date" }, { 5, "mac" }, { 6, "lock-clock" }, { 7, "nb-operator" },
                { 8, "nb-imei" }, { 9, "nb-card" }, { 10, "nb-rssi" }, { 12, "passcode-key-number" },
        };
        unsigned named = 0;

        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                uint8_t buf[1] = { types[i].type }, got = 0;

                ck_assert_str_eq(ttlock_device_info_type_name(types[i].type), types[i].name);
                ck_assert_int_eq(ttlock_device_info_request_decode(buf, 1, &got, NULL), 0);
                ck_assert_uint_eq(got, types[i].type);
        }
        for (unsigned t = 0; t < 256; t++)
                named += ttlock_device_info_type_name((uint8_t) t) != NULL;
        ck_assert_uint_eq(named, ELEMENTSOF(types));

        ASSERT_ENCODES("01", ck_assert_int_eq(ttlock_device_info_request_encode(&_w, 1), 0));
        ASSERT_ENCODES("0c", ck_assert_int_eq(ttlock_device_info_request_encode(&_w, 12), 0));
}
END_TEST

START_TEST(test_device_info_request_reject) {
        uint8_t buf[4], type = 99, out[4];
        size_t n = tt_unhex("0b", buf, sizeof(buf));
        TTWriter w = TT_WRITER(out, sizeof(out));
        TTError e = {};

        ck_assert_int_eq(ttlock_device_info_request_encode(&w, 11), -EINVAL);
        ck_assert_int_eq(ttlock_device_info_request_encode(&w, 0), -EINVAL);
        ck_assert_uint_eq(w.len, 0);

        ck_assert_int_eq(ttlock_device_info_request_decode(buf, n, &type, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "type: 11 is not a READ_DEVICE_INFO type");
        e = (TTError) {};
        n = tt_unhex("0102", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_device_info_request_decode(buf, n, &type, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "trailing garbage: 1 byte after READ_DEVICE_INFO type");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_device_info_request_decode(buf, 0, &type, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: type needs 1 byte at offset 0, 0 left");
        ck_assert_uint_eq(type, 99);
}
END_TEST

START_TEST(test_device_info_reply) {
        uint8_t buf[64];
        size_t n = tt_unhex("9001 4d3230315f504c55530a", buf, sizeof(buf));
        TTReply rep;
        TTDeviceInfoReply d;

        /* "M201_PLUS" + a terminator byte (whatever it is, it is dropped, §4.3). */
        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, TTLOCK_CMD_READ_DEVICE_INFO);
        ck_assert_int_eq(ttlock_device_info_reply_decode(rep.data, rep.data_len, &d, NULL), 0);
        ck_assert_str_eq(d.text, "M201_PLUS");
        ASSERT_ENCODES("4d3230315f504c555300",
                       ck_assert_int_eq(ttlock_device_info_reply_encode(&_w, d.text), 0));

        /* Just the terminator: an empty string. */
        ck_assert_int_eq(ttlock_device_info_reply_decode(buf + 2, 0 + 1, &d, NULL), 0);
        ck_assert_str_eq(d.text, "");

        /* Round trip of the longest text. */
        {
                char text[TTLOCK_DEVICE_INFO_TEXT_MAX + 1];
                uint8_t out[TTLOCK_DEVICE_INFO_TEXT_MAX + 1];
                TTWriter w = TT_WRITER(out, sizeof(out));
                size_t len;

                memset(text, '7', TTLOCK_DEVICE_INFO_TEXT_MAX);
                text[TTLOCK_DEVICE_INFO_TEXT_MAX] = 0;
                ck_assert_int_eq(ttlock_device_info_reply_encode(&w, text), 0);
                ck_assert_int_eq(tt_writer_finish(&w, &len, NULL), 0);
                ck_assert_int_eq(ttlock_device_info_reply_decode(out, len, &d, NULL), 0);
                ck_assert_str_eq(d.text, text);
        }
}
END_TEST

START_TEST(test_device_info_reply_reject) {
        uint8_t buf[300];
        size_t n = tt_unhex("4d 0a 32 00", buf, sizeof(buf));
        TTDeviceInfoReply d, untouched;
        TTError e = {};
        uint8_t out[8];
        TTWriter w = TT_WRITER(out, sizeof(out));

        memset(&d, 0x41, sizeof(d));
        memcpy(&untouched, &d, sizeof(untouched)); /* not `=`, which need not copy padding */
        ck_assert_int_eq(ttlock_device_info_reply_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "text: byte 1 is 0x0a, not printable ASCII");
        e = (TTError) {};
        n = tt_unhex("4d c3a9 00", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_device_info_reply_decode(buf, n, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "text: byte 1 is 0xc3, not printable ASCII");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_device_info_reply_decode(buf, 0, &d, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: READ_DEVICE_INFO reply has no terminator byte");
        e = (TTError) {};
        memset(buf, 'x', sizeof(buf));
        ck_assert_int_eq(ttlock_device_info_reply_decode(buf, TTLOCK_DEVICE_INFO_TEXT_MAX + 2, &d, &e),
                         -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "READ_DEVICE_INFO text of 237 bytes is longer than 236");
        ck_assert_mem_eq(&d, &untouched, sizeof(d));

        ck_assert_int_eq(ttlock_device_info_reply_encode(&w, "tab\there"), -EINVAL);
        ck_assert_uint_eq(w.len, 0);
}
END_TEST

START_TEST(test_lock_time) {
        uint8_t buf[32];
        size_t n = tt_unhex("3401 1501130c2238", buf, sizeof(buf));
        TTReply rep;
        TTDateTime t, untouched = { 1999 };
        TTError e = {};

        /* Empty request. */
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_GET_LOCK_TIME, buf, 0, NULL), 0);
        ck_assert_int_eq(ttlock_empty_request_decode(TTLOCK_CMD_GET_LOCK_TIME, buf, 3, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e),
                         "trailing garbage: 3 bytes after GET_LOCK_TIME request (it has no payload)");

        ck_assert_int_eq(ttlock_reply_parse(buf, n, &rep, NULL), 0);
        ck_assert_uint_eq(rep.command, TTLOCK_CMD_GET_LOCK_TIME);
        ck_assert_int_eq(ttlock_lock_time_reply_decode(rep.data, rep.data_len, &t, NULL), 0);
        ck_assert_uint_eq(t.year, 2021);
        ck_assert_uint_eq(t.month, 1);
        ck_assert_uint_eq(t.day, 19);
        ck_assert_uint_eq(t.hour, 12);
        ck_assert_uint_eq(t.minute, 34);
        ck_assert_uint_eq(t.second, 56);
        ASSERT_ENCODES("1501130c2238", ck_assert_int_eq(ttlock_lock_time_reply_encode(&_w, &t), 0));

        /* Here the date is the answer: an impossible one is an error. */
        e = (TTError) {};
        t = untouched;
        n = tt_unhex("15021e0c2238", buf, sizeof(buf));
        ck_assert_int_eq(ttlock_lock_time_reply_decode(buf, n, &t, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "time at offset 0: day 30 does not exist in 2021-02");
        e = (TTError) {};
        ck_assert_int_eq(ttlock_lock_time_reply_decode(buf, 4, &t, &e), -EBADMSG);
        ck_assert_str_eq(tt_error_message(&e), "truncated: time needs 6 bytes at offset 0, 4 left");
        ck_assert_uint_eq(t.year, 1999);

        {
                TTDateTime bad = { 2100, 1, 1, 0, 0, 0 };
                uint8_t out[8];
                TTWriter w = TT_WRITER(out, sizeof(out));
                ck_assert_int_eq(ttlock_lock_time_reply_encode(&w, &bad), -EINVAL);
                ck_assert_uint_eq(w.len, 0);
        }
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("info");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_feature_request_v6);
        tcase_add_test(tc, test_feature_reply_v7);
        tcase_add_test(tc, test_feature_reply_16_bytes);
        tcase_add_test(tc, test_feature_reply_reject);
        tcase_add_test(tc, test_device_info_types);
        tcase_add_test(tc, test_device_info_request_reject);
        tcase_add_test(tc, test_device_info_reply);
        tcase_add_test(tc, test_device_info_reply_reject);
        tcase_add_test(tc, test_lock_time);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
