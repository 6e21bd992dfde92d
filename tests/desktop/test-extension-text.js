// SPDX-License-Identifier: LGPL-2.1-or-later
// What the extension says, from the built ES-module variant's text.js run in plain gjs (it needs
// no Shell): the state words and icons, the sentence for each Event the daemon can send
// (dbus/org.ttlock.Lock1.xml), which setting governs it, and the same in German through the
// project's translations (po/de.po, compiled in the build tree).
//
//   gjs -m test-extension-text.js ESM_DIR BUILD_PO_DIR

import GLib from 'gi://GLib';
import Gettext from 'gettext';
import System from 'system';

const [esmDir, poDir] = ARGV;
let passed = 0;
let failed = 0;

function eq(actual, expected, what) {
    if (actual === expected) {
        passed++;
    } else {
        failed++;
        printerr(`FAIL: ${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
}

const Text = await import(`file://${esmDir}/text.js`);
const {fmt} = await import(`file://${esmDir}/i18n.js`);
// The build tree's translations (po/de/LC_MESSAGES/ttlockd.mo), not an installed copy.
Gettext.bindtextdomain('ttlockd', poDir);

// fmt: placeholders in order, reordered ones, a literal percent sign.
eq(fmt('%s and %s', 'a', 'b'), 'a and b', 'fmt in order');
eq(fmt('%2$s before %1$s', 'a', 'b'), 'b before a', 'fmt reordered');
eq(fmt('%d %%', 90), '90 %', 'fmt percent');
eq(fmt('%s', '%s'), '%s', 'fmt does not expand its arguments');

// States: the row's word and symbolic icon; not seen = out of reach whatever State says.
const states = [
    ['locked', true, 'locked', 'Locked', 'changes-prevent-symbolic'],
    ['unlocked', true, 'unlocked', 'Unlocked', 'changes-allow-symbolic'],
    ['locking', true, 'locking', 'Locking…', 'content-loading-symbolic'],
    ['unlocking', true, 'unlocking', 'Unlocking…', 'content-loading-symbolic'],
    ['jammed', true, 'jammed', 'Jammed', 'dialog-warning-symbolic'],
    ['unknown', true, 'unknown', 'Unknown', 'dialog-question-symbolic'],
    ['sideways', true, 'unknown', 'Unknown', 'dialog-question-symbolic'],
    ['locked', false, 'unreachable', 'Out of reach', 'bluetooth-disconnected-symbolic'],
];
for (const [state, reachable, display, text, icon] of states) {
    const d = Text.displayState(state, reachable);
    eq(d, display, `displayState(${state}, ${reachable})`);
    eq(Text.stateText(d), text, `stateText(${d})`);
    eq(Text.stateIconName(d), icon, `stateIconName(${d})`);
    eq(icon.endsWith('-symbolic'), true, `${icon} is symbolic`);
}

// Battery: unknown (0) shows nothing; levels round to the theme's tens.
eq(Text.batteryIconName(0), null, 'no battery icon while unknown');
eq(Text.batteryText(0), '', 'no battery text while unknown');
eq(Text.batteryIconName(90), 'battery-level-90-symbolic', 'battery icon 90');
eq(Text.batteryIconName(15), 'battery-level-20-symbolic', 'battery icon 15');
eq(Text.batteryIconName(4), 'battery-level-0-symbolic', 'battery icon 4');
eq(Text.batteryIconName(100), 'battery-level-100-symbolic', 'battery icon 100');
eq(Text.batteryText(90), '90 %', 'battery text');

// A click unlocks a locked lock and locks anything else.
eq(Text.clickAction('locked'), 'Unlock', 'click on locked');
for (const s of ['unlocked', 'jammed', 'unknown', 'locking', 'unlocking'])
    eq(Text.clickAction(s), 'Lock', `click on ${s}`);

// Events: sentence and setting.
const L = 'Front door';
const events = [
    ['unlocked', {method: 'passcode', credential: 'Postman', alias: 'Postman'},
        'Front door unlocked with passcode Postman', 'notify-unlocked'],
    ['unlocked', {method: 'passcode'}, 'Front door unlocked with a passcode', 'notify-unlocked'],
    ['unlocked', {method: 'fingerprint', credential: '3'}, 'Front door unlocked by fingerprint 3',
        'notify-unlocked'],
    ['unlocked', {method: 'fingerprint', credential: '3', alias: 'Anna'},
        'Front door unlocked by fingerprint Anna', 'notify-unlocked'],
    ['unlocked', {method: 'ic-card', credential: '12345678'}, 'Front door unlocked with card 12345678',
        'notify-unlocked'],
    ['unlocked', {method: 'mechanical-key'}, 'Front door unlocked with the key', 'notify-unlocked'],
    ['unlocked', {method: 'app'}, 'Front door unlocked over Bluetooth', 'notify-remote'],
    ['unlocked', {method: 'remote'}, 'Front door unlocked with a remote control', 'notify-remote'],
    ['unlocked', {}, 'Front door unlocked', 'notify-unlocked'],
    ['locked', {method: 'auto-lock'}, 'Front door locked itself', 'notify-locked'],
    ['locked', {method: 'mechanical-key'}, 'Front door locked with the key', 'notify-locked'],
    ['locked', {method: 'app'}, 'Front door locked over Bluetooth', 'notify-remote'],
    ['unlock-failed', {method: 'passcode'}, 'Front door: unlocking with a passcode failed', 'notify-failed'],
    ['unlock-failed', {method: 'ic-card', credential: '99'}, 'Front door: unlocking with card 99 failed',
        'notify-failed'],
    ['unlock-failed', {}, 'Front door: unlocking failed', 'notify-failed'],
    ['jammed', {}, 'Front door is jammed', 'notify-alerts'],
    ['door-left-open', {}, 'Front door: the door was left open', 'notify-alerts'],
    ['door-opened', {}, 'Front door: the door was opened', 'notify-door'],
    ['door-closed', {}, 'Front door: the door was closed', 'notify-door'],
    ['other', {method: 'app'}, null, null],
];
for (const [kind, details, message, category] of events) {
    const what = `${kind} ${JSON.stringify(details)}`;
    eq(Text.eventMessage(L, kind, details), message, `eventMessage ${what}`);
    eq(Text.eventCategory(kind, details.method), category, `eventCategory ${what}`);
}
// A detail of the wrong type (a{sv} from an unknown daemon) reads as an unknown method.
eq(Text.eventMessage(L, 'unlocked', {method: 42}), 'Front door unlocked', 'non-string method');

eq(Text.batteryLowMessage(L), 'Front door: battery low', 'battery low title');
eq(Text.batteryLowBody(15), '15 % left. Replace the batteries soon.', 'battery low body');
eq(Text.callFailedMessage(L, 'Unlock'), 'Could not unlock Front door', 'unlock failed title');
eq(Text.callFailedMessage(L, 'Lock'), 'Could not lock Front door', 'lock failed title');
eq(Text.summaryText([], 2), 'All locked', 'summary all locked');
eq(Text.summaryText(['Shed'], 2), 'Shed unlocked', 'summary one unlocked');
eq(Text.summaryText(['Shed', 'Front door'], 2), '2 locks unlocked', 'summary two unlocked');
eq(Text.summaryText([], 0), '', 'summary without locks');

// German, through po/de.po: the placeholders survive translation.
setLanguage('de');
eq(Text.stateText('locked'), 'Verriegelt', 'de: Locked');
eq(Text.eventMessage(L, 'unlocked', {method: 'passcode', credential: 'Postman'}),
    'Front door mit Code Postman entriegelt', 'de: unlocked with passcode');
eq(Text.eventMessage(L, 'unlocked', {method: 'mechanical-key'}),
    'Front door mit dem Schlüssel entriegelt', 'de: unlocked with the key');
eq(Text.batteryText(90), '90 %', 'de: battery text');
eq(Text.summaryText(['a', 'b', 'c'], 3), '3 Schlösser entriegelt', 'de: plural');

// French, through po/fr.po.
setLanguage('fr');
eq(Text.stateText('unlocked'), 'Déverrouillée', 'fr: Unlocked');
eq(Text.eventMessage(L, 'unlocked', {method: 'fingerprint', credential: '3'}),
    'Front door déverrouillée par l’empreinte 3', 'fr: unlocked by fingerprint');

// gettext follows LANGUAGE when the locale is not plain "C": the test runs under C.UTF-8
// (tests/desktop/meson.build). setlocale() again makes glibc forget what it looked up before.
function setLanguage(language) {
    GLib.setenv('LANGUAGE', language, true);
    Gettext.setlocale(Gettext.LocaleCategory.ALL, '');
}

print(`${passed} passed, ${failed} failed`);
System.exit(failed === 0 ? 0 : 1);
