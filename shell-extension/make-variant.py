#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turn the extension's one set of sources into the variant one GNOME Shell version loads.

    make-variant.py --variant esm|legacy --output OUT.js SOURCE.js

The sources are written as ES modules, the form GNOME Shell 45 and later load
(gjs.guide, "Port Extensions to GNOME Shell 45"). For GNOME Shell 43 and 44, which load
extensions through the legacy `imports` object, the statements that differ are rewritten:

  import X from 'gi://X'                          const X = imports.gi.X;
  import X from 'gi://X?version=4'                imports.gi.versions.X = '4'; const X = imports.gi.X;
  import X from 'gettext'                         const X = imports.gettext;
  import * as M from 'resource:///org/gnome/shell/ui/main.js'
                                                  const M = imports.ui.main;
  import {a, b as c} from 'resource:///…/x.js'    const {a, b: c} = imports.….x;
  import {a} from './file.js'                     const {a} = Me.imports.file;
  export function f / export async function f     function f   (a module property in legacy gjs)
  export const X = / export let X =               var X =      (only var and functions are exported)
  export class X / export default class X         var X = class X

Lines between `//#if legacy` / `//#if esm`, an optional `//#else` and `//#endif` belong to one
variant only: the few places where the two are not the same statement in another spelling (the
entry points extension.js and prefs.js). Anything else that the legacy loader could not read —
`export {…}`, `export default` of an expression, `import()`, an import spread over lines — is
refused with an error, so that a source cannot silently produce a broken variant.
"""

import argparse
import re
import sys

IDENT = r"[A-Za-z_$][A-Za-z0-9_$]*"

RE_DEFAULT = re.compile(rf"^import\s+({IDENT})\s+from\s+'([^']+)';\s*$")
RE_NAMESPACE = re.compile(rf"^import\s+\*\s+as\s+({IDENT})\s+from\s+'([^']+)';\s*$")
RE_NAMED = re.compile(r"^import\s+\{([^}]*)\}\s+from\s+'([^']+)';\s*$")
RE_EXPORT_FUNCTION = re.compile(r"^export\s+((?:async\s+)?function\b.*)$")
RE_EXPORT_VAR = re.compile(r"^export\s+(?:const|let|var)\s+(.*)$")
RE_EXPORT_CLASS = re.compile(rf"^export\s+(?:default\s+)?class\s+({IDENT})(.*)$")
RE_DIRECTIVE = re.compile(r"^\s*//#(if|else|endif)\b\s*(\w*)\s*$")

SHELL_PREFIX = "resource:///org/gnome/shell/"
BARE_MODULES = {"gettext", "system", "cairo"}


class VariantError(Exception):
    pass


def legacy_module(spec, lineno):
    """The expression that names module `spec` in the legacy import system."""
    if spec.startswith("gi://"):
        name, _, query = spec[len("gi://"):].partition("?")
        if not re.fullmatch(IDENT, name):
            raise VariantError(f"line {lineno}: bad gi:// module '{spec}'")
        prelude = None
        if query:
            m = re.fullmatch(r"version=([0-9.]+)", query)
            if not m:
                raise VariantError(f"line {lineno}: unsupported gi:// query in '{spec}'")
            prelude = f"imports.gi.versions.{name} = '{m.group(1)}';"
        return f"imports.gi.{name}", prelude, False
    if spec in BARE_MODULES:
        return f"imports.{spec}", None, False
    if spec.startswith(SHELL_PREFIX) and spec.endswith(".js"):
        path = spec[len(SHELL_PREFIX):-len(".js")].split("/")
        if not all(re.fullmatch(IDENT, p) for p in path):
            raise VariantError(f"line {lineno}: bad shell module '{spec}'")
        return "imports." + ".".join(path), None, False
    if spec.startswith("./") and spec.endswith(".js"):
        name = spec[2:-3]
        if not re.fullmatch(IDENT, name):
            raise VariantError(f"line {lineno}: local modules must be plain names: '{spec}'")
        return f"Me.imports.{name}", None, True
    raise VariantError(f"line {lineno}: no legacy form for module '{spec}'")


def named_bindings(spec_list, lineno):
    out = []
    for item in spec_list.split(","):
        item = item.strip()
        if not item:
            continue
        m = re.fullmatch(rf"({IDENT})(?:\s+as\s+({IDENT}))?", item)
        if not m:
            raise VariantError(f"line {lineno}: cannot read import binding '{item}'")
        out.append(m.group(1) if not m.group(2) else f"{m.group(1)}: {m.group(2)}")
    return "{" + ", ".join(out) + "}"


def select_variant(lines, variant):
    """Keep the lines of this variant's //#if blocks, drop the other's and the directives."""
    out = []
    stack = []  # (block's variant, in the else branch)
    for lineno, line in enumerate(lines, 1):
        m = RE_DIRECTIVE.match(line)
        if m:
            word, arg = m.group(1), m.group(2)
            if word == "if":
                if arg not in ("esm", "legacy") or stack:
                    raise VariantError(f"line {lineno}: //#if takes esm or legacy and does not nest")
                stack.append([arg, False])
            elif word == "else":
                if not stack or stack[-1][1] or arg:
                    raise VariantError(f"line {lineno}: stray //#else")
                stack[-1][1] = True
            else:
                if not stack or arg:
                    raise VariantError(f"line {lineno}: stray //#endif")
                stack.pop()
            out.append((lineno, None))
            continue
        keep = True
        if stack:
            block, in_else = stack[-1]
            keep = (block == variant) != in_else
        out.append((lineno, line if keep else None))
    if stack:
        raise VariantError("unterminated //#if")
    return out


def to_legacy(numbered):
    out = []
    needs_me = False
    for lineno, line in numbered:
        if line is None:
            out.append("")
            continue
        stripped = line.strip()

        if stripped.startswith("import ") or stripped.startswith("import{"):
            if line != stripped:
                raise VariantError(f"line {lineno}: imports must start at the beginning of the line")
            m = RE_DEFAULT.match(line)
            if m:
                expr, prelude, local = legacy_module(m.group(2), lineno)
                if local:
                    raise VariantError(f"line {lineno}: local modules have no default export")
                decl = f"const {m.group(1)} = {expr};"
                out.append(f"{prelude} {decl}" if prelude else decl)
                continue
            m = RE_NAMESPACE.match(line)
            if m:
                expr, prelude, local = legacy_module(m.group(2), lineno)
                needs_me = needs_me or local
                out.append(f"const {m.group(1)} = {expr};")
                continue
            m = RE_NAMED.match(line)
            if m:
                expr, prelude, local = legacy_module(m.group(2), lineno)
                needs_me = needs_me or local
                out.append(f"const {named_bindings(m.group(1), lineno)} = {expr};")
                continue
            raise VariantError(f"line {lineno}: cannot read this import (one line, single quotes): {stripped}")

        if stripped.startswith("export"):
            if line != stripped:
                raise VariantError(f"line {lineno}: exports must start at the beginning of the line")
            m = RE_EXPORT_FUNCTION.match(line)
            if m:
                out.append(m.group(1))
                continue
            m = RE_EXPORT_CLASS.match(line)
            if m:
                out.append(f"var {m.group(1)} = class {m.group(1)}{m.group(2)}")
                continue
            m = RE_EXPORT_VAR.match(line)
            if m:
                out.append(f"var {m.group(1)}")
                continue
            raise VariantError(f"line {lineno}: no legacy form for this export: {stripped}")

        if re.search(r"\bimport\s*\(", line) or "import.meta" in line:
            raise VariantError(f"line {lineno}: dynamic import and import.meta have no legacy form")
        out.append(line)

    if needs_me:
        # The legacy loader finds an extension's own modules through its object
        # (misc/extensionUtils.js, getCurrentExtension() reads the caller's file from the stack).
        # Put on the first line, so that the variant's line numbers are the source's.
        out[0] = "const Me = imports.misc.extensionUtils.getCurrentExtension(); " + out[0]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=("esm", "legacy"), required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("source")
    args = ap.parse_args()

    with open(args.source, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    try:
        numbered = select_variant(lines, args.variant)
        if args.variant == "legacy":
            result = to_legacy(numbered)
        else:
            result = ["" if line is None else line for _, line in numbered]
    except VariantError as e:
        sys.exit(f"{args.source}: {e}")

    # The note goes last: every line keeps its number, so the Shell's log points into the source.
    note = f"// Generated from {args.source.rsplit('/', 1)[-1]} for the {args.variant} variant by make-variant.py."
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(result + [note]) + "\n")


if __name__ == "__main__":
    main()
