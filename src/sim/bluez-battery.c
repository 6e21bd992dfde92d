/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Batteries as BlueZ 5.66 offers them to other programs (doc/battery-api.txt, src/battery.c):
 *
 * org.bluez.BatteryProviderManager1 on the adapter, only with experimental features on (bluetoothd
 * -E; here --experimental). RegisterBatteryProvider(o root) makes BlueZ a client of the caller: it
 * asks the caller's ObjectManager at root for its objects (GetManagedObjects) and follows
 * InterfacesAdded/InterfacesRemoved there and PropertiesChanged below it. Each
 * org.bluez.BatteryProvider1 object names a Device (o), and may have Percentage (y) and Source (s).
 *
 * For such an object BlueZ exports org.bluez.Battery1 on the device's own object, with Percentage
 * once the provider gave a valid one (0–100; larger values are ignored, an invalidated Percentage
 * reads as 0) and Source as the provider gave it when the object appeared. The object is ignored
 * when its Device is not a known device of the adapter or still a temporary one (seen by discovery
 * but never connected: BlueZ keeps a device once Connect() or the GATT services made it
 * permanent), or when another provider already provides for that device. Battery1 goes when the
 * object goes, when the provider unregisters (only its owner may: DoesNotExist otherwise), and when
 * the provider leaves the bus. A root path registered twice is AlreadyExists. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bluez.h"
#include "bus-dict.h"
#include "log.h"
#include "macro.h"
#include "sim-util.h"

#define BATTERY_INTERFACE "org.bluez.Battery1"
#define BATTERY_PROVIDER_INTERFACE "org.bluez.BatteryProvider1"
#define BATTERY_MANAGER_INTERFACE "org.bluez.BatteryProviderManager1"
#define BATTERY_PERCENTAGE_NONE UINT8_MAX
#define BATTERY_PERCENTAGE_MAX 100
/* A bound on what bus clients can make the simulator hold (BlueZ has none). */
#define BATTERY_PROVIDERS_MAX 64
#define BATTERY_SOURCE_MAX 256

struct SimBatteryProvider {
        Sim *sim;
        char *owner; /* unique bus name of the registering client */
        char *root;  /* the provider's ObjectManager path, its ID */
        sd_bus_slot *match_added;
        sd_bus_slot *match_removed;
        sd_bus_slot *match_changed;
        sd_bus_slot *get_objects;
};

static SimBatteryProvider *provider_find(Sim *s, const char *root) {
        for (size_t i = 0; i < s->n_battery_providers; i++)
                if (streq(s->battery_providers[i]->root, root))
                        return s->battery_providers[i];
        return NULL;
}

/* The lock whose Battery1 comes from this provider object, if any. */
static SimLock *battery_lock(SimBatteryProvider *p, const char *object) {
        Sim *s = p->sim;

        for (size_t i = 0; i < s->n_locks; i++) {
                SimLock *l = s->locks[i];
                if (l->battery_provider == p && streq(l->battery_object, object))
                        return l;
        }
        return NULL;
}

static void battery_remove(SimLock *l) {
        if (!l->battery_provider)
                return;
        log_debug("%s: Battery1 removed (provider object %s).", l->address_str, l->battery_object);
        l->battery_provider = NULL;
        l->battery_object = mfree(l->battery_object);
        l->battery_source = mfree(l->battery_source);
        l->battery_percentage = BATTERY_PERCENTAGE_NONE;
        (void) sd_bus_emit_interfaces_removed(l->sim->bus, l->path, BATTERY_INTERFACE, NULL);
}

/* src/battery.c btd_battery_update(): only 0–100, and a signal only for a change. */
static void battery_update(SimLock *l, uint8_t percentage) {
        if (percentage > BATTERY_PERCENTAGE_MAX) {
                log_debug("%s: ignoring battery percentage %u.", l->address_str, percentage);
                return;
        }
        if (l->battery_percentage == percentage)
                return;
        l->battery_percentage = percentage;
        (void) sd_bus_emit_properties_changed(l->sim->bus, l->path, BATTERY_INTERFACE, "Percentage", NULL);
}

typedef struct ProviderObject {
        const char *device; /* NULL: no Device property */
        bool has_percentage;
        uint8_t percentage;
        const char *source;
} ProviderObject;

/* A BatteryProvider1 property dictionary. Values of another type count as absent, as for BlueZ's
 * proxy a property of the wrong type is not the one it asks for. */
static int provider_device(sd_bus_message *m, const char *key, void *userdata) {
        ProviderObject *o = userdata;

        return bus_dict_read_basic(m, 'o', &o->device);
}

static int provider_percentage(sd_bus_message *m, const char *key, void *userdata) {
        ProviderObject *o = userdata;
        int r;

        r = bus_dict_read_basic(m, 'y', &o->percentage);
        if (r > 0)
                o->has_percentage = true;
        return r;
}

static int provider_source(sd_bus_message *m, const char *key, void *userdata) {
        ProviderObject *o = userdata;

        return bus_dict_read_basic(m, 's', &o->source);
}

static int read_provider_properties(sd_bus_message *m, ProviderObject *ret) {
        static const BusDictField fields[] = {
                { "Device", provider_device },
                { "Percentage", provider_percentage },
                { "Source", provider_source },
        };
        ProviderObject o = {};
        int r;

        r = bus_dict_read(m, fields, ELEMENTSOF(fields), &o);
        if (r < 0)
                return r;
        *ret = o;
        return 0;
}

/* src/battery.c provided_battery_added_cb(). */
static void provider_object_added(SimBatteryProvider *p, const char *object, const ProviderObject *o) {
        _cleanup_free_ char *object_copy = NULL, *source = NULL;
        SimAdapter *a;
        SimLock *l;
        int index;

        if (!o->device) {
                log_warning("Battery object %s does not specify device path", object);
                return;
        }
        /* The manager is hci0's (bluez_battery_register()): so are the devices it provides for. */
        l = bluez_lookup_path(p->sim, o->device, &a, &index);
        if (!l || index >= 0 || a->index != 0 || !l->view[0].visible || !l->view[0].gatt_exported) {
                log_warning("Ignoring non-existent device path for battery %s", o->device);
                return;
        }
        if (l->battery_provider) {
                log_debug("Battery for %s is already provided, ignoring the new one", o->device);
                return;
        }

        object_copy = strdup(object);
        if (!object_copy)
                return (void) log_oom();
        if (o->source) {
                source = strndup(o->source, BATTERY_SOURCE_MAX);
                if (!source)
                        return (void) log_oom();
        }
        l->battery_provider = p;
        l->battery_object = TAKE_PTR(object_copy);
        l->battery_source = TAKE_PTR(source);
        l->battery_percentage = BATTERY_PERCENTAGE_NONE;
        if (o->has_percentage && o->percentage <= BATTERY_PERCENTAGE_MAX)
                l->battery_percentage = o->percentage;
        log_debug("%s: Battery1 provided by %s %s.", l->address_str, p->owner, object);
        (void) sd_bus_emit_interfaces_added(p->sim->bus, l->path, BATTERY_INTERFACE, NULL);
}

typedef struct ProviderInterfaces {
        SimBatteryProvider *provider;
        const char *object;
} ProviderInterfaces;

static int provider_interface(sd_bus_message *m, const char *interface, void *userdata) {
        ProviderInterfaces *p = userdata;
        ProviderObject o;
        int r;

        if (!streq(interface, BATTERY_PROVIDER_INTERFACE))
                return sd_bus_message_skip(m, "a{sv}");
        r = read_provider_properties(m, &o);
        if (r < 0)
                return r;
        provider_object_added(p->provider, p->object, &o);
        return 0;
}

/* The interfaces of one object, a{sa{sv}}: only BatteryProvider1 counts. */
static int provider_read_interfaces(SimBatteryProvider *p, sd_bus_message *m, const char *object) {
        ProviderInterfaces pi = { p, object };
        int r;

        r = bus_interfaces_read(m, provider_interface, &pi);
        return r < 0 ? r : 0;
}

static int on_managed_objects(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        SimBatteryProvider *p = userdata;
        int r;

        p->get_objects = sd_bus_slot_unref(p->get_objects);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_debug(
                        "GetManagedObjects on battery provider %s %s failed: %s",
                        p->owner,
                        p->root,
                        sd_bus_message_get_error(reply)->message);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                goto bad;
        for (;;) {
                const char *object;

                r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}");
                if (r < 0)
                        goto bad;
                if (r == 0)
                        break;
                r = sd_bus_message_read(reply, "o", &object);
                if (r < 0)
                        goto bad;
                r = provider_read_interfaces(p, reply, object);
                if (r < 0)
                        goto bad;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto bad;
        }
        return 0;
bad:
        log_debug_errno(r, "Battery provider %s sent unreadable objects: %m", p->owner);
        return 0;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SimBatteryProvider *p = userdata;
        const char *object;
        int r;

        r = sd_bus_message_read(m, "o", &object);
        if (r >= 0)
                r = provider_read_interfaces(p, m, object);
        if (r < 0)
                log_debug_errno(r, "Unreadable InterfacesAdded from battery provider %s: %m", p->owner);
        return 0;
}

/* src/battery.c provided_battery_removed_cb(). */
static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        SimBatteryProvider *p = userdata;
        const char *object, *interface;
        int r;

        r = sd_bus_message_read(m, "o", &object);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return 0;
        while ((r = sd_bus_message_read(m, "s", &interface)) > 0)
                if (streq(interface, BATTERY_PROVIDER_INTERFACE)) {
                        SimLock *l = battery_lock(p, object);
                        if (l)
                                battery_remove(l);
                }
        return 0;
}

static int changed_percentage(sd_bus_message *m, const char *key, void *userdata) {
        uint8_t v;
        int r;

        r = bus_dict_read_basic(m, 'y', &v);
        if (r > 0)
                battery_update(userdata, v);
        return r;
}

/* src/battery.c provided_battery_property_changed_cb(): Percentage only; invalidated reads as 0. */
static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        static const BusDictField fields[] = {
                { "Percentage", changed_percentage },
        };
        SimBatteryProvider *p = userdata;
        const char *interface, *name;
        SimLock *l;
        int r;

        l = battery_lock(p, sd_bus_message_get_path(m));
        if (!l)
                return 0;
        r = sd_bus_message_read(m, "s", &interface);
        if (r < 0 || !streq(interface, BATTERY_PROVIDER_INTERFACE))
                return 0;
        if (bus_dict_read(m, fields, ELEMENTSOF(fields), l) < 0)
                return 0;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return 0;
        while (sd_bus_message_read(m, "s", &name) > 0)
                if (streq(name, "Percentage"))
                        battery_update(l, 0);
        return 0;
}

static SimBatteryProvider *provider_free(SimBatteryProvider *p) {
        Sim *s;

        if (!p)
                return NULL;
        s = p->sim;
        for (size_t i = 0; i < s->n_locks; i++)
                if (s->locks[i]->battery_provider == p)
                        battery_remove(s->locks[i]);
        for (size_t i = 0; i < s->n_battery_providers; i++)
                if (s->battery_providers[i] == p) {
                        memmove(&s->battery_providers[i],
                                &s->battery_providers[i + 1],
                                (s->n_battery_providers - i - 1) * sizeof(SimBatteryProvider *));
                        s->n_battery_providers--;
                        break;
                }
        sd_bus_slot_unref(p->match_added);
        sd_bus_slot_unref(p->match_removed);
        sd_bus_slot_unref(p->match_changed);
        sd_bus_slot_unref(p->get_objects);
        free(p->owner);
        free(p->root);
        return mfree(p);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SimBatteryProvider *, provider_free);

static int provider_new(Sim *s, const char *owner, const char *root, SimBatteryProvider **ret) {
        _cleanup_(provider_freep) SimBatteryProvider *p = NULL;
        _cleanup_free_ char *match = NULL;
        SimBatteryProvider **n;
        int r;

        n = reallocarray(s->battery_providers, s->n_battery_providers + 1, sizeof(SimBatteryProvider *));
        if (!n)
                return -ENOMEM;
        s->battery_providers = n;
        p = new0(SimBatteryProvider, 1);
        if (!p)
                return -ENOMEM;
        p->sim = s;
        s->battery_providers[s->n_battery_providers++] = p; /* provider_free() takes it out again */
        p->owner = strdup(owner);
        p->root = strdup(root);
        if (!p->owner || !p->root)
                return -ENOMEM;

        /* Unique names and object paths contain no quote: no escaping needed in the rules. */
        if (asprintf(
                    &match,
                    "type='signal',sender='%s',path='%s',interface='org.freedesktop.DBus.ObjectManager',"
                    "member='InterfacesAdded'",
                    owner,
                    root) < 0)
                return -ENOMEM;
        r = sd_bus_add_match_async(s->bus, &p->match_added, match, on_interfaces_added, NULL, p);
        if (r < 0)
                return r;
        match = mfree(match);
        if (asprintf(
                    &match,
                    "type='signal',sender='%s',path='%s',interface='org.freedesktop.DBus.ObjectManager',"
                    "member='InterfacesRemoved'",
                    owner,
                    root) < 0)
                return -ENOMEM;
        r = sd_bus_add_match_async(s->bus, &p->match_removed, match, on_interfaces_removed, NULL, p);
        if (r < 0)
                return r;
        match = mfree(match);
        if (asprintf(
                    &match,
                    "type='signal',sender='%s',interface='org.freedesktop.DBus.Properties',"
                    "member='PropertiesChanged',path_namespace='%s'",
                    owner,
                    root) < 0)
                return -ENOMEM;
        r = sd_bus_add_match_async(s->bus, &p->match_changed, match, on_properties_changed, NULL, p);
        if (r < 0)
                return r;

        r = sd_bus_call_method_async(
                s->bus,
                &p->get_objects,
                owner,
                root,
                "org.freedesktop.DBus.ObjectManager",
                "GetManagedObjects",
                on_managed_objects,
                p,
                NULL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int method_register(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Sim *s = userdata;
        SimBatteryProvider *p;
        const char *root, *sender = sd_bus_message_get_sender(m);
        int r;

        r = sd_bus_message_read(m, "o", &root);
        if (r < 0)
                return r;
        /* BlueZ becomes a client of the caller's bus name: without one there is nothing to follow. */
        if (!sender)
                return sd_bus_error_set(
                        error, BLUEZ_ERROR_INVALID_ARGUMENTS, "Invalid arguments in method call");
        if (provider_find(s, root))
                return sd_bus_error_set(error, BLUEZ_ERROR_ALREADY_EXISTS, "Provider already exists");
        if (s->n_battery_providers >= BATTERY_PROVIDERS_MAX)
                return sd_bus_error_set(error, BLUEZ_ERROR_FAILED, "Too many battery providers");
        r = provider_new(s, sender, root, &p);
        if (r < 0)
                return r;
        log_debug("Battery provider %s registered by %s.", root, p->owner);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_unregister(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Sim *s = userdata;
        SimBatteryProvider *p;
        const char *root;
        int r;

        r = sd_bus_message_read(m, "o", &root);
        if (r < 0)
                return r;
        p = provider_find(s, root);
        if (!p || !streq(p->owner, sd_bus_message_get_sender(m)))
                return sd_bus_error_set(error, BLUEZ_ERROR_DOES_NOT_EXIST, "Provider does not exist");
        log_debug("Battery provider %s unregistered by its owner.", root);
        provider_free(p);
        return sd_bus_reply_method_return(m, NULL);
}

void bluez_battery_client_gone(Sim *s, const char *name) {
        for (size_t i = s->n_battery_providers; i > 0; i--) {
                SimBatteryProvider *p = s->battery_providers[i - 1];
                if (streq(p->owner, name)) {
                        log_debug("Battery provider %s left the bus with %s.", p->root, name);
                        provider_free(p);
                }
        }
}

void bluez_battery_free(Sim *s) {
        while (s->n_battery_providers > 0)
                provider_free(s->battery_providers[s->n_battery_providers - 1]);
        s->battery_providers = mfree(s->battery_providers);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES(
                "RegisterBatteryProvider",
                "o",
                SD_BUS_PARAM(provider),
                "",
                ,
                method_register,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "UnregisterBatteryProvider",
                "o",
                SD_BUS_PARAM(provider),
                "",
                ,
                method_unregister,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int property_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimLock *l = userdata;

        if (streq(property, "Percentage"))
                return sd_bus_message_append(reply, "y", l->battery_percentage);
        return sd_bus_message_append(reply, "s", l->battery_source ?: "");
}

/* Battery1 exists while provided; Percentage and Source only while they have a value, as BlueZ's
 * property "exists" callbacks say: three vtables for one interface (like Device1's RSSI). */
static const sd_bus_vtable battery_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable battery_percentage_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Percentage", "y", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable battery_source_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Source", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

static SimLock *find_battery_lock(Sim *s, const char *path) {
        SimAdapter *a;
        SimLock *l;
        int index;

        l = bluez_lookup_path(s, path, &a, &index);
        if (!l || index >= 0 || a->index != 0 || !l->battery_provider)
                return NULL;
        return l;
}

static int find_battery(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimLock *l = find_battery_lock(userdata, path);

        if (!l)
                return 0;
        *ret_found = l;
        return 1;
}

static int find_battery_percentage(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimLock *l = find_battery_lock(userdata, path);

        if (!l || l->battery_percentage > BATTERY_PERCENTAGE_MAX)
                return 0;
        *ret_found = l;
        return 1;
}

static int find_battery_source(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        SimLock *l = find_battery_lock(userdata, path);

        if (!l || !l->battery_source)
                return 0;
        *ret_found = l;
        return 1;
}

static int find_manager(
        sd_bus *bus,
        const char *path,
        const char *interface,
        void *userdata,
        void **ret_found,
        sd_bus_error *error) {
        if (!streq(path, SIM_ADAPTER_PATH))
                return 0;
        *ret_found = userdata;
        return 1;
}

int bluez_battery_register(Sim *s) {
        int r;

        for (size_t i = 0; i < s->n_locks; i++)
                s->locks[i]->battery_percentage = BATTERY_PERCENTAGE_NONE;

        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_BLUEZ_PATH, BATTERY_INTERFACE, battery_vtable, find_battery, s);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        s->bus,
                        NULL,
                        SIM_BLUEZ_PATH,
                        BATTERY_INTERFACE,
                        battery_percentage_vtable,
                        find_battery_percentage,
                        s);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        s->bus,
                        NULL,
                        SIM_BLUEZ_PATH,
                        BATTERY_INTERFACE,
                        battery_source_vtable,
                        find_battery_source,
                        s);
        if (r < 0)
                return log_error_errno(r, "Failed to add Battery1: %m");

        /* BlueZ 5.66 marks the manager experimental: without -E it does not exist. */
        if (!s->experimental)
                return 0;
        r = sd_bus_add_fallback_vtable(
                s->bus, NULL, SIM_ADAPTER_PATH, BATTERY_MANAGER_INTERFACE, manager_vtable, find_manager, s);
        if (r < 0)
                return log_error_errno(r, "Failed to add BatteryProviderManager1: %m");
        return 0;
}
