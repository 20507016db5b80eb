/* SPDX-License-Identifier: MIT */
/*
 * What recover reads from a LUKS2 header to know where a typed key goes
 * (a rampart-escrow or systemd-recovery token's keyslot), and what it
 * makes of a typed line: a token that parses names one keyslot 0-31 and
 * is of one of the two types; a line that normalizes is a fixed point of
 * normalizing, 64 modhex letters in dashed groups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "escrow.h"
#include "fuzz_input.h"
#include "recovery_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	char key[RECOVERY_KEY_TEXT_LEN + 1], again[RECOVERY_KEY_TEXT_LEN + 1];
	struct reason why = { "" };
	int keyslot = -1;

	if (!text)
		return 0;
	if (recovery_token_keyslot(text, &keyslot, &why) == 0) {
		fuzz_assert(keyslot >= 0 && keyslot <= 31);
		fuzz_assert(strstr(text, ESCROW_TOKEN_TYPE) || strstr(text, SYSTEMD_RECOVERY_TOKEN_TYPE));
	} else {
		fuzz_assert(why.text[0]);
	}
	if (recovery_key_normalize(text, key) == 0) {
		fuzz_assert(strlen(key) == RECOVERY_KEY_TEXT_LEN);
		fuzz_assert(strspn(key, "cbdefghijklnrtuv-") == RECOVERY_KEY_TEXT_LEN);
		fuzz_assert(recovery_key_normalize(key, again) == 0 && !strcmp(key, again));
	} else {
		fuzz_assert(key[0] == '\0');
	}
	free(text);
	return 0;
}
