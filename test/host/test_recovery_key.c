/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "recovery_key.h"

static void formats_modhex_in_groups(void **state)
{
	uint8_t key[RECOVERY_KEY_BYTES];
	char text[RECOVERY_KEY_TEXT_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)((i % 16) * 0x11);
	recovery_key_format(key, text);
	assert_int_equal(strlen(text), RECOVERY_KEY_TEXT_LEN);
	assert_string_equal(text, "ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv");
	key[0] = 0x0f;
	key[31] = 0xf0;
	recovery_key_format(key, text);
	assert_memory_equal(text, "cv", 2);
	assert_string_equal(text + RECOVERY_KEY_TEXT_LEN - 2, "vc");
}

static void normalizes_what_was_typed(void **state)
{
	static const char canonical[] =
		"ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv";
	char text[RECOVERY_KEY_TEXT_LEN + 1];

	(void)state;
	assert_int_equal(recovery_key_normalize(canonical, text), 0);
	assert_string_equal(text, canonical);
	assert_int_equal(recovery_key_normalize("CCBBDDEEFFGGHHIIJJKKLLNNRRTTUUVV ccbbddee ffgghhii-jjkkllnn\trrttuuvv", text),
			 0);
	assert_string_equal(text, canonical);
	assert_int_equal(recovery_key_normalize("-c-c-bbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-",
						text), 0);
	assert_string_equal(text, canonical);
}

static void refuses_anything_else(void **state)
{
	char text[RECOVERY_KEY_TEXT_LEN + 1];
	static const char *const bad[] = {
		"",
		"ccbbddee",
		/* 63 and 65 characters */
		"cbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv",
		"ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvvc",
		/* hex digits that are not modhex */
		"ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuu00",
		"acbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv",
		"ccbbddee-ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuv\xc3\xbc",
		"ccbbddee;ffgghhii-jjkkllnn-rrttuuvv-ccbbddee-ffgghhii-jjkkllnn-rrttuuvv",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(text, 'x', sizeof(text));
		assert_int_equal(recovery_key_normalize(bad[i], text), -EINVAL);
		assert_string_equal(text, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_modhex_in_groups),
		cmocka_unit_test(normalizes_what_was_typed),
		cmocka_unit_test(refuses_anything_else),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
