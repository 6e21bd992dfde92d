/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "crc.h"
#include "frame.h"

TTLockGeneration ttlock_generation(uint8_t protocol_type, uint8_t sub_version, uint8_t scene) {
        /* The official SDK's order (§2.3): V3_CAR must be tested before V3, which shares 5.3. */
        if (protocol_type == 5 && sub_version == 3 && scene == 7)
                return TTLOCK_GEN_V3_CAR;
        if (protocol_type == 0x0A && sub_version == 1)
                return TTLOCK_GEN_CAR;
        if (protocol_type == 0x0B && sub_version == 1)
                return TTLOCK_GEN_MOBI;
        if (protocol_type == 5 && sub_version == 4)
                return TTLOCK_GEN_V2S_PLUS;
        if (protocol_type == 5 && sub_version == 3)
                return TTLOCK_GEN_V3;
        if (protocol_type == 5 && sub_version == 1)
                return TTLOCK_GEN_V2S;
        if (protocol_type == 3)
                return TTLOCK_GEN_V2;
        return TTLOCK_GEN_UNKNOWN;
}

const char *ttlock_generation_name(TTLockGeneration g) {
        switch (g) {
        case TTLOCK_GEN_V2: return "V2";
        case TTLOCK_GEN_V2S: return "V2S";
        case TTLOCK_GEN_V2S_PLUS: return "V2S_PLUS";
        case TTLOCK_GEN_V3: return "V3";
        case TTLOCK_GEN_CAR: return "CAR";
        case TTLOCK_GEN_MOBI: return "MOBI";
        case TTLOCK_GEN_V3_CAR: return "V3_CAR";
        case TTLOCK_GEN_UNKNOWN: break;
        }
        return "unknown";
}

static bool is_new_header(uint8_t protocol_type) {
        /* The SDK reads byte 2 as a signed byte and compares ≥ 5 (§2.1): 0x80… count as legacy. */
        return protocol_type >= 5 && protocol_type <= 0x7F;
}

bool ttlock_generation_is_aes(TTLockGeneration g) {
        return g == TTLOCK_GEN_V3 || g == TTLOCK_GEN_V3_CAR || g == TTLOCK_GEN_V2S_PLUS;
}

/* §2.2: 7f 5a, protocolType, command, encrypt (the XOR seed), L, data, CRC over everything before it. */
static int parse_legacy(TTReader *r, const uint8_t *buf, TTFrameHeader *h, TTFrame *ret) {
        const uint8_t *data;
        uint8_t crc;
        int k;

        if (tt_get_u8(r, "command", &h->command) < 0 || tt_get_u8(r, "encrypt", &h->encrypt) < 0 ||
            tt_get_u8(r, "length", &h->length) < 0)
                return -EBADMSG;
        if (tt_reader_left(r) != (size_t) h->length + 1)
                return tt_error(r->error, -EBADMSG,
                                "length byte says %u data bytes, but the legacy frame has %zu bytes after the "
                                "header (expected %u with the CRC)",
                                h->length, tt_reader_left(r), h->length + 1);
        k = tt_get_bytes(r, "data", h->length, &data);
        if (k >= 0)
                k = tt_get_u8(r, "CRC", &crc);
        if (k < 0)
                return k;
        *ret = (TTFrame) {
                .header = *h,
                .generation = ttlock_generation(h->protocol_type, 0, 0),
                .legacy = true,
                .data = data,
                .data_len = h->length,
                .crc = crc,
                .crc_computed = ttlock_crc8(buf, 6 + (size_t) h->length),
        };
        ret->crc_ok = ret->crc == ret->crc_computed;
        return 0;
}

int ttlock_frame_parse_envelope(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e) {
        TTReader r = TT_READER(buf, len, e);
        TTFrameHeader h = {};
        TTLockGeneration g;
        uint8_t m0, m1, crc;
        const uint8_t *data;
        int k;

        if (tt_get_u8(&r, "magic", &m0) < 0 || tt_get_u8(&r, "magic", &m1) < 0)
                return -EBADMSG;
        if (m0 != TTLOCK_FRAME_MAGIC0 || m1 != TTLOCK_FRAME_MAGIC1)
                return tt_error(e, -EBADMSG, "not a TTLock frame: starts with %02x %02x, expected 7f 5a", m0,
                                m1);
        k = tt_get_u8(&r, "protocolType", &h.protocol_type);
        if (k < 0)
                return k;
        if (!is_new_header(h.protocol_type))
                return parse_legacy(&r, buf, &h, ret);

        if (tt_get_u8(&r, "subVersion", &h.sub_version) < 0 || tt_get_u8(&r, "scene", &h.scene) < 0 ||
            tt_get_u16be(&r, "groupId", &h.group_id) < 0 || tt_get_u16be(&r, "orgId", &h.org_id) < 0 ||
            tt_get_u8(&r, "command", &h.command) < 0 || tt_get_u8(&r, "encrypt", &h.encrypt) < 0 ||
            tt_get_u8(&r, "length", &h.length) < 0)
                return -EBADMSG;
        g = ttlock_generation(h.protocol_type, h.sub_version, h.scene);

        /* The length byte is the data's length (§2.1) and must agree with what arrived: a frame cut short
         * by the transport and one with a corrupted length byte look the same here. */
        if (tt_reader_left(&r) != (size_t) h.length + 1)
                return tt_error(e, -EBADMSG,
                                "length byte says %u data bytes, but the frame has %zu bytes after the "
                                "header (expected %u with the CRC)",
                                h.length, tt_reader_left(&r), h.length + 1);
        if (ttlock_generation_is_aes(g) && h.length % TTLOCK_AES_BLOCK != 0)
                return tt_error(e, -EBADMSG, "length byte %u is not a multiple of the AES block size %d",
                                h.length, TTLOCK_AES_BLOCK);

        k = tt_get_bytes(&r, "data", h.length, &data);
        if (k < 0)
                return k;
        k = tt_get_u8(&r, "CRC", &crc);
        if (k < 0)
                return k;
        k = tt_expect_end(&r, "CRC");
        if (k < 0)
                return k;

        *ret = (TTFrame) {
                .header = h,
                .generation = g,
                .data = data,
                .data_len = h.length,
                .crc = crc,
                /* §2.5: over header and data, not the CRC byte itself. */
                .crc_computed = ttlock_crc8(buf, TTLOCK_FRAME_HEADER_SIZE + (size_t) h.length),
        };
        ret->crc_ok = ret->crc == ret->crc_computed;
        return 0;
}

int ttlock_frame_parse_unchecked(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e) {
        TTLockGeneration g;
        TTFrame f;
        int k;

        /* The generation is judged first, from the header alone: a frame of another generation is
         * refused for that, whatever else is wrong with it. */
        if (len >= 3 && buf[0] == TTLOCK_FRAME_MAGIC0 && buf[1] == TTLOCK_FRAME_MAGIC1) {
                if (!is_new_header(buf[2])) {
                        /* §2.2: the legacy header has no subVersion/scene; 3 is V2, anything else is not
                         * a lock generation we know of. */
                        g = ttlock_generation(buf[2], 0, 0);
                        if (g != TTLOCK_GEN_UNKNOWN)
                                return tt_error(e, -EPROTONOSUPPORT,
                                                "%s lock (legacy header, protocolType %u) is not supported, "
                                                "only V3",
                                                ttlock_generation_name(g), buf[2]);
                        return tt_error(e, -EPROTONOSUPPORT,
                                        "legacy-header frame with protocolType 0x%02x is not supported, only V3",
                                        buf[2]);
                }
                /* §2.3: we speak V3 and V3_CAR (same wire format); everything else uses XOR payloads
                 * or an AES variant nobody has documented. */
                g = len >= 5 ? ttlock_generation(buf[2], buf[3], buf[4]) : TTLOCK_GEN_V3;
                if (g != TTLOCK_GEN_V3 && g != TTLOCK_GEN_V3_CAR) {
                        if (g == TTLOCK_GEN_UNKNOWN)
                                return tt_error(e, -EPROTONOSUPPORT,
                                                "unknown lock generation (protocolType %u, subVersion %u) is "
                                                "not supported, only V3",
                                                buf[2], buf[3]);
                        return tt_error(e, -EPROTONOSUPPORT,
                                        "%s lock (protocolType %u, subVersion %u) is not supported, only V3",
                                        ttlock_generation_name(g), buf[2], buf[3]);
                }
        }

        k = ttlock_frame_parse_envelope(buf, len, &f, e);
        if (k < 0)
                return k;
        *ret = f;
        return 0;
}

int ttlock_frame_parse(const uint8_t *buf, size_t len, TTFrame *ret, TTError *e) {
        TTFrame f;
        int r;

        r = ttlock_frame_parse_unchecked(buf, len, &f, e);
        if (r < 0)
                return r;
        /* §9.1: with the right table a mismatch is real corruption; the caller re-sends once. */
        if (!f.crc_ok)
                return tt_error(e, -EBADMSG, "bad CRC: frame says 0x%02x, computed 0x%02x", f.crc,
                                f.crc_computed);

        *ret = f;
        return 0;
}

int ttlock_frame_build(const TTFrameHeader *h, const uint8_t key[TTLOCK_KEY_SIZE], const uint8_t *plain,
                       size_t plain_len, uint8_t *out, size_t out_size, size_t *ret_len, TTError *e) {
        uint8_t cipher[TTLOCK_FRAME_MAX_DATA];
        size_t cipher_len = 0, n;
        TTWriter w;
        int r;

        if (!h)
                return tt_error(e, -EINVAL, "no frame header given");
        if (plain_len > TTLOCK_PLAIN_MAX)
                return tt_error(e, -EINVAL, "payload of %zu bytes exceeds the maximum of %d", plain_len,
                                TTLOCK_PLAIN_MAX);

        /* §3.1: an empty payload is sent as L = 0 with nothing encrypted. */
        if (plain_len > 0) {
                r = ttlock_aes_encrypt(key, plain, plain_len, cipher, sizeof(cipher), &cipher_len, e);
                if (r < 0)
                        return r;
        }

        n = TTLOCK_FRAME_HEADER_SIZE + cipher_len + 1;
        if (out_size < n)
                return tt_error(e, -ENOBUFS, "frame of %zu bytes does not fit in %zu", n, out_size);

        w = TT_WRITER(out, out_size);
        tt_put_u8(&w, TTLOCK_FRAME_MAGIC0);
        tt_put_u8(&w, TTLOCK_FRAME_MAGIC1);
        tt_put_u8(&w, h->protocol_type);
        tt_put_u8(&w, h->sub_version);
        tt_put_u8(&w, h->scene);
        tt_put_u16be(&w, h->group_id);
        tt_put_u16be(&w, h->org_id);
        tt_put_u8(&w, h->command);
        tt_put_u8(&w, h->encrypt);
        tt_put_u8(&w, (uint8_t) cipher_len);
        tt_put_bytes(&w, cipher, cipher_len);
        tt_put_u8(&w, ttlock_crc8(out, w.len));

        return tt_writer_finish(&w, ret_len, e);
}

int ttlock_frame_decrypt(const TTFrame *f, const uint8_t key[TTLOCK_KEY_SIZE], uint8_t *plain,
                         size_t plain_size, size_t *ret_len, TTError *e) {
        if (!f)
                return tt_error(e, -EINVAL, "no frame given");

        /* §2.4: L = 0 replies carry meaning of their own (reset done, not in setting mode, key
         * invalid); the caller interprets the empty plaintext. */
        if (f->data_len == 0) {
                if (ret_len)
                        *ret_len = 0;
                return 0;
        }

        return ttlock_aes_decrypt(key, f->data, f->data_len, plain, plain_size, ret_len, e);
}
