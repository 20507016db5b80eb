/* SPDX-License-Identifier: MIT */
/*
 * What holds for every blob tpm2_sealed_parse() passes: a policy-only
 * KEYEDHASH object with SHA-256 names bound to @s->policy_hash, and
 * exactly one TPM2B_PRIVATE and one TPM2B_PUBLIC (marshalled again, they
 * are the blob: nothing left out, nothing read twice).
 */
#ifndef RAMPART_FUZZ_SEALED_CHECK_H
#define RAMPART_FUZZ_SEALED_CHECK_H

#include <string.h>

#include <tss2/tss2_mu.h>

#include "fuzz_input.h"
#include "tpm2_sealed.h"

static inline void check_sealed_blob(const struct tpm2_sealed *s)
{
	uint8_t again[sizeof(TPM2B_PRIVATE) + sizeof(TPM2B_PUBLIC)];
	struct reason why = { "" };
	TPM2B_PRIVATE private;
	TPM2B_PUBLIC public;
	size_t off = 0;

	if (tpm2_sealed_parse(s, &private, &public, &why) < 0) {
		fuzz_assert(why.text[0]);
		return;
	}
	fuzz_assert(public.publicArea.type == TPM2_ALG_KEYEDHASH && public.publicArea.nameAlg == TPM2_ALG_SHA256);
	fuzz_assert(!(public.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH));
	fuzz_assert(public.publicArea.authPolicy.size == 32 &&
		    !memcmp(public.publicArea.authPolicy.buffer, s->policy_hash, 32));
	fuzz_assert(Tss2_MU_TPM2B_PRIVATE_Marshal(&private, again, sizeof(again), &off) == TSS2_RC_SUCCESS);
	fuzz_assert(Tss2_MU_TPM2B_PUBLIC_Marshal(&public, again, sizeof(again), &off) == TSS2_RC_SUCCESS);
	fuzz_assert(off == s->blob_len && !memcmp(again, s->blob, off));
}

#endif
