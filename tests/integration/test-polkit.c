/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The smoke test of the private world every integration test lives in: a private system bus with
 * the project's bus policy, the real polkitd activated on it, the project's built polkit policy
 * and rules template as polkitd sees them, and callers of another uid.
 *
 * Needs root (as CI runs it): polkitd reads actions only from /usr/share/polkit-1/actions and
 * rules only from /etc/polkit-1/rules.d, so the harness installs the built files there for the
 * duration of a test (see testbus.h). TTLOCK_POLKIT_POLICY and TTLOCK_POLKIT_TEST_RULES name them. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "testbus.h"

#define TIMEOUT (10 * TEST_USEC_PER_SEC)
#define AUTHORITY "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority", \
                  "org.freedesktop.PolicyKit1.Authority"

/* PolkitImplicitAuthorization as EnumerateActions() reports the <defaults>. */
enum {
        IMPLICIT_ADMIN_AUTH = 2,
        IMPLICIT_ADMIN_AUTH_KEEP = 4,
        IMPLICIT_AUTHORIZED = 5,
};

static const char *env_path(const char *name) {
        const char *p = getenv(name);

        ck_assert_msg(p && access(p, R_OK) == 0, "%s must name a built file (run through meson test)", name);
        return p;
}

static TestBus *start_world(bool with_rules) {
        TestBus *b = NULL;
        int r;

        ck_assert_msg(geteuid() == 0, "this test needs root: polkitd reads actions only from "
                                      "/usr/share/polkit-1/actions (CI runs it as root)");
        r = test_bus_start(NULL, &b);
        ck_assert_msg(r >= 0, "test_bus_start: %s", strerror(-r));
        ck_assert_msg(test_bus_has_polkit(b), "polkit (polkitd) is not installed");
        /* Before polkitd starts: it reads rules once at start-up. */
        ck_assert_int_ge(test_bus_install_polkit_policy(b, env_path("TTLOCK_POLKIT_POLICY")), 0);
        if (with_rules)
                ck_assert_int_ge(test_bus_install_polkit_rules(b, env_path("TTLOCK_POLKIT_TEST_RULES")), 0);
        return b;
}

static sd_bus *open_bus(void) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);

        ck_assert_msg(r >= 0, "sd_bus_open_system: %s", strerror(-r));
        return bus;
}

/* CheckAuthorization for the subject "system-bus-name" = name, without interaction. */
static void check_authorization(sd_bus *bus, const char *name, const char *action, bool *ret_authorized,
                                bool *ret_challenge) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int authorized, challenge, r;

        r = sd_bus_call_method(bus, AUTHORITY, "CheckAuthorization", &error, &reply, "(sa{sv})sa{ss}us",
                               "system-bus-name", 1, "name", "s", name, action, 0, 0u, "");
        ck_assert_msg(r >= 0, "CheckAuthorization(%s, %s): %s", name, action, error.message);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'r', "bba{ss}"), 0);
        ck_assert_int_ge(sd_bus_message_read(reply, "bb", &authorized, &challenge), 0);
        *ret_authorized = authorized;
        *ret_challenge = challenge;
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
}

/* A connection owned by another uid: a child drops to that uid, connects, tells us its unique
 * name and stays connected until we close its pipe. */
typedef struct Caller {
        int name_fd;  /* child writes its unique name here */
        int hold_fd;  /* child waits for EOF here */
        int parent_fds[2]; /* the parent's ends, which the child must close to ever see EOF */
} Caller;

static int caller_main(void *userdata) {
        Caller *c = userdata;
        sd_bus *bus = NULL;
        const char *name;
        char buf;

        close(c->parent_fds[0]);
        close(c->parent_fds[1]);
        if (sd_bus_open_system(&bus) < 0 || sd_bus_get_unique_name(bus, &name) < 0)
                return -EIO;
        if (write(c->name_fd, name, strlen(name)) < 0)
                return -errno;
        close(c->name_fd);
        while (read(c->hold_fd, &buf, 1) > 0)
                ;
        sd_bus_flush_close_unref(bus);
        return 0;
}

typedef struct Held {
        pid_t pid;
        int hold_fd;
        char name[256];
} Held;

static void caller_start(TestBus *b, const char *user, Held *ret) {
        int np[2], hp[2];
        Caller c;
        ssize_t n, len = 0;

        ck_assert_int_eq(pipe2(np, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(hp, O_CLOEXEC), 0);
        c = (Caller) { .name_fd = np[1], .hold_fd = hp[0], .parent_fds = { np[0], hp[1] } };
        ck_assert_int_ge(test_bus_fork_as(b, user, caller_main, &c, &ret->pid), 0);
        close(np[1]);
        close(hp[0]);
        while ((n = read(np[0], ret->name + len, sizeof(ret->name) - 1 - len)) > 0)
                len += n;
        close(np[0]);
        ret->name[len] = '\0';
        ck_assert_msg(len > 0 && ret->name[0] == ':', "the caller running as %s did not connect", user);
        ret->hold_fd = hp[1];
}

static void caller_finish(TestBus *b, Held *h) {
        int status = -1;

        close(h->hold_fd);
        ck_assert_int_ge(test_bus_wait_pid(b, h->pid, TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "caller failed: 0x%x", status);
}

static void assert_uid_of_name(TestBus *b, const char *name, uid_t uid) {
        sd_bus *bus = open_bus();
        sd_bus_creds *creds = NULL;
        uid_t got;

        ck_assert_int_ge(sd_bus_get_name_creds(bus, name, SD_BUS_CREDS_EUID, &creds), 0);
        ck_assert_int_ge(sd_bus_creds_get_euid(creds, &got), 0);
        ck_assert_int_eq(got, uid);
        sd_bus_creds_unref(creds);
        sd_bus_flush_close_unref(bus);
}

/* (a) The test's own root connection is authorized, and the polkitd that answered is the real
 * one, started by our private bus, running as its own user and connected to our bus. */
START_TEST(test_root_authorized_by_activated_polkitd) {
        TestBus *b = start_world(false);
        sd_bus *bus = open_bus();
        const char *me;
        bool authorized, challenge;
        pid_t pid;
        char exe[256] = "", path[64];
        uid_t polkitd_uid;
        FILE *f;
        char *line = NULL, *address = NULL;
        size_t size = 0;
        ssize_t n;

        ck_assert_int_eq(test_bus_name_pid(b, "org.freedesktop.PolicyKit1", &pid), -ENXIO);

        ck_assert_int_ge(sd_bus_get_unique_name(bus, &me), 0);
        check_authorization(bus, me, "org.ttlock.manage", &authorized, &challenge);
        ck_assert(authorized);
        ck_assert(!challenge);
        check_authorization(bus, me, "org.ttlock.operate", &authorized, &challenge);
        ck_assert(authorized);

        ck_assert_int_ge(test_bus_name_pid(b, "org.freedesktop.PolicyKit1", &pid), 0);
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        ck_assert_int_gt(readlink(path, exe, sizeof(exe) - 1), 0);
        ck_assert_str_eq(exe, "/usr/lib/polkit-1/polkitd");
        ck_assert_int_ge(test_lookup_user("polkitd", &polkitd_uid, NULL), 0);
        assert_uid_of_name(b, "org.freedesktop.PolicyKit1", polkitd_uid);

        /* dbus-daemon handed it our address: it cannot have connected anywhere else. */
        snprintf(path, sizeof(path), "/proc/%d/environ", (int) pid);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while ((n = getdelim(&line, &size, '\0', f)) > 0)
                if (strncmp(line, "DBUS_SYSTEM_BUS_ADDRESS=", 24) == 0)
                        address = strdup(line + 24);
        fclose(f);
        free(line);
        ck_assert_ptr_nonnull(address);
        ck_assert_str_eq(address, test_bus_address(b));
        free(address);

        sd_bus_flush_close_unref(bus);
        test_bus_stop(b);
}
END_TEST

/* (b) A connection of nobody has no session here (no logind), so allow_any applies: both actions
 * need an administrator — a challenge, not a yes. */
START_TEST(test_nobody_challenged) {
        TestBus *b = start_world(false);
        sd_bus *bus = open_bus();
        bool authorized, challenge;
        uid_t nobody;
        Held h;

        caller_start(b, "nobody", &h);
        ck_assert_int_ge(test_lookup_user("nobody", &nobody, NULL), 0);
        assert_uid_of_name(b, h.name, nobody);

        check_authorization(bus, h.name, "org.ttlock.manage", &authorized, &challenge);
        ck_assert(!authorized);
        ck_assert(challenge);
        check_authorization(bus, h.name, "org.ttlock.operate", &authorized, &challenge);
        ck_assert(!authorized);
        ck_assert(challenge);

        caller_finish(b, &h);
        sd_bus_flush_close_unref(bus);
        test_bus_stop(b);
}
END_TEST

/* (c) data/50-ttlockd.rules.in configured for nobody's group grants both actions to nobody, and
 * to nobody only: "daemon" (another group) is still challenged. */
START_TEST(test_privileged_group_rule) {
        TestBus *b = start_world(true);
        sd_bus *bus = open_bus();
        bool authorized, challenge;
        Held h, other;

        caller_start(b, "nobody", &h);
        caller_start(b, "daemon", &other);

        check_authorization(bus, h.name, "org.ttlock.manage", &authorized, &challenge);
        ck_assert(authorized);
        check_authorization(bus, h.name, "org.ttlock.operate", &authorized, &challenge);
        ck_assert(authorized);
        check_authorization(bus, other.name, "org.ttlock.manage", &authorized, &challenge);
        ck_assert(!authorized);
        ck_assert(challenge);
        /* Keys in and out are not the group's: an administrator every time. */
        check_authorization(bus, h.name, "org.ttlock.import-keys", &authorized, &challenge);
        ck_assert(!authorized);
        ck_assert(challenge);
        check_authorization(bus, h.name, "org.ttlock.export-keys", &authorized, &challenge);
        ck_assert(!authorized);
        ck_assert(challenge);

        caller_finish(b, &other);
        caller_finish(b, &h);
        sd_bus_flush_close_unref(bus);
        test_bus_stop(b);
}
END_TEST

typedef struct ActionInfo {
        char description[256];
        char message[512];
        uint32_t any, inactive, active;
        char imply[128];
} ActionInfo;

static bool enumerate_action(sd_bus *bus, const char *locale, const char *id, ActionInfo *ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        bool found = false;
        int r;

        r = sd_bus_call_method(bus, AUTHORITY, "EnumerateActions", &error, &reply, "s", locale);
        ck_assert_msg(r >= 0, "EnumerateActions: %s", error.message);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "(ssssssuuua{ss})"), 0);
        while ((r = sd_bus_message_enter_container(reply, 'r', "ssssssuuua{ss}")) > 0) {
                const char *aid, *desc, *msg, *vendor, *url, *icon, *k, *v;
                ActionInfo info = {};

                ck_assert_int_ge(sd_bus_message_read(reply, "ssssssuuu", &aid, &desc, &msg, &vendor, &url,
                                                     &icon, &info.any, &info.inactive, &info.active),
                                 0);
                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{ss}"), 0);
                while (sd_bus_message_read(reply, "{ss}", &k, &v) > 0)
                        if (strcmp(k, "org.freedesktop.policykit.imply") == 0)
                                snprintf(info.imply, sizeof(info.imply), "%s", v);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                if (strcmp(aid, id) == 0) {
                        snprintf(info.description, sizeof(info.description), "%s", desc);
                        snprintf(info.message, sizeof(info.message), "%s", msg);
                        *ret = info;
                        found = true;
                }
        }
        ck_assert_int_ge(r, 0);
        sd_bus_message_unref(reply);
        return found;
}

/* The built policy as polkitd reads it: the defaults of data/org.ttlock.policy.in (HACKING.md, "polkit")
 * and the translations that i18n.merge_file() put in at build time. */
START_TEST(test_policy_defaults_and_translations) {
        TestBus *b = start_world(false);
        sd_bus *bus = open_bus();
        ActionInfo op, man, de, fr;

        ck_assert(enumerate_action(bus, "C", "org.ttlock.operate", &op));
        ck_assert_int_eq(op.any, IMPLICIT_ADMIN_AUTH);
        ck_assert_int_eq(op.inactive, IMPLICIT_ADMIN_AUTH);
        ck_assert_int_eq(op.active, IMPLICIT_AUTHORIZED);
        ck_assert_str_eq(op.description, "Lock or unlock a door lock");

        ck_assert(enumerate_action(bus, "C", "org.ttlock.manage", &man));
        ck_assert_int_eq(man.any, IMPLICIT_ADMIN_AUTH_KEEP);
        ck_assert_int_eq(man.inactive, IMPLICIT_ADMIN_AUTH_KEEP);
        ck_assert_int_eq(man.active, IMPLICIT_ADMIN_AUTH_KEEP);
        ck_assert_str_eq(man.imply, "org.ttlock.operate");

        /* Keys in and out: an administrator every time, never kept, implied by nothing. */
        for (size_t i = 0; i < 2; i++) {
                ActionInfo keys;

                ck_assert(enumerate_action(
                        bus, "C", i == 0 ? "org.ttlock.import-keys" : "org.ttlock.export-keys", &keys));
                ck_assert_int_eq(keys.any, IMPLICIT_ADMIN_AUTH);
                ck_assert_int_eq(keys.inactive, IMPLICIT_ADMIN_AUTH);
                ck_assert_int_eq(keys.active, IMPLICIT_ADMIN_AUTH);
                ck_assert_str_eq(keys.imply, "");
        }
        ck_assert(enumerate_action(bus, "de_DE.UTF-8", "org.ttlock.import-keys", &de));
        ck_assert_str_eq(de.description, "Die Schlüssel von Türschlössern importieren");
        ck_assert(enumerate_action(bus, "fr_FR.UTF-8", "org.ttlock.export-keys", &fr));
        ck_assert_str_eq(fr.description, "Exporter les clés de serrures");

        ck_assert(enumerate_action(bus, "de_DE.UTF-8", "org.ttlock.manage", &de));
        ck_assert_str_eq(de.description, "Türschlösser verwalten");
        ck_assert(enumerate_action(bus, "fr_FR.UTF-8", "org.ttlock.operate", &fr));
        ck_assert_str_eq(fr.description, "Verrouiller ou déverrouiller une serrure");
        ck_assert_str_eq(fr.message,
                         "Une authentification est nécessaire pour verrouiller ou déverrouiller une porte.");

        sd_bus_flush_close_unref(bus);
        test_bus_stop(b);
}
END_TEST

/* The project's bus policy: root may own org.ttlock.Manager, nobody may not, and nobody may call
 * it (polkit, not the bus, decides). A root child plays the daemon with one unprivileged method. */
static int ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return sd_bus_reply_method_return(m, "s", "pong");
}

static const sd_bus_vtable ping_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Ping", "", "s", ping, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int owner_main(void *userdata) {
        Caller *c = userdata;
        sd_bus *bus = NULL;
        int r;

        close(c->parent_fds[0]);
        close(c->parent_fds[1]);
        if (sd_bus_open_system(&bus) < 0 ||
            sd_bus_add_object_vtable(bus, NULL, "/org/ttlock/Test", "org.ttlock.Test1", ping_vtable,
                                     /* userdata= */ NULL) < 0)
                return -EIO;
        r = sd_bus_request_name(bus, "org.ttlock.Manager", 0);
        if (r < 0)
                return r;
        close(c->name_fd);
        for (;;) {
                struct pollfd p[2];

                while ((r = sd_bus_process(bus, NULL)) > 0)
                        ;
                if (r < 0)
                        return r;
                /* Only after processing: with messages queued sd-bus asks for no events. */
                p[0] = (struct pollfd) { .fd = sd_bus_get_fd(bus),
                                         .events = (short) sd_bus_get_events(bus) };
                p[1] = (struct pollfd) { .fd = c->hold_fd, .events = POLLIN };
                if (poll(p, 2, -1) < 0)
                        return -errno;
                if (p[1].revents)
                        break;
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int request_name_main(void *userdata) {
        sd_bus *bus = NULL;
        int r;

        if (sd_bus_open_system(&bus) < 0)
                return -EIO;
        r = sd_bus_request_name(bus, "org.ttlock.Manager", 0);
        sd_bus_flush_close_unref(bus);
        /* Success of this child means: the bus refused. */
        return r == -EACCES ? 0 : -EPERM;
}

START_TEST(test_bus_policy) {
        TestBus *b = NULL;
        char *argv_call[] = { (char *) "busctl",           (char *) "--system",
                              (char *) "call",             (char *) "org.ttlock.Manager",
                              (char *) "/org/ttlock/Test", (char *) "org.ttlock.Test1",
                              (char *) "Ping",             NULL };
        char *argv_id[] = { (char *) "id", (char *) "-u", NULL };
        char *out = NULL;
        int np[2], hp[2], status = -1;
        pid_t owner, intruder;
        Caller c;
        char buf;

        ck_assert_int_ge(test_bus_start(NULL, &b), 0);

        /* setpriv really changes the uid. */
        ck_assert_int_ge(test_bus_run(b, "nobody", "nogroup", argv_id, NULL, TIMEOUT, &status, &out), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "id failed");
        ck_assert_str_eq(out, "65534\n");
        free(out);

        ck_assert_int_ge(test_bus_fork_as(b, "nobody", request_name_main, NULL, &intruder), 0);
        ck_assert_int_ge(test_bus_wait_pid(b, intruder, TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nobody could own org.ttlock.Manager");

        ck_assert_int_eq(pipe2(np, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(hp, O_CLOEXEC), 0);
        c = (Caller) { .name_fd = np[1], .hold_fd = hp[0], .parent_fds = { np[0], hp[1] } };
        ck_assert_int_ge(test_bus_fork_as(b, "root", owner_main, &c, &owner), 0);
        close(np[1]);
        close(hp[0]);
        ck_assert_int_ge(test_bus_wait_name(b, "org.ttlock.Manager", owner, TIMEOUT), 0);
        (void) !read(np[0], &buf, 1);
        close(np[0]);

        ck_assert_int_ge(test_bus_run(b, "nobody", "nogroup", argv_call, NULL, TIMEOUT, &status, &out), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "nobody could not call org.ttlock.Manager");
        ck_assert_str_eq(out, "s \"pong\"\n");
        free(out);

        close(hp[1]);
        ck_assert_int_ge(test_bus_wait_pid(b, owner, TIMEOUT, &status), 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "owner failed: 0x%x", status);
        test_bus_stop(b);
}
END_TEST

/* The harness itself: waiting for a name ends at once when the process that should own it dies,
 * and stopping the bus removes the directory and ends dbus-daemon. */
START_TEST(test_harness_lifecycle) {
        TestBus *b = NULL;
        char *argv_fail[] = { (char *) "sh", (char *) "-c", (char *) "exit 3", NULL };
        char *argv_missing[] = { (char *) "ttlockd-no-such-binary", NULL };
        char *dir;
        pid_t pid, daemon_pid;

        ck_assert_int_ge(test_bus_start(NULL, &b), 0);
        ck_assert_str_eq(getenv("DBUS_SYSTEM_BUS_ADDRESS"), test_bus_address(b));
        dir = strdup(test_bus_dir(b));
        daemon_pid = test_bus_daemon_pid(b);

        ck_assert_int_eq(test_bus_spawn(b, argv_missing, NULL, &pid), -ENOENT);
        ck_assert_int_ge(test_bus_spawn(b, argv_fail, NULL, &pid), 0);
        ck_assert_int_eq(test_bus_wait_name(b, "org.ttlock.Manager", pid, TIMEOUT), -ESRCH);
        ck_assert_int_eq(test_bus_wait_name(b, "org.ttlock.Manager", 0, 50 * TEST_USEC_PER_MSEC),
                         -ETIMEDOUT);

        test_bus_stop(b);
        ck_assert_int_ne(access(dir, F_OK), 0);
        ck_assert_int_ne(kill(daemon_pid, 0), 0);
        free(dir);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("polkit");
        TCase *tc = tcase_create("world");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_harness_lifecycle);
        tcase_add_test(tc, test_bus_policy);
        tcase_add_test(tc, test_root_authorized_by_activated_polkitd);
        tcase_add_test(tc, test_nobody_challenged);
        tcase_add_test(tc, test_privileged_group_rule);
        tcase_add_test(tc, test_policy_defaults_and_translations);
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
