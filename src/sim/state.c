/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "advert.h"
#include "hex.h"
#include "lock-creds.h"
#include "lock-log.h"
#include "log.h"
#include "sim-util.h"
#include "state.h"

/* ---- writing ---- */

typedef struct Out {
        yaml_emitter_t emitter;
        int error;
} Out;

static void emit(Out *o, yaml_event_t *ev) {
        if (o->error == 0 && !yaml_emitter_emit(&o->emitter, ev))
                o->error = -EIO;
}

static void scalar(Out *o, const char *v) {
        yaml_event_t ev;

        yaml_scalar_event_initialize(
                &ev, NULL, NULL, (yaml_char_t *) v, (int) strlen(v), 1, 1, YAML_ANY_SCALAR_STYLE);
        emit(o, &ev);
}

static void map_start(Out *o) {
        yaml_event_t ev;

        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        emit(o, &ev);
}

static void map_end(Out *o) {
        yaml_event_t ev;

        yaml_mapping_end_event_initialize(&ev);
        emit(o, &ev);
}

static void seq_start(Out *o) {
        yaml_event_t ev;

        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        emit(o, &ev);
}

static void seq_end(Out *o) {
        yaml_event_t ev;

        yaml_sequence_end_event_initialize(&ev);
        emit(o, &ev);
}

static void kv(Out *o, const char *k, const char *v) {
        scalar(o, k);
        scalar(o, v);
}

static void kv_u64(Out *o, const char *k, uint64_t v) {
        char b[24];

        (void) snprintf(b, sizeof(b), "%" PRIu64, v);
        kv(o, k, b);
}

static void kv_i64(Out *o, const char *k, int64_t v) {
        char b[24];

        (void) snprintf(b, sizeof(b), "%" PRIi64, v);
        kv(o, k, b);
}

static void kv_bool(Out *o, const char *k, bool v) {
        kv(o, k, v ? "true" : "false");
}

static void kv_date(Out *o, const char *k, const TTDateTime *t) {
        char b[32];

        (void) snprintf(
                b,
                sizeof(b),
                "%04u-%02u-%02u %02u:%02u:%02u",
                t->year,
                t->month,
                t->day,
                t->hour,
                t->minute,
                t->second);
        kv(o, k, b);
}

static void kv_hex(Out *o, const char *k, const uint8_t *d, size_t n) {
        char b[2 * 256 + 1];

        kv(o, k, bytes_to_hex(d, n, b));
}

/* CYCLIC_CMD windows as "weekday sh sm eh em". */
static void write_schedule(Out *o, const SimSchedule *s) {
        char b[32];

        scalar(o, "schedules");
        seq_start(o);
        for (size_t i = 0; i < s->n_cyclic; i++) {
                const SimCyclic *c = &s->cyclic[i];
                (void) snprintf(
                        b,
                        sizeof(b),
                        "%u %u %u %u %u",
                        c->weekday,
                        c->start_hour,
                        c->start_minute,
                        c->end_hour,
                        c->end_minute);
                scalar(o, b);
        }
        seq_end(o);
}

static void write_lock(Out *o, SimLock *l) {
        SimCreds *c = l->creds;
        char b[64];

        map_start(o);
        kv(o, "address", l->address_str);
        kv_bool(o, "paired", l->paired);
        if (l->paired) {
                kv_hex(o, "key", l->key, sizeof(l->key));
                kv_u64(o, "admin-ps", l->admin_ps);
                kv_u64(o, "unlock-key", l->unlock_key);
                kv_u64(o, "lock-flag-pos", l->lock_flag_pos);
        }
        kv(o, "admin-passcode", l->admin_passcode);
        kv_bool(o, "locked", l->locked);
        kv_u64(o, "battery", l->battery);
        kv_u64(o, "auto-lock-seconds", l->auto_lock_seconds);
        kv_bool(o, "sound", l->sound);
        kv_u64(o, "volume", l->volume);
        kv_bool(o, "remote-unlock", l->remote_unlock);
        kv_bool(o, "show-password", l->show_password);
        kv_bool(o, "frozen", l->frozen);
        kv_bool(o, "dead-locked", l->dead_locked);
        kv_bool(o, "door-open", l->door_open);
        kv_u64(o, "lamp-seconds", l->lamp_seconds);
        kv_u64(o, "switch-values", l->switch_values);
        kv_i64(o, "clock-offset-usec", l->clock_offset_usec);
        kv_u64(o, "record-counter", l->record_counter);

        scalar(o, "passage-modes");
        seq_start(o);
        for (size_t i = 0; i < l->n_passage; i++) {
                const SimPassage *p = &l->passage[i];
                (void) snprintf(
                        b,
                        sizeof(b),
                        "%u %u %u %u %u %u %u",
                        p->type,
                        p->week_or_day,
                        p->month,
                        p->start_hour,
                        p->start_minute,
                        p->end_hour,
                        p->end_minute);
                scalar(o, b);
        }
        seq_end(o);

        scalar(o, "passcodes");
        seq_start(o);
        for (size_t i = 0; i < c->n_passcodes; i++) {
                const TTPasscodeEntry *p = &c->passcodes[i];
                map_start(o);
                kv_u64(o, "type", p->type);
                kv(o, "code", p->code);
                kv(o, "original", p->original);
                kv_date(o, "start", &p->start);
                kv_date(o, "end", &p->end);
                kv_u64(o, "cycle-type", p->cycle_type);
                write_schedule(o, creds_passcode_schedule(c, p));
                map_end(o);
        }
        seq_end(o);

        scalar(o, "cards");
        seq_start(o);
        for (size_t i = 0; i < c->n_cards; i++) {
                map_start(o);
                kv_u64(o, "number", c->cards[i].card.number);
                kv_u64(o, "size", c->cards[i].card.size);
                kv_date(o, "start", &c->cards[i].start);
                kv_date(o, "end", &c->cards[i].end);
                write_schedule(o, &c->cards[i].schedule);
                map_end(o);
        }
        seq_end(o);

        scalar(o, "fingerprints");
        seq_start(o);
        for (size_t i = 0; i < c->n_fingers; i++) {
                map_start(o);
                kv_u64(o, "id", c->fingers[i].id);
                kv_date(o, "start", &c->fingers[i].start);
                kv_date(o, "end", &c->fingers[i].end);
                write_schedule(o, &c->fingers[i].schedule);
                map_end(o);
        }
        seq_end(o);

        scalar(o, "log");
        seq_start(o);
        for (size_t i = 0; i < log_count(l->log); i++) {
                const SimLogEntry *e = log_entry(l->log, i);
                char hex[2 * 256 + 1];
                scalar(o, bytes_to_hex(e->bytes, (size_t) e->len + 1, hex));
        }
        seq_end(o);
        kv_u64(o, "log-unread", l->log->end - l->log->unread);
        map_end(o);
}

static int write_handler(void *data, unsigned char *buffer, size_t size) {
        FILE *f = data;

        return fwrite(buffer, 1, size, f) == size;
}

int state_save(Sim *s) {
        _cleanup_free_ char *tmp = NULL, *dircopy = NULL;
        yaml_event_t ev;
        Out o = {};
        FILE *f = NULL;
        int fd = -1, r;

        if (asprintf(&tmp, "%s.XXXXXX", s->state_path) < 0)
                return log_oom();
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create %s: %m", tmp);
        (void) fchmod(fd, 0600);
        f = fdopen(fd, "w");
        if (!f) {
                r = log_error_errno(-errno, "fdopen: %m");
                (void) close(fd);
                goto fail;
        }
        if (!yaml_emitter_initialize(&o.emitter)) {
                r = log_oom();
                goto fail;
        }
        yaml_emitter_set_output(&o.emitter, write_handler, f);
        yaml_emitter_set_unicode(&o.emitter, 0);
        yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
        emit(&o, &ev);
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
        emit(&o, &ev);
        map_start(&o);
        kv_u64(&o, "version", SIM_STATE_VERSION);
        scalar(&o, "locks");
        seq_start(&o);
        for (size_t i = 0; i < s->n_locks; i++)
                write_lock(&o, s->locks[i]);
        seq_end(&o);
        map_end(&o);
        yaml_document_end_event_initialize(&ev, 1);
        emit(&o, &ev);
        yaml_stream_end_event_initialize(&ev);
        emit(&o, &ev);
        if (o.error == 0 && !yaml_emitter_flush(&o.emitter))
                o.error = -EIO;
        yaml_emitter_delete(&o.emitter);
        r = o.error;
        if (r < 0) {
                log_error("Failed to write %s: %s", tmp, o.emitter.problem ?: "I/O error");
                goto fail;
        }
        if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
                r = log_error_errno(-errno, "Failed to write %s: %m", tmp);
                goto fail;
        }
        (void) fclose(f);
        f = NULL;
        if (rename(tmp, s->state_path) < 0) {
                r = log_error_errno(-errno, "Failed to rename %s to %s: %m", tmp, s->state_path);
                goto fail;
        }
        dircopy = strdup(s->state_path);
        if (dircopy) {
                _cleanup_close_ int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0)
                        (void) fsync(dfd);
        }
        return 0;
fail:
        if (f)
                (void) fclose(f);
        (void) unlink(tmp);
        return r;
}

static int on_save(sd_event_source *es, void *userdata) {
        Sim *s = userdata;

        s->save_pending = false;
        (void) state_save(s);
        return 0;
}

void state_schedule_save(Sim *s) {
        if (!s->state_path)
                return;
        s->save_pending = true;
        if (!s->event)
                return;
        if (!s->save_event && sd_event_add_defer(s->event, &s->save_event, on_save, s) < 0)
                return;
        (void) sd_event_source_set_enabled(s->save_event, SD_EVENT_ONESHOT);
}

int state_flush(Sim *s) {
        if (!s->save_pending)
                return 0;
        s->save_pending = false;
        return state_save(s);
}

void state_free(Sim *s) {
        s->save_event = sd_event_source_disable_unref(s->save_event);
}

/* ---- reading ---- */

typedef struct In {
        yaml_document_t *doc;
        const char *path;
        const char *where; /* the lock being read, for messages */
} In;

static yaml_node_t *map_get(In *in, yaml_node_t *map, const char *key) {
        if (!map || map->type != YAML_MAPPING_NODE)
                return NULL;
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
                yaml_node_t *k = yaml_document_get_node(in->doc, p->key);
                if (k && k->type == YAML_SCALAR_NODE && streq((const char *) k->data.scalar.value, key))
                        return yaml_document_get_node(in->doc, p->value);
        }
        return NULL;
}

static const char *get_str(In *in, yaml_node_t *map, const char *key) {
        yaml_node_t *n = map_get(in, map, key);

        if (!n || n->type != YAML_SCALAR_NODE)
                return NULL;
        return (const char *) n->data.scalar.value;
}

static int bad(In *in, const char *key, const char *value) {
        log_error(
                "%s: %s: bad or missing %s%s%s%s.",
                in->path,
                in->where,
                key,
                value ? " (\"" : "",
                value ?: "",
                value ? "\")" : "");
        return -EBADMSG;
}

static int get_u64(In *in, yaml_node_t *map, const char *key, uint64_t max, uint64_t *ret) {
        const char *v = get_str(in, map, key);
        char *end = NULL;
        unsigned long long x;

        if (!v || !*v || strspn(v, "0123456789") != strlen(v))
                return bad(in, key, v);
        errno = 0;
        x = strtoull(v, &end, 10);
        if (errno != 0 || *end || x > max)
                return bad(in, key, v);
        *ret = x;
        return 0;
}

static int get_bool(In *in, yaml_node_t *map, const char *key, bool *ret) {
        const char *v = get_str(in, map, key);

        if (v && streq(v, "true"))
                *ret = true;
        else if (v && streq(v, "false"))
                *ret = false;
        else
                return bad(in, key, v);
        return 0;
}

static int get_date(In *in, yaml_node_t *map, const char *key, TTDateTime *ret) {
        const char *v = get_str(in, map, key);
        unsigned y, mo, d, h, mi, s;
        TTDateTime t;

        if (!v || sscanf(v, "%4u-%2u-%2u %2u:%2u:%2u", &y, &mo, &d, &h, &mi, &s) != 6)
                return bad(in, key, v);
        t = (TTDateTime){ (uint16_t) y, (uint8_t) mo, (uint8_t) d, (uint8_t) h, (uint8_t) mi, (uint8_t) s };
        if (!ttlock_datetime_valid(&t))
                return bad(in, key, v);
        *ret = t;
        return 0;
}

static int get_digits(In *in, yaml_node_t *map, const char *key, char *ret, size_t size) {
        const char *v = get_str(in, map, key);

        if (!v || strlen(v) >= size || strspn(v, "0123456789") != strlen(v))
                return bad(in, key, v);
        strcpy(ret, v);
        return 0;
}

static yaml_node_t *get_seq(In *in, yaml_node_t *map, const char *key) {
        yaml_node_t *n = map_get(in, map, key);

        return n && n->type == YAML_SEQUENCE_NODE ? n : NULL;
}

#define FOREACH_ITEM(in, seq, item)                                                                    \
        for (yaml_node_item_t *_i = (seq) ? (seq)->data.sequence.items.start : NULL; (seq) &&          \
             _i < (seq)->data.sequence.items.top && ((item) = yaml_document_get_node((in)->doc, *_i)); \
             _i++)

/* Optional (files written before CYCLIC_CMD have none): each window as write_schedule() puts it. */
static int read_schedule(In *in, yaml_node_t *map, SimSchedule *ret) {
        yaml_node_t *seq = get_seq(in, map, "schedules"), *item;
        SimSchedule s = {};

        FOREACH_ITEM(in, seq, item) {
                unsigned f[5];
                char extra;
                SimCyclic c;

                if (item->type != YAML_SCALAR_NODE ||
                    sscanf((const char *) item->data.scalar.value,
                           "%u %u %u %u %u %c",
                           &f[0],
                           &f[1],
                           &f[2],
                           &f[3],
                           &f[4],
                           &extra) != 5 ||
                    f[0] < 1 || f[0] > 7 || f[1] > 23 || f[2] > 59 || f[3] > 24 || f[4] > 59 ||
                    (f[3] == 24 && f[4] != 0))
                        return bad(
                                in,
                                "schedules",
                                item->type == YAML_SCALAR_NODE ? (const char *) item->data.scalar.value
                                                               : NULL);
                c = (SimCyclic){
                        (uint8_t) f[0], (uint8_t) f[1], (uint8_t) f[2], (uint8_t) f[3], (uint8_t) f[4]
                };
                if (creds_schedule_add(&s, &c) != 0)
                        return bad(in, "schedules", (const char *) item->data.scalar.value);
        }
        *ret = s;
        return 0;
}

static int read_lock(In *in, SimLock *l, yaml_node_t *m) {
        SimCreds *c = l->creds;
        yaml_node_t *seq, *item;
        uint64_t v;
        const char *key;
        int r;

        r = get_bool(in, m, "paired", &l->paired);
        if (r < 0)
                return r;
        if (l->paired) {
                key = get_str(in, m, "key");
                if (!key || hex_to_bytes(key, l->key, sizeof(l->key)) != (int) sizeof(l->key))
                        return bad(in, "key", NULL);
                if (get_u64(in, m, "admin-ps", UINT32_MAX, &v) < 0)
                        return -EBADMSG;
                l->admin_ps = (uint32_t) v;
                if (get_u64(in, m, "unlock-key", UINT32_MAX, &v) < 0)
                        return -EBADMSG;
                l->unlock_key = (uint32_t) v;
                /* Optional: state files written before eKeys have no flag position. */
                l->lock_flag_pos = 0;
                if (map_get(in, m, "lock-flag-pos")) {
                        if (get_u64(in, m, "lock-flag-pos", 0xFFFFFF, &v) < 0)
                                return -EBADMSG;
                        l->lock_flag_pos = (uint32_t) v;
                }
        }
        if (get_digits(in, m, "admin-passcode", l->admin_passcode, sizeof(l->admin_passcode)) < 0 ||
            get_bool(in, m, "locked", &l->locked) < 0 || get_bool(in, m, "sound", &l->sound) < 0 ||
            get_bool(in, m, "remote-unlock", &l->remote_unlock) < 0 ||
            get_bool(in, m, "show-password", &l->show_password) < 0 ||
            get_bool(in, m, "frozen", &l->frozen) < 0)
                return -EBADMSG;
        /* Optional: state files written before DEAD_LOCK have no such key. */
        l->dead_locked = false;
        if (map_get(in, m, "dead-locked") && get_bool(in, m, "dead-locked", &l->dead_locked) < 0)
                return -EBADMSG;
        /* Optional: state files written before the door sensor have no such key. */
        l->door_open = false;
        if (map_get(in, m, "door-open") && get_bool(in, m, "door-open", &l->door_open) < 0)
                return -EBADMSG;
        if (get_u64(in, m, "battery", 100, &v) < 0)
                return -EBADMSG;
        l->battery = (uint8_t) v;
        if (get_u64(in, m, "auto-lock-seconds", UINT16_MAX, &v) < 0)
                return -EBADMSG;
        l->auto_lock_seconds = (uint16_t) v;
        if (get_u64(in, m, "volume", 5, &v) < 0)
                return -EBADMSG;
        l->volume = (uint8_t) v;
        if (get_u64(in, m, "lamp-seconds", UINT16_MAX, &v) < 0)
                return -EBADMSG;
        l->lamp_seconds = (uint16_t) v;
        if (get_u64(in, m, "switch-values", UINT32_MAX, &v) < 0)
                return -EBADMSG;
        l->switch_values = (uint32_t) v;
        if (get_u64(in, m, "record-counter", UINT32_MAX, &v) < 0)
                return -EBADMSG;
        l->record_counter = (uint32_t) v;
        key = get_str(in, m, "clock-offset-usec");
        if (!key || sscanf(key, "%" SCNi64, &l->clock_offset_usec) != 1)
                return bad(in, "clock-offset-usec", key);

        seq = get_seq(in, m, "passage-modes");
        FOREACH_ITEM(in, seq, item) {
                unsigned f[7];
                if (item->type != YAML_SCALAR_NODE || l->n_passage >= SIM_PASSAGE_MAX ||
                    sscanf((const char *) item->data.scalar.value,
                           "%u %u %u %u %u %u %u",
                           &f[0],
                           &f[1],
                           &f[2],
                           &f[3],
                           &f[4],
                           &f[5],
                           &f[6]) != 7)
                        return bad(in, "passage-modes", NULL);
                l->passage[l->n_passage++] =
                        (SimPassage){ (uint8_t) f[0], (uint8_t) f[1], (uint8_t) f[2], (uint8_t) f[3],
                                      (uint8_t) f[4], (uint8_t) f[5], (uint8_t) f[6] };
        }

        seq = get_seq(in, m, "passcodes");
        FOREACH_ITEM(in, seq, item) {
                TTPasscodeEntry p = {};
                TTPasscodeEntry *n;
                SimSchedule sched, *ns;

                if (get_u64(in, item, "type", 255, &v) < 0)
                        return -EBADMSG;
                p.type = (uint8_t) v;
                if (get_digits(in, item, "code", p.code, sizeof(p.code)) < 0 ||
                    get_digits(in, item, "original", p.original, sizeof(p.original)) < 0 ||
                    get_date(in, item, "start", &p.start) < 0)
                        return -EBADMSG;
                (void) get_date(in, item, "end", &p.end);
                if (get_u64(in, item, "cycle-type", UINT16_MAX, &v) < 0)
                        return -EBADMSG;
                p.cycle_type = (uint16_t) v;
                if (read_schedule(in, item, &sched) < 0)
                        return -EBADMSG;
                ns = reallocarray(c->passcode_schedules, c->n_passcodes + 1, sizeof(*ns));
                if (!ns)
                        return log_oom();
                c->passcode_schedules = ns;
                n = reallocarray(c->passcodes, c->n_passcodes + 1, sizeof(*n));
                if (!n)
                        return log_oom();
                c->passcodes = n;
                c->passcode_schedules[c->n_passcodes] = sched;
                c->passcodes[c->n_passcodes++] = p;
        }

        seq = get_seq(in, m, "cards");
        FOREACH_ITEM(in, seq, item) {
                TTCard card;
                TTDateTime s, e;
                SimSchedule sched;

                if (read_schedule(in, item, &sched) < 0)
                        return -EBADMSG;
                if (get_u64(in, item, "number", UINT64_MAX, &card.number) < 0 ||
                    get_u64(in, item, "size", 8, &v) < 0 || (v != 4 && v != 8) ||
                    get_date(in, item, "start", &s) < 0 || get_date(in, item, "end", &e) < 0)
                        return bad(in, "cards", NULL);
                card.size = (uint8_t) v;
                if (creds_card_add(c, &card, &s, &e) != 0)
                        return bad(in, "cards (more than slots=)", NULL);
                creds_card_find(c, card.number)->schedule = sched;
        }

        seq = get_seq(in, m, "fingerprints");
        FOREACH_ITEM(in, seq, item) {
                TTDateTime s, e;
                SimSchedule sched;
                uint64_t id;

                if (read_schedule(in, item, &sched) < 0)
                        return -EBADMSG;
                if (get_u64(in, item, "id", UINT64_C(0xFFFFFFFFFFFF), &id) < 0 ||
                    get_date(in, item, "start", &s) < 0 || get_date(in, item, "end", &e) < 0)
                        return bad(in, "fingerprints", NULL);
                if (creds_finger_add(c, id, &s, &e) != 0)
                        return bad(in, "fingerprints (more than slots=)", NULL);
                creds_finger_find(c, id)->schedule = sched;
        }

        seq = get_seq(in, m, "log");
        FOREACH_ITEM(in, seq, item) {
                uint8_t buf[256];
                int n;

                if (item->type != YAML_SCALAR_NODE)
                        return bad(in, "log", NULL);
                n = hex_to_bytes((const char *) item->data.scalar.value, buf, sizeof(buf));
                if (n < 2 || buf[0] + 1 != n || log_add_encoded(l->log, buf, (size_t) n) < 0)
                        return bad(in, "log", (const char *) item->data.scalar.value);
        }
        if (get_u64(in, m, "log-unread", log_count(l->log), &v) < 0)
                return -EBADMSG;
        l->log->unread = l->log->end - (uint32_t) v;
        return 0;
}

int state_load(Sim *s) {
        yaml_parser_t parser;
        yaml_document_t doc;
        In in = { .doc = &doc, .path = s->state_path, .where = "(top)" };
        yaml_node_t *root, *locks, *item;
        uint64_t version;
        FILE *f;
        int r = 0;

        f = fopen(s->state_path, "re");
        if (!f) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(-errno, "Failed to open %s: %m", s->state_path);
        }
        if (!yaml_parser_initialize(&parser)) {
                fclose(f);
                return log_oom();
        }
        yaml_parser_set_input_file(&parser, f);
        if (!yaml_parser_load(&parser, &doc)) {
                log_error(
                        "%s: line %zu: %s",
                        s->state_path,
                        parser.problem_mark.line + 1,
                        parser.problem ?: "YAML error");
                yaml_parser_delete(&parser);
                fclose(f);
                return -EBADMSG;
        }
        root = yaml_document_get_root_node(&doc);
        if (!root) /* empty file */
                goto done;
        if (get_u64(&in, root, "version", UINT32_MAX, &version) < 0) {
                r = -EBADMSG;
                goto done;
        }
        if (version != SIM_STATE_VERSION) {
                log_error(
                        "%s: format version %" PRIu64 " is not %d.",
                        s->state_path,
                        version,
                        SIM_STATE_VERSION);
                r = -EPROTONOSUPPORT;
                goto done;
        }
        locks = get_seq(&in, root, "locks");
        FOREACH_ITEM(&in, locks, item) {
                const char *a = get_str(&in, item, "address");
                uint8_t addr[6];
                SimLock *l;

                if (!a || ttlock_address_from_string(a, addr) < 0) {
                        r = bad(&in, "address", a);
                        goto done;
                }
                l = sim_find_lock(s, addr);
                if (!l) {
                        log_notice(
                                "%s: lock %s is not on the command line; keeping it out.", s->state_path, a);
                        continue;
                }
                in.where = l->address_str;
                creds_clear_all(l->creds);
                log_clear(l->log);
                l->n_passage = 0;
                r = read_lock(&in, l, item);
                if (r < 0)
                        goto done;
        }
done:
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        fclose(f);
        return r;
}
