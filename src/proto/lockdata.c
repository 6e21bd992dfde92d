/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "advert.h"
#include "base64.h"
#include "codec.h"
#include "crc.h"
#include "crypto.h"
#include "lockdata-internal.h"
#include "lockdata.h"
#include "string-util.h"
#include "time-util.h"

#define MSEC_PER_DAY INT64_C(86400000)
/* The MAC text "AA:BB:CC:DD:EE:FF" without its 10th character is the AES key (doc/lockdata.md). */
#define MAC_KEY_SKIP 9
#define MAC_SIZE 6
/* adminPwd and lockKey are the decimal digits of a uint32: at most 10 (DigitUtil.generateDynamicPassword).
 */
#define SECRET_DIGITS_MAX 10
/* An encoded field is base64("n1,n2,…") of at most PASSCODE_MAX + 1 signed bytes: "-128," each. */
#define SECRET_FIELD_MAX 128

TTLockData *ttlock_lockdata_new(void) {
        TTLockData *d = calloc(1, sizeof(TTLockData));

        if (!d)
                return NULL;
        d->battery = -1;
        return d;
}

static void free_secret_string(char **p) {
        if (*p)
                erase_memory(*p, strlen(*p));
        *p = mfree(*p);
}

TTLockData *ttlock_lockdata_free(TTLockData *d) {
        if (!d)
                return NULL;
        free_secret_string(&d->admin_passcode);
        free(d->name);
        free(d->alias);
        free(d->model);
        free(d->hardware_revision);
        free(d->firmware_revision);
        erase_memory(d, sizeof(*d));
        free(d);
        return NULL;
}

static int dup_string(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

TTLockData *ttlock_lockdata_dup(const TTLockData *d) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *c = NULL;

        c = malloc(sizeof(TTLockData));
        if (!c)
                return NULL;
        *c = *d;
        c->name = c->alias = c->admin_passcode = c->model = c->hardware_revision = c->firmware_revision =
                NULL;
        if (dup_string(d->name, &c->name) < 0 || dup_string(d->alias, &c->alias) < 0 ||
            dup_string(d->admin_passcode, &c->admin_passcode) < 0 || dup_string(d->model, &c->model) < 0 ||
            dup_string(d->hardware_revision, &c->hardware_revision) < 0 ||
            dup_string(d->firmware_revision, &c->firmware_revision) < 0)
                return NULL;
        return TAKE_PTR(c);
}

const char *ttlock_lockdata_format_to_string(TTLockDataFormat f) {
        static const char *const names[_TTLOCK_LOCKDATA_FORMAT_MAX] = {
                [TTLOCK_LOCKDATA_FORMAT_UNKNOWN] = "unknown",
                [TTLOCK_LOCKDATA_FORMAT_STRING] = "lockdata-string",
                [TTLOCK_LOCKDATA_FORMAT_JSON] = "lockdata-json",
                [TTLOCK_LOCKDATA_FORMAT_ADDON] = "addon-json",
                [TTLOCK_LOCKDATA_FORMAT_EXPORT] = "ttlockd-export",
        };

        return f >= 0 && f < _TTLOCK_LOCKDATA_FORMAT_MAX ? names[f] : NULL;
}

const char *ttlock_lockdata_role_to_string(TTLockDataRole r) {
        static const char *const names[_TTLOCK_ROLE_MAX] = {
                [TTLOCK_ROLE_ADMIN] = "admin",
                [TTLOCK_ROLE_USER] = "user",
        };

        return r >= 0 && r < _TTLOCK_ROLE_MAX ? names[r] : NULL;
}

bool ttlock_lockdata_valid_at(const TTLockData *d, uint64_t now_usec) {
        if (d->start_usec == 0 && d->end_usec == 0)
                return true;
        return now_usec >= d->start_usec && now_usec < d->end_usec;
}

void ttlock_lockdata_text_free(char *s) {
        if (!s)
                return;
        erase_memory(s, strlen(s));
        free(s);
}

static void text_freep(char **p) {
        ttlock_lockdata_text_free(*p);
}
#define _cleanup_text_ _cleanup_(text_freep)

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* ---- adminPwd / lockKey / noKeyPwd ---- */

int ttlock_lockdata_secret_decode(const char *field, char *out, size_t out_size, TTError *e) {
        char list[SECRET_FIELD_MAX + 1];
        uint8_t enc[SECRET_FIELD_MAX], plain[SECRET_FIELD_MAX];
        size_t len, n_enc = 0;
        int n, r;

        assert(field);
        assert(out);

        len = strlen(field);
        if (len == 0)
                return tt_error(e, -EBADMSG, "empty");
        /* The SDK decodes only fields longer than 10 characters (CommandUtil.A_checkAdmin): shorter
         * digit strings are the value itself. */
        if (len <= SECRET_DIGITS_MAX && all_digits(field, len)) {
                if (out_size <= len)
                        return tt_error(e, -ENOBUFS, "%zu digits do not fit", len);
                memcpy(out, field, len + 1);
                return 0;
        }
        if (len > SECRET_FIELD_MAX * 4 / 3 + 4)
                return tt_error(e, -EBADMSG, "%zu characters, longer than any encoded code", len);

        n = base64_decode(field, len, (uint8_t *) list, SECRET_FIELD_MAX);
        if (n < 0) {
                r = tt_error(e, -EBADMSG, "neither digits nor base64");
                goto finish;
        }
        list[n] = 0;

        /* "n1,n2,…": Java's signed bytes in decimal, -128…127 (DigitUtil.byteArrayToStringDividerByDot). */
        for (char *p = list;;) {
                char *end;
                long v;

                if (!(*p == '-' || (*p >= '0' && *p <= '9'))) {
                        r = tt_error(e, -EBADMSG, "base64 of something other than comma-separated numbers");
                        goto finish;
                }
                errno = 0;
                v = strtol(p, &end, 10);
                if (errno != 0 || end == p || v < -128 || v > 255) {
                        r = tt_error(e, -EBADMSG, "encoded byte out of range");
                        goto finish;
                }
                if (n_enc >= sizeof(enc)) {
                        r = tt_error(e, -EBADMSG, "too many encoded bytes");
                        goto finish;
                }
                enc[n_enc++] = (uint8_t) v;
                if (*end == 0)
                        break;
                if (*end != ',') {
                        r = tt_error(e, -EBADMSG, "base64 of something other than comma-separated numbers");
                        goto finish;
                }
                p = end + 1;
        }
        if (n_enc < 2) {
                r = tt_error(e, -EBADMSG, "encoded value has no digits");
                goto finish;
        }

        n = ttlock_codec_decode(enc, n_enc, plain, sizeof(plain));
        if (n < 0) {
                r = tt_error(e, n, "cannot decode");
                goto finish;
        }
        if (!all_digits((const char *) plain, (size_t) n)) {
                /* What a wrong table or a damaged field gives: not the digits the SDK encodes. */
                r = tt_error(e, -EBADMSG, "does not decode to decimal digits");
                goto finish;
        }
        if (out_size <= (size_t) n) {
                r = tt_error(e, -ENOBUFS, "%d digits do not fit", n);
                goto finish;
        }
        memcpy(out, plain, (size_t) n);
        out[n] = 0;
        r = 0;

finish:
        erase_memory(list, sizeof(list));
        erase_memory(enc, sizeof(enc));
        erase_memory(plain, sizeof(plain));
        return r;
}

int ttlock_lockdata_secret_encode(const char *digits, uint8_t seed, char **ret, TTError *e) {
        uint8_t enc[SECRET_FIELD_MAX];
        char list[SECRET_FIELD_MAX * 5];
        size_t n, pos = 0;
        char *b64 = NULL;
        int k, r;

        assert(digits);
        assert(ret);

        n = strlen(digits);
        if (!all_digits(digits, n) || n > TTLOCK_LOCKDATA_PASSCODE_MAX)
                return tt_error(e, -EINVAL, "not 1–%d decimal digits", TTLOCK_LOCKDATA_PASSCODE_MAX);

        k = ttlock_codec_encode((const uint8_t *) digits, n, seed, enc, sizeof(enc));
        if (k < 0)
                return tt_error(e, k, "cannot encode");
        for (int i = 0; i < k; i++)
                /* Java prints bytes signed. */
                pos += (size_t) snprintf(
                        list + pos, sizeof(list) - pos, "%s%d", i > 0 ? "," : "", (int8_t) enc[i]);

        b64 = malloc(base64_encoded_size(pos));
        if (!b64) {
                r = tt_error(e, -ENOMEM, "out of memory");
                goto finish;
        }
        (void) base64_encode((const uint8_t *) list, pos, b64);
        *ret = b64;
        r = 0;

finish:
        erase_memory(enc, sizeof(enc));
        erase_memory(list, sizeof(list));
        return r;
}

/* Deterministic seeds, so that the encoder's output is reproducible; any 1…127 is what the SDK
 * might have drawn. */
static uint8_t seed_for(const char *digits) {
        return (uint8_t) (TTLOCK_CODEC_SEED_MIN + ttlock_crc8((const uint8_t *) digits, strlen(digits)) % TTLOCK_CODEC_SEED_MAX);
}

/* ---- the outer layer ---- */

static bool address_is_canonical(const char *s) {
        uint8_t a[6];
        char back[TTLOCK_LOCKDATA_ADDRESS_SIZE];

        if (ttlock_address_from_string(s, a) < 0)
                return false;
        return streq(ttlock_address_to_string(a, back), s);
}

/* LockData.encodeLockData: (lockMac.substring(0, 9) + lockMac.substring(10)).getBytes(). */
static void key_from_address(const char *address, uint8_t key[TTLOCK_KEY_SIZE]) {
        memcpy(key, address, MAC_KEY_SKIP);
        memcpy(key + MAC_KEY_SKIP, address + MAC_KEY_SKIP + 1, TTLOCK_KEY_SIZE - MAC_KEY_SKIP);
}

void lockdata_trim(const char **text, size_t *len) {
        while (*len > 0 && strchr(" \t\r\n\f\v", (*text)[0]) && (*text)[0])
                (*text)++, (*len)--;
        while (*len > 0 && strchr(" \t\r\n\f\v", (*text)[*len - 1]) && (*text)[*len - 1])
                (*len)--;
}

int ttlock_lockdata_unwrap(
        const char *text,
        size_t len,
        char **ret_json,
        size_t *ret_len,
        char ret_address[TTLOCK_LOCKDATA_ADDRESS_SIZE],
        TTError *e) {
        _cleanup_free_ uint8_t *bytes = NULL;
        _cleanup_free_ char *plain = NULL;
        uint8_t key[TTLOCK_KEY_SIZE];
        char address[TTLOCK_LOCKDATA_ADDRESS_SIZE];
        size_t cipher_len, plain_len = 0, size;
        int n, r;

        assert(text || len == 0);
        assert(ret_json);

        lockdata_trim(&text, &len);
        if (len == 0)
                return tt_error(e, -EBADMSG, "empty lockData");
        if (len > TTLOCK_LOCKDATA_STRING_MAX)
                return tt_error(
                        e,
                        -E2BIG,
                        "lockData of %zu characters is longer than the %u accepted",
                        len,
                        TTLOCK_LOCKDATA_STRING_MAX);

        size = base64_decoded_max(len);
        bytes = malloc(size);
        if (!bytes)
                return tt_error(e, -ENOMEM, "out of memory");
        n = base64_decode(text, len, bytes, size);
        if (n < 0)
                return tt_error(e, -EBADMSG, "lockData is not base64 (a damaged or incomplete copy?)");
        if ((size_t) n < MAC_SIZE + TTLOCK_AES_BLOCK)
                return tt_error(
                        e,
                        -EBADMSG,
                        "lockData of %d bytes is too short: one AES block and the 6-byte MAC are %d",
                        n,
                        MAC_SIZE + TTLOCK_AES_BLOCK);
        cipher_len = (size_t) n - MAC_SIZE;
        if (cipher_len % TTLOCK_AES_BLOCK != 0)
                return tt_error(
                        e,
                        -EBADMSG,
                        "lockData truncated: the %zu bytes before the MAC are not whole 16-byte AES blocks",
                        cipher_len);

        (void) ttlock_address_to_string(bytes + cipher_len, address);
        key_from_address(address, key);

        plain = malloc(cipher_len + 1);
        if (!plain) {
                r = tt_error(e, -ENOMEM, "out of memory");
                goto finish;
        }
        r = ttlock_aes_decrypt(key, bytes, cipher_len, (uint8_t *) plain, cipher_len, &plain_len, NULL);
        if (r < 0) {
                r = tt_error(
                        e,
                        -EBADMSG,
                        "lockData does not decrypt with the key of its MAC suffix %s: bad padding (a "
                        "damaged "
                        "copy, or the MAC bytes were changed)",
                        address);
                goto finish;
        }
        if (memchr(plain, 0, plain_len)) {
                r = tt_error(e, -EBADMSG, "decrypted lockData contains a NUL byte: not JSON text");
                goto finish;
        }
        plain[plain_len] = 0;

        *ret_json = TAKE_PTR(plain);
        if (ret_len)
                *ret_len = plain_len;
        if (ret_address)
                memcpy(ret_address, address, sizeof(address));
        r = 0;

finish:
        erase_memory(key, sizeof(key));
        erase_memory(bytes, size);
        if (plain)
                erase_memory(plain, cipher_len + 1);
        return r;
}

int ttlock_lockdata_wrap(const char *json, size_t len, const char *address, char **ret, TTError *e) {
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t key[TTLOCK_KEY_SIZE], mac[MAC_SIZE];
        size_t size, cipher_len = 0;
        char *out;
        int r;

        assert(json);
        assert(address);
        assert(ret);

        if (!address_is_canonical(address))
                return tt_error(
                        e, -EINVAL, "address \"%s\" is not AA:BB:CC:DD:EE:FF in upper case", address);
        if (len == 0 || len > TTLOCK_LOCKDATA_STRING_MAX)
                return tt_error(e, -EINVAL, "JSON of %zu bytes cannot be wrapped", len);
        (void) ttlock_address_from_string(address, mac);
        key_from_address(address, key);

        size = len + TTLOCK_AES_BLOCK + MAC_SIZE;
        buf = malloc(size);
        if (!buf) {
                r = tt_error(e, -ENOMEM, "out of memory");
                goto finish;
        }
        r = ttlock_aes_encrypt(key, (const uint8_t *) json, len, buf, size - MAC_SIZE, &cipher_len, e);
        if (r < 0)
                goto finish;
        memcpy(buf + cipher_len, mac, MAC_SIZE);

        out = malloc(base64_encoded_size(cipher_len + MAC_SIZE));
        if (!out) {
                r = tt_error(e, -ENOMEM, "out of memory");
                goto finish;
        }
        (void) base64_encode(buf, cipher_len + MAC_SIZE, out);
        *ret = out;
        r = 0;

finish:
        erase_memory(key, sizeof(key));
        if (buf)
                erase_memory(buf, size);
        return r;
}

/* ---- JSON ---- */

static void wipe_json(struct json_object *o, unsigned depth) {
        if (!o || depth > TTLOCK_LOCKDATA_JSON_DEPTH + 1)
                return;
        switch (json_object_get_type(o)) {
        case json_type_string:
                /* The tree is ours alone: clear the bytes json-c keeps before it frees them. */
                erase_memory((char *) json_object_get_string(o), (size_t) json_object_get_string_len(o));
                break;
        case json_type_object: {
                json_object_object_foreach(o, key, value) {
                        (void) key;
                        wipe_json(value, depth + 1);
                }
                break;
        }
        case json_type_array:
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        wipe_json(json_object_array_get_idx(o, i), depth + 1);
                break;
        default:
                break;
        }
}

void ttlock_lockdata_json_free(struct json_object *o) {
        if (!o)
                return;
        wipe_json(o, 0);
        json_object_put(o);
}

/* The tokener keeps the last strings it read in a scratch buffer that json-c frees without
 * clearing. Reading a string of blanks as long as the input through the same tokener overwrites
 * whatever of the input is left there. */
static void scrub_tokener(struct json_tokener *tok, size_t len) {
        _cleanup_free_ char *blank = NULL;
        struct json_object *o;

        blank = malloc(len + 3);
        if (!blank)
                return;
        blank[0] = '"';
        memset(blank + 1, ' ', len);
        blank[len + 1] = '"';
        blank[len + 2] = 0;
        json_tokener_reset(tok);
        o = json_tokener_parse_ex(tok, blank, (int) len + 2);
        json_object_put(o);
}

int ttlock_lockdata_json_parse(const char *text, size_t len, struct json_object **ret, TTError *e) {
        struct json_tokener *tok;
        struct json_object *o;
        enum json_tokener_error jerr;
        size_t end;
        int r;

        assert(text || len == 0);
        assert(ret);

        if (len > TTLOCK_LOCKDATA_INPUT_MAX)
                return tt_error(
                        e,
                        -E2BIG,
                        "JSON of %zu bytes is larger than the %u accepted",
                        len,
                        TTLOCK_LOCKDATA_INPUT_MAX);
        if (len == 0)
                return tt_error(e, -EBADMSG, "empty JSON");
        if (memchr(text, 0, len))
                return tt_error(e, -EBADMSG, "JSON text contains a NUL byte");

        tok = json_tokener_new_ex(TTLOCK_LOCKDATA_JSON_DEPTH);
        if (!tok)
                return tt_error(e, -ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);

        o = json_tokener_parse_ex(tok, text, (int) len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (!o) {
                if (jerr == json_tokener_error_depth)
                        r = tt_error(
                                e,
                                -EBADMSG,
                                "JSON nested deeper than %d levels",
                                TTLOCK_LOCKDATA_JSON_DEPTH);
                else if (jerr == json_tokener_continue || jerr == json_tokener_success)
                        r = tt_error(e, -EBADMSG, "JSON ends early (truncated?)");
                else
                        r = tt_error(
                                e,
                                -EBADMSG,
                                "not valid JSON at byte %zu: %s",
                                end,
                                json_tokener_error_desc(jerr));
                goto finish;
        }
        for (size_t i = end; i < len; i++)
                if (!strchr(" \t\r\n", text[i])) {
                        ttlock_lockdata_json_free(o);
                        r = tt_error(e, -EBADMSG, "more after the JSON value, at byte %zu", i);
                        goto finish;
                }
        *ret = o;
        r = 0;

finish:
        scrub_tokener(tok, len);
        json_tokener_free(tok);
        return r;
}

bool ttlock_lockdata_field_is_secret(const char *name) {
        static const char *const secret[] = {
                /* lockData / cloud */
                "aesKeyStr",
                "adminPwd",
                "lockKey",
                "noKeyPwd",
                "deletePwd",
                "pwdInfo",
                "lockData",
                /* the add-on's lockData.json (privateData) */
                "aesKey",
                "adminPs",
                "unlockKey",
                "adminPasscode",
        };

        for (size_t i = 0; i < ELEMENTSOF(secret); i++)
                if (streq(name, secret[i]))
                        return true;
        return false;
}

/* JSON null counts as absent: Gson leaves nulls out, but the cloud and JavaScript write them. */
struct json_object *lockdata_json_member(struct json_object *o, const char *name) {
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, name, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

const char *lockdata_json_type_name(struct json_object *v) {
        return json_type_to_name(json_object_get_type(v));
}

/* A string member: NULL = absent. Bounded, no control characters. */
int lockdata_json_get_string(
        struct json_object *o, const char *name, size_t max, const char **ret, TTError *e) {
        struct json_object *v = lockdata_json_member(o, name);
        const char *s;
        int n;

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return tt_error(
                        e, -EBADMSG, "%s: expected a string, got %s", name, lockdata_json_type_name(v));
        s = json_object_get_string(v);
        n = json_object_get_string_len(v);
        if ((size_t) n > max)
                return tt_error(e, -EBADMSG, "%s: %d characters, more than the %zu accepted", name, n, max);
        for (int i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return tt_error(e, -EBADMSG, "%s: contains a control character", name);
        *ret = s;
        return 1;
}

/* A whole number, as a JSON number or a decimal string (the cloud writes userType "110301"). */
int lockdata_json_get_int(
        struct json_object *o, const char *name, int64_t min, int64_t max, int64_t *ret, TTError *e) {
        struct json_object *v = lockdata_json_member(o, name);
        int64_t x;

        if (!v)
                return 0;
        if (json_object_is_type(v, json_type_int)) {
                errno = 0;
                x = json_object_get_int64(v);
                /* json-c clamps what does not fit an int64 and says so in errno. */
                if (errno != 0 || x == INT64_MAX)
                        return tt_error(e, -EBADMSG, "%s: number out of range", name);
        } else if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                char *end = NULL;

                if (!((s[0] == '-' && s[1] >= '0' && s[1] <= '9') || (s[0] >= '0' && s[0] <= '9')))
                        return tt_error(
                                e,
                                -EBADMSG,
                                "%s: \"%.20s\" is not a whole number",
                                name,
                                ttlock_lockdata_field_is_secret(name) ? "…" : s);
                errno = 0;
                x = strtoll(s, &end, 10);
                if (errno != 0 || *end != 0)
                        return tt_error(e, -EBADMSG, "%s: not a whole number in range", name);
        } else
                return tt_error(
                        e,
                        -EBADMSG,
                        "%s: expected a whole number, got %s",
                        name,
                        lockdata_json_type_name(v));

        if (x < min || x > max) {
                if (ttlock_lockdata_field_is_secret(name))
                        return tt_error(e, -EBADMSG, "%s: outside %" PRId64 "…%" PRId64, name, min, max);
                return tt_error(
                        e, -EBADMSG, "%s: %" PRId64 " is outside %" PRId64 "…%" PRId64, name, x, min, max);
        }
        *ret = x;
        return 1;
}

static int set_text(char **field, const char *s, TTError *e) {
        char *c = strdup(s);

        if (!c)
                return tt_error(e, -ENOMEM, "out of memory");
        free(*field);
        *field = c;
        return 0;
}

int lockdata_parse_aes_key(const char *name, const char *s, uint8_t key[TTLOCK_KEY_SIZE], TTError *e) {
        size_t len = strlen(s), n = 0;

        /* aesKeyStr is "8a,df,…" (DigitUtil.encodeAesKey); the add-on writes 32 hex digits. */
        if (len == 2 * TTLOCK_KEY_SIZE && !strchr(s, ',')) {
                for (size_t i = 0; i < TTLOCK_KEY_SIZE; i++) {
                        unsigned v;
                        char pair[3] = { s[2 * i], s[2 * i + 1], 0 };

                        if (!isxdigit((unsigned char) pair[0]) || !isxdigit((unsigned char) pair[1]))
                                goto bad;
                        (void) sscanf(pair, "%2x", &v);
                        key[i] = (uint8_t) v;
                }
                return 0;
        }
        for (const char *p = s;;) {
                size_t digits = strspn(p, "0123456789abcdefABCDEF");
                unsigned v = 0;

                if (digits < 1 || digits > 2 || n >= TTLOCK_KEY_SIZE)
                        goto bad;
                for (size_t i = 0; i < digits; i++)
                        v = v * 16 +
                                (unsigned) (isdigit((unsigned char) p[i]) ? p[i] - '0' : (tolower((unsigned char) p[i]) - 'a' + 10));
                key[n++] = (uint8_t) v;
                p += digits;
                if (*p == 0)
                        break;
                if (*p != ',')
                        goto bad;
                p++;
        }
        if (n == TTLOCK_KEY_SIZE)
                return 0;
bad:
        erase_memory(key, TTLOCK_KEY_SIZE);
        return tt_error(e, -EBADMSG, "%s: not 16 bytes of hex (\"8a,df,…\" or 32 digits)", name);
}

/* A digit string that is a uint32 (adminPs, unlockKey). */
static int parse_u32_digits(const char *name, const char *digits, uint32_t *ret, TTError *e) {
        uint64_t v = 0;
        size_t n = strlen(digits);

        if (n == 0 || n > SECRET_DIGITS_MAX)
                return tt_error(e, -EBADMSG, "%s: %zu digits, expected 1–%d", name, n, SECRET_DIGITS_MAX);
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (uint64_t) (digits[i] - '0');
        if (v > UINT32_MAX)
                return tt_error(e, -EBADMSG, "%s: does not fit in 32 bits", name);
        *ret = (uint32_t) v;
        return 0;
}

static int
get_secret_u32(struct json_object *o, const char *name, bool *ret_has, uint32_t *ret, TTError *e) {
        char digits[TTLOCK_LOCKDATA_PASSCODE_MAX + 1];
        TTError inner = {};
        const char *s;
        int r;

        *ret_has = false;
        r = lockdata_json_get_string(o, name, SECRET_FIELD_MAX * 2, &s, e);
        if (r <= 0 || isempty(s))
                return r < 0 ? r : 0;
        r = ttlock_lockdata_secret_decode(s, digits, sizeof(digits), &inner);
        if (r < 0)
                return tt_error(e, -EBADMSG, "%s: %s", name, tt_error_message(&inner));
        r = parse_u32_digits(name, digits, ret, e);
        erase_memory(digits, sizeof(digits));
        if (r < 0)
                return r;
        *ret_has = true;
        return 0;
}

static int parse_features_hex(const char *s, TTFeatures *ret, TTError *e) {
        size_t n = strlen(s);
        TTFeatures f = {};

        /* featureValue: a hexadecimal number, bit n = feature n (the Open Platform's "Description of
         * Feature Value", BigInteger.testBit; DigitUtil.convertToFeatureValue writes the reply's
         * 4-byte groups highest first). */
        if (n == 0 || n > TTLOCK_FEATURE_GROUPS_MAX * 8)
                return tt_error(
                        e,
                        -EBADMSG,
                        "featureValue: %zu hex digits, expected 1–%d",
                        n,
                        TTLOCK_FEATURE_GROUPS_MAX * 8);
        for (size_t i = 0; i < n; i++) {
                char c = s[n - 1 - i];
                unsigned v;

                if (!isxdigit((unsigned char) c))
                        return tt_error(e, -EBADMSG, "featureValue: not hexadecimal");
                v = (unsigned) (isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10);
                for (unsigned b = 0; b < 4; b++)
                        if (v & (1U << b))
                                ttlock_features_set(&f, (unsigned) (4 * i + b));
        }
        if (f.n_groups == 0)
                f.n_groups = 1; /* "0": a lock without features still has group 0 */
        *ret = f;
        return 0;
}

static int parse_version_object(struct json_object *v, TTLockData *d, TTError *e) {
        int64_t x;
        int r;

        /* LockVersion (Gson): protocolType, protocolVersion, scene, groupId, orgId. */
        r = lockdata_json_get_int(v, "protocolType", 0, UINT8_MAX, &x, e);
        if (r <= 0)
                return r < 0 ? r : tt_error(e, -EBADMSG, "lockVersion: no protocolType");
        d->protocol_type = (uint8_t) x;
        r = lockdata_json_get_int(v, "protocolVersion", 0, UINT8_MAX, &x, e);
        if (r <= 0)
                return r < 0 ? r : tt_error(e, -EBADMSG, "lockVersion: no protocolVersion");
        d->protocol_version = (uint8_t) x;
        d->scene = 0;
        d->group_id = d->org_id = 0;
        r = lockdata_json_get_int(v, "scene", 0, UINT8_MAX, &x, e);
        if (r < 0)
                return r;
        if (r > 0)
                d->scene = (uint8_t) x;
        r = lockdata_json_get_int(v, "groupId", 0, UINT16_MAX, &x, e);
        if (r < 0)
                return r;
        if (r > 0)
                d->group_id = (uint16_t) x;
        r = lockdata_json_get_int(v, "orgId", 0, UINT16_MAX, &x, e);
        if (r < 0)
                return r;
        if (r > 0)
                d->org_id = (uint16_t) x;
        d->has_version = true;
        return 0;
}

static int parse_version(struct json_object *o, TTLockData *d, TTError *e) {
        struct json_object *v = lockdata_json_member(o, "lockVersion"), *parsed = NULL;
        TTError inner = {};
        int r;

        if (!v)
                return 0;
        if (json_object_is_type(v, json_type_object))
                return parse_version_object(v, d, e);
        if (!json_object_is_type(v, json_type_string))
                return tt_error(
                        e, -EBADMSG, "lockVersion: expected an object, got %s", lockdata_json_type_name(v));
        /* Older SDK releases kept lockVersion as JSON text (the commented-out String field of
         * LockData, TTLockAPI's "lockVersion (json format)"). */
        r = ttlock_lockdata_json_parse(
                json_object_get_string(v), (size_t) json_object_get_string_len(v), &parsed, &inner);
        if (r < 0)
                return tt_error(e, -EBADMSG, "lockVersion: %s", tt_error_message(&inner));
        if (!json_object_is_type(parsed, json_type_object))
                r = tt_error(
                        e,
                        -EBADMSG,
                        "lockVersion: expected an object, got %s",
                        lockdata_json_type_name(parsed));
        else
                r = parse_version_object(parsed, d, e);
        ttlock_lockdata_json_free(parsed);
        return r;
}

/* Fields that describe the lock or the key without being key material; with fill_only, a field
 * already known (from the lockData a cloud object carries) is kept. */
static int parse_description(struct json_object *o, TTLockData *d, bool fill_only, TTError *e) {
        const char *s;
        int64_t x;
        int r;

        r = lockdata_json_get_string(o, "lockName", TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s) && !(fill_only && d->name) && set_text(&d->name, s, e) < 0)
                return -ENOMEM;
        r = lockdata_json_get_string(o, "lockAlias", TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s) && !(fill_only && d->alias) && set_text(&d->alias, s, e) < 0)
                return -ENOMEM;
        r = lockdata_json_get_string(o, "modelNum", TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s) && !(fill_only && d->model) && set_text(&d->model, s, e) < 0)
                return -ENOMEM;
        r = lockdata_json_get_string(o, "hardwareRevision", TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s) && !(fill_only && d->hardware_revision) &&
            set_text(&d->hardware_revision, s, e) < 0)
                return -ENOMEM;
        r = lockdata_json_get_string(o, "firmwareRevision", TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s) && !(fill_only && d->firmware_revision) &&
            set_text(&d->firmware_revision, s, e) < 0)
                return -ENOMEM;

        if (!(fill_only && d->has_version)) {
                r = parse_version(o, d, e);
                if (r < 0)
                        return r;
        }

        if (!(fill_only && d->has_features)) {
                r = lockdata_json_get_string(o, "featureValue", TTLOCK_FEATURE_GROUPS_MAX * 8 + 1, &s, e);
                if (r < 0)
                        return r;
                if (r > 0) {
                        r = parse_features_hex(s, &d->features, e);
                        if (r < 0)
                                return r;
                        d->has_features = true;
                } else {
                        /* specialValue is feature group 0 as a Java int (negative when bit 31 is set). */
                        r = lockdata_json_get_int(o, "specialValue", INT32_MIN, UINT32_MAX, &x, e);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                d->features = (TTFeatures){ .groups = { (uint32_t) x }, .n_groups = 1 };
                                d->has_features = true;
                        }
                }
        }

        if (!(fill_only && d->has_timezone_offset)) {
                r = lockdata_json_get_int(o, "timezoneRawOffset", -MSEC_PER_DAY, MSEC_PER_DAY, &x, e);
                if (r < 0)
                        return r;
                if (r > 0) {
                        d->timezone_offset_ms = x;
                        d->has_timezone_offset = true;
                }
        }

        if (!(fill_only && d->battery >= 0)) {
                r = lockdata_json_get_int(o, "electricQuantity", -1, 100, &x, e);
                if (r < 0)
                        return r;
                if (r > 0)
                        d->battery = (int) x;
        }

        if (!(fill_only && d->user_type != 0)) {
                r = lockdata_json_get_int(o, "userType", 0, INT32_MAX, &x, e);
                if (r < 0)
                        return r;
                if (r > 0 && x != 0 && x != TTLOCK_USER_TYPE_ADMIN && x != TTLOCK_USER_TYPE_EKEY)
                        return tt_error(
                                e,
                                -EBADMSG,
                                "userType: %" PRId64 " is neither %d (admin) nor %d (eKey)",
                                x,
                                TTLOCK_USER_TYPE_ADMIN,
                                TTLOCK_USER_TYPE_EKEY);
                if (r > 0)
                        d->user_type = (uint32_t) x;
        }

        if (!(fill_only && (d->start_usec != 0 || d->end_usec != 0))) {
                int64_t start = 0, end = 0;

                r = lockdata_json_get_int(o, "startDate", 0, INT64_MAX / 1000, &start, e);
                if (r < 0)
                        return r;
                r = lockdata_json_get_int(o, "endDate", 0, INT64_MAX / 1000, &end, e);
                if (r < 0)
                        return r;
                /* Either one 0 means a permanent key (CommandUtil.U_checkUserTime). */
                if (start == 0 || end == 0)
                        start = end = 0;
                else if (end <= start)
                        return tt_error(
                                e,
                                -EBADMSG,
                                "endDate %" PRId64 " is not after startDate %" PRId64,
                                end,
                                start);
                d->start_usec = (uint64_t) start * USEC_PER_MSEC;
                d->end_usec = (uint64_t) end * USEC_PER_MSEC;
        }
        return 0;
}

int lockdata_json_get_address(
        struct json_object *o, const char *name, char address[TTLOCK_LOCKDATA_ADDRESS_SIZE], TTError *e) {
        uint8_t a[6];
        const char *s;
        int r;

        r = lockdata_json_get_string(o, name, TTLOCK_LOCKDATA_TEXT_MAX, &s, e);
        if (r <= 0)
                return r;
        if (ttlock_address_from_string(s, a) < 0)
                return tt_error(e, -EBADMSG, "%s: \"%s\" is not an address AA:BB:CC:DD:EE:FF", name, s);
        (void) ttlock_address_to_string(a, address);
        return 1;
}

int lockdata_parse_admin_passcode(const char *name, const char *s, char **ret, TTError *e) {
        char digits[TTLOCK_LOCKDATA_PASSCODE_MAX + 1];
        TTError inner = {};
        size_t n = strlen(s);
        int r;

        /* The SDK stores noKeyPwd as plain digits (BluetoothImpl.getLockInfoObj); some apps encode it
         * like adminPwd ([RR] tests/test_crypto.py). */
        if (n <= TTLOCK_LOCKDATA_PASSCODE_MAX && all_digits(s, n))
                memcpy(digits, s, n + 1);
        else {
                r = ttlock_lockdata_secret_decode(s, digits, sizeof(digits), &inner);
                if (r < 0)
                        return tt_error(e, -EBADMSG, "%s: %s", name, tt_error_message(&inner));
        }
        *ret = strdup(digits);
        erase_memory(digits, sizeof(digits));
        return *ret ? 0 : tt_error(e, -ENOMEM, "out of memory");
}

/* The key material of a lockData object, and the role it gives. */
static int parse_keys(struct json_object *o, TTLockData *d, TTError *e) {
        const char *s;
        int64_t x;
        int r;

        r = lockdata_json_get_string(o, "aesKeyStr", SECRET_FIELD_MAX, &s, e);
        if (r < 0)
                return r;
        if (r == 0 || isempty(s))
                return tt_error(e, -EBADMSG, "no aesKeyStr: not the lockData of a paired lock");
        r = lockdata_parse_aes_key("aesKeyStr", s, d->aes_key, e);
        if (r < 0)
                return r;

        bool has_unlock_key;
        r = get_secret_u32(o, "lockKey", &has_unlock_key, &d->unlock_key, e);
        if (r < 0)
                return r;
        if (!has_unlock_key)
                return tt_error(e, -EBADMSG, "no lockKey: the lock cannot be opened with this lockData");
        r = get_secret_u32(o, "adminPwd", &d->has_admin_ps, &d->admin_ps, e);
        if (r < 0)
                return r;

        r = lockdata_json_get_string(o, "noKeyPwd", SECRET_FIELD_MAX * 2, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s)) {
                r = lockdata_parse_admin_passcode("noKeyPwd", s, &d->admin_passcode, e);
                if (r < 0)
                        return r;
        }

        r = lockdata_json_get_int(o, "lockFlagPos", 0, TTLOCK_LOCK_FLAG_POS_MAX, &x, e);
        if (r < 0)
                return r;
        d->lock_flag_pos = r > 0 ? (uint32_t) x : 0;
        /* A Java int on the wire as 4 bytes (CommandUtil_V3.checkAdmin): negative values are possible. */
        r = lockdata_json_get_int(o, "uid", INT32_MIN, UINT32_MAX, &x, e);
        if (r < 0)
                return r;
        d->uid = r > 0 ? (uint32_t) x : 0;
        return 0;
}

/* Role: what the keys can prove. adminPwd is what CHECK_ADMIN needs, and only an admin's lockData
 * (or an eKey the admin authorised) carries it (LockData: "admin code, which only belongs to the
 * admin ekey"). */
static int settle_role(TTLockData *d, TTError *e) {
        if (d->user_type == TTLOCK_USER_TYPE_ADMIN && !d->has_admin_ps)
                return tt_error(e, -EBADMSG, "userType %d (admin) without adminPwd", TTLOCK_USER_TYPE_ADMIN);
        d->role = d->has_admin_ps ? TTLOCK_ROLE_ADMIN : TTLOCK_ROLE_USER;
        return 0;
}

static int
from_json_impl(struct json_object *o, const char *sealed_address, bool inner, TTLockData **ret, TTError *e) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;
        struct json_object *blob;
        char mac[TTLOCK_LOCKDATA_ADDRESS_SIZE];
        int r;

        if (!json_object_is_type(o, json_type_object))
                return tt_error(e, -EBADMSG, "expected a JSON object, got %s", lockdata_json_type_name(o));

        blob = inner ? NULL : lockdata_json_member(o, "lockData");
        if (blob) {
                /* A cloud object (/v3/lock/list, /v3/key/get): the keys are in its lockData. */
                if (!json_object_is_type(blob, json_type_string))
                        return tt_error(
                                e,
                                -EBADMSG,
                                "lockData: expected a string, got %s",
                                lockdata_json_type_name(blob));
                r = ttlock_lockdata_decode(
                        json_object_get_string(blob), (size_t) json_object_get_string_len(blob), &d, e);
                if (r < 0)
                        return r;
                r = lockdata_json_get_address(o, "lockMac", mac, e);
                if (r < 0)
                        return r;
                if (r > 0 && !streq(mac, d->address))
                        return tt_error(
                                e,
                                -EBADMSG,
                                "lockMac %s does not match the lock %s its lockData is for",
                                mac,
                                d->address);
                r = parse_description(o, d, /* fill_only= */ true, e);
                if (r < 0)
                        return r;
                r = settle_role(d, e);
                if (r < 0)
                        return r;
                d->source = TTLOCK_LOCKDATA_FORMAT_JSON;
                *ret = TAKE_PTR(d);
                return 0;
        }

        d = ttlock_lockdata_new();
        if (!d)
                return tt_error(e, -ENOMEM, "out of memory");
        d->source = inner ? TTLOCK_LOCKDATA_FORMAT_STRING : TTLOCK_LOCKDATA_FORMAT_JSON;

        r = lockdata_json_get_address(o, "lockMac", d->address, e);
        if (r < 0)
                return r;
        if (r == 0) {
                if (!sealed_address)
                        return tt_error(e, -EBADMSG, "no lockMac: which lock is this for?");
                memcpy(d->address, sealed_address, sizeof(d->address));
        } else if (sealed_address && !streq(d->address, sealed_address))
                return tt_error(
                        e,
                        -EBADMSG,
                        "lockMac %s does not match the MAC %s the lockData is sealed with",
                        d->address,
                        sealed_address);

        r = parse_keys(o, d, e);
        if (r < 0)
                return r;
        r = parse_description(o, d, /* fill_only= */ false, e);
        if (r < 0)
                return r;
        r = settle_role(d, e);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

int ttlock_lockdata_from_json(struct json_object *o, TTLockData **ret, TTError *e) {
        assert(o);
        assert(ret);
        return from_json_impl(o, NULL, /* inner= */ false, ret, e);
}

int ttlock_lockdata_decode(const char *text, size_t len, TTLockData **ret, TTError *e) {
        _cleanup_text_ char *json = NULL;
        struct json_object *o = NULL;
        char address[TTLOCK_LOCKDATA_ADDRESS_SIZE];
        TTError inner = {};
        size_t json_len = 0;
        int r;

        assert(ret);

        r = ttlock_lockdata_unwrap(text, len, &json, &json_len, address, e);
        if (r < 0)
                return r;
        r = ttlock_lockdata_json_parse(json, json_len, &o, &inner);
        if (r < 0)
                return tt_error(e, r, "decrypted lockData: %s", tt_error_message(&inner));
        r = from_json_impl(o, address, /* inner= */ true, ret, e);
        ttlock_lockdata_json_free(o);
        return r;
}

/* ---- encoding ---- */

static int add(struct json_object *o, const char *key, struct json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_string(struct json_object *o, const char *key, const char *s) {
        return s ? add(o, key, json_object_new_string(s)) : 0;
}

static int add_secret(struct json_object *o, const char *key, uint32_t value) {
        _cleanup_text_ char *field = NULL;
        char digits[16];
        int r;

        /* The SDK's adminPs and unlockKey are 10 digits with a leading 0 (generateDynamicPassword(10)). */
        (void) snprintf(digits, sizeof(digits), "%010" PRIu32, value);
        r = ttlock_lockdata_secret_encode(digits, seed_for(digits), &field, NULL);
        erase_memory(digits, sizeof(digits));
        if (r < 0)
                return r;
        return add_string(o, key, field);
}

static int features_to_hex(const TTFeatures *f, char *out, size_t size) {
        size_t pos = 0, top = f->n_groups;

        /* DigitUtil.convertToFeatureValue: highest group first, leading zeros dropped, upper case. */
        while (top > 1 && f->groups[top - 1] == 0)
                top--;
        if (top == 0)
                return snprintf(out, size, "0") < 0 ? -EINVAL : 0;
        pos = (size_t) snprintf(out, size, "%" PRIX32, f->groups[top - 1]);
        for (size_t g = top - 1; g > 0 && pos < size; g--)
                pos += (size_t) snprintf(out + pos, size - pos, "%08" PRIX32, f->groups[g - 1]);
        return pos < size ? 0 : -ENOBUFS;
}

int ttlock_lockdata_to_json(const TTLockData *d, char **ret, TTError *e) {
        struct json_object *o = NULL, *v = NULL;
        char key[TTLOCK_KEY_SIZE * 3], hex[TTLOCK_FEATURE_GROUPS_MAX * 8 + 1];
        const char *text;
        size_t len = 0;
        char *copy;
        int r;

        assert(d);
        assert(ret);

        if (!address_is_canonical(d->address))
                return tt_error(e, -EINVAL, "no valid address");
        if (d->role == TTLOCK_ROLE_ADMIN && !d->has_admin_ps)
                return tt_error(e, -EINVAL, "an admin lockData needs adminPs");

        o = json_object_new_object();
        if (!o)
                return tt_error(e, -ENOMEM, "out of memory");

        /* In the order of LockData's fields, which is the order Gson writes them in. */
        r = add(o, "uid", json_object_new_int64(d->uid));
        if (r >= 0)
                r = add_string(o, "lockName", d->name);
        if (r >= 0)
                r = add_string(o, "lockMac", d->address);
        if (r >= 0)
                r = add(o,
                        "userType",
                        json_object_new_int(
                                d->user_type != 0                      ? (int32_t) d->user_type
                                        : d->role == TTLOCK_ROLE_ADMIN ? TTLOCK_USER_TYPE_ADMIN
                                                                       : TTLOCK_USER_TYPE_EKEY));
        if (r >= 0 && d->has_version) {
                v = json_object_new_object();
                r = v ? 0 : -ENOMEM;
                if (r >= 0)
                        r = add(v, "protocolType", json_object_new_int(d->protocol_type));
                if (r >= 0)
                        r = add(v, "protocolVersion", json_object_new_int(d->protocol_version));
                if (r >= 0)
                        r = add(v, "scene", json_object_new_int(d->scene));
                if (r >= 0)
                        r = add(v, "groupId", json_object_new_int(d->group_id));
                if (r >= 0)
                        r = add(v, "orgId", json_object_new_int(d->org_id));
                if (r >= 0)
                        r = add(o, "lockVersion", TAKE_PTR(v));
                json_object_put(v);
        }
        if (r >= 0 && d->role == TTLOCK_ROLE_ADMIN)
                r = add_secret(o, "adminPwd", d->admin_ps);
        if (r >= 0)
                r = add_secret(o, "lockKey", d->unlock_key);
        if (r >= 0)
                r = add(o, "lockFlagPos", json_object_new_int64(d->lock_flag_pos));
        if (r >= 0)
                r = add_string(o, "noKeyPwd", d->admin_passcode);
        if (r >= 0) {
                size_t pos = 0;

                /* DigitUtil.encodeAesKey: "8a,df,…", two lower-case digits a byte. */
                for (size_t i = 0; i < TTLOCK_KEY_SIZE; i++)
                        pos += (size_t) snprintf(
                                key + pos, sizeof(key) - pos, "%s%02x", i > 0 ? "," : "", d->aes_key[i]);
                r = add_string(o, "aesKeyStr", key);
        }
        if (r >= 0 && d->has_features) {
                r = add(o, "specialValue", json_object_new_int((int32_t) d->features.groups[0]));
                if (r >= 0)
                        r = features_to_hex(&d->features, hex, sizeof(hex));
                if (r >= 0)
                        r = add_string(o, "featureValue", hex);
        }
        if (r >= 0)
                r = add(o, "startDate", json_object_new_int64((int64_t) (d->start_usec / USEC_PER_MSEC)));
        if (r >= 0)
                r = add(o, "endDate", json_object_new_int64((int64_t) (d->end_usec / USEC_PER_MSEC)));
        if (r >= 0 && d->battery >= 0)
                r = add(o, "electricQuantity", json_object_new_int(d->battery));
        if (r >= 0 && d->has_timezone_offset)
                r = add(o, "timezoneRawOffset", json_object_new_int64(d->timezone_offset_ms));
        if (r >= 0)
                r = add_string(o, "modelNum", d->model);
        if (r >= 0)
                r = add_string(o, "hardwareRevision", d->hardware_revision);
        if (r >= 0)
                r = add_string(o, "firmwareRevision", d->firmware_revision);
        if (r >= 0)
                r = add_string(o, "version", "1.0");
        erase_memory(key, sizeof(key));
        if (r < 0) {
                ttlock_lockdata_json_free(o);
                return tt_error(e, r, r == -ENOMEM ? "out of memory" : "cannot encode the lockData fields");
        }

        text = json_object_to_json_string_length(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        copy = text ? strndup(text, len) : NULL;
        /* The serialised text lives in the object until it is freed: clear it first. */
        if (text)
                erase_memory((char *) text, len);
        ttlock_lockdata_json_free(o);
        if (!copy)
                return tt_error(e, -ENOMEM, "out of memory");
        *ret = copy;
        return 0;
}

int ttlock_lockdata_encode(const TTLockData *d, char **ret, TTError *e) {
        _cleanup_text_ char *json = NULL;
        int r;

        r = ttlock_lockdata_to_json(d, &json, e);
        if (r < 0)
                return r;
        return ttlock_lockdata_wrap(json, strlen(json), d->address, ret, e);
}
