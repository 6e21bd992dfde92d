/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fake BlueZ 5.66: what a client of org.bluez sees (adapter-api.txt, device-api.txt,
 * gatt-api.txt of BlueZ 5.66, the version Debian 12 ships). */

#include "sim.h"

#define BLUEZ_ERROR_FAILED "org.bluez.Error.Failed"
#define BLUEZ_ERROR_IN_PROGRESS "org.bluez.Error.InProgress"
#define BLUEZ_ERROR_NOT_CONNECTED "org.bluez.Error.NotConnected"
#define BLUEZ_ERROR_NOT_READY "org.bluez.Error.NotReady"
#define BLUEZ_ERROR_NOT_SUPPORTED "org.bluez.Error.NotSupported"
#define BLUEZ_ERROR_NOT_PERMITTED "org.bluez.Error.NotPermitted"
#define BLUEZ_ERROR_INVALID_ARGUMENTS "org.bluez.Error.InvalidArguments"
#define BLUEZ_ERROR_INVALID_OFFSET "org.bluez.Error.InvalidOffset"
#define BLUEZ_ERROR_DOES_NOT_EXIST "org.bluez.Error.DoesNotExist"

/* GATT objects of a lock, in BlueZ's naming (service/char + declaration handle, doc/protocol.md §1.1:
 * [FD] puts the 0xFFF4 value at 0x000E with its CCCD at 0x000F, 0xFFF2's value at 0x0011). */
typedef enum BluezGattObject {
        GATT_SERVICE_TTLOCK,
        GATT_CHAR_NOTIFY, /* 0xFFF4 */
        GATT_CHAR_WRITE,  /* 0xFFF2 */
        GATT_SERVICE_DEVINFO,
        GATT_CHAR_MANUFACTURER, /* 0x2A29 */
        GATT_CHAR_MODEL,        /* 0x2A24 */
        GATT_CHAR_HARDWARE,     /* 0x2A27 */
        GATT_CHAR_FIRMWARE,     /* 0x2A26 */
        _GATT_OBJECT_MAX,
        _GATT_OBJECT_INVALID = -EINVAL,
} BluezGattObject;

/* bluez-adapter.c */
int bluez_adapter_register(Sim *s);
void bluez_adapter_free(Sim *s);
/* Discovery saw the lock's advertisement (called by the advert tick). */
void bluez_adapter_refresh_lock(Sim *s, SimLock *l);

/* bluez-device.c */
int bluez_device_register(Sim *s);
void bluez_device_path(const uint8_t address[6], char out[SIM_DEVICE_PATH_MAX]);
/* Parses …/dev_XX_XX_XX_XX_XX_XX[/serviceNNNN[/charNNNN]]; *ret_object = -1 for the device itself. */
SimLock *bluez_lookup_path(Sim *s, const char *path, int *ret_object);
void bluez_device_show(SimLock *l);                        /* InterfacesAdded(Device1) */
void bluez_device_hide(SimLock *l);                        /* InterfacesRemoved (device and GATT objects) */
void bluez_device_disconnect(SimLock *l, const char *why); /* link lost / dropped by the lock */
void bluez_device_emit(SimLock *l, const char *property);
/* RSSI appears (PropertiesChanged with its value) when discovery sees the lock and disappears
 * (PropertiesChanged listing it as invalidated) when discovery stops, as BlueZ 5.66 does it. */
void bluez_device_set_rssi_known(SimLock *l, bool known);
/* Manufacturer data (key 773 first two bytes) as the current advertisement. */
size_t bluez_device_advert(SimLock *l, uint8_t *out, size_t size);

/* bluez-gatt.c */
int bluez_gatt_register(Sim *s);
const char *bluez_gatt_suffix(BluezGattObject o);
void bluez_gatt_show(SimLock *l);
void bluez_gatt_hide(SimLock *l);
/* One ≤ 20-byte notification on 0xFFF4 (only when a client enabled notifications). */
void bluez_gatt_notify(SimLock *l, const uint8_t *data, size_t len);
void bluez_gatt_reset(SimLock *l); /* notifications off after a disconnect */
