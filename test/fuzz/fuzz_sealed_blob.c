/* SPDX-License-Identifier: MIT */
/*
 * The sealed blob alone (tpm2-tss' unmarshalling), without the JSON
 * around it: the first 32 bytes are the policy hash the token would name,
 * the rest the blob.
 */
#include <string.h>

#include "sealed_check.h"
#include "tpm2_sealed.h" /* what it links: test/link-deps.sh reads this file's includes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm2_sealed s = { 0 };

	if (size < sizeof(s.policy_hash))
		return 0;
	memcpy(s.policy_hash, data, sizeof(s.policy_hash));
	s.blob = (uint8_t *)data + sizeof(s.policy_hash);
	s.blob_len = size - sizeof(s.policy_hash);
	check_sealed_blob(&s);
	return 0;
}
