/* SPDX-License-Identifier: MIT */
/*
 * lib/repart_apply.c on disk images: a 1 GiB sparse file with the layout
 * tools/mkdisk.sh makes (ESP + slot A), built here with libfdisk itself
 * and its partitions filled with a pattern; then the shipped definitions
 * (initramfs/repart.d, read from the top of the tree) are planned and
 * applied, and the result is read back with libfdisk and libblkid.
 *
 * Power cuts are simulated at libfdisk's write granularity: images that
 * hold the GPT sectors of before and after mixed in the order libfdisk
 * writes them.  With root and loop devices, the BLKPG path is exercised
 * on a real block device (skipped otherwise).
 *
 * musl static, UBSan in trap mode.  Every case runs in a work directory
 * of its own and fails when it leaves allocations behind
 * (testutil_run_checked()).
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <linux/loop.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "repart_apply.h"
#include "repart_conf.h"
#include "repart_plan.h"
#include "testutil.h"
#include "util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define SECTOR 512
#define HEAD_BYTES (34 * SECTOR) /* protective MBR, primary header, 32 sectors of entries */
#define TAIL_BYTES (33 * SECTOR) /* backup entries, backup header */
#define DEFS_DIR "initramfs/repart.d"
#define DISK_GUID "3c9e1f52-7d4a-4b8e-9f10-2a6b5c4d3e21"

static char workdir[256];

static int make_workdir(void **state)
{
	(void)state;
	return testutil_mkdtemp(workdir, sizeof(workdir), "test_repart_apply") ? 0 : -1;
}

static int remove_workdir(void **state)
{
	(void)state;
	testutil_rmtree(workdir);
	return 0;
}

#define TW(f) T_FIXTURE(f, make_workdir, remove_workdir)

/* ---- images ------------------------------------------------------------------------ */

struct img_part {
	int number;
	const char *type, *label, *uuid;
	uint64_t start, size, attrs;
};

/* tools/mkdisk.sh's layout with one slot. */
static const struct img_part slot_a[] = {
	{ 1, GPT_TYPE_ESP, "esp", "6f0d2c1e-9a3b-4c5d-8e7f-0a1b2c3d4e5f", MiB, 64 * MiB, 0 },
	{ 2, GPT_TYPE_ROOT, "rampart_1.0", "871c1f13-830e-f2c0-1234-56789abcdef0", 65 * MiB, 2 * MiB,
	  GPT_ATTR_READ_ONLY },
	{ 3, GPT_TYPE_ROOT_VERITY, "rampart_1.0", "0fedcba9-8765-4321-0fed-cba987654321", 67 * MiB, MiB,
	  GPT_ATTR_READ_ONLY },
	{ 4, GPT_TYPE_ROOT_VERITY_SIG, "rampart_1.0", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", 68 * MiB, MiB,
	  GPT_ATTR_READ_ONLY },
};

static void path_in_workdir(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", workdir, name);
}

static uint32_t pattern(uint64_t off)
{
	return (uint32_t)(off >> 2) * 2654435761u ^ (uint32_t)(off >> 34) ^ 0x5bd1e995u;
}

static void write_at(const char *path, uint64_t off, const void *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
}

static void read_at(const char *path, uint64_t off, void *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
}

static void fdisk_contextp(struct fdisk_context **c)
{
	if (*c)
		fdisk_unref_context(*c);
}

static void add_with_fdisk(struct fdisk_context *cxt, const struct img_part *p)
{
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *t = fdisk_label_parse_parttype(fdisk_get_label(cxt, NULL), p->type);
	size_t got;

	assert_non_null(pa);
	assert_non_null(t);
	fdisk_partition_set_partno(pa, (size_t)p->number - 1);
	fdisk_partition_set_start(pa, p->start / SECTOR);
	fdisk_partition_set_size(pa, p->size / SECTOR);
	fdisk_partition_size_explicit(pa, 1);
	fdisk_partition_set_type(pa, t);
	fdisk_partition_set_name(pa, p->label);
	fdisk_partition_set_uuid(pa, p->uuid);
	assert_int_equal(fdisk_add_partition(cxt, pa, &got), 0);
	assert_int_equal(got, (size_t)p->number - 1);
	if (p->attrs)
		assert_int_equal(fdisk_gpt_set_partition_attrs(cxt, got, p->attrs), 0);
	fdisk_unref_parttype(t);
	fdisk_unref_partition(pa);
}

/* A sparse image of @size with @parts, made with libfdisk; each partition filled with the pattern if @fill. */
static void make_image(const char *path, uint64_t size, const struct img_part *parts, size_t n, bool fill)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_close_ int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	cxt = fdisk_new_context();
	assert_non_null(cxt);
	assert_int_equal(fdisk_assign_device(cxt, path, 0), 0);
	assert_int_equal(fdisk_create_disklabel(cxt, "gpt"), 0);
	assert_int_equal(fdisk_set_disklabel_id_from_string(cxt, DISK_GUID), 0);
	for (size_t i = 0; i < n; i++)
		add_with_fdisk(cxt, &parts[i]);
	assert_int_equal(fdisk_write_disklabel(cxt), 0);
	assert_int_equal(fdisk_deassign_device(cxt, 1), 0);

	for (size_t i = 0; fill && i < n; i++) {
		static uint32_t buf[MiB / 4];

		for (uint64_t off = parts[i].start; off < parts[i].start + parts[i].size; off += MiB) {
			for (size_t w = 0; w < MiB / 4; w++)
				buf[w] = pattern(off + 4 * w);
			assert_int_equal(pwrite(fd, buf, MiB, (off_t)off), (ssize_t)MiB);
		}
	}
}

/*
 * Every byte of the image outside the two GPT areas: the pattern inside
 * @parts, zeros everywhere else (new partitions are never written).
 */
static void check_data_except(const char *path, uint64_t size, const struct img_part *parts, size_t n,
			      uint64_t skip_start, uint64_t skip_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint32_t *buf = malloc(MiB);

	assert_true(fd >= 0);
	assert_non_null(buf);
	for (uint64_t off = 0; off < size; off += MiB) {
		const struct img_part *in = NULL;
		off_t data = lseek(fd, (off_t)off, SEEK_DATA);

		/* Holes read as zeros: only what was ever written needs looking at. */
		if (data < 0 && errno == ENXIO)
			break;
		if (data > 0 && (uint64_t)data >= off + MiB) {
			off = (uint64_t)data / MiB * MiB - MiB;
			continue;
		}

		assert_int_equal(pread(fd, buf, MiB, (off_t)off), (ssize_t)MiB);
		for (size_t i = 0; i < n; i++)
			if (off >= parts[i].start && off < parts[i].start + parts[i].size)
				in = &parts[i];
		for (size_t w = 0; w < MiB / 4; w++) {
			uint64_t at = off + 4 * w;
			uint32_t want = in ? pattern(at) : 0;

			if (at < HEAD_BYTES || at >= size - TAIL_BYTES ||
			    (at >= skip_start && at < skip_start + skip_len))
				continue;
			if (buf[w] != want)
				fail_msg("byte %llu: %08x, expected %08x (%s)", (unsigned long long)at, buf[w], want,
					 in ? in->label : "free space");
		}
	}
}

static void check_data(const char *path, uint64_t size, const struct img_part *parts, size_t n)
{
	check_data_except(path, size, parts, n, 0, 0);
}

struct gpt_bytes {
	uint8_t head[HEAD_BYTES], tail[TAIL_BYTES];
};

static void gpt_save(const char *path, uint64_t size, struct gpt_bytes *g)
{
	read_at(path, 0, g->head, HEAD_BYTES);
	read_at(path, size - TAIL_BYTES, g->tail, TAIL_BYTES);
}

static void gpt_restore(const char *path, uint64_t size, const struct gpt_bytes *g)
{
	write_at(path, 0, g->head, HEAD_BYTES);
	write_at(path, size - TAIL_BYTES, g->tail, TAIL_BYTES);
}

static size_t load_defs(struct repart_def *defs, size_t max)
{
	struct reason why = { "" };
	size_t n = 0;

	if (repart_load_dir(DEFS_DIR, defs, max, &n, &why) != 0)
		fail_msg("cannot load %s: %s (run from the top of the tree: make lib-unit-test)", DEFS_DIR, why.text);
	return n;
}

/* Reads @disk, plans the shipped definitions on it; returns the number of new partitions. */
static size_t plan_disk(const char *disk, const struct repart_def *defs, size_t n_defs, struct partition *parts,
			size_t *n_parts, struct repart_new *out, int *err)
{
	struct repart_geometry geo;
	struct reason why = { "" };
	size_t n = 0;

	assert_int_equal(repart_disk_read(disk, &geo, parts, 32, n_parts), 0);
	*err = repart_plan(parts, *n_parts, &geo, defs, n_defs, out, 16, &n, &why);
	if (*err && *err != -ENOSPC)
		fail_msg("plan: %d %s", *err, why.text);
	return n;
}

static void same_partition(const struct partition *a, const struct partition *b)
{
	assert_int_equal(a->number, b->number);
	assert_string_equal(a->type, b->type);
	assert_string_equal(a->uuid, b->uuid);
	assert_string_equal(a->label, b->label);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->attrs, b->attrs);
}

static void same_plan(const struct repart_new *a, size_t na, const struct repart_new *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].number, b[i].number);
		assert_int_equal(a[i].start, b[i].start);
		assert_int_equal(a[i].size, b[i].size);
		assert_string_equal(a[i].label, b[i].label);
		assert_string_equal(a[i].def->file, b[i].def->file);
	}
}

/* What libblkid (lib/probe.c's reader) sees: the number of partitions, and each one's name. */
static int blkid_labels(const char *path, char labels[][GPT_LABEL_MAX], size_t max)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	blkid_partlist list;
	int n;

	assert_non_null(pr);
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	assert_int_equal(blkid_do_safeprobe(pr), 0);
	list = blkid_probe_get_partitions(pr);
	assert_non_null(list);
	n = blkid_partlist_numof_partitions(list);
	for (int i = 0; i < n && (size_t)i < max; i++) {
		blkid_partition par = blkid_partlist_get_partition(list, i);

		snprintf(labels[i], GPT_LABEL_MAX, "%s", blkid_partition_get_name(par) ?: "");
	}
	blkid_free_probe(pr);
	return n;
}

/* Runs @f with stderr (the log before log_open) in @out; returns @f's result. */
static int capture_log(int (*f)(void *), void *arg, char *out, size_t size)
{
	char path[256];
	int saved = dup(STDERR_FILENO), fd, r;
	ssize_t len;

	path_in_workdir(path, sizeof(path), "log");
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	r = f(arg);
	dup2(saved, STDERR_FILENO);
	close(saved);
	len = pread(fd, out, size - 1, 0);
	out[len > 0 ? len : 0] = '\0';
	close(fd);
	return r;
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- tests ---------------------------------------------------------------------------- */

struct apply_args {
	const char *disk;
	const struct repart_new *plan;
	size_t n;
};

static int do_apply(void *p)
{
	struct apply_args *a = p;

	return repart_apply(a->disk, a->plan, a->n);
}

static void first_boot_on_the_test_image(void)
{
	struct repart_def defs[32];
	struct partition before[32], after[32];
	struct repart_new out[16], again[16];
	struct gpt_bytes g0, g1;
	char img[256], log[8192], labels[16][GPT_LABEL_MAX];
	size_t n_defs = load_defs(defs, 32), n_before, n_after, n, m;
	int err;

	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, true);
	n = plan_disk(img, defs, n_defs, before, &n_before, out, &err);
	assert_int_equal(err, 0);
	assert_int_equal(n_before, 4);
	assert_int_equal(n, 6);
	gpt_save(img, GiB, &g0);

	assert_int_equal(capture_log(do_apply, &(struct apply_args){ img, out, n }, log, sizeof(log)), 0);
	/* One table write, and the kernel step skipped for a regular file. */
	assert_int_equal(count(log, "partition table written: 6 partitions added"), 1);
	assert_int_equal(count(log, "is not a block device: no kernel partition table to update"), 1);
	assert_int_equal(count(log, ": adding partition "), 6);

	assert_int_equal(repart_disk_read(img, &(struct repart_geometry){ 0 }, after, 32, &n_after), 0);
	assert_int_equal(n_after, 10);
	for (size_t i = 0; i < 4; i++)
		same_partition(&before[i], &after[i]);
	for (size_t i = 0; i < n; i++) {
		const struct partition *p = &after[4 + i];

		assert_int_equal(p->number, out[i].number);
		assert_int_equal(p->start, out[i].start);
		assert_int_equal(p->size, out[i].size);
		assert_string_equal(p->type, out[i].def->type);
		assert_string_equal(p->label, out[i].label);
		assert_int_equal(p->attrs, out[i].def->attrs);
		assert_int_equal(p->uuid[14], '5'); /* name-based, version 5 */
		for (size_t j = 0; j < 4 + i; j++)
			assert_string_not_equal(p->uuid, after[j].uuid);
	}
	assert_string_equal(after[4].label, "_empty");
	assert_int_equal(after[4].attrs, GPT_ATTR_READ_ONLY);
	assert_string_equal(after[8].label, "pending-tmp");
	assert_string_equal(after[9].label, "pending-var");

	/* libblkid, which the probe state uses, agrees. */
	assert_int_equal(blkid_labels(img, labels, 16), 10);
	assert_string_equal(labels[3], "rampart_1.0");
	assert_string_equal(labels[9], "pending-var");

	/* The existing partitions' data, and everything else, untouched. */
	check_data(img, GiB, slot_a, 4);

	/* Idempotent: nothing to plan, and applying nothing writes nothing. */
	m = plan_disk(img, defs, n_defs, after, &n_after, again, &err);
	assert_int_equal(err, 0);
	assert_int_equal(m, 0);
	gpt_save(img, GiB, &g0);
	assert_int_equal(repart_apply(img, again, 0), 0);
	/* A sound table: sync writes nothing either. */
	assert_int_equal(repart_mend_and_tell_kernel(img), 0);
	gpt_save(img, GiB, &g1);
	assert_memory_equal(&g0, &g1, sizeof(g0));
}

/* Two images made alike get the same table: UUIDs are derived, not random. */
static void same_image_same_table(void)
{
	struct repart_def defs[32];
	struct partition pa[32], pb[32];
	struct repart_new out[16];
	struct gpt_bytes ga, gb;
	char a[256], b[256];
	size_t n_defs = load_defs(defs, 32), na, n;
	int err;

	path_in_workdir(a, sizeof(a), "a.img");
	path_in_workdir(b, sizeof(b), "b.img");
	make_image(a, GiB, slot_a, 4, false);
	make_image(b, GiB, slot_a, 4, false);
	n = plan_disk(a, defs, n_defs, pa, &na, out, &err);
	assert_int_equal(repart_apply(a, out, n), 0);
	n = plan_disk(b, defs, n_defs, pb, &na, out, &err);
	assert_int_equal(repart_apply(b, out, n), 0);
	gpt_save(a, GiB, &ga);
	gpt_save(b, GiB, &gb);
	assert_memory_equal(&ga, &gb, sizeof(ga));
}

/*
 * libfdisk writes backup entries, backup header, primary entries, primary
 * header, protective MBR.  A power cut after any of these leaves a disk
 * that libfdisk and libblkid see as the old table or the new one; after
 * repart_mend_and_tell_kernel() (which the kernel needs: it does not fall
 * back to the backup) and, on the old table, a second run, the disk holds
 * exactly the table of an uninterrupted run.
 */
static void power_cut_at_every_step(void)
{
	static const struct {
		uint64_t off, len; /* in the image */
		bool head;
	} steps[] = {
		{ GiB - TAIL_BYTES, 32 * SECTOR, false },  /* backup entries */
		{ GiB - SECTOR, SECTOR, false },           /* backup header */
		{ 2 * SECTOR, 32 * SECTOR, true },         /* primary entries */
		{ SECTOR, SECTOR, true },                  /* primary header */
		{ 0, SECTOR, true },                       /* protective MBR */
	};
	struct repart_def defs[32];
	struct partition parts[32];
	struct repart_new first[16], out[16];
	struct gpt_bytes old, new, redo;
	char img[256], labels[16][GPT_LABEL_MAX];
	size_t n_defs = load_defs(defs, 32), n_parts, n_first, n;
	int err;

	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, true);
	n_first = plan_disk(img, defs, n_defs, parts, &n_parts, first, &err);
	gpt_save(img, GiB, &old);
	assert_int_equal(repart_apply(img, first, n_first), 0);
	gpt_save(img, GiB, &new);

	for (size_t cut = 0; cut <= sizeof(steps) / sizeof(steps[0]); cut++) {
		bool sees_new = cut >= 3; /* once the primary entries changed, the old primary header is invalid */

		gpt_restore(img, GiB, &old);
		for (size_t s = 0; s < cut; s++) {
			const uint8_t *src = steps[s].head ? new.head + steps[s].off
							   : new.tail + (steps[s].off - (GiB - TAIL_BYTES));

			write_at(img, steps[s].off, src, steps[s].len);
		}

		n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
		assert_int_equal(err, 0);
		if (n_parts != (sees_new ? 10u : 4u))
			fail_msg("cut after %zu writes: libfdisk sees %zu partitions", cut, n_parts);
		assert_int_equal(blkid_labels(img, labels, 16), sees_new ? 10 : 4);

		/* The next boot: sync (repairs a half-written copy), then repart. */
		assert_int_equal(repart_mend_and_tell_kernel(img), 0);
		n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
		if (sees_new) {
			assert_int_equal(n, 0);
		} else {
			same_plan(out, n, first, n_first);
			assert_int_equal(repart_apply(img, out, n), 0);
		}
		gpt_save(img, GiB, &redo);
		if (memcmp(&redo, &new, sizeof(new)) != 0)
			fail_msg("cut after %zu writes: the table differs from an uninterrupted run's", cut);
	}
	check_data(img, GiB, slot_a, 4);
}

static void stale_plan_writes_nothing(void)
{
	struct repart_def defs[32];
	struct partition parts[32];
	struct repart_new out[16];
	struct img_part intruder = { 5, GPT_TYPE_SWAP, "someone", "11111111-2222-4333-8444-555555555555", 100 * MiB,
				     MiB, 0 };
	struct img_part with_intruder[5];
	struct gpt_bytes g0, g1;
	char img[256];
	size_t n_defs = load_defs(defs, 32), n_parts, n;
	int err;

	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, false);
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 6);

	/* Someone adds a partition between planning and applying. */
	memcpy(with_intruder, slot_a, sizeof(slot_a));
	with_intruder[4] = intruder;
	make_image(img, GiB, with_intruder, 5, false);
	gpt_save(img, GiB, &g0);
	assert_int_equal(repart_apply(img, out, n), -ESTALE);
	gpt_save(img, GiB, &g1);
	assert_memory_equal(&g0, &g1, sizeof(g0));
}

static void image_on_a_larger_disk(void)
{
	struct repart_def defs[32];
	struct partition parts[32];
	struct repart_new out[16];
	struct repart_geometry geo;
	char img[256], labels[16][GPT_LABEL_MAX];
	size_t n_defs = load_defs(defs, 32), n_parts, n;
	int err;

	/* A complete table moved to a larger disk: sync moves the backup to the end, adds nothing. */
	path_in_workdir(img, sizeof(img), "full.img");
	make_image(img, GiB, slot_a, 4, false);
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(repart_apply(img, out, n), 0);
	assert_int_equal(truncate(img, 2 * GiB), 0);
	assert_int_equal(repart_mend_and_tell_kernel(img), 0);
	{
		uint8_t hdr[SECTOR];

		read_at(img, 2 * GiB - SECTOR, hdr, SECTOR);
		assert_memory_equal(hdr, "EFI PART", 8);
	}
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 0);
	assert_int_equal(n_parts, 10);
	assert_int_equal(unlink(img), 0);

	/* The 1 GiB image written to a 3 GiB disk: the backup GPT sits in the middle. */
	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, true);
	assert_int_equal(truncate(img, 3 * GiB), 0);

	assert_int_equal(repart_disk_geometry(img, &geo), 0);
	assert_int_equal(geo.last_usable, 3 * GiB - TAIL_BYTES - 1);
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 6);
	assert_int_equal(out[5].start + out[5].size, 3 * GiB - MiB); /* /var has the whole disk */
	assert_int_equal(repart_apply(img, out, n), 0);

	/* The backup moved to the end in that same write: blkid reads the primary, libfdisk is content. */
	assert_int_equal(blkid_labels(img, labels, 16), 10);
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 0);
	assert_int_equal(n_parts, 10);
	{
		uint8_t hdr[SECTOR];

		read_at(img, 3 * GiB - SECTOR, hdr, SECTOR);
		assert_memory_equal(hdr, "EFI PART", 8);
	}
	/* The old backup GPT stays where it was, inside the new /var, unused: a reader looks at the end. */
	check_data_except(img, 3 * GiB, slot_a, 4, GiB - TAIL_BYTES, TAIL_BYTES);
}

static void disk_too_small_is_refused(void)
{
	struct repart_def defs[32];
	struct partition parts[32];
	struct repart_new out[16];
	char img[256];
	size_t n_defs = load_defs(defs, 32), n_parts, n;
	int err;

	path_in_workdir(img, sizeof(img), "small.img");
	make_image(img, 256 * MiB, slot_a, 4, false);
	n = plan_disk(img, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(n, 0);
}

static void set_label_renames_one_entry(void)
{
	struct repart_def defs[32];
	struct partition before[32], after[32];
	struct repart_new out[16];
	struct gpt_bytes g0, g1;
	char img[256];
	size_t n_defs = load_defs(defs, 32), n_before, n_after, n;
	int err;

	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, true);
	n = plan_disk(img, defs, n_defs, before, &n_before, out, &err);
	assert_int_equal(repart_apply(img, out, n), 0);
	assert_int_equal(repart_disk_read(img, &(struct repart_geometry){ 0 }, before, 32, &n_before), 0);

	assert_int_equal(repart_set_label(img, 10, "pending-var", "var"), 0);
	assert_int_equal(repart_disk_read(img, &(struct repart_geometry){ 0 }, after, 32, &n_after), 0);
	assert_int_equal(n_after, n_before);
	for (size_t i = 0; i < n_after; i++) {
		if (after[i].number == 10) {
			assert_string_equal(after[i].label, "var");
			snprintf(after[i].label, GPT_LABEL_MAX, "pending-var");
		}
		same_partition(&before[i], &after[i]);
	}

	/* Done already: no write.  Other refusals write nothing either. */
	gpt_save(img, GiB, &g0);
	assert_int_equal(repart_set_label(img, 10, "pending-var", "var"), 0);
	assert_int_equal(repart_set_label(img, 9, "pending-var", "var"), -ESTALE);
	assert_int_equal(repart_set_label(img, 11, NULL, "x"), -ENOENT);
	assert_int_equal(repart_set_label(img, 0, NULL, "x"), -ENOENT);
	assert_int_equal(repart_set_label(img, 200, NULL, "x"), -ENOENT);
	assert_int_equal(repart_set_label(img, 9, NULL, ""), -EINVAL);
	assert_int_equal(repart_set_label(img, 9, NULL, "abcdefghijklmnopqrstuvwxyz0123456789X"), -EINVAL);
	gpt_save(img, GiB, &g1);
	assert_memory_equal(&g0, &g1, sizeof(g0));

	/* Without an expectation, and the longest label. */
	assert_int_equal(repart_set_label(img, 9, NULL, "abcdefghijklmnopqrstuvwxyz0123456789"), 0);
	assert_int_equal(repart_disk_read(img, &(struct repart_geometry){ 0 }, after, 32, &n_after), 0);
	assert_string_equal(after[8].label, "abcdefghijklmnopqrstuvwxyz0123456789");
	check_data(img, GiB, slot_a, 4);
}

static void not_a_gpt_disk(void)
{
	struct repart_geometry geo;
	struct partition parts[4];
	struct repart_def defs[32];
	struct repart_new out[16];
	char img[256];
	size_t n, n_defs = load_defs(defs, 32);
	int err;

	path_in_workdir(img, sizeof(img), "blank.img");
	make_image(img, 64 * MiB, NULL, 0, false);
	/* A GPT without partitions: the image's partitions must exist. */
	assert_int_equal(repart_disk_read(img, &geo, parts, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(repart_plan(parts, 0, &geo, defs, n_defs, out, 16, &n, &(struct reason){ "" }), -ENOENT);
	assert_string_equal(geo.disk_guid, DISK_GUID);
	assert_int_equal(geo.max_partitions, 128);
	/* libfdisk writes its aligned first LBA into a header it creates (sgdisk writes 34). */
	assert_int_equal(geo.first_usable, MiB);

	/* No partition table at all. */
	assert_int_equal(truncate(img, 0), 0);
	assert_int_equal(truncate(img, 64 * MiB), 0);
	assert_int_equal(repart_disk_read(img, &geo, parts, 4, &n), -EMEDIUMTYPE);
	assert_int_equal(repart_disk_geometry(img, &geo), -EMEDIUMTYPE);
	assert_int_equal(repart_set_label(img, 1, NULL, "x"), -EMEDIUMTYPE);
	(void)err;

	/* Too many partitions for the caller's array. */
	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, false);
	assert_int_equal(repart_disk_read(img, &geo, parts, 3, &n), -ENOBUFS);
	assert_int_equal(n, 4);
}

/* ---- a real block device: loop, when we may ---------------------------------------------- */

static int loop_attach(const char *path, char *dev, size_t size)
{
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	_cleanup_close_ int file = open(path, O_RDWR | O_CLOEXEC);

	if (ctl < 0 || file < 0)
		return -errno;
	for (int tries = 0; tries < 10; tries++) {
		struct loop_config cfg = { .fd = (uint32_t)file };
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE), fd;

		if (nr < 0)
			return -errno;
		snprintf(dev, size, "/dev/loop%d", nr);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		/* Autoclear: the device goes away with our last descriptor, even if we crash. */
		cfg.info.lo_flags = LO_FLAGS_PARTSCAN | LO_FLAGS_AUTOCLEAR;
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
			return fd;
		close(fd);
		if (errno != EBUSY)
			return -errno;
	}
	return -EBUSY;
}

static uint64_t sysfs_u64(const char *dev, int number, const char *what)
{
	char path[256], buf[64] = "";
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/sys/class/block/%sp%d/%s", strrchr(dev, '/') + 1, number, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

static void kernel_learns_new_partitions(void)
{
	struct repart_def defs[32];
	struct partition parts[32];
	struct repart_new out[16];
	char img[256], dev[64], node[80];
	_cleanup_close_ int loop = -1;
	size_t n_defs = load_defs(defs, 32), n_parts, n;
	int err;

	path_in_workdir(img, sizeof(img), "disk.img");
	make_image(img, GiB, slot_a, 4, true);
	if (geteuid() != 0 || (loop = loop_attach(img, dev, sizeof(dev))) < 0) {
		print_message("no loop device (%s): BLKPG not exercised\n", geteuid() ? "not root" : strerror(-loop));
		skip();
	}
	/*
	 * A kernel without a GPT parser (CONFIG_EFI_PARTITION, like the one
	 * these tests were written on) knows none of the partitions, as one
	 * would after a power cut that left the primary GPT invalid: sync
	 * tells it.  A kernel that parsed the table already has them.
	 */
	for (int i = 0; i < 50 && sysfs_u64(dev, 4, "start") == UINT64_MAX; i++)
		usleep(10000);
	if (sysfs_u64(dev, 4, "start") == UINT64_MAX)
		print_message("this kernel did not read the GPT of %s\n", dev);
	assert_int_equal(repart_mend_and_tell_kernel(dev), 0);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sysfs_u64(dev, slot_a[i].number, "start"), slot_a[i].start / SECTOR);
		assert_int_equal(sysfs_u64(dev, slot_a[i].number, "size"), slot_a[i].size / SECTOR);
	}
	assert_int_equal(sysfs_u64(dev, 5, "start"), UINT64_MAX);

	n = plan_disk(dev, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 6);
	assert_int_equal(repart_apply(dev, out, n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sysfs_u64(dev, out[i].number, "start"), out[i].start / SECTOR);
		assert_int_equal(sysfs_u64(dev, out[i].number, "size"), out[i].size / SECTOR);
	}
	snprintf(node, sizeof(node), "%sp10", dev);
	for (int i = 0; i < 200 && access(node, F_OK) != 0; i++)
		usleep(10000);
	assert_int_equal(access(node, F_OK), 0);

	/* The kernel already has them: a second apply of the same plan is stale, not a double add. */
	assert_int_equal(repart_apply(dev, out, n), -ESTALE);
	assert_int_equal(repart_mend_and_tell_kernel(dev), 0);
	n = plan_disk(dev, defs, n_defs, parts, &n_parts, out, &err);
	assert_int_equal(n, 0);
	close(TAKE_FD(loop));
	check_data(img, GiB, slot_a, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TW(first_boot_on_the_test_image),
		TW(same_image_same_table),
		TW(power_cut_at_every_step),
		TW(stale_plan_writes_nothing),
		TW(image_on_a_larger_disk),
		TW(disk_too_small_is_refused),
		TW(set_label_renames_one_entry),
		TW(not_a_gpt_disk),
		TW(kernel_learns_new_partitions),
	};

	log_set_max_level(LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
