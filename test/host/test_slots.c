/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "slots.h"

static struct partition parts[32];
static size_t nparts;
static int skips;
static char last_skip[128];

static void add(const char *disk, enum part_role role, const char *label)
{
	struct partition *p = &parts[nparts++];

	memset(p, 0, sizeof(*p));
	snprintf(p->disk, sizeof(p->disk), "%s", disk);
	snprintf(p->devnode, sizeof(p->devnode), "%s%zu", disk, nparts);
	p->number = (int)nparts;
	p->role = role;
	snprintf(p->label, sizeof(p->label), "%s", label);
}

static void add_slot(const char *disk, const char *label)
{
	add(disk, ROLE_ROOT, label);
	add(disk, ROLE_ROOT_VERITY, label);
	add(disk, ROLE_ROOT_VERITY_SIG, label);
}

static void on_skip(void *userdata, const char *label, const char *why)
{
	(void)userdata;
	skips++;
	snprintf(last_skip, sizeof(last_skip), "%s: %s", label, why);
}

static int reset(void **state)
{
	(void)state;
	nparts = 0;
	skips = 0;
	last_skip[0] = '\0';
	return 0;
}

static size_t collect(struct slot *out)
{
	return slots_collect(parts, nparts, "/dev/vda", out, SLOTS_MAX, on_skip, NULL);
}

static void roles_from_types(void **state)
{
	(void)state;
	assert_int_equal(gpt_role_from_type("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"), ROLE_ROOT);
	assert_int_equal(gpt_role_from_type(GPT_TYPE_ROOT_VERITY_SIG), ROLE_ROOT_VERITY_SIG);
	assert_int_equal(gpt_role_from_type("0fc63daf-8483-4772-8e79-3d69d8477de4"), ROLE_OTHER);
	assert_string_equal(gpt_role_name(ROLE_VAR), "var");
	assert_string_equal(gpt_type_of_role(ROLE_TMP), GPT_TYPE_TMP);
}

static void partition_device_nodes(void **state)
{
	char node[16];

	(void)state;
	assert_int_equal(partition_devnode(node, sizeof(node), "/dev/vda", 2), 0);
	assert_string_equal(node, "/dev/vda2");
	assert_int_equal(partition_devnode(node, sizeof(node), "/dev/nvme0n1", 12), 0);
	assert_string_equal(node, "/dev/nvme0n1p12");
	assert_int_equal(partition_devnode(node, sizeof(node), "mmcblk0", 1), 0);
	assert_string_equal(node, "mmcblk0p1");
	assert_int_equal(partition_devnode(node, sizeof(node), "sda", 3), 0);
	assert_string_equal(node, "sda3");
	assert_int_equal(partition_devnode(node, sizeof(node), "/dev/nvme0n1", 123), -ENAMETOOLONG);
	assert_int_equal(partition_devnode(node, sizeof(node), "", 1), -EINVAL);
	assert_int_equal(partition_devnode(node, sizeof(node), "/dev/vda", 0), -EINVAL);
}

static void newest_version_first(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add(("/dev/vda"), ROLE_ESP, "esp");
	add_slot("/dev/vda", "rampart_1.9");
	add_slot("/dev/vda", "rampart_1.10");
	add_slot("/dev/vda", "rampart_1.2");
	assert_int_equal(collect(s), 3);
	assert_string_equal(s[0].label, "rampart_1.10");
	assert_string_equal(s[1].label, "rampart_1.9");
	assert_string_equal(s[2].label, "rampart_1.2");
	assert_int_equal(s[0].root->role, ROLE_ROOT);
	assert_int_equal(s[0].verity->role, ROLE_ROOT_VERITY);
	assert_int_equal(s[0].sig->role, ROLE_ROOT_VERITY_SIG);
	assert_string_equal(s[0].root->label, "rampart_1.10");
	assert_int_equal(skips, 0);
}

/* A name chosen to sort high does not make an old version look new. */
static void ordered_by_version_not_name(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "zzz_1.0");
	add_slot("/dev/vda", "rampart_2.0");
	add_slot("/dev/vda", "aaa_2.0");
	assert_int_equal(collect(s), 3);
	assert_string_equal(s[0].label, "rampart_2.0");
	assert_string_equal(s[1].label, "aaa_2.0");
	assert_string_equal(s[2].label, "zzz_1.0");
}

static void label_version(void **state)
{
	(void)state;
	assert_string_equal(slot_label_version("rampart_2.0"), "2.0");
	assert_string_equal(slot_label_version("my_os_1.2.3"), "1.2.3");
	assert_string_equal(slot_label_version("noversion"), "");
	assert_string_equal(slot_label_version("_empty"), "");
	assert_string_equal(slot_label_version("name_"), "");
	assert_string_equal(slot_label_version(""), "");
}

static void other_disks_are_never_candidates(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vdb", "rampart_9.0");
	add_slot("/dev/vda", "rampart_1.0");
	add(("/dev/vdc"), ROLE_ROOT, "rampart_1.0"); /* same label, other disk */
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_string_equal(s[0].root->disk, "/dev/vda");
	assert_int_equal(skips, 0);
}

static void empty_slot_skipped(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "rampart_1.0");
	add_slot("/dev/vda", "_empty");
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_string_equal(last_skip, "_empty: empty placeholder slot");
}

static void incomplete_and_ambiguous_slots_skipped(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add(("/dev/vda"), ROLE_ROOT, "rampart_3.0");
	add(("/dev/vda"), ROLE_ROOT_VERITY, "rampart_3.0"); /* no signature */
	assert_int_equal(collect(s), 0);
	assert_string_equal(last_skip, "rampart_3.0: no root-verity-sig partition");

	add_slot("/dev/vda", "rampart_2.0");
	add(("/dev/vda"), ROLE_ROOT, "rampart_2.0"); /* a second root with the same label */
	add_slot("/dev/vda", "rampart_1.0");
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_int_equal(skips, 3);
}

static void unlabelled_not_paired(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "");
	assert_int_equal(collect(s), 0);
	assert_int_equal(skips, 1);
}

static void bounded_output(void **state)
{
	struct slot s[2];
	char label[32];

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(label, sizeof(label), "rampart_%d", i);
		add_slot("/dev/vda", label);
	}
	assert_int_equal(slots_collect(parts, nparts, "/dev/vda", s, 2, on_skip, NULL), 2);
	assert_int_equal(skips, 3);
	/* The newest are kept, whatever the order on disk. */
	assert_string_equal(s[0].label, "rampart_4");
	assert_string_equal(s[1].label, "rampart_3");
}

static void boot_disk_is_the_esp_holder(void **state)
{
	(void)state;
	add(("/dev/vdb"), ROLE_ESP, "esp");
	snprintf(parts[0].uuid, sizeof(parts[0].uuid), "11111111-1111-1111-1111-111111111111");
	add(("/dev/vda"), ROLE_ESP, "esp");
	snprintf(parts[1].uuid, sizeof(parts[1].uuid), "485c5e55-0c67-44db-8fa6-32487250ba4d");
	assert_int_equal(boot_disk_find(parts, nparts, "485C5E55-0C67-44DB-8FA6-32487250BA4D"), 1);
	assert_int_equal(boot_disk_find(parts, nparts, "22222222-1111-1111-1111-111111111111"), -ENOENT);

	/* A clone carrying the same ESP UUID: ambiguous, whatever the order. */
	add(("/dev/vdc"), ROLE_ESP, "esp");
	snprintf(parts[2].uuid, sizeof(parts[2].uuid), "485c5e55-0c67-44db-8fa6-32487250ba4d");
	assert_int_equal(boot_disk_find(parts, nparts, "485c5e55-0c67-44db-8fa6-32487250ba4d"), -ENOTUNIQ);

	/* The named partition must be an ESP. */
	parts[0].role = ROLE_ROOT;
	assert_int_equal(boot_disk_find(parts, nparts, "11111111-1111-1111-1111-111111111111"), -EMEDIUMTYPE);
}

static void gone_disk_dropped_in_order(void **state)
{
	(void)state;
	add("/dev/vda", ROLE_ESP, "esp");
	add("/dev/vdb", ROLE_ESP, "esp");
	add("/dev/vda", ROLE_ROOT, "a");
	add("/dev/vdb", ROLE_ROOT, "b");
	add("/dev/vdbb", ROLE_ROOT, "c");
	/* A disk whose name is a prefix of another's takes only its own. */
	nparts = partitions_drop_disk(parts, nparts, "/dev/vdb");
	assert_int_equal(nparts, 3);
	assert_string_equal(parts[0].disk, "/dev/vda");
	assert_string_equal(parts[1].label, "a");
	assert_string_equal(parts[2].disk, "/dev/vdbb");
	assert_int_equal(partitions_drop_disk(parts, nparts, "/dev/sda"), 3);
	assert_int_equal(partitions_drop_disk(parts, 0, "/dev/vda"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(roles_from_types, reset),
		cmocka_unit_test(partition_device_nodes),
		cmocka_unit_test_setup(newest_version_first, reset),
		cmocka_unit_test_setup(ordered_by_version_not_name, reset),
		cmocka_unit_test(label_version),
		cmocka_unit_test_setup(other_disks_are_never_candidates, reset),
		cmocka_unit_test_setup(empty_slot_skipped, reset),
		cmocka_unit_test_setup(incomplete_and_ambiguous_slots_skipped, reset),
		cmocka_unit_test_setup(unlabelled_not_paired, reset),
		cmocka_unit_test_setup(bounded_output, reset),
		cmocka_unit_test_setup(boot_disk_is_the_esp_holder, reset),
		cmocka_unit_test_setup(gone_disk_dropped_in_order, reset),
	};

	return cmocka_run_group_tests_name("slots", tests, NULL, NULL);
}
