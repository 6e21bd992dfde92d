/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The radios: radios (BlueZ adapters and ESPHome proxies, org.ttlock.Radio1), reload (ttlockd.conf
 * again), and how list and info name a lock's radio. */

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-table.h"
#include "ctl.h"

#define RADIO_PREFIX "/org/ttlock/Radio"

const char *ctl_radio_name(const char *path, char *buf, size_t size) {
        _cleanup_free_ char *name = NULL;

        /* The daemon escapes names as sd_bus_path_encode() does (org.ttlock.Radio1.xml). */
        if (!path || sd_bus_path_decode(path, RADIO_PREFIX, &name) <= 0 || !name || !name[0])
                return "";
        snprintf(buf, size, "%s", name);
        return buf;
}

static int compare_radios(const void *a, const void *b) {
        const Value *x = *(Value *const *) a, *y = *(Value *const *) b;

        return strcmp(value_object_get_string(x, "Name", ""), value_object_get_string(y, "Name", ""));
}

static int collect_radios(sd_bus *bus, Value **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_value_ Value *radios = value_new_array();
        const char *path;
        int r;

        if (!radios)
                return -ENOMEM;
        r = sd_bus_get_property(
                bus, TTLOCK_BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "Radios", &error, &reply, "ao");
        if (r < 0)
                return ctl_bus_error(&error, r);
        r = sd_bus_message_enter_container(reply, 'a', "o");
        while (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) > 0) {
                Value *props = NULL;

                /* A proxy removed by a reload meanwhile is not listed. */
                if (ctl_get_all(bus, path, RADIO_IFACE, /* quiet= */ true, &props) < 0)
                        continue;
                r = value_object_set(props, "Path", value_new_string(path));
                if (r >= 0)
                        r = value_array_append(radios, props);
                else
                        value_free(props);
        }
        if (r < 0)
                return ctl_error(r, _("Failed to read the radios: %s"), strerror(-r));
        qsort(radios->items, radios->n_items, sizeof(Value *), compare_radios);
        *ret = TAKE_PTR(radios);
        return 0;
}

int verb_radios(sd_bus *bus, int argc, char **argv) {
        _cleanup_value_ Value *radios = NULL;
        _cleanup_table_ Table *t = NULL;
        const char *headers[] = { _("NAME"),      _("KIND"),  _("ADDRESS"),
                                  _("CONNECTED"), _("SLOTS"), _("LAST ERROR") };
        int r;

        r = collect_radios(bus, &radios);
        if (r < 0)
                return r;
        if (arg_json) {
                value_dump_json(radios, stdout);
                fputc('\n', stdout);
                return 0;
        }
        t = table_new(ELEMENTSOF(headers), headers);
        if (!t)
                return -ENOMEM;
        table_set_header(t, arg_legend);
        table_set_align_right(t, 4, true);
        for (size_t i = 0; i < radios->n_items; i++) {
                const Value *x = radios->items[i];
                uint64_t slots = value_object_get_uint(x, "FreeConnectionSlots", 0);
                char buf[16];

                /* No limit of its own (a BlueZ adapter): UINT32_MAX on the bus. */
                if (slots >= UINT32_MAX)
                        snprintf(buf, sizeof(buf), "-");
                else
                        snprintf(buf, sizeof(buf), "%" PRIu64, slots);
                r = table_add_row(
                        t,
                        (const char *[]){
                                value_object_get_string(x, "Name", ""),
                                value_object_get_string(x, "Kind", ""),
                                value_object_get_string(x, "Address", ""),
                                value_object_get_bool(x, "Connected", false) ? _("yes") : _("no"),
                                buf,
                                value_object_get_string(x, "LastError", ""),
                        });
                if (r < 0)
                        return r;
        }
        if (table_get_rows(t) == 0) {
                if (arg_legend)
                        puts(_("No radios: no Bluetooth adapter, and no proxy in ttlockd.conf."));
                return 0;
        }
        return table_print(t, stdout);
}

int verb_reload(sd_bus *bus, int argc, char **argv) {
        return ctl_call(bus, MANAGER_PATH, MANAGER_IFACE, "ReloadConfiguration", 0, NULL, NULL);
}

/* "porch −61 dBm, hci0 −80 dBm" from Lock1.RadioRssi, strongest first. */
const char *ctl_radio_rssi(const Value *rssi, char *buf, size_t size) {
        bool *used;
        size_t n = 0;

        buf[0] = 0;
        if (!rssi || rssi->type != VALUE_OBJECT || rssi->n_items == 0)
                return buf;
        used = calloc(rssi->n_items, sizeof(bool));
        if (!used)
                return buf;
        for (size_t k = 0; k < rssi->n_items; k++) {
                size_t best = SIZE_MAX;
                char name[64];

                for (size_t i = 0; i < rssi->n_items; i++)
                        if (!used[i] && rssi->items[i]->type == VALUE_INT &&
                            (best == SIZE_MAX || rssi->items[i]->i > rssi->items[best]->i))
                                best = i;
                if (best == SIZE_MAX)
                        break;
                used[best] = true;
                n += (size_t) snprintf(
                        buf + n,
                        n < size ? size - n : 0,
                        "%s%s %" PRId64 " dBm",
                        n > 0 ? ", " : "",
                        ctl_radio_name(rssi->keys[best], name, sizeof(name)),
                        rssi->items[best]->i);
                if (n >= size)
                        break;
        }
        free(used);
        return buf;
}
