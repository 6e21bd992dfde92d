/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "command.h"
#include "credentials.h"
#include "describe.h"

static const char *passcode_type_name(uint8_t type) {
        switch (type) {
        case TTLOCK_PASSCODE_PERMANENT:
                return "permanent";
        case TTLOCK_PASSCODE_COUNT:
                return "one-time";
        case TTLOCK_PASSCODE_PERIOD:
                return "period";
        case TTLOCK_PASSCODE_CYCLIC:
                return "cyclic";
        }
        return "unknown";
}

static const char *passcode_op_name(uint8_t op) {
        switch (op) {
        case TTLOCK_PASSCODE_OP_CLEAR:
                return "clear";
        case TTLOCK_PASSCODE_OP_ADD:
                return "add";
        case TTLOCK_PASSCODE_OP_DELETE:
                return "delete";
        case TTLOCK_PASSCODE_OP_MODIFY:
                return "modify";
        case TTLOCK_PASSCODE_OP_RECOVERY:
                return "recovery";
        }
        return "unknown";
}

static const char *card_op_name(uint8_t op) {
        switch (op) {
        case TTLOCK_CARD_OP_SEARCH:
                return "search";
        case TTLOCK_CARD_OP_ADD:
                return "add";
        case TTLOCK_CARD_OP_DELETE:
                return "delete";
        case TTLOCK_CARD_OP_CLEAR:
                return "clear";
        case TTLOCK_CARD_OP_MODIFY:
                return "modify";
        }
        return "unknown";
}

static const char *fingerprint_op_name(uint8_t op) {
        switch (op) {
        case TTLOCK_FP_OP_SEARCH:
                return "search";
        case TTLOCK_FP_OP_ADD:
                return "add";
        case TTLOCK_FP_OP_DELETE:
                return "delete";
        case TTLOCK_FP_OP_CLEAR:
                return "clear";
        case TTLOCK_FP_OP_MODIFY:
                return "modify";
        }
        return "unknown";
}

static const char *enrol_status_name(uint8_t s) {
        switch (s) {
        case TTLOCK_ENROL_SUCCESS:
                return "success";
        case TTLOCK_ENROL_WAITING:
                return "waiting";
        case TTLOCK_ENROL_PROGRESS:
                return "progress";
        case TTLOCK_ENROL_TEMPLATE:
                return "template";
        }
        return "unknown";
}

static void validity(Printer *p, const TTDateTime *start, const TTDateTime *end) {
        describe_datetime(p, "valid_from", start);
        describe_datetime(p, "valid_until", end);
}

static int passcodes(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        int r;

        if (reply) {
                TTOpReply o;
                r = ttlock_op_reply_decode(data, len, &o, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", o.battery);
                printer_string(p, "op", passcode_op_name(o.op));
                return 1;
        }

        TTPasscodeRequest q;
        r = ttlock_passcode_request_decode(data, len, &q, e);
        if (r < 0)
                return r;
        printer_string(p, "op", passcode_op_name(q.op));
        if (q.op == TTLOCK_PASSCODE_OP_CLEAR)
                return 1;
        printer_string(p, "type", passcode_type_name(q.type));
        printer_string(p, "passcode", q.code);
        if (q.op == TTLOCK_PASSCODE_OP_MODIFY || q.op == TTLOCK_PASSCODE_OP_RECOVERY)
                printer_string(p, "new_passcode", q.new_code);
        if (q.op == TTLOCK_PASSCODE_OP_ADD || q.op == TTLOCK_PASSCODE_OP_RECOVERY ||
            (q.op == TTLOCK_PASSCODE_OP_MODIFY && q.has_validity)) {
                describe_datetime(p, "valid_from", &q.start);
                if (q.type == TTLOCK_PASSCODE_COUNT || q.type == TTLOCK_PASSCODE_PERIOD ||
                    q.op == TTLOCK_PASSCODE_OP_MODIFY)
                        describe_datetime(p, "valid_until", &q.end);
                if (q.op == TTLOCK_PASSCODE_OP_RECOVERY && q.type == TTLOCK_PASSCODE_CYCLIC)
                        printer_uint(p, "cycle_type", q.cycle_type);
        }
        return 1;
}

static int passcode_list(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        _cleanup_free_ TTPasscodePage *page = NULL;
        int r;

        if (!reply) {
                uint16_t seq;
                r = ttlock_pwd_list_request_decode(data, len, &seq, e);
                if (r < 0)
                        return r;
                printer_uint(p, "sequence", seq);
                return 1;
        }

        page = calloc(1, sizeof(TTPasscodePage));
        if (!page)
                return tt_error(e, -ENOMEM, "out of memory");
        r = ttlock_pwd_list_reply_decode(data, len, page, e);
        if (r < 0)
                return r;
        printer_uint(p, "total", page->total);
        printer_code(p, "next_sequence", page->next_sequence, 4);
        printer_array_begin(p, "passcodes");
        for (size_t i = 0; i < page->n_entries; i++) {
                const TTPasscodeEntry *pc = &page->entries[i];

                printer_object_begin(p, NULL);
                printer_string(p, "type", passcode_type_name(pc->type));
                printer_string(p, "passcode", pc->code);
                printer_string(p, "original", pc->original);
                describe_datetime(p, "valid_from", &pc->start);
                if (pc->type == TTLOCK_PASSCODE_COUNT || pc->type == TTLOCK_PASSCODE_PERIOD)
                        describe_datetime(p, "valid_until", &pc->end);
                if (pc->type == TTLOCK_PASSCODE_CYCLIC)
                        printer_uint(p, "cycle_type", pc->cycle_type);
                printer_object_end(p);
        }
        printer_array_end(p);
        return 1;
}

static int cards(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        _cleanup_free_ TTCardReply *rp = NULL;
        char number[TTLOCK_CARD_NUMBER_STRLEN];
        int r;

        if (!reply) {
                TTCardRequest q;
                r = ttlock_card_request_decode(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_string(p, "op", card_op_name(q.op));
                if (q.op == TTLOCK_CARD_OP_SEARCH)
                        printer_uint(p, "sequence", q.sequence);
                if (q.op == TTLOCK_CARD_OP_DELETE || q.op == TTLOCK_CARD_OP_MODIFY ||
                    (q.op == TTLOCK_CARD_OP_ADD && q.has_card))
                        printer_string(p, "card", ttlock_card_number_format(q.card.number, number));
                if (q.op == TTLOCK_CARD_OP_MODIFY || (q.op == TTLOCK_CARD_OP_ADD && q.has_card))
                        validity(p, &q.start, &q.end);
                return 1;
        }

        rp = calloc(1, sizeof(TTCardReply));
        if (!rp)
                return tt_error(e, -ENOMEM, "out of memory");
        r = ttlock_card_reply_decode(data, len, rp, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", rp->battery);
        printer_string(p, "op", card_op_name(rp->op));
        if (rp->op == TTLOCK_CARD_OP_SEARCH) {
                printer_code(p, "next_sequence", rp->next_sequence, 4);
                printer_array_begin(p, "cards");
                for (size_t i = 0; i < rp->n_cards; i++) {
                        printer_object_begin(p, NULL);
                        printer_string(p, "card", ttlock_card_number_format(rp->cards[i].card.number, number));
                        validity(p, &rp->cards[i].start, &rp->cards[i].end);
                        printer_object_end(p);
                }
                printer_array_end(p);
        } else if (rp->op == TTLOCK_CARD_OP_ADD) {
                printer_string(p, "enrolment", enrol_status_name(rp->add_status));
                if (rp->add_status == TTLOCK_ENROL_SUCCESS)
                        printer_string(p, "card", ttlock_card_number_format(rp->card.number, number));
        }
        return 1;
}

static int fingerprints(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        _cleanup_free_ TTFingerprintReply *rp = NULL;
        int r;

        if (!reply) {
                TTFingerprintRequest q;
                r = ttlock_fingerprint_request_decode(data, len, &q, e);
                if (r < 0)
                        return r;
                printer_string(p, "op", fingerprint_op_name(q.op));
                if (q.op == TTLOCK_FP_OP_SEARCH)
                        printer_uint(p, "sequence", q.sequence);
                if (q.op == TTLOCK_FP_OP_DELETE || q.op == TTLOCK_FP_OP_MODIFY)
                        printer_uint(p, "fingerprint", q.id);
                if (q.op == TTLOCK_FP_OP_MODIFY)
                        validity(p, &q.start, &q.end);
                return 1;
        }

        rp = calloc(1, sizeof(TTFingerprintReply));
        if (!rp)
                return tt_error(e, -ENOMEM, "out of memory");
        r = ttlock_fingerprint_reply_decode(data, len, rp, e);
        if (r < 0)
                return r;
        printer_uint(p, "battery", rp->battery);
        printer_string(p, "op", fingerprint_op_name(rp->op));
        if (rp->op == TTLOCK_FP_OP_SEARCH) {
                printer_code(p, "next_sequence", rp->next_sequence, 4);
                printer_array_begin(p, "fingerprints");
                for (size_t i = 0; i < rp->n_fingerprints; i++) {
                        printer_object_begin(p, NULL);
                        printer_uint(p, "fingerprint", rp->fingerprints[i].id);
                        validity(p, &rp->fingerprints[i].start, &rp->fingerprints[i].end);
                        printer_object_end(p);
                }
                printer_array_end(p);
        } else if (rp->op == TTLOCK_FP_OP_ADD) {
                printer_string(p, "enrolment", enrol_status_name(rp->add_status));
                switch (rp->add_status) {
                case TTLOCK_ENROL_WAITING:
                        if (rp->has_total)
                                printer_uint(p, "total", rp->total);
                        break;
                case TTLOCK_ENROL_PROGRESS:
                        printer_uint(p, "current", rp->current);
                        printer_uint(p, "total", rp->total);
                        break;
                case TTLOCK_ENROL_SUCCESS:
                        printer_uint(p, "fingerprint", rp->id);
                        break;
                case TTLOCK_ENROL_TEMPLATE:
                        printer_uint(p, "template_sequence", rp->template_sequence);
                        printer_uint(p, "template_packet_length", rp->template_packet_length);
                        break;
                }
        }
        return 1;
}

static const char *const weekday_names[] = { NULL, "monday", "tuesday", "wednesday", "thursday",
                                             "friday", "saturday", "sunday" };

/* CYCLIC_CMD (§4.3, §4.9). The reply is [battery][op] and, for a query, what the lock holds: no source
 * gives that layout, so it is shown raw after the op. */
static int cyclic(Printer *p, bool reply, const uint8_t *data, size_t len, TTError *e) {
        static const char *const ops[] = { [TTLOCK_CYCLIC_OP_QUERY] = "query", [TTLOCK_CYCLIC_OP_ADD] = "add",
                                           [TTLOCK_CYCLIC_OP_REMOVE] = "remove", [TTLOCK_CYCLIC_OP_CLEAR] = "clear" };
        char number[TTLOCK_CARD_NUMBER_STRLEN];
        const char *user;
        TTCyclicRequest q;
        int r;

        if (reply) {
                TTOpReply o;
                r = ttlock_op_reply_decode(data, len, &o, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", o.battery);
                printer_string(p, "op", o.op < ELEMENTSOF(ops) && ops[o.op] ? ops[o.op] : "unknown");
                if (len > 2)
                        printer_hex(p, "data", data + 2, len - 2);
                return 1;
        }
        r = ttlock_cyclic_request_decode(data, len, &q, e);
        if (r < 0)
                return r;
        printer_string(p, "op", ops[q.op]);
        user = ttlock_cyclic_user_name(q.user_type);
        printer_string(p, "user_type", user);
        if (q.user_size == 0)
                printer_string(p, "user", "all");
        else
                switch (q.user_type) {
                case TTLOCK_CYCLIC_USER_FINGERPRINT:
                        printer_uint(p, "fingerprint", q.user);
                        break;
                case TTLOCK_CYCLIC_USER_IC:
                        printer_string(p, "card", ttlock_card_number_format(q.user, number));
                        break;
                case TTLOCK_CYCLIC_USER_KEY_FOB:
                        printer_stringf(p, "key_fob", "%02X:%02X:%02X:%02X:%02X:%02X", q.user_bytes[5],
                                        q.user_bytes[4], q.user_bytes[3], q.user_bytes[2], q.user_bytes[1],
                                        q.user_bytes[0]);
                        break;
                case TTLOCK_CYCLIC_USER_PASSCODE:
                        printer_string(p, "passcode", q.passcode);
                        printer_string(p, "user_note", "ttlockd's own user type for passcodes (§4.9)");
                        break;
                default:
                        printer_hex(p, "user", q.user_bytes, q.user_size);
                        break;
                }
        if (q.op == TTLOCK_CYCLIC_OP_ADD) {
                printer_string(p, "cycle", "weekly");
                printer_string(p, "weekday", weekday_names[q.weekday]);
                printer_stringf(p, "start", "%02u:%02u", q.start_hour, q.start_minute);
                printer_stringf(p, "end", "%02u:%02u", q.end_hour, q.end_minute);
                printer_bool(p, "padded", !q.unpadded);
        }
        return 1;
}

int describe_credentials(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len,
                         TTError *e) {
        int r;

        switch (command) {
        case TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD:
                return passcodes(p, reply, data, len, e);
        case TTLOCK_CMD_PWD_LIST:
                return passcode_list(p, reply, data, len, e);
        case TTLOCK_CMD_IC_MANAGE:
                return cards(p, reply, data, len, e);
        case TTLOCK_CMD_FR_MANAGE:
                return fingerprints(p, reply, data, len, e);
        case TTLOCK_CMD_CYCLIC_CMD:
                return cyclic(p, reply, data, len, e);

        case TTLOCK_CMD_GET_ADMIN_CODE:
                if (!reply) {
                        r = ttlock_admin_code_request_decode(data, len, e);
                        return r < 0 ? r : 1;
                }
                TTAdminCodeReply a;
                r = ttlock_admin_code_reply_decode(data, len, &a, e);
                if (r < 0)
                        return r;
                printer_uint(p, "battery", a.battery);
                printer_string(p, "admin_passcode", a.code);
                return 1;

        case TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD:
                if (!reply) {
                        char code[TTLOCK_PASSCODE_MAX + 1];
                        r = ttlock_set_admin_code_request_decode(data, len, code, e);
                        if (r < 0)
                                return r;
                        printer_string(p, "admin_passcode", code);
                        return 1;
                }
                TTSetAdminCodeReply s;
                r = ttlock_set_admin_code_reply_decode(data, len, &s, e);
                if (r < 0)
                        return r;
                if (s.has_battery)
                        printer_uint(p, "battery", s.battery);
                return 1;
        }
        return 0;
}
