#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the arrows between the rooms of src/ run one way (doc/architecture.md).

Every #include "x.h" in src/ is resolved to the file it names and the rooms of the two files are
compared with the table below: a room may include only from the rooms listed for it. Then the
includes between modules (foo.c and foo.h together) must form no cycle, inside a room or across.
Prints every violation and exits 1 if there is one; prints a one-line summary otherwise.

Usage: check-layers.py SRC_DIR
"""

import os
import re
import sys

# room -> the rooms it may include from (besides itself). Top to bottom: the daemon's entry point, its
# D-Bus faces, the lock model, then radio and store side by side; proto and common at the bottom.
ALLOWED = {
    "daemon": {"daemon/bus", "daemon/lock", "daemon/radio", "daemon/store", "esphome", "proto", "common"},
    "daemon/bus": {"daemon/lock", "daemon/radio", "daemon/store", "proto", "common"},
    "daemon/lock": {"daemon/radio", "daemon/store", "describe", "proto", "common"},
    "daemon/radio": {"esphome", "common"},
    "daemon/store": {"proto", "common"},
    "esphome": {"common"},
    "proto": {"common"},
    # What a frame means in named fields: ttlock-decode prints it, ttlockd's diagnostics keep it.
    "describe": {"proto", "common"},
    "common": set(),
    # The simulator meets the daemon only on the wire; the clients know only the D-Bus API.
    "sim": {"esphome", "proto", "common"},
    "tools": {"describe", "proto", "common"},
    "ctl": {"proto", "common"},
    "mqtt": {"common"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
GENERATED = {"config.h"}


def room_of(src, path):
    rel = os.path.relpath(os.path.dirname(path), src).replace(os.sep, "/")
    parts = rel.split("/")
    if parts[0] == "daemon" and len(parts) > 1:
        return "daemon/" + parts[1]
    return parts[0]


def module_of(path, by_name):
    """foo.c and foo.h are one module; so are the parts of a module that has no header of their own:
    bluez-device.c (implementing bluez.h), lockdata-internal.h (implemented in lockdata.c)."""
    stem, ext = os.path.splitext(path)
    d = os.path.dirname(path)
    base = os.path.basename(stem)
    own = os.path.join(d, base + (".h" if ext == ".c" else ".c"))
    if os.path.exists(own):
        return stem
    parts = base.split("-")
    for i in range(len(parts) - 1, 0, -1):
        head = "-".join(parts[:i])
        if os.path.exists(os.path.join(d, head + ".h")):
            return os.path.join(d, head)
    return stem


def main():
    src = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "src")
    files = []
    for dirpath, _, names in os.walk(src):
        for n in names:
            if n.endswith((".c", ".h")):
                files.append(os.path.join(dirpath, n))
    by_name = {}
    for f in files:
        by_name.setdefault(os.path.basename(f), []).append(f)

    problems = []
    edges = {}
    n_includes = 0
    for f in sorted(files):
        room = room_of(src, f)
        if room not in ALLOWED:
            problems.append(f"{os.path.relpath(f, src)}: room '{room}' is not in check-layers.py's table")
            continue
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            name = os.path.basename(inc)
            if name in GENERATED:
                continue
            candidates = by_name.get(name, [])
            if not candidates:
                # A generated header (protobuf-c …) next to its source in the build tree.
                continue
            same_dir = [c for c in candidates if os.path.dirname(c) == os.path.dirname(f)]
            if same_dir:
                target = same_dir[0]
            else:
                # The same name in several rooms (each program has a bluez.h): the one the room may see.
                visible = [c for c in candidates if room_of(src, c) in ALLOWED[room] | {room}]
                target = (visible or candidates)[0]
            n_includes += 1
            troom = room_of(src, target)
            if troom != room and troom not in ALLOWED[room]:
                problems.append(
                    f"{os.path.relpath(f, src)} includes {os.path.relpath(target, src)}: "
                    f"{room} may not depend on {troom}")
            a = module_of(f, by_name)
            b = module_of(target, by_name)
            if a != b:
                edges.setdefault(a, set()).add(b)

    # Cycles between modules: Tarjan's strongly connected components.
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    for comp in sccs:
        problems.append("include cycle: " + " -> ".join(sorted(os.path.relpath(c, src) for c in comp)))

    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) in {n_includes} includes")
        return 1
    print(f"{len(files)} files, {n_includes} includes: every arrow points down, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
