#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlockctl without ttlockd: help, version, usage errors and their exit codes (ttlockctl(1) EXIT
# STATUS), the error line for a bus without the daemon, and the bash completion.
#
#   test-ttlockctl-cli.sh TTLOCKCTL COMPLETION TESTBUS_SH

set -u

ctl=$1
completion=$2
testbus=$3
failures=0
checks=0

fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

# expect CODE PATTERN ARGS...: run ttlockctl, check its exit code and that stdout+stderr match
# the extended regular expression PATTERN.
expect() {
        local code=$1 pattern=$2 out rc
        shift 2
        checks=$((checks + 1))
        out=$(LC_ALL=C "$ctl" "$@" 2>&1)
        rc=$?
        if [ "$rc" -ne "$code" ]; then
                fail "ttlockctl $* exited $rc, expected $code; output: $out"
        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                fail "ttlockctl $* printed: $out (expected /$pattern/)"
        fi
}

# Without any bus: sd-bus honours DBUS_SYSTEM_BUS_ADDRESS; point it at nothing.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/ttlockctl-test-socket

expect 0 '^ttlockctl [0-9]' --version
expect 0 'passcode add LOCK CODE' --help
expect 0 'set passage LOCK off' -h
expect 0 'card enroll LOCK' card --help
expect 0 'card enroll LOCK' help card
expect 0 '^Usage: ttlockctl .*info LOCK' info --help
expect 0 '--from=DATE --until=DATE' passcode add --help
expect 0 '--since=DATE' help history
expect 2 'No command given' 
expect 2 '^ttlockctl: Unknown command "frobnicate"' frobnicate
expect 2 'Unknown command "passcode frob"' passcode frob
expect 2 'Invalid --kind "weekly"' passcode add AA:BB:CC:DD:EE:FF 1234 --kind weekly
expect 2 '--kind is only for passcode add' passcode change AA:BB:CC:DD:EE:FF 1234 5678 --kind one-time
expect 2 'add' passcode
expect 2 'Wrong number of arguments.*lock LOCK' lock
expect 2 'Wrong number of arguments' info a b
expect 2 'Wrong number of arguments' passcode add LOCK
expect 2 'Invalid date for --from' passcode add L 1234 --from 2026-13-01 --until 2026-12-31
expect 2 'Invalid date for --until' passcode add L 1234 --from 2026-12-01 --until 2026-02-30
expect 2 '--from and --until go together' passcode add L 1234 --from 2026-12-01
expect 2 '--until must be later than --from' card add L 1 --from 2026-12-01 --until 2026-12-01
expect 2 'only for listings' lock L --json
expect 2 'only for listings' unlock L --no-legend
expect 2 'takes no validity' passcode del L 1234 --from 2026-12-01 --until 2026-12-02
expect 2 'only for history' list --max 3
expect 2 'Invalid number for --max' history L --max 0
expect 2 'Invalid date for --since' history L --since yesterday
expect 2 'unrecognized option' --frobnicate list
# Options after "--" are arguments (an alias may start with "-").
expect 2 'Wrong number of arguments' lock -- -x -y
# The bus is missing: a failure (1), never "no such lock" (5).
expect 1 '^ttlockctl: Failed to connect to the system bus' list

# A bus without ttlockd: the D-Bus error name and message, exit 1. Its own process group so the
# trap can stop what testbus.sh started even if we fail early.
if command -v dbus-daemon >/dev/null; then
        if eval "$("$testbus" start)"; then
                trap '"$testbus" stop >/dev/null 2>&1' EXIT
                expect 1 '^ttlockctl: org\.freedesktop\.DBus\.Error\.ServiceUnknown: ' --no-ask-password list
                expect 1 '^ttlockctl: org\.freedesktop\.DBus\.Error\.ServiceUnknown: ' info aa:bb:cc:dd:ee:ff
                # Bad arguments are refused before anything is sent.
                expect 2 'Invalid auto-lock delay "5h"' set autolock /org/ttlock/Lock/AA_BB_CC_DD_EE_FF 5h
                expect 2 'Expected on or off, got "maybe"' set tamper /org/ttlock/Lock/AA_BB_CC_DD_EE_FF maybe
                expect 2 'Invalid volume "9000"' set sound /org/ttlock/Lock/AA_BB_CC_DD_EE_FF on 9000
                expect 2 'Invalid passage schedule "mon-fri"' set passage /org/ttlock/Lock/AA_BB_CC_DD_EE_FF mon-fri
                expect 2 'neither an address, an alias nor an object path' info /not/a//path
                expect 2 'neither an address, an alias nor an object path' pair ''
        else
                fail "could not start a private bus"
        fi
else
        echo "dbus-daemon missing: skipping the checks on a bus"
fi

# Completion: commands, group verbs, options, switches.
complete_words() {
        (
                # shellcheck disable=SC1090
                source "$completion"
                COMP_LINE=$1
                COMP_POINT=${#1}
                COMP_WORDS=($1)
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                [[ $1 == *' ' ]] && COMP_CWORD=${#COMP_WORDS[@]}
                COMPREPLY=()
                _ttlockctl
                echo "${COMPREPLY[*]}"
        )
}

# The script must also work in a shell with `set -u` (this one): an error aborts _ttlockctl before it
# prints anything, which would look like an empty completion, so anything on stderr fails the check.
expect_completion() {
        local got err
        checks=$((checks + 1))
        err=$(mktemp)
        got=$(complete_words "$1" 2>"$err")
        [ "$got" = "$2" ] || fail "completion of '$1': got '$got', expected '$2'"
        [ ! -s "$err" ] || fail "completion of '$1' wrote to stderr: $(cat "$err")"
        rm -f "$err"
}

expect_completion 'ttlockctl pa' 'pair passcode passage'
expect_completion 'ttlockctl passcode ' 'list add change del clear alias'
expect_completion 'ttlockctl card e' 'enroll'
expect_completion 'ttlockctl set sound L ' 'on off'
expect_completion 'ttlockctl --js' '--json'
expect_completion 'ttlockctl --json set ' 'autolock sound remote-unlock tamper privacy reset-button passage'
expect_completion 'ttlockctl --from 2026-12-01 passcode ad' 'add'
expect_completion 'ttlockctl list ' ''

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
