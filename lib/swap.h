/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_SWAP_H
#define RAMPART_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

#define SWAP_PAGE_SIZE 4096

/*
 * Fills @page with a Linux swap header (SWAPSPACE2, version 1) for a
 * device of @dev_size bytes, as mkswap writes it.  Pure.  -ENOSPC if the
 * device is too small to hold any swap page.
 */
int swap_header_build(uint8_t page[SWAP_PAGE_SIZE], uint64_t dev_size, const uint8_t uuid[16],
		      const char *label);

/* Writes a swap header on @dev (its size from the kernel), with a random UUID. */
int swap_format(const char *dev, const char *label, struct reason *why);

#endif
