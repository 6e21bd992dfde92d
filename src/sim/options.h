/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The command line (see ttlock-sim(1)). */

#include <stdbool.h>
#include <stddef.h>

#include "esphome-proxy.h"
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

        /* Paired earlier by someone else, e.g. the official app (aes-key=, admin-ps=, unlock-key=, or
         * keys=FILE): what ADD_ADMIN stored, the flag position, and the admin's uid. Wiped by
         * options_done(). */
        bool paired;
        uint8_t key[TTLOCK_KEY_SIZE];
        uint32_t admin_ps;
        uint32_t unlock_key;
        uint32_t lock_flag_pos;
        uint32_t uid;
        char admin_passcode[17];
        /* The eKey --print-lockdata=ekey describes (ekey-uid=, ekey-from=, ekey-until=, ekey-flag-pos=). */
        uint32_t ekey_uid;
        int64_t ekey_from;
        int64_t ekey_until;
        bool ekey_has_flag_pos;
        uint32_t ekey_flag_pos;
} SimLockSpec;

typedef struct SimOptions {
        char *bus_address;
        char *state_path;
        SimTiming timing;
        bool experimental; /* BlueZ's experimental interfaces, as bluetoothd -E */
        SimLockSpec *locks;
        size_t n_locks;
        SimProxySpec *proxies;
        size_t n_proxies;
        unsigned n_adapters;
        int log_level;
        char *print_lockdata; /* --print-lockdata=admin|ekey|addon: print, then exit */
} SimOptions;

/* 1 = run, 0 = exit successfully (--help, --version), < 0 = error (already reported). */
int options_parse(int argc, char *argv[], SimOptions *ret);
void options_done(SimOptions *o);
/* The defaults of a --lock spec, for lock number index (generated MACs). */
void options_default_lock(SimLockSpec *spec, unsigned index);
/* Parses one "key=value,…" spec; -EINVAL with the reason in *ret_error (static string). */
int options_parse_lock(const char *text, unsigned index, SimLockSpec *ret, char *error, size_t error_size);
