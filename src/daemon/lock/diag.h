/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The diagnostics bundle (Manager1.GetDiagnostics(), ttlockctl diag; ttlockd(8) "DIAGNOSTICS"): one JSON
 * document a user can attach to a bug report — versions, the configuration's shape, the radios, and for
 * each lock its model, firmware, features, state, connection policy, link health, recent errors and last
 * frames (decoded and redacted, lock/frame-log.h).
 *
 * It never holds keys, adminPs, unlockKey, passcodes, card numbers or fingerprint ids: none of them is
 * ever put in. Redacted (the default), it holds no Bluetooth address either: each address becomes
 * "mac-" and the first 13 hex digits of SHA-256(salt ‖ address), with a salt drawn for this bundle and
 * then forgotten, so that one bundle's hashes match each other but nobody can tell which lock they are
 * or link two bundles; a proxy's host likewise ("host-…"); locks' names (TTLock names end in part of the
 * address) and aliases are left out; and a last pass over the whole text hashes anything that still
 * looks like an address, in whatever message it hides. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.h"

#define DIAG_LOCKS_MAX 128U /* locks in one bundle; name them to see others */
#define DIAG_FORMAT "ttlockd-diagnostics 1"

typedef struct DiagOptions {
        bool redact;
        /* Only these locks (upper-case addresses); n_addresses 0 = every lock. */
        const char *const *addresses;
        size_t n_addresses;
} DiagOptions;

/* The bundle as text (free()); -ENOENT when an address names no lock, -E2BIG over DIAG_LOCKS_MAX named. */
int diag_build(Manager *m, const DiagOptions *o, char **ret);

/* Replaces everything in text that looks like a Bluetooth address (six hex pairs joined by ':', '_' or
 * '-', any case) with the hash of the address it stands for, in place: "mac-" and 13 hex digits are as
 * long as an address. For diag_build() and its tests. */
void diag_scrub_addresses(char *text, const uint8_t *salt, size_t salt_len);
/* prefix ("mac", "host") + "-" + the first 13 hex digits of SHA-256(salt ‖ value). */
#define DIAG_HASH_SIZE 32
void diag_hash(
        const uint8_t *salt,
        size_t salt_len,
        const char *prefix,
        const char *value,
        char ret[DIAG_HASH_SIZE]);
