/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_REPART_CONF_H
#define RAMPART_REPART_CONF_H

/*
 * First-boot repartitioning: adds the partitions the image's definitions
 * declare and the boot disk lacks, in free space, without ever moving,
 * resizing or rewriting an existing partition (reference §5, threat 7).
 * Three modules: the definitions (repart_conf.h), the plan
 * (repart_plan.h, pure) and the disk (repart_apply.h, libfdisk).
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
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "reason.h"

#define REPART_DEFAULT_MIN (UINT64_C(10) << 20)   /* systemd's default SizeMinBytes= */
#define REPART_DEFAULT_WEIGHT 1000
#define REPART_WEIGHT_MAX 1000000
#define REPART_PENDING_PREFIX "pending-"
#define REPART_FILE_MAX 64                         /* file names, with the NUL */
#define REPART_LABEL_CHARS GPT_LABEL_CHARS

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

/*
 * Parses one definition file, @name (its base name, for ordering and
 * messages) with contents @text[0..len).  On error returns -EINVAL and
 * writes "NAME:LINE: reason" to @why.  Pure.
 */
int repart_parse_file(const char *name, const char *text, size_t len, struct repart_def *out,
		      struct reason *why);

/*
 * Checks what no single file can: every X-RampartSizeFrom= names another
 * definition of the same type.  -EINVAL with the reason in @why.  Pure.
 */
int repart_check_defs(const struct repart_def *defs, size_t n, struct reason *why);

/*
 * Reads @dir/[any].conf in file-name order into @defs (at most @max) and
 * checks them (repart_check_defs).  -EINVAL for a bad file, -E2BIG for
 * more than @max, -ENOENT without the directory; @why says which file and
 * what is wrong.
 */
int repart_load_dir(const char *dir, struct repart_def *defs, size_t max, size_t *n, struct reason *why);

/* The definition loaded from @file (its base name), or NULL. */
const struct repart_def *repart_def_by_file(const struct repart_def *defs, size_t n, const char *file);

/* Whether @label may be written as a GPT label by rampart: printable ASCII, 1..36 characters. */
bool repart_label_ok(const char *label);

/* The final label of a pending label ("pending-var" -> "var"), or NULL if @label is not pending. */
const char *repart_pending_final(const char *label);

/* Whether partitions of @role are created pending (formatted later by open-storage). */
bool repart_role_formatted(enum part_role role);

#endif
