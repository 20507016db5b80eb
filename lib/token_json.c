/* SPDX-License-Identifier: MIT */
#include "token_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/base64.h>

#include "json_util.h"
#include "util.h"

/* Tokens are flat; deeper nesting in unknown fields only costs work. */
#define JSON_DEPTH 8

json_object *token_json_base64(const uint8_t *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	size_t need = 0;

	(void)mbedtls_base64_encode(NULL, 0, &need, buf, len);
	text = malloc(need);
	if (!text || mbedtls_base64_encode((unsigned char *)text, need, &need, buf, len) != 0)
		return NULL;
	return json_object_new_string_len(text, (int)need);
}

json_object *token_json_keyslots(int keyslot)
{
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	json_object *s;
	char text[16];

	if (!a)
		return NULL;
	snprintf(text, sizeof(text), "%d", keyslot);
	s = json_object_new_string(text);
	if (!s || json_object_array_add(a, s) < 0) {
		json_object_put(s);
		return NULL;
	}
	return TAKE_PTR(a);
}

static void put_fields(const struct token_json_field *fields, size_t from, size_t n)
{
	for (size_t j = from; j < n; j++)
		if (fields[j].val)
			json_object_put(fields[j].val);
}

int token_json_build(const struct token_json_field *fields, size_t n, char **json)
{
	_cleanup_(json_object_putp) json_object *t = NULL;
	const char *text;

	*json = NULL;
	for (size_t i = 0; i < n; i++)
		if (!fields[i].val) {
			put_fields(fields, 0, n);
			return -ENOMEM;
		}
	t = json_object_new_object();
	if (!t) {
		put_fields(fields, 0, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		/* json-c keeps the value only when it succeeds. */
		if (json_object_object_add(t, fields[i].key, fields[i].val) < 0) {
			put_fields(fields, i, n);
			return -ENOMEM;
		}
	/* json-c escapes '/' by default, which base64 is full of; valid either way, but not what systemd writes. */
	text = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		return -ENOMEM;
	*json = strdup(text);
	return *json ? 0 : -ENOMEM;
}

int token_json_parse(const char *json, json_object **doc, struct reason *why)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_(json_object_putp) json_object *d = NULL;
	size_t n;

	*doc = NULL;
	if (!json)
		return reason_set(why, -EINVAL, "no token");
	n = strlen(json);
	if (n > INT32_MAX)
		return reason_set(why, -EBADMSG, "token too large");
	if (json_text_has_raw_control(json, n))
		return reason_set(why, -EBADMSG, "not JSON (a control character in a string)");
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok)
		return reason_set(why, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	d = json_tokener_parse_ex(tok, json, (int)n);
	if (json_tokener_out_of_memory(tok))
		return reason_set(why, -ENOMEM, "out of memory");
	if (json_tokener_get_error(tok) != json_tokener_success)
		return reason_set(why, -EBADMSG, "not JSON");
	for (size_t i = json_tokener_get_parse_end(tok); i < n; i++)
		if (!strchr(" \t\r\n", json[i]))
			return reason_set(why, -EBADMSG, "not JSON (data after the object)");
	if (!json_object_is_type(d, json_type_object))
		return reason_set(why, -EBADMSG, "not a JSON object");
	*doc = TAKE_PTR(d);
	return 0;
}

int token_json_type(json_object *tok, const char *type, struct reason *why)
{
	json_object *o;

	if (!json_object_object_get_ex(tok, "type", &o) || !json_object_is_type(o, json_type_string))
		return reason_set(why, -EBADMSG, "no type field");
	if (strcmp(json_object_get_string(o), type) != 0)
		return reason_set(why, -EBADMSG, "type is not %s", type);
	return 0;
}

int token_json_keyslot(json_object *tok, int *keyslot, struct reason *why)
{
	json_object *o, *e;
	const char *text;
	size_t n;

	if (!json_object_object_get_ex(tok, "keyslots", &o) || !json_object_is_type(o, json_type_array))
		return reason_set(why, -EBADMSG, "no keyslots array");
	if (json_object_array_length(o) != 1)
		return reason_set(why, -EBADMSG, "keyslots does not name exactly one keyslot");
	e = json_object_array_get_idx(o, 0);
	if (!json_object_is_type(e, json_type_string))
		return reason_set(why, -EBADMSG, "keyslot is not a decimal string");
	text = json_object_get_string(e);
	n = (size_t)json_object_get_string_len(e);
	if (n == 0 || n > 2 || (n == 2 && text[0] == '0') || strspn(text, "0123456789") != n)
		return reason_set(why, -EBADMSG, "keyslot is not a decimal string");
	*keyslot = atoi(text);
	if (*keyslot > TOKEN_KEYSLOT_MAX)
		return reason_set(why, -EBADMSG, "keyslot is outside 0-31");
	return 0;
}

int token_json_base64_field(json_object *tok, const char *key, uint8_t **out, size_t *len, const char *missing,
			    const char *bad, struct reason *why)
{
	_cleanup_free_ uint8_t *buf = NULL;
	json_object *o;
	const char *text;
	size_t n, need = 0;
	int r;

	if (!json_object_object_get_ex(tok, key, &o))
		return reason_set(why, -EBADMSG, "%s", missing);
	if (!json_object_is_type(o, json_type_string))
		return reason_set(why, -EBADMSG, "%s", bad);
	text = json_object_get_string(o);
	n = (size_t)json_object_get_string_len(o);
	r = mbedtls_base64_decode(NULL, 0, &need, (const unsigned char *)text, n);
	if (r != MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL || need == 0)
		return reason_set(why, -EBADMSG, "%s", bad);
	buf = malloc(need);
	if (!buf)
		return reason_set(why, -ENOMEM, "out of memory");
	if (mbedtls_base64_decode(buf, need, len, (const unsigned char *)text, n) != 0 || *len == 0)
		return reason_set(why, -EBADMSG, "%s", bad);
	*out = TAKE_PTR(buf);
	return 0;
}
