/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "access.h"
#include "command.h"
#include "describe.h"

static const char *state_name(TTLockState s) {
        switch (s) {
        case TTLOCK_STATE_LOCKED:
                return "locked";
        case TTLOCK_STATE_UNLOCKED:
                return "unlocked";
        default:
                return "unknown";
        }
}

static int describe_empty_or_vendor(Printer *p, int r) {
        if (r < 0)
                return r;
        printer_string(p, "vendor", TTLOCK_VENDOR);
        return 1;
}

static int describe_status(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        TTStatusReply s;
        TTStatusPush push;
        int r;

        if (!reply)
                return describe_empty_or_vendor(p, ttlock_status_request_decode(data, len, e));

        /* The 15-byte form is only ever a push ("a log entry was written", §7.3); the 3-byte form
         * looks the same whether it answers our query or comes by itself. */
        if (len >= 15) {
                r = ttlock_status_push_decode(data, len, &push, e);
                if (r < 0)
                        return r;
                printer_string(p, "form", "record-push");
                printer_uint(p, "battery", push.battery);
                printer_uint(p, "uid", push.uid);
                printer_uint(p, "record_id", push.record_id);
                if (push.time_valid)
                        describe_datetime(p, "time", &push.time);
                return 1;
        }

        r = ttlock_status_reply_decode(data, len, &s, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", s.battery);
        printer_string(p, "state", state_name(s.state));
        if (s.has_door_sensor)
                printer_uint(p, "door_sensor", s.door_sensor);
        return 1;
}

static int describe_actuate(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        int r;

        if (!reply) {
                TTActuateRequest q;
                r = ttlock_actuate_request_decode(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_code(p, "sum", q.sum, 8);
                printer_uint(p, "timestamp", q.timestamp);
                return 1;
        }

        TTActuateReply a;
        r = ttlock_actuate_reply_decode(data, len, &a, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", a.battery);
        if (a.has_record) {
                printer_uint(p, "uid", a.uid);
                printer_uint(p, "unique_id", a.unique_id);
                if (a.time_valid)
                        describe_datetime(p, "time", &a.time);
        }
        return 1;
}

static int describe_challenge_reply(Printer *p, const uint8_t *data, size_t len, TTError *e) {
        TTChallengeReply c;
        int r = ttlock_challenge_reply_decode(data, len, &c, e);
        if (r < 0)
                return r;
        printer_code(p, "ps_from_lock", c.ps_from_lock, 8);
        return 1;
}

int describe_access(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        int r;

        switch (command) {
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS:
                return describe_status(p, reply, data, len, e);

        case TTLOCK_CMD_UNLOCK:
        case TTLOCK_CMD_FUNCTION_LOCK:
        case TTLOCK_CMD_DEAD_LOCK:
                return describe_actuate(p, reply, data, len, e);

        case TTLOCK_CMD_CHECK_ADMIN:
                if (reply)
                        return describe_challenge_reply(p, data, len, e);
                TTCheckAdminRequest a;
                r = ttlock_check_admin_request_decode(data, len, &a, e);
                if (r < 0)
                        return r;
                printer_uint(p, "admin_ps", a.admin_ps);
                printer_uint(p, "lock_flag_pos", a.lock_flag_pos);
                printer_uint(p, "uid", a.uid);
                return 1;

        case TTLOCK_CMD_CHECK_USER_TIME:
                if (reply)
                        return describe_challenge_reply(p, data, len, e);
                TTCheckUserTimeRequest u;
                r = ttlock_check_user_time_request_decode(data, len, &u, e);
                if (r < 0)
                        return r;
                describe_datetime(p, "valid_from", &u.start);
                describe_datetime(p, "valid_until", &u.end);
                /* §4.10: some clients write this window as BCD, and real locks take it. */
                if (u.start_encoding == TTLOCK_DATE_BCD)
                        printer_string(p, "valid_from_encoding", "bcd");
                if (u.end_encoding == TTLOCK_DATE_BCD)
                        printer_string(p, "valid_until_encoding", "bcd");
                printer_uint(p, "lock_flag_pos", u.lock_flag_pos);
                printer_uint(p, "uid", u.uid);
                return 1;

        case TTLOCK_CMD_CHECK_RANDOM:
                if (reply)
                        return 1; /* status only */
                uint32_t sum;
                r = ttlock_check_random_request_decode(data, len, &sum, e);
                if (r < 0)
                        return r;
                printer_code(p, "sum", sum, 8);
                return 1;
        }
        return 0;
}
