/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "audit.h"
#include "command.h"
#include "credentials-object.h"
#include "credentials.h"
#include "errors.h"
#include "fileio.h"
#include "lock-error.h"
#include "lock-object.h"
#include "log.h"
#include "macro.h"
#include "settings-object.h"

/* Adverts read 100 % for a moment after a BLE session ends (protocol.md §6): upward jumps within
 * this window after a disconnect are not believed. */
#define BATTERY_DEBOUNCE_USEC (15U * 1000000U)
#define ACCESS_CALLS_MAX 16U
/* LastSeenUSec moves with every advert (several a second while scanning with duplicates): it is
 * signalled when it moved by this much, or along with any other change (org.ttlock.Lock1.xml). */
#define LAST_SEEN_SIGNAL_USEC (1U * 1000000U)
/* How long after a log read an advert may still show the new-records flag of before it. */
#define LOG_FLAG_GRACE_USEC (2U * 1000000U)

struct AccessCall {
        LockObject *lock;
        AccessAction action;
        AccessOp *op;
        sd_bus_message *call;
        sd_event_source *deadline;
        AccessCall *next;
};

static void emit_changed(LockObject *l, const char *first, ...);

/* ---- properties ---------------------------------------------------------------------------- */

static const char *state_name(TTLockState s) {
        return s == TTLOCK_STATE_LOCKED ? "locked" : s == TTLOCK_STATE_UNLOCKED ? "unlocked" : "unknown";
}

static const char *state_intern(const char *s) {
        static const char *const names[] = { "locked", "unlocked", "locking", "unlocking", "jammed", "unknown" };
        for (size_t i = 0; s && i < ELEMENTSOF(names); i++)
                if (strcmp(s, names[i]) == 0)
                        return names[i];
        return "unknown";
}

/* State is only ever set from what the lock said (advert, push, reply); when is recorded. */
static void set_observed_state(LockObject *l, const char *state) {
        bool changed = !l->state || strcmp(l->state, state) != 0;

        l->state = state_intern(state);
        l->state_updated_usec = now_realtime_usec();
        if (l->record) {
                (void) lock_record_set_string(&l->record->state, l->state);
                l->record->state_updated_usec = l->state_updated_usec;
        }
        if (changed)
                emit_changed(l, "State", "StateUpdatedUSec", NULL);
        else
                emit_changed(l, "StateUpdatedUSec", NULL);
}

static void set_battery(LockObject *l, int battery) {
        if (battery < 0 || battery > 100 || battery == l->battery)
                return;
        l->battery = battery;
        if (l->record)
                l->record->battery = battery;
        emit_changed(l, "Battery", NULL);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        const char *v = "";

        if (strcmp(property, "Address") == 0)
                v = l->address;
        else if (strcmp(property, "Name") == 0)
                v = l->name ?: "";
        else if (strcmp(property, "Alias") == 0)
                /* Like BlueZ's Device1.Alias: the user's name, else the advertised one. */
                v = l->record && l->record->alias ? l->record->alias : l->name ?: "";
        else if (strcmp(property, "Model") == 0)
                v = l->record && l->record->model ? l->record->model : "";
        else if (strcmp(property, "HardwareRevision") == 0)
                v = l->record && l->record->hardware_revision ? l->record->hardware_revision : "";
        else if (strcmp(property, "FirmwareRevision") == 0)
                v = l->record && l->record->firmware_revision ? l->record->firmware_revision : "";
        else if (strcmp(property, "State") == 0)
                v = l->state ?: "unknown";
        return sd_bus_message_append(reply, "s", v);
}

static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int v = 0;

        if (strcmp(property, "Paired") == 0)
                v = !!l->record;
        else if (strcmp(property, "Pairable") == 0)
                v = l->pairable && !l->record;
        else if (strcmp(property, "Connected") == 0)
                v = l->connected;
        return sd_bus_message_append(reply, "b", v);
}

static int property_get_rssi(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        return sd_bus_message_append(reply, "n", l->rssi);
}

static int property_get_usec(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        uint64_t v = strcmp(property, "LastSeenUSec") == 0 ? l->last_seen_usec : l->state_updated_usec;
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_battery(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        /* dbus-api.md: 0–100; 0 until the lock told us. */
        return sd_bus_message_append(reply, "y", (uint8_t) (l->battery < 0 ? 0 : l->battery));
}

static int property_get_auto_lock(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int64_t v = l->record ? l->record->auto_lock_seconds : 0;
        return sd_bus_message_append(reply, "u", (uint32_t) (v < 0 ? 0 : MIN(v, (int64_t) UINT32_MAX)));
}

static int property_get_features(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        if (l->record)
                for (unsigned bit = 0; bit < 32 * l->record->features.n_groups; bit++) {
                        const char *n = ttlock_feature_name(bit);
                        if (n && ttlock_features_has(&l->record->features, bit)) {
                                r = sd_bus_message_append(reply, "s", n);
                                if (r < 0)
                                        return r;
                        }
                }
        return sd_bus_message_close_container(reply);
}

static void emit_changed(LockObject *l, const char *first, ...) {
        bool has_last_seen = false;
        char *names[17];
        size_t n = 0;
        va_list ap;

        if (!l->exported)
                return;
        va_start(ap, first);
        for (const char *p = first; p && n < ELEMENTSOF(names) - 2; p = va_arg(ap, const char *)) {
                has_last_seen = has_last_seen || strcmp(p, "LastSeenUSec") == 0;
                names[n++] = (char *) p;
        }
        va_end(ap);
        /* A LastSeenUSec held back by the rate limit rides along with whatever changes next. */
        if (!has_last_seen && l->last_seen_usec != l->last_seen_signalled_usec)
                names[n++] = (char *) "LastSeenUSec";
        l->last_seen_signalled_usec = l->last_seen_usec;
        names[n] = NULL;
        (void) sd_bus_emit_properties_changed_strv(l->manager->bus, l->path, LOCK_INTERFACE, names);
}

/* ---- errors -------------------------------------------------------------------------------- */

/* §4.4 codes that mean "these are not the right credentials": wrong adminPs, eKey flag too low,
 * not logged in (the challenge was not accepted). */
static bool is_auth_error(uint8_t code) {
        return code == 0x03 || code == 0x0D || code == 0x12;
}

/* The design note's mapping of an operation's outcome to a D-Bus error. */
static int status_to_error(const OpStatus *st, sd_bus_error *error) {
        const char *cmd = ttlock_command_name(st->command) ?: "the command";

        switch (st->error) {
        case -EHOSTUNREACH:
        case -ENODEV:
                return sd_bus_error_set(error, TTLOCK_ERROR_UNREACHABLE,
                                        "The lock cannot be reached (out of range, asleep, or refusing connections).");
        case -ENOTCONN:
                return sd_bus_error_setf(error, TTLOCK_ERROR_UNREACHABLE,
                                         "The connection to the lock was lost during %s.", cmd);
        case -ETIMEDOUT:
                return sd_bus_error_setf(error, TTLOCK_ERROR_TIMEOUT, "The lock did not answer %s in time.", cmd);
        case -ENOKEY:
                return sd_bus_error_setf(error, TTLOCK_ERROR_AUTHENTICATION_FAILED,
                                         "The lock did not accept our key for %s (was it reset?).", cmd);
        case -EREMOTEIO: {
                const char *name = ttlock_error_name(st->lock_error);
                const char *desc = ttlock_error_description(st->lock_error);

                if (is_auth_error(st->lock_error))
                        return sd_bus_error_setf(error, TTLOCK_ERROR_AUTHENTICATION_FAILED,
                                                 "The lock refused our credentials for %s: %s (0x%02x).", cmd,
                                                 name ?: "unknown error", st->lock_error);
                return sd_bus_error_setf(error, TTLOCK_ERROR_LOCK_REFUSED, "%s (0x%02x)%s%s, refusing %s.",
                                         name ?: "UNKNOWN_ERROR", st->lock_error, desc ? ": " : "", desc ?: "",
                                         cmd);
        }
        case -EBADMSG:
                return sd_bus_error_setf(error, TTLOCK_ERROR_FAILED, "The lock's reply to %s was malformed.", cmd);
        case -ECANCELED:
                return sd_bus_error_set(error, TTLOCK_ERROR_FAILED, "The operation was cancelled.");
        default:
                return ttlockd_error_set_errnof(error, st->error, "%s failed: %s", cmd, strerror(-st->error));
        }
}

int lock_object_status_to_error(const OpStatus *st, sd_bus_error *error) {
        return status_to_error(st, error);
}

static void reply_error(sd_bus_message **call, const sd_bus_error *e) {
        if (!*call)
                return;
        (void) sd_bus_reply_method_error(*call, e);
        *call = sd_bus_message_unref(*call);
}

static void reply_ok(sd_bus_message **call) {
        if (!*call)
                return;
        (void) sd_bus_reply_method_return(*call, NULL);
        *call = sd_bus_message_unref(*call);
}

/* ---- events -------------------------------------------------------------------------------- */

/* What identifies the credential of a record, never a passcode's digits (dbus-api.md Event). */
static void record_credential(LockObject *l, const TTLogRecord *rec, char *buf, size_t size) {
        const char *alias;

        buf[0] = 0;
        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_CARD:
                (void) ttlock_card_number_format(rec->card.number, buf);
                break;
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                snprintf(buf, size, "%" PRIu64, rec->fingerprint.id);
                break;
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                /* The passcode's alias, if the user gave it one; the code itself stays here. */
                alias = l->record ? lock_record_get_credential_alias(l->record, "passcode",
                                                                     rec->passcode_pair.original.code) :
                                    NULL;
                if (alias)
                        snprintf(buf, size, "%s", alias);
                break;
        default:
                break;
        }
}

/* The alias the user gave the credential of a record (dbus-api.md Event "alias"): who it was, for
 * automations, when the lock only knows a card number or a fingerprint id. */
static const char *record_alias(LockObject *l, const TTLogRecord *rec) {
        char id[TTLOCK_CARD_NUMBER_STRLEN];

        if (!l->record)
                return NULL;
        switch (rec->tail) {
        case TTLOCK_LOG_TAIL_CARD:
                return lock_record_get_credential_alias(l->record, "ic-card",
                                                        ttlock_card_number_format(rec->card.number, id));
        case TTLOCK_LOG_TAIL_FINGERPRINT:
                snprintf(id, sizeof(id), "%" PRIu64, rec->fingerprint.id);
                return lock_record_get_credential_alias(l->record, "fingerprint", id);
        case TTLOCK_LOG_TAIL_PASSCODE_PAIR:
                return lock_record_get_credential_alias(l->record, "passcode", rec->passcode_pair.original.code);
        default:
                return NULL;
        }
}

static int emit_event(LockObject *l, const HistoryRecord *h) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *s = NULL;
        int r;

        r = sd_bus_message_new_signal(l->manager->bus, &s, l->path, LOCK_INTERFACE, "Event");
        if (r < 0)
                return r;
        r = sd_bus_message_append(s, "s", h->kind);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(s, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(s, "{sv}{sv}{sv}", "method", "s", h->method ?: "unknown", "time-usec", "t",
                                  h->time_usec, "record-type", "u", h->record_type);
        if (r >= 0 && h->credential && h->credential[0])
                r = sd_bus_message_append(s, "{sv}", "credential", "s", h->credential);
        if (r >= 0 && h->alias && h->alias[0])
                r = sd_bus_message_append(s, "{sv}", "alias", "s", h->alias);
        if (r >= 0 && h->battery >= 0)
                r = sd_bus_message_append(s, "{sv}", "battery", "y", (uint8_t) h->battery);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(s);
        if (r < 0)
                return r;
        return sd_bus_send(l->manager->bus, s, NULL);
}

static void start_log_read(LockObject *l);

static void on_log_read(const LogReadResult *res, void *userdata) {
        LockObject *l = userdata;
        size_t n_new = 0;

        l->log_op = NULL;
        l->log_read_done_usec = now_realtime_usec();
        if (res->status.error < 0)
                log_warning("%s: reading the operation log failed (%d) after %zu record(s).", l->address,
                            res->status.error, res->n_entries);

        for (size_t i = 0; i < res->n_entries && l->record; i++) {
                const LogEntry *e = &res->entries[i];
                TTLogEventClass c = ttlock_log_type_event(e->record.type);
                char credential[HISTORY_STRING_MAX];
                HistoryRecord h;
                int r;

                if (l->history && history_contains(l->history, e->identity))
                        continue;
                record_credential(l, &e->record, credential, sizeof(credential));
                h = (HistoryRecord) {
                        .time_usec = op_lock_time_to_usec(&e->record.date),
                        .identity = e->identity,
                        .record_type = e->record.type,
                        .battery = e->record.battery <= 100 ? e->record.battery : -1,
                        .kind = (char *) ttlock_log_event_kind_to_string(c.kind),
                        .method = (char *) ttlock_log_method_to_string(c.method),
                        .credential = credential,
                        .alias = (char *) record_alias(l, &e->record),
                };
                /* Archive first: a record that is on disk is never signalled again, also after a
                 * restart; a record that could not be archived is still signalled now. */
                r = l->history ? history_append(l->history, &h) : 1;
                if (r == 0)
                        continue;
                if (r < 0)
                        log_warning_errno(r, "%s: cannot archive a log record: %m", l->address);
                r = emit_event(l, &h);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot emit Event: %m", l->address);
                l->record->has_log_cursor = true;
                l->record->log_cursor_identity = e->identity;
                l->record->log_cursor_time_usec = h.time_usec;
                n_new++;
        }
        if (n_new > 0) {
                int r = store_save(l->manager->store, l->record);
                if (r < 0)
                        log_warning_errno(r, "%s: cannot save the log cursor: %m", l->address);
                log_debug("%s: %zu new log record(s).", l->address, n_new);
        }
        if (l->log_again && l->record) {
                l->log_again = false;
                start_log_read(l);
        }
        manager_check_lock(l->manager, l);
}

static void start_log_read(LockObject *l) {
        OpKeys keys;
        int r;

        if (!l->record)
                return;
        if (l->log_op) {
                /* New records may have been written after the page that is being read. */
                l->log_again = true;
                return;
        }
        op_keys_from_record(&keys, l->record);
        r = log_read_op_start(l->link, &keys, on_log_read, l, &l->log_op);
        op_keys_wipe(&keys);
        if (r < 0) {
                l->log_op = NULL;
                log_warning_errno(r, "%s: cannot start reading the operation log: %m", l->address);
        }
}

/* ---- link callbacks ------------------------------------------------------------------------ */

static void on_push(Link *link, const TTReply *push, void *userdata) {
        LockObject *l = userdata;
        TTStatusPush p;

        /* §7.3: unsolicited 0x14 frames; anything else is a stray. */
        if (push->command != TTLOCK_CMD_SEARCH_BICYCLE_STATUS || !push->success)
                return;
        if (ttlock_status_push_decode(push->data, push->data_len, &p, NULL) < 0)
                return;
        set_battery(l, p.battery);
        if (p.kind == TTLOCK_PUSH_STATE) {
                if (p.state != TTLOCK_STATE_UNKNOWN && !l->state_before_actuation)
                        set_observed_state(l, state_name(p.state));
        } else
                /* A log record was written while we are connected (keypad, card, knob…). */
                start_log_read(l);
}

static void on_connected_changed(Link *link, bool connected, void *userdata) {
        LockObject *l = userdata;

        if (l->connected == connected)
                return;
        l->connected = connected;
        if (!connected) {
                l->disconnected_usec = now_realtime_usec();
                /* A session (pairing, a log read, enrolment) is over and its buffers are freed; hand
                 * the heap's free pages back, since the daemon may now idle for days. */
                (void) malloc_trim(0);
        }
        emit_changed(l, "Connected", NULL);
        if (connected)
                settings_object_connected(l); /* automatic clock calibration */
}

/* ---- BlueZ --------------------------------------------------------------------------------- */

void lock_object_device_changed(LockObject *l, const BluezDeviceInfo *info, bool mfr_changed) {
        TTAdvert a;

        if (!l->device_path || strcmp(l->device_path, info->path) != 0) {
                char *p = strdup(info->path);
                if (!p) {
                        log_oom();
                        return;
                }
                free(l->device_path);
                l->device_path = p;
                (void) link_set_device_path(l->link, p);
        }

        if (info->name && (!l->name || strcmp(l->name, info->name) != 0)) {
                char *n = strdup(info->name);
                if (n) {
                        free(l->name);
                        l->name = n;
                        emit_changed(l, "Name", "Alias", NULL);
                }
        }
        if (info->have_rssi && info->rssi != l->rssi) {
                l->rssi = info->rssi;
                emit_changed(l, "Rssi", NULL);
        }

        link_device_changed(l->link, info);

        if (!mfr_changed || !info->have_mfr ||
            ttlock_advert_parse_bluez(info->mfr_key, info->mfr, info->mfr_len, &a, NULL) < 0)
                return;

        /* An advert: the lock is here now. */
        l->last_seen_usec = now_realtime_usec();
        if (l->last_seen_usec - l->last_seen_signalled_usec >= LAST_SEEN_SIGNAL_USEC)
                emit_changed(l, "LastSeenUSec", NULL);

        if (a.setting_mode != l->pairable) {
                l->pairable = a.setting_mode;
                emit_changed(l, "Pairable", NULL);
        }

        /* §6: battery; right after a session adverts read 100 for a moment — not believed. */
        if (!(l->battery >= 0 && a.battery > l->battery && l->disconnected_usec > 0 &&
              l->last_seen_usec - l->disconnected_usec < BATTERY_DEBOUNCE_USEC))
                set_battery(l, a.battery);

        /* §7.4 item 3: the bolt bit, unless dormant (then the lock has cleared it). The lock does
         * not advertise while connected (§9.2), so an advert is news from after our last command;
         * while an actuation is in flight its reply decides. StateUpdatedUSec moves when the
         * observation differs from what we had, not with every advert. */
        if (!a.dormant) {
                const char *s = a.unlocked ? "unlocked" : "locked";

                l->advert_unlocked = a.unlocked;
                if (!l->state_before_actuation && (!l->state || strcmp(l->state, s) != 0))
                        set_observed_state(l, s);
        }
        l->have_advert = true;

        /* §7.1/§7.4 item 2: new operation-log records — read them on the rising edge. An edge can
         * hide between two adverts (a record written while we read, or while the lock was not
         * advertising), so a flag still up a while after our last read also starts one; a read
         * whose pages were already fetched only costs an empty page. */
        if (a.new_events && (!l->advert_new_events ||
                             (!l->log_op && l->last_seen_usec - l->log_read_done_usec > LOG_FLAG_GRACE_USEC)))
                start_log_read(l);
        l->advert_new_events = a.new_events;

        manager_check_lock(l->manager, l);
}

void lock_object_device_removed(LockObject *l) {
        l->device_path = mfree(l->device_path);
        (void) link_set_device_path(l->link, NULL);
        l->have_advert = false;
        l->advert_new_events = false;
        if (l->pairable) {
                l->pairable = false;
                emit_changed(l, "Pairable", NULL);
        }
        if (l->connected) {
                l->connected = false;
                emit_changed(l, "Connected", NULL);
        }
        manager_check_lock(l->manager, l);
}

void lock_object_notification(LockObject *l, const uint8_t *data, size_t len) {
        link_notification(l->link, data, len);
}

/* ---- access: Lock/Unlock/Refresh ----------------------------------------------------------- */

static void access_call_free(AccessCall *c) {
        for (AccessCall **p = &c->lock->access_calls; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        sd_bus_message_unref(c->call);
        sd_event_source_disable_unref(c->deadline);
        free(c);
}

static bool actuation_in_flight(LockObject *l) {
        for (AccessCall *c = l->access_calls; c; c = c->next)
                if (c->action != ACCESS_REFRESH)
                        return true;
        return false;
}

static void on_access_done(const AccessResult *res, void *userdata) {
        AccessCall *c = userdata;
        LockObject *l = c->lock;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;

        c->op = NULL;
        if (res->have_battery)
                set_battery(l, res->battery);
        if (c->action != ACCESS_REFRESH) {
                const char *before = l->state_before_actuation;

                l->state_before_actuation = NULL;
                if (res->have_state)
                        set_observed_state(l, state_name(res->state));
                else if (before && l->state && strcmp(l->state, before) != 0) {
                        /* Nothing moved as far as we know: back to what was last observed. */
                        l->state = before;
                        emit_changed(l, "State", NULL);
                }
        } else if (res->have_state)
                set_observed_state(l, state_name(res->state));
        if (res->have_features && l->record) {
                l->record->features = res->features;
                emit_changed(l, "Features", NULL);
        }
        if (l->record && (res->have_state || res->have_battery || res->have_features))
                (void) store_save(l->manager->store, l->record);

        /* The properties above went out before the reply (issue 4: State before the return). */
        if (res->status.error < 0) {
                status_to_error(&res->status, &e);
                log_info("%s: %s failed: %s", l->address,
                         c->action == ACCESS_UNLOCK ? "Unlock" : c->action == ACCESS_LOCK ? "Lock" : "Refresh",
                         e.message);
        }
        call = sd_bus_message_ref(c->call);
        if (res->status.error < 0)
                reply_error(&c->call, &e);
        else
                reply_ok(&c->call);
        /* The audit record after the reply: finding the caller's uid may cost a round trip. */
        if (c->action != ACCESS_REFRESH && call)
                (void) audit_log_call(c->action == ACCESS_UNLOCK ? AUDIT_UNLOCK : AUDIT_LOCK, l->address, call,
                                      res->status.error);
        access_call_free(c);
        manager_check_lock(l->manager, l);
}

static int on_access_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        AccessCall *c = userdata;
        AccessResult res = { .status = { .error = -ETIMEDOUT } };

        /* The operation stops where it is (its job leaves the link); the caller hears Timeout and
         * State goes back to what was last observed. */
        if (c->op) {
                access_op_cancel(c->op);
                c->op = NULL;
        }
        on_access_done(&res, c);
        return 0;
}

static int require_paired(LockObject *l, sd_bus_error *error) {
        if (!l->record)
                return sd_bus_error_setf(error, TTLOCK_ERROR_NOT_PAIRED, "Lock %s is not paired.", l->address);
        return 0;
}

static int method_access(sd_bus_message *m, LockObject *l, AccessAction action, sd_bus_error *error) {
        AccessCall *c;
        size_t n = 0;
        OpKeys keys;
        int r;

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = require_paired(l, error);
        if (r < 0)
                return r;
        if (action == ACCESS_LOCK && l->record->features.n_groups > 0 &&
            !ttlock_features_has(&l->record->features, TTLOCK_FEATURE_MANUAL_LOCK))
                return sd_bus_error_set(error, TTLOCK_ERROR_NOT_SUPPORTED,
                                        "This lock cannot be locked over Bluetooth (no manual-lock feature).");
        if (action != ACCESS_REFRESH && actuation_in_flight(l))
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Another Lock() or Unlock() is in progress.");
        if (l->pair_op || l->reset_op)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "A pairing or reset is in progress.");
        /* Queued behind an enrollment the call would only end at its deadline, as a misleading Timeout. */
        r = credentials_object_refuse_while_enrolling(l, error);
        if (r < 0)
                return r;
        for (c = l->access_calls; c; c = c->next)
                n++;
        if (n >= ACCESS_CALLS_MAX)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Too many calls queued for this lock.");

        c = calloc(1, sizeof(AccessCall));
        if (!c)
                return -ENOMEM;
        *c = (AccessCall) { .lock = l, .action = action, .call = sd_bus_message_ref(m), .next = l->access_calls };
        l->access_calls = c;

        if (action != ACCESS_REFRESH) {
                /* In flight: what we know is that it is moving; the reply says where it went. */
                l->state_before_actuation = l->state ?: "unknown";
                l->state = action == ACCESS_UNLOCK ? "unlocking" : "locking";
                emit_changed(l, "State", NULL);
        }

        r = sd_event_add_time_relative(l->manager->event, &c->deadline, CLOCK_MONOTONIC,
                                       l->manager->access_deadline_usec, 0,
                                       on_access_deadline, c);
        if (r < 0)
                log_warning_errno(r, "%s: cannot arm the method deadline: %m", l->address);

        op_keys_from_record(&keys, l->record);
        r = access_op_start(l->link, action, &keys, on_access_done, c, &c->op);
        op_keys_wipe(&keys);
        if (r < 0) {
                if (action != ACCESS_REFRESH) {
                        l->state = l->state_before_actuation;
                        l->state_before_actuation = NULL;
                        emit_changed(l, "State", NULL);
                }
                c->op = NULL;
                access_call_free(c);
                return r;
        }
        return 1;
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

/* ---- pairing, forgetting ------------------------------------------------------------------- */

static int open_history(LockObject *l) {
        int r;

        if (l->history)
                return 0;
        r = history_open(store_locks_dir_fd(l->manager->store), l->address, 0, &l->history);
        if (r < 0)
                return log_warning_errno(r, "%s: cannot open the event archive: %m", l->address);
        return 0;
}

static int on_pair_keys(const LockRecord *record, void *userdata) {
        LockObject *l = userdata;
        int r;

        /* issue 4 item 2: the lock has an admin now, and these keys are the only way back in. */
        r = store_save(l->manager->store, record);
        if (r < 0)
                return log_error_errno(r, "%s: cannot save the new keys: %m", l->address);
        log_info("%s: admin created, keys saved.", l->address);
        return 0;
}

static void on_pair_done(const OpStatus *st, LockRecord *record, void *userdata) {
        LockObject *l = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        l->pair_op = NULL;
        if (record) {
                /* The lock holds our admin from ADD_ADMIN on, so the keys are adopted even when a
                 * later step failed: dropping them would leave a lock nobody can open. */
                lock_record_free(l->record);
                l->record = record;
                /* ADD_ADMIN took the lock out of setting mode (§5.1), whatever the last advert
                 * said; no advert comes while we are connected (§9.2). */
                l->pairable = false;
                l->record->battery = l->battery;
                r = store_save(l->manager->store, l->record);
                if (r < 0)
                        log_error_errno(r, "%s: cannot save the lock's data: %m", l->address);
                (void) open_history(l);
                /* Pushes between commands (§7.3) come encrypted with the lock's key. */
                link_set_session_key(l->link, l->record->aes_key);
                emit_changed(l, "Paired", "Pairable", "Alias", "Model", "HardwareRevision", "FirmwareRevision",
                             "AutoLockSeconds", "Features", "Battery", NULL);
                admin_interfaces_changed(l, /* added= */ true);
                manager_update_monitor(l->manager);
        }
        if (st->error < 0 && !record)
                status_to_error(st, &e);
        if (l->pair_call)
                (void) audit_log_call(AUDIT_PAIR, l->address, l->pair_call, record ? 0 : st->error);
        if (sd_bus_error_is_set(&e)) {
                log_info("%s: pairing failed: %s", l->address, e.message);
                reply_error(&l->pair_call, &e);
        } else {
                log_info("%s: paired.", l->address);
                reply_ok(&l->pair_call);
        }
        manager_check_lock(l->manager, l);
}

static int method_pair(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int r;

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        if (l->record)
                return sd_bus_error_setf(error, TTLOCK_ERROR_ALREADY_EXISTS, "Lock %s is already paired.", l->address);
        if (l->pair_op)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Pairing is already in progress.");
        if (!l->pairable)
                return sd_bus_error_setf(error, TTLOCK_ERROR_NOT_READY,
                                         "Lock %s is not in setting mode: reset it or touch its keypad to wake it.",
                                         l->address);

        /* The call is kept before the operation starts: a link that cannot even try (the lock
         * vanished) ends the operation, and answers the call, before pair_op_start() returns. */
        l->pair_call = sd_bus_message_ref(m);
        r = pair_op_start(l->link, l->address, on_pair_keys, on_pair_done, l, &l->pair_op);
        if (r < 0) {
                l->pair_op = NULL;
                l->pair_call = sd_bus_message_unref(l->pair_call);
                return r;
        }
        return 1;
}

/* Drop the keys of a paired lock (Forget, and after FactoryReset). */
static int forget(LockObject *l) {
        int r;

        if (!l->record)
                return 0;
        if (l->log_op) {
                log_read_op_cancel(l->log_op);
                l->log_op = NULL;
        }
        r = store_delete(l->manager->store, l->address);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "%s: cannot delete the stored keys: %m", l->address);
        l->history = history_free(l->history);
        r = history_remove(store_locks_dir_fd(l->manager->store), l->address);
        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "%s: cannot remove the event archive: %m", l->address);
        admin_interfaces_changed(l, /* added= */ false);
        l->record = lock_record_free(l->record);
        link_set_session_key(l->link, NULL);
        emit_changed(l, "Paired", "Pairable", "Alias", "Model", "HardwareRevision", "FirmwareRevision",
                     "AutoLockSeconds", "Features", NULL);
        manager_update_monitor(l->manager);
        return 0;
}

static int method_forget(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        int r;

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = require_paired(l, error);
        if (r < 0)
                return r;
        if (l->pair_op || l->reset_op)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "A pairing or reset is in progress.");

        lock_object_abort(l, "The lock was forgotten.");
        r = forget(l);
        (void) audit_log_call(AUDIT_FORGET, l->address, m, r);
        if (r < 0)
                return ttlockd_error_set_errnof(error, r, "Cannot delete the stored keys: %s", strerror(-r));
        log_info("%s: forgotten.", l->address);
        r = sd_bus_reply_method_return(m, NULL);
        manager_check_lock(l->manager, l);
        return r;
}

static void on_reset_done(const OpStatus *st, void *userdata) {
        LockObject *l = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = st->error;

        l->reset_op = NULL;
        if (r >= 0) {
                r = forget(l);
                if (r < 0)
                        (void) sd_bus_error_setf(&e, TTLOCK_ERROR_FAILED,
                                                 "The lock was reset, but its keys could not be deleted: %s",
                                                 strerror(-r));
        } else
                status_to_error(st, &e);
        if (l->reset_call)
                (void) audit_log_call(AUDIT_RESET, l->address, l->reset_call, r);
        if (sd_bus_error_is_set(&e))
                reply_error(&l->reset_call, &e);
        else
                reply_ok(&l->reset_call);
        manager_check_lock(l->manager, l);
}

static int method_factory_reset(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        OpKeys keys;
        int r;

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = require_paired(l, error);
        if (r < 0)
                return r;
        if (l->pair_op || l->reset_op || l->access_calls)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Another operation is in progress.");
        r = credentials_object_refuse_while_enrolling(l, error);
        if (r < 0)
                return r;

        op_keys_from_record(&keys, l->record);
        l->reset_call = sd_bus_message_ref(m);
        r = reset_op_start(l->link, &keys, on_reset_done, l, &l->reset_op);
        op_keys_wipe(&keys);
        if (r < 0) {
                l->reset_op = NULL;
                l->reset_call = sd_bus_message_unref(l->reset_call);
                return r;
        }
        return 1;
}

static int method_set_alias(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        LockObject *l = userdata;
        const char *alias;
        int r;

        r = sd_bus_message_read(m, "s", &alias);
        if (r < 0)
                return r;
        /* Arguments first, so that both runs of the handler (authz.h) decide alike. */
        if (strlen(alias) > LOCK_ALIAS_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Alias is %zu bytes long; at most %u are allowed.", strlen(alias),
                                         LOCK_ALIAS_MAX);
        for (const char *p = alias; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7F)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                "Alias must not contain control characters.");

        r = authz_check(l->manager->authz, m, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = require_paired(l, error);
        if (r < 0)
                return r;

        r = lock_record_set_string(&l->record->alias, alias[0] ? alias : NULL);
        if (r < 0)
                return r;
        r = store_save(l->manager->store, l->record);
        if (r < 0)
                return ttlockd_error_set_errnof(error, r, "Cannot save the alias: %s", strerror(-r));
        emit_changed(l, "Alias", NULL);
        return sd_bus_reply_method_return(m, NULL);
}

/* ---- object -------------------------------------------------------------------------------- */

const sd_bus_vtable lock_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Address", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Alias", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Model", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HardwareRevision", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FirmwareRevision", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Paired", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Pairable", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Connected", "b", property_get_bool, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Rssi", "n", property_get_rssi, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastSeenUSec", "t", property_get_usec, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Battery", "y", property_get_battery, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateUpdatedUSec", "t", property_get_usec, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutoLockSeconds", "u", property_get_auto_lock, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Features", "as", property_get_features, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("Lock", "", "", method_lock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Unlock", "", "", method_unlock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Refresh", "", "", method_refresh, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pair", "", "", method_pair, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Forget", "", "", method_forget, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("FactoryReset", "", "", method_factory_reset, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetAlias", "s", SD_BUS_PARAM(alias), "", , method_set_alias,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("Event", "sa{sv}", SD_BUS_PARAM(kind) SD_BUS_PARAM(details), 0),
        SD_BUS_VTABLE_END,
};

int lock_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                     sd_bus_error *error) {
        Manager *m = userdata;
        char address[LOCK_ADDRESS_SIZE];
        LockObject *l;

        if (lock_path_to_address(path, address) < 0)
                return 0;
        l = manager_find_lock(m, address);
        if (!l)
                return 0;
        *found = l;
        return 1;
}

int lock_object_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                          sd_bus_error *error) {
        Manager *m = userdata;
        char **v;
        size_t i = 0;

        v = calloc(m->n_locks + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (LockObject *l = m->locks; l; l = l->next) {
                v[i] = strdup(l->path);
                if (!v[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(v[j]);
                        free(v);
                        return -ENOMEM;
                }
                i++;
        }
        *ret_nodes = v;
        return 0;
}

int lock_object_new(Manager *m, const char *address, LockRecord *record, LockObject **ret) {
        static const LinkCallbacks link_cb = {
                .push = on_push,
                .connected_changed = on_connected_changed,
        };
        LockObject *l;
        int r;

        l = calloc(1, sizeof(LockObject));
        if (!l)
                return -ENOMEM;
        l->manager = m;
        l->battery = -1;
        l->state = "unknown";
        r = lock_address_normalize(address, l->address);
        if (r >= 0)
                r = lock_path_from_address(l->address, l->path);
        if (r < 0) {
                free(l);
                return r;
        }
        r = link_new(m->event, m->bluez, NULL, &m->link_config, &link_cb, l, &l->link);
        if (r < 0) {
                free(l);
                return r;
        }
        if (record) {
                l->record = record;
                /* What we last knew, until the lock tells us more (store.h last-known). */
                if (record->battery >= 0 && record->battery <= 100)
                        l->battery = record->battery;
                if (record->state) {
                        l->state = state_intern(record->state);
                        l->state_updated_usec = record->state_updated_usec;
                }
                (void) open_history(l);
                /* Pushes between commands (§7.3) come encrypted with the lock's key. */
                link_set_session_key(l->link, l->record->aes_key);
        }
        *ret = l;
        return 0;
}

bool lock_object_busy(LockObject *l) {
        return l->access_calls || l->pair_op || l->reset_op || l->log_op || credentials_object_busy(l) ||
               settings_object_busy(l);
}

void lock_object_abort(LockObject *l, const char *why) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) sd_bus_error_set(&e, TTLOCK_ERROR_FAILED, why);
        credentials_object_abort(l, why);
        settings_object_abort(l, why);
        while (l->access_calls) {
                AccessCall *c = l->access_calls;
                access_op_cancel(c->op);
                reply_error(&c->call, &e);
                access_call_free(c);
        }
        if (l->state_before_actuation) {
                l->state = l->state_before_actuation;
                l->state_before_actuation = NULL;
                emit_changed(l, "State", NULL);
        }
        if (l->pair_op) {
                pair_op_cancel(l->pair_op);
                l->pair_op = NULL;
        }
        reply_error(&l->pair_call, &e);
        if (l->reset_op) {
                reset_op_cancel(l->reset_op);
                l->reset_op = NULL;
        }
        reply_error(&l->reset_call, &e);
        if (l->log_op) {
                log_read_op_cancel(l->log_op);
                l->log_op = NULL;
        }
        l->log_again = false;
}

LockObject *lock_object_free(LockObject *l) {
        if (!l)
                return NULL;
        l->exported = false;
        lock_object_abort(l, "The lock object went away.");
        link_free(l->link);
        history_free(l->history);
        lock_record_free(l->record);
        free(l->device_path);
        free(l->name);
        free(l);
        return NULL;
}
