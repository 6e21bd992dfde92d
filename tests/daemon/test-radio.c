/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The RadioSet (src/daemon/radio/radio.c) with radios of both kinds and no backend behind them: the
 * chosen radio follows the RSSI with hysteresis, across kinds; stale hearing loses; unavailable radios,
 * radios without a free slot and excluded radios are passed over; pins; what device_changed reports;
 * what radio_set_heard() lists. */

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "radio.h"

#define A "AA:BB:CC:00:00:01"

static unsigned device_changes;

static void on_device_changed(RadioSet *s, const char *address, void *userdata) {
        device_changes++;
}

static int op_connect(Radio *r, RadioConn *c, uint64_t timeout_usec) {
        return 0;
}

static int op_write(Radio *r, RadioConn *c, const uint8_t *data, size_t len, RadioWrite *w) {
        return 0;
}

static const RadioOps ops = { .connect = op_connect, .write = op_write };

static Radio *add(RadioSet *s, RadioKind kind, const char *name) {
        Radio *r;

        ck_assert_int_ge(radio_new(s, kind, name, NULL, &ops, NULL, &r), 0);
        radio_set_available(r, true);
        return r;
}

static void hear(Radio *r, int rssi) {
        radio_advert(
                r, &(RadioAdvert){ .address = A, .have_rssi = true, .rssi = (int16_t) rssi, .fresh = true });
}

static RadioSet *new_set(void) {
        RadioSet *s;

        device_changes = 0;
        ck_assert_int_ge(
                radio_set_new(&(RadioSetCallbacks){ .device_changed = on_device_changed }, NULL, &s), 0);
        return s;
}

START_TEST(test_best_with_hysteresis_across_kinds) {
        RadioSet *s = new_set();
        Radio *hci0 = add(s, RADIO_KIND_BLUEZ, "hci0"), *porch = add(s, RADIO_KIND_ESPHOME, "porch");

        hear(hci0, -70);
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        /* 4 dB better is within the hysteresis: no move. */
        hear(porch, -66);
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        ck_assert_ptr_eq(radio_set_best(s, A, NULL), hci0);
        /* 6 dB better moves it; then jitter back and forth does not. */
        hear(porch, -64);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        hear(hci0, -62);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        hear(hci0, -58);
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        ck_assert_str_eq(radio_kind_to_string(radio_kind(porch)), "esphome");

        radio_free(hci0);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        radio_free(porch);
        ck_assert_ptr_null(radio_set_chosen(s, A));
        radio_set_free(s);
}
END_TEST

START_TEST(test_passed_over) {
        RadioSet *s = new_set();
        Radio *hci0 = add(s, RADIO_KIND_BLUEZ, "hci0"), *porch = add(s, RADIO_KIND_ESPHOME, "porch");

        hear(hci0, -80);
        hear(porch, -50);
        ck_assert_ptr_eq(radio_set_best(s, A, NULL), porch);
        /* Excluded (a second try) and without a slot: the other one, and the choice stays. */
        ck_assert_ptr_eq(radio_set_best(s, A, porch), hci0);
        radio_set_free_slots(porch, 0);
        ck_assert_int_eq(radio_free_slots(porch), 0);
        ck_assert_ptr_eq(radio_set_best(s, A, NULL), hci0);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        ck_assert(radio_set_knows(s, A));
        radio_set_free_slots(porch, 2);
        ck_assert_ptr_eq(radio_set_best(s, A, NULL), porch);
        /* Unavailable: not chosen; back: chosen again (it hears best). */
        radio_set_available(porch, false);
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        radio_set_available(porch, true);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        /* The only radio, with no slot: none. */
        radio_free(hci0);
        radio_set_free_slots(porch, 0);
        ck_assert_ptr_null(radio_set_best(s, A, NULL));
        radio_free(porch);
        radio_set_free(s);
}
END_TEST

START_TEST(test_pins) {
        RadioSet *s = new_set();
        Radio *hci0 = add(s, RADIO_KIND_BLUEZ, "hci0"), *porch = add(s, RADIO_KIND_ESPHOME, "porch");

        hear(hci0, -40);
        hear(porch, -80);
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        ck_assert_int_ge(radio_set_pin(s, "aa:bb:cc:00:00:01", "porch"), 0);
        ck_assert_str_eq(radio_set_pinned(s, A), "porch");
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        ck_assert_ptr_eq(radio_set_best(s, A, NULL), porch);
        /* Never another radio, not even for a second try. */
        ck_assert_ptr_null(radio_set_best(s, A, porch));
        /* Pinned to a radio that is not there: nothing reaches the lock, and nothing "knows" it. */
        ck_assert_int_ge(radio_set_pin(s, A, "attic"), 0);
        ck_assert_ptr_null(radio_set_chosen(s, A));
        ck_assert(!radio_set_knows(s, A));
        radio_set_unpin_all(s);
        ck_assert_ptr_null(radio_set_pinned(s, A));
        ck_assert_ptr_eq(radio_set_chosen(s, A), hci0);
        ck_assert_int_eq(radio_set_pin(s, "not an address", "porch"), -EINVAL);
        radio_free(hci0);
        radio_free(porch);
        radio_set_free(s);
}
END_TEST

START_TEST(test_heard_and_reports) {
        RadioSet *s = new_set();
        Radio *hci0 = add(s, RADIO_KIND_BLUEZ, "hci0"), *porch = add(s, RADIO_KIND_ESPHOME, "porch");
        RadioHeard h[4];
        unsigned before;

        hear(hci0, -70);
        ck_assert_uint_eq(device_changes, 1);
        /* Jitter below RADIO_RSSI_REPORT_DB is not reported. */
        hear(hci0, -72);
        hear(hci0, -68);
        ck_assert_uint_eq(device_changes, 1);
        hear(hci0, -60);
        ck_assert_uint_eq(device_changes, 2);
        before = device_changes;
        hear(porch, -90);
        ck_assert_uint_gt(device_changes, before);
        ck_assert_uint_eq(radio_set_heard(s, A, h, 4), 2);
        ck_assert_ptr_eq(h[0].radio, hci0);
        ck_assert_int_eq(h[0].rssi, -60);
        ck_assert_ptr_eq(h[1].radio, porch);
        ck_assert_int_eq(h[1].rssi, -90);
        ck_assert_uint_eq(radio_set_heard(s, A, h, 1), 1);
        radio_device_lost(hci0, A);
        ck_assert_uint_eq(radio_set_heard(s, A, h, 4), 1);
        ck_assert_ptr_eq(radio_set_chosen(s, A), porch);
        radio_free(hci0);
        radio_free(porch);
        radio_set_free(s);
}
END_TEST

START_TEST(test_radio_properties) {
        RadioSet *s = new_set();
        Radio *hci0 = add(s, RADIO_KIND_BLUEZ, "hci0"), *r;

        ck_assert_int_eq(radio_new(s, RADIO_KIND_ESPHOME, "hci0", NULL, &ops, NULL, &r), -EEXIST);
        ck_assert_str_eq(radio_address(hci0), "");
        radio_set_address(hci0, "00:1A:7D:DA:71:13");
        ck_assert_str_eq(radio_address(hci0), "00:1A:7D:DA:71:13");
        ck_assert_int_lt(radio_free_slots(hci0), 0);
        ck_assert_str_eq(radio_last_error(hci0), "");
        radio_set_last_error(hci0, "it broke");
        ck_assert_str_eq(radio_last_error(hci0), "it broke");
        radio_set_last_error(hci0, NULL);
        ck_assert_str_eq(radio_last_error(hci0), "");
        ck_assert_ptr_eq(radio_set_find(s, "hci0"), hci0);
        ck_assert_ptr_null(radio_set_find(s, "hci1"));
        radio_free(hci0);
        radio_set_free(s);
}
END_TEST

static Suite *radio_suite(void) {
        Suite *s = suite_create("radio");
        TCase *tc = tcase_create("radio set");

        tcase_add_test(tc, test_best_with_hysteresis_across_kinds);
        tcase_add_test(tc, test_passed_over);
        tcase_add_test(tc, test_pins);
        tcase_add_test(tc, test_heard_and_reports);
        tcase_add_test(tc, test_radio_properties);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(radio_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
