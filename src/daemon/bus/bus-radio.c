/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-getter.h"
#include "bus-radio.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

/* What was last said of a radio on the bus, to signal only what changed. */
typedef struct Known {
        char *name;
        char *path;
        bool connected;
        int free_slots;
        char *address;
        char *last_error;
} Known;

struct BusRadios {
        BusContext *context;
        sd_bus_slot *vtable_slot;
        sd_bus_slot *enumerator_slot;
        Known *known;
        size_t n_known;
};

int bus_radio_path(const Radio *r, char **ret) {
        assert(r);
        assert(ret);

        return sd_bus_path_encode(RADIO_PATH_PREFIX, radio_name(r), ret);
}

static Radio *radio_by_name(Manager *m, const char *name) {
        for (Radio *const *r = manager_radios(m); *r; r++)
                if (streq(radio_name(*r), name))
                        return *r;
        return NULL;
}

/* ---- Radio1 ------------------------------------------------------------------------------------ */

static int
find(sd_bus *bus,
     const char *path,
     const char *interface,
     void *userdata,
     void **found,
     sd_bus_error *error) {
        BusRadios *b = userdata;
        _cleanup_free_ char *name = NULL;
        Radio *r;

        if (sd_bus_path_decode(path, RADIO_PATH_PREFIX, &name) <= 0 || isempty(name))
                return 0;
        r = radio_by_name(b->context->manager, name);
        if (!r)
                return 0;
        *found = r;
        return 1;
}

static int
enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        BusRadios *b = userdata;
        Radio *const *radios = manager_radios(b->context->manager);
        char **nodes;
        size_t n = 0;
        int r;

        for (Radio *const *i = radios; *i; i++)
                n++;
        nodes = calloc(n + 1, sizeof(char *));
        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = bus_radio_path(radios[i], &nodes[i]);
                if (r < 0) {
                        for (size_t j = 0; j < i; j++)
                                free(nodes[j]);
                        free(nodes);
                        return r;
                }
        }
        *ret_nodes = nodes;
        return 0;
}

static uint32_t slots_on_bus(const Radio *r) {
        int n = radio_free_slots(r);

        /* No limit of its own (a BlueZ adapter): the largest number (dbus/org.ttlock.Radio1.xml). */
        return n < 0 ? UINT32_MAX : (uint32_t) n;
}

/* ---- properties (dbus/org.ttlock.Radio1.xml): one getter each; userdata is the Radio ---------- */

BUS_GETTER(get_name) {
        return sd_bus_message_append(reply, "s", radio_name(userdata));
}

BUS_GETTER(get_kind) {
        return sd_bus_message_append(reply, "s", radio_kind_to_string(radio_kind(userdata)));
}

BUS_GETTER(get_address) {
        return sd_bus_message_append(reply, "s", radio_address(userdata));
}

BUS_GETTER(get_connected) {
        return sd_bus_message_append(reply, "b", radio_available(userdata));
}

BUS_GETTER(get_free_slots) {
        return sd_bus_message_append(reply, "u", slots_on_bus(userdata));
}

BUS_GETTER(get_last_error) {
        return sd_bus_message_append(reply, "s", radio_last_error(userdata));
}

static const sd_bus_vtable radio_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Kind", "s", get_kind, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", get_address, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Connected", "b", get_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FreeConnectionSlots", "u", get_free_slots, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastError", "s", get_last_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ---- what changed ------------------------------------------------------------------------------ */

static void known_done(Known *k) {
        free(k->name);
        free(k->path);
        free(k->address);
        free(k->last_error);
}

static Known *known_find(BusRadios *b, const char *name) {
        for (size_t i = 0; i < b->n_known; i++)
                if (streq(b->known[i].name, name))
                        return &b->known[i];
        return NULL;
}

static int known_add(BusRadios *b, const Radio *r, Known **ret) {
        Known *n, k = {};

        n = reallocarray(b->known, b->n_known + 1, sizeof(Known));
        if (!n)
                return -ENOMEM;
        b->known = n;
        k.name = strdup(radio_name(r));
        if (!k.name || bus_radio_path(r, &k.path) < 0) {
                known_done(&k);
                return -ENOMEM;
        }
        k.connected = radio_available(r);
        k.free_slots = radio_free_slots(r);
        if (strdup_replace(&k.address, radio_address(r)) < 0 ||
            strdup_replace(&k.last_error, radio_last_error(r)) < 0) {
                known_done(&k);
                return -ENOMEM;
        }
        b->known[b->n_known] = k;
        *ret = &b->known[b->n_known++];
        return 0;
}

/* Updates k from r; the names of the properties that changed go to names (NULL-terminated). */
static size_t known_update(Known *k, const Radio *r, const char *names[5]) {
        size_t n = 0;

        if (k->connected != radio_available(r)) {
                k->connected = radio_available(r);
                names[n++] = "Connected";
        }
        if (k->free_slots != radio_free_slots(r)) {
                k->free_slots = radio_free_slots(r);
                names[n++] = "FreeConnectionSlots";
        }
        if (strdup_replace(&k->address, radio_address(r)) > 0)
                names[n++] = "Address";
        if (strdup_replace(&k->last_error, radio_last_error(r)) > 0)
                names[n++] = "LastError";
        names[n] = NULL;
        return n;
}

bool bus_radios_sync(BusRadios *b) {
        sd_bus *bus = b->context->bus;
        Radio *const *radios = manager_radios(b->context->manager);
        bool set_changed = false;

        /* Gone: their objects cannot be read any more, so the interfaces are named. */
        for (size_t i = 0; i < b->n_known;) {
                Known *k = &b->known[i];

                if (radio_by_name(b->context->manager, k->name)) {
                        i++;
                        continue;
                }
                (void) sd_bus_emit_interfaces_removed(
                        bus,
                        k->path,
                        RADIO_INTERFACE,
                        "org.freedesktop.DBus.Peer",
                        "org.freedesktop.DBus.Introspectable",
                        "org.freedesktop.DBus.Properties",
                        NULL);
                known_done(k);
                memmove(k, k + 1, (b->n_known - i - 1) * sizeof(Known));
                b->n_known--;
                set_changed = true;
        }
        for (Radio *const *r = radios; *r; r++) {
                const char *names[5];
                Known *k = known_find(b, radio_name(*r));

                if (!k) {
                        if (known_add(b, *r, &k) < 0) {
                                log_oom();
                                continue;
                        }
                        (void) sd_bus_emit_object_added(bus, k->path);
                        set_changed = true;
                } else if (known_update(k, *r, names) > 0)
                        (void) sd_bus_emit_properties_changed_strv(
                                bus, k->path, RADIO_INTERFACE, (char **) names);
        }
        return set_changed;
}

int bus_radios_append_paths(BusRadios *b, sd_bus_message *reply) {
        int r;

        r = sd_bus_message_open_container(reply, 'a', "o");
        for (Radio *const *i = manager_radios(b->context->manager); r >= 0 && *i; i++) {
                _cleanup_free_ char *path = NULL;

                r = bus_radio_path(*i, &path);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "o", path);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* ---- Lock1 ------------------------------------------------------------------------------------- */

int bus_radio_get_lock_radio(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusLock *b = userdata;
        _cleanup_free_ char *p = NULL;
        Radio *r = manager_lock_radio(b->context->manager, b->lock);
        int k;

        if (!r)
                return sd_bus_message_append(reply, "o", "/");
        k = bus_radio_path(r, &p);
        if (k < 0)
                return k;
        return sd_bus_message_append(reply, "o", p);
}

int bus_radio_get_lock_radio_rssi(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusLock *b = userdata;
        RadioHeard heard[16];
        size_t n = radio_set_heard(b->context->manager->radios, b->lock->address, heard, ELEMENTSOF(heard));
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{on}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *p = NULL;

                if (!heard[i].have_rssi)
                        continue;
                r = bus_radio_path(heard[i].radio, &p);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "{on}", p, heard[i].rssi);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* ---- life cycle -------------------------------------------------------------------------------- */

int bus_radios_new(BusContext *context, BusRadios **ret) {
        _cleanup_(bus_radios_freep) BusRadios *b = NULL;
        int r;

        assert(context);
        assert(ret);
        b = calloc(1, sizeof(BusRadios));
        if (!b)
                return -ENOMEM;
        b->context = context;
        r = sd_bus_add_fallback_vtable(
                context->bus, &b->vtable_slot, RADIO_PATH_PREFIX, RADIO_INTERFACE, radio_vtable, find, b);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(
                        context->bus, &b->enumerator_slot, RADIO_PATH_PREFIX, enumerate, b);
        if (r < 0)
                return log_error_errno(r, "Cannot add the radio objects: %m");
        (void) bus_radios_sync(b);
        *ret = TAKE_PTR(b);
        return 0;
}

BusRadios *bus_radios_free(BusRadios *b) {
        if (!b)
                return NULL;
        sd_bus_slot_unref(b->vtable_slot);
        sd_bus_slot_unref(b->enumerator_slot);
        for (size_t i = 0; i < b->n_known; i++)
                known_done(&b->known[i]);
        free(b->known);
        free(b);
        return NULL;
}
