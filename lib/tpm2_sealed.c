/* SPDX-License-Identifier: MIT */
#include "tpm2_sealed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

void tpm2_sealed_free(struct tpm2_sealed *s)
{
	if (!s)
		return;
	free(s->blob);
	free(s->srk);
	memset(s, 0, sizeof(*s));
}

void tpm2_sealed_template(TPM2B_PUBLIC *out, const uint8_t policy[32])
{
	*out = (TPM2B_PUBLIC){
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT,
			.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
			.authPolicy.size = 32,
		},
	};
	memcpy(out->publicArea.authPolicy.buffer, policy, 32);
}

void tpm2_srk_template(TPM2B_PUBLIC *out)
{
	*out = (TPM2B_PUBLIC){
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = {
				.symmetric = {
					.algorithm = TPM2_ALG_AES,
					.keyBits.aes = 128,
					.mode.aes = TPM2_ALG_CFB,
				},
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
		},
	};
}

int tpm2_legacy_primary_template(enum tpm2_parent parent, TPM2B_PUBLIC *out)
{
	static const TPMA_OBJECT attrs = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
					 TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					 TPMA_OBJECT_USERWITHAUTH;
	static const TPMT_SYM_DEF_OBJECT aes128cfb = {
		.algorithm = TPM2_ALG_AES,
		.keyBits.aes = 128,
		.mode.aes = TPM2_ALG_CFB,
	};

	switch (parent) {
	case TPM2_PARENT_LEGACY_ECC:
		*out = (TPM2B_PUBLIC){
			.publicArea = {
				.type = TPM2_ALG_ECC,
				.nameAlg = TPM2_ALG_SHA256,
				.objectAttributes = attrs,
				.parameters.eccDetail = {
					.symmetric = aes128cfb,
					.scheme.scheme = TPM2_ALG_NULL,
					.curveID = TPM2_ECC_NIST_P256,
					.kdf.scheme = TPM2_ALG_NULL,
				},
			},
		};
		return 0;
	case TPM2_PARENT_LEGACY_RSA:
		*out = (TPM2B_PUBLIC){
			.publicArea = {
				.type = TPM2_ALG_RSA,
				.nameAlg = TPM2_ALG_SHA256,
				.objectAttributes = attrs,
				.parameters.rsaDetail = {
					.symmetric = aes128cfb,
					.scheme.scheme = TPM2_ALG_NULL,
					.keyBits = 2048,
				},
			},
		};
		return 0;
	case TPM2_PARENT_SRK:
		break;
	}
	return -EINVAL;
}

const char *tpm2_parent_name(enum tpm2_parent parent)
{
	switch (parent) {
	case TPM2_PARENT_SRK:
		return "SRK";
	case TPM2_PARENT_LEGACY_ECC:
		return "legacy ECC primary";
	case TPM2_PARENT_LEGACY_RSA:
		return "legacy RSA primary";
	}
	return "?";
}

int tpm2_sealed_same(const struct tpm2_sealed *a, const struct tpm2_sealed *b)
{
	return a->parent == b->parent && a->pcr_mask == b->pcr_mask &&
	       !memcmp(a->policy_hash, b->policy_hash, sizeof(a->policy_hash)) && a->blob_len == b->blob_len &&
	       a->blob && b->blob && !memcmp(a->blob, b->blob, a->blob_len) && a->srk_len == b->srk_len &&
	       (a->srk_len == 0 || (a->srk && b->srk && !memcmp(a->srk, b->srk, a->srk_len)));
}

int tpm2_sealed_parse(const struct tpm2_sealed *s, TPM2B_PRIVATE *private, TPM2B_PUBLIC *public,
		      struct reason *why)
{
	const TPMT_PUBLIC *p = &public->publicArea;
	size_t off = 0, public_at;

	/*
	 * tpm2-tss unmarshals a TPM2B_PUBLIC of size 0 as success and leaves
	 * publicArea as it was: the checks below must not look at what the
	 * caller's memory held (found by test/fuzz/fuzz_sealed_blob).
	 */
	memset(private, 0, sizeof(*private));
	memset(public, 0, sizeof(*public));
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(s->blob, s->blob_len, &off, private) != TSS2_RC_SUCCESS)
		return reason_set(why, -EBADMSG, "blob is not a TPM2B_PRIVATE and a TPM2B_PUBLIC");
	public_at = off;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(s->blob, s->blob_len, &off, public) != TSS2_RC_SUCCESS)
		return reason_set(why, -EBADMSG, "blob is not a TPM2B_PRIVATE and a TPM2B_PUBLIC");
	if (public->size == 0)
		return reason_set(why, -EBADMSG, "blob's public area is empty");
	/* tpm2-tss reads the structure whatever its size field says (found by fuzzing too). */
	if (off - public_at != sizeof(public->size) + public->size)
		return reason_set(why, -EBADMSG, "blob's public area is not the size it says");
	if (off != s->blob_len)
		return reason_set(why, -EBADMSG, "blob has bytes after the sealed object");
	if (p->type != TPM2_ALG_KEYEDHASH || p->nameAlg != TPM2_ALG_SHA256)
		return reason_set(why, -EBADMSG, "blob is not a sealed KEYEDHASH object with SHA-256 names");
	if (p->objectAttributes & TPMA_OBJECT_USERWITHAUTH)
		return reason_set(why, -EBADMSG, "sealed object can be used without its PCR policy");
	if (p->authPolicy.size != sizeof(s->policy_hash) ||
	    memcmp(p->authPolicy.buffer, s->policy_hash, sizeof(s->policy_hash)) != 0)
		return reason_set(why, -EBADMSG, "policy hash is not the sealed object's policy");
	return 0;
}
