#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ttlock-decode against every vector of doc/protocol.md §10: the JSON for each must equal the reviewed
# expectation in decode-expected.jsonl, and malformed input must fail with a one-line error.
set -u
decode=${1:?usage: $0 PATH-TO-ttlock-decode}
here=$(dirname "$0")
passed=0
failed=0

check() { # name, condition-result
        if [ "$2" -eq 0 ]; then
                passed=$((passed + 1))
        else
                failed=$((failed + 1))
                echo "FAIL: $1"
        fi
}

# 1. Vectors, compared line by line with the expectation.
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
while read -r mode key hex; do
        case "$mode" in ''|'#'*) continue ;; esac
        if [ "$key" = "-" ]; then
                "$decode" --json "$mode" "$hex" >>"$actual"
        else
                "$decode" --json --key "$key" "$mode" "$hex" >>"$actual"
        fi
done <"$here/vectors.txt"
n=0
while IFS= read -r expected && IFS= read -r got <&3; do
        n=$((n + 1))
        [ "$expected" = "$got" ]
        r=$?
        check "vector $n: expected $expected, got $got" $r
done <"$here/decode-expected.jsonl" 3<"$actual"
[ "$(wc -l <"$here/decode-expected.jsonl")" -eq "$(wc -l <"$actual")" ]
check "as many outputs as expectations" $?

# 2. Malformed input: non-zero exit, exactly one line on stderr naming the input.
expect_error() { # name, expected stderr substring, args...
        local name=$1 want=$2 err rc
        shift 2
        err=$("$decode" "$@" 2>&1 >/dev/null)
        rc=$?
        [ $rc -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *"$want"* ]]
        check "$name (rc=$rc, stderr: $err)" $?
}
expect_error "bad hex" "not valid hex" frame 7f5azz
expect_error "odd digits" "not valid hex" frame 7f5a0
expect_error "truncated header" "truncated" frame 7f5a050301
expect_error "length byte disagrees" "length byte" frame 7f5a0503010001000101aa101c
expect_error "legacy generation refused" "V2" frame 7f5a034d0a001c
expect_error "wrong key" "padding" --key 00112233445566778899aabbccddeeff frame \
        7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a
expect_error "short key" "--key" --key 0011 frame 7f5a0503010001000101aa001c0d0a
expect_error "advert too short" "truncated" advert 0503
expect_error "unknown verb" "unknown command" decrypt 00
printf '%s\n' 7f5a0503010001000101aa001c0d0a zz | "$decode" frame >/dev/null 2>&1
check "stdin: a bad line makes the exit non-zero" $(( $? == 0 ))
printf '%s\n\n%s\n' 7f5a0503010001000101aa001c0d0a 7f5a0503010001000157aa00b60d0a | "$decode" --json frame | wc -l | grep -qx 2
check "stdin: one object per line, blank lines skipped" $?

# 3. Text mode shows the same facts for people.
"$decode" frame 7f5a0503010001000101aa001c0d0a | grep -qx "command_name: SEARCH_DEVICE_FEATURE"
check "text output" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
