/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diag: Manager1.GetDiagnostics(), the bundle a user attaches to a bug report (ttlockctl(1) "diag"). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "lock-path.h"

bool arg_redact = true;

/* Every way the bundle could spell address: with ':', '_' or '-', in either case. */
static bool mentions(const char *text, const char *address) {
        char form[BT_ADDRESS_SIZE];

        for (const char *sep = ":_-"; *sep; sep++) {
                for (size_t i = 0; i < BT_ADDRESS_SIZE; i++)
                        form[i] = i % 3 == 2 && address[i] ? *sep : address[i];
                if (strcasestr(text, form))
                        return true;
        }
        return false;
}

/* Before anything is written: a redacted bundle that names a lock of this daemon is not written at all.
 * The daemon hashes every address (lock/diag.c); this is the second lock on the same door. */
static int check_redacted(sd_bus *bus, const char *text) {
        char **paths = NULL;
        size_t n = 0;
        int r;

        r = ctl_list_locks(bus, &paths, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char address[BT_ADDRESS_SIZE];

                if (lock_path_to_address(paths[i], address) >= 0 && mentions(text, address)) {
                        strv_free_n(paths, n);
                        return ctl_error(
                                -EPROTO,
                                _("The daemon's bundle names a lock's address although it was asked "
                                  "to hide them; nothing was written. Please report this."));
                }
        }
        strv_free_n(paths, n);
        return 0;
}

static int write_bundle(const char *text) {
        size_t n = strlen(text);
        int fd = STDOUT_FILENO, r = 0;

        if (arg_output) {
                fd = open(arg_output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0)
                        return ctl_error(-errno, _("Cannot create %s: %s"), arg_output, strerror(errno));
        }
        while (n > 0 && r >= 0) {
                ssize_t k = write(fd, text, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        r = -errno;
                else {
                        text += k;
                        n -= (size_t) k;
                }
        }
        if (r >= 0 && write(fd, "\n", 1) != 1)
                r = -errno;
        if (arg_output) {
                if (close(fd) < 0 && r >= 0)
                        r = -errno;
                if (r < 0)
                        (void) unlink(arg_output);
        }
        if (r < 0)
                return ctl_error(r, _("Cannot write the diagnostics: %s"), strerror(-r));
        if (arg_output)
                fprintf(stderr, _("Diagnostics written to %s.\n"), arg_output);
        return 0;
}

int verb_diag(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *text;
        int r;

        r = sd_bus_message_new_method_call(
                bus, &m, TTLOCK_BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "GetDiagnostics");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "redact", "b", arg_redact);
        if (r >= 0 && argc > 0) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "locks");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "as");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "s");
                /* LOCK arguments (address, alias or path) become addresses. */
                for (int i = 0; r >= 0 && i < argc; i++) {
                        _cleanup_free_ char *path = NULL;
                        char address[BT_ADDRESS_SIZE];

                        r = ctl_resolve_lock(bus, argv[i], &path);
                        if (r < 0)
                                return r;
                        if (lock_path_to_address(path, address) < 0)
                                return ctl_error(-EINVAL, _("\"%s\" is not a lock."), argv[i]);
                        r = sd_bus_message_append(m, "s", address);
                }
                for (int i = 0; r >= 0 && i < 3; i++)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
        if (arg_redact) {
                r = check_redacted(bus, text);
                if (r < 0)
                        return r;
        }
        return write_bundle(text);
}
