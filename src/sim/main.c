/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-sim: simulated TTLock V3 door locks behind a fake BlueZ on the system bus (man/ttlock-sim.1). */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "bluez.h"
#include "crypto.h"
#include "esphome-proxy.h"
#include "lock-owner.h"
#include "lock.h"
#include "log.h"
#include "options.h"
#include "radio.h"
#include "sim-util.h"
#include "sim1.h"
#include "state.h"

static int compare_locks(const void *a, const void *b) {
        const SimLock *const *x = a, *const *y = b;

        return memcmp((*x)->address, (*y)->address, 6);
}

static int compare_key(const void *key, const void *b) {
        const SimLock *const *y = b;

        return memcmp(key, (*y)->address, 6);
}

SimLock *sim_find_lock(Sim *s, const uint8_t address[6]) {
        SimLock **l = bsearch(address, s->locks, s->n_locks, sizeof(SimLock *), compare_key);

        return l ? *l : NULL;
}

static int create_locks(Sim *s, const SimOptions *o) {
        s->locks = new0(SimLock *, o->n_locks);
        if (!s->locks)
                return log_oom();
        for (size_t i = 0; i < o->n_locks; i++) {
                const SimLockSpec *spec = &o->locks[i];
                SimLock *l = new0(SimLock, 1);
                int r;

                if (!l)
                        return log_oom();
                s->locks[s->n_locks++] = l;
                l->sim = s;
                l->index = (unsigned) i;
                memcpy(l->address, spec->address, 6);
                (void) ttlock_address_to_string(l->address, l->address_str);
                bluez_device_path(0, l->address, l->path);
                for (unsigned a = 0; a < SIM_ADAPTERS_MAX; a++)
                        bluez_device_path(a, l->address, l->view[a].path);
                strcpy(l->model, spec->model);
                strcpy(l->hardware, spec->hardware);
                strcpy(l->firmware, spec->firmware);
                strcpy(l->manufacture_date, "20230524");
                /* §6: "<model>_<hex>", hex = MAC bytes 6, 5, 4 in lower case. */
                if (isempty(spec->name))
                        (void) snprintf(
                                l->name,
                                sizeof(l->name),
                                "%s_%02x%02x%02x",
                                spec->model,
                                l->address[5],
                                l->address[4],
                                l->address[3]);
                else
                        strcpy(l->name, spec->name);
                l->features = spec->features;
                l->battery = spec->battery;
                l->rssi = spec->rssi;
                for (unsigned a = 0; a < SIM_ADAPTERS_MAX; a++)
                        l->view[a].rssi = spec->rssi;
                l->locked = spec->locked;
                l->sound = true;
                l->volume = 3;
                l->switch_values = 0x02; /* reset button enabled */
                r = lock_setup(l, spec->slots);
                if (r < 0)
                        return log_oom();
                lock_owner_apply(l, spec);
        }
        qsort(s->locks, s->n_locks, sizeof(SimLock *), compare_locks);
        return 0;
}

static void free_locks(Sim *s) {
        for (size_t i = 0; i < s->n_locks; i++) {
                SimLock *l = s->locks[i];

                radio_free(l);
                l->connect_timer = sd_event_source_disable_unref(l->connect_timer);
                l->connect_call = sd_bus_message_unref(l->connect_call);
                free(l->notify_client);
                free(l->battery_object);
                free(l->battery_source);
                lock_free(l);
                free(l);
        }
        s->locks = mfree(s->locks);
        s->n_locks = 0;
}

static int open_bus(const char *address, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!address)
                return sd_bus_open_system(ret);
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(bus);
        return 0;
}

/* A lock's link is held by the fake BlueZ or by one of the fake proxies (whichever the client
 * connected through); what the radio habits send or drop goes there. */
static void deliver(SimLock *l, const uint8_t *chunk, size_t len) {
        if (l->link_proxy)
                proxy_notify(l, chunk, len);
        else
                bluez_gatt_notify(l, chunk, len);
}

static void drop(SimLock *l, const char *why) {
        if (l->link_proxy)
                proxy_link_lost(l, why);
        else
                bluez_device_disconnect(l, why);
}

static const SimRadioHooks radio_hooks = {
        .deliver = deliver,
        .drop = drop,
        .due = lock_timer_due,
        .factory_reset = lock_factory_reset,
};

static int run(int argc, char *argv[]) {
        _cleanup_(options_done) SimOptions o = {};
        Sim s = { .radio_hooks = &radio_hooks };
        sigset_t mask;
        int r;

        r = options_parse(argc, argv, &o);
        if (r <= 0)
                return r;
        log_set_max_level(o.log_level);

        r = ttlock_crypto_init();
        if (r < 0)
                return log_error_errno(r, "libgcrypt is unusable: %m");

        s.timing = o.timing;
        s.state_path = o.state_path;
        s.experimental = o.experimental;
        r = create_locks(&s, &o);
        if (r < 0)
                goto finish;
        if (s.state_path) {
                r = state_load(&s);
                if (r < 0)
                        goto finish;
        }
        if (o.print_lockdata) {
                /* What the app holds for these locks, as the state file (if any) left them; no bus. */
                r = lock_owner_print(&s, o.print_lockdata, stdout);
                goto finish;
        }

        r = sd_event_default(&s.event);
        if (r < 0) {
                log_error_errno(r, "Failed to allocate the event loop: %m");
                goto finish;
        }
        (void) sigemptyset(&mask);
        (void) sigaddset(&mask, SIGTERM);
        (void) sigaddset(&mask, SIGINT);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(s.event, NULL, SIGTERM, NULL, NULL);
        (void) sd_event_add_signal(s.event, NULL, SIGINT, NULL, NULL);

        r = open_bus(o.bus_address, &s.bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the bus %s: %m", o.bus_address ?: "(system)");
                goto finish;
        }
        r = sd_bus_attach_event(s.bus, s.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto finish;

        r = bluez_adapter_register(&s, o.n_adapters);
        if (r >= 0)
                r = bluez_device_register(&s);
        if (r >= 0)
                r = bluez_gatt_register(&s);
        if (r >= 0)
                r = bluez_battery_register(&s);
        if (r >= 0)
                r = sim1_register(&s);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < o.n_proxies && r >= 0; i++)
                r = proxy_create(&s, &o.proxies[i]);
        if (r < 0)
                goto finish;

        for (size_t i = 0; i < s.n_locks; i++) {
                s.locks[i]->last_activity = sim_now(&s);
                radio_update(s.locks[i]);
        }

        r = sd_bus_request_name(s.bus, "org.bluez", 0);
        if (r < 0) {
                log_error_errno(
                        r,
                        "Failed to own org.bluez (is bluetoothd running, or does the bus policy "
                        "forbid it?): %m");
                goto finish;
        }
        log_info("ttlock-sim: %zu lock(s) on %s.", s.n_locks, o.bus_address ?: "the system bus");

        r = sd_event_loop(s.event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        log_debug("%" PRIu64 " exchanges answered.", s.exchanges);

finish:
        if (s.state_path && s.event)
                (void) state_flush(&s);
        proxy_free_all(&s);
        bluez_battery_free(&s);
        bluez_adapter_free(&s);
        state_free(&s);
        free_locks(&s);
        s.bus = sd_bus_flush_close_unref(s.bus);
        s.event = sd_event_unref(s.event);
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
