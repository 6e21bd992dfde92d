/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The messages of the Bluetooth proxy role: bytes as protobuf lays them out for the field numbers of
 * ESPHome's api.proto, decoding back, and the conventions (MAC as u64, GATT UUID forms, base64 PSK). */

#include <string.h>

#include "../unit/tt-test.h"
#include "esp-frame.h"
#include "esp-message.h"
#include "macro.h"

static size_t pack(const ProtobufCMessage *m, uint8_t *out, size_t size) {
        size_t n = protobuf_c_message_get_packed_size(m);

        ck_assert_uint_le(n, size);
        ck_assert_uint_eq(protobuf_c_message_pack(m, out), n);
        return n;
}

START_TEST(test_names_and_ids) {
        ck_assert_str_eq(esp_message_name(ESP_MSG_HELLO_REQUEST), "HelloRequest");
        ck_assert_str_eq(
                esp_message_name(ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE),
                "BluetoothLERawAdvertisementsResponse");
        ck_assert_str_eq(esp_message_name(84), "BluetoothGATTNotifyResponse");
        ck_assert_ptr_null(esp_message_name(12)); /* ListEntitiesBinarySensorResponse: not ours */
        ck_assert_ptr_null(esp_message_descriptor(0));
}
END_TEST

START_TEST(test_hello_bytes) {
        Esphome__HelloRequest h = ESPHOME__HELLO_REQUEST__INIT;
        ProtobufCMessage *m;
        uint8_t b[64];
        size_t n;

        h.client_info = (char *) "t";
        h.api_version_major = 1;
        h.api_version_minor = 10;
        n = pack(&h.base, b, sizeof(b));
        /* field 1 (string) "t", field 2 = 1, field 3 = 10 */
        tt_assert_hex_eq(b, n, "0a0174 1001 180a");
        ck_assert_int_eq(esp_decode(ESP_MSG_HELLO_REQUEST, b, n, &m), 0);
        ck_assert_uint_eq(((Esphome__HelloRequest *) m)->api_version_minor, 10);
        ck_assert_str_eq(((Esphome__HelloRequest *) m)->client_info, "t");
        protobuf_c_message_free_unpacked(m, NULL);
}
END_TEST

START_TEST(test_device_info_flags_field) {
        Esphome__DeviceInfoResponse d = ESPHOME__DEVICE_INFO_RESPONSE__INIT;
        uint8_t b[64];
        size_t n;

        d.bluetooth_proxy_feature_flags = ESP_BT_FEATURE_PASSIVE_SCAN | ESP_BT_FEATURE_ACTIVE_CONNECTIONS |
                ESP_BT_FEATURE_REMOTE_CACHING | ESP_BT_FEATURE_RAW_ADVERTISEMENTS;
        n = pack(&d.base, b, sizeof(b));
        /* field 15 varint: tag (15 << 3) = 0x78, value 0x27 */
        tt_assert_hex_eq(b, n, "7827");
}
END_TEST

START_TEST(test_raw_advert_bytes) {
        Esphome__BluetoothLERawAdvertisement a = ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENT__INIT;
        Esphome__BluetoothLERawAdvertisement *list[1] = { &a };
        Esphome__BluetoothLERawAdvertisementsResponse r =
                ESPHOME__BLUETOOTH_LERAW_ADVERTISEMENTS_RESPONSE__INIT;
        static const uint8_t mac[6] = { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF };
        ProtobufCMessage *m;
        uint8_t b[64], back[6];
        size_t n;

        a.address = esp_mac_to_u64(mac);
        ck_assert_uint_eq(a.address, 0xAABBCCDDEEFFull);
        esp_mac_from_u64(a.address, back);
        ck_assert_mem_eq(back, mac, 6);
        a.rssi = -60; /* sint32: zigzag 119 */
        a.data.data = (uint8_t *) "\x02\x01\x06";
        a.data.len = 3;
        r.n_advertisements = 1;
        r.advertisements = list;
        n = pack(&r.base, b, sizeof(b));
        tt_assert_hex_eq(b, n, "0a0f 08ffddf7e6bcd72a 1077 2203020106");
        ck_assert_int_eq(esp_decode(ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, b, n, &m), 0);
        ck_assert_int_eq(
                ((Esphome__BluetoothLERawAdvertisementsResponse *) m)->advertisements[0]->rssi, -60);
        protobuf_c_message_free_unpacked(m, NULL);
        /* Truncated: refused, not half-read. */
        ck_assert_int_eq(
                esp_decode(ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE, b, n - 1, &m), -EBADMSG);
        ck_assert_int_eq(esp_decode(12, b, n, &m), -ENOENT);
}
END_TEST

START_TEST(test_uuid_forms) {
        EspUuid u, back;
        uint64_t f[2];
        size_t nf;
        uint32_t s;

        esp_uuid_from_short(0xFFF2, &u);
        ck_assert_uint_eq(esp_uuid_short(&u), 0xFFF2);
        /* API ≥ 1.12: the short form alone. */
        esp_uuid_to_fields(&u, true, f, &nf, &s);
        ck_assert_uint_eq(nf, 0);
        ck_assert_uint_eq(s, 0xFFF2);
        /* Older clients: two halves of 0000fff2-0000-1000-8000-00805f9b34fb. */
        esp_uuid_to_fields(&u, false, f, &nf, &s);
        ck_assert_uint_eq(nf, 2);
        ck_assert_uint_eq(s, 0);
        ck_assert_uint_eq(f[0], 0x0000fff200001000ull);
        ck_assert_uint_eq(f[1], 0x800000805f9b34fbull);
        ck_assert_int_eq(esp_uuid_from_fields(f, 2, 0, &back), 0);
        ck_assert(esp_uuid_equal(&u, &back));
        ck_assert_int_eq(esp_uuid_from_fields(NULL, 0, 0xFFF2, &back), 0);
        ck_assert(esp_uuid_equal(&u, &back));
        ck_assert_int_eq(esp_uuid_from_fields(NULL, 0, 0, &back), -EBADMSG);
        ck_assert_int_eq(esp_uuid_from_fields(f, 1, 0, &back), -EBADMSG);

        /* A vendor 128-bit UUID has no short form: always the halves. */
        memset(u.b, 0x6e, sizeof(u.b));
        ck_assert_uint_eq(esp_uuid_short(&u), 0);
        esp_uuid_to_fields(&u, true, f, &nf, &s);
        ck_assert_uint_eq(nf, 2);
}
END_TEST

START_TEST(test_psk_base64) {
        uint8_t psk[32];

        /* 32 bytes 0x00..0x1f. */
        ck_assert_int_eq(esp_psk_from_base64(" AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", psk), 0);
        for (size_t i = 0; i < 32; i++)
                ck_assert_uint_eq(psk[i], i);
        ck_assert_int_eq(esp_psk_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", psk), -EINVAL);
        ck_assert_int_eq(esp_psk_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=", psk), -EINVAL);
        ck_assert_int_eq(esp_psk_from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", psk), -EINVAL);
        ck_assert_int_eq(esp_psk_from_base64("", psk), -EINVAL);
}
END_TEST

START_TEST(test_send_checks_type) {
        EspConnectionOptions o = { .role = ESP_ROLE_SERVER };
        Esphome__HelloResponse h = ESPHOME__HELLO_RESPONSE__INIT;
        EspConnectionCallbacks cb = {};
        EspConnection *c;
        const uint8_t *out;
        size_t n;

        ck_assert_int_eq(esp_connection_new(&o, &cb, NULL, &c), 0);
        ck_assert_int_eq(esp_send(c, ESP_MSG_HELLO_REQUEST, &h.base), -EINVAL);
        h.api_version_major = 1;
        h.api_version_minor = 14;
        ck_assert_int_eq(esp_send(c, ESP_MSG_HELLO_RESPONSE, &h.base), 0);
        ck_assert_int_eq(esp_send(c, ESP_MSG_PING_RESPONSE, NULL), 0);
        n = esp_connection_output(c, &out);
        tt_assert_hex_eq(out, n, "000402 0801100e  000008");
        esp_connection_free(c);
}
END_TEST

static Suite *make_suite(void) {
        Suite *s = suite_create("esp-message");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_names_and_ids);
        tcase_add_test(tc, test_hello_bytes);
        tcase_add_test(tc, test_device_info_flags_field);
        tcase_add_test(tc, test_raw_advert_bytes);
        tcase_add_test(tc, test_uuid_forms);
        tcase_add_test(tc, test_psk_base64);
        tcase_add_test(tc, test_send_checks_type);
        suite_add_tcase(s, tc);
        return s;
}

TT_TEST_MAIN
