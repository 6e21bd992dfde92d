/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ESPHome Bluetooth proxies in front of the simulated locks (ttlock-sim(1) "ESPHOME PROXIES"): each
 * listens on its own TCP address and speaks ESPHome's native API (src/esphome, doc/esphome.md) as a
 * bluetooth_proxy of ESPHome 2026.1 does — API 1.14 unless told otherwise — with raw advertisements,
 * active connections in a fixed number of slots, GATT services, writes and notifications. The locks
 * are the same ones the fake BlueZ shows; each proxy hears each lock at an RSSI of its own, and a
 * lock holds one link at a time, through whichever radio connected first. Each proxy also has a
 * control object on the bus, /org/ttlock/sim/proxy/<name> with org.ttlock.SimProxy1 (Stop, Start,
 * Running, Port, …), for tests that pull its plug. */

#include <stdint.h>

#include "sim.h"

#define SIM_PROXY_NAME_MAX 32
#define SIM_PROXY_SLOTS_MAX 9 /* ESPHome allows 1–9 connection slots */
#define SIM_PROXY_CLIENTS_MAX 8
#define SIM_PROXY_PATH_PREFIX "/org/ttlock/sim/proxy/"
#define SIM_PROXY_INTERFACE "org.ttlock.SimProxy1"

typedef struct SimProxySpec {
        char name[SIM_PROXY_NAME_MAX];
        char host[64];
        uint16_t port;  /* 0 = any free port (see the Port property) */
        char *psk_file; /* base64 API encryption key; NULL = plaintext */
        unsigned slots;
        unsigned api_minor; /* API 1.<api_minor>; below 12 a client must authenticate first */
} SimProxySpec;

/* "NAME=ADDR:PORT[,psk=FILE][,slots=N][,api=1.M]"; -EINVAL with the reason in error. */
int proxy_spec_parse(const char *text, SimProxySpec *ret, char *error, size_t error_size);
void proxy_spec_done(SimProxySpec *spec);

/* Creates, listens and registers the control object (after the locks exist and the bus is up). */
int proxy_create(Sim *s, const SimProxySpec *spec);
void proxy_free_all(Sim *s);

/* Radio callbacks (radio.c): a notification on 0xFFF4 of a lock linked through a proxy, and the
 * link lost from the lock's side. */
void proxy_notify(SimLock *l, const uint8_t *data, size_t len);
void proxy_link_lost(SimLock *l, const char *why);

/* Sim1.SetRadioRssi for a proxy by name: -ENOENT for no such proxy. */
int proxy_set_rssi(Sim *s, const char *name, SimLock *l, int16_t rssi);
/* The proxy's name and its index among the simulator's proxies. */
const char *proxy_name(const SimProxy *p);
int proxy_index(Sim *s, const SimProxy *p);
