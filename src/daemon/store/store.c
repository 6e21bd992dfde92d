/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "store.h"
#include "string-util.h"

#define YAML_DEPTH_MAX 32 /* unknown nodes are copied recursively; a bound on nesting */

/* ---------------------------------------------------------------------------------------------- */
/* Wiping libyaml's buffers: they hold the key text while we parse or emit. (libyaml's own transient
 * copies inside tokens and events are freed by libyaml without wiping; there is no hook for that.) */

static void document_wipe(yaml_document_t *doc) {
        for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++)
                if (n->type == YAML_SCALAR_NODE)
                        erase_memory(n->data.scalar.value, n->data.scalar.length);
}

static void document_wipe_delete(yaml_document_t *doc) {
        document_wipe(doc);
        yaml_document_delete(doc);
}

static void unknown_free(void *p) {
        yaml_document_t *doc = p;

        if (!doc)
                return;
        document_wipe_delete(doc);
        free(doc);
}

static void parser_wipe_delete(yaml_parser_t *p) {
        if (p->buffer.start)
                erase_memory(p->buffer.start, (size_t) (p->buffer.end - p->buffer.start));
        if (p->raw_buffer.start)
                erase_memory(p->raw_buffer.start, (size_t) (p->raw_buffer.end - p->raw_buffer.start));
        yaml_parser_delete(p);
}

static void emitter_wipe_delete(yaml_emitter_t *e) {
        if (e->buffer.start)
                erase_memory(e->buffer.start, (size_t) (e->buffer.end - e->buffer.start));
        if (e->raw_buffer.start)
                erase_memory(e->raw_buffer.start, (size_t) (e->raw_buffer.end - e->raw_buffer.start));
        yaml_emitter_delete(e);
}

/* ---------------------------------------------------------------------------------------------- */
/* Addresses */

int store_address_valid(const char *address) {
        if (!address || strlen(address) != 17)
                return -EINVAL;
        for (size_t i = 0; i < 17; i++) {
                if (i % 3 == 2) {
                        if (address[i] != ':')
                                return -EINVAL;
                } else if (!isxdigit((unsigned char) address[i]))
                        return -EINVAL;
        }
        return 0;
}

static void address_normalise(const char *address, char ret[static STORE_ADDRESS_STRING_SIZE]) {
        for (size_t i = 0; i < 17; i++)
                ret[i] = (char) toupper((unsigned char) address[i]);
        ret[17] = 0;
}

int store_file_name(const char *address, char ret[static STORE_FILE_NAME_SIZE]) {
        if (store_address_valid(address) < 0)
                return -EINVAL;
        for (size_t i = 0; i < 17; i++)
                ret[i] = address[i] == ':' ? '_' : (char) toupper((unsigned char) address[i]);
        memcpy(ret + 17, ".yaml", 6);
        return 0;
}

/* "AA_BB_CC_DD_EE_FF.yaml" → "AA:BB:CC:DD:EE:FF"; -EINVAL unless it is exactly the name we write. */
static int address_from_file_name(const char *name, char ret[static STORE_ADDRESS_STRING_SIZE]) {
        char a[STORE_ADDRESS_STRING_SIZE], check[STORE_FILE_NAME_SIZE];

        if (strlen(name) != 17 + strlen(".yaml"))
                return -EINVAL;
        for (size_t i = 0; i < 17; i++)
                a[i] = i % 3 == 2 ? (name[i] == '_' ? ':' : '?') : name[i];
        a[17] = 0;
        if (store_file_name(a, check) < 0 || strcmp(check, name) != 0)
                return -EINVAL;
        memcpy(ret, a, sizeof(a));
        return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* LockRecord */

static const char *const role_names[_LOCK_ROLE_MAX] = {
        [LOCK_ROLE_ADMIN] = "admin",
        [LOCK_ROLE_USER] = "user",
};

const char *lock_role_to_string(LockRole role) {
        return role >= 0 && role < _LOCK_ROLE_MAX ? role_names[role] : NULL;
}

int lock_record_new(const char *address, LockRecord **ret) {
        LockRecord *r;

        assert(ret);

        if (store_address_valid(address) < 0)
                return -EINVAL;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        address_normalise(address, r->address);
        r->auto_lock_seconds = -1;
        r->sound_enabled = r->sound_volume = r->remote_unlock = -1;
        r->tamper_alert = r->privacy_lock = r->reset_button = -1;
        r->frozen = r->passage_mode_active = -1;
        r->door_left_open_seconds = -1;
        r->battery = -1;
        r->door_open = -1;
        *ret = r;
        return 0;
}

static void string_wipe_free(char *s) {
        if (s)
                erase_memory(s, strlen(s));
        free(s);
}

static void credential_aliases_free(CredentialAlias *a, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(a[i].kind);
                string_wipe_free(a[i].id); /* a passcode's id is its code */
                free(a[i].alias);
        }
        free(a);
}

static void credential_cycles_free(CredentialCycles *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].kind);
                string_wipe_free(c[i].id);
        }
        free(c);
}

LockRecord *lock_record_free(LockRecord *r) {
        if (!r)
                return NULL;
        credential_cycles_free(r->credential_cycles, r->n_credential_cycles);
        free(r->alias);
        string_wipe_free(r->admin_passcode);
        free(r->model);
        free(r->hardware_revision);
        free(r->firmware_revision);
        credential_aliases_free(r->credential_aliases, r->n_credential_aliases);
        free(r->state);
        free(r->connection_policy);
        unknown_free(r->unknown);
        erase_memory(r, sizeof(*r)); /* aes_key, admin_ps, unlock_key */
        free(r);
        return NULL;
}

void lock_records_free(LockRecord **records, size_t n) {
        for (size_t i = 0; i < n; i++)
                lock_record_free(records[i]);
        free(records);
}

int lock_record_set_string(char **field, const char *value) {
        char *c = NULL;

        assert(field);

        if (value) {
                if (strlen(value) > STORE_STRING_MAX)
                        return -EINVAL;
                c = strdup(value);
                if (!c)
                        return -ENOMEM;
        }
        string_wipe_free(*field);
        *field = c;
        return 0;
}

#define SWAP(x, y)                  \
        do {                        \
                typeof(x) _t = (x); \
                (x) = (y);          \
                (y) = _t;           \
        } while (0)

void lock_record_swap_keys(LockRecord *a, LockRecord *b) {
        uint8_t k[STORE_AES_KEY_SIZE];

        assert(a);
        assert(b);

        memcpy(k, a->aes_key, sizeof(k));
        memcpy(a->aes_key, b->aes_key, sizeof(k));
        memcpy(b->aes_key, k, sizeof(k));
        erase_memory(k, sizeof(k));
        SWAP(a->role, b->role);
        SWAP(a->admin_ps, b->admin_ps);
        SWAP(a->unlock_key, b->unlock_key);
        SWAP(a->lock_flag_pos, b->lock_flag_pos);
        SWAP(a->uid, b->uid);
        SWAP(a->admin_passcode, b->admin_passcode);
        SWAP(a->valid_from_usec, b->valid_from_usec);
        SWAP(a->valid_until_usec, b->valid_until_usec);
        SWAP(a->has_time_zone, b->has_time_zone);
        SWAP(a->time_zone_offset_sec, b->time_zone_offset_sec);
}

static bool credential_kind_is_secret(const char *kind) {
        /* Default-deny for printing: only kinds whose ids are not secrets are shown. */
        return !kind || (strcmp(kind, "ic-card") != 0 && strcmp(kind, "fingerprint") != 0);
}

const char *lock_record_get_credential_alias(const LockRecord *r, const char *kind, const char *id) {
        assert(r);

        for (size_t i = 0; i < r->n_credential_aliases; i++)
                if (strcmp(r->credential_aliases[i].kind, kind) == 0 &&
                    strcmp(r->credential_aliases[i].id, id) == 0)
                        return r->credential_aliases[i].alias;
        return NULL;
}

static int credential_alias_add(LockRecord *r, const char *kind, const char *id, const char *alias) {
        CredentialAlias *a;
        CredentialAlias n = {};

        if (r->n_credential_aliases >= STORE_CREDENTIAL_ALIASES_MAX)
                return -E2BIG;
        if (strlen(kind) > STORE_STRING_MAX || strlen(id) > STORE_STRING_MAX ||
            strlen(alias) > STORE_STRING_MAX)
                return -EINVAL;
        n.kind = strdup(kind);
        n.id = strdup(id);
        n.alias = strdup(alias);
        a = realloc(r->credential_aliases, (r->n_credential_aliases + 1) * sizeof(*a));
        if (!n.kind || !n.id || !n.alias || !a) {
                if (a)
                        r->credential_aliases = a;
                free(n.kind);
                string_wipe_free(n.id);
                free(n.alias);
                return -ENOMEM;
        }
        r->credential_aliases = a;
        r->credential_aliases[r->n_credential_aliases++] = n;
        return 0;
}

int lock_record_set_credential_alias(LockRecord *r, const char *kind, const char *id, const char *alias) {
        assert(r);

        if (!kind || !id || !*id)
                return -EINVAL;
        if (strcmp(kind, "passcode") != 0 && strcmp(kind, "ic-card") != 0 &&
            strcmp(kind, "fingerprint") != 0)
                return -EINVAL;

        for (size_t i = 0; i < r->n_credential_aliases; i++) {
                CredentialAlias *c = r->credential_aliases + i;

                if (strcmp(c->kind, kind) != 0 || strcmp(c->id, id) != 0)
                        continue;
                if (!alias || !*alias) {
                        free(c->kind);
                        string_wipe_free(c->id);
                        free(c->alias);
                        memmove(c, c + 1, (r->n_credential_aliases - i - 1) * sizeof(*c));
                        r->n_credential_aliases--;
                        return 0;
                }
                return lock_record_set_string(&c->alias, alias);
        }
        if (!alias || !*alias)
                return 0;
        return credential_alias_add(r, kind, id, alias);
}

/* ---- weekly windows of credentials (§4.9) and pending pairing steps (§5.6) ---- */

static const char *const pairing_step_names[_PAIRING_STEP_MAX] = {
        [PAIRING_STEP_TIME] = "time",
        [PAIRING_STEP_FEATURES] = "features",
        [PAIRING_STEP_SWITCHES] = "switches",
        [PAIRING_STEP_SOUND] = "sound",
        [PAIRING_STEP_AUTO_LOCK] = "auto-lock",
        [PAIRING_STEP_ADMIN_PASSCODE] = "admin-passcode",
        [PAIRING_STEP_INIT_PASSCODES] = "init-passcodes",
        [PAIRING_STEP_REMOTE_UNLOCK] = "remote-unlock",
        [PAIRING_STEP_DEVICE_INFO] = "device-info",
        [PAIRING_STEP_FINISH] = "finish",
};

const char *pairing_step_to_string(PairingStep s) {
        return s < _PAIRING_STEP_MAX ? pairing_step_names[s] : NULL;
}

int pairing_step_from_string(const char *s) {
        for (size_t i = 0; s && i < _PAIRING_STEP_MAX; i++)
                if (streq(s, pairing_step_names[i]))
                        return (int) i;
        return -EINVAL;
}

static bool credential_kind_valid(const char *kind) {
        return streq_ptr(kind, "passcode") || streq_ptr(kind, "ic-card") || streq_ptr(kind, "fingerprint");
}

static CredentialCycles *find_cycles(const LockRecord *r, const char *kind, const char *id) {
        for (size_t i = 0; i < r->n_credential_cycles; i++)
                if (streq(r->credential_cycles[i].kind, kind) && streq(r->credential_cycles[i].id, id))
                        return &r->credential_cycles[i];
        return NULL;
}

static void cycles_remove(LockRecord *r, CredentialCycles *c) {
        size_t i = (size_t) (c - r->credential_cycles);

        free(c->kind);
        string_wipe_free(c->id);
        memmove(c, c + 1, (r->n_credential_cycles - i - 1) * sizeof(*c));
        r->n_credential_cycles--;
}

int lock_record_set_credential_cycles(LockRecord *r, const char *kind, const char *id, const TTCycle *cycles,
                                      size_t n) {
        CredentialCycles *c, *a, nc = {};

        assert(r);

        if (!credential_kind_valid(kind) || isempty(id) || strlen(id) > STORE_STRING_MAX ||
            n > TTLOCK_CYCLES_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (ttlock_cycle_check(&cycles[i], NULL) < 0)
                        return -EINVAL;
        c = find_cycles(r, kind, id);
        if (n == 0) {
                if (c)
                        cycles_remove(r, c);
                return 0;
        }
        if (!c) {
                if (r->n_credential_cycles >= STORE_CREDENTIAL_ALIASES_MAX)
                        return -E2BIG;
                nc.kind = strdup(kind);
                nc.id = strdup(id);
                a = realloc(r->credential_cycles, (r->n_credential_cycles + 1) * sizeof(*a));
                if (a)
                        r->credential_cycles = a;
                if (!nc.kind || !nc.id || !a) {
                        free(nc.kind);
                        string_wipe_free(nc.id);
                        return -ENOMEM;
                }
                c = &r->credential_cycles[r->n_credential_cycles++];
                *c = nc;
        }
        memcpy(c->cycles, cycles, n * sizeof(*cycles));
        c->n_cycles = n;
        return 0;
}

const TTCycle *lock_record_get_credential_cycles(const LockRecord *r, const char *kind, const char *id,
                                                 size_t *ret_n) {
        CredentialCycles *c;

        assert(r);
        assert(ret_n);

        c = kind && id ? find_cycles(r, kind, id) : NULL;
        *ret_n = c ? c->n_cycles : 0;
        return c ? c->cycles : NULL;
}

void lock_record_drop_credential_cycles(LockRecord *r, const char *kind) {
        assert(r);

        for (size_t i = r->n_credential_cycles; i > 0; i--)
                if (streq(r->credential_cycles[i - 1].kind, kind))
                        cycles_remove(r, &r->credential_cycles[i - 1]);
}

int lock_record_rename_credential_cycles(LockRecord *r, const char *kind, const char *id, const char *new_id) {
        CredentialCycles *c;
        TTCycle copy[TTLOCK_CYCLES_MAX];
        size_t n;
        int q;

        assert(r);

        c = find_cycles(r, kind, id);
        if (!c || streq(id, new_id))
                return 0;
        n = c->n_cycles;
        memcpy(copy, c->cycles, n * sizeof(*copy));
        q = lock_record_set_credential_cycles(r, kind, new_id, copy, n);
        if (q < 0)
                return q;
        c = find_cycles(r, kind, id); /* the array may have moved */
        if (c)
                cycles_remove(r, c);
        return 0;
}

static void describe_tristate(FILE *f, const char *name, int v) {
        fprintf(f, " %s=%s", name, v < 0 ? "unknown" : v ? "yes" : "no");
}

int lock_record_describe(const LockRecord *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        assert(r);

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        /* Secrets are never formatted, not even partially: they do not reach the stream at all. */
        fprintf(f,
                "lock %s alias=\"%s\" role=%s aes-key=<redacted> admin-ps=%s unlock-key=<redacted>"
                " admin-passcode=%s lock-flag-pos=%" PRIu32 " uid=%" PRIu32,
                r->address,
                strempty_or(r->alias),
                strempty_or(lock_role_to_string(r->role)),
                r->role == LOCK_ROLE_ADMIN ? "<redacted>" : "none",
                r->admin_passcode ? "<redacted>" : "none",
                r->lock_flag_pos,
                r->uid);
        if (r->valid_from_usec > 0 || r->valid_until_usec > 0)
                fprintf(f, " valid=%" PRIu64 "..%" PRIu64, r->valid_from_usec, r->valid_until_usec);
        if (r->has_time_zone)
                fprintf(f, " time-zone=%+" PRIi32 "s", r->time_zone_offset_sec);
        fprintf(f,
                " version=%u.%u.%u.%u.%u",
                r->protocol_type,
                r->sub_version,
                r->scene,
                r->group_id,
                r->org_id);
        fputs(" features=", f);
        for (size_t i = 0; i < r->features.n_groups; i++)
                fprintf(f, "%s%08" PRIx32, i > 0 ? ":" : "", r->features.groups[i]);
        fprintf(f,
                " model=\"%s\" hardware=\"%s\" firmware=\"%s\"",
                strempty_or(r->model),
                strempty_or(r->hardware_revision),
                strempty_or(r->firmware_revision));
        if (r->auto_lock_seconds >= 0)
                fprintf(f, " auto-lock=%" PRIi64 "s", r->auto_lock_seconds);
        else
                fputs(" auto-lock=unknown", f);
        describe_tristate(f, "sound", r->sound_enabled);
        if (r->sound_volume >= 0)
                fprintf(f, " volume=%d", r->sound_volume);
        describe_tristate(f, "remote-unlock", r->remote_unlock);
        describe_tristate(f, "tamper-alert", r->tamper_alert);
        describe_tristate(f, "privacy-lock", r->privacy_lock);
        describe_tristate(f, "reset-button", r->reset_button);
        describe_tristate(f, "frozen", r->frozen);
        describe_tristate(f, "passage-mode-active", r->passage_mode_active);
        if (r->door_left_open_seconds >= 0)
                fprintf(f, " door-left-open=%" PRIi64 "s", r->door_left_open_seconds);
        for (size_t i = 0; i < r->n_credential_aliases; i++) {
                const CredentialAlias *c = r->credential_aliases + i;
                fprintf(f,
                        " alias[%s:%s]=\"%s\"",
                        c->kind,
                        credential_kind_is_secret(c->kind) ? "<redacted>" : c->id,
                        c->alias);
        }
        for (size_t i = 0; i < r->n_credential_cycles; i++) {
                const CredentialCycles *c = r->credential_cycles + i;
                fprintf(f,
                        " cycles[%s:%s]=%zu",
                        c->kind,
                        credential_kind_is_secret(c->kind) ? "<redacted>" : c->id,
                        c->n_cycles);
        }
        if (r->pairing_pending)
                fprintf(f, " pairing-pending=0x%" PRIx32, r->pairing_pending);
        if (r->has_log_cursor)
                fprintf(f,
                        " log-cursor=%016" PRIx64 "@%" PRIu64,
                        r->log_cursor_identity,
                        r->log_cursor_time_usec);
        if (r->battery >= 0)
                fprintf(f, " battery=%d%%", r->battery);
        fprintf(f, " state=%s", r->state ?: "unknown");
        if (r->door_open >= 0)
                fprintf(f, " door=%s", r->door_open ? "open" : "closed");

        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing */

typedef struct OutBuf {
        char *data;
        size_t size;
        size_t allocated;
} OutBuf;

static int outbuf_write(void *userdata, unsigned char *buffer, size_t size) {
        OutBuf *b = userdata;

        if (b->size + size + 1 > b->allocated) {
                size_t n = MAX(b->allocated * 2, b->size + size + 1);
                char *d = malloc(MAX(n, 1024U));

                if (!d)
                        return 0;
                /* No realloc(): the old block holds key text and must be wiped before release. */
                if (b->data) {
                        memcpy(d, b->data, b->size);
                        erase_memory(b->data, b->allocated);
                        free(b->data);
                }
                b->data = d;
                b->allocated = MAX(n, 1024U);
        }
        memcpy(b->data + b->size, buffer, size);
        b->size += size;
        b->data[b->size] = 0;
        return 1;
}

typedef struct Builder {
        yaml_document_t doc;
        bool failed;
} Builder;

static int b_str(Builder *b, const char *s) {
        int id = yaml_document_add_scalar(
                &b->doc, NULL, (yaml_char_t *) s, (int) strlen(s), YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        if (id == 0)
                b->failed = true;
        return id;
}

static int b_plain(Builder *b, const char *s) {
        int id = yaml_document_add_scalar(
                &b->doc, NULL, (yaml_char_t *) s, (int) strlen(s), YAML_PLAIN_SCALAR_STYLE);
        if (id == 0)
                b->failed = true;
        return id;
}

static int b_uint(Builder *b, uint64_t v) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return b_plain(b, buf);
}

static int b_int(Builder *b, int64_t v) {
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIi64, v);
        return b_plain(b, buf);
}

static int b_mapping(Builder *b) {
        int id = yaml_document_add_mapping(&b->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
        if (id == 0)
                b->failed = true;
        return id;
}

static void b_pair(Builder *b, int mapping, const char *key, int value) {
        int k;

        if (b->failed || mapping == 0 || value == 0) {
                b->failed = true;
                return;
        }
        k = b_plain(b, key);
        if (k == 0 || !yaml_document_append_mapping_pair(&b->doc, mapping, k, value))
                b->failed = true;
}

static void b_pair_str(Builder *b, int mapping, const char *key, const char *value) {
        if (value)
                b_pair(b, mapping, key, b_str(b, value));
}

static void b_pair_bool(Builder *b, int mapping, const char *key, int value) {
        if (value >= 0)
                b_pair(b, mapping, key, b_plain(b, value ? "true" : "false"));
}

/* Deep copy of node `index` of src into b->doc; 0 on failure. */
static int copy_node(Builder *b, yaml_document_t *src, int index, unsigned depth) {
        yaml_node_t *n = yaml_document_get_node(src, index);
        int id;

        if (!n || depth > YAML_DEPTH_MAX) {
                b->failed = true;
                return 0;
        }
        switch (n->type) {
        case YAML_SCALAR_NODE:
                id = yaml_document_add_scalar(
                        &b->doc,
                        n->tag,
                        n->data.scalar.value,
                        (int) n->data.scalar.length,
                        n->data.scalar.style);
                break;
        case YAML_SEQUENCE_NODE: {
                /* Indices, not pointers: adding nodes to b->doc does not move src's nodes. */
                int *items = (int *) n->data.sequence.items.start;
                size_t count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);

                id = yaml_document_add_sequence(&b->doc, n->tag, n->data.sequence.style);
                for (size_t i = 0; id != 0 && i < count; i++) {
                        int c = copy_node(b, src, items[i], depth + 1);
                        if (c == 0 || !yaml_document_append_sequence_item(&b->doc, id, c))
                                id = 0;
                }
                break;
        }
        case YAML_MAPPING_NODE: {
                yaml_node_pair_t *pairs = n->data.mapping.pairs.start;
                size_t count = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);

                id = yaml_document_add_mapping(&b->doc, n->tag, n->data.mapping.style);
                for (size_t i = 0; id != 0 && i < count; i++) {
                        int k = copy_node(b, src, pairs[i].key, depth + 1);
                        int v = k ? copy_node(b, src, pairs[i].value, depth + 1) : 0;
                        if (v == 0 || !yaml_document_append_mapping_pair(&b->doc, id, k, v))
                                id = 0;
                }
                break;
        }
        default:
                id = 0;
        }
        if (id == 0)
                b->failed = true;
        return id;
}

static const char *scalar_text(yaml_document_t *doc, int index) {
        yaml_node_t *n = yaml_document_get_node(doc, index);
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

typedef struct Section {
        const char *name;
        int node;
} Section;

/* Put the unknown keys we kept back: into their section when they came from one, else at the top. */
static void
merge_unknown(Builder *b, int root, Section *sections, size_t n_sections, yaml_document_t *unknown) {
        yaml_node_t *uroot = unknown ? yaml_document_get_root_node(unknown) : NULL;
        size_t count;

        if (!uroot || uroot->type != YAML_MAPPING_NODE)
                return;
        count = (size_t) (uroot->data.mapping.pairs.top - uroot->data.mapping.pairs.start);
        for (size_t i = 0; i < count; i++) {
                yaml_node_pair_t p = uroot->data.mapping.pairs.start[i];
                const char *key = scalar_text(unknown, p.key);
                yaml_node_t *value = yaml_document_get_node(unknown, p.value);
                Section *s = NULL;

                for (size_t j = 0; key && j < n_sections; j++)
                        if (strcmp(sections[j].name, key) == 0)
                                s = sections + j;

                if (s && value && value->type == YAML_MAPPING_NODE) {
                        size_t m =
                                (size_t) (value->data.mapping.pairs.top - value->data.mapping.pairs.start);

                        if (s->node == 0) {
                                s->node = b_mapping(b);
                                b_pair(b, root, s->name, s->node);
                        }
                        for (size_t k = 0; k < m; k++) {
                                yaml_node_pair_t q = value->data.mapping.pairs.start[k];
                                int kk = copy_node(b, unknown, q.key, 1);
                                int vv = kk ? copy_node(b, unknown, q.value, 1) : 0;

                                if (vv == 0 || !yaml_document_append_mapping_pair(&b->doc, s->node, kk, vv))
                                        b->failed = true;
                        }
                } else {
                        int kk = copy_node(b, unknown, p.key, 0);
                        int vv = kk ? copy_node(b, unknown, p.value, 0) : 0;

                        if (vv == 0 || !yaml_document_append_mapping_pair(&b->doc, root, kk, vv))
                                b->failed = true;
                }
        }
}

enum {
        SECTION_CREDENTIALS,
        SECTION_LOCK_VERSION,
        SECTION_DEVICE,
        SECTION_SETTINGS,
        SECTION_LOG_CURSOR,
        SECTION_LAST_KNOWN,
        SECTION_CONNECTION,
        _SECTION_MAX,
};

static const char *const section_names[_SECTION_MAX] = {
        [SECTION_CREDENTIALS] = "credentials", [SECTION_LOCK_VERSION] = "lock-version",
        [SECTION_DEVICE] = "device",           [SECTION_SETTINGS] = "settings",
        [SECTION_LOG_CURSOR] = "log-cursor",   [SECTION_LAST_KNOWN] = "last-known",
        [SECTION_CONNECTION] = "connection",
};

static void build_document(Builder *b, const LockRecord *r) {
        Section sections[_SECTION_MAX];
        char hex[2 * STORE_AES_KEY_SIZE + 1];
        int root, m, seq;

        for (size_t i = 0; i < _SECTION_MAX; i++)
                sections[i] = (Section){ section_names[i], 0 };

        root = b_mapping(b);
        b_pair(b, root, "version", b_uint(b, STORE_FORMAT_VERSION));
        b_pair_str(b, root, "address", r->address);
        b_pair_str(b, root, "alias", r->alias);
        b_pair_str(b, root, "role", lock_role_to_string(r->role));
        if (r->provisional)
                b_pair_str(b, root, "pairing", "provisional");
        if (r->valid_from_usec > 0)
                b_pair(b, root, "valid-from-usec", b_uint(b, r->valid_from_usec));
        if (r->valid_until_usec > 0)
                b_pair(b, root, "valid-until-usec", b_uint(b, r->valid_until_usec));
        if (r->has_time_zone)
                b_pair(b, root, "time-zone-offset-seconds", b_int(b, r->time_zone_offset_sec));

        m = sections[SECTION_CREDENTIALS].node = b_mapping(b);
        b_pair(b, root, "credentials", m);
        b_pair(b, m, "aes-key", b_str(b, bytes_to_hex(r->aes_key, sizeof(r->aes_key), hex)));
        erase_memory(hex, sizeof(hex));
        if (r->role == LOCK_ROLE_ADMIN)
                b_pair(b, m, "admin-ps", b_uint(b, r->admin_ps));
        b_pair(b, m, "unlock-key", b_uint(b, r->unlock_key));
        b_pair(b, m, "lock-flag-pos", b_uint(b, r->lock_flag_pos));
        b_pair(b, m, "uid", b_uint(b, r->uid));
        b_pair_str(b, m, "admin-passcode", r->admin_passcode);

        m = sections[SECTION_LOCK_VERSION].node = b_mapping(b);
        b_pair(b, root, "lock-version", m);
        b_pair(b, m, "protocol-type", b_uint(b, r->protocol_type));
        b_pair(b, m, "sub-version", b_uint(b, r->sub_version));
        b_pair(b, m, "scene", b_uint(b, r->scene));
        b_pair(b, m, "group-id", b_uint(b, r->group_id));
        b_pair(b, m, "org-id", b_uint(b, r->org_id));

        seq = yaml_document_add_sequence(&b->doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
        if (seq == 0)
                b->failed = true;
        for (size_t i = 0; seq != 0 && i < r->features.n_groups && i < TTLOCK_FEATURE_GROUPS_MAX; i++) {
                int v = b_uint(b, r->features.groups[i]);
                if (v == 0 || !yaml_document_append_sequence_item(&b->doc, seq, v))
                        b->failed = true;
        }
        b_pair(b, root, "features", seq);

        if (r->model || r->hardware_revision || r->firmware_revision) {
                m = sections[SECTION_DEVICE].node = b_mapping(b);
                b_pair(b, root, "device", m);
                b_pair_str(b, m, "model", r->model);
                b_pair_str(b, m, "hardware-revision", r->hardware_revision);
                b_pair_str(b, m, "firmware-revision", r->firmware_revision);
        }

        if (r->auto_lock_seconds >= 0 || r->sound_enabled >= 0 || r->sound_volume >= 0 ||
            r->remote_unlock >= 0 || r->tamper_alert >= 0 || r->privacy_lock >= 0 || r->reset_button >= 0 ||
            r->frozen >= 0 || r->passage_mode_active >= 0 || r->door_left_open_seconds >= 0) {
                m = sections[SECTION_SETTINGS].node = b_mapping(b);
                b_pair(b, root, "settings", m);
                if (r->auto_lock_seconds >= 0)
                        b_pair(b, m, "auto-lock-seconds", b_uint(b, (uint64_t) r->auto_lock_seconds));
                b_pair_bool(b, m, "sound-enabled", r->sound_enabled);
                if (r->sound_volume >= 0)
                        b_pair(b, m, "sound-volume", b_uint(b, (uint64_t) r->sound_volume));
                b_pair_bool(b, m, "remote-unlock", r->remote_unlock);
                b_pair_bool(b, m, "tamper-alert", r->tamper_alert);
                b_pair_bool(b, m, "privacy-lock", r->privacy_lock);
                b_pair_bool(b, m, "reset-button", r->reset_button);
                b_pair_bool(b, m, "frozen", r->frozen);
                b_pair_bool(b, m, "passage-mode-active", r->passage_mode_active);
                if (r->door_left_open_seconds >= 0)
                        b_pair(b,
                               m,
                               "door-left-open-seconds",
                               b_uint(b, (uint64_t) r->door_left_open_seconds));
        }

        if (r->n_credential_aliases > 0) {
                seq = yaml_document_add_sequence(&b->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
                if (seq == 0)
                        b->failed = true;
                for (size_t i = 0; seq != 0 && i < r->n_credential_aliases; i++) {
                        int item = yaml_document_add_mapping(&b->doc, NULL, YAML_FLOW_MAPPING_STYLE);

                        b_pair_str(b, item, "kind", r->credential_aliases[i].kind);
                        b_pair_str(b, item, "id", r->credential_aliases[i].id);
                        b_pair_str(b, item, "alias", r->credential_aliases[i].alias);
                        if (item == 0 || !yaml_document_append_sequence_item(&b->doc, seq, item))
                                b->failed = true;
                }
                b_pair(b, root, "credential-aliases", seq);
        }

        if (r->n_credential_cycles > 0) {
                seq = yaml_document_add_sequence(&b->doc, NULL, YAML_BLOCK_SEQUENCE_STYLE);
                if (seq == 0)
                        b->failed = true;
                for (size_t i = 0; seq != 0 && i < r->n_credential_cycles; i++) {
                        const CredentialCycles *c = &r->credential_cycles[i];
                        int item = yaml_document_add_mapping(&b->doc, NULL, YAML_FLOW_MAPPING_STYLE);
                        int list = yaml_document_add_sequence(&b->doc, NULL, YAML_FLOW_SEQUENCE_STYLE);

                        b_pair_str(b, item, "kind", c->kind);
                        b_pair_str(b, item, "id", c->id);
                        for (size_t j = 0; list != 0 && j < c->n_cycles; j++) {
                                char w[32];
                                int v;

                                snprintf(w, sizeof(w), "%u %02u:%02u-%02u:%02u", c->cycles[j].weekday,
                                         c->cycles[j].start_minute / 60u, c->cycles[j].start_minute % 60u,
                                         c->cycles[j].end_minute / 60u, c->cycles[j].end_minute % 60u);
                                v = b_str(b, w);
                                if (v == 0 || !yaml_document_append_sequence_item(&b->doc, list, v))
                                        b->failed = true;
                        }
                        b_pair(b, item, "cycles", list);
                        if (item == 0 || !yaml_document_append_sequence_item(&b->doc, seq, item))
                                b->failed = true;
                }
                b_pair(b, root, "credential-cycles", seq);
        }

        if (r->pairing_pending) {
                seq = yaml_document_add_sequence(&b->doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
                if (seq == 0)
                        b->failed = true;
                for (unsigned i = 0; seq != 0 && i < _PAIRING_STEP_MAX; i++) {
                        int v;

                        if (!(r->pairing_pending & PAIRING_STEP_BIT(i)))
                                continue;
                        v = b_plain(b, pairing_step_names[i]);
                        if (v == 0 || !yaml_document_append_sequence_item(&b->doc, seq, v))
                                b->failed = true;
                }
                b_pair(b, root, "pairing-pending", seq);
        }

        if (r->has_log_cursor) {
                char id[17];

                m = sections[SECTION_LOG_CURSOR].node = b_mapping(b);
                b_pair(b, root, "log-cursor", m);
                snprintf(id, sizeof(id), "%016" PRIx64, r->log_cursor_identity);
                b_pair_str(b, m, "identity", id);
                b_pair(b, m, "time-usec", b_uint(b, r->log_cursor_time_usec));
                if (r->has_log_sequence)
                        b_pair(b, m, "sequence", b_uint(b, r->log_sequence));
        }

        if (r->battery >= 0 || r->state || r->state_updated_usec > 0 || r->door_open >= 0 ||
            r->door_updated_usec > 0) {
                m = sections[SECTION_LAST_KNOWN].node = b_mapping(b);
                b_pair(b, root, "last-known", m);
                if (r->battery >= 0)
                        b_pair(b, m, "battery", b_uint(b, (uint64_t) r->battery));
                b_pair_str(b, m, "state", r->state);
                if (r->state_updated_usec > 0)
                        b_pair(b, m, "state-updated-usec", b_uint(b, r->state_updated_usec));
                b_pair_bool(b, m, "door-open", r->door_open);
                if (r->door_updated_usec > 0)
                        b_pair(b, m, "door-updated-usec", b_uint(b, r->door_updated_usec));
        }

        if (r->connection_policy || r->keep_alive_seconds > 0) {
                m = sections[SECTION_CONNECTION].node = b_mapping(b);
                b_pair(b, root, "connection", m);
                b_pair_str(b, m, "policy", r->connection_policy);
                if (r->keep_alive_seconds > 0)
                        b_pair(b, m, "keep-alive-seconds", b_uint(b, r->keep_alive_seconds));
        }

        merge_unknown(b, root, sections, _SECTION_MAX, r->unknown);
}

int lock_record_to_yaml(const LockRecord *r, char **ret, size_t *ret_size) {
        OutBuf out = {};
        yaml_emitter_t emitter;
        Builder b = {};
        int ok;

        assert(r);

        if (store_address_valid(r->address) < 0)
                return -EINVAL;
        if (!yaml_document_initialize(
                    &b.doc, NULL, NULL, NULL, /* start_implicit= */ 1, /* end_implicit= */ 1))
                return -ENOMEM;
        build_document(&b, r);
        if (b.failed || !yaml_emitter_initialize(&emitter)) {
                document_wipe_delete(&b.doc);
                return -ENOMEM;
        }
        yaml_emitter_set_output(&emitter, outbuf_write, &out);
        yaml_emitter_set_unicode(&emitter, 1);
        yaml_emitter_set_width(&emitter, -1); /* never fold a line */
        if (!yaml_emitter_open(&emitter)) {
                document_wipe_delete(&b.doc);
                ok = 0;
        } else
                /* yaml_emitter_dump() frees the document itself, success or not (libyaml 0.2.5),
                 * without wiping its scalars: one of the transient copies we cannot reach. */
                ok = yaml_emitter_dump(&emitter, &b.doc) && yaml_emitter_close(&emitter) &&
                        yaml_emitter_flush(&emitter);
        emitter_wipe_delete(&emitter);
        if (!ok) {
                if (out.data)
                        erase_memory(out.data, out.allocated);
                free(out.data);
                return -ENOMEM;
        }
        *ret = out.data;
        if (ret_size)
                *ret_size = out.size;
        return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading */

typedef struct Parser {
        yaml_document_t *doc;
        Builder unknown; /* root mapping of the keys we do not know */
        int unknown_root;
        char *error;
} Parser;

static int fail(Parser *p, const char *format, ...) _printf_(2, 3);
static int fail(Parser *p, const char *format, ...) {
        va_list ap;

        if (!p->error) {
                va_start(ap, format);
                if (vasprintf(&p->error, format, ap) < 0)
                        p->error = NULL;
                va_end(ap);
        }
        return -EBADMSG;
}

static yaml_node_t *node(Parser *p, int index) {
        return yaml_document_get_node(p->doc, index);
}

static int get_string(Parser *p, const char *where, int index, const char **ret) {
        yaml_node_t *n = node(p, index);

        if (!n || n->type != YAML_SCALAR_NODE)
                return fail(p, "%s: expected a string", where);
        if (n->data.scalar.length > STORE_STRING_MAX)
                return fail(p, "%s: longer than %u bytes", where, STORE_STRING_MAX);
        if (strlen((const char *) n->data.scalar.value) != n->data.scalar.length)
                return fail(p, "%s: contains a NUL byte", where);
        *ret = (const char *) n->data.scalar.value;
        return 0;
}

static int get_dup(Parser *p, const char *where, int index, char **field) {
        const char *s;
        int r;

        r = get_string(p, where, index, &s);
        if (r < 0)
                return r;
        return lock_record_set_string(field, s);
}

/* What a damaged file said is quoted in the error, which goes to the journal — except under
 * "credentials", whose values are secrets even when they are malformed. */
static const char *quotable(const char *where, const char *value) {
        return startswith(where, "credentials") ? "(value not shown)" : value;
}

static int get_uint(Parser *p, const char *where, int index, uint64_t max, uint64_t *ret) {
        const char *s;
        char *end;
        unsigned long long v;
        int r, base = 10;

        r = get_string(p, where, index, &s);
        if (r < 0)
                return r;
        if (strncasecmp(s, "0x", 2) == 0) {
                base = 16;
                s += 2;
        }
        /* strtoull() would take a sign and leading blanks: insist on digits only. */
        if (!isxdigit((unsigned char) s[0]) || (base == 10 && !isdigit((unsigned char) s[0])))
                return fail(p, "%s: expected an unsigned integer, got \"%s\"", where, quotable(where, s));
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno != 0 || *end != 0 || v > max)
                return fail(p, "%s: expected an integer 0…%" PRIu64 ", got \"%s\"", where, max,
                            quotable(where, s));
        *ret = v;
        return 0;
}

static int get_int(Parser *p, const char *where, int index, int64_t min, int64_t max, int64_t *ret) {
        const char *s;
        char *end;
        long long v;
        int r;

        r = get_string(p, where, index, &s);
        if (r < 0)
                return r;
        /* An optional minus, then digits only: strtoll() alone would take blanks and a plus. */
        if (!isdigit((unsigned char) s[s[0] == '-']))
                return fail(p, "%s: expected an integer, got \"%s\"", where, quotable(where, s));
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end != 0 || v < min || v > max)
                return fail(
                        p,
                        "%s: expected an integer %" PRIi64 "…%" PRIi64 ", got \"%s\"",
                        where,
                        min,
                        max,
                        quotable(where, s));
        *ret = v;
        return 0;
}

static int get_bool(Parser *p, const char *where, int index, int *ret) {
        const char *s;
        int r;

        r = get_string(p, where, index, &s);
        if (r < 0)
                return r;
        if (strcasecmp(s, "true") == 0)
                *ret = 1;
        else if (strcasecmp(s, "false") == 0)
                *ret = 0;
        else
                return fail(p, "%s: expected true or false, got \"%s\"", where, quotable(where, s));
        return 0;
}

/* Keep key/value of p->doc among the unknown keys, under `section` (NULL = top level). */
static int keep_unknown(Parser *p, const char *section, yaml_node_pair_t pair) {
        Builder *b = &p->unknown;
        int target = p->unknown_root, k, v;

        if (section) {
                yaml_node_t *root = yaml_document_get_node(&b->doc, p->unknown_root);
                size_t count = (size_t) (root->data.mapping.pairs.top - root->data.mapping.pairs.start);

                target = 0;
                for (size_t i = 0; i < count; i++) {
                        const char *key = scalar_text(&b->doc, root->data.mapping.pairs.start[i].key);
                        if (key && strcmp(key, section) == 0)
                                target = root->data.mapping.pairs.start[i].value;
                }
                if (target == 0) {
                        target = b_mapping(b);
                        b_pair(b, p->unknown_root, section, target);
                }
        }
        k = copy_node(b, p->doc, pair.key, 0);
        v = k ? copy_node(b, p->doc, pair.value, 0) : 0;
        if (b->failed || v == 0 || !yaml_document_append_mapping_pair(&b->doc, target, k, v))
                return fail(
                        p,
                        "%s%s: cannot keep this unknown key (nested too deep?)",
                        section ?: "",
                        section ? ".<unknown>" : "<unknown>");
        return 0;
}

typedef int (*field_parser)(Parser *p, LockRecord *r, const char *where, const char *key, int value);

/* Walk the mapping at `index`, handing each key to `parse` (which returns 0 = handled, 1 = unknown). */
static int parse_mapping(Parser *p, LockRecord *r, const char *section, int index, field_parser parse) {
        yaml_node_t *n = node(p, index);
        size_t count;
        int r2;

        if (!n || n->type != YAML_MAPPING_NODE)
                return fail(p, "%s: expected a mapping", section);
        count = (size_t) (n->data.mapping.pairs.top - n->data.mapping.pairs.start);
        for (size_t i = 0; i < count; i++) {
                yaml_node_pair_t pair = node(p, index)->data.mapping.pairs.start[i];
                const char *key;
                char where[128];

                r2 = get_string(p, section, pair.key, &key);
                if (r2 < 0)
                        return r2;
                snprintf(where, sizeof(where), "%s.%s", section, key);
                r2 = parse(p, r, where, key, pair.value);
                if (r2 < 0)
                        return r2;
                if (r2 > 0) {
                        r2 = keep_unknown(p, section, pair);
                        if (r2 < 0)
                                return r2;
                }
        }
        return 0;
}

static int parse_credentials(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "aes-key") == 0) {
                const char *s;
                uint8_t k[STORE_AES_KEY_SIZE];

                q = get_string(p, where, value, &s);
                if (q < 0)
                        return q;
                /* Exactly 32 hex digits: hex_to_bytes() alone would accept separators. */
                if (strlen(s) != 2 * STORE_AES_KEY_SIZE ||
                    strspn(s, "0123456789abcdefABCDEF") != strlen(s) ||
                    hex_to_bytes(s, k, sizeof(k)) != STORE_AES_KEY_SIZE) {
                        erase_memory(k, sizeof(k));
                        return fail(p, "%s: expected 32 hex digits", where);
                }
                memcpy(r->aes_key, k, sizeof(k));
                erase_memory(k, sizeof(k));
                return 0;
        }
        if (strcmp(key, "admin-passcode") == 0)
                return get_dup(p, where, value, &r->admin_passcode);

        uint32_t *field = strcmp(key, "admin-ps") == 0 ? &r->admin_ps
                : strcmp(key, "unlock-key") == 0       ? &r->unlock_key
                : strcmp(key, "lock-flag-pos") == 0    ? &r->lock_flag_pos
                : strcmp(key, "uid") == 0              ? &r->uid
                                                       : NULL;
        if (!field)
                return 1;
        q = get_uint(p, where, value, UINT32_MAX, &v);
        if (q < 0)
                return q;
        *field = (uint32_t) v;
        return 0;
}

static int parse_lock_version(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "protocol-type") == 0 || strcmp(key, "sub-version") == 0 ||
            strcmp(key, "scene") == 0) {
                q = get_uint(p, where, value, UINT8_MAX, &v);
                if (q < 0)
                        return q;
                *(key[0] == 'p'           ? &r->protocol_type
                          : key[1] == 'u' ? &r->sub_version
                                          : &r->scene) = (uint8_t) v;
                return 0;
        }
        if (strcmp(key, "group-id") == 0 || strcmp(key, "org-id") == 0) {
                q = get_uint(p, where, value, UINT16_MAX, &v);
                if (q < 0)
                        return q;
                *(key[0] == 'g' ? &r->group_id : &r->org_id) = (uint16_t) v;
                return 0;
        }
        return 1;
}

static int parse_device(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        if (strcmp(key, "model") == 0)
                return get_dup(p, where, value, &r->model);
        if (strcmp(key, "hardware-revision") == 0)
                return get_dup(p, where, value, &r->hardware_revision);
        if (strcmp(key, "firmware-revision") == 0)
                return get_dup(p, where, value, &r->firmware_revision);
        return 1;
}

static int parse_settings(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "auto-lock-seconds") == 0) {
                q = get_uint(p, where, value, UINT32_MAX, &v);
                if (q >= 0)
                        r->auto_lock_seconds = (int64_t) v;
                return q;
        }
        if (strcmp(key, "sound-volume") == 0) {
                q = get_uint(p, where, value, UINT8_MAX, &v);
                if (q >= 0)
                        r->sound_volume = (int) v;
                return q;
        }
        if (strcmp(key, "door-left-open-seconds") == 0) {
                q = get_uint(p, where, value, UINT32_MAX, &v);
                if (q >= 0)
                        r->door_left_open_seconds = (int64_t) v;
                return q;
        }
        if (strcmp(key, "frozen") == 0)
                return get_bool(p, where, value, &r->frozen);
        if (strcmp(key, "passage-mode-active") == 0)
                return get_bool(p, where, value, &r->passage_mode_active);
        int *field = strcmp(key, "sound-enabled") == 0 ? &r->sound_enabled
                : strcmp(key, "remote-unlock") == 0    ? &r->remote_unlock
                : strcmp(key, "tamper-alert") == 0     ? &r->tamper_alert
                : strcmp(key, "privacy-lock") == 0     ? &r->privacy_lock
                : strcmp(key, "reset-button") == 0     ? &r->reset_button
                                                       : NULL;
        if (!field)
                return 1;
        return get_bool(p, where, value, field);
}

static int parse_log_cursor(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "identity") == 0) {
                const char *s;
                char *end;

                q = get_string(p, where, value, &s);
                if (q < 0)
                        return q;
                errno = 0;
                v = strtoull(s, &end, 16);
                if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16 || errno != 0 || *end != 0)
                        return fail(p, "%s: expected 16 hex digits", where);
                r->log_cursor_identity = v;
                r->has_log_cursor = true;
                return 0;
        }
        if (strcmp(key, "time-usec") == 0) {
                q = get_uint(p, where, value, UINT64_MAX, &r->log_cursor_time_usec);
                if (q >= 0)
                        r->has_log_cursor = true;
                return q;
        }
        if (strcmp(key, "sequence") == 0) {
                q = get_uint(p, where, value, UINT16_MAX, &v);
                if (q >= 0) {
                        r->log_sequence = (uint16_t) v;
                        r->has_log_sequence = true;
                }
                return q;
        }
        return 1;
}

static int parse_last_known(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "battery") == 0) {
                q = get_uint(p, where, value, 100, &v);
                if (q >= 0)
                        r->battery = (int) v;
                return q;
        }
        if (strcmp(key, "state") == 0)
                return get_dup(p, where, value, &r->state);
        if (strcmp(key, "state-updated-usec") == 0)
                return get_uint(p, where, value, UINT64_MAX, &r->state_updated_usec);
        if (strcmp(key, "door-open") == 0)
                return get_bool(p, where, value, &r->door_open);
        if (strcmp(key, "door-updated-usec") == 0)
                return get_uint(p, where, value, UINT64_MAX, &r->door_updated_usec);
        return 1;
}

static int parse_connection(Parser *p, LockRecord *r, const char *where, const char *key, int value) {
        uint64_t v;
        int q;

        if (strcmp(key, "policy") == 0)
                return get_dup(p, where, value, &r->connection_policy);
        if (strcmp(key, "keep-alive-seconds") == 0) {
                q = get_uint(p, where, value, UINT32_MAX, &v);
                if (q >= 0)
                        r->keep_alive_seconds = (uint32_t) v;
                return q;
        }
        return 1;
}

static int parse_features(Parser *p, LockRecord *r, int index) {
        yaml_node_t *n = node(p, index);
        size_t count;

        if (!n || n->type != YAML_SEQUENCE_NODE)
                return fail(p, "features: expected a list of integers");
        count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > TTLOCK_FEATURE_GROUPS_MAX)
                return fail(p, "features: more than %u groups", TTLOCK_FEATURE_GROUPS_MAX);
        for (size_t i = 0; i < count; i++) {
                uint64_t v;
                int q = get_uint(
                        p, "features[]", node(p, index)->data.sequence.items.start[i], UINT32_MAX, &v);
                if (q < 0)
                        return q;
                r->features.groups[i] = (uint32_t) v;
        }
        r->features.n_groups = count;
        return 0;
}

static int parse_credential_aliases(Parser *p, LockRecord *r, int index) {
        yaml_node_t *n = node(p, index);
        size_t count;

        if (!n || n->type != YAML_SEQUENCE_NODE)
                return fail(p, "credential-aliases: expected a list");
        count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > STORE_CREDENTIAL_ALIASES_MAX)
                return fail(p, "credential-aliases: more than %u entries", STORE_CREDENTIAL_ALIASES_MAX);
        for (size_t i = 0; i < count; i++) {
                int item = node(p, index)->data.sequence.items.start[i];
                yaml_node_t *m = node(p, item);
                const char *kind = NULL, *id = NULL, *alias = NULL;
                size_t npairs;
                int q;

                /* Items are exactly {kind, id, alias}; the unknown-key rule covers mappings only. */
                if (!m || m->type != YAML_MAPPING_NODE)
                        return fail(p, "credential-aliases[%zu]: expected a mapping", i);
                npairs = (size_t) (m->data.mapping.pairs.top - m->data.mapping.pairs.start);
                for (size_t j = 0; j < npairs; j++) {
                        yaml_node_pair_t pair = m->data.mapping.pairs.start[j];
                        const char *key, *value;

                        q = get_string(p, "credential-aliases[]", pair.key, &key);
                        if (q >= 0)
                                q = get_string(p, "credential-aliases[]", pair.value, &value);
                        if (q < 0)
                                return q;
                        if (strcmp(key, "kind") == 0)
                                kind = value;
                        else if (strcmp(key, "id") == 0)
                                id = value;
                        else if (strcmp(key, "alias") == 0)
                                alias = value;
                }
                if (!kind || !id || !*id || !alias || !*alias)
                        return fail(p, "credential-aliases[%zu]: needs kind, id and alias", i);
                if (lock_record_get_credential_alias(r, kind, id))
                        return fail(p, "credential-aliases[%zu]: duplicate entry", i);
                q = credential_alias_add(r, kind, id, alias);
                if (q < 0)
                        return q == -ENOMEM ? q
                                            : fail(p, "credential-aliases[%zu]: too long or too many", i);
        }
        return 0;
}

/* "1 08:00-12:00": weekday, start and end of a window (§4.9). */
static int parse_cycle(const char *s, TTCycle *ret) {
        unsigned d, sh, sm, eh, em;
        char extra;

        if (sscanf(s, "%u %2u:%2u-%2u:%2u%c", &d, &sh, &sm, &eh, &em, &extra) != 5 || d > 7 || sh > 23 ||
            sm > 59 || eh > 24 || em > 59)
                return -EINVAL;
        *ret = (TTCycle){ .weekday = (uint8_t) d,
                          .start_minute = (uint16_t) (sh * 60 + sm),
                          .end_minute = (uint16_t) (eh * 60 + em) };
        return ttlock_cycle_check(ret, NULL);
}

static int parse_credential_cycles(Parser *p, LockRecord *r, int index) {
        yaml_node_t *n = node(p, index);
        size_t count;

        if (!n || n->type != YAML_SEQUENCE_NODE)
                return fail(p, "credential-cycles: expected a list");
        count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > STORE_CREDENTIAL_ALIASES_MAX)
                return fail(p, "credential-cycles: more than %u entries", STORE_CREDENTIAL_ALIASES_MAX);
        for (size_t i = 0; i < count; i++) {
                yaml_node_t *m = node(p, node(p, index)->data.sequence.items.start[i]);
                const char *kind = NULL, *id = NULL;
                TTCycle cycles[TTLOCK_CYCLES_MAX];
                size_t npairs, n_cycles = 0;
                bool have_cycles = false;
                int q;

                if (!m || m->type != YAML_MAPPING_NODE)
                        return fail(p, "credential-cycles[%zu]: expected a mapping", i);
                npairs = (size_t) (m->data.mapping.pairs.top - m->data.mapping.pairs.start);
                for (size_t j = 0; j < npairs; j++) {
                        yaml_node_pair_t pair = m->data.mapping.pairs.start[j];
                        yaml_node_t *v = node(p, pair.value);
                        const char *key;

                        q = get_string(p, "credential-cycles[]", pair.key, &key);
                        if (q < 0)
                                return q;
                        if (streq(key, "kind"))
                                q = get_string(p, "credential-cycles[].kind", pair.value, &kind);
                        else if (streq(key, "id"))
                                q = get_string(p, "credential-cycles[].id", pair.value, &id);
                        else if (streq(key, "cycles")) {
                                size_t k;

                                if (!v || v->type != YAML_SEQUENCE_NODE)
                                        return fail(p, "credential-cycles[%zu].cycles: expected a list", i);
                                k = (size_t) (v->data.sequence.items.top - v->data.sequence.items.start);
                                if (k == 0 || k > TTLOCK_CYCLES_MAX)
                                        return fail(p, "credential-cycles[%zu].cycles: 1…%u windows", i,
                                                    TTLOCK_CYCLES_MAX);
                                for (size_t l = 0; l < k; l++) {
                                        const char *w;

                                        q = get_string(p, "credential-cycles[].cycles[]",
                                                       v->data.sequence.items.start[l], &w);
                                        if (q < 0)
                                                return q;
                                        if (parse_cycle(w, &cycles[n_cycles++]) < 0)
                                                return fail(p,
                                                            "credential-cycles[%zu].cycles: \"%s\" is not "
                                                            "\"WEEKDAY HH:MM-HH:MM\"",
                                                            i, w);
                                }
                                have_cycles = true;
                        }
                        if (q < 0)
                                return q;
                }
                if (!credential_kind_valid(kind) || isempty(id) || !have_cycles)
                        return fail(p, "credential-cycles[%zu]: needs kind, id and cycles", i);
                if (find_cycles(r, kind, id))
                        return fail(p, "credential-cycles[%zu]: duplicate entry", i);
                q = lock_record_set_credential_cycles(r, kind, id, cycles, n_cycles);
                if (q < 0)
                        return q == -ENOMEM ? q : fail(p, "credential-cycles[%zu]: too long or too many", i);
        }
        return 0;
}

/* Names this ttlockd does not know (a newer one's steps) are dropped: at worst a step is not retried. */
static int parse_pairing_pending(Parser *p, LockRecord *r, int index) {
        yaml_node_t *n = node(p, index);
        size_t count;

        if (!n || n->type != YAML_SEQUENCE_NODE)
                return fail(p, "pairing-pending: expected a list");
        count = (size_t) (n->data.sequence.items.top - n->data.sequence.items.start);
        if (count > 64)
                return fail(p, "pairing-pending: more than 64 entries");
        for (size_t i = 0; i < count; i++) {
                const char *name;
                int q, s;

                q = get_string(p, "pairing-pending[]", node(p, index)->data.sequence.items.start[i], &name);
                if (q < 0)
                        return q;
                s = pairing_step_from_string(name);
                if (s >= 0)
                        r->pairing_pending |= PAIRING_STEP_BIT(s);
        }
        return 0;
}

/* Before the document is built: what ttlockd writes has no anchors, no aliases, a handful of levels and
 * a few hundred events. A file with an alias could make the document a graph whose walk (keep_unknown()
 * copies what it does not know) is exponential — nine lines can stand for a billion nodes — so such a
 * file is refused as damaged, as is one with more events or levels than ours could ever have. */
static int check_events(Parser *p, const char *data, size_t size) {
        yaml_parser_t parser;
        size_t n = 0;
        unsigned depth = 0;
        int q = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        for (;;) {
                yaml_event_t e;
                const yaml_char_t *anchor = NULL;
                yaml_event_type_t type;

                if (!yaml_parser_parse(&parser, &e)) {
                        /* yaml_parser_load() reports the syntax error with its line. */
                        break;
                }
                type = e.type;
                if (type == YAML_SCALAR_EVENT) {
                        anchor = e.data.scalar.anchor;
                        if (e.data.scalar.value)
                                erase_memory(e.data.scalar.value, e.data.scalar.length);
                } else if (type == YAML_SEQUENCE_START_EVENT)
                        anchor = e.data.sequence_start.anchor;
                else if (type == YAML_MAPPING_START_EVENT)
                        anchor = e.data.mapping_start.anchor;
                if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
                        depth++;
                else if ((type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) && depth > 0)
                        depth--;
                yaml_event_delete(&e);

                if (type == YAML_ALIAS_EVENT || anchor)
                        q = fail(p, "YAML anchors and aliases are not used in key files");
                else if (++n > STORE_YAML_EVENTS_MAX)
                        q = fail(p, "more than %u YAML events", STORE_YAML_EVENTS_MAX);
                else if (depth > STORE_YAML_DEPTH_MAX)
                        q = fail(p, "nested deeper than %u levels", STORE_YAML_DEPTH_MAX);
                if (q < 0 || type == YAML_STREAM_END_EVENT)
                        break;
        }
        parser_wipe_delete(&parser);
        return q;
}

int lock_record_from_yaml(const char *data, size_t size, LockRecord **ret, char **ret_error) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        yaml_document_t doc = {};
        yaml_parser_t parser;
        Parser p = { .doc = &doc };
        bool have_version = false, have_address = false, have_key = false, have_ps = false, have_uk = false;
        yaml_node_t *root;
        size_t count;
        int q = 0;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        *r = (LockRecord){
                .auto_lock_seconds = -1,
                .sound_enabled = -1,
                .sound_volume = -1,
                .remote_unlock = -1,
                .tamper_alert = -1,
                .privacy_lock = -1,
                .reset_button = -1,
                .frozen = -1,
                .passage_mode_active = -1,
                .door_left_open_seconds = -1,
                .battery = -1,
                .door_open = -1,
        };

        q = check_events(&p, data, size);
        if (q < 0)
                goto finish_no_doc;
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        if (!yaml_parser_load(&parser, &doc)) {
                q =
                        fail(&p,
                             "YAML syntax error at line %zu: %s",
                             parser.problem_mark.line + 1,
                             parser.problem ?: "unknown problem");
                parser_wipe_delete(&parser);
                goto finish_no_doc;
        }
        parser_wipe_delete(&parser);

        if (!yaml_document_initialize(&p.unknown.doc, NULL, NULL, NULL, 1, 1)) {
                document_wipe_delete(&doc);
                return -ENOMEM;
        }
        p.unknown_root = b_mapping(&p.unknown);
        if (p.unknown_root == 0) {
                q = -ENOMEM;
                goto finish;
        }

        root = yaml_document_get_root_node(&doc);
        if (!root) {
                q = fail(&p, "empty file");
                goto finish;
        }
        if (root->type != YAML_MAPPING_NODE) {
                q = fail(&p, "top level: expected a mapping");
                goto finish;
        }
        count = (size_t) (root->data.mapping.pairs.top - root->data.mapping.pairs.start);
        for (size_t i = 0; i < count && q >= 0; i++) {
                yaml_node_pair_t pair = yaml_document_get_root_node(&doc)->data.mapping.pairs.start[i];
                const char *key;
                uint64_t v;

                q = get_string(&p, "top level", pair.key, &key);
                if (q < 0)
                        break;
                if (strcmp(key, "version") == 0) {
                        q = get_uint(&p, "version", pair.value, UINT32_MAX, &v);
                        if (q >= 0 && v != STORE_FORMAT_VERSION)
                                q = fail(
                                        &p,
                                        "version: format %" PRIu64 " is not %u, which this ttlockd writes",
                                        v,
                                        STORE_FORMAT_VERSION);
                        have_version = true;
                } else if (strcmp(key, "address") == 0) {
                        const char *a;

                        q = get_string(&p, "address", pair.value, &a);
                        if (q >= 0 && store_address_valid(a) < 0)
                                q = fail(&p, "address: \"%s\" is not AA:BB:CC:DD:EE:FF", a);
                        if (q >= 0)
                                address_normalise(a, r->address);
                        have_address = true;
                } else if (strcmp(key, "alias") == 0)
                        q = get_dup(&p, "alias", pair.value, &r->alias);
                else if (strcmp(key, "role") == 0) {
                        const char *role;

                        q = get_string(&p, "role", pair.value, &role);
                        if (q >= 0 && streq(role, "admin"))
                                r->role = LOCK_ROLE_ADMIN;
                        else if (q >= 0 && streq(role, "user"))
                                r->role = LOCK_ROLE_USER;
                        else if (q >= 0)
                                q = fail(&p, "role: \"%s\" is not admin or user", role);
                } else if (strcmp(key, "valid-from-usec") == 0)
                        q = get_uint(&p, "valid-from-usec", pair.value, UINT64_MAX, &r->valid_from_usec);
                else if (strcmp(key, "valid-until-usec") == 0)
                        q = get_uint(&p, "valid-until-usec", pair.value, UINT64_MAX, &r->valid_until_usec);
                else if (strcmp(key, "time-zone-offset-seconds") == 0) {
                        int64_t offset = 0;

                        /* Zones run from UTC-12 to UTC+14. */
                        q = get_int(
                                &p, "time-zone-offset-seconds", pair.value, -16 * 3600, 16 * 3600, &offset);
                        if (q >= 0) {
                                r->has_time_zone = true;
                                r->time_zone_offset_sec = (int32_t) offset;
                        }
                } else if (strcmp(key, "pairing") == 0) {
                        const char *state;

                        q = get_string(&p, "pairing", pair.value, &state);
                        if (q >= 0 && !streq(state, "provisional"))
                                q = fail(&p, "pairing: \"%s\" is not provisional", state);
                        if (q >= 0)
                                r->provisional = true;
                } else if (strcmp(key, "credentials") == 0) {
                        yaml_node_t *m = node(&p, pair.value);
                        size_t n = m && m->type == YAML_MAPPING_NODE
                                ? (size_t) (m->data.mapping.pairs.top - m->data.mapping.pairs.start)
                                : 0;

                        q = parse_mapping(&p, r, "credentials", pair.value, parse_credentials);
                        for (size_t j = 0; q >= 0 && j < n; j++) {
                                const char *k = scalar_text(&doc, m->data.mapping.pairs.start[j].key);
                                have_key = have_key || streq_ptr(k, "aes-key");
                                have_ps = have_ps || streq_ptr(k, "admin-ps");
                                have_uk = have_uk || streq_ptr(k, "unlock-key");
                        }
                } else if (strcmp(key, "lock-version") == 0)
                        q = parse_mapping(&p, r, "lock-version", pair.value, parse_lock_version);
                else if (strcmp(key, "features") == 0)
                        q = parse_features(&p, r, pair.value);
                else if (strcmp(key, "device") == 0)
                        q = parse_mapping(&p, r, "device", pair.value, parse_device);
                else if (strcmp(key, "settings") == 0)
                        q = parse_mapping(&p, r, "settings", pair.value, parse_settings);
                else if (strcmp(key, "credential-aliases") == 0)
                        q = parse_credential_aliases(&p, r, pair.value);
                else if (strcmp(key, "credential-cycles") == 0)
                        q = parse_credential_cycles(&p, r, pair.value);
                else if (strcmp(key, "pairing-pending") == 0)
                        q = parse_pairing_pending(&p, r, pair.value);
                else if (strcmp(key, "log-cursor") == 0)
                        q = parse_mapping(&p, r, "log-cursor", pair.value, parse_log_cursor);
                else if (strcmp(key, "last-known") == 0)
                        q = parse_mapping(&p, r, "last-known", pair.value, parse_last_known);
                else if (strcmp(key, "connection") == 0)
                        q = parse_mapping(&p, r, "connection", pair.value, parse_connection);
                else
                        q = keep_unknown(&p, NULL, pair);
        }
        if (q >= 0 && !have_version)
                q = fail(&p, "version: missing");
        if (q >= 0 && !have_address)
                q = fail(&p, "address: missing");
        /* Without K, adminPs and unlockKey nobody can talk to the lock (§5.2, §5.3); an eKey has no
         * adminPs (doc/lockdata.md §4). */
        if (q >= 0 && r->role == LOCK_ROLE_ADMIN && !(have_key && have_ps && have_uk))
                q = fail(&p, "credentials: key material missing (need aes-key, admin-ps and unlock-key)");
        if (q >= 0 && r->role == LOCK_ROLE_USER && !(have_key && have_uk))
                q = fail(&p, "credentials: key material missing (a user needs aes-key and unlock-key)");
        if (q >= 0 && r->role == LOCK_ROLE_USER && have_ps)
                q = fail(&p, "credentials.admin-ps: a user record has no admin password");
        if (q >= 0 && r->valid_from_usec > 0 && r->valid_until_usec > 0 &&
            r->valid_until_usec <= r->valid_from_usec)
                q = fail(&p, "valid-until-usec: not after valid-from-usec");

finish:
        document_wipe_delete(&doc);
        if (q >= 0) {
                yaml_node_t *u = yaml_document_get_node(&p.unknown.doc, p.unknown_root);

                if (u->data.mapping.pairs.top > u->data.mapping.pairs.start) {
                        r->unknown = malloc(sizeof(yaml_document_t));
                        if (!r->unknown)
                                q = -ENOMEM;
                        else
                                memcpy(r->unknown, &p.unknown.doc, sizeof(yaml_document_t));
                }
        }
        if (!r->unknown)
                document_wipe_delete(&p.unknown.doc);
finish_no_doc:
        if (q < 0) {
                if (ret_error)
                        *ret_error = TAKE_PTR(p.error);
                free(p.error);
                return q;
        }
        free(p.error);
        *ret = TAKE_PTR(r);
        return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The store */

struct Store {
        char *state_dir;
        char *locks_path;
        int locks_fd;
};

int store_state_directory(char **ret) {
        const char *e = getenv("STATE_DIRECTORY");
        char *d;

        assert(ret);

        if (e && *e) {
                /* systemd passes one absolute path per StateDirectory=, colon-separated (systemd.exec(5)).
                 */
                size_t n = strcspn(e, ":");

                if (e[0] != '/')
                        return -EINVAL;
                d = strndup(e, n);
        } else
                d = strdup(STORE_DEFAULT_STATE_DIR);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int store_open(const char *state_dir, Store **ret) {
        assert(ret);

        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->locks_fd = -EBADF;

        if (state_dir) {
                s->state_dir = strdup(state_dir);
                if (!s->state_dir)
                        return -ENOMEM;
        } else {
                r = store_state_directory(&s->state_dir);
                if (r < 0)
                        return log_error_errno(r, "STATE_DIRECTORY is not an absolute path.");
        }
        if (asprintf(&s->locks_path, "%s/" STORE_LOCKS_SUBDIR, s->state_dir) < 0) {
                s->locks_path = NULL;
                return -ENOMEM;
        }

        /* The state directory is systemd's (StateDirectoryMode=0700): create it if missing, but do
         * not second-guess its mode; locks/ is ours and must be 0700 (HACKING.md "Storage"). */
        r = open_dir_mode(s->state_dir, 0700, /* fix_mode= */ false, &dir_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open state directory %s: %m", s->state_dir);
        r = open_dir_mode_at(dir_fd, STORE_LOCKS_SUBDIR, 0700, &s->locks_fd);
        if (r < 0)
                return log_error_errno(r, "Cannot open %s: %m", s->locks_path);

        *ret = TAKE_PTR(s);
        return 0;
}

Store *store_free(Store *s) {
        if (!s)
                return NULL;
        free(s->state_dir);
        free(s->locks_path);
        if (s->locks_fd >= 0)
                (void) close(s->locks_fd);
        free(s);
        return NULL;
}

const char *store_locks_path(const Store *s) {
        assert(s);

        return s->locks_path;
}

int store_locks_dir_fd(const Store *s) {
        assert(s);

        return s->locks_fd;
}

/* Load one file; a broken one is reported and moved aside (-EBADMSG). */
static int load_file(Store *s, const char *name, const char *address, LockRecord **ret) {
        _cleanup_free_ char *error = NULL, *aside = NULL;
        LockRecord *rec = NULL;
        char *data = NULL;
        size_t size = 0;
        int r;

        r = read_file_at(s->locks_fd, name, STORE_FILE_MAX, &data, &size);
        if (r == -EFBIG) {
                error = strdup("larger than any file ttlockd writes");
                r = -EBADMSG;
        } else if (r < 0)
                return log_error_errno(r, "Cannot read %s/%s: %m", s->locks_path, name);
        else {
                r = lock_record_from_yaml(data, size, &rec, &error);
                erase_memory(data, size);
                free(data);
                if (r >= 0 && strcmp(rec->address, address) != 0) {
                        if (asprintf(&error, "address: \"%s\" does not match the file name", rec->address) <
                            0)
                                error = NULL;
                        rec = lock_record_free(rec);
                        r = -EBADMSG;
                }
        }
        if (r == -EBADMSG) {
                int k = move_aside_broken_at(s->locks_fd, name, &aside);
                if (k < 0)
                        log_error_errno(
                                k,
                                "Key file %s/%s is damaged (%s) and could not be moved aside: %m",
                                s->locks_path,
                                name,
                                error ?: "unknown problem");
                else
                        log_error(
                                "Key file %s/%s is damaged (%s); moved aside to %s. The lock's keys in it "
                                "are not used until a human repairs the file.",
                                s->locks_path,
                                name,
                                error ?: "unknown problem",
                                aside);
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        *ret = rec;
        return 0;
}

static int record_cmp(const void *a, const void *b) {
        return strcmp((*(LockRecord *const *) a)->address, (*(LockRecord *const *) b)->address);
}

int store_load_all(Store *s, LockRecord ***ret, size_t *ret_n) {
        LockRecord **list = NULL;
        size_t n = 0, allocated = 0;
        int dfd, broken = 0, r = 0;
        struct dirent *de;
        DIR *d;

        assert(s);

        dfd = fcntl(s->locks_fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return -errno;
        d = fdopendir(dfd);
        if (!d) {
                r = -errno;
                (void) close(dfd);
                return r;
        }
        rewinddir(d);

        while ((errno = 0, de = readdir(d))) {
                char address[STORE_ADDRESS_STRING_SIZE];
                LockRecord *rec;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (is_tmp_file_name(de->d_name)) {
                        /* Left by a write that a crash interrupted before its rename: the real file
                         * is intact (old or new), this one is garbage. */
                        log_debug("Removing leftover temp file %s/%s.", s->locks_path, de->d_name);
                        (void) unlinkat(s->locks_fd, de->d_name, 0);
                        continue;
                }
                if (!strendswith(de->d_name, ".yaml"))
                        continue; /* history files, broken copies, … */
                if (address_from_file_name(de->d_name, address) < 0) {
                        log_warning(
                                "Ignoring %s/%s: not a name ttlockd writes (AA_BB_CC_DD_EE_FF.yaml).",
                                s->locks_path,
                                de->d_name);
                        continue;
                }

                r = load_file(s, de->d_name, address, &rec);
                if (r == -EBADMSG) {
                        broken++;
                        continue;
                }
                if (r < 0)
                        continue; /* logged; left in place for the next start */

                if (n >= allocated) {
                        LockRecord **l = realloc(list, MAX(8U, allocated * 2) * sizeof(*l));
                        if (!l) {
                                lock_record_free(rec);
                                r = -ENOMEM;
                                goto fail;
                        }
                        list = l;
                        allocated = MAX(8U, allocated * 2);
                }
                list[n++] = rec;
        }
        if (errno != 0) {
                r = -errno;
                goto fail;
        }
        closedir(d);

        if (n > 0)
                qsort(list, n, sizeof(*list), record_cmp);
        *ret = list;
        *ret_n = n;
        return broken;

fail:
        closedir(d);
        lock_records_free(list, n);
        return r;
}

int store_load(Store *s, const char *address, LockRecord **ret) {
        char name[STORE_FILE_NAME_SIZE], a[STORE_ADDRESS_STRING_SIZE];
        int r;

        assert(s);

        r = store_file_name(address, name);
        if (r < 0)
                return r;
        address_normalise(address, a);
        return load_file(s, name, a, ret);
}

int store_save(Store *s, const LockRecord *rec) {
        char name[STORE_FILE_NAME_SIZE];
        char *data = NULL;
        size_t size = 0;
        int r;

        assert(s);

        r = store_file_name(rec->address, name);
        if (r < 0)
                return r;
        r = lock_record_to_yaml(rec, &data, &size);
        if (r < 0)
                return r;
        /* load_file() refuses files beyond STORE_FILE_MAX and moves them aside as broken: writing one
         * (thousands of long credential aliases fit in a record) would lose the keys at the next
         * start. The old file stays as it is. */
        if (size > STORE_FILE_MAX) {
                erase_memory(data, size);
                free(data);
                return -EFBIG;
        }
        r = write_file_atomic_at(s->locks_fd, name, data, size, 0600);
        erase_memory(data, size);
        free(data);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/%s: %m", s->locks_path, name);
        return 0;
}

int store_delete(Store *s, const char *address) {
        char name[STORE_FILE_NAME_SIZE];
        int r;

        assert(s);

        r = store_file_name(address, name);
        if (r < 0)
                return r;
        if (unlinkat(s->locks_fd, name, 0) < 0)
                return -errno;
        return fsync_dir_fd(s->locks_fd);
}

/* ---------------------------------------------------------------------------------------------- */
/* Exports: several records in one YAML stream */

void store_text_free(char *text, size_t size) {
        if (text)
                erase_memory(text, size);
        free(text);
}

#define EXPORT_HEADER                                                                               \
        "# ttlockd key export: every key of these locks, in clear. Keep it like a password, e.g.\n" \
        "# encrypted with gpg --symmetric; ttlockctl import reads it back (ttlockd(8), Backup).\n"

int store_export_to_yaml(const LockRecord *const *records, size_t n, char **ret, size_t *ret_size) {
        OutBuf out = {};
        int r = 0;

        assert(records || n == 0);
        assert(ret);

        if (n > STORE_EXPORT_RECORDS_MAX)
                return -E2BIG;
        if (!outbuf_write(&out, (unsigned char *) EXPORT_HEADER, strlen(EXPORT_HEADER)))
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                char *doc = NULL;
                size_t size = 0;

                /* Each document exactly as its key file: store_export_from_yaml() reads it the same way. */
                r = lock_record_to_yaml(records[i], &doc, &size);
                if (r < 0)
                        break;
                if (!outbuf_write(&out, (unsigned char *) "---\n", 4) ||
                    !outbuf_write(&out, (unsigned char *) doc, size))
                        r = -ENOMEM;
                store_text_free(doc, size);
        }
        if (r < 0) {
                store_text_free(out.data, out.allocated);
                return r;
        }
        *ret = out.data;
        if (ret_size)
                *ret_size = out.size;
        return 0;
}

void store_export_entries_free(StoreExportEntry *entries, size_t n) {
        for (size_t i = 0; i < n; i++) {
                lock_record_free(entries[i].record);
                free(entries[i].error);
        }
        free(entries);
}

/* Where each document of the stream begins and ends, by libyaml's event marks: no tree is built, and
 * each piece then goes through lock_record_from_yaml() with all of its checks. */
typedef struct DocumentSpan {
        size_t start, end;
} DocumentSpan;

static int
split_documents(const char *data, size_t size, DocumentSpan **ret, size_t *ret_n, char **ret_error) {
        _cleanup_free_ DocumentSpan *spans = NULL;
        yaml_parser_t parser;
        size_t n = 0, events = 0;
        bool done = false;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        while (!done && r >= 0) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        if (asprintf(
                                    ret_error,
                                    "YAML syntax error at line %zu: %s",
                                    parser.problem_mark.line + 1,
                                    parser.problem ?: "unknown problem") < 0)
                                *ret_error = NULL;
                        r = -EBADMSG;
                        break;
                }
                if (e.type == YAML_SCALAR_EVENT && e.data.scalar.value)
                        erase_memory(e.data.scalar.value, e.data.scalar.length);
                if (++events > (size_t) STORE_YAML_EVENTS_MAX * STORE_EXPORT_RECORDS_MAX) {
                        r = -EBADMSG;
                        if (asprintf(
                                    ret_error,
                                    "more YAML events than %u locks could have",
                                    STORE_EXPORT_RECORDS_MAX) < 0)
                                *ret_error = NULL;
                } else if (e.type == YAML_DOCUMENT_START_EVENT) {
                        if (n >= STORE_EXPORT_RECORDS_MAX) {
                                r = -EBADMSG;
                                if (asprintf(ret_error, "more than %u documents", STORE_EXPORT_RECORDS_MAX) <
                                    0)
                                        *ret_error = NULL;
                        } else {
                                DocumentSpan *m = reallocarray(spans, n + 1, sizeof(DocumentSpan));

                                if (!m)
                                        r = -ENOMEM;
                                else {
                                        spans = m;
                                        spans[n++] = (DocumentSpan){ .start = e.start_mark.index };
                                }
                        }
                } else if (e.type == YAML_STREAM_END_EVENT)
                        done = true;
                yaml_event_delete(&e);
        }
        parser_wipe_delete(&parser);
        if (r < 0)
                return r;
        if (n == 0) {
                *ret_error = strdup("no document");
                return -EBADMSG;
        }
        /* libyaml's marks count characters, not bytes: the input is UTF-8 (libyaml checked), so walk it
         * once counting the bytes that start a character. */
        for (size_t i = 0, chars = 0, byte = 0; i < n; i++) {
                while (byte < size && chars < spans[i].start) {
                        byte++;
                        while (byte < size && ((unsigned char) data[byte] & 0xC0) == 0x80)
                                byte++;
                        chars++;
                }
                spans[i].start = byte;
        }
        /* A document runs to where the next begins: the end mark of an implicit end points inside the
         * last token, not after it. */
        for (size_t i = 0; i < n; i++)
                spans[i].end = i + 1 < n ? spans[i + 1].start : size;
        *ret = TAKE_PTR(spans);
        *ret_n = n;
        return 0;
}

int store_export_from_yaml(
        const char *data, size_t size, StoreExportEntry **ret, size_t *ret_n, char **ret_error) {
        _cleanup_free_ DocumentSpan *spans = NULL;
        StoreExportEntry *entries;
        size_t n = 0;
        int r;

        assert(data || size == 0);
        assert(ret);
        assert(ret_n);
        assert(ret_error);

        *ret_error = NULL;
        /* libyaml takes a byte-order mark off without counting it in its marks. */
        if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
                data += 3;
                size -= 3;
        }
        r = split_documents(data, size, &spans, &n, ret_error);
        if (r < 0)
                return r;
        entries = calloc(n, sizeof(StoreExportEntry));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                StoreExportEntry *x = entries + i;
                size_t end = MIN(MAX(spans[i].end, spans[i].start), size);

                snprintf(x->label, sizeof(x->label), "document %zu", i + 1);
                r = lock_record_from_yaml(
                        data + spans[i].start, end - spans[i].start, &x->record, &x->error);
                if (r == -ENOMEM) {
                        store_export_entries_free(entries, n);
                        return r;
                }
                if (r >= 0)
                        memcpy(x->label, x->record->address, sizeof(x->record->address));
                else if (!x->error)
                        x->error = strdup("cannot be read");
        }
        *ret = entries;
        *ret_n = n;
        return 0;
}
