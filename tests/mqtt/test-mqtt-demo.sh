#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# scripts/demo.sh --mqtt, end to end and without a terminal: mosquitto and ttlock-mqtt come up with
# the stack, the Home Assistant discovery topics are shown, an UNLOCK published with mosquitto_pub
# turns into state, answer and event messages; at the end nothing is left running. With --keep the
# broker and the bridge stay, and answer another shell, until --stop.
#
#   test-mqtt-demo.sh DEMO_SH BUILD_DIR

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

expect() { # FILE PATTERN (ERE)
        checks=$((checks + 1))
        grep -Eq -- "$2" "$1" || fail "no line /$2/ in the demo's output"
}

# The bridge and the broker of this demo (their command lines name its bus directory) are gone.
expect_mqtt_stopped() {
        local dir
        dir=$(sed -n 's/.* in \(\/tmp\/ttlockd-testbus-[A-Za-z0-9]*\), with .*/\1/p' "$1")
        checks=$((checks + 1))
        if [ -z "$dir" ]; then
                fail "the demo did not say which directory it used"
        elif pgrep -f -- "$dir/(mqtt|mosquitto)\\.conf" >/dev/null; then
                fail "still running: $(pgrep -a -f -- "$dir/(mqtt|mosquitto)\\.conf")"
        fi
}

tmp=$(mktemp -d)
trap 'TTLOCK_DEMO_STATE=$tmp/kept.env "$demo" --stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
out=$tmp/demo.out

checks=$((checks + 1))
timeout 300 "$demo" --build-dir "$build" --mqtt </dev/null >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "scripts/demo.sh --mqtt exited $rc"
sed 's/^/demo| /' "$out"

expect "$out" '^==================== 5\. MQTT and Home Assistant'
expect "$out" '^    homeassistant/lock/ttlock_demo/aabbcc000001_lock/config \{"name":null,"unique_id":"ttlock_demo_aabbcc000001_lock"'
expect "$out" '^    homeassistant/event/ttlock_demo/aabbcc000001_event/config '
expect "$out" '^    homeassistant/sensor/ttlock_demo/aabbcc000001_battery/config '
expect "$out" '^    ttlock/demo/status online$'
expect "$out" '^\$ mosquitto_pub -p [0-9]+ -V 5 -D publish message-expiry-interval 10 -t ttlock/demo/aabbcc000001/command -m UNLOCK$'
expect "$out" '^    ttlock/demo/aabbcc000001/state unlocking$'
expect "$out" '^    ttlock/demo/aabbcc000001/state unlocked$'
expect "$out" '^    ttlock/demo/aabbcc000001/result \{"command":"UNLOCK","result":"ok"\}$'
expect "$out" '^    ttlock/demo/aabbcc000001/event \{.*"event_type":"unlocked"'
expect "$out" '^    ttlock/demo/aabbcc000001/result \{"command":"LOCK","result":"ok"\}$'
expect "$out" '^stopped: ttlockd, ttlock-sim, polkitd and the bus'
expect_mqtt_stopped "$out"

# --keep: the broker and the bridge stay with the rest, until --stop.
export TTLOCK_DEMO_STATE=$tmp/kept.env
checks=$((checks + 1))
timeout 300 "$demo" --build-dir "$build" --keep --mqtt </dev/null >"$out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { fail "scripts/demo.sh --keep --mqtt exited $rc"; sed 's/^/demo --keep| /' "$out"; }
port=$(sed -n 's/^MQTT (man\/ttlock-mqtt\.8), the broker on 127\.0\.0\.1:\([0-9]*\):$/\1/p' "$out")
checks=$((checks + 1))
if [ -z "$port" ]; then
        fail "--keep --mqtt did not say where the broker is"
elif ! timeout 10 mosquitto_sub -p "$port" -t ttlock/demo/status -C 1 2>/dev/null | grep -qx online; then
        fail "the kept bridge is not online on port $port"
fi
checks=$((checks + 1))
"$demo" --stop >"$tmp/stop.out" 2>&1 || fail "scripts/demo.sh --stop failed: $(cat "$tmp/stop.out")"
expect_mqtt_stopped "$out"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
