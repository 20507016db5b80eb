/* SPDX-License-Identifier: MIT */
/* The real boot table: its shape is the boot's contract.  Cases fail on leaks (testutil.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"
#include "refusals.h"
#include "states.h"
#include "log.h"
#include "testutil.h"

static int allows(int from, int to)
{
	return !!(boot_table[from].next & STATE_BIT(to));
}

static void table_is_well_formed(void)
{
	assert_int_equal(machine_check(boot_table, ST__COUNT), 0);
}

static void success_path_in_order(void)
{
	const int path[] = { ST_SETUP, ST_PROBE, ST_VERIFY_ROOT, ST_REPART, ST_UNSEAL,
			     ST_OPEN_STORAGE, ST_LOCK, ST_SWITCH_ROOT };

	for (size_t i = 0; i + 1 < sizeof(path) / sizeof(path[0]); i++)
		assert_true(allows(path[i], path[i + 1]));
}

static void every_step_can_fail_and_nothing_skips_ahead(void)
{
	for (int s = ST_SETUP; s <= ST_SWITCH_ROOT; s++) {
		assert_true(allows(s, ST_FAILED));
		assert_false(allows(s, ST_HALT));
		/* Only the next state or failure: no state may skip the lock. */
		for (int t = 0; t < ST__COUNT; t++)
			if (t != ST_FAILED && t != s + 1 && !(s == ST_UNSEAL && t == ST_OPEN_STORAGE))
				assert_false(allows(s, t));
	}
	/* The one state that may be passed over: recover, when nothing asks for it. */
	assert_true(allows(ST_UNSEAL, ST_RECOVER));
	assert_true(allows(ST_UNSEAL, ST_OPEN_STORAGE));
	/* switch-root only comes back on failure. */
	assert_int_equal(boot_table[ST_SWITCH_ROOT].next, STATE_BIT(ST_FAILED));
}

static void failure_ends_in_halt(void)
{
	assert_int_equal(boot_table[ST_FAILED].next, STATE_BIT(ST_HALT));
	assert_true(boot_table[ST_HALT].terminal);
	for (int s = 0; s < ST__COUNT; s++)
		if (s != ST_HALT)
			assert_false(boot_table[s].terminal);
}

static void names_are_the_documented_ones(void)
{
	const char *names[] = { "setup", "probe", "verify-root", "repart", "unseal", "recover",
				"open-storage", "lock", "switch-root", "failed", "halt" };

	for (int s = 0; s < ST__COUNT; s++) {
		assert_string_equal(boot_table[s].name, names[s]);
		assert_int_equal(machine_find(boot_table, ST__COUNT, names[s]), s);
	}
}

static void refusal_keeps_the_first(void)
{
	struct boot b;

	memset(&b, 0, sizeof(b));
	b.current = ST_VERIFY_ROOT;
	assert_int_equal(boot_refuse(&b, REFUSE_SIG_BAD, "/dev/vda3", -EBADMSG, "signature does not verify"),
			 ST_FAILED);
	b.current = ST_FAILED;
	assert_int_equal(boot_refuse(&b, REFUSE_INTERNAL, "x", 0, "y"), ST_FAILED);
	assert_int_equal(b.refusal.id, REFUSE_SIG_BAD);
	assert_string_equal(refusal_name(b.refusal.id), "sig-bad");
	assert_int_equal(b.refusal.state, ST_VERIFY_ROOT);
	assert_string_equal(b.refusal.object, "/dev/vda3");
	assert_string_equal(b.refusal.reason, "signature does not verify: Bad message");
}

/* Every identifier has a name and advice, and the names are unique. */
static void refusal_table_is_complete(void)
{
	assert_null(refusal_name(REFUSE_NONE));
	for (int i = REFUSE_NONE + 1; i < REFUSE__COUNT; i++) {
		const char *name = refusal_name(i);

		assert_non_null(name);
		assert_true(strlen(name) > 0);
		assert_non_null(refusal_advice(i));
		assert_true(strlen(refusal_advice(i)) > 0);
		for (int j = REFUSE_NONE + 1; j < i; j++)
			assert_string_not_equal(refusal_name(j), name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(table_is_well_formed),
		T(success_path_in_order),
		T(every_step_can_fail_and_nothing_skips_ahead),
		T(failure_ends_in_halt),
		T(names_are_the_documented_ones),
		T(refusal_keeps_the_first),
		T(refusal_table_is_complete),
	};

	log_set_max_level(LOG_CRIT);
	return cmocka_run_group_tests_name("boot_table", tests, NULL, NULL);
}
