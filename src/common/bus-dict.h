/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading an a{sv} dictionary — BlueZ's properties and options, the option arguments of our own
 * methods — through a table of the keys the reader cares about, so that no
 * program hand-writes the enter/read/skip/exit loop again. */

#include <stddef.h>
#include <systemd/sd-bus.h>

typedef struct BusDictField {
        /* The key; NULL marks a catch-all for every key not named before it (it must come last). */
        const char *key;
        /* Reads (or skips) the variant m is at; key is the entry's key. < 0 stops the walk. */
        int (*parse)(sd_bus_message *m, const char *key, void *userdata);
} BusDictField;

/* Reads the a{sv} at m. An entry whose key is not in fields is skipped, unless the table ends with a
 * catch-all. Returns the number of entries, or the first error (of sd-bus or of a parse()). */
int bus_dict_read(sd_bus_message *m, const BusDictField *fields, size_t n_fields, void *userdata);

/* The variant at m, if it holds exactly the basic type (e.g. 's', 'b', 'y', 'q', 'n', 'o'): read into
 * ret (as sd_bus_message_read_basic() would: 'b' into an int) and 1; otherwise skipped and 0. < 0 on
 * a malformed message. */
int bus_dict_read_basic(sd_bus_message *m, char type, void *ret);

/* A parse() that skips the value: for keys accepted without effect. */
int bus_dict_skip(sd_bus_message *m, const char *key, void *userdata);

/* Reads the a{sa{sv}} at m: one object's interfaces with their properties, as GetManagedObjects and
 * InterfacesAdded carry them. parse() is called for each interface with m at its a{sv}, which it must
 * read (bus_dict_read()) or skip. Returns the number of interfaces, or the first error. */
int bus_interfaces_read(sd_bus_message *m, int (*parse)(sd_bus_message *m, const char *interface, void *userdata),
                        void *userdata);
