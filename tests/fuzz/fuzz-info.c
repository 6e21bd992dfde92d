/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decoder of info.h (doc/protocol.md §4.3 SEARCH_DEVICE_FEATURE, READ_DEVICE_INFO, GET_LOCK_TIME),
 * request and reply, through the round-trip engine of fuzz-codec.h. The first input byte selects the
 * decoder in the table below. */

#include "access.h"
#include "command.h"
#include "fuzz-codec.h"
#include "info.h"

FUZZ_DECODER(ttlock_feature_reply_decode, TTFeatureReply)
FUZZ_ENCODER_WV_VOID(ttlock_feature_reply_encode, TTFeatureReply)
FUZZ_DECODER(ttlock_device_info_request_decode, uint8_t)
FUZZ_DECODER(ttlock_device_info_reply_decode, TTDeviceInfoReply)
FUZZ_DECODER(ttlock_lock_time_reply_decode, TTDateTime)
FUZZ_ENCODER_WV_INT(ttlock_lock_time_reply_encode, TTDateTime)
FUZZ_EMPTY_REQUEST(search_feature, TTLOCK_CMD_SEARCH_DEVICE_FEATURE)
FUZZ_EMPTY_REQUEST(get_lock_time, TTLOCK_CMD_GET_LOCK_TIME)

static int device_info_request_encode_any(TTWriter *w, const void *v, TTError *e) {
        int r = ttlock_device_info_request_encode(w, *(const uint8_t *) v);
        return r < 0 ? tt_error(e, r, "ttlock_device_info_request_encode refused type %u", *(const uint8_t *) v)
                     : r;
}

static void check_device_info_request(const void *v, const uint8_t *enc, size_t n) {
        fuzz_check(ttlock_device_info_type_name(*(const uint8_t *) v), "accepted type %u has no name",
                   *(const uint8_t *) v);
}

static int device_info_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        const TTDeviceInfoReply *d = v;
        int r;

        fuzz_check(memchr(d->text, '\0', sizeof(d->text)), "device info text is not terminated");
        r = ttlock_device_info_reply_encode(w, d->text);
        return r < 0 ? tt_error(e, r, "ttlock_device_info_reply_encode refused \"%s\"", d->text) : r;
}

static const FuzzCodec codecs[] = {
        FUZZ_CODEC("SEARCH_DEVICE_FEATURE request", FuzzNothing, search_feature_decode_any,
                   search_feature_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("SEARCH_DEVICE_FEATURE reply", TTFeatureReply, ttlock_feature_reply_decode_any,
                   ttlock_feature_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("READ_DEVICE_INFO request", uint8_t, ttlock_device_info_request_decode_any,
                   device_info_request_encode_any, check_device_info_request, FUZZ_CANONICAL),
        /* The last byte is a terminator the decoder drops (§4.3) and the encoder writes as 00. */
        FUZZ_CODEC("READ_DEVICE_INFO reply", TTDeviceInfoReply, ttlock_device_info_reply_decode_any,
                   device_info_reply_encode_any, NULL, FUZZ_IDEMPOTENT),
        FUZZ_CODEC("GET_LOCK_TIME request", FuzzNothing, get_lock_time_decode_any, get_lock_time_encode_any,
                   NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("GET_LOCK_TIME reply", TTDateTime, ttlock_lock_time_reply_decode_any,
                   ttlock_lock_time_reply_encode_any, NULL, FUZZ_PREFIX),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
