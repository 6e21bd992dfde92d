/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bluez-battery.h"
#include "bt-address.h"
#include "hashmap.h"
#include "log.h"
#include "string-util.h"

#define PROVIDER_INTERFACE "org.bluez.BatteryProvider1"
#define MANAGER_INTERFACE "org.bluez.BatteryProviderManager1"
#define ROOT_PREFIX "/org/ttlock/bluez/"
#define SOURCE "ttlockd"

typedef struct Battery {
        BluezBattery *owner;
        char address[BT_ADDRESS_SIZE]; /* the map's key */
        char *path;                    /* <root>/dev_AA_BB_CC_DD_EE_FF */
        char *device;                  /* <adapter>/dev_AA_BB_CC_DD_EE_FF, BlueZ's object */
        uint8_t percentage;
        sd_bus_slot *vtable;
} Battery;

struct BluezBattery {
        sd_bus *bus;
        char *adapter_path;
        char *root;
        sd_bus_slot *object_manager;
        Hashmap *batteries; /* address → Battery */
        sd_bus_slot *register_call;
        bool registered;
        bool told_missing; /* the log said once that BlueZ offers no manager here */
};

static int property_device(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Battery *b = userdata;

        return sd_bus_message_append(reply, "o", b->device);
}

static int property_percentage(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Battery *b = userdata;

        return sd_bus_message_append(reply, "y", b->percentage);
}

static int property_source(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", SOURCE);
}

static const sd_bus_vtable provider_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "o", property_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Percentage", "y", property_percentage, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Source", "s", property_source, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

/* Battery objects and BlueZ's device objects share the address part of their path. */
static int device_suffix(const char *address, char ret[static sizeof("dev_AA_BB_CC_DD_EE_FF")]) {
        char a[BT_ADDRESS_SIZE];
        int r;

        r = bt_address_normalize(address, a);
        if (r < 0)
                return r;
        snprintf(ret, sizeof("dev_AA_BB_CC_DD_EE_FF"), "dev_%s", a);
        for (char *p = ret; *p; p++)
                if (*p == ':')
                        *p = '_';
        return 0;
}

static Battery *battery_free(Battery *b) {
        if (!b)
                return NULL;
        sd_bus_slot_unref(b->vtable);
        free(b->path);
        free(b->device);
        free(b);
        return NULL;
}

static int battery_new(BluezBattery *p, const char *address, uint8_t percentage, Battery **ret) {
        char suffix[sizeof("dev_AA_BB_CC_DD_EE_FF")];
        Battery *b;
        int r;

        r = device_suffix(address, suffix);
        if (r < 0)
                return r;
        b = calloc(1, sizeof(Battery));
        if (!b)
                return -ENOMEM;
        b->owner = p;
        b->percentage = percentage;
        (void) bt_address_normalize(address, b->address);
        if (asprintf(&b->path, "%s/%s", p->root, suffix) < 0 ||
            asprintf(&b->device, "%s/%s", p->adapter_path, suffix) < 0) {
                b->path = b->device = NULL;
                battery_free(b);
                return -ENOMEM;
        }
        r = sd_bus_add_object_vtable(p->bus, &b->vtable, b->path, PROVIDER_INTERFACE, provider_vtable, b);
        if (r < 0) {
                battery_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

int bluez_battery_new(sd_bus *bus, const char *adapter_path, BluezBattery **ret) {
        const char *name;
        BluezBattery *b;
        int r;

        assert(bus);
        assert(adapter_path);
        assert(ret);

        name = strrchr(adapter_path, '/');
        if (!name || isempty(name + 1))
                return -EINVAL;
        b = calloc(1, sizeof(BluezBattery));
        if (!b)
                return -ENOMEM;
        b->bus = sd_bus_ref(bus);
        b->adapter_path = strdup(adapter_path);
        if (!b->adapter_path || asprintf(&b->root, ROOT_PREFIX "%s", name + 1) < 0) {
                b->root = NULL;
                bluez_battery_free(b);
                return -ENOMEM;
        }
        r = hashmap_new(&b->batteries);
        if (r >= 0)
                r = sd_bus_add_object_manager(bus, &b->object_manager, b->root);
        if (r < 0) {
                bluez_battery_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

BluezBattery *bluez_battery_free(BluezBattery *b) {
        Battery *battery;

        if (!b)
                return NULL;
        if (b->registered)
                /* Fire and forget: BlueZ also drops a provider whose owner leaves the bus. */
                (void) sd_bus_call_method_async(b->bus, NULL, "org.bluez", b->adapter_path, MANAGER_INTERFACE,
                                                "UnregisterBatteryProvider", NULL, NULL, "o", b->root);
        for (HashmapIter i = HASHMAP_ITER_FIRST; b->batteries && hashmap_iterate(b->batteries, &i, (void **) &battery, NULL);) {
                hashmap_remove(b->batteries, battery->address);
                battery_free(battery);
        }
        hashmap_free(b->batteries);
        sd_bus_slot_unref(b->register_call);
        sd_bus_slot_unref(b->object_manager);
        sd_bus_unref(b->bus);
        free(b->adapter_path);
        free(b->root);
        free(b);
        return NULL;
}

static void tell_missing(BluezBattery *b, const char *why) {
        if (b->told_missing)
                return;
        b->told_missing = true;
        log_info("%s: BlueZ offers no battery provider manager (%s); lock batteries will not show in UPower. "
                 "BlueZ 5.66 offers it with its experimental features on (bluetoothd -E).",
                 b->adapter_path, why);
}

static int on_registered(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        BluezBattery *b = userdata;
        const sd_bus_error *e;

        b->register_call = sd_bus_slot_unref(b->register_call);
        e = sd_bus_message_get_error(reply);
        if (!e) {
                b->registered = true;
                log_debug("%s: lock batteries registered with BlueZ at %s.", b->adapter_path, b->root);
                return 0;
        }
        /* AlreadyExists: BlueZ still holds our registration from before (we only lost track). */
        if (sd_bus_error_has_name(e, "org.bluez.Error.AlreadyExists")) {
                b->registered = true;
                return 0;
        }
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                   SD_BUS_ERROR_UNKNOWN_OBJECT))
                tell_missing(b, e->name);
        else
                log_warning("%s: RegisterBatteryProvider failed: %s", b->adapter_path, e->message ?: e->name);
        return 0;
}

void bluez_battery_register(BluezBattery *b, bool have_manager) {
        int r;

        assert(b);
        if (b->registered || b->register_call)
                return;
        if (!have_manager) {
                tell_missing(b, "no " MANAGER_INTERFACE);
                return;
        }
        r = sd_bus_call_method_async(b->bus, &b->register_call, "org.bluez", b->adapter_path, MANAGER_INTERFACE,
                                     "RegisterBatteryProvider", on_registered, b, "o", b->root);
        if (r < 0)
                log_warning_errno(r, "%s: cannot ask BlueZ to take the lock batteries: %m", b->adapter_path);
}

void bluez_battery_forget_registration(BluezBattery *b) {
        assert(b);
        b->registered = false;
        b->register_call = sd_bus_slot_unref(b->register_call);
}

int bluez_battery_set(BluezBattery *p, const char *address, int percentage) {
        char a[BT_ADDRESS_SIZE];
        Battery *b;
        int r;

        assert(p);
        r = bt_address_normalize(address, a);
        if (r < 0)
                return r;
        b = hashmap_get(p->batteries, a);
        if (percentage < 0) {
                if (!b)
                        return 0;
                (void) sd_bus_emit_interfaces_removed(p->bus, b->path, PROVIDER_INTERFACE, NULL);
                hashmap_remove(p->batteries, a);
                battery_free(b);
                return 0;
        }
        if (percentage > 100)
                return -EINVAL;
        if (b) {
                if (b->percentage == percentage)
                        return 0;
                b->percentage = percentage;
                return sd_bus_emit_properties_changed(p->bus, b->path, PROVIDER_INTERFACE, "Percentage", NULL);
        }
        r = battery_new(p, a, percentage, &b);
        if (r < 0)
                return r;
        r = hashmap_put(p->batteries, b->address, b);
        if (r < 0) {
                battery_free(b);
                return r;
        }
        return sd_bus_emit_interfaces_added(p->bus, b->path, PROVIDER_INTERFACE, NULL);
}

void bluez_battery_offer_again(BluezBattery *p, const char *address) {
        char a[BT_ADDRESS_SIZE];
        Battery *b;

        assert(p);
        if (!p->registered || bt_address_normalize(address, a) < 0)
                return;
        b = hashmap_get(p->batteries, a);
        if (!b)
                return;
        /* BlueZ looks at a provider's object when it appears (its src/battery.c): make it appear anew. */
        (void) sd_bus_emit_interfaces_removed(p->bus, b->path, PROVIDER_INTERFACE, NULL);
        (void) sd_bus_emit_interfaces_added(p->bus, b->path, PROVIDER_INTERFACE, NULL);
}

const char *bluez_battery_root(const BluezBattery *b) {
        return b ? b->root : NULL;
}

bool bluez_battery_registered(const BluezBattery *b) {
        return b && b->registered;
}
