// SPDX-License-Identifier: LGPL-2.1-or-later
// The project's gettext domain (po/), shared by the Shell process and the preferences process:
// GJS's own gettext module works in both, where the Shell's extension helpers do not.

import Gettext from 'gettext';
import {GETTEXT_PACKAGE, LOCALEDIR} from './config.js';

const domain = Gettext.domain(GETTEXT_PACKAGE);

export const _ = domain.gettext;
export const ngettext = domain.ngettext;

// Bind the domain once: to the extension's own locale/ when it carries one (installed for one
// user from a bundle), else to the prefix meson installed the project's translations into.
export function bindTextDomain(extensionDir) {
    const local = extensionDir ? extensionDir.get_child('locale') : null;
    if (local && local.query_exists(null))
        Gettext.bindtextdomain(GETTEXT_PACKAGE, local.get_path());
    else
        Gettext.bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
}

// "%s", "%d" and translator-reordered "%2$s" placeholders, in order. GNOME Shell adds
// String.prototype.format, the preferences process and plain gjs do not: one helper for all.
export function fmt(template, ...args) {
    let next = 0;
    return template.replace(/%(?:(\d+)\$)?([sd%])/g, (match, position, conversion) => {
        if (conversion === '%')
            return '%';
        const index = position ? Number(position) - 1 : next++;
        return index < args.length ? String(args[index]) : match;
    });
}
