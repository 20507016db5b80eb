/* SPDX-License-Identifier: MIT */
/*
 * What every LUKS2 token rampart writes or reads has in common: a flat
 * JSON object, parsed strictly, with a "type", a "keyslots" array of one
 * decimal string (the LUKS2 spec), base64 (standard, padded) fields, and
 * written as systemd writes its tokens (plain, '/' not escaped).  Used by
 * lib/tpm2_token.c (systemd-tpm2) and lib/escrow.c (rampart-escrow).
 * Functions that fail say why in @why (lib/reason.h).
 */
#ifndef RAMPART_TOKEN_JSON_H
#define RAMPART_TOKEN_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "reason.h"

#define TOKEN_KEYSLOT_MAX 31 /* LUKS2 has 32 keyslots */

/* ---- building: each returns a new object, or NULL when out of memory */
json_object *token_json_base64(const uint8_t *buf, size_t len);
json_object *token_json_keyslots(int keyslot);

struct token_json_field {
	const char *key;
	json_object *val; /* may be NULL after a failed allocation */
};

/*
 * A token of @n fields, in their order, as malloc'ed text in *@json.
 * Takes every field's value whatever happens.  0 or -ENOMEM.
 */
int token_json_build(const struct token_json_field *fields, size_t n, char **json);

/* ---- parsing */

/* @json as a JSON object, strictly: -EBADMSG (with @why) unless that is all it is. */
int token_json_parse(const char *json, json_object **doc, struct reason *why);

/* The "type" field: -EBADMSG unless it is the string @type. */
int token_json_type(json_object *tok, const char *type, struct reason *why);

/* The one keyslot "keyslots" names (0-31). */
int token_json_keyslot(json_object *tok, int *keyslot, struct reason *why);

/*
 * The base64 field @key, decoded into a malloc'ed *@out of *@len bytes
 * (at least one); @missing and @bad are the reasons for absent and not
 * base64.
 */
int token_json_base64_field(json_object *tok, const char *key, uint8_t **out, size_t *len, const char *missing,
			    const char *bad, struct reason *why);

#endif
