/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* --state FILE: what the simulated locks keep in flash (pairing, settings, clock offset,
 * credentials, operation log), as YAML, so that they stay paired across restarts. Written atomically
 * (temp file, fsync, rename, fsync of the directory) at most once per event-loop iteration. The
 * format is the simulator's own; see ttlock-sim(1). */

#include "sim.h"

#define SIM_STATE_VERSION 1

/* Applies the file to the locks given on the command line (by address); a missing file is fine. */
int state_load(Sim *s);
void state_schedule_save(Sim *s);
int state_flush(Sim *s);
int state_save(Sim *s);
void state_free(Sim *s);
