/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What ttlockd needs from a radio, and nothing more (doc/architecture.md "radio"): see adverts, connect
 * to a lock and have its notifications on, write to it, hear that the connection went away,
 * disconnect. A radio is one BlueZ adapter or one ESPHome Bluetooth proxy; each backend (bluez.c, …)
 * creates its radios in a RadioSet and reports through the radio_*() calls at the end of this file.
 *
 * The RadioSet is the one view of every lock the daemon hears: adverts from all radios go to its owner
 * (the lock registry), and for each address it remembers which radios list it and how well each heard
 * it, so that a connection goes through the radio that hears the lock best (radio_set_best()).
 *
 * Connections (RadioConn) belong to their user (a Link). A backend delivers what happens on a
 * connection — ready, notification, closed — straight to the connection's callbacks, with no
 * forwarder in between. Nothing here knows the TTLock protocol beyond "a lock is a device with a
 * write and a notify characteristic" (doc/protocol.md §1). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-address.h"
#include "macro.h"

typedef struct Radio Radio;
typedef struct RadioConn RadioConn;
typedef struct RadioSet RadioSet;

typedef enum RadioKind {
        RADIO_KIND_BLUEZ,
        RADIO_KIND_ESPHOME,
        _RADIO_KIND_MAX,
} RadioKind;

const char *radio_kind_to_string(RadioKind k); /* "bluez", "esphome" */

/* What a radio heard of a device. Strings and buffers are valid during the callback only. */
typedef struct RadioAdvert {
        const char *address; /* upper case, ':' separators */
        const char *name;    /* NULL when not known */
        bool have_rssi;
        int16_t rssi;
        bool have_mfr; /* manufacturer data; key 773 for V3 locks (doc/protocol.md §1.5) */
        uint16_t mfr_key;
        const uint8_t *mfr;
        size_t mfr_len;
        /* A new advertisement (every advert is one while scanning with duplicates); false when only
         * what the radio knows of the device changed (its name). */
        bool fresh;
        /* What the radio remembered from before we asked (BlueZ's objects when ttlockd starts or BlueZ
         * comes back): of unknown age, so nothing is concluded from it that cannot be undone. */
        bool cached;
} RadioAdvert;

/* ---- connections ------------------------------------------------------------------------------- */

typedef struct RadioConnCallbacks {
        /* Called once: the device is connected and its notifications are on (error 0), or it could not
         * be brought up (error < 0: -EHOSTUNREACH refused or dropped while setting up, -ENODEV the radio
         * no longer lists it, -ENOTCONN the radio went away); why says what happened, for the log. */
        void (*ready)(RadioConn *c, int error, const char *why, void *userdata);
        /* A value notified by the device (at most 20 bytes per BLE notification, doc/protocol.md §1.3). */
        void (*notification)(RadioConn *c, const uint8_t *data, size_t len, void *userdata);
        /* Called once, after ready(0): the connection is gone — error 0 when radio_conn_disconnect()
         * asked for it, -ENOTCONN when the device, the radio or the backend dropped it. */
        void (*closed)(RadioConn *c, int error, void *userdata);
} RadioConnCallbacks;

/* Open a connection to address through r (the RadioSet's choice: radio_set_best()). The outcome comes
 * through cb->ready, never from inside this call. timeout_usec bounds one connect attempt at the radio. */
int radio_connect(
        Radio *r,
        const char *address,
        uint64_t timeout_usec,
        const RadioConnCallbacks *cb,
        void *userdata,
        RadioConn **ret);
/* One write to the device's write characteristic (≤ 20 bytes). done is called once, from the event
 * loop, unless the connection is freed first. */
typedef void (*RadioWriteDone)(RadioConn *c, int error, void *userdata);
int radio_conn_write(RadioConn *c, const uint8_t *data, size_t len, RadioWriteDone done, void *userdata);
/* Ask for the disconnect; closed(0) follows when the radio confirms it. */
void radio_conn_disconnect(RadioConn *c);
/* Forget the connection: no callback is called after this. A connection that is (or may become) up
 * is disconnected in the background. Accepts NULL. */
RadioConn *radio_conn_free(RadioConn *c);
Radio *radio_conn_radio(RadioConn *c);
const char *radio_conn_address(RadioConn *c);

/* ---- the set of radios ------------------------------------------------------------------------- */

typedef struct RadioSetCallbacks {
        /* Every advert of every radio, in the order they arrive. */
        void (*advert)(RadioSet *s, Radio *from, const RadioAdvert *a, void *userdata);
        /* No radio lists address any more. */
        void (*device_lost)(RadioSet *s, const char *address, void *userdata);
        /* A radio appeared, went away, or changed (available, address, slots, error). */
        void (*radios_changed)(RadioSet *s, void *userdata);
        /* What the radios hear of address changed: the radio chosen for it (radio_set_chosen()), the
         * radios that list it, or the RSSI one of them heard by RADIO_RSSI_REPORT_DB or more since the
         * last report (radio_set_heard()). Not called for every advert: RSSI jitters. */
        void (*device_changed)(RadioSet *s, const char *address, void *userdata);
} RadioSetCallbacks;

/* How far the RSSI a radio hears must move before device_changed reports it. */
#define RADIO_RSSI_REPORT_DB 5

int radio_set_new(const RadioSetCallbacks *cb, void *userdata, RadioSet **ret);
/* The backends' radios must be gone first (each backend frees its own). */
RadioSet *radio_set_free(RadioSet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(RadioSet *, radio_set_free);

/* Scanning: "monitor" keeps every radio scanning with duplicates while on (events depend on every
 * advert, doc/protocol.md §7); "discover" is the same asked for by a user looking for new locks. Each
 * radio scans while either is on, and radios that appear later start scanning too. */
void radio_set_scan(RadioSet *s, bool monitor, bool discover);
bool radio_set_scanning(const RadioSet *s);

/* The radio chosen for address: among the available radios that list it (only the pinned one, if it is
 * pinned), the one that heard it best recently, with hysteresis so that the choice does not flap. It is
 * chosen again with every advert of the lock and every change of a radio. NULL when none qualifies. */
Radio *radio_set_chosen(RadioSet *s, const char *address);
/* The radio to connect to address through now: the chosen one, unless it is exclude (a second try
 * through another radio) or has no free connection slot (radio_set_free_slots()); then the best of the
 * others that qualify. NULL when no radio can take the connection. */
Radio *radio_set_best(RadioSet *s, const char *address, Radio *exclude);
/* Whether any available radio that may carry its connections (the pinned one, if it is pinned) lists
 * address; it may have no free slot now. */
bool radio_set_knows(RadioSet *s, const char *address);

/* What one radio last heard of a device. */
typedef struct RadioHeard {
        Radio *radio;
        bool have_rssi;
        int16_t rssi;
        uint64_t heard_usec; /* CLOCK_MONOTONIC of its last advert, 0 = listed but never heard */
} RadioHeard;

/* The radios that list address, at most max of them, in the order they first heard it; returns how many
 * were written. */
size_t radio_set_heard(RadioSet *s, const char *address, RadioHeard *ret, size_t max);

/* A paired lock's battery (0–100), or percentage < 0 when the lock is no longer paired: handed to the
 * radios that can show it to the rest of the system (BlueZ's battery providers, bluez-battery.h), now
 * and when they appear later. Locks that are not paired are never reported. */
void radio_set_battery(RadioSet *s, const char *address, int percentage);

/* Pins (ttlockd.conf(5) [Lock] Radio=): connections to address go only through the radio called
 * radio_name, whether or not it exists now; NULL unpins. -EINVAL for a bad address, -E2BIG over
 * RADIO_PINS_MAX. radio_set_unpin_all() drops every pin. */
#define RADIO_PINS_MAX 4096U
int radio_set_pin(RadioSet *s, const char *address, const char *radio_name);
void radio_set_unpin_all(RadioSet *s);
const char *radio_set_pinned(RadioSet *s, const char *address);

/* Radios in the order they were added, NULL-terminated; owned by s, valid until the next change. */
Radio *const *radio_set_radios(RadioSet *s);

/* ---- one radio ----------------------------------------------------------------------------------- */

RadioKind radio_kind(const Radio *r);
const char *radio_name(const Radio *r);         /* "hci0", a proxy's configured name */
const char *radio_backend_path(const Radio *r); /* BlueZ: the adapter's object path; NULL otherwise */
bool radio_available(const Radio *r);
/* Where the radio is: a BlueZ adapter's MAC, a proxy's host:port; "" while not known. */
const char *radio_address(const Radio *r);
/* Connections it can still take: < 0 when the radio sets no limit of its own (BlueZ). */
int radio_free_slots(const Radio *r);
/* Why the radio does not work, for the user; "" while it works. */
const char *radio_last_error(const Radio *r);
Radio *radio_set_find(RadioSet *s, const char *name);

/* ---- for backends -------------------------------------------------------------------------------- */

typedef struct RadioWrite RadioWrite;

typedef struct RadioOps {
        /* Start bringing c up (radio_conn_address(c)); report with radio_conn_ready(). */
        int (*connect)(Radio *r, RadioConn *c, uint64_t timeout_usec);
        /* Send one write; complete it with radio_write_done(w, …) from the event loop. */
        int (*write)(Radio *r, RadioConn *c, const uint8_t *data, size_t len, RadioWrite *w);
        void (*disconnect)(Radio *r, RadioConn *c);
        /* c is being freed: drop every reference to it and to its pending writes (radio_write_done()
         * must not be called for them any more); disconnect in the background if needed. */
        void (*release)(Radio *r, RadioConn *c);
        void (*set_scan)(Radio *r, bool on);
        /* Optional: a paired lock's battery (radio_set_battery()), percentage < 0 to withdraw it. */
        void (*set_battery)(Radio *r, const char *address, int percentage);
} RadioOps;

int radio_new(
        RadioSet *s,
        RadioKind kind,
        const char *name,
        const char *backend_path,
        const RadioOps *ops,
        void *backend_data,
        Radio **ret);
/* The radio and every device only it listed go (device_lost); its connections must be closed first. */
Radio *radio_free(Radio *r);
void *radio_backend_data(const Radio *r);
void radio_set_available(Radio *r, bool available);
void radio_set_address(Radio *r, const char *address);
/* free < 0: no limit known; 0: radio_set_best() passes the radio over. */
void radio_set_free_slots(Radio *r, int free);
void radio_set_last_error(Radio *r, const char *error); /* NULL or "" clears it */

/* What the radio hears and loses. */
void radio_advert(Radio *r, const RadioAdvert *a);
void radio_device_lost(Radio *r, const char *address);

/* What happens on a connection (each is delivered at most once where the callbacks say so). */
void *radio_conn_backend_data(const RadioConn *c);
void radio_conn_set_backend_data(RadioConn *c, void *data);
void radio_conn_ready(RadioConn *c, int error, const char *why);
void radio_conn_notification(RadioConn *c, const uint8_t *data, size_t len);
void radio_conn_closed(RadioConn *c, int error);
void radio_write_done(RadioWrite *w, int error);
