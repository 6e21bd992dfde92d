/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The admin login macro (doc/protocol.md §5.2) as two steps that an operation's state machine calls:
 * CHECK_ADMIN (0x41) → psFromLock → CHECK_RANDOM (0x30, psFromLock + unlockKey). After a SUCCESS
 * reply to CHECK_RANDOM the connection is admin-authenticated for every "A" command of §4.1 until it
 * drops (§5), so an operation logs in once at the start of its job.
 *
 * An eKey logs in the same way with CHECK_USER_TIME (0x55) instead of CHECK_ADMIN: that proves its AES
 * key, flag position and window, and CHECK_RANDOM its unlock key, without moving the bolt; it makes no
 * administrator (doc/lockdata.md §4). op_login_send() picks the challenge by keys->user. */

#include "link.h"
#include "ops-common.h"

/* Send CHECK_ADMIN; handler receives its reply. 0 or a negative errno (nothing was sent). */
int op_login_send_admin(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata);
/* Send CHECK_USER_TIME with keys' window, flag position and uid. */
int op_login_send_user(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata);
/* The challenge of these keys: CHECK_USER_TIME for an eKey, else CHECK_ADMIN. */
int op_login_send(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata);
uint8_t op_login_challenge(const OpKeys *keys);

/* In the challenge's reply handler (op_login_challenge(keys)): judge the reply, decode psFromLock and
 * send CHECK_RANDOM, whose reply goes to handler. Returns 0 when sent; otherwise fills st and returns
 * its error. */
int op_login_send_random(
        LinkJob *job,
        const OpKeys *keys,
        int error,
        const TTReply *reply,
        OpStatus *st,
        LinkReplyHandler handler,
        void *userdata);
