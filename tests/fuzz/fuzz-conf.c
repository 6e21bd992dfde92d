/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockd.conf's parser (src/daemon/store/conf.c, ttlockd.conf(5)), the one file an administrator hands
 * the daemon. Promises checked: a refusal says "FILE:LINE: reason" with a line the input has; what is
 * accepted is within every bound and valid (names, hosts, ports, addresses, no duplicates); and it
 * means the same when written back out and read again. */

#include "conf.h"
#include "fuzz.h"

static size_t lines(const uint8_t *data, size_t size) {
        size_t n = 1;

        for (size_t i = 0; i < size; i++)
                n += data[i] == '\n';
        return n;
}

/* The configuration as a file again, in one canonical form. */
static size_t write_back(const Conf *c, char *out, size_t size) {
        FILE *f = fmemopen(out, size, "w");
        long n;

        fuzz_check(f, "fmemopen");
        if (c->adapters) {
                fprintf(f, "[Bluetooth]\nAdapters=none");
                for (size_t i = 0; i < c->n_adapters; i++)
                        fprintf(f, " %s", c->adapters[i]);
                fputc('\n', f);
        }
        for (size_t i = 0; i < c->n_proxies; i++) {
                fprintf(f,
                        "[Proxy]\nName=%s\nHost=%s\nPort=%u\n",
                        c->proxies[i].name,
                        c->proxies[i].host,
                        c->proxies[i].port);
                if (c->proxies[i].psk_file)
                        fprintf(f, "PSKFile=%s\n", c->proxies[i].psk_file);
        }
        for (size_t i = 0; i < c->n_pins; i++) {
                const ConfConnection *k = &c->pins[i].connection;

                fprintf(f, "[Lock]\nAddress=%s\n", c->pins[i].address);
                if (c->pins[i].radio[0])
                        fprintf(f, "Radio=%s\n", c->pins[i].radio);
                if (k->policy >= 0)
                        fprintf(f, "ConnectionPolicy=%s\n", connection_policy_to_string(k->policy));
                if (k->keep_alive_sec > 0)
                        fprintf(f, "KeepAliveSec=%u\n", k->keep_alive_sec);
        }
        fprintf(f, "[Link]\nBackoffSec=%u\nBackoffMaxSec=%u\n", c->backoff_sec, c->backoff_max_sec);
        if (c->connection.policy >= 0)
                fprintf(f, "ConnectionPolicy=%s\n", connection_policy_to_string(c->connection.policy));
        if (c->connection.keep_alive_sec > 0)
                fprintf(f, "KeepAliveSec=%u\n", c->connection.keep_alive_sec);
        n = ftell(f);
        fclose(f);
        return (size_t) n;
}

static void same(const Conf *a, const Conf *b) {
        fuzz_check(!a->adapters == !b->adapters && a->n_adapters == b->n_adapters, "adapters");
        fuzz_check(conf_adapters_equal(a, b), "adapter names");
        fuzz_check(a->n_proxies == b->n_proxies && a->n_pins == b->n_pins, "counts");
        for (size_t i = 0; i < a->n_proxies; i++) {
                fuzz_check(conf_proxy_equal(&a->proxies[i], &b->proxies[i]), "proxy %zu", i);
                fuzz_check(!a->proxies[i].psk_file == !b->proxies[i].psk_file, "psk file %zu", i);
        }
        for (size_t i = 0; i < a->n_pins; i++)
                fuzz_check(
                        strcmp(a->pins[i].address, b->pins[i].address) == 0 &&
                                strcmp(a->pins[i].radio, b->pins[i].radio) == 0 &&
                                a->pins[i].connection.policy == b->pins[i].connection.policy &&
                                a->pins[i].connection.keep_alive_sec == b->pins[i].connection.keep_alive_sec,
                        "pin %zu",
                        i);
        fuzz_check(
                a->connection.policy == b->connection.policy &&
                        a->connection.keep_alive_sec == b->connection.keep_alive_sec &&
                        a->backoff_sec == b->backoff_sec && a->backoff_max_sec == b->backoff_max_sec,
                "[Link]");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char out[CONF_FILE_MAX * 2];
        char error[CONF_ERROR_MAX];
        Conf *c = NULL, *again = NULL;
        unsigned line = 0;
        int r;

        r = conf_parse((const char *) data, size, "t.conf", &c, error, sizeof(error));
        if (r < 0) {
                fuzz_check(r == -EINVAL || r == -E2BIG || r == -ENOMEM, "error %d", r);
                fuzz_check(!c, "a refusal returned a configuration");
                fuzz_check(sscanf(error, "t.conf:%u: ", &line) == 1, "no FILE:LINE: in \"%s\"", error);
                fuzz_check(line <= lines(data, size), "line %u of %zu", line, lines(data, size));
                return 0;
        }
        fuzz_check(
                c->n_proxies <= CONF_PROXIES_MAX && c->n_pins <= CONF_PINS_MAX &&
                        c->n_adapters <= CONF_ADAPTERS_MAX,
                "bounds");
        for (size_t i = 0; i < c->n_proxies; i++) {
                const ConfProxy *x = &c->proxies[i];

                fuzz_check(
                        x->name[0] && strlen(x->name) <= CONF_NAME_MAX && x->host && x->port > 0,
                        "proxy %zu",
                        i);
                fuzz_check(!x->has_psk, "a key without reading a file");
                for (size_t j = 0; j < i; j++)
                        fuzz_check(
                                strcmp(c->proxies[j].name, x->name) != 0, "two proxies called %s", x->name);
        }
        for (size_t i = 0; i < c->n_pins; i++) {
                fuzz_check(bt_address_valid(c->pins[i].address), "pin address");
                for (size_t j = 0; j < i; j++)
                        fuzz_check(strcmp(c->pins[j].address, c->pins[i].address) != 0, "pinned twice");
        }
        r = conf_parse(out, write_back(c, out, sizeof(out)), "t.conf", &again, error, sizeof(error));
        fuzz_check(r >= 0, "written back, refused: %s", error);
        same(c, again);
        conf_free(again);
        conf_free(c);
        return 0;
}
