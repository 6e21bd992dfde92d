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
 *     [Lock]
 *     Address=AA:BB:CC:DD:EE:FF
 *     Radio=porch
 *
 * Anything the parser does not know is an error, reported as "FILE:LINE: reason", so that a typo never
 * passes silently; the caller keeps the configuration it had. A PSK file is a secret: it must belong to
 * root (or to ttlockd's user) and be readable by nobody else, and what is in it never reaches a log,
 * an error message or the bus. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-address.h"
#include "macro.h"

#define CONFIG_FILE_MAX (64U * 1024U)
#define CONFIG_LINE_MAX 1024U
#define CONFIG_NAME_MAX 32U /* a radio's name: letters, digits, '-' and '_' */
#define CONFIG_HOST_MAX 253U
#define CONFIG_PROXIES_MAX 32U
#define CONFIG_ADAPTERS_MAX 16U
#define CONFIG_PINS_MAX 4096U
#define CONFIG_PSK_SIZE 32U
#define CONFIG_PSK_FILE_MAX 256U
#define CONFIG_DEFAULT_PORT 6053 /* ESPHome's native API */
#define CONFIG_ERROR_MAX 512U

typedef struct ConfigProxy {
        char name[CONFIG_NAME_MAX + 1];
        char *host;
        uint16_t port;
        char *psk_file; /* NULL: the proxy speaks plaintext */
        unsigned line;  /* of the [Proxy] header */
        unsigned psk_line;
        bool has_psk; /* psk holds the key read from psk_file (config_load()) */
        uint8_t psk[CONFIG_PSK_SIZE];
} ConfigProxy;

typedef struct ConfigPin {
        char address[BT_ADDRESS_SIZE];
        char radio[CONFIG_NAME_MAX + 1];
} ConfigPin;

typedef struct Config {
        /* [Bluetooth] Adapters=: NULL = every adapter BlueZ has; an empty list = none. */
        char **adapters;
        size_t n_adapters;
        ConfigProxy *proxies;
        size_t n_proxies;
        ConfigPin *pins;
        size_t n_pins;
} Config;

/* The configuration of a file that does not exist: every adapter, no proxy, no pin. */
int config_new_default(Config **ret);
Config *config_free(Config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config *, config_free);

/* Parses text[0..len) (need not be NUL-terminated); file names it in errors. PSK files are not read.
 * On failure error holds "FILE:LINE: reason" and *ret is untouched: -EINVAL bad content, -E2BIG over
 * a bound, -ENOMEM. */
int config_parse(const char *text, size_t len, const char *file, Config **ret, char *error, size_t error_size);

/* Reads and parses path, then every proxy's PSK file. A file that does not exist gives the default
 * configuration (returns 0 with *ret set, and says so in error with "" otherwise). Errors as above, and
 * -EACCES for a PSK file others may read, the errno of a file that cannot be read. */
int config_load(const char *path, Config **ret, char *error, size_t error_size);

/* A PSK file (ttlockd.conf(5) PSKFile=): a regular file of at most CONFIG_PSK_FILE_MAX bytes, owned by
 * root or by us, with no permission for group or others, holding the base64 of 32 bytes as ESPHome's
 * "api: encryption: key:" writes it. error never holds any of its content. */
int config_read_psk(const char *path, uint8_t psk[CONFIG_PSK_SIZE], char *error, size_t error_size);

/* Whether the BlueZ adapter called name (hci0) may be used. */
bool config_adapter_allowed(const Config *c, const char *name);
/* Two proxies are the same when nothing of their configuration differs (the key included). */
bool config_proxy_equal(const ConfigProxy *a, const ConfigProxy *b);
const ConfigProxy *config_find_proxy(const Config *c, const char *name);
bool config_adapters_equal(const Config *a, const Config *b);
