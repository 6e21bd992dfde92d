/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* json-c (the project's JSON library) with the project's cleanup habits. */

#include <json-c/json.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

/* JSON text as published: compact, "/" not escaped. Owned by obj. */
static inline const char *json_text(json_object *obj) {
        return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
