/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-credentials.h"
#include "bus-errors.h"
#include "bus-lock.h"
#include "bus-manager.h"
#include "bus-radio.h"
#include "bus-settings.h"
#include "bus-dict.h"
#include "config.h"
#include "diag.h"
#include "key-import.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

struct BusManager {
        BusContext context;
        BusRadios *radios;
        sd_bus_track *discovery_track;
        sd_bus_slot *slots[8];
        size_t n_slots;
};

/* ---- what the locks report --------------------------------------------------------------------- */

static void admin_interfaces(BusLock *b, bool added) {
        int r;

        if (!b->exported || b->admin_exported == added)
                return;
        b->admin_exported = added;
        if (added)
                r = sd_bus_emit_interfaces_added(
                        b->context->bus, b->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        else
                r = sd_bus_emit_interfaces_removed(
                        b->context->bus, b->path, CREDENTIALS_INTERFACE, SETTINGS_INTERFACE, NULL);
        if (r < 0)
                log_debug_errno(r, "%s: cannot announce the admin interfaces: %m", b->lock->address);
}

static void on_lock_changed(Lock *l, uint64_t changed, void *userdata) {
        BusLock *b = userdata;
        bool paired = l->record;

        /* Credentials1 and Settings1 come with the keys and go with them; a client that reads them in
         * response to Paired finds them there, one that follows InterfacesRemoved sees Paired false. */
        if (!paired)
                admin_interfaces(b, false);
        bus_lock_emit_changed(b, changed);
        /* Connected or not, the radio that reaches it may be another (manager_lock_radio()). */
        if (changed & LOCK_PROPERTY_BIT(LOCK_PROPERTY_CONNECTED))
                bus_lock_emit_radio_changed(b);
        if (paired) {
                admin_interfaces(b, true);
                bus_settings_emit_changed(b, changed);
        }
}

static void on_lock_event(Lock *l, const HistoryRecord *h, void *userdata) {
        bus_lock_emit_event(userdata, h);
}

static void on_lock_enrollment(Lock *l, const LockEnrollmentStatus *s, void *userdata) {
        bus_credentials_emit_enrollment(userdata, s);
}

static const LockObserver lock_observer = {
        .changed = on_lock_changed,
        .event = on_lock_event,
        .enrollment = on_lock_enrollment,
};

/* ---- what the registry reports ----------------------------------------------------------------- */

static void on_lock_added(Manager *m, Lock *l, void *userdata) {
        BusManager *bm = userdata;
        BusLock *b;
        int r;

        r = bus_lock_new(&bm->context, l, &b);
        if (r < 0) {
                log_error_errno(r, "%s: cannot put the lock on the bus: %m", l->address);
                return;
        }
        lock_set_observer(l, &lock_observer, b);
        b->exported = true;
        b->admin_exported = l->record;
        (void) sd_bus_emit_object_added(bm->context.bus, b->path);
        (void) sd_bus_emit_signal(
                bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "LockAdded", "o", b->path);
}

static void on_lock_removed(Manager *m, Lock *l, void *userdata) {
        BusManager *bm = userdata;
        BusLock *b = l->observer_data;

        if (!b)
                return;
        /* InterfacesRemoved is built from the object as it is, so it goes out before the object goes. */
        (void) sd_bus_emit_object_removed(bm->context.bus, b->path);
        (void) sd_bus_emit_signal(
                bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "LockRemoved", "o", b->path);
        lock_set_observer(l, NULL, NULL);
        bus_lock_free(b);
}

static void on_manager_changed(Manager *m, uint64_t changed, void *userdata) {
        BusManager *bm = userdata;

        if (changed & MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_DISCOVERING)) {
                if (!m->discovering)
                        bm->discovery_track = sd_bus_track_unref(bm->discovery_track);
                (void) sd_bus_emit_properties_changed(
                        bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "Discovering", NULL);
        }
        if (changed & MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_ADAPTERS))
                (void) sd_bus_emit_properties_changed(
                        bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "Adapters", NULL);
        if (changed & MANAGER_PROPERTY_BIT(MANAGER_PROPERTY_RADIOS) && bm->radios &&
            bus_radios_sync(bm->radios))
                (void) sd_bus_emit_properties_changed(
                        bm->context.bus, MANAGER_PATH, MANAGER_INTERFACE, "Radios", NULL);
}

static void on_lock_radios_changed(Manager *m, Lock *l, void *userdata) {
        BusLock *b = l->observer_data;

        if (b)
                bus_lock_emit_radio_changed(b);
}

static const ManagerObserver manager_observer = {
        .lock_added = on_lock_added,
        .lock_removed = on_lock_removed,
        .changed = on_manager_changed,
        .lock_radios_changed = on_lock_radios_changed,
};

/* ---- Manager1 ---------------------------------------------------------------------------------- */

#define AUTHORIZE(bm, msg, error)                                          \
        do {                                                               \
                int _r = authz_check((bm)->context.authz, (msg), NULL, (error)); \
                if (_r <= 0)                                               \
                        return _r < 0 ? _r : 1;                            \
        } while (0)

static int on_discovery_track(sd_bus_track *t, void *userdata) {
        BusManager *bm = userdata;

        bm->discovery_track = sd_bus_track_unref(bm->discovery_track);
        manager_stop_discovery(bm->context.manager, "its caller left the bus");
        return 0;
}

static int method_start_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        int r;

        AUTHORIZE(bm, msg, error);
        r = manager_start_discovery(bm->context.manager);
        if (r == -ENETDOWN)
                return sd_bus_error_set(
                        error, TTLOCK_ERROR_NOT_READY, "No powered Bluetooth adapter is available.");
        if (r == -EBUSY)
                return sd_bus_error_set(error, TTLOCK_ERROR_IN_PROGRESS, "Discovery is already running.");
        if (r < 0)
                return r;
        /* Discovery stops when its caller leaves the bus (dbus/org.ttlock.Manager1.xml). */
        r = sd_bus_track_new(bm->context.bus, &bm->discovery_track, on_discovery_track, bm);
        if (r >= 0)
                r = sd_bus_track_add_sender(bm->discovery_track, msg);
        if (r < 0) {
                manager_stop_discovery(bm->context.manager, "cannot follow its caller");
                return r;
        }
        log_info("Discovery started by %s.", sd_bus_message_get_sender(msg) ?: "?");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_stop_discovery(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;

        AUTHORIZE(bm, msg, error);
        /* Stopping what is not running is no error: the caller's wish is fulfilled. */
        manager_stop_discovery(bm->context.manager, "asked to");
        return sd_bus_reply_method_return(msg, NULL);
}

/* Credential identities for who may list them (dbus/org.ttlock.Manager1.xml SubscribeDetails): the
 * caller gets its own copy of every Event and EnrollmentStatus, with card numbers and fingerprint ids,
 * until it unsubscribes or leaves the bus. */
static int method_subscribe_details(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        int r;

        AUTHORIZE(bm, msg, error);
        if (!bm->context.detail_subscribers) {
                r = sd_bus_track_new(bm->context.bus, &bm->context.detail_subscribers, NULL, NULL);
                if (r < 0)
                        return r;
                /* Subscribing twice is subscribing once. */
                (void) sd_bus_track_set_recursive(bm->context.detail_subscribers, false);
        }
        if (!sd_bus_track_contains(bm->context.detail_subscribers, sd_bus_message_get_sender(msg)) &&
            sd_bus_track_count(bm->context.detail_subscribers) >= BUS_DETAIL_SUBSCRIBERS_MAX)
                return sd_bus_error_setf(error, TTLOCK_ERROR_IN_PROGRESS, "Already %u subscribers.",
                                         BUS_DETAIL_SUBSCRIBERS_MAX);
        r = sd_bus_track_add_sender(bm->context.detail_subscribers, msg);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_unsubscribe_details(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;

        /* Anyone may stop what it started; there is nothing to authorize. */
        if (bm->context.detail_subscribers)
                (void) sd_bus_track_remove_sender(bm->context.detail_subscribers, msg);
        return sd_bus_reply_method_return(msg, NULL);
}

/* ---- keys in and out (doc/lockdata.md; ttlockd(8) "Keys from elsewhere", "Backup") ------------------ */

/* One ImportLocks() call: each lock of its input is proven at the same time as the others, each within the
 * method deadline (manager.h), so the call is answered within that deadline whatever the number of locks;
 * the answer waits for the last of them. */
typedef struct BusImport BusImport;

typedef struct ImportResult {
        BusImport *import;
        char label[STORE_ADDRESS_STRING_SIZE + 16];
        char path[LOCK_PATH_SIZE]; /* "" when not imported */
        bool pending;
        char *error_name;
        char *error_message;
} ImportResult;

struct BusImport {
        sd_bus_message *message;
        bool verify;
        bool submitting; /* still handing locks to the model: no answer yet */
        size_t n_pending;
        ImportResult *results;
        size_t n_results;
};

static void bus_import_free(BusImport *imp) {
        for (size_t i = 0; i < imp->n_results; i++) {
                free(imp->results[i].error_name);
                free(imp->results[i].error_message);
        }
        free(imp->results);
        sd_bus_message_unref(imp->message);
        free(imp);
}

static void import_result_fail(ImportResult *res, const sd_bus_error *e) {
        res->path[0] = 0;
        free(res->error_name);
        free(res->error_message);
        res->error_name = strdup(e->name ?: TTLOCK_ERROR_FAILED);
        res->error_message = strdup(e->message ?: "failed");
}

static void import_result_status(ImportResult *res, const OpStatus *st, const char *address) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        (void) bus_error_from_status(st, address, &e);
        import_result_fail(res, &e);
}

static void import_result_ok(ImportResult *res, const char *address) {
        if (lock_path_from_address(address, res->path) < 0)
                res->path[0] = 0;
}

/* Every lock imported: their objects. Any that was not: an error naming each with its reason (the others
 * are imported all the same), with the failures' common name, or Failed when they differ. */
static void bus_import_reply(BusImport *imp) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *message = NULL;
        const char *name = NULL;
        size_t n_ok = 0, n_failed = 0, size = 0;
        FILE *f;
        int r;

        for (size_t i = 0; i < imp->n_results; i++) {
                const ImportResult *res = imp->results + i;

                if (!res->error_name) {
                        n_ok++;
                        continue;
                }
                n_failed++;
                name = !name || streq(name, res->error_name) ? res->error_name : TTLOCK_ERROR_FAILED;
        }
        if (n_failed == 0) {
                r = sd_bus_message_new_method_return(imp->message, &reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "o");
                for (size_t i = 0; r >= 0 && i < imp->n_results; i++)
                        if (imp->results[i].path[0])
                                r = sd_bus_message_append(reply, "o", imp->results[i].path);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_send(NULL, reply, NULL);
                if (r < 0)
                        (void) sd_bus_reply_method_errnof(imp->message, r, "Cannot send the reply: %m");
                return;
        }

        f = open_memstream(&message, &size);
        if (f) {
                fprintf(f, "Imported %zu of %zu lock(s)", n_ok, imp->n_results);
                for (size_t i = 0, k = 0; i < imp->n_results; i++)
                        if (!imp->results[i].error_name)
                                fprintf(f, "%s%s", k++ == 0 ? ": " : ", ", imp->results[i].label);
                fputs(". Not imported:", f);
                for (size_t i = 0; i < imp->n_results; i++)
                        if (imp->results[i].error_name)
                                fprintf(f,
                                        " %s: %s",
                                        imp->results[i].label,
                                        strempty_or(imp->results[i].error_message));
                if (fclose(f) != 0)
                        message = mfree(message);
        }
        (void) sd_bus_reply_method_error(
                imp->message, &SD_BUS_ERROR_MAKE_CONST(name, message ?: "Some locks were not imported."));
}

static void bus_import_maybe_reply(BusImport *imp) {
        if (imp->submitting || imp->n_pending > 0)
                return;
        bus_import_reply(imp);
        bus_import_free(imp);
}

static void on_import_done(Lock *l, const LockOutcome *o, void *userdata) {
        ImportResult *res = userdata;
        BusImport *imp = res->import;

        assert(res->pending);
        if (o->status.error < 0)
                import_result_status(res, &o->status, l->address);
        else
                import_result_ok(res, l->address);
        bus_audit_call(AUDIT_IMPORT, l->address, imp->message, o->status.error);
        res->pending = false;
        imp->n_pending--;
        bus_import_maybe_reply(imp);
}

/* The argument of ImportLocks(): bounded, one of the formats of doc/lockdata.md, at least one lock. The
 * same input gives the same verdict on both runs of the handler (authz.h). */
static int import_parse(sd_bus_message *msg, KeyImport **ret, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        const char *data;
        size_t len;
        int r;

        /* The call carries keys: sd-bus wipes it when it is freed. */
        (void) sd_bus_message_sensitive(msg);
        r = sd_bus_message_read(msg, "s", &data);
        if (r < 0)
                return r;
        len = strlen(data);
        r = key_import_parse(data, len, ret, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Not lock keys ttlockd can import: %s.",
                        strempty_or(why));
        return 0;
}

static int method_import(sd_bus_message *msg, BusManager *bm, bool verify, sd_bus_error *error) {
        _cleanup_(key_import_freep) KeyImport *k = NULL;
        BusImport *imp;
        int r;

        r = import_parse(msg, &k, error);
        if (r < 0)
                return r;
        AUTHORIZE(bm, msg, error);

        imp = calloc(1, sizeof(BusImport));
        if (!imp)
                return -ENOMEM;
        imp->results = calloc(k->n_entries, sizeof(ImportResult));
        if (!imp->results) {
                free(imp);
                return -ENOMEM;
        }
        imp->message = sd_bus_message_ref(msg);
        imp->verify = verify;
        imp->n_results = k->n_entries;
        imp->submitting = true;
        log_info(
                "%s of %zu lock(s) (%s) asked by %s.",
                verify ? "Import" : "Unverified import",
                k->n_entries,
                k->format,
                strempty_or(sd_bus_message_get_sender(msg)));

        for (size_t i = 0; i < k->n_entries; i++) {
                KeyImportEntry *x = k->entries + i;
                ImportResult *res = imp->results + i;
                char address[STORE_ADDRESS_STRING_SIZE];
                OpStatus st;
                Lock *l = NULL;

                res->import = imp;
                snprintf(res->label, sizeof(res->label), "%s", x->label);
                if (!x->record) {
                        import_result_fail(
                                res,
                                &SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_INVALID_ARGS, strempty_or(x->error)));
                        continue;
                }
                memcpy(address, x->record->address, sizeof(address));
                res->pending = true;
                imp->n_pending++;
                r = manager_import(
                        bm->context.manager,
                        TAKE_PTR(x->record),
                        verify,
                        bm->context.manager->method_deadline_usec,
                        on_import_done,
                        res,
                        &l,
                        &st);
                if (r == 0)
                        continue; /* on_import_done() answers, maybe already has */
                res->pending = false;
                imp->n_pending--;
                if (r > 0)
                        import_result_ok(res, address);
                else if (st.error < 0 || st.refusal != OP_REFUSAL_NONE)
                        import_result_status(res, &st, address);
                else {
                        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                        (void) ttlockd_error_set_errnof(&e, r, "Cannot import: %s", strerror(-r));
                        import_result_fail(res, &e);
                }
                bus_audit_call(AUDIT_IMPORT, address, msg, r < 0 ? r : 0);
        }
        imp->submitting = false;
        bus_import_maybe_reply(imp);
        return 1;
}

static int method_import_locks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_import(msg, userdata, /* verify= */ true, error);
}

static int method_import_locks_unverified(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_import(msg, userdata, /* verify= */ false, error);
}

static int record_address_cmp(const void *a, const void *b) {
        const LockRecord *const *x = a, *const *y = b;

        return strcmp((*x)->address, (*y)->address);
}

/* The key records, as the store writes them (store.h "export"): named locks, or every lock with keys. */
static int method_export_locks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ const LockRecord **records = NULL;
        BusManager *bm = userdata;
        Manager *m = bm->context.manager;
        char *text = NULL;
        const char *address;
        size_t n = 0, size = 0;
        bool all = true;
        int r;

        records = calloc(MAX((size_t) STORE_EXPORT_RECORDS_MAX, m->n_locks) + 1, sizeof(LockRecord *));
        if (!records)
                return -ENOMEM;
        r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(msg, "s", &address)) > 0) {
                char a[BT_ADDRESS_SIZE];
                Lock *l;

                all = false;
                if (bt_address_normalize(address, a) < 0)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Invalid address \"%.32s\": expected six hex pairs like AA:BB:CC:DD:EE:FF.",
                                address);
                l = manager_find_lock(m, a);
                if (!l || !(l->record ?: l->provisional))
                        return sd_bus_error_setf(
                                error, TTLOCK_ERROR_DOES_NOT_EXIST, "ttlockd holds no keys of lock %s.", a);
                /* Named twice, exported once. */
                bool dup = false;
                for (size_t j = 0; j < n && !dup; j++)
                        dup = streq(records[j]->address, a);
                if (dup)
                        continue;
                if (n >= STORE_EXPORT_RECORDS_MAX)
                        return sd_bus_error_setf(
                                error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "More than %u locks.",
                                STORE_EXPORT_RECORDS_MAX);
                records[n++] = l->record ?: l->provisional;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        if (all)
                for (Lock *l = m->locks; l; l = l->next) {
                        if (!l->record && !l->provisional)
                                continue;
                        if (n >= STORE_EXPORT_RECORDS_MAX)
                                return sd_bus_error_setf(
                                        error,
                                        TTLOCK_ERROR_FAILED,
                                        "More than %u locks: export them in parts.",
                                        STORE_EXPORT_RECORDS_MAX);
                        records[n++] = l->record ?: l->provisional;
                }
        AUTHORIZE(bm, msg, error);

        qsort(records, n, sizeof(LockRecord *), record_address_cmp);
        r = store_export_to_yaml(records, n, &text, &size);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot write the export: %m");
        /* The reply is the keys: marked so that sd-bus wipes it. */
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_sensitive(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", text);
        store_text_free(text, size);
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        for (size_t i = 0; i < n; i++)
                bus_audit_call(AUDIT_EXPORT, records[i]->address, msg, r < 0 ? r : 0);
        log_info("Keys of %zu lock(s) exported to %s.", n, strempty_or(sd_bus_message_get_sender(msg)));
        return r < 0 ? r : 1;
}

/* ttlockd.conf(5) again, as SIGHUP does it; a bad file changes nothing. */
static int method_reload_configuration(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        char why[CONF_ERROR_MAX];
        int r;

        AUTHORIZE(bm, msg, error);
        log_info("Reloading the configuration (asked by %s).", sd_bus_message_get_sender(msg) ?: "?");
        r = manager_load_config(bm->context.manager, NULL, why, sizeof(why));
        if (r == -ENOMEM)
                return r;
        if (r == -EINVAL || r == -E2BIG || r == -EACCES) {
                log_error("Configuration refused, the one in force stays: %s", why);
                return sd_bus_error_setf(
                        error,
                        TTLOCK_DBUS_ERROR_INVALID_FILE_CONTENT,
                        "%s (the configuration in force stays)",
                        why);
        }
        if (r < 0) {
                log_error("Cannot read the configuration, the one in force stays: %s", why);
                return sd_bus_error_setf(
                        error, TTLOCK_ERROR_FAILED, "%s (the configuration in force stays)", why);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

/* ---- diagnostics (lock/diag.h, ttlockd(8) "DIAGNOSTICS") ------------------------------------------ */

typedef struct DiagArgs {
        DiagOptions options;
        char addresses[DIAG_LOCKS_MAX][BT_ADDRESS_SIZE];
        const char *pointers[DIAG_LOCKS_MAX];
        sd_bus_error *error;
} DiagArgs;

static int diag_redact(sd_bus_message *m, const char *key, void *userdata) {
        DiagArgs *a = userdata;
        int v, r;

        r = bus_dict_read_basic(m, 'b', &v);
        if (r < 0)
                return r;
        if (r == 0)
                return sd_bus_error_set(a->error, SD_BUS_ERROR_INVALID_ARGS, "\"redact\" takes a boolean.");
        a->options.redact = v;
        return 0;
}

static int diag_locks(sd_bus_message *m, const char *key, void *userdata) {
        DiagArgs *a = userdata;
        const char *address;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r < 0)
                return r == -ENXIO ? sd_bus_error_set(a->error, SD_BUS_ERROR_INVALID_ARGS,
                                                      "\"locks\" takes a list of addresses (as).")
                                   : r;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "s", &address)) > 0) {
                char *slot;

                if (a->options.n_addresses >= DIAG_LOCKS_MAX)
                        return sd_bus_error_setf(a->error, SD_BUS_ERROR_INVALID_ARGS, "More than %u locks.",
                                                 DIAG_LOCKS_MAX);
                slot = a->addresses[a->options.n_addresses];
                if (bt_address_normalize(address, slot) < 0)
                        return sd_bus_error_setf(
                                a->error,
                                SD_BUS_ERROR_INVALID_ARGS,
                                "Invalid address \"%.32s\": expected six hex pairs like AA:BB:CC:DD:EE:FF.",
                                address);
                a->pointers[a->options.n_addresses++] = slot;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

static int diag_unknown(sd_bus_message *m, const char *key, void *userdata) {
        DiagArgs *a = userdata;

        return sd_bus_error_setf(a->error, SD_BUS_ERROR_INVALID_ARGS,
                                 "Unknown option \"%.32s\" (redact, locks).", key);
}

/* The bundle a user attaches to a bug report: no key, passcode or card number ever, and no address unless
 * "redact" is false. [manage]: it tells which locks there are and how they fare. */
static int method_get_diagnostics(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        static const BusDictField fields[] = {
                { "redact", diag_redact },
                { "locks", diag_locks },
                { NULL, diag_unknown },
        };
        _cleanup_free_ DiagArgs *a = NULL;
        _cleanup_free_ char *text = NULL;
        BusManager *bm = userdata;
        int r;

        a = calloc(1, sizeof(DiagArgs));
        if (!a)
                return -ENOMEM;
        a->options.redact = true;
        a->options.addresses = a->pointers;
        a->error = error;
        r = bus_dict_read(msg, fields, ELEMENTSOF(fields), a);
        if (r < 0)
                return r;
        AUTHORIZE(bm, msg, error);
        r = diag_build(bm->context.manager, &a->options, &text);
        if (r == -ENOENT)
                return sd_bus_error_set(error, TTLOCK_ERROR_DOES_NOT_EXIST,
                                        "One of the locks named is not known to ttlockd.");
        if (r < 0)
                return ttlockd_error_set_errnof(error, r, "Cannot build the diagnostics: %s", strerror(-r));
        log_info("Diagnostics (%s) handed to %s.", a->options.redact ? "redacted" : "not redacted",
                 strempty_or(sd_bus_message_get_sender(msg)));
        return sd_bus_reply_method_return(msg, "s", text);
}

static int get_radios(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusManager *bm = userdata;

        return bus_radios_append_paths(bm->radios, reply);
}

static int method_list_locks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        BusManager *bm = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (Lock *l = bm->context.manager->locks; r >= 0 && l; l = l->next) {
                BusLock *b = l->observer_data;

                if (b)
                        r = sd_bus_message_append(reply, "o", b->path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_lock_by_address(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusManager *bm = userdata;
        char a[BT_ADDRESS_SIZE];
        const char *address;
        BusLock *b;
        Lock *l;
        int r;

        r = sd_bus_message_read(msg, "s", &address);
        if (r < 0)
                return r;
        if (bt_address_normalize(address, a) < 0)
                return sd_bus_error_setf(
                        error,
                        SD_BUS_ERROR_INVALID_ARGS,
                        "Invalid address \"%.32s\": expected six hex pairs like AA:BB:CC:DD:EE:FF.",
                        address);
        l = manager_find_lock(bm->context.manager, a);
        b = l ? l->observer_data : NULL;
        if (!b)
                return sd_bus_error_setf(
                        error,
                        TTLOCK_ERROR_DOES_NOT_EXIST,
                        "No lock %s is known (pair it, or discover it first).",
                        a);
        return sd_bus_reply_method_return(msg, "o", b->path);
}

static int get_discovering(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusManager *bm = userdata;
        return sd_bus_message_append(reply, "b", bm->context.manager->discovering);
}

static int get_adapters(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        BusManager *bm = userdata;
        _cleanup_free_ const char **adapters = NULL;
        int r;

        r = manager_adapters(bm->context.manager, &adapters);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "o");
        for (const char **a = adapters; r >= 0 && *a; a++)
                r = sd_bus_message_append(reply, "o", *a);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int get_version(
        sd_bus *bus,
        const char *path,
        const char *interface,
        const char *property,
        sd_bus_message *reply,
        void *userdata,
        sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Discovering", "b", get_discovering, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Adapters", "ao", get_adapters, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Radios", "ao", get_radios, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES(
                "ListLocks", "", , "ao", SD_BUS_PARAM(locks), method_list_locks, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetLockByAddress",
                "s",
                SD_BUS_PARAM(address),
                "o",
                SD_BUS_PARAM(lock),
                method_get_lock_by_address,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StartDiscovery", "", "", method_start_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopDiscovery", "", "", method_stop_discovery, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SubscribeDetails", "", "", method_subscribe_details, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("UnsubscribeDetails", "", "", method_unsubscribe_details, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "ImportLocks",
                "s",
                SD_BUS_PARAM(data),
                "ao",
                SD_BUS_PARAM(locks),
                method_import_locks,
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_NAMES(
                "ImportLocksUnverified",
                "s",
                SD_BUS_PARAM(data),
                "ao",
                SD_BUS_PARAM(locks),
                method_import_locks_unverified,
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_NAMES(
                "ExportLocks",
                "as",
                SD_BUS_PARAM(addresses),
                "s",
                SD_BUS_PARAM(data),
                method_export_locks,
                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD(
                "ReloadConfiguration", "", "", method_reload_configuration, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES(
                "GetDiagnostics",
                "a{sv}",
                SD_BUS_PARAM(options),
                "s",
                SD_BUS_PARAM(bundle),
                method_get_diagnostics,
                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("LockAdded", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_SIGNAL_WITH_NAMES("LockRemoved", "o", SD_BUS_PARAM(lock), 0),
        SD_BUS_VTABLE_END,
};

/* ---- life cycle -------------------------------------------------------------------------------- */

int bus_manager_new(sd_bus *bus, Manager *m, BusManager **ret) {
        _cleanup_(bus_manager_freep) BusManager *bm = NULL;
        int r;

        assert(bus);
        assert(m);
        assert(ret);
        bm = calloc(1, sizeof(BusManager));
        if (!bm)
                return -ENOMEM;
        bm->context = (BusContext){ .bus = sd_bus_ref(bus), .manager = m };
        r = authz_new(&bm->context.authz);
        if (r < 0)
                return r;

        r = sd_bus_add_object_manager(bus, &bm->slots[bm->n_slots++], MANAGER_OBJECT_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Cannot add the object manager: %m");
        r = sd_bus_add_object_vtable(
                bus, &bm->slots[bm->n_slots++], MANAGER_PATH, MANAGER_INTERFACE, bus_manager_vtable, bm);
        if (r < 0)
                return log_error_errno(r, "Cannot add the manager object: %m");
        r = sd_bus_add_fallback_vtable(
                bus,
                &bm->slots[bm->n_slots++],
                LOCK_PATH_PREFIX,
                LOCK_INTERFACE,
                bus_lock_vtable,
                bus_lock_find,
                &bm->context);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        bus,
                        &bm->slots[bm->n_slots++],
                        LOCK_PATH_PREFIX,
                        CREDENTIALS_INTERFACE,
                        bus_credentials_vtable,
                        bus_lock_find_paired,
                        &bm->context);
        if (r >= 0)
                r = sd_bus_add_fallback_vtable(
                        bus,
                        &bm->slots[bm->n_slots++],
                        LOCK_PATH_PREFIX,
                        SETTINGS_INTERFACE,
                        bus_settings_vtable,
                        bus_lock_find_paired,
                        &bm->context);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(
                        bus, &bm->slots[bm->n_slots++], LOCK_PATH_PREFIX, bus_lock_enumerate, &bm->context);
        if (r < 0)
                return log_error_errno(r, "Cannot add the lock objects: %m");
        assert(bm->n_slots <= ELEMENTSOF(bm->slots));
        r = bus_radios_new(&bm->context, &bm->radios);
        if (r < 0)
                return r;

        manager_set_observer(m, &manager_observer, bm);
        *ret = TAKE_PTR(bm);
        return 0;
}

BusManager *bus_manager_free(BusManager *bm) {
        Manager *m;

        if (!bm)
                return NULL;
        m = bm->context.manager;
        if (m && m->observer_data == bm) {
                manager_set_observer(m, NULL, NULL);
                for (Lock *l = m->locks; l; l = l->next) {
                        bus_lock_free(l->observer_data);
                        lock_set_observer(l, NULL, NULL);
                }
        }
        bus_radios_free(bm->radios);
        sd_bus_track_unref(bm->discovery_track);
        sd_bus_track_unref(bm->context.detail_subscribers);
        for (size_t i = 0; i < bm->n_slots; i++)
                sd_bus_slot_unref(bm->slots[i]);
        authz_free(bm->context.authz);
        sd_bus_unref(bm->context.bus);
        free(bm);
        return NULL;
}
