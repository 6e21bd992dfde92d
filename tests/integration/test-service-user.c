/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ttlockd as its own system user, end to end (world.h): the user that the project's sysusers.d file
 * creates (systemd/ttlockd.sysusers, run through systemd-sysusers), in the group bluetooth as
 * ttlockd.service puts it (User=, SupplementaryGroups=), on a private bus whose policy is the project's
 * dbus/org.ttlock.Manager.conf and BlueZ's at its strictest (bluez-group-only.conf: root and the group
 * bluetooth only). It owns its name, reaches the simulator through its group, keeps its keys in a state
 * directory of its own, and asks polkit about its callers (the actions name it as their owner).
 *
 * The user exists only inside this test: a private mount namespace (inherited by dbus-daemon, polkitd,
 * ttlock-sim and ttlockd) shows copies of /etc/passwd, group, shadow and gshadow to which
 * systemd-sysusers --root has added what the sysusers.d file asks for. Needs root, as CI runs it. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "world.h"

#define SERVICE_USER "ttlockd"

static const char *const etc_files[] = { "passwd", "group", "shadow", "gshadow" };
static const char *const polkit_dirs[] = { "/usr/share/polkit-1/actions", "/etc/polkit-1/rules.d" };
static char users_dir[64];

static void copy_file(const char *from, const char *to) {
        char buf[65536];
        int in, out;
        ssize_t n;

        in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0 && errno == ENOENT)
                return; /* gshadow is optional */
        ck_assert_msg(in >= 0, "%s: %m", from);
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_msg(out >= 0, "%s: %m", to);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                ck_assert_int_eq(write(out, buf, (size_t) n), n);
        ck_assert_int_eq(n, 0);
        ck_assert_int_eq(fchmod(out, 0644), 0);
        close(in);
        close(out);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* A private mount namespace in which the project's sysusers.d entries exist. */
static void users_from_sysusers(void) {
        char path[128], etc[96];
        pid_t pid;
        int status;

        ck_assert_msg(geteuid() == 0, "this test needs root (private mount namespace, setpriv)");
        ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
        ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
        snprintf(users_dir, sizeof(users_dir), "/tmp/ttlockd-users-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(users_dir));
        snprintf(etc, sizeof(etc), "%s/etc", users_dir);
        ck_assert_int_eq(mkdir(etc, 0755), 0);
        for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
                char from[64];

                snprintf(from, sizeof(from), "/etc/%s", etc_files[i]);
                snprintf(path, sizeof(path), "%s/%s", etc, etc_files[i]);
                copy_file(from, path);
        }

        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                execlp("systemd-sysusers",
                       "systemd-sysusers",
                       "--root",
                       users_dir,
                       world_env_path("TTLOCK_SYSUSERS"),
                       (char *) NULL);
                _exit(127);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "systemd-sysusers failed");

        for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
                char to[64];

                snprintf(path, sizeof(path), "%s/%s", etc, etc_files[i]);
                snprintf(to, sizeof(to), "/etc/%s", etc_files[i]);
                if (access(path, F_OK) < 0 || access(to, F_OK) < 0)
                        continue;
                ck_assert_msg(mount(path, to, NULL, MS_BIND, NULL) == 0, "bind %s: %m", to);
        }

        /* polkitd reads every action and rule in these directories, also what other test runs on the
         * machine installed there (older copies of the same actions): in this namespace, ours alone. */
        for (size_t i = 0; i < ELEMENTSOF(polkit_dirs); i++)
                if (access(polkit_dirs[i], F_OK) >= 0)
                        ck_assert_msg(
                                mount("tmpfs", polkit_dirs[i], "tmpfs", 0, "mode=0755") == 0,
                                "tmpfs on %s: %m",
                                polkit_dirs[i]);
}

static void users_done(void) {
        for (size_t i = 0; i < ELEMENTSOF(polkit_dirs); i++)
                (void) umount2(polkit_dirs[i], MNT_DETACH);
        for (size_t i = 0; i < ELEMENTSOF(etc_files); i++) {
                char to[64];

                snprintf(to, sizeof(to), "/etc/%s", etc_files[i]);
                (void) umount2(to, MNT_DETACH);
        }
        (void) nftw(users_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Whether ME, as the service user with these groups, may call org.bluez (busctl, as any client). */
static bool user_reaches_bluez(World *w, const char *groups) {
        char groups_arg[64];
        char *argv[] = { (char *) "setpriv",
                         (char *) "--reuid=" SERVICE_USER,
                         (char *) "--regid=" SERVICE_USER,
                         groups_arg,
                         (char *) "--",
                         (char *) "busctl",
                         (char *) "--system",
                         (char *) "call",
                         (char *) "org.bluez",
                         (char *) "/",
                         (char *) "org.freedesktop.DBus.ObjectManager",
                         (char *) "GetManagedObjects",
                         NULL };
        int status = 0;

        if (groups)
                snprintf(groups_arg, sizeof(groups_arg), "--groups=%s", groups);
        else
                snprintf(groups_arg, sizeof(groups_arg), "--clear-groups");
        ck_assert_int_ge(test_bus_run(w->bus, NULL, NULL, argv, NULL, WORLD_TIMEOUT, &status, NULL), 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* nobody's Unlock: ttlockd asks polkit, which answers ttlockd (not root) because the action names it
 * as its owner; the test's rules grant nobody's group. */
static int unlock_as_nobody(void *userdata) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, WORLD_LOCK1, "Unlock", &e, NULL, "");
        if (r < 0)
                fprintf(stderr, "Unlock as nobody: %s: %s\n", e.name, e.message);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

static bool owner_is_service_user(World *w) {
        char path[64], line[256];
        struct passwd *pw = getpwnam(SERVICE_USER);
        bool found = false;
        FILE *f;

        ck_assert_ptr_nonnull(pw);
        snprintf(path, sizeof(path), "/proc/%d/status", (int) w->daemon_pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (!found && fgets(line, sizeof(line), f)) {
                unsigned ruid, euid;

                if (sscanf(line, "Uid: %u %u", &ruid, &euid) == 2)
                        found = ruid == pw->pw_uid && euid == pw->pw_uid;
        }
        fclose(f);
        return found;
}

START_TEST(test_runs_as_its_user) {
        World w = {
                .daemon_user = SERVICE_USER,
                .daemon_groups = "bluetooth",
                .polkit_rules = true,
        };
        char key[300];
        struct stat st;
        pid_t pid;
        int status = 0;

        users_from_sysusers();
        ck_assert_ptr_nonnull(getpwnam(SERVICE_USER));
        ck_assert_ptr_nonnull(getgrnam("bluetooth"));
        w.bus_conf = world_env_path("TTLOCK_BLUEZ_STRICT_CONF");

        world_start(&w);
        ck_assert_msg(owner_is_service_user(&w), "ttlockd does not run as " SERVICE_USER);
        /* The control: with this bus policy the group is what lets the user call BlueZ. */
        ck_assert(!user_reaches_bluez(&w, NULL));
        ck_assert(user_reaches_bluez(&w, "bluetooth"));

        world_discover(&w);
        world_call_ok(&w, WORLD_LOCK1, "Pair");
        ck_assert(world_key_file(&w, key, sizeof(key)));
        ck_assert_int_eq(stat(key, &st), 0);
        ck_assert_uint_eq(st.st_uid, getpwnam(SERVICE_USER)->pw_uid);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        world_call_ok(&w, WORLD_LOCK1, "Lock");
        ck_assert(world_get_bool(&w, WORLD_SIM1, "Locked"));

        /* Another user's call, which ttlockd must ask polkit about. */
        ck_assert_int_ge(test_bus_fork_as(w.bus, "nobody", unlock_as_nobody, NULL, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, 2 * WORLD_TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nobody's Unlock failed");
        ck_assert(!world_get_bool(&w, WORLD_SIM1, "Locked"));

        world_stop(&w);
        users_done();
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("service-user");
        TCase *tc = tcase_create("ttlockd");

        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, test_runs_as_its_user);
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
