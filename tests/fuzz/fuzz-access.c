/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decoder of access.h (doc/protocol.md §4.3, §5.2–§5.4, §7.3), request and reply, through the
 * round-trip engine of fuzz-codec.h. The first input byte selects the decoder in the table below. */

#include "access.h"
#include "fuzz-codec.h"

FUZZ_DECODER_NORET(ttlock_status_request_decode)
FUZZ_ENCODER_W(ttlock_status_request_encode)
FUZZ_DECODER(ttlock_status_reply_decode, TTStatusReply)
FUZZ_ENCODER_WV_VOID(ttlock_status_reply_encode, TTStatusReply)
FUZZ_DECODER(ttlock_status_push_decode, TTStatusPush)
FUZZ_ENCODER_WV_INT(ttlock_status_push_encode, TTStatusPush)
FUZZ_DECODER(ttlock_check_admin_request_decode, TTCheckAdminRequest)
FUZZ_ENCODER_WV_INT(ttlock_check_admin_request_encode, TTCheckAdminRequest)
FUZZ_DECODER(ttlock_check_user_time_request_decode, TTCheckUserTimeRequest)
FUZZ_ENCODER_WV_INT(ttlock_check_user_time_request_encode, TTCheckUserTimeRequest)
FUZZ_DECODER(ttlock_challenge_reply_decode, TTChallengeReply)
FUZZ_ENCODER_WV_VOID(ttlock_challenge_reply_encode, TTChallengeReply)
FUZZ_DECODER(ttlock_check_random_request_decode, uint32_t)
FUZZ_DECODER(ttlock_actuate_request_decode, TTActuateRequest)
FUZZ_ENCODER_WV_VOID(ttlock_actuate_request_encode, TTActuateRequest)
FUZZ_DECODER(ttlock_actuate_reply_decode, TTActuateReply)
FUZZ_ENCODER_WV_INT(ttlock_actuate_reply_encode, TTActuateReply)

static int check_random_encode_any(TTWriter *w, const void *v, TTError *e) {
        ttlock_check_random_request_encode(w, *(const uint32_t *) v);
        return 0;
}

/* The vendor string is also read through a TTReader by other codecs: exactly 7 bytes. */
static int vendor_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        TTReader r = TT_READER(data, len, e);
        int k;

        k = ttlock_get_vendor(&r);
        if (k < 0)
                return k;
        return tt_expect_end(&r, "vendor");
}

static int vendor_encode_any(TTWriter *w, const void *v, TTError *e) {
        ttlock_put_vendor(w);
        return 0;
}

static void check_status_push(const void *v, const uint8_t *enc, size_t n) {
        const TTStatusPush *p = v;

        /* §7.3: the two forms are told apart by length: 2–3 bytes vs ≥ 15. */
        if (p->kind == TTLOCK_PUSH_STATE)
                fuzz_check(n == 2 || n == 3, "state push encoded in %zu bytes", n);
        else
                fuzz_check(p->kind == TTLOCK_PUSH_RECORD && n >= 15, "record push encoded in %zu bytes", n);
}

static void check_actuate_reply(const void *v, const uint8_t *enc, size_t n) {
        const TTActuateReply *a = v;

        fuzz_check(a->has_record ? n >= 15 : n == 1, "actuate reply (has_record=%d) in %zu bytes", a->has_record,
                   n);
}

static const FuzzCodec codecs[] = {
        FUZZ_CODEC("status request", FuzzNothing, ttlock_status_request_decode_any,
                   ttlock_status_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("status reply", TTStatusReply, ttlock_status_reply_decode_any, ttlock_status_reply_encode_any,
                   NULL, FUZZ_PREFIX),
        FUZZ_CODEC("status push", TTStatusPush, ttlock_status_push_decode_any, ttlock_status_push_encode_any,
                   check_status_push, FUZZ_IDEMPOTENT),
        FUZZ_CODEC("check admin request", TTCheckAdminRequest, ttlock_check_admin_request_decode_any,
                   ttlock_check_admin_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("check user time request", TTCheckUserTimeRequest, ttlock_check_user_time_request_decode_any,
                   ttlock_check_user_time_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("challenge reply", TTChallengeReply, ttlock_challenge_reply_decode_any,
                   ttlock_challenge_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("check random request", uint32_t, ttlock_check_random_request_decode_any,
                   check_random_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("actuate request", TTActuateRequest, ttlock_actuate_request_decode_any,
                   ttlock_actuate_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("actuate reply", TTActuateReply, ttlock_actuate_reply_decode_any,
                   ttlock_actuate_reply_encode_any, check_actuate_reply, FUZZ_IDEMPOTENT),
        FUZZ_CODEC("vendor", FuzzNothing, vendor_decode_any, vendor_encode_any, NULL, FUZZ_CANONICAL),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
