/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "describe.h"
#include "frame-log.h"
#include "macro.h"
#include "time-util.h"

struct FrameLog {
        FrameLogEntry entries[FRAME_LOG_SIZE];
        size_t n, next; /* a ring: the oldest is at next once it is full */
};

FrameLog *frame_log_free(FrameLog *log) {
        if (!log)
                return NULL;
        for (size_t i = 0; i < FRAME_LOG_SIZE; i++)
                free(log->entries[i].json);
        free(log);
        return NULL;
}

/* describe_plaintext() into a string, through the filter. */
static char *describe(bool reply, uint8_t command, const uint8_t *plain, size_t len) {
        char *text = NULL;
        size_t size = 0;
        TTError e = {};
        Printer p;
        FILE *f;
        int r;

        f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        printer_init(&p, f, /* json= */ true);
        printer_set_filter(&p, describe_key_is_public);
        printer_begin(&p);
        r = describe_plaintext(&p, reply, command, plain, len, &e);
        /* What did not decode is said so, not shown: the reason may quote the bytes. */
        if (r < 0)
                printer_bool(&p, "decoded_fully", false);
        printer_end(&p);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        if (size > 0 && text[size - 1] == '\n')
                text[--size] = 0;
        if (size > FRAME_LOG_TEXT_MAX) {
                const char *name = ttlock_command_name(command);

                free(text);
                if (asprintf(
                            &text,
                            "{\"decoded\":{\"direction\":\"%s\",\"command\":%u%s%s%s,\"truncated\":true}}",
                            reply ? "reply" : "request",
                            command,
                            name ? ",\"command_name\":\"" : "",
                            name ?: "",
                            name ? "\"" : "") < 0)
                        return NULL;
        }
        return text;
}

int frame_log_add(FrameLog **log, bool reply, uint8_t command, const uint8_t *plain, size_t len) {
        FrameLogEntry *e;
        char *json;

        assert(log);

        if (!*log) {
                *log = calloc(1, sizeof(FrameLog));
                if (!*log)
                        return -ENOMEM;
        }
        json = describe(reply, command, plain, len);
        if (!json)
                return -ENOMEM;
        e = &(*log)->entries[(*log)->next];
        free(e->json);
        *e = (FrameLogEntry){ .time_usec = now_realtime_usec(), .reply = reply, .json = json };
        (*log)->next = ((*log)->next + 1) % FRAME_LOG_SIZE;
        if ((*log)->n < FRAME_LOG_SIZE)
                (*log)->n++;
        return 0;
}

size_t frame_log_count(const FrameLog *log) {
        return log ? log->n : 0;
}

const FrameLogEntry *frame_log_get(const FrameLog *log, size_t i) {
        size_t first;

        if (!log || i >= log->n)
                return NULL;
        first = log->n < FRAME_LOG_SIZE ? 0 : log->next;
        return &log->entries[(first + i) % FRAME_LOG_SIZE];
}
