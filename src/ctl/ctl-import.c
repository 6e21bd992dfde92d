/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockctl import / export: bring keys the TTLock app, its cloud or the old Home Assistant add-on
 * hold (doc/lockdata.md), and back up the key store. Keys travel only inside the method call and its
 * reply (both marked sensitive, so sd-bus wipes them) and in the files the user names: never on the
 * command line, never in what ttlockctl prints. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl-import-util.h"
#include "ctl.h"

bool arg_yes = false;
bool arg_unverified = false;
const char *arg_output = NULL;

/* polkit may wait for the administrator's password (it gives an agent 25 s), then ttlockd proves every
 * lock of the input at the same time, each within its method deadline (about 20 s, ttlockd(8)): the
 * answer comes within a minute however many locks the file holds. */
#define IMPORT_TIMEOUT_USEC (60 * USEC_PER_SEC)

/* The question goes to the terminal even when the keys come from standard input. */
static int confirm(const char *path, const ImportSummary *s) {
        FILE *tty = NULL;
        char question[128];
        int r;

        if (arg_yes)
                return 1;
        if (strcmp(path, "-") != 0 && isatty(STDIN_FILENO))
                tty = stdin;
        else
                tty = fopen("/dev/tty", "r+e");
        if (!tty)
                return ctl_error(
                        -EINVAL, _("Not on a terminal, so nobody can confirm: add --yes to import anyway."));

        (void) snprintf(
                question,
                sizeof(question),
                ngettext("Import this lock?", "Import these %zu locks?", s->n_ok),
                s->n_ok);
        r = ask_yes_no(tty, tty == stdin ? stdout : tty, question);
        if (tty != stdin)
                fclose(tty);
        if (r <= 0)
                return ctl_error(-ECANCELED, _("Nothing imported."));
        return 1;
}

static int print_imported(sd_bus_message *reply) {
        const char *path;
        unsigned n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "o");
        if (r < 0)
                return ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
        while ((r = sd_bus_message_read(reply, "o", &path)) > 0) {
                char address[BT_ADDRESS_SIZE];

                printf(_("Imported %s\n"), lock_display_name(path, address));
                n++;
        }
        if (r < 0)
                return ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
        if (n == 0)
                printf(_("No lock was imported.\n"));
        return 0;
}

int verb_import(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(import_summary_freep) ImportSummary *summary = NULL;
        char *text = NULL, why[256] = "";
        size_t len = 0;
        int r;

        r = import_read_input(argv[0], stdin, &text, &len);
        if (r < 0)
                /* A file that cannot be read, or is no lock keys, is a bad argument (exit status 2),
                 * not "no such lock" or "access denied", which speak of the locks. */
                return r == -ENOMEM ? r : -EINVAL;

        /* What the file holds, before anything leaves this process. */
        r = import_summarize(text, len, &summary, why, sizeof(why));
        if (r < 0) {
                r = r == -ENOMEM ? ctl_error(r, _("Out of memory."))
                                 : ctl_error(
                                           r,
                                           _("%s holds no lock keys ttlockd knows: %s."),
                                           strcmp(argv[0], "-") == 0 ? _("Standard input") : argv[0],
                                           why);
                goto finish;
        }
        import_summary_print(summary, stdout);
        fflush(stdout);
        if (summary->n_ok == 0) {
                r = ctl_error(-EINVAL, _("Nothing to import."));
                goto finish;
        }
        r = confirm(argv[0], summary);
        if (r < 0)
                goto finish;

        r = sd_bus_message_new_method_call(
                bus,
                &m,
                TTLOCK_BUS_NAME,
                MANAGER_PATH,
                MANAGER_IFACE,
                arg_unverified ? "ImportLocksUnverified" : "ImportLocks");
        if (r >= 0)
                r = sd_bus_message_sensitive(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", text);
        if (r < 0) {
                r = ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
                goto finish;
        }
        import_text_free(text, len);
        text = NULL;

        r = sd_bus_call(bus, m, IMPORT_TIMEOUT_USEC, &error, &reply);
        if (r < 0) {
                r = ctl_bus_error(&error, r);
                goto finish;
        }
        r = print_imported(reply);

finish:
        import_text_free(text, len);
        return r;
}

/* The export holds every key of the locks: to a new file of mode 0600, or to standard output when
 * that is not a terminal (a file, or gpg --symmetric). */
static int open_output(int *ret_fd, bool *ret_close) {
        struct stat st;
        int fd;

        if (arg_output) {
                fd = open(arg_output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0)
                        return ctl_error(-errno, _("Cannot create %s: %s"), arg_output, strerror(errno));
                *ret_fd = fd;
                *ret_close = true;
                return 0;
        }
        if (isatty(STDOUT_FILENO))
                return ctl_error(
                        -EINVAL,
                        _("Refusing to print lock keys on a terminal: redirect them to a file, pipe them to "
                          "\"gpg --symmetric\", or use --output."));
        if (fstat(STDOUT_FILENO, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077))
                fprintf(stderr,
                        _("ttlockctl: warning: the file written to can be read by others, and it will hold "
                          "lock "
                          "keys (chmod 600 it, or use --output).\n"));
        *ret_fd = STDOUT_FILENO;
        *ret_close = false;
        return 0;
}

static int write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                s += k;
                n -= (size_t) k;
        }
        return 0;
}

int verb_export(sd_bus *bus, int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char **addresses = NULL;
        const char *yaml;
        bool close_fd = false;
        int fd = -1, r;

        /* LOCK arguments (address, alias or path) become addresses; none means every lock. */
        addresses = calloc((size_t) argc + 1, sizeof(char *));
        if (!addresses)
                return ctl_error(-ENOMEM, _("Out of memory."));
        for (int i = 0; i < argc; i++) {
                _cleanup_free_ char *path = NULL;
                char address[BT_ADDRESS_SIZE];

                r = ctl_resolve_lock(bus, argv[i], &path);
                if (r < 0)
                        goto finish;
                if (lock_path_to_address(path, address) < 0) {
                        r = ctl_error(-EINVAL, _("\"%s\" is not a lock."), argv[i]);
                        goto finish;
                }
                addresses[i] = strdup(address);
                if (!addresses[i]) {
                        r = ctl_error(-ENOMEM, _("Out of memory."));
                        goto finish;
                }
        }

        r = open_output(&fd, &close_fd);
        if (r < 0)
                goto finish;

        r = sd_bus_message_new_method_call(
                bus, &m, TTLOCK_BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ExportLocks");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, addresses);
        if (r < 0) {
                r = ctl_error(r, _("Failed to create a bus message: %s"), strerror(-r));
                goto finish;
        }
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                r = ctl_bus_error(&error, r);
                goto finish;
        }
        /* The reply is the keys: wiped when freed. */
        (void) sd_bus_message_sensitive(reply);
        r = sd_bus_message_read(reply, "s", &yaml);
        if (r < 0) {
                r = ctl_error(r, _("Failed to parse the reply: %s"), strerror(-r));
                goto finish;
        }
        r = write_all(fd, yaml, strlen(yaml));
        if (r >= 0 && close_fd && fsync(fd) < 0)
                r = -errno;
        if (r < 0)
                r = ctl_error(r, _("Cannot write the export: %s"), strerror(-r));

finish:
        if (close_fd) {
                if (close(fd) < 0 && r >= 0)
                        r = ctl_error(-errno, _("Cannot write the export: %s"), strerror(errno));
                /* A half-written export is worse than none. */
                if (r < 0)
                        (void) unlink(arg_output);
        }
        for (int i = 0; i < argc && addresses; i++)
                free(addresses[i]);
        free(addresses);
        return r;
}
