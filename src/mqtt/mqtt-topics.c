/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt-topics.h"
#include "string-util.h"

char *topic_bridge(const MqttConfig *c, const char *leaf) {
        char *t;

        if (asprintf(&t, "%s/%s/%s", c->base_topic, c->node_id, leaf) < 0)
                return NULL;
        return t;
}

char *topic_lock(const MqttConfig *c, const char *lock_id, const char *leaf) {
        char *t;

        if (asprintf(&t, "%s/%s/%s/%s", c->base_topic, c->node_id, lock_id, leaf) < 0)
                return NULL;
        return t;
}

char *topic_ha_status(const MqttConfig *c) {
        char *t;

        if (asprintf(&t, "%s/%s", c->discovery_prefix, TOPIC_HA_STATUS) < 0)
                return NULL;
        return t;
}

TopicKind
topic_classify(const MqttConfig *c, const char *topic, char ret_lock_id[static TOPIC_LEVEL_MAX + 1]) {
        size_t nb = strlen(c->base_topic), nn = strlen(c->node_id), np = strlen(c->discovery_prefix);
        const char *rest, *slash;

        ret_lock_id[0] = 0;
        if (strncmp(topic, c->discovery_prefix, np) == 0 && topic[np] == '/' &&
            streq(topic + np + 1, TOPIC_HA_STATUS))
                return TOPIC_KIND_HA_STATUS;

        if (strncmp(topic, c->base_topic, nb) != 0 || topic[nb] != '/' ||
            strncmp(topic + nb + 1, c->node_id, nn) != 0 || topic[nb + 1 + nn] != '/')
                return TOPIC_KIND_OTHER;
        rest = topic + nb + 1 + nn + 1;
        if (streq(rest, TOPIC_BRIDGE_MANAGE))
                return TOPIC_KIND_BRIDGE_MANAGE;

        slash = strchr(rest, '/');
        if (!slash || slash == rest || (size_t) (slash - rest) > TOPIC_LEVEL_MAX)
                return TOPIC_KIND_OTHER;
        memcpy(ret_lock_id, rest, (size_t) (slash - rest));
        ret_lock_id[slash - rest] = 0;
        if (streq(slash + 1, TOPIC_COMMAND))
                return TOPIC_KIND_LOCK_COMMAND;
        if (streq(slash + 1, TOPIC_MANAGE))
                return TOPIC_KIND_LOCK_MANAGE;
        if (streq(slash + 1, TOPIC_INFO))
                return TOPIC_KIND_LOCK_INFO;
        ret_lock_id[0] = 0;
        return TOPIC_KIND_OTHER;
}
