#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ttlock-decode against every vector of doc/protocol.md §10: the JSON for each must equal the reviewed
# expectation in decode-expected.jsonl; input that is no frame must fail with a one-line error, and every
# frame whose envelope holds must be explained, never refused.
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
expect_error "no envelope" "length byte" frame 7f5a034d0a0100

# 2b. Every frame whose envelope holds is explained, exit 0, what cannot be interpreted shown raw with a
# note (man/ttlock-decode.1): another generation, a wrong key, a payload that does not fit its command.
explained() { # name, expected output substring, args...
        local name=$1 want=$2 out rc
        shift 2
        out=$("$decode" --json "$@" 2>&1)
        rc=$?
        [ $rc -eq 0 ] && [[ $out == *"$want"* ]]
        check "$name (rc=$rc, output: $out)" $?
}
explained "legacy V2 frame" '"generation":"V2","command":77' frame 7f5a034d0a001c
explained "legacy V2 frame: note" 'legacy header' frame 7f5a034d0a001c
explained "V2S INITIALIZATION of the official app" '"generation":"V2S"' frame 7f5a0501010001000145aa00e20d0a
explained "XOR generation shown raw" '"data":"010203"' frame 7f5a0a0107000100010aaa030102035e
explained "wrong key" 'does not decrypt with this key' --key 00112233445566778899aabbccddeeff frame \
        7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a
explained "wrong key: raw data" '"data":"399b9bca67ced30089114ed0a66fcdf7"' \
        --key 00112233445566778899aabbccddeeff frame 7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b0d0a
# A CHECK_USER_TIME whose payload is cut short (built with key K): decode_error and the plaintext.
explained "payload that does not decode" '"decode_error":"truncated' --key 947c705c5103a1b1309eeaa00d542daa \
        frame 7f5a0503010001000155aa10f7981411d8709c7c553f748177ffe5c3690d0a
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

# 4. lockdata (doc/lockdata.md). The string the TTLock developers posted in ttlock/iOS_SDK_Demo#12, and
# the one that crashed their iOS SDK in ttlock/iOS_SDK_Demo#16.
published=GTgZsx2+seWFKLxb3c2/5WNhvGJWF9+wz3eD5mzzTRJLBF9E2dJ1dUB7k0+HHcFYpwVYvwdrSD2SuRw2Y9Cce/HbDQfTPzHxSs+9g1G+xIzeak8iYoDbCntYOMqFmxkDtJ+c8KT49Lz3o+iV851EXQ26WnBhTmwXeOQbISAMhYQnjV56DUUcgGcVR+dBmJweKDN0lll9+5T4NkcNTNZsU9RPP0BYQIzkzpcBAM7iB/9sL8+uDsKIwHwchEWI3z1Ens41uCLhBc0LSVeQu7sMxnqFi+j6tK0zaxNQ7Oh/pI1fImwuVtsexoJxCJDyzWtZ3k+u+39P5/Sz9iar+ANweAm8+AMXgjn+Jnw3KKHcdVHwgg7tGi7SqcXP45vufcoq24sHgxBBSVpUHc0QM5FX2WUn0r7R2Gg7tO+fL9ITvtMGbKCUukDaAJ+VkvP81p94TWsqnBXzgzxqzciUNDyyOfyLsEZv6/Co18KrLp5l686tZbhpNnc2D16jqFX/Y6aue61e6RWbtceKYwrTqO0G+J/iYnoUkIf7J1sb7eRBmJGEz/bwPPFyXxx19RdheHGN2+983d29cmerhP0APZlVkc8l8mlMrd/Dyld1X1fZailwWQA1shOyphGKGYJeE+vKPwPr6iMMkEH3oSIt27wPn39mVcWAPq+CzsP/OLM1Thy8r3vFK+MzTB3aZWvjL9u5FfM0uZc+r1Ki3YBrdP1n0Jbwa+EUJsvHfF2mGQF/j1SpOhjEFMHv8XvuvMYDM/B16kN9TPP1
crashing=yrY/zPRBI//P8EpQ0l6ilgasT3EARzbxw7NAc6XKdyWICXa4U5sgiPAP2GKuLAUHimEkWwtZgfwHu0nipD7Eoi8tTKb+r/w7x08vQbtSEIhhMZ/gUXQPGfE7eU2I0QLNK6NLyAt4mLvC0Nh+5Sj3lAKjcpairEZ/vhezDrFYdKVGl8Bm0FmuDrSXjpI6a5NmylaEnaeA1ybFViZ90ApjkQ0IMiPVcpfUx7VqWAzXiDYta8bZ82YtaPHAvIgFfN8+YrzqHuzN1FIgzYxxzbf7mCYFxOd3laClCa493iaAFQ/1xCkfzUTVV1Z0ocPl9d/nLf5MzIgXtbu5uHEzUOLQXJaizyiBPBcwHQDXaT+xGT8NfzZ8beBSlc+Wx8c1Te9/paQr3CGrqlFsPWenrDoQbFVGOrdFT+h3dBFXGFc0n5mMBKnuQzamGkfMv+NEAGAo1ykqEafOyGehTG4Ss3qufGutXGK5Vm9kBP3SHSvb9Ubj5EV685dNvgDZABS2CgtxLf2QU/6jL1HJUOnblhg+W7Bvy0hwliXGYkrVrqSo7zeSSdI7Zb/0SmM0sOKWgpJuzB2i/tYshb30jePFKUjUEztr5jtwQgFiRQJ+TS1NX5uKSAm589Qq6wD8hMrGNkyb1CeaVrUdWrmWEfg8K3MU+w9Xcr1Zm4FSbJKFxvPt/sRAHuvjhKuh1qE4D7NEgON+Or5yC57oJKnhd7hgdFb0f+fnZI74hZx1oDuGYn8Ma5sfi7R07TdFhrd9xg6FtWXHR5xEfK0qF7ewvJvT5dJQaQ/QH1y5sgkjpIixNRywo04mCKLIF3TbVVlsoTedKrXuQ5eoNhDAgXF6/BFaNp1Asx5bA5okZJGLygdJHIGLN2wkE2tjNcsIQYNM8IK/+aEaKa4ISdYmfbG/mFOliXLeTvwK6Bqp+xJxuEcX2U5djjy3zU/2
out=$(printf '%s\n' "$published" | "$decode" --json lockdata)
check "lockdata from stdin exits 0" $?
for want in '"format":"lockdata-string"' '"address":"EA:43:7D:4C:F3:F5"' '"role":"admin"' '"user_type":110301' \
            '"uid":1262894' '"validity":"permanent"' '"aes_key":"(secret)"' '"unlock_key":"(secret)"' \
            '"timezone":"UTC+08:00"' '"aesKeyStr":"(secret)"' '"adminPwd":"(secret)"' '"lockName":"HP01_f5f34c"'; do
        [[ $out == *"$want"* ]]
        check "lockdata shows $want" $?
done
# Nothing of the keys, in any spelling, without --show-secrets.
for secret in d913436f 'd9,13' 628631550 479032120 3633314 MzIs MjIs; do
        [[ $out != *"$secret"* ]]
        check "lockdata hides $secret" $?
done
out=$("$decode" --json --show-secrets lockdata "$published")
for want in '"aes_key":"d913436f38a21e399acc22841be9f88a"' '"admin_ps":628631550' '"unlock_key":479032120' \
            '"admin_passcode":"3633314"'; do
        [[ $out == *"$want"* ]]
        check "lockdata --show-secrets shows $want" $?
done
"$decode" lockdata "$published" | grep -qx "    role: admin"
check "lockdata text output" $?
expect_error "truncated lockData" "1 of 1 locks could not be read" lockdata "$crashing"
"$decode" --json lockdata "$crashing" 2>/dev/null | grep -q '"error":"lockData truncated: the 702 bytes before the MAC'
check "truncated lockData is explained" $?
expect_error "not lockData" "neither a lockData string" lockdata "hello: world, again"
expect_error "--show-secrets elsewhere" "only for lockdata" --show-secrets frame 7f5a0503010001000101aa001c0d0a
addon='[{"address":"aa:bb:cc:00:00:01","privateData":{"aesKey":"00112233445566778899aabbccddeeff","admin":{"adminPs":73079075,"unlockKey":76257105},"adminPasscode":"7654321"}},{"address":"AA:BB:CC:00:00:02","privateData":{"aesKey":"0011"}}]'
out=$(printf '%s' "$addon" | "$decode" --json lockdata 2>/dev/null)
check "add-on file with a bad lock fails" $(( $? == 0 ))
[[ $out == *'"format":"addon-json"'* && $out == *'"address":"AA:BB:CC:00:00:01","role":"admin"'* &&
   $out == *'"lock":"AA:BB:CC:00:00:02","error":"privateData.aesKey: not 16 bytes'* && $out != *73079075* ]]
check "add-on file: the good lock shown, the bad one named ($out)" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
