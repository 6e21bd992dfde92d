#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The README's first command: as root on Debian 12, from any directory,
#
#     ./scripts/demo.sh              # build, bring up the whole stack, walk through it, stop it
#     ./scripts/demo.sh --keep       # ... and leave it running to play with
#     ./scripts/demo.sh --stop       # stop what --keep left running
#
# It installs the Debian packages it misses (scripts/lib.sh), builds the tree in _build/main, starts
# a private system bus with the real polkitd (tests/harness/testbus.sh), ttlock-sim playing BlueZ
# with one factory-fresh lock, and ttlockd from the build tree with its keys in that bus's temporary
# directory. Then it discovers and pairs the lock, unlocks and locks it, adds a passcode and types it
# at the simulated keypad, showing every busctl command it runs and what came back, and the Event
# signal the keypad produces. Every wait is for a condition (a name on the bus, a property, a line
# of monitor output), with a time-out.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
        cat <<EOF
Usage: scripts/demo.sh [OPTIONS]

Builds ttlockd and walks through it against a simulated lock on a private system bus:
discover, pair, unlock, lock, and a passcode typed at the lock's keypad turning into an Event
signal. Needs root (it installs missing Debian packages and starts polkitd on the private bus).

Options:
  --keep            leave the bus, polkitd, ttlock-sim and ttlockd running at the end and print
                    how to use them; stop them later with --stop. Only one kept demo at a time.
  --stop            stop the stack a previous --keep left running, and remove its files
  --decode          also show, frame by frame with ttlock-decode, what pairing, unlocking and the
                    lock's other conversations look like on the radio (doc/protocol.md §10)
  --mqtt            also start mosquitto and ttlock-mqtt (man/ttlock-mqtt.8): the Home Assistant
                    discovery topics, an unlock published with mosquitto_pub, and the state and
                    event messages that follow
  --build-dir DIR   build and use DIR instead of _build/main (an existing build directory is
                    compiled as it is configured; a new one is set up with -Dtests=enabled)
  -h, --help        this text

By default everything the demo started is stopped when it ends, also on an error or Ctrl-C, and
its temporary directory (bus socket, keys, logs) is removed: nothing is left running.
Environment: TTLOCK_DEMO_STATE, where --keep records what it left running
(default /run/ttlockd-demo.env).
EOF
}

STATE_FILE="${TTLOCK_DEMO_STATE:-/run/ttlockd-demo.env}"
TESTBUS="$TT_ROOT/tests/harness/testbus.sh"
SIM_CONF="$TT_ROOT/tests/sim/org.bluez-sim.conf"

ADDR="AA:BB:CC:00:00:01"
LOCK="/org/ttlock/Lock/AA_BB_CC_00_00_01"
DEV="/org/bluez/hci0/dev_AA_BB_CC_00_00_01"
CODE="246810"
WAIT_SECONDS=30

keep=0
decode=0
mqtt=0
MQTT_PORT=""
BUILD="$TT_ROOT/_build/main"

# Filled in as the stack comes up; cleanup() stops whatever is set.
sim_pid=""
daemon_pid=""
broker_pid=""
bridge_pid=""
monitor_pids=()
bus_dir=""

# Stops the processes PIDs... with SIGTERM and waits (at most 10 s each) until they are gone.
# Not all of them are our children (after --keep they were started by an earlier run), so
# /proc is watched instead of using wait; a zombie counts as gone.
stop_pids() {
        local p i state

        for p in "$@"; do
                kill -TERM "$p" 2>/dev/null || true
        done
        for p in "$@"; do
                for ((i = 0; i < 1000; i++)); do
                        state="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)" || true
                        [[ -z "$state" || "$state" == Z ]] && break
                        sleep 0.01
                done
                if [[ -n "$state" && "$state" != Z ]]; then
                        tt_note "process $p did not stop on SIGTERM, killing it"
                        kill -KILL "$p" 2>/dev/null || true
                fi
                wait "$p" 2>/dev/null || true
        done
}

cleanup() {
        local pids=()

        [[ -n "$bridge_pid" ]] && pids+=("$bridge_pid")
        [[ -n "$broker_pid" ]] && pids+=("$broker_pid")
        [[ -n "$daemon_pid" ]] && pids+=("$daemon_pid")
        [[ -n "$sim_pid" ]] && pids+=("$sim_pid")
        pids+=("${monitor_pids[@]}")
        if (( ${#pids[@]} > 0 )); then
                stop_pids "${pids[@]}"
        fi
        if [[ -n "$bus_dir" ]]; then
                "$TESTBUS" stop "$bus_dir" || true
        fi
        daemon_pid="" sim_pid="" broker_pid="" bridge_pid="" monitor_pids=() bus_dir=""
}

# show CMD...: prints the command as typed, runs it, indents what it printed. Fails as it fails.
show() {
        printf '\n$ %s\n' "$*"
        "$@" 2>&1 | sed 's/^/    /'
        return "${PIPESTATUS[0]}"
}

# show_timed CMD...: as show, and says how long the call took.
show_timed() {
        local t0 t1 rc=0

        t0="$(date +%s%N)"
        show "$@" || rc=$?
        t1="$(date +%s%N)"
        printf '    (%d ms)\n' $(((t1 - t0) / 1000000))
        return "$rc"
}

say() {
        printf '%s\n' "$@"
}

# wait_until WHAT CMD...: runs CMD every 0.1 s until it succeeds, at most WAIT_SECONDS.
wait_until() {
        local what="$1" i
        shift

        for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
                if "$@" >/dev/null 2>&1; then
                        return 0
                fi
                sleep 0.1
        done
        tt_note "gave up after ${WAIT_SECONDS} s waiting for $what"
        return 1
}

bus_has_adapter() {
        busctl --system get-property org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 Adapters |
                grep -q '^ao [1-9]'
}

# The pid of the process owning bus name $1.
bus_pid() {
        busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                GetConnectionUnixProcessID s "$1" | sed -n 's/^u //p'
}

chapter_build() {
        tt_banner "building ($BUILD)"
        tt_ensure_packages
        # A configured directory is compiled as it is: `meson configure` would make meson regenerate
        # it even when nothing changed, and meson regenerates by itself when a meson.build did.
        if [[ ! -f "$BUILD/meson-private/coredata.dat" ]]; then
                tt_meson_setup "$BUILD" -Dtests=enabled
        fi
        meson compile -C "$BUILD"
        # ttlockctl is run by its name below, as an installed one would be.
        PATH="$BUILD/src/ctl:$PATH"
}

chapter_start() {
        local env sim="$BUILD/src/sim/ttlock-sim" daemon="$BUILD/src/daemon/ttlockd"
        local starter=()

        tt_banner "1. the stack: private system bus, polkitd, ttlock-sim, ttlockd"
        # --keep: the programs get a session of their own, so that closing this terminal does not
        # take them along.
        if (( keep )); then
                starter=(setsid)
        fi

        printf '\n$ %s\n' "eval \"\$(tests/harness/testbus.sh start --conf tests/sim/org.bluez-sim.conf)\""
        env="$("$TESTBUS" start --conf "$SIM_CONF")"
        eval "$env"
        bus_dir="$TESTBUS_DIR"
        say "    A dbus-daemon of its own (pid $TESTBUS_PID) in $bus_dir, with the project's policy" \
            "    (dbus/org.ttlock.Manager.conf) and one that lets the simulator own org.bluez. It starts" \
            "    the real polkitd the first time someone asks polkit something. Everything below talks" \
            "    to it through" \
            "    DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS"

        printf '\n$ %s\n' "$sim --always-awake --lock mac=$ADDR &"
        "${starter[@]}" "$sim" --always-awake --lock "mac=$ADDR" >"$bus_dir/ttlock-sim.log" 2>&1 </dev/null &
        sim_pid=$!
        say "    ttlock-sim plays BlueZ (hci0) with one factory-fresh lock that never falls asleep;" \
            "    its radio takes 300 ms to connect and 30 ms per reply." \
            "    Log: $bus_dir/ttlock-sim.log"

        mkdir -m 0700 "$bus_dir/state"
        printf '\n$ %s\n' "STATE_DIRECTORY=$bus_dir/state $daemon &"
        STATE_DIRECTORY="$bus_dir/state" "${starter[@]}" "$daemon" >"$bus_dir/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        say "    ttlockd from the build tree, keeping its keys in $bus_dir/state." \
            "    Log: $bus_dir/ttlockd.log"

        wait_until "org.bluez on the bus" busctl --system status org.bluez
        wait_until "org.ttlock.Manager on the bus" busctl --system status org.ttlock.Manager
        wait_until "ttlockd to see the simulated adapter" bus_has_adapter
        # The bus knows who really owns the names (setsid may or may not have forked).
        sim_pid="$(bus_pid org.bluez)"
        daemon_pid="$(bus_pid org.ttlock.Manager)"
        printf '\n    ttlock-sim is pid %s, ttlockd is pid %s; both are on the bus.\n' "$sim_pid" "$daemon_pid"

        show busctl --system get-property org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 \
                Version Adapters Discovering
        show busctl --system call org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 ListLocks

        # Two listeners for what the locks report: the raw Event signals as busctl sees them, and
        # ttlockctl's one-line-per-change view of the same.
        busctl --system --json=short monitor \
                --match "type='signal',sender='org.ttlock.Manager',interface='org.ttlock.Lock1',member='Event'" \
                >"$bus_dir/events.json" 2>&1 </dev/null &
        monitor_pids+=($!)
        ttlockctl monitor >"$bus_dir/monitor.txt" 2>&1 </dev/null &
        monitor_pids+=($!)
        # Both are listening once they print their first line.
        wait_until "busctl monitor to start" grep -q 'Monitoring' "$bus_dir/events.json"
}

chapter_pair() {
        tt_banner "2. discover and pair (org.ttlock.Manager1.StartDiscovery, org.ttlock.Lock1.Pair)"
        say "StartDiscovery() lasts as long as its caller stays on the bus, so a one-shot busctl call" \
            "would end it at once. ttlockctl holds it: it calls StartDiscovery(), waits for a lock object" \
            "with Pairable=true (LockAdded), calls Pair() on it and StopDiscovery()."
        show_timed ttlockctl pair
        show busctl --system call org.ttlock.Manager /org/ttlock/Manager org.ttlock.Manager1 ListLocks
        show busctl --system get-property org.ttlock.Manager "$LOCK" org.ttlock.Lock1 \
                Paired Model FirmwareRevision Battery State
        say "" "The lock's keys are now in $bus_dir/state/locks/ (mode 0600)."
}

chapter_unlock() {
        tt_banner "3. unlock and lock (org.ttlock.Lock1; polkit action org.ttlock.operate)"
        say "Unlock() returns once the lock confirmed it; State follows what the lock reported."
        show_timed busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Lock1 Unlock
        show busctl --system get-property org.ttlock.Manager "$LOCK" org.ttlock.Lock1 State StateUpdatedUSec
        say "" "The link is kept about 2 s after the last reply, so the next command reuses it:"
        show_timed busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Lock1 Lock
        show busctl --system get-property org.ttlock.Manager "$LOCK" org.ttlock.Lock1 State StateUpdatedUSec
}

chapter_keypad() {
        local t0 t1

        tt_banner "4. someone types a passcode at the door (org.ttlock.Credentials1, org.ttlock.Sim1)"
        say "A permanent passcode (valid from 0 until 0), with an alias, so that events name it" \
            "instead of showing its digits:"
        show busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Credentials1 AddPasscode stt "$CODE" 0 0
        show busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Credentials1 \
                SetCredentialAlias sss passcode "$CODE" Postman
        show busctl --system call org.ttlock.Manager "$LOCK" org.ttlock.Credentials1 ListPasscodes

        say "" "Now the person at the door: the simulator's org.ttlock.Sim1 interface on the device object." \
            "The lock opens, writes a log record and raises the 'new records' flag in its advertisement;" \
            "ttlockd sees it, connects, reads the log and emits an Event signal."
        t0="$(date +%s%N)"
        show busctl --system call org.bluez "$DEV" org.ttlock.Sim1 EnterPasscode s "$CODE"
        wait_until "the passcode Event" grep -q '"method":{"type":"s","data":"passcode"}' "$bus_dir/events.json"
        t1="$(date +%s%N)"
        printf '\n    The Event arrived %d ms later. Every Event so far, as\n' $(((t1 - t0) / 1000000))
        printf '    busctl --system --json=short monitor --match "type='"'"'signal'"'"',member='"'"'Event'"'"'" prints it\n'
        printf '    (path and payload; the app unlock and lock above are in the log too):\n\n'
        sed -n 's/.*"path":"\([^"]*\)".*"member":"Event","payload":\(.*\)}$/    \1 \2/p' "$bus_dir/events.json"
        printf '\n    The same as ttlockctl monitor shows it, with the state changes:\n\n'
        sed 's/^/    /' "$bus_dir/monitor.txt"
        say "" "ttlockd archives every record (GetHistory); ttlockctl shows the archive as a table:"
        show ttlockctl history "$ADDR"
}

# A TCP port on 127.0.0.1 that nothing listens on (the kernel's choice).
free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() {
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# new_lines MARK PATTERN: a line after the first MARK lines of the MQTT log matches PATTERN.
new_lines() {
        tail -n +$(($1 + 1)) "$bus_dir/mqtt.txt" | grep -q -- "$2"
}

chapter_mqtt() {
        local port starter=() lock_topic="ttlock/demo/aabbcc000001" mark json

        tt_banner "5. MQTT and Home Assistant (ttlock-mqtt, man/ttlock-mqtt.8)"
        if (( keep )); then
                starter=(setsid)
        fi
        port="$(free_port)"
        cat >"$bus_dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
user root
CONF
        printf '\n$ %s\n' "mosquitto -c $bus_dir/mosquitto.conf &"
        "${starter[@]}" mosquitto -c "$bus_dir/mosquitto.conf" >"$bus_dir/mosquitto.log" 2>&1 </dev/null &
        broker_pid=$!
        wait_until "mosquitto to listen on $port" port_open "$port"
        say "    A broker of its own on 127.0.0.1:$port (anonymous, nothing kept on disk)."

        cat >"$bus_dir/mqtt.conf" <<CONF
# The demo's ttlock-mqtt configuration (man/ttlock-mqtt.8; data/mqtt.conf explains every key).
broker = mqtt://127.0.0.1:$port
node-id = demo
CONF
        show cat "$bus_dir/mqtt.conf"
        mosquitto_sub -p "$port" -v -t 'ttlock/#' >"$bus_dir/mqtt.txt" 2>&1 </dev/null &
        monitor_pids+=($!)
        printf '\n$ %s\n' "$BUILD/src/mqtt/ttlock-mqtt --config $bus_dir/mqtt.conf &"
        "${starter[@]}" "$BUILD/src/mqtt/ttlock-mqtt" --config "$bus_dir/mqtt.conf" \
                >"$bus_dir/ttlock-mqtt.log" 2>&1 </dev/null &
        bridge_pid=$!
        wait_until "ttlock-mqtt to come online" grep -q '^ttlock/demo/status online$' "$bus_dir/mqtt.txt"
        wait_until "the lock's state on MQTT" grep -q "^$lock_topic/state " "$bus_dir/mqtt.txt"
        say "    ttlock-mqtt is a client of ttlockd's D-Bus API, like ttlockctl." \
            "    Log: $bus_dir/ttlock-mqtt.log"

        say "" "Home Assistant discovery: one retained config per entity (payloads cut short here)."
        printf '\n$ %s\n' "mosquitto_sub -p $port -v -t 'homeassistant/#' --retained-only -W 1"
        { mosquitto_sub -p "$port" -v -t 'homeassistant/#' --retained-only -W 1 2>/dev/null </dev/null || true; } |
                sort | cut -c1-140 | sed 's/^/    /'

        say "" "The plain topic tree, for anything else that speaks MQTT:"
        printf '\n$ %s\n' "mosquitto_sub -p $port -v -t 'ttlock/#' --retained-only -W 1"
        { mosquitto_sub -p "$port" -v -t 'ttlock/#' --retained-only -W 1 2>/dev/null </dev/null || true; } |
                sort | cut -c1-140 | sed 's/^/    /'

        say "" "The keypad left the door open. Lock it the way Home Assistant sends commands: JSON with the" \
            "time it was sent, so that a command that waited somewhere is never carried out late" \
            "(max-command-age)."
        mark="$(wc -l <"$bus_dir/mqtt.txt")"
        json="{\"command\":\"LOCK\",\"timestamp\":$(date +%s)}"
        printf "\n\$ mosquitto_pub -p %s -t %s -m '%s'\n" "$port" "$lock_topic/command" "$json"
        mosquitto_pub -p "$port" -t "$lock_topic/command" -m "$json" 2>&1 | sed 's/^/    /'
        wait_until "the state locked" new_lines "$mark" "^$lock_topic/state locked$"
        wait_until "the answer" new_lines "$mark" "^$lock_topic/result "
        tail -n +$((mark + 1)) "$bus_dir/mqtt.txt" | grep -E '/(state|result) ' | sed 's/^/    /'

        say "" "Now unlock it. With MQTT 5 a message expiry tells the command's age just as well:"
        mark="$(wc -l <"$bus_dir/mqtt.txt")"
        show mosquitto_pub -p "$port" -V 5 -D publish message-expiry-interval 10 -t "$lock_topic/command" -m UNLOCK
        wait_until "the state unlocked" new_lines "$mark" "^$lock_topic/state unlocked$"
        wait_until "the answer" new_lines "$mark" "^$lock_topic/result "
        wait_until "the unlock event" new_lines "$mark" "^$lock_topic/event .*\"event_type\":\"unlocked\""
        say "" "What came back, as mosquitto_sub -v -t 'ttlock/#' saw it: the states on the way, the" \
            "answer, and the lock's own record of it as an event (the entity Home Assistant shows):"
        tail -n +$((mark + 1)) "$bus_dir/mqtt.txt" | grep -Ev '/(rssi|last-seen|connected) ' | sed 's/^/    /'
        MQTT_PORT="$port"
}

chapter_keep_playing() {
        tt_banner "keep playing"
        if (( keep )); then
                cat <<EOF
The stack is still running. In another shell, as root (polkit lets root do all of this):

    export DBUS_SYSTEM_BUS_ADDRESS='$DBUS_SYSTEM_BUS_ADDRESS'
    export PATH=$BUILD/src/ctl:\$PATH
EOF
        else
                cat <<EOF
Run scripts/demo.sh --keep to leave the stack running; then, in another shell, as root (polkit
lets root do all of this):

    . $STATE_FILE      # sets DBUS_SYSTEM_BUS_ADDRESS to the kept demo's bus
    export PATH=$BUILD/src/ctl:\$PATH
EOF
        fi
        cat <<EOF

The daemon (man/ttlockd.8, and its D-Bus API in dbus/org.ttlock.*.xml):

    busctl --system tree org.ttlock.Manager
    busctl --system introspect org.ttlock.Manager $LOCK
    busctl --system call org.ttlock.Manager $LOCK org.ttlock.Lock1 Unlock
    busctl --system get-property org.ttlock.Manager $LOCK org.ttlock.Lock1 State
    busctl --system call org.ttlock.Manager $LOCK org.ttlock.Settings1 SetAutoLock u 5
    busctl --system call org.ttlock.Manager $LOCK org.ttlock.Settings1 GetHistory tu 0 10
    busctl --system monitor org.ttlock.Manager

The same with ttlockctl (man/ttlockctl.1):

    ttlockctl list
    ttlockctl info $ADDR
    ttlockctl unlock $ADDR
    ttlockctl monitor
    ttlockctl card enroll $ADDR         (then PresentCard at the door, below)

The person at the door (org.ttlock.Sim1 of ttlock-sim, man/ttlock-sim.1):

    busctl --system call org.bluez $DEV org.ttlock.Sim1 EnterPasscode s $CODE
    busctl --system call org.bluez $DEV org.ttlock.Sim1 EnterPasscode s 000000
    busctl --system call org.bluez $DEV org.ttlock.Sim1 TurnKnob b false
    busctl --system call org.bluez $DEV org.ttlock.Sim1 PresentCard s 12345678
    busctl --system call org.bluez $DEV org.ttlock.Sim1 SetBattery y 15
    busctl --system call org.bluez $DEV org.ttlock.Sim1 InjectFault su no-reply 1
    busctl --system get-property org.bluez $DEV org.ttlock.Sim1 Locked LogRecords

Logs: $bus_dir/ttlockd.log and $bus_dir/ttlock-sim.log
EOF
        if (( mqtt )); then
                cat <<EOF

MQTT (man/ttlock-mqtt.8), the broker on 127.0.0.1:$MQTT_PORT:

    mosquitto_sub -p $MQTT_PORT -v -t 'ttlock/#' -t 'homeassistant/#'
    mosquitto_pub -p $MQTT_PORT -V 5 -D publish message-expiry-interval 10 \\
        -t ttlock/demo/aabbcc000001/command -m UNLOCK
    mosquitto_pub -p $MQTT_PORT -t ttlock/demo/aabbcc000001/command \\
        -m "{\"command\":\"REFRESH\",\"timestamp\":\$(date +%s)}"

Log: $bus_dir/ttlock-mqtt.log
EOF
        fi
}

# Frames as the radio carries them, explained by ttlock-decode (--decode): the frames of doc/protocol.md
# §10.
# Key K of doc/protocol.md §10: the AES key the lock of kind3r/ttlock-sdk-js#8 handed out while pairing.
DECODE_KEY="947c705c5103a1b1309eeaa00d542daa"

# step "what happens" [ttlock-decode options…] HEX
step() {
        local what="$1"
        shift
        printf '\n--- %s\n' "$what"
        printf '    %s\n' "${@: -1}"
        "$BUILD/src/tools/ttlock-decode" "${@:1:$#-1}" frame "${@: -1}" | sed 's/^/    /'
}

decode_pairing() {
        tt_banner "on the radio: pairing (doc/protocol.md §5.1)"
        echo "A factory-fresh lock speaks under the default key (§3.2) until it hands out its own."
        step "app asks for the lock's AES key (GET_AES_KEY, vendor \"SCIENER\")" \
                7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc0d0a
        step "lock answers with its new key" \
                7f5a0503020001000119aa203e7f27b40391ec02fdff54d2ecf1e7e09b948f38e0471cc900c6c1f91ac8c208970d0a
        echo
        echo "From here on every frame is encrypted with that key: $DECODE_KEY"
        step "app becomes administrator (ADD_ADMIN: adminPs, unlockKey, vendor)" --key="$DECODE_KEY" \
                7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a
        step "lock confirms" --key="$DECODE_KEY" \
                7f5a0503020001000154aa10b776b5024d151c743c5e587f46d2391a360d0a
        step "app sets the lock's clock (TIME_CALIBRATE 2021-01-19 12:34:56)" --key="$DECODE_KEY" \
                7f5a0503010001000143aa1074322b76dfc06dc5c44c793a977cc526720d0a
        step "app asks what the lock can do (SEARCH_DEVICE_FEATURE, no payload)" \
                7f5a0503010001000101aa001c0d0a
        step "lock: battery 100 %, its feature bits" --key="$DECODE_KEY" \
                7f5a0503020001000154aa100f8334b438cab888119f54b284862885090d0a
        step "app ends pairing (OPERATE_FINISHED)" \
                7f5a0503010001000157aa00b60d0a
}

decode_unlock() {
        tt_banner "on the radio: unlocking (doc/protocol.md §5.3)"
        step "app proves it holds an eKey (CHECK_USER_TIME)" --key="$DECODE_KEY" \
                7f5a0503010001000155aa20d1136208ba0ecd18db91e17ebe7f5b314e853dded61b9dacefdc500d67b8a5112c0d0a
        step "lock answers with a challenge (psFromLock)" --key="$DECODE_KEY" \
                7f5a0503020001000154aa101438dc634b180feb192c058185b084a78b0d0a
        step "app unlocks with psFromLock + unlockKey and the time" --key="$DECODE_KEY" \
                7f5a0503010001000147aa10717e6289662c960acb1eafa77a33bf8b710d0a
        step "lock: unlocked; battery, record id and its clock" --key="$DECODE_KEY" \
                7f5a0503020001000154aa20888f91eb96b6f5c76787a237ab9ac12f290286a35275f136c9b4730a6e26ba42aa0d0a
        step "later: app locks again (FUNCTION_LOCK, same payload)" --key="$DECODE_KEY" \
                7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8ba00d0a
}

decode_status() {
        tt_banner "on the radio: state, log and settings (doc/protocol.md §5.5)"
        step "app asks for the bolt's state" --key="$DECODE_KEY" \
                7f5a0503010001000114aa10b80b71644c043a6c31b186eb9e819e93640d0a
        step "lock: battery 80 %, locked" --key="$DECODE_KEY" \
                7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a0d0a
        step "app reads the log records it has not seen (GET_OPERATE_LOG FFFF)" --key="$DECODE_KEY" \
                7f5a0503010001000125aa10be072c9d02777dfeb650d50c10a78ec0f10d0a
        step "app asks for the auto-lock time" --key="$DECODE_KEY" \
                7f5a0503010001000136aa10e975e80f9a7fbecb6517bfec7bc9dee2260d0a
        step "app sets auto-lock to 5 s" --key="$DECODE_KEY" \
                7f5a0503010001000136aa10a2bd2a30323db614423b4444db4d7eb2ae0d0a
        step "app turns the lock's sounds off" --key="$DECODE_KEY" \
                7f5a0503010001000162aa1017478be3922d9fced894158210d55d85040d0a
}

decode_radio() {
        local advert="0503""02""00""57""00000000""332211ccbbaa"

        tt_banner "on the radio: what the lock broadcasts (doc/protocol.md §6, §10.4)"
        printf '\n--- advertisement: scene 2, no flags, battery 87 %%, MAC AA:BB:CC:11:22:33 (reversed)\n'
        printf '    %s\n' "$advert"
        "$BUILD/src/tools/ttlock-decode" advert "$advert" | sed 's/^/    /'
        printf '\n--- feature bits of a newer lock: four groups, bit 32 (dead lock) and up included (§8)\n'
        printf '    %s\n' "50 0044d1e6 00000801 00000000 00000000"
        "$BUILD/src/tools/ttlock-decode" features 500044d1e6000008010000000000000000 | sed 's/^/    /'
}

decode_mistakes() {
        local frame="7f5a0503010001000145aa1065ce5b109858417b468cc5dd454027c368"

        tt_banner "a frame that went wrong in the wild (doc/protocol.md §10.1 R7)"
        echo "An ESP-IDF port sent INITIALIZATION with a payload 'E' never has, and a CRC of 0x68 where"
        echo "0x89 belongs; the lock stayed silent. ttlock-decode shows both faults (under the default key):"
        printf '    %s\n' "$frame"
        # The decoder may exit non-zero on a frame this broken; what it prints is the point here.
        "$BUILD/src/tools/ttlock-decode" --key=987623e8a923a1bb3d9e7d0378124588 frame "$frame" 2>&1 | sed 's/^/    /' || true
}

chapter_decode() {
        decode_pairing
        decode_unlock
        decode_status
        decode_radio
        decode_mistakes
}

# --stop: what a --keep run recorded in STATE_FILE.
stop_kept() {
        local TTLOCK_DEMO_BUS_DIR="" TTLOCK_DEMO_PIDS=""

        if [[ ! -f "$STATE_FILE" ]]; then
                tt_note "no demo is running (no $STATE_FILE)"
                return 0
        fi
        # shellcheck disable=SC1090
        . "$STATE_FILE"
        # shellcheck disable=SC2086
        stop_pids $TTLOCK_DEMO_PIDS
        if [[ -n "$TTLOCK_DEMO_BUS_DIR" && -d "$TTLOCK_DEMO_BUS_DIR" ]]; then
                "$TESTBUS" stop "$TTLOCK_DEMO_BUS_DIR" || true
        fi
        rm -f "$STATE_FILE"
        echo "demo stopped: ttlockd, ttlock-sim, polkitd and the bus; $TTLOCK_DEMO_BUS_DIR removed"
}

# A kept demo whose bus still answers.
kept_demo_running() {
        local TTLOCK_DEMO_ADDRESS=""

        [[ -f "$STATE_FILE" ]] || return 1
        # shellcheck disable=SC1090
        . "$STATE_FILE"
        DBUS_SYSTEM_BUS_ADDRESS="$TTLOCK_DEMO_ADDRESS" busctl --system status org.freedesktop.DBus >/dev/null 2>&1
}

while (( $# > 0 )); do
        case "$1" in
        --keep) keep=1 ;;
        --decode) decode=1 ;;
        --mqtt) mqtt=1 ;;
        --stop) stop_kept; exit 0 ;;
        --build-dir)
                (( $# >= 2 )) || { tt_note "--build-dir needs a directory"; exit 2; }
                BUILD="$(realpath -m "$2")"
                shift ;;
        -h|--help) usage; exit 0 ;;
        *) tt_note "unknown option '$1' (see --help)"; exit 2 ;;
        esac
        shift
done

if (( EUID != 0 )); then
        tt_note "run me as root: I install missing packages and start polkitd on a private bus"
        exit 1
fi
if (( keep )) && kept_demo_running; then
        tt_note "a demo is already running (see $STATE_FILE); stop it first: scripts/demo.sh --stop"
        exit 1
fi

trap cleanup EXIT
trap 'exit 130' INT TERM

chapter_build
chapter_start
chapter_pair
chapter_unlock
chapter_keypad
if (( mqtt )); then
        chapter_mqtt
fi
if (( decode )); then
        chapter_decode
fi

if (( keep )); then
        # The monitors were only for the walk-through.
        stop_pids "${monitor_pids[@]}"
        monitor_pids=()
        # Sourcing it (". $STATE_FILE") also points a shell at the demo's bus.
        cat >"$STATE_FILE" <<EOF
# scripts/demo.sh --keep: what it left running; scripts/demo.sh --stop stops it.
DBUS_SYSTEM_BUS_ADDRESS='$DBUS_SYSTEM_BUS_ADDRESS'; export DBUS_SYSTEM_BUS_ADDRESS
TTLOCK_DEMO_ADDRESS='$DBUS_SYSTEM_BUS_ADDRESS'
TTLOCK_DEMO_BUS_DIR='$bus_dir'
TTLOCK_DEMO_PIDS='$bridge_pid $broker_pid $daemon_pid $sim_pid'
EOF
        chapter_keep_playing
        printf '\nLeft running, recorded in %s (". %s" in a shell sets its DBUS_SYSTEM_BUS_ADDRESS).\n' \
                "$STATE_FILE" "$STATE_FILE"
        printf 'Stop it all with: scripts/demo.sh --stop\n'
        # Nothing to clean up: it stays.
        daemon_pid="" sim_pid="" broker_pid="" bridge_pid="" bus_dir=""
else
        chapter_keep_playing
        printf '\nThat was a tour: everything is stopped now. To leave the stack running and try the\n'
        printf 'commands above, run scripts/demo.sh --keep (and scripts/demo.sh --stop when done).\n'
        cleanup
        echo "stopped: ttlockd, ttlock-sim, polkitd and the bus; $TESTBUS_DIR removed"
fi
tt_banner "done"
