// SPDX-License-Identifier: LGPL-2.1-or-later
// Notifications: one message-tray source "Door locks" for the Events the settings choose, low
// batteries, and Lock()/Unlock() calls that failed (always: they answer a click).
//
// MessageTray's constructors changed in GNOME Shell 46 (a parameter object instead of
// positional arguments, addNotification() instead of showNotification()); both are spelled out
// here, chosen by the running Shell's version.

import GLib from 'gi://GLib';
import * as Config from 'resource:///org/gnome/shell/misc/config.js';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as MessageTray from 'resource:///org/gnome/shell/ui/messageTray.js';

import {_} from './i18n.js';
import * as Text from './text.js';

const SHELL_MAJOR = parseInt(Config.PACKAGE_VERSION, 10);
const SOURCE_ICON = 'changes-prevent-symbolic';

export class Notifier {
    constructor(settings) {
        this._settings = settings;
        this._source = null;
        this._batteryLow = new Set(); // object paths of locks already announced as low
    }

    destroy() {
        this._source?.destroy();
        this._source = null;
        this._batteryLow.clear();
    }

    _getSource() {
        if (this._source)
            return this._source;
        const title = _('Door locks');
        this._source = SHELL_MAJOR >= 46
            ? new MessageTray.Source({title, iconName: SOURCE_ICON})
            : new MessageTray.Source(title, SOURCE_ICON);
        // The tray destroys a source whose last notification went away; make a new one then.
        this._source.connect('destroy', () => {
            this._source = null;
        });
        Main.messageTray.add(this._source);
        return this._source;
    }

    show(title, body, urgent = false) {
        const source = this._getSource();
        let notification;
        if (SHELL_MAJOR >= 46) {
            notification = new MessageTray.Notification({source, title, body});
            if (urgent)
                notification.urgency = MessageTray.Urgency.HIGH;
            source.addNotification(notification);
        } else {
            notification = new MessageTray.Notification(source, title, body);
            if (urgent)
                notification.setUrgency(MessageTray.Urgency.HIGH);
            source.showNotification(notification);
        }
        return notification;
    }

    // An Event of a lock: notify if its kind has a message and its setting is on.
    lockEvent(lock, kind, details) {
        const category = Text.eventCategory(kind, details.method);
        if (!category || !this._settings.get_boolean(category))
            return;
        const title = Text.eventMessage(lock.name, kind, details);
        if (!title)
            return;
        this.show(title, eventTime(details['time-usec']), category === 'notify-alerts');
    }

    // Called whenever a lock appears or its Battery changes: announce a low battery once, and
    // again only after it was back above the re-arm level (new batteries).
    lockBattery(lock) {
        const percent = lock.battery;
        if (percent >= Text.BATTERY_REARM_PERCENT) {
            this._batteryLow.delete(lock.path);
            return;
        }
        if (!(percent > 0) || percent >= Text.BATTERY_LOW_PERCENT ||
            this._batteryLow.has(lock.path))
            return;
        this._batteryLow.add(lock.path);
        if (this._settings.get_boolean('notify-battery'))
            this.show(Text.batteryLowMessage(lock.name), Text.batteryLowBody(percent));
    }

    lockRemoved(lock) {
        this._batteryLow.delete(lock.path);
    }

    callFailed(lock, method, message) {
        this.show(Text.callFailedMessage(lock.name, method), message, true);
    }
}

// The Event's time-usec as the local time of day, the notification's body.
function eventTime(usec) {
    if (typeof usec !== 'number' || !(usec > 0))
        return '';
    const time = GLib.DateTime.new_from_unix_local(Math.floor(usec / 1000000));
    return time ? time.format('%X') ?? '' : '';
}
