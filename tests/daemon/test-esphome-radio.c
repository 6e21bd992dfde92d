/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The ESPHome radio backend (src/daemon/radio/esphome-*.c) against a fake proxy (fake-proxy.h) on the same
 * event loop: the session (plaintext and Noise, wrong keys, the wrong framing, devices that are no
 * proxy, silence, broken and hostile frames), adverts into the RadioSet, a connection's whole life
 * (both UUID forms, V3 and v1 connects, writes, notifications, a lost link, a dead proxy), slots, and
 * the backoff. Every wait is for a condition with a bound. */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "esphome.h"
#include "fake-proxy.h"
#include "radio.h"
#include "string-util.h"
#include "time-util.h"

static const uint8_t key_a[32] = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t key_b[32] = { 32, 31, 30 };

typedef struct T {
        sd_event *event;
        RadioSet *radios;
        FakeProxy *fake;
        EsphomeProxy *proxy;
        Radio *radio;

        unsigned adverts, lost, changed;
        int16_t last_rssi;
        uint16_t last_key;
        char last_address[BT_ADDRESS_SIZE];

        RadioConn *conn;
        bool ready, closed;
        int ready_error, closed_error;
        char why[128];
        unsigned notifications;
        uint8_t notified[64];
        size_t n_notified;
        unsigned writes_done;
        int write_error;
} T;

static void on_advert(RadioSet *s, Radio *from, const RadioAdvert *a, void *userdata) {
        T *t = userdata;

        t->adverts++;
        t->last_rssi = a->have_rssi ? a->rssi : 0;
        t->last_key = a->have_mfr ? a->mfr_key : 0;
        memcpy(t->last_address, a->address, sizeof(t->last_address));
}

static void on_lost(RadioSet *s, const char *address, void *userdata) {
        ((T *) userdata)->lost++;
}

static void on_changed(RadioSet *s, void *userdata) {
        ((T *) userdata)->changed++;
}

static void setup(T *t, const FakeProxyOptions *fo, const uint8_t *psk, const EsphomeTiming *timing) {
        EsphomeTiming tm;

        *t = (T){};
        ck_assert_int_ge(sd_event_new(&t->event), 0);
        ck_assert_int_ge(
                radio_set_new(
                        &(RadioSetCallbacks){
                                .advert = on_advert, .device_lost = on_lost, .radios_changed = on_changed },
                        t,
                        &t->radios),
                0);
        ck_assert_int_ge(fake_proxy_new(t->event, fo, &t->fake), 0);
        esphome_timing_default(&tm);
        tm.setup_timeout_usec = 2 * USEC_PER_SEC;
        tm.backoff_min_usec = 50 * USEC_PER_MSEC;
        tm.backoff_config_usec = 5 * USEC_PER_SEC;
        tm.drain_usec = 300 * USEC_PER_MSEC;
        if (timing)
                tm = *timing;
        ck_assert_int_ge(
                esphome_proxy_new(
                        t->event,
                        t->radios,
                        &(EsphomeProxyConfig){ .name = "porch",
                                               .host = "127.0.0.1",
                                               .port = fake_proxy_port(t->fake),
                                               .psk = psk },
                        &tm,
                        &t->proxy),
                0);
        t->radio = esphome_proxy_radio(t->proxy);
}

static void teardown(T *t) {
        t->conn = radio_conn_free(t->conn);
        esphome_proxy_free(t->proxy);
        fake_proxy_free(t->fake);
        radio_set_free(t->radios);
        sd_event_unref(t->event);
}

/* Runs the loop until pred holds (true) or timeout passes (false). */
static bool run_until(T *t, bool (*pred)(T *t), uint64_t timeout) {
        uint64_t end = now_monotonic_usec() + timeout;

        while (!pred(t)) {
                if (now_monotonic_usec() >= end)
                        return false;
                ck_assert_int_ge(sd_event_run(t->event, 10 * USEC_PER_MSEC), 0);
        }
        return true;
}

static void run_for(T *t, uint64_t usec) {
        uint64_t end = now_monotonic_usec() + usec;

        while (now_monotonic_usec() < end)
                ck_assert_int_ge(sd_event_run(t->event, 10 * USEC_PER_MSEC), 0);
}

static bool is_up(T *t) {
        return radio_available(t->radio) && radio_free_slots(t->radio) >= 0;
}

static bool is_down_with_error(T *t) {
        return !radio_available(t->radio) && !isempty(radio_last_error(t->radio));
}

static bool got_advert(T *t) {
        return t->adverts > 0;
}

static bool got_ready(T *t) {
        return t->ready;
}

static bool got_closed(T *t) {
        return t->closed;
}

static bool got_notification(T *t) {
        return t->notifications > 0;
}

static bool got_write(T *t) {
        return t->writes_done > 0;
}

/* ---- a connection's user ----------------------------------------------------------------------- */

static void conn_ready(RadioConn *c, int error, const char *why, void *userdata) {
        T *t = userdata;

        t->ready = true;
        t->ready_error = error;
        snprintf(t->why, sizeof(t->why), "%s", strempty_or(why));
}

static void conn_notification(RadioConn *c, const uint8_t *data, size_t len, void *userdata) {
        T *t = userdata;

        t->notifications++;
        t->n_notified = MIN(len, sizeof(t->notified));
        memcpy(t->notified, data, t->n_notified);
}

static void conn_closed(RadioConn *c, int error, void *userdata) {
        T *t = userdata;

        t->closed = true;
        t->closed_error = error;
}

static const RadioConnCallbacks conn_cb = {
        .ready = conn_ready,
        .notification = conn_notification,
        .closed = conn_closed,
};

static void write_done(RadioConn *c, int error, void *userdata) {
        T *t = userdata;

        t->writes_done++;
        t->write_error = error;
}

static void connect_lock(T *t) {
        ck_assert_msg(
                run_until(t, is_up, 5 * USEC_PER_SEC),
                "the session did not come up: %s",
                radio_last_error(t->radio));
        fake_proxy_advertise(t->fake, -55);
        ck_assert(run_until(t, got_advert, USEC_PER_SEC));
        ck_assert_int_ge(
                radio_connect(t->radio, FAKE_PROXY_LOCK, 2 * USEC_PER_SEC, &conn_cb, t, &t->conn), 0);
        ck_assert(run_until(t, got_ready, 3 * USEC_PER_SEC));
        ck_assert_msg(t->ready_error == 0, "ready(%d): %s", t->ready_error, t->why);
        ck_assert(fake_proxy_link_up(t->fake));
}

/* A write, a notification and a disconnect on a connection that is up. */
static void use_and_close(T *t) {
        uint8_t buf[32];

        ck_assert_int_ge(radio_conn_write(t->conn, (const uint8_t *) "\x7f\x5a\x05", 3, write_done, t), 0);
        ck_assert(run_until(t, got_write, USEC_PER_SEC));
        ck_assert_int_eq(t->write_error, 0);
        ck_assert_uint_eq(fake_proxy_written(t->fake, buf, sizeof(buf)), 3);
        ck_assert_int_eq(memcmp(buf, "\x7f\x5a\x05", 3), 0);

        fake_proxy_notify(t->fake, (const uint8_t *) "reply", 5);
        ck_assert(run_until(t, got_notification, USEC_PER_SEC));
        ck_assert_uint_eq(t->n_notified, 5);
        ck_assert_int_eq(memcmp(t->notified, "reply", 5), 0);

        radio_conn_disconnect(t->conn);
        ck_assert(run_until(t, got_closed, USEC_PER_SEC));
        ck_assert_int_eq(t->closed_error, 0);
        ck_assert(!fake_proxy_link_up(t->fake));
}

/* ---- tests --------------------------------------------------------------------------------------- */

START_TEST(test_session_and_adverts) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        ck_assert(!radio_available(t.radio));
        ck_assert_int_eq(radio_kind(t.radio), RADIO_KIND_ESPHOME);
        ck_assert(run_until(&t, is_up, 5 * USEC_PER_SEC));
        ck_assert_int_eq(radio_free_slots(t.radio), 3);
        ck_assert_str_eq(radio_last_error(t.radio), "");
        ck_assert(startswith(radio_address(t.radio), "127.0.0.1:"));

        fake_proxy_advertise(t.fake, -55);
        ck_assert(run_until(&t, got_advert, USEC_PER_SEC));
        ck_assert_str_eq(t.last_address, FAKE_PROXY_LOCK);
        ck_assert_int_eq(t.last_rssi, -55);
        ck_assert_uint_eq(t.last_key, 0x0305);
        ck_assert_ptr_eq(radio_set_chosen(t.radios, FAKE_PROXY_LOCK), t.radio);
        ck_assert_uint_eq(fake_proxy_accepts(t.fake), 1);
        teardown(&t);
}
END_TEST

START_TEST(test_connection_short_uuids) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        connect_lock(&t);
        ck_assert_int_eq(radio_free_slots(t.radio), 2);
        use_and_close(&t);
        ck_assert_uint_eq(fake_proxy_free_slots(t.fake), 3);
        teardown(&t);
}
END_TEST

START_TEST(test_connection_long_uuids_noise) {
        T t;

        setup(&t,
              &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .psk = key_a, .long_uuids = true },
              key_a,
              NULL);
        connect_lock(&t);
        use_and_close(&t);
        teardown(&t);
}
END_TEST

/* An older proxy: API 1.10 wants AuthenticationRequest, and without remote caching it turns the
 * notifications on itself. */
START_TEST(test_connection_v1_old_api) {
        T t;

        setup(&t,
              &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .api_minor = 10, .v1_only = true },
              NULL,
              NULL);
        connect_lock(&t);
        use_and_close(&t);
        teardown(&t);
}
END_TEST

START_TEST(test_link_lost) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        connect_lock(&t);
        fake_proxy_lose_link(t.fake);
        ck_assert(run_until(&t, got_closed, USEC_PER_SEC));
        ck_assert_int_eq(t.closed_error, -ENOTCONN);
        /* The session stays. */
        ck_assert(radio_available(t.radio));
        teardown(&t);
}
END_TEST

/* The proxy dies with a connection up: it closes with -ENOTCONN, the radio goes unavailable and forgets
 * the lock, says why, and comes back after the backoff. */
START_TEST(test_proxy_dies) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        connect_lock(&t);
        fake_proxy_drop(t.fake);
        ck_assert(run_until(&t, got_closed, USEC_PER_SEC));
        ck_assert_int_eq(t.closed_error, -ENOTCONN);
        ck_assert(run_until(&t, is_down_with_error, USEC_PER_SEC) || radio_available(t.radio));
        ck_assert_uint_eq(t.lost, 1);
        ck_assert_ptr_null(radio_set_chosen(t.radios, FAKE_PROXY_LOCK));
        ck_assert(run_until(&t, is_up, 3 * USEC_PER_SEC));
        ck_assert_uint_eq(fake_proxy_accepts(t.fake), 2);
        ck_assert_uint_ge(esphome_proxy_stats(t.proxy)->ready, 2);
        teardown(&t);
}
END_TEST

/* Connect attempts while the session is down fail at once; the proxy going away while connecting ends
 * the attempt with ready(-ENOTCONN). */
START_TEST(test_proxy_dies_while_connecting) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        ck_assert_int_eq(
                radio_connect(t.radio, FAKE_PROXY_LOCK, USEC_PER_SEC, &conn_cb, &t, &t.conn), -ENOTCONN);
        ck_assert_ptr_null(t.conn);
        ck_assert(run_until(&t, is_up, 5 * USEC_PER_SEC));
        ck_assert_int_ge(radio_connect(t.radio, FAKE_PROXY_LOCK, USEC_PER_SEC, &conn_cb, &t, &t.conn), 0);
        fake_proxy_drop(t.fake);
        ck_assert(run_until(&t, got_ready, USEC_PER_SEC));
        ck_assert_int_eq(t.ready_error, -ENOTCONN);
        teardown(&t);
}
END_TEST

/* One slot: taken, the radio is passed over; a connect answered "no free slot" fails; the slot comes back.
 */
START_TEST(test_slots) {
        T t;
        RadioConn *second = NULL;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .slots = 1 }, NULL, NULL);
        connect_lock(&t);
        ck_assert_int_eq(radio_free_slots(t.radio), 0);
        ck_assert_ptr_null(radio_set_best(t.radios, FAKE_PROXY_LOCK, NULL));
        ck_assert(radio_set_knows(t.radios, FAKE_PROXY_LOCK));
        ck_assert_int_eq(
                radio_connect(t.radio, "AA:BB:CC:00:00:08", USEC_PER_SEC, &conn_cb, &t, &second), -EBUSY);
        use_and_close(&t);
        ck_assert_uint_eq(fake_proxy_free_slots(t.fake), 1);
        ck_assert(run_until(&t, is_up, USEC_PER_SEC));
        ck_assert_int_eq(radio_free_slots(t.radio), 1);
        ck_assert_ptr_eq(radio_set_best(t.radios, FAKE_PROXY_LOCK, NULL), t.radio);
        teardown(&t);
}
END_TEST

START_TEST(test_connect_refused) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .refuse_connect = true }, NULL, NULL);
        ck_assert(run_until(&t, is_up, 5 * USEC_PER_SEC));
        ck_assert_int_ge(radio_connect(t.radio, FAKE_PROXY_LOCK, USEC_PER_SEC, &conn_cb, &t, &t.conn), 0);
        ck_assert(run_until(&t, got_ready, 2 * USEC_PER_SEC));
        ck_assert_int_eq(t.ready_error, -EHOSTUNREACH);
        ck_assert(strstr(t.why, "0x3e"));
        teardown(&t);
}
END_TEST

/* A connection freed while it comes up: the proxy is told to let go, and its slot returns. */
START_TEST(test_release_while_connecting) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        connect_lock(&t);
        t.conn = radio_conn_free(t.conn);
        run_for(&t, 200 * USEC_PER_MSEC);
        ck_assert(!fake_proxy_link_up(t.fake));
        ck_assert_uint_eq(fake_proxy_free_slots(t.fake), 3);
        teardown(&t);
}
END_TEST

/* The proxy goes (configuration reload) with a connection up: closed(-ENOTCONN), the radio goes. */
START_TEST(test_free_with_a_connection) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, NULL);
        connect_lock(&t);
        t.proxy = esphome_proxy_free(t.proxy);
        ck_assert(t.closed);
        ck_assert_int_eq(t.closed_error, -ENOTCONN);
        ck_assert_ptr_null(radio_conn_radio(t.conn));
        ck_assert_ptr_null(radio_set_radios(t.radios)[0]);
        teardown(&t);
}
END_TEST

/* A wrong key: said in LastError, and not tried again for a long while. */
START_TEST(test_wrong_psk) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .psk = key_a }, key_b, NULL);
        ck_assert(run_until(&t, is_down_with_error, 3 * USEC_PER_SEC));
        ck_assert_msg(strstr(radio_last_error(t.radio), "wrong PSK"), "%s", radio_last_error(t.radio));
        run_for(&t, USEC_PER_SEC);
        ck_assert_uint_eq(fake_proxy_accepts(t.fake), 1);
        teardown(&t);
}
END_TEST

START_TEST(test_framing_mismatch) {
        T t;

        /* A key for a plaintext proxy. */
        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, key_a, NULL);
        ck_assert(run_until(&t, is_down_with_error, 3 * USEC_PER_SEC));
        ck_assert_msg(strstr(radio_last_error(t.radio), "plaintext"), "%s", radio_last_error(t.radio));
        teardown(&t);

        /* No key for a Noise proxy. */
        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD, .psk = key_a }, NULL, NULL);
        ck_assert(run_until(&t, is_down_with_error, 3 * USEC_PER_SEC));
        ck_assert_msg(strstr(radio_last_error(t.radio), "encryption"), "%s", radio_last_error(t.radio));
        teardown(&t);
}
END_TEST

static void broken(FakeProxyMode mode, const char *want) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = mode }, NULL, NULL);
        ck_assert_msg(run_until(&t, is_down_with_error, 4 * USEC_PER_SEC), "mode %d: no LastError", mode);
        ck_assert_msg(
                strstr(radio_last_error(t.radio), want), "mode %d: %s", mode, radio_last_error(t.radio));
        ck_assert_uint_eq(t.adverts, 0);
        teardown(&t);
}

START_TEST(test_broken_proxies) {
        broken(FAKE_PROXY_GARBAGE, "Malformed");
        broken(FAKE_PROXY_HUGE_FRAME, "size limit");
        broken(FAKE_PROXY_BAD_MESSAGE, "does not decode");
        broken(FAKE_PROXY_NOT_A_PROXY, "no Bluetooth proxy");
}
END_TEST

START_TEST(test_silent_proxy) {
        EsphomeTiming tm;
        T t;

        esphome_timing_default(&tm);
        tm.setup_timeout_usec = 300 * USEC_PER_MSEC;
        tm.backoff_min_usec = 5 * USEC_PER_SEC;
        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_SILENT }, NULL, &tm);
        ck_assert(run_until(&t, is_down_with_error, 2 * USEC_PER_SEC));
        ck_assert_msg(
                strstr(radio_last_error(t.radio), "HelloRequest in time"), "%s", radio_last_error(t.radio));
        teardown(&t);
}
END_TEST

/* Hostile adverts, answers to nothing, unknown messages, then a frame over the limit: nothing crashes,
 * nothing unbounded is kept, and the session ends saying why. */
START_TEST(test_hostile_proxy) {
        T t;

        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_HOSTILE }, NULL, NULL);
        ck_assert(run_until(&t, is_down_with_error, 4 * USEC_PER_SEC));
        ck_assert_msg(strstr(radio_last_error(t.radio), "size limit"), "%s", radio_last_error(t.radio));
        /* Only TTLocks are reported, each address once per advert, and at most 1024 of them. */
        ck_assert_uint_gt(t.adverts, 0);
        ck_assert_uint_le(t.adverts, 1024);
        ck_assert_uint_eq(t.lost, t.adverts);
        teardown(&t);
}
END_TEST

/* A keep-alive that goes unanswered ends the session; one that is answered keeps it. */
START_TEST(test_keepalive) {
        EsphomeTiming tm;
        T t;

        esphome_timing_default(&tm);
        tm.keepalive_usec = 50 * USEC_PER_MSEC;
        tm.keepalive_timeout_usec = 400 * USEC_PER_MSEC;
        setup(&t, &(FakeProxyOptions){ .mode = FAKE_PROXY_GOOD }, NULL, &tm);
        ck_assert(run_until(&t, is_up, 3 * USEC_PER_SEC));
        run_for(&t, 800 * USEC_PER_MSEC);
        ck_assert(radio_available(t.radio));
        ck_assert_uint_eq(fake_proxy_accepts(t.fake), 1);
        teardown(&t);
}
END_TEST

static Suite *esphome_radio_suite(void) {
        Suite *s = suite_create("esphome-radio");
        TCase *tc = tcase_create("backend");

        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_session_and_adverts);
        tcase_add_test(tc, test_connection_short_uuids);
        tcase_add_test(tc, test_connection_long_uuids_noise);
        tcase_add_test(tc, test_connection_v1_old_api);
        tcase_add_test(tc, test_link_lost);
        tcase_add_test(tc, test_proxy_dies);
        tcase_add_test(tc, test_proxy_dies_while_connecting);
        tcase_add_test(tc, test_slots);
        tcase_add_test(tc, test_connect_refused);
        tcase_add_test(tc, test_release_while_connecting);
        tcase_add_test(tc, test_free_with_a_connection);
        tcase_add_test(tc, test_wrong_psk);
        tcase_add_test(tc, test_framing_mismatch);
        tcase_add_test(tc, test_broken_proxies);
        tcase_add_test(tc, test_silent_proxy);
        tcase_add_test(tc, test_hostile_proxy);
        tcase_add_test(tc, test_keepalive);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        SRunner *sr = srunner_create(esphome_radio_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
