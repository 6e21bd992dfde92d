/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Teach sd-bus the errnos of org.ttlock.Error.* so that a failed call's return value says which
 * exit code to use (exit_code_from_errno()). Call once before the first call. */
int ctl_error_map_register(void);
