/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What esphome-session.c (a proxy's session) and esphome-gatt.c (the connections through it) share; nothing
 * outside the ESPHome backend includes this. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "esp-connection.h"
#include "esphome-api.pb-c.h"
#include "esphome.h"
#include "hashmap.h"
#include "resolve.h"

#define CONNS_MAX 16U /* ESPHome allows up to 9 slots; drained ones wait a moment longer */
#define WRITES_MAX 8U /* the link has one write in flight per connection */

typedef enum ProxyState {
        PROXY_WAITING,    /* for the next attempt */
        PROXY_RESOLVING,  /* the name lookup runs */
        PROXY_CONNECTING, /* TCP connect in progress */
        PROXY_SETUP,      /* Noise, Hello, authentication, device info */
        PROXY_READY,
} ProxyState;

typedef enum SetupStep {
        STEP_NOISE,
        STEP_HELLO,
        STEP_AUTH,
        STEP_INFO,
} SetupStep;

typedef enum ConnState {
        CONN_CONNECTING,    /* BluetoothDeviceRequest sent */
        CONN_SERVICES,      /* BluetoothGATTGetServicesRequest sent */
        CONN_NOTIFY,        /* BluetoothGATTNotifyRequest sent */
        CONN_CCCD,          /* the CCCD write sent */
        CONN_READY,         /* writes may go */
        CONN_DISCONNECTING, /* radio_conn_disconnect() asked for it */
        CONN_DRAINING,      /* ours no more: the answers to it are still to be swallowed */
} ConnState;

typedef struct EspDevice {
        char address[BT_ADDRESS_SIZE];
        uint64_t mac;
        uint32_t address_type;
        uint64_t heard_usec;
} EspDevice;

typedef struct EspConn EspConn;
struct EspConn {
        EsphomeProxy *proxy;
        RadioConn *conn; /* NULL while draining */
        uint64_t mac;
        char address[BT_ADDRESS_SIZE];
        ConnState state;
        uint32_t write_handle, notify_handle, cccd_handle;
        bool write_with_response;
        sd_event_source *timer;
        /* Writes with response, oldest first, each completed by a BluetoothGATTWriteResponse. */
        RadioWrite *writes[WRITES_MAX];
        size_t n_writes;
        /* Writes without response, completed from the event loop (radio.h: never from inside write). */
        RadioWrite *sent[WRITES_MAX];
        size_t n_sent;
        sd_event_source *sent_source;
        EspConn *next;
};

struct EsphomeProxy {
        sd_event *event;
        RadioSet *radios;
        Radio *radio;
        char *name;
        char *host;
        uint16_t port;
        bool has_psk;
        uint8_t psk[ESP_NOISE_PSK_SIZE];
        EsphomeTiming timing;
        EsphomeStats stats;

        ProxyState state;
        SetupStep step;
        Resolve *resolve;
        struct sockaddr_storage addresses[RESOLVE_ADDRESSES_MAX];
        socklen_t lengths[RESOLVE_ADDRESSES_MAX];
        size_t n_addresses, next_address;
        int fd;
        sd_event_source *io;
        EspConnection *conn;
        sd_event_source *setup_timer, *retry_timer, *keepalive_timer, *sweep_timer;
        sd_event_source *fail_source; /* a failure found where the session cannot end at once */
        int fail_error;
        char fail_why[160];
        uint64_t backoff_usec;
        uint64_t ready_usec, last_rx_usec, last_advert_usec;
        bool silence_reported;

        unsigned api_minor;
        uint32_t features;
        int free_slots; /* as the proxy last said, less the connects sent since */
        unsigned slot_limit;

        Hashmap *devices; /* address → EspDevice: the locks it hears */
        EspConn *conns;
        size_t n_conns;
};

/* esphome-session.c */
void esphome_disarm(sd_event_source **s);
int esphome_arm(
        EsphomeProxy *p, sd_event_source **s, uint64_t usec, sd_event_time_handler_t h, void *userdata);
void esphome_protobuf_freep(ProtobufCMessage **m);
/* Queues a message and pushes it out; -ENOTCONN when there is no session (or it fails: ended later,
 * from the event loop, never under the caller's feet). */
int esphome_send(EsphomeProxy *p, uint16_t type, const ProtobufCMessage *m);
int esphome_send_device_request(
        EsphomeProxy *p, uint64_t mac, int type, bool with_address_type, uint32_t address_type);

/* esphome-gatt.c */
extern const RadioOps esphome_gatt_ops;
/* The live connection to mac (not one being drained), or with live false any. */
EspConn *esphome_gatt_find(EsphomeProxy *p, uint64_t mac, bool live);
/* A message about connections: handled (true), or not one of those. */
bool esphome_gatt_message(EsphomeProxy *p, uint16_t type, const ProtobufCMessage *m);
/* The session ended: every connection fails (ready or closed with -ENOTCONN), and is forgotten. */
void esphome_gatt_fail_all(EsphomeProxy *p);
