/* SPDX-License-Identifier: MIT */
#include "slots.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define MKOSI_ROOT_SUFFIX "_root"

const char *slot_label_version(const char *label, char buf[GPT_LABEL_MAX])
{
	size_t len = strnlen(label, GPT_LABEL_MAX - 1);
	const char *us;

	if (len > strlen(MKOSI_ROOT_SUFFIX) && !strcmp(label + len - strlen(MKOSI_ROOT_SUFFIX), MKOSI_ROOT_SUFFIX))
		len -= strlen(MKOSI_ROOT_SUFFIX);
	snprintf(buf, GPT_LABEL_MAX, "%.*s", (int)len, label);
	us = strrchr(buf, '_');
	return us && us != buf ? us + 1 : "";
}

/* By claimed version, then by the whole label, then the lower partition number. */
static int newest_first(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	char bx[GPT_LABEL_MAX], by[GPT_LABEL_MAX];
	int c = strverscmp(slot_label_version(y->label, by), slot_label_version(x->label, bx));

	if (!c)
		c = strverscmp(y->label, x->label);
	return c ? c : x->root->number - y->root->number;
}

static bool is_placeholder(const struct partition *p)
{
	return !strcmp(p->label, GPT_EMPTY_LABEL);
}

/*
 * The one partition of @role on @disk with @uuid: NULL and @why set when
 * there is none or more than one.
 */
static const struct partition *find_member(const struct partition *parts, size_t n, const char *disk,
					   enum part_role role, const char *uuid, enum slot_skip *kind, char *why,
					   size_t why_size)
{
	const struct partition *found = NULL;

	for (size_t i = 0; i < n; i++) {
		if (parts[i].role != role || strcmp(parts[i].disk, disk) != 0 || strcasecmp(parts[i].uuid, uuid) != 0)
			continue;
		if (found) {
			*kind = SLOT_SKIP_AMBIGUOUS;
			snprintf(why, why_size, "two %s partitions have UUID %s: ambiguous", gpt_role_name(role), uuid);
			return NULL;
		}
		found = &parts[i];
	}
	*kind = SLOT_SKIP_UNPAIRED;
	if (!found)
		snprintf(why, why_size, "no %s partition has UUID %s, the %s 128 bits of its root hash",
			 gpt_role_name(role), uuid, role == ROLE_ROOT ? "first" : "last");
	else if (is_placeholder(found))
		snprintf(why, why_size, "its %s partition is an empty placeholder (an update in progress?)",
			 gpt_role_name(role));
	return found && !is_placeholder(found) ? found : NULL;
}

/* Whether another readable signature of @disk names the same root or verity partition. */
static bool named_twice(const struct slot_sig *sigs, size_t n_sigs, size_t k, const char *disk)
{
	for (size_t j = 0; j < n_sigs; j++) {
		if (j == k || !sigs[j].root_uuid[0] || strcmp(sigs[j].part->disk, disk) != 0 ||
		    is_placeholder(sigs[j].part))
			continue;
		if (!strcasecmp(sigs[j].root_uuid, sigs[k].root_uuid) ||
		    !strcasecmp(sigs[j].verity_uuid, sigs[k].verity_uuid))
			return true;
	}
	return false;
}

/* Adds @s to @out (at most @max, keeping the newest); returns the new count. */
static size_t keep_newest(struct slot *out, size_t count, size_t max, const struct slot *s, slot_skip_fn skip,
			  void *userdata)
{
	if (count < max) {
		out[count] = *s;
		return count + 1;
	}
	/* Full: the oldest kept one makes room if this is newer. */
	qsort(out, count, sizeof(*out), newest_first);
	if (max && newest_first(s, &out[max - 1]) < 0) {
		if (skip)
			skip(userdata, SLOT_SKIP_TOO_MANY, out[max - 1].root, "too many slots");
		out[max - 1] = *s;
	} else if (skip) {
		skip(userdata, SLOT_SKIP_TOO_MANY, s->root, "too many slots");
	}
	return count;
}

/* Root partitions of @disk that no signature named are reported, placeholders aside. */
static void report_unnamed_roots(const struct partition *parts, size_t n, const char *disk,
				 const struct slot_sig *sigs, size_t n_sigs, slot_skip_fn skip, void *userdata)
{
	for (size_t i = 0; i < n && skip; i++) {
		bool named = false;

		if (parts[i].role != ROLE_ROOT || strcmp(parts[i].disk, disk) != 0 || is_placeholder(&parts[i]))
			continue;
		for (size_t k = 0; k < n_sigs && !named; k++)
			named = sigs[k].root_uuid[0] && !strcasecmp(sigs[k].root_uuid, parts[i].uuid);
		if (!named)
			skip(userdata, SLOT_SKIP_UNNAMED, &parts[i], "no root-verity-sig partition names this root partition's UUID");
	}
}

size_t slots_collect(const struct partition *parts, size_t n, const char *disk, const struct slot_sig *sigs,
		     size_t n_sigs, struct slot *out, size_t max, slot_skip_fn skip, void *userdata)
{
	size_t count = 0;

	for (size_t k = 0; k < n_sigs; k++) {
		const struct slot_sig *g = &sigs[k];
		struct slot s = { .sig = g->part, .doc = g->doc };
		enum slot_skip kind = SLOT_SKIP_AMBIGUOUS;
		char why[160] = "";

		if (g->part->role != ROLE_ROOT_VERITY_SIG || strcmp(g->part->disk, disk) != 0)
			continue;
		if (is_placeholder(g->part)) {
			/* Not read: it may hold anything, an old slot's document or nothing. */
			kind = SLOT_SKIP_PLACEHOLDER;
			snprintf(why, sizeof(why), "empty placeholder slot");
		} else if (!g->root_uuid[0]) {
			continue; /* unreadable: the reader's caller said why */
		} else if (named_twice(sigs, n_sigs, k, disk)) {
			snprintf(why, sizeof(why), "another root-verity-sig partition names the same root or verity "
						   "partition: ambiguous");
		} else {
			s.root = find_member(parts, n, disk, ROLE_ROOT, g->root_uuid, &kind, why,
					    sizeof(why));
			if (s.root)
				s.verity = find_member(parts, n, disk, ROLE_ROOT_VERITY, g->verity_uuid, &kind,
						       why, sizeof(why));
		}
		if (!s.root || !s.verity) {
			if (skip)
				skip(userdata, kind, g->part, why);
			continue;
		}
		snprintf(s.label, sizeof(s.label), "%s", s.root->label);
		count = keep_newest(out, count, max, &s, skip, userdata);
	}
	report_unnamed_roots(parts, n, disk, sigs, n_sigs, skip, userdata);
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
