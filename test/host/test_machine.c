/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "machine.h"

enum { A, B, C, FAIL, END, N };

/* Each fake state returns whatever the test put in ctx->ret[state]. */
struct fake {
	int ret[N];
	int trace[64];
	int steps;
	int bad_from, bad_to, bad_count;
	int refuse_enter; /* state whose enter hook says no, or -1 */
	uint64_t durations[N];
	uint64_t clock;
};

#define FAKE_STATE(name)                               \
	static int run_##name(void *ctx)               \
	{                                              \
		struct fake *f = ctx;                  \
		f->trace[f->steps++] = name;           \
		f->clock += 10;                        \
		return f->ret[name];                   \
	}
FAKE_STATE(A)
FAKE_STATE(B)
FAKE_STATE(C)
FAKE_STATE(FAIL)
FAKE_STATE(END)

static const struct machine_state table[N] = {
	[A] = { "a", run_A, STATE_BIT(B) | STATE_BIT(FAIL) },
	[B] = { "b", run_B, STATE_BIT(C) | STATE_BIT(B) | STATE_BIT(FAIL) },
	[C] = { "c", run_C, STATE_BIT(END) | STATE_BIT(FAIL) },
	[FAIL] = { "fail", run_FAIL, STATE_BIT(END) },
	[END] = { "end", run_END, 0, .terminal = 1 },
};

static struct fake *current_fake;

static uint64_t fake_clock(void)
{
	return current_fake->clock;
}

static int enter(void *ctx, int state)
{
	struct fake *f = ctx;

	return state == f->refuse_enter ? -1 : 0;
}

static void leave(void *ctx, int state, int next, uint64_t usec)
{
	struct fake *f = ctx;

	(void)next;
	f->durations[state] = usec;
}

static void bad(void *ctx, int state, int next)
{
	struct fake *f = ctx;

	f->bad_from = state;
	f->bad_to = next;
	f->bad_count++;
}

static const struct machine_hooks hooks = {
	.enter = enter, .leave = leave, .bad_transition = bad, .clock_usec = fake_clock,
};

static int setup(void **state)
{
	static struct fake f;

	memset(&f, 0, sizeof(f));
	f.ret[A] = B;
	f.ret[B] = C;
	f.ret[C] = END;
	f.ret[FAIL] = END;
	f.ret[END] = -1;
	f.refuse_enter = -1;
	current_fake = &f;
	*state = &f;
	return 0;
}

static void assert_trace(struct fake *f, const int *want, int n)
{
	assert_int_equal(f->steps, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(f->trace[i], want[i]);
}

static void happy_path(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, B, C, END };

	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 4);
	assert_int_equal(f->bad_count, 0);
	assert_int_equal(f->durations[A], 10);
	assert_int_equal(f->durations[C], 10);
}

static void state_fails(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, B, FAIL, END };

	f->ret[B] = FAIL;
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 4);
	assert_int_equal(f->bad_count, 0);
}

static void disallowed_transition_goes_to_fail(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, FAIL, END };

	f->ret[A] = C; /* skipping B is not in the table */
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 3);
	assert_int_equal(f->bad_count, 1);
	assert_int_equal(f->bad_from, A);
	assert_int_equal(f->bad_to, C);
}

static void out_of_range_transition(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, B, FAIL, END };

	f->ret[B] = 99;
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 4);
	assert_int_equal(f->bad_to, 99);
	f->steps = 0;
	f->ret[B] = -5;
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 4);
}

static void misbehaving_fail_state_ends(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, FAIL, END };

	f->ret[A] = FAIL;
	f->ret[FAIL] = A; /* the failure state may not restart the boot */
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 3);
	assert_int_equal(f->bad_from, FAIL);
}

static void loop_is_cut(void **state)
{
	struct fake *f = *state;

	f->ret[B] = B; /* allowed (a retry), but forever is a bug */
	assert_int_equal(machine_run(table, N, A, FAIL, 8, &hooks, f), END);
	assert_int_equal(f->trace[f->steps - 1], END);
	assert_int_equal(f->trace[f->steps - 2], FAIL);
	assert_int_equal(f->steps, 10); /* A, 7 x B, FAIL, END */
	assert_int_equal(f->bad_to, -ELOOP);
}

static void enter_refusal_fails_the_state(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, FAIL, END };

	f->refuse_enter = B;
	assert_int_equal(machine_run(table, N, A, FAIL, 16, &hooks, f), END);
	assert_trace(f, want, 3);
}

static void runs_without_hooks(void **state)
{
	struct fake *f = *state;
	const int want[] = { A, B, C, END };

	assert_int_equal(machine_run(table, N, A, FAIL, 16, NULL, f), END);
	assert_trace(f, want, 4);
}

static void find_and_check(void **state)
{
	struct machine_state broken[N];

	(void)state;
	assert_int_equal(machine_find(table, N, "c"), C);
	assert_int_equal(machine_find(table, N, "nope"), -1);
	assert_int_equal(machine_check(table, N), 0);

	memcpy(broken, table, sizeof(broken));
	broken[B].next = STATE_BIT(N); /* out of range */
	assert_int_equal(machine_check(broken, N), -EINVAL);
	memcpy(broken, table, sizeof(broken));
	broken[END].terminal = 0;      /* no terminal state */
	assert_int_equal(machine_check(broken, N), -EINVAL);
	memcpy(broken, table, sizeof(broken));
	broken[C].name = "b";          /* duplicate name */
	assert_int_equal(machine_check(broken, N), -EINVAL);
	memcpy(broken, table, sizeof(broken));
	broken[A].next = 0;            /* dead end */
	assert_int_equal(machine_check(broken, N), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(happy_path, setup),
		cmocka_unit_test_setup(state_fails, setup),
		cmocka_unit_test_setup(disallowed_transition_goes_to_fail, setup),
		cmocka_unit_test_setup(out_of_range_transition, setup),
		cmocka_unit_test_setup(misbehaving_fail_state_ends, setup),
		cmocka_unit_test_setup(loop_is_cut, setup),
		cmocka_unit_test_setup(enter_refusal_fails_the_state, setup),
		cmocka_unit_test_setup(runs_without_hooks, setup),
		cmocka_unit_test(find_and_check),
	};

	return cmocka_run_group_tests_name("machine", tests, NULL, NULL);
}
