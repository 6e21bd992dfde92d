/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The helpers of src/common every program relies on: the string helpers, the one address parser, the
 * string-keyed hash map and the a{sv} reader. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bt-address.h"
#include "bus-dict.h"
#include "hashmap.h"
#include "macro.h"
#include "string-util.h"
#include "tt-test.h"

START_TEST(test_string_util) {
        char *p = NULL;

        ck_assert(streq_ptr(NULL, NULL));
        ck_assert(!streq_ptr("a", NULL));
        ck_assert(!streq_ptr(NULL, "a"));
        ck_assert(streq_ptr("a", "a"));
        ck_assert(strendswith("lock.yaml", ".yaml"));
        ck_assert(strendswith("x", ""));
        ck_assert(!strendswith("yaml", ".yaml"));
        ck_assert(startswith("hci0", "hci"));
        ck_assert(!startswith("hc", "hci"));
        ck_assert_str_eq(strempty_or(NULL), "");
        ck_assert(isempty(NULL) && isempty("") && !isempty(" "));

        ck_assert_int_eq(strdup_replace(&p, "one"), 1);
        ck_assert_str_eq(p, "one");
        ck_assert_int_eq(strdup_replace(&p, "one"), 0);
        ck_assert_int_eq(strdup_replace(&p, "two"), 1);
        ck_assert_str_eq(p, "two");
        ck_assert_int_eq(strdup_replace(&p, NULL), 1);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(strdup_replace(&p, NULL), 0);
}
END_TEST

START_TEST(test_bt_address) {
        static const char *const bad[] = {
                "", "AA:BB:CC:DD:EE", "AA:BB:CC:DD:EE:FF:", " AA:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:FG",
                "AA-BB-CC-DD-EE-FF", "AAA:BB:CC:DD:EE:F", "AA:BB:CC:DD:EE:F", "AA:BB:CC:DD:EE:FF\n",
        };
        char a[BT_ADDRESS_SIZE];

        ck_assert_int_eq(bt_address_normalize("aa:bb:cc:0d:ee:ff", a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:0D:EE:FF");
        ck_assert_int_eq(bt_address_parse("AA_BB_CC_DD_EE_FF", '_', true, a), 0);
        ck_assert_str_eq(a, "AA:BB:CC:DD:EE:FF");
        ck_assert_int_eq(bt_address_parse("aa_BB_CC_DD_EE_FF", '_', true, a), -EINVAL);
        ck_assert_str_eq(a, "AA:BB:CC:DD:EE:FF"); /* untouched on failure */
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ck_assert_msg(!bt_address_valid(bad[i]), "accepted \"%s\"", bad[i]);
}
END_TEST

typedef struct Item {
        char key[16];
        int value;
} Item;

START_TEST(test_hashmap) {
        enum { N = 5000 };
        Hashmap *h = NULL;
        Item *items = calloc(N, sizeof(Item));
        size_t seen = 0;
        void *v;
        const char *k;

        ck_assert_ptr_nonnull(items);
        ck_assert_int_eq(hashmap_new(&h), 0);
        for (int i = 0; i < N; i++) {
                snprintf(items[i].key, sizeof(items[i].key), "key-%d", i);
                items[i].value = i;
                ck_assert_int_eq(hashmap_put(h, items[i].key, &items[i]), 0);
        }
        ck_assert_uint_eq(hashmap_size(h), N);
        /* A second value under a key that is present changes nothing. */
        ck_assert_int_eq(hashmap_put(h, "key-7", &items[8]), -EEXIST);
        ck_assert_ptr_eq(hashmap_get(h, "key-7"), &items[7]);
        ck_assert_ptr_null(hashmap_get(h, "key-5000"));
        for (int i = 0; i < N; i += 2)
                ck_assert_ptr_eq(hashmap_remove(h, items[i].key), &items[i]);
        ck_assert_ptr_null(hashmap_remove(h, "key-0"));
        ck_assert_uint_eq(hashmap_size(h), N / 2);

        /* Every remaining entry once; removing the one just returned is allowed. */
        for (HashmapIter i = HASHMAP_ITER_FIRST; hashmap_iterate(h, &i, &v, &k);) {
                Item *it = v;

                ck_assert_int_eq(it->value % 2, 1);
                ck_assert_str_eq(k, it->key);
                ck_assert_ptr_eq(hashmap_remove(h, k), it);
                seen++;
        }
        ck_assert_uint_eq(seen, N / 2);
        ck_assert_uint_eq(hashmap_size(h), 0);
        hashmap_free(h);
        free(items);
}
END_TEST

/* A method call to fill. sd-bus makes messages only for a started bus: one end of a socket pair is
 * enough, nothing is ever sent. */
static sd_bus_message *new_message(void) {
        sd_bus_message *m = NULL;
        sd_bus *bus = NULL;
        int fds[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ck_assert_int_ge(sd_bus_new(&bus), 0);
        ck_assert_int_ge(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        ck_assert_int_ge(sd_bus_start(bus), 0);
        ck_assert_int_ge(sd_bus_message_new_method_call(bus, &m, "org.example", "/", "org.example", "M"), 0);
        sd_bus_close_unref(bus); /* the message keeps what it needs */
        close(fds[1]);
        return m;
}

/* Sealed and rewound for reading. */
static sd_bus_message *seal(sd_bus_message *m) {
        ck_assert_int_ge(sd_bus_message_seal(m, 1, 0), 0);
        ck_assert_int_ge(sd_bus_message_rewind(m, true), 0);
        return m;
}

/* A message with one a{sv}, built by fill(). */
static sd_bus_message *dict_message(int (*fill)(sd_bus_message *m)) {
        sd_bus_message *m = new_message();

        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
        ck_assert_int_ge(fill(m), 0);
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
        return seal(m);
}

typedef struct Options {
        const char *name;
        uint8_t level;
        int levels;
        int unknown;
} Options;

static int opt_name(sd_bus_message *m, const char *key, void *userdata) {
        return bus_dict_read_basic(m, 's', &((Options *) userdata)->name);
}

static int opt_level(sd_bus_message *m, const char *key, void *userdata) {
        Options *o = userdata;
        int r = bus_dict_read_basic(m, 'y', &o->level);

        o->levels += r > 0;
        return r;
}

static int opt_unknown(sd_bus_message *m, const char *key, void *userdata) {
        ((Options *) userdata)->unknown++;
        return streq(key, "refuse") ? -EINVAL : bus_dict_skip(m, key, userdata);
}

static int fill_typed(sd_bus_message *m) {
        return sd_bus_message_append(m, "{sv}{sv}{sv}{sv}", "name", "s", "shed", "other", "u", 7u, "level", "s",
                                     "high", "level", "y", 42);
}

static int fill_refused(sd_bus_message *m) {
        return sd_bus_message_append(m, "{sv}{sv}", "mystery", "b", 1, "refuse", "as", 1, "x");
}

static int fill_nothing(sd_bus_message *m) {
        return 0;
}

START_TEST(test_bus_dict) {
        static const BusDictField fields[] = {
                { "name", opt_name },
                { "level", opt_level },
        };
        static const BusDictField strict[] = {
                { "name", opt_name },
                { NULL, opt_unknown },
        };
        sd_bus_message *m;
        Options o = {};

        /* Known keys read, a value of another type skipped, an unknown key skipped. */
        m = dict_message(fill_typed);
        ck_assert_int_eq(bus_dict_read(m, fields, ELEMENTSOF(fields), &o), 4);
        ck_assert_str_eq(o.name, "shed");
        ck_assert_int_eq(o.levels, 1);
        ck_assert_uint_eq(o.level, 42);
        ck_assert_int_eq(sd_bus_message_at_end(m, true), 1);
        sd_bus_message_unref(m);

        /* The catch-all sees unknown keys and may refuse them. */
        o = (Options){};
        m = dict_message(fill_refused);
        ck_assert_int_eq(bus_dict_read(m, strict, ELEMENTSOF(strict), &o), -EINVAL);
        ck_assert_int_eq(o.unknown, 2);
        sd_bus_message_unref(m);

        m = dict_message(fill_nothing);
        ck_assert_int_eq(bus_dict_read(m, strict, ELEMENTSOF(strict), &o), 0);
        sd_bus_message_unref(m);
}
END_TEST

/* Two objects' worth of interfaces, a{sa{sv}}. */
static sd_bus_message *interfaces_message(void) {
        sd_bus_message *m = new_message();

        ck_assert_int_ge(sd_bus_message_append(m, "a{sa{sv}}", 2, "org.example.A", 1, "name", "s", "a",
                                               "org.example.B", 2, "name", "s", "b", "level", "y", 7),
                         0);
        return seal(m);
}

static int on_interface(sd_bus_message *m, const char *interface, void *userdata) {
        static const BusDictField fields[] = {
                { "name", opt_name },
                { "level", opt_level },
        };
        Options *o = userdata;

        if (!streq(interface, "org.example.B"))
                return sd_bus_message_skip(m, "a{sv}");
        return bus_dict_read(m, fields, ELEMENTSOF(fields), o);
}

START_TEST(test_bus_interfaces) {
        sd_bus_message *m = interfaces_message();
        Options o = {};

        ck_assert_int_eq(bus_interfaces_read(m, on_interface, &o), 2);
        ck_assert_str_eq(o.name, "b");
        ck_assert_uint_eq(o.level, 7);
        ck_assert_int_eq(sd_bus_message_at_end(m, true), 1);
        sd_bus_message_unref(m);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("common");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_string_util);
        tcase_add_test(tc, test_bt_address);
        tcase_add_test(tc, test_hashmap);
        tcase_add_test(tc, test_bus_dict);
        tcase_add_test(tc, test_bus_interfaces);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
