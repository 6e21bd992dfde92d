/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "string-util.h"

/* ---- the locks --------------------------------------------------------------------------------- */

Lock *manager_find_lock(Manager *m, const char *address) {
        char a[BT_ADDRESS_SIZE];

        assert(m);

        if (bt_address_normalize(address, a) < 0)
                return NULL;
        return hashmap_get(m->locks_by_address, a);
}

static int on_reap(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        while (m->graveyard) {
                Lock *l = m->graveyard;
                m->graveyard = l->next;
                lock_free(l);
        }
        return 0;
}

static int add_lock(Manager *m, const char *address, LockRecord *record, Lock **ret) {
        Lock *l;
        int r;

        r = lock_new(&m->lock_context, address, record, &l);
        if (r < 0)
                return r;
        r = hashmap_put(m->locks_by_address, l->address, l);
        if (r < 0) {
                l->record = NULL; /* still the caller's */
                lock_free(l);
                return r;
        }
        l->prev = NULL;
        l->next = m->locks;
        if (m->locks)
                m->locks->prev = l;
        m->locks = l;
        m->n_locks++;
        if (!record)
                m->n_unpaired++;
        log_debug(
                "%s: object added (%s).",
                l->address,
                !record                       ? "no keys"
                        : record->provisional ? "unproven keys"
                                              : "paired");
        if (m->observer && m->observer->lock_added)
                m->observer->lock_added(m, l, m->observer_data);
        if (ret)
                *ret = l;
        return 0;
}

static void remove_lock(Manager *m, Lock *l) {
        /* Every caller hears an answer while the object is still there for them. */
        lock_abort(l, "The lock went away.");
        if (m->observer && m->observer->lock_removed)
                m->observer->lock_removed(m, l, m->observer_data);
        lock_set_observer(l, NULL, NULL);

        hashmap_remove(m->locks_by_address, l->address);
        if (l->prev)
                l->prev->next = l->next;
        else
                m->locks = l->next;
        if (l->next)
                l->next->prev = l->prev;
        m->n_locks--;
        if (!l->record)
                m->n_unpaired--;
        log_debug("%s: object removed.", l->address);

        /* Freed later: we may be deep inside this lock's link (a reply handler), which must not be freed
         * under its own feet. */
        l->prev = NULL;
        l->next = m->graveyard;
        m->graveyard = l;
        if (!m->reaper && sd_event_add_defer(m->event, &m->reaper, on_reap, m) < 0) {
                log_oom();
                return;
        }
        (void) sd_event_source_set_enabled(m->reaper, SD_EVENT_ONESHOT);
}

static void update_monitor(Manager *m) {
        bool any = false;

        /* Scan with duplicates while any lock is paired, has keys waiting to be checked, or is being
         * imported: its events, and the chance to check them, come with its adverts. */
        for (Lock *l = m->locks; l && !any; l = l->next)
                any = l->record || l->provisional || l->calls;
        radio_set_scan(m->radios, any, m->discovering);
}

static void on_lock_settled(Lock *l, void *owner) {
        Manager *m = owner;

        /* An import that ended may have been all that kept the scan on. */
        update_monitor(m);
        /* Pairable objects live while the lock is pairable; a paired one until Forget(); one with keys
         * still to check until they are checked. */
        if (!l->record && !l->provisional && !l->pairable && !lock_busy(l) &&
            hashmap_get(m->locks_by_address, l->address) == l)
                remove_lock(m, l);
}

static void on_lock_paired_changed(Lock *l, void *owner) {
        Manager *m = owner;
        size_t n_unpaired = 0;

        for (Lock *i = m->locks; i; i = i->next)
                n_unpaired += !i->record;
        m->n_unpaired = n_unpaired;
        update_monitor(m);
}

/* ---- importing keys ---------------------------------------------------------------------------- */

int manager_import(
        Manager *m,
        LockRecord *record,
        bool verify,
        uint64_t deadline_usec,
        LockCallDone done,
        void *userdata,
        Lock **ret_lock,
        OpStatus *ret_status) {
        _cleanup_(lock_record_freep) LockRecord *r = record;
        bool created = false;
        Lock *l;
        int q;

        assert(m);
        assert(record);
        assert(ret_status);

        *ret_status = (OpStatus){};
        l = manager_find_lock(m, r->address);
        if (!l && !verify) {
                /* On disk before the object exists: it comes up as a lock with keys to check (lock_new()).
                 */
                r->provisional = true;
                q = store_save(m->store, r);
                if (q < 0)
                        return op_refuse(ret_status, OP_REFUSAL_NOT_SAVED, q, "The keys could not be saved");
                q = add_lock(m, r->address, r, &l);
                if (q < 0) {
                        (void) store_delete(m->store, r->address);
                        return op_refuse(ret_status, OP_REFUSAL_NOT_SAVED, q, "The lock could not be added");
                }
                log_info(
                        "%s: %s keys imported unverified; checked at the next contact.",
                        l->address,
                        lock_role_to_string(r->role));
                TAKE_PTR(r);
                update_monitor(m);
                if (ret_lock)
                        *ret_lock = l;
                return 1;
        }
        if (!l) {
                /* An object while the keys are proven; it goes again if they are not (on_lock_settled()). */
                q = add_lock(m, r->address, NULL, &l);
                if (q < 0)
                        return q;
                created = true;
        }
        if (!verify) {
                q = lock_set_provisional(l, TAKE_PTR(r), ret_status);
                if (q < 0)
                        return q;
                update_monitor(m);
                if (ret_lock)
                        *ret_lock = l;
                return 1;
        }
        q = lock_submit(
                l,
                &(LockRequest){ .kind = LOCK_REQUEST_IMPORT, .record = TAKE_PTR(r) },
                deadline_usec,
                done,
                userdata,
                ret_status);
        if (q < 0) {
                if (created)
                        on_lock_settled(l, m);
                return q;
        }
        update_monitor(m);
        if (ret_lock)
                *ret_lock = l;
        return 0;
}

/* ---- the radios -------------------------------------------------------------------------------- */

static void report(Manager *m, uint64_t properties) {
        if (m->observer && m->observer->changed)
                m->observer->changed(m, properties, m->observer_data);
}

static void on_advert(RadioSet *s, Radio *from, const RadioAdvert *a, void *userdata) {
        Manager *m = userdata;
        Lock *l = manager_find_lock(m, a->address);
        RadioAdvert own;
        TTAdvert ad;

        /* Adverts from every radio feed one view of the lock; its Rssi is the one of the radio that
         * reaches it (radio_set_chosen()), not whichever radio spoke last. */
        if (a->have_rssi && radio_set_chosen(s, a->address) != from) {
                own = *a;
                own.have_rssi = false;
                a = &own;
        }

        if (!l) {
                /* Only pairable locks seen while discovering become objects (Manager1.StartDiscovery). */
                if (!m->discovering || !a->have_mfr ||
                    ttlock_advert_parse_bluez(a->mfr_key, a->mfr, a->mfr_len, &ad, NULL) < 0 ||
                    !ad.setting_mode)
                        return;
                if (m->n_unpaired >= MANAGER_UNPAIRED_MAX) {
                        log_warning(
                                "Ignoring %s: already %u unpaired locks known.",
                                a->address,
                                MANAGER_UNPAIRED_MAX);
                        return;
                }
                if (add_lock(m, a->address, NULL, &l) < 0) {
                        log_warning("Cannot add an object for %s.", a->address);
                        return;
                }
                /* What made it an object is an advert, whatever the radio said of freshness. */
                RadioAdvert fresh = *a;
                fresh.fresh = true;
                lock_advert(l, &fresh);
                return;
        }
        lock_advert(l, a);
}

static void on_device_lost(RadioSet *s, const char *address, void *userdata) {
        Lock *l = manager_find_lock(userdata, address);

        if (l)
                lock_device_lost(l);
}

static void on_radios_changed(RadioSet *s, void *userdata) {
        report(userdata,
               MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_ADAPTERS) |
                       MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_RADIOS));
}

static void on_device_changed(RadioSet *s, const char *address, void *userdata) {
        Manager *m = userdata;
        Lock *l = manager_find_lock(m, address);

        if (l && m->observer && m->observer->lock_radios_changed)
                m->observer->lock_radios_changed(m, l, m->observer_data);
}

Radio *const *manager_radios(Manager *m) {
        assert(m);

        return radio_set_radios(m->radios);
}

Radio *manager_lock_radio(Manager *m, Lock *l) {
        Radio *r;

        assert(m);
        assert(l);
        r = l->link ? link_radio(l->link) : NULL;
        return r ?: radio_set_chosen(m->radios, l->address);
}

/* ---- configuration ----------------------------------------------------------------------------- */

static void proxies_free(Manager *m) {
        for (size_t i = 0; i < m->n_proxies; i++)
                esphome_proxy_free(m->proxies[i]);
        m->proxies = mfree(m->proxies);
        m->n_proxies = 0;
}

static EsphomeProxy *proxy_take(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_proxies; i++)
                if (m->proxies[i] && streq(radio_name(esphome_proxy_radio(m->proxies[i])), name))
                        return TAKE_PTR(m->proxies[i]);
        return NULL;
}

/* Puts c in force (it is m's now). Proxies whose configuration did not change keep their session and
 * their connections. */
static void apply_conf(Manager *m, Conf *c) {
        _cleanup_(conf_freep) Conf *old = m->conf;
        EsphomeProxy **running = m->proxies, **next;
        size_t n_running = m->n_proxies;
        int r;

        m->conf = c;
        next = calloc(c->n_proxies + 1, sizeof(EsphomeProxy *));
        if (!next) {
                log_oom();
                return;
        }
        /* Those that stay as they are move to the new list first; the others go before any is made,
         * so that a renamed or re-keyed proxy never meets its old self in the RadioSet. */
        for (size_t i = 0; i < c->n_proxies; i++) {
                const ConfProxy *want = &c->proxies[i];
                const ConfProxy *had = conf_find_proxy(old, want->name);

                if (had && conf_proxy_equal(had, want))
                        next[i] = proxy_take(m, want->name);
        }
        for (size_t i = 0; i < n_running; i++)
                if (running[i]) {
                        log_info(
                                "proxy %s: removed from the configuration.",
                                radio_name(esphome_proxy_radio(running[i])));
                        esphome_proxy_free(running[i]);
                }
        free(running);
        m->proxies = next;
        m->n_proxies = c->n_proxies;
        for (size_t i = 0; i < c->n_proxies; i++) {
                const ConfProxy *x = &c->proxies[i];

                if (next[i])
                        continue;
                r = esphome_proxy_new(
                        m->event,
                        m->radios,
                        &(EsphomeProxyConfig){
                                .name = x->name,
                                .host = x->host,
                                .port = x->port,
                                .psk = x->has_psk ? x->psk : NULL,
                        },
                        &m->esphome_timing,
                        &next[i]);
                if (r < 0)
                        log_error_errno(r, "proxy %s: cannot add it: %m", x->name);
                else
                        log_info(
                                "proxy %s: %s:%u, %s.",
                                x->name,
                                x->host,
                                x->port,
                                x->has_psk ? "encrypted" : "plaintext");
        }

        if (m->bluez) {
                r = bluez_set_adapters(m->bluez, c->adapters);
                if (r < 0)
                        log_error_errno(r, "Cannot change the BlueZ adapters in use: %m");
        }

        radio_set_unpin_all(m->radios);
        for (size_t i = 0; i < c->n_pins; i++) {
                if (!c->pins[i].radio[0])
                        continue; /* a [Lock] with a connection policy only */
                r = radio_set_pin(m->radios, c->pins[i].address, c->pins[i].radio);
                if (r < 0)
                        log_error_errno(
                                r, "%s: cannot pin it to %s: %m", c->pins[i].address, c->pins[i].radio);
        }

        /* [Link] BackoffSec=, BackoffMaxSec=, and every lock's connection policy (link-health.h). */
        m->lock_context.health_timing.backoff_min_usec = c->backoff_sec * USEC_PER_SEC;
        m->lock_context.health_timing.backoff_max_usec = c->backoff_max_sec * USEC_PER_SEC;
        for (Lock *l = m->locks; l; l = l->next)
                lock_apply_connection_policy(l);
        update_monitor(m);
}

/* LockContext.configured_policy: [Lock] of that address, else [Link]. */
static void on_configured_policy(
        const char *address, void *owner, ConnectionPolicy *ret_policy, unsigned *ret_keep_alive_sec) {
        Manager *m = owner;
        const ConfPin *pin = conf_find_lock(m->conf, address);

        if (!m->conf)
                return;
        if (pin && pin->connection.policy >= 0)
                *ret_policy = pin->connection.policy;
        else if (m->conf->connection.policy >= 0)
                *ret_policy = m->conf->connection.policy;
        if (pin && pin->connection.keep_alive_sec > 0)
                *ret_keep_alive_sec = pin->connection.keep_alive_sec;
        else if (m->conf->connection.keep_alive_sec > 0)
                *ret_keep_alive_sec = m->conf->connection.keep_alive_sec;
}

int manager_load_config(Manager *m, const char *path, char *error, size_t error_size) {
        Conf *c = NULL;
        int r;

        assert(m);
        if (path && strdup_replace(&m->conf_path, path) < 0)
                return -ENOMEM;
        if (!m->conf_path)
                return -EINVAL;
        r = conf_load(m->conf_path, &c, error, error_size);
        if (r < 0)
                return r;
        if (error_size > 0 && error[0])
                log_info("%s; using the defaults.", error);
        else
                log_info(
                        "Configuration read from %s: %zu prox%s, %zu [Lock] section(s).",
                        m->conf_path,
                        c->n_proxies,
                        c->n_proxies == 1 ? "y" : "ies",
                        c->n_pins);
        apply_conf(m, c);
        return 0;
}

int manager_adapters(Manager *m, const char ***ret) {
        Radio *const *radios = m->radios ? radio_set_radios(m->radios) : NULL;
        const char **v;
        size_t n = 0;

        assert(m);

        for (Radio *const *r = radios; r && *r; r++)
                n++;
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        n = 0;
        for (Radio *const *r = radios; r && *r; r++)
                if (radio_kind(*r) == RADIO_KIND_BLUEZ && radio_available(*r) && radio_backend_path(*r))
                        v[n++] = radio_backend_path(*r);
        *ret = v;
        return 0;
}

/* ---- discovery --------------------------------------------------------------------------------- */

void manager_stop_discovery(Manager *m, const char *why) {
        assert(m);

        if (!m->discovering)
                return;
        m->discovering = false;
        m->discovery_timer = sd_event_source_disable_unref(m->discovery_timer);
        update_monitor(m);
        log_info("Discovery stopped (%s).", why);
        report(m, MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_DISCOVERING));
}

static int on_discovery_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_stop_discovery(userdata, "time is up");
        return 0;
}

int manager_start_discovery(Manager *m) {
        bool any = false;
        int r;

        assert(m);

        for (Radio *const *radio = radio_set_radios(m->radios); *radio; radio++)
                any = any || radio_available(*radio);
        if (!any)
                return -ENETDOWN;
        if (m->discovering)
                return -EBUSY;
        r = sd_event_add_time_relative(
                m->event,
                &m->discovery_timer,
                CLOCK_MONOTONIC,
                MANAGER_DISCOVERY_USEC,
                0,
                on_discovery_timeout,
                m);
        if (r < 0)
                return r;
        m->discovering = true;
        update_monitor(m);
        report(m, MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_DISCOVERING));
        return 0;
}

/* ---- life cycle -------------------------------------------------------------------------------- */

/* A bounded number of seconds from the environment, for tests and slow hands. */
static uint64_t seconds_from_env(const char *name, unsigned long min, unsigned long max, uint64_t def) {
        const char *e = getenv(name);
        unsigned long v;
        char *end = NULL;

        if (!e || !*e)
                return def;
        errno = 0;
        v = strtoul(e, &end, 10);
        if (errno == 0 && end && !*end && v >= min && v <= max)
                return (uint64_t) v * USEC_PER_SEC;
        log_warning("Ignoring %s=%s (expected %lu…%lu).", name, e, min, max);
        return def;
}

int manager_new(sd_event *event, const char *state_dir, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        assert(event);
        assert(ret);
        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        /* No method may keep a caller waiting past ~20 s: waiting for the lock to appear, connect
         * retries and reply time-outs can add up to more on a bad day, so calls carry a deadline. */
        m->method_deadline_usec =
                seconds_from_env("TTLOCKD_METHOD_TIMEOUT_SEC", 1, 20, MANAGER_METHOD_DEADLINE_USEC);

        r = hashmap_new(&m->locks_by_address);
        if (r < 0)
                return r;
        r = store_open(state_dir, &m->store);
        if (r < 0)
                return log_error_errno(r, "Cannot open the key store: %m");
        r = radio_set_new(
                &(RadioSetCallbacks){ .advert = on_advert,
                                      .device_lost = on_device_lost,
                                      .radios_changed = on_radios_changed,
                                      .device_changed = on_device_changed },
                m,
                &m->radios);
        if (r < 0)
                return r;

        m->lock_context = (LockContext){
                .event = m->event,
                .store = m->store,
                .radios = m->radios,
                /* Bounded so that a typo cannot hold a lock for ever. */
                .enrollment_timeout_usec = seconds_from_env(
                        "TTLOCKD_ENROLLMENT_TIMEOUT_SEC", 1, 600, MANAGER_ENROLLMENT_TIMEOUT_USEC),
                .settled = on_lock_settled,
                .paired_changed = on_lock_paired_changed,
                .configured_policy = on_configured_policy,
                .owner = m,
        };
        esphome_timing_default(&m->esphome_timing);
        link_config_default(&m->lock_context.link_config);
        lock_timing_default(&m->lock_context.timing);
        link_health_timing_default(&m->lock_context.health_timing);
        /* Three connect attempts of 5 s each, then the commands, fit in the method deadline. */
        m->lock_context.link_config.connect_timeout_usec = 5 * USEC_PER_SEC;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->observer = NULL;
        while (m->locks) {
                Lock *l = m->locks;
                m->locks = l->next;
                /* Out of the table first: its key is the lock's own address, and the radios freed below
                 * still report the devices they drop (on_device_lost() looks them up). */
                hashmap_remove(m->locks_by_address, l->address);
                lock_free(l);
        }
        on_reap(NULL, m);
        sd_event_source_disable_unref(m->reaper);
        sd_event_source_disable_unref(m->discovery_timer);
        /* The links are gone, so no connection is left on the radios. */
        proxies_free(m);
        bluez_free(m->bluez);
        radio_set_free(m->radios);
        conf_free(m->conf);
        free(m->conf_path);
        hashmap_free(m->locks_by_address);
        store_free(m->store);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

void manager_set_observer(Manager *m, const ManagerObserver *observer, void *userdata) {
        assert(m);

        m->observer = observer;
        m->observer_data = userdata;
}

int manager_start(Manager *m, sd_bus *bus) {
        LockRecord **records = NULL;
        size_t n_records = 0;
        int r;

        assert(m);

        r = store_load_all(m->store, &records, &n_records);
        if (r < 0)
                return log_error_errno(r, "Cannot load the stored locks: %m");
        for (size_t i = 0; i < n_records; i++) {
                r = add_lock(m, records[i]->address, records[i], NULL);
                if (r < 0) {
                        log_error_errno(r, "Cannot add stored lock %s: %m", records[i]->address);
                        continue;
                }
                records[i] = NULL; /* adopted */
        }
        lock_records_free(records, n_records);
        log_info("%zu paired lock(s) loaded from %s.", m->n_locks, store_locks_path(m->store));

        r = bluez_new(bus, m->radios, &m->bluez);
        if (r < 0)
                return log_error_errno(r, "Cannot follow BlueZ: %m");
        if (m->conf)
                (void) bluez_set_adapters(m->bluez, m->conf->adapters);
        update_monitor(m);
        return 0;
}
