/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protobuf messages of the Bluetooth proxy role (esp-message.h). The first byte picks a message
 * type from the table below, the rest is its payload. A payload that decodes must re-encode to bytes
 * that decode to the same encoding again (protobuf's canonical form), and the Bluetooth conventions
 * (GATT UUID forms, MAC as u64) must hold for what it carries. */

#include "esp-message.h"
#include "fuzz.h"

static const uint16_t types[] = {
        1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 19, 20, 28, 34, 36, 37, 38, 66,
        68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 87, 93,
};

static void check_uuid(const uint64_t *uuid, size_t n, uint32_t short_uuid) {
        EspUuid u, back;
        uint64_t f[2];
        size_t nf;
        uint32_t s;

        if (esp_uuid_from_fields(uuid, n, short_uuid, &u) < 0)
                return;
        for (int allowed = 0; allowed <= 1; allowed++) {
                esp_uuid_to_fields(&u, allowed, f, &nf, &s);
                fuzz_check(esp_uuid_from_fields(f, nf, s, &back) == 0, "uuid fields do not decode");
                fuzz_check(esp_uuid_equal(&u, &back), "uuid changes through its fields");
        }
}

/* Unknown fields anywhere in the tree, nested messages included. */
static bool has_unknown(const ProtobufCMessage *m) {
        if (m->n_unknown_fields > 0)
                return true;
        for (unsigned i = 0; i < m->descriptor->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &m->descriptor->fields[i];
                const char *base = (const char *) m;

                if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                        continue;
                if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                        size_t n = *(const size_t *) (base + f->quantifier_offset);
                        ProtobufCMessage *const *v = *(ProtobufCMessage *const *const *) (base + f->offset);

                        for (size_t k = 0; k < n; k++)
                                if (has_unknown(v[k]))
                                        return true;
                } else {
                        const ProtobufCMessage *v = *(const ProtobufCMessage *const *) (base + f->offset);

                        if (v && has_unknown(v))
                                return true;
                }
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ProtobufCMessage *m = NULL, *m2 = NULL;
        uint8_t *buf = NULL, *buf2 = NULL;
        uint16_t type;
        size_t n, n2;
        int r;

        if (size < 1)
                return 0;
        type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
        fuzz_check(esp_message_name(type) != NULL, "type %u has no name", type);
        r = esp_decode(type, data + 1, size - 1, &m);
        if (r < 0) {
                fuzz_check(r == -EBADMSG, "decode failed with %d", r);
                return 0;
        }
        /* Fields we do not declare are kept by protobuf-c as it found them, malformed tags included;
         * nothing of ours re-sends a received message, so the round trip is checked without them. */
        if (has_unknown(m)) {
                protobuf_c_message_free_unpacked(m, NULL);
                return 0;
        }
        n = protobuf_c_message_get_packed_size(m);
        buf = malloc(n + 1);
        fuzz_check(buf && protobuf_c_message_pack(m, buf) == n, "pack");
        fuzz_check(esp_decode(type, buf, n, &m2) == 0, "a packed message does not decode");
        n2 = protobuf_c_message_get_packed_size(m2);
        buf2 = malloc(n2 + 1);
        fuzz_check(buf2 && protobuf_c_message_pack(m2, buf2) == n2, "pack");
        fuzz_check(fuzz_mem_eq(buf, n, buf2, n2), "re-encoding is not stable");

        if (type == ESP_MSG_BLUETOOTH_GATT_GET_SERVICES_RESPONSE) {
                Esphome__BluetoothGATTGetServicesResponse *s =
                        (Esphome__BluetoothGATTGetServicesResponse *) m;

                for (size_t i = 0; i < s->n_services; i++) {
                        Esphome__BluetoothGATTService *sv = s->services[i];

                        check_uuid(sv->uuid, sv->n_uuid, sv->short_uuid);
                        for (size_t k = 0; k < sv->n_characteristics; k++) {
                                Esphome__BluetoothGATTCharacteristic *ch = sv->characteristics[k];

                                check_uuid(ch->uuid, ch->n_uuid, ch->short_uuid);
                                for (size_t j = 0; j < ch->n_descriptors; j++)
                                        check_uuid(
                                                ch->descriptors[j]->uuid,
                                                ch->descriptors[j]->n_uuid,
                                                ch->descriptors[j]->short_uuid);
                        }
                }
        }
        if (type == ESP_MSG_BLUETOOTH_DEVICE_REQUEST) {
                uint64_t a = ((Esphome__BluetoothDeviceRequest *) m)->address;
                uint8_t mac[6];

                esp_mac_from_u64(a, mac);
                fuzz_check(esp_mac_to_u64(mac) == (a & 0xFFFFFFFFFFFFull), "MAC round trip");
        }
        protobuf_c_message_free_unpacked(m, NULL);
        protobuf_c_message_free_unpacked(m2, NULL);
        free(buf);
        free(buf2);
        return 0;
}
