// SPDX-License-Identifier: LGPL-2.1-or-later
// The Quick Settings part: a "Door locks" toggle whose menu has one row per paired lock (state
// icon, alias, state text, battery), and a top-bar icon while any lock is unlocked. A click on a
// row locks or unlocks it; the menu stays open so that the row can be seen to follow.
//
// GNOME Shell 43 names the toggle's text "label", 44 and later "title" (gjs.guide, "Port
// Extensions to GNOME Shell 44"), and 45 added QuickSettings.addExternalIndicator() where 43
// and 44 take the indicator and its items by hand (js/ui/panel.js of 43); the differences are
// decided by what the running Shell has.

import Clutter from 'gi://Clutter';
import GObject from 'gi://GObject';
import St from 'gi://St';
import * as Config from 'resource:///org/gnome/shell/misc/config.js';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';
import * as QuickSettings from 'resource:///org/gnome/shell/ui/quickSettings.js';

import {_} from './i18n.js';
import * as Text from './text.js';

const SHELL_MAJOR = parseInt(Config.PACKAGE_VERSION, 10);
const TITLE_PROPERTY = SHELL_MAJOR >= 44 ? 'title' : 'label';

// Actor names, so that a test (tests/desktop) finds the rows in the Shell's actor tree.
export const TOGGLE_NAME = 'ttlock-door-locks';
export const ROW_NAME_PREFIX = 'ttlock-lock:';

export const LockRow = GObject.registerClass(
class LockRow extends PopupMenu.PopupBaseMenuItem {
    constructor(lock, onClick) {
        super({style_class: 'ttlock-lock-row'});
        this.lock = lock;
        this.placed = false;
        this.destroyed = false;
        this.connect('destroy', () => {
            this.destroyed = true;
        });
        this._onClick = onClick;
        this.name = ROW_NAME_PREFIX + lock.path;

        this._stateIcon = new St.Icon({style_class: 'popup-menu-icon'});
        this.add_child(this._stateIcon);

        const text = new St.BoxLayout({
            vertical: true,
            x_expand: true,
            y_align: Clutter.ActorAlign.CENTER,
        });
        this.nameLabel = new St.Label({style_class: 'ttlock-lock-name'});
        this.stateLabel = new St.Label({style_class: 'ttlock-lock-state'});
        text.add_child(this.nameLabel);
        text.add_child(this.stateLabel);
        this.add_child(text);
        this.label_actor = this.nameLabel;

        this.batteryLabel = new St.Label({
            style_class: 'ttlock-lock-battery',
            y_align: Clutter.ActorAlign.CENTER,
        });
        this._batteryIcon = new St.Icon({style_class: 'popup-menu-icon'});
        this.add_child(this.batteryLabel);
        this.add_child(this._batteryIcon);

        this.sync();
    }

    sync() {
        const display = Text.displayState(this.lock.state, this.lock.reachable);
        this.displayState = display;
        this.nameLabel.text = this.lock.name;
        this.stateLabel.text = Text.stateText(display);
        this._stateIcon.icon_name = Text.stateIconName(display);

        const battery = this.lock.battery;
        const batteryIcon = Text.batteryIconName(battery);
        this.batteryLabel.text = Text.batteryText(battery);
        this._batteryIcon.visible = batteryIcon !== null;
        if (batteryIcon)
            this._batteryIcon.icon_name = batteryIcon;
    }

    // Not PopupBaseMenuItem's activate(): that closes the whole menu.
    activate(_event) {
        this._onClick(this.lock);
    }

    // A menu above the section may still hold a destroyed row as its active item and set it
    // inactive later (seen with GNOME Shell 43 when rows go and come back under the pointer as
    // ttlockd restarts): a destroyed row ignores that instead of touching freed actors.
    get active() {
        return super.active;
    }

    set active(active) {
        if (!this.destroyed)
            super.active = active;
    }
});

export const DoorLocksToggle = GObject.registerClass(
class DoorLocksToggle extends QuickSettings.QuickMenuToggle {
    constructor() {
        super({
            [TITLE_PROPERTY]: _('Door locks'),
            icon_name: 'changes-prevent-symbolic',
            toggle_mode: false,
        });
        this.name = TOGGLE_NAME;
        this.section = new PopupMenu.PopupMenuSection();
        this.menu.addMenuItem(this.section);
        // The toggle has nothing to switch on or off: a click opens the list.
        this.connect('clicked', () => this.menu.open());
    }
});

// A row under the pointer is the menu's "active" item, and the menu above the section keeps
// its own reference to it (popupMenu.js of GNOME Shell 43, _subMenuActiveChanged): make it
// inactive first, so that no menu touches it after it is destroyed.
function destroyRow(row) {
    row.active = false;
    row.destroy();
}

export const DoorLocksIndicator = GObject.registerClass(
class DoorLocksIndicator extends QuickSettings.SystemIndicator {
    constructor(onClick) {
        super();
        this._onClick = onClick;
        this._rows = new Map(); // object path → LockRow

        // In the top bar only while some lock is unlocked: the reminder that matters.
        this._icon = this._addIndicator();
        this._icon.icon_name = 'changes-allow-symbolic';
        this._icon.visible = false;

        this.toggle = new DoorLocksToggle();
        this.quickSettingsItems.push(this.toggle);
        this._sync();
    }

    addToPanel() {
        const quickSettings = Main.panel.statusArea.quickSettings;
        if (typeof quickSettings.addExternalIndicator === 'function') {
            quickSettings.addExternalIndicator(this);
        } else {
            quickSettings._indicators.insert_child_at_index(this, 0);
            quickSettings._addItems(this.quickSettingsItems);
        }
    }

    destroy() {
        this.quickSettingsItems.forEach(item => item.destroy());
        this.quickSettingsItems = [];
        this._rows.clear();
        super.destroy();
    }

    rowFor(path) {
        return this._rows.get(path) ?? null;
    }

    // Paired locks have a row, sorted by name; pairable ones seen while discovering do not.
    updateLock(lock) {
        let row = this._rows.get(lock.path);
        if (!lock.paired) {
            if (row)
                this.removeLock(lock);
            return;
        }
        if (!row) {
            row = new LockRow(lock, this._onClick);
            this._rows.set(lock.path, row);
        }
        row.sync();
        this._placeRows();
        this._sync();
    }

    removeLock(lock) {
        const row = this._rows.get(lock.path);
        if (!row)
            return;
        this._rows.delete(lock.path);
        destroyRow(row);
        this._sync();
    }

    clear() {
        for (const row of this._rows.values())
            destroyRow(row);
        this._rows.clear();
        this._sync();
    }

    _placeRows() {
        const rows = [...this._rows.values()].sort((a, b) =>
            a.lock.name.localeCompare(b.lock.name) || a.lock.path.localeCompare(b.lock.path));
        rows.forEach((row, index) => {
            if (row.placed) {
                this.toggle.section.moveMenuItem(row, index);
            } else {
                this.toggle.section.addMenuItem(row, index);
                row.placed = true;
            }
        });
    }

    _sync() {
        const rows = [...this._rows.values()];
        const unlocked = rows.filter(r => r.displayState === 'unlocked').map(r => r.lock.name);
        this.toggle.visible = rows.length > 0;
        const icon = unlocked.length > 0 ? 'changes-allow-symbolic' : 'changes-prevent-symbolic';
        const summary = Text.summaryText(unlocked, rows.length);
        this.toggle.icon_name = icon;
        this.toggle.menu.setHeader(icon, _('Door locks'), summary);
        if (SHELL_MAJOR >= 44)
            this.toggle.subtitle = summary || null;
        this._icon.visible = unlocked.length > 0;
    }
});
