/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decoder of pairing.h (doc/protocol.md §4.3, §5.1), request and reply, plus the payload-less
 * requests of the family (OPERATE_FINISHED, RESET_LOCK, INITIALIZATION), through the round-trip engine
 * of fuzz-codec.h. The first input byte selects the decoder in the table below. */

#include "access.h"
#include "command.h"
#include "fuzz-codec.h"
#include "pairing.h"

typedef struct AesKey {
        uint8_t key[TTLOCK_AES_KEY_LEN];
} AesKey;

FUZZ_DECODER_NORET(ttlock_get_aes_key_request_decode)
FUZZ_ENCODER_W(ttlock_get_aes_key_request_encode)
FUZZ_DECODER(ttlock_add_admin_request_decode, TTAddAdminRequest)
FUZZ_ENCODER_WV_VOID(ttlock_add_admin_request_encode, TTAddAdminRequest)
FUZZ_DECODER_NORET(ttlock_add_admin_reply_decode)
FUZZ_ENCODER_W(ttlock_add_admin_reply_encode)
FUZZ_DECODER(ttlock_time_calibrate_request_decode, TTDateTime)
FUZZ_ENCODER_WV_INT(ttlock_time_calibrate_request_encode, TTDateTime)
FUZZ_DECODER(ttlock_init_passwords_request_decode, TTInitPasswordsRequest)
FUZZ_ENCODER_WV_INT(ttlock_init_passwords_request_encode, TTInitPasswordsRequest)
FUZZ_EMPTY_REQUEST(operate_finished, TTLOCK_CMD_OPERATE_FINISHED)
FUZZ_EMPTY_REQUEST(reset_lock, TTLOCK_CMD_RESET_LOCK)
FUZZ_EMPTY_REQUEST(initialization, TTLOCK_CMD_INITIALIZATION)

static int aes_key_reply_decode_any(const uint8_t *data, size_t len, void *ret, TTError *e) {
        return ttlock_get_aes_key_reply_decode(data, len, ((AesKey *) ret)->key, e);
}

static int aes_key_reply_encode_any(TTWriter *w, const void *v, TTError *e) {
        ttlock_get_aes_key_reply_encode(w, ((const AesKey *) v)->key);
        return 0;
}

static const FuzzCodec codecs[] = {
        FUZZ_CODEC("GET_AES_KEY request", FuzzNothing, ttlock_get_aes_key_request_decode_any,
                   ttlock_get_aes_key_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("GET_AES_KEY reply", AesKey, aes_key_reply_decode_any, aes_key_reply_encode_any, NULL,
                   FUZZ_PREFIX),
        FUZZ_CODEC("ADD_ADMIN request", TTAddAdminRequest, ttlock_add_admin_request_decode_any,
                   ttlock_add_admin_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("ADD_ADMIN reply", FuzzNothing, ttlock_add_admin_reply_decode_any,
                   ttlock_add_admin_reply_encode_any, NULL, FUZZ_PREFIX),
        FUZZ_CODEC("TIME_CALIBRATE request", TTDateTime, ttlock_time_calibrate_request_decode_any,
                   ttlock_time_calibrate_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("INIT_PASSWORDS request", TTInitPasswordsRequest, ttlock_init_passwords_request_decode_any,
                   ttlock_init_passwords_request_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("OPERATE_FINISHED request", FuzzNothing, operate_finished_decode_any,
                   operate_finished_encode_any, NULL, FUZZ_CANONICAL),
        FUZZ_CODEC("RESET_LOCK request", FuzzNothing, reset_lock_decode_any, reset_lock_encode_any, NULL,
                   FUZZ_CANONICAL),
        FUZZ_CODEC("INITIALIZATION request", FuzzNothing, initialization_decode_any, initialization_encode_any,
                   NULL, FUZZ_CANONICAL),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
