/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "access.h"
#include "pairing.h"

/* ---- GET_AES_KEY ---- */

void ttlock_get_aes_key_request_encode(TTWriter *w) {
        ttlock_put_vendor(w);
}

int ttlock_get_aes_key_request_decode(const uint8_t *data, size_t len, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        int r;

        r = ttlock_get_vendor(&rd);
        if (r < 0)
                return r;
        return tt_expect_end(&rd, "GET_AES_KEY vendor");
}

void ttlock_get_aes_key_reply_encode(TTWriter *w, const uint8_t key[TTLOCK_AES_KEY_LEN]) {
        tt_put_bytes(w, key, TTLOCK_AES_KEY_LEN);
}

int ttlock_get_aes_key_reply_decode(const uint8_t *data, size_t len, uint8_t ret[TTLOCK_AES_KEY_LEN],
                                    TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        const uint8_t *key;
        int r;

        /* §3.3: the key is plaintext bytes 2…17; the official SDK takes those and nothing else. */
        r = tt_get_bytes(&rd, "AES key", TTLOCK_AES_KEY_LEN, &key);
        if (r < 0)
                return r;

        memcpy(ret, key, TTLOCK_AES_KEY_LEN);
        return 0;
}

/* ---- ADD_ADMIN ---- */

void ttlock_add_admin_request_encode(TTWriter *w, const TTAddAdminRequest *q) {
        tt_put_u32be(w, q->admin_ps);
        tt_put_u32be(w, q->unlock_key);
        ttlock_put_vendor(w);
}

int ttlock_add_admin_request_decode(const uint8_t *data, size_t len, TTAddAdminRequest *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTAddAdminRequest q = {};
        int r;

        r = tt_get_u32be(&rd, "adminPs", &q.admin_ps);
        if (r < 0)
                return r;
        r = tt_get_u32be(&rd, "unlockKey", &q.unlock_key);
        if (r < 0)
                return r;
        r = ttlock_get_vendor(&rd);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "ADD_ADMIN request");
        if (r < 0)
                return r;

        *ret = q;
        return 0;
}

void ttlock_add_admin_reply_encode(TTWriter *w) {
        ttlock_put_vendor(w);
}

int ttlock_add_admin_reply_decode(const uint8_t *data, size_t len, TTError *e) {
        TTReader rd = TT_READER(data, len, e);

        /* An empty reply (L = 0 frame) means "not in setting mode" (§2.4); the caller sees that
         * before us, here it is simply a missing vendor. */
        return ttlock_get_vendor(&rd);
}

/* ---- TIME_CALIBRATE ---- */

int ttlock_time_calibrate_request_encode(TTWriter *w, const TTDateTime *t) {
        return ttlock_put_date6(w, t, "time", /* e= */ NULL);
}

int ttlock_time_calibrate_request_decode(const uint8_t *data, size_t len, TTDateTime *ret, TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTDateTime t;
        int r;

        r = ttlock_get_date6(&rd, "time", &t);
        if (r < 0)
                return r;
        r = tt_expect_end(&rd, "TIME_CALIBRATE time");
        if (r < 0)
                return r;

        *ret = t;
        return 0;
}

/* ---- INIT_PASSWORDS ---- */

int ttlock_init_passwords_request_encode(TTWriter *w, const TTInitPasswordsRequest *q) {
        if (q->year > 99)
                return -EINVAL;
        for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++)
                if (q->entries[i].code > TTLOCK_PASSWORD_CODE_MAX ||
                    q->entries[i].secret > TTLOCK_PASSWORD_SECRET_MAX)
                        return -EINVAL;

        tt_put_u8(w, q->year);
        for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++) {
                const TTPasswordSeed *s = &q->entries[i];

                /* §4.3: byte0 = code >> 4; byte1 = code's low nibble ‖ secret bits 35…32;
                 * bytes 2–5 = secret's low 32 bits, BE. That is code (12 bits) ‖ secret (36 bits)
                 * as one 48-bit big-endian number. */
                tt_put_uint_be(w, (uint64_t) s->code << 36 | s->secret, 6);
        }
        return 0;
}

static int init_passwords_read(TTReader *rd, TTInitPasswordsRequest *q) {
        int r;

        r = tt_get_u8(rd, "year", &q->year);
        if (r < 0)
                return r;
        if (q->year > 99)
                return tt_error(rd->error, -EBADMSG, "year: %u is not a two-digit year", q->year);

        for (size_t i = 0; i < TTLOCK_INIT_PASSWORDS_ENTRIES; i++) {
                TTPasswordSeed *s = &q->entries[i];
                uint64_t v;

                r = tt_get_uint_be(rd, "password seed", 6, &v);
                if (r < 0)
                        return r;
                s->code = (uint16_t) (v >> 36);
                s->secret = v & ((UINT64_C(1) << 36) - 1);
                /* Seeds are secrets of the passcode algorithm: name the entry, not the value. */
                if (s->code > TTLOCK_PASSWORD_CODE_MAX)
                        return tt_error(rd->error, -EBADMSG, "password seed %zu: code above %u", i,
                                        TTLOCK_PASSWORD_CODE_MAX);
                if (s->secret > TTLOCK_PASSWORD_SECRET_MAX)
                        return tt_error(rd->error, -EBADMSG,
                                        "password seed %zu: secret has more than 10 digits", i);
        }
        return tt_expect_end(rd, "INIT_PASSWORDS request");
}

int ttlock_init_passwords_request_decode(const uint8_t *data, size_t len, TTInitPasswordsRequest *ret,
                                         TTError *e) {
        TTReader rd = TT_READER(data, len, e);
        TTInitPasswordsRequest q = {};
        int r;

        r = init_passwords_read(&rd, &q);
        if (r >= 0)
                *ret = q;
        /* The local copy held seeds, complete or not. */
        erase_memory(&q, sizeof(q));
        return r < 0 ? r : 0;
}
