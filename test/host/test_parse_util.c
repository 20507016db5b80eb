/* SPDX-License-Identifier: MIT */
/* lib/parse_util.c: booleans, as systemd's parse_boolean() takes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "parse_util.h"
#include "util.h"

static void systemd_vocabulary(void **state)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on", "YES", "True", "On", "Y" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off", "NO", "False", "oFF", "N" };
	static const char *const neither[] = { "", "2", "-1", "yes ", " no", "enable", "tru", "o", "00", "onn" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		assert_int_equal(parse_boolean(yes[i]), 1);
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		assert_int_equal(parse_boolean(no[i]), 0);
	for (size_t i = 0; i < ARRAY_SIZE(neither); i++)
		assert_int_equal(parse_boolean(neither[i]), -EINVAL);
	assert_int_equal(parse_boolean(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(systemd_vocabulary),
	};

	return cmocka_run_group_tests_name("parse_util", tests, NULL, NULL);
}
