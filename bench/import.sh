#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# How long Manager1.ImportLocks() takes against ttlock-sim on a private system bus (not a test: it
# prints figures). As root (polkitd runs on the private bus):
#
#     bench/import.sh
#
# The simulator plays N locks the official app paired (ttlock-sim(1) "A LOCK THAT BELONGS TO
# SOMEONE"); ttlockctl imports their lockData strings, which ttlockd proves with one login per lock,
# all locks at the same time (ttlockd(8) "Keys from elsewhere"), then forgets them again. Each count
# is imported BENCH_IMPORT_RUNS times (default 5) with the radio latency at zero and with a realistic
# radio (connect 500 ms, 60 ms per exchange), for N in BENCH_IMPORT_LOCKS (default "1 4 16").
# Builds an optimised tree of its own in _build/bench (release), as bench/daemon.sh does.
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
RUNS="${BENCH_IMPORT_RUNS:-5}"
COUNTS="${BENCH_IMPORT_LOCKS:-1 4 16}"
CONNECT_MS=500
LATENCY_MS=60

# spec I: the --lock spec of simulated lock I (1-based), with keys of its own.
spec() {
        printf 'mac=AA:BB:CC:00:%02X:%02X,aes-key=%032x,admin-ps=%d,unlock-key=%d' \
                $(($1 / 256)) $(($1 % 256)) $((0x1000 + $1)) $((73079075 + $1)) $((76257105 + $1))
}

now_ms() {
        date +%s%3N
}

# run N SIM-OPTIONS...: bus, simulator with N paired locks, ttlockd; RUNS imports of all N locks.
run() {
        local n="$1" i t0 t1 times=() sim_args=() addresses=()
        shift

        for ((i = 1; i <= n; i++)); do
                sim_args+=(--lock "$(spec "$i")")
                addresses+=("$(printf 'AA:BB:CC:00:%02X:%02X' $((i / 256)) $((i % 256)))")
        done
        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf")"
        bus_dir="$TESTBUS_DIR"
        "$dir/src/sim/ttlock-sim" "${sim_args[@]}" --print-lockdata admin >"$bus_dir/keys"
        "$dir/src/sim/ttlock-sim" --always-awake "${sim_args[@]}" "$@" >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        mkdir -m 0700 "$bus_dir/state"
        STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
        wait_until "org.ttlock.Manager" busctl --system status org.ttlock.Manager
        wait_until "an adapter" has_adapter

        for ((i = 0; i < RUNS; i++)); do
                t0="$(now_ms)"
                "$dir/src/ctl/ttlockctl" import --yes "$bus_dir/keys" >"$bus_dir/import.out" 2>&1 || {
                        tt_note "import failed: $(cat "$bus_dir/import.out")"
                        return 1
                }
                t1="$(now_ms)"
                times+=($((t1 - t0)))
                for a in "${addresses[@]}"; do
                        "$dir/src/ctl/ttlockctl" forget "$a"
                done
        done
        stop_stack
        printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '
                { v[NR] = $1 }
                END { printf "  %3d lock(s): median %5d ms, max %5d ms per import; %6.1f ms per lock\n",
                             n, v[int((NR + 1) / 2)], v[NR], v[int((NR + 1) / 2)] / n }'
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
echo "host: $(uname -m), $(nproc) CPU(s); ttlockctl import --yes of N lockData strings, $RUNS runs each"

tt_banner "radio latency 0 (sim --latency-ms 0 --connect-ms 0)"
for n in $COUNTS; do
        run "$n" --latency-ms 0 --connect-ms 0
done
tt_banner "realistic radio (sim --connect-ms $CONNECT_MS --latency-ms $LATENCY_MS)"
for n in $COUNTS; do
        run "$n" --connect-ms "$CONNECT_MS" --latency-ms "$LATENCY_MS"
done
tt_banner "done"
