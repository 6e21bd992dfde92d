/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The JSON member readers lockdata.c and addon-lockdata.c share. Each reads one member of an
 * object: 0 when it is absent (or JSON null), 1 when it was read, a negative errno with a message
 * naming the member when it has the wrong type or is out of bounds. */

#include <stdint.h>

#include "lockdata.h"

struct json_object *lockdata_json_member(struct json_object *o, const char *name);
const char *lockdata_json_type_name(struct json_object *v);
/* Bounded length, no control characters. */
int lockdata_json_get_string(
        struct json_object *o, const char *name, size_t max, const char **ret, TTError *e);
/* A JSON number or a decimal string, within min…max. */
int lockdata_json_get_int(
        struct json_object *o, const char *name, int64_t min, int64_t max, int64_t *ret, TTError *e);
/* An address, normalised to upper case. */
int lockdata_json_get_address(
        struct json_object *o, const char *name, char address[TTLOCK_LOCKDATA_ADDRESS_SIZE], TTError *e);
/* 16 bytes as "8a,df,…" or 32 hex digits; the message names the member, never the value. */
int lockdata_parse_aes_key(const char *name, const char *s, uint8_t key[16], TTError *e);
/* An admin passcode: plain digits, or encoded like adminPwd. */
int lockdata_parse_admin_passcode(const char *name, const char *s, char **ret, TTError *e);
/* Leading and trailing white space off (text, len). */
void lockdata_trim(const char **text, size_t *len);
