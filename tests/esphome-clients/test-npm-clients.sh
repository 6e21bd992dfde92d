#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlock-sim's fake ESPHome Bluetooth proxies against a well-known third-party native API client,
# the npm package @2colors/esphome-native-api, plaintext and encrypted (Noise). The package is
# installed with npm into the build directory (once; later runs reuse it).
#
#   test-npm-clients.sh TTLOCK_SIM TESTBUS_SH SIM_BUS_CONF BUILD_DIR SCRIPT_DIR

set -euo pipefail

sim=$1 testbus=$2 conf=$3 build=$4 scripts=$5
package='@2colors/esphome-native-api@1.3.6'
modules="$build/npm-esphome"
lock=AA:BB:CC:00:00:07
psk='AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='

note() { echo "test-npm-clients: $*" >&2; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        note "node and npm are needed (scripts/lib.sh installs them)"
        exit 1
fi
if [[ ! -f "$modules/node_modules/@2colors/esphome-native-api/package.json" ]]; then
        mkdir -p "$modules"
        note "installing $package into $modules"
        npm install --prefix "$modules" --no-audit --no-fund --no-save --loglevel=error "$package" >&2
fi

eval "$("$testbus" start --conf "$conf")"
sim_pid=
cleanup() {
        [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
        "$testbus" stop || true
}
trap cleanup EXIT

umask 077
echo "$psk" > "$TESTBUS_DIR/psk"
"$sim" --lock=mac=$lock --always-awake --advert-interval-ms=100 --connect-ms=50 --latency-ms=0 \
        --esphome-proxy=plain=127.0.0.1:0 --esphome-proxy=noise=127.0.0.1:0,psk="$TESTBUS_DIR/psk" &
sim_pid=$!

# Wait for the simulator on the bus (a signal-free loop bounded at 10 s, as busctl has no waiting).
for _ in $(seq 100); do
        busctl --system status org.bluez >/dev/null 2>&1 && break
        kill -0 "$sim_pid" || { note "ttlock-sim died"; exit 1; }
        sleep 0.1
done
port() {
        busctl --system get-property org.bluez "/org/ttlock/sim/proxy/$1" org.ttlock.SimProxy1 Port | cut -d' ' -f2
}

passed=0 failed=0
if node "$scripts/esphome-native-api.js" "$modules" "$(port plain)" "$lock"; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
fi
if node "$scripts/esphome-native-api.js" "$modules" "$(port noise)" "$lock" "$psk"; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
fi
kill -0 "$sim_pid" || { note "ttlock-sim died"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
((failed == 0))
