/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <yaml.h>

#include "daemon-test.h"
#include "store.h"
#include "tt-test.h"

#define ADDR "aa:bb:cc:dd:ee:01"
#define ADDR_UP "AA:BB:CC:DD:EE:01"
#define FILE_NAME "AA_BB_CC_DD_EE_01.yaml"
#define KEY_HEX "00112233445566778899aabbccddeeff"

/* A record with every field set, strings chosen to need quoting/escaping in YAML. */
static LockRecord *full_record(const char *address, const char *alias) {
        LockRecord *r = NULL;

        ck_assert_int_eq(lock_record_new(address, &r), 0);
        ck_assert_int_eq(lock_record_set_string(&r->alias, alias), 0);
        ck_assert_int_eq(tt_unhex(KEY_HEX, r->aes_key, sizeof(r->aes_key)), 16);
        r->admin_ps = 4000000001U;
        r->unlock_key = 123456789;
        r->lock_flag_pos = 7;
        r->uid = 42;
        ck_assert_int_eq(lock_record_set_string(&r->admin_passcode, "0550731"), 0);
        r->protocol_type = 5;
        r->sub_version = 3;
        r->scene = 2;
        r->group_id = 10;
        r->org_id = 65535;
        r->features.n_groups = 3;
        r->features.groups[0] = 0xFFFFFFFFU;
        r->features.groups[1] = 0x00000801U;
        r->features.groups[2] = 0;
        ck_assert_int_eq(lock_record_set_string(&r->model, "SN9161: \"quoted\" #hash"), 0);
        ck_assert_int_eq(lock_record_set_string(&r->hardware_revision, "1.0"), 0);
        ck_assert_int_eq(lock_record_set_string(&r->firmware_revision, "6.0.6.210622"), 0);
        r->auto_lock_seconds = 5;
        r->sound_enabled = 1;
        r->sound_volume = 3;
        r->remote_unlock = 0;
        r->tamper_alert = 1;
        r->privacy_lock = 0;
        r->reset_button = 1;
        ck_assert_int_eq(lock_record_set_credential_alias(r, "ic-card", "3735928559", "Anna's card"), 0);
        ck_assert_int_eq(lock_record_set_credential_alias(r, "passcode", "246813", "Guest\ncode"), 0);
        ck_assert_int_eq(lock_record_set_credential_alias(r, "fingerprint", "000000000001", "Ünïcödé ✓"), 0);
        r->has_log_cursor = true;
        r->log_cursor_identity = 0xFEDCBA9876543210ULL;
        r->log_cursor_time_usec = 1700000000123456ULL;
        r->has_log_sequence = true;
        r->log_sequence = 65534;
        r->battery = 87;
        ck_assert_int_eq(lock_record_set_string(&r->state, "locked"), 0);
        r->state_updated_usec = 1700000000999999ULL;
        return r;
}

static void assert_str_eq_null(const char *a, const char *b) {
        if (!a || !b)
                ck_assert_ptr_eq(a, b);
        else
                ck_assert_str_eq(a, b);
}

static void assert_records_equal(const LockRecord *a, const LockRecord *b) {
        ck_assert_str_eq(a->address, b->address);
        assert_str_eq_null(a->alias, b->alias);
        ck_assert_mem_eq(a->aes_key, b->aes_key, sizeof(a->aes_key));
        ck_assert_uint_eq(a->admin_ps, b->admin_ps);
        ck_assert_uint_eq(a->unlock_key, b->unlock_key);
        ck_assert_uint_eq(a->lock_flag_pos, b->lock_flag_pos);
        ck_assert_uint_eq(a->uid, b->uid);
        assert_str_eq_null(a->admin_passcode, b->admin_passcode);
        ck_assert_uint_eq(a->protocol_type, b->protocol_type);
        ck_assert_uint_eq(a->sub_version, b->sub_version);
        ck_assert_uint_eq(a->scene, b->scene);
        ck_assert_uint_eq(a->group_id, b->group_id);
        ck_assert_uint_eq(a->org_id, b->org_id);
        ck_assert_uint_eq(a->features.n_groups, b->features.n_groups);
        ck_assert_mem_eq(a->features.groups, b->features.groups, a->features.n_groups * sizeof(uint32_t));
        assert_str_eq_null(a->model, b->model);
        assert_str_eq_null(a->hardware_revision, b->hardware_revision);
        assert_str_eq_null(a->firmware_revision, b->firmware_revision);
        ck_assert_int_eq(a->auto_lock_seconds, b->auto_lock_seconds);
        ck_assert_int_eq(a->sound_enabled, b->sound_enabled);
        ck_assert_int_eq(a->sound_volume, b->sound_volume);
        ck_assert_int_eq(a->remote_unlock, b->remote_unlock);
        ck_assert_int_eq(a->tamper_alert, b->tamper_alert);
        ck_assert_int_eq(a->privacy_lock, b->privacy_lock);
        ck_assert_int_eq(a->reset_button, b->reset_button);
        ck_assert_uint_eq(a->n_credential_aliases, b->n_credential_aliases);
        for (size_t i = 0; i < a->n_credential_aliases; i++) {
                ck_assert_str_eq(a->credential_aliases[i].kind, b->credential_aliases[i].kind);
                ck_assert_str_eq(a->credential_aliases[i].id, b->credential_aliases[i].id);
                ck_assert_str_eq(a->credential_aliases[i].alias, b->credential_aliases[i].alias);
        }
        ck_assert_int_eq(a->has_log_cursor, b->has_log_cursor);
        ck_assert_uint_eq(a->log_cursor_identity, b->log_cursor_identity);
        ck_assert_uint_eq(a->log_cursor_time_usec, b->log_cursor_time_usec);
        ck_assert_int_eq(a->has_log_sequence, b->has_log_sequence);
        ck_assert_uint_eq(a->log_sequence, b->log_sequence);
        ck_assert_int_eq(a->battery, b->battery);
        assert_str_eq_null(a->state, b->state);
        ck_assert_uint_eq(a->state_updated_usec, b->state_updated_usec);
}

static char *locks_dir(const char *state) {
        char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/locks", state), 0);
        return p;
}

/* ---- addresses ---- */

START_TEST(test_file_name) {
        char name[STORE_FILE_NAME_SIZE];

        ck_assert_int_eq(store_file_name("aa:bB:0c:dd:ee:ff", name), 0);
        ck_assert_str_eq(name, "AA_BB_0C_DD_EE_FF.yaml");
        ck_assert_int_eq(store_file_name("AA:BB:CC:DD:EE", name), -EINVAL);
        ck_assert_int_eq(store_file_name("AA:BB:CC:DD:EE:FG", name), -EINVAL);
        ck_assert_int_eq(store_file_name("AA-BB-CC-DD-EE-FF", name), -EINVAL);
        ck_assert_int_eq(store_file_name("AA:BB:CC:DD:EE:FF0", name), -EINVAL);
        ck_assert_int_eq(store_file_name("../../etc/passw", name), -EINVAL);
        ck_assert_int_eq(store_file_name(NULL, name), -EINVAL);
}
END_TEST

START_TEST(test_state_directory_env) {
        char *d = NULL;

        ck_assert_int_eq(setenv("STATE_DIRECTORY", "/var/lib/one:/var/lib/two", 1), 0);
        ck_assert_int_eq(store_state_directory(&d), 0);
        ck_assert_str_eq(d, "/var/lib/one");
        free(d);
        ck_assert_int_eq(setenv("STATE_DIRECTORY", "relative", 1), 0);
        ck_assert_int_eq(store_state_directory(&d), -EINVAL);
        ck_assert_int_eq(unsetenv("STATE_DIRECTORY"), 0);
        ck_assert_int_eq(store_state_directory(&d), 0);
        ck_assert_str_eq(d, "/var/lib/ttlockd");
        free(d);
}
END_TEST

/* ---- serialisation ---- */

START_TEST(test_round_trip_every_field) {
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "Front door: \"main\" %s #1"),
                                                *b = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t size;

        ck_assert_str_eq(a->address, ADDR_UP);
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_uint_eq(strlen(text), size);
        ck_assert_ptr_nonnull(strstr(text, "version: 1\n"));
        ck_assert_ptr_nonnull(strstr(text, KEY_HEX));
        ck_assert_int_eq(lock_record_from_yaml(text, size, &b, &error), 0);
        assert_records_equal(a, b);

        /* And the all-unknown record: optional sections stay absent and come back as unknown. */
        lock_record_free(a);
        b = lock_record_free(b);
        free(text);
        ck_assert_int_eq(lock_record_new("01:02:03:04:05:06", &a), 0);
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_ptr_null(strstr(text, "settings"));
        ck_assert_ptr_null(strstr(text, "last-known"));
        ck_assert_int_eq(lock_record_from_yaml(text, size, &b, &error), 0);
        assert_records_equal(a, b);
        ck_assert_int_eq(b->auto_lock_seconds, -1);
        ck_assert_int_eq(b->sound_enabled, -1);
        ck_assert_int_eq(b->battery, -1);
}
END_TEST

START_TEST(test_round_trip_through_store) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "x"), *b = NULL;
        LockRecord **all = NULL;
        size_t n = 0;

        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(store_load(s, ADDR, &b), -ENOENT);
        ck_assert_int_eq(store_save(s, a), 0);
        ck_assert_int_eq(store_load(s, ADDR_UP, &b), 0);
        assert_records_equal(a, b);
        ck_assert_int_eq(store_load_all(s, &all, &n), 0);
        ck_assert_uint_eq(n, 1);
        assert_records_equal(a, all[0]);
        lock_records_free(all, n);

        /* Forget. */
        ck_assert_int_eq(store_delete(s, ADDR), 0);
        ck_assert_int_eq(store_delete(s, ADDR), -ENOENT);
        ck_assert_int_eq(store_load_all(s, &all, &n), 0);
        ck_assert_uint_eq(n, 0);
        free(all);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_credential_aliases) {
        _cleanup_(lock_record_freep) LockRecord *r = full_record(ADDR, NULL);

        ck_assert_str_eq(lock_record_get_credential_alias(r, "ic-card", "3735928559"), "Anna's card");
        ck_assert_int_eq(lock_record_set_credential_alias(r, "ic-card", "3735928559", "Bob"), 0);
        ck_assert_str_eq(lock_record_get_credential_alias(r, "ic-card", "3735928559"), "Bob");
        ck_assert_uint_eq(r->n_credential_aliases, 3);
        ck_assert_int_eq(lock_record_set_credential_alias(r, "ic-card", "3735928559", ""), 0);
        ck_assert_ptr_null(lock_record_get_credential_alias(r, "ic-card", "3735928559"));
        ck_assert_uint_eq(r->n_credential_aliases, 2);
        ck_assert_int_eq(lock_record_set_credential_alias(r, "face", "1", "x"), -EINVAL);
        ck_assert_int_eq(lock_record_set_credential_alias(r, "passcode", "", "x"), -EINVAL);
}
END_TEST

/* A record too large to be read back is never written: the file on disk keeps the keys. */
START_TEST(test_save_too_large) {
        _cleanup_free_ char *dir = dt_mkdtemp();
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "x"), *b = NULL;
        char alias[256 + 1], id[16]; /* SetCredentialAlias() allows 256 bytes */

        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(store_save(s, a), 0);

        memset(alias, 'a', sizeof(alias) - 1);
        alias[sizeof(alias) - 1] = 0;
        for (unsigned i = 0; i < STORE_CREDENTIAL_ALIASES_MAX - 3; i++) {
                snprintf(id, sizeof(id), "%u", 100000 + i);
                ck_assert_int_eq(lock_record_set_credential_alias(a, "ic-card", id, alias), 0);
        }
        ck_assert_int_eq(store_save(s, a), -EFBIG);

        /* What is on disk is the last record that fitted, and it loads. */
        ck_assert_int_eq(store_load(s, ADDR, &b), 0);
        ck_assert_uint_eq(b->n_credential_aliases, 3);
        ck_assert_mem_eq(b->aes_key, a->aes_key, sizeof(a->aes_key));
        dt_rm_rf(dir);
}
END_TEST

/* Look up a path of mapping keys in a parsed document; returns the scalar text or NULL. */
static const char *yaml_lookup(yaml_document_t *doc, const char *k1, const char *k2) {
        yaml_node_t *n = yaml_document_get_root_node(doc);

        for (const char *k = k1; k && n; k = (k == k1 ? k2 : NULL)) {
                yaml_node_t *found = NULL;

                if (n->type != YAML_MAPPING_NODE)
                        return NULL;
                for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
                        yaml_node_t *key = yaml_document_get_node(doc, p->key);
                        if (key->type == YAML_SCALAR_NODE && strcmp((char *) key->data.scalar.value, k) == 0)
                                found = yaml_document_get_node(doc, p->value);
                }
                n = found;
        }
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

START_TEST(test_unknown_keys_preserved) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *ldir = locks_dir(dir), *text = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(lock_record_freep) LockRecord *r = NULL, *again = NULL;
        yaml_parser_t parser;
        yaml_document_t doc;

        ck_assert_int_eq(store_open(dir, &s), 0);
        /* What a newer ttlockd might write: keys at the top, inside sections, and a section of its own. */
        dt_write_file(
                ldir,
                FILE_NAME,
                "version: 1\n"
                "address: \"" ADDR_UP
                "\"\n"
                "future-top: {nested: [1, two, {three: 3}], flag: true}\n"
                "credentials:\n"
                "  aes-key: \"" KEY_HEX
                "\"\n"
                "  admin-ps: 1\n"
                "  unlock-key: 2\n"
                "  future-secret: 'abc'\n"
                "settings:\n"
                "  auto-lock-seconds: 10\n"
                "  lamp-seconds: 5\n"
                "future-section:\n"
                "  - a\n"
                "  - b\n"
                "device:\n"
                "  future-chip: \"nRF52\"\n");
        ck_assert_int_eq(store_load(s, ADDR, &r), 0);
        ck_assert_int_eq(r->auto_lock_seconds, 10);
        ck_assert_ptr_nonnull(r->unknown);

        /* Change known things, drop the device section's known fields (there are none), rewrite. */
        ck_assert_int_eq(lock_record_set_string(&r->alias, "Changed"), 0);
        r->auto_lock_seconds = 0;
        ck_assert_int_eq(store_save(s, r), 0);

        text = dt_read_file(ldir, FILE_NAME);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(yaml_parser_initialize(&parser), 1);
        yaml_parser_set_input_string(&parser, (unsigned char *) text, strlen(text));
        ck_assert_int_eq(yaml_parser_load(&parser, &doc), 1);
        ck_assert_str_eq(yaml_lookup(&doc, "alias", NULL), "Changed");
        ck_assert_str_eq(yaml_lookup(&doc, "settings", "auto-lock-seconds"), "0");
        ck_assert_str_eq(yaml_lookup(&doc, "settings", "lamp-seconds"), "5");
        ck_assert_str_eq(yaml_lookup(&doc, "credentials", "future-secret"), "abc");
        ck_assert_str_eq(yaml_lookup(&doc, "device", "future-chip"), "nRF52");
        ck_assert_str_eq(yaml_lookup(&doc, "future-top", "flag"), "true");
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        ck_assert_ptr_nonnull(strstr(text, "nested: [1, two, {three: 3}]"));
        ck_assert_ptr_nonnull(strstr(text, "future-section:\n- a\n- b\n"));

        /* And a second round keeps them exactly once. */
        ck_assert_int_eq(store_load(s, ADDR, &again), 0);
        ck_assert_int_eq(store_save(s, again), 0);
        free(text);
        text = dt_read_file(ldir, FILE_NAME);
        ck_assert_ptr_nonnull(strstr(text, "lamp-seconds"));
        ck_assert_ptr_null(strstr(strstr(text, "lamp-seconds") + 1, "lamp-seconds"));
        ck_assert_ptr_null(strstr(strstr(text, "future-top") + 1, "future-top"));
        dt_rm_rf(dir);
}
END_TEST

static void assert_parse_error(const char *yaml, const char *message) {
        _cleanup_free_ char *error = NULL;
        LockRecord *r = NULL;

        ck_assert_int_eq(lock_record_from_yaml(yaml, strlen(yaml), &r, &error), -EBADMSG);
        ck_assert_ptr_null(r);
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(strstr(error, message), "error \"%s\" does not mention \"%s\"", error, message);
}

#define GOOD_CREDENTIALS "credentials: {aes-key: \"" KEY_HEX "\", admin-ps: 1, unlock-key: 2}\n"

START_TEST(test_parse_errors) {
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "x: [\n", "YAML syntax error");
        assert_parse_error("version: 2\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS, "version: format 2");
        assert_parse_error("address: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS, "version: missing");
        assert_parse_error("version: 1\n" GOOD_CREDENTIALS, "address: missing");
        assert_parse_error("version: 1\naddress: \"nope\"\n" GOOD_CREDENTIALS, "address: \"nope\"");
        assert_parse_error("version: 1\naddress: \"" ADDR_UP "\"\n", "key material missing");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\ncredentials: {admin-ps: 1, unlock-key: 2}\n",
                "key material missing");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\n"
                "credentials: {aes-key: \"0011\", admin-ps: 1, unlock-key: 2}\n",
                "credentials.aes-key: expected 32 hex digits");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\n"
                "credentials: {aes-key: \"" KEY_HEX "\", admin-ps: -1, unlock-key: 2}\n",
                "credentials.admin-ps: expected an unsigned integer");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\n"
                "credentials: {aes-key: \"" KEY_HEX "\", admin-ps: 4294967296, unlock-key: 2}\n",
                "credentials.admin-ps: expected an integer");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "settings: {sound-enabled: maybe}\n",
                "settings.sound-enabled: expected true or false");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "settings: 5\n",
                "settings: expected a mapping");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "last-known: {battery: 101}\n",
                "last-known.battery");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "features: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n",
                "features: more than 8 groups");
        assert_parse_error("[1, 2]\n", "top level: expected a mapping");
        assert_parse_error("", "empty file");
}
END_TEST

/* A damaged key file must not put its secrets into the journal through the error that describes it. */
START_TEST(test_parse_errors_keep_secrets) {
        static const char *const yaml[] = {
                "version: 1\naddress: \"" ADDR_UP "\"\ncredentials: {aes-key: \"" KEY_HEX
                "\", admin-ps: 123456789x, unlock-key: 2}\n",
                "version: 1\naddress: \"" ADDR_UP "\"\ncredentials: {aes-key: \"" KEY_HEX
                "\", admin-ps: 1, unlock-key: 99999999999999999999}\n",
                "version: 1\naddress: \"" ADDR_UP "\"\ncredentials: {aes-key: \"" KEY_HEX
                "\", admin-ps: 1, unlock-key: 2, lock-flag-pos: 77777x}\n",
        };
        static const char *const secrets[] = { "123456789", "99999999999999999999", "77777" };

        for (size_t i = 0; i < ELEMENTSOF(yaml); i++) {
                _cleanup_free_ char *error = NULL;
                LockRecord *r = NULL;

                ck_assert_int_eq(lock_record_from_yaml(yaml[i], strlen(yaml[i]), &r, &error), -EBADMSG);
                ck_assert_ptr_nonnull(error);
                ck_assert_msg(strstr(error, "credentials."), "\"%s\" does not say where", error);
                ck_assert_msg(!strstr(error, secrets[i]), "\"%s\" quotes the secret", error);
        }
}
END_TEST

/* Nine lines that stand for a billion nodes: refused at once as damaged, in bounded time and memory, as
 * is anything nested deeper or longer than a key file ever is. */
START_TEST(test_parse_refuses_aliases) {
        static const char bomb[] =
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                "i: [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
        _cleanup_free_ char *deep = NULL;
        size_t n = 0;

        assert_parse_error(bomb, "anchors and aliases");
        assert_parse_error("version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "x: &k 1\n",
                           "anchors and aliases");

        deep = malloc(4096);
        ck_assert_ptr_nonnull(deep);
        n += (size_t) sprintf(deep + n, "version: 1\nx: ");
        for (size_t i = 0; i < 100; i++)
                deep[n++] = '[';
        for (size_t i = 0; i < 100; i++)
                deep[n++] = ']';
        deep[n++] = '\n';
        deep[n] = 0;
        assert_parse_error(deep, "nested deeper");
}
END_TEST

/* Keys saved before ADD_ADMIN went out say so, and come back so. */
START_TEST(test_provisional_round_trip) {
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "Front"), *b = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t size;

        a->provisional = true;
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_ptr_nonnull(strstr(text, "provisional"));
        ck_assert_int_eq(lock_record_from_yaml(text, size, &b, &error), 0);
        ck_assert(b->provisional);
        assert_parse_error("version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "pairing: done\n",
                           "pairing: \"done\"");
}
END_TEST

START_TEST(test_describe_redacts) {
        _cleanup_(lock_record_freep) LockRecord *r = full_record(ADDR, "Front");
        _cleanup_free_ char *d = NULL;
        char num[32];

        ck_assert_int_eq(lock_record_describe(r, &d), 0);
        ck_assert_ptr_nonnull(strstr(d, ADDR_UP));
        ck_assert_ptr_nonnull(strstr(d, "<redacted>"));
        ck_assert_ptr_null(strstr(d, KEY_HEX));
        ck_assert_ptr_null(strstr(d, "00112233"));
        ck_assert_ptr_null(strstr(d, "0550731")); /* admin passcode */
        ck_assert_ptr_null(strstr(d, "246813"));  /* a passcode's id is its code */
        snprintf(num, sizeof(num), "%u", r->admin_ps);
        ck_assert_ptr_null(strstr(d, num));
        snprintf(num, sizeof(num), "%u", r->unlock_key);
        ck_assert_ptr_null(strstr(d, num));
        ck_assert_ptr_nonnull(strstr(d, "3735928559")); /* a card number is not a secret */
}
END_TEST

/* ---- files on disk ---- */

START_TEST(test_permissions) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *ldir = locks_dir(dir), *path = NULL;
        _cleanup_(lock_record_freep) LockRecord *r = full_record(ADDR, NULL);
        Store *s = NULL;
        struct stat st;
        mode_t old = umask(0);

        /* Even with umask 0 and a locks/ directory someone made world-readable. */
        ck_assert_int_eq(mkdir(ldir, 0755), 0);
        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(store_save(s, r), 0);
        ck_assert_int_eq(stat(ldir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_ge(asprintf(&path, "%s/%s", ldir, FILE_NAME), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        store_free(s);

        /* A state directory that does not exist yet is created 0700, locks/ too. */
        dt_rm_rf(dir);
        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(stat(dir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(stat(ldir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);
        store_free(s);
        umask(old);
        dt_rm_rf(dir);
}
END_TEST

START_TEST(test_damaged_moved_aside) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *ldir = locks_dir(dir), *aside = NULL, *content = NULL;
        _cleanup_(store_freep) Store *s = NULL;
        _cleanup_(lock_record_freep) LockRecord *good = full_record("11:22:33:44:55:66", "good");
        LockRecord **all = NULL;
        size_t n = 0;
        static const char garbage[] = "version: 1\naddress: [unterminated\n";

        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(store_save(s, good), 0);
        dt_write_file(ldir, "AA_AA_AA_AA_AA_01.yaml", garbage);
        dt_write_file(
                ldir,
                "AA_AA_AA_AA_AA_02.yaml",
                "version: 7\naddress: \"AA:AA:AA:AA:AA:02\"\n" GOOD_CREDENTIALS);
        dt_write_file(ldir, "AA_AA_AA_AA_AA_03.yaml", "version: 1\naddress: \"AA:AA:AA:AA:AA:03\"\n");
        /* The right content under another lock's name is damage too. */
        dt_write_file(
                ldir,
                "AA_AA_AA_AA_AA_04.yaml",
                "version: 1\naddress: \"AA:AA:AA:AA:AA:05\"\n" GOOD_CREDENTIALS);
        /* Not ours: ignored, left alone. */
        dt_write_file(ldir, "README", "hello");
        dt_write_file(ldir, "aa_aa_aa_aa_aa_06.yaml", "whatever");

        ck_assert_int_eq(store_load_all(s, &all, &n), 4);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(all[0]->address, "11:22:33:44:55:66");
        lock_records_free(all, n);

        ck_assert_uint_eq(dt_count_entries(ldir, ".broken-"), 4);
        ck_assert_uint_eq(dt_count_entries(ldir, NULL), 7);
        ck_assert_ptr_null(dt_read_file(ldir, "AA_AA_AA_AA_AA_01.yaml"));
        aside = dt_find_entry(ldir, "AA_AA_AA_AA_AA_01.yaml.broken-");
        ck_assert_ptr_nonnull(aside);
        content = dt_read_file(ldir, aside);
        ck_assert_str_eq(content, garbage); /* kept byte for byte for a human */

        /* A second start finds nothing new to complain about and still loads the good one. */
        ck_assert_int_eq(store_load_all(s, &all, &n), 0);
        ck_assert_uint_eq(n, 1);
        lock_records_free(all, n);
        ck_assert_uint_eq(dt_count_entries(ldir, ".broken-"), 4);

        /* store_load() of a broken file says so and moves it aside as well. */
        dt_write_file(ldir, "AA_AA_AA_AA_AA_01.yaml", garbage);
        ck_assert_int_eq(store_load(s, "AA:AA:AA:AA:AA:01", &all[0]), -EBADMSG);
        ck_assert_uint_eq(dt_count_entries(ldir, "AA_AA_AA_AA_AA_01.yaml.broken-"), 2);
        dt_rm_rf(dir);
}
END_TEST

/* SIGKILL a writer at random instants: the file must always be the old or the new record. */
START_TEST(test_crash_mid_write) {
        _cleanup_free_ char *dir = dt_mkdtemp(), *ldir = locks_dir(dir);
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "old"), *b = full_record(ADDR, "new");
        Store *s = NULL;
        unsigned seen_old = 0, seen_new = 0, mid_write = 0;

        /* Make the two versions differ in more than one place and in size. */
        b->admin_ps = 1;
        ck_assert_int_eq(
                lock_record_set_string(&b->model, "a much longer model name to change the file size"), 0);

        ck_assert_int_eq(store_open(dir, &s), 0);
        ck_assert_int_eq(store_save(s, a), 0);
        store_free(s);

        for (unsigned i = 0; i < 300; i++) {
                LockRecord **all = NULL;
                uint32_t delay;
                size_t n = 0;
                pid_t pid;
                int status;

                pid = fork();
                ck_assert_int_ge(pid, 0);
                if (pid == 0) {
                        Store *cs = NULL;

                        if (store_open(dir, &cs) < 0)
                                _exit(1);
                        /* Start with either record, so that a kill during the first write does not
                         * favour one outcome. */
                        for (unsigned k = (unsigned) getpid();; k++)
                                if (store_save(cs, k % 2 ? a : b) < 0)
                                        _exit(2);
                }
                ck_assert_int_eq(getrandom(&delay, sizeof(delay), 0), sizeof(delay));
                usleep(delay % 20000); /* 0–20 ms: before, during and after whole writes */
                ck_assert_int_eq(kill(pid, SIGKILL), 0);
                ck_assert_int_eq(waitpid(pid, &status, 0), pid);
                ck_assert_msg(WIFSIGNALED(status), "writer exited early with %d", WEXITSTATUS(status));
                if (dt_count_entries(ldir, ".tmp-") > 0)
                        mid_write++; /* killed between creating the temp file and the rename */

                ck_assert_int_eq(store_open(dir, &s), 0);
                ck_assert_int_eq(store_load_all(s, &all, &n), 0); /* nothing broken, ever */
                ck_assert_uint_eq(n, 1);
                ck_assert(all[0]->alias);
                if (strcmp(all[0]->alias, "old") == 0) {
                        assert_records_equal(all[0], a);
                        seen_old++;
                } else {
                        assert_records_equal(all[0], b);
                        seen_new++;
                }
                lock_records_free(all, n);
                store_free(s);
                /* load_all removed any temp file the kill left behind. */
                ck_assert_uint_eq(dt_count_entries(ldir, ".tmp-"), 0);
                ck_assert_uint_eq(dt_count_entries(ldir, NULL), 1);
        }
        /* Both outcomes happened, so the kills did land at different points of the cycle. */
        ck_assert_uint_gt(seen_old, 0);
        ck_assert_uint_gt(seen_new, 0);
        ck_assert_uint_gt(mid_write, 0);
        fprintf(stderr,
                "crash test: %u kills, %u mid-write, %u old, %u new\n",
                seen_old + seen_new,
                mid_write,
                seen_old,
                seen_new);
        dt_rm_rf(dir);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("store");
        TCase *tc = tcase_create("core");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_file_name);
        tcase_add_test(tc, test_state_directory_env);
        tcase_add_test(tc, test_round_trip_every_field);
        tcase_add_test(tc, test_round_trip_through_store);
        tcase_add_test(tc, test_credential_aliases);
        tcase_add_test(tc, test_save_too_large);
        tcase_add_test(tc, test_unknown_keys_preserved);
        tcase_add_test(tc, test_parse_errors);
        tcase_add_test(tc, test_parse_errors_keep_secrets);
        tcase_add_test(tc, test_parse_refuses_aliases);
        tcase_add_test(tc, test_provisional_round_trip);
        tcase_add_test(tc, test_describe_redacts);
        tcase_add_test(tc, test_permissions);
        tcase_add_test(tc, test_damaged_moved_aside);
        tcase_add_test(tc, test_crash_mid_write);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
