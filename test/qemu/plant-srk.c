/* SPDX-License-Identifier: MIT */
/*
 * plant-srk TCTI: the attack of the planted-srk-refused scenario.  Persists
 * at the SRK handle 0x81000001 an ECC key that is not the standard SRK (the
 * template's unique field set, so whoever runs this can make it again and
 * so knows it), evicting whatever is there.  Test tool: never shipped.
 */
#include <stdio.h>

#include "tool_tpm.h"
#include "tpm2.h"

int main(int argc, char **argv)
{
	static const TPM2B_SENSITIVE_CREATE empty_sensitive;
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys;
	ESYS_TR primary = ESYS_TR_NONE, old = ESYS_TR_NONE, persisted = ESYS_TR_NONE;
	TPM2B_PUBLIC tmpl;

	if (argc != 2) {
		fprintf(stderr, "usage: plant-srk TCTI\n");
		return 2;
	}
	/* The SRK's own template, but a unique field of our choosing: another key. */
	tpm2_srk_template(&tmpl);
	tmpl.publicArea.unique.ecc.x = (TPM2B_ECC_PARAMETER){ .size = 8, .buffer = "attacker" };

	esys = tool_tpm_open("plant-srk", argv[1], &tcti);
	if (Esys_TR_FromTPMPublic(esys, TPM2_SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &old) ==
	    TSS2_RC_SUCCESS)
		tool_check("plant-srk", "evict the SRK there",
			   Esys_EvictControl(esys, ESYS_TR_RH_OWNER, old, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					     ESYS_TR_NONE, TPM2_SRK_HANDLE, &persisted));
	tool_check("plant-srk", "CreatePrimary",
		   Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				      &empty_sensitive, &tmpl, &no_outside_info, &no_creation_pcrs, &primary, NULL,
				      NULL, NULL, NULL));
	tool_check("plant-srk", "persist",
		   Esys_EvictControl(esys, ESYS_TR_RH_OWNER, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				     TPM2_SRK_HANDLE, &persisted));
	Esys_FlushContext(esys, primary);
	tool_tpm_close(&esys, &tcti);
	printf("plant-srk: a key of our own is persisted at 0x%08x\n", TPM2_SRK_HANDLE);
	return 0;
}
