/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockctl — control TTLock door locks through ttlockd, one command at a time, in the style of
 * boltctl and busctl. It knows ttlockd only through its D-Bus API (dbus/org.ttlock.*.xml). */

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"

bool arg_json = false;
bool arg_legend = true;
bool arg_ask_password = true;
bool arg_have_validity = false;
uint64_t arg_valid_from = 0;
const char *arg_kind = NULL;
uint64_t arg_valid_until = 0;
uint64_t arg_since = 0;
uint32_t arg_max = 100;
bool arg_have_every = false;
uint8_t arg_every_days = 0;
uint16_t arg_every_start = 0, arg_every_end = 1440;

static bool arg_help = false;
static bool arg_have_since = false, arg_have_max = false;
static const char *arg_from_str = NULL, *arg_until_str = NULL;

/* The passcode kinds of Credentials1.ListPasscodes / AddPasscodeOfKind. */
static bool kind_valid(const char *k) {
        static const char *const kinds[] = { "permanent", "period", "one-time", "cyclic" };

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(k, kinds[i]) == 0)
                        return true;
        return false;
}

typedef enum VerbFlags {
        VERB_JSON = 1 << 0,     /* a listing: --json and --no-legend apply */
        VERB_VALIDITY = 1 << 1, /* takes --from/--until */
        VERB_HISTORY = 1 << 2,  /* takes --since/--max */
        VERB_AUTH = 1 << 3,     /* polkit may ask: start a text agent on a terminal */
        VERB_KIND = 1 << 4,     /* takes --kind (passcode add) */
        VERB_IMPORT = 1 << 5,   /* takes --yes and --unverified */
        VERB_EXPORT = 1 << 6,   /* takes --output */
        VERB_EVERY = 1 << 7,    /* takes --every (weekly cycles): --from/--until are then times of day */
        VERB_SECRET = 1 << 8,   /* a passcode argument may be "-" (read from standard input) */
        VERB_DIAG = 1 << 9,     /* takes --output and --no-redact */
} VerbFlags;

typedef struct Verb {
        const char *group; /* NULL for commands of one word */
        const char *name;
        int min_args, max_args;
        unsigned flags;
        int (*run)(sd_bus *bus, int argc, char **argv);
        const char *args;
        const char *help;
} Verb;

/* One line per verb reads as a table; clang-format would put every field on a line of its own. */
/* clang-format off */
static const Verb verbs[] = {
        { NULL, "list", 0, 0, VERB_JSON, verb_list, "", N_("List known locks") },
        { NULL, "info", 1, 1, VERB_JSON, verb_info, "LOCK", N_("Show a lock's properties") },
        { NULL, "lock", 1, 1, VERB_AUTH, verb_lock, "LOCK", N_("Lock the door") },
        { NULL, "unlock", 1, 1, VERB_AUTH, verb_unlock, "LOCK", N_("Unlock the door") },
        { NULL, "refresh", 1, 1, VERB_AUTH, verb_refresh, "LOCK",
          N_("Read state and battery from the lock") },
        { NULL, "pair", 0, 1, VERB_AUTH, verb_pair, "[LOCK]",
          N_("Find a lock in pairing mode (the first, or the one named) and pair it") },
        { NULL, "forget", 1, 1, VERB_AUTH, verb_forget, "LOCK", N_("Delete the stored keys of a lock") },
        { NULL, "reset", 1, 1, VERB_AUTH, verb_reset, "LOCK", N_("Factory-reset a lock, then forget it") },
        { NULL, "alias", 1, 2, VERB_AUTH, verb_alias, "LOCK [NAME]", N_("Show or set a lock's alias") },
        { NULL, "monitor", 0, 1, VERB_JSON, verb_monitor, "[LOCK]",
          N_("Show events, state changes and enrollment progress as they happen") },
        { NULL, "history", 1, 1, VERB_JSON | VERB_HISTORY | VERB_AUTH, verb_history, "LOCK",
          N_("Show the lock's operation log") },
        { NULL, "import", 1, 1, VERB_IMPORT | VERB_AUTH, verb_import, "FILE|-",
          N_("Import locks the TTLock app, its cloud or the Home Assistant add-on paired, or an export") },
        { NULL, "export", 0, -1, VERB_EXPORT | VERB_AUTH, verb_export, "[LOCK...]",
          N_("Write the keys of these locks (or all) for a backup, to a file or a pipe") },
        { NULL, "radios", 0, 0, VERB_JSON, verb_radios, "",
          N_("List the radios: Bluetooth adapters and ESPHome proxies") },
        { NULL, "reload", 0, 0, VERB_AUTH, verb_reload, "",
          N_("Read ttlockd.conf again (proxies, adapters, pinned radios)") },
        { NULL, "diag", 0, -1, VERB_DIAG | VERB_AUTH, verb_diag, "[LOCK...]",
          N_("Write diagnostics for a bug report: no keys or passcodes, addresses hashed") },

        { "passcode", "list", 1, 1, VERB_JSON | VERB_AUTH, verb_passcode_list, "LOCK",
          N_("List passcodes") },
        { "passcode", "add", 2, 2, VERB_VALIDITY | VERB_KIND | VERB_EVERY | VERB_AUTH | VERB_SECRET, verb_passcode_add,
          "LOCK CODE|-", N_("Add a passcode of 4 to 9 digits") },
        { "passcode", "change", 3, 3, VERB_VALIDITY | VERB_AUTH | VERB_SECRET, verb_passcode_change,
          "LOCK CODE|- NEW-CODE|-", N_("Change a passcode and its validity") },
        { "passcode", "del", 2, 2, VERB_AUTH | VERB_SECRET, verb_passcode_del, "LOCK CODE|-",
          N_("Delete a passcode") },
        { "passcode", "clear", 1, 1, VERB_AUTH, verb_passcode_clear, "LOCK", N_("Delete all passcodes") },
        { "passcode", "alias", 3, 3, VERB_AUTH | VERB_SECRET, verb_passcode_alias, "LOCK CODE|- NAME",
          N_("Name a passcode (events show the name, never the digits)") },

        { "card", "list", 1, 1, VERB_JSON | VERB_AUTH, verb_card_list, "LOCK", N_("List IC cards") },
        { "card", "enroll", 1, 1, VERB_VALIDITY | VERB_AUTH, verb_card_enroll, "LOCK",
          N_("Enroll a card by holding it to the lock") },
        { "card", "add", 2, 2, VERB_VALIDITY | VERB_EVERY | VERB_AUTH, verb_card_add, "LOCK NUMBER",
          N_("Add a card by its number") },
        { "card", "validity", 2, 2, VERB_VALIDITY | VERB_EVERY | VERB_AUTH, verb_card_validity, "LOCK NUMBER",
          N_("Change when a card opens the lock") },
        { "card", "del", 2, 2, VERB_AUTH, verb_card_del, "LOCK NUMBER", N_("Delete a card") },
        { "card", "clear", 1, 1, VERB_AUTH, verb_card_clear, "LOCK", N_("Delete all cards") },
        { "card", "alias", 3, 3, VERB_AUTH, verb_card_alias, "LOCK NUMBER NAME", N_("Name a card") },

        { "finger", "list", 1, 1, VERB_JSON | VERB_AUTH, verb_finger_list, "LOCK", N_("List fingerprints") },
        { "finger", "enroll", 1, 1, VERB_VALIDITY | VERB_AUTH, verb_finger_enroll, "LOCK",
          N_("Enroll a fingerprint at the lock's sensor") },
        { "finger", "validity", 2, 2, VERB_VALIDITY | VERB_EVERY | VERB_AUTH, verb_finger_validity, "LOCK ID",
          N_("Change when a fingerprint opens the lock") },
        { "finger", "del", 2, 2, VERB_AUTH, verb_finger_del, "LOCK ID", N_("Delete a fingerprint") },
        { "finger", "clear", 1, 1, VERB_AUTH, verb_finger_clear, "LOCK", N_("Delete all fingerprints") },
        { "finger", "alias", 3, 3, VERB_AUTH, verb_finger_alias, "LOCK ID NAME", N_("Name a fingerprint") },

        { "set", "autolock", 2, 2, VERB_AUTH, verb_set_autolock, "LOCK SECONDS|off",
          N_("Lock again automatically after a delay (e.g. 10, 30s, 2min)") },
        { "set", "sound", 2, 3, VERB_AUTH, verb_set_sound, "LOCK on|off [VOLUME]",
          N_("Switch the lock's sounds, volume 1 to 5") },
        { "set", "remote-unlock", 2, 2, VERB_AUTH, verb_set_remote_unlock, "LOCK on|off",
          N_("Allow unlocking from a remote control or gateway") },
        { "set", "tamper", 2, 2, VERB_AUTH, verb_set_tamper, "LOCK on|off", N_("Switch the tamper alarm") },
        { "set", "privacy", 2, 2, VERB_AUTH, verb_set_privacy, "LOCK on|off",
          N_("Switch the privacy lock (do not disturb)") },
        { "set", "reset-button", 2, 2, VERB_AUTH, verb_set_reset_button, "LOCK on|off",
          N_("Allow factory reset by the lock's reset button") },
        { "set", "admin-passcode", 2, 2, VERB_AUTH | VERB_SECRET, verb_set_admin_passcode, "LOCK CODE|-",
          N_("Set the admin passcode for managing the lock at its keypad") },
        { "set", "connection", 2, 3, VERB_AUTH, verb_set_connection, "LOCK POLICY [SECONDS]",
          N_("Hold the link on-demand, keep-alive (SECONDS after each call), persistent, or as configured (default)") },
        { "set", "passage", 2, -1, VERB_AUTH, verb_set_passage, "LOCK off|DAYS@HH:MM-HH:MM...",
          N_("Replace the passage mode schedules (e.g. mon-fri@08:00-18:00)") },
        { "set", "passage-now", 2, 2, VERB_AUTH, verb_set_passage_now, "LOCK on|off",
          N_("Switch passage mode on or off now, apart from the schedules") },
        { "set", "frozen", 2, 2, VERB_AUTH, verb_set_frozen, "LOCK on|off",
          N_("Freeze the lock: every credential but the administrator is refused") },
        { "set", "door-left-open", 2, 2, VERB_AUTH, verb_set_door_left_open, "LOCK SECONDS|off",
          N_("After how long an open door is reported as left open") },
        { "passage", "list", 1, 1, VERB_JSON | VERB_AUTH, verb_passage_list, "LOCK",
          N_("Show the passage mode schedules") },
        { "clock", "sync", 1, 1, VERB_AUTH, verb_clock_sync, "LOCK",
          N_("Set the lock's clock to the host's") },
};
/* clang-format on */

static const char *const groups[] = { "passcode", "card", "finger", "set", "passage", "clock" };

static bool is_group(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (strcmp(s, groups[i]) == 0)
                        return true;
        return false;
}

static void print_verb(FILE *f, const Verb *v) {
        char words[96];

        snprintf(words, sizeof(words), "%s%s%s %s", v->group ?: "", v->group ? " " : "", v->name, v->args);
        fprintf(f, "  %-44s %s\n", words, _(v->help));
}

static void help_group(FILE *f, const char *group) {
        fprintf(f, _("Usage: %s [OPTIONS...] %s COMMAND ...\n\n"), "ttlockctl", group);
        fputs(_("Commands:\n"), f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].group && strcmp(verbs[i].group, group) == 0)
                        print_verb(f, &verbs[i]);
        fputs(_("\nSee ttlockctl --help for the options and ttlockctl(1) for details.\n"), f);
}

static void help(void) {
        printf(_("Usage: %s [OPTIONS...] COMMAND ...\n\n"
                 "Control TTLock Bluetooth door locks through ttlockd.\n\n"
                 "Commands:\n"),
               "ttlockctl");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                print_verb(stdout, &verbs[i]);
        fputs(_("\nLOCK is a lock's address (AA:BB:CC:DD:EE:FF, any case), its alias, or its object path.\n"
                "DATE is ISO 8601 local time: 2026-12-01, 2026-12-01T08:00 or 2026-12-01T08:00:00.\n"
                "CODE - reads the passcode from standard input (a terminal: typed without echo).\n\n"
                "Options:\n"
                "  -h --help              Show this help, or the help of a command\n"
                "     --version           Show the version\n"
                "  -j --json              Print listings as JSON, monitor as JSON lines\n"
                "     --no-legend         Leave out table headers\n"
                "     --no-ask-password   Do not ask for a password to authorize an action\n"
                "     --from=DATE         Valid from (with --until; both absent: permanent)\n"
                "     --until=DATE        Valid until\n"
                "     --every=DAYS        Only on these weekdays (mon,wed,fri, mon-fri, daily, weekend;\n"
                "                         none: no more), from --from=HH:MM until --until=HH:MM\n"
                "     --kind=KIND         passcode add: permanent, period, one-time or cyclic\n"
                "     --since=DATE        history: only records from this time on\n"
                "     --max=N             history: at most N records (default 100)\n"
                "  -y --yes               import: do not ask before importing\n"
                "     --unverified        import: store locks out of reach, verify them on first contact\n"
                "  -o --output=FILE       export, diag: a new file (mode 0600) instead of standard output\n"
                "     --no-redact         diag: show addresses, names and aliases (never keys)\n\n"
                "See ttlockctl(1).\n"),
              stdout);
}

static void help_verb(const Verb *v) {
        printf(_("Usage: %s [OPTIONS...] %s%s%s %s\n\n%s.\n"),
               "ttlockctl",
               v->group ?: "",
               v->group ? " " : "",
               v->name,
               v->args,
               _(v->help));
        if (v->flags & VERB_VALIDITY)
                fputs(_("\n  --from=DATE --until=DATE   Validity (ISO 8601 local time); without them: "
                        "permanent\n"),
                      stdout);
        if (v->flags & VERB_EVERY)
                fputs(_("  --every=DAYS --from=HH:MM --until=HH:MM\n"
                        "                              Weekly: only on these days (mon,wed,fri, mon-fri,\n"
                        "                              daily, weekend), between these times (all day\n"
                        "                              without them; --until 24:00 is midnight), valid\n"
                        "                              indefinitely; --every none removes the cycles\n"),
                      stdout);
        if (v->flags & VERB_HISTORY)
                fputs(_("\n  --since=DATE   Only records from this time on\n"
                        "  --max=N        At most N records (default 100)\n"),
                      stdout);
        if (v->flags & VERB_JSON)
                fputs(_("\n  --json         JSON output\n"
                        "  --no-legend    No table header\n"),
                      stdout);
        if (v->flags & VERB_IMPORT)
                fputs(_("\n  FILE holds a TTLock lockData string, TTLock cloud JSON, the Home Assistant\n"
                        "  add-on's lockData.json or a ttlockd export; - reads standard input.\n"
                        "  --yes          Do not ask before importing\n"
                        "  --unverified   Store locks out of reach; verify them on first contact\n"),
                      stdout);
        if (v->flags & (VERB_EXPORT | VERB_DIAG))
                fputs(_("\n  --output=FILE  Write a new file of mode 0600 instead of standard output\n"),
                      stdout);
        if (v->flags & VERB_SECRET)
                fputs(_("\n  A passcode given as - is read from standard input, one line each, or typed at\n"
                        "  the terminal without echo; on the command line every local user could see it.\n"),
                      stdout);
        if (v->flags & VERB_DIAG)
                fputs(_("  --no-redact    Show addresses, names and aliases as they are (never keys,\n"
                        "                 passcodes or card numbers)\n"),
                      stdout);
        /* The same closing line as a group's help, so that it is already translated. */
        fputs(_("\nSee ttlockctl --help for the options and ttlockctl(1) for details.\n"), stdout);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_NO_LEGEND,
                ARG_NO_ASK_PASSWORD,
                ARG_FROM,
                ARG_UNTIL,
                ARG_KIND,
                ARG_SINCE,
                ARG_MAX,
                ARG_UNVERIFIED,
                ARG_EVERY,
                ARG_NO_REDACT,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, 'j' },
                { "no-legend", no_argument, NULL, ARG_NO_LEGEND },
                { "no-ask-password", no_argument, NULL, ARG_NO_ASK_PASSWORD },
                { "from", required_argument, NULL, ARG_FROM },
                { "until", required_argument, NULL, ARG_UNTIL },
                { "every", required_argument, NULL, ARG_EVERY },
                { "kind", required_argument, NULL, ARG_KIND },
                { "since", required_argument, NULL, ARG_SINCE },
                { "max", required_argument, NULL, ARG_MAX },
                { "yes", no_argument, NULL, 'y' },
                { "unverified", no_argument, NULL, ARG_UNVERIFIED },
                { "output", required_argument, NULL, 'o' },
                { "no-redact", no_argument, NULL, ARG_NO_REDACT },
                {}
        };
        uint64_t v;
        int c, r;

        /* Options may come anywhere, as with systemctl; "--" ends them (for a NAME starting with "-"). */
        while ((c = getopt_long(argc, argv, "hjyo:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        arg_help = true;
                        break;
                case ARG_VERSION:
                        printf("ttlockctl %s\n", PACKAGE_VERSION);
                        return 0;
                case 'j':
                        arg_json = true;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case ARG_FROM:
                        /* A date, or with --every a time of day: read once all options are known. */
                        arg_from_str = optarg;
                        break;
                case ARG_EVERY:
                        if (strcmp(optarg, "none") == 0)
                                arg_every_days = 0;
                        else if (parse_weekdays(optarg, &arg_every_days) < 0)
                                return ctl_error(-EINVAL,
                                                 _("Invalid --every \"%s\" (expected e.g. mon,wed,fri, mon-fri, "
                                                   "daily, weekend or none)."),
                                                 optarg);
                        arg_have_every = true;
                        break;
                case ARG_KIND:
                        if (!kind_valid(optarg))
                                return ctl_error(-EINVAL,
                                                 _("Invalid --kind \"%s\": permanent, period, one-time or cyclic."),
                                                 optarg);
                        arg_kind = optarg;
                        break;
                case ARG_UNTIL:
                        arg_until_str = optarg;
                        break;
                case ARG_SINCE:
                        r = parse_datetime_usec(optarg, &arg_since);
                        if (r < 0)
                                return ctl_error(
                                        -EINVAL,
                                        _("Invalid date for --since: \"%s\" (expected e.g. %s)."),
                                        optarg,
                                        "2026-12-01");
                        arg_have_since = true;
                        break;
                case ARG_MAX:
                        r = parse_uint(optarg, UINT32_MAX, &v);
                        if (r < 0 || v == 0)
                                return ctl_error(-EINVAL, _("Invalid number for --max: \"%s\"."), optarg);
                        arg_max = (uint32_t) v;
                        arg_have_max = true;
                        break;
                case 'y':
                        arg_yes = true;
                        break;
                case ARG_UNVERIFIED:
                        arg_unverified = true;
                        break;
                case 'o':
                        if (!optarg[0])
                                return ctl_error(-EINVAL, _("--output needs a file name."));
                        arg_output = optarg;
                        break;
                case ARG_NO_REDACT:
                        arg_redact = false;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (!!arg_from_str != !!arg_until_str)
                return ctl_error(-EINVAL, _("--from and --until go together."));
        if (arg_have_every) {
                /* Weekly: times of day (Credentials1 cycles); the credential is valid indefinitely. */
                if (arg_from_str && arg_every_days == 0)
                        return ctl_error(-EINVAL, _("--every none takes no --from/--until."));
                if (arg_from_str && parse_time_of_day(arg_from_str, false, &arg_every_start) < 0)
                        return ctl_error(-EINVAL, _("Invalid time for --from: \"%s\" (expected e.g. %s)."),
                                         arg_from_str, "08:00");
                if (arg_until_str && parse_time_of_day(arg_until_str, true, &arg_every_end) < 0)
                        return ctl_error(-EINVAL, _("Invalid time for --until: \"%s\" (expected e.g. %s)."),
                                         arg_until_str, "12:00");
                if (arg_every_end <= arg_every_start)
                        return ctl_error(-EINVAL, _("--until must be later than --from."));
                return 1;
        }
        if (arg_from_str) {
                if (parse_datetime_usec(arg_from_str, &arg_valid_from) < 0)
                        return ctl_error(-EINVAL, _("Invalid date for --from: \"%s\" (expected e.g. %s)."),
                                         arg_from_str, "2026-12-01T08:00");
                if (parse_datetime_usec(arg_until_str, &arg_valid_until) < 0)
                        return ctl_error(-EINVAL, _("Invalid date for --until: \"%s\" (expected e.g. %s)."),
                                         arg_until_str, "2026-12-31T18:00");
                if (arg_valid_until <= arg_valid_from)
                        return ctl_error(-EINVAL, _("--until must be later than --from."));
                arg_have_validity = true;
        }
        return 1;
}

static const Verb *find_verb(const char *group, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0 &&
                    (group ? verbs[i].group && strcmp(verbs[i].group, group) == 0 : !verbs[i].group))
                        return &verbs[i];
        return NULL;
}

/* Options that the chosen command does not take are mistakes worth pointing out, not ignoring. */
static int check_options(const Verb *v) {
        if (arg_json && !(v->flags & VERB_JSON))
                return ctl_error(-EINVAL, _("--json is only for listings and monitor."));
        if (!arg_legend && !(v->flags & VERB_JSON))
                return ctl_error(-EINVAL, _("--no-legend is only for listings."));
        if (arg_have_validity && !(v->flags & VERB_VALIDITY))
                return ctl_error(-EINVAL, _("This command takes no validity (--from/--until)."));
        if (arg_kind && !(v->flags & VERB_KIND))
                return ctl_error(-EINVAL, _("--kind is only for passcode add."));
        if (arg_have_every && !(v->flags & VERB_EVERY))
                return ctl_error(-EINVAL, _("--every is only for passcode add, card add and the validity commands."));
        if (arg_have_every && arg_every_days == 0 && strcmp(v->name, "validity") != 0)
                return ctl_error(-EINVAL, _("--every none is only for card validity and finger validity."));
        if (arg_have_every && arg_kind && strcmp(arg_kind, "cyclic") != 0)
                return ctl_error(-EINVAL, _("--every makes a cyclic passcode; it does not go with --kind %s."),
                                 arg_kind);
        if (!arg_have_every && arg_kind && strcmp(arg_kind, "cyclic") == 0)
                return ctl_error(-EINVAL, _("A cyclic passcode needs --every DAYS (and --from/--until times)."));
        if ((arg_have_since || arg_have_max) && !(v->flags & VERB_HISTORY))
                return ctl_error(-EINVAL, _("--since and --max are only for history."));
        if ((arg_yes || arg_unverified) && !(v->flags & VERB_IMPORT))
                return ctl_error(-EINVAL, _("--yes and --unverified are only for import."));
        if (arg_output && !(v->flags & (VERB_EXPORT | VERB_DIAG)))
                return ctl_error(-EINVAL, _("--output is only for export and diag."));
        if (!arg_redact && !(v->flags & VERB_DIAG))
                return ctl_error(-EINVAL, _("--no-redact is only for diag."));
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *group = NULL, *name;
        const Verb *v;
        char **args;
        int n_args, r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        args = argv + optind;
        n_args = argc - optind;

        if (n_args == 0) {
                if (arg_help) {
                        help();
                        return 0;
                }
                return ctl_error(-EINVAL, _("No command given; see ttlockctl --help."));
        }
        if (strcmp(args[0], "help") == 0) {
                if (n_args > 1 && is_group(args[1]))
                        help_group(stdout, args[1]);
                else if (n_args > 1 && find_verb(NULL, args[1]))
                        help_verb(find_verb(NULL, args[1]));
                else
                        help();
                return 0;
        }

        if (is_group(args[0])) {
                group = args[0];
                if (n_args < 2) {
                        if (arg_help) {
                                help_group(stdout, group);
                                return 0;
                        }
                        help_group(stderr, group);
                        return -EINVAL;
                }
                args++;
                n_args--;
        }
        name = args[0];
        args++;
        n_args--;

        v = find_verb(group, name);
        if (!v) {
                if (group)
                        return ctl_error(
                                -EINVAL,
                                _("Unknown command \"%s %s\"; see ttlockctl %s --help."),
                                group,
                                name,
                                group);
                return ctl_error(-EINVAL, _("Unknown command \"%s\"; see ttlockctl --help."), name);
        }
        if (arg_help) {
                help_verb(v);
                return 0;
        }
        r = check_options(v);
        if (r < 0)
                return r;
        if (n_args < v->min_args || (v->max_args >= 0 && n_args > v->max_args))
                return ctl_error(
                        -EINVAL,
                        _("Wrong number of arguments. Usage: ttlockctl %s%s%s %s"),
                        v->group ?: "",
                        v->group ? " " : "",
                        v->name,
                        v->args);

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        if (v->flags & VERB_AUTH)
                ctl_polkit_agent_open();
        r = v->run(bus, n_args, args);
        ctl_polkit_agent_close();
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        textdomain(GETTEXT_PACKAGE);
        /* `ttlockctl monitor | head` should end quietly. */
        signal(SIGPIPE, SIG_DFL);

        r = run(argc, argv);
        if (fflush(stdout) != 0 && r >= 0)
                r = -EIO;
        return exit_code_from_errno(r);
}
