/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The ESPHome radio backend: one radio per Bluetooth proxy of ttlockd.conf(5), reached over ESPHome's
 * native API (doc/esphome.md; src/esphome speaks the framing, Noise and the messages). Like bluez.c it
 * plugs into the RadioSet (radio.h) and knows nothing of the TTLock protocol beyond the service, the
 * manufacturer-data key and the two characteristics (doc/protocol.md §1).
 *
 * A proxy's session, in sd-event, never blocking:
 *
 *   resolve the host (a thread, resolve.h) → TCP connect → [Noise handshake with the PSK] →
 *   HelloRequest → [AuthenticationRequest, to proxies below API 1.12] → DeviceInfoRequest (the
 *   Bluetooth proxy feature flags must offer active connections and raw advertisements) →
 *   SubscribeBluetoothLEAdvertisements (raw) and SubscribeBluetoothConnectionsFree → ready
 *
 * It subscribes to advertisements before it connects anything, because a real proxy sends its
 * connection and GATT answers to the API client holding the advertisement subscription, and accepts
 * one such client (doc/esphome.md "One advertisement subscriber"). While ready it pings the proxy when
 * idle and gives it up when nothing came back for a while; a session that fails for any reason fails
 * every connection through the proxy (ready or closed with -ENOTCONN), makes the radio unavailable,
 * forgets what it heard, says why in the radio's LastError, and is tried again after a backoff that
 * doubles up to a bound (and starts long when only a change of configuration can help: a wrong PSK,
 * plaintext against Noise, a device that is no Bluetooth proxy).
 *
 * A connection to a lock: BluetoothDeviceRequest CONNECT (V3 without cache when the proxy offers remote
 * caching, else the v1 connect) → BluetoothGATTGetServices → 0xFFF2 and 0xFFF4 by UUID, in either of
 * the forms a proxy sends them → BluetoothGATTNotifyRequest on 0xFFF4 → with a V3 connection the client
 * writes the CCCD itself (ESPHome's bluetooth_connection.cpp leaves it to the client when it caches) →
 * ready. Writes to 0xFFF2 go with response when the characteristic offers it (then the proxy's
 * BluetoothGATTWriteResponse completes them) and notifications go straight to the connection. A proxy
 * with no free connection slot (BluetoothConnectionsFreeResponse) is passed over by the RadioSet. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "macro.h"
#include "radio.h"

typedef struct EsphomeProxy EsphomeProxy;

typedef struct EsphomeTiming {
        uint64_t setup_timeout_usec;     /* from the name lookup to the subscriptions */
        uint64_t keepalive_usec;         /* a PingRequest this often while ready (aioesphomeapi: 20 s) */
        uint64_t keepalive_timeout_usec; /* nothing received this long: the proxy is gone (90 s) */
        uint64_t backoff_min_usec;       /* the first retry after a failed session */
        uint64_t backoff_config_usec;    /* the first retry when the configuration is wrong */
        uint64_t backoff_max_usec;
        uint64_t stable_usec;     /* a session ready this long resets the backoff */
        uint64_t device_ttl_usec; /* a lock the proxy has not heard this long is forgotten */
        uint64_t silence_usec;    /* no advertisement at all this long: say so in LastError */
        uint64_t drain_usec;      /* how long a dropped connection may still get answers */
} EsphomeTiming;

void esphome_timing_default(EsphomeTiming *ret);

typedef struct EsphomeProxyConfig {
        const char *name; /* the radio's name */
        const char *host;
        uint16_t port;
        const uint8_t *psk; /* 32 bytes, or NULL for plaintext; copied */
} EsphomeProxyConfig;

typedef struct EsphomeStats {
        uint64_t attempts; /* sessions begun (name lookups started) */
        uint64_t ready;    /* sessions that became ready */
        uint64_t failed;
} EsphomeStats;

/* Makes the radio (unavailable until the first session is ready) and starts the first session. */
int esphome_proxy_new(
        sd_event *event,
        RadioSet *radios,
        const EsphomeProxyConfig *config,
        const EsphomeTiming *timing,
        EsphomeProxy **ret);
/* Every connection through it fails (-ENOTCONN), then its radio goes. Accepts NULL. */
EsphomeProxy *esphome_proxy_free(EsphomeProxy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(EsphomeProxy *, esphome_proxy_free);

Radio *esphome_proxy_radio(EsphomeProxy *p);
const EsphomeStats *esphome_proxy_stats(EsphomeProxy *p);
