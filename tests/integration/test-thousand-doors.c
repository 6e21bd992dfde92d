/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A thousand paired doors, end to end (world.h): ttlock-sim with --locks 1000 (addresses C0:DE:00:00:00:01
 * to C0:DE:00:00:03:E8, ttlock-sim(1)), each paired with keys the test wrote into the simulator's state
 * file, and ttlockd's state directory with the same keys as 1000 key files in format 1 (store.h), written
 * directly as an office's backup would restore them. ttlockd must load and list every one, on
 * Manager1.ListLocks and the ObjectManager, and open any of them. The bound on objects applies to locks
 * seen unpaired only (lock/manager.h MANAGER_UNPAIRED_MAX). */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "world.h"

#define DOORS 1000U
#define DOOR_ADDRESS "C0:DE:00:%02X:%02X:%02X"

/* The keys of door i (1…DOORS): made up, distinct, the same on both sides. */
static void door_keys(unsigned i, char aes_hex[33], uint32_t *admin_ps, uint32_t *unlock_key) {
        snprintf(aes_hex, 33, "%08x%08x%08x%08x", 0x5eed0000U + i, i * 2654435761U, ~i, i ^ 0xa5a5a5a5U);
        *admin_ps = 100000000U + i;
        *unlock_key = 200000000U + i;
}

static void door_address(unsigned i, char ret[18]) {
        snprintf(ret, 18, DOOR_ADDRESS, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
}

static void write_text(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(text);

        ck_assert_msg(fd >= 0, "%s: %m", path);
        ck_assert_int_eq(write(fd, text, n), (ssize_t) n);
        ck_assert_int_eq(close(fd), 0);
}

/* One key file per door, as store.h describes format 1, and the simulator's state with the same keys
 * (the fields its state file has, ttlock-sim(1) --state). */
static void prepare(World *w) {
        char path[512], dir[400], text[2048], address[18], aes[33];
        FILE *sim;

        snprintf(dir, sizeof(dir), "%s/locks", w->state_dir);
        ck_assert_int_eq(mkdir(dir, 0700), 0);
        sim = fopen(w->sim_state, "we");
        ck_assert_ptr_nonnull(sim);
        fputs("version: 1\nlocks:\n", sim);

        for (unsigned i = 1; i <= DOORS; i++) {
                uint32_t admin_ps, unlock_key;

                door_address(i, address);
                door_keys(i, aes, &admin_ps, &unlock_key);
                snprintf(
                        text,
                        sizeof(text),
                        "version: 1\n"
                        "address: \"%s\"\n"
                        "alias: \"Room %u\"\n"
                        "credentials:\n"
                        "  aes-key: \"%s\"\n"
                        "  admin-ps: %" PRIu32
                        "\n"
                        "  unlock-key: %" PRIu32
                        "\n"
                        "  lock-flag-pos: 0\n"
                        "  uid: 0\n"
                        "lock-version: {protocol-type: 5, sub-version: 3, scene: 1, group-id: 1, org-id: "
                        "1}\n"
                        "features: [1883555767, 2048]\n"
                        "device: {model: \"S202F\", hardware-revision: \"1.3\", firmware-revision: "
                        "\"6.4.15.230524\"}\n",
                        address,
                        i,
                        aes,
                        admin_ps,
                        unlock_key);
                snprintf(
                        path,
                        sizeof(path),
                        "%s/%c%c_%c%c_%c%c_%c%c_%c%c_%c%c.yaml",
                        dir,
                        address[0],
                        address[1],
                        address[3],
                        address[4],
                        address[6],
                        address[7],
                        address[9],
                        address[10],
                        address[12],
                        address[13],
                        address[15],
                        address[16]);
                write_text(path, text);

                fprintf(sim,
                        "- address: %s\n"
                        "  paired: true\n"
                        "  key: %s\n"
                        "  admin-ps: %" PRIu32
                        "\n"
                        "  unlock-key: %" PRIu32
                        "\n"
                        "  lock-flag-pos: 0\n"
                        "  admin-passcode: 12345678\n"
                        "  locked: true\n"
                        "  battery: 90\n"
                        "  auto-lock-seconds: 0\n"
                        "  sound: true\n"
                        "  volume: 3\n"
                        "  remote-unlock: false\n"
                        "  show-password: false\n"
                        "  frozen: false\n"
                        "  lamp-seconds: 0\n"
                        "  switch-values: 0\n"
                        "  clock-offset-usec: 0\n"
                        "  record-counter: 0\n"
                        "  passage-modes: []\n"
                        "  passcodes: []\n"
                        "  cards: []\n"
                        "  fingerprints: []\n"
                        "  log: []\n"
                        "  log-unread: 0\n",
                        address,
                        aes,
                        admin_ps,
                        unlock_key);
        }
        ck_assert_int_eq(fclose(sim), 0);
}

/* Records in the event archive of the door at path (Settings1.GetHistory). */
static bool door_has_history(World *w, const void *path) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        bool any;

        ck_assert_int_ge(
                sd_bus_call_method(
                        w->client,
                        "org.ttlock.Manager",
                        path,
                        "org.ttlock.Settings1",
                        "GetHistory",
                        &e,
                        &reply,
                        "tu",
                        UINT64_C(0),
                        0u),
                0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "a{sv}"), 0);
        any = sd_bus_message_at_end(reply, false) == 0;
        sd_bus_message_unref(reply);
        return any;
}

/* How many of the paths in reply (ao) are doors of ours. */
static unsigned count_doors(sd_bus_message *reply) {
        const char *p;
        unsigned n = 0;

        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "o"), 0);
        while (sd_bus_message_read(reply, "o", &p) > 0)
                n += strncmp(p, "/org/ttlock/Lock/C0_DE_00_", 26) == 0;
        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        return n;
}

/* GetManagedObjects: the doors with Lock1.Paired = true. */
static unsigned count_paired_objects(World *w) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        unsigned n = 0;
        const char *path;

        ck_assert_int_ge(
                sd_bus_call_method(
                        w->client,
                        "org.ttlock.Manager",
                        "/org/ttlock",
                        "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects",
                        &e,
                        &reply,
                        ""),
                0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                bool door;

                ck_assert_int_ge(sd_bus_message_read(reply, "o", &path), 0);
                door = strncmp(path, "/org/ttlock/Lock/C0_DE_00_", 26) == 0;
                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        const char *iface;

                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &iface), 0);
                        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
                        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                const char *prop;
                                int b;

                                ck_assert_int_ge(sd_bus_message_read(reply, "s", &prop), 0);
                                if (door && strcmp(iface, "org.ttlock.Lock1") == 0 &&
                                    strcmp(prop, "Paired") == 0) {
                                        ck_assert_int_ge(sd_bus_message_read(reply, "v", "b", &b), 0);
                                        n += b;
                                } else
                                        ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                        }
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        }
        sd_bus_message_unref(reply);
        return n;
}

START_TEST(test_thousand_paired_doors) {
        /* Adverts every 5 s: a thousand doors at the 200 ms of the other tests would be 5000 a second. */
        World w = { .sim_args =
                            (const char *const[]){ "--locks", "1000", "--advert-interval-ms", "5000", NULL },
                    .prepare = prepare };
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *door = "/org/ttlock/Lock/C0_DE_00_00_01_F4"; /* door 500 */
        const char *sim_door = "/org/bluez/hci0/dev_C0_DE_00_00_01_F4";
        struct rlimit rl;
        char *alias;
        int locked = -1;

        /* As a service starts: systemd gives it a soft limit of 1024 descriptors (systemd.exec(5)
         * LimitNOFILE=), fewer than a thousand doors' event archives hold open. Not under a wrapper:
         * valgrind keeps the limit its client starts with and refuses to raise it. */
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
        ck_assert_msg(
                rl.rlim_max >= 4096,
                "the hard limit of descriptors (%ju) is too low for this test",
                (uintmax_t) rl.rlim_max);
        if (!test_wrapper()) {
                rl.rlim_cur = 1024;
                ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
        }
        world_start(&w);

        ck_assert_int_ge(sd_bus_call_method(w.client, WORLD_MANAGER, "ListLocks", &e, &reply, ""), 0);
        ck_assert_uint_eq(count_doors(reply), DOORS);
        reply = sd_bus_message_unref(reply);
        ck_assert_uint_eq(count_paired_objects(&w), DOORS);

        alias = world_get_string(&w, "org.ttlock.Manager", door, "org.ttlock.Lock1", "Alias");
        ck_assert_str_eq(alias, "Room 500");
        free(alias);
        ck_assert_msg(
                !world_call(&w, "org.ttlock.Manager", door, "org.ttlock.Lock1", "Unlock", NULL),
                "door 500 did not open");
        ck_assert_int_ge(
                sd_bus_get_property_trivial(
                        w.client, "org.bluez", sim_door, "org.ttlock.Sim1", "Locked", &e, 'b', &locked),
                0);
        ck_assert_int_eq(locked, 0);

        /* The last one too, and the first is still known after all that. */
        ck_assert(!world_call(
                &w,
                "org.ttlock.Manager",
                "/org/ttlock/Lock/C0_DE_00_00_03_E8",
                "org.ttlock.Lock1",
                "Unlock",
                NULL));
        ck_assert(world_get_bool(
                &w,
                "org.ttlock.Manager",
                "/org/ttlock/Lock/C0_DE_00_00_00_01",
                "org.ttlock.Lock1",
                "Paired"));

        /* Someone at the last door turns the key: its event reaches that door's archive. */
        ck_assert_int_ge(
                sd_bus_call_method(
                        w.client,
                        "org.bluez",
                        "/org/bluez/hci0/dev_C0_DE_00_00_03_E8",
                        "org.ttlock.Sim1",
                        "TurnKnob",
                        &e,
                        NULL,
                        "b",
                        false),
                0);
        ck_assert_msg(
                world_wait(&w, door_has_history, "/org/ttlock/Lock/C0_DE_00_00_03_E8", 2 * WORLD_TIMEOUT),
                "the last door's event did not reach its archive");
        world_stop(&w);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("thousand-doors");
        TCase *tc = tcase_create("doors");

        tcase_set_timeout(tc, 300);
        tcase_add_test(tc, test_thousand_paired_doors);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(make_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
