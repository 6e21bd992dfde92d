#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A long fuzzing campaign, run by hand (hours; scripts/run-tests.sh's fuzz section is the bounded one
# CI runs). Every harness of tests/fuzz (or those named) runs for SECONDS from its committed seeds plus
# what earlier campaigns found, then its corpus is replayed through a build with source-based coverage
# (clang -fprofile-instr-generate -fcoverage-mapping, llvm-cov) to tell how much of the code it aims at
# the inputs reach. As root or not, on Debian 12:
#
#     scripts/fuzz-campaign.sh [SECONDS-PER-HARNESS] [HARNESS...]     # default 3600, every harness
#
# Prints one line per harness — executions, executions per second, corpus size, new inputs this run,
# crashes, and line / function / branch coverage of its target sources — and keeps everything under
# _build/fuzz-campaign/: corpus/<harness>/ (grows from run to run; minimise with -merge=1 before
# committing any of it to tests/fuzz/corpus), <harness>.log, artifacts/ (crash reproducers: replay one
# with _build/fuzz/tests/fuzz/<harness> FILE), coverage/<harness>.txt (llvm-cov report per file).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER="${1:-3600}"
shift || true
FUZZ_DIR="$TT_ROOT/_build/fuzz"
COV_DIR="$TT_ROOT/_build/fuzz-cov"
CAMP="$TT_ROOT/_build/fuzz-campaign"

# What each harness aims at: its coverage is reported over these files.
declare -A TARGETS=(
        [fuzz-frame]="src/proto/frame.c src/proto/reply.c"
        [fuzz-reassembler]="src/proto/transport.c"
        [fuzz-advert]="src/proto/advert.c"
        [fuzz-feature-bits]="src/proto/feature-bits.c"
        [fuzz-access]="src/proto/access.c"
        [fuzz-pairing]="src/proto/pairing.c"
        [fuzz-info]="src/proto/info.c"
        [fuzz-oplog]="src/proto/oplog.c"
        [fuzz-credentials]="src/proto/credentials.c"
        [fuzz-settings]="src/proto/settings.c"
        [fuzz-lockdata]="src/proto/lockdata.c"
        [fuzz-addon-lockdata]="src/proto/addon-lockdata.c"
        [fuzz-esp-frame]="src/esphome/esp-frame.c"
        [fuzz-esp-connection]="src/esphome/esp-connection.c src/esphome/esp-noise.c"
        [fuzz-esp-message]="src/esphome/esp-message.c"
        [fuzz-keystore]="src/daemon/store/store.c"
        [fuzz-history]="src/daemon/store/history.c"
        [fuzz-key-import]="src/daemon/store/key-import.c"
        [fuzz-conf]="src/daemon/store/conf.c"
        [fuzz-ad]="src/daemon/radio/ad.c"
        [fuzz-mqtt-command]="src/mqtt/mqtt-command.c"
        [fuzz-mqtt-config]="src/mqtt/mqtt-config.c"
)

if [[ ! "$SECONDS_PER" =~ ^[1-9][0-9]*$ ]]; then
        echo "usage: $0 [SECONDS-PER-HARNESS] [HARNESS...]" >&2
        exit 2
fi

harnesses=("$@")
if (( ${#harnesses[@]} == 0 )); then
        for src in "$TT_ROOT"/tests/fuzz/fuzz-*.c; do
                harnesses+=("$(basename "$src" .c)")
        done
fi

profdata="$(clang -print-prog-name=llvm-profdata)"
llvmcov="$(clang -print-prog-name=llvm-cov)"
if [[ ! -x "$profdata" || ! -x "$llvmcov" ]]; then
        tt_note "llvm-profdata and llvm-cov are needed (Debian: llvm-14, which clang pulls in)"
        exit 1
fi

mkdir -p "$CAMP/profiles"
# Anything built for coverage writes a profile when it runs (meson's compiler checks too): not into
# the working directory.
export LLVM_PROFILE_FILE="$CAMP/profiles/stray-%p.profraw"

tt_banner "build: $FUZZ_DIR (libFuzzer) and $COV_DIR (coverage)"
if [[ -e "$FUZZ_DIR" && "$(tt_meson_compiler "$FUZZ_DIR")" != clang ]]; then
        rm -rf "$FUZZ_DIR"
fi
CC=clang tt_meson_setup "$FUZZ_DIR" -Dfuzzing=true -Dtests=disabled -Db_lundef=false
meson compile -C "$FUZZ_DIR"
if [[ -e "$COV_DIR" && "$(tt_meson_compiler "$COV_DIR")" != clang ]]; then
        rm -rf "$COV_DIR"
fi
CC=clang tt_meson_setup "$COV_DIR" -Dfuzzing=true -Dtests=disabled -Db_lundef=false \
        -Dc_args="-fprofile-instr-generate -fcoverage-mapping" \
        -Dc_link_args="-fprofile-instr-generate -fcoverage-mapping"
meson compile -C "$COV_DIR"

mkdir -p "$CAMP/corpus" "$CAMP/artifacts" "$CAMP/coverage" "$CAMP/profiles"

# coverage NAME: "lines% functions% branches%" of NAME's targets, replaying its corpus.
coverage() {
        local name="$1" bin="$COV_DIR/tests/fuzz/$1" raw="$CAMP/profiles/$1" t files=()

        rm -rf "$raw"
        mkdir -p "$raw"
        # -runs=0 runs every input of the directories once and stops.
        LLVM_PROFILE_FILE="$raw/%p.profraw" \
        ASAN_OPTIONS="detect_leaks=0" \
                "$bin" -runs=0 "$CAMP/corpus/$name" "$TT_ROOT/tests/fuzz/corpus/$name" >/dev/null 2>&1 || true
        "$profdata" merge -sparse "$raw"/*.profraw -o "$raw.profdata"
        "$llvmcov" report "$bin" -instr-profile="$raw.profdata" >"$CAMP/coverage/$name.txt"
        for t in ${TARGETS[$name]:-}; do
                files+=("$t")
        done
        # Rows: file regions missed cover functions missed executed lines missed cover branches missed cover.
        awk -v targets="${files[*]}" '
                BEGIN { n = split(targets, t, " ") }
                {
                        for (i = 1; i <= n; i++)
                                if (length($1) >= length(t[i]) && substr($1, length($1) - length(t[i]) + 1) == t[i]) {
                                        f += $5; fm += $6; l += $8; lm += $9; b += $11; bm += $12
                                }
                }
                END {
                        if (l == 0) { print "? ? ?"; exit }
                        br = "-"
                        if (b > 0)
                                br = sprintf("%.1f%%", 100 * (b - bm) / b)
                        printf("%.1f%% %.1f%% %s\n", 100 * (l - lm) / l, 100 * (f - fm) / f, br)
                }' "$CAMP/coverage/$name.txt"
}

tt_banner "campaign: ${#harnesses[@]} harness(es), $SECONDS_PER s each"
echo "host: $(uname -m), $(nproc) CPU(s), $(clang --version | head -n 1)"
printf '%-22s %12s %9s %8s %6s %7s  %-28s %s\n' HARNESS EXECUTIONS EXEC/S CORPUS NEW CRASHES \
        "COVERAGE lines/funcs/branches" TARGETS
failed=0
for name in "${harnesses[@]}"; do
        bin="$FUZZ_DIR/tests/fuzz/$name"
        log="$CAMP/$name.log"
        rc=0
        if [[ ! -x "$bin" ]]; then
                echo "$name: not built"
                failed=$((failed + 1))
                continue
        fi
        mkdir -p "$CAMP/corpus/$name"
        ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1" \
        UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1" \
                "$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -print_funcs=0 -artifact_prefix="$CAMP/artifacts/$name-" \
                "$CAMP/corpus/$name" "$TT_ROOT/tests/fuzz/corpus/$name" </dev/null >"$log" 2>&1 || rc=$?
        execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
        rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
        new="$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)"
        crashes="$(find "$CAMP/artifacts" -name "$name-*" -type f | wc -l)"
        if (( rc != 0 )); then
                failed=$((failed + 1))
        fi
        read -r lines funcs branches <<<"$(coverage "$name")"
        printf '%-22s %12s %9s %8s %6s %7s  %-28s %s\n' "$name" "${execs:-?}" "${rate:-?}" \
                "$(find "$CAMP/corpus/$name" -type f | wc -l)" "${new:-?}" "$crashes" \
                "$lines / $funcs / $branches" "${TARGETS[$name]:-}"
done
if (( failed > 0 )); then
        echo "$failed harness(es) stopped early or were not built: see $CAMP/*.log and $CAMP/artifacts/"
fi
(( failed == 0 ))
