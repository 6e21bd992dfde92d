/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every decoder of settings.h (doc/protocol.md §4.3 AUTO_LOCK_MANAGE … SWITCH), request and reply,
 * through the round-trip engine of fuzz-codec.h. Requests are the simulator's strict decoders (one value,
 * one form); replies ignore trailing bytes (settings.h) but keep every byte they read. The first input
 * byte selects the decoder in the table below. */

#include "fuzz-codec.h"
#include "settings.h"

#define SETTING_CODECS(cmd, Req, Rep)                     \
        FUZZ_DECODER(ttlock_##cmd##_request_decode, Req)  \
        FUZZ_ENCODER_WVE(ttlock_##cmd##_request_encode, Req) \
        FUZZ_DECODER(ttlock_##cmd##_reply_decode, Rep)    \
        FUZZ_ENCODER_WVE(ttlock_##cmd##_reply_encode, Rep)

SETTING_CODECS(auto_lock, TTAutoLockRequest, TTAutoLockReply)
SETTING_CODECS(remote_unlock, TTToggleRequest, TTToggleReply)
SETTING_CODECS(show_password, TTToggleRequest, TTToggleReply)
SETTING_CODECS(freeze, TTToggleRequest, TTToggleReply)
SETTING_CODECS(audio, TTAudioRequest, TTAudioReply)
SETTING_CODECS(passage_mode, TTPassageModeRequest, TTPassageModeReply)
SETTING_CODECS(lamp, TTLampRequest, TTLampReply)
SETTING_CODECS(switch, TTSwitchRequest, TTSwitchReply)

static void check_passage_mode_reply(const void *v, const uint8_t *enc, size_t n) {
        const TTPassageModeReply *p = v;
        TTError e = {};

        fuzz_check(p->n_records <= TTLOCK_PASSAGE_MODE_RECORDS_MAX, "%zu records", p->n_records);
        for (size_t i = 0; i < p->n_records; i++)
                fuzz_check(ttlock_passage_mode_record_check(&p->records[i], &e) == 0,
                           "decoded record %zu fails the record check: %s", i, e.message);
}

#define SETTING_TABLE(label, cmd, Req, Rep, check)                                                    \
        FUZZ_CODEC(label " request", Req, ttlock_##cmd##_request_decode_any,                          \
                   ttlock_##cmd##_request_encode_any, NULL, FUZZ_CANONICAL),                          \
        FUZZ_CODEC(label " reply", Rep, ttlock_##cmd##_reply_decode_any, ttlock_##cmd##_reply_encode_any, \
                   check, FUZZ_PREFIX)

static const FuzzCodec codecs[] = {
        SETTING_TABLE("AUTO_LOCK_MANAGE", auto_lock, TTAutoLockRequest, TTAutoLockReply, NULL),
        SETTING_TABLE("CONTROL_REMOTE_UNLOCK", remote_unlock, TTToggleRequest, TTToggleReply, NULL),
        SETTING_TABLE("SHOW_PASSWORD", show_password, TTToggleRequest, TTToggleReply, NULL),
        SETTING_TABLE("FREEZE_LOCK", freeze, TTToggleRequest, TTToggleReply, NULL),
        SETTING_TABLE("AUDIO_MANAGE", audio, TTAudioRequest, TTAudioReply, NULL),
        SETTING_TABLE("CONFIGURE_PASSAGE_MODE", passage_mode, TTPassageModeRequest, TTPassageModeReply,
                      check_passage_mode_reply),
        SETTING_TABLE("LAMP", lamp, TTLampRequest, TTLampReply, NULL),
        SETTING_TABLE("SWITCH", switch, TTSwitchRequest, TTSwitchReply, NULL),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_codec_dispatch(codecs, ELEMENTSOF(codecs), data, size);
        return 0;
}
