/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.bluez.Device1 for each simulated lock, under /org/bluez/hci0 as a fallback vtable with a node
 * enumerator, so that a thousand locks cost no per-object registration (logind's pattern for
 * sessions). Device1 exists only once discovery saw the lock (BlueZ 5.66 device-api.txt); the
 * org.ttlock.Sim1 control interface on the same path exists from the start, so a test can wake a
 * lock that is not advertising yet. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "advert.h"
#include "bluez.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "radio.h"
#include "sim-util.h"

#define DEV_PREFIX SIM_ADAPTER_PATH "/dev_"

void bluez_device_path(const uint8_t address[6], char out[SIM_DEVICE_PATH_MAX]) {
        (void) snprintf(
                out,
                SIM_DEVICE_PATH_MAX,
                DEV_PREFIX "%02X_%02X_%02X_%02X_%02X_%02X",
                address[0],
                address[1],
                address[2],
                address[3],
                address[4],
                address[5]);
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1; /* BlueZ paths use upper case only */
}

SimLock *bluez_lookup_path(Sim *s, const char *path, int *ret_object) {
        uint8_t a[6];
        const char *p;
        SimLock *l;

        if (strncmp(path, DEV_PREFIX, strlen(DEV_PREFIX)) != 0)
                return NULL;
        p = path + strlen(DEV_PREFIX);
        for (size_t i = 0; i < 6; i++) {
                int hi = hexval(p[0]), lo = hexval(p[1]);
                if (hi < 0 || lo < 0)
                        return NULL;
                a[i] = (uint8_t) (hi << 4 | lo);
                p += 2;
                if (i < 5) {
                        if (*p != '_')
                                return NULL;
                        p++;
                }
        }
        l = sim_find_lock(s, a);
        if (!l)
                return NULL;
        if (*p == 0) {
                *ret_object = -1;
                return l;
        }
        if (*p != '/')
                return NULL;
        p++;
        for (int o = 0; o < _GATT_OBJECT_MAX; o++)
                if (streq(p, bluez_gatt_suffix(o))) {
                        *ret_object = o;
                        return l;
                }
        return NULL;
}

size_t bluez_device_advert(SimLock *l, uint8_t *out, size_t size) {
        TTAdvert a = {
                .protocol_type = 5,
                .protocol_version = 3,
                .scene = 2,
                .flags = radio_advert_flags(l),
                .battery = l->battery,
        };
        TTWriter w = TT_WRITER(out, size);
        size_t n = 0;

        memcpy(a.address, l->address, 6);
        ttlock_advert_build(&w, &a);
        if (tt_writer_finish(&w, &n, NULL) < 0)
                return 0;
        return n;
}

void bluez_device_emit(SimLock *l, const char *property) {
        if (l->visible)
                (void) sd_bus_emit_properties_changed(
                        l->sim->bus, l->path, "org.bluez.Device1", property, NULL);
}

void bluez_device_set_rssi_known(SimLock *l, bool known) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        if (l->rssi_known == known)
                return;
        l->rssi_known = known;
        if (!l->visible)
                return;
        if (known) {
                bluez_device_emit(l, "RSSI");
                return;
        }
        /* BlueZ (adapter.c, invalidate_rssi_and_tx_power) sets the RSSI to 0, which makes the
         * property stop existing; gdbus then lists it among the invalidated properties. sd-bus
         * cannot say that of a property that has a value, so the signal is built here. */
        if (sd_bus_message_new_signal(
                    l->sim->bus, &m, l->path, "org.freedesktop.DBus.Properties", "PropertiesChanged") < 0 ||
            sd_bus_message_append(m, "sa{sv}as", "org.bluez.Device1", 0, 1, "RSSI") < 0)
                return;
        (void) sd_bus_send(l->sim->bus, m, NULL);
}

void bluez_device_show(SimLock *l) {
        if (l->visible)
                return;
        l->visible = true;
        /* Shown because discovery just saw it: it has an RSSI from the start. */
        l->rssi_known = true;
        (void) sd_bus_emit_interfaces_added(l->sim->bus, l->path, "org.bluez.Device1", NULL);
}

void bluez_device_hide(SimLock *l) {
        if (!l->visible)
                return;
        bluez_gatt_hide(l);
        l->visible = false;
        l->last_advert_len = 0;
        (void) sd_bus_emit_interfaces_removed(l->sim->bus, l->path, "org.bluez.Device1", NULL);
}

static void connect_finish(SimLock *l, const char *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = TAKE_PTR(l->connect_call);

        l->connect_timer = sd_event_source_disable_unref(l->connect_timer);
        if (!call)
                return;
        if (error)
                (void) sd_bus_reply_method_errorf(call, BLUEZ_ERROR_FAILED, "%s", error);
        else
                (void) sd_bus_reply_method_return(call, NULL);
}

void bluez_device_disconnect(SimLock *l, const char *why) {
        if (l->conn == SIM_DISCONNECTED)
                return;
        if (l->conn == SIM_CONNECTING) {
                l->conn = SIM_DISCONNECTED;
                connect_finish(l, "le-connection-abort-by-local");
                return;
        }
        log_debug("%s: disconnected (%s).", l->address_str, why);
        l->conn = SIM_DISCONNECTED;
        lock_disconnected(l);
        bluez_gatt_reset(l);
        bluez_device_emit(l, "ServicesResolved");
        bluez_device_emit(l, "Connected");
        radio_update(l);
}

static int connect_done(sd_event_source *es, uint64_t usec, void *userdata) {
        SimLock *l = userdata;

        if (l->conn != SIM_CONNECTING)
                return 0;
        /* Decided when the link would be up: a lock that went dormant or began a connection
         * meanwhile does not answer (doc/protocol.md §9.2). */
        if (l->refuse_pending || !radio_connectable(l)) {
                l->refuse_pending = false;
                l->conn = SIM_DISCONNECTED;
                connect_finish(l, "le-connection-abort-by-local");
                return 0;
        }
        l->conn = SIM_CONNECTED;
        lock_connected(l);
        radio_activity(l);
        bluez_device_emit(l, "Connected");
        bluez_gatt_show(l);
        bluez_device_emit(l, "UUIDs");
        bluez_device_emit(l, "ServicesResolved");
        connect_finish(l, NULL);
        radio_update(l);
        return 0;
}

static int method_connect(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        uint64_t delay;
        int r;

        if (!l->sim->powered)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_READY, "Resource Not Ready");
        if (l->conn == SIM_CONNECTED)
                return sd_bus_reply_method_return(m, NULL); /* BlueZ: already connected is success */
        if (l->conn == SIM_CONNECTING)
                return sd_bus_error_set(error, BLUEZ_ERROR_IN_PROGRESS, "In Progress");

        /* A refused connection is not an immediate error: the controller keeps trying until its
         * timeout, then BlueZ reports the abort (the reason in the message, as 5.66 does). */
        if (l->faults[SIM_FAULT_REFUSE_CONNECT] > 0) {
                l->faults[SIM_FAULT_REFUSE_CONNECT]--;
                delay = l->sim->timing.connect_fail_usec;
                l->refuse_pending = true;
        } else if (!radio_connectable(l))
                delay = l->sim->timing.connect_fail_usec;
        else
                delay = l->sim->timing.connect_usec;

        r = sd_event_add_time_relative(
                l->sim->event, &l->connect_timer, CLOCK_MONOTONIC, delay, 1, connect_done, l);
        if (r < 0)
                return r;
        l->connect_call = sd_bus_message_ref(m);
        l->conn = SIM_CONNECTING;
        return 1;
}

static int method_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;

        if (l->conn == SIM_DISCONNECTED)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_CONNECTED, "Not Connected");
        bluez_device_disconnect(l, "by the client");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_pair(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* TTLock locks do not bond; SMP pairing is refused by the lock. */
        return sd_bus_error_set(error, "org.bluez.Error.AuthenticationFailed", "Authentication Failed");
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

        if (streq(property, "Address"))
                return sd_bus_message_append(reply, "s", l->address_str);
        if (streq(property, "AddressType"))
                return sd_bus_message_append(reply, "s", "public");
        if (streq(property, "Name") || streq(property, "Alias"))
                return sd_bus_message_append(reply, "s", l->name);
        if (streq(property, "Adapter"))
                return sd_bus_message_append(reply, "o", SIM_ADAPTER_PATH);
        if (streq(property, "Connected"))
                return sd_bus_message_append(reply, "b", l->conn == SIM_CONNECTED);
        if (streq(property, "ServicesResolved"))
                return sd_bus_message_append(reply, "b", l->conn == SIM_CONNECTED && l->gatt_exported);
        if (streq(property, "UUIDs")) {
                if (l->gatt_exported)
                        return sd_bus_message_append(
                                reply,
                                "as",
                                4,
                                "00001800-0000-1000-8000-00805f9b34fb",
                                "00001801-0000-1000-8000-00805f9b34fb",
                                "0000180a-0000-1000-8000-00805f9b34fb",
                                SIM_TTLOCK_SERVICE_UUID);
                return sd_bus_message_append(reply, "as", 1, SIM_TTLOCK_SERVICE_UUID);
        }
        if (streq(property, "ManufacturerData")) {
                int r;

                /* BlueZ reports the first two bytes as the company id key (0x0305 = 773 for V3,
                 * doc/protocol.md §1.5), the rest as the value. */
                r = sd_bus_message_open_container(reply, 'a', "{qv}");
                if (r < 0)
                        return r;
                if (l->last_advert_len >= 2) {
                        r = sd_bus_message_open_container(reply, 'e', "qv");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append(
                                reply, "q", (uint16_t) (l->last_advert[0] | l->last_advert[1] << 8));
                        if (r < 0)
                                return r;
                        r = sd_bus_message_open_container(reply, 'v', "ay");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append_array(
                                reply, 'y', l->last_advert + 2, l->last_advert_len - 2);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_close_container(reply);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(reply);
        }
        /* Paired, Bonded, Trusted, Blocked, LegacyPairing: TTLock locks never bond. */
        return sd_bus_message_append(reply, "b", false);
}

static const sd_bus_vtable device1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AddressType", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Alias", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Paired", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Trusted", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Blocked", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LegacyPairing", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Connected", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UUIDs", "as", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Adapter", "o", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ManufacturerData", "a{qv}", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ServicesResolved", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Connect", "", "", method_connect, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Disconnect", "", "", method_disconnect, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pair", "", "", method_pair, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int rssi_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;

        return sd_bus_message_append(reply, "n", l->rssi);
}

/* RSSI lives in a vtable of its own, found only while the lock has one (bluez_device_set_rssi_known),
 * so that it is absent from GetAll and InterfacesAdded the way BlueZ leaves it out. */
static const sd_bus_vtable device1_rssi_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("RSSI", "n", rssi_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static int find_device(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        Sim *s = userdata;
        SimLock *l;
        int object;

        l = bluez_lookup_path(s, path, &object);
        if (!l || object >= 0 || !l->visible)
                return 0;
        *ret_found = l;
        return 1;
}

static int find_device_rssi(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimLock *l;
        int r;

        r = find_device(bus, path, interface, userdata, (void **) &l, error);
        if (r <= 0 || !l->rssi_known)
                return 0;
        *ret_found = l;
        return 1;
}

static int
enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        Sim *s = userdata;
        char **nodes;
        size_t n = 0, max = 0;

        for (size_t i = 0; i < s->n_locks; i++)
                max += 1 + (s->locks[i]->gatt_exported ? _GATT_OBJECT_MAX : 0);
        nodes = new0(char *, max + 1);
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_locks; i++) {
                SimLock *l = s->locks[i];

                nodes[n] = strdup(l->path);
                if (!nodes[n])
                        goto oom;
                n++;
                if (!l->gatt_exported)
                        continue;
                for (int o = 0; o < _GATT_OBJECT_MAX; o++) {
                        if (asprintf(&nodes[n], "%s/%s", l->path, bluez_gatt_suffix(o)) < 0) {
                                nodes[n] = NULL;
                                goto oom;
                        }
                        n++;
                }
        }
        *ret_nodes = nodes;
        return 0;
oom:
        for (size_t i = 0; i < n; i++)
                free(nodes[i]);
        free(nodes);
        return -ENOMEM;
}

int bluez_device_register(Sim *s) {
        int r;

        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_ADAPTER_PATH, "org.bluez.Device1", device1_vtable, find_device, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Device1: %m");
        r = sd_bus_add_fallback_vtable(
                s->bus,
                NULL,
                SIM_ADAPTER_PATH,
                "org.bluez.Device1",
                device1_rssi_vtable,
                find_device_rssi,
                s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Device1's RSSI: %m");
        r = sd_bus_add_node_enumerator(s->bus, NULL, SIM_ADAPTER_PATH, enumerate, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the device enumerator: %m");
        return 0;
}
