/* SPDX-License-Identifier: MIT */
/*
 * lib/tpm2_token: the LUKS2 "systemd-tpm2" token, built and parsed, against
 * a token written by hand in the shape systemd-cryptenroll (v254+, with an
 * SRK, no PIN) writes.  No TPM needed.
 *
 * Built static with musl, UBSan in trap mode; every case is run by
 * testutil_run_checked(), which fails a case that leaves allocations
 * behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tss2/tss2_mu.h>

#include "log.h"
#include "testutil.h"
#include "tpm2_token.h"
#include "util.h"

/* ---- a systemd-shaped token ------------------------------------------------------------ */

/*
 * As systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7 writes it (the
 * order of tpm2_make_luks2_json(); "tpm2_pcrlock" is what systemd 255 and
 * later add), with short stand-ins for the blob and the SRK.  The blob
 * decodes to 00 01 02 ... 0f, the SRK to "SRK-serialized".
 */
#define BLOB_B64 "AAECAwQFBgcICQoLDA0ODw=="
#define SRK_B64 "U1JLLXNlcmlhbGl6ZWQ="
#define POLICY_HEX "0b5e0a1dc7c1d4b1d0e31d1b4e7a5c5a6f3e1c0d9b8a7f6e5d4c3b2a1908f7e6"

#define FIELD_TYPE "\"type\":\"systemd-tpm2\""
#define FIELD_SLOTS "\"keyslots\":[\"1\"]"
#define FIELD_BLOB "\"tpm2-blob\":\"" BLOB_B64 "\""
#define FIELD_PCRS "\"tpm2-pcrs\":[7]"
#define FIELD_BANK "\"tpm2-pcr-bank\":\"sha256\""
#define FIELD_POLICY "\"tpm2-policy-hash\":\"" POLICY_HEX "\""
#define FIELD_PIN "\"tpm2-pin\":false"
#define FIELD_SRK "\"tpm2_srk\":\"" SRK_B64 "\""

static const char systemd_token[] =
	"{\n"
	"  \"type\" : \"systemd-tpm2\",\n"
	"  \"keyslots\" : [\n    \"1\"\n  ],\n"
	"  \"tpm2-blob\" : \"" BLOB_B64 "\",\n"
	"  \"tpm2-pcrs\" : [\n    7\n  ],\n"
	"  \"tpm2-pcr-bank\" : \"sha256\",\n"
	"  \"tpm2-policy-hash\" : \"" POLICY_HEX "\",\n"
	"  \"tpm2-pin\" : false,\n"
	"  \"tpm2_pcrlock\" : false,\n"
	"  \"tpm2_srk\" : \"" SRK_B64 "\"\n"
	"}\n";

static const uint8_t blob_bytes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t policy_bytes[32] = {
	0x0b, 0x5e, 0x0a, 0x1d, 0xc7, 0xc1, 0xd4, 0xb1, 0xd0, 0xe3, 0x1d, 0x1b, 0x4e, 0x7a, 0x5c, 0x5a,
	0x6f, 0x3e, 0x1c, 0x0d, 0x9b, 0x8a, 0x7f, 0x6e, 0x5d, 0x4c, 0x3b, 0x2a, 0x19, 0x08, 0xf7, 0xe6,
};

/* A token from fields, each either the good one or a replacement. */
static char *token(const char *type, const char *slots, const char *blob, const char *pcrs, const char *bank,
		   const char *policy, const char *pin, const char *srk, const char *extra)
{
	char *s;

	assert_true(asprintf(&s, "{%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s}", type, *type ? "," : "", slots,
			     *slots ? "," : "", blob, *blob ? "," : "", pcrs, *pcrs ? "," : "", bank,
			     *bank ? "," : "", policy, *policy ? "," : "", pin, *pin ? "," : "", srk,
			     *extra ? "," : "", extra) > 0);
	/* A trailing comma when srk is left out. */
	if (!*srk && !*extra) {
		size_t n = strlen(s);

		if (n >= 2 && s[n - 2] == ',') {
			s[n - 2] = '}';
			s[n - 1] = '\0';
		}
	}
	return s;
}

#define GOOD_FIELDS FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN, FIELD_SRK

static void expect(const char *json, int err, const char *reason)
{
	struct tpm2_sealed s;
	struct reason why = { "" };
	int slot = -1, r;

	r = tpm2_token_parse(json, &s, &slot, &why);
	if (r != err)
		fail_msg("%s\n  parsed as %d (%s), expected %d", json, r, reason_or(&why, "-"), err);
	if (err == 0) {
		assert_non_null(s.blob);
		tpm2_sealed_free(&s);
		return;
	}
	assert_null(s.blob);
	assert_null(s.srk);
	if (reason && (strcmp(why.text, reason) != 0))
		fail_msg("%s\n  reason \"%s\", expected \"%s\"", json, reason_or(&why, "-"), reason);
}

static void expect_fields(const char *type, const char *slots, const char *blob, const char *pcrs,
			  const char *bank, const char *policy, const char *pin, const char *srk, const char *extra,
			  int err, const char *reason)
{
	char *json = token(type, slots, blob, pcrs, bank, policy, pin, srk, extra);

	expect(json, err, reason);
	free(json);
}

/* ---- cases ------------------------------------------------------------------------------------ */

static void systemd_token_parses(void)
{
	struct tpm2_sealed s;
	struct reason why = { "" };
	int slot = -1;

	assert_int_equal(tpm2_token_parse(systemd_token, &s, &slot, &why), 0);
	assert_int_equal(slot, 1);
	assert_int_equal(s.pcr_mask, 1u << 7);
	assert_int_equal(s.blob_len, sizeof(blob_bytes));
	assert_memory_equal(s.blob, blob_bytes, sizeof(blob_bytes));
	assert_memory_equal(s.policy_hash, policy_bytes, 32);
	assert_int_equal(s.srk_len, strlen("SRK-serialized"));
	assert_memory_equal(s.srk, "SRK-serialized", s.srk_len);
	tpm2_sealed_free(&s);
	/* keyslot is optional to ask for */
	assert_int_equal(tpm2_token_parse(systemd_token, &s, NULL, &why), 0);
	tpm2_sealed_free(&s);
	tpm2_sealed_free(NULL);
}

static void build_is_systemds_format(void)
{
	struct tpm2_sealed s = {
		.blob = (uint8_t *)blob_bytes,
		.blob_len = sizeof(blob_bytes),
		.srk = (uint8_t *)"SRK-serialized",
		.srk_len = strlen("SRK-serialized"),
		.pcr_mask = 1u << 7,
	};
	char *json = NULL;

	memcpy(s.policy_hash, policy_bytes, 32);
	assert_int_equal(tpm2_token_build(&s, 1, &json), 0);
	/* Field for field, in systemd's order; no "tpm2-primary-alg" with an SRK; '/' not escaped. */
	assert_string_equal(json, "{" FIELD_TYPE "," FIELD_SLOTS "," FIELD_BLOB "," FIELD_PCRS "," FIELD_BANK ","
				  FIELD_POLICY "," FIELD_PIN "," FIELD_SRK "}");
	free(json);

	/* Several PCRs ascending, a two-digit keyslot, base64 with '/' and '+'. */
	{
		static const uint8_t slashes[] = { 0xff, 0xef, 0xfb, 0xfb };
		struct tpm2_sealed t = s;

		t.pcr_mask = (1u << 23) | (1u << 0) | (1u << 7);
		t.blob = (uint8_t *)slashes;
		t.blob_len = sizeof(slashes);
		assert_int_equal(tpm2_token_build(&t, 31, &json), 0);
		assert_non_null(strstr(json, "\"keyslots\":[\"31\"]"));
		assert_non_null(strstr(json, "\"tpm2-pcrs\":[0,7,23]"));
		assert_non_null(strstr(json, "\"tpm2-blob\":\"/+/7+w==\""));
		free(json);
	}

	assert_int_equal(tpm2_token_build(&s, -1, &json), -EINVAL);
	assert_null(json);
	assert_int_equal(tpm2_token_build(&s, 32, &json), -EINVAL);
	s.pcr_mask = 0;
	assert_int_equal(tpm2_token_build(&s, 1, &json), -EINVAL);
	s.pcr_mask = 1u << 24;
	assert_int_equal(tpm2_token_build(&s, 1, &json), -EINVAL);
	s.pcr_mask = 1u << 7;
	s.blob_len = 0;
	assert_int_equal(tpm2_token_build(&s, 1, &json), -EINVAL);
	s.blob_len = sizeof(blob_bytes);
	s.srk = NULL;
	assert_int_equal(tpm2_token_build(&s, 1, &json), -EINVAL);
}

static void round_trip(void)
{
	uint8_t blob[300], srk[150];
	struct tpm2_sealed s = { .blob = blob, .blob_len = sizeof(blob), .srk = srk, .srk_len = sizeof(srk) };

	for (int round = 0; round < 64; round++) {
		struct tpm2_sealed back;
		struct reason why = { "" };
		char *json;
		int slot;

		for (size_t i = 0; i < sizeof(blob); i++)
			blob[i] = (uint8_t)(i * 7 + round);
		for (size_t i = 0; i < sizeof(srk); i++)
			srk[i] = (uint8_t)(i * 13 + round);
		s.blob_len = 1 + (size_t)round * 4;
		s.srk_len = 1 + (size_t)round * 2;
		for (size_t i = 0; i < 32; i++)
			s.policy_hash[i] = (uint8_t)(i + round);
		s.pcr_mask = (0x9e3779b9u * (uint32_t)(round + 1)) & 0xffffff;
		if (!s.pcr_mask)
			s.pcr_mask = 1;

		assert_int_equal(tpm2_token_build(&s, round % 32, &json), 0);
		assert_int_equal(tpm2_token_parse(json, &back, &slot, &why), 0);
		assert_int_equal(slot, round % 32);
		assert_int_equal(back.pcr_mask, s.pcr_mask);
		assert_int_equal(back.blob_len, s.blob_len);
		assert_memory_equal(back.blob, s.blob, s.blob_len);
		assert_int_equal(back.srk_len, s.srk_len);
		assert_memory_equal(back.srk, s.srk, s.srk_len);
		assert_memory_equal(back.policy_hash, s.policy_hash, 32);
		tpm2_sealed_free(&back);
		free(json);
	}
}

static void accepted_variants(void)
{
	/* Unknown fields, older and newer systemd's extras. */
	expect_fields(GOOD_FIELDS, "\"x-vendor\":{\"a\":[1,2,{\"b\":null}]}", 0, NULL);
	expect_fields(GOOD_FIELDS, "\"tpm2-primary-alg\":\"ecc\"", 0, NULL);
	expect_fields(GOOD_FIELDS, "\"tpm2_pcrlock\":false", 0, NULL);
	expect_fields(GOOD_FIELDS, "\"tpm2_pubkey_pcrs\":[]", 0, NULL);
	/* No bank: systemd before 250 meant sha256. */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, "", FIELD_POLICY, FIELD_PIN, FIELD_SRK, "", 0,
		      NULL);
	/* No tpm2-pin: false. */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, "", FIELD_SRK, "", 0,
		      NULL);
	/* Upper-case hex, PCRs repeated or unordered, any order of fields. */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[7,0,7]", FIELD_BANK,
		      "\"tpm2-policy-hash\":\"0B5E0A1DC7C1D4B1D0E31D1B4E7A5C5A6F3E1C0D9B8A7F6E5D4C3B2A1908F7E6\"",
		      FIELD_PIN, FIELD_SRK, "", 0, NULL);
	expect("{" FIELD_SRK "," FIELD_PIN "," FIELD_POLICY "," FIELD_BANK "," FIELD_PCRS "," FIELD_BLOB ","
	       FIELD_SLOTS "," FIELD_TYPE "}", 0, NULL);
	expect_fields(FIELD_TYPE, "\"keyslots\":[\"0\"]", FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      FIELD_SRK, "", 0, NULL);
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, "\"tpm2-pcr-bank\":\"SHA256\"", FIELD_POLICY,
		      FIELD_PIN, FIELD_SRK, "", 0, NULL);
}

static void rejected(void)
{
	/* Not a token at all. */
	expect("", -EBADMSG, "not JSON");
	expect("[]", -EBADMSG, "not a JSON object");
	expect("{\"type\":\"systemd-tpm2\"", -EBADMSG, "not JSON");
	/* Strict json-c refuses the trailing text itself; the check after it is a second line. */
	expect("{} x", -EBADMSG, NULL);
	expect("{} \n\t ", -EBADMSG, "no type field");
	{
		struct tpm2_sealed s;

		assert_int_equal(tpm2_token_parse(NULL, &s, NULL, NULL), -EINVAL);
	}

	/* type */
	expect_fields("\"type\":\"systemd-fido2\"", FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY,
		      FIELD_PIN, FIELD_SRK, "", -EBADMSG, "type is not systemd-tpm2");
	expect_fields("", FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN, FIELD_SRK, "",
		      -EBADMSG, "no type field");
	expect_fields("\"type\":7", FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      FIELD_SRK, "", -EBADMSG, "no type field");

	/* keyslots */
	static const char *const bad_slots[] = {
		"\"keyslots\":[1]", "\"keyslots\":[\"1\",\"2\"]", "\"keyslots\":[]", "\"keyslots\":\"1\"",
		"\"keyslots\":[\"01\"]", "\"keyslots\":[\"-1\"]", "\"keyslots\":[\" 1\"]", "\"keyslots\":[\"\"]",
		"\"keyslots\":[\"32\"]", "\"keyslots\":[\"100\"]", "\"keyslots\":[\"1x\"]", "",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_slots); i++)
		expect_fields(FIELD_TYPE, bad_slots[i], FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
			      FIELD_SRK, "", -EBADMSG, NULL);

	/* blob */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, "", FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN, FIELD_SRK, "",
		      -EBADMSG, "no tpm2-blob field");
	static const char *const bad_blobs[] = {
		"\"tpm2-blob\":\"\"", "\"tpm2-blob\":\"AAEC*wQF\"", "\"tpm2-blob\":\"AAECA\"", "\"tpm2-blob\":5",
		"\"tpm2-blob\":\"=AAA\"", "\"tpm2-blob\":null",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_blobs); i++)
		expect_fields(FIELD_TYPE, FIELD_SLOTS, bad_blobs[i], FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
			      FIELD_SRK, "", -EBADMSG, "tpm2-blob is not base64");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, "\"tpm2-blob\":[\"" BLOB_B64 "\"]", FIELD_PCRS, FIELD_BANK,
		      FIELD_POLICY, FIELD_PIN, FIELD_SRK, "", -EBADMSG,
		      "several sealed blobs (tpm2-blob array) are not supported");

	/* PCRs */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "", FIELD_BANK, FIELD_POLICY, FIELD_PIN, FIELD_SRK, "",
		      -EBADMSG, "no tpm2-pcrs field");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[24]", FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      FIELD_SRK, "", -EBADMSG, "tpm2-pcrs has a PCR outside 0-23");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[7,-1]", FIELD_BANK, FIELD_POLICY,
		      FIELD_PIN, FIELD_SRK, "", -EBADMSG, "tpm2-pcrs has a PCR outside 0-23");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[18446744073709551615]", FIELD_BANK,
		      FIELD_POLICY, FIELD_PIN, FIELD_SRK, "", -EBADMSG, "tpm2-pcrs has a PCR outside 0-23");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[4294967303]", FIELD_BANK, FIELD_POLICY,
		      FIELD_PIN, FIELD_SRK, "", -EBADMSG, "tpm2-pcrs has a PCR outside 0-23");
	static const char *const bad_pcr_entries[] = {
		"\"tpm2-pcrs\":[\"7\"]", "\"tpm2-pcrs\":[7.0]", "\"tpm2-pcrs\":[true]", "\"tpm2-pcrs\":[[7]]",
		"\"tpm2-pcrs\":[null]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_pcr_entries); i++)
		expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, bad_pcr_entries[i], FIELD_BANK, FIELD_POLICY,
			      FIELD_PIN, FIELD_SRK, "", -EBADMSG, "tpm2-pcrs has an entry that is not an integer");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":7", FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      FIELD_SRK, "", -EBADMSG, "tpm2-pcrs is not an array");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, "\"tpm2-pcrs\":[]", FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      FIELD_SRK, "", -EBADMSG, "tpm2-pcrs is empty");

	/* bank */
	static const char *const bad_banks[] = {
		"\"tpm2-pcr-bank\":\"sha1\"", "\"tpm2-pcr-bank\":\"sha384\"", "\"tpm2-pcr-bank\":\"\"",
		"\"tpm2-pcr-bank\":11", "\"tpm2-pcr-bank\":\"sha256 \"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_banks); i++)
		expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, bad_banks[i], FIELD_POLICY, FIELD_PIN,
			      FIELD_SRK, "", -EBADMSG, "PCR bank is not sha256");

	/* policy hash */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, "", FIELD_PIN, FIELD_SRK, "",
		      -EBADMSG, "no tpm2-policy-hash field");
	static const char *const bad_hashes[] = {
		"\"tpm2-policy-hash\":\"0b5e\"",
		"\"tpm2-policy-hash\":\"" POLICY_HEX "00\"",
		"\"tpm2-policy-hash\":\"0b5e0a1dc7c1d4b1d0e31d1b4e7a5c5a6f3e1c0d9b8a7f6e5d4c3b2a1908f7eg\"",
		"\"tpm2-policy-hash\":\"C1Rb6WQMi3sRsmd3dVwPH3F0Hrm4rQ9w9dyHjGqnMxE=\"",
		"\"tpm2-policy-hash\":32",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_hashes); i++)
		expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, bad_hashes[i], FIELD_PIN,
			      FIELD_SRK, "", -EBADMSG, "tpm2-policy-hash is not 64 hex digits");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK,
		      "\"tpm2-policy-hash\":[\"" POLICY_HEX "\"]", FIELD_PIN, FIELD_SRK, "", -EBADMSG,
		      "several policy hashes (tpm2-policy-hash array) are not supported");

	/* PIN, pcrlock, signed policies */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, "\"tpm2-pin\":true",
		      FIELD_SRK, "", -EBADMSG, "PIN-protected tokens are not supported");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, "\"tpm2-pin\":\"no\"",
		      FIELD_SRK, "", -EBADMSG, "tpm2-pin is not a boolean");
	expect_fields(GOOD_FIELDS, "\"tpm2_pcrlock\":true", -EBADMSG, "pcrlock policies are not supported");
	expect_fields(GOOD_FIELDS, "\"tpm2_pcrlock\":1", -EBADMSG, "tpm2_pcrlock is not a boolean");
	expect_fields(GOOD_FIELDS, "\"tpm2_pubkey\":\"AAAA\",\"tpm2_pubkey_pcrs\":[11]", -EBADMSG,
		      "signed PCR policies (tpm2_pubkey) are not supported");
	expect_fields(GOOD_FIELDS, "\"tpm2_pubkey_pcrs\":[11]", -EBADMSG,
		      "signed PCR policies (tpm2_pubkey) are not supported");

	/* SRK, legacy primary */
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      "\"tpm2-primary-alg\":\"dsa\"", "", -EBADMSG, "tpm2-primary-alg is neither ecc nor rsa");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      "\"tpm2-primary-alg\":\"ECC\"", "", -EBADMSG, "tpm2-primary-alg is neither ecc nor rsa");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      "\"tpm2-primary-alg\":1", "", -EBADMSG, "tpm2-primary-alg is not a string");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      "\"tpm2_srk\":\"!!!!\"", "", -EBADMSG, "tpm2_srk is not base64");
	expect_fields(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
		      "\"tpm2_srk\":\"\"", "", -EBADMSG, "tpm2_srk is not base64");
}

/* What systemd 252 (Debian 12) writes: no tpm2_srk, the primary's algorithm named, or before 250 not. */
static void legacy_tokens_parse(void)
{
	static const struct {
		const char *alg;
		enum tpm2_parent parent;
	} cases[] = {
		{ "", TPM2_PARENT_LEGACY_ECC },
		{ "\"tpm2-primary-alg\":\"ecc\"", TPM2_PARENT_LEGACY_ECC },
		{ "\"tpm2-primary-alg\":\"rsa\"", TPM2_PARENT_LEGACY_RSA },
	};
	struct tpm2_sealed s;
	struct reason why = { "" };
	char *json;
	int slot;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json = token(FIELD_TYPE, FIELD_SLOTS, FIELD_BLOB, FIELD_PCRS, FIELD_BANK, FIELD_POLICY, FIELD_PIN,
			     cases[i].alg, "");
		assert_int_equal(tpm2_token_parse(json, &s, &slot, &why), 0);
		assert_int_equal(s.parent, cases[i].parent);
		assert_null(s.srk);
		assert_int_equal(s.srk_len, 0);
		assert_int_equal(slot, 1);
		/* rampart never writes one. */
		free(json);
		assert_int_equal(tpm2_token_build(&s, 1, &json), -EINVAL);
		tpm2_sealed_free(&s);
	}
	expect_fields(GOOD_FIELDS, "\"tpm2-primary-alg\":\"dsa\"", -EBADMSG, "tpm2-primary-alg is neither ecc nor rsa");
	/* With tpm2_srk the SRK is the parent, whichever template tpm2-primary-alg names. */
	json = token(GOOD_FIELDS, "\"tpm2-primary-alg\":\"rsa\"");
	assert_int_equal(tpm2_token_parse(json, &s, &slot, &why), 0);
	assert_int_equal(s.parent, TPM2_PARENT_SRK);
	assert_non_null(s.srk);
	tpm2_sealed_free(&s);
	free(json);
}

static void garbage(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char *json;
	size_t n;

	/* The good token with bytes replaced: parses or is refused, nothing else. */
	json = token(GOOD_FIELDS, "");
	n = strlen(json);
	for (int round = 0; round < 5000; round++) {
		char *m = strdup(json);
		struct tpm2_sealed s;
		struct reason why = { "" };

		for (int e = 0; e < 1 + round % 3; e++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			m[x % n] = "{}[]\":,\\ 0aA=/+7-tf"[(x >> 32) % 20];
		}
		if (tpm2_token_parse(m, &s, NULL, &why) == 0)
			tpm2_sealed_free(&s);
		free(m);
	}
	free(json);
}

/*
 * Found by fuzz_sealed_blob (test/fuzz/corpus/sealed_blob/regress-empty-public):
 * tpm2-tss unmarshals a TPM2B_PUBLIC of size 0 as success and leaves the
 * structure as it was, so a blob whose public area is empty passed the
 * check when the caller's memory held a good public area.
 */
static void empty_public_area_refused(void)
{
	uint8_t policy[32], blob[2 + 4 + 2];
	struct tpm2_sealed s = { .blob = blob, .blob_len = sizeof(blob) };
	struct reason why = { "" };
	TPM2B_PRIVATE private;
	TPM2B_PUBLIC public;

	memset(policy, 0x5a, sizeof(policy));
	memcpy(s.policy_hash, policy, sizeof(policy));
	/* What a good blob would have left in the caller's structures. */
	tpm2_sealed_template(&public, policy);
	public.size = 1;
	/* TPM2B_PRIVATE of 4 bytes, then a TPM2B_PUBLIC of size 0. */
	memcpy(blob, "\x00\x04priv\x00\x00", sizeof(blob));
	assert_int_equal(tpm2_sealed_parse(&s, &private, &public, &why), -EBADMSG);
	assert_string_equal(why.text, "blob's public area is empty");
}

/*
 * Found by fuzz_sealed_blob (corpus/sealed_blob/regress-public-size-lies):
 * tpm2-tss reads a TPM2B_PUBLIC's structure whatever its size field says,
 * so a blob whose size field disagreed with its content passed.
 */
static void public_area_size_must_match(void)
{
	uint8_t policy[32], blob[2 + 4 + sizeof(TPM2B_PUBLIC)];
	struct tpm2_sealed s = { .blob = blob };
	struct reason why = { "" };
	TPM2B_PRIVATE private;
	TPM2B_PUBLIC public;
	size_t off = 6;

	memset(policy, 0x5a, sizeof(policy));
	memcpy(s.policy_hash, policy, sizeof(policy));
	tpm2_sealed_template(&public, policy);
	memcpy(blob, "\x00\x04priv", 6);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&public, blob, sizeof(blob), &off), TSS2_RC_SUCCESS);
	s.blob_len = off;
	assert_int_equal(tpm2_sealed_parse(&s, &private, &public, &why), 0);
	/* The same blob with a size field 8 bytes short of its content. */
	blob[7] -= 8;
	assert_int_equal(tpm2_sealed_parse(&s, &private, &public, &why), -EBADMSG);
	assert_string_equal(why.text, "blob's public area is not the size it says");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(systemd_token_parses),
		T(build_is_systemds_format),
		T(round_trip),
		T(accepted_variants),
		T(rejected),
		T(legacy_tokens_parse),
		T(garbage),
		T(empty_public_area_refused),
		T(public_area_size_must_match),
	};

	log_set_max_level(LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
