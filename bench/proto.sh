#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Frames per second of the protocol library (bench/bench-proto.c): encode+encrypt+CRC and
# decode+decrypt+verify, for an UNLOCK request and for the largest frame, and their ratio.
#
#     bench/proto.sh [seconds per measurement]      (default 1)
#
# Builds an optimised tree of its own in _build/bench (release, no sanitizers) so that the figures do
# not depend on how the developer's build is configured.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

dir="$TT_ROOT/_build/bench"

tt_banner "build ($dir)"
tt_meson_setup "$dir" --buildtype=release -Dtests=disabled -Dfuzzing=false
meson compile -C "$dir" bench-proto

tt_banner "bench-proto"
echo "host: $(uname -m), $(nproc) CPU(s), $(${CC:-cc} --version | head -n 1)"
"$dir/bench/bench-proto" "$@"
