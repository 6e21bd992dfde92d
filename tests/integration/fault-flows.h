/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The flows of the fault matrix and the engine that breaks them (world.h).
 *
 * fault_matrix() runs a flow once unharmed and takes the steps the simulated lock saw
 * (Sim1.TakeCommands()). Then, for each step in turn (each command at its first exchange, and at its
 * last when it was sent more than once), it arms one fault at that exchange (Sim1.InjectFault
 * "KIND@COMMAND#N", doc/protocol.md §4.1 names) and runs the flow again. Whatever the flow answers must
 * be an error its methods document (dbus/org.ttlock.*.xml), and afterwards:
 *  - the daemon keeps serving: the same flow, unharmed, succeeds;
 *  - the stored keys are intact and load (world_check_store(): the daemon's own loaders on a copy of
 *    its state directory), and the daemon holds keys exactly when the lock has our admin.
 *
 * The steps come from what the lock saw, not from a list: a new step in a flow is broken as soon as the
 * daemon takes it. TTLOCK_FAULT_FLOW=name limits a run to one flow. */

#include <stdbool.h>
#include <stddef.h>

#include "world.h"

typedef struct Flow {
        const char *name;
        const char *features; /* the simulated lock's, NULL = the default lock */
        /* Once, after the world started: bring the lock to where the flow starts. */
        void (*prepare)(World *w);
        /* The flow: NULL when it went through, else the error name (free()). */
        char *(*run)(World *w);
        /* Besides lock_errors, what run() may end in. */
        const char *const *errors;
        /* After a run (err = its outcome): prove that the daemon serves and bring the lock back to where
         * the flow starts. */
        void (*recover)(World *w, const char *err);
} Flow;

extern const Flow fault_flows[];
extern const size_t fault_n_flows;
const Flow *fault_flow(const char *name);
/* Not excluded by TTLOCK_FAULT_FLOW. */
bool fault_flow_wanted(const Flow *f);

/* Break every step of f with `count` exchanges of fault `kind` (a Sim1.InjectFault kind). */
void fault_matrix(const Flow *f, const char *kind, unsigned count);

/* The daemon holds confirmed keys exactly when the simulated lock has our admin (waiting for
 * provisional keys to settle), and the state directory loads. */
void fault_check_keys(World *w);
