/* SPDX-License-Identifier: MIT */
/*
 * repart.d files and the first-boot planner: definitions the parser takes
 * are within its documented limits, and a plan over any existing layout
 * never leaves the usable area, never overlaps an existing partition or
 * another new one, and never reuses a partition number.
 *
 * Input: a count of files, each a length and its text; then the disk
 * (size, sector size, table entries) and its existing partitions.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_input.h"
#include "repart_conf.h"
#include "repart_plan.h"

#define DEFS_MAX 8
#define EXISTING_MAX 12
#define NEW_MAX 16

static void check_def(const struct repart_def *d)
{
	fuzz_assert(repart_label_ok(d->label));
	fuzz_assert(!repart_pending_final(d->label));
	fuzz_assert(d->weight <= REPART_WEIGHT_MAX);
	fuzz_assert(strlen(d->type) == 36);
	if (repart_role_formatted(d->role))
		fuzz_assert(strlen(d->label) <= REPART_LABEL_CHARS - strlen(REPART_PENDING_PREFIX));
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static void check_plan(const struct partition *ex, size_t n_ex, const struct repart_geometry *geo,
		       const struct repart_new *out, size_t n_out)
{
	for (size_t i = 0; i < n_out; i++) {
		const struct repart_new *p = &out[i];
		char pending[GPT_LABEL_MAX];

		fuzz_assert(p->size > 0 && p->start % REPART_ALIGN == 0 && p->size % REPART_ALIGN == 0);
		fuzz_assert(p->start >= geo->first_usable);
		fuzz_assert(p->start + p->size - 1 <= geo->last_usable && p->start + p->size > p->start);
		fuzz_assert(p->number >= 1 && (uint32_t)p->number <= geo->max_partitions);
		fuzz_assert(p->size >= p->def->size_min || p->def->size_from[0]);
		snprintf(pending, sizeof(pending), "%s%s", REPART_PENDING_PREFIX, p->def->label);
		fuzz_assert(!strcmp(p->label, repart_role_formatted(p->def->role) ? pending : p->def->label));
		for (size_t j = 0; j < n_ex; j++) {
			fuzz_assert(!overlap(p->start, p->size, ex[j].start, ex[j].size));
			fuzz_assert(p->number != ex[j].number);
		}
		for (size_t j = 0; j < i; j++) {
			fuzz_assert(!overlap(p->start, p->size, out[j].start, out[j].size));
			fuzz_assert(p->number != out[j].number);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sectors[] = { 512, 4096 };
	struct fuzz_input in = { data, size };
	struct repart_def defs[DEFS_MAX];
	struct partition ex[EXISTING_MAX];
	struct repart_new out[NEW_MAX];
	struct repart_geometry geo = { 0 };
	struct reason why = { "" };
	size_t n_defs = 0, n_files = take_u8(&in) % (DEFS_MAX + 1), n_ex, n_out = 0;
	uint64_t disk_size;
	int r;

	for (size_t i = 0; i < n_files; i++) {
		size_t len = take_u64(&in, 2);
		char name[REPART_FILE_MAX];

		if (len > in.n)
			len = in.n;
		snprintf(name, sizeof(name), "%02zu-def.conf", i * 10);
		r = repart_parse_file(name, (const char *)in.p, len, &defs[n_defs], &why);
		in.p += len;
		in.n -= len;
		if (r < 0) {
			fuzz_assert(r == -EINVAL && why.text[0]);
			continue;
		}
		check_def(&defs[n_defs++]);
	}
	if (repart_check_defs(defs, n_defs, &why) < 0)
		return 0;

	geo.sector_size = sectors[take_u8(&in) & 1];
	disk_size = (take_u64(&in, 3) + 1) * geo.sector_size * 64;
	geo.first_usable = geo.sector_size * (take_u8(&in) & 1 ? 34 : 2048);
	if (disk_size < geo.first_usable + 64 * geo.sector_size)
		disk_size = geo.first_usable + 64 * geo.sector_size;
	geo.last_usable = disk_size - 33 * geo.sector_size - 1;
	geo.max_partitions = take_u8(&in) & 1 ? 128 : 1 + take_u8(&in) % 16;

	n_ex = take_u8(&in) % (EXISTING_MAX + 1);
	for (size_t i = 0; i < n_ex; i++) {
		struct partition *p = &ex[i];
		enum part_role role = (enum part_role)(take_u8(&in) % ROLE__COUNT);

		memset(p, 0, sizeof(*p));
		snprintf(p->disk, sizeof(p->disk), "/dev/vda");
		p->number = 1 + take_u8(&in) % 130;
		snprintf(p->devnode, sizeof(p->devnode), "/dev/vda%d", p->number);
		p->role = role;
		snprintf(p->type, sizeof(p->type), "%s", gpt_type_of_role(role));
		snprintf(p->label, sizeof(p->label), "existing%zu", i);
		p->start = take_u64(&in, 4) * geo.sector_size;
		p->size = (take_u64(&in, 4) + 1) * geo.sector_size;
	}

	r = repart_plan(ex, n_ex, &geo, defs, n_defs, out, NEW_MAX, &n_out, &why);
	if (r < 0) {
		fuzz_assert(why.text[0]);
		return 0;
	}
	fuzz_assert(n_out <= NEW_MAX);
	check_plan(ex, n_ex, &geo, out, n_out);
	return 0;
}
