/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp-frame.h"
#include "esp-message.h"
#include "fake-proxy.h"
#include "macro.h"

/* The lock's GATT database as ttlock-sim's proxy reports it (doc/protocol.md §1.1). */
#define H_SERVICE 0x000C
#define H_NOTIFY 0x000E
#define H_CCCD 0x000F
#define H_WRITE 0x0011
#define PROP_WRITE_NO_RESPONSE 0x04
#define PROP_WRITE 0x08
#define PROP_NOTIFY 0x10
#define WRITTEN_MAX 4096

typedef struct Client Client;
struct Client {
        FakeProxy *proxy;
        int fd;
        sd_event_source *io;
        EspConnection *conn;
        unsigned api_minor;
        bool raw_answered;
        Client *next;
};

struct FakeProxy {
        sd_event *event;
        FakeProxyOptions o;
        uint8_t psk[32];
        int listen_fd;
        uint16_t port;
        sd_event_source *listen_source;
        Client *clients;
        Client *subscriber;
        unsigned accepts; /* read from other threads: __atomic */

        /* The one lock and its link. */
        Client *link_owner;
        bool linked, notify_registered, notify_on;
        unsigned free_slots;
        uint8_t written[WRITTEN_MAX];
        size_t n_written;
        unsigned writes;
};

static uint64_t lock_mac(void) {
        return UINT64_C(0xAABBCC000007);
}

static void client_send(Client *c, uint16_t type, const ProtobufCMessage *m) {
        const uint8_t *data;
        size_t n;

        if (!c || esp_send(c->conn, type, m) < 0)
                return;
        while ((n = esp_connection_output(c->conn, &data)) > 0) {
                ssize_t k = send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k <= 0)
                        break;
                esp_connection_output_consume(c->conn, (size_t) k);
        }
}

static void send_raw(Client *c, const void *data, size_t n) {
        (void) send(c->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void send_free(FakeProxy *p, Client *to) {
        Esphome__BluetoothConnectionsFreeResponse m = ESPHOME__BLUETOOTH_CONNECTIONS_FREE_RESPONSE__INIT;

        m.free = p->free_slots;
        m.limit = p->o.slots;
        client_send(to ?: p->subscriber, ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE, &m.base);
}

static void send_connection(Client *c, uint64_t mac, bool connected, int32_t error) {
        Esphome__BluetoothDeviceConnectionResponse m = ESPHOME__BLUETOOTH_DEVICE_CONNECTION_RESPONSE__INIT;

        m.address = mac;
        m.connected = connected;
        m.mtu = connected ? 23 : 0;
        m.error = error;
        client_send(c, ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE, &m.base);
}

static void send_handle(Client *c, uint16_t type, uint32_t handle) {
        Esphome__BluetoothGATTHandle m = ESPHOME__BLUETOOTH_GATTHANDLE__INIT;

        m.address = lock_mac();
        m.handle = handle;
        client_send(c, type, &m.base);
}

static void send_gatt_error(Client *c, uint64_t mac, uint32_t handle, int32_t error) {
        Esphome__BluetoothGATTErrorResponse m = ESPHOME__BLUETOOTH_GATTERROR_RESPONSE__INIT;

        m.address = mac;
        m.handle = handle;
        m.error = error;
        client_send(c, ESP_MSG_BLUETOOTH_GATT_ERROR_RESPONSE, &m.base);
}

static void link_end(FakeProxy *p, bool tell) {
        Client *owner = p->link_owner;

        if (!p->linked)
                return;
        p->linked = p->notify_registered = p->notify_on = false;
        p->link_owner = NULL;
        p->free_slots++;
        if (tell && owner) {
                send_connection(owner, lock_mac(), false, 0x13);
                send_free(p, owner);
        }
}

/* ---- the hostile proxy's repertoire ------------------------------------------------------------ */

static void hostile_burst(Client *c) {
        Esphome__BluetoothLERawAdvertisementsResponse m =
                ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENTS_RESPONSE__INIT;
        Esphome__BluetoothLERawAdvertisement adv[16], *list[16];
        uint8_t data[16][40];
        uint8_t big[64];

        /* Structures that run past their end, absurd RSSIs, empty data, control characters in names,
         * and thousands of different TTLock addresses. */
        for (unsigned batch = 0; batch < 160; batch++) {
                for (unsigned i = 0; i < 16; i++) {
                        uint8_t *d = data[i];
                        size_t n = 0;

                        esphome__bluetooth_leraw_advertisement__init(&adv[i]);
                        adv[i].address = UINT64_C(0xC0DE00000000) + batch * 16 + i;
                        adv[i].rssi = (i % 4 == 0) ? 1000 : (i % 4 == 1) ? -100000 : -60;
                        switch (i % 5) {
                        case 0: /* length past the end */
                                d[n++] = 30;
                                d[n++] = 0xFF;
                                d[n++] = 0x05;
                                d[n++] = 0x03;
                                break;
                        case 1: /* a TTLock with a name full of control characters */
                                memcpy(d + n, "\x03\x02\x10\x19\x06\x09\x01\x1b\x7f\x80\n", 11);
                                n += 11;
                                break;
                        case 2: /* nothing */
                                break;
                        case 3: /* manufacturer data of length 1 */
                                memcpy(d + n, "\x02\xff\x05\x03\x02\x10\x19", 7);
                                n += 7;
                                break;
                        default: /* V3 key with a payload too short to be an advert */
                                memcpy(d + n, "\x04\xff\x05\x03\x99", 5);
                                n += 5;
                                break;
                        }
                        adv[i].data.data = d;
                        adv[i].data.len = n;
                        list[i] = &adv[i];
                }
                m.n_advertisements = 16;
                m.advertisements = list;
                client_send(c, ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, &m.base);
        }

        /* Answers to questions nobody asked. */
        send_connection(c, UINT64_C(0x112233445566), true, 0);
        send_connection(c, lock_mac(), false, -7);
        {
                Esphome__BluetoothGATTData d = ESPHOME__BLUETOOTH_GATTDATA__INIT;

                memset(big, 0xEE, sizeof(big));
                d.address = UINT64_C(0x112233445566);
                d.handle = H_NOTIFY;
                d.data.data = big;
                d.data.len = sizeof(big);
                client_send(c, ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE, &d.base);
        }
        send_gatt_error(c, UINT64_C(0x112233445566), 0, -1);
        send_handle(c, ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE, H_WRITE);
        {
                Esphome__BluetoothConnectionsFreeResponse f =
                        ESPHOME__BLUETOOTH_CONNECTIONS_FREE_RESPONSE__INIT;

                f.free = UINT32_MAX;
                f.limit = UINT32_MAX;
                client_send(c, ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE, &f.base);
        }
        {
                /* A services answer with a UUID array of three values and one of none. */
                Esphome__BluetoothGATTGetServicesResponse r =
                        ESPHOME__BLUETOOTH_GATTGET_SERVICES_RESPONSE__INIT;
                Esphome__BluetoothGATTService s = ESPHOME__BLUETOOTH_GATTSERVICE__INIT, *sl[1] = { &s };
                uint64_t uuid[3] = { 1, 2, 3 };

                s.n_uuid = 3;
                s.uuid = uuid;
                r.address = UINT64_C(0x112233445566);
                r.n_services = 1;
                r.services = sl;
                client_send(c, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE, &r.base);
        }
        /* A message type nobody knows, then a frame over ESPHome's limit: the end of the session. */
        client_send(c, 9999, NULL);
        {
                static const uint8_t huge[] = { 0x00, 0x80, 0x80, 0x40, 0x02 };

                send_raw(c, huge, sizeof(huge));
        }
}

/* ---- messages ---------------------------------------------------------------------------------- */

static void send_services(Client *c) {
        FakeProxy *p = c->proxy;
        Esphome__BluetoothGATTGetServicesResponse r = ESPHOME__BLUETOOTH_GATTGET_SERVICES_RESPONSE__INIT;
        Esphome__BluetoothGATTService s = ESPHOME__BLUETOOTH_GATTSERVICE__INIT, *sl[1] = { &s };
        Esphome__BluetoothGATTCharacteristic ch[2], *cl[2] = { &ch[0], &ch[1] };
        Esphome__BluetoothGATTDescriptor cccd = ESPHOME__BLUETOOTH_GATTDESCRIPTOR__INIT, *dl[1] = { &cccd };
        Esphome__BluetoothAddress done = ESPHOME__BLUETOOTH_ADDRESS__INIT;
        uint64_t su[2], cu[2][2], du[2];
        bool short_ok = c->api_minor >= ESP_API_SHORT_UUID_MINOR && !p->o.long_uuids;
        EspUuid u;

        esp_uuid_from_short(0x1910, &u);
        esp_uuid_to_fields(&u, short_ok, su, &s.n_uuid, &s.short_uuid);
        s.uuid = su;
        s.handle = H_SERVICE;
        for (int i = 0; i < 2; i++) {
                esphome__bluetooth_gattcharacteristic__init(&ch[i]);
                esp_uuid_from_short(i == 0 ? 0xFFF4 : 0xFFF2, &u);
                esp_uuid_to_fields(&u, short_ok, cu[i], &ch[i].n_uuid, &ch[i].short_uuid);
                ch[i].uuid = cu[i];
                ch[i].handle = i == 0 ? H_NOTIFY : H_WRITE;
                ch[i].properties = i == 0 ? PROP_NOTIFY : PROP_WRITE | PROP_WRITE_NO_RESPONSE;
        }
        esp_uuid_from_short(0x2902, &u);
        esp_uuid_to_fields(&u, short_ok, du, &cccd.n_uuid, &cccd.short_uuid);
        cccd.uuid = du;
        cccd.handle = H_CCCD;
        ch[0].n_descriptors = 1;
        ch[0].descriptors = dl;
        s.n_characteristics = 2;
        s.characteristics = cl;
        r.address = lock_mac();
        r.n_services = 1;
        r.services = sl;
        client_send(c, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE, &r.base);
        done.address = lock_mac();
        client_send(c, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_DONE_RESPONSE, &done.base);
}

static void protobuf_freep(ProtobufCMessage **m) {
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}

static int
on_message(EspConnection *conn, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        Client *c = userdata;
        FakeProxy *p = c->proxy;
        _cleanup_(protobuf_freep) ProtobufCMessage *m = NULL;

        if (esp_decode(type, payload, len, &m) < 0)
                return 0;
        switch (type) {
        case ESP_MSG_HELLO_REQUEST: {
                Esphome__HelloResponse h = ESPHOME__HELLO_RESPONSE__INIT;

                c->api_minor = ((Esphome__HelloRequest *) m)->api_version_minor;
                h.api_version_major = 1;
                h.api_version_minor = p->o.api_minor;
                h.server_info = (char *) "2026.1.0 (fake)";
                h.name = (char *) "fake";
                client_send(c, ESP_MSG_HELLO_RESPONSE, &h.base);
                break;
        }
        case ESP_MSG_AUTHENTICATION_REQUEST: {
                Esphome__AuthenticationResponse a = ESPHOME__AUTHENTICATION_RESPONSE__INIT;

                client_send(c, ESP_MSG_AUTHENTICATION_RESPONSE, &a.base);
                break;
        }
        case ESP_MSG_PING_REQUEST:
                client_send(c, ESP_MSG_PING_RESPONSE, NULL);
                break;
        case ESP_MSG_DEVICE_INFO_REQUEST: {
                Esphome__DeviceInfoResponse d = ESPHOME__DEVICE_INFO_RESPONSE__INIT;

                d.name = (char *) "fake";
                d.mac_address = (char *) "24:DC:C3:A0:BE:EF";
                d.esphome_version = (char *) "2026.1.0";
                d.model = (char *) "esp32dev";
                if (p->o.mode != FAKE_PROXY_NOT_A_PROXY)
                        d.bluetooth_proxy_feature_flags = ESP_BT_FEATURE_PASSIVE_SCAN |
                                ESP_BT_FEATURE_ACTIVE_CONNECTIONS | ESP_BT_FEATURE_RAW_ADVERTISEMENTS |
                                (p->o.v1_only ? 0 : ESP_BT_FEATURE_REMOTE_CACHING);
                client_send(c, ESP_MSG_DEVICE_INFO_RESPONSE, &d.base);
                break;
        }
        case ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST:
                p->subscriber = c;
                if (p->o.mode == FAKE_PROXY_HOSTILE)
                        hostile_burst(c);
                break;
        case ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST:
                send_free(p, c);
                break;
        case ESP_MSG_BLUETOOTH_DEVICE_REQUEST: {
                const Esphome__BluetoothDeviceRequest *d = (const Esphome__BluetoothDeviceRequest *) m;

                if (d->request_type ==
                    ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT) {
                        if (p->linked && d->address == lock_mac() && p->link_owner == c)
                                link_end(p, /* tell= */ true);
                        else
                                send_connection(c, d->address, false, 0);
                        break;
                }
                if (p->linked && d->address == lock_mac()) {
                        send_connection(c, d->address, true, 0);
                        break;
                }
                if (p->free_slots == 0) {
                        send_connection(c, d->address, false, 0); /* "No free connections available" */
                        break;
                }
                if (p->o.refuse_connect || d->address != lock_mac()) {
                        send_connection(c, d->address, false, 0x3E);
                        send_free(p, c);
                        break;
                }
                p->linked = true;
                p->link_owner = c;
                p->free_slots--;
                /* v1: the proxy resolves services and turns notifications on itself. */
                send_connection(c, d->address, true, 0);
                send_free(p, c);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST:
                if (!p->linked)
                        send_gatt_error(c, ((Esphome__BluetoothAddress *) m)->address, 0, -1);
                else
                        send_services(c);
                break;
        case ESP_MSG_BLUETOOTH_GATT_NOTIFY_REQUEST: {
                const Esphome__BluetoothGATTNotifyRequest *n =
                        (const Esphome__BluetoothGATTNotifyRequest *) m;

                if (!p->linked || n->handle != H_NOTIFY) {
                        send_gatt_error(c, n->address, n->handle, p->linked ? 0x01 : -1);
                        break;
                }
                p->notify_registered = n->enable;
                if (p->o.v1_only)
                        p->notify_on = n->enable;
                send_handle(c, ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE, H_NOTIFY);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_WRITE_DESCRIPTOR_REQUEST: {
                const Esphome__BluetoothGATTData *d = (const Esphome__BluetoothGATTData *) m;

                if (!p->linked || d->handle != H_CCCD) {
                        send_gatt_error(c, d->address, d->handle, p->linked ? 0x01 : -1);
                        break;
                }
                p->notify_on = d->data.len >= 1 && (d->data.data[0] & 1);
                send_handle(c, ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE, H_CCCD);
                break;
        }
        case ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST: {
                const Esphome__BluetoothGATTWriteRequest *w = (const Esphome__BluetoothGATTWriteRequest *) m;

                if (!p->linked || w->handle != H_WRITE) {
                        send_gatt_error(c, w->address, w->handle, p->linked ? 0x03 : -1);
                        break;
                }
                if (p->n_written + w->data.len <= WRITTEN_MAX) {
                        memcpy(p->written + p->n_written, w->data.data, w->data.len);
                        p->n_written += w->data.len;
                }
                p->writes++;
                if (w->response)
                        send_handle(c, ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE, H_WRITE);
                break;
        }
        default:
                break;
        }
        return 0;
}

/* ---- clients ----------------------------------------------------------------------------------- */

static void client_close(Client *c) {
        FakeProxy *p = c->proxy;

        if (p->link_owner == c)
                link_end(p, /* tell= */ false);
        if (p->subscriber == c)
                p->subscriber = NULL;
        for (Client **i = &p->clients; *i; i = &(*i)->next)
                if (*i == c) {
                        *i = c->next;
                        break;
                }
        sd_event_source_disable_unref(c->io);
        close(c->fd);
        esp_connection_free(c->conn);
        free(c);
}

/* The broken modes answer the first bytes with their own. */
static bool raw_answer(Client *c) {
        static const uint8_t garbage[] = "\x42 this is no frame \x99\xff";
        static const uint8_t huge[] = { 0x00, 0x80, 0x80, 0x40, 0x02 }; /* 1 MiB, HelloResponse */
        static const uint8_t bad[] = { 0x00, 0x02, 0x02, 0x0A, 0xFF };  /* field 1, length 255, 0 bytes */

        switch (c->proxy->o.mode) {
        case FAKE_PROXY_GARBAGE:
                send_raw(c, garbage, sizeof(garbage) - 1);
                return true;
        case FAKE_PROXY_HUGE_FRAME:
                send_raw(c, huge, sizeof(huge));
                return true;
        case FAKE_PROXY_BAD_MESSAGE:
                send_raw(c, bad, sizeof(bad));
                return true;
        case FAKE_PROXY_SILENT:
                return true;
        default:
                return false;
        }
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Client *c = userdata;
        uint8_t buf[4096];
        ssize_t n;

        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                client_close(c);
                return 0;
        }
        if (raw_answer(c))
                return 0;
        if (esp_connection_receive(c->conn, buf, (size_t) n) < 0) {
                /* Say what ESPHome says (a rejection), then close. */
                const uint8_t *data;
                size_t k = esp_connection_output(c->conn, &data);

                if (k > 0)
                        send_raw(c, data, k);
                client_close(c);
                return 0;
        }
        {
                const uint8_t *data;
                size_t k;

                while ((k = esp_connection_output(c->conn, &data)) > 0) {
                        ssize_t w = send(c->fd, data, k, MSG_NOSIGNAL | MSG_DONTWAIT);

                        if (w <= 0)
                                break;
                        esp_connection_output_consume(c->conn, (size_t) w);
                }
        }
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        FakeProxy *p = userdata;
        EspConnectionCallbacks cb = { .message = on_message };
        EspConnectionOptions o = {
                .role = ESP_ROLE_SERVER,
                .psk = p->o.psk ? p->psk : NULL,
                .name = "fake",
                .mac = "24dcc3a0beef",
        };
        Client *c;
        int cfd, one = 1;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        __atomic_add_fetch(&p->accepts, 1, __ATOMIC_SEQ_CST);
        (void) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(Client));
        if (!c || esp_connection_new(&o, &cb, c, &c->conn) < 0 ||
            sd_event_add_io(p->event, &c->io, cfd, EPOLLIN, on_client_io, c) < 0) {
                if (c)
                        esp_connection_free(c->conn);
                free(c);
                close(cfd);
                return 0;
        }
        c->proxy = p;
        c->fd = cfd;
        c->next = p->clients;
        p->clients = c;
        return 0;
}

/* ---- the proxy --------------------------------------------------------------------------------- */

int fake_proxy_new(sd_event *event, const FakeProxyOptions *o, FakeProxy **ret) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        FakeProxy *p;
        int r;

        p = calloc(1, sizeof(FakeProxy));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->o = *o;
        if (p->o.api_minor == 0)
                p->o.api_minor = 14;
        if (p->o.slots == 0)
                p->o.slots = 3;
        p->free_slots = p->o.slots;
        if (o->psk)
                memcpy(p->psk, o->psk, sizeof(p->psk));
        p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            listen(p->listen_fd, 16) < 0 || getsockname(p->listen_fd, (struct sockaddr *) &sa, &sl) < 0) {
                r = -errno;
                fake_proxy_free(p);
                return r;
        }
        p->port = ntohs(sa.sin_port);
        r = sd_event_add_io(event, &p->listen_source, p->listen_fd, EPOLLIN, on_accept, p);
        if (r < 0) {
                fake_proxy_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

FakeProxy *fake_proxy_free(FakeProxy *p) {
        if (!p)
                return NULL;
        while (p->clients)
                client_close(p->clients);
        sd_event_source_disable_unref(p->listen_source);
        if (p->listen_fd >= 0)
                close(p->listen_fd);
        sd_event_unref(p->event);
        free(p);
        return NULL;
}

uint16_t fake_proxy_port(FakeProxy *p) {
        return p->port;
}

unsigned fake_proxy_accepts(FakeProxy *p) {
        return __atomic_load_n(&p->accepts, __ATOMIC_SEQ_CST);
}

void fake_proxy_advertise(FakeProxy *p, int rssi) {
        Esphome__BluetoothLERawAdvertisementsResponse m =
                ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENTS_RESPONSE__INIT;
        Esphome__BluetoothLERawAdvertisement a = ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENT__INIT,
                                             *l[1] = { &a };
        /* Flags, the 0x1910 service, V3 manufacturer data (doc/protocol.md §1.5), a name. */
        static const uint8_t ad[] = { 0x02, 0x01, 0x06, 0x03, 0x02, 0x10, 0x19, 0x05, 0xFF, 0x05,
                                      0x03, 0x02, 0x00, 0x06, 0x09, 'F',  'A',  'K',  'E',  '7' };

        a.address = lock_mac();
        a.rssi = rssi;
        a.data.data = (uint8_t *) ad;
        a.data.len = sizeof(ad);
        m.n_advertisements = 1;
        m.advertisements = l;
        client_send(p->subscriber, ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, &m.base);
}

void fake_proxy_drop(FakeProxy *p) {
        while (p->clients)
                client_close(p->clients);
}

void fake_proxy_lose_link(FakeProxy *p) {
        link_end(p, /* tell= */ true);
}

void fake_proxy_notify(FakeProxy *p, const uint8_t *data, size_t len) {
        Esphome__BluetoothGATTData m = ESPHOME__BLUETOOTH_GATTDATA__INIT;

        if (!p->linked || !p->notify_on)
                return;
        m.address = lock_mac();
        m.handle = H_NOTIFY;
        m.data.data = (uint8_t *) data;
        m.data.len = len;
        client_send(p->link_owner, ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE, &m.base);
}

bool fake_proxy_link_up(FakeProxy *p) {
        return p->linked && p->notify_on;
}

size_t fake_proxy_written(FakeProxy *p, uint8_t *buf, size_t size) {
        size_t n = MIN(size, p->n_written);

        memcpy(buf, p->written, n);
        return n;
}

unsigned fake_proxy_writes(FakeProxy *p) {
        return p->writes;
}

unsigned fake_proxy_free_slots(FakeProxy *p) {
        return p->free_slots;
}

/* ---- on a thread ------------------------------------------------------------------------------- */

struct FakeProxyThread {
        pthread_t thread;
        FakeProxyOptions o;
        uint8_t psk[32];
        int stop_fd;
        FakeProxy *proxy;
        uint16_t port;
        pthread_mutex_t lock;
        pthread_cond_t ready;
        int error; /* > 0 while starting */
};

static int on_stop(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static void *thread_main(void *userdata) {
        FakeProxyThread *t = userdata;
        sd_event *e = NULL;
        int r;

        r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_io(e, NULL, t->stop_fd, EPOLLIN, on_stop, t);
        if (r >= 0)
                r = fake_proxy_new(e, &t->o, &t->proxy);
        pthread_mutex_lock(&t->lock);
        t->error = r < 0 ? r : 0;
        t->port = r >= 0 ? fake_proxy_port(t->proxy) : 0;
        pthread_cond_signal(&t->ready);
        pthread_mutex_unlock(&t->lock);
        if (r >= 0)
                (void) sd_event_loop(e);
        /* The proxy stays until the thread is joined: its counter may still be read. */
        sd_event_unref(e);
        return NULL;
}

int fake_proxy_thread_start(const FakeProxyOptions *o, FakeProxyThread **ret) {
        FakeProxyThread *t = calloc(1, sizeof(FakeProxyThread));
        int r;

        if (!t)
                return -ENOMEM;
        t->o = *o;
        if (o->psk) {
                memcpy(t->psk, o->psk, sizeof(t->psk));
                t->o.psk = t->psk;
        }
        t->error = 1;
        t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        pthread_mutex_init(&t->lock, NULL);
        pthread_cond_init(&t->ready, NULL);
        r = t->stop_fd < 0 ? -errno : -pthread_create(&t->thread, NULL, thread_main, t);
        if (r < 0) {
                free(t);
                return r;
        }
        pthread_mutex_lock(&t->lock);
        while (t->error > 0)
                pthread_cond_wait(&t->ready, &t->lock);
        r = t->error;
        pthread_mutex_unlock(&t->lock);
        if (r < 0) {
                fake_proxy_thread_stop(t);
                return r;
        }
        *ret = t;
        return 0;
}

uint16_t fake_proxy_thread_port(FakeProxyThread *t) {
        return t->port;
}

unsigned fake_proxy_thread_accepts(FakeProxyThread *t) {
        return t->proxy ? fake_proxy_accepts(t->proxy) : 0;
}

void fake_proxy_thread_stop(FakeProxyThread *t) {
        uint64_t one = 1;

        if (!t)
                return;
        (void) write(t->stop_fd, &one, sizeof(one));
        pthread_join(t->thread, NULL);
        fake_proxy_free(t->proxy);
        close(t->stop_fd);
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->ready);
        free(t);
}
