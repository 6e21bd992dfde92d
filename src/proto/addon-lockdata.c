/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "addon-lockdata.h"
#include "hex.h"
#include "lockdata-internal.h"
#include "string-util.h"

int ttlock_addon_lockdata_from_json(struct json_object *o, TTLockData **ret, TTError *e) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = NULL;
        struct json_object *private, *admin;
        const char *s;
        int64_t x;
        int r;

        assert(o);
        assert(ret);

        if (!json_object_is_type(o, json_type_object))
                return tt_error(e, -EBADMSG, "expected a JSON object, got %s", lockdata_json_type_name(o));

        d = ttlock_lockdata_new();
        if (!d)
                return tt_error(e, -ENOMEM, "out of memory");
        d->source = TTLOCK_LOCKDATA_FORMAT_ADDON;
        d->role = TTLOCK_ROLE_ADMIN;

        r = lockdata_json_get_address(o, "address", d->address, e);
        if (r < 0)
                return r;
        if (r == 0)
                return tt_error(e, -EBADMSG, "no address: which lock is this for?");

        private = lockdata_json_member(o, "privateData");
        if (!private || !json_object_is_type(private, json_type_object))
                return tt_error(
                        e,
                        -EBADMSG,
                        "privateData: expected an object, got %s",
                        private ? lockdata_json_type_name(private) : "nothing");

        /* TTLock.getLockData: privateData.aesKey is Buffer.toString("hex"). */
        r = lockdata_json_get_string(private, "aesKey", 64, &s, e);
        if (r < 0)
                return r;
        if (r == 0 || isempty(s))
                return tt_error(e, -EBADMSG, "privateData.aesKey: missing (the lock was never paired)");
        r = lockdata_parse_aes_key("privateData.aesKey", s, d->aes_key, e);
        if (r < 0)
                return r;

        /* AdminType: {adminPs: number, unlockKey: number}, written with writeInt32BE in AddAdminCommand
         * and drawn below 10^8; a uint32 covers whatever the lock accepted. */
        admin = lockdata_json_member(private, "admin");
        if (!admin || !json_object_is_type(admin, json_type_object))
                return tt_error(
                        e,
                        -EBADMSG,
                        "privateData.admin: expected an object, got %s",
                        admin ? lockdata_json_type_name(admin) : "nothing");
        r = lockdata_json_get_int(admin, "adminPs", 0, UINT32_MAX, &x, e);
        if (r <= 0)
                return r < 0 ? r : tt_error(e, -EBADMSG, "privateData.admin.adminPs: missing");
        d->admin_ps = (uint32_t) x;
        d->has_admin_ps = true;
        r = lockdata_json_get_int(admin, "unlockKey", 0, UINT32_MAX, &x, e);
        if (r <= 0)
                return r < 0 ? r : tt_error(e, -EBADMSG, "privateData.admin.unlockKey: missing");
        d->unlock_key = (uint32_t) x;

        r = lockdata_json_get_string(private, "adminPasscode", 128, &s, e);
        if (r < 0)
                return r;
        if (r > 0 && !isempty(s)) {
                r = lockdata_parse_admin_passcode("privateData.adminPasscode", s, &d->admin_passcode, e);
                if (r < 0)
                        return r;
        }

        /* The add-on writes -1 until it has read the battery. */
        r = lockdata_json_get_int(o, "battery", -1, 100, &x, e);
        if (r < 0)
                return r;
        if (r > 0)
                d->battery = (int) x;

        *ret = TAKE_PTR(d);
        return 0;
}

int ttlock_addon_lockdata_encode(TTLockData *const *locks, size_t n, char **ret, TTError *e) {
        struct json_object *array;
        const char *text;
        size_t len = 0;
        char *copy;
        int r = 0;

        assert(locks || n == 0);
        assert(ret);

        array = json_object_new_array();
        if (!array)
                return tt_error(e, -ENOMEM, "out of memory");

        for (size_t i = 0; i < n && r >= 0; i++) {
                const TTLockData *d = locks[i];
                struct json_object *o, *private, *admin;
                char hex[2 * TTLOCK_LOCKDATA_KEY_SIZE + 1];

                if (d->role != TTLOCK_ROLE_ADMIN || !d->has_admin_ps) {
                        r = tt_error(e, -EINVAL, "%s: the add-on holds admin keys only", d->address);
                        break;
                }
                o = json_object_new_object();
                private = json_object_new_object();
                admin = json_object_new_object();
                if (!o || !private || !admin || json_object_array_add(array, o) < 0) {
                        json_object_put(o);
                        json_object_put(private);
                        json_object_put(admin);
                        r = tt_error(e, -ENOMEM, "out of memory");
                        break;
                }
                (void) bytes_to_hex(d->aes_key, sizeof(d->aes_key), hex);
                /* The members in the order TTLock.getLockData builds them. */
                r = json_object_object_add(o, "address", json_object_new_string(d->address));
                r = r ?: json_object_object_add(o, "battery", json_object_new_int(d->battery));
                r = r ?: json_object_object_add(o, "rssi", json_object_new_int(0));
                r = r ?: json_object_object_add(o, "autoLockTime", json_object_new_int(-1));
                r = r ?: json_object_object_add(o, "lockedStatus", json_object_new_int(-1));
                r = r ?: json_object_object_add(private, "aesKey", json_object_new_string(hex));
                r = r ?: json_object_object_add(admin, "adminPs", json_object_new_int64(d->admin_ps));
                r = r ?: json_object_object_add(admin, "unlockKey", json_object_new_int64(d->unlock_key));
                r = r ?: json_object_object_add(private, "admin", admin);
                if (r < 0)
                        json_object_put(admin);
                if (r >= 0 && d->admin_passcode)
                        r = json_object_object_add(
                                private, "adminPasscode", json_object_new_string(d->admin_passcode));
                r = r ?: json_object_object_add(private, "pwdInfo", json_object_new_array());
                r = r ?: json_object_object_add(o, "privateData", private);
                if (r < 0) {
                        json_object_put(private);
                        r = tt_error(e, -ENOMEM, "out of memory");
                }
                r = r ?: json_object_object_add(o, "operationLog", json_object_new_array());
                erase_memory(hex, sizeof(hex));
        }
        if (r < 0) {
                ttlock_lockdata_json_free(array);
                return r;
        }

        text = json_object_to_json_string_length(
                array, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        copy = text ? strndup(text, len) : NULL;
        if (text)
                erase_memory((char *) text, len);
        ttlock_lockdata_json_free(array);
        if (!copy)
                return tt_error(e, -ENOMEM, "out of memory");
        *ret = copy;
        return 0;
}
