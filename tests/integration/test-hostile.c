/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Hostile input, generated from the API's own description (world.h). Every method of every interface in
 * dbus/org.ttlock.*.xml is called
 *  - with each of its arguments in turn taking values from a list for its type: empty, long (64 KiB) and
 *    huge (1 MiB) strings, control characters, format directives, numbers at and beyond every boundary
 *    the API names, and SetPassageModes()'s dictionaries with wrong, missing, unknown and too many keys;
 *  - with wrong signatures: no arguments, one too many, each argument of another type, a variant;
 *  - on object paths that are not a lock's;
 *  - the type-correct calls once more as a non-root caller (nobody, no rules.d grant);
 *  - and with messages the bus library would never build (invalid UTF-8, a NUL inside a string, a body
 *    shorter than its signature), written to the bus socket by hand.
 * A type-correct call must succeed or fail with an error its XML comment names ("Possible errors:",
 * "lock errors" and "as Method()" followed to where they lead); a call with the wrong signature or on a
 * wrong path with one of D-Bus's standard errors for those. The daemon must survive it all and still
 * open the lock with the keys it had. */

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault-flows.h"

#define METHODS_MAX 96
#define ERRORS_MAX 32
#define NAME_MAX_ 96

typedef struct Method {
        char interface[NAME_MAX_];
        char name[NAME_MAX_];
        char signature[32]; /* of the in arguments */
        char *errors[ERRORS_MAX];
        size_t n_errors;
        char as[NAME_MAX_];  /* "as AddPasscode": the errors of that method too */
        bool lock_errors;    /* "lock errors": those of the interface's description */
        char *header_errors; /* the interface description's error names, space-separated */
} Method;

typedef struct Api {
        Method methods[METHODS_MAX];
        size_t n_methods;
        unsigned calls, refused, succeeded;
} Api;

/* D-Bus's own answers to a call that is malformed or goes nowhere. */
static const char *const standard_errors[] = {
        "org.freedesktop.DBus.Error.InvalidArgs",     "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",   "org.freedesktop.DBus.Error.UnknownInterface",
        "org.freedesktop.DBus.Error.UnknownProperty", "org.freedesktop.DBus.Error.PropertyReadOnly",
};

/* ---- reading the XML ---------------------------------------------------------------------------- */

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;
        FILE *m;
        int c;

        ck_assert_msg(f, "cannot open %s", path);
        m = open_memstream(&buf, &n);
        ck_assert_ptr_nonnull(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

/* Every "org.ttlock.Error.X" and "org.freedesktop.DBus.Error.X" in text[0…len). */
static void add_error_names(Method *m, const char *text, size_t len) {
        static const char *const prefixes[] = { "org.ttlock.Error.", "org.freedesktop.DBus.Error." };

        for (size_t i = 0; i < len; i++)
                for (size_t p = 0; p < ELEMENTSOF(prefixes); p++) {
                        size_t pl = strlen(prefixes[p]), k;

                        if (i + pl >= len || strncmp(text + i, prefixes[p], pl) != 0)
                                continue;
                        for (k = i + pl; k < len && isalpha((unsigned char) text[k]); k++)
                                ;
                        if (m->n_errors < ERRORS_MAX)
                                m->errors[m->n_errors++] = strndup(text + i, k - i);
                }
}

static const char *attr(const char *tag, const char *end, const char *name, char *buf, size_t size) {
        char key[32];
        const char *p;

        snprintf(key, sizeof(key), " %s=\"", name);
        buf[0] = 0;
        p = strstr(tag, key);
        if (p && p < end) {
                const char *v = p + strlen(key), *q = strchr(v, '"');
                if (q && q < end)
                        snprintf(buf, size, "%.*s", (int) (q - v), v);
        }
        return buf;
}

static void parse_file(Api *api, const char *path) {
        char *xml = read_text(path), iface[NAME_MAX_] = "", buf[NAME_MAX_];
        const char *p = xml, *comment = NULL, *header = NULL;
        size_t comment_len = 0, header_len = 0;
        Method *m = NULL;

        while ((p = strchr(p, '<'))) {
                const char *end;

                if (strncmp(p, "<!--", 4) == 0) {
                        end = strstr(p, "-->");
                        ck_assert_ptr_nonnull(end);
                        comment = p + 4;
                        comment_len = (size_t) (end - comment);
                        /* The description before the interface: "Errors that come from talking to the lock".
                         */
                        if (!iface[0] && strstr(comment, "Error.") && strstr(comment, "Error.") < end) {
                                header = comment;
                                header_len = comment_len;
                        }
                        p = end + 3;
                        continue;
                }
                end = strchr(p, '>');
                ck_assert_ptr_nonnull(end);
                if (strncmp(p, "<interface ", 11) == 0)
                        attr(p, end, "name", iface, sizeof(iface));
                else if (strncmp(p, "<method ", 8) == 0) {
                        ck_assert_uint_lt(api->n_methods, METHODS_MAX);
                        m = &api->methods[api->n_methods++];
                        *m = (Method){};
                        snprintf(m->interface, sizeof(m->interface), "%s", iface);
                        attr(p, end, "name", m->name, sizeof(m->name));
                        /* Its comment, or the one it shares with the methods before it. */
                        if (comment) {
                                const char *errors = memmem(comment, comment_len, "Possible errors:", 16);
                                const char *as = errors ? strstr(errors, " as ") : NULL;

                                add_error_names(m, comment, comment_len);
                                m->lock_errors = memmem(comment, comment_len, "lock errors", 11) != NULL;
                                /* "Possible errors: as AddPasscode; …" */
                                if (as && as < comment + comment_len && isupper((unsigned char) as[4])) {
                                        size_t k = 4;
                                        while (isalpha((unsigned char) as[k]))
                                                k++;
                                        snprintf(m->as, sizeof(m->as), "%.*s", (int) (k - 4), as + 4);
                                }
                        }
                        if (header) {
                                Method h = {};
                                size_t n = 0;

                                add_error_names(&h, header, header_len);
                                m->header_errors = calloc(1, 64 * ERRORS_MAX);
                                ck_assert_ptr_nonnull(m->header_errors);
                                for (size_t i = 0; i < h.n_errors; i++) {
                                        n += (size_t) snprintf(
                                                m->header_errors + n,
                                                64 * ERRORS_MAX - n,
                                                "%s ",
                                                h.errors[i]);
                                        free(h.errors[i]);
                                }
                        }
                } else if (strncmp(p, "<arg ", 5) == 0 && m) {
                        attr(p, end, "direction", buf, sizeof(buf));
                        if (!buf[0] || strcmp(buf, "in") == 0)
                                strncat(m->signature,
                                        attr(p, end, "type", buf, sizeof(buf)),
                                        sizeof(m->signature) - strlen(m->signature) - 1);
                }
                /* Only a method's own arguments: not past it, not a signal's. */
                if (strncmp(p, "</method>", 9) == 0 || strncmp(p, "</interface>", 12) == 0 ||
                    strncmp(p, "<signal", 7) == 0 || strncmp(p, "<property", 9) == 0 ||
                    (strncmp(p, "<method ", 8) == 0 && end[-1] == '/'))
                        m = NULL;
                p = end + 1;
        }
        free(xml);
}

static Method *find_method(Api *api, const char *interface, const char *name) {
        for (size_t i = 0; i < api->n_methods; i++)
                if (strcmp(api->methods[i].interface, interface) == 0 &&
                    strcmp(api->methods[i].name, name) == 0)
                        return &api->methods[i];
        return NULL;
}

static void read_api(Api *api) {
        const char *dir = world_env_path("TTLOCK_DBUS_DIR");
        struct dirent *de;
        DIR *d = opendir(dir);

        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char path[512];
                size_t len = strlen(de->d_name);

                if (strncmp(de->d_name, "org.ttlock.", 11) != 0 || len < 5 ||
                    strcmp(de->d_name + len - 4, ".xml") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                parse_file(api, path);
        }
        closedir(d);
        ck_assert_uint_ge(api->n_methods, 40);
}

static bool documented_one(const Method *m, const char *error) {
        for (size_t i = 0; i < m->n_errors; i++)
                if (strcmp(m->errors[i], error) == 0)
                        return true;
        if (m->lock_errors && m->header_errors) {
                char word[NAME_MAX_ + 2];

                snprintf(word, sizeof(word), "%s ", error);
                if (strstr(m->header_errors, word))
                        return true;
        }
        return false;
}

static bool documented(Api *api, const Method *m, const char *error) {
        if (documented_one(m, error))
                return true;
        if (m->as[0]) {
                const Method *o = find_method(api, m->interface, m->as);

                ck_assert_msg(o, "%s.%s refers to %s, which is not there", m->interface, m->name, m->as);
                return documented_one(o, error);
        }
        return false;
}

static bool standard(const char *error) {
        for (size_t i = 0; i < ELEMENTSOF(standard_errors); i++)
                if (strcmp(error, standard_errors[i]) == 0)
                        return true;
        return false;
}

/* ---- the values ---------------------------------------------------------------------------------- */

#define HUGE (1024 * 1024)

static char *long_string(size_t n, char c) {
        char *s = malloc(n + 1);

        ck_assert_ptr_nonnull(s);
        memset(s, c, n);
        s[n] = 0;
        return s;
}

typedef struct Values {
        const char *s[48];
        size_t n_s;
        uint64_t t[16];
        size_t n_t;
        uint32_t u[16];
        size_t n_u;
        uint8_t y[8];
        size_t n_y;
        char *owned[3]; /* the long strings among s[], freed by free_values() */
} Values;

static void make_values(Values *v) {
        static const char *const strings[] = {
                "",
                "x",
                "0",
                "00",
                "1234",
                "0000",
                "01234",
                "123456789",
                "1234567890",
                "12345678901234567",
                "-1",
                "+5",
                " 1234",
                "1234 ",
                "12a4",
                "18446744073709551615",
                "18446744073709551616",
                "99999999999999999999999",
                "281474976710655",
                "281474976710656",
                "passcode",
                "ic-card",
                "fingerprint",
                "one-time",
                "cyclic",
                "period",
                "permanent",
                "weekly",
                "Ünïcödé ✓",
                "a\nb",
                "a\tb",
                "\x7f",
                "\x1b[31m",
                "%s%s%n%x",
                "../../etc/passwd",
                "AA:BB:CC:00:00:01",
                "aa:bb:cc:00:00:01",
                "AA:BB:CC:DD:EE:F",
        };
        static const uint64_t times[] = {
                0,
                1,
                UINT64_C(946684799999999),
                UINT64_C(946684800000000),
                UINT64_C(1767225600000000),
                UINT64_C(4102444799999999),
                UINT64_C(4102444800000000),
                UINT64_C(9223372036854775807),
                UINT64_MAX,
        };
        static const uint32_t u32[] = { 0, 1, 5, 65534, 65535, 65536, 10000, 10001, UINT32_MAX };
        static const uint8_t u8[] = { 0, 1, 5, 6, 127, 255 };

        *v = (Values){};
        ck_assert_uint_le(ELEMENTSOF(strings) + 3, ELEMENTSOF(v->s));
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                v->s[v->n_s++] = strings[i];
        v->owned[0] = long_string(257, 'a');       /* over every alias bound */
        v->owned[1] = long_string(64 * 1024, '7'); /* digits, long */
        v->owned[2] = long_string(HUGE, 'A');      /* huge */
        for (size_t i = 0; i < ELEMENTSOF(v->owned); i++)
                v->s[v->n_s++] = v->owned[i];
        memcpy(v->t, times, sizeof(times));
        v->n_t = ELEMENTSOF(times);
        memcpy(v->u, u32, sizeof(u32));
        v->n_u = ELEMENTSOF(u32);
        memcpy(v->y, u8, sizeof(u8));
        v->n_y = ELEMENTSOF(u8);
}

static void free_values(Values *v) {
        for (size_t i = 0; i < ELEMENTSOF(v->owned); i++)
                free(v->owned[i]);
        *v = (Values){};
}

/* SetPassageModes(aa{sv}) hostile payloads, by number. */
#define PASSAGE_CASES 12

static void append_passage(sd_bus_message *m, unsigned which) {
        static const uint8_t days[] = { 1, 2, 3, 4, 5, 6, 7, 0, 8, 255 };

        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "a{sv}"), 0);
        switch (which) {
        case 0: /* nothing: valid, clears */
                break;
        case 1: /* one empty entry */
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 0), 0);
                break;
        case 2: /* weekdays out of range */
                ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', days + 7, 3), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(
                        sd_bus_message_append(m, "{sv}{sv}", "start-minute", "q", 0, "end-minute", "q", 60),
                        0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                break;
        case 3: /* weekdays of the wrong type */
                ck_assert_int_ge(
                        sd_bus_message_append(
                                m,
                                "a{sv}",
                                3,
                                "weekdays",
                                "s",
                                "monday",
                                "start-minute",
                                "q",
                                0,
                                "end-minute",
                                "q",
                                60),
                        0);
                break;
        case 4: /* minutes past midnight, and the end before the start */
                ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', days, 2), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(
                        sd_bus_message_append(
                                m, "{sv}{sv}", "start-minute", "q", 1440, "end-minute", "q", 65535),
                        0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                break;
        case 5: /* an unknown key */
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, "colour", "s", "red"), 0);
                break;
        case 6: /* a key twice */
                ck_assert_int_ge(
                        sd_bus_message_append(m, "a{sv}", 2, "start-minute", "q", 1, "start-minute", "q", 2),
                        0);
                break;
        case 7: /* a minute as a string, a minute as a 64-bit number */
                ck_assert_int_ge(
                        sd_bus_message_append(
                                m, "a{sv}", 2, "start-minute", "s", "8:00", "end-minute", "t", UINT64_MAX),
                        0);
                break;
        case 8: /* a variant in a variant */
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, "start-minute", "v", "q", 1), 0);
                break;
        case 9:  /* more entries than the lock keeps (32) */
        case 10: /* far more: 10000 */
                for (unsigned i = 0; i < (which == 9 ? 33u : 10000u); i++) {
                        ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
                        ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
                        ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
                        ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
                        ck_assert_int_ge(sd_bus_message_append_array(m, 'y', days, 1), 0);
                        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                        ck_assert_int_ge(
                                sd_bus_message_append(
                                        m, "{sv}{sv}", "start-minute", "q", 60, "end-minute", "q", 120),
                                0);
                        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                }
                break;
        case 11: /* weekdays: 64 KiB of them */ {
                uint8_t *many = malloc(65536);

                ck_assert_ptr_nonnull(many);
                memset(many, 1, 65536);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'a', "{sv}"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'e', "sv"), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "s", "weekdays"), 0);
                ck_assert_int_ge(sd_bus_message_open_container(m, 'v', "ay"), 0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', many, 65536), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                ck_assert_int_ge(sd_bus_message_close_container(m), 0);
                free(many);
                break;
        }
        default:
                ck_abort();
        }
        ck_assert_int_ge(sd_bus_message_close_container(m), 0);
}

/* The a{sv} options of a method (GetDiagnostics): the fixed cases, then "locks" with each hostile
 * string. */
#define DICT_CASES 7
static void append_options(sd_bus_message *m, unsigned which, const char *s) {
        int r;

        switch (which) {
        case 0:
                r = sd_bus_message_append(m, "a{sv}", 0);
                break;
        case 1:
                r = sd_bus_message_append(m, "a{sv}", 1, "redact", "b", 0);
                break;
        case 2: /* a wrong type */
                r = sd_bus_message_append(m, "a{sv}", 1, "redact", "s", "no");
                break;
        case 3: /* an unknown option */
                r = sd_bus_message_append(m, "a{sv}", 1, "everything", "b", 1);
                break;
        case 4:
                r = sd_bus_message_append(m, "a{sv}", 1, "locks", "s", "AA:BB:CC:00:00:01");
                break;
        case 5: /* the same key twice */
                r = sd_bus_message_append(m, "a{sv}", 2, "redact", "b", 1, "redact", "b", 0);
                break;
        case 6: /* no locks named: every lock */
                r = sd_bus_message_append(m, "a{sv}", 1, "locks", "as", 0);
                break;
        default:
                r = sd_bus_message_append(m, "a{sv}", 1, "locks", "as", 1, s);
        }
        ck_assert_int_ge(r, 0);
}

/* ---- calling ------------------------------------------------------------------------------------ */

typedef struct Arg {
        char type; /* 's', 't', 'u', 'y', 'b', 'P' (aa{sv}) */
        const char *s;
        uint64_t n;
} Arg;

static const char *object_of(const Method *m) {
        return strcmp(m->interface, "org.ttlock.Manager1") == 0 ? "/org/ttlock/Manager" : WORLD_LOCK_PATH;
}

/* Forget() and FactoryReset() with the right signature would end the test's pairing; they are called
 * with wrong signatures and as nobody only. */
static bool destructive(const Method *m) {
        return strcmp(m->name, "Forget") == 0 || strcmp(m->name, "FactoryReset") == 0;
}

/* Send the call; NULL = success, else the error name (free()). */
static char *send_call(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *member,
        const Arg *args,
        size_t n_args) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        char *name = NULL;
        int r;

        ck_assert_int_ge(
                sd_bus_message_new_method_call(bus, &m, "org.ttlock.Manager", path, interface, member), 0);
        for (size_t i = 0; i < n_args; i++) {
                const Arg *a = &args[i];

                switch (a->type) {
                case 's':
                        r = sd_bus_message_append(m, "s", a->s);
                        break;
                case 't':
                        r = sd_bus_message_append(m, "t", a->n);
                        break;
                case 'u':
                        r = sd_bus_message_append(m, "u", (uint32_t) a->n);
                        break;
                case 'y':
                        r = sd_bus_message_append(m, "y", (uint8_t) a->n);
                        break;
                case 'b':
                        r = sd_bus_message_append(m, "b", (int) a->n);
                        break;
                case 'v':
                        r = sd_bus_message_append(m, "v", "s", "x");
                        break;
                case 'a':
                        r = sd_bus_message_append(m, "as", 1, "x");
                        break;
                case 'A': /* a string array: one hostile string, or none */
                        r = a->s ? sd_bus_message_append(m, "as", 1, a->s) : sd_bus_message_append(m, "as", 0);
                        break;
                case 'P':
                        append_passage(m, (unsigned) a->n);
                        r = 0;
                        break;
                case 'D':
                        append_options(m, (unsigned) a->n, a->s);
                        r = 0;
                        break;
                default:
                        ck_abort_msg("type %c", a->type);
                }
                ck_assert_int_ge(r, 0);
        }
        r = sd_bus_call(bus, m, 30 * TEST_USEC_PER_SEC, &e, NULL);
        if (r < 0) {
                name = strdup(e.name ?: "?");
                ck_assert_ptr_nonnull(name);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        return name;
}

static Arg default_arg(char type) {
        switch (type) {
        case 's':
                return (Arg){ 's', "1234", 0 };
        case 't':
                return (Arg){ 't', NULL, 0 };
        case 'u':
                return (Arg){ 'u', NULL, 5 };
        case 'y':
                return (Arg){ 'y', NULL, 1 };
        case 'b':
                return (Arg){ 'b', NULL, 1 };
        case 'A':
                return (Arg){ 'A', NULL, 0 };
        case 'D':
                return (Arg){ 'D', NULL, 0 };
        default:
                return (Arg){ 'P', NULL, 0 };
        }
}

/* The in signature as a list of one-letter types ("aa{sv}" → 'P', "as" → 'A', "a{sv}" → 'D'). */
static size_t arg_types(const Method *m, char types[static 8]) {
        size_t n = 0;

        for (const char *p = m->signature; *p; n++) {
                ck_assert_uint_lt(n, 8);
                if (strncmp(p, "aa{sv}", 6) == 0) {
                        types[n] = 'P';
                        p += 6;
                } else if (strncmp(p, "as", 2) == 0) {
                        types[n] = 'A';
                        p += 2;
                } else if (strncmp(p, "a{sv}", 5) == 0) {
                        types[n] = 'D';
                        p += 5;
                } else {
                        ck_assert_msg(
                                strchr("stuyb", *p),
                                "%s.%s: no values for type %c",
                                m->interface,
                                m->name,
                                *p);
                        types[n] = *p++;
                }
        }
        return n;
}

typedef struct Caller {
        Api *api;
        Values *values;
        sd_bus *bus;
        unsigned failures;
        bool as_nobody;
} Caller;

static void check(Caller *c, const Method *m, const char *what, char *err, bool well_formed) {
        bool ok = !err || (well_formed ? documented(c->api, m, err) : standard(err));

        c->api->calls++;
        c->api->refused += !!err;
        c->api->succeeded += !err;
        if (!ok) {
                fprintf(stderr,
                        "%s%s.%s(%s) → %s, which %s\n",
                        c->as_nobody ? "as nobody: " : "",
                        m->interface,
                        m->name,
                        what,
                        err,
                        well_formed ? "its XML does not document" : "is no standard error");
                c->failures++;
        }
        if (c->as_nobody && !err && strcmp(m->interface, "org.ttlock.Manager1") != 0) {
                fprintf(stderr, "as nobody: %s.%s(%s) succeeded\n", m->interface, m->name, what);
                c->failures++;
        }
        free(err);
}

/* Each argument in turn through its values, the others at their defaults. */
static void well_formed_calls(Caller *c, const Method *m) {
        char types[8];
        size_t n = arg_types(m, types);
        Arg args[8];

        if (n == 0) {
                if (!destructive(m) || c->as_nobody)
                        check(c,
                              m,
                              "",
                              send_call(c->bus, object_of(m), m->interface, m->name, NULL, 0),
                              true);
                return;
        }
        for (size_t k = 0; k < n; k++) {
                size_t count = types[k] == 's' ? c->values->n_s
                        : types[k] == 'A'      ? c->values->n_s + 1
                        : types[k] == 'D'      ? DICT_CASES + c->values->n_s
                        : types[k] == 't'      ? c->values->n_t
                        : types[k] == 'u'      ? c->values->n_u
                        : types[k] == 'y'      ? c->values->n_y
                        : types[k] == 'b'      ? 2
                                               : PASSAGE_CASES;

                for (size_t v = 0; v < count; v++) {
                        char what[64];

                        for (size_t i = 0; i < n; i++)
                                args[i] = default_arg(types[i]);
                        switch (types[k]) {
                        case 's':
                                args[k].s = c->values->s[v];
                                snprintf(
                                        what,
                                        sizeof(what),
                                        "arg %zu = \"%.20s\"%s (%zu bytes)",
                                        k,
                                        args[k].s,
                                        strlen(args[k].s) > 20 ? "…" : "",
                                        strlen(args[k].s));
                                break;
                        case 'A':
                                args[k].s = v < c->values->n_s ? c->values->s[v] : NULL;
                                snprintf(
                                        what,
                                        sizeof(what),
                                        "arg %zu = [\"%.20s\"] (%zu bytes)",
                                        k,
                                        args[k].s ?: "",
                                        args[k].s ? strlen(args[k].s) : 0);
                                break;
                        case 'D':
                                args[k].n = v;
                                args[k].s = v >= DICT_CASES ? c->values->s[v - DICT_CASES] : NULL;
                                snprintf(
                                        what,
                                        sizeof(what),
                                        "arg %zu = options case %zu%s%.20s",
                                        k,
                                        v,
                                        args[k].s ? ", locks " : "",
                                        args[k].s ?: "");
                                break;
                        case 't':
                                args[k].n = c->values->t[v];
                                break;
                        case 'u':
                                args[k].n = c->values->u[v];
                                break;
                        case 'y':
                                args[k].n = c->values->y[v];
                                break;
                        default:
                                args[k].n = v;
                        }
                        if (types[k] != 's' && types[k] != 'A' && types[k] != 'D')
                                snprintf(
                                        what, sizeof(what), "arg %zu = %c %" PRIu64, k, types[k], args[k].n);
                        check(c,
                              m,
                              what,
                              send_call(c->bus, object_of(m), m->interface, m->name, args, n),
                              true);
                }
        }
}

/* Wrong signatures: none, one too many, each argument of another type, a variant. */
static void malformed_calls(Caller *c, const Method *m) {
        char types[8];
        size_t n = arg_types(m, types);
        Arg args[9];

        for (size_t i = 0; i < n; i++)
                args[i] = default_arg(types[i]);
        if (n > 0)
                check(c,
                      m,
                      "no arguments",
                      send_call(c->bus, object_of(m), m->interface, m->name, NULL, 0),
                      false);
        args[n] = (Arg){ 's', "extra", 0 };
        check(c,
              m,
              "one argument too many",
              send_call(c->bus, object_of(m), m->interface, m->name, args, n + 1),
              false);
        for (size_t k = 0; k < n; k++) {
                Arg saved = args[k];

                args[k] = types[k] == 's' || types[k] == 'A' || types[k] == 'D' ? (Arg){ 'u', NULL, 1 }
                        : types[k] == 'P' ? (Arg){ 'a' }
                                          : (Arg){ 's', "1" };
                check(c,
                      m,
                      "an argument of another type",
                      send_call(c->bus, object_of(m), m->interface, m->name, args, n),
                      false);
                args[k] = (Arg){ 'v' };
                check(c,
                      m,
                      "a variant",
                      send_call(c->bus, object_of(m), m->interface, m->name, args, n),
                      false);
                args[k] = saved;
        }
}

static void bad_paths(Caller *c, const Method *m) {
        static const char *const paths[] = {
                "/org/ttlock/Lock/AA_BB_CC_00_00_99",
                "/org/ttlock/Lock/aa_bb_cc_00_00_01",
                "/org/ttlock/Lock/AA_BB_CC_00_00_01_00",
                "/org/ttlock/Lock",
                "/org/ttlock/Lock/AA_BB_CC_00_00_01/x",
                "/org/ttlock/Manager/x",
                "/",
        };
        char types[8];
        size_t n = arg_types(m, types);
        Arg args[8];

        for (size_t i = 0; i < n; i++)
                args[i] = default_arg(types[i]);
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                char what[80];

                if (strcmp(paths[i], object_of(m)) == 0)
                        continue;
                snprintf(what, sizeof(what), "on %s", paths[i]);
                check(c, m, what, send_call(c->bus, paths[i], m->interface, m->name, args, n), false);
        }
}

/* The properties are read-only and named in the XML; anything else asked of them is a standard error. */
static void property_abuse(Caller *c) {
        static const struct {
                const char *path, *iface, *prop;
        } cases[] = {
                { WORLD_LOCK_PATH, "org.ttlock.Lock1", "Alias" },
                { WORLD_LOCK_PATH, "org.ttlock.Lock1", "State" },
                { WORLD_LOCK_PATH, "org.ttlock.Lock1", "NoSuchProperty" },
                { WORLD_LOCK_PATH, "org.ttlock.NoSuch1", "State" },
                { WORLD_LOCK_PATH, "org.ttlock.Settings1", "SoundVolume" },
                { "/org/ttlock/Manager", "org.ttlock.Manager1", "Discovering" },
                { "/org/ttlock/Lock/AA_BB_CC_00_00_99", "org.ttlock.Lock1", "State" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                int r;

                r = sd_bus_call_method(
                        c->bus,
                        "org.ttlock.Manager",
                        cases[i].path,
                        "org.freedesktop.DBus.Properties",
                        "Set",
                        &e,
                        NULL,
                        "ssv",
                        cases[i].iface,
                        cases[i].prop,
                        "s",
                        "x");
                c->api->calls++;
                if (r >= 0 || !standard(e.name)) {
                        fprintf(stderr,
                                "Set %s.%s → %s\n",
                                cases[i].iface,
                                cases[i].prop,
                                r >= 0 ? "done" : e.name);
                        c->failures++;
                }
                sd_bus_error_free(&e);
                r = sd_bus_call_method(
                        c->bus,
                        "org.ttlock.Manager",
                        cases[i].path,
                        "org.freedesktop.DBus.Properties",
                        "Get",
                        &e,
                        NULL,
                        "ss",
                        cases[i].iface,
                        cases[i].prop);
                c->api->calls++;
                if (r < 0 && !standard(e.name)) {
                        fprintf(stderr, "Get %s.%s → %s\n", cases[i].iface, cases[i].prop, e.name);
                        c->failures++;
                }
                sd_bus_error_free(&e);
        }
}

static int as_nobody(void *userdata) {
        Caller c = *(Caller *) userdata;
        unsigned before = c.api->calls;
        int r;

        c.as_nobody = true;
        c.failures = 0;
        r = sd_bus_open_system(&c.bus);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c.api->n_methods; i++)
                well_formed_calls(&c, &c.api->methods[i]);
        fprintf(stderr, "as nobody: %u calls, %u undocumented answers\n", c.api->calls - before, c.failures);
        sd_bus_flush_close_unref(c.bus);
        return c.failures == 0 ? 0 : -EPERM;
}

/* ---- by hand ------------------------------------------------------------------------------------ */

typedef struct Raw {
        uint8_t buf[512];
        size_t len;
} Raw;

static void raw_pad(Raw *r, size_t a) {
        while (r->len % a)
                r->buf[r->len++] = 0;
}

static void raw_u32(Raw *r, uint32_t v) {
        raw_pad(r, 4);
        memcpy(r->buf + r->len, &v, 4);
        r->len += 4;
}

static void raw_bytes(Raw *r, const void *p, size_t n) {
        if (n == 0) /* an empty body comes as NULL, and memcpy() must not be given NULL even for 0 bytes */
                return;
        ck_assert_uint_le(r->len + n, sizeof(r->buf));
        memcpy(r->buf + r->len, p, n);
        r->len += n;
}

/* A string (or object path) as D-Bus marshals it: length, bytes, NUL — whatever the bytes are. */
static void raw_string(Raw *r, const char *s, size_t n) {
        raw_u32(r, (uint32_t) n);
        raw_bytes(r, s, n);
        r->buf[r->len++] = 0;
}

static void raw_field(Raw *r, uint8_t code, char type, const char *s) {
        raw_pad(r, 8);
        r->buf[r->len++] = code;
        r->buf[r->len++] = 1;
        r->buf[r->len++] = (uint8_t) type;
        r->buf[r->len++] = 0;
        if (type == 'g') {
                r->buf[r->len++] = (uint8_t) strlen(s);
                raw_bytes(r, s, strlen(s) + 1);
        } else
                raw_string(r, s, strlen(s));
}

/* A method call, little-endian (the D-Bus specification, "Message Format"). */
static void raw_call(
        Raw *r,
        uint32_t serial,
        const char *dest,
        const char *path,
        const char *iface,
        const char *member,
        const char *sig,
        const void *body,
        size_t body_len) {
        size_t fields_at;

        r->len = 0;
        raw_bytes(r, "l\1\0\1", 4);
        raw_u32(r, (uint32_t) body_len);
        raw_u32(r, serial);
        raw_u32(r, 0); /* the fields' length, below */
        fields_at = r->len;
        raw_field(r, 1, 'o', path);
        if (iface)
                raw_field(r, 2, 's', iface);
        raw_field(r, 3, 's', member);
        raw_field(r, 6, 's', dest);
        if (sig)
                raw_field(r, 8, 'g', sig);
        {
                uint32_t fl = (uint32_t) (r->len - fields_at);
                memcpy(r->buf + 12, &fl, 4);
        }
        raw_pad(r, 8);
        raw_bytes(r, body, body_len);
}

static int raw_connect(const char *address) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *p = strstr(address, "unix:path=");
        char line[256], auth[64];
        ssize_t n;
        int fd;

        ck_assert_ptr_nonnull(p);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s", (int) strcspn(p + 10, ",;"), p + 10);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        /* SASL EXTERNAL with our uid, in hex of its decimal digits. */
        {
                char uid[16];
                size_t k = 0;

                snprintf(uid, sizeof(uid), "%u", (unsigned) getuid());
                for (const char *u = uid; *u; u++)
                        k += (size_t) snprintf(auth + k, sizeof(auth) - k, "%02x", *u);
        }
        snprintf(line, sizeof(line), "AUTH EXTERNAL %s\r\n", auth);
        ck_assert_int_eq(write(fd, "\0", 1), 1);
        ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t) strlen(line));
        n = read(fd, line, sizeof(line) - 1);
        ck_assert_int_gt(n, 0);
        line[n] = 0;
        ck_assert_msg(strncmp(line, "OK ", 3) == 0, "SASL: %s", line);
        ck_assert_int_eq(write(fd, "BEGIN\r\n", 7), 7);
        return fd;
}

/* Wait for the answer to serial: its error name (or "" for a method return) in ret, or "disconnected". */
static void raw_answer(int fd, uint32_t serial, char *ret, size_t size) {
        for (;;) {
                uint8_t head[16], rest[65536];
                uint32_t body_len, fields_len, reply_serial = 0;
                size_t total;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                const char *error = NULL;

                if (poll(&p, 1, 10000) <= 0 || recv(fd, head, 16, MSG_WAITALL) != 16) {
                        snprintf(ret, size, "disconnected");
                        return;
                }
                memcpy(&body_len, head + 4, 4);
                memcpy(&fields_len, head + 12, 4);
                total = ((fields_len + 7) & ~7u) + body_len;
                ck_assert_uint_le(total, sizeof(rest));
                if (recv(fd, rest, total, MSG_WAITALL) != (ssize_t) total) {
                        snprintf(ret, size, "disconnected");
                        return;
                }
                /* Header fields (the D-Bus specification, "Message Format"): each a struct (code, variant)
                 * 8-aligned from the start of the message, which the 16 bytes already read keep. */
                for (size_t i = 0; i + 4 <= fields_len;) {
                        uint8_t code = rest[i], type = rest[i + 2];
                        size_t v = i + 4, len;
                        uint32_t u;

                        if (type == 'g')
                                len = (size_t) rest[v] + 2;
                        else {
                                v = (v + 3) & ~(size_t) 3;
                                memcpy(&u, rest + v, 4);
                                len = type == 'u' ? 4 : 4 + (size_t) u + 1;
                                if (code == 5 && type == 'u')
                                        reply_serial = u;
                                if (code == 4 && type == 's')
                                        error = (const char *) rest + v + 4;
                        }
                        i = (v + len + 7) & ~(size_t) 7;
                }
                if (reply_serial == serial && (head[1] == 2 || head[1] == 3)) {
                        snprintf(ret, size, "%s", head[1] == 3 && error ? error : "");
                        return;
                }
        }
}

static void hand_built(World *w, Caller *c) {
        static const struct {
                const char *what, *iface, *member, *sig, *body;
                size_t body_len;
        } cases[] = {
                /* Controls, well formed: the marshalling here is right. */
                { "GetLockByAddress(a known address)",
                  "org.ttlock.Manager1",
                  "GetLockByAddress",
                  "s",
                  "\21\0\0\0AA:BB:CC:00:00:01\0",
                  22 },
                { "GetLockByAddress(not an address)",
                  "org.ttlock.Manager1",
                  "GetLockByAddress",
                  "s",
                  "\1\0\0\0x\0",
                  6 },
                /* length 4, "\xff\xfe\xfd\xfc", NUL */
                { "SetAlias(invalid UTF-8)",
                  "org.ttlock.Lock1",
                  "SetAlias",
                  "s",
                  "\4\0\0\0\xff\xfe\xfd\xfc\0",
                  9 },
                { "GetLockByAddress(invalid UTF-8)",
                  "org.ttlock.Manager1",
                  "GetLockByAddress",
                  "s",
                  "\3\0\0\0\xc3\x28\x41\0",
                  8 },
                /* a NUL inside the string */
                { "SetAlias(a NUL inside)", "org.ttlock.Lock1", "SetAlias", "s", "\5\0\0\0ab\0cd\0", 10 },
                /* a body shorter than its signature */
                { "AddPasscode(a short body)",
                  "org.ttlock.Credentials1",
                  "AddPasscode",
                  "stt",
                  "\4\0\0\0"
                  "1234\0",
                  9 },
                /* a length beyond the body */
                { "SetAlias(a length beyond the body)",
                  "org.ttlock.Lock1",
                  "SetAlias",
                  "s",
                  "\xff\xff\0\0ab\0",
                  7 },
                /* no signature at all, with a body */
                { "SetAlias(a body without signature)",
                  "org.ttlock.Lock1",
                  "SetAlias",
                  NULL,
                  "\1\0\0\0x\0",
                  6 },
        };
        int fd = -1;
        uint32_t serial = 1;
        Raw r;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char answer[128];
                const char *path = strcmp(cases[i].iface, "org.ttlock.Manager1") == 0 ? "/org/ttlock/Manager"
                                                                                      : WORLD_LOCK_PATH;

                if (fd < 0) {
                        fd = raw_connect(test_bus_address(w->bus));
                        raw_call(
                                &r,
                                serial,
                                "org.freedesktop.DBus",
                                "/org/freedesktop/DBus",
                                "org.freedesktop.DBus",
                                "Hello",
                                NULL,
                                NULL,
                                0);
                        ck_assert_int_eq(write(fd, r.buf, r.len), (ssize_t) r.len);
                        raw_answer(fd, serial++, answer, sizeof(answer));
                        ck_assert_str_eq(answer, "");
                }
                raw_call(
                        &r,
                        serial,
                        "org.ttlock.Manager",
                        path,
                        cases[i].iface,
                        cases[i].member,
                        cases[i].sig,
                        cases[i].body,
                        cases[i].body_len);
                ck_assert_int_eq(write(fd, r.buf, r.len), (ssize_t) r.len);
                raw_answer(fd, serial++, answer, sizeof(answer));
                fprintf(stderr, "by hand: %s → %s\n", cases[i].what, answer);
                /* The bus drops a sender of a malformed message; what reaches the daemon is refused with a
                 * standard error. */
                if (i == 0)
                        ck_assert_str_eq(answer, "");
                else if (i == 1)
                        ck_assert_str_eq(answer, "org.freedesktop.DBus.Error.InvalidArgs");
                else if (strcmp(answer, "disconnected") == 0) {
                        close(fd);
                        fd = -1;
                } else
                        ck_assert_msg(standard(answer), "%s → %s", cases[i].what, answer);
                ck_assert(world_daemon_alive(w));
                c->api->calls++;
        }
        if (fd >= 0)
                close(fd);
}

START_TEST(test_hostile_input) {
        static const char *const env[] = { "TTLOCKD_METHOD_TIMEOUT_SEC=5",
                                           "TTLOCKD_ENROLLMENT_TIMEOUT_SEC=2",
                                           NULL };
        static const char *const sim_args[] = { "--latency-ms", "0", "--connect-ms", "0", NULL };
        static Api api;
        Values values;
        World w = { .daemon_env = env, .sim_args = sim_args };
        Caller c = { .api = &api, .values = &values };
        uint64_t t0 = world_now_usec();
        pid_t pid;
        int status = 0;

        read_api(&api);
        make_values(&values);
        world_start(&w);
        world_pair(&w);
        c.bus = w.client;

        for (size_t i = 0; i < api.n_methods; i++) {
                const Method *m = &api.methods[i];

                ck_assert_msg(
                        m->n_errors > 0 || m->as[0] || strstr(m->interface, "Manager1"),
                        "%s.%s documents no errors",
                        m->interface,
                        m->name);
                well_formed_calls(&c, m);
                malformed_calls(&c, m);
                bad_paths(&c, m);
                ck_assert_msg(world_daemon_alive(&w), "ttlockd died during %s.%s", m->interface, m->name);
        }
        property_abuse(&c);
        hand_built(&w, &c);
        fprintf(stderr,
                "%zu methods, %u calls (%u refused, %u went through), %u undocumented answers; %.1f s\n",
                api.n_methods,
                api.calls,
                api.refused,
                api.succeeded,
                c.failures,
                (double) (world_now_usec() - t0) / 1e6);

        /* The type-correct calls again, from a user polkit does not let in. */
        ck_assert_int_ge(test_bus_fork_as(w.bus, "nobody", as_nobody, &c, &pid), 0);
        ck_assert_int_ge(test_bus_wait_pid(w.bus, pid, 5 * 60 * TEST_USEC_PER_SEC, &status), 0);
        ck_assert_msg(
                WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "as nobody: undocumented answers (see above)");

        ck_assert_msg(c.failures == 0, "%u answers not documented (see above)", c.failures);
        ck_assert(world_daemon_alive(&w));
        /* It still opens the lock with the keys it had. */
        free(world_call(&w, WORLD_CREDS, "CancelEnrollment", NULL));
        world_unlock_works(&w);
        fault_check_keys(&w);
        world_stop(&w);
        free_values(&values);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("hostile");
        TCase *tc = tcase_create("input");

        tcase_set_timeout(tc, 900);
        tcase_add_test(tc, test_hostile_input);
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
