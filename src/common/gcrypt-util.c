/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <gcrypt.h>
#include <stdbool.h>

#include "gcrypt-util.h"

int gcrypt_setup(void) {
        if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
                return 0;
        if (!gcry_check_version(GCRYPT_VERSION))
                return -EIO;
        /* Secure memory would need mlock() rights and prints warnings without them; the few bytes of
         * key material we hold are wiped with erase_memory() (macro.h) instead. */
        if (gcry_control(GCRYCTL_DISABLE_SECMEM, 0) != 0)
                return -EIO;
        if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0) != 0)
                return -EIO;
        return 0;
}
