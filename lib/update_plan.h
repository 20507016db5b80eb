/* SPDX-License-Identifier: MIT */
/*
 * Where `rampart update` writes a new version, and what it calls it: the
 * decisions of the update writer (init/tool_update.c), apart from its
 * I/O.  Pure.
 */
#ifndef RAMPART_UPDATE_PLAN_H
#define RAMPART_UPDATE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "reason.h"
#include "slots.h"

struct update_target {
	const struct partition *root, *verity, *sig;
	char replaces[GPT_LABEL_MAX]; /* the label of the slot written over; "" for the "_empty" set */
	struct slot booted;           /* the running OS's slot, which stays */
};

/*
 * Chooses the slot an update goes to, among the partitions of one disk
 * (@parts, @n; its signature partitions @sigs, @n_sigs, paired as
 * lib/slots.h says), the running OS having booted from root partition
 * @booted_root (its number): the placeholder set labelled "_empty" (one
 * root, root-verity and root-verity-sig partition each), else the oldest
 * complete slot that is not the booted one.  Never the booted slot.
 * Returns 0, or with @why set: -ENOENT (no booted slot with that root, or
 * nowhere to write), -ENOTUNIQ (more than one partition of a role is
 * labelled "_empty").
 */
int update_choose_target(const struct partition *parts, size_t n, const struct slot_sig *sigs, size_t n_sigs,
			 int booted_root, struct update_target *out, struct reason *why);

/*
 * Whether the new slot's root and verity UUIDs (from its root hash) are
 * free on the disk: a partition outside the target that already has one
 * is the same version installed (or a clone of its hash), and two
 * partitions with one UUID would make both slots ambiguous, so neither
 * would boot.  0, or -EEXIST with @why.
 */
int update_check_uuids(const struct partition *parts, size_t n, const struct update_target *t,
		       const char *root_uuid, const char *verity_uuid, struct reason *why);

/* Whether payloads of these sizes fit the target's partitions: 0 or -EFBIG with @why. */
int update_check_sizes(const struct update_target *t, uint64_t root, uint64_t verity, uint64_t sig,
		       struct reason *why);

/*
 * The labels of the new slot, in the booted slot's convention: its root
 * label's NAME and @version ("rampart_1.0" + "2.0" -> "rampart_2.0";
 * mkosi's "img_1.0_root" -> "img_2.0_root"), and its verity and
 * signature labels with the same NAME_VERSION replaced ("img_1.0_verity"
 * -> "img_2.0_verity"; a label equal to the root's stays equal).
 * -EINVAL with @why for a version with '_' or outside printable ASCII, a
 * booted root label without NAME_VERSION, or a label longer than GPT
 * allows.
 */
struct update_labels {
	char root[GPT_LABEL_MAX], verity[GPT_LABEL_MAX], sig[GPT_LABEL_MAX];
};

int update_labels(const struct slot *booted, const char *version, struct update_labels *out, struct reason *why);

#endif
