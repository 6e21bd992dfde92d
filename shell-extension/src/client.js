// SPDX-License-Identifier: LGPL-2.1-or-later
// ttlockd as the extension sees it: a client of the public D-Bus API only (dbus/*.xml), on the
// system bus. One GDBusObjectManagerClient on org.ttlock.Manager's ObjectManager (/org/ttlock)
// follows everything without polling: the daemon appearing, vanishing and restarting (the
// manager watches the name's owner, drops every object when it goes and fetches them again
// when a new owner comes), locks added and removed (InterfacesAdded/Removed), their
// properties (PropertiesChanged, cached by each proxy) and their Event signals.
//
// DO_NOT_AUTO_START: watching must not start ttlockd through D-Bus activation at every login;
// with no daemon (or none installed) there are simply no locks. Like the Shell's own
// Thunderbolt indicator does with boltd.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

export const BUS_NAME = 'org.ttlock.Manager';
export const MANAGER_ROOT = '/org/ttlock';
export const LOCK_INTERFACE = 'org.ttlock.Lock1';

// Lock()/Unlock() wait for the lock's answer (under 20 s, dbus/org.ttlock.Lock1.xml) and, with
// interactive authorization allowed, for a person typing a password in the Shell's polkit
// dialog: allow that the time a person needs.
const CALL_TIMEOUT_MSEC = 120 * 1000;

function cachedValue(proxy, name, fallback) {
    const v = proxy.get_cached_property(name);
    return v ? v.deepUnpack() : fallback;
}

// One paired or pairable lock, a view on its org.ttlock.Lock1 proxy.
export class DoorLock {
    constructor(proxy) {
        this.proxy = proxy;
        this.path = proxy.get_object_path();
    }

    get address() {
        return cachedValue(this.proxy, 'Address', '');
    }

    // Alias is SetAlias()'s name, else the advertised Name; the address when both are empty.
    get name() {
        return cachedValue(this.proxy, 'Alias', '') || cachedValue(this.proxy, 'Name', '') ||
            this.address;
    }

    get paired() {
        return cachedValue(this.proxy, 'Paired', false);
    }

    get state() {
        return cachedValue(this.proxy, 'State', 'unknown');
    }

    get battery() {
        return cachedValue(this.proxy, 'Battery', 0);
    }

    // "Reachable" where the daemon offers it; otherwise a lock never seen since the daemon
    // started (LastSeenUSec 0) counts as out of reach.
    get reachable() {
        const reachable = this.proxy.get_cached_property('Reachable');
        if (reachable)
            return reachable.deepUnpack();
        return cachedValue(this.proxy, 'LastSeenUSec', 0) > 0;
    }

    // Lock() or Unlock(), letting polkit ask the person through the Shell's agent. Resolves
    // when the lock confirmed; rejects with the GLib.Error of the D-Bus error.
    call(method, cancellable = null) {
        return new Promise((resolve, reject) => {
            this.proxy.call(method, null, Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION,
                CALL_TIMEOUT_MSEC, cancellable, (proxy, result) => {
                    try {
                        proxy.call_finish(result);
                        resolve();
                    } catch (e) {
                        reject(e);
                    }
                });
        });
    }
}

// The D-Bus error's own message, without GDBus's "GDBus.Error:org.…: " prefix; the error name
// is kept apart for logs.
export function dbusErrorMessage(error) {
    if (error instanceof GLib.Error && Gio.DBusError.is_remote_error(error)) {
        const name = Gio.DBusError.get_remote_error(error);
        Gio.DBusError.strip_remote_error(error);
        return {name, message: error.message};
    }
    return {name: null, message: error.message ?? String(error)};
}

// Reports to a delegate with the methods
//   lockAdded(lock), lockRemoved(lock), lockChanged(lock, changedNames),
//   lockEvent(lock, kind, details)    details: the a{sv} as plain values
//   daemonChanged(running)
export class LockClient {
    constructor(delegate) {
        this._delegate = delegate;
        this._locks = new Map(); // object path → DoorLock
        this._manager = null;
        this._signals = [];
        this._cancellable = null;
    }

    get locks() {
        return [...this._locks.values()];
    }

    get running() {
        return this._manager?.name_owner != null;
    }

    start() {
        const cancellable = new Gio.Cancellable();
        this._cancellable = cancellable;
        const manager = new Gio.DBusObjectManagerClient({
            bus_type: Gio.BusType.SYSTEM,
            flags: Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START,
            name: BUS_NAME,
            object_path: MANAGER_ROOT,
        });
        manager.init_async(GLib.PRIORITY_DEFAULT, cancellable, (m, result) => {
            try {
                m.init_finish(result);
                // Stopped while the answer was on its way: the result is someone else's now.
                if (cancellable.is_cancelled())
                    return;
            } catch (e) {
                // No system bus at all: nothing to show, and nothing else to do.
                if (!e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                    console.warn(`Door locks: cannot watch ${BUS_NAME}: ${e.message}`);
                return;
            }
            this._manager = m;
            this._connect(m, 'notify::name-owner', () => this._delegate.daemonChanged(this.running));
            this._connect(m, 'object-added', (_m, object) => this._objectAdded(object));
            this._connect(m, 'object-removed', (_m, object) => this._objectRemoved(object));
            this._connect(m, 'interface-added', (_m, object) => this._objectAdded(object));
            this._connect(m, 'interface-removed', (_m, object, iface) => {
                if (iface.get_interface_name() === LOCK_INTERFACE)
                    this._objectRemoved(object);
            });
            this._connect(m, 'interface-proxy-properties-changed',
                (_m, _object, proxy, changed, invalidated) =>
                    this._propertiesChanged(proxy, changed, invalidated));
            this._connect(m, 'interface-proxy-signal',
                (_m, _object, proxy, _sender, signal, parameters) =>
                    this._signal(proxy, signal, parameters));
            for (const object of m.get_objects())
                this._objectAdded(object);
            this._delegate.daemonChanged(this.running);
        });
    }

    stop() {
        this._cancellable?.cancel();
        this._cancellable = null;
        for (const [object, id] of this._signals)
            object.disconnect(id);
        this._signals = [];
        this._manager = null;
        this._locks.clear();
    }

    _connect(object, signal, callback) {
        this._signals.push([object, object.connect(signal, callback)]);
    }

    _objectAdded(object) {
        const proxy = object.get_interface(LOCK_INTERFACE);
        if (!proxy)
            return;
        const path = object.get_object_path();
        if (this._locks.has(path))
            return;
        const lock = new DoorLock(proxy);
        this._locks.set(path, lock);
        this._delegate.lockAdded(lock);
    }

    _objectRemoved(object) {
        const path = object.get_object_path();
        const lock = this._locks.get(path);
        if (!lock)
            return;
        this._locks.delete(path);
        this._delegate.lockRemoved(lock);
    }

    _propertiesChanged(proxy, changed, invalidated) {
        if (proxy.get_interface_name() !== LOCK_INTERFACE)
            return;
        const lock = this._locks.get(proxy.get_object_path());
        if (!lock)
            return;
        const names = Object.keys(changed.deepUnpack()).concat(invalidated);
        this._delegate.lockChanged(lock, names);
    }

    _signal(proxy, signal, parameters) {
        if (proxy.get_interface_name() !== LOCK_INTERFACE || signal !== 'Event')
            return;
        const lock = this._locks.get(proxy.get_object_path());
        if (!lock || parameters.get_type_string() !== '(sa{sv})')
            return;
        const [kind, details] = parameters.recursiveUnpack();
        this._delegate.lockEvent(lock, kind, details);
    }
}
