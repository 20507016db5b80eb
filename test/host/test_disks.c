/* SPDX-License-Identifier: MIT */
/* lib/disks.c: the list of disks, which are new, and when the list has settled. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "disks.h"

/* A stand-in for /sys/block in a temporary directory; every path made, for the teardown. */
static char sysfs[64];
static char made[32][128];
static size_t n_made;

static void fake_dir(const char *disk)
{
	assert_true(n_made < 32);
	snprintf(made[n_made], sizeof(made[n_made]), "%s/%s", sysfs, disk);
	assert_int_equal(mkdir(made[n_made++], 0755), 0);
}

static void fake_attr(const char *disk, const char *attr, const char *value)
{
	FILE *f;

	assert_true(n_made < 32);
	snprintf(made[n_made], sizeof(made[n_made]), "%s/%s/%s", sysfs, disk, attr);
	f = fopen(made[n_made++], "w");
	assert_non_null(f);
	fputs(value, f);
	assert_int_equal(fclose(f), 0);
}

/* A disk as the kernel shows it: diskseq (NULL: a kernel without it) and size in sectors. */
static void fake_disk(const char *disk, const char *seq, const char *size)
{
	fake_dir(disk);
	if (seq)
		fake_attr(disk, "diskseq", seq);
	if (size)
		fake_attr(disk, "size", size);
}

static int setup(void **state)
{
	(void)state;
	n_made = 0;
	snprintf(sysfs, sizeof(sysfs), "%s", "/tmp/test_disks.XXXXXX");
	return mkdtemp(sysfs) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	/* Files were made after their directories: remove them the other way round. */
	while (n_made--)
		if (unlink(made[n_made]) < 0)
			rmdir(made[n_made]);
	return rmdir(sysfs);
}

static const struct disk_id *find(const struct disk_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->disk[i].name, name))
			return &s->disk[i];
	return NULL;
}

static struct disk_id disk(const char *name, uint64_t seq, bool empty)
{
	struct disk_id d = { .seq = seq, .empty = empty };

	snprintf(d.name, sizeof(d.name), "%s", name);
	return d;
}

static void set_of(struct disk_set *s, size_t n, const struct disk_id *d)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(disk_set_add(s, &d[i]), 0);
}

static void lists_whole_disks_with_seq_and_medium(void **state)
{
	struct disk_set s;
	const struct disk_id *d;

	(void)state;
	fake_disk("vda", "1\n", "2097152\n");
	fake_disk("sdb", "9\n", "0\n");           /* a card reader without a card */
	fake_disk("nvme0n1", NULL, "1000\n");     /* a kernel before diskseq */
	fake_disk("gone", "4\n", NULL);           /* removed while being listed */
	fake_disk("loop0", "2\n", "100\n");       /* never the boot disk: skipped */
	fake_disk("dm-0", "3\n", "100\n");
	fake_disk("sr0", "5\n", "100\n");
	fake_disk("ram0", "6\n", "100\n");

	assert_int_equal(disks_list(&s, sysfs), 0);
	assert_int_equal(s.n, 3);
	assert_false(s.truncated);
	d = find(&s, "vda");
	assert_non_null(d);
	assert_int_equal(d->seq, 1);
	assert_false(d->empty);
	d = find(&s, "sdb");
	assert_non_null(d);
	assert_true(d->empty);
	d = find(&s, "nvme0n1");
	assert_non_null(d);
	assert_int_equal(d->seq, 0);
}

static void bad_attribute_is_an_error(void **state)
{
	struct disk_set s;

	(void)state;
	fake_disk("vda", "one\n", "100\n");
	assert_int_equal(disks_list(&s, sysfs), -EBADMSG);
	assert_true(disks_list(&s, "/nonexistent/sys/block") < 0);
}

static void more_than_max_disks_is_partial(void **state)
{
	struct disk_set s = { .n = 0 };
	struct disk_id d;

	(void)state;
	for (int i = 0; i < DISKS_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "sd%d", i);
		d = disk(name, (uint64_t)i + 1, false);
		assert_int_equal(disk_set_add(&s, &d), 0);
	}
	/* Adding one that is there changes nothing; a new one does not fit. */
	assert_int_equal(disk_set_add(&s, &s.disk[0]), 0);
	assert_false(s.truncated);
	d = disk("vdz", 99, false);
	assert_int_equal(disk_set_add(&s, &d), -ENOSPC);
	assert_true(s.truncated);
	assert_int_equal(s.n, DISKS_MAX);
}

/* The race this module exists for: a copy of the boot disk announced after the boot disk. */
static void late_disk_is_new(void **state)
{
	const struct disk_id before[] = { disk("vda", 1, false) };
	const struct disk_id after[] = { disk("vda", 1, false), disk("sda", 7, false) };
	struct disk_set known, now;
	size_t idx[4];

	(void)state;
	set_of(&known, 1, before);
	set_of(&now, 2, after);
	assert_false(disk_set_equal(&known, &now));
	assert_int_equal(disks_new(&known, &now, idx, 4), 1);
	assert_string_equal(now.disk[idx[0]].name, "sda");
	assert_false(disks_gone(&known, &now));

	/* Once read, it is known: the next look reads nothing. */
	assert_int_equal(disk_set_add(&known, &now.disk[idx[0]]), 0);
	assert_int_equal(disks_new(&known, &now, idx, 4), 0);
	assert_true(disk_set_equal(&known, &now));
}

static void same_name_other_disk_is_new(void **state)
{
	const struct disk_id before[] = { disk("vda", 1, false), disk("sdb", 4, true) };
	const struct disk_id after[] = { disk("vda", 1, false), disk("sdb", 4, false) };
	const struct disk_id replugged[] = { disk("vda", 1, false), disk("sdb", 8, false) };
	struct disk_set known, now;
	size_t idx[4];

	(void)state;
	set_of(&known, 2, before);
	/* A card put into the reader: the medium counts even without a new sequence number. */
	set_of(&now, 2, after);
	assert_int_equal(disks_new(&known, &now, idx, 4), 1);
	assert_int_equal(idx[0], 1);
	assert_true(disks_gone(&known, &now));
	/* Unplugged and another plugged in under the same name: new sequence number. */
	set_of(&now, 2, replugged);
	assert_int_equal(disks_new(&known, &now, idx, 4), 1);
	assert_int_equal(now.disk[idx[0]].seq, 8);
	assert_true(disks_gone(&known, &now));
}

static void order_does_not_matter(void **state)
{
	const struct disk_id a[] = { disk("vda", 1, false), disk("vdb", 2, false), disk("vdc", 3, false) };
	const struct disk_id b[] = { disk("vdc", 3, false), disk("vda", 1, false), disk("vdb", 2, false) };
	const struct disk_id fewer[] = { disk("vdc", 3, false), disk("vda", 1, false) };
	struct disk_set sa, sb, sf;
	size_t idx[1];

	(void)state;
	set_of(&sa, 3, a);
	set_of(&sb, 3, b);
	set_of(&sf, 2, fewer);
	assert_true(disk_set_equal(&sa, &sb));
	assert_false(disk_set_equal(&sa, &sf));
	assert_false(disk_set_equal(&sf, &sa));
	assert_int_equal(disks_new(&sa, &sb, idx, 1), 0);
	assert_true(disks_gone(&sa, &sf));
	assert_false(disks_gone(&sf, &sa));
	/* More new disks than room: all are counted, only the room is written. */
	memset(&sf, 0, sizeof(sf));
	assert_int_equal(disks_new(&sf, &sa, idx, 1), 3);
	assert_int_equal(idx[0], 0);
}

static void settles_after_quiet_period(void **state)
{
	struct settle s;

	(void)state;
	settle_init(&s, 250);
	/* The clock starts at the first look, changed or not. */
	assert_false(settle_look(&s, false, 1000000));
	assert_false(settle_look(&s, false, 1100000));
	/* A disk appears: the quiet period starts again. */
	assert_false(settle_look(&s, true, 1200000));
	assert_false(settle_look(&s, false, 1449999));
	assert_true(settle_look(&s, false, 1450000));
	assert_true(settle_look(&s, false, 1500000));
	assert_false(settle_look(&s, true, 1500001));

	/* rampart.device-settle=0: decided at the first look. */
	settle_init(&s, 0);
	assert_true(settle_look(&s, true, 5));
	assert_true(settle_look(&s, true, 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lists_whole_disks_with_seq_and_medium, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_attribute_is_an_error, setup, teardown),
		cmocka_unit_test(more_than_max_disks_is_partial),
		cmocka_unit_test(late_disk_is_new),
		cmocka_unit_test(same_name_other_disk_is_new),
		cmocka_unit_test(order_does_not_matter),
		cmocka_unit_test(settles_after_quiet_period),
	};

	return cmocka_run_group_tests_name("disks", tests, NULL, NULL);
}
