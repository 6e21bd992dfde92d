// SPDX-License-Identifier: LGPL-2.1-or-later
// A battery provider as BlueZ 5.66's doc/battery-api.txt describes one, for test-upower.sh: an
// ObjectManager at /org/ttlock/test/battery with one org.bluez.BatteryProvider1 object for DEVICE,
// registered with org.bluez.BatteryProviderManager1 on /org/bluez/hci0. Each line read from
// standard input is a new Percentage; end of input ends the provider (and so its battery).
//
//   gjs battery-provider.js DEVICE_PATH PERCENTAGE < commands
//
// It stands in for ttlockd until ttlockd registers its locks itself (then the test drives the
// percentage through ttlock-sim's Sim1.SetBattery instead).

const {Gio, GLib} = imports.gi;

const ROOT = '/org/ttlock/test/battery';
const XML = `<node>
  <interface name="org.bluez.BatteryProvider1">
    <property name="Device" type="o" access="read"/>
    <property name="Percentage" type="y" access="read"/>
    <property name="Source" type="s" access="read"/>
  </interface>
</node>`;

const [device, initial] = ARGV;
let percentage = Number(initial);

const bus = Gio.DBus.system;
const server = new Gio.DBusObjectManagerServer({object_path: ROOT});
const object = new Gio.DBusObjectSkeleton({g_object_path: `${ROOT}/lock0`});
const battery = Gio.DBusExportedObject.wrapJSObject(XML, {
    get Device() {
        return device;
    },
    get Percentage() {
        return percentage;
    },
    get Source() {
        return 'ttlock-test';
    },
});
object.add_interface(battery);
server.export(object);
server.set_connection(bus);
bus.call_sync('org.bluez', '/org/bluez/hci0', 'org.bluez.BatteryProviderManager1',
    'RegisterBatteryProvider', new GLib.Variant('(o)', [ROOT]), null, Gio.DBusCallFlags.NONE, -1, null);
print('registered');

const loop = new GLib.MainLoop(null, false);
const input = new Gio.DataInputStream({
    base_stream: new Gio.UnixInputStream({fd: 0, close_fd: false}),
});
function readLine() {
    input.read_line_async(GLib.PRIORITY_DEFAULT, null, (stream, result) => {
        const [line] = stream.read_line_finish_utf8(result);
        if (line === null) {
            loop.quit();
            return;
        }
        percentage = Number(line);
        battery.emit_property_changed('Percentage', new GLib.Variant('y', percentage));
        print(`percentage ${percentage}`);
        readLine();
    });
}
readLine();
loop.run();
