/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void console_line_format(void **state)
{
	char buf[128];
	size_t n;

	(void)state;
	n = log_format_console(buf, sizeof(buf), 12345678, "probe: 1.0 ms");
	assert_string_equal(buf, "[   12.345678] rampart: probe: 1.0 ms\n");
	assert_int_equal(n, strlen(buf));
}

static void console_line_truncated_still_ends_line(void **state)
{
	char buf[32];
	size_t n;

	(void)state;
	n = log_format_console(buf, sizeof(buf), 0, "a message far too long for this small buffer");
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(buf[n], '\0');
}

static void level_names_round_trip(void **state)
{
	(void)state;
	for (int l = LOG_EMERG; l <= LOG_DEBUG; l++)
		assert_int_equal(log_level_from_string(log_level_to_string(l)), l);
	assert_int_equal(log_level_from_string("error"), LOG_ERR);
	assert_int_equal(log_level_from_string("verbose"), -1);
	assert_string_equal(log_level_to_string(42), "?");
}

static void log_errno_returns_negative(void **state)
{
	(void)state;
	assert_int_equal(log_errno(LOG_DEBUG, 2, "x"), -2);
	assert_int_equal(log_errno(LOG_DEBUG, -13, "x"), -13);
}

static void control_characters_neutralised(void **state)
{
	char msg[] = "label\n[    1.0] rampart: forged\x1b[2J\x7f end";

	(void)state;
	log_sanitize(msg);
	assert_string_equal(msg, "label?[    1.0] rampart: forged?[2J? end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(console_line_format),
		cmocka_unit_test(console_line_truncated_still_ends_line),
		cmocka_unit_test(level_names_round_trip),
		cmocka_unit_test(log_errno_returns_negative),
		cmocka_unit_test(control_characters_neutralised),
	};

	log_set_max_level(LOG_WARNING);
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
