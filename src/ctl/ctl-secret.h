/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Secrets that ttlockctl must not take on its command line, where every local user sees them
 * (/proc/PID/cmdline): a passcode or admin passcode given as "-" is read from standard input instead,
 * with the terminal's echo off when it is one (ttlockctl(1) "Passcodes"). No bus; unit tested alone
 * (tests/ctl/test-ctl-secret.c). */

#include <stddef.h>
#include <stdio.h>

/* Room for a secret of ttlockctl: passcodes have 4 to 9 digits; longer input is refused, not cut. */
#define CTL_SECRET_MAX 64

/* One line from fd, without its line ending, into buf (size bytes, NUL-terminated). When fd is a
 * terminal, prompt goes to prompt_to and the terminal does not echo what is typed (the newline still
 * shows); the terminal's settings are put back before returning, also after Ctrl-C (then the result is
 * -EINTR). Reads byte by byte, so that a second call gets the next line. -ENODATA: the line is empty
 * or there is none; -E2BIG: longer than size - 1 (the rest of the line is still consumed). */
int ctl_read_secret(int fd, FILE *prompt_to, const char *prompt, char *buf, size_t size);
