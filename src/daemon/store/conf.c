/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "conf.h"
#include "string-util.h"

typedef enum Section {
        SECTION_NONE,
        SECTION_BLUETOOTH,
        SECTION_PROXY,
        SECTION_LOCK,
        SECTION_LINK,
} Section;

typedef struct Parser {
        const char *file;
        unsigned line;
        Section section;
        unsigned section_line;
        Conf *config;
        ConfPin pin; /* the [Lock] section being read */
        bool pin_address, pin_radio;
        unsigned backoff_line, backoff_max_line; /* where [Link] set them, 0 = not set */
        char *error;
        size_t error_size;
} Parser;

_printf_(3, 4) static int fail(Parser *p, int error, const char *fmt, ...) {
        char reason[CONF_ERROR_MAX];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        if (p->error_size > 0)
                (void) snprintf(p->error, p->error_size, "%s:%u: %s", p->file, p->line, reason);
        return error;
}

/* ---- the configuration ------------------------------------------------------------------------- */

static const char *const connection_policy_names[_CONNECTION_POLICY_MAX] = {
        [CONNECTION_ON_DEMAND] = "on-demand",
        [CONNECTION_KEEP_ALIVE] = "keep-alive",
        [CONNECTION_PERSISTENT] = "persistent",
};

const char *connection_policy_to_string(ConnectionPolicy p) {
        return p >= 0 && p < _CONNECTION_POLICY_MAX ? connection_policy_names[p] : NULL;
}

ConnectionPolicy connection_policy_from_string(const char *s) {
        for (int i = 0; s && i < _CONNECTION_POLICY_MAX; i++)
                if (streq(s, connection_policy_names[i]))
                        return i;
        return _CONNECTION_POLICY_INVALID;
}

int conf_new_default(Conf **ret) {
        Conf *c = calloc(1, sizeof(Conf));

        assert(ret);
        if (!c)
                return -ENOMEM;
        c->connection.policy = _CONNECTION_POLICY_INVALID;
        c->backoff_sec = CONF_BACKOFF_SEC_DEFAULT;
        c->backoff_max_sec = CONF_BACKOFF_MAX_SEC_DEFAULT;
        *ret = c;
        return 0;
}

static void proxy_done(ConfProxy *x) {
        free(x->host);
        free(x->psk_file);
        erase_memory(x->psk, sizeof(x->psk));
}

Conf *conf_free(Conf *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_adapters; i++)
                free(c->adapters[i]);
        free(c->adapters);
        for (size_t i = 0; i < c->n_proxies; i++)
                proxy_done(&c->proxies[i]);
        free(c->proxies);
        free(c->pins);
        free(c);
        return NULL;
}

bool conf_adapter_allowed(const Conf *c, const char *name) {
        if (!c || !c->adapters)
                return true;
        for (size_t i = 0; i < c->n_adapters; i++)
                if (streq(c->adapters[i], name))
                        return true;
        return false;
}

bool conf_adapters_equal(const Conf *a, const Conf *b) {
        if (!a->adapters || !b->adapters)
                return !a->adapters && !b->adapters;
        if (a->n_adapters != b->n_adapters)
                return false;
        for (size_t i = 0; i < a->n_adapters; i++)
                if (!conf_adapter_allowed(b, a->adapters[i]))
                        return false;
        return true;
}

bool conf_proxy_equal(const ConfProxy *a, const ConfProxy *b) {
        return streq(a->name, b->name) && streq(a->host, b->host) && a->port == b->port &&
                a->has_psk == b->has_psk && (!a->has_psk || memcmp(a->psk, b->psk, sizeof(a->psk)) == 0);
}

const ConfPin *conf_find_lock(const Conf *c, const char *address) {
        for (size_t i = 0; c && i < c->n_pins; i++)
                if (streq(c->pins[i].address, address))
                        return &c->pins[i];
        return NULL;
}

const ConfProxy *conf_find_proxy(const Conf *c, const char *name) {
        for (size_t i = 0; c && i < c->n_proxies; i++)
                if (streq(c->proxies[i].name, name))
                        return &c->proxies[i];
        return NULL;
}

/* ---- values ------------------------------------------------------------------------------------ */

/* A radio's name: what the bus path, pins and ttlockctl call it. */
static bool valid_name(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CONF_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
                        return false;
        return true;
}

/* BlueZ names its adapters hci0, hci1, … (doc/adapter-api.txt object paths). */
static bool adapter_name(const char *s) {
        return startswith(s, "hci") && s[3] && strspn(s + 3, "0123456789") == strlen(s + 3) &&
                strlen(s) <= 8;
}

/* A host name (RFC 1123 labels, so also an IPv4 address) or an IPv6 address, as getaddrinfo() takes it. */
static bool valid_host(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CONF_HOST_MAX)
                return false;
        if (strchr(s, ':'))
                return strspn(s, "0123456789abcdefABCDEF:.") == n;
        if (s[0] == '-' || s[0] == '.' || strstr(s, ".."))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

static int parse_port(const char *s, uint16_t *ret) {
        unsigned long v = 0;

        if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        v = strtoul(s, NULL, 10);
        if (v < 1 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* ---- sections ---------------------------------------------------------------------------------- */

static ConfProxy *current_proxy(Parser *p) {
        return &p->config->proxies[p->config->n_proxies - 1];
}

/* The section just read must be complete; called at the next header and at the end. */
static int section_end(Parser *p) {
        unsigned line = p->line;
        int r = 0;

        p->line = p->section_line;
        if (p->section == SECTION_PROXY) {
                ConfProxy *x = current_proxy(p);

                if (!x->name[0])
                        r = fail(p, -EINVAL, "[Proxy] needs Name=");
                else if (!x->host)
                        r = fail(p, -EINVAL, "[Proxy] %s needs Host=", x->name);
        } else if (p->section == SECTION_LOCK) {
                if (!p->pin_address)
                        r = fail(p, -EINVAL, "[Lock] needs Address=");
                else if (
                        !p->pin_radio && p->pin.connection.policy < 0 &&
                        p->pin.connection.keep_alive_sec == 0)
                        r =
                                fail(p,
                                     -EINVAL,
                                     "[Lock] %s needs Radio=, ConnectionPolicy= or KeepAliveSec=",
                                     p->pin.address);
                else {
                        Conf *c = p->config;

                        for (size_t i = 0; i < c->n_pins; i++)
                                if (streq(c->pins[i].address, p->pin.address))
                                        return fail(
                                                p,
                                                -EINVAL,
                                                "lock %s has two [Lock] sections",
                                                p->pin.address);
                        if (c->n_pins >= CONF_PINS_MAX)
                                r = fail(p, -E2BIG, "more than %u [Lock] sections", CONF_PINS_MAX);
                        else {
                                ConfPin *n = reallocarray(c->pins, c->n_pins + 1, sizeof(ConfPin));
                                if (!n)
                                        return -ENOMEM;
                                c->pins = n;
                                c->pins[c->n_pins++] = p->pin;
                        }
                }
        }
        p->line = line;
        p->section = SECTION_NONE;
        return r;
}

static int section_start(Parser *p, const char *name) {
        Conf *c = p->config;
        int r;

        r = section_end(p);
        if (r < 0)
                return r;
        p->section_line = p->line;
        if (streq(name, "Bluetooth"))
                p->section = SECTION_BLUETOOTH;
        else if (streq(name, "Proxy")) {
                ConfProxy *n;

                if (c->n_proxies >= CONF_PROXIES_MAX)
                        return fail(p, -E2BIG, "more than %u [Proxy] sections", CONF_PROXIES_MAX);
                n = reallocarray(c->proxies, c->n_proxies + 1, sizeof(ConfProxy));
                if (!n)
                        return -ENOMEM;
                c->proxies = n;
                c->proxies[c->n_proxies++] = (ConfProxy){ .port = CONF_DEFAULT_PORT, .line = p->line };
                p->section = SECTION_PROXY;
        } else if (streq(name, "Lock")) {
                p->pin = (ConfPin){ .connection.policy = _CONNECTION_POLICY_INVALID };
                p->pin_address = p->pin_radio = false;
                p->section = SECTION_LOCK;
        } else if (streq(name, "Link"))
                p->section = SECTION_LINK;
        else
                return fail(
                        p, -EINVAL, "unknown section [%s] (expected Bluetooth, Proxy, Lock or Link)", name);
        return 0;
}

static int bluetooth_key(Parser *p, const char *key, char *value) {
        Conf *c = p->config;
        char *saveptr = NULL;

        if (!streq(key, "Adapters"))
                return fail(p, -EINVAL, "unknown key %s= in [Bluetooth] (expected Adapters=)", key);
        /* systemd's list semantics: an empty assignment resets, others add. */
        if (!c->adapters) {
                c->adapters = calloc(1, sizeof(char *));
                if (!c->adapters)
                        return -ENOMEM;
        }
        if (!*value) {
                for (size_t i = 0; i < c->n_adapters; i++)
                        free(c->adapters[i]);
                free(c->adapters);
                c->adapters = NULL;
                c->n_adapters = 0;
                return 0;
        }
        for (char *w = strtok_r(value, " \t", &saveptr); w; w = strtok_r(NULL, " \t", &saveptr)) {
                char **n;

                if (streq(w, "none"))
                        continue; /* an explicit empty list: no BlueZ adapter at all */
                if (!adapter_name(w))
                        return fail(p, -EINVAL, "Adapters=: \"%.40s\" is not an adapter name like hci0", w);
                if (conf_adapter_allowed(c, w))
                        continue;
                if (c->n_adapters >= CONF_ADAPTERS_MAX)
                        return fail(p, -E2BIG, "Adapters=: more than %u adapters", CONF_ADAPTERS_MAX);
                n = reallocarray(c->adapters, c->n_adapters + 2, sizeof(char *));
                if (!n)
                        return -ENOMEM;
                c->adapters = n;
                c->adapters[c->n_adapters] = strdup(w);
                if (!c->adapters[c->n_adapters])
                        return -ENOMEM;
                c->adapters[++c->n_adapters] = NULL;
        }
        return 0;
}

static int proxy_key(Parser *p, const char *key, const char *value) {
        ConfProxy *x = current_proxy(p);
        Conf *c = p->config;

        if (streq(key, "Name")) {
                if (!valid_name(value))
                        return fail(
                                p,
                                -EINVAL,
                                "Name=: \"%.40s\" is not 1–%u letters, digits, '-' or '_'",
                                value,
                                CONF_NAME_MAX);
                if (adapter_name(value))
                        return fail(p, -EINVAL, "Name=%s: that is a BlueZ adapter's name", value);
                for (size_t i = 0; i + 1 < c->n_proxies; i++)
                        if (streq(c->proxies[i].name, value))
                                return fail(
                                        p,
                                        -EINVAL,
                                        "Name=%s: another [Proxy] (line %u) has that name",
                                        value,
                                        c->proxies[i].line);
                strcpy(x->name, value);
        } else if (streq(key, "Host")) {
                if (!valid_host(value))
                        return fail(p, -EINVAL, "Host=: \"%.64s\" is not a host name or address", value);
                if (strdup_replace(&x->host, value) < 0)
                        return -ENOMEM;
        } else if (streq(key, "Port")) {
                if (parse_port(value, &x->port) < 0)
                        return fail(p, -EINVAL, "Port=: \"%.16s\" is not a port 1–65535", value);
        } else if (streq(key, "PSKFile")) {
                if (!*value)
                        x->psk_file = mfree(x->psk_file);
                else if (value[0] != '/' || strlen(value) > 4096)
                        return fail(p, -EINVAL, "PSKFile=: \"%.64s\" is not an absolute path", value);
                else if (strdup_replace(&x->psk_file, value) < 0)
                        return -ENOMEM;
                x->psk_line = p->line;
        } else
                return fail(
                        p,
                        -EINVAL,
                        "unknown key %s= in [Proxy] (expected Name=, Host=, Port= or PSKFile=)",
                        key);
        return 0;
}

/* A number of seconds in [min, max], digits only. */
static int parse_seconds(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned long v;

        if (!*s || strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
                return -EINVAL;
        v = strtoul(s, NULL, 10);
        if (v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* ConnectionPolicy= and KeepAliveSec=, in [Link] and [Lock]: 1 when key is neither. */
static int connection_key(Parser *p, ConfConnection *c, const char *key, const char *value) {
        if (streq(key, "ConnectionPolicy")) {
                c->policy = connection_policy_from_string(value);
                if (c->policy < 0)
                        return fail(
                                p,
                                -EINVAL,
                                "ConnectionPolicy=: \"%.32s\" is not on-demand, keep-alive or persistent",
                                value);
                return 0;
        }
        if (streq(key, "KeepAliveSec")) {
                if (parse_seconds(
                            value, CONF_KEEP_ALIVE_MIN_SEC, CONF_KEEP_ALIVE_MAX_SEC, &c->keep_alive_sec) < 0)
                        return fail(
                                p,
                                -EINVAL,
                                "KeepAliveSec=: \"%.16s\" is not %u–%u seconds",
                                value,
                                CONF_KEEP_ALIVE_MIN_SEC,
                                CONF_KEEP_ALIVE_MAX_SEC);
                return 0;
        }
        return 1;
}

static int link_key(Parser *p, const char *key, const char *value) {
        Conf *c = p->config;
        int r;

        r = connection_key(p, &c->connection, key, value);
        if (r <= 0)
                return r;
        if (streq(key, "BackoffSec")) {
                if (parse_seconds(value, 0, CONF_BACKOFF_SEC_MAX, &c->backoff_sec) < 0)
                        return fail(
                                p,
                                -EINVAL,
                                "BackoffSec=: \"%.16s\" is not 0–%u seconds",
                                value,
                                CONF_BACKOFF_SEC_MAX);
                p->backoff_line = p->line;
        } else if (streq(key, "BackoffMaxSec")) {
                if (parse_seconds(value, 0, CONF_BACKOFF_MAX_SEC_MAX, &c->backoff_max_sec) < 0)
                        return fail(
                                p,
                                -EINVAL,
                                "BackoffMaxSec=: \"%.16s\" is not 0–%u seconds",
                                value,
                                CONF_BACKOFF_MAX_SEC_MAX);
                p->backoff_max_line = p->line;
        } else
                return fail(
                        p,
                        -EINVAL,
                        "unknown key %s= in [Link] (expected ConnectionPolicy=, KeepAliveSec=, BackoffSec= "
                        "or "
                        "BackoffMaxSec=)",
                        key);
        return 0;
}

static int lock_key(Parser *p, const char *key, const char *value) {
        int r;

        if (streq(key, "Address")) {
                if (bt_address_normalize(value, p->pin.address) < 0)
                        return fail(p, -EINVAL, "Address=: \"%.40s\" is not like AA:BB:CC:DD:EE:FF", value);
                p->pin_address = true;
        } else if (streq(key, "Radio")) {
                if (!valid_name(value))
                        return fail(p, -EINVAL, "Radio=: \"%.40s\" is not a radio's name", value);
                strcpy(p->pin.radio, value);
                p->pin_radio = true;
        } else {
                r = connection_key(p, &p->pin.connection, key, value);
                if (r > 0)
                        return fail(
                                p,
                                -EINVAL,
                                "unknown key %s= in [Lock] (expected Address=, Radio=, ConnectionPolicy= or "
                                "KeepAliveSec=)",
                                key);
                return r;
        }
        return 0;
}

/* ---- lines ------------------------------------------------------------------------------------- */

static char *strip(char *s) {
        char *e;

        while (*s == ' ' || *s == '\t')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
        *e = 0;
        return s;
}

static int parse_line(Parser *p, char *line) {
        char *l = strip(line), *eq, *key, *value;

        if (!*l || *l == '#' || *l == ';')
                return 0;
        if (*l == '[') {
                size_t n = strlen(l);

                if (l[n - 1] != ']')
                        return fail(p, -EINVAL, "a section header must end with ']'");
                l[n - 1] = 0;
                return section_start(p, strip(l + 1));
        }
        eq = strchr(l, '=');
        if (!eq)
                return fail(p, -EINVAL, "expected Key=Value, a [Section] or a comment");
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        if (!*key)
                return fail(p, -EINVAL, "a key is missing before '='");
        switch (p->section) {
        case SECTION_BLUETOOTH:
                return bluetooth_key(p, key, value);
        case SECTION_PROXY:
                return proxy_key(p, key, value);
        case SECTION_LOCK:
                return lock_key(p, key, value);
        case SECTION_LINK:
                return link_key(p, key, value);
        default:
                return fail(p, -EINVAL, "%s= is outside of any section", key);
        }
}

int conf_parse(const char *text, size_t len, const char *file, Conf **ret, char *error, size_t error_size) {
        _cleanup_(conf_freep) Conf *c = NULL;
        char line[CONF_LINE_MAX + 1];
        Parser p = { .file = file ?: "(configuration)", .error = error, .error_size = error_size };
        size_t pos = 0;
        int r;

        assert(text || len == 0);
        assert(ret);
        if (error_size > 0)
                error[0] = 0;
        if (len > CONF_FILE_MAX)
                return fail(&p, -E2BIG, "larger than %u bytes", CONF_FILE_MAX);
        r = conf_new_default(&c);
        if (r < 0)
                return r;
        p.config = c;

        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - (text + pos)) : len - pos;

                p.line++;
                if (n > CONF_LINE_MAX)
                        return fail(&p, -E2BIG, "a line longer than %u bytes", CONF_LINE_MAX);
                memcpy(line, text + pos, n);
                line[n] = 0;
                pos += n + (nl ? 1 : 0);
                /* Text only: a NUL or another control character means this is not the file we think. */
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) line[i] < 0x20 && line[i] != '\t' && line[i] != '\r')
                                return fail(
                                        &p, -EINVAL, "a control character (0x%02x) in the line", line[i]);
                r = parse_line(&p, line);
                if (r < 0)
                        return r;
        }
        r = section_end(&p);
        if (r < 0)
                return r;
        if (c->backoff_max_sec < c->backoff_sec) {
                p.line = MAX(p.backoff_line, p.backoff_max_line);
                return fail(
                        &p,
                        -EINVAL,
                        "BackoffMaxSec=%u is shorter than BackoffSec=%u",
                        c->backoff_max_sec,
                        c->backoff_sec);
        }
        /* A pin may name a radio that does not exist now: adapters and proxies come and go. */
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- files ------------------------------------------------------------------------------------- */

static int read_bounded(int fd, char *buf, size_t size, size_t *ret) {
        size_t n = 0;

        for (;;) {
                ssize_t k = read(fd, buf + n, size - n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n == size)
                        return -E2BIG;
        }
        *ret = n;
        return 0;
}

int conf_read_psk(const char *path, uint8_t psk[CONF_PSK_SIZE], char *error, size_t error_size) {
        char text[CONF_PSK_FILE_MAX + 1];
        uint8_t key[CONF_PSK_SIZE + 3];
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t n = 0;
        int r;

        assert(path);
        assert(psk);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                (void) snprintf(error, error_size, "cannot open %s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) snprintf(error, error_size, "cannot stat %s: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                (void) snprintf(error, error_size, "%s is not a regular file", path);
                return -EINVAL;
        }
        /* A key others can read is a key others have: refuse it rather than use it (ttlockd.conf(5)). */
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                (void) snprintf(
                        error,
                        error_size,
                        "%s belongs to uid %u; a PSK file must belong to root",
                        path,
                        (unsigned) st.st_uid);
                return -EACCES;
        }
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                (void) snprintf(
                        error,
                        error_size,
                        "%s may be read or changed by its group or others (mode %04o); a PSK is a "
                        "secret: chmod 600 it",
                        path,
                        (unsigned) (st.st_mode & 07777));
                return -EACCES;
        }
        r = read_bounded(fd, text, sizeof(text) - 1, &n);
        if (r < 0) {
                if (r == -E2BIG)
                        (void) snprintf(error, error_size, "%s is larger than a PSK file can be", path);
                else
                        (void) snprintf(error, error_size, "cannot read %s: %s", path, strerror(-r));
                erase_memory(text, sizeof(text));
                return r;
        }
        text[n] = 0;
        r = base64_decode(text, n, key, sizeof(key));
        erase_memory(text, sizeof(text));
        if (r != (int) CONF_PSK_SIZE) {
                erase_memory(key, sizeof(key));
                (void) snprintf(
                        error,
                        error_size,
                        "%s does not hold a key: expected the base64 of 32 bytes, as ESPHome's "
                        "api: encryption: key: takes it",
                        path);
                return -EINVAL;
        }
        memcpy(psk, key, CONF_PSK_SIZE);
        erase_memory(key, sizeof(key));
        return 0;
}

int conf_load(const char *path, Conf **ret, char *error, size_t error_size) {
        _cleanup_(conf_freep) Conf *c = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char reason[CONF_ERROR_MAX];
        struct stat st;
        size_t n = 0;
        int r;

        assert(path);
        assert(ret);
        if (error_size > 0)
                error[0] = 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT) {
                r = conf_new_default(ret);
                if (r >= 0)
                        (void) snprintf(error, error_size, "%s does not exist", path);
                return r;
        }
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                (void) snprintf(error, error_size, "%s: %s", path, strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                (void) snprintf(error, error_size, "%s: not a regular file", path);
                return -EINVAL;
        }
        text = malloc(CONF_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        r = read_bounded(fd, text, CONF_FILE_MAX + 1, &n);
        if (r == -E2BIG) {
                (void) snprintf(error, error_size, "%s: larger than %u bytes", path, CONF_FILE_MAX);
                return r;
        }
        if (r < 0) {
                (void) snprintf(error, error_size, "%s: %s", path, strerror(-r));
                return r;
        }
        r = conf_parse(text, n, path, &c, error, error_size);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_proxies; i++) {
                ConfProxy *x = &c->proxies[i];

                if (!x->psk_file)
                        continue;
                r = conf_read_psk(x->psk_file, x->psk, reason, sizeof(reason));
                if (r < 0) {
                        (void) snprintf(error, error_size, "%s:%u: PSKFile=: %s", path, x->psk_line, reason);
                        /* Whatever is wrong with the key file, it is this file's line that is bad. */
                        return r == -ENOMEM || r == -EACCES ? r : -EINVAL;
                }
                x->has_psk = true;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
