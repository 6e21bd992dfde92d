/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The credentials family (doc/protocol.md §4.3): MANAGE_KEYBOARD_PASSWORD 0x03, PWD_LIST 0x07,
 * IC_MANAGE 0x05, FR_MANAGE 0x06, CYCLIC_CMD 0x70, GET_ADMIN_CODE 0x65 and SET_ADMIN_KEYBOARD_PWD
 * 0x53. Every command has a request encoder (daemon) and decoder (simulator), and a reply encoder
 * (simulator) and decoder (daemon).
 *
 * "Reply data" is what follows [echo][status] (reply.h). Most replies start with d[0] battery,
 * d[1] operation echo; PWD_LIST has no battery byte (§4.3).
 *
 * Strictness: request decoders belong to the simulator and reject every byte they do not expect.
 * Reply decoders belong to the daemon; where a reply ends after fixed fields (battery, op, enrol
 * status…) they ignore bytes after the fields they know, as settings.h does, because a newer
 * firmware that appends a field must not break an operation that succeeded. Replies made of
 * records (search pages, PWD_LIST) are read to the end: there every byte belongs to a record.
 *
 * Encoders validate what they write and return -EINVAL with a message; decoders return -EBADMSG
 * with the field and value at fault. Neither touches *ret on failure. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "cyclic.h"
#include "datetime.h"
#include "frame.h"
#include "reply.h"
#include "tt-error.h"


/* ---- Passcode strings ------------------------------------------------------------------------ */

/* Passcodes travel as [len][ASCII digits]. Nothing in §4.3 bounds what a lock reports (logs, lists),
 * so the library accepts up to 16 digits there; what the daemon may add is 4–9 digits (§4.3 Add). */
#define TTLOCK_PASSCODE_MAX 16
#define TTLOCK_PASSCODE_ADD_MIN 4
#define TTLOCK_PASSCODE_ADD_MAX 9

/* 0 if s is min…max ASCII digits, else -EINVAL ("<field>: …"). */
int ttlock_passcode_check(const char *s, size_t min, size_t max, const char *field, TTError *e);
/* Writes [len][digits] after checking s as above. */
int ttlock_passcode_put(TTWriter *w, const char *s, size_t min, size_t max, const char *field,
                        TTError *e);
/* Reads [len][digits] into ret (NUL-terminated); -EBADMSG for a length outside min…max or a
 * non-digit byte. Errors go to r->error. */
int ttlock_passcode_get(TTReader *r, const char *field, size_t min, size_t max,
                        char ret[TTLOCK_PASSCODE_MAX + 1]);

/* ---- Card numbers ------------------------------------------------------------------------------ */

/* "18446744073709551615" + NUL */
#define TTLOCK_CARD_NUMBER_STRLEN 21

typedef struct TTCard {
        uint64_t number;
        uint8_t size; /* bytes on the wire: 4 or 8 */
} TTCard;

/* Decimal string ↔ integer: 1–20 ASCII digits, no sign, no leading zero (so that the string is the
 * one ttlock_card_number_format() gives back), value within uint64. -EINVAL otherwise. */
int ttlock_card_number_parse(const char *s, uint64_t *ret, TTError *e);
const char *ttlock_card_number_format(uint64_t number, char buf[TTLOCK_CARD_NUMBER_STRLEN]);

/* §4.3 IC_MANAGE: 4 bytes when the decimal string has ≤ 10 digits, else 8. A 10-digit number above
 * 4294967295 does not fit 4 bytes (the SDK would truncate it): it gets 8. */
uint8_t ttlock_card_size_for(uint64_t number);
int ttlock_card_from_string(const char *s, TTCard *ret, TTError *e);

/* ---- MANAGE_KEYBOARD_PASSWORD 0x03 -------------------------------------------------------------- */

typedef enum TTPasscodeType {
        TTLOCK_PASSCODE_PERMANENT = 1,
        TTLOCK_PASSCODE_COUNT = 2, /* one-time */
        TTLOCK_PASSCODE_PERIOD = 3,
        TTLOCK_PASSCODE_CYCLIC = 4,
} TTPasscodeType;

typedef enum TTPasscodeOp {
        TTLOCK_PASSCODE_OP_CLEAR = 1,
        TTLOCK_PASSCODE_OP_ADD = 2,
        TTLOCK_PASSCODE_OP_DELETE = 3,
        TTLOCK_PASSCODE_OP_MODIFY = 5,
        TTLOCK_PASSCODE_OP_RECOVERY = 6,
} TTPasscodeOp;

typedef struct TTPasscodeRequest {
        uint8_t op;   /* TTPasscodeOp */
        uint8_t type; /* TTPasscodeType; unused for CLEAR */
        char code[TTLOCK_PASSCODE_MAX + 1];     /* ADD, DELETE; MODIFY/RECOVERY: the old code */
        char new_code[TTLOCK_PASSCODE_MAX + 1]; /* MODIFY, RECOVERY */
        bool has_validity;                      /* MODIFY only: start+end follow */
        TTDateTime start; /* ADD, RECOVERY, MODIFY with has_validity */
        TTDateTime end;   /* ADD types 2/3, RECOVERY type 3, MODIFY with has_validity */
        uint16_t cycle_type; /* RECOVERY type 4 */
} TTPasscodeRequest;

int ttlock_passcode_request_encode(TTWriter *w, const TTPasscodeRequest *req, TTError *e);
int ttlock_passcode_request_decode(const uint8_t *data, size_t len, TTPasscodeRequest *ret, TTError *e);

typedef struct TTOpReply {
        uint8_t battery;
        uint8_t op;
} TTOpReply;

/* d[0] battery, d[1] op echo. Shared by MANAGE_KEYBOARD_PASSWORD, CYCLIC_CMD (non-query) and the
 * IC/FR operations that carry nothing else. */
void ttlock_op_reply_encode(TTWriter *w, uint8_t battery, uint8_t op);
int ttlock_op_reply_decode(const uint8_t *data, size_t len, TTOpReply *ret, TTError *e);

/* ---- PWD_LIST 0x07 ------------------------------------------------------------------------------ */

/* Request: the 2-byte sequence (start 0). */
void ttlock_pwd_list_request_encode(TTWriter *w, uint16_t sequence);
int ttlock_pwd_list_request_decode(const uint8_t *data, size_t len, uint16_t *ret, TTError *e);

typedef struct TTPasscodeEntry {
        uint8_t type;                           /* TTPasscodeType (others are carried as sent) */
        char code[TTLOCK_PASSCODE_MAX + 1];     /* the current ("new") passcode */
        char original[TTLOCK_PASSCODE_MAX + 1]; /* the one first added */
        TTDateTime start;
        TTDateTime end;      /* types 2/3 */
        uint16_t cycle_type; /* type 4 */
} TTPasscodeEntry;

/* Smallest record: recLen type len0 len0 start5. */
#define TTLOCK_PWD_LIST_RECORD_MIN 9
#define TTLOCK_PWD_LIST_PAGE_MAX ((TTLOCK_REPLY_DATA_MAX - 4) / TTLOCK_PWD_LIST_RECORD_MIN)
#define TTLOCK_PWD_LIST_LAST_PAGE 0xFFFF

typedef struct TTPasscodePage {
        uint16_t total;         /* 0 ⇒ no passcodes */
        uint16_t next_sequence; /* TTLOCK_PWD_LIST_LAST_PAGE ⇒ last page */
        size_t n_entries;
        TTPasscodeEntry entries[TTLOCK_PWD_LIST_PAGE_MAX];
} TTPasscodePage;

/* Encoded size of one record including its recLen byte, or -EINVAL for an entry that cannot be
 * encoded. */
int ttlock_pwd_list_record_size(const TTPasscodeEntry *entry, TTError *e);
/* How many of entries[0…n) fit one reply page (records after total/next, plaintext ≤ 239 bytes). */
size_t ttlock_pwd_list_page_fit(const TTPasscodeEntry *entries, size_t n);
int ttlock_pwd_list_reply_encode(TTWriter *w, uint16_t total, uint16_t next_sequence,
                                 const TTPasscodeEntry *entries, size_t n, TTError *e);
/* Each record is read up to its recLen (extra bytes skipped, for compatibility as in §4.3
 * GET_OPERATE_LOG); a recLen running past the data or too short for its fields is rejected. */
int ttlock_pwd_list_reply_decode(const uint8_t *data, size_t len, TTPasscodePage *ret, TTError *e);

/* ---- IC_MANAGE 0x05 ------------------------------------------------------------------------------- */

typedef enum TTCardOp {
        TTLOCK_CARD_OP_SEARCH = 1,
        TTLOCK_CARD_OP_ADD = 2,
        TTLOCK_CARD_OP_DELETE = 3,
        TTLOCK_CARD_OP_CLEAR = 4,
        TTLOCK_CARD_OP_MODIFY = 5,
} TTCardOp;

typedef struct TTCardRequest {
        uint8_t op;
        uint16_t sequence; /* SEARCH */
        bool has_card;     /* ADD: false = enrol ([02]), true = add a known card (recovery) */
        TTCard card;       /* ADD with has_card, MODIFY, DELETE */
        TTDateTime start;  /* ADD with has_card, MODIFY */
        TTDateTime end;
} TTCardRequest;

int ttlock_card_request_encode(TTWriter *w, const TTCardRequest *req, TTError *e);
int ttlock_card_request_decode(const uint8_t *data, size_t len, TTCardRequest *ret, TTError *e);

typedef struct TTCardEntry {
        TTCard card;
        TTDateTime start;
        TTDateTime end;
} TTCardEntry;

/* Enrolment status (d[2] of an ADD reply). */
#define TTLOCK_ENROL_SUCCESS 0x01
#define TTLOCK_ENROL_WAITING 0x02  /* entered add mode */
#define TTLOCK_ENROL_PROGRESS 0x03 /* fingerprints only */
#define TTLOCK_ENROL_TEMPLATE 0x04 /* fingerprints only: ready to receive a template */

#define TTLOCK_CARD_RECORD_SIZE 14 /* card 4 ‖ start 5 ‖ end 5 */
#define TTLOCK_CARD_PAGE_MAX ((TTLOCK_REPLY_DATA_MAX - 4) / TTLOCK_CARD_RECORD_SIZE)
#define TTLOCK_SEARCH_DONE 0xFFFF

typedef struct TTCardReply {
        uint8_t battery;
        uint8_t op;
        /* SEARCH */
        uint16_t next_sequence; /* TTLOCK_SEARCH_DONE ⇒ done */
        size_t n_cards;
        TTCardEntry cards[TTLOCK_CARD_PAGE_MAX];
        /* ADD */
        uint8_t add_status; /* TTLOCK_ENROL_WAITING or TTLOCK_ENROL_SUCCESS */
        TTCard card;        /* ADD, TTLOCK_ENROL_SUCCESS */
} TTCardReply;

/* A search page: [battery][01][next 2] then 14-byte records, or exactly one 18-byte record with an
 * 8-byte card (the only layout §4.3 gives for 8-byte cards). Encoding an 8-byte card together with
 * other cards is -EINVAL: the decoder could not tell them apart. */
size_t ttlock_card_search_page_fit(const TTCardEntry *cards, size_t n);
int ttlock_card_search_reply_encode(TTWriter *w, uint8_t battery, uint16_t next_sequence,
                                    const TTCardEntry *cards, size_t n, TTError *e);
/* [battery][02][02]: waiting for a card. */
void ttlock_card_enrol_waiting_encode(TTWriter *w, uint8_t battery);
/* [battery][02][01][card 4 or 8]. */
int ttlock_card_enrol_success_encode(TTWriter *w, uint8_t battery, const TTCard *card, TTError *e);
/* Any IC_MANAGE reply; for ADD/SUCCESS an 8-byte card ending in FF FF FF FF is a 4-byte card
 * (§4.3). DELETE/CLEAR/MODIFY replies carry battery and op only. */
int ttlock_card_reply_decode(const uint8_t *data, size_t len, TTCardReply *ret, TTError *e);

/* ---- FR_MANAGE 0x06 ------------------------------------------------------------------------------- */

typedef enum TTFingerprintOp {
        TTLOCK_FP_OP_ADD = 2,
        TTLOCK_FP_OP_DELETE = 3,
        TTLOCK_FP_OP_CLEAR = 4,
        TTLOCK_FP_OP_MODIFY = 5,
        TTLOCK_FP_OP_SEARCH = 6,
} TTFingerprintOp;

#define TTLOCK_FINGERPRINT_ID_MAX UINT64_C(0xFFFFFFFFFFFF) /* 6 bytes */

typedef struct TTFingerprintRequest {
        uint8_t op;
        uint16_t sequence; /* SEARCH */
        uint64_t id;       /* MODIFY, DELETE: ≤ TTLOCK_FINGERPRINT_ID_MAX */
        TTDateTime start;  /* MODIFY */
        TTDateTime end;
} TTFingerprintRequest;

int ttlock_fingerprint_request_encode(TTWriter *w, const TTFingerprintRequest *req, TTError *e);
int ttlock_fingerprint_request_decode(const uint8_t *data, size_t len, TTFingerprintRequest *ret,
                                      TTError *e);

typedef struct TTFingerprintEntry {
        uint64_t id;
        TTDateTime start;
        TTDateTime end;
} TTFingerprintEntry;

#define TTLOCK_FINGERPRINT_RECORD_SIZE 16 /* fp 6 ‖ start 5 ‖ end 5 */
#define TTLOCK_FINGERPRINT_PAGE_MAX ((TTLOCK_REPLY_DATA_MAX - 4) / TTLOCK_FINGERPRINT_RECORD_SIZE)

typedef struct TTFingerprintReply {
        uint8_t battery;
        uint8_t op;
        /* SEARCH */
        uint16_t next_sequence;
        size_t n_fingerprints;
        TTFingerprintEntry fingerprints[TTLOCK_FINGERPRINT_PAGE_MAX];
        /* ADD */
        uint8_t add_status; /* TTLOCK_ENROL_* */
        bool has_total;     /* WAITING: d[3] is optional (§4.3) */
        uint8_t current;    /* PROGRESS: 0 = ready */
        uint8_t total;      /* WAITING (if has_total), PROGRESS */
        uint64_t id;        /* SUCCESS */
        uint16_t template_sequence;      /* TEMPLATE */
        uint16_t template_packet_length; /* TEMPLATE */
} TTFingerprintReply;

size_t ttlock_fingerprint_search_page_fit(size_t n);
int ttlock_fingerprint_search_reply_encode(TTWriter *w, uint8_t battery, uint16_t next_sequence,
                                           const TTFingerprintEntry *fps, size_t n, TTError *e);
/* The ADD replies: fields are taken from r->add_status and the ADD fields of r. */
int ttlock_fingerprint_add_reply_encode(TTWriter *w, const TTFingerprintReply *r, TTError *e);
int ttlock_fingerprint_reply_decode(const uint8_t *data, size_t len, TTFingerprintReply *ret,
                                    TTError *e);

/* CYCLIC_CMD 0x70: cyclic.h. */

/* ---- GET_ADMIN_CODE 0x65 / SET_ADMIN_KEYBOARD_PWD 0x53 ------------------------------------------- */

/* GET request is empty. */
int ttlock_admin_code_request_decode(const uint8_t *data, size_t len, TTError *e);

typedef struct TTAdminCodeReply {
        uint8_t battery;
        char code[TTLOCK_PASSCODE_MAX + 1]; /* "" ⇒ none set */
} TTAdminCodeReply;

/* [battery][len][ASCII digits] */
int ttlock_admin_code_reply_encode(TTWriter *w, uint8_t battery, const char *code, TTError *e);
int ttlock_admin_code_reply_decode(const uint8_t *data, size_t len, TTAdminCodeReply *ret, TTError *e);

/* SET: one byte per digit holding its value 0–9 (not ASCII), 4–9 digits. */
int ttlock_set_admin_code_request_encode(TTWriter *w, const char *code, TTError *e);
int ttlock_set_admin_code_request_decode(const uint8_t *data, size_t len,
                                         char ret[TTLOCK_PASSCODE_MAX + 1], TTError *e);
/* §4.3 gives no layout for its reply; like every other reply of the family it is written as
 * [battery]. The decoder accepts an empty reply (success is the status byte, already checked by
 * reply.h) and ignores bytes after the battery. */
typedef struct TTSetAdminCodeReply {
        bool has_battery;
        uint8_t battery;
} TTSetAdminCodeReply;

void ttlock_set_admin_code_reply_encode(TTWriter *w, uint8_t battery);
int ttlock_set_admin_code_reply_decode(const uint8_t *data, size_t len, TTSetAdminCodeReply *ret,
                                       TTError *e);
