/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libgcrypt, set up once per process for every library of the project that uses it (the TTLock
 * protocol's AES, ESPHome's Noise). A program that set libgcrypt up itself, with its own policy,
 * keeps it. Returns 0, or -EIO when libgcrypt is older than the headers or refuses the set-up. */
int gcrypt_setup(void);
