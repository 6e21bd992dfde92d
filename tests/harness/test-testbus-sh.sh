#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The shell harness does what scripts rely on: a bus nobody can reach, polkitd activated on it,
# and "stop" leaves no directory and no dbus-daemon behind.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
eval "$("$here/testbus.sh" start)"
dir=$TESTBUS_DIR
pid=$TESTBUS_PID
trap '"$here/testbus.sh" stop "$dir"' EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

[ "$(stat -c %a "$dir")" = 755 ] || fail "bus directory is not 0755"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- busctl --system call \
        org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null ||
        fail "nobody cannot reach the bus"

busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        StartServiceByName su org.freedesktop.PolicyKit1 0 >/dev/null || fail "polkitd not activated"
polkit_pid=$(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        GetConnectionUnixProcessID s org.freedesktop.PolicyKit1 | sed -n 's/^u //p')
[ "$(readlink "/proc/$polkit_pid/exe")" = /usr/lib/polkit-1/polkitd ] ||
        fail "org.freedesktop.PolicyKit1 is not polkitd"
echo "polkitd $polkit_pid runs on $DBUS_SYSTEM_BUS_ADDRESS"

trap - EXIT
"$here/testbus.sh" stop "$dir"
[ ! -e "$dir" ] || fail "$dir still exists"
state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || true
[ -z "$state" ] || [ "$state" = Z ] || fail "dbus-daemon $pid still runs"
echo ok
