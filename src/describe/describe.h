/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Turning a decrypted payload into named fields for ttlock-decode. One file per command family
 * (describe-<family>.c), each built on the matching protocol codec — the tool never parses bytes
 * itself, so what it shows is exactly what the daemon and the simulator understand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "printer.h"
#include "tt-error.h"

/* A family's describer returns 1 if it knows the command, 0 if not (so the dispatcher can try the
 * next family), negative with e set when the payload does not decode. For replies, data/len are
 * what follows [echo][status]. */
typedef int (*DescribeFunc)(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len,
                            TTError *e);

int describe_access(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e);
int describe_pairing(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e);
int describe_info(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e);
int describe_oplog(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e);
int describe_credentials(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len,
                         TTError *e);
int describe_settings(Printer *p, bool reply, uint8_t command, const uint8_t *data, size_t len, TTError *e);

/* Shared field printers. */
struct TTDateTime;
void describe_datetime(Printer *p, const char *key, const struct TTDateTime *t);
struct TTFeatures;
void describe_features(Printer *p, const struct TTFeatures *f);

/* ttlock-decode lockdata: one input of any format lockdata.h reads, every lock in it with its key
 * material hidden unless show_secrets. Negative with e set when the input, or one of its locks, could
 * not be read (the readable ones are printed all the same). */
int describe_lockdata(Printer *p, const char *text, size_t len, bool show_secrets, TTError *e);

/* The fields of describe_plaintext() that carry nothing secret or personal: the command, the outcome,
 * battery, bolt and door, settings, record types and times, counts — never keys, adminPs, unlockKey, the
 * challenge and its sum, passcodes, card numbers, fingerprint ids, key fobs' addresses, user ids, the
 * device information text, or raw bytes. A PrinterFilter (printer.h): with it, everything else is shown
 * as PRINTER_REDACTED, including fields added to the describers later, until they are listed here. */
bool describe_key_is_public(const char *key);

/* Decodes a whole plaintext: the reply envelope (echo, status, error name) and the command's fields
 * under "decoded". Returns 0, or negative with e set. */
int describe_plaintext(Printer *p, bool reply, uint8_t command, const uint8_t *plain, size_t len, TTError *e);
