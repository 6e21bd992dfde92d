/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The native API messages a Bluetooth proxy and its client exchange: their type ids (ESPHome's
 * api.proto "option (id)"), protobuf-c encoding and decoding with bounds, and the conventions the
 * Bluetooth messages follow — a MAC as a 48-bit integer, GATT UUIDs as two 64-bit halves or a short
 * form, the proxy feature flags (doc/esphome.md has the table and the sources). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp-connection.h"
#include "esphome-api.pb-c.h"

typedef enum EspMessageType {
        ESP_MSG_HELLO_REQUEST = 1,
        ESP_MSG_HELLO_RESPONSE = 2,
        ESP_MSG_AUTHENTICATION_REQUEST = 3, /* ConnectRequest before ESPHome 2026.1 */
        ESP_MSG_AUTHENTICATION_RESPONSE = 4,
        ESP_MSG_DISCONNECT_REQUEST = 5,
        ESP_MSG_DISCONNECT_RESPONSE = 6,
        ESP_MSG_PING_REQUEST = 7,
        ESP_MSG_PING_RESPONSE = 8,
        ESP_MSG_DEVICE_INFO_REQUEST = 9,
        ESP_MSG_DEVICE_INFO_RESPONSE = 10,
        ESP_MSG_LIST_ENTITIES_REQUEST = 11,
        ESP_MSG_LIST_ENTITIES_DONE_RESPONSE = 19,
        ESP_MSG_SUBSCRIBE_STATES_REQUEST = 20,
        ESP_MSG_SUBSCRIBE_LOGS_REQUEST = 28,
        ESP_MSG_SUBSCRIBE_HOMEASSISTANT_SERVICES_REQUEST = 34,
        ESP_MSG_GET_TIME_REQUEST = 36,
        ESP_MSG_GET_TIME_RESPONSE = 37,
        ESP_MSG_SUBSCRIBE_HOME_ASSISTANT_STATES_REQUEST = 38,
        ESP_MSG_SUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST = 66,
        ESP_MSG_BLUETOOTH_DEVICE_REQUEST = 68,
        ESP_MSG_BLUETOOTH_DEVICE_CONNECTION_RESPONSE = 69,
        ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_REQUEST = 70,
        ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE = 71,
        ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_DONE_RESPONSE = 72,
        ESP_MSG_BLUETOOTH_GATT_READ_REQUEST = 73,
        ESP_MSG_BLUETOOTH_GATT_READ_RESPONSE = 74,
        ESP_MSG_BLUETOOTH_GATT_WRITE_REQUEST = 75,
        ESP_MSG_BLUETOOTH_GATT_READ_DESCRIPTOR_REQUEST = 76,
        ESP_MSG_BLUETOOTH_GATT_WRITE_DESCRIPTOR_REQUEST = 77,
        ESP_MSG_BLUETOOTH_GATT_NOTIFY_REQUEST = 78,
        ESP_MSG_BLUETOOTH_GATT_NOTIFY_DATA_RESPONSE = 79,
        ESP_MSG_SUBSCRIBE_BLUETOOTH_CONNECTIONS_FREE_REQUEST = 80,
        ESP_MSG_BLUETOOTH_CONNECTIONS_FREE_RESPONSE = 81,
        ESP_MSG_BLUETOOTH_GATT_ERROR_RESPONSE = 82,
        ESP_MSG_BLUETOOTH_GATT_WRITE_RESPONSE = 83,
        ESP_MSG_BLUETOOTH_GATT_NOTIFY_RESPONSE = 84,
        ESP_MSG_UNSUBSCRIBE_BLUETOOTH_LE_ADVERTISEMENTS_REQUEST = 87,
        ESP_MSG_BLUETOOTH_LE_RAW_ADVERTISEMENTS_RESPONSE = 93,
} EspMessageType;

/* BluetoothProxyFeature (aioesphomeapi model.py; ESPHome bluetooth_proxy.h). */
enum {
        ESP_BT_FEATURE_PASSIVE_SCAN = 1 << 0,
        ESP_BT_FEATURE_ACTIVE_CONNECTIONS = 1 << 1,
        ESP_BT_FEATURE_REMOTE_CACHING = 1 << 2,
        ESP_BT_FEATURE_PAIRING = 1 << 3,
        ESP_BT_FEATURE_CACHE_CLEARING = 1 << 4,
        ESP_BT_FEATURE_RAW_ADVERTISEMENTS = 1 << 5,
        ESP_BT_FEATURE_STATE_AND_MODE = 1 << 6,
        ESP_BT_FEATURE_CONNECTION_PARAMS_SETTING = 1 << 7,
};

/* SubscribeBluetoothLEAdvertisementsRequest.flags (BluetoothProxySubscriptionFlag). */
#define ESP_BT_SUBSCRIBE_RAW_ADVERTISEMENTS 1u

/* The API version from which a proxy sends 16/32-bit GATT UUIDs as short_uuid (api.proto). */
#define ESP_API_SHORT_UUID_MINOR 12

/* The message's name as api.proto spells it, or NULL for a type this table does not know. */
const char *esp_message_name(uint16_t type);
/* The protobuf-c descriptor for a type, NULL if unknown (the empty messages share Esphome__Empty). */
const ProtobufCMessageDescriptor *esp_message_descriptor(uint16_t type);

/* Packs m and queues it on c. -EINVAL when m is not of the type's descriptor, -EMSGSIZE over
 * ESP_MESSAGE_MAX, else what esp_connection_send() returns. m = NULL sends an empty message. */
int esp_send(EspConnection *c, uint16_t type, const ProtobufCMessage *m);

/* Decodes a payload of a known type (protobuf_c_message_free_unpacked() frees it). -ENOENT for an
 * unknown type, -EBADMSG for a payload that does not decode. */
int esp_decode(uint16_t type, const uint8_t *payload, size_t len, ProtobufCMessage **ret);

/* MAC "AA:BB:CC:DD:EE:FF" ⇄ 0xAABBCCDDEEFF, the u64 every Bluetooth message carries. */
uint64_t esp_mac_to_u64(const uint8_t address[6]);
void esp_mac_from_u64(uint64_t v, uint8_t address[6]);

/* GATT UUIDs in their 128-bit big-endian byte form (0000fff2-0000-1000-8000-00805f9b34fb). */
typedef struct EspUuid {
        uint8_t b[16];
} EspUuid;

void esp_uuid_from_short(uint32_t short_uuid, EspUuid *ret);
/* The 16/32-bit value of a UUID on the Bluetooth base, or 0 for any other UUID. */
uint32_t esp_uuid_short(const EspUuid *u);
bool esp_uuid_equal(const EspUuid *a, const EspUuid *b);
/* What a proxy puts in a service, characteristic or descriptor: short_uuid for clients of API ≥ 1.12
 * when the UUID has a short form, else uuid = { high 64 bits, low 64 bits }. uuid must hold 2. */
void esp_uuid_to_fields(
        const EspUuid *u,
        bool short_allowed,
        uint64_t uuid[2],
        size_t *ret_n_uuid,
        uint32_t *ret_short_uuid);
/* And back: -EBADMSG for neither form, or a uuid array that is not two values. */
int esp_uuid_from_fields(const uint64_t *uuid, size_t n_uuid, uint32_t short_uuid, EspUuid *ret);

/* The API encryption key as ESPHome's configuration and clients write it: base64 of 32 bytes.
 * Whitespace around it is ignored. -EINVAL for anything else. */
int esp_psk_from_base64(const char *text, uint8_t psk[32]);
