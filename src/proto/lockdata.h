/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The keys a lock already has: what the official TTLock app, its SDK and the TTLock Open Platform
 * call "lockData", and what the old Home Assistant add-on kept in its lockData.json. doc/lockdata.md
 * describes the formats and where each fact comes from. Pure parsing and encoding: no I/O, no clock,
 * no bus — the daemon verifies the keys with the lock before it trusts them.
 *
 * Inputs ttlock_lockdata_parse() recognises:
 *   - lockData strings: base64 of AES-128-CBC(JSON) followed by the 6 MAC bytes, the key and IV being
 *     the MAC text without its 10th character. Several may be given, separated by white space.
 *   - a JSON object with the lockData fields (aesKeyStr, adminPwd, lockKey, lockFlagPos, lockMac, …),
 *     as the cloud API returns them; one carrying a "lockData" string is read through it. Also an
 *     array of such objects, a cloud list response {"list": […]}, and a JSON string holding a
 *     lockData string.
 *   - the add-on's lockData.json: an array of {address, privateData: {aesKey, admin: {adminPs,
 *     unlockKey}, adminPasscode, pwdInfo}, …} (addon-lockdata.h).
 * A ttlockd export (the key store's YAML) is recognised but not parsed here: the store reads it.
 *
 * Everything an outsider hands us is bounded: the input size, the JSON nesting depth, the number of
 * locks, every string. Errors say what is wrong in a TTError message, which never contains key
 * material. Records hold secrets and are wiped when freed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feature-bits.h"
#include "macro.h"
#include "tt-error.h"

struct json_object;

#define TTLOCK_LOCKDATA_INPUT_MAX (1024U * 1024U) /* one ImportLocks() argument, one file */
#define TTLOCK_LOCKDATA_STRING_MAX (32U * 1024U)  /* one lockData string (real ones are < 2 KiB) */
#define TTLOCK_LOCKDATA_JSON_DEPTH 10             /* add-on files nest 5 deep, cloud lists 4 */
#define TTLOCK_LOCKDATA_LOCKS_MAX 256             /* locks in one input */
#define TTLOCK_LOCKDATA_TEXT_MAX 128              /* names, model and firmware strings */
#define TTLOCK_LOCKDATA_PASSCODE_MAX 16           /* admin passcode digits (doc/protocol.md §4.3) */
#define TTLOCK_LOCKDATA_ADDRESS_SIZE 18           /* "AA:BB:CC:DD:EE:FF" + NUL */
#define TTLOCK_LOCKDATA_KEY_SIZE 16

/* userType of the SDK's LockData and of the cloud's eKey list. */
#define TTLOCK_USER_TYPE_ADMIN 110301
#define TTLOCK_USER_TYPE_EKEY 110302

typedef enum TTLockDataFormat {
        TTLOCK_LOCKDATA_FORMAT_UNKNOWN,
        TTLOCK_LOCKDATA_FORMAT_STRING, /* one or more lockData strings */
        TTLOCK_LOCKDATA_FORMAT_JSON,   /* lockData / cloud API JSON */
        TTLOCK_LOCKDATA_FORMAT_ADDON,  /* the Home Assistant add-on's lockData.json */
        TTLOCK_LOCKDATA_FORMAT_EXPORT, /* a ttlockd export (YAML): for the key store */
        _TTLOCK_LOCKDATA_FORMAT_MAX,
} TTLockDataFormat;

typedef enum TTLockDataRole {
        TTLOCK_ROLE_ADMIN, /* carries adminPwd: CHECK_ADMIN works, everything is allowed */
        TTLOCK_ROLE_USER,  /* an eKey: CHECK_USER_TIME, then unlock and lock only */
        _TTLOCK_ROLE_MAX,
} TTLockDataRole;

typedef struct TTLockData {
        TTLockDataFormat source;
        char address[TTLOCK_LOCKDATA_ADDRESS_SIZE]; /* upper case, colons */
        char *name;                                 /* lockName (the advertised name); NULL = not given */
        char *alias;                                /* lockAlias (cloud); NULL = not given */

        /* Key material (doc/protocol.md §3.3, §4.3 CHECK_ADMIN/CHECK_USER_TIME, §5.1): wiped on free. */
        uint8_t aes_key[TTLOCK_LOCKDATA_KEY_SIZE];
        bool has_admin_ps;
        uint32_t admin_ps;
        uint32_t unlock_key;
        char *admin_passcode; /* noKeyPwd / adminPasscode: the keypad's admin code; NULL = not given */

        /* Who holds these keys. */
        TTLockDataRole role;
        uint32_t user_type;     /* 110301 or 110302 as the source said; 0 = not said */
        uint32_t lock_flag_pos; /* ≤ 0xFFFFFF (3 bytes on the wire); rises with every eKey reset */
        uint32_t uid;           /* the cloud user id the lock records for this key; 0 locally */
        /* Validity of an eKey, µs since the epoch; both 0 = no limit (the SDK's "permanent"). */
        uint64_t start_usec;
        uint64_t end_usec;

        /* The lock's version tuple (doc/protocol.md §2.1), from lockVersion. */
        bool has_version;
        uint8_t protocol_type;
        uint8_t protocol_version;
        uint8_t scene;
        uint16_t group_id;
        uint16_t org_id;

        /* featureValue (or specialValue when that is all there is): bit n = feature n (§8). */
        bool has_features;
        TTFeatures features;

        char *model; /* modelNum */
        char *hardware_revision;
        char *firmware_revision;

        /* timezoneRawOffset: the lock's zone, ms east of UTC. */
        bool has_timezone_offset;
        int64_t timezone_offset_ms;

        int battery; /* electricQuantity 0–100; -1 = not given */
} TTLockData;

TTLockData *ttlock_lockdata_new(void);
/* Wipes the key material, then frees. Accepts NULL; returns NULL. */
TTLockData *ttlock_lockdata_free(TTLockData *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(TTLockData *, ttlock_lockdata_free);
/* A deep copy, or NULL on OOM. */
TTLockData *ttlock_lockdata_dup(const TTLockData *d);

const char *ttlock_lockdata_format_to_string(TTLockDataFormat f); /* "lockdata-string", … */
const char *ttlock_lockdata_role_to_string(TTLockDataRole r);     /* "admin", "user" */

/* Whether the eKey's validity window contains now_usec (always true for "no limit"). */
bool ttlock_lockdata_valid_at(const TTLockData *d, uint64_t now_usec);

/* ---- the pieces of the format (doc/lockdata.md), for ttlock-decode and the tests ---- */

/* adminPwd / lockKey / noKeyPwd: base64 of comma-separated signed decimal bytes, codec-encoded
 * (codec.h). Plain digit strings of at most 10 characters are taken as they are, as the SDK does
 * (CommandUtil.A_checkAdmin decodes only longer fields). Writes the decimal digits to out. */
int ttlock_lockdata_secret_decode(const char *field, char *out, size_t out_size, TTError *e);
/* The SDK's DigitUtil.encodeLockData with the given seed (codec.h). *ret is freed by the caller. */
int ttlock_lockdata_secret_encode(const char *digits, uint8_t seed, char **ret, TTError *e);

/* The outer layer. unwrap: base64-decode, take the MAC from the last 6 bytes, decrypt the rest;
 * *ret_json is the JSON text, NUL-terminated and secret (free it with ttlock_lockdata_text_free()),
 * ret_address the MAC in upper case. wrap: the inverse, for an address "AA:BB:CC:DD:EE:FF". */
int ttlock_lockdata_unwrap(
        const char *text,
        size_t len,
        char **ret_json,
        size_t *ret_len,
        char ret_address[TTLOCK_LOCKDATA_ADDRESS_SIZE],
        TTError *e);
int ttlock_lockdata_wrap(const char *json, size_t len, const char *address, char **ret, TTError *e);
/* Wipes and frees a string that held secrets. Accepts NULL. */
void ttlock_lockdata_text_free(char *s);

/* Parses JSON text into a tree, with the bounds above (size, depth, strict JSON, nothing after
 * the value). The tree may hold secrets: free it with ttlock_lockdata_json_free(), which wipes the
 * strings it holds before freeing them. */
int ttlock_lockdata_json_parse(const char *text, size_t len, struct json_object **ret, TTError *e);
void ttlock_lockdata_json_free(struct json_object *o);
/* Whether a member name of a lockData / cloud / add-on object holds key material. */
bool ttlock_lockdata_field_is_secret(const char *name);

/* One JSON object with lockData fields (the decrypted blob, or a cloud API object, possibly
 * carrying a "lockData" string that is then decoded and preferred). */
int ttlock_lockdata_from_json(struct json_object *o, TTLockData **ret, TTError *e);
/* A whole lockData string. */
int ttlock_lockdata_decode(const char *text, size_t len, TTLockData **ret, TTError *e);

/* The JSON the SDK encrypts (LockData, field names and order as Gson writes them), and the
 * lockData string around it. adminPwd and lockKey are encoded with seeds derived from the data, so
 * that the output is reproducible. The caller frees the result with ttlock_lockdata_text_free(). */
int ttlock_lockdata_to_json(const TTLockData *d, char **ret, TTError *e);
int ttlock_lockdata_encode(const TTLockData *d, char **ret, TTError *e);
