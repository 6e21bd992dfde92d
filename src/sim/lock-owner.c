/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "addon-lockdata.h"
#include "frame.h"
#include "lock-owner.h"
#include "lockdata.h"
#include "log.h"
#include "sim-util.h"
#include "time-util.h"

void lock_owner_apply(SimLock *l, const SimLockSpec *spec) {
        l->admin_uid = spec->uid;
        l->ekey_uid = spec->ekey_uid;
        l->ekey_from = spec->ekey_from;
        l->ekey_until = spec->ekey_until;
        l->ekey_has_flag_pos = spec->ekey_has_flag_pos;
        l->ekey_flag_pos = spec->ekey_flag_pos;
        if (!spec->paired)
                return;
        l->paired = true;
        memcpy(l->key, spec->key, sizeof(l->key));
        l->admin_ps = spec->admin_ps;
        l->unlock_key = spec->unlock_key;
        l->lock_flag_pos = spec->lock_flag_pos;
        memcpy(l->admin_passcode, spec->admin_passcode, sizeof(l->admin_passcode));
}

/* The zone the lock's clock shows: the host's (lock-clock.c), with DST as Java's
 * TimeZone.getOffset(now) has it. */
static int64_t zone_offset_ms(void) {
        time_t t = time(NULL);
        struct tm tm;

        return localtime_r(&t, &tm) ? (int64_t) tm.tm_gmtoff * 1000 : 0;
}

static int to_lockdata(const SimLock *l, bool ekey, TTLockData **ret) {
        _cleanup_(ttlock_lockdata_freep) TTLockData *d = ttlock_lockdata_new();
        TTFrameHeader h = TTLOCK_V3_LOCK_HEADER(0);

        if (!d)
                return -ENOMEM;
        memcpy(d->address, l->address_str, sizeof(d->address));
        d->name = strdup(l->name);
        d->model = strdup(l->model);
        d->hardware_revision = strdup(l->hardware);
        d->firmware_revision = strdup(l->firmware);
        if (!d->name || !d->model || !d->hardware_revision || !d->firmware_revision)
                return -ENOMEM;
        memcpy(d->aes_key, l->key, sizeof(d->aes_key));
        d->unlock_key = l->unlock_key;
        if (ekey) {
                /* An eKey is the admin's AES key and unlockKey without adminPwd (doc/lockdata.md §4). */
                d->role = TTLOCK_ROLE_USER;
                d->user_type = TTLOCK_USER_TYPE_EKEY;
                d->uid = l->ekey_uid;
                d->lock_flag_pos = l->ekey_has_flag_pos ? l->ekey_flag_pos : l->lock_flag_pos;
                d->start_usec = (uint64_t) l->ekey_from * USEC_PER_SEC;
                d->end_usec = (uint64_t) l->ekey_until * USEC_PER_SEC;
        } else {
                d->role = TTLOCK_ROLE_ADMIN;
                d->user_type = TTLOCK_USER_TYPE_ADMIN;
                d->has_admin_ps = true;
                d->admin_ps = l->admin_ps;
                d->uid = l->admin_uid;
                d->lock_flag_pos = l->lock_flag_pos;
                if (!isempty(l->admin_passcode)) {
                        d->admin_passcode = strdup(l->admin_passcode);
                        if (!d->admin_passcode)
                                return -ENOMEM;
                }
        }
        /* The tuple the lock's own replies carry (frame.h). */
        d->has_version = true;
        d->protocol_type = h.protocol_type;
        d->protocol_version = h.sub_version;
        d->scene = h.scene;
        d->group_id = h.group_id;
        d->org_id = h.org_id;
        d->has_features = true;
        d->features = l->features;
        d->has_timezone_offset = true;
        d->timezone_offset_ms = zone_offset_ms();
        d->battery = l->battery;
        *ret = TAKE_PTR(d);
        return 0;
}

int lock_owner_print(Sim *s, const char *kind, FILE *f) {
        TTLockData **all = NULL;
        size_t n = 0;
        int r = 0;

        all = new0(TTLockData *, s->n_locks);
        if (!all)
                return log_oom();
        for (size_t i = 0; i < s->n_locks && r >= 0; i++) {
                if (!s->locks[i]->paired)
                        continue;
                r = to_lockdata(s->locks[i], streq(kind, "ekey"), &all[n]);
                if (r >= 0)
                        n++;
        }
        if (r >= 0 && n == 0) {
                log_error(
                        "No lock is paired: give one its keys with --lock "
                        "aes-key=…,admin-ps=…,unlock-key=…");
                r = -ENOENT;
        }
        if (r >= 0 && streq(kind, "addon")) {
                char *text = NULL;
                TTError e = {};

                r = ttlock_addon_lockdata_encode(all, n, &text, &e);
                if (r < 0)
                        log_error("Cannot write the add-on's file: %s", tt_error_message(&e));
                else
                        fprintf(f, "%s\n", text);
                ttlock_lockdata_text_free(text);
        } else
                for (size_t i = 0; i < n && r >= 0; i++) {
                        char *text = NULL;
                        TTError e = {};

                        r = ttlock_lockdata_encode(all[i], &text, &e);
                        if (r < 0)
                                log_error(
                                        "%s: cannot encode its lockData: %s",
                                        all[i]->address,
                                        tt_error_message(&e));
                        else
                                fprintf(f, "%s\n", text);
                        ttlock_lockdata_text_free(text);
                }
        for (size_t i = 0; i < n; i++)
                ttlock_lockdata_free(all[i]);
        free(all);
        if (r >= 0 && fflush(f) != 0)
                r = log_error_errno(errno, "Cannot write the lockData: %m");
        return r;
}
