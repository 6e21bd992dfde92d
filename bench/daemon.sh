#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlockd against ttlock-sim on a private system bus, measured against its targets (README
# "Benchmarks": Unlock overhead under 5 ms, cold Unlock and keypad-to-Event within the radio's own
# time, idle RSS, no periodic wake-ups). Not a test: it prints figures. As root (polkitd runs on
# the private bus):
#
#     bench/daemon.sh
#
# 1. radio latency 0: Unlock() round trip on a paired lock, warm link and cold (software overhead);
# 2. sim --connect-ms 500 --latency-ms 60: Unlock() on a cold link vs connect + 2 exchanges;
# 3. same radio: a passcode at the simulator's keypad until the Event, vs advert interval +
#    connect + the log read;
# 4. same radio: Unlock() on a cold link, from its reply until the Event of that unlock (method app)
#    arrives, vs one exchange (the log read on the link that is still up);
# 5. ttlockd's idle RSS with one paired lock, and its wake-ups during 10 s of idle, with the
#    simulator advertising and with the simulator stopped (SIGSTOP: no radio traffic at all).
#
# Environment: BENCH_WARM (Unlock calls on a warm link, default 200), BENCH_COLD (cold Unlock calls,
# default 10), BENCH_KEYPAD (keypad entries, default 10), BENCH_IDLE_SECONDS (default 10),
# BENCH_EVENT (Unlock calls timed until their Event, default 10).
# Builds an optimised tree of its own in _build/bench (release), as bench/proto.sh does.
# The PIDs this script keeps are read through BENCH_PID_VARS (bench/lib.sh stop_stack()).
# shellcheck disable=SC2034
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="$TT_ROOT/_build/bench"
N_WARM="${BENCH_WARM:-200}"
N_COLD="${BENCH_COLD:-10}"
N_KEYPAD="${BENCH_KEYPAD:-10}"
N_EVENT="${BENCH_EVENT:-10}"
IDLE_SECONDS="${BENCH_IDLE_SECONDS:-10}"

ADDR="AA:BB:CC:00:00:01"
LOCK="/org/ttlock/Lock/AA_BB_CC_00_00_01"
DEV="/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
CODE="246810"

# Radio timings of the realistic runs (a BLE connection set up in 500 ms, 60 ms per exchange), and the
# simulator's default advert interval.
CONNECT_MS=500
LATENCY_MS=60
ADVERT_MS=1000

disconnected() {
        busctl --system get-property org.ttlock.Manager "$LOCK" org.ttlock.Lock1 Connected |
                grep -qx 'b false'
}

# start_stack SIM-OPTIONS...: bus, polkitd, simulator with one lock, ttlockd; pairs the lock and
# adds the passcode the keypad runs use.
start_stack() {
        eval "$("$TT_ROOT/tests/harness/testbus.sh" start --conf "$TT_ROOT/tests/sim/org.bluez-sim.conf")"
        bus_dir="$TESTBUS_DIR"
        "$dir/src/sim/ttlock-sim" --always-awake --lock "mac=$ADDR" "$@" \
                >"$bus_dir/sim.log" 2>&1 </dev/null &
        sim_pid=$!
        mkdir -m 0700 "$bus_dir/state"
        STATE_DIRECTORY="$bus_dir/state" "$dir/src/daemon/ttlockd" >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_until "org.bluez" busctl --system status org.bluez
        wait_until "org.ttlock.Manager" busctl --system status org.ttlock.Manager
        wait_until "an adapter" has_adapter
        "$dir/src/ctl/ttlockctl" pair "$ADDR" >/dev/null
        busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Credentials1 AddPasscode stt "$CODE" 0 0
}

# field OUTPUT MODE NAME: the value of NAME=value in the bench-daemon line of MODE.
field() {
        sed -n "s/^$2 .* $3=\\([0-9.]*\\).*/\\1/p" <<<"$1"
}

# ratio A B: A / B to three places.
ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

bench() {
        local line
        line="$("$dir/bench/bench-daemon" "$@")"
        sed 's/^/  /' <<<"$line" >&2
        printf '%s\n' "$line"
}

ctx_switches() {
        awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n }' "/proc/$1/status"
}

# idle_wakeups LABEL: context switches of ttlockd during IDLE_SECONDS, with the link down.
idle_wakeups() {
        local label="$1" a b

        wait_until "the link to drop" disconnected
        a="$(ctx_switches "$daemon_pid")"
        sleep "$IDLE_SECONDS"
        b="$(ctx_switches "$daemon_pid")"
        printf '  %-44s %5d context switches in %d s (%.1f/s)\n' "$label" $((b - a)) "$IDLE_SECONDS" \
                "$(awk -v n=$((b - a)) -v s="$IDLE_SECONDS" 'BEGIN { print n / s }')"
}

if (( EUID != 0 )); then
        tt_note "run me as root: polkitd runs on the private bus"
        exit 1
fi

tt_banner "build ($dir)"
tt_meson_setup "$dir" --buildtype=release -Dtests=disabled -Dfuzzing=false
# The whole tree (no tests): naming targets fails when meson has yet to regenerate the directory.
meson compile -C "$dir"

trap stop_stack EXIT
trap 'exit 130' INT TERM
echo "host: $(uname -m), $(nproc) CPU(s), $(${CC:-cc} --version | head -n 1)"

tt_banner "1. radio latency 0 (sim --latency-ms 0 --connect-ms 0): software overhead"
start_stack --latency-ms 0 --connect-ms 0
warm="$(bench unlock-warm "$N_WARM" "$LOCK")"
cold0="$(bench unlock-cold "$N_COLD" "$LOCK")"
printf '  Unlock(), warm link: median %s ms, p90 %s ms (target: median < 5 ms)\n' \
        "$(field "$warm" unlock-warm median)" "$(field "$warm" unlock-warm p90)"
printf '  Unlock(), cold link: median %s ms, p90 %s ms\n' \
        "$(field "$cold0" unlock-cold median)" "$(field "$cold0" unlock-cold p90)"
stop_stack

tt_banner "2. realistic radio (sim --connect-ms $CONNECT_MS --latency-ms $LATENCY_MS): cold Unlock()"
start_stack --connect-ms "$CONNECT_MS" --latency-ms "$LATENCY_MS"
cold="$(bench unlock-cold "$N_COLD" "$LOCK")"
budget=$((CONNECT_MS + 2 * LATENCY_MS))
printf '  Unlock(), cold link: median %s ms, p90 %s ms; budget connect + 2 exchanges = %d ms;\n' \
        "$(field "$cold" unlock-cold median)" "$(field "$cold" unlock-cold p90)" "$budget"
printf '  ratio median/budget %s, p90/budget %s (target <= 1.05)\n' \
        "$(ratio "$(field "$cold" unlock-cold median)" $budget)" \
        "$(ratio "$(field "$cold" unlock-cold p90)" $budget)"

tt_banner "3. same radio, advert interval $ADVERT_MS ms: keypad passcode at the simulator -> Event"
# Entries spread over one advert interval: the largest figure is the worst phase.
keypad="$(bench keypad "$N_KEYPAD" "$LOCK" "$DEV" "$CODE" "$ADVERT_MS")"
# The log read is GET_OPERATE_LOG 0xFFFF, which brings the new record, then the page after it,
# which is empty (src/daemon/ops-log.c): two exchanges, no login.
budget=$((ADVERT_MS + CONNECT_MS + 2 * LATENCY_MS))
printf '  EnterPasscode -> Event: median %s ms, p90 %s ms, max %s ms;\n' \
        "$(field "$keypad" keypad median)" "$(field "$keypad" keypad p90)" "$(field "$keypad" keypad max)"
printf '  of which entry -> Connected (advert wait + connect) max %s ms,\n' \
        "$(field "$keypad" keypad-connect max)"
printf '  Connected -> Event (log read) max %s ms\n' "$(field "$keypad" keypad-read max)"
printf '  budget advert interval + connect + log read (2 exchanges) = %d ms; max/budget %s (target <= 1)\n' \
        "$budget" "$(ratio "$(field "$keypad" keypad max)" $budget)"

tt_banner "4. same radio: Unlock() reply -> its Event (method app)"
unlock_event="$(bench unlock-event "$N_EVENT" "$LOCK")"
printf '  reply -> Event: median %s ms, p90 %s ms, max %s ms; budget one exchange = %d ms\n' \
        "$(field "$unlock_event" unlock-event median)" "$(field "$unlock_event" unlock-event p90)" \
        "$(field "$unlock_event" unlock-event max)" "$LATENCY_MS"

tt_banner "5. idle ttlockd (one paired lock, link down)"
wait_until "the link to drop" disconnected
grep -E '^(VmRSS|VmHWM|RssAnon|RssFile)' "/proc/$daemon_pid/status" | sed 's/^/  /'
# Most of VmRSS is shared libraries' pages (libc, libsystemd, libgcrypt), counted whole in every
# process that maps them; Pss shares them out, Private_Dirty is ttlockd's own.
grep -E '^(Pss|Private_Dirty):' "/proc/$daemon_pid/smaps_rollup" | sed 's/^/  /'
printf '  (target: VmRSS < 4096 kB)\n'
idle_wakeups "simulator advertising every $ADVERT_MS ms:"
kill -STOP "$sim_pid"
idle_wakeups "simulator stopped (SIGSTOP, no bus traffic):"
kill -CONT "$sim_pid"
stop_stack
tt_banner "done"
