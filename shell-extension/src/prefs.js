// SPDX-License-Identifier: LGPL-2.1-or-later
// The preferences page: which notifications the extension shows. One switch per key of
// org.gnome.shell.extensions.ttlock, bound to the setting (the Shell reads it when a
// notification is due, so a change needs no restart).

import Adw from 'gi://Adw?version=1';
import Gio from 'gi://Gio';
import Gtk from 'gi://Gtk?version=4.0';
//#if esm
import {ExtensionPreferences} from 'resource:///org/gnome/Shell/Extensions/js/extensions/prefs.js';
//#endif

import {_, bindTextDomain} from './i18n.js';
import {loadSettings} from './settings.js';

//#if legacy
// GNOME Shell 43 and 44 call init() and then fillPreferencesWindow() as plain functions; this
// stands in for the ExtensionPreferences class that 45 added.
class ExtensionPreferences {
    get dir() {
        return imports.misc.extensionUtils.getCurrentExtension().dir;
    }
}

function init() {
}

function fillPreferencesWindow(window) {
    new DoorLocksPreferences().fillPreferencesWindow(window);
}
//#endif

// [settings key, title, subtitle]
function switches() {
    return [
        ['notify-unlocked', _('Unlocked at the door'),
            _('With a passcode, card, fingerprint or the key')],
        ['notify-locked', _('Locked at the door'), _('By hand, with the key, or by auto-lock')],
        ['notify-failed', _('Failed attempts'), _('A wrong passcode, card or fingerprint')],
        ['notify-alerts', _('Alerts'), _('A jammed bolt, a door left open')],
        ['notify-door', _('Door opened or closed'), _('Locks with a door sensor')],
        ['notify-remote', _('Locked or unlocked by a program'),
            _('Through ttlockd: this menu, ttlockctl, home automation')],
        ['notify-battery', _('Low battery'), _('When a lock’s battery falls below 20 %')],
    ];
}

export default class DoorLocksPreferences extends ExtensionPreferences {
    fillPreferencesWindow(window) {
        bindTextDomain(this.dir);
        const settings = loadSettings(this.dir);
        // Keep the settings object alive as long as the window.
        window._ttlockSettings = settings;

        const page = new Adw.PreferencesPage({
            title: _('Notifications'),
            icon_name: 'preferences-system-notifications-symbolic',
        });
        const group = new Adw.PreferencesGroup({
            title: _('Notify when'),
            description: _('Errors of locking and unlocking from the menu are always shown.'),
        });
        page.add(group);

        for (const [key, title, subtitle] of switches()) {
            const row = new Adw.ActionRow({title, subtitle});
            const toggle = new Gtk.Switch({valign: Gtk.Align.CENTER});
            settings.bind(key, toggle, 'active', Gio.SettingsBindFlags.DEFAULT);
            row.add_suffix(toggle);
            row.activatable_widget = toggle;
            group.add(row);
        }
        window.add(page);
    }
}
