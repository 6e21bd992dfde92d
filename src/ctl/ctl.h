/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of ttlockctl share: the options, the bus names of dbus/org.ttlock.*.xml (the only
 * thing ttlockctl knows about ttlockd), the error reporting and the verbs each file implements. */

#include <libintl.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "ctl-errors.h"
#include "ctl-util.h"
#include "ctl-value.h"
#include "macro.h"

#define _(s) gettext(s)

#define TTLOCK_BUS_NAME "org.ttlock.Manager"
#define TTLOCK_OM_PATH "/org/ttlock"
#define MANAGER_PATH "/org/ttlock/Manager"
#define MANAGER_IFACE "org.ttlock.Manager1"
#define LOCK_IFACE "org.ttlock.Lock1"
#define CREDENTIALS_IFACE "org.ttlock.Credentials1"
#define SETTINGS_IFACE "org.ttlock.Settings1"
#define RADIO_IFACE "org.ttlock.Radio1"

/* Pair() is the only method allowed to take long: the daemon keeps it under 25 s. */
#define PAIR_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* Options, set by ttlockctl.c. */
extern bool arg_json;
extern bool arg_legend;
extern bool arg_ask_password;
extern bool arg_have_validity;
extern uint64_t arg_valid_from;
extern const char *arg_kind; /* passcode add --kind, NULL = from the validity */
extern uint64_t arg_valid_until;
extern uint64_t arg_since;
extern uint32_t arg_max;
extern bool arg_yes;           /* import: no question */
extern bool arg_unverified;    /* import: ImportLocksUnverified */
extern const char *arg_output; /* export, diag: a new file instead of standard output */
extern bool arg_redact;        /* diag: addresses hashed (--no-redact: shown) */
/* --every DAYS --from HH:MM --until HH:MM: weekly cycles (Credentials1); days 0 = none (remove). */
extern bool arg_have_every;
extern uint8_t arg_every_days; /* bit n = day n, 1 = Monday */
extern uint16_t arg_every_start, arg_every_end;


/* The system bus (DBUS_SYSTEM_BUS_ADDRESS honoured), interactive authorization as the options say. */
int ctl_bus_open(sd_bus **ret);
/* Call a method of ttlockd (timeout 0 = sd-bus default); the error is printed. types/... as
 * sd_bus_message_append(); types NULL for no arguments. */
int ctl_call(
        sd_bus *bus,
        const char *path,
        const char *iface,
        const char *member,
        uint64_t timeout_usec,
        sd_bus_message **ret_reply,
        const char *types,
        ...);
/* Read the next complete value of m (basic, variant, array, dict, struct) into a Value tree. */
int bus_message_read_value(sd_bus_message *m, Value **ret);
/* Properties.GetAll as an object; the error is printed unless quiet. */
int ctl_get_all(sd_bus *bus, const char *path, const char *iface, bool quiet, Value **ret);
/* Manager1.ListLocks(). */
int ctl_list_locks(sd_bus *bus, char ***ret_paths, size_t *ret_n);
void strv_free_n(char **v, size_t n);

/* LOCK (address, alias or object path) → object path; explains on stderr when nothing matches. */
int ctl_resolve_lock(sd_bus *bus, const char *spec, char **ret_path);
/* "AA:BB:…" for a lock path, else the path itself (for messages). */
const char *lock_display_name(const char *path, char *buf);

/* An event loop with the bus attached and SIGINT/SIGTERM as events (for pair, enrollment,
 * monitor); ctl_event_done() detaches and unblocks the signals again. */
int ctl_event_new(sd_bus *bus, sd_event_signal_handler_t on_signal, void *userdata, sd_event **ret);
void ctl_event_done(sd_bus *bus);

/* Who owns org.ttlock.Manager right now, followed through NameOwnerChanged, so that signals can be
 * checked for their sender and a daemon that goes away ends a wait. */
typedef struct DaemonWatch DaemonWatch;
struct DaemonWatch {
        sd_bus_slot *slot;
        char *owner; /* unique name, NULL while nobody owns it */
        int (*on_change)(DaemonWatch *w, void *userdata);
        void *userdata;
};
int daemon_watch_start(sd_bus *bus, DaemonWatch *w);
void daemon_watch_done(DaemonWatch *w);
bool daemon_watch_is_from_daemon(const DaemonWatch *w, sd_bus_message *m);

/* Start a polkit text agent on a terminal (like systemctl), unless --no-ask-password. */
void ctl_polkit_agent_open(void);
void ctl_polkit_agent_close(void);

/* Verbs: argv holds only the arguments after the command words. */
int verb_list(sd_bus *bus, int argc, char **argv);
int verb_radios(sd_bus *bus, int argc, char **argv);
int verb_reload(sd_bus *bus, int argc, char **argv);
/* A radio's name from its object path ("" for "/"), and Lock1.RadioRssi in words (ctl-radios.c). */
const char *ctl_radio_name(const char *path, char *buf, size_t size);
const char *ctl_radio_rssi(const Value *rssi, char *buf, size_t size);
int verb_info(sd_bus *bus, int argc, char **argv);
int verb_lock(sd_bus *bus, int argc, char **argv);
int verb_unlock(sd_bus *bus, int argc, char **argv);
int verb_refresh(sd_bus *bus, int argc, char **argv);
int verb_pair(sd_bus *bus, int argc, char **argv);
int verb_forget(sd_bus *bus, int argc, char **argv);
int verb_reset(sd_bus *bus, int argc, char **argv);
int verb_alias(sd_bus *bus, int argc, char **argv);
int verb_monitor(sd_bus *bus, int argc, char **argv);

int verb_passcode_add(sd_bus *bus, int argc, char **argv);
int verb_passcode_change(sd_bus *bus, int argc, char **argv);
int verb_passcode_del(sd_bus *bus, int argc, char **argv);
int verb_passcode_clear(sd_bus *bus, int argc, char **argv);
int verb_passcode_list(sd_bus *bus, int argc, char **argv);
int verb_passcode_alias(sd_bus *bus, int argc, char **argv);
int verb_card_enroll(sd_bus *bus, int argc, char **argv);
int verb_card_add(sd_bus *bus, int argc, char **argv);
int verb_card_validity(sd_bus *bus, int argc, char **argv);
int verb_card_del(sd_bus *bus, int argc, char **argv);
int verb_card_clear(sd_bus *bus, int argc, char **argv);
int verb_card_list(sd_bus *bus, int argc, char **argv);
int verb_card_alias(sd_bus *bus, int argc, char **argv);
int verb_finger_enroll(sd_bus *bus, int argc, char **argv);
int verb_finger_validity(sd_bus *bus, int argc, char **argv);
int verb_finger_del(sd_bus *bus, int argc, char **argv);
int verb_finger_clear(sd_bus *bus, int argc, char **argv);
int verb_finger_list(sd_bus *bus, int argc, char **argv);
int verb_finger_alias(sd_bus *bus, int argc, char **argv);

int verb_set_autolock(sd_bus *bus, int argc, char **argv);
int verb_set_sound(sd_bus *bus, int argc, char **argv);
int verb_set_remote_unlock(sd_bus *bus, int argc, char **argv);
int verb_set_tamper(sd_bus *bus, int argc, char **argv);
int verb_set_privacy(sd_bus *bus, int argc, char **argv);
int verb_set_reset_button(sd_bus *bus, int argc, char **argv);
int verb_set_admin_passcode(sd_bus *bus, int argc, char **argv);
int verb_set_passage(sd_bus *bus, int argc, char **argv);
int verb_set_passage_now(sd_bus *bus, int argc, char **argv);
int verb_set_frozen(sd_bus *bus, int argc, char **argv);
int verb_set_door_left_open(sd_bus *bus, int argc, char **argv);
int verb_passage_list(sd_bus *bus, int argc, char **argv);
int verb_clock_sync(sd_bus *bus, int argc, char **argv);
int verb_history(sd_bus *bus, int argc, char **argv);
int verb_import(sd_bus *bus, int argc, char **argv);
int verb_diag(sd_bus *bus, int argc, char **argv);
int verb_set_connection(sd_bus *bus, int argc, char **argv);
int verb_export(sd_bus *bus, int argc, char **argv);
