#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# What the backoff after failed connects spares a lock that cannot be reached (ttlockd(8) "LINK HEALTH
# AND CONNECTIONS"), against ttlock-sim on a private system bus (not a test: it prints figures). As root
# (polkitd runs on the private bus):
#
#     bench/health.sh
#
# A paired lock keeps its new-records flag up (a wrong code typed at its keypad) and refuses every
# connection (Sim1.InjectFault "refuse-connect"; a refused connect takes the simulator's realistic
# 2 s, as BlueZ's does). ttlockd wants to read the log at every advert; the lock counts what that costs
# it (Sim1.ConnectAttempts) for BENCH_SECONDS (default 300) twice: without the backoff (ttlockd.conf
# BackoffSec=0: every advert after a failed read may start another, as before the backoff existed) and
# with the default one (30 s doubling up to 30 min). Printed: connection attempts, connects (three
# attempts each), and connects per hour — measured for the first, and for the second both measured over
# its first BENCH_SECONDS and as its schedule gives it once the wait reached its maximum.
#
# Builds an optimised tree of its own in _build/bench (release), as bench/daemon.sh does.
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
SECONDS_EACH="${BENCH_SECONDS:-300}"
ADDR="AA:BB:CC:00:00:01"
SIM="/org/bluez/hci0/dev_AA_BB_CC_00_00_01"

disconnected() {
        busctl --system get-property org.ttlock.Manager /org/ttlock/Lock/AA_BB_CC_00_00_01 org.ttlock.Lock1 \
                Connected | grep -qx 'b false'
}

attempts() {
        busctl --system get-property org.bluez "$SIM" org.ttlock.Sim1 ConnectAttempts | awk '{ print $2 }'
}

# run CONFIG: a fresh stack with ttlockd.conf CONFIG; prints the attempts the lock saw in SECONDS_EACH.
run() {
        local before after

        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf")"
        bus_dir="$TESTBUS_DIR"
        "$dir/src/sim/ttlock-sim" --always-awake --lock "mac=$ADDR" >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
        mkdir -m 0700 "$bus_dir/state"
        printf '%s' "$1" >"$bus_dir/ttlockd.conf"
        TTLOCKD_CONFIG="$bus_dir/ttlockd.conf" STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" \
                >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_until "org.ttlock.Manager" busctl --system status org.ttlock.Manager
        wait_until "a radio" any_radio
        "$dir/src/ctl/ttlockctl" pair "$ADDR" >/dev/null
        # The code must be typed once the pairing's link is gone, or the lock hands the record over on it.
        wait_until "the link to go" disconnected

        busctl --system call org.bluez "$SIM" org.ttlock.Sim1 InjectFault su refuse-connect 1000000
        before="$(attempts)"
        busctl --system call org.bluez "$SIM" org.ttlock.Sim1 EnterPasscode s 000000 >/dev/null 2>&1 || true
        sleep "$SECONDS_EACH"
        after="$(attempts)"
        [[ -n "${BENCH_KEEP_LOGS:-}" ]] && cp "$bus_dir/ttlockd.log" "$bus_dir/sim.log" "$BENCH_KEEP_LOGS/"
        stop_stack
        echo $((after - before))
}

if (( EUID != 0 )); then
        tt_note "run me as root: polkitd runs on the private bus"
        exit 1
fi

tt_banner "build ($dir)"
tt_meson_setup "$dir" --buildtype=release -Dtests=disabled -Dfuzzing=false
meson compile -C "$dir"

trap stop_stack EXIT
trap 'exit 130' INT TERM
echo "host: $(uname -m), $(nproc) CPU(s); $SECONDS_EACH s each"

tt_banner "a lock with its new-records flag up that refuses every connection"
without="$(run $'[Link]\nBackoffSec=0\n')"
with="$(run '')"
per_hour() { awk -v n="$1" -v s="$SECONDS_EACH" 'BEGIN { printf "%.0f", n / 3 * 3600 / s }'; }
printf '  %-32s %5d attempts, %4d connects, %5s connects/h\n' "without backoff (BackoffSec=0):" \
        "$without" $((without / 3)) "$(per_hour "$without")"
printf '  %-32s %5d attempts, %4d connects, %5s connects/h over the first %d s\n' "with the default backoff:" \
        "$with" $((with / 3)) "$(per_hour "$with")" "$SECONDS_EACH"
# Once the wait reached BackoffMaxSec= (after 30 s + 1 + 2 + 4 + 8 + 16 min, about 31.5 min): one
# connect per 30 min plus the time it takes to fail.
echo "  with the default backoff, once at its maximum: 2 connects/h (one every 1800 s)"
