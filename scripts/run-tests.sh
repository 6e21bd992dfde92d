#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The project's one test command (README "Quick start"): as root on Debian 12, from any directory,
#
#     ./scripts/run-tests.sh              # all sections
#     ./scripts/run-tests.sh fuzz         # only some: main, sanitize, fuzz
#
# Sections, each in its own build directory under _build/:
#   main      gcc build with -Dtests=enabled; every meson test suite (unit, integration, …), then the
#             quick suites once more in another environment (second_pass below)
#   sanitize  gcc with ASan+UBSan; the unit suite (UBSan halts on the first report,
#             tests/unit/meson.build), twice (second_pass)
#   fuzz      clang with libFuzzer; every harness of tests/fuzz for TTLOCK_FUZZ_SECONDS (default 10) s,
#             starting from its committed seed corpus tests/fuzz/corpus/<harness>/
# A failing section does not stop the others; the last line counts them and the exit status is
# non-zero if any failed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SECTIONS=(main sanitize fuzz)
FUZZ_SECONDS="${TTLOCK_FUZZ_SECONDS:-10}"

section_main() {
        local dir="$TT_ROOT/_build/main"

        tt_meson_setup "$dir" -Dtests=enabled -Dgnome-shell-extension=true -Dapi_man=enabled
        meson compile -C "$dir"
        meson test -C "$dir" -v --print-errorlogs
        second_pass "$dir" 'NST3:30NDT,M3.2.0,M11.1.0' de_DE.UTF-8 --suite unit --suite ctl --suite tools
}

section_sanitize() {
        local dir="$TT_ROOT/_build/sanitize"

        # No -ftrivial-auto-var-init=pattern here: it fills the padding of both sides of a bytewise
        # struct comparison with the same pattern, and so hides the very bug the second pass is for.
        CC=gcc tt_meson_setup "$dir" -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false
        meson compile -C "$dir"
        meson test -C "$dir" --suite unit -v --print-errorlogs
        second_pass "$dir" '<+14>-14' fr_FR.UTF-8 --suite unit
}

# Compiles LOCALE (e.g. de_DE.UTF-8, from the `locales` package's sources) into _build/locale, where
# LOCPATH finds it: the host's own locales are neither needed nor changed. Fails if the result does
# not load, so that a second pass never runs quietly in the C locale instead.
make_locale() {
        local name="$1" dir="$TT_ROOT/_build/locale"

        if [[ ! -d "$dir/$name" ]]; then
                mkdir -p "$dir"
                localedef -i "${name%%.*}" -f "${name#*.}" "$dir/$name"
        fi
        if [[ "$(LOCPATH="$dir" LC_ALL="$name" locale charmap 2>&1)" != "UTF-8" ]]; then
                echo "locale $name does not load from $dir" >&2
                return 1
        fi
}

# second_pass BUILDDIR TZ LOCALE [meson test arguments…]
# The suites named once more, in an environment that differs from the first run in everything a
# test must not depend on, so that a test that passed by luck gets a second chance to fail:
#   - the heap: another fill byte for fresh and freed memory (glibc's MALLOC_PERTURB_; ASan ignores
#     it and takes malloc_fill_byte, which tests/unit/meson.build appends its options to);
#   - the stack: CK_FORK=no runs all tests of a binary in one process, so a test finds on its stack
#     what the tests before it left there, not what a fresh fork holds;
#   - the clock's zone: TZ as a POSIX rule (no tzdata needed), far from UTC, with a half-hour
#     offset or one beyond ±12 h;
#   - the language: a locale with a decimal comma and its own collation, also in LANG for programs
#     that look there.
second_pass() {
        local dir="$1" tz="$2" locale="$3"
        shift 3

        make_locale "$locale"
        tt_banner "second pass: TZ=$tz LC_ALL=$locale MALLOC_PERTURB_=90 CK_FORK=no"
        LOCPATH="$TT_ROOT/_build/locale" TZ="$tz" LANG="$locale" LC_ALL="$locale" \
        MALLOC_PERTURB_=90 ASAN_OPTIONS="malloc_fill_byte=165:max_malloc_fill_size=1048576" CK_FORK=no \
                meson test -C "$dir" -v --print-errorlogs "$@"
}

# Runs one libFuzzer binary for FUZZ_SECONDS from its seed corpus. New inputs go to a scratch
# directory (the committed corpus stays as it is); crashes go to _build/fuzz/artifacts/.
# -print_funcs=0: no llvm-symbolizer for "NEW_FUNC" lines (crash reports are still symbolized).
run_fuzzer() {
        local name="$1" bin="$2"
        local seeds="$TT_ROOT/tests/fuzz/corpus/$name"
        local run="$TT_ROOT/_build/fuzz/run/$name"
        local artifacts="$TT_ROOT/_build/fuzz/artifacts"
        local log="$run.log"
        local rc=0 execs

        if ! compgen -G "$seeds/*" >/dev/null; then
                echo "$name: FAILED: no seed corpus in tests/fuzz/corpus/$name/"
                return 1
        fi
        rm -rf "$run"
        mkdir -p "$run" "$artifacts"

        ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1" \
        UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1" \
                "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -print_funcs=0 -artifact_prefix="$artifacts/$name-" \
                "$run" "$seeds" </dev/null >"$log" 2>&1 || rc=$?

        execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
        # libFuzzer exits non-zero on a crash; the grep also catches reports that did not stop it.
        if (( rc != 0 )) || grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
                echo "---- $name: last lines of $log ----"
                tail -n 60 "$log"
                echo "$name: FAILED (exit status $rc, ${execs:-?} executions); reproducer(s):"
                ls -1 "$artifacts/$name-"* 2>/dev/null || echo "  (none written)"
                return 1
        fi
        if [[ -z "$execs" ]]; then
                echo "$name: FAILED: no final stats in $log"
                return 1
        fi
        printf '%-24s %10s executions in %s s, %s seed file(s), OK\n' \
                "$name" "$execs" "$FUZZ_SECONDS" "$(find "$seeds" -type f | wc -l)"
}

section_fuzz() {
        local dir="$TT_ROOT/_build/fuzz"
        local src name bin failed=0 ran=0

        # The fuzz build only makes sense with clang (libFuzzer), and meson keeps the compiler of the
        # first setup: a directory set up with another one is started afresh.
        if [[ -e "$dir" && "$(tt_meson_compiler "$dir")" != clang ]]; then
                tt_note "$dir was not set up with clang; starting it afresh"
                rm -rf "$dir"
        fi
        CC=clang tt_meson_setup "$dir" -Dfuzzing=true -Dtests=disabled -Db_lundef=false
        meson compile -C "$dir"

        # Every harness source must have produced a binary: one that is silently not built
        # would look like a pass.
        for src in "$TT_ROOT"/tests/fuzz/fuzz-*.c; do
                [[ -e "$src" ]] || continue
                name="$(basename "$src" .c)"
                bin="$dir/tests/fuzz/$name"
                ran=$((ran + 1))
                if [[ ! -x "$bin" ]]; then
                        echo "$name: FAILED: not built (see the meson setup messages above)"
                        failed=$((failed + 1))
                        continue
                fi
                run_fuzzer "$name" "$bin" || failed=$((failed + 1))
        done

        if (( ran == 0 )); then
                echo "no harnesses found in tests/fuzz/"
                return 1
        fi
        echo "fuzz: $((ran - failed)) of $ran harnesses passed"
        (( failed == 0 ))
}

# A section runs as the leader of its own session (see below): whatever it started and is still
# running when it ends was left behind. Those are reported, stopped, and fail the section.
check_leftovers() {
        local list tries=0
        list="$(mktemp)"
        # ps is our direct child, so the file lists everything in the session but ps itself. Zombies
        # are skipped: they run nothing, and their reaping is their (re)parent's business. A process
        # that is still on its way out (e.g. a helper that has just seen its parent exit) gets a few
        # seconds before it counts.
        while :; do
                ps -e -o pid=,sid=,stat=,args= >"$list"
                awk -v sid="$$" '$2 == sid && $1 != sid && $3 !~ /^Z/ && $4 != "ps"' "$list" >"$list.left" || true
                if [[ ! -s "$list.left" ]] || (( ++tries > 5 )); then
                        break
                fi
                sleep 1
        done
        rm -f "$list"
        if [[ -s "$list.left" ]]; then
                echo "processes left behind by this section (stopping them):"
                cat "$list.left"
                awk '{ print $1 }' "$list.left" | xargs -r kill -TERM 2>/dev/null || true
                rm -f "$list.left"
                return 1
        fi
        rm -f "$list.left"
}

# Internal entry point: one section in a child process, so that `set -e` applies inside it (it is
# ignored in functions called from an `if`) and so that it can be stopped as one process group.
if [[ "${1:-}" == "--section" ]]; then
        cd "$TT_ROOT"
        rc=0
        # In the background and then waited for, so that `set -e` stays in force inside the section;
        # the leftover check runs whether the section passed or failed.
        ( "section_$2" ) &
        wait "$!" || rc=$?
        check_leftovers || rc=$(( rc == 0 ? 1 : rc ))
        exit "$rc"
fi

sections=("$@")
if (( ${#sections[@]} == 0 )); then
        sections=("${ALL_SECTIONS[@]}")
fi
for s in "${sections[@]}"; do
        if ! declare -F "section_$s" >/dev/null; then
                echo "unknown section '$s' (known: ${ALL_SECTIONS[*]})" >&2
                exit 2
        fi
done

if [[ ! "$FUZZ_SECONDS" =~ ^[1-9][0-9]*$ ]]; then
        echo "TTLOCK_FUZZ_SECONDS must be a positive number of seconds, not '$FUZZ_SECONDS'" >&2
        exit 2
fi

tt_banner "packages"
tt_ensure_packages

child=""
# Each section runs in its own session so that an interrupted run can stop it with everything it
# started (meson test, test daemons, fuzzers) and leave no processes behind.
stop_child() {
        if [[ -n "$child" ]]; then
                kill -TERM -- "-$child" 2>/dev/null || true
                wait "$child" 2>/dev/null || true
        fi
        exit 130
}
trap stop_child INT TERM

passed=0
failed=0
failed_names=()
for s in "${sections[@]}"; do
        tt_banner "section $s"
        setsid "$BASH" "${BASH_SOURCE[0]}" --section "$s" </dev/null &
        child=$!
        rc=0
        wait "$child" || rc=$?
        # Safety net for a section that failed before it could check: its process group goes too.
        kill -TERM -- "-$child" 2>/dev/null || true
        child=""
        if (( rc == 0 )); then
                echo "==> section $s: PASSED"
                passed=$((passed + 1))
        else
                echo "==> section $s: FAILED (exit status $rc)"
                failed=$((failed + 1))
                failed_names+=("$s")
        fi
done

tt_banner "summary"
if (( failed > 0 )); then
        echo "failed sections: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed"
(( failed == 0 ))
