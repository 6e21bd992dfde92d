/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "bus-errors.h"
#include "bus-manager.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

#ifndef TTLOCKD_CONF_FILE
#        define TTLOCKD_CONF_FILE "/etc/ttlockd/ttlockd.conf"
#endif

static const char *arg_config;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The TTLock Bluetooth door lock daemon: serves org.ttlock.Manager on the system bus.\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --log-level=LEVEL    debug, info, notice, warning, err (default: info)\n"
               "     --config=FILE        The configuration (default: $TTLOCKD_CONFIG, else\n"
               "                          " TTLOCKD_CONF_FILE
               "); SIGHUP reads it again\n\n"
               "Keys are kept under $STATE_DIRECTORY (else /var/lib/ttlockd); the system bus is\n"
               "$DBUS_SYSTEM_BUS_ADDRESS (else the default).\n\n"
               "See ttlockd(8) and ttlockd.conf(5).\n",
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_LOG_LEVEL, ARG_CONFIG };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "config", required_argument, NULL, ARG_CONFIG },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ttlockd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                log_error("Unknown log level \"%s\".", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(r);
                        break;
                case ARG_CONFIG:
                        if (optarg[0] == 0) {
                                log_error("--config needs a file.");
                                return -EINVAL;
                        }
                        arg_config = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("%s takes no arguments.", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

/* SIGHUP: read ttlockd.conf again; a bad file is refused and the configuration in force stays. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        char why[CONF_ERROR_MAX];
        int r;

        log_info("SIGHUP: reloading the configuration.");
        r = manager_load_config(userdata, NULL, why, sizeof(why));
        if (r < 0)
                log_error("Configuration refused, the one in force stays: %s", why[0] ? why : strerror(-r));
        return 0;
}

/* Every paired lock keeps its event archive open (store/history.h): a thousand doors need more
 * descriptors than the soft limit of 1024 a service starts with. systemd.exec(5) (LimitNOFILE=) asks
 * programs that do not use select() — sd-event uses epoll — to raise the soft limit to the hard one
 * themselves. ttlockd.service also sets LimitNOFILE=, since its system call filter refuses this. */
static void raise_nofile_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_debug_errno(-errno, "Cannot raise the limit of open files: %m");
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(bus_manager_freep) BusManager *bm = NULL;
        sigset_t mask;
        int r;

        /* journald reads the "<N>" prefixes when we run as a service. */
        log_set_prefix_priority(getenv("JOURNAL_STREAM") != NULL);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        raise_nofile_limit();

        r = ttlock_crypto_init();
        if (r < 0)
                return log_error_errno(r, "libgcrypt is unusable: %m");
        (void) ttlockd_errors_register();

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Cannot block signals: %m");

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Cannot get the event loop: %m");
        /* SIGTERM/SIGINT end the loop cleanly (NULL handler = sd_event_exit()). */
        r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot watch signals: %m");
        r = sd_event_set_watchdog(event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog: %m");

        /* sd_bus_open_system() honours DBUS_SYSTEM_BUS_ADDRESS. */
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %m");

        r = manager_new(event, NULL, &m);
        if (r < 0)
                return r;
        /* A bad configuration does not keep the doors BlueZ reaches shut: ttlockd runs with the
         * defaults and says why; SIGHUP or ReloadConfiguration() puts a fixed file in force. */
        {
                const char *path = arg_config ?: getenv("TTLOCKD_CONFIG") ?: TTLOCKD_CONF_FILE;
                char why[CONF_ERROR_MAX];

                r = manager_load_config(m, path, why, sizeof(why));
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        log_error("Configuration refused, running with the defaults: %s", why);
        }
        r = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch SIGHUP: %m");
        /* Objects first, then the locks, then the name: no call may reach an object that is not there
         * yet. */
        r = bus_manager_new(bus, m, &bm);
        if (r < 0)
                return r;
        r = manager_start(m, bus);
        if (r < 0)
                return r;
        r = sd_bus_request_name(bus, MANAGER_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot own %s: %m", MANAGER_BUS_NAME);

        (void) sd_notify(false, "READY=1\nSTATUS=Serving locks.");
        log_info("ttlockd %s running.", PACKAGE_VERSION);

        r = sd_event_loop(event);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        log_info("ttlockd stopping.");
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
