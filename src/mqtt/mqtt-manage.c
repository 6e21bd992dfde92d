/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Commands from MQTT, carried out as calls of ttlockd's D-Bus API (dbus/org.ttlock.Lock1.xml).
 *
 * Before anything is done, in this order (ttlock-mqtt(8), "SAFETY OF COMMANDS"):
 *   an empty payload is ignored (it is how a retained message is deleted);
 *   a retained message is refused and deleted from the broker: a command that waits on the broker
 *     for whoever subscribes next could open a door long after it was meant;
 *   a payload over MQTT_COMMAND_MAX_SIZE is refused unread;
 *   a malformed one is refused with what is wrong (never quoting it: it may hold a code);
 *   one older than max-command-age, or of unknown age while max-command-age is set, is refused;
 *   on a manage topic, everything is refused unless allow-manage = yes;
 *   UNLOCK needs the code of unlock-pin-file when one is set (five wrong codes lock UNLOCK out
 *     for a minute).
 * Every refusal is answered on result and logged (rate-limited); nothing secret is logged.
 *
 * polkit decides as well: ttlockd checks org.ttlock.operate / org.ttlock.manage for the bridge's
 * user (data/ttlock-mqtt.rules), so allow-manage = yes alone grants nothing. */

#include <assert.h>
#include <errno.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "log.h"
#include "mqtt-bridge.h"
#include "string-util.h"
#include "time-util.h"

#define PIN_FAILURES_MAX 5
#define PIN_LOCKOUT_USEC (60 * USEC_PER_SEC)
/* A method call may take up to ~20 s at ttlockd (conventions: GDBus clients time out at 25 s). */
#define CALL_TIMEOUT_USEC (30 * USEC_PER_SEC)

typedef struct Enrollment {
        json_object *request_id;
        char *alias;
} Enrollment;

Enrollment *enrollment_free(Enrollment *e) {
        if (!e)
                return NULL;
        json_object_put(e->request_id);
        free(e->alias);
        free(e);
        return NULL;
}

typedef struct ManageDef ManageDef;
typedef int (*StartFn)(Request *r, const Command *c, Lock *l, char **error);

struct ManageDef {
        const char *name;
        StartFn start;
        const char *const *keys; /* its arguments, besides command, id and timestamp */
        bool needs_paired;       /* a paired lock (Credentials1, Settings1); else any known lock */
};

static unsigned pin_failures;
static uint64_t pin_lockout_until;

/* ---- requests -------------------------------------------------------------------------------- */

static Request *request_free(Request *r) {
        Bridge *b;

        if (!r)
                return NULL;
        b = r->bridge;
        if (r->prev)
                r->prev->next = r->next;
        else if (b->requests == r)
                b->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        b->n_requests--;
        sd_bus_slot_unref(r->slot);
        json_object_put(r->id);
        free(r->correlation);
        if (r->code) {
                erase_memory(r->code, strlen(r->code));
                free(r->code);
        }
        if (r->new_code) {
                erase_memory(r->new_code, strlen(r->new_code));
                free(r->new_code);
        }
        free(r->alias);
        free(r->kind);
        free(r);
        return NULL;
}

void bridge_cancel_requests(Bridge *b) {
        while (b->requests)
                request_free(b->requests);
}

static Request *request_new(
        Bridge *b,
        const char *level,
        const char *command,
        json_object *id,
        const mosquitto_property *props) {
        Request *r = calloc(1, sizeof(Request));

        if (!r)
                return NULL;
        r->bridge = b;
        snprintf(r->level, sizeof(r->level), "%s", level);
        snprintf(r->command, sizeof(r->command), "%s", command);
        r->id = json_object_get(id);
        if (props) {
                void *data = NULL;
                uint16_t len = 0;

                if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &data, &len, false)) {
                        r->correlation = data;
                        r->correlation_len = len;
                }
        }
        r->next = b->requests;
        if (b->requests)
                b->requests->prev = r;
        b->requests = r;
        b->n_requests++;
        return r;
}

/* Answer and forget the request. data: members to add to the answer (taken). */
static void request_finish(Request *r, const char *error, const char *message, json_object *data) {
        Bridge *b = r->bridge;

        if (error)
                log_notice(
                        "MQTT %s for %s failed: %s",
                        r->command,
                        isempty(r->level) ? "the bridge" : r->level,
                        error);
        publish_result(
                b, r->level, r->command, r->id, r->correlation, r->correlation_len, error, message, data);
        request_free(r);
}

static const char *request_path(Request *r) {
        Lock *l = bridge_find_lock_by_id(r->bridge, r->level);
        return l ? l->path : NULL;
}

/* Call method with the arguments of types…, on the request's lock (or the manager for the
 * bridge's own commands); handler gets the reply. */
static int request_call(
        Request *r,
        const char *iface,
        const char *method,
        sd_bus_message_handler_t handler,
        const char *types,
        ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        const char *path = isempty(r->level) ? TTLOCK_MANAGER_PATH : request_path(r);
        int k;

        if (!path)
                return -ENXIO;
        k = sd_bus_message_new_method_call(r->bridge->bus, &m, TTLOCK_BUS_NAME, path, iface, method);
        if (k < 0)
                return k;
        (void) sd_bus_message_set_auto_start(m, false);
        if (types) {
                va_list ap;

                va_start(ap, types);
                k = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (k < 0)
                        return k;
        }
        r->slot = sd_bus_slot_unref(r->slot);
        return sd_bus_call_async(r->bridge->bus, &r->slot, m, handler, r, CALL_TIMEOUT_USEC);
}

/* A reply that is an error ends the request with it. Returns true when it did. */
static bool reply_failed(Request *r, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                return false;
        request_finish(r, e->name, e->message, NULL);
        return true;
}

static int on_reply_ok(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *r = userdata;

        r->slot = sd_bus_slot_unref(r->slot);
        if (!reply_failed(r, reply))
                request_finish(r, NULL, NULL, NULL);
        return 0;
}

/* ---- argument helpers ------------------------------------------------------------------------ */

static int missing(char **error, const char *key) {
        if (asprintf(error, "\"%s\" is missing", key) < 0)
                *error = NULL;
        return -EINVAL;
}

static int required_string(const Command *c, const char *key, size_t max, const char **ret, char **error) {
        int r = command_get_string(c, key, max, ret, error);
        return r == -ENOENT ? missing(error, key) : r;
}

static int optional_string(const Command *c, const char *key, size_t max, const char **ret, char **error) {
        int r = command_get_string(c, key, max, ret, error);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

/* valid_from / valid_until, Unix seconds; both absent (or 0) = permanent. */
static int validity(Request *r, const Command *c, char **error) {
        int k;

        r->valid_from = r->valid_until = 0;
        r->have_validity = false;
        k = command_get_time_usec(c, "valid_from", &r->valid_from, error);
        if (k < 0 && k != -ENOENT)
                return k;
        r->have_validity = k >= 0;
        k = command_get_time_usec(c, "valid_until", &r->valid_until, error);
        if (k < 0 && k != -ENOENT)
                return k;
        r->have_validity = r->have_validity || k >= 0;
        return 0;
}

static int take_string(char **field, const char *s) {
        if (!s)
                return 0;
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

/* The bool of a switch: "value" ("ON"/"OFF", what Home Assistant's switch sends) or "enabled". */
static int switch_value(const Command *c, bool *ret, char **error) {
        int k = command_get_bool(c, "value", ret, error);

        if (k == -ENOENT)
                k = command_get_bool(c, "enabled", ret, error);
        return k == -ENOENT ? missing(error, "value") : k;
}

/* ---- listings -------------------------------------------------------------------------------- */

/* The reply's aa{sv} as {"<key>": [ … ]}; passcode digits only where the configuration allows. */
static int
reply_listing(Request *r, sd_bus_message *reply, const char *key, UsecStyle style, bool passcodes) {
        _cleanup_(json_object_putp) json_object *list = NULL, *data = NULL;
        int k;

        k = json_from_dict_array(reply, style, &list);
        if (k < 0)
                return k;
        if (passcodes && !r->bridge->config->publish_passcodes)
                for (size_t i = 0; i < json_object_array_length(list); i++)
                        json_object_object_del(json_object_array_get_idx(list, i), "code");
        data = json_object_new_object();
        if (!data || json_object_object_add(data, key, TAKE_PTR(list)) < 0)
                return -ENOMEM;
        request_finish(r, NULL, NULL, TAKE_PTR(data));
        return 0;
}

#define LISTING_HANDLER(fn, key, style, passcodes)                                                    \
        static int fn(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {               \
                Request *r = userdata;                                                                \
                int k;                                                                                \
                r->slot = sd_bus_slot_unref(r->slot);                                                 \
                if (reply_failed(r, reply))                                                           \
                        return 0;                                                                     \
                k = reply_listing(r, reply, key, style, passcodes);                                   \
                if (k < 0) {                                                                          \
                        log_warning_errno(k, "Cannot read the answer to %s: %m", r->command);         \
                        request_finish(                                                               \
                                r, "org.ttlock.Error.Failed", "Cannot read ttlockd's answer.", NULL); \
                }                                                                                     \
                return 0;                                                                             \
        }

LISTING_HANDLER(on_passcodes, "passcodes", USEC_AS_SECONDS, true)
LISTING_HANDLER(on_cards, "cards", USEC_AS_SECONDS, false)
LISTING_HANDLER(on_fingerprints, "fingerprints", USEC_AS_SECONDS, false)
LISTING_HANDLER(on_passage_modes, "modes", USEC_AS_SECONDS, false)
LISTING_HANDLER(on_history, "events", USEC_AS_ISO8601, false)

static int start_list_passcodes(Request *r, const Command *c, Lock *l, char **error) {
        return request_call(r, TTLOCK_CREDENTIALS_IFACE, "ListPasscodes", on_passcodes, NULL);
}

static int start_list_cards(Request *r, const Command *c, Lock *l, char **error) {
        return request_call(r, TTLOCK_CREDENTIALS_IFACE, "ListCards", on_cards, NULL);
}

static int start_list_fingerprints(Request *r, const Command *c, Lock *l, char **error) {
        return request_call(r, TTLOCK_CREDENTIALS_IFACE, "ListFingerprints", on_fingerprints, NULL);
}

static int start_get_passage_modes(Request *r, const Command *c, Lock *l, char **error) {
        return request_call(r, TTLOCK_SETTINGS_IFACE, "GetPassageModes", on_passage_modes, NULL);
}

static int start_get_history(Request *r, const Command *c, Lock *l, char **error) {
        uint64_t since = 0, max = 100;
        int k;

        k = command_get_time_usec(c, "since", &since, error);
        if (k < 0 && k != -ENOENT)
                return k;
        /* Settings1.GetHistory: at most 10000. */
        k = command_get_uint(c, "max", 1, 10000, &max, error);
        if (k < 0 && k != -ENOENT)
                return k;
        return request_call(r, TTLOCK_SETTINGS_IFACE, "GetHistory", on_history, "tu", since, (uint32_t) max);
}

/* ---- passcodes ------------------------------------------------------------------------------- */

static int on_alias_set(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        return on_reply_ok(reply, userdata, ret_error);
}

/* After AddPasscode/AddCard: name the new credential when an alias was asked for. */
static int on_added(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *r = userdata;
        int k;

        r->slot = sd_bus_slot_unref(r->slot);
        if (reply_failed(r, reply))
                return 0;
        if (!r->alias) {
                request_finish(r, NULL, NULL, NULL);
                return 0;
        }
        k = request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                "SetCredentialAlias",
                on_alias_set,
                "sss",
                r->kind,
                r->code,
                r->alias);
        if (k < 0)
                request_finish(r, "org.ttlock.Error.Failed", "Cannot ask ttlockd to set the alias.", NULL);
        return 0;
}

static int start_add_passcode(Request *r, const Command *c, Lock *l, char **error) {
        const char *code, *kind, *alias;
        int k;

        if ((k = required_string(c, "code", 16, &code, error)) < 0 ||
            (k = optional_string(c, "kind", 16, &kind, error)) < 0 ||
            (k = optional_string(c, "alias", 256, &alias, error)) < 0 || (k = validity(r, c, error)) < 0)
                return k;
        if (!kind)
                kind = r->valid_from || r->valid_until ? "period" : "permanent";
        if (take_string(&r->code, code) < 0 || take_string(&r->alias, alias) < 0 ||
            take_string(&r->kind, "passcode") < 0)
                return -ENOMEM;
        return request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                "AddPasscodeOfKind",
                on_added,
                "sstt",
                code,
                kind,
                r->valid_from,
                r->valid_until);
}

/* change-passcode and delete-passcode name the passcode by its digits ("code") or its alias: the
 * alias is looked up in ListPasscodes, so that a Home Assistant script need not hold the digits. */
typedef struct ListedPasscode {
        const char *code, *alias;
        uint64_t from, until;
} ListedPasscode;

static int listed_code(sd_bus_message *m, const char *key, void *userdata) {
        return bus_dict_read_basic(m, 's', &((ListedPasscode *) userdata)->code);
}

static int listed_alias(sd_bus_message *m, const char *key, void *userdata) {
        return bus_dict_read_basic(m, 's', &((ListedPasscode *) userdata)->alias);
}

static int listed_from(sd_bus_message *m, const char *key, void *userdata) {
        return bus_dict_read_basic(m, 't', &((ListedPasscode *) userdata)->from);
}

static int listed_until(sd_bus_message *m, const char *key, void *userdata) {
        return bus_dict_read_basic(m, 't', &((ListedPasscode *) userdata)->until);
}

/* The keys of ListPasscodes' entries (dbus/org.ttlock.Credentials1.xml) that matter here. */
static const BusDictField listed_passcode_fields[] = {
        { "code", listed_code },
        { "alias", listed_alias },
        { "valid-from-usec", listed_from },
        { "valid-until-usec", listed_until },
};

static int passcode_from_listing(Request *r, sd_bus_message *reply) {
        int k;

        k = sd_bus_message_enter_container(reply, 'a', "a{sv}");
        if (k < 0)
                return k;
        for (;;) {
                ListedPasscode p = {};

                k = sd_bus_message_peek_type(reply, NULL, NULL);
                if (k <= 0)
                        return k;
                k = bus_dict_read(reply, listed_passcode_fields, ELEMENTSOF(listed_passcode_fields), &p);
                if (k < 0)
                        return k;
                if (p.code &&
                    ((r->code && streq(p.code, r->code)) ||
                     (!r->code && p.alias && streq(p.alias, r->alias)))) {
                        if (!r->code && take_string(&r->code, p.code) < 0)
                                return -ENOMEM;
                        if (!r->have_validity) {
                                r->valid_from = p.from;
                                r->valid_until = p.until;
                        }
                        return 1;
                }
        }
}

static int on_passcode_found(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *r = userdata;
        int k;

        r->slot = sd_bus_slot_unref(r->slot);
        if (reply_failed(r, reply))
                return 0;
        k = passcode_from_listing(r, reply);
        if (k < 0) {
                request_finish(
                        r, "org.ttlock.Error.Failed", "Cannot read ttlockd's list of passcodes.", NULL);
                return 0;
        }
        if (k == 0) {
                request_finish(
                        r,
                        MQTT_ERROR_DOES_NOT_EXIST,
                        r->alias ? "No passcode has that alias." : "The lock has no such passcode.",
                        NULL);
                return 0;
        }
        if (streq(r->command, "delete-passcode"))
                k = request_call(r, TTLOCK_CREDENTIALS_IFACE, "DeletePasscode", on_reply_ok, "s", r->code);
        else
                k = request_call(
                        r,
                        TTLOCK_CREDENTIALS_IFACE,
                        "ChangePasscode",
                        on_reply_ok,
                        "sstt",
                        r->code,
                        r->new_code ?: r->code,
                        r->valid_from,
                        r->valid_until);
        if (k < 0)
                request_finish(r, "org.ttlock.Error.Failed", "Cannot call ttlockd.", NULL);
        return 0;
}

static int start_find_passcode(Request *r, const Command *c, Lock *l, char **error) {
        const char *code, *alias, *new_code = NULL;
        int k;

        if ((k = optional_string(c, "code", 16, &code, error)) < 0 ||
            (k = optional_string(c, "alias", 256, &alias, error)) < 0)
                return k;
        if (!!code == !!alias) {
                *error = strdup("name the passcode by \"code\" or by \"alias\"");
                return -EINVAL;
        }
        if (streq(r->command, "change-passcode")) {
                if ((k = optional_string(c, "new_code", 16, &new_code, error)) < 0 ||
                    (k = validity(r, c, error)) < 0)
                        return k;
                if (take_string(&r->new_code, new_code) < 0)
                        return -ENOMEM;
        }
        if (take_string(&r->code, code) < 0 || take_string(&r->alias, alias) < 0)
                return -ENOMEM;
        /* Deleting by its digits needs no listing. */
        if (code && streq(r->command, "delete-passcode"))
                return request_call(r, TTLOCK_CREDENTIALS_IFACE, "DeletePasscode", on_reply_ok, "s", code);
        return request_call(r, TTLOCK_CREDENTIALS_IFACE, "ListPasscodes", on_passcode_found, NULL);
}

/* ---- cards and fingerprints ------------------------------------------------------------------ */

static int start_add_card(Request *r, const Command *c, Lock *l, char **error) {
        const char *number, *alias;
        int k;

        if ((k = required_string(c, "number", 20, &number, error)) < 0 ||
            (k = optional_string(c, "alias", 256, &alias, error)) < 0 || (k = validity(r, c, error)) < 0)
                return k;
        if (take_string(&r->code, number) < 0 || take_string(&r->alias, alias) < 0 ||
            take_string(&r->kind, "ic-card") < 0)
                return -ENOMEM;
        return request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                "AddCard",
                on_added,
                "stt",
                number,
                r->valid_from,
                r->valid_until);
}

/* set-card-validity, set-fingerprint-validity */
static int start_set_validity(Request *r, const Command *c, Lock *l, char **error) {
        bool card = streq(r->command, "set-card-validity");
        const char *key = card ? "number" : "id", *id;
        int k;

        if ((k = required_string(c, key, 20, &id, error)) < 0 || (k = validity(r, c, error)) < 0)
                return k;
        return request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                card ? "SetCardValidity" : "SetFingerprintValidity",
                on_reply_ok,
                "stt",
                id,
                r->valid_from,
                r->valid_until);
}

/* delete-card, delete-fingerprint */
static int start_delete_credential(Request *r, const Command *c, Lock *l, char **error) {
        bool card = streq(r->command, "delete-card");
        const char *id;
        int k;

        if ((k = required_string(c, card ? "number" : "id", 20, &id, error)) < 0)
                return k;
        return request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                card ? "DeleteCard" : "DeleteFingerprint",
                on_reply_ok,
                "s",
                id);
}

static int on_enrollment_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *r = userdata;
        Lock *l;

        r->slot = sd_bus_slot_unref(r->slot);
        if (reply_failed(r, reply))
                return 0;
        /* Remember who asked, so that progress names the request and the alias is set at the end. */
        l = bridge_find_lock_by_id(r->bridge, r->level);
        if (l) {
                Enrollment *e = calloc(1, sizeof(Enrollment));
                if (e) {
                        e->request_id = json_object_get(r->id);
                        e->alias = TAKE_PTR(r->alias);
                        enrollment_free(l->enrollment);
                        l->enrollment = e;
                }
        }
        request_finish(r, NULL, NULL, NULL);
        return 0;
}

/* enroll-card, enroll-fingerprint: progress follows on <lock>/enrollment. */
static int start_enroll(Request *r, const Command *c, Lock *l, char **error) {
        bool card = streq(r->command, "enroll-card");
        const char *alias;
        int k;

        if ((k = optional_string(c, "alias", 256, &alias, error)) < 0 || (k = validity(r, c, error)) < 0)
                return k;
        if (take_string(&r->alias, alias) < 0)
                return -ENOMEM;
        return request_call(
                r,
                TTLOCK_CREDENTIALS_IFACE,
                card ? "StartCardEnrollment" : "StartFingerprintEnrollment",
                on_enrollment_started,
                "tt",
                r->valid_from,
                r->valid_until);
}

static int on_enrollment_alias(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                log_warning("Cannot name the enrolled credential: %s", e->name);
        return 0;
}

void manage_enrollment_status(
        Bridge *b,
        Lock *l,
        const char *kind,
        const char *status,
        uint32_t done,
        uint32_t total,
        const char *id) {
        Enrollment *e = l->enrollment;
        bool ended = !streq(status, "waiting") && !streq(status, "progress");

        publish_lock_enrollment(b, l, kind, status, done, total, id, e ? e->request_id : NULL);
        if (!e || !ended)
                return;
        if (streq(status, "completed") && e->alias && !isempty(id)) {
                int r = sd_bus_call_method_async(
                        b->bus,
                        NULL,
                        TTLOCK_BUS_NAME,
                        l->path,
                        TTLOCK_CREDENTIALS_IFACE,
                        "SetCredentialAlias",
                        on_enrollment_alias,
                        NULL,
                        "sss",
                        kind,
                        id,
                        e->alias);
                if (r < 0)
                        log_warning_errno(r, "Cannot name the enrolled credential: %m");
        }
        l->enrollment = enrollment_free(e);
}

static int start_set_credential_alias(Request *r, const Command *c, Lock *l, char **error) {
        const char *kind, *id, *alias;
        int k;

        if ((k = required_string(c, "kind", 16, &kind, error)) < 0 ||
            (k = required_string(c, "id", 32, &id, error)) < 0 ||
            (k = required_string(c, "alias", 256, &alias, error)) < 0)
                return k;
        return request_call(
                r, TTLOCK_CREDENTIALS_IFACE, "SetCredentialAlias", on_reply_ok, "sss", kind, id, alias);
}

/* ---- the lock and its settings --------------------------------------------------------------- */

static int start_set_alias(Request *r, const Command *c, Lock *l, char **error) {
        const char *alias;
        int k;

        if ((k = required_string(c, "alias", 256, &alias, error)) < 0)
                return k;
        return request_call(r, TTLOCK_LOCK_IFACE, "SetAlias", on_reply_ok, "s", alias);
}

static int start_set_auto_lock(Request *r, const Command *c, Lock *l, char **error) {
        uint64_t s;
        int k;

        k = command_get_uint(c, "seconds", 0, 65534, &s, error);
        if (k == -ENOENT)
                return missing(error, "seconds");
        if (k < 0)
                return k;
        return request_call(r, TTLOCK_SETTINGS_IFACE, "SetAutoLock", on_reply_ok, "u", (uint32_t) s);
}

/* set-sound, set-remote-unlock, set-tamper-alert, set-privacy-lock, set-reset-button */
static int start_set_switch(Request *r, const Command *c, Lock *l, char **error) {
        bool on;
        int k;

        k = switch_value(c, &on, error);
        if (k < 0)
                return k;
        for (LockSwitch s = 0; s < _LOCK_SWITCH_MAX; s++) {
                if (!streq(r->command + strlen("set-"), lock_switches[s].key))
                        continue;
                if (s == LOCK_SWITCH_SOUND) {
                        uint64_t volume = 0;

                        k = command_get_uint(c, "volume", 0, 5, &volume, error);
                        if (k < 0 && k != -ENOENT)
                                return k;
                        return request_call(
                                r,
                                TTLOCK_SETTINGS_IFACE,
                                "SetSound",
                                on_reply_ok,
                                "by",
                                (int) on,
                                (uint8_t) volume);
                }
                return request_call(
                        r, TTLOCK_SETTINGS_IFACE, lock_switches[s].method, on_reply_ok, "b", (int) on);
        }
        assert(false);
        return -EINVAL;
}

/* set-passage-modes: {"modes": [{"weekdays": [1, 2], "start_minute": 480, "end_minute": 1020}]} */
static int start_set_passage_modes(Request *r, const Command *c, Lock *l, char **error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        json_object *modes;
        size_t n;
        int k;

        if (!json_object_object_get_ex(c->root, "modes", &modes))
                return missing(error, "modes");
        if (!json_object_is_type(modes, json_type_array) || (n = json_object_array_length(modes)) > 32) {
                *error = strdup("\"modes\" must be a list of at most 32 windows");
                return -EINVAL;
        }
        k = sd_bus_message_new_method_call(
                r->bridge->bus, &m, TTLOCK_BUS_NAME, l->path, TTLOCK_SETTINGS_IFACE, "SetPassageModes");
        if (k >= 0)
                k = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (size_t i = 0; k >= 0 && i < n; i++) {
                json_object *w = json_object_array_get_idx(modes, i), *days, *start, *end;
                uint8_t d[7];
                size_t nd;

                if (!json_object_is_type(w, json_type_object) ||
                    !json_object_object_get_ex(w, "weekdays", &days) ||
                    !json_object_object_get_ex(w, "start_minute", &start) ||
                    !json_object_object_get_ex(w, "end_minute", &end) ||
                    !json_object_is_type(days, json_type_array) ||
                    (nd = json_object_array_length(days)) == 0 || nd > 7 ||
                    !json_object_is_type(start, json_type_int) || !json_object_is_type(end, json_type_int) ||
                    json_object_get_int64(start) < 0 || json_object_get_int64(start) >= 1440 ||
                    json_object_get_int64(end) < 0 || json_object_get_int64(end) >= 1440) {
                        *error =
                                strdup("each window needs \"weekdays\" (1 = Monday … 7 = Sunday), "
                                       "\"start_minute\" and \"end_minute\" (0–1439)");
                        return -EINVAL;
                }
                for (size_t j = 0; j < nd; j++) {
                        json_object *day = json_object_array_get_idx(days, j);
                        if (!json_object_is_type(day, json_type_int) || json_object_get_int64(day) < 1 ||
                            json_object_get_int64(day) > 7) {
                                *error = strdup("\"weekdays\" are numbers from 1 (Monday) to 7 (Sunday)");
                                return -EINVAL;
                        }
                        d[j] = (uint8_t) json_object_get_int64(day);
                }
                k = sd_bus_message_open_container(m, 'a', "{sv}");
                if (k >= 0)
                        k = sd_bus_message_open_container(m, 'e', "sv");
                if (k >= 0)
                        k = sd_bus_message_append(m, "s", "weekdays");
                if (k >= 0)
                        k = sd_bus_message_open_container(m, 'v', "ay");
                if (k >= 0)
                        k = sd_bus_message_append_array(m, 'y', d, nd);
                if (k >= 0)
                        k = sd_bus_message_close_container(m);
                if (k >= 0)
                        k = sd_bus_message_close_container(m);
                if (k >= 0)
                        k = sd_bus_message_append(
                                m,
                                "{sv}{sv}",
                                "start-minute",
                                "q",
                                (uint16_t) json_object_get_int64(start),
                                "end-minute",
                                "q",
                                (uint16_t) json_object_get_int64(end));
                if (k >= 0)
                        k = sd_bus_message_close_container(m);
        }
        if (k >= 0)
                k = sd_bus_message_close_container(m);
        if (k < 0)
                return k;
        (void) sd_bus_message_set_auto_start(m, false);
        return sd_bus_call_async(r->bridge->bus, &r->slot, m, on_reply_ok, r, CALL_TIMEOUT_USEC);
}

static int start_set_admin_passcode(Request *r, const Command *c, Lock *l, char **error) {
        const char *code;
        int k;

        if ((k = required_string(c, "code", 16, &code, error)) < 0)
                return k;
        return request_call(r, TTLOCK_SETTINGS_IFACE, "SetAdminPasscode", on_reply_ok, "s", code);
}

static int on_admin_passcode(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(json_object_putp) json_object *data = NULL;
        Request *r = userdata;
        const char *code;

        r->slot = sd_bus_slot_unref(r->slot);
        if (reply_failed(r, reply))
                return 0;
        if (sd_bus_message_read(reply, "s", &code) < 0 || !(data = json_object_new_object()) ||
            json_object_object_add(data, "code", json_object_new_string(code)) < 0) {
                request_finish(r, "org.ttlock.Error.Failed", "Cannot read ttlockd's answer.", NULL);
                return 0;
        }
        request_finish(r, NULL, NULL, TAKE_PTR(data));
        return 0;
}

static int start_get_admin_passcode(Request *r, const Command *c, Lock *l, char **error) {
        if (!r->bridge->config->publish_passcodes) {
                *error = strdup("passcode digits are not published (publish-passcodes = no)");
                return -EPERM;
        }
        return request_call(r, TTLOCK_SETTINGS_IFACE, "GetAdminPasscode", on_admin_passcode, NULL);
}

/* Commands without arguments: a method of the named interface. */
typedef struct NoArgs {
        const char *command, *iface, *method;
} NoArgs;

static const NoArgs no_args[] = {
        { "clear-passcodes", TTLOCK_CREDENTIALS_IFACE, "ClearPasscodes" },
        { "clear-cards", TTLOCK_CREDENTIALS_IFACE, "ClearCards" },
        { "clear-fingerprints", TTLOCK_CREDENTIALS_IFACE, "ClearFingerprints" },
        { "cancel-enrollment", TTLOCK_CREDENTIALS_IFACE, "CancelEnrollment" },
        { "sync-clock", TTLOCK_SETTINGS_IFACE, "SyncClock" },
        { "pair", TTLOCK_LOCK_IFACE, "Pair" },
        { "forget", TTLOCK_LOCK_IFACE, "Forget" },
        { "factory-reset", TTLOCK_LOCK_IFACE, "FactoryReset" },
        { "stop-discovery", TTLOCK_MANAGER_IFACE, "StopDiscovery" },
};

static int start_no_args(Request *r, const Command *c, Lock *l, char **error) {
        for (size_t i = 0; i < ELEMENTSOF(no_args); i++)
                if (streq(r->command, no_args[i].command))
                        return request_call(r, no_args[i].iface, no_args[i].method, on_reply_ok, NULL);
        assert(false);
        return -EINVAL;
}

/* ---- the bridge's own commands --------------------------------------------------------------- */

static int on_discovery_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *r = userdata;
        Bridge *b = r->bridge;

        r->slot = sd_bus_slot_unref(r->slot);
        if (reply_failed(r, reply))
                return 0;
        log_info("Discovering locks to pair (asked over MQTT).");
        bridge_discovery_started(b);
        request_finish(r, NULL, NULL, NULL);
        return 0;
}

static int start_start_discovery(Request *r, const Command *c, Lock *l, char **error) {
        return request_call(r, TTLOCK_MANAGER_IFACE, "StartDiscovery", on_discovery_started, NULL);
}

static int start_list_locks(Request *r, const Command *c, Lock *l, char **error) {
        _cleanup_(json_object_putp) json_object *data = json_object_new_object(),
                                                *list = json_object_new_array();
        Bridge *b = r->bridge;

        if (!data || !list)
                return -ENOMEM;
        for (size_t i = 0; i < b->n_locks; i++) {
                Lock *k = b->locks[i];
                LockPresence p = bridge_lock_presence(b, k);
                json_object *o;

                if (p == LOCK_PRESENCE_NONE)
                        continue;
                o = json_object_new_object();
                if (!o || json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                if (json_object_object_add(o, "id", json_object_new_string(k->id)) < 0 ||
                    json_object_object_add(o, "address", json_object_new_string(k->address)) < 0 ||
                    json_object_object_add(o, "name", json_object_new_string(lock_display_name(k))) < 0 ||
                    json_object_object_add(o, "paired", json_object_new_boolean(k->paired)) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(strempty_or(k->state))) < 0 ||
                    json_object_object_add(o, "battery", json_object_new_int(k->battery)) < 0)
                        return -ENOMEM;
        }
        if (json_object_object_add(data, "locks", TAKE_PTR(list)) < 0)
                return -ENOMEM;
        request_finish(r, NULL, NULL, TAKE_PTR(data));
        return 0;
}

/* ---- the tables ------------------------------------------------------------------------------ */

static const char *const K_NONE[] = { NULL };
static const char *const K_ADD_PASSCODE[] = { "code", "kind", "valid_from", "valid_until", "alias", NULL };
static const char *const K_CHANGE_PASSCODE[] = { "code",       "alias",       "new_code",
                                                 "valid_from", "valid_until", NULL };
static const char *const K_DELETE_PASSCODE[] = { "code", "alias", NULL };
static const char *const K_ADD_CARD[] = { "number", "valid_from", "valid_until", "alias", NULL };
static const char *const K_CARD_VALIDITY[] = { "number", "valid_from", "valid_until", NULL };
static const char *const K_CARD[] = { "number", NULL };
static const char *const K_FINGER_VALIDITY[] = { "id", "valid_from", "valid_until", NULL };
static const char *const K_FINGER[] = { "id", NULL };
static const char *const K_ENROLL[] = { "valid_from", "valid_until", "alias", NULL };
static const char *const K_CRED_ALIAS[] = { "kind", "id", "alias", NULL };
static const char *const K_ALIAS[] = { "alias", NULL };
static const char *const K_AUTO_LOCK[] = { "seconds", NULL };
static const char *const K_SOUND[] = { "value", "enabled", "volume", NULL };
static const char *const K_SWITCH[] = { "value", "enabled", NULL };
static const char *const K_PASSAGE[] = { "modes", NULL };
static const char *const K_HISTORY[] = { "since", "max", NULL };
static const char *const K_CODE[] = { "code", NULL };

static const ManageDef lock_commands[] = {
        { "list-passcodes", start_list_passcodes, K_NONE, true },
        { "add-passcode", start_add_passcode, K_ADD_PASSCODE, true },
        { "change-passcode", start_find_passcode, K_CHANGE_PASSCODE, true },
        { "delete-passcode", start_find_passcode, K_DELETE_PASSCODE, true },
        { "clear-passcodes", start_no_args, K_NONE, true },
        { "list-cards", start_list_cards, K_NONE, true },
        { "add-card", start_add_card, K_ADD_CARD, true },
        { "set-card-validity", start_set_validity, K_CARD_VALIDITY, true },
        { "delete-card", start_delete_credential, K_CARD, true },
        { "clear-cards", start_no_args, K_NONE, true },
        { "enroll-card", start_enroll, K_ENROLL, true },
        { "list-fingerprints", start_list_fingerprints, K_NONE, true },
        { "set-fingerprint-validity", start_set_validity, K_FINGER_VALIDITY, true },
        { "delete-fingerprint", start_delete_credential, K_FINGER, true },
        { "clear-fingerprints", start_no_args, K_NONE, true },
        { "enroll-fingerprint", start_enroll, K_ENROLL, true },
        { "cancel-enrollment", start_no_args, K_NONE, true },
        { "set-credential-alias", start_set_credential_alias, K_CRED_ALIAS, true },
        { "set-alias", start_set_alias, K_ALIAS, true },
        { "set-auto-lock", start_set_auto_lock, K_AUTO_LOCK, true },
        { "set-sound", start_set_switch, K_SOUND, true },
        { "set-remote-unlock", start_set_switch, K_SWITCH, true },
        { "set-tamper-alert", start_set_switch, K_SWITCH, true },
        { "set-privacy-lock", start_set_switch, K_SWITCH, true },
        { "set-reset-button", start_set_switch, K_SWITCH, true },
        { "sync-clock", start_no_args, K_NONE, true },
        { "get-passage-modes", start_get_passage_modes, K_NONE, true },
        { "set-passage-modes", start_set_passage_modes, K_PASSAGE, true },
        { "get-history", start_get_history, K_HISTORY, true },
        { "set-admin-passcode", start_set_admin_passcode, K_CODE, true },
        { "get-admin-passcode", start_get_admin_passcode, K_NONE, true },
        { "pair", start_no_args, K_NONE, false },
        { "forget", start_no_args, K_NONE, true },
        { "factory-reset", start_no_args, K_NONE, true },
};

static const ManageDef bridge_commands[] = {
        { "start-discovery", start_start_discovery, K_NONE, false },
        { "stop-discovery", start_no_args, K_NONE, false },
        { "list-locks", start_list_locks, K_NONE, false },
};

/* ---- from a message to a command ------------------------------------------------------------- */

/* Refuse: answer on result and log (rate-limited). */
static void
refuse(Bridge *b,
       const char *level,
       const char *command,
       json_object *id,
       const mosquitto_property *props,
       const char *error,
       const char *message) {
        _cleanup_free_ void *corr = NULL;
        uint16_t corr_len = 0;

        if (ratelimit_below(&b->refusal_log, now_monotonic_usec()))
                log_warning(
                        "MQTT command %s%s%s refused: %s: %s",
                        isempty(command) ? "(unread)" : command,
                        isempty(level) ? "" : " for ",
                        isempty(level) ? "" : level,
                        error,
                        strempty_or(message));
        if (props)
                (void) mosquitto_property_read_binary(
                        props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len, false);
        publish_result(b, level, command ?: "", id, corr, corr_len, error, message, NULL);
}

/* The checks every command goes through. Returns 0 with *c filled, or < 0 after refusing. */
static int accept_command(
        Bridge *b,
        const char *level,
        bool manage,
        const struct mosquitto_message *msg,
        const mosquitto_property *props,
        Command *c) {
        static const char *const plain[] = { "LOCK", "UNLOCK", "REFRESH", NULL };
        _cleanup_free_ char *error = NULL;
        uint32_t expiry = 0;
        int k;

        k = command_parse(msg->payload, (size_t) msg->payloadlen, manage ? NULL : plain, c, &error);
        if (msg->retain) {
                /* Parsed only to name it in the answer. */
                refuse(b,
                       level,
                       k >= 0 ? c->name : NULL,
                       k >= 0 ? c->id : NULL,
                       props,
                       MQTT_ERROR_RETAINED,
                       "A retained command is never carried out; it has been deleted from the broker.");
                /* Delete it, so that it is not handed to the next subscriber either. */
                (void) mqtt_client_publish(b->mqtt, msg->topic, "", 0, true, NULL);
                command_done(c);
                return -EPERM;
        }
        if (k == -EFBIG) {
                refuse(b, level, NULL, NULL, props, MQTT_ERROR_TOO_LARGE, error);
                return k;
        }
        if (k < 0) {
                refuse(b, level, NULL, NULL, props, MQTT_ERROR_INVALID_ARGS, error);
                return k;
        }
        k = command_check_age(
                c,
                props &&
                                mosquitto_property_read_int32(
                                        props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &expiry, false)
                        ? (int64_t) expiry
                        : -1,
                b->config->max_command_age_usec,
                now_realtime_usec(),
                &error);
        if (k < 0) {
                refuse(b, level, c->name, c->id, props, MQTT_ERROR_STALE, error);
                command_done(c);
                return k;
        }
        return 0;
}

static void
start(Bridge *b,
      const ManageDef *def,
      const char *level,
      const Command *c,
      const mosquitto_property *props) {
        _cleanup_free_ char *error = NULL;
        Lock *l = NULL;
        Request *r;
        int k;

        k = command_check_keys(c, def->keys, &error);
        if (k < 0) {
                refuse(b, level, c->name, c->id, props, MQTT_ERROR_INVALID_ARGS, error);
                return;
        }
        if (!b->owner || !b->synced) {
                refuse(b, level, c->name, c->id, props, MQTT_ERROR_NOT_READY, "ttlockd is not running.");
                return;
        }
        if (!isempty(level)) {
                l = bridge_find_lock_by_id(b, level);
                if (!l || bridge_lock_presence(b, l) == LOCK_PRESENCE_NONE) {
                        refuse(b,
                               level,
                               c->name,
                               c->id,
                               props,
                               MQTT_ERROR_DOES_NOT_EXIST,
                               "No such lock on this bridge.");
                        return;
                }
                if (def->needs_paired && !l->paired) {
                        refuse(b,
                               level,
                               c->name,
                               c->id,
                               props,
                               "org.ttlock.Error.NotPaired",
                               "The lock is not paired.");
                        return;
                }
        }
        if (b->n_requests >= BRIDGE_MAX_REQUESTS) {
                refuse(b,
                       level,
                       c->name,
                       c->id,
                       props,
                       MQTT_ERROR_BUSY,
                       "Too many commands are in progress.");
                return;
        }

        r = request_new(b, level, c->name, c->id, props);
        if (!r) {
                log_oom();
                return;
        }
        r->def = def;
        log_info("MQTT: %s%s%s.", c->name, l ? " for " : "", l ? l->address : "");
        k = def->start(r, c, l, &error);
        if (k == -EINVAL)
                request_finish(r, MQTT_ERROR_INVALID_ARGS, error, NULL);
        else if (k == -EPERM)
                request_finish(r, MQTT_ERROR_ACCESS_DENIED, error, NULL);
        else if (k < 0) {
                log_warning_errno(k, "Cannot carry out %s: %m", c->name);
                request_finish(r, "org.ttlock.Error.Failed", "Cannot call ttlockd.", NULL);
        }
}

/* UNLOCK with unlock-pin-file set: the code must match, and guessing is slowed down. */
static bool pin_ok(Bridge *b, const Command *c, const char *level, const mosquitto_property *props) {
        uint64_t now = now_monotonic_usec();

        if (!b->pin || !streq(c->name, "UNLOCK"))
                return true;
        if (pin_lockout_until > now) {
                refuse(b,
                       level,
                       c->name,
                       c->id,
                       props,
                       MQTT_ERROR_ACCESS_DENIED,
                       "Too many wrong codes; UNLOCK is refused for a minute.");
                return false;
        }
        if (c->code && mqtt_secret_equal(c->code, b->pin)) {
                pin_failures = 0;
                return true;
        }
        if (++pin_failures >= PIN_FAILURES_MAX) {
                pin_failures = 0;
                pin_lockout_until = now + PIN_LOCKOUT_USEC;
                log_warning(
                        "MQTT: %d wrong codes for UNLOCK; refusing UNLOCK for a minute.", PIN_FAILURES_MAX);
        }
        refuse(b,
               level,
               c->name,
               c->id,
               props,
               MQTT_ERROR_ACCESS_DENIED,
               c->code ? "Wrong code." : "A code is needed.");
        return false;
}

static const char *const K_PLAIN[] = { "code", NULL };

static int start_plain(Request *r, const Command *c, Lock *l, char **error) {
        const char *method = streq(r->command, "LOCK") ? "Lock"
                : streq(r->command, "UNLOCK")          ? "Unlock"
                                                       : "Refresh";

        return request_call(r, TTLOCK_LOCK_IFACE, method, on_reply_ok, NULL);
}

static const ManageDef plain_command = { "", start_plain, K_PLAIN, false };

void bridge_handle_command(
        Bridge *b,
        const char *level,
        bool manage,
        const struct mosquitto_message *msg,
        const mosquitto_property *props) {
        _cleanup_(command_done) Command c = {};
        const ManageDef *def = NULL;

        if (msg->payloadlen == 0)
                return; /* the deletion of a retained message, ours included */
        if (accept_command(b, level, manage, msg, props, &c) < 0)
                return;

        if (!manage) {
                if (!streq(c.name, "LOCK") && !streq(c.name, "UNLOCK") && !streq(c.name, "REFRESH")) {
                        refuse(b,
                               level,
                               c.name,
                               c.id,
                               props,
                               MQTT_ERROR_INVALID_ARGS,
                               "The command topic takes LOCK, UNLOCK or REFRESH; the rest goes to manage.");
                        return;
                }
                if (!pin_ok(b, &c, level, props))
                        return;
                start(b, &plain_command, level, &c, props);
                return;
        }

        if (!b->config->allow_manage) {
                refuse(b,
                       level,
                       c.name,
                       c.id,
                       props,
                       MQTT_ERROR_ACCESS_DENIED,
                       "Management over MQTT is off (allow-manage = no).");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(lock_commands); i++)
                if (streq(c.name, lock_commands[i].name))
                        def = &lock_commands[i];
        if (!def) {
                refuse(b, level, c.name, c.id, props, MQTT_ERROR_INVALID_ARGS, "Unknown command.");
                return;
        }
        start(b, def, level, &c, props);
}

void bridge_handle_bridge_manage(
        Bridge *b, const struct mosquitto_message *msg, const mosquitto_property *props) {
        _cleanup_(command_done) Command c = {};
        const ManageDef *def = NULL;

        if (msg->payloadlen == 0)
                return;
        if (accept_command(b, "", true, msg, props, &c) < 0)
                return;
        if (!b->config->allow_manage) {
                refuse(b,
                       "",
                       c.name,
                       c.id,
                       props,
                       MQTT_ERROR_ACCESS_DENIED,
                       "Management over MQTT is off (allow-manage = no).");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(bridge_commands); i++)
                if (streq(c.name, bridge_commands[i].name))
                        def = &bridge_commands[i];
        if (!def) {
                refuse(b, "", c.name, c.id, props, MQTT_ERROR_INVALID_ARGS, "Unknown command.");
                return;
        }
        start(b, def, "", &c, props);
}
