/* SPDX-License-Identifier: MIT */
/*
 * The systemd-tpm2 token from a LUKS2 header, and the sealed blob inside
 * it (tpm2-tss' unmarshalling): a token that parses rebuilds to a token
 * that parses to the same thing (legacy-model tokens are read, never
 * built), and a blob that passes the check is
 * exactly one TPM2B_PRIVATE and one TPM2B_PUBLIC of a policy-only sealed
 * object bound to the token's policy hash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "sealed_check.h"
#include "tpm2_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm2_sealed s = { 0 }, back = { 0 };
	struct reason why = { "" };
	char *json = strndup((const char *)data, size), *rebuilt = NULL;
	int keyslot = -1, keyslot_back = -1;

	if (!json)
		return 0;
	if (tpm2_token_parse(json, &s, &keyslot, &why) < 0) {
		fuzz_assert(why.text[0] && !s.blob && !s.srk);
		free(json);
		return 0;
	}
	fuzz_assert(keyslot >= 0 && keyslot <= TPM2_TOKEN_KEYSLOT_MAX);
	fuzz_assert(s.blob && s.blob_len);
	fuzz_assert(s.pcr_mask && s.pcr_mask < (1u << TPM2_PCR_COUNT));
	check_sealed_blob(&s);
	/* Older systemd's model: no SRK, a legacy primary; rampart never writes one back. */
	if (s.parent != TPM2_PARENT_SRK) {
		fuzz_assert(!s.srk && !s.srk_len);
		fuzz_assert(s.parent == TPM2_PARENT_LEGACY_ECC || s.parent == TPM2_PARENT_LEGACY_RSA);
		fuzz_assert(tpm2_token_build(&s, keyslot, &rebuilt) == -EINVAL && !rebuilt);
		tpm2_sealed_free(&s);
		free(json);
		return 0;
	}
	fuzz_assert(s.srk && s.srk_len);

	fuzz_assert(tpm2_token_build(&s, keyslot, &rebuilt) == 0);
	fuzz_assert(tpm2_token_parse(rebuilt, &back, &keyslot_back, &why) == 0);
	fuzz_assert(keyslot_back == keyslot && back.pcr_mask == s.pcr_mask);
	fuzz_assert(back.blob_len == s.blob_len && !memcmp(back.blob, s.blob, s.blob_len));
	fuzz_assert(back.srk_len == s.srk_len && !memcmp(back.srk, s.srk, s.srk_len));
	fuzz_assert(!memcmp(back.policy_hash, s.policy_hash, sizeof(s.policy_hash)));

	tpm2_sealed_free(&back);
	tpm2_sealed_free(&s);
	free(rebuilt);
	free(json);
	return 0;
}
