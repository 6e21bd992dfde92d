/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An ESPHome Bluetooth proxy for tests, built on src/esphome's server side (the same framing and Noise
 * the simulator's proxies use), in sd-event: a good one with one scripted lock behind it, to drive the
 * daemon's backend (src/daemon/radio/esphome-*.c) through its state machine, and bad ones that break the
 * framing, the messages or the rules in the ways a broken or hostile device could. It counts the TCP
 * connections it accepted, so that a test can tell a retry storm from a backoff.
 *
 * fake_proxy_thread_*() run one on a thread of its own, with its own event loop, for tests whose main
 * thread blocks in D-Bus calls. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef enum FakeProxyMode {
        FAKE_PROXY_GOOD,        /* a Bluetooth proxy, active connections, one lock (FAKE_PROXY_LOCK) */
        FAKE_PROXY_GARBAGE,     /* answers the first bytes with bytes that are no frame */
        FAKE_PROXY_HUGE_FRAME,  /* a plaintext frame header announcing 1 MiB */
        FAKE_PROXY_BAD_MESSAGE, /* a HelloResponse that does not decode */
        FAKE_PROXY_NOT_A_PROXY, /* Hello and DeviceInfo fine, but no Bluetooth proxy feature flags */
        FAKE_PROXY_SILENT,      /* accepts, reads, never answers */
        FAKE_PROXY_HOSTILE,     /* a proxy that, once subscribed to, sends everything it should not */
} FakeProxyMode;

#define FAKE_PROXY_LOCK "AA:BB:CC:00:00:07"

typedef struct FakeProxyOptions {
        FakeProxyMode mode;
        const uint8_t *psk;  /* 32 bytes: speak Noise with this key; NULL: plaintext */
        unsigned api_minor;  /* the API version it announces, 1.x; 0 = 14 */
        unsigned slots;      /* connection slots; 0 = 3 */
        bool long_uuids;     /* GATT UUIDs as 128-bit arrays even to API ≥ 1.12 clients */
        bool v1_only;        /* no remote caching: v1 connects, the proxy enables notifications */
        bool refuse_connect; /* connects fail (ESP_GATT_CONN_FAIL_ESTABLISH) */
} FakeProxyOptions;

typedef struct FakeProxy FakeProxy;

int fake_proxy_new(sd_event *event, const FakeProxyOptions *o, FakeProxy **ret);
FakeProxy *fake_proxy_free(FakeProxy *p);
uint16_t fake_proxy_port(FakeProxy *p);
unsigned fake_proxy_accepts(FakeProxy *p);

/* GOOD: what the test does as the person and the lock. */
void fake_proxy_advertise(FakeProxy *p, int rssi); /* one raw advertisement of the lock */
void fake_proxy_drop(FakeProxy *p);                /* every API client's socket closed, no goodbye */
void fake_proxy_lose_link(FakeProxy *p);           /* the lock drops its BLE link */
void fake_proxy_notify(FakeProxy *p, const uint8_t *data, size_t len);
bool fake_proxy_link_up(FakeProxy *p); /* connected, notifications on */
/* What was written to 0xFFF2, concatenated, and whether each write asked for a response. */
size_t fake_proxy_written(FakeProxy *p, uint8_t *buf, size_t size);
unsigned fake_proxy_writes(FakeProxy *p);
unsigned fake_proxy_free_slots(FakeProxy *p);

/* One on a thread of its own. */
typedef struct FakeProxyThread FakeProxyThread;
int fake_proxy_thread_start(const FakeProxyOptions *o, FakeProxyThread **ret);
uint16_t fake_proxy_thread_port(FakeProxyThread *t);
unsigned fake_proxy_thread_accepts(FakeProxyThread *t);
void fake_proxy_thread_stop(FakeProxyThread *t);
