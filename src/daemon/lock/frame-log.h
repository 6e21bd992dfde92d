/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The last frames of one lock's link, for the diagnostics (Manager1.GetDiagnostics(), ttlockctl diag):
 * each decoded at once, as ttlock-decode --json shows it ("decoded": direction, command, outcome and the
 * command's fields), through the filter of src/describe that shows only fields known to carry nothing
 * secret (describe_key_is_public()). No plaintext is kept: keys, passcodes, card numbers and the
 * challenge never reach the log, whatever the frame was. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_LOG_SIZE 16U
#define FRAME_LOG_TEXT_MAX 2048U /* one frame's JSON; a longer one is cut to its command */

typedef struct FrameLogEntry {
        uint64_t time_usec; /* CLOCK_REALTIME */
        bool reply;         /* from the lock (a reply or a push), else to it */
        char *json;         /* one JSON object */
} FrameLogEntry;

typedef struct FrameLog FrameLog;

FrameLog *frame_log_free(FrameLog *log);
/* The plaintext of a frame as the link reports it (LinkCallbacks.frame); *log is made on the first. */
int frame_log_add(FrameLog **log, bool reply, uint8_t command, const uint8_t *plain, size_t len);
size_t frame_log_count(const FrameLog *log); /* NULL: 0 */
/* Oldest first. */
const FrameLogEntry *frame_log_get(const FrameLog *log, size_t i);
