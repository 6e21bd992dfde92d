/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bluez-battery.h"
#include "bluez.h"
#include "bus-dict.h"
#include "hashmap.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

#define BLUEZ_SERVICE "org.bluez"
#define BLUEZ_ADAPTER "org.bluez.Adapter1"
#define BLUEZ_DEVICE "org.bluez.Device1"
#define BLUEZ_GATT_CHAR "org.bluez.GattCharacteristic1"
#define BLUEZ_BATTERY "org.bluez.Battery1"
#define BLUEZ_BATTERY_MANAGER "org.bluez.BatteryProviderManager1"

#define UUID_TTLOCK_SERVICE "00001910-0000-1000-8000-00805f9b34fb"
#define UUID_TTLOCK_WRITE "0000fff2-0000-1000-8000-00805f9b34fb"
#define UUID_TTLOCK_NOTIFY "0000fff4-0000-1000-8000-00805f9b34fb"

#define TTLOCK_MFR_KEY_V3 0x0305 /* doc/protocol.md §1.5 */
#define MFR_MAX 64               /* adverts carry at most 31 bytes; this bounds a hostile BlueZ */
#define BLUEZ_DEVICES_MAX 16384U /* a bound on what a BlueZ full of strangers can make us hold */

typedef struct Adapter {
        Bluez *bluez;
        char *path;
        Radio *radio;
        bool powered;
        bool scan_on;        /* the RadioSet wants this adapter to scan */
        bool scan_requested; /* we asked BlueZ to scan on it */
        BluezBattery *battery; /* the locks' batteries offered to BlueZ here; NULL if it cannot be made */
        bool battery_manager;  /* BlueZ offers org.bluez.BatteryProviderManager1 on it */
        struct Adapter *next;
} Adapter;

/* Where a connection through this device is (radio.h RadioConn). */
typedef enum ConnState {
        CONN_NONE,
        CONN_CLEARING,      /* Device1.Disconnect() of a connection that is not ours in flight */
        CONN_CONNECTING,    /* Device1.Connect() in flight */
        CONN_RESOLVING,     /* connected, waiting for ServicesResolved and our characteristics */
        CONN_SUBSCRIBING,   /* StartNotify() on 0xFFF4 in flight */
        CONN_READY,         /* notifications on; writes may go */
        CONN_DISCONNECTING, /* Disconnect() asked for; waiting for Connected=false */
} ConnState;

typedef struct Device Device;
typedef struct PendingWrite PendingWrite;

struct Device {
        char *path;
        Adapter *adapter;
        char address[BT_ADDRESS_SIZE];
        char *name;
        int16_t rssi;
        bool have_rssi;
        bool connected;
        bool services_resolved;
        bool ttlock; /* advertises 0x1910 or V3 manufacturer data */
        bool battery; /* BlueZ shows org.bluez.Battery1 on it (ours, or another provider's) */
        bool have_mfr;
        uint16_t mfr_key;
        uint8_t mfr[MFR_MAX];
        size_t mfr_len;
        char *write_path;
        bool write_without_response;
        char *notify_path;

        RadioConn *conn;
        ConnState conn_state;
        sd_bus_slot *conn_slot; /* Disconnect (clearing) / Connect / StartNotify in flight */
        uint64_t connect_timeout_usec;
        PendingWrite *writes;
};

struct PendingWrite {
        Device *device;
        RadioWrite *write;
        sd_bus_slot *slot;
        PendingWrite *next;
};

struct Bluez {
        sd_bus *bus;
        RadioSet *radios;

        char *owner; /* unique name of org.bluez, NULL while absent */
        sd_bus_slot *owner_slot;
        sd_bus_slot *added_slot;
        sd_bus_slot *removed_slot;
        sd_bus_slot *props_slot;
        sd_bus_slot *objects_slot;

        Adapter *adapters;
        Hashmap *devices; /* object path → Device */
        bool warned_full;
        bool gatt_pass;       /* second pass over GetManagedObjects: characteristics only */
        bool reading_objects; /* inside GetManagedObjects' answer: what BlueZ remembered */
        /* The adapters to use, by name (ttlockd.conf(5) Adapters=); NULL = all. */
        char **allowed;
};

static const RadioOps bluez_radio_ops;

/* ---- objects ----------------------------------------------------------------------------------- */

static Adapter *adapter_find(Bluez *b, const char *path) {
        for (Adapter *a = b->adapters; a; a = a->next)
                if (streq(a->path, path))
                        return a;
        return NULL;
}

/* The adapter of a device, /org/bluez/hci0 for /org/bluez/hci0/dev_…, made (unpowered) when BlueZ listed
 * the device first: GetManagedObjects comes in no defined order. */
static Adapter *adapter_get(Bluez *b, const char *path, size_t len) {
        _cleanup_free_ char *p = strndup(path, len);
        Adapter *a;
        const char *name;
        int r;

        if (!p)
                return NULL;
        a = adapter_find(b, p);
        if (a)
                return a;
        a = calloc(1, sizeof(Adapter));
        if (!a)
                return NULL;
        a->bluez = b;
        a->path = TAKE_PTR(p);
        r = bluez_battery_new(b->bus, a->path, &a->battery);
        if (r < 0)
                log_warning_errno(r, "%s: cannot offer lock batteries to BlueZ: %m", a->path);
        name = strrchr(a->path, '/');
        r = radio_new(
                b->radios,
                RADIO_KIND_BLUEZ,
                name ? name + 1 : a->path,
                a->path,
                &bluez_radio_ops,
                a,
                &a->radio);
        if (r < 0) {
                bluez_battery_free(a->battery);
                free(a->path);
                free(a);
                return NULL;
        }
        a->next = b->adapters;
        b->adapters = a;
        return a;
}

static Device *device_find(Bluez *b, const char *path) {
        return hashmap_get(b->devices, path);
}

/* GATT objects live below their device: /org/bluez/hci0/dev_XX/serviceNN/charMMMM. */
static Device *device_of_object(Bluez *b, const char *path) {
        const char *s = strstr(path, "/service");
        _cleanup_free_ char *p = NULL;

        if (!s)
                return NULL;
        p = strndup(path, (size_t) (s - path));
        return p ? device_find(b, p) : NULL;
}

static void advert_from_device(const Device *d, bool fresh, bool cached, RadioAdvert *ret) {
        *ret = (RadioAdvert){
                .address = d->address,
                .name = d->name,
                .have_rssi = d->have_rssi,
                .rssi = d->rssi,
                .have_mfr = d->have_mfr,
                .mfr_key = d->mfr_key,
                .mfr = d->mfr,
                .mfr_len = d->mfr_len,
                .fresh = fresh,
                .cached = cached,
        };
}

static void report_device(Bluez *b, Device *d, bool fresh) {
        RadioAdvert a;

        if (!d->ttlock || !d->address[0] || !d->adapter)
                return;
        /* While GetManagedObjects' answer is read, what BlueZ says is what it remembered. */
        advert_from_device(d, fresh, b->reading_objects, &a);
        radio_advert(d->adapter->radio, &a);
}

/* ---- connections: the device side -------------------------------------------------------------- */

static void conn_slot_drop(Device *d) {
        d->conn_slot = sd_bus_slot_unref(d->conn_slot);
}

static void pending_write_unlink(PendingWrite *w) {
        if (!w->device)
                return;
        for (PendingWrite **p = &w->device->writes; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        w->device = NULL;
}

static void on_write_slot_destroy(void *userdata) {
        PendingWrite *w = userdata;

        pending_write_unlink(w);
        free(w);
}

static void writes_cancel(Device *d) {
        /* Unreffing a slot cancels its call; its destroy callback frees the PendingWrite. */
        while (d->writes) {
                PendingWrite *w = d->writes;

                pending_write_unlink(w);
                sd_bus_slot_unref(w->slot);
        }
}

static void device_disconnect(Bluez *b, Device *d);

/* The connection ends here (as ready(error) while it was coming up, or closed(error) once it was up).
 * The RadioConn's user may free it from inside the callback: d is left clean before the call. */
static void conn_end(Device *d, int error, const char *why) {
        RadioConn *c = d->conn;
        ConnState s = d->conn_state;

        if (!c)
                return;
        conn_slot_drop(d);
        writes_cancel(d);
        d->conn = NULL;
        d->conn_state = CONN_NONE;
        radio_conn_set_backend_data(c, NULL);
        /* A connection that failed half-way must not stay up behind us. */
        if (error < 0 && s != CONN_READY && s != CONN_DISCONNECTING && d->connected)
                device_disconnect(d->adapter->bluez, d);
        if (s == CONN_READY || s == CONN_DISCONNECTING)
                radio_conn_closed(c, s == CONN_DISCONNECTING ? 0 : error);
        else
                radio_conn_ready(c, error, why);
}

static int call_reply_error(sd_bus_message *reply, const sd_bus_error **ret) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        *ret = e;
        return e ? -(sd_bus_error_get_errno(e) ?: EIO) : 0;
}

static int on_start_notify(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Device *d = userdata;
        const sd_bus_error *e;
        int error = call_reply_error(reply, &e);

        conn_slot_drop(d);
        if (d->conn_state != CONN_SUBSCRIBING)
                return 0;
        /* A second StartNotify from the same client is refused as "in progress" by BlueZ: the
         * notifications are on, which is all we asked for. */
        if (error < 0 && !sd_bus_error_has_name(e, "org.bluez.Error.InProgress")) {
                conn_end(d, -EHOSTUNREACH, e->message ?: "StartNotify failed");
                return 0;
        }
        d->conn_state = CONN_READY;
        /* BlueZ took no battery for a device it did not keep yet; now that it keeps it, offer again. */
        if (!d->battery && d->adapter->battery)
                bluez_battery_offer_again(d->adapter->battery, d->address);
        radio_conn_ready(d->conn, 0, NULL);
        return 0;
}

static int
characteristic_call_new(Bluez *b, Device *d, bool notify, const char *member, sd_bus_message **ret) {
        const char *path = notify ? d->notify_path : d->write_path;

        if (!b->owner)
                return -ENOTCONN;
        if (!path)
                return -ENOENT;
        return sd_bus_message_new_method_call(b->bus, ret, BLUEZ_SERVICE, path, BLUEZ_GATT_CHAR, member);
}

static int conn_subscribe(Bluez *b, Device *d) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = characteristic_call_new(b, d, /* notify= */ true, "StartNotify", &m);
        if (r >= 0)
                r = sd_bus_call_async(b->bus, &d->conn_slot, m, on_start_notify, d, 0);
        if (r < 0)
                return r;
        d->conn_state = CONN_SUBSCRIBING;
        return 0;
}

/* What BlueZ says of the device moves a connection on: resolved services lead to StartNotify, a drop
 * ends it. */
static void conn_device_changed(Bluez *b, Device *d) {
        if (!d->conn)
                return;
        if (!d->connected) {
                switch (d->conn_state) {
                case CONN_RESOLVING:
                case CONN_SUBSCRIBING:
                        /* doc/protocol.md §1.2: links that drop right after connecting are retried
                         * (by the link, through ready()). */
                        conn_end(d, -EHOSTUNREACH, "dropped while setting up");
                        return;
                case CONN_READY:
                case CONN_DISCONNECTING:
                        conn_end(d, -ENOTCONN, NULL);
                        return;
                default:
                        /* Connect() in flight: its reply decides. */
                        return;
                }
        }
        if (d->conn_state == CONN_RESOLVING && d->services_resolved && d->write_path && d->notify_path &&
            conn_subscribe(b, d) < 0)
                conn_end(d, -EHOSTUNREACH, "cannot subscribe to notifications");
}

static int on_connect(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Device *d = userdata;
        const sd_bus_error *e;
        int error = call_reply_error(reply, &e);

        conn_slot_drop(d);
        if (d->conn_state != CONN_CONNECTING)
                return 0;
        /* Connecting to what is already connected is success (BlueZ doc/device-api.txt). BlueZ 5.66
         * reports a failed LE connect as org.bluez.Error.Failed with the reason in the message; a
         * dormant lock looks exactly like this. */
        if (error < 0 && !sd_bus_error_has_name(e, "org.bluez.Error.AlreadyConnected")) {
                conn_end(d, -EHOSTUNREACH, e->message ?: "Connect failed");
                return 0;
        }
        d->conn_state = CONN_RESOLVING;
        conn_device_changed(d->adapter->bluez, d);
        return 0;
}

/* ---- connections: the radio side --------------------------------------------------------------- */

static int conn_connect(Bluez *b, Device *d) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, BLUEZ_SERVICE, d->path, BLUEZ_DEVICE, "Connect");
        if (r >= 0)
                r = sd_bus_call_async(b->bus, &d->conn_slot, m, on_connect, d, d->connect_timeout_usec);
        if (r < 0)
                return r;
        d->conn_state = CONN_CONNECTING;
        return 0;
}

static int on_cleared(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Device *d = userdata;
        const sd_bus_error *e;
        int error = call_reply_error(reply, &e), r;

        conn_slot_drop(d);
        if (d->conn_state != CONN_CLEARING)
                return 0;
        /* "Not Connected": it went by itself meanwhile, which is all we wanted. */
        if (error < 0)
                log_debug("%s: Disconnect: %s", d->path, e->message ?: e->name);
        r = conn_connect(d->adapter->bluez, d);
        if (r < 0)
                conn_end(d, -EHOSTUNREACH, "cannot connect");
        return 0;
}

static int radio_op_connect(Radio *radio, RadioConn *c, uint64_t timeout_usec) {
        Adapter *a = radio_backend_data(radio);
        Bluez *b = a->bluez;
        char path[256];
        Device *d;
        int r;

        if (!b->owner)
                return -ENOTCONN;
        /* BlueZ names device objects after the address (doc/device-api.txt): dev_AA_BB_CC_DD_EE_FF. */
        snprintf(path, sizeof(path), "%s/dev_%s", a->path, radio_conn_address(c));
        for (char *p = path + strlen(a->path); *p; p++)
                if (*p == ':')
                        *p = '_';
        d = device_find(b, path);
        if (!d)
                return -ENODEV;
        if (d->conn)
                /* One connection per device and radio: the link holds at most one. */
                return -EBUSY;

        d->connect_timeout_usec = timeout_usec;
        if (d->connected) {
                /* A connection we did not make (another client's, or ours from before a restart) is never
                 * taken over: the lock may still answer a command sent on it, and that late reply would
                 * be read as the answer to ours (doc/protocol.md §2.4: a reply names only its command).
                 * Authentication is per connection anyway (§5). Down first, then a connection of our
                 * own. */
                r = sd_bus_call_method_async(
                        b->bus, &d->conn_slot, BLUEZ_SERVICE, d->path, BLUEZ_DEVICE, "Disconnect", on_cleared, d, NULL);
                if (r >= 0)
                        d->conn_state = CONN_CLEARING;
        } else
                r = conn_connect(b, d);
        if (r < 0)
                return r;
        d->conn = c;
        radio_conn_set_backend_data(c, d);
        return 0;
}

static int on_write(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PendingWrite *w = userdata;
        RadioWrite *rw = w->write;
        const sd_bus_error *e;
        int error = call_reply_error(reply, &e);

        if (error < 0)
                log_debug(
                        "%s: write failed: %s",
                        w->device ? w->device->path : "device",
                        e->message ?: e->name);
        /* Out of the device's list before the callback, which may send the next chunk or free the
         * connection; sd-bus frees w (the slot's destroy callback) once we return. */
        pending_write_unlink(w);
        w->write = NULL;
        sd_bus_slot_unref(w->slot); /* ours; sd-bus holds its own until we return, then frees w */
        if (rw)
                radio_write_done(rw, error < 0 ? -ENOTCONN : 0);
        return 0;
}

static int radio_op_write(Radio *radio, RadioConn *c, const uint8_t *data, size_t len, RadioWrite *rw) {
        Adapter *a = radio_backend_data(radio);
        Bluez *b = a->bluez;
        Device *d = radio_conn_backend_data(c);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        PendingWrite *w;
        int r;

        if (!d || d->conn_state != CONN_READY)
                return -ENOTCONN;
        r = characteristic_call_new(b, d, /* notify= */ false, "WriteValue", &m);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', data, len);
        /* doc/protocol.md §1.3: "command" only when the characteristic offers nothing else. */
        if (r >= 0)
                r = sd_bus_message_append(
                        m, "a{sv}", 1, "type", "s", d->write_without_response ? "command" : "request");
        if (r < 0)
                return r;
        w = calloc(1, sizeof(PendingWrite));
        if (!w)
                return -ENOMEM;
        *w = (PendingWrite){ .device = d, .write = rw, .next = d->writes };
        d->writes = w;
        r = sd_bus_call_async(b->bus, &w->slot, m, on_write, w, 0);
        if (r < 0) {
                pending_write_unlink(w);
                free(w);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(w->slot, on_write_slot_destroy);
        return 0;
}

static void device_disconnect(Bluez *b, Device *d) {
        if (b->owner)
                (void) sd_bus_call_method_async(
                        b->bus, NULL, BLUEZ_SERVICE, d->path, BLUEZ_DEVICE, "Disconnect", NULL, NULL, NULL);
}

static void radio_op_disconnect(Radio *radio, RadioConn *c) {
        Adapter *a = radio_backend_data(radio);
        Device *d = radio_conn_backend_data(c);

        if (!d || d->conn_state != CONN_READY)
                return;
        writes_cancel(d);
        d->conn_state = CONN_DISCONNECTING;
        device_disconnect(a->bluez, d);
}

static void radio_op_release(Radio *radio, RadioConn *c) {
        Adapter *a = radio_backend_data(radio);
        Device *d = radio_conn_backend_data(c);
        bool was_up;

        if (!d)
                return;
        /* Whatever was on its way up or is up goes down: BlueZ must not be left half-connected
         * behind us (a held link also keeps the lock from advertising, doc/protocol.md §1.5). */
        was_up = d->conn_state != CONN_NONE && d->conn_state != CONN_DISCONNECTING;
        conn_slot_drop(d);
        writes_cancel(d);
        d->conn = NULL;
        d->conn_state = CONN_NONE;
        radio_conn_set_backend_data(c, NULL);
        if (was_up)
                device_disconnect(a->bluez, d);
}

/* ---- scanning ---------------------------------------------------------------------------------- */

static int on_start_discovery(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* InProgress means another client of BlueZ already started it on our behalf too: fine. */
        if (e && !sd_bus_error_has_name(e, "org.bluez.Error.InProgress"))
                log_warning(
                        "Could not start LE scanning on %s: %s",
                        sd_bus_message_get_path(reply) ?: "adapter",
                        e->message ?: e->name);
        return 0;
}

static void adapter_update_scan(Bluez *b, Adapter *a) {
        bool on = a->scan_on && a->powered;
        int r;

        if (!b->owner || a->scan_requested == on)
                return;
        if (on) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                /* Transport le, duplicates on: every advert carries the flags byte that tells of new
                 * log records and of the bolt (doc/protocol.md §1.5, §7); only TTLock's service. */
                r = sd_bus_message_new_method_call(
                        b->bus, &m, BLUEZ_SERVICE, a->path, BLUEZ_ADAPTER, "SetDiscoveryFilter");
                if (r >= 0)
                        r = sd_bus_message_append(
                                m,
                                "a{sv}",
                                3,
                                "Transport",
                                "s",
                                "le",
                                "DuplicateData",
                                "b",
                                1,
                                "UUIDs",
                                "as",
                                1,
                                UUID_TTLOCK_SERVICE);
                if (r >= 0)
                        r = sd_bus_call_async(b->bus, NULL, m, NULL, NULL, 0);
                if (r < 0)
                        log_warning_errno(r, "Failed to set the discovery filter on %s: %m", a->path);
                r = sd_bus_call_method_async(
                        b->bus,
                        NULL,
                        BLUEZ_SERVICE,
                        a->path,
                        BLUEZ_ADAPTER,
                        "StartDiscovery",
                        on_start_discovery,
                        NULL,
                        NULL);
        } else
                r = sd_bus_call_method_async(
                        b->bus,
                        NULL,
                        BLUEZ_SERVICE,
                        a->path,
                        BLUEZ_ADAPTER,
                        "StopDiscovery",
                        NULL,
                        NULL,
                        NULL);
        if (r < 0) {
                log_warning_errno(r, "Failed to %s discovery on %s: %m", on ? "start" : "stop", a->path);
                return;
        }
        a->scan_requested = on;
}

static void radio_op_set_scan(Radio *radio, bool on) {
        Adapter *a = radio_backend_data(radio);

        a->scan_on = on;
        adapter_update_scan(a->bluez, a);
}

static void radio_op_set_battery(Radio *radio, const char *address, int percentage) {
        Adapter *a = radio_backend_data(radio);
        int r;

        if (!a->battery)
                return;
        r = bluez_battery_set(a->battery, address, percentage);
        if (r < 0)
                log_debug_errno(r, "%s: cannot offer the battery of %s to BlueZ: %m", a->path, address);
}

static const RadioOps bluez_radio_ops = {
        .connect = radio_op_connect,
        .write = radio_op_write,
        .disconnect = radio_op_disconnect,
        .release = radio_op_release,
        .set_scan = radio_op_set_scan,
        .set_battery = radio_op_set_battery,
};

/* ---- properties -------------------------------------------------------------------------------- */

/* Each property's parser reads the variant it is handed (bus-dict.h); what no table names is skipped. */

static int read_bool(sd_bus_message *m, bool *ret) {
        int b, r;

        r = sd_bus_message_read(m, "v", "b", &b);
        if (r < 0)
                return r;
        *ret = b;
        return 0;
}

static int read_strv(sd_bus_message *m, char ***ret) {
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, ret);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static void strv_free(char **v) {
        for (char **i = v; i && *i; i++)
                free(*i);
        free(v);
}

typedef struct DeviceUpdate {
        Device *device;
        bool mfr_changed;
} DeviceUpdate;

static int device_parse_address(sd_bus_message *m, const char *key, void *userdata) {
        DeviceUpdate *u = userdata;
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        if (bt_address_normalize(s, u->device->address) < 0)
                u->device->address[0] = 0;
        return 0;
}

static int device_parse_name(sd_bus_message *m, const char *key, void *userdata) {
        DeviceUpdate *u = userdata;
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        return strdup_replace(&u->device->name, s) < 0 ? -ENOMEM : 0;
}

static int device_parse_rssi(sd_bus_message *m, const char *key, void *userdata) {
        DeviceUpdate *u = userdata;
        int r;

        r = sd_bus_message_read(m, "v", "n", &u->device->rssi);
        if (r < 0)
                return r;
        u->device->have_rssi = true;
        return 0;
}

static int device_parse_connected(sd_bus_message *m, const char *key, void *userdata) {
        return read_bool(m, &((DeviceUpdate *) userdata)->device->connected);
}

static int device_parse_services_resolved(sd_bus_message *m, const char *key, void *userdata) {
        return read_bool(m, &((DeviceUpdate *) userdata)->device->services_resolved);
}

/* a{qv}: we keep the first entry with an "ay" value, or the V3 key's (doc/protocol.md §1.5). */
static int device_parse_manufacturer_data(sd_bus_message *m, const char *key, void *userdata) {
        DeviceUpdate *u = userdata;
        Device *d = u->device;
        bool found = false;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a{qv}");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{qv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "qv")) > 0) {
                const void *data;
                uint16_t company;
                size_t len;

                r = sd_bus_message_read(m, "q", &company);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', "ay");
                if (r < 0)
                        /* Not a byte array: skip this entry, whatever it is. */
                        r = sd_bus_message_skip(m, "v");
                else {
                        r = sd_bus_message_read_array(m, 'y', &data, &len);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r >= 0 && (!found || company == TTLOCK_MFR_KEY_V3)) {
                                found = true;
                                d->mfr_key = company;
                                d->mfr_len = MIN(len, (size_t) MFR_MAX);
                                memcpy(d->mfr, data, d->mfr_len);
                        }
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        d->have_mfr = found;
        if (found && d->mfr_key == TTLOCK_MFR_KEY_V3)
                d->ttlock = true;
        u->mfr_changed = true;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int device_parse_uuids(sd_bus_message *m, const char *key, void *userdata) {
        DeviceUpdate *u = userdata;
        char **uuids = NULL;
        int r;

        r = read_strv(m, &uuids);
        if (r < 0)
                return r;
        for (char **i = uuids; i && *i; i++)
                if (strcasecmp(*i, UUID_TTLOCK_SERVICE) == 0)
                        u->device->ttlock = true;
        strv_free(uuids);
        return 0;
}

static const BusDictField device_properties[] = {
        { "Address", device_parse_address },
        { "Name", device_parse_name },
        { "RSSI", device_parse_rssi },
        { "Connected", device_parse_connected },
        { "ServicesResolved", device_parse_services_resolved },
        { "ManufacturerData", device_parse_manufacturer_data },
        { "UUIDs", device_parse_uuids },
};

static int adapter_parse_powered(sd_bus_message *m, const char *key, void *userdata) {
        return read_bool(m, &((Adapter *) userdata)->powered);
}

static int adapter_parse_address(sd_bus_message *m, const char *key, void *userdata) {
        Adapter *a = userdata;
        char address[BT_ADDRESS_SIZE];
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        if (bt_address_normalize(s, address) >= 0)
                radio_set_address(a->radio, address);
        return 0;
}

static const BusDictField adapter_properties[] = {
        { "Powered", adapter_parse_powered },
        { "Address", adapter_parse_address },
};

typedef struct CharacteristicInfo {
        char *uuid;
        bool without_response;
} CharacteristicInfo;

static int characteristic_parse_uuid(sd_bus_message *m, const char *key, void *userdata) {
        CharacteristicInfo *c = userdata;
        const char *s;
        int r;

        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        return strdup_replace(&c->uuid, s) < 0 ? -ENOMEM : 0;
}

static int characteristic_parse_flags(sd_bus_message *m, const char *key, void *userdata) {
        CharacteristicInfo *c = userdata;
        bool without = false, with = false;
        char **flags = NULL;
        int r;

        r = read_strv(m, &flags);
        if (r < 0)
                return r;
        for (char **f = flags; f && *f; f++) {
                without = without || streq(*f, "write-without-response");
                with = with || streq(*f, "write");
        }
        strv_free(flags);
        /* doc/protocol.md §1.3: "command" only if the characteristic offers nothing else. */
        c->without_response = without && !with;
        return 0;
}

static const BusDictField characteristic_properties[] = {
        { "UUID", characteristic_parse_uuid },
        { "Flags", characteristic_parse_flags },
};

/* ---- BlueZ's objects --------------------------------------------------------------------------- */

static void device_free(Device *d) {
        free(d->path);
        free(d->name);
        free(d->write_path);
        free(d->notify_path);
        free(d);
}

static void remove_device(Bluez *b, Device *d) {
        hashmap_remove(b->devices, d->path);
        /* The lock hears that the device is gone before its connection ends, so that nothing tries to
         * connect to it again through this radio. */
        if (d->ttlock && d->address[0] && d->adapter)
                radio_device_lost(d->adapter->radio, d->address);
        conn_end(d, -ENOTCONN, "the device went away");
        device_free(d);
}

static void remove_adapter(Bluez *b, Adapter *a) {
        Device *d;

        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(b->devices, &i, (void **) &d, NULL);)
                if (d->adapter == a)
                        remove_device(b, d);
        for (Adapter **p = &b->adapters; *p; p = &(*p)->next)
                if (*p == a) {
                        *p = a->next;
                        break;
                }
        radio_free(a->radio);
        bluez_battery_free(a->battery);
        free(a->path);
        free(a);
}

static int handle_adapter(Bluez *b, const char *path, sd_bus_message *m) {
        Adapter *a = adapter_get(b, path, strlen(path));
        bool was_powered;
        int r;

        if (!a)
                return -ENOMEM;
        was_powered = a->powered;
        r = bus_dict_read(m, adapter_properties, ELEMENTSOF(adapter_properties), a);
        if (r < 0)
                return r;
        if (was_powered != a->powered)
                /* A power cycle forgets discovery sessions: ask again. */
                a->scan_requested = false;
        adapter_update_scan(b, a);
        radio_set_available(a->radio, a->powered);
        return 0;
}

static int handle_device(Bluez *b, const char *path, sd_bus_message *m) {
        DeviceUpdate u = {};
        Device *d = device_find(b, path);
        const char *slash;
        int r;

        if (!d) {
                slash = strrchr(path, '/');
                if (!slash || slash == path)
                        return sd_bus_message_skip(m, "a{sv}");
                if (hashmap_size(b->devices) >= BLUEZ_DEVICES_MAX) {
                        if (!b->warned_full)
                                log_warning(
                                        "Ignoring new BlueZ devices: already %u known.", BLUEZ_DEVICES_MAX);
                        b->warned_full = true;
                        return sd_bus_message_skip(m, "a{sv}");
                }
                d = calloc(1, sizeof(Device));
                if (!d)
                        return -ENOMEM;
                d->path = strdup(path);
                d->adapter = adapter_get(b, path, (size_t) (slash - path));
                if (!d->path || !d->adapter || hashmap_put(b->devices, d->path, d) < 0) {
                        device_free(d);
                        return -ENOMEM;
                }
        }
        u.device = d;
        r = bus_dict_read(m, device_properties, ELEMENTSOF(device_properties), &u);
        if (r < 0)
                return r;
        if (!d->connected)
                /* BlueZ keeps GATT objects after a disconnect (Cache=always); their presence says nothing
                 * about being connected, so connections look at Connected. */
                d->services_resolved = false;
        report_device(b, d, u.mfr_changed);
        conn_device_changed(b, d);
        return 0;
}

static int handle_characteristic(Bluez *b, const char *path, sd_bus_message *m) {
        CharacteristicInfo c = {};
        Device *d;
        int r;

        r = bus_dict_read(m, characteristic_properties, ELEMENTSOF(characteristic_properties), &c);
        d = device_of_object(b, path);
        if (r >= 0 && d && c.uuid) {
                if (strcasecmp(c.uuid, UUID_TTLOCK_WRITE) == 0) {
                        d->write_without_response = c.without_response;
                        r = strdup_replace(&d->write_path, path);
                } else if (strcasecmp(c.uuid, UUID_TTLOCK_NOTIFY) == 0)
                        r = strdup_replace(&d->notify_path, path);
                if (r >= 0)
                        conn_device_changed(b, d);
        }
        free(c.uuid);
        return r < 0 ? r : 0;
}

/* Whether path is an adapter ttlockd may use, or an object below one: /org/bluez/hciN[/…]. */
static bool path_allowed(Bluez *b, const char *path) {
        const char *name = startswith(path, "/org/bluez/") ? path + strlen("/org/bluez/") : NULL;
        size_t n;

        if (!b->allowed || !name)
                return true;
        n = strcspn(name, "/");
        for (char **i = b->allowed; *i; i++)
                if (strlen(*i) == n && strncmp(*i, name, n) == 0)
                        return true;
        return false;
}

static void adapter_offer_batteries(Adapter *a) {
        if (a->battery)
                bluez_battery_register(a->battery, a->battery_manager);
}

/* a{sa{sv}} of one object. */
static int handle_interfaces(Bluez *b, const char *path, sd_bus_message *m) {
        bool adapter = false, battery_manager = false;
        Device *d;
        Adapter *a;
        int r;

        if (!path_allowed(b, path))
                return sd_bus_message_skip(m, "a{sa{sv}}");
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        return r;
                if (b->gatt_pass && !streq(iface, BLUEZ_GATT_CHAR))
                        r = sd_bus_message_skip(m, "a{sv}");
                else if (streq(iface, BLUEZ_ADAPTER)) {
                        adapter = true;
                        r = handle_adapter(b, path, m);
                } else if (streq(iface, BLUEZ_BATTERY_MANAGER)) {
                        battery_manager = true;
                        a = adapter_get(b, path, strlen(path));
                        if (a)
                                a->battery_manager = true;
                        r = sd_bus_message_skip(m, "a{sv}");
                } else if (streq(iface, BLUEZ_BATTERY)) {
                        d = device_find(b, path);
                        if (d)
                                d->battery = true;
                        r = sd_bus_message_skip(m, "a{sv}");
                }
                else if (streq(iface, BLUEZ_DEVICE))
                        r = handle_device(b, path, m);
                else if (streq(iface, BLUEZ_GATT_CHAR))
                        r = handle_characteristic(b, path, m);
                else
                        r = sd_bus_message_skip(m, "a{sv}");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        /* BlueZ offers the battery provider manager next to Adapter1, and only with its experimental
         * features on (README, "Lock batteries in GNOME's power panel"). While its objects are read,
         * the decision waits for the end of the list (on_managed_objects()). */
        if ((adapter || battery_manager) && !b->reading_objects && (a = adapter_find(b, path)))
                adapter_offer_batteries(a);
        return 0;
}

static bool from_bluez(Bluez *b, sd_bus_message *m) {
        return b->owner && streq_ptr(sd_bus_message_get_sender(m), b->owner);
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        const char *path;
        int r;

        if (!from_bluez(b, m))
                return 0;
        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = handle_interfaces(b, path, m);
        if (r < 0)
                log_warning_errno(r, "Ignoring malformed InterfacesAdded from BlueZ: %m");
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        char **ifaces = NULL;
        const char *path;
        Adapter *a;
        Device *d;
        int r;

        if (!from_bluez(b, m))
                return 0;
        r = sd_bus_message_read(m, "o", &path);
        if (r >= 0)
                r = sd_bus_message_read_strv(m, &ifaces);
        if (r < 0) {
                log_warning_errno(r, "Ignoring malformed InterfacesRemoved from BlueZ: %m");
                return 0;
        }
        for (char **i = ifaces; i && *i; i++) {
                if (streq(*i, BLUEZ_ADAPTER) && (a = adapter_find(b, path)))
                        remove_adapter(b, a);
                else if (streq(*i, BLUEZ_DEVICE) && (d = device_find(b, path)))
                        remove_device(b, d);
                else if (streq(*i, BLUEZ_BATTERY) && (d = device_find(b, path)))
                        d->battery = false;
                else if (streq(*i, BLUEZ_BATTERY_MANAGER) && (a = adapter_find(b, path))) {
                        a->battery_manager = false;
                        if (a->battery)
                                bluez_battery_forget_registration(a->battery);
                }
                else if (streq(*i, BLUEZ_GATT_CHAR) && (d = device_of_object(b, path))) {
                        if (streq_ptr(d->write_path, path))
                                d->write_path = mfree(d->write_path);
                        if (streq_ptr(d->notify_path, path))
                                d->notify_path = mfree(d->notify_path);
                }
        }
        strv_free(ifaces);
        return 0;
}

static int value_parse(sd_bus_message *m, const char *key, void *userdata) {
        Device *d = userdata;
        const void *data;
        size_t len;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "ay");
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(m, 'y', &data, &len);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        /* Straight to the connection's user (the link): no forwarder. */
        if (d->conn)
                radio_conn_notification(d->conn, data, len);
        return 0;
}

static const BusDictField characteristic_changes[] = {
        { "Value", value_parse },
};

static int on_value_changed(Bluez *b, const char *path, sd_bus_message *m) {
        Device *d = device_of_object(b, path);

        /* Only the notify characteristic of a device we hold a connection to interests us. */
        if (!d || !d->conn || d->conn_state != CONN_READY || !streq_ptr(d->notify_path, path))
                return 0;
        return bus_dict_read(m, characteristic_changes, ELEMENTSOF(characteristic_changes), d);
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        const char *iface, *path = sd_bus_message_get_path(m);
        Adapter *a;
        Device *d;
        int r;

        if (!from_bluez(b, m) || !path)
                return 0;
        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                goto malformed;
        if (streq(iface, BLUEZ_DEVICE)) {
                d = device_find(b, path);
                r = d ? handle_device(b, path, m) : 0;
        } else if (streq(iface, BLUEZ_ADAPTER)) {
                a = adapter_find(b, path);
                r = a ? handle_adapter(b, path, m) : 0;
        } else if (streq(iface, BLUEZ_GATT_CHAR))
                r = on_value_changed(b, path, m);
        if (r < 0)
                goto malformed;
        return 0;

malformed:
        log_warning_errno(r, "Ignoring malformed PropertiesChanged from BlueZ on %s: %m", path);
        return 0;
}

static void forget_everything(Bluez *b) {
        while (b->adapters)
                remove_adapter(b, b->adapters);
        /* Every device has an adapter (adapter_get()), so none is left; this only frees memory. */
        assert(hashmap_size(b->devices) == 0);
}

static int on_managed_objects(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        size_t n_powered = 0;
        int r;

        b->objects_slot = sd_bus_slot_unref(b->objects_slot);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_warning("Could not read BlueZ's objects: %s", e->message ?: e->name);
                return 0;
        }

        /* a{o…} comes in no defined order (BlueZ walks a hash table), and a characteristic is only kept
         * once its device is known: a second pass picks up those listed before their device. BlueZ does
         * not announce them again, so without it a lock could never become ready to connect. */
        b->reading_objects = true;
        for (int pass = 0; pass < 2; pass++) {
                b->gatt_pass = pass == 1;
                if (pass == 1) {
                        r = sd_bus_message_rewind(reply, true);
                        if (r < 0)
                                goto malformed;
                }
                r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
                if (r < 0)
                        goto malformed;
                while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                        const char *path;

                        r = sd_bus_message_read(reply, "o", &path);
                        if (r >= 0)
                                r = handle_interfaces(b, path, reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto malformed;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto malformed;
        }
        b->gatt_pass = false;
        b->reading_objects = false;

        for (Adapter *a = b->adapters; a; a = a->next) {
                n_powered += a->powered;
                adapter_offer_batteries(a);
        }
        log_info("BlueZ is available with %zu powered adapter(s).", n_powered);
        return 0;

malformed:
        b->gatt_pass = false;
        b->reading_objects = false;
        log_warning_errno(r, "Malformed GetManagedObjects reply from BlueZ: %m");
        return 0;
}

static void read_objects(Bluez *b) {
        b->objects_slot = sd_bus_slot_unref(b->objects_slot);
        (void) sd_bus_call_method_async(
                b->bus,
                &b->objects_slot,
                BLUEZ_SERVICE,
                "/",
                "org.freedesktop.DBus.ObjectManager",
                "GetManagedObjects",
                on_managed_objects,
                b,
                NULL);
}

static void set_owner(Bluez *b, const char *owner) {
        if (isempty(owner))
                owner = NULL;
        if (streq_ptr(b->owner, owner))
                return;
        if (b->owner) {
                log_info("BlueZ left the bus.");
                /* Its registrations went with it: nothing to unregister, and no call that would start
                 * it again by activation. */
                for (Adapter *a = b->adapters; a; a = a->next)
                        if (a->battery)
                                bluez_battery_forget_registration(a->battery);
                b->owner = mfree(b->owner);
                b->objects_slot = sd_bus_slot_unref(b->objects_slot);
                forget_everything(b);
        }
        if (!owner)
                return;
        b->owner = strdup(owner);
        if (!b->owner) {
                log_oom();
                return;
        }
        read_objects(b);
}

static bool strv_same_set(char **a, char **b) {
        size_t n = 0, m = 0;

        if (!a || !b)
                return !a && !b;
        for (char **i = a; *i; i++, n++) {
                bool found = false;

                for (char **j = b; *j && !found; j++)
                        found = streq(*i, *j);
                if (!found)
                        return false;
        }
        for (char **j = b; *j; j++)
                m++;
        return n == m;
}

int bluez_set_adapters(Bluez *b, char *const *allowed) {
        char **copy = NULL;
        size_t n = 0;

        assert(b);
        if (allowed) {
                while (allowed[n])
                        n++;
                copy = calloc(n + 1, sizeof(char *));
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if (!(copy[i] = strdup(allowed[i]))) {
                                strv_free(copy);
                                return -ENOMEM;
                        }
        }
        if (strv_same_set(b->allowed, copy)) {
                strv_free(copy);
                return 0;
        }
        strv_free(b->allowed);
        b->allowed = copy;
        if (!b->owner)
                return 1;
        /* Adapters no longer ours go, and with them their devices; a link held through one is let go
         * at BlueZ too, or the lock would stay taken by a radio nobody uses (it takes one link at a
         * time, doc/protocol.md §1.5). */
        for (Adapter *a = b->adapters, *next; a; a = next) {
                Device *d;

                next = a->next;
                if (path_allowed(b, a->path))
                        continue;
                for (HashmapIter i = HASHMAP_ITER_FIRST;
                     hashmap_iterate(b->devices, &i, (void **) &d, NULL);)
                        if (d->adapter == a && (d->conn || d->connected))
                                device_disconnect(b, d);
                remove_adapter(b, a);
        }
        /* Adapters that are ours now: BlueZ tells of them again (what it tells of the others is what we
         * know already). */
        read_objects(b);
        return 1;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old, *new;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || !streq(name, BLUEZ_SERVICE))
                return 0;
        set_owner(userdata, new);
        return 0;
}

static int on_get_name_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const char *owner;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_info("BlueZ is not running; waiting for it to appear on the bus.");
                return 0;
        }
        if (sd_bus_message_read(reply, "s", &owner) >= 0)
                set_owner(userdata, owner);
        return 0;
}

int bluez_new(sd_bus *bus, RadioSet *radios, Bluez **ret) {
        _cleanup_(bluez_freep) Bluez *b = NULL;
        int r;

        assert(bus);
        assert(radios);
        assert(ret);
        b = calloc(1, sizeof(Bluez));
        if (!b)
                return -ENOMEM;
        b->bus = sd_bus_ref(bus);
        b->radios = radios;
        r = hashmap_new(&b->devices);
        if (r < 0)
                return r;

        r = sd_bus_match_signal_async(
                bus,
                &b->owner_slot,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameOwnerChanged",
                on_name_owner_changed,
                NULL,
                b);
        if (r >= 0)
                r = sd_bus_match_signal_async(
                        bus,
                        &b->added_slot,
                        NULL,
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesAdded",
                        on_interfaces_added,
                        NULL,
                        b);
        if (r >= 0)
                r = sd_bus_match_signal_async(
                        bus,
                        &b->removed_slot,
                        NULL,
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesRemoved",
                        on_interfaces_removed,
                        NULL,
                        b);
        if (r >= 0)
                r = sd_bus_add_match_async(
                        bus,
                        &b->props_slot,
                        "type='signal',interface='org.freedesktop.DBus.Properties',"
                        "member='PropertiesChanged',path_namespace='/org/bluez'",
                        on_properties_changed,
                        NULL,
                        b);
        if (r < 0)
                return r;
        /* The match for NameOwnerChanged is installed before we ask, so no change can slip between. */
        r = sd_bus_call_method_async(
                bus,
                NULL,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "GetNameOwner",
                on_get_name_owner,
                b,
                "s",
                BLUEZ_SERVICE);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

Bluez *bluez_free(Bluez *b) {
        if (!b)
                return NULL;
        sd_bus_slot_unref(b->owner_slot);
        sd_bus_slot_unref(b->added_slot);
        sd_bus_slot_unref(b->removed_slot);
        sd_bus_slot_unref(b->props_slot);
        sd_bus_slot_unref(b->objects_slot);
        forget_everything(b);
        hashmap_free(b->devices);
        strv_free(b->allowed);
        free(b->owner);
        sd_bus_unref(b->bus);
        free(b);
        return NULL;
}

bool bluez_available(const Bluez *b) {
        assert(b);

        return b->owner;
}
