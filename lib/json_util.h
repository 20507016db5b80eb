/* SPDX-License-Identifier: MIT */
/* json-c types for the cleanup idiom of util.h. */
#ifndef RAMPART_JSON_UTIL_H
#define RAMPART_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
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

/* RFC 8259 allows no raw control character inside a string; json-c 0.16
 * takes them even in strict mode (0.17 refuses).  True if TEXT has one. */
static inline bool json_text_has_raw_control(const char *text, size_t n)
{
	bool in_string = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (in_string && c < 0x20)
			return true;
		if (in_string && c == '\\')
			i++;
		else if (c == '"')
			in_string = !in_string;
	}
	return false;
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
