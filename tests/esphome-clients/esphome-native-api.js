// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ttlock-sim's fake ESPHome Bluetooth proxy seen by a well-known third-party client, the npm package
// @2colors/esphome-native-api: the connection set-up it runs (Hello, and AuthenticationRequest for
// API < 1.12), device info with the Bluetooth proxy feature flags, the raw advertisement subscription
// until the simulated lock shows up, a BLE connection to it, its GATT services, and a read of its
// Device Information. Usage: node esphome-native-api.js MODULE_DIR PORT LOCK_MAC [BASE64_PSK]
'use strict';

const path = require('path');
const [moduleDir, portText, lockMac, psk] = process.argv.slice(2);
const { Connection } = require(path.join(moduleDir, 'node_modules', '@2colors', 'esphome-native-api'));

const port = Number(portText);
const lockAddress = parseInt(lockMac.replace(/:/g, ''), 16);
const mode = psk ? 'Noise' : 'plaintext';
const deadline = setTimeout(() => fail('no result within 30 s'), 30000);

function fail(why) {
    console.error(`FAIL (${mode}): ${why}`);
    process.exit(1);
}

function check(cond, why) {
    if (!cond)
        fail(why);
}

// A GATT item's UUID as a 128-bit string: the client turns the two 64-bit halves into one; the short
// form (proxies send it to clients that announce API 1.12 or later) is put on the Bluetooth base.
const BASE = '-0000-1000-8000-00805f9b34fb';
const full = (short) => short.toString(16).padStart(8, '0') + BASE;

function uuidOf(item) {
    if (item.shortUuid)
        return full(item.shortUuid);
    check(typeof item.uuid === 'string' && item.uuid.length === 36, `no UUID in ${JSON.stringify(item)}`);
    return item.uuid;
}

const connection = new Connection({
    host: '127.0.0.1',
    port,
    encryptionKey: psk || '',
    reconnect: false,
    clientInfo: 'ttlockd interop test',
});

connection.on('error', (e) => fail(`client error: ${e.message}`));

connection.once('authorized', async () => {
    try {
        const info = await connection.deviceInfoService();
        console.log(`${mode}: device info: name=${info.name} esphomeVersion=${info.esphomeVersion} ` +
                    `flags=0x${info.bluetoothProxyFeatureFlags.toString(16)}`);
        check((info.bluetoothProxyFeatureFlags & 0x23) === 0x23,
              'passive scan, active connections and raw advertisements expected in the feature flags');
        check(info.apiEncryptionSupported === !!psk, 'apiEncryptionSupported does not match');

        const seen = new Promise((resolve) => {
            connection.on('message.BluetoothLEAdvertisementResponse', (adv) => {
                if (adv.address === lockAddress)
                    resolve(adv);
            });
        });
        connection.subscribeBluetoothAdvertisementService();
        const adv = await seen;
        console.log(`${mode}: advertisement of ${lockMac}: name ${adv.name}, rssi ${adv.rssi}, ` +
                    `services ${adv.serviceUuidsList.join(' ')}`);
        check(adv.rssi < 0, 'an RSSI below 0 dBm expected');
        check(adv.serviceUuidsList.includes(full(0x1910)), 'the advertisement lists service 0x1910');
        check(/^S202F_/.test(adv.name), 'the advertisement carries the lock\'s name');
        // TTLock's manufacturer data: BlueZ's company key 0x0305 for V3 (doc/protocol.md §1.5, §6).
        check(adv.manufacturerDataList.length === 1 && adv.manufacturerDataList[0].uuid === full(0x0305),
              'the manufacturer data of a V3 lock');

        const conn = await connection.connectBluetoothDeviceService(lockAddress);
        check(conn.connected, `connection failed with error ${conn.error}`);
        console.log(`${mode}: connected, mtu ${conn.mtu}`);

        const { servicesList } = await connection.listBluetoothGATTServicesService(lockAddress);
        const uuids = servicesList.map(uuidOf);
        console.log(`${mode}: services ${uuids.join(' ')}`);
        const ttlock = servicesList.find((s) => uuidOf(s) === full(0x1910));
        check(ttlock, 'no TTLock service 0x1910');
        const chars = ttlock.characteristicsList.map(uuidOf);
        check(chars.includes(full(0xfff2)) && chars.includes(full(0xfff4)), 'no 0xFFF2/0xFFF4 characteristics');

        const devinfo = servicesList.find((s) => uuidOf(s) === full(0x180a));
        check(devinfo, 'no Device Information service');
        const manufacturer = devinfo.characteristicsList.find((c) => uuidOf(c) === full(0x2a29));
        const read = await connection.readBluetoothGATTCharacteristicService(lockAddress, manufacturer.handle);
        const text = Buffer.from(read.data, 'base64').toString();
        console.log(`${mode}: manufacturer name "${text}"`);
        check(text === 'TTLock', 'the manufacturer characteristic reads "TTLock"');

        const gone = await connection.disconnectBluetoothDeviceService(lockAddress);
        check(!gone.connected, 'still connected after the disconnect request');
        await connection.disconnectService();
        clearTimeout(deadline);
        console.log(`${mode}: 1 passed, 0 failed`);
        process.exit(0);
    } catch (e) {
        fail(e.stack || e.message);
    }
});

connection.connect();
