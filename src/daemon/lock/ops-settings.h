/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lock's settings (doc/protocol.md §4.3, §5.5) as one small state machine over a LinkJob: admin
 * login (§5.2), then the command(s) of the action, replies judged with op_check_reply(). No sd-bus:
 * the outcome goes to a completion callback (doc/architecture.md "Which way the arrows run").
 *
 *  SETTINGS_AUTO_LOCK      AUTO_LOCK_MANAGE 0x36 set
 *  SETTINGS_SOUND          AUDIO_MANAGE 0x62 set, with the volume form when volume ≠ 0
 *  SETTINGS_REMOTE_UNLOCK  CONTROL_REMOTE_UNLOCK 0x37 set
 *  SETTINGS_SWITCH         SWITCH 0x68 read-modify-write of one item (tamper, privacy, reset button);
 *                          an item the lock does not list as supported fails with -EOPNOTSUPP
 *  SETTINGS_PASSAGE_GET    CONFIGURE_PASSAGE_MODE 0x66 query, every page
 *  SETTINGS_PASSAGE_SET    0x66 clear, then one add per record (the official SDK adds one record
 *                          per weekday, §4.3)
 *  SETTINGS_CLOCK_CHECK    GET_LOCK_TIME 0x34 (no login); only when the lock's clock is off by more
 *                          than clock_tolerance_sec: login + TIME_CALIBRATE 0x43 + 0x34 again
 *  SETTINGS_CLOCK_SYNC     the same, calibrating whatever the offset
 *  SETTINGS_ADMIN_CODE_GET GET_ADMIN_CODE 0x65
 *  SETTINGS_ADMIN_CODE_SET SET_ADMIN_KEYBOARD_PWD 0x53
 *  SETTINGS_FREEZE         FREEZE_LOCK 0x61 set (§4.8)
 *  SETTINGS_PASSAGE_NOW    0x66 add (enabled) or delete (disabled) of the one every-day record that
 *                          PassageModeActive stands for (§4.8); the other records stay as they are,
 *                          and deleting a record the lock does not have (RECORD_NOT_EXIST) is done */

#include <stdbool.h>
#include <stdint.h>

#include "credentials.h"
#include "link.h"
#include "ops-common.h"
#include "settings.h"

typedef enum SettingsAction {
        SETTINGS_AUTO_LOCK,
        SETTINGS_SOUND,
        SETTINGS_REMOTE_UNLOCK,
        SETTINGS_SWITCH,
        SETTINGS_PASSAGE_GET,
        SETTINGS_PASSAGE_SET,
        SETTINGS_CLOCK_CHECK,
        SETTINGS_CLOCK_SYNC,
        SETTINGS_ADMIN_CODE_GET,
        SETTINGS_ADMIN_CODE_SET,
        SETTINGS_FREEZE,
        SETTINGS_PASSAGE_NOW,
        _SETTINGS_ACTION_MAX,
} SettingsAction;

/* A bound on what one SetPassageModes() may ask the lock to store (and on what a query may return). */
#define SETTINGS_PASSAGE_RECORDS_MAX 64U

typedef struct SettingsRequest {
        SettingsAction action;
        uint16_t seconds;     /* AUTO_LOCK */
        bool enabled;         /* SOUND, REMOTE_UNLOCK, SWITCH, FREEZE, PASSAGE_NOW */
        uint8_t volume;       /* SOUND: 1…5, 0 = leave the volume alone (the short form [02][0|1]) */
        uint32_t switch_item; /* SWITCH: one TTLockSwitchItem */
        TTPassageModeRecord records[SETTINGS_PASSAGE_RECORDS_MAX]; /* PASSAGE_SET */
        size_t n_records;
        int64_t clock_tolerance_sec;              /* CLOCK_CHECK */
        char admin_code[TTLOCK_PASSCODE_MAX + 1]; /* ADMIN_CODE_SET: 4–9 digits */
} SettingsRequest;

typedef struct SettingsResult {
        OpStatus status; /* error 0 = done */
        bool have_battery;
        uint8_t battery;
        /* PASSAGE_GET */
        TTPassageModeRecord records[SETTINGS_PASSAGE_RECORDS_MAX];
        size_t n_records;
        /* SWITCH: the values word after the change */
        uint32_t switch_values;
        /* CLOCK_*: lock clock − host clock, in seconds, as last measured (after a calibration if there
         * was one) */
        bool have_clock_offset;
        int64_t clock_offset_sec;
        bool calibrated;
        /* ADMIN_CODE_GET: "" = none set */
        char admin_code[TTLOCK_PASSCODE_MAX + 1];
} SettingsResult;

typedef struct SettingsOp SettingsOp;
typedef void (*SettingsDone)(const SettingsResult *result, void *userdata);

/* The request is copied. done is called once, after the job has left the link; the operation is freed
 * right after. */
int settings_op_start(
        Link *link,
        const OpKeys *keys,
        const SettingsRequest *req,
        SettingsDone done,
        void *userdata,
        SettingsOp **ret);
/* Stop without calling done (the owner is going away). */
void settings_op_cancel(SettingsOp *op);

/* The passage-mode record that stands for "passage mode now" (doc/protocol.md §4.8): weekly, weekday 0
 * (every day), month byte 7F, 00:00–23:59. The D-Bus API's own schedules never use weekday 0, so the record
 * is ours wherever it shows up in a query. */
void settings_passage_now_record(TTPassageModeRecord *ret);
bool settings_passage_record_is_now(const TTPassageModeRecord *r);

/* Lock-local wall clock (§4.2) minus the host's, both read now, in seconds. */
int64_t settings_clock_offset(const TTDateTime *lock_time);
