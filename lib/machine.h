/* SPDX-License-Identifier: MIT */
#ifndef RAMPART_MACHINE_H
#define RAMPART_MACHINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A table-driven state machine.  Each state is a function that returns the
 * index of the next state; the table also lists which next states are
 * allowed, so a state that returns anything else is a bug caught at run
 * time and sent to the failure state rather than followed.
 */
struct machine_state {
	const char *name;
	int (*run)(void *ctx);
	uint32_t next;  /* bit mask of allowed next states */
	int terminal;   /* the machine ends after this state runs */
};

#define STATE_BIT(s) (1u << (s))

struct machine_hooks {
	/* Before a state runs; a non-zero return skips it and goes to the failure state. */
	int (*enter)(void *ctx, int state);
	/* After a state ran, with its duration. */
	void (*leave)(void *ctx, int state, int next, uint64_t usec);
	/* A state returned a next state the table does not allow. */
	void (*bad_transition)(void *ctx, int state, int next);
	uint64_t (*clock_usec)(void);
};

/*
 * Runs @table from @start until a terminal state has run; returns the
 * index of that terminal state.  @fail is where bad transitions go; if
 * the failure state itself misbehaves, the first terminal state ends it.
 * At most @max_steps states run (a loop in the table is a bug); then the
 * failure state is entered once more and the machine ends like above.
 */
int machine_run(const struct machine_state *table, size_t n, int start, int fail,
		unsigned max_steps, const struct machine_hooks *hooks, void *ctx);

/* Index of the state named @name, or -1. */
int machine_find(const struct machine_state *table, size_t n, const char *name);

/* 0 if the table is well formed: names, functions, masks within range, a terminal reachable. */
int machine_check(const struct machine_state *table, size_t n);

#endif
