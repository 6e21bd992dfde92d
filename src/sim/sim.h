/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulator's shared data model: the program (Sim), its fake BlueZ adapter and one SimLock per
 * simulated door lock. Each concern lives in its own file and works on these structs:
 *   bluez-adapter.c  Adapter1, ObjectManager, discovery clients, advert refresh
 *   bluez-device.c   Device1 (Connect/Disconnect), object paths
 *   bluez-gatt.c     the GATT services and characteristics, notifications
 *   bluez-battery.c  BatteryProviderManager1 (experimental) and Battery1
 *   lock.c           the lock's protocol state machine (frames in, frames out) on src/proto
 *   lock-creds.c     passcodes, IC cards, fingerprints
 *   lock-log.c       the 500-record operation log ring
 *   lock-clock.c     the lock's wall clock
 *   radio.c          awake / dormant / idle drop / connect time / latency, per-lock timers
 *   sim1.c           org.ttlock.Sim1, the person at the door and fault injection
 *   esphome-proxy.c  fake ESPHome Bluetooth proxies (native API over TCP), org.ttlock.SimProxy1
 *   state.c          --state FILE (YAML) */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "crypto.h"
#include "feature-bits.h"
#include "transport.h"

#define SIM_BLUEZ_PATH "/org/bluez"
#define SIM_ADAPTER_PATH "/org/bluez/hci0" /* the first adapter: Sim1 lives under it */
#define SIM_ADAPTERS_MAX 8
#define SIM_PROXIES_MAX 64     /* --esphome-proxy */
#define SIM_DEVICE_PATH_MAX 64 /* "/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF" + GATT tails */
#define SIM_TTLOCK_SERVICE_UUID "00001910-0000-1000-8000-00805f9b34fb"
#define SIM_MODEL_MAX 24
#define SIM_NAME_MAX 64
#define SIM_TX_QUEUE_MAX 8
#define SIM_COMMAND_LOG_MAX 256
#define SIM_NOTIFY_MAX 1024U /* Sim1.Notify() */
#define SIM_RSSI_UNHEARD 0 /* a radio's RSSI for a lock out of its reach (Sim1.SetRadioRssi) */

typedef struct Sim Sim;
typedef struct SimLock SimLock;
typedef struct SimProxy SimProxy; /* esphome-proxy.h */
typedef struct SimAdapter SimAdapter;

/* Radio and timing settings (doc/protocol.md §9), all from the command line. */
typedef struct SimTiming {
        uint64_t advert_interval_usec;   /* ManufacturerData refresh while discovering */
        uint64_t awake_usec;             /* touch flag / setting-mode advertising after a touch */
        uint64_t dormant_after_usec;     /* 0 = never dormant */
        uint64_t idle_disconnect_usec;   /* 0 = never drop an idle link */
        uint64_t connect_usec;           /* time a successful Connect() takes */
        uint64_t connect_fail_usec;      /* time a failing Connect() takes before Failed */
        uint64_t latency_usec;           /* per exchange, request → first notification */
        uint64_t temporary_timeout_usec; /* BlueZ's TemporaryTimeout; 0 = keep devices */
        uint64_t enrol_timeout_usec;     /* a card/finger enrolment gives up; 0 = only on disconnect */
        bool always_awake;
} SimTiming;

/* Faults armed through Sim1.InjectFault: each counter is spent by the next exchanges. */
typedef enum SimFault {
        SIM_FAULT_DROP_CONNECTION,
        SIM_FAULT_NO_REPLY,
        SIM_FAULT_BAD_CRC,
        SIM_FAULT_REFUSE_CONNECT,
        SIM_FAULT_GARBAGE,       /* a notification of noise ahead of the reply */
        SIM_FAULT_GARBAGE_FRAME, /* a well-formed frame, right CRC, whose body is noise, ahead of the reply */
        SIM_FAULT_JAM, /* spent by the motor, not by exchanges: it does not get there (lock.c) */
        _SIM_FAULT_MAX,
} SimFault;

typedef enum SimConnState {
        SIM_DISCONNECTED,
        SIM_CONNECTING,
        SIM_CONNECTED,
} SimConnState;

typedef enum SimChallenge {
        SIM_CHALLENGE_NONE,
        SIM_CHALLENGE_ADMIN, /* CHECK_ADMIN 0x41 */
        SIM_CHALLENGE_USER,  /* CHECK_USER_TIME 0x55 */
} SimChallenge;

/* What one connection has proven (doc/protocol.md §5: authentication is per connection). */
typedef struct SimSession {
        SimChallenge challenge;
        uint32_t ps_from_lock;
        uint32_t uid;
        bool admin;        /* CHECK_RANDOM after CHECK_ADMIN, or the admin was created in this connection */
        bool user_checked; /* CHECK_RANDOM after CHECK_USER_TIME: an eKey proved its unlock key */
        bool key_issued; /* GET_AES_KEY answered in setting mode: pending_key is what ADD_ADMIN uses */
        uint8_t pending_key[TTLOCK_KEY_SIZE];
} SimSession;

typedef enum SimEnrollKind {
        SIM_ENROLL_NONE,
        SIM_ENROLL_CARD,
        SIM_ENROLL_FINGER,
} SimEnrollKind;

typedef struct SimTxFrame {
        uint8_t wire[TTLOCK_WIRE_MAX];
        size_t len;
} SimTxFrame;

typedef struct SimPassage {
        uint8_t type;        /* 1 weekly, 2 monthly */
        uint8_t week_or_day; /* 1=Mon…7=Sun (0 = every day) or day of month */
        uint8_t month;
        uint8_t start_hour, start_minute, end_hour, end_minute;
} SimPassage;

#define SIM_PASSAGE_MAX 32

typedef struct SimCreds SimCreds; /* lock-creds.h */

typedef struct SimBluezView {
        char path[SIM_DEVICE_PATH_MAX]; /* /org/bluez/hciN/dev_AA_BB_CC_DD_EE_FF */
        int16_t rssi;       /* as this adapter hears the lock; SIM_RSSI_UNHEARD: out of its reach */
        bool visible;       /* Device1 exported */
        bool rssi_known;    /* RSSI exists: seen by the discovery running now (BlueZ drops it after) */
        bool gatt_exported; /* GATT objects exported (kept after disconnect: Cache=always) */
        uint64_t seen_usec; /* last time discovery saw it */
        uint8_t last_advert[32];
        size_t last_advert_len;
} SimBluezView;
typedef struct SimBatteryProvider SimBatteryProvider; /* bluez-battery.c */
typedef struct SimLog SimLog; /* lock-log.h */

struct SimLock {
        Sim *sim;
        unsigned index;

        /* identity */
        uint8_t address[6];
        char address_str[18];
        char path[SIM_DEVICE_PATH_MAX];
        char name[SIM_NAME_MAX];
        char model[SIM_MODEL_MAX];
        char hardware[SIM_MODEL_MAX];
        char firmware[SIM_MODEL_MAX];
        char manufacture_date[SIM_MODEL_MAX];
        int16_t rssi; /* at every radio to begin with (--lock rssi=) */
        TTFeatures features;

        /* what the lock keeps in flash */
        bool paired;
        uint8_t key[TTLOCK_KEY_SIZE];
        uint32_t admin_ps;
        uint32_t unlock_key;
        char admin_passcode[17]; /* TTLOCK_PASSCODE_MAX + 1 */
        /* The eKey generation (doc/lockdata.md §4): raised by a CHECK_ADMIN that carries a higher
         * one (the app's "reset eKeys"); CHECK_USER_TIME below it is LOCK_KEY_FLAG_INVALID. */
        uint32_t lock_flag_pos;
        bool locked;
        uint8_t battery;
        uint16_t auto_lock_seconds;
        bool sound;
        uint8_t volume; /* 1–5 */
        bool remote_unlock;
        bool show_password;
        bool frozen;
        bool dead_locked; /* DEAD_LOCK 0x69: only the app and the mechanical key open (§4.4 0x1E) */
        bool door_open;   /* the door sensor (doc/protocol.md §4.7), on locks that have one */
        uint16_t lamp_seconds;
        uint32_t switch_values;
        SimPassage passage[SIM_PASSAGE_MAX];
        size_t n_passage;
        int64_t clock_offset_usec; /* lock wall clock − host wall clock (lock-clock.c) */
        SimCreds *creds;
        SimLog *log;

        /* Who holds keys outside the lock (lock-owner.c): the uid the admin's lockData names, and
         * the eKey --print-lockdata=ekey describes. Nothing the lock itself checks. */
        uint32_t admin_uid;
        uint32_t ekey_uid;
        int64_t ekey_from; /* Unix seconds; both 0 = permanent */
        int64_t ekey_until;
        bool ekey_has_flag_pos;
        uint32_t ekey_flag_pos;

        /* radio (radio.c) */
        uint64_t awake_until;   /* CLOCK_MONOTONIC µs */
        uint64_t last_activity; /* CLOCK_MONOTONIC µs */
        bool dormant;
        bool awake;            /* as last published on Sim1 */
        uint64_t auto_lock_at; /* 0 = no auto-lock pending */
        uint64_t idle_drop_at;
        sd_event_source *timer; /* one per lock, only while something is pending */
        unsigned faults[_SIM_FAULT_MAX];
        /* Sim1.InjectFault("no-reply@ADD_ADMIN", n): only exchanges of this command spend the fault;
         * 0 = any command. */
        uint8_t fault_command[_SIM_FAULT_MAX];
        /* "drop-connection@PWD_LIST#3": the first two exchanges of that command pass unharmed. */
        unsigned fault_skip[_SIM_FAULT_MAX];
        /* The commands received, oldest first, for Sim1.TakeCommands() (the newest SIM_COMMAND_LOG_MAX). */
        uint8_t command_log[SIM_COMMAND_LOG_MAX];
        size_t n_command_log;

        /* BlueZ view (bluez-*.c): what each adapter knows of the lock (BlueZ has a Device1 per
         * adapter that saw it), and the one link, held by one radio at a time. */
        SimBluezView view[SIM_ADAPTERS_MAX];
        unsigned link_adapter; /* the adapter of a BlueZ link (conn != DISCONNECTED, !link_proxy) */
        SimConnState conn;
        SimProxy *link_proxy; /* the ESPHome proxy that holds the link; NULL = BlueZ (or none) */
        /* Links made, by radio (Sim1.Links): BlueZ adapters by index, proxies by their index. */
        uint32_t links_adapter[SIM_ADAPTERS_MAX];
        uint32_t links_proxy[SIM_PROXIES_MAX];
        /* Connections attempted through any radio, made or refused (Sim1.ConnectAttempts): what a
         * client that backs off from a refusing lock spares it. */
        uint32_t connect_attempts;
        sd_bus_message *connect_call;
        sd_event_source *connect_timer;
        bool refuse_pending;              /* a refuse-connect fault decided this attempt */
        char *notify_client;              /* unique name of the client that called StartNotify */
        uint8_t value[TTLOCK_CHUNK_SIZE]; /* 0xFFF4 Value as last notified */
        size_t value_len;

        /* org.bluez.Battery1 (bluez-battery.c): exists while a battery provider provides for this
         * device; what BlueZ reports there comes from that provider, not from the lock. */
        SimBatteryProvider *battery_provider;
        char *battery_object;       /* the provider's BatteryProvider1 object for this device */
        uint8_t battery_percentage; /* 0–100; UINT8_MAX = not given yet (no Percentage property) */
        char *battery_source;       /* NULL = no Source property */

        /* protocol (lock.c) */
        SimSession session;
        TTReassembler rx;
        SimTxFrame tx[SIM_TX_QUEUE_MAX];
        size_t n_tx;
        uint64_t tx_due;
        bool drop_after_flush; /* RESET_LOCK: the lock disconnects once its reply is out */
        SimEnrollKind enroll;
        unsigned enroll_presses;
        uint64_t enroll_deadline; /* CLOCK_MONOTONIC µs; 0 = no time-out */
        uint32_t record_counter;
};

typedef struct SimDiscoveryClient {
        char *sender;
        bool discovering;
        bool has_filter;
        /* SetDiscoveryFilter (BlueZ 5.66 adapter-api.txt) */
        char transport[8]; /* auto | bredr | le */
        bool duplicate_data;
        int16_t rssi; /* threshold; INT16_MIN = none */
        char **uuids; /* lower-case 128-bit forms */
} SimDiscoveryClient;

/* One fake Bluetooth adapter, /org/bluez/hciN. */
struct SimAdapter {
        Sim *sim;
        unsigned index;
        char path[24];
        char address[18];
        bool powered;
        SimDiscoveryClient *clients;
        size_t n_clients;
        bool discovering; /* as last published */
        sd_event_source *advert_timer;
        sd_event_source *temporary_timer;
        unsigned advert_phase;
};

/* What the radio habits (radio.c) hand upwards — a chunk to notify, a link to drop, the lock's own
 * deadlines when its one timer fires — through hooks that main.c sets, so that radio.c depends neither
 * on the lock's logic nor on the faces (BlueZ, ESPHome) that hold its links. */
typedef struct SimRadioHooks {
        void (*deliver)(SimLock *l, const uint8_t *chunk, size_t len); /* to the client of the link */
        void (*drop)(SimLock *l, const char *why);                     /* the link, whichever holds it */
        void (*due)(SimLock *l, uint64_t now);                          /* the lock's deadlines */
        void (*factory_reset)(SimLock *l);                              /* after RESET_LOCK's answer went */
} SimRadioHooks;

struct Sim {
        sd_event *event;
        sd_bus *bus;
        const SimRadioHooks *radio_hooks;
        SimTiming timing;
        char *state_path;

        SimLock **locks; /* sorted by address */
        size_t n_locks;

        /* adapters hci0 … (bluez-adapter.c) */
        SimAdapter *adapters;
        unsigned n_adapters;
        sd_event_source *save_event; /* state.c: one deferred write per loop iteration */
        bool save_pending;
        uint64_t exchanges; /* request frames answered, for the figures in the man page */

        /* ESPHome Bluetooth proxies (esphome-proxy.c) */
        SimProxy **proxies;
        size_t n_proxies;
        /* BlueZ's experimental interfaces (bluetoothd -E): BatteryProviderManager1. */
        bool experimental;
        SimBatteryProvider **battery_providers;
        size_t n_battery_providers;
};

static inline uint64_t sim_now(Sim *s) {
        uint64_t t = 0;
        (void) sd_event_now(s->event, CLOCK_MONOTONIC, &t);
        return t;
}

SimLock *sim_find_lock(Sim *s, const uint8_t address[6]);

/* org.ttlock.Sim1 (sim1.c): a property of the person-at-the-door interface changed. Here rather than in
 * sim1.h so that the lock and its radio tell of changes without depending on the interface that shows
 * them. */
#define SIM1_INTERFACE "org.ttlock.Sim1"

static inline void sim_lock_changed(SimLock *l, const char *property) {
        if (l->sim->bus)
                (void) sd_bus_emit_properties_changed(l->sim->bus, l->path, SIM1_INTERFACE, property, NULL);
}
