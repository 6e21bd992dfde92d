/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frame envelope (frame.h, doc/protocol.md §2.1, §2.5, §3.1): structure, CRC and decryption of
 * arbitrary bytes, with the default key (§3.2) and with a paired lock's key (§10). A frame that parses
 * with a good CRC and decrypts must be rebuilt byte for byte by ttlock_frame_build(): AES-CBC with
 * IV = key and PKCS#7 padding is deterministic, so the envelope is canonical.
 * The same bytes also go through the decrypted reply envelope (reply.h, §2.4), which every reply
 * decoder sits behind: its answer must describe the bytes and be rebuilt by the simulator's writers. */

#include "bytes.h"
#include "crc.h"
#include "crypto.h"
#include "frame.h"
#include "fuzz.h"
#include "lock-error.h"
#include "reply.h"

/* Key K of doc/protocol.md §10. */
static const uint8_t fixed_key[TTLOCK_KEY_SIZE] = {
        0x94, 0x7c, 0x70, 0x5c, 0x51, 0x03, 0xa1, 0xb1, 0x30, 0x9e, 0xea, 0xa0, 0x0d, 0x54, 0x2d, 0xaa,
};

/* Field by field: the structs' padding bytes are not part of the answer. */
static bool header_eq(const TTFrameHeader *a, const TTFrameHeader *b) {
        return a->protocol_type == b->protocol_type && a->sub_version == b->sub_version &&
               a->scene == b->scene && a->group_id == b->group_id && a->org_id == b->org_id &&
               a->command == b->command && a->encrypt == b->encrypt && a->length == b->length;
}

static void check_decrypt(const uint8_t *data, const TTFrame *f, const uint8_t key[TTLOCK_KEY_SIZE]) {
        uint8_t plain[TTLOCK_FRAME_MAX_DATA], out[TTLOCK_FRAME_MAX];
        size_t plain_len = 0, out_len = 0, frame_len = TTLOCK_FRAME_HEADER_SIZE + f->data_len + 1;
        TTError e = {};
        int r;

        r = ttlock_frame_decrypt(f, key, plain, sizeof(plain), &plain_len, &e);
        fuzz_check_result("ttlock_frame_decrypt", r, &e);
        if (r < 0)
                return;
        fuzz_check(plain_len <= TTLOCK_PLAIN_MAX, "plaintext of %zu bytes", plain_len);
        fuzz_check(plain_len < f->data_len || (plain_len == 0 && f->data_len == 0),
                   "%zu plaintext bytes from %zu ciphertext bytes: PKCS#7 adds 1…16", plain_len, f->data_len);
        fuzz_check(f->data_len - plain_len <= TTLOCK_AES_BLOCK, "%zu padding bytes", f->data_len - plain_len);

        if (!f->crc_ok)
                return;

        e = (TTError) {};
        r = ttlock_frame_build(&f->header, key, plain, plain_len, out, sizeof(out), &out_len, &e);
        fuzz_check_result("ttlock_frame_build", r, &e);
        fuzz_check(r >= 0, "a frame that decrypted does not rebuild: %s", e.message);
        fuzz_check(fuzz_mem_eq(out, out_len, data, frame_len),
                   "rebuilt frame differs (%zu bytes, original %zu)", out_len, frame_len);
}

static void check_reply(const uint8_t *data, size_t size) {
        uint8_t out[4];
        TTWriter w = TT_WRITER(out, sizeof(out));
        TTReply reply = {};
        TTError e = {};
        size_t n = 0;
        int r;

        r = ttlock_reply_parse(data, size, &reply, &e);
        fuzz_check_result("ttlock_reply_parse", r, &e);
        if (r < 0)
                return;
        fuzz_check(size >= 2 && reply.command == data[0] && reply.success == (data[1] == TTLOCK_STATUS_SUCCESS) &&
                   (data[1] == TTLOCK_STATUS_SUCCESS || data[1] == TTLOCK_STATUS_FAILED),
                   "envelope fields do not match the bytes");
        fuzz_check(reply.data == data + 2 && reply.data_len == size - 2, "reply data is not everything after byte 2");
        if (reply.success)
                ttlock_reply_begin(&w, reply.command);
        else {
                fuzz_check(reply.error_code == (size > 2 ? data[2] : 0), "error code 0x%02x", reply.error_code);
                /* The name and description tables cover every byte value without reading out of bounds. */
                fuzz_check(!ttlock_error_name(reply.error_code) == !ttlock_error_description(reply.error_code),
                           "error 0x%02x has a name or a description but not both", reply.error_code);
                if (size == 2)
                        return; /* a failure without a code (reply.c): nothing the simulator writes */
                ttlock_reply_error(&w, reply.command, reply.error_code);
        }
        r = tt_writer_finish(&w, &n, &e);
        fuzz_check(r >= 0 && fuzz_mem_eq(out, n, data, n), "rebuilt envelope differs from the input");
}

/* ttlock_frame_parse_envelope() (§2.1, §2.2): any generation, what ttlock-decode explains. What it reports
 * agrees with the bytes, and the V3 parser accepts nothing it refuses. */
static void check_envelope(const uint8_t *data, size_t size, int r_v3, const TTFrame *v3) {
        TTFrame f = {};
        TTError e = {};
        size_t header;
        int r;

        r = ttlock_frame_parse_envelope(data, size, &f, &e);
        fuzz_check_result("ttlock_frame_parse_envelope", r, &e);
        if (r < 0) {
                fuzz_check(r_v3 < 0, "parse_unchecked accepted what parse_envelope refused (%s)", e.message);
                return;
        }
        header = f.legacy ? 6 : TTLOCK_FRAME_HEADER_SIZE;
        fuzz_check(size == header + f.data_len + 1, "envelope of %zu bytes for a %zu-byte buffer",
                   header + f.data_len + 1, size);
        fuzz_check(f.legacy == (data[2] < 5 || data[2] > 0x7F), "legacy %d for protocol type 0x%02x", f.legacy, data[2]);
        fuzz_check(f.data_len == 0 || f.data == data + header, "data does not follow the header");
        fuzz_check(f.crc == data[size - 1] && f.crc_computed == ttlock_crc8(data, size - 1) &&
                   f.crc_ok == (f.crc == f.crc_computed),
                   "the envelope's CRC fields disagree with the bytes");
        if (r_v3 >= 0)
                fuzz_check(!f.legacy && header_eq(&f.header, &v3->header) && f.crc == v3->crc,
                           "parse_envelope and parse_unchecked disagree");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TTFrame f = {}, g = {};
        TTError e = {}, e2 = {};
        int r, r2;

        check_reply(data, size);

        r = ttlock_frame_parse_unchecked(data, size, &f, &e);
        fuzz_check_result("ttlock_frame_parse_unchecked", r, &e);
        r2 = ttlock_frame_parse(data, size, &g, &e2);
        fuzz_check_result("ttlock_frame_parse", r2, &e2);

        check_envelope(data, size, r, &f);
        if (r < 0) {
                fuzz_check(r2 < 0, "parse accepted what parse_unchecked refused (%s)", e.message);
                return 0;
        }

        /* Everything the parser reports must agree with the bytes it was given. */
        fuzz_check(size >= TTLOCK_FRAME_HEADER_SIZE + 1, "parsed a %zu-byte buffer", size);
        fuzz_check(f.data_len == f.header.length, "data_len %zu, length byte %u", f.data_len, f.header.length);
        fuzz_check(f.data_len <= TTLOCK_FRAME_MAX_DATA && f.data_len % TTLOCK_AES_BLOCK == 0,
                   "ciphertext length %zu", f.data_len);
        fuzz_check(TTLOCK_FRAME_HEADER_SIZE + f.data_len + 1 <= size, "frame overruns the buffer");
        fuzz_check(f.data_len == 0 || f.data == data + TTLOCK_FRAME_HEADER_SIZE, "data does not point at byte 12");
        fuzz_check(f.header.command == data[9] && f.header.encrypt == data[10] &&
                   f.header.protocol_type == data[2] && f.header.sub_version == data[3] &&
                   f.header.scene == data[4] && f.header.group_id == (data[5] << 8 | data[6]) &&
                   f.header.org_id == (data[7] << 8 | data[8]),
                   "header fields do not match the bytes");
        fuzz_check(f.crc == data[TTLOCK_FRAME_HEADER_SIZE + f.data_len], "crc is not the byte after the data");
        fuzz_check(f.crc_computed == ttlock_crc8(data, TTLOCK_FRAME_HEADER_SIZE + f.data_len),
                   "crc_computed 0x%02x is not the CRC of header and data", f.crc_computed);
        fuzz_check(f.crc_ok == (f.crc == f.crc_computed), "crc_ok disagrees with the two CRCs");
        fuzz_check((r2 >= 0) == f.crc_ok, "parse says %d for a frame with crc_ok=%d", r2, f.crc_ok);
        if (r2 >= 0)
                fuzz_check(g.data_len == f.data_len && g.crc == f.crc && header_eq(&g.header, &f.header),
                           "parse and parse_unchecked disagree");

        check_decrypt(data, &f, ttlock_default_key);
        check_decrypt(data, &f, fixed_key);
        return 0;
}
