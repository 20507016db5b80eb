/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "boot_count.h"

/* DPS's own root bits (59 grow-fs, 60 read-only, 63 no-auto) and GPT's bit 0 are never touched. */
#define OTHERS ((UINT64_C(1) << 59) | (UINT64_C(1) << 60) | (UINT64_C(1) << 63) | UINT64_C(1))

static void factory_slot_is_good(void **state)
{
	unsigned left = 99;

	(void)state;
	assert_int_equal(boot_count_state(0, &left), BOOT_COUNT_GOOD);
	assert_int_equal(left, 0);
	assert_int_equal(boot_count_state(OTHERS, NULL), BOOT_COUNT_GOOD);
	assert_int_equal(boot_count_try(OTHERS), OTHERS);
}

static void trial_runs_out(void **state)
{
	uint64_t a = boot_count_new_trial(OTHERS, BOOT_COUNT_TRIES_DEFAULT);
	unsigned left;

	(void)state;
	for (unsigned want = BOOT_COUNT_TRIES_DEFAULT; want > 0; want--) {
		assert_int_equal(boot_count_state(a, &left), BOOT_COUNT_TRIAL_LEFT);
		assert_int_equal(left, want);
		a = boot_count_try(a);
	}
	assert_int_equal(boot_count_state(a, &left), BOOT_COUNT_TRIAL_EXHAUSTED);
	assert_int_equal(left, 0);
	/* No underflow: an exhausted slot stays exhausted. */
	assert_int_equal(boot_count_try(a), a);
	assert_int_equal(a & OTHERS, OTHERS);
}

static void marks(void **state)
{
	uint64_t a = boot_count_new_trial(OTHERS, 2);

	(void)state;
	assert_int_equal(boot_count_mark_good(a), OTHERS);
	assert_int_equal(boot_count_state(boot_count_mark_bad(OTHERS), NULL), BOOT_COUNT_TRIAL_EXHAUSTED);
	assert_int_equal(boot_count_mark_bad(a) & OTHERS, OTHERS);
	assert_int_equal(boot_count_state(boot_count_mark_good(boot_count_mark_bad(a)), NULL), BOOT_COUNT_GOOD);
}

static void tries_clamped(void **state)
{
	unsigned left;

	(void)state;
	boot_count_state(boot_count_new_trial(0, 0), &left);
	assert_int_equal(left, 1);
	boot_count_state(boot_count_new_trial(0, 99), &left);
	assert_int_equal(left, BOOT_COUNT_TRIES_MAX);
	/* Exactly the documented bits. */
	assert_int_equal(boot_count_new_trial(0, 15), (UINT64_C(0xf) << 48) | (UINT64_C(1) << 52));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(factory_slot_is_good),
		cmocka_unit_test(trial_runs_out),
		cmocka_unit_test(marks),
		cmocka_unit_test(tries_clamped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
