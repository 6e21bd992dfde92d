/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How fast the protocol library turns payloads into frames and back (not a test: it prints figures).
 *
 *   sending:   payload → AES-128-CBC (§3.1) → header + CRC-8 (§2.1, §2.5)     ttlock_frame_build()
 *   receiving: CRC check (§2.5) → AES decrypt + PKCS#7 check → payload decode
 *
 * for a typical UNLOCK request (8-byte payload, 16 bytes of ciphertext, §4.3) and for the largest
 * frame (239-byte payload, 240 bytes of ciphertext). Each direction is timed for a fixed wall-clock
 * budget (argument 1, seconds, default 1) after checking once that the bytes survive the trip. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "bytes.h"
#include "command.h"
#include "crypto.h"
#include "frame.h"
#include "tt-error.h"

/* Key K of doc/protocol.md §10. */
static const uint8_t key[TTLOCK_KEY_SIZE] = {
        0x94, 0x7c, 0x70, 0x5c, 0x51, 0x03, 0xa1, 0xb1, 0x30, 0x9e, 0xea, 0xa0, 0x0d, 0x54, 0x2d, 0xaa,
};

/* Keeps the compiler from dropping work whose result is otherwise unused. */
static volatile uint32_t sink;

typedef struct Case {
        const char *name;
        uint8_t command;
        uint8_t plain[TTLOCK_PLAIN_MAX];
        size_t plain_len;
        bool is_unlock; /* decode the payload as an UNLOCK request too */
        uint8_t frame[TTLOCK_FRAME_MAX];
        size_t frame_len;
} Case;

static double now(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what, const TTError *e) {
        fprintf(stderr, "bench-proto: %s: %s\n", what, tt_error_message(e));
        exit(EXIT_FAILURE);
}

static void encode_one(Case *c) {
        TTFrameHeader h = TTLOCK_V3_APP_HEADER(c->command);
        TTError e = {};

        if (c->is_unlock) {
                /* The payload is re-encoded each time, as the daemon does for every unlock. */
                TTActuateRequest q = { .sum = 0x1eb6d39e, .timestamp = 1611059696 };
                TTWriter w = TT_WRITER(c->plain, sizeof(c->plain));

                ttlock_actuate_request_encode(&w, &q);
                if (tt_writer_finish(&w, &c->plain_len, &e) < 0)
                        die("encoding the UNLOCK payload", &e);
        }
        if (ttlock_frame_build(&h, key, c->plain, c->plain_len, c->frame, sizeof(c->frame), &c->frame_len, &e) < 0)
                die("building a frame", &e);
        sink += c->frame[c->frame_len - 1];
}

static void decode_one(const Case *c) {
        uint8_t plain[TTLOCK_FRAME_MAX_DATA];
        size_t plain_len = 0;
        TTFrame f;
        TTError e = {};

        if (ttlock_frame_parse(c->frame, c->frame_len, &f, &e) < 0)
                die("parsing a frame", &e);
        if (ttlock_frame_decrypt(&f, key, plain, sizeof(plain), &plain_len, &e) < 0)
                die("decrypting a frame", &e);
        if (c->is_unlock) {
                TTActuateRequest q;

                if (ttlock_actuate_request_decode(plain, plain_len, &q, &e) < 0)
                        die("decoding the UNLOCK payload", &e);
                sink += q.sum;
        } else
                sink += plain[plain_len - 1];
}

/* Runs fn in batches until the budget is spent; returns operations per second. */
static double measure(void (*fn)(Case *c), Case *c, double budget) {
        double start = now(), elapsed;
        uint64_t n = 0;

        do {
                for (int i = 0; i < 1000; i++)
                        fn(c);
                n += 1000;
                elapsed = now() - start;
        } while (elapsed < budget);

        return (double) n / elapsed;
}

static void decode_one_mut(Case *c) {
        decode_one(c);
}

static void check_round_trip(Case *c) {
        uint8_t plain[TTLOCK_FRAME_MAX_DATA];
        size_t plain_len = 0;
        TTFrame f;
        TTError e = {};

        encode_one(c);
        if (ttlock_frame_parse(c->frame, c->frame_len, &f, &e) < 0 ||
            ttlock_frame_decrypt(&f, key, plain, sizeof(plain), &plain_len, &e) < 0)
                die("round trip", &e);
        if (plain_len != c->plain_len || memcmp(plain, c->plain, plain_len) != 0) {
                fprintf(stderr, "bench-proto: %s: the payload does not survive the round trip\n", c->name);
                exit(EXIT_FAILURE);
        }
}

int main(int argc, char *argv[]) {
        static Case cases[] = {
                { .name = "UNLOCK request (16-byte ciphertext)", .command = TTLOCK_CMD_UNLOCK, .is_unlock = true },
                { .name = "largest frame (240-byte ciphertext)", .command = TTLOCK_CMD_RESPONSE,
                  .plain_len = TTLOCK_PLAIN_MAX },
        };
        double budget = 1.0;

        if (argc > 1) {
                char *end;

                budget = strtod(argv[1], &end);
                if (*end != '\0' || !(budget > 0 && budget <= 60)) {
                        fprintf(stderr, "usage: %s [seconds per measurement, 0 < s ≤ 60]\n", argv[0]);
                        return EXIT_FAILURE;
                }
        }

        if (ttlock_crypto_init() < 0) {
                fprintf(stderr, "bench-proto: libgcrypt is not usable\n");
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < cases[1].plain_len; i++)
                cases[1].plain[i] = (uint8_t) (i * 7 + 1);

        printf("%-38s %16s %16s %8s\n", "frame", "encode+enc+CRC/s", "dec+verify/s", "dec/enc");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                Case *c = &cases[i];
                double enc, dec;

                check_round_trip(c);
                enc = measure(encode_one, c, budget);
                dec = measure(decode_one_mut, c, budget);
                printf("%-38s %16.0f %16.0f %8.2f\n", c->name, enc, dec, dec / enc);
        }
        return EXIT_SUCCESS;
}
