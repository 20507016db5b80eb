/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "update_plan.h"

#include "slot_fixture.h"

static struct slot_fixture fx;
static unsigned next_hash;

static int reset(void **state)
{
	(void)state;
	fixture_reset(&fx);
	next_hash = 1;
	return 0;
}

static void add(enum part_role role, const char *label)
{
	fixture_add(&fx, "/dev/vda", role, label, "");
}

/* A slot with a root hash of its own; "_empty" sets are placeholders (their documents never read). */
static void add_set(const char *label)
{
	fixture_add_slot(&fx, "/dev/vda", label, strcmp(label, "_empty") ? next_hash++ : 0);
}

static int choose(int booted_root, struct update_target *t, struct reason *why)
{
	return update_choose_target(fx.parts, fx.n, fx.sigs, fx.n_sigs, booted_root, t, why);
}

static void empty_set_first(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add(ROLE_ESP, "esp");
	add_set("rampart_1.0"); /* 2, 3, 4 */
	add_set("_empty");      /* 5, 6, 7 */
	assert_int_equal(choose(2, &t, &why), 0);
	assert_int_equal(t.root->number, 5);
	assert_int_equal(t.verity->number, 6);
	assert_int_equal(t.sig->number, 7);
	assert_string_equal(t.replaces, "");
	assert_int_equal(t.booted.root->number, 2);
	assert_string_equal(t.booted.label, "rampart_1.0");
}

static void oldest_other_slot_next(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add_set("rampart_1.0"); /* 1-3 */
	add_set("rampart_2.0"); /* 4-6 */
	/* Booted 2.0: 1.0 is written over. */
	assert_int_equal(choose(4, &t, &why), 0);
	assert_int_equal(t.root->number, 1);
	assert_string_equal(t.replaces, "rampart_1.0");
	/* Booted 1.0 (a fallback): 2.0 is written over, never the booted slot. */
	assert_int_equal(choose(1, &t, &why), 0);
	assert_int_equal(t.root->number, 4);
	assert_string_equal(t.replaces, "rampart_2.0");
}

static void refusals(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add_set("rampart_1.0"); /* 1-3 */
	/* Only the booted slot: nowhere to write. */
	assert_int_equal(choose(1, &t, &why), -ENOENT);
	/* Booted from something that is not a slot's root. */
	assert_int_equal(choose(2, &t, &why), -ENOENT);
	add_set("_empty");        /* 4-6 */
	add(ROLE_ROOT, "_empty"); /* 7: a second empty root */
	assert_int_equal(choose(1, &t, &why), -ENOTUNIQ);
	assert_non_null(strstr(why.text, "more than one"));
}

static void sizes(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add_set("rampart_1.0");
	add_set("_empty");
	assert_int_equal(choose(1, &t, &why), 0);
	assert_int_equal(update_check_sizes(&t, 4 << 20, 1, 1, &why), 0);
	assert_int_equal(update_check_sizes(&t, (4 << 20) + 1, 1, 1, &why), -EFBIG);
	assert_int_equal(update_check_sizes(&t, 1, 1, 0, &why), -EFBIG);
}

/* The new root hash must not be one the disk already has: two slots with one UUID boot neither. */
static void uuids_already_installed(void **state)
{
	struct update_target t;
	struct reason why = { "" };
	char root[37], verity[37];

	(void)state;
	add_set("rampart_1.0"); /* 1-3, hash 1 */
	add_set("rampart_2.0"); /* 4-6, hash 2 */
	assert_int_equal(choose(4, &t, &why), 0);
	assert_int_equal(t.root->number, 1);
	/* Writing 2.0's image again over 1.0: refused. */
	fixture_uuids(2, root, verity);
	assert_int_equal(update_check_uuids(fx.parts, fx.n, &t, root, verity, &why), -EEXIST);
	assert_non_null(strstr(why.text, "partition 4"));
	/* Only the verity half taken: refused too. */
	fixture_uuids(9, root, verity);
	snprintf(verity, sizeof(verity), "%s", fx.parts[4].uuid);
	assert_int_equal(update_check_uuids(fx.parts, fx.n, &t, root, verity, &why), -EEXIST);
	/* The target's own UUIDs (1.0, written over) are free to take. */
	fixture_uuids(1, root, verity);
	assert_int_equal(update_check_uuids(fx.parts, fx.n, &t, root, verity, &why), 0);
	fixture_uuids(3, root, verity);
	assert_int_equal(update_check_uuids(fx.parts, fx.n, &t, root, verity, &why), 0);
}

static void check_labels(const char *root, const char *verity, const char *sig, const char *version,
			 const char *want_root, const char *want_verity, const char *want_sig)
{
	struct update_labels out;
	struct reason why = { "" };

	reset(NULL);
	fixture_add_slot3(&fx, "/dev/vda", root, verity, sig, 1);
	fixture_add_slot3(&fx, "/dev/vda", "_empty", "_empty", "_empty", 0);
	{
		struct update_target t;

		assert_int_equal(choose(1, &t, &why), 0);
		assert_int_equal(update_labels(&t.booted, version, &out, &why), want_root ? 0 : -EINVAL);
	}
	if (!want_root)
		return;
	assert_string_equal(out.root, want_root);
	assert_string_equal(out.verity, want_verity);
	assert_string_equal(out.sig, want_sig);
}

static void labels(void **state)
{
	(void)state;
	/* rampart's layout: one label. */
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "2.0", "rampart_2.0", "rampart_2.0", "rampart_2.0");
	check_labels("my_os_1.0", "my_os_1.0", "my_os_1.0", "1.1", "my_os_1.1", "my_os_1.1", "my_os_1.1");
	/* mkosi's. */
	check_labels("img_1.0_root", "img_1.0_verity", "img_1.0_verity_sig", "2.0", "img_2.0_root",
		     "img_2.0_verity", "img_2.0_verity_sig");
	/* systemd-sysupdate's documented example. */
	check_labels("foobarOS_47", "foobarOS_47_verity", "foobarOS_47_verity_sig", "48", "foobarOS_48",
		     "foobarOS_48_verity", "foobarOS_48_verity_sig");
	/* A member label in no convention takes the root's. */
	check_labels("rampart_1.0", "other", "rampart_1.0", "2.0", "rampart_2.0", "rampart_2.0", "rampart_2.0");
	/* Refused. */
	check_labels("rampart", "rampart", "rampart", "2.0", NULL, NULL, NULL);
	check_labels("root-x86-64", "root-x86-64-verity", "root-x86-64-verity-sig", "2.0", NULL, NULL, NULL);
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "", NULL, NULL, NULL);
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "2_0", NULL, NULL, NULL);
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "2 0", NULL, NULL, NULL);
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "01234567890123456789012345678", NULL, NULL, NULL);
	check_labels("rampart_1.0", "rampart_1.0", "rampart_1.0", "0123456789012345678901234567",
		     "rampart_0123456789012345678901234567", "rampart_0123456789012345678901234567",
		     "rampart_0123456789012345678901234567");
	/* The suffix counts: 36 characters at most for every label. */
	check_labels("img_1_root", "img_1_verity", "img_1_verity_sig", "0123456789012345678901234", NULL, NULL,
		     NULL);
	check_labels("img_1_root", "img_1_verity", "img_1_verity_sig", "0123456789012345678", "img_0123456789012345678_root",
		     "img_0123456789012345678_verity", "img_0123456789012345678_verity_sig");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(empty_set_first, reset),
		cmocka_unit_test_setup(oldest_other_slot_next, reset),
		cmocka_unit_test_setup(refusals, reset),
		cmocka_unit_test_setup(sizes, reset),
		cmocka_unit_test_setup(uuids_already_installed, reset),
		cmocka_unit_test_setup(labels, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
