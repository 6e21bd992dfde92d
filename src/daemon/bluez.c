/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bluez.h"
#include "log.h"
#include "macro.h"

#define BLUEZ_SERVICE "org.bluez"
#define BLUEZ_ADAPTER "org.bluez.Adapter1"
#define BLUEZ_DEVICE "org.bluez.Device1"
#define BLUEZ_GATT_CHAR "org.bluez.GattCharacteristic1"

#define UUID_TTLOCK_SERVICE "00001910-0000-1000-8000-00805f9b34fb"
#define UUID_TTLOCK_WRITE "0000fff2-0000-1000-8000-00805f9b34fb"
#define UUID_TTLOCK_NOTIFY "0000fff4-0000-1000-8000-00805f9b34fb"

#define TTLOCK_MFR_KEY_V3 0x0305 /* protocol.md §1.5 */
#define MFR_MAX 64               /* adverts carry at most 31 bytes; this bounds a hostile BlueZ */

typedef struct Adapter {
        char *path;
        bool powered;
        bool discovering;
        bool scan_requested; /* we asked this adapter to scan */
        struct Adapter *next;
} Adapter;

struct BluezDevice {
        char *path;
        char address[18];
        char *name;
        int16_t rssi;
        bool have_rssi;
        bool connected;
        bool services_resolved;
        bool ttlock; /* advertises 0x1910 or V3 manufacturer data */
        bool have_mfr;
        uint16_t mfr_key;
        uint8_t mfr[MFR_MAX];
        size_t mfr_len;
        char *write_path;
        bool write_without_response;
        char *notify_path;
        struct BluezDevice *next;
};

struct Bluez {
        sd_bus *bus;
        BluezCallbacks cb;
        void *userdata;

        char *owner; /* unique name of org.bluez, NULL while absent */
        sd_bus_slot *owner_slot;
        sd_bus_slot *added_slot;
        sd_bus_slot *removed_slot;
        sd_bus_slot *props_slot;
        sd_bus_slot *objects_slot;

        Adapter *adapters;
        BluezDevice *devices;
        char **adapter_paths;

        bool monitor;
        bool discover;
        bool gatt_pass; /* second pass over GetManagedObjects: characteristics only */
};

/* Context of one async call we make on behalf of a link. Freed by the slot's destroy callback, so
 * that unreffing the slot cancels the call and nothing dangles. */
typedef struct CallContext {
        Bluez *bluez;
        char *device_path;
        BluezResult cb;
        void *userdata;
} CallContext;

static void call_context_free(void *p) {
        CallContext *c = p;
        if (!c)
                return;
        free(c->device_path);
        free(c);
}

static Adapter *adapter_find(Bluez *b, const char *path) {
        for (Adapter *a = b->adapters; a; a = a->next)
                if (strcmp(a->path, path) == 0)
                        return a;
        return NULL;
}

static BluezDevice *device_find(Bluez *b, const char *path) {
        for (BluezDevice *d = b->devices; d; d = d->next)
                if (strcmp(d->path, path) == 0)
                        return d;
        return NULL;
}

/* GATT objects live below their device: /org/bluez/hci0/dev_XX/serviceNN/charMMMM. */
static BluezDevice *device_of_object(Bluez *b, const char *path) {
        for (BluezDevice *d = b->devices; d; d = d->next) {
                size_t n = strlen(d->path);
                if (strncmp(path, d->path, n) == 0 && path[n] == '/')
                        return d;
        }
        return NULL;
}

static void device_free(BluezDevice *d) {
        free(d->path);
        free(d->name);
        free(d->write_path);
        free(d->notify_path);
        free(d);
}

static int strdup_replace(char **p, const char *s) {
        char *n = NULL;
        if (s) {
                n = strdup(s);
                if (!n)
                        return -ENOMEM;
        }
        free(*p);
        *p = n;
        return 0;
}

static void device_info(const BluezDevice *d, BluezDeviceInfo *ret) {
        *ret = (BluezDeviceInfo) {
                .path = d->path,
                .address = d->address,
                .name = d->name,
                .rssi = d->rssi,
                .have_rssi = d->have_rssi,
                .connected = d->connected,
                .services_resolved = d->services_resolved,
                .gatt_ready = d->write_path && d->notify_path,
                .have_mfr = d->have_mfr,
                .mfr_key = d->mfr_key,
                .mfr = d->mfr,
                .mfr_len = d->mfr_len,
        };
}

static void notify_device_changed(Bluez *b, BluezDevice *d, bool mfr_changed) {
        BluezDeviceInfo info;

        if (!d->ttlock || !b->cb.device_changed)
                return;
        device_info(d, &info);
        b->cb.device_changed(b, &info, mfr_changed, b->userdata);
}

/* a{qv}: we keep the first entry with an "ay" value; TTLock V3 puts its data under 773 (§1.5). */
static int parse_manufacturer_data(sd_bus_message *m, BluezDevice *d) {
        bool found = false;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{qv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "qv")) > 0) {
                const void *data;
                size_t len;
                uint16_t key;

                r = sd_bus_message_read(m, "q", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', "ay");
                if (r < 0) {
                        /* Not a byte array: skip this entry, whatever it is. */
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                } else {
                        r = sd_bus_message_read_array(m, 'y', &data, &len);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        if (!found || key == TTLOCK_MFR_KEY_V3) {
                                found = true;
                                d->mfr_key = key;
                                d->mfr_len = MIN(len, (size_t) MFR_MAX);
                                memcpy(d->mfr, data, d->mfr_len);
                        }
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        d->have_mfr = found;
        if (found && d->mfr_key == TTLOCK_MFR_KEY_V3)
                d->ttlock = true;
        return sd_bus_message_exit_container(m);
}

static int parse_uuids(sd_bus_message *m, BluezDevice *d) {
        char **uuids = NULL;
        int r;

        r = sd_bus_message_read_strv(m, &uuids);
        if (r < 0)
                return r;
        for (char **u = uuids; u && *u; u++) {
                if (strcasecmp(*u, UUID_TTLOCK_SERVICE) == 0)
                        d->ttlock = true;
                free(*u);
        }
        free(uuids);
        return 0;
}

/* Reads an a{sv} of Device1 properties into d. Sets *mfr_changed when ManufacturerData was present. */
static int parse_device_properties(sd_bus_message *m, BluezDevice *d, bool *mfr_changed) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *s;
                int b;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;

                if (strcmp(name, "Address") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r < 0)
                                return r;
                        snprintf(d->address, sizeof(d->address), "%s", s);
                } else if (strcmp(name, "Name") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r < 0)
                                return r;
                        r = strdup_replace(&d->name, s);
                        if (r < 0)
                                return r;
                } else if (strcmp(name, "RSSI") == 0) {
                        int16_t rssi;
                        r = sd_bus_message_read(m, "v", "n", &rssi);
                        if (r < 0)
                                return r;
                        d->rssi = rssi;
                        d->have_rssi = true;
                } else if (strcmp(name, "Connected") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (r < 0)
                                return r;
                        d->connected = b;
                } else if (strcmp(name, "ServicesResolved") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (r < 0)
                                return r;
                        d->services_resolved = b;
                } else if (strcmp(name, "ManufacturerData") == 0) {
                        r = sd_bus_message_enter_container(m, 'v', "a{qv}");
                        if (r < 0)
                                return r;
                        r = parse_manufacturer_data(m, d);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        if (mfr_changed)
                                *mfr_changed = true;
                } else if (strcmp(name, "UUIDs") == 0) {
                        r = sd_bus_message_enter_container(m, 'v', "as");
                        if (r < 0)
                                return r;
                        r = parse_uuids(m, d);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

static int parse_adapter_properties(sd_bus_message *m, Adapter *a) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;
                int b;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "Powered") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (r < 0)
                                return r;
                        a->powered = b;
                } else if (strcmp(name, "Discovering") == 0) {
                        r = sd_bus_message_read(m, "v", "b", &b);
                        if (r < 0)
                                return r;
                        a->discovering = b;
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* Characteristic properties we need: UUID and Flags. Value arrives only through PropertiesChanged. */
static int parse_characteristic(Bluez *b, const char *path, sd_bus_message *m) {
        _cleanup_free_ char *uuid = NULL;
        bool without_response = false;
        BluezDevice *d;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *s;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "UUID") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &s);
                        if (r < 0)
                                return r;
                        uuid = strdup(s);
                        if (!uuid)
                                return -ENOMEM;
                } else if (strcmp(name, "Flags") == 0) {
                        char **flags = NULL;
                        bool with_response = false;

                        r = sd_bus_message_enter_container(m, 'v', "as");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_read_strv(m, &flags);
                        if (r < 0)
                                return r;
                        for (char **f = flags; f && *f; f++) {
                                if (strcmp(*f, "write-without-response") == 0)
                                        without_response = true;
                                else if (strcmp(*f, "write") == 0)
                                        with_response = true;
                                free(*f);
                        }
                        free(flags);
                        /* §1.3: "command" only if the characteristic offers nothing else. */
                        without_response = without_response && !with_response;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        d = device_of_object(b, path);
        if (!d || !uuid)
                return 0;

        if (strcasecmp(uuid, UUID_TTLOCK_WRITE) == 0) {
                d->write_without_response = without_response;
                return strdup_replace(&d->write_path, path);
        }
        if (strcasecmp(uuid, UUID_TTLOCK_NOTIFY) == 0)
                return strdup_replace(&d->notify_path, path);
        return 0;
}

static void rebuild_adapter_paths(Bluez *b) {
        size_t n = 0, i = 0;
        char **v;

        for (Adapter *a = b->adapters; a; a = a->next)
                if (a->powered)
                        n++;
        v = calloc(n + 1, sizeof(char *));
        if (!v) {
                log_oom();
                return;
        }
        for (Adapter *a = b->adapters; a; a = a->next)
                if (a->powered)
                        v[i++] = a->path;
        free(b->adapter_paths);
        b->adapter_paths = v;
}

static void update_scan(Bluez *b);

static int start_discovery_handler(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* InProgress means another client of BlueZ already started it on our behalf too: fine. */
        if (e && !sd_bus_error_has_name(e, "org.bluez.Error.InProgress"))
                log_warning("Could not start LE scanning on %s: %s", sd_bus_message_get_path(reply) ?: "adapter",
                            e->message ?: e->name);
        return 0;
}

static void adapter_scan(Bluez *b, Adapter *a, bool on) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!b->owner || !a->powered || a->scan_requested == on)
                return;

        if (on) {
                /* Transport le, duplicates on: every advert carries the flags byte that tells of new
                 * log records and of the bolt (§1.5, §7); filter on the TTLock service UUID. */
                r = sd_bus_message_new_method_call(b->bus, &m, BLUEZ_SERVICE, a->path, BLUEZ_ADAPTER,
                                                   "SetDiscoveryFilter");
                if (r >= 0)
                        r = sd_bus_message_append(m, "a{sv}", 3, "Transport", "s", "le", "DuplicateData", "b",
                                                  1, "UUIDs", "as", 1, UUID_TTLOCK_SERVICE);
                if (r >= 0)
                        r = sd_bus_call_async(b->bus, NULL, m, NULL, NULL, 0);
                if (r < 0)
                        log_warning_errno(r, "Failed to set the discovery filter on %s: %m", a->path);

                r = sd_bus_call_method_async(b->bus, NULL, BLUEZ_SERVICE, a->path, BLUEZ_ADAPTER,
                                             "StartDiscovery", start_discovery_handler, NULL, NULL);
        } else
                r = sd_bus_call_method_async(b->bus, NULL, BLUEZ_SERVICE, a->path, BLUEZ_ADAPTER,
                                             "StopDiscovery", NULL, NULL, NULL);
        if (r < 0) {
                log_warning_errno(r, "Failed to %s discovery on %s: %m", on ? "start" : "stop", a->path);
                return;
        }
        a->scan_requested = on;
}

static void update_scan(Bluez *b) {
        bool on = b->monitor || b->discover;

        for (Adapter *a = b->adapters; a; a = a->next)
                adapter_scan(b, a, on && a->powered);
}

static int handle_interfaces(Bluez *b, const char *path, sd_bus_message *m) {
        int r;

        /* a{sa{sv}} */
        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *iface;

                r = sd_bus_message_read(m, "s", &iface);
                if (r < 0)
                        return r;

                if (b->gatt_pass && strcmp(iface, BLUEZ_GATT_CHAR) != 0) {
                        r = sd_bus_message_skip(m, "a{sv}");
                        if (r < 0)
                                return r;
                } else if (strcmp(iface, BLUEZ_ADAPTER) == 0) {
                        Adapter *a = adapter_find(b, path);
                        if (!a) {
                                a = calloc(1, sizeof(Adapter));
                                if (!a)
                                        return -ENOMEM;
                                a->path = strdup(path);
                                if (!a->path) {
                                        free(a);
                                        return -ENOMEM;
                                }
                                a->next = b->adapters;
                                b->adapters = a;
                        }
                        r = parse_adapter_properties(m, a);
                        if (r < 0)
                                return r;
                        rebuild_adapter_paths(b);
                        update_scan(b);
                        if (b->cb.adapters_changed)
                                b->cb.adapters_changed(b, b->userdata);
                } else if (strcmp(iface, BLUEZ_DEVICE) == 0) {
                        BluezDevice *d = device_find(b, path);
                        bool mfr = false;
                        if (!d) {
                                d = calloc(1, sizeof(BluezDevice));
                                if (!d)
                                        return -ENOMEM;
                                d->path = strdup(path);
                                if (!d->path) {
                                        free(d);
                                        return -ENOMEM;
                                }
                                d->next = b->devices;
                                b->devices = d;
                        }
                        r = parse_device_properties(m, d, &mfr);
                        if (r < 0)
                                return r;
                        notify_device_changed(b, d, mfr);
                } else if (strcmp(iface, BLUEZ_GATT_CHAR) == 0) {
                        BluezDevice *d;
                        bool was_ready;

                        d = device_of_object(b, path);
                        was_ready = d && d->write_path && d->notify_path;
                        r = parse_characteristic(b, path, m);
                        if (r < 0)
                                return r;
                        if (d && !was_ready && d->write_path && d->notify_path)
                                notify_device_changed(b, d, false);
                } else {
                        r = sd_bus_message_skip(m, "a{sv}");
                        if (r < 0)
                                return r;
                }

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static bool from_bluez(Bluez *b, sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);
        return b->owner && sender && strcmp(sender, b->owner) == 0;
}

static void remove_device(Bluez *b, BluezDevice **pp) {
        BluezDevice *d = *pp;

        *pp = d->next;
        if (d->ttlock && b->cb.device_removed)
                b->cb.device_removed(b, d->path, d->address, b->userdata);
        device_free(d);
}

static void forget_object(Bluez *b, const char *path, bool adapter, bool device, bool gatt) {
        if (adapter)
                for (Adapter **p = &b->adapters; *p; p = &(*p)->next)
                        if (strcmp((*p)->path, path) == 0) {
                                Adapter *a = *p;
                                *p = a->next;
                                free(a->path);
                                free(a);
                                rebuild_adapter_paths(b);
                                if (b->cb.adapters_changed)
                                        b->cb.adapters_changed(b, b->userdata);
                                break;
                        }

        if (device)
                for (BluezDevice **p = &b->devices; *p; p = &(*p)->next)
                        if (strcmp((*p)->path, path) == 0) {
                                remove_device(b, p);
                                break;
                        }

        if (gatt) {
                BluezDevice *d = device_of_object(b, path);
                if (!d)
                        return;
                if (d->write_path && strcmp(d->write_path, path) == 0)
                        d->write_path = mfree(d->write_path);
                if (d->notify_path && strcmp(d->notify_path, path) == 0)
                        d->notify_path = mfree(d->notify_path);
        }
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
        bool adapter = false, device = false, gatt = false;
        const char *path;
        char **ifaces = NULL;
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
                adapter = adapter || strcmp(*i, BLUEZ_ADAPTER) == 0;
                device = device || strcmp(*i, BLUEZ_DEVICE) == 0;
                gatt = gatt || strcmp(*i, BLUEZ_GATT_CHAR) == 0;
                free(*i);
        }
        free(ifaces);
        forget_object(b, path, adapter, device, gatt);
        return 0;
}

static int on_value_changed(Bluez *b, const char *path, sd_bus_message *m) {
        BluezDevice *d = device_of_object(b, path);
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "Value") == 0 && d && d->notify_path && strcmp(d->notify_path, path) == 0) {
                        const void *data;
                        size_t len;

                        r = sd_bus_message_enter_container(m, 'v', "ay");
                        if (r < 0)
                                return r;
                        r = sd_bus_message_read_array(m, 'y', &data, &len);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        if (b->cb.notification)
                                b->cb.notification(b, d->path, data, len, b->userdata);
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        const char *iface, *path = sd_bus_message_get_path(m);
        int r;

        if (!from_bluez(b, m) || !path)
                return 0;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                goto malformed;

        if (strcmp(iface, BLUEZ_DEVICE) == 0) {
                BluezDevice *d = device_find(b, path);
                bool mfr = false;

                if (!d)
                        return 0;
                r = parse_device_properties(m, d, &mfr);
                if (r < 0)
                        goto malformed;
                if (!d->connected) {
                        /* BlueZ keeps GATT objects after a disconnect (Cache=always); their presence
                         * says nothing about being connected, so links look at Connected. */
                        d->services_resolved = false;
                }
                notify_device_changed(b, d, mfr);
        } else if (strcmp(iface, BLUEZ_ADAPTER) == 0) {
                Adapter *a = adapter_find(b, path);
                bool was_powered;

                if (!a)
                        return 0;
                was_powered = a->powered;
                r = parse_adapter_properties(m, a);
                if (r < 0)
                        goto malformed;
                if (was_powered != a->powered) {
                        /* A power cycle forgets discovery sessions: ask again. */
                        a->scan_requested = false;
                        rebuild_adapter_paths(b);
                        update_scan(b);
                        if (b->cb.adapters_changed)
                                b->cb.adapters_changed(b, b->userdata);
                }
        } else if (strcmp(iface, BLUEZ_GATT_CHAR) == 0) {
                r = on_value_changed(b, path, m);
                if (r < 0)
                        goto malformed;
        }
        return 0;

malformed:
        log_warning_errno(r, "Ignoring malformed PropertiesChanged from BlueZ on %s: %m", path);
        return 0;
}

static void forget_everything(Bluez *b) {
        while (b->devices)
                remove_device(b, &b->devices);
        while (b->adapters) {
                Adapter *a = b->adapters;
                b->adapters = a->next;
                free(a->path);
                free(a);
        }
        rebuild_adapter_paths(b);
}

static int on_managed_objects(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        int r;

        b->objects_slot = sd_bus_slot_unref(b->objects_slot);

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_warning("Could not read BlueZ's objects: %s", e->message ?: e->name);
                return 0;
        }

        /* a{o…} comes in no defined order (BlueZ walks a hash table), and a characteristic is only
         * kept once its device is known: a second pass picks up those listed before their device.
         * BlueZ does not re-announce them, so without it a lock could never become gatt_ready. */
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
                        if (r < 0)
                                goto malformed;
                        r = handle_interfaces(b, path, reply);
                        if (r < 0)
                                goto malformed;
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                goto malformed;
                }
                if (r < 0)
                        goto malformed;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto malformed;
        }
        b->gatt_pass = false;

        size_t n_adapters = 0;
        for (char **a = bluez_adapters(b); *a; a++)
                n_adapters++;
        log_info("BlueZ is available with %zu powered adapter(s).", n_adapters);
        update_scan(b);
        if (b->cb.available)
                b->cb.available(b, true, b->userdata);
        return 0;

malformed:
        b->gatt_pass = false;
        log_warning_errno(r, "Malformed GetManagedObjects reply from BlueZ: %m");
        return 0;
}

static void set_owner(Bluez *b, const char *owner) {
        bool had = b->owner;

        if (owner && owner[0] == 0)
                owner = NULL;
        if (b->owner && owner && strcmp(b->owner, owner) == 0)
                return;

        if (had) {
                log_info("BlueZ left the bus.");
                b->owner = mfree(b->owner);
                b->objects_slot = sd_bus_slot_unref(b->objects_slot);
                forget_everything(b);
                if (b->cb.available)
                        b->cb.available(b, false, b->userdata);
        }

        if (!owner)
                return;

        b->owner = strdup(owner);
        if (!b->owner) {
                log_oom();
                return;
        }
        (void) sd_bus_call_method_async(b->bus, &b->objects_slot, BLUEZ_SERVICE, "/",
                                        "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                        on_managed_objects, b, NULL);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        const char *name, *old, *new;

        if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, BLUEZ_SERVICE) != 0)
                return 0;
        set_owner(b, new);
        return 0;
}

static int on_get_name_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Bluez *b = userdata;
        const char *owner;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                log_info("BlueZ is not running; waiting for it to appear on the bus.");
                return 0;
        }
        if (sd_bus_message_read(reply, "s", &owner) >= 0)
                set_owner(b, owner);
        return 0;
}

int bluez_new(sd_bus *bus, const BluezCallbacks *cb, void *userdata, Bluez **ret) {
        _cleanup_(bluez_freep) Bluez *b = NULL;
        int r;

        b = calloc(1, sizeof(Bluez));
        if (!b)
                return -ENOMEM;
        b->bus = sd_bus_ref(bus);
        b->cb = *cb;
        b->userdata = userdata;

        r = sd_bus_match_signal_async(bus, &b->owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed,
                                      NULL, b);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, &b->added_slot, NULL, "/", "org.freedesktop.DBus.ObjectManager",
                                      "InterfacesAdded", on_interfaces_added, NULL, b);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(bus, &b->removed_slot, NULL, "/",
                                      "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                      on_interfaces_removed, NULL, b);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(bus, &b->props_slot,
                                   "type='signal',interface='org.freedesktop.DBus.Properties',"
                                   "member='PropertiesChanged',path_namespace='/org/bluez'",
                                   on_properties_changed, NULL, b);
        if (r < 0)
                return r;

        /* The match for NameOwnerChanged is installed before we ask, so no change can slip between. */
        r = sd_bus_call_method_async(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetNameOwner", on_get_name_owner, b, "s",
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
        /* No callbacks while tearing down: the owner is going away too. */
        b->cb = (BluezCallbacks) {};
        forget_everything(b);
        free(b->adapter_paths);
        free(b->owner);
        sd_bus_unref(b->bus);
        free(b);
        return NULL;
}

bool bluez_available(Bluez *b) {
        return b->owner;
}

char **bluez_adapters(Bluez *b) {
        static char *empty[] = { NULL };
        return b->adapter_paths ?: empty;
}

void bluez_set_monitor(Bluez *b, bool on) {
        b->monitor = on;
        update_scan(b);
}

void bluez_set_discover(Bluez *b, bool on) {
        b->discover = on;
        update_scan(b);
}

bool bluez_scanning(Bluez *b) {
        for (Adapter *a = b->adapters; a; a = a->next)
                if (a->scan_requested)
                        return true;
        return false;
}

static int on_call_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        CallContext *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int error = 0;

        if (e) {
                /* Connecting to what is already connected is success (conventions.md). */
                if (sd_bus_error_has_name(e, "org.bluez.Error.AlreadyConnected"))
                        e = NULL;
                else
                        error = -(sd_bus_error_get_errno(e) ?: EIO);
        }
        if (c->cb)
                c->cb(c->bluez, c->device_path, error, e, c->userdata);
        return 0;
}

static int call_async(Bluez *b, sd_bus_message *m, const char *device_path, uint64_t timeout_usec, BluezResult cb,
                      void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        CallContext *c;
        int r;

        c = calloc(1, sizeof(CallContext));
        if (!c)
                return -ENOMEM;
        *c = (CallContext) { .bluez = b, .cb = cb, .userdata = userdata, .device_path = strdup(device_path) };
        if (!c->device_path) {
                free(c);
                return -ENOMEM;
        }

        r = sd_bus_call_async(b->bus, &slot, m, on_call_reply, c, timeout_usec);
        if (r < 0) {
                call_context_free(c);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, call_context_free);

        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else
                (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

static int device_for_call(Bluez *b, const char *device_path, BluezDevice **ret) {
        BluezDevice *d;

        if (!b->owner)
                return -ENOTCONN;
        d = device_find(b, device_path);
        if (!d)
                return -ENODEV;
        *ret = d;
        return 0;
}

int bluez_connect(Bluez *b, const char *device_path, uint64_t timeout_usec, BluezResult cb, void *userdata,
                  sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BluezDevice *d;
        int r;

        r = device_for_call(b, device_path, &d);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(b->bus, &m, BLUEZ_SERVICE, device_path, BLUEZ_DEVICE, "Connect");
        if (r < 0)
                return r;
        return call_async(b, m, device_path, timeout_usec, cb, userdata, ret_slot);
}

int bluez_disconnect(Bluez *b, const char *device_path) {
        BluezDevice *d;
        int r;

        r = device_for_call(b, device_path, &d);
        if (r < 0)
                return r;
        return sd_bus_call_method_async(b->bus, NULL, BLUEZ_SERVICE, device_path, BLUEZ_DEVICE, "Disconnect",
                                        NULL, NULL, NULL);
}

/* A method call on one of the device's TTLock characteristics; -ENOENT until BlueZ resolved it. */
static int characteristic_call_new(Bluez *b, const char *device_path, bool notify, const char *member,
                                   BluezDevice **ret_device, sd_bus_message **ret) {
        BluezDevice *d;
        const char *path;
        int r;

        r = device_for_call(b, device_path, &d);
        if (r < 0)
                return r;
        path = notify ? d->notify_path : d->write_path;
        if (!path)
                return -ENOENT;
        r = sd_bus_message_new_method_call(b->bus, ret, BLUEZ_SERVICE, path, BLUEZ_GATT_CHAR, member);
        if (r < 0)
                return r;
        *ret_device = d;
        return 0;
}

int bluez_start_notify(Bluez *b, const char *device_path, BluezResult cb, void *userdata,
                       sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BluezDevice *d;
        int r;

        r = characteristic_call_new(b, device_path, /* notify= */ true, "StartNotify", &d, &m);
        if (r < 0)
                return r;
        return call_async(b, m, device_path, 0, cb, userdata, ret_slot);
}

int bluez_write(Bluez *b, const char *device_path, const uint8_t *data, size_t len, BluezResult cb,
                void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        BluezDevice *d;
        int r;

        r = characteristic_call_new(b, device_path, /* notify= */ false, "WriteValue", &d, &m);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', data, len);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a{sv}", 1, "type", "s",
                                  d->write_without_response ? "command" : "request");
        if (r < 0)
                return r;
        return call_async(b, m, device_path, 0, cb, userdata, ret_slot);
}

bool bluez_device_info(Bluez *b, const char *device_path, BluezDeviceInfo *ret) {
        BluezDevice *d = device_find(b, device_path);
        if (!d)
                return false;
        device_info(d, ret);
        return true;
}

const char *bluez_device_path_by_address(Bluez *b, const char *address) {
        for (BluezDevice *d = b->devices; d; d = d->next)
                if (d->ttlock && strcasecmp(d->address, address) == 0)
                        return d->path;
        return NULL;
}
