/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "history.h"
#include "store.h"
#include "world.h"

const char *world_env_path(const char *name) {
        const char *p = getenv(name);

        ck_assert_msg(p && access(p, R_OK) == 0, "%s must name a built file (run through meson test)", name);
        return p;
}

static uint64_t clock_usec(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

uint64_t world_now_usec(void) {
        return clock_usec(CLOCK_MONOTONIC);
}

uint64_t world_realtime_usec(void) {
        return clock_usec(CLOCK_REALTIME);
}

static void open_client(World *w) {
        int r;

        r = sd_bus_open_system(&w->client);
        ck_assert_msg(r >= 0, "sd_bus_open_system: %s", strerror(-r));
        /* Wake-ups for world_wait(): every property change and every signal of the daemon. */
        r = sd_bus_add_match(
                w->client, NULL, "type='signal',interface='org.freedesktop.DBus.Properties'", NULL, NULL);
        ck_assert_int_ge(r, 0);
        r = sd_bus_add_match(w->client, NULL, "type='signal',sender='org.ttlock.Manager'", NULL, NULL);
        ck_assert_int_ge(r, 0);
}

void world_start_sim(World *w) {
        char lock[1024];
        const char *argv[40] = { world_env_path("TTLOCK_SIM"),
                                 "--lock",
                                 lock,
                                 "--advert-interval-ms",
                                 "200",
                                 "--state",
                                 w->sim_state };
        size_t n = 7;
        int r;

        /* A test's own spec (a lock paired elsewhere, other features), or a factory-fresh lock. */
        if (w->lock_spec)
                r = snprintf(lock, sizeof(lock), "%s", w->lock_spec);
        else
                r = snprintf(
                        lock,
                        sizeof(lock),
                        "mac=" WORLD_LOCK_ADDRESS ",name=%s%s%s",
                        w->lock_name ?: "K5_010000",
                        w->lock_features ? ",features=" : "",
                        w->lock_features ?: "");
        ck_assert_msg(r > 0 && (size_t) r < sizeof(lock), "the lock's spec is too long");
        if (!w->sim_sleepy)
                argv[n++] = "--always-awake";
        for (const char *const *a = w->sim_args; a && *a; a++) {
                ck_assert_uint_lt(n, ELEMENTSOF(argv) - 1);
                argv[n++] = *a;
        }
        argv[n] = NULL;
        r = test_bus_spawn_wrapped(w->bus, (char *const *) argv, NULL, &w->sim_pid);
        ck_assert_msg(r >= 0, "spawn ttlock-sim: %s", strerror(-r));
        r = test_bus_wait_name(w->bus, "org.bluez", w->sim_pid, WORLD_TIMEOUT);
        ck_assert_msg(r >= 0, "ttlock-sim did not own org.bluez: %s", strerror(-r));
}

void world_start_daemon(World *w) {
        char state[300], config[300], user_arg[128], group_arg[128], groups_arg[256];
        const char *envv[16] = { state, config };
        char *argv[] = { (char *) world_env_path("TTLOCKD"), (char *) "--log-level=debug", NULL };
        size_t n = 2;
        int r;

        snprintf(state, sizeof(state), "STATE_DIRECTORY=%s", w->state_dir);
        /* Never the machine's /etc/ttlockd/ttlockd.conf: the world's, which need not exist. */
        snprintf(config, sizeof(config), "TTLOCKD_CONFIG=%s", w->config);
        for (const char *const *e = w->daemon_env; e && *e; e++) {
                ck_assert_uint_lt(n, ELEMENTSOF(envv) - 1);
                envv[n++] = *e;
        }
        envv[n] = NULL;
        if (w->daemon_user) {
                /* setpriv, then the wrapper if any, then ttlockd: the same process all the way. */
                _cleanup_free_ char *words = test_wrapper() ? strdup(test_wrapper()) : NULL;
                const char *full[64] = { "setpriv", user_arg, group_arg, groups_arg, "--" };
                size_t k = 5;
                uid_t uid;
                gid_t gid;

                ck_assert_int_ge(test_lookup_user(w->daemon_user, &uid, &gid), 0);
                ck_assert_int_eq(chown(w->state_dir, uid, gid), 0);
                snprintf(user_arg, sizeof(user_arg), "--reuid=%s", w->daemon_user);
                snprintf(group_arg, sizeof(group_arg), "--regid=%u", (unsigned) gid);
                if (w->daemon_groups)
                        snprintf(groups_arg, sizeof(groups_arg), "--groups=%s", w->daemon_groups);
                else
                        snprintf(groups_arg, sizeof(groups_arg), "--clear-groups");
                for (char *save = NULL, *t = words ? strtok_r(words, " \t", &save) : NULL; t;
                     t = strtok_r(NULL, " \t", &save)) {
                        ck_assert_uint_lt(k, ELEMENTSOF(full) - 3);
                        full[k++] = t;
                }
                full[k++] = argv[0];
                full[k++] = argv[1];
                full[k] = NULL;
                r = test_bus_spawn(w->bus, (char *const *) full, (char *const *) envv, &w->daemon_pid);
        } else
                r = test_bus_spawn_wrapped(w->bus, argv, (char *const *) envv, &w->daemon_pid);
        ck_assert_msg(r >= 0, "spawn ttlockd: %s", strerror(-r));
        r = test_bus_wait_name(w->bus, "org.ttlock.Manager", w->daemon_pid, WORLD_TIMEOUT);
        ck_assert_msg(r >= 0, "ttlockd did not own org.ttlock.Manager: %s", strerror(-r));
}

void world_stop_pid(World *w, pid_t *pid) {
        int status = 0, r;

        /* Bounded, and generous: under valgrind the leak check at exit takes seconds. */
        r = test_bus_stop_pid(w->bus, *pid, WORLD_STOP_TIMEOUT, &status);
        ck_assert_msg(r >= 0, "stop %d: %s", (int) *pid, strerror(-r));
        ck_assert_msg(
                test_status_is_clean_exit(status),
                "process %d did not exit cleanly on SIGTERM (status 0x%x%s)",
                (int) *pid,
                (unsigned) status,
                test_wrapper() ? "; see the wrapper's report above" : "");
        *pid = 0;
}

void world_kill_pid(World *w, pid_t *pid) {
        int status = 0;

        ck_assert_int_eq(kill(*pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, *pid, WORLD_TIMEOUT, &status), 0);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        *pid = 0;
}

bool world_daemon_alive(World *w) {
        int status = 0;

        /* A zero wait reaps a daemon that died (kill(pid, 0) would still find its zombie). */
        return w->daemon_pid > 0 && test_bus_wait_pid(w->bus, w->daemon_pid, 0, &status) == -ETIMEDOUT;
}

/* ttlockd started by the bus, from a copy of the built dbus/org.ttlock.Manager.service whose Exec= runs
 * the build tree's ttlockd with its state in our directory (and TTLOCK_TEST_WRAPPER in front). The bus,
 * not we, is its parent: a shell around it writes its exit status for world_stop() to check. dbus-daemon
 * parses Exec= as a command line without a shell, hence the explicit sh -c. */
static void install_daemon_service(World *w) {
        char exec[4096];
        const char *wrapper = test_wrapper();
        int r;

        snprintf(w->daemon_status, sizeof(w->daemon_status), "%s/ttlockd.status", test_bus_dir(w->bus));
        r = snprintf(
                exec,
                sizeof(exec),
                "/bin/sh -c '\"$@\"; echo $? >%s' ttlockd /usr/bin/env STATE_DIRECTORY=%s %s %s %s "
                "--log-level=debug",
                w->daemon_status,
                w->state_dir,
                w->activation_env ?: "",
                wrapper ?: "",
                world_env_path("TTLOCKD"));
        ck_assert_int_lt(r, (int) sizeof(exec));
        r = test_bus_install_service(w->bus, world_env_path("TTLOCK_DBUS_SERVICE"), exec);
        ck_assert_msg(r >= 0, "install the activation file: %s", strerror(-r));
}

pid_t world_daemon_pid(World *w) {
        pid_t pid;
        int r;

        if (!w->activate)
                return w->daemon_pid;
        r = test_bus_name_pid(w->bus, "org.ttlock.Manager", &pid);
        ck_assert_msg(r >= 0, "org.ttlock.Manager has no owner: %s", strerror(-r));
        return pid;
}

static pid_t parent_of(pid_t pid) {
        char path[64], buf[512], *p;
        int ppid = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        ck_assert_msg(f, "%s: %m", path);
        ck_assert(fgets(buf, sizeof(buf), f));
        fclose(f);
        /* "pid (comm) state ppid …"; comm may hold spaces and parentheses. */
        p = strrchr(buf, ')');
        ck_assert(p && sscanf(p + 1, " %*c %d", &ppid) == 1);
        return (pid_t) ppid;
}

static void wait_gone(pid_t pid, uint64_t timeout) {
        struct pollfd p;
        int fd = pidfd_open(pid, 0);

        if (fd < 0) {
                ck_assert_int_eq(errno, ESRCH);
                return;
        }
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, (int) (timeout / 1000)) == 1, "process %d did not exit", (int) pid);
        close(fd);
}

/* SIGTERM to the activated ttlockd, then its exit status as the shell around it wrote it. */
static void stop_activated_daemon(World *w) {
        char buf[32] = {};
        pid_t pid, sh;
        ssize_t n;
        int fd;

        if (test_bus_name_pid(w->bus, "org.ttlock.Manager", &pid) >= 0) {
                sh = parent_of(pid);
                ck_assert_int_eq(kill(pid, SIGTERM), 0);
                wait_gone(sh, WORLD_STOP_TIMEOUT);
        }
        fd = open(w->daemon_status, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                ck_assert_int_eq(errno, ENOENT); /* never activated */
                return;
        }
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        (void) unlink(w->daemon_status); /* a next activation writes its own */
        ck_assert_msg(
                n > 0 && strcmp(buf, "0\n") == 0,
                "the activated ttlockd did not exit cleanly (status %s)%s",
                n > 0 ? buf : "?",
                test_wrapper() ? "; see the wrapper's report above" : "");
}

void world_start(World *w) {
        const char *confs[] = { w->bus_conf ?: world_env_path("TTLOCK_SIM_BUS_CONF"), NULL };
        int r;

        ck_assert_msg(
                geteuid() == 0,
                "this test needs root: polkitd reads actions only from "
                "/usr/share/polkit-1/actions (CI runs it as root)");
        r = test_bus_start(confs, &w->bus);
        ck_assert_msg(r >= 0, "test_bus_start: %s", strerror(-r));
        ck_assert_msg(test_bus_has_polkit(w->bus), "polkit (polkitd) is not installed");
        ck_assert_int_ge(test_bus_install_polkit_policy(w->bus, world_env_path("TTLOCK_POLKIT_POLICY")), 0);
        if (w->polkit_rules)
                ck_assert_int_ge(
                        test_bus_install_polkit_rules(w->bus, world_env_path("TTLOCK_POLKIT_TEST_RULES")),
                        0);
        snprintf(w->state_dir, sizeof(w->state_dir), "%s/state", test_bus_dir(w->bus));
        ck_assert_int_eq(mkdir(w->state_dir, 0700), 0);
        if (w->state_tmpfs_kib > 0) {
                char opts[64];

                snprintf(opts, sizeof(opts), "size=%uk,mode=0700", w->state_tmpfs_kib);
                r = mount("tmpfs", w->state_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts);
                ck_assert_msg(r == 0, "mount a tmpfs on %s: %m", w->state_dir);
                w->state_mounted = true;
        }
        snprintf(w->sim_state, sizeof(w->sim_state), "%s/sim.yaml", test_bus_dir(w->bus));
        snprintf(w->config, sizeof(w->config), "%s/ttlockd.conf", test_bus_dir(w->bus));
        if (w->sim_yaml) {
                FILE *f = fopen(w->sim_state, "we");

                ck_assert_ptr_nonnull(f);
                fputs(w->sim_yaml, f);
                ck_assert_int_eq(fclose(f), 0);
        }
        if (w->prepare)
                w->prepare(w);
        world_start_sim(w);
        if (w->defer_daemon)
                ; /* the test starts it (world_start_daemon()) */
        else if (w->activate)
                install_daemon_service(w);
        else
                world_start_daemon(w);
        open_client(w);
}

void world_stop_daemon(World *w) {
        if (w->activate)
                stop_activated_daemon(w);
        else if (w->daemon_pid > 0)
                world_stop_pid(w, &w->daemon_pid);
}

void world_stop(World *w) {
        w->client = sd_bus_flush_close_unref(w->client);
        /* The daemon goes first, then its disk and the simulator; each must exit cleanly. */
        world_stop_daemon(w);
        if (w->state_readonly || w->state_mounted) {
                if (w->state_readonly)
                        (void) umount2(w->state_dir, MNT_DETACH);
                if (w->state_mounted)
                        (void) umount2(w->state_dir, MNT_DETACH);
                w->state_mounted = w->state_readonly = false;
        }
        if (w->sim_pid > 0)
                world_stop_pid(w, &w->sim_pid);
        w->bus = test_bus_stop(w->bus);
}

void world_process(World *w) {
        while (sd_bus_process(w->client, NULL) > 0)
                ;
}

bool world_wait(World *w, bool (*pred)(World *w, const void *arg), const void *arg, uint64_t timeout) {
        uint64_t deadline = world_now_usec() + timeout, now;

        for (;;) {
                world_process(w);
                if (pred(w, arg))
                        return true;
                now = world_now_usec();
                if (now >= deadline)
                        return false;
                /* Woken by any signal; the bound only re-checks conditions read by a call. */
                (void) sd_bus_wait(w->client, MIN(deadline - now, 250 * TEST_USEC_PER_MSEC));
        }
}

char *world_callv(
        World *w,
        sd_bus *bus,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        sd_bus_message **ret_reply,
        const char *types,
        va_list ap) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        char *name = NULL;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(bus, &m, service, path, iface, method), 0);
        if (types && *types)
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        /* Longer than any method deadline of the daemon (~20 s): a late reply is the daemon's, not ours. */
        r = sd_bus_call(bus, m, 30 * TEST_USEC_PER_SEC, &e, &reply);
        if (r < 0) {
                name = strdup(e.name ?: "?");
                ck_assert_ptr_nonnull(name);
                if (w)
                        snprintf(w->error_message, sizeof(w->error_message), "%s", e.message ?: "");
                fprintf(stderr, "%s.%s → %s: %s\n", iface, method, e.name, e.message);
        } else if (ret_reply)
                *ret_reply = sd_bus_message_ref(reply);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return name;
}

char *world_call(
        World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        va_list ap;
        char *r;

        va_start(ap, types);
        r = world_callv(w, w->client, service, path, iface, method, NULL, types, ap);
        va_end(ap);
        return r;
}

char *world_call_reply(
        World *w,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        sd_bus_message **ret_reply,
        const char *types,
        ...) {
        va_list ap;
        char *r;

        va_start(ap, types);
        r = world_callv(w, w->client, service, path, iface, method, ret_reply, types, ap);
        va_end(ap);
        return r;
}

void world_call_ok(World *w, const char *service, const char *path, const char *iface, const char *method) {
        char *err = world_call(w, service, path, iface, method, NULL);

        ck_assert_msg(!err, "%s.%s failed: %s: %s", iface, method, err, w->error_message);
}

void world_sim_call(World *w, const char *method, const char *types, ...) {
        va_list ap;
        char *err;

        va_start(ap, types);
        err = world_callv(w, w->client, WORLD_SIM1, method, NULL, types, ap);
        va_end(ap);
        ck_assert_msg(!err, "Sim1.%s: %s: %s", method, err, w->error_message);
}

void world_check_failed(World *w, char *got, const char *want, const char *contains) {
        ck_assert_msg(got, "call succeeded, expected %s", want);
        ck_assert_msg(strcmp(got, want) == 0, "got %s (%s), expected %s", got, w->error_message, want);
        ck_assert_msg(
                !contains || strstr(w->error_message, contains),
                "message \"%s\" lacks \"%s\"",
                w->error_message,
                contains);
        free(got);
}

static int on_async_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        WorldAsync *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->done = true;
        c->took_usec = world_now_usec() - c->started_usec;
        snprintf(c->error, sizeof(c->error), "%s", e ? e->name : "");
        return 0;
}

void world_call_async(
        World *w,
        WorldAsync *c,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        sd_bus_message *m = NULL;
        va_list ap;

        *c = (WorldAsync){ .started_usec = world_now_usec() };
        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, service, path, iface, method), 0);
        if (types && *types) {
                va_start(ap, types);
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
                va_end(ap);
        }
        ck_assert_int_ge(
                sd_bus_call_async(w->client, &c->slot, m, on_async_reply, c, 30 * TEST_USEC_PER_SEC), 0);
        sd_bus_message_unref(m);
}

bool world_async_done(World *w, const void *arg) {
        return ((const WorldAsync *) arg)->done;
}

void world_async_done_free(WorldAsync *c) {
        c->slot = sd_bus_slot_unref(c->slot);
}

#define GET_TRIVIAL(name, type, sig)                                                                      \
        type name(World *w, const char *service, const char *path, const char *iface, const char *prop) { \
                sd_bus_error e = SD_BUS_ERROR_NULL;                                                       \
                type v = 0;                                                                               \
                int r;                                                                                    \
                                                                                                          \
                r = sd_bus_get_property_trivial(w->client, service, path, iface, prop, &e, sig, &v);      \
                ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);                           \
                sd_bus_error_free(&e);                                                                    \
                return v;                                                                                 \
        }

GET_TRIVIAL(world_get_u8, uint8_t, 'y')
GET_TRIVIAL(world_get_u32, uint32_t, 'u')
GET_TRIVIAL(world_get_i64, int64_t, 'x')
GET_TRIVIAL(world_get_u64, uint64_t, 't')

bool world_get_bool(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int b = 0, r;

        r = sd_bus_get_property_trivial(w->client, service, path, iface, prop, &e, 'b', &b);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return b;
}

char *
world_get_string(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r;

        r = sd_bus_get_property_string(w->client, service, path, iface, prop, &e, &s);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return s;
}

bool world_have_adapter(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        const char *first = NULL;
        int r;

        r = sd_bus_get_property(w->client, WORLD_MANAGER, "Adapters", NULL, &reply, "ao");
        if (r >= 0 && sd_bus_message_enter_container(reply, 'a', "o") >= 0)
                (void) sd_bus_message_read(reply, "o", &first);
        r = first != NULL;
        sd_bus_message_unref(reply);
        return r;
}

bool world_lock_known(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(
                w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", WORLD_LOCK_ADDRESS);
        sd_bus_message_unref(reply);
        return r >= 0;
}

bool world_lock_gone(World *w, const void *arg) {
        return !world_lock_known(w, NULL);
}

bool world_lock_pairable(World *w, const void *arg) {
        return world_lock_known(w, NULL) && world_get_bool(w, WORLD_LOCK1, "Pairable");
}

bool world_lock_paired(World *w, const void *arg) {
        return world_lock_known(w, NULL) && world_get_bool(w, WORLD_LOCK1, "Paired");
}

bool world_lock_seen(World *w, const void *arg) {
        return world_lock_known(w, NULL) && world_get_u64(w, WORLD_LOCK1, "LastSeenUSec") > 0;
}

bool world_state_is(World *w, const void *arg) {
        char *s = world_get_string(w, WORLD_LOCK1, "State");
        bool eq = strcmp(s, arg) == 0;

        free(s);
        return eq;
}

bool world_disconnected(World *w, const void *arg) {
        return !world_lock_known(w, NULL) || !world_get_bool(w, WORLD_LOCK1, "Connected");
}

bool world_sim_paired(World *w, const void *arg) {
        return world_get_bool(w, WORLD_SIM1, "Paired");
}

void world_discover(World *w) {
        /* StartDiscovery says NotReady until ttlockd has a radio to look with: a BlueZ adapter read, or
         * a proxy connected. */
        ck_assert_msg(
                world_wait(w, world_have_radio, NULL, WORLD_TIMEOUT), "no usable radio on Manager1.Radios");
        /* Ours from an earlier call, or ended (after 60 s, Manager1.xml). */
        if (!world_get_bool(w, WORLD_MANAGER, "Discovering"))
                world_call_ok(w, WORLD_MANAGER, "StartDiscovery");
        ck_assert_msg(world_wait(w, world_lock_pairable, NULL, WORLD_TIMEOUT), "the pairable lock did not appear");
}

void world_pair(World *w) {
        char path[300];
        struct stat st;

        world_discover(w);
        ck_assert(!world_get_bool(w, WORLD_LOCK1, "Paired"));
        world_call_ok(w, WORLD_LOCK1, "Pair");
        ck_assert(world_get_bool(w, WORLD_LOCK1, "Paired"));
        ck_assert(!world_get_bool(w, WORLD_LOCK1, "Pairable"));
        ck_assert(world_get_bool(w, WORLD_SIM1, "Paired"));
        /* The keys are on disk before Pair() returned. */
        ck_assert_msg(world_key_file(w, path, sizeof(path)), "no key file %s", path);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
}

void world_unlock_works(World *w) {
        ck_assert_msg(world_wait(w, world_lock_seen, NULL, WORLD_TIMEOUT), "no advert of the lock");
        world_call_ok(w, WORLD_LOCK1, "Unlock");
        ck_assert(!world_get_bool(w, WORLD_SIM1, "Locked"));
}

bool world_key_file_of(World *w, const char *address, char *ret, size_t size) {
        char name[32];
        struct stat st;

        snprintf(name, sizeof(name), "%s", address);
        for (char *c = name; *c; c++)
                *c = *c == ':' ? '_' : *c;
        snprintf(ret, size, "%s/locks/%s.yaml", w->state_dir, name);
        return stat(ret, &st) == 0;
}

bool world_key_file(World *w, char *ret, size_t size) {
        return world_key_file_of(w, WORLD_LOCK_ADDRESS, ret, size);
}

unsigned world_count_state_files(World *w) {
        char path[300];
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        snprintf(path, sizeof(path), "%s/locks", w->state_dir);
        d = opendir(path);
        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

char *world_sim_lockdata(World *w, const char *const *specs, const char *kind) {
        char *argv[64] = { (char *) world_env_path("TTLOCK_SIM") }, *out = NULL, print[64];
        size_t n = 1;
        int status = 0, r;

        for (const char *const *s = specs; *s; s++) {
                ck_assert_uint_lt(n + 3, ELEMENTSOF(argv));
                argv[n++] = (char *) "--lock";
                argv[n++] = (char *) *s;
        }
        snprintf(print, sizeof(print), "--print-lockdata=%s", kind);
        argv[n++] = print;
        argv[n] = NULL;
        r = test_bus_run(w->bus, NULL, NULL, argv, NULL, WORLD_TIMEOUT, &status, &out);
        ck_assert_msg(
                r >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "ttlock-sim --print-lockdata=%s failed",
                kind);
        ck_assert_ptr_nonnull(out);
        return out;
}

sd_bus_message *world_call_message(
        World *w,
        sd_bus_error *e,
        bool sensitive,
        const char *service,
        const char *path,
        const char *iface,
        const char *method,
        const char *types,
        ...) {
        sd_bus_message *m = NULL, *reply = NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, service, path, iface, method), 0);
        if (sensitive)
                ck_assert_int_ge(sd_bus_message_sensitive(m), 0);
        if (types && *types) {
                va_start(ap, types);
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
                va_end(ap);
        }
        r = sd_bus_call(w->client, m, 0, e, &reply);
        sd_bus_message_unref(m);
        if (r < 0) {
                fprintf(stderr, "%s.%s → %s: %s\n", iface, method, e->name, e->message);
                return NULL;
        }
        return reply;
}

bool world_key_file_contains(World *w, const char *text) {
        char path[300], buf[65536];
        ssize_t n;
        int fd;

        if (!world_key_file(w, path, sizeof(path)))
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        ck_assert_int_ge(n, 0);
        buf[n] = 0;
        return strstr(buf, text);
}

void world_fill_state(World *w, bool full) {
        char path[300], block[4096] = {};
        int fd;

        ck_assert(w->state_mounted);
        snprintf(path, sizeof(path), "%s/filler", w->state_dir);
        if (!full) {
                ck_assert_int_eq(unlink(path), 0);
                return;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        /* Blocks, then the last bytes one by one: nothing is left for a new file. */
        while (write(fd, block, sizeof(block)) == (ssize_t) sizeof(block))
                ;
        while (write(fd, block, 1) == 1)
                ;
        ck_assert_int_eq(errno, ENOSPC);
        close(fd);
}

/* ---- radios ------------------------------------------------------------------------------------ */

void world_write_config(World *w, const char *format, ...) {
        char tmp[300];
        va_list ap;
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.new", w->config);
        f = fopen(tmp, "we");
        ck_assert_msg(f, "cannot write %s: %m", tmp);
        va_start(ap, format);
        vfprintf(f, format, ap);
        va_end(ap);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(rename(tmp, w->config), 0);
}

void world_write_psk(World *w, const char *name, char *ret, size_t size) {
        static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uint8_t key[33] = {};
        char text[48];
        size_t n = 0;
        int fd;

        ck_assert_int_eq(getentropy(key, 32), 0);
        /* Base64 of 32 bytes: 43 characters and one '='. */
        for (size_t i = 0; i < 33; i += 3) {
                uint32_t v = (uint32_t) key[i] << 16 | (uint32_t) key[i + 1] << 8 | key[i + 2];

                text[n++] = b64[v >> 18 & 63];
                text[n++] = b64[v >> 12 & 63];
                text[n++] = b64[v >> 6 & 63];
                text[n++] = b64[v & 63];
        }
        text[43] = '=';
        text[44] = '\n';
        snprintf(ret, size, "%s/%s", test_bus_dir(w->bus), name);
        fd = open(ret, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, 45), 45);
        close(fd);
}

static void proxy_path(const char *name, char *ret, size_t size) {
        snprintf(ret, size, "/org/ttlock/sim/proxy/%s", name);
        for (char *c = ret + strlen("/org/ttlock/sim/proxy/"); *c; c++)
                if (*c == '-')
                        *c = '_';
}

unsigned world_proxy_port(World *w, const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char path[128];
        uint16_t port = 0;
        int r;

        proxy_path(name, path, sizeof(path));
        r = sd_bus_get_property_trivial(
                w->client, "org.bluez", path, "org.ttlock.SimProxy1", "Port", &e, 'q', &port);
        ck_assert_msg(r >= 0, "SimProxy1.Port of %s: %s", name, e.message);
        sd_bus_error_free(&e);
        return port;
}

void world_proxy_call(World *w, const char *name, const char *method) {
        char path[128], *err;

        proxy_path(name, path, sizeof(path));
        err = world_call(w, "org.bluez", path, "org.ttlock.SimProxy1", method, NULL);
        ck_assert_msg(!err, "SimProxy1.%s: %s", method, err);
}

void world_radio_path(const char *name, char *ret, size_t size) {
        snprintf(ret, size, "/org/ttlock/Radio/%s", name);
}

bool world_radio_connected(World *w, const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char path[128];
        int b = 0;

        world_radio_path(name, path, sizeof(path));
        if (sd_bus_get_property_trivial(
                    w->client, "org.ttlock.Manager", path, "org.ttlock.Radio1", "Connected", &e, 'b', &b) <
            0)
                b = 0;
        sd_bus_error_free(&e);
        return b;
}

char *world_radio_string(World *w, const char *name, const char *prop) {
        char path[128];

        world_radio_path(name, path, sizeof(path));
        return world_get_string(w, "org.ttlock.Manager", path, "org.ttlock.Radio1", prop);
}

char *world_get_path(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *p = NULL;
        char *s;
        int r;

        r = sd_bus_get_property(w->client, service, path, iface, prop, &e, &reply, "o");
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        ck_assert_int_ge(sd_bus_message_read(reply, "o", &p), 0);
        s = strdup(p);
        ck_assert_ptr_nonnull(s);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return s;
}

static void sim_path(const char *address, char *ret, size_t size) {
        snprintf(ret, size, "/org/bluez/hci0/dev_%s", address);
        for (char *c = ret + strlen("/org/bluez/hci0/dev_"); *c; c++)
                if (*c == ':')
                        *c = '_';
}

unsigned world_sim_links(World *w, const char *address, const char *radio) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char path[128];
        const char *name;
        uint32_t n, found = 0;
        int r;

        sim_path(address, path, sizeof(path));
        r = sd_bus_get_property(
                w->client, "org.bluez", path, "org.ttlock.Sim1", "Links", &e, &reply, "a{su}");
        ck_assert_msg(r >= 0, "Sim1.Links: %s", e.message);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{su}"), 0);
        while ((r = sd_bus_message_read(reply, "{su}", &name, &n)) > 0)
                if (strcmp(name, radio) == 0)
                        found = n;
        ck_assert_int_ge(r, 0);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return found;
}

void world_sim_rssi(World *w, const char *address, const char *radio, int rssi) {
        char path[128], *err;

        sim_path(address, path, sizeof(path));
        err = world_call(
                w, "org.bluez", path, "org.ttlock.Sim1", "SetRadioRssi", "sn", radio, (int16_t) rssi);
        ck_assert_msg(!err, "Sim1.SetRadioRssi(%s, %d): %s", radio, rssi, err);
}

bool world_have_radio(World *w, const void *arg) {
        sd_bus_message *reply = NULL;
        const char *path;
        bool any = false;
        int r;

        r = sd_bus_get_property(w->client, WORLD_MANAGER, "Radios", NULL, &reply, "ao");
        if (r < 0)
                return false;
        if (sd_bus_message_enter_container(reply, 'a', "o") >= 0)
                while (!any && sd_bus_message_read(reply, "o", &path) > 0) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        int b = 0;

                        if (sd_bus_get_property_trivial(
                                    w->client,
                                    "org.ttlock.Manager",
                                    path,
                                    "org.ttlock.Radio1",
                                    "Connected",
                                    &e,
                                    'b',
                                    &b) >= 0)
                                any = b;
                        sd_bus_error_free(&e);
                }
        sd_bus_message_unref(reply);
        return any;
}

void world_state_readonly(World *w, bool readonly) {
        int r;

        if (!readonly) {
                ck_assert(w->state_readonly);
                ck_assert_msg(umount2(w->state_dir, 0) == 0, "umount %s: %m", w->state_dir);
                w->state_readonly = false;
                return;
        }
        ck_assert(!w->state_readonly);
        /* A bind mount of the directory onto itself, then made read-only: root is refused too (EROFS),
         * which a mode change could not do. */
        r = mount(w->state_dir, w->state_dir, NULL, MS_BIND, NULL);
        ck_assert_msg(r == 0, "bind mount %s: %m", w->state_dir);
        w->state_readonly = true;
        r = mount(NULL, w->state_dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
        ck_assert_msg(r == 0, "remount %s read-only: %m", w->state_dir);
}

/* cp -a of the regular files of one directory level (the key store is flat: locks/…). */
static void copy_dir(const char *from, const char *to) {
        DIR *d = opendir(from);
        struct dirent *de;

        ck_assert_msg(d, "opendir %s: %m", from);
        ck_assert_int_eq(mkdir(to, 0700), 0);
        while ((de = readdir(d))) {
                char src[512], dst[512], buf[65536];
                int in, out;
                ssize_t n;

                if (de->d_type != DT_REG)
                        continue;
                snprintf(src, sizeof(src), "%s/%s", from, de->d_name);
                snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
                in = open(src, O_RDONLY | O_CLOEXEC);
                if (in < 0 && errno == ENOENT)
                        continue; /* a temp file the daemon removed meanwhile */
                ck_assert_msg(in >= 0, "open %s: %m", src);
                out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                ck_assert_msg(out >= 0, "create %s: %m", dst);
                while ((n = read(in, buf, sizeof(buf))) > 0)
                        ck_assert_int_eq(write(out, buf, (size_t) n), n);
                ck_assert_int_eq(n, 0);
                close(in);
                ck_assert_int_eq(close(out), 0);
        }
        closedir(d);
}

static void remove_dir(const char *path) {
        DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                char p[512];

                if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                if (de->d_type == DT_DIR)
                        remove_dir(p);
                else
                        (void) unlink(p);
        }
        closedir(d);
        (void) rmdir(path);
}

void world_check_store(World *w, WorldStore *ret) {
        char locks[300], copy[300], copy_locks[320];
        LockRecord **records = NULL;
        Store *store = NULL;
        size_t n = 0;
        DIR *d;
        struct dirent *de;
        int r;

        *ret = (WorldStore){};
        snprintf(locks, sizeof(locks), "%s/locks", w->state_dir);
        snprintf(copy, sizeof(copy), "%s/store-check", test_bus_dir(w->bus));
        snprintf(copy_locks, sizeof(copy_locks), "%s/locks", copy);
        remove_dir(copy);
        ck_assert_int_eq(mkdir(copy, 0700), 0);
        if (access(locks, F_OK) < 0) {
                remove_dir(copy);
                return; /* nothing was ever stored */
        }
        copy_dir(locks, copy_locks);

        d = opendir(copy_locks);
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                ck_assert_msg(
                        !strstr(de->d_name, BROKEN_INFIX), "a damaged file was moved aside: %s", de->d_name);
                ret->n_tmp += is_tmp_file_name(de->d_name);
        }
        closedir(d);

        r = store_open(copy, &store);
        ck_assert_msg(r >= 0, "store_open: %s", strerror(-r));
        r = store_load_all(store, &records, &n);
        ck_assert_msg(r == 0, "store_load_all: %s (%d file(s) moved aside)", r < 0 ? strerror(-r) : "ok", r);
        for (size_t i = 0; i < n; i++) {
                History *h = NULL;

                ret->n_locks++;
                ret->n_provisional += records[i]->provisional;
                if (strcmp(records[i]->address, WORLD_LOCK_ADDRESS) == 0) {
                        static const uint8_t zero[STORE_AES_KEY_SIZE] = {};

                        ret->has_aes_key = memcmp(records[i]->aes_key, zero, sizeof(zero)) != 0;
                        snprintf(ret->alias, sizeof(ret->alias), "%s", records[i]->alias ?: "");
                }
                r = history_open(store_locks_dir_fd(store), records[i]->address, 0, &h);
                ck_assert_msg(r >= 0, "history_open %s: %s", records[i]->address, strerror(-r));
                ck_assert_msg(
                        history_skipped(h) == 0,
                        "%zu damaged record(s) in the archive of %s",
                        history_skipped(h),
                        records[i]->address);
                ret->n_history += history_count(h);
                history_free(h);
        }
        lock_records_free(records, n);
        store_free(store);
        remove_dir(copy);
}

char **world_sim_take_commands(World *w) {
        sd_bus_message *reply = NULL;
        char **l = NULL, *err;

        err = world_call_reply(w, WORLD_SIM1, "TakeCommands", &reply, NULL);
        ck_assert_msg(!err, "Sim1.TakeCommands: %s", err);
        ck_assert_int_ge(sd_bus_message_read_strv(reply, &l), 0);
        sd_bus_message_unref(reply);
        if (!l) /* an empty array */
                l = calloc(1, sizeof(char *));
        ck_assert_ptr_nonnull(l);
        return l;
}

void world_strv_free(char **l) {
        for (char **s = l; s && *s; s++)
                free(*s);
        free(l);
}
