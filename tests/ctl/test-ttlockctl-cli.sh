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
expect 0 'set passage-now LOCK on\|off' help set
expect 0 'set frozen LOCK on\|off' help set
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
# Weekly cycles: --every DAYS with --from/--until as times of day.
expect 0 '--every=DAYS --from=HH:MM --until=HH:MM' passcode add --help
expect 2 'Invalid --every "someday"' passcode add L 1234 --every someday
expect 2 'Invalid time for --from: "8h"' passcode add L 1234 --every mon --from 8h --until 12:00
expect 2 'Invalid time for --until: "24:01"' card validity L 1 --every mon --from 08:00 --until 24:01
expect 2 '--until must be later than --from' passcode add L 1234 --every mon,wed --from 12:00 --until 08:00
expect 2 '--from and --until go together' passcode add L 1234 --every mon --from 08:00
expect 2 '--every is only for' passcode change L 1234 5678 --every mon
expect 2 '--every none is only for' passcode add L 1234 --every none
expect 2 '--every none takes no --from' card validity L 1 --every none --from 08:00 --until 09:00
expect 2 'does not go with --kind one-time' passcode add L 1234 --every mon --kind one-time
expect 2 'A cyclic passcode needs --every' passcode add L 1234 --kind cyclic
# Options after "--" are arguments (an alias may start with "-").
expect 2 'Wrong number of arguments' lock -- -x -y
expect 0 'import FILE\|-' --help
expect 0 'export \[LOCK...\]' --help
expect 0 "lockData.json or a ttlockd export" import --help
expect 2 'Wrong number of arguments' import
expect 2 'Wrong number of arguments' import a b
expect 2 '--output is only for export' import --output x f
expect 2 '--yes and --unverified are only for import' export --yes
expect 2 '--yes and --unverified are only for import' list --unverified
expect 2 '--output is only for export and diag' list --output x
expect 2 '--no-redact is only for diag' export --no-redact
expect 0 'diag \[LOCK...\]' --help
expect 0 '--no-redact +Show addresses' diag --help
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
                expect 2 'Expected on or off, got "soon"' set passage-now /org/ttlock/Lock/AA_BB_CC_DD_EE_FF soon
                expect 2 'Expected on or off, got "2"' set frozen /org/ttlock/Lock/AA_BB_CC_DD_EE_FF 2
                expect 2 'Invalid time "1h"' set door-left-open /org/ttlock/Lock/AA_BB_CC_DD_EE_FF 1h
                expect 2 'Invalid connection policy "always"' set connection /org/ttlock/Lock/AA_BB_CC_DD_EE_FF always
                expect 2 'Only keep-alive takes SECONDS' set connection /org/ttlock/Lock/AA_BB_CC_DD_EE_FF persistent 30
                expect 2 'Invalid keep-alive window "2h"' set connection /org/ttlock/Lock/AA_BB_CC_DD_EE_FF keep-alive 2h
                expect 2 'neither an address, an alias nor an object path' info /not/a//path
                expect 2 'neither an address, an alias nor an object path' pair ''

                # import shows what it found — never a key — and asks before it sends anything; on
                # a bus without ttlockd the call itself then fails. The lockData string is the one
                # the TTLock developers posted in ttlock/iOS_SDK_Demo#12 (doc/lockdata.md).
                published='GTgZsx2+seWFKLxb3c2/5WNhvGJWF9+wz3eD5mzzTRJLBF9E2dJ1dUB7k0+HHcFYpwVYvwdrSD2SuRw2Y9Cce/HbDQfTPzHxSs+9g1G+xIzeak8iYoDbCntYOMqFmxkDtJ+c8KT49Lz3o+iV851EXQ26WnBhTmwXeOQbISAMhYQnjV56DUUcgGcVR+dBmJweKDN0lll9+5T4NkcNTNZsU9RPP0BYQIzkzpcBAM7iB/9sL8+uDsKIwHwchEWI3z1Ens41uCLhBc0LSVeQu7sMxnqFi+j6tK0zaxNQ7Oh/pI1fImwuVtsexoJxCJDyzWtZ3k+u+39P5/Sz9iar+ANweAm8+AMXgjn+Jnw3KKHcdVHwgg7tGi7SqcXP45vufcoq24sHgxBBSVpUHc0QM5FX2WUn0r7R2Gg7tO+fL9ITvtMGbKCUukDaAJ+VkvP81p94TWsqnBXzgzxqzciUNDyyOfyLsEZv6/Co18KrLp5l686tZbhpNnc2D16jqFX/Y6aue61e6RWbtceKYwrTqO0G+J/iYnoUkIf7J1sb7eRBmJGEz/bwPPFyXxx19RdheHGN2+983d29cmerhP0APZlVkc8l8mlMrd/Dyld1X1fZailwWQA1shOyphGKGYJeE+vKPwPr6iMMkEH3oSIt27wPn39mVcWAPq+CzsP/OLM1Thy8r3vFK+MzTB3aZWvjL9u5FfM0uZc+r1Ki3YBrdP1n0Jbwa+EUJsvHfF2mGQF/j1SpOhjEFMHv8XvuvMYDM/B16kN9TPP1'
                keys=$(mktemp)
                trap '"$testbus" stop >/dev/null 2>&1; rm -f "$keys" "$keys.out"' EXIT
                printf '%s\n' "$published" >"$keys"
                import_check() { # CODE PATTERN INPUT ARGS...: setsid: no terminal to ask on
                        local code=$1 pattern=$2 input=$3 out rc
                        shift 3
                        checks=$((checks + 1))
                        out=$(LC_ALL=C TZ=UTC setsid -w "$ctl" "$@" <"$input" 2>&1)
                        rc=$?
                        if [ "$rc" -ne "$code" ]; then
                                fail "ttlockctl $* <$input exited $rc, expected $code; output: $out"
                        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                                fail "ttlockctl $* printed: $out (expected /$pattern/)"
                        elif grep -Eq 'd913436f|d9,13|628631550|479032120|3633314|MzIs|MjIs' <<<"$out"; then
                                fail "ttlockctl $* printed a key: $out"
                        fi
                }
                import_check 2 'EA:43:7D:4C:F3:F5  HP01_f5f34c  admin  permanent' /dev/null import "$keys"
                import_check 2 'Not on a terminal, so nobody can confirm: add --yes' /dev/null import "$keys"
                import_check 1 'Found 1 lock in TTLock lockData:.*|ServiceUnknown' /dev/null import --yes "$keys"
                import_check 1 'org\.freedesktop\.DBus\.Error\.ServiceUnknown' "$keys" import --yes -
                import_check 1 'ServiceUnknown' "$keys" import --yes --unverified -
                printf 'version: 1\naddress: "aa:bb:cc:00:00:07"\nalias: Back door\ncredentials: {aes-key: "00"}\n' >"$keys"
                import_check 1 'AA:BB:CC:00:00:07  Back door' /dev/null import --yes "$keys"
                printf '[{"address": "AA:BB:CC:00:00:01", "privateData": {"aesKey": "0011"}}]' >"$keys"
                import_check 2 'AA:BB:CC:00:00:01: cannot be imported: privateData.aesKey: not 16 bytes' /dev/null import "$keys"
                import_check 2 'Nothing to import' /dev/null import --yes "$keys"
                printf 'hello: there, and more' >"$keys"
                import_check 2 'holds no lock keys ttlockd knows' /dev/null import --yes "$keys"
                : >"$keys"
                import_check 2 'is empty' /dev/null import --yes "$keys"
                import_check 2 'standard input is empty' /dev/null import --yes -
                import_check 2 'No such file' /dev/null import --yes /nonexistent/keys

                # export never puts keys on a terminal, never overwrites a file, and calls ttlockd.
                expect 1 'Cannot create .*: File exists' export --output "$keys"
                checks=$((checks + 1))
                out=$(LC_ALL=C script -qec "$ctl export" /dev/null 2>&1)
                [[ $? -eq 2 && $out == *'Refusing to print lock keys on a terminal'* ]] ||
                        fail "export to a terminal: $out"
                rm -f "$keys.out"
                expect 1 'ServiceUnknown' export --output "$keys.out"
                checks=$((checks + 1))
                [ ! -e "$keys.out" ] || fail "a failed export left $keys.out behind"
                expect 2 'neither an address, an alias nor an object path' export /bad//path
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
expect_completion 'ttlockctl --json set ' 'autolock sound remote-unlock tamper privacy reset-button admin-passcode passage passage-now frozen door-left-open connection'
expect_completion 'ttlockctl set passage-now L ' 'on off'
expect_completion 'ttlockctl set frozen L o' 'on off'
expect_completion 'ttlockctl set door-left-open L ' 'off'
expect_completion 'ttlockctl set connection L ' 'on-demand keep-alive persistent default'
expect_completion 'ttlockctl di' 'diag'
expect_completion 'ttlockctl --no-r' '--no-redact'
expect_completion 'ttlockctl --from 2026-12-01 passcode ad' 'add'
expect_completion 'ttlockctl list ' ''
expect_completion 'ttlockctl ra' 'radios'
expect_completion 'ttlockctl radios ' ''
expect_completion 'ttlockctl imp' 'import'
expect_completion 'ttlockctl --unv' '--unverified'
expect_completion 'ttlockctl import --yes x y ' ''

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
