#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the committed seed corpora tests/fuzz/corpus/<harness>/ from the hex below, which comes from
doc/protocol.md §10 (frames, adverts, feature replies) and §4.3 (payload layouts). Offline; run it after
changing a seed and commit the result:  python3 tests/fuzz/make-corpus.py

The family harnesses (fuzz-access, fuzz-oplog, …) read one selector byte first that picks the decoder
(see the table at the top of each harness); their seeds are that byte followed by the payload."""

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

# §10.3 wire frames without the 0D 0A terminator (the frame parser's input).
FRAMES = {
    "r1-search-feature-req": "7f5a0503010001000101aa001c",
    "r7-initialization-bad-crc": "7f5a0503010001000145aa1065ce5b109858417b468cc5dd454027c368",
    "v1-get-aes-key-req": "7f5a0503010001000119aa1026ed1d9258a1e428fcb48bbd1c0e5a46bc",
    "v2-get-aes-key-reply": "7f5a0503020001000119aa203e7f27b40391ec02fdff54d2ecf1e7e09b948f38e0471cc900c6c1f91ac8c20897",
    "v3-add-admin-req": "7f5a0503010001000156aa10399b9bca67ced30089114ed0a66fcdf72b",
    "v4-add-admin-reply": "7f5a0503020001000154aa10b776b5024d151c743c5e587f46d2391a36",
    "v5-time-calibrate": "7f5a0503010001000143aa1074322b76dfc06dc5c44c793a977cc52672",
    "v7-feature-reply": "7f5a0503020001000154aa100f8334b438cab888119f54b28486288509",
    "v8-check-user-time-req": "7f5a0503010001000155aa20d1136208ba0ecd18db91e17ebe7f5b314e853dded61b9dacefdc500d67b8a5112c",
    "v9-check-admin-req": "7f5a0503010001000141aa108be80641d956b6f88aa9d305deb77514ad",
    "v10-check-user-time-reply": "7f5a0503020001000154aa101438dc634b180feb192c058185b084a78b",
    "v11-check-random-req": "7f5a0503010001000130aa102a374815c2d225e88da5b4d204c599953b",
    "v12-unlock-req": "7f5a0503010001000147aa10717e6289662c960acb1eafa77a33bf8b71",
    "v13-function-lock-req": "7f5a0503010001000158aa10717e6289662c960acb1eafa77a33bf8ba0",
    "v14-unlock-reply": "7f5a0503020001000154aa20888f91eb96b6f5c76787a237ab9ac12f290286a35275f136c9b4730a6e26ba42aa",
    "v15-status-req": "7f5a0503010001000114aa10b80b71644c043a6c31b186eb9e819e9364",
    "v16-status-reply": "7f5a0503020001000154aa103c6a5830f4458a09320e22632213c1de3a",
    "v17-get-log-req": "7f5a0503010001000125aa10be072c9d02777dfeb650d50c10a78ec0f1",
    "v18-auto-lock-query": "7f5a0503010001000136aa10e975e80f9a7fbecb6517bfec7bc9dee226",
    "v19-auto-lock-set": "7f5a0503010001000136aa10a2bd2a30323db614423b4444db4d7eb2ae",
    "v20-audio-off": "7f5a0503010001000162aa1017478be3922d9fced894158210d55d8504",
    "v21-reset-lock": "7f5a0503010001000152aa0083",
    "v22-operate-finished": "7f5a0503010001000157aa00b6",
}

TERM = "0d0a"

CORPORA = {
    # Frames, and decrypted reply envelopes (§2.4) for the reply parser that runs on the same bytes.
    "fuzz-frame": dict(FRAMES, **{
        "plain-v10-check-user-time-reply": "5501 1a2b3c4d".replace(" ", ""),
        "plain-failed-with-code": "4700 0e".replace(" ", ""),
        "plain-failed-without-code": "4700",
    }),
    # Two bytes that seed the notification cuts, then a stream (§1.4): frames with their terminators,
    # back to back, with garbage between them and a legacy header (§2.2).
    "fuzz-reassembler": {
        "one-frame": "0001" + FRAMES["v1-get-aes-key-req"] + TERM,
        "reply-stream": "1234" + FRAMES["v2-get-aes-key-reply"] + TERM + FRAMES["v14-unlock-reply"] + TERM,
        "garbage-between": "beef" + "00ff0d0a7f" + FRAMES["v16-status-reply"] + TERM + "7f5a05"
                           + FRAMES["v21-reset-lock"] + TERM,
        "bad-terminator": "5555" + FRAMES["v10-check-user-time-reply"] + "0d0b" + FRAMES["r1-search-feature-req"]
                          + TERM,
        "legacy-header": "0a0b" + "7f5a034700" + "04" + "01020304" + "99" + TERM,
        "max-frame": "0203" + "7f5a0503020001000154aaf0" + "ab" * 240 + "00" + TERM,
    },
    # §6 / §10.4: manufacturer data including the two "company id" bytes.
    "fuzz-advert": {
        "rr-synthetic": "0503" + "02" + "00" + "57" + "00000000" + "332211ccbbaa",
        "setting-mode": "0503" + "01" + "04" + "64" + "b000f4f95365" + "fe711d e53838".replace(" ", ""),
        "unlocked-events-touch": "0503" + "02" + "0b" + "1e" + "00000000" + "bd98a8a306e6",
        "dormant": "0503" + "02" + "10" + "50" + "b000f4f9" + "010203040506",
        "other-header": "0a01" + "0000" + "0a01" + "00" + "07" + "00" + "45" + "00000000" + "112233445566",
    },
    # §4.3 SEARCH_DEVICE_FEATURE feature bytes (after the battery byte).
    "fuzz-feature-bits": {
        "v7-one-group": "200451e1",
        "hass-37": "0044d1e6",
        "four-groups": "0044d1e6" + "00000801" + "00000000" + "10000000",
        "partial-group": "200451e1" + "0102",
        "nine-groups": "ffffffff" * 9,
    },
}

VENDOR = "534349454e4552"  # "SCIENER"


def sel(index, payload):
    """A family-harness seed: the selector byte (index into the harness's codec table), then the payload."""
    return "%02x" % index + payload.replace(" ", "")


# Indexes follow the codec tables of fuzz-access.c etc.; payloads are §10.3 plaintexts after
# [echo][status] for replies, or §4.3 layouts.
CORPORA["fuzz-access"] = {
    "status-request": sel(0, VENDOR),
    "v16-status-reply": sel(1, "50 00"),
    "status-reply-door-sensor": sel(1, "50 01 01"),
    "state-push": sel(2, "50 01 00"),
    "record-push": sel(2, "50 00000001 6006d1f0 1501130c2238"),
    "v9-check-admin": sel(3, "045b1923 000000 00000000"),
    "v8-check-user-time": sel(4, "00011f0e00 630b1e0e00 000000 00000000"),
    "v10-challenge-reply": sel(5, "1a2b3c4d"),
    "v11-check-random": sel(6, "1eb6d39e"),
    "v12-unlock": sel(7, "1eb6d39e 6006d1f0"),
    "v14-unlock-reply": sel(8, "50 00000000 6006d1f0 1501130c2238"),
    "unlock-reply-battery-only": sel(8, "50"),
    "vendor": sel(9, VENDOR),
}


CORPORA["fuzz-pairing"] = {
    "v1-get-aes-key-request": sel(0, VENDOR),
    "v2-get-aes-key-reply": sel(1, "947c705c5103a1b1309eeaa00d542daa"),
    "v3-add-admin-request": sel(2, "045b1923 048b9751" + VENDOR),
    "v4-add-admin-reply": sel(3, VENDOR),
    "v5-time-calibrate": sel(4, "1501130c2238"),
    # year 21, then 10 × (code 291, secret 1234567890) packed as in §4.3.
    "init-passwords": sel(5, "15" + "1230499602d2" * 10),
    "operate-finished": sel(6, ""),
    "reset-lock": sel(7, ""),
    "initialization": sel(8, ""),
    "r7-initialization-with-payload": sel(8, "45"),
}

CORPORA["fuzz-info"] = {
    "v6-search-feature-request": sel(0, ""),
    "v7-feature-reply": sel(1, "64 200451e1"),
    "feature-reply-four-groups": sel(1, "50 0044d1e6 00000801 00000000 00000000"),
    "device-info-request-model": sel(2, "01"),
    "device-info-reply": sel(3, "5332303246 00"),
    "get-lock-time-request": sel(4, ""),
    "lock-time-reply": sel(5, "1501130c2238"),
}


CORPORA["fuzz-settings"] = {
    "v18-auto-lock-query": sel(0, "01"),
    "v19-auto-lock-set-5s": sel(0, "020005"),
    "auto-lock-set-door-sensor": sel(0, "02ffff07"),
    "auto-lock-query-reply": sel(1, "50 01 0005 0000 0078"),
    "auto-lock-set-reply": sel(1, "50 02"),
    "remote-unlock-query": sel(2, "01"),
    "remote-unlock-set": sel(2, "0201"),
    "remote-unlock-reply": sel(3, "50 01 01"),
    "show-password-set": sel(4, "0200"),
    "show-password-reply": sel(5, "50 01 00"),
    "freeze-set": sel(6, "0201"),
    "freeze-reply": sel(7, "50 02"),
    "v20-audio-off": sel(8, "0200"),
    "audio-volume": sel(8, "02 01 03 00"),
    "audio-reply": sel(9, "50 01 01 03"),
    "passage-query": sel(10, "01 00"),
    "passage-add-weekly": sel(10, "02 01 01 00 08 00 12 00"),
    "passage-reply": sel(11, "50 01 ff 01 01 00 08 00 12 00 02 0f 00 09 30 17 00"),
    "lamp-set": sel(12, "02 001e"),
    "lamp-reply": sel(13, "50 01 001e"),
    "switch-query": sel(14, "01"),
    "switch-set": sel(14, "02 00000003 00000001"),
    "switch-reply": sel(15, "50 01 00000037 00000002"),
}


CODE = "06 313233343536"  # [len]"123456"
START, END = "1501130c22", "1601130c22"  # 2021-01-19 12:34, 2022-01-19 12:34

CORPORA["fuzz-credentials"] = {
    "passcode-clear": sel(0, "01"),
    "passcode-add-permanent": sel(0, "02 01" + CODE + START),
    "passcode-add-period": sel(0, "02 03" + CODE + START + END),
    "passcode-delete": sel(0, "03 01" + CODE),
    "passcode-modify": sel(0, "05 01" + CODE + "04 39383736"),
    "op-reply": sel(1, "50 02"),
    "pwd-list-request": sel(2, "0000"),
    "pwd-list-reply": sel(3, "0001 ffff 14 01" + CODE + CODE + START),
    "pwd-list-reply-period": sel(3, "0002 ffff 19 03" + CODE + CODE + START + END),
    "card-search": sel(4, "01 0000"),
    "card-delete": sel(4, "03 12345678"),
    "card-modify": sel(4, "05 12345678" + START + END),
    "card-search-reply": sel(5, "50 01 ffff 12345678" + START + END),
    "card-search-reply-8-byte": sel(5, "50 01 ffff 0123456789abcdef" + START + END),
    "card-enrol-waiting": sel(5, "50 02 02"),
    "card-enrol-success": sel(5, "50 02 01 12345678"),
    "card-enrol-success-ff": sel(5, "50 02 01 12345678 ffffffff"),
    "fp-search": sel(6, "06 0000"),
    "fp-delete": sel(6, "03 000000000102"),
    "fp-search-reply": sel(7, "50 06 ffff 000000000102" + START + END),
    "fp-enrol-progress": sel(7, "50 02 03 01 04"),
    "fp-enrol-success": sel(7, "50 02 01 000000000102"),
    "cyclic-add-ic": sel(8, "02 02 04 12345678 01 03 00 08 00 12 00"),
    "admin-code-request": sel(9, ""),
    "admin-code-reply": sel(10, "50 07 31323334353637"),
    "set-admin-code": sel(11, "01 02 03 04 05 06 07"),
    "set-admin-code-reply": sel(12, "50"),
    "card-number": sel(13, "333035343139383936"),
    "card-number-long": sel(13, "3132333435363738393031"),
}


DATE6 = "1501130c2238"  # 2021-01-19 12:34:56


def rec(rtype, tail):
    """A §4.3 log record: [recLen][type][YY MM DD hh mm ss][battery][tail]."""
    body = "%02x" % rtype + DATE6 + "50" + tail.replace(" ", "")
    return "%02x" % (len(body) // 2) + body


LOG_RECORDS = {
    "app-unlock": rec(1, "00000001 6006d1f0"),
    "app-unlock-extra-bytes": rec(1, "00000001 6006d1f0 ffff"),
    "passcode-unlock": rec(4, CODE + CODE),
    "modify-passcode": rec(5, CODE + "04 39383736"),
    "wrong-passcode": rec(7, CODE),
    "delete-all": rec(8, START),
    "delete-all-with-code": rec(8, START + CODE),
    "ic-unlock": rec(17, "12345678"),
    "ic-unlock-8-byte": rec(17, "0123456789abcdef"),
    "bracelet": rec(19, "332211ccbbaa"),
    "fingerprint": rec(20, "000000000102"),
    "fingerprint-with-code": rec(20, "000000000102" + CODE),
    "reboot": rec(14, ""),
    "remote-key": rec(37, "00000001 6006d1f0 01"),
    "key-fob": rec(55, "332211ccbbaa 01 50"),
    "keypad": rec(56, "332211ccbbaa 50"),
    "unknown-type": rec(99, "aabbcc"),
}

CORPORA["fuzz-oplog"] = {
    "v17-request-new": sel(0, "ffff"),
    "request-all": sel(0, "0000"),
    "empty-page": sel(1, "0000 0000"),
    "page-three": sel(1, "0003 0004" + LOG_RECORDS["app-unlock"] + LOG_RECORDS["passcode-unlock"]
                      + LOG_RECORDS["ic-unlock"]),
    "page-mixed": sel(1, "0007 0010" + LOG_RECORDS["fingerprint-with-code"] + LOG_RECORDS["unknown-type"]
                      + LOG_RECORDS["key-fob"] + LOG_RECORDS["delete-all-with-code"]),
}
for _name, _hex in LOG_RECORDS.items():
    CORPORA["fuzz-oplog"]["record-" + _name] = sel(2, _hex)


# lockData (doc/lockdata.md): text seeds. PUBLISHED is the string the TTLock developers posted in
# ttlock/iOS_SDK_Demo#12, CRASHING the one that crashed the iOS SDK in ttlock/iOS_SDK_Demo#16 (702
# bytes before the MAC); the others were written by ttlock_lockdata_encode() for a sample admin and
# eKey (tests/unit/test-lockdata.c has the same records).
def txt(s):
    return s.encode().hex()


LOCKDATA = {
    "published": "GTgZsx2+seWFKLxb3c2/5WNhvGJWF9+wz3eD5mzzTRJLBF9E2dJ1dUB7k0+HHcFYpwVYvwdrSD2SuRw2Y9Cce/HbDQfTPzHxSs+9g1G+xIzeak8iYoDbCntYOMqFmxkDtJ+c8KT49Lz3o+iV851EXQ26WnBhTmwXeOQbISAMhYQnjV56DUUcgGcVR+dBmJweKDN0lll9+5T4NkcNTNZsU9RPP0BYQIzkzpcBAM7iB/9sL8+uDsKIwHwchEWI3z1Ens41uCLhBc0LSVeQu7sMxnqFi+j6tK0zaxNQ7Oh/pI1fImwuVtsexoJxCJDyzWtZ3k+u+39P5/Sz9iar+ANweAm8+AMXgjn+Jnw3KKHcdVHwgg7tGi7SqcXP45vufcoq24sHgxBBSVpUHc0QM5FX2WUn0r7R2Gg7tO+fL9ITvtMGbKCUukDaAJ+VkvP81p94TWsqnBXzgzxqzciUNDyyOfyLsEZv6/Co18KrLp5l686tZbhpNnc2D16jqFX/Y6aue61e6RWbtceKYwrTqO0G+J/iYnoUkIf7J1sb7eRBmJGEz/bwPPFyXxx19RdheHGN2+983d29cmerhP0APZlVkc8l8mlMrd/Dyld1X1fZailwWQA1shOyphGKGYJeE+vKPwPr6iMMkEH3oSIt27wPn39mVcWAPq+CzsP/OLM1Thy8r3vFK+MzTB3aZWvjL9u5FfM0uZc+r1Ki3YBrdP1n0Jbwa+EUJsvHfF2mGQF/j1SpOhjEFMHv8XvuvMYDM/B16kN9TPP1",
    "crashing": "yrY/zPRBI//P8EpQ0l6ilgasT3EARzbxw7NAc6XKdyWICXa4U5sgiPAP2GKuLAUHimEkWwtZgfwHu0nipD7Eoi8tTKb+r/w7x08vQbtSEIhhMZ/gUXQPGfE7eU2I0QLNK6NLyAt4mLvC0Nh+5Sj3lAKjcpairEZ/vhezDrFYdKVGl8Bm0FmuDrSXjpI6a5NmylaEnaeA1ybFViZ90ApjkQ0IMiPVcpfUx7VqWAzXiDYta8bZ82YtaPHAvIgFfN8+YrzqHuzN1FIgzYxxzbf7mCYFxOd3laClCa493iaAFQ/1xCkfzUTVV1Z0ocPl9d/nLf5MzIgXtbu5uHEzUOLQXJaizyiBPBcwHQDXaT+xGT8NfzZ8beBSlc+Wx8c1Te9/paQr3CGrqlFsPWenrDoQbFVGOrdFT+h3dBFXGFc0n5mMBKnuQzamGkfMv+NEAGAo1ykqEafOyGehTG4Ss3qufGutXGK5Vm9kBP3SHSvb9Ubj5EV685dNvgDZABS2CgtxLf2QU/6jL1HJUOnblhg+W7Bvy0hwliXGYkrVrqSo7zeSSdI7Zb/0SmM0sOKWgpJuzB2i/tYshb30jePFKUjUEztr5jtwQgFiRQJ+TS1NX5uKSAm589Qq6wD8hMrGNkyb1CeaVrUdWrmWEfg8K3MU+w9Xcr1Zm4FSbJKFxvPt/sRAHuvjhKuh1qE4D7NEgON+Or5yC57oJKnhd7hgdFb0f+fnZI74hZx1oDuGYn8Ma5sfi7R07TdFhrd9xg6FtWXHR5xEfK0qF7ewvJvT5dJQaQ/QH1y5sgkjpIixNRywo04mCKLIF3TbVVlsoTedKrXuQ5eoNhDAgXF6/BFaNp1Asx5bA5okZJGLygdJHIGLN2wkE2tjNcsIQYNM8IK/+aEaKa4ISdYmfbG/mFOliXLeTvwK6Bqp+xJxuEcX2U5djjy3zU/2",
    "admin": "vUGxKOwfPbX73QW2r+vWG1ldVF4dLzU5DZg7RDBJpZA3KuqpSCyKAHQqybNyV3+jpmevyrs+ptgbB8K4pfUn0HkF2Di0nNa8+ulZiIasU/cZrFpBzR53zpgPI3IQInoE5ajuamVd7Eikpt2ozn/bHXmN0HJyZSYoG+3U73nZEqE6nn7dv7D+I7mCedjCanF2+Nvs4HCAoPY/LSli8N4No2HoY5Zmdc1a7skvbbncCsrFLASHIaJdgvIkZzNwftNynF4a3B0ckmRU/rRomJPkmqAH/2/uvFdfJDFROrlhsP70n8/6LrBgfa5pkhwgSawJOl3NekCS29/68PdhSnwf9ZMJYeob+7nkp/ox3dQa9jsg3r8l1rGF5/jsgiCrqaBUUnQCtuV/wu/UpNfCh5VVzJTa/UbxL+w1dad1j+5e2hOqNKXgE4WGjw6ojxv257YeNXbozD+t/SkG9Eu2vGb/Sh1iLmupqOGjy9G2S1drFbKlTeAKqEKK68Nnw8T603Nk+ky4cMHLxgxfo4qLi/74+tQyHagnjc3hwKJ/JuNc1KpwRsgTqUEDMBXeScOi30IB9c9hGmxO3rdmQcu0uo3p1O6LLpYIj/QqOWP6GanzU4+eG1kqKQR+W4xnHzykFbJwZC/HZ1Ltq9bHGcl7q7p0CxzWf+KzpclfkGWrAKbC2qaLorf7Q7Bzdt1IufIQib3OLC5mXEZOxEUalZ/rWC2W5d8oHd0IcA1pFW5rqypH2MySopIz7qhMr9uOO0Av8/zuSaiR/C0LNcG7E+MgY14xAIzY3Lg7HL1Wa9VAtEpwGoGqu8wAAAE=",
    "ekey": "uw/PipOJTjZKp1K9dECJyzb7Iw2rSk+UlTOOIUDiY9s4qD9RY89r7rnF+vyszvYjml2g8B/Bsoe3sWKRQvJ4o8VIPu2bnn9569VdwFgbk9JWwSOqYqAIP8Tl9ci+CiGZAfvJr0RfgiEfWTJCb5R4sK+b7+98E/Y08PmYcrgu1IBp+ovYDW3OZlP3mO+kex9eSBQtzmbPi3EpSg47TljCN3mjRL9132H8F4Ba2l/Q96J8d5UO9hH08sRfh5wWTPhsdagYh7HZe75oFFfyjwOGq7BJ63HR5mIdtQXGbatMV4g6tPRnheDfuFie9Rv8020YUNVyZv9QYmwF700MfbXJ8QT3t2BJGPDaPqlqcK978PaQH2ii5XKzwop2XdO55plT6BO5OXtFyZ01VBoZeMO6jgMMluXycLxIfvw/bQey0qjtEyzvMCe2D6n7hh3U2XDauC3xOV3mpBYLg1+1lZHPi+WSGGRLRFVt9m0rxNjHC3RTlwuZCZn/2rTS8UFiCD3+kQoFfXuCCwgeWn8voqpCG48nDBgFAeyQYW+mPh7iJ8I4zohwyxnva1Iexzjs+SZwEf2f3+6hQjZOLyqexmjewcq1NpttbmjALNTo9vBudH1pEWwY1Nlv6AAFY0+21GMtTPQVBXPUoeZqHmScgzqb4qLDcE9FHXPkwle0ZCb0N0QN7myqWA1d2IAwumdtfAeRW3tGu5Ly0zHreWuvBiZNLAo+sxOmp8C4a9xTtqoS026qu8wAAAI=",
}
LOCKDATA_JSON = {
    "admin": '{"uid":1000,"lockName":"S202F_010000","lockMac":"AA:BB:CC:00:00:01","userType":110301,"lockVersion":{"protocolType":5,"protocolVersion":3,"scene":2,"groupId":1,"orgId":1},"adminPwd":"NzUsNzUsNzYsNzIsNzUsNzYsNjYsNzUsNzYsNzgsNQ==","lockKey":"NTQsNTQsNDksNDgsNTIsNTEsNDksNTUsNTQsNTEsMTIw","lockFlagPos":1,"noKeyPwd":"7654321","aesKeyStr":"00,11,22,33,44,55,66,77,88,99,aa,bb,cc,dd,ee,ff","specialValue":1,"featureValue":"80000000001","startDate":0,"endDate":0,"electricQuantity":90,"timezoneRawOffset":3600000,"modelNum":"S202F","hardwareRevision":"1.3","firmwareRevision":"6.4.15.230524","version":"1.0"}',
    "ekey": '{"uid":2000,"lockName":"S202F_010000","lockMac":"AA:BB:CC:00:00:02","userType":110302,"lockVersion":{"protocolType":5,"protocolVersion":3,"scene":2,"groupId":1,"orgId":1},"lockKey":"NTQsNTQsNDksNDgsNTIsNTEsNDksNTUsNTQsNTEsMTIw","lockFlagPos":1,"aesKeyStr":"00,11,22,33,44,55,66,77,88,99,aa,bb,cc,dd,ee,ff","specialValue":1,"featureValue":"80000000001","startDate":1700000000000,"endDate":1800000000000,"electricQuantity":90,"timezoneRawOffset":3600000,"modelNum":"S202F","hardwareRevision":"1.3","firmwareRevision":"6.4.15.230524","version":"1.0"}',
    "minimal": '{"aesKeyStr":"00,11,22,33,44,55,66,77,88,99,aa,bb,cc,dd,ee,ff","lockKey":"0076257105"}',
    "version-as-text": '{"aesKeyStr":"00112233445566778899aabbccddeeff","lockKey":"76257105","userType":"110302",'
                       '"lockVersion":"{\\"protocolType\\":5,\\"protocolVersion\\":3}","startDate":1,"endDate":2}',
}
ADDON_FILE = '[{"address":"AA:BB:CC:00:00:01","battery":90,"rssi":0,"autoLockTime":-1,"lockedStatus":-1,"privateData":{"aesKey":"00112233445566778899aabbccddeeff","admin":{"adminPs":73079075,"unlockKey":76257105},"adminPasscode":"7654321","pwdInfo":[]},"operationLog":[]}]'
CLOUD_DETAIL = ('{"lockAlias": "server lock", "modelNum": "SN275-5S-250MS-6V_PV53", "lockMac": "AA:BB:CC:00:00:09",'
                ' "featureValue": "C27442140F5F4", "adminPwd": "NjgsNjUsNjQsNzEsNjgsNzYsNzYsNjksNzEsNzAsMTA=",'
                ' "lockKey": "NjgsNzcsNjgsNjQsNzEsNzcsNzcsNzYsNjcsNjgsMTA=", "specialValue": 557905396,'
                ' "noKeyPwd": "5543703", "timezoneRawOffset": 28800000, "electricQuantity": 80, "lockFlagPos": 0,'
                ' "aesKeyStr": "00,11,22,33,44,55,66,77,88,99,aa,bb,cc,dd,ee,ff", "lockVersion": {"groupId": 1,'
                ' "protocolVersion": 3, "protocolType": 5, "orgId": 1, "scene": 2}}')
CLOUD_LIST = '{"list": [{"lockId": 1, "lockAlias": "Front door", "lockData": "' + LOCKDATA["ekey"] + '"}], "pageNo": 1}'

CORPORA["fuzz-lockdata"] = {
    "string-published": sel(0, txt(LOCKDATA["published"])),
    "string-crashing": sel(0, txt(LOCKDATA["crashing"])),
    "string-admin": sel(0, txt(LOCKDATA["admin"])),
    "string-ekey": sel(0, txt(LOCKDATA["ekey"])),
    "any-two-strings": sel(1, txt(LOCKDATA["admin"] + "\n" + LOCKDATA["ekey"] + "\n")),
    "any-quoted-string": sel(1, txt('"' + LOCKDATA["published"] + '"')),
    "any-cloud-detail": sel(1, txt(CLOUD_DETAIL)),
    "any-cloud-list": sel(1, txt(CLOUD_LIST)),
    "any-addon": sel(1, txt(ADDON_FILE)),
    "any-export": sel(1, txt("version: 1\naddress: \"AA:BB:CC:DD:EE:FF\"\n")),
    "secret-rr-lockkey": sel(2, txt("MTAzLDEwMSw5OSw5NywxMTEsMTAyLDEwMCw5OCw5NiwxMTAsNDE=")),
    "secret-rr-nokeypwd": sel(2, txt("MTU4LDE1MSwxNTksMTU3LDE1NSwxNTMsMTE1")),
    "secret-hass-42-adminpwd": sel(2, txt("NjgsNjUsNjQsNzEsNjgsNzYsNzYsNjksNzEsNzAsMTA=")),
    "secret-plain": sel(2, txt("0123456789")),
}
for _name, _json in LOCKDATA_JSON.items():
    CORPORA["fuzz-lockdata"]["inner-" + _name] = sel(3, txt(_json))

CORPORA["fuzz-addon-lockdata"] = {
    "addon": txt(ADDON_FILE),
    "addon-partial": txt('[{"address":"aa:bb:cc:00:00:01","battery":-1,"privateData":{"aesKey":'
                         '"00112233445566778899aabbccddeeff","admin":{"adminPs":1,"unlockKey":2},'
                         '"pwdInfo":[{"year":2021,"code":1,"secret":"1"}]},"operationLog":[{"recordType":1}]},'
                         ' {"address":"AA:BB:CC:00:00:02","privateData":{}}]'),
    "cloud-list": txt(CLOUD_LIST),
    "cloud-detail": txt(CLOUD_DETAIL),

def text(s):
    return s.encode().hex()


# ttlock-mqtt (man/ttlock-mqtt.8): commands as Home Assistant, mosquitto_pub and scripts send them.
# The first byte picks a command topic (00) or a manage topic (01).
CORPORA["fuzz-mqtt-command"] = {
    "plain-unlock": "00" + text("UNLOCK"),
    "plain-refresh-newline": "00" + text("REFRESH\n"),
    "ha-lock": "00" + text('{"command":"LOCK","timestamp":1767225600.123}'),
    "ha-unlock-code": "00" + text('{"command":"UNLOCK","code":"8642","timestamp":1767225600.5}'),
    "ha-unlock-no-code": "00" + text('{"command":"UNLOCK","code":null,"timestamp":1767225600}'),
    "add-passcode": "01" + text('{"command":"add-passcode","id":1,"code":"482916","alias":"Cleaner",'
                                '"valid_from":1796112000,"valid_until":1798135200,"timestamp":1767225600}'),
    "set-auto-lock": "01" + text('{"command":"set-auto-lock","seconds":30.0,"timestamp":1767225600}'),
    "set-sound": "01" + text('{"command":"set-sound","value":"ON","volume":3,"timestamp":1767225600}'),
    "passage-modes": "01" + text('{"command":"set-passage-modes","modes":[{"weekdays":[1,2,3,4,5],'
                                 '"start_minute":480,"end_minute":1020}],"timestamp":1767225600}'),
    "nested": "01" + text('{"command":"x","a":{"b":{"c":[1,[2,[3]]]}}}'),
    "broken": "01" + text('{"command":"add-passcode","code":'),
}

CORPORA["fuzz-mqtt-config"] = {
    "minimal": text("broker = mqtt://localhost:1883\n"),
    "full": text("# comment\nbroker = mqtts://[::1]:8884\nusername = ha\npassword-file = /etc/p\n"
                 "ca-file = /etc/ca.pem\ncert-file = /etc/c.pem\nkey-file = /etc/c.key\nkeepalive = 30\n"
                 "mqtt-version = 3.1.1\nbase-topic = home/locks\ndiscovery-prefix = ha\nnode-id = hall\n"
                 "locks = AA:BB:CC:00:00:01, aa:bb:cc:00:00:02\nallow-manage = yes\npublish-passcodes = no\n"
                 "unlock-pin-file = /etc/pin\nmax-command-age = 0\n"),
    "errors": text("brokr = x\nbroker\nkeepalive = 3\n"),
}

# key-import (src/daemon/store/key-import.c): everything ImportLocks() takes, and ttlockd's export (the
# key store's YAML, one document per lock, store.h), an admin's and an eKey's.
EXPORT = ('# ttlockd key export\n'
          '---\nversion: 1\naddress: "AA:BB:CC:00:00:01"\nalias: "Front door"\nrole: "admin"\n'
          'credentials:\n  aes-key: "00112233445566778899aabbccddeeff"\n  admin-ps: 73079075\n'
          '  unlock-key: 76257105\n  lock-flag-pos: 0\n  uid: 0\n'
          'lock-version:\n  protocol-type: 5\n  sub-version: 3\n  scene: 2\n  group-id: 1\n  org-id: 1\n'
          'features: [4294967295, 2049]\n'
          'credential-aliases:\n- {kind: "ic-card", id: "123456", alias: "Anna"}\n'
          '---\nversion: 1\naddress: "AA:BB:CC:00:00:02"\nrole: "user"\nvalid-from-usec: 1700000000000000\n'
          'valid-until-usec: 1800000000000000\ntime-zone-offset-seconds: -18000\n'
          'credentials: {aes-key: "0f0e0d0c0b0a09080706050403020100", unlock-key: 2, lock-flag-pos: 1, uid: 2000}\n')
CORPORA["fuzz-key-import"] = {
    "export": txt(EXPORT),
    "string-admin": txt(LOCKDATA["admin"]),
    "strings": txt(LOCKDATA["admin"] + "\n" + LOCKDATA["ekey"] + "\n"),
    "cloud-list": txt(CLOUD_LIST),
    "cloud-detail": txt(CLOUD_DETAIL),
    "addon": txt(ADDON_FILE),
}


def main():
    root = os.path.join(HERE, "corpus")
    for harness, seeds in CORPORA.items():
        d = os.path.join(root, harness)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, hexdata in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(bytes.fromhex(hexdata))
    print("wrote", sum(len(s) for s in CORPORA.values()), "seeds for", len(CORPORA), "harnesses")


if __name__ == "__main__":
    main()
