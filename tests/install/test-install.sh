#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `meson install` into a DESTDIR puts every file where a Debian package expects it: the programs,
# D-Bus policy/activation/introspection, polkit actions, the systemd unit, manuals (with the
# generated D-Bus API pages when the build made them), translations and bash completion — and
# nothing that would hold a secret or a stray build product.
#
#   test-install.sh BUILD_DIR PREFIX BINDIR LIBEXECDIR DATADIR MANDIR LOCALEDIR UNITDIR SYSCONFDIR SYSUSERSDIR
#                   api-man|no-api-man [EXTENSION_UUID]
#
# With EXTENSION_UUID (-Dgnome-shell-extension=true), the GNOME Shell extension's files and its
# settings schema are expected too.
set -u
build=$1 prefix=$2 bindir=$3 libexecdir=$4 datadir=$5 mandir=$6 localedir=$7 unitdir=$8
sysconfdir=$9 sysusersdir=${10} api_man=${11} uuid=${12:-}
passed=0
failed=0

abs() { # meson gives dirs relative to the prefix unless they are absolute
        case "$1" in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac
}

destdir=$(mktemp -d)
trap 'rm -rf "$destdir"' EXIT
if ! meson install -C "$build" --destdir "$destdir" --no-rebuild --quiet >"$destdir.log" 2>&1; then
        cat "$destdir.log"
        echo "0 passed, 1 failed"
        exit 1
fi
rm -f "$destdir.log"

expect() { # path mode
        local f=$destdir$1 mode
        if [ -f "$f" ] && mode=$(stat -c %a "$f") && [ "$mode" = "$2" ]; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
                echo "FAIL: $1 missing or mode ${mode:-none}, expected $2"
        fi
}

bin=$(abs "$bindir") libexec=$(abs "$libexecdir") data=$(abs "$datadir") man=$(abs "$mandir")
locale=$(abs "$localedir") sysconf=$(abs "$sysconfdir") sysusers=$(abs "$sysusersdir")

expect "$bin/ttlockctl" 755
expect "$bin/ttlock-decode" 755
expect "$bin/ttlock-sim" 755
expect "$libexec/ttlockd" 755
expect "$libexec/ttlock-mqtt" 755
expect "$unitdir/ttlock-mqtt.service" 644
expect "$data/polkit-1/rules.d/60-ttlock-mqtt.rules" 644
expect "$sysusers/ttlock-mqtt.conf" 644
expect "$sysconf/ttlockd/mqtt.conf" 644
expect "$man/man8/ttlock-mqtt.8" 644
expect "$data/dbus-1/system.d/org.ttlock.Manager.conf" 644
expect "$data/dbus-1/system-services/org.ttlock.Manager.service" 644
for i in Manager1 Lock1 Credentials1 Settings1; do
        expect "$data/dbus-1/interfaces/org.ttlock.$i.xml" 644
done
expect "$data/polkit-1/actions/org.ttlock.policy" 644
expect "$unitdir/ttlockd.service" 644
for m in man1/ttlockctl.1 man1/ttlock-decode.1 man1/ttlock-sim.1 man8/ttlockd.8; do
        expect "$man/$m" 644
done
if [ "$api_man" = api-man ]; then
        for i in Manager1 Lock1 Credentials1 Settings1; do
                expect "$man/man5/org.ttlock.$i.5" 644
        done
fi
for l in de fr; do
        expect "$locale/$l/LC_MESSAGES/ttlockd.mo" 644
done
expect "$data/bash-completion/completions/ttlockctl" 644
extension_files=
if [ -n "$uuid" ]; then
        for f in metadata.json extension.js prefs.js client.js menu.js notifier.js text.js i18n.js \
                settings.js config.js stylesheet.css; do
                expect "$data/gnome-shell/extensions/$uuid/$f" 644
        done
        expect "$data/glib-2.0/schemas/org.gnome.shell.extensions.ttlock.gschema.xml" 644
        extension_files="|/gnome-shell/extensions/$uuid/[a-z0-9]+\.(js|json|css)\$"
fi

# The activation file and the unit must start the binary that was installed.
if grep -qx "Exec=$libexec/ttlockd" "$destdir$data/dbus-1/system-services/org.ttlock.Manager.service" &&
   grep -q "^ExecStart=$libexec/ttlockd" "$destdir$unitdir/ttlockd.service"; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
        echo "FAIL: Exec=/ExecStart= do not point at $libexec/ttlockd"
fi
if grep -qx "ExecStart=$libexec/ttlock-mqtt" "$destdir$unitdir/ttlock-mqtt.service"; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
        echo "FAIL: ttlock-mqtt.service does not start $libexec/ttlock-mqtt"
fi

# Nothing else: no test binaries, no static libraries, no headers.
extra=$(cd "$destdir" && find . -type f |
        grep -Ev "/(ttlockctl|ttlock-decode|ttlock-sim|ttlockd|ttlock-mqtt|[^/]+\\.(xml|conf|service|policy|rules|[158]|mo))\$|/completions/ttlockctl\$$extension_files")
if [ -z "$extra" ]; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
        echo "FAIL: unexpected installed files: $extra"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
