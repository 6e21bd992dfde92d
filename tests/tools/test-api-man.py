#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The generated D-Bus API manuals org.ttlock.*1(5) against the introspection files they come from.

Each page renders without groff warnings and names its interface with a purpose; every method,
signal and property of the XML has its section with prose; every argument is described; and every
method lists its possible errors (the rule BlueZ's doc/*-api.txt follow, and dbus/*.xml promise).

    test-api-man.py MANDIR DBUSDIR
"""

import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

failures = 0
checks = 0


def fail(message):
    global failures
    failures += 1
    print(f"FAIL: {message}")


def groff(page, *args):
    return subprocess.run(['groff', '-man', '-Tutf8', *args, page],
                          capture_output=True, text=True, check=False)


def sections(text):
    """Member sections of the rendered page: heading ("Lock() method") → its lines."""
    result, current = {}, None
    for line in text.splitlines():
        if re.match(r'^   \S', line):  # a subsection heading
            current = line.strip()
            result[current] = []
        elif re.match(r'^\S', line):  # a section heading
            current = None
        elif current:
            result[current].append(line)
    return result


def check_interface(xml, mandir):
    global checks
    iface = os.path.basename(xml)[:-len('.xml')]
    page = os.path.join(mandir, iface + '.5')
    checks += 1
    if not os.path.isfile(page):
        fail(f"{page} was not built")
        return
    warnings = groff(page, '-ww').stderr.strip()
    if warnings:
        fail(f"{iface}(5): groff warns: {warnings}")
    text = groff(page, '-rLL=200n', '-P-cbou').stdout
    if not re.search(rf'^ +{re.escape(iface)} - \S', text, re.M):
        fail(f"{iface}(5): NAME has no purpose (@short_description)")
    if not re.search(r'^DESCRIPTION\n +\S', text, re.M):
        fail(f"{iface}(5): no DESCRIPTION (the interface's comment)")
    found = sections(text)

    n = 0
    for node in ET.parse(xml).getroot().iter('interface'):
        for member in node:
            if member.tag not in ('method', 'signal', 'property'):
                continue
            n += 1
            checks += 1
            name = member.get('name')
            heading = f"{name}() method" if member.tag == 'method' else f"{name} {member.tag}"
            lines = found.get(heading)
            if lines is None:
                fail(f"{iface}(5): no section \"{heading}\"")
                continue
            # Prose is indented by 7; the prototype and the argument descriptions by 11.
            prose = [l for l in lines if re.match(r'^ {7}\S', l) and not re.match(r'^ {7}(IN |OUT )?\S+ \w+:$', l)]
            if not prose:
                fail(f"{iface}(5): {heading}: not documented")
            if member.tag == 'method' and not any('Possible errors' in l for l in prose):
                fail(f"{iface}(5): {heading}: no \"Possible errors\"")
            for arg in member.findall('arg'):
                a = arg.get('name')
                for i, l in enumerate(lines):
                    if re.match(rf'^ {{7}}(IN |OUT )?\s*\S+ {a}:$', l):
                        if i + 1 >= len(lines) or not re.search(r'\w', lines[i + 1]):
                            fail(f"{iface}(5): {heading}: argument {a} is not described")
                        break
                else:
                    fail(f"{iface}(5): {heading}: argument {a} is not described")
    print(f"ok: {iface}(5): {n} members checked")


def main():
    mandir, dbusdir = sys.argv[1:3]
    for xml in sorted(glob.glob(os.path.join(dbusdir, 'org.ttlock.*1.xml'))):
        check_interface(xml, mandir)
    print(f"{checks} checks, {failures} failures")
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
