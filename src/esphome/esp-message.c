/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "esp-frame.h"
#include "esp-message.h"
#include "macro.h"

static const struct {
        uint16_t type;
        const char *name;
        const ProtobufCMessageDescriptor *descriptor;
} messages[] = {
        { 1, "HelloRequest", &esphome__hello_request__descriptor },
        { 2, "HelloResponse", &esphome__hello_response__descriptor },
        { 3, "AuthenticationRequest", &esphome__authentication_request__descriptor },
        { 4, "AuthenticationResponse", &esphome__authentication_response__descriptor },
        { 5, "DisconnectRequest", &esphome__disconnect_request__descriptor },
        { 6, "DisconnectResponse", &esphome__empty__descriptor },
        { 7, "PingRequest", &esphome__empty__descriptor },
        { 8, "PingResponse", &esphome__empty__descriptor },
        { 9, "DeviceInfoRequest", &esphome__empty__descriptor },
        { 10, "DeviceInfoResponse", &esphome__device_info_response__descriptor },
        { 11, "ListEntitiesRequest", &esphome__empty__descriptor },
        { 19, "ListEntitiesDoneResponse", &esphome__empty__descriptor },
        { 20, "SubscribeStatesRequest", &esphome__empty__descriptor },
        { 28, "SubscribeLogsRequest", &esphome__subscribe_logs_request__descriptor },
        { 34, "SubscribeHomeassistantServicesRequest", &esphome__empty__descriptor },
        { 36, "GetTimeRequest", &esphome__empty__descriptor },
        { 37, "GetTimeResponse", &esphome__get_time_response__descriptor },
        { 38, "SubscribeHomeAssistantStatesRequest", &esphome__empty__descriptor },
        { 66,
          "SubscribeBluetoothLEAdvertisementsRequest",
          &esphome__subscribe_bluetooth_leadvertisements_request__descriptor },
        { 68, "BluetoothDeviceRequest", &esphome__bluetooth_device_request__descriptor },
        { 69,
          "BluetoothDeviceConnectionResponse",
          &esphome__bluetooth_device_connection_response__descriptor },
        { 70, "BluetoothGATTGetServicesRequest", &esphome__bluetooth_address__descriptor },
        { 71,
          "BluetoothGATTGetServicesResponse",
          &esphome__bluetooth_gattget_services_response__descriptor },
        { 72, "BluetoothGATTGetServicesDoneResponse", &esphome__bluetooth_address__descriptor },
        { 73, "BluetoothGATTReadRequest", &esphome__bluetooth_gatthandle__descriptor },
        { 74, "BluetoothGATTReadResponse", &esphome__bluetooth_gattdata__descriptor },
        { 75, "BluetoothGATTWriteRequest", &esphome__bluetooth_gattwrite_request__descriptor },
        { 76, "BluetoothGATTReadDescriptorRequest", &esphome__bluetooth_gatthandle__descriptor },
        { 77, "BluetoothGATTWriteDescriptorRequest", &esphome__bluetooth_gattdata__descriptor },
        { 78, "BluetoothGATTNotifyRequest", &esphome__bluetooth_gattnotify_request__descriptor },
        { 79, "BluetoothGATTNotifyDataResponse", &esphome__bluetooth_gattdata__descriptor },
        { 80, "SubscribeBluetoothConnectionsFreeRequest", &esphome__empty__descriptor },
        { 81,
          "BluetoothConnectionsFreeResponse",
          &esphome__bluetooth_connections_free_response__descriptor },
        { 82, "BluetoothGATTErrorResponse", &esphome__bluetooth_gatterror_response__descriptor },
        { 83, "BluetoothGATTWriteResponse", &esphome__bluetooth_gatthandle__descriptor },
        { 84, "BluetoothGATTNotifyResponse", &esphome__bluetooth_gatthandle__descriptor },
        { 87, "UnsubscribeBluetoothLEAdvertisementsRequest", &esphome__empty__descriptor },
        { 93,
          "BluetoothLERawAdvertisementsResponse",
          &esphome__bluetooth_leraw_advertisements_response__descriptor },
};

static int find(uint16_t type) {
        for (size_t i = 0; i < ELEMENTSOF(messages); i++)
                if (messages[i].type == type)
                        return (int) i;
        return -ENOENT;
}

const char *esp_message_name(uint16_t type) {
        int i = find(type);

        return i < 0 ? NULL : messages[i].name;
}

const ProtobufCMessageDescriptor *esp_message_descriptor(uint16_t type) {
        int i = find(type);

        return i < 0 ? NULL : messages[i].descriptor;
}

int esp_send(EspConnection *c, uint16_t type, const ProtobufCMessage *m) {
        _cleanup_free_ uint8_t *buf = NULL;
        const ProtobufCMessageDescriptor *d = esp_message_descriptor(type);
        size_t n;

        if (!m)
                return esp_connection_send(c, type, NULL, 0);
        if (d && m->descriptor != d)
                return -EINVAL;
        n = protobuf_c_message_get_packed_size(m);
        if (n > ESP_MESSAGE_MAX)
                return -EMSGSIZE;
        buf = malloc(n ?: 1);
        if (!buf)
                return -ENOMEM;
        if (protobuf_c_message_pack(m, buf) != n)
                return -EIO;
        return esp_connection_send(c, type, buf, n);
}

int esp_decode(uint16_t type, const uint8_t *payload, size_t len, ProtobufCMessage **ret) {
        const ProtobufCMessageDescriptor *d = esp_message_descriptor(type);
        ProtobufCMessage *m;

        if (!d)
                return -ENOENT;
        if (len > ESP_NOISE_FRAME_MAX)
                return -EMSGSIZE;
        /* protobuf-c allocates in proportion to the input, which the framing bounds. */
        m = protobuf_c_message_unpack(d, NULL, len, payload);
        if (!m)
                return -EBADMSG;
        *ret = m;
        return 0;
}

uint64_t esp_mac_to_u64(const uint8_t address[6]) {
        uint64_t v = 0;

        for (size_t i = 0; i < 6; i++)
                v = v << 8 | address[i];
        return v;
}

void esp_mac_from_u64(uint64_t v, uint8_t address[6]) {
        for (size_t i = 0; i < 6; i++)
                address[i] = (uint8_t) (v >> (8 * (5 - i)));
}

/* 00000000-0000-1000-8000-00805f9b34fb, the Bluetooth base UUID (Core spec Vol 3 Part B §2.5.1). */
static const uint8_t base_uuid[16] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb,
};

void esp_uuid_from_short(uint32_t short_uuid, EspUuid *ret) {
        memcpy(ret->b, base_uuid, 16);
        ret->b[0] = (uint8_t) (short_uuid >> 24);
        ret->b[1] = (uint8_t) (short_uuid >> 16);
        ret->b[2] = (uint8_t) (short_uuid >> 8);
        ret->b[3] = (uint8_t) short_uuid;
}

uint32_t esp_uuid_short(const EspUuid *u) {
        if (memcmp(u->b + 4, base_uuid + 4, 12) != 0)
                return 0;
        return (uint32_t) u->b[0] << 24 | (uint32_t) u->b[1] << 16 | (uint32_t) u->b[2] << 8 | u->b[3];
}

bool esp_uuid_equal(const EspUuid *a, const EspUuid *b) {
        return memcmp(a->b, b->b, 16) == 0;
}

void esp_uuid_to_fields(
        const EspUuid *u,
        bool short_allowed,
        uint64_t uuid[2],
        size_t *ret_n_uuid,
        uint32_t *ret_short_uuid) {
        uint32_t s = esp_uuid_short(u);

        if (short_allowed && s != 0) {
                *ret_n_uuid = 0;
                *ret_short_uuid = s;
                return;
        }
        uuid[0] = uuid[1] = 0;
        for (size_t i = 0; i < 8; i++) {
                uuid[0] = uuid[0] << 8 | u->b[i];
                uuid[1] = uuid[1] << 8 | u->b[8 + i];
        }
        *ret_n_uuid = 2;
        *ret_short_uuid = 0;
}

int esp_uuid_from_fields(const uint64_t *uuid, size_t n_uuid, uint32_t short_uuid, EspUuid *ret) {
        if (n_uuid == 0) {
                if (short_uuid == 0)
                        return -EBADMSG;
                esp_uuid_from_short(short_uuid, ret);
                return 0;
        }
        if (n_uuid != 2)
                return -EBADMSG;
        for (size_t i = 0; i < 8; i++) {
                ret->b[i] = (uint8_t) (uuid[0] >> (8 * (7 - i)));
                ret->b[8 + i] = (uint8_t) (uuid[1] >> (8 * (7 - i)));
        }
        return 0;
}

int esp_psk_from_base64(const char *text, uint8_t psk[32]) {
        uint8_t out[base64_decoded_max(44)];
        size_t start = 0, end = strlen(text);
        int n;

        while (start < end && isspace((unsigned char) text[start]))
                start++;
        while (end > start && isspace((unsigned char) text[end - 1]))
                end--;
        /* 32 bytes are 43 characters and one '=' of padding, as ESPHome writes the key. */
        if (end - start != 44 || text[end - 1] != '=' || text[end - 2] == '=')
                return -EINVAL;
        n = base64_decode(text + start, end - start, out, sizeof(out));
        if (n == 32)
                memcpy(psk, out, 32);
        erase_memory(out, sizeof(out));
        return n == 32 ? 0 : -EINVAL;
}
