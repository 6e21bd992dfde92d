/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "world.h"

const char *world_env_path(const char *name) {
        const char *p = getenv(name);

        ck_assert_msg(p && access(p, R_OK) == 0, "%s must name a built file (run through meson test)", name);
        return p;
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void open_client(World *w) {
        int r;

        r = sd_bus_open_system(&w->client);
        ck_assert_msg(r >= 0, "sd_bus_open_system: %s", strerror(-r));
        /* Wake-ups for world_wait(): every property change and every signal of the daemon. */
        r = sd_bus_add_match(w->client, NULL, "type='signal',interface='org.freedesktop.DBus.Properties'", NULL, NULL);
        ck_assert_int_ge(r, 0);
        r = sd_bus_add_match(w->client, NULL, "type='signal',sender='org.ttlock.Manager'", NULL, NULL);
        ck_assert_int_ge(r, 0);
}

void world_start_sim(World *w) {
        const char *argv[32] = { world_env_path("TTLOCK_SIM"),
                                 "--always-awake",
                                 "--lock",
                                 w->lock_spec ?: "mac=" WORLD_LOCK_ADDRESS ",name=K5_010000",
                                 "--advert-interval-ms",
                                 "200",
                                 "--state",
                                 w->sim_state };
        size_t n = 8;
        int r;

        for (const char *const *a = w->sim_args; a && *a; a++) {
                ck_assert_uint_lt(n, ELEMENTSOF(argv) - 1);
                argv[n++] = *a;
        }
        argv[n] = NULL;
        r = test_bus_spawn(w->bus, (char *const *) argv, NULL, &w->sim_pid);
        ck_assert_msg(r >= 0, "spawn ttlock-sim: %s", strerror(-r));
        r = test_bus_wait_name(w->bus, "org.bluez", w->sim_pid, WORLD_TIMEOUT);
        ck_assert_msg(r >= 0, "ttlock-sim did not own org.bluez: %s", strerror(-r));
}

void world_start_daemon(World *w) {
        char state[300];
        const char *envv[16] = { state };
        char *argv[] = { (char *) world_env_path("TTLOCKD"), (char *) "--log-level=debug", NULL };
        size_t n = 1;
        int r;

        snprintf(state, sizeof(state), "STATE_DIRECTORY=%s", w->state_dir);
        for (const char *const *e = w->daemon_env; e && *e; e++) {
                ck_assert_uint_lt(n, ELEMENTSOF(envv) - 1);
                envv[n++] = *e;
        }
        envv[n] = NULL;
        r = test_bus_spawn(w->bus, argv, (char *const *) envv, &w->daemon_pid);
        ck_assert_msg(r >= 0, "spawn ttlockd: %s", strerror(-r));
        r = test_bus_wait_name(w->bus, "org.ttlock.Manager", w->daemon_pid, WORLD_TIMEOUT);
        ck_assert_msg(r >= 0, "ttlockd did not own org.ttlock.Manager: %s", strerror(-r));
}

void world_stop_pid(World *w, pid_t *pid) {
        int status = 0, r;

        r = test_bus_stop_pid(w->bus, *pid, 10 * TEST_USEC_PER_SEC, &status);
        ck_assert_msg(r >= 0, "stop %d: %s", (int) *pid, strerror(-r));
        *pid = 0;
}

void world_kill_pid(World *w, pid_t *pid) {
        int status = 0;

        ck_assert_int_eq(kill(*pid, SIGKILL), 0);
        ck_assert_int_ge(test_bus_wait_pid(w->bus, *pid, WORLD_TIMEOUT, &status), 0);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        *pid = 0;
}

void world_start(World *w) {
        const char *confs[] = { world_env_path("TTLOCK_SIM_BUS_CONF"), NULL };
        int r;

        ck_assert_msg(geteuid() == 0, "this test needs root: polkitd reads actions only from "
                                      "/usr/share/polkit-1/actions (CI runs it as root)");
        r = test_bus_start(confs, &w->bus);
        ck_assert_msg(r >= 0, "test_bus_start: %s", strerror(-r));
        ck_assert_msg(test_bus_has_polkit(w->bus), "polkit (polkitd) is not installed");
        ck_assert_int_ge(test_bus_install_polkit_policy(w->bus, world_env_path("TTLOCK_POLKIT_POLICY")), 0);
        if (w->polkit_rules)
                ck_assert_int_ge(test_bus_install_polkit_rules(w->bus, world_env_path("TTLOCK_POLKIT_TEST_RULES")),
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
        world_start_sim(w);
        world_start_daemon(w);
        open_client(w);
}

void world_stop(World *w) {
        w->client = sd_bus_flush_close_unref(w->client);
        /* The daemon goes first (test_bus_stop()), then its disk. */
        if (w->state_mounted) {
                if (w->daemon_pid > 0)
                        world_stop_pid(w, &w->daemon_pid);
                (void) umount2(w->state_dir, MNT_DETACH);
                w->state_mounted = false;
        }
        w->bus = test_bus_stop(w->bus);
}

bool world_wait(World *w, bool (*pred)(World *w, const void *arg), const void *arg, uint64_t timeout) {
        uint64_t deadline = now_usec() + timeout, now;

        for (;;) {
                while (sd_bus_process(w->client, NULL) > 0)
                        ;
                if (pred(w, arg))
                        return true;
                now = now_usec();
                if (now >= deadline)
                        return false;
                /* Woken by any signal; the bound only re-checks conditions read by a call. */
                (void) sd_bus_wait(w->client, MIN(deadline - now, 250 * TEST_USEC_PER_MSEC));
        }
}

static char *callv(World *w, const char *service, const char *path, const char *iface, const char *method,
                   const char *types, va_list ap) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        char *name = NULL;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(w->client, &m, service, path, iface, method), 0);
        if (types && *types)
                ck_assert_int_ge(sd_bus_message_appendv(m, types, ap), 0);
        r = sd_bus_call(w->client, m, 0, &e, &reply);
        if (r < 0) {
                name = strdup(e.name ?: "?");
                fprintf(stderr, "%s.%s → %s: %s\n", iface, method, e.name, e.message);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return name;
}

char *world_call(World *w, const char *service, const char *path, const char *iface, const char *method,
                 const char *types, ...) {
        va_list ap;
        char *r;

        va_start(ap, types);
        r = callv(w, service, path, iface, method, types, ap);
        va_end(ap);
        return r;
}

void world_call_ok(World *w, const char *service, const char *path, const char *iface, const char *method) {
        char *err = world_call(w, service, path, iface, method, NULL);

        ck_assert_msg(!err, "%s.%s failed: %s", iface, method, err);
}

void world_sim_call(World *w, const char *method, const char *types, ...) {
        va_list ap;
        char *err;

        va_start(ap, types);
        err = callv(w, WORLD_SIM1, method, types, ap);
        va_end(ap);
        ck_assert_msg(!err, "Sim1.%s: %s", method, err);
}

char *world_get_string(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int r;

        r = sd_bus_get_property_string(w->client, service, path, iface, prop, &e, &s);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return s;
}

bool world_get_bool(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int b = 0, r;

        r = sd_bus_get_property_trivial(w->client, service, path, iface, prop, &e, 'b', &b);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return b;
}

uint64_t world_get_u64(World *w, const char *service, const char *path, const char *iface, const char *prop) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        uint64_t v = 0;
        int r;

        r = sd_bus_get_property_trivial(w->client, service, path, iface, prop, &e, 't', &v);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, e.message);
        sd_bus_error_free(&e);
        return v;
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

        r = sd_bus_call_method(w->client, WORLD_MANAGER, "GetLockByAddress", NULL, &reply, "s", WORLD_LOCK_ADDRESS);
        sd_bus_message_unref(reply);
        return r >= 0;
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

void world_discover(World *w) {
        /* StartDiscovery says NotReady until ttlockd has read BlueZ's adapters. */
        ck_assert_msg(world_wait(w, world_have_adapter, NULL, WORLD_TIMEOUT), "no adapter on Manager1.Adapters");
        world_call_ok(w, WORLD_MANAGER, "StartDiscovery");
        ck_assert_msg(world_wait(w, world_lock_pairable, NULL, WORLD_TIMEOUT), "the pairable lock did not appear");
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

sd_bus_message *world_call_reply(
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
