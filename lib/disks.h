/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_DISKS_H
#define RAMPART_DISKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The whole disks the kernel has announced (/sys/block), and which of
 * them are new since an earlier look.  A disk is known by its name, its
 * disk sequence number (diskseq: never reused within a boot, raised on a
 * media change) and whether it has a medium, so a disk that went and came
 * back under the same name, or a card put into a reader, counts as new.
 */
#define DISKS_MAX 64
#define SYSFS_BLOCK "/sys/block"

struct disk_id {
	char name[32];  /* vda, sdb, nvme0n1 */
	uint64_t seq;   /* diskseq; 0 where the kernel has none */
	bool empty;     /* size 0 (no medium): nothing to read */
};

struct disk_set {
	struct disk_id disk[DISKS_MAX];
	size_t n;
	bool truncated; /* more than DISKS_MAX disks: the list is partial */
};

/*
 * Lists the whole disks in @sysfs_block (normally /sys/block), less those
 * that never hold a boot disk's GPT (RAM, loop, device-mapper, zram,
 * optical, md).  Returns 0 or a negative errno.
 */
int disks_list(struct disk_set *s, const char *sysfs_block);

/* Pure below. */

/* Whether @s holds @d (name, sequence number and medium alike). */
bool disk_set_has(const struct disk_set *s, const struct disk_id *d);

/* Adds @d to @s unless it is there; -ENOSPC (and @s->truncated) when full. */
int disk_set_add(struct disk_set *s, const struct disk_id *d);

/* Whether @a and @b hold the same disks, in any order. */
bool disk_set_equal(const struct disk_set *a, const struct disk_set *b);

/*
 * The disks of @now that @known lacks: their indices in @now go to
 * @new_idx (room for @max).  Returns how many there are, which may be
 * more than @max.
 */
size_t disks_new(const struct disk_set *known, const struct disk_set *now, size_t *new_idx, size_t max);

/* Whether a disk of @known is no longer in @now (removed, or its medium changed). */
bool disks_gone(const struct disk_set *known, const struct disk_set *now);

/*
 * Settling: the list of disks must stay unchanged for a quiet period
 * before anything is decided on it.  Times in microseconds.
 */
struct settle {
	uint64_t quiet_usec;
	uint64_t since;  /* last change seen */
	bool started;
};

void settle_init(struct settle *s, unsigned quiet_ms);

/*
 * One look at the list: @changed says whether it differs from the last
 * look.  Returns true once the list has been unchanged for the quiet
 * period since the first call (which starts the clock).
 */
bool settle_look(struct settle *s, bool changed, uint64_t now);

#endif
