/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_SLOTS_H
#define RAMPART_SLOTS_H

#include <stddef.h>

#include "gpt.h"

struct root_signature; /* lib/rootsig.h */

/*
 * A root-verity-sig partition and what its document names: the root and
 * verity partitions' UUIDs, the first and last 128 bits of its rootHash
 * (lib/slot_sigs.h reads them).  Unverified: pairing only finds the
 * partitions the signature check is then about.
 */
struct slot_sig {
	const struct partition *part;
	char root_uuid[37], verity_uuid[37]; /* lowercase; "" when the document could not be read */
	const struct root_signature *doc;    /* the parsed document, handed on to the slot */
};

/*
 * A root slot: a root partition, its verity hash tree and its signature,
 * paired as the Discoverable Partitions Specification says (by the root
 * hash), named by the root partition's label.
 */
struct slot {
	char label[GPT_LABEL_MAX];
	const struct partition *root, *verity, *sig;
	const struct root_signature *doc;
};

/* Why a candidate is not a slot. */
enum slot_skip {
	SLOT_SKIP_PLACEHOLDER, /* "_empty": not a slot, nothing wrong */
	SLOT_SKIP_UNPAIRED,    /* a signature names a partition that is not there (or a placeholder) */
	SLOT_SKIP_AMBIGUOUS,   /* two partitions fit one role, or two signatures name one */
	SLOT_SKIP_UNNAMED,     /* a root partition no signature names */
	SLOT_SKIP_TOO_MANY,    /* more than the caller's room, and older than those kept */
};

/*
 * Called for each candidate that is not a usable slot, with the partition
 * it is about: the signature partition, or the root partition for
 * UNNAMED and TOO_MANY.
 */
typedef void (*slot_skip_fn)(void *userdata, enum slot_skip kind, const struct partition *p, const char *why);

#define SLOTS_MAX 16

/*
 * The version a root partition's label claims, systemd-sysupdate's
 * NAME_VERSION convention: the text after the last '_' ("rampart_2.0" ->
 * "2.0"; a version has no '_'), after dropping mkosi's "_root" suffix
 * ("image_2.0_root" -> "2.0"); "" if there is none (systemd-repart's
 * default "root-x86-64").  A claim is checked against the verified root's
 * IMAGE_VERSION before the slot boots; a label without one claims
 * nothing and sorts below every versioned slot.  Writes into @buf
 * (GPT_LABEL_MAX) and returns it.  Pure.
 */
const char *slot_label_version(const char *label, char buf[GPT_LABEL_MAX]);

/*
 * Finds the boot disk: the disk holding the partition whose UUID the
 * firmware stub reported (@esp_uuid, any case).  Returns its index in
 * @parts, -ENOENT if no partition has that UUID (yet), -ENOTUNIQ if more
 * than one has (a cloned disk: refuse rather than guess), -EMEDIUMTYPE if
 * it is not an ESP.  Pure.
 */
int boot_disk_find(const struct partition *parts, size_t n, const char *esp_uuid);

/*
 * Removes the partitions of @disk (a device node: "/dev/sdb") from
 * @parts, keeping the order of the others.  Returns how many are left.
 * Pure.
 */
size_t partitions_drop_disk(struct partition *parts, size_t n, const char *disk);

/*
 * Collects the root slots on @disk: each readable signature partition of
 * @sigs (those of @disk) with the one root and the one root-verity
 * partition of @disk whose UUIDs its root hash names.  Partitions of
 * other disks are never candidates.  Refused, through @skip: a member
 * missing or present twice, two signatures naming one root or verity
 * partition, and placeholders (any member labelled "_empty", as an update
 * in progress leaves its target); a root partition no signature names is
 * reported too.  The slot's label is its root partition's.  The result
 * is ordered newest first: by the versions the labels claim (see
 * slot_label_version()) compared by strverscmp(), then by the whole
 * label, highest first, so a name chosen to sort high does not make an
 * old version look new, then by partition number.  Returns the number
 * of slots written to @out.
 */
size_t slots_collect(const struct partition *parts, size_t n, const char *disk, const struct slot_sig *sigs,
		     size_t n_sigs, struct slot *out, size_t max, slot_skip_fn skip, void *userdata);

#endif
