/* SPDX-License-Identifier: MIT */
#include "update_plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "slots.h"
#include "util.h"

static int empty_set(const struct partition *parts, size_t n, struct update_target *out, struct reason *why)
{
	const struct partition **member[] = { &out->root, &out->verity, &out->sig };
	static const enum part_role roles[] = { ROLE_ROOT, ROLE_ROOT_VERITY, ROLE_ROOT_VERITY_SIG };

	for (size_t r = 0; r < ARRAY_SIZE(roles); r++) {
		*member[r] = NULL;
		for (size_t i = 0; i < n; i++) {
			if (parts[i].role != roles[r] || strcmp(parts[i].label, GPT_EMPTY_LABEL) != 0)
				continue;
			if (*member[r])
				return reason_set(why, -ENOTUNIQ, "more than one %s partition is labelled \"%s\"",
						  gpt_role_name(roles[r]), GPT_EMPTY_LABEL);
			*member[r] = &parts[i];
		}
	}
	return out->root && out->verity && out->sig ? 0 : -ENOENT;
}

int update_choose_target(const struct partition *parts, size_t n, const struct slot_sig *sigs, size_t n_sigs,
			 int booted_root, struct update_target *out, struct reason *why)
{
	struct slot slots[SLOTS_MAX];
	size_t n_slots;
	int r, booted = -1;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return reason_set(why, -ENOENT, "no partitions");
	n_slots = slots_collect(parts, n, parts[0].disk, sigs, n_sigs, slots, SLOTS_MAX, NULL, NULL);
	for (size_t i = 0; i < n_slots; i++)
		if (slots[i].root->number == booted_root)
			booted = (int)i;
	if (booted < 0)
		return reason_set(why, -ENOENT, "partition %d is not the root of a complete slot", booted_root);
	out->booted = slots[booted];

	r = empty_set(parts, n, out, why);
	if (r != -ENOENT)
		return r;
	/* Newest first: the last one that is not the booted slot is the oldest. */
	for (size_t i = n_slots; i-- > 0;) {
		if ((int)i == booted)
			continue;
		out->root = slots[i].root;
		out->verity = slots[i].verity;
		out->sig = slots[i].sig;
		snprintf(out->replaces, sizeof(out->replaces), "%s", slots[i].label);
		return 0;
	}
	return reason_set(why, -ENOENT, "no \"%s\" slot and no other slot to write over", GPT_EMPTY_LABEL);
}

int update_check_sizes(const struct update_target *t, uint64_t root, uint64_t verity, uint64_t sig,
		       struct reason *why)
{
	const struct {
		const char *what;
		uint64_t size;
		const struct partition *p;
	} c[] = { { "root", root, t->root }, { "verity", verity, t->verity }, { "signature", sig, t->sig } };

	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		if (c[i].size == 0 || c[i].size > c[i].p->size)
			return reason_set(why, -EFBIG, "the %s image (%llu bytes) does not fit partition %d (%llu bytes)",
					  c[i].what, (unsigned long long)c[i].size, c[i].p->number,
					  (unsigned long long)c[i].p->size);
	return 0;
}

int update_check_uuids(const struct partition *parts, size_t n, const struct update_target *t,
		       const char *root_uuid, const char *verity_uuid, struct reason *why)
{
	for (size_t i = 0; i < n; i++) {
		const struct partition *p = &parts[i];

		if (p == t->root || p == t->verity || p == t->sig || strcmp(p->disk, t->root->disk) != 0)
			continue;
		if (!strcasecmp(p->uuid, root_uuid) || !strcasecmp(p->uuid, verity_uuid))
			return reason_set(why, -EEXIST,
					  "partition %d (\"%s\") already has UUID %s: this root hash is installed",
					  p->number, p->label, p->uuid);
	}
	return 0;
}

/* @label with its leading @old_base replaced by @new_base; @label itself becomes @new_root. */
static int relabel(const char *label, const char *booted_root, const char *old_base, const char *new_base,
		   const char *new_root, char out[GPT_LABEL_MAX], struct reason *why)
{
	size_t old_len = strlen(old_base);

	if (!strcmp(label, booted_root))
		snprintf(out, GPT_LABEL_MAX, "%s", new_root);
	else if (!strncmp(label, old_base, old_len) && (label[old_len] == '_' || !label[old_len])) {
		if (strlen(new_base) + strlen(label + old_len) > GPT_LABEL_CHARS)
			return reason_set(why, -EINVAL, "\"%s%s\" is longer than a GPT label may be", new_base,
					  label + old_len);
		snprintf(out, GPT_LABEL_MAX, "%s%s", new_base, label + old_len);
	} else
		snprintf(out, GPT_LABEL_MAX, "%s", new_root);
	return 0;
}

int update_labels(const struct slot *booted, const char *version, struct update_labels *out, struct reason *why)
{
	char base[GPT_LABEL_MAX], new_base[GPT_LABEL_MAX];
	const char *old_version = slot_label_version(booted->label, base);
	size_t name_len, base_len = strlen(base);
	int r;

	if (!old_version[0])
		return reason_set(why, -EINVAL, "the booted slot's label \"%s\" is not NAME_VERSION", booted->label);
	if (!version[0])
		return reason_set(why, -EINVAL, "the new image has no IMAGE_VERSION");
	for (const char *p = version; *p; p++)
		if (*p == '_' || *p <= ' ' || *p > '~')
			return reason_set(why, -EINVAL, "the version \"%s\" has '_' or a character outside printable ASCII",
					  version);
	name_len = (size_t)(old_version - base) - 1;
	if (name_len + 1 + strlen(version) + strlen(booted->label + base_len) > GPT_LABEL_CHARS)
		return reason_set(why, -EINVAL, "\"%.*s_%s%s\" is longer than a GPT label may be", (int)name_len, base,
				  version, booted->label + base_len);
	snprintf(new_base, sizeof(new_base), "%.*s_%s", (int)name_len, base, version);
	snprintf(out->root, sizeof(out->root), "%s%s", new_base, booted->label + base_len);
	r = relabel(booted->verity->label, booted->label, base, new_base, out->root, out->verity, why);
	if (r >= 0)
		r = relabel(booted->sig->label, booted->label, base, new_base, out->root, out->sig, why);
	return r;
}
