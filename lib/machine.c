/* SPDX-License-Identifier: MIT */
#include "machine.h"

#include <errno.h>
#include <string.h>

static int first_terminal(const struct machine_state *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].terminal)
			return (int)i;
	return -1;
}

static int allowed(const struct machine_state *table, size_t n, int from, int to)
{
	return to >= 0 && (size_t)to < n && (table[from].next & STATE_BIT(to));
}

int machine_run(const struct machine_state *table, size_t n, int start, int fail,
		unsigned max_steps, const struct machine_hooks *hooks, void *ctx)
{
	int state = start, last_resort = first_terminal(table, n);
	unsigned steps = 0;

	for (;;) {
		uint64_t t0 = hooks && hooks->clock_usec ? hooks->clock_usec() : 0;
		int next;

		/* The failure and terminal states always run: they are how the machine ends. */
		if (hooks && hooks->enter && hooks->enter(ctx, state) != 0 && state != fail &&
		    !table[state].terminal) {
			state = fail;
			continue;
		}

		next = table[state].run(ctx);

		if (hooks && hooks->leave)
			hooks->leave(ctx, state, next,
				     hooks->clock_usec ? hooks->clock_usec() - t0 : 0);

		if (table[state].terminal)
			return state;

		if (++steps >= max_steps) {
			/* A loop in the table: fail once, then end. */
			if (hooks && hooks->bad_transition)
				hooks->bad_transition(ctx, state, -ELOOP);
			next = steps == max_steps && state != fail ? fail : last_resort;
		} else if (!allowed(table, n, state, next)) {
			if (hooks && hooks->bad_transition)
				hooks->bad_transition(ctx, state, next);
			next = state == fail ? last_resort : fail;
		}
		state = next;
	}
}

int machine_find(const struct machine_state *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return (int)i;
	return -1;
}

int machine_check(const struct machine_state *table, size_t n)
{
	if (n == 0 || n > 32 || first_terminal(table, n) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!table[i].name || !table[i].run)
			return -EINVAL;
		if (n < 32 && (table[i].next >> n))
			return -EINVAL;
		if (!table[i].terminal && !table[i].next)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(table[i].name, table[j].name) == 0)
				return -EINVAL;
	}
	return 0;
}
