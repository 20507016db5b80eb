/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "encoding.h"

static void digit_values(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = -1;

		if (c >= '0' && c <= '9')
			want = c - '0';
		else if (c >= 'a' && c <= 'f')
			want = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			want = c - 'A' + 10;
		assert_int_equal(hex_digit((char)c), want);
	}
}

static void encode(void **state)
{
	const uint8_t in[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[2 * sizeof(in) + 2];

	(void)state;
	memset(out, 'x', sizeof(out));
	hex_encode(out, in, sizeof(in));
	assert_string_equal(out, "00017f80abff");
	/* Exactly 2n + 1 chars written. */
	assert_int_equal(out[2 * sizeof(in) + 1], 'x');

	memset(out, 'x', sizeof(out));
	hex_encode(out, in, 0);
	assert_string_equal(out, "");
}

static void round_trip(void **state)
{
	uint8_t in[256], back[256];
	char text[2 * sizeof(in) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(text, in, sizeof(in));
	assert_int_equal(strlen(text), 2 * sizeof(in));
	assert_int_equal(hex_decode_lower(text, strlen(text), back), 0);
	assert_memory_equal(back, in, sizeof(in));
	memset(back, 0, sizeof(back));
	assert_int_equal(hex_decode(text, strlen(text), back), 0);
	assert_memory_equal(back, in, sizeof(in));
}

static void decode_either_case(void **state)
{
	const uint8_t want[] = { 0xab, 0xcd, 0xef, 0x09 };
	uint8_t out[4];

	(void)state;
	assert_int_equal(hex_decode("abcdef09", 8, out), 0);
	assert_memory_equal(out, want, 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode("ABCDEF09", 8, out), 0);
	assert_memory_equal(out, want, 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(hex_decode("aBcDeF09", 8, out), 0);
	assert_memory_equal(out, want, 4);
}

/* The lowercase spelling is the only one: any capital refuses the whole text. */
static void decode_lower_refuses_capitals(void **state)
{
	const uint8_t want[] = { 0xab, 0xcd, 0xef, 0x09 };
	const char *bad[] = { "ABCDEF09", "abcdeF09", "Abcdef09", "abcdef0A" };
	uint8_t out[4];

	(void)state;
	assert_int_equal(hex_decode_lower("abcdef09", 8, out), 0);
	assert_memory_equal(out, want, 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode_lower(bad[i], 8, out), -EBADMSG);
}

static void decode_refuses(void **state)
{
	/* Everything but plain digits: prefixes, spaces, separators, NUL, non-ASCII. */
	static const struct {
		const char *text;
		size_t n;
	} bad[] = {
		{ "a", 1 },        { "abc", 3 },   { "0x12", 4 },  { " 12", 3 },
		{ "12 ", 3 },      { "1 2 ", 4 },  { "12-3", 4 },  { "g0", 2 },
		{ "0G", 2 },       { "+1", 2 },    { "1\n", 2 },   { "ab\0d", 4 },
		{ "\xc3\xa9", 2 }, { "0123456789abcdeg", 16 },
	};
	uint8_t out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 0x5a, sizeof(out));
		assert_int_equal(hex_decode(bad[i].text, bad[i].n, out), -EBADMSG);
		assert_int_equal(hex_decode_lower(bad[i].text, bad[i].n, out), -EBADMSG);
		/* Refused before anything is written. */
		for (size_t j = 0; j < sizeof(out); j++)
			assert_int_equal(out[j], 0x5a);
	}
}

/* @n is the length, not a NUL: what follows the first @n chars is not read. */
static void decode_length_is_n(void **state)
{
	uint8_t out[2] = { 0x5a, 0x5a };

	(void)state;
	assert_int_equal(hex_decode("12zz", 2, out), 0);
	assert_int_equal(out[0], 0x12);
	assert_int_equal(out[1], 0x5a);
	assert_int_equal(hex_decode("", 0, out), 0);
	assert_int_equal(hex_decode_lower("", 0, out), 0);
	assert_int_equal(out[0], 0x12);
}

static void uuid_syntax(void **state)
{
	(void)state;
	assert_true(uuid_is_valid("485c5e55-0c67-44db-8fa6-32487250ba4d"));
	assert_true(uuid_is_valid("485C5E55-0C67-44DB-8FA6-32487250BA4D"));
	assert_false(uuid_is_valid("485c5e55-0c67-44db-8fa6-32487250ba4"));
	assert_false(uuid_is_valid("485c5e55-0c67-44db-8fa6-32487250ba4dd"));
	assert_false(uuid_is_valid("485c5e550c6744db8fa632487250ba4d"));
	assert_false(uuid_is_valid(""));
}

static void uuid_bytes(void **state)
{
	static const uint8_t want[16] = { 0x48, 0x5c, 0x5e, 0x55, 0x0c, 0x67, 0x44, 0xdb,
					  0x8f, 0xa6, 0x32, 0x48, 0x72, 0x50, 0xba, 0x4d };
	uint8_t out[16];

	(void)state;
	assert_int_equal(uuid_from_string("485c5e55-0c67-44db-8fa6-32487250ba4d", out), 0);
	assert_memory_equal(out, want, 16);
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(uuid_from_string("485C5E55-0C67-44DB-8FA6-32487250BA4D", out), 0);
	assert_memory_equal(out, want, 16);

	/* Refused, and nothing written. */
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(uuid_from_string(NULL, out), -EINVAL);
	assert_int_equal(uuid_from_string("485c5e55-0c67-44db-8fa6-32487250ba4g", out), -EINVAL);
	assert_int_equal(uuid_from_string("485c5e55+0c67-44db-8fa6-32487250ba4d", out), -EINVAL);
	assert_int_equal(uuid_from_string("485c5e5-50c67-44db-8fa6-32487250ba4d", out), -EINVAL);
	assert_int_equal(uuid_from_string(" 485c5e55-0c67-44db-8fa6-32487250ba4d", out), -EINVAL);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(out[i], 0x5a);
}

static void lowercase_copy(void **state)
{
	char out[8];

	(void)state;
	copy_lower(out, sizeof(out), "AbC-09z");
	assert_string_equal(out, "abc-09z");
	copy_lower(out, sizeof(out), "ABCDEFGHIJ");
	assert_string_equal(out, "abcdefg");
	copy_lower(out, sizeof(out), NULL);
	assert_string_equal(out, "");
	copy_lower(out, 1, "X");
	assert_string_equal(out, "");
}

static void uuid_round_trip(void **state)
{
	static const char uuid[] = "c537e204-c6a6-9eee-ddb8-a0f00d465117";
	uint8_t bytes[16];
	char back[37];

	(void)state;
	assert_int_equal(uuid_from_string(uuid, bytes), 0);
	assert_int_equal(bytes[0], 0xc5);
	assert_int_equal(bytes[15], 0x17);
	uuid_to_string(bytes, back);
	assert_string_equal(back, uuid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uuid_round_trip),
		cmocka_unit_test(digit_values),
		cmocka_unit_test(encode),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(decode_either_case),
		cmocka_unit_test(decode_lower_refuses_capitals),
		cmocka_unit_test(decode_refuses),
		cmocka_unit_test(decode_length_is_n),
		cmocka_unit_test(uuid_syntax),
		cmocka_unit_test(uuid_bytes),
		cmocka_unit_test(lowercase_copy),
	};

	return cmocka_run_group_tests_name("encoding", tests, NULL, NULL);
}
