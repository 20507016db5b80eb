/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_PROBE_H
#define RAMPART_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "disks.h"
#include "gpt.h"
#include "reason.h"

#define PARTITIONS_MAX 256

struct partition_table {
	struct partition parts[PARTITIONS_MAX];
	size_t n;
	size_t disks;
	int truncated;  /* more than PARTITIONS_MAX partitions: the view is partial */
};

/*
 * Reads the GPT of the disk @disk (a device node, or an image file)
 * through libblkid and appends its partitions to @t.  A disk with no
 * partition table or another kind (MBR) adds nothing and is no error.
 * Returns a negative errno (and @why) when what the disk holds cannot be
 * read: it does not open or read, more than one kind of partition table
 * is on it, or a protective MBR says GPT but neither GPT header reads.
 * Past PARTITIONS_MAX in all, @t->truncated is set: a caller must not
 * decide anything on that partial view.
 */
int probe_disk(struct partition_table *t, const char *disk, struct reason *why);

/* probe_disk() of /dev/@name. */
int probe_disk_name(struct partition_table *t, const char *name, struct reason *why);

/*
 * Reads the GPT of every whole disk the kernel knows (disks_list()), as
 * probe_disk() does.  Disks without a GPT are counted but contribute
 * nothing.  Returns the first disk's error, if one could not be read
 * (the others are still read), else 0.
 */
int probe_partitions(struct partition_table *t);

/* What one look at the disks found (probe_new_disks). */
struct probe_look {
	struct disk_set now;    /* the disks listed at this look */
	struct disk_set last;   /* ... at the one before */
	bool changed;           /* the two differ: a disk came, went or changed */
	size_t probed;          /* disks read at this look */
	size_t unreadable;      /* new disks whose table could not be read: not in @known, so read again next time */
	char bad_disk[48];      /* the first of those, and why */
	struct reason why;
	int err;
};

/*
 * One look at the whole disks the kernel has announced (disks_list()):
 * each disk @known lacks is probed into @t (probe_disk()) and, once its
 * partition table has been read, added to @known; a disk with no medium
 * is added unread.  A disk of @known that is gone (removed, its medium
 * changed) leaves @known, and its partitions leave @t.  @look must be
 * zeroed before the first look and kept between looks.  Returns 0, or a
 * negative errno if the disks cannot be listed (-ENOSPC: more than
 * DISKS_MAX).
 */
int probe_new_disks(struct disk_set *known, struct partition_table *t, struct probe_look *look);

#endif
