/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key store's loader (store.h lock_record_from_yaml()): what ttlockd reads from
 * /var/lib/ttlockd/locks/AA_BB_CC_DD_EE_FF.yaml at every start, a file a damaged disk, a bad restore or a
 * hand edit can turn into anything. Whatever the bytes:
 *   - it returns a record or an error, never both, and says why it failed;
 *   - it does not hang or blow up on YAML aliases (a few lines can name a billion nodes): the input is
 *     bounded in events and depth before anything is built;
 *   - an error about a "credentials" value does not quote it (it goes to the journal);
 *   - a record it accepts is written back (lock_record_to_yaml()) to a file that loads again and is
 *     written back to the same bytes: nothing the loader accepts is lost or changed on the next save,
 *     unknown keys included;
 *   - lock_record_describe(), the only way a record reaches a log, depends on no secret: the same record
 *     with other keys, admin passcode and passcode ids is described by the same text. */

#include <stdbool.h>

#include "fuzz.h"
#include "macro.h"
#include "store.h"
#include "string-util.h"

static void check_round_trip(const LockRecord *r) {
        _cleanup_(lock_record_freep) LockRecord *again = NULL;
        _cleanup_free_ char *y1 = NULL, *y2 = NULL, *err = NULL, *desc = NULL, *desc_other = NULL;
        _cleanup_free_ CredentialAlias *aliases = NULL;
        LockRecord other;
        size_t n1 = 0, n2 = 0;
        int q;

        q = lock_record_to_yaml(r, &y1, &n1);
        /* A record parsed from at most STORE_FILE_MAX bytes may still not fit when written (escaping): that
         * is refused, never written in part. */
        if (q == -EFBIG)
                return;
        fuzz_check(q >= 0, "an accepted record cannot be written: %d", q);
        fuzz_check(n1 <= STORE_FILE_MAX, "wrote %zu bytes", n1);
        q = lock_record_from_yaml(y1, n1, &again, &err);
        fuzz_check(q >= 0, "what was written does not load: %s\n%.*s", err ?: "?", (int) n1, y1);
        fuzz_check(streq(again->address, r->address), "address %s became %s", r->address, again->address);
        fuzz_check(
                memcmp(again->aes_key, r->aes_key, sizeof(r->aes_key)) == 0 &&
                        again->admin_ps == r->admin_ps && again->unlock_key == r->unlock_key &&
                        again->lock_flag_pos == r->lock_flag_pos && again->uid == r->uid &&
                        again->provisional == r->provisional,
                "the keys changed on the way");
        fuzz_check(streq_ptr(again->admin_passcode, r->admin_passcode), "the admin passcode changed");
        q = lock_record_to_yaml(again, &y2, &n2);
        fuzz_check(q >= 0, "writing it again failed: %d", q);
        fuzz_check(
                n1 == n2 && memcmp(y1, y2, n1) == 0,
                "written twice, not the same:\n%.*s\n---\n%.*s",
                (int) n1,
                y1,
                (int) n2,
                y2);

        /* The description of the same record with other secrets must be the same text: it depends on no
         * secret at all, not even in part. */
        q = lock_record_describe(r, &desc);
        fuzz_check(q >= 0, "cannot describe an accepted record: %d", q);
        other = *r;
        for (size_t i = 0; i < sizeof(other.aes_key); i++)
                other.aes_key[i] ^= 0xFF;
        other.admin_ps = ~r->admin_ps;
        other.unlock_key = ~r->unlock_key;
        other.admin_passcode = r->admin_passcode ? (char *) "0000" : NULL;
        aliases = calloc(MAX(r->n_credential_aliases, (size_t) 1), sizeof(CredentialAlias));
        if (!aliases)
                return;
        for (size_t i = 0; i < r->n_credential_aliases; i++) {
                aliases[i] = r->credential_aliases[i];
                if (streq_ptr(aliases[i].kind, "passcode"))
                        aliases[i].id = (char *) "0000";
        }
        other.credential_aliases = aliases;
        q = lock_record_describe(&other, &desc_other);
        fuzz_check(
                q >= 0 && streq(desc, desc_other),
                "the description shows a secret:\n%s\n%s",
                desc,
                desc_other ?: "?");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(lock_record_freep) LockRecord *r = NULL;
        _cleanup_free_ char *err = NULL;
        int q;

        /* The loader reads at most this much of a file (store_load()). */
        if (size > STORE_FILE_MAX)
                return 0;
        q = lock_record_from_yaml((const char *) data, size, &r, &err);
        if (q < 0) {
                fuzz_check(!r, "failed (%d) and returned a record", q);
                fuzz_check(q == -EBADMSG || q == -ENOMEM, "failed with %d", q);
                if (q == -EBADMSG) {
                        fuzz_check(err && *err, "failed without saying why");
                        if (startswith(err, "credentials"))
                                fuzz_check(
                                        !strstr(err, "got \"") || strstr(err, "got \"(value not shown)\""),
                                        "a credentials error quotes the value: %s",
                                        err);
                }
                return 0;
        }
        fuzz_check(r, "succeeded without a record");
        fuzz_check(store_address_valid(r->address) >= 0, "accepted address %s", r->address);
        check_round_trip(r);
        return 0;
}
