/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The command line (see ttlock-sim(1)). */

#include <stdbool.h>
#include <stddef.h>

#include "sim.h"

typedef struct SimLockSpec {
        uint8_t address[6];
        char name[SIM_NAME_MAX]; /* "" = <model>_<hex of MAC bytes 6,5,4> */
        char model[SIM_MODEL_MAX];
        char hardware[SIM_MODEL_MAX];
        char firmware[SIM_MODEL_MAX];
        TTFeatures features;
        uint8_t battery;
        int16_t rssi;
        size_t slots;
        bool locked;
} SimLockSpec;

typedef struct SimOptions {
        char *bus_address;
        char *state_path;
        SimTiming timing;
        bool experimental; /* BlueZ's experimental interfaces, as bluetoothd -E */
        SimLockSpec *locks;
        size_t n_locks;
        int log_level;
} SimOptions;

/* 1 = run, 0 = exit successfully (--help, --version), < 0 = error (already reported). */
int options_parse(int argc, char *argv[], SimOptions *ret);
void options_done(SimOptions *o);
/* The defaults of a --lock spec, for lock number index (generated MACs). */
void options_default_lock(SimLockSpec *spec, unsigned index);
/* Parses one "key=value,…" spec; -EINVAL with the reason in *ret_error (static string). */
int options_parse_lock(const char *text, unsigned index, SimLockSpec *ret, char *error, size_t error_size);
