/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Every method the daemon offers is in the authorization table (bus/authz.c authz_lookup()), with the
 * polkit action its XML names ("Name: [manage]", "[operate]", or nothing for the public ones), and is
 * callable by others than root (SD_BUS_VTABLE_UNPRIVILEGED: without it sd-bus refuses every caller
 * without CAP_SYS_ADMIN before authz.c is asked). The methods are taken from the vtables the daemon
 * registers, and compared with dbus/org.ttlock.*.xml both ways: a method added to a vtable but not to
 * the table is caught here, not by the first user it locks out or lets in. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "bus-credentials.h"
#include "bus-lock.h"
#include "bus-manager.h"
#include "bus-settings.h"
#include "tt-test.h"

static const struct {
        const char *interface;
        const sd_bus_vtable *vtable;
} faces[] = {
        { MANAGER_INTERFACE, bus_manager_vtable },
        { LOCK_INTERFACE, bus_lock_vtable },
        { CREDENTIALS_INTERFACE, bus_credentials_vtable },
        { SETTINGS_INTERFACE, bus_settings_vtable },
};

static char *read_xml(const char *interface) {
        const char *dir = getenv("TTLOCK_DBUS_DIR");
        char path[512], *buf = NULL;
        size_t n = 0;
        FILE *f, *m;
        int c;

        ck_assert_msg(dir, "TTLOCK_DBUS_DIR must name dbus/ (run through meson test)");
        snprintf(path, sizeof(path), "%s/%s.xml", dir, interface);
        f = fopen(path, "re");
        ck_assert_msg(f, "cannot open %s", path);
        m = open_memstream(&buf, &n);
        ck_assert_ptr_nonnull(m);
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

/* The action the XML names for a method: its documentation comment starts "Name:" (gdbus-codegen's
 * form), then come "@arg: …" lines, and the text starts with the action in brackets: "[manage]",
 * "[operate]", "[import-keys]" or "[export-keys]"; none for a public method. */
static const char *xml_action(const char *xml, const char *method) {
        static const struct {
                const char *tag, *action;
        } actions[] = {
                { "[manage]", AUTHZ_ACTION_MANAGE },
                { "[operate]", AUTHZ_ACTION_OPERATE },
                { "[import-keys]", AUTHZ_ACTION_IMPORT_KEYS },
                { "[export-keys]", AUTHZ_ACTION_EXPORT_KEYS },
        };
        char head[128];
        size_t n;

        n = (size_t) snprintf(head, sizeof(head), " %s:", method);
        for (const char *p = xml; (p = strstr(p, head)); p++) {
                const char *t = p + n;

                for (;;) {
                        t += strspn(t, " \t\n");
                        if (*t != '@')
                                break;
                        t += strcspn(t, "\n"); /* an argument's line */
                }
                for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                        if (strncmp(t, actions[i].tag, strlen(actions[i].tag)) == 0)
                                return actions[i].action;
        }
        return NULL;
}

static bool xml_has_method(const char *xml, const char *method) {
        char tag[128];

        snprintf(tag, sizeof(tag), "<method name=\"%s\"", method);
        return strstr(xml, tag);
}

static size_t xml_count_methods(const char *xml) {
        size_t n = 0;

        for (const char *p = xml; (p = strstr(p, "<method name=\"")); p++)
                n++;
        return n;
}

/* The next entry; sd-bus vtables say how large their entries are (SD_BUS_VTABLE_START). */
static const sd_bus_vtable *next(const sd_bus_vtable *first, const sd_bus_vtable *v) {
        return (const sd_bus_vtable *) ((const uint8_t *) v + first->x.start.element_size);
}

START_TEST(test_every_method_in_the_table) {
        size_t total = 0;

        for (size_t f = 0; f < ELEMENTSOF(faces); f++) {
                const sd_bus_vtable *first = faces[f].vtable;
                char *xml = read_xml(faces[f].interface);
                size_t n = 0;

                ck_assert_int_eq(first->type, _SD_BUS_VTABLE_START);
                ck_assert_uint_eq(first->x.start.element_size, sizeof(sd_bus_vtable));
                for (const sd_bus_vtable *v = next(first, first); v->type != _SD_BUS_VTABLE_END;
                     v = next(first, v)) {
                        const char *member, *action = "unset", *want;

                        if (v->type != _SD_BUS_VTABLE_METHOD)
                                continue;
                        member = v->x.method.member;
                        n++;
                        ck_assert_msg(
                                authz_lookup(faces[f].interface, member, &action) == 1,
                                "%s.%s is not in the authorization table",
                                faces[f].interface,
                                member);
                        want = xml_action(xml, member);
                        ck_assert_msg(
                                (!action && !want) || (action && want && strcmp(action, want) == 0),
                                "%s.%s: the table says %s, its XML %s",
                                faces[f].interface,
                                member,
                                action ?: "public",
                                want ?: "public");
                        ck_assert_msg(
                                v->flags & SD_BUS_VTABLE_UNPRIVILEGED,
                                "%s.%s lacks SD_BUS_VTABLE_UNPRIVILEGED: only root could call it",
                                faces[f].interface,
                                member);
                        ck_assert_msg(
                                xml_has_method(xml, member),
                                "%s.%s is not in dbus/%s.xml",
                                faces[f].interface,
                                member,
                                faces[f].interface);
                }
                /* And nothing in the XML that no vtable offers. */
                ck_assert_msg(
                        n == xml_count_methods(xml),
                        "%s: %zu methods in the vtable, %zu in the XML",
                        faces[f].interface,
                        n,
                        xml_count_methods(xml));
                total += n;
                free(xml);
        }
        fprintf(stderr, "%zu methods, each in the table with the action its XML names\n", total);
        ck_assert_uint_ge(total, 40);
}
END_TEST

/* The table is default-deny: what is not in it is not known, whatever its name looks like. */
START_TEST(test_unknown_is_not_in_the_table) {
        const char *action = "unset";

        ck_assert_int_eq(authz_lookup("org.ttlock.Lock1", "Unlock2", &action), 0);
        ck_assert_int_eq(authz_lookup("org.ttlock.Lock2", "Unlock", &action), 0);
        ck_assert_int_eq(authz_lookup("org.ttlock.Lock1", "unlock", &action), 0);
        ck_assert_int_eq(authz_lookup(NULL, "Unlock", &action), 0);
        ck_assert_int_eq(authz_lookup("org.ttlock.Lock1", NULL, &action), 0);
        ck_assert_str_eq(action, "unset");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("authz-table");
        TCase *tc = tcase_create("table");

        tcase_add_test(tc, test_every_method_in_the_table);
        tcase_add_test(tc, test_unknown_is_not_in_the_table);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
