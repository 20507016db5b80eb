/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "disks.h"
#include "encoding.h"
#include "log.h"
#include "slots.h"
#include "util.h"

static void blkid_probep(blkid_probe *pr)
{
	if (*pr)
		blkid_free_probe(*pr);
}

int probe_disk(struct partition_table *t, const char *disk, struct reason *why)
{
	_cleanup_(blkid_probep) blkid_probe pr = NULL;
	blkid_partlist list;
	blkid_parttable table;
	const char *type;
	int n, r;

	errno = 0;
	pr = blkid_new_probe_from_filename(disk);
	if (!pr) {
		r = errno ? errno : EIO;
		return reason_set(why, -r, "it cannot be opened: %s", strerror(r));
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	errno = 0;
	r = blkid_do_safeprobe(pr);
	if (r == -2)
		return reason_set(why, -ENOTUNIQ, "it has more than one kind of partition table");
	if (r < 0) {
		r = errno ? errno : EIO;
		return reason_set(why, -r, "its partition table cannot be read: %s", strerror(r));
	}
	if (r == 1) {
		log_debug("%s: no partition table", disk);
		return 0;
	}
	/* libblkid's name for a protective MBR whose GPT (primary and backup) does not read. */
	if (!blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) && !strcmp(type, "PMBR"))
		return reason_set(why, -EBADMSG, "it has a protective MBR, but neither GPT header reads");
	list = blkid_probe_get_partitions(pr);
	table = list ? blkid_partlist_get_table(list) : NULL;
	type = table ? blkid_parttable_get_type(table) : NULL;
	if (!type || strcmp(type, "gpt") != 0) {
		log_debug("%s: no GPT (%s)", disk, type ? type : "no partition table");
		return 0;
	}

	n = blkid_partlist_numof_partitions(list);
	for (int i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(list, i);
		struct partition *p;

		if (t->n == PARTITIONS_MAX) {
			log_debug("%s: more than %d partitions in all", disk, PARTITIONS_MAX);
			t->truncated = 1;
			break;
		}
		p = &t->parts[t->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->disk, sizeof(p->disk), "%s", disk);
		p->number = blkid_partition_get_partno(par);
		if (partition_devnode(p->devnode, sizeof(p->devnode), disk, p->number) < 0) {
			t->n--;
			continue;
		}
		copy_lower(p->type, sizeof(p->type), blkid_partition_get_type_string(par));
		copy_lower(p->uuid, sizeof(p->uuid), blkid_partition_get_uuid(par));
		snprintf(p->label, sizeof(p->label), "%s", blkid_partition_get_name(par) ?: "");
		p->role = gpt_role_from_type(p->type);
		p->start = (uint64_t)blkid_partition_get_start(par) * 512;
		p->size = (uint64_t)blkid_partition_get_size(par) * 512;
		p->attrs = blkid_partition_get_flags(par);
		log_debug("%s: %s %s uuid=%s label=%s", p->devnode, gpt_role_name(p->role), p->type, p->uuid,
			  p->label);
	}
	return 0;
}

int probe_disk_name(struct partition_table *t, const char *name, struct reason *why)
{
	char disk[48];

	if ((size_t)snprintf(disk, sizeof(disk), "/dev/%s", name) >= sizeof(disk))
		return reason_set(why, -ENAMETOOLONG, "its name is too long");
	return probe_disk(t, disk, why);
}

int probe_partitions(struct partition_table *t)
{
	struct disk_set disks;
	int r, first_error = 0;

	t->n = 0;
	t->disks = 0;
	t->truncated = 0;
	r = disks_list(&disks, SYSFS_BLOCK);
	if (r < 0)
		return r;
	for (size_t i = 0; i < disks.n; i++) {
		t->disks++;
		if (disks.disk[i].empty)
			continue;
		r = probe_disk_name(t, disks.disk[i].name, NULL);
		if (r < 0 && !first_error)
			first_error = r;
	}
	return first_error;
}

int probe_new_disks(struct disk_set *known, struct partition_table *t, struct probe_look *look)
{
	size_t new_idx[DISKS_MAX], n_new;
	int r;

	look->last = look->now;
	r = disks_list(&look->now, SYSFS_BLOCK);
	if (r < 0)
		return r;
	look->changed = !disk_set_equal(&look->last, &look->now);
	look->probed = 0;
	look->unreadable = 0;
	look->bad_disk[0] = '\0';

	for (size_t i = 0; i < known->n;) {
		char disk[48];

		if (disk_set_has(&look->now, &known->disk[i])) {
			i++;
			continue;
		}
		snprintf(disk, sizeof(disk), "/dev/%s", known->disk[i].name);
		log_debug("%s is gone", disk);
		t->n = partitions_drop_disk(t->parts, t->n, disk);
		known->disk[i] = known->disk[--known->n];
	}

	n_new = disks_new(known, &look->now, new_idx, ARRAY_SIZE(new_idx));
	for (size_t i = 0; i < n_new; i++) {
		const struct disk_id *d = &look->now.disk[new_idx[i]];
		struct reason why = { "" };

		if (!d->empty) {
			r = probe_disk_name(t, d->name, &why);
			if (r < 0) {
				if (!look->unreadable++) {
					snprintf(look->bad_disk, sizeof(look->bad_disk), "/dev/%s", d->name);
					look->why = why;
					look->err = r;
				}
				continue;
			}
			look->probed++;
		}
		r = disk_set_add(known, d);
		if (r < 0)
			return r;
	}
	return 0;
}
