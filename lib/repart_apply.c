/* SPDX-License-Identifier: MIT */
/* The disk side of repart: reading and writing the GPT with libfdisk (see repart_apply.h). */
#include "repart_apply.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/blkpg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "encoding.h"
#include "log.h"
#include "util.h"

static void fdisk_contextp(struct fdisk_context **c)
{
	if (*c)
		fdisk_unref_context(*c);
}

static void fdisk_tablep(struct fdisk_table **t)
{
	if (*t)
		fdisk_unref_table(*t);
}

static void fdisk_partitionp(struct fdisk_partition **p)
{
	if (*p)
		fdisk_unref_partition(*p);
}

static void fdisk_parttypep(struct fdisk_parttype **t)
{
	if (*t)
		fdisk_unref_parttype(*t);
}

/* libfdisk's messages go to our log; it must never ask anything. */
static int on_ask(struct fdisk_context *cxt, struct fdisk_ask *ask, void *userdata)
{
	const char *disk = userdata;

	(void)cxt;
	switch (fdisk_ask_get_type(ask)) {
	case FDISK_ASKTYPE_INFO:
		log_debug("%s: libfdisk: %s", disk, fdisk_ask_print_get_mesg(ask));
		return 0;
	case FDISK_ASKTYPE_WARNX:
		log_debug("%s: libfdisk: %s", disk, fdisk_ask_print_get_mesg(ask));
		return 0;
	case FDISK_ASKTYPE_WARN:
		log_debug_errno(fdisk_ask_print_get_errno(ask), "%s: libfdisk: %s", disk,
			  fdisk_ask_print_get_mesg(ask));
		return 0;
	default:
		log_debug("%s: libfdisk asked a question (%s); refusing", disk, fdisk_ask_get_query(ask) ?: "?");
		return -EINVAL;
	}
}

/*
 * Opens @disk read-write (libfdisk moves a misplaced backup GPT to the end
 * of the disk then, in memory: the geometry is what a write would give).
 */
static int open_gpt(const char *disk, struct fdisk_context **ret)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = fdisk_new_context();
	int r;

	if (!cxt)
		return log_debug_errno(ENOMEM, "%s: cannot read the partition table", disk);
	fdisk_set_ask(cxt, on_ask, (void *)disk);
	fdisk_disable_dialogs(cxt, 1);
	r = fdisk_assign_device(cxt, disk, 0);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot open for repartitioning", disk);
	if (!fdisk_is_label(cxt, GPT))
		return log_debug_errno(EMEDIUMTYPE, "%s: no GPT partition table", disk);
	*ret = TAKE_PTR(cxt);
	return 0;
}

static void fill_geometry(struct fdisk_context *cxt, struct repart_geometry *geo)
{
	_cleanup_free_ char *id = NULL;
	uint64_t ss = fdisk_get_sector_size(cxt);

	memset(geo, 0, sizeof(*geo));
	geo->sector_size = (uint32_t)ss;
	geo->first_usable = (uint64_t)fdisk_get_first_lba(cxt) * ss;
	geo->last_usable = ((uint64_t)fdisk_get_last_lba(cxt) + 1) * ss - 1;
	geo->max_partitions = (uint32_t)fdisk_get_npartitions(cxt);
	if (fdisk_get_disklabel_id(cxt, &id) == 0)
		copy_lower(geo->disk_guid, sizeof(geo->disk_guid), id);
}

int repart_disk_read(const char *disk, struct repart_geometry *geo, struct partition *parts, size_t max,
		     size_t *n)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_(fdisk_tablep) struct fdisk_table *tb = NULL;
	size_t count = 0;
	uint64_t ss;
	int r;

	*n = 0;
	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	fill_geometry(cxt, geo);
	ss = geo->sector_size;
	r = fdisk_get_partitions(cxt, &tb);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot read the partitions", disk);

	for (size_t i = 0; i < fdisk_table_get_nents(tb); i++) {
		struct fdisk_partition *pa = fdisk_table_get_partition(tb, i);
		struct fdisk_parttype *t;
		struct partition *p;
		uint64_t attrs = 0;

		if (!pa || !fdisk_partition_is_used(pa))
			continue;
		if (count++ >= max)
			continue;
		p = &parts[count - 1];
		memset(p, 0, sizeof(*p));
		snprintf(p->disk, sizeof(p->disk), "%s", disk);
		p->number = (int)fdisk_partition_get_partno(pa) + 1;
		/* An image's partitions have no device nodes, and its path may be long. */
		if (partition_devnode(p->devnode, sizeof(p->devnode), disk, p->number) < 0)
			p->devnode[0] = '\0';
		t = fdisk_partition_get_type(pa);
		copy_lower(p->type, sizeof(p->type), t ? fdisk_parttype_get_string(t) : NULL);
		p->role = gpt_role_from_type(p->type);
		copy_lower(p->uuid, sizeof(p->uuid), fdisk_partition_get_uuid(pa));
		snprintf(p->label, sizeof(p->label), "%s", fdisk_partition_get_name(pa) ?: "");
		p->start = (uint64_t)fdisk_partition_get_start(pa) * ss;
		p->size = (uint64_t)fdisk_partition_get_size(pa) * ss;
		if (fdisk_gpt_get_partition_attrs(cxt, (size_t)p->number - 1, &attrs) == 0)
			p->attrs = attrs;
	}
	*n = count;
	if (count > max)
		return log_debug_errno(ENOBUFS, "%s: %zu partitions, room for %zu", disk, count, max);
	return 0;
}

int repart_disk_geometry(const char *disk, struct repart_geometry *geo)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	int r;

	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	fill_geometry(cxt, geo);
	return 0;
}

/* Whether @o still fits the table as libfdisk reads it now; the reason in @why. */
static bool still_fits(struct fdisk_context *cxt, struct fdisk_table *tb, const struct repart_new *plan, size_t i,
		       const char **why)
{
	const struct repart_new *o = &plan[i];
	uint64_t ss = fdisk_get_sector_size(cxt);

	if (o->number < 1 || (size_t)o->number > fdisk_get_npartitions(cxt)) {
		*why = "no such entry in the partition array";
		return false;
	}
	if (fdisk_is_partition_used(cxt, (size_t)o->number - 1)) {
		*why = "that number is in use";
		return false;
	}
	if (!o->size || o->start % ss || o->size % ss || o->start / ss < fdisk_get_first_lba(cxt) ||
	    (o->start + o->size) / ss - 1 > fdisk_get_last_lba(cxt)) {
		*why = "outside the usable area";
		return false;
	}
	for (size_t j = 0; j < fdisk_table_get_nents(tb); j++) {
		struct fdisk_partition *pa = fdisk_table_get_partition(tb, j);
		uint64_t s, e;

		if (!pa || !fdisk_partition_is_used(pa))
			continue;
		s = (uint64_t)fdisk_partition_get_start(pa) * ss;
		e = s + (uint64_t)fdisk_partition_get_size(pa) * ss;
		if (o->start < e && s < o->start + o->size) {
			*why = "overlaps an existing partition";
			return false;
		}
	}
	for (size_t j = 0; j < i; j++)
		if (plan[j].number == o->number ||
		    (o->start < plan[j].start + plan[j].size && plan[j].start < o->start + o->size)) {
			*why = "collides with another new partition";
			return false;
		}
	if (!repart_label_ok(o->label)) {
		*why = "bad label";
		return false;
	}
	return true;
}

/* RFC 4122 version 5: namespace the disk GUID, name "rampart-repart:NUMBER:TYPE". */
int repart_new_uuid(const char *disk_guid, int number, const char *type, char out[37])
{
	uuid_t ns, u;
	char name[96];
	int len;

	if (uuid_parse(disk_guid, ns) < 0)
		return -EINVAL;
	len = snprintf(name, sizeof(name), "rampart-repart:%d:%s", number, type);
	uuid_generate_sha1(u, ns, name, (size_t)len);
	uuid_unparse_lower(u, out);
	return 0;
}

static int add_one(struct fdisk_context *cxt, const char *disk, const char *disk_guid, struct fdisk_table *tb,
		   const struct repart_new *o)
{
	_cleanup_(fdisk_partitionp) struct fdisk_partition *pa = fdisk_new_partition();
	_cleanup_(fdisk_partitionp) struct fdisk_partition *back = NULL;
	_cleanup_(fdisk_parttypep) struct fdisk_parttype *t = NULL;
	struct fdisk_label *lb = fdisk_get_label(cxt, NULL);
	uint64_t ss = fdisk_get_sector_size(cxt);
	size_t got = 0;
	char uuid[37];
	int r;

	if (!pa || repart_new_uuid(disk_guid, o->number, o->def->type, uuid) < 0)
		return log_debug_errno(pa ? EINVAL : ENOMEM, "%s: cannot prepare partition %d", disk, o->number);
	for (size_t j = 0; j < fdisk_table_get_nents(tb); j++) {
		struct fdisk_partition *q = fdisk_table_get_partition(tb, j);

		if (q && fdisk_partition_get_uuid(q) && !strcasecmp(fdisk_partition_get_uuid(q), uuid))
			return log_debug_errno(EEXIST, "%s: partition %d would get UUID %s, which partition %zu has",
					 disk, o->number, uuid, fdisk_partition_get_partno(q) + 1);
	}
	t = fdisk_label_parse_parttype(lb, o->def->type);
	if (!t)
		return log_debug_errno(EINVAL, "%s: libfdisk does not take type %s", disk, o->def->type);

	fdisk_partition_set_partno(pa, (size_t)o->number - 1);
	fdisk_partition_set_start(pa, o->start / ss);
	fdisk_partition_set_size(pa, o->size / ss);
	/* Exactly the planned size: a copied slot size must not be rounded. */
	fdisk_partition_size_explicit(pa, 1);
	fdisk_partition_set_type(pa, t);
	fdisk_partition_set_name(pa, o->label);
	fdisk_partition_set_uuid(pa, uuid);
	r = fdisk_add_partition(cxt, pa, &got);
	if (r < 0)
		return log_debug_errno(r, "%s: libfdisk did not add partition %d (%s)", disk, o->number,
				 o->def->file);
	if (got != (size_t)o->number - 1)
		return log_debug_errno(EIO, "%s: libfdisk added partition %zu instead of %d", disk, got + 1,
				 o->number);
	if (o->def->attrs) {
		r = fdisk_gpt_set_partition_attrs(cxt, got, o->def->attrs);
		if (r < 0)
			return log_debug_errno(r, "%s: cannot set the attributes of partition %d", disk, o->number);
	}

	/* libfdisk aligns what it is not told precisely: check it did as asked. */
	r = fdisk_get_partition(cxt, got, &back);
	if (r < 0 || (uint64_t)fdisk_partition_get_start(back) * ss != o->start ||
	    (uint64_t)fdisk_partition_get_size(back) * ss != o->size)
		return log_debug_errno(EIO, "%s: partition %d is not where it was planned", disk, o->number);

	log_debug("%s: adding partition %d (%s, from %s): %s at %llu MiB, %llu MiB, uuid %s", disk, o->number,
		 gpt_role_name(o->def->role), o->def->file, o->label, (unsigned long long)(o->start >> 20),
		 (unsigned long long)(o->size >> 20), uuid);
	return 0;
}

/* Where the kernel has partition @number of the disk open on @fd (sysfs, 512-byte units). */
static int kernel_partition(int fd, int number, uint64_t *start, uint64_t *size)
{
	char link[64], dir[PATH_MAX], part[64], path[PATH_MAX + 128], buf[32];
	struct stat st;
	uint64_t v[2];
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(link, dir))
		return -errno;
	r = partition_devnode(part, sizeof(part), strrchr(dir, '/') + 1, number);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++) {
		_cleanup_close_ int f = -1;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s/%s", dir, part, i ? "size" : "start");
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return -errno;
		n = read(f, buf, sizeof(buf) - 1);
		if (n <= 0)
			return -EIO;
		buf[n] = '\0';
		v[i] = strtoull(buf, NULL, 10);
	}
	*start = v[0] * 512;
	*size = v[1] * 512;
	return 0;
}

/*
 * BLKPG_ADD_PARTITION: the kernel learns of one partition (and devtmpfs
 * makes its node) even while others of the disk are in use, which
 * re-reading the whole table (BLKRRPART) would refuse.  libfdisk's
 * fdisk_reread_changes() does the same but only warns when the kernel
 * refuses, so it is not used.  A partition the kernel has already, at the
 * same place, is fine (1 is returned); elsewhere it is an error.
 */
static int kernel_add(const char *disk, int fd, int number, uint64_t start, uint64_t size)
{
	struct blkpg_partition bp = { .start = (long long)start, .length = (long long)size, .pno = number };
	struct blkpg_ioctl_arg a = { .op = BLKPG_ADD_PARTITION, .datalen = sizeof(bp), .data = &bp };
	uint64_t kstart, ksize;

	if (ioctl(fd, BLKPG, &a) == 0)
		return 0;
	if (errno == EBUSY && kernel_partition(fd, number, &kstart, &ksize) == 0) {
		if (kstart == start && ksize == size)
			return 1;
		return log_debug_errno(EBUSY,
				 "%s: the kernel has partition %d at %llu+%llu, the table at %llu+%llu: reboot to "
				 "use the table", disk, number, (unsigned long long)kstart, (unsigned long long)ksize,
				 (unsigned long long)start, (unsigned long long)size);
	}
	return log_debug_errno(errno,
			 "%s: the kernel did not take partition %d (it is on the disk and appears after a reboot)",
			 disk, number);
}

/* Opens @disk for BLKPG; 0 (and *fd -1) if it is not a block device: an image has no kernel table. */
static int open_for_kernel(const char *disk, int *fd)
{
	_cleanup_close_ int f = open(disk, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	*fd = -1;
	if (f < 0 || fstat(f, &st) < 0)
		return log_debug_errno(errno, "%s: cannot open to update the kernel's partitions", disk);
	if (!S_ISBLK(st.st_mode)) {
		log_debug("%s is not a block device: no kernel partition table to update", disk);
		return 0;
	}
	*fd = TAKE_FD(f);
	return 0;
}

static int tell_kernel(const char *disk, const struct repart_new *plan, size_t n)
{
	_cleanup_close_ int fd = -1;
	int ret = 0, r;

	r = open_for_kernel(disk, &fd);
	if (r < 0 || fd < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		r = kernel_add(disk, fd, plan[i].number, plan[i].start, plan[i].size);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

int repart_apply(const char *disk, const struct repart_new *plan, size_t n)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_(fdisk_tablep) struct fdisk_table *tb = NULL;
	struct repart_geometry geo;
	const char *why;
	int r;

	if (!n)
		return 0;
	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	fill_geometry(cxt, &geo);
	if (!geo.disk_guid[0])
		return log_debug_errno(EINVAL, "%s: the GPT has no disk GUID to derive partition UUIDs from", disk);
	r = fdisk_get_partitions(cxt, &tb);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot read the partitions", disk);

	/* The plan came from an earlier read; nothing is written unless all of it still fits. */
	for (size_t i = 0; i < n; i++)
		if (!still_fits(cxt, tb, plan, i, &why))
			return log_debug_errno(ESTALE,
					 "%s: new partition %d (%s) no longer fits: %s; writing nothing", disk,
					 plan[i].number, plan[i].def->file, why);
	for (size_t i = 0; i < n; i++) {
		r = add_one(cxt, disk, geo.disk_guid, tb, &plan[i]);
		if (r < 0)
			return r;
	}

	/* The one write: see "Power safety" in repart_apply.h. */
	r = fdisk_write_disklabel(cxt);
	if (r < 0)
		return log_debug_errno(r, "%s: writing the partition table failed (the disk holds the old table or "
				 "the new one: repart_mend_and_tell_kernel() and a new plan sort it out)", disk);
	r = fdisk_deassign_device(cxt, 1);
	if (r < 0)
		return log_debug_errno(r, "%s: flushing the partition table failed", disk);
	log_debug("%s: partition table written: %zu partitions added", disk, n);

	return tell_kernel(disk, plan, n);
}

/* Writes the table @cxt holds (libfdisk's power-safe order, above) and flushes it. */
static int write_table(struct fdisk_context *cxt, const char *disk, const char *what)
{
	int r = fdisk_write_disklabel(cxt);

	if (r < 0)
		return log_debug_errno(r, "%s: writing the partition table failed (%s)", disk, what);
	r = fdisk_deassign_device(cxt, 1);
	if (r < 0)
		return log_debug_errno(r, "%s: flushing the partition table failed", disk);
	return 0;
}

int repart_set_label(const char *disk, int number, const char *expect, const char *label)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_(fdisk_partitionp) struct fdisk_partition *pa = NULL, *upd = NULL;
	char old[GPT_LABEL_MAX];
	int r;

	if (!repart_label_ok(label))
		return log_debug_errno(EINVAL, "%s: cannot label partition %d \"%s\": not 1-%d printable ASCII "
				 "characters", disk, number, label, REPART_LABEL_CHARS);
	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	if (number < 1 || (size_t)number > fdisk_get_npartitions(cxt) ||
	    !fdisk_is_partition_used(cxt, (size_t)number - 1))
		return log_debug_errno(ENOENT, "%s: no partition %d to label", disk, number);
	r = fdisk_get_partition(cxt, (size_t)number - 1, &pa);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot read partition %d", disk, number);
	snprintf(old, sizeof(old), "%s", fdisk_partition_get_name(pa) ?: "");

	/* Done already (a power cut after the rename): nothing to write. */
	if (!strcmp(old, label))
		return 0;
	if (expect && strcmp(old, expect) != 0)
		return log_debug_errno(ESTALE, "%s: partition %d is labelled \"%s\", not \"%s\": not renaming it",
				 disk, number, old, expect);

	upd = fdisk_new_partition();
	if (!upd)
		return log_debug_errno(ENOMEM, "%s: cannot label partition %d", disk, number);
	r = fdisk_partition_set_name(upd, label);
	if (r >= 0)
		r = fdisk_set_partition(cxt, (size_t)number - 1, upd);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot label partition %d", disk, number);
	r = write_table(cxt, disk, "the partition keeps its old label");
	if (r < 0)
		return r;
	log_debug("%s: partition %d relabelled \"%s\" -> \"%s\"", disk, number, old, label);
	return 0;
}

/* Applies @u to the table in @cxt, without writing it. */
static int change_parts(struct fdisk_context *cxt, const char *disk, const struct gpt_part_update *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_(fdisk_partitionp) struct fdisk_partition *upd = NULL;
		size_t idx = (size_t)u[i].number - 1;
		int r = 0;

		if (u[i].number < 1 || idx >= fdisk_get_npartitions(cxt) || !fdisk_is_partition_used(cxt, idx))
			return log_debug_errno(ENOENT, "%s: no partition %d", disk, u[i].number);
		if (u[i].label && !repart_label_ok(u[i].label))
			return log_debug_errno(EINVAL, "%s: bad label \"%s\"", disk, u[i].label);
		upd = fdisk_new_partition();
		if (!upd)
			return -ENOMEM;
		if (u[i].label)
			r = fdisk_partition_set_name(upd, u[i].label);
		if (r >= 0 && u[i].uuid)
			r = fdisk_partition_set_uuid(upd, u[i].uuid);
		if (r >= 0)
			r = fdisk_set_partition(cxt, idx, upd);
		if (r >= 0 && u[i].set_attrs)
			r = fdisk_gpt_set_partition_attrs(cxt, idx, u[i].attrs);
		if (r < 0)
			return log_debug_errno(r, "%s: cannot change partition %d", disk, u[i].number);
	}
	return 0;
}

int gpt_update_parts(const char *disk, const struct gpt_part_update *u, size_t n)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	int r;

	r = open_gpt(disk, &cxt);
	if (r >= 0)
		r = change_parts(cxt, disk, u, n);
	return r < 0 ? r : write_table(cxt, disk, "nothing changed, or all of it");
}

int gpt_update_attrs(const char *disk, int number, uint64_t (*update)(uint64_t), uint64_t *old_attrs,
		     uint64_t *new_attrs)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	struct gpt_part_update u = { .number = number, .set_attrs = true };
	uint64_t old = 0;
	int r;

	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	if (number < 1 || (size_t)number > fdisk_get_npartitions(cxt) ||
	    fdisk_gpt_get_partition_attrs(cxt, (size_t)number - 1, &old) < 0)
		return log_debug_errno(ENOENT, "%s: no partition %d", disk, number);
	u.attrs = update(old);
	if (old_attrs)
		*old_attrs = old;
	if (new_attrs)
		*new_attrs = u.attrs;
	if (u.attrs == old)
		return 0;
	r = change_parts(cxt, disk, &u, 1);
	if (r >= 0)
		r = write_table(cxt, disk, "the attributes are the old ones");
	if (r < 0)
		return r;
	log_debug("%s: partition %d attributes 0x%016llx -> 0x%016llx", disk, number, (unsigned long long)old,
		  (unsigned long long)u.attrs);
	return 1;
}

int repart_mend_and_tell_kernel(const char *disk)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_(fdisk_tablep) struct fdisk_table *tb = NULL;
	_cleanup_close_ int fd = -1;
	uint64_t ss;
	int ret = 0, r;

	r = open_gpt(disk, &cxt);
	if (r < 0)
		return r;
	ss = fdisk_get_sector_size(cxt);

	/*
	 * libfdisk marks the table changed while reading only to mend it: a
	 * copy left invalid by a power cut (rebuilt from the valid one), the
	 * backup not at the end of a larger disk, the protective MBR's size.
	 * The kernel never falls back to the backup GPT by itself (only with
	 * "gpt" on its command line), so a primary left half-written must be
	 * rewritten, not just tolerated.
	 */
	if (fdisk_label_is_changed(fdisk_get_label(cxt, NULL))) {
		log_debug("%s: rewriting the partition table to repair it (see libfdisk's warnings)", disk);
		r = fdisk_write_disklabel(cxt);
		if (r < 0)
			return log_debug_errno(r, "%s: repairing the partition table failed", disk);
	}
	r = fdisk_get_partitions(cxt, &tb);
	if (r < 0)
		return log_debug_errno(r, "%s: cannot read the partitions", disk);
	r = fdisk_deassign_device(cxt, 1);
	if (r < 0)
		return log_debug_errno(r, "%s: flushing the partition table failed", disk);

	r = open_for_kernel(disk, &fd);
	if (r < 0 || fd < 0)
		return r;
	for (size_t i = 0; i < fdisk_table_get_nents(tb); i++) {
		struct fdisk_partition *pa = fdisk_table_get_partition(tb, i);
		int number;

		if (!pa || !fdisk_partition_is_used(pa))
			continue;
		number = (int)fdisk_partition_get_partno(pa) + 1;
		r = kernel_add(disk, fd, number, (uint64_t)fdisk_partition_get_start(pa) * ss,
			       (uint64_t)fdisk_partition_get_size(pa) * ss);
		if (r == 0)
			log_debug("%s: the kernel did not know partition %d; added", disk, number);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}
