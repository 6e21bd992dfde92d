/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "command.h"

/* Reads a 6-byte date that may legitimately be meaningless: a lock without a clock chip (feature
 * 20) has no time to report, and the bolt has moved all the same, so an impossible date must not
 * turn a successful unlock into a protocol error. It is reported as *ret_valid = false. */
static int get_optional_date6(TTReader *rd, const char *field, TTDateTime *ret, bool *ret_valid) {
        const uint8_t *p;
        TTDateTime t;
        int r;

        r = tt_get_bytes(rd, field, 6, &p);
        if (r < 0)
                return r;
        if (ttlock_date6_decode(p, &t, /* e= */ NULL) < 0) {
                *ret = (TTDateTime) {};
                *ret_valid = false;
                return 0;
        }
        *ret = t;
        *ret_valid = true;
        return 0;
}

static int put_optional_date6(TTWriter *w, const TTDateTime *t, bool valid) {
        uint8_t d[6] = {};
        int r;

        if (valid) {
                r = ttlock_date6_encode(t, d);
                if (r < 0)
                        return r;
        }
        tt_put_bytes(w, d, sizeof(d));
        return 0;
}

void ttlock_put_vendor(TTWriter *w) {
        tt_put_bytes(w, TTLOCK_VENDOR, TTLOCK_VENDOR_LEN);
}

int ttlock_get_vendor(TTReader *rd) {
        const uint8_t *p;
        int r;

        r = tt_get_bytes(rd, "vendor", TTLOCK_VENDOR_LEN, &p);
        if (r < 0)
                return r;
        if (memcmp(p, TTLOCK_VENDOR, TTLOCK_VENDOR_LEN) != 0) {
                char hex[2 * TTLOCK_VENDOR_LEN + 1];

                /* Hex, not text: the bytes came off the air and may not be printable. */
                for (size_t i = 0; i < TTLOCK_VENDOR_LEN; i++) {
                        static const char digits[] = "0123456789abcdef";
                        hex[2 * i] = digits[p[i] >> 4];
                        hex[2 * i + 1] = digits[p[i] & 0xF];
                }
                hex[sizeof(hex) - 1] = 0;
                return tt_error(rd->error, -EBADMSG, "vendor: expected \"%s\", got %s",
                                TTLOCK_VENDOR, hex);
        }
        return 0;
}

int ttlock_empty_request_decode(uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        const char *name = ttlock_command_name(command);
        char what[96]; /* the longest command name (27) fits with room to spare */

        if (!name)
                name = "unknown command";
        (void) snprintf(what, sizeof(what), "%s request (it has no payload)", name);
        return tt_expect_end(&rd, what);
}

/* ---- 0x14 ---- */

static int get_state(TTReader *rd, TTLockState *ret) {
        uint8_t v;
        int r;

        r = tt_get_u8(rd, "state", &v);
        if (r < 0)
                return r;
        if (v > TTLOCK_STATE_UNKNOWN)
                return tt_error(rd->error, -EBADMSG,
                                "state: %u is not 0 (locked), 1 (unlocked) or 2 (unknown)", v);
        *ret = v;
        return 0;
}

void ttlock_status_request_encode(TTWriter *w) {
        ttlock_put_vendor(w);
}

int ttlock_status_request_decode(const uint8_t *data, size_t len, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        int r;

        r = ttlock_get_vendor(&rd);
        if (r < 0)
                return r;
        return tt_expect_end(&rd, "SEARCH_BICYCLE_STATUS vendor");
}

void ttlock_status_reply_encode(TTWriter *w, const TTStatusReply *s) {
        tt_put_u8(w, s->battery);
        tt_put_u8(w, s->state);
        if (s->has_door_sensor)
                tt_put_u8(w, s->door_sensor);
}

int ttlock_status_reply_decode(const uint8_t *data, size_t len, TTStatusReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTStatusReply s = {};
        int r;

        r = tt_get_u8(&rd, "battery", &s.battery);
        if (r < 0)
                return r;
        r = get_state(&rd, &s.state);
        if (r < 0)
                return r;
        /* §4.3: d[2] is the door sensor on locks that have one; the official SDK reads by index
         * and ignores anything further. */
        if (tt_reader_left(&rd) > 0) {
                r = tt_get_u8(&rd, "door sensor", &s.door_sensor);
                if (r < 0)
                        return r;
                s.has_door_sensor = true;
        }

        *ret = s;
        return 0;
}

#define PUSH_RECORD_LEN 15

int ttlock_status_push_encode(TTWriter *w, const TTStatusPush *p) {
        switch (p->kind) {
        case TTLOCK_PUSH_STATE:
                tt_put_u8(w, p->battery);
                tt_put_u8(w, p->state);
                if (p->has_flag)
                        tt_put_u8(w, p->flag);
                return 0;
        case TTLOCK_PUSH_RECORD:
                tt_put_u8(w, p->battery);
                tt_put_u32be(w, p->uid);
                tt_put_u32be(w, p->record_id);
                return put_optional_date6(w, &p->time, p->time_valid);
        }
        return -EINVAL;
}

int ttlock_status_push_decode(const uint8_t *data, size_t len, TTStatusPush *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTStatusPush p = {};
        int r;

        /* §7.3: the length is the only thing that tells the two forms apart. Anything between
         * them is neither; a record longer than 15 bytes is accepted as firmware adding fields. */
        if (len >= PUSH_RECORD_LEN)
                p.kind = TTLOCK_PUSH_RECORD;
        else if (len >= 2 && len <= 3)
                p.kind = TTLOCK_PUSH_STATE;
        else
                return tt_error(e, -EBADMSG,
                                "0x14 push of %zu data bytes is neither a state (3) nor a record (15)", len);

        r = tt_get_u8(&rd, "battery", &p.battery);
        if (r < 0)
                return r;

        if (p.kind == TTLOCK_PUSH_STATE) {
                r = get_state(&rd, &p.state);
                if (r < 0)
                        return r;
                if (tt_reader_left(&rd) > 0) {
                        r = tt_get_u8(&rd, "flag", &p.flag);
                        if (r < 0)
                                return r;
                        p.has_flag = true;
                }
        } else {
                r = tt_get_u32be(&rd, "uid", &p.uid);
                if (r < 0)
                        return r;
                r = tt_get_u32be(&rd, "recordId", &p.record_id);
                if (r < 0)
                        return r;
                r = get_optional_date6(&rd, "time", &p.time, &p.time_valid);
                if (r < 0)
                        return r;
        }

        *ret = p;
        return 0;
}

/* ---- challenges ---- */

/* §4.3: only the low 3 bytes of lockFlagPos go on the wire. The encoders refuse a larger value
 * rather than truncate it: a truncated flag would be checked against the wrong eKey generation. */
static void put_flag_pos_uid(TTWriter *w, uint32_t lock_flag_pos, uint32_t uid) {
        tt_put_uint_be(w, lock_flag_pos, 3);
        tt_put_u32be(w, uid);
}

static int get_flag_pos_uid(TTReader *rd, uint32_t *ret_flag_pos, uint32_t *ret_uid) {
        uint64_t flag_pos;
        int r;

        r = tt_get_uint_be(rd, "lockFlagPos", 3, &flag_pos);
        if (r < 0)
                return r;
        r = tt_get_u32be(rd, "uid", ret_uid);
        if (r < 0)
                return r;
        *ret_flag_pos = (uint32_t) flag_pos;
        return 0;
}

int ttlock_check_admin_request_encode(TTWriter *w, const TTCheckAdminRequest *q) {
        if (q->lock_flag_pos > TTLOCK_LOCK_FLAG_POS_MAX)
                return -EINVAL;
        tt_put_u32be(w, q->admin_ps);
        put_flag_pos_uid(w, q->lock_flag_pos, q->uid);
        return 0;
}

int ttlock_check_admin_request_decode(const uint8_t *data, size_t len, TTCheckAdminRequest *ret,
                                      TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTCheckAdminRequest q = {};
        int r;

        r = tt_get_u32be(&rd, "adminPs", &q.admin_ps);
        if (r < 0)
                return r;
        r = get_flag_pos_uid(&rd, &q.lock_flag_pos, &q.uid);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "CHECK_ADMIN request");
        if (r < 0)
                return r;

        *ret = q;
        return 0;
}

int ttlock_check_user_time_request_encode(TTWriter *w, const TTCheckUserTimeRequest *q) {
        uint8_t start[5], end[5];
        int r;

        if (q->lock_flag_pos > TTLOCK_LOCK_FLAG_POS_MAX)
                return -EINVAL;
        /* Decimal bytes (§4.2), or BCD when asked (§4.10: to write back what a client sent). */
        r = q->start_encoding == TTLOCK_DATE_BCD ? ttlock_date5_encode_bcd(&q->start, start)
                                                 : ttlock_date5_encode(&q->start, start);
        if (r < 0)
                return r;
        r = q->end_encoding == TTLOCK_DATE_BCD ? ttlock_date5_encode_bcd(&q->end, end)
                                               : ttlock_date5_encode(&q->end, end);
        if (r < 0)
                return r;
        tt_put_bytes(w, start, sizeof(start));
        tt_put_bytes(w, end, sizeof(end));
        put_flag_pos_uid(w, q->lock_flag_pos, q->uid);
        return 0;
}

int ttlock_check_user_time_request_decode(const uint8_t *data, size_t len, TTCheckUserTimeRequest *ret,
                                          TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTCheckUserTimeRequest q = {};
        int r;

        /* §4.10: [RR] writes this window as BCD and real locks take it. */
        r = ttlock_get_date5_lenient(&rd, "start", &q.start, &q.start_encoding);
        if (r < 0)
                return r;
        r = ttlock_get_date5_lenient(&rd, "end", &q.end, &q.end_encoding);
        if (r < 0)
                return r;
        r = get_flag_pos_uid(&rd, &q.lock_flag_pos, &q.uid);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "CHECK_USER_TIME request");
        if (r < 0)
                return r;

        *ret = q;
        return 0;
}

void ttlock_challenge_reply_encode(TTWriter *w, const TTChallengeReply *c) {
        tt_put_u32be(w, c->ps_from_lock);
}

int ttlock_challenge_reply_decode(const uint8_t *data, size_t len, TTChallengeReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTChallengeReply c = {};
        int r;

        /* The official SDK copies everything after the status byte and uses the first four
         * (§4.3 CHECK_ADMIN), so extra bytes are ignored. */
        r = tt_get_u32be(&rd, "psFromLock", &c.ps_from_lock);
        if (r < 0)
                return r;

        *ret = c;
        return 0;
}

/* ---- CHECK_RANDOM ---- */

uint32_t ttlock_unlock_sum(uint32_t ps_from_lock, uint32_t unlock_key) {
        /* Unsigned arithmetic wraps mod 2³², which is the official int truncation (§4.3). */
        return ps_from_lock + unlock_key;
}

void ttlock_check_random_request_encode(TTWriter *w, uint32_t sum) {
        tt_put_u32be(w, sum);
}

int ttlock_check_random_request_decode(const uint8_t *data, size_t len, uint32_t *ret_sum, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        uint32_t sum;
        int r;

        r = tt_get_u32be(&rd, "sum", &sum);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "CHECK_RANDOM request");
        if (r < 0)
                return r;

        *ret_sum = sum;
        return 0;
}

/* ---- UNLOCK / FUNCTION_LOCK / DEAD_LOCK ---- */

void ttlock_actuate_request_encode(TTWriter *w, const TTActuateRequest *q) {
        tt_put_u32be(w, q->sum);
        tt_put_u32be(w, q->timestamp);
}

int ttlock_actuate_request_decode(const uint8_t *data, size_t len, TTActuateRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTActuateRequest q = {};
        int r;

        r = tt_get_u32be(&rd, "sum", &q.sum);
        if (r < 0)
                return r;
        r = tt_get_u32be(&rd, "timestamp", &q.timestamp);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "unlock/lock request");
        if (r < 0)
                return r;

        *ret = q;
        return 0;
}

#define ACTUATE_RECORD_LEN 15

int ttlock_actuate_reply_encode(TTWriter *w, const TTActuateReply *a) {
        tt_put_u8(w, a->battery);
        if (!a->has_record)
                return 0;
        tt_put_u32be(w, a->uid);
        tt_put_u32be(w, a->unique_id);
        return put_optional_date6(w, &a->time, a->time_valid);
}

int ttlock_actuate_reply_decode(const uint8_t *data, size_t len, TTActuateReply *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTActuateReply a = {};
        int r;

        r = tt_get_u8(&rd, "battery", &a.battery);
        if (r < 0)
                return r;

        /* §4.3: the record fields are there only when the lock sent ≥ 15 data bytes; the official
         * SDK ignores a shorter tail, and anything after the date. */
        if (len >= ACTUATE_RECORD_LEN) {
                r = tt_get_u32be(&rd, "uid", &a.uid);
                if (r < 0)
                        return r;
                r = tt_get_u32be(&rd, "uniqueId", &a.unique_id);
                if (r < 0)
                        return r;
                r = get_optional_date6(&rd, "time", &a.time, &a.time_valid);
                if (r < 0)
                        return r;
                a.has_record = true;
        }

        *ret = a;
        return 0;
}
