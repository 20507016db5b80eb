/* SPDX-License-Identifier: MIT */
#include "recovery_key.h"

#include <errno.h>
#include <string.h>

static const char modhex[] = "cbdefghijklnrtuv";

/* Writes @digit (0-15) at the next place of @out, a dash before every group of 8 but the first. */
static void put(char *out, size_t *o, size_t i, unsigned digit)
{
	if (i && i % 8 == 0)
		out[(*o)++] = '-';
	out[(*o)++] = modhex[digit];
}

void recovery_key_format(const uint8_t key[RECOVERY_KEY_BYTES], char out[RECOVERY_KEY_TEXT_LEN + 1])
{
	size_t o = 0;

	for (size_t i = 0; i < RECOVERY_KEY_BYTES; i++) {
		put(out, &o, 2 * i, key[i] >> 4);
		put(out, &o, 2 * i + 1, key[i] & 15);
	}
	out[o] = '\0';
}

int recovery_key_normalize(const char *typed, char out[RECOVERY_KEY_TEXT_LEN + 1])
{
	size_t o = 0, n = 0;

	out[0] = '\0';
	for (const char *c = typed; *c; c++) {
		char lower = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
		const char *d;

		if (strchr("- \t", *c))
			continue;
		d = lower ? strchr(modhex, lower) : NULL;
		if (!d || n == 2 * RECOVERY_KEY_BYTES) {
			out[0] = '\0';
			return -EINVAL;
		}
		put(out, &o, n++, (unsigned)(d - modhex));
	}
	out[o] = '\0';
	if (n != 2 * RECOVERY_KEY_BYTES) {
		out[0] = '\0';
		return -EINVAL;
	}
	return 0;
}
