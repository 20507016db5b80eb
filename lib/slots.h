/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_SLOTS_H
#define RAMPART_SLOTS_H

#include <stddef.h>

#include "gpt.h"

/* A root slot: the root, its verity hash tree and its signature, one GPT label. */
struct slot {
	char label[GPT_LABEL_MAX];
	const struct partition *root, *verity, *sig;
};

/* Called for each candidate that is not a usable slot, with the reason. */
typedef void (*slot_skip_fn)(void *userdata, const char *label, const char *why);

#define SLOTS_MAX 16

/*
 * The version a slot's label claims, systemd-sysupdate's NAME_VERSION
 * convention: the text after the last '_' ("rampart_2.0" -> "2.0"; a
 * version has no '_'), "" if there is none.  The claim is checked against
 * the verified root's IMAGE_VERSION before the slot boots.  Pure.
 */
const char *slot_label_version(const char *label);

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
 * Collects the root slots on @disk from @parts: root, root-verity and
 * root-verity-sig partitions that share a GPT label.  Partitions of other
 * disks are never candidates.  Placeholders ("_empty") and labels with a
 * member missing or present twice are skipped (reported through @skip).
 * The result is ordered newest first: by the labels' versions (see
 * slot_label_version()) compared by strverscmp(), then by the whole
 * label, highest first, so a name chosen to sort high does not make an
 * old version look new.  Returns the number of slots written to @out.
 */
size_t slots_collect(const struct partition *parts, size_t n, const char *disk,
		     struct slot *out, size_t max, slot_skip_fn skip, void *userdata);

#endif
