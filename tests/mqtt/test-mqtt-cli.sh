#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ttlock-mqtt's command line without a bus or a broker: --help, --version, --check-config on the
# shipped example and on broken files (the exit status and the FILE:LINE message), and the shipped
# sysusers.d file, applied to an empty root with systemd-sysusers.
#
#   test-mqtt-cli.sh TTLOCK_MQTT EXAMPLE_CONF SYSUSERS_FILE

set -u
bridge=$1
example=$2
sysusers=$3
failures=0
checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
        echo "FAIL: $*"
        failures=$((failures + 1))
}

# expect CODE PATTERN ARGS...: ttlock-mqtt ARGS exits CODE and prints (stdout+stderr) PATTERN (ERE).
expect() {
        local code=$1 pattern=$2 out rc
        shift 2
        checks=$((checks + 1))
        out=$(timeout 10 "$bridge" "$@" 2>&1)
        rc=$?
        if [ "$rc" -ne "$code" ]; then
                fail "ttlock-mqtt $* exited $rc, expected $code; output: $out"
        elif ! grep -Eq -- "$pattern" <<<"$out"; then
                fail "ttlock-mqtt $* printed: $out (expected /$pattern/)"
        fi
}

conf() { # NAME CONTENT: a configuration file
        printf '%s' "$2" >"$tmp/$1"
        echo "$tmp/$1"
}

expect 0 'See ttlock-mqtt\(8\)' --help
expect 0 '^ttlock-mqtt [0-9]' --version
expect 1 'takes no arguments' extra
expect 1 'unrecognized option' --no-such-option

# The example that is installed as /etc/ttlockd/mqtt.conf reads as it is.
expect 0 'broker mqtt://localhost:1883, topics ttlock/[A-Za-z0-9_-]+/, discovery homeassistant, management off' \
        --config="$example" --check-config

# Mistakes: the file, the line, the problem; exit status 1.
expect 1 "^$tmp/a.conf:2: unknown key \"brokr\"\$" \
        --config="$(conf a.conf $'broker = mqtt://h\nbrokr = x\n')" --check-config
expect 1 "^$tmp/b.conf:3: allow-manage must be yes or no, not \"sure\"\$" \
        --config="$(conf b.conf $'broker = mqtt://h\n# comment\nallow-manage = sure\n')" --check-config
expect 1 "^$tmp/c.conf: no broker is set" --config="$(conf c.conf $'node-id = x\n')" --check-config
expect 1 "^$tmp/missing.conf: cannot read: No such file or directory\$" --config="$tmp/missing.conf" --check-config

# Secrets: read at start; a problem names the file, never the content; too open a file is said.
printf 'p4ssw0rd\n' >"$tmp/password"
chmod 0644 "$tmp/password"
expect 0 'can be read by every user' \
        --config="$(conf d.conf "broker = mqtt://h
username = u
password-file = $tmp/password
")" --check-config
printf 'p4ss\nw0rd\n' >"$tmp/password2"
expect 1 "^$tmp/password2: has more than one line or a control character \\(password-file\\)" \
        --config="$(conf e.conf "broker = mqtt://h
username = u
password-file = $tmp/password2
")" --check-config
checks=$((checks + 1))
if timeout 10 "$bridge" --config="$tmp/e.conf" --check-config 2>&1 | grep -q 'p4ss'; then
        fail "the password appears in the output"
fi

# The sysusers.d file makes the user and the (empty) management group.
checks=$((checks + 1))
mkdir -p "$tmp/root/etc"
if ! systemd-sysusers --root="$tmp/root" "$sysusers" >/dev/null 2>&1; then
        fail "systemd-sysusers refused $sysusers"
elif ! grep -q '^ttlock-mqtt:x:[0-9]*:[0-9]*:TTLock MQTT bridge:/:' "$tmp/root/etc/passwd" ||
        ! grep -q '^ttlock-mqtt-manage:x:[0-9]*:$' "$tmp/root/etc/group"; then
        fail "systemd-sysusers made: $(cat "$tmp/root/etc/passwd" "$tmp/root/etc/group")"
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
