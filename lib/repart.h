/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_REPART_H
#define RAMPART_REPART_H

/*
 * First-boot repartitioning: adds the partitions the image's definitions
 * declare and the boot disk lacks, in free space, without ever moving,
 * resizing or rewriting an existing partition (reference §5, threat 7).
 *
 * Definitions: the repart.d(5) format of systemd-repart, a subset
 * --------------------------------------------------------------------
 * One partition per file, NN-name.conf, processed in file-name order
 * (strcmp).  One [Partition] section; "#" and ";" start comment lines.
 * Keys (case-sensitive, each at most once):
 *
 *   Type=            esp, root, root-verity, root-verity-sig (and the
 *                    root-x86-64... spellings), swap, var, tmp,
 *                    linux-generic, or a GPT type GUID.  Required.
 *   Label=           printable ASCII, at most 36 characters, no "%"
 *                    (systemd would expand specifiers), not starting with
 *                    "pending-"; var and tmp at most 28 (room for the
 *                    prefix).  Default: the type's name.
 *   SizeMinBytes=    integer with an optional K, M, G or T suffix (base
 *   SizeMaxBytes=    1024).  Defaults 10M and no maximum, as systemd.
 *   Weight=          0..1000000, default 1000.
 *   Flags=           the 64 GPT attribute bits: decimal, 0x hex or 0b.
 *   NoAuto=, ReadOnly=, GrowFileSystem=   booleans for bits 63, 60, 59;
 *                    they override those bits of Flags=.
 *
 * Where rampart is stricter than systemd, deliberately, because the files
 * ship inside the signed initrd and a definition rampart half understood
 * could lay out a disk other than the one its author meant:
 *   - an unknown key, a key given twice, a second [Partition] section, an
 *     unknown section, a key outside a section, an empty value, a line
 *     continuation or a missing Type= is a refusal with FILE:LINE (systemd
 *     warns and ignores, merges, or defaults Type= to linux-generic);
 *   - keys of systemd-repart that rampart does not implement (Format=,
 *     Encrypt=, CopyBlocks=, Priority=, PaddingMinBytes=, UUID=, ...) are
 *     unknown keys, hence refusals;
 *   - sizes are integers (no "1.5G") with K/M/G/T only;
 *   - attribute bits are only what Flags=/NoAuto=/ReadOnly=/
 *     GrowFileSystem= say: systemd's implicit defaults (read-only for
 *     verity types, grow-file-system for file system types) are not
 *     applied, so our files spell every bit out;
 *   - Label= of a partition that already exists is never written, even
 *     when that partition's label is empty (systemd would set it).
 * Keys starting with "X-" are extensions: systemd ignores them, and so
 * does rampart, except its own "X-Rampart" keys (an unknown one is a
 * refusal: most likely a typo):
 *   X-RampartMustExist=yes      the partition is part of the shipped image:
 *                               it is only matched, never created; a disk
 *                               without it is refused (-ENOENT).
 *   X-RampartSizeFrom=FILE.conf a new partition gets exactly the size of
 *                               the existing partition matched by the
 *                               definition FILE.conf (same Type= required):
 *                               the _empty A/B set is as large as slot A,
 *                               so every update image made for one slot
 *                               fits the other.  Excludes SizeMinBytes=,
 *                               SizeMaxBytes=, Weight= and MustExist.
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
 * command line) and would see no partitions: repart_sync(), run every
 * boot, rewrites such a table and tells the kernel.  UEFI firmware
 * (OVMF) restores the primary from the backup by itself.
 * Nothing but GPT sectors is written; data bytes are never touched.
 * When the image was copied to a larger disk, that same write moves the
 * backup GPT to the end of the disk (libfdisk does it whenever it opens a
 * disk read-write), which is why the geometry below is read read-write.
 *
 * The formatting protocol (open-storage relies on it)
 * --------------------------------------------------
 * Partitions that must be formatted before use (var, tmp) are created
 * with the label "pending-<Label>", e.g. "pending-var".  open-storage
 * formats a partition only while its label is pending, then renames it to
 * its final label with repart_set_label() (a second, equally atomic table
 * write), and only after that puts data on it.  A partition with a final
 * label is never formatted: a power cut before the rename costs an empty
 * format, never data.  swap (re-keyed and re-made every boot) and the
 * _empty A/B set get their final label at once.
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

#define REPART_ALIGN (UINT64_C(1) << 20)          /* 1 MiB, starts and sizes */
#define REPART_DEFAULT_MIN (UINT64_C(10) << 20)   /* systemd's default SizeMinBytes= */
#define REPART_DEFAULT_WEIGHT 1000
#define REPART_WEIGHT_MAX 1000000
#define REPART_PENDING_PREFIX "pending-"
#define REPART_FILE_MAX 64                         /* file names, with the NUL */
#define REPART_LABEL_CHARS 36                      /* GPT: 36 UTF-16 code units */

struct repart_def {
	char file[REPART_FILE_MAX];  /* "60-var.conf", for matching order and messages */
	unsigned line;               /* of its [Partition] header */
	enum part_role role;
	char type[37];               /* lowercase GUID */
	char label[GPT_LABEL_MAX];   /* final label (the default filled in) */
	uint64_t size_min, size_max; /* bytes, as written; size_max UINT64_MAX if none */
	uint32_t weight;
	uint64_t attrs;              /* GPT attribute bits for a new partition */
	bool must_exist;             /* X-RampartMustExist= */
	char size_from[REPART_FILE_MAX]; /* X-RampartSizeFrom=, "" if not given */
};

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
 * Parses one definition file, @name (its base name, for ordering and
 * messages) with contents @text[0..len).  On error returns -EINVAL and
 * writes "NAME:LINE: reason" to @why.  Pure.
 */
int repart_parse_file(const char *name, const char *text, size_t len, struct repart_def *out,
		      char *why, size_t why_size);

/*
 * Checks what no single file can: every X-RampartSizeFrom= names another
 * definition of the same type.  -EINVAL with the reason in @why.  Pure.
 */
int repart_check_defs(const struct repart_def *defs, size_t n, char *why, size_t why_size);

/*
 * Reads @dir/[any].conf in file-name order into @defs (at most @max) and
 * checks them (repart_check_defs).  Logs and returns -EINVAL for a bad
 * file, -E2BIG for more than @max, -ENOENT without the directory.
 */
int repart_load_dir(const char *dir, struct repart_def *defs, size_t max, size_t *n);

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
		size_t *n_out, char *why, size_t why_size);

/* Whether @label may be written as a GPT label by rampart: printable ASCII, 1..36 characters. */
bool repart_label_ok(const char *label);

/* The final label of a pending label ("pending-var" -> "var"), or NULL if @label is not pending. */
const char *repart_pending_final(const char *label);

/* Whether partitions of @role are created pending (formatted later by open-storage). */
bool repart_role_formatted(enum part_role role);

/* ---- I/O, libfdisk (lib/repart_apply.c) -------------------------------------------- */

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
int repart_sync(const char *disk);

/*
 * Renames partition @number (1-based) of @disk to @label, in one table
 * write, if its current label is @expect (NULL: any).  -ESTALE if it is
 * not, -ENOENT if the partition does not exist, -EINVAL for a bad label.
 * For open-storage: repart_set_label(disk, n, "pending-var", "var").
 */
int repart_set_label(const char *disk, int number, const char *expect, const char *label);

#endif
