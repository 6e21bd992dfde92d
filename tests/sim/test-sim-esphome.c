/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-sim's ESPHome Bluetooth proxies, seen by a native API client built on src/esphome over a
 * real TCP socket on 127.0.0.1: the connection set-up every client runs, raw advertisements of the
 * simulated lock, a BLE connection, GATT services, a real TTLock exchange through GATT write and
 * notifications, connection slots, Noise with the right and a wrong key, the proxy's plug pulled and
 * put back through org.ttlock.SimProxy1, and hostile bytes that must not bring the simulator down. */

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "advert.h"
#include "command.h"
#include "crypto.h"
#include "esp-frame.h"
#include "esp-message.h"
#include "frame.h"
#include "pairing.h"
#include "testbus.h"
#include "transport.h"
#include "tt-test.h"

#define LOCK1 "AA:BB:CC:00:00:01"
#define LOCK2 "AA:BB:CC:00:00:02"
#define LOCK1_U64 0xAABBCC000001ull
#define LOCK2_U64 0xAABBCC000002ull
#define DEV1 "/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
#define PSK_TEXT "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define QUEUE_MAX 512

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* —— a small native API client ————————————————————————————————————————————————————————————— */

typedef struct Msg {
        uint16_t type;
        uint8_t *data;
        size_t len;
} Msg;

typedef struct Api {
        int fd;
        EspConnection *conn;
        Msg queue[QUEUE_MAX];
        size_t n;
        bool eof;
        TTReassembler rx; /* notifications of 0xFFF4 */
        uint8_t frames[8][TTLOCK_WIRE_MAX];
        size_t frame_len[8];
        size_t n_frames;
} Api;

static int
api_on_message(EspConnection *c, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        Api *a = userdata;

        ck_assert_uint_lt(a->n, QUEUE_MAX);
        a->queue[a->n].type = type;
        a->queue[a->n].data = malloc(len ?: 1);
        ck_assert_ptr_nonnull(a->queue[a->n].data);
        if (len > 0)
                memcpy(a->queue[a->n].data, payload, len);
        a->queue[a->n++].len = len;
        return 0;
}

static void api_flush(Api *a) {
        const uint8_t *out;
        size_t n;

        while ((n = esp_connection_output(a->conn, &out)) > 0) {
                ssize_t k = send(a->fd, out, n, MSG_NOSIGNAL);

                if (k < 0) {
                        ck_assert_int_eq(errno, EPIPE);
                        esp_connection_output_consume(a->conn, n); /* the peer is gone */
                        return;
                }
                esp_connection_output_consume(a->conn, (size_t) k);
        }
}

/* Reads what arrives within timeout_ms (or until the peer closes); returns the connection's state. */
static int api_pump(Api *a, unsigned timeout_ms) {
        struct pollfd p = { .fd = a->fd, .events = POLLIN };
        uint8_t buf[4096];
        ssize_t n;

        if (a->eof || poll(&p, 1, (int) timeout_ms) <= 0)
                return 0;
        n = recv(a->fd, buf, sizeof(buf), 0);
        if (n <= 0) {
                a->eof = true;
                return 0;
        }
        return esp_connection_receive(a->conn, buf, (size_t) n);
}

static uint16_t proxy_port(const char *name) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        char path[128];
        uint16_t port = 0;

        snprintf(path, sizeof(path), "/org/ttlock/sim/proxy/%s", name);
        ck_assert_int_ge(sd_bus_open_system(&bus), 0);
        ck_assert_int_ge(
                sd_bus_get_property_trivial(
                        bus, "org.bluez", path, "org.ttlock.SimProxy1", "Port", NULL, 'q', &port),
                0);
        ck_assert_uint_gt(port, 0);
        return port;
}

static void api_open(Api *a, uint16_t port, const uint8_t *psk) {
        static const EspConnectionCallbacks cb = { .message = api_on_message };
        EspConnectionOptions o = { .role = ESP_ROLE_CLIENT, .psk = psk };
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

        *a = (Api){};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(a->fd, 0);
        ck_assert_int_eq(connect(a->fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(esp_connection_new(&o, &cb, a, &a->conn), 0);
        ttlock_reassembler_init(&a->rx);
        api_flush(a);
}

static void api_close(Api *a) {
        for (size_t i = 0; i < a->n; i++)
                free(a->queue[i].data);
        a->n = 0;
        esp_connection_free(a->conn);
        if (a->fd >= 0)
                close(a->fd);
        a->fd = -1;
}

static void api_send(Api *a, uint16_t type, const ProtobufCMessage *m) {
        ck_assert_int_eq(esp_send(a->conn, type, m), 0);
        api_flush(a);
}

static bool take(Api *a, uint16_t type, Msg *ret) {
        for (size_t i = 0; i < a->n; i++)
                if (a->queue[i].type == type) {
                        *ret = a->queue[i];
                        memmove(a->queue + i, a->queue + i + 1, (a->n - i - 1) * sizeof(Msg));
                        a->n--;
                        return true;
                }
        return false;
}

/* Whether a message of a type is queued (it stays queued). */
static bool queued(const Api *a, uint16_t type) {
        for (size_t i = 0; i < a->n; i++)
                if (a->queue[i].type == type)
                        return true;
        return false;
}

/* The next message of a type, decoded (free with protobuf_c_message_free_unpacked), or NULL after
 * timeout_ms. Messages of other types stay queued. */
static ProtobufCMessage *api_wait(Api *a, uint16_t type, unsigned timeout_ms) {
        uint64_t end = now_usec() + (uint64_t) timeout_ms * 1000;
        ProtobufCMessage *m = NULL;
        Msg msg;

        while (!take(a, type, &msg)) {
                if (now_usec() >= end || a->eof)
                        return NULL;
                ck_assert_int_eq(api_pump(a, (unsigned) ((end - now_usec()) / 1000) + 1), 0);
        }
        ck_assert_int_eq(esp_decode(type, msg.data, msg.len, &m), 0);
        free(msg.data);
        return m;
}

#define WAIT(a, type, T, timeout_ms) ((T *) api_wait((a), (type), (timeout_ms)))

static void drop(void *m) {
        if (m)
                protobuf_c_message_free_unpacked(m, NULL);
}

/* Waits until the peer closes the socket; false after timeout_ms. */
static bool api_wait_eof(Api *a, unsigned timeout_ms) {
        uint64_t end = now_usec() + (uint64_t) timeout_ms * 1000;

        while (!a->eof && now_usec() < end)
                if (api_pump(a, 50) < 0)
                        return true; /* failed: what the proxy said ended the connection */
        return a->eof;
}

/* Runs the Noise handshake to its end (plaintext is ready at once). */
static void api_ready(Api *a) {
        uint64_t end = now_usec() + 5 * TEST_USEC_PER_SEC;

        while (esp_connection_state(a->conn) == ESP_CONNECTION_HANDSHAKE && !a->eof && now_usec() < end) {
                ck_assert_int_eq(api_pump(a, 100), 0);
                api_flush(a);
        }
        ck_assert_msg(
                esp_connection_state(a->conn) == ESP_CONNECTION_READY,
                "handshake: %s",
                esp_connection_error(a->conn));
}

static void hello(Api *a, unsigned minor, const char *expect_name) {
        Esphome__HelloRequest h = ESPHOME__HELLO_REQUEST__INIT;
        Esphome__HelloResponse *r;

        api_ready(a);
        h.client_info = (char *) "test-sim-esphome";
        h.api_version_major = 1;
        h.api_version_minor = minor;
        api_send(a, ESP_MSG_HELLO_REQUEST, &h.base);
        r = WAIT(a, ESP_MSG_HELLO_RESPONSE, Esphome__HelloResponse, 5000);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->api_version_major, 1);
        ck_assert_str_eq(r->name, expect_name);
        drop(r);
}

static void device_request(Api *a, uint64_t address, Esphome__BluetoothDeviceRequestType t) {
        Esphome__BluetoothDeviceRequest d = ESPHOME__BLUETOOTH_DEVICE_REQUEST__INIT;

        d.address = address;
        d.request_type = t;
        api_send(a, ESP_MSG_BLUETOOTH_DEVICE_REQUEST, &d.base);
}

#define CONNECT_V3 \
        ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_CONNECT_V3_WITHOUT_CACHE
#define DISCONNECT ESPHOME__BLUETOOTH_DEVICE_REQUEST_TYPE__BLUETOOTH_DEVICE_REQUEST_TYPE_DISCONNECT

/* Connect and wait for the answer; returns it (connected or not). */
static Esphome__BluetoothDeviceConnectionResponse *ble_connect(Api *a, uint64_t address) {
        Esphome__BluetoothDeviceConnectionResponse *r;

        device_request(a, address, CONNECT_V3);
        r =
                WAIT(a,
                     ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE,
                     Esphome__BluetoothDeviceConnectionResponse,
                     10000);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->address, address);
        return r;
}

static void notify_on(Api *a, uint64_t address) {
        Esphome__BluetoothGATTNotifyRequest n = ESPHOME__BLUETOOTH_GATTNOTIFY_REQUEST__INIT;
        Esphome__BluetoothGATTHandle *h;

        n.address = address;
        n.handle = 0x000E;
        n.enable = true;
        api_send(a, ESP_MSG_BLUETOOTH_GATT_NOTIFY_REQUEST, &n.base);
        h = WAIT(a, ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE, Esphome__BluetoothGATTHandle, 5000);
        ck_assert_ptr_nonnull(h);
        ck_assert_uint_eq(h->handle, 0x000E);
        drop(h);
}

static void on_lock_frame(const uint8_t *frame, size_t len, void *userdata) {
        Api *a = userdata;

        ck_assert_uint_lt(a->n_frames, 8);
        memcpy(a->frames[a->n_frames], frame, len);
        a->frame_len[a->n_frames++] = len;
}

/* GET_AES_KEY (doc/protocol.md §5.1) through the proxy: the frame written in ≤ 20-byte GATT writes, the
 * reply reassembled from notification data, checked against the lock's answer. */
static void get_aes_key(Api *a, uint64_t address) {
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(TTLOCK_CMD_GET_AES_KEY);
        uint8_t plain[TTLOCK_PLAIN_MAX], frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX],
                out[TTLOCK_FRAME_MAX_DATA];
        uint8_t key[TTLOCK_AES_KEY_LEN];
        size_t len, n, wn;
        TTWriter w = TT_WRITER(plain, sizeof(plain));
        TTFrame f;
        TTError e = {};
        uint64_t end;

        ttlock_get_aes_key_request_encode(&w);
        ck_assert_int_ge(tt_writer_finish(&w, &len, NULL), 0);
        ck_assert_int_ge(
                ttlock_frame_build(&h, ttlock_default_key, plain, len, frame, sizeof(frame), &n, &e), 0);
        ck_assert_int_ge(ttlock_wire_encode(frame, n, wire, sizeof(wire), &wn, &e), 0);
        for (size_t k = 0; k < ttlock_chunk_count(wn); k++) {
                Esphome__BluetoothGATTWriteRequest wr = ESPHOME__BLUETOOTH_GATTWRITE_REQUEST__INIT;
                const uint8_t *chunk;
                size_t cl;

                ck_assert_int_ge(ttlock_chunk(wire, wn, k, &chunk, &cl), 0);
                wr.address = address;
                wr.handle = 0x0011;
                wr.response = false;
                wr.data.data = (uint8_t *) chunk;
                wr.data.len = cl;
                api_send(a, ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST, &wr.base);
        }

        a->n_frames = 0;
        end = now_usec() + 5 * TEST_USEC_PER_SEC;
        while (a->n_frames == 0 && now_usec() < end) {
                Esphome__BluetoothGATTData *d = WAIT(
                        a, ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE, Esphome__BluetoothGATTData, 5000);

                ck_assert_ptr_nonnull(d);
                ck_assert_uint_eq(d->address, address);
                ck_assert_uint_eq(d->handle, 0x000E);
                ck_assert_uint_le(d->data.len, TTLOCK_CHUNK_SIZE);
                ttlock_reassembler_feed(&a->rx, d->data.data, d->data.len, on_lock_frame, a);
                drop(d);
        }
        ck_assert_uint_eq(a->n_frames, 1);
        ck_assert_int_ge(ttlock_frame_parse(a->frames[0], a->frame_len[0], &f, &e), 0);
        ck_assert_uint_eq(f.header.command, TTLOCK_CMD_GET_AES_KEY);
        ck_assert_int_ge(ttlock_frame_decrypt(&f, ttlock_default_key, out, sizeof(out), &n, &e), 0);
        ck_assert_uint_eq(out[0], TTLOCK_CMD_GET_AES_KEY);
        ck_assert_uint_eq(out[1], 0x01);
        ck_assert_int_ge(ttlock_get_aes_key_reply_decode(out + 2, n - 2, key, &e), 0);
}

/* —— the simulator ———————————————————————————————————————————————————————————————————————— */

typedef struct World {
        TestBus *bus;
        pid_t sim;
        char psk_path[256];
} World;

static void world_start(World *w, const char *const *extra) {
        const char *confs[] = { getenv("TTLOCK_SIM_BUS_CONF"), NULL };
        const char *argv[40] = {
                getenv("TTLOCK_SIM"),    "--lock=mac=" LOCK1,       "--lock=mac=" LOCK2,
                "--always-awake",        "--advert-interval-ms=50", "--connect-ms=20",
                "--connect-fail-ms=200", "--latency-ms=0",          "--idle-disconnect-seconds=0",
        };
        size_t n = 9;
        FILE *f;

        *w = (World){};
        ck_assert_ptr_nonnull(argv[0]);
        ck_assert_ptr_nonnull(confs[0]);
        ck_assert_int_ge(test_bus_start(confs, &w->bus), 0);
        snprintf(w->psk_path, sizeof(w->psk_path), "%s/psk", test_bus_dir(w->bus));
        f = fopen(w->psk_path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(PSK_TEXT "\n", f);
        fclose(f);
        for (const char *const *e = extra; e && *e; e++) {
                static char buf[8][512];
                char *at = strstr(*e, "@PSK@");

                if (at) {
                        snprintf(
                                buf[n % 8],
                                sizeof(buf[0]),
                                "%.*s%s%s",
                                (int) (at - *e),
                                *e,
                                w->psk_path,
                                at + 5);
                        argv[n] = buf[n % 8];
                        n++;
                } else
                        argv[n++] = *e;
        }
        argv[n] = NULL;
        ck_assert_int_ge(test_bus_spawn(w->bus, (char *const *) argv, NULL, &w->sim), 0);
        ck_assert_int_ge(test_bus_wait_name(w->bus, "org.bluez", w->sim, 10 * TEST_USEC_PER_SEC), 0);
}

static void world_stop(World *w) {
        int status = 0;

        /* The simulator survived whatever the test sent it, and exits cleanly. */
        ck_assert_int_eq(kill(w->sim, 0), 0);
        ck_assert_int_ge(test_bus_stop_pid(w->bus, w->sim, 5 * TEST_USEC_PER_SEC, &status), 0);
        ck_assert_msg(
                WIFEXITED(status) && WEXITSTATUS(status) == 0, "ttlock-sim ended with status 0x%x", status);
        w->bus = test_bus_stop(w->bus);
}

static void bus_call(const char *path, const char *iface, const char *member, const char *sig, ...) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_open_system(&bus), 0);
        ck_assert_int_ge(sd_bus_message_new_method_call(bus, &m, "org.bluez", path, iface, member), 0);
        if (sig) {
                va_start(ap, sig);
                ck_assert_int_ge(sd_bus_message_appendv(m, sig, ap), 0);
                va_end(ap);
        }
        r = sd_bus_call(bus, m, 5 * TEST_USEC_PER_SEC, &error, NULL);
        ck_assert_msg(r >= 0, "%s.%s: %s", iface, member, error.message);
        sd_bus_error_free(&error);
}

/* —— tests —————————————————————————————————————————————————————————————————————————————————— */

/* The set-up Home Assistant and aioesphomeapi run, then a whole BLE session of lock 1. */
START_TEST(test_plaintext_session) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0", NULL };
        World w;
        Api a;
        Esphome__DeviceInfoResponse *di;
        Esphome__GetTimeResponse *t;
        Esphome__BluetoothLERawAdvertisementsResponse *adv;
        Esphome__BluetoothConnectionsFreeResponse *fr;
        Esphome__BluetoothDeviceConnectionResponse *cr;
        Esphome__SubscribeBluetoothLEAdvertisementsRequest sub =
                ESPHOME__SUBSCRIBE_BLUETOOTH_LEADVERTISEMENTS_REQUEST__INIT;
        Esphome__BluetoothAddress ga = ESPHOME__BLUETOOTH_ADDRESS__INIT;
        bool seen1 = false;

        world_start(&w, extra);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 10, "hall");

        api_send(&a, ESP_MSG_DEVICE_INFO_REQUEST, NULL);
        di = WAIT(&a, ESP_MSG_DEVICE_INFO_RESPONSE, Esphome__DeviceInfoResponse, 5000);
        ck_assert_ptr_nonnull(di);
        ck_assert_str_eq(di->name, "hall");
        ck_assert_uint_eq(
                di->bluetooth_proxy_feature_flags,
                ESP_BT_FEATURE_PASSIVE_SCAN | ESP_BT_FEATURE_ACTIVE_CONNECTIONS |
                        ESP_BT_FEATURE_REMOTE_CACHING | ESP_BT_FEATURE_RAW_ADVERTISEMENTS);
        ck_assert(!di->api_encryption_supported);
        ck_assert_uint_eq(strlen(di->bluetooth_mac_address), 17);
        drop(di);

        api_send(&a, ESP_MSG_LIST_ENTITIES_REQUEST, NULL);
        drop(api_wait(&a, ESP_MSG_LIST_ENTITIES_DONE_RESPONSE, 5000)
                     ?: (ck_abort_msg("no ListEntitiesDone"), NULL));
        api_send(&a, ESP_MSG_SUBSCRIBE_STATES_REQUEST, NULL);
        api_send(&a, ESP_MSG_SUBSCRIBE_HOMEASSISTANT_SERVICES_REQUEST, NULL);
        api_send(&a, ESP_MSG_SUBSCRIBE_HOME_ASSISTANT_STATES_REQUEST, NULL);
        api_send(&a, ESP_MSG_PING_REQUEST, NULL);
        drop(api_wait(&a, ESP_MSG_PING_RESPONSE, 5000) ?: (ck_abort_msg("no PingResponse"), NULL));
        api_send(&a, ESP_MSG_GET_TIME_REQUEST, NULL);
        t = WAIT(&a, ESP_MSG_GET_TIME_RESPONSE, Esphome__GetTimeResponse, 5000);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_gt(t->epoch_seconds, 1700000000u);
        drop(t);

        /* Raw advertisements: the lock's AD structures with its manufacturer data. */
        sub.flags = ESP_BT_SUBSCRIBE_RAW_ADVERTISEMENTS;
        api_send(&a, ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST, &sub.base);
        for (int i = 0; i < 20 && !seen1; i++) {
                adv =
                        WAIT(&a,
                             ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE,
                             Esphome__BluetoothLERawAdvertisementsResponse,
                             5000);
                ck_assert_ptr_nonnull(adv);
                for (size_t k = 0; k < adv->n_advertisements; k++) {
                        Esphome__BluetoothLERawAdvertisement *ad = adv->advertisements[k];
                        const uint8_t *d = ad->data.data;
                        size_t pos = 0;
                        TTAdvert ta;
                        TTError e = {};
                        bool mfr = false, uuid = false;

                        if (ad->address != LOCK1_U64)
                                continue;
                        seen1 = true;
                        ck_assert_int_eq(ad->rssi, -60);
                        while (pos + 1 < ad->data.len && d[pos] > 0 && pos + 1 + d[pos] <= ad->data.len) {
                                if (d[pos + 1] == 0xFF) {
                                        ck_assert_int_ge(
                                                ttlock_advert_parse(d + pos + 2, d[pos] - 1u, &ta, &e), 0);
                                        ck_assert_uint_eq(ta.protocol_type, 5);
                                        ck_assert(ta.setting_mode); /* factory-fresh, awake */
                                        mfr = true;
                                }
                                if ((d[pos + 1] == 0x02 || d[pos + 1] == 0x03) && d[pos] == 3 &&
                                    d[pos + 2] == 0x10 && d[pos + 3] == 0x19)
                                        uuid = true;
                                pos += 1 + d[pos];
                        }
                        ck_assert(mfr && uuid);
                }
                drop(adv);
        }
        ck_assert(seen1);

        api_send(&a, ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST, NULL);
        fr =
                WAIT(&a,
                     ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE,
                     Esphome__BluetoothConnectionsFreeResponse,
                     5000);
        ck_assert_ptr_nonnull(fr);
        ck_assert_uint_eq(fr->free, 3);
        ck_assert_uint_eq(fr->limit, 3);
        drop(fr);

        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(cr->connected);
        ck_assert_uint_eq(cr->mtu, 23);
        ck_assert_int_eq(cr->error, 0);
        drop(cr);

        /* API 1.10: UUIDs as two 64-bit halves of the 128-bit form. */
        ga.address = LOCK1_U64;
        api_send(&a, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST, &ga.base);
        for (int s = 0; s < 2; s++) {
                Esphome__BluetoothGATTGetServicesResponse *sr =
                        WAIT(&a,
                             ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE,
                             Esphome__BluetoothGATTGetServicesResponse,
                             5000);
                EspUuid u, want;

                ck_assert_ptr_nonnull(sr);
                ck_assert_uint_eq(sr->n_services, 1);
                ck_assert_uint_eq(sr->services[0]->n_uuid, 2);
                ck_assert_uint_eq(sr->services[0]->short_uuid, 0);
                ck_assert_int_eq(esp_uuid_from_fields(sr->services[0]->uuid, 2, 0, &u), 0);
                esp_uuid_from_short(s == 0 ? 0x1910 : 0x180A, &want);
                ck_assert(esp_uuid_equal(&u, &want));
                if (s == 0) {
                        ck_assert_uint_eq(sr->services[0]->n_characteristics, 2);
                        ck_assert_uint_eq(sr->services[0]->characteristics[0]->handle, 0x000E);
                        ck_assert_uint_eq(sr->services[0]->characteristics[0]->n_descriptors, 1);
                        ck_assert_uint_eq(sr->services[0]->characteristics[1]->handle, 0x0011);
                }
                drop(sr);
        }
        drop(api_wait(&a, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_DONE_RESPONSE, 5000)
                     ?: (ck_abort_msg("no GetServicesDone"), NULL));

        notify_on(&a, LOCK1_U64);
        get_aes_key(&a, LOCK1_U64);

        /* While the proxy holds the lock, BlueZ shows it disconnected and cannot take it. */
        {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                int connected = -1;
                sd_bus_error error = SD_BUS_ERROR_NULL;

                ck_assert_int_ge(sd_bus_open_system(&bus), 0);
                (void) sd_bus_get_property_trivial(
                        bus, "org.bluez", DEV1, "org.bluez.Device1", "Connected", NULL, 'b', &connected);
                ck_assert_int_ne(connected, 1);
                sd_bus_error_free(&error);
        }

        device_request(&a, LOCK1_U64, DISCONNECT);
        cr =
                WAIT(&a,
                     ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE,
                     Esphome__BluetoothDeviceConnectionResponse,
                     5000);
        ck_assert_ptr_nonnull(cr);
        ck_assert(!cr->connected);
        drop(cr);

        api_send(&a, ESP_MSG_DISCONNECT_REQUEST, NULL);
        drop(api_wait(&a, ESP_MSG_DISCONNECT_RESPONSE, 5000)
                     ?: (ck_abort_msg("no DisconnectResponse"), NULL));
        ck_assert(api_wait_eof(&a, 5000));
        api_close(&a);
        world_stop(&w);
}
END_TEST

/* Clients of API 1.12 and later get 16-bit UUIDs as short_uuid. */
START_TEST(test_short_uuids) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0", NULL };
        Esphome__BluetoothGATTGetServicesResponse *sr;
        Esphome__BluetoothAddress ga = ESPHOME__BLUETOOTH_ADDRESS__INIT;
        World w;
        Api a;

        world_start(&w, extra);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 14, "hall");
        drop(ble_connect(&a, LOCK1_U64));
        ga.address = LOCK1_U64;
        api_send(&a, ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST, &ga.base);
        sr =
                WAIT(&a,
                     ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE,
                     Esphome__BluetoothGATTGetServicesResponse,
                     5000);
        ck_assert_ptr_nonnull(sr);
        ck_assert_uint_eq(sr->services[0]->n_uuid, 0);
        ck_assert_uint_eq(sr->services[0]->short_uuid, 0x1910);
        ck_assert_uint_eq(sr->services[0]->characteristics[0]->short_uuid, 0xFFF4);
        ck_assert_uint_eq(sr->services[0]->characteristics[1]->short_uuid, 0xFFF2);
        ck_assert_uint_eq(sr->services[0]->characteristics[0]->descriptors[0]->short_uuid, 0x2902);
        drop(sr);
        api_close(&a);
        world_stop(&w);
}
END_TEST

START_TEST(test_noise) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0,psk=@PSK@", NULL };
        Esphome__DeviceInfoResponse *di;
        uint8_t psk[32], wrong[32] = { 1 };
        World w;
        Api a;

        ck_assert_int_eq(esp_psk_from_base64(PSK_TEXT, psk), 0);
        world_start(&w, extra);

        /* The right key: the handshake completes and messages flow, encrypted. */
        api_open(&a, proxy_port("hall"), psk);
        hello(&a, 14, "hall");
        ck_assert_str_eq(esp_connection_peer_name(a.conn), "hall");
        ck_assert_uint_eq(strlen(esp_connection_peer_mac(a.conn)), 12);
        api_send(&a, ESP_MSG_DEVICE_INFO_REQUEST, NULL);
        di = WAIT(&a, ESP_MSG_DEVICE_INFO_RESPONSE, Esphome__DeviceInfoResponse, 5000);
        ck_assert_ptr_nonnull(di);
        ck_assert(di->api_encryption_supported);
        drop(di);
        drop(ble_connect(&a, LOCK1_U64));
        notify_on(&a, LOCK1_U64);
        get_aes_key(&a, LOCK1_U64);
        api_close(&a);

        /* A wrong key: the proxy says "Handshake MAC failure" and closes. */
        api_open(&a, proxy_port("hall"), wrong);
        ck_assert(api_wait_eof(&a, 5000));
        ck_assert_int_eq(esp_connection_errno(a.conn), -EACCES);
        api_close(&a);

        /* No key at all: the proxy's rejection says encryption is needed. */
        api_open(&a, proxy_port("hall"), NULL);
        api_send(&a, ESP_MSG_HELLO_REQUEST, NULL);
        ck_assert(api_wait_eof(&a, 5000));
        ck_assert_int_eq(esp_connection_errno(a.conn), -EPROTO);
        api_close(&a);

        /* And the proxy still serves the right key afterwards. */
        api_open(&a, proxy_port("hall"), psk);
        hello(&a, 14, "hall");
        api_close(&a);
        world_stop(&w);
}
END_TEST

START_TEST(test_slots) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0,slots=1", NULL };
        Esphome__BluetoothDeviceConnectionResponse *cr;
        Esphome__BluetoothConnectionsFreeResponse *fr;
        World w;
        Api a;

        world_start(&w, extra);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 14, "hall");
        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(cr->connected);
        drop(cr);
        /* The one slot is taken: a full proxy refuses at once. */
        cr = ble_connect(&a, LOCK2_U64);
        ck_assert(!cr->connected);
        drop(cr);
        api_send(&a, ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST, NULL);
        for (;;) {
                fr =
                        WAIT(&a,
                             ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE,
                             Esphome__BluetoothConnectionsFreeResponse,
                             5000);
                ck_assert_ptr_nonnull(fr);
                if (!queued(&a, ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE))
                        break; /* the newest one */
                drop(fr);
        }
        ck_assert_uint_eq(fr->free, 0);
        ck_assert_uint_eq(fr->limit, 1);
        ck_assert_uint_eq(fr->n_allocated, 1);
        ck_assert_uint_eq(fr->allocated[0], LOCK1_U64);
        drop(fr);
        /* Freed, the slot takes the other lock. */
        device_request(&a, LOCK1_U64, DISCONNECT);
        drop(api_wait(&a, ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE, 5000));
        cr = ble_connect(&a, LOCK2_U64);
        ck_assert(cr->connected);
        drop(cr);
        api_close(&a);
        world_stop(&w);
}
END_TEST

START_TEST(test_rssi_and_reach) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0", NULL };
        Esphome__SubscribeBluetoothLEAdvertisementsRequest sub =
                ESPHOME__SUBSCRIBE_BLUETOOTH_LEADVERTISEMENTS_REQUEST__INIT;
        Esphome__BluetoothDeviceConnectionResponse *cr;
        World w;
        Api a;
        int seen = 0;

        world_start(&w, extra);
        bus_call(DEV1, "org.ttlock.Sim1", "SetRadioRssi", "sn", "hall", (int16_t) -42);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 14, "hall");
        sub.flags = ESP_BT_SUBSCRIBE_RAW_ADVERTISEMENTS;
        api_send(&a, ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST, &sub.base);
        for (int i = 0; i < 20 && !seen; i++) {
                Esphome__BluetoothLERawAdvertisementsResponse *adv =
                        WAIT(&a,
                             ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE,
                             Esphome__BluetoothLERawAdvertisementsResponse,
                             5000);

                ck_assert_ptr_nonnull(adv);
                for (size_t k = 0; k < adv->n_advertisements; k++)
                        if (adv->advertisements[k]->address == LOCK1_U64) {
                                ck_assert_int_eq(adv->advertisements[k]->rssi, -42);
                                seen = 1;
                        }
                drop(adv);
        }
        ck_assert(seen);

        /* Out of this proxy's reach: no more adverts of it, and a connection fails to establish. */
        bus_call(DEV1, "org.ttlock.Sim1", "SetRadioRssi", "sn", "hall", (int16_t) 0);
        for (size_t i = 0; i < a.n; i++)
                free(a.queue[i].data);
        a.n = 0;
        for (int i = 0; i < 5; i++) {
                Esphome__BluetoothLERawAdvertisementsResponse *adv =
                        WAIT(&a,
                             ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE,
                             Esphome__BluetoothLERawAdvertisementsResponse,
                             5000);

                ck_assert_ptr_nonnull(adv);
                for (size_t k = 0; k < adv->n_advertisements; k++)
                        ck_assert_uint_ne(adv->advertisements[k]->address, LOCK1_U64);
                drop(adv);
        }
        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(!cr->connected);
        ck_assert_int_eq(cr->error, 0x3E);
        drop(cr);
        api_close(&a);
        world_stop(&w);
}
END_TEST

/* The proxy loses power mid-session, and comes back. */
START_TEST(test_kill_restart) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0", NULL };
        const char *path = "/org/ttlock/sim/proxy/hall";
        Esphome__BluetoothDeviceConnectionResponse *cr;
        uint16_t port;
        World w;
        Api a;

        world_start(&w, extra);
        port = proxy_port("hall");
        api_open(&a, port, NULL);
        hello(&a, 14, "hall");
        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(cr->connected);
        drop(cr);

        bus_call(path, "org.ttlock.SimProxy1", "Stop", NULL);
        ck_assert(api_wait_eof(&a, 5000));
        api_close(&a);
        {
                /* Nobody listens now. */
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                ck_assert_int_lt(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
                ck_assert_int_eq(errno, ECONNREFUSED);
                close(fd);
        }

        bus_call(path, "org.ttlock.SimProxy1", "Start", NULL);
        ck_assert_uint_eq(proxy_port("hall"), port);
        api_open(&a, port, NULL);
        hello(&a, 14, "hall");
        /* The lock was let go when the proxy died: it connects again. */
        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(cr->connected);
        drop(cr);
        notify_on(&a, LOCK1_U64);
        get_aes_key(&a, LOCK1_U64);
        api_close(&a);
        world_stop(&w);
}
END_TEST

/* An API 1.10 proxy wants AuthenticationRequest (the old ConnectRequest) before anything else. */
START_TEST(test_old_api_wants_authentication) {
        const char *extra[] = { "--esphome-proxy=hall=127.0.0.1:0,api=1.10", NULL };
        Esphome__AuthenticationRequest auth = ESPHOME__AUTHENTICATION_REQUEST__INIT;
        Esphome__AuthenticationResponse *ar;
        World w;
        Api a;

        world_start(&w, extra);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 10, "hall");
        api_send(&a, ESP_MSG_DEVICE_INFO_REQUEST, NULL); /* allowed before */
        drop(api_wait(&a, ESP_MSG_DEVICE_INFO_RESPONSE, 5000) ?: (ck_abort_msg("no DeviceInfo"), NULL));
        api_send(&a, ESP_MSG_LIST_ENTITIES_REQUEST, NULL);
        ck_assert(api_wait_eof(&a, 5000)); /* not allowed: closed */
        api_close(&a);

        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 10, "hall");
        api_send(&a, ESP_MSG_AUTHENTICATION_REQUEST, &auth.base);
        ar = WAIT(&a, ESP_MSG_AUTHENTICATION_RESPONSE, Esphome__AuthenticationResponse, 5000);
        ck_assert_ptr_nonnull(ar);
        ck_assert(!ar->invalid_password);
        drop(ar);
        api_send(&a, ESP_MSG_LIST_ENTITIES_REQUEST, NULL);
        drop(api_wait(&a, ESP_MSG_LIST_ENTITIES_DONE_RESPONSE, 5000)
                     ?: (ck_abort_msg("no ListEntitiesDone"), NULL));
        api_close(&a);
        world_stop(&w);
}
END_TEST

static void raw_session(uint16_t port, const uint8_t *bytes, size_t len) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
        struct pollfd p;
        uint8_t buf[256];
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        uint64_t end = now_usec() + 5 * TEST_USEC_PER_SEC;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        (void) send(fd, bytes, len, MSG_NOSIGNAL);
        /* The proxy closes on us (perhaps after a word); it must not just hang. */
        for (;;) {
                ssize_t n;

                ck_assert_msg(now_usec() < end, "the proxy kept a broken connection open");
                p = (struct pollfd){ .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 100) <= 0)
                        continue;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n <= 0)
                        break;
        }
        close(fd);
}

START_TEST(test_malformed) {
        const char *extra[] = { "--esphome-proxy=plain=127.0.0.1:0",
                                "--esphome-proxy=noise=127.0.0.1:0,psk=@PSK@",
                                NULL };
        uint8_t junk[600], frame[64];
        uint16_t plain, noise;
        World w;
        Api a;
        int n;

        world_start(&w, extra);
        plain = proxy_port("plain");
        noise = proxy_port("noise");
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t) (i * 151 + 7);

        raw_session(plain, junk, sizeof(junk));                          /* garbage */
        raw_session(plain, (const uint8_t *) "\x00\xff\xff\x7f\x01", 5); /* a length over the bound */
        raw_session(plain, (const uint8_t *) "\x00\x00\x80\x80\x80\x80\x80", 7); /* a type that never ends */
        n = esp_plain_frame_build(
                ESP_MSG_HELLO_REQUEST, (const uint8_t *) "\x0a\xff\x01", 3, frame, sizeof(frame));
        raw_session(plain, frame, (size_t) n); /* a protobuf that does not decode */
        n = esp_plain_frame_build(ESP_MSG_LIST_ENTITIES_REQUEST, NULL, 0, frame, sizeof(frame));
        raw_session(plain, frame, (size_t) n); /* no Hello first */
        raw_session(noise, junk, sizeof(junk));
        raw_session(noise, (const uint8_t *) "\x01\x00\x00\x01\x00\x05\x00" "abcd", 11); /* a short handshake */
        raw_session(noise, (const uint8_t *) "\x01\xff\xff", 3);

        /* Both still serve a well-behaved client. */
        api_open(&a, plain, NULL);
        hello(&a, 14, "plain");
        api_close(&a);
        world_stop(&w);
}
END_TEST

/* —— several BlueZ adapters ——————————————————————————————————————————————————————————————— */

#define HCI1_DEV1 "/org/bluez/hci1/dev_AA_BB_CC_00_00_01"

/* Device1.RSSI of path once the adapter's discovery shows it, or INT16_MIN after timeout_ms. The
 * loop waits on the bus (signals of the discovery) between looks, never blindly. */
static int16_t wait_rssi(sd_bus *bus, const char *path, int16_t want, unsigned timeout_ms) {
        uint64_t end = now_usec() + (uint64_t) timeout_ms * 1000;
        int16_t rssi = INT16_MIN;

        for (;;) {
                sd_bus_error error = SD_BUS_ERROR_NULL;

                if (sd_bus_get_property_trivial(
                            bus, "org.bluez", path, "org.bluez.Device1", "RSSI", &error, 'n', &rssi) >= 0 &&
                    rssi == want)
                        return rssi;
                sd_bus_error_free(&error);
                if (now_usec() >= end)
                        return INT16_MIN;
                while (sd_bus_process(bus, NULL) > 0)
                        ;
                (void) sd_bus_wait(bus, 50 * 1000);
        }
}

static bool get_connected(sd_bus *bus, const char *path) {
        int b = 0;

        ck_assert_int_ge(
                sd_bus_get_property_trivial(
                        bus, "org.bluez", path, "org.bluez.Device1", "Connected", NULL, 'b', &b),
                0);
        return b;
}

START_TEST(test_adapters) {
        const char *extra[] = { "--adapters=2", "--esphome-proxy=hall=127.0.0.1:0", NULL };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Esphome__BluetoothDeviceConnectionResponse *cr;
        World w;
        Api a;

        world_start(&w, extra);
        ck_assert_int_ge(sd_bus_open_system(&bus), 0);
        /* The lock is heard better by hci1. */
        bus_call(DEV1, "org.ttlock.Sim1", "SetRadioRssi", "sn", "hci0", (int16_t) -80);
        bus_call(DEV1, "org.ttlock.Sim1", "SetRadioRssi", "sn", "hci1", (int16_t) -40);
        /* Discovery belongs to the client that started it: this connection stays open. */
        ck_assert_int_ge(
                sd_bus_call_method(
                        bus,
                        "org.bluez",
                        "/org/bluez/hci0",
                        "org.bluez.Adapter1",
                        "StartDiscovery",
                        NULL,
                        NULL,
                        ""),
                0);
        ck_assert_int_ge(
                sd_bus_call_method(
                        bus,
                        "org.bluez",
                        "/org/bluez/hci1",
                        "org.bluez.Adapter1",
                        "StartDiscovery",
                        NULL,
                        NULL,
                        ""),
                0);
        ck_assert_int_eq(wait_rssi(bus, DEV1, -80, 5000), -80);
        ck_assert_int_eq(wait_rssi(bus, HCI1_DEV1, -40, 5000), -40);
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *adapter = NULL;

                ck_assert_int_ge(
                        sd_bus_get_property(
                                bus,
                                "org.bluez",
                                HCI1_DEV1,
                                "org.bluez.Device1",
                                "Adapter",
                                NULL,
                                &reply,
                                "o"),
                        0);
                ck_assert_int_ge(sd_bus_message_read(reply, "o", &adapter), 0);
                ck_assert_str_eq(adapter, "/org/bluez/hci1");
        }

        /* Connected through hci1: that device object says so, hci0's does not, and hci0 cannot take
         * the lock while hci1 holds it; nor can a proxy. */
        ck_assert_int_ge(
                sd_bus_call_method(
                        bus, "org.bluez", HCI1_DEV1, "org.bluez.Device1", "Connect", &error, NULL, ""),
                0);
        ck_assert(get_connected(bus, HCI1_DEV1));
        ck_assert(!get_connected(bus, DEV1));
        ck_assert_int_lt(
                sd_bus_call_method(bus, "org.bluez", DEV1, "org.bluez.Device1", "Connect", &error, NULL, ""),
                0);
        ck_assert_str_eq(error.name, "org.bluez.Error.Failed");
        sd_bus_error_free(&error);
        api_open(&a, proxy_port("hall"), NULL);
        hello(&a, 14, "hall");
        cr = ble_connect(&a, LOCK1_U64);
        ck_assert(!cr->connected);
        drop(cr);

        /* Let go through hci1, the lock connects through hci0. */
        ck_assert_int_ge(
                sd_bus_call_method(
                        bus, "org.bluez", HCI1_DEV1, "org.bluez.Device1", "Disconnect", NULL, NULL, ""),
                0);
        ck_assert(!get_connected(bus, HCI1_DEV1));
        ck_assert_int_ge(
                sd_bus_call_method(bus, "org.bluez", DEV1, "org.bluez.Device1", "Connect", &error, NULL, ""),
                0);
        ck_assert(get_connected(bus, DEV1));
        ck_assert(!get_connected(bus, HCI1_DEV1));
        /* An adapter out of reach of the lock cannot connect it. */
        ck_assert_int_ge(
                sd_bus_call_method(
                        bus, "org.bluez", DEV1, "org.bluez.Device1", "Disconnect", NULL, NULL, ""),
                0);
        bus_call(DEV1, "org.ttlock.Sim1", "SetRadioRssi", "sn", "hci1", (int16_t) 0);
        ck_assert_int_lt(
                sd_bus_call_method(
                        bus, "org.bluez", HCI1_DEV1, "org.bluez.Device1", "Connect", &error, NULL, ""),
                0);
        sd_bus_error_free(&error);
        /* And an unknown radio is refused. */
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

                ck_assert_int_lt(
                        sd_bus_call_method(
                                bus,
                                "org.bluez",
                                DEV1,
                                "org.ttlock.Sim1",
                                "SetRadioRssi",
                                &error,
                                &reply,
                                "sn",
                                "hci7",
                                (int16_t) -50),
                        0);
                ck_assert_str_eq(error.name, "org.freedesktop.DBus.Error.InvalidArgs");
                sd_bus_error_free(&error);
        }
        api_close(&a);
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("sim-esphome");
        TCase *tc = tcase_create("proxy");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_plaintext_session);
        tcase_add_test(tc, test_short_uuids);
        tcase_add_test(tc, test_noise);
        tcase_add_test(tc, test_slots);
        tcase_add_test(tc, test_rssi_and_reach);
        tcase_add_test(tc, test_kill_restart);
        tcase_add_test(tc, test_old_api_wants_authentication);
        tcase_add_test(tc, test_malformed);
        tcase_add_test(tc, test_adapters);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
