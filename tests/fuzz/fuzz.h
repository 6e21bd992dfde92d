/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer harnesses. A harness feeds bytes to every decoder it covers and then checks
 * what the decoders promise (tt-error.h, bytes.h, each codec header): a failed decode names its cause,
 * a successful one re-encodes to something that decodes the same way. A broken promise is reported
 * with fuzz_check() and aborts, which libFuzzer records as a crash with a reproducer file. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt-error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* assert() would vanish under -Db_ndebug=true; these checks are the point of the harness. */
#define fuzz_check(cond, ...)                                                                 \
        do {                                                                                  \
                if (!(cond)) {                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                         \
                        fputc('\n', stderr);                                                  \
                        abort();                                                              \
                }                                                                             \
        } while (0)

/* The error contract of every decoder (preamble, tt-error.h): success leaves no error behind; a
 * failure is a negative errno, recorded in the TTError with a non-empty, terminated message. */
static inline void fuzz_check_result(const char *what, int r, const TTError *e) {
        fuzz_check(memchr(e->message, '\0', sizeof(e->message)), "%s: unterminated error message", what);
        if (r >= 0) {
                fuzz_check(e->error == 0, "%s succeeded (%d) but recorded error %d \"%s\"", what, r, e->error,
                           e->message);
                return;
        }
        fuzz_check(r > -4096, "%s returned %d, not a negative errno", what, r);
        fuzz_check(e->error == r, "%s returned %d but recorded %d", what, r, e->error);
        fuzz_check(e->message[0] != '\0', "%s failed (%d) without saying why", what, r);
}

/* Byte-range equality that accepts empty ranges (memcmp does not promise that for NULL pointers). */
static inline bool fuzz_mem_eq(const void *a, size_t na, const void *b, size_t nb) {
        return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}
