/* SPDX-License-Identifier: MIT */
/* json-c types for the cleanup idiom of util.h. */
#ifndef RAMPART_JSON_UTIL_H
#define RAMPART_JSON_UTIL_H

#include <stdbool.h>
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

/* json-c 0.16 (Debian 12) reports running out of memory as a parse error;
 * 0.17 and later have their own code for it. */
static inline bool json_tokener_out_of_memory(struct json_tokener *t)
{
#if JSON_C_VERSION_NUM >= 0x001100
	return json_tokener_get_error(t) == json_tokener_error_memory;
#else
	(void)t;
	return false;
#endif
}

#endif
