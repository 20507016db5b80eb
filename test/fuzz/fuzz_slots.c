/* SPDX-License-Identifier: MIT */
/*
 * Slot collection and boot disk choice from any partition table (labels,
 * types, UUIDs, duplicates, other disks): a slot is always three
 * partitions of the boot disk in their roles under one label, no
 * partition serves two slots, placeholders never boot, the order is
 * newest first, and the boot disk is only ever the one unambiguous ESP.
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
				      "_empty", "rampart", "a_b_3", "", "zz_0.9", "rampart_2.0" };

static void skipped(void *userdata, const char *label, const char *why)
{
	fuzz_assert(label && why && *why);
	(void)userdata;
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
	/* UUIDs from a small space, so duplicates (clones) happen. */
	snprintf(p->uuid, sizeof(p->uuid), "%08x-0000-4000-8000-%012x", take_u8(in) % 6, index);
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
	int c = strverscmp(slot_label_version(a->label), slot_label_version(b->label));

	return c ? c : strcmp(a->label, b->label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct partition parts[PARTS_MAX];
	struct slot slots[SLOTS_MAX];
	size_t n = take_u8(&in) % (PARTS_MAX + 1), n_slots;
	char esp_uuid[37];
	int disk;

	for (size_t i = 0; i < n; i++)
		make_partition(&in, &parts[i], (int)i);

	snprintf(esp_uuid, sizeof(esp_uuid), "%08x-0000-4000-8000-%012x", take_u8(&in) % 6, take_u8(&in) % 24);
	disk = boot_disk_find(parts, n, esp_uuid);
	if (disk >= 0) {
		size_t same = 0;

		fuzz_assert((size_t)disk < n && parts[disk].role == ROLE_ESP);
		fuzz_assert(!strcasecmp(parts[disk].uuid, esp_uuid));
		for (size_t i = 0; i < n; i++)
			same += !strcasecmp(parts[i].uuid, esp_uuid);
		fuzz_assert(same == 1);
	}

	n_slots = slots_collect(parts, n, disks[0], slots, SLOTS_MAX, skipped, NULL);
	fuzz_assert(n_slots <= SLOTS_MAX);
	for (size_t i = 0; i < n_slots; i++) {
		const struct slot *s = &slots[i];
		const struct partition *members[] = { s->root, s->verity, s->sig };
		const enum part_role roles[] = { ROLE_ROOT, ROLE_ROOT_VERITY, ROLE_ROOT_VERITY_SIG };

		fuzz_assert(strcmp(s->label, GPT_EMPTY_LABEL) != 0);
		for (size_t m = 0; m < 3; m++) {
			fuzz_assert(members[m] >= parts && members[m] < parts + n);
			fuzz_assert(members[m]->role == roles[m]);
			fuzz_assert(!strcmp(members[m]->disk, disks[0]));
			fuzz_assert(!strcmp(members[m]->label, s->label));
			for (size_t j = 0; j < i; j++)
				fuzz_assert(members[m] != slots[j].root && members[m] != slots[j].verity &&
					    members[m] != slots[j].sig);
		}
		if (i > 0)
			fuzz_assert(compare_newest_first(&slots[i - 1], s) > 0);
	}

	n = partitions_drop_disk(parts, n, disks[1]);
	for (size_t i = 0; i < n; i++)
		fuzz_assert(strcmp(parts[i].disk, disks[1]) != 0);
	return 0;
}
