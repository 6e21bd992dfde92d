/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "command.h"
#include "describe.h"
#include "oplog.h"

static void mac(Printer *p, const char *key, const uint8_t m[6]) {
        printer_stringf(p, key, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void record_tail(Printer *p, const TTLogRecord *rec) {
        char card[TTLOCK_CARD_NUMBER_STRLEN];

        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_NONE:
                break;
        case TTLOCK_LOG_TAIL_APP:
        case TTLOCK_LOG_TAIL_REMOTE_KEY:
                printer_uint(p, "uid", rec->app.uid);
                printer_uint(p, "record_id", rec->app.record_id);
                if (rec->tail == TTLOCK_LOG_TAIL_REMOTE_KEY)
                        printer_uint(p, "key_id", rec->app.key_id);
                break;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                printer_string(p, "passcode", rec->passcode_pair.original.code);
                printer_string(p, "typed", rec->passcode_pair.typed.code);
                break;
        case TTLOCK_LOG_TAIL_MODIFY:
                printer_string(p, "old_passcode", rec->modify.old_code.code);
                printer_string(p, "new_passcode", rec->modify.new_code.code);
                break;
        case TTLOCK_LOG_TAIL_DELETE_ONE:
                printer_string(p, "passcode", rec->delete_one.passcode.code);
                printer_string(p, "deleted", rec->delete_one.deleted.code);
                break;
        case TTLOCK_LOG_TAIL_WRONG_PASSCODE:
                printer_string(p, "passcode", rec->wrong.passcode.code);
                break;
        case TTLOCK_LOG_TAIL_DELETE_ALL:
                describe_datetime(p, "deleted_at", &rec->delete_all.date);
                if (rec->delete_all.has_passcode)
                        printer_string(p, "passcode", rec->delete_all.passcode.code);
                break;
        case TTLOCK_LOG_TAIL_KICKED:
                printer_string(p, "passcode", rec->kicked.passcode.code);
                printer_string(p, "kicked", rec->kicked.kicked.code);
                break;
        case TTLOCK_LOG_TAIL_CARD:
                printer_string(p, "card", ttlock_card_number_format(rec->card.number, card));
                break;
        case TTLOCK_LOG_TAIL_BRACELET:
                mac(p, "bracelet", rec->bracelet.mac);
                break;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                printer_uint(p, "fingerprint", rec->fingerprint.id);
                if (rec->fingerprint.has_passcode)
                        printer_string(p, "passcode", rec->fingerprint.passcode.code);
                break;
        case TTLOCK_LOG_TAIL_KEY_FOB:
                mac(p, "key_fob", rec->key_fob.mac);
                printer_uint(p, "key_id", rec->key_fob.key_id);
                printer_uint(p, "accessory_battery", rec->key_fob.battery);
                break;
        case TTLOCK_LOG_TAIL_KEYPAD:
                mac(p, "keypad", rec->keypad.mac);
                printer_uint(p, "accessory_battery", rec->keypad.battery);
                break;
        case TTLOCK_LOG_TAIL_RAW:
                printer_hex(p, "tail", rec->raw.data, rec->raw.len);
                break;
        }
}

int describe_oplog(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e) {
        _cleanup_free_ TTLogPage *page = NULL;
        int r;

        if (command != TTLOCK_CMD_GET_OPERATE_LOG)
                return 0;

        if (!reply) {
                uint16_t seq;
                r = ttlock_log_request_decode(data, len, &seq, e);
                if (r < 0)
                        return r;
                printer_code(p, "sequence", seq, 4);
                if (seq == TTLOCK_LOG_NEW_RECORDS)
                        printer_string(p, "meaning", "new records since the last read");
                return 1;
        }

        /* A page holds up to a few dozen records of a few hundred bytes each: keep it off the stack. */
        page = calloc(1, sizeof(TTLogPage));
        if (!page)
                return tt_error(e, -ENOMEM, "out of memory");
        r = ttlock_log_page_decode(data, len, page, e);
        if (r < 0)
                return r;

        printer_uint(p, "total", page->total);
        printer_code(p, "next_sequence", page->next_sequence, 4);
        printer_array_begin(p, "records");
        for (size_t i = 0; i < page->n_records; i++) {
                const TTLogRecord *rec = &page->records[i];
                TTLogEventClass ev = ttlock_log_type_event(rec->type);
                const char *name = ttlock_log_type_name(rec->type);

                printer_object_begin(p, NULL);
                printer_uint(p, "type", rec->type);
                if (name)
                        printer_string(p, "type_name", name);
                describe_datetime(p, "time", &rec->date);
                printer_uint(p, "battery", rec->battery);
                printer_string(p, "kind", ttlock_log_event_kind_to_string(ev.kind));
                printer_string(p, "method", ttlock_log_method_to_string(ev.method));
                record_tail(p, rec);
                printer_object_end(p);
        }
        printer_array_end(p);
        return 1;
}
