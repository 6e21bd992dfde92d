/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "log.h"
#include "radio.h"
#include "string-util.h"
#include "time-util.h"

/* A radio that has not heard a lock for this long competes for it as if it had not heard it at all
 * (BlueZ keeps devices it saw once; an ESPHome proxy forgets them): adverts come about once a second
 * (doc/protocol.md §1.5), so half a minute is many missed adverts. */
#define HEARD_RECENTLY_USEC (30 * USEC_PER_SEC)
/* Another radio must hear the lock this much better before connections move to it, so that two radios
 * at about the same distance do not take turns (RSSI jitters by a few dB from advert to advert). */
#define HYSTERESIS_DB 6
#define RSSI_NOT_HEARD (-1000)
/* A bound on the devices strangers' adverts can make us remember; backends pass TTLock devices only. */
#define RADIO_DEVICES_MAX 16384U
#define RADIOS_PER_DEVICE_MAX 16U
#define RADIOS_MAX 64U

struct Radio {
        RadioSet *set;
        RadioKind kind;
        char *name;
        char *backend_path;
        char *address;
        char *last_error;
        int free_slots; /* < 0: no limit known */
        const RadioOps *ops;
        void *backend;
        bool available;
        bool scanning;
        RadioConn *conns;
};

struct RadioWrite {
        RadioConn *conn;
        RadioWriteDone done;
        void *userdata;
        RadioWrite *next;
};

struct RadioConn {
        Radio *radio; /* NULL once the radio went away */
        char address[BT_ADDRESS_SIZE];
        RadioConnCallbacks cb;
        void *userdata;
        void *backend;
        bool reported_ready;
        bool reported_closed;
        RadioWrite *writes;
        RadioConn *next_in_radio;
};

typedef struct Heard {
        Radio *radio;
        bool have_rssi;
        int16_t rssi;
        uint64_t heard_usec; /* CLOCK_MONOTONIC; 0 = listed, never heard */
        bool reported;       /* device_changed has told of this radio's RSSI */
        int16_t reported_rssi;
} Heard;

typedef struct DeviceView {
        char address[BT_ADDRESS_SIZE];
        Heard heard[RADIOS_PER_DEVICE_MAX];
        size_t n_heard;
        Radio *chosen;
} DeviceView;

typedef struct Pin {
        char address[BT_ADDRESS_SIZE];
        char *radio;
} Pin;

struct RadioSet {
        RadioSetCallbacks cb;
        void *userdata;
        Hashmap *devices; /* address → DeviceView */
        Hashmap *pins;    /* address → Pin */
        Hashmap *batteries; /* address → BatteryLevel: what paired locks last reported */
        Radio *radios[RADIOS_MAX + 1];
        size_t n_radios;
        bool monitor;
        bool discover;
        bool warned_full;
};

/* A paired lock's battery, remembered so that a radio that appears later (an adapter plugged in, BlueZ
 * back after a restart) is told it too (radio_set_battery()). */
typedef struct BatteryLevel {
        char address[BT_ADDRESS_SIZE]; /* the map's key */
        int percentage;
} BatteryLevel;

static const char *const kind_names[_RADIO_KIND_MAX] = {
        [RADIO_KIND_BLUEZ] = "bluez",
        [RADIO_KIND_ESPHOME] = "esphome",
};

const char *radio_kind_to_string(RadioKind k) {
        return k >= 0 && k < _RADIO_KIND_MAX ? kind_names[k] : NULL;
}

/* ---- the set ----------------------------------------------------------------------------------- */

int radio_set_new(const RadioSetCallbacks *cb, void *userdata, RadioSet **ret) {
        RadioSet *s;
        int r;

        assert(cb);
        assert(ret);
        s = calloc(1, sizeof(RadioSet));
        if (!s)
                return -ENOMEM;
        s->cb = *cb;
        s->userdata = userdata;
        r = hashmap_new(&s->devices);
        if (r >= 0)
                r = hashmap_new(&s->pins);
        if (r >= 0)
                r = hashmap_new(&s->batteries);
        if (r < 0) {
                hashmap_free(s->devices);
                hashmap_free(s->pins);
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static void pins_free(RadioSet *s) {
        Pin *p;

        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->pins, &i, (void **) &p, NULL);) {
                hashmap_remove(s->pins, p->address);
                free(p->radio);
                free(p);
        }
}

RadioSet *radio_set_free(RadioSet *s) {
        BatteryLevel *b;
        DeviceView *v;

        if (!s)
                return NULL;
        /* Backends free their radios first; what is left here is only memory. */
        assert(s->n_radios == 0);
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->devices, &i, (void **) &v, NULL);)
                free(v);
        hashmap_free(s->devices);
        pins_free(s);
        hashmap_free(s->pins);
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->batteries, &i, (void **) &b, NULL);) {
                hashmap_remove(s->batteries, b->address);
                free(b);
        }
        hashmap_free(s->batteries);
        free(s);
        return NULL;
}

static void radio_apply_scan(Radio *r) {
        bool on = r->available && (r->set->monitor || r->set->discover);

        if (r->scanning == on || !r->ops->set_scan)
                return;
        r->scanning = on;
        r->ops->set_scan(r, on);
}

void radio_set_scan(RadioSet *s, bool monitor, bool discover) {
        assert(s);
        s->monitor = monitor;
        s->discover = discover;
        for (size_t i = 0; i < s->n_radios; i++)
                radio_apply_scan(s->radios[i]);
}

bool radio_set_scanning(const RadioSet *s) {
        assert(s);

        for (size_t i = 0; i < s->n_radios; i++)
                if (s->radios[i]->scanning)
                        return true;
        return false;
}

Radio *const *radio_set_radios(RadioSet *s) {
        assert(s);

        return s->radios;
}

static int heard_score(const Heard *h, uint64_t now) {
        if (!h->have_rssi || h->heard_usec == 0 || now - h->heard_usec > HEARD_RECENTLY_USEC)
                return RSSI_NOT_HEARD;
        return h->rssi;
}

static bool may_carry(RadioSet *s, const DeviceView *v, const Radio *r) {
        const Pin *p = hashmap_get(s->pins, v->address);

        return r->available && (!p || streq(p->radio, r->name));
}

/* The choice for v from scratch, with hysteresis against what was chosen before: another radio must hear
 * the lock HYSTERESIS_DB better to take over. */
static Radio *view_choose(RadioSet *s, const DeviceView *v) {
        const Heard *best = NULL, *chosen = NULL;
        uint64_t now = now_monotonic_usec();

        for (size_t i = 0; i < v->n_heard; i++) {
                const Heard *h = &v->heard[i];

                if (!may_carry(s, v, h->radio))
                        continue;
                if (!best || heard_score(h, now) > heard_score(best, now))
                        best = h;
                if (h->radio == v->chosen)
                        chosen = h;
        }
        if (!best)
                return NULL;
        if (chosen && heard_score(best, now) < heard_score(chosen, now) + HYSTERESIS_DB)
                return chosen->radio;
        return best->radio;
}

static void view_report(RadioSet *s, DeviceView *v) {
        if (s->cb.device_changed)
                s->cb.device_changed(s, v->address, s->userdata);
}

/* Chooses again; true when the choice changed. */
static bool view_update(RadioSet *s, DeviceView *v) {
        Radio *r = view_choose(s, v);

        if (r == v->chosen)
                return false;
        log_debug(
                "%s: connections go through %s now.", v->address, r ? r->name : "no radio (none qualifies)");
        v->chosen = r;
        return true;
}

static void update_all(RadioSet *s) {
        DeviceView *v;
        char **changed = NULL;
        size_t n = 0;

        /* Reported after the walk: the callback may change the map. */
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->devices, &i, (void **) &v, NULL);)
                if (view_update(s, v)) {
                        char **p = reallocarray(changed, n + 1, sizeof(char *));

                        if (!p || !(p[n] = strdup(v->address))) {
                                changed = p ?: changed;
                                log_oom();
                                break;
                        }
                        changed = p;
                        n++;
                }
        for (size_t i = 0; i < n; i++) {
                v = hashmap_get(s->devices, changed[i]);
                if (v)
                        view_report(s, v);
                free(changed[i]);
        }
        free(changed);
}

static DeviceView *view_of(RadioSet *s, const char *address) {
        char a[BT_ADDRESS_SIZE];

        if (bt_address_normalize(address, a) < 0)
                return NULL;
        return hashmap_get(s->devices, a);
}

Radio *radio_set_chosen(RadioSet *s, const char *address) {
        DeviceView *v;

        assert(s);
        v = view_of(s, address);
        return v ? v->chosen : NULL;
}

Radio *radio_set_best(RadioSet *s, const char *address, Radio *exclude) {
        const Heard *best = NULL;
        uint64_t now = now_monotonic_usec();
        DeviceView *v;

        assert(s);
        v = view_of(s, address);
        if (!v)
                return NULL;
        if (view_update(s, v))
                view_report(s, v);
        v = view_of(s, address);
        if (!v)
                return NULL;
        if (v->chosen && v->chosen != exclude && v->chosen->free_slots != 0)
                return v->chosen;
        /* The chosen radio cannot take it: the best of the others, without hysteresis (nothing is
         * chosen by this, so nothing can flap). */
        for (size_t i = 0; i < v->n_heard; i++) {
                const Heard *h = &v->heard[i];

                if (h->radio == exclude || h->radio->free_slots == 0 || !may_carry(s, v, h->radio))
                        continue;
                if (!best || heard_score(h, now) > heard_score(best, now))
                        best = h;
        }
        return best ? best->radio : NULL;
}

bool radio_set_knows(RadioSet *s, const char *address) {
        DeviceView *v;

        assert(s);
        v = view_of(s, address);
        for (size_t i = 0; v && i < v->n_heard; i++)
                if (may_carry(s, v, v->heard[i].radio))
                        return true;
        return false;
}

size_t radio_set_heard(RadioSet *s, const char *address, RadioHeard *ret, size_t max) {
        DeviceView *v;
        size_t n = 0;

        assert(s);
        v = view_of(s, address);
        for (size_t i = 0; v && i < v->n_heard && n < max; i++)
                ret[n++] = (RadioHeard){
                        .radio = v->heard[i].radio,
                        .have_rssi = v->heard[i].have_rssi,
                        .rssi = v->heard[i].rssi,
                        .heard_usec = v->heard[i].heard_usec,
                };
        return n;
}

/* ---- pins -------------------------------------------------------------------------------------- */

void radio_set_battery(RadioSet *s, const char *address, int percentage) {
        char a[BT_ADDRESS_SIZE];
        BatteryLevel *b;

        assert(s);
        if (bt_address_normalize(address, a) < 0 || percentage > 100)
                return;
        b = hashmap_get(s->batteries, a);
        if (percentage < 0) {
                if (!b)
                        return;
                hashmap_remove(s->batteries, a);
                free(b);
        } else if (b) {
                if (b->percentage == percentage)
                        return;
                b->percentage = percentage;
        } else {
                b = calloc(1, sizeof(BatteryLevel));
                if (!b) {
                        log_oom();
                        return;
                }
                memcpy(b->address, a, sizeof(a));
                b->percentage = percentage;
                if (hashmap_put(s->batteries, b->address, b) < 0) {
                        free(b);
                        log_oom();
                        return;
                }
        }
        for (size_t i = 0; i < s->n_radios; i++)
                if (s->radios[i]->ops->set_battery)
                        s->radios[i]->ops->set_battery(s->radios[i], a, percentage);
}

int radio_set_pin(RadioSet *s, const char *address, const char *radio_name) {
        char a[BT_ADDRESS_SIZE];
        DeviceView *v;
        Pin *p;
        int r;

        assert(s);
        if (bt_address_normalize(address, a) < 0)
                return -EINVAL;
        p = hashmap_get(s->pins, a);
        if (!radio_name) {
                if (!p)
                        return 0;
                hashmap_remove(s->pins, a);
                free(p->radio);
                free(p);
        } else if (p) {
                if (strdup_replace(&p->radio, radio_name) < 0)
                        return -ENOMEM;
        } else {
                if (hashmap_size(s->pins) >= RADIO_PINS_MAX)
                        return -E2BIG;
                p = calloc(1, sizeof(Pin));
                if (!p)
                        return -ENOMEM;
                memcpy(p->address, a, sizeof(a));
                p->radio = strdup(radio_name);
                r = p->radio ? hashmap_put(s->pins, p->address, p) : -ENOMEM;
                if (r < 0) {
                        free(p->radio);
                        free(p);
                        return r;
                }
        }
        v = hashmap_get(s->devices, a);
        if (v && view_update(s, v))
                view_report(s, v);
        return 0;
}

void radio_set_unpin_all(RadioSet *s) {
        assert(s);
        if (hashmap_size(s->pins) == 0)
                return;
        pins_free(s);
        update_all(s);
}

const char *radio_set_pinned(RadioSet *s, const char *address) {
        char a[BT_ADDRESS_SIZE];
        const Pin *p;

        assert(s);
        if (bt_address_normalize(address, a) < 0)
                return NULL;
        p = hashmap_get(s->pins, a);
        return p ? p->radio : NULL;
}

/* ---- radios ------------------------------------------------------------------------------------ */

int radio_new(
        RadioSet *s,
        RadioKind kind,
        const char *name,
        const char *backend_path,
        const RadioOps *ops,
        void *backend_data,
        Radio **ret) {
        Radio *r;

        assert(s);
        assert(name);
        assert(ops);
        assert(ret);
        if (s->n_radios >= RADIOS_MAX)
                return log_warning_errno(-E2BIG, "Ignoring radio %s: already %u radios.", name, RADIOS_MAX);
        /* Names are what pins, the bus and the user call radios by. */
        if (radio_set_find(s, name))
                return log_warning_errno(-EEXIST, "Ignoring a second radio called %s.", name);
        r = calloc(1, sizeof(Radio));
        if (!r)
                return -ENOMEM;
        *r = (Radio){ .set = s, .kind = kind, .ops = ops, .backend = backend_data, .free_slots = -1 };
        if (strdup_replace(&r->name, name) < 0 || strdup_replace(&r->backend_path, backend_path) < 0) {
                free(r->name);
                free(r);
                return -ENOMEM;
        }
        s->radios[s->n_radios++] = r;
        s->radios[s->n_radios] = NULL;
        if (ops->set_battery) {
                BatteryLevel *b;

                for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->batteries, &i, (void **) &b, NULL);)
                        ops->set_battery(r, b->address, b->percentage);
        }
        if (s->cb.radios_changed)
                s->cb.radios_changed(s, s->userdata);
        *ret = r;
        return 0;
}

static void view_remove_radio(RadioSet *s, DeviceView *v, Radio *r) {
        bool found = false;

        for (size_t i = 0; i < v->n_heard; i++)
                if (v->heard[i].radio == r) {
                        /* Kept in the order the radios first heard it (radio_set_heard()). */
                        memmove(&v->heard[i], &v->heard[i + 1], (v->n_heard - i - 1) * sizeof(Heard));
                        v->n_heard--;
                        found = true;
                        break;
                }
        if (!found)
                return;
        if (v->chosen == r)
                v->chosen = NULL;
        if (v->n_heard > 0) {
                (void) view_update(s, v);
                view_report(s, v);
                return;
        }
        hashmap_remove(s->devices, v->address);
        if (s->cb.device_lost)
                s->cb.device_lost(s, v->address, s->userdata);
        free(v);
}

Radio *radio_free(Radio *r) {
        RadioSet *s;
        DeviceView *v;

        if (!r)
                return NULL;
        s = r->set;
        /* Connections still open are cut off from the radio: their user hears nothing more from it
         * (the backend closed them before, as radio.h asks) and may free them later. */
        for (RadioConn *c = r->conns; c; c = c->next_in_radio)
                c->radio = NULL;
        for (size_t i = 0; i < s->n_radios; i++)
                if (s->radios[i] == r) {
                        memmove(&s->radios[i], &s->radios[i + 1], (s->n_radios - i) * sizeof(Radio *));
                        s->n_radios--;
                        break;
                }
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->devices, &i, (void **) &v, NULL);)
                view_remove_radio(s, v, r);
        if (s->cb.radios_changed)
                s->cb.radios_changed(s, s->userdata);
        free(r->name);
        free(r->backend_path);
        free(r->address);
        free(r->last_error);
        free(r);
        return NULL;
}

Radio *radio_set_find(RadioSet *s, const char *name) {
        assert(s);

        for (size_t i = 0; name && i < s->n_radios; i++)
                if (streq(s->radios[i]->name, name))
                        return s->radios[i];
        return NULL;
}

const char *radio_address(const Radio *r) {
        assert(r);

        return strempty_or(r->address);
}

int radio_free_slots(const Radio *r) {
        assert(r);

        return r->free_slots;
}

const char *radio_last_error(const Radio *r) {
        assert(r);

        return strempty_or(r->last_error);
}

static void radios_changed(RadioSet *s) {
        if (s->cb.radios_changed)
                s->cb.radios_changed(s, s->userdata);
}

void radio_set_address(Radio *r, const char *address) {
        assert(r);

        if (strdup_replace(&r->address, isempty(address) ? NULL : address) > 0)
                radios_changed(r->set);
}

void radio_set_free_slots(Radio *r, int free_slots) {
        assert(r);

        if (free_slots < 0)
                free_slots = -1;
        if (r->free_slots == free_slots)
                return;
        r->free_slots = free_slots;
        radios_changed(r->set);
}

void radio_set_last_error(Radio *r, const char *error) {
        assert(r);

        if (strdup_replace(&r->last_error, isempty(error) ? NULL : error) > 0)
                radios_changed(r->set);
}

RadioKind radio_kind(const Radio *r) {
        assert(r);

        return r->kind;
}

const char *radio_name(const Radio *r) {
        assert(r);

        return r->name;
}

const char *radio_backend_path(const Radio *r) {
        assert(r);

        return r->backend_path;
}

bool radio_available(const Radio *r) {
        assert(r);

        return r->available;
}

void *radio_backend_data(const Radio *r) {
        assert(r);

        return r->backend;
}

void radio_set_available(Radio *r, bool available) {
        assert(r);

        if (r->available == available)
                return;
        r->available = available;
        /* A radio that comes back (adapter powered again) has forgotten its scan. */
        r->scanning = false;
        radio_apply_scan(r);
        radios_changed(r->set);
        /* The locks it carried go through another radio now, or come back to it. */
        update_all(r->set);
}

void radio_advert(Radio *r, const RadioAdvert *a) {
        RadioSet *s = r->set;
        char address[BT_ADDRESS_SIZE];
        DeviceView *v;
        Heard *h = NULL;
        bool changed = false;

        assert(r);

        if (bt_address_normalize(a->address, address) < 0)
                return;
        v = hashmap_get(s->devices, address);
        if (!v) {
                if (hashmap_size(s->devices) >= RADIO_DEVICES_MAX) {
                        if (!s->warned_full)
                                log_warning("Ignoring new devices: already %u known.", RADIO_DEVICES_MAX);
                        s->warned_full = true;
                        return;
                }
                v = calloc(1, sizeof(DeviceView));
                if (!v) {
                        log_oom();
                        return;
                }
                memcpy(v->address, address, sizeof(address));
                if (hashmap_put(s->devices, v->address, v) < 0) {
                        free(v);
                        log_oom();
                        return;
                }
        }
        for (size_t i = 0; i < v->n_heard; i++)
                if (v->heard[i].radio == r)
                        h = &v->heard[i];
        if (!h) {
                if (v->n_heard >= RADIOS_PER_DEVICE_MAX)
                        return;
                h = &v->heard[v->n_heard++];
                *h = (Heard){ .radio = r };
                changed = true;
        }
        if (a->have_rssi) {
                h->have_rssi = true;
                h->rssi = a->rssi;
        }
        if (a->fresh || a->have_rssi)
                h->heard_usec = now_monotonic_usec();
        changed = view_update(s, v);
        if (h->have_rssi && (!h->reported || abs(h->rssi - h->reported_rssi) >= RADIO_RSSI_REPORT_DB)) {
                h->reported = true;
                h->reported_rssi = h->rssi;
                changed = true;
        }

        if (s->cb.advert)
                s->cb.advert(s, r, a, s->userdata);
        /* After the advert: a lock the registry makes from it hears of its radios too. The callback
         * may have changed the map. */
        if (changed && (v = hashmap_get(s->devices, address)))
                view_report(s, v);
}

void radio_device_lost(Radio *r, const char *address) {
        char a[BT_ADDRESS_SIZE];
        DeviceView *v;

        assert(r);

        if (bt_address_normalize(address, a) < 0)
                return;
        v = hashmap_get(r->set->devices, a);
        if (v)
                view_remove_radio(r->set, v, r);
}

/* ---- connections ------------------------------------------------------------------------------- */

int radio_connect(
        Radio *r,
        const char *address,
        uint64_t timeout_usec,
        const RadioConnCallbacks *cb,
        void *userdata,
        RadioConn **ret) {
        RadioConn *c;
        int res;

        assert(r);
        assert(cb);
        assert(ret);
        c = calloc(1, sizeof(RadioConn));
        if (!c)
                return -ENOMEM;
        if (bt_address_normalize(address, c->address) < 0) {
                free(c);
                return -EINVAL;
        }
        c->radio = r;
        c->cb = *cb;
        c->userdata = userdata;
        c->next_in_radio = r->conns;
        r->conns = c;
        res = r->ops->connect(r, c, timeout_usec);
        if (res < 0) {
                radio_conn_free(c);
                return res;
        }
        *ret = c;
        return 0;
}

static void conn_unlink(RadioConn *c) {
        if (!c->radio)
                return;
        for (RadioConn **p = &c->radio->conns; *p; p = &(*p)->next_in_radio)
                if (*p == c) {
                        *p = c->next_in_radio;
                        break;
                }
}

RadioConn *radio_conn_free(RadioConn *c) {
        if (!c)
                return NULL;
        if (c->radio && c->radio->ops->release)
                c->radio->ops->release(c->radio, c);
        conn_unlink(c);
        while (c->writes) {
                RadioWrite *w = c->writes;
                c->writes = w->next;
                free(w);
        }
        free(c);
        return NULL;
}

int radio_conn_write(RadioConn *c, const uint8_t *data, size_t len, RadioWriteDone done, void *userdata) {
        RadioWrite *w, **p;
        int r;

        assert(c);
        if (!c->radio || !c->reported_ready || c->reported_closed)
                return -ENOTCONN;
        w = calloc(1, sizeof(RadioWrite));
        if (!w)
                return -ENOMEM;
        *w = (RadioWrite){ .conn = c, .done = done, .userdata = userdata };
        for (p = &c->writes; *p; p = &(*p)->next)
                ;
        *p = w;
        r = c->radio->ops->write(c->radio, c, data, len, w);
        if (r < 0) {
                *p = NULL;
                free(w);
                return r;
        }
        return 0;
}

void radio_write_done(RadioWrite *w, int error) {
        RadioConn *c = w->conn;
        RadioWriteDone done = w->done;
        void *userdata = w->userdata;

        assert(w);

        for (RadioWrite **p = &c->writes; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        free(w);
        if (done)
                done(c, error, userdata);
}

void radio_conn_disconnect(RadioConn *c) {
        assert(c);

        if (c->radio && c->radio->ops->disconnect)
                c->radio->ops->disconnect(c->radio, c);
}

Radio *radio_conn_radio(RadioConn *c) {
        assert(c);

        return c->radio;
}

const char *radio_conn_address(RadioConn *c) {
        assert(c);

        return c->address;
}

void *radio_conn_backend_data(const RadioConn *c) {
        assert(c);

        return c->backend;
}

void radio_conn_set_backend_data(RadioConn *c, void *data) {
        assert(c);

        c->backend = data;
}

void radio_conn_ready(RadioConn *c, int error, const char *why) {
        assert(c);

        if (c->reported_ready)
                return;
        c->reported_ready = true;
        if (error < 0)
                /* A connection that never came up is also closed: nothing more will be said of it. */
                c->reported_closed = true;
        if (c->cb.ready)
                c->cb.ready(c, error, why, c->userdata);
}

void radio_conn_notification(RadioConn *c, const uint8_t *data, size_t len) {
        assert(c);

        if (c->reported_ready && !c->reported_closed && c->cb.notification)
                c->cb.notification(c, data, len, c->userdata);
}

void radio_conn_closed(RadioConn *c, int error) {
        assert(c);

        if (!c->reported_ready) {
                radio_conn_ready(
                        c, error < 0 ? error : -ENOTCONN, "the connection was lost while setting up");
                return;
        }
        if (c->reported_closed)
                return;
        c->reported_closed = true;
        if (c->cb.closed)
                c->cb.closed(c, error, c->userdata);
}
