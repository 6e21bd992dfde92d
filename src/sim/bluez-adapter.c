/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.bluez.Adapter1 at /org/bluez/hci0 (and hci1 … with --adapters) and the ObjectManager at /, as
 * BlueZ 5.66 behaves: discovery is counted per client and adapter (each sender may start one
 * discovery on each; a client leaving the bus stops its discoveries), each client has its own
 * discovery filter, and an adapter scans while at least one client discovers on it. Devices are
 * exported under an adapter the first time its scan sees them, with the RSSI that adapter hears
 * (Sim1.SetRadioRssi), and removed TemporaryTimeout after its discovery stops unless connected
 * through it (BlueZ main.conf, default 30 s). */

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bluez.h"
#include "bus-dict.h"
#include "log.h"
#include "macro.h"
#include "radio.h"
#include "sim-util.h"

#define SIM_ADAPTER_ADDRESS_FORMAT "00:1A:7D:DA:71:%02X" /* hci0 is …:13, hci1 …:14, … */
#define ADVERT_TICKS 10 /* the advert interval is spread over this many ticks to avoid bursts */

static SimDiscoveryClient *client_find(SimAdapter *s, const char *sender) {
        for (size_t i = 0; i < s->n_clients; i++)
                if (strcmp(s->clients[i].sender, sender) == 0)
                        return &s->clients[i];
        return NULL;
}

static SimDiscoveryClient *client_get(SimAdapter *s, const char *sender) {
        SimDiscoveryClient *c, *n;

        c = client_find(s, sender);
        if (c)
                return c;
        n = reallocarray(s->clients, s->n_clients + 1, sizeof(SimDiscoveryClient));
        if (!n)
                return NULL;
        s->clients = n;
        c = &s->clients[s->n_clients];
        *c = (SimDiscoveryClient){ .rssi = INT16_MIN, .duplicate_data = true };
        strcpy(c->transport, "auto");
        c->sender = strdup(sender);
        if (!c->sender)
                return NULL;
        s->n_clients++;
        return c;
}

static void client_clear_filter(SimDiscoveryClient *c) {
        for (char **u = c->uuids; u && *u; u++)
                free(*u);
        c->uuids = mfree(c->uuids);
        c->has_filter = false;
        c->duplicate_data = true;
        c->rssi = INT16_MIN;
        strcpy(c->transport, "auto");
}

static void client_remove(SimAdapter *s, SimDiscoveryClient *c) {
        size_t i = c - s->clients;

        client_clear_filter(c);
        free(c->sender);
        memmove(&s->clients[i], &s->clients[i + 1], (s->n_clients - i - 1) * sizeof(SimDiscoveryClient));
        s->n_clients--;
}

/* Does this client's discovery see a TTLock advertisement (LE, service 0x1910, this RSSI)? */
static bool client_accepts(const SimDiscoveryClient *c, int16_t rssi) {
        if (!c->discovering)
                return false;
        if (strcmp(c->transport, "bredr") == 0)
                return false;
        if (c->rssi != INT16_MIN && rssi < c->rssi)
                return false;
        if (c->uuids && c->uuids[0]) {
                bool found = false;
                for (char **u = c->uuids; *u; u++)
                        if (strcmp(*u, SIM_TTLOCK_SERVICE_UUID) == 0)
                                found = true;
                if (!found)
                        return false;
        }
        return true;
}

static int advert_tick(sd_event_source *es, uint64_t usec, void *userdata);
static int temporary_expired(sd_event_source *es, uint64_t usec, void *userdata);

static void discovery_update(SimAdapter *s) {
        Sim *sim = s->sim;
        bool discovering = false;
        int r;

        for (size_t i = 0; i < s->n_clients; i++)
                if (s->clients[i].discovering)
                        discovering = true;
        if (!s->powered)
                discovering = false;

        if (discovering == s->discovering)
                return;
        s->discovering = discovering;
        (void) sd_bus_emit_properties_changed(sim->bus, s->path, "org.bluez.Adapter1", "Discovering", NULL);

        if (discovering) {
                s->temporary_timer = sd_event_source_disable_unref(s->temporary_timer);
                if (!s->advert_timer) {
                        r = sd_event_add_time_relative(
                                sim->event, &s->advert_timer, CLOCK_MONOTONIC, 0, 1000, advert_tick, s);
                        if (r < 0)
                                log_error_errno(r, "Failed to start the advertisement timer: %m");
                }
        } else {
                s->advert_timer = sd_event_source_disable_unref(s->advert_timer);
                /* BlueZ 5.66 invalidates the RSSI of what this discovery found when it ends. */
                for (size_t i = 0; i < sim->n_locks; i++)
                        bluez_device_set_rssi_known(sim->locks[i], s, false);
                if (sim->timing.temporary_timeout_usec > 0 && !s->temporary_timer) {
                        r = sd_event_add_time_relative(
                                sim->event,
                                &s->temporary_timer,
                                CLOCK_MONOTONIC,
                                sim->timing.temporary_timeout_usec,
                                0,
                                temporary_expired,
                                s);
                        if (r < 0)
                                log_error_errno(r, "Failed to start the temporary-device timer: %m");
                }
        }
}

/* Scanning saw l: export it, or refresh ManufacturerData/RSSI in place. BlueZ emits
 * PropertiesChanged for every report when a discovering client asked for DuplicateData, and only
 * on a change otherwise (device.c, device_set_manufacturer_data). */
void bluez_adapter_refresh_lock(SimAdapter *s, SimLock *l) {
        SimBluezView *v = &l->view[s->index];
        uint8_t adv[32];
        size_t n;
        bool seen = false, duplicate = false, changed;

        if (!s->discovering || !radio_advertising(l) || v->rssi == SIM_RSSI_UNHEARD)
                return;
        for (size_t i = 0; i < s->n_clients; i++)
                if (client_accepts(&s->clients[i], v->rssi)) {
                        seen = true;
                        duplicate = duplicate || s->clients[i].duplicate_data;
                }
        if (!seen)
                return;

        n = bluez_device_advert(l, adv, sizeof(adv));
        changed = n != v->last_advert_len || memcmp(adv, v->last_advert, n) != 0;
        memcpy(v->last_advert, adv, n);
        v->last_advert_len = n;
        v->seen_usec = sim_now(s->sim);

        if (!v->visible) {
                bluez_device_show(l, s);
                return;
        }
        bluez_device_set_rssi_known(l, s, true);
        if (changed || duplicate)
                bluez_device_emit(l, s, "ManufacturerData");
}

static int advert_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        SimAdapter *s = userdata;
        Sim *sim = s->sim;
        uint64_t step = MAX(sim->timing.advert_interval_usec / ADVERT_TICKS, 1000u);

        /* Each lock advertises once per interval; lock i in phase i % ADVERT_TICKS. */
        for (size_t i = s->advert_phase; i < sim->n_locks; i += ADVERT_TICKS)
                bluez_adapter_refresh_lock(s, sim->locks[i]);
        s->advert_phase = (s->advert_phase + 1) % ADVERT_TICKS;

        (void) sd_event_source_set_time(es, usec + step);
        (void) sd_event_source_set_enabled(es, SD_EVENT_ON);
        return 0;
}

static int temporary_expired(sd_event_source *es, uint64_t usec, void *userdata) {
        SimAdapter *s = userdata;

        s->temporary_timer = sd_event_source_disable_unref(s->temporary_timer);
        for (size_t i = 0; i < s->sim->n_locks; i++) {
                SimLock *l = s->sim->locks[i];
                if (l->view[s->index].visible && !bluez_device_linked(l, s))
                        bluez_device_hide(l, s);
        }
        return 0;
}

static int method_start_discovery(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimAdapter *s = userdata;
        SimDiscoveryClient *c;

        if (!s->powered)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_READY, "Resource Not Ready");
        c = client_get(s, sd_bus_message_get_sender(m));
        if (!c)
                return -ENOMEM;
        if (c->discovering)
                return sd_bus_error_set(error, BLUEZ_ERROR_IN_PROGRESS, "Operation already in progress");
        c->discovering = true;
        discovery_update(s);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_stop_discovery(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimAdapter *s = userdata;
        SimDiscoveryClient *c;

        if (!s->powered)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_READY, "Resource Not Ready");
        c = client_find(s, sd_bus_message_get_sender(m));
        if (!c || !c->discovering)
                return sd_bus_error_set(error, BLUEZ_ERROR_FAILED, "No discovery started");
        c->discovering = false;
        if (!c->has_filter)
                client_remove(s, c);
        discovery_update(s);
        return sd_bus_reply_method_return(m, NULL);
}

static int uuid_normalize(const char *in, char **ret) {
        char buf[64];
        size_t n = strlen(in);

        /* 16-bit ("1910"), 32-bit and 128-bit forms, as BlueZ's bt_string_to_uuid accepts them. */
        if (n == 4 || n == 8) {
                if (strspn(in, "0123456789abcdefABCDEF") != n)
                        return -EINVAL;
                (void) snprintf(
                        buf, sizeof(buf), "%s%s-0000-1000-8000-00805f9b34fb", n == 4 ? "0000" : "", in);
        } else if (n == 36) {
                strcpy(buf, in);
        } else
                return -EINVAL;
        for (char *p = buf; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

typedef struct FilterRequest {
        SimDiscoveryClient f;
        size_t n_uuids;
} FilterRequest;

/* Every parse error is InvalidArguments to the caller (but -ENOMEM), as BlueZ answers a filter it
 * cannot read. */
static int filter_transport(sd_bus_message *m, const char *key, void *userdata) {
        FilterRequest *q = userdata;
        const char *t;
        int r;

        r = bus_dict_read_basic(m, 's', &t);
        if (r <= 0)
                return -EINVAL;
        if (!streq(t, "auto") && !streq(t, "le") && !streq(t, "bredr"))
                return -EINVAL;
        strcpy(q->f.transport, t);
        return 0;
}

static int filter_duplicate_data(sd_bus_message *m, const char *key, void *userdata) {
        FilterRequest *q = userdata;
        int b;

        if (bus_dict_read_basic(m, 'b', &b) <= 0)
                return -EINVAL;
        q->f.duplicate_data = b;
        return 0;
}

static int filter_rssi(sd_bus_message *m, const char *key, void *userdata) {
        FilterRequest *q = userdata;

        return bus_dict_read_basic(m, 'n', &q->f.rssi) > 0 ? 0 : -EINVAL;
}

static int filter_uuids(sd_bus_message *m, const char *key, void *userdata) {
        FilterRequest *q = userdata;
        const char *u;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return -EINVAL;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return -EINVAL;
        while ((r = sd_bus_message_read(m, "s", &u)) > 0) {
                char **nu = reallocarray(q->f.uuids, q->n_uuids + 2, sizeof(char *));
                if (!nu)
                        return -ENOMEM;
                q->f.uuids = nu;
                q->f.uuids[q->n_uuids + 1] = NULL;
                if (uuid_normalize(u, &q->f.uuids[q->n_uuids]) < 0)
                        return -EINVAL;
                q->n_uuids++;
        }
        if (r < 0 || sd_bus_message_exit_container(m) < 0 || sd_bus_message_exit_container(m) < 0)
                return -EINVAL;
        return 0;
}

static int filter_unknown(sd_bus_message *m, const char *key, void *userdata) {
        return -EINVAL;
}

static int method_set_discovery_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        static const BusDictField fields[] = {
                { "Transport", filter_transport },
                { "DuplicateData", filter_duplicate_data },
                { "RSSI", filter_rssi },
                { "UUIDs", filter_uuids },
                /* Accepted and without effect here: the simulated locks report no Tx power, are not
                 * BR/EDR discoverable devices and their names carry no pattern filter. */
                { "Pathloss", bus_dict_skip },
                { "Discoverable", bus_dict_skip },
                { "Pattern", bus_dict_skip },
                { NULL, filter_unknown },
        };
        SimAdapter *s = userdata;
        FilterRequest q = { .f = { .rssi = INT16_MIN, .duplicate_data = true } };
        SimDiscoveryClient *c;
        int n;

        strcpy(q.f.transport, "auto");
        n = bus_dict_read(m, fields, ELEMENTSOF(fields), &q);
        if (n < 0) {
                client_clear_filter(&q.f);
                if (n == -ENOMEM)
                        return n;
                return sd_bus_error_set(error, BLUEZ_ERROR_INVALID_ARGUMENTS, "Invalid arguments in method call");
        }

        c = client_get(s, sd_bus_message_get_sender(m));
        if (!c) {
                client_clear_filter(&q.f);
                return -ENOMEM;
        }
        client_clear_filter(c);
        if (n > 0) {
                strcpy(c->transport, q.f.transport);
                c->duplicate_data = q.f.duplicate_data;
                c->rssi = q.f.rssi;
                c->uuids = TAKE_PTR(q.f.uuids);
                c->has_filter = true;
        } else if (!c->discovering)
                client_remove(s, c);
        client_clear_filter(&q.f);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_discovery_filters(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(
                m, "as", 6, "UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData", "Discoverable");
}

static int method_remove_device(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimAdapter *s = userdata, *a = NULL;
        const char *path;
        SimLock *l;
        int object, r;

        r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        l = bluez_lookup_path(s->sim, path, &a, &object);
        if (!l || object >= 0 || a != s || !l->view[s->index].visible)
                return sd_bus_error_set(error, BLUEZ_ERROR_DOES_NOT_EXIST, "Does Not Exist");
        if (bluez_device_linked(l, s))
                bluez_device_disconnect(l, "removed");
        bluez_device_hide(l, s);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_get_bool(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimAdapter *s = userdata;
        int b;

        if (streq(property, "Powered"))
                b = s->powered;
        else if (streq(property, "Discovering"))
                b = s->discovering;
        else if (streq(property, "Pairable"))
                b = true;
        else
                b = false;
        return sd_bus_message_append(reply, "b", b);
}

static int property_set_powered(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *value,
        void *userdata,
        sd_bus_error *error) {
        SimAdapter *s = userdata;
        int b, r;

        r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        if (s->powered == !!b)
                return 0;
        s->powered = b;
        if (!b)
                for (size_t i = 0; i < s->sim->n_locks; i++)
                        if (bluez_device_linked(s->sim->locks[i], s))
                                bluez_device_disconnect(s->sim->locks[i], "adapter powered off");
        (void) sd_bus_emit_properties_changed(bus, path, interface, "Powered", NULL);
        discovery_update(s);
        return 0;
}

static int property_get_uuids(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        return sd_bus_message_append(
                reply,
                "as",
                2,
                "00001800-0000-1000-8000-00805f9b34fb",
                "00001801-0000-1000-8000-00805f9b34fb");
}

static int property_get_roles(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        return sd_bus_message_append(reply, "as", 2, "central", "peripheral");
}

static int property_get_string(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimAdapter *s = userdata;
        const char *v = "";

        if (streq(property, "Address"))
                v = s->address;
        else if (streq(property, "AddressType"))
                v = "public";
        else if (streq(property, "Name") || streq(property, "Alias"))
                v = "ttlock-sim";
        else if (streq(property, "Modalias"))
                v = "usb:v1D6Bp0246d0542";
        return sd_bus_message_append(reply, "s", v);
}

static int property_get_u32(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        uint32_t v = 0;

        if (streq(property, "Class"))
                v = 0x7c0104;
        else if (streq(property, "DiscoverableTimeout"))
                v = 180;
        return sd_bus_message_append(reply, "u", v);
}

static const sd_bus_vtable adapter1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("AddressType", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Alias", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Class", "u", property_get_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_WRITABLE_PROPERTY(
                "Powered",
                "b",
                property_get_bool,
                property_set_powered,
                0,
                SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE | SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Discoverable", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DiscoverableTimeout", "u", property_get_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Pairable", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("PairableTimeout", "u", property_get_u32, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Discovering", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UUIDs", "as", property_get_uuids, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Modalias", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Roles", "as", property_get_roles, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD("StartDiscovery", "", "", method_start_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopDiscovery", "", "", method_stop_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetDiscoveryFilter",
                "a{sv}",
                SD_BUS_PARAM(properties),
                "",
                ,
                method_set_discovery_filter,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD(
                "GetDiscoveryFilters", "", "as", method_get_discovery_filters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "RemoveDevice",
                "o",
                SD_BUS_PARAM(device),
                "",
                ,
                method_remove_device,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* A client that leaves the bus stops its discoveries and loses its filters (BlueZ tracks discovery
 * clients with a disconnect watch), and its battery providers go. */
static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Sim *s = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
        if (r < 0 || name[0] != ':' || !isempty(new_owner))
                return 0;
        for (unsigned a = 0; a < s->n_adapters; a++) {
                SimDiscoveryClient *c = client_find(&s->adapters[a], name);

                if (c) {
                        log_debug("Discovery client %s left the bus.", name);
                        client_remove(&s->adapters[a], c);
                        discovery_update(&s->adapters[a]);
                }
        }
        for (size_t i = 0; i < s->n_locks; i++) {
                SimLock *l = s->locks[i];
                if (l->notify_client && streq(l->notify_client, name))
                        bluez_gatt_reset(l);
        }
        bluez_battery_client_gone(s, name);
        return 0;
}

SimAdapter *bluez_adapter_of_path(Sim *s, const char *path) {
        const char *p = path;
        unsigned n = 0;

        if (strncmp(p, SIM_BLUEZ_PATH "/hci", strlen(SIM_BLUEZ_PATH "/hci")) != 0)
                return NULL;
        p += strlen(SIM_BLUEZ_PATH "/hci");
        if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
                return NULL;
        for (; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (unsigned) (*p - '0');
                if (n >= s->n_adapters)
                        return NULL;
        }
        if (*p != 0 && *p != '/')
                return NULL;
        return &s->adapters[n];
}

static int find_adapter(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimAdapter *a = bluez_adapter_of_path(userdata, path);

        if (!a || !streq(path, a->path))
                return 0;
        *ret_found = a;
        return 1;
}

int bluez_adapter_register(Sim *s, unsigned n) {
        int r;

        assert(n >= 1 && n <= SIM_ADAPTERS_MAX);
        s->adapters = new0(SimAdapter, n);
        if (!s->adapters)
                return log_oom();
        s->n_adapters = n;
        for (unsigned i = 0; i < n; i++) {
                SimAdapter *a = &s->adapters[i];

                a->sim = s;
                a->index = i;
                a->powered = true;
                (void) snprintf(a->path, sizeof(a->path), SIM_BLUEZ_PATH "/hci%u", i);
                (void) snprintf(a->address, sizeof(a->address), SIM_ADAPTER_ADDRESS_FORMAT, 0x13 + i);
        }
        r = sd_bus_add_object_manager(s->bus, NULL, "/");
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager: %m");
        /* A fallback like the device interfaces below it: sd-bus wants one kind of vtable per path. */
        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, "org.bluez.Adapter1", adapter1_vtable, find_adapter, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Adapter1: %m");
        r = sd_bus_match_signal(
                s->bus,
                NULL,
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
                "NameOwnerChanged",
                on_name_owner_changed,
                s);
        if (r < 0)
                return log_error_errno(r, "Failed to watch NameOwnerChanged: %m");
        return 0;
}

void bluez_adapter_free(Sim *s) {
        for (unsigned i = 0; i < s->n_adapters; i++) {
                SimAdapter *a = &s->adapters[i];

                for (size_t k = 0; k < a->n_clients; k++) {
                        client_clear_filter(&a->clients[k]);
                        free(a->clients[k].sender);
                }
                a->clients = mfree(a->clients);
                a->n_clients = 0;
                a->advert_timer = sd_event_source_disable_unref(a->advert_timer);
                a->temporary_timer = sd_event_source_disable_unref(a->temporary_timer);
        }
        s->adapters = mfree(s->adapters);
        s->n_adapters = 0;
}
