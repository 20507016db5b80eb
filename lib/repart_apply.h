/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_REPART_APPLY_H
#define RAMPART_REPART_APPLY_H

/*
 * The disk side of first-boot repartitioning: reading the GPT and adding
 * a plan (repart_plan.h) to it with libfdisk, telling the kernel.
 *
 * Power safety
 * ------------
 * All new partitions are written by ONE libfdisk table write.  libfdisk
 * writes, in the order UEFI asks for, the backup entries, backup header,
 * primary entries, primary header, protective MBR, each followed by
 * fsync: a power cut leaves either a valid primary header with its old
 * entries (the old table: the next boot plans and writes again, and the
 * result is byte for byte that of an uninterrupted run), or a primary
 * whose CRC no longer matches the new entries, and libblkid and libfdisk
 * then take the complete new backup (the new table: nothing to plan).
 * The kernel does not fall back to the backup GPT (only with "gpt" on its
 * command line) and would see no partitions: repart_mend_and_tell_kernel(),
 * run every boot, rewrites such a table and tells the kernel.  UEFI
 * firmware (OVMF) restores the primary from the backup by itself.
 * Nothing but GPT sectors is written; data bytes are never touched.
 * When the image was copied to a larger disk, that same write moves the
 * backup GPT to the end of the disk (libfdisk does it whenever it opens a
 * disk read-write), which is why the geometry below is read read-write.
 *
 * Partition UUIDs of new partitions are name-based (RFC 4122 version 5):
 * namespace the disk GUID, name "rampart-repart:NUMBER:TYPE".  A redo
 * after a power cut writes the same table, and no randomness is needed
 * this early (libuuid would wait up to a second per partition for the
 * kernel's entropy pool before falling back to weaker sources).  Disks made
 * from one image share a disk GUID and hence these UUIDs, as they share
 * all the others: partitions are chosen by the boot disk, never by UUID
 * alone (threat 5).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "repart_plan.h"

/*
 * Reads @disk's GPT with libfdisk, opened read-write but not written, so
 * @geo is what a write would give (backup GPT moved to the end of a larger
 * disk).  @parts (may be NULL with @max 0) receives up to @max partitions
 * in table order, @n their count (all of them: more than @max is -ENOBUFS).
 * -EMEDIUMTYPE without a GPT.
 */
int repart_disk_read(const char *disk, struct repart_geometry *geo, struct partition *parts, size_t max,
		     size_t *n);
int repart_disk_geometry(const char *disk, struct repart_geometry *geo);

/*
 * Adds @plan (from repart_plan on this disk's current table) to @disk in
 * one libfdisk table write, after checking again against the table as
 * libfdisk reads it now (-ESTALE if the plan no longer fits it), then
 * tells the kernel about each new partition (BLKPG), so its device node
 * appears without a reboot.  On a regular file (an image) the kernel step
 * is skipped.  If the table was written but the kernel refused a new
 * partition, returns that error: the partitions exist on disk and appear
 * after a reboot.  Logs what it adds and every failure.
 */
int repart_apply(const char *disk, const struct repart_new *plan, size_t n);

/*
 * The partition UUID repart_apply() gives partition @number of @type on
 * the disk with GUID @disk_guid (name-based): it tells a partition rampart
 * made from one another system made.
 */
int repart_new_uuid(const char *disk_guid, int number, const char *type, char out[37]);

/*
 * Makes @disk's table whole and the kernel agree with it; cheap, for every
 * boot, before repart_disk_read().  Rewrites the table (both copies, from
 * the valid one) when libfdisk had to mend it while reading: after a power
 * cut between libfdisk's writes of the primary entries and the primary
 * header, the primary is invalid, and the kernel, unlike libblkid and
 * libfdisk, does not fall back to the backup (only with "gpt" on its
 * command line): it would see no partitions.  Then adds, with BLKPG, every
 * partition of the table the kernel does not know.  Nothing is moved.
 */
int repart_mend_and_tell_kernel(const char *disk);

/*
 * Renames partition @number (1-based) of @disk to @label, in one table
 * write, if its current label is @expect (NULL: any).  -ESTALE if it is
 * not, -ENOENT if the partition does not exist, -EINVAL for a bad label.
 * For open-storage: repart_set_label(disk, n, "pending-var", "var").
 */
int repart_set_label(const char *disk, int number, const char *expect, const char *label);

/*
 * Replaces the GPT attributes of partition @number of @disk by
 * @update(current attributes), in one table write (none if they do not
 * change): the boot counting of lib/boot_count.h.  @old_attrs and
 * @new_attrs (may be NULL) receive both.  Returns 1 if written, 0 if
 * unchanged, -ENOENT without such a partition, or another negative errno.
 */
int gpt_update_attrs(const char *disk, int number, uint64_t (*update)(uint64_t), uint64_t *old_attrs,
		     uint64_t *new_attrs);

/* What gpt_update_parts() changes in one partition; NULL / false leaves it. */
struct gpt_part_update {
	int number;        /* 1-based */
	const char *label;
	const char *uuid;  /* partition UUID */
	bool set_attrs;
	uint64_t attrs;
};

/*
 * Changes labels, UUIDs and attributes of @n partitions of @disk in ONE
 * table write (see "Power safety" above): the update writer's last step,
 * which turns written data into a bootable slot, all or nothing.
 */
int gpt_update_parts(const char *disk, const struct gpt_part_update *u, size_t n);

#endif
