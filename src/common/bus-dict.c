/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "bus-dict.h"
#include "string-util.h"

static const BusDictField *field_of(const BusDictField *fields, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (!fields[i].key || streq(fields[i].key, key))
                        return &fields[i];
        return NULL;
}

int bus_dict_read(sd_bus_message *m, const BusDictField *fields, size_t n_fields, void *userdata) {
        int count = 0, r;

        assert(m);
        assert(fields || n_fields == 0);

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const BusDictField *f;
                const char *key;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                f = field_of(fields, n_fields, key);
                r = f ? f->parse(m, key, userdata) : sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                count++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : count;
}

int bus_dict_read_basic(sd_bus_message *m, char type, void *ret) {
        const char *contents;
        char want[2] = { type, 0 };
        int r;

        assert(m);
        assert(ret);

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, want))
                return sd_bus_message_skip(m, "v") < 0 ? -EBADMSG : 0;
        r = sd_bus_message_enter_container(m, 'v', want);
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, type, ret);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 1;
}

int bus_dict_skip(sd_bus_message *m, const char *key, void *userdata) {
        return sd_bus_message_skip(m, "v");
}

int bus_interfaces_read(sd_bus_message *m, int (*parse)(sd_bus_message *m, const char *interface, void *userdata),
                        void *userdata) {
        int count = 0, r;

        assert(m);
        assert(parse);

        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *interface;

                r = sd_bus_message_read(m, "s", &interface);
                if (r < 0)
                        return r;
                r = parse(m, interface, userdata);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                count++;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : count;
}
