#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every ttlockctl command against the real stack: a private system bus, ttlock-sim playing BlueZ
# with two simulated locks (one with all features, one with none) and ttlockd from the build tree.
#
#   test-ttlockctl-stack.sh TTLOCKCTL TTLOCKD TTLOCK_SIM TESTBUS_SH SIM_BUS_CONF

set -u

ctl=$1
ttlockd=$2
sim=$3
testbus=$4
sim_conf=$5

A1=AA:BB:CC:00:00:01
A2=AA:BB:CC:00:00:02
# A lock the official app paired earlier (ttlock-sim(1) "A LOCK THAT BELONGS TO SOMEONE").
A3=AA:BB:CC:00:00:03
S3="mac=$A3,name=K5_030000,aes-key=00112233445566778899aabbccddeeff,admin-ps=73079075,unlock-key=76257105,uid=1000"
D1=/org/bluez/hci0/dev_AA_BB_CC_00_00_01
P1=/org/ttlock/Lock/AA_BB_CC_00_00_01
failures=0
checks=0
pids=()

# Dates are local time: pin the zone so that the expected µs values are fixed.
export TZ=UTC0 LC_ALL=C

fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

cleanup() {
        for p in "${pids[@]}"; do
                kill "$p" 2>/dev/null
        done
        for p in "${pids[@]}"; do
                wait "$p" 2>/dev/null
        done
        "$testbus" stop >/dev/null 2>&1
}

# expect CODE PATTERN ARGS...: ttlockctl ARGS exits CODE and its output matches PATTERN (ERE).
expect() {
        local code=$1 pattern=$2 rc
        shift 2
        checks=$((checks + 1))
        out=$(timeout 60 "$ctl" "$@" 2>&1)
        rc=$?
        if [ "$rc" -ne "$code" ]; then
                fail "ttlockctl $* exited $rc, expected $code; output: $out"
        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                fail "ttlockctl $* printed: $out (expected /$pattern/)"
        fi
}

# expect_in INPUT CODE PATTERN ARGS...: as expect, with INPUT (printf format) on standard input.
expect_in() {
        local input=$1 code=$2 pattern=$3 rc
        shift 3
        checks=$((checks + 1))
        # shellcheck disable=SC2059
        out=$(printf "$input" | timeout 60 "$ctl" "$@" 2>&1)
        rc=$?
        if [ "$rc" -ne "$code" ]; then
                fail "ttlockctl $* <<< '$input' exited $rc, expected $code; output: $out"
        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                fail "ttlockctl $* <<< '$input' printed: $out (expected /$pattern/)"
        fi
}

# refute PATTERN ARGS...: ttlockctl ARGS succeeds and its output does not match PATTERN.
refute() {
        local pattern=$1
        shift
        checks=$((checks + 1))
        out=$(timeout 60 "$ctl" "$@" 2>&1) || fail "ttlockctl $* failed: $out"
        if grep -Eq -- "$pattern" <<<"$out"; then
                fail "ttlockctl $* printed: $out (should not match /$pattern/)"
        fi
}

as_nobody() {
        local code=$1 pattern=$2 rc
        shift 2
        checks=$((checks + 1))
        out=$(timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups "$ctl" "$@" 2>&1)
        rc=$?
        if [ "$rc" -ne "$code" ]; then
                fail "as nobody: ttlockctl $* exited $rc, expected $code; output: $out"
        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                fail "as nobody: ttlockctl $* printed: $out (expected /$pattern/)"
        fi
}

sim1() {
        busctl --system call org.bluez "$D1" org.ttlock.Sim1 "$@" >/dev/null
}

# Wait (at most 20 s) until FILE has at least N lines matching PATTERN; no check counted (helpers use it).
wait_count() {
        local file=$1 pattern=$2 n=$3 i
        for ((i = 0; i < 200; i++)); do
                [ "$(grep -Ec -- "$pattern" "$file")" -ge "$n" ] && return 0
                sleep 0.1
        done
        echo "no $n lines /$pattern/ in $file" >&2
        return 1
}

# Wait (at most 20 s) until FILE has a line matching PATTERN.
wait_for_line() {
        local file=$1 pattern=$2 i
        checks=$((checks + 1))
        for ((i = 0; i < 200; i++)); do
                grep -Eq -- "$pattern" "$file" && return 0
                sleep 0.1
        done
        fail "no line /$pattern/ in $file: $(cat "$file")"
}

eval "$("$testbus" start --conf "$sim_conf")" || { echo "could not start a private bus" >&2; exit 1; }
trap cleanup EXIT
trap "exit 1" INT TERM
state=$TESTBUS_DIR/state
mkdir -m 0700 "$state"

# TTLOCK_TEST_WRAPPER (e.g. valgrind, scripts/run-tests.sh section valgrind) goes in front of both.
# shellcheck disable=SC2086
${TTLOCK_TEST_WRAPPER:-} "$sim" --always-awake --latency-ms 0 --lock mac=$A1 --lock mac=$A2,features=none --lock "$S3" \
        >"$TESTBUS_DIR/sim.log" 2>&1 &
sim_pid=$!
pids+=($sim_pid)
# shellcheck disable=SC2086
STATE_DIRECTORY=$state TTLOCKD_CONFIG="$TESTBUS_DIR/ttlockd.conf" ${TTLOCK_TEST_WRAPPER:-} "$ttlockd" \
        >"$TESTBUS_DIR/ttlockd.log" 2>&1 &
daemon_pid=$!
pids+=($daemon_pid)

# Both names on the bus, without a fixed sleep: ask until they answer (at most 20 s).
for name in org.bluez org.ttlock.Manager; do
        for ((i = 0; i < 200; i++)); do
                busctl --system status "$name" >/dev/null 2>&1 && break
                sleep 0.1
        done
done

monitor_log=$TESTBUS_DIR/monitor.json
"$ctl" --json monitor >"$monitor_log" 2>&1 &
pids+=($!)
monitor_text=$TESTBUS_DIR/monitor.txt
"$ctl" monitor $A1 >"$monitor_text" 2>&1 &
pids+=($!)

# Nothing paired yet.
expect 0 '^\[\]$' --json list
expect 5 'org\.ttlock\.Error\.DoesNotExist' info $A1

# pair LOCK: discovery, the named lock, Pair(), StopDiscovery.
expect 0 "Paired $A1 \\($P1\\)" pair aa:bb:cc:00:00:01
expect 0 "^$A1 +S202F_010000 +paired +locked +90% +(yes|no) +hci0$" --no-legend list
expect 0 'Radio: +hci0' info $A1
expect 0 'Heard by: +hci0 -[0-9]+ dBm' info $A1
expect 0 '^hci0 +bluez +[0-9A-F:]{17} +yes +- +-$' --no-legend radios
expect 0 '"Kind":"bluez"' --json radios
# No ttlockd.conf: reloading it is reloading the defaults.
expect 0 '^$' reload
printf '[Proxy]\nName=a b\n' >"$TESTBUS_DIR/ttlockd.conf"
expect 2 'InvalidFileContent.*ttlockd\.conf:2: Name=' reload
rm -f "$TESTBUS_DIR/ttlockd.conf"
expect 0 '"Paired":true' --json list

# alias, then LOCK as alias, address and path.
expect 0 '^$' alias $A1 "Front door"
expect 0 '^Front door$' alias "Front door"
expect 0 '"Alias":"Front door"' --json info "Front door"
expect 0 "\"Path\":\"$P1\"" --json info $P1
expect 0 'Address: +AA:BB:CC:00:00:01' info aa:bb:cc:00:00:01
expect 5 'No lock has the address, alias or path "Back door"' info "Back door"
expect 5 'org\.freedesktop\.DBus\.Error\.UnknownObject' info /org/ttlock/Lock/AA_BB_CC_00_00_09

# lock / unlock / refresh, and the monitor sees the state change.
expect 0 '^$' unlock "Front door"
expect 0 '"State":"unlocked"' --json info "Front door"
wait_for_line "$monitor_log" '"type":"property","property":"State","value":"unlocked".*"address":"AA:BB:CC:00:00:01"'
wait_for_line "$monitor_text" "^[0-9-]+ [0-9:]+  $A1  state unlocked$"
expect 0 '^$' lock "Front door"
expect 0 '"State":"locked"' --json info "Front door"
expect 0 '^$' refresh "Front door"

# Passcodes: add with validity, list, InvalidArgs, delete.
expect 0 '^$' passcode add "Front door" 482916 --from 2026-12-01T08:00 --until 2026-12-24T18:00
expect 0 '^$' passcode add "Front door" 1234
expect 0 '"code":"482916","kind":"period","valid-from-usec":1796112000000000,"valid-until-usec":1798135200000000' \
        --json passcode list "Front door"
expect 0 '^482916 +period +2026-12-01 08:00 +2026-12-24 18:00' --no-legend passcode list "Front door"
expect 2 'org\.freedesktop\.DBus\.Error\.InvalidArgs: ' passcode add "Front door" 12a
# A named kind goes through AddPasscodeOfKind; the daemon checks that the validity fits it.
expect 0 '^$' passcode add "Front door" 97531 --kind one-time --from 2026-12-01T08:00 --until 2026-12-24T18:00
expect 0 '^97531 +one-time +2026-12-01 08:00 +2026-12-24 18:00' --no-legend passcode list "Front door"
expect 2 'org\.freedesktop\.DBus\.Error\.InvalidArgs: .*needs valid_from_usec' passcode add "Front door" 97532 --kind one-time
expect 0 '^$' passcode del "Front door" 97531
expect 2 'org\.freedesktop\.DBus\.Error\.InvalidArgs: ' passcode add "Front door" 55555 --from 1999-01-01 --until 2000-01-01
expect 0 '^$' passcode alias "Front door" 1234 Cleaner
expect 0 '"code":"1234".*"alias":"Cleaner"' --json passcode list "Front door"
expect 0 '^$' passcode change "Front door" 1234 5678
expect 0 '"code":"5678"' --json passcode list "Front door"
expect 0 '^$' passcode del "Front door" 5678
refute '"5678"' --json passcode list "Front door"
expect 0 '^$' passcode clear "Front door"
expect 0 '^No passcodes\.$' passcode list "Front door"

# A passcode given as "-" comes from standard input, one line per "-", and never from the command
# line, where every local user could read it.
expect_in '314159\n' 0 '^$' passcode add "Front door" -
expect 0 '"code":"314159"' --json passcode list "Front door"
expect_in '314159\n271828\n' 0 '^$' passcode change "Front door" - -
expect 0 '"code":"271828"' --json passcode list "Front door"
expect_in '271828\n' 0 '^$' passcode alias "Front door" - Neighbour
expect 0 '"code":"271828".*"alias":"Neighbour"' --json passcode list "Front door"
expect_in '271828\n' 0 '^$' passcode del "Front door" -
refute '"271828"' --json passcode list "Front door"
expect_in '' 2 'No passcode on standard input' passcode add "Front door" -
expect_in '1234567890123456789012345678901234567890123456789012345678901234567\n' 2 'too long' \
        passcode add "Front door" -
expect_in '13579\n' 0 '^$' set admin-passcode "Front door" -
checks=$((checks + 1))
out=$(busctl --system call org.ttlock.Manager "$P1" org.ttlock.Settings1 GetAdminPasscode 2>&1)
[ "$out" = 's "13579"' ] || fail "GetAdminPasscode after set admin-passcode -: $out"

# At a terminal (script(1) gives it one): a prompt, and what is typed after it is not echoed.
tty_in=$TESTBUS_DIR/tty-in
tty_out=$TESTBUS_DIR/tty-out
mkfifo "$tty_in"
script -qefc "$ctl passcode add $A1 -" /dev/null <"$tty_in" >"$tty_out" 2>&1 &
script_pid=$!
exec 3>"$tty_in"
wait_for_line "$tty_out" 'Passcode: '
printf '918273\n' >&3
checks=$((checks + 1))
wait "$script_pid" || fail "passcode add - at a terminal failed: $(cat "$tty_out")"
exec 3>&-
checks=$((checks + 1))
if grep -q 918273 "$tty_out"; then
        fail "the terminal echoed the passcode: $(cat "$tty_out")"
fi
expect 0 '"code":"918273"' --json passcode list "Front door"
expect 0 '^$' passcode clear "Front door"

# The keypad opens the lock, and the monitor shows the event with the passcode's alias.
expect 0 '^$' passcode add "Front door" 24680
expect 0 '^$' passcode alias "Front door" 24680 Postman
sim1 EnterPasscode s 24680
expect 0 '^$' refresh "Front door"
wait_for_line "$monitor_log" '"type":"event","kind":"unlocked","details":\{.*"method":"passcode"'
refute '24680' --json history "Front door"
expect 0 'unlocked +passcode' history "Front door"
expect 0 '^\[.*"kind":"unlocked"' --json history "Front door" --since 2000-01-01 --max 50

# Cards: add by number, validity, enroll at the lock, cancel with Ctrl-C.
expect 0 '^$' card add "Front door" 123456789
expect 0 '^$' card validity "Front door" 123456789 --from 2026-12-01 --until 2027-01-01
expect 0 '^123456789 +2026-12-01 00:00 +2027-01-01 00:00' --no-legend card list "Front door"
# The card is presented once the lock listens (the monitor saw "waiting"), not after a guessed delay.
(wait_count "$monitor_log" '"type":"enrollment","kind":"ic-card","status":"waiting"' 1 &&
        sim1 PresentCard s 987654) &
helper=$!
expect 0 '^Enrolled card 987654\.$' card enroll "Front door"
grep -q '^Hold the card to the lock' <<<"$out" || fail "card enroll showed no progress: $out"
wait $helper
expect 0 '"number":"987654"' --json card list "Front door"
wait_for_line "$monitor_log" '"type":"enrollment","kind":"ic-card","status":"completed".*"id":"987654"'
expect 0 '^$' card alias "Front door" 987654 Kids
# Who opened the door: the card's alias rides along in the Event (org.ttlock.Lock1(5), Event "alias").
sim1 PresentCard s 987654
wait_for_line "$monitor_log" '"type":"event","kind":"unlocked","details":\{.*"method":"ic-card".*"alias":"Kids"'
expect 0 '^$' card del "Front door" 123456789
refute '123456789' --json card list "Front door"

checks=$((checks + 1))
"$ctl" card enroll "Front door" >"$TESTBUS_DIR/enroll.out" 2>&1 &
enroll_pid=$!
for ((i = 0; i < 100; i++)); do
        grep -q 'Hold the card' "$TESTBUS_DIR/enroll.out" && break
        sleep 0.1
done
kill -INT $enroll_pid
wait $enroll_pid
rc=$?
[ $rc -eq 130 ] || fail "card enroll interrupted exited $rc: $(cat "$TESTBUS_DIR/enroll.out")"
wait_for_line "$monitor_log" '"type":"enrollment","kind":"ic-card","status":"cancelled"'
expect 0 '^$' card clear "Front door"
expect 0 '^No cards\.$' card list "Front door"

# Fingerprints: four scans.
# Each press once the lock asks for it: "waiting" before the first, "progress" after each one.
(for i in 1 2 3 4; do
        wait_count "$monitor_log" '"type":"enrollment","kind":"fingerprint","status":"(waiting|progress)"' $i &&
                sim1 PlaceFinger s 7
done) &
helper=$!
expect 0 '^Enrolled fingerprint ' finger enroll "Front door"
grep -q '^Scan 1 of 4 done' <<<"$out" || fail "finger enroll showed no progress: $out"
wait $helper
expect 0 '"id":"' --json finger list "Front door"
finger_id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$out" | head -1)
expect 0 '^$' finger validity "Front door" "$finger_id" --from 2026-12-01 --until 2027-01-01
expect 0 '^$' finger alias "Front door" "$finger_id" Dad
expect 0 '"alias":"Dad"' --json finger list "Front door"
expect 0 '^$' finger del "Front door" "$finger_id"
expect 0 '^$' finger clear "Front door"
expect 0 '^No fingerprints\.$' finger list "Front door"

# Settings.
expect 0 '^$' set autolock "Front door" 30s
expect 0 '"AutoLockSeconds":30' --json info "Front door"
expect 0 '^$' set autolock "Front door" off
expect 0 '"AutoLockSeconds":0' --json info "Front door"
expect 0 '^$' set sound "Front door" on 2
expect 0 '"SoundEnabled":true.*"SoundVolume":2|"SoundVolume":2.*"SoundEnabled":true' --json info "Front door"
expect 0 '^$' set sound "Front door" off
expect 0 '"SoundEnabled":false' --json info "Front door"
expect 2 'InvalidArgs' set sound "Front door" on 9
for s in remote-unlock:RemoteUnlock tamper:TamperAlert privacy:PrivacyLock reset-button:ResetButton; do
        expect 0 '^$' set "${s%%:*}" "Front door" on
        expect 0 "\"${s#*:}\":true" --json info "Front door"
        expect 0 '^$' set "${s%%:*}" "Front door" off
        expect 0 "\"${s#*:}\":false" --json info "Front door"
done
expect 0 '^$' set passage "Front door" mon-fri@08:00-18:00 sat,sun@10:00-12:00
expect 0 '^mon-fri +08:00 +18:00$' --no-legend passage list "Front door"
expect 0 '"weekdays":\[6,7\],"start-minute":600,"end-minute":720' --json passage list "Front door"
expect 2 'InvalidArgs' set passage "Front door" mon@18:00-08:00
expect 0 '^$' set passage "Front door" off
expect 0 '^No passage mode schedules\.$' passage list "Front door"
expect 0 '^$' clock sync "Front door"
expect 0 'Clock offset: +[+-]?[0-9]+ s' info "Front door"

# Passage mode now, freezing, the door (the simulator's default lock has the features).
expect 0 '^$' set passage "Front door" mon@08:00-09:00
expect 0 '^$' set passage-now "Front door" on
expect 0 'Passage now: +yes' info "Front door"
expect 0 '^mon +08:00 +09:00$' --no-legend passage list "Front door"
expect 0 '^$' set passage-now "Front door" off
expect 0 '"PassageModeActive":false' --json info "Front door"
expect 0 '^mon +08:00 +09:00$' --no-legend passage list "Front door"
expect 0 '^$' set passage "Front door" off
expect 0 '^$' set frozen "Front door" on
expect 0 'Frozen: +yes' info "Front door"
expect 0 '^$' set frozen "Front door" off
expect 0 '"Frozen":false' --json info "Front door"
expect 0 '^$' set door-left-open "Front door" 2min
expect 0 'Door left open: +after 120 s' info "Front door"
busctl --system call org.bluez /org/bluez/hci0/dev_AA_BB_CC_00_00_01 org.ttlock.Sim1 OpenDoor b true
wait_for_line "$monitor_text" "^[0-9-]+ [0-9:]+  $A1  event door-opened method=door-sensor "
expect 0 'Door: +open \(seen ' info "Front door"
busctl --system call org.bluez /org/bluez/hci0/dev_AA_BB_CC_00_00_01 org.ttlock.Sim1 OpenDoor b false
wait_for_line "$monitor_log" '"type":"event","kind":"door-closed"'
expect 0 '"DoorOpen":false' --json info "Front door"
# Link health and the connection policy (ttlockd(8) "LINK HEALTH AND CONNECTIONS").
expect 0 'Reachable: +yes' info "Front door"
expect 0 'Connects: +[0-9]+ of the last [0-9]+ worked' info "Front door"
expect 0 'Connection: +on-demand' info "Front door"
expect 0 '^$' set connection "Front door" keep-alive 2min
expect 0 'Connection: +keep-alive, 120 s' info "Front door"
expect 0 '"ConnectionPolicy":"keep-alive","KeepAliveSeconds":120|"KeepAliveSeconds":120' --json info "Front door"
expect 0 '^$' set connection "Front door" default
expect 0 'Connection: +on-demand' info "Front door"
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password set connection "Front door" persistent

# Diagnostics: written to a new file, with none of the lock's addresses, keys or codes in it.
expect 0 '^Diagnostics written to ' diag --output "$TESTBUS_DIR/diag.json"
checks=$((checks + 1))
grep -q '"format": "ttlockd-diagnostics 1"' "$TESTBUS_DIR/diag.json" || fail "diag wrote no bundle"
for secret in "$A1" "${A1//:/_}" "$A2" S202F_010000 24680; do
        checks=$((checks + 1))
        grep -qi -- "$secret" "$TESTBUS_DIR/diag.json" && fail "the diagnostics hold $secret"
done
expect 1 'Cannot create .*: File exists' diag --output "$TESTBUS_DIR/diag.json"
expect 0 "\"address\": \"$A1\"" diag --no-redact "Front door"
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password diag

# A lock without features: NotSupported (exit 4) for every credential and setting family.
expect 0 "Paired $A2" pair $A2
expect 4 'org\.ttlock\.Error\.NotSupported: ' passcode add $A2 1234
expect 4 'org\.ttlock\.Error\.NotSupported: ' card list $A2
expect 4 'org\.ttlock\.Error\.NotSupported: ' finger enroll $A2
expect 4 'org\.ttlock\.Error\.NotSupported: ' set passage $A2 daily@08:00-09:00
expect 4 'org\.ttlock\.Error\.NotSupported: ' set passage-now $A2 on
expect 4 'org\.ttlock\.Error\.NotSupported: ' set frozen $A2 on
expect 4 'org\.ttlock\.Error\.NotSupported: ' set door-left-open $A2 60
refute 'Door:|Frozen:|Passage now:' info $A2

# Another uid, no password prompts: AccessDenied-like (exit 3); reading is allowed.
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password passcode list "Front door"
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password unlock "Front door"
as_nobody 0 "$A1" list

# Keys from elsewhere (ttlockctl(1) "Keys from elsewhere"): A3 was paired by the app; its lockData is
# imported, no reset, and it works. What ttlockctl prints never holds a key.
keys3=$TESTBUS_DIR/a3.lockdata
"$sim" --lock "$S3" --print-lockdata admin >"$keys3" || fail "ttlock-sim --print-lockdata admin"
expect 0 "^$A3 +K5_030000 +admin +permanent" --no-ask-password import --yes "$keys3"
grep -q "^Imported $A3" <<<"$out" || fail "import did not say what it imported: $out"
grep -Eq '73079075|76257105|00112233445566778899' <<<"$out" && fail "import printed a key: $out"
expect 0 "^$A3 +K5_030000 +paired" --no-legend list
expect 0 'Role: +admin' info $A3
expect 0 '^$' unlock $A3
expect 0 '^$' passcode add $A3 8642
expect 0 '^$' alias $A3 "Garage"
# Another uid: no keys in, none out.
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password import --yes "$keys3"
as_nobody 3 'org\.freedesktop\.DBus\.Error\.(InteractiveAuthorizationRequired|AccessDenied): ' \
        --no-ask-password export

# A backup, encrypted as the README shows, forget, restore: the lock works again with its alias.
export GNUPGHOME=$TESTBUS_DIR/gnupg
mkdir -m 0700 "$GNUPGHOME"
printf 'correct horse battery staple\n' >"$TESTBUS_DIR/passphrase"
gpg_batch=(gpg --batch --quiet --pinentry-mode loopback --passphrase-file "$TESTBUS_DIR/passphrase")
checks=$((checks + 1))
"$ctl" export "$A3" | "${gpg_batch[@]}" --symmetric --output "$TESTBUS_DIR/locks.yaml.gpg" ||
        fail "ttlockctl export | gpg --symmetric"
grep -q 'aes-key' "$TESTBUS_DIR/locks.yaml.gpg" && fail "the encrypted export holds the keys in clear"
expect 0 '^$' forget $A3
refute "$A3 .* paired" --no-legend list
checks=$((checks + 1))
out=$("${gpg_batch[@]}" --decrypt "$TESTBUS_DIR/locks.yaml.gpg" | timeout 60 "$ctl" import --yes - 2>&1) ||
        fail "gpg --decrypt | ttlockctl import -: $out"
grep -Eq "^$A3 +Garage +admin" <<<"$out" || fail "the restored export showed: $out"
expect 0 '^Garage$' alias $A3
expect 0 '^$' lock $A3
expect 0 '^8642 ' --no-legend passcode list $A3

# An eKey of the same lock, from standard input: refused while ttlockd holds the admin's keys; once those
# are forgotten it opens, and manages nothing (exit 4, the missing admin right named).
now=$(date +%s)
ekey3=$TESTBUS_DIR/a3.ekey
"$sim" --lock "$S3,ekey-uid=2000,ekey-from=$((now - 3600)),ekey-until=$((now + 86400))" --print-lockdata ekey \
        >"$ekey3" || fail "ttlock-sim --print-lockdata ekey"
expect 1 "org\.ttlock\.Error\.AlreadyExists: .*Forget the lock first" import --yes - <"$ekey3"
expect 0 '^$' forget $A3
expect 0 "^$A3 +K5_030000 +user +[0-9-]+ [0-9:]+ – [0-9-]+ [0-9:]+" import --yes - <"$ekey3"
expect 0 'Role: +user' info $A3
expect 0 '^$' unlock $A3
expect 0 '^$' lock $A3
expect 4 'org\.ttlock\.Error\.NotSupported: .*needs the admin right' passcode add $A3 1234
expect 4 'org\.ttlock\.Error\.NotSupported: .*needs the admin right' set autolock $A3 30s
# A lock out of reach: nothing imported; unverified, it is kept until the lock is heard.
far=$TESTBUS_DIR/far.lockdata
"$sim" --lock "mac=AA:BB:CC:00:00:09,aes-key=00112233445566778899aabbccddeeff,admin-ps=1,unlock-key=2" \
        --print-lockdata admin >"$far"
expect 1 'org\.ttlock\.Error\.Unreachable' import --yes "$far"
expect 0 'Imported AA:BB:CC:00:00:09' import --yes --unverified "$far"
expect 0 '^$' forget AA:BB:CC:00:00:09
expect 0 '^$' forget $A3

# forget and reset.
expect 0 '^$' forget $A2
refute "$A2 .* paired" --no-legend list
expect 0 '^$' reset "Front door"
refute "$A1 .* paired" --no-legend list

# Both end cleanly on SIGTERM (with a wrapper: no error, no leak); the monitors go first.
kill "${pids[@]:2}" 2>/dev/null
for who in "ttlockd $daemon_pid ttlockd.log" "ttlock-sim $sim_pid sim.log"; do
        read -r name p log <<<"$who"
        checks=$((checks + 1))
        kill -TERM "$p"
        wait "$p"
        rc=$?
        [ "$rc" -eq 0 ] || fail "$name exited $rc on SIGTERM; its log: $(cat "$TESTBUS_DIR/$log")"
done
pids=()

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
