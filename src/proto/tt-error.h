/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Decoders return a negative errno and, when the caller passes a TTError, a one-line message
 * that says what was wrong with the input ("truncated: psFromLock needs 4 bytes at offset 2,
 * 1 left"). The message never contains key material. The protocol library does no I/O and no
 * logging: the caller decides whether the message goes to a log, a D-Bus error or stderr. */

#include <stddef.h>

#include "macro.h"

typedef struct TTError {
        int error;          /* negative errno, 0 if nothing was recorded */
        char message[192];
} TTError;

/* Records the first error only: the outermost cause is usually the least useful, so a nested
 * decoder's precise message is kept and later (more general) ones are dropped.
 * Returns r (negative) so that "return tt_error(e, -EBADMSG, …);" reads naturally. Accepts e == NULL. */
int tt_error(TTError *e, int r, const char *format, ...) _printf_(3, 4);

/* "" when nothing was recorded. */
const char *tt_error_message(const TTError *e);
