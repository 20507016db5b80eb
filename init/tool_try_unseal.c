/* SPDX-License-Identifier: MIT */
/* rampart try-unseal DEV: see init/tool_try_unseal.h. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "luks.h"
#include "tool_try_unseal.h"
#include "tpm2.h"
#include "tpm2_token.h"
#include "util.h"
#include "verity.h"

int tool_try_unseal(const char *dev)
{
	_cleanup_free_ char *json = NULL;
	struct tpm2_sealed sealed = { .blob = NULL };
	struct tpm2 *tpm = NULL;
	uint8_t secret[64];
	size_t len = sizeof(secret);
	struct reason why = { "" };
	int keyslot, r;

	log_set_max_level(LOG_WARNING);
	cryptsetup_log_setup();
	r = luks_read_token(dev, TPM2_TOKEN_TYPE, &json);
	if (r < 0) {
		printf("unseal not attempted: no %s token on %s (%s)\n", TPM2_TOKEN_TYPE, dev, strerror(-r));
		return 2;
	}
	r = tpm2_token_parse(json, &sealed, &keyslot, &why);
	if (r >= 0)
		r = tpm2_open(&tpm, TPM2_DEVICE_TCTI);
	if (r >= 0)
		r = tpm2_unseal(tpm, &sealed, secret, &len, &why);
	explicit_wipe(secret, sizeof(secret));
	tpm2_close(tpm);
	tpm2_sealed_free(&sealed);
	if (r >= 0) {
		printf("unseal succeeded on %s: the volume secret is NOT locked away\n", dev);
		return 1;
	}
	printf("unseal refused on %s: %s (%s)\n", dev, reason_or(&why, "error"), strerror(-r));
	return 0;
}
