/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "volume_record.h"

static struct volume_record sample(void)
{
	struct volume_record rec;

	rec.rollback_floor = 0x01020304;
	memset(rec.identity[VOLUME_VAR], 0x11, VOLUME_IDENTITY_SIZE);
	memset(rec.identity[VOLUME_TMP], 0x22, VOLUME_IDENTITY_SIZE);
	return rec;
}

static void round_trip(void **state)
{
	struct volume_record rec = sample(), back;
	uint8_t bytes[VOLUME_RECORD_SIZE];

	(void)state;
	volume_record_encode(&rec, bytes);
	assert_memory_equal(bytes, "RMPV\x01\x02\x00\x00\x04\x03\x02\x01", 12);
	assert_int_equal(bytes[12], 0x11);
	assert_int_equal(bytes[12 + VOLUME_IDENTITY_SIZE], 0x22);
	assert_int_equal(volume_record_decode(bytes, sizeof(bytes), &back), 0);
	assert_memory_equal(&back, &rec, sizeof(rec));
}

static void decode_refuses_other_bytes(void **state)
{
	struct volume_record rec = sample(), back;
	uint8_t bytes[VOLUME_RECORD_SIZE + 1];

	(void)state;
	volume_record_encode(&rec, bytes);
	assert_int_equal(volume_record_decode(bytes, VOLUME_RECORD_SIZE - 1, &back), -EBADMSG);
	assert_int_equal(volume_record_decode(bytes, VOLUME_RECORD_SIZE + 1, &back), -EBADMSG);
	for (size_t i = 0; i < 8; i++) {
		volume_record_encode(&rec, bytes);
		bytes[i] ^= 0x40;
		assert_int_equal(volume_record_decode(bytes, VOLUME_RECORD_SIZE, &back), -EBADMSG);
	}
}

static void find_names_the_role(void **state)
{
	struct volume_record rec = sample();
	uint8_t id[VOLUME_IDENTITY_SIZE];

	(void)state;
	memset(id, 0x11, sizeof(id));
	assert_int_equal(volume_record_find(&rec, id), VOLUME_VAR);
	memset(id, 0x22, sizeof(id));
	assert_int_equal(volume_record_find(&rec, id), VOLUME_TMP);
	id[31] ^= 1;
	assert_int_equal(volume_record_find(&rec, id), -ENOENT);
}

static void zero_identity_never_matches(void **state)
{
	struct volume_record rec;
	uint8_t id[VOLUME_IDENTITY_SIZE] = { 0 };

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(volume_record_find(&rec, id), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(decode_refuses_other_bytes),
		cmocka_unit_test(find_names_the_role),
		cmocka_unit_test(zero_identity_never_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
