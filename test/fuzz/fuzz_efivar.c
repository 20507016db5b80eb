/* SPDX-License-Identifier: MIT */
/*
 * EFI variable contents (LoaderDevicePartUUID, SecureBoot, SetupMode):
 * a UUID decoded is canonical and decodes the same from its own encoding.
 */
#include <ctype.h>
#include <string.h>

#include "efivar.h"
#include "fuzz_input.h"

static void check_uuid(const char *u)
{
	fuzz_assert(strlen(u) == 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			fuzz_assert(u[i] == '-');
		else
			fuzz_assert(isxdigit((unsigned char)u[i]) && !isupper((unsigned char)u[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char uuid[UUID_STR_LEN], again[UUID_STR_LEN];
	uint8_t encoded[4 + 2 * 37] = { 0 };
	uint8_t v;

	if (efivar_decode_uuid(data, size, uuid) == 0) {
		check_uuid(uuid);
		for (int i = 0; i < 36; i++)
			encoded[4 + 2 * i] = (uint8_t)toupper((unsigned char)uuid[i]);
		fuzz_assert(efivar_decode_uuid(encoded, sizeof(encoded), again) == 0);
		fuzz_assert(!strcmp(uuid, again));
	}
	if (efivar_decode_u8(data, size, &v) == 0)
		fuzz_assert(size == 5 && v == data[4]);
	return 0;
}
