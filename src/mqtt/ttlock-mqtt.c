/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-mqtt — TTLock door locks on an MQTT broker, for Home Assistant and every other MQTT home.
 * A client of ttlockd's public D-Bus API (dbus/org.ttlock.Lock1.xml), like ttlockctl; see ttlock-mqtt(8). */

#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "mqtt-bridge.h"
#include "mqtt-config.h"

static const char *arg_config = MQTT_CONFIG_DEFAULT_PATH;
static bool arg_check = false;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Bridges ttlockd's door locks to an MQTT broker: Home Assistant discovery, a plain topic\n"
               "tree, commands.\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config=FILE        Configuration file (default: %s)\n"
               "     --check-config       Read the configuration and its secret files, then exit\n"
               "     --log-level=LEVEL    debug, info, notice, warning, err (default: info)\n\n"
               "The system bus is $DBUS_SYSTEM_BUS_ADDRESS (else the default).\n\n"
               "See ttlock-mqtt(8).\n",
               program_invocation_short_name,
               MQTT_CONFIG_DEFAULT_PATH);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG, ARG_CHECK_CONFIG, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ttlock-mqtt %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                log_error("Unknown log level \"%s\".", optarg);
                                return -EINVAL;
                        }
                        log_set_max_level(r);
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

/* Read a secret file named by the configuration; the message names the file, never the content. */
static int read_secret(const char *key, const char *path, char **ret) {
        _cleanup_free_ char *error = NULL;
        bool world = false;
        int r;

        *ret = NULL;
        if (!path)
                return 0;
        r = mqtt_read_secret_file(path, ret, &world, &error);
        if (r < 0) {
                if (error)
                        log_error("%s (%s).", error, key);
                else
                        log_error_errno(r, "Cannot read %s (%s): %m", path, key);
                return r;
        }
        if (world)
                log_warning(
                        "%s (%s) can be read by every user; make it readable by ttlock-mqtt only.",
                        path,
                        key);
        return 0;
}

static void erase_free(char *s) {
        if (s) {
                erase_memory(s, strlen(s));
                free(s);
        }
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Bridge *b = userdata;

        log_info("Stopping: telling the broker, then leaving.");
        (void) sd_notify(false, "STOPPING=1");
        bridge_stop(b);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(mqtt_config_done) MqttConfig config = {};
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(bridge_freep) Bridge *b = NULL;
        _cleanup_free_ char *error = NULL;
        char *password = NULL, *pin = NULL;
        sigset_t mask;
        int r;

        /* journald reads the "<N>" prefixes when we run as a service. */
        log_set_prefix_priority(getenv("JOURNAL_STREAM") != NULL);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        mqtt_config_init(&config);
        r = mqtt_config_load(&config, arg_config, &error);
        if (r >= 0)
                r = mqtt_config_finish(&config, NULL, &error);
        if (r < 0) {
                if (error)
                        log_error("%s", error);
                else
                        log_error_errno(r, "Cannot read %s: %m", arg_config);
                return r;
        }
        r = read_secret("password-file", config.password_file, &password);
        if (r >= 0)
                r = read_secret("unlock-pin-file", config.unlock_pin_file, &pin);
        if (r < 0) {
                erase_free(password);
                return r;
        }
        if (arg_check) {
                printf("%s: broker %s://%s:%u, topics %s/%s/, discovery %s, management %s.\n",
                       arg_config,
                       config.tls ? "mqtts" : "mqtt",
                       config.host,
                       config.port,
                       config.base_topic,
                       config.node_id,
                       config.discovery ? config.discovery_prefix : "off",
                       config.allow_manage ? "allowed" : "off");
                erase_free(password);
                erase_free(pin);
                return 0;
        }

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                r = log_error_errno(-errno, "Cannot block signals: %m");
                goto finish;
        }

        r = sd_event_default(&event);
        if (r < 0) {
                log_error_errno(r, "Cannot get the event loop: %m");
                goto finish;
        }
        /* sd_bus_open_system() honours DBUS_SYSTEM_BUS_ADDRESS. */
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_error_errno(r, "Cannot connect to the system bus: %m");
                goto finish;
        }
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Cannot attach the bus to the event loop: %m");
                goto finish;
        }

        r = bridge_new(event, bus, &config, pin, &b);
        if (r < 0) {
                log_oom();
                goto finish;
        }
        pin = NULL; /* the bridge holds it now */
        r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, b);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, b);
        if (r < 0) {
                log_error_errno(r, "Cannot watch signals: %m");
                goto finish;
        }

        r = bridge_start(b, password);
        /* libmosquitto has its own copy; ours goes now. */
        erase_free(TAKE_PTR(password));
        if (r < 0)
                goto finish;

        (void) sd_notify(false, "READY=1\nSTATUS=Bridging ttlockd to MQTT.");
        log_info(
                "ttlock-mqtt %s running: %s:%u, topics under %s/%s/.",
                PACKAGE_VERSION,
                config.host,
                config.port,
                config.base_topic,
                config.node_id);

        r = sd_event_loop(event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        else
                log_info("ttlock-mqtt stopped.");
finish:
        erase_free(password);
        erase_free(pin);
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        mosquitto_lib_init();
        r = run(argc, argv);
        mosquitto_lib_cleanup();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
