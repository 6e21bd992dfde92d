/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "log.h"
#include "testbus.h"

#define POLKIT_BUS_CONF "/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf"
#define POLKIT_SERVICE "/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service"
#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_ACTIONS_DIR "/usr/share/polkit-1/actions"
#define POLKIT_RULES_DIR "/etc/polkit-1/rules.d"
#define INSTALL_PREFIX "ttlockd-test-"

/* How long a process gets between SIGTERM and SIGKILL, and dbus-daemon to say it listens. */
#define STOP_TIMEOUT_USEC (5 * TEST_USEC_PER_SEC)
#define START_TIMEOUT_USEC (10 * TEST_USEC_PER_SEC)
#define MAX_CAPTURE (1024 * 1024)

typedef struct TestProc {
        pid_t pid;
        bool reaped;
} TestProc;

struct TestBus {
        pid_t owner; /* the process that started it; only it may stop it */
        TestBus *next_live;
        char *dir;
        char *address;
        char *saved_address; /* DBUS_SYSTEM_BUS_ADDRESS before us, NULL if unset */
        pid_t daemon_pid;
        bool has_polkit;
        TestProc *procs;
        size_t n_procs;
        char **installed;
        size_t n_installed;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * TEST_USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Milliseconds left until deadline for poll(), rounded up so that we never spin at 0. */
static int poll_ms_left(uint64_t deadline) {
        uint64_t n = now_usec();

        if (n >= deadline)
                return 0;
        return (int) MIN((deadline - n + 999) / 1000, (uint64_t) INT32_MAX);
}

static int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t done = 0;

        /* A name without the .policy/.rules suffix: polkitd's directory watch ignores it until the
         * rename makes the complete file appear at once. */
        if (asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        while (done < len) {
                ssize_t n = write(fd, data + done, len - done);
                if (n < 0) {
                        int r = -errno;
                        (void) unlink(tmp);
                        return r;
                }
                done += (size_t) n;
        }
        if (fchmod(fd, mode) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0, size = 0;

        *ret_len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (size - len < 4096) {
                        char *p;

                        if (size >= MAX_CAPTURE)
                                return -EFBIG;
                        size = size * 2 + 4096;
                        p = realloc(buf, size);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int copy_file_to(const char *src, const char *dst_path, mode_t mode) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = read_file(src, &data, &len);
        if (r < 0)
                return log_error_errno(r, "testbus: cannot read %s: %m", src);
        r = write_file_atomic(dst_path, data, len, mode);
        if (r < 0)
                return log_error_errno(r, "testbus: cannot write %s: %m", dst_path);
        return 0;
}

static int copy_file_into(const char *src, const char *dst_dir) {
        _cleanup_free_ char *dst = NULL;
        const char *base = strrchr(src, '/');

        if (asprintf(&dst, "%s/%s", dst_dir, base ? base + 1 : src) < 0)
                return -ENOMEM;
        return copy_file_to(src, dst, 0644);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void rm_rf(const char *dir) {
        (void) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int test_lookup_user(const char *user, uid_t *ret_uid, gid_t *ret_gid) {
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(user);
        if (!pw)
                return log_error_errno(errno > 0 ? errno : ENOENT, "testbus: no user %s", user);
        if (ret_uid)
                *ret_uid = pw->pw_uid;
        if (ret_gid)
                *ret_gid = pw->pw_gid;
        return 0;
}

/* Wait at most until deadline for pid to exit. A pidfd becomes readable when the process exits,
 * whether or not it is our child, so this also serves polkitd (a child of dbus-daemon) without
 * polling. Children are reaped; ret_status is set for them. -ETIMEDOUT if still running. */
static int wait_exit(pid_t pid, bool child, uint64_t deadline, int *ret_status) {
        _cleanup_close_ int pidfd = -EBADF;
        int status = 0;

        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                if (errno == ESRCH)
                        return 0; /* already gone (and reaped) */
                return log_error_errno(errno, "testbus: pidfd_open(%d): %m", (int) pid);
        }
        for (;;) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int n = poll(&p, 1, poll_ms_left(deadline));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ETIMEDOUT;
                break;
        }
        if (child) {
                if (waitpid(pid, &status, 0) < 0)
                        return log_error_errno(errno, "testbus: waitpid(%d): %m", (int) pid);
                if (ret_status)
                        *ret_status = status;
        }
        return 0;
}

/* SIGTERM, wait, SIGKILL, wait. The pidfd pins the process, so a recycled pid is never hit. */
static int terminate(pid_t pid, bool child, uint64_t timeout_usec, int *ret_status) {
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0)
                return errno == ESRCH ? 0 : -errno;
        if (pidfd_send_signal(pidfd, SIGTERM, NULL, 0) < 0 && errno != ESRCH)
                return log_error_errno(errno, "testbus: cannot signal %d: %m", (int) pid);
        r = wait_exit(pid, child, now_usec() + timeout_usec, ret_status);
        if (r != -ETIMEDOUT)
                return r;
        if (timeout_usec > 0)
                log_warning("testbus: process %d ignored SIGTERM for %.1f s, killing it", (int) pid,
                            (double) timeout_usec / TEST_USEC_PER_SEC);
        (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        return wait_exit(pid, child, now_usec() + STOP_TIMEOUT_USEC, ret_status);
}

static TestProc *find_proc(TestBus *b, pid_t pid) {
        for (size_t i = 0; i < b->n_procs; i++)
                if (b->procs[i].pid == pid)
                        return &b->procs[i];
        return NULL;
}

static int remember_proc(TestBus *b, pid_t pid) {
        TestProc *p = realloc(b->procs, (b->n_procs + 1) * sizeof(TestProc));

        if (!p)
                return -ENOMEM;
        b->procs = p;
        b->procs[b->n_procs++] = (TestProc) { .pid = pid };
        return 0;
}

static const char bus_conf_template[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<!-- The essentials of /usr/share/dbus-1/system.conf. No <user>: the bus keeps our uid.\n"
        "     No <servicehelper>: activated services are forked by the bus itself. -->\n"
        "<busconfig>\n"
        "  <type>system</type>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <listen>unix:path=%1$s/system_bus_socket</listen>\n"
        "  <servicedir>%1$s/services</servicedir>\n"
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <deny own=\"*\"/>\n"
        "    <deny send_type=\"method_call\"/>\n"
        "    <allow send_type=\"signal\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
        "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
        "    <allow receive_type=\"method_call\"/>\n"
        "    <allow receive_type=\"method_return\"/>\n"
        "    <allow receive_type=\"error\"/>\n"
        "    <allow receive_type=\"signal\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Properties\"/>\n"
        "    <deny send_destination=\"org.freedesktop.DBus\" send_interface=\"org.freedesktop.DBus\"\n"
        "          send_member=\"UpdateActivationEnvironment\"/>\n"
        "  </policy>\n"
        "  <policy user=\"root\">\n"
        "    <allow send_destination=\"org.freedesktop.DBus\"\n"
        "           send_interface=\"org.freedesktop.DBus.Monitoring\"/>\n"
        "  </policy>\n"
        "  <includedir>%1$s/system.d</includedir>\n"
        "</busconfig>\n";

static bool pid_is_dead(int pid) {
        return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

/* Remove what test processes that died without cleaning up left behind: a failing ck_assert()
 * in Check's fork mode ends the test with _exit(), and a crash or SIGKILL skips everything.
 * (Their dbus-daemon got SIGTERM through PR_SET_PDEATHSIG, and polkitd leaves with its bus.)
 * Every name carries the pid of the test process that made it. */
static void sweep_stale(const char *dir, const char *prefix, const char *suffix) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name), p = strlen(prefix), s = strlen(suffix);
                char *end;
                long pid;

                if (l <= p + s || strncmp(de->d_name, prefix, p) != 0 ||
                    strcmp(de->d_name + l - s, suffix) != 0)
                        continue;
                errno = 0;
                pid = strtol(de->d_name + p, &end, 10);
                if (errno != 0 || *end != '-' || pid <= 0 || pid > INT32_MAX || !pid_is_dead((int) pid))
                        continue;
                if (de->d_type == DT_DIR) {
                        _cleanup_free_ char *path = NULL;

                        if (asprintf(&path, "%s/%s", dir, de->d_name) >= 0)
                                rm_rf(path);
                } else
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        }
}

static void sweep_all_stale(void) {
        sweep_stale("/tmp", "ttlockd-testbus-", "");
        if (geteuid() == 0) {
                sweep_stale(POLKIT_ACTIONS_DIR, INSTALL_PREFIX, ".policy");
                sweep_stale(POLKIT_RULES_DIR, INSTALL_PREFIX, ".rules");
        }
}

static int prepare_dir(TestBus *b, const char *const *extra_confs) {
        _cleanup_free_ char *sysd = NULL, *services = NULL, *conf_path = NULL, *conf = NULL;
        char tmpl[64];
        int r;

        sweep_all_stale();
        snprintf(tmpl, sizeof(tmpl), "/tmp/ttlockd-testbus-%d-XXXXXX", (int) getpid());
        if (!mkdtemp(tmpl))
                return log_error_errno(errno, "testbus: mkdtemp: %m");
        b->dir = strdup(tmpl);
        if (!b->dir)
                return -ENOMEM;
        /* mkdtemp makes 0700; the uid of a denial test must reach the socket. */
        if (chmod(b->dir, 0755) < 0)
                return log_error_errno(errno, "testbus: chmod %s: %m", b->dir);

        if (asprintf(&sysd, "%s/system.d", b->dir) < 0 || asprintf(&services, "%s/services", b->dir) < 0 ||
            asprintf(&conf_path, "%s/bus.conf", b->dir) < 0 ||
            asprintf(&conf, bus_conf_template, b->dir) < 0)
                return -ENOMEM;
        if (mkdir(sysd, 0755) < 0 || mkdir(services, 0755) < 0)
                return log_error_errno(errno, "testbus: mkdir in %s: %m", b->dir);

        r = copy_file_into(TTLOCK_DBUS_CONF, sysd);
        if (r < 0)
                return r;
        b->has_polkit = access(POLKIT_BUS_CONF, R_OK) >= 0 && access(POLKIT_SERVICE, R_OK) >= 0;
        if (b->has_polkit) {
                r = copy_file_into(POLKIT_BUS_CONF, sysd);
                if (r < 0)
                        return r;
                r = copy_file_into(POLKIT_SERVICE, services);
                if (r < 0)
                        return r;
        } else
                log_warning("testbus: polkit is not installed, every guarded call will be denied");
        for (const char *const *c = extra_confs; c && *c; c++) {
                r = copy_file_into(*c, sysd);
                if (r < 0)
                        return r;
        }

        return write_file_atomic(conf_path, conf, strlen(conf), 0644);
}

/* Start dbus-daemon as our child and read its address. --nofork rather than --fork: a child gets
 * SIGTERM through PR_SET_PDEATHSIG when a crashing test dies, instead of living on in CI, and is
 * reaped by waitpid(). --print-address=FD prints once the socket listens, so no sleep is needed. */
static int launch_daemon(TestBus *b) {
        _cleanup_free_ char *conf_arg = NULL, *line = NULL;
        _cleanup_close_ int rfd = -EBADF;
        int pipefd[2];
        size_t len = 0;
        uint64_t deadline;
        pid_t parent = getpid(), pid;

        if (asprintf(&conf_arg, "--config-file=%s/bus.conf", b->dir) < 0)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                /* fd 3 without O_CLOEXEC carries the address to us (dup2 onto itself would keep
                 * the flag, hence the fcntl). */
                if (pipefd[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(pipefd[1], 3) < 0)
                        _exit(EXIT_FAILURE);
                execlp("dbus-daemon", "dbus-daemon", conf_arg, "--nofork", "--nopidfile",
                       "--print-address=3", (char *) NULL);
                fprintf(stderr, "testbus: cannot run dbus-daemon: %m\n");
                _exit(127);
        }
        close(pipefd[1]);
        rfd = pipefd[0];
        b->daemon_pid = pid;

        line = malloc(4096);
        if (!line)
                return -ENOMEM;
        deadline = now_usec() + START_TIMEOUT_USEC;
        while (!memchr(line, '\n', len)) {
                struct pollfd p = { .fd = rfd, .events = POLLIN };
                ssize_t n;
                int k = poll(&p, 1, poll_ms_left(deadline));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return log_error_errno(k < 0 ? errno : ETIMEDOUT,
                                               "testbus: dbus-daemon printed no address: %m");
                n = read(rfd, line + len, 4095 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || len + (size_t) n >= 4095)
                        return log_error_errno(n < 0 ? errno : EIO,
                                               "testbus: dbus-daemon exited without an address "
                                               "(see its messages above): %m");
                len += (size_t) n;
        }
        *(char *) memchr(line, '\n', len) = '\0';
        b->address = TAKE_PTR(line);
        return 0;
}

/* Buses not yet stopped. A failing ck_assert() ends a test with exit() (fork mode) or a longjmp
 * past the test's cleanup: the atexit() handler then still stops the daemons, removes the polkit
 * files from /usr/share and /etc and the directory. */
static TestBus *live_buses = NULL;

static void stop_live_buses(void) {
        for (TestBus *b = live_buses, *next; b; b = next) {
                next = b->next_live;
                if (b->owner == getpid())
                        test_bus_stop(b);
        }
}

static void register_live(TestBus *b) {
        static bool registered = false;

        if (!registered && atexit(stop_live_buses) == 0)
                registered = true;
        b->next_live = live_buses;
        live_buses = b;
}

static void unregister_live(TestBus *b) {
        for (TestBus **p = &live_buses; *p; p = &(*p)->next_live)
                if (*p == b) {
                        *p = b->next_live;
                        return;
                }
}

int test_bus_start(const char *const *extra_confs, TestBus **ret) {
        _cleanup_test_bus_ TestBus *b = NULL;
        const char *old;
        int r;

        b = calloc(1, sizeof(TestBus));
        if (!b)
                return -ENOMEM;
        b->owner = getpid();
        register_live(b);
        old = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        if (old) {
                b->saved_address = strdup(old);
                if (!b->saved_address)
                        return -ENOMEM;
        }

        r = prepare_dir(b, extra_confs);
        if (r < 0)
                return r;
        r = launch_daemon(b);
        if (r < 0)
                return r;
        /* Our children inherit it; activated services (polkitd) get it from dbus-daemon itself,
         * which sets DBUS_SYSTEM_BUS_ADDRESS for what it starts on a bus of <type>system</type>. */
        if (setenv("DBUS_SYSTEM_BUS_ADDRESS", b->address, 1) < 0)
                return -errno;

        *ret = TAKE_PTR(b);
        return 0;
}

const char *test_bus_address(const TestBus *b) {
        return b->address;
}

const char *test_bus_dir(const TestBus *b) {
        return b->dir;
}

pid_t test_bus_daemon_pid(const TestBus *b) {
        return b->daemon_pid;
}

bool test_bus_has_polkit(const TestBus *b) {
        return b->has_polkit;
}

/* This TestBus's bus by its address, not by $DBUS_SYSTEM_BUS_ADDRESS: a test may run two. */
static int open_bus(TestBus *b, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, b->address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return log_error_errno(r, "testbus: cannot connect to the private bus: %m");
        *ret = TAKE_PTR(bus);
        return 0;
}

static int name_pid(sd_bus *bus, const char *name, pid_t *ret_pid) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t pid;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixProcessID", &error, &reply, "s", name);
        if (sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                return -ENXIO;
        if (r < 0)
                return log_error_errno(r, "testbus: GetConnectionUnixProcessID(%s): %s", name,
                                       error.message ?: strerror(-r));
        r = sd_bus_message_read(reply, "u", &pid);
        if (r < 0)
                return r;
        *ret_pid = (pid_t) pid;
        return 0;
}

int test_bus_name_pid(TestBus *b, const char *name, pid_t *ret_pid) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = open_bus(b, &bus);
        if (r < 0)
                return r;
        return name_pid(bus, name, ret_pid);
}

static int stop_polkitd(TestBus *b) {
        pid_t pid;
        int r;

        if (!b->has_polkit || b->daemon_pid <= 0 || !b->address)
                return 0;
        r = test_bus_name_pid(b, POLKIT_NAME, &pid);
        if (r == -ENXIO)
                return 0; /* never activated */
        if (r < 0)
                return r;
        return terminate(pid, /* child= */ false, STOP_TIMEOUT_USEC, NULL);
}

TestBus *test_bus_stop(TestBus *b) {
        if (!b)
                return NULL;
        unregister_live(b);
        /* A forked child (Check's fork mode) must not tear down its parent's world. */
        if (b->owner != getpid())
                return NULL;

        /* Helpers first, in reverse order of start: a daemon may still talk to the simulator. */
        for (size_t i = b->n_procs; i > 0; i--)
                if (!b->procs[i - 1].reaped)
                        (void) terminate(b->procs[i - 1].pid, /* child= */ true, STOP_TIMEOUT_USEC, NULL);
        /* polkitd is not our child: ask the bus for its pid while the bus still runs. */
        (void) stop_polkitd(b);
        if (b->daemon_pid > 0)
                (void) terminate(b->daemon_pid, /* child= */ true, STOP_TIMEOUT_USEC, NULL);

        for (size_t i = 0; i < b->n_installed; i++) {
                if (unlink(b->installed[i]) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "testbus: cannot remove %s: %m", b->installed[i]);
                free(b->installed[i]);
        }
        free(b->installed);
        if (b->dir)
                rm_rf(b->dir);

        if (b->saved_address)
                (void) setenv("DBUS_SYSTEM_BUS_ADDRESS", b->saved_address, 1);
        else if (b->address)
                (void) unsetenv("DBUS_SYSTEM_BUS_ADDRESS");

        free(b->procs);
        free(b->saved_address);
        free(b->address);
        free(b->dir);
        free(b);
        return NULL;
}

static size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

/* fork + exec with a CLOEXEC pipe that carries exec's errno back, so that a missing binary is
 * an error of the call (-ENOENT) and not a mysterious exit status later. */
static int spawn(TestBus *b, char *const argv[], char *const extra_env[], int stdout_fd, pid_t *ret_pid) {
        int errpipe[2], child_errno = 0, r;
        pid_t parent = getpid(), pid;
        ssize_t n;

        if (!argv || !argv[0])
                return -EINVAL;
        if (pipe2(errpipe, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(errpipe[0]);
                close(errpipe[1]);
                return r;
        }
        if (pid == 0) {
                int e;

                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                /* This bus, whichever a test started last (extra_env may still say otherwise). */
                if (b->address && setenv("DBUS_SYSTEM_BUS_ADDRESS", b->address, 1) < 0)
                        _exit(EXIT_FAILURE);
                for (char *const *e2 = extra_env; e2 && *e2; e2++)
                        if (putenv(*e2) != 0)
                                _exit(EXIT_FAILURE);
                if (stdout_fd >= 0 && dup2(stdout_fd, STDOUT_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                execvp(argv[0], argv);
                e = errno;
                (void) !write(errpipe[1], &e, sizeof(e));
                _exit(127);
        }
        close(errpipe[1]);
        do
                n = read(errpipe[0], &child_errno, sizeof(child_errno));
        while (n < 0 && errno == EINTR);
        close(errpipe[0]);
        if (n == sizeof(child_errno)) {
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(child_errno, "testbus: cannot run %s: %m", argv[0]);
        }

        r = remember_proc(b, pid);
        if (r < 0) {
                (void) terminate(pid, /* child= */ true, STOP_TIMEOUT_USEC, NULL);
                return r;
        }
        *ret_pid = pid;
        return 0;
}

/* argv prefixed with setpriv when user is set. Returns a new array of borrowed strings. */
static int build_argv(const char *user, const char *group, char *const argv[], char ***ret, char **ret_buf) {
        _cleanup_free_ char *buf = NULL;
        size_t n = strv_length(argv), k = 0;
        char **a;
        gid_t gid;
        int r;

        a = calloc(n + 6, sizeof(char *));
        if (!a)
                return -ENOMEM;
        if (user) {
                r = test_lookup_user(user, NULL, &gid);
                if (r < 0) {
                        free(a);
                        return r;
                }
                /* One buffer holding "--reuid=U\0--regid=G\0". */
                if (group ? asprintf(&buf, "--reuid=%s%c--regid=%s", user, 0, group) < 0
                          : asprintf(&buf, "--reuid=%s%c--regid=%u", user, 0, (unsigned) gid) < 0) {
                        free(a);
                        return -ENOMEM;
                }
                a[k++] = (char *) "setpriv";
                a[k++] = buf;
                a[k++] = buf + strlen(buf) + 1;
                a[k++] = (char *) "--clear-groups";
                a[k++] = (char *) "--";
        }
        for (size_t i = 0; i < n; i++)
                a[k++] = argv[i];
        *ret = a;
        *ret_buf = TAKE_PTR(buf);
        return 0;
}

int test_bus_spawn_as(TestBus *b, const char *user, const char *group, char *const argv[],
                      char *const extra_env[], pid_t *ret_pid) {
        _cleanup_free_ char **a = NULL;
        _cleanup_free_ char *buf = NULL;
        int r;

        r = build_argv(user, group, argv, &a, &buf);
        if (r < 0)
                return r;
        return spawn(b, a, extra_env, -EBADF, ret_pid);
}

int test_bus_spawn(TestBus *b, char *const argv[], char *const extra_env[], pid_t *ret_pid) {
        return test_bus_spawn_as(b, NULL, NULL, argv, extra_env, ret_pid);
}

int test_bus_wait_pid(TestBus *b, pid_t pid, uint64_t timeout_usec, int *ret_status) {
        TestProc *p = find_proc(b, pid);
        int r;

        if (!p || p->reaped)
                return -ECHILD;
        r = wait_exit(pid, /* child= */ true, now_usec() + timeout_usec, ret_status);
        if (r >= 0)
                p->reaped = true;
        return r;
}

int test_bus_stop_pid(TestBus *b, pid_t pid, uint64_t timeout_usec, int *ret_status) {
        TestProc *p = find_proc(b, pid);
        int r;

        if (!p || p->reaped)
                return -ECHILD;
        r = terminate(pid, /* child= */ true, timeout_usec, ret_status);
        if (r >= 0)
                p->reaped = true;
        return r;
}

int test_bus_run(TestBus *b, const char *user, const char *group, char *const argv[],
                 char *const extra_env[], uint64_t timeout_usec, int *ret_status, char **ret_stdout) {
        _cleanup_free_ char **a = NULL;
        _cleanup_free_ char *buf = NULL, *out = NULL;
        _cleanup_close_ int rfd = -EBADF;
        uint64_t deadline = now_usec() + timeout_usec;
        size_t len = 0;
        int pipefd[2] = { -EBADF, -EBADF }, status = 0, r;
        pid_t pid;

        r = build_argv(user, group, argv, &a, &buf);
        if (r < 0)
                return r;
        if (ret_stdout) {
                out = malloc(MAX_CAPTURE + 1);
                if (!out)
                        return -ENOMEM;
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        return -errno;
                rfd = pipefd[0];
        }
        r = spawn(b, a, extra_env, pipefd[1], &pid);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        if (r < 0)
                return r;

        /* Read until EOF (the command and everything it started closed stdout) or the deadline. */
        while (rfd >= 0) {
                struct pollfd p = { .fd = rfd, .events = POLLIN };
                ssize_t n;
                int k = poll(&p, 1, poll_ms_left(deadline));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n = read(rfd, out + len, MAX_CAPTURE - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
                if (len == MAX_CAPTURE)
                        break;
        }

        r = test_bus_wait_pid(b, pid, now_usec() < deadline ? deadline - now_usec() : 0, &status);
        if (r == -ETIMEDOUT) {
                log_error("testbus: %s did not finish within %.1f s, killing it", a[0],
                          (double) timeout_usec / TEST_USEC_PER_SEC);
                (void) test_bus_stop_pid(b, pid, 0, NULL);
                return -ETIMEDOUT;
        }
        if (r < 0)
                return r;

        if (ret_status)
                *ret_status = status;
        if (ret_stdout) {
                out[len] = '\0';
                *ret_stdout = TAKE_PTR(out);
        }
        return 0;
}

int test_bus_fork_as(TestBus *b, const char *user, int (*fn)(void *userdata), void *userdata,
                     pid_t *ret_pid) {
        uid_t uid;
        gid_t gid;
        pid_t parent = getpid(), pid;
        int r;

        r = test_lookup_user(user, &uid, &gid);
        if (r < 0)
                return r;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Groups first, then gid, then uid: after setresuid() we could no longer. */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent ||
                    setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
                    (b->address && setenv("DBUS_SYSTEM_BUS_ADDRESS", b->address, 1) < 0)) {
                        fprintf(stderr, "testbus: cannot become %s: %m\n", user);
                        _exit(EXIT_FAILURE);
                }
                _exit(fn(userdata) >= 0 ? EXIT_SUCCESS : EXIT_FAILURE);
        }
        r = remember_proc(b, pid);
        if (r < 0) {
                (void) terminate(pid, /* child= */ true, STOP_TIMEOUT_USEC, NULL);
                return r;
        }
        *ret_pid = pid;
        return 0;
}

typedef struct WaitName {
        bool owned;
} WaitName;

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        WaitName *w = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) >= 0 && new_owner[0])
                w->owned = true;
        return 0;
}

int test_bus_wait_name(TestBus *b, const char *name, pid_t pid, uint64_t timeout_usec) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *match = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        uint64_t deadline = now_usec() + timeout_usec;
        WaitName w = {};
        int r;

        if (!sd_bus_service_name_is_valid(name) || strchr(name, '\''))
                return -EINVAL;
        if (pid > 0) {
                TestProc *p = find_proc(b, pid);

                if (!p || p->reaped)
                        return -ECHILD;
                pidfd = pidfd_open(pid, 0);
                if (pidfd < 0)
                        return -errno;
        }

        r = open_bus(b, &bus);
        if (r < 0)
                return r;
        /* Subscribe before asking, so that an owner arriving in between is not missed. */
        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     name) < 0)
                return -ENOMEM;
        r = sd_bus_add_match(bus, NULL, match, on_name_owner_changed, &w);
        if (r < 0)
                return log_error_errno(r, "testbus: cannot watch %s: %m", name);
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, NULL, "s", name);
        if (r >= 0)
                return 0;
        if (!sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                return log_error_errno(r, "testbus: GetNameOwner(%s): %s", name, error.message);

        while (!w.owned) {
                struct pollfd p[2];
                int k;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "testbus: bus failed while waiting for %s: %m", name);
                if (r > 0)
                        continue;
                if (w.owned)
                        break;
                if (now_usec() >= deadline)
                        return log_error_errno(ETIMEDOUT, "testbus: %s did not appear within %.1f s", name,
                                               (double) timeout_usec / TEST_USEC_PER_SEC);
                /* Ask for the events only now: with messages still queued sd-bus wants none. */
                p[0] = (struct pollfd) { .fd = sd_bus_get_fd(bus),
                                         .events = (short) sd_bus_get_events(bus) };
                p[1] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
                k = poll(p, pidfd >= 0 ? 2 : 1, poll_ms_left(deadline));
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k > 0 && (p[1].revents & POLLIN)) {
                        int status = 0;

                        (void) test_bus_wait_pid(b, pid, 0, &status);
                        return log_error_errno(ESRCH,
                                               "testbus: process %d ended (status 0x%x) before %s appeared",
                                               (int) pid, (unsigned) status, name);
                }
        }
        return 0;
}

static int install_polkit_file(TestBus *b, const char *path, const char *dir, const char *suffix) {
        _cleanup_free_ char *dst = NULL;
        char **l;
        int r;

        if (geteuid() != 0)
                return log_error_errno(EPERM,
                                       "testbus: polkitd reads %s only from %s; installing %s there needs "
                                       "root (run the integration tests as root, as CI does)",
                                       suffix, dir, path);
        sweep_stale(dir, INSTALL_PREFIX, suffix);
        /* The pid keeps parallel test processes apart; the counter allows several files each. */
        if (asprintf(&dst, "%s/" INSTALL_PREFIX "%d-%zu%s", dir, (int) getpid(), b->n_installed, suffix) < 0)
                return -ENOMEM;
        l = realloc(b->installed, (b->n_installed + 1) * sizeof(char *));
        if (!l)
                return -ENOMEM;
        b->installed = l;
        r = copy_file_to(path, dst, 0644);
        if (r < 0)
                return r;
        b->installed[b->n_installed++] = TAKE_PTR(dst);
        return 0;
}

int test_bus_install_polkit_policy(TestBus *b, const char *path) {
        return install_polkit_file(b, path, POLKIT_ACTIONS_DIR, ".policy");
}

int test_bus_install_polkit_rules(TestBus *b, const char *path) {
        return install_polkit_file(b, path, POLKIT_RULES_DIR, ".rules");
}
