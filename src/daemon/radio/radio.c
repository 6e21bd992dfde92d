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
} Heard;

typedef struct DeviceView {
        char address[BT_ADDRESS_SIZE];
        Heard heard[RADIOS_PER_DEVICE_MAX];
        size_t n_heard;
        Radio *chosen;
} DeviceView;

struct RadioSet {
        RadioSetCallbacks cb;
        void *userdata;
        Hashmap *devices; /* address → DeviceView */
        Radio *radios[RADIOS_MAX + 1];
        size_t n_radios;
        bool monitor;
        bool discover;
        bool warned_full;
};

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
        if (r < 0) {
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

RadioSet *radio_set_free(RadioSet *s) {
        DeviceView *v;

        if (!s)
                return NULL;
        /* Backends free their radios first; what is left here is only memory. */
        assert(s->n_radios == 0);
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(s->devices, &i, (void **) &v, NULL);)
                free(v);
        hashmap_free(s->devices);
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

Radio *radio_set_best(RadioSet *s, const char *address, Radio *exclude) {
        char a[BT_ADDRESS_SIZE];
        const Heard *best = NULL, *chosen = NULL;
        uint64_t now = now_monotonic_usec();
        DeviceView *v;

        assert(s);
        if (bt_address_normalize(address, a) < 0)
                return NULL;
        v = hashmap_get(s->devices, a);
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n_heard; i++) {
                const Heard *h = &v->heard[i];

                if (h->radio == exclude || !h->radio->available)
                        continue;
                if (!best || heard_score(h, now) > heard_score(best, now))
                        best = h;
                if (h->radio == v->chosen)
                        chosen = h;
        }
        if (!best)
                return NULL;
        if (chosen && heard_score(best, now) < heard_score(chosen, now) + HYSTERESIS_DB)
                best = chosen;
        if (!exclude)
                v->chosen = best->radio;
        return best->radio;
}

bool radio_set_knows(RadioSet *s, const char *address) {
        assert(s);

        return radio_set_best(s, address, NULL);
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
        r = calloc(1, sizeof(Radio));
        if (!r)
                return -ENOMEM;
        *r = (Radio){ .set = s, .kind = kind, .ops = ops, .backend = backend_data };
        if (strdup_replace(&r->name, name) < 0 || strdup_replace(&r->backend_path, backend_path) < 0) {
                free(r->name);
                free(r);
                return -ENOMEM;
        }
        s->radios[s->n_radios++] = r;
        s->radios[s->n_radios] = NULL;
        if (s->cb.radios_changed)
                s->cb.radios_changed(s, s->userdata);
        *ret = r;
        return 0;
}

static void view_remove_radio(RadioSet *s, DeviceView *v, Radio *r) {
        for (size_t i = 0; i < v->n_heard; i++)
                if (v->heard[i].radio == r) {
                        v->heard[i] = v->heard[--v->n_heard];
                        break;
                }
        if (v->chosen == r)
                v->chosen = NULL;
        if (v->n_heard > 0)
                return;
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
        free(r);
        return NULL;
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
        if (r->set->cb.radios_changed)
                r->set->cb.radios_changed(r->set, r->set->userdata);
}

void radio_advert(Radio *r, const RadioAdvert *a) {
        RadioSet *s = r->set;
        char address[BT_ADDRESS_SIZE];
        DeviceView *v;
        Heard *h = NULL;

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
        }
        if (a->have_rssi) {
                h->have_rssi = true;
                h->rssi = a->rssi;
        }
        if (a->fresh || a->have_rssi)
                h->heard_usec = now_monotonic_usec();

        if (s->cb.advert)
                s->cb.advert(s, r, a, s->userdata);
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
