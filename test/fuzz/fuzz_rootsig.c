/* SPDX-License-Identifier: MIT */
/*
 * The signature partition: JSON, hex, base64 and the PKCS#7 inside
 * (mbedtls), checked against a real trust store (test/fuzz/data/trusted:
 * the certificates of keys that were thrown away after signing the seeds,
 * so nobody can sign anything new with them).  What must always hold:
 *   - a document that parses names the UUIDs its root hash says, and no
 *     others;
 *   - a document that verifies carries a root hash those keys really
 *     signed (data/signed-roothashes): a fuzzer cannot forge a signature,
 *     so any other verifying document is a bug in the check.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "fuzz_input.h"
#include "rootsig.h"

static struct trust_store *trust;
static char signed_hashes[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;
	size_t n;

	(void)argc;
	(void)argv;
	if (trust_store_load_dir(&trust, FUZZ_DATA_DIR "/trusted") < 0 || trust_store_count(trust) == 0) {
		fprintf(stderr, "fuzz_rootsig: no trust store in %s/trusted\n", FUZZ_DATA_DIR);
		abort();
	}
	f = fopen(FUZZ_DATA_DIR "/signed-roothashes", "re");
	if (!f)
		abort();
	n = fread(signed_hashes, 1, sizeof(signed_hashes) - 1, f);
	signed_hashes[n] = '\0';
	fclose(f);
	return 0;
}

static bool was_signed(const char *hex)
{
	size_t len = strlen(hex);

	for (const char *p = signed_hashes; (p = strstr(p, hex)); p += len)
		if ((p == signed_hashes || p[-1] == '\n') && (p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* The UUID string of 16 bytes, in the case @upper asks for. */
static void uuid_of(const uint8_t *b, char out[37], bool upper)
{
	uuid_to_string(b, out);
	for (char *c = out; upper && *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct root_signature s = { 0 };
	struct reason why = { "" };
	char root[37], verity[37], hex[2 * ROOT_HASH_MAX + 1];
	int r;

	r = rootsig_parse(data, size, &s, &why);
	if (r < 0) {
		fuzz_assert(why.text[0] && !s.pkcs7);
		rootsig_free(&s);
		return 0;
	}
	fuzz_assert(s.root_hash_len >= ROOT_HASH_MIN && s.root_hash_len <= ROOT_HASH_MAX);
	hex_encode(hex, s.root_hash, s.root_hash_len);
	fuzz_assert(!strcmp(hex, s.root_hash_hex));

	uuid_of(s.root_hash, root, size & 1);
	uuid_of(s.root_hash + s.root_hash_len - 16, verity, size & 2);
	fuzz_assert(rootsig_check_uuids(&s, root, verity, NULL) == 0);
	fuzz_assert(rootsig_check_uuids(&s, verity, root, NULL) < 0 ||
		    !memcmp(s.root_hash, s.root_hash + s.root_hash_len - 16, 16));
	root[0] = root[0] == '0' ? '1' : '0';
	fuzz_assert(rootsig_check_uuids(&s, root, verity, NULL) < 0);

	r = rootsig_verify(&s, trust, &why);
	if (r == 0)
		fuzz_assert(was_signed(s.root_hash_hex));
	else
		fuzz_assert(why.text[0]);
	rootsig_free(&s);
	return 0;
}
