/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmosquitto inside sd-event.
 *
 * libmosquitto offers an external loop: mosquitto_socket() to watch, mosquitto_want_write() for
 * whether to watch for writing, mosquitto_loop_read()/_write() when the socket is ready and
 * mosquitto_loop_misc() for the keep-alive (mosquitto.h). What this file adds, with the reasons:
 *
 *  - One mosquitto object per connection attempt. libmosquitto keeps unacknowledged QoS 1
 *    messages across a reconnect and sends them again after the new CONNACK — after whatever we
 *    publish in the connected callback, so an old retained state could overwrite a new one. A
 *    fresh object has nothing left over; everything retained is published again on connect.
 *  - The socket changes with every attempt, and libmosquitto closes the old one itself (on errors,
 *    inside loop_read/write/misc, before calling on_disconnect). The I/O source is therefore
 *    dropped whenever the socket goes away and made anew for each new one, never moved to a new fd
 *    (an fd number can be reused by the next socket).
 *  - TLS handshake: libmosquitto drives SSL_connect() from loop_read() while it connects, and its
 *    want_write stays set for the whole handshake; watching for writability then would spin. So,
 *    until the CONNACK, writability is watched only until the TCP connection is up, and a write is
 *    attempted after every read (which is when the handshake can finish). A hang-up or error while
 *    connecting ends the attempt at once, as does a handshake that does not finish in a bounded
 *    number of wake-ups.
 *  - Keep-alive: loop_misc() is called when libmosquitto would want to ping: keepalive seconds
 *    after the older of the last read and the last write (its own rule, lib/util_mosq.c), plus one
 *    second because it counts in whole seconds. An idle bridge wakes once per keep-alive. */

#include <errno.h>
#include <inttypes.h>
#include <mqtt_protocol.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "log.h"
#include "mqtt-client.h"
#include "string-util.h"
#include "time-util.h"

#define BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define BACKOFF_MAX_USEC (60 * USEC_PER_SEC)
#define HANDSHAKE_MAX_WAKEUPS 200

typedef enum ClientState {
        CLIENT_IDLE,       /* not started, or waiting for the next attempt */
        CLIENT_CONNECTING, /* socket open, no CONNACK yet */
        CLIENT_CONNECTED,  /* CONNACK 0 */
        CLIENT_DRAINING,   /* mqtt_client_disconnect(): waiting for PUBACKs of what we published */
        CLIENT_CLOSING,    /* … then DISCONNECT sent, waiting for the socket to close */
        CLIENT_CLOSED,
} ClientState;

struct MqttClient {
        sd_event *event;
        const MqttConfig *config;
        MqttClientOps ops;
        void *userdata;

        char *client_id;
        char *password;
        char *will_topic;
        char *will_payload;

        struct mosquitto *mosq;
        ClientState state;
        int protocol; /* MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311 */
        bool fallback_now;

        bool in_loop; /* inside loop_read/write/misc: its callbacks may not touch the object */
        sd_event_source *io;
        int io_fd;
        uint32_t io_events;
        bool tcp_up; /* writability seen while connecting */
        unsigned handshake_wakeups;

        sd_event_source *keepalive_timer;
        sd_event_source *reconnect_timer;
        sd_event_source *close_timer;
        unsigned keepalive; /* seconds: ours, or the broker's Server Keep Alive */
        uint64_t last_read_usec, last_write_usec;

        unsigned failures; /* attempts since the last CONNACK 0 */
        /* Our QoS 1 messages not yet acknowledged. libmosquitto sends at most the broker's Receive
         * Maximum (mosquitto: 20) at a time and keeps the rest; leaving before they are acknowledged
         * would drop them. */
        unsigned unacked;
        char *last_problem;
};

static void drop_io(MqttClient *m) {
        m->io = sd_event_source_disable_unref(m->io);
        m->io_fd = -EBADF;
        m->io_events = 0;
}

static void destroy_mosq(MqttClient *m) {
        drop_io(m);
        if (m->mosq) {
                mosquitto_destroy(m->mosq);
                m->mosq = NULL;
        }
}

MqttClient *mqtt_client_free(MqttClient *m) {
        if (!m)
                return NULL;
        destroy_mosq(m);
        sd_event_source_disable_unref(m->keepalive_timer);
        sd_event_source_disable_unref(m->reconnect_timer);
        sd_event_source_disable_unref(m->close_timer);
        sd_event_unref(m->event);
        free(m->client_id);
        if (m->password) {
                erase_memory(m->password, strlen(m->password));
                free(m->password);
        }
        free(m->will_topic);
        free(m->will_payload);
        free(m->last_problem);
        free(m);
        return NULL;
}

/* Log a connection problem once per change, so that a broker that stays away does not fill the
 * journal: the same problem again is a debug message. */
static void problem(MqttClient *m, int level, const char *what) {
        if (streq_ptr(m->last_problem, what)) {
                log_debug("MQTT %s:%u: %s (again)", m->config->host, m->config->port, what);
                return;
        }
        log_full(level, "MQTT %s:%u: %s", m->config->host, m->config->port, what);
        (void) strdup_replace(&m->last_problem, what);
}

static const char *mosq_error(int rc) {
        return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

static uint64_t backoff_usec(unsigned failures) {
        uint64_t d = BACKOFF_MIN_USEC;
        uint32_t rnd = 0;

        for (unsigned i = 1; i < failures && d < BACKOFF_MAX_USEC; i++)
                d *= 2;
        d = MIN(d, BACKOFF_MAX_USEC);
        /* ±25 %, so that several bridges do not come back in step after the broker restarts. */
        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                rnd = 0x80000000u;
        return d * 3 / 4 + (uint64_t) ((double) (d / 2) * ((double) rnd / 4294967296.0));
}

static int attempt(MqttClient *m);
static void sync_io(MqttClient *m);
static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata);
static void begin_close(MqttClient *m);

static int on_reconnect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        MqttClient *m = userdata;

        m->reconnect_timer = sd_event_source_disable_unref(m->reconnect_timer);
        (void) attempt(m);
        return 0;
}

/* The connection is gone (or never came): tell the user once, and try again later. */
static void connection_lost(MqttClient *m) {
        bool was_connected = m->state == CLIENT_CONNECTED;
        uint64_t delay;
        int r;

        destroy_mosq(m);
        m->keepalive_timer = sd_event_source_disable_unref(m->keepalive_timer);
        if (m->state == CLIENT_DRAINING || m->state == CLIENT_CLOSING || m->state == CLIENT_CLOSED) {
                m->close_timer = sd_event_source_disable_unref(m->close_timer);
                if (m->state != CLIENT_CLOSED) {
                        m->state = CLIENT_CLOSED;
                        if (m->ops.closed)
                                m->ops.closed(m, m->userdata);
                }
                return;
        }
        m->state = CLIENT_IDLE;
        if (was_connected && m->ops.disconnected)
                m->ops.disconnected(m, m->userdata);

        if (m->fallback_now) {
                m->fallback_now = false;
                delay = 0;
        } else
                delay = backoff_usec(++m->failures);
        log_debug("MQTT: next attempt in %" PRIu64 " ms.", delay / USEC_PER_MSEC);
        m->reconnect_timer = sd_event_source_disable_unref(m->reconnect_timer);
        r = sd_event_add_time_relative(
                m->event, &m->reconnect_timer, CLOCK_MONOTONIC, delay, 0, on_reconnect_timer, m);
        if (r < 0)
                log_error_errno(r, "Cannot arm the reconnection timer: %m");
}

/* libmosquitto callbacks. They run inside loop_read/write/misc: nothing here may destroy the
 * mosquitto object or call back into it except to queue packets (which it then sends after the
 * loop call returns, from sync_io()). */

static void
on_connect(struct mosquitto *mosq, void *userdata, int rc, int flags, const mosquitto_property *props) {
        MqttClient *m = userdata;
        uint16_t server_keepalive = 0;
        char buf[160];

        if (rc == MQTT_RC_SUCCESS) {
                if (props &&
                    mosquitto_property_read_int16(
                            props, MQTT_PROP_SERVER_KEEP_ALIVE, &server_keepalive, false) &&
                    server_keepalive > 0)
                        m->keepalive = server_keepalive;
                m->state = CLIENT_CONNECTED;
                m->failures = 0;
                m->last_problem = mfree(m->last_problem);
                log_info(
                        "Connected to MQTT broker %s:%u (MQTT %s%s).",
                        m->config->host,
                        m->config->port,
                        m->protocol == MQTT_PROTOCOL_V5 ? "5" : "3.1.1",
                        m->config->tls ? ", TLS" : "");
                if (m->ops.connected)
                        m->ops.connected(m, m->userdata);
                return;
        }

        /* A 3.x broker answers a version 5 CONNECT with "unacceptable protocol version" in a 3.1.1
         * CONNACK; libmosquitto reports that as MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION. */
        if (m->protocol == MQTT_PROTOCOL_V5 && m->config->version == MQTT_VERSION_AUTO &&
            (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION || rc == CONNACK_REFUSED_PROTOCOL_VERSION)) {
                log_notice(
                        "MQTT %s:%u does not speak MQTT 5; using 3.1.1.", m->config->host, m->config->port);
                m->protocol = MQTT_PROTOCOL_V311;
                m->fallback_now = true;
                return;
        }
        (void) snprintf(
                buf,
                sizeof(buf),
                "the broker refused the connection: %s",
                m->protocol == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(rc)
                                                : mosquitto_connack_string(rc));
        problem(m, LOG_ERR, buf);
}

static void on_disconnect(struct mosquitto *mosq, void *userdata, int rc, const mosquitto_property *props) {
        MqttClient *m = userdata;

        /* The socket is closed already (lib/loop.c): forget its I/O source right now. */
        drop_io(m);
        if (m->state == CLIENT_CONNECTED && rc != 0) {
                char buf[160];
                (void) snprintf(buf, sizeof(buf), "connection lost: %s", mosq_error(rc));
                problem(m, LOG_WARNING, buf);
        }
}

static void
on_publish(struct mosquitto *mosq, void *userdata, int mid, int reason, const mosquitto_property *props) {
        MqttClient *m = userdata;

        if (m->unacked > 0)
                m->unacked--;
}

static void on_message(
        struct mosquitto *mosq,
        void *userdata,
        const struct mosquitto_message *msg,
        const mosquitto_property *props) {
        MqttClient *m = userdata;

        if (m->state == CLIENT_CONNECTED && m->ops.message)
                m->ops.message(m, msg, props, m->userdata);
}

static void on_log(struct mosquitto *mosq, void *userdata, int level, const char *str) {
        /* libmosquitto logs packets (topics, lengths, ids), never payloads or the password. */
        log_debug("libmosquitto: %s", str);
}

static int tls_no_password(char *buf, int size, int rwflag, void *userdata) {
        /* An encrypted key-file would make OpenSSL prompt on the terminal: refuse instead. */
        return 0;
}

static int setup_mosq(MqttClient *m) {
        const MqttConfig *c = m->config;
        int rc;

        m->mosq = mosquitto_new(m->client_id, /* clean_session= */ true, m);
        if (!m->mosq)
                return -errno ?: -ENOMEM;
        mosquitto_connect_v5_callback_set(m->mosq, on_connect);
        mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
        mosquitto_message_v5_callback_set(m->mosq, on_message);
        mosquitto_publish_v5_callback_set(m->mosq, on_publish);
        mosquitto_log_callback_set(m->mosq, on_log);

        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, m->protocol);
        if (rc == MOSQ_ERR_SUCCESS)
                rc = mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1);
        if (rc == MOSQ_ERR_SUCCESS && c->username)
                rc = mosquitto_username_pw_set(m->mosq, c->username, m->password);
        if (rc == MOSQ_ERR_SUCCESS && c->tls) {
                /* Without a ca-file, the system's certificate authorities. */
                if (!c->ca_file)
                        rc = mosquitto_int_option(m->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
                if (rc == MOSQ_ERR_SUCCESS)
                        rc = mosquitto_tls_set(
                                m->mosq,
                                c->ca_file,
                                c->ca_file ? NULL : "/etc/ssl/certs",
                                c->cert_file,
                                c->key_file,
                                tls_no_password);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
                log_error("MQTT: cannot set up the connection: %s", mosq_error(rc));
                return -EINVAL;
        }

        if (m->will_topic) {
                mosquitto_property *props = NULL;

                rc = mosquitto_will_set_v5(
                        m->mosq,
                        m->will_topic,
                        (int) strlen(m->will_payload),
                        m->will_payload,
                        /* qos= */ 1,
                        /* retain= */ true,
                        props);
                if (rc != MOSQ_ERR_SUCCESS) {
                        log_error("MQTT: cannot set the last will: %s", mosq_error(rc));
                        return -EINVAL;
                }
        }
        return 0;
}

static void update_keepalive_timer(MqttClient *m) {
        uint64_t due;
        int r;

        if (m->state != CLIENT_CONNECTING && m->state != CLIENT_CONNECTED && m->state != CLIENT_DRAINING)
                return;
        due = MIN(m->last_read_usec, m->last_write_usec) + (uint64_t) m->keepalive * USEC_PER_SEC +
                USEC_PER_SEC;
        if (m->keepalive_timer) {
                r = sd_event_source_set_time(m->keepalive_timer, due);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->keepalive_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time(
                        m->event,
                        &m->keepalive_timer,
                        CLOCK_MONOTONIC,
                        due,
                        USEC_PER_SEC / 4,
                        on_keepalive,
                        m);
        if (r < 0)
                log_error_errno(r, "Cannot arm the MQTT keep-alive timer: %m");
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *userdata) {
        MqttClient *m = userdata;
        uint64_t now = now_monotonic_usec();

        if (m->mosq && mosquitto_socket(m->mosq) >= 0) {
                int rc;

                m->in_loop = true;
                rc = mosquitto_loop_misc(m->mosq);
                m->in_loop = false;
                if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
                        log_debug("mosquitto_loop_misc: %s", mosq_error(rc));
                /* It either pinged (a write) or found the broker silent and closed. */
                m->last_read_usec = m->last_write_usec = now;
        }
        sync_io(m);
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MqttClient *m = userdata;
        bool connecting = m->state == CLIENT_CONNECTING;
        uint64_t now = now_monotonic_usec();
        int rc;

        if (connecting) {
                if (++m->handshake_wakeups > HANDSHAKE_MAX_WAKEUPS) {
                        problem(m, LOG_WARNING, "the connection did not get past its handshake.");
                        connection_lost(m);
                        return 0;
                }
                if (revents & EPOLLOUT)
                        m->tcp_up = true;
        }

        /* While connecting with TLS, every wake-up may move SSL_connect() on, which libmosquitto
         * does in loop_read. */
        if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP) || (connecting && m->config->tls)) {
                m->in_loop = true;
                rc = mosquitto_loop_read(m->mosq, 1);
                m->in_loop = false;
                m->last_read_usec = now;
                /* Acknowledge at once what was read. Otherwise the broker's PUBACKs for our QoS 1
                 * messages wait for our delayed ACK, and with them (Nagle's algorithm on the
                 * broker's side) the next command for us: 40 ms (bench/mqtt.sh). The flag does not
                 * stick (tcp(7)), hence after every read. */
                if (m->mosq && mosquitto_socket(m->mosq) >= 0)
                        (void) setsockopt(
                                mosquitto_socket(m->mosq),
                                IPPROTO_TCP,
                                TCP_QUICKACK,
                                &(int){ 1 },
                                sizeof(int));
                if (rc != MOSQ_ERR_SUCCESS)
                        log_debug("mosquitto_loop_read: %s", mosq_error(rc));
        }
        /* The read may have closed the socket (on_disconnect); write only to a live one. What its
         * callbacks queued (acknowledgements, our answers) goes out right away. */
        if (m->mosq && mosquitto_socket(m->mosq) >= 0 &&
            (revents & EPOLLOUT || connecting || mosquitto_want_write(m->mosq))) {
                m->in_loop = true;
                rc = mosquitto_loop_write(m->mosq, 1);
                m->in_loop = false;
                m->last_write_usec = now;
                if (rc != MOSQ_ERR_SUCCESS)
                        log_debug("mosquitto_loop_write: %s", mosq_error(rc));
        }
        /* Hung up while still connecting, after whatever it said was read (a CONNACK refusing us):
         * with TLS libmosquitto would retry SSL_connect() on the dead socket for ever
         * (SSL_ERROR_SYSCALL), so the attempt ends here. */
        if (m->state == CLIENT_CONNECTING && m->mosq && mosquitto_socket(m->mosq) >= 0 &&
            (revents & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
                problem(m, LOG_WARNING, "cannot connect (connection refused or closed).");
                connection_lost(m);
                return 0;
        }
        sync_io(m);
        return 0;
}

/* After every call into libmosquitto: follow its socket, and what we wait for on it. */
static void sync_io(MqttClient *m) {
        uint32_t events;
        int fd, r;

        /* Called from a libmosquitto callback (a publish in on_message): the loop call in progress
         * syncs when it returns. */
        if (m->in_loop)
                return;
        if (m->state == CLIENT_DRAINING && m->unacked == 0)
                begin_close(m);
        if (m->fallback_now && m->state == CLIENT_CONNECTING) {
                /* Refused for MQTT 5: start over with 3.1.1 at once. */
                connection_lost(m);
                return;
        }
        fd = m->mosq ? mosquitto_socket(m->mosq) : -1;
        if (fd < 0) {
                drop_io(m);
                if (m->state == CLIENT_CONNECTING || m->state == CLIENT_CONNECTED ||
                    m->state == CLIENT_DRAINING || m->state == CLIENT_CLOSING)
                        connection_lost(m);
                return;
        }

        events = EPOLLIN | EPOLLRDHUP;
        if (m->state == CLIENT_CONNECTING) {
                if (!m->tcp_up)
                        events |= EPOLLOUT;
        } else if (mosquitto_want_write(m->mosq))
                events |= EPOLLOUT;

        if (m->io && m->io_fd != fd)
                drop_io(m);
        if (!m->io) {
                r = sd_event_add_io(m->event, &m->io, fd, events, on_io, m);
                if (r < 0) {
                        log_error_errno(r, "Cannot watch the MQTT socket: %m");
                        connection_lost(m);
                        return;
                }
                m->io_fd = fd;
                m->io_events = events;
        } else if (events != m->io_events) {
                r = sd_event_source_set_io_events(m->io, events);
                if (r < 0)
                        log_error_errno(r, "Cannot change what the MQTT socket is watched for: %m");
                else
                        m->io_events = events;
        }
        update_keepalive_timer(m);
}

static int attempt(MqttClient *m) {
        const MqttConfig *c = m->config;
        char buf[200];
        int r, rc;

        if (m->state == CLIENT_CLOSING || m->state == CLIENT_CLOSED)
                return 0;
        destroy_mosq(m);
        m->keepalive = c->keepalive;
        m->unacked = 0;
        m->tcp_up = false;
        m->handshake_wakeups = 0;

        r = setup_mosq(m);
        if (r < 0) {
                destroy_mosq(m);
                return r;
        }

        /* Connecting resolves the host name with getaddrinfo() in this thread; the socket itself
         * connects without blocking. */
        m->state = CLIENT_CONNECTING;
        rc = mosquitto_connect_async(m->mosq, c->host, c->port, (int) c->keepalive);
        m->last_read_usec = m->last_write_usec = now_monotonic_usec();
        if (rc != MOSQ_ERR_SUCCESS) {
                (void) snprintf(
                        buf,
                        sizeof(buf),
                        "cannot connect: %s",
                        rc == MOSQ_ERR_EAI ? gai_strerror(errno) : mosq_error(rc));
                problem(m, LOG_WARNING, buf);
                m->state = CLIENT_IDLE;
                connection_lost(m);
                return 0;
        }
        log_debug("MQTT: connecting to %s:%u.", c->host, c->port);
        sync_io(m);
        return 0;
}

int mqtt_client_new(
        sd_event *e,
        const MqttClientOptions *o,
        const MqttClientOps *ops,
        void *userdata,
        MqttClient **ret) {
        _cleanup_(mqtt_client_freep) MqttClient *m = NULL;

        m = calloc(1, sizeof(MqttClient));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        m->config = o->config;
        m->ops = *ops;
        m->userdata = userdata;
        m->io_fd = -EBADF;
        m->protocol = o->config->version == MQTT_VERSION_311 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
        m->client_id = strdup(o->client_id);
        if (!m->client_id)
                return -ENOMEM;
        if (o->password && !(m->password = strdup(o->password)))
                return -ENOMEM;
        if (o->will_topic &&
            (!(m->will_topic = strdup(o->will_topic)) || !(m->will_payload = strdup(o->will_payload))))
                return -ENOMEM;
        *ret = TAKE_PTR(m);
        return 0;
}

int mqtt_client_start(MqttClient *m) {
        return attempt(m);
}

bool mqtt_client_is_connected(const MqttClient *m) {
        return m->state == CLIENT_CONNECTED;
}

bool mqtt_client_is_v5(const MqttClient *m) {
        return m->protocol == MQTT_PROTOCOL_V5;
}

int mqtt_client_publish(
        MqttClient *m,
        const char *topic,
        const void *payload,
        size_t len,
        bool retain,
        const mosquitto_property *props) {
        int rc;

        if (m->state != CLIENT_CONNECTED)
                return -ENOTCONN;
        if (len > INT32_MAX)
                return -EMSGSIZE;
        if (m->protocol != MQTT_PROTOCOL_V5)
                props = NULL;
        rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int) len, payload, /* qos= */ 1, retain, props);
        m->last_write_usec = now_monotonic_usec();
        if (rc == MOSQ_ERR_SUCCESS)
                m->unacked++;
        sync_io(m);
        if (rc != MOSQ_ERR_SUCCESS) {
                log_debug("MQTT: cannot publish to %s: %s", topic, mosq_error(rc));
                return rc == MOSQ_ERR_NOMEM ? -ENOMEM : rc == MOSQ_ERR_NO_CONN ? -ENOTCONN : -EIO;
        }
        return 0;
}

int mqtt_client_publish_string(MqttClient *m, const char *topic, const char *payload, bool retain) {
        return mqtt_client_publish(m, topic, payload, strlen(payload), retain, NULL);
}

int mqtt_client_subscribe(MqttClient *m, const char *pattern, int options) {
        int rc;

        if (m->state != CLIENT_CONNECTED)
                return -ENOTCONN;
        rc = mosquitto_subscribe_v5(m->mosq, NULL, pattern, 1, options, NULL);
        m->last_write_usec = now_monotonic_usec();
        sync_io(m);
        if (rc != MOSQ_ERR_SUCCESS) {
                log_error("MQTT: cannot subscribe to %s: %s", pattern, mosq_error(rc));
                return -EIO;
        }
        return 0;
}

static int on_close_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        MqttClient *m = userdata;

        log_warning("MQTT: the broker did not close the connection in time; closing it.");
        destroy_mosq(m);
        m->close_timer = sd_event_source_disable_unref(m->close_timer);
        m->state = CLIENT_CLOSED;
        if (m->ops.closed)
                m->ops.closed(m, m->userdata);
        return 0;
}

/* Send DISCONNECT; the broker closes the socket once it has read it, which loop_read sees. */
static void begin_close(MqttClient *m) {
        int rc;

        m->state = CLIENT_CLOSING;
        rc = mosquitto_disconnect(m->mosq);
        if (rc != MOSQ_ERR_SUCCESS)
                log_debug("mosquitto_disconnect: %s", mosq_error(rc));
}

int mqtt_client_disconnect(MqttClient *m, uint64_t timeout_usec) {
        int r;

        m->reconnect_timer = sd_event_source_disable_unref(m->reconnect_timer);
        if (m->state != CLIENT_CONNECTED) {
                destroy_mosq(m);
                m->keepalive_timer = sd_event_source_disable_unref(m->keepalive_timer);
                m->state = CLIENT_CLOSED;
                if (m->ops.closed)
                        m->ops.closed(m, m->userdata);
                return 0;
        }
        r = sd_event_add_time_relative(
                m->event, &m->close_timer, CLOCK_MONOTONIC, timeout_usec, 0, on_close_timeout, m);
        if (r < 0)
                return on_close_timeout(NULL, 0, m);
        /* What is published goes out first: DISCONNECT once the broker has acknowledged it all. */
        m->state = CLIENT_DRAINING;
        sync_io(m);
        return 0;
}
