/* SPDX-License-Identifier: MIT */
/*
 * lib/probe.c's probe_disk() on image files made with libfdisk: what is
 * read, and which disks count as unreadable (the probe state decides
 * nothing while one is: it could be the boot disk or a copy of it).
 *
 * musl static, UBSan in trap mode; every case fails when it leaves
 * allocations behind (testutil_run_checked()).
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdisk/libfdisk.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpt.h"
#include "probe.h"
#include "testutil.h"
#include "util.h"

#define MiB (UINT64_C(1) << 20)
#define IMAGE_SIZE (64 * MiB)
#define ESP_UUID "6a6a347c-ff38-44cf-8d48-cd78f0c5ea60"

static char workdir[256];
static char img[300];
/* Large: a partition table of PARTITIONS_MAX entries. */
static struct partition_table table;

static int make_workdir(void **state)
{
	(void)state;
	if (!testutil_mkdtemp(workdir, sizeof(workdir), "test_probe"))
		return -1;
	snprintf(img, sizeof(img), "%s/disk.img", workdir);
	memset(&table, 0, sizeof(table));
	return 0;
}

static int remove_workdir(void **state)
{
	(void)state;
	testutil_rmtree(workdir);
	return 0;
}

static void fdisk_contextp(struct fdisk_context **c)
{
	if (*c)
		fdisk_unref_context(*c);
}

/* A sparse image with a @label ("gpt", "dos") partition table; for GPT an ESP and a Linux partition. */
static void make_image(const char *label)
{
	_cleanup_(fdisk_contextp) struct fdisk_context *cxt = NULL;
	_cleanup_close_ int fd = open(img, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	const char *types[] = { GPT_TYPE_ESP, GPT_TYPE_LINUX_GENERIC };
	bool gpt = !strcmp(label, "gpt");

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IMAGE_SIZE), 0);
	cxt = fdisk_new_context();
	assert_non_null(cxt);
	assert_int_equal(fdisk_assign_device(cxt, img, 0), 0);
	assert_int_equal(fdisk_create_disklabel(cxt, label), 0);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		struct fdisk_partition *pa = fdisk_new_partition();
		struct fdisk_parttype *t =
			fdisk_label_parse_parttype(fdisk_get_label(cxt, NULL), gpt ? types[i] : "83");

		assert_non_null(pa);
		assert_non_null(t);
		fdisk_partition_set_partno(pa, i);
		fdisk_partition_set_start(pa, (2048 + i * 8 * 2048));
		fdisk_partition_set_size(pa, 8 * 2048);
		fdisk_partition_set_type(pa, t);
		if (gpt && i == 0)
			fdisk_partition_set_uuid(pa, ESP_UUID);
		assert_int_equal(fdisk_add_partition(cxt, pa, NULL), 0);
		fdisk_unref_parttype(t);
		fdisk_unref_partition(pa);
	}
	assert_int_equal(fdisk_write_disklabel(cxt), 0);
	assert_int_equal(fdisk_deassign_device(cxt, 1), 0);
}

static void zero_sector(uint64_t lba)
{
	_cleanup_close_ int fd = open(img, O_WRONLY | O_CLOEXEC);
	static const char zeros[512];

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zeros, sizeof(zeros), (off_t)(lba * 512)), (ssize_t)sizeof(zeros));
}

static void gpt_is_read(void)
{
	struct reason why = { "" };

	make_image("gpt");
	assert_int_equal(probe_disk(&table, img, &why), 0);
	assert_int_equal(table.n, 2);
	assert_false(table.truncated);
	assert_string_equal(table.parts[0].uuid, ESP_UUID);
	assert_int_equal(table.parts[0].role, ROLE_ESP);
	assert_string_equal(table.parts[0].disk, img);
	assert_int_equal(table.parts[1].number, 2);
}

static void backup_header_is_enough(void)
{
	struct reason why = { "" };

	make_image("gpt");
	zero_sector(1);
	assert_int_equal(probe_disk(&table, img, &why), 0);
	assert_int_equal(table.n, 2);
	assert_string_equal(table.parts[0].uuid, ESP_UUID);
}

/* A protective MBR says GPT, but neither header reads: it might be a copy of the boot disk. */
static void unreadable_gpt_is_an_error(void)
{
	struct reason why = { "" };

	make_image("gpt");
	zero_sector(1);
	zero_sector(IMAGE_SIZE / 512 - 1);
	assert_int_equal(probe_disk(&table, img, &why), -EBADMSG);
	assert_int_equal(table.n, 0);
	assert_non_null(strstr(why.text, "protective MBR"));
}

static void other_tables_and_blank_disks_add_nothing(void)
{
	struct reason why = { "" };
	_cleanup_close_ int fd = -1;

	make_image("dos");
	assert_int_equal(probe_disk(&table, img, &why), 0);
	assert_int_equal(table.n, 0);

	fd = open(img, O_TRUNC | O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IMAGE_SIZE), 0);
	assert_int_equal(probe_disk(&table, img, &why), 0);
	assert_int_equal(table.n, 0);
	assert_string_equal(why.text, "");
}

static void missing_disk_is_an_error(void)
{
	struct reason why = { "" };

	assert_int_equal(probe_disk(&table, img, &why), -ENOENT);
	assert_non_null(strstr(why.text, "cannot be opened"));
}

static void table_full_is_truncated(void)
{
	struct reason why = { "" };

	make_image("gpt");
	table.n = PARTITIONS_MAX - 1;
	assert_int_equal(probe_disk(&table, img, &why), 0);
	assert_int_equal(table.n, PARTITIONS_MAX);
	assert_true(table.truncated);
	assert_string_equal(table.parts[PARTITIONS_MAX - 1].uuid, ESP_UUID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_FIXTURE(gpt_is_read, make_workdir, remove_workdir),
		T_FIXTURE(backup_header_is_enough, make_workdir, remove_workdir),
		T_FIXTURE(unreadable_gpt_is_an_error, make_workdir, remove_workdir),
		T_FIXTURE(other_tables_and_blank_disks_add_nothing, make_workdir, remove_workdir),
		T_FIXTURE(missing_disk_is_an_error, make_workdir, remove_workdir),
		T_FIXTURE(table_full_is_truncated, make_workdir, remove_workdir),
	};

	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
