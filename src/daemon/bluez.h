/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's BlueZ client (BlueZ 5.66 D-Bus API, conventions.md "BlueZ as a client"):
 * follows org.bluez coming and going, mirrors adapters, TTLock devices and their GATT characteristics
 * from the ObjectManager at /, scans LE with duplicates, and offers the few calls a link needs —
 * Connect, Disconnect, StartNotify on 0xFFF4, WriteValue on 0xFFF2.
 *
 * It knows nothing of the TTLock protocol beyond the service UUIDs and the manufacturer-data key,
 * and nothing of ttlockd's own D-Bus objects: it reports to its owner through BluezCallbacks. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct Bluez Bluez;
typedef struct BluezDevice BluezDevice;

/* What BlueZ says of one device. Strings and buffers belong to the Bluez object and stay valid
 * until the next callback for the same device. */
typedef struct BluezDeviceInfo {
        const char *path;
        const char *address; /* "AA:BB:CC:DD:EE:FF" */
        const char *name;    /* may be NULL */
        int16_t rssi;
        bool have_rssi;
        bool connected;
        bool services_resolved;
        bool gatt_ready; /* 0xFFF2 and 0xFFF4 known for this device */
        /* ManufacturerData, key 773 for V3 locks (protocol.md §1.5); have_mfr false when absent. */
        bool have_mfr;
        uint16_t mfr_key;
        const uint8_t *mfr;
        size_t mfr_len;
} BluezDeviceInfo;

typedef struct BluezCallbacks {
        /* org.bluez appeared (after its objects were read) or vanished: every device is gone then. */
        void (*available)(Bluez *b, bool available, void *userdata);
        void (*adapters_changed)(Bluez *b, void *userdata);
        /* A TTLock device (0x1910 in UUIDs or manufacturer key 773) appeared or changed.
         * mfr_changed: ManufacturerData was (re)sent — with DuplicateData every advert is one. */
        void (*device_changed)(Bluez *b, const BluezDeviceInfo *info, bool mfr_changed, void *userdata);
        void (*device_removed)(Bluez *b, const char *path, const char *address, void *userdata);
        /* A notification on 0xFFF4 of a connected device. */
        void (*notification)(Bluez *b, const char *device_path, const uint8_t *data, size_t len,
                             void *userdata);
} BluezCallbacks;

int bluez_new(sd_bus *bus, const BluezCallbacks *cb, void *userdata, Bluez **ret);
Bluez *bluez_free(Bluez *b);
static inline void bluez_freep(Bluez **b) {
        if (*b)
                bluez_free(*b);
}

bool bluez_available(Bluez *b);
/* Object paths of the powered adapters, NULL-terminated, owned by b. */
char **bluez_adapters(Bluez *b);

/* Scanning: "monitor" keeps an LE scan with DuplicateData running on every powered adapter while on
 * (events depend on every advert, protocol.md §7); "discover" is the same scan asked for by a user
 * looking for new locks. The scan runs while either is on and is re-established when BlueZ or an
 * adapter comes back. */
void bluez_set_monitor(Bluez *b, bool on);
void bluez_set_discover(Bluez *b, bool on);
bool bluez_scanning(Bluez *b);

/* Async calls; cb gets 0 or a negative errno and the D-Bus error (may be NULL). */
typedef void (*BluezResult)(Bluez *b, const char *device_path, int error, const sd_bus_error *e,
                            void *userdata);

int bluez_connect(Bluez *b, const char *device_path, uint64_t timeout_usec, BluezResult cb, void *userdata,
                  sd_bus_slot **ret_slot);
int bluez_disconnect(Bluez *b, const char *device_path);
int bluez_start_notify(Bluez *b, const char *device_path, BluezResult cb, void *userdata,
                       sd_bus_slot **ret_slot);
/* One chunk of at most 20 bytes to 0xFFF2 (protocol.md §1.3), as a "command" write when the
 * characteristic only offers write-without-response, else "request". */
int bluez_write(Bluez *b, const char *device_path, const uint8_t *data, size_t len, BluezResult cb,
                void *userdata, sd_bus_slot **ret_slot);

/* Current view of one device, false if unknown. */
bool bluez_device_info(Bluez *b, const char *device_path, BluezDeviceInfo *ret);
/* Device path for an address on any adapter, NULL if unseen. */
const char *bluez_device_path_by_address(Bluez *b, const char *address);
