/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlockctl's output: the value tree, JSON escaping and aligned tables. */

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-table.h"
#include "ctl-value.h"
#include "tt-test.h"

/* What f wrote, as a string; closes f. */
static char *slurp(FILE *f, char **buf) {
        ck_assert_int_eq(fclose(f), 0);
        return *buf;
}

static char *json_of(const Value *v) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ck_assert_ptr_nonnull(f);
        value_dump_json(v, f);
        return slurp(f, &buf);
}

static char *json_string_of(const char *s) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ck_assert_ptr_nonnull(f);
        json_write_string(f, s);
        return slurp(f, &buf);
}

START_TEST(test_json_escaping) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "", "\"\"" },
                { "Front door", "\"Front door\"" },
                { "say \"hi\"", "\"say \\\"hi\\\"\"" },
                { "C:\\keys", "\"C:\\\\keys\"" },
                { "a\nb\tc\rd", "\"a\\nb\\tc\\rd\"" },
                { "\b\f", "\"\\b\\f\"" },
                { "\x1b[31mred", "\"\\u001b[31mred\"" },
                { "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
                { "Tür ✓", "\"Tür ✓\"" },
                { "/slash", "\"/slash\"" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = json_string_of(cases[i].in);
                ck_assert_str_eq(s, cases[i].out);
        }
}
END_TEST

START_TEST(test_json_tree) {
        _cleanup_value_ Value *o = value_new_object(), *a = value_new_array();
        _cleanup_free_ char *s = NULL, *e = NULL;

        ck_assert_ptr_nonnull(o);
        ck_assert_int_eq(value_object_set(o, "Address", value_new_string("AA:BB:CC:DD:EE:FF")), 0);
        ck_assert_int_eq(value_object_set(o, "Paired", value_new_bool(true)), 0);
        ck_assert_int_eq(value_object_set(o, "Battery", value_new_uint(87)), 0);
        ck_assert_int_eq(value_object_set(o, "Rssi", value_new_int(-61)), 0);
        ck_assert_int_eq(value_object_set(o, "LastSeenUSec", value_new_uint(UINT64_MAX)), 0);
        ck_assert_int_eq(value_object_set(o, "Ratio", value_new_double(0.5)), 0);
        ck_assert_int_eq(value_array_append(a, value_new_string("passcode")), 0);
        ck_assert_int_eq(value_array_append(a, value_new_string("ic-card")), 0);
        ck_assert_int_eq(value_object_set(o, "Features", TAKE_PTR(a)), 0);
        /* A repeated key replaces, as in a D-Bus dictionary. */
        ck_assert_int_eq(value_object_set(o, "Battery", value_new_uint(86)), 0);
        ck_assert_int_eq(value_object_set(o, "Empty", value_new_object()), 0);

        s = json_of(o);
        ck_assert_str_eq(
                s,
                "{\"Address\":\"AA:BB:CC:DD:EE:FF\",\"Paired\":true,\"Battery\":86,\"Rssi\":-61,"
                "\"LastSeenUSec\":18446744073709551615,\"Ratio\":0.5,"
                "\"Features\":[\"passcode\",\"ic-card\"],\"Empty\":{}}");

        ck_assert_str_eq(value_object_get_string(o, "Address", "x"), "AA:BB:CC:DD:EE:FF");
        ck_assert_str_eq(value_object_get_string(o, "Battery", "x"), "x");
        ck_assert_str_eq(value_object_get_string(o, "Nope", "x"), "x");
        ck_assert(value_object_get_bool(o, "Paired", false));
        ck_assert(value_object_get_bool(o, "Address", true));
        ck_assert_uint_eq(value_object_get_uint(o, "Battery", 0), 86);
        ck_assert_uint_eq(value_object_get_uint(o, "Rssi", 5), 5);
        ck_assert_ptr_null(value_object_get(o, "nope"));

        /* NaN has no JSON spelling. */
        _cleanup_value_ Value *nan = value_new_double(0.0 / 0.0);
        e = json_of(nan);
        ck_assert_str_eq(e, "null");
}
END_TEST

START_TEST(test_value_errors) {
        _cleanup_value_ Value *o = value_new_object(), *a = value_new_array(), *src = value_new_object();
        _cleanup_free_ char *s = NULL;

        /* Children are consumed even when refused: no leak under ASan. */
        ck_assert_int_eq(value_array_append(o, value_new_bool(true)), -EINVAL);
        ck_assert_int_eq(value_object_set(a, "k", value_new_bool(true)), -EINVAL);
        ck_assert_int_eq(value_object_set(o, "k", NULL), -ENOMEM);
        ck_assert_int_eq(value_array_append(a, NULL), -ENOMEM);

        ck_assert_int_eq(value_object_set(o, "a", value_new_uint(1)), 0);
        ck_assert_int_eq(value_object_set(src, "a", value_new_uint(2)), 0);
        ck_assert_int_eq(value_object_set(src, "b", value_new_string("x")), 0);
        ck_assert_int_eq(value_object_merge(o, TAKE_PTR(src)), 0);
        s = json_of(o);
        ck_assert_str_eq(s, "{\"a\":2,\"b\":\"x\"}");
        ck_assert_int_eq(value_object_merge(o, value_new_array()), -EINVAL);
}
END_TEST

static char *table_text(const Table *t) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(table_print(t, f), 0);
        return slurp(f, &buf);
}

START_TEST(test_table) {
        _cleanup_table_ Table *t = table_new(3, (const char *[]){ "ADDRESS", "NAME", "BATTERY" });
        _cleanup_free_ char *s = NULL, *s2 = NULL;

        ck_assert_ptr_nonnull(t);
        table_set_align_right(t, 2, true);
        ck_assert_int_eq(table_add_row(t, (const char *[]){ "AA:BB:CC:DD:EE:FF", "Front", "87%" }), 0);
        ck_assert_int_eq(table_add_row(t, (const char *[]){ "11:22:33:44:55:66", NULL, "5%" }), 0);
        ck_assert_int_eq(table_add_row(t, (const char *[]){ "x", "Garage door", "100%" }), 0);
        ck_assert_uint_eq(table_get_rows(t), 3);

        s = table_text(t);
        ck_assert_str_eq(
                s,
                "ADDRESS            NAME         BATTERY\n"
                "AA:BB:CC:DD:EE:FF  Front            87%\n"
                "11:22:33:44:55:66  -                 5%\n"
                "x                  Garage door     100%\n");

        table_set_header(t, false);
        s2 = table_text(t);
        ck_assert_str_eq(
                s2,
                "AA:BB:CC:DD:EE:FF  Front         87%\n"
                "11:22:33:44:55:66  -              5%\n"
                "x                  Garage door  100%\n");
}
END_TEST

START_TEST(test_table_unicode_and_controls) {
        _cleanup_table_ Table *t = table_new(2, (const char *[]){ "NAME", "STATE" });
        _cleanup_free_ char *s = NULL;

        /* Widths are terminal columns: "Tür" is 3, "門" is 2; no trailing blanks on the last column. */
        ck_assert_ptr_nonnull(setlocale(LC_CTYPE, "C.UTF-8"));
        ck_assert_uint_eq(utf8_display_width("Tür"), 3);
        ck_assert_uint_eq(utf8_display_width("門"), 2);
        ck_assert_uint_eq(utf8_display_width("a\x1b[2Jb"), 6);
        ck_assert_uint_eq(utf8_display_width("\xff"), 1);

        ck_assert_int_eq(table_add_row(t, (const char *[]){ "Tür", "locked" }), 0);
        ck_assert_int_eq(table_add_row(t, (const char *[]){ "門", "" }), 0);
        ck_assert_int_eq(table_add_row(t, (const char *[]){ "evil\x1b[2J", "unlocked" }), 0);
        s = table_text(t);
        ck_assert_str_eq(
                s,
                "NAME      STATE\n"
                "Tür       locked\n"
                "門        -\n"
                "evil?[2J  unlocked\n");
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("ctl-output");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_json_escaping);
        tcase_add_test(tc, test_json_tree);
        tcase_add_test(tc, test_value_errors);
        tcase_add_test(tc, test_table);
        tcase_add_test(tc, test_table_unicode_and_controls);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
