// SPDX-License-Identifier: LGPL-2.1-or-later
// Both built variants of the extension read as what their GNOME Shell loads, checked with the
// parser of gjs's own JavaScript engine (Reflect.parse of SpiderMonkey):
//  - esm/ (GNOME Shell 45 and later) parses as ES modules; each import names a GObject
//    introspection namespace, one of the Shell's modules that extensions use (the paths and
//    names gjs.guide documents for 45), or a file of the extension that exports every name
//    imported from it; extension.js and prefs.js export by default a class extending the
//    Shell's Extension / ExtensionPreferences.
//  - legacy/ (GNOME Shell 43 and 44) parses as scripts with no import or export left
//    (tests/desktop/test-shell-extension.sh runs it in a real Shell 43).
//  - both have the same files, and metadata.json names the Shell versions of its variant.
//
//   gjs -m test-extension-variants.js LEGACY_DIR ESM_DIR

import Gio from 'gi://Gio';
import System from 'system';

const [legacyDir, esmDir] = ARGV;
let passed = 0;
let failed = 0;

function check(ok, what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printerr(`FAIL: ${what}`);
    }
}

function read(path) {
    const [, bytes] = Gio.File.new_for_path(path).load_contents(null);
    return new TextDecoder().decode(bytes);
}

function listJs(dir) {
    const names = [];
    const e = Gio.File.new_for_path(dir).enumerate_children('standard::name', 0, null);
    for (let info; (info = e.next_file(null));) {
        if (info.get_name().endsWith('.js'))
            names.push(info.get_name());
    }
    return names.sort();
}

function parse(path, target) {
    try {
        return Reflect.parse(read(path), {target, source: path});
    } catch (e) {
        check(false, `${path} does not parse as a ${target}: ${e}`);
        return null;
    }
}

// Modules of GNOME Shell 45+ that the extension may import, with the names it may take from
// them where they are not namespaces (gjs.guide "Port Extensions to GNOME Shell 45", "Quick
// Settings", "Notifications", "Preferences").
const SHELL_MODULES = {
    'resource:///org/gnome/shell/ui/main.js': null,
    'resource:///org/gnome/shell/ui/popupMenu.js': null,
    'resource:///org/gnome/shell/ui/quickSettings.js': null,
    'resource:///org/gnome/shell/ui/messageTray.js': null,
    'resource:///org/gnome/shell/misc/config.js': null,
    'resource:///org/gnome/shell/extensions/extension.js': ['Extension', 'gettext', 'ngettext', 'pgettext'],
    'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js':
        ['ExtensionPreferences', 'gettext', 'ngettext', 'pgettext'],
};
const GI_NAMESPACES = ['Adw', 'Clutter', 'GLib', 'GObject', 'Gio', 'Gtk', 'Meta', 'Pango', 'Shell', 'St'];
const BUILTIN_MODULES = ['gettext', 'system', 'cairo'];

function exportedNames(ast) {
    const names = new Set();
    for (const node of ast.body) {
        if (node.type !== 'ExportDeclaration')
            continue;
        if (node.isDefault)
            names.add('default');
        const d = node.declaration;
        if (!d)
            continue;
        if (d.type === 'VariableDeclaration')
            d.declarations.forEach(v => names.add(v.id.name));
        else if (d.id)
            names.add(d.id.name);
    }
    return names;
}

function checkEsm(dir) {
    const files = listJs(dir);
    const asts = new Map();
    for (const name of files) {
        const ast = parse(`${dir}/${name}`, 'module');
        if (ast)
            asts.set(name, ast);
    }
    for (const [name, ast] of asts) {
        const imported = new Map(); // local binding → module specifier
        for (const node of ast.body) {
            if (node.type !== 'ImportDeclaration')
                continue;
            // SpiderMonkey 102 (gjs 1.74) puts the specifier in moduleRequest, older ones in source.
            const spec = (node.moduleRequest ?? node).source.value;
            // ImportSpecifier: id is the exported name (default for a default import), name the
            // local binding; ImportNamespaceSpecifier has only the binding.
            const names = node.specifiers
                .filter(s => s.type === 'ImportSpecifier' && s.id.name !== 'default')
                .map(s => s.id.name);
            node.specifiers.forEach(s => imported.set(s.name.name, spec));
            if (spec.startsWith('gi://')) {
                const ns = spec.slice(5).split('?')[0];
                check(GI_NAMESPACES.includes(ns), `${name}: unexpected namespace ${spec}`);
            } else if (spec.startsWith('resource:///')) {
                const allowed = SHELL_MODULES[spec];
                check(allowed !== undefined, `${name}: ${spec} is not a module the extension may use`);
                if (allowed)
                    names.forEach(n => check(allowed.includes(n), `${name}: ${spec} has no export ${n}`));
            } else if (spec.startsWith('./')) {
                const target = spec.slice(2);
                const targetAst = asts.get(target);
                check(targetAst !== undefined, `${name}: imports ${spec}, which the variant lacks`);
                if (targetAst) {
                    const exported = exportedNames(targetAst);
                    names.forEach(n => check(exported.has(n), `${name}: ${spec} does not export ${n}`));
                }
            } else {
                check(BUILTIN_MODULES.includes(spec), `${name}: unexpected module '${spec}'`);
            }
        }
        if (name === 'extension.js' || name === 'prefs.js') {
            const base = name === 'extension.js' ? 'Extension' : 'ExtensionPreferences';
            const def = ast.body.find(n => n.type === 'ExportDeclaration' && n.isDefault);
            const cls = def?.declaration;
            check(cls?.type === 'ClassStatement' && cls.superClass?.name === base &&
                imported.get(base)?.startsWith('resource:///'),
            `${name}: no default export of a class extending the Shell's ${base}`);
        }
    }
    return files;
}

function checkLegacy(dir) {
    const files = listJs(dir);
    for (const name of files) {
        const ast = parse(`${dir}/${name}`, 'script');
        if (!ast)
            continue;
        check(!/^\s*(import|export)\b/m.test(read(`${dir}/${name}`)),
            `${name}: an import or export statement is left in the legacy variant`);
    }
    const extension = read(`${dir}/extension.js`);
    check(/^function init\(/m.test(extension), 'legacy extension.js has no init()');
    const prefs = read(`${dir}/prefs.js`);
    check(/^function fillPreferencesWindow\(/m.test(prefs), 'legacy prefs.js has no fillPreferencesWindow()');
    return files;
}

function checkMetadata(dir, versions) {
    const metadata = JSON.parse(read(`${dir}/metadata.json`));
    check(JSON.stringify(metadata['shell-version']) === JSON.stringify(versions),
        `${dir}/metadata.json: shell-version ${metadata['shell-version']}, expected ${versions}`);
    check(/^[a-z-]+@[a-z.-]+$/.test(metadata.uuid), `${dir}/metadata.json: uuid ${metadata.uuid}`);
    check(Gio.File.new_for_path(`${dir}/schemas/gschemas.compiled`).query_exists(null),
        `${dir}: no compiled settings schema`);
}

const esmFiles = checkEsm(esmDir);
const legacyFiles = checkLegacy(legacyDir);
check(esmFiles.length >= 8 && esmFiles.join() === legacyFiles.join(),
    `the variants differ: esm ${esmFiles}, legacy ${legacyFiles}`);
checkMetadata(esmDir, ['45', '46', '47', '48', '49']);
checkMetadata(legacyDir, ['43', '44']);

print(`${passed} passed, ${failed} failed`);
System.exit(failed === 0 ? 0 : 1);
