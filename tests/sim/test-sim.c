/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Conformance tests of ttlock-sim. The client below knows only BlueZ 5.66's D-Bus API and
 * doc/protocol.md: it discovers, connects, enables notifications, writes raw frames in 20-byte chunks
 * and reassembles the notifications, then checks the lock's answers byte for byte. */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "advert.h"
#include "command.h"
#include "credentials.h"
#include "crypto.h"
#include "frame.h"
#include "info.h"
#include "lock-error.h"
#include "lockdata-set.h"
#include "oplog.h"
#include "pairing.h"
#include "reply.h"
#include "settings.h"
#include "testbus.h"
#include "transport.h"
#include "tt-test.h"

#define MAC "AA:BB:CC:00:00:01"
#define DEV "/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
#define NOTIFY DEV "/service000c/char000d"
#define WRITE DEV "/service000c/char0010"
#define ADMIN_PS 73079075u /* doc/protocol.md §10: the values of kind3r/ttlock-sdk-js#8 */
#define UNLOCK_KEY 76257105u
#define FRAMES_MAX 64

#if defined(__has_feature)
#        if __has_feature(address_sanitizer) /* clang's spelling of gcc's __SANITIZE_ADDRESS__ */
#                define TT_HAS_ASAN 1
#        endif
#endif
#ifndef TT_HAS_ASAN
#        define TT_HAS_ASAN 0
#endif

typedef struct Client {
        TestBus *bus;
        pid_t sim;
        sd_bus *conn;
        TTReassembler rx;
        uint8_t frames[FRAMES_MAX][TTLOCK_WIRE_MAX];
        size_t frame_len[FRAMES_MAX];
        size_t n_frames;
        bool device_added;
        unsigned n_added;
        bool device_removed;
        unsigned mfd_changes;
        bool connected;
        unsigned rssi_changes;     /* PropertiesChanged of DEV with an RSSI value */
        unsigned rssi_invalidated; /* PropertiesChanged of DEV listing RSSI as invalidated */
        unsigned battery_added;    /* InterfacesAdded of DEV with org.bluez.Battery1 */
        unsigned battery_removed;  /* InterfacesRemoved of DEV with org.bluez.Battery1 */
        unsigned battery_changes;  /* PropertiesChanged of DEV's Battery1 Percentage */
        int battery_percentage;    /* the last Percentage signalled; -1 none */
        uint8_t key[TTLOCK_KEY_SIZE];
} Client;

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Process bus traffic until cond holds or timeout_ms passed. */
#define WAIT_FOR(c, cond, timeout_ms)                                             \
        ({                                                                        \
                uint64_t _end = now_usec() + (uint64_t) (timeout_ms) *1000;       \
                while (!(cond) && now_usec() < _end) {                            \
                        int _r = sd_bus_process((c)->conn, NULL);                 \
                        ck_assert_int_ge(_r, 0);                                  \
                        if (_r == 0)                                              \
                                (void) sd_bus_wait((c)->conn, _end - now_usec()); \
                }                                                                 \
                (cond);                                                           \
        })

static void on_frame(const uint8_t *frame, size_t len, void *userdata) {
        Client *c = userdata;

        ck_assert_uint_lt(c->n_frames, FRAMES_MAX);
        memcpy(c->frames[c->n_frames], frame, len);
        c->frame_len[c->n_frames++] = len;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Client *c = userdata;
        const char *iface, *path = sd_bus_message_get_path(m);
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        ck_assert_int_ge(r, 0);
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        ck_assert_int_ge(r, 0);
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name;

                ck_assert_int_ge(sd_bus_message_read(m, "s", &name), 0);
                if (strcmp(path, NOTIFY) == 0 && strcmp(name, "Value") == 0) {
                        const void *d;
                        size_t n;

                        ck_assert_int_ge(sd_bus_message_enter_container(m, 'v', "ay"), 0);
                        ck_assert_int_ge(sd_bus_message_read_array(m, 'y', &d, &n), 0);
                        /* §1.4: the lock notifies at most 20 bytes at a time. */
                        ck_assert_uint_le(n, TTLOCK_CHUNK_SIZE);
                        ttlock_reassembler_feed(&c->rx, d, n, on_frame, c);
                        ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
                } else if (
                        strcmp(path, DEV) == 0 && strcmp(iface, "org.bluez.Battery1") == 0 &&
                        strcmp(name, "Percentage") == 0) {
                        uint8_t v;
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "y", &v), 0);
                        c->battery_percentage = v;
                        c->battery_changes++;
                } else if (strcmp(path, DEV) == 0 && strcmp(name, "Connected") == 0) {
                        int b;
                        ck_assert_int_ge(sd_bus_message_read(m, "v", "b", &b), 0);
                        c->connected = b;
                } else {
                        if (strcmp(path, DEV) == 0 && strcmp(name, "ManufacturerData") == 0)
                                c->mfd_changes++;
                        if (strcmp(path, DEV) == 0 && strcmp(name, "RSSI") == 0)
                                c->rssi_changes++;
                        ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }
        ck_assert_int_ge(r, 0);
        ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        {
                char **invalidated = NULL;

                ck_assert_int_ge(sd_bus_message_read_strv(m, &invalidated), 0);
                for (char **i = invalidated; i && *i; i++) {
                        if (strcmp(path, DEV) == 0 && strcmp(*i, "RSSI") == 0)
                                c->rssi_invalidated++;
                        free(*i);
                }
                free(invalidated);
        }
        return 0;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Client *c = userdata;
        const char *path, *iface;
        int r;

        ck_assert_int_ge(sd_bus_message_read(m, "o", &path), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "{sa{sv}}"), 0);
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                ck_assert_int_ge(sd_bus_message_read(m, "s", &iface), 0);
                if (strcmp(iface, "org.bluez.Device1") == 0) {
                        if (strcmp(path, DEV) == 0)
                                c->device_added = true;
                        c->n_added++;
                }
                if (strcmp(path, DEV) == 0 && strcmp(iface, "org.bluez.Battery1") == 0) {
                        const char *name;
                        c->battery_added++;
                        c->battery_percentage = -1;
                        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
                        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                                ck_assert_int_ge(sd_bus_message_read(m, "s", &name), 0);
                                if (strcmp(name, "Percentage") == 0) {
                                        uint8_t v;
                                        ck_assert_int_ge(sd_bus_message_read(m, "v", "y", &v), 0);
                                        c->battery_percentage = v;
                                } else
                                        ck_assert_int_ge(sd_bus_message_skip(m, "v"), 0);
                                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
                        }
                        ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
                } else
                        ck_assert_int_ge(sd_bus_message_skip(m, "a{sv}"), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(m), 0);
        }
        ck_assert_int_ge(r, 0);
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Client *c = userdata;
        const char *path, *iface;

        ck_assert_int_ge(sd_bus_message_read(m, "o", &path), 0);
        ck_assert_int_ge(sd_bus_message_enter_container(m, 'a', "s"), 0);
        while (sd_bus_message_read(m, "s", &iface) > 0) {
                if (strcmp(path, DEV) == 0 && strcmp(iface, "org.bluez.Device1") == 0)
                        c->device_removed = true;
                if (strcmp(path, DEV) == 0 && strcmp(iface, "org.bluez.Battery1") == 0)
                        c->battery_removed++;
        }
        return 0;
}

static void spawn_sim(Client *c, const char *const *args) {
        const char *argv[40] = { getenv("TTLOCK_SIM") };
        size_t n = 1;
        int r;

        ck_assert_ptr_nonnull(argv[0]);
        for (const char *const *a = args; a && *a; a++)
                argv[n++] = *a;
        argv[n] = NULL;
        r = test_bus_spawn(c->bus, (char *const *) argv, NULL, &c->sim);
        ck_assert_int_ge(r, 0);
        r = test_bus_wait_name(c->bus, "org.bluez", c->sim, 10 * TEST_USEC_PER_SEC);
        ck_assert_int_ge(r, 0);
}

static void start(Client *c, const char *const *args) {
        const char *confs[] = { getenv("TTLOCK_SIM_BUS_CONF"), NULL };
        int r;

        *c = (Client){};
        ck_assert_ptr_nonnull(confs[0]);
        r = test_bus_start(confs, &c->bus);
        ck_assert_int_ge(r, 0);
        spawn_sim(c, args);
        r = sd_bus_open_system(&c->conn);
        ck_assert_int_ge(r, 0);
        ttlock_reassembler_init(&c->rx);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        c->conn,
                        NULL,
                        "org.bluez",
                        NULL,
                        "org.freedesktop.DBus.Properties",
                        "PropertiesChanged",
                        on_properties_changed,
                        c),
                0);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        c->conn,
                        NULL,
                        "org.bluez",
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesAdded",
                        on_interfaces_added,
                        c),
                0);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        c->conn,
                        NULL,
                        "org.bluez",
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesRemoved",
                        on_interfaces_removed,
                        c),
                0);
}

static void stop(Client *c) {
        c->conn = sd_bus_flush_close_unref(c->conn);
        c->bus = test_bus_stop(c->bus);
}

/* A method call that must succeed. */
static void
call_ok(Client *c, const char *path, const char *iface, const char *member, const char *sig, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(c->conn, &m, "org.bluez", path, iface, member), 0);
        if (sig) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
                ck_assert_int_ge(r, 0);
        }
        r = sd_bus_call(c->conn, m, 30 * TEST_USEC_PER_SEC, &error, &reply);
        ck_assert_msg(r >= 0, "%s.%s failed: %s: %s", iface, member, error.name, error.message);
        sd_bus_error_free(&error);
}

/* A method call that must fail with the error name given. */
static void call_fails(
        Client *c,
        const char *path,
        const char *iface,
        const char *member,
        const char *error_name,
        const char *sig,
        ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        ck_assert_int_ge(sd_bus_message_new_method_call(c->conn, &m, "org.bluez", path, iface, member), 0);
        if (sig) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
                ck_assert_int_ge(r, 0);
        }
        r = sd_bus_call(c->conn, m, 30 * TEST_USEC_PER_SEC, &error, &reply);
        ck_assert_msg(r < 0, "%s.%s succeeded, expected %s", iface, member, error_name);
        ck_assert_msg(
                sd_bus_error_has_name(&error, error_name),
                "%s.%s: got %s (%s), expected %s",
                iface,
                member,
                error.name,
                error.message,
                error_name);
        sd_bus_error_free(&error);
}

static bool get_bool(Client *c, const char *path, const char *iface, const char *prop) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int b = -1, r;

        r = sd_bus_get_property_trivial(c->conn, "org.bluez", path, iface, prop, &error, 'b', &b);
        ck_assert_msg(r >= 0, "Get %s.%s: %s", iface, prop, error.message);
        return b;
}

static uint32_t get_u32(Client *c, const char *path, const char *iface, const char *prop) {
        uint32_t u = 0;

        ck_assert_int_ge(
                sd_bus_get_property_trivial(c->conn, "org.bluez", path, iface, prop, NULL, 'u', &u), 0);
        return u;
}

static void sim1(Client *c, const char *member, const char *sig, const void *arg) {
        if (!sig)
                call_ok(c, DEV, "org.ttlock.Sim1", member, NULL);
        else if (strcmp(sig, "s") == 0)
                call_ok(c, DEV, "org.ttlock.Sim1", member, "s", (const char *) arg);
        else if (strcmp(sig, "b") == 0)
                call_ok(c, DEV, "org.ttlock.Sim1", member, "b", *(const int *) arg);
        else
                ck_abort_msg("bad signature");
}

/* Dispatch what is queued (signals sd_bus_call() set aside) so that counters start fresh. */
static void drain(Client *c, unsigned ms) {
        (void) WAIT_FOR(c, false, ms);
        c->mfd_changes = 0;
}

static void discover(Client *c) {
        const char *uuid = "00001910-0000-1000-8000-00805f9b34fb";

        call_ok(c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "a{sv}",
                3,
                "Transport",
                "s",
                "le",
                "DuplicateData",
                "b",
                1,
                "UUIDs",
                "as",
                1,
                uuid);
        call_ok(c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert_msg(WAIT_FOR(c, c->device_added, 5000), "the lock was not discovered");
}

static void read_advert(Client *c, TTAdvert *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const void *d;
        size_t n;
        uint16_t key;
        TTError e = {};

        ck_assert_int_ge(
                sd_bus_get_property(
                        c->conn,
                        "org.bluez",
                        DEV,
                        "org.bluez.Device1",
                        "ManufacturerData",
                        NULL,
                        &reply,
                        "a{qv}"),
                0);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'a', "{qv}"), 0);
        ck_assert_int_gt(sd_bus_message_enter_container(reply, 'e', "qv"), 0);
        ck_assert_int_ge(sd_bus_message_read(reply, "q", &key), 0);
        ck_assert_uint_eq(key, 773);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'v', "ay"), 0);
        ck_assert_int_ge(sd_bus_message_read_array(reply, 'y', &d, &n), 0);
        ck_assert_msg(
                ttlock_advert_parse_bluez(key, d, n, ret, &e) >= 0, "advert: %s", tt_error_message(&e));
}

static void connect_lock(Client *c) {
        call_ok(c, DEV, "org.bluez.Device1", "Connect", NULL);
        ck_assert(get_bool(c, DEV, "org.bluez.Device1", "Connected"));
        ck_assert(get_bool(c, DEV, "org.bluez.Device1", "ServicesResolved"));
        c->connected = true;
        call_ok(c, NOTIFY, "org.bluez.GattCharacteristic1", "StartNotify", NULL);
        ck_assert(get_bool(c, NOTIFY, "org.bluez.GattCharacteristic1", "Notifying"));
        ttlock_reassembler_reset(&c->rx);
        c->n_frames = 0;
}

/* Frames the request and writes it as 20-byte write commands (§1.3). */
static void send_request_crc(
        Client *c, uint8_t cmd, const uint8_t *key, const void *plain, size_t len, bool bad_crc) {
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(cmd);
        uint8_t frame[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX];
        size_t n, wn;
        TTError e = {};

        ck_assert_int_ge(ttlock_frame_build(&h, key, plain, len, frame, sizeof(frame), &n, &e), 0);
        if (bad_crc)
                frame[n - 1] ^= 1;
        ck_assert_int_ge(ttlock_wire_encode(frame, n, wire, sizeof(wire), &wn, &e), 0);
        for (size_t k = 0; k < ttlock_chunk_count(wn); k++) {
                const uint8_t *chunk;
                size_t cl;

                ck_assert_int_ge(ttlock_chunk(wire, wn, k, &chunk, &cl), 0);
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                ck_assert_int_ge(
                        sd_bus_message_new_method_call(
                                c->conn,
                                &m,
                                "org.bluez",
                                WRITE,
                                "org.bluez.GattCharacteristic1",
                                "WriteValue"),
                        0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', chunk, cl), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, "type", "s", "command"), 0);
                ck_assert_int_ge(sd_bus_call(c->conn, m, 5 * TEST_USEC_PER_SEC, NULL, NULL), 0);
        }
}

static void send_request(Client *c, uint8_t cmd, const uint8_t *key, const void *plain, size_t len) {
        send_request_crc(c, cmd, key, plain, len, false);
}

/* The next frame from the lock (terminator stripped), or false after timeout_ms. */
static bool next_frame(Client *c, uint8_t *frame, size_t *len, unsigned timeout_ms) {
        if (!WAIT_FOR(c, c->n_frames > 0, timeout_ms))
                return false;
        memcpy(frame, c->frames[0], c->frame_len[0]);
        *len = c->frame_len[0];
        memmove(c->frames[0], c->frames[1], (c->n_frames - 1) * sizeof(c->frames[0]));
        memmove(c->frame_len, c->frame_len + 1, (c->n_frames - 1) * sizeof(c->frame_len[0]));
        c->n_frames--;
        return true;
}

/* Parse (CRC checked) and decrypt a frame from the lock; returns the plaintext length. */
static size_t
open_frame(const uint8_t *frame, size_t len, const uint8_t *key, uint8_t expect_cmd, uint8_t *plain) {
        TTFrame f;
        TTError e = {};
        size_t n = 0;

        ck_assert_msg(ttlock_frame_parse(frame, len, &f, &e) >= 0, "reply frame: %s", tt_error_message(&e));
        ck_assert_uint_eq(f.header.command, expect_cmd);
        ck_assert_uint_eq(f.header.protocol_type, 5);
        ck_assert_uint_eq(f.header.sub_version, 3);
        if (f.data_len == 0)
                return 0;
        ck_assert_msg(
                ttlock_frame_decrypt(&f, key, plain, TTLOCK_FRAME_MAX_DATA, &n, &e) >= 0,
                "decrypt: %s",
                tt_error_message(&e));
        return n;
}

/* One exchange: request out, reply in, decrypted with key. Pushes (echo 0x14 while asking something
 * else) are set aside, as §9.4 says a client must. */
static size_t
exchange(Client *c, uint8_t cmd, const uint8_t *key, const void *plain, size_t len, uint8_t *out) {
        uint8_t frame[TTLOCK_WIRE_MAX];
        size_t n, k;

        send_request(c, cmd, key, plain, len);
        for (;;) {
                ck_assert_msg(next_frame(c, frame, &n, 5000), "no reply to 0x%02x", cmd);
                k = open_frame(
                        frame,
                        n,
                        key,
                        cmd == TTLOCK_CMD_GET_AES_KEY ? TTLOCK_CMD_GET_AES_KEY : TTLOCK_CMD_RESPONSE,
                        out);
                if (k > 0 && out[0] == TTLOCK_CMD_SEARCH_BICYCLE_STATUS &&
                    cmd != TTLOCK_CMD_SEARCH_BICYCLE_STATUS)
                        continue;
                return k;
        }
}

/* Encode with a proto encoder into a local buffer. */
#define ENCODE(buf, len, expr)                                           \
        do {                                                             \
                TTWriter w = TT_WRITER((buf), sizeof(buf));              \
                TTWriter *W = &w;                                        \
                (void) W;                                                \
                expr;                                                    \
                ck_assert_int_ge(tt_writer_finish(&w, &(len), NULL), 0); \
        } while (0)

static size_t request_ok(Client *c, uint8_t cmd, const void *plain, size_t len, uint8_t *out) {
        size_t n = exchange(c, cmd, c->key, plain, len, out);

        ck_assert_uint_ge(n, 2);
        ck_assert_uint_eq(out[0], cmd);
        ck_assert_msg(
                out[1] == TTLOCK_STATUS_SUCCESS, "0x%02x failed with error 0x%02x", cmd, n > 2 ? out[2] : 0);
        return n;
}

static void request_fails(Client *c, uint8_t cmd, const void *plain, size_t len, uint8_t code) {
        uint8_t out[TTLOCK_FRAME_MAX_DATA];
        size_t n = exchange(c, cmd, c->key, plain, len, out);
        char hex[8];

        /* §2.4: [echo][00][code] */
        snprintf(hex, sizeof(hex), "%02x00%02x", cmd, code);
        tt_assert_hex_eq(out, n, hex);
}

/* A request written out in hex as doc/protocol.md lays it out, and the reply expected byte for byte. */
static void request_hex(Client *c, uint8_t cmd, const char *request, const char *reply) {
        uint8_t buf[TTLOCK_PLAIN_MAX], out[TTLOCK_FRAME_MAX_DATA];
        size_t len = tt_unhex(request, buf, sizeof(buf)), n;

        n = exchange(c, cmd, c->key, buf, len, out);
        tt_assert_hex_eq(out, n, reply);
}

/* A Sim1 action at the door that the lock refuses with an error the person notices. */
static void sim1_denied(Client *c, const char *member, const char *arg) {
        call_fails(c, DEV, "org.ttlock.Sim1", member, "org.freedesktop.DBus.Error.AccessDenied", "s", arg);
}

/* The whole log from the start (admin login needed). */
static void read_log(Client *c, TTLogPage *page) {
        uint8_t buf[8], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTError e = {};

        ENCODE(buf, len, ttlock_log_request_encode(W, TTLOCK_LOG_ALL_RECORDS));
        n = request_ok(c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
        ck_assert_msg(ttlock_log_page_decode(out + 2, n - 2, page, &e) >= 0, "%s", tt_error_message(&e));
}

/* The default features plus dead-lock (32); cyclic-card-fingerprint (34) is one of them. */
#define FEATURES_32_34                                                                                 \
        "features=passcode+ic-card+fingerprint+auto-lock+passcode-with-delete+modify-passcode+"        \
        "manual-lock+passcode-display+gateway-unlock+remote-unlock+audio+admin-passcode+passage-mode+" \
        "reset-button+tamper-alert+privacy-lock+sound-volume+dead-lock+cyclic-card-fingerprint"

/* The default features without cyclic-card-fingerprint (34): a lock that does not know CYCLIC_CMD. */
#define FEATURES_NO_34                                                                                 \
        "features=passcode+ic-card+fingerprint+auto-lock+passcode-with-delete+modify-passcode+"        \
        "manual-lock+passcode-display+gateway-unlock+remote-unlock+audio+admin-passcode+passage-mode+" \
        "reset-button+tamper-alert+privacy-lock+sound-volume"

static const TTDateTime wide_start = { 2000, 1, 31, 14, 0, 0 }, wide_end = { 2099, 11, 30, 14, 0, 0 };

/* §5.1 with the official order; leaves the connection admin-authorised. */
static void pair(Client *c) {
        uint8_t buf[TTLOCK_PLAIN_MAX], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTAddAdminRequest add = { ADMIN_PS, UNLOCK_KEY };
        TTDateTime now = { 2024, 5, 6, 7, 8, 9 };
        TTReply rp;
        TTError e = {};

        ENCODE(buf, len, ttlock_get_aes_key_request_encode(W));
        n = exchange(c, TTLOCK_CMD_GET_AES_KEY, ttlock_default_key, buf, len, out);
        ck_assert_uint_eq(n, 18);
        ck_assert_uint_eq(out[0], 0x19);
        ck_assert_uint_eq(out[1], 0x01);
        ck_assert_int_ge(ttlock_get_aes_key_reply_decode(out + 2, n - 2, c->key, &e), 0);

        ENCODE(buf, len, ttlock_add_admin_request_encode(W, &add));
        n = request_ok(c, TTLOCK_CMD_ADD_ADMIN, buf, len, out);
        tt_assert_hex_eq(out, n, "5601 534349454e4552");

        ENCODE(buf, len, ck_assert_int_ge(ttlock_time_calibrate_request_encode(W, &now), 0));
        n = request_ok(c, TTLOCK_CMD_TIME_CALIBRATE, buf, len, out);
        tt_assert_hex_eq(out, n, "4301");

        n = request_ok(c, TTLOCK_CMD_SEARCH_DEVICE_FEATURE, NULL, 0, out);
        ck_assert_int_ge(ttlock_reply_parse(out, n, &rp, &e), 0);
        TTFeatureReply fr;
        ck_assert_int_ge(ttlock_feature_reply_decode(rp.data, rp.data_len, &fr, &e), 0);
        ck_assert(ttlock_features_has(&fr.features, TTLOCK_FEATURE_PASSCODE));

        /* 0x68 SWITCH get, 0x62 audio, 0x59 show password, 0x36 auto-lock, 0x65 admin code, 0x53, 0x37. */
        TTSwitchRequest sq = { .op = TTLOCK_SETTING_QUERY };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_switch_request_encode(W, &sq, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_SWITCH, buf, len, out);
        TTSwitchReply sw;
        ck_assert_int_ge(ttlock_switch_reply_decode(out + 2, n - 2, &sw, &e), 0);
        ck_assert_uint_eq(sw.items & TTLOCK_SWITCH_RESET_BUTTON, TTLOCK_SWITCH_RESET_BUTTON);
        ck_assert_uint_eq(sw.values & TTLOCK_SWITCH_RESET_BUTTON, TTLOCK_SWITCH_RESET_BUTTON);

        TTAudioRequest aq = { .op = TTLOCK_SETTING_QUERY };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_audio_request_encode(W, &aq, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_AUDIO_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "6201 5a 01 01 03"); /* battery 90, query, on, volume 3 */

        TTToggleRequest tq = { .op = TTLOCK_SETTING_QUERY };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_show_password_request_encode(W, &tq, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_SHOW_PASSWORD, buf, len, out);
        tt_assert_hex_eq(out, n, "5901 5a 01 00");

        TTAutoLockRequest alq = { .op = TTLOCK_SETTING_QUERY };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &alq, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "3601 5a 01 0000 0001 0384");

        n = request_ok(c, TTLOCK_CMD_GET_ADMIN_CODE, NULL, 0, out);
        tt_assert_hex_eq(out, n, "6501 5a 00"); /* none set yet */
        ENCODE(buf, len, ck_assert_int_ge(ttlock_set_admin_code_request_encode(W, "7654321", NULL), 0));
        tt_assert_hex_eq(buf, len, "07060504030201");
        n = request_ok(c, TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD, buf, len, out);
        n = request_ok(c, TTLOCK_CMD_GET_ADMIN_CODE, NULL, 0, out);
        tt_assert_hex_eq(out, n, "6501 5a 07 37363534333231");

        {
                TTInitPasswordsRequest ip = { .year = 24 };
                for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++)
                        ip.entries[i] =
                                (TTPasswordSeed){ .code = (uint16_t) (100 + i), .secret = 1234567890 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_init_passwords_request_encode(W, &ip), 0));
                n = request_ok(c, TTLOCK_CMD_INIT_PASSWORDS, buf, len, out);
                tt_assert_hex_eq(out, n, "3101");
        }
        ENCODE(buf, len, ck_assert_int_ge(ttlock_remote_unlock_request_encode(W, &tq, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_CONTROL_REMOTE_UNLOCK, buf, len, out);
        tt_assert_hex_eq(out, n, "3701 5a 01 00");

        static const struct {
                uint8_t type;
                const char *hex;
        } info[] = {
                { 1, "9001 5332303246 00" }, /* "S202F" + terminator */
                { 2, "9001 312e33 00" },     /* "1.3" */
                { 3, "9001 362e342e31352e323330353234 00" },
                { 4, "9001 3230323330353234 00" }, /* "20230524" */
        };
        for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++) {
                ENCODE(buf, len, ck_assert_int_ge(ttlock_device_info_request_encode(W, info[i].type), 0));
                n = request_ok(c, TTLOCK_CMD_READ_DEVICE_INFO, buf, len, out);
                tt_assert_hex_eq(out, n, info[i].hex);
        }

        n = request_ok(c, TTLOCK_CMD_OPERATE_FINISHED, NULL, 0, out);
        tt_assert_hex_eq(out, n, "5701");
}

static uint32_t user_challenge(Client *c) {
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTCheckUserTimeRequest q = { .start = wide_start, .end = wide_end };
        TTChallengeReply ch;

        ENCODE(buf, len, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &q), 0));
        n = request_ok(c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_uint_eq(n, 6);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        return ch.ps_from_lock;
}

static void admin_login(Client *c) {
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTCheckAdminRequest q = { .admin_ps = ADMIN_PS };
        TTChallengeReply ch;

        ENCODE(buf, len, ck_assert_int_ge(ttlock_check_admin_request_encode(W, &q), 0));
        n = request_ok(c, TTLOCK_CMD_CHECK_ADMIN, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        ENCODE(buf,
               len,
               ttlock_check_random_request_encode(W, ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY)));
        n = request_ok(c, TTLOCK_CMD_CHECK_RANDOM, buf, len, out);
        tt_assert_hex_eq(out, n, "3001");
}

static void sim_args_default(const char **args, const char *extra) {
        size_t i = 0;

        args[i++] = "--lock";
        args[i++] = extra ? extra : "mac=" MAC;
        args[i++] = "--latency-ms";
        args[i++] = "0";
        args[i++] = "--connect-ms";
        args[i++] = "0";
        args[i++] = "--connect-fail-ms";
        args[i++] = "100";
        args[i++] = "--idle-disconnect-seconds";
        args[i++] = "0";
        args[i++] = "--advert-interval-ms";
        args[i++] = "100";
        args[i] = NULL;
}

/* A lock paired over the air, connected and admin-authorised; more: further options or NULL. */
static void start_paired_with(Client *c, const char *lock_spec, const char *const *more) {
        const char *args[30];
        size_t n = 0;

        sim_args_default(args, lock_spec);
        while (args[n])
                n++;
        for (; more && *more; more++)
                args[n++] = *more;
        args[n] = NULL;
        start(c, args);
        sim1(c, "Wake", NULL, NULL);
        discover(c);
        connect_lock(c);
        pair(c);
}

static void start_paired(Client *c, const char *lock_spec) {
        start_paired_with(c, lock_spec, NULL);
}

/* ---- discovery and BlueZ behaviour ---- */

START_TEST(test_discovery) {
        Client c;
        const char *args[20];
        TTAdvert a;
        const char *name = NULL;

        sim_args_default(args, NULL);
        start(&c, args);

        /* BlueZ: one discovery per client; stopping twice fails. */
        call_fails(
                &c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "StopDiscovery",
                "org.bluez.Error.Failed",
                NULL);
        call_fails(
                &c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "org.bluez.Error.InvalidArguments",
                "a{sv}",
                1,
                "Transport",
                "s",
                "zigbee");

        /* A factory-fresh lock advertises only while awake (§5.1, §9.2). */
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        call_fails(
                &c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "StartDiscovery",
                "org.bluez.Error.InProgress",
                NULL);
        ck_assert(get_bool(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "Discovering"));
        ck_assert(!WAIT_FOR(&c, c.device_added, 500));
        sim1(&c, "Wake", NULL, NULL);
        ck_assert(WAIT_FOR(&c, c.device_added, 3000));

        read_advert(&c, &a);
        ck_assert_uint_eq(a.protocol_type, 5);
        ck_assert_uint_eq(a.protocol_version, 3);
        ck_assert(a.setting_mode);
        ck_assert(a.touch);
        ck_assert(!a.unlocked);
        ck_assert(!a.dormant);
        ck_assert_uint_eq(a.battery, 90);
        ck_assert_mem_eq(a.address, ((uint8_t[]){ 0xAA, 0xBB, 0xCC, 0x00, 0x00, 0x01 }), 6);
        ck_assert_int_ge(
                sd_bus_get_property_string(
                        c.conn, "org.bluez", DEV, "org.bluez.Device1", "Name", NULL, (char **) &name),
                0);
        ck_assert_str_eq(name, "S202F_010000"); /* §6: <model>_<MAC bytes 6,5,4> */
        free((char *) name);
        ck_assert(!get_bool(&c, DEV, "org.bluez.Device1", "Connected"));

        /* DuplicateData (BlueZ's default): ManufacturerData is refreshed at the advert interval. */
        drain(&c, 250);
        ck_assert(WAIT_FOR(&c, c.mfd_changes >= 3, 2000));

        /* GATT objects only after connecting; no adverts while connected. */
        call_fails(
                &c,
                NOTIFY,
                "org.bluez.GattCharacteristic1",
                "StartNotify",
                "org.freedesktop.DBus.Error.UnknownObject",
                NULL);
        call_fails(&c, DEV, "org.bluez.Device1", "Disconnect", "org.bluez.Error.NotConnected", NULL);
        connect_lock(&c);
        call_ok(&c, DEV, "org.bluez.Device1", "Connect", NULL); /* already connected: success */
        call_fails(
                &c,
                NOTIFY,
                "org.bluez.GattCharacteristic1",
                "StartNotify",
                "org.bluez.Error.InProgress",
                NULL);
        drain(&c, 250);
        ck_assert(!WAIT_FOR(&c, c.mfd_changes > 0, 500));

        /* Device information (§1.1), read with ReadValue. */
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const void *d;
                size_t n;
                ck_assert_int_ge(
                        sd_bus_call_method(
                                c.conn,
                                "org.bluez",
                                DEV "/service0012/char0015",
                                "org.bluez.GattCharacteristic1",
                                "ReadValue",
                                NULL,
                                &reply,
                                "a{sv}",
                                0),
                        0);
                ck_assert_int_ge(sd_bus_message_read_array(reply, 'y', &d, &n), 0);
                ck_assert_uint_eq(n, 5);
                ck_assert_mem_eq(d, "S202F", 5);
        }
        /* Writes longer than ATT_MTU − 3 as write commands fail as BlueZ makes them fail. */
        {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                uint8_t big[21] = {};
                ck_assert_int_ge(
                        sd_bus_message_new_method_call(
                                c.conn,
                                &m,
                                "org.bluez",
                                WRITE,
                                "org.bluez.GattCharacteristic1",
                                "WriteValue"),
                        0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', big, sizeof(big)), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, "type", "s", "command"), 0);
                ck_assert_int_lt(sd_bus_call(c.conn, m, 0, &error, NULL), 0);
                ck_assert(sd_bus_error_has_name(&error, "org.bluez.Error.Failed"));
                sd_bus_error_free(&error);
        }

        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        ck_assert(!get_bool(&c, DEV, "org.bluez.Device1", "Connected"));
        call_fails(
                &c,
                WRITE,
                "org.bluez.GattCharacteristic1",
                "WriteValue",
                "org.bluez.Error.NotConnected",
                "aya{sv}",
                1,
                0x00,
                0);
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "RemoveDevice", "o", DEV);
        ck_assert(WAIT_FOR(&c, c.device_removed, 2000));
        stop(&c);
}
END_TEST

START_TEST(test_discovery_filter) {
        Client c;
        const char *args[20];

        sim_args_default(args, NULL);
        start(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        /* Another service UUID, or BR/EDR only, does not see a TTLock advertisement. */
        call_ok(&c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "a{sv}",
                1,
                "UUIDs",
                "as",
                1,
                "180f");
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert(!WAIT_FOR(&c, c.device_added, 600));
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StopDiscovery", NULL);
        call_ok(&c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "a{sv}",
                1,
                "Transport",
                "s",
                "bredr");
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert(!WAIT_FOR(&c, c.device_added, 600));
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StopDiscovery", NULL);
        /* The 16-bit form of 0x1910 matches. */
        call_ok(&c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "a{sv}",
                1,
                "UUIDs",
                "as",
                1,
                "1910");
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert(WAIT_FOR(&c, c.device_added, 3000));

        /* A client leaving the bus stops its discovery. */
        c.conn = sd_bus_flush_close_unref(c.conn);
        ck_assert_int_ge(sd_bus_open_system(&c.conn), 0);
        {
                uint64_t end = now_usec() + 3000000;
                int b = 1;
                while (b && now_usec() < end) {
                        ck_assert_int_ge(
                                sd_bus_get_property_trivial(
                                        c.conn,
                                        "org.bluez",
                                        "/org/bluez/hci0",
                                        "org.bluez.Adapter1",
                                        "Discovering",
                                        NULL,
                                        'b',
                                        &b),
                                0);
                        if (b)
                                usleep(20000);
                }
                ck_assert(!b);
        }
        stop(&c);
}
END_TEST

/* ---- what BlueZ exports only sometimes ---- */

/* Does GetAll(iface) on path list the property? */
static bool has_property(Client *c, const char *path, const char *iface, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool found = false;
        int r;

        ck_assert_int_ge(
                sd_bus_call_method(
                        c->conn,
                        "org.bluez",
                        path,
                        "org.freedesktop.DBus.Properties",
                        "GetAll",
                        NULL,
                        &reply,
                        "s",
                        iface),
                0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *n;

                ck_assert_int_ge(sd_bus_message_read(reply, "s", &n), 0);
                found = found || strcmp(n, name) == 0;
                ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        }
        ck_assert_int_ge(r, 0);
        return found;
}

/* Does GetManagedObjects list the property for path and iface? (What a client like ttlockd reads.) */
static bool has_managed_property(Client *c, const char *path, const char *iface, const char *name) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool found = false;

        ck_assert_int_ge(
                sd_bus_call_method(
                        c->conn,
                        "org.bluez",
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "GetManagedObjects",
                        NULL,
                        &reply,
                        NULL),
                0);
        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                const char *p;

                ck_assert_int_ge(sd_bus_message_read(reply, "o", &p), 0);
                ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        const char *i;

                        ck_assert_int_ge(sd_bus_message_read(reply, "s", &i), 0);
                        ck_assert_int_ge(sd_bus_message_enter_container(reply, 'a', "{sv}"), 0);
                        while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                const char *n;

                                ck_assert_int_ge(sd_bus_message_read(reply, "s", &n), 0);
                                if (strcmp(p, path) == 0 && strcmp(i, iface) == 0 && strcmp(n, name) == 0)
                                        found = true;
                                ck_assert_int_ge(sd_bus_message_skip(reply, "v"), 0);
                                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                        }
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                        ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                }
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
                ck_assert_int_ge(sd_bus_message_exit_container(reply), 0);
        }
        return found;
}

START_TEST(test_bluez_properties) {
        Client c;
        const char *args[20];
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int16_t rssi = 0;
        int b = 0;

        sim_args_default(args, NULL);
        start(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        discover(&c);
        ck_assert_int_ge(
                sd_bus_get_property_trivial(
                        c.conn, "org.bluez", DEV, "org.bluez.Device1", "RSSI", NULL, 'n', &rssi),
                0);
        ck_assert_int_eq(rssi, -60);
        ck_assert(has_property(&c, DEV, "org.bluez.Device1", "RSSI"));
        ck_assert(has_managed_property(&c, DEV, "org.bluez.Device1", "RSSI"));

        /* BlueZ 5.66 invalidates the RSSI when discovery stops: PropertiesChanged lists it as
         * invalidated, and the property is gone. */
        drain(&c, 100);
        c.rssi_invalidated = 0;
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StopDiscovery", NULL);
        ck_assert(WAIT_FOR(&c, c.rssi_invalidated == 1, 2000));
        ck_assert_int_lt(
                sd_bus_get_property_trivial(
                        c.conn, "org.bluez", DEV, "org.bluez.Device1", "RSSI", &error, 'n', &rssi),
                0);
        sd_bus_error_free(&error);
        ck_assert(!has_property(&c, DEV, "org.bluez.Device1", "RSSI"));
        ck_assert(!has_managed_property(&c, DEV, "org.bluez.Device1", "RSSI"));
        ck_assert(has_property(&c, DEV, "org.bluez.Device1", "ManufacturerData"));

        /* Seen by discovery again: RSSI is back, announced with its value. */
        c.rssi_changes = 0;
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert(WAIT_FOR(&c, c.rssi_changes == 1, 3000));
        ck_assert(has_property(&c, DEV, "org.bluez.Device1", "RSSI"));
        drain(&c, 300);
        ck_assert_uint_eq(c.rssi_changes, 1); /* announced once, not at every advertisement */

        /* Notifying exists only on the characteristic that can notify (0xFFF4). */
        connect_lock(&c);
        ck_assert(has_property(&c, NOTIFY, "org.bluez.GattCharacteristic1", "Notifying"));
        ck_assert(has_managed_property(&c, NOTIFY, "org.bluez.GattCharacteristic1", "Notifying"));
        ck_assert(has_property(&c, WRITE, "org.bluez.GattCharacteristic1", "Flags"));
        ck_assert(!has_property(&c, WRITE, "org.bluez.GattCharacteristic1", "Notifying"));
        ck_assert(!has_managed_property(&c, WRITE, "org.bluez.GattCharacteristic1", "Notifying"));
        ck_assert(!has_property(
                &c, DEV "/service0012/char0015", "org.bluez.GattCharacteristic1", "Notifying"));
        ck_assert_int_lt(
                sd_bus_get_property_trivial(
                        c.conn,
                        "org.bluez",
                        WRITE,
                        "org.bluez.GattCharacteristic1",
                        "Notifying",
                        &error,
                        'b',
                        &b),
                0);
        sd_bus_error_free(&error);
        call_fails(
                &c,
                WRITE,
                "org.bluez.GattCharacteristic1",
                "StartNotify",
                "org.bluez.Error.NotSupported",
                NULL);
        call_ok(&c, NOTIFY, "org.bluez.GattCharacteristic1", "StopNotify", NULL);
        ck_assert(!get_bool(&c, NOTIFY, "org.bluez.GattCharacteristic1", "Notifying"));
        stop(&c);
}
END_TEST

/* ---- pairing and access ---- */

START_TEST(test_pairing) {
        Client c;
        TTAdvert a;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTAddAdminRequest add = { 1, 2 };

        start_paired(&c, NULL);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));

        /* The lock is no longer in setting mode: a second ADD_ADMIN gets the L = 0 answer (§2.4). */
        ENCODE(buf, len, ttlock_get_aes_key_request_encode(W));
        n = exchange(&c, TTLOCK_CMD_GET_AES_KEY, ttlock_default_key, buf, len, out);
        ck_assert_uint_eq(n, 18);
        ENCODE(buf, len, ttlock_add_admin_request_encode(W, &add));
        send_request(&c, TTLOCK_CMD_ADD_ADMIN, out + 2, buf, len);
        ck_assert(next_frame(&c, frame, &n, 3000));
        tt_assert_hex_eq(frame, n, "7f5a0503020001000154aa00 97"); /* L = 0, CRC over the header */

        /* A wrong vendor string in GET_AES_KEY is INVALID_VENDOR. */
        n = exchange(&c, TTLOCK_CMD_GET_AES_KEY, ttlock_default_key, "SCIENEX", 7, out);
        tt_assert_hex_eq(out, n, "19001d");
        /* So is an OEM vendor of another length (§4.3: [RR]'s is 32 hex characters). */
        n = exchange(&c, TTLOCK_CMD_GET_AES_KEY, ttlock_default_key, "0123456789abcdef0123456789abcdef", 32,
                     out);
        tt_assert_hex_eq(out, n, "19001d");

        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        drain(&c, 250);
        ck_assert(WAIT_FOR(&c, c.mfd_changes > 0, 3000));
        read_advert(&c, &a);
        ck_assert(!a.setting_mode);
        stop(&c);
}
END_TEST

/* §9.1: a CRC error is answered under the key of the command, so that the client can read it and
 * re-send; for ADD_ADMIN that is the key GET_AES_KEY just handed out, not the default key. */
START_TEST(test_add_admin_bad_crc) {
        Client c;
        const char *args[30];
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTAddAdminRequest add = { ADMIN_PS, UNLOCK_KEY };
        TTError e = {};

        sim_args_default(args, NULL);
        start(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        discover(&c);
        connect_lock(&c);

        ENCODE(buf, len, ttlock_get_aes_key_request_encode(W));
        n = exchange(&c, TTLOCK_CMD_GET_AES_KEY, ttlock_default_key, buf, len, out);
        ck_assert_uint_eq(n, 18);
        ck_assert_int_ge(ttlock_get_aes_key_reply_decode(out + 2, n - 2, c.key, &e), 0);

        ENCODE(buf, len, ttlock_add_admin_request_encode(W, &add));
        send_request_crc(&c, TTLOCK_CMD_ADD_ADMIN, c.key, buf, len, true);
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "5600 01");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));

        /* The re-send goes through. */
        n = request_ok(&c, TTLOCK_CMD_ADD_ADMIN, buf, len, out);
        tt_assert_hex_eq(out, n, "5601 534349454e4552");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        stop(&c);
}
END_TEST

START_TEST(test_unlock_lock) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        uint32_t ps;
        TTActuateRequest q;
        TTActuateReply ar;
        TTStatusPush push;
        TTReply rp;

        start_paired(&c, NULL);
        /* A fresh connection is not logged in (§5: per connection). */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        connect_lock(&c);

        q = (TTActuateRequest){ .sum = 1234, .timestamp = 1611059696 };
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_fails(&c, TTLOCK_CMD_UNLOCK, buf, len, TTLOCK_ERR_USER_NOT_LOGIN);

        ps = user_challenge(&c);
        q.sum = ttlock_unlock_sum(ps, UNLOCK_KEY) + 1;
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_fails(&c, TTLOCK_CMD_UNLOCK, buf, len, TTLOCK_ERR_DYNAMIC_PWD_ERROR);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        q.sum = ttlock_unlock_sum(ps, UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        n = request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
        ck_assert_uint_eq(n, 17); /* battery, uid, unique id, YY MM DD hh mm ss (§4.3) */
        ck_assert_int_ge(ttlock_actuate_reply_decode(out + 2, n - 2, &ar, NULL), 0);
        ck_assert_uint_eq(ar.battery, 90);
        ck_assert(ar.has_record);
        ck_assert_uint_eq(ar.uid, 0);
        ck_assert_uint_eq(ar.unique_id, 1611059696);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* §7.3: the state push follows. */
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        ck_assert_int_ge(ttlock_reply_parse(out, n, &rp, NULL), 0);
        ck_assert_uint_eq(rp.command, TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        ck_assert_int_ge(ttlock_status_push_decode(rp.data, rp.data_len, &push, NULL), 0);
        ck_assert_int_eq(push.kind, TTLOCK_PUSH_STATE);
        ck_assert_int_eq(push.state, TTLOCK_STATE_UNLOCKED);

        /* Status 0x14 needs no login; d[2] is the door sensor the default lock has (§4.7). */
        ENCODE(buf, len, ttlock_status_request_encode(W));
        n = request_ok(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, buf, len, out);
        tt_assert_hex_eq(out, n, "1401 5a 01 00");

        /* Lock 0x58 after the admin challenge (official admin path, §5.3). */
        {
                TTCheckAdminRequest aq = { .admin_ps = ADMIN_PS + 1 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_check_admin_request_encode(W, &aq), 0));
                request_fails(&c, TTLOCK_CMD_CHECK_ADMIN, buf, len, TTLOCK_ERR_ADMIN_CHECK_ERROR);
                aq.admin_ps = ADMIN_PS;
                ENCODE(buf, len, ck_assert_int_ge(ttlock_check_admin_request_encode(W, &aq), 0));
                n = request_ok(&c, TTLOCK_CMD_CHECK_ADMIN, buf, len, out);
                TTChallengeReply ch;
                ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
                q.sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY);
                q.timestamp = 1611059700;
                ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
                n = request_ok(&c, TTLOCK_CMD_FUNCTION_LOCK, buf, len, out);
                ck_assert_uint_eq(n, 17);
                ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
                /* No dead-lock feature (32) on this lock: DEAD_LOCK is unknown to it. */
                request_fails(&c, TTLOCK_CMD_DEAD_LOCK, buf, len, TTLOCK_ERR_INVALID_COMMAND);
        }

        /* Validity of the user challenge: expired and not yet valid (§4.3). */
        {
                TTCheckUserTimeRequest uq = { .start = { 2001, 1, 1, 0, 0, 0 },
                                              .end = { 2002, 1, 1, 0, 0, 0 } };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &uq), 0));
                request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_EXPIRED);
                uq = (TTCheckUserTimeRequest){ .start = { 2098, 1, 1, 0, 0, 0 }, .end = wide_end };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &uq), 0));
                request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_INEFFECTIVE);
        }

        /* A wrong key gets a reply with no data at all (§2.4). */
        {
                uint8_t wrong[16] = { 1 };
                ENCODE(buf, len, ttlock_status_request_encode(W));
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, wrong, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                tt_assert_hex_eq(frame, n, "7f5a0503020001000154aa00 97");
        }

        /* Settings without login: LOCK_USER_NOT_LOGIN. */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        connect_lock(&c);
        {
                TTAutoLockRequest alq = { .op = TTLOCK_SETTING_SET, .seconds = 5 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &alq, NULL), 0));
                request_fails(&c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, TTLOCK_ERR_USER_NOT_LOGIN);
        }
        stop(&c);
}
END_TEST

/* Pushes that pile up behind the radio's latency (§7.3: two per door event while connected) never
 * cost the client the reply to its next command: a real lock sends everything, in order. */
START_TEST(test_push_backlog) {
        static const char *const slow[] = { "--latency-ms", "300", NULL };
        uint8_t out[TTLOCK_FRAME_MAX_DATA];
        size_t n;
        Client c;

        start_paired_with(&c, NULL, slow);
        /* Twelve pushes or more queued within one latency period, more than the radio holds. */
        for (int i = 0; i < 6; i++)
                sim1(&c, "TurnKnob", "b", &(int){ i % 2 });
        n = request_ok(&c, TTLOCK_CMD_SEARCH_DEVICE_FEATURE, NULL, 0, out);
        ck_assert_uint_ge(n, 3);
        ck_assert_uint_eq(out[2], 90); /* battery */
        stop(&c);
}
END_TEST

/* §10.3 vectors byte for byte: a lock that holds the key of §10 (through --state). */
START_TEST(test_vectors) {
        Client c;
        const char *args[20];
        char path[512], spec[128];
        uint8_t buf[64], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        FILE *f;

        *(&c) = (Client){};
        {
                const char *confs[] = { getenv("TTLOCK_SIM_BUS_CONF"), NULL };
                ck_assert_int_ge(test_bus_start(confs, &c.bus), 0);
        }
        snprintf(path, sizeof(path), "%s/state.yaml", test_bus_dir(c.bus));
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fprintf(f,
                "version: 1\nlocks:\n- address: \"%s\"\n  paired: true\n"
                "  key: 947c705c5103a1b1309eeaa00d542daa\n  admin-ps: %u\n  unlock-key: %u\n"
                "  admin-passcode: \"\"\n  locked: true\n  battery: 100\n  auto-lock-seconds: 0\n"
                "  sound: true\n  volume: 3\n  remote-unlock: false\n  show-password: false\n"
                "  frozen: false\n  lamp-seconds: 0\n  switch-values: 2\n  clock-offset-usec: 0\n"
                "  record-counter: 0\n  log-unread: 0\n",
                MAC,
                ADMIN_PS,
                UNLOCK_KEY);
        fclose(f);
        /* kind3r/ttlock-sdk-js#8's feature bits (§10.3 V7). */
        snprintf(spec, sizeof(spec), "mac=%s,features=0+5+6+7+8+12+14+18+29", MAC);
        sim_args_default(args, spec);
        args[12] = "--state";
        args[13] = path;
        args[14] = "--always-awake";
        args[15] = NULL;
        spawn_sim(&c, args);
        ck_assert_int_ge(sd_bus_open_system(&c.conn), 0);
        ttlock_reassembler_init(&c.rx);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        c.conn,
                        NULL,
                        "org.bluez",
                        NULL,
                        "org.freedesktop.DBus.Properties",
                        "PropertiesChanged",
                        on_properties_changed,
                        &c),
                0);
        ck_assert_int_ge(
                sd_bus_match_signal(
                        c.conn,
                        NULL,
                        "org.bluez",
                        "/",
                        "org.freedesktop.DBus.ObjectManager",
                        "InterfacesAdded",
                        on_interfaces_added,
                        &c),
                0);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        discover(&c);
        connect_lock(&c);
        tt_unhex("947c705c5103a1b1309eeaa00d542daa", c.key, sizeof(c.key));

        /* V6 request → V7 reply. */
        send_request(&c, TTLOCK_CMD_SEARCH_DEVICE_FEATURE, c.key, NULL, 0);
        ck_assert(next_frame(&c, frame, &n, 3000));
        tt_assert_hex_eq(frame, n, "7f5a0503020001000154aa100f8334b438cab888119f54b28486288509");
        /* V15 request → V16 reply (battery 80, locked). */
        call_ok(&c, DEV, "org.ttlock.Sim1", "SetBattery", "y", 80);
        ENCODE(buf, len, ttlock_status_request_encode(W));
        send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
        ck_assert(next_frame(&c, frame, &n, 3000));
        tt_assert_hex_eq(frame, n, "7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a");

        /* The state survives a restart: the lock is still paired with the same key. */
        ck_assert_int_ge(test_bus_stop_pid(c.bus, c.sim, 5 * TEST_USEC_PER_SEC, NULL), 0);
        c.device_added = false;
        spawn_sim(&c, args);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        discover(&c);
        connect_lock(&c);
        ENCODE(buf, len, ttlock_status_request_encode(W));
        send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
        ck_assert(next_frame(&c, frame, &n, 3000));
        tt_assert_hex_eq(frame, n, "7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a");
        stop(&c);
}
END_TEST

/* ---- the operation log and its advert flag (§4.3, §7.1) ---- */

START_TEST(test_log) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTLogPage page;
        TTAdvert a;
        TTError e = {};
        int knob = 0;

        start_paired(&c, NULL);
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);

        /* Someone turns the knob: a record, and the advert's new-events flag rises. */
        sim1(&c, "TurnKnob", "b", &knob);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert_uint_eq(get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords"), 1);
        drain(&c, 250);
        ck_assert(WAIT_FOR(&c, c.mfd_changes > 0, 3000));
        read_advert(&c, &a);
        ck_assert(a.new_events);
        ck_assert(a.unlocked);

        connect_lock(&c);
        admin_login(&c);
        ENCODE(buf, len, ttlock_log_request_encode(W, TTLOCK_LOG_NEW_RECORDS));
        tt_assert_hex_eq(buf, len, "ffff");
        n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
        ck_assert_msg(ttlock_log_page_decode(out + 2, n - 2, &page, &e) >= 0, "%s", tt_error_message(&e));
        ck_assert_uint_eq(page.n_records, 1);
        ck_assert_uint_eq(page.records[0].type, TTLOCK_LOG_MECHANICAL_KEY_UNLOCK);
        ck_assert_uint_eq(page.records[0].battery, 90);
        ck_assert_uint_eq(page.total, 9); /* recLen + 8 */
        /* Read again from the returned sequence: nothing more. */
        ENCODE(buf, len, ttlock_log_request_encode(W, page.next_sequence));
        n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
        ck_assert_int_ge(ttlock_log_page_decode(out + 2, n - 2, &page, &e), 0);
        ck_assert_uint_eq(page.total, 0);
        ck_assert_uint_eq(page.n_records, 0);
        /* 0xFFFF now has nothing new; 0 reads the whole history. */
        ENCODE(buf, len, ttlock_log_request_encode(W, TTLOCK_LOG_NEW_RECORDS));
        n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
        ck_assert_int_ge(ttlock_log_page_decode(out + 2, n - 2, &page, &e), 0);
        ck_assert_uint_eq(page.n_records, 0);
        ENCODE(buf, len, ttlock_log_request_encode(W, TTLOCK_LOG_ALL_RECORDS));
        n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
        ck_assert_int_ge(ttlock_log_page_decode(out + 2, n - 2, &page, &e), 0);
        ck_assert_uint_eq(page.n_records, 1);

        /* Many records page through, 0xFFFF first. */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        for (int i = 0; i < 60; i++) {
                knob = i % 2;
                sim1(&c, "TurnKnob", "b", &knob);
        }
        connect_lock(&c);
        {
                unsigned total = 0, pages = 0;
                uint16_t seq = TTLOCK_LOG_NEW_RECORDS;

                for (;;) {
                        ENCODE(buf, len, ttlock_log_request_encode(W, seq));
                        n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
                        ck_assert_int_ge(ttlock_log_page_decode(out + 2, n - 2, &page, &e), 0);
                        if (page.total == 0)
                                break;
                        total += page.n_records;
                        pages++;
                        seq = page.next_sequence;
                        ck_assert_uint_lt(pages, 20);
                }
                ck_assert_uint_eq(total, 60);
                ck_assert_uint_gt(pages, 1);
        }
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        drain(&c, 250);
        ck_assert(WAIT_FOR(&c, c.mfd_changes > 0, 3000));
        read_advert(&c, &a);
        ck_assert(!a.new_events);
        stop(&c);
}
END_TEST

/* ---- credentials ---- */

START_TEST(test_passcodes) {
        Client c;
        uint8_t buf[128], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTPasscodeRequest q = { .op = TTLOCK_PASSCODE_OP_ADD,
                                .type = TTLOCK_PASSCODE_PERMANENT,
                                .code = "123456",
                                .start = wide_start };
        TTPasscodePage page;
        TTError e = {};

        start_paired(&c, "mac=" MAC ",slots=2");
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, out);
        tt_assert_hex_eq(out, n, "0301 5a 02");
        request_fails(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, TTLOCK_ERR_PASSWORD_EXIST);

        /* §4.3: 4–9 digits; 3 or 10 digits are refused with 0x0F (bad length), not INVALID_PARAM. */
        {
                uint8_t start[5];

                ck_assert_int_ge(ttlock_date5_encode(&wide_start, start), 0);
                ENCODE(buf, len, tt_put_bytes(W, "\x02\x01\x03" "123", 6); tt_put_bytes(W, start, 5));
                request_fails(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len,
                              TTLOCK_ERR_PASSWORD_LENGTH_INVALID);
                ENCODE(buf, len, tt_put_bytes(W, "\x02\x01\x0a" "1234567890", 13); tt_put_bytes(W, start, 5));
                request_fails(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len,
                              TTLOCK_ERR_PASSWORD_LENGTH_INVALID);
                /* The admin passcode too (binary digit values, §4.3 SET_ADMIN_KEYBOARD_PWD). */
                request_fails(&c, TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD, "\x01\x02\x03", 3,
                              TTLOCK_ERR_PASSWORD_LENGTH_INVALID);
        }

        /* A period code that has expired. */
        q = (TTPasscodeRequest){ .op = TTLOCK_PASSCODE_OP_ADD,
                                 .type = TTLOCK_PASSCODE_PERIOD,
                                 .code = "2468",
                                 .start = { 2001, 1, 1, 0, 0, 0 },
                                 .end = { 2002, 1, 1, 0, 0, 0 } };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        request_ok(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, out);
        q.code[0] = '9';
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        request_fails(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, TTLOCK_ERR_NO_FREE_MEMORY);

        ENCODE(buf, len, ttlock_pwd_list_request_encode(W, 0));
        n = request_ok(&c, TTLOCK_CMD_PWD_LIST, buf, len, out);
        ck_assert_int_ge(ttlock_pwd_list_reply_decode(out + 2, n - 2, &page, &e), 0);
        ck_assert_uint_eq(page.total, 2);
        ck_assert_uint_eq(page.n_entries, 2);
        ck_assert_str_eq(page.entries[0].code, "123456");
        ck_assert_uint_eq(page.next_sequence, TTLOCK_PWD_LIST_LAST_PAGE);

        q = (TTPasscodeRequest){ .op = TTLOCK_PASSCODE_OP_DELETE, .type = 1, .code = "5555" };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        request_fails(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, TTLOCK_ERR_PASSWORD_NOT_EXIST);

        /* At the keypad: the expired code and a wrong one are refused, the good one opens. */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "EnterPasscode", "s", "2468");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "EnterPasscode", "s", "1111");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "EnterPasscode", "s", "123456");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "TurnKnob", "b", &(int){ 1 });
        /* The admin passcode set during pairing opens too. */
        sim1(&c, "EnterPasscode", "s", "7654321");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        call_fails(
                &c,
                DEV,
                "org.ttlock.Sim1",
                "EnterPasscode",
                "org.freedesktop.DBus.Error.InvalidArgs",
                "s",
                "12a4");

        connect_lock(&c);
        admin_login(&c);
        {
                TTLogPage lp;
                ENCODE(buf, len, ttlock_log_request_encode(W, TTLOCK_LOG_ALL_RECORDS));
                n = request_ok(&c, TTLOCK_CMD_GET_OPERATE_LOG, buf, len, out);
                ck_assert_int_ge(ttlock_log_page_decode(out + 2, n - 2, &lp, &e), 0);
                ck_assert_uint_eq(lp.n_records, 5);
                ck_assert_uint_eq(lp.records[0].type, TTLOCK_LOG_PASSCODE_EXPIRED);
                ck_assert_uint_eq(lp.records[1].type, TTLOCK_LOG_WRONG_PASSCODE);
                ck_assert_str_eq(lp.records[1].wrong.passcode.code, "1111");
                ck_assert_uint_eq(lp.records[2].type, TTLOCK_LOG_PASSCODE_UNLOCK);
                ck_assert_str_eq(lp.records[2].passcode_pair.typed.code, "123456");
                ck_assert_uint_eq(lp.records[3].type, TTLOCK_LOG_MECHANICAL_KEY_LOCK);
        }
        q = (TTPasscodeRequest){ .op = TTLOCK_PASSCODE_OP_CLEAR };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, out);
        tt_assert_hex_eq(out, n, "0301 5a 01");
        ENCODE(buf, len, ttlock_pwd_list_request_encode(W, 0));
        n = request_ok(&c, TTLOCK_CMD_PWD_LIST, buf, len, out);
        ck_assert_int_ge(ttlock_pwd_list_reply_decode(out + 2, n - 2, &page, &e), 0);
        ck_assert_uint_eq(page.total, 0);
        stop(&c);
}
END_TEST

START_TEST(test_cards) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTCardRequest q = { .op = TTLOCK_CARD_OP_ADD };
        TTCardReply cr;
        TTError e = {};

        start_paired(&c, "mac=" MAC "," FEATURES_NO_34);
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0501 5a 02 02"); /* waiting for a card */
        /* 0x1FFFFFFFF: 8 bytes ending in FF FF FF FF would read as card 1 (§4.3); the lock keeps
         * waiting for a card it can report. */
        call_fails(&c, DEV, "org.ttlock.Sim1", "PresentCard", "org.freedesktop.DBus.Error.InvalidArgs", "s",
                   "8589934591");
        ck_assert(!next_frame(&c, frame, &n, 300));
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "0501 5a 02 01 deadbeef");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked")); /* enrolling does not open */

        /* The official flow then sets the validity (Modify). */
        q = (TTCardRequest){ .op = TTLOCK_CARD_OP_MODIFY,
                             .card = { 3735928559u, 4 },
                             .start = { 2001, 1, 1, 0, 0, 0 },
                             .end = { 2002, 1, 1, 0, 0, 0 } };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0501 5a 05");
        q.card.number = 42;
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        request_fails(&c, TTLOCK_CMD_IC_MANAGE, buf, len, TTLOCK_ERR_IC_CARD_NOT_EXIST);

        q = (TTCardRequest){ .op = TTLOCK_CARD_OP_SEARCH };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        ck_assert_int_ge(ttlock_card_reply_decode(out + 2, n - 2, &cr, &e), 0);
        ck_assert_uint_eq(cr.n_cards, 1);
        ck_assert_uint_eq(cr.cards[0].card.number, 3735928559u);
        ck_assert_uint_eq(cr.next_sequence, TTLOCK_SEARCH_DONE);

        /* Expired: refused; valid again: opens, with a record push while connected (§7.3). */
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        c.n_frames = 0;
        q = (TTCardRequest){
                .op = TTLOCK_CARD_OP_MODIFY, .card = { 3735928559u, 4 }, .start = wide_start, .end = wide_end
        };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        request_ok(&c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        ck_assert_uint_eq(n, 17); /* 14 01 + the 15-byte record push */
        ck_assert_uint_eq(out[0], 0x14);

        /* No cyclic-card-fingerprint feature (34) on this lock: CYCLIC_CMD is unknown to it. */
        c.n_frames = 0;
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "70 00 1b");

        q = (TTCardRequest){ .op = TTLOCK_CARD_OP_DELETE, .card = { 3735928559u, 4 } };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        c.n_frames = 0;
        request_ok(&c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        request_fails(&c, TTLOCK_CMD_IC_MANAGE, buf, len, TTLOCK_ERR_IC_CARD_NOT_EXIST);
        stop(&c);
}
END_TEST

START_TEST(test_fingerprints) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTFingerprintRequest q = { .op = TTLOCK_FP_OP_ADD };

        start_paired(&c, NULL);
        ENCODE(buf, len, ck_assert_int_ge(ttlock_fingerprint_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_FR_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0601 5a 02 02 04"); /* add mode, 4 presses */
        for (unsigned i = 1; i <= 3; i++) {
                char hex[32];
                sim1(&c, "PlaceFinger", "s", "7");
                ck_assert(next_frame(&c, frame, &n, 3000));
                n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
                snprintf(hex, sizeof(hex), "0601 5a 02 03 %02x 04", i);
                tt_assert_hex_eq(out, n, hex);
        }
        sim1(&c, "PlaceFinger", "s", "7");
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "0601 5a 02 01 000000000007");

        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "PlaceFinger", "s", "8");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "PlaceFinger", "s", "7");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        call_fails(
                &c,
                DEV,
                "org.ttlock.Sim1",
                "PlaceFinger",
                "org.freedesktop.DBus.Error.InvalidArgs",
                "s",
                "x");

        connect_lock(&c);
        admin_login(&c);
        q = (TTFingerprintRequest){ .op = TTLOCK_FP_OP_DELETE, .id = 8 };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_fingerprint_request_encode(W, &q, NULL), 0));
        request_fails(&c, TTLOCK_CMD_FR_MANAGE, buf, len, TTLOCK_ERR_FINGER_PRINT_NOT_EXIST);
        q = (TTFingerprintRequest){ .op = TTLOCK_FP_OP_CLEAR };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_fingerprint_request_encode(W, &q, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_FR_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0601 5a 04");
        stop(&c);
}
END_TEST

/* Enrols fingerprint id with the four presses of §4.3 FR_MANAGE (admin login needed). */
static void enrol_finger(Client *c, const char *id) {
        uint8_t buf[8], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTFingerprintRequest q = { .op = TTLOCK_FP_OP_ADD };
        TTFingerprintReply rp;

        ENCODE(buf, len, ck_assert_int_ge(ttlock_fingerprint_request_encode(W, &q, NULL), 0));
        n = request_ok(c, TTLOCK_CMD_FR_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0601 5a 02 02 04");
        for (unsigned i = 1; i <= 4; i++) {
                sim1(c, "PlaceFinger", "s", id);
                ck_assert(next_frame(c, frame, &n, 3000));
                n = open_frame(frame, n, c->key, TTLOCK_CMD_RESPONSE, out);
                ck_assert_int_ge(ttlock_fingerprint_reply_decode(out + 2, n - 2, &rp, NULL), 0);
        }
        ck_assert_int_eq(rp.add_status, TTLOCK_ENROL_SUCCESS);
}

/* Adds card 0xDEADBEEF (3735928559) with the wide validity, as a recovery add (§4.3). */
static void add_card(Client *c) {
        uint8_t buf[32], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTCardRequest q = { .op = TTLOCK_CARD_OP_ADD,
                            .has_card = true,
                            .card = { 3735928559u, 4 },
                            .start = wide_start,
                            .end = wide_end };

        ENCODE(buf, len, ck_assert_int_ge(ttlock_card_request_encode(W, &q, NULL), 0));
        tt_assert_hex_eq(buf, len, "02 deadbeef 00011f0e00 630b1e0e00");
        n = request_ok(c, TTLOCK_CMD_IC_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0501 5a 02 01 deadbeef");
}

/* CYCLIC_CMD 0x70 (§4.3): weekly schedules of a card and a fingerprint, honoured at the door and
 * kept in the state file. The lock's clock was set to Monday 2024-05-06 07:08 by the pairing. */
START_TEST(test_cyclic) {
        Client c;
        char path[128];
        const char *more[] = { "--state", path, NULL };
        const char *args[30];
        TTLogPage page;
        size_t k = 0;

        snprintf(path, sizeof(path), "/tmp/ttlock-sim-cyclic-%d.yaml", (int) getpid());
        (void) unlink(path);
        start_paired_with(&c, "mac=" MAC "," FEATURES_32_34, more);
        add_card(&c);

        /* No schedule yet: the query lists none; clear and remove of nothing are RECORD_NOT_EXIST,
         * which the official SDK treats as success for clear. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "7001 5a 01");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "04 02 04 deadbeef", "70 00 1f");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "03 02 04 deadbeef", "70 00 1f");
        /* Credentials the lock does not hold: the IC_MANAGE / FR_MANAGE codes. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 0000002a", "70 00 18");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 01 06 000000000007", "70 00 1a");

        /* Monday 08:00–09:00: outside it now, so the card no longer opens (log type 25). */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 01 00 08 00 09 00", "7001 5a 02");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "7001 5a 01 01 01 00 08 00 09 00");
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* Monday 07:00–08:00 as well (twice: kept once), and a fingerprint for Tuesdays only. */
        connect_lock(&c);
        admin_login(&c);
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 01 00 07 00 08 00", "7001 5a 02");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 01 00 07 00 08 00", "7001 5a 02");
        request_hex(
                &c,
                TTLOCK_CMD_CYCLIC_CMD,
                "01 02 04 deadbeef",
                "7001 5a 01 01 01 00 08 00 09 00 01 01 00 07 00 08 00");
        /* A window that ends before it starts; a weekday 8; a truncated request. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 02 00 0a 00 09 00", "70 00 20");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 08 00 08 00 09 00", "70 00 20");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 01 00 08", "70 00 17");
        enrol_finger(&c, "7");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 01 06 000000000007 01 02 00 07 00 08 00", "7001 5a 02");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 01 06 000000000007", "7001 5a 01 01 02 00 07 00 08 00");

        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "TurnKnob", "b", &(int){ 1 });
        sim1(&c, "PlaceFinger", "s", "7");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* The schedules are in the state file: a restarted simulator still has them. */
        ck_assert_int_ge(test_bus_stop_pid(c.bus, c.sim, 5 * TEST_USEC_PER_SEC, NULL), 0);
        sim_args_default(args, "mac=" MAC "," FEATURES_32_34);
        while (args[k])
                k++;
        args[k++] = "--state";
        args[k++] = path;
        args[k] = NULL;
        c.device_added = false;
        spawn_sim(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        discover(&c);
        connect_lock(&c);
        admin_login(&c);
        request_hex(
                &c,
                TTLOCK_CMD_CYCLIC_CMD,
                "01 02 04 deadbeef",
                "7001 5a 01 01 01 00 08 00 09 00 01 01 00 07 00 08 00");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 01 06 000000000007", "7001 5a 01 01 02 00 07 00 08 00");

        read_log(&c, &page);
        ck_assert_uint_eq(page.n_records, 4);
        ck_assert_uint_eq(page.records[0].type, TTLOCK_LOG_IC_UNLOCK_FAILED);
        ck_assert_uint_eq(page.records[1].type, TTLOCK_LOG_IC_UNLOCK);
        ck_assert_uint_eq(page.records[2].type, TTLOCK_LOG_MECHANICAL_KEY_LOCK);
        ck_assert_uint_eq(page.records[3].type, TTLOCK_LOG_FR_UNLOCK_FAILED);
        ck_assert_uint_eq(page.records[3].fingerprint.id, 7);

        /* Remove and clear drop every window; the credential opens at any time again. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "03 02 04 deadbeef", "7001 5a 03");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "7001 5a 01");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "04 01 06 000000000007", "7001 5a 04");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "04 01 06 000000000007", "70 00 1f");

        /* Sixteen windows per credential, then storage is full. */
        for (unsigned h = 0; h < 16; h++) {
                char req[64];
                snprintf(req, sizeof(req), "02 02 04 deadbeef 01 03 00 %02x 00 %02x 00", h, h + 1);
                request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, req, "7001 5a 02");
        }
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 02 04 deadbeef 01 03 00 10 00 11 00", "70 00 16");
        /* Schedules belong to the credential: deleted with it, absent when it comes back. */
        request_hex(&c, TTLOCK_CMD_IC_MANAGE, "03 deadbeef", "0501 5a 03");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "70 00 18");
        add_card(&c);
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "7001 5a 01");

        /* Administrator commands: no login, no schedules. */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        connect_lock(&c);
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 02 04 deadbeef", "70 00 12");
        stop(&c);
        (void) unlink(path);
}
END_TEST

/* A passcode's weekly schedule (ttlockd's CYCLIC_CMD user type 0x50, doc/protocol.md §4.9), judged by the
 * lock's own clock, set through Sim1.SetClock whatever the host's date and zone: Monday, Wednesday and
 * Friday 08:00–12:00 opens on Monday at 09:00, not at 13:00, not on Tuesday. Also: the clear of every
 * passcode's schedule (user length 0), and a schedule that follows the code through a change. */
START_TEST(test_cyclic_passcode) {
        Client c;
        uint8_t buf[64];
        size_t len;
        TTPasscodeRequest q = { .op = TTLOCK_PASSCODE_OP_ADD,
                                .type = TTLOCK_PASSCODE_PERIOD,
                                .code = "4711",
                                .start = wide_start,
                                .end = wide_end };
        TTLogPage page;

        start_paired(&c, "mac=" MAC "," FEATURES_32_34);
        /* The code must exist first (§4.9), as a card must. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 50 04 34373131 01 01 00 08 00 0c 00 00000000", "70 00 15");
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passcode_request_encode(W, &q, NULL), 0));
        (void) request_ok(&c, TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD, buf, len, buf);
        /* Monday, Wednesday and Friday 08:00–12:00, as the official SDK sends an add (with its padding). */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 50 04 34373131 01 01 00 08 00 0c 00 00000000", "7001 5a 02");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 50 04 34373131 01 03 00 08 00 0c 00 00000000", "7001 5a 02");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "02 50 04 34373131 01 05 00 08 00 0c 00", "7001 5a 02");
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);

        /* 2024-05-06 was a Monday, 2024-05-07 a Tuesday. */
        sim1(&c, "SetClock", "s", "2024-05-06 09:00");
        sim1(&c, "EnterPasscode", "s", "4711");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "TurnKnob", "b", &(int){ 1 });
        sim1(&c, "SetClock", "s", "2024-05-06 13:00:00");
        sim1(&c, "EnterPasscode", "s", "4711");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "SetClock", "s", "2024-05-07 09:00");
        sim1(&c, "EnterPasscode", "s", "4711");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        call_fails(&c, DEV, "org.ttlock.Sim1", "SetClock", "org.freedesktop.DBus.Error.InvalidArgs", "s",
                   "2024-02-30 09:00");
        call_fails(&c, DEV, "org.ttlock.Sim1", "SetClock", "org.freedesktop.DBus.Error.InvalidArgs", "s",
                   "tomorrow");

        connect_lock(&c);
        admin_login(&c);
        read_log(&c, &page);
        ck_assert_uint_eq(page.n_records, 4);
        ck_assert_uint_eq(page.records[0].type, TTLOCK_LOG_PASSCODE_UNLOCK);
        ck_assert_uint_eq(page.records[0].date.hour, 9);
        ck_assert_uint_eq(page.records[2].type, TTLOCK_LOG_PASSCODE_EXPIRED);
        ck_assert_uint_eq(page.records[2].date.hour, 13);
        ck_assert_uint_eq(page.records[3].type, TTLOCK_LOG_PASSCODE_EXPIRED);
        ck_assert_uint_eq(page.records[3].date.day, 7);

        /* The query shows the three windows; a clear of every passcode's schedule (user length 0) drops
         * them, and a second one finds none. */
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 50 04 34373131",
                    "7001 5a 01 01 01 00 08 00 0c 00 01 03 00 08 00 0c 00 01 05 00 08 00 0c 00");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "04 50 00", "7001 5a 04");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "04 50 00", "70 00 1f");
        request_hex(&c, TTLOCK_CMD_CYCLIC_CMD, "01 50 04 34373131", "7001 5a 01");
        stop(&c);
}
END_TEST

/* Bytes exactly as a client wrote them (a frame of its own making, terminator included), in 20-byte
 * write commands (§1.3). */
static void send_wire_hex(Client *c, const char *hex) {
        uint8_t wire[TTLOCK_WIRE_MAX];
        size_t wn = tt_unhex(hex, wire, sizeof(wire));

        for (size_t k = 0; k < ttlock_chunk_count(wn); k++) {
                const uint8_t *chunk;
                size_t cl;

                ck_assert_int_ge(ttlock_chunk(wire, wn, k, &chunk, &cl), 0);
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                ck_assert_int_ge(sd_bus_message_new_method_call(c->conn, &m, "org.bluez", WRITE,
                                                                "org.bluez.GattCharacteristic1", "WriteValue"),
                                 0);
                ck_assert_int_ge(sd_bus_message_append_array(m, 'y', chunk, cl), 0);
                ck_assert_int_ge(sd_bus_message_append(m, "a{sv}", 1, "type", "s", "command"), 0);
                ck_assert_int_ge(sd_bus_call(c->conn, m, 5 * TEST_USEC_PER_SEC, NULL, NULL), 0);
        }
}

/* What real locks accept from real clients, the simulator accepts (doc/protocol.md §2.3, §4.10, §10.6):
 * the official app's first frame, INITIALIZATION in a V2S header (DEF CON 34's D1, byte for byte),
 * answered with no data by a lock in setting mode (D3) and with [45][01][battery] by a paired one (D2);
 * and a CHECK_USER_TIME window written in BCD, judged by its dates — inside it the eKey is let in,
 * before it EXPIRED — as a decimal one is. A V2S frame of any other command stays unanswered. */
START_TEST(test_real_clients) {
        static const char *const d1 = "7f5a0501010001000145aa00e20d0a";
        Client c;
        const char *args[30];
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTFrame f;
        TTCheckUserTimeRequest q = { .start = { 2026, 3, 4, 16, 55, 0 },
                                     .end = { 2027, 3, 4, 16, 55, 0 },
                                     .start_encoding = TTLOCK_DATE_BCD,
                                     .end_encoding = TTLOCK_DATE_BCD };

        /* In setting mode: the answer in a V3 header, with no data (L = 0). */
        sim_args_default(args, NULL);
        start(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        discover(&c);
        connect_lock(&c);
        send_wire_hex(&c, d1);
        ck_assert(next_frame(&c, frame, &n, 3000));
        ck_assert_int_ge(ttlock_frame_parse(frame, n, &f, NULL), 0);
        ck_assert_uint_eq(f.header.protocol_type, 5);
        ck_assert_uint_eq(f.header.sub_version, 3);
        ck_assert_uint_eq(f.header.command, TTLOCK_CMD_RESPONSE);
        ck_assert_uint_eq(f.data_len, 0);
        /* A V2S GET_AES_KEY is not the app's first frame: no answer (a V3 lock speaks V3). */
        {
                TTFrameHeader h = { 5, 1, 1, 1, 1, TTLOCK_CMD_GET_AES_KEY, TTLOCK_ENCRYPT_APP, 0 };
                uint8_t fr[TTLOCK_FRAME_MAX], wire[TTLOCK_WIRE_MAX], plain[16];
                char hex[2 * TTLOCK_WIRE_MAX + 1];
                size_t fn, wn, pn;

                ENCODE(plain, pn, ttlock_get_aes_key_request_encode(W));
                ck_assert_int_ge(ttlock_frame_build(&h, ttlock_default_key, plain, pn, fr, sizeof(fr), &fn, NULL), 0);
                ck_assert_int_ge(ttlock_wire_encode(fr, fn, wire, sizeof(wire), &wn, NULL), 0);
                for (size_t i = 0; i < wn; i++)
                        snprintf(hex + 2 * i, 3, "%02x", wire[i]);
                send_wire_hex(&c, hex);
                ck_assert(!next_frame(&c, frame, &n, 500));
        }
        /* The pairing that follows still works. */
        pair(&c);
        stop(&c);

        /* Paired: [45][01][battery] under the lock's key. */
        start_paired(&c, NULL);
        call_ok(&c, DEV, "org.ttlock.Sim1", "SetBattery", "y", 64);
        send_wire_hex(&c, d1);
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "4501 40");

        /* BCD windows: 26 03 04 16 55 is no decimal date (minute 0x55 = 85), so it is read as BCD. */
        ENCODE(buf, len, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &q), 0));
        tt_assert_hex_eq(buf, 10, "2603041655 2703041655");
        sim1(&c, "SetClock", "s", "2026-03-10 12:00");
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_uint_eq(n, 6);
        sim1(&c, "SetClock", "s", "2027-03-04 16:56");
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_EXPIRED);
        sim1(&c, "SetClock", "s", "2026-03-04 16:54");
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_INEFFECTIVE);
        /* The same window in decimal bytes, as the SDK writes it, is judged the same. */
        q.start_encoding = q.end_encoding = TTLOCK_DATE_DECIMAL;
        ENCODE(buf, len, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &q), 0));
        tt_assert_hex_eq(buf, 10, "1a03041037 1b03041037");
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_INEFFECTIVE);
        sim1(&c, "SetClock", "s", "2026-03-10 12:00");
        (void) request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        stop(&c);
}
END_TEST

/* DEAD_LOCK 0x69 (§4.3, feature 32): double-locked, the keypad, cards and fingers are refused with
 * LOCK_REVERSE (log types 38, 39, 40); the app and the mechanical key still open. */
START_TEST(test_dead_lock) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTActuateRequest q = { .timestamp = 1700000000 };
        TTActuateReply ar;
        TTStatusPush push;
        TTReply rp;
        TTLogPage page;
        uint32_t ps;

        start_paired(&c, "mac=" MAC "," FEATURES_32_34);
        add_card(&c);
        enrol_finger(&c, "7");

        ps = user_challenge(&c);
        q.sum = ttlock_unlock_sum(ps, UNLOCK_KEY) + 1;
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_fails(&c, TTLOCK_CMD_DEAD_LOCK, buf, len, TTLOCK_ERR_DYNAMIC_PWD_ERROR);
        q.sum = ttlock_unlock_sum(ps, UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_fails(&c, TTLOCK_CMD_DEAD_LOCK, buf, len - 1, TTLOCK_ERR_NO_DEFINED_ERROR);
        n = request_ok(&c, TTLOCK_CMD_DEAD_LOCK, buf, len, out);
        ck_assert_uint_eq(n, 17); /* as FUNCTION_LOCK: battery, uid, unique id, lock time */
        tt_assert_hex_eq(out, 11, "6901 5a 00000000 6553f100");
        ck_assert_int_ge(ttlock_actuate_reply_decode(out + 2, n - 2, &ar, NULL), 0);
        ck_assert_uint_eq(ar.time.year, 2024);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert(next_frame(&c, frame, &n, 3000)); /* §7.3 state push */
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        ck_assert_int_ge(ttlock_reply_parse(out, n, &rp, NULL), 0);
        ck_assert_int_ge(ttlock_status_push_decode(rp.data, rp.data_len, &push, NULL), 0);
        ck_assert_int_eq(push.state, TTLOCK_STATE_LOCKED);

        /* Good credentials at the door are refused, and say why; a wrong code is only logged. */
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1_denied(&c, "EnterPasscode", "7654321");
        sim1_denied(&c, "PresentCard", "3735928559");
        sim1_denied(&c, "PlaceFinger", "7");
        sim1(&c, "EnterPasscode", "s", "1111");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        connect_lock(&c);
        admin_login(&c);
        read_log(&c, &page);
        ck_assert_uint_eq(page.n_records, 5);
        ck_assert_uint_eq(page.records[0].type, TTLOCK_LOG_BLE_LOCK);
        ck_assert_uint_eq(page.records[0].app.record_id, 1700000000);
        ck_assert_uint_eq(page.records[1].type, TTLOCK_LOG_PASSCODE_UNLOCK_FAILED_LOCKED);
        ck_assert_str_eq(page.records[1].passcode_pair.typed.code, "7654321");
        ck_assert_uint_eq(page.records[2].type, TTLOCK_LOG_IC_UNLOCK_FAILED_LOCKED);
        ck_assert_uint_eq(page.records[2].card.number, 3735928559u);
        ck_assert_uint_eq(page.records[3].type, TTLOCK_LOG_FR_UNLOCK_FAILED_LOCKED);
        ck_assert_uint_eq(page.records[3].fingerprint.id, 7);
        ck_assert_uint_eq(page.records[4].type, TTLOCK_LOG_WRONG_PASSCODE);

        /* The app still opens, and that ends the double-lock. */
        ps = user_challenge(&c);
        q = (TTActuateRequest){ .sum = ttlock_unlock_sum(ps, UNLOCK_KEY), .timestamp = 1700000001 };
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "TurnKnob", "b", &(int){ 1 });
        sim1(&c, "EnterPasscode", "s", "7654321");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* So does the mechanical key. */
        connect_lock(&c);
        ps = user_challenge(&c);
        q = (TTActuateRequest){ .sum = ttlock_unlock_sum(ps, UNLOCK_KEY), .timestamp = 1700000002 };
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_ok(&c, TTLOCK_CMD_DEAD_LOCK, buf, len, out);
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1_denied(&c, "PresentCard", "3735928559");
        sim1(&c, "TurnKnob", "b", &(int){ 0 });
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        sim1(&c, "TurnKnob", "b", &(int){ 1 });
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        stop(&c);
}
END_TEST

/* A pending enrolment gives up after --enrol-timeout-seconds with LOCK_OPERATE_FAILED (0x13),
 * counted from the ADD and again from each fingerprint press. */
START_TEST(test_enrol_timeout) {
        Client c;
        const char *more[] = { "--enrol-timeout-seconds", "1", NULL };
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        uint64_t t0;
        TTCardReply cr;

        start_paired_with(&c, NULL, more);
        request_hex(&c, TTLOCK_CMD_IC_MANAGE, "02", "0501 5a 02 02");
        t0 = now_usec();
        ck_assert(!next_frame(&c, frame, &n, 700));
        ck_assert(next_frame(&c, frame, &n, 3000));
        ck_assert_uint_ge(now_usec() - t0, 900000);
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "05 00 13");
        /* Add mode is over: the card shown now is an unknown card, and nothing was stored. */
        sim1(&c, "PresentCard", "s", "3735928559");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        c.n_frames = 0;
        n = exchange(&c, TTLOCK_CMD_IC_MANAGE, c.key, "\x01\x00\x00", 3, out);
        ck_assert_int_ge(ttlock_card_reply_decode(out + 2, n - 2, &cr, NULL), 0);
        ck_assert_uint_eq(cr.n_cards, 0);

        request_hex(&c, TTLOCK_CMD_FR_MANAGE, "02", "0601 5a 02 02 04");
        usleep(600000);
        sim1(&c, "PlaceFinger", "s", "7");
        t0 = now_usec();
        ck_assert(next_frame(&c, frame, &n, 3000));
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "0601 5a 02 03 01 04");
        /* Not at 1 s after the ADD (0.4 s from now) but 1 s after the press. */
        ck_assert(!next_frame(&c, frame, &n, 700));
        ck_assert(next_frame(&c, frame, &n, 3000));
        ck_assert_uint_ge(now_usec() - t0, 900000);
        n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
        tt_assert_hex_eq(out, n, "06 00 13");
        ENCODE(buf,
               len,
               ck_assert_int_ge(
                       ttlock_fingerprint_request_encode(
                               W, &(TTFingerprintRequest){ .op = TTLOCK_FP_OP_SEARCH }, NULL),
                       0));
        n = request_ok(&c, TTLOCK_CMD_FR_MANAGE, buf, len, out);
        tt_assert_hex_eq(out, n, "0601 5a 06 ffff");
        stop(&c);
}
END_TEST

/* ---- settings ---- */

START_TEST(test_settings) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTError e = {};

        start_paired(&c, NULL);
        {
                TTAudioRequest q = {
                        .op = TTLOCK_SETTING_SET, .enabled = true, .has_volume = true, .volume = 5
                };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_audio_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_AUDIO_MANAGE, buf, len, out);
                tt_assert_hex_eq(out, n, "6201 5a 02");
                q = (TTAudioRequest){ .op = TTLOCK_SETTING_QUERY };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_audio_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_AUDIO_MANAGE, buf, len, out);
                tt_assert_hex_eq(out, n, "6201 5a 01 01 05");
        }
        {
                TTToggleRequest q = { .op = TTLOCK_SETTING_SET, .enabled = true };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_remote_unlock_request_encode(W, &q, NULL), 0));
                request_ok(&c, TTLOCK_CMD_CONTROL_REMOTE_UNLOCK, buf, len, out);
                q.op = TTLOCK_SETTING_QUERY;
                ENCODE(buf, len, ck_assert_int_ge(ttlock_remote_unlock_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_CONTROL_REMOTE_UNLOCK, buf, len, out);
                tt_assert_hex_eq(out, n, "3701 5a 01 01");
                /* Not frozen (the default lock has the freeze feature, test_freeze). */
                ENCODE(buf, len, ck_assert_int_ge(ttlock_freeze_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_FREEZE_LOCK, buf, len, out);
                tt_assert_hex_eq(out, n, "6101 5a 01 00");
        }
        {
                TTSwitchRequest q = { .op = TTLOCK_SETTING_SET,
                                      .items = TTLOCK_SWITCH_RESET_BUTTON,
                                      .values = 0 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_switch_request_encode(W, &q, NULL), 0));
                request_ok(&c, TTLOCK_CMD_SWITCH, buf, len, out);
                call_fails(
                        &c,
                        DEV,
                        "org.ttlock.Sim1",
                        "PressResetButton",
                        "org.freedesktop.DBus.Error.AccessDenied",
                        NULL);
                q.items = TTLOCK_SWITCH_UNLOCK_DIRECTION; /* not on this lock */
                ENCODE(buf, len, ck_assert_int_ge(ttlock_switch_request_encode(W, &q, NULL), 0));
                request_fails(&c, TTLOCK_CMD_SWITCH, buf, len, TTLOCK_ERR_INVALID_PARAM);
        }
        {
                TTPassageModeRequest q = { .op = TTLOCK_PASSAGE_MODE_ADD,
                                           .record = { TTLOCK_PASSAGE_MODE_WEEKLY, 0, 0, 0, 0, 23, 59 } };
                TTPassageModeReply pr;
                ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &q, NULL), 0));
                request_ok(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, out);
                q = (TTPassageModeRequest){ .op = TTLOCK_PASSAGE_MODE_QUERY };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, out);
                ck_assert_int_ge(ttlock_passage_mode_reply_decode(out + 2, n - 2, &pr, &e), 0);
                ck_assert_uint_eq(pr.n_records, 1);
                ck_assert_uint_eq(pr.next_seq, TTLOCK_PASSAGE_MODE_SEQ_DONE);
                q = (TTPassageModeRequest){ .op = TTLOCK_PASSAGE_MODE_DELETE,
                                            .record = { TTLOCK_PASSAGE_MODE_WEEKLY, 3, 0, 1, 0, 2, 0 } };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &q, NULL), 0));
                request_fails(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, TTLOCK_ERR_RECORD_NOT_EXIST);
        }
        {
                /* Auto-lock 1 s; inside the all-day passage window above the lock stays open. */
                TTAutoLockRequest q = { .op = TTLOCK_SETTING_SET, .seconds = 1 };
                uint32_t ps;
                TTActuateRequest aq = { .timestamp = 1700000000 };

                ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &q, NULL), 0));
                n = request_ok(&c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, out);
                tt_assert_hex_eq(out, n, "3601 5a 02");
                ck_assert_uint_eq(get_u32(&c, DEV, "org.ttlock.Sim1", "AutoLockSeconds"), 1);
                ps = user_challenge(&c);
                aq.sum = ttlock_unlock_sum(ps, UNLOCK_KEY);
                ENCODE(buf, len, ttlock_actuate_request_encode(W, &aq));
                request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
                usleep(1500000);
                ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

                TTPassageModeRequest pq = { .op = TTLOCK_PASSAGE_MODE_CLEAR };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &pq, NULL), 0));
                request_ok(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, out);
                uint32_t records = get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords");
                /* Out of the window: re-locks after 1 s, with no log record (§7.2). */
                ck_assert(WAIT_FOR(&c, get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"), 3000));
                ck_assert_uint_eq(get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords"), records);
        }
        {
                TTDateTime t;
                n = request_ok(&c, TTLOCK_CMD_GET_LOCK_TIME, NULL, 0, out);
                ck_assert_int_ge(ttlock_lock_time_reply_decode(out + 2, n - 2, &t, &e), 0);
                /* Calibrated to 2024-05-06 07:08:09 during pairing. */
                ck_assert_uint_eq(t.year, 2024);
                ck_assert_uint_eq(t.month, 5);
                ck_assert_uint_eq(t.day, 6);
        }
        /* Unknown command: INVALID_COMMAND. */
        request_fails(&c, 0x80, "\x01", 1, TTLOCK_ERR_INVALID_COMMAND);
        /* A payload where none belongs (§10.1 R7): a parameter error. */
        request_fails(&c, TTLOCK_CMD_SEARCH_DEVICE_FEATURE, "E", 1, TTLOCK_ERR_NO_DEFINED_ERROR);
        stop(&c);
}
END_TEST

/* ---- radio habits and faults ---- */

START_TEST(test_radio) {
        Client c;
        const char *args[] = { "--lock",
                               "mac=" MAC,
                               "--latency-ms",
                               "0",
                               "--connect-ms",
                               "0",
                               "--connect-fail-ms",
                               "100",
                               "--advert-interval-ms",
                               "100",
                               "--awake-seconds",
                               "1",
                               "--dormant-after-seconds",
                               "2",
                               "--idle-disconnect-seconds",
                               "1",
                               NULL };
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        TTAdvert a;

        start(&c, args);
        sim1(&c, "Wake", NULL, NULL);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Awake"));
        discover(&c);
        connect_lock(&c);
        pair(&c);
        /* An idle link is dropped by the lock. */
        ck_assert(WAIT_FOR(&c, !c.connected, 3000));
        ck_assert(!get_bool(&c, DEV, "org.bluez.Device1", "Connected"));
        /* Then it falls asleep: dormant flag, bolt bit cleared, connections refused (§6, §9.2). */
        ck_assert(WAIT_FOR(&c, get_bool(&c, DEV, "org.ttlock.Sim1", "Dormant"), 5000));
        drain(&c, 250);
        ck_assert(WAIT_FOR(&c, c.mfd_changes > 0, 3000));
        read_advert(&c, &a);
        ck_assert(a.dormant);
        ck_assert(!a.unlocked);
        call_fails(&c, DEV, "org.bluez.Device1", "Connect", "org.bluez.Error.Failed", NULL);
        sim1(&c, "Wake", NULL, NULL);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Dormant"));

        /* Faults. */
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "refuse-connect", 1);
        call_fails(&c, DEV, "org.bluez.Device1", "Connect", "org.bluez.Error.Failed", NULL);
        connect_lock(&c);
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "no-reply", 1);
        ENCODE(buf, len, ttlock_status_request_encode(W));
        send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
        ck_assert(!next_frame(&c, frame, &n, 400));
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "bad-crc", 1);
        send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
        ck_assert(next_frame(&c, frame, &n, 3000));
        {
                TTFrame f;
                ck_assert_int_lt(ttlock_frame_parse(frame, n, &f, NULL), 0);
                ck_assert_int_ge(ttlock_frame_parse_unchecked(frame, n, &f, NULL), 0);
                ck_assert(!f.crc_ok);
        }
        /* A frame with a bad CRC from the client: LOCK_CRC_CHECK_ERROR (§9.1). */
        {
                TTFrameHeader h = TTLOCK_V3_APP_HEADER(TTLOCK_CMD_SEARCH_DEVICE_FEATURE);
                uint8_t fr[16], wire[20];
                size_t fl, wl;
                ck_assert_int_ge(ttlock_frame_build(&h, NULL, NULL, 0, fr, sizeof(fr), &fl, NULL), 0);
                fr[fl - 1] ^= 1;
                ck_assert_int_ge(ttlock_wire_encode(fr, fl, wire, sizeof(wire), &wl, NULL), 0);
                call_ok(&c,
                        WRITE,
                        "org.bluez.GattCharacteristic1",
                        "WriteValue",
                        "aya{sv}",
                        (int) wl,
                        wire[0],
                        wire[1],
                        wire[2],
                        wire[3],
                        wire[4],
                        wire[5],
                        wire[6],
                        wire[7],
                        wire[8],
                        wire[9],
                        wire[10],
                        wire[11],
                        wire[12],
                        wire[13],
                        wire[14],
                        0);
                ck_assert(next_frame(&c, frame, &n, 3000));
                n = open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out);
                tt_assert_hex_eq(out, n, "010001");
        }
        /* Aimed at the second exchange of one command: the first passes unharmed. */
        {
                sd_bus_message *reply = NULL;
                char **names = NULL;
                uint64_t garbage;

                call_ok(&c, DEV, "org.ttlock.Sim1", "TakeCommands", NULL);
                call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "no-reply@SEARCH_BICYCLE_STATUS#2", 1);
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
                ck_assert(!next_frame(&c, frame, &n, 400));
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                /* The steps the lock saw, by name. */
                ck_assert_int_ge(sd_bus_call_method(c.conn, "org.bluez", DEV, "org.ttlock.Sim1", "TakeCommands",
                                                    NULL, &reply, ""),
                                 0);
                ck_assert_int_ge(sd_bus_message_read_strv(reply, &names), 0);
                for (size_t i = 0; i < 3; i++) {
                        ck_assert_ptr_nonnull(names[i]);
                        ck_assert_str_eq(names[i], "SEARCH_BICYCLE_STATUS");
                        free(names[i]);
                }
                ck_assert_ptr_null(names[3]);
                free(names);
                reply = sd_bus_message_unref(reply);

                /* Noise ahead of the reply: the reply still comes through, the noise is thrown away. */
                garbage = c.rx.garbage_bytes;
                call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "garbage@SEARCH_BICYCLE_STATUS", 1);
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                ck_assert_int_ge(open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out), 2);
                ck_assert_uint_eq(c.rx.garbage_bytes, garbage + TTLOCK_CHUNK_SIZE);
                /* A well-formed frame of noise, then the reply. */
                call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "garbage-frame@SEARCH_BICYCLE_STATUS", 1);
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                {
                        TTFrame f;
                        uint8_t p[TTLOCK_FRAME_MAX_DATA];
                        size_t pn;
                        ck_assert_int_ge(ttlock_frame_parse(frame, n, &f, NULL), 0);
                        ck_assert_int_lt(ttlock_frame_decrypt(&f, c.key, p, sizeof(p), &pn, NULL), 0);
                }
                ck_assert(next_frame(&c, frame, &n, 3000));
                ck_assert_int_ge(open_frame(frame, n, c.key, TTLOCK_CMD_RESPONSE, out), 2);
                /* Raw bytes, as they are: a whole frame split across notifications reassembles. */
                call_ok(&c, DEV, "org.ttlock.Sim1", "Notify", "ay", 3, 0x01, 0x02, 0x03);
                ck_assert(WAIT_FOR(&c, c.rx.garbage_bytes >= garbage + TTLOCK_CHUNK_SIZE + 3, 3000));
                call_fails(&c, DEV, "org.ttlock.Sim1", "Notify", "org.freedesktop.DBus.Error.InvalidArgs", "ay", 0);
        }
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "drop-connection", 1);
        send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, c.key, buf, len);
        ck_assert(WAIT_FOR(&c, !c.connected, 3000));
        call_fails(&c, DEV, "org.ttlock.Sim1", "Notify", "org.freedesktop.DBus.Error.Failed", "ay", 1, 0x01);
        call_fails(&c, DEV, "org.ttlock.Sim1", "InjectFault", "org.freedesktop.DBus.Error.InvalidArgs", "su",
                   "no-reply@UNLOCK#0", 1);
        call_fails(
                &c,
                DEV,
                "org.ttlock.Sim1",
                "InjectFault",
                "org.freedesktop.DBus.Error.InvalidArgs",
                "su",
                "lightning",
                1);
        stop(&c);
}
END_TEST

START_TEST(test_reset) {
        Client c;
        uint8_t out[TTLOCK_FRAME_MAX_DATA];
        size_t n;

        start_paired(&c, NULL);
        n = request_ok(&c, TTLOCK_CMD_RESET_LOCK, NULL, 0, out);
        tt_assert_hex_eq(out, n, "5201");
        ck_assert(WAIT_FOR(&c, !c.connected, 3000));
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        /* Back in setting mode: pairable again. */
        connect_lock(&c);
        pair(&c);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        call_ok(&c, DEV, "org.bluez.Device1", "Disconnect", NULL);
        sim1(&c, "PressResetButton", NULL, NULL);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        stop(&c);
}
END_TEST

START_TEST(test_options) {
        TestBus *b = NULL;
        const char *sim = getenv("TTLOCK_SIM");
        int status;
        char *output = NULL;
        static const char *const bad[][4] = {
                { "--lock", "mac=zz", NULL },
                { "--lock", "mac=AA:BB:CC:DD:EE:FF,features=warp-drive", NULL },
                { "--lock", "battery=101", NULL },
                { "--locks", "0", NULL },
                { "--latency-ms", "-1", NULL },
                { "--enrol-timeout-seconds", "soon", NULL },
                { "--enrol-timeout-seconds", "3601", NULL },
                { "--frobnicate", NULL },
                { "--lock", "mac=AA:BB:CC:DD:EE:FF", "--lock", "mac=aa:bb:cc:dd:ee:ff" },
                { "--lock", "aes-key=00112233445566778899aabbccddeeff,admin-ps=1", NULL },
                { "--lock", "aes-key=0011,admin-ps=1,unlock-key=2", NULL },
                { "--lock",
                  "aes-key=00112233445566778899aabbccddeeff,admin-ps=1,unlock-key=2,lock-flag-pos="
                  "16777216" },
                { "--lock", "uid=5", NULL },
                { "--lock", "ekey-from=2026-01-01Z", NULL },
                { "--lock", "ekey-from=2026-01-02Z,ekey-until=2026-01-01Z", NULL },
                { "--lock", "keys=/nonexistent/lockdata", NULL },
                { "--lock", "keys=/dev/null", NULL },
                { "--print-lockdata", "eky", NULL },
                { "--print-lockdata", "admin", NULL }, /* no lock is paired */
        };

        ck_assert_int_ge(test_bus_start(NULL, &b), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *argv[6] = { sim };
                for (size_t k = 0; k < 4 && bad[i][k]; k++)
                        argv[k + 1] = bad[i][k];
                ck_assert_int_ge(
                        test_bus_run(
                                b,
                                NULL,
                                NULL,
                                (char *const *) argv,
                                NULL,
                                5 * TEST_USEC_PER_SEC,
                                &status,
                                NULL),
                        0);
                ck_assert_msg(
                        WIFEXITED(status) && WEXITSTATUS(status) != 0,
                        "%s %s accepted",
                        bad[i][0],
                        bad[i][1] ?: "");
        }
        {
                const char *argv[] = { sim, "--help", NULL };
                ck_assert_int_ge(
                        test_bus_run(
                                b,
                                NULL,
                                NULL,
                                (char *const *) argv,
                                NULL,
                                5 * TEST_USEC_PER_SEC,
                                &status,
                                &output),
                        0);
                ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                ck_assert_ptr_nonnull(strstr(output, "--always-awake"));
                ck_assert_ptr_nonnull(strstr(output, "--enrol-timeout-seconds"));
                free(output);
        }
        test_bus_stop(b);
}
END_TEST

/* A thousand locks on one bus, and how fast one of them answers with no latency. The figures go to
 * stderr for the record (see ttlock-sim(1)); the test checks that every lock is discovered, that
 * the simulator stays small, and that exchanges are not slowed by the other 999 locks. */
START_TEST(test_scale) {
        Client c;
        const char *args[] = { "--lock",
                               "mac=" MAC,
                               "--locks",
                               "999",
                               "--latency-ms",
                               "0",
                               "--connect-ms",
                               "0",
                               "--idle-disconnect-seconds",
                               "0",
                               "--always-awake",
                               "--advert-interval-ms",
                               "1000",
                               NULL };
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        uint64_t t0, elapsed;
        unsigned exchanges = 2000;
        char path[64], *line = NULL;
        size_t cap = 0;
        long rss_kb = -1;
        FILE *f;

        start(&c, args);
        call_ok(&c,
                "/org/bluez/hci0",
                "org.bluez.Adapter1",
                "SetDiscoveryFilter",
                "a{sv}",
                2,
                "Transport",
                "s",
                "le",
                "DuplicateData",
                "b",
                0);
        call_ok(&c, "/org/bluez/hci0", "org.bluez.Adapter1", "StartDiscovery", NULL);
        ck_assert_msg(WAIT_FOR(&c, c.n_added >= 1000, 10000), "only %u of 1000 locks discovered", c.n_added);
        connect_lock(&c);
        memcpy(c.key, ttlock_default_key, sizeof(c.key));
        ENCODE(buf, len, ttlock_status_request_encode(W));
        t0 = now_usec();
        for (unsigned i = 0; i < exchanges; i++) {
                n = request_ok(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, buf, len, out);
                ck_assert_uint_eq(n, 5); /* battery, state, door (§4.7) */
        }
        elapsed = now_usec() - t0;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) c.sim);
        f = fopen(path, "re");
        ck_assert_ptr_nonnull(f);
        while (getline(&line, &cap, f) > 0)
                if (strncmp(line, "VmRSS:", 6) == 0)
                        rss_kb = strtol(line + 6, NULL, 10);
        free(line);
        fclose(f);
        fprintf(stderr,
                "ttlock-sim figures: %u exchanges in %.2f s = %.0f exchanges/s (latency 0, 1000 locks); "
                "RSS with 1000 locks discovered: %ld KiB\n",
                exchanges,
                elapsed / 1e6,
                exchanges / (elapsed / 1e6),
                rss_kb);
        ck_assert_int_gt(rss_kb, 0);
#if !defined(__SANITIZE_ADDRESS__) && !TT_HAS_ASAN
        /* Only without AddressSanitizer, whose shadow memory and quarantine about triple the
         * footprint (190 MiB measured): the bound is about the simulator, not the tool. */
        ck_assert_int_lt(rss_kb, 64 * 1024);
#endif
        /* One exchange is a handful of bus messages; ten times slower than this machine manages
         * would mean something waits where it should not (a coalesced timer once cost 250 ms each). */
        ck_assert_msg(
                exchanges / (elapsed / 1e6) > 200, "only %.0f exchanges/s", exchanges / (elapsed / 1e6));
        stop(&c);
}
END_TEST

/* ---- a lock the official app paired (doc/lockdata.md, ttlock-sim(1) "A LOCK THAT BELONGS TO SOMEONE") ----
 */

#define OWNED_KEY "00112233445566778899aabbccddeeff"
#define OWNED_SPEC                                                         \
        "mac=" MAC ",aes-key=" OWNED_KEY                                   \
        ",admin-ps=73079075,unlock-key=76257105,lock-flag-pos=3,uid=1000," \
        "admin-passcode=7654321"

/* The lock's local time `days` from now, as a validity bound (the simulator's clock is the host's
 * local time, lock-clock.c; whole days keep clear of any zone or DST step). */
static TTDateTime days_from_now(int days) {
        time_t t = time(NULL) + (time_t) days * 86400;
        struct tm tm;
        TTDateTime d;

        ck_assert_ptr_nonnull(localtime_r(&t, &tm));
        d = (TTDateTime){ (uint16_t) (tm.tm_year + 1900), (uint8_t) (tm.tm_mon + 1), (uint8_t) tm.tm_mday,
                          (uint8_t) tm.tm_hour,           (uint8_t) tm.tm_min,       0 };
        return d;
}

static void user_time_request(
        Client *c, int from_days, int until_days, uint32_t flag, uint32_t uid, uint8_t *buf, size_t *len) {
        TTCheckUserTimeRequest q = {
                .start = days_from_now(from_days),
                .end = days_from_now(until_days),
                .lock_flag_pos = flag,
                .uid = uid,
        };
        uint8_t b[64];
        size_t n;

        ENCODE(b, n, ck_assert_int_ge(ttlock_check_user_time_request_encode(W, &q), 0));
        memcpy(buf, b, n);
        *len = n;
}

static uint32_t admin_challenge(Client *c, uint32_t flag) {
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTCheckAdminRequest q = { .admin_ps = ADMIN_PS, .lock_flag_pos = flag, .uid = 1000 };
        TTChallengeReply ch;

        ENCODE(buf, len, ck_assert_int_ge(ttlock_check_admin_request_encode(W, &q), 0));
        n = request_ok(c, TTLOCK_CMD_CHECK_ADMIN, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        return ch.ps_from_lock;
}

static void start_owned(Client *c, const char *spec, const char *const *more) {
        const char *args[30];
        size_t n = 0;

        sim_args_default(args, spec);
        while (args[n])
                n++;
        for (; more && *more; more++)
                args[n++] = *more;
        args[n] = NULL;
        start(c, args);
        sim1(c, "Wake", NULL, NULL);
        discover(c);
        connect_lock(c);
        ck_assert_int_eq(tt_unhex(OWNED_KEY, c->key, sizeof(c->key)), TTLOCK_KEY_SIZE);
}

START_TEST(test_owned_admin) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA], frame[TTLOCK_WIRE_MAX];
        size_t len, n;
        uint32_t ps;

        start_owned(&c, OWNED_SPEC, NULL);
        /* Paired already: not in setting mode, and ADD_ADMIN gets the "not in setting mode" answer. */
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Paired"));
        {
                TTAdvert a;
                read_advert(&c, &a);
                ck_assert(!a.setting_mode);
        }

        /* A wrong key gets the reply with no data (§2.4). */
        {
                uint8_t wrong[16] = { 0x42 };
                ENCODE(buf, len, ttlock_status_request_encode(W));
                send_request(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, wrong, buf, len);
                ck_assert(next_frame(&c, frame, &n, 3000));
                ck_assert_uint_eq(frame[11], 0); /* L = 0 */
        }

        /* A wrong adminPs is refused; the right one with the lock's flag logs in. */
        {
                TTCheckAdminRequest q = { .admin_ps = ADMIN_PS + 1, .lock_flag_pos = 3 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_check_admin_request_encode(W, &q), 0));
                request_fails(&c, TTLOCK_CMD_CHECK_ADMIN, buf, len, TTLOCK_ERR_ADMIN_CHECK_ERROR);
        }
        ps = admin_challenge(&c, 3);
        ENCODE(buf, len, ttlock_check_random_request_encode(W, ttlock_unlock_sum(ps, UNLOCK_KEY)));
        request_ok(&c, TTLOCK_CMD_CHECK_RANDOM, buf, len, out);
        n = request_ok(&c, TTLOCK_CMD_GET_ADMIN_CODE, NULL, 0, out);
        tt_assert_hex_eq(out, n, "6501 5a 07 37363534333231"); /* the admin-passcode= given */

        /* The admin path of the official app: CHECK_ADMIN, then UNLOCK with the sum. */
        ps = admin_challenge(&c, 3);
        {
                TTActuateRequest q = { .sum = ttlock_unlock_sum(ps, UNLOCK_KEY), .timestamp = 1700000000 };
                TTActuateReply a;
                ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
                n = request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
                ck_assert_int_ge(ttlock_actuate_reply_decode(out + 2, n - 2, &a, NULL), 0);
                ck_assert_uint_eq(a.uid, 1000);
        }
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        stop(&c);
}
END_TEST

START_TEST(test_owned_ekey) {
        Client c;
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTChallengeReply ch;
        TTLogPage page;
        bool seen = false;

        start_owned(&c, OWNED_SPEC, NULL);

        /* Outside its window, or from before the last eKey reset: the lock says which. */
        user_time_request(&c, -10, -3, 3, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_EXPIRED);
        user_time_request(&c, 3, 10, 3, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_USER_TIME_INEFFECTIVE);
        user_time_request(&c, -3, 3, 2, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_KEY_FLAG_INVALID);
        /* A reset key is invalid whatever its dates: the flag is checked first. */
        user_time_request(&c, -10, -3, 2, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_KEY_FLAG_INVALID);

        /* Inside its window with the lock's flag: the eKey opens and closes. */
        user_time_request(&c, -3, 3, 3, 2000, buf, &len);
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        {
                TTActuateRequest q = { .sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY + 1),
                                       .timestamp = 1700000100 };
                TTActuateReply a;

                /* A wrong unlock key is the wrong "dynamic password" (§4.4). */
                ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
                request_fails(&c, TTLOCK_CMD_UNLOCK, buf, len, TTLOCK_ERR_DYNAMIC_PWD_ERROR);
                q.sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY);
                ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
                n = request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
                ck_assert_int_ge(ttlock_actuate_reply_decode(out + 2, n - 2, &a, NULL), 0);
                ck_assert_uint_eq(a.uid, 2000);
        }

        /* CHECK_RANDOM after CHECK_USER_TIME proves the unlock key without moving the bolt, and lets
         * the eKey set the clock, as the SDK's setLockTime does (doc/lockdata.md §4) ... */
        user_time_request(&c, -3, 3, 3, 2000, buf, &len);
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        ENCODE(buf,
               len,
               ttlock_check_random_request_encode(W, ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY + 1)));
        request_fails(&c, TTLOCK_CMD_CHECK_RANDOM, buf, len, TTLOCK_ERR_DYNAMIC_PWD_ERROR);
        ENCODE(buf,
               len,
               ttlock_check_random_request_encode(W, ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY)));
        request_ok(&c, TTLOCK_CMD_CHECK_RANDOM, buf, len, out);
        {
                TTDateTime now = days_from_now(0);

                ENCODE(buf, len, ck_assert_int_ge(ttlock_time_calibrate_request_encode(W, &now), 0));
                request_ok(&c, TTLOCK_CMD_TIME_CALIBRATE, buf, len, out);
        }
        /* ... but it is no administrator: no settings, no admin passcode. */
        {
                TTAutoLockRequest alq = { .op = TTLOCK_SETTING_SET, .seconds = 5 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &alq, NULL), 0));
                request_fails(&c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, TTLOCK_ERR_USER_NOT_LOGIN);
        }
        n = exchange(&c, TTLOCK_CMD_GET_ADMIN_CODE, c.key, NULL, 0, out);
        tt_assert_hex_eq(out, n, "6500 12");

        /* The operation log needs no login: the eKey reads it, its own unlock included (uid 2000). */
        read_log(&c, &page);
        for (size_t i = 0; i < page.n_records; i++)
                if (page.records[i].type == TTLOCK_LOG_APP_UNLOCK && page.records[i].app.uid == 2000)
                        seen = true;
        ck_assert(seen);

        /* The administrator resets the eKeys: CHECK_ADMIN with flag 4 raises the lock's. */
        admin_challenge(&c, 4);
        user_time_request(&c, -3, 3, 3, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_KEY_FLAG_INVALID);
        user_time_request(&c, -3, 3, 4, 2000, buf, &len);
        request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        /* The admin with the old flag still gets in (doc/lockdata.md §8), and lowers nothing. */
        admin_challenge(&c, 3);
        user_time_request(&c, -3, 3, 3, 2000, buf, &len);
        request_fails(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, TTLOCK_ERR_KEY_FLAG_INVALID);
        stop(&c);
}
END_TEST

/* ttlock-sim ARGS... --print-lockdata KIND; the output (the caller frees it). */
static char *print_lockdata(TestBus *b, const char *const *args, const char *kind) {
        const char *argv[20] = { getenv("TTLOCK_SIM") };
        size_t n = 1;
        char *output = NULL;
        int status;

        for (; *args; args++)
                argv[n++] = *args;
        argv[n++] = "--print-lockdata";
        argv[n++] = kind;
        argv[n] = NULL;
        ck_assert_int_ge(
                test_bus_run(
                        b, NULL, NULL, (char *const *) argv, NULL, 10 * TEST_USEC_PER_SEC, &status, &output),
                0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--print-lockdata %s failed", kind);
        return output;
}

static TTLockData *decode_one(const char *text) {
        TTLockData *d = NULL;
        TTError e = {};

        ck_assert_msg(ttlock_lockdata_decode(text, strlen(text), &d, &e) == 0, "%s", tt_error_message(&e));
        return d;
}

START_TEST(test_owned_print) {
        TestBus *b = NULL;
        const char *spec = OWNED_SPEC ",ekey-uid=2000,ekey-from=2026-01-01T00:00:00Z,ekey-until=1900000000";
        const char *args[] = { "--lock", spec, NULL };
        _cleanup_free_ char *admin = NULL, *ekey = NULL, *again = NULL, *addon = NULL, *path = NULL;
        _cleanup_(ttlock_lockdata_freep) TTLockData *a = NULL, *u = NULL;
        uint8_t key[16];
        FILE *f;

        ck_assert_int_ge(test_bus_start(NULL, &b), 0);
        admin = print_lockdata(b, args, "admin");
        ekey = print_lockdata(b, args, "ekey");
        a = decode_one(admin);
        u = decode_one(ekey);
        tt_unhex(OWNED_KEY, key, sizeof(key));

        /* The administrator's lockData: everything the app needs. */
        ck_assert_str_eq(a->address, MAC);
        ck_assert_str_eq(a->name, "S202F_010000");
        ck_assert(memcmp(a->aes_key, key, 16) == 0);
        ck_assert_int_eq(a->role, TTLOCK_ROLE_ADMIN);
        ck_assert_uint_eq(a->user_type, TTLOCK_USER_TYPE_ADMIN);
        ck_assert_uint_eq(a->admin_ps, ADMIN_PS);
        ck_assert_uint_eq(a->unlock_key, UNLOCK_KEY);
        ck_assert_uint_eq(a->lock_flag_pos, 3);
        ck_assert_uint_eq(a->uid, 1000);
        ck_assert_str_eq(a->admin_passcode, "7654321");
        ck_assert(a->has_features && ttlock_features_has(&a->features, TTLOCK_FEATURE_PASSCODE));
        ck_assert_str_eq(a->firmware_revision, "6.4.15.230524");
        ck_assert_uint_eq(a->start_usec, 0);

        /* The eKey's: the same lock keys, no adminPwd, its own uid and window. */
        ck_assert_str_eq(u->address, MAC);
        ck_assert(memcmp(u->aes_key, key, 16) == 0);
        ck_assert_int_eq(u->role, TTLOCK_ROLE_USER);
        ck_assert(!u->has_admin_ps);
        ck_assert_ptr_null(u->admin_passcode);
        ck_assert_uint_eq(u->unlock_key, UNLOCK_KEY);
        ck_assert_uint_eq(u->uid, 2000);
        ck_assert_uint_eq(u->lock_flag_pos, 3);
        ck_assert_uint_eq(u->start_usec, UINT64_C(1767225600) * 1000000); /* 2026-01-01T00:00:00Z */
        ck_assert_uint_eq(u->end_usec, UINT64_C(1900000000) * 1000000);

        /* keys=FILE takes the printed lockData back: the same lock, the same string. */
        ck_assert_int_ge(asprintf(&path, "%s/admin.lockdata", test_bus_dir(b)), 0);
        f = fopen(path, "we");
        ck_assert_ptr_nonnull(f);
        fputs(admin, f);
        fclose(f);
        {
                _cleanup_free_ char *keys_spec = NULL;
                const char *kargs[3] = { "--lock", NULL, NULL };

                ck_assert_int_ge(asprintf(&keys_spec, "keys=%s", path), 0);
                kargs[1] = keys_spec;
                again = print_lockdata(b, kargs, "admin");
                ck_assert_str_eq(again, admin);
                /* And the add-on's file for it. */
                addon = print_lockdata(b, kargs, "addon");
        }
        {
                _cleanup_(ttlock_lockdata_set_freep) TTLockDataSet *s = NULL;

                ck_assert_int_eq(ttlock_lockdata_parse(addon, strlen(addon), &s, NULL), 0);
                ck_assert_int_eq(s->format, TTLOCK_LOCKDATA_FORMAT_ADDON);
                ck_assert_uint_eq(s->n_entries, 1);
                ck_assert_uint_eq(s->entries[0].data->admin_ps, ADMIN_PS);
                ck_assert_str_eq(s->entries[0].data->admin_passcode, "7654321");
        }
        /* A stale eKey (ekey-flag-pos below the lock's), for clients to test "the eKey was reset". */
        {
                const char *sargs[] = { "--lock", OWNED_SPEC ",ekey-flag-pos=2", NULL };
                _cleanup_free_ char *stale = print_lockdata(b, sargs, "ekey");
                _cleanup_(ttlock_lockdata_freep) TTLockData *d = decode_one(stale);
                ck_assert_uint_eq(d->lock_flag_pos, 2);
        }
        test_bus_stop(b);
}
END_TEST

/* The flag position is flash: a reset of the eKeys survives a restart (--state). */
START_TEST(test_owned_state) {
        Client c;
        _cleanup_free_ char *path = NULL, *printed = NULL;
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;
        const char *more[3] = { "--state", NULL, NULL };
        int status;

        ck_assert_int_ge(asprintf(&path, "/tmp/ttlock-sim-owned-%d.yaml", (int) getpid()), 0);
        (void) unlink(path);
        more[1] = path;
        start_owned(&c, OWNED_SPEC, more);
        admin_challenge(&c, 7);
        ck_assert_int_ge(test_bus_stop_pid(c.bus, c.sim, 10 * TEST_USEC_PER_SEC, &status), 0);
        {
                const char *args[] = { "--lock", "mac=" MAC, "--state", path, NULL };
                printed = print_lockdata(c.bus, args, "admin");
        }
        d = decode_one(printed);
        ck_assert_uint_eq(d->lock_flag_pos, 7);
        ck_assert_uint_eq(d->admin_ps, ADMIN_PS);
        stop(&c);
        (void) unlink(path);
}
END_TEST

/* ---- batteries: BatteryProviderManager1 and Battery1 (BlueZ 5.66 doc/battery-api.txt) ---- */

/* One org.bluez.BatteryProvider1 object that a test serves. */
typedef struct TestBattery {
        const char *path;
        const char *device;
        uint8_t percentage;
        const char *source; /* NULL: no Source property */
        bool present;
} TestBattery;

/* A battery provider: a bus connection of its own, with an ObjectManager at root. */
typedef struct Provider {
        sd_bus *conn;
        const char *root;
        TestBattery bat[2];
        unsigned get_objects; /* GetManagedObjects calls it received */
} Provider;

static TestBattery *provider_battery(Provider *p, const char *path) {
        for (size_t i = 0; i < ELEMENTSOF(p->bat); i++)
                if (p->bat[i].present && strcmp(p->bat[i].path, path) == 0)
                        return &p->bat[i];
        return NULL;
}

static int provider_find(
        sd_bus *bus,
        const char *path,
        const char *iface,
        void *userdata,
        void **found,
        sd_bus_error *error) {
        TestBattery *b = provider_battery(userdata, path);

        if (!b)
                return 0;
        *found = b;
        return 1;
}

static int provider_find_source(
        sd_bus *bus,
        const char *path,
        const char *iface,
        void *userdata,
        void **found,
        sd_bus_error *error) {
        TestBattery *b = provider_battery(userdata, path);

        if (!b || !b->source)
                return 0;
        *found = b;
        return 1;
}

static int provider_get(
        sd_bus *bus,
        const char *path,
        const char *iface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        TestBattery *b = userdata;

        if (strcmp(property, "Device") == 0)
                return sd_bus_message_append(reply, "o", b->device);
        if (strcmp(property, "Percentage") == 0)
                return sd_bus_message_append(reply, "y", b->percentage);
        return sd_bus_message_append(reply, "s", b->source);
}

static const sd_bus_vtable provider_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Device", "o", provider_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Percentage", "y", provider_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable provider_source_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Source", "s", provider_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END,
};

static int
provider_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes, sd_bus_error *error) {
        Provider *p = userdata;
        char **v = calloc(ELEMENTSOF(p->bat) + 1, sizeof(char *));
        size_t n = 0;

        ck_assert_ptr_nonnull(v);
        for (size_t i = 0; i < ELEMENTSOF(p->bat); i++)
                if (p->bat[i].present)
                        ck_assert_ptr_nonnull(v[n++] = strdup(p->bat[i].path));
        *nodes = v;
        return 0;
}

static int provider_filter(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Provider *p = userdata;

        if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"))
                p->get_objects++;
        return 0;
}

static void provider_open(Provider *p, const char *root) {
        *p = (Provider){ .root = root };
        ck_assert_int_ge(sd_bus_open_system(&p->conn), 0);
        ck_assert_int_ge(sd_bus_add_filter(p->conn, NULL, provider_filter, p), 0);
        ck_assert_int_ge(sd_bus_add_object_manager(p->conn, NULL, root), 0);
        ck_assert_int_ge(
                sd_bus_add_fallback_vtable(
                        p->conn,
                        NULL,
                        root,
                        "org.bluez.BatteryProvider1",
                        provider_vtable,
                        provider_find,
                        p),
                0);
        ck_assert_int_ge(
                sd_bus_add_fallback_vtable(
                        p->conn,
                        NULL,
                        root,
                        "org.bluez.BatteryProvider1",
                        provider_source_vtable,
                        provider_find_source,
                        p),
                0);
        ck_assert_int_ge(sd_bus_add_node_enumerator(p->conn, NULL, root, provider_enumerate, p), 0);
}

/* Call a BatteryProviderManager1 method from the provider's connection; NULL error = must succeed. */
static void provider_call(Provider *p, const char *member, const char *root, const char *error_name) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(
                p->conn,
                "org.bluez",
                "/org/bluez/hci0",
                "org.bluez.BatteryProviderManager1",
                member,
                &error,
                NULL,
                "o",
                root);
        if (!error_name)
                ck_assert_msg(r >= 0, "%s(%s): %s: %s", member, root, error.name, error.message);
        else
                ck_assert_msg(
                        r < 0 && sd_bus_error_has_name(&error, error_name),
                        "%s(%s): got %s, expected %s",
                        member,
                        root,
                        r < 0 ? error.name : "success",
                        error_name);
        sd_bus_error_free(&error);
}

/* Dispatch the client's and the providers' connections until cond holds or timeout_ms passed. */
#define WAIT_FOR_PROVIDERS(c, providers, cond, timeout_ms)                           \
        ({                                                                           \
                uint64_t _end = now_usec() + (uint64_t) (timeout_ms) *1000;          \
                while (!(cond) && now_usec() < _end)                                 \
                        dispatch_all((c), (providers), ELEMENTSOF(providers), _end); \
                (cond);                                                              \
        })

static void dispatch_all(Client *c, Provider **providers, size_t n, uint64_t end) {
        struct pollfd fds[8];
        sd_bus *buses[8];
        size_t k = 0;
        bool worked = false;
        uint64_t now = now_usec();

        buses[k++] = c->conn;
        for (size_t i = 0; i < n; i++)
                if (providers[i] && providers[i]->conn)
                        buses[k++] = providers[i]->conn;
        for (size_t i = 0; i < k; i++) {
                int r = sd_bus_process(buses[i], NULL);
                ck_assert_int_ge(r, 0);
                worked = worked || r > 0;
        }
        if (worked || now >= end)
                return;
        for (size_t i = 0; i < k; i++) {
                fds[i] = (struct pollfd){ .fd = sd_bus_get_fd(buses[i]),
                                          .events = sd_bus_get_events(buses[i]) };
                ck_assert_int_ge(fds[i].fd, 0);
        }
        (void) poll(fds, k, (int) ((end - now + 999) / 1000));
}

/* Everything the simulator did before answering a call made now has reached us: it handles a
 * connection's messages in order, and the bus keeps the order between two peers. */
static void settle(Client *c, Provider **providers, size_t n) {
        (void) get_bool(c, "/org/bluez/hci0", "org.bluez.Adapter1", "Powered");
        dispatch_all(c, providers, n, 0);
        while (sd_bus_process(c->conn, NULL) > 0)
                ;
}

static int battery_get_percentage(Client *c) {
        uint8_t v = 0;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_trivial(
                c->conn, "org.bluez", DEV, "org.bluez.Battery1", "Percentage", &error, 'y', &v);
        sd_bus_error_free(&error);
        return r < 0 ? -1 : v;
}

START_TEST(test_battery_not_experimental) {
        Client c;
        const char *args[20];

        /* BlueZ 5.66 offers the manager only with experimental features (bluetoothd -E). */
        sim_args_default(args, NULL);
        start(&c, args);
        call_fails(
                &c,
                "/org/bluez/hci0",
                "org.bluez.BatteryProviderManager1",
                "RegisterBatteryProvider",
                "org.freedesktop.DBus.Error.UnknownMethod",
                "o",
                "/provider");
        stop(&c);
}
END_TEST

START_TEST(test_battery_provider) {
        Client c;
        Provider p1, p2;
        Provider *providers[] = { &p1, &p2 };
        const char *args[20];
        size_t n = 0;
        TestBattery *b0 = &p1.bat[0], *b1 = &p1.bat[1];

        sim_args_default(args, NULL);
        while (args[n])
                n++;
        args[n++] = "--experimental";
        args[n] = NULL;
        start(&c, args);
        provider_open(&p1, "/provider");
        provider_open(&p2, "/other");
        sim1(&c, "Wake", NULL, NULL);
        discover(&c);

        /* A device only seen by discovery is temporary: BlueZ ignores batteries for it. */
        *b0 = (TestBattery){ "/provider/bat0", DEV, 80, "HID", true };
        provider_call(&p1, "RegisterBatteryProvider", "/provider", NULL);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, p1.get_objects == 1, 3000));
        settle(&c, providers, ELEMENTSOF(providers));
        ck_assert_uint_eq(c.battery_added, 0);
        ck_assert_int_eq(battery_get_percentage(&c), -1);
        provider_call(&p2, "RegisterBatteryProvider", "/provider", "org.bluez.Error.AlreadyExists");

        /* Connected once, the device is BlueZ's for good: a new provider object gives it Battery1. */
        connect_lock(&c);
        *b1 = (TestBattery){ "/provider/bat1", DEV, 77, NULL, true };
        ck_assert_int_ge(
                sd_bus_emit_interfaces_added(p1.conn, b1->path, "org.bluez.BatteryProvider1", NULL), 0);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_added == 1, 3000));
        ck_assert_int_eq(c.battery_percentage, 77);
        ck_assert_int_eq(battery_get_percentage(&c), 77);
        ck_assert(has_managed_property(&c, DEV, "org.bluez.Battery1", "Percentage"));
        ck_assert(!has_property(&c, DEV, "org.bluez.Battery1", "Source"));

        /* Percentage follows the provider's; values above 100 and repeats change nothing. */
        b1->percentage = 55;
        ck_assert_int_ge(
                sd_bus_emit_properties_changed(
                        p1.conn, b1->path, "org.bluez.BatteryProvider1", "Percentage", NULL),
                0);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_percentage == 55, 3000));
        ck_assert_int_eq(battery_get_percentage(&c), 55);
        c.battery_changes = 0;
        b1->percentage = 150;
        ck_assert_int_ge(
                sd_bus_emit_properties_changed(
                        p1.conn, b1->path, "org.bluez.BatteryProvider1", "Percentage", NULL),
                0);
        b1->percentage = 55;
        ck_assert_int_ge(
                sd_bus_emit_properties_changed(
                        p1.conn, b1->path, "org.bluez.BatteryProvider1", "Percentage", NULL),
                0);
        settle(&c, providers, ELEMENTSOF(providers));
        ck_assert_uint_eq(c.battery_changes, 0);
        ck_assert_int_eq(battery_get_percentage(&c), 55);

        /* One provider per device: another's object for it is ignored; only the owner unregisters. */
        p2.bat[0] = (TestBattery){ "/other/bat", DEV, 10, NULL, true };
        provider_call(&p2, "RegisterBatteryProvider", "/other", NULL);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, p2.get_objects == 1, 3000));
        settle(&c, providers, ELEMENTSOF(providers));
        ck_assert_uint_eq(c.battery_added, 1);
        ck_assert_int_eq(battery_get_percentage(&c), 55);
        provider_call(&p2, "UnregisterBatteryProvider", "/provider", "org.bluez.Error.DoesNotExist");
        provider_call(&p2, "UnregisterBatteryProvider", "/nothing", "org.bluez.Error.DoesNotExist");

        /* The provider object goes: so does Battery1. */
        b1->present = false;
        ck_assert_int_ge(
                sd_bus_emit_interfaces_removed(p1.conn, b1->path, "org.bluez.BatteryProvider1", NULL), 0);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_removed == 1, 3000));
        ck_assert_int_eq(battery_get_percentage(&c), -1);

        /* Unregistering the provider removes what it provided. */
        b1->present = true;
        ck_assert_int_ge(
                sd_bus_emit_interfaces_added(p1.conn, b1->path, "org.bluez.BatteryProvider1", NULL), 0);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_added == 2, 3000));
        provider_call(&p1, "UnregisterBatteryProvider", "/provider", NULL);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_removed == 2, 3000));

        /* Registered again, its objects are read with GetManagedObjects, Source included. */
        b0->present = false;
        b1->source = "ttlockd";
        b1->percentage = 42;
        provider_call(&p1, "RegisterBatteryProvider", "/provider", NULL);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_added == 3, 3000));
        ck_assert_int_eq(c.battery_percentage, 42);
        ck_assert(has_property(&c, DEV, "org.bluez.Battery1", "Source"));
        {
                _cleanup_free_ char *source = NULL;
                ck_assert_int_ge(
                        sd_bus_get_property_string(
                                c.conn, "org.bluez", DEV, "org.bluez.Battery1", "Source", NULL, &source),
                        0);
                ck_assert_str_eq(source, "ttlockd");
        }

        /* The provider leaves the bus: its batteries go. */
        p1.conn = sd_bus_flush_close_unref(p1.conn);
        ck_assert(WAIT_FOR_PROVIDERS(&c, providers, c.battery_removed == 3, 3000));
        ck_assert_int_eq(battery_get_percentage(&c), -1);

        p2.conn = sd_bus_flush_close_unref(p2.conn);
        stop(&c);
}
END_TEST

/* ---- the door, a jammed motor, freezing, passage mode all day (doc/protocol.md §4.6–§4.8) ---- */

/* The type of the newest record of the whole log. */
static uint8_t last_record_type(Client *c) {
        TTLogPage page;

        read_log(c, &page);
        ck_assert_uint_gt(page.n_records, 0);
        return page.records[page.n_records - 1].type;
}

/* A state push or a record push, the next frame from the lock. */
static void next_push(Client *c, TTStatusPush *ret) {
        uint8_t frame[TTLOCK_WIRE_MAX], out[TTLOCK_FRAME_MAX_DATA];
        size_t n;
        TTReply rp;

        ck_assert_msg(next_frame(c, frame, &n, 3000), "no push");
        n = open_frame(frame, n, c->key, TTLOCK_CMD_RESPONSE, out);
        ck_assert_int_ge(ttlock_reply_parse(out, n, &rp, NULL), 0);
        ck_assert_uint_eq(rp.command, TTLOCK_CMD_SEARCH_BICYCLE_STATUS);
        ck_assert_int_ge(ttlock_status_push_decode(rp.data, rp.data_len, ret, NULL), 0);
}

/* UNLOCK or FUNCTION_LOCK after CHECK_USER_TIME with the admin's uid 0; expect: 0 = success, else the
 * lock's error. */
static void actuate(Client *c, uint8_t cmd, uint8_t expect) {
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA];
        size_t len;
        uint32_t ps = user_challenge(c);
        TTActuateRequest q = { .sum = ttlock_unlock_sum(ps, UNLOCK_KEY), .timestamp = 1700000000 };

        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        if (expect == 0)
                request_ok(c, cmd, buf, len, out);
        else
                request_fails(c, cmd, buf, len, expect);
}

START_TEST(test_door) {
        const char *args[20];
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        TTStatusPush push;
        uint32_t records;
        Client c;
        int open = 1;

        start_paired(&c, NULL);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "DoorOpen"));
        drain(&c, 50);
        c.n_frames = 0;

        /* Opened while a client is connected: logged (31), then "a record was written" and the state
         * with the door in its third byte (§4.7, §7.3). */
        sim1(&c, "OpenDoor", "b", &open);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "DoorOpen"));
        next_push(&c, &push);
        ck_assert_int_eq(push.kind, TTLOCK_PUSH_RECORD);
        next_push(&c, &push);
        ck_assert_int_eq(push.kind, TTLOCK_PUSH_STATE);
        ck_assert(push.has_flag);
        ck_assert_uint_eq(push.flag, 1);
        ENCODE(buf, len, ttlock_status_request_encode(W));
        n = request_ok(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, buf, len, out);
        ck_assert_uint_eq(n, 5);
        ck_assert_uint_eq(out[4], 1);
        ck_assert_uint_eq(last_record_type(&c), TTLOCK_LOG_DOOR_SENSOR_OPENED);

        /* Open stays open: nothing new. */
        records = get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords");
        sim1(&c, "OpenDoor", "b", &open);
        ck_assert_uint_eq(get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords"), records);

        open = 0;
        sim1(&c, "OpenDoor", "b", &open);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "DoorOpen"));
        ck_assert_uint_eq(last_record_type(&c), TTLOCK_LOG_DOOR_SENSOR_CLOSED);
        n = request_ok(&c, TTLOCK_CMD_SEARCH_BICYCLE_STATUS, buf, len, out);
        ck_assert_uint_eq(out[4], 0);
        stop(&c);

        /* A lock without the sensor has no door to report, and no d[2]. */
        sim_args_default(args, "mac=" MAC ",features=passcode");
        start(&c, args);
        call_fails(
                &c, DEV, "org.ttlock.Sim1", "OpenDoor", "org.freedesktop.DBus.Error.NotSupported", "b", 1);
        stop(&c);
}
END_TEST

START_TEST(test_jam) {
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA];
        size_t len;
        uint32_t records;
        bool locked;
        Client c;

        start_paired(&c, NULL);
        /* The motor is no command. */
        call_fails(
                &c,
                DEV,
                "org.ttlock.Sim1",
                "InjectFault",
                "org.freedesktop.DBus.Error.InvalidArgs",
                "su",
                "jam@UNLOCK",
                1u);

        /* UNLOCK from the app: the motor does not get there (§4.6). */
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "jam", 1u);
        locked = get_bool(&c, DEV, "org.ttlock.Sim1", "Locked");
        ck_assert(locked);
        actuate(&c, TTLOCK_CMD_UNLOCK, TTLOCK_ERR_OPERATE_FAILED);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert_uint_eq(last_record_type(&c), TTLOCK_LOG_UNLOCK_TIMEOUT);
        /* Spent: the next one opens. */
        actuate(&c, TTLOCK_CMD_UNLOCK, 0);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* The keypad: the code is taken (4), the motor does not get there (65). */
        actuate(&c, TTLOCK_CMD_FUNCTION_LOCK, 0);
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "jam", 1u);
        records = get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords");
        sim1(&c, "EnterPasscode", "s", "7654321");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert_uint_eq(get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords"), records + 2);
        ck_assert_uint_eq(last_record_type(&c), TTLOCK_LOG_UNLOCK_TIMEOUT);

        /* The auto-lock: 66, and the bolt stays open. */
        {
                TTAutoLockRequest q = { .op = TTLOCK_SETTING_SET, .seconds = 1 };
                ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &q, NULL), 0));
                request_ok(&c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, out);
        }
        actuate(&c, TTLOCK_CMD_UNLOCK, 0);
        call_ok(&c, DEV, "org.ttlock.Sim1", "InjectFault", "su", "jam", 1u);
        records = get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords");
        ck_assert_msg(
                WAIT_FOR(&c, get_u32(&c, DEV, "org.ttlock.Sim1", "LogRecords") > records, 5000),
                "the auto-lock did not run");
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        ck_assert_uint_eq(last_record_type(&c), TTLOCK_LOG_LOCK_TIMEOUT);
        /* And the next auto-lock gets there. */
        actuate(&c, TTLOCK_CMD_UNLOCK, 0);
        ck_assert_msg(WAIT_FOR(&c, get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"), 5000), "no auto-lock");
        stop(&c);
}
END_TEST

/* §4.8: a frozen lock refuses every eKey at the bolt, and still opens for its administrator. */
START_TEST(test_freeze) {
        uint8_t buf[64], out[TTLOCK_FRAME_MAX_DATA];
        size_t len, n;
        uint32_t ps;
        TTChallengeReply ch;
        TTActuateRequest q = { .timestamp = 1700000000 };
        TTToggleRequest t = { .op = TTLOCK_SETTING_SET, .enabled = true };
        Client c;

        start_owned(&c, OWNED_SPEC, NULL); /* the administrator is uid 1000 */
        ps = admin_challenge(&c, 3);
        ENCODE(buf, len, ttlock_check_random_request_encode(W, ttlock_unlock_sum(ps, UNLOCK_KEY)));
        request_ok(&c, TTLOCK_CMD_CHECK_RANDOM, buf, len, out);
        ENCODE(buf, len, ck_assert_int_ge(ttlock_freeze_request_encode(W, &t, NULL), 0));
        request_ok(&c, TTLOCK_CMD_FREEZE_LOCK, buf, len, out);
        t.op = TTLOCK_SETTING_QUERY;
        ENCODE(buf, len, ck_assert_int_ge(ttlock_freeze_request_encode(W, &t, NULL), 0));
        n = request_ok(&c, TTLOCK_CMD_FREEZE_LOCK, buf, len, out);
        tt_assert_hex_eq(out, n, "6101 5a 01 01");

        /* An eKey (uid 2000) proves its window, and the bolt refuses it. */
        user_time_request(&c, -1, 1, 3, 2000, buf, &len);
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        q.sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_fails(&c, TTLOCK_CMD_UNLOCK, buf, len, TTLOCK_ERR_LOCK_FROZEN);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        /* The keypad too. */
        sim1(&c, "EnterPasscode", "s", "7654321");
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* The administrator, by its uid or its login, opens and locks. */
        user_time_request(&c, -1, 1, 3, 1000, buf, &len);
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        q.sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        q.sum = ttlock_unlock_sum(admin_challenge(&c, 3), UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_ok(&c, TTLOCK_CMD_FUNCTION_LOCK, buf, len, out);
        ck_assert(get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));

        /* Thawed, the eKey opens again. */
        ps = admin_challenge(&c, 3);
        ENCODE(buf, len, ttlock_check_random_request_encode(W, ttlock_unlock_sum(ps, UNLOCK_KEY)));
        request_ok(&c, TTLOCK_CMD_CHECK_RANDOM, buf, len, out);
        t = (TTToggleRequest){ .op = TTLOCK_SETTING_SET, .enabled = false };
        ENCODE(buf, len, ck_assert_int_ge(ttlock_freeze_request_encode(W, &t, NULL), 0));
        request_ok(&c, TTLOCK_CMD_FREEZE_LOCK, buf, len, out);
        user_time_request(&c, -1, 1, 3, 2000, buf, &len);
        n = request_ok(&c, TTLOCK_CMD_CHECK_USER_TIME, buf, len, out);
        ck_assert_int_ge(ttlock_challenge_reply_decode(out + 2, n - 2, &ch, NULL), 0);
        q.sum = ttlock_unlock_sum(ch.ps_from_lock, UNLOCK_KEY);
        ENCODE(buf, len, ttlock_actuate_request_encode(W, &q));
        request_ok(&c, TTLOCK_CMD_UNLOCK, buf, len, out);
        ck_assert(!get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"));
        stop(&c);
}
END_TEST

/* "All day" is 00:00–23:59 ([BZ], §4.8): at 23:59 the lock is still in the window, and stays open. */
START_TEST(test_passage_all_day) {
        uint8_t buf[16], out[TTLOCK_FRAME_MAX_DATA];
        size_t len;
        TTDateTime late = days_from_now(0);
        TTPassageModeRequest p = {
                .op = TTLOCK_PASSAGE_MODE_ADD,
                .record = { .type = TTLOCK_PASSAGE_MODE_WEEKLY, .end_hour = 23, .end_minute = 59 },
        };
        TTAutoLockRequest a = { .op = TTLOCK_SETTING_SET, .seconds = 1 };
        Client c;

        start_paired(&c, NULL);
        late.hour = 23;
        late.minute = 59;
        late.second = 30;
        ENCODE(buf, len, ck_assert_int_ge(ttlock_time_calibrate_request_encode(W, &late), 0));
        request_ok(&c, TTLOCK_CMD_TIME_CALIBRATE, buf, len, out);
        ENCODE(buf, len, ck_assert_int_ge(ttlock_auto_lock_request_encode(W, &a, NULL), 0));
        request_ok(&c, TTLOCK_CMD_AUTO_LOCK_MANAGE, buf, len, out);
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &p, NULL), 0));
        request_ok(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, out);

        actuate(&c, TTLOCK_CMD_UNLOCK, 0);
        /* Twice the auto-lock time, and it stays open: the window holds. */
        ck_assert(!WAIT_FOR(&c, get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"), 2500));

        /* Without the window the same unlock re-locks. */
        p.op = TTLOCK_PASSAGE_MODE_DELETE;
        ENCODE(buf, len, ck_assert_int_ge(ttlock_passage_mode_request_encode(W, &p, NULL), 0));
        request_ok(&c, TTLOCK_CMD_CONFIGURE_PASSAGE_MODE, buf, len, out);
        actuate(&c, TTLOCK_CMD_UNLOCK, 0);
        ck_assert_msg(WAIT_FOR(&c, get_bool(&c, DEV, "org.ttlock.Sim1", "Locked"), 5000), "no auto-lock");
        stop(&c);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("sim");
        TCase *tc = tcase_create("conformance");

        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_options);
        tcase_add_test(tc, test_discovery);
        tcase_add_test(tc, test_discovery_filter);
        tcase_add_test(tc, test_bluez_properties);
        tcase_add_test(tc, test_pairing);
        tcase_add_test(tc, test_add_admin_bad_crc);
        tcase_add_test(tc, test_unlock_lock);
        tcase_add_test(tc, test_push_backlog);
        tcase_add_test(tc, test_vectors);
        tcase_add_test(tc, test_log);
        tcase_add_test(tc, test_passcodes);
        tcase_add_test(tc, test_cards);
        tcase_add_test(tc, test_fingerprints);
        tcase_add_test(tc, test_cyclic);
        tcase_add_test(tc, test_cyclic_passcode);
        tcase_add_test(tc, test_real_clients);
        tcase_add_test(tc, test_dead_lock);
        tcase_add_test(tc, test_door);
        tcase_add_test(tc, test_jam);
        tcase_add_test(tc, test_freeze);
        tcase_add_test(tc, test_passage_all_day);
        tcase_add_test(tc, test_enrol_timeout);
        tcase_add_test(tc, test_settings);
        tcase_add_test(tc, test_radio);
        tcase_add_test(tc, test_reset);
        tcase_add_test(tc, test_owned_admin);
        tcase_add_test(tc, test_owned_ekey);
        tcase_add_test(tc, test_owned_print);
        tcase_add_test(tc, test_owned_state);
        tcase_add_test(tc, test_battery_not_experimental);
        tcase_add_test(tc, test_battery_provider);
        suite_add_tcase(s, tc);

        tc = tcase_create("scale");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_scale);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
