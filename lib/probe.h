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
	int truncated;  /* more than PARTITIONS_MAX partitions: the view is partial */
};

/*
 * Reads the GPT of every whole disk the kernel knows (sysfs), through
 * libblkid.  Disks without a GPT are counted but contribute nothing.
 * Past PARTITIONS_MAX in all, @t->truncated is set: a caller must not
 * decide anything on that partial view.
 */
int probe_partitions(struct partition_table *t);

#endif
