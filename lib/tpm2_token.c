/* SPDX-License-Identifier: MIT */
#include "tpm2_token.h"

#include <stdbool.h>
#include <strings.h>

#include <json-c/json.h>
#include <mbedtls/base64.h>

#include "encoding.h"
#include "json_util.h"
#include "reason.h"
#include "token_json.h"
#include "util.h"

/* ---- building ----------------------------------------------------------------------------- */

static json_object *hex_string(const uint8_t *buf, size_t len)
{
	char text[2 * 32 + 1];

	if (len > 32)
		return NULL;
	hex_encode(text, buf, len);
	return json_object_new_string_len(text, (int)(2 * len));
}

static json_object *pcr_array(uint32_t mask)
{
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	for (int pcr = 0; pcr < TPM2_PCR_COUNT; pcr++) {
		json_object *n;

		if (!(mask & (1u << pcr)))
			continue;
		n = json_object_new_int(pcr);
		if (!n || json_object_array_add(a, n) < 0) {
			json_object_put(n);
			return NULL;
		}
	}
	return TAKE_PTR(a);
}

int tpm2_token_build(const struct tpm2_sealed *s, int keyslot, char **json)
{
	*json = NULL;
	/* rampart writes the SRK model only (README, "Token compatibility"). */
	if (!s || s->parent != TPM2_PARENT_SRK || !s->blob || !s->blob_len || !s->srk || !s->srk_len || s->pcr_mask == 0 ||
	    s->pcr_mask >= (1u << TPM2_PCR_COUNT) || keyslot < 0 || keyslot > TPM2_TOKEN_KEYSLOT_MAX)
		return -EINVAL;

	/* In systemd's order, which is also how cryptsetup luksDump shows it. */
	const struct token_json_field fields[] = {
		{ "type", json_object_new_string(TPM2_TOKEN_TYPE) },
		{ "keyslots", token_json_keyslots(keyslot) },
		{ "tpm2-blob", token_json_base64(s->blob, s->blob_len) },
		{ "tpm2-pcrs", pcr_array(s->pcr_mask) },
		{ "tpm2-pcr-bank", json_object_new_string("sha256") },
		{ "tpm2-policy-hash", hex_string(s->policy_hash, sizeof(s->policy_hash)) },
		{ "tpm2-pin", json_object_new_boolean(0) },
		{ "tpm2_srk", token_json_base64(s->srk, s->srk_len) },
	};

	return token_json_build(fields, ARRAY_SIZE(fields), json);
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* systemd writes lowercase and reads either case. */
static int policy_hash_field(json_object *tok, uint8_t out[32], struct reason *why)
{
	json_object *o;

	if (!json_object_object_get_ex(tok, "tpm2-policy-hash", &o))
		return reason_set(why, -EBADMSG, "no tpm2-policy-hash field");
	if (json_object_is_type(o, json_type_array))
		return reason_set(why, -EBADMSG, "several policy hashes (tpm2-policy-hash array) are not supported");
	if (!json_object_is_type(o, json_type_string) || json_object_get_string_len(o) != 64 ||
	    hex_decode(json_object_get_string(o), 64, out) < 0)
		return reason_set(why, -EBADMSG, "tpm2-policy-hash is not 64 hex digits");
	return 0;
}

static int pcrs_field(json_object *tok, uint32_t *mask, struct reason *why)
{
	json_object *o;
	size_t n;

	if (!json_object_object_get_ex(tok, "tpm2-pcrs", &o))
		return reason_set(why, -EBADMSG, "no tpm2-pcrs field");
	if (!json_object_is_type(o, json_type_array))
		return reason_set(why, -EBADMSG, "tpm2-pcrs is not an array");
	n = json_object_array_length(o);
	*mask = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(o, i);
		int64_t pcr;

		/* json-c reads 7.0 as a double and "7" as a string: both refused, like systemd does. */
		if (!json_object_is_type(e, json_type_int))
			return reason_set(why, -EBADMSG, "tpm2-pcrs has an entry that is not an integer");
		pcr = json_object_get_int64(e);
		if (pcr < 0 || pcr >= TPM2_PCR_COUNT)
			return reason_set(why, -EBADMSG, "tpm2-pcrs has a PCR outside 0-23");
		*mask |= 1u << pcr;
	}
	/* systemd allows none (a signed policy alone, or nothing); an unsealing without PCRs is not ours to do. */
	if (*mask == 0)
		return reason_set(why, -EBADMSG, "tpm2-pcrs is empty");
	return 0;
}

/* A boolean that must be false (or absent) for rampart to unseal. */
static int false_field(json_object *tok, const char *key, const char *not_bool, const char *unsupported,
		       struct reason *why)
{
	json_object *o;

	if (!json_object_object_get_ex(tok, key, &o))
		return 0;
	if (!json_object_is_type(o, json_type_boolean))
		return reason_set(why, -EBADMSG, "%s", not_bool);
	if (json_object_get_boolean(o))
		return reason_set(why, -EBADMSG, "%s", unsupported);
	return 0;
}

static int check_fields(json_object *tok, struct reason *why)
{
	json_object *o;
	int r;

	r = token_json_type(tok, TPM2_TOKEN_TYPE, why);
	if (r < 0)
		return r;

	/* Absent means sha256: systemd before 250 wrote no bank and used sha256. */
	if (json_object_object_get_ex(tok, "tpm2-pcr-bank", &o) &&
	    (!json_object_is_type(o, json_type_string) || strcasecmp(json_object_get_string(o), "sha256") != 0))
		return reason_set(why, -EBADMSG, "PCR bank is not sha256");

	r = false_field(tok, "tpm2-pin", "tpm2-pin is not a boolean", "PIN-protected tokens are not supported", why);
	if (r < 0)
		return r;
	r = false_field(tok, "tpm2_pcrlock", "tpm2_pcrlock is not a boolean", "pcrlock policies are not supported",
			why);
	if (r < 0)
		return r;
	/* A signed PCR policy changes what the object's policy is: not ignorable. */
	if (json_object_object_get_ex(tok, "tpm2_pubkey", &o) ||
	    (json_object_object_get_ex(tok, "tpm2_pubkey_pcrs", &o) &&
	     !(json_object_is_type(o, json_type_array) && json_object_array_length(o) == 0)))
		return reason_set(why, -EBADMSG, "signed PCR policies (tpm2_pubkey) are not supported");
	if (json_object_object_get_ex(tok, "tpm2-blob", &o) && json_object_is_type(o, json_type_array))
		return reason_set(why, -EBADMSG, "several sealed blobs (tpm2-blob array) are not supported");
	return 0;
}

/*
 * Which key the blob was sealed under: the SRK serialized in tpm2_srk, or
 * without it (systemd before 254) the legacy transient primary that
 * tpm2-primary-alg names, ECC when absent (systemd before 250 wrote none
 * and knew only ECC).  tpm2-primary-alg must be "ecc" or "rsa" either
 * way; with tpm2_srk it is not used.
 */
static int parent_fields(json_object *tok, struct tpm2_sealed *s, struct reason *why)
{
	enum tpm2_parent legacy = TPM2_PARENT_LEGACY_ECC;
	json_object *o;

	if (json_object_object_get_ex(tok, "tpm2-primary-alg", &o)) {
		const char *alg;

		if (!json_object_is_type(o, json_type_string))
			return reason_set(why, -EBADMSG, "tpm2-primary-alg is not a string");
		alg = json_object_get_string(o);
		if (!strcmp(alg, "rsa"))
			legacy = TPM2_PARENT_LEGACY_RSA;
		else if (strcmp(alg, "ecc") != 0)
			return reason_set(why, -EBADMSG, "tpm2-primary-alg is neither ecc nor rsa");
	}
	if (json_object_object_get_ex(tok, "tpm2_srk", &o)) {
		s->parent = TPM2_PARENT_SRK;
		return token_json_base64_field(tok, "tpm2_srk", &s->srk, &s->srk_len, "no tpm2_srk field",
				    "tpm2_srk is not base64", why);
	}
	s->parent = legacy;
	return 0;
}

int tpm2_token_parse(const char *json, struct tpm2_sealed *out, int *keyslot, struct reason *why)
{
	_cleanup_(json_object_putp) json_object *doc = NULL;
	_cleanup_(tpm2_sealed_free) struct tpm2_sealed s = { 0 };
	int slot = -1, r;

	memset(out, 0, sizeof(*out));
	r = token_json_parse(json, &doc, why);
	if (r < 0)
		return r;
	r = check_fields(doc, why);
	if (r < 0)
		return r;
	r = token_json_keyslot(doc, &slot, why);
	if (r < 0)
		return r;
	r = pcrs_field(doc, &s.pcr_mask, why);
	if (r < 0)
		return r;
	r = policy_hash_field(doc, s.policy_hash, why);
	if (r < 0)
		return r;
	r = token_json_base64_field(doc, "tpm2-blob", &s.blob, &s.blob_len, "no tpm2-blob field", "tpm2-blob is not base64",
			 why);
	if (r < 0)
		return r;
	r = parent_fields(doc, &s, why);
	if (r < 0)
		return r;

	*out = s;
	memset(&s, 0, sizeof(s));
	if (keyslot)
		*keyslot = slot;
	return 0;
}
