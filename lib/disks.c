/* SPDX-License-Identifier: MIT */
#include "disks.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "util.h"

/* RAM disks, loop and device-mapper devices never hold the boot disk's GPT. */
static bool skip_disk(const char *name)
{
	static const char *const prefixes[] = { "ram", "loop", "dm-", "zram", "sr", "md" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* A number from a sysfs attribute of @name; -ENOENT if the kernel has no such attribute. */
static int read_attr(const char *sysfs_block, const char *name, const char *attr, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	char path[256], *end;
	size_t len;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", sysfs_block, name, attr) >= sizeof(path))
		return -ENAMETOOLONG;
	r = read_full(path, 32, 0, &buf, &len);
	if (r < 0)
		return r;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EBADMSG;
	return 0;
}

int disks_list(struct disk_set *s, const char *sysfs_block)
{
	_cleanup_(closedirp) DIR *d = opendir(sysfs_block);
	struct dirent *de;

	s->n = 0;
	s->truncated = false;
	if (!d)
		return log_debug_errno(errno, "cannot list %s", sysfs_block);
	while ((de = readdir(d))) {
		struct disk_id id = { .seq = 0 };
		uint64_t size;
		int r;

		if (de->d_name[0] == '.' || skip_disk(de->d_name))
			continue;
		if (strlen(de->d_name) >= sizeof(id.name)) {
			log_debug("%s: disk name too long: %s", sysfs_block, de->d_name);
			continue;
		}
		strcpy(id.name, de->d_name);
		/* Kernels before 5.15 have no diskseq: then the name alone says who it is. */
		r = read_attr(sysfs_block, id.name, "diskseq", &id.seq);
		if (r < 0 && r != -ENOENT)
			return log_debug_errno(-r, "%s: cannot read diskseq", id.name);
		/* Gone between readdir and now: the next look will not list it either. */
		r = read_attr(sysfs_block, id.name, "size", &size);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return log_debug_errno(-r, "%s: cannot read size", id.name);
		id.empty = size == 0;
		if (disk_set_add(s, &id) < 0)
			return log_debug_errno(ENOSPC, "more than %d disks", DISKS_MAX);
	}
	return 0;
}

static bool disk_id_equal(const struct disk_id *a, const struct disk_id *b)
{
	return !strcmp(a->name, b->name) && a->seq == b->seq && a->empty == b->empty;
}

bool disk_set_has(const struct disk_set *s, const struct disk_id *d)
{
	for (size_t i = 0; i < s->n; i++)
		if (disk_id_equal(&s->disk[i], d))
			return true;
	return false;
}

int disk_set_add(struct disk_set *s, const struct disk_id *d)
{
	if (disk_set_has(s, d))
		return 0;
	if (s->n == DISKS_MAX) {
		s->truncated = true;
		return -ENOSPC;
	}
	s->disk[s->n++] = *d;
	return 0;
}

bool disk_set_equal(const struct disk_set *a, const struct disk_set *b)
{
	if (a->n != b->n || a->truncated != b->truncated)
		return false;
	/* Members are unique, so inclusion one way and equal counts suffice. */
	for (size_t i = 0; i < a->n; i++)
		if (!disk_set_has(b, &a->disk[i]))
			return false;
	return true;
}

size_t disks_new(const struct disk_set *known, const struct disk_set *now, size_t *new_idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < now->n; i++) {
		if (disk_set_has(known, &now->disk[i]))
			continue;
		if (n < max)
			new_idx[n] = i;
		n++;
	}
	return n;
}

bool disks_gone(const struct disk_set *known, const struct disk_set *now)
{
	for (size_t i = 0; i < known->n; i++)
		if (!disk_set_has(now, &known->disk[i]))
			return true;
	return false;
}

void settle_init(struct settle *s, unsigned quiet_ms)
{
	*s = (struct settle){ .quiet_usec = (uint64_t)quiet_ms * 1000u };
}

bool settle_look(struct settle *s, bool changed, uint64_t now)
{
	if (!s->started || changed) {
		s->started = true;
		s->since = now;
	}
	return now - s->since >= s->quiet_usec;
}
