/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The key store: one YAML file per paired lock (HACKING.md "Storage").
 *
 * Where: $STATE_DIRECTORY (its first colon-separated entry, as systemd sets it), else
 * /var/lib/ttlockd; the files are locks/AA_BB_CC_DD_EE_FF.yaml, mode 0600, in a 0700 directory.
 *
 * Format 1 (written with libyaml; other programs must not read it, it holds the lock's keys):
 *
 *   version: 1
 *   address: "AA:BB:CC:DD:EE:FF"
 *   alias: "Front door"                      # optional
 *   role: "user"                             # "admin" or "user" (an eKey); absent = admin
 *   pairing: provisional                     # optional: keys not proven yet (see provisional below)
 *   valid-from-usec: 1767225600000000        # optional: an eKey's window, µs since the epoch;
 *   valid-until-usec: 1798761600000000       #   absent or 0 = no limit on that side
 *   time-zone-offset-seconds: 28800          # optional: the lock's zone, seconds east of UTC
 *   credentials:                             # doc/protocol.md §5.1 "Stored credentials"
 *     aes-key: "00112233445566778899aabbccddeeff"   # K, 16 bytes (§3.3)
 *     admin-ps: 123456789                    # uint32; an admin's only (a user record has none)
 *     unlock-key: 987654321                  # uint32
 *     lock-flag-pos: 0                       # the eKey generation (doc/lockdata.md §4)
 *     uid: 0                                 # the TTLock user id the lock logs for these keys
 *     admin-passcode: "1234567"              # optional
 *   lock-version: {protocol-type: 5, sub-version: 3, scene: 2, group-id: 1, org-id: 1}  # §2.1
 *   features: [0x…, …]                       # SEARCH_DEVICE_FEATURE groups (§8), as integers
 *   device: {model: "…", hardware-revision: "…", firmware-revision: "…"}   # each optional
 *   settings: {auto-lock-seconds: 5, sound-enabled: true, sound-volume: 3, remote-unlock: false,
 *              tamper-alert: …, privacy-lock: …, reset-button: …, frozen: …,
 *              passage-mode-active: …,                  # each optional = unknown
 *              door-left-open-seconds: 300}             # ttlockd's own; optional = the default
 *   credential-aliases:                      # optional
 *     - {kind: "ic-card", id: "123456", alias: "Anna's card"}
 *   credential-cycles:                       # optional: weekly windows ttlockd gave (§4.9)
 *     - {kind: "passcode", id: "4711", cycles: ["1 08:00-12:00", "3 08:00-12:00"]}
 *   pairing-pending: [time, device-info]     # optional: pairing steps still to do (§5.6)
 *   log-cursor: {identity: "0123456789abcdef", time-usec: 1700000000000000, sequence: 1234}  # optional
 *   last-known: {battery: 80, state: "locked", state-updated-usec: 1700000000000000,  # optional
 *                door-open: false, door-updated-usec: 1700000000000000}                 # each optional
 *   connection: {policy: "keep-alive", keep-alive-seconds: 30}   # optional: ttlockd's own, the choice of
 *                                      # Settings1.SetConnectionPolicy(); each optional = ttlockd.conf's
 *
 * role, the window and time-zone-offset-seconds came with importing keys (doc/lockdata.md): a record
 * without them is an admin's with no window, as every earlier file is, so the format version stays 1 (a
 * ttlockd from before roles keeps them as unknown keys). A user record leaves admin-ps out; a ttlockd
 * from before roles reads such a file as broken and moves it aside (it is not lost). The time zone matters
 * to user records only: ttlockd never sets the clock of a lock it holds an eKey for, so that clock keeps the
 * admin's zone, in which the window is sent (doc/lockdata.md §4); the clock of an admin's lock is ttlockd's
 * to set, in the host's local time.
 *
 * An export (store_export_to_yaml()) is several records in one YAML stream: a comment, then one
 * document ("---") per lock in exactly this format, which store_export_from_yaml() reads back.
 *
 * Keys this version does not know — at the top level or inside one of the mappings above — are
 * kept as YAML nodes and written back unchanged, so that a downgrade followed by a rewrite loses
 * nothing a newer ttlockd stored. A file that does not parse, has another `version`, lacks the
 * key material, or has a known key with a value of the wrong type is "broken": it is reported,
 * renamed to "<name>.broken-<usec>" and never overwritten or silently dropped.
 *
 * The store knows nothing of D-Bus (doc/architecture.md). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cyclic.h"
#include "feature-bits.h"
#include "macro.h"

#define STORE_FORMAT_VERSION 1
#define STORE_DEFAULT_STATE_DIR "/var/lib/ttlockd"
#define STORE_LOCKS_SUBDIR "locks"
#define STORE_FILE_MAX (256U * 1024U) /* a bound on what we read back */
#define STORE_STRING_MAX 1024U        /* model, alias, passcode …: longer is "broken" */
#define STORE_CREDENTIAL_ALIASES_MAX 4096U
#define STORE_YAML_EVENTS_MAX 65536U /* a bound on a key file's YAML events (ours: a few hundred) */
#define STORE_YAML_DEPTH_MAX 16U
#define STORE_ADDRESS_STRING_SIZE 18 /* "AA:BB:CC:DD:EE:FF" + NUL */
#define STORE_AES_KEY_SIZE 16

typedef struct CredentialAlias {
        char *kind; /* "passcode" | "ic-card" | "fingerprint" */
        char *id;   /* the credential as the lock knows it (a passcode's id is its code: secret) */
        char *alias;
} CredentialAlias;

/* Weekly windows ttlockd gave a credential (CYCLIC_CMD, doc/protocol.md §4.9). The lock keeps them, but no
 * source gives the layout of its answer to a query, so ttlockd remembers what it set. */
typedef struct CredentialCycles {
        char *kind; /* "passcode" | "ic-card" | "fingerprint" */
        char *id;   /* as in CredentialAlias: a passcode's id is its code (secret) */
        TTCycle cycles[TTLOCK_CYCLES_MAX];
        size_t n_cycles;
} CredentialCycles;

/* The optional steps of pairing after ADD_ADMIN (doc/protocol.md §5.1, §5.6) that ttlockd retries on the
 * next connections when a dropped link cut them short. The names are those of the key file and of
 * Lock1.PairingPending. */
typedef enum PairingStep {
        PAIRING_STEP_TIME,           /* TIME_CALIBRATE */
        PAIRING_STEP_FEATURES,       /* SEARCH_DEVICE_FEATURE */
        PAIRING_STEP_SWITCHES,       /* SWITCH query */
        PAIRING_STEP_SOUND,          /* AUDIO_MANAGE query (feature 15) */
        PAIRING_STEP_AUTO_LOCK,      /* AUTO_LOCK_MANAGE query (feature 4) */
        PAIRING_STEP_ADMIN_PASSCODE, /* GET_ADMIN_CODE (feature 18) / SET_ADMIN_KEYBOARD_PWD */
        PAIRING_STEP_INIT_PASSCODES, /* INIT_PASSWORDS */
        PAIRING_STEP_REMOTE_UNLOCK,  /* CONTROL_REMOTE_UNLOCK query (feature 14) */
        PAIRING_STEP_DEVICE_INFO,    /* READ_DEVICE_INFO model, hardware, firmware */
        PAIRING_STEP_FINISH,         /* OPERATE_FINISHED */
        _PAIRING_STEP_MAX,
} PairingStep;

#define PAIRING_STEP_BIT(s) (UINT32_C(1) << (s))
#define PAIRING_STEPS_ALL (PAIRING_STEP_BIT(_PAIRING_STEP_MAX) - 1)

const char *pairing_step_to_string(PairingStep s);
int pairing_step_from_string(const char *s); /* -EINVAL when unknown */

/* What the keys allow (doc/lockdata.md §4 "The role"). */
typedef enum LockRole {
        LOCK_ROLE_ADMIN, /* adminPs: CHECK_ADMIN, everything the lock can do */
        LOCK_ROLE_USER,  /* an eKey: CHECK_USER_TIME within its window; opens, closes, reads */
        _LOCK_ROLE_MAX,
} LockRole;

const char *lock_role_to_string(LockRole role); /* "admin", "user" */

typedef struct LockRecord {
        char address[STORE_ADDRESS_STRING_SIZE]; /* upper case, colons */
        char *alias;                             /* NULL = none */
        /* Keys whose fate is not known yet, checked with one login at the next contact (lock.h): saved
         * before ADD_ADMIN went to the lock (doc/protocol.md §5.1), whose answer was lost; or imported
         * without verifying them (Manager1.ImportLocksUnverified). */
        bool provisional;

        LockRole role;

        /* Key material (§5.1): never logged, wiped on free. */
        uint8_t aes_key[STORE_AES_KEY_SIZE];
        uint32_t admin_ps; /* LOCK_ROLE_ADMIN only */
        uint32_t unlock_key;
        uint32_t lock_flag_pos;
        uint32_t uid;
        char *admin_passcode; /* NULL = unknown */

        /* An eKey's validity, µs since the epoch; 0 = no limit on that side. */
        uint64_t valid_from_usec;
        uint64_t valid_until_usec;

        /* The lock's zone (lockData timezoneRawOffset), for the eKey window. */
        bool has_time_zone;
        int32_t time_zone_offset_sec;

        /* The lock's version tuple from its reply header (§2.1). */
        uint8_t protocol_type;
        uint8_t sub_version;
        uint8_t scene;
        uint16_t group_id;
        uint16_t org_id;

        TTFeatures features;

        char *model;
        char *hardware_revision;
        char *firmware_revision;

        /* Settings as last read from or written to the lock; < 0 = unknown. */
        int64_t auto_lock_seconds;
        int sound_enabled;
        int sound_volume;
        int remote_unlock;
        int tamper_alert;
        int privacy_lock;
        int reset_button;
        int frozen;              /* FREEZE_LOCK (doc/protocol.md §4.8) */
        int passage_mode_active; /* the every-day passage-mode record is on the lock (§4.8) */
        /* ttlockd's own: how long the door may stay open before Event "door-left-open"; 0 = never,
         * < 0 = the default (lock.h LOCK_DOOR_LEFT_OPEN_DEFAULT_SEC). */
        int64_t door_left_open_seconds;

        CredentialAlias *credential_aliases;
        size_t n_credential_aliases;
        CredentialCycles *credential_cycles;
        size_t n_credential_cycles;

        /* PAIRING_STEP_BIT()s of the pairing steps still to do (§5.6); 0 = pairing is complete. */
        uint32_t pairing_pending;

        /* Identity of the last operation-log record archived and signalled (history.h), so that
         * no record is signalled twice, also across restarts (dbus/org.ttlock.Lock1.xml Event). */
        bool has_log_cursor;
        uint64_t log_cursor_identity;
        uint64_t log_cursor_time_usec;
        /* Where the records archived end in the lock's numbering: the GET_OPERATE_LOG sequence that asks
         * for the first record after them (§4.3). The lock counts what it handed out as read, so a read
         * cut short by a crash is done again from here after a restart. */
        bool has_log_sequence;
        uint16_t log_sequence;

        /* What we last knew, for the properties right after start-up. */
        int battery;                 /* 0…100, < 0 = unknown */
        char *state;                 /* "locked", … NULL = unknown */
        uint64_t state_updated_usec; /* 0 = never */
        int door_open;               /* the door sensor (§4.7): < 0 = unknown */
        uint64_t door_updated_usec;  /* 0 = never */

        /* ttlockd's own, not the lock's: how its link is held (lock/link-health.h), when the user chose it
         * for this lock. NULL / 0 = as ttlockd.conf says. The name is kept as written: a newer ttlockd's
         * policy is the lock model's to refuse, not a reason to call the file broken. */
        char *connection_policy;
        uint32_t keep_alive_seconds;

        /* Keys of the file this version does not know (a yaml_document_t *, opaque here). */
        void *unknown;
} LockRecord;

/* A record with every optional field "unknown" and the address set (validated and normalised to
 * upper case; -EINVAL otherwise). */
int lock_record_new(const char *address, LockRecord **ret);
/* Wipes the key material and the admin passcode before freeing. */
LockRecord *lock_record_free(LockRecord *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(LockRecord *, lock_record_free);

int lock_record_set_string(char **field, const char *value); /* strdup or NULL; -EINVAL if too long */
/* Add or replace (kind, id) → alias; alias NULL or "" removes it. */
int lock_record_set_credential_alias(LockRecord *r, const char *kind, const char *id, const char *alias);
const char *lock_record_get_credential_alias(const LockRecord *r, const char *kind, const char *id);
/* Replace (kind, id)'s weekly windows; n 0 removes them. -EINVAL for a bad window or n above
 * TTLOCK_CYCLES_MAX, -E2BIG beyond STORE_CREDENTIAL_ALIASES_MAX credentials. */
int lock_record_set_credential_cycles(LockRecord *r, const char *kind, const char *id, const TTCycle *cycles,
                                      size_t n);
/* NULL (and *ret_n 0) when the credential has none. */
const TTCycle *lock_record_get_credential_cycles(const LockRecord *r, const char *kind, const char *id,
                                                 size_t *ret_n);
/* Every credential of a kind loses its windows (a Clear…()); a passcode's windows follow a new code. */
void lock_record_drop_credential_cycles(LockRecord *r, const char *kind);
int lock_record_rename_credential_cycles(LockRecord *r, const char *kind, const char *id, const char *new_id);

/* Exchange the keys and what belongs to them (role, AES key, adminPs, unlockKey, flag position, uid,
 * admin passcode, window, time zone) between two records of the same lock; everything else stays.
 * Re-importing swaps the new keys in, saves, and swaps back if saving failed. */
void lock_record_swap_keys(LockRecord *a, LockRecord *b);

/* A one-line description for logs, with every secret (AES key, adminPs, unlockKey, admin passcode,
 * passcode ids) replaced by "<redacted>" — the only way a record may be printed. */
int lock_record_describe(const LockRecord *r, char **ret);

/* Serialise/parse format 1 (exposed for the tests). Parsing errors carry a message in *ret_error
 * (may be NULL) saying what is wrong, e.g. "credentials.aes-key: expected 32 hex digits". */
int lock_record_to_yaml(const LockRecord *r, char **ret, size_t *ret_size);
int lock_record_from_yaml(const char *data, size_t size, LockRecord **ret, char **ret_error);

/* An export (Manager1.ExportLocks): the records as one YAML stream, a comment and one document per
 * record. The text holds keys: free it with store_text_free(). */
#define STORE_EXPORT_RECORDS_MAX 256U
int store_export_to_yaml(const LockRecord *const *records, size_t n, char **ret, size_t *ret_size);
void store_text_free(char *text, size_t size);

/* One document of an export read back: the record, or why it cannot be (never a key). */
typedef struct StoreExportEntry {
        LockRecord *record; /* NULL when the document is broken */
        char *error;
        char label[STORE_ADDRESS_STRING_SIZE + 16]; /* the address when it was read, else "document N" */
} StoreExportEntry;

/* Reads every document of an export, each exactly as a key file is read (lock_record_from_yaml()), so
 * that one broken document does not stop the others. -EBADMSG (message in *ret_error) when the whole
 * text is no YAML stream, has no document, or more than STORE_EXPORT_RECORDS_MAX. */
int store_export_from_yaml(
        const char *data, size_t size, StoreExportEntry **ret, size_t *ret_n, char **ret_error);
void store_export_entries_free(StoreExportEntry *entries, size_t n);

/* "AA:BB:CC:DD:EE:FF", any case → "AA_BB_CC_DD_EE_FF.yaml" in ret, -EINVAL otherwise. */
#define STORE_FILE_NAME_SIZE 23 /* 17 + ".yaml" + NUL */
int store_address_valid(const char *address);
int store_file_name(const char *address, char ret[static STORE_FILE_NAME_SIZE]);

typedef struct Store Store;

/* state_dir NULL = $STATE_DIRECTORY's first entry, else /var/lib/ttlockd. Creates the locks
 * directory (0700) if needed. */
int store_open(const char *state_dir, Store **ret);
Store *store_free(Store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Store *, store_free);

/* The state directory store_open() would use (caller frees). */
int store_state_directory(char **ret);

const char *store_locks_path(const Store *s);
/* An fd of the locks directory (owned by the store), for history_open(). */
int store_locks_dir_fd(const Store *s);

/* Load every locks/AA_BB_CC_DD_EE_FF.yaml. Broken files are logged and moved aside and the others still
 * loaded; leftover temp files of an interrupted write are removed. Returns the number moved aside. */
int store_load_all(Store *s, LockRecord ***ret, size_t *ret_n);
void lock_records_free(LockRecord **records, size_t n);

/* One lock: -ENOENT if not stored, -EBADMSG if broken (then it was moved aside). */
int store_load(Store *s, const char *address, LockRecord **ret);
/* Atomic replace (fileio.h write_file_atomic_at()). -EFBIG, and nothing written, when the record would
 * not fit in STORE_FILE_MAX (store_load() could not read it back). */
int store_save(Store *s, const LockRecord *r);
/* Forget a lock: remove its file (and fsync the directory). -ENOENT if it was not stored. */
int store_delete(Store *s, const char *address);
