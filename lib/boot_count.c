/* SPDX-License-Identifier: MIT */
#include "boot_count.h"

#include <stddef.h>

static unsigned tries_of(uint64_t attrs)
{
	return (unsigned)((attrs & BOOT_COUNT_TRIES_MASK) >> BOOT_COUNT_TRIES_SHIFT);
}

static uint64_t with_tries(uint64_t attrs, unsigned tries)
{
	return (attrs & ~BOOT_COUNT_TRIES_MASK) | ((uint64_t)tries << BOOT_COUNT_TRIES_SHIFT);
}

enum boot_count_state boot_count_state(uint64_t attrs, unsigned *tries_left)
{
	unsigned tries = tries_of(attrs);

	if (tries_left)
		*tries_left = tries;
	if (!(attrs & BOOT_COUNT_TRIAL))
		return BOOT_COUNT_GOOD;
	return tries ? BOOT_COUNT_TRIAL_LEFT : BOOT_COUNT_TRIAL_EXHAUSTED;
}

uint64_t boot_count_try(uint64_t attrs)
{
	if (boot_count_state(attrs, NULL) != BOOT_COUNT_TRIAL_LEFT)
		return attrs;
	return with_tries(attrs, tries_of(attrs) - 1);
}

uint64_t boot_count_mark_good(uint64_t attrs)
{
	return attrs & ~(BOOT_COUNT_TRIAL | BOOT_COUNT_TRIES_MASK);
}

uint64_t boot_count_mark_bad(uint64_t attrs)
{
	return with_tries(attrs | BOOT_COUNT_TRIAL, 0);
}

uint64_t boot_count_new_trial(uint64_t attrs, unsigned tries)
{
	if (tries < 1)
		tries = 1;
	if (tries > BOOT_COUNT_TRIES_MAX)
		tries = BOOT_COUNT_TRIES_MAX;
	return with_tries(attrs | BOOT_COUNT_TRIAL, tries);
}
