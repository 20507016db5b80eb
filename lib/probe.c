/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "encoding.h"
#include "log.h"
#include "util.h"

static void blkid_probep(blkid_probe *pr)
{
	if (*pr)
		blkid_free_probe(*pr);
}

/* RAM disks, loop and device-mapper devices never hold the boot disk's GPT. */
static int skip_disk(const char *name)
{
	static const char *const prefixes[] = { "ram", "loop", "dm-", "zram", "sr", "md" };

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

static int probe_disk(struct partition_table *t, const char *name)
{
	_cleanup_(blkid_probep) blkid_probe pr = NULL;
	char disk[48];
	blkid_partlist list;
	blkid_parttable table;
	const char *type;
	int n;

	if ((size_t)snprintf(disk, sizeof(disk), "/dev/%s", name) >= sizeof(disk))
		return 0;
	pr = blkid_new_probe_from_filename(disk);
	if (!pr)
		return log_debug_errno(errno ? errno : EIO, "cannot open %s", disk);
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) < 0)
		return 0;
	list = blkid_probe_get_partitions(pr);
	if (!list)
		return 0;
	table = blkid_partlist_get_table(list);
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

int probe_partitions(struct partition_table *t)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/class/block");
	struct dirent *de;

	t->n = 0;
	t->disks = 0;
	t->truncated = 0;
	if (!d)
		return log_debug_errno(errno, "cannot list /sys/class/block");
	while ((de = readdir(d))) {
		char path[300];

		if (de->d_name[0] == '.' || skip_disk(de->d_name))
			continue;
		/* Partitions have a "partition" attribute; whole disks do not. */
		snprintf(path, sizeof(path), "/sys/class/block/%s/partition", de->d_name);
		if (access(path, F_OK) == 0)
			continue;
		t->disks++;
		probe_disk(t, de->d_name);
	}
	return 0;
}
