# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Shared by scripts/run-tests.sh, scripts/demo.sh and bench/proto.sh: where the tree is, which Debian
# packages the project needs, and how to (re)configure a meson build directory. Source it; it defines
# functions and variables only and changes no shell options.

# Every Debian 12 package a build, the tests, the fuzzers and the demo need. Extend this list (one
# package per line) when a new part of the project needs something; tt_ensure_packages installs
# whatever of it is missing. (procps: run-tests.sh looks for processes a section left behind; gnupg:
# tests/ctl encrypts a key export the way the README shows.)
TT_DEBIAN_PACKAGES=(
        meson
        ninja-build
        gcc
        clang
        libclang-rt-14-dev
        pkg-config
        check
        libsystemd-dev
        libgcrypt20-dev
        libyaml-dev
        libjson-c-dev
        gettext
        dbus
        polkitd
        systemd
        util-linux
        python3
        procps
        protobuf-c-compiler
        libprotobuf-c-dev
        gnome-shell
        gjs
        libglib2.0-bin
        upower
        locales         # run-tests.sh's second pass compiles de_DE and fr_FR with localedef
        libglib2.0-dev-bin      # gdbus-codegen: the D-Bus API manuals from dbus/*.xml (man/meson.build)
        xsltproc
        docbook-xsl
        groff-base      # tests/tools/test-api-man.sh renders those manuals
        libjson-c-dev
        libmosquitto-dev
        mosquitto
        mosquitto-clients
        openssl
        gnupg
)

# The ESPHome interoperability tests install npm clients with npm. This machine kind's image has
# Node.js (with npm) already; a plain Debian 12 gets Debian's.
if ! command -v npm >/dev/null 2>&1; then
        TT_DEBIAN_PACKAGES+=(nodejs npm)
fi

# The repository root, whatever the caller's cwd: this file lives in <root>/scripts/.
TT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

tt_banner() {
        printf '\n==================== %s ====================\n' "$*"
}

tt_note() {
        printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# Installs the packages of TT_DEBIAN_PACKAGES that dpkg does not list as installed. apt-get update
# runs only when something is missing, so that a machine that has everything needs no network.
tt_ensure_packages() {
        local missing=() p status

        for p in "${TT_DEBIAN_PACKAGES[@]}"; do
                status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
                if [[ "$status" != "installed" ]]; then
                        missing+=("$p")
                fi
        done

        if (( ${#missing[@]} == 0 )); then
                tt_note "all ${#TT_DEBIAN_PACKAGES[@]} required Debian packages are installed"
                return 0
        fi

        tt_note "installing missing Debian packages: ${missing[*]}"
        if (( EUID != 0 )); then
                tt_note "not root: run as root, or install them yourself: apt-get install ${missing[*]}"
                return 1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends "${missing[@]}" </dev/null
}

# tt_meson_setup BUILDDIR [meson options…]
# Configures a fresh directory. An existing one gets the options applied with `meson configure`
# (meson regenerates it on the next compile, picking up meson.build changes), and is wiped and set
# up again only when that fails (e.g. after a meson upgrade). A meson.build error therefore shows up
# in the compile step instead of costing a full rebuild. The compiler comes from CC at the first
# setup; meson keeps it afterwards.
tt_meson_setup() {
        local dir="$1"
        shift

        if [[ -f "$dir/meson-private/coredata.dat" ]]; then
                if meson configure "$dir" "$@"; then
                        return 0
                fi
                tt_note "reconfiguring $dir failed, wiping it"
                meson setup --wipe "$dir" "$TT_ROOT" "$@"
        else
                meson setup "$dir" "$TT_ROOT" "$@"
        fi
}

# The C compiler command an existing build directory compiles with ("gcc", "clang", "cc"), empty if
# the directory has not been set up.
tt_meson_compiler() {
        sed -n '/^rule c_COMPILER/{n;s/^ *command = \([^ ]*\) .*/\1/p;q}' "$1/build.ninja" 2>/dev/null || true
}
