/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>

#include "command.h"

const char *ttlock_command_name(uint8_t code) {
        switch (code) {
        case TTLOCK_CMD_SEARCH_DEVICE_FEATURE: return "SEARCH_DEVICE_FEATURE";
        case TTLOCK_CMD_ENTER_DFU_MODE: return "ENTER_DFU_MODE";
        case TTLOCK_CMD_MANAGE_KEYBOARD_PASSWORD: return "MANAGE_KEYBOARD_PASSWORD";
        case TTLOCK_CMD_GET_VALID_KEYBOARD_PASSWORD: return "GET_VALID_KEYBOARD_PASSWORD";
        case TTLOCK_CMD_IC_MANAGE: return "IC_MANAGE";
        case TTLOCK_CMD_FR_MANAGE: return "FR_MANAGE";
        case TTLOCK_CMD_PWD_LIST: return "PWD_LIST";
        case TTLOCK_CMD_SEARCH_BICYCLE_STATUS: return "SEARCH_BICYCLE_STATUS";
        case TTLOCK_CMD_GET_AES_KEY: return "GET_AES_KEY";
        case TTLOCK_CMD_GET_OPERATE_LOG: return "GET_OPERATE_LOG";
        case TTLOCK_CMD_CHECK_RANDOM: return "CHECK_RANDOM";
        case TTLOCK_CMD_INIT_PASSWORDS: return "INIT_PASSWORDS";
        case TTLOCK_CMD_READ_PWD_PARA: return "READ_PWD_PARA";
        case TTLOCK_CMD_RESET_KEYBOARD_PWD_COUNT: return "RESET_KEYBOARD_PWD_COUNT";
        case TTLOCK_CMD_GET_LOCK_TIME: return "GET_LOCK_TIME";
        case TTLOCK_CMD_AUTO_LOCK_MANAGE: return "AUTO_LOCK_MANAGE";
        case TTLOCK_CMD_CONTROL_REMOTE_UNLOCK: return "CONTROL_REMOTE_UNLOCK";
        case TTLOCK_CMD_CHECK_ADMIN: return "CHECK_ADMIN";
        case TTLOCK_CMD_TIME_CALIBRATE: return "TIME_CALIBRATE";
        case TTLOCK_CMD_INITIALIZATION: return "INITIALIZATION";
        case TTLOCK_CMD_UNLOCK: return "UNLOCK";
        case TTLOCK_CMD_LOCK_LEGACY: return "LOCK";
        case TTLOCK_CMD_RESET_LOCK: return "RESET_LOCK";
        case TTLOCK_CMD_SET_ADMIN_KEYBOARD_PWD: return "SET_ADMIN_KEYBOARD_PWD";
        case TTLOCK_CMD_RESPONSE: return "RESPONSE";
        case TTLOCK_CMD_CHECK_USER_TIME: return "CHECK_USER_TIME";
        case TTLOCK_CMD_ADD_ADMIN: return "ADD_ADMIN";
        case TTLOCK_CMD_OPERATE_FINISHED: return "OPERATE_FINISHED";
        case TTLOCK_CMD_FUNCTION_LOCK: return "FUNCTION_LOCK";
        case TTLOCK_CMD_SHOW_PASSWORD: return "SHOW_PASSWORD";
        case TTLOCK_CMD_FREEZE_LOCK: return "FREEZE_LOCK";
        case TTLOCK_CMD_AUDIO_MANAGE: return "AUDIO_MANAGE";
        case TTLOCK_CMD_GET_ADMIN_CODE: return "GET_ADMIN_CODE";
        case TTLOCK_CMD_CONFIGURE_PASSAGE_MODE: return "CONFIGURE_PASSAGE_MODE";
        case TTLOCK_CMD_LAMP: return "LAMP";
        case TTLOCK_CMD_SWITCH: return "SWITCH";
        case TTLOCK_CMD_DEAD_LOCK: return "DEAD_LOCK";
        case TTLOCK_CMD_CYCLIC_CMD: return "CYCLIC_CMD";
        case TTLOCK_CMD_ACCESSORY_BATTERY: return "ACCESSORY_BATTERY";
        case TTLOCK_CMD_SENSITIVITY_MANAGE: return "SENSITIVITY_MANAGE";
        case TTLOCK_CMD_READ_DEVICE_INFO: return "READ_DEVICE_INFO";
        }
        return NULL;
}
