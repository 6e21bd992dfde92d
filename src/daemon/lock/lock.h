/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One lock as ttlockd knows it (doc/architecture.md "the lock model"): what was observed of it (state,
 * battery, RSSI, the advert's new-records flag, pushes), what is stored of it (the key record, the
 * event archive), and one queue of the operations asked of it — Lock/Unlock/Refresh, pairing, factory
 * reset, credentials and settings — each with its deadline. It reads the operation log when the lock
 * says there is something new and turns each record into exactly one event.
 *
 * It knows nothing of D-Bus: it reports to an observer (the bus faces) through LockObserver, and to its
 * owner (the registry, manager.h) through the LockContext it was made with. Outcomes are OpStatus
 * values (ops-common.h); what they become on the bus is decided in one place, bus/bus-errors.c. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "bt-address.h"
#include "frame-log.h"
#include "history.h"
#include "link-health.h"
#include "link.h"
#include "ops-access.h"
#include "ops-common.h"
#include "ops-credentials.h"
#include "ops-log.h"
#include "ops-pair.h"
#include "ops-reset.h"
#include "ops-settings.h"
#include "ops-verify.h"
#include "radio.h"
#include "store.h"

#define LOCK_ALIAS_MAX 256U
#define LOCK_CALLS_MAX 32U /* operations queued on one lock */
#define LOCK_CLOCK_TOLERANCE_SEC 60
/* How long a door may stay open before Event "door-left-open", unless the user set another time
 * (Settings1.SetDoorLeftOpenTime). */
#define LOCK_DOOR_LEFT_OPEN_DEFAULT_SEC 300U
#define LOCK_DOOR_LEFT_OPEN_MAX_SEC (7U * 24U * 3600U)

typedef struct Lock Lock;
typedef struct LockCall LockCall;

/* Everything a lock may report as changed, for the observer to signal. */
typedef enum LockProperty {
        LOCK_PROPERTY_NAME,
        LOCK_PROPERTY_ALIAS,
        LOCK_PROPERTY_MODEL,
        LOCK_PROPERTY_HARDWARE_REVISION,
        LOCK_PROPERTY_FIRMWARE_REVISION,
        LOCK_PROPERTY_PAIRED,
        LOCK_PROPERTY_PAIRABLE,
        LOCK_PROPERTY_CONNECTED,
        LOCK_PROPERTY_RSSI,
        LOCK_PROPERTY_LAST_SEEN,
        LOCK_PROPERTY_BATTERY,
        LOCK_PROPERTY_STATE,
        LOCK_PROPERTY_STATE_UPDATED,
        LOCK_PROPERTY_AUTO_LOCK,
        LOCK_PROPERTY_FEATURES,
        LOCK_PROPERTY_SOUND,
        LOCK_PROPERTY_REMOTE_UNLOCK,
        LOCK_PROPERTY_TAMPER_ALERT,
        LOCK_PROPERTY_PRIVACY_LOCK,
        LOCK_PROPERTY_RESET_BUTTON,
        LOCK_PROPERTY_CLOCK_OFFSET,
        LOCK_PROPERTY_DOOR,         /* DoorOpen */
        LOCK_PROPERTY_DOOR_UPDATED, /* DoorStateUpdatedUSec */
        LOCK_PROPERTY_FROZEN,
        LOCK_PROPERTY_PASSAGE_MODE_ACTIVE,
        LOCK_PROPERTY_DOOR_LEFT_OPEN, /* Settings1.DoorLeftOpenSeconds */
        LOCK_PROPERTY_PAIRING_PENDING,
        LOCK_PROPERTY_ROLE,
        LOCK_PROPERTY_REACHABLE, /* link health (link-health.h) */
        LOCK_PROPERTY_LAST_CONNECT_ERROR,
        LOCK_PROPERTY_RECENT_CONNECTS,
        LOCK_PROPERTY_CONNECT_BACKOFF,
        LOCK_PROPERTY_CONNECTION_POLICY, /* Settings1.ConnectionPolicy, KeepAliveSeconds */
        _LOCK_PROPERTY_MAX,
} LockProperty;

#define LOCK_PROPERTY_BIT(p) (UINT64_C(1) << (p))

typedef struct LockEnrollmentStatus {
        const char *kind;   /* "ic-card" | "fingerprint" */
        const char *status; /* "waiting" | "progress" | "completed" | "failed" | "cancelled" | "timeout" */
        unsigned done;
        unsigned total;
        const char *id; /* the new card number or fingerprint id when completed, else "" */
} LockEnrollmentStatus;

typedef struct LockObserver {
        /* properties: LOCK_PROPERTY_BIT()s. */
        void (*changed)(Lock *l, uint64_t properties, void *userdata);
        /* A record of the lock's operation log, archived (or not archivable) and never reported before. */
        void (*event)(Lock *l, const HistoryRecord *h, void *userdata);
        void (*enrollment)(Lock *l, const LockEnrollmentStatus *s, void *userdata);
} LockObserver;

/* The model's own clocks (lock_timing_default()); tests shorten them. */
typedef struct LockTiming {
        /* How long after a log read an advert may still show the new-records flag of before it. */
        uint64_t log_flag_grace_usec;
        /* A flag-started read that found nothing new makes the next wait, doubling up to the max. */
        uint64_t log_backoff_min_usec;
        uint64_t log_backoff_max_usec;
        /* A check of provisional keys that could not tell backs off the same way. */
        uint64_t verify_backoff_min_usec;
        uint64_t verify_backoff_max_usec;
} LockTiming;

void lock_timing_default(LockTiming *ret);

/* What a lock needs from the house it lives in; the registry (manager.h) makes one for all locks. */
typedef struct LockContext {
        sd_event *event;
        Store *store;
        RadioSet *radios;
        LinkConfig link_config;
        LockTiming timing;
        LinkHealthTiming health_timing;
        /* The connection policy ttlockd.conf gives the lock of address (link-health.h): *ret_policy and
         * *ret_keep_alive_sec are left alone for what it does not set. NULL: none. */
        void (*configured_policy)(
                const char *address,
                void *owner,
                ConnectionPolicy *ret_policy,
                unsigned *ret_keep_alive_sec);
        uint64_t enrollment_timeout_usec;
        /* Nothing runs on the lock any more and something changed that may make it removable
         * (no longer pairable, forgotten). */
        void (*settled)(Lock *l, void *owner);
        /* Paired or forgotten: the monitor scan follows the number of paired locks. */
        void (*paired_changed)(Lock *l, void *owner);
        void *owner;
} LockContext;

struct Lock {
        const LockContext *context;
        char address[BT_ADDRESS_SIZE];

        LockRecord *record; /* NULL = not paired */
        /* Keys not proven yet (store.h "pairing: provisional"): saved before an ADD_ADMIN whose outcome is
         * not known, or imported unverified (lock_set_provisional()). Checked with one login at the next
         * contact, then paired (→ record) or dropped. Only ever on a lock without a record. */
        LockRecord *provisional;
        VerifyOp *verify_op;
        uint64_t verify_not_before_usec; /* CLOCK_MONOTONIC; a failed check backs off */
        unsigned verify_failures;
        History *history;
        Link *link;
        LinkHealth health; /* how the link fares, how long it is held */
        FrameLog *frames;  /* its last frames, redacted, for the diagnostics */

        /* Heard over the radios (doc/protocol.md §6). */
        char *name;
        int16_t rssi;
        bool seen; /* a radio lists the lock now */
        uint64_t last_seen_usec;
        uint64_t last_seen_reported_usec; /* LastSeenUSec as last reported to the observer */
        bool advert_new_events;
        bool pairable;
        bool connected;
        uint64_t disconnected_usec;

        /* What the lock said last. */
        int battery; /* < 0 unknown */
        const char *state;
        uint64_t state_updated_usec;
        const char *state_before_actuation; /* restored when an actuation fails */

        bool have_clock_offset;
        int64_t clock_offset_sec;

        /* The one queue of operations asked of this lock, oldest first. */
        LockCall *calls;
        size_t n_calls;
        LockCall *enrollment; /* also in calls */
        bool clock_check_running;

        /* Finishing a pairing (doc/protocol.md §5.6): the optional steps a dropped link cut short, on a later
         * connection when no call waits (ops-pair.h pair_finish_op_start()). */
        PairOp *pair_finish_op;
        bool pair_finish_stopped; /* this connection could not finish it (link, login): the next may */

        /* The operation log reader (doc/protocol.md §7.4). */
        LogReadOp *log_op;
        bool log_again;
        uint64_t log_read_done_usec;
        bool log_reading_for_advert;  /* the read now starting is the flag's (not a push's) */
        bool log_read_for_advert;     /* the read under way is */
        unsigned log_empty_reads;     /* flag-started reads in a row that found nothing new */
        uint64_t log_not_before_usec; /* CLOCK_MONOTONIC: the flag starts no read before this */
        bool log_deferred;            /* the flag rose while backing off */
        bool log_catch_up;            /* the next read starts at log_resume_sequence, not at the records the
                                       * lock counts as unread: the last read failed, or none was done
                                       * since start-up */
        bool log_retry;               /* the last read failed: read again at the next advert, flag or not */
        unsigned log_failed_reads;    /* reads in a row that failed */
        bool have_log_resume;
        uint16_t log_resume_sequence; /* where the records read so far end (ops-log.h) */

        /* What the log reader saw since the last read began (lock-events.c, doc/protocol.md §7.5). */
        size_t log_n_new;

        /* Jammed (doc/protocol.md §4.6; lock-events.c): the bolt state the lock last reported, also while
         * jammed, and the one it had reported when it jammed (NULL = not jammed). */
        const char *bolt;
        const char *jam_from;
        uint64_t jam_usec; /* when it jammed (realtime) */
        /* Events that only the silence of the log can confirm (§7.5): a re-lock nobody logged is the
         * auto-lock, a refused Lock()/Unlock() without a record of its own is signalled by us. */
        bool infer_auto_lock;
        const char *infer_jam_method; /* NULL = none pending */
        bool log_saw_locked;          /* a record of kind "locked" since the bolt was last seen unlocked */
        bool log_saw_jammed;          /* a record of kind "jammed" since the jam was inferred */

        /* The door sensor (§4.7; lock-events.c). */
        int door_open; /* < 0 unknown */
        uint64_t door_updated_usec;
        bool door_left_open_signalled; /* this opening was reported as left open */
        sd_event_source *door_timer;

        const LockObserver *observer;
        void *observer_data;
        sd_event_source *settle_source;

        Lock *prev, *next; /* the registry's list */
};

/* record: adopted (a paired lock from the store), or NULL (a pairable lock seen while discovering). */
int lock_new(const LockContext *context, const char *address, LockRecord *record, Lock **ret);
/* Fails every call with the given reason (nothing is signalled), cancels everything; frees. */
Lock *lock_free(Lock *l);
void lock_set_observer(Lock *l, const LockObserver *observer, void *userdata);

/* Anything queued or running (operations, the log reader)? */
bool lock_busy(const Lock *l);
/* Fail every call with why (OpStatus refusal OP_REFUSAL_CANCELLED) and stop every operation; the object
 * stays. */
void lock_abort(Lock *l, const char *why);

/* The lock's feature bits allow bit (unknown features, never read, allow everything, as the lock will
 * refuse itself what it cannot do). */
bool lock_has_feature(const Lock *l, unsigned bit);
const char *lock_alias(const Lock *l); /* the user's alias, else the advertised name, else "" */
/* "admin" or "user" for the keys ttlockd holds (the record's, else the provisional ones), "" for none. */
const char *lock_role(const Lock *l);
/* The keys are an eKey's: opening, closing and reading only (doc/lockdata.md §4). */
bool lock_is_user(const Lock *l);

/* ---- what the radios tell ---------------------------------------------------------------------- */

void lock_advert(Lock *l, const RadioAdvert *a);
void lock_device_lost(Lock *l);

/* ---- operations ---------------------------------------------------------------------------------- */

typedef enum LockRequestKind {
        LOCK_REQUEST_ACCESS, /* Lock, Unlock, Refresh */
        LOCK_REQUEST_PAIR,
        LOCK_REQUEST_RESET, /* factory reset, then forget */
        LOCK_REQUEST_CREDENTIALS,
        LOCK_REQUEST_SETTINGS,
        LOCK_REQUEST_IMPORT, /* prove imported keys with one login, then keep them (Manager1.ImportLocks) */
} LockRequestKind;

typedef struct LockRequest {
        LockRequestKind kind;
        AccessAction access;             /* ACCESS */
        const CredRequest *credentials;  /* CREDENTIALS (copied) */
        const SettingsRequest *settings; /* SETTINGS (copied) */
        /* IMPORT: the keys to prove, of this lock's address. lock_submit() takes it over, also when it
         * refuses. Once the lock accepted them they are saved and used; for a lock with keys already, only
         * the keys are exchanged (lock_record_swap_keys()), its aliases, settings and archive stay. */
        LockRecord *record;
} LockRequest;

typedef struct LockOutcome {
        OpStatus status;                /* error 0: done */
        const CredResult *credentials;  /* CREDENTIALS: valid during the callback */
        const SettingsResult *settings; /* SETTINGS: valid during the callback */
} LockOutcome;

/* Called once per call, unless the call was cancelled (lock_call_cancel()). */
typedef void (*LockCallDone)(Lock *l, const LockOutcome *o, void *userdata);

/* Queue an operation. It is refused at once (< 0, *ret_status says why: OP_REFUSAL_*) when it cannot run
 * now — another Lock()/Unlock(), a pairing or reset, an enrollment holding the connection, a full
 * queue, not paired. deadline_usec > 0: at that time from now the operation is stopped and the call
 * completes with -ETIMEDOUT (no caller may wait past ~20 s, HACKING.md). done may run before this
 * returns (a lock no radio can reach). For an enrollment, done runs at its end too, but what matters
 * goes to the observer: progress and outcome as LockEnrollmentStatus. done NULL with a SETTINGS request:
 * ttlockd's own check that nobody waits for. */
int lock_submit(
        Lock *l,
        const LockRequest *req,
        uint64_t deadline_usec,
        LockCallDone done,
        void *userdata,
        OpStatus *ret_status);

/* End the enrollment under way with status ("cancelled"); -ENOENT when there is none. */
int lock_cancel_enrollment(Lock *l, const char *status);
bool lock_enrolling(const Lock *l);

/* Drop the keys and the archive (Forget), or keys not proven yet. Refused while a pairing or reset runs
 * (*ret_status). */
int lock_forget(Lock *l, OpStatus *ret_status);

/* Keep keys without proving them now (Manager1.ImportLocksUnverified): saved as provisional, they are
 * checked with one login when the lock is next heard, then paired or dropped like the keys of a pairing
 * whose answer was lost. Takes record over, also on failure. Refused on a lock that has proven keys
 * (those change only for keys that proved themselves, LOCK_REQUEST_IMPORT). */
int lock_set_provisional(Lock *l, LockRecord *record, OpStatus *ret_status);

/* The user's names. Changed in memory only once they are on disk. */
int lock_set_alias(Lock *l, const char *alias);
int lock_set_credential_alias(Lock *l, const char *kind, const char *id, const char *alias);

/* ---- the door, frozen, passage mode now (lock-events.c) ------------------------------------------ */

/* The lock says it has a door sensor (feature bits 13 or 45, doc/protocol.md §4.7 and §8). */
bool lock_has_door_sensor(const Lock *l);
/* DoorOpen: the sensor last said open (false when unknown). */
bool lock_door_open(const Lock *l);
/* ttlockd's own setting: seconds a door may stay open before Event "door-left-open", 0 = never. Changed in
 * memory only once it is on disk. */
uint32_t lock_door_left_open_seconds(const Lock *l);
int lock_set_door_left_open_seconds(Lock *l, uint32_t seconds);
/* Settings as last read from or written to the lock; false when unknown. */
bool lock_frozen(const Lock *l);
bool lock_passage_mode_active(const Lock *l);

/* ---- the connection policy (link-health.h) ---------------------------------------------------- */

/* The lock's own choice (Settings1.SetConnectionPolicy(), kept in its key file), else ttlockd.conf's
 * [Lock], else [Link], else on-demand with a 30 s keep-alive window. keep_alive_sec 0 = the configured
 * one; policy _CONNECTION_POLICY_INVALID drops the lock's own choice. Changed in memory only once it is on
 * disk (-ENOKEY: not paired). */
int lock_set_connection_policy(Lock *l, ConnectionPolicy policy, unsigned keep_alive_sec);
/* Put the policy in force again (ttlockd.conf was read again). */
void lock_apply_connection_policy(Lock *l);
