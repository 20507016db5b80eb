/* SPDX-License-Identifier: MIT */
/* json-c types for the cleanup idiom of util.h. */
#ifndef RAMPART_JSON_UTIL_H
#define RAMPART_JSON_UTIL_H

#include <json-c/json.h>

static inline void json_object_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}

static inline void json_tokener_freep(struct json_tokener **t)
{
	if (*t)
		json_tokener_free(*t);
}

#endif
