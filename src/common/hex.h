/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parse hex text into bytes. Spaces, tabs and colons between digits are tolerated (so that
 * "7f:5a 05" and btmon-style dumps paste straight in); an odd number of digits or any other
 * character is -EINVAL. Returns the number of bytes written, -ENOBUFS if they do not fit. */
int hex_to_bytes(const char *text, uint8_t *out, size_t out_size);

/* Lower-case hex, NUL-terminated; out must hold 2 * n + 1 bytes. Returns out. */
char *bytes_to_hex(const uint8_t *data, size_t n, char *out);

/* Allocating variant; NULL on OOM. */
char *hex_dup(const uint8_t *data, size_t n);
