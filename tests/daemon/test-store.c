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
#include "string-util.h"
#include "tt-test.h"

#define ADDR "aa:bb:cc:dd:ee:01"
#define ADDR_UP "AA:BB:CC:DD:EE:01"
#define FILE_NAME "AA_BB_CC_DD_EE_01.yaml"
#define KEY_HEX "00112233445566778899aabbccddeeff"

/* A record with every field set, strings chosen to need quoting/escaping in YAML. */
#define GOOD_CREDENTIALS "credentials: {aes-key: \"" KEY_HEX "\", admin-ps: 1, unlock-key: 2}\n"

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
        ck_assert_int_eq(lock_record_set_string(&r->connection_policy, "keep-alive"), 0);
        r->keep_alive_seconds = 45;
        ck_assert_int_eq(lock_record_set_credential_cycles(
                                 r, "passcode", "4711",
                                 (const TTCycle[]){ { 1, 480, 720 }, { 3, 480, 720 }, { 7, 1320, 1440 } }, 3),
                         0);
        ck_assert_int_eq(lock_record_set_credential_cycles(r, "ic-card", "3735928559",
                                                           (const TTCycle[]){ { 6, 0, 59 } }, 1),
                         0);
        r->pairing_pending = PAIRING_STEP_BIT(PAIRING_STEP_TIME) | PAIRING_STEP_BIT(PAIRING_STEP_FINISH);
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
        ck_assert_uint_eq(a->n_credential_cycles, b->n_credential_cycles);
        for (size_t i = 0; i < a->n_credential_cycles; i++) {
                ck_assert_str_eq(a->credential_cycles[i].kind, b->credential_cycles[i].kind);
                ck_assert_str_eq(a->credential_cycles[i].id, b->credential_cycles[i].id);
                ck_assert_uint_eq(a->credential_cycles[i].n_cycles, b->credential_cycles[i].n_cycles);
                for (size_t j = 0; j < a->credential_cycles[i].n_cycles; j++)
                        ck_assert(ttlock_cycle_equal(&a->credential_cycles[i].cycles[j],
                                                     &b->credential_cycles[i].cycles[j]));
        }
        ck_assert_uint_eq(a->pairing_pending, b->pairing_pending);
        ck_assert_int_eq(a->has_log_cursor, b->has_log_cursor);
        ck_assert_uint_eq(a->log_cursor_identity, b->log_cursor_identity);
        ck_assert_uint_eq(a->log_cursor_time_usec, b->log_cursor_time_usec);
        ck_assert_int_eq(a->has_log_sequence, b->has_log_sequence);
        ck_assert_uint_eq(a->log_sequence, b->log_sequence);
        ck_assert_int_eq(a->battery, b->battery);
        assert_str_eq_null(a->state, b->state);
        ck_assert_uint_eq(a->state_updated_usec, b->state_updated_usec);
        assert_str_eq_null(a->connection_policy, b->connection_policy);
        ck_assert_uint_eq(a->keep_alive_seconds, b->keep_alive_seconds);
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

/* Weekly windows (§4.9) and pending pairing steps (§5.6): set, replace, rename, drop; and the file. */
START_TEST(test_credential_cycles) {
        _cleanup_(lock_record_freep) LockRecord *r = full_record(ADDR, NULL), *b = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        const TTCycle *c;
        size_t n, size;

        c = lock_record_get_credential_cycles(r, "passcode", "4711", &n);
        ck_assert_uint_eq(n, 3);
        ck_assert_uint_eq(c[2].end_minute, 1440);
        ck_assert_ptr_null(lock_record_get_credential_cycles(r, "passcode", "4712", &n));
        ck_assert_uint_eq(n, 0);

        ck_assert_int_eq(lock_record_to_yaml(r, &text, &size), 0);
        ck_assert_ptr_nonnull(strstr(text, "cycles: [\"1 08:00-12:00\", \"3 08:00-12:00\", \"7 22:00-24:00\"]"));
        ck_assert_ptr_nonnull(strstr(text, "pairing-pending: [time, finish]"));

        /* A new code takes its windows along; a window that ends before it starts is refused. */
        ck_assert_int_eq(lock_record_rename_credential_cycles(r, "passcode", "4711", "4712"), 0);
        ck_assert_ptr_null(lock_record_get_credential_cycles(r, "passcode", "4711", &n));
        ck_assert_ptr_nonnull(lock_record_get_credential_cycles(r, "passcode", "4712", &n));
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(lock_record_set_credential_cycles(r, "ic-card", "1", (const TTCycle[]){ { 1, 9, 9 } }, 1),
                         -EINVAL);
        ck_assert_int_eq(lock_record_set_credential_cycles(r, "face", "1", (const TTCycle[]){ { 1, 8, 9 } }, 1),
                         -EINVAL);
        ck_assert_int_eq(lock_record_set_credential_cycles(r, "ic-card", "3735928559", NULL, 0), 0);
        ck_assert_uint_eq(r->n_credential_cycles, 1);
        lock_record_drop_credential_cycles(r, "passcode");
        ck_assert_uint_eq(r->n_credential_cycles, 0);

        /* Unknown step names (a newer ttlockd's) are dropped, not fatal. */
        {
                static const char yaml[] = "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                                           "pairing-pending: [features, teleport]\n";

                ck_assert_int_eq(lock_record_from_yaml(yaml, strlen(yaml), &b, &error), 0);
        }
        ck_assert_uint_eq(b->pairing_pending, PAIRING_STEP_BIT(PAIRING_STEP_FEATURES));
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

START_TEST(test_parse_errors) {
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "connection: {keep-alive-seconds: -3}\n",
                "connection.keep-alive-seconds: expected an unsigned integer");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "connection: [1]\n",
                "connection: expected a mapping");
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
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "credential-cycles: [{kind: ic-card, id: \"1\", cycles: [\"1 12:00-08:00\"]}]\n",
                "credential-cycles[0].cycles: \"1 12:00-08:00\" is not \"WEEKDAY HH:MM-HH:MM\"");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                "credential-cycles: [{kind: ic-card, id: \"1\"}]\n",
                "credential-cycles[0]: needs kind, id and cycles");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS "pairing-pending: time\n",
                "pairing-pending: expected a list");
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

/* An eKey's record (doc/lockdata.md §4): role user, no admin password, its window and the lock's zone
 * come back as they went, and an admin's record still looks as it did before roles. */
START_TEST(test_user_round_trip) {
        _cleanup_(lock_record_freep) LockRecord *a = full_record(ADDR, "Guest key"), *b = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t size;

        a->role = LOCK_ROLE_USER;
        a->admin_ps = 0;
        a->valid_from_usec = 1767225600000000ULL;
        a->valid_until_usec = 1798761600123456ULL;
        a->has_time_zone = true;
        a->time_zone_offset_sec = -9 * 3600 - 30 * 60;
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_ptr_nonnull(strstr(text, "role: \"user\"\n"));
        ck_assert_ptr_nonnull(strstr(text, "time-zone-offset-seconds: -34200\n"));
        ck_assert_ptr_nonnull(strstr(text, "valid-until-usec: 1798761600123456\n"));
        ck_assert_ptr_null(strstr(text, "admin-ps"));
        ck_assert_int_eq(lock_record_from_yaml(text, size, &b, &error), 0);
        assert_records_equal(a, b);

        /* The admin's: its role, no window, no zone written. */
        b = lock_record_free(b);
        free(text);
        a->role = LOCK_ROLE_ADMIN;
        a->admin_ps = 17;
        a->valid_from_usec = a->valid_until_usec = 0;
        a->has_time_zone = false;
        a->time_zone_offset_sec = 0;
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_ptr_nonnull(strstr(text, "role: \"admin\"\n"));
        ck_assert_ptr_null(strstr(text, "valid-"));
        ck_assert_ptr_null(strstr(text, "time-zone"));
        ck_assert_ptr_nonnull(strstr(text, "admin-ps: 17\n"));
        ck_assert_int_eq(lock_record_from_yaml(text, size, &b, &error), 0);
        assert_records_equal(a, b);
}
END_TEST

#define USER_CREDENTIALS "credentials: {aes-key: \"" KEY_HEX "\", unlock-key: 2}\n"

START_TEST(test_user_parse_errors) {
        static const char head[] = "version: 1\naddress: \"" ADDR_UP "\"\n";
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        _cleanup_free_ char *error = NULL;
        char *yaml = NULL;

        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\nrole: root\n" GOOD_CREDENTIALS,
                "role: \"root\" is not admin or user");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\n" USER_CREDENTIALS, "key material missing");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP "\"\nrole: user\n" GOOD_CREDENTIALS,
                "a user record has no admin password");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\nrole: user\n"
                "credentials: {aes-key: \"" KEY_HEX "\"}\n",
                "a user needs aes-key and unlock-key");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\nrole: user\ntime-zone-offset-seconds: 90000\n" USER_CREDENTIALS,
                "time-zone-offset-seconds: expected an integer -57600");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\nrole: user\ntime-zone-offset-seconds: +3600\n" USER_CREDENTIALS,
                "time-zone-offset-seconds: expected an integer");
        assert_parse_error(
                "version: 1\naddress: \"" ADDR_UP
                "\"\nrole: user\nvalid-from-usec: 5\n"
                "valid-until-usec: 5\n" USER_CREDENTIALS,
                "valid-until-usec: not after valid-from-usec");

        /* The role may come after the credentials; one side of the window may be open. */
        ck_assert_int_ge(
                asprintf(
                        &yaml,
                        "%s%s%s",
                        head,
                        USER_CREDENTIALS,
                        "role: user\ntime-zone-offset-seconds: 0\nvalid-until-usec: 9\n"),
                0);
        ck_assert_int_eq(lock_record_from_yaml(yaml, strlen(yaml), &r, &error), 0);
        free(yaml);
        ck_assert_int_eq(r->role, LOCK_ROLE_USER);
        ck_assert_uint_eq(r->valid_from_usec, 0);
        ck_assert_uint_eq(r->valid_until_usec, 9);
        ck_assert(r->has_time_zone);
        ck_assert_int_eq(r->time_zone_offset_sec, 0);
}
END_TEST

/* Re-importing swaps the keys in and, when the save fails, back out: nothing else of the record moves. */
START_TEST(test_swap_keys) {
        _cleanup_(lock_record_freep) LockRecord *old = full_record(ADDR, "Front"), *new = NULL, *copy = NULL;
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t size;

        ck_assert_int_eq(lock_record_to_yaml(old, &text, &size), 0);
        ck_assert_int_eq(lock_record_from_yaml(text, size, &copy, &error), 0);
        ck_assert_int_eq(lock_record_new(ADDR, &new), 0);
        memset(new->aes_key, 0x5a, sizeof(new->aes_key));
        new->role = LOCK_ROLE_USER;
        new->unlock_key = 99;
        new->lock_flag_pos = 8;
        new->uid = 1000;
        new->valid_until_usec = 12345;
        new->has_time_zone = true;
        new->time_zone_offset_sec = 3600;

        lock_record_swap_keys(old, new);
        ck_assert_int_eq(old->role, LOCK_ROLE_USER);
        ck_assert_uint_eq(old->aes_key[0], 0x5a);
        ck_assert_uint_eq(old->unlock_key, 99);
        ck_assert_uint_eq(old->lock_flag_pos, 8);
        ck_assert_uint_eq(old->uid, 1000);
        ck_assert_uint_eq(old->valid_until_usec, 12345);
        ck_assert_int_eq(old->time_zone_offset_sec, 3600);
        ck_assert_ptr_null(old->admin_passcode);
        /* What is not a key stayed. */
        ck_assert_str_eq(old->alias, "Front");
        ck_assert_uint_eq(old->n_credential_aliases, 3);
        ck_assert_uint_eq(old->log_cursor_identity, copy->log_cursor_identity);

        lock_record_swap_keys(old, new);
        assert_records_equal(old, copy);
        ck_assert_int_eq(new->role, LOCK_ROLE_USER);
        ck_assert_uint_eq(new->unlock_key, 99);
}
END_TEST

/* ExportLocks: a comment and one document per lock, read back document by document, a broken one
 * named without stopping the others. */
START_TEST(test_export_round_trip) {
        _cleanup_(lock_record_freep)
                LockRecord *a = full_record(ADDR, "Front"),
                           *b = full_record("aa:bb:cc:dd:ee:02", "Back: \"door\"\n---\n"), *c = NULL;
        const LockRecord *all[3];
        _cleanup_free_ char *error = NULL;
        StoreExportEntry *entries = NULL;
        char *text = NULL, *broken = NULL, *p;
        size_t size, n = 0;

        ck_assert_int_eq(lock_record_new("aa:bb:cc:dd:ee:03", &c), 0);
        memset(c->aes_key, 0x11, sizeof(c->aes_key));
        c->role = LOCK_ROLE_USER;
        c->valid_from_usec = 1;
        c->valid_until_usec = 2;
        c->provisional = true;
        all[0] = a;
        all[1] = b;
        all[2] = c;
        ck_assert_int_eq(store_export_to_yaml(all, 3, &text, &size), 0);
        ck_assert_uint_eq(strlen(text), size);
        ck_assert(startswith(text, "# ttlockd key export"));
        ck_assert_int_eq(store_export_from_yaml(text, size, &entries, &n, &error), 0);
        ck_assert_uint_eq(n, 3);
        for (size_t i = 0; i < n; i++) {
                ck_assert_msg(entries[i].record, "%s: %s", entries[i].label, entries[i].error);
                ck_assert_str_eq(entries[i].label, all[i]->address);
                assert_records_equal(all[i], entries[i].record);
        }
        store_export_entries_free(entries, n);

        /* The second document damaged: the others still come back, the broken one says why. */
        p = strstr(text, "address: \"AA:BB:CC:DD:EE:02\"");
        ck_assert_ptr_nonnull(p);
        ck_assert_int_ge(
                asprintf(
                        &broken,
                        "%.*saddress: \"nope\"%s",
                        (int) (p - text),
                        text,
                        p + strlen("address: \"AA:BB:CC:DD:EE:02\"")),
                0);
        ck_assert_int_eq(store_export_from_yaml(broken, strlen(broken), &entries, &n, &error), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_ptr_nonnull(entries[0].record);
        ck_assert_ptr_null(entries[1].record);
        ck_assert_str_eq(entries[1].label, "document 2");
        ck_assert_ptr_nonnull(strstr(entries[1].error, "address: \"nope\""));
        ck_assert_ptr_nonnull(entries[2].record);
        store_export_entries_free(entries, n);
        free(broken);
        store_text_free(text, size);

        /* One key file is an export of one lock, also behind a byte-order mark (a Windows editor). */
        ck_assert_int_eq(lock_record_to_yaml(a, &text, &size), 0);
        ck_assert_int_eq(store_export_from_yaml(text, size, &entries, &n, &error), 0);
        ck_assert_uint_eq(n, 1);
        assert_records_equal(a, entries[0].record);
        store_export_entries_free(entries, n);
        ck_assert_int_ge(asprintf(&broken, "\xEF\xBB\xBF%s", text), 0);
        ck_assert_int_eq(store_export_from_yaml(broken, strlen(broken), &entries, &n, &error), 0);
        ck_assert_uint_eq(n, 1);
        assert_records_equal(a, entries[0].record);
        store_export_entries_free(entries, n);
        free(broken);
        store_text_free(text, size);
}
END_TEST

START_TEST(test_export_hostile) {
        _cleanup_free_ char *many = NULL;
        StoreExportEntry *entries = NULL;
        size_t n = 0, len = 0;
        char *error = NULL;

        ck_assert_int_eq(store_export_from_yaml("# nothing\n", 10, &entries, &n, &error), -EBADMSG);
        ck_assert_str_eq(error, "no document");
        free(error);
        ck_assert_int_eq(store_export_from_yaml("---\n[\n", 6, &entries, &n, &error), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(error, "YAML syntax error"));
        free(error);

        /* More documents than locks one input may name. */
        many = malloc(8 * (STORE_EXPORT_RECORDS_MAX + 2));
        ck_assert_ptr_nonnull(many);
        for (size_t i = 0; i < STORE_EXPORT_RECORDS_MAX + 1; i++)
                len += (size_t) sprintf(many + len, "--- 1\n");
        ck_assert_int_eq(store_export_from_yaml(many, len, &entries, &n, &error), -EBADMSG);
        ck_assert_ptr_nonnull(strstr(error, "more than 256 documents"));
        free(error);

        /* An alias in one document: that one is broken, as a key file would be. */
        static const char aliased[] = "---\nversion: 1\naddress: \"" ADDR_UP "\"\n" GOOD_CREDENTIALS
                                      "x: &a 1\n"
                                      "---\nversion: 1\naddress: \"AA:BB:CC:DD:EE:02\"\n" GOOD_CREDENTIALS;
        ck_assert_int_eq(store_export_from_yaml(aliased, strlen(aliased), &entries, &n, &error), 0);
        ck_assert_uint_eq(n, 2);
        ck_assert_ptr_null(entries[0].record);
        ck_assert_ptr_nonnull(strstr(entries[0].error, "anchors and aliases"));
        ck_assert_ptr_nonnull(entries[1].record);
        store_export_entries_free(entries, n);
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
        tcase_add_test(tc, test_credential_cycles);
        tcase_add_test(tc, test_save_too_large);
        tcase_add_test(tc, test_unknown_keys_preserved);
        tcase_add_test(tc, test_parse_errors);
        tcase_add_test(tc, test_parse_errors_keep_secrets);
        tcase_add_test(tc, test_parse_refuses_aliases);
        tcase_add_test(tc, test_provisional_round_trip);
        tcase_add_test(tc, test_user_round_trip);
        tcase_add_test(tc, test_user_parse_errors);
        tcase_add_test(tc, test_swap_keys);
        tcase_add_test(tc, test_export_round_trip);
        tcase_add_test(tc, test_export_hostile);
        tcase_add_test(tc, test_describe_redacts);
        tcase_add_test(tc, test_permissions);
        tcase_add_test(tc, test_damaged_moved_aside);
        tcase_add_test(tc, test_crash_mid_write);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
