#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The manuals and --help describe the options the programs really accept: for each program, every long
# option of its getopt_long table appears in its --help and in the OPTIONS section of its man page, and
# every option those two name is in the table. The man page also renders without groff warnings.
#
#   test-man-options.sh SOURCE_ROOT NAME PROGRAM SOURCE.c MANPAGE [NAME PROGRAM SOURCE.c MANPAGE]...
set -u
root=$1
shift
passed=0
failed=0

fail() {
        echo "FAIL: $*"
        failed=$((failed + 1))
}

# Long option names of a `static const struct option options[]` table: lines { "name", x_argument, ...
table_options() {
        sed -n 's/^[[:space:]]*{ *"\([a-z][a-z0-9-]*\)", *[a-z_]*argument,.*/--\1/p' "$1" | sort -u
}

# Options named in the man page's OPTIONS section, roff escapes and font changes removed.
man_options() {
        sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" |
                sed 's/\\-/-/g; s/\\f[BIRP]//g' |
                grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

help_options() {
        "$1" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

check() {
        local name=$1 program=$2 source=$3 man=$4
        local table help manual warnings o ok=1

        table=$(table_options "$root/$source")
        help=$(help_options "$program")
        manual=$(man_options "$root/$man")
        if [[ -z $table ]]; then
                fail "$name: no options found in $source (has the table's layout changed?)"
                return
        fi
        for o in $table; do
                grep -qxF -- "$o" <<<"$help" || { fail "$name: $o is accepted but not in --help"; ok=0; }
                grep -qxF -- "$o" <<<"$manual" || { fail "$name: $o is accepted but not in $man"; ok=0; }
        done
        for o in $help; do
                grep -qxF -- "$o" <<<"$table" || { fail "$name: --help names $o, which is not accepted"; ok=0; }
        done
        for o in $manual; do
                grep -qxF -- "$o" <<<"$table" || { fail "$name: $man names $o, which is not accepted"; ok=0; }
        done
        "$program" --help | grep -qF "See $(basename "$man" | sed 's/\.\([0-9]\)$/(\1)/')" ||
                { fail "$name: --help does not point to its man page"; ok=0; }
        if command -v groff >/dev/null; then
                warnings=$(groff -man -Tutf8 -ww "$root/$man" 2>&1 >/dev/null)
                [[ -z $warnings ]] || { fail "$name: groff warns about $man: $warnings"; ok=0; }
        fi
        if ((ok)); then
                echo "ok: $name: $(wc -w <<<"$table") options, --help and $man agree"
                passed=$((passed + 1))
        fi
}

while (($# >= 4)); do
        check "$1" "$2" "$3" "$4"
        shift 4
done
(($# == 0)) || fail "arguments left over: $*"

echo "$passed passed, $failed failed"
((failed == 0))
