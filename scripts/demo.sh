#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A guided tour (README "Quick start"): builds the project and walks through a pairing, an unlock
# and the lock's other conversations, using the frames of protocol.md §10 and ttlock-decode to show
# what each one means. As root on Debian 12, from any directory:  ./scripts/demo.sh
#
# To extend it, add a chapter function and call it from the list at the bottom.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD="$TT_ROOT/_build/main"
DECODE="$BUILD/src/tools/ttlock-decode"

# Key K of protocol.md §10: the AES key the lock of kind3r/ttlock-sdk-js#8 handed out while pairing.
KEY="947c705c5103a1b1309eeaa00d542daa"

# step "what happens" [ttlock-decode options…] HEX
step() {
        local what="$1"
        shift
        printf '\n--- %s\n' "$what"
        printf '    %s\n' "${@: -1}"
        "$DECODE" "${@:1:$#-1}" frame "${@: -1}" | sed 's/^/    /'
}

chapter_build() {
        tt_banner "building (meson, $BUILD)"
        tt_ensure_packages
        tt_meson_setup "$BUILD" -Dtests=enabled
        meson compile -C "$BUILD"
}

chapter_pairing() {
        tt_banner "pairing (protocol.md §5.1)"
        echo "A factory-fresh lock speaks under the default key (§3.2) until it hands out its own."
        step "app asks for the lock's AES key (GET_AES_KEY, vendor \"SCIENER\")" \
                7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc0d0a
        step "lock answers with its new key" \
                7f5a0503020001000119aa203e7f27b40391ec02fdff54d2ecf1e7e09b948f38e0471cc900c6c1f91ac8c208970d0a
        echo
        echo "From here on every frame is encrypted with that key: $KEY"
        step "app becomes administrator (ADD_ADMIN: adminPs, unlockKey, vendor)" --key="$KEY" \
                7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a
        step "lock confirms" --key="$KEY" \
                7f5a0503020001000154aa10b776b5024d151c743c5e587f46d2391a360d0a
        step "app sets the lock's clock (TIME_CALIBRATE 2021-01-19 12:34:56)" --key="$KEY" \
                7f5a0503010001000143aa1074322b76dfc06dc5c44c793a977cc526720d0a
        step "app asks what the lock can do (SEARCH_DEVICE_FEATURE, no payload)" \
                7f5a0503010001000101aa001c0d0a
        step "lock: battery 100 %, its feature bits" --key="$KEY" \
                7f5a0503020001000154aa100f8334b438cab888119f54b284862885090d0a
        step "app ends pairing (OPERATE_FINISHED)" \
                7f5a0503010001000157aa00b60d0a
}

chapter_unlock() {
        tt_banner "unlocking (protocol.md §5.3)"
        step "app proves it holds an eKey (CHECK_USER_TIME)" --key="$KEY" \
                7f5a0503010001000155aa20d1136208ba0ecd18db91e17ebe7f5b314e853dded61b9dacefdc500d67b8a5112c0d0a
        step "lock answers with a challenge (psFromLock)" --key="$KEY" \
                7f5a0503020001000154aa101438dc634b180feb192c058185b084a78b0d0a
        step "app unlocks with psFromLock + unlockKey and the time" --key="$KEY" \
                7f5a0503010001000147aa10717e6289662c960acb1eafa77a33bf8b710d0a
        step "lock: unlocked; battery, record id and its clock" --key="$KEY" \
                7f5a0503020001000154aa20888f91eb96b6f5c76787a237ab9ac12f290286a35275f136c9b4730a6e26ba42aa0d0a
        step "later: app locks again (FUNCTION_LOCK, same payload)" --key="$KEY" \
                7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8ba00d0a
}

chapter_status() {
        tt_banner "state, log and settings (protocol.md §5.5)"
        step "app asks for the bolt's state" --key="$KEY" \
                7f5a0503010001000114aa10b80b71644c043a6c31b186eb9e819e93640d0a
        step "lock: battery 80 %, locked" --key="$KEY" \
                7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a0d0a
        step "app reads the log records it has not seen (GET_OPERATE_LOG FFFF)" --key="$KEY" \
                7f5a0503010001000125aa10be072c9d02777dfeb650d50c10a78ec0f10d0a
        step "app asks for the auto-lock time" --key="$KEY" \
                7f5a0503010001000136aa10e975e80f9a7fbecb6517bfec7bc9dee2260d0a
        step "app sets auto-lock to 5 s" --key="$KEY" \
                7f5a0503010001000136aa10a2bd2a30323db614423b4444db4d7eb2ae0d0a
        step "app turns the lock's sounds off" --key="$KEY" \
                7f5a0503010001000162aa1017478be3922d9fced894158210d55d85040d0a
}

chapter_radio() {
        local advert="0503""02""00""57""00000000""332211ccbbaa"

        tt_banner "what the lock broadcasts (protocol.md §6, §10.4)"
        printf '\n--- advertisement: scene 2, no flags, battery 87 %%, MAC AA:BB:CC:11:22:33 (reversed)\n'
        printf '    %s\n' "$advert"
        "$DECODE" advert "$advert" | sed 's/^/    /'
        printf '\n--- feature bits of a newer lock: four groups, bit 32 (dead lock) and up included (§8)\n'
        printf '    %s\n' "50 0044d1e6 00000801 00000000 00000000"
        "$DECODE" features 500044d1e6000008010000000000000000 | sed 's/^/    /'
}

chapter_mistakes() {
        local frame="7f5a0503010001000145aa1065ce5b109858417b468cc5dd454027c368"

        tt_banner "a frame that went wrong in the wild (protocol.md §10.1 R7)"
        echo "An ESP-IDF port sent INITIALIZATION with a payload 'E' never has, and a CRC of 0x68 where"
        echo "0x89 belongs; the lock stayed silent. ttlock-decode shows both faults (under the default key):"
        printf '    %s\n' "$frame"
        # The decoder may exit non-zero on a frame this broken; what it prints is the point here.
        "$DECODE" --key=987623e8a923a1bb3d9e7d0378124588 frame "$frame" 2>&1 | sed 's/^/    /' || true
}

chapter_build
chapter_pairing
chapter_unlock
chapter_status
chapter_radio
chapter_mistakes
tt_banner "done"
