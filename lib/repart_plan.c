/* SPDX-License-Identifier: MIT */
/* First-boot planning: where the partitions the definitions add go (see repart_plan.h). */
#include "repart_plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reason.h"
#include "util.h"


struct def_state {
	const struct partition *match; /* the existing partition this definition describes */
	uint64_t size;                 /* bytes, for a new partition */
	uint64_t min_u, max_u, extra_u; /* in REPART_ALIGN units */
	bool active;                   /* still growing */
	bool bumped;                   /* got one of the units left over by rounding */
	uint64_t frac;                 /* remainder of its last share, to hand those out */
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static uint64_t mib(uint64_t bytes)
{
	return bytes >> 20;
}

/* The existing partition that is the @k-th (0-based) of @type by partition number. */
static const struct partition *nth_of_type(const struct partition *parts, size_t n, const char *type, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		size_t before = 0;

		if (strcasecmp(parts[i].type, type) != 0)
			continue;
		for (size_t j = 0; j < n; j++)
			before += j != i && !strcasecmp(parts[j].type, type) && parts[j].number < parts[i].number;
		if (before == k)
			return &parts[i];
	}
	return NULL;
}

/*
 * The largest free area: candidates start at the first usable byte and
 * at the end of each partition, if no partition covers that byte, and end
 * at the next partition or the last usable byte.
 */
static void largest_gap(const struct partition *parts, size_t n, const struct repart_geometry *geo,
			uint64_t *gap_start, uint64_t *gap_units)
{
	*gap_start = 0;
	*gap_units = 0;
	for (size_t c = 0; c <= n; c++) {
		uint64_t from = c == n ? geo->first_usable : parts[c].start + parts[c].size;
		uint64_t start, end = geo->last_usable + 1, units;
		bool covered = false;

		for (size_t i = 0; i < n; i++) {
			if (parts[i].start <= from && from < parts[i].start + parts[i].size)
				covered = true;
			if (parts[i].start >= from && parts[i].start < end)
				end = parts[i].start;
		}
		if (covered || from < geo->first_usable || from > UINT64_MAX - REPART_ALIGN)
			continue;
		start = div_up(from, REPART_ALIGN) * REPART_ALIGN;
		if (start >= end)
			continue;
		units = (end - start) / REPART_ALIGN;
		if (units > *gap_units || (units == *gap_units && units && start < *gap_start)) {
			*gap_start = start;
			*gap_units = units;
		}
	}
}

/*
 * Shares @surplus units among the active states by weight: a partition
 * whose share reaches its room gets the room and leaves; when none does,
 * each gets the floor of its share, and the units left over go to the
 * largest fractional parts (ties: definition order).
 */
static void share_by_weight(const struct repart_def *defs, struct def_state *st, size_t n, uint64_t surplus)
{
	for (;;) {
		unsigned __int128 total_w = 0;
		uint64_t given = 0, left;
		bool capped = false;

		for (size_t i = 0; i < n; i++)
			if (st[i].active)
				total_w += defs[i].weight;
		if (!total_w || !surplus)
			return;

		for (size_t i = 0; i < n; i++) {
			uint64_t room;

			if (!st[i].active)
				continue;
			room = st[i].max_u - st[i].min_u - st[i].extra_u;
			if ((unsigned __int128)surplus * defs[i].weight >= (unsigned __int128)room * total_w) {
				st[i].extra_u += room;
				st[i].active = false;
				given += room;
				capped = true;
			}
		}
		if (capped) {
			surplus -= given;
			continue;
		}

		for (size_t i = 0; i < n; i++) {
			unsigned __int128 x;

			if (!st[i].active)
				continue;
			x = (unsigned __int128)surplus * defs[i].weight;
			st[i].extra_u += (uint64_t)(x / total_w);
			st[i].frac = (uint64_t)(x % total_w);
			given += (uint64_t)(x / total_w);
		}
		for (left = surplus - given; left > 0; left--) {
			size_t best = n;

			for (size_t i = 0; i < n; i++)
				if (st[i].active && !st[i].bumped && (best == n || st[i].frac > st[best].frac))
					best = i;
			if (best == n)
				break;
			st[best].extra_u++;
			st[best].bumped = true;
		}
		return;
	}
}

static bool overlaps(uint64_t a_start, uint64_t a_size, uint64_t b_start, uint64_t b_size)
{
	return a_start < b_start + b_size && b_start < a_start + a_size;
}

int repart_plan(const struct partition *existing, size_t n_existing, const struct repart_geometry *geo,
		const struct repart_def *defs, size_t n_defs, struct repart_new *out, size_t max,
		size_t *n_out, struct reason *why)
{
	_cleanup_free_ struct def_state *st = NULL;
	uint64_t gap_start, gap_units, need_u = 0, pos;
	size_t n_new = 0, k = 0;
	int highest = 0, r;

	*n_out = 0;
	if (why)
		why->text[0] = '\0';
	r = repart_check_defs(defs, n_defs, why);
	if (r < 0)
		return r;
	if (!geo->sector_size || (geo->sector_size & (geo->sector_size - 1)) || geo->sector_size > REPART_ALIGN ||
	    geo->first_usable > geo->last_usable || geo->last_usable == UINT64_MAX || !geo->max_partitions) {
		reason_set(why, 0, "bad disk geometry");
		return -EINVAL;
	}
	for (size_t i = 0; i < n_existing; i++) {
		if (strcmp(existing[i].disk, existing[0].disk) != 0) {
			reason_set(why, 0, "partitions of two disks (%s, %s) given", existing[0].disk,
				existing[i].disk);
			return -EINVAL;
		}
		if (existing[i].number < 1) {
			reason_set(why, 0, "partition without a number");
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (existing[j].number == existing[i].number) {
				reason_set(why, 0, "partition number %d given twice", existing[i].number);
				return -EINVAL;
			}
		if (existing[i].number > highest)
			highest = existing[i].number;
	}

	st = calloc(n_defs ? n_defs : 1, sizeof(*st));
	if (!st) {
		reason_set(why, 0, "out of memory");
		return -ENOMEM;
	}

	/* Matching: the Nth definition of a type is the Nth partition of that type. */
	for (size_t i = 0; i < n_defs; i++) {
		size_t nth = 0;

		for (size_t j = 0; j < i; j++)
			nth += !strcmp(defs[j].type, defs[i].type);
		st[i].match = nth_of_type(existing, n_existing, defs[i].type, nth);
		if (st[i].match)
			continue;
		if (defs[i].must_exist) {
			reason_set(why, 0,
				"%s: the disk has no %s partition #%zu (type %s), which the image must have "
				"(X-RampartMustExist=)", defs[i].file, gpt_role_name(defs[i].role), nth + 1,
				defs[i].type);
			return -ENOENT;
		}
		n_new++;
	}
	if (!n_new)
		return 0;

	/* Sizes in units: minimum, maximum; copied sizes are fixed. */
	for (size_t i = 0; i < n_defs; i++) {
		const struct repart_def *d = &defs[i];

		if (st[i].match)
			continue;
		if (d->size_from[0]) {
			const struct repart_def *src = repart_def_by_file(defs, n_defs, d->size_from);
			const struct partition *p = st[src - defs].match;

			if (!p) {
				reason_set(why, 0,
					"%s: X-RampartSizeFrom=%s: that partition does not exist on the disk to copy "
					"its size from", d->file, d->size_from);
				return -EINVAL;
			}
			if (!p->size || p->size % geo->sector_size) {
				reason_set(why, 0, "%s: X-RampartSizeFrom=%s: partition %d has size %llu",
					d->file, d->size_from, p->number, (unsigned long long)p->size);
				return -EINVAL;
			}
			st[i].size = p->size;
			st[i].min_u = st[i].max_u = div_up(p->size, REPART_ALIGN);
		} else {
			st[i].min_u = div_up(d->size_min, REPART_ALIGN);
			if (!st[i].min_u)
				st[i].min_u = 1;
			st[i].max_u = d->size_max == UINT64_MAX ? UINT64_MAX : d->size_max / REPART_ALIGN;
			if (st[i].max_u < st[i].min_u)
				st[i].max_u = st[i].min_u;
			st[i].active = d->weight > 0 && st[i].max_u > st[i].min_u;
		}
		need_u = need_u > UINT64_MAX - st[i].min_u ? UINT64_MAX : need_u + st[i].min_u;
	}

	if ((uint64_t)highest + n_new > geo->max_partitions) {
		reason_set(why, 0,
			"no room in the partition table: %zu new partitions after number %d need %llu entries, "
			"the GPT has %u", n_new, highest, (unsigned long long)highest + n_new, geo->max_partitions);
		return -ENOSPC;
	}
	if (n_new > max) {
		reason_set(why, 0, "%zu new partitions, room for %zu", n_new, max);
		return -ENOBUFS;
	}

	largest_gap(existing, n_existing, geo, &gap_start, &gap_units);
	if (need_u > gap_units) {
		if (gap_units)
			reason_set(why, 0,
				"disk too small: the %zu new partitions need at least %llu MiB, the largest free "
				"area (at %llu MiB) has %llu MiB: %llu MiB more needed", n_new,
				(unsigned long long)mib(need_u * REPART_ALIGN), (unsigned long long)mib(gap_start),
				(unsigned long long)mib(gap_units * REPART_ALIGN),
				(unsigned long long)mib((need_u - gap_units) * REPART_ALIGN));
		else
			reason_set(why, 0,
				"disk too small: the %zu new partitions need at least %llu MiB, the disk has no "
				"free area", n_new, (unsigned long long)mib(need_u * REPART_ALIGN));
		return -ENOSPC;
	}
	share_by_weight(defs, st, n_defs, gap_units - need_u);

	/* Layout: definition order, each start aligned; numbers after the highest in use. */
	pos = gap_start;
	for (size_t i = 0; i < n_defs; i++) {
		const struct repart_def *d = &defs[i];
		struct repart_new *o = &out[k];

		if (st[i].match)
			continue;
		if (!d->size_from[0])
			st[i].size = (st[i].min_u + st[i].extra_u) * REPART_ALIGN;
		memset(o, 0, sizeof(*o));
		o->def = d;
		o->number = highest + 1 + (int)k;
		o->start = pos;
		o->size = st[i].size;
		snprintf(o->label, sizeof(o->label), "%s%s",
			 repart_role_formatted(d->role) ? REPART_PENDING_PREFIX : "", d->label);
		pos += div_up(o->size, REPART_ALIGN) * REPART_ALIGN;
		k++;
	}

	/* What the rest of the boot relies on, checked rather than assumed. */
	for (size_t i = 0; i < k; i++) {
		const struct repart_new *o = &out[i];
		bool bad = o->start < geo->first_usable || o->size == 0 || o->start + o->size - 1 > geo->last_usable ||
			   o->start % geo->sector_size || o->size % geo->sector_size;

		for (size_t j = 0; j < n_existing && !bad; j++)
			bad = overlaps(o->start, o->size, existing[j].start, existing[j].size);
		if (bad) {
			reason_set(why, 0, "internal error: %s would be placed at %llu+%llu", o->def->file,
				(unsigned long long)o->start, (unsigned long long)o->size);
			return -EINVAL;
		}
	}
	*n_out = k;
	return 0;
}
