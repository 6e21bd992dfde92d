#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpora of the native API harnesses (fuzz-esp-*) from the hex below: frames and
messages laid out by hand from the field numbers and ids of ESPHome's api.proto (doc/esphome.md).
Offline; run it after changing a seed and commit the result:  python3 tests/fuzz/make-corpus-esphome.py"""

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def field_bytes(num, b):
    return varint(num << 3 | 2) + varint(len(b)) + b


def plain(msg_type, payload=b""):
    return b"\x00" + varint(len(payload)) + varint(msg_type) + payload


def noise(body):
    return b"\x01" + len(body).to_bytes(2, "big") + body


def zigzag(v):
    return (v << 1) ^ (v >> 31)


MAC = 0xC0DE00000001
HELLO_REQ = field_bytes(1, b"ttlockd") + field_varint(2, 1) + field_varint(3, 10)
HELLO_RESP = field_varint(1, 1) + field_varint(2, 14) + field_bytes(3, b"2026.1.0") + field_bytes(4, b"hall")
DEVICE_INFO = (field_bytes(2, b"hall") + field_bytes(3, b"AA:BB:CC:DD:EE:FF")
               + field_varint(15, 0x27) + field_bytes(18, b"AA:BB:CC:DD:EE:F0"))
ADV_DATA = bytes.fromhex("020106" "03021019" "12ff0503020a5a000000000000010000dec0")
RAW_ADV = field_bytes(1, field_varint(1, MAC) + field_varint(2, zigzag(-60)) + field_bytes(4, ADV_DATA))
DEVICE_REQ = field_varint(1, MAC) + field_varint(2, 5)
WRITE_REQ = field_varint(1, MAC) + field_varint(2, 0x10) + field_bytes(4, bytes.fromhex("7f5a0503010001000101aa001c0d0a"))
NOTIFY_REQ = field_varint(1, MAC) + field_varint(2, 0x0D) + field_varint(3, 1)
NOTIFY_DATA = field_varint(1, MAC) + field_varint(2, 0x0D) + field_bytes(3, bytes.fromhex("7f5a0503020001000154aa10"))
CHAR_SHORT = field_varint(2, 0x0D) + field_varint(3, 0x10) + field_varint(5, 0xFFF4)
CHAR_LONG = (field_varint(1, 0x0000FFF200001000) + field_varint(1, 0x800000805F9B34FB) + field_varint(2, 0x10)
             + field_varint(3, 0x0C))
SERVICE = field_varint(2, 0x0C) + field_bytes(3, CHAR_SHORT) + field_bytes(3, CHAR_LONG) + field_varint(4, 0x1910)
SERVICES = field_varint(1, MAC) + field_bytes(2, SERVICE)
FREE = field_varint(1, 2) + field_varint(2, 3) + field_varint(3, MAC)

# fuzz-esp-message: a selector byte (index into the harness's type table), then the payload.
TYPES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 19, 20, 28, 34, 36, 37, 38, 66, 68, 69, 70, 71, 72,
         73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 87, 93]


def sel(msg_type, payload):
    return bytes([TYPES.index(msg_type)]) + payload


CORPORA = {
    "fuzz-esp-frame": {
        # selector: bit 0 = Noise, the rest = piece size − 1
        "plain-session": b"\x0a" + plain(1, HELLO_REQ) + plain(9) + plain(7) + plain(66, field_varint(1, 1)),
        "plain-big-type": b"\x00" + plain(93, RAW_ADV) + plain(200, b"x" * 130),
        "noise-hello": b"\x05" + noise(b"") + noise(b"\x00" + bytes(range(48))),
        "noise-reject": b"\x01" + noise(b"\x01hall\x00aabbccddeeff\x00") + noise(b"\x01Handshake MAC failure"),
    },
    "fuzz-esp-connection": {
        # selector: bit 0 = server role, bit 1 = Noise, the rest = piece size − 1
        "server-plain": b"\x21" + plain(1, HELLO_REQ) + plain(3) + plain(9) + plain(11) + plain(20)
                        + plain(66, field_varint(1, 1)) + plain(80) + plain(68, DEVICE_REQ) + plain(7) + plain(5),
        "client-plain": b"\x20" + plain(2, HELLO_RESP) + plain(10, DEVICE_INFO) + plain(93, RAW_ADV)
                        + plain(69, field_varint(1, MAC) + field_varint(2, 1) + field_varint(3, 23))
                        + plain(71, SERVICES) + plain(72, field_varint(1, MAC)) + plain(79, NOTIFY_DATA),
        "server-noise": b"\x13" + noise(b"") + noise(b"\x00" + bytes(range(48))),
        "client-noise-reject": b"\x12" + noise(b"\x01hall\x00aabbccddeeff\x00") + noise(b"\x01Handshake MAC failure"),
        "server-noise-plain-client": b"\x03" + plain(1, HELLO_REQ),
        "client-plain-noise-server": b"\x00" + noise(b"\x01Bad indicator byte"),
    },
    "fuzz-esp-message": {
        "hello-request": sel(1, HELLO_REQ),
        "hello-response": sel(2, HELLO_RESP),
        "device-info": sel(10, DEVICE_INFO),
        "subscribe-raw": sel(66, field_varint(1, 1)),
        "raw-adverts": sel(93, RAW_ADV),
        "device-request": sel(68, DEVICE_REQ),
        "connection": sel(69, field_varint(1, MAC) + field_varint(2, 1) + field_varint(3, 23)),
        "services": sel(71, SERVICES),
        "write": sel(75, WRITE_REQ),
        "notify": sel(78, NOTIFY_REQ),
        "notify-data": sel(79, NOTIFY_DATA),
        "free": sel(81, FREE),
        "gatt-error": sel(82, field_varint(1, MAC) + field_varint(2, 0x10) + field_varint(3, 0x85)),
        "time": sel(37, b"\x0d\x00\x5e\x49\x6a"),
    },
}


def main():
    root = os.path.join(HERE, "corpus")
    for harness, seeds in CORPORA.items():
        d = os.path.join(root, harness)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    print("wrote", sum(len(s) for s in CORPORA.values()), "seeds for", len(CORPORA), "harnesses")


if __name__ == "__main__":
    main()
