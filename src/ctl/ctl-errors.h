/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

/* Print "ttlockctl: <message>" to stderr and return r (a negative errno). */
int ctl_error(int r, const char *format, ...) _printf_(2, 3);
/* Print "ttlockctl: <D-Bus error name>: <message>" and return r. */
int ctl_bus_error(const sd_bus_error *error, int r);

/* Teach sd-bus the errnos of org.ttlock.Error.* so that a failed call's return value says which
 * exit code to use (exit_code_from_errno()). Call once before the first call. */
int ctl_error_map_register(void);
