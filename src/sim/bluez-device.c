/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.bluez.Device1 for each simulated lock under each adapter that saw it (BlueZ keeps one device
 * object per adapter), as a fallback vtable with a node enumerator under /org/bluez, so that a
 * thousand locks cost no per-object registration (logind's pattern for sessions). Device1 exists only
 * once that adapter's discovery saw the lock (BlueZ 5.66 device-api.txt); the org.ttlock.Sim1 control
 * interface on hci0's path exists from the start, so a test can wake a lock that is not advertising
 * yet. The lock takes one link at a time: Connected is true under the adapter that holds it. */

#include <assert.h>
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

void bluez_device_path(unsigned adapter, const uint8_t address[6], char out[SIM_DEVICE_PATH_MAX]) {
        (void) snprintf(
                out,
                SIM_DEVICE_PATH_MAX,
                SIM_BLUEZ_PATH "/hci%u/dev_%02X_%02X_%02X_%02X_%02X_%02X",
                adapter,
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

SimLock *bluez_lookup_path(Sim *s, const char *path, SimAdapter **ret_adapter, int *ret_object) {
        SimAdapter *adapter = bluez_adapter_of_path(s, path);
        uint8_t a[6];
        const char *p;
        SimLock *l;

        if (!adapter)
                return NULL;
        p = path + strlen(adapter->path);
        if (strncmp(p, "/dev_", 5) != 0)
                return NULL;
        p += 5;
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
                if (ret_adapter)
                        *ret_adapter = adapter;
                return l;
        }
        if (*p != '/')
                return NULL;
        p++;
        for (int o = 0; o < _GATT_OBJECT_MAX; o++)
                if (streq(p, bluez_gatt_suffix(o))) {
                        *ret_object = o;
                        if (ret_adapter)
                                *ret_adapter = adapter;
                        return l;
                }
        return NULL;
}

bool bluez_device_linked(const SimLock *l, const SimAdapter *a) {
        return l->conn != SIM_DISCONNECTED && !l->link_proxy && l->link_adapter == a->index;
}

/* The adapter a method call or property read is about: its path says it. */
static SimAdapter *adapter_of(SimLock *l, const char *path) {
        SimAdapter *a = bluez_adapter_of_path(l->sim, path);

        assert(a); /* the find functions matched the path */
        return a;
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

void bluez_device_emit(SimLock *l, SimAdapter *a, const char *property) {
        SimBluezView *v = &l->view[a->index];

        if (v->visible)
                (void) sd_bus_emit_properties_changed(
                        l->sim->bus, v->path, "org.bluez.Device1", property, NULL);
}

void bluez_device_set_rssi_known(SimLock *l, SimAdapter *a, bool known) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        SimBluezView *v = &l->view[a->index];

        if (v->rssi_known == known)
                return;
        v->rssi_known = known;
        if (!v->visible)
                return;
        if (known) {
                bluez_device_emit(l, a, "RSSI");
                return;
        }
        /* BlueZ (adapter.c, invalidate_rssi_and_tx_power) sets the RSSI to 0, which makes the
         * property stop existing; gdbus then lists it among the invalidated properties. sd-bus
         * cannot say that of a property that has a value, so the signal is built here. */
        if (sd_bus_message_new_signal(
                    l->sim->bus, &m, v->path, "org.freedesktop.DBus.Properties", "PropertiesChanged") < 0 ||
            sd_bus_message_append(m, "sa{sv}as", "org.bluez.Device1", 0, 1, "RSSI") < 0)
                return;
        (void) sd_bus_send(l->sim->bus, m, NULL);
}

void bluez_device_show(SimLock *l, SimAdapter *a) {
        SimBluezView *v = &l->view[a->index];

        if (v->visible)
                return;
        v->visible = true;
        /* Shown because discovery just saw it: it has an RSSI from the start. */
        v->rssi_known = true;
        (void) sd_bus_emit_interfaces_added(l->sim->bus, v->path, "org.bluez.Device1", NULL);
}

void bluez_device_hide(SimLock *l, SimAdapter *a) {
        SimBluezView *v = &l->view[a->index];

        if (!v->visible)
                return;
        bluez_gatt_hide(l, a);
        v->visible = false;
        v->last_advert_len = 0;
        (void) sd_bus_emit_interfaces_removed(l->sim->bus, v->path, "org.bluez.Device1", NULL);
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
        SimAdapter *a;

        if (l->conn == SIM_DISCONNECTED || l->link_proxy)
                return;
        a = &l->sim->adapters[l->link_adapter];
        if (l->conn == SIM_CONNECTING) {
                l->conn = SIM_DISCONNECTED;
                connect_finish(l, "le-connection-abort-by-local");
                return;
        }
        log_debug("%s: disconnected (%s).", l->address_str, why);
        l->conn = SIM_DISCONNECTED;
        lock_disconnected(l);
        bluez_gatt_reset(l);
        bluez_device_emit(l, a, "ServicesResolved");
        bluez_device_emit(l, a, "Connected");
        radio_update(l);
}

static int connect_done(sd_event_source *es, uint64_t usec, void *userdata) {
        SimLock *l = userdata;
        SimAdapter *a;

        if (l->conn != SIM_CONNECTING || l->link_proxy)
                return 0;
        a = &l->sim->adapters[l->link_adapter];
        /* Decided when the link would be up: a lock that went dormant or began a connection
         * meanwhile does not answer (doc/protocol.md §9.2). */
        if (l->refuse_pending || !radio_connectable(l) || l->view[a->index].rssi == SIM_RSSI_UNHEARD) {
                l->refuse_pending = false;
                l->conn = SIM_DISCONNECTED;
                connect_finish(l, "le-connection-abort-by-local");
                return 0;
        }
        l->conn = SIM_CONNECTED;
        lock_connected(l);
        l->links_adapter[a->index]++;
        sim_lock_changed(l, "Links");
        radio_activity(l);
        bluez_device_emit(l, a, "Connected");
        bluez_gatt_show(l, a);
        bluez_device_emit(l, a, "UUIDs");
        bluez_device_emit(l, a, "ServicesResolved");
        connect_finish(l, NULL);
        radio_update(l);
        return 0;
}

static int method_connect(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        SimAdapter *a = adapter_of(l, sd_bus_message_get_path(m));
        uint64_t delay;
        int r;

        if (!a->powered)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_READY, "Resource Not Ready");
        if (l->conn != SIM_DISCONNECTED && !bluez_device_linked(l, a))
                /* The lock takes one central at a time: another radio holds it. */
                return sd_bus_error_set(error, BLUEZ_ERROR_FAILED, "le-connection-abort-by-local");
        if (l->conn == SIM_CONNECTED)
                return sd_bus_reply_method_return(m, NULL); /* BlueZ: already connected is success */
        if (l->conn == SIM_CONNECTING)
                return sd_bus_error_set(error, BLUEZ_ERROR_IN_PROGRESS, "In Progress");

        l->connect_attempts++;
        sim_lock_changed(l, "ConnectAttempts");
        /* A refused connection is not an immediate error: the controller keeps trying until its
         * timeout, then BlueZ reports the abort (the reason in the message, as 5.66 does). */
        if (l->faults[SIM_FAULT_REFUSE_CONNECT] > 0) {
                l->faults[SIM_FAULT_REFUSE_CONNECT]--;
                sim_lock_changed(l, "Faults");
                delay = l->sim->timing.connect_fail_usec;
                l->refuse_pending = true;
        } else if (!radio_connectable(l) || l->view[a->index].rssi == SIM_RSSI_UNHEARD)
                delay = l->sim->timing.connect_fail_usec;
        else
                delay = l->sim->timing.connect_usec;

        r = sd_event_add_time_relative(
                l->sim->event, &l->connect_timer, CLOCK_MONOTONIC, delay, 1, connect_done, l);
        if (r < 0)
                return r;
        l->connect_call = sd_bus_message_ref(m);
        l->conn = SIM_CONNECTING;
        l->link_adapter = a->index;
        return 1;
}

static int method_disconnect(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        SimAdapter *a = adapter_of(l, sd_bus_message_get_path(m));

        if (!bluez_device_linked(l, a))
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
        SimAdapter *a = adapter_of(l, path);
        SimBluezView *v = &l->view[a->index];

        if (streq(property, "Address"))
                return sd_bus_message_append(reply, "s", l->address_str);
        if (streq(property, "AddressType"))
                return sd_bus_message_append(reply, "s", "public");
        if (streq(property, "Name") || streq(property, "Alias"))
                return sd_bus_message_append(reply, "s", l->name);
        if (streq(property, "Adapter"))
                return sd_bus_message_append(reply, "o", a->path);
        if (streq(property, "Connected"))
                return sd_bus_message_append(
                        reply, "b", l->conn == SIM_CONNECTED && bluez_device_linked(l, a));
        if (streq(property, "ServicesResolved"))
                return sd_bus_message_append(
                        reply,
                        "b",
                        l->conn == SIM_CONNECTED && bluez_device_linked(l, a) && v->gatt_exported);
        if (streq(property, "UUIDs")) {
                if (v->gatt_exported)
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
                if (v->last_advert_len >= 2) {
                        r = sd_bus_message_open_container(reply, 'e', "qv");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append(
                                reply, "q", (uint16_t) (v->last_advert[0] | v->last_advert[1] << 8));
                        if (r < 0)
                                return r;
                        r = sd_bus_message_open_container(reply, 'v', "ay");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_append_array(
                                reply, 'y', v->last_advert + 2, v->last_advert_len - 2);
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

        return sd_bus_message_append(reply, "n", l->view[adapter_of(l, path)->index].rssi);
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
        SimAdapter *a = NULL;
        SimLock *l;
        int object;

        l = bluez_lookup_path(s, path, &a, &object);
        if (!l || object >= 0 || !l->view[a->index].visible)
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
        if (r <= 0 || !l->view[bluez_adapter_of_path(userdata, path)->index].rssi_known)
                return 0;
        *ret_found = l;
        return 1;
}

/* Every adapter, and under each the devices it shows and their GATT objects. */
static int
enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        Sim *s = userdata;
        char **nodes;
        size_t n = 0, max = s->n_adapters;

        for (unsigned a = 0; a < s->n_adapters; a++)
                for (size_t i = 0; i < s->n_locks; i++)
                        max += 1 + (s->locks[i]->view[a].gatt_exported ? _GATT_OBJECT_MAX : 0);
        nodes = new0(char *, max + 1);
        if (!nodes)
                return -ENOMEM;
        for (unsigned a = 0; a < s->n_adapters; a++) {
                nodes[n] = strdup(s->adapters[a].path);
                if (!nodes[n])
                        goto oom;
                n++;
                for (size_t i = 0; i < s->n_locks; i++) {
                        SimBluezView *v = &s->locks[i]->view[a];

                        /* Sim1 is on hci0's device paths from the start; Device1 once seen. */
                        if (!v->visible && a > 0)
                                continue;
                        nodes[n] = strdup(v->path);
                        if (!nodes[n])
                                goto oom;
                        n++;
                        if (!v->gatt_exported)
                                continue;
                        for (int o = 0; o < _GATT_OBJECT_MAX; o++) {
                                if (asprintf(&nodes[n], "%s/%s", v->path, bluez_gatt_suffix(o)) < 0) {
                                        nodes[n] = NULL;
                                        goto oom;
                                }
                                n++;
                        }
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
                s->bus, NULL, SIM_BLUEZ_PATH, "org.bluez.Device1", device1_vtable, find_device, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Device1: %m");
        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, "org.bluez.Device1", device1_rssi_vtable, find_device_rssi, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Device1's RSSI: %m");
        r = sd_bus_add_node_enumerator(s->bus, NULL, SIM_BLUEZ_PATH, enumerate, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add the device enumerator: %m");
        return 0;
}
