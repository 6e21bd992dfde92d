/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The admin login macro (doc/protocol.md §5.2) as two steps that an operation's state machine calls:
 * CHECK_ADMIN (0x41) → psFromLock → CHECK_RANDOM (0x30, psFromLock + unlockKey). After a SUCCESS
 * reply to CHECK_RANDOM the connection is admin-authenticated for every "A" command of §4.1 until it
 * drops (§5), so an operation logs in once at the start of its job. */

#include "link.h"
#include "ops-common.h"

/* Send CHECK_ADMIN; handler receives its reply. 0 or a negative errno (nothing was sent). */
int op_login_send_admin(LinkJob *job, const OpKeys *keys, LinkReplyHandler handler, void *userdata);

/* In the CHECK_ADMIN reply handler: judge the reply, decode psFromLock and send CHECK_RANDOM, whose
 * reply goes to handler. Returns 0 when sent; otherwise fills st and returns its error. */
int op_login_send_random(
        LinkJob *job,
        const OpKeys *keys,
        int error,
        const TTReply *reply,
        OpStatus *st,
        LinkReplyHandler handler,
        void *userdata);
