/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "reply.h"

int ttlock_reply_parse(const uint8_t *plain, size_t len, TTReply *ret, TTError *e) {
        TTReader r = TT_READER(plain, len, e);
        uint8_t command, status, code = 0;
        const uint8_t *data;
        size_t data_len;
        int k;

        /* An L = 0 reply (no plaintext at all) ends up here as "truncated: echo": what it means
         * depends on the command (§2.4), so the caller must look at the frame length first. */
        k = tt_get_u8(&r, "echo", &command);
        if (k < 0)
                return k;
        k = tt_get_u8(&r, "status", &status);
        if (k < 0)
                return k;
        if (status != TTLOCK_STATUS_SUCCESS && status != TTLOCK_STATUS_FAILED)
                return tt_error(e, -EBADMSG,
                                "status byte 0x%02x of the reply to 0x%02x is neither 00 (failed) "
                                "nor 01 (success)",
                                status, command);

        data_len = tt_reader_left(&r);
        k = tt_get_bytes(&r, "data", data_len, &data);
        if (k < 0)
                return k;

        /* §2.4: on failure the first data byte is the lock's error code (§4.4). Some firmware sends
         * the failure without one; that is reported as code 0, which no error uses. */
        if (status == TTLOCK_STATUS_FAILED && data_len > 0) {
                TTReader c = TT_READER(data, data_len, e);
                k = tt_get_u8(&c, "error code", &code);
                if (k < 0)
                        return k;
        }

        *ret = (TTReply) {
                .command = command,
                .success = status == TTLOCK_STATUS_SUCCESS,
                .error_code = code,
                .data = data,
                .data_len = data_len,
        };
        return 0;
}

void ttlock_reply_begin(TTWriter *w, uint8_t command) {
        tt_put_u8(w, command);
        tt_put_u8(w, TTLOCK_STATUS_SUCCESS);
}

void ttlock_reply_error(TTWriter *w, uint8_t command, uint8_t error_code) {
        tt_put_u8(w, command);
        tt_put_u8(w, TTLOCK_STATUS_FAILED);
        tt_put_u8(w, error_code);
}
