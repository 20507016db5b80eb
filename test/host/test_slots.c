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

#include "slot_fixture.h"

static struct slot_fixture fx;
static struct partition *parts = fx.parts;
static size_t nparts;
static int skips;
static enum slot_skip last_kind;
static char last_skip[256];

static void add(const char *disk, enum part_role role, const char *label)
{
	fixture_add(&fx, disk, role, label, "");
	nparts = fx.n;
}

static void add_slot(const char *disk, const char *label, unsigned hash_id)
{
	fixture_add_slot(&fx, disk, label, hash_id);
	nparts = fx.n;
}

static void on_skip(void *userdata, enum slot_skip kind, const struct partition *p, const char *why)
{
	(void)userdata;
	skips++;
	last_kind = kind;
	snprintf(last_skip, sizeof(last_skip), "%s: %s", p->label, why);
}

static int reset(void **state)
{
	(void)state;
	fixture_reset(&fx);
	nparts = 0;
	skips = 0;
	last_skip[0] = '\0';
	return 0;
}

static size_t collect(struct slot *out)
{
	return slots_collect(fx.parts, fx.n, "/dev/vda", fx.sigs, fx.n_sigs, out, SLOTS_MAX, on_skip, NULL);
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
	add("/dev/vda", ROLE_ESP, "esp");
	add_slot("/dev/vda", "rampart_1.9", 1);
	add_slot("/dev/vda", "rampart_1.10", 2);
	add_slot("/dev/vda", "rampart_1.2", 3);
	assert_int_equal(collect(s), 3);
	assert_string_equal(s[0].label, "rampart_1.10");
	assert_string_equal(s[1].label, "rampart_1.9");
	assert_string_equal(s[2].label, "rampart_1.2");
	assert_int_equal(s[0].root->role, ROLE_ROOT);
	assert_int_equal(s[0].verity->role, ROLE_ROOT_VERITY);
	assert_int_equal(s[0].sig->role, ROLE_ROOT_VERITY_SIG);
	assert_int_equal(s[0].root->number, 5);
	assert_int_equal(s[0].verity->number, 6);
	assert_int_equal(s[0].sig->number, 7);
	assert_int_equal(skips, 0);
}

/* A name chosen to sort high does not make an old version look new. */
static void ordered_by_version_not_name(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "zzz_1.0", 1);
	add_slot("/dev/vda", "rampart_2.0", 2);
	add_slot("/dev/vda", "aaa_2.0", 3);
	assert_int_equal(collect(s), 3);
	assert_string_equal(s[0].label, "rampart_2.0");
	assert_string_equal(s[1].label, "aaa_2.0");
	assert_string_equal(s[2].label, "zzz_1.0");
}

static void label_version(void **state)
{
	char buf[GPT_LABEL_MAX];

	(void)state;
	assert_string_equal(slot_label_version("rampart_2.0", buf), "2.0");
	assert_string_equal(slot_label_version("my_os_1.2.3", buf), "1.2.3");
	assert_string_equal(slot_label_version("img_1.2_root", buf), "1.2"); /* mkosi */
	assert_string_equal(slot_label_version("img_root", buf), "");
	assert_string_equal(slot_label_version("_root", buf), "");
	assert_string_equal(slot_label_version("root-x86-64", buf), ""); /* systemd-repart */
	assert_string_equal(slot_label_version("noversion", buf), "");
	assert_string_equal(slot_label_version("_empty", buf), "");
	assert_string_equal(slot_label_version("name_", buf), "");
	assert_string_equal(slot_label_version("", buf), "");
}

/* Pairing is by the root hash: labels need not agree, mkosi's and systemd-repart's work. */
static void paired_by_root_hash_not_label(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	fixture_add_slot3(&fx, "/dev/vda", "img_1.0_root", "img_1.0_verity", "img_1.0_verity_sig", 1);
	fixture_add_slot3(&fx, "/dev/vda", "img_2.0_root", "img_2.0_verity", "img_2.0_verity_sig", 2);
	fixture_add_slot3(&fx, "/dev/vda", "root-x86-64", "root-x86-64-verity", "root-x86-64-verity-sig", 3);
	assert_int_equal(collect(s), 3);
	assert_int_equal(skips, 0);
	assert_string_equal(s[0].label, "img_2.0_root");
	assert_string_equal(s[0].verity->label, "img_2.0_verity");
	assert_string_equal(s[0].sig->label, "img_2.0_verity_sig");
	assert_string_equal(s[1].label, "img_1.0_root");
	/* No version claimed: after every slot that claims one. */
	assert_string_equal(s[2].label, "root-x86-64");

	/* Members interleaved and labelled alike across slots: the hash decides. */
	reset(state);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT_VERITY, "x", "00000002-0000-4000-8000-00000000000b");
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "x_1", "00000001-0000-4000-8000-00000000000a");
	fixture_add_sig(&fx, "/dev/vda", "x", 2);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT_VERITY, "x", "00000001-0000-4000-8000-00000000000b");
	fixture_add_sig(&fx, "/dev/vda", "x", 1);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "x_2", "00000002-0000-4000-8000-00000000000a");
	assert_int_equal(collect(s), 2);
	assert_string_equal(s[0].label, "x_2");
	assert_int_equal(s[0].verity->number, 1);
	assert_int_equal(s[0].sig->number, 3);
	assert_int_equal(s[0].root->number, 6);
	assert_string_equal(s[1].label, "x_1");
	assert_int_equal(s[1].verity->number, 4);
	assert_ptr_equal(s[1].doc, fx.sigs[1].doc);
}

/* Equal claims: the lower partition number first, whatever the table order. */
static void ties_by_partition_number(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "root-x86-64", 1);
	add_slot("/dev/vda", "root-x86-64", 2);
	assert_int_equal(collect(s), 2);
	assert_int_equal(s[0].root->number, 1);
	assert_int_equal(s[1].root->number, 4);
}

static void other_disks_are_never_candidates(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vdb", "rampart_9.0", 9);
	add_slot("/dev/vda", "rampart_1.0", 1);
	/* A signature on the boot disk naming another disk's root and verity. */
	fixture_add_sig(&fx, "/dev/vda", "rampart_9.0", 9);
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_string_equal(s[0].root->disk, "/dev/vda");
	assert_int_equal(skips, 1);
	assert_int_equal(last_kind, SLOT_SKIP_UNPAIRED);
	assert_string_equal(last_skip, "rampart_9.0: no root partition has UUID 00000009-0000-4000-8000-00000000000a, "
				       "the first 128 bits of its root hash");
}

static void empty_slot_skipped(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "rampart_1.0", 1);
	add_slot("/dev/vda", "_empty", 0);
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_int_equal(skips, 1);
	assert_int_equal(last_kind, SLOT_SKIP_PLACEHOLDER);
	assert_string_equal(last_skip, "_empty: empty placeholder slot");
}

/* An update in progress: its target relabelled "_empty", the old document still names it. */
static void placeholder_members_never_boot(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "rampart_1.0", 1);
	fixture_add_slot3(&fx, "/dev/vda", "_empty", "_empty", "rampart_2.0", 2);
	fixture_add_slot3(&fx, "/dev/vda", "rampart_3.0", "_empty", "rampart_3.0", 3);
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_int_equal(skips, 2);
	assert_int_equal(last_kind, SLOT_SKIP_UNPAIRED);
	assert_string_equal(last_skip, "rampart_3.0: its root-verity partition is an empty placeholder (an update in "
				       "progress?)");
}

static void incomplete_and_ambiguous_slots_skipped(void **state)
{
	struct slot s[SLOTS_MAX];
	char root[37], verity[37];

	(void)state;
	/* No signature: the root is reported, nothing boots. */
	fixture_uuids(3, root, verity);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "rampart_3.0", root);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT_VERITY, "rampart_3.0", verity);
	assert_int_equal(collect(s), 0);
	assert_int_equal(last_kind, SLOT_SKIP_UNNAMED);
	assert_string_equal(last_skip, "rampart_3.0: no root-verity-sig partition names this root partition's UUID");

	/* No verity partition. */
	reset(state);
	fixture_uuids(4, root, verity);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "rampart_4.0", root);
	fixture_add_sig(&fx, "/dev/vda", "rampart_4.0", 4);
	assert_int_equal(collect(s), 0);
	assert_int_equal(last_kind, SLOT_SKIP_UNPAIRED);
	assert_string_equal(last_skip, "rampart_4.0: no root-verity partition has UUID "
				       "00000004-0000-4000-8000-00000000000b, the last 128 bits of its root hash");

	/* A second root with the slot's UUID (a copy): neither is chosen. */
	reset(state);
	add_slot("/dev/vda", "rampart_2.0", 2);
	fixture_uuids(2, root, verity);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "rampart_2.0", root);
	add_slot("/dev/vda", "rampart_1.0", 1);
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "rampart_1.0");
	assert_int_equal(skips, 1);
	assert_int_equal(last_kind, SLOT_SKIP_AMBIGUOUS);
	assert_string_equal(last_skip, "rampart_2.0: two root partitions have UUID "
				       "00000002-0000-4000-8000-00000000000a: ambiguous");

	/* Two signatures naming one root hash: neither slot. */
	reset(state);
	add_slot("/dev/vda", "rampart_2.0", 2);
	fixture_add_sig(&fx, "/dev/vda", "rampart_2.0", 2);
	assert_int_equal(collect(s), 0);
	assert_int_equal(skips, 2);
	assert_int_equal(last_kind, SLOT_SKIP_AMBIGUOUS);

	/* Or sharing only the verity half. */
	reset(state);
	add_slot("/dev/vda", "rampart_2.0", 2);
	fixture_add(&fx, "/dev/vda", ROLE_ROOT, "rampart_5.0", "00000005-0000-4000-8000-00000000000a");
	fixture_add_sig(&fx, "/dev/vda", "rampart_5.0", 5);
	snprintf(fx.sigs[1].verity_uuid, 37, "%s", fx.sigs[0].verity_uuid);
	assert_int_equal(collect(s), 0);
	assert_int_equal(last_kind, SLOT_SKIP_AMBIGUOUS);
}

/* An unreadable document (the reader's caller reported it) makes no slot and no second report. */
static void unreadable_signature_no_slot(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "rampart_1.0", 1);
	fx.sigs[0].root_uuid[0] = fx.sigs[0].verity_uuid[0] = '\0';
	assert_int_equal(collect(s), 0);
	assert_int_equal(skips, 1);
	assert_int_equal(last_kind, SLOT_SKIP_UNNAMED);
}

static void unlabelled_root_pairs(void **state)
{
	struct slot s[SLOTS_MAX];

	(void)state;
	add_slot("/dev/vda", "", 1);
	assert_int_equal(collect(s), 1);
	assert_string_equal(s[0].label, "");
	assert_int_equal(skips, 0);
}

static void bounded_output(void **state)
{
	struct slot s[2];
	char label[32];

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(label, sizeof(label), "rampart_%d", i);
		add_slot("/dev/vda", label, (unsigned)i + 1);
	}
	assert_int_equal(slots_collect(fx.parts, fx.n, "/dev/vda", fx.sigs, fx.n_sigs, s, 2, on_skip, NULL), 2);
	assert_int_equal(skips, 3);
	assert_int_equal(last_kind, SLOT_SKIP_TOO_MANY);
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
		cmocka_unit_test_setup(paired_by_root_hash_not_label, reset),
		cmocka_unit_test_setup(ties_by_partition_number, reset),
		cmocka_unit_test_setup(other_disks_are_never_candidates, reset),
		cmocka_unit_test_setup(empty_slot_skipped, reset),
		cmocka_unit_test_setup(placeholder_members_never_boot, reset),
		cmocka_unit_test_setup(incomplete_and_ambiguous_slots_skipped, reset),
		cmocka_unit_test_setup(unreadable_signature_no_slot, reset),
		cmocka_unit_test_setup(unlabelled_root_pairs, reset),
		cmocka_unit_test_setup(bounded_output, reset),
		cmocka_unit_test_setup(boot_disk_is_the_esp_holder, reset),
		cmocka_unit_test_setup(gone_disk_dropped_in_order, reset),
	};

	return cmocka_run_group_tests_name("slots", tests, NULL, NULL);
}
