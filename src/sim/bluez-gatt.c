/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lock's GATT database as BlueZ 5.66 exports it once services are resolved (gatt-api.txt):
 * the TTLock service 0x1910 with 0xFFF4 (notify: the lock's replies and pushes) and 0xFFF2
 * (write, both types: app → lock frames), and the Device Information service 0x180A
 * (doc/protocol.md §1.1). Objects stay after a disconnect, as BlueZ keeps its GATT cache. */

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bluez.h"
#include "bus-dict.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "radio.h"
#include "sim-util.h"

/* ATT_MTU 23 as the locks negotiate it: one write without response carries at most 20 bytes
 * (doc/protocol.md §1.3). */
#define SIM_ATT_MTU 23

static const struct {
        const char *suffix;
        const char *uuid;
        uint16_t handle;
        int service; /* -1 for services */
} gatt_objects[_GATT_OBJECT_MAX] = {
        [GATT_SERVICE_TTLOCK] = { "service000c", SIM_TTLOCK_SERVICE_UUID, 0x000c, -1 },
        [GATT_CHAR_NOTIFY] = { "service000c/char000d",
                               "0000fff4-0000-1000-8000-00805f9b34fb",
                               0x000d,
                               GATT_SERVICE_TTLOCK },
        [GATT_CHAR_WRITE] = { "service000c/char0010",
                              "0000fff2-0000-1000-8000-00805f9b34fb",
                              0x0010,
                              GATT_SERVICE_TTLOCK },
        [GATT_SERVICE_DEVINFO] = { "service0012", "0000180a-0000-1000-8000-00805f9b34fb", 0x0012, -1 },
        [GATT_CHAR_MANUFACTURER] = { "service0012/char0013",
                                     "00002a29-0000-1000-8000-00805f9b34fb",
                                     0x0013,
                                     GATT_SERVICE_DEVINFO },
        [GATT_CHAR_MODEL] = { "service0012/char0015",
                              "00002a24-0000-1000-8000-00805f9b34fb",
                              0x0015,
                              GATT_SERVICE_DEVINFO },
        [GATT_CHAR_HARDWARE] = { "service0012/char0017",
                                 "00002a27-0000-1000-8000-00805f9b34fb",
                                 0x0017,
                                 GATT_SERVICE_DEVINFO },
        [GATT_CHAR_FIRMWARE] = { "service0012/char0019",
                                 "00002a26-0000-1000-8000-00805f9b34fb",
                                 0x0019,
                                 GATT_SERVICE_DEVINFO },
};

const char *bluez_gatt_suffix(BluezGattObject o) {
        return gatt_objects[o].suffix;
}

static bool is_service(int o) {
        return gatt_objects[o].service < 0;
}

static void object_path(SimLock *l, SimAdapter *a, int o, char *out, size_t size) {
        (void) snprintf(out, size, "%s/%s", l->view[a->index].path, gatt_objects[o].suffix);
}

/* The adapter whose objects a call is about (the find functions matched the path). */
static SimAdapter *adapter_of(SimLock *l, const char *path) {
        SimAdapter *a = bluez_adapter_of_path(l->sim, path);

        assert(a);
        return a;
}

void bluez_gatt_show(SimLock *l, SimAdapter *a) {
        char path[SIM_DEVICE_PATH_MAX + 32];

        if (l->view[a->index].gatt_exported)
                return;
        l->view[a->index].gatt_exported = true;
        for (int o = 0; o < _GATT_OBJECT_MAX; o++) {
                object_path(l, a, o, path, sizeof(path));
                (void) sd_bus_emit_interfaces_added(
                        l->sim->bus,
                        path,
                        is_service(o) ? "org.bluez.GattService1" : "org.bluez.GattCharacteristic1",
                        NULL);
        }
}

void bluez_gatt_hide(SimLock *l, SimAdapter *a) {
        char path[SIM_DEVICE_PATH_MAX + 32];

        if (!l->view[a->index].gatt_exported)
                return;
        for (int o = _GATT_OBJECT_MAX - 1; o >= 0; o--) {
                object_path(l, a, o, path, sizeof(path));
                (void) sd_bus_emit_interfaces_removed(
                        l->sim->bus,
                        path,
                        is_service(o) ? "org.bluez.GattService1" : "org.bluez.GattCharacteristic1",
                        NULL);
        }
        l->view[a->index].gatt_exported = false;
}

void bluez_gatt_reset(SimLock *l) {
        SimAdapter *a = &l->sim->adapters[l->link_adapter];
        char path[SIM_DEVICE_PATH_MAX + 32];

        if (!l->notify_client)
                return;
        l->notify_client = mfree(l->notify_client);
        /* Notifications were on through the adapter that held the link. */
        if (l->view[a->index].gatt_exported) {
                object_path(l, a, GATT_CHAR_NOTIFY, path, sizeof(path));
                (void) sd_bus_emit_properties_changed(
                        l->sim->bus, path, "org.bluez.GattCharacteristic1", "Notifying", NULL);
        }
}

void bluez_gatt_notify(SimLock *l, const uint8_t *data, size_t len) {
        SimAdapter *a = &l->sim->adapters[l->link_adapter];
        char path[SIM_DEVICE_PATH_MAX + 32];

        assert(len <= TTLOCK_CHUNK_SIZE);
        if (l->conn != SIM_CONNECTED || l->link_proxy || !l->notify_client ||
            !l->view[a->index].gatt_exported)
                return; /* the CCCD is off: the lock's notification goes nowhere */
        memcpy(l->value, data, len);
        l->value_len = len;
        object_path(l, a, GATT_CHAR_NOTIFY, path, sizeof(path));
        (void) sd_bus_emit_properties_changed(
                l->sim->bus, path, "org.bluez.GattCharacteristic1", "Value", NULL);
}

static int find_object(Sim *s, const char *path, bool service, void **ret_found) {
        SimAdapter *a = NULL;
        SimLock *l;
        int object;

        l = bluez_lookup_path(s, path, &a, &object);
        if (!l || object < 0 || !l->view[a->index].gatt_exported || is_service(object) != service)
                return 0;
        *ret_found = l;
        return 1;
}

static int find_service(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        return find_object(userdata, path, true, ret_found);
}

static int find_char(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        return find_object(userdata, path, false, ret_found);
}

static int find_notify_char(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimAdapter *a = NULL;
        SimLock *l;
        int object;

        l = bluez_lookup_path(userdata, path, &a, &object);
        if (!l || object != GATT_CHAR_NOTIFY || !l->view[a->index].gatt_exported)
                return 0;
        *ret_found = l;
        return 1;
}

static int object_of(SimLock *l, const char *path) {
        int object = -1;

        (void) bluez_lookup_path(l->sim, path, NULL, &object);
        return object;
}

static const char *devinfo_string(SimLock *l, int o) {
        switch (o) {
        case GATT_CHAR_MANUFACTURER:
                return "TTLock";
        case GATT_CHAR_MODEL:
                return l->model;
        case GATT_CHAR_HARDWARE:
                return l->hardware;
        case GATT_CHAR_FIRMWARE:
                return l->firmware;
        default:
                return NULL;
        }
}

static int service_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;
        int o = object_of(l, path);

        if (o < 0)
                return -ENOENT;
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", gatt_objects[o].uuid);
        if (streq(property, "Device"))
                return sd_bus_message_append(reply, "o", l->view[adapter_of(l, path)->index].path);
        if (streq(property, "Primary"))
                return sd_bus_message_append(reply, "b", true);
        if (streq(property, "Includes"))
                return sd_bus_message_append(reply, "ao", 0);
        if (streq(property, "Handle"))
                return sd_bus_message_append(reply, "q", gatt_objects[o].handle);
        return -ENOENT;
}

static int char_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;
        int o = object_of(l, path);

        if (o < 0)
                return -ENOENT;
        if (streq(property, "UUID"))
                return sd_bus_message_append(reply, "s", gatt_objects[o].uuid);
        if (streq(property, "Service")) {
                char p[SIM_DEVICE_PATH_MAX + 32];
                object_path(l, adapter_of(l, path), gatt_objects[o].service, p, sizeof(p));
                return sd_bus_message_append(reply, "o", p);
        }
        if (streq(property, "Handle"))
                return sd_bus_message_append(reply, "q", gatt_objects[o].handle);
        if (streq(property, "MTU"))
                return sd_bus_message_append(reply, "q", (uint16_t) SIM_ATT_MTU);
        if (streq(property, "Flags")) {
                if (o == GATT_CHAR_NOTIFY)
                        return sd_bus_message_append(reply, "as", 1, "notify");
                if (o == GATT_CHAR_WRITE)
                        return sd_bus_message_append(reply, "as", 2, "write-without-response", "write");
                return sd_bus_message_append(reply, "as", 1, "read");
        }
        if (streq(property, "Value")) {
                const char *v;
                if (o == GATT_CHAR_NOTIFY)
                        return sd_bus_message_append_array(reply, 'y', l->value, l->value_len);
                v = devinfo_string(l, o);
                return sd_bus_message_append_array(reply, 'y', v ?: "", v ? strlen(v) : 0);
        }
        return -ENOENT;
}

/* The a{sv} options of ReadValue/WriteValue: "offset" (q) and "type" (s). */
typedef struct GattOptions {
        uint16_t offset;
        char *type;
        size_t type_size;
} GattOptions;

static int option_offset(sd_bus_message *m, const char *key, void *userdata) {
        GattOptions *o = userdata;

        return sd_bus_message_read(m, "v", "q", &o->offset);
}

static int option_type(sd_bus_message *m, const char *key, void *userdata) {
        GattOptions *o = userdata;
        const char *t;
        int r;

        r = sd_bus_message_read(m, "v", "s", &t);
        if (r >= 0 && o->type)
                (void) snprintf(o->type, o->type_size, "%s", t);
        return r;
}

static int read_options(sd_bus_message *m, uint16_t *ret_offset, char *type, size_t type_size) {
        static const BusDictField fields[] = {
                { "offset", option_offset },
                { "type", option_type },
        };
        GattOptions o = { .type = type, .type_size = type_size };
        int r;

        r = bus_dict_read(m, fields, ELEMENTSOF(fields), &o);
        if (r < 0)
                return r;
        *ret_offset = o.offset;
        return 0;
}

static int method_read_value(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        SimLock *l = userdata;
        int o = object_of(l, sd_bus_message_get_path(m));
        const char *v;
        uint16_t offset;
        size_t n;
        int r;

        r = read_options(m, &offset, NULL, 0);
        if (r < 0)
                return sd_bus_error_set(
                        error, BLUEZ_ERROR_INVALID_ARGUMENTS, "Invalid arguments in method call");
        if (l->conn != SIM_CONNECTED || !bluez_device_linked(l, adapter_of(l, sd_bus_message_get_path(m))))
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_CONNECTED, "Not connected");
        v = devinfo_string(l, o);
        if (!v)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_PERMITTED, "Read not permitted");
        n = strlen(v);
        if (offset > n)
                return sd_bus_error_set(error, BLUEZ_ERROR_INVALID_OFFSET, "Invalid offset");
        radio_activity(l);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(reply, 'y', v + offset, n - offset);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_write_value(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        int o = object_of(l, sd_bus_message_get_path(m));
        char type[16] = "";
        const void *data;
        size_t len;
        uint16_t offset;
        int r;

        r = sd_bus_message_read_array(m, 'y', &data, &len);
        if (r < 0)
                return r;
        r = read_options(m, &offset, type, sizeof(type));
        if (r < 0 ||
            (!isempty(type) && !streq(type, "command") && !streq(type, "request") &&
             !streq(type, "reliable")))
                return sd_bus_error_set(
                        error, BLUEZ_ERROR_INVALID_ARGUMENTS, "Invalid arguments in method call");
        if (o != GATT_CHAR_WRITE)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_SUPPORTED, "Operation is not supported");
        if (l->conn != SIM_CONNECTED || !bluez_device_linked(l, adapter_of(l, sd_bus_message_get_path(m))))
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_CONNECTED, "Not connected");
        if (offset != 0)
                return sd_bus_error_set(error, BLUEZ_ERROR_INVALID_OFFSET, "Invalid offset");
        /* A write command cannot be longer than ATT_MTU − 3 (BlueZ fails to initiate it); a write
         * request that long becomes a long write, which the lock accepts. */
        if (streq(type, "command") && len > SIM_ATT_MTU - 3)
                return sd_bus_error_set(error, BLUEZ_ERROR_FAILED, "Failed to initiate write");

        r = sd_bus_reply_method_return(m, NULL);
        if (r < 0)
                return r;
        lock_receive(l, data, len);
        return 1;
}

static int method_start_notify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        int o = object_of(l, sd_bus_message_get_path(m));
        char path[SIM_DEVICE_PATH_MAX + 32];

        if (o != GATT_CHAR_NOTIFY)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_SUPPORTED, "Operation is not supported");
        if (l->conn != SIM_CONNECTED || !bluez_device_linked(l, adapter_of(l, sd_bus_message_get_path(m))))
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_CONNECTED, "Not connected");
        if (l->notify_client) {
                if (streq(l->notify_client, sd_bus_message_get_sender(m)))
                        return sd_bus_error_set(error, BLUEZ_ERROR_IN_PROGRESS, "In Progress");
                return sd_bus_reply_method_return(m, NULL); /* already on for another client */
        }
        l->notify_client = strdup(sd_bus_message_get_sender(m));
        if (!l->notify_client)
                return -ENOMEM;
        radio_activity(l);
        object_path(l, adapter_of(l, sd_bus_message_get_path(m)), GATT_CHAR_NOTIFY, path, sizeof(path));
        (void) sd_bus_emit_properties_changed(
                l->sim->bus, path, "org.bluez.GattCharacteristic1", "Notifying", NULL);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_stop_notify(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimLock *l = userdata;
        int o = object_of(l, sd_bus_message_get_path(m));

        if (o != GATT_CHAR_NOTIFY)
                return sd_bus_error_set(error, BLUEZ_ERROR_NOT_SUPPORTED, "Operation is not supported");
        if (!l->notify_client || !streq(l->notify_client, sd_bus_message_get_sender(m)))
                return sd_bus_error_set(error, BLUEZ_ERROR_FAILED, "No notify session started");
        bluez_gatt_reset(l);
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable service1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Device", "o", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Primary", "b", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Includes", "ao", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Handle", "q", service_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

static int notifying_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;

        return sd_bus_message_append(
                reply, "b", l->notify_client && bluez_device_linked(l, adapter_of(l, path)));
}

/* BlueZ 5.66 (gatt-client.c, characteristic_notifying_exists) has Notifying only on
 * characteristics that can notify or indicate: here 0xFFF4 alone, through a vtable of its own. */
static const sd_bus_vtable char1_notify_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Notifying", "b", notifying_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable char1_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", char_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Service", "o", char_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Value", "ay", char_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Flags", "as", char_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Handle", "q", char_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MTU", "q", char_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES(
                "ReadValue",
                "a{sv}",
                SD_BUS_PARAM(options),
                "ay",
                SD_BUS_PARAM(value),
                method_read_value,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "WriteValue",
                "aya{sv}",
                SD_BUS_PARAM(value) SD_BUS_PARAM(options),
                "",
                ,
                method_write_value,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartNotify", "", "", method_start_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopNotify", "", "", method_stop_notify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bluez_gatt_register(Sim *s) {
        int r;

        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, "org.bluez.GattService1", service1_vtable, find_service, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add GattService1: %m");
        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, "org.bluez.GattCharacteristic1", char1_vtable, find_char, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add GattCharacteristic1: %m");
        r = sd_bus_add_fallback_vtable(
                s->bus,
                NULL,
                SIM_BLUEZ_PATH,
                "org.bluez.GattCharacteristic1",
                char1_notify_vtable,
                find_notify_char,
                s);
        if (r < 0)
                return log_error_errno(r, "Failed to add GattCharacteristic1.Notifying: %m");
        return 0;
}
