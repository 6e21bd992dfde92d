#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's first command, end to end and without a terminal: scripts/demo.sh brings up the whole
# stack, pairs, unlocks, locks and turns a keypad entry into an Event, then stops everything; with
# --keep it leaves the stack usable from another shell until --stop.
#
#   test-demo.sh DEMO_SH BUILD_DIR
#
# BUILD_DIR is this build, so that the demo compiles (a no-op) instead of building _build/main.

set -u

demo=$1
build=$2
failures=0
checks=0

if [ "$(id -u)" -ne 0 ]; then
        echo "not root: the demo starts polkitd and needs root" >&2
        exit 77
fi

fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

# expect FILE PATTERN: FILE has a line matching PATTERN (ERE).
expect() {
        checks=$((checks + 1))
        grep -Eq -- "$2" "$1" || fail "no line /$2/ in the demo's output"
}

# Process $1 is gone (or a zombie: the demo's children are reaped by whoever inherits them).
gone() {
        local state
        state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
        [ -z "$state" ] || [ "$state" = Z ]
}

# expect_stopped FILE: the pids and the bus directory the demo printed are gone.
expect_stopped() {
        local pids dir p
        pids=$(sed -n 's/^ *ttlock-sim is pid \([0-9]*\), ttlockd is pid \([0-9]*\);.*/\1 \2/p' "$1")
        dir=$(sed -n 's/.* in \(\/tmp\/ttlockd-testbus-[A-Za-z0-9]*\), with .*/\1/p' "$1")
        checks=$((checks + 1))
        if [ -z "$pids" ] || [ -z "$dir" ]; then
                fail "the demo did not say which processes and directory it used"
                return
        fi
        for p in $pids; do
                gone "$p" || fail "process $p ($(cat /proc/$p/comm 2>/dev/null)) still runs"
        done
        [ ! -e "$dir" ] || fail "$dir is still there"
}

tmp=$(mktemp -d)
trap 'TTLOCK_DEMO_STATE=$tmp/kept.env "$demo" --stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
out=$tmp/demo.out

# 1. The default run: the tour, then nothing left running.
checks=$((checks + 1))
timeout 240 "$demo" --build-dir "$build" </dev/null >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "scripts/demo.sh exited $rc"
sed 's/^/demo| /' "$out"

expect "$out" '^    ao 1 "/org/bluez/hci0"$'
expect "$out" '^\$ ttlockctl pair$'
expect "$out" '^    Paired AA:BB:CC:00:00:01 \(/org/ttlock/Lock/AA_BB_CC_00_00_01\)\.$'
expect "$out" '^\$ busctl --system call org\.ttlock\.Manager /org/ttlock/Lock/AA_BB_CC_00_00_01 org\.ttlock\.Lock1 Unlock$'
expect "$out" '^    s "unlocked"$'
expect "$out" '^\$ busctl --system call org\.ttlock\.Manager /org/ttlock/Lock/AA_BB_CC_00_00_01 org\.ttlock\.Lock1 Lock$'
expect "$out" '^    s "locked"$'
expect "$out" '^\$ busctl --system call org\.bluez /org/bluez/hci0/dev_AA_BB_CC_00_00_01 org\.ttlock\.Sim1 EnterPasscode s 246810$'
expect "$out" '^    The Event arrived [0-9]+ ms later'
# The keypad's Event as busctl saw it, naming the passcode by its alias and never by its digits.
expect "$out" '^    /org/ttlock/Lock/AA_BB_CC_00_00_01 \{"type":"sa\{sv\}","data":\["unlocked",\{"method":\{"type":"s","data":"passcode"\}.*"credential":\{"type":"s","data":"Postman"\}'
expect "$out" 'AA:BB:CC:00:00:01  event unlocked method=passcode .*credential=Postman'
expect "$out" '^    [0-9-]+ [0-9:]+  unlocked  passcode  Postman'
expect "$out" '^    busctl --system call org\.bluez /org/bluez/hci0/dev_AA_BB_CC_00_00_01 org\.ttlock\.Sim1 EnterPasscode s 246810$'
expect "$out" 'scripts/demo\.sh --keep'
expect "$out" '^stopped: ttlockd, ttlock-sim, polkitd and the bus'
checks=$((checks + 1))
if grep -E '^    /org/ttlock/Lock/' "$out" | grep -q 246810; then
        fail "an Event carries the passcode's digits"
fi
expect_stopped "$out"

# 2. --keep (with --decode): the stack stays and answers another shell, until --stop.
export TTLOCK_DEMO_STATE=$tmp/kept.env
checks=$((checks + 1))
timeout 240 "$demo" --build-dir "$build" --keep --decode </dev/null >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { fail "scripts/demo.sh --keep exited $rc"; sed 's/^/demo --keep| /' "$out"; }
expect "$out" '^Stop it all with: scripts/demo\.sh --stop$'
# --decode: the frames of doc/protocol.md §10 explained by ttlock-decode.
expect "$out" '^    command_name: GET_AES_KEY$'
expect "$out" '^==================== on the radio: what the lock broadcasts'
checks=$((checks + 1))
# The state file is what the demo tells users to source.
if ( . "$TTLOCK_DEMO_STATE" &&
     busctl --system get-property org.ttlock.Manager /org/ttlock/Lock/AA_BB_CC_00_00_01 org.ttlock.Lock1 Paired |
             grep -qx 'b true' &&
     busctl --system call org.ttlock.Manager /org/ttlock/Lock/AA_BB_CC_00_00_01 org.ttlock.Lock1 Unlock &&
     busctl --system get-property org.bluez /org/bluez/hci0/dev_AA_BB_CC_00_00_01 org.ttlock.Sim1 Locked |
             grep -qx 'b false' ); then
        :
else
        fail "the kept stack does not answer (state file: $(cat "$TTLOCK_DEMO_STATE" 2>&1))"
fi
checks=$((checks + 1))
"$demo" --keep --build-dir "$build" </dev/null >"$tmp/second.out" 2>&1 &&
        fail "a second --keep started although one is running"
grep -q 'already running' "$tmp/second.out" || fail "second --keep: $(cat "$tmp/second.out")"

checks=$((checks + 1))
"$demo" --stop >"$tmp/stop.out" 2>&1 || fail "scripts/demo.sh --stop failed: $(cat "$tmp/stop.out")"
expect "$tmp/stop.out" '^demo stopped:'
expect_stopped "$out"
checks=$((checks + 1))
[ ! -e "$TTLOCK_DEMO_STATE" ] || fail "--stop left $TTLOCK_DEMO_STATE"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
