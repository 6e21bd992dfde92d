/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "diag.h"
#include "feature-bits.h"
#include "hex.h"
#include "macro.h"
#include "string-util.h"
#include "time-util.h"

#define SALT_SIZE 16U

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

void diag_hash(
        const uint8_t *salt,
        size_t salt_len,
        const char *prefix,
        const char *value,
        char ret[DIAG_HASH_SIZE]) {
        uint8_t digest[32];
        char hex[2 * sizeof(digest) + 1];
        gcry_md_hd_t h;

        assert(value);
        if (gcry_md_open(&h, GCRY_MD_SHA256, 0) != 0) {
                /* Nothing of the value may show, whatever happens. */
                snprintf(ret, DIAG_HASH_SIZE, "%s-unknown", prefix);
                return;
        }
        gcry_md_write(h, salt, salt_len);
        gcry_md_write(h, value, strlen(value));
        memcpy(digest, gcry_md_read(h, GCRY_MD_SHA256), sizeof(digest));
        gcry_md_close(h);
        bytes_to_hex(digest, sizeof(digest), hex);
        snprintf(ret, DIAG_HASH_SIZE, "%s-%.13s", prefix, hex);
}

/* Six hex pairs at s, joined by one separator of ":_-" used throughout. */
static bool looks_like_address(const char *s) {
        char sep = s[2];

        if (sep != ':' && sep != '_' && sep != '-')
                return false;
        for (size_t i = 0; i < 17; i++) {
                if (i % 3 == 2) {
                        if (s[i] != sep)
                                return false;
                } else if (!isxdigit((unsigned char) s[i]))
                        return false;
        }
        return true;
}

void diag_scrub_addresses(char *text, const uint8_t *salt, size_t salt_len) {
        size_t n;

        assert(text);
        n = strlen(text);
        for (size_t i = 0; i + 17 <= n; i++) {
                char a[18], hash[DIAG_HASH_SIZE];

                /* Not the tail of a longer run of hex: that is no address (a key, a hash). */
                if ((i > 0 && isxdigit((unsigned char) text[i - 1])) || !looks_like_address(text + i) ||
                    (i + 17 < n && isxdigit((unsigned char) text[i + 17])))
                        continue;
                for (size_t j = 0; j < 17; j++)
                        a[j] = j % 3 == 2 ? ':' : (char) toupper((unsigned char) text[i + j]);
                a[17] = 0;
                diag_hash(salt, salt_len, "mac", a, hash);
                assert(strlen(hash) == 17);
                memcpy(text + i, hash, 17);
                i += 16;
        }
}

/* ---- building ----------------------------------------------------------------------------------- */

typedef struct Builder {
        const DiagOptions *options;
        uint8_t salt[SALT_SIZE];
} Builder;

static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_string(json_object *o, const char *key, const char *s) {
        return add(o, key, json_object_new_string(strempty_or(s)));
}

static int add_int(json_object *o, const char *key, int64_t v) {
        return add(o, key, json_object_new_int64(v));
}

static int add_bool(json_object *o, const char *key, bool v) {
        return add(o, key, json_object_new_boolean(v));
}

static int append(json_object *array, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(array, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* An address as the bundle shows it: hashed unless the user asked for it as it is. */
static int add_address(Builder *b, json_object *o, const char *key, const char *prefix, const char *value) {
        char hash[DIAG_HASH_SIZE];

        if (isempty(value) || !b->options->redact)
                return add_string(o, key, value);
        diag_hash(b->salt, sizeof(b->salt), prefix, value, hash);
        return add_string(o, key, hash);
}

/* PRETTY_NAME of os-release(5), bounded. */
static void os_name(char *buf, size_t size) {
        char line[256];
        FILE *f;

        snprintf(buf, size, "unknown");
        f = fopen("/etc/os-release", "re");
        if (!f)
                f = fopen("/usr/lib/os-release", "re");
        if (!f)
                return;
        for (unsigned i = 0; i < 64 && fgets(line, sizeof(line), f); i++)
                if (startswith(line, "PRETTY_NAME=")) {
                        char *v = line + strlen("PRETTY_NAME="), *e;

                        v += *v == '"';
                        e = v + strcspn(v, "\"\n");
                        *e = 0;
                        snprintf(buf, size, "%s", v);
                        break;
                }
        fclose(f);
}

static int build_versions(json_object *root) {
        json_object *v = json_object_new_object();
        struct utsname u;
        char os[128];
        int r;

        r = add(root, "versions", v);
        if (r < 0)
                return r;
        os_name(os, sizeof(os));
        r = add_string(v, "ttlockd", PACKAGE_VERSION);
        if (r >= 0)
                r = add_string(v, "libgcrypt", gcry_check_version(NULL));
        if (r >= 0)
                r = add_string(v, "json-c", json_c_version());
        if (r >= 0)
                r = add_string(v, "libyaml", yaml_get_version_string());
        if (r >= 0)
                r = add_string(v, "os", os);
        if (r >= 0 && uname(&u) >= 0)
                r = add_string(v, "kernel", u.release);
        return r;
}

static int build_configuration(Manager *m, json_object *root) {
        json_object *c = json_object_new_object();
        const Conf *conf = m->conf;
        size_t pins = 0, policies = 0;
        int r;

        r = add(root, "configuration", c);
        if (r < 0 || !conf)
                return r;
        for (size_t i = 0; i < conf->n_pins; i++) {
                pins += conf->pins[i].radio[0] != 0;
                policies +=
                        conf->pins[i].connection.policy >= 0 || conf->pins[i].connection.keep_alive_sec > 0;
        }
        r = add_int(c, "proxies", (int64_t) conf->n_proxies);
        if (r >= 0)
                r = add_string(c, "adapters", conf->adapters ? "listed" : "all");
        if (r >= 0)
                r = add_int(c, "pinned-locks", (int64_t) pins);
        if (r >= 0)
                r = add_int(c, "locks-with-a-policy", (int64_t) policies);
        if (r >= 0)
                r = add_string(
                        c, "connection-policy", connection_policy_to_string(conf->connection.policy) ?: "");
        if (r >= 0)
                r = add_int(c, "keep-alive-seconds", conf->connection.keep_alive_sec);
        if (r >= 0)
                r = add_int(c, "backoff-seconds", conf->backoff_sec);
        if (r >= 0)
                r = add_int(c, "backoff-max-seconds", conf->backoff_max_sec);
        return r;
}

static int build_radios(Builder *b, Manager *m, json_object *root) {
        json_object *list = json_object_new_array();
        int r;

        r = add(root, "radios", list);
        for (Radio *const *radio = manager_radios(m); r >= 0 && radio && *radio; radio++) {
                json_object *o = json_object_new_object();
                RadioKind kind = radio_kind(*radio);

                r = append(list, o);
                if (r >= 0)
                        r = add_string(o, "name", radio_name(*radio));
                if (r >= 0)
                        r = add_string(o, "kind", radio_kind_to_string(kind));
                if (r >= 0)
                        r = add_bool(o, "available", radio_available(*radio));
                if (r >= 0)
                        /* An adapter's MAC, or a proxy's host:port. */
                        r = add_address(
                                b,
                                o,
                                "address",
                                kind == RADIO_KIND_BLUEZ ? "mac" : "host",
                                radio_address(*radio));
                if (r >= 0)
                        r = add_int(o, "free-slots", radio_free_slots(*radio));
                if (r >= 0)
                        r = add_string(o, "last-error", radio_last_error(*radio));
        }
        return r;
}

static int build_health(Lock *l, json_object *o) {
        const LinkHealth *h = &l->health;
        const LinkStats *s = link_stats(l->link);
        json_object *x = json_object_new_object(), *stats = json_object_new_object(), *errors;
        uint64_t now = now_monotonic_usec();
        unsigned ok = 0;
        int r;

        for (unsigned i = 0; i < h->n_recent; i++)
                ok += (h->recent >> i) & 1;
        r = add(o, "link", x);
        if (r >= 0)
                r = add_string(x, "policy", connection_policy_to_string(h->policy));
        if (r >= 0)
                r = add_int(x, "keep-alive-seconds", h->keep_alive_sec);
        if (r >= 0)
                r = add_bool(x, "connected", l->connected);
        if (r >= 0)
                r = add_bool(x, "reachable", link_health_reachable(h));
        if (r >= 0)
                r = add_int(x, "recent-connects", h->n_recent);
        if (r >= 0)
                r = add_int(x, "recent-connects-ok", ok);
        if (r >= 0)
                r = add_int(x, "failed-connects-in-a-row", h->failures);
        if (r >= 0)
                r = add_string(x, "last-connect-error", h->last_error);
        if (r >= 0)
                r =
                        add_int(x,
                                "backoff-seconds-left",
                                h->backoff_until_usec > now
                                        ? (int64_t) ((h->backoff_until_usec - now) / USEC_PER_SEC)
                                        : 0);
        if (r >= 0)
                r =
                        add_int(x,
                                "heard-seconds-ago",
                                h->heard_usec > 0 ? (int64_t) ((now - h->heard_usec) / USEC_PER_SEC) : -1);
        if (r >= 0)
                r = add(x, "counters", stats);
        else
                json_object_put(stats);
        if (r >= 0)
                r = add_int(stats, "connects", (int64_t) s->connects);
        if (r >= 0)
                r = add_int(stats, "connect-failures", (int64_t) s->connect_failures);
        if (r >= 0)
                r = add_int(stats, "commands", (int64_t) s->commands);
        if (r >= 0)
                r = add_int(stats, "resends", (int64_t) s->resends);
        if (r >= 0)
                r = add_int(stats, "timeouts", (int64_t) s->timeouts);
        if (r >= 0)
                r = add_int(stats, "bad-frames", (int64_t) s->bad_frames);
        if (r >= 0)
                r = add_int(stats, "pushes", (int64_t) s->pushes);
        if (r >= 0)
                r = add_int(stats, "heartbeats", (int64_t) s->heartbeats);
        if (r < 0)
                return r;

        errors = json_object_new_array();
        r = add(o, "recent-errors", errors);
        for (unsigned i = 0; r >= 0 && i < h->n_errors; i++) {
                const LinkHealthError *e = link_health_error(h, i);
                json_object *eo = json_object_new_object();

                r = append(errors, eo);
                if (r >= 0)
                        r = add_int(eo, "time-usec", (int64_t) e->time_usec);
                if (r >= 0)
                        r = add_string(eo, "what", e->text);
        }
        return r;
}

static int build_frames(Lock *l, json_object *o) {
        json_object *frames = json_object_new_array();
        int r;

        r = add(o, "frames", frames);
        for (size_t i = 0; r >= 0 && i < frame_log_count(l->frames); i++) {
                const FrameLogEntry *e = frame_log_get(l->frames, i);
                json_object *f = json_tokener_parse(e->json);

                /* Ours, so it parses; should it not, the frame is left out rather than shown raw. */
                if (!f || !json_object_is_type(f, json_type_object)) {
                        json_object_put(f);
                        continue;
                }
                r = append(frames, f);
                if (r >= 0)
                        r = add_int(f, "time-usec", (int64_t) e->time_usec);
        }
        return r;
}

static int build_lock(Builder *b, Manager *m, Lock *l, unsigned index, json_object *list) {
        json_object *o = json_object_new_object(), *features, *pending;
        const LockRecord *rec = l->record ?: l->provisional;
        Radio *radio = manager_lock_radio(m, l);
        char id[32];
        int r;

        r = append(list, o);
        if (r < 0)
                return r;
        snprintf(id, sizeof(id), "lock-%u", index);
        r = add_string(o, "id", id);
        if (r >= 0)
                r = add_address(b, o, "address", "mac", l->address);
        if (r >= 0 && !b->options->redact) {
                /* TTLock names end in part of the address; aliases are the user's words. */
                r = add_string(o, "name", l->name);
                if (r >= 0)
                        r = add_string(o, "alias", lock_alias(l));
        }
        if (r >= 0)
                r = add_bool(o, "paired", l->record);
        if (r >= 0)
                r = add_string(o, "role", lock_role(l));
        if (r >= 0)
                r = add_bool(o, "keys-unproven", l->provisional);
        if (r >= 0)
                r = add_bool(o, "pairable", l->pairable);
        if (r >= 0 && rec) {
                json_object *v = json_object_new_object();

                r = add_string(o, "model", rec->model);
                if (r >= 0)
                        r = add_string(o, "hardware-revision", rec->hardware_revision);
                if (r >= 0)
                        r = add_string(o, "firmware-revision", rec->firmware_revision);
                if (r >= 0)
                        r = add(o, "lock-version", v);
                else
                        json_object_put(v);
                if (r >= 0)
                        r = add_int(v, "protocol-type", rec->protocol_type);
                if (r >= 0)
                        r = add_int(v, "sub-version", rec->sub_version);
                if (r >= 0)
                        r = add_int(v, "scene", rec->scene);
                if (r >= 0)
                        r = add_int(v, "group-id", rec->group_id);
                if (r >= 0)
                        r = add_int(v, "org-id", rec->org_id);
        }
        features = json_object_new_array();
        if (r >= 0)
                r = add(o, "features", features);
        else
                json_object_put(features);
        for (unsigned bit = 0; r >= 0 && l->record && bit < 32 * l->record->features.n_groups; bit++)
                if (ttlock_features_has(&l->record->features, bit)) {
                        const char *n = ttlock_feature_name(bit);
                        char unnamed[16];

                        snprintf(unnamed, sizeof(unnamed), "bit-%u", bit);
                        r = append(features, json_object_new_string(n ?: unnamed));
                }
        pending = json_object_new_array();
        if (r >= 0)
                r = add(o, "pairing-pending", pending);
        else
                json_object_put(pending);
        for (unsigned s = 0; r >= 0 && l->record && s < _PAIRING_STEP_MAX; s++)
                if (l->record->pairing_pending & PAIRING_STEP_BIT(s))
                        r = append(pending, json_object_new_string(pairing_step_to_string(s)));
        if (r >= 0)
                r = add_string(o, "state", l->state);
        if (r >= 0)
                r = add_int(o, "battery", l->battery);
        if (r >= 0)
                r = add_int(o, "rssi", l->rssi);
        if (r >= 0)
                r = add_bool(o, "listed-by-a-radio", l->seen);
        if (r >= 0)
                r = add_string(o, "radio", radio ? radio_name(radio) : "");
        if (r >= 0)
                r = add_string(o, "pinned-to", radio_set_pinned(m->radios, l->address));
        if (r >= 0)
                r = add_bool(o, "clock-offset-known", l->have_clock_offset);
        if (r >= 0 && l->have_clock_offset)
                r = add_int(o, "clock-offset-seconds", l->clock_offset_sec);
        if (r >= 0)
                r = add_int(o, "calls-queued", (int64_t) l->n_calls);
        if (r >= 0)
                r = build_health(l, o);
        if (r >= 0)
                r = build_frames(l, o);
        return r;
}

int diag_build(Manager *m, const DiagOptions *o, char **ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        Builder b = { .options = o };
        json_object *locks;
        unsigned index = 0, omitted = 0;
        const char *text;
        char *copy;
        int r;

        assert(m);
        assert(o);
        assert(ret);

        if (o->n_addresses > DIAG_LOCKS_MAX)
                return -E2BIG;
        for (size_t i = 0; i < o->n_addresses; i++)
                if (!manager_find_lock(m, o->addresses[i]))
                        return -ENOENT;
        gcry_randomize(b.salt, sizeof(b.salt), GCRY_STRONG_RANDOM);

        root = json_object_new_object();
        if (!root)
                return -ENOMEM;
        r = add_string(root, "format", DIAG_FORMAT);
        if (r >= 0)
                r = add_int(root, "generated-usec", (int64_t) now_realtime_usec());
        if (r >= 0)
                r = add_bool(root, "redacted", o->redact);
        if (r >= 0)
                r = build_versions(root);
        if (r >= 0)
                r = build_configuration(m, root);
        if (r >= 0)
                r = build_radios(&b, m, root);
        locks = json_object_new_array();
        if (r >= 0)
                r = add(root, "locks", locks);
        else
                json_object_put(locks);
        for (Lock *l = m->locks; r >= 0 && l; l = l->next) {
                bool wanted = o->n_addresses == 0;

                for (size_t i = 0; !wanted && i < o->n_addresses; i++)
                        wanted = manager_find_lock(m, o->addresses[i]) == l;
                if (!wanted)
                        continue;
                if (index >= DIAG_LOCKS_MAX) {
                        omitted++;
                        continue;
                }
                r = build_lock(&b, m, l, ++index, locks);
        }
        if (r >= 0 && omitted > 0)
                r = add_int(root, "locks-omitted", omitted);
        if (r < 0) {
                erase_memory(b.salt, sizeof(b.salt));
                return r;
        }

        text = json_object_to_json_string_ext(
                root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
        copy = text ? strdup(text) : NULL;
        if (copy && o->redact)
                diag_scrub_addresses(copy, b.salt, sizeof(b.salt));
        erase_memory(b.salt, sizeof(b.salt));
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}
