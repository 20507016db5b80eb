/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_REPART_PLAN_H
#define RAMPART_REPART_PLAN_H

/*
 * First-boot planning: which partitions the definitions (repart_conf.h)
 * add to a disk, and where.
 *
 * Matching, as systemd-repart: the Nth definition of a type describes the
 * Nth existing partition of that type on the disk (by partition number).
 * A matched definition needs nothing; an unmatched one is a new partition.
 *
 * Planning (pure): the new partitions go, in definition order, into the
 * largest free area of the disk (after the last partition on a fresh
 * image), each start aligned to REPART_ALIGN, numbered from the highest
 * partition number in use plus one.  Sizes: SizeMinBytes= rounded up to
 * REPART_ALIGN (at least one), SizeMaxBytes= rounded down (not below the
 * minimum); every partition gets its minimum, and what the area has left
 * is shared among the partitions that can still grow (Weight= > 0, below
 * their maximum) in proportion to their weights, in whole REPART_ALIGN
 * units (a partition reaching its maximum stops and the rest is shared
 * again; leftover units go to the largest fractional shares).  Minimums
 * that do not fit are a refusal (-ENOSPC, with how much is missing).
 */

#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "repart_conf.h"

#define REPART_ALIGN (UINT64_C(1) << 20)          /* 1 MiB, starts and sizes */

/* A partition to add. */
struct repart_new {
	const struct repart_def *def;
	int number;                  /* 1-based partition number */
	uint64_t start, size;        /* bytes */
	char label[GPT_LABEL_MAX];   /* final, or "pending-" + final for var and tmp */
};

struct repart_geometry {
	uint64_t first_usable;       /* byte offset of the first usable sector */
	uint64_t last_usable;        /* offset of the last usable byte (inclusive) */
	uint32_t sector_size;        /* logical, bytes */
	uint32_t max_partitions;     /* entries of the GPT's partition array (128 usually) */
	char disk_guid[37];          /* lowercase; "" if unknown (pure tests) */
};

/*
 * The partitions to add to one disk: @existing are its partitions (all on
 * the same disk; struct partition from probe or repart_disk_read), @geo
 * its geometry, @defs the definitions in order.  Writes at most @max
 * entries to @out and their count to @n_out: 0 means nothing to do.
 * Never proposes anything outside the usable area or overlapping an
 * existing partition.  Errors, with the reason in @why: -ENOSPC (the
 * minimums do not fit; no free table entry), -ENOENT (a must-exist
 * partition is missing), -ENOBUFS (@max too small), -EINVAL (inconsistent
 * definitions or input).  Pure.
 */
int repart_plan(const struct partition *existing, size_t n_existing, const struct repart_geometry *geo,
		const struct repart_def *defs, size_t n_defs, struct repart_new *out, size_t max,
		size_t *n_out, struct reason *why);

#endif
