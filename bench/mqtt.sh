#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlock-mqtt measured against its targets (not a test: it prints figures). As root (polkitd runs
# on the private bus):
#
#     bench/mqtt.sh
#
# A private bus with polkitd, ttlock-sim (radio latency 0) with one paired lock, ttlockd, a
# mosquitto on 127.0.0.1 and ttlock-mqtt, all from an optimised build of their own in
# _build/bench. bench-mqtt (bench/bench-mqtt.c) is a client of both D-Bus and the broker:
#
# 1. an UNLOCK published on MQTT until "unlocked" on the state topic, against Unlock() called
#    directly on D-Bus until its reply (target: at most 5 ms more, median);
# 2. an Event as a D-Bus client sees it, until the same event on MQTT (target: within 5 ms);
# 3. ttlock-mqtt's idle memory (target: VmRSS under 4 MiB) and its wake-ups: while the simulator
#    advertises (ttlockd's PropertiesChanged wake every client), with the simulator stopped, and
#    over several keep-alive intervals (target: nothing periodic beyond the MQTT keep-alive).
#
# Environment: BENCH_UNLOCKS (default 100), BENCH_EVENTS (default 50), BENCH_IDLE_SECONDS
# (default 10), BENCH_KEEPALIVE (the keep-alive of the last idle run, default 5 s).
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
N_UNLOCKS="${BENCH_UNLOCKS:-100}"
N_EVENTS="${BENCH_EVENTS:-50}"
IDLE_SECONDS="${BENCH_IDLE_SECONDS:-10}"
KEEPALIVE="${BENCH_KEEPALIVE:-5}"

ADDR="AA:BB:CC:00:00:01"
LOCK="/org/ttlock/Lock/AA_BB_CC_00_00_01"
DEV="/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
TOPIC="ttlock/bench/aabbcc000001"

BENCH_PID_VARS=(bridge_pid broker_pid daemon_pid sim_pid)
broker_pid=""
bridge_pid=""
port=""

disconnected() {
        busctl --system get-property org.ttlock.Manager "$LOCK" org.ttlock.Lock1 Connected |
                grep -qx 'b false'
}

port_open() {
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

bridge_online() {
        timeout 5 mosquitto_sub -p "$port" -t ttlock/bench/status -C 1 2>/dev/null | grep -qx online
}

start_bridge() { # KEEPALIVE
        printf 'broker = mqtt://127.0.0.1:%s\nnode-id = bench\nkeepalive = %s\n' "$port" "$1" >"$bus_dir/mqtt.conf"
        "$dir/src/mqtt/ttlock-mqtt" --config "$bus_dir/mqtt.conf" >"$bus_dir/ttlock-mqtt.log" 2>&1 </dev/null &
        bridge_pid=$!
        wait_until "ttlock-mqtt online" bridge_online
}

stop_bridge() {
        kill -TERM "$bridge_pid"
        wait "$bridge_pid" 2>/dev/null || true
        bridge_pid=""
}

start_stack() {
        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf")"
        bus_dir="$TESTBUS_DIR"
        "$dir/src/sim/ttlock-sim" --always-awake --lock "mac=$ADDR" --latency-ms 0 --connect-ms 0 \
                >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        mkdir -m 0700 "$bus_dir/state"
        STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
        wait_until "org.ttlock.Manager" busctl --system status org.ttlock.Manager
        wait_until "an adapter" has_adapter
        "$dir/src/ctl/ttlockctl" pair "$ADDR" >/dev/null

        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        start_broker false
}

start_broker() { # SET_TCP_NODELAY
        printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\nset_tcp_nodelay %s\n' \
                "$port" "$1" >"$bus_dir/mosquitto.conf"
        mosquitto -c "$bus_dir/mosquitto.conf" >"$bus_dir/mosquitto.log" 2>&1 </dev/null &
        broker_pid=$!
        wait_until "mosquitto" port_open "$port"
}

restart_broker() { # SET_TCP_NODELAY
        kill -TERM "$broker_pid"
        wait "$broker_pid" 2>/dev/null || true
        start_broker "$1"
        wait_until "ttlock-mqtt online again" bridge_online
}

# unlock_run LABEL: the unlock figures of one run.
unlock_run() {
        local out
        out="$("$dir/bench/bench-mqtt" unlock "$N_UNLOCKS" "$LOCK" "$port" "$TOPIC")"
        sed 's/^/  /' <<<"$out"
        printf '  %s:\n' "$1"
        printf '    until "unlocked": Unlock() on D-Bus (State signalled) median %s ms, UNLOCK on MQTT (state message) median %s ms\n' \
                "$(field "$out" unlock-direct-state median)" "$(field "$out" unlock-mqtt-state median)"
        printf '      added by MQTT and the bridge: median %s ms, p90 %s ms (target: median <= 5 ms)\n' \
                "$(field "$out" unlock-overhead-state median)" "$(field "$out" unlock-overhead-state p90)"
        printf '    until the answer: Unlock() reply median %s ms, MQTT result median %s ms; added: median %s ms, p90 %s ms\n' \
                "$(field "$out" unlock-direct-reply median)" "$(field "$out" unlock-mqtt-result median)" \
                "$(field "$out" unlock-overhead-reply median)" "$(field "$out" unlock-overhead-reply p90)"
}

ctx_switches() {
        awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"
}

# idle_wakeups LABEL SECONDS: context switches of ttlock-mqtt during SECONDS.
idle_wakeups() {
        local label="$1" seconds="$2" a b

        a="$(ctx_switches "$bridge_pid")"
        sleep "$seconds"
        b="$(ctx_switches "$bridge_pid")"
        printf '  %-58s %5d in %d s (%.2f/s)\n' "$label" $((b - a)) "$seconds" \
                "$(awk -v n=$((b - a)) -v s="$seconds" 'BEGIN { print n / s }')"
}

# field OUTPUT MODE NAME: the value of NAME=value in bench-mqtt's line of MODE.
field() {
        sed -n "s/^$2 .*$3=\\([0-9.-]*\\).*/\\1/p" <<<"$1"
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
echo "host: $(uname -m), $(nproc) CPU(s), $(${CC:-cc} --version | head -n 1), $(mosquitto -h 2>/dev/null | head -n 1)"

start_stack
start_bridge 60

tt_banner "1. UNLOCK over MQTT vs Unlock() on D-Bus (radio latency 0, warm link)"
# mosquitto's default leaves Nagle's algorithm on for what it sends (set_tcp_nodelay false,
# mosquitto.conf(5)): a second small message to a client waits until the first is acknowledged.
# ttlock-mqtt publishes with QoS 1 and acknowledges what it reads at once, so that this costs
# nothing; both broker settings are shown. bench-mqtt subscribes with QoS 1, as Home Assistant does.
unlock_run "broker with set_tcp_nodelay false (mosquitto's default)"
restart_broker true
unlock_run "broker with set_tcp_nodelay true"

tt_banner "2. Event on D-Bus until the same event on MQTT (knob turns at the simulator)"
out="$("$dir/bench/bench-mqtt" events "$N_EVENTS" "$LOCK" "$DEV" "$port" "$TOPIC")"
sed 's/^/  /' <<<"$out"
printf '  median %s ms, p90 %s ms, max %s ms (target: within 5 ms)\n' \
        "$(field "$out" event median)" "$(field "$out" event p90)" "$(field "$out" event max)"

tt_banner "3. idle ttlock-mqtt (one paired lock, link down)"
wait_until "the link to drop" disconnected
sleep 2
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$bridge_pid/status" | sed 's/^/  /'
# Most of VmRSS is shared libraries' pages (libc, libsystemd, libmosquitto, libssl, libcrypto,
# libjson-c), counted whole in every process that maps them; Pss shares them out, Private_Dirty
# is the bridge's own.
grep -E '^(Pss|Private_Dirty):' "/proc/$bridge_pid/smaps_rollup" | sed 's/^/  /'
printf '  (target: VmRSS < 4096 kB)\n'
idle_wakeups "simulator advertising (ttlockd signals LastSeenUSec, Rssi):" "$IDLE_SECONDS"
kill -STOP "$sim_pid"
sleep 1
idle_wakeups "simulator stopped (SIGSTOP), keep-alive 60 s:" "$IDLE_SECONDS"
kill -CONT "$sim_pid"
stop_bridge
start_bridge "$KEEPALIVE"
wait_until "the link to drop" disconnected
kill -STOP "$sim_pid"
sleep 1
idle_wakeups "simulator stopped, keep-alive $KEEPALIVE s (one ping, one answer each):" $((KEEPALIVE * 4))
kill -CONT "$sim_pid"
stop_stack
tt_banner "done"
