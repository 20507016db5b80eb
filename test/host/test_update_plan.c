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

static struct partition parts[16];
static size_t n;

static int reset(void **state)
{
	(void)state;
	n = 0;
	memset(parts, 0, sizeof(parts));
	return 0;
}

static void add(enum part_role role, const char *label)
{
	struct partition *p = &parts[n++];

	snprintf(p->disk, sizeof(p->disk), "/dev/vda");
	p->number = (int)n;
	snprintf(p->devnode, sizeof(p->devnode), "/dev/vda%zu", n);
	p->role = role;
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->size = 4 << 20;
}

static void add_set(const char *label)
{
	add(ROLE_ROOT, label);
	add(ROLE_ROOT_VERITY, label);
	add(ROLE_ROOT_VERITY_SIG, label);
}

static void empty_set_first(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add(ROLE_ESP, "esp");
	add_set("rampart_1.0"); /* 2, 3, 4 */
	add_set("_empty");      /* 5, 6, 7 */
	assert_int_equal(update_choose_target(parts, n, 2, &t, &why), 0);
	assert_int_equal(t.root->number, 5);
	assert_int_equal(t.verity->number, 6);
	assert_int_equal(t.sig->number, 7);
	assert_string_equal(t.replaces, "");
}

static void oldest_other_slot_next(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add_set("rampart_1.0"); /* 1-3 */
	add_set("rampart_2.0"); /* 4-6 */
	/* Booted 2.0: 1.0 is written over. */
	assert_int_equal(update_choose_target(parts, n, 4, &t, &why), 0);
	assert_int_equal(t.root->number, 1);
	assert_string_equal(t.replaces, "rampart_1.0");
	/* Booted 1.0 (a fallback): 2.0 is written over, never the booted slot. */
	assert_int_equal(update_choose_target(parts, n, 1, &t, &why), 0);
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
	assert_int_equal(update_choose_target(parts, n, 1, &t, &why), -ENOENT);
	/* Booted from something that is not a slot's root. */
	assert_int_equal(update_choose_target(parts, n, 2, &t, &why), -ENOENT);
	add_set("_empty");        /* 4-6 */
	add(ROLE_ROOT, "_empty"); /* 7: a second empty root */
	assert_int_equal(update_choose_target(parts, n, 1, &t, &why), -ENOTUNIQ);
	assert_non_null(strstr(why.text, "more than one"));
}

static void sizes(void **state)
{
	struct update_target t;
	struct reason why = { "" };

	(void)state;
	add_set("rampart_1.0");
	add_set("_empty");
	assert_int_equal(update_choose_target(parts, n, 1, &t, &why), 0);
	assert_int_equal(update_check_sizes(&t, 4 << 20, 1, 1, &why), 0);
	assert_int_equal(update_check_sizes(&t, (4 << 20) + 1, 1, 1, &why), -EFBIG);
	assert_int_equal(update_check_sizes(&t, 1, 1, 0, &why), -EFBIG);
}

static void labels(void **state)
{
	char out[GPT_LABEL_MAX];
	struct reason why = { "" };

	(void)state;
	assert_int_equal(update_label("rampart_1.0", "2.0", out, &why), 0);
	assert_string_equal(out, "rampart_2.0");
	assert_int_equal(update_label("my_os_1.0", "1.1", out, &why), 0);
	assert_string_equal(out, "my_os_1.1");
	assert_int_equal(update_label("rampart", "2.0", out, &why), -EINVAL);
	assert_int_equal(update_label("rampart_1.0", "", out, &why), -EINVAL);
	assert_int_equal(update_label("rampart_1.0", "2_0", out, &why), -EINVAL);
	assert_int_equal(update_label("rampart_1.0", "2 0", out, &why), -EINVAL);
	assert_int_equal(update_label("rampart_1.0", "01234567890123456789012345678", out, &why), -EINVAL);
	assert_int_equal(update_label("rampart_1.0", "0123456789012345678901234567", out, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(empty_set_first, reset),
		cmocka_unit_test_setup(oldest_other_slot_next, reset),
		cmocka_unit_test_setup(refusals, reset),
		cmocka_unit_test_setup(sizes, reset),
		cmocka_unit_test_setup(labels, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
