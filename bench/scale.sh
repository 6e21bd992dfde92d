#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlockd with many doors and many clients, against ttlock-sim on a private system bus (not a test: it
# prints figures; bench/bench-scale.c is the client). As root (polkitd runs on the private bus):
#
#     bench/scale.sh
#
# 1. 1, 100 and 1,000 paired doors (key files written straight into the state directory, the same keys
#    in the simulator's state, `ttlock-sim --locks N`, adverts every second): start-up time until the
#    bus name is owned, the CPU time that took, VmRSS / Pss, ttlockd's CPU share while the doors
#    advertise, and the time of ListLocks(), GetManagedObjects() and GetLockByAddress();
# 2. 1,000 doors advertising every 1000, 500 and 250 ms: the adverts that reach the bus per second and
#    ttlockd's CPU share (and dbus-daemon's and the simulator's, which share the machine), and whether
#    ttlockd kept up (bytes left waiting in its bus socket);
# 3. 20 concurrent clients doing Unlock(), Lock() and property reads on 10 doors for BENCH_LOAD_SECONDS
#    (default 60), radio connect 500 ms and 60 ms per exchange: latencies, and the errors by name;
# 4. Pair() of a factory-fresh lock BENCH_PAIRINGS times (default 5), radio latency 0 and realistic.
#
# Environment: BENCH_DOORS ("1 100 1000"), BENCH_IDLE_SECONDS (10), BENCH_ADVERT_SECONDS (10),
# BENCH_LOAD_SECONDS (60), BENCH_PAIRINGS (5). Builds an optimised tree of its own in _build/bench
# (release), as bench/daemon.sh does.
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
DOORS="${BENCH_DOORS:-1 100 1000}"
IDLE_SECONDS="${BENCH_IDLE_SECONDS:-10}"
ADVERT_SECONDS="${BENCH_ADVERT_SECONDS:-10}"
LOAD_SECONDS="${BENCH_LOAD_SECONDS:-60}"
PAIRINGS="${BENCH_PAIRINGS:-5}"
HZ="$(getconf CLK_TCK)"

startup_ms=""

# cpu_ticks PID: user + system time of PID in clock ticks.
cpu_ticks() {
        awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# share TICKS SECONDS: CPU share in percent of one CPU.
share() {
        awk -v t="$1" -v s="$2" -v hz="$HZ" 'BEGIN { printf "%.1f", 100 * t / hz / s }'
}

start_bus() {
        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf" 2>/dev/null)"
        bus_dir="$TESTBUS_DIR"
        mkdir -m 0700 "$bus_dir/state"
}

# start_sim SIM-OPTIONS...: the simulator, never dormant.
start_sim() {
        "$dir/src/sim/ttlock-sim" --always-awake "$@" >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
}

# with_doors N SIM-OPTIONS...: a bus, N paired doors on both sides, the simulator with them.
with_doors() {
        local n="$1"
        shift

        start_bus
        "$dir/bench/bench-scale" doors "$n" "$bus_dir/state" "$bus_dir/sim.yaml"
        start_sim --locks "$n" --state "$bus_dir/sim.yaml" "$@"
}

# start_daemon: ttlockd from the build tree; startup_ms: how long until it owned its name.
start_daemon() {
        local t0
        t0="$(date +%s%N)"
        STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        startup_ms="$("$dir/bench/bench-scale" wait-name org.ttlock.Manager "$t0" | sed -n 's/.* ms=//p')"
        wait_until "an adapter" has_adapter
}

# socket_backlog PID: bytes waiting in PID's unix sockets (its bus connection).
socket_backlog() {
        ss -xp 2>/dev/null | awk -v p="pid=$1," 'index($0, p) { n += $3 } END { print n + 0 }'
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
echo "host: $(uname -m), $(nproc) CPU(s), $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

tt_banner "1. paired doors: start-up, memory, CPU (adverts every 1000 ms, CPU over $IDLE_SECONDS s)"
for n in $DOORS; do
        with_doors "$n"
        start_daemon
        # The CPU time of the start-up: read as soon as the name is owned (and the adapter seen).
        startup_cpu=$(( $(cpu_ticks "$daemon_pid") * 1000 / HZ ))
        listed="$(busctl --system call org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 ListLocks |
                awk '{ print $2 }')"
        sleep 3
        t0="$(cpu_ticks "$daemon_pid")"
        sleep "$IDLE_SECONDS"
        t1="$(cpu_ticks "$daemon_pid")"
        # Calls whose answer grows with the doors (the last door looked up by address).
        "$dir/bench/bench-scale" list 20 "$(printf 'C0:DE:00:%02X:%02X:%02X' $((n >> 16 & 255)) $((n >> 8 & 255)) \
                $((n & 255)))" | sed "s/^/  $n doors: /"
        first_ms="$startup_ms" first_cpu="$startup_cpu"
        # Again, as after a reboot: the event archives exist now (the first start creates them,
        # durably, one fsync each).
        kill -TERM "$daemon_pid"; wait "$daemon_pid" || true
        start_daemon
        startup_cpu=$(( $(cpu_ticks "$daemon_pid") * 1000 / HZ ))
        printf '  %4d doors (%4s listed): start-up %7.1f ms (%4d ms CPU), first start %7.1f ms (%4d ms CPU);' \
                "$n" "$listed" "$startup_ms" "$startup_cpu" "$first_ms" "$first_cpu"
        printf ' VmRSS %6s kB, Pss %6s kB; CPU %5s %% while they advertise\n' \
                "$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")" \
                "$(awk '/^Pss:/ { print $2 }' "/proc/$daemon_pid/smaps_rollup")" \
                "$(share $((t1 - t0)) "$IDLE_SECONDS")"
        stop_stack
done

tt_banner "2. 1000 doors: adverts per second (over $ADVERT_SECONDS s)"
for interval in 1000 500 250; do
        with_doors 1000 --advert-interval-ms "$interval"
        start_daemon
        sleep 3
        bus_pid="$TESTBUS_PID"
        d0="$(cpu_ticks "$daemon_pid")" s0="$(cpu_ticks "$sim_pid")" b0="$(cpu_ticks "$bus_pid")"
        rate="$("$dir/bench/bench-scale" adverts "$ADVERT_SECONDS" | sed -n 's/.* rate=//p')"
        d1="$(cpu_ticks "$daemon_pid")" s1="$(cpu_ticks "$sim_pid")" b1="$(cpu_ticks "$bus_pid")"
        printf '  every %4d ms: %6s adverts/s on the bus; CPU: ttlockd %5s %%, dbus-daemon %5s %%, ttlock-sim %5s %%; %s bytes waiting for ttlockd\n' \
                "$interval" "$rate" "$(share $((d1 - d0)) "$ADVERT_SECONDS")" \
                "$(share $((b1 - b0)) "$ADVERT_SECONDS")" "$(share $((s1 - s0)) "$ADVERT_SECONDS")" \
                "$(socket_backlog "$daemon_pid")"
        stop_stack
done

tt_banner "3. 20 clients, 10 doors, $LOAD_SECONDS s (radio: connect 500 ms, 60 ms per exchange)"
with_doors 10 --connect-ms 500 --latency-ms 60
start_daemon
locks=()
for i in $(seq 1 10); do
        locks+=("$(printf '/org/ttlock/Lock/C0_DE_00_00_00_%02X' "$i")")
done
"$dir/bench/bench-scale" load "$LOAD_SECONDS" 20 "${locks[@]}" | sed 's/^/  /'
stop_stack

tt_banner "4. Pair() of a factory-fresh lock, $PAIRINGS times"
for radio in "0 0" "500 60"; do
        read -r connect latency <<<"$radio"
        start_bus
        start_sim --lock mac=AA:BB:CC:00:00:01 --connect-ms "$connect" --latency-ms "$latency"
        start_daemon
        printf '  radio connect %s ms, %s ms per exchange: ' "$connect" "$latency"
        "$dir/bench/bench-scale" pair "$PAIRINGS" /org/ttlock/Lock/AA_BB_CC_00_00_01
        stop_stack
done
tt_banner "done"
