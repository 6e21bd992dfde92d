# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Shared by the bench/*.sh scripts that bring up ttlockd and ttlock-sim on a private system bus (after
# scripts/lib.sh, which gives TT_ROOT and tt_note): stopping what they started, waiting for it. Each
# script keeps the PIDs of what it started in variables and names them, latest first, in
# BENCH_PID_VARS; the private bus's directory is in bus_dir.

BENCH_PID_VARS=(daemon_pid sim_pid)
# shellcheck disable=SC2034 # read through BENCH_PID_VARS
daemon_pid=""
# shellcheck disable=SC2034
sim_pid=""
bus_dir=""

# Stops every process named in BENCH_PID_VARS, then the private bus. A process a benchmark stopped
# (SIGSTOP, to measure the others without it) is continued first, or it would never see the TERM.
stop_stack() {
        local v p pids=()

        for v in "${BENCH_PID_VARS[@]}"; do
                p="${!v:-}"
                [[ -n "$p" ]] && pids+=("$p")
        done
        for p in "${pids[@]}"; do
                kill -CONT "$p" 2>/dev/null || true
                kill -TERM "$p" 2>/dev/null || true
        done
        for p in "${pids[@]}"; do
                wait "$p" 2>/dev/null || true
        done
        if [[ -n "$bus_dir" ]]; then
                "$TT_ROOT/tests/harness/testbus.sh" stop "$bus_dir" >/dev/null || true
        fi
        for v in "${BENCH_PID_VARS[@]}"; do
                printf -v "$v" '%s' ""
        done
        bus_dir=""
}

# wait_until WHAT CMD...: CMD every 0.05 s until it succeeds, at most 60 s.
wait_until() {
        local what="$1" i
        shift

        for ((i = 0; i < 1200; i++)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        tt_note "gave up waiting for $what"
        return 1
}

# ttlockd lists at least one BlueZ adapter / at least one radio of any kind.
has_adapter() {
        busctl --system get-property org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 Adapters |
                grep -q '^ao [1-9]'
}

any_radio() {
        busctl --system get-property org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 Radios |
                grep -q '^ao [1-9]'
}
