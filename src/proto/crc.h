/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* TTLock's CRC-8 (doc/protocol.md §2.5): Dallas/Maxim reflected 0x8C, init 0, no final XOR — but with
 * the lock's table, whose entry 0x21 is 0x07 instead of 0x7D. Using the standard table is what made
 * the TypeScript SDK report "bad CRC" on good replies for years. */
uint8_t ttlock_crc8(const uint8_t *data, size_t n);
uint8_t ttlock_crc8_update(uint8_t crc, const uint8_t *data, size_t n);

/* One entry of the lock's table. The XOR codec of §3.4 (cloud credentials, legacy payloads) keys on
 * it too, so it is exported rather than private to the CRC. */
uint8_t ttlock_crc8_table(uint8_t index);
