/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "efivar.h"

/* An efivarfs file: attributes, then the string as UTF-16LE. */
static size_t make_var(uint8_t *buf, const char *s, int nul)
{
	size_t n = 4, len = strlen(s);

	memcpy(buf, "\x06\x00\x00\x00", 4);
	for (size_t i = 0; i < len + (nul ? 1 : 0); i++) {
		buf[n++] = (uint8_t)s[i];
		buf[n++] = 0;
	}
	return n;
}

static void decodes_stub_value(void **state)
{
	uint8_t buf[128];
	char out[UUID_STR_LEN];
	size_t n;

	(void)state;
	n = make_var(buf, "485C5E55-0C67-44DB-8FA6-32487250BA4D", 1);
	assert_int_equal(efivar_decode_uuid(buf, n, out), 0);
	assert_string_equal(out, "485c5e55-0c67-44db-8fa6-32487250ba4d");
	n = make_var(buf, "485c5e55-0c67-44db-8fa6-32487250ba4d", 0);
	assert_int_equal(efivar_decode_uuid(buf, n, out), 0);
}

static void rejects_malformed(void **state)
{
	uint8_t buf[128] = { 0 };
	char out[UUID_STR_LEN];
	size_t n;

	(void)state;
	assert_int_equal(efivar_decode_uuid(buf, 0, out), -EBADMSG);
	assert_int_equal(efivar_decode_uuid(buf, 3, out), -EBADMSG);
	n = make_var(buf, "485C5E55-0C67-44DB-8FA6-32487250BA4", 1); /* short */
	assert_int_equal(efivar_decode_uuid(buf, n, out), -EBADMSG);
	n = make_var(buf, "485C5E55x0C67-44DB-8FA6-32487250BA4D", 1); /* bad separator */
	assert_int_equal(efivar_decode_uuid(buf, n, out), -EBADMSG);
	n = make_var(buf, "485C5E55-0C67-44DB-8FA6-32487250BA4D", 1);
	buf[5] = 1; /* a non-ASCII code unit */
	assert_int_equal(efivar_decode_uuid(buf, n, out), -EBADMSG);
	assert_int_equal(efivar_decode_uuid(buf, n - 1, out), -EBADMSG); /* odd length */
}

static void one_byte_variables(void **state)
{
	const uint8_t on[] = { 6, 0, 0, 0, 1 }, off[] = { 6, 0, 0, 0, 0 }, longer[] = { 6, 0, 0, 0, 1, 0 };
	uint8_t v = 9;

	(void)state;
	assert_int_equal(efivar_decode_u8(on, sizeof(on), &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(efivar_decode_u8(off, sizeof(off), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(efivar_decode_u8(longer, sizeof(longer), &v), -EBADMSG);
	assert_int_equal(efivar_decode_u8(on, 4, &v), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_stub_value),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(one_byte_variables),
	};

	return cmocka_run_group_tests_name("efivar", tests, NULL, NULL);
}
