// SPDX-License-Identifier: LGPL-2.1-or-later
// The "Door locks" extension: ttlockd's locks in Quick Settings, notifications for what happens
// at them. Wires the D-Bus client (client.js) to the menu (menu.js) and the notifications
// (notifier.js). Everything is created in enable() and gone after disable(), as the Shell's
// extension rules ask (gjs.guide, "Anatomy of an Extension").

//#if esm
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
//#endif

import {LockClient, dbusErrorMessage} from './client.js';
import {bindTextDomain} from './i18n.js';
import {DoorLocksIndicator} from './menu.js';
import {Notifier} from './notifier.js';
import {loadSettings} from './settings.js';
import {clickAction} from './text.js';

//#if legacy
// GNOME Shell 43 and 44 call init() with the extension's object and then enable()/disable()
// on what it returns; this stands in for the Extension class that 45 added.
class Extension {
    constructor(extension) {
        this.metadata = extension.metadata;
        this.uuid = extension.uuid;
        this.dir = extension.dir;
        this.path = extension.path;
    }
}

function init(extension) {
    return new DoorLocksExtension(extension);
}
//#endif

export default class DoorLocksExtension extends Extension {
    enable() {
        bindTextDomain(this.dir);
        this._settings = loadSettings(this.dir);
        this._notifier = new Notifier(this._settings);
        this._pending = new Set(); // object paths with a Lock()/Unlock() call in flight
        this._indicator = new DoorLocksIndicator(lock => this._onRowClicked(lock));
        this._indicator.addToPanel();
        this._client = new LockClient({
            daemonChanged: running => {
                if (!running)
                    this._indicator.clear();
            },
            lockAdded: lock => {
                this._indicator.updateLock(lock);
                if (lock.paired)
                    this._notifier.lockBattery(lock);
            },
            lockRemoved: lock => {
                this._indicator.removeLock(lock);
                this._notifier.lockRemoved(lock);
            },
            lockChanged: (lock, names) => {
                this._indicator.updateLock(lock);
                if (lock.paired && (names.includes('Battery') || names.includes('Paired')))
                    this._notifier.lockBattery(lock);
            },
            lockEvent: (lock, kind, details) => {
                if (lock.paired)
                    this._notifier.lockEvent(lock, kind, details);
            },
        });
        this._client.start();
    }

    disable() {
        this._client.stop();
        this._client = null;
        this._indicator.destroy();
        this._indicator = null;
        this._notifier.destroy();
        this._notifier = null;
        this._pending = null;
        this._settings = null;
    }

    // Lock or unlock, once at a time per lock; the row follows State as the daemon signals it,
    // a failure becomes a notification with the daemon's message.
    async _onRowClicked(lock) {
        if (this._pending.has(lock.path))
            return;
        const method = clickAction(lock.state);
        const pending = this._pending;
        const notifier = this._notifier;
        pending.add(lock.path);
        try {
            await lock.call(method);
        } catch (e) {
            const {name, message} = dbusErrorMessage(e);
            console.warn(`Door locks: ${method}() on ${lock.path} failed: ${name ?? ''} ${message}`);
            // The extension may have been disabled while the call ran.
            if (notifier === this._notifier)
                notifier.callFailed(lock, method, message);
        } finally {
            pending.delete(lock.path);
        }
    }
}
