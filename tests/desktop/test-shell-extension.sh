#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The "Door locks" extension in a real GNOME Shell: headless GNOME Shell (43 on Debian 12) with a
# virtual monitor, on a session bus of its own, with HOME and XDG_RUNTIME_DIR in a temporary
# directory; its system bus is the private test bus where ttlock-sim plays BlueZ with one lock,
# ttlockd pairs it and the real polkitd decides. The test enables the extension the way a person
# does (gnome-extensions enable), then reads what the Shell shows through org.gnome.Shell.Eval
# (--unsafe-mode allows it): the toggle and the rows are found by actor name in the stage and
# their labels read as drawn.
#
#   test-shell-extension.sh EXTENSION_DIR UUID TTLOCKD TTLOCK_SIM TTLOCKCTL TESTBUS_SH SIM_CONF ARTEFACT_DIR
#
# ARTEFACT_DIR receives the screenshot of the open menu (shell-extension.png) and the logs.
# Stopping GNOME Shell 43 may end in SIGSEGV (Debian 12's build, in its teardown): its exit
# status is reported, not counted. Everything started here is stopped by pid; processes the
# session bus activated are found by this test's own XDG_RUNTIME_DIR in their environment.

set -u

ext_dir=$1
uuid=$2
ttlockd=$3
sim=$4
ctl=$5
testbus=$6
sim_conf=$7
artefacts=$8

ADDR=AA:BB:CC:00:00:01
DEV=/org/bluez/hci0/dev_AA_BB_CC_00_00_01
ALIAS="Front door"
# A second lock, left unlocked: the menu sorts by name and the top bar shows the open lock.
ADDR2=AA:BB:CC:00:00:02
ALIAS2="Garden shed"
TIMEOUT=30 # seconds, for every wait below

passed=0
failed=0
pids=()
shell_pid=
session_bus_pid=
daemon_pid=
desk=

export LC_ALL=C.UTF-8 TZ=UTC0
unset LANGUAGE LANG DISPLAY WAYLAND_DISPLAY

note() {
        echo "# $*"
}

pass() {
        passed=$((passed + 1))
        echo "ok: $*"
}

fail() {
        failed=$((failed + 1))
        echo "FAIL: $*" >&2
}

# Is process $1 gone (or a zombie)?
gone() {
        local state
        state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || true
        [ -z "$state" ] || [ "$state" = Z ]
}

# stop_pid PID: SIGTERM, at most 10 s, then SIGKILL. Prints nothing; the caller reaps.
stop_pid() {
        local pid=$1 i
        [ -n "$pid" ] || return 0
        kill -TERM "$pid" 2>/dev/null || return 0
        for ((i = 0; i < 1000; i++)); do
                gone "$pid" && return 0
                sleep 0.01
        done
        kill -KILL "$pid" 2>/dev/null
}

# Processes started on this desktop's behalf by the session bus (a11y bus, dconf, the calendar
# server, …) carry its XDG_RUNTIME_DIR; ours is a unique temporary path.
desktop_leftovers() {
        local e
        [ -n "$desk" ] || return 0
        for e in /proc/[0-9]*/environ; do
                if tr '\0' '\n' 2>/dev/null <"$e" | grep -qxF "XDG_RUNTIME_DIR=$desk/run"; then
                        e=${e#/proc/}
                        echo "${e%/environ}"
                fi
        done
}

stop_desktop() {
        local status p
        if [ -n "$shell_pid" ]; then
                stop_pid "$shell_pid"
                wait "$shell_pid" 2>/dev/null
                status=$?
                if [ "$status" -eq $((128 + 11)) ]; then
                        note "gnome-shell ended with SIGSEGV when stopped (Debian 12's Shell 43 does); not counted"
                else
                        note "gnome-shell exited with status $status"
                fi
                shell_pid=
        fi
        if [ -n "$session_bus_pid" ]; then
                stop_pid "$session_bus_pid"
                session_bus_pid=
        fi
        for p in $(desktop_leftovers); do
                stop_pid "$p"
        done
}

cleanup() {
        local p
        stop_desktop
        for p in "${pids[@]}" $daemon_pid; do
                stop_pid "$p"
                wait "$p" 2>/dev/null
        done
        "$testbus" stop >/dev/null 2>&1
        if [ -n "$desk" ]; then
                cp "$desk/shell.log" "$artefacts/gnome-shell.log" 2>/dev/null
                rm -rf "$desk"
        fi
}

# wait_for WHAT COMMAND...: run COMMAND until it succeeds, at most TIMEOUT s.
wait_for() {
        local what=$1 end=$((SECONDS + TIMEOUT))
        shift
        while ((SECONDS < end)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        echo "timed out waiting for $what" >&2
        return 1
}

# shell_eval JS: evaluate JS in GNOME Shell and print the result: a string as it is, any other
# value as JSON (true, 1, ["a"], null for undefined).
# Fails when the Shell reports an exception.
shell_eval() {
        busctl --user --json=short call org.gnome.Shell /org/gnome/Shell org.gnome.Shell Eval s "$1" 2>&1 |
                python3 -c '
import json, sys
raw = sys.stdin.read()
try:
    ok, value = json.loads(raw)["data"]
except Exception:
    sys.exit("Eval call failed: " + raw.strip())
if not ok:
    sys.exit("Eval raised: " + value)
value = json.loads(value) if value else None
print(value if isinstance(value, str) else json.dumps(value))'
}

# expect_eval WHAT JS REGEX: wait until JS evaluates to something matching REGEX (ERE).
expect_eval() {
        local what=$1 js=$2 regex=$3 end=$((SECONDS + TIMEOUT)) out=""
        while ((SECONDS < end)); do
                out=$(shell_eval "$js" 2>&1) && grep -Eq -- "$regex" <<<"$out" && {
                        pass "$what"
                        return 0
                }
                sleep 0.1
        done
        fail "$what: last result $out (expected /$regex/)"
        return 1
}

sim1_locked() {
        busctl --system get-property org.bluez "$DEV" org.ttlock.Sim1 Locked
}

start_daemon() {
        STATE_DIRECTORY=$TESTBUS_DIR/state "$ttlockd" >>"$artefacts/ttlockd.log" 2>&1 </dev/null &
        daemon_pid=$!
        wait_for "org.ttlock.Manager" busctl --system status org.ttlock.Manager
}

mkdir -p "$artefacts"
rm -f "$artefacts"/*.log "$artefacts/shell-extension.png"

# ---- the system side: private bus, polkitd, ttlock-sim, ttlockd, one paired lock ----
eval "$("$testbus" start --conf "$sim_conf")" || { echo "could not start a private bus" >&2; exit 1; }
trap cleanup EXIT
trap "exit 1" INT TERM
mkdir -m 0700 "$TESTBUS_DIR/state"

"$sim" --always-awake --latency-ms 0 --connect-fail-ms 200 --lock "mac=$ADDR" --lock "mac=$ADDR2" \
        >"$artefacts/ttlock-sim.log" 2>&1 </dev/null &
pids+=($!)
wait_for "org.bluez" busctl --system status org.bluez || exit 1
start_daemon || exit 1
for a in "$ADDR" "$ADDR2"; do
        timeout 60 "$ctl" pair "$a" >/dev/null || { echo "pairing $a failed" >&2; exit 1; }
done
timeout 60 "$ctl" alias "$ADDR" "$ALIAS" || { echo "alias failed" >&2; exit 1; }
timeout 60 "$ctl" alias "$ADDR2" "$ALIAS2" || { echo "alias failed" >&2; exit 1; }
timeout 60 "$ctl" lock "$ADDR" || { echo "lock failed" >&2; exit 1; }
timeout 60 "$ctl" unlock "$ADDR2" || { echo "unlock failed" >&2; exit 1; }
note "two locks paired: \"$ALIAS\" locked, \"$ALIAS2\" unlocked"

# ---- the desktop: a session bus and headless GNOME Shell in a temporary HOME ----
desk=$(mktemp -d /tmp/ttlockd-desktop-XXXXXX)
mkdir -p "$desk/home" "$desk/run"
chmod 0700 "$desk/run"
export HOME=$desk/home XDG_RUNTIME_DIR=$desk/run
export XDG_CONFIG_HOME=$HOME/.config XDG_DATA_HOME=$HOME/.local/share XDG_CACHE_HOME=$HOME/.cache
# Settings live in the Shell's memory: nothing is read from or written to a real dconf database.
export GSETTINGS_BACKEND=memory
mkdir -p "$XDG_DATA_HOME/gnome-shell/extensions"
cp -r "$ext_dir" "$XDG_DATA_HOME/gnome-shell/extensions/$uuid"

# Not forked: what the services it starts print (the preferences program among them) goes to the
# log with the Shell's.
dbus-daemon --session --address="unix:path=$XDG_RUNTIME_DIR/bus" --nofork --print-address \
        >"$desk/session-bus.address" 2>>"$desk/shell.log" </dev/null &
session_bus_pid=$!
export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
wait_for "the session bus" test -s "$desk/session-bus.address" || exit 1

gnome-shell --headless --wayland --no-x11 --virtual-monitor 1280x800 --unsafe-mode \
        >>"$desk/shell.log" 2>&1 </dev/null &
shell_pid=$!
wait_for "org.gnome.Shell" busctl --user status org.gnome.Shell || exit 1
expect_eval "GNOME Shell started" 'Main.layoutManager._startingUp' '^false$' || exit 1

# Helpers in the Shell's global scope for the checks below: find actors by name in the stage
# and read the labels of a row as drawn.
shell_eval "
const {Clutter, St} = imports.gi;
globalThis.ttlockTest = {
    findAll(test, actor = global.stage, out = []) {
        if (actor.name && test(actor.name))
            out.push(actor);
        for (const child of actor.get_children())
            this.findAll(test, child, out);
        return out;
    },
    find(name) {
        return this.findAll(n => n === name)[0] ?? null;
    },
    labels(actor) {
        const out = [];
        const walk = a => {
            if (a instanceof St.Label && a.visible && a.text)
                out.push(a.text);
            a.get_children().forEach(walk);
        };
        walk(actor);
        return out;
    },
    toggle() {
        return this.find('ttlock-door-locks');
    },
    rows() {
        const toggle = this.toggle();
        if (!toggle)
            return null;
        return this.findAll(n => n.startsWith('ttlock-lock:'), toggle.menu.actor)
            .map(row => this.labels(row).join(' | '));
    },
    notifications() {
        return Main.messageTray.getSources()
            .filter(s => s.title === 'Door locks')
            .flatMap(s => s.notifications.map(n => n.title + (n.bannerBodyText ? ' / ' + n.bannerBodyText : '')));
    },
    // Only the extension's notifications stay (the Shell warns that root is logged in).
    dismissOthers() {
        Main.messageTray.getSources().filter(s => s.title !== 'Door locks').forEach(s => s.destroy());
        return true;
    },
    openMenu() {
        Main.overview.hide();
        Main.panel.statusArea.quickSettings.menu.open(false);
        this.toggle().menu.open(false);
        return true;
    },
    // A real click: a virtual pointer moves to the middle of the row and presses the button,
    // and the event travels through Clutter like a mouse's.
    click(path) {
        const row = this.find('ttlock-lock:' + path);
        // A menu opened in this same main-loop turn has no layout yet: ask again next time.
        if (!row || !row.mapped || !row.has_allocation() || row.get_transformed_size()[1] <= 0)
            return 'row not shown yet';
        const [x, y] = row.get_transformed_position();
        const [w, h] = row.get_transformed_size();
        const seat = Clutter.get_default_backend().get_default_seat();
        this.pointer ??= seat.create_virtual_device(Clutter.InputDeviceType.POINTER_DEVICE);
        const t = GLib.get_monotonic_time();
        this.pointer.notify_absolute_motion(t, x + w / 2, y + h / 2);
        this.pointer.notify_button(t + 1000, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.PRESSED);
        this.pointer.notify_button(t + 2000, Clutter.BUTTON_PRIMARY, Clutter.ButtonState.RELEASED);
        return 'clicked';
    },
};
St.Settings.get().inhibit_animations();
true" >/dev/null || { fail "installing the test helpers in the Shell"; exit 1; }

P=/org/ttlock/Lock/AA_BB_CC_00_00_01
ROWS='ttlockTest.rows()'
NOTES='ttlockTest.notifications()'

# ---- the extension ----
expect_eval "the Shell lists the extension" \
        "Main.extensionManager.lookup('$uuid') !== undefined" '^true$'
gnome-extensions enable "$uuid" || fail "gnome-extensions enable $uuid"
expect_eval "the extension is enabled without error" \
        "(e => e.state + ' ' + (e.error || ''))(Main.extensionManager.lookup('$uuid'))" '^1 $'
expect_eval "the Door locks toggle is shown" 'ttlockTest.toggle()?.visible' '^true$'
expect_eval "one row per lock, sorted, with state and battery" "$ROWS" \
        "^\\[\"$ALIAS \\| Locked \\| 90 %\", \"$ALIAS2 \\| Unlocked \\| 90 %\"\\]$"
INDICATOR="Main.panel.statusArea.quickSettings._indicators.get_children().some(i => i.constructor.name === 'DoorLocksIndicator' && i.visible)"
expect_eval "the top bar shows that a lock is unlocked" "$INDICATOR" '^true$'
HEADER='ttlockTest.labels(ttlockTest.toggle().menu.box).slice(0, 2).join(" | ")'
expect_eval "the menu's header names the unlocked lock" "$HEADER" "^Door locks \\| $ALIAS2 unlocked$"

# The open menu, kept for the README (doc/shell-extension.png is a copy of it).
expect_eval "the menu opens" 'ttlockTest.dismissOthers() && ttlockTest.openMenu() && ttlockTest.find("ttlock-lock:'$P'")?.mapped' '^true$'
busctl --user call org.gnome.Shell.Screenshot /org/gnome/Shell/Screenshot org.gnome.Shell.Screenshot \
        Screenshot bbs false false "$artefacts/shell-extension.png" >/dev/null 2>&1
# A PNG of the virtual monitor's size: signature, then the IHDR chunk's width and height.
png_size() {
        python3 -c '
import struct, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
print("%dx%d" % struct.unpack(">II", head[16:24]))' "$1" 2>/dev/null
}
if [ "$(png_size "$artefacts/shell-extension.png")" = 1280x800 ]; then
        pass "screenshot of the open menu in $artefacts/shell-extension.png"
else
        fail "no screenshot"
fi

# ---- the preferences window (org.gnome.Shell.Extensions, a GTK 4 program on this Shell) ----
shell_eval 'Main.panel.statusArea.quickSettings.menu.close(false); true' >/dev/null
gnome-extensions prefs "$uuid" || fail "gnome-extensions prefs $uuid"
PREFS_WINDOW="global.get_window_actors().map(a => a.meta_window).filter(w => w.get_title() === 'Door locks')"
expect_eval "the preferences window opens" "$PREFS_WINDOW.length" '^1$'
busctl --user call org.gnome.Shell.Screenshot /org/gnome/Shell/Screenshot org.gnome.Shell.Screenshot \
        Screenshot bbs false false "$artefacts/shell-extension-prefs.png" >/dev/null 2>&1
expect_eval "the preferences window closes" "$PREFS_WINDOW.forEach(w => w.delete(global.get_current_time())) ?? $PREFS_WINDOW.length" '^0$'

# ---- the person at the door turns the knob: the row follows, a notification names the method ----
busctl --system call org.bluez "$DEV" org.ttlock.Sim1 TurnKnob b false || fail "Sim1.TurnKnob"
expect_eval "the row shows Unlocked after the knob turned" "$ROWS" "$ALIAS \\| Unlocked"
expect_eval "a notification names the key" "$NOTES" "$ALIAS unlocked with the key"
busctl --system call org.bluez "$DEV" org.ttlock.Sim1 TurnKnob b true || fail "Sim1.TurnKnob"
expect_eval "the row shows Locked after the knob turned back" "$ROWS" "$ALIAS \\| Locked"

# ---- a click on the row unlocks the simulated bolt, another locks it ----
expect_eval "the menu opens again" "ttlockTest.openMenu() && ttlockTest.find('ttlock-lock:$P').mapped" '^true$'
expect_eval "the row is clicked" "ttlockTest.click('$P')" '^clicked$'
if wait_for "Sim1.Locked false" sh -c "busctl --system get-property org.bluez $DEV org.ttlock.Sim1 Locked | grep -qx 'b false'"; then
        pass "clicking the row unlocked the simulated bolt"
else
        fail "clicking the row did not unlock the bolt: $(sim1_locked)"
fi
expect_eval "the row shows Unlocked after the click" "$ROWS" "$ALIAS \\| Unlocked"
expect_eval "the row is clicked again" "ttlockTest.openMenu() && ttlockTest.click('$P')" '^clicked$'
if wait_for "Sim1.Locked true" sh -c "busctl --system get-property org.bluez $DEV org.ttlock.Sim1 Locked | grep -qx 'b true'"; then
        pass "clicking the row again locked the simulated bolt"
else
        fail "clicking the row again did not lock the bolt: $(sim1_locked)"
fi
expect_eval "the row shows Locked after the second click" "$ROWS" "$ALIAS \\| Locked"

# ---- a low battery is announced once ----
busctl --system call org.bluez "$DEV" org.ttlock.Sim1 SetBattery y 15 || fail "Sim1.SetBattery"
expect_eval "the row shows the new battery level" "$ROWS" "$ALIAS \\| Locked \\| 15 %"
expect_eval "a notification says the battery is low" "$NOTES" "$ALIAS: battery low / 15 % left"

# ---- a failed call becomes a notification with the daemon's message ----
# Once the link is down, the lock refuses every connection: Unlock() fails (Unreachable).
wait_for "the link to $ADDR to close" sh -c \
        "busctl --system get-property org.ttlock.Manager $P org.ttlock.Lock1 Connected | grep -qx 'b false'"
busctl --system call org.bluez "$DEV" org.ttlock.Sim1 InjectFault su refuse-connect 100 || fail "Sim1.InjectFault"
expect_eval "the row is clicked while the lock refuses connections" \
        "ttlockTest.openMenu() && ttlockTest.click('$P')" '^clicked$'
expect_eval "a notification says the unlock failed, with the daemon's message" "$NOTES" \
        "Could not unlock $ALIAS / [^\"]*[a-z]"
notes=$(shell_eval "$NOTES")
if grep -Eq 'GDBus\.Error|org\.ttlock\.Error' <<<"$notes"; then
        fail "the notification shows the D-Bus error name: $notes"
else
        pass "the notification shows the message, not the D-Bus error name"
fi
busctl --system call org.bluez "$DEV" org.ttlock.Sim1 InjectFault su refuse-connect 0 || fail "Sim1.InjectFault"
[ "$(sim1_locked)" = "b true" ] && pass "the bolt stayed locked" || fail "the bolt moved: $(sim1_locked)"

# ---- the other lock is locked: nothing is open any more ----
timeout 60 "$ctl" lock "$ADDR2" || fail "ttlockctl lock $ADDR2"
expect_eval "the top bar icon goes when every lock is locked" "$INDICATOR" '^false$'
expect_eval "the menu's header says all are locked" "$HEADER" '^Door locks \| All locked$'

# ---- ttlockd stops: the toggle goes; it comes back: so do the rows ----
stop_pid "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
expect_eval "the toggle hides when ttlockd is gone" 'ttlockTest.toggle()?.visible' '^false$'
# Enabled while there is no ttlockd at all (as where it is not installed): nothing shown, no error.
gnome-extensions disable "$uuid" || fail "gnome-extensions disable $uuid"
expect_eval "disabled without ttlockd" 'ttlockTest.toggle() === null' '^true$'
gnome-extensions enable "$uuid" || fail "gnome-extensions enable $uuid"
expect_eval "enabled without ttlockd: no error, nothing shown" \
        "(e => e.state + ' ' + (e.error || '') + ' ' + ttlockTest.toggle()?.visible)(Main.extensionManager.lookup('$uuid'))" \
        '^1  false$'
start_daemon || fail "ttlockd did not come back"
expect_eval "the rows are back when ttlockd restarted" "$ROWS" "$ALIAS \\| Locked.*$ALIAS2 \\| Locked"

# ---- nothing went wrong inside the Shell on the extension's account ----
expect_eval "the extension is still enabled without error" \
        "(e => e.state + ' ' + (e.error || ''))(Main.extensionManager.lookup('$uuid'))" '^1 $'
gnome-extensions disable "$uuid" || fail "gnome-extensions disable $uuid"
expect_eval "disabling removes the toggle" 'ttlockTest.toggle() === null' '^true$'
# An error's stack names the extension's files; the preferences program says it failed to open them.
if grep -E -A8 'JS ERROR|JS WARNING|Gjs-CRITICAL' "$desk/shell.log" |
        grep -F -e "$uuid" -e 'Failed to open preferences'; then
        fail "the Shell or the preferences program logged errors of the extension (above)"
else
        pass "no JavaScript error or warning from the extension in the Shell's log"
fi

stop_desktop
leftover=$(desktop_leftovers)
if [ -z "$leftover" ]; then
        pass "every process of the desktop session is gone"
else
        fail "processes left: $leftover"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
