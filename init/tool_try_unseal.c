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

/* 1 unsealed, 0 refused, -1 not attempted (malformed); says which on stdout. */
static int try_token(struct tpm2 *tpm, const char *dev, const struct luks_token *tok)
{
	struct tpm2_sealed sealed = { .blob = NULL };
	struct reason why = { "" };
	uint8_t secret[TPM2_SECRET_MAX];
	size_t len = sizeof(secret);
	int keyslot, r;

	r = tpm2_token_parse(tok->json, &sealed, &keyslot, &why);
	if (r < 0) {
		printf("token %d of %s not tried: %s\n", tok->id, dev, why.text);
		return -1;
	}
	r = tpm2_unseal(tpm, &sealed, secret, &len, &why);
	explicit_wipe(secret, sizeof(secret));
	if (r >= 0)
		printf("unseal succeeded on %s, token %d (%s): the volume secret is NOT locked away\n", dev, tok->id,
		       tpm2_parent_name(sealed.parent));
	else
		printf("unseal refused on %s, token %d (%s): %s (%s)\n", dev, tok->id, tpm2_parent_name(sealed.parent),
		       reason_or(&why, "error"), strerror(-r));
	tpm2_sealed_free(&sealed);
	return r >= 0;
}

int tool_try_unseal(const char *dev)
{
	struct luks_token tokens[LUKS_TOKENS_MAX];
	struct tpm2 *tpm = NULL;
	size_t n = 0;
	int r, unsealed = 0, refused = 0;

	log_set_max_level(LOG_WARNING);
	cryptsetup_log_setup();
	r = luks_read_tokens(dev, TPM2_TOKEN_TYPE, tokens, ARRAY_SIZE(tokens), &n);
	if (r < 0) {
		printf("unseal not attempted: no %s token on %s (%s)\n", TPM2_TOKEN_TYPE, dev, strerror(-r));
		return 2;
	}
	r = tpm2_open(&tpm, TPM2_DEVICE_TCTI);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		int k = try_token(tpm, dev, &tokens[i]);

		unsealed += k == 1;
		refused += k == 0;
	}
	tpm2_close(tpm);
	luks_tokens_free(tokens, n);
	if (r < 0) {
		printf("unseal not attempted: no TPM (%s)\n", strerror(-r));
		return 2;
	}
	/* Every token is tried: one that still unseals is enough to say the lock failed. */
	return unsealed ? 1 : refused ? 0 : 2;
}
