// SPDX-License-Identifier: LGPL-2.1-or-later
// What the extension shows and says about a lock: state icon and text, battery icon, the
// sentence for an Event and which notification setting it falls under. Plain functions of
// plain values (no Shell, no D-Bus), so that tests/desktop/test-extension-text.js runs them in
// gjs alone. The words follow org.ttlock.Lock1 (dbus/org.ttlock.Lock1.xml): State values,
// Event kinds and the "method" detail.

import {_, fmt, ngettext} from './i18n.js';

// Below this many percent a lock's battery counts as low (and notifies once).
export const BATTERY_LOW_PERCENT = 20;
// ... and it counts as replaced once it is back at this level, so that a battery reading that
// wobbles around the threshold does not notify again and again.
export const BATTERY_REARM_PERCENT = 25;

// The row's state: one of the Lock1 State values, or "unreachable" when the daemon has not
// seen the lock (Reachable false where the daemon offers it, else LastSeenUSec still 0).
export function displayState(state, reachable) {
    if (!reachable)
        return 'unreachable';
    switch (state) {
    case 'locked':
    case 'unlocked':
    case 'locking':
    case 'unlocking':
    case 'jammed':
        return state;
    default:
        return 'unknown';
    }
}

export function stateIconName(display) {
    switch (display) {
    case 'locked':
        return 'changes-prevent-symbolic';
    case 'unlocked':
        return 'changes-allow-symbolic';
    case 'locking':
    case 'unlocking':
        return 'content-loading-symbolic';
    case 'jammed':
        return 'dialog-warning-symbolic';
    case 'unreachable':
        return 'bluetooth-disconnected-symbolic';
    default:
        return 'dialog-question-symbolic';
    }
}

export function stateText(display) {
    switch (display) {
    case 'locked':
        return _('Locked');
    case 'unlocked':
        return _('Unlocked');
    case 'locking':
        return _('Locking…');
    case 'unlocking':
        return _('Unlocking…');
    case 'jammed':
        return _('Jammed');
    case 'unreachable':
        return _('Out of reach');
    default:
        return _('Unknown');
    }
}

// Lock1.Battery is 0 until the daemon knows it: no battery shown then.
export function batteryIconName(percent) {
    if (!(percent > 0))
        return null;
    const level = Math.min(100, Math.max(0, Math.round(percent / 10) * 10));
    return `battery-level-${level}-symbolic`;
}

export function batteryText(percent) {
    if (!(percent > 0))
        return '';
    /* Translators: a lock's battery level, e.g. "90 %" */
    return fmt(_('%d %%'), percent);
}

// What a click on the row does: a locked lock is unlocked, anything else is locked, the safe
// direction when the state is unknown or the bolt is jammed.
export function clickAction(state) {
    return state === 'locked' ? 'Unlock' : 'Lock';
}

// The setting (org.gnome.shell.extensions.ttlock) that decides whether an Event notifies, or
// null for kinds the extension does not announce. Locking and unlocking through ttlockd
// ("app", "remote") have their own setting: the person who did it usually knows.
export function eventCategory(kind, method) {
    switch (kind) {
    case 'unlocked':
    case 'locked':
        if (method === 'app' || method === 'remote')
            return 'notify-remote';
        return kind === 'unlocked' ? 'notify-unlocked' : 'notify-locked';
    case 'unlock-failed':
        return 'notify-failed';
    case 'jammed':
    case 'door-left-open':
        return 'notify-alerts';
    case 'door-opened':
    case 'door-closed':
        return 'notify-door';
    default:
        return null;
    }
}

// The credential's name for a sentence: the alias given to it, else what the daemon says it
// is (a card number, a fingerprint id; for a passcode only ever its alias).
function credentialName(details) {
    if (details.alias)
        return details.alias;
    if (details.credential)
        return details.credential;
    return null;
}

function unlockedMessage(lock, method, who) {
    switch (method) {
    case 'passcode':
        return who ? fmt(_('%s unlocked with passcode %s'), lock, who)
            : fmt(_('%s unlocked with a passcode'), lock);
    case 'ic-card':
        return who ? fmt(_('%s unlocked with card %s'), lock, who)
            : fmt(_('%s unlocked with a card'), lock);
    case 'fingerprint':
        return who ? fmt(_('%s unlocked by fingerprint %s'), lock, who)
            : fmt(_('%s unlocked by a fingerprint'), lock);
    case 'mechanical-key':
        return fmt(_('%s unlocked with the key'), lock);
    case 'app':
        return fmt(_('%s unlocked over Bluetooth'), lock);
    case 'remote':
    case 'key-fob':
        return fmt(_('%s unlocked with a remote control'), lock);
    case 'bracelet':
        return fmt(_('%s unlocked with a bracelet'), lock);
    case 'wireless-keypad':
        return fmt(_('%s unlocked at the wireless keypad'), lock);
    default:
        return fmt(_('%s unlocked'), lock);
    }
}

function lockedMessage(lock, method) {
    switch (method) {
    case 'auto-lock':
        return fmt(_('%s locked itself'), lock);
    case 'mechanical-key':
        return fmt(_('%s locked with the key'), lock);
    case 'app':
        return fmt(_('%s locked over Bluetooth'), lock);
    case 'remote':
    case 'key-fob':
        return fmt(_('%s locked with a remote control'), lock);
    default:
        return fmt(_('%s locked'), lock);
    }
}

function failedMessage(lock, method, who) {
    switch (method) {
    case 'passcode':
        return fmt(_('%s: unlocking with a passcode failed'), lock);
    case 'ic-card':
        return who ? fmt(_('%s: unlocking with card %s failed'), lock, who)
            : fmt(_('%s: unlocking with a card failed'), lock);
    case 'fingerprint':
        return fmt(_('%s: unlocking by fingerprint failed'), lock);
    default:
        return fmt(_('%s: unlocking failed'), lock);
    }
}

// The notification's sentence for Event(kind, details) of the lock named `lock`; details are
// the a{sv} unpacked to plain values. null for kinds that are not announced.
export function eventMessage(lock, kind, details) {
    const method = typeof details.method === 'string' ? details.method : 'unknown';
    const who = credentialName(details);

    switch (kind) {
    case 'unlocked':
        return unlockedMessage(lock, method, who);
    case 'locked':
        return lockedMessage(lock, method);
    case 'unlock-failed':
        return failedMessage(lock, method, who);
    case 'jammed':
        return fmt(_('%s is jammed'), lock);
    case 'door-opened':
        return fmt(_('%s: the door was opened'), lock);
    case 'door-closed':
        return fmt(_('%s: the door was closed'), lock);
    case 'door-left-open':
        return fmt(_('%s: the door was left open'), lock);
    default:
        return null;
    }
}

export function batteryLowMessage(lock) {
    return fmt(_('%s: battery low'), lock);
}

export function batteryLowBody(percent) {
    return fmt(_('%d %% left. Replace the batteries soon.'), percent);
}

// The title of the notification for a Lock()/Unlock() call that failed.
export function callFailedMessage(lock, method) {
    return method === 'Unlock' ? fmt(_('Could not unlock %s'), lock)
        : fmt(_('Could not lock %s'), lock);
}

// The toggle's subtitle (GNOME Shell 44 and later show one).
export function summaryText(unlockedNames, total) {
    if (total === 0)
        return '';
    if (unlockedNames.length === 0)
        return _('All locked');
    if (unlockedNames.length === 1)
        return fmt(_('%s unlocked'), unlockedNames[0]);
    return fmt(ngettext('%d lock unlocked', '%d locks unlocked', unlockedNames.length),
        unlockedNames.length);
}
