/* SPDX-License-Identifier: MIT */
/*
 * delete-record TCTI: what root in the running OS (or anyone with the
 * empty owner authorisation) can do to rampart's volume record: delete
 * the NV index.  The record-deleted-refused scenario shows the next boot
 * refuses instead of provisioning again.  Test tool: never shipped.
 */
#include <stdio.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "volume_record.h"

static int failed(const char *what, TSS2_RC rc)
{
	fprintf(stderr, "delete-record: %s: %s\n", what, Tss2_RC_Decode(rc));
	return 1;
}

int main(int argc, char **argv)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys = NULL;
	ESYS_TR index = ESYS_TR_NONE;
	TSS2_RC rc;

	if (argc != 2) {
		fprintf(stderr, "usage: delete-record TCTI\n");
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
	rc = Esys_TR_FromTPMPublic(esys, VOLUME_RECORD_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &index);
	if (rc != TSS2_RC_SUCCESS)
		return failed("no record to delete", rc);
	rc = Esys_NV_UndefineSpace(esys, ESYS_TR_RH_OWNER, index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE);
	if (rc != TSS2_RC_SUCCESS)
		return failed("NV_UndefineSpace", rc);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
	printf("delete-record: NV index 0x%08x deleted\n", VOLUME_RECORD_NV_INDEX);
	return 0;
}
