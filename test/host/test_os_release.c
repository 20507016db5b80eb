/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "os_release.h"

static int parse(const char *text, struct os_release *o, struct reason *why)
{
	return os_release_parse(text, strlen(text), o, why);
}

static void typical(void **state)
{
	struct os_release o;
	struct reason why = { "" };

	(void)state;
	assert_int_equal(parse("NAME=\"rampart test OS\"\n# comment\n\nIMAGE_VERSION=2.0\n"
			       "RAMPART_SECURITY_VERSION='7'\nVERSION_ID=2.0", &o, &why), 0);
	assert_string_equal(o.image_version, "2.0");
	assert_int_equal(o.security_version, 7);
}

static void absent_and_quoting(void **state)
{
	struct os_release o;
	struct reason why = { "" };

	(void)state;
	assert_int_equal(parse("ID=debian\n", &o, &why), 0);
	assert_string_equal(o.image_version, "");
	assert_int_equal(o.security_version, 0);
	assert_int_equal(parse("IMAGE_VERSION=\"1.\\\"2\"  \n", &o, &why), 0);
	assert_string_equal(o.image_version, "1.\"2");
	assert_int_equal(parse("IMAGE_VERSION=a'b'c\n", &o, &why), 0);
	assert_string_equal(o.image_version, "abc");
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"IMAGE_VERSION\n",
		"=1\n",
		"IMAGE VERSION=1\n",
		"IMAGE_VERSION=\"1.0\n",
		"IMAGE_VERSION=1 0\n",
		"IMAGE_VERSION=$(reboot)\n",
		"IMAGE_VERSION=1\nIMAGE_VERSION=2\n",
		"RAMPART_SECURITY_VERSION=-1\n",
		"RAMPART_SECURITY_VERSION=4294967296\n",
		"RAMPART_SECURITY_VERSION=7a\n",
		"RAMPART_SECURITY_VERSION=\n",
		"RAMPART_SECURITY_VERSION=1\nRAMPART_SECURITY_VERSION=1\n",
		"IMAGE_VERSION=0123456789012345678901234567890123456789012345678901234567890123\n",
	};
	struct os_release o;
	struct reason why = { "" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why.text[0] = '\0';
		assert_int_equal(parse(bad[i], &o, &why), -EBADMSG);
		assert_true(why.text[0] != '\0');
	}
	assert_int_equal(parse("RAMPART_SECURITY_VERSION=4294967295\n", &o, &why), 0);
	assert_int_equal(o.security_version, 4294967295u);
}

static void embedded_nul_is_not_a_line_end(void **state)
{
	struct os_release o;
	struct reason why = { "" };

	(void)state;
	assert_int_equal(os_release_parse("IMAGE_VERSION=1\0x\n", 18, &o, &why), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typical),
		cmocka_unit_test(absent_and_quoting),
		cmocka_unit_test(refused),
		cmocka_unit_test(embedded_nul_is_not_a_line_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
