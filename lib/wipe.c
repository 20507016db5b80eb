/* SPDX-License-Identifier: MIT */
#include "wipe.h"

#include <stddef.h>
#include <stdint.h>

/*
 * noinline: the array must lie below the caller's frame, where the
 * callee frames were.  Volatile stores, not memset(): they cannot be
 * elided, and no call pushes a return address below the array.
 */
__attribute__((noinline)) void wipe_stack(void)
{
	volatile uint64_t below[WIPE_STACK_BYTES / sizeof(uint64_t)];

	for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++)
		below[i] = 0;
}
