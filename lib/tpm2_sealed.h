/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_TPM2_SEALED_H
#define RAMPART_TPM2_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include "reason.h"

/*
 * A sealed secret as a token carries it, and the check of its blob before
 * the TPM sees it: pure parsing (tpm2-tss' marshalling library only), so
 * it is unit-tested and fuzzed without a TPM (test/fuzz/).
 */

#define TPM2_PCR_COUNT 24

/*
 * The key the sealed object was created under, and so must be loaded
 * under.  Tokens with tpm2_srk name the SRK (systemd 254 and later,
 * rampart); tokens without it come from older systemd, which seals under a
 * transient primary key it makes again from its own legacy template each
 * time (ECC unless tpm2-primary-alg says "rsa").
 */
enum tpm2_parent {
	TPM2_PARENT_SRK,
	TPM2_PARENT_LEGACY_ECC,
	TPM2_PARENT_LEGACY_RSA,
};

struct tpm2_sealed {
	enum tpm2_parent parent;
	uint8_t *blob;           /* marshalled TPM2B_PRIVATE then TPM2B_PUBLIC (systemd's tpm2-blob) */
	size_t blob_len;
	uint8_t policy_hash[32]; /* PolicyPCR digest, the sealed object's authPolicy */
	uint8_t *srk;            /* Esys_TR_Serialize() of the SRK used (systemd's tpm2_srk); NULL for legacy parents */
	size_t srk_len;
	uint32_t pcr_mask;       /* sha256 bank, e.g. 1u << 7 */
};

void tpm2_sealed_free(struct tpm2_sealed *s);

/*
 * The public template of a sealed object bound to @policy: KEYEDHASH,
 * SHA-256 names, fixed to the TPM and its parent, and no USERWITHAUTH, so
 * the PCR policy is the only way to the secret (what tpm2_sealed_parse()
 * checks a blob for).
 */
void tpm2_sealed_template(TPM2B_PUBLIC *out, const uint8_t policy[32]);

/*
 * The TCG storage template (ECC P-256, AES-128-CFB), as systemd makes the
 * SRK at 0x81000001 (unique empty: the Linux convention).
 */
void tpm2_srk_template(TPM2B_PUBLIC *out);

/*
 * systemd's legacy primary template for @parent (TPM2_PARENT_LEGACY_*):
 * ECC NIST P-256 or RSA 2048, SHA-256, AES-128-CFB, RESTRICTED|DECRYPT|
 * FIXEDTPM|FIXEDPARENT|SENSITIVEDATAORIGIN|USERWITHAUTH (no NODA), unique
 * empty.  The same key comes out of it each time on one TPM until the
 * owner hierarchy is cleared.  -EINVAL for TPM2_PARENT_SRK.
 */
int tpm2_legacy_primary_template(enum tpm2_parent parent, TPM2B_PUBLIC *out);

/* "SRK", "legacy ECC primary", "legacy RSA primary": for log lines and the boot report. */
const char *tpm2_parent_name(enum tpm2_parent parent);

/*
 * Whether @a and @b are the same sealed object under the same parent (so
 * unseal to the same secret on one TPM).
 */
int tpm2_sealed_same(const struct tpm2_sealed *a, const struct tpm2_sealed *b);

/*
 * Splits @s->blob into its two structures and checks it is the object @s
 * says it is: exactly a TPM2B_PRIVATE then a TPM2B_PUBLIC, a KEYEDHASH
 * object with SHA-256 names, not usable without its policy, whose
 * authPolicy is @s->policy_hash.  Returns 0, or -EBADMSG with @why set.
 */
int tpm2_sealed_parse(const struct tpm2_sealed *s, TPM2B_PRIVATE *private, TPM2B_PUBLIC *public,
		      struct reason *why);

#endif
