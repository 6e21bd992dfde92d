#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What ESPHome's native API costs in src/esphome (bench/bench-esphome.c): a Noise handshake (both
# ends) and one 20-byte GATT write through an encrypted and a plaintext connection.
#
#     bench/esphome.sh [seconds per measurement]      (default 1)
#
# Builds an optimised tree of its own in _build/bench, like bench/proto.sh.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

dir="$TT_ROOT/_build/bench"

tt_banner "build ($dir)"
tt_meson_setup "$dir" --buildtype=release -Dtests=disabled -Dfuzzing=false
meson compile -C "$dir" bench-esphome

tt_banner "bench-esphome"
echo "host: $(uname -m), $(nproc) CPU(s), $(${CC:-cc} --version | head -n 1)"
"$dir/bench/bench-esphome" "$@"
