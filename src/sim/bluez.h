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
#define BLUEZ_ERROR_ALREADY_EXISTS "org.bluez.Error.AlreadyExists"

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

/* bluez-adapter.c: n adapters hci0 … hci<n-1> */
int bluez_adapter_register(Sim *s, unsigned n);
void bluez_adapter_free(Sim *s);
/* The adapter of a path under /org/bluez (the adapter itself or anything below it), or NULL. */
SimAdapter *bluez_adapter_of_path(Sim *s, const char *path);
/* Discovery on a saw the lock's advertisement (called by the advert tick). */
void bluez_adapter_refresh_lock(SimAdapter *a, SimLock *l);

/* bluez-device.c */
int bluez_device_register(Sim *s);
void bluez_device_path(unsigned adapter, const uint8_t address[6], char out[SIM_DEVICE_PATH_MAX]);
/* Parses /org/bluez/hciN/dev_XX_XX_XX_XX_XX_XX[/serviceNNNN[/charNNNN]]; *ret_object = -1 for the
 * device itself. */
SimLock *bluez_lookup_path(Sim *s, const char *path, SimAdapter **ret_adapter, int *ret_object);
void bluez_device_show(SimLock *l, SimAdapter *a);         /* InterfacesAdded(Device1) */
void bluez_device_hide(SimLock *l, SimAdapter *a);         /* InterfacesRemoved (device and GATT) */
void bluez_device_disconnect(SimLock *l, const char *why); /* the BlueZ link lost / dropped */
void bluez_device_emit(SimLock *l, SimAdapter *a, const char *property);
/* RSSI appears (PropertiesChanged with its value) when discovery sees the lock and disappears
 * (PropertiesChanged listing it as invalidated) when discovery stops, as BlueZ 5.66 does it. */
void bluez_device_set_rssi_known(SimLock *l, SimAdapter *a, bool known);
/* Manufacturer data (key 773 first two bytes) as the current advertisement. */
size_t bluez_device_advert(SimLock *l, uint8_t *out, size_t size);
/* Does this adapter hold the lock's link? */
bool bluez_device_linked(const SimLock *l, const SimAdapter *a);

/* bluez-gatt.c */
int bluez_gatt_register(Sim *s);
const char *bluez_gatt_suffix(BluezGattObject o);
void bluez_gatt_show(SimLock *l, SimAdapter *a);
void bluez_gatt_hide(SimLock *l, SimAdapter *a);
/* One ≤ 20-byte notification on 0xFFF4 of the link's adapter (only when a client enabled them). */
void bluez_gatt_notify(SimLock *l, const uint8_t *data, size_t len);
void bluez_gatt_reset(SimLock *l); /* notifications off after a disconnect */

/* bluez-battery.c */
int bluez_battery_register(Sim *s);
void bluez_battery_free(Sim *s);
/* A bus client left: its battery providers go, and with them the batteries they provided. */
void bluez_battery_client_gone(Sim *s, const char *name);
