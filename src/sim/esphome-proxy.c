/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bluez.h"
#include "config.h"
#include "esp-message.h"
#include "esphome-proxy.h"
#include "lock.h"
#include "log.h"
#include "macro.h"
#include "radio.h"
#include "sim-util.h"

/* GATT database as an ESP32 proxy reports it: the value handles of doc/protocol.md §1.1 ([FD]: 0xFFF4's
 * value at 0x000E with its CCCD at 0x000F, 0xFFF2's value at 0x0011), the Device Information service
 * after it. Properties are the ATT characteristic property bits. */
#define H_TTLOCK_SERVICE 0x000C
#define H_NOTIFY 0x000E
#define H_NOTIFY_CCCD 0x000F
#define H_WRITE 0x0011
#define H_DEVINFO_SERVICE 0x0012
#define PROP_READ 0x02
#define PROP_WRITE_NO_RESPONSE 0x04
#define PROP_WRITE 0x08
#define PROP_NOTIFY 0x10
#define ATT_MTU 23

/* Error codes a proxy sends: ESP-IDF's GATT status and HCI reasons as aioesphomeapi's ble_defs.py
 * names them, and ESPHome's own "not connected" (-1). */
#define ERR_NOT_CONNECTED (-1)
#define ERR_INVALID_HANDLE 0x01
#define ERR_READ_NOT_PERMITTED 0x02
#define ERR_WRITE_NOT_PERMITTED 0x03
#define ERR_CONN_TERMINATE_PEER_USER 0x13
#define ERR_CONN_TERMINATE_LOCAL_HOST 0x16
#define ERR_CONN_FAIL_ESTABLISH 0x3E

#define ESPHOME_VERSION_STRING "2026.1.0"
#define API_MAJOR 1
#define API_MINOR_DEFAULT 14
#define FEATURE_FLAGS                                                                                      \
        (ESP_BT_FEATURE_PASSIVE_SCAN | ESP_BT_FEATURE_ACTIVE_CONNECTIONS | ESP_BT_FEATURE_REMOTE_CACHING | \
         ESP_BT_FEATURE_RAW_ADVERTISEMENTS)
#define ADVERT_BATCH_MAX 16 /* ESPHome's BLUETOOTH_PROXY_ADVERTISEMENT_BATCH_SIZE */

typedef struct ProxyClient ProxyClient;

typedef enum SlotState {
        SLOT_FREE,
        SLOT_CONNECTING,
        SLOT_CONNECTED,
} SlotState;

typedef struct Slot {
        SlotState state;
        SimLock *lock;
        ProxyClient *owner;
        sd_event_source *timer;
        bool notify; /* notifications on 0xFFF4 enabled */
        bool refuse;
} Slot;

struct ProxyClient {
        SimProxy *proxy;
        int fd;
        sd_event_source *io;
        EspConnection *conn;
        bool hello, authenticated, closing;
        unsigned api_minor;
        ProxyClient *next;
};

struct SimProxy {
        Sim *sim;
        char name[SIM_PROXY_NAME_MAX];
        char path[128];
        char mac[13]; /* lower-case hex, the Noise hello's form */
        char mac_str[18];
        char bt_mac_str[18];
        char host[64];
        uint16_t port;
        uint8_t psk[ESP_NOISE_PSK_SIZE];
        bool has_psk;
        unsigned api_minor;
        bool running;
        int listen_fd;
        sd_event_source *listen_source;
        ProxyClient *clients;
        size_t n_clients;
        ProxyClient *advert_client; /* the one subscriber ESPHome allows */
        sd_event_source *advert_timer;
        int16_t *rssi; /* per lock, by SimLock.index */
        Slot slots[SIM_PROXY_SLOTS_MAX];
        unsigned n_slots;
        sd_bus_slot *bus_slot;
};

/* —— command line ——————————————————————————————————————————————————————————————————————————— */

int proxy_spec_parse(const char *text, SimProxySpec *ret, char *error, size_t error_size) {
        _cleanup_free_ char *copy = strdup(text);
        SimProxySpec spec = { .slots = 3, .api_minor = API_MINOR_DEFAULT };
        char *eq, *addr, *saveptr = NULL, *item, *colon, *end;
        unsigned long port;

        if (!copy)
                return -ENOMEM;
        eq = strchr(copy, '=');
        if (!eq || eq == copy || (size_t) (eq - copy) >= sizeof(spec.name)) {
                (void) snprintf(error, error_size, "\"%s\" is not NAME=ADDR:PORT[,…]", text);
                return -EINVAL;
        }
        *eq = 0;
        for (char *c = copy; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '-')) {
                        (void) snprintf(
                                error, error_size, "proxy name \"%s\": letters, digits, - and _ only", copy);
                        return -EINVAL;
                }
        strcpy(spec.name, copy);
        addr = strtok_r(eq + 1, ",", &saveptr);
        if (!addr || !(colon = strrchr(addr, ':'))) {
                (void) snprintf(error, error_size, "proxy %s: the address is ADDR:PORT", spec.name);
                return -EINVAL;
        }
        *colon = 0;
        if (addr[0] == '[' && colon > addr && colon[-1] == ']') { /* [::1]:6053 */
                colon[-1] = 0;
                addr++;
        }
        errno = 0;
        port = strtoul(colon + 1, &end, 10);
        if (isempty(addr) || strlen(addr) >= sizeof(spec.host) || errno || *end || colon[1] == 0 ||
            port > 65535) {
                (void) snprintf(error, error_size, "proxy %s: bad address or port", spec.name);
                return -EINVAL;
        }
        strcpy(spec.host, addr);
        spec.port = (uint16_t) port;
        while ((item = strtok_r(NULL, ",", &saveptr))) {
                char *value = strchr(item, '=');

                if (!value) {
                        (void) snprintf(
                                error, error_size, "proxy %s: \"%s\" is not key=value", spec.name, item);
                        goto fail;
                }
                *value++ = 0;
                if (streq(item, "psk") && !isempty(value)) {
                        free(spec.psk_file);
                        spec.psk_file = strdup(value);
                        if (!spec.psk_file)
                                goto oom;
                } else if (streq(item, "slots")) {
                        unsigned long n = strtoul(value, &end, 10);
                        if (*end || n < 1 || n > SIM_PROXY_SLOTS_MAX) {
                                (void) snprintf(
                                        error,
                                        error_size,
                                        "proxy %s: slots=1–%d",
                                        spec.name,
                                        SIM_PROXY_SLOTS_MAX);
                                goto fail;
                        }
                        spec.slots = (unsigned) n;
                } else if (streq(item, "api")) {
                        unsigned long minor;
                        if (strncmp(value, "1.", 2) != 0 || !value[2] ||
                            (minor = strtoul(value + 2, &end, 10), *end) || minor < 9 || minor > 14) {
                                (void) snprintf(error, error_size, "proxy %s: api=1.9 … 1.14", spec.name);
                                goto fail;
                        }
                        spec.api_minor = (unsigned) minor;
                } else {
                        (void) snprintf(error, error_size, "proxy %s: unknown key \"%s\"", spec.name, item);
                        goto fail;
                }
        }
        *ret = spec;
        return 0;
oom:
        free(spec.psk_file);
        return -ENOMEM;
fail:
        free(spec.psk_file);
        return -EINVAL;
}

void proxy_spec_done(SimProxySpec *spec) {
        spec->psk_file = mfree(spec->psk_file);
}

/* —— plumbing ——————————————————————————————————————————————————————————————————————————————— */

static void client_close(ProxyClient *c);

static int client_flush(ProxyClient *c) {
        const uint8_t *out;
        size_t n = esp_connection_output(c->conn, &out);

        while (n > 0) {
                ssize_t k = send(c->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                esp_connection_output_consume(c->conn, (size_t) k);
                n = esp_connection_output(c->conn, &out);
        }
        (void) sd_event_source_set_io_events(c->io, EPOLLIN | (n > 0 ? EPOLLOUT : 0));
        return (int) (n > 0);
}

/* Sends a message to a client; a client that cannot take it (its output is full: it does not read)
 * is closed by its I/O handler once what it still has to say is out. */
static void client_send(ProxyClient *c, uint16_t type, const ProtobufCMessage *m) {
        int r;

        if (!c || c->closing)
                return;
        r = esp_send(c->conn, type, m);
        if (r < 0) {
                log_warning_errno(
                        r,
                        "proxy %s: cannot send %s, dropping the client: %m",
                        c->proxy->name,
                        esp_message_name(type));
                c->closing = true;
                (void) sd_event_source_set_io_events(c->io, EPOLLIN | EPOLLOUT);
        }
}

static unsigned free_slots(SimProxy *p) {
        unsigned n = 0;

        for (unsigned i = 0; i < p->n_slots; i++)
                n += p->slots[i].state == SLOT_FREE;
        return n;
}

static void send_connections_free(SimProxy *p, ProxyClient *to) {
        Esphome__BluetoothConnectionsFreeResponse m = ESPHOME__BLUETOOTH_CONNECTIONS_FREE_RESPONSE__INIT;
        uint64_t allocated[SIM_PROXY_SLOTS_MAX];

        m.free = free_slots(p);
        m.limit = p->n_slots;
        for (unsigned i = 0; i < p->n_slots; i++)
                if (p->slots[i].state != SLOT_FREE)
                        allocated[m.n_allocated++] = esp_mac_to_u64(p->slots[i].lock->address);
        m.allocated = allocated;
        if (to) {
                client_send(to, ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE, &m.base);
                return;
        }
        for (ProxyClient *c = p->clients; c; c = c->next)
                if (c->authenticated)
                        client_send(c, ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE, &m.base);
}

static void send_connection(ProxyClient *c, const uint8_t address[6], bool connected, int32_t error) {
        Esphome__BluetoothDeviceConnectionResponse m = ESPHOME__BLUETOOTH_DEVICE_CONNECTION_RESPONSE__INIT;

        m.address = esp_mac_to_u64(address);
        m.connected = connected;
        m.mtu = connected ? ATT_MTU : 0;
        m.error = error;
        client_send(c, ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE, &m.base);
}

static void send_gatt_error(ProxyClient *c, uint64_t address, uint32_t handle, int32_t error) {
        Esphome__BluetoothGATTErrorResponse m = ESPHOME__BLUETOOTH_GATTERROR_RESPONSE__INIT;

        m.address = address;
        m.handle = handle;
        m.error = error;
        client_send(c, ESP_MSG_BLUETOOTH_GATT_ERROR_RESPONSE, &m.base);
}

static void send_handle(ProxyClient *c, uint16_t type, uint64_t address, uint32_t handle) {
        Esphome__BluetoothGATTHandle m = ESPHOME__BLUETOOTH_GATTHANDLE__INIT;

        m.address = address;
        m.handle = handle;
        client_send(c, type, &m.base);
}

static Slot *slot_of_lock(SimProxy *p, const SimLock *l) {
        for (unsigned i = 0; i < p->n_slots; i++)
                if (p->slots[i].state != SLOT_FREE && p->slots[i].lock == l)
                        return &p->slots[i];
        return NULL;
}

static void slot_release(SimProxy *p, Slot *s) {
        s->timer = sd_event_source_disable_unref(s->timer);
        *s = (Slot){};
}

/* Ends a slot's link or attempt and tells its owner; error is the reason the client sees. */
static void slot_end(SimProxy *p, Slot *s, int32_t error, const char *why) {
        SimLock *l = s->lock;
        ProxyClient *owner = s->owner;
        uint8_t address[6];

        memcpy(address, l->address, 6);
        if (s->state == SLOT_CONNECTED && l->link_proxy == p) {
                log_debug("proxy %s: %s disconnected (%s).", p->name, l->address_str, why);
                l->conn = SIM_DISCONNECTED;
                l->link_proxy = NULL;
                lock_disconnected(l);
                radio_update(l);
        } else if (s->state == SLOT_CONNECTING && l->conn == SIM_CONNECTING && l->link_proxy == p) {
                l->conn = SIM_DISCONNECTED;
                l->link_proxy = NULL;
        }
        slot_release(p, s);
        send_connection(owner, address, false, error);
        send_connections_free(p, NULL);
}

/* —— radio callbacks —————————————————————————————————————————————————————————————————————————— */

void proxy_notify(SimLock *l, const uint8_t *data, size_t len) {
        SimProxy *p = l->link_proxy;
        Esphome__BluetoothGATTData m = ESPHOME__BLUETOOTH_GATTDATA__INIT;
        Slot *s;

        if (!p || !(s = slot_of_lock(p, l)) || !s->notify)
                return;
        m.address = esp_mac_to_u64(l->address);
        m.handle = H_NOTIFY;
        m.data.data = (uint8_t *) data;
        m.data.len = len;
        client_send(s->owner, ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE, &m.base);
        /* Flushed now; a dead socket is found and closed by its own I/O handler, never here, where
         * a caller up the stack may be that client's message handler. */
        if (s->owner)
                (void) client_flush(s->owner);
}

void proxy_link_lost(SimLock *l, const char *why) {
        SimProxy *p = l->link_proxy;
        Slot *s;
        ProxyClient *owner;

        if (!p || !(s = slot_of_lock(p, l)))
                return;
        owner = s->owner;
        slot_end(p, s, ERR_CONN_TERMINATE_PEER_USER, why);
        if (owner)
                (void) client_flush(owner);
}

int proxy_set_rssi(Sim *s, const char *name, SimLock *l, int16_t rssi) {
        for (size_t i = 0; i < s->n_proxies; i++)
                if (streq(s->proxies[i]->name, name)) {
                        s->proxies[i]->rssi[l->index] = rssi;
                        return 0;
                }
        return -ENOENT;
}

const char *proxy_name(const SimProxy *p) {
        return p->name;
}

int proxy_index(Sim *s, const SimProxy *p) {
        for (size_t i = 0; i < s->n_proxies; i++)
                if (s->proxies[i] == p)
                        return (int) i;
        return -ENOENT;
}

/* —— advertisements ————————————————————————————————————————————————————————————————————————— */

/* The AD structures a V3 lock sends (doc/protocol.md §6): flags, the 0x1910 service, the manufacturer
 * data (company id bytes first, as BlueZ's face builds it), the complete local name. */
static size_t advert_data(SimLock *l, uint8_t *out, size_t size) {
        uint8_t mfr[32];
        size_t n = 0, m = bluez_device_advert(l, mfr, sizeof(mfr)), name = strlen(l->name);

        if (m == 0 || size < 3 + 4 + 2 + m + 2 + name)
                return 0;
        memcpy(out + n, "\x02\x01\x06", 3);
        n += 3;
        memcpy(out + n, "\x03\x02\x10\x19", 4);
        n += 4;
        out[n++] = (uint8_t) (m + 1);
        out[n++] = 0xFF;
        memcpy(out + n, mfr, m);
        n += m;
        /* ESPHome forwards at most 62 bytes (advertisement + scan response). */
        if (n + 2 + name <= 62) {
                out[n++] = (uint8_t) (name + 1);
                out[n++] = 0x09;
                memcpy(out + n, l->name, name);
                n += name;
        }
        return n;
}

static int advert_tick(sd_event_source *es, uint64_t usec, void *userdata);

static void advert_arm(SimProxy *p) {
        Sim *s = p->sim;

        if (!p->running || !p->advert_client) {
                p->advert_timer = sd_event_source_disable_unref(p->advert_timer);
                return;
        }
        if (p->advert_timer)
                return;
        if (sd_event_add_time_relative(
                    s->event, &p->advert_timer, CLOCK_MONOTONIC, 0, 1000, advert_tick, p) < 0)
                log_error("proxy %s: cannot start the advertisement timer.", p->name);
}

static int advert_tick(sd_event_source *es, uint64_t usec, void *userdata) {
        SimProxy *p = userdata;
        Sim *s = p->sim;
        Esphome__BluetoothLERawAdvertisementsResponse m =
                ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENTS_RESPONSE__INIT;
        Esphome__BluetoothLERawAdvertisement adv[ADVERT_BATCH_MAX], *list[ADVERT_BATCH_MAX];
        uint8_t data[ADVERT_BATCH_MAX][64];
        ProxyClient *c = p->advert_client;

        for (size_t i = 0; i < s->n_locks && c; i++) {
                SimLock *l = s->locks[i];
                size_t n;

                if (p->rssi[l->index] == SIM_RSSI_UNHEARD || !radio_advertising(l))
                        continue;
                n = advert_data(l, data[m.n_advertisements], sizeof(data[0]));
                if (n == 0)
                        continue;
                esphome__bluetooth_leraw_advertisement__init(&adv[m.n_advertisements]);
                adv[m.n_advertisements].address = esp_mac_to_u64(l->address);
                adv[m.n_advertisements].rssi = p->rssi[l->index];
                adv[m.n_advertisements].address_type = 0; /* public */
                adv[m.n_advertisements].data.data = data[m.n_advertisements];
                adv[m.n_advertisements].data.len = n;
                list[m.n_advertisements] = &adv[m.n_advertisements];
                if (++m.n_advertisements == ADVERT_BATCH_MAX) {
                        m.advertisements = list;
                        client_send(c, ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, &m.base);
                        m.n_advertisements = 0;
                }
        }
        if (m.n_advertisements > 0) {
                m.advertisements = list;
                client_send(c, ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, &m.base);
        }
        if (c)
                (void) client_flush(c);
        (void) sd_event_source_set_time_relative(es, s->timing.advert_interval_usec);
        (void) sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
        return 0;
}

/* —— connections ———————————————————————————————————————————————————————————————————————————— */

static int connect_done(sd_event_source *es, uint64_t usec, void *userdata) {
        Slot *s = userdata;
        SimLock *l = s->lock;
        SimProxy *p = l->link_proxy;
        ProxyClient *owner = s->owner;

        s->timer = sd_event_source_disable_unref(s->timer);
        if (!p)
                return 0;
        /* Decided when the link would be up, as the BlueZ face decides it (doc/protocol.md §9.2). */
        l->conn = SIM_DISCONNECTED;
        if (s->refuse || p->rssi[l->index] == SIM_RSSI_UNHEARD || !radio_connectable(l)) {
                l->link_proxy = NULL;
                slot_end(p, s, ERR_CONN_FAIL_ESTABLISH, "no answer");
        } else {
                l->conn = SIM_CONNECTED;
                s->state = SLOT_CONNECTED;
                lock_connected(l);
                if (proxy_index(p->sim, p) >= 0)
                        l->links_proxy[proxy_index(p->sim, p)]++;
                sim_lock_changed(l, "Links");
                radio_activity(l);
                log_debug("proxy %s: %s connected.", p->name, l->address_str);
                send_connection(owner, l->address, true, 0);
                send_connections_free(p, NULL);
                radio_update(l);
        }
        if (owner)
                (void) client_flush(owner);
        return 0;
}

static int refused_done(sd_event_source *es, uint64_t usec, void *userdata);

static void device_connect(ProxyClient *c, uint64_t address) {
        SimProxy *p = c->proxy;
        Sim *sim = p->sim;
        uint8_t a[6];
        SimLock *l;
        Slot *s = NULL;
        uint64_t delay;

        esp_mac_from_u64(address, a);
        l = sim_find_lock(sim, a);
        if (l && (s = slot_of_lock(p, l))) {
                /* ESPHome: an established link is confirmed, an attempt under way is left alone. */
                if (s->state == SLOT_CONNECTED) {
                        send_connection(c, a, true, 0);
                        send_connections_free(p, c);
                }
                return;
        }
        for (unsigned i = 0; i < p->n_slots && !s; i++)
                if (p->slots[i].state == SLOT_FREE)
                        s = &p->slots[i];
        if (!s) {
                /* "No free connections available": refused at once, nothing reserved. */
                send_connection(c, a, false, 0);
                return;
        }
        if (!l) {
                /* Nothing at that address answers: the scan for it runs out. */
                send_connection(c, a, false, ERR_CONN_FAIL_ESTABLISH);
                return;
        }
        *s = (Slot){ .state = SLOT_CONNECTING, .lock = l, .owner = c };
        l->connect_attempts++;
        sim_lock_changed(l, "ConnectAttempts");
        if (l->conn != SIM_DISCONNECTED || l->faults[SIM_FAULT_REFUSE_CONNECT] > 0) {
                /* Another central holds the lock, or a refusal was injected: it does not answer. */
                if (l->conn == SIM_DISCONNECTED) {
                        l->faults[SIM_FAULT_REFUSE_CONNECT]--;
                        sim_lock_changed(l, "Faults");
                }
                s->refuse = true;
                delay = sim->timing.connect_fail_usec;
        } else if (p->rssi[l->index] == SIM_RSSI_UNHEARD || !radio_connectable(l))
                delay = sim->timing.connect_fail_usec;
        else
                delay = sim->timing.connect_usec;
        if (!s->refuse) {
                l->conn = SIM_CONNECTING;
                l->link_proxy = p;
        }
        if (sd_event_add_time_relative(
                    sim->event,
                    &s->timer,
                    CLOCK_MONOTONIC,
                    delay,
                    1,
                    s->refuse ? refused_done : connect_done,
                    s) < 0) {
                slot_end(p, s, ERR_CONN_FAIL_ESTABLISH, "no timer");
                return;
        }
        send_connections_free(p, NULL);
}

/* A refused attempt's timer: it ends without touching the lock, which another radio may hold. */
static int refused_done(sd_event_source *es, uint64_t usec, void *userdata) {
        Slot *s = userdata;
        ProxyClient *owner = s->owner;

        slot_end(owner->proxy, s, ERR_CONN_FAIL_ESTABLISH, "refused");
        (void) client_flush(owner);
        return 0;
}

static void device_disconnect(ProxyClient *c, uint64_t address) {
        SimProxy *p = c->proxy;
        uint8_t a[6];
        SimLock *l;
        Slot *s;

        esp_mac_from_u64(address, a);
        l = sim_find_lock(p->sim, a);
        if (!l || !(s = slot_of_lock(p, l))) {
                send_connection(c, a, false, 0);
                send_connections_free(p, c);
                return;
        }
        slot_end(p, s, ERR_CONN_TERMINATE_LOCAL_HOST, "by the client");
}

/* —— GATT ——————————————————————————————————————————————————————————————————————————————————— */

static Slot *connected_slot(ProxyClient *c, uint64_t address) {
        uint8_t a[6];
        SimLock *l;
        Slot *s;

        esp_mac_from_u64(address, a);
        l = sim_find_lock(c->proxy->sim, a);
        if (!l || !(s = slot_of_lock(c->proxy, l)) || s->state != SLOT_CONNECTED)
                return NULL;
        return s;
}

static const char *devinfo_value(SimLock *l, uint32_t handle) {
        switch (handle) {
        case 0x0014:
                return "TTLock";
        case 0x0016:
                return l->model;
        case 0x0018:
                return l->hardware;
        case 0x001A:
                return l->firmware;
        default:
                return NULL;
        }
}

static void
fill_uuid(const ProxyClient *c, uint16_t short_uuid, uint64_t fields[2], size_t *n, uint32_t *s) {
        EspUuid u;

        /* API 1.12 and later clients get 16-bit UUIDs in short_uuid alone (api.proto). */
        esp_uuid_from_short(short_uuid, &u);
        esp_uuid_to_fields(&u, c->api_minor >= ESP_API_SHORT_UUID_MINOR, fields, n, s);
}

static void send_services(ProxyClient *c, uint64_t address) {
        static const struct {
                uint16_t uuid, handle, properties;
        } ttlock_chars[] = {
                { 0xFFF4, H_NOTIFY, PROP_NOTIFY },
                { 0xFFF2, H_WRITE, PROP_WRITE_NO_RESPONSE | PROP_WRITE },
        },
          devinfo_chars[] = {
                  { 0x2A29, 0x0014, PROP_READ },
                  { 0x2A24, 0x0016, PROP_READ },
                  { 0x2A27, 0x0018, PROP_READ },
                  { 0x2A26, 0x001A, PROP_READ },
          };
        uint64_t su[2], cu[4][2], du[2];
        Esphome__BluetoothGATTGetServicesResponse resp = ESPHOME__BLUETOOTH_GATTGET_SERVICES_RESPONSE__INIT;
        Esphome__BluetoothGATTService service = ESPHOME__BLUETOOTH_GATTSERVICE__INIT,
                                      *services[1] = { &service };
        Esphome__BluetoothGATTCharacteristic chars[4], *char_list[4];
        Esphome__BluetoothGATTDescriptor cccd = ESPHOME__BLUETOOTH_GATTDESCRIPTOR__INIT,
                                         *desc_list[1] = { &cccd };
        Esphome__BluetoothAddress done = ESPHOME__BLUETOOTH_ADDRESS__INIT;

        resp.address = address;
        resp.n_services = 1;
        resp.services = services;

        /* One message per service, as ESPHome sends them. */
        for (int which = 0; which < 2; which++) {
                size_t n = which == 0 ? ELEMENTSOF(ttlock_chars) : ELEMENTSOF(devinfo_chars);

                esphome__bluetooth_gattservice__init(&service);
                fill_uuid(c, which == 0 ? 0x1910 : 0x180A, su, &service.n_uuid, &service.short_uuid);
                service.uuid = su;
                service.handle = which == 0 ? H_TTLOCK_SERVICE : H_DEVINFO_SERVICE;
                for (size_t i = 0; i < n; i++) {
                        uint16_t uuid = which == 0 ? ttlock_chars[i].uuid : devinfo_chars[i].uuid;

                        esphome__bluetooth_gattcharacteristic__init(&chars[i]);
                        fill_uuid(c, uuid, cu[i], &chars[i].n_uuid, &chars[i].short_uuid);
                        chars[i].uuid = cu[i];
                        chars[i].handle = which == 0 ? ttlock_chars[i].handle : devinfo_chars[i].handle;
                        chars[i].properties =
                                which == 0 ? ttlock_chars[i].properties : devinfo_chars[i].properties;
                        if (uuid == 0xFFF4) {
                                fill_uuid(c, 0x2902, du, &cccd.n_uuid, &cccd.short_uuid);
                                cccd.uuid = du;
                                cccd.handle = H_NOTIFY_CCCD;
                                chars[i].n_descriptors = 1;
                                chars[i].descriptors = desc_list;
                        }
                        char_list[i] = &chars[i];
                }
                service.n_characteristics = n;
                service.characteristics = char_list;
                client_send(c, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE, &resp.base);
        }
        done.address = address;
        client_send(c, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_DONE_RESPONSE, &done.base);
}

static void gatt_write(ProxyClient *c, const Esphome__BluetoothGATTWriteRequest *m) {
        Slot *s = connected_slot(c, m->address);

        if (!s) {
                send_gatt_error(c, m->address, m->handle, ERR_NOT_CONNECTED);
                return;
        }
        if (m->handle != H_WRITE) {
                send_gatt_error(
                        c,
                        m->address,
                        m->handle,
                        m->handle == H_NOTIFY || devinfo_value(s->lock, m->handle) ? ERR_WRITE_NOT_PERMITTED
                                                                                   : ERR_INVALID_HANDLE);
                return;
        }
        /* A write without response is one ATT packet: ATT_MTU − 3 bytes at most. */
        if (!m->response && m->data.len > ATT_MTU - 3) {
                send_gatt_error(c, m->address, m->handle, 0x0D /* invalid attribute value length */);
                return;
        }
        if (m->response)
                send_handle(c, ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE, m->address, m->handle);
        lock_receive(s->lock, m->data.data, m->data.len);
}

static void gatt_notify(ProxyClient *c, uint64_t address, uint32_t handle, bool enable, bool descriptor) {
        Slot *s = connected_slot(c, address);

        if (!s) {
                send_gatt_error(c, address, handle, ERR_NOT_CONNECTED);
                return;
        }
        if (handle != (descriptor ? H_NOTIFY_CCCD : H_NOTIFY)) {
                send_gatt_error(c, address, handle, ERR_INVALID_HANDLE);
                return;
        }
        s->notify = enable;
        radio_activity(s->lock);
        send_handle(
                c,
                descriptor ? ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE : ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE,
                address,
                handle);
}

static void gatt_read(ProxyClient *c, uint64_t address, uint32_t handle) {
        Esphome__BluetoothGATTData m = ESPHOME__BLUETOOTH_GATTDATA__INIT;
        Slot *s = connected_slot(c, address);
        const char *v;

        if (!s) {
                send_gatt_error(c, address, handle, ERR_NOT_CONNECTED);
                return;
        }
        v = devinfo_value(s->lock, handle);
        if (!v) {
                send_gatt_error(
                        c,
                        address,
                        handle,
                        handle == H_WRITE || handle == H_NOTIFY ? ERR_READ_NOT_PERMITTED
                                                                : ERR_INVALID_HANDLE);
                return;
        }
        radio_activity(s->lock);
        m.address = address;
        m.handle = handle;
        m.data.data = (uint8_t *) v;
        m.data.len = strlen(v);
        client_send(c, ESP_MSG_BLUETOOTH_GATT_READ_RESPONSE, &m.base);
}

/* —— messages ——————————————————————————————————————————————————————————————————————————————— */

static void send_hello(ProxyClient *c) {
        Esphome__HelloResponse m = ESPHOME__HELLO_RESPONSE__INIT;

        m.api_version_major = API_MAJOR;
        m.api_version_minor = c->proxy->api_minor;
        m.server_info = (char *) ESPHOME_VERSION_STRING;
        m.name = c->proxy->name;
        client_send(c, ESP_MSG_HELLO_RESPONSE, &m.base);
}

static void send_device_info(ProxyClient *c) {
        Esphome__DeviceInfoResponse m = ESPHOME__DEVICE_INFO_RESPONSE__INIT;
        SimProxy *p = c->proxy;

        m.name = p->name;
        m.mac_address = p->mac_str;
        m.esphome_version = (char *) ESPHOME_VERSION_STRING;
        m.compilation_time = (char *) "Jan  1 2026, 00:00:00";
        m.model = (char *) "esp32dev";
        m.manufacturer = (char *) "Espressif";
        m.friendly_name = p->name;
        m.bluetooth_proxy_feature_flags = FEATURE_FLAGS;
        m.bluetooth_mac_address = p->bt_mac_str;
        m.api_encryption_supported = p->has_psk;
        client_send(c, ESP_MSG_DEVICE_INFO_RESPONSE, &m.base);
}

static void send_time(ProxyClient *c) {
        Esphome__GetTimeResponse m = ESPHOME__GET_TIME_RESPONSE__INIT;

        m.epoch_seconds = (uint32_t) time(NULL);
        client_send(c, ESP_MSG_GET_TIME_RESPONSE, &m.base);
}

/* Messages a proxy takes before authentication (api.proto: needs_authentication = false). */
static bool needs_no_auth(uint16_t type) {
        return type == ESP_MSG_HELLO_REQUEST || type == ESP_MSG_AUTHENTICATION_REQUEST ||
                type == ESP_MSG_DISCONNECT_REQUEST || type == ESP_MSG_DISCONNECT_RESPONSE ||
                type == ESP_MSG_PING_REQUEST || type == ESP_MSG_PING_RESPONSE ||
                type == ESP_MSG_DEVICE_INFO_REQUEST;
}

static void protobuf_c_message_free_unpackedp(ProtobufCMessage **m) {
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}

static int
on_message(EspConnection *conn, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        ProxyClient *c = userdata;
        SimProxy *p = c->proxy;
        _cleanup_(protobuf_c_message_free_unpackedp) ProtobufCMessage *m = NULL;
        int r;

        if (c->closing)
                return 0;
        r = esp_decode(type, payload, len, &m);
        if (r == -ENOENT) {
                /* A message a Bluetooth proxy has no use for: ESPHome ignores it too. */
                log_debug("proxy %s: ignoring message type %u.", p->name, type);
                return 0;
        }
        if (r < 0) {
                log_warning(
                        "proxy %s: a %s that does not decode; closing.", p->name, esp_message_name(type));
                return r;
        }
        log_debug("proxy %s: ← %s", p->name, esp_message_name(type));

        if (!c->hello && type != ESP_MSG_HELLO_REQUEST && type != ESP_MSG_PING_REQUEST &&
            type != ESP_MSG_DISCONNECT_REQUEST) {
                log_warning("proxy %s: %s before HelloRequest; closing.", p->name, esp_message_name(type));
                return -EPROTO;
        }
        if (c->hello && !c->authenticated && !needs_no_auth(type)) {
                /* ESPHome closes a connection that asks for more before it authenticated. */
                log_warning("proxy %s: %s before authentication; closing.", p->name, esp_message_name(type));
                return -EACCES;
        }

        switch (type) {
        case ESP_MSG_HELLO_REQUEST: {
                const Esphome__HelloRequest *h = (const Esphome__HelloRequest *) m;

                c->hello = true;
                c->api_minor = h->api_version_major > 1 ? 99 : h->api_version_minor;
                /* Below API 1.12 a client had to send ConnectRequest, even without a password; from
                 * ESPHome 2026.1 (API 1.14) Hello alone authenticates. */
                c->authenticated = p->api_minor >= 12;
                send_hello(c);
                break;
        }
        case ESP_MSG_AUTHENTICATION_REQUEST:
                if (p->api_minor < 14) {
                        Esphome__AuthenticationResponse a = ESPHOME__AUTHENTICATION_RESPONSE__INIT;

                        /* No password is set: any is accepted, as ESPHome did without one. */
                        c->authenticated = true;
                        client_send(c, ESP_MSG_AUTHENTICATION_RESPONSE, &a.base);
                }
                break;
        case ESP_MSG_DISCONNECT_REQUEST:
                client_send(c, ESP_MSG_DISCONNECT_RESPONSE, NULL);
                c->closing = true;
                break;
        case ESP_MSG_DISCONNECT_RESPONSE:
                c->closing = true;
                break;
        case ESP_MSG_PING_REQUEST:
                client_send(c, ESP_MSG_PING_RESPONSE, NULL);
                break;
        case ESP_MSG_DEVICE_INFO_REQUEST:
                send_device_info(c);
                break;
        case ESP_MSG_LIST_ENTITIES_REQUEST:
                /* A Bluetooth proxy with no entities of its own. */
                client_send(c, ESP_MSG_LIST_ENTITIES_DONE_RESPONSE, NULL);
                break;
        case ESP_MSG_GET_TIME_REQUEST:
                send_time(c);
                break;
        case ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST:
                if (p->advert_client && p->advert_client != c) {
                        /* "Only one API subscription is allowed at a time." */
                        log_warning("proxy %s: a second advertisement subscriber is ignored.", p->name);
                        break;
                }
                p->advert_client = c;
                advert_arm(p);
                break;
        case ESP_MSG_UNSUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST:
                if (p->advert_client == c) {
                        p->advert_client = NULL;
                        advert_arm(p);
                }
                break;
        case ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST:
                send_connections_free(p, c);
                break;
        case ESP_MSG_BLUETOOTH_DEVICE_REQUEST: {
                const Esphome__BluetoothDeviceRequest *d = (const Esphome__BluetoothDeviceRequest *) m;

                switch (d->request_type) {
                case ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT:
                case ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT_V3_WITH_CACHE:
                case ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT_V3_WITHOUT_CACHE:
                        device_connect(c, d->address);
                        break;
                case ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT:
                        device_disconnect(c, d->address);
                        break;
                default:
                        /* Pairing and cache clearing: not among this proxy's feature flags. */
                        break;
                }
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST: {
                uint64_t a = ((const Esphome__BluetoothAddress *) m)->address;

                if (!connected_slot(c, a))
                        send_gatt_error(c, a, 0, ERR_NOT_CONNECTED);
                else
                        send_services(c, a);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_READ_REQUEST: {
                const Esphome__BluetoothGATTHandle *h = (const Esphome__BluetoothGATTHandle *) m;

                gatt_read(c, h->address, h->handle);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST:
                gatt_write(c, (const Esphome__BluetoothGATTWriteRequest *) m);
                break;
        case ESP_MSG_BLUETOOTH_GATT_NOTIFY_REQUEST: {
                const Esphome__BluetoothGATTNotifyRequest *n =
                        (const Esphome__BluetoothGATTNotifyRequest *) m;

                gatt_notify(c, n->address, n->handle, n->enable, false);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_WRITE_DESCRIPTOR_REQUEST: {
                const Esphome__BluetoothGATTData *d = (const Esphome__BluetoothGATTData *) m;

                /* The CCCD: 01 00 enables notifications, 00 00 disables them. */
                gatt_notify(c, d->address, d->handle, d->data.len >= 1 && (d->data.data[0] & 1), true);
                break;
        }
        default:
                /* States, logs, Home Assistant services and states, time answers: a proxy without
                 * entities has nothing to send, and ESPHome sends nothing back either. */
                break;
        }
        return 0;
}

/* —— clients ———————————————————————————————————————————————————————————————————————————————— */

static void client_close(ProxyClient *c) {
        SimProxy *p = c->proxy;

        /* ESPHome drops the BLE links of an API client that went away. */
        for (unsigned i = 0; i < p->n_slots; i++)
                if (p->slots[i].state != SLOT_FREE && p->slots[i].owner == c) {
                        p->slots[i].owner = NULL;
                        slot_end(p, &p->slots[i], ERR_CONN_TERMINATE_LOCAL_HOST, "API client gone");
                }
        if (p->advert_client == c) {
                p->advert_client = NULL;
                advert_arm(p);
        }
        for (ProxyClient **pp = &p->clients; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        p->n_clients--;
        c->io = sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                (void) close(c->fd);
        esp_connection_free(c->conn);
        free(c);
}

static int client_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        ProxyClient *c = userdata;
        uint8_t buf[4096];
        int r;

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n <= 0) {
                        log_debug("proxy %s: client closed.", c->proxy->name);
                        client_close(c);
                        return 0;
                }
                r = esp_connection_receive(c->conn, buf, (size_t) n);
                if (r < 0) {
                        log_info(
                                "proxy %s: closing a client: %s",
                                c->proxy->name,
                                esp_connection_error(c->conn));
                        /* Say what ESPHome says (a rejection), then close. */
                        (void) client_flush(c);
                        client_close(c);
                        return 0;
                }
        }
        r = client_flush(c);
        if (r < 0 || (r == 0 && c->closing))
                client_close(c);
        return 0;
}

static int on_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        SimProxy *p = userdata;
        EspConnectionCallbacks cb = { .message = on_message };
        EspConnectionOptions o = {
                .role = ESP_ROLE_SERVER,
                .psk = p->has_psk ? p->psk : NULL,
                .name = p->name,
                .mac = p->mac,
        };
        ProxyClient *c;
        int cfd, one = 1, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        if (p->n_clients >= SIM_PROXY_CLIENTS_MAX) {
                log_warning("proxy %s: too many API clients; refusing one.", p->name);
                (void) close(cfd);
                return 0;
        }
        (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = new0(ProxyClient, 1);
        if (!c) {
                (void) close(cfd);
                return 0;
        }
        c->proxy = p;
        c->fd = cfd;
        r = esp_connection_new(&o, &cb, c, &c->conn);
        if (r >= 0)
                r = sd_event_add_io(p->sim->event, &c->io, cfd, EPOLLIN, client_io, c);
        if (r < 0) {
                esp_connection_free(c->conn);
                (void) close(cfd);
                free(c);
                return 0;
        }
        c->next = p->clients;
        p->clients = c;
        p->n_clients++;
        log_debug("proxy %s: API client connected.", p->name);
        return 0;
}

/* —— life cycle ————————————————————————————————————————————————————————————————————————————— */

static int proxy_start(SimProxy *p) {
        struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_PASSIVE, .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char port[8];
        int fd, one = 1, r;

        if (p->running)
                return 0;
        (void) snprintf(port, sizeof(port), "%u", p->port);
        r = getaddrinfo(p->host, port, &hints, &ai);
        if (r != 0)
                return log_error_errno(
                        -EINVAL, "proxy %s: \"%s\" is not a numeric address.", p->name, p->host);
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                r = -errno;
                freeaddrinfo(ai);
                return log_error_errno(r, "proxy %s: socket: %m", p->name);
        }
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 8) < 0) {
                r = -errno;
                freeaddrinfo(ai);
                (void) close(fd);
                return log_error_errno(r, "proxy %s: cannot listen on %s:%u: %m", p->name, p->host, p->port);
        }
        freeaddrinfo(ai);
        /* Port 0 took a free one: keep it, so that a restart comes back on the same port. */
        if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0)
                p->port =
                        ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                       : ((struct sockaddr_in *) &ss)->sin_port);
        r = sd_event_add_io(p->sim->event, &p->listen_source, fd, EPOLLIN, on_accept, p);
        if (r < 0) {
                (void) close(fd);
                return log_error_errno(r, "proxy %s: %m", p->name);
        }
        p->listen_fd = fd;
        p->running = true;
        log_info(
                "proxy %s: listening on %s:%u (%s).",
                p->name,
                p->host,
                p->port,
                p->has_psk ? "Noise" : "plaintext");
        return 0;
}

/* Pulls the plug: sockets closed without a word, links to the locks lost. */
static void proxy_stop(SimProxy *p) {
        if (!p->running)
                return;
        while (p->clients)
                client_close(p->clients);
        for (unsigned i = 0; i < p->n_slots; i++)
                if (p->slots[i].state != SLOT_FREE)
                        slot_end(p, &p->slots[i], ERR_CONN_TERMINATE_LOCAL_HOST, "proxy stopped");
        p->listen_source = sd_event_source_disable_unref(p->listen_source);
        if (p->listen_fd >= 0)
                (void) close(p->listen_fd);
        p->listen_fd = -1;
        p->running = false;
        log_info("proxy %s: stopped.", p->name);
}

static int emit_running(SimProxy *p) {
        return sd_bus_emit_properties_changed(p->sim->bus, p->path, SIM_PROXY_INTERFACE, "Running", NULL);
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimProxy *p = userdata;

        proxy_stop(p);
        (void) emit_running(p);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_start(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        SimProxy *p = userdata;
        int r;

        r = proxy_start(p);
        if (r < 0)
                return sd_bus_error_set_errnof(
                        error, r, "proxy %s cannot listen on %s:%u: %m", p->name, p->host, p->port);
        (void) emit_running(p);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_get(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        SimProxy *p = userdata;

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", p->name);
        if (streq(property, "Address"))
                return sd_bus_message_append(reply, "s", p->host);
        if (streq(property, "Port"))
                return sd_bus_message_append(reply, "q", p->port);
        if (streq(property, "Encrypted"))
                return sd_bus_message_append(reply, "b", p->has_psk);
        if (streq(property, "Running"))
                return sd_bus_message_append(reply, "b", p->running);
        if (streq(property, "Slots"))
                return sd_bus_message_append(reply, "u", p->n_slots);
        if (streq(property, "FreeSlots"))
                return sd_bus_message_append(reply, "u", free_slots(p));
        if (streq(property, "Clients"))
                return sd_bus_message_append(reply, "u", (uint32_t) p->n_clients);
        return -ENOENT;
}

static const sd_bus_vtable proxy_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Address", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Port", "q", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Encrypted", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Running", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Slots", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("FreeSlots", "u", property_get, 0, 0),
        SD_BUS_PROPERTY("Clients", "u", property_get, 0, 0),
        SD_BUS_METHOD("Stop", "", "", method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Start", "", "", method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int read_psk(const char *path, uint8_t psk[ESP_NOISE_PSK_SIZE]) {
        char text[128];
        size_t n;
        FILE *f;
        int r;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fread(text, 1, sizeof(text) - 1, f);
        (void) fclose(f);
        text[n] = 0;
        r = esp_psk_from_base64(text, psk);
        erase_memory(text, sizeof(text));
        return r;
}

int proxy_create(Sim *s, const SimProxySpec *spec) {
        SimProxy *p, **list;
        uint8_t h = 0;
        int r;

        for (size_t i = 0; i < s->n_proxies; i++)
                if (streq(s->proxies[i]->name, spec->name))
                        return log_error_errno(-EEXIST, "Two proxies are called %s.", spec->name);
        p = new0(SimProxy, 1);
        if (!p)
                return log_oom();
        list = reallocarray(s->proxies, s->n_proxies + 1, sizeof(SimProxy *));
        if (!list) {
                free(p);
                return log_oom();
        }
        s->proxies = list;
        s->proxies[s->n_proxies++] = p;
        p->sim = s;
        p->listen_fd = -1;
        strcpy(p->name, spec->name);
        strcpy(p->host, spec->host);
        p->port = spec->port;
        p->n_slots = spec->slots;
        p->api_minor = spec->api_minor;
        (void) snprintf(p->path, sizeof(p->path), SIM_PROXY_PATH_PREFIX "%s", p->name);
        for (char *c = p->path + strlen(SIM_PROXY_PATH_PREFIX); *c; c++)
                if (*c == '-')
                        *c = '_';
        /* A MAC of Espressif's range, from the name, stable across runs. */
        for (const char *c = p->name; *c; c++)
                h = (uint8_t) (h * 31 + (uint8_t) *c);
        (void) snprintf(p->mac, sizeof(p->mac), "24dcc3a0%02x%02x", (unsigned) s->n_proxies, h);
        (void) snprintf(p->mac_str, sizeof(p->mac_str), "24:DC:C3:A0:%02X:%02X", (unsigned) s->n_proxies, h);
        (void) snprintf(
                p->bt_mac_str,
                sizeof(p->bt_mac_str),
                "24:DC:C3:A0:%02X:%02X",
                (unsigned) s->n_proxies,
                (uint8_t) (h + 2));
        p->rssi = new0(int16_t, s->n_locks);
        if (!p->rssi)
                return log_oom();
        for (size_t i = 0; i < s->n_locks; i++)
                p->rssi[s->locks[i]->index] =
                        s->locks[i]->rssi == SIM_RSSI_UNHEARD ? -70 : s->locks[i]->rssi;
        if (spec->psk_file) {
                r = read_psk(spec->psk_file, p->psk);
                if (r < 0)
                        return log_error_errno(
                                r,
                                "proxy %s: %s does not hold a base64 32-byte key: %m",
                                p->name,
                                spec->psk_file);
                p->has_psk = true;
        }
        r = sd_bus_add_object_vtable(s->bus, &p->bus_slot, p->path, SIM_PROXY_INTERFACE, proxy_vtable, p);
        if (r < 0)
                return log_error_errno(r, "proxy %s: cannot register %s: %m", p->name, p->path);
        return proxy_start(p);
}

void proxy_free_all(Sim *s) {
        for (size_t i = 0; i < s->n_proxies; i++) {
                SimProxy *p = s->proxies[i];

                proxy_stop(p);
                p->advert_timer = sd_event_source_disable_unref(p->advert_timer);
                p->bus_slot = sd_bus_slot_unref(p->bus_slot);
                erase_memory(p->psk, sizeof(p->psk));
                free(p->rssi);
                free(p);
        }
        s->proxies = mfree(s->proxies);
        s->n_proxies = 0;
}
