/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bluez.h"
#include "credentials.h"
#include "esphome-proxy.h"
#include "feature-bits.h"
#include "lock-clock.h"
#include "lock-log.h"
#include "lock.h"
#include "log.h"
#include "radio.h"
#include "settings.h"
#include "sim-util.h"
#include "command.h"
#include "sim1.h"


static int not_supported(sd_bus_error *error, SimLock *l, const char *what) {
        return sd_bus_error_setf(
                error, SD_BUS_ERROR_NOT_SUPPORTED, "%s has no %s (see its features)", l->address_str, what);
}

/* A good credential refused by a double-locked lock (DEAD_LOCK 0x69): the person at the door learns
 * it, as the lock's beep would tell them; ordinary refusals only leave a log record. */
static int refused(sd_bus_error *error, SimLock *l, int r) {
        if (r == -EACCES)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_ACCESS_DENIED,
                        "%s is double-locked: LOCK_REVERSE (0x1E)",
                        l->address_str);
        return r;
}

static int method_wake(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        radio_touch(userdata);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_enter_passcode(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const char *code;
        size_t n;
        int r;

        r = sd_bus_message_read(m, "s", &code);
        if (r < 0)
                return r;
        n = strlen(code);
        if (n == 0 || n > TTLOCK_PASSCODE_MAX || strspn(code, "0123456789") != n)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "a keypad entry is 1–%d digits, got \"%s\"",
                        TTLOCK_PASSCODE_MAX,
                        code);
        r = lock_keypad(l, code);
        if (r == -EOPNOTSUPP)
                return not_supported(error, l, "keypad");
        if (r < 0 && r != -EPERM)
                return refused(error, l, r);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_present_card(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const char *s;
        uint64_t number;
        TTError e = {};
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        if (ttlock_card_number_parse(s, &number, &e) < 0)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS, "card number: %s", tt_error_message(&e));
        r = lock_card(l, number);
        if (r == -EOPNOTSUPP)
                return not_supported(error, l, "card reader");
        if (r < 0 && r != -EPERM)
                return refused(error, l, r);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_place_finger(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const char *s;
        char *end = NULL;
        unsigned long long id;
        int r;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        errno = 0;
        id = strtoull(s, &end, 10);
        if (isempty(s) || strspn(s, "0123456789") != strlen(s) || errno != 0 || *end ||
            id > TTLOCK_FINGERPRINT_ID_MAX)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "a finger is identified by its decimal fingerprint number "
                        "(0…281474976710655), got \"%s\"",
                        s);
        r = lock_finger(l, id);
        if (r == -EOPNOTSUPP)
                return not_supported(error, l, "fingerprint reader");
        if (r < 0 && r != -EPERM)
                return refused(error, l, r);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_turn_knob(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int b, r;

        r = sd_bus_message_read(m, "b", &b);
        if (r < 0)
                return r;
        lock_knob(userdata, b);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_open_door(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        int open, r;

        r = sd_bus_message_read(m, "b", &open);
        if (r < 0)
                return r;
        r = lock_door(l, open);
        if (r == -EOPNOTSUPP)
                return not_supported(error, l, "door sensor");
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_press_reset_button(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;

        /* §4.3 SWITCH: the reset button can be disabled on locks that have the setting. */
        if (ttlock_features_has(&l->features, TTLOCK_FEATURE_RESET_BUTTON) &&
            !(l->switch_values & TTLOCK_SWITCH_RESET_BUTTON))
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_ACCESS_DENIED,
                        "the reset button of %s is disabled (SWITCH 0x68)",
                        l->address_str);
        radio_link_drop(l, "reset button");
        lock_factory_reset(l);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_set_battery(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint8_t b;
        int r;

        r = sd_bus_message_read(m, "y", &b);
        if (r < 0)
                return r;
        if (b > 100)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "battery is 0–100 %%, got %u", b);
        lock_set_battery(userdata, b);
        return sd_bus_reply_method_return(m, NULL);
}

/* The lock's own wall clock (doc/protocol.md §4.2: local time, no zone), as a person would set the time
 * on the lock: "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS", 2000–2099. It runs on from there; a
 * TIME_CALIBRATE from a client moves it again. Tests use it to be at a given weekday and time without
 * depending on the host's date or zone. */
static int method_set_clock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        unsigned y, mo, d, h, mi, sec = 0;
        const char *s;
        TTDateTime t;
        char extra;
        int r, n;

        r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        n = sscanf(s, "%4u-%2u-%2u %2u:%2u:%2u%c", &y, &mo, &d, &h, &mi, &sec, &extra);
        t = (TTDateTime){ (uint16_t) y, (uint8_t) mo, (uint8_t) d, (uint8_t) h, (uint8_t) mi, (uint8_t) sec };
        if ((n != 5 && n != 6) || y > 9999 || mo > 255 || d > 255 || h > 255 || mi > 255 || sec > 255 ||
            !ttlock_datetime_valid(&t))
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "the lock's clock takes \"YYYY-MM-DD HH:MM[:SS]\" within 2000–2099, got \"%s\"",
                        s);
        lock_clock_set(userdata, &t);
        lock_changed(userdata);
        return sd_bus_reply_method_return(m, NULL);
}

static const char *const fault_names[_SIM_FAULT_MAX] = {
        [SIM_FAULT_DROP_CONNECTION] = "drop-connection",
        [SIM_FAULT_NO_REPLY] = "no-reply",
        [SIM_FAULT_BAD_CRC] = "bad-crc",
        [SIM_FAULT_REFUSE_CONNECT] = "refuse-connect",
        [SIM_FAULT_GARBAGE] = "garbage",
        [SIM_FAULT_GARBAGE_FRAME] = "garbage-frame",
        [SIM_FAULT_JAM] = "jam",
};

/* "no-reply", "no-reply@ADD_ADMIN" or "no-reply@PWD_LIST#3": a fault, and optionally the one command
 * (by its name in doc/protocol.md §4.1) whose exchanges spend it, and which of them is the first to
 * (counting from 1), so that a test can break exactly one step of a flow. */
static int method_inject_fault(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const char *spec, *at, *hash = NULL;
        char kind[32], name[32];
        uint8_t command = 0;
        unsigned long nth = 1;
        uint32_t count;
        int r;

        r = sd_bus_message_read(m, "su", &spec, &count);
        if (r < 0)
                return r;
        at = strchr(spec, '@');
        if (at) {
                bool found = false;
                char *end = NULL;

                hash = strchr(at, '#');
                if (hash) {
                        errno = 0;
                        nth = strtoul(hash + 1, &end, 10);
                        if (errno != 0 || !end || *end || hash[1] < '1' || hash[1] > '9' || nth > 1000)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "\"#%.16s\" is not an exchange number 1…1000", hash + 1);
                }
                snprintf(name, sizeof(name), "%.*s", hash ? (int) (hash - at - 1) : (int) strlen(at + 1), at + 1);
                for (unsigned c = 1; c < 256 && !found; c++)
                        if (ttlock_command_name((uint8_t) c) && streq(ttlock_command_name((uint8_t) c), name)) {
                                command = (uint8_t) c;
                                found = true;
                        }
                if (!found)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "unknown command \"%.32s\" (a name like ADD_ADMIN or UNLOCK)",
                                                 name);
        }
        snprintf(kind, sizeof(kind), "%.*s", at ? (int) (at - spec) : (int) strlen(spec), spec);
        for (size_t i = 0; i < _SIM_FAULT_MAX; i++)
                if (streq(kind, fault_names[i])) {
                        if (command && i == SIM_FAULT_REFUSE_CONNECT)
                                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                        "refuse-connect applies to connections, not commands");
                        if (command && i == SIM_FAULT_JAM)
                                return sd_bus_error_set(
                                        error,
                                        SD_BUS_ERROR_INVALID_ARGS,
                                        "jam applies to the motor, not to commands");
                        l->faults[i] = count;
                        l->fault_command[i] = command;
                        l->fault_skip[i] = (unsigned) nth - 1;
                        sim_lock_changed(l, "Faults");
                        return sd_bus_reply_method_return(m, NULL);
                }
        return sd_bus_error_setf(
                error,
                SD_BUS_ERROR_INVALID_ARGS,
                "unknown fault \"%s\" (drop-connection, no-reply, bad-crc, garbage, garbage-frame[@COMMAND[#N]], "
                "refuse-connect, jam)",
                kind);
}

/* Bytes from the lock as they are: whatever a hostile or broken lock might notify. */
static int method_notify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const void *data;
        size_t len;
        int r;

        r = sd_bus_message_read_array(m, 'y', &data, &len);
        if (r < 0)
                return r;
        if (len == 0 || len > SIM_NOTIFY_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "1…%u bytes", SIM_NOTIFY_MAX);
        if (l->conn != SIM_CONNECTED)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "%s has no connection", l->address_str);
        lock_send_raw(l, data, len);
        return sd_bus_reply_method_return(m, NULL);
}

/* The names of the commands received since the last call, oldest first: the steps of a flow, for a
 * test that breaks each of them in turn. */
static int method_take_commands(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        SimLock *l = userdata;
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < l->n_command_log; i++) {
                char hex[8];
                const char *name = ttlock_command_name(l->command_log[i]);

                if (!name) {
                        snprintf(hex, sizeof(hex), "0x%02x", l->command_log[i]);
                        name = hex;
                }
                r = sd_bus_message_append(reply, "s", name);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        l->n_command_log = 0;
        return sd_bus_send(NULL, reply, NULL);
}

/* The lock as each radio hears it: "hci0", "hci1", … are the BlueZ adapters, any other name a proxy;
 * 0 dBm means out of that radio's reach (it neither sees the adverts nor reaches the lock). */
static int method_set_radio_rssi(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        const char *radio;
        int16_t rssi;
        int r;

        r = sd_bus_message_read(m, "sn", &radio, &rssi);
        if (r < 0)
                return r;
        if (rssi > 0 || rssi < -127)
                return sd_bus_error_setf(
                        error, SD_BUS_ERROR_INVALID_ARGS, "RSSI is -127…-1 dBm, or 0 for unheard");
        for (unsigned i = 0; i < l->sim->n_adapters; i++) {
                SimAdapter *a = &l->sim->adapters[i];

                if (!streq(radio, a->path + strlen(SIM_BLUEZ_PATH "/")))
                        continue;
                l->view[i].rssi = rssi;
                if (rssi == SIM_RSSI_UNHEARD)
                        bluez_device_set_rssi_known(l, a, false);
                else if (l->view[i].rssi_known)
                        bluez_device_emit(l, a, "RSSI");
                return sd_bus_reply_method_return(m, NULL);
        }
        r = proxy_set_rssi(l->sim, radio, l, rssi);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "no radio called \"%s\"", radio);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;

        if (streq(property, "Locked"))
                return sd_bus_message_append(reply, "b", l->locked);
        if (streq(property, "Paired"))
                return sd_bus_message_append(reply, "b", l->paired);
        if (streq(property, "Awake"))
                return sd_bus_message_append(reply, "b", l->awake);
        if (streq(property, "Dormant"))
                return sd_bus_message_append(reply, "b", l->dormant);
        if (streq(property, "AutoLockSeconds"))
                return sd_bus_message_append(reply, "u", (uint32_t) l->auto_lock_seconds);
        if (streq(property, "LogRecords"))
                return sd_bus_message_append(reply, "u", (uint32_t) log_count(l->log));
        if (streq(property, "Battery"))
                return sd_bus_message_append(reply, "y", l->battery);
        if (streq(property, "ConnectAttempts"))
                return sd_bus_message_append(reply, "u", l->connect_attempts);
        if (streq(property, "Faults")) {
                uint32_t n = 0;

                for (size_t i = 0; i < _SIM_FAULT_MAX; i++)
                        n += l->faults[i];
                return sd_bus_message_append(reply, "u", n);
        }
        if (streq(property, "Links")) {
                int r = sd_bus_message_open_container(reply, 'a', "{su}");

                for (unsigned i = 0; r >= 0 && i < l->sim->n_adapters; i++) {
                        char name[16];

                        (void) snprintf(name, sizeof(name), "hci%u", i);
                        r = sd_bus_message_append(reply, "{su}", name, l->links_adapter[i]);
                }
                for (size_t i = 0; r >= 0 && i < l->sim->n_proxies && i < SIM_PROXIES_MAX; i++)
                        r = sd_bus_message_append(
                                reply, "{su}", proxy_name(l->sim->proxies[i]), l->links_proxy[i]);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        if (streq(property, "DoorOpen"))
                return sd_bus_message_append(reply, "b", l->door_open);
        return -ENOENT;
}

static const sd_bus_vtable sim1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Locked", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Paired", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Awake", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Dormant", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutoLockSeconds", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LogRecords", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Battery", "y", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Links", "a{su}", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Faults", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DoorOpen", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ConnectAttempts", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Wake", "", "", method_wake, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "EnterPasscode",
                "s",
                SD_BUS_PARAM(code),
                "",
                ,
                method_enter_passcode,
                /* sd-bus wipes the call when it frees it: no digits left in freed memory. */
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_NAMES(
                "PresentCard",
                "s",
                SD_BUS_PARAM(number),
                "",
                ,
                method_present_card,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "PlaceFinger", "s", SD_BUS_PARAM(id), "", , method_place_finger, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "TurnKnob", "b", SD_BUS_PARAM(locked), "", , method_turn_knob, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("PressResetButton", "", "", method_press_reset_button, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "OpenDoor", "b", SD_BUS_PARAM(open), "", , method_open_door, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetBattery",
                "y",
                SD_BUS_PARAM(percent),
                "",
                ,
                method_set_battery,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetClock", "s", SD_BUS_PARAM(time), "", , method_set_clock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetRadioRssi",
                "sn",
                SD_BUS_PARAM(radio) SD_BUS_PARAM(rssi),
                "",
                ,
                method_set_radio_rssi,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "InjectFault",
                "su",
                SD_BUS_PARAM(kind) SD_BUS_PARAM(count),
                "",
                ,
                method_inject_fault,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "Notify", "ay", SD_BUS_PARAM(bytes), "", , method_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "TakeCommands",
                "",
                ,
                "as",
                SD_BUS_PARAM(commands),
                method_take_commands,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int find_lock(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimAdapter *a = NULL;
        SimLock *l;
        int object;

        /* On hci0's device paths only: one person at one door. */
        l = bluez_lookup_path(userdata, path, &a, &object);
        if (!l || object >= 0 || a->index != 0)
                return 0;
        *ret_found = l;
        return 1;
}

int sim1_register(Sim *s) {
        int r;

        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, SIM1_INTERFACE, sim1_vtable, find_lock, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add %s: %m", SIM1_INTERFACE);
        return 0;
}
