/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ad.h"
#include "config.h" /* PACKAGE_VERSION */
#include "esp-connection.h"
#include "esp-message.h"
#include "esphome-internal.h"
#include "hashmap.h"
#include "log.h"
#include "macro.h"
#include "resolve.h"
#include "string-util.h"
#include "time-util.h"

/* The API version we speak: 1.12 is the first that sends 16-bit GATT UUIDs as short_uuid, and both
 * forms are read (doc/esphome.md "Conventions"). */
#define API_MAJOR 1
#define API_MINOR 12
/* Below 1.12 a proxy wants AuthenticationRequest even without a password (doc/esphome.md). */
#define API_MINOR_AUTH_BEFORE 12
/* What a proxy must offer to be a radio of ours (aioesphomeapi BluetoothProxyFeature). */
#define FEATURES_NEEDED (ESP_BT_FEATURE_ACTIVE_CONNECTIONS | ESP_BT_FEATURE_RAW_ADVERTISEMENTS)

#define DEVICES_MAX 1024U      /* locks one proxy may make us remember */
#define OUTPUT_MAX (64 * 1024) /* a proxy that stops reading fails its session */
#define READ_CHUNK 16384
#define READS_PER_WAKEUP 8
#define SWEEP_USEC (10 * USEC_PER_SEC)


void esphome_timing_default(EsphomeTiming *ret) {
        assert(ret);

        *ret = (EsphomeTiming){
                .setup_timeout_usec = 10 * USEC_PER_SEC,
                .keepalive_usec = 20 * USEC_PER_SEC,
                .keepalive_timeout_usec = 90 * USEC_PER_SEC,
                .backoff_min_usec = 1 * USEC_PER_SEC,
                .backoff_config_usec = 60 * USEC_PER_SEC,
                .backoff_max_usec = 300 * USEC_PER_SEC,
                .stable_usec = 30 * USEC_PER_SEC,
                .device_ttl_usec = 60 * USEC_PER_SEC,
                .silence_usec = 60 * USEC_PER_SEC,
                .drain_usec = 5 * USEC_PER_SEC,
        };
}

void esphome_disarm(sd_event_source **s) {
        *s = sd_event_source_disable_unref(*s);
}

int esphome_arm(
        EsphomeProxy *p, sd_event_source **s, uint64_t usec, sd_event_time_handler_t h, void *userdata) {
        int r;

        esphome_disarm(s);
        r = sd_event_add_time_relative(p->event, s, CLOCK_MONOTONIC, usec, 0, h, userdata);
        if (r < 0 && r != -ESTALE)
                log_error_errno(r, "proxy %s: cannot arm a timer: %m", p->name);
        return r;
}

void esphome_protobuf_freep(ProtobufCMessage **m) {
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}

static void mac_string(uint64_t mac, char out[BT_ADDRESS_SIZE]) {
        uint8_t a[6];

        esp_mac_from_u64(mac, a);
        (void) snprintf(
                out, BT_ADDRESS_SIZE, "%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- sending ----------------------------------------------------------------------------------- */

static void session_fail(EsphomeProxy *p, int error, const char *why);

static int on_fail_later(sd_event_source *s, void *userdata) {
        EsphomeProxy *p = userdata;

        esphome_disarm(&p->fail_source);
        if (p->state >= PROXY_CONNECTING)
                session_fail(p, p->fail_error, p->fail_why);
        return 0;
}

/* Ends the session from the event loop: where this is found, callers up the stack (a link writing, a
 * message being handled) must not see their connection vanish under them. */
static void fail_later(EsphomeProxy *p, int error, const char *why) {
        if (p->fail_source)
                return;
        p->fail_error = error;
        (void) snprintf(p->fail_why, sizeof(p->fail_why), "%s", why);
        if (sd_event_add_defer(p->event, &p->fail_source, on_fail_later, p) < 0)
                log_oom();
}

static void update_io_events(EsphomeProxy *p) {
        const uint8_t *data;
        bool out = p->state == PROXY_CONNECTING || (p->conn && esp_connection_output(p->conn, &data) > 0);

        if (p->io)
                (void) sd_event_source_set_io_events(p->io, EPOLLIN | (out ? EPOLLOUT : 0));
}

/* Writes what the connection has queued, as far as the socket takes it. */
static int flush(EsphomeProxy *p) {
        const uint8_t *data;
        size_t n;

        if (!p->conn || p->fd < 0 || p->state < PROXY_SETUP)
                return 0;
        while ((n = esp_connection_output(p->conn, &data)) > 0) {
                ssize_t k = send(p->fd, data, n, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                esp_connection_output_consume(p->conn, (size_t) k);
        }
        update_io_events(p);
        return 0;
}

/* Queues a message and pushes it out; a failure ends the session later (fail_later()). */
int esphome_send(EsphomeProxy *p, uint16_t type, const ProtobufCMessage *m) {
        int r;

        if (!p->conn || p->state < PROXY_SETUP)
                return -ENOTCONN;
        r = esp_send(p->conn, type, m);
        if (r < 0) {
                fail_later(p, r, "cannot queue a message to the proxy (it does not read what we send)");
                return -ENOTCONN;
        }
        r = flush(p);
        if (r < 0) {
                errno = -r;
                fail_later(p, r, "cannot write to the proxy");
                return -ENOTCONN;
        }
        return 0;
}

int esphome_send_device_request(
        EsphomeProxy *p, uint64_t mac, int type, bool with_address_type, uint32_t address_type) {
        Esphome__BluetoothDeviceRequest m = ESPHOME__BLUETOOTH_DEVICE_REQUEST__INIT;

        m.address = mac;
        m.request_type = type;
        m.has_address_type = with_address_type;
        m.address_type = address_type;
        return esphome_send(p, ESP_MSG_BLUETOOTH_DEVICE_REQUEST, &m.base);
}

/* ---- what the proxy hears ---------------------------------------------------------------------- */

static void device_forget(EsphomeProxy *p, EspDevice *d) {
        hashmap_remove(p->devices, d->address);
        radio_device_lost(p->radio, d->address);
        free(d);
}

static void on_advertisement(EsphomeProxy *p, const Esphome__BluetoothLERawAdvertisement *a) {
        char address[BT_ADDRESS_SIZE];
        EspDevice *d;
        AdInfo ad;
        RadioAdvert ra;

        if (ad_parse(a->data.data, a->data.len, &ad) < 0 && !ad_is_ttlock(&ad))
                return;
        if (!ad_is_ttlock(&ad))
                return;
        mac_string(a->address, address);
        d = hashmap_get(p->devices, address);
        if (!d) {
                if (hashmap_size(p->devices) >= DEVICES_MAX)
                        return;
                d = calloc(1, sizeof(EspDevice));
                if (!d)
                        return;
                memcpy(d->address, address, sizeof(address));
                d->mac = a->address;
                if (hashmap_put(p->devices, d->address, d) < 0) {
                        free(d);
                        return;
                }
        }
        d->address_type = a->address_type;
        d->heard_usec = now_monotonic_usec();
        ra = (RadioAdvert){
                .address = d->address,
                .name = ad.have_name ? ad.name : NULL,
                /* ESP-IDF reports dBm as a small negative number; anything else is not an RSSI. */
                .have_rssi = a->rssi >= -127 && a->rssi <= 20,
                .rssi = (int16_t) a->rssi,
                .have_mfr = ad.have_mfr,
                .mfr_key = ad.mfr_key,
                .mfr = ad.mfr,
                .mfr_len = ad.mfr_len,
                .fresh = true,
        };
        radio_advert(p->radio, &ra);
}

static void on_advertisements(EsphomeProxy *p, const Esphome__BluetoothLERawAdvertisementsResponse *m) {
        p->last_advert_usec = now_monotonic_usec();
        if (p->silence_reported) {
                p->silence_reported = false;
                radio_set_last_error(p->radio, NULL);
        }
        for (size_t i = 0; i < m->n_advertisements && p->state == PROXY_READY; i++)
                on_advertisement(p, m->advertisements[i]);
}

static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata) {
        EsphomeProxy *p = userdata;
        uint64_t now = now_monotonic_usec();
        EspDevice *d;

        /* A proxy forgets what it no longer hears; so do we (BlueZ's devices go the same way). A lock
         * we hold a connection to does not advertise (doc/protocol.md §1.5): it stays. */
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(p->devices, &i, (void **) &d, NULL);)
                if (now - d->heard_usec > p->timing.device_ttl_usec &&
                    !esphome_gatt_find(p, d->mac, /* live= */ true))
                        device_forget(p, d);
        if (p->state == PROXY_READY && !p->silence_reported &&
            now - MAX(p->last_advert_usec, p->ready_usec) > p->timing.silence_usec) {
                p->silence_reported = true;
                radio_set_last_error(
                        p->radio,
                        "No advertisements from the proxy: is another client (Home Assistant?) subscribed "
                        "to "
                        "them? ESPHome serves one subscriber at a time");
        }
        (void) sd_event_source_set_time_relative(s, MIN(SWEEP_USEC, p->timing.device_ttl_usec));
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

/* ---- the session ------------------------------------------------------------------------------- */

static void start_attempt(EsphomeProxy *p);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        EsphomeProxy *p = userdata;

        esphome_disarm(&p->retry_timer);
        start_attempt(p);
        return 0;
}

static bool config_error(int error) {
        /* Only a change of configuration (or of the device) helps: no point knocking every second. */
        return error == -EACCES || error == -EPROTO || error == -EPROTONOSUPPORT;
}

static void session_close(EsphomeProxy *p) {
        p->resolve = resolve_cancel(p->resolve);
        esphome_disarm(&p->io);
        if (p->fd >= 0)
                (void) close(p->fd);
        p->fd = -EBADF;
        p->conn = esp_connection_free(p->conn);
        esphome_disarm(&p->setup_timer);
        esphome_disarm(&p->keepalive_timer);
        esphome_disarm(&p->fail_source);
}

/* Everything through the proxy ends: its connections fail, what it heard is forgotten, and it is tried
 * again later. */
static void session_end(EsphomeProxy *p, bool retry, int error, const char *why) {
        bool was_ready = p->state == PROXY_READY;
        EspDevice *d;

        session_close(p);
        p->state = PROXY_WAITING;
        p->free_slots = -1;
        radio_set_free_slots(p->radio, -1);
        /* First unavailable, so that nothing connects through it again from the callbacks below. */
        radio_set_available(p->radio, false);
        if (why)
                radio_set_last_error(p->radio, why);

        esphome_gatt_fail_all(p);
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(p->devices, &i, (void **) &d, NULL);)
                device_forget(p, d);

        if (!retry)
                return;
        if (was_ready && now_monotonic_usec() - p->ready_usec >= p->timing.stable_usec)
                p->backoff_usec = 0;
        if (config_error(error))
                p->backoff_usec = MAX(p->backoff_usec, p->timing.backoff_config_usec);
        else if (p->backoff_usec == 0)
                p->backoff_usec = p->timing.backoff_min_usec;
        log_full(
                was_ready || p->stats.failed <= 1 ? LOG_WARNING : LOG_INFO,
                "proxy %s: %s; trying again in %" PRIu64 " s.",
                p->name,
                why ?: "the session ended",
                (p->backoff_usec + USEC_PER_SEC - 1) / USEC_PER_SEC);
        (void) esphome_arm(p, &p->retry_timer, p->backoff_usec, on_retry, p);
        p->backoff_usec = MIN(p->backoff_usec * 2, p->timing.backoff_max_usec);
}

static void session_fail(EsphomeProxy *p, int error, const char *why) {
        p->stats.failed++;
        session_end(p, /* retry= */ true, error, why);
}

static void session_fail_connection(EsphomeProxy *p) {
        char why[200];

        (void) snprintf(why, sizeof(why), "%s", esp_connection_error(p->conn));
        session_fail(p, esp_connection_errno(p->conn), why);
}

static int on_setup_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        EsphomeProxy *p = userdata;
        static const char *const what[] = {
                [STEP_NOISE] = "the encryption handshake",
                [STEP_HELLO] = "HelloRequest",
                [STEP_AUTH] = "AuthenticationRequest",
                [STEP_INFO] = "DeviceInfoRequest",
        };
        char why[160];

        esphome_disarm(&p->setup_timer);
        if (p->state == PROXY_RESOLVING)
                (void) snprintf(why, sizeof(why), "cannot resolve %s in time", p->host);
        else if (p->state == PROXY_CONNECTING)
                (void) snprintf(why, sizeof(why), "no TCP connection to %s:%u in time", p->host, p->port);
        else
                (void) snprintf(why, sizeof(why), "the proxy did not answer %s in time", what[p->step]);
        session_fail(p, -ETIMEDOUT, why);
        return 0;
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata) {
        EsphomeProxy *p = userdata;

        if (now_monotonic_usec() - p->last_rx_usec >= p->timing.keepalive_timeout_usec) {
                session_fail(p, -ETIMEDOUT, "the proxy stopped answering (keep-alive)");
                return 0;
        }
        (void) esphome_send(p, ESP_MSG_PING_REQUEST, NULL);
        (void) sd_event_source_set_time_relative(s, p->timing.keepalive_usec);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static void send_hello(EsphomeProxy *p) {
        Esphome__HelloRequest m = ESPHOME__HELLO_REQUEST__INIT;

        m.client_info = (char *) "ttlockd " PACKAGE_VERSION;
        m.api_version_major = API_MAJOR;
        m.api_version_minor = API_MINOR;
        p->step = STEP_HELLO;
        (void) esphome_send(p, ESP_MSG_HELLO_REQUEST, &m.base);
}

static void on_noise_ready(EspConnection *conn, void *userdata) {
        send_hello(userdata);
}

static int fail_message(EsphomeProxy *p, int error, const char *why) {
        /* The connection fails with this errno; the reason goes to LastError (on_io()). */
        (void) snprintf(p->fail_why, sizeof(p->fail_why), "%s", why);
        return error;
}

static int on_hello(EsphomeProxy *p, const Esphome__HelloResponse *m) {
        char why[128];

        if (p->step != STEP_HELLO)
                return 0;
        if (m->api_version_major != API_MAJOR) {
                (void) snprintf(
                        why,
                        sizeof(why),
                        "the proxy speaks native API %u.%u; ttlockd speaks %u.x",
                        m->api_version_major,
                        m->api_version_minor,
                        API_MAJOR);
                return fail_message(p, -EPROTONOSUPPORT, why);
        }
        p->api_minor = m->api_version_minor;
        log_debug(
                "proxy %s: %s, API %u.%u.",
                p->name,
                strempty_or(m->server_info),
                m->api_version_major,
                m->api_version_minor);
        if (p->api_minor < API_MINOR_AUTH_BEFORE) {
                Esphome__AuthenticationRequest a = ESPHOME__AUTHENTICATION_REQUEST__INIT;

                a.password = (char *) "";
                p->step = STEP_AUTH;
                (void) esphome_send(p, ESP_MSG_AUTHENTICATION_REQUEST, &a.base);
                return 0;
        }
        p->step = STEP_INFO;
        (void) esphome_send(p, ESP_MSG_DEVICE_INFO_REQUEST, NULL);
        return 0;
}

static int on_device_info(EsphomeProxy *p, const Esphome__DeviceInfoResponse *m) {
        Esphome__SubscribeBluetoothLEAdvertisementsRequest sub =
                ESPHOME__SUBSCRIBE_BLUETOOTH_LEADVERTISEMENTS_REQUEST__INIT;
        char why[160];

        if (p->step != STEP_INFO || p->state != PROXY_SETUP)
                return 0;
        p->features = m->bluetooth_proxy_feature_flags;
        if ((p->features & FEATURES_NEEDED) != FEATURES_NEEDED) {
                (void) snprintf(
                        why,
                        sizeof(why),
                        "%s is no Bluetooth proxy with active connections and raw advertisements "
                        "(feature flags 0x%x; bluetooth_proxy: active: true)",
                        isempty(m->name) ? "the device" : m->name,
                        p->features);
                return fail_message(p, -EPROTONOSUPPORT, why);
        }
        /* Advertisements first: the proxy answers connections only to their subscriber. */
        sub.flags = ESP_BT_SUBSCRIBE_RAW_ADVERTISEMENTS;
        if (esphome_send(p, ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST, &sub.base) < 0 ||
            esphome_send(p, ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST, NULL) < 0)
                return 0;
        esphome_disarm(&p->setup_timer);
        p->state = PROXY_READY;
        p->stats.ready++;
        p->ready_usec = p->last_advert_usec = now_monotonic_usec();
        p->silence_reported = false;
        (void) esphome_arm(p, &p->keepalive_timer, p->timing.keepalive_usec, on_keepalive, p);
        log_info(
                "proxy %s: connected to %s (ESPHome %s, API 1.%u, %s, feature flags 0x%x).",
                p->name,
                isempty(m->name) ? p->host : m->name,
                isempty(m->esphome_version) ? "?" : m->esphome_version,
                p->api_minor,
                p->has_psk ? "encrypted" : "plaintext",
                p->features);
        radio_set_last_error(p->radio, NULL);
        radio_set_available(p->radio, true);
        return 0;
}

static int
on_message(EspConnection *conn, uint16_t type, const uint8_t *payload, size_t len, void *userdata) {
        EsphomeProxy *p = userdata;
        _cleanup_(esphome_protobuf_freep) ProtobufCMessage *m = NULL;
        int r;

        r = esp_decode(type, payload, len, &m);
        if (r == -ENOENT) {
                /* A message this client has no use for; newer proxies may send more. */
                log_debug("proxy %s: ignoring message type %u.", p->name, type);
                return 0;
        }
        if (r < 0) {
                char why[96];

                (void) snprintf(
                        why,
                        sizeof(why),
                        "the proxy sent a %s that does not decode",
                        esp_message_name(type));
                return fail_message(p, -EBADMSG, why);
        }

        switch (type) {
        case ESP_MSG_HELLO_RESPONSE:
                return on_hello(p, (const Esphome__HelloResponse *) m);
        case ESP_MSG_AUTHENTICATION_RESPONSE:
                if (p->step != STEP_AUTH)
                        return 0;
                if (((const Esphome__AuthenticationResponse *) m)->invalid_password)
                        return fail_message(
                                p,
                                -EACCES,
                                "the proxy wants an API password; use an encryption key (PSK) "
                                "instead");
                p->step = STEP_INFO;
                (void) esphome_send(p, ESP_MSG_DEVICE_INFO_REQUEST, NULL);
                return 0;
        case ESP_MSG_DEVICE_INFO_RESPONSE:
                return on_device_info(p, (const Esphome__DeviceInfoResponse *) m);
        case ESP_MSG_PING_REQUEST:
                (void) esphome_send(p, ESP_MSG_PING_RESPONSE, NULL);
                return 0;
        case ESP_MSG_DISCONNECT_REQUEST:
                /* The proxy is going (a reboot, an update): say goodbye and come back later. */
                (void) esphome_send(p, ESP_MSG_DISCONNECT_RESPONSE, NULL);
                return fail_message(p, -ECONNRESET, "the proxy closed the session (rebooting?)");
        case ESP_MSG_GET_TIME_REQUEST: {
                Esphome__GetTimeResponse t = ESPHOME__GET_TIME_RESPONSE__INIT;

                t.epoch_seconds = (uint32_t) time(NULL);
                (void) esphome_send(p, ESP_MSG_GET_TIME_RESPONSE, &t.base);
                return 0;
        }
        default:
                break;
        }
        if (p->state != PROXY_READY)
                return 0;
        switch (type) {
        case ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE:
                on_advertisements(p, (const Esphome__BluetoothLERawAdvertisementsResponse *) m);
                break;
        case ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE: {
                const Esphome__BluetoothConnectionsFreeResponse *f =
                        (const Esphome__BluetoothConnectionsFreeResponse *) m;

                p->free_slots = (int) MIN(f->free, 64u);
                p->slot_limit = f->limit;
                radio_set_free_slots(p->radio, p->free_slots);
                break;
        }
        default:
                esphome_gatt_message(p, type, m);
                break;
        }
        return 0;
}

static int session_begin(EsphomeProxy *p) {
        EspConnectionOptions o = {
                .role = ESP_ROLE_CLIENT,
                .psk = p->has_psk ? p->psk : NULL,
                .output_max = OUTPUT_MAX,
        };
        EspConnectionCallbacks cb = { .ready = on_noise_ready, .message = on_message };
        int r;

        r = esp_connection_new(&o, &cb, p, &p->conn);
        if (r < 0)
                return r;
        p->state = PROXY_SETUP;
        p->last_rx_usec = now_monotonic_usec();
        p->fail_why[0] = 0;
        if (p->has_psk)
                p->step = STEP_NOISE; /* the client hello and handshake message 1 are queued */
        else
                send_hello(p);
        return flush(p);
}

static void try_connect(EsphomeProxy *p);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        EsphomeProxy *p = userdata;
        uint8_t buf[READ_CHUNK];
        char why[200];
        int r;

        if (p->state == PROXY_CONNECTING) {
                int error = 0;
                socklen_t sl = sizeof(error);

                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &sl) < 0)
                        error = errno;
                if (error == 0 && !(revents & EPOLLOUT))
                        return 0;
                if (error != 0) {
                        log_debug("proxy %s: connect: %s", p->name, strerror(error));
                        esphome_disarm(&p->io);
                        (void) close(p->fd);
                        p->fd = -EBADF;
                        if (p->next_address < p->n_addresses) {
                                try_connect(p);
                                return 0;
                        }
                        (void) snprintf(
                                why,
                                sizeof(why),
                                "cannot connect to %s:%u: %s",
                                p->host,
                                p->port,
                                strerror(error));
                        session_fail(p, -error, why);
                        return 0;
                }
                r = session_begin(p);
                if (r < 0) {
                        (void) snprintf(why, sizeof(why), "cannot start the session: %s", strerror(-r));
                        session_fail(p, r, why);
                        return 0;
                }
                return 0;
        }

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                for (unsigned i = 0; i < READS_PER_WAKEUP; i++) {
                        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0 && errno == EAGAIN)
                                break;
                        if (n <= 0) {
                                if (n < 0)
                                        (void) snprintf(
                                                why,
                                                sizeof(why),
                                                "the connection failed: %s",
                                                strerror(errno));
                                else
                                        (void) snprintf(why, sizeof(why), "the proxy closed the connection");
                                session_fail(p, n < 0 ? -errno : -ECONNRESET, why);
                                return 0;
                        }
                        p->last_rx_usec = now_monotonic_usec();
                        r = esp_connection_receive(p->conn, buf, (size_t) n);
                        if (r < 0 || esp_connection_state(p->conn) == ESP_CONNECTION_FAILED) {
                                if (p->fail_why[0])
                                        session_fail(p, esp_connection_errno(p->conn), p->fail_why);
                                else
                                        session_fail_connection(p);
                                return 0;
                        }
                        if (p->fail_source)
                                break;
                        if ((size_t) n < sizeof(buf))
                                break;
                }
        if (p->conn && esp_connection_state(p->conn) == ESP_CONNECTION_FAILED) {
                session_fail_connection(p);
                return 0;
        }
        r = flush(p);
        if (r < 0) {
                (void) snprintf(why, sizeof(why), "cannot write to the proxy: %s", strerror(-r));
                session_fail(p, r, why);
        }
        return 0;
}

static void try_connect(EsphomeProxy *p) {
        const struct sockaddr_storage *sa = &p->addresses[p->next_address];
        socklen_t sl = p->lengths[p->next_address];
        char why[200];
        int one = 1, r;

        p->next_address++;
        p->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (p->fd < 0) {
                r = -errno;
                /* ttlockd.service forbids the network unless a drop-in allows it (ttlockd.conf(5)). */
                (void) snprintf(
                        why,
                        sizeof(why),
                        "cannot open a TCP socket: %s%s",
                        strerror(-r),
                        r == -EAFNOSUPPORT || r == -EPERM || r == -EACCES
                                ? " (does the service's sandbox allow the network? see ttlockd.conf(5))"
                                : "");
                session_fail(p, r, why);
                return;
        }
        (void) setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        (void) setsockopt(p->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        p->state = PROXY_CONNECTING;
        r = sd_event_add_io(p->event, &p->io, p->fd, EPOLLIN | EPOLLOUT, on_io, p);
        if (r < 0) {
                session_fail(p, r, "cannot watch the socket");
                return;
        }
        if (connect(p->fd, (const struct sockaddr *) sa, sl) < 0 && errno != EINPROGRESS) {
                r = -errno;
                esphome_disarm(&p->io);
                (void) close(p->fd);
                p->fd = -EBADF;
                if (p->next_address < p->n_addresses) {
                        try_connect(p);
                        return;
                }
                (void) snprintf(
                        why, sizeof(why), "cannot connect to %s:%u: %s", p->host, p->port, strerror(-r));
                session_fail(p, r, why);
        }
        /* Connected or not, the I/O handler learns it (EPOLLOUT). */
}

static void on_resolved(
        Resolve *q,
        int error,
        const char *reason,
        const struct sockaddr_storage *addresses,
        const socklen_t *lengths,
        size_t n,
        void *userdata) {
        EsphomeProxy *p = userdata;
        char why[200];

        /* The addresses may live in q: copied before it goes. */
        p->n_addresses = error < 0 ? 0 : MIN(n, (size_t) RESOLVE_ADDRESSES_MAX);
        memcpy(p->addresses, addresses, p->n_addresses * sizeof(*addresses));
        memcpy(p->lengths, lengths, p->n_addresses * sizeof(*lengths));
        if (error < 0) {
                (void) snprintf(why, sizeof(why), "cannot resolve %s: %s", p->host, reason ?: strerror(-error));
                p->resolve = resolve_cancel(p->resolve);
                session_fail(p, error, why);
                return;
        }
        p->resolve = resolve_cancel(p->resolve);
        p->next_address = 0;
        try_connect(p);
}

static void start_attempt(EsphomeProxy *p) {
        int r;

        p->stats.attempts++;
        p->state = PROXY_RESOLVING;
        r = esphome_arm(p, &p->setup_timer, p->timing.setup_timeout_usec, on_setup_timeout, p);
        if (r >= 0)
                r = resolve_start(p->event, p->host, p->port, on_resolved, p, &p->resolve);
        if (r < 0)
                session_fail(p, r, "cannot start looking up the proxy's address");
}

/* ---- life cycle -------------------------------------------------------------------------------- */

int esphome_proxy_new(
        sd_event *event,
        RadioSet *radios,
        const EsphomeProxyConfig *config,
        const EsphomeTiming *timing,
        EsphomeProxy **ret) {
        _cleanup_(esphome_proxy_freep) EsphomeProxy *p = NULL;
        char address[300];
        int r;

        assert(event);
        assert(radios);
        assert(config && config->name && config->host);
        assert(ret);
        p = calloc(1, sizeof(EsphomeProxy));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->radios = radios;
        p->fd = -EBADF;
        p->free_slots = -1;
        p->port = config->port ?: ESP_DEFAULT_PORT;
        p->name = strdup(config->name);
        p->host = strdup(config->host);
        if (!p->name || !p->host)
                return -ENOMEM;
        if (config->psk) {
                memcpy(p->psk, config->psk, sizeof(p->psk));
                p->has_psk = true;
        }
        if (timing)
                p->timing = *timing;
        else
                esphome_timing_default(&p->timing);
        r = hashmap_new(&p->devices);
        if (r < 0)
                return r;
        r = radio_new(radios, RADIO_KIND_ESPHOME, p->name, NULL, &esphome_gatt_ops, p, &p->radio);
        if (r < 0)
                return r;
        (void) snprintf(
                address, sizeof(address), strchr(p->host, ':') ? "[%s]:%u" : "%s:%u", p->host, p->port);
        radio_set_address(p->radio, address);
        r = sd_event_add_time_relative(
                event,
                &p->sweep_timer,
                CLOCK_MONOTONIC,
                MIN(SWEEP_USEC, p->timing.device_ttl_usec),
                0,
                on_sweep,
                p);
        if (r < 0)
                return r;
        start_attempt(p);
        *ret = TAKE_PTR(p);
        return 0;
}

EsphomeProxy *esphome_proxy_free(EsphomeProxy *p) {
        if (!p)
                return NULL;
        if (p->radio) {
                session_end(p, /* retry= */ false, 0, NULL);
                p->radio = radio_free(p->radio);
        }
        session_close(p);
        esphome_disarm(&p->retry_timer);
        esphome_disarm(&p->sweep_timer);
        hashmap_free(p->devices);
        erase_memory(p->psk, sizeof(p->psk));
        free(p->name);
        free(p->host);
        sd_event_unref(p->event);
        free(p);
        return NULL;
}

Radio *esphome_proxy_radio(EsphomeProxy *p) {
        assert(p);

        return p->radio;
}

const EsphomeStats *esphome_proxy_stats(EsphomeProxy *p) {
        assert(p);

        return &p->stats;
}
