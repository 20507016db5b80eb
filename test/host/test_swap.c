/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "swap.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void header_layout(void **state)
{
	uint8_t page[SWAP_PAGE_SIZE];
	const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	(void)state;
	memset(page, 0xaa, sizeof(page));
	assert_int_equal(swap_header_build(page, 64u << 20, uuid, "swap"), 0);
	assert_memory_equal(page + SWAP_PAGE_SIZE - 10, "SWAPSPACE2", 10);
	assert_int_equal(le32(page + 1024), 1);                     /* version */
	assert_int_equal(le32(page + 1028), (64u << 20) / 4096 - 1); /* last page */
	assert_int_equal(le32(page + 1032), 0);                     /* bad pages */
	assert_memory_equal(page + 1036, uuid, 16);
	assert_string_equal((char *)page + 1052, "swap");
	assert_int_equal(page[0], 0); /* boot bits cleared */
}

static void partial_page_ignored(void **state)
{
	uint8_t page[SWAP_PAGE_SIZE];
	const uint8_t uuid[16] = { 0 };

	(void)state;
	assert_int_equal(swap_header_build(page, 3 * 4096 + 100, uuid, NULL), 0);
	assert_int_equal(le32(page + 1028), 2);
}

static void too_small(void **state)
{
	uint8_t page[SWAP_PAGE_SIZE];
	const uint8_t uuid[16] = { 0 };

	(void)state;
	assert_int_equal(swap_header_build(page, 4096, uuid, "x"), -ENOSPC);
	assert_int_equal(swap_header_build(page, 0, uuid, "x"), -ENOSPC);
}

static void long_label_truncated(void **state)
{
	uint8_t page[SWAP_PAGE_SIZE];
	const uint8_t uuid[16] = { 0 };

	(void)state;
	assert_int_equal(swap_header_build(page, 1 << 20, uuid, "a-label-longer-than-sixteen"), 0);
	assert_int_equal(strnlen((char *)page + 1052, 16), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_layout),
		cmocka_unit_test(partial_page_ignored),
		cmocka_unit_test(too_small),
		cmocka_unit_test(long_label_truncated),
	};

	return cmocka_run_group_tests_name("swap", tests, NULL, NULL);
}
