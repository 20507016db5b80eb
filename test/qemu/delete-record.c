/* SPDX-License-Identifier: MIT */
/*
 * delete-record TCTI: what root in the running OS (or anyone with the
 * empty owner authorisation) can do to rampart's volume record: delete
 * the NV index.  The record-deleted-refused scenario shows the next boot
 * refuses instead of provisioning again.  Test tool: never shipped.
 */
#include <stdio.h>

#include "tool_tpm.h"
#include "volume_record.h"

int main(int argc, char **argv)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys;
	ESYS_TR index = ESYS_TR_NONE;

	if (argc != 2) {
		fprintf(stderr, "usage: delete-record TCTI\n");
		return 2;
	}
	esys = tool_tpm_open("delete-record", argv[1], &tcti);
	tool_check("delete-record", "no record to delete",
		   Esys_TR_FromTPMPublic(esys, VOLUME_RECORD_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					 &index));
	tool_check("delete-record", "NV_UndefineSpace",
		   Esys_NV_UndefineSpace(esys, ESYS_TR_RH_OWNER, index, ESYS_TR_PASSWORD, ESYS_TR_NONE,
					 ESYS_TR_NONE));
	tool_tpm_close(&esys, &tcti);
	printf("delete-record: NV index 0x%08x deleted\n", VOLUME_RECORD_NV_INDEX);
	return 0;
}
