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

struct update_target {
	const struct partition *root, *verity, *sig;
	char replaces[GPT_LABEL_MAX]; /* the label of the slot written over; "" for the "_empty" set */
};

/*
 * Chooses the slot an update goes to, among the partitions of one disk
 * (@parts, @n), the running OS having booted from root partition
 * @booted_root (its number): the placeholder set labelled "_empty" (one
 * root, root-verity and root-verity-sig partition each), else the oldest
 * complete slot that is not the booted one.  Never the booted slot.
 * Returns 0, or with @why set: -ENOENT (no booted slot with that root, or
 * nowhere to write), -ENOTUNIQ (more than one partition of a role is
 * labelled "_empty").
 */
int update_choose_target(const struct partition *parts, size_t n, int booted_root, struct update_target *out,
			 struct reason *why);

/* Whether payloads of these sizes fit the target's partitions: 0 or -EFBIG with @why. */
int update_check_sizes(const struct update_target *t, uint64_t root, uint64_t verity, uint64_t sig,
		       struct reason *why);

/*
 * The label of the new slot: the booted slot's NAME (its label before the
 * last '_') and @version: "rampart_1.0" + "2.0" -> "rampart_2.0".
 * -EINVAL with @why for a version with '_' or outside printable ASCII, a
 * booted label without NAME_, or a label longer than GPT allows.
 */
int update_label(const char *booted_label, const char *version, char out[GPT_LABEL_MAX], struct reason *why);

#endif
