/* SPDX-License-Identifier: MIT */
/*
 * Partition tables for the pairing tests: slots laid out as the
 * Discoverable Partitions Specification pairs them (root and verity UUIDs
 * from a root hash the signature names), with any labels.
 */
#ifndef RAMPART_TEST_SLOT_FIXTURE_H
#define RAMPART_TEST_SLOT_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "slots.h"

struct slot_fixture {
	struct partition parts[64];
	size_t n;
	struct slot_sig sigs[SLOTS_MAX + 8];
	size_t n_sigs;
};

static inline void fixture_reset(struct slot_fixture *f)
{
	memset(f, 0, sizeof(*f));
}

/* The UUIDs of made-up root hash @hash_id: the root's and the verity's halves. */
static inline void fixture_uuids(unsigned hash_id, char root[37], char verity[37])
{
	snprintf(root, 37, "%08x-0000-4000-8000-00000000000a", hash_id);
	snprintf(verity, 37, "%08x-0000-4000-8000-00000000000b", hash_id);
}

static inline struct partition *fixture_add(struct slot_fixture *f, const char *disk, enum part_role role,
					    const char *label, const char *uuid)
{
	struct partition *p = &f->parts[f->n++];

	snprintf(p->disk, sizeof(p->disk), "%s", disk);
	p->number = (int)f->n;
	snprintf(p->devnode, sizeof(p->devnode), "%s%d", disk, p->number);
	p->role = role;
	snprintf(p->label, sizeof(p->label), "%s", label);
	snprintf(p->uuid, sizeof(p->uuid), "%s", uuid);
	p->size = 4 << 20;
	return p;
}

/* A signature partition whose document names root hash @hash_id (0: unreadable). */
static inline void fixture_add_sig(struct slot_fixture *f, const char *disk, const char *label, unsigned hash_id)
{
	struct slot_sig *g = &f->sigs[f->n_sigs++];
	char uuid[37];

	snprintf(uuid, sizeof(uuid), "5160a000-0000-4000-8000-%012zx", f->n);
	g->part = fixture_add(f, disk, ROLE_ROOT_VERITY_SIG, label, uuid);
	if (hash_id)
		fixture_uuids(hash_id, g->root_uuid, g->verity_uuid);
}

/* A complete slot with root hash @hash_id, its three partitions labelled as given. */
static inline void fixture_add_slot3(struct slot_fixture *f, const char *disk, const char *root_label,
				     const char *verity_label, const char *sig_label, unsigned hash_id)
{
	char root[37], verity[37];

	fixture_uuids(hash_id, root, verity);
	fixture_add(f, disk, ROLE_ROOT, root_label, root);
	fixture_add(f, disk, ROLE_ROOT_VERITY, verity_label, verity);
	fixture_add_sig(f, disk, sig_label, hash_id);
}

/* rampart's own layout (tools/mkdisk.sh): one label on all three. */
static inline void fixture_add_slot(struct slot_fixture *f, const char *disk, const char *label, unsigned hash_id)
{
	fixture_add_slot3(f, disk, label, label, label, hash_id);
}

#endif
