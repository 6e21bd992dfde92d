/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connections through an ESPHome proxy (esphome.h has the sequence): the RadioOps the RadioSet
 * calls, and what the proxy says of each connection (BluetoothDeviceConnectionResponse, the services,
 * write and notify answers, GATT errors, notification data). The session they ride on is
 * esphome-session.c's. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp-message.h"
#include "esphome-internal.h"
#include "log.h"
#include "macro.h"

/* doc/protocol.md §1.1: the TTLock characteristics; 0x2902 is the CCCD (Bluetooth Core Vol 3 Part G
 * §3.3.3.3). */
#define UUID_WRITE 0xFFF2
#define UUID_NOTIFY 0xFFF4
#define UUID_CCCD 0x2902
/* ATT characteristic properties (Core Vol 3 Part G §3.3.1.1). */
#define PROP_WRITE_NO_RESPONSE 0x04
#define PROP_WRITE 0x08

/* "AA:BB:CC:DD:EE:FF", as radio.c normalized it. */
static int mac_parse(const char *s, uint8_t a[6]) {
        unsigned v[6];

        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
                return -EINVAL;
        for (size_t i = 0; i < 6; i++)
                a[i] = (uint8_t) v[i];
        return 0;
}

/* ---- connections ------------------------------------------------------------------------------- */

EspConn *esphome_gatt_find(EsphomeProxy *p, uint64_t mac, bool live) {
        /* The live connection to an address, else one still draining there. */
        EspConn *draining = NULL;

        assert(p);

        for (EspConn *c = p->conns; c; c = c->next)
                if (c->mac == mac) {
                        if (c->state != CONN_DRAINING)
                                return c;
                        draining = draining ?: c;
                }
        return live ? NULL : draining;
}

static void conn_unlink(EspConn *c) {
        EsphomeProxy *p = c->proxy;

        for (EspConn **i = &p->conns; *i; i = &(*i)->next)
                if (*i == c) {
                        *i = c->next;
                        p->n_conns--;
                        break;
                }
}

static void conn_free(EspConn *c) {
        if (!c)
                return;
        conn_unlink(c);
        if (c->conn)
                radio_conn_set_backend_data(c->conn, NULL);
        esphome_disarm(&c->timer);
        esphome_disarm(&c->sent_source);
        free(c);
}

static int on_drained(sd_event_source *s, uint64_t usec, void *userdata) {
        conn_free(userdata);
        return 0;
}

static void conn_end(EspConn *c, int error, const char *why, bool disconnect);

static int on_disconnect_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        /* The proxy never confirmed: closed anyway (radio.h promises closed() after a disconnect). */
        conn_end(userdata, 0, NULL, /* disconnect= */ false);
        return 0;
}

/* The connection is no longer its user's: ask the proxy to let the lock go (unless it said already
 * that the link is gone), and swallow what it still says of it for a moment — a connect answered after
 * we gave up on it, the disconnect's own answer — so that a new connection to the lock does not take
 * those for its own. */
static void conn_drain(EspConn *c, bool send_disconnect) {
        EsphomeProxy *p = c->proxy;

        if (c->conn)
                radio_conn_set_backend_data(c->conn, NULL);
        c->conn = NULL;
        c->n_writes = c->n_sent = 0;
        esphome_disarm(&c->sent_source);
        c->state = CONN_DRAINING;
        if (send_disconnect &&
            esphome_send_device_request(
                    p,
                    c->mac,
                    ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT,
                    false,
                    0) < 0) {
                conn_free(c);
                return;
        }
        if (esphome_arm(p, &c->timer, p->timing.drain_usec, on_drained, c) < 0)
                conn_free(c);
}

/* The connection ends for its user: ready(error) while it was coming up, closed() once it was up. c is
 * gone (or draining) before the callback, which may free the RadioConn or open another. */
static void conn_end(EspConn *c, int error, const char *why, bool disconnect) {
        RadioConn *rc = c->conn;
        ConnState s = c->state;

        if (disconnect)
                conn_drain(c, /* send_disconnect= */ true);
        else
                conn_free(c); /* the proxy has let the lock go: nothing more will come of it */
        if (!rc)
                return;
        if (s == CONN_READY || s == CONN_DISCONNECTING)
                radio_conn_closed(rc, s == CONN_DISCONNECTING ? 0 : error);
        else
                radio_conn_ready(rc, error, why);
}

static int on_conn_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        EspConn *c = userdata;

        esphome_disarm(&c->timer);
        log_debug("proxy %s: %s: no answer while setting up the connection.", c->proxy->name, c->address);
        conn_end(c, -EHOSTUNREACH, "the proxy did not bring the connection up in time", true);
        return 0;
}

static int on_sent(sd_event_source *s, void *userdata) {
        EspConn *c = userdata;

        esphome_disarm(&c->sent_source);
        /* One at a time, from a copy: each completion may write again or free the connection. */
        while (c->n_sent > 0 && c->conn) {
                RadioWrite *w = c->sent[0];
                RadioConn *rc = c->conn;

                memmove(c->sent, c->sent + 1, --c->n_sent * sizeof(RadioWrite *));
                radio_write_done(w, 0);
                if (radio_conn_backend_data(rc) != c)
                        return 0;
        }
        return 0;
}

static int radio_op_connect(Radio *radio, RadioConn *rc, uint64_t timeout_usec) {
        EsphomeProxy *p = radio_backend_data(radio);
        const EspDevice *d;
        EspConn *c;
        uint8_t a[6];
        int type, r;

        if (p->state != PROXY_READY)
                return -ENOTCONN;
        if (p->free_slots == 0)
                return -EBUSY;
        if (p->n_conns >= CONNS_MAX)
                return -EBUSY;
        if (mac_parse(radio_conn_address(rc), a) < 0)
                return -EINVAL;
        c = calloc(1, sizeof(EspConn));
        if (!c)
                return -ENOMEM;
        *c = (EspConn){ .proxy = p, .conn = rc, .mac = esp_mac_to_u64(a), .state = CONN_CONNECTING };
        memcpy(c->address, radio_conn_address(rc), sizeof(c->address));
        if (esphome_gatt_find(p, c->mac, /* live= */ false)) {
                /* One connection per lock and proxy; the answers to a dropped one are still coming. */
                free(c);
                return -EBUSY;
        }
        d = hashmap_get(p->devices, c->address);
        /* With remote caching the client resolves services and writes the CCCD itself; a V3 connect
         * without cache makes the proxy discover them afresh (aioesphomeapi picks the same). */
        type = p->features & ESP_BT_FEATURE_REMOTE_CACHING
                ? ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT_V3_WITHOUT_CACHE
                : ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT;
        r = esphome_send_device_request(p, c->mac, type, d, d ? d->address_type : 0);
        if (r >= 0)
                r = esphome_arm(p, &c->timer, timeout_usec, on_conn_timeout, c);
        if (r < 0) {
                free(c);
                return r;
        }
        c->next = p->conns;
        p->conns = c;
        p->n_conns++;
        radio_conn_set_backend_data(rc, c);
        /* The proxy takes a slot now and says so later (BluetoothConnectionsFreeResponse). */
        if (p->free_slots > 0)
                radio_set_free_slots(p->radio, --p->free_slots);
        return 0;
}

static int radio_op_write(Radio *radio, RadioConn *rc, const uint8_t *data, size_t len, RadioWrite *w) {
        EsphomeProxy *p = radio_backend_data(radio);
        EspConn *c = radio_conn_backend_data(rc);
        Esphome__BluetoothGATTWriteRequest m = ESPHOME__BLUETOOTH_GATTWRITE_REQUEST__INIT;
        int r;

        if (!c || c->state != CONN_READY)
                return -ENOTCONN;
        if ((c->write_with_response ? c->n_writes : c->n_sent) >= WRITES_MAX)
                return -EBUSY;
        m.address = c->mac;
        m.handle = c->write_handle;
        m.response = c->write_with_response;
        m.data.data = (uint8_t *) data;
        m.data.len = len;
        r = esphome_send(p, ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST, &m.base);
        if (r < 0)
                return r;
        if (c->write_with_response)
                c->writes[c->n_writes++] = w;
        else {
                c->sent[c->n_sent++] = w;
                if (!c->sent_source && sd_event_add_defer(p->event, &c->sent_source, on_sent, c) < 0) {
                        c->n_sent--;
                        return -ENOMEM;
                }
        }
        return 0;
}

static void radio_op_disconnect(Radio *radio, RadioConn *rc) {
        EsphomeProxy *p = radio_backend_data(radio);
        EspConn *c = radio_conn_backend_data(rc);

        if (!c || c->state != CONN_READY)
                return;
        c->n_writes = c->n_sent = 0;
        esphome_disarm(&c->sent_source);
        c->state = CONN_DISCONNECTING;
        if (esphome_send_device_request(
                    p,
                    c->mac,
                    ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT,
                    false,
                    0) < 0)
                /* The session is failing: that will close it. */
                return;
        (void) esphome_arm(p, &c->timer, p->timing.drain_usec, on_disconnect_timeout, c);
}

static void radio_op_release(Radio *radio, RadioConn *rc) {
        EspConn *c = radio_conn_backend_data(rc);

        if (!c)
                return;
        /* A connection that is (or may become) up goes down in the background (radio.h); one already
         * going down only waits for the proxy's word. */
        conn_drain(c, /* send_disconnect= */ c->state != CONN_DISCONNECTING);
}

static void radio_op_set_scan(Radio *radio, bool on) {
        /* The subscription stays on while the session is up, scanning or not: a proxy sends its GATT
         * answers only to the client that holds it (doc/esphome.md). */
}

const RadioOps esphome_gatt_ops = {
        .connect = radio_op_connect,
        .write = radio_op_write,
        .disconnect = radio_op_disconnect,
        .release = radio_op_release,
        .set_scan = radio_op_set_scan,
};

/* ---- what the proxy says of a connection ------------------------------------------------------- */

static void conn_send_notify(EspConn *c) {
        Esphome__BluetoothGATTNotifyRequest m = ESPHOME__BLUETOOTH_GATTNOTIFY_REQUEST__INIT;

        m.address = c->mac;
        m.handle = c->notify_handle;
        m.enable = true;
        c->state = CONN_NOTIFY;
        (void) esphome_send(c->proxy, ESP_MSG_BLUETOOTH_GATT_NOTIFY_REQUEST, &m.base);
}

static void conn_became_ready(EspConn *c) {
        esphome_disarm(&c->timer);
        c->state = CONN_READY;
        log_debug("proxy %s: %s connected, notifications on.", c->proxy->name, c->address);
        radio_conn_ready(c->conn, 0, NULL);
}

static void on_connection_response(EsphomeProxy *p, const Esphome__BluetoothDeviceConnectionResponse *m) {
        EspConn *c = esphome_gatt_find(p, m->address, /* live= */ false);
        Esphome__BluetoothAddress req = ESPHOME__BLUETOOTH_ADDRESS__INIT;
        char why[96];

        if (!c)
                return;
        if (c->state == CONN_DRAINING) {
                /* A connect that came through after we gave up on it: let it go again. */
                if (m->connected)
                        (void) esphome_send_device_request(
                                p,
                                c->mac,
                                ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT,
                                false,
                                0);
                else
                        conn_free(c);
                return;
        }
        if (!m->connected) {
                if (c->state == CONN_CONNECTING && m->error == 0)
                        (void) snprintf(why, sizeof(why), "the proxy has no free connection slot");
                else if (m->error != 0)
                        (void) snprintf(
                                why,
                                sizeof(why),
                                "the proxy could not connect (error 0x%x)",
                                (unsigned) m->error);
                else
                        (void) snprintf(why, sizeof(why), "the proxy lost the connection");
                conn_end(
                        c, c->state == CONN_READY ? -ENOTCONN : -EHOSTUNREACH, why, /* disconnect= */ false);
                return;
        }
        if (c->state != CONN_CONNECTING)
                return; /* an established link confirmed again */
        c->state = CONN_SERVICES;
        req.address = c->mac;
        (void) esphome_send(p, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST, &req.base);
}

static bool uuid_is(const uint64_t *uuid, size_t n_uuid, uint32_t short_uuid, uint16_t want) {
        EspUuid u;

        return esp_uuid_from_fields(uuid, n_uuid, short_uuid, &u) >= 0 && esp_uuid_short(&u) == want;
}

static void on_services(EsphomeProxy *p, const Esphome__BluetoothGATTGetServicesResponse *m) {
        EspConn *c = esphome_gatt_find(p, m->address, /* live= */ true);

        if (!c || c->state != CONN_SERVICES)
                return;
        /* By UUID wherever they are, as bluez.c finds them (doc/protocol.md §1.1). */
        for (size_t i = 0; i < m->n_services; i++) {
                const Esphome__BluetoothGATTService *s = m->services[i];

                for (size_t j = 0; j < s->n_characteristics; j++) {
                        const Esphome__BluetoothGATTCharacteristic *ch = s->characteristics[j];

                        if (uuid_is(ch->uuid, ch->n_uuid, ch->short_uuid, UUID_WRITE)) {
                                c->write_handle = ch->handle;
                                /* doc/protocol.md §1.3: without response only when nothing else is offered.
                                 */
                                c->write_with_response = ch->properties & PROP_WRITE ||
                                        !(ch->properties & PROP_WRITE_NO_RESPONSE);
                        } else if (uuid_is(ch->uuid, ch->n_uuid, ch->short_uuid, UUID_NOTIFY)) {
                                c->notify_handle = ch->handle;
                                for (size_t k = 0; k < ch->n_descriptors; k++) {
                                        const Esphome__BluetoothGATTDescriptor *d = ch->descriptors[k];

                                        if (uuid_is(d->uuid, d->n_uuid, d->short_uuid, UUID_CCCD))
                                                c->cccd_handle = d->handle;
                                }
                        }
                }
        }
}

static void on_services_done(EsphomeProxy *p, uint64_t mac) {
        EspConn *c = esphome_gatt_find(p, mac, /* live= */ true);

        if (!c || c->state != CONN_SERVICES)
                return;
        if (c->write_handle == 0 || c->notify_handle == 0) {
                conn_end(
                        c, -EHOSTUNREACH, "the device has no TTLock characteristics (0xFFF2, 0xFFF4)", true);
                return;
        }
        conn_send_notify(c);
}

static void on_handle_response(EsphomeProxy *p, uint16_t type, const Esphome__BluetoothGATTHandle *m) {
        EspConn *c = esphome_gatt_find(p, m->address, /* live= */ true);

        if (!c)
                return;
        if (type == ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE) {
                if (c->state != CONN_NOTIFY || m->handle != c->notify_handle)
                        return;
                /* A V3 connection leaves the CCCD to the client (ESPHome bluetooth_connection.cpp). */
                if (p->features & ESP_BT_FEATURE_REMOTE_CACHING && c->cccd_handle != 0) {
                        Esphome__BluetoothGATTData w = ESPHOME__BLUETOOTH_GATTDATA__INIT;
                        static const uint8_t enable[2] = { 0x01, 0x00 };

                        w.address = c->mac;
                        w.handle = c->cccd_handle;
                        w.data.data = (uint8_t *) enable;
                        w.data.len = sizeof(enable);
                        c->state = CONN_CCCD;
                        (void) esphome_send(p, ESP_MSG_BLUETOOTH_GATT_WRITE_DESCRIPTOR_REQUEST, &w.base);
                        return;
                }
                conn_became_ready(c);
                return;
        }
        /* BluetoothGATTWriteResponse: the CCCD's, or the oldest write's. */
        if (c->state == CONN_CCCD && m->handle == c->cccd_handle) {
                conn_became_ready(c);
                return;
        }
        if (c->state == CONN_READY && m->handle == c->write_handle && c->n_writes > 0) {
                RadioWrite *w = c->writes[0];

                memmove(c->writes, c->writes + 1, --c->n_writes * sizeof(RadioWrite *));
                radio_write_done(w, 0);
        }
}

static void on_gatt_error(EsphomeProxy *p, const Esphome__BluetoothGATTErrorResponse *m) {
        EspConn *c = esphome_gatt_find(p, m->address, /* live= */ true);
        char why[96];

        if (!c)
                return;
        log_debug("proxy %s: %s: GATT error %d on handle 0x%04x.", p->name, c->address, m->error, m->handle);
        if (c->state == CONN_READY) {
                if (m->handle == c->write_handle && c->n_writes > 0) {
                        RadioWrite *w = c->writes[0];

                        memmove(c->writes, c->writes + 1, --c->n_writes * sizeof(RadioWrite *));
                        radio_write_done(w, -EIO);
                        return;
                }
                /* ESPHome's "not connected" (-1): the link is gone. */
                if (m->error == -1)
                        conn_end(c, -ENOTCONN, NULL, false);
                return;
        }
        if (c->state == CONN_DISCONNECTING)
                return;
        (void) snprintf(why, sizeof(why), "GATT error %d while setting up the connection", m->error);
        conn_end(c, -EHOSTUNREACH, why, true);
}

static void on_notify_data(EsphomeProxy *p, const Esphome__BluetoothGATTData *m) {
        EspConn *c = esphome_gatt_find(p, m->address, /* live= */ true);

        /* Straight to the connection's user (the link), as bluez.c does. */
        if (c && c->state == CONN_READY && m->handle == c->notify_handle)
                radio_conn_notification(c->conn, m->data.data, m->data.len);
}

void esphome_gatt_fail_all(EsphomeProxy *p) {
        EspConn *conns = p->conns;

        p->conns = NULL;
        p->n_conns = 0;
        /* Detached all at once: a callback may free or open any connection. */
        for (EspConn *c = conns; c; c = c->next)
                if (c->conn)
                        radio_conn_set_backend_data(c->conn, NULL);
        while (conns) {
                EspConn *c = conns;
                RadioConn *rc = c->conn;
                ConnState s = c->state;

                conns = c->next;
                esphome_disarm(&c->timer);
                esphome_disarm(&c->sent_source);
                free(c);
                if (!rc)
                        continue;
                if (s == CONN_READY || s == CONN_DISCONNECTING)
                        radio_conn_closed(rc, s == CONN_DISCONNECTING ? 0 : -ENOTCONN);
                else
                        radio_conn_ready(rc, -ENOTCONN, "the proxy went away");
        }
}

bool esphome_gatt_message(EsphomeProxy *p, uint16_t type, const ProtobufCMessage *m) {
        assert(p);
        assert(m);

        switch (type) {
        case ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE:
                on_connection_response(p, (const Esphome__BluetoothDeviceConnectionResponse *) m);
                return true;
        case ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE:
                on_services(p, (const Esphome__BluetoothGATTGetServicesResponse *) m);
                return true;
        case ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_DONE_RESPONSE:
                on_services_done(p, ((const Esphome__BluetoothAddress *) m)->address);
                return true;
        case ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE:
        case ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE:
                on_handle_response(p, type, (const Esphome__BluetoothGATTHandle *) m);
                return true;
        case ESP_MSG_BLUETOOTH_GATT_ERROR_RESPONSE:
                on_gatt_error(p, (const Esphome__BluetoothGATTErrorResponse *) m);
                return true;
        case ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE:
                on_notify_data(p, (const Esphome__BluetoothGATTData *) m);
                return true;
        default:
                return false;
        }
}
