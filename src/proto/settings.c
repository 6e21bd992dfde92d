/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "settings.h"

/* Every encoder validates the whole request or reply before its first put, so that a rejected
 * value leaves the writer as it was and the caller can report the message without cleaning up. */

static int unknown_op(TTError *e, int r, const char *what, uint8_t op) {
        return tt_error(e, r, "%s: unknown operation 0x%02x", what, op);
}

static bool is_query_or_set(uint8_t op) {
        return op == TTLOCK_SETTING_QUERY || op == TTLOCK_SETTING_SET;
}

/* A 0/1 byte (§4.3: on/off, show/hide, freeze/unfreeze). Anything else means we misread the
 * layout, so it is an error rather than "non-zero = true". */
static int get_bool(TTReader *r, const char *field, bool *ret) {
        size_t pos = r->pos;
        uint8_t v;
        int k;

        k = tt_get_u8(r, field, &v);
        if (k < 0)
                return k;
        if (v > 1)
                return tt_error(r->error, -EBADMSG, "%s: value 0x%02x at offset %zu is neither 0 nor 1",
                                field, v, pos);
        *ret = v;
        return 0;
}

/* d[0] battery, d[1] operation echo (§4.3), the head of every reply of the family. */
static int get_reply_head(TTReader *r, const char *what, uint8_t max_op, uint8_t *ret_battery,
                          uint8_t *ret_op) {
        char field[64];
        uint8_t battery, op;
        int k;

        (void) snprintf(field, sizeof(field), "%s battery", what);
        k = tt_get_u8(r, field, &battery);
        if (k < 0)
                return k;
        (void) snprintf(field, sizeof(field), "%s operation", what);
        k = tt_get_u8(r, field, &op);
        if (k < 0)
                return k;
        if (op < TTLOCK_SETTING_QUERY || op > max_op)
                return unknown_op(r->error, -EBADMSG, what, op);

        *ret_battery = battery;
        *ret_op = op;
        return 0;
}

/* ---- AUTO_LOCK_MANAGE 0x36 ---------------------------------------------------------------- */

int ttlock_auto_lock_request_encode(TTWriter *w, const TTAutoLockRequest *req, TTError *e) {
        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_SETTING_QUERY:
                tt_put_u8(w, TTLOCK_SETTING_QUERY);
                return 0;
        case TTLOCK_SETTING_SET:
                if (req->door_sensor) {
                        tt_put_u8(w, TTLOCK_SETTING_SET);
                        tt_put_u16be(w, TTLOCK_AUTO_LOCK_KEEP_TIME);
                        tt_put_u8(w, req->door_sensor_value);
                        return 0;
                }
                /* §4.3: FFFF is the door-sensor form's "keep the time"; a plain [02][FF][FF]
                 * would be read by the lock as a truncated door-sensor request. */
                if (req->seconds == TTLOCK_AUTO_LOCK_KEEP_TIME)
                        return tt_error(e, -EINVAL,
                                        "auto-lock seconds %u is reserved for the door-sensor form",
                                        (unsigned) req->seconds);
                tt_put_u8(w, TTLOCK_SETTING_SET);
                tt_put_u16be(w, req->seconds);
                return 0;
        default:
                return unknown_op(e, -EINVAL, "auto-lock", req->op);
        }
}

int ttlock_auto_lock_request_decode(const uint8_t *data, size_t len, TTAutoLockRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAutoLockRequest req = {};
        int r;

        assert(ret);

        r = tt_get_u8(&rd, "auto-lock operation", &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_SETTING_QUERY:
                break;
        case TTLOCK_SETTING_SET:
                r = tt_get_u16be(&rd, "auto-lock seconds", &req.seconds);
                if (r < 0)
                        return r;
                if (req.seconds == TTLOCK_AUTO_LOCK_KEEP_TIME) {
                        req.door_sensor = true;
                        req.seconds = 0;
                        r = tt_get_u8(&rd, "auto-lock door-sensor value", &req.door_sensor_value);
                        if (r < 0)
                                return r;
                }
                break;
        default:
                return unknown_op(e, -EBADMSG, "auto-lock", req.op);
        }
        r = tt_expect_end(&rd, "auto-lock request");
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

int ttlock_auto_lock_reply_encode(TTWriter *w, const TTAutoLockReply *reply, TTError *e) {
        assert(w);
        assert(reply);

        if (!is_query_or_set(reply->op))
                return unknown_op(e, -EINVAL, "auto-lock", reply->op);

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY) {
                tt_put_u16be(w, reply->seconds);
                if (reply->has_range) {
                        tt_put_u16be(w, reply->min_seconds);
                        tt_put_u16be(w, reply->max_seconds);
                }
        }
        return 0;
}

int ttlock_auto_lock_reply_decode(const uint8_t *data, size_t len, TTAutoLockReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAutoLockReply reply = {};
        int r;

        assert(ret);

        r = get_reply_head(&rd, "auto-lock", TTLOCK_SETTING_SET, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_SETTING_QUERY) {
                r = tt_get_u16be(&rd, "auto-lock seconds", &reply.seconds);
                if (r < 0)
                        return r;
                /* The range is optional as a whole (see settings.h); once it starts it must be
                 * complete. Bytes after max are ignored like any trailing reply bytes. */
                if (tt_reader_left(&rd) > 0) {
                        r = tt_get_u16be(&rd, "auto-lock min seconds", &reply.min_seconds);
                        if (r < 0)
                                return r;
                        r = tt_get_u16be(&rd, "auto-lock max seconds", &reply.max_seconds);
                        if (r < 0)
                                return r;
                        reply.has_range = true;
                }
        }

        *ret = reply;
        return 0;
}

/* ---- CONTROL_REMOTE_UNLOCK 0x37, SHOW_PASSWORD 0x59, FREEZE_LOCK 0x61 ---------------------- */

static int toggle_request_encode(TTWriter *w, const TTToggleRequest *req, const char *what, TTError *e) {
        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_SETTING_QUERY:
                tt_put_u8(w, TTLOCK_SETTING_QUERY);
                return 0;
        case TTLOCK_SETTING_SET:
                tt_put_u8(w, TTLOCK_SETTING_SET);
                tt_put_u8(w, req->enabled ? 1 : 0);
                return 0;
        default:
                return unknown_op(e, -EINVAL, what, req->op);
        }
}

static int toggle_request_decode(const uint8_t *data, size_t len, TTToggleRequest *ret, const char *what,
                                 TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTToggleRequest req = {};
        char field[64];
        int r;

        assert(ret);

        (void) snprintf(field, sizeof(field), "%s operation", what);
        r = tt_get_u8(&rd, field, &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_SETTING_QUERY:
                break;
        case TTLOCK_SETTING_SET:
                (void) snprintf(field, sizeof(field), "%s value", what);
                r = get_bool(&rd, field, &req.enabled);
                if (r < 0)
                        return r;
                break;
        default:
                return unknown_op(e, -EBADMSG, what, req.op);
        }
        (void) snprintf(field, sizeof(field), "%s request", what);
        r = tt_expect_end(&rd, field);
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

static int toggle_reply_encode(TTWriter *w, const TTToggleReply *reply, const char *what, TTError *e) {
        assert(w);
        assert(reply);

        if (!is_query_or_set(reply->op))
                return unknown_op(e, -EINVAL, what, reply->op);

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY)
                tt_put_u8(w, reply->enabled ? 1 : 0);
        return 0;
}

static int toggle_reply_decode(const uint8_t *data, size_t len, TTToggleReply *ret, const char *what,
                               TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTToggleReply reply = {};
        char field[64];
        int r;

        assert(ret);

        r = get_reply_head(&rd, what, TTLOCK_SETTING_SET, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_SETTING_QUERY) {
                (void) snprintf(field, sizeof(field), "%s value", what);
                r = get_bool(&rd, field, &reply.enabled);
                if (r < 0)
                        return r;
        }

        *ret = reply;
        return 0;
}

#define DEFINE_TOGGLE_CODEC(name, what)                                                                  \
        int ttlock_##name##_request_encode(TTWriter *w, const TTToggleRequest *req, TTError *e) {      \
                return toggle_request_encode(w, req, what, e);                                          \
        }                                                                                               \
        int ttlock_##name##_request_decode(const uint8_t *data, size_t len, TTToggleRequest *ret,      \
                                           TTError *e) {                                                \
                return toggle_request_decode(data, len, ret, what, e);                                  \
        }                                                                                               \
        int ttlock_##name##_reply_encode(TTWriter *w, const TTToggleReply *reply, TTError *e) {        \
                return toggle_reply_encode(w, reply, what, e);                                          \
        }                                                                                               \
        int ttlock_##name##_reply_decode(const uint8_t *data, size_t len, TTToggleReply *ret,          \
                                         TTError *e) {                                                  \
                return toggle_reply_decode(data, len, ret, what, e);                                    \
        }

DEFINE_TOGGLE_CODEC(remote_unlock, "remote unlock")
DEFINE_TOGGLE_CODEC(show_password, "show password")
DEFINE_TOGGLE_CODEC(freeze, "freeze")

/* ---- AUDIO_MANAGE 0x62 -------------------------------------------------------------------- */

static bool volume_valid(uint8_t v) {
        return v >= TTLOCK_AUDIO_VOLUME_MIN && v <= TTLOCK_AUDIO_VOLUME_MAX;
}

int ttlock_audio_request_encode(TTWriter *w, const TTAudioRequest *req, TTError *e) {
        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_SETTING_QUERY:
                tt_put_u8(w, TTLOCK_SETTING_QUERY);
                return 0;
        case TTLOCK_SETTING_SET:
                if (!req->has_volume) {
                        tt_put_u8(w, TTLOCK_SETTING_SET);
                        tt_put_u8(w, req->enabled ? 1 : 0);
                        return 0;
                }
                /* §4.3: the volume form is [02][01][volume][language] — its on/off byte is fixed
                 * at 01, so "off with a volume" has no encoding. */
                if (!req->enabled)
                        return tt_error(e, -EINVAL, "audio: a volume can only be sent with sound on");
                if (!volume_valid(req->volume))
                        return tt_error(e, -EINVAL, "audio volume %u out of range %d-%d",
                                        (unsigned) req->volume, TTLOCK_AUDIO_VOLUME_MIN,
                                        TTLOCK_AUDIO_VOLUME_MAX);
                tt_put_u8(w, TTLOCK_SETTING_SET);
                tt_put_u8(w, 1);
                tt_put_u8(w, req->volume);
                tt_put_u8(w, req->language);
                return 0;
        default:
                return unknown_op(e, -EINVAL, "audio", req->op);
        }
}

int ttlock_audio_request_decode(const uint8_t *data, size_t len, TTAudioRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAudioRequest req = {};
        int r;

        assert(ret);

        r = tt_get_u8(&rd, "audio operation", &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_SETTING_QUERY:
                break;
        case TTLOCK_SETTING_SET:
                r = get_bool(&rd, "audio on/off", &req.enabled);
                if (r < 0)
                        return r;
                if (tt_reader_left(&rd) == 0)
                        break;
                /* The long form: the byte just read must have been 01 (§4.3). */
                if (!req.enabled)
                        return tt_error(e, -EBADMSG, "audio: volume form with sound off (00) at offset 1");
                req.has_volume = true;
                r = tt_get_u8(&rd, "audio volume", &req.volume);
                if (r < 0)
                        return r;
                if (!volume_valid(req.volume))
                        return tt_error(e, -EBADMSG, "audio volume %u out of range %d-%d",
                                        (unsigned) req.volume, TTLOCK_AUDIO_VOLUME_MIN,
                                        TTLOCK_AUDIO_VOLUME_MAX);
                r = tt_get_u8(&rd, "audio language", &req.language);
                if (r < 0)
                        return r;
                break;
        default:
                return unknown_op(e, -EBADMSG, "audio", req.op);
        }
        r = tt_expect_end(&rd, "audio request");
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

int ttlock_audio_reply_encode(TTWriter *w, const TTAudioReply *reply, TTError *e) {
        assert(w);
        assert(reply);

        if (!is_query_or_set(reply->op))
                return unknown_op(e, -EINVAL, "audio", reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY && reply->has_volume && !volume_valid(reply->volume))
                return tt_error(e, -EINVAL, "audio volume %u out of range %d-%d", (unsigned) reply->volume,
                                TTLOCK_AUDIO_VOLUME_MIN, TTLOCK_AUDIO_VOLUME_MAX);

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY) {
                tt_put_u8(w, reply->enabled ? 1 : 0);
                if (reply->has_volume)
                        tt_put_u8(w, reply->volume);
        }
        return 0;
}

int ttlock_audio_reply_decode(const uint8_t *data, size_t len, TTAudioReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAudioReply reply = {};
        int r;

        assert(ret);

        r = get_reply_head(&rd, "audio", TTLOCK_SETTING_SET, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_SETTING_QUERY) {
                r = get_bool(&rd, "audio on/off", &reply.enabled);
                if (r < 0)
                        return r;
                /* d[3] volume only on locks that have one (§4.3 "if present"). */
                if (tt_reader_left(&rd) > 0) {
                        r = tt_get_u8(&rd, "audio volume", &reply.volume);
                        if (r < 0)
                                return r;
                        if (!volume_valid(reply.volume))
                                return tt_error(e, -EBADMSG, "audio volume %u out of range %d-%d",
                                                (unsigned) reply.volume, TTLOCK_AUDIO_VOLUME_MIN,
                                                TTLOCK_AUDIO_VOLUME_MAX);
                        reply.has_volume = true;
                }
        }

        *ret = reply;
        return 0;
}

/* ---- CONFIGURE_PASSAGE_MODE 0x66 ---------------------------------------------------------- */

static int record_check(const TTPassageModeRecord *rec, int r, TTError *e) {
        switch (rec->type) {
        case TTLOCK_PASSAGE_MODE_WEEKLY:
                /* 1 = Mon … 7 = Sun; 0 = every day per [JS] (§4.3). */
                if (rec->week_or_day > 7)
                        return tt_error(e, r, "passage mode weekday %u out of range 0-7",
                                        (unsigned) rec->week_or_day);
                break;
        case TTLOCK_PASSAGE_MODE_MONTHLY:
                if (rec->week_or_day < 1 || rec->week_or_day > 31)
                        return tt_error(e, r, "passage mode day of month %u out of range 1-31",
                                        (unsigned) rec->week_or_day);
                break;
        default:
                return tt_error(e, r, "passage mode type %u is neither 1 (weekly) nor 2 (monthly)",
                                (unsigned) rec->type);
        }
        if (rec->start_hour > 23)
                return tt_error(e, r, "passage mode start hour %u out of range 0-23",
                                (unsigned) rec->start_hour);
        if (rec->start_minute > 59)
                return tt_error(e, r, "passage mode start minute %u out of range 0-59",
                                (unsigned) rec->start_minute);
        if (rec->end_hour > 23)
                return tt_error(e, r, "passage mode end hour %u out of range 0-23",
                                (unsigned) rec->end_hour);
        if (rec->end_minute > 59)
                return tt_error(e, r, "passage mode end minute %u out of range 0-59",
                                (unsigned) rec->end_minute);
        return 0;
}

int ttlock_passage_mode_record_check(const TTPassageModeRecord *rec, TTError *e) {
        assert(rec);
        return record_check(rec, -EINVAL, e);
}

static void put_record(TTWriter *w, const TTPassageModeRecord *rec) {
        tt_put_u8(w, rec->type);
        tt_put_u8(w, rec->week_or_day);
        tt_put_u8(w, rec->month);
        tt_put_u8(w, rec->start_hour);
        tt_put_u8(w, rec->start_minute);
        tt_put_u8(w, rec->end_hour);
        tt_put_u8(w, rec->end_minute);
}

/* [type][weekOrDay][month][sh][sm][eh][em] (§4.3), checked. */
static int get_record(TTReader *r, TTPassageModeRecord *ret) {
        TTPassageModeRecord rec;
        int k;

        if ((k = tt_get_u8(r, "passage mode type", &rec.type)) < 0 ||
            (k = tt_get_u8(r, "passage mode weekday/day", &rec.week_or_day)) < 0 ||
            (k = tt_get_u8(r, "passage mode month", &rec.month)) < 0 ||
            (k = tt_get_u8(r, "passage mode start hour", &rec.start_hour)) < 0 ||
            (k = tt_get_u8(r, "passage mode start minute", &rec.start_minute)) < 0 ||
            (k = tt_get_u8(r, "passage mode end hour", &rec.end_hour)) < 0 ||
            (k = tt_get_u8(r, "passage mode end minute", &rec.end_minute)) < 0)
                return k;
        k = record_check(&rec, -EBADMSG, r->error);
        if (k < 0)
                return k;
        *ret = rec;
        return 0;
}

int ttlock_passage_mode_request_encode(TTWriter *w, const TTPassageModeRequest *req, TTError *e) {
        int r;

        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_PASSAGE_MODE_QUERY:
                tt_put_u8(w, req->op);
                tt_put_u8(w, req->seq);
                return 0;
        case TTLOCK_PASSAGE_MODE_ADD:
        case TTLOCK_PASSAGE_MODE_DELETE:
                r = record_check(&req->record, -EINVAL, e);
                if (r < 0)
                        return r;
                tt_put_u8(w, req->op);
                put_record(w, &req->record);
                return 0;
        case TTLOCK_PASSAGE_MODE_CLEAR:
                tt_put_u8(w, req->op);
                return 0;
        default:
                return unknown_op(e, -EINVAL, "passage mode", req->op);
        }
}

int ttlock_passage_mode_request_decode(const uint8_t *data, size_t len, TTPassageModeRequest *ret,
                                       TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTPassageModeRequest req = {};
        int r;

        assert(ret);

        r = tt_get_u8(&rd, "passage mode operation", &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_PASSAGE_MODE_QUERY:
                r = tt_get_u8(&rd, "passage mode seq", &req.seq);
                break;
        case TTLOCK_PASSAGE_MODE_ADD:
        case TTLOCK_PASSAGE_MODE_DELETE:
                r = get_record(&rd, &req.record);
                break;
        case TTLOCK_PASSAGE_MODE_CLEAR:
                r = 0;
                break;
        default:
                return unknown_op(e, -EBADMSG, "passage mode", req.op);
        }
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "passage mode request");
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

int ttlock_passage_mode_reply_encode(TTWriter *w, const TTPassageModeReply *reply, TTError *e) {
        int r;

        assert(w);
        assert(reply);

        if (reply->op < TTLOCK_PASSAGE_MODE_QUERY || reply->op > TTLOCK_PASSAGE_MODE_CLEAR)
                return unknown_op(e, -EINVAL, "passage mode", reply->op);
        if (reply->op == TTLOCK_PASSAGE_MODE_QUERY) {
                if (reply->n_records > TTLOCK_PASSAGE_MODE_RECORDS_MAX)
                        return tt_error(e, -EINVAL, "passage mode: %zu records, at most %d fit in a reply",
                                        reply->n_records, (int) TTLOCK_PASSAGE_MODE_RECORDS_MAX);
                for (size_t i = 0; i < reply->n_records; i++) {
                        r = record_check(&reply->records[i], -EINVAL, e);
                        if (r < 0)
                                return r;
                }
        }

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_PASSAGE_MODE_QUERY) {
                tt_put_u8(w, reply->next_seq);
                for (size_t i = 0; i < reply->n_records; i++)
                        put_record(w, &reply->records[i]);
        }
        return 0;
}

int ttlock_passage_mode_reply_decode(const uint8_t *data, size_t len, TTPassageModeReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTPassageModeReply reply = {};
        int r;

        assert(ret);

        r = get_reply_head(&rd, "passage mode", TTLOCK_PASSAGE_MODE_CLEAR, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_PASSAGE_MODE_QUERY) {
                r = tt_get_u8(&rd, "passage mode next seq", &reply.next_seq);
                if (r < 0)
                        return r;
                /* No count field (§4.3): whole records until fewer than 7 bytes are left. */
                while (tt_reader_left(&rd) >= TTLOCK_PASSAGE_MODE_RECORD_SIZE) {
                        if (reply.n_records >= TTLOCK_PASSAGE_MODE_RECORDS_MAX)
                                return tt_error(e, -EBADMSG,
                                                "passage mode: more than %d records in one reply",
                                                (int) TTLOCK_PASSAGE_MODE_RECORDS_MAX);
                        r = get_record(&rd, &reply.records[reply.n_records]);
                        if (r < 0)
                                return r;
                        reply.n_records++;
                }
        }

        *ret = reply;
        return 0;
}

/* ---- LAMP 0x67 ---------------------------------------------------------------------------- */

int ttlock_lamp_request_encode(TTWriter *w, const TTLampRequest *req, TTError *e) {
        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_SETTING_QUERY:
                tt_put_u8(w, TTLOCK_SETTING_QUERY);
                return 0;
        case TTLOCK_SETTING_SET:
                tt_put_u8(w, TTLOCK_SETTING_SET);
                tt_put_u16be(w, req->seconds);
                return 0;
        default:
                return unknown_op(e, -EINVAL, "lamp", req->op);
        }
}

int ttlock_lamp_request_decode(const uint8_t *data, size_t len, TTLampRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTLampRequest req = {};
        int r;

        assert(ret);

        r = tt_get_u8(&rd, "lamp operation", &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_SETTING_QUERY:
                break;
        case TTLOCK_SETTING_SET:
                r = tt_get_u16be(&rd, "lamp seconds", &req.seconds);
                if (r < 0)
                        return r;
                break;
        default:
                return unknown_op(e, -EBADMSG, "lamp", req.op);
        }
        r = tt_expect_end(&rd, "lamp request");
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

int ttlock_lamp_reply_encode(TTWriter *w, const TTLampReply *reply, TTError *e) {
        assert(w);
        assert(reply);

        if (!is_query_or_set(reply->op))
                return unknown_op(e, -EINVAL, "lamp", reply->op);

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY)
                tt_put_u16be(w, reply->seconds);
        return 0;
}

int ttlock_lamp_reply_decode(const uint8_t *data, size_t len, TTLampReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTLampReply reply = {};
        int r;

        assert(ret);

        r = get_reply_head(&rd, "lamp", TTLOCK_SETTING_SET, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_SETTING_QUERY) {
                r = tt_get_u16be(&rd, "lamp seconds", &reply.seconds);
                if (r < 0)
                        return r;
        }

        *ret = reply;
        return 0;
}

/* ---- SWITCH 0x68 -------------------------------------------------------------------------- */

int ttlock_switch_request_encode(TTWriter *w, const TTSwitchRequest *req, TTError *e) {
        assert(w);
        assert(req);

        switch (req->op) {
        case TTLOCK_SETTING_QUERY:
                tt_put_u8(w, TTLOCK_SETTING_QUERY);
                return 0;
        case TTLOCK_SETTING_SET:
                tt_put_u8(w, TTLOCK_SETTING_SET);
                tt_put_u32be(w, req->items);
                tt_put_u32be(w, req->values);
                return 0;
        default:
                return unknown_op(e, -EINVAL, "switch", req->op);
        }
}

int ttlock_switch_request_decode(const uint8_t *data, size_t len, TTSwitchRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTSwitchRequest req = {};
        int r;

        assert(ret);

        r = tt_get_u8(&rd, "switch operation", &req.op);
        if (r < 0)
                return r;
        switch (req.op) {
        case TTLOCK_SETTING_QUERY:
                break;
        case TTLOCK_SETTING_SET:
                r = tt_get_u32be(&rd, "switch items", &req.items);
                if (r < 0)
                        return r;
                r = tt_get_u32be(&rd, "switch values", &req.values);
                if (r < 0)
                        return r;
                break;
        default:
                return unknown_op(e, -EBADMSG, "switch", req.op);
        }
        r = tt_expect_end(&rd, "switch request");
        if (r < 0)
                return r;

        *ret = req;
        return 0;
}

int ttlock_switch_reply_encode(TTWriter *w, const TTSwitchReply *reply, TTError *e) {
        assert(w);
        assert(reply);

        if (!is_query_or_set(reply->op))
                return unknown_op(e, -EINVAL, "switch", reply->op);

        tt_put_u8(w, reply->battery);
        tt_put_u8(w, reply->op);
        if (reply->op == TTLOCK_SETTING_QUERY) {
                tt_put_u32be(w, reply->items);
                tt_put_u32be(w, reply->values);
        }
        return 0;
}

int ttlock_switch_reply_decode(const uint8_t *data, size_t len, TTSwitchReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTSwitchReply reply = {};
        int r;

        assert(ret);

        r = get_reply_head(&rd, "switch", TTLOCK_SETTING_SET, &reply.battery, &reply.op);
        if (r < 0)
                return r;
        if (reply.op == TTLOCK_SETTING_QUERY) {
                r = tt_get_u32be(&rd, "switch items", &reply.items);
                if (r < 0)
                        return r;
                r = tt_get_u32be(&rd, "switch values", &reply.values);
                if (r < 0)
                        return r;
        }

        *ret = reply;
        return 0;
}
