/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-getter.h"
#include "bus-lock.h"
#include "bus-radio.h"
#include "feature-bits.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

/* ---- properties: one getter each --------------------------------------------------------------- */

#define LOCK_OF(userdata) (((BusLock *) (userdata))->lock)

static const char *record_string(const Lock *l, size_t offset) {
        return l->record ? strempty_or(*(char **) ((const char *) l->record + offset)) : "";
}

BUS_GETTER(get_address) {
        return sd_bus_message_append(reply, "s", LOCK_OF(userdata)->address);
}

BUS_GETTER(get_name) {
        return sd_bus_message_append(reply, "s", strempty_or(LOCK_OF(userdata)->name));
}

BUS_GETTER(get_alias) {
        return sd_bus_message_append(reply, "s", lock_alias(LOCK_OF(userdata)));
}

BUS_GETTER(get_model) {
        return sd_bus_message_append(
                reply, "s", record_string(LOCK_OF(userdata), offsetof(LockRecord, model)));
}

BUS_GETTER(get_hardware_revision) {
        return sd_bus_message_append(
                reply, "s", record_string(LOCK_OF(userdata), offsetof(LockRecord, hardware_revision)));
}

BUS_GETTER(get_firmware_revision) {
        return sd_bus_message_append(
                reply, "s", record_string(LOCK_OF(userdata), offsetof(LockRecord, firmware_revision)));
}

BUS_GETTER(get_paired) {
        return sd_bus_message_append(reply, "b", !!LOCK_OF(userdata)->record);
}

BUS_GETTER(get_pairable) {
        Lock *l = LOCK_OF(userdata);
        return sd_bus_message_append(reply, "b", l->pairable && !l->record);
}

BUS_GETTER(get_connected) {
        return sd_bus_message_append(reply, "b", LOCK_OF(userdata)->connected);
}

BUS_GETTER(get_rssi) {
        return sd_bus_message_append(reply, "n", LOCK_OF(userdata)->rssi);
}

BUS_GETTER(get_last_seen) {
        return sd_bus_message_append(reply, "t", LOCK_OF(userdata)->last_seen_usec);
}

BUS_GETTER(get_battery) {
        Lock *l = LOCK_OF(userdata);
        /* 0–100; 0 until the lock told us (dbus/org.ttlock.Lock1.xml). */
        return sd_bus_message_append(reply, "y", (uint8_t) (l->battery < 0 ? 0 : l->battery));
}

BUS_GETTER(get_state) {
        return sd_bus_message_append(reply, "s", LOCK_OF(userdata)->state ?: "unknown");
}

BUS_GETTER(get_state_updated) {
        return sd_bus_message_append(reply, "t", LOCK_OF(userdata)->state_updated_usec);
}

BUS_GETTER(get_auto_lock) {
        Lock *l = LOCK_OF(userdata);
        int64_t v = l->record ? l->record->auto_lock_seconds : 0;
        return sd_bus_message_append(reply, "u", (uint32_t) (v < 0 ? 0 : MIN(v, (int64_t) UINT32_MAX)));
}

BUS_GETTER(get_door_open) {
        return sd_bus_message_append(reply, "b", lock_door_open(LOCK_OF(userdata)));
}

BUS_GETTER(get_door_updated) {
        return sd_bus_message_append(reply, "t", LOCK_OF(userdata)->door_updated_usec);
}

BUS_GETTER(get_role) {
        return sd_bus_message_append(reply, "s", lock_role(LOCK_OF(userdata)));
}

BUS_GETTER(get_features) {
        Lock *l = LOCK_OF(userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        for (unsigned bit = 0; l->record && bit < 32 * l->record->features.n_groups; bit++) {
                const char *n = ttlock_feature_name(bit);

                if (n && ttlock_features_has(&l->record->features, bit)) {
                        r = sd_bus_message_append(reply, "s", n);
                        if (r < 0)
                                return r;
                }
        }
        return sd_bus_message_close_container(reply);
}

/* The pairing steps still to do (doc/protocol.md §5.6), by their key-file names. */
BUS_GETTER(get_pairing_pending) {
        Lock *l = LOCK_OF(userdata);
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        for (unsigned s = 0; r >= 0 && l->record && s < _PAIRING_STEP_MAX; s++)
                if (l->record->pairing_pending & PAIRING_STEP_BIT(s))
                        r = sd_bus_message_append(reply, "s", pairing_step_to_string(s));
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* Link health (lock/link-health.h, dbus/org.ttlock.Lock1.xml). */
BUS_GETTER(get_reachable) {
        return sd_bus_message_append(reply, "b", link_health_reachable(&LOCK_OF(userdata)->health));
}

BUS_GETTER(get_last_connect_error) {
        return sd_bus_message_append(reply, "s", LOCK_OF(userdata)->health.last_error);
}

BUS_GETTER(get_recent_connects) {
        const LinkHealth *h = &LOCK_OF(userdata)->health;
        uint32_t ok = 0;

        for (unsigned i = 0; i < h->n_recent; i++)
                ok += (h->recent >> i) & 1;
        return sd_bus_message_append(reply, "(uu)", ok, (uint32_t) h->n_recent);
}

BUS_GETTER(get_connect_backoff) {
        return sd_bus_message_append(reply, "t", LOCK_OF(userdata)->health.backoff_until_realtime_usec);
}

/* Which property each change of the model is. */
static const struct {
        LockProperty property;
        const char *name;
} changed_names[] = {
        { LOCK_PROPERTY_NAME, "Name" },
        { LOCK_PROPERTY_ALIAS, "Alias" },
        { LOCK_PROPERTY_MODEL, "Model" },
        { LOCK_PROPERTY_HARDWARE_REVISION, "HardwareRevision" },
        { LOCK_PROPERTY_FIRMWARE_REVISION, "FirmwareRevision" },
        { LOCK_PROPERTY_PAIRED, "Paired" },
        { LOCK_PROPERTY_PAIRABLE, "Pairable" },
        { LOCK_PROPERTY_CONNECTED, "Connected" },
        { LOCK_PROPERTY_RSSI, "Rssi" },
        { LOCK_PROPERTY_LAST_SEEN, "LastSeenUSec" },
        { LOCK_PROPERTY_BATTERY, "Battery" },
        { LOCK_PROPERTY_STATE, "State" },
        { LOCK_PROPERTY_STATE_UPDATED, "StateUpdatedUSec" },
        { LOCK_PROPERTY_AUTO_LOCK, "AutoLockSeconds" },
        { LOCK_PROPERTY_FEATURES, "Features" },
        { LOCK_PROPERTY_DOOR, "DoorOpen" },
        { LOCK_PROPERTY_DOOR_UPDATED, "DoorStateUpdatedUSec" },
        { LOCK_PROPERTY_PAIRING_PENDING, "PairingPending" },
        { LOCK_PROPERTY_ROLE, "Role" },
        { LOCK_PROPERTY_REACHABLE, "Reachable" },
        { LOCK_PROPERTY_LAST_CONNECT_ERROR, "LastConnectError" },
        { LOCK_PROPERTY_RECENT_CONNECTS, "RecentConnects" },
        { LOCK_PROPERTY_CONNECT_BACKOFF, "ConnectBackoffUntilUSec" },
};

void bus_lock_emit_changed(BusLock *b, uint64_t changed) {
        char *names[ELEMENTSOF(changed_names) + 1];
        size_t n = 0;

        assert(b);

        if (!b->exported)
                return;
        for (size_t i = 0; i < ELEMENTSOF(changed_names); i++)
                if (changed & LOCK_PROPERTY_BIT(changed_names[i].property))
                        names[n++] = (char *) changed_names[i].name;
        if (n == 0)
                return;
        names[n] = NULL;
        (void) sd_bus_emit_properties_changed_strv(b->context->bus, b->path, LOCK_INTERFACE, names);
}

void bus_lock_emit_radio_changed(BusLock *b) {
        assert(b);

        if (!b->exported)
                return;
        (void) sd_bus_emit_properties_changed(
                b->context->bus, b->path, LOCK_INTERFACE, "Radio", "RadioRssi", NULL);
}

/* A card number or fingerprint id is a credential's identity: only who may list the credentials
 * (org.ttlock.manage) sees it. A passcode's "credential" is the alias the user gave it, never its
 * digits (history.h), and goes to everyone like "alias". */
static bool credential_is_identity(const HistoryRecord *h) {
        return streq_ptr(h->method, "ic-card") || streq_ptr(h->method, "fingerprint");
}

typedef struct EventSignal {
        const HistoryRecord *record;
        bool details;
} EventSignal;

static int build_event(sd_bus_message *s, void *userdata) {
        const EventSignal *e = userdata;
        const HistoryRecord *h = e->record;
        int r;

        r = sd_bus_message_append(s, "s", h->kind);
        if (r >= 0)
                r = sd_bus_message_open_container(s, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(
                        s,
                        "{sv}{sv}",
                        "method",
                        "s",
                        h->method ?: "unknown",
                        "time-usec",
                        "t",
                        h->time_usec);
        /* Type 0 is no record: an event ttlockd concluded itself (dbus/org.ttlock.Lock1.xml). */
        if (r >= 0 && h->record_type != 0)
                r = sd_bus_message_append(s, "{sv}", "record-type", "u", h->record_type);
        if (r >= 0 && !isempty(h->credential) && (e->details || !credential_is_identity(h)))
                r = sd_bus_message_append(s, "{sv}", "credential", "s", h->credential);
        if (r >= 0 && !isempty(h->alias))
                r = sd_bus_message_append(s, "{sv}", "alias", "s", h->alias);
        if (r >= 0 && h->battery >= 0)
                r = sd_bus_message_append(s, "{sv}", "battery", "y", (uint8_t) h->battery);
        if (r >= 0)
                r = sd_bus_message_close_container(s);
        return r;
}

void bus_lock_emit_event(BusLock *b, const HistoryRecord *h) {
        assert(b);

        if (!b->exported)
                return;
        /* Each subscriber's own copy, with identities, then the one for everyone without them
         * (dbus/org.ttlock.Lock1.xml "Event"). */
        bus_send_signal_details(b->context, b->path, LOCK_INTERFACE, "Event", NULL, build_event,
                                &(EventSignal){ .record = h, .details = true });
        (void) bus_send_signal(b->context, b->path, LOCK_INTERFACE, "Event", NULL, build_event,
                               &(EventSignal){ .record = h });
}

/* ---- methods ----------------------------------------------------------------------------------- */

/* authz.h: 1 = allowed, 0 = polkit was asked (the handler runs again), < 0 = refused. */
#define AUTHORIZE(b, m, error)                                           \
        do {                                                             \
                int _r = bus_lock_authorize((b), (m), NULL, (error)); \
                if (_r <= 0)                                             \
                        return _r < 0 ? _r : 1;                          \
        } while (0)

static int require_paired(BusLock *b, sd_bus_error *error) {
        if (!b->lock->record)
                return sd_bus_error_setf(
                        error, TTLOCK_ERROR_NOT_PAIRED, "Lock %s is not paired.", b->lock->address);
        return 0;
}

static int method_access(sd_bus_message *m, BusLock *b, AccessAction action, sd_bus_error *error) {
        int r;

        AUTHORIZE(b, m, error);
        r = require_paired(b, error);
        if (r < 0)
                return r;
        if (action == ACCESS_LOCK && !lock_has_feature(b->lock, TTLOCK_FEATURE_MANUAL_LOCK))
                return sd_bus_error_set(
                        error,
                        TTLOCK_ERROR_NOT_SUPPORTED,
                        "This lock cannot be locked over Bluetooth (no manual-lock feature).");
        return bus_lock_submit(
                b,
                m,
                &(BusSubmit){
                        .request = { .kind = LOCK_REQUEST_ACCESS, .access = action },
                        .deadline = true,
                        .audit = action != ACCESS_REFRESH,
                        .audit_kind = action == ACCESS_UNLOCK ? AUDIT_UNLOCK : AUDIT_LOCK,
                },
                error);
}

static int method_unlock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_access(m, userdata, ACCESS_UNLOCK, error);
}

static int method_lock(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_access(m, userdata, ACCESS_LOCK, error);
}

static int method_refresh(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return method_access(m, userdata, ACCESS_REFRESH, error);
}

static int method_pair(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;

        AUTHORIZE(b, m, error);
        return bus_lock_submit(
                b,
                m,
                &(BusSubmit){
                        .request = { .kind = LOCK_REQUEST_PAIR },
                        .audit = true,
                        .audit_kind = AUDIT_PAIR,
                },
                error);
}

static int method_forget(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        OpStatus st;
        int r;

        AUTHORIZE(b, m, error);
        r = lock_forget(b->lock, &st);
        if (r < 0 && st.refusal != OP_REFUSAL_NOT_SAVED)
                return bus_error_from_status(&st, b->lock->address, error);
        bus_audit_call(AUDIT_FORGET, b->lock->address, m, r);
        if (r < 0)
                return bus_error_from_status(&st, b->lock->address, error);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_factory_reset(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        int r;

        /* An eKey cannot reset the lock (doc/lockdata.md §4): said before polkit asks for a password. */
        r = bus_lock_require_admin(b, m, error);
        if (r < 0)
                return r;
        AUTHORIZE(b, m, error);
        return bus_lock_submit(
                b,
                m,
                &(BusSubmit){
                        .request = { .kind = LOCK_REQUEST_RESET },
                        .audit = true,
                        .audit_kind = AUDIT_RESET,
                },
                error);
}

static int method_set_alias(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        BusLock *b = userdata;
        const char *alias;
        int r;

        r = sd_bus_message_read(m, "s", &alias);
        if (r < 0)
                return r;
        r = bus_check_alias(alias, error);
        if (r < 0)
                return r;
        AUTHORIZE(b, m, error);
        r = require_paired(b, error);
        if (r < 0)
                return r;
        r = lock_set_alias(b->lock, alias);
        if (r < 0)
                return ttlockd_error_set_errnof(error, r, "Cannot save the alias: %s", strerror(-r));
        return sd_bus_reply_method_return(m, NULL);
}

const sd_bus_vtable bus_lock_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", get_address, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Alias", "s", get_alias, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Model", "s", get_model, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "HardwareRevision", "s", get_hardware_revision, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "FirmwareRevision", "s", get_firmware_revision, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Paired", "b", get_paired, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pairable", "b", get_pairable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Connected", "b", get_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Rssi", "n", get_rssi, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastSeenUSec", "t", get_last_seen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Battery", "y", get_battery, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateUpdatedUSec", "t", get_state_updated, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutoLockSeconds", "u", get_auto_lock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Features", "as", get_features, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DoorOpen", "b", get_door_open, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "DoorStateUpdatedUSec", "t", get_door_updated, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PairingPending", "as", get_pairing_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Role", "s", get_role, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Radio", "o", bus_radio_get_lock_radio, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "RadioRssi", "a{on}", bus_radio_get_lock_radio_rssi, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Reachable", "b", get_reachable, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastConnectError", "s", get_last_connect_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RecentConnects", "(uu)", get_recent_connects, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY(
                "ConnectBackoffUntilUSec", "t", get_connect_backoff, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Lock", "", "", method_lock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unlock", "", "", method_unlock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Refresh", "", "", method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pair", "", "", method_pair, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Forget", "", "", method_forget, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("FactoryReset", "", "", method_factory_reset, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "SetAlias", "s", SD_BUS_PARAM(alias), "", , method_set_alias, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("Event", "sa{sv}", SD_BUS_PARAM(kind) SD_BUS_PARAM(details), 0),
        SD_BUS_VTABLE_END,
};
