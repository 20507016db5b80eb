/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_VERITY_H
#define RAMPART_VERITY_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

/*
 * Activates /dev/mapper/@name: @data_dev checked block by block by the
 * kernel against the hash tree on @hash_dev, whose top must equal
 * @root_hash (already verified by the caller).  Read-only.
 */
int verity_open(const char *name, const char *data_dev, const char *hash_dev,
		const uint8_t *root_hash, size_t root_hash_len, struct reason *why);

/*
 * Sets libcryptsetup up for rampart, before any other use of it: its
 * messages go into rampart's log at debug level (the caller reports failures), and metadata
 * locking is off, which also stops its automatic LUKS2 header repair.
 */
void cryptsetup_log_setup(void);

#endif
