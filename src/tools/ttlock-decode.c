/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ttlock-decode — a protocol analyser for TTLock V3 frames, adverts and feature replies, in the spirit
 * of btmon: paste what you captured, see what it means. Built only on the protocol library. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advert.h"
#include "command.h"
#include "config.h"
#include "crypto.h"
#include "describe.h"
#include "feature-bits.h"
#include "frame.h"
#include "hex.h"
#include "lockdata.h"
#include "macro.h"
#include "printer.h"
#include "transport.h"

typedef enum Direction {
        DIRECTION_AUTO,
        DIRECTION_REQUEST,
        DIRECTION_REPLY,
} Direction;

static bool arg_json = false;
static bool arg_show_secrets = false;
static bool arg_have_key = false;
static uint8_t arg_key[TTLOCK_KEY_SIZE];
static Direction arg_direction = DIRECTION_AUTO;

/* The longest input we accept: a frame with terminator is 255 bytes; adverts are shorter. */
#define INPUT_MAX 512

static void help(void) {
        printf("%s [OPTIONS...] frame|advert|features [HEX...]\n"
               "%s [OPTIONS...] lockdata [TEXT...]\n\n"
               "Decode TTLock V3 Bluetooth protocol data.\n\n"
               "Commands:\n"
               "  frame HEX...       A frame (with or without the 0D 0A terminator): header, CRC and,\n"
               "                     with a key, the decrypted payload decoded by command\n"
               "  advert HEX...      Manufacturer data including the two company-id bytes (05 03 …)\n"
               "  features HEX...    SEARCH_DEVICE_FEATURE reply data: battery byte, then feature groups\n"
               "  lockdata TEXT...   Keys from the TTLock app or cloud (lockData strings, their\n"
               "                     JSON) or the Home Assistant add-on's lockData.json: what\n"
               "                     they hold, secrets hidden\n\n"
               "Options:\n"
               "  -h --help          Show this help\n"
               "     --version       Show the version\n"
               "  -k --key=HEX       The lock's 16-byte AES key (GET_AES_KEY frames use the default key)\n"
               "     --request       Treat frames as app → lock requests\n"
               "     --reply         Treat frames as lock → app replies\n"
               "  -j --json          One JSON object per input\n"
               "     --show-secrets  lockdata: show keys and passcodes instead of hiding them\n\n"
               "Without HEX arguments, inputs are read from standard input, one per line. Spaces and\n"
               "colons between bytes are ignored. lockdata without TEXT reads all of standard input\n"
               "as one input, which keeps keys out of the process list.\n\n"
               "See ttlock-decode(1).\n",
               program_invocation_short_name,
               program_invocation_short_name);
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_REQUEST,
                ARG_REPLY,
                ARG_SHOW_SECRETS,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "key", required_argument, NULL, 'k' },
                { "json", no_argument, NULL, 'j' },
                { "request", no_argument, NULL, ARG_REQUEST },
                { "reply", no_argument, NULL, ARG_REPLY },
                { "show-secrets", no_argument, NULL, ARG_SHOW_SECRETS },
                {}
        };
        int c, n;

        while ((c = getopt_long(argc, argv, "hk:j", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("ttlock-decode %s\n", PACKAGE_VERSION);
                        return 0;
                case 'k':
                        n = hex_to_bytes(optarg, arg_key, sizeof(arg_key));
                        if (n != TTLOCK_KEY_SIZE) {
                                fprintf(stderr, "%s: --key needs 16 bytes of hex (32 digits).\n",
                                        program_invocation_short_name);
                                return -EINVAL;
                        }
                        arg_have_key = true;
                        break;
                case 'j':
                        arg_json = true;
                        break;
                case ARG_REQUEST:
                        arg_direction = DIRECTION_REQUEST;
                        break;
                case ARG_REPLY:
                        arg_direction = DIRECTION_REPLY;
                        break;
                case ARG_SHOW_SECRETS:
                        arg_show_secrets = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        return 1;
}

/* Which way a frame went. Replies carry 0x54 'T' in the header — except GET_AES_KEY's, which carries
 * 0x19 like its request; the two differ in the plaintext: the reply starts with the echo 0x19,
 * the request is the vendor string (§2.4, §4.3). */
static bool frame_is_reply(const TTFrame *f, const uint8_t *plain, size_t plain_len) {
        if (arg_direction != DIRECTION_AUTO)
                return arg_direction == DIRECTION_REPLY;
        if (f->header.command == TTLOCK_CMD_RESPONSE)
                return true;
        if (f->header.command == TTLOCK_CMD_GET_AES_KEY && plain && plain_len > 0)
                return plain[0] == TTLOCK_CMD_GET_AES_KEY;
        return false;
}

/* What could not be interpreted, and why: printed once, as the array "notes". */
typedef struct Notes {
        char text[4][256];
        size_t n;
} Notes;

_printf_(2, 3) static void note(Notes *n, const char *format, ...) {
        va_list ap;

        if (n->n >= ELEMENTSOF(n->text))
                return;
        va_start(ap, format);
        (void) vsnprintf(n->text[n->n++], sizeof(n->text[0]), format, ap);
        va_end(ap);
}

/* A frame of another generation than V3 (§2.3): what can be said of it without its payload codec. */
static void note_other_generation(Notes *n, const TTFrame *f) {
        if (f->legacy)
                note(n, "legacy header (doc/protocol.md §2.2): a V2 lock's frame, XOR-coded data (§3.4); "
                        "not interpreted");
        else if (f->header.command == TTLOCK_CMD_INITIALIZATION && f->data_len == 0)
                note(n, "the official app's first frame to a lock carries a V2S header, whatever the lock "
                        "(§2.3, §10.6); a V3 lock answers it in its own V3 header");
        else if (!ttlock_generation_is_aes(f->generation))
                note(n, "this generation's data is XOR-coded (§2.3, §3.4); shown raw");
        else
                note(n, "a generation ttlockd does not speak (§2.3); data shown raw");
}


/* Every frame whose envelope holds is explained; what cannot be interpreted is shown raw with a note
 * saying why, and the frame is not refused for it (man/ttlock-decode.1). */
static int decode_frame(Printer *p, const uint8_t *buf, size_t len, TTError *e) {
        uint8_t plain[TTLOCK_FRAME_MAX_DATA];
        const uint8_t *key = NULL;
        size_t plain_len = 0;
        bool have_plain = false, v3;
        Notes notes = {};
        TTError de = {};
        TTFrame f;
        int r;

        /* Accept captures with the transport's terminator, as btmon shows them. */
        if (len >= 2 && buf[len - 2] == 0x0D && buf[len - 1] == 0x0A &&
            (len < TTLOCK_FRAME_HEADER_SIZE || (size_t) buf[11] + TTLOCK_FRAME_HEADER_SIZE + 3 == len ||
             (len >= 6 && buf[2] < 5 && (size_t) buf[5] + 9 == len)))
                len -= 2;

        r = ttlock_frame_parse_envelope(buf, len, &f, e);
        if (r < 0)
                return r;
        v3 = !f.legacy && (f.generation == TTLOCK_GEN_V3 || f.generation == TTLOCK_GEN_V3_CAR);

        if (arg_have_key)
                key = arg_key;
        else if (f.header.command == TTLOCK_CMD_GET_AES_KEY)
                key = ttlock_default_key;

        printer_begin(p);
        printer_bool(p, "crc_ok", f.crc_ok);
        if (!f.crc_ok)
                printer_code(p, "crc_expected", f.crc_computed, 2);
        printer_uint(p, "protocol_type", f.header.protocol_type);
        if (!f.legacy) {
                printer_uint(p, "sub_version", f.header.sub_version);
                printer_uint(p, "scene", f.header.scene);
                printer_uint(p, "group_id", f.header.group_id);
                printer_uint(p, "org_id", f.header.org_id);
        }
        if (!v3)
                printer_string(p, "generation", ttlock_generation_name(f.generation));
        printer_code(p, "command", f.header.command, 2);
        if (ttlock_command_name(f.header.command))
                printer_string(p, "command_name", ttlock_command_name(f.header.command));
        printer_code(p, "encrypt", f.header.encrypt, 2);
        printer_uint(p, "length", f.header.length);
        printer_code(p, "crc", f.crc, 2);

        if (!v3)
                note_other_generation(&notes, &f);
        if (f.data_len == 0)
                /* Nothing to decrypt: the command alone says what it is (a legacy command set differs). */
                have_plain = !f.legacy;
        else if (!v3 && !ttlock_generation_is_aes(f.generation))
                printer_hex(p, "data", f.data, f.data_len);
        else if (!key) {
                printer_hex(p, "data", f.data, f.data_len);
                note(&notes, "encrypted with the lock's key (§3.3): give --key to decrypt");
        } else {
                r = ttlock_frame_decrypt(&f, key, plain, sizeof(plain), &plain_len, &de);
                if (r < 0) {
                        printer_hex(p, "data", f.data, f.data_len);
                        note(&notes, "does not decrypt with this key (%s): shown raw", tt_error_message(&de));
                } else {
                        printer_hex(p, "plaintext", plain, plain_len);
                        have_plain = true;
                }
        }

        if (have_plain) {
                bool reply = frame_is_reply(&f, plain, plain_len);

                if (reply && plain_len == 0)
                        note(&notes,
                             "a reply without data (§2.4): success for RESET_LOCK, \"not in setting mode\" for "
                             "ADD_ADMIN, a lock in setting mode answering INITIALIZATION (§10.6), KEY_INVALID "
                             "otherwise");
                /* A payload that does not decode is still explained: the header and the plaintext are
                 * there, and a note says what did not fit. */
                r = describe_plaintext(p, reply, f.header.command, plain, plain_len, &de);
                if (r < 0) {
                        printer_string(p, "decode_error", tt_error_message(&de));
                        note(&notes, "the payload does not decode as this command: it is shown raw (plaintext)");
                }
        }
        if (notes.n > 0) {
                printer_array_begin(p, "notes");
                for (size_t i = 0; i < notes.n; i++)
                        printer_string(p, NULL, notes.text[i]);
                printer_array_end(p);
        }
        printer_end(p);
        erase_memory(plain, sizeof(plain));
        return 0;
}

static int decode_advert(Printer *p, const uint8_t *buf, size_t len, TTError *e) {
        char address[18];
        TTAdvert a;
        int r;

        r = ttlock_advert_parse(buf, len, &a, e);
        if (r < 0)
                return r;

        printer_begin(p);
        printer_uint(p, "protocol_type", a.protocol_type);
        printer_uint(p, "protocol_version", a.protocol_version);
        printer_uint(p, "scene", a.scene);
        printer_code(p, "flags", a.flags, 2);
        printer_bool(p, "unlocked", a.unlocked);
        printer_bool(p, "new_events", a.new_events);
        printer_bool(p, "setting_mode", a.setting_mode);
        printer_bool(p, "touch", a.touch);
        printer_bool(p, "dormant", a.dormant);
        printer_uint(p, "battery", a.battery);
        printer_string(p, "address", ttlock_address_to_string(a.address, address));
        printer_end(p);
        return 0;
}

static int decode_features(Printer *p, const uint8_t *buf, size_t len, TTError *e) {
        TTFeatures f;
        int r;

        if (len < 1)
                return tt_error(e, -EBADMSG, "truncated: battery needs 1 byte at offset 0, 0 left");

        r = ttlock_features_decode(buf + 1, len - 1, &f, e);
        if (r < 0)
                return r;

        printer_begin(p);
        printer_uint(p, "battery", buf[0]);
        describe_features(p, &f);
        printer_end(p);
        return 0;
}

typedef int (*DecodeFunc)(Printer *p, const uint8_t *buf, size_t len, TTError *e);

static int decode_one(Printer *p, DecodeFunc decode, const char *what, unsigned index, const char *text) {
        uint8_t buf[INPUT_MAX];
        TTError e = {};
        int n, r;

        n = hex_to_bytes(text, buf, sizeof(buf));
        if (n == -ENOBUFS)
                r = tt_error(&e, n, "input longer than %d bytes", INPUT_MAX);
        else if (n < 0)
                r = tt_error(&e, n, "not valid hex (pairs of digits, optionally separated by spaces or colons)");
        else if (n == 0)
                r = tt_error(&e, -EINVAL, "empty input");
        else
                r = decode(p, buf, (size_t) n, &e);

        erase_memory(buf, sizeof(buf));
        if (r < 0) {
                fprintf(stderr, "%s: %s %u: %s\n", program_invocation_short_name, what, index,
                        tt_error_message(&e));
                return r;
        }
        return 0;
}

static int decode_lockdata_one(Printer *p, unsigned index, const char *text, size_t len) {
        TTError e = {};
        int r;

        r = describe_lockdata(p, text, len, arg_show_secrets, &e);
        if (r < 0) {
                fprintf(stderr,
                        "%s: lockdata %u: %s\n",
                        program_invocation_short_name,
                        index,
                        tt_error_message(&e));
                return r;
        }
        return 0;
}

/* lockdata: each argument is one input; without arguments, all of standard input is (a JSON file
 * spans lines). One byte more than the parser takes is read, so that it can say "too large". */
static int run_lockdata(Printer *p, int argc, char *argv[]) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, size = TTLOCK_LOCKDATA_INPUT_MAX + 1;
        bool failed = false;
        unsigned index = 0;

        if (optind < argc) {
                for (int i = optind; i < argc; i++)
                        if (decode_lockdata_one(p, ++index, argv[i], strlen(argv[i])) < 0)
                                failed = true;
                return failed ? -EBADMSG : 0;
        }

        buf = malloc(size);
        if (!buf) {
                fprintf(stderr, "%s: out of memory.\n", program_invocation_short_name);
                return -ENOMEM;
        }
        while (n < size) {
                size_t k = fread(buf + n, 1, size - n, stdin);

                if (k == 0)
                        break;
                n += k;
        }
        if (ferror(stdin)) {
                fprintf(stderr, "%s: cannot read standard input.\n", program_invocation_short_name);
                erase_memory(buf, n);
                return -EIO;
        }
        failed = decode_lockdata_one(p, 1, buf, n) < 0;
        erase_memory(buf, n);
        return failed ? -EBADMSG : 0;
}

static bool blank(const char *s) {
        return s[strspn(s, " \t\r\n")] == 0;
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *verb;
                DecodeFunc func;
        } verbs[] = {
                { "frame", decode_frame },
                { "advert", decode_advert },
                { "features", decode_features },
        };
        DecodeFunc decode = NULL;
        const char *verb;
        unsigned index = 0;
        bool failed = false;
        Printer p;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (optind >= argc) {
                fprintf(stderr, "%s: missing command: frame, advert, features or lockdata (see --help).\n",
                        program_invocation_short_name);
                return EXIT_FAILURE;
        }
        verb = argv[optind++];
        if (arg_show_secrets && strcmp(verb, "lockdata") != 0) {
                fprintf(stderr, "%s: --show-secrets is only for lockdata.\n", program_invocation_short_name);
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verb, verbs[i].verb) == 0)
                        decode = verbs[i].func;
        if (!decode && strcmp(verb, "lockdata") != 0) {
                fprintf(stderr, "%s: unknown command '%s': use frame, advert, features or lockdata.\n",
                        program_invocation_short_name, verb);
                return EXIT_FAILURE;
        }

        r = ttlock_crypto_init();
        if (r < 0) {
                fprintf(stderr, "%s: libgcrypt is not usable.\n", program_invocation_short_name);
                return EXIT_FAILURE;
        }

        printer_init(&p, stdout, arg_json);

        if (!decode)
                return run_lockdata(&p, argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (optind < argc) {
                for (int i = optind; i < argc; i++)
                        if (decode_one(&p, decode, verb, ++index, argv[i]) < 0)
                                failed = true;
        } else {
                _cleanup_free_ char *line = NULL;
                size_t size = 0;

                while (getline(&line, &size, stdin) >= 0) {
                        if (blank(line))
                                continue;
                        if (decode_one(&p, decode, verb, ++index, line) < 0)
                                failed = true;
                }
                if (index == 0) {
                        fprintf(stderr, "%s: no input.\n", program_invocation_short_name);
                        return EXIT_FAILURE;
                }
        }

        erase_memory(arg_key, sizeof(arg_key));
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
