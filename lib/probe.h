/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PROBE_H
#define RAMPART_PROBE_H

#include <stddef.h>

#include "gpt.h"

#define PARTITIONS_MAX 256

struct partition_table {
	struct partition parts[PARTITIONS_MAX];
	size_t n;
	size_t disks;
};

/*
 * Reads the GPT of every whole disk the kernel knows (sysfs), through
 * libblkid.  Disks without a GPT are counted but contribute nothing.
 */
int probe_partitions(struct partition_table *t);

#endif
