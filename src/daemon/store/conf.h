/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's configuration file, /etc/ttlockd/ttlockd.conf (ttlockd.conf(5)): which BlueZ adapters to
 * use, the ESPHome Bluetooth proxies to reach locks through, and the locks pinned to one radio. The
 * syntax is systemd's unit-file style — [Section] headers, Key=Value lines, '#' and ';' comments — with
 * repeatable [Proxy] and [Lock] sections:
 *
 *     [Bluetooth]
 *     Adapters=hci0 hci1
 *
 *     [Proxy]
 *     Name=porch
 *     Host=192.168.1.40
 *     PSKFile=/etc/ttlockd/porch.psk
 *
 *     [Link]
 *     ConnectionPolicy=on-demand
 *     BackoffSec=30
 *
 *     [Lock]
 *     Address=AA:BB:CC:DD:EE:FF
 *     Radio=porch
 *     ConnectionPolicy=persistent
 *
 * Anything the parser does not know is an error, reported as "FILE:LINE: reason", so that a typo never
 * passes silently; the caller keeps the configuration it had. A PSK file is a secret: it must belong to
 * root (or to ttlockd's user) and be readable by nobody else, and what is in it never reaches a log,
 * an error message or the bus. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-address.h"
#include "macro.h"

#define CONF_FILE_MAX (64U * 1024U)
#define CONF_LINE_MAX 1024U
#define CONF_NAME_MAX 32U /* a radio's name: letters, digits, '-' and '_' */
#define CONF_HOST_MAX 253U
#define CONF_PROXIES_MAX 32U
#define CONF_ADAPTERS_MAX 16U
#define CONF_PINS_MAX 4096U
#define CONF_PSK_SIZE 32U
#define CONF_PSK_FILE_MAX 256U
#define CONF_DEFAULT_PORT 6053 /* ESPHome's native API */
#define CONF_ERROR_MAX 512U
#define CONF_KEEP_ALIVE_MIN_SEC 1U
#define CONF_KEEP_ALIVE_MAX_SEC 3600U
#define CONF_BACKOFF_SEC_DEFAULT 30U /* [Link] BackoffSec= */
#define CONF_BACKOFF_SEC_MAX 3600U
#define CONF_BACKOFF_MAX_SEC_DEFAULT 1800U /* [Link] BackoffMaxSec= */
#define CONF_BACKOFF_MAX_SEC_MAX 86400U

/* How a lock's link is held (ttlockd(8) "LINK HEALTH AND CONNECTIONS", lock/link-health.h): gone 2 s
 * after its last job, kept for a window after it, or kept up whenever the lock can be reached. The
 * names are those of ttlockd.conf(5), the key file and org.ttlock.Settings1. */
typedef enum ConnectionPolicy {
        CONNECTION_ON_DEMAND,
        CONNECTION_KEEP_ALIVE,
        CONNECTION_PERSISTENT,
        _CONNECTION_POLICY_MAX,
        _CONNECTION_POLICY_INVALID = -EINVAL,
} ConnectionPolicy;

const char *connection_policy_to_string(ConnectionPolicy p); /* "on-demand", "keep-alive", "persistent" */
ConnectionPolicy connection_policy_from_string(const char *s);

/* ConnectionPolicy= and KeepAliveSec= of a [Link] or [Lock] section; what is not set is inherited. */
typedef struct ConfConnection {
        ConnectionPolicy policy; /* _CONNECTION_POLICY_INVALID: not set */
        unsigned keep_alive_sec; /* 0: not set */
} ConfConnection;

typedef struct ConfProxy {
        char name[CONF_NAME_MAX + 1];
        char *host;
        uint16_t port;
        char *psk_file; /* NULL: the proxy speaks plaintext */
        unsigned line;  /* of the [Proxy] header */
        unsigned psk_line;
        bool has_psk; /* psk holds the key read from psk_file (conf_load()) */
        uint8_t psk[CONF_PSK_SIZE];
} ConfProxy;

/* One [Lock] section: a pin to a radio, a connection policy, or both. */
typedef struct ConfPin {
        char address[BT_ADDRESS_SIZE];
        char radio[CONF_NAME_MAX + 1]; /* "": not pinned */
        ConfConnection connection;
} ConfPin;

typedef struct Conf {
        /* [Bluetooth] Adapters=: NULL = every adapter BlueZ has; an empty list = none. */
        char **adapters;
        size_t n_adapters;
        ConfProxy *proxies;
        size_t n_proxies;
        ConfPin *pins;
        size_t n_pins;
        /* [Link]: the connection policy of every lock without its own, and the backoff after failed
         * connects (0 = none). */
        ConfConnection connection;
        unsigned backoff_sec;
        unsigned backoff_max_sec;
} Conf;

/* The configuration of a file that does not exist: every adapter, no proxy, no pin, no policy set, the
 * default backoff. */
int conf_new_default(Conf **ret);
Conf *conf_free(Conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Conf *, conf_free);

/* Parses text[0..len) (need not be NUL-terminated); file names it in errors. PSK files are not read.
 * On failure error holds "FILE:LINE: reason" and *ret is untouched: -EINVAL bad content, -E2BIG over
 * a bound, -ENOMEM. */
int conf_parse(const char *text, size_t len, const char *file, Conf **ret, char *error, size_t error_size);

/* Reads and parses path, then every proxy's PSK file. A file that does not exist gives the default
 * configuration (returns 0 with *ret set, and says so in error with "" otherwise). Errors as above, and
 * -EACCES for a PSK file others may read, the errno of a file that cannot be read. */
int conf_load(const char *path, Conf **ret, char *error, size_t error_size);

/* A PSK file (ttlockd.conf(5) PSKFile=): a regular file of at most CONF_PSK_FILE_MAX bytes, owned by
 * root or by us, with no permission for group or others, holding the base64 of 32 bytes as ESPHome's
 * "api: encryption: key:" writes it. error never holds any of its content. */
int conf_read_psk(const char *path, uint8_t psk[CONF_PSK_SIZE], char *error, size_t error_size);

/* Whether the BlueZ adapter called name (hci0) may be used. */
bool conf_adapter_allowed(const Conf *c, const char *name);
/* Two proxies are the same when nothing of their configuration differs (the key included). */
bool conf_proxy_equal(const ConfProxy *a, const ConfProxy *b);
const ConfProxy *conf_find_proxy(const Conf *c, const char *name);
/* The [Lock] section of address (upper case), NULL when it has none. */
const ConfPin *conf_find_lock(const Conf *c, const char *address);
bool conf_adapters_equal(const Conf *a, const Conf *b);
