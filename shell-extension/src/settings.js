// SPDX-License-Identifier: LGPL-2.1-or-later
// The extension's GSettings (org.gnome.shell.extensions.ttlock.gschema.xml), found the same way
// by the Shell process and the preferences process, in every Shell version: the compiled
// schema in the extension's own schemas/ (a copy installed for one user), else where meson
// installed it, else the system's default schema sources.

import Gio from 'gi://Gio';
import {SCHEMADIR, SCHEMA_ID} from './config.js';

export function loadSettings(extensionDir) {
    const Source = Gio.SettingsSchemaSource;
    let source = Source.get_default();
    for (const dir of [Gio.File.new_for_path(SCHEMADIR), extensionDir?.get_child('schemas')]) {
        if (dir && dir.get_child('gschemas.compiled').query_exists(null))
            source = Source.new_from_directory(dir.get_path(), source, false);
    }
    const schema = source?.lookup(SCHEMA_ID, true);
    if (!schema)
        throw new Error(`GSettings schema ${SCHEMA_ID} is not installed`);
    return new Gio.Settings({settings_schema: schema});
}
