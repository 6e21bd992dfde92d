#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A private system bus for scripts (scripts/demo.sh), the shell twin of testbus.c.
#
#   eval "$(tests/harness/testbus.sh start [--conf FILE]... [--service FILE --exec CMD]...)"
#   ... busctl --system ..., ttlockd, ttlock-sim: all use $DBUS_SYSTEM_BUS_ADDRESS ...
#   tests/harness/testbus.sh stop
#
# "start" prints shell assignments of DBUS_SYSTEM_BUS_ADDRESS, TESTBUS_DIR and TESTBUS_PID.
# The bus is a trimmed copy of /usr/share/dbus-1/system.conf: <type>system</type>, no <user>, no
# servicehelper, so that dbus-daemon starts polkitd itself (as root; polkitd then drops to its
# own user) when someone first calls org.freedesktop.PolicyKit1. Its includedir holds the
# project's dbus/org.ttlock.Manager.conf, polkit's bus policy and any --conf FILE (e.g. a policy
# that lets the simulator own org.bluez). The directory is mode 0755 so that another uid
# (setpriv --reuid=nobody) can reach the socket.
# --service FILE --exec CMD puts a copy of the activation file FILE (e.g. the built
# dbus/org.ttlock.Manager.service) into the bus's servicedir with its Exec= replaced by CMD, in which
# @DIR@ stands for the bus directory: the first call to its Name= then starts CMD, as the system bus
# would start the installed service. dbus-daemon parses CMD as a command line, without a shell.
# "stop" ends the services the bus started (polkitd, --service ones) and dbus-daemon by pid and
# removes the directory.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
project_conf="$here/../../dbus/org.ttlock.Manager.conf"
polkit_conf=/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf
polkit_service=/usr/share/dbus-1/system-services/org.freedesktop.PolicyKit1.service

die() {
        echo "testbus.sh: $*" >&2
        exit 1
}

# Has process $1 exited? A zombie counts as gone: neither polkitd nor the forked dbus-daemon is our
# child, and a container's init may take seconds to reap them.
gone() {
        state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || true
        [ -z "$state" ] || [ "$state" = Z ]
}

# Wait until process $1 is gone, at most 5 s; then SIGKILL it.
wait_gone() {
        i=0
        while ! gone "$1"; do
                i=$((i + 1))
                if [ "$i" -gt 500 ]; then
                        kill -KILL "$1" 2>/dev/null || true
                        return 0
                fi
                sleep 0.01
        done
}

start() {
        confs=""
        while [ $# -gt 0 ]; do
                case "$1" in
                --conf) [ $# -ge 2 ] || die "--conf needs a file"; confs="$confs $2"; shift 2 ;;
                --service) [ $# -ge 2 ] || die "--service needs a file"; service=$2; shift 2 ;;
                --exec)
                        [ $# -ge 2 ] || die "--exec needs a command line"
                        [ -n "${service:-}" ] || die "--exec follows --service"
                        services="${services:-}$service
$2
"
                        service=""
                        shift 2 ;;
                *) die "unknown argument: $1" ;;
                esac
        done

        dir=$(mktemp -d /tmp/ttlockd-testbus-XXXXXX)
        chmod 0755 "$dir"
        mkdir -m 0755 "$dir/system.d" "$dir/services"
        cp "$project_conf" "$dir/system.d/"
        if [ -f "$polkit_conf" ] && [ -f "$polkit_service" ]; then
                cp "$polkit_conf" "$dir/system.d/"
                cp "$polkit_service" "$dir/services/"
        else
                echo "testbus.sh: polkit is not installed; every guarded call will be denied" >&2
        fi
        for c in $confs; do
                cp "$c" "$dir/system.d/" || die "cannot copy $c"
        done
        [ -z "${service:-}" ] || die "--service $service needs an --exec"
        # Pairs of lines: the activation file, then the command for its Exec=.
        printf '%s' "${services:-}" | while IFS= read -r file && IFS= read -r cmd; do
                [ -f "$file" ] || die "no activation file $file"
                cmd=$(printf '%s' "$cmd" | sed "s|@DIR@|$dir|g")
                # Exec= replaced, everything else as installed. awk -v would take backslashes as
                # escapes: the command goes through the environment instead.
                EXEC="$cmd" awk '/^Exec=/ { print "Exec=" ENVIRON["EXEC"]; next } { print }' \
                        "$file" >"$dir/services/$(basename "$file")" || die "cannot copy $file"
        done

        cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$dir/system_bus_socket</listen>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <includedir>$dir/system.d</includedir>
</busconfig>
EOF

        # --print-address last: given without a value it would take a following number as its fd.
        dbus-daemon --config-file="$dir/bus.conf" --fork --print-pid=3 --print-address \
                3>"$dir/pid" >"$dir/address" || { rm -rf "$dir"; die "dbus-daemon did not start"; }
        pid=$(cat "$dir/pid")
        address=$(cat "$dir/address")
        [ -n "$pid" ] && [ -n "$address" ] || die "dbus-daemon printed no pid or address"

        echo "DBUS_SYSTEM_BUS_ADDRESS='$address'; export DBUS_SYSTEM_BUS_ADDRESS;"
        echo "TESTBUS_DIR='$dir'; export TESTBUS_DIR;"
        echo "TESTBUS_PID='$pid'; export TESTBUS_PID;"
}

stop() {
        dir=${1:-${TESTBUS_DIR:-}}
        [ -n "$dir" ] && [ -f "$dir/pid" ] || die "no bus to stop (TESTBUS_DIR unset)"
        pid=$(cat "$dir/pid")
        address=$(cat "$dir/address")

        # polkitd was started by the bus, not by us: ask the bus for its pid.
        polkit_pid=$(DBUS_SYSTEM_BUS_ADDRESS="$address" busctl --system call org.freedesktop.DBus \
                /org/freedesktop/DBus org.freedesktop.DBus GetConnectionUnixProcessID s \
                org.freedesktop.PolicyKit1 2>/dev/null | sed -n 's/^u //p') || true
        if [ -n "$polkit_pid" ]; then
                kill -TERM "$polkit_pid" 2>/dev/null || true
                wait_gone "$polkit_pid"
        fi
        # What the bus started from --service files: asked for by name, like polkitd.
        for f in "$dir"/services/*.service; do
                [ -f "$f" ] || continue
                name=$(sed -n 's/^Name=//p' "$f" | head -n 1)
                [ -n "$name" ] && [ "$name" != org.freedesktop.PolicyKit1 ] || continue
                p=$(DBUS_SYSTEM_BUS_ADDRESS="$address" busctl --system call org.freedesktop.DBus \
                        /org/freedesktop/DBus org.freedesktop.DBus GetConnectionUnixProcessID s \
                        "$name" 2>/dev/null | sed -n 's/^u //p') || true
                if [ -n "$p" ]; then
                        kill -TERM "$p" 2>/dev/null || true
                        wait_gone "$p"
                fi
        done
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid"
        rm -rf "$dir"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: testbus.sh start [--conf FILE]... [--service FILE --exec CMD]... | stop [DIR]" ;;
esac
