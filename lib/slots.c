/* SPDX-License-Identifier: MIT */
#include "slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

const char *slot_label_version(const char *label)
{
	const char *us = strrchr(label, '_');

	return us && us != label ? us + 1 : "";
}

/* By version (the label's part after its last '_'), then by the whole label. */
static int newest_first(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	int c = strverscmp(slot_label_version(y->label), slot_label_version(x->label));

	return c ? c : strverscmp(y->label, x->label);
}

static int is_slot_member(enum part_role role)
{
	return role == ROLE_ROOT || role == ROLE_ROOT_VERITY || role == ROLE_ROOT_VERITY_SIG;
}

size_t slots_collect(const struct partition *parts, size_t n, const char *disk,
		     struct slot *out, size_t max, slot_skip_fn skip, void *userdata)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct partition *p = &parts[i];
		struct slot s = { .root = NULL };
		int duplicate = 0, seen_before = 0;

		if (!is_slot_member(p->role) || strcmp(p->disk, disk) != 0)
			continue;
		/* Each label is handled once, at its first member. */
		for (size_t j = 0; j < i && !seen_before; j++)
			seen_before = is_slot_member(parts[j].role) && !strcmp(parts[j].disk, disk) &&
				      !strcmp(parts[j].label, p->label);
		if (seen_before)
			continue;

		snprintf(s.label, sizeof(s.label), "%s", p->label);
		for (size_t j = i; j < n; j++) {
			const struct partition *q = &parts[j];
			const struct partition **member;

			if (strcmp(q->disk, disk) != 0 || strcmp(q->label, p->label) != 0)
				continue;
			switch (q->role) {
			case ROLE_ROOT:
				member = &s.root;
				break;
			case ROLE_ROOT_VERITY:
				member = &s.verity;
				break;
			case ROLE_ROOT_VERITY_SIG:
				member = &s.sig;
				break;
			default:
				continue;
			}
			if (*member)
				duplicate = 1;
			*member = q;
		}

		if (!strcmp(s.label, GPT_EMPTY_LABEL)) {
			if (skip)
				skip(userdata, s.label, "empty placeholder slot");
		} else if (!s.label[0]) {
			if (skip)
				skip(userdata, s.label, "root partitions without a label cannot be paired");
		} else if (duplicate) {
			if (skip)
				skip(userdata, s.label, "two partitions of one role share this label: ambiguous");
		} else if (!s.root || !s.verity || !s.sig) {
			if (skip)
				skip(userdata, s.label,
				     !s.root ? "no root partition" : !s.verity ? "no root-verity partition"
									 : "no root-verity-sig partition");
		} else if (count == max) {
			/* Full: keep the newest; the oldest kept one makes room if this is newer. */
			qsort(out, count, sizeof(*out), newest_first);
			if (max && newest_first(&s, &out[max - 1]) < 0) {
				if (skip)
					skip(userdata, out[max - 1].label, "too many slots");
				out[max - 1] = s;
			} else if (skip) {
				skip(userdata, s.label, "too many slots");
			}
		} else {
			out[count++] = s;
		}
	}
	qsort(out, count, sizeof(*out), newest_first);
	return count;
}

size_t partitions_drop_disk(struct partition *parts, size_t n, const char *disk)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(parts[i].disk, disk) != 0)
			parts[kept++] = parts[i];
	return kept;
}

int boot_disk_find(const struct partition *parts, size_t n, const char *esp_uuid)
{
	int found = -ENOENT;

	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(parts[i].uuid, esp_uuid) != 0)
			continue;
		if (found >= 0)
			return -ENOTUNIQ;
		found = (int)i;
	}
	if (found >= 0 && parts[found].role != ROLE_ESP)
		return -EMEDIUMTYPE;
	return found;
}
