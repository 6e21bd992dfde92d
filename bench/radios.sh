#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlockd's radios against ttlock-sim on a private system bus (not a test: it prints figures). As root
# (polkitd runs on the private bus):
#
#     bench/radios.sh
#
# At the simulator's realistic radio (--connect-ms 500 --latency-ms 60):
# 1. a cold Unlock() through BlueZ, through an ESPHome proxy on loopback (plaintext), and through an
#    encrypted one (Noise); target: a proxy costs at most the BlueZ path + 5 ms (median);
# 2. ten locks behind three proxies unlocked at the same time, against one lock alone; target: at
#    most 1.2 × the time of one;
# 3. ttlockd's memory with no proxy, then with BENCH_PROXIES proxies connected and advertising;
#    target: less than 256 KiB more per proxy.
#
# Environment: BENCH_ROUNDS (interleaved rounds of the three paths, default 3), BENCH_COLD (cold
# Unlock calls per path and round, default 8), BENCH_MANY (interleaved rounds of one lock and of the
# ten, default 7), BENCH_PROXIES (default 16). Builds an optimised tree of its own in _build/bench
# (release), as bench/daemon.sh does.
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
N_COLD="${BENCH_COLD:-8}"
N_MANY="${BENCH_MANY:-7}"
N_ROUNDS="${BENCH_ROUNDS:-3}"
N_PROXIES="${BENCH_PROXIES:-16}"

ADDR="AA:BB:CC:00:00:01"
LOCK="/org/ttlock/Lock/AA_BB_CC_00_00_01"
CONNECT_MS=500
LATENCY_MS=60

radio_up() {
        busctl --system get-property org.ttlock.Manager "/org/ttlock/Radio/$1" org.ttlock.Radio1 Connected |
                grep -qx 'b true'
}

port_of() {
        busctl --system get-property org.bluez "/org/ttlock/sim/proxy/$1" org.ttlock.SimProxy1 Port |
                awk '{ print $2 }'
}

# start_sim SIM-OPTIONS...: the bus, polkitd and the simulator.
start_sim() {
        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf")"
        bus_dir="$TESTBUS_DIR"
        "$dir/src/sim/ttlock-sim" --always-awake --lock "mac=$ADDR" "$@" >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
        mkdir -m 0700 "$bus_dir/state"
}

start_daemon() {
        TTLOCKD_CONFIG="$bus_dir/ttlockd.conf" STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" \
                >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_until "org.ttlock.Manager" busctl --system status org.ttlock.Manager
        wait_until "a radio" any_radio
}

# proxy_config NAME PORT [PSKFILE]: one [Proxy] section.
proxy_config() {
        printf '[Proxy]\nName=%s\nHost=127.0.0.1\nPort=%s\n' "$1" "$2"
        [[ -n "${3:-}" ]] && printf 'PSKFile=%s\n' "$3"
        printf '\n'
}

field() {
        sed -n "s/^$2 .* $3=\\([0-9.]*\\).*/\\1/p" <<<"$1"
}

cold_unlock() { # LABEL: pairs the lock, then the cold Unlock() figures
        local line

        "$dir/src/ctl/ttlockctl" pair "$ADDR" >/dev/null
        line="$("$dir/bench/bench-daemon" unlock-cold "$N_COLD" "$LOCK")"
        printf '  %-34s median %7s ms, p90 %7s ms\n' "$1:" "$(field "$line" unlock-cold median)" \
                "$(field "$line" unlock-cold p90)" >&2
        field "$line" unlock-cold median
}

rss_kib() {
        awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status"
}

private_kib() {
        awk '/^Private_Dirty/ { print $2 }' "/proc/$daemon_pid/smaps_rollup"
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
echo "host: $(uname -m), $(nproc) CPU(s), $(${CC:-cc} --version | head -n 1)"
radio=(--connect-ms "$CONNECT_MS" --latency-ms "$LATENCY_MS")

tt_banner "1. cold Unlock() at the realistic radio (connect $CONNECT_MS ms, latency $LATENCY_MS ms)"
# One stack for the three paths, the lock pinned to each in turn (ttlockd.conf [Lock] Radio=, reloaded):
# the rounds interleave, so that a machine busy with something else weighs on every path alike.
psk="$(mktemp /tmp/bench-radios-XXXXXX.psk)"
head -c 32 /dev/urandom | base64 >"$psk"
chmod 600 "$psk"
start_sim "${radio[@]}" --esphome-proxy p1=127.0.0.1:0 --esphome-proxy "p2=127.0.0.1:0,psk=$psk"
pin_to() {
        { proxy_config p1 "$(port_of p1)"; proxy_config p2 "$(port_of p2)" "$psk"
          printf '[Lock]\nAddress=%s\nRadio=%s\n' "$ADDR" "$1"; } >"$bus_dir/ttlockd.conf"
}
pin_to hci0
start_daemon
wait_until "p1" radio_up p1
wait_until "p2" radio_up p2
"$dir/src/ctl/ttlockctl" pair "$ADDR" >/dev/null
declare -A medians=()
for ((round = 1; round <= N_ROUNDS; round++)); do
        for path in hci0 p1 p2; do
                pin_to "$path"
                "$dir/src/ctl/ttlockctl" reload
                line="$("$dir/bench/bench-daemon" unlock-cold "$N_COLD" "$LOCK")"
                medians[$path]+="$(field "$line" unlock-cold median) "
        done
done
stop_stack
rm -f "$psk"
median_of() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
bluez="$(median_of "${medians[hci0]}")" plain="$(median_of "${medians[p1]}")" noise="$(median_of "${medians[p2]}")"
printf '  %-28s median of %d rounds x %d: %7.1f ms  (rounds: %s)\n' "BlueZ (hci0)" "$N_ROUNDS" "$N_COLD" "$bluez" "${medians[hci0]}"
printf '  %-28s median of %d rounds x %d: %7.1f ms  (rounds: %s)\n' "ESPHome proxy, plaintext" "$N_ROUNDS" "$N_COLD" "$plain" "${medians[p1]}"
printf '  %-28s median of %d rounds x %d: %7.1f ms  (rounds: %s)\n' "ESPHome proxy, Noise" "$N_ROUNDS" "$N_COLD" "$noise" "${medians[p2]}"
printf '  proxy - BlueZ, median: plaintext %+.1f ms, Noise %+.1f ms (target: <= +5 ms)\n' \
        "$(awk -v a="$plain" -v b="$bluez" 'BEGIN { print a - b }')" \
        "$(awk -v a="$noise" -v b="$bluez" 'BEGIN { print a - b }')"

tt_banner "2. ten locks behind three proxies (4 slots each), unlocked at the same time"
start_sim "${radio[@]}" --locks 9 --esphome-proxy p1=127.0.0.1:0,slots=4 \
        --esphome-proxy p2=127.0.0.1:0,slots=4 --esphome-proxy p3=127.0.0.1:0,slots=4
{
        printf '[Bluetooth]\nAdapters=none\n\n'
        for p in p1 p2 p3; do proxy_config "$p" "$(port_of "$p")"; done
} >"$bus_dir/ttlockd.conf"
start_daemon
for p in p1 p2 p3; do wait_until "$p" radio_up "$p"; done
for _ in $(seq 10); do "$dir/src/ctl/ttlockctl" pair >/dev/null; done
mapfile -t locks < <(busctl --system call org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 ListLocks |
        tr ' ' '\n' | grep '^"/org/ttlock/Lock/' | tr -d '"')
(( ${#locks[@]} == 10 )) || { tt_note "paired ${#locks[@]} locks, not 10"; exit 1; }
# Interleaved rounds again: one lock alone, then all ten.
ones="" tens=""
for ((round = 1; round <= N_MANY; round++)); do
        one="$("$dir/bench/bench-radios" unlock-many 1 "${locks[0]}")"
        ten="$("$dir/bench/bench-radios" unlock-many 1 "${locks[@]}")"
        ones+="$(field "$one" unlock-many median) " tens+="$(field "$ten" unlock-many median) "
done
one="$(median_of "$ones")" ten="$(median_of "$tens")"
printf '  one lock alone:       median %7.1f ms  (rounds: %s)\n' "$one" "$ones"
printf '  ten locks at once:    median %7.1f ms  (rounds: %s)\n' "$ten" "$tens"
printf '  ten / one, median: %s (target: <= 1.2)\n' "$(awk -v a="$ten" -v b="$one" 'BEGIN { printf "%.3f", a / b }')"
stop_stack

tt_banner "3. memory: no proxy, then $N_PROXIES proxies connected and advertising one lock"
args=()
for ((i = 1; i <= N_PROXIES; i++)); do args+=(--esphome-proxy "p$i=127.0.0.1:0"); done
start_sim "${radio[@]}" "${args[@]}"
: >"$bus_dir/ttlockd.conf"
start_daemon
# Settled: the BlueZ objects read, a few adverts in.
sleep 3
rss0="$(rss_kib)" priv0="$(private_kib)"
for ((i = 1; i <= N_PROXIES; i++)); do proxy_config "p$i" "$(port_of "p$i")"; done >"$bus_dir/ttlockd.conf"
busctl --system call org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 ReloadConfiguration
for ((i = 1; i <= N_PROXIES; i++)); do wait_until "p$i" radio_up "p$i"; done
# A while of adverts from every proxy: buffers at their working size.
sleep 5
rss1="$(rss_kib)" priv1="$(private_kib)"
printf '  VmRSS %d kB -> %d kB, Private_Dirty %d kB -> %d kB\n' "$rss0" "$rss1" "$priv0" "$priv1"
printf '  per proxy: VmRSS +%.1f KiB, Private_Dirty +%.1f KiB (target: < 256 KiB)\n' \
        "$(awk -v a="$rss1" -v b="$rss0" -v n="$N_PROXIES" 'BEGIN { print (a - b) / n }')" \
        "$(awk -v a="$priv1" -v b="$priv0" -v n="$N_PROXIES" 'BEGIN { print (a - b) / n }')"
stop_stack
tt_banner "done"
