/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advert.h"
#include "config.h"
#include "hex.h"
#include "lock-creds.h"
#include "lockdata-set.h"
#include "log.h"
#include "options.h"
#include "sim-util.h"
#include "time-util.h"

#define SIM_LOCKS_MAX 100000

/* A door lock with keypad, card reader and fingerprint reader, as most V3 locks the community
 * drives (doc/protocol.md §8; kind3r/ttlock-sdk-js#8's lock has bits 0,5,6,7,8,12,14,18,29). */
static const unsigned default_features[] = {
        TTLOCK_FEATURE_PASSCODE,
        TTLOCK_FEATURE_IC,
        TTLOCK_FEATURE_FINGER_PRINT,
        TTLOCK_FEATURE_AUTO_LOCK,
        TTLOCK_FEATURE_PASSCODE_WITH_DELETE,
        TTLOCK_FEATURE_MODIFY_PASSCODE,
        TTLOCK_FEATURE_MANUAL_LOCK,
        TTLOCK_FEATURE_PASSWORD_DISPLAY_OR_HIDE,
        TTLOCK_FEATURE_GATEWAY_UNLOCK,
        TTLOCK_FEATURE_CONFIG_GATEWAY_UNLOCK,
        TTLOCK_FEATURE_AUDIO_MANAGEMENT,
        TTLOCK_FEATURE_GET_ADMIN_CODE,
        TTLOCK_FEATURE_PASSAGE_MODE,
        TTLOCK_FEATURE_RESET_BUTTON,
        TTLOCK_FEATURE_TAMPER_ALERT,
        TTLOCK_FEATURE_PRIVACY_LOCK,
        TTLOCK_FEATURE_SOUND_VOLUME_AND_LANGUAGE_SETTING,
        TTLOCK_FEATURE_FREEZE_LOCK,
        TTLOCK_FEATURE_DOOR_SENSOR,
        TTLOCK_FEATURE_CYCLIC_IC_OR_FINGER_PRINT, /* weekly cycles (§4.9), for the demo's weekly code */
};

void options_default_lock(SimLockSpec *spec, unsigned index) {
        *spec = (SimLockSpec){
                .address = { 0xC0,
                             0xDE,
                             0x00,
                             (uint8_t) (index >> 16),
                             (uint8_t) (index >> 8),
                             (uint8_t) index },
                .battery = 90,
                .rssi = -60,
                .slots = SIM_SLOTS_DEFAULT,
                .locked = true,
        };
        strcpy(spec->model, "S202F");
        strcpy(spec->hardware, "1.3");
        strcpy(spec->firmware, "6.4.15.230524");
        for (size_t i = 0; i < ELEMENTSOF(default_features); i++)
                ttlock_features_set(&spec->features, default_features[i]);
}

static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        char *end = NULL;
        unsigned long long v;

        if (isempty(s) || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static bool printable(const char *s) {
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == ',')
                        return false;
        return true;
}

/* An instant for ekey-from= / ekey-until=: Unix seconds, or ISO 8601 in UTC (the spec's commas rule out
 * anything with an offset). */
static int parse_instant(const char *s, int64_t *ret) {
        static const char *const formats[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dZ" };
        uint64_t v;

        if (parse_uint(s, INT64_MAX / USEC_PER_SEC, &v) >= 0) {
                *ret = (int64_t) v;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
                struct tm tm = {};
                const char *end = strptime(s, formats[i], &tm);

                if (end && *end == 0) {
                        *ret = (int64_t) timegm(&tm);
                        return 0;
                }
        }
        return -EINVAL;
}

/* keys=FILE: the lock's keys as the official app or the old add-on hold them (lockdata.h); the
 * admin's lockData, since the lock needs adminPs. The file's lock for the spec's address, or its
 * first lock when the spec gives no mac=. */
static int load_keys(const char *path, bool have_mac, SimLockSpec *spec, char *error, size_t error_size) {
        _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *set = NULL;
        _cleanup_free_ char *text = NULL;
        const TTLockData *d = NULL;
        FILE *f;
        char address[18];
        TTError e = {};
        size_t n;

        f = fopen(path, "re");
        if (!f) {
                int r = -errno;

                (void) snprintf(error, error_size, "keys=%s: %s", path, strerror(-r));
                return r;
        }
        text = malloc(TTLOCK_LOCKDATA_INPUT_MAX + 1);
        if (!text) {
                fclose(f);
                return -ENOMEM;
        }
        n = fread(text, 1, TTLOCK_LOCKDATA_INPUT_MAX + 1, f);
        fclose(f);
        if (ttlock_lockdata_parse(text, n, &set, &e) < 0) {
                erase_memory(text, n);
                (void) snprintf(error, error_size, "keys=%s: %s", path, tt_error_message(&e));
                return -EINVAL;
        }
        erase_memory(text, n);
        (void) ttlock_address_to_string(spec->address, address);
        for (size_t i = 0; i < set->n_entries && !d; i++)
                if (set->entries[i].data && (!have_mac || streq(set->entries[i].data->address, address)))
                        d = set->entries[i].data;
        if (!d) {
                (void) snprintf(
                        error,
                        error_size,
                        "keys=%s: no readable lock%s%s in it",
                        path,
                        have_mac ? " " : "",
                        have_mac ? address : "");
                return -EINVAL;
        }
        if (d->role != TTLOCK_ROLE_ADMIN) {
                (void) snprintf(
                        error, error_size, "keys=%s: an eKey; the lock needs the admin's lockData", path);
                return -EINVAL;
        }
        (void) ttlock_address_from_string(d->address, spec->address);
        spec->paired = true;
        memcpy(spec->key, d->aes_key, sizeof(spec->key));
        spec->admin_ps = d->admin_ps;
        spec->unlock_key = d->unlock_key;
        spec->lock_flag_pos = d->lock_flag_pos;
        spec->uid = d->uid;
        if (d->admin_passcode)
                (void) snprintf(spec->admin_passcode, sizeof(spec->admin_passcode), "%s", d->admin_passcode);
        return 0;
}

int options_parse_lock(const char *text, unsigned index, SimLockSpec *ret, char *error, size_t error_size) {
        _cleanup_free_ char *copy = strdup(text);
        SimLockSpec spec;
        char *saveptr = NULL, *keys = NULL;
        bool have_key = false, have_admin_ps = false, have_unlock_key = false, have_mac = false;
        int r;

        if (!copy)
                return -ENOMEM;
        options_default_lock(&spec, index);
        for (char *item = strtok_r(copy, ",", &saveptr); item; item = strtok_r(NULL, ",", &saveptr)) {
                char *value = strchr(item, '=');
                uint64_t v;

                if (!value) {
                        (void) snprintf(error, error_size, "\"%s\" is not key=value", item);
                        return -EINVAL;
                }
                *value++ = 0;
                if (streq(item, "mac")) {
                        if (ttlock_address_from_string(value, spec.address) < 0) {
                                (void) snprintf(error, error_size, "mac=%s is not AA:BB:CC:DD:EE:FF", value);
                                return -EINVAL;
                        }
                        have_mac = true;
                } else if (streq(item, "aes-key")) {
                        if (strlen(value) != 2 * TTLOCK_KEY_SIZE ||
                            hex_to_bytes(value, spec.key, sizeof(spec.key)) != TTLOCK_KEY_SIZE) {
                                (void) snprintf(error, error_size, "aes-key= needs 32 hex digits");
                                return -EINVAL;
                        }
                        have_key = true;
                } else if (
                        streq(item, "admin-ps") || streq(item, "unlock-key") || streq(item, "uid") ||
                        streq(item, "ekey-uid")) {
                        if (parse_uint(value, UINT32_MAX, &v) < 0) {
                                (void) snprintf(error, error_size, "%s= is not a number 0–4294967295", item);
                                return -EINVAL;
                        }
                        if (streq(item, "admin-ps")) {
                                spec.admin_ps = (uint32_t) v;
                                have_admin_ps = true;
                        } else if (streq(item, "unlock-key")) {
                                spec.unlock_key = (uint32_t) v;
                                have_unlock_key = true;
                        } else if (streq(item, "uid"))
                                spec.uid = (uint32_t) v;
                        else
                                spec.ekey_uid = (uint32_t) v;
                } else if (streq(item, "lock-flag-pos") || streq(item, "ekey-flag-pos")) {
                        /* Three bytes on the wire (§4.3 CHECK_ADMIN). */
                        if (parse_uint(value, 0xFFFFFF, &v) < 0) {
                                (void) snprintf(error, error_size, "%s=%s is not 0–16777215", item, value);
                                return -EINVAL;
                        }
                        if (streq(item, "lock-flag-pos"))
                                spec.lock_flag_pos = (uint32_t) v;
                        else {
                                spec.ekey_flag_pos = (uint32_t) v;
                                spec.ekey_has_flag_pos = true;
                        }
                } else if (streq(item, "admin-passcode")) {
                        size_t n = strlen(value);

                        /* SET_ADMIN_KEYBOARD_PWD takes 4–9 digits (credentials.h). */
                        if (n < 4 || n > 9 || strspn(value, "0123456789") != n) {
                                (void) snprintf(error, error_size, "admin-passcode= must be 4–9 digits");
                                return -EINVAL;
                        }
                        strcpy(spec.admin_passcode, value);
                } else if (streq(item, "ekey-from") || streq(item, "ekey-until")) {
                        int64_t t;

                        if (parse_instant(value, &t) < 0) {
                                (void) snprintf(
                                        error,
                                        error_size,
                                        "%s=%s is neither Unix seconds nor YYYY-MM-DDTHH:MM:SSZ",
                                        item,
                                        value);
                                return -EINVAL;
                        }
                        *(streq(item, "ekey-from") ? &spec.ekey_from : &spec.ekey_until) = t;
                } else if (streq(item, "keys")) {
                        if (isempty(value)) {
                                (void) snprintf(error, error_size, "keys= needs a file");
                                return -EINVAL;
                        }
                        keys = value;
                } else if (
                        streq(item, "name") || streq(item, "model") || streq(item, "hardware") ||
                        streq(item, "firmware")) {
                        char *dst = streq(item, "name")   ? spec.name
                                : streq(item, "model")    ? spec.model
                                : streq(item, "hardware") ? spec.hardware
                                                          : spec.firmware;
                        size_t max = streq(item, "name") ? SIM_NAME_MAX : SIM_MODEL_MAX;

                        if (isempty(value) || strlen(value) >= max || !printable(value)) {
                                (void) snprintf(
                                        error,
                                        error_size,
                                        "%s= must be 1–%zu printable characters",
                                        item,
                                        max - 1);
                                return -EINVAL;
                        }
                        strcpy(dst, value);
                } else if (streq(item, "features")) {
                        char *fsave = NULL;

                        spec.features = (TTFeatures){};
                        if (streq(value, "none"))
                                continue;
                        for (char *f = strtok_r(value, "+", &fsave); f; f = strtok_r(NULL, "+", &fsave)) {
                                int bit = ttlock_feature_from_name(f);

                                if (bit < 0 && parse_uint(f, 255, &v) >= 0)
                                        bit = (int) v; /* a raw bit number (§8) */
                                if (bit < 0) {
                                        (void) snprintf(
                                                error,
                                                error_size,
                                                "unknown feature \"%s\" (names as in Lock1.Features, "
                                                "or bit numbers)",
                                                f);
                                        return -EINVAL;
                                }
                                ttlock_features_set(&spec.features, (unsigned) bit);
                        }
                } else if (streq(item, "battery")) {
                        if (parse_uint(value, 100, &v) < 0) {
                                (void) snprintf(error, error_size, "battery=%s is not 0–100", value);
                                return -EINVAL;
                        }
                        spec.battery = (uint8_t) v;
                } else if (streq(item, "rssi")) {
                        if (value[0] != '-' || parse_uint(value + 1, 127, &v) < 0) {
                                (void) snprintf(error, error_size, "rssi=%s is not -127…-0 dBm", value);
                                return -EINVAL;
                        }
                        spec.rssi = (int16_t) - (int) v;
                } else if (streq(item, "slots")) {
                        if (parse_uint(value, 10000, &v) < 0 || v == 0) {
                                (void) snprintf(error, error_size, "slots=%s is not 1–10000", value);
                                return -EINVAL;
                        }
                        spec.slots = v;
                } else if (streq(item, "locked")) {
                        if (!streq(value, "yes") && !streq(value, "no")) {
                                (void) snprintf(error, error_size, "locked=%s is not yes or no", value);
                                return -EINVAL;
                        }
                        spec.locked = streq(value, "yes");
                } else {
                        (void) snprintf(
                                error,
                                error_size,
                                "unknown key \"%s\" (mac, name, model, hardware, firmware, features, "
                                "battery, rssi, slots, locked, aes-key, admin-ps, unlock-key, "
                                "lock-flag-pos, "
                                "admin-passcode, uid, keys, ekey-uid, ekey-from, ekey-until, ekey-flag-pos)",
                                item);
                        return -EINVAL;
                }
        }

        /* Paired by someone else: all three keys of ADD_ADMIN, or a file that holds them. */
        if (keys) {
                if (have_key || have_admin_ps || have_unlock_key) {
                        (void) snprintf(
                                error,
                                error_size,
                                "keys= and aes-key=/admin-ps=/unlock-key= exclude each other");
                        return -EINVAL;
                }
                r = load_keys(keys, have_mac, &spec, error, error_size);
                if (r < 0) {
                        erase_memory(&spec, sizeof(spec));
                        return r;
                }
        } else if (have_key || have_admin_ps || have_unlock_key) {
                if (!(have_key && have_admin_ps && have_unlock_key)) {
                        (void) snprintf(
                                error, error_size, "aes-key=, admin-ps= and unlock-key= go together");
                        return -EINVAL;
                }
                spec.paired = true;
        }
        if (!spec.paired && (spec.lock_flag_pos != 0 || spec.uid != 0 || spec.admin_passcode[0])) {
                (void) snprintf(
                        error,
                        error_size,
                        "lock-flag-pos=, uid= and admin-passcode= are for a lock paired already "
                        "(aes-key=…)");
                return -EINVAL;
        }
        if ((spec.ekey_from == 0) != (spec.ekey_until == 0) ||
            (spec.ekey_from != 0 && spec.ekey_until <= spec.ekey_from)) {
                (void) snprintf(
                        error, error_size, "ekey-from= and ekey-until= go together, until after from");
                return -EINVAL;
        }
        *ret = spec;
        erase_memory(&spec, sizeof(spec));
        return 0;
}

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Simulated TTLock V3 door locks behind a fake BlueZ 5.66 (org.bluez) on the system bus.\n\n"
               "Options:\n"
               "  -h --help                        Show this help\n"
               "     --version                     Show the version\n"
               "     --bus=ADDRESS                 Bus to use (default: $DBUS_SYSTEM_BUS_ADDRESS, else the\n"
               "                                   system bus)\n"
               "     --lock=SPEC                   Add a lock: mac=,name=,model=,hardware=,firmware=,\n"
               "                                   features=a+b+...,battery=,rssi=,slots=,locked=\n"
               "                                   (repeatable); paired by the official app already:\n"
               "                                   aes-key=,admin-ps=,unlock-key=,lock-flag-pos=,uid=,\n"
               "                                   admin-passcode= or keys=FILE; its eKey: ekey-uid=,\n"
               "                                   ekey-from=,ekey-until=,ekey-flag-pos=\n"
               "     --locks=N                     Add N locks with generated addresses C0:DE:00:xx:xx:xx\n"
               "     --state=FILE                  Keep pairing, settings, credentials and logs in FILE\n"
               "     --always-awake                Never dormant; factory-fresh locks always pairable\n"
               "     --awake-seconds=S             Awake after a touch (default 12)\n"
               "     --dormant-after-seconds=S     Dormant after S s idle (default 90, 0 never)\n"
               "     --idle-disconnect-seconds=S   Drop an idle connection (default 5, 0 never)\n"
               "     --advert-interval-ms=MS       Advertisement interval (default 1000)\n"
               "     --connect-ms=MS               Time a connection takes (default 300)\n"
               "     --connect-fail-ms=MS          Time a refused connection takes to fail (default 2000)\n"
               "     --latency-ms=MS               Request to reply latency (default 30)\n"
               "     --temporary-timeout-seconds=S Forget unconnected devices S s after discovery\n"
               "                                   stops (BlueZ TemporaryTimeout, default 30, 0 never)\n"
               "     --enrol-timeout-seconds=S     A card/fingerprint enrolment gives up after S s\n"
               "                                   without a card or press (default 30, 0 never)\n"
               "     --adapters=N                  Bluetooth adapters hci0 … hci<N-1> (default 1, at most "
               "8)\n"
               "     --esphome-proxy=NAME=ADDR:PORT[,psk=FILE][,slots=N][,api=1.M]\n"
               "                                   Serve the locks as an ESPHome Bluetooth proxy on\n"
               "                                   ADDR:PORT (repeatable; PORT 0 = any free port)\n"
               "     --experimental                Offer BlueZ's experimental interfaces, as bluetoothd\n"
               "                                   -E does (BatteryProviderManager1)\n"
               "     --log-level=LEVEL             debug, info, notice, warning, err (default: info)\n"
               "     --print-lockdata=KIND         Print each paired lock's keys as the official app holds\n"
               "                                   them and exit: admin or ekey (lockData strings), or\n"
               "                                   addon (the Home Assistant add-on's lockData.json)\n"
               "\nSee ttlock-sim(1).\n",
               program_invocation_short_name);
}

enum {
        ARG_VERSION = 0x100,
        ARG_BUS,
        ARG_LOCK,
        ARG_LOCKS,
        ARG_STATE,
        ARG_ALWAYS_AWAKE,
        ARG_AWAKE,
        ARG_DORMANT,
        ARG_IDLE,
        ARG_ADVERT,
        ARG_CONNECT,
        ARG_CONNECT_FAIL,
        ARG_LATENCY,
        ARG_TEMPORARY,
        ARG_ENROL_TIMEOUT,
        ARG_LOG_LEVEL,
        ARG_ESPHOME_PROXY,
        ARG_ADAPTERS,
        ARG_PRINT_LOCKDATA,
        ARG_EXPERIMENTAL,
};

static int add_lock(SimOptions *o, const SimLockSpec *spec) {
        SimLockSpec *n;

        for (size_t i = 0; i < o->n_locks; i++)
                if (memcmp(o->locks[i].address, spec->address, 6) == 0) {
                        char a[18];
                        log_error(
                                "Two locks with the address %s.",
                                ttlock_address_to_string(spec->address, a));
                        return -EINVAL;
                }
        if (o->n_locks >= SIM_LOCKS_MAX) {
                log_error("At most %d locks.", SIM_LOCKS_MAX);
                return -E2BIG;
        }
        n = reallocarray(o->locks, o->n_locks + 1, sizeof(SimLockSpec));
        if (!n)
                return log_oom();
        o->locks = n;
        o->locks[o->n_locks++] = *spec;
        return 0;
}

static int parse_time(const char *opt, const char *value, uint64_t unit, uint64_t max, uint64_t *ret) {
        uint64_t v;

        if (parse_uint(value, max, &v) < 0) {
                log_error("%s: \"%s\" is not a whole number from 0 to %" PRIu64 ".", opt, value, max);
                return -EINVAL;
        }
        *ret = v * unit;
        return 0;
}

int options_parse(int argc, char *argv[], SimOptions *o) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "bus", required_argument, NULL, ARG_BUS },
                { "lock", required_argument, NULL, ARG_LOCK },
                { "locks", required_argument, NULL, ARG_LOCKS },
                { "state", required_argument, NULL, ARG_STATE },
                { "always-awake", no_argument, NULL, ARG_ALWAYS_AWAKE },
                { "awake-seconds", required_argument, NULL, ARG_AWAKE },
                { "dormant-after-seconds", required_argument, NULL, ARG_DORMANT },
                { "idle-disconnect-seconds", required_argument, NULL, ARG_IDLE },
                { "advert-interval-ms", required_argument, NULL, ARG_ADVERT },
                { "connect-ms", required_argument, NULL, ARG_CONNECT },
                { "connect-fail-ms", required_argument, NULL, ARG_CONNECT_FAIL },
                { "latency-ms", required_argument, NULL, ARG_LATENCY },
                { "temporary-timeout-seconds", required_argument, NULL, ARG_TEMPORARY },
                { "enrol-timeout-seconds", required_argument, NULL, ARG_ENROL_TIMEOUT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "esphome-proxy", required_argument, NULL, ARG_ESPHOME_PROXY },
                { "adapters", required_argument, NULL, ARG_ADAPTERS },
                { "print-lockdata", required_argument, NULL, ARG_PRINT_LOCKDATA },
                { "experimental", no_argument, NULL, ARG_EXPERIMENTAL },
                {},
        };
        SimLockSpec spec;
        char error[160];
        uint64_t v;
        int c, r;

        *o = (SimOptions) {
                .timing = {
                        .advert_interval_usec = 1000 * USEC_PER_MSEC,
                        .awake_usec = 12 * USEC_PER_SEC,
                        .dormant_after_usec = 90 * USEC_PER_SEC,
                        .idle_disconnect_usec = 5 * USEC_PER_SEC,
                        .connect_usec = 300 * USEC_PER_MSEC,
                        .connect_fail_usec = 2000 * USEC_PER_MSEC,
                        .latency_usec = 30 * USEC_PER_MSEC,
                        .temporary_timeout_usec = 30 * USEC_PER_SEC,
                        /* [JS] waits 10 s per step and the official app a little more; a person
                         * fetching a card from a drawer needs longer: 30 s. */
                        .enrol_timeout_usec = 30 * USEC_PER_SEC,
                },
                .log_level = LOG_INFO,
                .n_adapters = 1,
        };

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ttlock-sim %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_BUS:
                        free(o->bus_address);
                        o->bus_address = strdup(optarg);
                        if (!o->bus_address)
                                return log_oom();
                        break;
                case ARG_LOCK:
                        r = options_parse_lock(optarg, (unsigned) o->n_locks, &spec, error, sizeof(error));
                        if (r < 0) {
                                log_error("--lock %s: %s.", optarg, error);
                                return r;
                        }
                        r = add_lock(o, &spec);
                        break;
                case ARG_LOCKS:
                        if (parse_uint(optarg, SIM_LOCKS_MAX, &v) < 0 || v == 0) {
                                log_error(
                                        "--locks: \"%s\" is not a number from 1 to %d.",
                                        optarg,
                                        SIM_LOCKS_MAX);
                                return -EINVAL;
                        }
                        for (uint64_t i = 0; i < v && r >= 0; i++) {
                                options_default_lock(&spec, (unsigned) o->n_locks + 1);
                                r = add_lock(o, &spec);
                        }
                        break;
                case ARG_STATE:
                        free(o->state_path);
                        o->state_path = strdup(optarg);
                        if (!o->state_path)
                                return log_oom();
                        break;
                case ARG_ALWAYS_AWAKE:
                        o->timing.always_awake = true;
                        break;
                case ARG_EXPERIMENTAL:
                        o->experimental = true;
                        break;
                case ARG_AWAKE:
                        r = parse_time("--awake-seconds", optarg, USEC_PER_SEC, 3600, &o->timing.awake_usec);
                        break;
                case ARG_DORMANT:
                        r = parse_time(
                                "--dormant-after-seconds",
                                optarg,
                                USEC_PER_SEC,
                                86400,
                                &o->timing.dormant_after_usec);
                        break;
                case ARG_IDLE:
                        r = parse_time(
                                "--idle-disconnect-seconds",
                                optarg,
                                USEC_PER_SEC,
                                86400,
                                &o->timing.idle_disconnect_usec);
                        break;
                case ARG_ADVERT:
                        r = parse_time(
                                "--advert-interval-ms",
                                optarg,
                                USEC_PER_MSEC,
                                60000,
                                &o->timing.advert_interval_usec);
                        if (r >= 0 && o->timing.advert_interval_usec < 20 * USEC_PER_MSEC) {
                                log_error("--advert-interval-ms: BLE advertises at most every 20 ms.");
                                r = -EINVAL;
                        }
                        break;
                case ARG_CONNECT:
                        r = parse_time(
                                "--connect-ms", optarg, USEC_PER_MSEC, 60000, &o->timing.connect_usec);
                        break;
                case ARG_CONNECT_FAIL:
                        r = parse_time(
                                "--connect-fail-ms",
                                optarg,
                                USEC_PER_MSEC,
                                60000,
                                &o->timing.connect_fail_usec);
                        break;
                case ARG_LATENCY:
                        r = parse_time(
                                "--latency-ms", optarg, USEC_PER_MSEC, 60000, &o->timing.latency_usec);
                        break;
                case ARG_TEMPORARY:
                        r = parse_time(
                                "--temporary-timeout-seconds",
                                optarg,
                                USEC_PER_SEC,
                                86400,
                                &o->timing.temporary_timeout_usec);
                        break;
                case ARG_ENROL_TIMEOUT:
                        r = parse_time(
                                "--enrol-timeout-seconds",
                                optarg,
                                USEC_PER_SEC,
                                3600,
                                &o->timing.enrol_timeout_usec);
                        break;
                case ARG_ADAPTERS:
                        if (parse_uint(optarg, SIM_ADAPTERS_MAX, &v) < 0 || v == 0) {
                                log_error(
                                        "--adapters: \"%s\" is not a number from 1 to %d.",
                                        optarg,
                                        SIM_ADAPTERS_MAX);
                                return -EINVAL;
                        }
                        o->n_adapters = (unsigned) v;
                        break;
                case ARG_ESPHOME_PROXY: {
                        SimProxySpec ps, *n;
                        char why[128];

                        if (o->n_proxies >= SIM_PROXIES_MAX) {
                                log_error("--esphome-proxy: at most 64 proxies.");
                                return -EINVAL;
                        }
                        r = proxy_spec_parse(optarg, &ps, why, sizeof(why));
                        if (r == -ENOMEM)
                                return log_oom();
                        if (r < 0) {
                                log_error("--esphome-proxy: %s.", why);
                                return r;
                        }
                        n = reallocarray(o->proxies, o->n_proxies + 1, sizeof(SimProxySpec));
                        if (!n) {
                                proxy_spec_done(&ps);
                                return log_oom();
                        }
                        o->proxies = n;
                        o->proxies[o->n_proxies++] = ps;
                        break;
                }
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                log_error("--log-level: unknown level \"%s\".", optarg);
                        else {
                                o->log_level = r;
                                r = 0;
                        }
                        break;
                case ARG_PRINT_LOCKDATA:
                        if (!streq(optarg, "admin") && !streq(optarg, "ekey") && !streq(optarg, "addon")) {
                                log_error("--print-lockdata: \"%s\" is not admin, ekey or addon.", optarg);
                                return -EINVAL;
                        }
                        free(o->print_lockdata);
                        o->print_lockdata = strdup(optarg);
                        if (!o->print_lockdata)
                                return log_oom();
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc) {
                log_error("Unexpected argument \"%s\" (see --help).", argv[optind]);
                return -EINVAL;
        }
        if (o->n_locks == 0) {
                options_default_lock(&spec, 1);
                r = add_lock(o, &spec);
                if (r < 0)
                        return r;
        }
        return 1;
}

void options_done(SimOptions *o) {
        free(o->bus_address);
        free(o->state_path);
        free(o->print_lockdata);
        if (o->locks)
                erase_memory(o->locks, o->n_locks * sizeof(SimLockSpec));
        free(o->locks);
        for (size_t i = 0; i < o->n_proxies; i++)
                proxy_spec_done(&o->proxies[i]);
        free(o->proxies);
        *o = (SimOptions){};
}
