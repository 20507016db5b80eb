/* SPDX-License-Identifier: MIT */
/*
 * Slot collection and boot disk choice from any partition table (labels,
 * types, UUIDs, duplicates, other disks) and any claims its signature
 * documents make: a slot is always a signature of the boot disk with the
 * one root and the one verity partition its root hash names, nothing in
 * it is a placeholder, no partition serves two slots, every signature
 * that unambiguously names a root and a verity partition makes a slot,
 * the order is newest first, and the boot disk is only ever the one
 * unambiguous ESP.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fuzz_input.h"
#include "gpt.h"
#include "slots.h"

#define PARTS_MAX 24

static const char *const disks[] = { "/dev/vda", "/dev/vdb", "/dev/nvme0n1" };
/* Labels the fuzzer combines: real ones, placeholders, near misses. */
static const char *const labels[] = { "rampart_1.0", "rampart_2.0", "rampart_10.0", "rampart_1.0a",
				      "_empty", "rampart", "a_b_3", "", "zz_0.9", "rampart_2.0",
				      "img_2.0_root", "img_2.0_verity", "root-x86-64", "img_1.0_verity_sig" };

static void skipped(void *userdata, enum slot_skip kind, const struct partition *p, const char *why)
{
	fuzz_assert(p && why && *why && kind <= SLOT_SKIP_TOO_MANY);
	(void)userdata;
}

/* UUIDs from a small space of root hashes, so pairs, duplicates and clones happen. */
static void small_uuid(struct fuzz_input *in, char out[37])
{
	uint8_t pick = take_u8(in);

	snprintf(out, 37, "%08x-0000-4000-8000-00000000000%c", (pick & 0x3f) % 6, pick & 0x80 ? 'A' : pick & 0x40 ? 'a' : 'b');
}

static void make_partition(struct fuzz_input *in, struct partition *p, int index)
{
	uint8_t pick = take_u8(in);
	const char *disk = disks[pick % 3];

	memset(p, 0, sizeof(*p));
	snprintf(p->disk, sizeof(p->disk), "%s", disk);
	p->number = index + 1;
	snprintf(p->devnode, sizeof(p->devnode), "%s%s%d", disk, pick & 4 ? "p" : "", p->number);
	p->role = (enum part_role)(take_u8(in) % ROLE__COUNT);
	snprintf(p->type, sizeof(p->type), "%s", gpt_type_of_role(p->role));
	small_uuid(in, p->uuid);
	if (take_u8(in) & 1)
		snprintf(p->label, sizeof(p->label), "%s", labels[take_u8(in) % (sizeof(labels) / sizeof(*labels))]);
	else
		take_str(in, p->label, sizeof(p->label) < 40 ? sizeof(p->label) : 40);
	p->start = take_u64(in, 2) << 20;
	p->size = take_u64(in, 2) << 20;
	p->attrs = take_u64(in, 8);
}

static int compare_newest_first(const struct slot *a, const struct slot *b)
{
	char ba[GPT_LABEL_MAX], bb[GPT_LABEL_MAX];
	int c = strverscmp(slot_label_version(a->label, ba), slot_label_version(b->label, bb));

	if (!c)
		c = strcmp(a->label, b->label);
	return c ? c : b->root->number - a->root->number;
}

static bool is_placeholder(const struct partition *p)
{
	return !strcmp(p->label, GPT_EMPTY_LABEL);
}

/* How many partitions of @role on the boot disk have @uuid; *@one is the last. */
static size_t count_uuid(const struct partition *parts, size_t n, enum part_role role, const char *uuid,
			 const struct partition **one)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (parts[i].role == role && !strcmp(parts[i].disk, disks[0]) && !strcasecmp(parts[i].uuid, uuid)) {
			c++;
			*one = &parts[i];
		}
	return c;
}

/* Whether signature @k, by the specification, makes exactly one slot. */
static bool makes_a_slot(const struct partition *parts, size_t n, const struct slot_sig *sigs, size_t n_sigs,
			 size_t k)
{
	const struct slot_sig *g = &sigs[k];
	const struct partition *root = NULL, *verity = NULL;

	if (strcmp(g->part->disk, disks[0]) != 0 || is_placeholder(g->part) || !g->root_uuid[0])
		return false;
	for (size_t j = 0; j < n_sigs; j++)
		if (j != k && !strcmp(sigs[j].part->disk, disks[0]) && sigs[j].root_uuid[0] && !is_placeholder(sigs[j].part) &&
		    (!strcasecmp(sigs[j].root_uuid, g->root_uuid) || !strcasecmp(sigs[j].verity_uuid, g->verity_uuid)))
			return false;
	return count_uuid(parts, n, ROLE_ROOT, g->root_uuid, &root) == 1 && !is_placeholder(root) &&
	       count_uuid(parts, n, ROLE_ROOT_VERITY, g->verity_uuid, &verity) == 1 && !is_placeholder(verity);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct partition parts[PARTS_MAX];
	struct slot_sig sigs[PARTS_MAX];
	struct slot slots[SLOTS_MAX];
	size_t n = take_u8(&in) % (PARTS_MAX + 1), n_slots, n_sigs = 0, expected = 0;
	char esp_uuid[37];
	int disk;

	for (size_t i = 0; i < n; i++)
		make_partition(&in, &parts[i], (int)i);
	/* What each signature partition's document names: a root hash, or nothing (unreadable). */
	for (size_t i = 0; i < n; i++) {
		if (parts[i].role != ROLE_ROOT_VERITY_SIG)
			continue;
		memset(&sigs[n_sigs], 0, sizeof(sigs[n_sigs]));
		sigs[n_sigs].part = &parts[i];
		sigs[n_sigs].doc = (const struct root_signature *)&sigs[n_sigs]; /* a token: handed on untouched */
		if (take_u8(&in) % 4) {
			char id[37];

			small_uuid(&in, id);
			snprintf(sigs[n_sigs].root_uuid, 37, "%.35sa", id);
			snprintf(sigs[n_sigs].verity_uuid, 37, "%.35sb", id);
			if (take_u8(&in) % 8 == 0) /* a near miss: the halves of two hashes */
				small_uuid(&in, sigs[n_sigs].verity_uuid);
		}
		n_sigs++;
	}

	small_uuid(&in, esp_uuid);
	disk = boot_disk_find(parts, n, esp_uuid);
	if (disk >= 0) {
		size_t same = 0;

		fuzz_assert((size_t)disk < n && parts[disk].role == ROLE_ESP);
		fuzz_assert(!strcasecmp(parts[disk].uuid, esp_uuid));
		for (size_t i = 0; i < n; i++)
			same += !strcasecmp(parts[i].uuid, esp_uuid);
		fuzz_assert(same == 1);
	}

	n_slots = slots_collect(parts, n, disks[0], sigs, n_sigs, slots, SLOTS_MAX, skipped, NULL);
	fuzz_assert(n_slots <= SLOTS_MAX);
	for (size_t i = 0; i < n_slots; i++) {
		const struct slot *s = &slots[i];
		const struct partition *members[] = { s->root, s->verity, s->sig };
		const enum part_role roles[] = { ROLE_ROOT, ROLE_ROOT_VERITY, ROLE_ROOT_VERITY_SIG };
		const struct slot_sig *g = (const struct slot_sig *)s->doc;

		fuzz_assert(g >= sigs && g < sigs + n_sigs && g->part == s->sig);
		fuzz_assert(makes_a_slot(parts, n, sigs, n_sigs, (size_t)(g - sigs)));
		fuzz_assert(!strcasecmp(s->root->uuid, g->root_uuid) && !strcasecmp(s->verity->uuid, g->verity_uuid));
		fuzz_assert(!strcmp(s->label, s->root->label));
		for (size_t m = 0; m < 3; m++) {
			fuzz_assert(members[m] >= parts && members[m] < parts + n);
			fuzz_assert(members[m]->role == roles[m]);
			fuzz_assert(!strcmp(members[m]->disk, disks[0]));
			fuzz_assert(!is_placeholder(members[m]));
			for (size_t j = 0; j < i; j++)
				fuzz_assert(members[m] != slots[j].root && members[m] != slots[j].verity &&
					    members[m] != slots[j].sig);
		}
		if (i > 0)
			fuzz_assert(compare_newest_first(&slots[i - 1], s) > 0);
	}
	/* And every signature that names its partitions unambiguously is a slot. */
	for (size_t k = 0; k < n_sigs; k++)
		expected += makes_a_slot(parts, n, sigs, n_sigs, k);
	fuzz_assert(n_slots == (expected < SLOTS_MAX ? expected : SLOTS_MAX));

	n = partitions_drop_disk(parts, n, disks[1]);
	for (size_t i = 0; i < n; i++)
		fuzz_assert(strcmp(parts[i].disk, disks[1]) != 0);
	return 0;
}
