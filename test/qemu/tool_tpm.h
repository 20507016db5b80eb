/* SPDX-License-Identifier: MIT */
/*
 * What the test tools (the .c files of test/qemu/) share to reach the TPM directly, as
 * an attacker with root in the running OS would: a TCTI string in, and a
 * failure is one line on stderr and exit status 1.
 */
#ifndef RAMPART_TOOL_TPM_H
#define RAMPART_TOOL_TPM_H

#include <stdio.h>
#include <stdlib.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

/* Exits unless @rc is success: "PROG: WHAT: the TPM's reason". */
static inline void tool_check(const char *prog, const char *what, TSS2_RC rc)
{
	if (rc == TSS2_RC_SUCCESS)
		return;
	fprintf(stderr, "%s: %s: %s\n", prog, what, Tss2_RC_Decode(rc));
	exit(1);
}

/* Opens the TPM named by @conf (e.g. "swtpm:host=127.0.0.1,port=N"), started up. */
static inline ESYS_CONTEXT *tool_tpm_open(const char *prog, const char *conf, TSS2_TCTI_CONTEXT **tcti)
{
	ESYS_CONTEXT *esys = NULL;
	TSS2_RC rc;

	tool_check(prog, conf, Tss2_TctiLdr_Initialize(conf, tcti));
	tool_check(prog, "Esys_Initialize", Esys_Initialize(&esys, *tcti, NULL));
	rc = Esys_Startup(esys, TPM2_SU_CLEAR);
	tool_check(prog, "Startup", rc == TPM2_RC_INITIALIZE ? TSS2_RC_SUCCESS : rc);
	return esys;
}

static inline void tool_tpm_close(ESYS_CONTEXT **esys, TSS2_TCTI_CONTEXT **tcti)
{
	Esys_Finalize(esys);
	Tss2_TctiLdr_Finalize(tcti);
}

#endif
