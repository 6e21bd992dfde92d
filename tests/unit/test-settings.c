/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The settings family (doc/protocol.md §4.3): §10.3 plaintexts V18–V20, round trips of every request
 * and reply, and what the decoders refuse or tolerate. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "settings.h"
#include "tt-test.h"

/* A codec is named by one of the CODEC_* lists below: encoder, decoder, value type, equality. The
 * outer macros expand that list before handing it to the inner ones. */
#define ROUND_TRIP(...) ROUND_TRIP_(__VA_ARGS__)
#define DECODES_TO(...) DECODES_TO_(__VA_ARGS__)
#define DECODE_FAILS(...) DECODE_FAILS_(__VA_ARGS__)
#define ENCODE_FAILS(...) ENCODE_FAILS_(__VA_ARGS__)

/* Encode *val, compare with hex, decode it back into a poisoned T and compare with eq. Both
 * directions of every codec go through here. */
#define ROUND_TRIP_(enc, dec, T, eq, val, hex)                                                      \
        do {                                                                                        \
                uint8_t _b[256];                                                                    \
                size_t _len = 0;                                                                      \
                TTError _e = {};                                                                    \
                TTWriter _w = TT_WRITER(_b, sizeof(_b));                                            \
                T _out;                                                                             \
                ck_assert_int_eq(enc(&_w, (val), &_e), 0);                                          \
                ck_assert_int_eq(tt_writer_finish(&_w, &_len, &_e), 0);                               \
                tt_assert_hex_eq(_b, _len, hex);                                                      \
                memset(&_out, 0x5A, sizeof(_out));                                                  \
                ck_assert_msg(dec(_b, _len, &_out, &_e) == 0, "decode failed: %s",                    \
                              tt_error_message(&_e));                                               \
                ck_assert_msg(eq((val), &_out), "round trip of %s changed the value", hex);         \
        } while (0)

/* Decoding hex must succeed and give *expected. */
#define DECODES_TO_(enc, dec, T, eq, hex, expected)                                                 \
        do {                                                                                        \
                uint8_t _d[512];                                                                    \
                size_t _len = tt_unhex((hex), _d, sizeof(_d));                                        \
                TTError _e = {};                                                                    \
                T _out;                                                                             \
                memset(&_out, 0x5A, sizeof(_out));                                                  \
                ck_assert_msg(dec(_d, _len, &_out, &_e) == 0, "decode of %s failed: %s", (hex),       \
                              tt_error_message(&_e));                                               \
                ck_assert_msg(eq((expected), &_out), "decode of %s gave another value", (hex));     \
        } while (0)

/* Decoding hex must fail with -EBADMSG, a message containing needle, and *ret untouched. */
#define DECODE_FAILS_(enc, dec, T, eq, hex, needle)                                                 \
        do {                                                                                        \
                uint8_t _d[512];                                                                    \
                size_t _len = tt_unhex((hex), _d, sizeof(_d));                                        \
                TTError _e = {};                                                                    \
                T _out, _poison;                                                                    \
                memset(&_out, 0x5A, sizeof(_out));                                                  \
                memcpy(&_poison, &_out, sizeof(_out)); /* `=` need not copy padding */              \
                ck_assert_int_eq(dec(_d, _len, &_out, &_e), -EBADMSG);                                \
                ck_assert_msg(strstr(tt_error_message(&_e), (needle)),                              \
                              "decode of %s: message \"%s\" does not mention \"%s\"", (hex),        \
                              tt_error_message(&_e), (needle));                                     \
                ck_assert_msg(memcmp(&_out, &_poison, sizeof(_out)) == 0,                           \
                              "decode of %s touched *ret on failure", (hex));                       \
        } while (0)

/* Encoding *val must fail with -EINVAL, a message containing needle, and nothing written. */
#define ENCODE_FAILS_(enc, dec, T, eq, val, needle)                                                 \
        do {                                                                                        \
                uint8_t _b[256];                                                                    \
                TTError _e = {};                                                                    \
                TTWriter _w = TT_WRITER(_b, sizeof(_b));                                            \
                ck_assert_int_eq(enc(&_w, (val), &_e), -EINVAL);                                    \
                ck_assert_msg(strstr(tt_error_message(&_e), (needle)),                              \
                              "encode: message \"%s\" does not mention \"%s\"",                     \
                              tt_error_message(&_e), (needle));                                     \
                ck_assert_uint_eq(_w.len, 0);                                                       \
        } while (0)

/* ---- equality helpers (field by field: padding bytes are not part of the value) ---------- */

static bool auto_lock_req_eq(const TTAutoLockRequest *a, const TTAutoLockRequest *b) {
        if (a->op != b->op || a->door_sensor != b->door_sensor)
                return false;
        if (a->op != TTLOCK_SETTING_SET)
                return true;
        return a->door_sensor ? a->door_sensor_value == b->door_sensor_value : a->seconds == b->seconds;
}

static bool auto_lock_reply_eq(const TTAutoLockReply *a, const TTAutoLockReply *b) {
        if (a->battery != b->battery || a->op != b->op)
                return false;
        if (a->op != TTLOCK_SETTING_QUERY)
                return true;
        if (a->seconds != b->seconds || a->has_range != b->has_range)
                return false;
        return !a->has_range || (a->min_seconds == b->min_seconds && a->max_seconds == b->max_seconds);
}

static bool toggle_req_eq(const TTToggleRequest *a, const TTToggleRequest *b) {
        return a->op == b->op && (a->op != TTLOCK_SETTING_SET || a->enabled == b->enabled);
}

static bool toggle_reply_eq(const TTToggleReply *a, const TTToggleReply *b) {
        return a->battery == b->battery && a->op == b->op &&
               (a->op != TTLOCK_SETTING_QUERY || a->enabled == b->enabled);
}

static bool audio_req_eq(const TTAudioRequest *a, const TTAudioRequest *b) {
        if (a->op != b->op)
                return false;
        if (a->op != TTLOCK_SETTING_SET)
                return true;
        if (a->enabled != b->enabled || a->has_volume != b->has_volume)
                return false;
        return !a->has_volume || (a->volume == b->volume && a->language == b->language);
}

static bool audio_reply_eq(const TTAudioReply *a, const TTAudioReply *b) {
        if (a->battery != b->battery || a->op != b->op)
                return false;
        if (a->op != TTLOCK_SETTING_QUERY)
                return true;
        return a->enabled == b->enabled && a->has_volume == b->has_volume &&
               (!a->has_volume || a->volume == b->volume);
}

static bool record_eq(const TTPassageModeRecord *a, const TTPassageModeRecord *b) {
        return a->type == b->type && a->week_or_day == b->week_or_day && a->month == b->month &&
               a->start_hour == b->start_hour && a->start_minute == b->start_minute &&
               a->end_hour == b->end_hour && a->end_minute == b->end_minute;
}

static bool passage_req_eq(const TTPassageModeRequest *a, const TTPassageModeRequest *b) {
        if (a->op != b->op)
                return false;
        if (a->op == TTLOCK_PASSAGE_MODE_QUERY)
                return a->seq == b->seq;
        if (a->op == TTLOCK_PASSAGE_MODE_ADD || a->op == TTLOCK_PASSAGE_MODE_DELETE)
                return record_eq(&a->record, &b->record);
        return true;
}

static bool passage_reply_eq(const TTPassageModeReply *a, const TTPassageModeReply *b) {
        if (a->battery != b->battery || a->op != b->op)
                return false;
        if (a->op != TTLOCK_PASSAGE_MODE_QUERY)
                return true;
        if (a->next_seq != b->next_seq || a->n_records != b->n_records)
                return false;
        for (size_t i = 0; i < a->n_records; i++)
                if (!record_eq(&a->records[i], &b->records[i]))
                        return false;
        return true;
}

static bool lamp_req_eq(const TTLampRequest *a, const TTLampRequest *b) {
        return a->op == b->op && (a->op != TTLOCK_SETTING_SET || a->seconds == b->seconds);
}

static bool lamp_reply_eq(const TTLampReply *a, const TTLampReply *b) {
        return a->battery == b->battery && a->op == b->op &&
               (a->op != TTLOCK_SETTING_QUERY || a->seconds == b->seconds);
}

static bool switch_req_eq(const TTSwitchRequest *a, const TTSwitchRequest *b) {
        return a->op == b->op &&
               (a->op != TTLOCK_SETTING_SET || (a->items == b->items && a->values == b->values));
}

static bool switch_reply_eq(const TTSwitchReply *a, const TTSwitchReply *b) {
        return a->battery == b->battery && a->op == b->op &&
               (a->op != TTLOCK_SETTING_QUERY || (a->items == b->items && a->values == b->values));
}

#define CODEC_AUTO_LOCK_REQ \
        ttlock_auto_lock_request_encode, ttlock_auto_lock_request_decode, TTAutoLockRequest, auto_lock_req_eq
#define CODEC_AUTO_LOCK_REPLY \
        ttlock_auto_lock_reply_encode, ttlock_auto_lock_reply_decode, TTAutoLockReply, auto_lock_reply_eq
#define CODEC_AUDIO_REQ \
        ttlock_audio_request_encode, ttlock_audio_request_decode, TTAudioRequest, audio_req_eq
#define CODEC_AUDIO_REPLY \
        ttlock_audio_reply_encode, ttlock_audio_reply_decode, TTAudioReply, audio_reply_eq
#define CODEC_PASSAGE_REQ \
        ttlock_passage_mode_request_encode, ttlock_passage_mode_request_decode, TTPassageModeRequest, \
                passage_req_eq
#define CODEC_PASSAGE_REPLY \
        ttlock_passage_mode_reply_encode, ttlock_passage_mode_reply_decode, TTPassageModeReply, \
                passage_reply_eq
#define CODEC_LAMP_REQ \
        ttlock_lamp_request_encode, ttlock_lamp_request_decode, TTLampRequest, lamp_req_eq
#define CODEC_LAMP_REPLY \
        ttlock_lamp_reply_encode, ttlock_lamp_reply_decode, TTLampReply, lamp_reply_eq
#define CODEC_SWITCH_REQ \
        ttlock_switch_request_encode, ttlock_switch_request_decode, TTSwitchRequest, switch_req_eq
#define CODEC_SWITCH_REPLY \
        ttlock_switch_reply_encode, ttlock_switch_reply_decode, TTSwitchReply, switch_reply_eq

/* ---- §10.3 vectors ------------------------------------------------------------------------- */

START_TEST(test_v18_auto_lock_query) {
        TTAutoLockRequest q = { .op = TTLOCK_SETTING_QUERY };
        ROUND_TRIP(CODEC_AUTO_LOCK_REQ, &q,
                   "01");
}
END_TEST

START_TEST(test_v19_auto_lock_set_5s) {
        TTAutoLockRequest s = { .op = TTLOCK_SETTING_SET, .seconds = 5 };
        ROUND_TRIP(CODEC_AUTO_LOCK_REQ, &s,
                   "020005");
}
END_TEST

START_TEST(test_v20_audio_off) {
        TTAudioRequest s = { .op = TTLOCK_SETTING_SET, .enabled = false };
        ROUND_TRIP(CODEC_AUDIO_REQ, &s, "0200");
}
END_TEST

/* ---- AUTO_LOCK_MANAGE ---------------------------------------------------------------------- */

START_TEST(test_auto_lock_requests) {
        TTAutoLockRequest off = { .op = TTLOCK_SETTING_SET, .seconds = 0 };
        TTAutoLockRequest big = { .op = TTLOCK_SETTING_SET, .seconds = 0xFFFE };
        TTAutoLockRequest door = { .op = TTLOCK_SETTING_SET, .door_sensor = true, .door_sensor_value = 7 };

        ROUND_TRIP(CODEC_AUTO_LOCK_REQ, &off,
                   "020000");
        ROUND_TRIP(CODEC_AUTO_LOCK_REQ, &big,
                   "02fffe");
        /* §4.3 door-sensor variant: [02][FF][FF][value] */
        ROUND_TRIP(CODEC_AUTO_LOCK_REQ, &door,
                   "02ffff07");
        DECODES_TO(CODEC_AUTO_LOCK_REQ, "02ffff00",
                   (&(TTAutoLockRequest) { .op = 2, .door_sensor = true, .door_sensor_value = 0 }));
}
END_TEST

START_TEST(test_auto_lock_request_rejects) {
        ENCODE_FAILS(CODEC_AUTO_LOCK_REQ,
                     (&(TTAutoLockRequest) { .op = TTLOCK_SETTING_SET, .seconds = 0xFFFF }),
                     "auto-lock seconds 65535 is reserved");
        ENCODE_FAILS(CODEC_AUTO_LOCK_REQ, (&(TTAutoLockRequest) { .op = 3 }),
                     "auto-lock: unknown operation 0x03");

        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "", "auto-lock operation needs 1 byte");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "02",
                     "truncated: auto-lock seconds needs 2 bytes at offset 1, 0 left");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "0200",
                     "auto-lock seconds needs 2 bytes at offset 1, 1 left");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "02ffff",
                     "auto-lock door-sensor value needs 1 byte");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "03", "unknown operation 0x03");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "0100", "trailing garbage");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "02000500", "trailing garbage");
        DECODE_FAILS(CODEC_AUTO_LOCK_REQ, "02ffff0700", "trailing garbage");
}
END_TEST

START_TEST(test_auto_lock_replies) {
        TTAutoLockReply full = {
                .battery = 100,
                .op = 1,
                .seconds = 5,
                .has_range = true,
                .min_seconds = 1,
                .max_seconds = 900,
        };
        TTAutoLockReply shortq = { .battery = 0x50, .op = 1, .seconds = 0 };
        TTAutoLockReply set = { .battery = 0x50, .op = 2 };

        ROUND_TRIP(CODEC_AUTO_LOCK_REPLY, &full,
                   "64 01 0005 0001 0384");
        /* Tolerated: a reply that stops after the current time. */
        ROUND_TRIP(CODEC_AUTO_LOCK_REPLY, &shortq,
                   "50 01 0000");
        ROUND_TRIP(CODEC_AUTO_LOCK_REPLY, &set, "5002");
        /* Trailing bytes after the known fields are ignored (settings.h). */
        DECODES_TO(CODEC_AUTO_LOCK_REPLY, "64 01 0005 0001 0384 aabb", &full);
        DECODES_TO(CODEC_AUTO_LOCK_REPLY, "50 02 00", &set);
}
END_TEST

START_TEST(test_auto_lock_reply_rejects) {
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "", "auto-lock battery needs 1 byte");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "64", "auto-lock operation needs 1 byte");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "6401",
                     "auto-lock seconds needs 2 bytes at offset 2, 0 left");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "640100", "auto-lock seconds needs 2 bytes");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "64010005 00",
                     "auto-lock min seconds needs 2 bytes at offset 4, 1 left");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "64010005 0001",
                     "auto-lock max seconds needs 2 bytes at offset 6, 0 left");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "64010005 0001 03",
                     "auto-lock max seconds needs 2 bytes");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "6400", "auto-lock: unknown operation 0x00");
        DECODE_FAILS(CODEC_AUTO_LOCK_REPLY, "6403", "auto-lock: unknown operation 0x03");
        ENCODE_FAILS(CODEC_AUTO_LOCK_REPLY, (&(TTAutoLockReply) { .op = 9 }),
                     "auto-lock: unknown operation 0x09");
}
END_TEST

/* ---- CONTROL_REMOTE_UNLOCK / SHOW_PASSWORD / FREEZE_LOCK ---------------------------------- */

/* The three commands share one codec; each is driven through the same checks so that a wrapper
 * wired to the wrong name or op would show. */
#define TOGGLE_REQ(name) \
        ttlock_##name##_request_encode, ttlock_##name##_request_decode, TTToggleRequest, toggle_req_eq
#define TOGGLE_REPLY(name) \
        ttlock_##name##_reply_encode, ttlock_##name##_reply_decode, TTToggleReply, toggle_reply_eq

#define CHECK_TOGGLE(name, what)                                                                    \
        do {                                                                                        \
                TTToggleRequest q = { .op = TTLOCK_SETTING_QUERY };                                 \
                TTToggleRequest on = { .op = TTLOCK_SETTING_SET, .enabled = true };                 \
                TTToggleRequest off = { .op = TTLOCK_SETTING_SET, .enabled = false };               \
                TTToggleReply rq1 = { .battery = 0x5f, .op = 1, .enabled = true };                  \
                TTToggleReply rq0 = { .battery = 0x5f, .op = 1, .enabled = false };                 \
                TTToggleReply rs = { .battery = 0x20, .op = 2 };                                    \
                ROUND_TRIP(TOGGLE_REQ(name), &q, "01");                                             \
                ROUND_TRIP(TOGGLE_REQ(name), &on, "0201");                                          \
                ROUND_TRIP(TOGGLE_REQ(name), &off, "0200");                                         \
                ROUND_TRIP(TOGGLE_REPLY(name), &rq1, "5f0101");                                     \
                ROUND_TRIP(TOGGLE_REPLY(name), &rq0, "5f0100");                                     \
                ROUND_TRIP(TOGGLE_REPLY(name), &rs, "2002");                                        \
                DECODES_TO(TOGGLE_REPLY(name), "5f0101ff", &rq1);                                   \
                DECODE_FAILS(TOGGLE_REQ(name), "", what " operation");                              \
                DECODE_FAILS(TOGGLE_REQ(name), "02",                                                \
                             "truncated: " what " value needs 1 byte at offset 1, 0 left");         \
                DECODE_FAILS(TOGGLE_REQ(name), "0202",                                              \
                             what " value: value 0x02 at offset 1 is neither 0 nor 1");             \
                DECODE_FAILS(TOGGLE_REQ(name), "020100", "trailing garbage");                       \
                DECODE_FAILS(TOGGLE_REQ(name), "0101", "trailing garbage");                         \
                DECODE_FAILS(TOGGLE_REQ(name), "05", what ": unknown operation 0x05");              \
                DECODE_FAILS(TOGGLE_REPLY(name), "5f01", what " value needs 1 byte at offset 2");   \
                DECODE_FAILS(TOGGLE_REPLY(name), "5f01ff",                                          \
                             what " value: value 0xff at offset 2 is neither 0 nor 1");             \
                DECODE_FAILS(TOGGLE_REPLY(name), "5f04", what ": unknown operation 0x04");          \
                ENCODE_FAILS(TOGGLE_REQ(name), (&(TTToggleRequest) { .op = 0 }),                    \
                             what ": unknown operation 0x00");                                      \
                ENCODE_FAILS(TOGGLE_REPLY(name), (&(TTToggleReply) { .op = 3 }),                    \
                             what ": unknown operation 0x03");                                      \
        } while (0)

START_TEST(test_remote_unlock) {
        CHECK_TOGGLE(remote_unlock, "remote unlock");
}
END_TEST

START_TEST(test_show_password) {
        CHECK_TOGGLE(show_password, "show password");
}
END_TEST

START_TEST(test_freeze) {
        CHECK_TOGGLE(freeze, "freeze");
}
END_TEST

/* ---- AUDIO_MANAGE -------------------------------------------------------------------------- */

START_TEST(test_audio_requests) {
        TTAudioRequest q = { .op = TTLOCK_SETTING_QUERY };
        TTAudioRequest on = { .op = TTLOCK_SETTING_SET, .enabled = true };
        TTAudioRequest vol = { .op = TTLOCK_SETTING_SET, .enabled = true, .has_volume = true, .volume = 3 };
        TTAudioRequest vol5 = {
                .op = TTLOCK_SETTING_SET, .enabled = true, .has_volume = true, .volume = 5, .language = 2
        };

        ROUND_TRIP(CODEC_AUDIO_REQ, &q, "01");
        ROUND_TRIP(CODEC_AUDIO_REQ, &on, "0201");
        /* §4.3 long form [02][01][volume 1-5][language] */
        ROUND_TRIP(CODEC_AUDIO_REQ, &vol, "02010300");
        ROUND_TRIP(CODEC_AUDIO_REQ, &vol5, "02010502");
}
END_TEST

START_TEST(test_audio_request_rejects) {
        ENCODE_FAILS(CODEC_AUDIO_REQ,
                     (&(TTAudioRequest) { .op = 2, .enabled = true, .has_volume = true, .volume = 0 }),
                     "audio volume 0 out of range 1-5");
        ENCODE_FAILS(CODEC_AUDIO_REQ,
                     (&(TTAudioRequest) { .op = 2, .enabled = true, .has_volume = true, .volume = 6 }),
                     "audio volume 6 out of range 1-5");
        ENCODE_FAILS(CODEC_AUDIO_REQ,
                     (&(TTAudioRequest) { .op = 2, .enabled = false, .has_volume = true, .volume = 3 }),
                     "only be sent with sound on");
        ENCODE_FAILS(CODEC_AUDIO_REQ, (&(TTAudioRequest) { .op = 7 }), "audio: unknown operation 0x07");

        DECODE_FAILS(CODEC_AUDIO_REQ, "02010000", "audio volume 0 out of range 1-5");
        DECODE_FAILS(CODEC_AUDIO_REQ, "02010600", "audio volume 6 out of range 1-5");
        DECODE_FAILS(CODEC_AUDIO_REQ, "02000300", "volume form with sound off");
        DECODE_FAILS(CODEC_AUDIO_REQ, "0202", "audio on/off: value 0x02");
        DECODE_FAILS(CODEC_AUDIO_REQ, "02", "audio on/off needs 1 byte at offset 1");
        DECODE_FAILS(CODEC_AUDIO_REQ, "020103",
                     "audio language needs 1 byte at offset 3, 0 left");
        DECODE_FAILS(CODEC_AUDIO_REQ, "0201030000", "trailing garbage");
        DECODE_FAILS(CODEC_AUDIO_REQ, "0100", "trailing garbage");
}
END_TEST

START_TEST(test_audio_replies) {
        TTAudioReply plain = { .battery = 0x64, .op = 1, .enabled = true };
        TTAudioReply off = { .battery = 0x64, .op = 1, .enabled = false };
        TTAudioReply vol = { .battery = 0x64, .op = 1, .enabled = true, .has_volume = true, .volume = 4 };
        TTAudioReply set = { .battery = 0x64, .op = 2 };

        /* A lock without the volume feature stops after on/off (§4.3 "if present"). */
        ROUND_TRIP(CODEC_AUDIO_REPLY, &plain, "640101");
        ROUND_TRIP(CODEC_AUDIO_REPLY, &off, "640100");
        ROUND_TRIP(CODEC_AUDIO_REPLY, &vol, "64010104");
        ROUND_TRIP(CODEC_AUDIO_REPLY, &set, "6402");
        DECODES_TO(CODEC_AUDIO_REPLY, "6401010400", &vol);

        DECODE_FAILS(CODEC_AUDIO_REPLY, "64010100", "audio volume 0 out of range 1-5");
        DECODE_FAILS(CODEC_AUDIO_REPLY, "64010106", "audio volume 6 out of range 1-5");
        DECODE_FAILS(CODEC_AUDIO_REPLY, "640102", "audio on/off: value 0x02");
        DECODE_FAILS(CODEC_AUDIO_REPLY, "6401", "audio on/off needs 1 byte at offset 2");
        DECODE_FAILS(CODEC_AUDIO_REPLY, "64", "audio operation needs 1 byte");
        ENCODE_FAILS(CODEC_AUDIO_REPLY,
                     (&(TTAudioReply) { .op = 1, .enabled = true, .has_volume = true, .volume = 6 }),
                     "audio volume 6 out of range");
}
END_TEST

/* ---- CONFIGURE_PASSAGE_MODE ---------------------------------------------------------------- */

static const TTPassageModeRecord weekly_mon = { 1, 1, 0, 8, 0, 18, 30 };
static const TTPassageModeRecord weekly_every = { 1, 0, 0, 0, 0, 23, 59 };
static const TTPassageModeRecord monthly_31 = { 2, 31, 0, 9, 15, 17, 45 };

START_TEST(test_passage_mode_requests) {
        TTPassageModeRequest q0 = { .op = TTLOCK_PASSAGE_MODE_QUERY, .seq = 0 };
        TTPassageModeRequest q3 = { .op = TTLOCK_PASSAGE_MODE_QUERY, .seq = 3 };
        TTPassageModeRequest add = { .op = TTLOCK_PASSAGE_MODE_ADD, .record = weekly_mon };
        TTPassageModeRequest add0 = { .op = TTLOCK_PASSAGE_MODE_ADD, .record = weekly_every };
        TTPassageModeRequest del = { .op = TTLOCK_PASSAGE_MODE_DELETE, .record = monthly_31 };
        TTPassageModeRequest clr = { .op = TTLOCK_PASSAGE_MODE_CLEAR };

        ROUND_TRIP(CODEC_PASSAGE_REQ, &q0, "0100");
        ROUND_TRIP(CODEC_PASSAGE_REQ, &q3, "0103");
        ROUND_TRIP(CODEC_PASSAGE_REQ, &add, "02 01 01 00 08 00 12 1e");
        /* weekday 0 = every day ([JS], §4.3) */
        ROUND_TRIP(CODEC_PASSAGE_REQ, &add0, "02 01 00 00 00 00 17 3b");
        ROUND_TRIP(CODEC_PASSAGE_REQ, &del, "03 02 1f 00 09 0f 11 2d");
        ROUND_TRIP(CODEC_PASSAGE_REQ, &clr, "04");
}
END_TEST

START_TEST(test_passage_mode_record_rejects) {
        static const struct {
                TTPassageModeRecord rec;
                const char *hex; /* the Add request carrying it */
                const char *msg;
        } bad[] = {
                { { 0, 1, 0, 8, 0, 18, 0 }, "02 00 01 00 08 00 12 00", "type 0 is neither 1 (weekly)" },
                { { 3, 1, 0, 8, 0, 18, 0 }, "02 03 01 00 08 00 12 00", "type 3 is neither" },
                { { 1, 8, 0, 8, 0, 18, 0 }, "02 01 08 00 08 00 12 00", "weekday 8 out of range 0-7" },
                { { 2, 0, 0, 8, 0, 18, 0 }, "02 02 00 00 08 00 12 00", "day of month 0 out of range 1-31" },
                { { 2, 32, 0, 8, 0, 18, 0 }, "02 02 20 00 08 00 12 00", "day of month 32 out of range" },
                { { 1, 1, 0, 24, 0, 18, 0 }, "02 01 01 00 18 00 12 00", "start hour 24 out of range 0-23" },
                { { 1, 1, 0, 8, 60, 18, 0 }, "02 01 01 00 08 3c 12 00", "start minute 60 out of range" },
                { { 1, 1, 0, 8, 0, 24, 0 }, "02 01 01 00 08 00 18 00", "end hour 24 out of range 0-23" },
                { { 1, 1, 0, 8, 0, 18, 60 }, "02 01 01 00 08 00 12 3c", "end minute 60 out of range 0-59" },
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                TTPassageModeRequest add = { .op = TTLOCK_PASSAGE_MODE_ADD, .record = bad[i].rec };
                TTPassageModeRequest del = { .op = TTLOCK_PASSAGE_MODE_DELETE, .record = bad[i].rec };
                TTError e = {};

                ck_assert_int_eq(ttlock_passage_mode_record_check(&bad[i].rec, &e), -EINVAL);
                ck_assert_msg(strstr(tt_error_message(&e), bad[i].msg), "%s", tt_error_message(&e));
                ENCODE_FAILS(CODEC_PASSAGE_REQ, &add, bad[i].msg);
                ENCODE_FAILS(CODEC_PASSAGE_REQ, &del, bad[i].msg);
                DECODE_FAILS(CODEC_PASSAGE_REQ, bad[i].hex, bad[i].msg);
        }
        ck_assert_int_eq(ttlock_passage_mode_record_check(&weekly_mon, NULL), 0);
        ck_assert_int_eq(ttlock_passage_mode_record_check(&weekly_every, NULL), 0);
        ck_assert_int_eq(ttlock_passage_mode_record_check(&monthly_31, NULL), 0);
}
END_TEST

START_TEST(test_passage_mode_request_rejects) {
        DECODE_FAILS(CODEC_PASSAGE_REQ, "", "passage mode operation");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "01",
                     "passage mode seq needs 1 byte at offset 1, 0 left");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "02 01 01 00 08 00 12",
                     "passage mode end minute needs 1 byte at offset 7, 0 left");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "03 01",
                     "passage mode weekday/day needs 1 byte at offset 2");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "02 01 01 00 08 00 12 1e 00",
                     "trailing garbage");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "0400", "trailing garbage");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "010000", "trailing garbage");
        DECODE_FAILS(CODEC_PASSAGE_REQ, "05",
                     "passage mode: unknown operation 0x05");
        ENCODE_FAILS(CODEC_PASSAGE_REQ, (&(TTPassageModeRequest) { .op = 0 }),
                     "passage mode: unknown operation 0x00");
}
END_TEST

START_TEST(test_passage_mode_replies) {
        TTPassageModeReply two = { .battery = 0x55, .op = 1, .next_seq = 2, .n_records = 2 };
        TTPassageModeReply none = { .battery = 0x55, .op = 1, .next_seq = TTLOCK_PASSAGE_MODE_SEQ_DONE };
        TTPassageModeReply full = { .battery = 0x55, .op = 1, .next_seq = TTLOCK_PASSAGE_MODE_SEQ_DONE };
        char hex[1024] = "5501ff";

        two.records[0] = weekly_mon;
        two.records[1] = monthly_31;
        ROUND_TRIP(CODEC_PASSAGE_REPLY, &two, "55 01 02 0101000800121e 021f00090f112d");
        ROUND_TRIP(CODEC_PASSAGE_REPLY, &none, "5501ff");
        /* A tail shorter than a record is ignored (no count field in §4.3). */
        DECODES_TO(CODEC_PASSAGE_REPLY, "55 01 02 0101000800121e 021f00090f112d 0101", &two);

        for (uint8_t op = TTLOCK_PASSAGE_MODE_ADD; op <= TTLOCK_PASSAGE_MODE_CLEAR; op++) {
                TTPassageModeReply echo = { .battery = 0x30, .op = op };
                char h[8];

                (void) snprintf(h, sizeof(h), "30%02x", op);
                ROUND_TRIP(CODEC_PASSAGE_REPLY, &echo, h);
        }

        /* The most records one reply can hold round-trip; one more is refused both ways. */
        full.n_records = TTLOCK_PASSAGE_MODE_RECORDS_MAX;
        for (size_t i = 0; i < full.n_records; i++) {
                uint8_t day = (uint8_t) (i % 8), hour = (uint8_t) (i % 24);
                size_t used = strlen(hex);

                full.records[i] = (TTPassageModeRecord) { 1, day, 0, hour, 0, 23, 0 };
                (void) snprintf(hex + used, sizeof(hex) - used, "01%02x00%02x00 1700", day, hour);
        }
        ROUND_TRIP(CODEC_PASSAGE_REPLY, &full, hex);
        (void) snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "01010008001200");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, hex, "more than 33 records");
        full.n_records = TTLOCK_PASSAGE_MODE_RECORDS_MAX + 1;
        ENCODE_FAILS(CODEC_PASSAGE_REPLY, &full, "34 records, at most 33 fit");
}
END_TEST

START_TEST(test_passage_mode_reply_rejects) {
        TTPassageModeReply bad = { .battery = 1, .op = 1, .next_seq = 0xFF, .n_records = 1 };

        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5501",
                     "passage mode next seq needs 1 byte at offset 2");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5501ff 0108000800121e",
                     "weekday 8 out of range 0-7");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5501ff 0101000800121e 0101001800121e",
                     "start hour 24 out of range");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5501ff 0201000800123c",
                     "end minute 60 out of range");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5505",
                     "passage mode: unknown operation 0x05");
        DECODE_FAILS(CODEC_PASSAGE_REPLY, "5500",
                     "passage mode: unknown operation 0x00");

        bad.records[0] = (TTPassageModeRecord) { 2, 0, 0, 8, 0, 18, 0 };
        ENCODE_FAILS(CODEC_PASSAGE_REPLY, &bad, "day of month 0 out of range 1-31");
}
END_TEST

/* ---- LAMP ---------------------------------------------------------------------------------- */

START_TEST(test_lamp) {
        TTLampRequest q = { .op = 1 };
        TTLampRequest s = { .op = 2, .seconds = 0x1234 };
        TTLampReply rq = { .battery = 0x40, .op = 1, .seconds = 30 };
        TTLampReply rs = { .battery = 0x40, .op = 2 };

        ROUND_TRIP(CODEC_LAMP_REQ, &q, "01");
        ROUND_TRIP(CODEC_LAMP_REQ, &s, "021234");
        ROUND_TRIP(CODEC_LAMP_REPLY, &rq, "4001001e");
        ROUND_TRIP(CODEC_LAMP_REPLY, &rs, "4002");
        DECODES_TO(CODEC_LAMP_REPLY, "4001001e00", &rq);

        DECODE_FAILS(CODEC_LAMP_REQ, "0212", "lamp seconds needs 2 bytes at offset 1");
        DECODE_FAILS(CODEC_LAMP_REQ, "02123400", "trailing garbage");
        DECODE_FAILS(CODEC_LAMP_REQ, "00", "lamp: unknown operation 0x00");
        DECODE_FAILS(CODEC_LAMP_REPLY, "400100", "lamp seconds needs 2 bytes at offset 2");
        DECODE_FAILS(CODEC_LAMP_REPLY, "", "lamp battery needs 1 byte");
        ENCODE_FAILS(CODEC_LAMP_REQ, (&(TTLampRequest) { .op = 4 }), "lamp: unknown operation 0x04");
}
END_TEST

/* ---- SWITCH -------------------------------------------------------------------------------- */

START_TEST(test_switch) {
        TTSwitchRequest q = { .op = 1 };
        TTSwitchRequest s = {
                .op = 2,
                .items = TTLOCK_SWITCH_PRIVACY_LOCK,
                .values = TTLOCK_SWITCH_TAMPER_ALERT | TTLOCK_SWITCH_PRIVACY_LOCK,
        };
        TTSwitchReply rq = {
                .battery = 0x63,
                .op = 1,
                .items = TTLOCK_SWITCH_TAMPER_ALERT | TTLOCK_SWITCH_RESET_BUTTON |
                         TTLOCK_SWITCH_PRIVACY_LOCK | TTLOCK_SWITCH_UNLOCK_DIRECTION |
                         TTLOCK_SWITCH_PASSAGE_MODE_AUTO_UNLOCK | TTLOCK_SWITCH_WIFI_POWER_SAVING,
                .values = TTLOCK_SWITCH_RESET_BUTTON | TTLOCK_SWITCH_UNLOCK_DIRECTION,
        };
        TTSwitchReply rs = { .battery = 0x63, .op = 2 };

        /* Item bits as §4.3 lists them (official TTLockConfigType). */
        ck_assert_uint_eq(rq.items, 0xB7);
        ROUND_TRIP(CODEC_SWITCH_REQ, &q, "01");
        ROUND_TRIP(CODEC_SWITCH_REQ, &s,
                   "02 00000004 00000005");
        ROUND_TRIP(CODEC_SWITCH_REPLY, &rq,
                   "63 01 000000b7 00000012");
        ROUND_TRIP(CODEC_SWITCH_REPLY, &rs, "6302");
        DECODES_TO(CODEC_SWITCH_REPLY, "63 01 000000b7 00000012 ff", &rq);

        DECODE_FAILS(CODEC_SWITCH_REQ, "02 00000004 000000",
                     "switch values needs 4 bytes at offset 5, 3 left");
        DECODE_FAILS(CODEC_SWITCH_REQ, "02 0000",
                     "switch items needs 4 bytes at offset 1, 2 left");
        DECODE_FAILS(CODEC_SWITCH_REQ, "02 00000004 00000005 00", "trailing garbage");
        DECODE_FAILS(CODEC_SWITCH_REQ, "03", "switch: unknown operation 0x03");
        DECODE_FAILS(CODEC_SWITCH_REPLY, "63 01 000000b7",
                     "switch values needs 4 bytes at offset 6, 0 left");
        DECODE_FAILS(CODEC_SWITCH_REPLY, "63 01 00", "switch items needs 4 bytes");
        ENCODE_FAILS(CODEC_SWITCH_REPLY, (&(TTSwitchReply) { .op = 0 }), "switch: unknown operation 0x00");
}
END_TEST

/* ---- writer behaviour ------------------------------------------------------------------------ */

START_TEST(test_small_buffer) {
        TTAutoLockRequest s = { .op = TTLOCK_SETTING_SET, .seconds = 5 };
        TTPassageModeRequest add = { .op = TTLOCK_PASSAGE_MODE_ADD, .record = weekly_mon };
        uint8_t b[4];
        TTWriter w = TT_WRITER(b, 2);
        TTError e = {};
        size_t n = 99;

        /* The encoder itself succeeds; the writer reports the overflow at finish (bytes.h). */
        ck_assert_int_eq(ttlock_auto_lock_request_encode(&w, &s, &e), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, &e), -ENOBUFS);
        ck_assert_uint_eq(n, 99);

        w = TT_WRITER(b, sizeof(b));
        ck_assert_int_eq(ttlock_passage_mode_request_encode(&w, &add, &e), 0);
        ck_assert_int_eq(tt_writer_finish(&w, &n, NULL), -ENOBUFS);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("settings");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_v18_auto_lock_query);
        tcase_add_test(tc, test_v19_auto_lock_set_5s);
        tcase_add_test(tc, test_v20_audio_off);
        tcase_add_test(tc, test_auto_lock_requests);
        tcase_add_test(tc, test_auto_lock_request_rejects);
        tcase_add_test(tc, test_auto_lock_replies);
        tcase_add_test(tc, test_auto_lock_reply_rejects);
        tcase_add_test(tc, test_remote_unlock);
        tcase_add_test(tc, test_show_password);
        tcase_add_test(tc, test_freeze);
        tcase_add_test(tc, test_audio_requests);
        tcase_add_test(tc, test_audio_request_rejects);
        tcase_add_test(tc, test_audio_replies);
        tcase_add_test(tc, test_passage_mode_requests);
        tcase_add_test(tc, test_passage_mode_record_rejects);
        tcase_add_test(tc, test_passage_mode_request_rejects);
        tcase_add_test(tc, test_passage_mode_replies);
        tcase_add_test(tc, test_passage_mode_reply_rejects);
        tcase_add_test(tc, test_lamp);
        tcase_add_test(tc, test_switch);
        tcase_add_test(tc, test_small_buffer);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
