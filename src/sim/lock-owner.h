/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A lock that already belongs to someone: paired earlier by the official app (or the old Home
 * Assistant add-on), so that its keys come from the command line instead of a pairing over the air,
 * and the keys those owners hold, printed the way they hold them (doc/lockdata.md): the admin's and
 * an eKey's lockData string, or the add-on's lockData.json. */

#include <stdio.h>

#include "options.h"
#include "sim.h"

/* What --lock aes-key=…/keys=FILE and ekey-…= say: the lock's flash as ADD_ADMIN left it. */
void lock_owner_apply(SimLock *l, const SimLockSpec *spec);

/* --print-lockdata=admin|ekey|addon: one lockData string per paired lock (admin, ekey), or one
 * lockData.json for all of them (addon). -ENOENT when no lock is paired. */
int lock_owner_print(Sim *s, const char *kind, FILE *f);
